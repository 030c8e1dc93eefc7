"""Hostile and broken clients: smuggling tricks libmicrohttpd 0.9.75 lets through, control
bytes, absurd sizes, clients that vanish mid-request, pipelining, slowloris, connection limits
and file-descriptor exhaustion (README "Reliability").

tests/raw/test_wire.py already covers the basics (two Content-Lengths, CL + TE, 414/431 at the
limit, malformed request lines, one slow client); this file goes beyond them. After every
hostile exchange a normal request on a NEW connection must succeed. Every socket operation and
every wait is bounded.
"""

import json
import os
import resource
import selectors
import socket
import struct
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (RawConnection, StatusdServer, binary_path, exchange,  # noqa: E402
                     health_ok, try_exchange)

SERVER = None


def setUpModule():
    global SERVER
    SERVER = StatusdServer("--log", "json").start()  # the later --log wins


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()  # asserts exit code 0 after SIGTERM


def get(target, extra=b""):
    return b"GET " + target.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + b"\r\n"


def tag():
    """A unique query value, to find one request in the access log."""
    return uuid.uuid4().hex[:12]


def access_log(server):
    """The JSON access-log records the harness has drained from stdout so far (the last 64 KiB;
    a partial last line is skipped)."""
    records = []
    for line in server._stdout_tail.decode("utf-8", "replace").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            pass
    return records


def wait_for_log(server, marker, timeout=5.0):
    """The access-log record whose path contains marker; the log is flushed about once a
    second, so this polls within a bound."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in access_log(server):
            if marker in record.get("path", ""):
                return record
        time.sleep(0.1)
    raise AssertionError("no access-log line for %r within %.0f s" % (marker, timeout))


def linger_reset(sock):
    """Makes close() send a TCP RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def raise_open_files_limit(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(wanted, soft)), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class HostileTest(unittest.TestCase):
    server = None  # the module's server unless a class starts its own

    @property
    def port(self):
        return (self.server or SERVER).port

    def connect(self, **kw):
        c = RawConnection(self.port, **kw)
        self.addCleanup(c.close)
        return c

    def tearDown(self):
        self.assertHealthy()  # after every hostile exchange, a new connection is served

    def assertHealthy(self):
        self.assertEqual(health_ok(self.port), 200, "/health on a new connection")

    def assertRefused(self, data, statuses):
        """data gets one of statuses (never a hang), the connection closes after it, and a new
        connection is served."""
        c = self.connect()
        c.send(data)
        _, response = c.read_final()
        self.assertIn(response.status, statuses, response.raw[:200])
        self.assertTrue(c.closed_by_server(timeout=3), "the connection stayed open")
        self.assertHealthy()
        return response

    def assertRefusedOrClosed(self, data, statuses):
        """data gets one of statuses or a close without a response, within the socket timeout;
        then a new connection is served."""
        kind, result = try_exchange(self.port, data)
        self.assertNotEqual(kind, "timeout", "neither answered nor closed: %r" % data[:60])
        if kind == "response":
            self.assertIn(result.status, statuses, result.raw[:200])
        self.assertHealthy()


# --- smuggling past libmicrohttpd's parser ---------------------------------------------------

class ObsoleteLineFolding(HostileTest):
    """libmicrohttpd 0.9.75 appends a folded line to the previous header's NAME ("X-A: one\\r\\n
    two" becomes "X-Atwo: one"); statusd spots the relocated name and refuses with 400."""

    def test_folded_header_line_is_400(self):
        r = self.assertRefused(get("/headers", b"X-A: one\r\n two\r\n"), [400])
        self.assertIn(b"folding", r.body)

    def test_fold_that_hides_a_content_length_is_400(self):
        # Without the check the server sees "Content-Length5: 0" (no length at all) while a
        # proxy that joins folds sees "Content-Length: 0 5" or rejects: framing disagreement.
        self.assertRefused(b"POST /anything HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                           b" 5\r\n\r\nhello", [400])

    def test_fold_with_a_tab_is_400(self):
        self.assertRefused(get("/headers", b"X-A: one\r\n\ttwo three\r\n"), [400])

    def test_fold_of_only_whitespace_is_400(self):
        self.assertRefused(get("/headers", b"X-A: one\r\n \r\n"), [400])

    def test_first_header_line_starting_with_a_space_is_400(self):
        self.assertRefused(b"GET /headers HTTP/1.1\r\n X-A: y\r\nHost: 127.0.0.1\r\n\r\n", [400])

    def test_space_before_colon_is_400(self):
        # RFC 9112 §5.1: a server MUST reject whitespace between field name and colon.
        self.assertRefused(b"GET /headers HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n", [400])

    def test_request_pipelined_after_a_folded_one_is_never_answered(self):
        c = self.connect()
        c.send(get("/headers", b"X-A: one\r\n two\r\n") + get("/status/418"))
        _, first = c.read_final()
        self.assertEqual(first.status, 400)
        self.assertEqual(c.read_until_close(timeout=3), b"", "the smuggled GET was answered")
        self.assertHealthy()


class ControlBytes(HostileTest):
    def test_nul_in_a_header_value_is_400_naming_the_header(self):
        r = self.assertRefused(get("/headers", b"X-Nul: a\x00b\r\nX-After: c\r\n"), [400])
        self.assertIn(b"X-Nul", r.body)

    def test_nul_in_the_last_header_value_is_400(self):
        self.assertRefused(get("/headers", b"X-Nul: a\x00b\r\n"), [400])

    def test_nul_in_a_header_name_is_400(self):
        self.assertRefused(get("/headers", b"X-N\x00ul: a\r\n"), [400])

    def test_bare_cr_in_a_header_value_is_400(self):
        # RFC 9112 §2.2: a bare CR must be rejected or replaced; libmicrohttpd keeps it.
        self.assertRefused(get("/headers", b"X-A: a\rContent-Length: 5\r\n"), [400])

    def test_control_bytes_in_a_header_value_are_400(self):
        for byte in (b"\x01", b"\x1b", b"\x7f"):
            with self.subTest(byte=byte):
                self.assertRefused(get("/headers", b"X-A: a" + byte + b"b\r\n"), [400])

    def test_control_byte_in_a_header_name_is_400(self):
        self.assertRefused(get("/headers", b"X\x01A: b\r\n"), [400])

    def test_control_bytes_in_the_path_are_400(self):
        for target in (b"/status/200\x01", b"/status/\x7f200", b"/status/200\x1b[31m"):
            with self.subTest(target=target):
                self.assertRefusedOrClosed(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                                           [400])

    def test_percent_00_in_a_query_parameter_is_400_naming_it(self):
        _, r = exchange(self.port, get("/status/200?lang=en&color=a%00b"))
        self.assertEqual(r.status, 400)
        self.assertIn(b"'color'", r.body)
        self.assertHealthy()

    def test_percent_00_in_the_path_is_400_naming_the_path(self):
        _, r = exchange(self.port, get("/status/2%0000?lang=en"))
        self.assertEqual(r.status, 400)
        self.assertIn(b"'path'", r.body)

    def test_legal_oddities_are_still_served(self):
        # No false positives: tabs, trailing whitespace, empty values, UTF-8, obs-text.
        _, r = exchange(self.port, get("/headers", b"X-Tab: a\tb \t\r\nX-Empty:\r\nX-Blank:   \r\n"
                                       b"X-Utf8: \xe4\xb8\xad\xe6\x96\x87\r\nX-Obs: \xff\r\n"))
        self.assertEqual(r.status, 200, r.body[:300])
        headers = json.loads(r.body)["headers"]
        self.assertEqual(headers.get("X-Tab"), "a\tb \t")
        self.assertEqual(headers.get("X-Empty"), "")


class LineEndings(HostileTest):
    def test_bare_lf_line_endings_are_served(self):
        # RFC 9112 §2.2 lets a recipient accept a lone LF; libmicrohttpd does, consistently.
        _, r = exchange(self.port, b"GET /headers HTTP/1.1\nHost: 127.0.0.1\nX-A: a\n\n")
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(r.body)["headers"].get("X-A"), "a")

    def test_mixed_line_endings_are_served(self):
        _, r = exchange(self.port, b"GET /headers HTTP/1.1\r\nHost: 127.0.0.1\nX-A: a\r\n\n")
        self.assertEqual(r.status, 200)

    def test_empty_lines_before_the_request_line_are_skipped(self):
        _, r = exchange(self.port, b"\r\n\r\n" + get("/status/418"))
        self.assertEqual(r.status, 418)


# --- absurd sizes ----------------------------------------------------------------------------

class AbsurdSizes(HostileTest):
    def test_one_mebibyte_request_line_is_414(self):
        self.assertRefusedOrClosed(get("/" + "a" * (1 << 20)), [414])

    def test_hundred_kilobyte_method_is_refused(self):
        self.assertRefusedOrClosed(b"G" * 100000 + b" / HTTP/1.1\r\nHost: x\r\n\r\n", [400, 414])

    def test_one_mebibyte_header_value_is_431(self):
        self.assertRefusedOrClosed(get("/", b"X-Big: " + b"a" * (1 << 20) + b"\r\n"), [431])

    def test_hundred_kilobyte_header_name_is_431(self):
        self.assertRefusedOrClosed(get("/", b"X" * 100000 + b": a\r\n"), [431])

    def test_ten_thousand_headers_are_431(self):
        many = b"".join(b"X-%d: y\r\n" % i for i in range(10000))
        self.assertRefusedOrClosed(get("/", many), [431])

    def test_ten_kilobyte_http_version_is_refused(self):
        self.assertRefusedOrClosed(b"GET / HTTP/1.1" + b"1" * 10000 + b"\r\nHost: x\r\n\r\n",
                                   [400, 414, 505])

    def test_huge_and_malformed_content_lengths_are_refused_before_the_body(self):
        cases = {
            b"18446744073709551616": [413],   # 2^64: libmicrohttpd's own 413
            b"18446744073709551615": [413],   # 2^64 - 1: statusd's --max-body
            b"99999999999999999999999": [413],
            b"1048577": [413],                # --max-body + 1
            b"-1": [400], b"-5": [400], b"0x10": [400], b"1e3": [400], b"1 0": [400],
            b"": [400],
        }
        for value, statuses in cases.items():
            with self.subTest(content_length=value):
                self.assertRefused(b"POST /anything HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   b"Content-Length: " + value + b"\r\n\r\n", statuses)

    def test_chunk_size_over_two_to_the_64_is_413(self):
        self.assertRefusedOrClosed(b"POST /anything HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                                   b"chunked\r\n\r\n1FFFFFFFFFFFFFFFF\r\nabc", [413])

    def test_negative_chunk_size_is_400(self):
        self.assertRefusedOrClosed(b"POST /anything HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                                   b"chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n", [400])

    def test_hundred_kilobyte_chunk_extension_is_refused_not_hung(self):
        # Longer than libmicrohttpd's buffer: it answers its own 500 and closes (README
        # "Reliability"); what matters here is no hang and no crash.
        self.assertRefusedOrClosed(b"POST /anything HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                                   b"chunked\r\n\r\n3;" + b"e" * 100000 + b"\r\nabc\r\n0\r\n\r\n",
                                   [400, 413, 431, 500])


# --- clients that vanish ---------------------------------------------------------------------

class Disconnects(HostileTest):
    """The server neither crashes nor keeps the exchange, and the access log says what
    happened."""

    def vanish_after(self, data, wait=0.2, reset=False, read_head=False):
        c = RawConnection(self.port)
        if reset:
            linger_reset(c.sock)
        c.send(data)
        if read_head:
            c.sock.recv(64)
        time.sleep(wait)
        c.close()

    def test_disconnect_mid_head_is_logged_client_aborted(self):
        t = tag()
        self.vanish_after(b"GET /status/200?t=" + t.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Pa")
        self.assertEqual(wait_for_log(SERVER, t)["outcome"], "client-aborted")
        self.assertHealthy()

    def test_disconnect_mid_body_is_logged_client_aborted(self):
        t = tag()
        self.vanish_after(b"POST /anything?t=" + t.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Length: 100\r\n\r\nabc")
        self.assertEqual(wait_for_log(SERVER, t)["outcome"], "client-aborted")
        self.assertHealthy()

    # Depending on whether libmicrohttpd reads the socket before calling statusd back after the
    # delay, the hang-up is logged by statusd (client-closed) or by libmicrohttpd's own
    # termination code; never as "ok".
    GONE = ("client-closed", "client-aborted", "read-error")

    def test_disconnect_mid_delay_is_logged_as_gone(self):
        t = tag()
        self.vanish_after(get("/status/200?delay=1&t=" + t), wait=0.2)
        self.assertHealthy()  # served while the abandoned delay is pending
        record = wait_for_log(SERVER, t)
        self.assertIn(record["outcome"], self.GONE)
        self.assertGreaterEqual(record["duration_ms"], 900)
        self.assertHealthy()

    def test_reset_mid_delay_is_logged_as_gone(self):
        t = tag()
        self.vanish_after(get("/delay/0.5?t=" + t), wait=0.1, reset=True)
        self.assertIn(wait_for_log(SERVER, t)["outcome"], self.GONE)
        self.assertHealthy()

    def test_delays_ending_together_are_answered_when_some_of_their_clients_reset(self):
        # Waits that end together are resumed one per libmicrohttpd thread by the timer, and
        # that "leader" resumes the rest (src/daemon/timer.c). A leader whose client reset
        # the connection never gets its callback: the others must still be answered, and on
        # the same connections again afterwards.
        keep = [self.connect() for _ in range(20)]
        gone = [RawConnection(self.port) for _ in range(10)]
        for c in gone:
            linger_reset(c.sock)
        for wave in ("0.4", "0.2"):
            # The reset ones first: the earliest deadline is the leader's.
            for c in (gone if wave == "0.4" else []) + keep:
                c.send(get("/delay/" + wave))
            if wave == "0.4":
                for c in gone:
                    c.close()
            for c in keep:
                _, r = c.read_final()
                self.assertEqual(r.status, 200, "wave /delay/%s got %r" % (wave, r))
        for c in keep:
            c.close()
        self.assertHealthy()

    def test_half_closed_client_still_gets_its_delayed_answer(self):
        c = self.connect()
        c.send(get("/status/202?delay=0.3"))
        c.sock.shutdown(socket.SHUT_WR)  # nc -N does this after sending
        _, r = c.read_final()
        self.assertEqual(r.status, 202)

    def test_disconnect_mid_drip_is_logged_not_ok(self):
        t = tag()
        self.vanish_after(get("/drip?numbytes=100&duration=2&t=" + t), wait=0.3, read_head=True)
        self.assertNotEqual(wait_for_log(SERVER, t)["outcome"], "ok")
        self.assertHealthy()

    def test_disconnect_right_after_websocket_handshake_is_logged_101(self):
        for read_answer in (False, True):
            with self.subTest(read_answer=read_answer):
                t = tag()
                self.vanish_after(get("/status/101?t=" + t,
                                      b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                      b"Sec-WebSocket-Version: 13\r\n"),
                                  wait=0, read_head=read_answer)
                self.assertEqual(wait_for_log(SERVER, t)["status"], 101)
                self.assertHealthy()

    def test_many_vanishing_clients_leave_the_server_serving(self):
        for i in range(50):
            c = RawConnection(self.port)
            if i % 2:
                linger_reset(c.sock)
            c.send(get("/status/200?delay=0.2") if i % 3 else b"GET /sta")
            c.close()
        self.assertHealthy()


# --- pipelining ------------------------------------------------------------------------------

class Pipelining(HostileTest):
    def test_ten_gets_in_one_send_are_answered_in_order(self):
        codes = [200, 201, 202, 203, 204, 205, 206, 207, 208, 226]
        c = self.connect()
        c.send(b"".join(get("/status/%d" % code) for code in codes))
        self.assertEqual([c.read_response().status for _ in codes], codes)
        self.assertEqual(c.pending_bytes(wait=0.2), b"", "bytes after the tenth response")

    def test_ten_echoes_in_one_send_each_see_their_own_request(self):
        c = self.connect()
        c.send(b"".join(get("/anything?i=%d" % i) for i in range(10)))
        for i in range(10):
            self.assertEqual(json.loads(c.read_response().body)["args"], {"i": str(i)})

    def test_post_with_body_then_get_in_one_send(self):
        c = self.connect()
        c.send(b"POST /anything HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello"
               + get("/status/418"))
        first = c.read_response()
        self.assertEqual((first.status, json.loads(first.body)["body"]), (200, "hello"))
        self.assertEqual(c.read_response().status, 418)

    def test_chunked_post_then_get_in_one_send(self):
        c = self.connect()
        c.send(b"POST /anything HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n0\r\n\r\n" + get("/status/418"))
        self.assertEqual(json.loads(c.read_response().body)["body"], "hello")
        self.assertEqual(c.read_response().status, 418)

    def test_delayed_requests_in_one_send_keep_their_order(self):
        c = self.connect()
        c.send(get("/status/201?delay=0.4") + get("/status/202?delay=0.1") + get("/status/203"))
        self.assertEqual([c.read_response().status for _ in range(3)], [201, 202, 203])


# --- slowloris -------------------------------------------------------------------------------

class Slowloris(HostileTest):
    """1,000 connections trickle their headers one byte a second; a normal client is answered
    within a second throughout, and each trickler gets a 408 once --timeout (3 s) passes."""
    TRICKLERS = 1000
    TIMEOUT_S = 3

    @classmethod
    def setUpClass(cls):
        cls.server = StatusdServer("--timeout", str(cls.TIMEOUT_S)).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_thousand_header_tricklers_do_not_slow_a_normal_client(self):
        if raise_open_files_limit(self.TRICKLERS + 200) < self.TRICKLERS + 100:
            self.skipTest("cannot open %d sockets (ulimit -n)" % self.TRICKLERS)
        selector = selectors.DefaultSelector()
        self.addCleanup(selector.close)
        open_socks = {}
        for i in range(self.TRICKLERS):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            self.addCleanup(s.close)
            s.sendall(b"GET /status/200?n=%d HTTP/1.1\r\n" % i)
            s.setblocking(False)
            selector.register(s, selectors.EVENT_READ)
            open_socks[s] = b""
        trickle = b"X-Slow: " + b"a" * 64
        answers, slowest = {}, 0.0
        started = time.monotonic()
        # Three seconds past --timeout for the stall watch to answer them all (more for a
        # sanitizer build, which answers a thousand 408s more slowly).
        grace = int(3 * harness.SLOWDOWN)
        for second in range(self.TIMEOUT_S + grace):
            for s in list(open_socks):
                try:
                    s.send(trickle[second:second + 1])
                except OSError:
                    pass  # closed after its 408: read below
            for key, _ in selector.select(timeout=0):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                open_socks[s] += data
                if not data:
                    answers[s] = open_socks.pop(s)
                    selector.unregister(s)
            t = time.monotonic()
            self.assertEqual(health_ok(self.port), 200)
            slowest = max(slowest, time.monotonic() - t)
            time.sleep(max(0.0, started + second + 1 - time.monotonic()))
        self.assertLess(slowest, 1.0 * harness.SLOWDOWN, "a normal request took %.2f s" % slowest)
        closed = len(answers)
        got_408 = sum(1 for data in answers.values() if data.startswith(b"HTTP/1.1 408 "))
        self.assertEqual(closed, self.TRICKLERS,
                         "tricklers still open after --timeout + %d s" % grace)
        self.assertGreater(got_408, self.TRICKLERS * 0.95, "only %d of them got a 408" % got_408)


# --- connection limits -----------------------------------------------------------------------

def hold(port, n):
    """n connections, each proven served by one request; they stay open."""
    held = []
    try:
        for _ in range(n):
            c = RawConnection(port, timeout=3)
            held.append(c)
            c.send(get("/health"))
            if c.read_response().status != 200:
                raise AssertionError("a held connection was not served")
    except BaseException:
        for c in held:
            c.close()
        raise
    return held


def all_slots_free_again(port, n, within=5.0):
    """True once n connections can be held at the same time again (the server counts a close
    only when it has processed it, a moment after the client's close)."""
    deadline = time.monotonic() + within
    while True:
        try:
            for c in hold(port, n):
                c.close()
            return True
        except (OSError, AssertionError):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)


def refused_at_once(port, within=0.5):
    """True when a new connection is closed (EOF or reset) without an HTTP byte, fast."""
    started = time.monotonic()
    try:
        c = RawConnection(port, timeout=within + 1)
    except OSError:
        return True
    with c:
        try:
            c.send(get("/health"))
            data = c.sock.recv(100)
        except socket.timeout:
            return False
        except OSError:
            data = b""
    return data == b"" and time.monotonic() - started < within


class ConnectionLimits(unittest.TestCase):
    def limited(self, *args, env=None):
        old = dict(os.environ)
        os.environ.update(env or {})
        try:
            server = StatusdServer(*args).start()
        finally:
            os.environ.clear()
            os.environ.update(old)
        self.addCleanup(server.stop)
        return server

    def assertLimitHolds(self, server, limit):
        held = hold(server.port, limit)
        try:
            self.assertTrue(refused_at_once(server.port), "connection %d not refused" % (limit + 1))
            # The held ones still work.
            held[0].send(get("/status/418"))
            self.assertEqual(held[0].read_response().status, 418)
        finally:
            for c in held:
                c.close()
        self.assertTrue(all_slots_free_again(server.port, limit),
                        "the freed connections were not counted as closed")

    def test_per_ip_limit_closes_extra_connections_at_once(self):
        self.assertLimitHolds(self.limited("--max-connections-per-ip", "3"), 3)

    def test_per_ip_limit_from_the_environment(self):
        self.assertLimitHolds(self.limited(env={"STATUSD_MAX_CONNECTIONS_PER_IP": "2"}), 2)

    def test_global_limit_closes_extra_connections_at_once(self):
        self.assertLimitHolds(self.limited("--max-connections", "4", "--threads", "2"), 4)

    def test_global_limit_from_the_environment(self):
        self.assertLimitHolds(self.limited(env={"STATUSD_MAX_CONNECTIONS": "3"}), 3)

    def test_bad_limit_values_exit_2_naming_the_flag(self):
        for flag in ("--max-connections", "--max-connections-per-ip"):
            with self.subTest(flag=flag):
                run = subprocess.run([binary_path(), flag, "-1"], capture_output=True,
                                     timeout=10)
                self.assertEqual(run.returncode, 2)
                self.assertIn(flag.encode(), run.stderr)

    def test_help_lists_the_limit_flags(self):
        run = subprocess.run([binary_path(), "--help"], capture_output=True, timeout=10)
        self.assertIn(b"--max-connections-per-ip N", run.stdout)
        self.assertIn(b"STATUSD_MAX_CONNECTIONS", run.stdout)


class DescriptorExhaustion(unittest.TestCase):
    """Under `ulimit -n 64` (soft and hard: statusd raises soft to hard) 100 connections get
    either an answer or a prompt close, the server survives, and serves again once they go."""
    LIMIT = 64
    CONNECTIONS = 100

    def test_low_ulimit_degrades_to_refusals_and_recovers(self):
        server = StatusdServer()
        # Python runs first, lowers both limits, then becomes statusd (same pid).
        server.args = [sys.executable, "-c",
                       "import os, resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, "
                       "(%d, %d)); os.execv(sys.argv[1], sys.argv[1:])" % (self.LIMIT, self.LIMIT),
                       *server.args]
        server.start()
        self.addCleanup(server.stop)
        clients, served, refused = [], 0, 0
        try:
            for _ in range(self.CONNECTIONS):
                try:
                    c = RawConnection(server.port, timeout=2)
                except OSError:
                    refused += 1
                    continue
                clients.append(c)
                try:
                    c.send(get("/health"))
                    r = c.read_response()
                    served += r.status == 200
                except socket.timeout:
                    self.fail("connection %d neither served nor closed within 2 s"
                              % len(clients))
                except (OSError, AssertionError):
                    refused += 1
            self.assertTrue(server.alive(), "statusd died: %s" % server.stderr_text())
            self.assertGreater(served, 0)
            self.assertGreater(refused, 0, "a ulimit of %d served %d connections?"
                               % (self.LIMIT, served))
            self.assertEqual(served + refused, self.CONNECTIONS)
        finally:
            for c in clients:
                c.close()
        self.assertTrue(all_slots_free_again(server.port, served),
                        "not serving %d connections again after the others closed" % served)


class StalledRequestsInTheLog(unittest.TestCase):
    """The access-log line of a 408 says what was asked and what was written."""

    def test_a_408_is_logged_with_its_method_target_and_bytes(self):
        with StatusdServer("--timeout", "1", "--log", "json") as server:
            t = tag()
            with RawConnection(server.port, timeout=5) as c:
                c.send(b"POST /anything?t=" + t.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       b"Content-Length: 10\r\n\r\nab")  # and then nothing
                answer = c.read_until_close(timeout=5)
            self.assertTrue(answer.startswith(b"HTTP/1.1 408 "), answer[:40])
            record = wait_for_log(server, t)
            self.assertEqual((record["status"], record["method"], record["outcome"]),
                             (408, "POST", "stalled"))
            body = answer.split(b"\r\n\r\n", 1)[1]
            self.assertEqual(record["bytes"], len(body))
            self.assertGreater(record["bytes"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
