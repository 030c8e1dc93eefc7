"""/image by Accept and /image/{format} (issue 14): each format's bytes start with its magic
number and come with its Content-Type; 406 names the formats when Accept fits none; a
bad format name is a 404 that names them; HEAD answers as GET.
"""

import http.client
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, module_server  # noqa: E402

SERVER = None

MAGIC = {
    "image/png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n") and b[12:16] == b"IHDR",
    "image/jpeg": lambda b: b.startswith(b"\xff\xd8\xff") and b.endswith(b"\xff\xd9"),
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"
                            and int.from_bytes(b[4:8], "little") == len(b) - 8,
    "image/svg+xml": lambda b: b.lstrip().startswith(b"<svg") and b.rstrip().endswith(b"</svg>"),
}


setUpModule, tearDownModule = module_server(globals())


def fetch(path, accept=None, method="GET"):
    connection = http.client.HTTPConnection(HOST, SERVER.port, timeout=10)
    try:
        headers = {} if accept is None else {"Accept": accept}
        # http.client sends no Accept unless told; skip_accept_encoding keeps the head minimal
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.headers, response.read()
    finally:
        connection.close()


class ImageTest(unittest.TestCase):
    def assertImage(self, path, accept, content_type):
        status, got_type, headers, body = fetch(path, accept)
        self.assertEqual(status, 200, (path, accept))
        self.assertEqual(got_type, content_type, (path, accept))
        self.assertTrue(MAGIC[content_type](body), (path, accept, body[:16]))
        self.assertEqual(int(headers["Content-Length"]), len(body))
        return headers

    def test_each_format_by_path(self):
        for name, content_type in (("png", "image/png"), ("jpeg", "image/jpeg"),
                                   ("jpg", "image/jpeg"), ("webp", "image/webp"),
                                   ("svg", "image/svg+xml")):
            with self.subTest(name=name):
                self.assertImage("/image/" + name, "text/html", content_type)

    def test_png_is_64_by_48(self):
        body = fetch("/image/png")[3]
        self.assertEqual(int.from_bytes(body[16:20], "big"), 64)
        self.assertEqual(int.from_bytes(body[20:24], "big"), 48)

    def test_accept_chooses(self):
        cases = [
            (None, "image/png"),
            ("*/*", "image/png"),
            ("image/*", "image/png"),
            ("image/jpeg", "image/jpeg"),
            ("image/webp", "image/webp"),
            ("image/svg+xml", "image/svg+xml"),
            ("image/png;q=0.5, image/jpeg", "image/jpeg"),
            ("image/svg+xml, image/webp", "image/svg+xml"),
            # Chromium's Accept for <img>: named types beat image/* at the same q
            ("image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "image/webp"),
            ("IMAGE/JPEG;q=0.9, image/*;q=0.1", "image/jpeg"),
        ]
        for accept, content_type in cases:
            with self.subTest(accept=accept):
                headers = self.assertImage("/image", accept, content_type)
                self.assertEqual(headers["Vary"], "Accept")

    def test_406_names_the_formats(self):
        for accept in ("text/html", "image/avif", "image/*;q=0", "application/json"):
            with self.subTest(accept=accept):
                status, _, headers, body = fetch("/image?lang=en", accept)
                self.assertEqual(status, 406)
                text = body.decode()
                for name in ("image/png", "image/jpeg", "image/webp", "image/svg+xml"):
                    self.assertIn(name, text)
                self.assertEqual(headers["Vary"], "Accept")

    def test_unknown_format_is_a_404_naming_them(self):
        status, _, _, body = fetch("/image/bmp?lang=en", "text/plain")
        self.assertEqual(status, 404)
        self.assertIn("/image/webp", body.decode())
        self.assertIn("bmp", body.decode())

    def test_head_is_get_without_body(self):
        for path in ("/image", "/image/svg", "/image/jpeg"):
            with self.subTest(path=path):
                get = fetch(path, "image/*")
                head = fetch(path, "image/*", "HEAD")
                self.assertEqual(head[0], get[0])
                self.assertEqual(head[2]["Content-Length"], str(len(get[3])))
                self.assertEqual(head[3], b"")


if __name__ == "__main__":
    unittest.main(verbosity=2)
