"""The pages people read (SPEC §10): the index, /codes/{code}, /status/{code} as HTML.

- Every curl example on every /codes/{code} page is run in a real shell against the server and
  must show the statuses the page promises next to it (data-statuses): a page that teaches a
  command that does not work is worse than no page.
- Every page complies with its own Content-Security-Policy: scripts and styles only from
  /static/, no inline script, style or event handler, and every asset it names exists.
- Request bytes that reach a page come back escaped.

The browser suite (tests/browser) proves the same pages in Chromium; this one needs only the
standard library and the curl CLI.
"""

import concurrent.futures
import html
import html.parser
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, StatusdServer  # noqa: E402

SERVER = None
CLIENT_TIMEOUT = 10
EXAMPLE_TIMEOUT = 15        # one pasted command, however many curls it runs
PLACEHOLDER_ORIGIN = "http://localhost:8080"
STATUS_LINE = re.compile(r"^(?:< )?HTTP/[0-9.]+ (\d{3})")
BASH = shutil.which("bash")
CURL = shutil.which("curl")


def setUpModule():
    global SERVER
    SERVER = StatusdServer().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()  # asserts exit code 0 after SIGTERM


def get(path, accept="text/html", language=None):
    """(status, headers, text) of a GET, redirects not followed."""
    headers = {"Accept": accept}
    if language:
        headers["Accept-Language"] = language
    connection = http.client.HTTPConnection(HOST, SERVER.port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8")
    finally:
        connection.close()


def catalogue_keys():
    status, _, text = get("/codes.json", accept="application/json")
    assert status == 200
    return [entry["key"] for entry in json.loads(text)["codes"]]


class PageParser(html.parser.HTMLParser):
    """Collects what a CSP check and the example runner need from one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts = []          # (src, inline text)
        self.stylesheets = []
        self.icons = []
        self.inline_styles = 0     # <style> elements and style= attributes
        self.handlers = []         # on*= attributes
        self.examples = []         # (command, statuses)
        self._script = None
        self._example = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, _ in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
        if "style" in attributes or tag == "style":
            self.inline_styles += 1
        if tag == "script":
            self._script = [attributes.get("src"), ""]
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes.get("href"))
        elif tag == "link" and attributes.get("rel") == "icon":
            self.icons.append(attributes.get("href"))
        elif tag == "code" and "cmd" in (attributes.get("class") or "").split():
            self._example = [attributes.get("data-statuses"), ""]

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(tuple(self._script))
            self._script = None
        elif tag == "code" and self._example is not None:
            statuses, command = self._example
            self.examples.append((command, statuses))
            self._example = None

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data
        if self._example is not None:
            self._example[1] += data


def parse(text):
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser


def run_example(command):
    """Runs a pasted command in bash against this server; returns (statuses seen, output)."""
    command = command.replace(PLACEHOLDER_ORIGIN, SERVER.base_url)
    done = subprocess.run([BASH, "-c", command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, timeout=EXAMPLE_TIMEOUT)
    output = done.stdout.decode("utf-8", "replace")
    statuses = [m.group(1) for line in output.splitlines()
                for m in [STATUS_LINE.match(line)] if m]
    return statuses, output


class CodePagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = catalogue_keys()
        cls.pages = {}
        for key in cls.keys:
            status, headers, text = get("/codes/" + key)
            assert status == 200, key
            cls.pages[key] = (headers, text)

    def test_every_curl_example_shows_the_statuses_its_page_promises(self):
        self.assertIsNotNone(CURL, "the curl CLI is needed")
        examples = {}
        for key, (_, text) in self.pages.items():
            page_examples = parse(text).examples
            self.assertTrue(page_examples, "/codes/%s has no curl example" % key)
            for command, statuses in page_examples:
                self.assertTrue(command.startswith(("curl ", "k=$RANDOM")), command)
                self.assertIn(PLACEHOLDER_ORIGIN, command)
                self.assertTrue(statuses, "%s: no data-statuses" % command)
                examples[command] = statuses.split()
        # Two at a time, like the machine's cores; each command is bounded by its timeout.
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            results = dict(zip(examples, pool.map(run_example, examples)))
        for command, expected in examples.items():
            seen, output = results[command]
            with self.subTest(command=command):
                self.assertEqual(seen, expected, output[-2000:])

    def test_every_code_page_keeps_to_its_content_security_policy(self):
        for key, (headers, text) in self.pages.items():
            with self.subTest(key=key):
                policy = headers.get("Content-Security-Policy", "")
                self.assertIn("default-src 'self'", policy)
                self.assertIn("frame-ancestors 'none'", policy)
                page = parse(text)
                self.assertEqual(page.inline_styles, 0)
                self.assertEqual(page.handlers, [])
                self.assertEqual(sorted(src for src, _ in page.scripts),
                                 ["/static/app.js", "/static/tryit.js"])
                self.assertEqual([inline.strip() for _, inline in page.scripts], ["", ""])
                self.assertEqual(page.stylesheets, ["/static/style.css"])
                self.assertEqual(page.icons, ["/static/favicon.svg"])

    def test_code_pages_follow_the_language_asked_for(self):
        status, _, english = get("/codes/429?lang=en")
        self.assertEqual(status, 200)
        status, _, chinese = get("/codes/429?lang=zh")
        self.assertEqual(status, 200)
        self.assertIn("Too Many Requests", english)
        self.assertNotIn('<section class="language" lang="zh">', english)
        self.assertIn('<section class="language" lang="zh">', chinese)
        self.assertNotIn('<section class="language" lang="en">', chinese)
        # Both, in the order Accept-Language prefers.
        _, _, both = get("/codes/429", language="en")
        self.assertLess(both.index('lang="en">'), both.index('<section class="language" lang="zh">'))

    def test_code_page_text_names_the_host_the_client_used(self):
        status, headers, text = get("/codes/404", accept="text/plain")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        self.assertIn("curl -i http://%s/status/404" % SERVER.base_url[len("http://"):], text)


class IndexAndStatusPagesTest(unittest.TestCase):
    def test_index_keeps_to_its_content_security_policy_and_assets_exist(self):
        status, headers, text = get("/")
        self.assertEqual(status, 200)
        self.assertIn("default-src 'self'", headers["Content-Security-Policy"])
        page = parse(text)
        self.assertEqual(page.inline_styles, 0)
        self.assertEqual(page.handlers, [])
        self.assertEqual(page.scripts, [("/static/app.js", "")])
        for asset in ["/static/app.js", "/static/tryit.js", "/static/style.css",
                      "/static/favicon.svg"]:
            with self.subTest(asset=asset):
                status, headers, body = get(asset, accept="*/*")
                self.assertEqual(status, 200)
                self.assertTrue(body)
                self.assertIn("max-age", headers["Cache-Control"])

    def test_index_rows_carry_what_the_filter_searches(self):
        _, _, text = get("/")
        row = re.search(r'<tr class="code-row" id="code-429" data-key="429" data-words="([^"]*)"',
                        text)
        self.assertIsNotNone(row)
        words = html.unescape(row.group(1))
        self.assertIn("rate limited", words)
        self.assertIn("限流", words)
        self.assertEqual(words, words.lower())

    def test_status_page_in_html_keeps_to_the_policy(self):
        # Not a 1xx: http.client takes an interim 103 for the response (Chromium does not).
        for key in ["404", "503", "451", "302", "799"]:
            with self.subTest(key=key):
                status, headers, text = get("/status/" + key + "?location=/x")
                self.assertEqual(status, int(key))
                self.assertIn("default-src 'self'", headers["Content-Security-Policy"])
                page = parse(text)
                self.assertEqual(page.inline_styles, 0)
                self.assertEqual(page.scripts, [])
                self.assertEqual(page.stylesheets, ["/static/style.css"])
                self.assertIn('<span class="sent">HTTP %d</span>' % status, text)

    def test_redirect_page_links_its_target(self):
        status, headers, text = get("/status/307?location=/anything/next")
        self.assertEqual(status, 307)
        self.assertEqual(headers["Location"], "/anything/next")
        self.assertIn('<a href="/anything/next">/anything/next</a>', text)

    def test_request_bytes_reaching_a_page_are_escaped(self):
        status, _, text = get("/codes/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        self.assertEqual(status, 404)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", text)
        self.assertNotIn("<script>alert", text)
        status, _, text = get("/no/%22%3E%3Cimg%20src=x%3E")
        self.assertEqual(status, 404)
        self.assertNotIn("<img", text)
        self.assertIn("&quot;&gt;&lt;img src=x&gt;", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
