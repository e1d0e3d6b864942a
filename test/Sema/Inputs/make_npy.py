#!/usr/bin/env python3
"""make_npy.py PATH DESCR DIM...: writes a .npy file (format 1.0) with dtype
DESCR (e.g. '<f4', '<i8', '>f4') and shape DIM..., filled with zero bytes."""
import sys

path, descr, dims = sys.argv[1], sys.argv[2], [int(d) for d in sys.argv[3:]]
shape = "(" + "".join(f"{d}, " for d in dims)[:-2] + ("," if len(dims) == 1 else "") + ")"
header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
pad = 64 - (10 + len(header) + 1) % 64
header = header + " " * pad + "\n"
count = 1
for d in dims:
    count *= d
size = int(descr[2:]) if descr[2:].isdigit() else 1
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
    f.write(b"\0" * (count * size))
