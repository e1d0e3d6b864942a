//===- Random.cpp - nn.random to an inline Philox-4x32-10 -----------------===//
//
// nn.random becomes a linalg.generic without inputs whose body computes its
// element from scratch, so any order or partition of the elements gives the
// same tensor. The numbers are those of the runtime's fillUniform and
// fillNormal (runtime/include/nnc/runtime/Rng.h) with offset 0:
//
//   1. j = the row-major flat index of the element (from linalg.index), as
//      i64; the Philox counter is {lo32(j / 4), hi32(j / 4), lo32(stream),
//      hi32(stream)}, the key {lo32(seed), hi32(seed)}.
//   2. Ten Philox rounds, each: (hi0, lo0) = M0 * c0 and (hi1, lo1) = M1 *
//      c2 as 32x32->64 products (arith.mului_extended), then c = {hi1 ^ c1 ^
//      k0, lo1, hi0 ^ c3 ^ k1, lo0}. The key schedule (k + r * Weyl
//      constants) is folded at compile time into per-round constants.
//   3. uniform(a, b): the word w = block[j % 4]; u = (w >> 8) * 2^-24 in
//      f32, v = a + (b - a) * u, and v is lowered to the largest float below
//      b if rounding reached b.
//   4. normal(mean, std): with k = j % 4 and p = k / 2, u1 = (block[2p] + 1)
//      * 2^-32 in (0, 1], u2 = block[2p + 1] * 2^-32; z = sqrt(-2 ln u1) *
//      (cos if k is even, else sin)(2 pi u2), all in f64, and the element is
//      mean + std * z rounded to the element type.
// Results of other float types than f32 are converted from the f32 uniform
// (and kept below b when narrower); f64 normals use the unrounded mean and
// std.
//
// nn.dropout becomes an elementwise linalg.generic on its input with the
// same Philox: the step count is read once (tensor.extract, converted to
// i64) and shifted left by 34; element i (row-major, dynamic sizes from
// tensor.dim) takes word (step << 34) + i of the op's stream, and its result
// is x * (word >> 8 >= ceil(p * 2^24) ? float(1 / (1 - p)) : 0), the
// runtime's dropoutMask.
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "nnc/Dialect/NN/IR/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <array>
#include <cmath>

using namespace mlir;
using namespace nnc::nn;

namespace {

constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;

/// Emits Philox-4x32-10 of \p counter (four i32 values) under the key
/// {key0, key1}; returns the four output words.
std::array<Value, 4> emitPhilox(OpBuilder &b, Location loc,
                                std::array<Value, 4> c, uint32_t key0,
                                uint32_t key1) {
  Type i32 = b.getI32Type();
  auto constant = [&](uint32_t v) -> Value {
    return b.create<arith::ConstantOp>(
        loc, b.getIntegerAttr(i32, static_cast<int32_t>(v)));
  };
  Value m0 = constant(kPhiloxM0), m1 = constant(kPhiloxM1);
  for (int round = 0; round < 10; ++round) {
    uint32_t k0 = key0 + uint32_t(round) * kPhiloxW0;
    uint32_t k1 = key1 + uint32_t(round) * kPhiloxW1;
    auto p0 = b.create<arith::MulUIExtendedOp>(loc, m0, c[0]);
    auto p1 = b.create<arith::MulUIExtendedOp>(loc, m1, c[2]);
    Value x0 = b.create<arith::XOrIOp>(
        loc, b.create<arith::XOrIOp>(loc, p1.getHigh(), c[1]), constant(k0));
    Value x2 = b.create<arith::XOrIOp>(
        loc, b.create<arith::XOrIOp>(loc, p0.getHigh(), c[3]), constant(k1));
    c = {x0, p1.getLow(), x2, p0.getLow()};
  }
  return c;
}

/// words[k] for a dynamic k in 0..n-1 (n = words.size()), as a select chain.
Value pick(OpBuilder &b, Location loc, ArrayRef<Value> words, Value k) {
  Value r = words.back();
  for (int64_t i = int64_t(words.size()) - 2; i >= 0; --i) {
    Value is = b.create<arith::CmpIOp>(
        loc, arith::CmpIPredicate::eq, k,
        b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(i)));
    r = b.create<arith::SelectOp>(loc, is, words[i], r);
  }
  return r;
}

/// \p v (f32 or f64) converted to the float type \p to.
Value toFloat(OpBuilder &b, Location loc, Value v, FloatType to) {
  unsigned from = v.getType().getIntOrFloatBitWidth();
  if (from == to.getWidth())
    return v;
  if (from < to.getWidth())
    return b.create<arith::ExtFOp>(loc, to, v);
  return b.create<arith::TruncFOp>(loc, to, v);
}

struct RandomPattern : OpConversionPattern<RandomOp> {
  RandomPattern(MLIRContext *ctx, uint64_t seed)
      : OpConversionPattern(ctx), seed(seed) {}

  LogicalResult
  matchAndRewrite(RandomOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = cast<RankedTensorType>(op.getType());
    auto elem = cast<FloatType>(out.getElementType());
    int64_t rank = out.getRank();
    bool normal = op.getDistribution() == RandomDistribution::normal;
    double a = op.getA().convertToDouble(), b = op.getB().convertToDouble();
    uint64_t stream = static_cast<uint64_t>(op.getStream());
    Value init = rewriter.create<tensor::EmptyOp>(loc, out.getShape(), elem);

    // uniform with a range that vanishes in f32: every element is a.
    float lo = float(a), hi = float(b);
    if (!normal && !(hi > lo)) {
      Value v = toFloat(
          rewriter, loc,
          rewriter.create<arith::ConstantOp>(loc, rewriter.getF32FloatAttr(lo)),
          elem);
      rewriter.replaceOp(
          op, rewriter.create<linalg::FillOp>(loc, v, init).getResult(0));
      return success();
    }

    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto body = [&](OpBuilder &bb, Location l, ValueRange) {
      Type i32 = bb.getI32Type(), i64 = bb.getI64Type();
      auto i64Const = [&](int64_t v) -> Value {
        return bb.create<arith::ConstantOp>(l, bb.getI64IntegerAttr(v));
      };
      auto i32Const = [&](uint32_t v) -> Value {
        return bb.create<arith::ConstantOp>(
            l, bb.getIntegerAttr(i32, static_cast<int32_t>(v)));
      };
      // 1. The flat index and the counter.
      Value flat = rank == 0 ? Value(bb.create<arith::ConstantIndexOp>(l, 0))
                             : Value(bb.create<linalg::IndexOp>(l, 0));
      for (int64_t i = 1; i < rank; ++i) {
        Value size = bb.create<arith::ConstantIndexOp>(l, out.getDimSize(i));
        flat =
            bb.create<arith::AddIOp>(l, bb.create<arith::MulIOp>(l, flat, size),
                                     bb.create<linalg::IndexOp>(l, i));
      }
      Value j = bb.create<arith::IndexCastOp>(l, i64, flat);
      Value block = bb.create<arith::ShRUIOp>(l, j, i64Const(2));
      Value k = bb.create<arith::AndIOp>(l, j, i64Const(3));
      std::array<Value, 4> counter = {
          bb.create<arith::TruncIOp>(l, i32, block),
          bb.create<arith::TruncIOp>(
              l, i32, bb.create<arith::ShRUIOp>(l, block, i64Const(32))),
          i32Const(uint32_t(stream)), i32Const(uint32_t(stream >> 32))};
      // 2. The block.
      std::array<Value, 4> w =
          emitPhilox(bb, l, counter, uint32_t(seed), uint32_t(seed >> 32));
      Value result;
      if (!normal) {
        // 3. Uniform.
        Type f32 = bb.getF32Type();
        auto f32Const = [&](float v) -> Value {
          return bb.create<arith::ConstantOp>(l, bb.getF32FloatAttr(v));
        };
        Value word = pick(bb, l, w, k);
        Value top = bb.create<arith::ShRUIOp>(l, word, i32Const(8));
        Value u =
            bb.create<arith::MulFOp>(l, bb.create<arith::UIToFPOp>(l, f32, top),
                                     f32Const(1.0f / 16777216.0f));
        Value v = bb.create<arith::AddFOp>(
            l, f32Const(lo), bb.create<arith::MulFOp>(l, f32Const(hi - lo), u));
        Value below = bb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLT, v,
                                               f32Const(hi));
        Value clamped = bb.create<arith::SelectOp>(
            l, below, v, f32Const(std::nextafter(hi, lo)));
        result = toFloat(bb, l, clamped, elem);
        if (elem.getWidth() < 32) {
          // Rounding to a narrower type may reach b again.
          APFloat hiE(hi), belowE(0.0f);
          bool lost;
          hiE.convert(elem.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                      &lost);
          belowE = hiE;
          belowE.next(/*nextDown=*/true);
          Value lt = bb.create<arith::CmpFOp>(
              l, arith::CmpFPredicate::OLT, result,
              bb.create<arith::ConstantOp>(l, bb.getFloatAttr(elem, hiE)));
          result = bb.create<arith::SelectOp>(
              l, lt, result,
              bb.create<arith::ConstantOp>(l, bb.getFloatAttr(elem, belowE)));
        }
      } else {
        // 4. Normal (Box-Muller).
        Type f64 = bb.getF64Type();
        auto f64Const = [&](double v) -> Value {
          return bb.create<arith::ConstantOp>(l, bb.getF64FloatAttr(v));
        };
        Value p = bb.create<arith::ShRUIOp>(l, k, i64Const(1));
        Value first = pick(bb, l, {w[0], w[2]}, p);
        Value second = pick(bb, l, {w[1], w[3]}, p);
        constexpr double kTwoM32 = 1.0 / 4294967296.0;
        Value u1 = bb.create<arith::MulFOp>(
            l,
            bb.create<arith::AddFOp>(
                l, bb.create<arith::UIToFPOp>(l, f64, first), f64Const(1.0)),
            f64Const(kTwoM32));
        Value u2 = bb.create<arith::MulFOp>(
            l, bb.create<arith::UIToFPOp>(l, f64, second), f64Const(kTwoM32));
        Value r = bb.create<math::SqrtOp>(
            l, bb.create<arith::MulFOp>(l, f64Const(-2.0),
                                        bb.create<math::LogOp>(l, u1)));
        Value theta = bb.create<arith::MulFOp>(
            l, f64Const(6.283185307179586476925286766559), u2);
        Value even = bb.create<arith::CmpIOp>(
            l, arith::CmpIPredicate::eq,
            bb.create<arith::AndIOp>(l, k, i64Const(1)), i64Const(0));
        Value trig = bb.create<arith::SelectOp>(
            l, even, bb.create<math::CosOp>(l, theta),
            bb.create<math::SinOp>(l, theta));
        Value z = bb.create<arith::MulFOp>(l, r, trig);
        bool wide = elem.getWidth() >= 64;
        double mean = wide ? a : double(float(a));
        double stddev = wide ? b : double(float(b));
        Value v = bb.create<arith::AddFOp>(
            l, f64Const(mean),
            bb.create<arith::MulFOp>(l, f64Const(stddev), z));
        result = toFloat(bb, l, v, elem);
      }
      bb.create<linalg::YieldOp>(l, result);
    };
    rewriter.replaceOpWithNewOp<linalg::GenericOp>(
        op, TypeRange{out}, ValueRange{}, init, maps, iterators, body);
    return success();
  }

  uint64_t seed;
};

struct DropoutPattern : OpConversionPattern<DropoutOp> {
  DropoutPattern(MLIRContext *ctx, uint64_t seed)
      : OpConversionPattern(ctx), seed(seed) {}

  LogicalResult
  matchAndRewrite(DropoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto elem = cast<FloatType>(type.getElementType());
    int64_t rank = type.getRank();
    double p = op.getP().convertToDouble();
    uint64_t stream = static_cast<uint64_t>(op.getStream());
    Value x = adaptor.getInput();
    if (p == 0.0) {
      rewriter.replaceOp(op, x);
      return success();
    }
    Type i32 = rewriter.getI32Type(), i64 = rewriter.getI64Type();
    // The step's first word index, (step << 34), and the sizes that make
    // the flat index.
    Value step = rewriter.create<tensor::ExtractOp>(loc, adaptor.getStep(),
                                                    ValueRange{});
    if (!step.getType().isInteger(64))
      step = rewriter.create<arith::FPToSIOp>(loc, i64, step);
    Value base = rewriter.create<arith::ShLIOp>(
        loc, step,
        rewriter.create<arith::ConstantOp>(loc,
                                           rewriter.getI64IntegerAttr(34)));
    SmallVector<Value> sizes(rank); // of dimensions 1.., for the flat index
    for (int64_t i = 1; i < rank; ++i)
      sizes[i] = dimValue(rewriter, loc, x, i);
    uint32_t threshold = nnc::nn::dropoutThreshold(p);
    APFloat scale(1.0 / (1.0 - p));
    bool lost;
    scale.convert(elem.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &lost);

    auto body = [&](OpBuilder &bb, Location l, ValueRange args) -> Value {
      auto i64Const = [&](int64_t v) -> Value {
        return bb.create<arith::ConstantOp>(l, bb.getI64IntegerAttr(v));
      };
      auto i32Const = [&](uint32_t v) -> Value {
        return bb.create<arith::ConstantOp>(
            l, bb.getIntegerAttr(i32, static_cast<int32_t>(v)));
      };
      Value flat = rank == 0 ? Value(bb.create<arith::ConstantIndexOp>(l, 0))
                             : Value(bb.create<linalg::IndexOp>(l, 0));
      for (int64_t i = 1; i < rank; ++i)
        flat = bb.create<arith::AddIOp>(
            l, bb.create<arith::MulIOp>(l, flat, sizes[i]),
            bb.create<linalg::IndexOp>(l, i));
      Value j = bb.create<arith::AddIOp>(
          l, base, bb.create<arith::IndexCastOp>(l, i64, flat));
      Value block = bb.create<arith::ShRUIOp>(l, j, i64Const(2));
      Value k = bb.create<arith::AndIOp>(l, j, i64Const(3));
      std::array<Value, 4> counter = {
          bb.create<arith::TruncIOp>(l, i32, block),
          bb.create<arith::TruncIOp>(
              l, i32, bb.create<arith::ShRUIOp>(l, block, i64Const(32))),
          i32Const(uint32_t(stream)), i32Const(uint32_t(stream >> 32))};
      std::array<Value, 4> w =
          emitPhilox(bb, l, counter, uint32_t(seed), uint32_t(seed >> 32));
      Value top = bb.create<arith::ShRUIOp>(l, pick(bb, l, w, k), i32Const(8));
      Value keep = bb.create<arith::CmpIOp>(l, arith::CmpIPredicate::uge, top,
                                            i32Const(threshold));
      Value m = bb.create<arith::SelectOp>(
          l, keep,
          bb.create<arith::ConstantOp>(l, bb.getFloatAttr(elem, scale)),
          bb.create<arith::ConstantOp>(l, bb.getFloatAttr(elem, 0.0)));
      return bb.create<arith::MulFOp>(l, args[0], m);
    };
    rewriter.replaceOp(
        op, buildElementwise(rewriter, loc, type, ValueRange{x}, body));
    return success();
  }

  uint64_t seed;
};

} // namespace

uint32_t nnc::nn::dropoutThreshold(double p) {
  return static_cast<uint32_t>(std::ceil(p * 16777216.0));
}

void nnc::nn::populateRandomPatterns(RewritePatternSet &patterns,
                                     uint64_t seed) {
  patterns.add<RandomPattern, DropoutPattern>(patterns.getContext(), seed);
}
