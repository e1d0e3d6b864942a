//===- Pipeline.cpp - The one pass pipeline of nnc ------------------------===//
//
// buildPipeline: the target-independent half of nnc's pipeline and the
// dispatch to a target's half; runPipeline, which runs it with a dump at a
// stage; and the registration of `nnc-pipeline` and `nnc-cpu-pipeline`.
//
// Algorithm (buildPipeline, a stage at a time from options.first to
// options.last; see Pipeline.h for the stages):
//   nn:       nothing: MLIRGen's module.
//   autodiff: nn-autodiff (the body of each F_grad that MLIRGen declared),
//             nnc-privatize-functions (keep = the entry points), the
//             inliner (the steps, initialisers and user functions into the
//             entry points), symbol-dce (what was inlined).
//   linalg:   nnc-functions-first (callee lookups scan a short prefix of the
//             module), convert-nn-to-linalg (the seed keys nn.random),
//             canonicalize; with blas, nnc-fold-matmul-transpose; then
//             nnc-fuse-elementwise, canonicalize, cse.
//   llvm:     the target's half (buildCPUTargetPipeline).
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Pipeline.h"
#include "nnc/Conversion/Passes.h"
#include "nnc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {

constexpr nnc::Stage allStages[] = {nnc::Stage::NN, nnc::Stage::Autodiff,
                                    nnc::Stage::Linalg, nnc::Stage::LLVM};

/// The passes that take a module at the stage before \p stage to \p stage.
void addStage(OpPassManager &pm, nnc::Stage stage,
              const nnc::PipelineOptions &options) {
  switch (stage) {
  case nnc::Stage::NN:
    return; // MLIRGen's module
  case nnc::Stage::Autodiff:
    pm.addPass(nnc::nn::createNNAutodiff());
    // After autodiff: the functions it differentiates are found by their
    // attribute, not by a use, and would be dropped as unused.
    if (!options.entryPoints.empty()) {
      nnc::PrivatizeFunctionsOptions privatize;
      privatize.keep = options.entryPoints;
      pm.addPass(nnc::createPrivatizeFunctions(privatize));
    }
    pm.addPass(createInlinerPass());
    pm.addPass(createSymbolDCEPass());
    return;
  case nnc::Stage::Linalg: {
    pm.addPass(nnc::createFunctionsFirst());
    nnc::ConvertNNToLinalgOptions toLinalg;
    toLinalg.seed = options.seed;
    pm.addPass(nnc::createConvertNNToLinalg(toLinalg));
    pm.addPass(createCanonicalizerPass());
    if (options.blas)
      pm.addPass(nnc::createFoldMatmulTranspose());
    pm.addPass(nnc::createFuseElementwise());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    return;
  }
  case nnc::Stage::LLVM:
    switch (options.target) {
    case nnc::Target::CPU:
      nnc::buildCPUTargetPipeline(pm, options);
      return;
    }
    return;
  }
}

/// The stage names of the command line.
auto stageValues() {
  return llvm::cl::values(
      clEnumValN(nnc::Stage::NN, "nn", "MLIRGen's module"),
      clEnumValN(nnc::Stage::Autodiff, "autodiff",
                 "gradients, functions inlined"),
      clEnumValN(nnc::Stage::Linalg, "linalg", "linalg on tensors, fused"),
      clEnumValN(nnc::Stage::LLVM, "llvm", "the target's LLVM dialect"));
}

/// Options of `nnc-pipeline` and `nnc-cpu-pipeline` on the command line.
struct PipelineCLOptions : PassPipelineOptions<PipelineCLOptions> {
  Option<nnc::Stage> from{*this, "from",
                          llvm::cl::desc("The first stage to run"),
                          llvm::cl::init(nnc::Stage::NN), stageValues()};
  Option<nnc::Stage> to{*this, "to", llvm::cl::desc("The last stage to run"),
                        llvm::cl::init(nnc::Stage::LLVM), stageValues()};
  ListOption<std::string> keep{
      *this, "keep",
      llvm::cl::desc("The functions called from outside the module; the "
                     "others become private (none: visibility kept)")};
  Option<uint64_t> seed{*this, "seed",
                        llvm::cl::desc("The Philox key of nn.random"),
                        llvm::cl::init(0)};
  Option<bool> blas{*this, "blas",
                    llvm::cl::desc("f32 matrix products as calls to "
                                   "nnc_sgemm instead of loops"),
                    llvm::cl::init(true)};
  Option<bool> pooledMemory{
      *this, "pooled-memory",
      llvm::cl::desc("Buffers from the generic allocation functions that "
                     "nnc's runtime serves from its device pool"),
      llvm::cl::init(false)};

  /// The options, with \p first when `from` is not given.
  nnc::PipelineOptions get(nnc::Stage first) const {
    nnc::PipelineOptions options;
    options.first = from.hasValue() ? from : first;
    options.last = to;
    options.entryPoints.assign(keep.begin(), keep.end());
    options.seed = seed;
    options.blas = blas;
    options.pooledMemory = pooledMemory;
    return options;
  }
};

} // namespace

StringRef nnc::stageName(Stage stage) {
  switch (stage) {
  case Stage::NN:
    return "nn";
  case Stage::Autodiff:
    return "autodiff";
  case Stage::Linalg:
    return "linalg";
  case Stage::LLVM:
    return "llvm";
  }
  return "";
}

std::optional<nnc::Stage> nnc::parseStage(StringRef name) {
  for (Stage stage : allStages)
    if (stageName(stage) == name)
      return stage;
  return std::nullopt;
}

void nnc::buildPipeline(OpPassManager &pm, const PipelineOptions &options) {
  for (Stage stage : allStages)
    if (stage >= options.first && stage <= options.last)
      addStage(pm, stage, options);
}

LogicalResult nnc::runPipeline(ModuleOp module, const PipelineOptions &options,
                               const PipelineRun &run) {
  // A dump splits the pipeline in two pass managers at the stage: the
  // passes and their order are the same as without it.
  SmallVector<PipelineOptions, 2> parts;
  if (run.dumpAt && *run.dumpAt >= options.first &&
      *run.dumpAt < options.last) {
    PipelineOptions head = options, tail = options;
    head.last = *run.dumpAt;
    tail.first = static_cast<Stage>(static_cast<int>(*run.dumpAt) + 1);
    parts = {head, tail};
  } else {
    parts = {options};
  }
  for (const PipelineOptions &part : parts) {
    PassManager pm(module.getContext());
    buildPipeline(pm, part);
    if (run.timing)
      pm.enableTiming();
    if (failed(pm.run(module)))
      return failure();
    if (run.dump && run.dumpAt && part.last == *run.dumpAt)
      run.dump(module);
  }
  return success();
}

void nnc::registerPipelines() {
  // Registering twice is a fatal error; tools may call this more than once.
  static bool registered = [] {
    // The passes of the pipeline, to run them one at a time.
    registerTransformsPasses();
    registerLinalgPasses();
    bufferization::registerBufferizationPasses();
    bufferization::registerBufferizationPipelines();
    registerNNCConversionPasses();
    nn::registerNNPasses();
    PassPipelineRegistration<PipelineCLOptions>(
        "nnc-pipeline",
        "nnc's pipeline from a stage to a stage (nn, autodiff, linalg, "
        "llvm): autodiff, inlining, nn -> linalg, fusion, then the CPU's "
        "bufferization, deallocation, BLAS calls, loops and LLVM",
        [](OpPassManager &pm, const PipelineCLOptions &cl) {
          buildPipeline(pm, cl.get(Stage::NN));
        });
    PassPipelineRegistration<PipelineCLOptions>(
        "nnc-cpu-pipeline",
        "nnc's pipeline for the CPU from func + nn without gradients to the "
        "LLVM dialect (nnc-pipeline from=linalg)",
        [](OpPassManager &pm, const PipelineCLOptions &cl) {
          buildPipeline(pm, cl.get(Stage::Linalg));
        });
    return true;
  }();
  (void)registered;
}
