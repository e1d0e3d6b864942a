//===- nn-opt.cpp - mlir-opt for the nn dialect ---------------------------===//
//
// Parses, verifies, transforms and prints IR holding the nn dialect and the
// upstream dialects the pipeline uses, with every nnc pass and pipeline
// registered (nn-autodiff, convert-nn-to-linalg, nnc-pipeline) next to
// the upstream passes the pipeline is made of, so tests can run them one by
// one. Used by the lit tests of the dialect, of each pass and of the CPU
// lowering.
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Pipeline.h"
#include "nnc/Dialect/NN/IR/NNDialect.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<nnc::nn::NNDialect>();
  nnc::registerPipelineDialects(registry);
  nnc::registerPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "nnc optimizer driver\n", registry));
}
