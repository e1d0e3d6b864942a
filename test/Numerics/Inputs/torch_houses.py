#!/usr/bin/env python3
"""Compares `nnc run examples/regression/houses.nn --set shuffle=false` with
PyTorch: the same data pipeline (the CSV's first 80% of rows for training,
the rest for validation, features standardised with the training part's
mean and population standard deviation), the same 4-32-1 MLP from nnc's
initial weights, mse and SGD(lr 0.01, momentum 0.9) on the same batches
(BATCH rows in file order, the last one short), and after each epoch the mean
squared and absolute errors over the validation rows.

    torch_houses.py CSV INIT FINAL NNC_OUTPUT EPOCHS BATCH

Prints both validation-mse curves and the largest relative differences of
the mse and mae curves, then "agree", or "DISAGREE" and exits 1 if a curve
differs by more than 1e-3 (relative), or if the validation mse does not
fall below a fifth of the first epoch's."""
import csv
import sys

import torch
from nnc_io import load_params, max_param_diff, max_rel_diff, printed

csv_path, init_path, final_path, output_path, epochs, batch = sys.argv[1:7]
epochs, batch = int(epochs), int(batch)
torch.manual_seed(0)

rows = list(csv.DictReader(open(csv_path)))
features = torch.tensor([[float(r[c]) for c in ("area", "rooms", "age",
                                                "distance")] for r in rows])
target = torch.tensor([[float(r["price"])] for r in rows])
cut = int(len(rows) * 0.8)
# Statistics in double over the float32 values, applied in float32.
train64 = features[:cut].double()
mean = train64.mean(0)
std = ((train64 - mean) ** 2).mean(0).sqrt().float()
std[std == 0] = 1.0
x = (features - mean.float()) / std
train_x, train_y = x[:cut], target[:cut]
valid_x, valid_y = x[cut:], target[cut:]


class Regressor(torch.nn.Module):
    def __init__(self, inputs, hidden=32):
        super().__init__()
        self.fc1 = torch.nn.Linear(inputs, hidden)
        self.fc2 = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


net = Regressor(4)
load_params(net, init_path)
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
torch_mse, torch_mae = [], []
for epoch in range(epochs):
    for b in range(0, cut, batch):
        loss = torch.nn.functional.mse_loss(net(train_x[b:b + batch]),
                                            train_y[b:b + batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = net(valid_x)
    torch_mse.append(torch.nn.functional.mse_loss(pred, valid_y).item())
    torch_mae.append(torch.nn.functional.l1_loss(pred, valid_y).item())

nnc_rows = printed(output_path, "epoch")
nnc_mse = [row["valid mse"] for row in nnc_rows]
nnc_mae = [row["valid mae"] for row in nnc_rows]
for e, (a, b) in enumerate(zip(nnc_mse, torch_mse), 1):
    print(f"epoch {e} valid mse nnc {a:.6f} torch {b:.6f}")
rel_mse = max_rel_diff(nnc_mse, torch_mse)
rel_mae = max_rel_diff(nnc_mae, torch_mae)
print(f"max relative |valid mse difference| {rel_mse:.2e}")
print(f"max relative |valid mae difference| {rel_mae:.2e}")
print(f"max |final weight difference| {max_param_diff(net, final_path):.2e}")
falls = torch_mse[-1] < torch_mse[0] / 5 and nnc_mse[-1] < nnc_mse[0] / 5
print(f"valid mse falls from {nnc_mse[0]:.4f} to {nnc_mse[-1]:.4f}")
ok = len(nnc_mse) == epochs and max(rel_mse, rel_mae) <= 1e-3 and falls
print("agree" if ok else "DISAGREE")
sys.exit(0 if ok else 1)
