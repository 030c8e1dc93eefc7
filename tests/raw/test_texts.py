"""What a user reads (issue 10, part 5): the status line's reason phrase, a /codes page for
every code, bodies that tell the truth, IIS sub-statuses, 400 bodies, and the catalogue texts.

Every check reads the real binary on a loopback port through raw sockets or http.client.
"""

import http.client
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, RawConnection, StatusdServer, source_root  # noqa: E402

SERVER = None
CLIENT_TIMEOUT = 10


def setUpModule():
    global SERVER
    SERVER = StatusdServer().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


def get(path, accept="text/plain", language=None, method="GET"):
    """(status, reason, headers, text) through http.client, redirects not followed."""
    headers = {"Accept": accept}
    if language:
        headers["Accept-Language"] = language
    connection = http.client.HTTPConnection(HOST, SERVER.port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return (response.status, response.reason, response.headers,
                response.read().decode("utf-8"))
    finally:
        connection.close()


def catalogue():
    status, _, _, text = get("/codes.json", accept="application/json")
    assert status == 200, status
    codes = json.loads(text)
    return codes["codes"] if isinstance(codes, dict) else codes


def load_catalog_file(name):
    with open(os.path.join(source_root(), "static", "catalog", name), encoding="utf-8") as f:
        return json.load(f)


class ReasonPhrase(unittest.TestCase):
    """The status line carries the catalogue's reason, not libmicrohttpd's own table."""

    def status_line(self, code, method="HEAD"):
        with RawConnection(SERVER.port) as c:
            c.request(method, "/status/%s" % code)
            if 100 <= int(str(code)[:3]) < 200:
                return c.read_response(method)
            return c.read_final(method)[1]

    def test_every_catalogue_code(self):
        entries = [e for e in catalogue() if "." not in e["key"] and e["code"] != 101]
        self.assertGreater(len(entries), 50)
        for e in entries:
            r = self.status_line(e["code"], "GET" if e["code"] < 200 else "HEAD")
            self.assertEqual((r.status, r.reason), (e["code"], e["reason"]), e["key"])

    def test_teapot_and_306(self):
        self.assertEqual(self.status_line(418).reason, "I'm a teapot")
        self.assertEqual(self.status_line(306).reason, "(Unused)")
        self.assertEqual(self.status_line(599).reason,
                         [e for e in catalogue() if e["key"] == "599"][0]["reason"])

    def test_uncatalogued_code_gets_its_class(self):
        self.assertEqual(self.status_line(799).reason, "Undefined class 7xx")
        self.assertEqual(self.status_line(469).reason, "Client Error")

    def test_python_http_client_reason(self):
        status, reason, _, _ = get("/status/418")
        self.assertEqual((status, reason), (418, "I'm a teapot"))
        status, reason, _, _ = get("/codes/404")
        self.assertEqual((status, reason), (200, "OK"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
