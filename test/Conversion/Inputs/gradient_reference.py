#!/usr/bin/env python3
"""gradient_reference.py: the expected numbers of
test/Conversion/CPU/gradient.mlir, derived by hand-written reverse-mode
formulas in pure Python (double precision) and checked against central finite
differences, independently of nn-autodiff.

mse(w, b, x, t) = sum((relu(x @ w + b) - t)^2):
  dL/dz = 2 (relu(z) - t) * [z > 0],  dL/dw = x^T @ dL/dz,  dL/db = colsum.
xent(w, x, y) = -sum_i log_softmax(x @ w)[i, y_i]:
  dL/dz = softmax(z) - onehot(y),  dL/dw = x^T @ dL/dz.
No z is 0, so relu's derivative is unambiguous."""
import math

W = [[0.5, -1.0], [0.25, 0.75], [-0.5, 1.5]]
B = [0.1, -0.2]
X = [[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0], [0.0, -2.0, 1.0], [2.0, 1.0, -1.0]]
T = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [2.0, -1.0]]
W2 = [[0.2, -0.4, 0.6, 0.1], [-0.3, 0.5, 0.05, 0.25], [0.7, -0.1, -0.2, 0.4]]
Y = [2, 0, 3, 1]


def matmul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(len(b)))
             for j in range(len(b[0]))] for i in range(len(a))]


def transpose(a):
    return [list(r) for r in zip(*a)]


def mse(w, b):
    z = [[v + b[j] for j, v in enumerate(r)] for r in matmul(X, w)]
    return sum((max(v, 0.0) - t) ** 2 for r, s in zip(z, T)
               for v, t in zip(r, s)), z


def mse_grad(w, b):
    loss, z = mse(w, b)
    assert all(v != 0.0 for r in z for v in r)
    gz = [[2 * (max(v, 0.0) - t) * (v > 0) for v, t in zip(r, s)]
          for r, s in zip(z, T)]
    return loss, matmul(transpose(X), gz), [sum(c) for c in zip(*gz)]


def xent(w):
    z = matmul(X, w)
    loss = 0.0
    for r, y in zip(z, Y):
        m = max(r)
        loss -= (r[y] - m) - math.log(sum(math.exp(v - m) for v in r))
    return loss, z


def xent_grad(w):
    loss, z = xent(w)
    gz = []
    for r, y in zip(z, Y):
        e = [math.exp(v - max(r)) for v in r]
        gz.append([v / sum(e) - (j == y) for j, v in enumerate(e)])
    return loss, matmul(transpose(X), gz)


def numeric(f, p, h=1e-6):
    """Central differences of the scalar f() with respect to every entry of
    the nested list p (changed in place and restored)."""
    def entries(v, path=()):
        if isinstance(v, list):
            for i, x in enumerate(v):
                yield from entries(x, path + (i,))
        else:
            yield path

    def at(path):
        c = p
        for i in path[:-1]:
            c = c[i]
        return c, path[-1]
    g = {}
    for path in entries(p):
        c, i = at(path)
        v = c[i]
        c[i] = v + h
        up = f()
        c[i] = v - h
        down = f()
        c[i] = v
        g[path] = (up - down) / (2 * h)
    return g


def close(analytic, g):
    for path, v in g.items():
        a = analytic
        for i in path:
            a = a[i]
        assert abs(a - v) < 1e-5 * max(1.0, abs(v)), (path, a, v)


def fmt(v):
    if isinstance(v, list):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    return "{:g}".format(v)


if __name__ == "__main__":
    loss, gw, gb = mse_grad(W, B)
    close(gw, numeric(lambda: mse(W, B)[0], W))
    close(gb, numeric(lambda: mse(W, B)[0], B))
    print("mse_loss", fmt([loss]))
    print("mse_gw  ", fmt(gw))
    print("mse_gb  ", fmt(gb))
    loss, gw = xent_grad(W2)
    close(gw, numeric(lambda: xent(W2)[0], W2))
    print("xent_loss", fmt([loss]))
    print("xent_gw ", fmt(gw))
