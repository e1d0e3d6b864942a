#!/usr/bin/env python3
"""Checks a PNG file that --plot wrote and describes it for FileCheck:

  PNG <width>x<height> <colour type>
  background white: yes|no      (more than half the pixels are white)
  dark pixels: yes|no           (at least 300: frame, ticks, text)
  <colour>: yes|no              (at least 20 pixels of exactly that colour)

for each of matplotlib's tab10 colours that the curves use. Reads the file
with the standard library alone: the signature, every chunk's CRC, IHDR,
the zlib stream of the IDAT chunks and the scanline filters (8-bit RGB or
RGBA, not interlaced). A malformed file exits with status 1.

  check_png.py FILE
"""
import struct
import sys
import zlib

COLOURS = {
    "tab:blue": (31, 119, 180),
    "tab:orange": (255, 127, 14),
    "tab:green": (44, 160, 44),
    "tab:red": (214, 39, 40),
}


def fail(message):
    sys.stderr.write("check_png: " + message + "\n")
    sys.exit(1)


data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    fail("not a PNG signature")
pos, chunks = 8, []
while pos < len(data):
    if pos + 8 > len(data):
        fail("truncated chunk header")
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    crc = data[pos + 8 + length:pos + 12 + length]
    if len(body) != length or len(crc) != 4:
        fail("truncated chunk " + kind.decode("latin-1"))
    if struct.unpack(">I", crc)[0] != zlib.crc32(kind + body):
        fail("bad CRC in chunk " + kind.decode("latin-1"))
    chunks.append((kind, body))
    pos += 12 + length
if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
    fail("IHDR must come first and IEND last")
width, height, depth, ctype, _, _, interlace = struct.unpack(
    ">IIBBBBB", chunks[0][1])
if depth != 8 or ctype not in (2, 6) or interlace:
    fail("not 8-bit RGB or RGBA without interlace")
channels = 3 if ctype == 2 else 4
raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
stride = width * channels
if len(raw) != height * (stride + 1):
    fail("image data of the wrong size")


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


pixels = []
prev = bytearray(stride)
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - channels] if i >= channels else 0
        b = prev[i]
        c = prev[i - channels] if i >= channels else 0
        if f == 1:
            line[i] = (line[i] + a) & 255
        elif f == 2:
            line[i] = (line[i] + b) & 255
        elif f == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            line[i] = (line[i] + paeth(a, b, c)) & 255
        elif f != 0:
            fail("unknown filter %d" % f)
    for x in range(width):
        pixels.append(tuple(line[x * channels:x * channels + 3]))
    prev = line

counts = {}
for p in pixels:
    counts[p] = counts.get(p, 0) + 1
print("PNG %dx%d %s" % (width, height, "RGB" if ctype == 2 else "RGBA"))
print("background white: " +
      ("yes" if counts.get((255, 255, 255), 0) * 2 > len(pixels) else "no"))
dark = sum(n for p, n in counts.items() if max(p) < 64)
print("dark pixels: " + ("yes" if dark >= 300 else "no"))
for name, rgb in COLOURS.items():
    print(name + ": " + ("yes" if counts.get(rgb, 0) >= 20 else "no"))
