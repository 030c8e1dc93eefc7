"""Test harness for statusd's raw-socket and CLI suites (Python 3 standard library only).

- StatusdServer starts the binary named by $STATUSD_BINARY with `--port 0 --log off` (plus any
  extra arguments), reads the port from the first stdout line within a bounded wait, and stops
  it with SIGTERM, checking that it exits 0 within a bounded wait.
- RawConnection is a plain TCP socket with every operation bounded by a timeout. It sends
  bytes as given and reads complete HTTP/1.1 responses (Content-Length, chunked, or
  close-delimited framing), several in sequence from one keep-alive connection.

Every loop here is bounded by a deadline or a byte budget, so a misbehaving server makes a
test fail, never hang.
"""

import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HOST = "127.0.0.1"
SOCKET_TIMEOUT = 5.0          # every connect / send / recv
START_TIMEOUT = 10.0          # until the "listening" line
# How much slower than a plain build the binary under test runs: scripts/test sets it for the
# sanitizer stages (ThreadSanitizer runs the server several times slower). Bounds on how long
# something may take are multiplied by it; they still fail on a real stall.
SLOWDOWN = float(os.environ.get("STATUSD_TEST_SLOWDOWN", "1"))
STOP_TIMEOUT = 15.0           # from SIGTERM to exit (the server's own grace is 10 s)
MAX_RESPONSE_BYTES = 16 << 20  # one response may not exceed this


def binary_path():
    path = os.environ.get("STATUSD_BINARY")
    if not path:
        raise RuntimeError("STATUSD_BINARY is not set (run through `meson test`)")
    if not os.access(path, os.X_OK):
        raise RuntimeError("STATUSD_BINARY=%s is not an executable file" % path)
    return path


def source_root():
    root = os.environ.get("STATUSD_SOURCE_ROOT")
    if root:
        return root
    # Fallback for running a file by hand: tests/raw/ is two levels below the root.
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ServerError(AssertionError):
    pass


class StatusdServer:
    """One statusd process on a free port. Use as a context manager or call start()/stop()."""

    def __init__(self, *extra_args):
        self.args = [binary_path(), "--port", "0", "--log", "off", *extra_args]
        self.process = None
        self.port = None
        self.stderr_file = None
        self._stdout_tail = b""
        self._drain_thread = None

    # -- start -------------------------------------------------------------------------------
    def start(self):
        self.stderr_file = tempfile.TemporaryFile()
        self.process = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=self.stderr_file)
        line = self._read_first_line(START_TIMEOUT)
        prefix = "statusd listening on "
        scheme, _, address = line[len(prefix):].partition("://")
        if not line.startswith(prefix) or scheme not in ("http", "https"):
            self.kill()
            raise ServerError("unexpected first stdout line %r; stderr: %s"
                              % (line, self.stderr_text()))
        self.scheme = scheme
        address = address.strip()
        host, _, port = address.rpartition(":")
        if host != HOST or not port.isdigit() or not 0 < int(port) < 65536:
            self.kill()
            raise ServerError("cannot parse the address in %r" % line)
        self.port = int(port)
        # Keep the pipe empty so the server can never block on a full stdout.
        self._drain_thread = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain_thread.start()
        return self

    def _read_first_line(self, timeout):
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        data = b""
        while b"\n" not in data and len(data) < 4096:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise ServerError("no 'listening' line within %.0f s; stderr: %s"
                                  % (timeout, self.stderr_text()))
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                code = self.process.wait(timeout=5)
                raise ServerError("statusd exited (%s) before listening; stderr: %s"
                                  % (code, self.stderr_text()))
            data += chunk
        line, _, rest = data.partition(b"\n")
        self._stdout_tail = rest
        return line.decode("utf-8", "replace")

    def _drain_stdout(self):
        try:
            while True:
                chunk = self.process.stdout.read1(65536)
                if not chunk:
                    return
                self._stdout_tail = (self._stdout_tail + chunk)[-65536:]
        except (OSError, ValueError):
            return

    # -- use ---------------------------------------------------------------------------------
    @property
    def base_url(self):
        return "%s://%s:%d" % (self.scheme, HOST, self.port)

    def url(self, path):
        return self.base_url + path

    def connect(self, timeout=SOCKET_TIMEOUT):
        return RawConnection(self.port, timeout=timeout)

    def stderr_text(self):
        if not self.stderr_file:
            return ""
        try:
            self.stderr_file.seek(0)
            return self.stderr_file.read().decode("utf-8", "replace")[-4000:]
        except (OSError, ValueError):
            return ""

    def alive(self):
        return self.process is not None and self.process.poll() is None

    # -- stop --------------------------------------------------------------------------------
    def send_sigterm(self):
        self.process.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Waits for the process to exit; returns its exit code, or kills it and raises."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError("statusd did not exit within %.0f s of SIGTERM; stderr: %s"
                              % (timeout, self.stderr_text()))

    def stop(self):
        """SIGTERM, then asserts exit code 0 within the bounded wait."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.send_sigterm()
        code = self.wait_exit()
        stderr = self.stderr_text()
        self._close_files()
        if code != 0:
            raise ServerError("statusd exited with %s after SIGTERM (expected 0); stderr: %s"
                              % (code, stderr))

    def kill(self):
        """Ends the process without the exit-code check (used when a test already failed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def _close_files(self):
        if self._drain_thread is not None:
            self._drain_thread.join(timeout=2)
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        if self.stderr_file is not None:
            self.stderr_file.close()
            self.stderr_file = None

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.stop()
        else:
            self.kill()
            self._close_files()
        return False


def module_server(namespace, *extra_args):
    """setUpModule and tearDownModule for a test module whose tests share one server: it is
    started with extra_args and is the module's global SERVER while the tests run. Use:

        SERVER = None
        setUpModule, tearDownModule = module_server(globals())
    """
    def set_up_module():
        namespace["SERVER"] = StatusdServer(*extra_args).start()

    def tear_down_module():
        if namespace.get("SERVER") is not None:
            namespace["SERVER"].stop()

    return set_up_module, tear_down_module


class ServerTestCase(unittest.TestCase):
    """A TestCase whose tests share one StatusdServer, self.server: started with the class's
    server_args() before its first test, stopped (exit 0 expected) after its last."""

    @classmethod
    def server_args(cls):
        return ()

    @classmethod
    def setUpClass(cls):
        cls.server = StatusdServer(*cls.server_args()).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()


# --- raw HTTP over a socket ----------------------------------------------------------------

class Response:
    """One parsed HTTP response as it came off the wire."""

    def __init__(self, version, status, reason, headers, body, raw):
        self.version = version      # "HTTP/1.1"
        self.status = status        # int
        self.reason = reason        # str
        self.headers = headers      # list of (name, value) in wire order, as str
        self.body = body            # bytes (de-chunked)
        self.raw = raw              # bytes exactly as received for this response

    def header(self, name, default=None):
        """The first value of a header (case-insensitive name)."""
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def has_header(self, name):
        return any(n.lower() == name.lower() for n, _ in self.headers)

    def connection_tokens(self):
        tokens = set()
        for v in self.header_all("Connection"):
            tokens.update(t.strip().lower() for t in v.split(",") if t.strip())
        return tokens

    def __repr__(self):
        return "<Response %s %d %s, %d headers, %d body bytes>" % (
            self.version, self.status, self.reason, len(self.headers), len(self.body))


class ProtocolError(AssertionError):
    pass


class ConnectionClosed(ProtocolError):
    """The server closed the connection before (or instead of) a complete response."""

    def __init__(self, message, received=b""):
        super().__init__(message)
        self.received = received


class RawConnection:
    """A TCP connection to the server whose every operation is bounded by `timeout`."""

    def __init__(self, port, host=HOST, timeout=SOCKET_TIMEOUT):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.eof = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def request(self, method, target, headers=(), body=b"", version="HTTP/1.1", host=True):
        """Sends a simply formed request (a Host header unless host=False)."""
        lines = ["%s %s %s" % (method, target, version)]
        if host:
            lines.append("Host: %s" % HOST)
        lines.extend("%s: %s" % (n, v) for n, v in headers)
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    # -- reading ----------------------------------------------------------------------------
    def _fill(self, deadline):
        """Reads more bytes into buf; returns False at EOF. Raises socket.timeout at deadline."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline passed")
        self.sock.settimeout(min(left, self.timeout))
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        finally:
            self.sock.settimeout(self.timeout)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        if len(self.buf) > MAX_RESPONSE_BYTES:
            raise ProtocolError("more than %d bytes buffered" % MAX_RESPONSE_BYTES)
        return True

    def _read_until(self, marker, deadline, consumed):
        while marker not in self.buf:
            if not self._fill(deadline):
                raise ConnectionClosed("connection closed while waiting for %r" % marker,
                                       consumed + self.buf)
        index = self.buf.index(marker) + len(marker)
        data, self.buf = self.buf[:index], self.buf[index:]
        return data

    def _read_exact(self, n, deadline, consumed):
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise ConnectionClosed("connection closed with %d of %d body bytes"
                                       % (len(self.buf), n), consumed + self.buf)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, method="GET", timeout=None):
        """Reads exactly one response (an interim 1xx counts as one). `method` is the request's,
        so a HEAD response is read without a body."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        raw = b""
        head = self._read_until(b"\r\n\r\n", deadline, raw)
        raw += head
        lines = head[:-4].split(b"\r\n")
        status_line = lines[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit() \
                or len(parts[1]) != 3:
            raise ProtocolError("bad status line %r" % status_line)
        version, status = parts[0], int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep or not name or name != name.strip():
                raise ProtocolError("bad header line %r" % line)
            headers.append((name, value.strip(" \t")))
        response = Response(version, status, reason, headers, b"", raw)

        if 100 <= status < 200 or status in (204, 304) or method == "HEAD":
            return response
        transfer = ",".join(response.header_all("Transfer-Encoding")).lower()
        lengths = response.header_all("Content-Length")
        if "chunked" in transfer:
            body = b""
            for _ in range(100000):
                size_line = self._read_until(b"\r\n", deadline, raw)
                raw += size_line
                size_text = size_line[:-2].split(b";")[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise ProtocolError("bad chunk size line %r" % size_line)
                if size == 0:
                    # trailers, then the empty line
                    for _ in range(1000):
                        trailer = self._read_until(b"\r\n", deadline, raw)
                        raw += trailer
                        if trailer == b"\r\n":
                            break
                    break
                chunk = self._read_exact(size + 2, deadline, raw)
                raw += chunk
                if chunk[-2:] != b"\r\n":
                    raise ProtocolError("chunk not followed by CRLF")
                body += chunk[:-2]
            response.body = body
        elif lengths:
            if len(set(lengths)) != 1 or not lengths[0].isdigit():
                raise ProtocolError("bad Content-Length %r" % lengths)
            body = self._read_exact(int(lengths[0]), deadline, raw)
            raw += body
            response.body = body
        else:
            # close-delimited
            while self._fill(deadline):
                pass
            response.body, self.buf = self.buf, b""
            raw += response.body
        response.raw = raw
        return response

    def read_final(self, method="GET", timeout=None):
        """Reads responses until a non-1xx one; returns (interims, final)."""
        interims = []
        for _ in range(20):
            r = self.read_response(method, timeout)
            if 100 <= r.status < 200:
                interims.append(r)
                continue
            return interims, r
        raise ProtocolError("more than 20 interim responses")

    def read_until_close(self, timeout=None):
        """Everything the server sends until it closes (bounded); returns the bytes."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while self._fill(deadline):
            pass
        data, self.buf = self.buf, b""
        return data

    def closed_by_server(self, timeout=None):
        """True if the server closes the connection within `timeout` without sending bytes
        beyond what is already buffered; False if it stays open that long."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        try:
            while self._fill(deadline):
                pass
            return True
        except (socket.timeout, TimeoutError):
            return False

    def pending_bytes(self, wait=0.3):
        """Bytes the server sends within `wait` seconds beyond those already parsed."""
        deadline = time.monotonic() + wait
        try:
            while self._fill(deadline):
                pass
        except (socket.timeout, TimeoutError):
            pass
        return self.buf


def exchange(port, data, method="GET", timeout=SOCKET_TIMEOUT):
    """One request on a new connection; returns (interims, final response)."""
    with RawConnection(port, timeout=timeout) as c:
        c.send(data)
        return c.read_final(method)


def try_exchange(port, data, timeout=SOCKET_TIMEOUT):
    """Sends bytes and classifies what happens within `timeout`:
    ("response", Response) for a complete response, ("closed", bytes) when the server closes
    without one, ("timeout", bytes) when it does neither (a hang)."""
    with RawConnection(port, timeout=timeout) as c:
        try:
            c.send(data)
        except (BrokenPipeError, ConnectionResetError):
            return "closed", b""
        try:
            _, final = c.read_final()
            return "response", final
        except ConnectionClosed as e:
            return "closed", e.received
        except (socket.timeout, TimeoutError):
            return "timeout", c.buf


def health_ok(port):
    """GET /health on a new connection; returns the status code."""
    _, r = exchange(port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return r.status


def log(*args):
    print(*args, file=sys.stderr, flush=True)
