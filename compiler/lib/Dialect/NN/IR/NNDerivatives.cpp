//===- NNDerivatives.cpp - Reverse-mode rules of the nn ops
//----------------===//
//
// One rule per differentiable op, in the order of NNOps.td, each with its
// math in a comment. `g` is the adjoint of the op's result; a rule returns
// the adjoint of each operand (null: no gradient). Rules build nn ops only,
// so the derivative is itself nn IR that later passes fuse and lower like
// the forward pass.
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/IR/NNDialect.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace nnc::nn;

namespace {

RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// A tensor of `value` with the type of `like`.
Value fillLike(OpBuilder &b, Location loc, double value, Value like) {
  RankedTensorType t = tensorType(like);
  if (t.hasStaticShape())
    return b.create<FillOp>(loc, t, b.getF64FloatAttr(value), Value());
  return b.create<FillOp>(loc, t, b.getF64FloatAttr(value), like);
}

Value zerosLike(OpBuilder &b, Location loc, Value like) {
  return fillLike(b, loc, 0.0, like);
}

Value cmp(OpBuilder &b, Location loc, CmpPredicate p, Value l, Value r) {
  RankedTensorType t = tensorType(l);
  auto boolType = RankedTensorType::get(t.getShape(), b.getI1Type());
  return b.create<CmpOp>(loc, boolType, p, l, r);
}

/// g where the mask holds, 0 elsewhere.
Value maskGrad(OpBuilder &b, Location loc, Value mask, Value g) {
  return b.create<SelectOp>(loc, g.getType(), mask, g, zerosLike(b, loc, g));
}

/// Swaps the last two dimensions.
Value transposeLast2(OpBuilder &b, Location loc, Value v) {
  RankedTensorType t = tensorType(v);
  int64_t r = t.getRank();
  SmallVector<int64_t> perm, shape(t.getShape());
  for (int64_t i = 0; i < r; ++i)
    perm.push_back(i);
  std::swap(perm[r - 1], perm[r - 2]);
  std::swap(shape[r - 1], shape[r - 2]);
  return b.create<TransposeOp>(loc,
                               RankedTensorType::get(shape, t.getElementType()),
                               v, b.getDenseI64ArrayAttr(perm));
}

/// Shape of `in` with the reduced dimensions kept as 1.
SmallVector<int64_t> keptShape(RankedTensorType in, ArrayRef<int64_t> dims) {
  SmallVector<int64_t> shape(in.getShape());
  for (int64_t d : dims)
    shape[d] = 1;
  return shape;
}

/// The adjoint of a reduction's result, back in the input's shape.
Value unreduce(OpBuilder &b, Location loc, Value g, Value input,
               ArrayRef<int64_t> dims, bool keepdim) {
  RankedTensorType in = tensorType(input);
  if (!keepdim) {
    auto kept = RankedTensorType::get(keptShape(in, dims),
                                      tensorType(g).getElementType());
    g = b.create<ReshapeOp>(loc, kept, g);
  }
  return b.create<BroadcastOp>(loc, in, g, input);
}

} // namespace

// d/da (a + b) = g, d/db = g
SmallVector<Value> AddOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  return {adj[0], adj[0]};
}

// d/da (a - b) = g, d/db = -g
SmallVector<Value> SubOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Value g = adj[0];
  return {g, b.create<NegOp>(getLoc(), g)};
}

// d/da (a * b) = g * b, d/db = g * a
SmallVector<Value> MulOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Value g = adj[0];
  return {b.create<MulOp>(getLoc(), g, getRhs()),
          b.create<MulOp>(getLoc(), g, getLhs())};
}

// d/da (a / b) = g / b, d/db = -g * a / b^2
SmallVector<Value> DivOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  Value g = adj[0];
  Value da = b.create<DivOp>(loc, g, getRhs());
  Value bb = b.create<MulOp>(loc, getRhs(), getRhs());
  Value db = b.create<NegOp>(
      loc, b.create<DivOp>(loc, b.create<MulOp>(loc, g, getLhs()), bb));
  return {da, db};
}

// d/da a^b = g * b * a^(b-1), d/db a^b = g * a^b * log(a)
SmallVector<Value> PowOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  Value g = adj[0];
  Value bm1 = b.create<SubOp>(loc, getRhs(), fillLike(b, loc, 1.0, getRhs()));
  Value da = b.create<MulOp>(
      loc, g,
      b.create<MulOp>(loc, getRhs(), b.create<PowOp>(loc, getLhs(), bm1)));
  Value db = b.create<MulOp>(
      loc, g,
      b.create<MulOp>(loc, getResult(), b.create<LogOp>(loc, getLhs())));
  return {da, db};
}

// d/da max(a, b) = g where a >= b, d/db = g where a < b
SmallVector<Value> MaxOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  Value g = adj[0];
  return {
      maskGrad(b, loc, cmp(b, loc, CmpPredicate::ge, getLhs(), getRhs()), g),
      maskGrad(b, loc, cmp(b, loc, CmpPredicate::lt, getLhs(), getRhs()), g)};
}

// d/da min(a, b) = g where a <= b, d/db = g where a > b
SmallVector<Value> MinOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  Value g = adj[0];
  return {
      maskGrad(b, loc, cmp(b, loc, CmpPredicate::le, getLhs(), getRhs()), g),
      maskGrad(b, loc, cmp(b, loc, CmpPredicate::gt, getLhs(), getRhs()), g)};
}

// d/dx -x = -g
SmallVector<Value> NegOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  return {b.create<NegOp>(getLoc(), adj[0])};
}

// d/dx e^x = g * e^x (the result itself)
SmallVector<Value> ExpOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  return {b.create<MulOp>(getLoc(), adj[0], getResult())};
}

// d/dx log x = g / x
SmallVector<Value> LogOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  return {b.create<DivOp>(getLoc(), adj[0], getInput())};
}

// d/dx sqrt x = g / (2 sqrt x)
SmallVector<Value> SqrtOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  Value twice = b.create<AddOp>(loc, getResult(), getResult());
  return {b.create<DivOp>(loc, adj[0], twice)};
}

// d/dx tanh x = g * (1 - tanh(x)^2)
SmallVector<Value> TanhOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  Value t = getResult();
  Value one = fillLike(b, loc, 1.0, t);
  Value d = b.create<SubOp>(loc, one, b.create<MulOp>(loc, t, t));
  return {b.create<MulOp>(loc, adj[0], d)};
}

// d/dx |x| = g * sign(x), with sign(0) = 0 as PyTorch
SmallVector<Value> AbsOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  Value g = adj[0], x = getInput();
  Value zero = zerosLike(b, loc, x);
  Value neg = maskGrad(b, loc, cmp(b, loc, CmpPredicate::lt, x, zero),
                       b.create<NegOp>(loc, g));
  return {b.create<SelectOp>(loc, g.getType(),
                             cmp(b, loc, CmpPredicate::gt, x, zero), g, neg)};
}

// d/dx log(1 + x) = g / (1 + x)
SmallVector<Value> Log1pOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  Value onePlus =
      b.create<AddOp>(loc, fillLike(b, loc, 1.0, getInput()), getInput());
  return {b.create<DivOp>(loc, adj[0], onePlus)};
}

// d/dx erf x = g * 2/sqrt(pi) * e^(-x^2)
SmallVector<Value> ErfOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  Value x = getInput();
  Value e =
      b.create<ExpOp>(loc, b.create<NegOp>(loc, b.create<MulOp>(loc, x, x)));
  Value k = fillLike(b, loc, 1.1283791670955126, x); // 2 / sqrt(pi)
  return {b.create<MulOp>(loc, adj[0], b.create<MulOp>(loc, k, e))};
}

// d/da select(c, a, b) = g where c, d/db = g where not c; none for c
SmallVector<Value> SelectOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  Value g = adj[0];
  Value zero = zerosLike(b, loc, g);
  return {Value(),
          b.create<SelectOp>(loc, g.getType(), getCondition(), g, zero),
          b.create<SelectOp>(loc, g.getType(), getCondition(), zero, g)};
}

// float -> float: the adjoint converted back; to or from integers: none
SmallVector<Value> CastOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Type in = tensorType(getInput()).getElementType();
  Type out = tensorType(getResult()).getElementType();
  if (!isa<FloatType>(in) || !isa<FloatType>(out))
    return {Value()};
  return {b.create<CastOp>(getLoc(), getInput().getType(), adj[0])};
}

// C = A @ B:  dA = g @ B^T,  dB = A^T @ g
SmallVector<Value> MatmulOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  Value g = adj[0];
  Value da = b.create<MatmulOp>(loc, getLhs().getType(), g,
                                transposeLast2(b, loc, getRhs()));
  Value db = b.create<MatmulOp>(loc, getRhs().getType(),
                                transposeLast2(b, loc, getLhs()), g);
  return {da, db};
}

// y = sum_dims x:  dx = broadcast(g) over the reduced dimensions
SmallVector<Value> ReduceSumOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  return {unreduce(b, getLoc(), adj[0], getInput(), getDims(), getKeepdim())};
}

// y = max_dims x:  dx = broadcast(g) where x == broadcast(y), else 0
SmallVector<Value> ReduceMaxOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  Value x = getInput();
  Value y = unreduce(b, loc, getResult(), x, getDims(), getKeepdim());
  Value g = unreduce(b, loc, adj[0], x, getDims(), getKeepdim());
  return {maskGrad(b, loc, cmp(b, loc, CmpPredicate::eq, x, y), g)};
}

// y = broadcast(x):  dx = sum of g over the broadcast dimensions
SmallVector<Value> BroadcastOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  Location loc = getLoc();
  RankedTensorType in = tensorType(getInput());
  RankedTensorType out = tensorType(getResult());
  int64_t off = out.getRank() - in.getRank();
  SmallVector<int64_t> dims;
  SmallVector<int64_t> kept(out.getShape());
  for (int64_t i = 0; i < out.getRank(); ++i) {
    bool broadcast =
        i < off || (in.getDimSize(i - off) == 1 && out.getDimSize(i) != 1);
    if (broadcast) {
      dims.push_back(i);
      kept[i] = 1;
    }
  }
  Value g = adj[0];
  if (!dims.empty())
    g = b.create<ReduceSumOp>(
        loc, RankedTensorType::get(kept, out.getElementType()), g,
        b.getDenseI64ArrayAttr(dims), b.getBoolAttr(true));
  if (g.getType() != in)
    g = b.create<ReshapeOp>(loc, in, g);
  if (getShapeOf())
    return {g, Value()}; // the `like` operand only gives sizes
  return {g};
}

// y = reshape(x):  dx = reshape(g) to x's shape
SmallVector<Value> ReshapeOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  return {b.create<ReshapeOp>(getLoc(), getInput().getType(), adj[0])};
}

// y = transpose(x, perm):  dx = transpose(g, inverse(perm))
SmallVector<Value> TransposeOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  ArrayRef<int64_t> perm = getPerm();
  SmallVector<int64_t> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inv[perm[i]] = static_cast<int64_t>(i);
  return {b.create<TransposeOp>(getLoc(), getInput().getType(), adj[0],
                                b.getDenseI64ArrayAttr(inv))};
}

// y = x * m with the mask m of (stream, step) fixed:  dx = g * m, the same
// dropout of g; the step count gets no gradient
SmallVector<Value> DropoutOp::buildAdjoints(OpBuilder &b, ValueRange adj) {
  return {b.create<DropoutOp>(getLoc(), adj[0].getType(), adj[0], getStep(),
                              getPAttr(), getStreamAttr()),
          Value()};
}
