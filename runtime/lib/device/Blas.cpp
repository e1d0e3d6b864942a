//===- Blas.cpp - nnc_sgemm on top of OpenBLAS ----------------------------===//
//
// Algorithm (nnc_sgemm):
//   1. Once per process, choose OpenBLAS's thread count: NNC_BLAS_THREADS
//      if set, else OpenBLAS's own choice (OPENBLAS_NUM_THREADS, or one
//      thread per core). Two threads take the MLP's training step from
//      1.09 to 0.66 ms on 2 cores (bench/run.sh).
//   2. Nothing to do when m or n is 0; k = 0 scales C by beta (step 5).
//   3. Normalise each view: a dimension of size 1 gets the stride that
//      makes it contiguous (its real stride is never used). A view is
//      row-major when its column stride is 1 and its row stride covers a
//      row (no transpose, ld = row stride), column-major when its row
//      stride is 1 and its column stride covers a column (transpose flag,
//      ld = column stride).
//   4. C must be row-major for cblas_sgemm in row-major order; a
//      column-major C is computed as C^T = op(B)^T op(A)^T, swapping the
//      operands and the views' strides.
//   5. Anything else (zero or negative strides, overlapping rows) uses a
//      plain triple loop with the same beta semantics.
//   6. Batches loop over cblas_sgemm calls.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/Blas.h"

#include <cblas.h>
#include <cstdlib>
#include <utility>

extern "C" void openblas_set_num_threads(int);

namespace {

struct View {
  int64_t row, col;
};

/// Step 3.
View normalised(View v, int64_t rows, int64_t cols) {
  if (cols == 1)
    v.col = 1;
  if (rows == 1)
    v.row = cols;
  if (rows == 1 && cols == 1)
    v = {1, 1};
  return v;
}

bool rowMajor(View v, int64_t cols) {
  return v.col == 1 && v.row >= (cols > 1 ? cols : 1);
}

bool colMajor(View v, int64_t rows) {
  return v.row == 1 && v.col >= (rows > 1 ? rows : 1);
}

/// The transpose flag and leading dimension of a view BLAS can take.
bool blasLayout(View v, int64_t rows, int64_t cols, CBLAS_TRANSPOSE &trans,
                int &ld) {
  if (rowMajor(v, cols)) {
    trans = CblasNoTrans;
    ld = static_cast<int>(v.row);
    return true;
  }
  if (colMajor(v, rows)) {
    trans = CblasTrans;
    ld = static_cast<int>(v.col);
    return true;
  }
  return false;
}

/// Step 5.
void loopGemm(int64_t m, int64_t n, int64_t k, const float *a, View av,
              const float *b, View bv, float beta, float *c, View cv) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float sum = 0.0f;
      for (int64_t p = 0; p < k; ++p)
        sum += a[i * av.row + p * av.col] * b[p * bv.row + j * bv.col];
      float &out = c[i * cv.row + j * cv.col];
      out = beta == 0.0f ? sum : beta * out + sum;
    }
}

/// Steps 3-5 for one matrix.
void gemm(int64_t m, int64_t n, int64_t k, const float *a, View av,
          const float *b, View bv, float beta, float *c, View cv) {
  av = normalised(av, m, k);
  bv = normalised(bv, k, n);
  cv = normalised(cv, m, n);
  if (!rowMajor(cv, n) && colMajor(cv, m)) {
    // Step 4: C^T = op(B)^T op(A)^T.
    std::swap(m, n);
    std::swap(a, b);
    std::swap(av, bv);
    std::swap(av.row, av.col);
    std::swap(bv.row, bv.col);
    std::swap(cv.row, cv.col);
  }
  constexpr int64_t maxInt = 0x7fffffff;
  CBLAS_TRANSPOSE transA, transB;
  int lda, ldb;
  if (k > 0 && m <= maxInt && n <= maxInt && k <= maxInt && cv.row <= maxInt &&
      av.row <= maxInt && av.col <= maxInt && bv.row <= maxInt &&
      bv.col <= maxInt && rowMajor(cv, n) &&
      blasLayout(av, m, k, transA, lda) && blasLayout(bv, k, n, transB, ldb)) {
    cblas_sgemm(CblasRowMajor, transA, transB, static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), 1.0f, a, lda, b, ldb,
                beta, c, static_cast<int>(cv.row));
    return;
  }
  loopGemm(m, n, k, a, av, b, bv, beta, c, cv);
}

/// Step 1.
void chooseThreads() {
  static const bool chosen = [] {
    if (const char *threads = std::getenv("NNC_BLAS_THREADS"))
      openblas_set_num_threads(std::atoi(threads) > 0 ? std::atoi(threads) : 1);
    return true;
  }();
  (void)chosen;
}

} // namespace

extern "C" void nnc_sgemm(int64_t batch, int64_t m, int64_t n, int64_t k,
                          const float *a, int64_t aOffset, int64_t aBatch,
                          int64_t aRow, int64_t aCol, const float *b,
                          int64_t bOffset, int64_t bBatch, int64_t bRow,
                          int64_t bCol, float beta, float *c, int64_t cOffset,
                          int64_t cBatch, int64_t cRow, int64_t cCol) {
  if (m <= 0 || n <= 0)
    return;
  chooseThreads();
  for (int64_t t = 0; t < batch; ++t)
    gemm(m, n, k, a + aOffset + t * aBatch, {aRow, aCol},
         b + bOffset + t * bBatch, {bRow, bCol}, beta, c + cOffset + t * cBatch,
         {cRow, cCol});
}
