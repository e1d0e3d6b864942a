//===- NNToLinalg.cpp - Lowering of the nn dialect to linalg --------------===//
//
// The convert-nn-to-linalg pass: every nn op becomes destination-passing
// linalg ops on tensors, with tensor ops for the shapes and arith/math in the
// bodies. The op families live in their own files (Elementwise.cpp,
// Structured.cpp, Shape.cpp, Random.cpp); this file holds the helpers they
// share and the pass.
//
// Algorithm:
//   1. Collect the patterns of all op families, one per nn op.
//   2. Each pattern builds its destination with tensor.empty, taking static
//      sizes from the result type and dynamic ones with tensor.dim from an
//      operand of that size (the `like` operand of nn.fill and
//      nn.broadcast, the operands of elementwise ops, the matching operand
//      dimension of matmul, transpose, the reductions and one_hot). Ops that
//      accumulate (matmul, reductions, argmax) fill it with their identity
//      element first.
//   3. It then emits the computation: linalg.generic for elementwise ops,
//      reductions, argmax, broadcast, one_hot and random (so that
//      linalg-fuse-elementwise-ops can fuse them), linalg.matmul /
//      linalg.batch_matmul, linalg.transpose and linalg.fill, and
//      tensor.collapse_shape / tensor.expand_shape for reshapes and keepdim.
//   4. Where the op's result type carries more (or less) static information
//      than the computed value, a tensor.cast restores the op's type, so
//      users are unaffected.
//   5. Apply the patterns with a partial dialect conversion in which the nn
//      dialect is illegal: types do not change, so there is no type
//      converter, and an op no pattern handles (an unsupported element type)
//      is reported as an error.
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "nnc/Conversion/Passes.h"
#include "nnc/Dialect/NN/IR/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace nnc {
#define GEN_PASS_DEF_CONVERTNNTOLINALG
#include "nnc/Conversion/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace nnc::nn {

Value dimValue(OpBuilder &b, Location loc, Value v, int64_t dim) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.isDynamicDim(dim))
    return b.create<arith::ConstantIndexOp>(loc, type.getDimSize(dim));
  return b.create<tensor::DimOp>(loc, v, dim);
}

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  llvm::function_ref<Value(int64_t)> dynSize) {
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dynamic.push_back(dynSize(i));
  return b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType(),
                                   dynamic);
}

Value emptyLike(OpBuilder &b, Location loc, RankedTensorType type, Value like) {
  return emptyTensor(b, loc, type,
                     [&](int64_t i) { return dimValue(b, loc, like, i); });
}

Value castTo(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  return b.create<tensor::CastOp>(loc, type, v);
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto ft = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(ft, value));
  if (type.isInteger(1))
    return b.create<arith::ConstantOp>(loc, b.getBoolAttr(value != 0.0));
  return b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, ScalarFn fn) {
  Value init = emptyLike(b, loc, resultType, inputs.front());
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps(inputs.size() + 1,
                              b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = fn(nb, nloc, args.drop_back());
        nb.create<linalg::YieldOp>(nloc, r);
      });
  return generic.getResult(0);
}

SmallVector<SmallVector<int64_t, 2>>
keepdimReassociation(int64_t rank, ArrayRef<bool> reduced) {
  // Each kept dimension starts a group; reduced (size-1) dimensions join the
  // group of the kept dimension after them, or the last group at the end.
  SmallVector<SmallVector<int64_t, 2>> groups;
  SmallVector<int64_t, 2> pending;
  for (int64_t i = 0; i < rank; ++i) {
    pending.push_back(i);
    if (!reduced[i]) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!groups.empty())
    groups.back().append(pending.begin(), pending.end());
  return groups;
}

} // namespace nnc::nn

namespace {

struct ConvertNNToLinalgPass
    : nnc::impl::ConvertNNToLinalgBase<ConvertNNToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<nnc::nn::NNDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(ctx);
    nnc::nn::populateElementwisePatterns(patterns);
    nnc::nn::populateStructuredPatterns(patterns);
    nnc::nn::populateShapePatterns(patterns);
    nnc::nn::populateRandomPatterns(patterns, seed);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
