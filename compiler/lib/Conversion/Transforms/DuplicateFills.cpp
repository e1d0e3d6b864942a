//===- DuplicateFills.cpp - One fill and one empty per user ---------------===//
//
// The nnc-duplicate-fills pass, run right before bufferization: every user
// of a linalg.fill on tensors gets its own fill (and its own tensor.empty
// under it), right before the user, and the tensor.empty that starts the
// computation of a value stored by materialize_in_destination is unshared.
//
// Algorithm:
//   1. For each bufferization.materialize_in_destination, follow the value
//      it stores through the tied inits of destination-style ops to the
//      tensor.empty it starts from; if that empty has other users, the init
//      gets a clone of it.
//   2. For each fill with more than one use, every use gets a clone of the
//      fill (and of its tensor.empty) placed before the user - the original
//      may sit outside the loop a user is in - and the original goes.
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

namespace nnc {
#define GEN_PASS_DEF_DUPLICATEFILLS
#include "nnc/Conversion/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct DuplicateFillsPass : nnc::impl::DuplicateFillsBase<DuplicateFillsPass> {
  void runOnOperation() override {
    // tensor.empty ops that empty-tensor elimination will replace by a
    // global (they start the computation of a value that
    // materialize_in_destination stores) must not be shared: the
    // elimination replaces the op, so every user of a shared one would
    // write into that global. Others stay shared, which lets bufferization
    // reuse their buffers.
    getOperation()->walk([&](bufferization::MaterializeInDestinationOp m) {
      Value v = m.getSource();
      while (auto dps = v.getDefiningOp<DestinationStyleOpInterface>()) {
        OpOperand *init = dps.getTiedOpOperand(llvm::cast<OpResult>(v));
        if (!init)
          break;
        if (auto empty = init->get().getDefiningOp<tensor::EmptyOp>()) {
          if (!empty->getResult(0).hasOneUse()) {
            OpBuilder b(init->getOwner());
            init->set(b.clone(*empty)->getResult(0));
          }
          break;
        }
        v = init->get();
      }
    });
    SmallVector<linalg::FillOp> fills;
    getOperation()->walk([&](linalg::FillOp f) {
      if (f.hasPureTensorSemantics() && !f->getResult(0).hasOneUse())
        fills.push_back(f);
    });
    for (linalg::FillOp fill : fills) {
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : fill->getResult(0).getUses())
        uses.push_back(&use);
      // Every user gets a clone (the original may sit outside the loop
      // that a user is in), then the original goes.
      for (OpOperand *use : uses) {
        OpBuilder b(use->getOwner());
        Operation *clone = b.clone(*fill);
        if (auto empty =
                fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>()) {
          Operation *e = b.clone(*empty);
          e->moveBefore(clone);
          clone->setOperand(1, e->getResult(0));
        }
        use->set(clone->getResult(0));
      }
      Value out = fill.getOutputs()[0];
      fill->erase();
      if (Operation *def = out.getDefiningOp();
          def && def->use_empty() && isa<tensor::EmptyOp>(def))
        def->erase();
    }
  }
};

} // namespace
