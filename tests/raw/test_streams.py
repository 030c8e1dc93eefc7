"""Streams and shaping (README "Streams", "Shaping"; issue 13): /sse, /stream/{n},
/stream-bytes/{n}, /trailers, and ?delay=A..B, ?jitter=, ?seed=, ?rate=, ?chunk=,
?abort_after= on any URL. Raw sockets (to see chunks, trailers and cut connections), http.client
and the curl CLI. Timing is asserted only as lower bounds (a throttled body cannot come early),
plus one generous upper bound for the --max-delay cap on ?rate=.
"""

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, SLOWDOWN, RawConnection, StatusdServer, module_server  # noqa: E402

SERVER = None


setUpModule, tearDownModule = module_server(globals())


def get(target, headers=(), method="GET", server=None, timeout=10):
    with RawConnection((server or SERVER).port, timeout=timeout) as c:
        c.request(method, target, headers=headers)
        return c.read_response(method, timeout=timeout)


def chunk_sizes(raw):
    """The sizes of the chunks of a chunked response as received, and its trailer lines."""
    body = raw[raw.index(b"\r\n\r\n") + 4:]
    sizes = []
    while True:
        line, _, body = body.partition(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            trailers = body.split(b"\r\n")
            return sizes, [t.decode("latin-1") for t in trailers if t]
        sizes.append(size)
        body = body[size + 2:]


def events(body):
    """The events of a text/event-stream body: a list of dicts of their fields."""
    parsed = []
    for block in body.decode().split("\n\n"):
        fields = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
        if fields:
            parsed.append(fields)
    return parsed


class BadInputMixin:
    def assertRefused(self, target, parameter, headers=()):
        r = get(target, headers)
        self.assertEqual(r.status, 400, target)
        text = r.body.decode()
        # the note names the parameter, in both languages, before the explanation
        zh, en = text.split("\n\n")[1].split("\n")[:2]
        self.assertIn(parameter, zh, target)
        self.assertIn("无效", zh, target)
        self.assertIn(parameter, en, target)
        self.assertRegex(en, r"(?i)invalid|not valid", target)


class SseTest(unittest.TestCase, BadInputMixin):
    def test_events_carry_ids_name_and_retry_first(self):
        r = get("/sse?count=3&interval=0&retry=250&event=tick")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "text/event-stream")
        self.assertEqual(r.header("Cache-Control"), "no-cache")
        self.assertEqual(r.header("Transfer-Encoding"), "chunked")
        self.assertTrue(r.body.startswith(b"retry: 250\n\n"), r.body[:40])
        got = events(r.body)
        self.assertEqual(got[0], {"retry": "250"})
        self.assertEqual([e["id"] for e in got[1:]], ["1", "2", "3"])
        self.assertEqual({e["event"] for e in got[1:]}, {"tick"})
        self.assertEqual(json.loads(got[3]["data"]), {"id": 3, "of": 3})

    def test_resumes_after_last_event_id(self):
        r = get("/sse?count=5&interval=0", headers=[("Last-Event-ID", "2")])
        self.assertEqual(r.status, 200)
        self.assertEqual([e["id"] for e in events(r.body)], ["3", "4", "5"])

    def test_nothing_left_is_204_so_eventsource_stops(self):
        r = get("/sse?count=5", headers=[("Last-Event-ID", "5")])
        self.assertEqual(r.status, 204)

    def test_fail_after_drops_the_connection_after_whole_events(self):
        with RawConnection(SERVER.port) as c:
            c.request("GET", "/sse?count=5&interval=0&fail_after=2")
            raw = c.read_until_close(timeout=10)
        self.assertIn(b"Transfer-Encoding: chunked", raw)
        self.assertIn(b"id: 2\n", raw)
        self.assertNotIn(b"id: 3\n", raw)
        # closed, not ended: the last chunk of a chunked body never came
        self.assertFalse(raw.endswith(b"0\r\n\r\n"), raw[-40:])
        self.assertTrue(raw.endswith(b"\n\n\r\n"), raw[-40:])  # the second event went whole

    def test_fail_after_then_reconnect_gets_the_rest_without_repeats(self):
        seen, last = [], None
        for _ in range(10):  # count=5, fail_after=2: three connections, then a 204
            # Connection: close, so that the stream that ends normally closes too
            headers = [("Connection", "close")] + ([("Last-Event-ID", last)] if last else [])
            with RawConnection(SERVER.port) as c:
                c.request("GET", "/sse?count=5&interval=0&fail_after=2", headers=headers)
                raw = c.read_until_close(timeout=10)
            if raw.startswith(b"HTTP/1.1 204"):
                break
            ids = re.findall(rb"id: (\d+)\n", raw)
            seen += [int(i) for i in ids]
            last = ids[-1].decode()
        self.assertEqual(seen, [1, 2, 3, 4, 5])

    def test_keepalive_comments_between_events(self):
        r = get("/sse?count=2&interval=0.5&keepalive=0.1")
        self.assertEqual([e["id"] for e in events(r.body)], ["1", "2"])
        self.assertIn(b"\n\n: keep-alive\n\n", r.body)

    def test_interval_is_kept_and_jitter_is_seeded(self):
        started = time.monotonic()
        r = get("/sse?count=3&interval=0.2&jitter=0.05&seed=9")
        self.assertGreaterEqual(time.monotonic() - started, 2 * 0.15)
        self.assertEqual([e["id"] for e in events(r.body)], ["1", "2", "3"])

    def test_status_answers_instead_of_the_stream(self):
        r = get("/sse?status=503")
        self.assertEqual(r.status, 503)
        self.assertNotEqual(r.header("Content-Type"), "text/event-stream")

    def test_curl_reads_the_stream(self):
        curl = shutil.which("curl")
        if not curl:
            self.skipTest("curl is not installed")
        out = subprocess.run([curl, "-sN", "--max-time", "10", "-H", "Last-Event-ID: 1",
                              SERVER.url("/sse?count=3&interval=0.01&event=e")],
                             capture_output=True, check=True).stdout
        self.assertEqual([(e["id"], e["event"]) for e in events(out)], [("2", "e"), ("3", "e")])

    def test_bad_input_is_refused(self):
        for target, parameter in [
                ("/sse?count=0", "count"), ("/sse?count=-1", "count"),
                ("/sse?count=1001", "count"), ("/sse?count=99999999999999999999", "count"),
                ("/sse?interval=-1", "interval"), ("/sse?interval=0.0001", "interval"),
                ("/sse?interval=1e3", "interval"), ("/sse?jitter=abc", "jitter"),
                ("/sse?keepalive=0", "keepalive"), ("/sse?retry=-5", "retry"),
                ("/sse?retry=86400001", "retry"), ("/sse?fail_after=0", "fail_after"),
                ("/sse?event=a%20b", "event"), ("/sse?event=a%0d%0adata:x", "event"),
                ("/sse?status=302", "status"), ("/sse?status=600", "status"),
                ("/sse?count=1000&interval=1", "count"),  # past --max-delay (120 s) in all
                ("/sse?seed=x", "seed")]:
            with self.subTest(target=target):
                self.assertRefused(target, parameter)
        for value in ("6", "x", "-1"):
            with self.subTest(last_event_id=value):
                self.assertRefused("/sse?count=5", "Last-Event-ID",
                                   headers=[("Last-Event-ID", value)])


class StreamTest(unittest.TestCase, BadInputMixin):
    def test_stream_sends_one_echo_per_line_each_its_own_chunk(self):
        r = get("/stream/3?x=1", headers=[("X-Probe", "yes")])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Transfer-Encoding"), "chunked")
        lines = r.body.decode().splitlines()
        self.assertEqual(len(lines), 3)
        for i, line in enumerate(lines):
            echo = json.loads(line)
            self.assertEqual(echo["id"], i)
            self.assertTrue(echo["url"].endswith("/stream/3?x=1"), echo["url"])
            self.assertEqual(echo["args"], {"x": "1"})
            self.assertEqual(echo["headers"]["X-Probe"], "yes")
        sizes, _ = chunk_sizes(r.raw)
        self.assertEqual(sizes, [len(line) + 1 for line in lines])

    def test_stream_bytes_are_deterministic_in_chunks_of_chunk_size(self):
        r = get("/stream-bytes/100?seed=7&chunk_size=30")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "application/octet-stream")
        self.assertEqual(chunk_sizes(r.raw)[0], [30, 30, 30, 10])
        self.assertEqual(r.body, get("/bytes/100?seed=7").body)  # the same generator
        self.assertEqual(r.body, get("/stream-bytes/100?seed=7").body)
        self.assertNotEqual(r.body, get("/stream-bytes/100?seed=8").body)

    def test_head_of_a_stream_closes_its_connection(self):
        # libmicrohttpd frames a chunked HEAD answer anyway: the connection must close after
        # it, or those bytes would be read as the next response.
        for target in ("/sse", "/stream/2", "/stream-bytes/10", "/trailers",
                       "/bytes/10?seed=1&chunk=3"):
            with self.subTest(target=target), RawConnection(SERVER.port) as c:
                get_headers = {n.lower() for n, _ in get(target).headers} - {"date"}
                c.request("HEAD", target)
                r = c.read_response("HEAD")
                self.assertEqual(r.status, 200)
                self.assertIn("close", r.connection_tokens())
                self.assertIsNone(r.header("Content-Length"))  # GET's body is chunked
                self.assertEqual({n.lower() for n, _ in r.headers} - {"date", "connection"},
                                 get_headers)
                self.assertTrue(c.closed_by_server(timeout=5))

    def test_bad_input_is_refused(self):
        for target, parameter in [
                ("/stream/101", "{n}"), ("/stream/-1", "{n}"), ("/stream/x", "{n}"),
                ("/stream-bytes/10485761", "{n}"), ("/stream-bytes/-1", "{n}"),
                ("/stream-bytes/10?chunk_size=0", "chunk_size"),
                ("/stream-bytes/10?chunk_size=1048577", "chunk_size"),
                ("/stream-bytes/10?seed=-1", "seed")]:
            with self.subTest(target=target):
                self.assertRefused(target, parameter)


class TrailersTest(unittest.TestCase, BadInputMixin):
    def test_default_trailer_is_server_timing(self):
        r = get("/trailers")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Trailer"), "Server-Timing")
        self.assertEqual(r.header("Transfer-Encoding"), "chunked")
        self.assertIsNone(r.header("Content-Length"))
        _, trailers = chunk_sizes(r.raw)
        self.assertEqual(len(trailers), 1)
        self.assertTrue(trailers[0].startswith("Server-Timing: "), trailers)

    def test_trailers_asked_for_follow_the_body(self):
        r = get("/trailers?trailer=X-Checksum:abc&trailer=X-Two:%202&format=json")
        self.assertEqual(r.header("Trailer"), "X-Checksum, X-Two")
        self.assertEqual(json.loads(r.body)["status"], 200)
        self.assertEqual(chunk_sizes(r.raw)[1], ["X-Checksum: abc", "X-Two: 2"])

    def test_curl_raw_shows_them(self):
        curl = shutil.which("curl")
        if not curl:
            self.skipTest("curl is not installed")
        out = subprocess.run([curl, "-s", "--raw", "--max-time", "10",
                              SERVER.url("/trailers?trailer=X-Result:ok")],
                             capture_output=True, check=True).stdout
        self.assertTrue(out.endswith(b"\r\n0\r\nX-Result: ok\r\n\r\n"), out[-60:])

    def test_bad_trailers_are_refused(self):
        for target in ["/trailers?trailer=Content-Length:5", "/trailers?trailer=Host:x",
                       "/trailers?trailer=authorization:x", "/trailers?trailer=Trailer:x",
                       "/trailers?trailer=Transfer-Encoding:chunked",
                       "/trailers?trailer=Cache-Control:no-store",
                       "/trailers?trailer=X-A:a%0d%0aInjected:1", "/trailers?trailer=X-A:a%0ab",
                       "/trailers?trailer=X-A:", "/trailers?trailer=X%20A:1",
                       "/trailers?trailer=no-colon", "/trailers?trailer=X-A:%01",
                       "/trailers?" + "&".join("trailer=X-%d:1" % i for i in range(9))]:
            with self.subTest(target=target):
                self.assertRefused(target, "trailer")


class ShapingTest(unittest.TestCase, BadInputMixin):
    def test_rate_throttles_the_body_and_keeps_its_length(self):
        plain = get("/bytes/1500?seed=3")
        started = time.monotonic()
        r = get("/bytes/1500?seed=3&rate=1000")
        elapsed = time.monotonic() - started
        self.assertEqual(r.body, plain.body)
        self.assertEqual(r.header("Content-Length"), "1500")
        # the first tenth of a second's worth goes at once, then 1000 bytes a second
        self.assertGreaterEqual(elapsed, (1500 - 100) / 1000 - 0.05)

    def test_rate_on_a_shared_status_response(self):
        started = time.monotonic()
        r = get("/status/200?rate=2000")
        self.assertEqual(r.status, 200)
        length = int(r.header("Content-Length"))
        self.assertEqual(len(r.body), length)
        self.assertGreaterEqual(time.monotonic() - started, (length - 200) / 2000 - 0.05)

    def test_rate_gives_way_after_max_delay(self):
        with StatusdServer("--max-delay", "1") as server:
            started = time.monotonic()
            r = get("/bytes/200000?seed=1&rate=1000", server=server, timeout=30)
            self.assertEqual(len(r.body), 200000)
            # 200 s at 1000 B/s; capped at --max-delay (1 s), then full speed
            self.assertLess(time.monotonic() - started, 20 * SLOWDOWN)

    def test_chunk_slices_the_body_into_chunks(self):
        r = get("/bytes/100?seed=1&chunk=30")
        self.assertEqual(r.header("Transfer-Encoding"), "chunked")
        self.assertEqual(chunk_sizes(r.raw)[0], [30, 30, 30, 10])
        self.assertEqual(r.body, get("/bytes/100?seed=1").body)
        r = get("/status/418?chunk=7")  # an explanation (a shared response without ?chunk=)
        sizes, _ = chunk_sizes(r.raw)
        self.assertEqual(set(sizes[:-1]), {7})
        r = get("/drip?numbytes=10&duration=0&chunk=4")  # a stream
        self.assertEqual(r.body, b"*" * 10)
        self.assertTrue(all(size <= 4 for size in chunk_sizes(r.raw)[0]))

    def test_abort_after_cuts_the_body_and_the_connection(self):
        with RawConnection(SERVER.port) as c:
            c.request("GET", "/bytes/100?seed=1&abort_after=40")
            raw = c.read_until_close(timeout=10)
        head, _, body = raw.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: 100", head)
        self.assertEqual(body, get("/bytes/100?seed=1").body[:40])
        with RawConnection(SERVER.port) as c:
            c.request("GET", "/status/200?abort_after=0")
            raw = c.read_until_close(timeout=10)
        self.assertTrue(raw.endswith(b"\r\n\r\n") and b"Content-Length:" in raw)
        r = get("/bytes/100?seed=1&abort_after=100")  # all of it: nothing to cut
        self.assertEqual(len(r.body), 100)

    def test_abort_after_a_chunk_leaves_out_the_last_chunk(self):
        with RawConnection(SERVER.port) as c:
            c.request("GET", "/sse?count=3&interval=0&abort_after=10")
            raw = c.read_until_close(timeout=10)
        self.assertIn(b"Transfer-Encoding: chunked", raw)
        self.assertTrue(raw.endswith(b"\r\nA\r\nid: 1\ndata\r\n"), raw[-30:])

    def test_delay_range_is_drawn_reproducibly_with_seed(self):
        first = get("/status/200?delay=0..0.3&seed=5")
        second = get("/status/200?delay=0..0.3&seed=5")
        timing = first.header("Server-Timing")
        self.assertRegex(timing, r"^delay;dur=\d+$")
        self.assertEqual(second.header("Server-Timing"), timing)
        self.assertLessEqual(int(timing.split("=")[1]), 300)
        fixed = get("/status/200?delay=0.01")
        self.assertIsNone(fixed.header("Server-Timing"))  # nothing drawn: nothing to say

    def test_delay_with_jitter_stays_around_it(self):
        drawn = set()
        for seed in range(6):
            started = time.monotonic()
            r = get("/anything?delay=0.2&jitter=0.1&seed=%d" % seed)
            ms = int(r.header("Server-Timing").split("=")[1])
            self.assertGreaterEqual(ms, 100)
            self.assertLessEqual(ms, 300)
            self.assertGreaterEqual(time.monotonic() - started, ms / 1000 - 0.01)
            drawn.add(ms)
        self.assertGreater(len(drawn), 1)  # six seeds, not one value

    def test_http_client_reads_shaped_bodies(self):
        connection = http.client.HTTPConnection(HOST, SERVER.port, timeout=10)
        try:
            for target in ("/bytes/64?seed=2&chunk=5&rate=640", "/trailers?chunk=50"):
                connection.request("GET", target)
                response = connection.getresponse()
                self.assertEqual(response.status, 200)
                body = response.read()
                self.assertTrue(body)
        finally:
            connection.close()

    def test_statuses_without_content_stay_unframed(self):
        # A chunked 204 or 304 would desynchronise keep-alive: shaping leaves them alone.
        with RawConnection(SERVER.port) as c:
            for target in ("/status/204?chunk=5&rate=10", "/status/304?chunk=5&abort_after=0",
                           "/status/200"):
                c.request("GET", target)
                r = c.read_response()
                self.assertIsNone(r.header("Transfer-Encoding"), target)
            self.assertEqual(r.status, 200)  # the third answer, on the same connection

    def test_jitter_alone_belongs_to_the_endpoint(self):
        self.assertEqual(get("/status/200?jitter=abc").status, 200)

    def test_bad_input_is_refused(self):
        for target, parameter in [
                ("/status/200?delay=3..1", "delay"), ("/status/200?delay=1..x", "delay"),
                ("/status/200?delay=..1", "delay"), ("/status/200?delay=-1", "delay"),
                ("/status/200?delay=0..121", "delay"),
                ("/status/200?delay=1&jitter=-1", "jitter"),
                ("/status/200?delay=1&jitter=121", "jitter"),
                ("/status/200?delay=1..2&seed=x", "seed"),
                ("/status/200?rate=0", "rate"), ("/status/200?rate=-5", "rate"),
                ("/status/200?rate=1000000001", "rate"), ("/status/200?rate=1e3", "rate"),
                ("/status/200?chunk=0", "chunk"), ("/status/200?chunk=1048577", "chunk"),
                ("/status/200?abort_after=-1", "abort_after"),
                ("/status/200?abort_after=10485761", "abort_after")]:
            with self.subTest(target=target):
                self.assertRefused(target, parameter)


class Http2Test(unittest.TestCase):
    """The streams over HTTP/2 (h2c, python3-h2): a stream of unknown length ends with
    END_STREAM, a broken one with RST_STREAM. Trailers and shaping are HTTP/1.1 only so far."""

    def setUp(self):
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "h2"))
        import h2.events  # noqa: F401 (python3-h2, which scripts/deps --test installs)
        from h2support import Client
        self.events = sys.modules["h2.events"]
        self.client = Client(SERVER.port)

    def tearDown(self):
        self.client.close()

    def test_sse_and_stream_end_with_end_stream(self):
        status, headers, body = self.client.exchange("/sse?count=3&interval=0")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/event-stream")
        self.assertNotIn("content-length", headers)
        self.assertEqual([e["id"] for e in events(body)], ["1", "2", "3"])
        status, _, body = self.client.exchange("/stream/2")
        self.assertEqual([json.loads(line)["id"] for line in body.splitlines()], [0, 1])
        _, _, body = self.client.exchange("/stream-bytes/100?seed=7&chunk_size=30")
        self.assertEqual(body, get("/bytes/100?seed=7").body)

    def test_head_of_a_stream_names_no_length(self):
        for path in ("/sse", "/stream/2"):
            status, headers, body = self.client.exchange(path, method="HEAD")
            self.assertEqual(status, 200)
            self.assertNotIn("content-length", headers)
            self.assertEqual(body, b"")

    def test_fail_after_resets_the_stream(self):
        stream = self.client.request("/sse?count=3&interval=0&fail_after=1")
        self.assertTrue(self.client.pump(self.client.finished(stream), timeout=10))
        self.assertTrue(self.client.of(stream, self.events.StreamReset))
        # the connection survives: another stream on it is answered
        status, _, _ = self.client.exchange("/status/200")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
