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

/// One input of `nnc repl` (compiler/lib/MLIRGen/ReplGen.cpp). The checked
/// program is the session: the items of the inputs that ran before, then
/// the new ones from \p firstItem on. Only the new items are compiled, into
/// `@<entry>() -> i32`; what the earlier ones defined is declared external:
/// the session's variables are public memref.globals (`@"repl.x"`, a model's
/// `@"net.fc1.weight"`) defined by the module of the input that declared
/// them, whose addresses the REPL hands to later modules' JIT.
struct ReplInput {
  size_t firstItem = 0;
  std::string entry = "nnc_repl";
  /// Random ops get the streams from here on, so each input draws new
  /// numbers; `streamEnd` receives the first unused one.
  int64_t streamBase = 0;
  int64_t streamEnd = 0;
  /// Print the value of a top-level expression statement of the new items.
  bool show = true;
  /// `:grad EXPR wrt NAME`: prints the gradient of the scalar \p gradOf (a
  /// top-level expression of the new items) with respect to the tensor
  /// variable or the model's parameters named \p wrt.
  const Expr *gradOf = nullptr;
  std::string wrt;
  /// The public globals earlier inputs defined (in), and those this
  /// module defines (out).
  std::vector<std::string> known;
  std::vector<std::string> defined;
};

/// The module of one REPL input (see ReplInput), or null after reporting
/// through `diags`.
mlir::OwningOpRef<mlir::ModuleOp>
generateReplMLIR(mlir::MLIRContext &ctx, const Program &main, const Sema &sema,
                 const SourceManager &sm, DiagnosticEngine &diags,
                 ReplInput &input);

} // namespace nnc

#endif // NNC_MLIRGEN_MLIRGEN_H
