//===- Pipeline.h - The one pass pipeline of nnc ----------------*- C++ -*-===//
//
// The pass pipeline that takes the module MLIRGen makes (func + nn ops) to
// the LLVM dialect, assembled in one place (buildPipeline) and used by every
// tool: `nnc run`, `nnc build`, `nnc repl`, `--emit=STAGE`, nn-opt's
// `nnc-pipeline` and the tests that JIT-compile steps. It is a
// target-independent half (the functions called from outside kept public,
// autodiff, inlining, nn -> linalg, fusion) and a per-target half (today the
// CPU's: bufferization, deallocation, BLAS calls, loops, LLVM).
//
// The module passes through named stages, each the module after the passes
// listed; `--emit=STAGE` prints the module at a stage by running the same
// builder up to it:
//
//   nn        MLIRGen's module
//   autodiff  nn-autodiff (gradients); every function but the entry points
//             private, inlined into them and dropped
//   linalg    functions first, convert-nn-to-linalg, fold-matmul-transpose,
//             nnc-fuse-elementwise: linalg on tensors
//   llvm      the target's half: the LLVM dialect
//
//===----------------------------------------------------------------------===//

#ifndef NNC_CONVERSION_PIPELINE_H
#define NNC_CONVERSION_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace nnc {

/// The stages of the pipeline, in order (see the file comment).
enum class Stage { NN, Autodiff, Linalg, LLVM };

/// "nn", "autodiff", "linalg", "llvm".
llvm::StringRef stageName(Stage stage);
/// The stage named \p name, if any.
std::optional<Stage> parseStage(llvm::StringRef name);

/// The machines the per-target half lowers for.
enum class Target { CPU };

/// What buildPipeline assembles.
struct PipelineOptions {
  Target target = Target::CPU;
  /// The first and the last stage whose passes run: the module given is at
  /// the stage before `first` (MLIRGen's module for Stage::NN).
  Stage first = Stage::NN;
  Stage last = Stage::LLVM;
  /// The functions called from outside the module (`nnc_main`); every other
  /// defined function is made private, so that it is dropped once inlined.
  /// Empty: visibility is left as it is.
  std::vector<std::string> entryPoints;
  /// The run's seed, the Philox key of nn.random (the initial weights).
  uint64_t seed = 0;
  /// f32 matrix products as calls to nnc_sgemm (OpenBLAS,
  /// libnnc_blas.so), and the transposes around them folded into the
  /// products; loops otherwise.
  bool blas = true;
  /// Buffers from MLIR's generic allocation functions, which nnc's runtime
  /// serves from the device's pool (runtime/include/nnc/runtime/Device.h),
  /// instead of malloc and free.
  bool pooledMemory = false;
};

/// Appends to \p pm the passes of the stages options.first to options.last. \p
/// pm must run on a builtin.module.
void buildPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// How runPipeline runs.
struct PipelineRun {
  /// MLIR's pass timing report on stderr.
  bool timing = false;
  /// Called with the module when it reaches this stage (a stage from
  /// options.first to before options.last), before the rest of the pipeline
  /// runs.
  std::optional<Stage> dumpAt;
  std::function<void(mlir::ModuleOp)> dump;
};

/// Runs the pipeline of \p options on \p module; failure when a pass failed
/// (its diagnostics were emitted).
mlir::LogicalResult runPipeline(mlir::ModuleOp module,
                                const PipelineOptions &options,
                                const PipelineRun &run = {});

/// The per-target half for the CPU (linalg on tensors -> LLVM dialect):
/// elementwise fusion's leftovers unshared, one-shot bufferization
/// (identity layouts at function boundaries), buffer deallocation, f32
/// matrix products as calls to nnc_sgemm, loops, the LLVM dialect. Called by
/// buildPipeline.
void buildCPUTargetPipeline(mlir::OpPassManager &pm,
                            const PipelineOptions &options);

/// Registers with the pass registry `nnc-pipeline` (buildPipeline, with
/// options from=, to=, keep=, seed=, blas=, pooled-memory=),
/// `nnc-cpu-pipeline` (the same from the linalg stage to llvm: func + nn
/// without gradients to the LLVM dialect) and the upstream passes they are made
/// of, so that tools can run them one by one.
void registerPipelines();

/// Adds to \p registry the dialects whose ops the pipeline creates and the
/// external interface models it relies on (bufferization of arith, linalg,
/// tensor, scf and func; buffer deallocation of cf and scf; memref
/// allocation; inlining of func). A tool that runs the pipeline must load
/// these first.
void registerPipelineDialects(mlir::DialectRegistry &registry);

/// The LLVM optimizer for JIT-compiled code (MLIR's ExecutionEngine):
/// -O3 with this machine's CPU and features. Without a target machine
/// LLVM's cost model knows no vector registers and vectorizes nothing.
/// Null (with the reason in \p error) when the host is not supported.
std::function<llvm::Error(llvm::Module *)>
makeHostOptimizer(std::string &error);

/// A target machine for this machine's architecture: \p cpu "native" (this
/// CPU and its features), "generic" (the architecture's baseline, x86-64 on
/// x86-64: a program that runs on any machine of the architecture) or an
/// LLVM CPU name ("skylake", "znver3"); code generation at \p optLevel
/// (0-3), position-independent with \p pic. Null, with the reason in
/// \p error, for an unknown CPU.
std::unique_ptr<llvm::TargetMachine> makeTargetMachine(const std::string &cpu,
                                                       unsigned optLevel,
                                                       bool pic,
                                                       std::string &error);

/// LLVM's optimization pipeline at \p optLevel for \p machine.
std::function<llvm::Error(llvm::Module *)>
makeOptimizer(std::shared_ptr<llvm::TargetMachine> machine, unsigned optLevel);

} // namespace nnc

#endif // NNC_CONVERSION_PIPELINE_H
