#!/usr/bin/env python3
"""Loads the best checkpoint of the README's demo (`save net to checkpoint`
in examples/fashion_mnist/mlp.nn) into a PyTorch MLP, as a PyTorch user
would:

    net.load_state_dict(safetensors.torch.load_file(CHECKPOINT))

(read here with nnc_io.read_safetensors, which checks the format the same
way), evaluates it on the Fashion-MNIST test set, and compares with what
the nnc run printed and predicted.

    torch_demo_checkpoint.py CHECKPOINT NNC_OUTPUT PREDICTIONS_CSV

Prints the test accuracy in PyTorch and nnc, and the number of test images
whose predicted class differs, then "agree", or "DISAGREE" and exits 1 if
the accuracies differ by more than 1e-4 or more than 5 predictions differ.
"""
import csv
import sys

import torch
from nnc_io import MLP, fashion_mnist, printed, read_safetensors

checkpoint, output_path, csv_path = sys.argv[1:4]



net = MLP()
net.load_state_dict(read_safetensors(checkpoint), strict=True)
images, labels = fashion_mnist("t10k")
with torch.no_grad():
    predicted = net(images).argmax(dim=1)
accuracy = (predicted == labels).double().mean().item()
nnc_accuracy = printed(output_path, "test")[-1]["test accuracy"]
with open(csv_path) as f:
    rows = list(csv.reader(f))
assert rows[0] == ["id", "prediction"], rows[0]
nnc_predicted = torch.tensor([int(r[1]) for r in rows[1:]])
differ = int((nnc_predicted != predicted).sum())
print("test accuracy pytorch %.4f nnc %.4f" % (accuracy, nnc_accuracy))
print("predictions differ on %d of %d images" % (differ, len(labels)))
ok = abs(accuracy - nnc_accuracy) <= 1e-4 and differ <= 5
print("agree" if ok else "DISAGREE")
sys.exit(0 if ok else 1)
