"""HEAD is answered exactly as GET would be, without the body (RFC 9110 §9.3.2).

One walk over every route of src/route_table.c and every code of /codes.json, so that a
difference between GET and HEAD (the Allow of a 405 that named the request's method, a note
that said "HEAD") cannot come back unseen. For each URL: the status, every header but Date,
and Content-Length are compared.

Left out, on purpose:
- the echo endpoints (/anything, /headers, and /redirect/0, which is the end of a chain and
  echoes, and /dump/request, which returns the request line): their body names the request's
  method, so GET's and HEAD's bodies differ by design (README "Echo");
- a Digest challenge's nonce, new for every challenge, is compared without its value;
- what is stateful or random by nature: /sequence/, /flaky/, /ratelimit/ (each request moves
  a counter), /journal (it records the walk itself), /fault/ (breaks the connection), /delay/
  and /drip (they take time), /status/101 (an upgrade), /bytes/ and /range/ without a seed
  (random bytes; they are walked with ?seed=), /uuid (a new one every time; its 400 is
  walked), /unstable without a seed (random; walked with ?seed=);
- the chunked streams /sse, /stream/{n}, /stream-bytes/{n} and /trailers: their HEAD closes
  the connection (libmicrohttpd writes a chunked body's last chunk even after a HEAD's head),
  so it adds Connection: close (test_streams.py checks their HEAD, and ?chunk='s).
(/post, /put, /patch and /delete are walked: GET and HEAD both get their 405.)
"""

import http.client
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, module_server  # noqa: E402

SERVER = None

# One URL (or more) per row of src/route_table.c, in its order.
ROUTE_URLS = [
    "/status/200", "/status/405", "/status/405?allow=GET,HEAD", "/status/406",
    "/status/401?scheme=basic", "/status/302", "/status/418?format=json",
    "/status/418?body=tea&content_type=text/x-tea&h=X-A:1", "/status/420?vendor=spring",
    "/", "/codes.json", "/codes/405", "/codes/200", "/static/app.js", "/favicon.ico",
    "/health", "/ready",
    "/redirect/2", "/redirect/2?type=absolute", "/redirect-to?url=/status/200",
    "/loop/2",
    "/get", "/get?a=1&a=2", "/post", "/put", "/patch", "/delete",
    "/ip", "/user-agent", "/gzip", "/deflate", "/brotli", "/zstd",
    "/basic-auth/u/p", "/hidden-basic-auth/u/p", "/digest-auth/auth/u/p", "/bearer",
    "/proxy-auth/u/p", "/forbidden",
    "/cookies", "/cookies/set?a=1&b=2&httponly", "/cookies/set/a/1", "/cookies/delete?a",
    "/cookies/set?a=%0d%0a", "/response-headers?X-A=1&X-A=2", "/response-headers?Content-Length=1",
    "/html", "/json", "/xml", "/robots.txt", "/deny", "/encoding/utf8", "/links/5/2", "/links/999",
    "/base64/SGVsbG8", "/base64/a*", "/uuid?version=9", "/hostname", "/unstable?seed=3",
    "/unstable?failure_rate=1&seed=1", "/unstable?failure_rate=2",
    "/etag/abc", "/cache", "/cache/60", "/range/64?seed=1", "/bytes/64?seed=1",
    "/upload",
    "/method/GET", "/method/POST", "/method/PUT,DELETE",
    "/negotiate/text/csv,application/json", "/negotiate/image/png",
    "/image", "/image/webp", "/image/nope",
    "/no/such/page",
    # ?encoding=auto on any URL (the coded forms with Accept-Encoding: test_encodings.py).
    "/status/200?encoding=auto", "/codes/200?encoding=auto", "/range/64?seed=1&encoding=auto",
]

HEADERS_LEFT_OUT = {"date"}


setUpModule, tearDownModule = module_server(globals())


def fetch(method, url):
    connection = http.client.HTTPConnection(HOST, SERVER.port, timeout=10)
    try:
        connection.request(method, url, headers={"Accept": "*/*"})
        response = connection.getresponse()
        body = response.read()  # empty for HEAD: http.client knows HEAD has no body
        headers = sorted((n.lower(), re.sub(r'nonce="[^"]*"', 'nonce=""', v))
                         for n, v in response.getheaders() if n.lower() not in HEADERS_LEFT_OUT)
        return response.status, headers, body
    finally:
        connection.close()


class HeadEqualsGetTest(unittest.TestCase):
    def assertHeadEqualsGet(self, url):
        get_status, get_headers, get_body = fetch("GET", url)
        head_status, head_headers, head_body = fetch("HEAD", url)
        self.assertEqual(head_status, get_status, url)
        self.assertEqual(head_headers, get_headers, url)
        self.assertEqual(head_body, b"", url)
        length = dict(get_headers).get("content-length")
        # A 304 may carry the Content-Length a 200 would have (RFC 9110 §8.6), with no body.
        if length is not None and get_status not in (204, 304):
            self.assertEqual(int(length), len(get_body), url)

    def test_every_route_answers_head_as_get(self):
        for url in ROUTE_URLS:
            with self.subTest(url=url):
                self.assertHeadEqualsGet(url)

    def test_every_catalogue_code_answers_head_as_get(self):
        status, _, body = fetch("GET", "/codes.json")
        self.assertEqual(status, 200)
        entries = json.loads(body)["codes"]
        walked = 0
        for entry in entries:
            if entry["code"] == 101:
                continue  # an upgrade: test_websocket.py
            for url in (entry["status_url"], entry["explain_url"]):
                with self.subTest(url=url):
                    self.assertHeadEqualsGet(url)
            walked += 1
        self.assertGreater(walked, 50)

    def test_405_allow_is_the_same_for_get_and_head(self):
        for url in ("/status/405", "/codes/405", "/method/POST", "/upload"):
            with self.subTest(url=url):
                get_status, get_headers, get_body = fetch("GET", url)
                head_status, head_headers, _ = fetch("HEAD", url)
                self.assertEqual(dict(head_headers).get("allow"), dict(get_headers).get("allow"))
                self.assertEqual(dict(head_headers).get("content-length"),
                                 dict(get_headers).get("content-length"))
                if url == "/status/405":
                    # SPEC §2: every method but the request's, GET and HEAD counting as one.
                    self.assertEqual(dict(get_headers)["allow"], "POST, PUT, PATCH, DELETE, OPTIONS")


if __name__ == "__main__":
    unittest.main(verbosity=2)
