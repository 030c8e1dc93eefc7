#!/usr/bin/env python3
"""Writes static/image/statusd.png and statusd.svg from statusd.ppm, which make_images.c draws
(the same picture it writes as JPEG and WebP). Run once, by hand, in the folder holding
statusd.ppm; the outputs are committed, so neither the build nor the tests run this.

    cc -O2 make_images.c -o make_images -ljpeg /usr/lib/x86_64-linux-gnu/libwebp.so.7
    ./make_images && python3 make_png_svg.py
"""
import struct
import zlib

WIDTH, HEIGHT = 64, 48


def chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


with open("statusd.ppm", "rb") as f:
    pixels = f.read().split(b"\n255\n", 1)[1]
rows = b"".join(b"\x00" + pixels[y * WIDTH * 3:(y + 1) * WIDTH * 3] for y in range(HEIGHT))
png = (b"\x89PNG\r\n\x1a\n"
       + chunk(b"IHDR", struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
with open("statusd.png", "wb") as f:
    f.write(png)
with open("statusd.svg", "w") as f:
    f.write('''<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" viewBox="0 0 64 48">
<title>statusd</title>
<rect width="64" height="48" fill="#0b7285"/>
<circle cx="22.5" cy="24.5" r="14" fill="#fff"/>
<rect x="42" y="10" width="14" height="28" fill="#f08c00"/>
</svg>
''')
