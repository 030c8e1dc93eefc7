"""httpbin's endpoints as httpbin's users test them (README "Coming from httpbin").

Each test is written the way a suite against httpbin is: Python's http.client (or urllib with
its cookie and auth handlers), json.loads of the body, and asserts on httpbin's field names.
If a suite like this passes against httpbin, it passes against statusd unchanged; the few
places where statusd needs more (Accept: application/json for the JSON of an accepted login,
as statusd answers text by default) say so.

Then what no client library shows: the raw bytes of a Set-Cookie for a value with CR LF, and
--expose-hostname's environment twin.
"""

import http.client
import http.cookiejar
import json
import os
import socket
import sys
import unittest
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, RawConnection, StatusdServer, module_server  # noqa: E402

SERVER = None
CLIENT_TIMEOUT = 10


setUpModule, tearDownModule = module_server(globals())


def call(method, path, body=None, headers=None, server=None):
    """One request on a new connection: (status, headers as a message, body bytes)."""
    port = (server or SERVER).port
    connection = http.client.HTTPConnection(HOST, port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def call_json(method, path, body=None, headers=None, server=None):
    status, headers, data = call(method, path, body, headers, server)
    return status, json.loads(data)


class HttpbinEchoes(unittest.TestCase):
    def test_get_args_headers_origin_url(self):
        status, data = call_json("GET", "/get?show_env=1&x=y", headers={"X-Test": "1"})
        self.assertEqual(status, 200)
        self.assertEqual(data["args"], {"show_env": "1", "x": "y"})
        self.assertEqual(data["headers"]["X-Test"], "1")
        self.assertEqual(data["origin"], "127.0.0.1")
        self.assertEqual(data["url"], "http://%s:%d/get?show_env=1&x=y" % (HOST, SERVER.port))

    def test_post_json(self):
        payload = {"name": "statusd", "tags": ["a", "中"], "n": 1}
        status, data = call_json("POST", "/post", body=json.dumps(payload),
                                 headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200)
        self.assertEqual(data["json"], payload)
        self.assertEqual(json.loads(data["data"]), payload)
        self.assertEqual(data["form"], {})
        self.assertEqual(data["files"], {})
        self.assertEqual(data["args"], {})

    def test_post_form(self):
        status, data = call_json("POST", "/post", body="a=1&b=hello+world",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200)
        self.assertEqual(data["form"], {"a": "1", "b": "hello world"})
        self.assertIsNone(data["json"])

    def test_put_patch_delete_and_their_405s(self):
        for method in ("PUT", "PATCH", "DELETE"):
            with self.subTest(method=method):
                status, data = call_json(method, "/" + method.lower(), body="x=1",
                                         headers={"Content-Type": "text/plain"})
                self.assertEqual(status, 200)
                self.assertEqual(data["data"], "x=1")
                status, headers, _ = call("GET", "/" + method.lower())
                self.assertEqual(status, 405)
                self.assertIn(method, headers["Allow"])

    def test_anything_has_httpbins_fields_beside_statusds(self):
        status, data = call_json("PATCH", "/anything/x?q=1", body="{}",
                                 headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200)
        for field in ("args", "data", "files", "form", "headers", "json", "origin", "url",
                      "method", "body", "body_size", "target"):
            self.assertIn(field, data)
        self.assertEqual(data["method"], "PATCH")
        self.assertEqual(data["json"], {})
        self.assertTrue(data["url"].startswith("http://"))
        self.assertTrue(data["url"].endswith("/anything/x?q=1"))

    def test_binary_body_is_a_data_url_as_httpbin_shows_it(self):
        status, data = call_json("POST", "/post", body=b"\xff\x00\x01",
                                 headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200)
        self.assertEqual(data["data"], "data:application/octet-stream;base64,/wAB")


class HttpbinAuth(unittest.TestCase):
    def test_basic_auth_json(self):
        import base64
        token = base64.b64encode(b"user:passwd").decode()
        status, data = call_json("GET", "/basic-auth/user/passwd",
                                 headers={"Authorization": "Basic " + token,
                                          "Accept": "application/json"})
        self.assertEqual(status, 200)
        self.assertEqual(data, {"authenticated": True, "user": "user"})
        status, _, _ = call("GET", "/basic-auth/user/passwd", headers={"Accept": "application/json"})
        self.assertEqual(status, 401)

    def test_bearer_json(self):
        status, data = call_json("GET", "/bearer", headers={"Authorization": "Bearer abc",
                                                            "Accept": "application/json"})
        self.assertEqual(status, 200)
        self.assertEqual(data, {"authenticated": True, "token": "abc"})

    def test_digest_auth_json_through_urllibs_handler(self):
        url = SERVER.url("/digest-auth/auth/user/passwd")
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, "user", "passwd")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             urllib.request.HTTPDigestAuthHandler(passwords))
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        with opener.open(request, timeout=CLIENT_TIMEOUT) as response:
            self.assertEqual(response.status, 200)
            self.assertEqual(json.loads(response.read()), {"authenticated": True, "user": "user"})


class HttpbinCookies(unittest.TestCase):
    def opener(self):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             urllib.request.HTTPCookieProcessor(jar))
        return opener, jar

    def test_set_then_cookies_shows_them_and_delete_removes_them(self):
        opener, jar = self.opener()
        # urllib follows the 302 to /cookies, sending what it just received.
        with opener.open(SERVER.url("/cookies/set?k1=v1&k2=v2"), timeout=CLIENT_TIMEOUT) as r:
            self.assertEqual(r.geturl(), SERVER.url("/cookies"))
            self.assertEqual(json.loads(r.read()), {"cookies": {"k1": "v1", "k2": "v2"}})
        with opener.open(SERVER.url("/cookies/set/k3/v3"), timeout=CLIENT_TIMEOUT) as r:
            self.assertEqual(json.loads(r.read())["cookies"]["k3"], "v3")
        with opener.open(SERVER.url("/cookies/delete?k1"), timeout=CLIENT_TIMEOUT) as r:
            self.assertEqual(json.loads(r.read()), {"cookies": {"k2": "v2", "k3": "v3"}})
        self.assertEqual(sorted(c.name for c in jar), ["k2", "k3"])

    def test_crlf_in_a_cookie_value_never_reaches_the_wire(self):
        for target in ("/cookies/set?a=1%0d%0aX-Injected:%201",
                       "/cookies/set/a/1%0d%0aX-Injected:%201",
                       "/cookies/set?a=1;%20Domain=evil.example"):
            with self.subTest(target=target), RawConnection(SERVER.port) as connection:
                connection.request("GET", target)
                response = connection.read_response()
                self.assertEqual(response.status, 400)
                self.assertFalse(response.has_header("X-Injected"))
                self.assertFalse(response.has_header("Set-Cookie"))
                self.assertNotIn(b"\r\nX-Injected", response.raw.split(b"\r\n\r\n")[0])


class HttpbinUtilities(unittest.TestCase):
    def test_response_headers(self):
        status, headers, data = call("GET", "/response-headers?X-Foo=bar&X-Foo=baz&X-Bar=1")
        self.assertEqual(status, 200)
        self.assertEqual(headers.get_all("X-Foo"), ["bar", "baz"])
        self.assertEqual(json.loads(data), {"X-Foo": ["bar", "baz"], "X-Bar": "1"})

    def test_uuid(self):
        import uuid
        status, data = call_json("GET", "/uuid")
        self.assertEqual(status, 200)
        self.assertEqual(uuid.UUID(data["uuid"]).version, 4)
        status, data = call_json("GET", "/uuid?version=7")
        self.assertEqual(status, 200)
        self.assertEqual(uuid.UUID(data["uuid"]).version, 7)
        self.assertEqual(uuid.UUID(data["uuid"]).variant, uuid.RFC_4122)

    def test_base64(self):
        import base64
        text = "statusd 状态码 ~~~???"
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(text.encode()).decode()
            status, headers, data = call("GET", "/base64/" + encoded.replace("/", "%2F"))
            self.assertEqual(status, 200)
            self.assertEqual(data.decode("utf-8"), text)
        status, _, data = call("GET", "/base64/not*base64")
        self.assertEqual(status, 400)
        self.assertIn("base64", data.decode())

    def test_documents_parse_as_what_they_say(self):
        status, data = call_json("GET", "/json")
        self.assertEqual(status, 200)
        self.assertIn("slides", data["slideshow"])
        status, headers, body = call("GET", "/xml")
        self.assertEqual(headers["Content-Type"], "application/xml")
        self.assertEqual(ElementTree.fromstring(body).tag, "slideshow")
        status, headers, body = call("GET", "/html")
        self.assertEqual(status, 200)
        self.assertIn("<h1", body.decode())
        status, headers, body = call("GET", "/robots.txt")
        self.assertIn("Disallow: /deny", body.decode())
        status, headers, body = call("GET", "/deny")
        self.assertIn("YOU SHOULDN'T BE HERE", body.decode())
        status, headers, body = call("GET", "/encoding/utf8")
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        self.assertIn("中文", body.decode("utf-8"))

    def test_links_are_n_minus_one_anchors(self):
        class Anchors(HTMLParser):
            def __init__(self):
                super().__init__()
                self.hrefs = []

            def handle_starttag(self, tag, attrs):
                if tag == "a":
                    self.hrefs.append(dict(attrs)["href"])

        status, _, body = call("GET", "/links/10/3")
        self.assertEqual(status, 200)
        parser = Anchors()
        parser.feed(body.decode())
        self.assertEqual(len(parser.hrefs), 9)
        self.assertNotIn("/links/10/3", parser.hrefs)
        status, _, _ = call("GET", "/links/100000/0")
        self.assertEqual(status, 400)

    def test_unstable_with_seed_is_reproducible(self):
        first = [call("GET", "/unstable?seed=%d" % seed)[0] for seed in range(20)]
        again = [call("GET", "/unstable?seed=%d" % seed)[0] for seed in range(20)]
        self.assertEqual(first, again)
        self.assertEqual(set(first), {200, 500})


class ExposeHostname(unittest.TestCase):
    def test_environment_twin_turns_it_on(self):
        os.environ["STATUSD_EXPOSE_HOSTNAME"] = "true"
        try:
            server = StatusdServer().start()
        finally:
            del os.environ["STATUSD_EXPOSE_HOSTNAME"]
        try:
            status, data = call_json("GET", "/hostname", server=server)
            self.assertEqual(status, 200)
            self.assertEqual(data, {"hostname": socket.gethostname()})
        finally:
            server.stop()

    def test_off_by_default_and_a_bad_value_is_refused_at_start(self):
        status, _, body = call("GET", "/hostname")
        self.assertEqual(status, 404)
        self.assertIn("--expose-hostname", body.decode())
        import subprocess
        from harness import binary_path
        result = subprocess.run([binary_path(), "--port", "0"], capture_output=True,
                                env=dict(os.environ, STATUSD_EXPOSE_HOSTNAME="maybe"),
                                timeout=CLIENT_TIMEOUT)
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"STATUSD_EXPOSE_HOSTNAME", result.stderr)
        result = subprocess.run([binary_path(), "--help"], capture_output=True,
                                timeout=CLIENT_TIMEOUT)
        self.assertIn(b"--expose-hostname ", result.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
