"""What the HTTP/2 tests share: curl as a subprocess, a throw-away TLS certificate, and a
frame-level client driven by python3-h2's state machine. Every wait is bounded."""

import os
import socket
import ssl
import subprocess
import tempfile
import time

import h2.config
import h2.connection
import h2.events

HOST = "127.0.0.1"
TIMEOUT = 5.0


def curl(*args, timeout=15):
    result = subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True,
                            timeout=timeout)
    return result.returncode, result.stdout.decode("utf-8", "replace"), \
        result.stderr.decode("utf-8", "replace")


def self_signed_certificate(prefix):
    """(cert, key): paths of a new self-signed certificate for localhost and 127.0.0.1, valid
    one day, in a new temporary directory whose name starts with prefix."""
    directory = tempfile.mkdtemp(prefix=prefix)
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


# --- a frame-level client (python3-h2) --------------------------------------------------------

class Client:
    """One HTTP/2 connection driven by h2's state machine; pump() reads until a condition."""

    def __init__(self, port, tls=False, host=HOST, family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect((host, port))
        if tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.set_alpn_protocols(["h2"])
            self.sock = context.wrap_socket(self.sock, server_hostname="localhost")
            assert self.sock.selected_alpn_protocol() == "h2"
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.events = []
        self.closed = False
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, path, method="GET", headers=(), body=None, end_stream=None):
        stream = self.conn.get_next_available_stream_id()
        self.conn.send_headers(stream, [(":method", method), (":scheme", "http"),
                                        (":authority", "localhost"), (":path", path),
                                        *headers],
                               end_stream=body is None if end_stream is None else end_stream)
        if body is not None:
            self.conn.send_data(stream, body, end_stream=True)
        self.flush()
        return stream

    def pump(self, done, timeout=TIMEOUT):
        """Reads until done(self) is true or the connection closes; False on timeout."""
        deadline = time.monotonic() + timeout
        while not done(self):
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
            except (ConnectionResetError, ssl.SSLError):
                data = b""
            if not data:
                self.closed = True
                continue
            for event in self.conn.receive_data(data):
                self.events.append(event)
                if isinstance(event, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(event.flow_controlled_length,
                                                        event.stream_id)
            try:
                self.flush()
            except OSError:
                self.closed = True
        return True

    def of(self, stream, kind):
        return [e for e in self.events if isinstance(e, kind) and
                getattr(e, "stream_id", stream) == stream]

    def finished(self, stream):
        return lambda c: c.of(stream, h2.events.StreamEnded) or c.of(stream, h2.events.StreamReset)

    def exchange(self, path, **kwargs):
        """(status, headers dict, body bytes) of one request, asserting it completed."""
        stream = self.request(path, **kwargs)
        assert self.pump(self.finished(stream)), "no answer to %s" % path
        response = self.of(stream, h2.events.ResponseReceived)
        assert response, "stream %d reset: %s" % (stream, self.of(stream, h2.events.StreamReset))
        headers = dict(response[0].headers)
        body = b"".join(e.data for e in self.of(stream, h2.events.DataReceived))
        return int(headers[":status"]), headers, body

    def terminated(self):
        found = [e for e in self.events if isinstance(e, h2.events.ConnectionTerminated)]
        return found[0] if found else None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def finished_stream(port, path, timeout=TIMEOUT):
    """(client, stream): one GET of path on a new connection, read until its stream ended or
    was reset (asserted), then the connection closed; client.events keeps what arrived."""
    client = Client(port)
    try:
        stream = client.request(path)
        assert client.pump(client.finished(stream), timeout=timeout), "%s did not end" % path
        return client, stream
    finally:
        client.close()
