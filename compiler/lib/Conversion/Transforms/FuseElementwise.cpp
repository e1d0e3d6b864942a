//===- FuseElementwise.cpp - Elementwise fusion without recomputation -----===//
//
// The nnc-fuse-elementwise pass: linalg's elementwise fusion on tensors with
// nnc's control function.
//
// Algorithm (greedy rewriting with linalg's fusion patterns): an operand of
// a linalg op produced by a linalg.generic with no other use is fused when
// the producer has at least as many loops as the consumer; a producer over
// fewer loops (a scalar broadcast into a tensor) is fused only if its body
// is nothing but casts, because its work would otherwise be repeated for
// every element of the consumer.
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nnc {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "nnc/Conversion/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// Whether the fusion of \p fused into its owner is worth it (see the file
/// comment).
bool shouldFuse(OpOperand *fused) {
  auto producer = fused->get().getDefiningOp<linalg::GenericOp>();
  auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
  if (!producer || !consumer || !producer->hasOneUse())
    return false;
  if (producer.getNumLoops() >= consumer.getNumLoops())
    return true;
  for (Operation &op : producer.getBody()->without_terminator())
    if (!isa<arith::ExtFOp, arith::TruncFOp, arith::SIToFPOp, arith::UIToFPOp,
             arith::FPToSIOp, arith::ExtSIOp, arith::ExtUIOp, arith::TruncIOp>(
            op))
      return false;
  return true;
}

struct FuseElementwisePass
    : nnc::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, shouldFuse);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, &getContext());
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
