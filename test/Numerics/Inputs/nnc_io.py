"""Readers shared by the PyTorch comparisons of `nnc run`: safetensors
checkpoints, IDX files (Fashion-MNIST), the lines a script prints, and
loading nnc's parameters into a torch module. The `safetensors` package is
not needed: the format is an 8-byte header length, a JSON header and the raw
little-endian data."""
import gzip
import json
import math
import struct

import torch

FASHION_MNIST = "/usr/share/datasets/fashion-mnist/"


class MLP(torch.nn.Module):
    """examples/fashion_mnist/mlp.nn's model: 784 -> hidden -> 10 with ReLU,
    the parameters named as the script's (fc1.weight, ...)."""

    def __init__(self, hidden=256):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, hidden)
        self.fc2 = torch.nn.Linear(hidden, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


def read_safetensors(path):
    """All F32 tensors of a safetensors file, by name."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info)
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(blob[8 + n + b:8 + n + e]),
                             dtype=torch.float32)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def read_idx(path):
    """An IDX file (gzip) as a uint8 tensor of its declared shape."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    body = torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8)
    return body.reshape(dims)


def fashion_mnist(part):
    """part "train" or "t10k": images [N, 784] as pixels / 255, labels."""
    images = read_idx(f"{FASHION_MNIST}{part}-images-idx3-ubyte.gz")
    labels = read_idx(f"{FASHION_MNIST}{part}-labels-idx1-ubyte.gz")
    return images.reshape(len(images), -1).float() / 255.0, labels.long()


def load_params(module, path, prefix="net."):
    """Copies the parameters `<prefix><name>` of a safetensors file written
    by `nnc run --save-init/--save-final` into a torch module; every tensor
    of the file and every parameter of the module must be matched."""
    saved = read_safetensors(path)
    state = {k[len(prefix):]: v for k, v in saved.items()
             if k.startswith(prefix)}
    assert len(state) == len(saved), sorted(saved)
    module.load_state_dict(state, strict=True)


def max_param_diff(module, path, prefix="net."):
    """Largest |difference| between a module's parameters and a file's
    (inf if one is not a number)."""
    saved = read_safetensors(path)
    return worst((saved[prefix + name] - p.detach()).abs().max().item()
                 for name, p in module.named_parameters())


def max_rel_diff(values, reference):
    """Largest |a - b| / |b| over two equally long lists of numbers (inf if
    their lengths differ or a value is not a number)."""
    if len(values) != len(reference):
        return math.inf
    return worst(abs(a - b) / abs(b) for a, b in zip(values, reference))


def worst(diffs):
    """The largest of some differences; inf if one is not a number or there
    are none, so that a NaN never passes a tolerance."""
    return max((d if d == d else math.inf for d in diffs), default=math.inf)


def printed(path, first_word):
    """The lines of nnc's output starting with `first_word`, as dicts of
    label -> number: "epoch 1 valid loss 0.5 valid accuracy 0.8" gives
    {"epoch": 1.0, "valid loss": 0.5, "valid accuracy": 0.8}."""
    rows = []
    for line in open(path):
        words = line.split()
        if not words or words[0] != first_word:
            continue
        row, label = {}, []
        for w in words:
            try:
                row[" ".join(label)] = float(w)
                label = []
            except ValueError:
                label.append(w)
        rows.append(row)
    return rows
