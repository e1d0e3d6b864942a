#!/usr/bin/env python3
"""Trains the Fashion-MNIST MLP of examples/fashion_mnist/mlp.nn in PyTorch
from nnc's initial weights on the same batches (rows in file order, pixels /
255, batch 128, Adam lr 1e-3) and compares with nnc's result.

    torch_mlp.py INIT.safetensors FINAL.safetensors LOSSES.txt STEPS

Prints the largest differences and exits 1 if final weights differ by more
than 1e-4 or a step's loss by more than 1e-4."""
import sys

import torch
from nnc_io import MLP, fashion_mnist, load_params, max_param_diff

init_path, final_path, losses_path, steps = sys.argv[1:5]
steps = int(steps)

images, labels = fashion_mnist("train")
torch.manual_seed(0)
net = MLP()
load_params(net, init_path, prefix="")
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()
torch_losses = []
for k in range(steps):
    x = images[k * 128:(k + 1) * 128]
    y = labels[k * 128:(k + 1) * 128]
    loss = loss_fn(net(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    torch_losses.append(loss.item())

nnc_losses = [float(line.split()[1]) for line in open(losses_path)]
worst_weight = max_param_diff(net, final_path, prefix="")
worst_loss = max(abs(a - b) for a, b in zip(nnc_losses, torch_losses))
print(f"steps {steps}: loss nnc {nnc_losses[-1]:.6f} torch "
      f"{torch_losses[-1]:.6f}")
print(f"max |loss difference| {worst_loss:.2e}")
print(f"max |weight difference| {worst_weight:.2e}")
ok = len(nnc_losses) == steps and worst_loss < 1e-4 and worst_weight < 1e-4
print("agree" if ok else "DIFFER")
sys.exit(0 if ok else 1)
