"""/upload, /method/ and /negotiate/ on the wire (SPEC §8, docs/libmicrohttpd.md §1 "Expect: 100-continue").

What libcurl hides is checked here byte for byte: whether `100 Continue` was sent before the
body or a refusal instead of it, chunked bodies, connections closed after a refusal, and one
keep-alive connection reused across the endpoints. The curl CLI checks at the end are what a
user types.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RawConnection, StatusdServer, health_ok  # noqa: E402

SERVER = None        # default flags (--max-body 1 MiB)
SMALL_SERVER = None  # --max-body 1000
CURL_TIMEOUT = 10


def setUpModule():
    global SERVER, SMALL_SERVER
    SERVER = StatusdServer().start()
    SMALL_SERVER = StatusdServer("--max-body", "1000").start()


def tearDownModule():
    for server in (SERVER, SMALL_SERVER):
        if server is not None:
            server.stop()  # asserts exit code 0 after SIGTERM


def chunked(*pieces):
    """A chunked body made of the given pieces, with its last-chunk."""
    out = b""
    for piece in pieces:
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


class ClientInputWireTest(unittest.TestCase):
    server = None

    @property
    def port(self):
        return (self.server or SERVER).port

    def connect(self):
        c = RawConnection(self.port)
        self.addCleanup(c.close)
        return c

    def assertHealthy(self):
        self.assertEqual(health_ok(self.port), 200, "/health on a new connection")

    def assertRefusedAndClosed(self, c, response, status):
        """A refusal decided on the head: the status, Connection: close, the socket closed,
        and a new connection still served."""
        self.assertEqual(response.status, status, response.raw[:300])
        self.assertIn("close", response.connection_tokens())
        self.assertTrue(c.closed_by_server(timeout=3), "the connection stays open")
        self.assertHealthy()

    def assertSummary(self, response, body, **expected):
        self.assertEqual(response.status, 200, response.raw[:300])
        self.assertEqual(response.header("Content-Type"), "application/json")
        summary = json.loads(response.body)
        self.assertEqual(summary["sha256"], hashlib.sha256(body).hexdigest())
        self.assertEqual(summary["bytes"], len(body))
        for key, value in expected.items():
            self.assertEqual(summary[key], value, key)
        return summary


class ExpectContinue(ClientInputWireTest):
    def test_expect_continue_gets_exactly_one_100_then_200(self):
        c = self.connect()
        body = b"0123456789"
        c.request("POST", "/upload", [("Expect", "100-continue"), ("Content-Length", "10"),
                                      ("Content-Type", "text/plain")])
        interim = c.read_response()
        self.assertEqual(interim.raw.split(b"\r\n")[0], b"HTTP/1.1 100 Continue")
        c.send(body)
        interims, final = c.read_final("POST")
        self.assertEqual(interims, [], "a second 100 Continue")
        self.assertSummary(final, body, method="POST", expect_continue=True, chunked=False)
        self.assertEqual(c.pending_bytes(0.2), b"", "bytes after the final response")

    def test_max_refuses_with_413_before_the_body_and_without_100(self):
        c = self.connect()
        c.request("POST", "/upload?max=5", [("Expect", "100-continue"),
                                             ("Content-Length", "100")])
        response = c.read_response()  # the body was never sent: the server decided on the head
        self.assertNotIn(b"100 Continue", response.raw)
        self.assertRefusedAndClosed(c, response, 413)

    def test_over_max_body_refuses_with_413_before_the_body(self):
        self.server = SMALL_SERVER
        c = self.connect()
        c.request("POST", "/upload", [("Expect", "100-continue"), ("Content-Length", "2000")])
        response = c.read_response()
        self.assertNotIn(b"100 Continue", response.raw)
        self.assertRefusedAndClosed(c, response, 413)

    def test_other_expectation_is_417(self):
        c = self.connect()
        c.request("POST", "/upload", [("Expect", "something"), ("Content-Length", "3")])
        response = c.read_response()
        self.assertNotIn(b"100 Continue", response.raw)
        self.assertRefusedAndClosed(c, response, 417)


class ChunkedBodies(ClientInputWireTest):
    def test_chunked_body_with_require_length_is_411(self):
        c = self.connect()
        c.request("POST", "/upload?require_length=1", [("Transfer-Encoding", "chunked")])
        self.assertRefusedAndClosed(c, c.read_response(), 411)

    def test_chunked_body_is_hashed(self):
        c = self.connect()
        pieces = (b"hello ", b"chunked ", b"world" * 50)
        c.request("POST", "/upload", [("Transfer-Encoding", "chunked"),
                                      ("Content-Type", "text/plain")], chunked(*pieces))
        _, final = c.read_final("POST")
        self.assertSummary(final, b"".join(pieces), chunked=True, expect_continue=False)

    def test_chunked_body_with_expect_continue_gets_100_then_200(self):
        c = self.connect()
        c.request("PUT", "/upload?max=100", [("Transfer-Encoding", "chunked"),
                                             ("Expect", "100-continue")])
        self.assertEqual(c.read_response().status, 100)
        c.send(chunked(b"abc"))
        interims, final = c.read_final("PUT")
        self.assertEqual(interims, [])
        self.assertSummary(final, b"abc", method="PUT", chunked=True, expect_continue=True)

    def test_chunked_body_over_max_is_413(self):
        c = self.connect()
        c.request("POST", "/upload?max=5", [("Transfer-Encoding", "chunked")],
                  chunked(b"abcd", b"efgh"))
        _, final = c.read_final("POST")
        self.assertRefusedAndClosed(c, final, 413)

    def test_chunked_body_over_max_body_is_413(self):
        self.server = SMALL_SERVER
        c = self.connect()
        c.request("POST", "/upload", [("Transfer-Encoding", "chunked")],
                  chunked(b"a" * 600, b"b" * 600))
        _, final = c.read_final("POST")
        self.assertRefusedAndClosed(c, final, 413)

    def test_chunked_body_that_goes_on_past_the_limit_is_cut_off(self):
        self.server = SMALL_SERVER
        c = self.connect()
        c.request("POST", "/upload?max=10", [("Transfer-Encoding", "chunked")])
        try:
            for _ in range(40):  # 40 KB against a 10-byte limit and a 1000-byte --max-body
                c.send(b"400\r\n" + b"x" * 1024 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.assertTrue(c.closed_by_server(timeout=3), "the server reads on")
        self.assertHealthy()

    def test_chunked_body_over_max_zero_is_413(self):
        c = self.connect()
        c.request("POST", "/upload?max=0", [("Transfer-Encoding", "chunked")], chunked(b"a"))
        _, final = c.read_final("POST")
        self.assertEqual(final.status, 413, final.raw[:300])
        self.assertHealthy()

    def test_empty_chunked_body_within_max_zero_is_accepted(self):
        c = self.connect()
        c.request("POST", "/upload?max=0", [("Transfer-Encoding", "chunked")], chunked())
        _, final = c.read_final("POST")
        self.assertSummary(final, b"", chunked=True)


class MediaTypes(ClientInputWireTest):
    def test_unaccepted_type_is_415_with_accept_post_before_the_body(self):
        c = self.connect()
        c.request("POST", "/upload?accept=application/json",
                  [("Content-Type", "text/plain"), ("Content-Length", "3"),
                   ("Expect", "100-continue")])
        response = c.read_response()
        self.assertEqual(response.header("Accept-Post"), "application/json")
        self.assertRefusedAndClosed(c, response, 415)

    def test_unaccepted_patch_is_415_with_accept_patch(self):
        c = self.connect()
        c.request("PATCH", "/upload?accept=application/merge-patch%2Bjson",
                  [("Content-Type", "application/json"), ("Content-Length", "2")], b"{}")
        response = c.read_response("PATCH")
        self.assertEqual(response.header("Accept-Patch"), "application/merge-patch+json")
        self.assertRefusedAndClosed(c, response, 415)

    def test_accepted_type_is_read(self):
        c = self.connect()
        c.request("POST", "/upload?accept=text/csv,application/json",
                  [("Content-Type", "application/json; charset=utf-8"),
                   ("Content-Length", "2")], b"{}")
        _, final = c.read_final("POST")
        self.assertSummary(final, b"{}", content_type="application/json; charset=utf-8")


class KeepAlive(ClientInputWireTest):
    def test_one_connection_serves_method_upload_and_negotiate(self):
        c = self.connect()
        steps = [
            ("GET", "/method/GET", [], b"", 200),
            ("POST", "/upload", [("Content-Length", "3")], b"abc", 200),
            ("GET", "/negotiate/text/plain,text/csv", [("Accept", "text/csv")], b"", 200),
            ("PUT", "/method/GET,POST", [("Content-Length", "1")], b"x", 405),
            ("PUT", "/upload?max=10", [("Content-Length", "4")], b"abcd", 200),
            ("GET", "/negotiate/text/csv", [("Accept", "image/png")], b"", 406),
            ("HEAD", "/method/HEAD", [], b"", 200),
            ("GET", "/method/GET", [], b"", 200),
        ]
        for method, target, headers, body, status in steps:
            c.request(method, target, headers, body)
            interims, final = c.read_final(method)
            self.assertEqual(interims, [])
            self.assertEqual(final.status, status, "%s %s: %r" % (method, target, final.raw[:200]))
            self.assertNotIn("close", final.connection_tokens(), "%s %s" % (method, target))
            if target == "/upload":
                self.assertSummary(final, body)
        self.assertEqual(c.pending_bytes(0.2), b"")

    def test_405_from_method_list_carries_allow(self):
        c = self.connect()
        c.request("DELETE", "/method/GET,POST")
        _, final = c.read_final("DELETE")
        self.assertEqual(final.status, 405)
        self.assertEqual(final.header_all("Allow"), ["GET, POST"])

    # SPEC §1: OPTIONS is an ordinary method only on /status/ and /anything; elsewhere it asks
    # what the URL allows. /method/ answers with its own list, plus the OPTIONS being answered.
    def test_options_on_method_list_is_204_with_its_allow(self):
        c = self.connect()
        for target, allow in (("/method/GET,POST", "GET, POST, OPTIONS"),
                              ("/method/OPTIONS,PUT", "OPTIONS, PUT")):
            c.request("OPTIONS", target)
            _, final = c.read_final("OPTIONS")
            self.assertEqual(final.status, 204, final.raw[:200])
            self.assertEqual(final.header_all("Allow"), [allow])

    def test_head_on_method_get_is_answered_as_get(self):
        c = self.connect()
        c.request("GET", "/method/POST")
        _, get = c.read_final("GET")
        c.request("HEAD", "/method/POST")
        _, head = c.read_final("HEAD")
        self.assertEqual((head.status, head.header("Content-Length")),
                         (get.status, get.header("Content-Length")))


@unittest.skipUnless(shutil.which("curl"), "the curl CLI is not installed")
class CurlCli(ClientInputWireTest):
    def curl(self, *args):
        result = subprocess.run(["curl", "-s", "--max-time", str(CURL_TIMEOUT), *args],
                                capture_output=True, timeout=CURL_TIMEOUT + 5)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def body_file(self, data):
        f = tempfile.NamedTemporaryFile(delete=False)
        self.addCleanup(os.unlink, f.name)
        f.write(data)
        f.close()
        return f.name

    def test_curl_upload_file_with_put_echoes_sha256(self):
        data = bytes(range(256)) * 40
        out = self.curl("-T", self.body_file(data), SERVER.url("/upload"))
        summary = json.loads(out)
        self.assertEqual(summary["method"], "PUT")
        self.assertEqual(summary["bytes"], len(data))
        self.assertEqual(summary["sha256"], hashlib.sha256(data).hexdigest())

    def test_curl_expect_continue_over_max_is_413(self):
        path = self.body_file(b"x" * 100)
        out = self.curl("-o", "/dev/null", "-w", "%{http_code}", "--data-binary", "@" + path,
                        "-H", "Expect: 100-continue", SERVER.url("/upload?max=10"))
        self.assertEqual(out, b"413")


if __name__ == "__main__":
    unittest.main(verbosity=2)
