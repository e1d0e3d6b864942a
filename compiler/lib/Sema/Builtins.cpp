//===- Builtins.cpp - The built-in functions of .nn
//------------------------===//
//
// Each builtin has a parameter list, used for arity and named-argument
// checks, and a rule that computes its result type from its arguments'.
// The standard library (stdlib/*.nn) builds layers, losses and optimizers
// from these; later stages lower each builtin to `nn` dialect operations.
// Builtins are also reachable as `prim.name` where a library function of
// the same name shadows them.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

#include "nnc/runtime/DataHeaders.h"
#include "nnc/runtime/Memory.h"

#include <cmath>

using namespace nnc;

namespace {

using Args = std::vector<const Value *>;
using All = std::vector<ArgValue>;

Value err(SourceRange r) { return Value::error(r); }

/// A tensor with the dtype/shape/device of `like`.
Value like(SemaImpl &S, const Value &v, SourceRange r) {
  return S.makeTensor(v.type.dtype, v.type.shape, r, "", v.type.device);
}

std::optional<DType> dtypeArg(SemaImpl &S, const Value *v, DType def) {
  if (!v)
    return def;
  if (v->type.kind == Type::Kind::DTypeT)
    return parseDType(v->cv.s);
  S.error(v->range, "'dtype' must be a dtype such as f32 or i64, but " +
                        S.quoted(*v) + " is " + S.typeStr(v->type));
  return std::nullopt;
}

Device deviceArg(SemaImpl &S, const Value *v) {
  return v ? S.resolveDevice(*v) : Device::Default;
}

//===--- creation ---===//

Value creation(SemaImpl &S, const Args &a, SourceRange r, size_t shapeIdx,
               const Value *dtype, const Value *device, DType def) {
  auto shape = S.expectShape(*a[shapeIdx], "the shape");
  auto dt = dtypeArg(S, dtype, def);
  if (!shape || !dt)
    return err(r);
  // The bytes of the fixed sizes (a batch size B counts as 1), saturating.
  uint64_t bytes = dtypeBytes(*dt);
  std::string dims;
  for (const Dim &d : *shape) {
    if (d.isConst() && d.value < 0) {
      S.error(a[shapeIdx]->range, "sizes must not be negative");
      return err(r);
    }
    dims += (dims.empty() ? "" : ", ") +
            (d.isConst() ? std::to_string(d.value) : std::string("..."));
    if (d.isConst() && __builtin_mul_overflow(bytes, uint64_t(d.value), &bytes))
      bytes = ~uint64_t(0);
  }
  uint64_t machine = rt::physicalMemoryBytes();
  if (bytes > machine) {
    S.valueError(*a[shapeIdx],
                 "out of memory: a tensor of shape [" + dims + "] needs " +
                     (bytes == ~uint64_t(0)
                          ? std::string("more than 2^64 bytes")
                          : std::to_string(bytes) + " bytes") +
                     ", but this machine has " + rt::humanBytes(machine));
    return err(r);
  }
  return S.makeTensor(*dt, *shape, r, "", deviceArg(S, device));
}

//===--- elementwise ---===//

using HostFn = double (*)(double);

Value unaryMath(SemaImpl &S, const Args &a, SourceRange r, const char *name,
                HostFn fn, bool intOk) {
  const Value &x = *a[0];
  if (x.type.isHostNumber()) {
    Value v =
        S.makeHost(intOk && x.type.kind == Type::Kind::Int ? Type::Kind::Int
                                                           : Type::Kind::Float,
                   r, "");
    if (x.cv.isKnown() && fn) {
      double in = x.cv.kind == ConstVal::Kind::Float ? x.cv.f : double(x.cv.i);
      double out = fn(in);
      if (v.type.kind == Type::Kind::Int &&
          !(out >= -9223372036854775808.0 && out < 9223372036854775808.0)) {
        S.error(x.range, std::string("integer overflow in '") + name + "'");
        return err(r);
      }
      if (!std::isfinite(out)) {
        S.error(x.range, std::string("'") + name + "' of " + x.cv.str() +
                             " is not a finite number");
        return err(r);
      }
      v.cv = v.type.kind == Type::Kind::Int ? ConstVal::ofInt(int64_t(out), r)
                                            : ConstVal::ofFloat(out, r);
    }
    return v;
  }
  if (!S.expectTensor(x, std::string("the argument of '") + name + "'"))
    return err(r);
  if (!intOk && !isFloatDType(x.type.dtype)) {
    S.error(x.range, std::string("'") + name +
                         "' needs a floating-point tensor, but " + S.quoted(x) +
                         " is " + S.typeStr(x.type))
        .note(x.range, "convert it with '" + x.describe + " as f32'");
    return err(r);
  }
  return like(S, x, r);
}

#define UNARY(NAME, FN, INTOK)                                                 \
  {                                                                            \
    NAME, {{"x"}}, false, true, "elementwise " NAME,                           \
        [](SemaImpl &S, const Args &a, const All &, SourceRange r,             \
           SourceRange) { return unaryMath(S, a, r, NAME, FN, INTOK); }        \
  }

double dsign(double x) { return x > 0 ? 1 : x < 0 ? -1 : 0; }
double drsqrt(double x) { return 1.0 / std::sqrt(x); }

Value elementwise2(SemaImpl &S, const Value &x, const Value &y, SourceRange r,
                   BinaryOp op, const char *name, SourceRange calleeRange) {
  for (const Value *v : {&x, &y})
    if (!v->type.isTensor() && !v->type.isHostNumber()) {
      S.error(v->range, std::string("'") + name +
                            "' needs tensors or numbers, but " + S.quoted(*v) +
                            " is " + S.typeStr(v->type))
          .range(calleeRange);
      return err(r);
    }
  if (!x.type.isTensor() && !y.type.isTensor()) {
    Value v = S.makeHost(x.type.kind == Type::Kind::Float ||
                                 y.type.kind == Type::Kind::Float
                             ? Type::Kind::Float
                             : Type::Kind::Int,
                         r, "");
    return v;
  }
  return S.binaryArith(op, x, y, r, r);
}

//===--- reductions ---===//

Value reduce(SemaImpl &S, const Args &a, SourceRange r, const char *name,
             bool floatOnly, bool index) {
  const Value &x = *a[0];
  if (!S.expectTensor(x, std::string("the argument of '") + name + "'"))
    return err(r);
  if (floatOnly && !isFloatDType(x.type.dtype)) {
    S.error(x.range, std::string("'") + name +
                         "' needs a floating-point tensor, but " + S.quoted(x) +
                         " is " + S.typeStr(x.type))
        .note(x.range, "convert it with '" + x.describe + " as f32'");
    return err(r);
  }
  if (x.type.dtype == DType::Bool && !index) {
    S.error(x.range, std::string("'") + name +
                         "' of a bool tensor: cast it "
                         "with 'as f32' first");
    return err(r);
  }
  bool keepdim = false;
  if (a.size() > 2 && a[2]) {
    if (a[2]->type.kind != Type::Kind::Bool || !a[2]->cv.isKnown()) {
      S.error(a[2]->range, "'keepdim' must be true or false");
      return err(r);
    }
    keepdim = a[2]->cv.i;
  }
  DType out = index ? DType::I64 : x.type.dtype;
  if (!a[1]) {
    std::vector<Dim> shape;
    if (keepdim)
      shape.assign(x.type.rank(), Dim::constant(1));
    return S.makeTensor(out, shape, r, "", x.type.device);
  }
  auto d = S.normalizeDim(*a[1], x.type.rank(), "dim");
  if (!d)
    return err(r);
  std::vector<Dim> shape = x.type.shape;
  if (keepdim)
    shape[*d] = Dim::constant(1);
  else
    shape.erase(shape.begin() + *d);
  return S.makeTensor(out, shape, r, "", x.type.device);
}

#define REDUCE(NAME, FLOATONLY, INDEX, SUMMARY)                                \
  {                                                                            \
    NAME, {{"x"}, {"dim", false}, {"keepdim", false}}, false, true, SUMMARY,   \
        [](SemaImpl &S, const Args &a, const All &, SourceRange r,             \
           SourceRange) { return reduce(S, a, r, NAME, FLOATONLY, INDEX); }    \
  }

//===--- shapes ---===//

Value reshape(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &x = *a[0];
  if (!S.expectTensor(x, "the tensor to reshape"))
    return err(r);
  auto shape = S.expectShape(*a[1], "the new shape");
  if (!shape)
    return err(r);
  int inferred = -1;
  for (size_t i = 0; i < shape->size(); ++i) {
    const Dim &d = (*shape)[i];
    if (d.isConst() && d.value == -1) {
      if (inferred >= 0) {
        S.error(a[1]->range, "only one size of a shape may be -1");
        return err(r);
      }
      inferred = static_cast<int>(i);
    }
  }
  // Element counts: compare the constant parts; symbols must appear on both
  // sides the same number of times.
  auto count = [](const std::vector<Dim> &s, int skip, int64_t &c,
                  std::map<int64_t, int> &syms) {
    c = 1;
    bool known = true;
    for (size_t i = 0; i < s.size(); ++i) {
      if (static_cast<int>(i) == skip)
        continue;
      if (s[i].isConst())
        c *= s[i].value;
      else if (s[i].isSym())
        syms[s[i].value]++;
      else
        known = false;
    }
    return known;
  };
  int64_t inCount, outCount;
  std::map<int64_t, int> inSyms, outSyms;
  bool inKnown = count(x.type.shape, -1, inCount, inSyms);
  bool outKnown = count(*shape, inferred, outCount, outSyms);
  if (inKnown && outKnown && inSyms == outSyms) {
    if (inferred >= 0) {
      if (outCount == 0 || inCount % outCount) {
        S.error(a[1]->range, "cannot reshape " + S.quoted(x) + " of shape " +
                                 S.shapeStr(x.type.shape) + " into " +
                                 S.shapeStr(*shape));
        return err(r);
      }
      (*shape)[inferred] = Dim::constant(inCount / outCount);
    } else if (inCount != outCount) {
      S.error(a[1]->range, "cannot reshape " + S.quoted(x) + " of shape " +
                               S.shapeStr(x.type.shape) + " (" +
                               std::to_string(inCount) + " elements) into " +
                               S.shapeStr(*shape) + " (" +
                               std::to_string(outCount) + " elements)");
      return err(r);
    }
  } else if (inferred >= 0) {
    (*shape)[inferred] = Dim::unknown();
  }
  return S.makeTensor(x.type.dtype, *shape, r, "", x.type.device);
}

Value flatten(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &x = *a[0];
  if (!S.expectTensor(x, "the tensor to flatten"))
    return err(r);
  size_t rank = x.type.rank();
  if (rank == 0)
    return S.makeTensor(x.type.dtype, {Dim::constant(1)}, r, "", x.type.device);
  Value one = S.makeHost(Type::Kind::Int, r, "1", ConstVal::ofInt(1));
  Value minus1 = S.makeHost(Type::Kind::Int, r, "-1", ConstVal::ofInt(-1));
  auto s = S.normalizeDim(a[1] ? *a[1] : one, rank, "start_dim");
  auto e = S.normalizeDim(a[2] ? *a[2] : minus1, rank, "end_dim");
  if (!s || !e)
    return err(r);
  if (*s > *e) {
    S.error(r, "'start_dim' comes after 'end_dim'");
    return err(r);
  }
  std::vector<Dim> out(x.type.shape.begin(), x.type.shape.begin() + *s);
  Dim merged = Dim::constant(1);
  for (int64_t i = *s; i <= *e; ++i) {
    const Dim &d = x.type.shape[i];
    if (merged.isConst() && d.isConst())
      merged.value *= d.value;
    else if (merged.isConst() && merged.value == 1)
      merged = d;
    else if (!(d.isConst() && d.value == 1))
      merged = Dim::unknown();
  }
  out.push_back(merged);
  out.insert(out.end(), x.type.shape.begin() + *e + 1, x.type.shape.end());
  return S.makeTensor(x.type.dtype, out, r, "", x.type.device);
}

Value transposeRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &x = *a[0];
  if (!S.expectTensor(x, "the tensor to transpose"))
    return err(r);
  if (x.type.rank() < 2 && !a[1]) {
    S.error(x.range, "'transpose' needs at least 2 dimensions, but " +
                         S.quoted(x) + " has shape " +
                         S.shapeStr(x.type.shape));
    return err(r);
  }
  Value m2 = S.makeHost(Type::Kind::Int, r, "-2", ConstVal::ofInt(-2));
  Value m1 = S.makeHost(Type::Kind::Int, r, "-1", ConstVal::ofInt(-1));
  auto d0 = S.normalizeDim(a[1] ? *a[1] : m2, x.type.rank(), "dim0");
  auto d1 = S.normalizeDim(a[2] ? *a[2] : m1, x.type.rank(), "dim1");
  if (!d0 || !d1)
    return err(r);
  std::vector<Dim> s = x.type.shape;
  std::swap(s[*d0], s[*d1]);
  return S.makeTensor(x.type.dtype, s, r, "", x.type.device);
}

Value squeezeRule(SemaImpl &S, const Args &a, SourceRange r, bool un) {
  const Value &x = *a[0];
  if (!S.expectTensor(x,
                      un ? "the tensor to unsqueeze" : "the tensor to squeeze"))
    return err(r);
  std::vector<Dim> s = x.type.shape;
  if (un) {
    auto d = S.normalizeDim(*a[1], s.size() + 1, "dim");
    if (!d)
      return err(r);
    s.insert(s.begin() + *d, Dim::constant(1));
    return S.makeTensor(x.type.dtype, s, r, "", x.type.device);
  }
  if (!a[1]) {
    std::vector<Dim> out;
    for (const Dim &d : s)
      if (!(d.isConst() && d.value == 1))
        out.push_back(d);
    return S.makeTensor(x.type.dtype, out, r, "", x.type.device);
  }
  auto d = S.normalizeDim(*a[1], s.size(), "dim");
  if (!d)
    return err(r);
  if (s[*d].isConst() && s[*d].value != 1) {
    S.error(a[1]->range, "cannot squeeze dimension " + std::to_string(*d) +
                             " of " + S.quoted(x) + ": its size is " +
                             std::to_string(s[*d].value) + ", not 1")
        .note(x.range, S.quoted(x) + " has shape " + S.shapeStr(s));
    return err(r);
  }
  if (s[*d].isConst())
    s.erase(s.begin() + *d);
  else
    s.erase(s.begin() + *d); // checked at run time
  return S.makeTensor(x.type.dtype, s, r, "", x.type.device);
}

Value catRule(SemaImpl &S, const Args &a, SourceRange r, bool stack) {
  const Value &list = *a[0];
  const char *name = stack ? "stack" : "cat";
  if (list.type.kind != Type::Kind::List || list.itemTypes.empty()) {
    S.error(list.range, std::string("'") + name +
                            "' takes a non-empty list of tensors, e.g. [a, b]");
    return err(r);
  }
  const Type &first = list.itemTypes[0];
  if (!first.isTensor()) {
    S.error(list.range, std::string("'") + name +
                            "' takes a list of tensors, but its elements are " +
                            S.typeStr(first));
    return err(r);
  }
  Value zero = S.makeHost(Type::Kind::Int, r, "0", ConstVal::ofInt(0));
  size_t rank = first.rank() + (stack ? 1 : 0);
  auto d = S.normalizeDim(a[1] ? *a[1] : zero, rank, "dim");
  if (!d)
    return err(r);
  std::vector<Dim> out = first.shape;
  Dim total = stack ? Dim::constant(0) : first.shape[*d];
  for (size_t i = 0; i < list.itemTypes.size(); ++i) {
    const Type &t = list.itemTypes[i];
    if (!t.isTensor() || t.dtype != first.dtype || t.rank() != first.rank()) {
      S.error(list.range, std::string("tensors given to '") + name +
                              "' must have one dtype and rank: element " +
                              std::to_string(i) + " is " + S.typeStr(t) +
                              ", element 0 is " + S.typeStr(first));
      return err(r);
    }
    for (size_t k = 0; k < t.rank(); ++k) {
      if (!stack && static_cast<int64_t>(k) == *d)
        continue;
      if (t.shape[k].isConst() && first.shape[k].isConst() &&
          t.shape[k].value != first.shape[k].value) {
        S.error(list.range, std::string("tensors given to '") + name +
                                "' differ in dimension " + std::to_string(k) +
                                ": " + S.shapeStr(first.shape) + " vs " +
                                S.shapeStr(t.shape));
        return err(r);
      }
    }
    if (stack)
      total.value += 1;
    else if (i > 0) {
      if (total.isConst() && t.shape[*d].isConst())
        total.value += t.shape[*d].value;
      else
        total = Dim::unknown();
    }
  }
  if (stack)
    out.insert(out.begin() + *d, total);
  else
    out[*d] = total;
  return S.makeTensor(first.dtype, out, r, "", first.device);
}

//===--- data ---===//

Value splitRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &ds = *a[0];
  if (ds.type.kind != Type::Kind::Dataset) {
    S.error(ds.range, "'split' divides a dataset, but " + S.quoted(ds) +
                          " is " + S.typeStr(ds.type));
    return err(r);
  }
  auto f = S.expectConstNumber(*a[1], "the fraction");
  if (!f)
    return err(r);
  if (!(*f > 0.0 && *f < 1.0)) {
    S.valueError(*a[1], "the fraction of 'split' must be between 0 and 1 "
                        "(exclusive), but it is " +
                            a[1]->cv.str());
    return err(r);
  }
  Type first = ds.type, second = ds.type;
  if (ds.type.dim.isConst()) {
    int64_t n = ds.type.dim.value;
    int64_t k = static_cast<int64_t>(std::floor(n * *f));
    first.dim = Dim::constant(k);
    second.dim = Dim::constant(n - k);
  } else {
    first.dim = second.dim = Dim::unknown();
  }
  Value v;
  v.type = Type::tuple({first, second});
  return v;
}

Value batchesRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &ds = *a[0];
  if (ds.type.kind != Type::Kind::Dataset) {
    S.error(ds.range, "'batches' needs a dataset, but " + S.quoted(ds) +
                          " is " + S.typeStr(ds.type));
    return err(r);
  }
  auto size = S.expectConstInt(*a[1], "the batch size");
  if (!size)
    return err(r);
  if (*size <= 0) {
    S.error(a[1]->range, "the batch size must be positive, but it is " +
                             std::to_string(*size));
    return err(r);
  }
  for (size_t i = 2; i < 4; ++i)
    if (a[i] && a[i]->type.kind != Type::Kind::Bool) {
      S.error(a[i]->range, std::string(i == 2 ? "'shuffle'" : "'drop_last'") +
                               " must be true or false, but " +
                               S.quoted(*a[i]) + " is " +
                               S.typeStr(a[i]->type));
      return err(r);
    }
  Value v;
  v.type = ds.type;
  v.type.kind = Type::Kind::Batches;
  v.type.dim = Dim::symbol(S.newBatchSymbol());
  for (Type &t : v.type.elems)
    t.shape.insert(t.shape.begin(), v.type.dim);
  return v;
}

Value predictionsRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &model = *a[0];
  const Value &ds = *a[1];
  if (model.type.kind != Type::Kind::Model) {
    S.error(model.range, "'predictions' needs a model, but " + S.quoted(model) +
                             " is " + S.typeStr(model.type));
    return err(r);
  }
  if (ds.type.kind != Type::Kind::Dataset) {
    S.error(ds.range, "'predictions' runs over a dataset, but " + S.quoted(ds) +
                          " is " + S.typeStr(ds.type));
    return err(r);
  }
  Value x = S.makeTensor(ds.type.elems[0].dtype, ds.type.elems[0].shape,
                         ds.range, "inputs of " + ds.describe);
  x.type.shape.insert(x.type.shape.begin(), Dim::symbol(S.newSymbol("B")));
  Value out = S.callValue(model, {{"", {}, x}}, r);
  if (out.isError())
    return err(r);
  if (!out.type.isTensor() || out.type.rank() < 1) {
    S.error(r, "'predictions' needs a model that returns a batch of outputs, "
               "but it returns " +
                   S.typeStr(out.type));
    return err(r);
  }
  out.type.shape[0] = ds.type.dim;
  return S.makeTensor(out.type.dtype, out.type.shape, r, "", out.type.device);
}

Value bestRule(SemaImpl &S, const Args &a, SourceRange r, bool since) {
  const Value &x = *a[0];
  bool scalar =
      x.type.isHostNumber() || (x.type.isTensor() && x.type.shape.empty());
  if (!scalar) {
    S.error(x.range, "'" + std::string(since ? "since_best" : "best") +
                         "' tracks one number, but " + S.quoted(x) + " is " +
                         S.typeStr(x.type));
    return err(r);
  }
  if (a[1]) {
    if (a[1]->type.kind != Type::Kind::Str ||
        (a[1]->cv.s != "min" && a[1]->cv.s != "max")) {
      S.error(a[1]->range, "'mode' must be \"min\" or \"max\"");
      return err(r);
    }
  }
  if (!S.isTopLevel()) {
    S.error(r, "'best' and 'since_best' track values across a run; use them "
               "in the script");
    return err(r);
  }
  return S.makeHost(since ? Type::Kind::Int : Type::Kind::Bool, r, "");
}

Value standardizeRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &ds = *a[0];
  if (ds.type.kind != Type::Kind::Dataset) {
    S.error(ds.range, "'standardize' needs a dataset, but " + S.quoted(ds) +
                          " is " + S.typeStr(ds.type));
    return err(r);
  }
  if (a[1]) {
    const Value &ref = *a[1];
    bool same = ref.type.kind == Type::Kind::Dataset &&
                ref.type.elems[0].shape.size() == ds.type.elems[0].shape.size();
    for (size_t i = 0; same && i < ds.type.elems[0].shape.size(); ++i)
      same = ref.type.elems[0].shape[i] == ds.type.elems[0].shape[i];
    if (!same) {
      S.error(ref.range, "'like' must be a dataset with the same features "
                         "as " +
                             S.quoted(ds));
      return err(r);
    }
  }
  Value v = ds;
  v.describe.clear();
  v.type.elems[0].dtype = DType::F32;
  return v;
}

Value oneHot(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &y = *a[0];
  if (!S.expectTensor(y, "the class ids"))
    return err(r);
  if (!isIntDType(y.type.dtype)) {
    S.error(y.range, "'one_hot' needs integer class ids, but " + S.quoted(y) +
                         " is " + S.typeStr(y.type))
        .note(y.range, "convert them with '" + y.describe + " as i64'");
    return err(r);
  }
  const Value &c = *a[1];
  if (c.type.kind != Type::Kind::Int) {
    S.error(c.range, "the number of classes must be an integer, but " +
                         S.quoted(c) + " is " + S.typeStr(c.type));
    return err(r);
  }
  Dim classes = c.cv.isKnown() ? Dim::constant(c.cv.i) : c.sizeDim;
  if (c.cv.isKnown() && c.cv.i <= 0) {
    S.error(c.range, "the number of classes must be positive");
    return err(r);
  }
  auto dt = dtypeArg(S, a[2], DType::F32);
  if (!dt)
    return err(r);
  std::vector<Dim> s = y.type.shape;
  s.push_back(classes);
  return S.makeTensor(*dt, s, r, "", y.type.device);
}

Value toRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &x = *a[0];
  Device d = S.resolveDevice(*a[1]);
  if (a[1]->isError())
    return err(r);
  if (x.type.kind == Type::Kind::Model) {
    // In place, as torch.nn.Module.to: the model and its weights move.
    auto *inst = const_cast<ModelInstance *>(x.type.model);
    std::function<void(ModelInstance &)> move = [&](ModelInstance &m) {
      m.device = d;
      for (auto &[n, t] : m.fields) {
        if (t.kind == Type::Kind::Model && t.model)
          move(*const_cast<ModelInstance *>(t.model));
        else if (t.isTensor())
          t.device = d;
      }
    };
    move(*inst);
    Value v = x;
    v.describe.clear();
    return v;
  }
  if (!S.expectTensor(x, "the value to move"))
    return err(r);
  Value v = like(S, x, r);
  v.type.device = d;
  return v;
}

Value itemRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &x = *a[0];
  if (!S.expectTensor(x, "the argument of 'item'"))
    return err(r);
  for (const Dim &d : x.type.shape)
    if (!(d.isConst() && d.value == 1)) {
      S.error(x.range, "'item' needs a tensor with one element, but " +
                           S.quoted(x) + " has shape " +
                           S.shapeStr(x.type.shape));
      return err(r);
    }
  return S.makeHost(isFloatDType(x.type.dtype)    ? Type::Kind::Float
                    : x.type.dtype == DType::Bool ? Type::Kind::Bool
                                                  : Type::Kind::Int,
                    r, "");
}

Value sizeRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &x = *a[0];
  if (!S.expectTensor(x, "the argument of 'size'"))
    return err(r);
  auto d = S.normalizeDim(*a[1], x.type.rank(), "dim");
  if (!d)
    return err(r);
  Value v = S.makeHost(Type::Kind::Int, r, "");
  const Dim &dim = x.type.shape[*d];
  v.sizeDim = dim;
  if (dim.isConst())
    v.cv = ConstVal::ofInt(dim.value, r);
  return v;
}

Value lenRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &x = *a[0];
  Value v = S.makeHost(Type::Kind::Int, r, "");
  Dim d = Dim::unknown();
  if (x.type.kind == Type::Kind::Dataset)
    d = x.type.dim;
  else if (x.type.isTensor() && x.type.rank() > 0)
    d = x.type.shape[0];
  else if (x.type.kind == Type::Kind::List || x.type.kind == Type::Kind::Tuple)
    d = Dim::constant(static_cast<int64_t>(x.type.elems.size()));
  else {
    S.error(x.range, "'len' needs a dataset, a tensor or a list, but " +
                         S.quoted(x) + " is " + S.typeStr(x.type));
    return err(r);
  }
  v.sizeDim = d;
  if (d.isConst())
    v.cv = ConstVal::ofInt(d.value, r);
  return v;
}

Value paramRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &init = *a[0];
  if (!S.inModelDefinition()) {
    S.error(r, "'param' declares a trainable weight; use it for a member of "
               "a model, e.g. 'weight = param(randn([4, 3]))'");
    return err(r);
  }
  if (!S.expectFloatTensor(init, "the initial value of a parameter"))
    return err(r);
  for (const Dim &d : init.type.shape)
    if (!d.isConst()) {
      S.error(init.range, "the shape of a parameter must be known at compile "
                          "time, but " +
                              S.quoted(init) + " has shape " +
                              S.shapeStr(init.type.shape));
      return err(r);
    }
  Value v;
  v.type = Type::simple(Type::Kind::Param);
  v.type.elems.push_back(init.type);
  return v;
}

Value dropoutRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &x = *a[0];
  if (!S.expectFloatTensor(x, "the input of 'dropout'"))
    return err(r);
  auto p = S.expectConstNumber(*a[1], "the dropout probability");
  if (a[1]->isError() || !a[1]->type.isHostNumber())
    return err(r);
  if (p && !(*p >= 0.0 && *p < 1.0)) {
    S.valueError(*a[1], "the dropout probability must be in [0, 1), but it "
                        "is " +
                            a[1]->cv.str());
    return err(r);
  }
  return like(S, x, r);
}

/// all(x), any(x): one bool from a bool tensor.
Value boolReduceRule(SemaImpl &S, const Args &a, SourceRange r,
                     const char *name) {
  if (!S.expectTensor(*a[0], std::string("the argument of '") + name + "'"))
    return err(r);
  if (a[0]->type.dtype != DType::Bool) {
    S.error(a[0]->range, std::string("'") + name +
                             "' needs a bool tensor, but " + S.quoted(*a[0]) +
                             " is " + S.typeStr(a[0]->type))
        .note(a[0]->range,
              "compare first, e.g. '" + a[0]->describe + " > 0.0'");
    return err(r);
  }
  return S.makeTensor(DType::Bool, {}, r, "", a[0]->type.device);
}

Value whereRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &c = *a[0];
  if (!S.expectTensor(c, "the condition of 'where'"))
    return err(r);
  if (c.type.dtype != DType::Bool) {
    S.error(c.range, "the condition of 'where' must be a bool tensor, but " +
                         S.quoted(c) + " is " + S.typeStr(c.type));
    return err(r);
  }
  bool bothBool = a[1]->type.isTensor() && a[2]->type.isTensor() &&
                  a[1]->type.dtype == DType::Bool &&
                  a[2]->type.dtype == DType::Bool;
  Value v = S.binaryArith(bothBool ? BinaryOp::Eq : BinaryOp::Add, *a[1], *a[2],
                          r, r);
  if (v.isError())
    return v;
  if (bothBool)
    v.type.dtype = DType::Bool;
  std::vector<Dim> shape;
  Value cv = c;
  if (!S.broadcastShapes(cv, v, shape, r))
    return err(r);
  v.type.shape = shape;
  return v;
}

Value clampRule(SemaImpl &S, const Args &a, SourceRange r) {
  const Value &x = *a[0];
  if (!S.expectTensor(x, "the input of 'clamp'"))
    return err(r);
  for (size_t i = 1; i < 3; ++i) {
    if (a[i] && !a[i]->type.isHostNumber()) {
      S.error(a[i]->range, "the bounds of 'clamp' must be numbers");
      return err(r);
    }
    if (a[i] && a[i]->type.kind == Type::Kind::Float &&
        !isFloatDType(x.type.dtype)) {
      S.error(a[i]->range, "a float bound for the " +
                               std::string(dtypeName(x.type.dtype)) +
                               " tensor " + S.quoted(x) +
                               "; cast the tensor with 'as f32' first");
      return err(r);
    }
  }
  return like(S, x, r);
}

Value tensorRule(SemaImpl &S, const Args &a, SourceRange r) {
  // tensor([[1.0, 2.0], [3.0, 4.0]])
  const Value &lit = *a[0];
  auto dt = dtypeArg(S, a[1], DType::F32);
  if (!dt)
    return err(r);
  if (lit.type.kind != Type::Kind::List) {
    if (lit.type.isHostNumber())
      return S.makeTensor(a[1]                               ? *dt
                          : lit.type.kind == Type::Kind::Int ? DType::I64
                                                             : DType::F32,
                          {}, r, "", deviceArg(S, a[2]));
    S.error(lit.range, "'tensor' takes a (nested) list of numbers");
    return err(r);
  }
  // Every row of a nested list must have the same shape.
  std::function<bool(const Type &, const Type &)> sameShape =
      [&](const Type &x, const Type &y) {
        if (x.kind != y.kind)
          return x.isHostNumber() && y.isHostNumber();
        if (x.kind != Type::Kind::List)
          return true;
        if (x.elems.size() != y.elems.size())
          return false;
        for (size_t i = 0; i < x.elems.size(); ++i)
          if (!sameShape(x.elems[i], y.elems[i]) ||
              !sameShape(x.elems[0], x.elems[i]))
            return false;
        return true;
      };
  for (size_t i = 1; i < lit.type.elems.size(); ++i)
    if (!sameShape(lit.type.elems[0], lit.type.elems[i])) {
      S.error(lit.range, "row " + std::to_string(i) +
                             " of the tensor literal has a different shape "
                             "than row 0");
      return err(r);
    }
  std::vector<Dim> shape{
      Dim::constant(static_cast<int64_t>(lit.type.elems.size()))};
  const Type *t = lit.type.elems.empty() ? nullptr : &lit.type.elems[0];
  bool anyFloat = false;
  for (const Type &e : lit.type.elems)
    anyFloat = anyFloat || e.kind == Type::Kind::Float;
  while (t && t->kind == Type::Kind::List) {
    shape.push_back(Dim::constant(static_cast<int64_t>(t->elems.size())));
    t = t->elems.empty() ? nullptr : &t->elems[0];
    if (t && t->kind == Type::Kind::Float)
      anyFloat = true;
  }
  if (t && !t->isHostNumber() && t->kind != Type::Kind::Bool) {
    S.error(lit.range, "'tensor' takes numbers, not " + S.typeStr(*t));
    return err(r);
  }
  DType def = anyFloat ? DType::F32 : DType::I64;
  if (t && t->kind == Type::Kind::Bool)
    def = DType::Bool;
  return S.makeTensor(a[1] ? *dt : def, shape, r, "", deviceArg(S, a[2]));
}

Value printRule(SemaImpl &S, const Args &a, SourceRange r) {
  for (const Value *v : a) {
    if (v->isError())
      return err(r);
    Type::Kind k = v->type.kind;
    if (k == Type::Kind::Function || k == Type::Kind::Void ||
        k == Type::Kind::Param) {
      S.error(v->range, "cannot print " + S.quoted(*v) + " of type " +
                            S.typeStr(v->type));
      return err(r);
    }
  }
  return S.makeHost(Type::Kind::Void, r, "");
}

Value dataSource(const char *kind, SemaImpl &S, const Args &a, SourceRange r) {
  return S.datasetSource(kind, a, r);
}

/// A builtin's rule; arguments that are already errors never reach it
/// (callBuiltin stops first).
#define RULE(EXPR)                                                             \
  [](SemaImpl &S, const Args &a, const All &, SourceRange r,                   \
     SourceRange c) -> Value {                                                 \
    (void)S, (void)a, (void)r, (void)c;                                        \
    return EXPR;                                                               \
  }

} // namespace

const std::vector<Builtin> &nnc::builtinTable() {
  static const std::vector<Builtin> table = {
      {"print",
       {},
       true,
       false,
       "print values on one line",
       [](SemaImpl &S, const Args &a, const All &, SourceRange r, SourceRange) {
         return printRule(S, a, r);
       }},
      // creation
      {"zeros",
       {{"shape"}, {"dtype", false}, {"device", false}},
       false,
       false,
       "a tensor of zeros",
       RULE(creation(S, a, r, 0, a[1], a[2], DType::F32))},
      {"ones",
       {{"shape"}, {"dtype", false}, {"device", false}},
       false,
       false,
       "a tensor of ones",
       RULE(creation(S, a, r, 0, a[1], a[2], DType::F32))},
      {"full",
       {{"shape"}, {"value"}, {"dtype", false}, {"device", false}},
       false,
       false,
       "a tensor filled with one value",
       [](SemaImpl &S, const Args &a, const All &, SourceRange r, SourceRange) {
         if (!a[1]->type.isHostNumber() &&
             a[1]->type.kind != Type::Kind::Bool) {
           S.error(a[1]->range, "the fill value must be a number");
           return err(r);
         }
         return creation(S, a, r, 0, a[2], a[3],
                         a[1]->type.kind == Type::Kind::Int    ? DType::I64
                         : a[1]->type.kind == Type::Kind::Bool ? DType::Bool
                                                               : DType::F32);
       }},
      {"rand",
       {{"shape"}, {"device", false}},
       false,
       false,
       "uniform random numbers in [0, 1)",
       RULE(creation(S, a, r, 0, nullptr, a[1], DType::F32))},
      {"randn",
       {{"shape"}, {"device", false}},
       false,
       false,
       "standard normal random numbers",
       RULE(creation(S, a, r, 0, nullptr, a[1], DType::F32))},
      {"uniform",
       {{"shape"}, {"low"}, {"high"}, {"device", false}},
       false,
       false,
       "uniform random numbers in [low, high)",
       [](SemaImpl &S, const Args &a, const All &, SourceRange r, SourceRange) {
         auto lo = S.expectConstNumber(*a[1], "'low'");
         auto hi = S.expectConstNumber(*a[2], "'high'");
         if (!a[1]->type.isHostNumber() || !a[2]->type.isHostNumber())
           return err(r);
         if (lo && hi && !(*lo < *hi)) {
           S.error(a[2]->range, "'high' must be greater than 'low'");
           return err(r);
         }
         return creation(S, a, r, 0, nullptr, a[3], DType::F32);
       }},
      {"normal",
       {{"shape"}, {"mean", false}, {"std", false}, {"device", false}},
       false,
       false,
       "normal random numbers",
       [](SemaImpl &S, const Args &a, const All &, SourceRange r, SourceRange) {
         if (a[2]) {
           auto sd = S.expectConstNumber(*a[2], "'std'");
           if (sd && *sd < 0) {
             S.error(a[2]->range, "'std' must not be negative");
             return err(r);
           }
         }
         return creation(S, a, r, 0, nullptr, a[3], DType::F32);
       }},
      {"arange",
       {{"n"}, {"dtype", false}, {"device", false}},
       false,
       false,
       "0, 1, ..., n-1",
       [](SemaImpl &S, const Args &a, const All &, SourceRange r, SourceRange) {
         auto n = S.expectShape(*a[0], "the length");
         auto dt = dtypeArg(S, a[1], DType::I64);
         if (!n || !dt || n->size() != 1)
           return err(r);
         if ((*n)[0].isConst() && (*n)[0].value < 0) {
           S.error(a[0]->range, "the length of 'arange' must not be "
                                "negative, but it is " +
                                    std::to_string((*n)[0].value));
           return err(r);
         }
         return S.makeTensor(*dt, *n, r, "", deviceArg(S, a[2]));
       }},
      {"tensor",
       {{"data"}, {"dtype", false}, {"device", false}},
       false,
       false,
       "a tensor from a (nested) list of numbers",
       RULE(tensorRule(S, a, r))},
      {"zeros_like",
       {{"x"}, {"dtype", false}},
       false,
       true,
       "zeros with the shape of x",
       [](SemaImpl &S, const Args &a, const All &, SourceRange r, SourceRange) {
         if (!S.expectTensor(*a[0], "the argument"))
           return err(r);
         auto dt = dtypeArg(S, a[1], a[0]->type.dtype);
         if (!dt)
           return err(r);
         return S.makeTensor(*dt, a[0]->type.shape, r, "", a[0]->type.device);
       }},
      {"ones_like",
       {{"x"}, {"dtype", false}},
       false,
       true,
       "ones with the shape of x",
       [](SemaImpl &S, const Args &a, const All &, SourceRange r, SourceRange) {
         if (!S.expectTensor(*a[0], "the argument"))
           return err(r);
         auto dt = dtypeArg(S, a[1], a[0]->type.dtype);
         if (!dt)
           return err(r);
         return S.makeTensor(*dt, a[0]->type.shape, r, "", a[0]->type.device);
       }},
      {"randn_like",
       {{"x"}},
       false,
       true,
       "normal random numbers with the shape of x",
       [](SemaImpl &S, const Args &a, const All &, SourceRange r, SourceRange) {
         if (!S.expectFloatTensor(*a[0], "the argument"))
           return err(r);
         return like(S, *a[0], r);
       }},
      // elementwise math
      UNARY("exp", static_cast<HostFn>(std::exp), false),
      UNARY("log", static_cast<HostFn>(std::log), false),
      UNARY("sqrt", static_cast<HostFn>(std::sqrt), false),
      UNARY("rsqrt", drsqrt, false),
      UNARY("tanh", static_cast<HostFn>(std::tanh), false),
      UNARY("sin", static_cast<HostFn>(std::sin), false),
      UNARY("cos", static_cast<HostFn>(std::cos), false),
      UNARY("log1p", static_cast<HostFn>(std::log1p), false),
      UNARY("expm1", static_cast<HostFn>(std::expm1), false),
      UNARY("erf", static_cast<HostFn>(std::erf), false),
      UNARY("abs", static_cast<HostFn>(std::fabs), true),
      UNARY("sign", dsign, true),
      UNARY("floor", static_cast<HostFn>(std::floor), false),
      UNARY("ceil", static_cast<HostFn>(std::ceil), false),
      {"maximum",
       {{"a"}, {"b"}},
       false,
       true,
       "elementwise maximum",
       [](SemaImpl &S, const Args &a, const All &, SourceRange r,
          SourceRange c) {
         return elementwise2(S, *a[0], *a[1], r, BinaryOp::Add, "maximum", c);
       }},
      {"minimum",
       {{"a"}, {"b"}},
       false,
       true,
       "elementwise minimum",
       [](SemaImpl &S, const Args &a, const All &, SourceRange r,
          SourceRange c) {
         return elementwise2(S, *a[0], *a[1], r, BinaryOp::Add, "minimum", c);
       }},
      {"pow",
       {{"x"}, {"exponent"}},
       false,
       true,
       "elementwise power",
       RULE(elementwise2(S, *a[0], *a[1], r, BinaryOp::Pow, "pow", c))},
      {"where",
       {{"condition"}, {"a"}, {"b"}},
       false,
       false,
       "a where condition holds, else b",
       RULE(whereRule(S, a, r))},
      {"clamp",
       {{"x"}, {"min", false}, {"max", false}},
       false,
       true,
       "limit values to [min, max]",
       RULE(clampRule(S, a, r))},
      // reductions
      REDUCE("sum", false, false, "sum over all elements or one dimension"),
      REDUCE("mean", true, false, "mean over all elements or one dimension"),
      REDUCE("max", false, false, "maximum over all elements or one dimension"),
      REDUCE("min", false, false, "minimum over all elements or one dimension"),
      REDUCE("argmax", false, true, "index of the maximum"),
      REDUCE("argmin", false, true, "index of the minimum"),
      {"all",
       {{"x"}},
       false,
       true,
       "true if every element is true",
       RULE(boolReduceRule(S, a, r, "all"))},
      {"any",
       {{"x"}},
       false,
       true,
       "true if some element is true",
       RULE(boolReduceRule(S, a, r, "any"))},
      // shapes
      {"reshape",
       {{"x"}, {"shape"}},
       false,
       true,
       "same elements, new shape",
       RULE(reshape(S, a, r))},
      {"view",
       {{"x"}, {"shape"}},
       false,
       true,
       "same as reshape",
       RULE(reshape(S, a, r))},
      {"flatten",
       {{"x"}, {"start_dim", false}, {"end_dim", false}},
       false,
       true,
       "merge dimensions start_dim..end_dim (default: all but the first)",
       RULE(flatten(S, a, r))},
      {"transpose",
       {{"x"}, {"dim0", false}, {"dim1", false}},
       false,
       true,
       "swap two dimensions (default: the last two)",
       RULE(transposeRule(S, a, r))},
      {"squeeze",
       {{"x"}, {"dim", false}},
       false,
       true,
       "remove a dimension of size 1",
       RULE(squeezeRule(S, a, r, false))},
      {"unsqueeze",
       {{"x"}, {"dim"}},
       false,
       true,
       "insert a dimension of size 1",
       RULE(squeezeRule(S, a, r, true))},
      {"cat",
       {{"tensors"}, {"dim", false}},
       false,
       false,
       "join tensors along a dimension",
       RULE(catRule(S, a, r, false))},
      {"stack",
       {{"tensors"}, {"dim", false}},
       false,
       false,
       "stack tensors along a new dimension",
       RULE(catRule(S, a, r, true))},
      {"size",
       {{"x"}, {"dim"}},
       false,
       true,
       "the size of one dimension",
       RULE(sizeRule(S, a, r))},
      {"len",
       {{"x"}},
       false,
       false,
       "number of samples or elements",
       RULE(lenRule(S, a, r))},
      {"item",
       {{"x"}},
       false,
       true,
       "the single value of a tensor",
       RULE(itemRule(S, a, r))},
      {"to",
       {{"x"}, {"device"}},
       false,
       true,
       "move a tensor or a model to a device",
       RULE(toRule(S, a, r))},
      // neural-network helpers
      {"one_hot",
       {{"y"}, {"num_classes"}, {"dtype", false}},
       false,
       true,
       "class ids to one-hot rows",
       RULE(oneHot(S, a, r))},
      {"dropout",
       {{"x"}, {"p"}},
       false,
       false,
       "zero elements with probability p while training",
       RULE(dropoutRule(S, a, r))},
      {"param",
       {{"init"}},
       false,
       false,
       "a trainable weight of a model",
       RULE(paramRule(S, a, r))},
      // data
      {"idx",
       {{"images"}, {"labels"}},
       false,
       false,
       "a dataset from IDX files (MNIST format, raw or gzip)",
       RULE(dataSource("idx", S, a, r))},
      {"csv",
       {{"path"}, {"target"}, {"features", false}, {"target_dtype", false}},
       false,
       false,
       "a dataset from a CSV file with a header line",
       RULE(dataSource("csv", S, a, r))},
      {"npy",
       {{"inputs"}, {"targets"}},
       false,
       false,
       "a dataset from two NumPy .npy files",
       RULE(dataSource("npy", S, a, r))},
      {"split",
       {{"data"}, {"fraction"}},
       false,
       true,
       "the first fraction of a dataset and the rest",
       RULE(splitRule(S, a, r))},
      {"batches",
       {{"data"}, {"size"}, {"shuffle", false}, {"drop_last", false}},
       false,
       true,
       "iterate over (inputs, targets) batches",
       RULE(batchesRule(S, a, r))},
      {"standardize",
       {{"data"}, {"like", false}},
       false,
       true,
       "zero mean, unit variance features (statistics from 'like')",
       RULE(standardizeRule(S, a, r))},
      {"predictions",
       {{"model"}, {"data"}},
       false,
       false,
       "the model's outputs for every sample of a dataset",
       RULE(predictionsRule(S, a, r))},
      {"best",
       {{"value"}, {"mode", false}},
       false,
       false,
       "true when value is the best so far (mode \"min\" or \"max\")",
       RULE(bestRule(S, a, r, false))},
      {"since_best",
       {{"value"}, {"mode", false}},
       false,
       false,
       "how many calls since value was last the best",
       RULE(bestRule(S, a, r, true))},
  };
  return table;
}

//===----------------------------------------------------------------------===//
// Data sources: the file headers give the shapes at compile time
//===----------------------------------------------------------------------===//

std::string SemaImpl::resolveDataPath(const std::string &path) const {
  if (path.empty() || path[0] == '/' || scriptDir.empty())
    return path;
  return scriptDir + "/" + path;
}

void SemaImpl::noteBatchSource(SourceRange at, const Type &t) {
  if (at.isValid() && t.kind == Type::Kind::Batches &&
      t.names.size() == t.elems.size())
    batchSources.emplace_back(at, t);
}

std::string SemaImpl::dataOrigin(const Value &v) const {
  if (!v.type.isTensor())
    return "";
  for (const auto &[at, t] : batchSources) {
    if (at != v.defRange && at != v.range)
      continue;
    // The features or the targets: the element whose shape v has.
    for (size_t i = 0; i < t.elems.size(); ++i)
      if (t.elems[i].shape == v.type.shape)
        return " from the header of '" + t.names[i] + "'";
  }
  return "";
}

namespace {
std::optional<std::string> constPath(SemaImpl &S, const Value &v,
                                     const char *what) {
  if (v.type.kind != Type::Kind::Str) {
    S.error(v.range, std::string(what) + " must be a string, but " +
                         S.quoted(v) + " is " + S.typeStr(v.type));
    return std::nullopt;
  }
  if (!v.cv.isKnown()) {
    S.error(v.range, std::string(what) + " must be known at compile time");
    return std::nullopt;
  }
  return v.cv.s;
}

/// Element type of an IDX or NPY file as an nnc dtype for features.
DType featureDType(const std::string &name) {
  if (name == "f64")
    return DType::F64;
  return DType::F32; // u8, i8, i16, i32, f32 are read as f32
}
} // namespace

Value SemaImpl::datasetSource(const std::string &kind,
                              const std::vector<const Value *> &a,
                              SourceRange r) {
  Type ds;
  ds.kind = Type::Kind::Dataset;
  if (kind == "idx") {
    auto images = constPath(*this, *a[0], "the images path");
    auto labels = constPath(*this, *a[1], "the labels path");
    if (!images || !labels)
      return Value::error(r);
    rt::IdxHeader ih, lh;
    std::string e;
    if (!rt::readIdxHeader(resolveDataPath(*images), ih, e)) {
      error(a[0]->range, e);
      return Value::error(r);
    }
    if (!rt::readIdxHeader(resolveDataPath(*labels), lh, e)) {
      error(a[1]->range, e);
      return Value::error(r);
    }
    if (ih.dims.size() < 2) {
      error(a[0]->range, "'" + *images + "' holds " +
                             std::to_string(ih.dims.size()) +
                             " dimension(s); images need at least 2 "
                             "(samples, features...)");
      return Value::error(r);
    }
    if (lh.dims.size() != 1) {
      error(a[1]->range, "'" + *labels + "' holds " +
                             std::to_string(lh.dims.size()) +
                             " dimensions; labels need exactly 1 (one class "
                             "id per sample)");
      return Value::error(r);
    }
    if (ih.dims[0] != lh.dims[0]) {
      error(a[1]->range, "'" + *labels + "' has " + std::to_string(lh.dims[0]) +
                             " labels, but '" + *images + "' has " +
                             std::to_string(ih.dims[0]) + " images")
          .range(a[0]->range);
      return Value::error(r);
    }
    const char *lt = rt::idxTypeName(lh.typeCode);
    if (!lt || std::string(lt) == "f32" || std::string(lt) == "f64") {
      error(a[1]->range, "'" + *labels + "' holds " +
                             std::string(lt ? lt : "unknown") +
                             " values; class labels must be integers");
      return Value::error(r);
    }
    const char *it = rt::idxTypeName(ih.typeCode);
    std::vector<Dim> sample;
    for (size_t i = 1; i < ih.dims.size(); ++i)
      sample.push_back(Dim::constant(ih.dims[i]));
    ds.elems.push_back(Type::tensor(featureDType(it ? it : "u8"), sample));
    ds.elems.push_back(Type::tensor(DType::I64, {}));
    ds.dim = Dim::constant(ih.dims[0]);
    ds.names = {resolveDataPath(*images), resolveDataPath(*labels)};
  } else if (kind == "csv") {
    auto path = constPath(*this, *a[0], "the CSV path");
    if (!path)
      return Value::error(r);
    rt::CsvHeader h;
    std::string e;
    if (!rt::readCsvHeader(resolveDataPath(*path), h, e)) {
      error(a[0]->range, e);
      return Value::error(r);
    }
    auto columnIndex = [&](const Value &v, int &out) {
      if (v.type.kind == Type::Kind::Str && v.cv.isKnown()) {
        out = rt::findCsvColumn(h, v.cv.s);
        if (out < 0) {
          std::string cols;
          for (const std::string &c : h.columns)
            cols += (cols.empty() ? "'" : ", '") + rt::escapeBytes(c) + "'";
          error(v.range, "'" + *path + "' has no column '" + v.cv.s + "'")
              .note({}, "its columns are " + cols);
          return false;
        }
        return true;
      }
      if (v.type.kind == Type::Kind::Int && v.cv.isKnown()) {
        if (v.cv.i < 0 || v.cv.i >= static_cast<int64_t>(h.columns.size())) {
          error(v.range, "column " + std::to_string(v.cv.i) +
                             " is out of range: '" + *path + "' has " +
                             std::to_string(h.columns.size()) + " columns");
          return false;
        }
        out = static_cast<int>(v.cv.i);
        return true;
      }
      error(v.range, "a column is a name or an index known at compile time, "
                     "but " +
                         quoted(v) + " is " + typeStr(v.type));
      return false;
    };
    int target = -1;
    if (!columnIndex(*a[1], target))
      return Value::error(r);
    int64_t features = 0;
    if (a[2]) {
      const Value &f = *a[2];
      if (f.type.kind != Type::Kind::List || f.items.empty()) {
        error(f.range, "'features' must be a non-empty list of column names "
                       "or indices");
        return Value::error(r);
      }
      for (size_t i = 0; i < f.items.size(); ++i) {
        Value item = makeHost(f.type.elems[i].kind, f.range, "", f.items[i]);
        int idx;
        if (!columnIndex(item, idx))
          return Value::error(r);
        if (idx == target) {
          error(f.range, "column '" + h.columns[idx] +
                             "' is both a feature and the target");
          return Value::error(r);
        }
      }
      features = static_cast<int64_t>(f.items.size());
    } else {
      features = static_cast<int64_t>(h.columns.size()) - 1;
      if (features < 1) {
        error(a[0]->range, "'" + *path +
                               "' has no feature columns besides "
                               "the target");
        return Value::error(r);
      }
    }
    auto tdt = dtypeArg(*this, a[3], DType::F32);
    if (!tdt)
      return Value::error(r);
    ds.elems.push_back(Type::tensor(DType::F32, {Dim::constant(features)}));
    // A float target keeps a dimension of 1 so it matches a model's [B, 1]
    // output; integer class ids are one per sample.
    if (isFloatDType(*tdt))
      ds.elems.push_back(Type::tensor(*tdt, {Dim::constant(1)}));
    else
      ds.elems.push_back(Type::tensor(*tdt, {}));
    ds.dim = Dim::symbol(newSymbol("N"));
    ds.names = {resolveDataPath(*path), resolveDataPath(*path)};
  } else {
    auto xs = constPath(*this, *a[0], "the inputs path");
    auto ys = constPath(*this, *a[1], "the targets path");
    if (!xs || !ys)
      return Value::error(r);
    rt::NpyHeader xh, yh;
    std::string e;
    if (!rt::readNpyHeader(resolveDataPath(*xs), xh, e)) {
      error(a[0]->range, e);
      return Value::error(r);
    }
    if (!rt::readNpyHeader(resolveDataPath(*ys), yh, e)) {
      error(a[1]->range, e);
      return Value::error(r);
    }
    const char *xt = rt::npyDTypeName(xh.descr);
    const char *yt = rt::npyDTypeName(yh.descr);
    if (!xt || !yt) {
      const Value &bad = xt ? *a[1] : *a[0];
      error(bad.range, "'" + (xt ? *ys : *xs) +
                           "': unsupported element type '" +
                           rt::escapeBytes(xt ? yh.descr : xh.descr) +
                           "' (supported: little-endian floats, integers, "
                           "bool)");
      return Value::error(r);
    }
    if (xh.fortranOrder || yh.fortranOrder) {
      error(xh.fortranOrder ? a[0]->range : a[1]->range,
            "'" + (xh.fortranOrder ? *xs : *ys) +
                "': Fortran-ordered arrays are not supported; save with "
                "numpy.ascontiguousarray");
      return Value::error(r);
    }
    if (xh.shape.empty() || yh.shape.empty()) {
      error(xh.shape.empty() ? a[0]->range : a[1]->range,
            "'" + (xh.shape.empty() ? *xs : *ys) +
                "' holds a single value (shape ()); inputs and targets need "
                "a first dimension of samples");
      return Value::error(r);
    }
    if (xh.shape[0] != yh.shape[0]) {
      error(a[1]->range, "'" + *ys + "' has " + std::to_string(yh.shape[0]) +
                             " samples, but '" + *xs + "' has " +
                             std::to_string(xh.shape[0]) +
                             " (inputs and targets need the same first "
                             "dimension)")
          .range(a[0]->range);
      return Value::error(r);
    }
    std::vector<Dim> xs_, ys_;
    for (size_t i = 1; i < xh.shape.size(); ++i)
      xs_.push_back(Dim::constant(xh.shape[i]));
    for (size_t i = 1; i < yh.shape.size(); ++i)
      ys_.push_back(Dim::constant(yh.shape[i]));
    std::string ytn = yt;
    DType ydt = ytn == "f64"                   ? DType::F64
                : ytn == "f32" || ytn == "f16" ? DType::F32
                : ytn == "bool"                ? DType::Bool
                                               : DType::I64;
    ds.elems.push_back(Type::tensor(featureDType(xt), xs_));
    ds.elems.push_back(Type::tensor(ydt, ys_));
    ds.dim = Dim::constant(xh.shape[0]);
    ds.names = {resolveDataPath(*xs), resolveDataPath(*ys)};
  }
  Value v;
  v.type = ds;
  return v;
}
