#!/usr/bin/env python3
"""PyTorch's side of bench/step.sh: the Fashion-MNIST MLP (784-256-10, ReLU,
cross-entropy, Adam 1e-3, batch 128) on the same machine, timed two ways:
a pure step over pre-batched tensors, and a step fed by a DataLoader over a
TensorDataset (the tutorial's setup). Prints median milliseconds per step."""
import gzip
import statistics
import struct
import sys
import time

import torch

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
torch.manual_seed(0)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]),
                            dtype=torch.uint8).reshape(dims)


root = "/usr/share/datasets/fashion-mnist/"
images = read_idx(root + "train-images-idx3-ubyte.gz").float() / 255.0
labels = read_idx(root + "train-labels-idx1-ubyte.gz").long()
model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256),
                            torch.nn.ReLU(), torch.nn.Linear(256, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()


def step(x, y):
    loss = loss_fn(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()


def timed(batches, n=None):
    times = []
    it = iter(batches)
    for _ in range(n or steps):
        t0 = time.perf_counter()
        x, y = next(it)
        step(x, y)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


pre = [(images[k * 128:(k + 1) * 128], labels[k * 128:(k + 1) * 128])
       for k in range(steps)]
timed(pre, 20)  # warm up
pure = timed(pre)
loader = torch.utils.data.DataLoader(
    torch.utils.data.TensorDataset(images, labels), batch_size=128,
    shuffle=True)
with_loader = timed(loader)
print(f"torch {torch.__version__} threads {torch.get_num_threads()}")
print(f"pure-step-ms {pure:.3f}")
print(f"dataloader-step-ms {with_loader:.3f}")
