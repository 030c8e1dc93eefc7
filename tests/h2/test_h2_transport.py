"""The HTTP/2 transport (src/h2) alone, through tests/h2/h2_echo_server.c: one port that
serves HTTP/2 (h2c with prior knowledge, or TLS with ALPN h2) and hands everything else to
libmicrohttpd, checked with real clients: curl, nghttp and Python's h2 (frame level).

Every server runs on 127.0.0.1 port 0 and is stopped by its PID; every wait is bounded.
"""

import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import hpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h2support import Client, curl, self_signed_certificate  # noqa: E402
from hyperframe.frame import (ContinuationFrame, Frame, GoAwayFrame, HeadersFrame, PingFrame,
                              RstStreamFrame, SettingsFrame)

HOST = "127.0.0.1"
TIMEOUT = 5.0
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, REFUSED_STREAM, CANCEL, ENHANCE_YOUR_CALM = 0, 1, 2, 7, 8, 11

CERTS = None  # (cert, key) paths, made once by setUpModule


def setUpModule():
    global CERTS
    CERTS = self_signed_certificate("h2-test-")


def tls_args():
    return ["--tls-cert", CERTS[0], "--tls-key", CERTS[1]]


class EchoServer:
    """h2_echo_server on a free port; stop() sends SIGTERM and expects exit 0."""

    def __init__(self, *args):
        self.args = [os.environ["H2_ECHO_SERVER"], "--port", "0", *args]
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=self.stderr,
                                        stdin=subprocess.DEVNULL)
        line = b""
        deadline = time.monotonic() + 10
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(left, 0))
            if not ready:
                self.process.kill()
                raise AssertionError("no listening line; stderr: %s" % self.stderr_text())
            chunk = os.read(self.process.stdout.fileno(), 1)
            if not chunk:
                raise AssertionError("server exited; stderr: %s" % self.stderr_text())
            line += chunk
        self.port = int(line.split()[-1])

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")[-3000:]

    def rss_kib(self):
        with open("/proc/%d/status" % self.process.pid) as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            raise AssertionError("no exit within 15 s of SIGTERM")
        self.process.stdout.close()
        self.stderr_text_at_exit = self.stderr_text()
        self.stderr.close()
        if code != 0:
            raise AssertionError("exit code %s; stderr: %s" % (code, self.stderr_text_at_exit))

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)


# --- a raw client for what h2 refuses to send (floods, too many streams) ----------------------

class RawClient:
    def __init__(self, port, receive_buffer=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect((HOST, port))
        self.encoder = hpack.Encoder()
        self.buffer = b""
        self.frames = []
        self.closed = False
        self.send(PREFACE + SettingsFrame(0).serialize())

    def send(self, data):
        self.sock.sendall(data)

    def headers_block(self, path, extra=()):
        return self.encoder.encode([(":method", "GET"), (":scheme", "http"),
                                    (":authority", "localhost"), (":path", path), *extra])

    def request_frame(self, stream, path, end_stream=True):
        frame = HeadersFrame(stream, self.headers_block(path))
        frame.flags.add("END_HEADERS")
        if end_stream:
            frame.flags.add("END_STREAM")
        return frame.serialize()

    def read_frames(self, done, timeout=TIMEOUT):
        """Reads frames until done(frames) or close; returns True if done."""
        deadline = time.monotonic() + timeout
        while not done(self.frames):
            if self.closed:
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                data = b""
            if not data:
                self.closed = True
                continue
            self.buffer += data
            while len(self.buffer) >= 9:
                frame, length = Frame.parse_frame_header(memoryview(self.buffer[:9]))
                if len(self.buffer) < 9 + length:
                    break
                frame.parse_body(memoryview(self.buffer[9:9 + length]))
                self.buffer = self.buffer[9 + length:]
                self.frames.append(frame)
        return True

    def goaway(self):
        found = [f for f in self.frames if isinstance(f, GoAwayFrame)]
        return found[0] if found else None

    def ended_within(self, timeout):
        """True if the server closed the connection (after any GOAWAY) within timeout."""
        self.read_frames(lambda frames: False, timeout)
        return self.closed

    def close(self):
        self.sock.close()


def served(port, tls=False):
    """A fresh client still gets /echo answered."""
    client = Client(port, tls=tls)
    try:
        status, _, _ = client.exchange("/echo")
        return status == 200
    finally:
        client.close()


# --- tests --------------------------------------------------------------------------------------

class PlainPort(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = EchoServer("--max-body", "1000", "--max-header-bytes", "4096")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def url(self, path):
        return "http://%s:%d%s" % (HOST, self.server.port, path)

    def test_curl_prior_knowledge_gets_http2(self):
        code, out, err = curl("--http2-prior-knowledge", "-w", "\n%{http_version}", self.url("/echo"))
        self.assertEqual(code, 0, err)
        body, _, version = out.rpartition("\n")
        self.assertEqual(version, "2")
        request = json.loads(body)
        self.assertEqual((request["method"], request["path"], request["scheme"], request["tls"]),
                         ("GET", "/echo", "http", False))
        self.assertIn(["user-agent", "curl/7.88.1"], request["fields"])

    def test_curl_http11_on_the_same_port_gets_libmicrohttpd(self):
        code, out, err = curl("--http1.1", "-w", "%{http_version}", self.url("/echo"))
        self.assertEqual((code, out), (0, "h1 GET /echo\n1.1"), err)

    def test_http11_request_starting_like_the_preface_goes_to_libmicrohttpd(self):
        # "PRI" then something else: a prefix of the preface at first, then not.
        with socket.create_connection((HOST, self.server.port), timeout=TIMEOUT) as sock:
            sock.sendall(b"PR")
            time.sleep(0.05)  # let the server peek a prefix first; no assertion depends on it
            sock.sendall(b"OPFIND /x HTTP/1.1\r\nHost: a\r\n\r\n")
            data = sock.recv(4096)
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data)
        self.assertIn(b"h1 PROPFIND /x", data)

    def test_nghttp_shows_the_interim_headers_then_the_final(self):
        result = subprocess.run(["nghttp", "-v", "-t", "10", self.url("/interim")],
                                capture_output=True, timeout=20)
        out = result.stdout.decode()
        self.assertEqual(result.returncode, 0, out)
        interim = out.index(":status: 103")
        self.assertIn("link: </style.css>; rel=preload; as=style", out)
        self.assertGreater(out.index(":status: 200"), interim)

    def test_request_fields_and_body_reach_the_app(self):
        client = Client(self.server.port)
        status, headers, body = client.exchange(
            "/echo?x=1", method="POST", headers=[("x-one", "1"), ("x-two", "zwei")],
            body=b"hello body")
        client.close()
        request = json.loads(body)
        self.assertEqual(status, 200)
        self.assertEqual(request["path"], "/echo?x=1")
        self.assertEqual(request["body"], "hello body")
        names = [name for name, _ in request["fields"]]
        self.assertEqual(names[:2], ["x-one", "x-two"])  # arrival order

    def test_head_has_the_content_length_and_no_data(self):
        client = Client(self.server.port)
        stream = client.request("/echo", method="HEAD")
        self.assertTrue(client.pump(client.finished(stream)))
        headers = dict(client.of(stream, h2.events.ResponseReceived)[0].headers)
        self.assertEqual(headers[":status"], "200")
        self.assertGreater(int(headers["content-length"]), 50)
        self.assertEqual(client.of(stream, h2.events.DataReceived), [])
        client.close()

    def test_connection_specific_fields_are_dropped_and_names_lower_cased(self):
        # python3-h2 treats connection-specific fields and upper-case names as a protocol
        # error, so a response that arrives at all shows they were fixed.
        client = Client(self.server.port)
        status, headers, body = client.exchange("/connection-headers")
        client.close()
        self.assertEqual((status, body), (200, b"fixed\n"))
        self.assertEqual(headers["x-mixed-case"], "kept")
        self.assertEqual(headers["content-length"], "6")  # the true length, not the app's 999
        for name in ("connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"):
            self.assertNotIn(name, headers)
        self.assertIn("date", headers)

    def test_unknown_path_is_404(self):
        client = Client(self.server.port)
        status, _, body = client.exchange("/nothing-here")
        client.close()
        self.assertEqual(status, 404)
        self.assertIn("Not Found", body.decode())

    def test_app_resets_with_its_chosen_code(self):
        client = Client(self.server.port)
        for code in (CANCEL, REFUSED_STREAM, INTERNAL_ERROR):
            stream = client.request("/reset/%d" % code)
            self.assertTrue(client.pump(client.finished(stream)))
            resets = client.of(stream, h2.events.StreamReset)
            self.assertEqual([r.error_code for r in resets], [code])
        status, _, _ = client.exchange("/echo")  # the connection lives on
        self.assertEqual(status, 200)
        client.close()

    def test_goaway_names_the_stream_before_as_the_last(self):
        client = Client(self.server.port)
        self.assertEqual(client.exchange("/echo")[0], 200)     # stream 1
        self.assertEqual(client.exchange("/echo")[0], 200)     # stream 3
        client.request("/goaway")                              # stream 5
        self.assertTrue(client.pump(lambda c: c.terminated()))
        goaway = client.terminated()
        self.assertEqual((goaway.error_code, goaway.last_stream_id), (NO_ERROR, 3))
        self.assertTrue(client.pump(lambda c: c.closed))
        client.close()

    def test_answer_from_another_thread(self):
        client = Client(self.server.port)
        started = time.monotonic()
        status, _, body = client.exchange("/later")
        client.close()
        self.assertEqual((status, body), (200, b"later\n"))
        self.assertGreaterEqual(time.monotonic() - started, 0.09)

    def test_many_streams_answered_later_on_one_connection(self):
        client = Client(self.server.port)
        streams = [client.request("/later/%d" % (50 + 10 * i)) for i in range(20)]
        self.assertTrue(client.pump(lambda c: all(c.of(s, h2.events.StreamEnded) for s in streams)))
        client.close()

    def test_an_interim_status_that_does_not_exist_resets_the_stream(self):
        client = Client(self.server.port)
        stream = client.request("/bad-interim")
        self.assertTrue(client.pump(client.finished(stream)))
        self.assertEqual([r.error_code for r in client.of(stream, h2.events.StreamReset)],
                         [INTERNAL_ERROR])
        client.close()

    def test_header_list_over_the_limit_is_431(self):
        client = Client(self.server.port)
        status, headers, body = client.exchange("/echo", headers=[("x-big", "a" * 5000)])
        self.assertEqual(status, 431)
        self.assertIn("Request Header Fields Too Large", body.decode())
        self.assertEqual(client.exchange("/echo")[0], 200)  # HPACK state still in step
        client.close()

    def test_body_over_the_limit_is_413_before_it_is_sent(self):
        client = Client(self.server.port)
        stream = client.request("/echo", method="POST", headers=[("content-length", "5000")],
                                end_stream=False)
        # No DATA sent at all: the answer comes from the headers alone.
        self.assertTrue(client.pump(lambda c: c.of(stream, h2.events.ResponseReceived)))
        headers = dict(client.of(stream, h2.events.ResponseReceived)[0].headers)
        self.assertEqual(headers[":status"], "413")
        # ... and the server tells the client to stop sending (RFC 9113 §8.1).
        self.assertTrue(client.pump(lambda c: c.of(stream, h2.events.StreamReset)))
        self.assertEqual(client.of(stream, h2.events.StreamReset)[0].error_code, NO_ERROR)
        client.close()

    def test_body_over_the_limit_without_content_length_is_413(self):
        client = Client(self.server.port)
        status, _, _ = client.exchange("/echo", method="POST", body=b"z" * 3000)
        self.assertEqual(status, 413)
        client.close()

    def test_expect_100_continue_gets_100_before_the_body(self):
        client = Client(self.server.port)
        stream = client.conn.get_next_available_stream_id()
        client.conn.send_headers(stream, [(":method", "POST"), (":scheme", "http"),
                                          (":authority", "a"), (":path", "/echo"),
                                          ("expect", "100-continue")])
        client.flush()
        self.assertTrue(client.pump(lambda c: c.of(stream, h2.events.InformationalResponseReceived)))
        self.assertEqual(dict(client.of(stream, h2.events.InformationalResponseReceived)[0]
                              .headers)[":status"], "100")
        client.conn.send_data(stream, b"now", end_stream=True)
        client.flush()
        self.assertTrue(client.pump(client.finished(stream)))
        body = b"".join(e.data for e in client.of(stream, h2.events.DataReceived))
        self.assertEqual(json.loads(body)["body"], "now")
        client.close()


class TlsPort(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = EchoServer(*tls_args())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def url(self, path):
        return "https://localhost:%d%s" % (self.server.port, path)

    def resolve(self):
        return ["--resolve", "localhost:%d:127.0.0.1" % self.server.port, "--cacert", CERTS[0]]

    def test_curl_offering_h2_gets_http2_over_tls(self):
        code, out, err = curl("--http2", *self.resolve(), "-w", "\n%{http_version}", self.url("/echo"))
        self.assertEqual(code, 0, err)
        body, _, version = out.rpartition("\n")
        self.assertEqual(version, "2")
        self.assertEqual(json.loads(body)["tls"], True)

    def test_curl_offering_only_http11_gets_libmicrohttpd(self):
        for option in ("--http1.1", "--no-alpn"):
            code, out, err = curl(option, *self.resolve(), "-w", "%{http_version}", self.url("/echo"))
            self.assertEqual((code, out), (0, "h1 GET /echo\n1.1"), option + err)

    def test_curl_shows_103_then_200(self):
        code, _, err = curl("--http2", "-v", *self.resolve(), self.url("/interim"))
        self.assertEqual(code, 0, err)
        self.assertIn("< HTTP/2 103", err)
        self.assertIn("< link: </style.css>; rel=preload; as=style", err)
        self.assertGreater(err.index("< HTTP/2 200"), err.index("< HTTP/2 103"))

    def test_large_body_over_tls(self):
        code, out, err = curl("--http2", *self.resolve(), "-o", "/dev/null", "-w",
                              "%{size_download} %{http_version}", self.url("/big/3000000"))
        self.assertEqual((code, out), (0, "3000000 2"), err)

    def test_python_h2_over_tls(self):
        client = Client(self.server.port, tls=True)
        status, _, body = client.exchange("/echo")
        client.close()
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["scheme"], "http")  # what this client sent


class HostileClients(unittest.TestCase):
    """After each test the server is alive and serves a new client."""

    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = EchoServer(*cls.server_args)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def tearDown(self):
        self.assertTrue(self.server.alive(), self.server.stderr_text())
        self.assertTrue(served(self.server.port))


class Limits(HostileClients):
    """Floods and too many streams. The idle timeout is long here, so a connection that ends
    was ended by a defence."""

    server_args = ("--h2-max-streams", "4", "--timeout", "60")

    def test_streams_past_the_limit_before_the_settings_ack_are_refused(self):
        # Until the client acknowledges our SETTINGS it may not know the limit yet: streams
        # past it are refused (REFUSED_STREAM: safe to retry), the others answered.
        raw = RawClient(self.server.port)
        raw.send(b"".join(raw.request_frame(1 + 2 * i, "/later/500") for i in range(6)))
        refused = lambda fs: [f.stream_id for f in fs if isinstance(f, RstStreamFrame)]
        self.assertTrue(raw.read_frames(lambda fs: len(refused(fs)) >= 2))
        self.assertEqual(refused(raw.frames), [9, 11])
        self.assertEqual({f.error_code for f in raw.frames if isinstance(f, RstStreamFrame)},
                         {REFUSED_STREAM})
        answered = lambda fs: {f.stream_id for f in fs if isinstance(f, HeadersFrame)}
        self.assertTrue(raw.read_frames(lambda fs: answered(fs) >= {1, 3, 5, 7}))
        raw.close()

    def test_streams_past_the_limit_after_the_settings_ack_end_the_connection(self):
        # After the ack, nghttp2 1.52 makes it a connection error (GOAWAY PROTOCOL_ERROR),
        # where RFC 9113 §5.1.2 asks for a stream error; docs/http2.md says more.
        raw = RawClient(self.server.port)
        self.assertTrue(raw.read_frames(lambda fs: any(isinstance(f, SettingsFrame) and
                                                       "ACK" not in f.flags for f in fs)))
        ack = SettingsFrame(0)
        ack.flags.add("ACK")
        raw.send(ack.serialize())
        raw.send(b"".join(raw.request_frame(1 + 2 * i, "/later/500") for i in range(6)))
        self.assertTrue(raw.ended_within(5))
        self.assertEqual(raw.goaway().error_code, PROTOCOL_ERROR)
        raw.close()

    def test_rapid_reset_flood_is_cut_off(self):
        # CVE-2023-44487: open a stream and reset it at once, thousands of times.
        raw = RawClient(self.server.port)
        sent = 0
        try:
            for batch in range(40):
                data = b""
                for i in range(100):
                    stream = 1 + 2 * sent
                    data += raw.request_frame(stream, "/later/1000", end_stream=True)
                    data += RstStreamFrame(stream, error_code=CANCEL).serialize()
                    sent += 1
                raw.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.assertTrue(raw.ended_within(10), "still open after %d resets" % sent)
        goaway = raw.goaway()
        self.assertIsNotNone(goaway, "closed without GOAWAY")
        self.assertNotEqual(goaway.error_code, NO_ERROR)
        log("rapid reset: GOAWAY error %d after %d streams, last id %d"
            % (goaway.error_code, sent, goaway.last_stream_id))
        raw.close()

    def test_continuation_flood_is_cut_off(self):
        # CVE-2024-27316 class: HEADERS without END_HEADERS, then CONTINUATION forever.
        raw = RawClient(self.server.port)
        headers = HeadersFrame(1, raw.headers_block("/echo"))
        headers.flags.add("END_STREAM")
        frames = [headers.serialize()]
        filler = hpack.Encoder()
        for i in range(2000):
            frames.append(ContinuationFrame(1, filler.encode([("x-%d" % i, "v" * 100)])).serialize())
        try:
            for i in range(0, len(frames), 50):
                raw.send(b"".join(frames[i:i + 50]))
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.assertTrue(raw.ended_within(10))
        raw.close()

    def assert_flood_cut_off(self, frame):
        # The client repeats a frame whose answer it never reads (a small receive buffer
        # fills): the server must end the connection, not stop reading it.
        raw = RawClient(self.server.port, receive_buffer=4096)
        try:
            for i in range(200):
                raw.send(frame * 1000)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except socket.timeout:
            self.fail("the server stopped reading instead of closing")
        self.assertTrue(raw.ended_within(10))
        raw.close()

    def test_ping_flood_is_cut_off(self):
        self.assert_flood_cut_off(PingFrame(0, b"12345678").serialize())

    def test_settings_flood_is_cut_off(self):
        self.assert_flood_cut_off(
            SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 65535}).serialize())


class Stalls(HostileClients):
    """Clients that stop reading or say nothing: closed after --timeout 2 (or the preface
    timeout), holding at most max-streams answers meanwhile."""

    server_args = ("--h2-max-streams", "4", "--timeout", "2", "--h2-preface-timeout", "1")

    def test_stalled_reader_is_bounded_and_closed(self):
        # Streams for 4 MiB bodies on a connection whose client reads nothing: the server
        # holds at most max-streams bodies, and closes the connection after --timeout.
        before = self.server.rss_kib()
        raw = RawClient(self.server.port, receive_buffer=4096)
        stream = 1
        try:
            for i in range(50):
                raw.send(raw.request_frame(stream, "/big/4000000"))
                stream += 2
        except (BrokenPipeError, ConnectionResetError):
            pass
        time.sleep(0.5)  # let the server build the answers it will build; not an assertion
        grown = self.server.rss_kib() - before
        self.assertLess(grown, 40 * 1024, "RSS grew %d KiB" % grown)  # 50 streams would be 200 MiB
        self.assertTrue(served(self.server.port))  # others are served meanwhile
        self.assertTrue(raw.ended_within(8), "not closed after --timeout 2")
        raw.close()

    def test_zero_window_reader_is_closed(self):
        # A client that grants no flow-control window at all.
        raw = RawClient(self.server.port)
        raw.send(SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 0}).serialize())
        raw.send(raw.request_frame(1, "/big/100000"))
        self.assertTrue(raw.read_frames(lambda fs: any(isinstance(f, HeadersFrame) for f in fs)))
        self.assertTrue(raw.ended_within(8), "not closed after --timeout 2")
        raw.close()

    def test_silent_connection_is_closed_after_the_preface_timeout(self):
        with socket.create_connection((HOST, self.server.port), timeout=TIMEOUT) as sock:
            started = time.monotonic()
            self.assertEqual(sock.recv(100), b"")
            self.assertLess(time.monotonic() - started, 4)


class Lifecycle(unittest.TestCase):
    def test_sigterm_sends_goaway_and_lets_streams_finish(self):
        # Raw frames: python3-h2 stops reading streams once it has a GOAWAY.
        server = EchoServer()
        try:
            raw = RawClient(server.port)
            raw.send(raw.request_frame(1, "/later/700"))
            self.assertTrue(raw.read_frames(lambda fs: any(isinstance(f, SettingsFrame)
                                                           for f in fs)))
            time.sleep(0.1)  # the request reaches the server first; no assertion depends on it
            server.process.send_signal(signal.SIGTERM)
            ended = lambda fs: any(f.stream_id == 1 and "END_STREAM" in f.flags for f in fs)
            self.assertTrue(raw.read_frames(ended))
            goaway = raw.goaway()
            self.assertIsNotNone(goaway)
            self.assertEqual((goaway.error_code, goaway.last_stream_id), (NO_ERROR, 1))
            self.assertLess(raw.frames.index(goaway),
                            [i for i, f in enumerate(raw.frames) if f.stream_id == 1][0])
            self.assertTrue(raw.ended_within(5))
            raw.close()
        finally:
            server.stop()

    def test_http2_off_leaves_only_http11(self):
        server = EchoServer("--http2", "off")
        try:
            url = "http://%s:%d/echo" % (HOST, server.port)
            code, out, _ = curl("--http1.1", url)
            self.assertEqual((code, out), (0, "h1 GET /echo\n"))
            code, out, _ = curl("--http2-prior-knowledge", url)
            self.assertNotEqual(code, 0)  # libmicrohttpd does not speak HTTP/2
        finally:
            server.stop()

    def test_dual_stack_serves_ipv4_and_ipv6(self):
        if not socket.has_ipv6:
            self.skipTest("no IPv6")
        try:
            with socket.socket(socket.AF_INET6) as probe:
                probe.bind(("::1", 0))
        except OSError:
            self.skipTest("no ::1")
        server = EchoServer("--host", "::")
        try:
            self.assertTrue(served(server.port))
            client = Client(server.port, host="::1", family=socket.AF_INET6)
            self.assertEqual(client.exchange("/echo")[0], 200)
            client.close()
        finally:
            server.stop()


def log(*args):
    print(*args, file=sys.stderr)


if __name__ == "__main__":
    if not shutil.which("nghttp") or not shutil.which("curl"):
        print("nghttp and curl are needed (scripts/deps --test)", file=sys.stderr)
        sys.exit(1)
    unittest.main(verbosity=2)
