"""/status/{code} composes a whole response from one URL (issue 14, README "Make it return
exactly this"): ?body= / ?body_base64= and ?content_type= beside ?h= and ?delay=; ranges of
codes in the code list (/status/500-504, /status/200,500-504:3); ?vendor= for a number two
vendors use differently. Bad input is a clear 400 that sends nothing of what was asked.
"""

import http.client
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, module_server  # noqa: E402

MAX_BODY = 64
SERVER = None


setUpModule, tearDownModule = module_server(globals(), "--max-body", str(MAX_BODY))


def fetch(url, method="GET", headers=None):
    connection = http.client.HTTPConnection(HOST, SERVER.port, timeout=10)
    try:
        connection.request(method, url, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def header(headers, name):
    values = [v for n, v in headers if n.lower() == name.lower()]
    return values[0] if len(values) == 1 else (values or None)


class BodyTest(unittest.TestCase):
    def test_one_url_sets_status_headers_type_body_and_delay(self):
        query = urllib.parse.urlencode([("body", "id,name\n1,茶\n"),
                                        ("content_type", "text/csv; charset=utf-8"),
                                        ("h", "X-Trace:abc"), ("delay", "0.01")])
        status, headers, body = fetch("/status/418?" + query)
        self.assertEqual(status, 418)
        self.assertEqual(body, "id,name\n1,茶\n".encode())
        self.assertEqual(header(headers, "Content-Type"), "text/csv; charset=utf-8")
        self.assertEqual(header(headers, "X-Trace"), "abc")
        self.assertEqual(header(headers, "Content-Length"), str(len(body)))

    def test_body_without_type_is_utf8_text(self):
        status, headers, body = fetch("/status/503?body=down")
        self.assertEqual((status, body), (503, b"down"))
        self.assertEqual(header(headers, "Content-Type"), "text/plain; charset=utf-8")
        # the code's own headers stay: a 503 still says when to come back
        self.assertEqual(header(headers, "Retry-After"), "5")

    def test_empty_body_is_an_empty_body(self):
        status, headers, body = fetch("/status/200?body=&content_type=application/json")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(header(headers, "Content-Length"), "0")

    def test_base64_body_gives_any_bytes(self):
        raw = bytes([0, 255, 10, 13, 0x89]) + b"PNG"
        for encoded in (urllib.parse.quote(__import__("base64").b64encode(raw)),
                        __import__("base64").urlsafe_b64encode(raw).decode().rstrip("=")):
            with self.subTest(encoded=encoded):
                status, headers, body = fetch("/status/201?body_base64=" + encoded)
                self.assertEqual((status, body), (201, raw))
                self.assertEqual(header(headers, "Content-Type"), "application/octet-stream")

    def test_head_has_get_headers_and_no_body(self):
        url = "/status/202?body=hello&content_type=text/x-demo&h=X-A:1"
        get_status, get_headers, _ = fetch(url)
        head_status, head_headers, head_body = fetch(url, "HEAD")
        self.assertEqual(head_status, get_status)
        self.assertEqual(head_body, b"")
        strip = lambda hs: sorted((n.lower(), v) for n, v in hs if n.lower() != "date")
        self.assertEqual(strip(head_headers), strip(get_headers))
        self.assertEqual(header(head_headers, "Content-Length"), "5")

    def test_partial_content_serves_the_range_of_the_body(self):
        status, headers, body = fetch("/status/206?body=abcdefghij", headers={"Range": "bytes=2-4"})
        self.assertEqual((status, body), (206, b"cde"))
        self.assertEqual(header(headers, "Content-Range"), "bytes 2-4/10")
        status, headers, body = fetch("/status/206?body=abcdefghij")
        self.assertEqual((status, body), (206, b"abcdefghij"))
        self.assertEqual(header(headers, "Content-Range"), "bytes 0-9/10")
        status, headers, _ = fetch("/status/206?body=abc", headers={"Range": "bytes=10-20"})
        self.assertEqual(status, 416)
        self.assertEqual(header(headers, "Content-Range"), "bytes */3")

    def assertRefused(self, url, *words):
        status, headers, body = fetch(url, headers={"Accept": "text/plain"})
        self.assertEqual(status, 400, url)
        text = body.decode()
        for word in words:
            self.assertIn(word, text, url)
        return headers, text

    def test_content_type_with_cr_lf_or_control_bytes_is_refused(self):
        for value in ("text/plain%0d%0aX-Injected:%201", "text/plain%0aX-Injected:%201",
                      "text%01/plain", "text", "text/plain;%20a",
                      "text/caf%C3%A9", "a/" + "b" * 300):
            with self.subTest(value=value):
                headers, text = self.assertRefused("/status/200?body=x&content_type=" + value,
                                                   "content_type", "媒体类型")
                self.assertIsNone(header(headers, "X-Injected"))
                self.assertNotIn("text/plain\r\n", text)

    def test_nul_in_content_type_is_refused(self):
        self.assertRefused("/status/200?body=x&content_type=text/plain%00", "content_type")

    def test_body_over_max_body_is_refused_in_both_languages(self):
        _, text = self.assertRefused("/status/200?body=" + "x" * (MAX_BODY + 1),
                                     "--max-body", str(MAX_BODY), "字节")
        self.assertNotIn("x" * (MAX_BODY + 1), text)
        status, _, body = fetch("/status/200?body=" + "x" * MAX_BODY)
        self.assertEqual((status, len(body)), (200, MAX_BODY))
        encoded = __import__("base64").b64encode(b"y" * (MAX_BODY + 3)).decode()
        self.assertRefused("/status/200?body_base64=" + encoded, "body_base64", "--max-body")

    def test_bad_base64_is_refused(self):
        for value in ("!!!!", "a", "YWJj%3D%3D%3Dx", "YR"):
            with self.subTest(value=value):
                self.assertRefused("/status/200?body_base64=" + value, "body_base64", "base64")

    def test_body_and_base64_together_are_refused(self):
        self.assertRefused("/status/200?body=a&body_base64=YQ", "body_base64")

    def test_content_type_alone_is_refused(self):
        self.assertRefused("/status/200?content_type=text/csv", "content_type", "body=")

    def test_statuses_without_content_refuse_a_body(self):
        for code in (204, 205, 304):
            with self.subTest(code=code):
                self.assertRefused("/status/%d?body=x" % code, str(code), "RFC 9110")


class CodeRangeTest(unittest.TestCase):
    def test_range_picks_only_and_every_code_in_it(self):
        seen = set()
        for seed in range(200):
            status, _, _ = fetch("/status/500-504?seed=%d" % seed)
            self.assertIn(status, range(500, 505))
            seen.add(status)
        self.assertEqual(seen, set(range(500, 505)))

    def test_weighted_list_with_a_range(self):
        seen = set()
        for seed in range(200):
            status, _, _ = fetch("/status/200,500-504:3?seed=%d" % seed)
            seen.add(status)
        self.assertTrue(seen <= {200, 500, 501, 502, 503, 504}, seen)
        self.assertGreaterEqual(len(seen), 5)

    def test_same_seed_same_pick(self):
        first = fetch("/status/400-599?seed=7")[0]
        for _ in range(3):
            self.assertEqual(fetch("/status/400-599?seed=7")[0], first)

    def test_bad_ranges_are_refused(self):
        self.assertRefused = BodyTest.assertRefused.__get__(self)
        self.assertRefused("/status/504-500", "500-504", "从小到大")
        self.assertRefused("/status/099-200", "100", "999")
        self.assertRefused("/status/500-1000", "500-504")
        self.assertRefused("/status/500-5a4", "500-504")


class VendorTest(unittest.TestCase):
    def catalogue(self):
        status, _, body = fetch("/codes.json")
        self.assertEqual(status, 200)
        return {e["key"]: e for e in json.loads(body)["codes"]}

    def test_vendor_codes_are_catalogued_with_vendor_and_source(self):
        codes = self.catalogue()
        expected = {"460": "aws", "463": "aws", "464": "aws", "561": "aws", "440": "iis",
                    "449": "iis", "419": "laravel", "420": "twitter", "430": "shopify",
                    "498": "esri", "499": "nginx", "444": "nginx", "451": "rfc",
                    "520": "cloudflare", "527": "cloudflare", "530": "cloudflare"}
        for key, vendor in expected.items():
            with self.subTest(key=key):
                entry = codes[key]
                self.assertEqual(entry["vendor"], vendor)
                self.assertTrue(entry["source"]["url"].startswith("https://"))
                self.assertTrue(entry["zh"]["meaning"] and entry["en"]["meaning"])
        also = {key: [a["vendor"] for a in codes[key].get("also", [])] for key in codes}
        self.assertEqual(also["420"], ["spring"])
        self.assertEqual(also["451"], ["iis"])
        self.assertEqual(also["499"], ["esri"])
        self.assertEqual(codes["451"]["also"][0]["reason"], "Redirect")
        self.assertFalse(codes["451"]["also"][0]["official"])

    def test_vendor_picks_the_explanation(self):
        cases = [("420", "spring", "Method Failure"), ("420", "twitter", "Enhance Your Calm"),
                 ("451", "iis", "X-MS-Location"), ("499", "esri", "Token Required"),
                 ("499", "ESRI", "Token Required"), ("499", "nginx", "Client Closed Request")]
        for code, vendor, words in cases:
            with self.subTest(code=code, vendor=vendor):
                status, headers, body = fetch("/status/%s?vendor=%s&lang=en" % (code, vendor))
                self.assertEqual(status, int(code))
                self.assertIn(words, body.decode())
        # RFC 7725's blocked-by Link belongs to the legal 451, not to Exchange's redirect.
        _, headers, _ = fetch("/status/451")
        self.assertIsNotNone(header(headers, "Link"))
        _, headers, body = fetch("/status/451?vendor=iis")
        self.assertIsNone(header(headers, "Link"))
        self.assertNotIn("Legal", body.decode())

    def test_head_with_vendor_equals_get(self):
        get_status, get_headers, _ = fetch("/status/420?vendor=spring")
        head_status, head_headers, _ = fetch("/status/420?vendor=spring", "HEAD")
        strip = lambda hs: sorted((n.lower(), v) for n, v in hs if n.lower() != "date")
        self.assertEqual((head_status, strip(head_headers)), (get_status, strip(get_headers)))

    def test_unknown_vendor_is_a_400_listing_the_vendors(self):
        status, _, body = fetch("/status/420?vendor=github&lang=en")
        self.assertEqual(status, 400)
        self.assertIn("twitter, spring", body.decode())
        status, _, body = fetch("/status/420?vendor=github&lang=zh")
        self.assertIn("twitter, spring", body.decode())
        self.assertIn("厂商", body.decode())
        status, _, body = fetch("/status/404?vendor=rfc&lang=en")
        self.assertEqual(status, 400)
        self.assertIn("one meaning only", body.decode())

    def test_code_page_shows_every_meaning_and_links_its_sources(self):
        for key, vendor, source in (("420", "spring", "docs.spring.io"),
                                    ("451", "iis", "learn.microsoft.com"),
                                    ("499", "esri", "arcgis.com")):
            with self.subTest(key=key):
                status, _, body = fetch("/codes/" + key, headers={"Accept": "text/html"})
                html = body.decode()
                self.assertEqual(status, 200)
                self.assertIn('id="vendor-%s"' % vendor, html)
                self.assertIn('href="/status/%s?vendor=%s"' % (key, vendor), html)
                self.assertIn(source, html)
                self.assertIn("同一数字的其他含义", html)

    def test_index_filter_words_hold_the_other_meanings(self):
        _, _, body = fetch("/", headers={"Accept": "text/html"})
        row = [line for line in body.decode().splitlines() if 'id="code-420"' in line][0]
        self.assertIn("method failure", row)
        self.assertIn("spring framework", row)

    def test_each_code_page_links_its_rfc_section_or_names_the_vendor(self):
        codes = self.catalogue()
        for key in ("404", "429", "451", "500", "308", "460", "464", "561", "430", "520"):
            with self.subTest(key=key):
                entry = codes[key]
                _, _, body = fetch("/codes/" + key, headers={"Accept": "text/html"})
                html = body.decode()
                self.assertIn('href="%s"' % entry["source"]["url"], html)
                self.assertIn(entry["source"]["name"], html)
                if entry["official"]:
                    self.assertRegex(entry["source"]["url"],
                                     r"^https://www\.rfc-editor\.org/rfc/rfc\d+#section-")


if __name__ == "__main__":
    unittest.main(verbosity=2)
