"""A log nobody reads never stalls the server (issue: "a log that can freeze the server").

statusd's access log goes to stdout. Here stdout is a pipe the test holds open but does not
read (a stalled log shipper, `statusd | less` left open): thousands of requests and a hundred
delayed ones must still be answered in time, and SIGTERM must still end the process with 0
within its grace period. Then the same with a reader that wakes up late: it must find the
line saying how many log lines were dropped while it slept.
"""

import http.client
import os
import select
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, binary_path  # noqa: E402

REQUESTS = 5000
CONNECTIONS = 10
DELAYED = 100
# A padded target makes each log line ~200 bytes, so 5,000 lines overflow the log's buffer
# (256 KiB) and the pipe (64 KiB) together, and some must be dropped.
PADDING = "x" * 120
GRACE_S = 10


def start_server():
    process = subprocess.Popen([binary_path(), "--port", "0", "--log", "text", "--threads", "2",
                                "--max-delay", "5"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    fd = process.stdout.fileno()
    data = b""
    deadline = time.monotonic() + 10
    while b"\n" not in data and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            chunk = os.read(fd, 256)  # only the first line's worth is taken, then no more
            if not chunk:
                break
            data += chunk
    line = data.split(b"\n", 1)[0].decode()
    if not line.startswith("statusd listening on http://"):
        process.kill()
        raise AssertionError("no listening line: %r" % line)
    return process, int(line.rsplit(":", 1)[1])


def get_all(port, targets, failures):
    """GETs targets in order on one keep-alive connection; what went wrong goes in failures."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        for target in targets:
            conn.request("GET", target)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
    except OSError as error:
        failures.append(repr(error))
    finally:
        conn.close()


def run_load(port):
    """Every request answered, every thread done within a bounded time; returns failures."""
    failures = []
    padded = ["/status/200?pad=%s&i=%d" % (PADDING, i) for i in range(REQUESTS // CONNECTIONS)]
    threads = [threading.Thread(target=get_all, args=(port, padded, failures))
               for _ in range(CONNECTIONS)]
    threads += [threading.Thread(target=get_all, args=(port, ["/delay/0.2"], failures))
                for _ in range(DELAYED)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    stuck = sum(t.is_alive() for t in threads)
    return failures, stuck


class LogNobodyReads(unittest.TestCase):
    def setUp(self):
        self.process, self.port = start_server()
        self.addCleanup(self.stop_anyway)

    def stop_anyway(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.process.stdout.close()
        self.process.stderr.close()

    def terminate_within_grace(self):
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(GRACE_S + 2)
        except subprocess.TimeoutExpired:
            self.fail("SIGTERM did not end statusd within %d s with its stdout unread" % GRACE_S)
        self.assertEqual(code, 0)
        return time.monotonic() - started

    def test_requests_and_delays_are_answered_while_stdout_is_never_read(self):
        failures, stuck = run_load(self.port)
        self.assertEqual(stuck, 0, "requests still unanswered after 60 s")
        self.assertEqual(failures, [])
        # The server still answers a fresh client, and SIGTERM still ends it.
        conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
        conn.request("GET", "/health")
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()
        self.terminate_within_grace()

    def test_a_late_reader_is_told_how_many_lines_were_dropped(self):
        failures, stuck = run_load(self.port)
        self.assertEqual((failures, stuck), ([], 0))
        # The reader wakes up: it gets the lines that were kept, then the count of the rest.
        fd = self.process.stdout.fileno()
        seen = b""
        deadline = time.monotonic() + 20
        while b"access log lines dropped" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                seen = (seen + chunk)[-(1 << 20):]
        self.assertIn(b"access log lines dropped", seen)
        line = [l for l in seen.split(b"\n") if b"access log lines dropped" in l][0]
        dropped = int(line.split(b"statusd: ", 1)[1].split(b" ", 1)[0])
        self.assertGreater(dropped, 0)
        self.assertLess(dropped, REQUESTS + DELAYED)
        # Lines kept are whole lines.
        kept = [l for l in seen.split(b"\n") if l.startswith(b"20")]
        self.assertTrue(kept and all(b" GET /" in l for l in kept))
        threading.Thread(target=lambda: self.process.stdout.read(), daemon=True).start()
        self.terminate_within_grace()


if __name__ == "__main__":
    unittest.main(verbosity=2)
