"""statusd under valgrind's memcheck: a representative mix of requests (status codes, interim
responses, redirects, echo with bodies, auth, ranges, delays, sequences, faults, a WebSocket
session, hostile heads, clients that vanish), then SIGTERM with a request in flight. Passes
when valgrind finds no invalid access, no use of uninitialised memory and no definite leak
(its exit status would be 99) and statusd exits 0.

Skipped when valgrind is missing (scripts/deps --test installs it). Its own meson suite,
'valgrind', which the sanitizer stages of scripts/test leave out: valgrind cannot run a
sanitizer build.
"""

import base64
import hashlib
import http.client
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import RawConnection, StatusdServer, health_ok  # noqa: E402

VALGRIND_ERRORS = 99
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def get(target, extra=b""):
    return b"GET " + target.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + b"\r\n"


class Valgrind(unittest.TestCase):
    def setUp(self):
        if not shutil.which("valgrind"):
            self.skipTest("valgrind is not installed (scripts/deps --test installs it)")
        self.log = tempfile.NamedTemporaryFile(prefix="statusd-valgrind-", suffix=".log")
        self.addCleanup(self.log.close)
        self.server = StatusdServer("--timeout", "2", "--max-delay", "5", "--threads", "2")
        self.server.args = ["valgrind", "--error-exitcode=%d" % VALGRIND_ERRORS,
                            "--leak-check=full", "--errors-for-leak-kinds=definite",
                            "--log-file=" + self.log.name, *self.server.args]
        harness.START_TIMEOUT = 60  # read at start(): valgrind starts slowly
        self.server.start()
        self.addCleanup(self.stop_anyway)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=20)
        self.addCleanup(self.conn.close)

    def stop_anyway(self):
        self.server.kill()  # a no-op once it has exited
        self.server._close_files()

    # -- request helpers -------------------------------------------------------------------
    def call(self, method, target, status, body=None, headers=None):
        self.conn.request(method, target, body=body, headers=headers or {})
        response = self.conn.getresponse()
        data = response.read()
        self.assertEqual(response.status, status, "%s %s: %r" % (method, target, data[:200]))
        return response, data

    def raw(self, data, timeout=20):
        """Sends bytes on a new connection; returns everything until the server closes or the
        timeout (whichever comes first)."""
        with RawConnection(self.server.port, timeout=timeout) as c:
            try:
                c.send(data)
                return c.read_until_close(timeout=timeout)
            except (OSError, socket.timeout):
                return c.buf

    # -- the mix -----------------------------------------------------------------------------
    def status_codes(self):
        for target, status in [("/status/200", 200), ("/status/404?format=json", 404),
                               ("/status/418?format=html&lang=zh", 418), ("/status/503", 503),
                               ("/status/302", 302), ("/status/204", 204), ("/status/600", 600),
                               ("/status/200,503?seed=4", None), ("/status/403.4", 403),
                               ("/status/999", 999), ("/nowhere", 404),
                               ("/status/abc", 400), ("/", 200), ("/codes/404", 200),
                               ("/codes.json", 200), ("/health", 200)]:
            self.conn.request("GET", target)
            response = self.conn.getresponse()
            response.read()
            if status is not None:
                self.assertEqual(response.status, status, target)
        self.call("HEAD", "/status/200", 200)
        # http.client would take an interim response for the final one: raw socket.
        for code in (100, 102, 103):
            with RawConnection(self.server.port, timeout=20) as c:
                c.send(get("/status/%d" % code))
                interims, final = c.read_final()
                self.assertEqual(([r.status for r in interims], final.status), ([code], 200))
        self.call("OPTIONS", "/health", 204, headers={"Origin": "http://x",
                                                      "Access-Control-Request-Method": "PUT"})

    def redirects(self):
        target = "/redirect/3"
        for _ in range(3):
            response, _ = self.call("GET", target, 302)
            target = response.getheader("Location")
        self.call("GET", target, 200)
        self.call("GET", "/redirect-to?url=/status/418&status=308", 308)
        self.call("GET", "/loop/2", 302)

    def echo(self):
        _, data = self.call("POST", "/anything/x?a=1", 200, body=b'{"k": [1, 2, "\\u4e2d"]}',
                            headers={"Content-Type": "application/json"})
        self.assertEqual(json.loads(data)["json"], {"k": [1, 2, "\u4e2d"]})
        self.call("PUT", "/anything", 200, body=b"a=1&b=2",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.call("POST", "/anything", 200, body=bytes(range(256)) * 40)  # base64 path
        self.call("PUT", "/upload", 200, body=b"x" * 100000)
        self.call("GET", "/headers", 200)
        self.call("GET", "/user-agent", 200, headers={"User-Agent": "valgrind"})
        chunked = self.raw(b"POST /anything HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                           b"Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        self.assertIn(b'"hello"', chunked)
        refused = self.raw(b"POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
        self.assertTrue(refused.startswith(b"HTTP/1.1 413 "), refused[:40])

    def auth(self):
        good = base64.b64encode(b"u:p").decode()
        bad = base64.b64encode(b"u:x").decode()
        self.call("GET", "/basic-auth/u/p", 200, headers={"Authorization": "Basic " + good})
        self.call("GET", "/basic-auth/u/p", 401, headers={"Authorization": "Basic " + bad})
        self.call("GET", "/basic-auth/u/p", 401)
        self.call("GET", "/hidden-basic-auth/u/p", 404)
        self.call("GET", "/bearer", 200, headers={"Authorization": "Bearer t0k3n"})
        self.call("GET", "/proxy-auth/u/p", 407)
        self.call("GET", "/digest-auth/auth/u/p", 401)
        if shutil.which("curl"):
            for algorithm in ("", "/SHA-256"):
                run = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                      "--digest", "-u", "u:p", self.server.url(
                                          "/digest-auth/auth/u/p" + algorithm)],
                                     capture_output=True, timeout=30)
                self.assertEqual(run.stdout, b"200", algorithm)

    def conditional_and_ranges(self):
        self.call("GET", "/etag/abc", 304, headers={"If-None-Match": '"abc"'})
        self.call("GET", "/etag/abc", 412, headers={"If-Match": '"zzz"'})
        self.call("GET", "/cache/60", 200)
        self.call("GET", "/range/100", 206, headers={"Range": "bytes=0-9"})
        self.call("GET", "/range/100", 206, headers={"Range": "bytes=0-9,50-59"})
        self.call("GET", "/range/100", 416, headers={"Range": "bytes=500-"})
        self.call("GET", "/bytes/3000?seed=7", 200)

    def timing_and_state(self):
        self.call("GET", "/delay/0.3", 200)
        self.call("GET", "/status/201?delay=0.2", 201)
        _, data = self.call("GET", "/drip?numbytes=10&duration=0.5", 200)
        self.assertEqual(len(data), 10)
        self.call("GET", "/sequence/500,200?key=vg", 500)
        self.call("GET", "/sequence/500,200?key=vg", 200)
        _, journal = self.call("GET", "/journal?key=vg", 200)
        self.assertEqual([r["status"] for r in json.loads(journal)], [500, 200])
        self.call("DELETE", "/sequence/500,200?key=vg", 200)
        self.call("GET", "/flaky/1?key=vgf", 503)
        self.call("GET", "/flaky/1?key=vgf", 200)
        self.call("GET", "/ratelimit/1/60?key=vgr", 200)
        self.call("GET", "/ratelimit/1/60?key=vgr", 429)
        self.call("PATCH", "/method/GET,POST", 405)
        self.call("GET", "/negotiate/application/json", 406, headers={"Accept": "image/png"})

    def faults(self):
        for kind in ("reset", "close", "truncate", "bad-chunk", "garbage"):
            self.raw(get("/fault/" + kind), timeout=10)
        self.raw(get("/fault/hang"), timeout=1)  # the client gives up first

    def websocket(self):
        key = base64.b64encode(os.urandom(16))
        with RawConnection(self.server.port, timeout=20) as c:
            c.send(get("/status/101", b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                       b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n"))
            response = c.read_response()
            self.assertEqual(response.status, 101)
            accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
            self.assertEqual(response.header("Sec-WebSocket-Accept"), accept)
            mask = os.urandom(4)
            payload = "回声 echo".encode()
            masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
            c.send(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
            c.send(bytes([0x88, 0x82]) + mask + bytes(b ^ mask[i] for i, b in
                                                      enumerate(struct.pack(">H", 1000))))
            data = c.read_until_close(timeout=20)
            self.assertIn(payload, data)

    def hostile(self):
        for data, status in [(get("/headers", b"X-A: one\r\n two\r\n"), b"400"),
                             (get("/headers", b"X-A: a\x00b\r\n"), b"400"),
                             (get("/" + "a" * 20000), b"414"),
                             (get("/", b"X-Big: " + b"a" * 20000 + b"\r\n"), b"431"),
                             (get("/status/200?x=%00"), b"400")]:
            answer = self.raw(data)
            self.assertTrue(answer.startswith(b"HTTP/1.1 " + status), answer[:60])
        # Clients that vanish: mid-head, mid-body, mid-delay; one that stalls (408 at 2 s).
        for data in (b"GET /status/200 HTTP/1.1\r\nHost: x\r\nX-Pa",
                     b"POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nab",
                     get("/delay/0.5")):
            c = RawConnection(self.server.port)
            c.send(data)
            c.close()
        stalled = self.raw(b"POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nab")
        self.assertTrue(stalled.startswith(b"HTTP/1.1 408 "), stalled[:40])

    def concurrent(self):
        errors = []

        def client(n):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
                for i in range(10):
                    conn.request("GET", "/status/%d?delay=0.0%d" % (200 + i, n))
                    response = conn.getresponse()
                    response.read()
                    if response.status != 200 + i:
                        errors.append(response.status)
                conn.close()
            except Exception as e:  # reported below, in the test's thread
                errors.append(repr(e))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(errors, [])

    # -- the test ----------------------------------------------------------------------------
    def test_representative_traffic_has_no_memory_errors_or_leaks(self):
        for part in (self.status_codes, self.redirects, self.echo, self.auth,
                     self.conditional_and_ranges, self.timing_and_state, self.faults,
                     self.websocket, self.hostile, self.concurrent):
            with self.subTest(part=part.__name__):
                part()
        self.assertEqual(health_ok(self.server.port), 200)
        # SIGTERM with a delayed request in flight: it is answered, then statusd exits.
        in_flight = RawConnection(self.server.port, timeout=30)
        self.addCleanup(in_flight.close)
        in_flight.send(get("/delay/4"))
        time.sleep(0.5)
        self.server.send_sigterm()
        self.assertEqual(in_flight.read_response().status, 200)
        code = self.server.wait_exit(timeout=60)
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            report = f.read()
        self.assertNotEqual(code, VALGRIND_ERRORS, "valgrind found errors:\n" + report[-6000:])
        self.assertEqual(code, 0, report[-3000:])
        self.assertIn("ERROR SUMMARY: 0 errors", report)


if __name__ == "__main__":
    unittest.main(verbosity=2)
