"""/dump/request (issue 14): the request as its bytes arrived. Each head below is sent raw and
must come back byte for byte (request line, header lines in order with their case, the
whitespace around values, CR LF or bare LF line ends, the blank line), followed by the body.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RawConnection, module_server  # noqa: E402

SERVER = None


setUpModule, tearDownModule = module_server(globals())


class DumpRequestTest(unittest.TestCase):
    def dump(self, raw, method="GET"):
        with RawConnection(SERVER.port) as connection:
            connection.send(raw)
            return connection.read_response(method)

    def assertEchoed(self, head, body=b""):
        response = self.dump(head + body, head.split(b" ")[0].decode())
        self.assertEqual(response.status, 200, head)
        self.assertEqual(response.header("X-Dump"), "bytes-as-received")
        self.assertEqual(response.header("Content-Type"), "text/plain")
        self.assertEqual(response.body, head + body)

    def test_case_spacing_and_order_are_kept(self):
        self.assertEchoed(b"GET /dump/request?a=%41&b=c+d&a=2 HTTP/1.1\r\n"
                          b"Host: example.test\r\n"
                          b"X-Mixed-CASE:   spaced   value  \r\n"
                          b"x-tab:\tv\t\r\n"
                          b"Empty:\r\n"
                          b"accept: */*\r\n"
                          b"X-Mixed-CASE: second\r\n"
                          b"\r\n")

    def test_bare_lf_line_ends_are_kept(self):
        self.assertEchoed(b"GET /dump/request HTTP/1.1\nHost: x\nX-LF: only\n\n")

    def test_mixed_line_ends_are_kept(self):
        self.assertEchoed(b"GET /dump/request HTTP/1.1\r\nHost: x\nX-A: 1\r\nX-B: 2\r\n\n")

    def test_absolute_form_target_and_http10(self):
        self.assertEchoed(b"GET http://example.test/dump/request?x=%20 HTTP/1.1\r\nHost: example.test\r\n\r\n")
        self.assertEchoed(b"GET /dump/request HTTP/1.0\r\n\r\n")

    def test_body_follows_the_head(self):
        self.assertEchoed(b"POST /dump/request HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n"
                          b"Content-Type: text/plain\r\n\r\n", b"hello\r\nworld")

    def test_each_request_of_a_keep_alive_connection_is_its_own(self):
        first = b"GET /dump/request HTTP/1.1\r\nHost: x\r\nX-N: 1\r\n\r\n"
        second = b"GET /dump/request?second HTTP/1.1\r\nhost: x\r\nX-N:2\r\n\r\n"
        with RawConnection(SERVER.port) as connection:
            connection.send(first + second)  # pipelined
            self.assertEqual(connection.read_response().body, first)
            self.assertEqual(connection.read_response().body, second)

    def test_head_answers_with_the_length_get_would_have(self):
        head = b"HEAD /dump/request HTTP/1.1\r\nHost: x\r\n\r\n"
        response = self.dump(head, "HEAD")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, b"")
        self.assertEqual(response.header("Content-Length"), str(len(head)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
