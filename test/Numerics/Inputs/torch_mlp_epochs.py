#!/usr/bin/env python3
"""Compares the test accuracy `nnc run examples/fashion_mnist/mlp.nn --set
epochs=EPOCHS` prints with PyTorch's after the same training: the same MLP
from nnc's initial weights, EPOCHS epochs of Adam(lr 1e-3) on the first 55000
training images (batch 128, shuffled by a seeded DataLoader - a different
order than nnc's), validation accuracy on images 55000..59999 after each
epoch, and the weights of the best epoch evaluated on the 10000 test images,
as the script does with its best checkpoint.

    torch_mlp_epochs.py INIT NNC_OUTPUT EPOCHS

Prints both accuracies per epoch and on the test set, then "agree", or
"DISAGREE" and exits 1 if the test accuracies differ by more than 0.01."""
import copy
import sys

import torch
from nnc_io import MLP, fashion_mnist, load_params, printed

init_path, output_path, epochs = sys.argv[1:4]
epochs = int(epochs)
torch.manual_seed(0)



def accuracy(net, x, y):
    with torch.no_grad():
        return (net(x).argmax(1) == y).double().mean().item()


images, labels = fashion_mnist("train")
test_images, test_labels = fashion_mnist("t10k")
train = torch.utils.data.TensorDataset(images[:55000], labels[:55000])
# Whole batches by index lists: the DataLoader's shuffling without collating
# one image at a time.
sampler = torch.utils.data.BatchSampler(
    torch.utils.data.RandomSampler(train,
                                   generator=torch.Generator().manual_seed(0)),
    batch_size=128, drop_last=False)
loader = torch.utils.data.DataLoader(train, sampler=sampler, batch_size=None)

net = MLP()
load_params(net, init_path)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
nnc_valid = [row["valid accuracy"] for row in printed(output_path, "epoch")]
best, best_state = -1.0, None
for epoch in range(1, epochs + 1):
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    valid = accuracy(net, images[55000:], labels[55000:])
    nnc = nnc_valid[epoch - 1] if epoch <= len(nnc_valid) else float("nan")
    print(f"epoch {epoch} valid accuracy nnc {nnc:.4f} torch {valid:.4f}")
    if valid > best:
        best, best_state = valid, copy.deepcopy(net.state_dict())
net.load_state_dict(best_state)

(nnc_test,) = [row["test accuracy"] for row in printed(output_path, "test")]
torch_test = accuracy(net, test_images, test_labels)
diff = abs(nnc_test - torch_test)
print(f"test accuracy nnc {nnc_test:.4f} torch {torch_test:.4f}")
print(f"|accuracy difference| {diff:.4f}")
ok = len(nnc_valid) == epochs and diff <= 0.01
print("agree" if ok else "DISAGREE")
sys.exit(0 if ok else 1)
