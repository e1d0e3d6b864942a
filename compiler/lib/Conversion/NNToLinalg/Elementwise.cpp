//===- Elementwise.cpp - nn elementwise ops to linalg.generic -------------===//
//
// The arithmetic, math, comparison, select and cast ops of nn, each a
// linalg.generic with identity maps over operands of one shape, whose body is
// the scalar arith/math op for the element type:
//   float: arith.addf/subf/mulf/divf, math.powf, arith.maximumf/minimumf
//          (NaN-propagating, as torch.maximum), arith.negf, math.exp/log/
//          sqrt/tanh/absf/log1p/erf, arith.cmpf (ordered; `ne` unordered so
//          that NaN != NaN, as in PyTorch); the math functions of f16 and
//          bf16 are computed in f32 (extf, op, truncf);
//   integers: arith.addi/subi/muli/divsi, math.ipowi, arith.maxsi/minsi,
//          0 - x, math.absi, arith.cmpi (signed; unsigned for i1);
//   select: arith.select; cast: arith.extf/truncf, sitofp/fptosi, uitofp
//          from i1, extsi/trunci, extui from i1, and `!= 0` into i1.
// Other element types (and transcendental ops on integers) have no lowering:
// the pattern fails and the conversion reports the op.
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "nnc/Dialect/NN/IR/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"

#include <type_traits>

using namespace mlir;
using namespace nnc::nn;

namespace {

bool isUnsignedInt(Type t) { return t.isInteger(1); }

/// The scalar body of each elementwise op: `args` are the operands' elements,
/// `elem` the element type of the operands (float or integer; integers only
/// where the op has an integer form).
template <typename FOp, typename IOp>
Value floatOrInt(OpBuilder &b, Location loc, Type elem, ValueRange args) {
  if (isa<FloatType>(elem))
    return b.create<FOp>(loc, args);
  if (isa<IntegerType>(elem))
    return b.create<IOp>(loc, args);
  return Value();
}

/// A math op on floats; f16 and bf16 are computed in f32 (libm has no
/// half-precision functions).
template <typename FOp>
Value mathOp(OpBuilder &b, Location loc, Type elem, ValueRange args) {
  auto ft = dyn_cast<FloatType>(elem);
  if (!ft)
    return Value();
  if (ft.getWidth() >= 32)
    return b.create<FOp>(loc, args);
  SmallVector<Value> wide;
  for (Value a : args)
    wide.push_back(b.create<arith::ExtFOp>(loc, b.getF32Type(), a));
  Value r = b.create<FOp>(loc, wide);
  return b.create<arith::TruncFOp>(loc, ft, r);
}

Value scalarOp(AddOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  return floatOrInt<arith::AddFOp, arith::AddIOp>(b, loc, e, a);
}
Value scalarOp(SubOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  return floatOrInt<arith::SubFOp, arith::SubIOp>(b, loc, e, a);
}
Value scalarOp(MulOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  return floatOrInt<arith::MulFOp, arith::MulIOp>(b, loc, e, a);
}
Value scalarOp(DivOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  if (isUnsignedInt(e))
    return b.create<arith::DivUIOp>(loc, a);
  return floatOrInt<arith::DivFOp, arith::DivSIOp>(b, loc, e, a);
}
Value scalarOp(PowOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  if (isa<FloatType>(e))
    return mathOp<math::PowFOp>(b, loc, e, a);
  return b.create<math::IPowIOp>(loc, a);
}
Value scalarOp(MaxOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  if (isUnsignedInt(e))
    return b.create<arith::MaxUIOp>(loc, a);
  return floatOrInt<arith::MaximumFOp, arith::MaxSIOp>(b, loc, e, a);
}
Value scalarOp(MinOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  if (isUnsignedInt(e))
    return b.create<arith::MinUIOp>(loc, a);
  return floatOrInt<arith::MinimumFOp, arith::MinSIOp>(b, loc, e, a);
}
Value scalarOp(NegOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  if (isa<FloatType>(e))
    return b.create<arith::NegFOp>(loc, a);
  if (isa<IntegerType>(e))
    return b.create<arith::SubIOp>(loc, scalarConstant(b, loc, e, 0), a[0]);
  return Value();
}
Value scalarOp(ExpOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  return mathOp<math::ExpOp>(b, loc, e, a);
}
Value scalarOp(LogOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  return mathOp<math::LogOp>(b, loc, e, a);
}
Value scalarOp(SqrtOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  return mathOp<math::SqrtOp>(b, loc, e, a);
}
Value scalarOp(TanhOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  return mathOp<math::TanhOp>(b, loc, e, a);
}
Value scalarOp(AbsOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  if (isUnsignedInt(e))
    return a[0];
  return floatOrInt<math::AbsFOp, math::AbsIOp>(b, loc, e, a);
}
Value scalarOp(Log1pOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  return mathOp<math::Log1pOp>(b, loc, e, a);
}
Value scalarOp(ErfOp, OpBuilder &b, Location loc, Type e, ValueRange a) {
  return mathOp<math::ErfOp>(b, loc, e, a);
}

/// True for the ops that exist on floats only (the transcendental ones).
template <typename Op> constexpr bool isFloatOnly() {
  return std::is_same_v<Op, ExpOp> || std::is_same_v<Op, LogOp> ||
         std::is_same_v<Op, SqrtOp> || std::is_same_v<Op, TanhOp> ||
         std::is_same_v<Op, Log1pOp> || std::is_same_v<Op, ErfOp>;
}

/// nn.add, nn.exp, ...: one generic whose body is scalarOp(Op).
template <typename Op> struct ElementwisePattern : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  using OpAdaptor = typename Op::Adaptor;

  LogicalResult
  matchAndRewrite(Op op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type elem = type.getElementType();
    if (!isa<FloatType>(elem) && (!isa<IntegerType>(elem) || isFloatOnly<Op>()))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return scalarOp(op, b, loc, elem, args);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct CmpPattern : OpConversionPattern<CmpOp> {
  using OpConversionPattern::OpConversionPattern;

  static arith::CmpFPredicate floatPredicate(CmpPredicate p) {
    switch (p) {
    case CmpPredicate::lt:
      return arith::CmpFPredicate::OLT;
    case CmpPredicate::le:
      return arith::CmpFPredicate::OLE;
    case CmpPredicate::gt:
      return arith::CmpFPredicate::OGT;
    case CmpPredicate::ge:
      return arith::CmpFPredicate::OGE;
    case CmpPredicate::eq:
      return arith::CmpFPredicate::OEQ;
    case CmpPredicate::ne:
      return arith::CmpFPredicate::UNE;
    }
    llvm_unreachable("unknown nn.cmp predicate");
  }

  static arith::CmpIPredicate intPredicate(CmpPredicate p, bool isUnsigned) {
    switch (p) {
    case CmpPredicate::lt:
      return isUnsigned ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt;
    case CmpPredicate::le:
      return isUnsigned ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle;
    case CmpPredicate::gt:
      return isUnsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt;
    case CmpPredicate::ge:
      return isUnsigned ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge;
    case CmpPredicate::eq:
      return arith::CmpIPredicate::eq;
    case CmpPredicate::ne:
      return arith::CmpIPredicate::ne;
    }
    llvm_unreachable("unknown nn.cmp predicate");
  }

  LogicalResult
  matchAndRewrite(CmpOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type elem = getElementTypeOrSelf(op.getLhs().getType());
    if (!isa<FloatType, IntegerType>(elem))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    CmpPredicate p = op.getPredicate();
    Value result = buildElementwise(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
        adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (isa<FloatType>(elem))
            return b.create<arith::CmpFOp>(loc, floatPredicate(p), args[0],
                                           args[1]);
          return b.create<arith::CmpIOp>(
              loc, intPredicate(p, isUnsignedInt(elem)), args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SelectPattern : OpConversionPattern<SelectOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SelectOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value result = buildElementwise(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
        adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return b.create<arith::SelectOp>(loc, args[0], args[1], args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// One element of nn.cast from \p from to \p to; null if unsupported.
Value convertScalar(OpBuilder &b, Location loc, Value v, Type from, Type to) {
  if (from == to)
    return v;
  auto fromF = dyn_cast<FloatType>(from), toF = dyn_cast<FloatType>(to);
  auto fromI = dyn_cast<IntegerType>(from), toI = dyn_cast<IntegerType>(to);
  if (fromF && toF) {
    if (fromF.getWidth() < toF.getWidth())
      return b.create<arith::ExtFOp>(loc, toF, v);
    if (fromF.getWidth() > toF.getWidth())
      return b.create<arith::TruncFOp>(loc, toF, v);
    // f16 <-> bf16: through f32, exactly.
    Value wide = b.create<arith::ExtFOp>(loc, b.getF32Type(), v);
    return b.create<arith::TruncFOp>(loc, toF, wide);
  }
  if (fromI && toF) {
    if (fromI.getWidth() == 1)
      return b.create<arith::UIToFPOp>(loc, toF, v);
    return b.create<arith::SIToFPOp>(loc, toF, v);
  }
  if (fromF && toI) {
    if (toI.getWidth() == 1) // bool(x) is x != 0; NaN is true
      return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, v,
                                     scalarConstant(b, loc, fromF, 0.0));
    return b.create<arith::FPToSIOp>(loc, toI, v);
  }
  if (fromI && toI) {
    if (toI.getWidth() == 1)
      return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, v,
                                     scalarConstant(b, loc, fromI, 0.0));
    if (fromI.getWidth() == 1)
      return b.create<arith::ExtUIOp>(loc, toI, v);
    if (fromI.getWidth() < toI.getWidth())
      return b.create<arith::ExtSIOp>(loc, toI, v);
    return b.create<arith::TruncIOp>(loc, toI, v);
  }
  return Value();
}

struct CastPattern : OpConversionPattern<CastOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type from = getElementTypeOrSelf(op.getInput().getType());
    Type to = type.getElementType();
    if (from == to) {
      rewriter.replaceOp(
          op, castTo(rewriter, op.getLoc(), adaptor.getInput(), type));
      return success();
    }
    if (!isa<FloatType, IntegerType>(from) || !isa<FloatType, IntegerType>(to))
      return rewriter.notifyMatchFailure(op, "unsupported element types");
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getInput(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return convertScalar(b, loc, args[0], from, to);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void nnc::nn::populateElementwisePatterns(RewritePatternSet &patterns) {
  patterns
      .add<ElementwisePattern<AddOp>, ElementwisePattern<SubOp>,
           ElementwisePattern<MulOp>, ElementwisePattern<DivOp>,
           ElementwisePattern<PowOp>, ElementwisePattern<MaxOp>,
           ElementwisePattern<MinOp>, ElementwisePattern<NegOp>,
           ElementwisePattern<ExpOp>, ElementwisePattern<LogOp>,
           ElementwisePattern<SqrtOp>, ElementwisePattern<TanhOp>,
           ElementwisePattern<AbsOp>, ElementwisePattern<Log1pOp>,
           ElementwisePattern<ErfOp>, CmpPattern, SelectPattern, CastPattern>(
          patterns.getContext());
}
