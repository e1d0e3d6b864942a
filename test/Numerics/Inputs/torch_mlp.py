#!/usr/bin/env python3
"""Trains the Fashion-MNIST MLP of examples/fashion_mnist/mlp.nn in PyTorch
from nnc's initial weights on the same batches (rows in file order, pixels /
255, batch 128, Adam lr 1e-3) and compares with nnc's result.

    torch_mlp.py INIT.safetensors FINAL.safetensors LOSSES.txt STEPS

Prints the largest differences and exits 1 if final weights differ by more
than 1e-4 or a step's loss by more than 1e-4."""
import gzip
import json
import struct
import sys

import torch

init_path, final_path, losses_path, steps = sys.argv[1:5]
steps = int(steps)


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(blob[8 + n + b:8 + n + e]),
                             dtype=torch.float32)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    body = torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8)
    return body.reshape(dims)


root = "/usr/share/datasets/fashion-mnist/"
images = read_idx(root + "train-images-idx3-ubyte.gz").float() / 255.0
labels = read_idx(root + "train-labels-idx1-ubyte.gz").long()

torch.manual_seed(0)
fc1 = torch.nn.Linear(784, 256)
fc2 = torch.nn.Linear(256, 10)
init = read_safetensors(init_path)
with torch.no_grad():
    fc1.weight.copy_(init["fc1.weight"])
    fc1.bias.copy_(init["fc1.bias"])
    fc2.weight.copy_(init["fc2.weight"])
    fc2.bias.copy_(init["fc2.bias"])
params = list(fc1.parameters()) + list(fc2.parameters())
opt = torch.optim.Adam(params, lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()
torch_losses = []
for k in range(steps):
    x = images[k * 128:(k + 1) * 128].reshape(-1, 784)
    y = labels[k * 128:(k + 1) * 128]
    loss = loss_fn(fc2(torch.relu(fc1(x))), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    torch_losses.append(loss.item())

nnc_losses = [float(line.split()[1]) for line in open(losses_path)]
final = read_safetensors(final_path)
worst_weight = max(
    (final[n] - p.detach()).abs().max().item()
    for n, p in [("fc1.weight", fc1.weight), ("fc1.bias", fc1.bias),
                 ("fc2.weight", fc2.weight), ("fc2.bias", fc2.bias)])
worst_loss = max(abs(a - b) for a, b in zip(nnc_losses, torch_losses))
print(f"steps {steps}: loss nnc {nnc_losses[-1]:.6f} torch "
      f"{torch_losses[-1]:.6f}")
print(f"max |loss difference| {worst_loss:.2e}")
print(f"max |weight difference| {worst_weight:.2e}")
ok = len(nnc_losses) == steps and worst_loss < 1e-4 and worst_weight < 1e-4
print("agree" if ok else "DIFFER")
sys.exit(0 if ok else 1)
