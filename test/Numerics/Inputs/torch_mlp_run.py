#!/usr/bin/env python3
"""Compares `nnc run examples/fashion_mnist/mlp.nn --set shuffle=false
--max-steps STEPS` with PyTorch: the same MLP from nnc's initial weights,
STEPS Adam(lr 1e-3) steps of cross-entropy on the same batches (training
rows in file order, pixels / 255, batch 128), then the script's evaluation
of the validation part (images 55000..59999) and of the test set.

    torch_mlp_run.py INIT FINAL NNC_OUTPUT PREDICTIONS_CSV STEPS

Prints the largest differences of the final weights, of the printed losses
and accuracies and of the test predictions, then "agree", or "DISAGREE" and
exits 1 if a weight differs by more than 1e-4, a loss by more than 1e-4, an
accuracy by more than 5 images, or more than 5 test predictions differ."""
import sys

import torch
from nnc_io import (MLP, fashion_mnist, load_params, max_param_diff, printed,
                    worst)

init_path, final_path, output_path, csv_path, steps = sys.argv[1:6]
steps = int(steps)
torch.manual_seed(0)



images, labels = fashion_mnist("train")
test_images, test_labels = fashion_mnist("t10k")
net = MLP()
load_params(net, init_path)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for k in range(steps):
    x, y = images[128 * k:128 * (k + 1)], labels[128 * k:128 * (k + 1)]
    loss = torch.nn.functional.cross_entropy(net(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()



def evaluate(x, y):
    """(mean cross-entropy, accuracy, predicted classes) of net on x, y."""
    with torch.no_grad():
        logits = net(x)
    pred = logits.argmax(1)
    return (torch.nn.functional.cross_entropy(logits, y).item(),
            (pred == y).double().mean().item(), pred)


torch_valid = evaluate(images[55000:], labels[55000:])
torch_test = evaluate(test_images, test_labels)
(v,) = printed(output_path, "epoch")
(t,) = printed(output_path, "test")
nnc_valid = (v["valid loss"], v["valid accuracy"])
nnc_test = (t["test loss"], t["test accuracy"])
nnc_pred = torch.tensor([int(line.split(",")[1])
                         for line in open(csv_path).readlines()[1:]])

weight_diff = max_param_diff(net, final_path)
loss_diff = worst([abs(nnc_valid[0] - torch_valid[0]),
                   abs(nnc_test[0] - torch_test[0])])
acc_diff = worst([abs(nnc_valid[1] - torch_valid[1]) * 5000,
                  abs(nnc_test[1] - torch_test[1]) * 10000])
pred_diff = (nnc_pred != torch_test[2]).sum().item() \
    if len(nnc_pred) == 10000 else 10000
print(f"steps {steps}: valid accuracy nnc {nnc_valid[1]:.4f} torch "
      f"{torch_valid[1]:.4f}, test accuracy nnc {nnc_test[1]:.4f} torch "
      f"{torch_test[1]:.4f}")
print(f"max |weight difference| {weight_diff:.2e}")
print(f"max |loss difference| {loss_diff:.2e}")
print(f"accuracy differs by {acc_diff:.0f} images")
print(f"predictions differ on {pred_diff} of 10000 test images")
ok = weight_diff <= 1e-4 and loss_diff <= 1e-4 and acc_diff <= 5.5 \
    and pred_diff <= 5
print("agree" if ok else "DISAGREE")
sys.exit(0 if ok else 1)
