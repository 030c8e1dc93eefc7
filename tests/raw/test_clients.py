"""statusd seen by real clients: Python's http.client and the curl command-line tool.

http.client only skips `100 Continue` by itself; any other 1xx (102, 103, 104) it would hand
back as the response and then lose the final one. The catalogue test therefore uses a
response class that reads past every interim response except 101, and records them.
"""

import glob
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import HOST, StatusdServer, source_root  # noqa: E402

SERVER = None
CURL = shutil.which("curl") or "/usr/bin/curl"
CURL_TIMEOUT = 15


def setUpModule():
    global SERVER
    SERVER = StatusdServer().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()  # asserts exit code 0 after SIGTERM


def connection(port=None, timeout=harness.SOCKET_TIMEOUT):
    return http.client.HTTPConnection(HOST, port or SERVER.port, timeout=timeout)


class InterimSkippingResponse(http.client.HTTPResponse):
    """An HTTPResponse that skips every interim 1xx but 101 and remembers their codes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.interim_codes = []

    def _read_status(self):
        for _ in range(20):
            version, status, reason = super()._read_status()
            if 100 <= status < 200 and status != 101:
                http.client._read_headers(self.fp)  # an interim response has no body
                self.interim_codes.append(status)
                continue
            return version, status, reason
        raise http.client.HTTPException("more than 20 interim responses")


class InterimSkippingConnection(http.client.HTTPConnection):
    response_class = InterimSkippingResponse


def catalogue_entries():
    """(code, sub) of every entry in static/catalog/*.json but classes.json."""
    entries = []
    pattern = os.path.join(source_root(), "static", "catalog", "*.json")
    for path in sorted(glob.glob(pattern)):
        if os.path.basename(path) == "classes.json":
            continue
        with open(path, encoding="utf-8") as f:
            for entry in json.load(f):
                entries.append((int(entry["code"]), entry.get("sub")))
    return entries


# --- http.client ----------------------------------------------------------------------------

class PythonHttpClient(unittest.TestCase):
    def fetch(self, path, method="GET", headers=None):
        c = connection()
        self.addCleanup(c.close)
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        return r, body

    def test_429_has_retry_after_5(self):
        r, body = self.fetch("/status/429")
        self.assertEqual(r.status, 429)
        self.assertEqual(r.getheader("Retry-After"), "5")
        self.assertEqual(int(r.getheader("Content-Length")), len(body))

    def test_401_has_basic_challenge_realm_statusd(self):
        r, _ = self.fetch("/status/401")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.getheader("WWW-Authenticate"), 'Basic realm="statusd"')

    def test_405_allow_present_and_not_listing_get(self):
        r, _ = self.fetch("/status/405")
        self.assertEqual(r.status, 405)
        allow = r.getheader("Allow")
        self.assertTrue(allow, r.getheaders())
        methods = [m.strip().upper() for m in allow.split(",")]
        self.assertNotIn("GET", methods)
        self.assertTrue(methods)

    def test_head_302_has_location_and_empty_body(self):
        r, body = self.fetch("/status/302", method="HEAD")
        self.assertEqual(r.status, 302)
        self.assertEqual(r.getheader("Location"), "/status/200")
        self.assertEqual(body, b"")

    def test_json_with_accept_header_parses_with_required_keys(self):
        r, body = self.fetch("/status/418", headers={"Accept": "application/json"})
        self.assertEqual(r.status, 418)
        self.assertTrue(r.getheader("Content-Type", "").startswith("application/json"),
                        r.getheader("Content-Type"))
        doc = json.loads(body.decode("utf-8"))
        for key in ("status", "code", "reason", "zh", "en", "headers"):
            self.assertIn(key, doc)
        self.assertEqual(doc["status"], 418)

    def test_every_catalogue_code_on_one_keep_alive_connection(self):
        entries = catalogue_entries()
        self.assertGreater(len(entries), 100, "the catalogue looks truncated")
        c = InterimSkippingConnection(HOST, SERVER.port, timeout=harness.SOCKET_TIMEOUT)
        self.addCleanup(c.close)
        reconnects = []
        sock = None
        for code, sub in entries:
            path = "/status/%d" % code + (".%d" % sub if sub is not None else "")
            with self.subTest(path=path):
                c.request("GET", path)
                if sock is not None and c.sock is not sock:
                    reconnects.append(path)
                sock = c.sock
                r = c.getresponse()
                body = r.read()
                if code == 101:
                    expected, interims = 426, []
                elif code < 200:
                    expected, interims = 200, [code]
                else:
                    expected, interims = code, []
                self.assertEqual(r.status, expected)
                self.assertEqual(r.interim_codes, interims)
                length = r.getheader("Content-Length")
                if code in (204, 304):
                    self.assertEqual(body, b"")
                    if code == 204:
                        self.assertIsNone(length)
                else:
                    self.assertIsNotNone(length, "no Content-Length on %s" % path)
                    self.assertEqual(int(length), len(body))
                if r.will_close:
                    # Only a response that announces it may end the connection.
                    self.assertIn("close", (r.getheader("Connection") or "").lower())
                    sock = None
        # The connection was reused throughout, except after announced closes.
        self.assertEqual(reconnects, [], "the connection dropped without Connection: close")


# --- the curl command-line tool -------------------------------------------------------------

@unittest.skipUnless(os.access(CURL, os.X_OK), "curl is not installed")
class CurlCli(unittest.TestCase):
    def curl(self, *args):
        result = subprocess.run([CURL, "--max-time", "10", *args], stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=CURL_TIMEOUT)
        self.assertEqual(result.returncode, 0, "curl %s failed (%d): %s" % (
            " ".join(args), result.returncode, result.stderr.decode("utf-8", "replace")[-800:]))
        return result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")

    def test_write_out_http_code_503(self):
        out, _ = self.curl("-s", "-o", "/dev/null", "-w", "%{http_code}", SERVER.url("/status/503"))
        self.assertEqual(out, "503")

    def test_head_with_dash_capital_i(self):
        out, _ = self.curl("-sI", SERVER.url("/status/200"))
        lines = out.split("\r\n")
        self.assertTrue(lines[0].startswith("HTTP/1.1 200 "), lines[0])
        lengths = [l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("content-length:")]
        self.assertEqual(len(lengths), 1, out)
        body, _ = self.curl("-s", SERVER.url("/status/200"))
        self.assertEqual(int(lengths[0]), len(body.encode("utf-8")))

    def test_follow_302_ends_200_after_one_redirect(self):
        out, _ = self.curl("-sL", "-o", "/dev/null", "-w", "%{http_code} %{num_redirects}",
                           SERVER.url("/status/302"))
        self.assertEqual(out, "200 1")

    def test_expect_100_continue_upload_gets_201(self):
        with tempfile.NamedTemporaryFile(suffix=".bin") as f:
            f.write(b"x" * 2000)
            f.flush()
            out, err = self.curl("-sv", "-H", "Expect: 100-continue", "--data-binary", "@" + f.name,
                                 "-o", "/dev/null", "-w", "%{http_code}", SERVER.url("/status/201"))
        self.assertEqual(out, "201")
        self.assertIn("> Expect: 100-continue", err)
        statuses = [l for l in err.splitlines() if l.startswith("< HTTP/")]
        self.assertEqual([s.split(" ")[2] for s in statuses], ["100", "201"], statuses)

    def test_verbose_shows_103_then_200(self):
        _, err = self.curl("-sv", "-o", "/dev/null", SERVER.url("/status/103"))
        lines = err.splitlines()
        interim = [i for i, l in enumerate(lines) if l.startswith("< HTTP/1.1 103")]
        final = [i for i, l in enumerate(lines) if l.startswith("< HTTP/1.1 200")]
        self.assertEqual(len(interim), 1, err[-1500:])
        self.assertEqual(len(final), 1, err[-1500:])
        self.assertLess(interim[0], final[0])
        link = [i for i, l in enumerate(lines) if l.startswith("< Link: </static/style.css>; rel=preload")]
        self.assertTrue(link and interim[0] < link[0] < final[0], err[-1500:])


# --- SIGTERM while a request is in flight (own server) -------------------------------------

class GracefulShutdown(unittest.TestCase):
    def test_sigterm_finishes_in_flight_request_then_exits_0(self):
        server = StatusdServer().start()
        try:
            result = {}

            def request():
                try:
                    c = connection(server.port, timeout=12)
                    c.request("GET", "/status/200?delay=2")
                    r = c.getresponse()
                    result["status"] = r.status
                    result["body"] = r.read()
                    c.close()
                except Exception as e:  # reported by the assertions below
                    result["error"] = repr(e)

            t = threading.Thread(target=request, daemon=True)
            t.start()
            time.sleep(0.3)
            signalled = time.monotonic()
            server.send_sigterm()
            t.join(timeout=12)
            self.assertFalse(t.is_alive(), "the in-flight request never finished")
            self.assertNotIn("error", result)
            self.assertEqual(result.get("status"), 200)
            self.assertTrue(result.get("body"))
            # The listener is shut before in-flight requests are finished, so by now a new
            # connection is refused whether or not the process has exited yet.
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection((HOST, server.port), timeout=2).close()
            code = server.wait_exit(timeout=max(0.5, 12 - (time.monotonic() - signalled)))
            self.assertEqual(code, 0, server.stderr_text())
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection((HOST, server.port), timeout=2).close()
        finally:
            server.kill()
            server._close_files()


if __name__ == "__main__":
    unittest.main(verbosity=2)
