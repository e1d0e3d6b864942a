//===- Blas.h - Matrix products of compiled code ---------------*- C++ -*-===//
//
// The C ABI entry point that nnc-linalg-to-blas emits calls to for every f32
// matrix product: a strided, batched sgemm on top of OpenBLAS. It lives in
// the shared library libnnc_blas.so, so that MLIR's JIT and mlir-cpu-runner
// (-shared-libs) find it, as well as executables linked with it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_BLAS_H
#define NNC_RUNTIME_BLAS_H

#include <cstdint>

extern "C" {

/// For each of \p batch matrices: C = op(A) op(B) + beta C, where op(A) is
/// \p m x \p k, op(B) is \p k x \p n and C is \p m x \p n. Each matrix is an
/// address (the aligned pointer of a memref, passed as an MLIR index), an
/// element offset, the element stride between batches, and the element
/// strides of the logical view's rows and columns: element (i, j) of batch
/// t of A is a[aOffset + t * aBatch + i * aRow + j * aCol]. A transposed
/// operand is passed with its strides swapped. Views with a unit stride in
/// either dimension go to cblas_sgemm (with the matching transpose flag);
/// other layouts, and k = 0, use a plain loop. beta = 0 ignores C's old
/// contents (as BLAS does), so C may be uninitialised.
///
/// OpenBLAS uses one thread unless NNC_BLAS_THREADS (or, when that is unset,
/// OPENBLAS_NUM_THREADS) says otherwise: on the shapes of nnc's examples a
/// second thread does not pay (bench/matmul.sh).
void nnc_sgemm(int64_t batch, int64_t m, int64_t n, int64_t k, const float *a,
               int64_t aOffset, int64_t aBatch, int64_t aRow, int64_t aCol,
               const float *b, int64_t bOffset, int64_t bBatch, int64_t bRow,
               int64_t bCol, float beta, float *c, int64_t cOffset,
               int64_t cBatch, int64_t cRow, int64_t cCol);

} // extern "C"

#endif // NNC_RUNTIME_BLAS_H
