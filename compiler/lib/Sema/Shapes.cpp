//===- Shapes.cpp - Broadcasting, matmul, dtype and device rules
//-----------===//
//
// The tensor rules of .nn, stricter than PyTorch's where PyTorch is silently
// surprising:
//   - dtypes never mix: f32 + f64, or f32 + i64, is an error with a note on
//     how to cast. A host number adapts to the tensor's dtype, except that a
//     float number does not silently turn an integer tensor into a float one.
//   - broadcasting follows NumPy/PyTorch: align from the right; sizes must
//     be equal or 1. Two different symbolic sizes (the batches `B` and `B2`
//     of two loops) clash; a symbolic size against a constant is accepted
//     here (its value is only known at run time) and checked by the runtime.
//   - both operands must be on the same device.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

using namespace nnc;

bool SemaImpl::checkSameDevice(const Value &l, const Value &r,
                               SourceRange range) {
  if (!l.type.isTensor() || !r.type.isTensor())
    return true;
  if (deviceName(l.type.device) == deviceName(r.type.device))
    return true;
  auto d = error(range, quoted(l) + " is on " + deviceName(l.type.device) +
                            ", but " + quoted(r) + " is on " +
                            deviceName(r.type.device));
  d.range(l.range).range(r.range);
  d.note(r.range, "move one of them, e.g. '" + r.describe + ".to(" +
                      deviceName(l.type.device) + ")'");
  return false;
}

bool SemaImpl::broadcastShapes(const Value &l, const Value &r,
                               std::vector<Dim> &out, SourceRange range) {
  const std::vector<Dim> &a = l.type.shape, &b = r.type.shape;
  size_t n = std::max(a.size(), b.size());
  out.assign(n, Dim::unknown());
  for (size_t i = 0; i < n; ++i) {
    const Dim *da = i < n - a.size() ? nullptr : &a[i - (n - a.size())];
    const Dim *db = i < n - b.size() ? nullptr : &b[i - (n - b.size())];
    if (!da) {
      out[i] = *db;
      continue;
    }
    if (!db) {
      out[i] = *da;
      continue;
    }
    const Dim &x = *da, &y = *db;
    if (x.isConst() && x.value == 1) {
      out[i] = y;
      continue;
    }
    if (y.isConst() && y.value == 1) {
      out[i] = x;
      continue;
    }
    bool clash = (x.isConst() && y.isConst() && x.value != y.value) ||
                 (x.isSym() && y.isSym() && x.value != y.value);
    if (clash) {
      auto d = error(range, "shapes " + shapeStr(a) + " of " + quoted(l) +
                                " and " + shapeStr(b) + " of " + quoted(r) +
                                " do not broadcast: " + dim(x) + " vs " +
                                dim(y) + " in dimension " + std::to_string(i));
      d.range(l.range).range(r.range);
      if (l.defRange.isValid() && l.defRange != l.range)
        d.note(l.defRange,
               quoted(l) + " has shape " + shapeStr(a) + dataOrigin(l));
      if (r.defRange.isValid() && r.defRange != r.range)
        d.note(r.defRange,
               quoted(r) + " has shape " + shapeStr(b) + dataOrigin(r));
      return false;
    }
    out[i] = x.isConst() || x.isSym() ? x : y;
  }
  return true;
}

Value SemaImpl::binaryArith(BinaryOp op, const Value &l, const Value &r,
                            SourceRange range, SourceRange opRange) {
  bool cmp = op == BinaryOp::Lt || op == BinaryOp::Le || op == BinaryOp::Gt ||
             op == BinaryOp::Ge || op == BinaryOp::Eq || op == BinaryOp::Ne;
  bool logic = op == BinaryOp::And || op == BinaryOp::Or;
  // One side may be a host number: it takes the tensor's dtype.
  const Value *tensor = l.type.isTensor() ? &l : &r;
  const Value *other = l.type.isTensor() ? &r : &l;
  if (!other->type.isTensor()) {
    const Type &t = other->type;
    if (t.kind == Type::Kind::Bool && tensor->type.dtype == DType::Bool &&
        (logic || op == BinaryOp::Eq || op == BinaryOp::Ne)) {
      Value v = *tensor;
      v.describe.clear();
      v.defRange = {};
      return v;
    }
    if (!t.isHostNumber()) {
      error(other->range, std::string("operator '") + spelling(op) +
                              "' between tensor " + quoted(*tensor) + " and " +
                              quoted(*other) + " of type " + typeStr(t))
          .range(opRange);
      return Value::error(range);
    }
    if (logic || tensor->type.dtype == DType::Bool) {
      error(opRange, std::string("operator '") + spelling(op) +
                         "' is not defined for " +
                         dtypeName(tensor->type.dtype) + " tensor " +
                         quoted(*tensor) + " and a number")
          .range(tensor->range);
      return Value::error(range);
    }
    if (t.kind == Type::Kind::Float && isIntDType(tensor->type.dtype)) {
      auto d =
          error(opRange, std::string("mixing ") +
                             dtypeName(tensor->type.dtype) + " tensor " +
                             quoted(*tensor) + " with float " + quoted(*other));
      d.range(tensor->range).range(other->range);
      d.note(tensor->range,
             "convert the tensor first: '" + tensor->describe + " as f32'");
      return Value::error(range);
    }
    if (op == BinaryOp::Div && isIntDType(tensor->type.dtype)) {
      error(opRange, std::string("'/' of an ") + dtypeName(tensor->type.dtype) +
                         " tensor: nnc does not silently turn integers into "
                         "floats")
          .range(tensor->range)
          .note(tensor->range,
                "cast first, e.g. '" + tensor->describe + " as f32'");
      return Value::error(range);
    }
    Value v = makeTensor(cmp ? DType::Bool : tensor->type.dtype,
                         tensor->type.shape, range, "", tensor->type.device);
    return v;
  }
  if (!l.type.isTensor() || !r.type.isTensor())
    return Value::error(range);
  // Tensor with tensor.
  if (l.type.dtype != r.type.dtype) {
    auto d = error(opRange, std::string("mismatched dtypes in '") +
                                spelling(op) + "': " + quoted(l) + " is " +
                                dtypeName(l.type.dtype) + " but " + quoted(r) +
                                " is " + dtypeName(r.type.dtype));
    d.range(l.range).range(r.range);
    bool lFloat = isFloatDType(l.type.dtype);
    const Value &convert = lFloat ? r : l;
    DType to = lFloat ? l.type.dtype : r.type.dtype;
    d.note(convert.range, "convert one side explicitly, e.g. '" +
                              convert.describe + " as " + dtypeName(to) + "'");
    return Value::error(range);
  }
  if (logic && l.type.dtype != DType::Bool) {
    error(opRange, std::string("'") + spelling(op) +
                       "' needs bool tensors, but " + quoted(l) + " is " +
                       typeStr(l.type));
    return Value::error(range);
  }
  if (!logic && !cmp && l.type.dtype == DType::Bool) {
    error(opRange, std::string("arithmetic '") + spelling(op) +
                       "' is not defined for bool tensors; cast with 'as f32'")
        .range(l.range);
    return Value::error(range);
  }
  if (op == BinaryOp::Div && isIntDType(l.type.dtype)) {
    error(opRange, std::string("'/' of ") + dtypeName(l.type.dtype) +
                       " tensors: nnc does not silently turn integers into "
                       "floats")
        .range(l.range)
        .range(r.range)
        .note(l.range, "cast first, e.g. '" + l.describe + " as f32'");
    return Value::error(range);
  }
  if (!checkSameDevice(l, r, opRange))
    return Value::error(range);
  std::vector<Dim> shape;
  if (!broadcastShapes(l, r, shape, opRange))
    return Value::error(range);
  return makeTensor(cmp ? DType::Bool : l.type.dtype, shape, range, "",
                    l.type.device);
}

Value SemaImpl::matmul(const Value &l, const Value &r, SourceRange range,
                       SourceRange opRange) {
  for (const Value *v : {&l, &r}) {
    if (!v->type.isTensor()) {
      error(v->range, "'@' multiplies tensors, but " + quoted(*v) + " is " +
                          typeStr(v->type))
          .range(opRange);
      return Value::error(range);
    }
    if (v->type.rank() == 0) {
      error(v->range, "'@' needs tensors of at least 1 dimension, but " +
                          quoted(*v) + " is a scalar; use '*'")
          .range(opRange);
      return Value::error(range);
    }
    if (v->type.dtype == DType::Bool) {
      error(v->range, "'@' is not defined for bool tensors").range(opRange);
      return Value::error(range);
    }
  }
  if (l.type.dtype != r.type.dtype) {
    auto d =
        error(opRange, std::string("mismatched dtypes in '@': ") + quoted(l) +
                           " is " + dtypeName(l.type.dtype) + " but " +
                           quoted(r) + " is " + dtypeName(r.type.dtype));
    d.range(l.range).range(r.range);
    return Value::error(range);
  }
  if (!checkSameDevice(l, r, opRange))
    return Value::error(range);
  std::vector<Dim> a = l.type.shape, b = r.type.shape;
  bool aVec = a.size() == 1, bVec = b.size() == 1;
  if (aVec)
    a.insert(a.begin(), Dim::constant(1));
  if (bVec)
    b.push_back(Dim::constant(1));
  const Dim &k1 = a[a.size() - 1];
  const Dim &k2 = b[b.size() - 2];
  bool clash = (k1.isConst() && k2.isConst() && k1.value != k2.value) ||
               (k1.isSym() && k2.isSym() && k1.value != k2.value);
  if (clash) {
    auto d =
        error(opRange, "matrix product of " + quoted(l) + " " +
                           shapeStr(l.type.shape) + " and " + quoted(r) + " " +
                           shapeStr(r.type.shape) + ": inner sizes " + dim(k1) +
                           " and " + dim(k2) + " differ");
    d.range(l.range).range(r.range);
    const Dim &m = b[b.size() - 1];
    if (b.size() == 2 && m == k1)
      d.note(r.range,
             "did you mean to transpose it: 'transpose(" + r.describe + ")'?");
    return Value::error(range);
  }
  // Batch dimensions broadcast.
  Value la = l, rb = r;
  la.type.shape.assign(a.begin(), a.end() - 2);
  rb.type.shape.assign(b.begin(), b.end() - 2);
  std::vector<Dim> batch;
  if (!broadcastShapes(la, rb, batch, opRange))
    return Value::error(range);
  std::vector<Dim> out = batch;
  if (!aVec)
    out.push_back(a[a.size() - 2]);
  if (!bVec)
    out.push_back(b[b.size() - 1]);
  return makeTensor(l.type.dtype, out, range, "", l.type.device);
}

bool SemaImpl::expectTensor(const Value &v, const std::string &what) {
  if (v.isError())
    return false;
  if (v.type.isTensor())
    return true;
  error(v.range, what + " must be a tensor, but " + quoted(v) + " is " +
                     typeStr(v.type));
  return false;
}

bool SemaImpl::expectFloatTensor(const Value &v, const std::string &what) {
  if (!expectTensor(v, what))
    return false;
  if (isFloatDType(v.type.dtype))
    return true;
  error(v.range, what + " must be a floating-point tensor, but " + quoted(v) +
                     " is " + typeStr(v.type))
      .note(v.range, "convert it with '" + v.describe + " as f32'");
  return false;
}

std::optional<int64_t> SemaImpl::expectConstInt(const Value &v,
                                                const std::string &what) {
  if (v.isError())
    return std::nullopt;
  if (v.type.kind != Type::Kind::Int) {
    error(v.range, what + " must be an integer, but " + quoted(v) + " is " +
                       typeStr(v.type));
    return std::nullopt;
  }
  if (!v.cv.isKnown()) {
    error(v.range, what + " must be known at compile time");
    return std::nullopt;
  }
  return v.cv.i;
}

std::optional<double> SemaImpl::expectConstNumber(const Value &v,
                                                  const std::string &what) {
  if (v.isError())
    return std::nullopt;
  if (!v.type.isHostNumber()) {
    error(v.range, what + " must be a number, but " + quoted(v) + " is " +
                       typeStr(v.type));
    return std::nullopt;
  }
  if (!v.cv.isKnown())
    return std::nullopt;
  return v.cv.kind == ConstVal::Kind::Float ? v.cv.f : double(v.cv.i);
}

std::optional<std::vector<Dim>> SemaImpl::expectShape(const Value &v,
                                                      const std::string &what) {
  if (v.isError())
    return std::nullopt;
  if (v.type.kind == Type::Kind::Int) {
    if (v.cv.isKnown())
      return std::vector<Dim>{Dim::constant(v.cv.i)};
    return std::vector<Dim>{v.sizeDim};
  }
  if (v.type.kind == Type::Kind::List) {
    std::vector<Dim> out;
    for (size_t i = 0; i < v.type.elems.size(); ++i) {
      if (v.type.elems[i].kind != Type::Kind::Int) {
        error(v.range, what +
                           " must be a list of integer sizes, but "
                           "element " +
                           std::to_string(i) + " is " +
                           typeStr(v.type.elems[i]));
        return std::nullopt;
      }
      if (v.items[i].kind == ConstVal::Kind::Int && v.items[i].i < 0 &&
          v.items[i].i != -1) {
        error(v.range,
              what + " has a negative size " + std::to_string(v.items[i].i));
        return std::nullopt;
      }
      out.push_back(v.itemDims[i]);
    }
    return out;
  }
  error(v.range, what + " must be a list of sizes such as [3, 4], but " +
                     quoted(v) + " is " + typeStr(v.type));
  return std::nullopt;
}

std::optional<int64_t> SemaImpl::normalizeDim(const Value &dimArg, size_t rank,
                                              const std::string &what) {
  std::optional<int64_t> d = expectConstInt(dimArg, what);
  if (!d)
    return std::nullopt;
  int64_t r = static_cast<int64_t>(rank);
  if (*d < -r || *d >= r || r == 0) {
    error(dimArg.range, what + " " + std::to_string(*d) +
                            " is out of range for a tensor of " +
                            std::to_string(rank) + " dimension" +
                            (rank == 1 ? "" : "s") +
                            (rank ? " (valid: " + std::to_string(-r) + " to " +
                                        std::to_string(r - 1) + ")"
                                  : ""));
    return std::nullopt;
  }
  return *d < 0 ? *d + r : *d;
}

Device SemaImpl::resolveDevice(const Value &v) {
  if (v.type.kind == Type::Kind::DeviceT && v.cv.isKnown())
    return static_cast<Device>(v.cv.i);
  if (v.type.kind == Type::Kind::Str && v.cv.isKnown()) {
    if (v.cv.s == "cpu")
      return Device::CPU;
    if (v.cv.s == "cuda")
      return Device::CUDA;
  }
  if (!v.isError())
    error(v.range, "expected a device (cpu, cuda or auto), but " + quoted(v) +
                       " is " + typeStr(v.type));
  return Device::Default;
}
