#!/usr/bin/env python3
"""Data and the PyTorch side of ../stdlib-vs-pytorch.test.

    torch_stdlib.py data DIR
        writes reg_x.npy, reg_y.npy (320 x 4 -> 1, float32) and cls_x.npy,
        cls_y.npy (320 x 6 -> class ids 0..2, int64) into DIR
    torch_stdlib.py CASE DIR INIT FINAL LOSSES STEPS
        CASE is regression_sgd or classify_adamw: trains the same model in
        PyTorch from INIT on the same batches (file order, batch 16) and
        compares every loss and the final weights with nnc's (tolerance
        1e-5)."""
import json
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(blob[8 + n + b:8 + n + e]),
                             dtype=torch.float32)
        out[name] = t.reshape(info["shape"]).clone()
    return out


if sys.argv[1] == "data":
    d = sys.argv[2]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((320, 4)).astype(np.float32)
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3]).astype(np.float32)
    np.save(f"{d}/reg_x.npy", x)
    np.save(f"{d}/reg_y.npy", y)
    x = rng.standard_normal((320, 6)).astype(np.float32)
    y = (np.argmax(x[:, :3] + 0.3 * x[:, 3:], axis=1)).astype(np.int64)
    np.save(f"{d}/cls_x.npy", x)
    np.save(f"{d}/cls_y.npy", y)
    sys.exit(0)

case, d, init_path, final_path, losses_path, steps = sys.argv[1:7]
steps = int(steps)
torch.manual_seed(0)
if case == "regression_sgd":
    x = torch.from_numpy(np.load(f"{d}/reg_x.npy"))
    y = torch.from_numpy(np.load(f"{d}/reg_y.npy"))
    net = torch.nn.ModuleDict({"fc1": torch.nn.Linear(4, 8),
                               "fc2": torch.nn.Linear(8, 1)})
    forward = lambda v: net["fc2"](torch.tanh(net["fc1"](v)))
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9,
                          weight_decay=0.01)
else:
    x = torch.from_numpy(np.load(f"{d}/cls_x.npy"))
    y = torch.from_numpy(np.load(f"{d}/cls_y.npy"))
    net = torch.nn.ModuleDict({"fc1": torch.nn.Linear(6, 5),
                               "norm": torch.nn.LayerNorm(5),
                               "fc2": torch.nn.Linear(5, 3)})
    forward = lambda v: net["fc2"](net["norm"](torch.sigmoid(net["fc1"](v))))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.AdamW(net.parameters(), lr=0.01, weight_decay=0.05)

init = read_safetensors(init_path)
state = net.state_dict()
assert sorted(state) == sorted(init), (sorted(state), sorted(init))
net.load_state_dict(init)
torch_losses = []
for k in range(steps):
    xb, yb = x[k * 16:(k + 1) * 16], y[k * 16:(k + 1) * 16]
    loss = loss_fn(forward(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    torch_losses.append(loss.item())
nnc_losses = [float(line.split()[1]) for line in open(losses_path)]
final = read_safetensors(final_path)
worst_weight = max((final[n] - p.detach()).abs().max().item()
                   for n, p in net.state_dict().items())
worst_loss = max(abs(a - b) for a, b in zip(nnc_losses, torch_losses))
print(f"{case}: {steps} steps, loss nnc {nnc_losses[-1]:.6f} torch "
      f"{torch_losses[-1]:.6f}")
print(f"max |loss difference| {worst_loss:.2e}")
print(f"max |weight difference| {worst_weight:.2e}")
ok = len(nnc_losses) == steps and worst_loss < 1e-5 and worst_weight < 1e-5
print("agree" if ok else "DIFFER")
sys.exit(0 if ok else 1)
