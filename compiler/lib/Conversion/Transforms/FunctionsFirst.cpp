//===- FunctionsFirst.cpp - The module's functions before its globals -----===//
//
// The nnc-functions-first pass: moves the module's functions, in their
// order, before its other symbols, so that the callee lookups of upstream
// passes (SymbolTable::lookupNearestSymbolFrom scans the module from its
// first op) stop after a short scan instead of passing every global of a
// long script's host program.
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace nnc {
#define GEN_PASS_DEF_FUNCTIONSFIRST
#include "nnc/Conversion/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct FunctionsFirstPass : nnc::impl::FunctionsFirstBase<FunctionsFirstPass> {
  void runOnOperation() override {
    Block *body = getOperation().getBody();
    SmallVector<Operation *> functions;
    for (Operation &op : *body)
      if (isa<FunctionOpInterface>(op))
        functions.push_back(&op);
    Operation *last = nullptr;
    for (Operation *fn : functions) {
      if (last)
        fn->moveAfter(last);
      else
        fn->moveBefore(body, body->begin());
      last = fn;
    }
  }
};

} // namespace
