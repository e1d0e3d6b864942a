#!/usr/bin/env python3
"""Writes small data and checkpoint files for the bad-input tests, either
good or broken in one chosen way, so that no binary file is committed.

  make_data.py idx IMAGES LABELS [options]
      8 images of 4x4 u8 pixels (IDX type 0x08) and 8 u8 labels 0..2.
      --gzip           gzip both files
      --cut N          drop the last N bytes of IMAGES (of the gzip stream
                       with --gzip)
      --magic HEX      the first two bytes of IMAGES (4 hex digits)
      --count N        write only N labels (the header says N)
      --label I=V      the label of sample I is V
      --f32-nan I      IMAGES as big-endian f32 (type 0x0d), with a NaN in
                       sample I
      --f32-labels     LABELS as f32 (type 0x0d)
      --samples N      only the first N images and labels (0: none)

  make_data.py npy INPUTS TARGETS [options]
      INPUTS: float32 [8, 3]; TARGETS: int64 [8], labels 0..1.
      --cut N          drop the last N bytes of INPUTS
      --dtype D        INPUTS in the numpy dtype D ('<c8', '>f4', ...)
      --rename OLD=NEW replace the header text 'OLD' by 'NEW' in INPUTS
                       (Python escapes such as \\x01 allowed)
      --header-length N  the header length field of INPUTS is N
      --nan I          a NaN in sample I of INPUTS
      --inf I          an infinity in sample I of INPUTS
      --samples N      only the first N inputs and targets (0: none)
      --count N        write only N targets
      --label I=V      the target of sample I is V

  make_data.py safetensors PATH [options]
      The weights of a Linear(4, 3): 'weight' F32[3, 4], 'bias' F32[3].
      --drop NAME      leave out tensor NAME
      --extra NAME     add an F32[3] tensor NAME
      --shape NAME=D,D give tensor NAME this shape
      --dtype NAME=DT  store tensor NAME as DT (F64, F16, I64)
      --cut N          drop the last N bytes of the file
      --header TEXT    use TEXT as the JSON header
      --header-length N  the 8-byte header length field is N
"""
import argparse
import codecs
import gzip
import json
import struct

import numpy as np


def idx_bytes(array, code):
    head = struct.pack(">HBB", 0, code, array.ndim)
    head += b"".join(struct.pack(">I", d) for d in array.shape)
    return head + array.tobytes()


def index_value(text):
    i, v = text.split("=")
    return int(i), int(v)


def unescape(text):
    return codecs.decode(text, "unicode_escape").encode("latin-1")


def write_idx(a):
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, (8, 4, 4)).astype(np.uint8)
    labels = (np.arange(8) % 3).astype(np.uint8)
    for i, v in a.label:
        labels[i] = v
    labels = labels[: a.count] if a.count is not None else labels
    if a.samples is not None:
        images, labels = images[: a.samples], labels[: a.samples]
    if a.f32_nan is not None:
        values = (images / 255.0).astype(">f4")
        values[a.f32_nan, 0, 0] = np.nan
        image_bytes = idx_bytes(values, 0x0D)
    else:
        image_bytes = idx_bytes(images, 0x08)
    if a.magic:
        image_bytes = bytes.fromhex(a.magic) + image_bytes[2:]
    label_bytes = (idx_bytes(labels.astype(">f4"), 0x0D) if a.f32_labels
                   else idx_bytes(labels, 0x08))
    if a.gzip:
        image_bytes = gzip.compress(image_bytes, mtime=0)
        label_bytes = gzip.compress(label_bytes, mtime=0)
    if a.cut:
        image_bytes = image_bytes[: -a.cut]
    open(a.images, "wb").write(image_bytes)
    open(a.labels, "wb").write(label_bytes)


def npy_bytes(array):
    import io
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def write_npy(a):
    rng = np.random.RandomState(0)
    inputs = rng.randn(8, 3).astype(np.float32)
    targets = (np.arange(8) % 2).astype(np.int64)
    if a.nan is not None:
        inputs[a.nan, 1] = np.nan
    if a.inf is not None:
        inputs[a.inf, 2] = -np.inf
    if a.samples is not None:
        inputs, targets = inputs[: a.samples], targets[: a.samples]
    for i, v in a.label:
        targets[i] = v
    if a.count is not None:
        targets = targets[: a.count]
    raw = npy_bytes(inputs.astype(a.dtype) if a.dtype else inputs)
    for old, new in a.rename:
        raw = raw.replace(unescape(old), unescape(new))
    if a.header_length is not None:
        raw = raw[:8] + struct.pack("<H", a.header_length) + raw[10:]
    if a.cut:
        raw = raw[: -a.cut]
    open(a.inputs, "wb").write(raw)
    open(a.targets, "wb").write(npy_bytes(targets))


def write_safetensors(a):
    dtypes = {"F32": np.float32, "F64": np.float64, "F16": np.float16,
              "I64": np.int64}
    tensors = {"weight": np.full((3, 4), 0.5, np.float32),
               "bias": np.arange(3, dtype=np.float32)}
    for name in a.drop:
        del tensors[name]
    for name in a.extra:
        tensors[name] = np.zeros(3, np.float32)
    for name, dims in a.shape:
        tensors[name] = np.zeros(dims, np.float32)
    kinds = {name: "F32" for name in tensors}
    for name, dt in a.dtype:
        tensors[name] = tensors[name].astype(dtypes[dt])
        kinds[name] = dt
    header, data = {}, b""
    for name, t in tensors.items():
        b = t.tobytes()
        header[name] = {"dtype": kinds[name], "shape": list(t.shape),
                        "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    text = a.header.encode() if a.header is not None else json.dumps(header).encode()
    length = len(text) if a.header_length is None else a.header_length
    raw = struct.pack("<Q", length) + text + data
    if a.cut:
        raw = raw[: -a.cut]
    open(a.path, "wb").write(raw)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="what", required=True)

    i = sub.add_parser("idx")
    i.add_argument("images")
    i.add_argument("labels")
    i.add_argument("--gzip", action="store_true")
    i.add_argument("--cut", type=int, default=0)
    i.add_argument("--magic")
    i.add_argument("--count", type=int)
    i.add_argument("--label", type=index_value, action="append", default=[])
    i.add_argument("--f32-nan", type=int)
    i.add_argument("--f32-labels", action="store_true")
    i.add_argument("--samples", type=int)
    i.set_defaults(run=write_idx)

    n = sub.add_parser("npy")
    n.add_argument("inputs")
    n.add_argument("targets")
    n.add_argument("--cut", type=int, default=0)
    n.add_argument("--dtype")
    n.add_argument("--rename", type=lambda s: s.split("="), action="append",
                   default=[])
    n.add_argument("--header-length", type=int)
    n.add_argument("--nan", type=int)
    n.add_argument("--inf", type=int)
    n.add_argument("--samples", type=int)
    n.add_argument("--count", type=int)
    n.add_argument("--label", type=index_value, action="append", default=[])
    n.set_defaults(run=write_npy)

    s = sub.add_parser("safetensors")
    s.add_argument("path")
    s.add_argument("--drop", action="append", default=[])
    s.add_argument("--extra", action="append", default=[])
    s.add_argument("--shape", action="append", default=[],
                   type=lambda t: (t.split("=")[0],
                                   [int(d) for d in t.split("=")[1].split(",")]))
    s.add_argument("--dtype", action="append", default=[],
                   type=lambda t: tuple(t.split("=")))
    s.add_argument("--cut", type=int, default=0)
    s.add_argument("--header")
    s.add_argument("--header-length", type=int)
    s.set_defaults(run=write_safetensors)

    args = p.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
