#!/usr/bin/env python3
"""philox_reference.py: the expected numbers of test/Conversion/CPU/random.mlir,
computed independently of the compiler in pure Python.

Philox-4x32-10 (Salmon et al., SC11) is checked against Random123's known-answer
vectors first. The element addressing and the uniform/normal transforms are
those of runtime/include/nnc/runtime/Rng.h (fillUniform, fillNormal with
offset 0): word j of stream s under seed k is word j % 4 of the block at
counter {lo32(j/4), hi32(j/4), lo32(s), hi32(s)}, key {lo32(k), hi32(k)}.
float32 rounding is done with struct, like the f32 arithmetic of the lowering.

Run it to print, per test case, the values as mlir-cpu-runner prints them
(C++ ostream default: 6 significant digits)."""
import math
import struct

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox(ctr, key):
    c, k = list(ctr), list(key)
    for r in range(10):
        if r:
            k = [(k[0] + W0) & MASK, (k[1] + W1) & MASK]
        p0, p1 = M0 * c[0], M1 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k[0], p1 & MASK, (p0 >> 32) ^ c[3] ^ k[1],
             p0 & MASK]
    return c


# Random123 kat_vectors, philox4x32 with 10 rounds.
assert philox([0, 0, 0, 0], [0, 0]) == [
    0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
assert philox([MASK] * 4, [MASK] * 2) == [
    0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
assert philox([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
              [0xa4093822, 0x299f31d0]) == [
    0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def block(seed, stream, j):
    b = j // 4
    return philox([b & MASK, b >> 32, stream & MASK, stream >> 32],
                  [seed & MASK, seed >> 32])


def uniform(n, lo, hi, seed, stream):
    lo, hi = f32(lo), f32(hi)
    width = f32(hi - lo)
    out = []
    for j in range(n):
        w = block(seed, stream, j)[j % 4]
        u = f32((w >> 8) * 2.0**-24)
        v = f32(lo + f32(width * u))
        out.append(v if v < hi else math.nextafter(hi, lo))
    return out


def normal(n, mean, std, seed, stream):
    mean, std = f32(mean), f32(std)
    out = []
    for j in range(n):
        w = block(seed, stream, j)
        k = j % 4
        p = k // 2
        u1 = (w[2 * p] + 1.0) * 2.0**-32
        u2 = w[2 * p + 1] * 2.0**-32
        r = math.sqrt(-2.0 * math.log(u1))
        theta = 2.0 * math.pi * u2
        z = r * math.cos(theta) if k % 2 == 0 else r * math.sin(theta)
        out.append(f32(mean + std * z))
    return out


def dropout_mask(n, p, seed, stream, step):
    """The multipliers of nn.dropout (the runtime's dropoutMask): element i
    of step `step` uses word (step << 34) + i; it is kept, scaled by
    float(1 / (1 - p)), when the word's top 24 bits are >= ceil(p * 2^24)."""
    threshold = math.ceil(p * 2.0**24)
    scale = f32(1.0 / (1.0 - p))
    out = []
    for i in range(n):
        j = ((step << 34) + i) & ((1 << 64) - 1)
        w = block(seed, stream, j)[j % 4]
        out.append(scale if (w >> 8) >= threshold else 0.0)
    return out


def show(values, fmt="{:g}"):
    return "[" + ", ".join(fmt.format(v) for v in values) + "]"


if __name__ == "__main__":
    # @bits: uniform(0, 2^24) stream 0 is (word >> 8) exactly; as i64.
    print("bits     ", show([int(v) for v in uniform(8, 0.0, 16777216.0, 0, 0)], "{}"))
    print("uniform  ", show(uniform(6, -1.0, 1.0, 0, 3)))
    print("normal   ", show(normal(6, 0.0, 1.0, 0, 5)))
    print("scaled   ", show(normal(4, 2.0, 0.5, 0, 7)))
    seed = 0x299f31d0a4093822
    print("seeded   ", show(uniform(4, 0.0, 1.0, seed, 1)))
    big = (1 << 40) + 5
    print("dropout  ", show(dropout_mask(12, 0.5, 0, 3, 2)))
    print("dropout30", show(dropout_mask(8, 0.3, 0, 4, 1)))
    print("dropoutsd", show(dropout_mask(8, 0.3, seed, 4, 1)))
    print("bigstream", show([int(v) for v in uniform(4, 0.0, 16777216.0, 0, big)], "{}"))
