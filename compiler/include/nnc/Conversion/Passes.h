//===- Passes.h - Lowerings of the nn dialect -------------------*- C++ -*-===//
//
// The conversion passes of nnc (convert-nn-to-linalg) and the CPU pipeline
// that takes a module of func + nn ops to the LLVM dialect
// (nnc-cpu-pipeline). Include this header where passes are registered or
// pipelines are built; it pulls in only the pass infrastructure.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_CONVERSION_PASSES_H
#define NNC_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <string>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace nnc {

#define GEN_PASS_DECL
#include "nnc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nnc/Conversion/Passes.h.inc"

/// Options of the CPU pipeline (`nnc-cpu-pipeline{blas=false}` on the
/// command line).
struct CPUPipelineOptions : mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<bool> blas{
      *this, "blas",
      llvm::cl::desc("Compute f32 matrix products with calls to nnc_sgemm "
                     "(OpenBLAS, libnnc_blas.so) instead of loops"),
      llvm::cl::init(true)};
  Option<uint64_t> seed{
      *this, "seed",
      llvm::cl::desc("The run's seed: the Philox key of nn.random (the "
                     "initial weights)"),
      llvm::cl::init(0)};
  Option<bool> pooledMemory{
      *this, "pooled-memory",
      llvm::cl::desc("Allocate buffers with MLIR's generic allocation "
                     "functions, which nnc's runtime serves from the CPU "
                     "device's pool (runtime/include/nnc/runtime/Device.h), "
                     "instead of malloc and free"),
      llvm::cl::init(false)};
};

/// Appends the CPU lowering to \p pm, which must run on a builtin.module of
/// func.func ops holding nn ops (dynamic shapes allowed): nn -> linalg on
/// tensors, elementwise fusion, one-shot bufferization (identity layouts at
/// function boundaries), buffer deallocation, f32 matrix products as calls
/// to nnc_sgemm, loops, and the LLVM dialect. The result is ready for
/// mlir-translate --mlir-to-llvmir or an ExecutionEngine; with the blas
/// option the code calls nnc_sgemm (runtime/include/nnc/runtime/Blas.h),
/// which programs linked with nncCPUPipeline load from libnnc_blas.so.
/// Elementwise fusion of linalg ops that does not fuse a producer over fewer
/// loops into its consumer unless it is free (casts), so a scalar such as
/// 1 - beta1^t is computed once, not once per element. Step 2 of the CPU
/// pipeline.
std::unique_ptr<mlir::Pass> createFuseElementwisePass();

void buildCPUPipeline(mlir::OpPassManager &pm,
                      const CPUPipelineOptions &options = {});

/// Registers `nnc-cpu-pipeline` (buildCPUPipeline) with the pass registry,
/// along with the upstream transformation, linalg and bufferization passes it
/// is made of (so that tools can run them one by one).
void registerCPUPipeline();

/// Adds to \p registry the dialects whose ops the CPU pipeline creates and
/// the external interface models it relies on (bufferization of arith,
/// linalg, tensor, scf and func; buffer deallocation of cf and scf; memref
/// allocation). A tool that runs buildCPUPipeline must load these first.
void registerCPUPipelineDialects(mlir::DialectRegistry &registry);

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

#endif // NNC_CONVERSION_PASSES_H
