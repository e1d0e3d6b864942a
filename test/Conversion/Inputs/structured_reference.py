#!/usr/bin/env python3
"""structured_reference.py: the expected numbers of
test/Conversion/CPU/{matmul,reduce,shape}.mlir, computed in pure Python
(every input and result is exact in float32, so no rounding is needed).
Run it to print each case as rows, the way mlir-cpu-runner prints them."""
import math
import re

INF, NAN = math.inf, math.nan


def matmul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(len(b)))
             for j in range(len(b[0]))] for i in range(len(a))]


def transpose(a):
    return [list(r) for r in zip(*a)]


def argmax(row):
    # PyTorch: the first maximum; NaN counts as larger than anything.
    best = 0
    for i, v in enumerate(row):
        b = row[best]
        if math.isnan(b):
            break
        if math.isnan(v) or v > b:
            best = i
    return best


def fmt(v):
    if isinstance(v, list):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    if isinstance(v, int):
        return str(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return "{:g}".format(v)


def show(name, value):
    """One line per innermost row, as the runner breaks them; `;` separates
    the lines."""
    print(name.ljust(12), "; ".join(re.split(r"(?<=\],) ", fmt(value))))


X = [[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0], [0.0, -2.0, 1.0], [2.0, 1.0, -1.0]]
W = [[0.5, -1.0], [0.25, 0.75], [-0.5, 1.5]]
A3 = [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[-1.0, 0.0, 1.0], [2.0, -2.0, 0.5]]]
B3 = [[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[2.0, -1.0], [0.5, 0.5], [1.0, 3.0]]]
R = [[1.0, 5.0, 3.0], [4.0, 2.0, 6.0], [-1.0, -7.0, 0.5]]
Y = [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [[-1.0, 0.0], [7.0, -2.0], [0.5, 0.25]]]
M = [[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [-INF, -INF, -INF, -INF],
     [1.0, NAN, 5.0, NAN], [-1.0, -2.0, -0.5, -0.5]]
IR = [[3, -1, 3], [-5, -2, -9]]

if __name__ == "__main__":
    # matmul.mlir
    show("mm2", matmul(X, W))
    show("bmm", [matmul(a, b) for a, b in zip(A3, B3)])
    # rank 4: [2, 2, 2, 3] x [2, 2, 3, 1]; batch (i, j) uses A3[j] scaled by
    # i + 1 and the first column of B3[j].
    show("mm4", [[matmul([[(i + 1) * v for v in r] for r in A3[j]],
                         [[r[0]] for r in B3[j]]) for j in range(2)]
                 for i in range(2)])
    show("mmT", matmul(transpose(X), [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0],
                                      [2.0, -1.0]]))
    # reduce.mlir
    show("sum1", [sum(r) for r in R])
    show("sum0keep", [[sum(c) for c in zip(*R)]])
    show("sumall", [sum(sum(r) for r in R)])  # rank 0 prints as [v]
    show("sumallkeep", [[sum(sum(r) for r in R)]])
    show("max1keep", [[max(r)] for r in R])
    show("max0", [max(c) for c in zip(*R)])
    show("sum3", [[[sum(c) for c in zip(*y)]] for y in Y])
    show("max02", [max(max(p) for p in (y[i] for y in Y)) for i in range(3)])
    show("isum1", [sum(r) for r in IR])
    show("imax0", [max(c) for c in zip(*IR)])
    show("argmax1", [argmax(r) for r in M])
    show("argmax0keep", [[argmax(list(c)) for c in zip(*R)]])
    show("iargmax1", [argmax(r) for r in IR])
    # reduce_max propagates NaN.
    show("maxnan", [NAN if any(map(math.isnan, r)) else max(r) for r in M])
    # shape.mlir
    bias, col = [1.0, 2.0, 3.0], [[10.0], [20.0]]
    show("bcast_row", [bias for _ in range(2)])
    show("bcast_col", [[c[0]] * 3 for c in col])
    show("bcast_scalar", [[7.5] * 3 for _ in range(2)])
    show("bcast_rank", [[bias for _ in range(2)] for _ in range(2)])
    flat = [float(i) for i in range(12)]  # the row-major elements

    def rows(v, n):
        return [v[i:i + n] for i in range(0, len(v), n)]
    show("expand", [rows(r, 3) for r in rows(flat, 6)])  # [2, 6] -> [2, 2, 3]
    show("collapse", rows(flat, 6))                      # [2, 2, 3] -> [2, 6]
    show("general", rows(flat[:6], 2))                   # [2, 3] -> [3, 2]
    show("divide", rows(flat, 6))                        # [3, 4] -> [2, ?]
    show("flatten", flat[:6])                            # [2, 3] -> [?]
    show("static_to_dynamic", rows(flat[:6], 3))         # [6] -> [2, ?]
    show("dynamic_to_static", rows(flat[:6], 3))         # [?] -> [2, 3]
    show("scalar", [[4.5]])                              # [] -> [1, 1]
    show("unscalar", [4.5])                              # [1, 1] -> []
    show("transpose", transpose(rows(flat[:6], 3)))
    t3 = [rows(r, 4) for r in rows([float(i) for i in range(24)], 12)]
    show("transpose3", [[[t3[b][i][j] for i in range(3)] for b in range(2)]
                        for j in range(4)])  # perm [2, 0, 1]
    classes = 3
    show("one_hot", [[1.0 if c == y else 0.0 for c in range(classes)]
                     for y in [0, 2, -1, 3, 1]])
    show("one_hot2", [[[1.0 if c == y else 0.0 for c in range(classes)]
                       for y in r] for r in [[1, 0], [2, 2]]])
    show("fill_like", [[2.5] * 3 for _ in range(2)])
    show("fill_i64", [7, 7])
