//===- Types.h - The checker's types, shapes and constants --------*- C++
//-*-===//
//
// What Sema knows about every value of a .nn program:
//   - host values: `int`, `float`, `bool`, `str` (Python-like numbers, config
//     entries, loop counters), with their value when known at compile time;
//   - tensors: dtype, shape and device. A dimension is a constant (784), a
//     symbol (the batch `B` of a `batches(...)` loop, a function's `C`) or
//     unknown;
//   - models, optimizers, datasets, batch iterators, tuples and records.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_SEMA_TYPES_H
#define NNC_SEMA_TYPES_H

#include "nnc/Basic/SourceManager.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc {

class ModelDecl;
class OptimizerDecl;
struct ModelInstance;
struct OptimizerInstance;
struct Callable;

enum class DType { F32, F64, F16, BF16, I32, I64, Bool };

const char *dtypeName(DType t);
std::optional<DType> parseDType(const std::string &name);
inline bool isFloatDType(DType t) {
  return t == DType::F32 || t == DType::F64 || t == DType::F16 ||
         t == DType::BF16;
}
inline bool isIntDType(DType t) { return t == DType::I32 || t == DType::I64; }
/// The bytes one element of \p t takes in memory.
inline unsigned dtypeBytes(DType t) {
  switch (t) {
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::Bool:
    return 1;
  }
  return 8;
}

/// Where a tensor lives. `Default` is the config's `device` (or the CPU when
/// the script has none); it equals CPU or CUDA only if the config says so.
enum class Device { Default, CPU, CUDA };

/// One dimension of a tensor shape.
struct Dim {
  enum class Kind : uint8_t { Const, Sym, Unknown };
  Kind kind = Kind::Unknown;
  int64_t value = 0; ///< Const: the size; Sym: the symbol's id

  static Dim constant(int64_t v) { return {Kind::Const, v}; }
  static Dim symbol(int64_t id) { return {Kind::Sym, id}; }
  static Dim unknown() { return {Kind::Unknown, 0}; }
  bool isConst() const { return kind == Kind::Const; }
  bool isSym() const { return kind == Kind::Sym; }
  bool operator==(const Dim &o) const {
    return kind == o.kind && (kind == Kind::Unknown || value == o.value);
  }
  bool operator!=(const Dim &o) const { return !(*this == o); }
};

/// A compile-time value: config entries, literals, constructor arguments and
/// what is computed from them.
struct ConstVal {
  enum class Kind { None, Int, Float, Bool, Str, Device, DType };
  Kind kind = Kind::None;
  int64_t i = 0;
  double f = 0;
  std::string s;
  SourceRange origin; ///< where the value was written

  bool isKnown() const { return kind != Kind::None; }
  static ConstVal ofInt(int64_t v, SourceRange o = {}) {
    ConstVal c;
    c.kind = Kind::Int;
    c.i = v;
    c.origin = o;
    return c;
  }
  static ConstVal ofFloat(double v, SourceRange o = {}) {
    ConstVal c;
    c.kind = Kind::Float;
    c.f = v;
    c.origin = o;
    return c;
  }
  static ConstVal ofBool(bool v, SourceRange o = {}) {
    ConstVal c;
    c.kind = Kind::Bool;
    c.i = v;
    c.origin = o;
    return c;
  }
  static ConstVal ofStr(std::string v, SourceRange o = {}) {
    ConstVal c;
    c.kind = Kind::Str;
    c.s = std::move(v);
    c.origin = o;
    return c;
  }
  std::string str() const;
};

struct Type {
  enum class Kind {
    Error, ///< already reported; silences follow-up errors
    Void,
    Int,
    Float,
    Bool,
    Str,
    DeviceT, ///< `cpu`, `cuda`, `auto`
    DTypeT,  ///< `f32` used as a value
    Tensor,
    Tuple,
    List,      ///< `[1, 2]`: shapes, lists of tensors
    Range,     ///< `1..10`
    Model,     ///< a model instance (`net`)
    Optimizer, ///< an optimizer instance
    Dataset,   ///< elems: per-sample features and target; dim: sample count
    Batches,   ///< an iterator of (features, target) batches
    Record,    ///< `evaluate` results: names + elems
    Function,  ///< a function, model class or optimizer class as a value
    Param,     ///< `param(init)` inside a model
  };
  Kind kind = Kind::Error;
  DType dtype = DType::F32;
  std::vector<Dim> shape;
  Device device = Device::Default;
  std::vector<Type> elems;
  /// Record: the field names. Dataset, Batches: the files the features and
  /// the targets were read from (for notes; empty when not known).
  std::vector<std::string> names;
  Dim dim; ///< Dataset: sample count; Batches: the batch dimension
  const ModelInstance *model = nullptr;
  const OptimizerInstance *optimizer = nullptr;
  const Callable *callable = nullptr;

  static Type error() { return {}; }
  static Type simple(Kind k) {
    Type t;
    t.kind = k;
    return t;
  }
  static Type tensor(DType dt, std::vector<Dim> shape,
                     Device dev = Device::Default) {
    Type t;
    t.kind = Kind::Tensor;
    t.dtype = dt;
    t.shape = std::move(shape);
    t.device = dev;
    return t;
  }
  static Type tuple(std::vector<Type> elems) {
    Type t;
    t.kind = Kind::Tuple;
    t.elems = std::move(elems);
    return t;
  }

  bool isError() const { return kind == Kind::Error; }
  bool isTensor() const { return kind == Kind::Tensor; }
  bool isHostNumber() const { return kind == Kind::Int || kind == Kind::Float; }
  bool isScalarTensor() const { return isTensor() && shape.empty(); }
  size_t rank() const { return shape.size(); }
};

/// Prints types for diagnostics: `f32[B, 784]`, `int`, `MLP`, ...
/// `symName` turns a symbol id into its name.
class TypePrinter {
public:
  virtual ~TypePrinter() = default;
  virtual std::string symbolName(int64_t id) const = 0;
  virtual std::string modelName(const ModelInstance *m) const = 0;
  virtual std::string optimizerName(const OptimizerInstance *o) const = 0;
  virtual std::string callableName(const Callable *c) const = 0;
  virtual std::string deviceName(Device d) const;

  std::string dim(const Dim &d) const;
  std::string shape(const std::vector<Dim> &s) const;
  std::string type(const Type &t) const;
};

} // namespace nnc

#endif // NNC_SEMA_TYPES_H
