#!/usr/bin/env python3
"""Writes the seed corpora of the file reader fuzz targets.

    make_corpus.py [OUTDIR]          (default: corpus/ beside this script)
    make_corpus.py --check [DIR]     checks that DIR holds this output

Each input is a few valid, tiny files in the layout its fuzz target reads
(see the comment at the top of fuzz_<format>.cpp), plus a few near misses.
The output is deterministic; the corpora under test/fuzz/corpus/ are this
script's output, checked in, plus the reproducers of fixed crashes (which
--check leaves alone).
"""

import gzip
import json
import os
import struct
import sys


def idx(code, dims, values):
    fmt = {0x08: "B", 0x09: "b", 0x0B: "h", 0x0C: "i", 0x0D: "f", 0x0E: "d"}[code]
    head = bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return head + b"".join(struct.pack(">" + fmt, v) for v in values)


def gz(data):
    return gzip.compress(data, mtime=0)


def two_files(first, second, flags=None):
    head = b"" if flags is None else bytes([flags])
    return head + struct.pack("<H", len(first)) + first + second


def npy(descr, shape, payload, version=(1, 0), fortran=False):
    d = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {tuple(shape)}, }}"
    len_size = 2 if version[0] == 1 else 4
    total = 6 + 2 + len_size + len(d) + 1
    d += " " * ((64 - total % 64) % 64) + "\n"
    return (b"\x93NUMPY" + bytes(version) +
            len(d).to_bytes(len_size, "little") + d.encode("latin-1") + payload)


def safetensors(tensors, metadata=None, pad=True, ascii=True):
    """tensors: [(name, dtype, shape, bytes)], laid out in the given order."""
    header, off, data = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, payload in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [off, off + len(payload)]}
        off += len(payload)
        data += payload
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=ascii).encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def raw_header(text):
    return struct.pack("<Q", len(text)) + text


def corpus():
    c = {}
    c["idx"] = {
        "u8-images-u8-labels": two_files(
            idx(0x08, [3, 2, 2], range(12)), idx(0x08, [3], [0, 1, 9]), 0),
        "gzip-f32-images-i32-labels": two_files(
            idx(0x0D, [2, 3], [0.5, -1, 2, 3.25, 1e-3, 7]),
            idx(0x0C, [2], [4, 1]), 1),
        "gzip-both-i16-images-f64-targets": two_files(
            idx(0x0B, [2, 2], [-300, 2, 3, 4]),
            idx(0x0E, [2], [0.25, -8.5]), 3),
        "prezipped-f64-images-i8-label-pairs": two_files(
            gz(idx(0x0E, [1, 1], [1.5])), idx(0x09, [1, 2], [-1, 3]), 0),
        "gzip-cut-trailer": two_files(
            idx(0x08, [2, 2], [1, 2, 3, 4]), idx(0x08, [2], [0, 1]), 0x41),
        "zero-samples": two_files(idx(0x08, [0, 28, 28], []),
                                  idx(0x08, [0], []), 0),
        "truncated-data": two_files(idx(0x08, [4, 2], [1, 2, 3]),
                                    idx(0x08, [4], [0, 1, 2, 3]), 0),
        "empty-files": two_files(b"", b"", 0),
    }
    c["csv"] = {
        # byte 0: bit 0 int target, bits 1-3 target index, bit 4 by name,
        # bits 5-6 feature columns (see fuzz_csv.cpp)
        "int-label-by-name": bytes([1 | 2 << 1 | 16]) +
        b"x1,x2,label\n1,2,0\n3.5,-4,1\n",
        "float-target-bom-crlf-quoted": bytes([2 << 1]) +
        b'\xef\xbb\xbf"a,b" , "c""d",y\r\n1,2,3\r\n +4e-1 ,"5",6.5\r\n',
        "pandas-index-column": bytes([1 | 2 << 1]) +
        b",x,y\n0,1.5,2\n1,2.5,3\n\n\n",
        "feature-list": bytes([1 << 5]) + b"a,b,c\n1,2,3\n4,5,6\n",
        "feature-by-name": bytes([1 | 1 << 1 | 2 << 5]) +
        b"f,t,g\n1e3,7,-2\n",
        "multiline-quoted-cr": bytes([1]) +
        b'y,"long\rname"\r0,"1"\r2,3\r',
        "bad-number": bytes([1 | 1 << 1]) + b"x,y\nabc,1\n",
        "feature-listed-twice": bytes([1 | 1 << 1 | 1 << 5 | 128]) +
        b"a,b,c\n1,2,3\n",
        "empty-file": bytes([1]),
    }
    c["npy"] = {
        "f4-inputs-i8-targets": two_files(
            npy("<f4", [2, 3], struct.pack("<6f", 1, 2, 3, 4, 5, 6)),
            npy("<i8", [2], struct.pack("<2q", 0, 1))),
        "u1-images-u1-labels": two_files(
            npy("|u1", [3, 2, 2], bytes(range(12))),
            npy("|u1", [3], bytes([1, 2, 3]))),
        "v2-f2-inputs-f8-targets": two_files(
            npy("<f2", [2, 2], struct.pack("<4e", 1, -2, 0.5, 65504), (2, 0)),
            npy("<f8", [2, 1], struct.pack("<2d", 0.5, -1), (2, 0))),
        "v3-i2-inputs-bool-targets": two_files(
            npy("<i2", [2], struct.pack("<2h", -5, 7), (3, 0)),
            npy("|b1", [2], bytes([0, 1]), (3, 0))),
        "u8-inputs-u4-targets": two_files(
            npy("<u8", [1, 2], struct.pack("<2Q", 1, 2**63)),
            npy("<u4", [1], struct.pack("<I", 3))),
        "i4-inputs-i1-targets": two_files(
            npy("<i4", [2, 1], struct.pack("<2i", -1, 2)),
            npy("|i1", [2], struct.pack("<2b", 1, 0))),
        "u2-inputs-zero-size": two_files(
            npy("<u2", [0, 4], b""), npy("<u2", [0], b"")),
        "fortran-order": two_files(
            npy("<f4", [1, 2], struct.pack("<2f", 1, 2), fortran=True),
            npy("<f4", [1], struct.pack("<f", 1))),
        "empty-files": two_files(b"", b""),
    }
    f32 = struct.pack("<4f", 1, 2, 3, 4)
    c["safetensors"] = {
        "empty": safetensors([]),
        "one-f32-with-metadata": safetensors(
            [("fc1.weight", "F32", [2, 2], f32)], {"format": "pt"}),
        "every-dtype": safetensors([
            ("a", "F64", [], struct.pack("<d", 1.5)),
            ("b", "I64", [1], struct.pack("<q", -2)),
            ("c", "U64", [1], struct.pack("<Q", 3)),
            ("d", "F32", [1], struct.pack("<f", 4)),
            ("e", "I32", [1], struct.pack("<i", 5)),
            ("f", "U32", [1], struct.pack("<I", 6)),
            ("g", "BF16", [2], b"\x80\x3f\x00\x40"),
            ("h", "F16", [1], b"\x00\x3c"),
            ("i", "I16", [1], b"\x07\x00"),
            ("j", "U16", [1], b"\x08\x00"),
            ("k", "F8_E4M3", [1], b"\x38"),
            ("l", "F8_E5M2", [1], b"\x3c"),
            ("m", "I8", [1], b"\xff"),
            ("n", "U8", [2, 0], b""),
            ("o", "BOOL", [3], b"\x01\x00\x01"),
        ]),
        "unicode-names-unpadded": safetensors(
            [("caf\u00e9.\U0001F600", "U8", [3], b"abc"),
             ("tab\tname", "I8", [1], b"\x01")],
            {"k\u00e9y": "v\n\u2028"}, pad=False, ascii=False),
        "escapes-and-whitespace": raw_header(
            b' { "\\u0061\\ud83d\\ude00" : {"shape":[ 1 ],"dtype":"U8",'
            b'"data_offsets":[0,1]}}  \n') + b"z",
        "bad-offsets": safetensors([("x", "F32", [2], f32)]),
        "empty-file": b"",
    }
    return c


def main():
    args = sys.argv[1:]
    check = bool(args) and args[0] == "--check"
    if check:
        args = args[1:]
    out = args[0] if args else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    bad = []
    for fmt, inputs in corpus().items():
        d = os.path.join(out, fmt)
        if not check:
            os.makedirs(d, exist_ok=True)
        for name, data in inputs.items():
            path = os.path.join(d, name)
            if check:
                try:
                    with open(path, "rb") as f:
                        if f.read() != data:
                            bad.append(path + ": differs")
                except OSError as e:
                    bad.append(path + ": " + e.strerror)
            else:
                with open(path, "wb") as f:
                    f.write(data)
    for b in bad:
        print("error: " + b + " (regenerate with make_corpus.py)",
              file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
