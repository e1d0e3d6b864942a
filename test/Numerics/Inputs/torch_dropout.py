#!/usr/bin/env python3
"""The PyTorch side of ../dropout-vs-pytorch.test.

    torch_dropout.py DIR INIT FINAL OUTPUT SEED STREAM

Trains Inputs/classify_dropout.nn's MLP in PyTorch from nnc's initial
weights INIT on the same batches (DIR/x.npy, DIR/y.npy in file order, 50
rows) with torch.optim.Adam(lr = 0.01). The dropout of step t multiplies
the hidden activations by nnc's mask for (SEED, STREAM, t), computed here
from the reference rule with a Python Philox (philox_reference.py), instead
of torch's own random mask: the multiplier is 1 / (1 - p) rounded to f32 or
0, exactly what torch.nn.Dropout multiplies by. Compares every printed loss
of nnc's OUTPUT and its final weights FINAL with PyTorch's (tolerance 1e-5),
and checks that the masks were not all ones (dropout really ran)."""
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "Conversion", "Inputs"))
from nnc_io import read_safetensors  # noqa: E402
from philox_reference import dropout_mask  # noqa: E402

P = 0.3
BATCH = 50

d, init_path, final_path, out_path = sys.argv[1:5]
seed, stream = int(sys.argv[5]), int(sys.argv[6])
x = torch.from_numpy(np.load(f"{d}/x.npy"))
y = torch.from_numpy(np.load(f"{d}/y.npy"))
net = torch.nn.ModuleDict({"fc1": torch.nn.Linear(6, 16),
                           "fc2": torch.nn.Linear(16, 3)})
init = read_safetensors(init_path)
net.load_state_dict({k[len("net."):]: v for k, v in init.items()})
opt = torch.optim.Adam(net.parameters(), lr=0.01)
loss_fn = torch.nn.CrossEntropyLoss()
torch_losses, dropped = [], 0
for t, start in enumerate(range(0, x.shape[0], BATCH), start=1):
    xb, yb = x[start:start + BATCH], y[start:start + BATCH]
    n = xb.shape[0] * 16
    mask = torch.tensor(dropout_mask(n, P, seed, stream, t),
                        dtype=torch.float32).reshape(xb.shape[0], 16)
    dropped += int((mask == 0).sum())
    # torch.nn.Dropout's train-mode result is input * mask with mask
    # bernoulli(1 - p) / (1 - p); here the mask is nnc's.
    h = torch.relu(net["fc1"](xb)) * mask
    loss = loss_fn(net["fc2"](h), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    torch_losses.append(loss.item())
nnc_losses = [float(line.split()[1]) for line in open(out_path)
              if line.startswith("loss ")]
final = read_safetensors(final_path)
worst_weight = max((final["net." + k] - v).abs().max().item()
                   for k, v in net.state_dict().items())
worst_loss = max(abs(a - b) for a, b in zip(nnc_losses, torch_losses))
steps = len(torch_losses)
print(f"{steps} steps, {dropped} of {x.shape[0] * 16} activations dropped, "
      f"loss nnc {nnc_losses[-1]:.6f} torch {torch_losses[-1]:.6f}")
print(f"max |loss difference| {worst_loss:.2e}")
print(f"max |weight difference| {worst_weight:.2e}")
ok = (len(nnc_losses) == steps and dropped > 0 and worst_loss < 1e-5 and
      worst_weight < 1e-5)
print("agree" if ok else "DIFFER")
sys.exit(0 if ok else 1)
