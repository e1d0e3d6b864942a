//===- CPUPipeline.cpp - nn to the LLVM dialect for CPUs ------------------===//
//
// The CPU's half of the pipeline (buildCPUTargetPipeline, called by
// buildPipeline in Pipeline.h): linalg on tensors, fused, to the LLVM
// dialect; the registry of the dialects and external interface models the
// whole pipeline needs; and the LLVM target machines and optimizers of the
// CPU. Every step is an upstream MLIR pass except nnc-duplicate-fills and
// nnc-linalg-to-blas.
//
// Algorithm (buildCPUTargetPipeline; steps 1-2, nn -> linalg and fusion,
// are the target-independent half in Pipeline.cpp):
//   3. one-shot-bufferize with bufferize-function-boundaries and identity
//      layouts at function boundaries: tensors become memrefs, in place where
//      the analysis allows; loops may yield fresh buffers.
//   4. buffer-deallocation-pipeline (ownership-based deallocation), then
//      convert-bufferization-to-memref for the clones it leaves.
//   5. With the blas option, nnc-linalg-to-blas: f32 matrix products become
//      calls to the runtime's nnc_sgemm (OpenBLAS, libnnc_blas.so; measured
//      against tiling and vectorization in MLIR in bench/README.md). Then
//      convert-linalg-to-loops: scf.for nests for everything else.
//   6. To LLVM: expand-strided-metadata, lower-affine, convert-scf-to-cf;
//      convert-math-to-funcs (integer powers), convert-math-to-llvm (exact
//      log1p kept), convert-math-to-libm (erf, tanh, log1p); then memref,
//      arith, cf and func to LLVM, and reconcile-unrealized-casts.
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Passes.h"
#include "nnc/Conversion/Pipeline.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToFuncs/MathToFuncs.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Func/Extensions/InlinerExtension.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/IR/TensorInferTypeOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;

void nnc::buildCPUTargetPipeline(OpPassManager &pm,
                                 const PipelineOptions &options) {
  // 3-4. Buffers, and their deallocation.
  bufferization::OneShotBufferizationOptions bufferization;
  bufferization.bufferizeFunctionBoundaries = true;
  // Loops that carry tensors (a training loop over steps) may yield new
  // buffers; the ownership-based deallocation below frees them.
  bufferization.allowReturnAllocsFromLoops = true;
  bufferization.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  // Results that end in a global (a step's new parameters and optimizer
  // state, via materialize_in_destination) are computed in place there.
  pm.addPass(createDuplicateFills());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  // Buffers of a fixed size that a loop allocates on every iteration (the
  // step's gradients and temporaries, in the training loop) are allocated
  // once before the loop and reused.
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferLoopHoistingPass());
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  pm.addPass(createBufferizationToMemRefPass());

  // 5. BLAS calls, then loops.
  if (options.blas)
    pm.addPass(createConvertLinalgToBlas());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createCanonicalizerPass());

  // 6. LLVM.
  pm.addPass(memref::createExpandStridedMetadataPass());
  // The host program's floored integer division and modulo.
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createConvertMathToFuncs());
  ConvertMathToLLVMPassOptions math;
  math.approximateLog1p = false;
  pm.addPass(createConvertMathToLLVMPass(math));
  pm.addPass(createConvertMathToLibmPass());
  // Before arith: memref.dim with an arith.constant index becomes a plain
  // read of the descriptor.
  FinalizeMemRefToLLVMConversionPassOptions memref;
  memref.useGenericFunctions = options.pooledMemory;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memref));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void nnc::registerPipelineDialects(DialectRegistry &registry) {
  registry.insert<affine::AffineDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  func::FuncDialect, linalg::LinalgDialect, LLVM::LLVMDialect,
                  math::MathDialect, memref::MemRefDialect, scf::SCFDialect,
                  tensor::TensorDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  cf::registerBufferizableOpInterfaceExternalModels(registry);
  cf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  memref::registerAllocationOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerInferTypeOpInterfaceExternalModels(registry);
  func::registerInlinerExtension(registry);
}

std::unique_ptr<llvm::TargetMachine>
nnc::makeTargetMachine(const std::string &cpu, unsigned optLevel, bool pic,
                       std::string &error) {
  llvm::Expected<llvm::orc::JITTargetMachineBuilder> builder =
      llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder) {
    error = llvm::toString(builder.takeError());
    return nullptr;
  }
  if (cpu != "native") {
    llvm::Triple triple = builder->getTargetTriple();
    std::string name = cpu;
    if (cpu == "generic")
      name = triple.getArch() == llvm::Triple::x86_64 ? "x86-64" : "generic";
    std::string lookupError;
    const llvm::Target *target =
        llvm::TargetRegistry::lookupTarget(triple.getTriple(), lookupError);
    if (!target) {
      error = lookupError;
      return nullptr;
    }
    // Created for a CPU it knows, so that it does not warn about `name`.
    std::unique_ptr<llvm::MCSubtargetInfo> info(
        target->createMCSubtargetInfo(triple.getTriple(), "generic", ""));
    if (!info || !info->isCPUStringValid(name)) {
      error = "unknown CPU '" + cpu + "' for " + triple.getTriple() +
              " (use native, generic or an LLVM CPU name such as "
              "x86-64-v3, skylake or znver3)";
      return nullptr;
    }
    builder = llvm::orc::JITTargetMachineBuilder(triple);
    builder->setCPU(name);
  }
  if (pic)
    builder->setRelocationModel(llvm::Reloc::PIC_);
  builder->setCodeGenOptLevel(optLevel == 0   ? llvm::CodeGenOptLevel::None
                              : optLevel == 1 ? llvm::CodeGenOptLevel::Less
                              : optLevel == 2
                                  ? llvm::CodeGenOptLevel::Default
                                  : llvm::CodeGenOptLevel::Aggressive);
  auto tm = builder->createTargetMachine();
  if (!tm) {
    error = llvm::toString(tm.takeError());
    return nullptr;
  }
  return std::move(*tm);
}

std::function<llvm::Error(llvm::Module *)>
nnc::makeOptimizer(std::shared_ptr<llvm::TargetMachine> machine,
                   unsigned optLevel) {
  auto optimize = mlir::makeOptimizingTransformer(optLevel, 0, machine.get());
  return [machine, optimize](llvm::Module *m) { return optimize(m); };
}

std::function<llvm::Error(llvm::Module *)>
nnc::makeHostOptimizer(std::string &error) {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder) {
    error = llvm::toString(builder.takeError());
    return nullptr;
  }
  auto tm = builder->createTargetMachine();
  if (!tm) {
    error = llvm::toString(tm.takeError());
    return nullptr;
  }
  // The transformer keeps the target machine alive.
  std::shared_ptr<llvm::TargetMachine> machine(std::move(*tm));
  auto optimize = mlir::makeOptimizingTransformer(3, 0, machine.get());
  return [machine, optimize](llvm::Module *m) { return optimize(m); };
}
