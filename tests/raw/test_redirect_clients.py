"""Real clients following statusd's redirects (SPEC §4): the curl CLI, urllib, http.client.

These pin down what each client does with the method and body on every redirect code, which is
what /redirect/{n} is for: the chain ends at /redirect/0, whose echo shows the final request.

What curl 7.88 does, as asserted below:
- `curl -d x -L`: 301, 302 and 303 are followed with GET and no body (RFC 9110 lets 301/302 do
  that, 303 demands it); 307 and 308 repeat POST with the body.
- `curl -X POST -d x -L`: -X replaces the method string of every request, so after 301, 302 or
  303 curl sends "POST" but without the body: a known curl pitfall, not a server bug.
- `--max-redirs N` ends a loop with exit code 47 (CURLE_TOO_MANY_REDIRECTS).
"""

import http.client
import json
import os
import shutil
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, StatusdServer  # noqa: E402

SERVER = None
CLIENT_TIMEOUT = 10
CURL = shutil.which("curl")
CURLE_TOO_MANY_REDIRECTS = 47


def setUpModule():
    global SERVER
    SERVER = StatusdServer().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()  # asserts exit code 0 after SIGTERM


def curl(*args):
    """Runs the curl CLI against the server (bounded); returns (exit code, stdout bytes)."""
    done = subprocess.run([CURL, "--silent", "--max-time", str(CLIENT_TIMEOUT), *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=CLIENT_TIMEOUT + 5)
    return done.returncode, done.stdout


def curl_echo(*args):
    """The echo JSON that a curl invocation ends on."""
    code, out = curl(*args)
    if code != 0:
        raise AssertionError("curl %s exited %d" % (" ".join(args), code))
    return json.loads(out)


@unittest.skipUnless(CURL, "the curl CLI is not installed")
class CurlFollowsRedirects(unittest.TestCase):
    def test_curl_follows_redirect_5_in_5_hops(self):
        code, out = curl("-L", "-o", "/dev/null", "-w", "%{num_redirects} %{http_code}",
                         SERVER.url("/redirect/5"))
        self.assertEqual(code, 0)
        self.assertEqual(out.decode(), "5 200")

    def test_curl_follows_absolute_and_scheme_relative_chains(self):
        for kind in ("absolute", "scheme-relative"):
            with self.subTest(type=kind):
                code, out = curl("-L", "-o", "/dev/null", "-w", "%{num_redirects} %{http_code}",
                                 SERVER.url("/redirect/3?type=" + kind))
                self.assertEqual(code, 0)
                self.assertEqual(out.decode(), "3 200")

    def test_every_hop_keeps_key_and_format_so_the_journal_sees_the_whole_chain(self):
        code, out = curl("-L", "-o", "/dev/null", "-w", "%{num_redirects} %{http_code}",
                         SERVER.url("/redirect/3?status=307&key=chain-k1&format=json"))
        self.assertEqual((code, out.decode()), (0, "3 200"))
        code, out = curl(SERVER.url("/journal?key=chain-k1"))
        paths = [record["path"] for record in json.loads(out)]
        self.assertEqual(len(paths), 4, paths)  # three hops and /redirect/0
        self.assertTrue(all("format=json" in p for p in paths), paths)

    def test_curl_gives_up_on_a_loop_with_exit_47(self):
        code, _ = curl("-L", "--max-redirs", "10", "-o", "/dev/null", SERVER.url("/loop/3"))
        self.assertEqual(code, CURLE_TOO_MANY_REDIRECTS)

    def test_loop_1_location_is_itself(self):
        code, out = curl("-I", SERVER.url("/loop/1"))
        self.assertEqual(code, 0)
        head = out.decode("latin-1").split("\r\n")
        self.assertTrue(head[0].startswith("HTTP/1.1 302"), head[0])
        self.assertIn("Location: /loop/1", head)

    def test_curl_307_and_308_keep_post_and_body(self):
        for status in ("307", "308"):
            with self.subTest(status=status):
                echo = curl_echo("-X", "POST", "-d", "x", "-L",
                                 SERVER.url("/redirect/1?status=" + status))
                self.assertEqual(echo["method"], "POST")
                self.assertEqual(echo["body_size"], 1)
                self.assertEqual(echo["body"], "x")
                self.assertEqual(echo["args"], {"status": status})

    def test_curl_303_turns_post_into_get(self):
        echo = curl_echo("-d", "x", "-L", SERVER.url("/redirect/2?status=303"))
        self.assertEqual(echo["method"], "GET")
        self.assertEqual(echo["body_size"], 0)

    def test_curl_301_and_302_turn_post_into_get(self):
        for status in ("301", "302"):
            with self.subTest(status=status):
                echo = curl_echo("-d", "x", "-L", SERVER.url("/redirect/1?status=" + status))
                self.assertEqual(echo["method"], "GET")
                self.assertEqual(echo["body_size"], 0)

    def test_curl_x_post_keeps_the_method_name_but_drops_the_body_after_302(self):
        echo = curl_echo("-X", "POST", "-d", "x", "-L", SERVER.url("/redirect/1?status=302"))
        self.assertEqual(echo["method"], "POST")
        self.assertEqual(echo["body_size"], 0)


class PythonClientsFollowRedirects(unittest.TestCase):
    def test_urllib_follows_redirect_3_to_the_echo(self):
        with urllib.request.urlopen(SERVER.url("/redirect/3"), timeout=CLIENT_TIMEOUT) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.geturl(), SERVER.url("/redirect/0"))
            self.assertEqual(r.headers["Content-Type"], "application/json")
            echo = json.loads(r.read())
        self.assertEqual(echo["method"], "GET")
        self.assertEqual(echo["target"], "/redirect/0")
        self.assertEqual(echo["url"], SERVER.url("/redirect/0"))

    def test_urllib_gives_up_on_a_loop(self):
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(SERVER.url("/loop/2"), timeout=CLIENT_TIMEOUT)
        self.assertIn("redirect", str(caught.exception).lower())
        caught.exception.close()

    def test_http_client_sees_the_location_of_redirect_to(self):
        connection = http.client.HTTPConnection(HOST, SERVER.port, timeout=CLIENT_TIMEOUT)
        try:
            connection.request("GET", "/redirect-to?url=/status/200&status=307")
            r = connection.getresponse()
            body = r.read()
            self.assertEqual(r.status, 307)
            self.assertEqual(r.getheader("Location"), "/status/200")
            self.assertEqual(r.getheader("Cache-Control"), "no-store")
            self.assertIn(b"/status/200", body)
        finally:
            connection.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
