#!/usr/bin/env python3
"""Writes the tiny classification data of the resume tests into DIR:
x.npy (float32 [240, 6]) and y.npy (int64 [240], classes 0..2), the class
of each sample being the largest of three fixed linear scores of it plus
noise. The numbers come from a fixed-seed generator, so every run writes
the same bytes and no binary file is committed.

  make_tiny.py DIR
"""
import os
import random
import struct
import sys


def save_npy(path, descr, shape, values, fmt):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join("%d, " % d for d in shape) if len(shape) > 1
        else "%d," % shape[0])
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = random.Random(7)
w = [[rng.gauss(0, 1) for _ in range(3)] for _ in range(6)]
xs, ys = [], []
for _ in range(240):
    x = [rng.gauss(0, 1) for _ in range(6)]
    scores = [sum(x[i] * w[i][c] for i in range(6)) + 0.3 * rng.gauss(0, 1)
              for c in range(3)]
    xs += x
    ys.append(scores.index(max(scores)))
save_npy(os.path.join(out, "x.npy"), "<f4", (240, 6), xs, "f")
save_npy(os.path.join(out, "y.npy"), "<i8", (240,), ys, "q")
