#!/usr/bin/env python3
"""gen_gradcheck.py: writes the numerical gradient checks
test/Conversion/GradCheck/<op>.mlir, one file per differentiable nn op.

Run it (with numpy and mpmath, e.g. the pyenv python3) from anywhere:
    python3 test/Conversion/GradCheck/Inputs/gen_gradcheck.py
It rewrites every generated .mlir file in the directory above; the files are
committed, so lit itself needs neither numpy nor mpmath.

Each case of a file is one function of the inputs x_1..x_k (all nn.wrt):
    f(x) = reduce_sum(op(x) * W)
with a fixed pseudo-random weight tensor W (dense constant, every entry
nonzero, so every output element reaches the loss). The generated @main
  1. calls nn-autodiff's @f_grad and prints the loss and the first (up to 4,
     row-major) elements of each input's analytic gradient;
  2. for EVERY element i of every input, computes the central difference
     (f(x + h e_i) - f(x - h e_i)) / (2h) with h = 1e-6, in f64, with
     tensor.extract / tensor.insert in scf.for loops calling @f;
  3. prints maxerr = max_i |analytic_i - numeric_i| / max(1, |numeric_i|)
     and the flag `maxerr < tol` as 0/1.
FileCheck checks the flag line exactly (`<case> ok 1`) and the printed loss
and gradient values against numbers computed here independently of the
compiler: the forward op is re-implemented in numpy on mpmath numbers at 50
significant digits, and its gradient taken by central differences with
h = 1e-15 (error ~1e-30), then printed as printF64 prints (C's %g: 6
significant digits). Where an exact value sits within 1e-9 (relative) of a
rounding boundary of %g, the pattern accepts both roundings.

Inputs are chosen away from kinks and singularities: max/min operands differ
by >= 0.1, abs inputs are >= 0.1 away from 0, reduce_max rows have no ties
(gaps >= 0.05), log/sqrt get inputs >= 0.3, log1p inputs > -0.6, pow has a
base in [0.5, 2], div a divisor with |b| >= 0.5.

Error budget of the numeric side: truncation h^2/6 |f'''| ~ 1e-13 and
rounding ~ eps |f| / h ~ 1e-10 |f| with |f| <= ~20 here, so any correct rule
lands well below tol = 1e-7, while a wrong rule is off by O(|W|) ~ 0.1..1.
Every case uses tol = 1e-7. One case changes h: cast_mixed perturbs an f32
input, so it steps by h = 2^-20 (exact in f32) - see its comment.
"""
import os
import sys
import zlib

import mpmath
import numpy as np
from mpmath import mp, mpf

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(OUT_DIR, "..", "Inputs"))
from philox_reference import dropout_mask  # noqa: E402
DEFAULT_TOL = 1e-7
DEFAULT_H = 1e-6
NPRINT = 4

mp.dps = 50
REF_H = mpf("1e-15")


# --------------------------------------------------------------------------
# Types and literals
# --------------------------------------------------------------------------

def ttype(shape, elem="f64"):
    dims = "".join(("?" if d is None else str(d)) + "x" for d in shape)
    return f"tensor<{dims}{elem}>"


def flit(v):
    """A float literal MLIR parses back to the same double."""
    s = repr(float(v))
    if "e" in s and "." not in s.split("e")[0]:
        m, e = s.split("e")
        s = f"{m}.0e{e}"
    elif "." not in s and "e" not in s:
        s += ".0"
    return s


def dense(a, elem="f64"):
    a = np.asarray(a)

    def rec(x):
        if x.ndim == 0:
            if elem == "i1":
                return "true" if bool(x) else "false"
            return flit(x)
        return "[" + ", ".join(rec(y) for y in x) + "]"
    return f"dense<{rec(a)}>"


def gfmt(v):
    """printF64's format (%lg) of a double, as a FileCheck pattern."""
    v = float(v)
    if abs(v) < 1e-300:
        return "{{-?0}}"
    lo, hi = "%g" % (v * (1 - 1e-9)), "%g" % (v * (1 + 1e-9))
    if lo != hi:
        # The exact value sits on (or within 1e-9 of) a boundary, as exact
        # dyadic products can: accept either rounding.
        esc = [t.replace(".", "\\.").replace("+", "\\+") for t in (lo, hi)]
        return "{{" + esc[0] + "|" + esc[1] + "}}"
    return "%g" % v


# --------------------------------------------------------------------------
# mpmath reference
# --------------------------------------------------------------------------

def to_obj(a):
    a = np.asarray(a, dtype=float)
    o = np.empty(a.shape, dtype=object)
    for i in np.ndindex(a.shape):
        o[i] = mpf(float(a[i]))
    return o


def ew(fn):
    def apply(*xs):
        xs = [np.asarray(x, dtype=object) for x in xs]
        o = np.empty(xs[0].shape, dtype=object)
        for i in np.ndindex(o.shape):
            o[i] = fn(*[x[i] for x in xs])
        return o
    return apply


def as_obj(r):
    r = np.asarray(r, dtype=object)
    return r


def ref_loss(case, objs):
    out = as_obj(case.ref(*objs))
    assert out.shape == case.out_shape, (case.name, out.shape, case.out_shape)
    w = to_obj(case.w)
    return sum((out * w).flat, mpf(0)) if out.ndim else out[()] * w[()]


def ref_grads(case):
    objs = [to_obj(a.values) for a in case.args]
    loss = ref_loss(case, objs)
    grads = []
    for k, a in enumerate(case.args):
        g = np.empty(a.shape, dtype=object)
        for i in np.ndindex(a.shape):
            p = [o.copy() for o in objs]
            m = [o.copy() for o in objs]
            p[k][i] += REF_H
            m[k][i] -= REF_H
            g[i] = (ref_loss(case, p) - ref_loss(case, m)) / (2 * REF_H)
        grads.append(g)
    return loss, grads


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

class Arg:
    def __init__(self, name, values, elem="f64", fshape=None):
        self.name = name
        self.values = np.asarray(values, dtype=float)
        self.shape = self.values.shape
        self.elem = elem
        # The shape f declares (None: dynamic); main holds static tensors.
        self.fshape = tuple(fshape) if fshape is not None else self.shape

    @property
    def stype(self):
        return ttype(self.shape, self.elem)

    @property
    def ftype(self):
        return ttype(self.fshape, self.elem)


class Case:
    def __init__(self, name, args, body, out_shape, ref, out_fshape=None,
                 tol=DEFAULT_TOL, h=DEFAULT_H, w=None, comment=None):
        self.name = name
        self.args = args
        self.body = body            # lines defining %out from %<arg names>
        self.out_shape = tuple(out_shape)
        self.out_fshape = tuple(out_fshape) if out_fshape else self.out_shape
        self.ref = ref
        self.tol = tol
        self.h = h
        self.comment = comment
        self.w = w if w is not None else weights(name, self.out_shape)


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def weights(name, shape):
    r = rng_for("W:" + name)
    sign = np.where(r.uniform(size=shape) < 0.5, -1.0, 1.0)
    return np.round(sign * r.uniform(0.1, 1.0, size=shape), 3)


def uniform(name, shape, lo, hi):
    return np.round(rng_for(name).uniform(lo, hi, size=shape), 3)


def signed(name, shape, lo, hi):
    """|v| in [lo, hi] with alternating signs (both signs present)."""
    r = rng_for(name)
    mag = np.round(r.uniform(lo, hi, size=shape), 3)
    sign = np.where(np.arange(mag.size).reshape(shape) % 2 == 0, 1.0, -1.0)
    perm = r.permutation(mag.size)
    return mag * sign.flat[perm].reshape(shape)


def distinct(name, shape, spacing=0.05):
    """Values with no two closer than ~spacing (reduce_max without ties)."""
    r = rng_for(name)
    n = int(np.prod(shape))
    base = (np.arange(n) - n / 2) * spacing * 2
    v = np.round(base + r.uniform(-spacing / 2, spacing / 2, size=n), 3)
    return r.permutation(v).reshape(shape)


def apart(name, x, lo=0.1, hi=1.0):
    """y with |x - y| in [lo, hi], on both sides of x."""
    return np.round(x + signed(name, x.shape, lo, hi), 3)


S23 = (2, 3)
S34 = (3, 4)

mexp = ew(mpmath.exp)
mlog = ew(mpmath.log)
msqrt = ew(mpmath.sqrt)
mtanh = ew(mpmath.tanh)
mabs = ew(abs)
mlog1p = ew(mpmath.log1p)
merf = ew(mpmath.erf)
mpow = ew(lambda a, b: mpmath.power(a, b))
mmax = ew(lambda a, b: a if a >= b else b)
mmin = ew(lambda a, b: a if a <= b else b)


DYN = (None, 4)  # S34 with a dynamic first (batch) dimension


def binary(op, shape, a, b, ref, fshape=None, name=None):
    t = ttype(fshape or shape)
    return Case(name or op, [Arg("a", a, fshape=fshape),
                             Arg("b", b, fshape=fshape)],
                [f"%out = nn.{op} %a, %b : {t}"], shape, ref,
                out_fshape=fshape)


def unary(op, shape, x, ref, fshape=None, name=None):
    t = ttype(fshape or shape)
    return Case(name or op, [Arg("x", x, fshape=fshape)],
                [f"%out = nn.{op} %x : {t}"], shape, ref, out_fshape=fshape)


def with_dyn(make, op, *args):
    """The case on static 3x4 tensors, and again on ?x4 (the rules' `fill
    like` paths)."""
    return [make(op, *args), make(op, *args, fshape=DYN, name=op + "_dyn")]


def files():
    F = {}
    x34 = uniform("x34", S34, -1.5, 1.5)
    y34 = uniform("y34", S34, -1.5, 1.5)

    F["add"] = with_dyn(binary, "add", S34, x34, y34, lambda a, b: a + b) + [
        # The same value on both sides: the adjoints must accumulate.
        Case("add_same", [Arg("x", uniform("as", S23, -1, 1))],
             [f"%out = nn.add %x, %x : {ttype(S23)}"], S23,
             lambda x: x + x),
    ]
    F["sub"] = with_dyn(binary, "sub", S34, x34, y34, lambda a, b: a - b)
    F["mul"] = with_dyn(binary, "mul", S34, x34, y34, lambda a, b: a * b) + [
        Case("mul_same", [Arg("x", uniform("ms", S23, -1.5, 1.5))],
             [f"%out = nn.mul %x, %x : {ttype(S23)}"], S23, lambda x: x * x),
    ]
    F["div"] = with_dyn(binary, "div", S34, x34,
                        signed("div_b", S34, 0.5, 2.0), lambda a, b: a / b)
    F["pow"] = with_dyn(binary, "pow", S34, uniform("pow_a", S34, 0.5, 2.0),
                        uniform("pow_b", S34, -1.5, 2.5), mpow)
    F["max"] = with_dyn(binary, "max", S34, x34, apart("max_b", x34), mmax)
    F["min"] = with_dyn(binary, "min", S34, x34, apart("min_b", x34), mmin)

    F["neg"] = with_dyn(unary, "neg", S34, x34, lambda x: -x)
    F["exp"] = with_dyn(unary, "exp", S34, x34, mexp)
    F["log"] = with_dyn(unary, "log", S34, uniform("log", S34, 0.3, 3.0),
                        mlog)
    F["sqrt"] = with_dyn(unary, "sqrt", S34, uniform("sqrt", S34, 0.3, 3.0),
                         msqrt)
    F["tanh"] = with_dyn(unary, "tanh", S34, uniform("tanh", S34, -2, 2),
                         mtanh)
    F["abs"] = with_dyn(unary, "abs", S34, signed("abs", S34, 0.1, 1.5), mabs)
    F["log1p"] = with_dyn(unary, "log1p", S34,
                          uniform("log1p", S34, -0.6, 2.0), mlog1p)
    F["erf"] = with_dyn(unary, "erf", S34, uniform("erf", S34, -2, 2), merf)

    cond = rng_for("cond").uniform(size=S34) < 0.5
    cond.flat[0], cond.flat[1] = True, False
    t34, b34 = ttype(S34), ttype(S34, "i1")
    F["select"] = [
        Case("select", [Arg("a", x34), Arg("b", y34)],
             [f"%c = arith.constant {dense(cond, 'i1')} : {b34}",
              f"%out = nn.select %c, %a, %b : {b34}, {t34}"],
             S34, lambda a, b: np.where(cond, a, b)),
        # The condition computed from the inputs (nn.cmp is inactive).
        Case("select_cmp",
             [Arg("a", x34), Arg("b", apart("selcmp", x34))],
             [f"%c = nn.cmp gt, %a, %b : {t34} -> {b34}",
              f"%out = nn.select %c, %a, %b : {b34}, {t34}"],
             S34, lambda a, b: np.where(a > b, a, b)),
        # The same on ?x4 (the rule's zeros are then `fill like`).
        Case("select_cmp_dyn",
             [Arg("a", x34, fshape=DYN),
              Arg("b", apart("selcmp", x34), fshape=DYN)],
             [f"%c = nn.cmp gt, %a, %b : {ttype(DYN)} -> {ttype(DYN, 'i1')}",
              f"%out = nn.select %c, %a, %b : {ttype(DYN, 'i1')}, "
              f"{ttype(DYN)}"],
             S34, lambda a, b: np.where(a > b, a, b), out_fshape=DYN),
    ]

    # f64 -> f32 -> (transpose, add in f32) -> f64, and an f32 input b: both
    # directions of the float cast rule. b is perturbed in f32, so this case
    # uses h = 2^-20 instead of 1e-6 (1e-6 is no f32 step: x +- 1e-6 would
    # round by up to 6e-8 and the difference quotient be off by ~5%). All
    # inputs are multiples of 1/16 below 2 in magnitude, so x +- h and the
    # f32 sums are exact in f32 (asserted below): the finite difference sees
    # no f32 rounding. W is a multiple of 1/64, so the adjoint 2 u W (12
    # significant bits) is exact in f32 too, and the rule's f64 -> f32
    # conversion of it loses nothing: tol stays 1e-7.
    r = rng_for("cast")
    ca = r.integers(-31, 32, size=S23) / 16.0
    cb = r.integers(-31, 32, size=(3, 2)) / 16.0
    for v in (ca, cb):
        v[v == 0] = 0.5
    cw = r.integers(8, 64, size=(3, 2)) * np.where(
        r.uniform(size=(3, 2)) < 0.5, -1, 1) / 64.0
    h32 = 2.0 ** -20
    for s in (h32, -h32):
        for pa, pb in ((ca.T + s, cb), (ca.T, cb + s)):
            assert (np.float32(pa) == pa).all() and (np.float32(pb) == pb).all()
            u = (np.float32(pa) + np.float32(pb)).astype(float)
            assert (u == pa + pb).all()
    u = ca.T + cb
    assert (np.float32(2 * u * cw) == 2 * u * cw).all()
    f23, f32_32, f32_23 = ttype((3, 2)), ttype((3, 2), "f32"), ttype(S23, "f32")
    F["cast"] = [
        Case("cast_mixed", [Arg("a", ca), Arg("b", cb, elem="f32")],
             [f"%a32 = nn.cast %a : {ttype(S23)} -> {f32_23}",
              f"%t32 = nn.transpose %a32 perm = [1, 0] : {f32_23} -> {f32_32}",
              f"%u32 = nn.add %t32, %b : {f32_32}",
              f"%u = nn.cast %u32 : {f32_32} -> {f23}",
              f"%out = nn.mul %u, %u : {f23}"],
             (3, 2), lambda a, b: (a.T + b) * (a.T + b), h=h32, w=cw,
             comment=["h = 2^-20 (an exact f32 step) instead of 1e-6: b is "
                      "an f32 input,",
                      "perturbed in f32. Inputs are multiples of 1/16 and W "
                      "of 1/64, so x +- h,",
                      "the f32 sums and the adjoint 2 u W are all exact in "
                      "f32; tol stays 1e-7."]),
    ]

    def mm(name, sa, sb, so, fa=None, fb=None, fo=None):
        """a (sa) @ b (sb) -> so; fa, fb, fo: the declared (dynamic) types."""
        a = uniform(name + "_a", sa, -1.5, 1.5)
        b = uniform(name + "_b", sb, -1.5, 1.5)
        fa, fb, fo = fa or sa, fb or sb, fo or so
        return Case(name, [Arg("a", a, fshape=fa), Arg("b", b, fshape=fb)],
                    [f"%out = nn.matmul %a, %b : {ttype(fa)}, {ttype(fb)} -> "
                     f"{ttype(fo)}"], so, lambda a, b: np.matmul(a, b),
                    out_fshape=fo)
    F["matmul"] = [
        mm("matmul", (2, 3), (3, 4), (2, 4)),
        mm("matmul_batched", (2, 2, 3), (2, 3, 2), (2, 2, 2)),
        # A dynamic batch, as MLIRGen emits it (x @ w, and batched).
        mm("matmul_dyn", (4, 3), (3, 2), (4, 2), fa=(None, 3),
           fo=(None, 2)),
        mm("matmul_batched_dyn", (3, 2, 3), (3, 3, 2), (3, 2, 2),
           fa=(None, 2, 3), fb=(None, 3, 2), fo=(None, 2, 2)),
        # The same matrix on both sides (both rules accumulate into one).
        Case("matmul_same", [Arg("x", uniform("mm_same", (3, 3), -1, 1))],
             [f"%out = nn.matmul %x, %x : {ttype((3, 3))}, {ttype((3, 3))} "
              f"-> {ttype((3, 3))}"], (3, 3), lambda x: np.matmul(x, x)),
    ]

    S234 = (2, 3, 4)

    def red(op, name, x, dims, keep, fn, fin=None):
        """op over dims of x (static S234; declared fin: None = dynamic)."""
        def rshape(sh):
            return tuple((1 if i in dims else d) for i, d in enumerate(sh)
                         if keep or i not in dims)
        fin = fin or S234
        shape, fout = rshape(S234), rshape(fin)
        attr = " {keepdim = true}" if keep else ""
        d = ", ".join(map(str, dims))
        return Case(name, [Arg("x", x, fshape=fin)],
                    [f"%out = nn.{op} %x dims = [{d}]{attr} : {ttype(fin)} "
                     f"-> {ttype(fout)}"], shape,
                    lambda x: fn(x, axis=tuple(dims), keepdims=keep),
                    out_fshape=fout)
    xs = uniform("rs", S234, -1.5, 1.5)
    F["reduce_sum"] = [
        red("reduce_sum", "rsum_1", xs, [1], False, np.sum),
        red("reduce_sum", "rsum_02_keep", xs, [0, 2], True, np.sum),
        red("reduce_sum", "rsum_02", xs, [0, 2], False, np.sum),
        red("reduce_sum", "rsum_2_keep", xs, [2], True, np.sum),
        red("reduce_sum", "rsum_all", xs, [0, 1, 2], False, np.sum),
        red("reduce_sum", "rsum_all_keep", xs, [0, 1, 2], True, np.sum),
        # A dynamic leading (batch) dimension, reduced or kept.
        red("reduce_sum", "rsum_dyn_0", xs, [0], False, np.sum,
            fin=(None, 3, 4)),
        red("reduce_sum", "rsum_dyn_12_keep", xs, [1, 2], True, np.sum,
            fin=(None, 3, 4)),
        red("reduce_sum", "rsum_dyn_2", xs, [2], False, np.sum,
            fin=(None, 3, 4)),
        # Two dynamic dimensions kept: the rule reshapes [?, ?] to [?, ?, 1].
        red("reduce_sum", "rsum_dyn2_2", xs, [2], False, np.sum,
            fin=(None, None, 4)),
    ]
    xm = distinct("rm", S234)
    F["reduce_max"] = [
        red("reduce_max", "rmax_1", xm, [1], False, np.max),
        red("reduce_max", "rmax_02_keep", xm, [0, 2], True, np.max),
        red("reduce_max", "rmax_02", xm, [0, 2], False, np.max),
        red("reduce_max", "rmax_2_keep", xm, [2], True, np.max),
        red("reduce_max", "rmax_all", xm, [0, 1, 2], False, np.max),
        red("reduce_max", "rmax_dyn_2", xm, [2], False, np.max,
            fin=(None, 3, 4)),
        red("reduce_max", "rmax_dyn_0_keep", xm, [0], True, np.max,
            fin=(None, 3, 4)),
        red("reduce_max", "rmax_dyn2_2", xm, [2], False, np.max,
            fin=(None, None, 4)),
    ]

    def bc(name, sin, sout, fin=None, fout=None, like=None):
        """broadcast x (static sin, declared fin) to sout (declared fout);
        like: the static shape of a `like` operand, passed as a second nn.wrt
        argument (its gradient must be 0)."""
        x = uniform(name, sin, -1.5, 1.5)
        args = [Arg("x", x, fshape=fin)]
        fo = fout or sout
        fi = fin or sin
        if like is not None:
            args.append(Arg("l", uniform(name + "_l", like, -1, 1),
                            fshape=fo))
            line = (f"%out = nn.broadcast %x like %l : {ttype(fo)} : "
                    f"{ttype(fi)} -> {ttype(fo)}")
            ref = (lambda x, l: np.broadcast_to(x, sout))
        else:
            line = f"%out = nn.broadcast %x : {ttype(fi)} -> {ttype(fo)}"
            ref = (lambda x: np.broadcast_to(x, sout))
        return Case(name, args, [line], sout, ref, out_fshape=fo)
    F["broadcast"] = [
        bc("bc_row", (3,), (2, 3)),                    # new leading dim
        bc("bc_col", (2, 1), (2, 3)),                  # size-1 dim
        bc("bc_lead_and_1", (1, 3), (4, 2, 3)),        # both
        bc("bc_mid", (2, 1, 3), (2, 4, 3)),            # size-1 in the middle
        bc("bc_keep1", (3, 1), (2, 3, 1)),             # 1 -> 1 is no broadcast
        bc("bc_scalar", (), (2, 3)),                   # rank 0
        bc("bc_ones", (1, 1), (3, 2)),                 # every dim size 1
        # With `like`: static, and dynamic sizes as in MLIRGen's output.
        bc("bc_like_static", (2, 1, 3), (2, 4, 3), like=(2, 4, 3)),
        bc("bc_like_row", (3,), (4, 3), like=(4, 3), fout=(None, 3)),
        bc("bc_like_col", (4, 1), (4, 3), fin=(None, 1), like=(4, 3),
           fout=(None, 3)),
        bc("bc_like_lead", (1, 3), (2, 4, 3), like=(2, 4, 3),
           fout=(2, None, 3)),
    ]

    def rs(name, sin, sout, fout=None):
        x = uniform(name, sin, -1.5, 1.5)
        fo = fout or sout
        return Case(name, [Arg("x", x)],
                    [f"%out = nn.reshape %x : {ttype(sin)} -> {ttype(fo)}"],
                    sout, lambda x: np.reshape(x, sout), out_fshape=fo)
    F["reshape"] = [
        rs("reshape_2d", (2, 3), (3, 2)),
        rs("reshape_collapse", (2, 3, 4), (6, 4)),
        rs("reshape_expand", (24,), (2, 3, 4)),
        rs("reshape_dynamic", (2, 6), (4, 3), fout=(None, 3)),
        rs("reshape_to_scalar", (1, 1), ()),
        rs("reshape_from_scalar", (), (1, 1)),
    ]

    def tr(name, sin, perm, fin=None):
        x = uniform(name, sin, -1.5, 1.5)
        so = tuple(sin[p] for p in perm)
        fin = fin or sin
        fo = tuple(fin[p] for p in perm)
        ps = ", ".join(map(str, perm))
        return Case(name, [Arg("x", x, fshape=fin)],
                    [f"%out = nn.transpose %x perm = [{ps}] : {ttype(fin)} "
                     f"-> {ttype(fo)}"], so,
                    lambda x: np.transpose(x, perm), out_fshape=fo)
    F["transpose"] = [
        tr("transpose_2d", (3, 4), [1, 0]),
        # Not involutions: the rule must use the inverse permutation.
        tr("transpose_201", (2, 3, 4), [2, 0, 1]),
        tr("transpose_120", (2, 3, 4), [1, 2, 0]),
        tr("transpose_021", (2, 3, 4), [0, 2, 1]),
        # A cube: perm and its inverse give the same type, so only the
        # numbers can tell them apart.
        tr("transpose_cube", (3, 3, 3), [2, 0, 1]),
        tr("transpose_dyn", (4, 3), [1, 0], fin=(None, 3)),
    ]

    # dropout of x * x (so the gradient depends on x) at a constant step:
    # the mask is fixed, f is smooth, and the rule must apply that same mask
    # to the adjoint. The mask is the runtime's rule (philox_reference.py's
    # dropout_mask, seed 0); f64 elements are scaled by 1 / (1 - p) in f64.
    def drop(name, p, stream, step, step_type, fshape=None):
        shape = S34
        keep = np.array([m != 0.0 for m in
                         dropout_mask(12, p, 0, stream, step)]).reshape(shape)
        assert keep.any() and not keep.all(), name
        scale = mpf(1.0 / (1.0 - p))
        mask = np.where(keep, scale, mpf(0))
        t = ttype(fshape or shape)
        lit = f"{step}.0" if step_type == "f64" else f"{step}"
        return Case(name, [Arg("x", x34, fshape=fshape)],
                    [f"%t = arith.constant dense<{lit}> : tensor<{step_type}>",
                     f"%sq = nn.mul %x, %x : {t}",
                     f"%out = nn.dropout %sq, %t p({p}) stream {stream} : "
                     f"{t}, tensor<{step_type}>"],
                    shape, lambda x: x * x * mask, out_fshape=fshape)

    F["dropout"] = [
        drop("dropout", 0.5, 3, 2, "f64"),
        drop("dropout_dyn", 0.5, 3, 2, "f64", fshape=DYN),
        drop("dropout_p03", 0.3, 4, 7, "i64"),
    ]
    return F


# --------------------------------------------------------------------------
# MLIR emission
# --------------------------------------------------------------------------

class Strings:
    def __init__(self):
        self.names = {}

    def get(self, text):
        if text not in self.names:
            self.names[text] = f"@str{len(self.names)}"
        return self.names[text]

    def globals(self):
        out = []
        for text, name in self.names.items():
            esc = text.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'llvm.mlir.global internal constant {name}("{esc}\\00")'
                       " {addr_space = 0 : i32}")
        return out


class Fn:
    """A function body under construction with fresh SSA names."""

    def __init__(self, strings):
        self.lines = []
        self.n = 0
        self.ind = 1
        self.strings = strings
        self.consts = {}

    def fresh(self, hint="v"):
        self.n += 1
        return f"%{hint}{self.n}"

    def emit(self, line):
        self.lines.append("  " * self.ind + line)

    def idx(self, i):
        key = ("idx", i)
        if key not in self.consts:
            v = f"%c{i}"
            self.lines.insert(0, f"  {v} = arith.constant {i} : index")
            self.consts[key] = v
        return self.consts[key]

    def print_str(self, text):
        p = self.fresh("s")
        self.emit(f"{p} = llvm.mlir.addressof {self.strings.get(text)} : "
                  "!llvm.ptr")
        self.emit(f"func.call @printString({p}) : (!llvm.ptr) -> ()")

    def print_f64(self, v):
        self.emit(f"func.call @printF64({v}) : (f64) -> ()")

    def newline(self):
        self.emit("func.call @printNewline() : () -> ()")


def emit_f(case):
    args = ", ".join(f"%{a.name}: {a.ftype} {{nn.wrt}}" for a in case.args)
    L = [f"func.func @f_{case.name}({args}) -> tensor<f64>",
         "    attributes {nn.differentiate} {"]
    L += ["  " + b for b in case.body]
    so, fo = ttype(case.out_shape), ttype(case.out_fshape)
    L.append(f"  %w = arith.constant {dense(case.w)} : {so}")
    w = "%w"
    if so != fo:
        L.append(f"  %wd = tensor.cast %w : {so} to {fo}")
        w = "%wd"
    if case.out_shape:
        L.append(f"  %p = nn.mul %out, {w} : {fo}")
        dims = ", ".join(str(i) for i in range(len(case.out_shape)))
        L.append(f"  %s = nn.reduce_sum %p dims = [{dims}] : {fo} -> "
                 "tensor<f64>")
        L.append("  return %s : tensor<f64>")
    else:
        L.append(f"  %p = nn.mul %out, {w} : {fo}")
        L.append("  return %p : tensor<f64>")
    L.append("}")
    grads = ", ".join(a.ftype for a in case.args)
    ftypes = ", ".join(a.ftype for a in case.args)
    L.append(f"func.func private @f_{case.name}_grad({ftypes}) -> "
             f"(tensor<f64>, {grads})")
    return L


def emit_check(case, strings):
    fn = Fn(strings)
    ftypes = ", ".join(a.ftype for a in case.args)
    vals = {}
    fvals = {}
    for a in case.args:
        v = fn.fresh(a.name)
        fn.emit(f"{v} = arith.constant {dense(a.values)} : {a.stype}")
        vals[a.name] = v
        fvals[a.name] = cast_to(fn, v, a.stype, a.ftype)
    k = len(case.args)
    r = fn.fresh("r")
    call_args = ", ".join(fvals[a.name] for a in case.args)
    res_types = ", ".join(["tensor<f64>"] + [a.ftype for a in case.args])
    fn.emit(f"{r}:{k + 1} = func.call @f_{case.name}_grad({call_args}) : "
            f"({ftypes}) -> ({res_types})")
    loss = fn.fresh("loss")
    fn.emit(f"{loss} = tensor.extract {r}#0[] : tensor<f64>")
    fn.print_str(f"{case.name} f ")
    fn.print_f64(loss)
    fn.newline()
    grads = {}
    for j, a in enumerate(case.args):
        g = cast_to(fn, f"{r}#{j + 1}", a.ftype, a.stype)
        grads[a.name] = g
        fn.print_str(f"{case.name} grad {a.name}")
        n = min(NPRINT, int(np.prod(a.shape)))
        for flat in range(n):
            ix = np.unravel_index(flat, a.shape) if a.shape else ()
            e = fn.fresh("e")
            ixs = ", ".join(fn.idx(int(i)) for i in ix)
            fn.emit(f"{e} = tensor.extract {g}[{ixs}] : {a.stype}")
            e = to_f64(fn, e, a.elem)
            fn.print_str(" ")
            fn.print_f64(e)
        fn.newline()

    m = fn.fresh("m")
    fn.emit(f"{m} = arith.constant 0.0 : f64")
    one = fn.fresh("one")
    fn.emit(f"{one} = arith.constant 1.0 : f64")
    h2 = fn.fresh("twoh")
    fn.emit(f"{h2} = arith.constant {flit(2 * case.h)} : f64")
    hs = {}
    for a in case.args:
        if a.elem not in hs:
            hv = fn.fresh("h")
            fn.emit(f"{hv} = arith.constant {flit(case.h)} : {a.elem}")
            hs[a.elem] = hv

    for j, a in enumerate(case.args):
        def body(ix, acc, a=a):
            ixs = ", ".join(ix)
            xi = fn.fresh("xi")
            fn.emit(f"{xi} = tensor.extract {vals[a.name]}[{ixs}] : {a.stype}")
            fl = []
            for op, tag in (("addf", "p"), ("subf", "m")):
                xv = fn.fresh("x" + tag)
                fn.emit(f"{xv} = arith.{op} {xi}, {hs[a.elem]} : {a.elem}")
                t = fn.fresh("t" + tag)
                fn.emit(f"{t} = tensor.insert {xv} into {vals[a.name]}[{ixs}]"
                        f" : {a.stype}")
                t = cast_to(fn, t, a.stype, a.ftype)
                cargs = ", ".join(t if b.name == a.name else fvals[b.name]
                                  for b in case.args)
                fr = fn.fresh("f" + tag)
                fn.emit(f"{fr} = func.call @f_{case.name}({cargs}) : ({ftypes})"
                        " -> tensor<f64>")
                fv = fn.fresh("fv" + tag)
                fn.emit(f"{fv} = tensor.extract {fr}[] : tensor<f64>")
                fl.append(fv)
            d = fn.fresh("d")
            fn.emit(f"{d} = arith.subf {fl[0]}, {fl[1]} : f64")
            num = fn.fresh("num")
            fn.emit(f"{num} = arith.divf {d}, {h2} : f64")
            ana = fn.fresh("ana")
            fn.emit(f"{ana} = tensor.extract {grads[a.name]}[{ixs}] : "
                    f"{a.stype}")
            ana = to_f64(fn, ana, a.elem)
            diff = fn.fresh("diff")
            fn.emit(f"{diff} = arith.subf {ana}, {num} : f64")
            ad = fn.fresh("ad")
            fn.emit(f"{ad} = math.absf {diff} : f64")
            an = fn.fresh("an")
            fn.emit(f"{an} = math.absf {num} : f64")
            den = fn.fresh("den")
            fn.emit(f"{den} = arith.maximumf {an}, {one} : f64")
            err = fn.fresh("err")
            fn.emit(f"{err} = arith.divf {ad}, {den} : f64")
            nm = fn.fresh("m")
            # maximumf propagates NaN, which then fails the `< tol` test.
            fn.emit(f"{nm} = arith.maximumf {acc}, {err} : f64")
            return nm
        m = loops(fn, a.shape, body, m)

    fn.print_str(f"{case.name} maxerr ")
    fn.print_f64(m)
    fn.newline()
    tol = fn.fresh("tol")
    fn.emit(f"{tol} = arith.constant {flit(case.tol)} : f64")
    ok = fn.fresh("ok")
    fn.emit(f"{ok} = arith.cmpf olt, {m}, {tol} : f64")
    oki = fn.fresh("oki")
    fn.emit(f"{oki} = arith.extui {ok} : i1 to i64")
    fn.print_str(f"{case.name} ok ")
    fn.emit(f"func.call @printI64({oki}) : (i64) -> ()")
    fn.newline()
    fn.emit("return")
    return ([f"func.func @check_{case.name}() {{"] + fn.lines + ["}"])


def cast_to(fn, v, src, dst):
    if src == dst:
        return v
    c = fn.fresh("cast")
    fn.emit(f"{c} = tensor.cast {v} : {src} to {dst}")
    return c


def to_f64(fn, v, elem):
    if elem == "f64":
        return v
    e = fn.fresh("ext")
    fn.emit(f"{e} = arith.extf {v} : {elem} to f64")
    return e


def loops(fn, shape, body, acc):
    """Nested scf.for over `shape` carrying the f64 `acc`; returns the result.
    """
    if not shape:
        return body([], acc)

    def rec(depth, ix, acc):
        iv = fn.fresh("i")
        res = fn.fresh("acc")
        inner = fn.fresh("a")
        fn.emit(f"{res} = scf.for {iv} = {fn.idx(0)} to {fn.idx(shape[depth])} "
                f"step {fn.idx(1)} iter_args({inner} = {acc}) -> (f64) {{")
        fn.ind += 1
        if depth + 1 == len(shape):
            out = body(ix + [iv], inner)
        else:
            out = rec(depth + 1, ix + [iv], inner)
        fn.emit(f"scf.yield {out} : f64")
        fn.ind -= 1
        fn.emit("}")
        return res
    return rec(0, [], acc)


def check_lines(case):
    loss, grads = ref_grads(case)
    out = [f"// CHECK: {{{{^}}}}{case.name} f {gfmt(loss)}{{{{$}}}}"]
    for a, g in zip(case.args, grads):
        n = min(NPRINT, int(np.prod(a.shape)))
        vs = [gfmt(g.flat[i] if a.shape else g[()]) for i in range(n)]
        out.append(f"// CHECK-NEXT: {{{{^}}}}{case.name} grad {a.name} "
                   + " ".join(vs) + "{{$}}")
    out.append(f"// CHECK-NEXT: {{{{^}}}}{case.name} maxerr "
               "{{[-+.e0-9]+}}{{$}}")
    out.append(f"// CHECK-NEXT: {{{{^}}}}{case.name} ok 1{{{{$}}}}")
    return out


HEADER = """\
// GENERATED by Inputs/gen_gradcheck.py (python3 with numpy and mpmath) - do
// not edit by hand; change the generator and rerun it.
//
// Numerical gradient check of the nn.{op} derivative rule: for each case
// f(x..) = reduce_sum(op(x..) * W) (every input nn.wrt, W a fixed dense
// weight), @check_<case> (called from @main) compares nn-autodiff's
// @f_<case>_grad with central differences of @f_<case> (h = 1e-6 unless
// noted, in f64) over EVERY input element, prints
// maxerr = max |analytic - numeric| / max(1, |numeric|) and `ok 1` when
// maxerr < tol (1e-7 unless noted). The expected loss and first gradient
// values come from an independent mpmath (50 digits) re-implementation of
// the op, differentiated by finite differences at h = 1e-15.
// REQUIRES: mlir-cpu-runner
// RUN: nn-opt %s -nn-autodiff -nnc-cpu-pipeline | %mlir_cpu_runner | FileCheck %s
"""


def write_file(op, cases):
    strings = Strings()
    body = []
    for c in cases:
        body.append(f"// ---- {c.name}")
        body += [f"// {line}" for line in (c.comment or [])]
        body += check_lines(c)
        body += emit_f(c)
        body += emit_check(c, strings)
        body.append("")
    text = [HEADER.format(op=op)]
    text += ["func.func private @printString(!llvm.ptr)",
             "func.func private @printF64(f64)",
             "func.func private @printI64(i64)",
             "func.func private @printNewline()"]
    text += strings.globals()
    text.append("")
    text += body
    text.append("func.func @main() {")
    for c in cases:
        text.append(f"  func.call @check_{c.name}() : () -> ()")
    text += ["  return", "}"]
    path = os.path.join(OUT_DIR, f"{op}.mlir")
    with open(path, "w") as f:
        f.write("\n".join(text) + "\n")
    return path


def main():
    for op, cases in files().items():
        print(write_file(op, cases))


if __name__ == "__main__":
    main()
