//===- RuntimeABI.cpp - Calls of the runtime checked against its ABI ------===//
//
// checkRuntimeCall: the MLIR types of a call against the entry of
// HostABI.def (nnc/runtime/HostABITable.h). The MLIR side of each ABI type:
// Bool i1, I32 i32, I64 i64, F64 f64, Str !llvm.ptr, a ranked memref of the
// element and rank (any sizes), an unranked memref of the element (I1 is
// memref of i1).
//
//===----------------------------------------------------------------------===//

#include "nnc/MLIRGen/RuntimeABI.h"

#include "nnc/runtime/HostABITable.h"

#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

namespace abi = nnc::rt::abi;

namespace {

bool elementMatches(abi::Elem e, mlir::Type t) {
  switch (e) {
  case abi::Elem::F32:
    return t.isF32();
  case abi::Elem::F64:
    return t.isF64();
  case abi::Elem::I64:
    return t.isInteger(64);
  case abi::Elem::I1:
    return t.isInteger(1);
  case abi::Elem::None:
    return false;
  }
  return false;
}

bool matches(const abi::Type &want, mlir::Type t) {
  switch (want.kind) {
  case abi::Kind::Void:
    return false;
  case abi::Kind::Bool:
    return t.isInteger(1);
  case abi::Kind::I32:
    return t.isInteger(32);
  case abi::Kind::I64:
    return t.isInteger(64);
  case abi::Kind::F64:
    return t.isF64();
  case abi::Kind::Str:
    return mlir::isa<mlir::LLVM::LLVMPointerType>(t);
  case abi::Kind::Ranked: {
    auto m = mlir::dyn_cast<mlir::MemRefType>(t);
    return m && m.getRank() == want.rank &&
           elementMatches(want.elem, m.getElementType());
  }
  case abi::Kind::Unranked: {
    auto m = mlir::dyn_cast<mlir::UnrankedMemRefType>(t);
    return m && elementMatches(want.elem, m.getElementType());
  }
  }
  return false;
}

const char *kindName(abi::Kind k) {
  switch (k) {
  case abi::Kind::Void:
    return "Void";
  case abi::Kind::Bool:
    return "Bool";
  case abi::Kind::I32:
    return "I32";
  case abi::Kind::I64:
    return "I64";
  case abi::Kind::F64:
    return "F64";
  case abi::Kind::Str:
    return "Str";
  case abi::Kind::Ranked:
    return "a ranked memref";
  case abi::Kind::Unranked:
    return "an unranked memref";
  }
  return "?";
}

std::string describe(const abi::Type &t) {
  std::string s = kindName(t.kind);
  if (t.kind == abi::Kind::Ranked)
    s += " of rank " + std::to_string(t.rank);
  return s;
}

} // namespace

std::string nnc::checkRuntimeCall(llvm::StringRef name, mlir::TypeRange args,
                                  mlir::TypeRange results, bool &cInterface) {
  static const llvm::StringMap<const abi::Entry *> byName = [] {
    llvm::StringMap<const abi::Entry *> m;
    for (const abi::Entry &e : abi::entries)
      m[llvm::StringRef(e.name.data(), e.name.size())] = &e;
    return m;
  }();
  auto it = byName.find(name);
  if (it == byName.end())
    return "'" + name.str() +
           "' is not an entry point of the runtime "
           "(runtime/include/nnc/runtime/HostABI.def)";
  const abi::Entry &e = *it->second;
  cInterface = e.cInterface;
  std::string why;
  llvm::raw_string_ostream os(why);
  auto fail = [&] {
    os << "the call of '" << name << "' does not match HostABI.def: ";
  };
  if (args.size() != e.numParams) {
    fail();
    os << args.size() << " arguments for " << e.numParams << " parameters";
    return why;
  }
  for (size_t i = 0; i < e.numParams; ++i)
    if (!matches(e.params[i], args[i])) {
      fail();
      os << "argument " << i << " is " << args[i] << ", not "
         << describe(e.params[i]);
      return why;
    }
  bool wantsResult = e.result.kind != abi::Kind::Void;
  if (results.size() != (wantsResult ? 1u : 0u)) {
    fail();
    os << results.size() << " results for " << (wantsResult ? 1 : 0);
    return why;
  }
  if (wantsResult && !matches(e.result, results[0])) {
    fail();
    os << "the result is " << results[0] << ", not " << describe(e.result);
    return why;
  }
  return why;
}
