"""statusd's own routes over HTTP/2 (issue 12): the real binary on one port serving h2c with
prior knowledge beside HTTP/1.1, and HTTP/2 over TLS by ALPN beside HTTP/1.1 over TLS;
checked with curl and python3-h2 at the frame level. The same URL must answer the same over
both protocols, apart from what HTTP/2 itself changes (lower-case names, no connection
fields).

Every server is started here on 127.0.0.1 port 0 and stopped by its PID; every wait is
bounded.
"""

import json
import os
import sys
import tempfile
import time
import unittest

import h2.events
import h2.exceptions

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "raw"))
from h2support import Client, curl, finished_stream, self_signed_certificate  # noqa: E402
from harness import SLOWDOWN, ServerTestCase, StatusdServer  # noqa: E402

NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, CANCEL, ENHANCE_YOUR_CALM = 0, 1, 2, 8, 11
H2C = "--http2-prior-knowledge"
CERTS = None


def setUpModule():
    global CERTS
    CERTS = self_signed_certificate("h2-routes-")


def fetch(url, *args):
    """(http version, status, headers {lower-case name: [values]}, body bytes) via curl."""
    with tempfile.NamedTemporaryFile() as head, tempfile.NamedTemporaryFile() as body:
        code, out, err = curl("-k", "-D", head.name, "-o", body.name, "-w", "%{http_version}",
                              *args, url)
        assert code == 0, "curl %s %s: exit %d %s" % (args, url, code, err)
        blocks = head.read().decode("utf-8", "replace").split("\r\n\r\n")
        final = [b for b in blocks if b.strip()][-1].split("\r\n")
        headers = {}
        for line in final[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        return out, int(final[0].split()[1]), headers, body.read()


# Fields HTTP/2 drops (RFC 9113 §8.2.2) or that differ by the second.
PER_CONNECTION = {"connection", "keep-alive", "transfer-encoding", "upgrade", "date"}

# (path, extra curl arguments): one or more URLs of each endpoint family.
SAME_OVER_BOTH = [
    ("/status/200", ()),
    ("/status/418?format=json", ()),
    ("/status/404?lang=en", ()),
    ("/status/302", ()),
    ("/status/401", ()),
    ("/status/405", ()),
    ("/status/429", ()),
    ("/status/204", ()),
    ("/status/206", ("-H", "Range: bytes=0-9")),
    ("/status/200?h=X-Test:1", ()),
    ("/codes/418", ()),
    ("/", ("-H", "Accept: text/html")),
    ("/codes.json", ()),
    ("/redirect/2", ()),
    ("/loop/3", ()),
    ("/redirect-to?url=/status/200&status_code=307", ()),
    ("/ip", ()),
    ("/user-agent", ("-A", "statusd-test")),
    ("/basic-auth/u/p", ("-u", "u:p")),
    ("/basic-auth/u/p", ("-u", "u:wrong")),
    ("/bearer", ("-H", "Authorization: Bearer t0ken")),
    ("/forbidden", ()),
    ("/etag/abc", ("-H", 'If-None-Match: "abc"')),
    ("/cache", ()),
    ("/range/100", ("-H", "Range: bytes=10-19")),
    ("/bytes/64?seed=7", ()),
    ("/method/GET,POST", ("-X", "DELETE")),
    ("/anything", ("-X", "OPTIONS", "-H", "Origin: http://example",
                   "-H", "Access-Control-Request-Method: PUT")),
    ("/get?a=1", ()),
    ("/cookies", ("-b", "a=1; b=2")),
    ("/cookies/set?theme=dark&httponly", ()),
    ("/response-headers?X-Trace=abc", ()),
    ("/json", ()),
    ("/html", ()),
    ("/xml", ()),
    ("/robots.txt", ()),
    ("/links/3/1", ()),
    ("/base64/aGVsbG8=", ()),
    ("/unstable?failure_rate=0.5&seed=3", ()),
    ("/status/422?body=%7B%7D&content_type=application/json", ()),
    ("/status/500-504?seed=9", ()),
    ("/status/420?vendor=spring", ()),
    ("/image/png", ()),
    ("/image", ("-H", "Accept: image/webp")),
    ("/gzip", ()),
    ("/brotli", ()),
    ("/status/418?encoding=auto", ("-H", "Accept-Encoding: zstd")),
    ("/codes.json?encoding=auto", ("-H", "Accept-Encoding: br")),
    ("/range/100?encoding=auto", ("-H", "Accept-Encoding: gzip", "-H", "Range: bytes=0-9")),
    ("/no/such/route", ()),
    ("/status/200?format=bogus", ()),
]


class SameAnswerOverBothProtocols(ServerTestCase):
    """Every endpoint family: status, fields and body equal over HTTP/1.1 and h2c."""

    def test_each_url_answers_the_same_over_http1_and_h2c(self):
        for path, args in SAME_OVER_BOTH:
            with self.subTest(path=path, args=args):
                v1, s1, h1, b1 = fetch(self.server.url(path), "--http1.1", *args)
                v2, s2, h2_, b2 = fetch(self.server.url(path), H2C, *args)
                self.assertEqual((v1, v2), ("1.1", "2"))
                self.assertEqual(s1, s2)
                self.assertEqual(b1, b2)
                self.assertEqual({k: v for k, v in h1.items() if k not in PER_CONNECTION},
                                 {k: v for k, v in h2_.items() if k not in PER_CONNECTION})
                for name in h2_:
                    self.assertNotIn(name, PER_CONNECTION - {"date"})

    def test_head_sends_the_get_fields_and_no_body(self):
        client = Client(self.server.port)
        try:
            for path in ["/status/200", "/drip?numbytes=5&duration=0",
                         "/status/418?format=html"]:
                with self.subTest(path=path):
                    status, get_headers, body = client.exchange(path)
                    head_status, head_headers, head_body = client.exchange(path, method="HEAD")
                    self.assertEqual(head_status, status)
                    self.assertEqual(head_body, b"")
                    self.assertEqual(head_headers["content-length"], str(len(body)))
                    self.assertEqual(get_headers["content-type"], head_headers["content-type"])
        finally:
            client.close()

    def test_request_body_is_echoed_and_query_decoded(self):
        _, status, _, body = fetch(self.server.url("/anything?a=1&b=x+y&c=%E4%B8%AD"), H2C,
                                   "-H", "Content-Type: application/json",
                                   "--data-binary", '{"k": [1, 2]}')
        echoed = json.loads(body)
        self.assertEqual(status, 200)
        self.assertEqual(echoed["args"], {"a": "1", "b": "x y", "c": "中"})
        self.assertEqual(echoed["json"], {"k": [1, 2]})
        self.assertEqual(echoed["headers"].get("Host") or echoed["headers"].get("host"),
                         "127.0.0.1:%d" % self.server.port)

    def test_a_delay_holds_no_thread_and_many_streams_wait_together(self):
        client = Client(self.server.port)
        try:
            started = time.monotonic()
            streams = [client.request("/delay/1?n=%d" % i) for i in range(50)]
            self.assertTrue(client.pump(lambda c: all(c.finished(s)(c) for s in streams),
                                        timeout=10 * SLOWDOWN))
            elapsed = time.monotonic() - started
            for stream in streams:
                response = client.of(stream, h2.events.ResponseReceived)
                self.assertEqual(dict(response[0].headers)[":status"], "200")
            self.assertGreaterEqual(elapsed, 1.0)
            # 50 waits of 1 s at once, not one after another.
            self.assertLess(elapsed, 8 * SLOWDOWN)
        finally:
            client.close()

    def test_drip_arrives_in_pieces_over_time(self):
        client, stream = finished_stream(self.server.port, "/drip?numbytes=4&duration=1",
                                         timeout=10 * SLOWDOWN)
        pieces = [e.data for e in client.of(stream, h2.events.DataReceived) if e.data]
        self.assertEqual(b"".join(pieces), b"****")
        self.assertGreaterEqual(len(pieces), 2)

    def test_large_bodies_arrive_whole(self):
        # Past 8 rounds of gathered frames in one turn (2 MiB) the rest must follow on the
        # next turn: a body of 8 MB once stalled at 2 MiB when the socket never blocked.
        for path in ("/range/8000000", "/bytes/8000000?seed=3"):
            with self.subTest(path=path):
                code, out, err = curl(H2C, "-o", "/dev/null", "-w", "%{size_download}",
                                      self.server.url(path))
                self.assertEqual((code, out), (0, "8000000"), err)

    def test_status_101_over_h2_explains_that_only_http1_switches(self):
        _, status, headers, body = fetch(self.server.url("/status/101"), H2C)
        self.assertEqual(status, 426)
        self.assertNotIn("upgrade", headers)
        self.assertIn(b"RFC 9113", body)
        self.assertIn("HTTP/2 不能切换协议".encode(), body)

    def test_upload_limits_413_before_the_body(self):
        server = StatusdServer("--max-body", "1000").start()
        try:
            # The head alone, no body yet: the 413 comes before a byte of it is sent (curl,
            # which sends the body at once, may see the RST_STREAM(NO_ERROR) that follows
            # the 413 as a stream error, exit 92: a race on its side).
            client = Client(server.port)
            try:
                stream = client.request("/upload", method="POST", end_stream=False,
                                        headers=[("content-length", "5000")])
                self.assertTrue(client.pump(
                    lambda c: c.of(stream, h2.events.ResponseReceived)))
                response = client.of(stream, h2.events.ResponseReceived)[0]
                self.assertEqual(dict(response.headers)[":status"], "413")
            finally:
                client.close()
            _, status, _, _ = fetch(server.url("/upload"), H2C, "--data-binary", "x" * 500)
            self.assertEqual(status, 200)
        finally:
            server.stop()


class StreamsAndShapingOverH2(ServerTestCase):
    """Issue 13's streams, trailers and shaping, carried by HTTP/2 frames."""

    def run_stream(self, path, timeout=10):
        return finished_stream(self.server.port, path, timeout=timeout * SLOWDOWN)

    def test_trailers_are_a_headers_frame_after_the_data(self):
        client, stream = self.run_stream("/trailers?trailer=X-Checksum:abc&trailer=X-Rows:3")
        trailers = client.of(stream, h2.events.TrailersReceived)
        self.assertEqual(len(trailers), 1)
        fields = dict(trailers[0].headers)
        self.assertEqual((fields["x-checksum"], fields["x-rows"]), ("abc", "3"))
        data = b"".join(e.data for e in client.of(stream, h2.events.DataReceived))
        self.assertGreater(len(data), 0)
        # The trailers end the stream, after every DATA frame.
        kinds = [type(e).__name__ for e in client.events if getattr(e, "stream_id", 0) == stream]
        self.assertLess(max(i for i, k in enumerate(kinds) if k == "DataReceived"),
                        kinds.index("TrailersReceived"))

    def test_chunk_makes_one_data_frame_per_slice(self):
        client, stream = self.run_stream("/bytes/1000?seed=1&chunk=100")
        sizes = [len(e.data) for e in client.of(stream, h2.events.DataReceived) if e.data]
        self.assertEqual(sum(sizes), 1000)
        self.assertTrue(all(size <= 100 for size in sizes), sizes)
        self.assertGreaterEqual(len(sizes), 10)

    def test_rate_paces_the_body(self):
        started = time.monotonic()
        client, stream = self.run_stream("/bytes/2000?seed=1&rate=2000")
        elapsed = time.monotonic() - started
        data = b"".join(e.data for e in client.of(stream, h2.events.DataReceived))
        self.assertEqual(len(data), 2000)
        # A tenth of a second's worth at once, then 200 bytes every 0.1 s: about 0.9 s.
        self.assertGreaterEqual(elapsed, 0.8)

    def test_abort_after_resets_the_stream_there(self):
        client, stream = self.run_stream("/bytes/5000?seed=1&abort_after=1200")
        data = b"".join(e.data for e in client.of(stream, h2.events.DataReceived))
        self.assertEqual(len(data), 1200)
        self.assertEqual(client.of(stream, h2.events.StreamReset)[0].error_code, INTERNAL_ERROR)

    def test_sse_and_stream_lines(self):
        client, stream = self.run_stream("/sse?count=3&interval=0.1")
        text = b"".join(e.data for e in client.of(stream, h2.events.DataReceived)).decode()
        self.assertEqual([l for l in text.splitlines() if l.startswith("id:")],
                         ["id: 1", "id: 2", "id: 3"])
        client, stream = self.run_stream("/sse?count=5&interval=0.1&fail_after=2")
        self.assertEqual(client.of(stream, h2.events.StreamReset)[0].error_code, INTERNAL_ERROR)
        client, stream = self.run_stream("/stream/3")
        lines = b"".join(e.data for e in client.of(stream, h2.events.DataReceived)).splitlines()
        self.assertEqual([json.loads(l)["id"] for l in lines], [0, 1, 2])


class InterimResponses(ServerTestCase):
    def interim_then_final(self, path):
        client, stream = finished_stream(self.server.port, path)
        interim = client.of(stream, h2.events.InformationalResponseReceived)
        final = client.of(stream, h2.events.ResponseReceived)
        order = [type(e).__name__ for e in client.events
                 if getattr(e, "stream_id", None) == stream and
                 isinstance(e, (h2.events.InformationalResponseReceived,
                                h2.events.ResponseReceived))]
        return interim, final, order

    def test_each_interim_code_is_a_headers_frame_before_the_final(self):
        for code in (100, 102, 103, 104):
            with self.subTest(code=code):
                interim, final, order = self.interim_then_final("/status/%d" % code)
                self.assertEqual([dict(e.headers)[":status"] for e in interim], [str(code)])
                self.assertEqual(dict(final[0].headers)[":status"], "200")
                self.assertEqual(order, ["InformationalResponseReceived", "ResponseReceived"])

    def test_103_carries_the_links_it_was_given(self):
        links = ["</static/style.css>; rel=preload; as=style",
                 "</static/app.js>; rel=preload; as=script"]
        query = "&".join("link=" + l.replace(" ", "%20").replace(";", "%3B") for l in links)
        interim, final, _ = self.interim_then_final("/status/103?then=201&" + query)
        self.assertEqual([v for k, v in interim[0].headers if k == "link"], links)
        self.assertEqual(dict(final[0].headers)[":status"], "201")

    def test_a_bad_link_is_refused_before_any_interim(self):
        interim, final, _ = self.interim_then_final("/status/103?link=nolink%0d%0aX:1")
        self.assertEqual(interim, [])
        self.assertEqual(dict(final[0].headers)[":status"], "400")

    def test_curl_verbose_shows_the_103_then_the_final_status(self):
        code, _, err = curl("-v", H2C, "-o", "/dev/null",
                            self.server.url("/status/103?link=%3C/static/style.css%3E%3B%20rel=preload"))
        self.assertEqual(code, 0, err)
        lines = [l for l in err.splitlines() if l.startswith("< HTTP/2 ") or l.startswith("< link")]
        self.assertEqual(lines[:3], ["< HTTP/2 103 ", "< link: </static/style.css>; rel=preload",
                                     "< HTTP/2 200 "])

    def test_http1_103_also_carries_the_given_link(self):
        code, _, err = curl("-v", "--http1.1", "-o", "/dev/null",
                            self.server.url("/status/103?link=%3C/a.css%3E%3B%20rel=preload"))
        self.assertEqual(code, 0, err)
        self.assertIn("< Link: </a.css>; rel=preload", err)


class Faults(ServerTestCase):
    """/fault/{kind} in HTTP/2's terms (README "Faults over HTTP/2")."""

    @classmethod
    def server_args(cls):
        return ("--max-delay", "2")

    def reset_code(self, path):
        client, stream = finished_stream(self.server.port, path, timeout=5 * SLOWDOWN)
        resets = client.of(stream, h2.events.StreamReset)
        return resets[0].error_code if resets else None, client

    def test_reset_sends_rst_stream_with_the_chosen_code(self):
        self.assertEqual(self.reset_code("/fault/reset")[0], INTERNAL_ERROR)
        self.assertEqual(self.reset_code("/fault/reset?code=CANCEL")[0], CANCEL)
        self.assertEqual(self.reset_code("/fault/reset?code=7")[0], 7)

    def test_a_bad_code_is_a_400(self):
        _, status, _, body = fetch(self.server.url("/fault/reset?code=NOPE"), H2C)
        self.assertEqual(status, 400)
        self.assertIn(b"REFUSED_STREAM", body)

    def test_goaway_names_the_stream_before_so_this_one_is_retryable(self):
        client = Client(self.server.port)
        try:
            first = client.request("/status/200")
            self.assertTrue(client.pump(client.finished(first)))
            broken = client.request("/fault/goaway?code=ENHANCE_YOUR_CALM")
            self.assertTrue(client.pump(lambda c: c.terminated()))
            goaway = client.terminated()
            self.assertEqual(goaway.error_code, ENHANCE_YOUR_CALM)
            self.assertEqual(goaway.last_stream_id, first)
            self.assertLess(goaway.last_stream_id, broken)
        finally:
            client.close()

    def test_truncate_ends_the_stream_below_its_content_length(self):
        client = Client(self.server.port)
        try:
            stream = client.request("/fault/truncate")
            # python3-h2 checks DATA against content-length when the stream ends.
            with self.assertRaises(h2.exceptions.InvalidBodyLengthError) as caught:
                client.pump(client.finished(stream))
            self.assertEqual((caught.exception.expected_length, caught.exception.actual_length),
                             (140, 70))
        finally:
            client.close()
        code, _, err = curl(H2C, "-o", "/dev/null", self.server.url("/fault/truncate"))
        self.assertEqual(code, 92, err)  # stream not closed cleanly

    def test_headers_only_then_silence_then_cancel(self):
        client = Client(self.server.port)
        try:
            stream = client.request("/fault/headers-only")
            self.assertTrue(client.pump(lambda c: c.of(stream, h2.events.ResponseReceived)))
            self.assertEqual(client.of(stream, h2.events.DataReceived), [])
            # --max-delay 2: then the stream is cancelled.
            self.assertTrue(client.pump(client.finished(stream), timeout=6 * SLOWDOWN))
            self.assertEqual(client.of(stream, h2.events.StreamReset)[0].error_code, CANCEL)
        finally:
            client.close()

    def test_the_connection_still_serves_after_each_fault(self):
        for path in ["/fault/reset", "/fault/bad-chunk", "/fault/reset?code=CANCEL"]:
            client = Client(self.server.port)
            try:
                broken = client.request(path)
                client.pump(client.finished(broken))
                status, _, _ = client.exchange("/status/200")
                self.assertEqual(status, 200)
            finally:
                client.close()


class OnePortWithTls(ServerTestCase):
    @classmethod
    def server_args(cls):
        return ("--tls-cert", CERTS[0], "--tls-key", CERTS[1])

    def test_alpn_h2_gets_http2_and_http11_gets_http11_on_the_same_port(self):
        url = self.server.url("/status/418")
        self.assertTrue(url.startswith("https://"))
        v2, s2, _, b2 = fetch(url, "--http2")
        v1, s1, _, b1 = fetch(url, "--http1.1")
        self.assertEqual((v2, v1, s2, s1), ("2", "1.1", 418, 418))
        self.assertEqual(b1, b2)

    def test_endpoint_families_over_tls_h2(self):
        for path, expected in [("/delay/0.2", 200), ("/redirect/1", 302),
                               ("/basic-auth/a/b", 401), ("/drip?numbytes=3&duration=0", 200),
                               ("/status/103", 200)]:
            with self.subTest(path=path):
                version, status, _, _ = fetch(self.server.url(path), "--http2")
                self.assertEqual((version, status), ("2", expected))


    def test_digest_auth_over_h2_md5_and_sha256(self):
        # Over TLS: curl 7.88 does not send its second, answering request on an h2c
        # prior-knowledge connection (it logs "Issue another request" and stops).
        for algorithm in ("MD5", "SHA-256"):
            with self.subTest(algorithm=algorithm):
                url = self.server.url("/digest-auth/auth/u/p/" + algorithm)
                self.assertEqual(fetch(url, "--http2", "--digest", "-u", "u:p")[:2], ("2", 200))
                self.assertEqual(fetch(url, "--http2", "--digest", "-u", "u:x")[:2], ("2", 401))


def digest_answer(challenge, method, uri, user, password):
    """An RFC 7616 qop=auth answer to challenge (a WWW-Authenticate value)."""
    import hashlib
    import re
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    h = hashlib.md5 if params["algorithm"] == "MD5" else hashlib.sha256
    hx = lambda text: h(text.encode()).hexdigest()  # noqa: E731
    ha1, ha2 = hx("%s:%s:%s" % (user, params["realm"], password)), hx("%s:%s" % (method, uri))
    response = hx("%s:%s:00000001:abcdef:auth:%s" % (ha1, params["nonce"], ha2))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", qop=auth, '
            'nc=00000001, cnonce="abcdef", algorithm=%s, opaque="%s"'
            % (user, params["realm"], params["nonce"], uri, response, params["algorithm"],
               params["opaque"]))


class DigestOverH2c(unittest.TestCase):
    def test_answer_accepted_and_nonce_bound_to_its_url(self):
        with StatusdServer() as server:
            client = Client(server.port)
            try:
                status, headers, _ = client.exchange("/digest-auth/auth/u/p/MD5")
                self.assertEqual(status, 401)
                challenge = headers["www-authenticate"]
                good = digest_answer(challenge, "GET", "/digest-auth/auth/u/p/MD5", "u", "p")
                status, _, body = client.exchange("/digest-auth/auth/u/p/MD5",
                                                  headers=[("authorization", good)])
                self.assertEqual(status, 200, body)
                wrong = digest_answer(challenge, "GET", "/digest-auth/auth/u/p/MD5", "u", "q")
                status, headers, _ = client.exchange("/digest-auth/auth/u/p/MD5",
                                                     headers=[("authorization", wrong)])
                self.assertEqual(status, 401)
                self.assertNotIn("stale", headers["www-authenticate"])
                # The same nonce for another URL is stale: the client retries with a new one.
                other = digest_answer(challenge, "GET", "/digest-auth/auth/v/w/MD5", "v", "w")
                status, headers, _ = client.exchange("/digest-auth/auth/v/w/MD5",
                                                     headers=[("authorization", other)])
                self.assertEqual(status, 401)
                self.assertIn("stale=true", headers["www-authenticate"])
            finally:
                client.close()


class ProtocolRecorded(unittest.TestCase):
    def test_access_log_and_journal_name_the_protocol(self):
        server = StatusdServer("--log", "json")
        server.args.remove("off")
        server.args.remove("--log")
        server.start()
        try:
            fetch(server.url("/status/201?key=proto"), H2C)
            fetch(server.url("/status/202?key=proto"), "--http1.1")
            _, _, _, body = fetch(server.url("/journal?key=proto"), H2C)
            journal = json.loads(body)
            entries = journal["requests"] if isinstance(journal, dict) else journal
            self.assertEqual([(e["status"], e["protocol"]) for e in entries],
                             [(201, "h2"), (202, "h1")])
            deadline = time.monotonic() + 5
            lines = []
            while time.monotonic() < deadline:
                text = server._stdout_tail.decode("utf-8", "replace")
                lines = [json.loads(l) for l in text.splitlines() if l.startswith("{")]
                if len([l for l in lines if "key=proto" in l["path"]]) >= 3:
                    break
                time.sleep(0.1)
            seen = {(l["path"], l["protocol"]) for l in lines}
            self.assertIn(("/status/201?key=proto", "h2"), seen)
            self.assertIn(("/status/202?key=proto", "h1"), seen)
        finally:
            server.stop()


class ConnectionLimit(unittest.TestCase):
    def test_http2_connections_past_max_connections_are_closed_at_once(self):
        with StatusdServer("--max-connections", "2") as server:
            held = [Client(server.port) for _ in range(2)]
            try:
                for client in held:
                    self.assertEqual(client.exchange("/status/200")[0], 200)
                # Closed without an answer (a FIN, or a reset for the bytes it did not read),
                # well before any timeout.
                extra = None
                try:
                    extra = Client(server.port)
                    stream = extra.request("/status/200")
                    self.assertFalse(extra.pump(extra.finished(stream), timeout=3 * SLOWDOWN))
                    self.assertTrue(extra.closed)
                except (ConnectionResetError, BrokenPipeError):
                    pass
                finally:
                    if extra:
                        extra.close()
                held[0].close()
                time.sleep(0.3)  # the server notices the close on its next turn
                again = Client(server.port)
                try:
                    self.assertEqual(again.exchange("/status/200")[0], 200)
                finally:
                    again.close()
            finally:
                for client in held:
                    client.close()


class Http2Off(unittest.TestCase):
    def test_http2_off_leaves_the_port_to_http1(self):
        server = StatusdServer("--http2=off").start()
        try:
            code, _, _ = curl(H2C, "-o", "/dev/null", server.url("/status/200"))
            self.assertNotEqual(code, 0)
            version, status, _, _ = fetch(server.url("/status/200"), "--http1.1")
            self.assertEqual((version, status), ("1.1", 200))
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
