//===- MLIRGen.h - Checked .nn program to the nn dialect ----------*- C++
//-*-===//
//
// Turns the training steps of a checked script into MLIR. For the k-th
// `step opt minimize LOSS` of the script it emits
//
//   @loss_k(params..., inputs...) -> tensor<f32>   {nn.differentiate}
//       the loss, with the model's parameters marked nn.wrt: the input of
//       the nn-autodiff pass;
//   @step_k(params..., state..., inputs..., t) -> (loss, params'..., state'...)
//       the whole training step: it calls @loss_k_grad (made by nn-autodiff)
//       and applies the optimizer's `update` to every parameter.
//
// Model methods and functions are inlined at their call sites (one copy per
// checked instantiation), so after nn-autodiff and the inliner a step is one
// function that later passes fuse across. Locations are the user's
// (FileLineColLoc), so a late error still points at a line of the script.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_MLIRGEN_MLIRGEN_H
#define NNC_MLIRGEN_MLIRGEN_H

#include "nnc/AST/AST.h"
#include "nnc/Basic/Diagnostics.h"
#include "nnc/Sema/Sema.h"

namespace mlir {
class MLIRContext;
class ModuleOp;
template <typename OpTy> class OwningOpRef;
} // namespace mlir

namespace nnc {

/// Registers the dialects MLIRGen and the nn passes need.
void registerDialects(mlir::MLIRContext &ctx);

/// Generates the module; returns null after reporting through `diags` if the
/// script uses something code generation does not support yet. With
/// \p hostProgram the module also holds `@nnc_main() -> i32`, the script
/// itself (loops, data, steps, evaluation, checkpoints; see HostGen.cpp),
/// which `nnc run` calls.
mlir::OwningOpRef<mlir::ModuleOp>
generateMLIR(mlir::MLIRContext &ctx, const Program &main, const Sema &sema,
             const SourceManager &sm, DiagnosticEngine &diags,
             bool hostProgram = true);

} // namespace nnc

#endif // NNC_MLIRGEN_MLIRGEN_H
