//===- NNDialect.cpp - The nn dialect and its verifiers
//--------------------===//
//
// Verifiers report compiler bugs (user errors are the checker's): each names
// the values and shapes involved.
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/IR/NNDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace nnc::nn;

#include "nnc/Dialect/NN/IR/NNDialect.cpp.inc"
#include "nnc/Dialect/NN/IR/NNEnums.cpp.inc"
#include "nnc/Dialect/NN/IR/NNInterfaces.cpp.inc"

namespace {
/// Every nn op is pure, so any of them may be inlined anywhere.
struct NNInlinerInterface : public DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "nnc/Dialect/NN/IR/NNOps.cpp.inc"
      >();
  addInterfaces<NNInlinerInterface>();
}

namespace {
/// True if two sizes may be equal (either dynamic, or the same).
bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

std::string shapeStr(ShapedType t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.getRank(); ++i) {
    if (i)
      s += ", ";
    s += t.isDynamicDim(i) ? "?" : std::to_string(t.getDimSize(i));
  }
  return s + "]";
}
} // namespace

LogicalResult CmpOp::verify() {
  auto l = cast<RankedTensorType>(getLhs().getType());
  auto r = cast<RankedTensorType>(getRhs().getType());
  auto res = cast<RankedTensorType>(getResult().getType());
  if (l != r)
    return emitOpError("operands must have one type, got ")
           << l << " and " << r;
  if (res.getShape() != l.getShape())
    return emitOpError("result shape ")
           << shapeStr(res) << " differs from operand shape " << shapeStr(l);
  return success();
}

LogicalResult SelectOp::verify() {
  auto c = cast<RankedTensorType>(getCondition().getType());
  auto t = cast<RankedTensorType>(getTrueValue().getType());
  if (getTrueValue().getType() != getFalseValue().getType() ||
      getResult().getType() != t)
    return emitOpError("both choices and the result must have one type");
  if (c.getShape() != t.getShape())
    return emitOpError("condition shape ")
           << shapeStr(c) << " differs from " << shapeStr(t);
  return success();
}

LogicalResult CastOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (in.getShape() != out.getShape())
    return emitOpError("a cast keeps the shape, but ")
           << shapeStr(in) << " becomes " << shapeStr(out);
  return success();
}

LogicalResult MatmulOp::verify() {
  auto a = cast<RankedTensorType>(getLhs().getType());
  auto b = cast<RankedTensorType>(getRhs().getType());
  auto c = cast<RankedTensorType>(getResult().getType());
  if (a.getRank() < 2 || a.getRank() != b.getRank() ||
      c.getRank() != a.getRank())
    return emitOpError("operands and result must have one rank >= 2, got ")
           << shapeStr(a) << ", " << shapeStr(b) << " -> " << shapeStr(c);
  if (a.getElementType() != b.getElementType() ||
      a.getElementType() != c.getElementType())
    return emitOpError("element types differ");
  int64_t r = a.getRank();
  for (int64_t i = 0; i + 2 < r; ++i)
    if (!compatible(a.getDimSize(i), b.getDimSize(i)) ||
        !compatible(a.getDimSize(i), c.getDimSize(i)))
      return emitOpError("batch dimension ") << i << " differs";
  if (!compatible(a.getDimSize(r - 1), b.getDimSize(r - 2)))
    return emitOpError("inner sizes differ: ")
           << shapeStr(a) << " x " << shapeStr(b);
  if (!compatible(c.getDimSize(r - 2), a.getDimSize(r - 2)) ||
      !compatible(c.getDimSize(r - 1), b.getDimSize(r - 1)))
    return emitOpError("result shape ") << shapeStr(c) << " does not match "
                                        << shapeStr(a) << " x " << shapeStr(b);
  return success();
}

namespace {
template <typename Op> LogicalResult verifyReduce(Op op, bool indexResult) {
  auto in = cast<RankedTensorType>(op.getInput().getType());
  auto out = cast<RankedTensorType>(op.getResult().getType());
  ArrayRef<int64_t> dims = op.getDims();
  llvm::SmallVector<bool> reduced(in.getRank(), false);
  for (int64_t d : dims) {
    if (d < 0 || d >= in.getRank())
      return op.emitOpError("dimension ")
             << d << " out of range for " << shapeStr(in);
    if (reduced[d])
      return op.emitOpError("dimension ") << d << " listed twice";
    reduced[d] = true;
  }
  llvm::SmallVector<int64_t> expect;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    if (!reduced[i])
      expect.push_back(in.getDimSize(i));
    else if (op.getKeepdim())
      expect.push_back(1);
  }
  if (static_cast<int64_t>(expect.size()) != out.getRank())
    return op.emitOpError("result ") << shapeStr(out) << " has the wrong rank";
  for (size_t i = 0; i < expect.size(); ++i)
    if (!compatible(expect[i], out.getDimSize(i)))
      return op.emitOpError("result ")
             << shapeStr(out) << " does not match the reduction of "
             << shapeStr(in);
  if (indexResult && !out.getElementType().isInteger(64))
    return op.emitOpError("result must hold i64 indices");
  if (!indexResult && out.getElementType() != in.getElementType())
    return op.emitOpError("result element type differs from the input's");
  return success();
}
} // namespace

LogicalResult ReduceSumOp::verify() { return verifyReduce(*this, false); }
LogicalResult ReduceMaxOp::verify() { return verifyReduce(*this, false); }
LogicalResult ArgmaxOp::verify() {
  if (getDims().size() != 1)
    return emitOpError("argmax reduces exactly one dimension");
  return verifyReduce(*this, true);
}

LogicalResult BroadcastOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("element types differ");
  if (in.getRank() > out.getRank())
    return emitOpError("cannot broadcast ")
           << shapeStr(in) << " to the smaller rank of " << shapeStr(out);
  int64_t off = out.getRank() - in.getRank();
  for (int64_t i = 0; i < in.getRank(); ++i) {
    int64_t a = in.getDimSize(i), b = out.getDimSize(i + off);
    if (a != 1 && !compatible(a, b))
      return emitOpError("cannot broadcast ")
             << shapeStr(in) << " to " << shapeStr(out);
  }
  if (!out.hasStaticShape() && !getShapeOf())
    return emitOpError("a result with dynamic sizes needs 'like' a tensor of "
                       "that shape");
  if (auto like = getShapeOf()) {
    auto lt = cast<RankedTensorType>(like.getType());
    if (lt.getShape() != out.getShape())
      return emitOpError("'like' tensor has shape ")
             << shapeStr(lt) << ", the result " << shapeStr(out);
  }
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("element types differ");
  // Several dynamic sizes are allowed only when the reshape inserts or drops
  // dimensions of size 1 (the other sizes stay, in order): then every size
  // is known from the input.
  auto nonUnit = [](RankedTensorType t) {
    SmallVector<int64_t> dims;
    for (int64_t d : t.getShape())
      if (d != 1)
        dims.push_back(d);
    return dims;
  };
  if (out.getNumDynamicDims() > 1 && nonUnit(in) != nonUnit(out))
    return emitOpError("at most one result dimension may be dynamic unless "
                       "only size-1 dimensions are inserted or dropped, got ")
           << shapeStr(in) << " -> " << shapeStr(out);
  if (in.hasStaticShape() && out.hasStaticShape() &&
      in.getNumElements() != out.getNumElements())
    return emitOpError("element count changes: ")
           << shapeStr(in) << " -> " << shapeStr(out);
  return success();
}

LogicalResult TransposeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  ArrayRef<int64_t> perm = getPerm();
  if (static_cast<int64_t>(perm.size()) != in.getRank() ||
      out.getRank() != in.getRank())
    return emitOpError("permutation has ")
           << perm.size() << " entries for rank " << in.getRank();
  llvm::SmallVector<bool> seen(perm.size(), false);
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] < 0 || perm[i] >= in.getRank() || seen[perm[i]])
      return emitOpError("invalid permutation");
    seen[perm[i]] = true;
    if (!compatible(out.getDimSize(i), in.getDimSize(perm[i])))
      return emitOpError("result ")
             << shapeStr(out) << " is not " << shapeStr(in) << " permuted";
  }
  return success();
}

LogicalResult OneHotOp::verify() {
  auto in = cast<RankedTensorType>(getIndices().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (out.getRank() != in.getRank() + 1)
    return emitOpError("result must add one dimension (the classes)");
  for (int64_t i = 0; i < in.getRank(); ++i)
    if (!compatible(in.getDimSize(i), out.getDimSize(i)))
      return emitOpError("result ")
             << shapeStr(out) << " does not extend " << shapeStr(in);
  if (out.isDynamicDim(out.getRank() - 1))
    return emitOpError("the number of classes must be static");
  return success();
}

LogicalResult FillOp::verify() {
  auto out = cast<RankedTensorType>(getResult().getType());
  if (!out.hasStaticShape() && !getShapeOf())
    return emitOpError("a result with dynamic sizes needs 'like' a tensor of "
                       "that shape");
  if (auto like = getShapeOf())
    if (cast<RankedTensorType>(like.getType()).getShape() != out.getShape())
      return emitOpError("'like' tensor and result shapes differ");
  return success();
}

LogicalResult RandomOp::verify() {
  auto out = cast<RankedTensorType>(getResult().getType());
  if (!out.hasStaticShape())
    return emitOpError("random tensors have static shapes");
  if (getDistribution() == RandomDistribution::uniform &&
      !(getA().convertToDouble() < getB().convertToDouble()))
    return emitOpError("uniform needs a < b");
  if (getDistribution() == RandomDistribution::normal &&
      getB().convertToDouble() < 0)
    return emitOpError("normal needs std >= 0");
  return success();
}

LogicalResult DropoutOp::verify() {
  double p = getP().convertToDouble();
  if (!(p >= 0.0 && p < 1.0))
    return emitOpError("the probability must be in [0, 1), but it is ") << p;
  auto step = cast<RankedTensorType>(getStep().getType());
  if (step.getRank() != 0 ||
      !(step.getElementType().isF64() || step.getElementType().isInteger(64)))
    return emitOpError("the step must be a tensor<f64> or tensor<i64>");
  if (static_cast<int64_t>(getStream()) < 0)
    return emitOpError("the stream must not be negative (streams with the "
                       "top bit set are the runtime's)");
  return success();
}

#define GET_OP_CLASSES
#include "nnc/Dialect/NN/IR/NNOps.cpp.inc"
