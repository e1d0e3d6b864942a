//===- NNToLinalg.h - Helpers of the nn -> linalg lowering ------*- C++ -*-===//
//
// Internal to lib/Conversion/NNToLinalg: the helpers every pattern uses
// (destination tensors with dynamic sizes, elementwise linalg.generic
// builders, scalar constants) and the populate functions of the pattern
// files, which are split by op family to keep each translation unit small.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_LIB_CONVERSION_NNTOLINALG_NNTOLINALG_H
#define NNC_LIB_CONVERSION_NNTOLINALG_NNTOLINALG_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>

namespace nnc::nn {

/// Computes the scalar result of one element from the scalar operands (the
/// block arguments of the linalg.generic, outputs excluded).
using ScalarFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// The size of dimension \p dim of the tensor \p v: a constant when static,
/// tensor.dim otherwise.
mlir::Value dimValue(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                     int64_t dim);

/// A tensor.empty of \p type whose dynamic dimension `i` has the size
/// `dynSize(i)`.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type,
                        llvm::function_ref<mlir::Value(int64_t)> dynSize);

/// A tensor.empty of \p type whose dynamic sizes are those of \p like (a
/// tensor of the same rank).
mlir::Value emptyLike(mlir::OpBuilder &b, mlir::Location loc,
                      mlir::RankedTensorType type, mlir::Value like);

/// \p v, tensor.cast to \p type when the static information differs.
mlir::Value castTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                   mlir::Type type);

/// The scalar constant \p value of type \p type (float, integer or i1;
/// for i1 any non-zero value is true).
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double value);

/// A linalg.generic computing \p fn elementwise over \p inputs (all of the
/// shape of \p resultType) into a fresh tensor of \p resultType.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType,
                             mlir::ValueRange inputs, ScalarFn fn);

/// Reassociation that expands a tensor of the kept dimensions of a rank
/// \p rank tensor into one where the dimensions \p reduced are present with
/// size 1 (the keepdim form of a reduction).
llvm::SmallVector<llvm::SmallVector<int64_t, 2>>
keepdimReassociation(int64_t rank, llvm::ArrayRef<bool> reduced);

void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
void populateStructuredPatterns(mlir::RewritePatternSet &patterns);
void populateShapePatterns(mlir::RewritePatternSet &patterns);
void populateRandomPatterns(mlir::RewritePatternSet &patterns, uint64_t seed);

/// ceil(p * 2^24): the smallest top-24-bit value of a word that keeps an
/// element of nn.dropout (the runtime's dropoutThreshold).
uint32_t dropoutThreshold(double p);

} // namespace nnc::nn

#endif // NNC_LIB_CONVERSION_NNTOLINALG_NNTOLINALG_H
