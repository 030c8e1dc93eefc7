"""Content codings (README "Compression"): /gzip, /deflate, /brotli, /zstd, ?encoding=auto with
Accept-Encoding on any URL, ranges over coded representations, and compressed request bodies
to /anything, with Python's http.client (which never decodes, so the coded bytes are seen as
sent), Python's gzip and zlib, curl's --compressed (its libcurl decodes all four codings) and
the zstd CLI.
"""

import gzip
import http.client
import json
import os
import shutil
import subprocess
import sys
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, module_server  # noqa: E402

SERVER = None
MAX_BODY = 1_000_000
CURL = shutil.which("curl")
ZSTD = shutil.which("zstd")
CURL_TIMEOUT = 10


setUpModule, tearDownModule = module_server(globals(), "--max-body", str(MAX_BODY))


def fetch(path, method="GET", body=None, **headers):
    """(status, headers as a dict of lower-case names, raw body bytes)."""
    connection = http.client.HTTPConnection(HOST, SERVER.port, timeout=20)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, {n.lower(): v for n, v in response.getheaders()}, data
    finally:
        connection.close()


def fetch_coded(path, accept_encoding, **headers):
    return fetch(path, **{"Accept-Encoding": accept_encoding}, **headers)


def post(body, content_encoding, path="/anything", **headers):
    return fetch(path, "POST", body, **{"Content-Encoding": content_encoding}, **headers)


def curl(*args):
    result = subprocess.run([CURL, "--silent", "--show-error", "--max-time", str(CURL_TIMEOUT),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=CURL_TIMEOUT + 5)
    return result.stdout, result.returncode


def zstd(*args, data):
    return subprocess.run([ZSTD, "-q", "-c", *args], input=data, stdout=subprocess.PIPE,
                          check=True, timeout=30).stdout


def decode_by_server(coded, coding):
    """The bytes coded decodes to, as /anything reads them (for br, which Python lacks)."""
    status, _, body = post(coded, coding, **{"Content-Type": "application/octet-stream"})
    assert status == 200, (status, body[:300])
    echo = json.loads(body)
    assert echo["body_decoded_from"] == coding
    assert echo["body_encoding"] == "utf-8", "test bodies are text"
    return echo["body"].encode()


class CodedEndpointsTest(unittest.TestCase):
    def test_gzip_and_deflate_are_the_registered_formats(self):
        status, headers, body = fetch("/gzip")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-encoding"], "gzip")
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(int(headers["content-length"]), len(body))
        echo = json.loads(gzip.decompress(body))
        self.assertIs(echo["gzipped"], True)
        self.assertEqual(echo["method"], "GET")
        self.assertEqual(echo["target"], "/gzip")
        status, headers, body = fetch("/deflate")
        self.assertEqual(headers["content-encoding"], "deflate")
        # RFC 9110 §8.4.1.2: the zlib format, not raw deflate: zlib.decompress checks the
        # header and the Adler-32 trailer.
        self.assertIs(json.loads(zlib.decompress(body))["deflated"], True)

    def test_the_url_names_the_coding_whatever_accept_encoding_says(self):
        for path, coding in (("/gzip", "gzip"), ("/brotli", "br"), ("/zstd", "zstd")):
            with self.subTest(path=path):
                _, headers, _ = fetch_coded(path, "identity")
                self.assertEqual(headers["content-encoding"], coding)

    @unittest.skipIf(CURL is None, "the curl CLI is not installed")
    def test_curl_compressed_decodes_all_four(self):
        for path, flag in (("/gzip", "gzipped"), ("/deflate", "deflated"),
                           ("/brotli", "brotli"), ("/zstd", "zstd")):
            with self.subTest(path=path):
                out, code = curl("--compressed", SERVER.url(path))
                self.assertEqual(code, 0)
                echo = json.loads(out)
                self.assertIs(echo[flag], True)
                self.assertEqual(echo["target"], path)

    @unittest.skipIf(ZSTD is None, "the zstd CLI is not installed (scripts/deps --test)")
    def test_zstd_cli_decodes_zstd(self):
        _, headers, body = fetch("/zstd")
        self.assertEqual(headers["content-encoding"], "zstd")
        self.assertIs(json.loads(zstd("-d", data=body))["zstd"], True)

    def test_brotli_body_decodes_to_the_echo(self):
        _, headers, body = fetch("/brotli")
        self.assertEqual(headers["content-encoding"], "br")
        self.assertIs(json.loads(decode_by_server(body, "br"))["brotli"], True)

    def test_head_announces_the_coded_length_of_get(self):
        for path in ("/gzip", "/deflate", "/brotli", "/zstd"):
            with self.subTest(path=path):
                _, get_headers, get_body = fetch(path)
                _, head_headers, head_body = fetch(path, "HEAD")
                self.assertEqual(head_body, b"")
                self.assertEqual(int(head_headers["content-length"]), len(get_body))
                self.assertEqual(head_headers["content-encoding"],
                                 get_headers["content-encoding"])


class NegotiatedTest(unittest.TestCase):
    """?encoding=auto: Accept-Encoding chooses (RFC 9110 §12.5.3)."""

    def chosen(self, accept_encoding, path="/status/200?encoding=auto"):
        status, headers, _ = fetch_coded(path, accept_encoding)
        return status, headers.get("content-encoding", "identity")

    def test_without_the_parameter_nothing_is_coded(self):
        status, headers, _ = fetch_coded("/status/200", "gzip, br, zstd")
        self.assertEqual(status, 200)
        self.assertNotIn("content-encoding", headers)
        self.assertNotIn("Accept-Encoding", headers["vary"])

    def test_q_values_choose(self):
        cases = {
            "gzip": "gzip", "deflate": "deflate", "br": "br", "zstd": "zstd",
            "x-gzip": "gzip", "GZIP": "gzip",
            "gzip, deflate, br, zstd": "br",          # equal q: br first
            "gzip;q=0.5, br;q=0.4": "gzip",
            "gzip;q=0.5, zstd;q=0.9, br;q=0.1": "zstd",
            "*": "br", "*, br;q=0": "zstd",
            "identity": "identity", "compress": "identity", "gzip;q=0": "identity",
            "identity;q=0, deflate": "deflate", "*;q=0, identity": "identity",
            # q-value garbage: a malformed q counts as 1 (as in Accept); stray commas and
            # semicolons are skipped.
            "gzip;q=abc, br;q=0.5": "gzip", ",,;, zstd;;q=0.3 ,": "zstd",
            "gzip;q=0.12345, br;q=0.9": "gzip",
        }
        for accept_encoding, expected in cases.items():
            with self.subTest(accept_encoding=accept_encoding):
                self.assertEqual(self.chosen(accept_encoding), (200, expected))

    def test_no_accept_encoding_gets_identity_with_vary(self):
        status, headers, _ = fetch("/status/200?encoding=auto")
        self.assertEqual(status, 200)
        self.assertNotIn("content-encoding", headers)
        self.assertEqual(headers["vary"], "Accept, Accept-Language, Accept-Encoding")

    def test_identity_excluded_and_nothing_else_gets_406(self):
        for accept_encoding in ("identity;q=0", "*;q=0", "identity;q=0, compress"):
            with self.subTest(accept_encoding=accept_encoding):
                status, headers, body = fetch_coded("/status/200?encoding=auto",
                                                    accept_encoding)
                self.assertEqual(status, 406)
                self.assertNotIn("content-encoding", headers)
                self.assertIn("Accept-Encoding", headers["vary"])
                text = body.decode()
                self.assertIn("gzip, deflate, br, zstd", text)
                self.assertIn("Accept-Encoding 排除了", text)

    def test_an_error_status_is_kept_when_nothing_is_acceptable(self):
        status, headers, _ = fetch_coded("/status/404?encoding=auto", "identity;q=0")
        self.assertEqual(status, 404)
        self.assertNotIn("content-encoding", headers)

    def test_a_bad_parameter_is_400(self):
        for path in ("/status/200?encoding=gzip", "/anything?encoding=", "/codes/200?encoding=x"):
            with self.subTest(path=path):
                status, _, body = fetch_coded(path, "gzip")
                self.assertEqual(status, 400)
                self.assertIn(b"encoding", body)

    def test_coded_bytes_decode_to_the_identity_body(self):
        for path in ("/status/418?encoding=auto", "/codes/404?encoding=auto",
                     "/codes.json?encoding=auto", "/?encoding=auto", "/headers?encoding=auto",
                     "/static/app.js?encoding=auto", "/favicon.ico?encoding=auto",
                     "/status/201?encoding=auto&format=json&lang=en"):
            plain_status, plain_headers, plain = fetch_coded(path, "identity")
            self.assertNotIn("content-encoding", plain_headers)
            for coding, decode in (("gzip", gzip.decompress), ("deflate", zlib.decompress),
                                   ("br", None), ("zstd", None)):
                with self.subTest(path=path, coding=coding):
                    status, headers, coded = fetch_coded(path, coding)
                    self.assertEqual(status, plain_status)
                    self.assertEqual(headers["content-encoding"], coding)
                    self.assertEqual(int(headers["content-length"]), len(coded))
                    self.assertIn("Accept-Encoding", headers["vary"])
                    if decode is not None:
                        if "/headers" in path:
                            self.assertEqual(json.loads(decode(coded))["headers"]
                                             ["Accept-Encoding"], coding)
                        else:
                            self.assertEqual(decode(coded), plain)
                    elif ZSTD and coding == "zstd" and "/headers" not in path:
                        self.assertEqual(zstd("-d", data=coded), plain)

    def test_a_cached_response_is_the_same_bytes_every_time(self):
        # /status/{code} serves its render-once cache; the coded form is cached too, per coding.
        first = fetch_coded("/status/503?encoding=auto", "br")
        second = fetch_coded("/status/503?encoding=auto", "br")
        self.assertEqual(first[2], second[2])
        self.assertEqual(first[1]["content-encoding"], "br")
        gz = fetch_coded("/status/503?encoding=auto", "gzip")
        self.assertEqual(gz[1]["content-encoding"], "gzip")
        plain = fetch("/status/503")
        self.assertEqual(gzip.decompress(gz[2]), plain[2])
        self.assertNotIn("Accept-Encoding", plain[1]["vary"])

    @unittest.skipIf(CURL is None, "the curl CLI is not installed")
    def test_curl_compressed_on_any_url(self):
        plain, code = curl(SERVER.url("/codes.json"))
        self.assertEqual(code, 0)
        for coding in ("gzip", "deflate", "br", "zstd"):
            with self.subTest(coding=coding):
                out, code = curl("--compressed", "-H", "Accept-Encoding: " + coding,
                                 SERVER.url("/codes.json?encoding=auto"))
                self.assertEqual(code, 0)
                self.assertEqual(out, plain)

    def test_head_equals_get_coded(self):
        for path in ("/status/200?encoding=auto", "/codes/200?encoding=auto",
                     "/range/64?seed=1&encoding=auto", "/bytes/64?seed=1&encoding=auto",
                     "/?encoding=auto"):
            with self.subTest(path=path):
                get_status, get_headers, get_body = fetch_coded(path, "gzip")
                head_status, head_headers, _ = fetch(path, "HEAD", **{"Accept-Encoding": "gzip"})
                self.assertEqual(head_status, get_status)
                get_headers.pop("date", None)
                head_headers.pop("date", None)
                self.assertEqual(head_headers, get_headers)
                self.assertEqual(int(get_headers["content-length"]), len(get_body))

    def test_streams_are_not_coded(self):
        status, headers, _ = fetch_coded("/drip?numbytes=4&duration=0&encoding=auto", "gzip")
        self.assertEqual(status, 200)
        self.assertNotIn("content-encoding", headers)


class CodedRangesTest(unittest.TestCase):
    """RFC 9110 §14.1.1: a Range counts the bytes of the selected representation, coding
    included, and each coded representation has its own entity tag."""

    PATH = "/range/5000?encoding=auto"

    def test_entity_tags_differ_per_coding(self):
        tags = {fetch_coded(self.PATH, coding)[1]["etag"]
                for coding in ("identity", "gzip", "deflate", "br", "zstd")}
        self.assertEqual(tags, {'"range-5000"', '"range-5000-gzip"', '"range-5000-deflate"',
                                '"range-5000-br"', '"range-5000-zstd"'})

    def test_ranges_are_of_the_coded_bytes_and_join_up(self):
        for coding in ("gzip", "br", "zstd", "deflate"):
            with self.subTest(coding=coding):
                _, headers, whole = fetch_coded(self.PATH, coding)
                self.assertEqual(headers["content-encoding"], coding)
                n = len(whole)
                self.assertLess(n, 5000)
                status, h1, first = fetch_coded(self.PATH, coding, Range="bytes=0-9")
                self.assertEqual(status, 206)
                self.assertEqual(h1["content-range"], "bytes 0-9/%d" % n)
                self.assertEqual(h1["content-encoding"], coding)
                self.assertEqual(h1["etag"], headers["etag"])
                status, h2, rest = fetch_coded(self.PATH, coding, Range="bytes=10-",
                                               **{"If-Range": headers["etag"]})
                self.assertEqual(status, 206)
                self.assertEqual(h2["content-range"], "bytes 10-%d/%d" % (n - 1, n))
                self.assertEqual(first + rest, whole)
        self.assertEqual(gzip.decompress(fetch_coded(self.PATH, "gzip")[2]),
                         fetch(self.PATH)[2])

    def test_an_if_range_of_another_representation_gets_the_whole(self):
        _, _, whole = fetch_coded(self.PATH, "gzip")
        status, headers, body = fetch_coded(self.PATH, "gzip", Range="bytes=10-",
                                            **{"If-Range": '"range-5000"'})
        self.assertEqual(status, 200)
        self.assertEqual(body, whole)
        self.assertNotIn("content-range", headers)

    def test_a_range_past_the_coded_length_is_416(self):
        _, _, whole = fetch_coded(self.PATH, "gzip")
        status, headers, _ = fetch_coded(self.PATH, "gzip", Range="bytes=%d-" % len(whole))
        self.assertEqual(status, 416)
        self.assertEqual(headers["content-range"], "bytes */%d" % len(whole))

    def test_if_none_match_compares_the_coded_tag(self):
        status, headers, _ = fetch_coded(self.PATH, "br", **{"If-None-Match": '"range-5000-br"'})
        self.assertEqual(status, 304)
        self.assertEqual(headers["etag"], '"range-5000-br"')
        status, _, _ = fetch_coded(self.PATH, "br", **{"If-None-Match": '"range-5000"'})
        self.assertEqual(status, 200)

    def test_identity_ranges_are_unchanged(self):
        status, headers, body = fetch_coded(self.PATH, "identity", Range="bytes=0-9")
        self.assertEqual((status, body), (206, b"abcdefghij"))
        self.assertEqual(headers["content-range"], "bytes 0-9/5000")
        self.assertEqual(headers["etag"], '"range-5000"')

    def test_an_explanation_206_is_cut_from_the_coded_bytes(self):
        _, headers, first = fetch_coded("/status/206?encoding=auto", "gzip", Range="bytes=0-99")
        self.assertEqual(headers["content-encoding"], "gzip")
        total = int(headers["content-range"].rpartition("/")[2])
        _, _, rest = fetch_coded("/status/206?encoding=auto", "gzip",
                                 Range="bytes=100-%d" % (total - 1))
        plain = gzip.decompress(first + rest).decode()
        self.assertIn("206", plain)
        self.assertEqual(len(first + rest), total)

    @unittest.skipIf(CURL is None, "the curl CLI is not installed")
    def test_curl_resumes_a_coded_download(self):
        _, _, whole = fetch_coded(self.PATH, "zstd")
        out, code = curl("-r", "5-", "-H", "Accept-Encoding: zstd", SERVER.url(self.PATH))
        self.assertEqual(code, 0)
        self.assertEqual(out, whole[5:])


class RequestBodyTest(unittest.TestCase):
    TEXT = ("statusd 状态码 " * 300).encode()

    def echo_of(self, coded, coding, **headers):
        status, _, body = post(coded, coding, **headers)
        self.assertEqual(status, 200, body[:400])
        return json.loads(body)

    def test_gzip_and_deflate_bodies_are_decoded(self):
        for coding, coded in (("gzip", gzip.compress(self.TEXT)),
                              ("deflate", zlib.compress(self.TEXT)),
                              ("x-gzip", gzip.compress(self.TEXT))):
            with self.subTest(coding=coding):
                echo = self.echo_of(coded, coding)
                self.assertEqual(echo["body"].encode(), self.TEXT)
                self.assertEqual(echo["body_size"], len(self.TEXT))
                self.assertEqual(echo["body_decoded_from"], coding)

    def test_json_is_parsed_after_decoding(self):
        echo = self.echo_of(gzip.compress(b'{"a": [1, 2]}'), "gzip",
                            **{"Content-Type": "application/json"})
        self.assertEqual(echo["json"], {"a": [1, 2]})

    def test_a_plain_body_says_it_was_not_decoded(self):
        status, _, body = fetch("/anything", "POST", b"plain")
        echo = json.loads(body)
        self.assertIsNone(echo["body_decoded_from"])
        self.assertEqual(echo["body"], "plain")
        self.assertEqual(self.echo_of(b"plain", "identity")["body"], "plain")

    @unittest.skipIf(ZSTD is None, "the zstd CLI is not installed (scripts/deps --test)")
    def test_zstd_body_from_the_cli(self):
        self.assertEqual(self.echo_of(zstd(data=self.TEXT), "zstd")["body"].encode(), self.TEXT)

    def test_br_body(self):
        # Python has no brotli here: the server's own br bytes of a known text are sent back.
        _, headers, coded = fetch_coded("/range/3000?encoding=auto", "br")
        self.assertEqual(headers["content-encoding"], "br")
        echo = self.echo_of(coded, "br")
        self.assertEqual(echo["body"], ("abcdefghijklmnopqrstuvwxyz" * 200)[:3000])

    def test_stacked_codings_are_undone_last_first(self):
        coded = gzip.compress(zlib.compress(self.TEXT))  # deflate applied, then gzip
        echo = self.echo_of(coded, "deflate, gzip")
        self.assertEqual(echo["body"].encode(), self.TEXT)
        self.assertEqual(echo["body_decoded_from"], "deflate, gzip")

    @unittest.skipIf(CURL is None, "the curl CLI is not installed")
    def test_curl_sends_a_gzip_file(self):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "statusd-enc-%d.gz" % os.getpid())
        with open(path, "wb") as f:
            f.write(gzip.compress(self.TEXT))
        self.addCleanup(os.unlink, path)
        out, code = curl("--data-binary", "@" + path, "-H", "Content-Encoding: gzip",
                         SERVER.url("/anything"))
        self.assertEqual(code, 0)
        self.assertEqual(json.loads(out)["body"].encode(), self.TEXT)

    def assertBomb(self, coded, coding):
        self.assertLess(len(coded), MAX_BODY // 10, "the bomb itself is small")
        status, headers, body = post(coded, coding)
        self.assertEqual(status, 413, body[:300])
        text = body.decode()
        self.assertIn("decodes to more than --max-body (%d bytes)" % MAX_BODY, text)
        self.assertIn("消息体解码后超过 --max-body（%d 字节）" % MAX_BODY, text)

    def test_bombs_are_cut_at_max_body(self):
        zeros = b"\0" * (MAX_BODY * 20)
        self.assertBomb(gzip.compress(zeros), "gzip")
        self.assertBomb(zlib.compress(zeros, 9), "deflate")
        # Nested: each layer alone is small; the innermost grows past the limit.
        self.assertBomb(gzip.compress(gzip.compress(zeros)), "gzip, gzip")
        if ZSTD:
            self.assertBomb(zstd("-19", data=zeros), "zstd")
        # br: the server's own br form of 10 MiB of /range/ letters.
        _, headers, coded = fetch_coded("/range/10485760?encoding=auto", "br")
        self.assertEqual(headers["content-encoding"], "br")
        self.assertBomb(coded, "br")

    def test_a_body_of_exactly_max_body_decoded_is_accepted(self):
        echo = self.echo_of(gzip.compress(b"a" * MAX_BODY), "gzip")
        self.assertEqual(echo["body_size"], MAX_BODY)

    def test_corrupt_bodies_are_400(self):
        whole = gzip.compress(self.TEXT)
        cases = [
            (b"not gzip at all", "gzip"),
            (whole[:-6], "gzip"),                       # truncated (no trailer)
            (whole + b"trailing", "gzip"),              # bytes after the member
            (whole[:20] + bytes([whole[20] ^ 0xFF]) + whole[21:], "gzip"),  # flipped byte
            (zlib.compress(self.TEXT)[2:], "deflate"),  # raw deflate is not RFC 9110 deflate
            (b"\x28\xb5\x2f\xfd garbage", "zstd"),
            (b"\xff\xff\xff\xff", "br"),
        ]
        for coded, coding in cases:
            with self.subTest(coding=coding, start=coded[:8]):
                status, _, body = post(coded, coding)
                self.assertEqual(status, 400, body[:300])
                self.assertIn(("not valid %s data" % coding).encode(), body)

    def test_an_unknown_coding_is_415_naming_the_known_ones(self):
        for coding in ("compress", "gzip, compress", "br, br, br, br, br", "exi"):
            with self.subTest(coding=coding):
                status, headers, body = post(b"data", coding)
                self.assertEqual(status, 415)
                self.assertEqual(headers["accept-encoding"], "gzip, deflate, br, zstd")
                self.assertIn("Content-Encoding 不是 statusd 能解码的编码", body.decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
