#!/usr/bin/env python3
"""elementwise_reference.py: the expected numbers of
test/Conversion/CPU/elementwise.mlir, computed in pure Python with float32
rounding (struct) and Python's math module (correctly rounded in double, then
rounded to float32). Run it to print each case as mlir-cpu-runner prints it
(rows of 6-significant-digit numbers)."""
import math
import struct


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def f16(x):
    return struct.unpack("e", struct.pack("e", x))[0]


def bf16(x):  # round to nearest even on the top 16 bits of the f32
    b = struct.unpack("I", struct.pack("f", x))[0]
    b = (b + 0x7FFF + ((b >> 16) & 1)) >> 16
    return struct.unpack("f", struct.pack("I", b << 16))[0]


A = [[0.5, -1.5, 2.0, 3.25], [4.0, -2.5, 0.125, -8.0]]
B = [[2.0, 0.5, -4.0, 1.5], [-3.0, -2.5, 8.0, 0.75]]
BASE = [[2.0, 9.0, 0.5, -2.0], [1.5, 4.0, 10.0, -3.0]]
EXPO = [[3.0, 0.5, -1.0, 2.0], [2.0, -0.5, 0.0, 3.0]]
X = [[0.5, -1.5, 2.0, 3.25], [0.0, -0.25, 1.0, -8.0]]
P = [[0.5, 1.5, 2.0, 3.25], [1e-6, 0.25, 1.0, 8.0]]
IA = [[7, -7, 3, -2], [0, 5, 100, -9]]
IB = [[2, 2, 4, 3], [5, -5, 2, 9]]


def table(a, b, fn):
    return [[fn(x, y) for x, y in zip(r, s)] for r, s in zip(a, b)]


def unary(a, fn):
    return [[fn(x) for x in r] for r in a]


def pyfmt(v):
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return "{:g}".format(v)


def show(name, rows):
    print(name.ljust(10), "; ".join(
        "[" + ", ".join(pyfmt(v) for v in r) + "]" for r in rows))


def tdiv(x, y):  # C division of integers, truncating
    q = abs(x) // abs(y)
    return q if (x >= 0) == (y >= 0) else -q


R32 = lambda fn: (lambda *a: f32(fn(*map(f32, a))))  # noqa: E731

if __name__ == "__main__":
    show("add", table(A, B, R32(lambda x, y: x + y)))
    show("sub", table(A, B, R32(lambda x, y: x - y)))
    show("mul", table(A, B, R32(lambda x, y: x * y)))
    show("div", table(A, B, R32(lambda x, y: x / y)))
    show("pow", table(BASE, EXPO, R32(lambda x, y: x ** y)))
    show("max", table(A, B, max))
    show("min", table(A, B, min))
    show("neg", unary(X, lambda x: -x))
    show("exp", unary(X, R32(math.exp)))
    show("tanh", unary(X, R32(math.tanh)))
    show("abs", unary(X, abs))
    show("erf", unary(X, R32(math.erf)))
    show("log", unary(P, R32(math.log)))
    show("sqrt", unary(P, R32(math.sqrt)))
    show("log1p", unary(P, R32(math.log1p)))
    # Comparisons, as 0/1 floats: lt le gt ge eq ne of A and B.
    for name, fn in [("lt", lambda x, y: x < y), ("le", lambda x, y: x <= y),
                     ("gt", lambda x, y: x > y), ("ge", lambda x, y: x >= y),
                     ("eq", lambda x, y: x == y), ("ne", lambda x, y: x != y)]:
        show("cmp " + name, table(A, B, fn))
    show("icmp lt", table(IA, IB, lambda x, y: x < y))
    show("select", table(A, B, lambda x, y: x if x > y else y))
    # Integer arithmetic (i64).
    show("iadd", table(IA, IB, lambda x, y: x + y))
    show("isub", table(IA, IB, lambda x, y: x - y))
    show("imul", table(IA, IB, lambda x, y: x * y))
    show("idiv", table(IA, IB, tdiv))
    show("ipow", table(IA, [[2, 3, 4, 5], [0, 2, 1, 2]], lambda x, y: x ** y))
    show("imax", table(IA, IB, max))
    show("imin", table(IA, IB, min))
    show("ineg", unary(IA, lambda x: -x))
    show("iabs", unary(IA, abs))
    # Casts.
    show("f32->i64", unary(A, lambda x: int(x)))  # truncation toward zero
    show("i64->f32", unary(IA, lambda x: float(x)))
    show("f32->i1", unary([[0.5, 0.0, -0.0, -3.0]], lambda x: x != 0))
    show("i64->i1", unary(IA, lambda x: x != 0))
    show("f32->f16", unary([[0.1, 65504.0, 65520.0, 1e-8]], lambda x: f16(
        f32(x)) if abs(f32(x)) < 65520 else math.copysign(math.inf, x)))
    show("i64->i32", unary([[4294967297, -1, 2147483648, 5]],
                           lambda x: (x + 2**31) % 2**32 - 2**31))
    show("f32->f64", unary([[0.1, -2.5, 3.0, 1e-3]], lambda x: f32(x)))
    # half.mlir: math in f32, each op rounded back to f16 / bf16.
    H = [0.5, -1.0, 2.0]
    show("f16 chain", [[f16(f16(math.exp(f16(math.erf(x)))) + x) for x in H]])
    show("f16 sum", [[f16(sum(H))] * 3])
    show("bf16 chain", [[bf16(bf16(math.tanh(x)) * x) for x in H]])
