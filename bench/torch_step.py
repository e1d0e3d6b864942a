#!/usr/bin/env python3
"""PyTorch's side of bench/step.sh and bench/run.sh: the Fashion-MNIST MLP
(784-256-10, ReLU, cross-entropy, Adam 1e-3, batch 128) on the same machine.

    torch_step.py [STEPS] [--reps R] [--trained N] [--tutorial] [--pure-only]

The model is first trained N steps (default 0). Each measurement then runs
R windows of STEPS training steps (STEPS at most 421, so that every batch of
a window is a full one of the 430 in an epoch of the 55000 training images),
each window from that trained state (model and optimizer restored, untimed),
so every window times steps N+1 .. N+STEPS of a training run. (A step's
cost depends on what ran before it: PyTorch allocates its buffers with
malloc on every step, and how many of them glibc serves with fresh,
page-faulted memory depends on the state of the heap.) It prints the median
over the windows of the window's time / STEPS, in milliseconds per step:

  pure-step-ms        the step alone, over batches sliced beforehand
                      (images already float, already in batches)
  dataloader-step-ms  (unless --pure-only) a shuffled
                      DataLoader(batch_size=128) over a TensorDataset of
                      images already converted to float
  tutorial-step-ms    (--tutorial) the tutorial's setup: a Dataset that keeps
                      the uint8 images and converts each sample in
                      __getitem__ the way torchvision's ToTensor() does, fed
                      by a shuffled DataLoader(batch_size=128)

A loader window starts a new epoch (iter(loader), which draws the shuffle)
inside the timed region, as a training loop does; each measurement has an
untimed warm-up window of 20 steps first. The DataLoaders use num_workers=0,
the default. The training set is the first 55000 of the 60000 training
images, the size of nnc's example after its 10% validation split. The first
line printed gives torch's version, ATen's thread count and OpenBLAS's
(which does the matrix products)."""
import argparse
import copy
import ctypes
import gzip
import statistics
import struct
import time

import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument("steps", nargs="?", type=int, default=200)
parser.add_argument("--reps", type=int, default=5)
parser.add_argument("--trained", type=int, default=0)
parser.add_argument("--tutorial", action="store_true")
parser.add_argument("--pure-only", action="store_true")
args = parser.parse_args()
steps = min(args.steps, 421)
torch.manual_seed(0)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]),
                            dtype=torch.uint8).reshape(dims)


root = "/usr/share/datasets/fashion-mnist/"
n_train = 55000
raw_images = read_idx(root + "train-images-idx3-ubyte.gz")[:n_train]
raw_labels = read_idx(root + "train-labels-idx1-ubyte.gz")[:n_train]
images = raw_images.float() / 255.0
labels = raw_labels.long()
model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256),
                            torch.nn.ReLU(), torch.nn.Linear(256, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()


def step(x, y):
    loss = loss_fn(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()


def window(batches, n):
    """Seconds for n steps over iter(batches), iter() included."""
    t0 = time.perf_counter()
    it = iter(batches)
    for _ in range(n):
        x, y = next(it)
        step(x, y)
    return time.perf_counter() - t0


def restore():
    model.load_state_dict(trained[0])
    opt.load_state_dict(copy.deepcopy(trained[1]))  # Adam updates in place


def ms_per_step(batches):
    restore()
    window(batches, min(20, steps))  # warm up
    times = []
    for _ in range(args.reps):
        restore()
        times.append(window(batches, steps) / steps)
    return statistics.median(times) * 1e3


def blas_threads():
    """OpenBLAS's thread count (the matrix products), or '?'."""
    try:
        return ctypes.CDLL("libopenblas.so.0").openblas_get_num_threads()
    except (OSError, AttributeError):
        return "?"


class TutorialFashionMNIST(torch.utils.data.Dataset):
    """What datasets.FashionMNIST(..., transform=ToTensor()) hands the
    DataLoader, without torchvision: uint8 images kept as read, each sample
    converted on access as ToTensor() does (a copy of the [28, 28] array,
    to [1, 28, 28], to float, / 255) and its label as a Python int. (The
    real class also makes a PIL image of each sample first, which is not
    done here.)"""

    def __init__(self, images, labels):
        self.data, self.targets = images, labels

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        pic = torch.from_numpy(np.array(img.numpy(), copy=True))
        pic = pic.view(28, 28, 1).permute((2, 0, 1)).contiguous()
        return pic.to(dtype=torch.float32).div(255), target


loader = torch.utils.data.DataLoader(
    torch.utils.data.TensorDataset(images, labels), batch_size=128,
    shuffle=True)
for k in range(0, args.trained, 430):
    window(loader, min(430, args.trained - k))
trained = (copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict()))
pre = [(images[k * 128:(k + 1) * 128], labels[k * 128:(k + 1) * 128])
       for k in range(steps)]
print(f"torch {torch.__version__} threads {torch.get_num_threads()}"
      f" blas-threads {blas_threads()}")
print(f"pure-step-ms {ms_per_step(pre):.3f}")
if not args.pure_only:
    print(f"dataloader-step-ms {ms_per_step(loader):.3f}")
if args.tutorial and not args.pure_only:
    tutorial = torch.utils.data.DataLoader(
        TutorialFashionMNIST(raw_images, raw_labels), batch_size=128,
        shuffle=True)
    print(f"tutorial-step-ms {ms_per_step(tutorial):.3f}")
