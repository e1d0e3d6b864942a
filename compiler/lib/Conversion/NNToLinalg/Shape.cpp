//===- Shape.cpp - nn shape and creation ops to linalg and tensor ---------===//
//
// The ops that move or create elements:
//   nn.broadcast  a linalg.generic copying the input into the result, whose
//                 input map reads result dimension off+i for input dimension
//                 i (off = rank difference). Static size-1 input dimensions
//                 are first dropped with tensor.collapse_shape, so the map is
//                 a projected permutation (what fusion and vectorization
//                 want) and the dropped dimension is read at index 0.
//   nn.reshape    one tensor.collapse_shape or tensor.expand_shape when the
//                 shapes are related by grouping dimensions (a dynamic
//                 dimension must then meet a dynamic dimension) or one side
//                 is a scalar; with only size-1 dimensions inserted or
//                 dropped, a collapse then an expand (any number of dynamic
//                 sizes); otherwise the input is collapsed to one
//                 dimension and expanded into the result, whose dynamic size
//                 is the element count divided by the static sizes.
//   nn.transpose  linalg.transpose (into the input's sizes, then a cast).
//   nn.one_hot    a linalg.generic over the result comparing the class
//                 (linalg.index of the last dimension) with the label.
//   nn.fill       tensor.empty (dynamic sizes from the `like` operand) and
//                 linalg.fill.
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "nnc/Dialect/NN/IR/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace nnc::nn;

namespace {

using Reassociation = SmallVector<ReassociationIndices>;

struct BroadcastPattern : OpConversionPattern<BroadcastOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BroadcastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto in = cast<RankedTensorType>(input.getType());
    auto out = cast<RankedTensorType>(op.getType());
    if (in == out) {
      rewriter.replaceOp(op, input);
      return success();
    }
    int64_t offset = out.getRank() - in.getRank();
    // Drop the static size-1 input dimensions.
    SmallVector<bool> unit;
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < in.getRank(); ++i) {
      unit.push_back(in.getDimSize(i) == 1);
      if (!unit.back())
        exprs.push_back(rewriter.getAffineDimExpr(offset + i));
    }
    if (llvm::is_contained(unit, true))
      input = rewriter.create<tensor::CollapseShapeOp>(
          loc, input, keepdimReassociation(in.getRank(), unit));

    Value like = adaptor.getShapeOf();
    Value init = emptyTensor(rewriter, loc, out, [&](int64_t i) {
      return rewriter.create<tensor::DimOp>(loc, like, i).getResult();
    });
    SmallVector<AffineMap> maps = {
        AffineMap::get(out.getRank(), 0, exprs, getContext()),
        rewriter.getMultiDimIdentityMap(out.getRank())};
    SmallVector<utils::IteratorType> iterators(out.getRank(),
                                               utils::IteratorType::parallel);
    rewriter.replaceOpWithNewOp<linalg::GenericOp>(
        op, TypeRange{out}, input, init, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          b.create<linalg::YieldOp>(l, args[0]);
        });
    return success();
  }
};

/// The grouping of dimensions that turns \p in into \p out with one
/// tensor.collapse_shape or tensor.expand_shape (indices into the shape of
/// higher rank), if there is one that holds for every value of the dynamic
/// sizes: each shape has at most one dynamic dimension, and they fall into
/// corresponding groups.
std::optional<Reassociation> reshapeGroups(RankedTensorType in,
                                           RankedTensorType out) {
  if (in.getRank() == out.getRank() || in.getRank() == 0 ||
      out.getRank() == 0 || in.getNumDynamicDims() != out.getNumDynamicDims() ||
      in.getNumDynamicDims() > 1)
    return std::nullopt;
  bool collapse = in.getRank() > out.getRank();
  ArrayRef<int64_t> longShape = collapse ? in.getShape() : out.getShape();
  ArrayRef<int64_t> shortShape = collapse ? out.getShape() : in.getShape();
  // Find groups with the dynamic size standing in as a large constant, then
  // check that they hold symbolically.
  constexpr int64_t kStandIn = (int64_t(1) << 31) - 1;
  auto substitute = [&](ArrayRef<int64_t> shape) {
    SmallVector<int64_t> s(shape);
    for (int64_t &d : s)
      if (ShapedType::isDynamic(d))
        d = kStandIn;
    return s;
  };
  std::optional<Reassociation> groups = getReassociationIndicesForCollapse(
      substitute(longShape), substitute(shortShape));
  if (!groups || groups->size() != shortShape.size())
    return std::nullopt;
  for (auto [group, size] : llvm::zip(*groups, shortShape)) {
    int64_t product = 1;
    bool dynamic = false;
    for (int64_t i : group) {
      if (ShapedType::isDynamic(longShape[i]))
        dynamic = true;
      else
        product *= longShape[i];
    }
    if (dynamic != ShapedType::isDynamic(size) || (!dynamic && product != size))
      return std::nullopt;
  }
  return groups;
}

/// Groups the dimensions of \p shape so that each size-1 dimension joins a
/// neighbouring dimension of another size: collapsing by these groups drops
/// the unit dimensions. None if every dimension has size 1.
std::optional<Reassociation> unitGroups(ArrayRef<int64_t> shape) {
  Reassociation groups;
  ReassociationIndices current;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
    current.push_back(i);
    if (shape[i] != 1) {
      groups.push_back(current);
      current.clear();
    }
  }
  if (groups.empty())
    return std::nullopt;
  groups.back().append(current.begin(), current.end());
  return groups;
}

SmallVector<int64_t> nonUnitShape(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> out;
  for (int64_t d : shape)
    if (d != 1)
      out.push_back(d);
  return out;
}

/// Replaces \p op by a tensor.expand_shape of \p input into \p out by
/// \p groups; a dynamic size of the result is the size of the input
/// dimension its group expands.
void replaceWithExpand(ConversionPatternRewriter &rewriter, ReshapeOp op,
                       Value input, RankedTensorType out,
                       const Reassociation &groups) {
  Location loc = op.getLoc();
  SmallVector<OpFoldResult> sizes;
  for (auto [j, group] : llvm::enumerate(groups))
    for (int64_t i : group)
      sizes.push_back(out.isDynamicDim(i)
                          ? tensor::getMixedSize(rewriter, loc, input, j)
                          : rewriter.getIndexAttr(out.getDimSize(i)));
  rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, out, input, groups,
                                                     sizes);
}

struct ReshapePattern : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto in = cast<RankedTensorType>(input.getType());
    auto out = cast<RankedTensorType>(op.getType());
    Type elem = out.getElementType();
    if (in == out) {
      rewriter.replaceOp(op, input);
      return success();
    }
    // 1. One collapse or expand.
    if (std::optional<Reassociation> groups = reshapeGroups(in, out)) {
      if (in.getRank() > out.getRank()) {
        rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, out, input,
                                                             *groups);
        return success();
      }
      replaceWithExpand(rewriter, op, input, out, *groups);
      return success();
    }
    // 2. To or from a scalar: the other side has one element.
    if (in.getRank() == 0) {
      auto ones =
          RankedTensorType::get(SmallVector<int64_t>(out.getRank(), 1), elem);
      Value v = rewriter.create<tensor::ExpandShapeOp>(
          loc, ones, input, Reassociation{},
          SmallVector<OpFoldResult>(out.getRank(), rewriter.getIndexAttr(1)));
      rewriter.replaceOp(op, castTo(rewriter, loc, v, out));
      return success();
    }
    if (out.getRank() == 0) {
      SmallVector<int64_t> ones(in.getRank(), 1);
      Value v = castTo(rewriter, loc, input, RankedTensorType::get(ones, elem));
      rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, out, v,
                                                           Reassociation{});
      return success();
    }
    // 3. Only size-1 dimensions inserted or dropped (any number of dynamic
    //    sizes): drop the input's unit dimensions, insert the result's.
    if (nonUnitShape(in.getShape()) == nonUnitShape(out.getShape())) {
      std::optional<Reassociation> inGroups = unitGroups(in.getShape());
      std::optional<Reassociation> outGroups = unitGroups(out.getShape());
      if (inGroups && outGroups) {
        auto mid = RankedTensorType::get(nonUnitShape(in.getShape()), elem);
        Value v = input;
        if (in != mid)
          v = rewriter.create<tensor::CollapseShapeOp>(loc, mid, v, *inGroups);
        if (out == mid) {
          rewriter.replaceOp(op, v);
          return success();
        }
        replaceWithExpand(rewriter, op, v, out, *outGroups);
        return success();
      }
    }
    // 4. Through one dimension: collapse everything, expand everything.
    Value flat = input;
    if (in.getRank() > 1) {
      ReassociationIndices all;
      for (int64_t i = 0; i < in.getRank(); ++i)
        all.push_back(i);
      flat = rewriter.create<tensor::CollapseShapeOp>(loc, input,
                                                      Reassociation{all});
    }
    if (out.getRank() == 1) {
      rewriter.replaceOp(op, castTo(rewriter, loc, flat, out));
      return success();
    }
    int64_t staticCount = 1;
    for (int64_t d : out.getShape())
      if (!ShapedType::isDynamic(d))
        staticCount *= d;
    // The flat tensor is dynamic exactly when the result has a dynamic size.
    flat = castTo(
        rewriter, loc, flat,
        RankedTensorType::get(
            {out.hasStaticShape() ? staticCount : ShapedType::kDynamic}, elem));
    SmallVector<OpFoldResult> sizes;
    ReassociationIndices all;
    for (int64_t i = 0; i < out.getRank(); ++i) {
      all.push_back(i);
      if (!out.isDynamicDim(i)) {
        sizes.push_back(rewriter.getIndexAttr(out.getDimSize(i)));
        continue;
      }
      Value count = dimValue(rewriter, loc, flat, 0);
      Value divisor = rewriter.create<arith::ConstantIndexOp>(loc, staticCount);
      sizes.push_back(
          rewriter.create<arith::DivUIOp>(loc, count, divisor).getResult());
    }
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        op, out, flat, Reassociation{all}, sizes);
    return success();
  }
};

struct TransposePattern : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    ArrayRef<int64_t> perm = op.getPerm();
    auto in = cast<RankedTensorType>(input.getType());
    // linalg.transpose wants the input's sizes exactly, static or dynamic;
    // a cast gives the result type its own.
    SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(in.getDimSize(p));
    auto type = RankedTensorType::get(shape, in.getElementType());
    Value init = emptyTensor(rewriter, loc, type, [&](int64_t i) {
      return dimValue(rewriter, loc, input, perm[i]);
    });
    auto transpose =
        rewriter.create<linalg::TransposeOp>(loc, input, init, perm);
    rewriter.replaceOp(
        op, castTo(rewriter, loc, transpose.getResult()[0], op.getType()));
    return success();
  }
};

struct OneHotPattern : OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value labels = adaptor.getIndices();
    auto out = cast<RankedTensorType>(op.getType());
    int64_t rank = out.getRank();
    Value init = emptyTensor(rewriter, loc, out, [&](int64_t i) {
      return dimValue(rewriter, loc, labels, i);
    });
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i + 1 < rank; ++i)
      exprs.push_back(rewriter.getAffineDimExpr(i));
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, exprs, getContext()),
                                   rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    Type elem = out.getElementType();
    rewriter.replaceOpWithNewOp<linalg::GenericOp>(
        op, TypeRange{out}, labels, init, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Type i64 = b.getI64Type();
          Value label = args[0];
          if (label.getType() != i64)
            label = b.create<arith::ExtSIOp>(l, i64, label);
          Value cls = b.create<arith::IndexCastOp>(
              l, i64, b.create<linalg::IndexOp>(l, rank - 1));
          Value hit =
              b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, label, cls);
          Value r =
              b.create<arith::SelectOp>(l, hit, scalarConstant(b, l, elem, 1.0),
                                        scalarConstant(b, l, elem, 0.0));
          b.create<linalg::YieldOp>(l, r);
        });
    return success();
  }
};

struct FillPattern : OpConversionPattern<FillOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(FillOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = cast<RankedTensorType>(op.getType());
    Type elem = out.getElementType();
    if (!isa<FloatType, IntegerType>(elem))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    Value like = adaptor.getShapeOf();
    Value init = emptyTensor(rewriter, loc, out, [&](int64_t i) {
      return rewriter.create<tensor::DimOp>(loc, like, i).getResult();
    });
    Value value =
        scalarConstant(rewriter, loc, elem, op.getValue().convertToDouble());
    rewriter.replaceOp(
        op, rewriter.create<linalg::FillOp>(loc, value, init).getResult(0));
    return success();
  }
};

} // namespace

void nnc::nn::populateShapePatterns(RewritePatternSet &patterns) {
  patterns.add<BroadcastPattern, ReshapePattern, TransposePattern,
               OneHotPattern, FillPattern>(patterns.getContext());
}
