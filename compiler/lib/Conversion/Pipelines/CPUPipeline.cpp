//===- CPUPipeline.cpp - nn to the LLVM dialect for CPUs ------------------===//
//
// nnc-cpu-pipeline: the pass pipeline that lowers a module of func.func ops
// holding nn ops (dynamic shapes included) to the LLVM dialect, and the
// registry of the dialects and external interface models it needs. Every
// step is an upstream MLIR pass except the first.
//
// Algorithm (buildCPUPipeline):
//   1. convert-nn-to-linalg, then canonicalize: linalg on tensors. With the
//      blas option (the default), nnc-fold-matmul-transpose turns the
//      transposes around matrix products into the transposed matmul ops.
//   2. Elementwise fusion, canonicalize, cse: chains of elementwise generics
//      (and their producers into reductions) become one generic - except
//      that a producer over fewer loops than its consumer (a scalar such as
//      Adam's 1 - beta1^t, broadcast into a [256, 784] update) is fused only
//      if it is free (casts and copies): fusing it would recompute it for
//      every element of the consumer.
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

namespace {

/// Linalg elementwise fusion with the rule of step 2.
struct FuseElementwisePass : PassWrapper<FuseElementwisePass, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FuseElementwisePass)
  StringRef getArgument() const final { return "nnc-fuse-elementwise"; }
  StringRef getDescription() const final {
    return "Fuse elementwise linalg ops without recomputing smaller "
           "producers per element";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<linalg::LinalgDialect, affine::AffineDialect,
                    memref::MemRefDialect, tensor::TensorDialect>();
  }
  void runOnOperation() override {
    auto control = [](OpOperand *fused) {
      auto producer = fused->get().getDefiningOp<linalg::GenericOp>();
      auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      if (!producer || !consumer || !producer->hasOneUse())
        return false;
      if (producer.getNumLoops() >= consumer.getNumLoops())
        return true;
      // Fewer loops: fuse only what costs nothing per element.
      for (Operation &op : producer.getBody()->without_terminator())
        if (!isa<arith::ExtFOp, arith::TruncFOp, arith::SIToFPOp,
                 arith::UIToFPOp, arith::FPToSIOp, arith::ExtSIOp,
                 arith::ExtUIOp, arith::TruncIOp>(op))
          return false;
      return true;
    };
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, &getContext());
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

/// Gives every user of a linalg.fill on tensors its own copy, placed right
/// before it, and unshares the tensor.empty behind each value that
/// materialize_in_destination stores. CSE merges equal fills (the zeros that
/// start a gradient accumulation and the zeros of an optimizer's state); one
/// shared fill that several ops write into makes bufferization copy it for each
/// of them, and a fill next to its matrix product is absorbed into the BLAS
/// call (beta = 0).
struct DuplicateFillsPass : PassWrapper<DuplicateFillsPass, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(DuplicateFillsPass)
  StringRef getArgument() const final { return "nnc-duplicate-fills"; }
  StringRef getDescription() const final {
    return "Give each user of a tensor fill its own fill, and each value "
           "stored by materialize_in_destination its own tensor.empty";
  }
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

/// Moves the module's functions, in their order, before its other symbols.
/// Upstream passes look a call's callee up with
/// SymbolTable::lookupNearestSymbolFrom, which scans the module from its
/// first op (one-shot bufferization's module analysis, for every call); a
/// long script's host program has a memref.global per variable and a
/// string per name or location, so with the few functions behind them each
/// call would cost a scan of all of them, and compiling the script would
/// take time quadratic in its length.
struct FunctionsFirstPass
    : PassWrapper<FunctionsFirstPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FunctionsFirstPass)
  StringRef getArgument() const final { return "nnc-functions-first"; }
  StringRef getDescription() const final {
    return "Move the module's functions before its globals, so that a "
           "callee is found by a short scan";
  }
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

std::unique_ptr<Pass> nnc::createFuseElementwisePass() {
  return std::make_unique<FuseElementwisePass>();
}

void nnc::buildCPUPipeline(OpPassManager &pm,
                           const CPUPipelineOptions &options) {
  // 0. Functions first: callees are looked up by scanning the module.
  pm.addPass(std::make_unique<FunctionsFirstPass>());
  // 1-2. nn -> linalg on tensors, fused.
  ConvertNNToLinalgOptions toLinalg;
  toLinalg.seed = options.seed;
  pm.addPass(createConvertNNToLinalg(toLinalg));
  pm.addPass(createCanonicalizerPass());
  if (options.blas)
    pm.addPass(createFoldMatmulTranspose());
  pm.addPass(std::make_unique<FuseElementwisePass>());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

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
  pm.addPass(std::make_unique<DuplicateFillsPass>());
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

void nnc::registerCPUPipeline() {
  // Registering twice is a fatal error; tools may call this more than once.
  static bool registered = [] {
    // The upstream passes of the pipeline, to run them one at a time.
    registerTransformsPasses();
    registerLinalgPasses();
    bufferization::registerBufferizationPasses();
    bufferization::registerBufferizationPipelines();
    registerPass([] { return createFuseElementwisePass(); });
    registerPass([] { return std::make_unique<DuplicateFillsPass>(); });
    registerPass([] { return std::make_unique<FunctionsFirstPass>(); });
    PassPipelineRegistration<CPUPipelineOptions>(
        "nnc-cpu-pipeline",
        "Lower func + nn to the LLVM dialect for CPUs (nn -> linalg, fusion, "
        "bufferization, deallocation, BLAS calls, loops, LLVM)",
        [](OpPassManager &pm, const CPUPipelineOptions &options) {
          buildCPUPipeline(pm, options);
        });
    return true;
  }();
  (void)registered;
}

void nnc::registerCPUPipelineDialects(DialectRegistry &registry) {
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
