//===- Types.cpp - Printing the checker's types
//----------------------------===//

#include "nnc/Sema/Types.h"

#include <cmath>
#include <cstdio>

using namespace nnc;

const char *nnc::dtypeName(DType t) {
  switch (t) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::Bool:
    return "bool";
  }
  return "?";
}

std::optional<DType> nnc::parseDType(const std::string &name) {
  static const std::pair<const char *, DType> table[] = {
      {"f32", DType::F32},   {"f64", DType::F64}, {"f16", DType::F16},
      {"bf16", DType::BF16}, {"i32", DType::I32}, {"i64", DType::I64},
      {"bool", DType::Bool}};
  for (const auto &[n, t] : table)
    if (name == n)
      return t;
  return std::nullopt;
}

std::string ConstVal::str() const {
  switch (kind) {
  case Kind::None:
    return "?";
  case Kind::Int:
    return std::to_string(i);
  case Kind::Float: {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", f);
    std::string s = buf;
    if (s.find_first_of(".eEn") == std::string::npos)
      s += ".0";
    return s;
  }
  case Kind::Bool:
    return i ? "true" : "false";
  case Kind::Str:
    return "\"" + s + "\"";
  case Kind::Device:
  case Kind::DType:
    return s;
  }
  return "?";
}

std::string TypePrinter::deviceName(Device d) const {
  switch (d) {
  case Device::Default:
    return "default";
  case Device::CPU:
    return "cpu";
  case Device::CUDA:
    return "cuda";
  }
  return "?";
}

std::string TypePrinter::dim(const Dim &d) const {
  switch (d.kind) {
  case Dim::Kind::Const:
    return std::to_string(d.value);
  case Dim::Kind::Sym:
    return symbolName(d.value);
  case Dim::Kind::Unknown:
    return "?";
  }
  return "?";
}

std::string TypePrinter::shape(const std::vector<Dim> &s) const {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i)
      out += ", ";
    out += dim(s[i]);
  }
  return out + "]";
}

std::string TypePrinter::type(const Type &t) const {
  switch (t.kind) {
  case Type::Kind::Error:
    return "<error>";
  case Type::Kind::Void:
    return "void";
  case Type::Kind::Int:
    return "int";
  case Type::Kind::Float:
    return "float";
  case Type::Kind::Bool:
    return "bool";
  case Type::Kind::Str:
    return "str";
  case Type::Kind::DeviceT:
    return "device";
  case Type::Kind::DTypeT:
    return "dtype";
  case Type::Kind::Tensor: {
    std::string out = dtypeName(t.dtype);
    if (!t.shape.empty() || true)
      out += shape(t.shape);
    return out;
  }
  case Type::Kind::Tuple:
  case Type::Kind::List: {
    std::string out = t.kind == Type::Kind::Tuple ? "(" : "list[";
    for (size_t i = 0; i < t.elems.size(); ++i) {
      if (i)
        out += ", ";
      out += type(t.elems[i]);
    }
    return out + (t.kind == Type::Kind::Tuple ? ")" : "]");
  }
  case Type::Kind::Range:
    return "range";
  case Type::Kind::Model:
    return modelName(t.model);
  case Type::Kind::Optimizer:
    return optimizerName(t.optimizer);
  case Type::Kind::Dataset:
  case Type::Kind::Batches: {
    std::string out = t.kind == Type::Kind::Dataset ? "dataset(" : "batches(";
    out += dim(t.dim) + " x ";
    for (size_t i = 0; i < t.elems.size(); ++i) {
      if (i)
        out += ", ";
      out += type(t.elems[i]);
    }
    return out + ")";
  }
  case Type::Kind::Record: {
    std::string out = "{";
    for (size_t i = 0; i < t.elems.size(); ++i) {
      if (i)
        out += ", ";
      out += t.names[i] + ": " + type(t.elems[i]);
    }
    return out + "}";
  }
  case Type::Kind::Function:
    return callableName(t.callable);
  case Type::Kind::Param:
    return "param";
  }
  return "?";
}
