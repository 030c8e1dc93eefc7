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
from harness import HOST, RawConnection, module_server, source_root  # noqa: E402

SERVER = None
CLIENT_TIMEOUT = 10


setUpModule, tearDownModule = module_server(globals())


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


class EveryCodeHasAPage(unittest.TestCase):
    """/codes/N answers 200 for every N from 100 to 999, and no page links to a 404."""

    def test_walk_100_to_999(self):
        listed = {e["key"] for e in catalogue()}
        connection = http.client.HTTPConnection(HOST, SERVER.port, timeout=CLIENT_TIMEOUT)
        try:
            for code in range(100, 1000):
                connection.request("GET", "/codes/%d?lang=en" % code)
                response = connection.getresponse()
                body = response.read().decode("utf-8")
                self.assertEqual(response.status, 200, code)
                self.assertIn("Class: %dxx" % (code // 100), body, code)
                if str(code) not in listed:
                    self.assertIn("not registered with IANA", body, code)
        finally:
            connection.close()

    def test_html_of_uncatalogued_code(self):
        status, _, headers, text = get("/codes/799", accept="text/html")
        self.assertEqual(status, 200)
        self.assertIn("text/html", headers["Content-Type"])
        self.assertIn("not registered with IANA", text)
        self.assertIn("未在 IANA 注册", text)
        self.assertIn('href="/status/799"', text)

    def test_not_a_code(self):
        for key in ("99", "1000", "abc", "200,500", "200:1", "404.99", "200.1"):
            self.assertEqual(get("/codes/" + key)[0], 404, key)

    def test_no_page_links_to_a_404(self):
        pages = ["/", "/status/199", "/status/299", "/status/799", "/status/999",
                 "/codes/799", "/codes/404", "/codes/403"]
        links = set()
        for page in pages:
            status, _, _, text = get(page, accept="text/html")
            for href in re.findall(r'href="(/[^"#]*)"', text):
                links.add(href.replace("&amp;", "&"))
        self.assertGreater(len(links), 50)
        for href in sorted(links):
            if href.startswith(("/status/", "/loop/", "/redirect", "/fault/", "/delay/")) \
                    or href == "/no/such/page":
                continue  # these answer with their own status on purpose (/codes/404's demo)
            self.assertNotEqual(get(href, accept="text/html")[0], 404, href)
        # What the /status/ pages link under /codes/ is a real page.
        for href in sorted(h for h in links if h.startswith("/codes/")):
            self.assertEqual(get(href)[0], 200, href)


class InterimTruth(unittest.TestCase):
    """/status/103: the body says what really happened on the wire."""

    def exchange(self, version, accept="text/plain"):
        with RawConnection(SERVER.port) as c:
            c.request("GET", "/status/103", headers=[("Accept", accept)], version=version)
            return c.read_final()

    def test_http10_gets_no_interim_and_no_claim_of_one(self):
        for accept in ("text/plain", "text/html", "application/json"):
            interims, final = self.exchange("HTTP/1.0", accept)
            body = final.body.decode("utf-8")
            self.assertEqual((interims, final.status), ([], 200), accept)
            self.assertNotIn("Sent first as an interim response", body, accept)
            self.assertNotIn("先作为临时响应发送", body, accept)
            self.assertIn("No interim 103 was sent", body, accept)
            self.assertIn("没有发送临时响应 103", body, accept)
        # Twice, so a cached HTTP/1.1 body cannot be what HTTP/1.0 gets, nor the reverse.
        interims, final = self.exchange("HTTP/1.1")
        self.assertEqual([i.status for i in interims], [103])
        self.assertIn(b"Sent first as an interim response: 103", final.body)
        self.assertNotIn(b"No interim", final.body)
        interims, final = self.exchange("HTTP/1.0")
        self.assertEqual(interims, [])
        self.assertNotIn(b"Sent first as an interim response", final.body)

    def test_link_has_as_style(self):
        interims, _ = self.exchange("HTTP/1.1")
        self.assertEqual(interims[0].header("Link"), "</static/style.css>; rel=preload; as=style")

    def test_texts_name_the_clients_that_mishandle_1xx(self):
        for path in ("/codes/103", "/codes/102", "/codes/199"):
            text = get(path)[3]
            self.assertNotIn("just skips", text, path)
            self.assertIn("Python's http.client", text, path)
            self.assertIn("Python 的 http.client", text, path)

    def test_python_http_client_does_take_the_103_as_final(self):
        """The fact the texts state: http.client returns the 103 itself."""
        status = get("/status/103")[0]
        self.assertEqual(status, 103)


class TemporaryOrPermanent(unittest.TestCase):
    """The "temporary or permanent" line fits the class; Location's explanation fits the route."""

    def persistence(self, path, language="en"):
        for line in get(path + ("&" if "?" in path else "?") + "lang=" + language)[3].splitlines():
            if line.startswith(("Temporary or permanent: ", "暂时还是永久: ")):
                return line.split(": ", 1)[1]
        return None

    def test_redirects_do_not_succeed_later(self):
        for code in (300, 302, 303, 307):
            self.assertEqual(self.persistence("/status/%d" % code),
                             "temporary: the target may change, so keep using the original URL")
            self.assertNotIn("成功", self.persistence("/status/%d" % code, "zh"))
        for code in (301, 308):
            self.assertIn("use the new URL from now on", self.persistence("/status/%d" % code))

    def test_304_is_not_a_failure(self):
        self.assertIsNone(self.persistence("/status/304"))
        self.assertIsNone(self.persistence("/codes/304"))

    def test_missing_route_is_permanent(self):
        self.assertEqual(get("/no/such/route")[0], 404)
        self.assertEqual(self.persistence("/no/such/route"),
                         "permanent: repeating the same request will not change the answer")
        body = json.loads(get("/no/such/route", accept="application/json")[3])
        self.assertEqual(body["persistence"], "permanent")
        # A 404 asked for on purpose keeps the catalogue's word.
        self.assertEqual(self.persistence("/status/404"),
                         "temporary: the same request may succeed later")

    def test_location_explained_for_the_route(self):
        for path, target in (("/redirect/2", "/redirect/1"), ("/loop/3", "/loop/3/1")):
            for accept in ("text/plain", "text/html"):
                status, _, headers, text = get(path, accept=accept)
                self.assertEqual(headers["Location"], target, path)
                self.assertNotIn("/status/200", text, (path, accept))
                self.assertIn("Where the client goes next: " + target, text, path)
                self.assertIn("客户端下一步要去的地址：" + target, text, path)
        # /status/302 still explains its default target.
        self.assertIn("points it at /status/200", get("/status/302")[3])


class SharedCounterNote(unittest.TestCase):
    def test_without_key_the_body_says_the_counter_is_shared(self):
        for path in ("/sequence/500,200", "/flaky/1"):
            text = get(path + "?lang=en")[3]
            self.assertIn("No ?key= was given, so this count is shared", text, path)
            self.assertIn("所有不带 key 的客户端共用", get(path + "?lang=zh")[3], path)
            keyed = get(path + "?lang=en&key=texts-own")[3]
            self.assertNotIn("No ?key=", keyed, path)


class CurlLinesOnAPhone(unittest.TestCase):
    """The stylesheet never lets a curl line break inside a word (the browser suite shows the
    page; this checks the rules that decide it, served as the browser gets them)."""

    def test_cmd_breaks_only_at_spaces(self):
        status, _, _, css = get("/static/style.css", accept="text/css")
        self.assertEqual(status, 200)
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        rules = dict((sel.strip(), body) for sel, body in re.findall(r"([^{}]+)\{([^}]*)\}", css))
        cmd = rules.get("pre code.cmd", "")
        self.assertIn("word-break: normal", cmd)
        self.assertIn("overflow-wrap: normal", cmd)
        self.assertNotIn("break-all", rules.get("pre", ""))
        self.assertIn("overflow-x: auto", rules.get("pre", ""))
        page = get("/codes/301", accept="text/html")[3]
        self.assertIn('<code class="cmd"', page)


HAN_LATIN = re.compile(r"[\u4e00-\u9fff][A-Za-z0-9]|[A-Za-z0-9][\u4e00-\u9fff]")


class BadRequestBodies(unittest.TestCase):
    """A 400 starts with the line that helps; path segments are not called parameters."""

    def test_the_useful_line_comes_first(self):
        status, _, _, text = get("/redirect-to?url=/x&status=999")
        self.assertEqual(status, 400)
        lines = text.splitlines()
        self.assertEqual(lines[0], "400 Bad Request")
        self.assertEqual(lines[1], "")
        self.assertTrue(lines[2].startswith("参数 'status' 无效"), lines[2])
        self.assertTrue(lines[3].startswith("Parameter 'status' is not valid"), lines[3])
        self.assertEqual(text.count("Parameter 'status' is not valid"), 1)

    def test_html_and_json_lead_with_it(self):
        html = get("/delay/abc", accept="text/html")[3]
        first = html.index('class="note first"')
        self.assertLess(first, html.index("<dl>"))
        self.assertIn("The path segment {s} is not valid", html)
        body = json.loads(get("/delay/abc", accept="application/json")[3])
        self.assertIn("The path segment {s} is not valid", body["error"]["en"])
        self.assertIn("路径段 {s} 无效", body["error"]["zh"])

    def test_path_segments_are_not_parameters(self):
        for path, name in (("/status/abc", "{code}"), ("/redirect/x", "{n}"),
                           ("/fault/nope", "{kind}"), ("/range/x", "{n}"),
                           ("/ratelimit/0/5", "{limit}"), ("/flaky/x", "{n}")):
            status, _, _, text = get(path + "?lang=en")
            self.assertEqual(status, 400, path)
            self.assertIn("The path segment %s is not valid" % name, text, path)
            self.assertNotIn("Parameter '", text, path)
        self.assertIn("Parameter 'then' is not valid", get("/status/103?then=1&lang=en")[3])

    def test_chinese_spacing(self):
        for path in ("/range/x", "/status/103?then=1", "/redirect/x", "/status/abc",
                     "/delay/abc", "/ratelimit/0/5"):
            text = get(path + ("&" if "?" in path else "?") + "lang=zh")[3]
            first = text.splitlines()[2]
            self.assertIsNone(HAN_LATIN.search(first), (path, first))
        self.assertIn("可接受的值为 0 到", get("/range/x?lang=zh")[3])

    def test_catalogue_chinese_spacing(self):
        for name in ("1xx-3xx.json", "4xx.json", "5xx.json", "iis.json", "classes.json"):
            text = json.dumps(load_catalog_file(name), ensure_ascii=False)
            self.assertEqual(HAN_LATIN.findall(text), [], name)


class IisSubStatuses(unittest.TestCase):
    def test_a_code_page_lists_and_links_its_sub_statuses_and_each_links_back(self):
        status, _, _, body = get("/codes/403", accept="text/html")
        self.assertEqual(status, 200)
        for sub in ("403.4", "403.14"):
            self.assertIn('href="/codes/%s"' % sub, body)
        status, _, _, body = get("/codes/403.4", accept="text/html")
        self.assertEqual(status, 200)
        self.assertIn('href="/codes/403"', body)

    def test_the_sub_statuses_people_meet_are_catalogued(self):
        for key in ("403.14", "404.3", "404.13", "500.19", "502.3"):
            self.assertEqual(get("/codes/" + key)[0], 200, key)
            self.assertEqual(get("/status/" + key)[0], int(key.split(".")[0]), key)

    def test_the_seed_s_dash_spelling_is_a_sub_status(self):
        self.assertEqual(get("/status/500-13")[0], 500)
        self.assertEqual(get("/codes/500-13")[0], 200)
        # A dash before a number that is not a sub-status of the code is not one.
        self.assertEqual(get("/status/500-99")[0], 400)
        # Three digits no lower than the code end a range of codes (issue 14).
        self.assertIn(get("/status/500-999?seed=3")[0], range(500, 1000))


class CatalogueTexts(unittest.TestCase):
    """Facts the catalogue states (issue 10, part 5, "Texts")."""

    def entry(self, key):
        return [e for e in catalogue() if e["key"] == key][0]

    def test_308_history(self):
        e = self.entry("308")
        for rfc in ("RFC 7238", "2014", "RFC 7538", "RFC 9110"):
            self.assertIn(rfc, e["en"]["meaning"])
            self.assertIn(rfc, e["zh"]["meaning"])

    def test_100_final_status_that_applies(self):
        e = self.entry("100")
        for code in ("401", "413", "415", "417"):
            self.assertIn(code, e["en"]["meaning"])
            self.assertIn(code, e["zh"]["meaning"])
        self.assertNotIn("such as 417", e["en"]["meaning"])

    def test_104_provisionally_registered(self):
        e = self.entry("104")
        self.assertTrue(e["official"])
        self.assertEqual(e["zh"]["title"], "支持可恢复上传")
        self.assertIn("provisionally registered", e["en"]["meaning"])
        self.assertNotIn("not registered", get("/codes/104", accept="text/html")[3])

    def test_3xx_class_redirect_limits(self):
        text = get("/status/399?lang=en")[3] + get("/status/399?lang=zh")[3]
        for fact in ("RFC 1945", "RFC 2068", "at most 5 redirects", "RFC 2616", "Chromium 20",
                     "curl 50", "urllib 10", "最多自动跟随 5 次"):
            self.assertIn(fact, text)

    def test_530_is_not_temporary(self):
        self.assertEqual(self.entry("530")["persistence"], "permanent")

    def test_reason_casing_matches_title(self):
        for key in ("494", "598"):
            e = self.entry(key)
            self.assertEqual(e["reason"], e["en"]["title"], key)


if __name__ == "__main__":
    unittest.main(verbosity=2)
