//===- Structured.cpp - nn matmul and reductions to linalg ----------------===//
//
// The ops that accumulate, each into a destination filled with its identity:
//   nn.matmul     rank 2: linalg.matmul; rank 3: linalg.batch_matmul; rank
//                 > 3: the batch dimensions collapsed into one around a
//                 linalg.batch_matmul. The destination is zero-filled.
//   nn.reduce_sum, nn.reduce_max
//                 a linalg.generic with reduction iterators over the listed
//                 dimensions (a generic rather than linalg.reduce so that
//                 linalg-fuse-elementwise-ops can fuse its producers into
//                 it), accumulating with arith.addf/addi or
//                 arith.maximumf/maxsi from 0 or -inf (the minimum integer);
//                 with keepdim, a tensor.expand_shape puts the reduced
//                 dimensions back with size 1.
//   nn.argmax     a linalg.generic with two accumulators, the maximum so far
//                 and its index (linalg.index, i64). An element replaces the
//                 accumulator when it is larger, or equal with a smaller
//                 index, so the first maximum wins in any order of
//                 evaluation; NaN counts as the largest value, as in PyTorch.
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "nnc/Dialect/NN/IR/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace nnc::nn;

namespace {

using Reassociation = SmallVector<SmallVector<int64_t, 2>>;

/// A tensor.empty of \p type filled with the identity of \p kind.
Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   llvm::function_ref<Value(int64_t)> dynSize,
                   arith::AtomicRMWKind kind) {
  Value init = emptyTensor(b, loc, type, dynSize);
  Value identity = arith::getIdentityValue(kind, type.getElementType(), b, loc);
  return b.create<linalg::FillOp>(loc, identity, init).getResult(0);
}

struct MatmulPattern : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    // Batch dimensions and M come from the lhs, N from the rhs.
    auto sizeOf = [&](int64_t i) {
      return i == rank - 1 ? dimValue(rewriter, loc, rhs, i)
                           : dimValue(rewriter, loc, lhs, i);
    };
    Value init =
        filledTensor(rewriter, loc, type, sizeOf, arith::AtomicRMWKind::addf);
    if (rank == 2) {
      rewriter.replaceOp(
          op, rewriter.create<linalg::MatmulOp>(loc, ValueRange{lhs, rhs}, init)
                  .getResult(0));
      return success();
    }
    if (rank == 3) {
      rewriter.replaceOp(op, rewriter
                                 .create<linalg::BatchMatmulOp>(
                                     loc, ValueRange{lhs, rhs}, init)
                                 .getResult(0));
      return success();
    }
    // [b0, ..., bk, M, K]: collapse the batch dimensions into one.
    Reassociation groups(1);
    for (int64_t i = 0; i < rank - 2; ++i)
      groups[0].push_back(i);
    groups.push_back({rank - 2});
    groups.push_back({rank - 1});
    auto collapse = [&](Value v) -> Value {
      return rewriter.create<tensor::CollapseShapeOp>(loc, v, groups);
    };
    Value product =
        rewriter
            .create<linalg::BatchMatmulOp>(
                loc, ValueRange{collapse(lhs), collapse(rhs)}, collapse(init))
            .getResult(0);
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, init);
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, type, product,
                                                       groups, sizes);
    return success();
  }
};

/// What a reduction pattern needs to know about its op.
struct ReductionShape {
  SmallVector<bool> reduced;     // per input dimension
  SmallVector<int64_t> keptDims; // the input dimensions that stay
  RankedTensorType keptType;     // the result without keepdim
  SmallVector<AffineMap> maps;   // input (identity), output (projection)
  SmallVector<utils::IteratorType> iterators;
};

template <typename Op> ReductionShape reductionShape(Op op, Type resultElem) {
  auto in = cast<RankedTensorType>(op.getInput().getType());
  auto out = cast<RankedTensorType>(op.getType());
  int64_t rank = in.getRank();
  ReductionShape s;
  s.reduced.assign(rank, false);
  for (int64_t d : op.getDims())
    s.reduced[d] = true;
  SmallVector<int64_t> keptShape;
  SmallVector<AffineExpr> keptExprs;
  MLIRContext *ctx = op.getContext();
  for (int64_t i = 0; i < rank; ++i) {
    s.iterators.push_back(s.reduced[i] ? utils::IteratorType::reduction
                                       : utils::IteratorType::parallel);
    if (s.reduced[i])
      continue;
    // The result's static size if it has one, else the input's.
    int64_t resultDim = op.getKeepdim() ? i : int64_t(s.keptDims.size());
    int64_t size = out.isDynamicDim(resultDim) ? in.getDimSize(i)
                                               : out.getDimSize(resultDim);
    s.keptDims.push_back(i);
    keptShape.push_back(size);
    keptExprs.push_back(getAffineDimExpr(i, ctx));
  }
  s.keptType = RankedTensorType::get(keptShape, resultElem);
  s.maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  s.maps.push_back(AffineMap::get(rank, 0, keptExprs, ctx));
  return s;
}

/// The reduced value \p v (of s.keptType) in the type of \p op's result:
/// expanded with the size-1 dimensions under keepdim, then cast.
template <typename Op>
Value finishReduction(OpBuilder &b, Op op, const ReductionShape &s, Value v) {
  Location loc = op.getLoc();
  auto out = cast<RankedTensorType>(op.getType());
  if (op.getKeepdim()) {
    int64_t rank = s.reduced.size();
    SmallVector<int64_t> shape;
    SmallVector<OpFoldResult> sizes;
    for (int64_t i = 0, k = 0; i < rank; ++i) {
      if (s.reduced[i]) {
        shape.push_back(1);
        sizes.push_back(b.getIndexAttr(1));
        continue;
      }
      shape.push_back(s.keptType.getDimSize(k));
      sizes.push_back(tensor::getMixedSize(b, loc, v, k));
      ++k;
    }
    auto expandedType =
        RankedTensorType::get(shape, s.keptType.getElementType());
    v = b.create<tensor::ExpandShapeOp>(
        loc, expandedType, v, keepdimReassociation(rank, s.reduced), sizes);
  }
  return castTo(b, loc, v, out);
}

template <typename Op> struct ReducePattern : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  using OpAdaptor = typename Op::Adaptor;

  static constexpr bool isSum = std::is_same_v<Op, ReduceSumOp>;

  LogicalResult
  matchAndRewrite(Op op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    Type elem = getElementTypeOrSelf(input.getType());
    arith::AtomicRMWKind kind;
    if (isa<FloatType>(elem))
      kind =
          isSum ? arith::AtomicRMWKind::addf : arith::AtomicRMWKind::maximumf;
    else if (elem.isInteger(1))
      kind = isSum ? arith::AtomicRMWKind::addi : arith::AtomicRMWKind::maxu;
    else if (isa<IntegerType>(elem))
      kind = isSum ? arith::AtomicRMWKind::addi : arith::AtomicRMWKind::maxs;
    else
      return rewriter.notifyMatchFailure(op, "unsupported element type");

    ReductionShape s = reductionShape(op, elem);
    Value init = filledTensor(
        rewriter, loc, s.keptType,
        [&](int64_t k) {
          return dimValue(rewriter, loc, input, s.keptDims[k]);
        },
        kind);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{s.keptType}, input, init, s.maps, s.iterators,
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value r = arith::getReductionOp(kind, b, nloc, args[0], args[1]);
          b.create<linalg::YieldOp>(nloc, r);
        });
    rewriter.replaceOp(op,
                       finishReduction(rewriter, op, s, generic.getResult(0)));
    return success();
  }
};

struct ArgmaxPattern : OpConversionPattern<ArgmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ArgmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    Type elem = getElementTypeOrSelf(input.getType());
    bool isFloat = isa<FloatType>(elem);
    arith::AtomicRMWKind kind;
    if (isFloat)
      kind = arith::AtomicRMWKind::maximumf;
    else if (elem.isInteger(1))
      kind = arith::AtomicRMWKind::maxu;
    else if (isa<IntegerType>(elem))
      kind = arith::AtomicRMWKind::maxs;
    else
      return rewriter.notifyMatchFailure(op, "unsupported element type");

    int64_t dim = op.getDims()[0];
    ReductionShape s = reductionShape(op, rewriter.getI64Type());
    auto dynSize = [&](int64_t k) {
      return dimValue(rewriter, loc, input, s.keptDims[k]);
    };
    auto valueType = RankedTensorType::get(s.keptType.getShape(), elem);
    Value values = filledTensor(rewriter, loc, valueType, dynSize, kind);
    Value indices = filledTensor(rewriter, loc, s.keptType, dynSize,
                                 arith::AtomicRMWKind::addi);
    SmallVector<AffineMap> maps = {s.maps[0], s.maps[1], s.maps[1]};
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{valueType, s.keptType}, input,
        ValueRange{values, indices}, maps, s.iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], best = args[1], bestIndex = args[2];
          Value index = b.create<arith::IndexCastOp>(
              l, b.getI64Type(), b.create<linalg::IndexOp>(l, dim));
          Value earlier = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt,
                                                  index, bestIndex);
          Value take;
          if (isFloat) {
            // take = best is NaN ? (x is NaN && earlier)
            //                    : (x is NaN || x > best || (x == best &&
            //                       earlier))
            auto cmpf = [&](arith::CmpFPredicate p, Value a, Value c) {
              return b.create<arith::CmpFOp>(l, p, a, c);
            };
            Value xNaN = cmpf(arith::CmpFPredicate::UNO, x, x);
            Value bestNaN = cmpf(arith::CmpFPredicate::UNO, best, best);
            Value greater = cmpf(arith::CmpFPredicate::OGT, x, best);
            Value equal = cmpf(arith::CmpFPredicate::OEQ, x, best);
            Value tie = b.create<arith::AndIOp>(l, equal, earlier);
            Value number = b.create<arith::OrIOp>(
                l, xNaN, b.create<arith::OrIOp>(l, greater, tie));
            Value nan = b.create<arith::AndIOp>(l, xNaN, earlier);
            take = b.create<arith::SelectOp>(l, bestNaN, nan, number);
          } else {
            auto pred = elem.isInteger(1) ? arith::CmpIPredicate::ugt
                                          : arith::CmpIPredicate::sgt;
            Value greater = b.create<arith::CmpIOp>(l, pred, x, best);
            Value equal =
                b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, x, best);
            take = b.create<arith::OrIOp>(
                l, greater, b.create<arith::AndIOp>(l, equal, earlier));
          }
          Value newBest = b.create<arith::SelectOp>(l, take, x, best);
          Value newIndex = b.create<arith::SelectOp>(l, take, index, bestIndex);
          b.create<linalg::YieldOp>(l, ValueRange{newBest, newIndex});
        });
    rewriter.replaceOp(op,
                       finishReduction(rewriter, op, s, generic.getResult(1)));
    return success();
  }
};

} // namespace

void nnc::nn::populateStructuredPatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulPattern, ReducePattern<ReduceSumOp>,
               ReducePattern<ReduceMaxOp>, ArgmaxPattern>(
      patterns.getContext());
}
