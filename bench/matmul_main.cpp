//===- matmul_main.cpp - Times nnc's compiled matrix products -------------===//
//
// Linked with bench/matmul.mlir compiled by nnc-cpu-pipeline (one object per
// pipeline variant): for each of the MLP's six products, times the compiled
// function (through its C interface, result allocation included) and
// cblas_sgemm on the same shapes and transposes (each at 1 and 2 OpenBLAS
// threads), checks that the results agree, and prints one table row per shape.
// Each number is the median of the samples; a sample repeats the call until it
// lasts >= 20 ms, and the samples of nnc and OpenBLAS alternate.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cblas.h>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace {

struct Memref2D {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
};

using Fn = void (*)(Memref2D *, Memref2D *, Memref2D *);

} // namespace

extern "C" {
void _mlir_ciface_fc1(Memref2D *, Memref2D *, Memref2D *);
void _mlir_ciface_fc2(Memref2D *, Memref2D *, Memref2D *);
void _mlir_ciface_dw1(Memref2D *, Memref2D *, Memref2D *);
void _mlir_ciface_dx(Memref2D *, Memref2D *, Memref2D *);
void _mlir_ciface_dw2(Memref2D *, Memref2D *, Memref2D *);
void _mlir_ciface_dh(Memref2D *, Memref2D *, Memref2D *);
}

namespace {

struct Case {
  const char *name;
  Fn fn;
  int64_t m, k, n;
  // The stored shapes of the function's two arguments, and how BLAS sees
  // them (op(A) = m x k, op(B) = k x n).
  int64_t aRows, aCols, bRows, bCols;
  bool transA, transB;
};

Memref2D descriptor(std::vector<float> &data, int64_t rows, int64_t cols) {
  return {data.data(), data.data(), 0, {rows, cols}, {cols, 1}};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

using Clock = std::chrono::steady_clock;

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

/// Calls per sample so that a sample of \p body lasts >= 20 ms.
int repetitions(const std::function<void()> &body) {
  body(); // warm up
  for (int reps = 1;; reps *= 2) {
    auto start = Clock::now();
    for (int i = 0; i < reps; ++i)
      body();
    if (seconds(Clock::now() - start) >= 0.02)
      return reps;
  }
}

/// GFLOP/s (2 m n k flops a call) of each body, the median of \p samples
/// samples; the bodies' samples alternate, so that a load that comes and
/// goes on the machine affects them alike.
std::vector<double> gflops(const Case &c, int samples,
                           const std::vector<std::function<void()>> &bodies) {
  std::vector<int> reps;
  for (const auto &body : bodies)
    reps.push_back(repetitions(body));
  std::vector<std::vector<double>> perCall(bodies.size());
  for (int s = 0; s < samples; ++s)
    for (size_t b = 0; b < bodies.size(); ++b) {
      auto start = Clock::now();
      for (int i = 0; i < reps[b]; ++i)
        bodies[b]();
      perCall[b].push_back(seconds(Clock::now() - start) / reps[b]);
    }
  std::vector<double> rates;
  for (auto &times : perCall)
    rates.push_back(2.0 * c.m * c.n * c.k / median(times) * 1e-9);
  return rates;
}

} // namespace

int main(int argc, char **argv) {
  int samples = argc > 1 ? std::atoi(argv[1]) : 11;
  const int64_t b = 128;
  const Case cases[] = {
      {"[128,784]x[784,256]", _mlir_ciface_fc1, b, 784, 256, b, 784, 256, 784,
       false, true},
      {"[128,256]x[256,10]", _mlir_ciface_fc2, b, 256, 10, b, 256, 10, 256,
       false, true},
      {"[784,128]x[128,256]", _mlir_ciface_dw1, 784, b, 256, b, 784, b, 256,
       true, false},
      {"[128,256]x[256,784]", _mlir_ciface_dx, b, 256, 784, b, 256, 256, 784,
       false, false},
      {"[256,128]x[128,10]", _mlir_ciface_dw2, 256, b, 10, b, 256, b, 10, true,
       false},
      {"[128,10]x[10,256]", _mlir_ciface_dh, b, 10, 256, b, 10, 10, 256, false,
       false},
  };
  std::printf("| shape | nnc 1 thr | OpenBLAS 1 thr | nnc 2 thr | "
              "OpenBLAS 2 thr | nnc best / OpenBLAS best | max abs err |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const Case &c : cases) {
    std::vector<float> a(c.aRows * c.aCols), bm(c.bRows * c.bCols),
        ref(c.m * c.n);
    for (size_t i = 0; i < a.size(); ++i)
      a[i] = static_cast<float>(static_cast<int>(i * 7 % 13) - 6) / 8.0f;
    for (size_t i = 0; i < bm.size(); ++i)
      bm[i] = static_cast<float>(static_cast<int>(i * 5 % 11) - 5) / 4.0f;
    Memref2D ad = descriptor(a, c.aRows, c.aCols);
    Memref2D bd = descriptor(bm, c.bRows, c.bCols);
    auto blas = [&] {
      cblas_sgemm(CblasRowMajor, c.transA ? CblasTrans : CblasNoTrans,
                  c.transB ? CblasTrans : CblasNoTrans, c.m, c.n, c.k, 1.0f,
                  a.data(), c.aCols, bm.data(), c.bCols, 0.0f, ref.data(), c.n);
    };
    auto nnc = [&] {
      Memref2D out;
      c.fn(&out, &ad, &bd);
      std::free(out.allocated);
    };
    // nnc_sgemm runs on OpenBLAS, so both sides get the same thread count.
    openblas_set_num_threads(1);
    std::vector<double> one = gflops(c, samples, {nnc, blas});
    openblas_set_num_threads(2);
    std::vector<double> two = gflops(c, samples, {nnc, blas});
    openblas_set_num_threads(1);
    double nnc1 = one[0], blas1 = one[1], nnc2 = two[0], blas2 = two[1];
    blas();
    Memref2D out;
    c.fn(&out, &ad, &bd);
    double err = 0;
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j)
        err = std::max<double>(
            err, std::fabs(out.aligned[out.offset + i * out.strides[0] +
                                       j * out.strides[1]] -
                           ref[i * c.n + j]));
    std::free(out.allocated);
    std::printf("| %s | %.1f | %.1f | %.1f | %.1f | %.2f | %.2g |\n", c.name,
                nnc1, blas1, nnc2, blas2,
                std::max(nnc1, nnc2) / std::max(blas1, blas2), err);
  }
  return 0;
}
