//===- NNDialect.h - The nn dialect -------------------------------*- C++
//-*-===//
//
// The tensor operations of .nn programs (see NNOps.td). Include this header
// to use the dialect and its ops; it is heavy (MLIR IR headers), so keep it
// out of widely included headers.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NN_IR_NNDIALECT_H
#define NNC_DIALECT_NN_IR_NNDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "nnc/Dialect/NN/IR/NNDialect.h.inc"
#include "nnc/Dialect/NN/IR/NNEnums.h.inc"
#include "nnc/Dialect/NN/IR/NNInterfaces.h.inc"

#define GET_OP_CLASSES
#include "nnc/Dialect/NN/IR/NNOps.h.inc"

#endif // NNC_DIALECT_NN_IR_NNDIALECT_H
