//===- PrivatizeFunctions.cpp - Only the entry points stay public ---------===//
//
// The nnc-privatize-functions pass: every defined function not named in the
// `keep` option becomes private, so that the inliner and symbol-dce that
// follow leave only the entry points (and what they still call).
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/StringSet.h"

namespace nnc {
#define GEN_PASS_DEF_PRIVATIZEFUNCTIONS
#include "nnc/Conversion/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct PrivatizeFunctionsPass
    : nnc::impl::PrivatizeFunctionsBase<PrivatizeFunctionsPass> {
  using PrivatizeFunctionsBase::PrivatizeFunctionsBase;

  void runOnOperation() override {
    llvm::StringSet<> kept;
    for (const std::string &name : keep)
      kept.insert(name);
    for (auto fn : getOperation().getOps<func::FuncOp>())
      if (!fn.isDeclaration() && !kept.contains(fn.getName()))
        fn.setPrivate();
  }
};

} // namespace
