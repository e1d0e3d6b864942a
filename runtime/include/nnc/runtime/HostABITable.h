//===- HostABITable.h - The runtime's C ABI as data -------------*- C++ -*-===//
//
// The table of HostABI.def as values the compiler reads: each entry point's
// name, whether it is an MLIR C-interface function, and its result and
// parameter types. MLIRGen declares every runtime function it calls from
// here and checks the call's types against it, so a call that does not
// match the runtime is an internal error at compile time, not a crash when
// the program runs. Header-only: the compiler does not link the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_HOSTABITABLE_H
#define NNC_RUNTIME_HOSTABITABLE_H

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace nnc::rt::abi {

/// What a parameter or result of an entry point is.
enum class Kind { Void, Bool, I32, I64, F64, Str, Ranked, Unranked };
/// The element type of a memref parameter.
enum class Elem { None, F32, F64, I64, I1 };

struct Type {
  Kind kind = Kind::Void;
  Elem elem = Elem::None;
  int rank = 0;
};

inline constexpr Type Void{Kind::Void}, Bool{Kind::Bool}, I32{Kind::I32},
    I64{Kind::I64}, F64{Kind::F64}, Str{Kind::Str};
inline constexpr Type MemF32x1{Kind::Ranked, Elem::F32, 1},
    MemF32x2{Kind::Ranked, Elem::F32, 2}, MemF32x3{Kind::Ranked, Elem::F32, 3},
    MemF32x4{Kind::Ranked, Elem::F32, 4}, MemF32x5{Kind::Ranked, Elem::F32, 5},
    MemI64x1{Kind::Ranked, Elem::I64, 1}, MemI64x2{Kind::Ranked, Elem::I64, 2},
    MemI64x3{Kind::Ranked, Elem::I64, 3};
inline constexpr Type UnrankedF32{Kind::Unranked, Elem::F32},
    UnrankedF64{Kind::Unranked, Elem::F64},
    UnrankedI64{Kind::Unranked, Elem::I64},
    UnrankedI1{Kind::Unranked, Elem::I1};

/// The most parameters an entry point has.
inline constexpr size_t maxParams = 8;

/// One entry point of HostABI.def.
struct Entry {
  std::string_view name;
  /// An MLIR C-interface function (`_mlir_ciface_<name>`).
  bool cInterface = false;
  Type result;
  std::array<Type, maxParams> params{};
  size_t numParams = 0;

  constexpr Entry(std::string_view name, bool cInterface,
                  std::initializer_list<Type> resultAndParams)
      : name(name), cInterface(cInterface) {
    auto it = resultAndParams.begin();
    result = *it++;
    for (; it != resultAndParams.end(); ++it)
      params[numParams++] = *it;
  }
};

/// Every entry point, in the order of HostABI.def.
inline constexpr Entry entries[] = {
#define NNC_RT(name, ...) Entry(#name, false, {__VA_ARGS__}),
#define NNC_RT_MEMREF(name, ...) Entry(#name, true, {__VA_ARGS__}),
#include "nnc/runtime/HostABI.def"
#undef NNC_RT
#undef NNC_RT_MEMREF
};

/// The entry point called \p name (without `_mlir_ciface_`), or null.
inline const Entry *find(std::string_view name) {
  for (const Entry &e : entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

} // namespace nnc::rt::abi

#endif // NNC_RUNTIME_HOSTABITABLE_H
