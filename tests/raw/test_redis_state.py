"""Replicas sharing state through Redis (--state redis://...): behind a round-robin load
balancer, /flaky, /sequence, /ratelimit and /journal give exactly the single-instance
answers; Redis down or slow gives 503 on those endpoints only, /ready tells, and statusd
recovers by itself.

Real parts only: Debian's redis-server on a free loopback port (no persistence), started and
stopped by PID; three statusd replicas; nginx round robin in front (the configuration the
README shows). Every wait is bounded.
"""

import concurrent.futures
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import HOST, RawConnection, StatusdServer, binary_path  # noqa: E402
from test_replicas import NGINX, Nginx, free_port  # noqa: E402

REDIS = shutil.which("redis-server") or ("/usr/bin/redis-server"
                                         if os.access("/usr/bin/redis-server", os.X_OK) else None)
START_TIMEOUT = 10
STATE_TIMEOUT_S = 0.2
# A request that waits for Redis must end within --state-timeout; this bound leaves room for
# a loaded 2-core machine and still fails if a request ever waited on Redis without one.
ANSWER_BOUND_S = 3.0 * harness.SLOWDOWN

# The README's configuration ("Replicas sharing state through Redis"): plain round robin.
NGINX_ROUND_ROBIN = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 512; }}

http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    upstream statusd {{
        # round robin: no hash, state is shared through Redis
{servers}    }}

    server {{
        listen {listen};
        location / {{
            proxy_pass http://statusd;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream off;  # a retry would count a request twice
            proxy_buffering off;
            proxy_read_timeout 130s;
        }}
    }}
}}
"""


class RedisServer:
    """redis-server on a free loopback port (or a unix socket), nothing written to disk."""

    def __init__(self, *extra_args, unix_socket=None):
        self.directory = tempfile.TemporaryDirectory(prefix="statusd-redis-")
        self.port = free_port()
        self.unix_socket = unix_socket
        self.extra_args = list(extra_args)
        self.process = None

    def start(self):
        args = [REDIS, "--bind", HOST, "--port", str(self.port), "--save", "",
                "--appendonly", "no", "--dir", self.directory.name, *self.extra_args]
        if self.unix_socket:
            args += ["--unixsocket", self.unix_socket]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("redis-server exited (%s)" % self.process.returncode)
            try:
                reply = self.command("PING")
                if reply in (b"PONG", b"-NOAUTH Authentication required."):
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise AssertionError("redis-server did not answer within %d s" % START_TIMEOUT)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # in case a test paused it
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def cleanup(self):
        self.stop()
        self.directory.cleanup()

    @property
    def url(self):
        return "redis://%s:%d" % (HOST, self.port)

    def command(self, *args, db=0):
        """One command in RESP (arguments as bulk strings), after SELECT db, to look at what
        statusd stored. Returns the reply: bytes for a status or bulk string, an int, None,
        or b"-ERR ..." for an error."""
        commands = ([("SELECT", db)] if db else []) + [args]
        request = b""
        for command in commands:
            request += b"*%d\r\n" % len(command)
            for arg in command:
                data = arg if isinstance(arg, bytes) else str(arg).encode()
                request += b"$%d\r\n%s\r\n" % (len(data), data)
        with socket.create_connection((HOST, self.port), timeout=2) as s:
            s.sendall(request)
            replies = s.makefile("rb")
            for _ in commands:
                line = replies.readline()
                kind, value = line[:1], line[1:-2]
                if kind == b"$":
                    length = int(value)
                    value = None if length < 0 else replies.read(length + 2)[:-2]
                elif kind == b":":
                    value = int(value)
                elif kind == b"-":
                    value = line[:-2]
            return value


def quote(key):
    return urllib.parse.quote(key, safe="")


def get(port, path, method="GET"):
    with RawConnection(port) as c:
        c.request(method, path)
        return c.read_final()[1]


def timed_get(port, path):
    started = time.monotonic()
    response = get(port, path)
    return response, time.monotonic() - started


def journal(port, key):
    response = get(port, "/journal?key=" + quote(key))
    assert response.status == 200, response
    return json.loads(response.body)


def wait_for_status(port, path, status, timeout=10):
    """Polls path until it answers status (bounded); returns the last response."""
    deadline = time.monotonic() + timeout
    while True:
        response = get(port, path)
        if response.status == status or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def start_replicas(count, redis_url, *extra):
    replicas = []
    try:
        for _ in range(count):
            replicas.append(StatusdServer("--state", redis_url, "--state-timeout",
                                          str(STATE_TIMEOUT_S), *extra).start())
    except BaseException:
        for replica in replicas:
            replica.kill()
        raise
    return replicas


class SharedFleet(unittest.TestCase):
    """One Redis, three replicas, nginx round robin in front."""

    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        cls.replicas = []
        cls.balancer = None
        try:
            cls.replicas = start_replicas(3, cls.redis.url)
            for attempt in range(3):  # another process may take the free port first
                try:
                    cls.balancer = Nginx([r.port for r in cls.replicas],
                                         NGINX_ROUND_ROBIN).start()
                    break
                except AssertionError:
                    if attempt == 2:
                        raise
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.balancer is not None:
            cls.balancer.stop()
        try:
            for replica in cls.replicas:
                replica.stop()  # asserts exit 0 after SIGTERM
        finally:
            cls.redis.cleanup()

    def through_balancer(self, path, times):
        return [get(self.balancer.port, path) for _ in range(times)]

    def test_flaky_fails_exactly_n_times_across_round_robin_replicas(self):
        statuses = [r.status for r in self.through_balancer("/flaky/2?key=rr-flaky", 4)]
        self.assertEqual(statuses, [503, 503, 200, 200])

    def test_flaky_counts_once_whichever_replica_is_asked(self):
        # Each request to the next replica directly: without shared state this gives 503 x3.
        statuses = [get(r.port, "/flaky/2?key=direct-flaky").status for r in self.replicas]
        self.assertEqual(statuses, [503, 503, 200])

    def test_sequence_walks_in_order_across_replicas(self):
        path = "/sequence/503,502,500,200?key=rr-seq"
        served = [(r.status, r.header("X-Sequence-Index"))
                  for r in self.through_balancer(path, 6)]
        self.assertEqual(served, [(503, "1"), (502, "2"), (500, "3"), (200, "4"),
                                  (200, "4"), (200, "4")])

    def test_sequence_delete_resets_it_for_every_replica(self):
        path = "/sequence/500,200?key=reset-seq"
        self.assertEqual(get(self.replicas[0].port, path).status, 500)
        self.assertEqual(get(self.replicas[1].port, path, "DELETE").status, 200)
        self.assertEqual(get(self.replicas[2].port, path).status, 500)

    def test_ratelimit_allows_exactly_the_limit_in_total(self):
        responses = self.through_balancer("/ratelimit/5/60?key=rr-rate", 9)
        self.assertEqual([r.status for r in responses], [200] * 5 + [429] * 4)
        self.assertEqual([r.header("RateLimit-Remaining") for r in responses],
                         ["4", "3", "2", "1", "0", "0", "0", "0", "0"])
        reset = int(responses[-1].header("Retry-After"))
        self.assertTrue(0 < reset <= 60, reset)

    def test_journal_from_any_replica_holds_every_request_in_order(self):
        key = "rr-journal"
        paths = ["/status/%d?key=%s&n=%d" % (200 + i % 3, key, i) for i in range(9)]
        for i, path in enumerate(paths):
            port = self.replicas[i % 3].port if i % 2 else self.balancer.port
            self.assertEqual(get(port, path).status, 200 + i % 3)
        for replica in self.replicas:
            records = journal(replica.port, key)
            self.assertEqual([r["path"] for r in records], paths)
            self.assertEqual([r["status"] for r in records], [200 + i % 3 for i in range(9)])
        self.assertEqual(journal(self.balancer.port, key), journal(self.replicas[0].port, key))

    def test_journal_keeps_the_last_1000_records(self):
        key = "journal-cap"
        # Filled through Redis directly, as statusd writes it (newest first), then one request.
        filler = [b'{"n":%d}' % i for i in range(1000)]
        self.redis.command("LPUSH", b"statusd:v1:journal:" + key.encode(), *filler)
        self.assertEqual(get(self.replicas[1].port, "/status/204?key=" + key).status, 204)
        records = journal(self.replicas[2].port, key)
        self.assertEqual(len(records), 1000)
        self.assertEqual(records[-1]["path"], "/status/204?key=" + key)
        self.assertEqual(records[0], {"n": 1})  # the oldest one went
        self.assertEqual(records[-2], {"n": 999})

    def test_keys_expire_as_redis_expiries(self):
        get(self.replicas[0].port, "/flaky/1?key=ttl")
        ttl = self.redis.command("PTTL", "statusd:v1:flaky:1:503:200:ttl")
        self.assertTrue(0 < ttl <= 3600 * 1000, ttl)

    def test_100_concurrent_clients_on_one_key_count_exactly(self):
        ports = [r.port for r in self.replicas] + [self.balancer.port]

        def one(i):
            return get(ports[i % len(ports)], "/flaky/60?key=crowd").status

        with concurrent.futures.ThreadPoolExecutor(max_workers=100) as pool:
            statuses = list(pool.map(one, range(100)))
        self.assertEqual(statuses.count(503), 60, statuses)
        self.assertEqual(statuses.count(200), 40, statuses)
        self.assertEqual(len(journal(self.replicas[0].port, "crowd")), 100)

        def limited(i):
            return get(ports[i % len(ports)], "/ratelimit/37/600?key=crowd").status

        with concurrent.futures.ThreadPoolExecutor(max_workers=100) as pool:
            statuses = list(pool.map(limited, range(100)))
        self.assertEqual(statuses.count(200), 37, statuses)
        self.assertEqual(statuses.count(429), 63, statuses)

    def test_odd_keys_are_stored_as_exact_bytes_never_interpreted(self):
        self.assertEqual(get(self.replicas[0].port, "/sequence/500,200?key=victim").status, 500)
        odd = ["a b", "cr\r\nlf", "x\r\nFLUSHALL\r\n", "*1\r\n$8\r\nFLUSHALL\r\n",
               "\u00e9t\u00e9 \u4e2d\u6587", "tab\tend"]
        for i, key in enumerate(odd):
            path = "/flaky/1?key=" + quote(key)
            statuses = [get(self.replicas[(i + j) % 3].port, path).status for j in range(3)]
            self.assertEqual(statuses, [503, 200, 200], repr(key))
            stored = self.redis.command("GET", b"statusd:v1:flaky:1:503:200:" + key.encode())
            self.assertEqual(stored, b"3", repr(key))
        # Invalid UTF-8: percent-encoded bytes, stored as they are; the journal stays JSON.
        raw = "/flaky/1?key=%FF%FEbad%C0"
        self.assertEqual([get(r.port, raw).status for r in self.replicas], [503, 200, 200])
        self.assertEqual(self.redis.command("GET", b"statusd:v1:flaky:1:503:200:\xff\xfebad\xc0"),
                         b"3")
        with RawConnection(self.replicas[1].port) as c:
            c.request("GET", "/journal?key=%FF%FEbad%C0")
            response = c.read_final()[1]
        self.assertEqual(len(json.loads(response.body)), 3)
        # Nothing was flushed: the first key's sequence goes on.
        self.assertEqual(get(self.replicas[2].port, "/sequence/500,200?key=victim").status, 200)

    def test_a_10_kb_key_is_refused_before_redis(self):
        before = self.redis.command("DBSIZE")
        response = get(self.replicas[0].port, "/flaky/1?key=" + "k" * 10240)
        self.assertEqual(response.status, 400)
        self.assertIn(b"key", response.body)
        self.assertEqual(self.redis.command("DBSIZE"), before)

    def test_another_prefix_is_another_fleet(self):
        with StatusdServer("--state", self.redis.url, "--state-prefix", "other:") as other:
            self.assertEqual(get(self.replicas[0].port, "/flaky/1?key=fleet").status, 503)
            self.assertEqual(get(other.port, "/flaky/1?key=fleet").status, 503)
            self.assertEqual(get(self.replicas[1].port, "/flaky/1?key=fleet").status, 200)
            self.assertEqual(self.redis.command("EXISTS", "other:flaky:1:503:200:fleet"), 1)

    def test_ready_and_health_report_the_store(self):
        for path in ("/ready", "/health?ready=1"):
            response = get(self.replicas[0].port, path)
            self.assertEqual(response.status, 200, path)
            self.assertIn(("Redis %s:%d" % (HOST, self.redis.port)).encode(), response.body)
        self.assertEqual(get(self.replicas[0].port, "/health").status, 200)
        self.assertEqual(get(self.replicas[0].port, "/health?ready=2").status, 400)


class RedisOutage(unittest.TestCase):
    """Redis paused, stopped and started again under two replicas (in this order)."""

    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()
        try:
            cls.replicas = start_replicas(2, cls.redis.url)
        except BaseException:
            cls.redis.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            for replica in cls.replicas:
                replica.stop()
        finally:
            cls.redis.cleanup()

    def assert_others_unaffected(self, port):
        for path in ("/status/200", "/health", "/status/418?key=outage", "/anything"):
            response, elapsed = timed_get(port, path)
            self.assertEqual(response.status, 200 if path != "/status/418?key=outage" else 418,
                             path)
            self.assertLess(elapsed, ANSWER_BOUND_S, path)

    def assert_store_unavailable(self, port, path):
        response, elapsed = timed_get(port, path)
        self.assertEqual(response.status, 503, path)
        self.assertLess(elapsed, ANSWER_BOUND_S, path)
        self.assertTrue(response.header("Retry-After"), path)
        self.assertIn(("Redis %s:%d" % (HOST, self.redis.port)).encode(), response.body)
        self.assertIn("状态存储不可用".encode(), response.body)
        self.assertIn(b"The state store is unavailable", response.body)
        return response

    def test_1_before_the_outage_state_is_shared(self):
        self.assertEqual(get(self.replicas[0].port, "/flaky/1?key=outage").status, 503)
        self.assertEqual(get(self.replicas[1].port, "/flaky/1?key=outage").status, 200)

    def test_2_a_paused_redis_gives_503_within_the_timeout(self):
        self.redis.process.send_signal(signal.SIGSTOP)  # connections stay open, no answers
        try:
            response = self.assert_store_unavailable(self.replicas[0].port,
                                                     "/flaky/1?key=paused")
            self.assertIn(b"no answer within --state-timeout", response.body)
            for replica in self.replicas:  # the other one notices through its watcher
                self.assertEqual(wait_for_status(replica.port, "/ready", 503).status, 503)
            self.assert_others_unaffected(self.replicas[0].port)
        finally:
            self.redis.process.send_signal(signal.SIGCONT)
        for replica in self.replicas:
            self.assertEqual(wait_for_status(replica.port, "/ready", 200).status, 200)

    def test_3_a_stopped_redis_gives_503_and_not_ready(self):
        self.redis.stop()
        for replica in self.replicas:
            for path in ("/flaky/1?key=down", "/sequence/500,200?key=down",
                         "/ratelimit/5/60?key=down", "/journal?key=down"):
                self.assert_store_unavailable(replica.port, path)
            self.assertEqual(get(replica.port, "/health").status, 200)
            for path in ("/ready", "/health?ready=1"):
                response = wait_for_status(replica.port, path, 503)
                self.assertEqual(response.status, 503, path)
                self.assertIn(("Redis %s:%d" % (HOST, self.redis.port)).encode(), response.body)
            self.assert_others_unaffected(replica.port)

    def test_4_a_restarted_redis_is_used_again_without_restarting_statusd(self):
        self.redis.start()  # the same port, empty
        for replica in self.replicas:
            self.assertEqual(wait_for_status(replica.port, "/ready", 200).status, 200)
        statuses = [get(r.port, "/flaky/1?key=after").status for r in self.replicas]
        self.assertEqual(statuses, [503, 200])
        for replica in self.replicas:
            self.assertTrue(replica.alive())

    def test_5_each_change_is_logged_once_not_per_request(self):
        for replica in self.replicas:
            log = replica.stderr_text()
            self.assertEqual(log.count("is down"), 2, log)  # paused, then stopped
            self.assertEqual(log.count("is up"), 3, log)    # start, after pause, after restart


class Configuration(unittest.TestCase):
    def run_statusd(self, *args, env=None):
        return subprocess.run([binary_path(), "--port", "0", *args], capture_output=True,
                              timeout=10, env=env, stdin=subprocess.DEVNULL)

    def test_bad_state_addresses_are_usage_errors(self):
        for url in ("redis://", "http://127.0.0.1:6379", "redis://host:0", "redis://host:x",
                    "redis://host/db", "unix:relative", "memcached://x"):
            result = self.run_statusd("--state", url)
            self.assertEqual(result.returncode, 2, url)
            self.assertIn(b"--state", result.stderr, url)

    def test_a_password_in_the_url_is_refused_without_echoing_it(self):
        result = self.run_statusd("--state", "redis://:hunter2@127.0.0.1:6379")
        self.assertEqual(result.returncode, 2)
        self.assertNotIn(b"hunter2", result.stderr)
        self.assertIn(b"STATUSD_REDIS_PASSWORD", result.stderr)

    def test_bad_timeouts_and_prefixes_are_usage_errors(self):
        for args in (("--state-timeout", "0"), ("--state-timeout", "61"),
                     ("--state-prefix", "has space"), ("--state-prefix", "x" * 65)):
            self.assertEqual(self.run_statusd(*args).returncode, 2, args)

    def test_password_comes_from_the_environment_and_is_never_logged(self):
        secret = "s3cret-%d" % os.getpid()
        redis = RedisServer("--requirepass", secret).start()
        try:
            os.environ["STATUSD_REDIS_PASSWORD"] = secret
            try:
                with StatusdServer("--state", redis.url) as server:
                    response = get(server.port, "/ready")
                    self.assertEqual(response.status, 200, response.body)
                    self.assertEqual(get(server.port, "/flaky/1?key=auth").status, 503)
                    self.assertEqual(get(server.port, "/flaky/1?key=auth").status, 200)
                    log = server.stderr_text()
            finally:
                del os.environ["STATUSD_REDIS_PASSWORD"]
            with StatusdServer("--state", redis.url) as without:
                response = get(without.port, "/ready")
                self.assertEqual(response.status, 503)
                self.assertIn(b"NOAUTH", response.body)
                self.assertEqual(get(without.port, "/flaky/1?key=auth").status, 503)
                self.assertNotIn(secret, without.stderr_text())
            self.assertNotIn(secret, log)
        finally:
            redis.cleanup()

    def test_unix_socket_and_database_number(self):
        directory = tempfile.TemporaryDirectory(prefix="statusd-sock-")
        path = os.path.join(directory.name, "redis.sock")
        redis = RedisServer(unix_socket=path).start()
        try:
            with StatusdServer("--state", "unix:%s?db=3" % path) as server:
                self.assertEqual(get(server.port, "/flaky/1?key=sock").status, 503)
                self.assertIn(b"Redis unix:", get(server.port, "/ready").body)
            self.assertEqual(redis.command("EXISTS", "statusd:v1:flaky:1:503:200:sock", db=3), 1)
            self.assertEqual(redis.command("EXISTS", "statusd:v1:flaky:1:503:200:sock"), 0)
        finally:
            redis.cleanup()
            directory.cleanup()

    def test_the_default_store_stays_in_process(self):
        with StatusdServer() as server:
            response = get(server.port, "/ready")
            self.assertEqual(response.status, 200)
            self.assertIn(b"in-process", response.body)


if __name__ == "__main__":
    missing = [name for name, path in (("redis-server", REDIS), ("nginx", NGINX)) if not path]
    if missing:
        print("SKIP: %s missing: run scripts/deps --test" % ", ".join(missing), file=sys.stderr)
        sys.exit(77)  # meson's "skipped"
    unittest.main(verbosity=2)
