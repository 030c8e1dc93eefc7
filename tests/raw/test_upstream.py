"""statusd as a CI mock upstream (SPEC §9, §11): /delay, /drip, /sequence, /flaky, /ratelimit,
/fault, /journal, the state store's bounds, the JSON access log, and SIGTERM with thousands
of delayed requests.

Most tests share one server started with --max-delay 2 (which bounds /fault/hang); the ones
that need other flags start their own. Every key is unique to its test, so tests never see
each other's state. Every wait is bounded: sockets by harness.SOCKET_TIMEOUT, subprocesses by
COMMAND_TIMEOUT, loops by explicit deadlines.
"""

import collections
import json
import os
import resource
import selectors
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, RawConnection, StatusdServer  # noqa: E402

CURL = shutil.which("curl") or "/usr/bin/curl"
COMMAND_TIMEOUT = 10
MAX_DELAY = 2  # the shared server's --max-delay, in seconds
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

SERVER = None


def setUpModule():
    global SERVER
    SERVER = StatusdServer("--max-delay", str(MAX_DELAY)).start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()  # asserts exit code 0 after SIGTERM


# --- helpers ----------------------------------------------------------------------------------

_key_counter = collections.Counter()


def unique_key(name):
    """A key no other test uses, so the shared server's state never leaks between tests."""
    _key_counter[name] += 1
    return "%s-%d-%d" % (name, os.getpid(), _key_counter[name])


def get(path, method="GET", headers=(), server=None, timeout=5.0):
    """One request on a new connection; returns (final response, seconds it took)."""
    server = server or SERVER
    started = time.monotonic()
    with RawConnection(server.port, timeout=timeout) as c:
        c.request(method, path, headers=headers)
        _, response = c.read_final(method)
    return response, time.monotonic() - started


def status_of(path, method="GET", server=None):
    return get(path, method, server=server)[0].status


def journal(key, server=None):
    """The journal of key. No waiting: a request is journaled before its answer goes out."""
    response, _ = get("/journal?key=%s" % key, server=server)
    assert response.status == 200, response
    assert response.header("Content-Type") == "application/json", response.headers
    return json.loads(response.body)


def parallel(path, count, threads, server=None):
    """count GET requests from `threads` threads, each on its own keep-alive connection;
    returns every response. Bounded by the socket timeout of each read."""
    server = server or SERVER
    responses, errors, lock = [], [], threading.Lock()

    def work(share):
        try:
            with RawConnection(server.port) as c:
                for _ in range(share):
                    c.request("GET", path)
                    _, r = c.read_final()
                    with lock:
                        responses.append(r)
        except Exception as e:  # reported in the main thread
            with lock:
                errors.append(e)

    shares = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]
    workers = [threading.Thread(target=work, args=(share,)) for share in shares]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
    assert not any(w.is_alive() for w in workers), "a client thread is still running"
    assert not errors, errors
    assert len(responses) == count, (len(responses), count)
    return responses


def curl(*args):
    """Runs curl; returns (exit code, stderr text)."""
    result = subprocess.run([CURL, "-sS", *args], stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=COMMAND_TIMEOUT)
    return result.returncode, result.stderr.decode("utf-8", "replace")


def cpu_seconds(pid):
    """User + system CPU time the process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def thread_count(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads: line for pid %d" % pid)


def open_descriptors(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def assert_bad_parameter(test, path, parameter, method="GET"):
    response, _ = get(path, method)
    test.assertEqual(response.status, 400, path)
    # A query parameter is quoted ('status'), a path segment braced ({n}).
    named = ("'%s'" % parameter).encode() in response.body or \
        ("{%s}" % parameter).encode() in response.body
    test.assertTrue(named, (path, parameter, response.body[:300]))


# --- /delay/{s} and ?delay= -------------------------------------------------------------------

class TestDelay(unittest.TestCase):
    def test_delay_answers_200_after_the_wait(self):
        response, elapsed = get("/delay/0.4")
        self.assertEqual(response.status, 200)
        self.assertGreaterEqual(elapsed, 0.4)
        self.assertLess(elapsed, 2.0)

    def test_delay_over_max_delay_or_malformed_is_400_never_shortened(self):
        for seconds in ("3", "abc", "-1", "0.0001", ""):
            with self.subTest(seconds=seconds):
                response, elapsed = get("/delay/" + seconds)
                self.assertEqual(response.status, 400)
                self.assertIn(b"The path segment {s} is not valid", response.body)
                self.assertLess(elapsed, 1.0)

    def test_delay_parameter_works_on_stateful_endpoints_too(self):
        key = unique_key("delayed")
        response, elapsed = get("/flaky/1?key=%s&delay=0.3" % key)
        self.assertEqual(response.status, 503)
        self.assertGreaterEqual(elapsed, 0.3)
        response, elapsed = get("/journal?key=%s&delay=0.3" % key)
        self.assertEqual(response.status, 200)
        self.assertGreaterEqual(elapsed, 0.3)

    def test_waiting_requests_hold_no_thread_and_no_cpu(self):
        count = 300
        pid = SERVER.process.pid
        threads_before = thread_count(pid)
        cpu_before = cpu_seconds(pid)
        started = time.monotonic()
        selector = selectors.DefaultSelector()
        sockets = []
        try:
            for _ in range(count):
                s = socket.create_connection((HOST, SERVER.port), timeout=5)
                s.sendall(b"GET /delay/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                s.setblocking(False)
                selector.register(s, selectors.EVENT_READ, bytearray())
                sockets.append(s)
            time.sleep(0.5)  # all of them are now waiting inside the server
            during = thread_count(pid)
            received = read_all_until_close(selector, deadline=time.monotonic() + 10)
        finally:
            for s in sockets:
                s.close()
        elapsed = time.monotonic() - started
        statuses = collections.Counter(data[9:12] for data in received)
        self.assertEqual(statuses, {b"200": count}, statuses)
        # Serialised waits would take count seconds; a thread each would show here.
        self.assertLess(elapsed, 4.0)
        self.assertLessEqual(during, threads_before + 2,
                             "%d threads while %d requests wait" % (during, count))
        # One timer, no polling: waiting costs (nearly) nothing.
        self.assertLess(cpu_seconds(pid) - cpu_before, 0.5)


def read_all_until_close(selector, deadline):
    """Reads every registered socket until the server closes it; returns their bytes. Fails
    if a socket is still open at the deadline."""
    received = []
    while selector.get_map():
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("%d connections still open at the deadline"
                                 % len(selector.get_map()))
        for key, _ in selector.select(timeout=min(left, 1.0)):
            try:
                chunk = key.fileobj.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if chunk:
                key.data.extend(chunk)
                continue
            selector.unregister(key.fileobj)
            received.append(bytes(key.data))
    return received


# --- /drip ------------------------------------------------------------------------------------

class TestDrip(unittest.TestCase):
    def read_drip(self, path):
        """Sends the request; returns (head, [(seconds since sending, body bytes)], total)."""
        with RawConnection(SERVER.port) as c:
            started = time.monotonic()
            c.request("GET", path, headers=[("Connection", "close")])
            arrivals, data = [], b""
            deadline = started + 8
            while True:
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, "the drip did not end")
                c.sock.settimeout(left)
                chunk = c.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                arrivals.append((time.monotonic() - started, len(data)))
        head, _, body = data.partition(b"\r\n\r\n")
        head_length = len(head) + 4
        body_arrivals = [(t, n - head_length) for t, n in arrivals if n > head_length]
        return head.decode("latin-1"), body_arrivals, body

    def test_drip_trickles_the_body_over_the_duration(self):
        head, arrivals, body = self.read_drip("/drip?numbytes=5&duration=1")
        self.assertTrue(head.startswith("HTTP/1.1 200 "), head)
        self.assertIn("\r\nContent-Length: 5\r\n", head + "\r\n")
        self.assertEqual(body, b"*****")
        first_byte, last_byte = arrivals[0][0], arrivals[-1][0]
        self.assertLess(first_byte, 0.6, arrivals)        # not held back to the end
        self.assertGreaterEqual(last_byte, 0.95, arrivals)  # not sent all at once
        self.assertLess(last_byte, 2.0, arrivals)
        self.assertGreaterEqual(len(arrivals), 3, arrivals)

    def test_drip_waits_delay_then_sends_code(self):
        head, arrivals, body = self.read_drip("/drip?numbytes=2&duration=0.2&delay=0.4&code=503")
        self.assertTrue(head.startswith("HTTP/1.1 503 "), head)
        self.assertIn("Retry-After:", head)  # same code, same headers
        self.assertEqual(body, b"**")
        self.assertGreaterEqual(arrivals[-1][0], 0.6)

    def test_drip_uses_no_cpu_while_trickling(self):
        pid = SERVER.process.pid
        before = cpu_seconds(pid)
        _, _, body = self.read_drip("/drip?numbytes=4&duration=1.5")
        self.assertEqual(len(body), 4)
        self.assertLess(cpu_seconds(pid) - before, 0.3, "a busy loop while dripping")

    def test_drip_206_states_its_real_content_range(self):
        response, _ = get("/drip?numbytes=3&duration=0&code=206")
        self.assertEqual(response.status, 206)
        self.assertEqual(response.header("Content-Range"), "bytes 0-2/3")
        self.assertEqual(response.body, b"***")
        response, _ = get("/drip?numbytes=3&duration=0&code=416")
        self.assertEqual(response.header("Content-Range"), "bytes */3")

    def test_drip_head_has_the_length_and_no_body(self):
        response, elapsed = get("/drip?numbytes=7&duration=1", method="HEAD")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.header("Content-Length"), "7")
        self.assertLess(elapsed, 0.9)

    def test_drip_bad_parameters_are_400_naming_them(self):
        for query, parameter in [("numbytes=-1", "numbytes"), ("numbytes=20000000", "numbytes"),
                                 ("duration=x", "duration"), ("duration=3", "duration"),
                                 ("code=204", "code"), ("code=205", "code"), ("code=304", "code"),
                                 ("code=99", "code"), ("code=206&numbytes=0", "code")]:
            with self.subTest(query=query):
                assert_bad_parameter(self, "/drip?" + query, parameter)


# --- /sequence --------------------------------------------------------------------------------

class TestSequence(unittest.TestCase):
    def steps(self, path, count):
        return [get(path)[0] for _ in range(count)]

    def test_sequence_serves_codes_in_order_then_stays_on_the_last(self):
        path = "/sequence/503,301,200?key=" + unique_key("order")
        responses = self.steps(path, 5)
        self.assertEqual([r.status for r in responses], [503, 301, 200, 200, 200])
        self.assertEqual([r.header("X-Sequence-Index") for r in responses],
                         ["1", "2", "3", "3", "3"])
        # same code, same headers
        self.assertTrue(responses[0].has_header("Retry-After"))
        self.assertTrue(responses[1].has_header("Location"))

    def test_sequence_cycle_wraps_around(self):
        path = "/sequence/500,202?cycle=1&key=" + unique_key("cycle")
        responses = self.steps(path, 5)
        self.assertEqual([r.status for r in responses], [500, 202, 500, 202, 500])
        self.assertEqual([r.header("X-Sequence-Index") for r in responses],
                         ["1", "2", "1", "2", "1"])

    def test_sequence_delete_resets_without_taking_a_step(self):
        path = "/sequence/502,201?key=" + unique_key("reset")
        self.assertEqual([r.status for r in self.steps(path, 2)], [502, 201])
        self.assertEqual(status_of(path, "DELETE"), 200)
        self.assertEqual([r.status for r in self.steps(path, 2)], [502, 201])

    def test_sequence_keys_are_independent(self):
        a, b = unique_key("a"), unique_key("b")
        self.assertEqual(status_of("/sequence/500,200?key=" + a), 500)
        self.assertEqual(status_of("/sequence/500,200?key=" + a), 200)
        self.assertEqual(status_of("/sequence/500,200?key=" + b), 500)
        # another list under the same key is another sequence
        self.assertEqual(status_of("/sequence/501,200?key=" + a), 501)

    def test_sequence_retry_after_applies_to_failures(self):
        path = "/sequence/503,200?retry_after=1&key=" + unique_key("retry")
        first, second = self.steps(path, 2)
        self.assertEqual(first.header("Retry-After"), "1")
        self.assertFalse(second.has_header("Retry-After"))

    def test_sequence_bad_lists_are_400_and_take_no_step(self):
        key = unique_key("bad")
        for codes in ("100,200", "abc", "503:2,200", "403.4", "", "200,,200"):
            with self.subTest(codes=codes):
                assert_bad_parameter(self, "/sequence/%s?key=%s" % (codes, key), "codes")
        assert_bad_parameter(self, "/sequence/503,200?retry_after=x&key=" + key, "retry_after")
        self.assertEqual(status_of("/sequence/503,200?key=" + key), 503)
        assert_bad_parameter(self, "/sequence/200?key=" + "k" * 257, "key")

    def test_parallel_clients_never_lose_or_repeat_a_step(self):
        codes = [200 + i for i in range(64)]
        path = "/sequence/%s?cycle=1&key=%s" % (",".join(map(str, codes)),
                                                unique_key("parallel"))
        rounds = 5
        responses = parallel(path, 64 * rounds, threads=20)
        served = collections.Counter(int(r.header("X-Sequence-Index")) for r in responses)
        self.assertEqual(served, {i: rounds for i in range(1, 65)})
        for r in responses:
            self.assertEqual(r.status, codes[int(r.header("X-Sequence-Index")) - 1])


# --- /flaky -----------------------------------------------------------------------------------

class TestFlaky(unittest.TestCase):
    def test_a_keyless_count_says_it_is_shared(self):
        keyless, _ = get("/flaky/1000000?lang=en")
        self.assertIn(b"shared with every client", keyless.body)
        keyed, _ = get("/flaky/1000000?lang=en&key=" + unique_key("own"))
        self.assertNotIn(b"shared with every client", keyed.body)
        for path in ("/sequence/200,201?lang=en", "/ratelimit/100/60?lang=en"):
            self.assertIn(b"shared with every client", get(path)[0].body, path)

    def test_flaky_fails_n_times_then_succeeds(self):
        path = "/flaky/3?status=500&then=201&key=" + unique_key("flaky")
        self.assertEqual([status_of(path) for _ in range(5)], [500, 500, 500, 201, 201])

    def test_flaky_defaults_to_503_with_retry_after_then_200(self):
        path = "/flaky/1?key=" + unique_key("defaults")
        failure, _ = get(path)
        self.assertEqual(failure.status, 503)
        self.assertTrue(failure.has_header("Retry-After"))
        self.assertEqual(status_of(path), 200)

    def test_flaky_retry_after_parameter_sets_the_wait(self):
        path = "/flaky/1?retry_after=2&key=" + unique_key("retry")
        failure, _ = get(path)
        self.assertEqual(failure.header("Retry-After"), "2")
        success, _ = get(path)
        self.assertEqual(success.status, 200)
        self.assertFalse(success.has_header("Retry-After"))

    def test_flaky_100_parallel_requests_give_exactly_50_failures(self):
        responses = parallel("/flaky/50?key=" + unique_key("parallel"), 100, threads=20)
        self.assertEqual(collections.Counter(r.status for r in responses), {503: 50, 200: 50})

    def test_flaky_bad_parameters_are_400(self):
        for query, parameter in [("x?", "n"), ("-1?", "n"), ("2?status=99", "status"),
                                 ("2?then=1000", "then"), ("2?retry_after=soon", "retry_after")]:
            with self.subTest(query=query):
                assert_bad_parameter(self, "/flaky/" + query, parameter)


# --- /ratelimit -------------------------------------------------------------------------------

class TestRatelimit(unittest.TestCase):
    def test_the_note_says_reset_is_a_delta(self):
        response, _ = get("/ratelimit/5/60?lang=en&key=" + unique_key("delta"))
        self.assertIn(b"a delta", response.body)
        self.assertLessEqual(int(response.header("X-RateLimit-Reset")), 60)

    def test_ratelimit_counts_down_then_429_with_retry_after(self):
        path = "/ratelimit/3/60?key=" + unique_key("quota")
        responses = [get(path)[0] for _ in range(5)]
        self.assertEqual([r.status for r in responses], [200, 200, 200, 429, 429])
        self.assertEqual([r.header("RateLimit-Remaining") for r in responses],
                         ["2", "1", "0", "0", "0"])
        for r in responses:
            self.assertEqual(r.header("RateLimit-Policy"), '"default";q=3;w=60')
            self.assertEqual(r.header("RateLimit-Limit"), "3")
            self.assertEqual(r.header("X-RateLimit-Limit"), "3")
            self.assertEqual(r.header("X-RateLimit-Remaining"), r.header("RateLimit-Remaining"))
            reset = int(r.header("RateLimit-Reset"))
            self.assertTrue(58 <= reset <= 60, reset)
            self.assertEqual(r.header("X-RateLimit-Reset"), str(reset))
            self.assertEqual(r.header("RateLimit"), '"default";r=%s;t=%d'
                             % (r.header("RateLimit-Remaining"), reset))
        for r in responses[:3]:
            self.assertFalse(r.has_header("Retry-After"))
        for r in responses[3:]:
            self.assertEqual(r.header("Retry-After"), r.header("RateLimit-Reset"))

    def test_ratelimit_window_reopens_after_retry_after(self):
        path = "/ratelimit/1/1?key=" + unique_key("window")
        self.assertEqual(status_of(path), 200)
        refused, _ = get(path)
        self.assertEqual(refused.status, 429)
        self.assertEqual(refused.header("Retry-After"), "1")
        time.sleep(1.05)
        reopened, _ = get(path)
        self.assertEqual(reopened.status, 200)
        self.assertEqual(reopened.header("RateLimit-Remaining"), "0")

    def test_ratelimit_parallel_clients_get_exactly_the_quota(self):
        responses = parallel("/ratelimit/25/60?key=" + unique_key("parallel"), 80, threads=20)
        self.assertEqual(collections.Counter(r.status for r in responses), {200: 25, 429: 55})
        remaining = sorted(int(r.header("RateLimit-Remaining")) for r in responses
                           if r.status == 200)
        self.assertEqual(remaining, list(range(25)))

    def test_ratelimit_bad_parameters_are_400(self):
        for tail, parameter in [("0/10", "limit"), ("x/10", "limit"), ("10", "limit"),
                                ("10/0", "window_s"), ("10/86401", "window_s"),
                                ("10/", "window_s")]:
            with self.subTest(tail=tail):
                assert_bad_parameter(self, "/ratelimit/" + tail, parameter)


# --- /fault/{kind} ----------------------------------------------------------------------------

class TestFault(unittest.TestCase):
    def assert_curl_exit(self, kind, expected, *options):
        code, stderr = curl(*options, "-o", "/dev/null", SERVER.url("/fault/" + kind))
        self.assertIn(code, expected, "%s: curl said %r" % (kind, stderr))
        return stderr

    def test_fault_reset_is_curl_56_connection_reset(self):
        stderr = self.assert_curl_exit("reset", (56,), "-m", "5")
        self.assertIn("reset", stderr.lower())

    def test_fault_reset_is_a_real_tcp_rst(self):
        with RawConnection(SERVER.port) as c:
            c.request("GET", "/fault/reset")
            with self.assertRaises(ConnectionResetError):
                for _ in range(10):  # bounded by the socket timeout of each recv
                    if not c.sock.recv(65536):
                        self.fail("FIN instead of RST")

    def test_fault_close_is_curl_52_empty_reply(self):
        self.assert_curl_exit("close", (52,), "-m", "5")

    def test_fault_close_sends_no_byte(self):
        with RawConnection(SERVER.port) as c:
            c.request("GET", "/fault/close")
            self.assertEqual(c.read_until_close(), b"")

    def test_fault_truncate_is_curl_18_partial_file(self):
        self.assert_curl_exit("truncate", (18,), "-m", "5")

    def test_fault_bad_chunk_is_curl_56_invalid_chunk(self):
        stderr = self.assert_curl_exit("bad-chunk", (56,), "-m", "5")
        self.assertIn("chunk", stderr.lower())

    def test_fault_garbage_is_curl_1_or_8(self):
        self.assert_curl_exit("garbage", (1, 8), "-m", "5")

    def test_fault_hang_is_curl_28_timeout(self):
        started = time.monotonic()
        self.assert_curl_exit("hang", (28,), "-m", "1")
        self.assertLess(time.monotonic() - started, 1.9)

    def test_fault_hang_closes_after_max_delay_without_a_byte(self):
        with RawConnection(SERVER.port, timeout=MAX_DELAY + 3) as c:
            started = time.monotonic()
            c.request("GET", "/fault/hang")
            data = c.read_until_close()
            elapsed = time.monotonic() - started
        self.assertEqual(data, b"")
        self.assertGreaterEqual(elapsed, MAX_DELAY - 0.05)
        self.assertLess(elapsed, MAX_DELAY + 2)

    def test_fault_unknown_kind_is_400(self):
        assert_bad_parameter(self, "/fault/explode", "kind")

    def test_faults_are_journaled_with_status_0(self):
        key = unique_key("fault")
        curl("-m", "5", "-o", "/dev/null", SERVER.url("/fault/reset?key=" + key))
        curl("-m", "5", "-o", "/dev/null", SERVER.url("/fault/truncate?key=" + key))
        records = journal(key)
        self.assertEqual([(r["path"], r["status"]) for r in records],
                         [("/fault/reset?key=" + key, 0), ("/fault/truncate?key=" + key, 200)])


# --- /journal ---------------------------------------------------------------------------------

class TestJournal(unittest.TestCase):
    def test_journal_records_time_method_path_headers_and_status(self):
        key = unique_key("journal")
        before_ms = time.time() * 1000
        get("/flaky/1?key=" + key, headers=[("X-Attempt", "1")])
        get("/status/201?key=" + key, method="POST", headers=[("X-Attempt", "2")])
        after_ms = time.time() * 1000
        records = journal(key)
        self.assertEqual([r["method"] for r in records], ["GET", "POST"])
        self.assertEqual([r["path"] for r in records],
                         ["/flaky/1?key=" + key, "/status/201?key=" + key])
        self.assertEqual([r["status"] for r in records], [503, 201])
        self.assertEqual([r["headers"]["X-Attempt"] for r in records], ["1", "2"])
        for r in records:
            self.assertIsInstance(r["time_ms"], int)
            self.assertTrue(before_ms - 1000 <= r["time_ms"] <= after_ms + 1000, r["time_ms"])
        self.assertLessEqual(records[0]["time_ms"], records[1]["time_ms"])

    def test_a_hang_is_in_the_journal_while_it_hangs(self):
        key = unique_key("hang")
        with RawConnection(SERVER.port, timeout=5) as c:
            c.request("GET", "/fault/hang?key=" + key)
            # The client is still waiting; the journal already holds its request.
            deadline = time.monotonic() + 3
            records = journal(key)
            while not records and time.monotonic() < deadline:
                time.sleep(0.05)
                records = journal(key)
            self.assertEqual(len(records), 1, records)
            self.assertEqual((records[0]["status"], records[0]["fault"]), (0, "fault-hang"))

    def test_faults_are_journaled_with_what_was_sent(self):
        key = unique_key("faults")
        for kind in ("reset", "close", "bad-chunk", "garbage"):
            with RawConnection(SERVER.port, timeout=5) as c:
                c.request("GET", "/fault/%s?key=%s" % (kind, key))
                try:
                    c.read_until_close(timeout=5)
                except OSError:
                    pass  # the reset
        by_path = {r["path"].split("?")[0]: r for r in journal(key)}
        self.assertEqual((by_path["/fault/bad-chunk"]["status"],
                          by_path["/fault/bad-chunk"]["fault"]), (200, "fault-bad-chunk"))
        for kind in ("reset", "close", "garbage"):
            record = by_path["/fault/" + kind]
            self.assertEqual((record["status"], record["fault"]), (0, "fault-" + kind))

    def test_journal_itself_is_not_recorded(self):
        key = unique_key("self")
        get("/status/200?key=" + key)
        self.assertEqual(len(journal(key)), 1)
        self.assertEqual(len(journal(key)), 1)

    def test_journal_records_are_bounded_whatever_the_client_sends(self):
        # A padded request must not be able to grow the server's memory through its journal.
        key = unique_key("padded")
        headers = [("X-Pad", "a" * 12000)] + [("X-H%d" % i, "v") for i in range(100)]
        get("/status/200?key=" + key, headers=headers)
        record = journal(key)[0]
        self.assertEqual(record["headers"]["X-Pad"], "a" * 256 + "...")
        self.assertLessEqual(len(record["headers"]), 65)
        self.assertEqual(record["headers"]["(more headers)"], "not recorded")

    def test_journal_of_an_unknown_key_is_an_empty_list(self):
        self.assertEqual(journal(unique_key("unknown")), [])

    def test_journal_without_key_is_400(self):
        assert_bad_parameter(self, "/journal", "key")

    def test_journal_stays_valid_json_whatever_the_request_bytes(self):
        key = unique_key("bytes").encode()
        for head in (b"X-Value: \xff", b"X-\xff\xfe: name"):  # the second one is a 400
            with RawConnection(SERVER.port) as c:
                c.send(b"GET /status/200?key=" + key + b" HTTP/1.1\r\nHost: x\r\n" + head +
                       b"\r\n\r\n")
                c.read_final()
        records = journal(key.decode())  # json.loads fails on invalid JSON
        self.assertEqual(len(records), 2)
        self.assertEqual(records[0]["headers"]["X-Value"], "(not UTF-8)")
        self.assertIn("(not UTF-8)", records[1]["headers"])

    def test_journal_holds_each_request_by_the_time_its_answer_arrives(self):
        key = unique_key("order")
        for i in range(20):
            method = ("GET", "POST")[i % 2]
            get("/status/200?key=" + key, method=method, headers=[("X-N", str(i))])
            records = journal(key)  # at once: no wait for the server to catch up
            self.assertEqual(len(records), i + 1)
            self.assertEqual((records[-1]["method"], records[-1]["headers"]["X-N"]),
                             (method, str(i)))

    def test_journal_shows_curl_retried_and_waited_retry_after(self):
        key = unique_key("retries")
        # curl waits Retry-After between its retries; the journal shows it did.
        result = subprocess.run([CURL, "-sS", "--retry", "3", "-w", "%{http_code}",
                                 SERVER.url("/flaky/2?retry_after=1&key=" + key)],
                                capture_output=True, timeout=COMMAND_TIMEOUT)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.endswith(b"200"), result.stdout[-40:])
        records = journal(key)
        self.assertEqual([r["status"] for r in records], [503, 503, 200])
        gaps = [b["time_ms"] - a["time_ms"] for a, b in zip(records, records[1:])]
        for gap in gaps:
            self.assertGreaterEqual(gap, 990, gaps)


# --- state bounds: --max-keys (LRU) and --state-ttl -------------------------------------------

class TestStateBounds(unittest.TestCase):
    CODES = ",".join(str(200 + i) for i in range(60))

    def index(self, server, key):
        response, _ = get("/sequence/%s?key=%s" % (self.CODES, key), server=server)
        return int(response.header("X-Sequence-Index"))

    def test_least_recently_used_keys_are_evicted_beyond_max_keys(self):
        with StatusdServer("--max-keys", "10") as server:
            self.assertEqual(self.index(server, "kept"), 1)
            self.assertEqual(self.index(server, "first-other"), 1)
            for i in range(20):
                # "kept" is always recently used; twenty others push "first-other" out
                self.assertEqual(self.index(server, "kept"), i + 2)
                self.assertEqual(self.index(server, "other-%d" % i), 1)
            self.assertEqual(self.index(server, "kept"), 22)
            self.assertEqual(self.index(server, "first-other"), 1)  # started over
            self.assertEqual(self.index(server, "other-19"), 2)  # recent: still there

    def test_unused_keys_expire_after_state_ttl(self):
        with StatusdServer("--state-ttl", "0.6") as server:
            self.assertEqual(self.index(server, "idle"), 1)
            self.assertEqual(self.index(server, "busy"), 1)
            for step in range(2, 7):
                time.sleep(0.15)  # "busy" is used every 0.15 s, "idle" not for 0.75 s
                self.assertEqual(self.index(server, "busy"), step)
            self.assertEqual(self.index(server, "idle"), 1)
            # its journal expired with it: only the request after the pause is left
            self.assertEqual(len(journal("idle", server=server)), 1)
            self.assertEqual(len(journal("busy", server=server)), 6)


# --- access log -------------------------------------------------------------------------------

class TestJsonLog(unittest.TestCase):
    def test_json_log_lines_record_request_status_bytes_duration_and_fault(self):
        server = StatusdServer("--log", "json").start()
        try:
            ok, _ = get("/status/418?key=log", server=server)
            get("/delay/0.2", server=server)
            curl("-m", "5", "-o", "/dev/null", server.url("/fault/reset"))
            curl("-m", "5", "-o", "/dev/null", server.url("/fault/truncate"))
        except BaseException:
            server.kill()
            raise
        server.stop()  # flushes the log
        lines = server._stdout_tail.decode("utf-8").splitlines()
        records = [json.loads(line) for line in lines if line.strip()]
        by_path = {r["path"]: r for r in records}
        self.assertEqual(set(by_path), {"/status/418?key=log", "/delay/0.2", "/fault/reset",
                                        "/fault/truncate"})
        for r in records:
            for field in ("time", "client", "method", "path", "status", "bytes", "duration_ms",
                          "outcome"):
                self.assertIn(field, r)
            self.assertEqual(r["client"], "127.0.0.1")
            self.assertEqual(r["method"], "GET")
        teapot = by_path["/status/418?key=log"]
        self.assertEqual((teapot["status"], teapot["bytes"], teapot["outcome"]),
                         (418, len(ok.body), "ok"))
        self.assertGreaterEqual(by_path["/delay/0.2"]["duration_ms"], 200)
        self.assertEqual((by_path["/fault/reset"]["status"], by_path["/fault/reset"]["outcome"]),
                         (0, "fault-reset"))
        self.assertEqual(by_path["/fault/truncate"]["outcome"], "fault-truncate")


# --- SIGTERM with thousands of delayed requests -----------------------------------------------

def raise_open_files_limit(needed):
    """Raises this process's descriptor limit to `needed` if the hard limit allows; returns
    how many descriptors it may use."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


class TestShutdown(unittest.TestCase):
    def test_sigterm_answers_2000_delayed_requests_early_and_exits_0(self):
        count = 2000
        available = raise_open_files_limit(count + 256)
        if available < count + 256:
            count = available - 256
        if count < 500:
            self.skipTest("ulimit -n allows only %d descriptors" % available)
        server = StatusdServer().start()  # default --max-delay (120 s): /delay/30 is allowed
        selector = selectors.DefaultSelector()
        sockets = []
        try:
            base = open_descriptors(server.process.pid)
            for _ in range(count):
                s = socket.create_connection((HOST, server.port), timeout=5)
                s.sendall(b"GET /delay/30 HTTP/1.1\r\nHost: x\r\n\r\n")
                s.setblocking(False)
                selector.register(s, selectors.EVENT_READ, bytearray())
                sockets.append(s)
            # Every connection accepted: from here on each one is the server's to answer.
            deadline = time.monotonic() + 10
            while open_descriptors(server.process.pid) < base + count:
                self.assertLess(time.monotonic(), deadline, "connections not accepted")
                time.sleep(0.05)
            time.sleep(0.2)
            self.assertEqual(selector.select(timeout=0), [], "answered before SIGTERM")
            sent = time.monotonic()
            server.send_sigterm()
            received = read_all_until_close(selector, deadline=sent + 12)
            code = server.wait_exit(timeout=max(0.1, sent + 12 - time.monotonic()))
            elapsed = time.monotonic() - sent
        except BaseException:
            server.kill()
            raise
        finally:
            for s in sockets:
                s.close()
            server._close_files()
        self.assertEqual(code, 0)
        self.assertLess(elapsed, 12)
        self.assertEqual(len(received), count)  # every connection closed by the server
        statuses = collections.Counter(complete_status(data) for data in received)
        self.assertEqual(statuses, {200: count}, statuses)


def complete_status(data):
    """The status of the one response in data if it is complete (Content-Length bytes of
    body), else a description of what is wrong."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return "no complete head (%d bytes)" % len(data)
    lines = head.split(b"\r\n")
    lengths = [line.split(b":", 1)[1].strip() for line in lines[1:]
               if line.lower().startswith(b"content-length:")]
    if len(lengths) != 1 or int(lengths[0]) != len(body):
        return "body of %d bytes for Content-Length %r" % (len(body), lengths)
    return int(lines[0].split(b" ")[1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
