#!/usr/bin/env python3
"""Checks the dropout masks of Inputs/dropout.nn against the reference rule,
with a Python Philox-4x32-10 (test/Conversion/Inputs/philox_reference.py):

  dropout_check.py STEP1 STEP2 SEED STREAM1 STREAM2 OUTPUT

STEP1 and STEP2 are Bag's checkpoints after its first and second step
(w = 1 - m1, then w - m2, in f32), SEED the run's seed, STREAMn the stream
of the dropout of the n-th `step` statement, OUTPUT the script's standard
output (its `losses` line). Prints one line per check and exits 1 on the first failure.
"""
import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "Conversion", "Inputs"))
from philox_reference import dropout_mask  # noqa: E402

P = 0.3


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def read_w(path):
    import json
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    info = json.loads(blob[8:8 + n])["w"]
    b, e = info["data_offsets"]
    return np.frombuffer(blob[8 + n + b:8 + n + e], dtype="<f4").copy()


def main():
    w1, w2 = read_w(sys.argv[1]), read_w(sys.argv[2])
    seed, s1, s2 = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    with open(sys.argv[6]) as f:
        line = next(l for l in f if l.startswith("losses "))
    losses = [float(v.strip("tensor()")) for v in line.split()[1:]]
    n = w1.size
    scale = np.float32(1.0 / (1.0 - P))
    kept_value = np.float32(1.0) - scale
    # 1. Values: 1 where dropped, exactly 1 - float(1 / (1 - p)) where kept.
    dropped = w1 == np.float32(1.0)
    if not np.all(dropped | (w1 == kept_value)):
        fail("step 1 left values other than 1 and 1 - 1/(1-p)")
    print("step 1: kept elements scaled by exactly float(1 / (1 - p)) = %r" %
          float(scale))
    # 2. The fraction: binomial(n, p), 5 standard deviations.
    k = int(dropped.sum())
    sd = math.sqrt(n * P * (1 - P))
    if abs(k - n * P) > 5 * sd:
        fail("%d of %d dropped, more than 5 sd from %g" % (k, n, n * P))
    print("step 1: %d of %d dropped, within 5 sd (%.1f) of n p" % (k, n, sd))
    # 3. The mask, bit for bit, from the reference generator.
    m1 = np.array(dropout_mask(n, P, seed, s1, 1), dtype=np.float32)
    if not np.array_equal(m1 == 0, dropped):
        fail("step 1's mask is not the reference mask of stream %d" % s1)
    print("step 1: the reference mask of (seed %d, stream %d, step 1)" %
          (seed, s1))
    # 4. Step 2: a new mask, w2 = w1 - m2 in f32.
    m2 = np.array(dropout_mask(n, P, seed, s2, 2), dtype=np.float32)
    if not np.array_equal(w2, w1 - m2):
        fail("step 2 is not w1 - the reference mask of (stream %d, step 2)" %
             s2)
    same = int(((m1 == 0) == (m2 == 0)).sum())
    if same == n:
        fail("the two steps used one mask")
    print("step 2: the reference mask of (seed %d, stream %d, step 2), "
          "equal to step 1's on %.1f%% of the elements" %
          (seed, s2, 100.0 * same / n))
    # 5. The losses: sum(m1) and sum(w1 * m2), summed in f32 by nnc; allow
    # 1e-4 of the sum of the terms' magnitudes (a sequential f32 sum of 20000
    # terms drifts by ~5e-5; the second sum cancels).
    terms = [m1.astype(np.float64), w1.astype(np.float64) * m2]
    for got, t in zip(losses, terms):
        exp, size = float(t.sum()), float(np.abs(t).sum())
        if abs(got - exp) > 1e-4 * size:
            fail("loss %g, expected %g" % (got, exp))
    print("losses: sum of the masked activations")


main()
