#!/usr/bin/env python3
"""Rewrites a safetensors file the way a corruption or a hand edit would,
for the tests of what --resume and `load` refuse:

  edit_state.py IN OUT [--strip] [--flip TENSOR] [--set NAME=INT]...
                [--setf NAME=FLOAT] [--meta KEY=VALUE]...

--flip flips the lowest bit of TENSOR's first byte (a bit flip on disk:
the checksums stay as they were); --set and --setf replace the value of
an I64 or F32/F64 tensor (every element); --meta sets a metadata entry;
--strip drops nnc's checksums ("nnc.xxh3*"), as a file written by another
tool (the Python safetensors package) has none. The header is written
compactly, padded to 8 bytes, with the tensors' offsets unchanged.
"""
import json
import struct
import sys


def main():
    args = sys.argv[1:]
    src, dst, ops = args[0], args[1], args[2:]
    blob = open(src, "rb").read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    data = bytearray(blob[8 + n:])
    meta = header.pop("__metadata__", {})
    i = 0
    while i < len(ops):
        op = ops[i]
        if op == "--strip":
            meta = {k: v for k, v in meta.items()
                    if k != "nnc.xxh3" and not k.startswith("nnc.xxh3.")}
            i += 1
            continue
        arg = ops[i + 1]
        i += 2
        if op == "--flip":
            data[header[arg]["data_offsets"][0]] ^= 1
        elif op in ("--set", "--setf"):
            name, value = arg.split("=", 1)
            t = header[name]
            begin, end = t["data_offsets"]
            fmt = {"I64": "<q", "F32": "<f", "F64": "<d"}[t["dtype"]]
            v = int(value) if op == "--set" else float(value)
            size = struct.calcsize(fmt)
            for at in range(begin, end, size):
                data[at:at + size] = struct.pack(fmt, v)
        elif op == "--meta":
            key, value = arg.split("=", 1)
            meta[key] = value
        else:
            sys.exit("edit_state.py: unknown operation " + op)
    if meta:
        header = {"__metadata__": meta, **header}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + bytes(data))


main()
