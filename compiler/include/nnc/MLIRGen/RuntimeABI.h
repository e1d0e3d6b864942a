//===- RuntimeABI.h - Calls of the runtime checked against its ABI -*- C++ -*-//
//
// MLIRGen declares every runtime function it calls from the one table of
// the runtime's C ABI (runtime/include/nnc/runtime/HostABI.def) and checks
// each call's types against it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_MLIRGEN_RUNTIMEABI_H
#define NNC_MLIRGEN_RUNTIMEABI_H

#include "mlir/IR/TypeRange.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace nnc {

/// Why a call of the runtime function \p name with \p args returning
/// \p results does not match HostABI.def ("" when it does). \p cInterface
/// is set to whether the function is an MLIR C-interface one (its
/// declaration then carries llvm.emit_c_interface).
std::string checkRuntimeCall(llvm::StringRef name, mlir::TypeRange args,
                             mlir::TypeRange results, bool &cInterface);

} // namespace nnc

#endif // NNC_MLIRGEN_RUNTIMEABI_H
