"""Conditional requests and ranges with the curl CLI and on the raw wire (SPEC §7).

curl's own options (-r, -z, --etag-save / --etag-compare) must get what they ask for; on the
socket, a 304 and a HEAD must carry the 200's Content-Length and not one body byte, so a
request pipelined behind them is read right after.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RawConnection, StatusdServer  # noqa: E402

SERVER = None
CURL = shutil.which("curl")
CURL_TIMEOUT = 10
FUTURE_DATE = "Sun, 06 Nov 2095 08:49:37 GMT"


def setUpModule():
    global SERVER
    SERVER = StatusdServer().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()  # asserts exit code 0 after SIGTERM


def curl(*args):
    """Runs curl quietly; returns (stdout bytes, exit code)."""
    result = subprocess.run([CURL, "--silent", "--show-error", "--max-time", str(CURL_TIMEOUT),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=CURL_TIMEOUT + 5)
    return result.stdout, result.returncode


def get(path, *headers):
    lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@unittest.skipIf(CURL is None, "the curl CLI is not installed")
class CurlCliTest(unittest.TestCase):
    def test_curl_r_0_9_gets_exactly_10_bytes_in_a_206(self):
        out, code = curl("-r", "0-9", "-w", "\n%{http_code}", SERVER.url("/range/100"))
        self.assertEqual(code, 0)
        body, _, status = out.rpartition(b"\n")
        self.assertEqual(status, b"206")
        self.assertEqual(body, b"abcdefghij")

    def test_curl_z_with_a_future_date_gets_304(self):
        out, code = curl("-o", os.devnull, "-w", "%{http_code}", "-z", FUTURE_DATE,
                         SERVER.url("/cache"))
        self.assertEqual(code, 0)
        self.assertEqual(out, b"304")

    def test_curl_z_with_a_past_date_gets_200(self):
        out, code = curl("-o", os.devnull, "-w", "%{http_code}", "-z",
                         "Sun, 06 Nov 1994 08:49:37 GMT", SERVER.url("/cache"))
        self.assertEqual(code, 0)
        self.assertEqual(out, b"200")

    def test_curl_etag_save_then_etag_compare_gets_304(self):
        with tempfile.TemporaryDirectory() as folder:
            saved = os.path.join(folder, "etag")
            out, code = curl("-o", os.devnull, "-w", "%{http_code}", "--etag-save", saved,
                             SERVER.url("/etag/abc"))
            self.assertEqual((out, code), (b"200", 0))
            with open(saved, "rb") as f:
                self.assertEqual(f.read().strip(), b'"abc"')
            out, code = curl("-o", os.devnull, "-w", "%{http_code}", "--etag-compare", saved,
                             SERVER.url("/etag/abc"))
            self.assertEqual((out, code), (b"304", 0))


class WireTest(unittest.TestCase):
    def connect(self):
        c = RawConnection(SERVER.port)
        self.addCleanup(c.close)
        return c

    def test_304_has_the_200s_content_length_and_no_body_bytes(self):
        c = self.connect()
        c.send(get("/etag/abc"))
        full = c.read_response()
        self.assertEqual(full.status, 200)
        # The 304 and a request pipelined behind it: any stray body byte would make the
        # second response unparseable.
        c.send(get("/etag/abc", 'If-None-Match: "abc"') + get("/range/3"))
        not_modified = c.read_response()
        self.assertEqual(not_modified.status, 304)
        self.assertEqual(not_modified.header("Content-Length"), str(len(full.body)))
        self.assertFalse(not_modified.has_header("Transfer-Encoding"))
        after = c.read_response()
        self.assertEqual(after.status, 200)
        self.assertEqual(after.body, b"abc")
        self.assertEqual(c.pending_bytes(0.2), b"")

    def test_head_range_100_has_content_length_100_and_no_body(self):
        c = self.connect()
        c.send(b"HEAD /range/100 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + get("/range/2"))
        head = c.read_response(method="HEAD")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.header("Content-Length"), "100")
        self.assertEqual(head.header("Accept-Ranges"), "bytes")
        after = c.read_response()
        self.assertEqual(after.status, 200)
        self.assertEqual(after.body, b"ab")
        self.assertEqual(c.pending_bytes(0.2), b"")

    def test_head_with_range_is_the_full_200(self):
        c = self.connect()
        c.send(b"HEAD /range/100 HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-9\r\n\r\n")
        head = c.read_response(method="HEAD")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.header("Content-Length"), "100")
        self.assertFalse(head.has_header("Content-Range"))

    def test_multipart_byteranges_framing_is_exact(self):
        c = self.connect()
        c.send(get("/range/26", "Range: bytes=0-0,5-6"))
        r = c.read_response()
        self.assertEqual(r.status, 206)
        self.assertEqual(r.header("Content-Type"),
                         "multipart/byteranges; boundary=STATUSD-BYTERANGES")
        self.assertEqual(r.body,
                         b"--STATUSD-BYTERANGES\r\n"
                         b"Content-Type: application/octet-stream\r\n"
                         b"Content-Range: bytes 0-0/26\r\n\r\n"
                         b"a\r\n"
                         b"--STATUSD-BYTERANGES\r\n"
                         b"Content-Type: application/octet-stream\r\n"
                         b"Content-Range: bytes 5-6/26\r\n\r\n"
                         b"fg\r\n"
                         b"--STATUSD-BYTERANGES--\r\n")

    def test_head_bytes_has_content_length_and_no_body(self):
        c = self.connect()
        c.send(b"HEAD /bytes/1000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + get("/bytes/4?seed=7"))
        head = c.read_response(method="HEAD")
        self.assertEqual(head.header("Content-Length"), "1000")
        after = c.read_response()
        self.assertEqual(len(after.body), 4)
        self.assertEqual(c.pending_bytes(0.2), b"")


if __name__ == "__main__":
    unittest.main(verbosity=2)
