//===- NNInterfaces.td - Derivative rules of nn ops --------*- tablegen -*-===//
//
// Every op of the nn dialect either implements DifferentiableOpInterface -
// its reverse-mode rule, given the adjoints of its results - or is declared
// inactive with NonDifferentiableOpInterface (comparisons, argmax, casts to
// integers, random numbers). The autodiff pass refuses any other op.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_NN_INTERFACES
#define NNC_NN_INTERFACES

include "mlir/IR/OpBase.td"

def NN_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::nnc::nn";
  let description = [{
    The reverse-mode derivative rule of an op. Given the adjoint (the
    gradient of the loss with respect to) each result, build the adjoint
    contribution of each operand, with the same type as that operand. A null
    Value means the operand receives no gradient (an integer index, say).
    The autodiff pass sums the contributions of an operand used several
    times.
  }];
  let methods = [
    InterfaceMethod<
      "Builds the adjoints of the operands from the adjoints of the results.",
      "::llvm::SmallVector<::mlir::Value>", "buildAdjoints",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultAdjoints)>
  ];
}

def NN_NonDifferentiableOpInterface
    : OpInterface<"NonDifferentiableOpInterface"> {
  let cppNamespace = "::nnc::nn";
  let description = [{
    Marks an op whose results carry no gradient (comparisons, argmax,
    random numbers, integer casts): autodiff stops at it.
  }];
}

#endif // NNC_NN_INTERFACES
