//===- nn-opt.cpp - mlir-opt for the nn dialect ---------------------------===//
//
// Parses, verifies, transforms and prints IR holding the nn dialect and the
// upstream dialects the pipeline uses, with every nnc pass and pipeline
// registered (nn-autodiff, convert-nn-to-linalg, nnc-cpu-pipeline) next to
// the upstream passes the pipeline is made of, so tests can run them one by
// one. Used by the lit tests of the dialect, of each pass and of the CPU
// lowering.
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Passes.h"
#include "nnc/Dialect/NN/IR/NNDialect.h"
#include "nnc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<nnc::nn::NNDialect>();
  nnc::registerCPUPipelineDialects(registry);
  nnc::nn::registerNNPasses();
  nnc::registerNNCConversionPasses();
  nnc::registerCPUPipeline();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "nnc optimizer driver\n", registry));
}
