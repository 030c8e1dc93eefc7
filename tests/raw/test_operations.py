"""statusd in operation (SPEC §11, docs/libmicrohttpd.md §7): TLS, dual stack, systemd socket activation,
environment twins of the flags.

Each test starts its own statusd (some need flags the others must not have). Certificates are
made at test time with the openssl command (scripts/deps --test installs it). Every wait is
bounded: sockets by harness.SOCKET_TIMEOUT, processes by START_TIMEOUT / STOP_TIMEOUT.
"""

import http.client
import json
import os
import re
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (ConnectionClosed, RawConnection, ServerError, StatusdServer,  # noqa: E402
                     binary_path)

CURL = shutil.which("curl") or "/usr/bin/curl"
OPENSSL = shutil.which("openssl")
SOCKET_ACTIVATE = shutil.which("systemd-socket-activate")
COMMAND_TIMEOUT = 10
LISTENING = re.compile(r"statusd listening on (https?)://(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)")
HEALTH = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"

CERT_DIR = None


def setUpModule():
    global CERT_DIR
    if not OPENSSL:
        raise RuntimeError("the openssl command is missing: run scripts/deps --test")
    CERT_DIR = tempfile.TemporaryDirectory(prefix="statusd-tls-")
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key_path(), "-out", cert_path(), "-days", "1",
                    "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=60)


def tearDownModule():
    if CERT_DIR is not None:
        CERT_DIR.cleanup()


def cert_path():
    return os.path.join(CERT_DIR.name, "cert.pem")


def key_path():
    return os.path.join(CERT_DIR.name, "key.pem")


def tls_flags():
    return ["--tls-cert", cert_path(), "--tls-key", key_path()]


def unverified_context():
    """The certificate is self-signed: these tests check the server, not the trust chain."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def run_statusd(args, env=None):
    """Runs statusd expecting it to stop at start-up; returns (exit code, stderr)."""
    result = subprocess.run([binary_path(), *args], stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=COMMAND_TIMEOUT, env=env)
    return result.returncode, result.stderr.decode("utf-8", "replace")


def curl_status(url, *options):
    """The status curl sees, as text ("000" when it got no response)."""
    result = subprocess.run([CURL, "-s", "-o", "/dev/null", "-w", "%{http_code}",
                             "--max-time", "5", *options, url],
                            capture_output=True, timeout=COMMAND_TIMEOUT)
    return result.stdout.decode()


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ipv6_loopback_works():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class Statusd(StatusdServer):
    """StatusdServer for listening lines other than http://127.0.0.1 (https://, [::]) and for
    commands other than the bare binary (a socket-activation wrapper)."""

    def __init__(self, *args, command=None, env=None, pass_fds=()):
        super().__init__(*args)
        if command is not None:
            self.args = command
        self.env = env
        self.pass_fds = pass_fds
        self.scheme = self.host = self.line = None

    def launch(self):
        self.stderr_file = tempfile.TemporaryFile()
        self.process = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=self.stderr_file,
                                        env=self.env, pass_fds=self.pass_fds)
        return self

    def await_listening(self):
        self.line = self._read_first_line(harness.START_TIMEOUT)
        match = LISTENING.fullmatch(self.line.strip())
        if not match:
            self.finish()
            raise ServerError("unexpected first stdout line %r; stderr: %s"
                              % (self.line, self.stderr_text()))
        self.scheme, self.host, self.port = match.group(1), match.group(2), int(match.group(3))
        self._drain_thread = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain_thread.start()
        return self

    def start(self):
        return self.launch().await_listening()

    def finish(self):
        self.kill()
        self._close_files()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.stop()
        else:
            self.finish()
        return False

    def stdout_lines(self, wanted, timeout=5.0):
        """The access-log lines seen so far, waiting (bounded) until `wanted` of them are in:
        the log is flushed by the timer thread, not per line."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in self._stdout_tail.decode("utf-8", "replace").splitlines()
                     if line]
            if len(lines) >= wanted or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)


def tls_connection(port, host="127.0.0.1"):
    """A RawConnection whose socket speaks TLS; reads and writes go through the session."""
    c = RawConnection(port, host=host)
    c.sock = unverified_context().wrap_socket(c.sock, server_hostname="localhost")
    return c


# --- TLS ------------------------------------------------------------------------------------

class TestTls(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = Statusd(*tls_flags()).start()

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.stop()  # asserts exit 0 after SIGTERM

    def test_tls_listening_line_says_https(self):
        self.assertEqual(self.server.scheme, "https", self.server.line)
        self.assertEqual(self.server.host, "127.0.0.1")

    def test_tls_curl_gets_418(self):
        url = "https://127.0.0.1:%d/status/418" % self.server.port
        self.assertEqual(curl_status(url, "-k"), "418")

    def test_tls_http_client_gets_health_200(self):
        c = http.client.HTTPSConnection("127.0.0.1", self.server.port,
                                        timeout=harness.SOCKET_TIMEOUT,
                                        context=unverified_context())
        try:
            c.request("GET", "/health")
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            r.read()
        finally:
            c.close()

    def test_tls_interim_103_arrives_inside_the_tls_stream(self):
        with tls_connection(self.server.port) as c:
            c.send(b"GET /status/103 HTTP/1.1\r\nHost: localhost\r\n\r\n")
            interims, final = c.read_final()
            self.assertEqual([r.status for r in interims], [103])
            self.assertIn("rel=preload", interims[0].header("Link", ""))
            self.assertEqual(final.status, 200)
            # The raw write left the session intact: the connection serves another request.
            c.send(HEALTH)
            _, again = c.read_final()
            self.assertEqual(again.status, 200)

    def test_tls_port_gives_plain_http_no_http_response(self):
        with RawConnection(self.server.port) as c:
            try:
                c.send(HEALTH)
                data = c.read_until_close()
            except (ConnectionResetError, BrokenPipeError):
                data = b""
        self.assertFalse(data.startswith(b"HTTP/"), data[:80])

    def test_tls_from_environment_twins(self):
        env = dict(os.environ, STATUSD_TLS_CERT=cert_path(), STATUSD_TLS_KEY=key_path())
        with Statusd(env=env) as server:
            self.assertEqual(server.scheme, "https")
            url = "https://127.0.0.1:%d/health" % server.port
            self.assertEqual(curl_status(url, "-k"), "200")


class TestTlsStall(unittest.TestCase):
    def test_tls_stalled_request_is_closed_without_plaintext(self):
        # Over TLS the stall watch closes instead of writing a 408 (stall_watch.h); a
        # plaintext 408 would show up here as an SSL error, not as a clean end of stream.
        with Statusd("--timeout", "1", *tls_flags()) as server:
            with tls_connection(server.port) as c:
                c.send(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")  # never finished
                start = time.monotonic()
                data = c.read_until_close(timeout=5)
                self.assertEqual(data, b"")
                self.assertLess(time.monotonic() - start, 4.5)


class TestTlsStartupErrors(unittest.TestCase):
    def test_tls_cert_without_key_exits_2_naming_tls_key(self):
        code, stderr = run_statusd(["--port", "0", "--tls-cert", cert_path()])
        self.assertEqual(code, 2, stderr)
        self.assertIn("--tls-key", stderr)

    def test_tls_key_without_cert_exits_2_naming_tls_cert(self):
        code, stderr = run_statusd(["--port", "0", "--tls-key", key_path()])
        self.assertEqual(code, 2, stderr)
        self.assertIn("--tls-cert", stderr)

    def test_tls_unreadable_cert_exits_naming_the_file(self):
        missing = os.path.join(CERT_DIR.name, "no-such-cert.pem")
        code, stderr = run_statusd(["--port", "0", "--tls-cert", missing, "--tls-key",
                                    key_path()])
        self.assertNotEqual(code, 0)
        self.assertIn(missing, stderr)

    def test_tls_empty_key_exits_naming_the_file(self):
        empty = os.path.join(CERT_DIR.name, "empty.pem")
        open(empty, "wb").close()
        code, stderr = run_statusd(["--port", "0", "--tls-cert", cert_path(), "--tls-key",
                                    empty])
        self.assertNotEqual(code, 0)
        self.assertIn(empty, stderr)
        self.assertIn("empty", stderr)


# --- IPv6 -----------------------------------------------------------------------------------

class TestDualStack(unittest.TestCase):
    def setUp(self):
        if not ipv6_loopback_works():
            self.skipTest("this machine has no IPv6 loopback (::1 cannot be bound)")

    def test_dual_stack_host_accepts_ipv4_and_ipv6_clients(self):
        with Statusd("--host", "::", "--log", "json") as server:
            self.assertEqual(server.host, "[::]", server.line)
            for host in ("127.0.0.1", "::1"):
                with RawConnection(server.port, host=host) as c:
                    c.send(HEALTH)
                    _, r = c.read_final()
                    self.assertEqual(r.status, 200, host)
            clients = [json.loads(line)["client"] for line in server.stdout_lines(2)]
            # Sorted: a line is written when its request completes, which for two workers
            # need not be the order the client saw the answers in.
            self.assertEqual(sorted(clients), ["127.0.0.1", "::1"])

    def test_ipv6_loopback_host_serves_ipv6_only(self):
        with Statusd("--host", "::1") as server:
            self.assertEqual(server.host, "[::1]", server.line)
            with RawConnection(server.port, host="::1") as c:
                c.send(HEALTH)
                self.assertEqual(c.read_final()[1].status, 200)
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", server.port), timeout=2).close()


# --- systemd socket activation --------------------------------------------------------------

# Does what systemd does before starting a service: the socket at fd 3, LISTEN_FDS=1 and
# LISTEN_PID naming the process that will run statusd (exec keeps the pid).
ACTIVATE = """
import os, sys
fd = int(sys.argv[1])
if fd != 3:
    os.dup2(fd, 3)
    os.close(fd)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[2], sys.argv[2:])
"""

# Would fail to bind (TEST-NET-1 is no local address): proof that they are ignored.
IGNORED_ADDRESS = ["--host", "192.0.2.1", "--port", "1"]


def activated_statusd(listener, *args):
    fd = listener.fileno()
    command = [sys.executable, "-c", ACTIVATE, str(fd), binary_path(), "--log", "off", *args]
    return Statusd(command=command, pass_fds=(fd,))


def listening_socket(family=socket.AF_INET, host="127.0.0.1"):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((host, 0))
    s.listen(64)
    return s


class TestSocketActivation(unittest.TestCase):
    def test_activation_serves_the_inherited_socket_and_ignores_host_and_port(self):
        with listening_socket() as listener:
            port = listener.getsockname()[1]
            with activated_statusd(listener, *IGNORED_ADDRESS) as server:
                self.assertEqual((server.scheme, server.host, server.port),
                                 ("http", "127.0.0.1", port), server.line)
                self.assertEqual(harness.health_ok(port), 200)

    def test_activation_on_ipv6_socket(self):
        if not ipv6_loopback_works():
            self.skipTest("this machine has no IPv6 loopback (::1 cannot be bound)")
        with listening_socket(socket.AF_INET6, "::1") as listener:
            port = listener.getsockname()[1]
            with activated_statusd(listener) as server:
                self.assertEqual((server.host, server.port), ("[::1]", port), server.line)
                with RawConnection(port, host="::1") as c:
                    c.send(HEALTH)
                    self.assertEqual(c.read_final()[1].status, 200)

    def test_activation_stop_leaves_the_socket_listening_for_the_next_start(self):
        # systemd keeps the socket after the service stops and queues new clients for the
        # next start, so SIGTERM must not shut it down (server_stop).
        with listening_socket() as listener:
            port = listener.getsockname()[1]
            server = activated_statusd(listener).start()
            server.stop()  # asserts exit 0
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                pass  # accepted into the backlog of the still-listening socket

    def test_activation_variables_for_another_process_are_ignored(self):
        env = dict(os.environ, LISTEN_PID="1", LISTEN_FDS="1")
        with Statusd(env=env) as server:  # binds --port 0 itself
            self.assertEqual(harness.health_ok(server.port), 200)

    @unittest.skipUnless(SOCKET_ACTIVATE, "systemd-socket-activate is not installed "
                                          "(the Python activation tests above still run)")
    def test_systemd_socket_activate_starts_statusd_on_its_port(self):
        port = free_port()
        command = [SOCKET_ACTIVATE, "-l", "127.0.0.1:%d" % port, binary_path(), "--log", "off",
                   *IGNORED_ADDRESS]
        server = Statusd(command=command).launch()
        try:
            # systemd-socket-activate runs statusd only once a client connects.
            deadline = time.monotonic() + harness.START_TIMEOUT
            status = "000"
            while status != "200" and time.monotonic() < deadline and server.alive():
                status = curl_status("http://127.0.0.1:%d/health" % port)
                if status != "200":
                    time.sleep(0.1)  # the tool may not have bound the port yet
            self.assertEqual(status, "200", server.stderr_text())
            server.await_listening()
            self.assertEqual((server.scheme, server.host, server.port),
                             ("http", "127.0.0.1", port), server.line)
        except BaseException:
            server.finish()
            raise
        server.stop()  # systemd-socket-activate execs statusd: SIGTERM reaches it, exit 0


# --- environment twins ----------------------------------------------------------------------

# --- the container's health check -------------------------------------------------------------

HEALTHCHECK = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "packaging", "healthcheck")


class TestContainerHealthcheck(unittest.TestCase):
    """packaging/healthcheck (the Dockerfile's HEALTHCHECK) follows the port statusd was given,
    by --port in its command line or by STATUSD_PORT. Docker is not run here: the script is,
    pointed at a command line written like /proc/1/cmdline."""

    @classmethod
    def setUpClass(cls):
        cls.server = StatusdServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def check(self, argv, env_port=None):
        with tempfile.NamedTemporaryFile(prefix="statusd-cmdline-") as cmdline:
            cmdline.write(b"\0".join(a.encode() for a in argv) + b"\0")
            cmdline.flush()
            env = dict(os.environ, STATUSD_HEALTH_CMDLINE=cmdline.name)
            env.pop("STATUSD_PORT", None)
            if env_port is not None:
                env["STATUSD_PORT"] = str(env_port)
            return subprocess.run(["bash", HEALTHCHECK], env=env, timeout=10).returncode

    def free_port(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def test_port_from_the_command_line(self):
        port = self.server.port
        self.assertEqual(self.check(["statusd", "--port", str(port)], env_port=8080), 0)
        self.assertEqual(self.check(["statusd", "--log", "json", "--port=%d" % port]), 0)

    def test_port_from_the_environment(self):
        self.assertEqual(self.check(["statusd", "--log", "json"], env_port=self.server.port), 0)

    def test_unhealthy_when_nothing_answers(self):
        self.assertNotEqual(self.check(["statusd", "--port", str(self.free_port())]), 0)


class TestEnvironment(unittest.TestCase):
    def test_env_port_0_picks_a_free_port(self):
        env = dict(os.environ, STATUSD_PORT="0")
        with Statusd(command=[binary_path(), "--log", "off"], env=env) as server:
            self.assertGreater(server.port, 0)
            self.assertEqual(harness.health_ok(server.port), 200)

    def test_an_empty_variable_counts_as_unset(self):
        env = dict(os.environ, STATUSD_PORT="", STATUSD_LOG="", STATUSD_MAX_DELAY="")
        with Statusd("--port", "0", env=env) as server:  # not a fatal "'' is not valid"
            self.assertEqual(harness.health_ok(server.port), 200)

    def test_redirect_allow_list_may_have_spaces_after_commas(self):
        env = dict(os.environ, STATUSD_REDIRECT_ALLOW="a.example, b.example")
        with Statusd(env=env) as server:
            c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            c.request("GET", "/redirect-to?url=https://b.example/x")
            r = c.getresponse()
            r.read()
            self.assertEqual((r.status, r.getheader("Location")), (302, "https://b.example/x"))
            c.request("GET", "/redirect-to?url=https://c.example/x")
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 400)
            c.close()

    def test_dash_h_is_help(self):
        done = subprocess.run([binary_path(), "-h"], capture_output=True, text=True, timeout=10)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("Usage: statusd", done.stdout)

    def test_a_bad_duration_says_what_is_accepted(self):
        done = subprocess.run([binary_path(), "--max-delay", "1e3"], capture_output=True,
                              text=True, timeout=10)
        self.assertEqual(done.returncode, 2)
        self.assertIn("decimal number with at most 3 decimals (like 1.5)", done.stderr)
        self.assertIn("from 0 to 86400", done.stderr)

    def test_flag_beats_env_for_log_format(self):
        env = dict(os.environ, STATUSD_LOG="json")
        with Statusd("--log", "text", env=env) as server:
            self.assertEqual(harness.health_ok(server.port), 200)
            lines = server.stdout_lines(1)
            self.assertEqual(len(lines), 1, lines)
            self.assertFalse(lines[0].startswith("{"), lines[0])
            self.assertIn("GET /health 200", lines[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
