//===- nn-opt.cpp - mlir-opt for the nn dialect
//-----------------------------===//
//
// Parses, verifies, transforms and prints IR holding the nn dialect and the
// upstream dialects the pipeline uses, with every nnc pass registered.
// Used by the lit tests of the dialect and of each pass.
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/IR/NNDialect.h"
#include "nnc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<nnc::nn::NNDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::scf::SCFDialect,
                  mlir::tensor::TensorDialect>();
  nnc::nn::registerNNPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "nnc optimizer driver\n", registry));
}
