"""Several statusd replicas behind a consistent-hash load balancer (SPEC §9): state is per key,
so nginx with `hash $arg_key consistent` sends every request for a key to the same replica,
and sequences advance correctly whichever replica serves them.

Starts two statusd replicas on free ports and Debian's nginx (nginx-light, installed by
scripts/deps --test) as the current user, with a temporary prefix holding its configuration,
pid file, error log and temp paths. Run by root, its workers become "nobody", which needs
nothing from the prefix, so no `user` line is needed. The nginx configuration is the one the
README shows. Every wait is bounded.
"""

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, RawConnection, StatusdServer  # noqa: E402

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK)
                                  else None)
START_TIMEOUT = 10
STOP_TIMEOUT = 10
KEYS = ["user-%02d" % i for i in range(16)]
CODES = [503, 502, 500, 200]

# The README's configuration ("Several replicas"), with this test's ports and prefix.
NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}

http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    upstream statusd {{
        hash $arg_key consistent;   # every request for one ?key= goes to one replica
        server {first} max_fails=0;   # it breaks connections on purpose: never "down"
        server {second} max_fails=0;
    }}

    server {{
        listen {listen};
        location / {{
            proxy_pass http://statusd;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream off;  # a retry on the other replica would split a key
            proxy_buffering off;      # /drip trickles through
            proxy_read_timeout 130s;  # longer than --max-delay
        }}
    }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Nginx:
    """nginx in front of upstreams (ports), configured by a template: NGINX_CONF names the
    first two as {first} and {second}; another template may list all as {servers}."""

    def __init__(self, upstreams, template=NGINX_CONF):
        self.prefix = tempfile.TemporaryDirectory(prefix="statusd-nginx-")
        self.port = free_port()
        self.process = None
        addresses = ["%s:%d" % (HOST, port) for port in upstreams]
        conf = template.format(
            prefix=self.prefix.name, listen="%s:%d" % (HOST, self.port),
            first=addresses[0], second=addresses[-1],
            servers="".join("        server %s max_fails=0;\n" % a for a in addresses))
        self.conf = os.path.join(self.prefix.name, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)

    def start(self):
        self.process = subprocess.Popen(
            [NGINX, "-p", self.prefix.name, "-c", self.conf, "-e",
             os.path.join(self.prefix.name, "error.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                failure = "nginx exited (%s): %s\n%s" % (
                    self.process.returncode, self.process.stderr.read().decode(), self.log())
                self.stop()
                raise AssertionError(failure)
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        failure = "nginx did not listen within %d s: %s" % (START_TIMEOUT, self.log())
        self.stop()
        raise AssertionError(failure)

    def log(self):
        try:
            with open(os.path.join(self.prefix.name, "error.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process is not None:
            self.process.stderr.close()
        self.prefix.cleanup()


REPLICAS = []
BALANCER = None


def setUpModule():
    global BALANCER
    if NGINX is None:
        raise unittest.SkipTest("nginx is missing: run scripts/deps --test (nginx-light)")
    try:
        for _ in range(2):
            REPLICAS.append(StatusdServer().start())
        for attempt in range(3):  # another process may take the free port before nginx does
            try:
                BALANCER = Nginx([r.port for r in REPLICAS]).start()
                break
            except AssertionError:
                if attempt == 2:
                    raise
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    if BALANCER is not None:
        BALANCER.stop()
    for replica in REPLICAS:
        replica.stop()  # asserts exit code 0 after SIGTERM


def get(port, path):
    with RawConnection(port) as c:
        c.request("GET", path)
        return c.read_final()[1]


def journal(port, key):
    response = get(port, "/journal?key=" + key)
    assert response.status == 200, response
    return json.loads(response.body)


def journals(key):
    """Each replica's journal of key, read directly."""
    return [journal(r.port, key) for r in REPLICAS]


class TestReplicas(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Interleaved: one step of every key, then the next step of every key, ...
        path = "/sequence/%s?key=%%s" % ",".join(map(str, CODES))
        cls.served = {key: [] for key in KEYS}
        for _ in range(len(CODES) + 1):
            for key in KEYS:
                r = get(BALANCER.port, path % key)
                cls.served[key].append((r.status, r.header("X-Sequence-Index")))
        cls.journals = {key: journals(key) for key in KEYS}

    def test_sequence_advances_in_order_across_replicas_for_every_key(self):
        expected = [(code, str(i + 1)) for i, code in enumerate(CODES)]
        expected.append((CODES[-1], str(len(CODES))))  # then it stays on the last
        for key in KEYS:
            self.assertEqual(self.served[key], expected, key)

    def test_every_request_for_a_key_lands_on_one_replica(self):
        for key, (first, second) in self.journals.items():
            counts = sorted([len(first), len(second)])
            self.assertEqual(counts, [0, len(CODES) + 1], key)
            records = first or second
            self.assertEqual([r["status"] for r in records],
                             [status for status, _ in self.served[key]], key)

    def test_different_keys_land_on_different_replicas(self):
        owners = {key: 0 if first else 1 for key, (first, _) in self.journals.items()}
        on_first = sum(1 for owner in owners.values() if owner == 0)
        self.assertTrue(0 < on_first < len(KEYS), owners)

    def test_journal_through_the_balancer_is_the_owning_replicas(self):
        for key in KEYS[:4]:
            through = journal(BALANCER.port, key)
            self.assertEqual(through, [r for j in self.journals[key] for r in j], key)


if __name__ == "__main__":
    if NGINX is None:
        print("SKIP: nginx is missing: run scripts/deps --test (nginx-light)", file=sys.stderr)
        sys.exit(77)  # meson's "skipped"
    unittest.main(verbosity=2)
