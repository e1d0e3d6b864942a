//===- loader_main.cpp - Samples per second of nnc's batch loader ---------===//
//
// Drives the runtime's C ABI as a compiled `for (x, y) in batches(train,
// 128, shuffle = ...)` loop does - nnc_rt_loader_next, then the x and y
// batches - over one dataset, and prints one table row per configuration:
//
//   loader alone: samples/s of whole epochs with no work between batches
//     (the consumer reads one value of each batch), median over REPS epochs;
//   with a step: the consumer spins STEP_MS (the compiled training step's
//     time, measured by bench/run.sh) after each batch; the row gives the
//     median and the mean, over an epoch, of the time per batch spent in
//     the loader calls (median over REPS epochs). A streamed shuffled
//     epoch reads a whole window of batches at once: its median is small
//     and its mean carries the reads.
//
//   loader_main IMAGES LABELS CSV REPS STEP_MS
//
// IMAGES/LABELS: the Fashion-MNIST training set (IDX, gzip), scaled by
// 1/255 as examples/fashion_mnist/mlp.nn does; CSV: the same samples as a
// CSV file (label column "label"), streamed with NNC_DATA_MEMORY_LIMIT=0.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/HostABI.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Spins for \p millis, as a training step keeps a core busy.
void spin(double millis) {
  auto end =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double, std::milli>(millis));
  while (Clock::now() < end) {
  }
}

struct Result {
  double samplesPerSec, waitMs, meanWaitMs;
};

/// One configuration: \p reps epochs without work, \p reps with a step.
Result measure(int64_t dataset, bool shuffle, bool prefetch, int reps,
               double stepMs, int rank) {
  setenv("NNC_PREFETCH", prefetch ? "1" : "0", 1);
  int64_t l = nnc_rt_loader(dataset, 128, shuffle, 0);
  volatile float sink = 0;
  auto batch = [&] {
    int64_t rows = nnc_rt_loader_next(l);
    if (rows == 0)
      return false;
    if (rank == 3) {
      StridedMemRefType<float, 3> x;
      _mlir_ciface_nnc_rt_loader_x_f32_3(&x, l);
      sink = sink + x.data[0];
    } else {
      StridedMemRefType<float, 2> x;
      _mlir_ciface_nnc_rt_loader_x_f32_2(&x, l);
      sink = sink + x.data[0];
    }
    StridedMemRefType<int64_t, 1> y;
    _mlir_ciface_nnc_rt_loader_y_i64_1(&y, l);
    sink = sink + float(y.data[0]);
    return true;
  };
  int64_t epoch = 0;
  std::vector<double> rates, waits, means;
  for (int r = 0; r < reps; ++r) {
    nnc_rt_loader_start(l, epoch++);
    auto t0 = Clock::now();
    int64_t samples = 0;
    while (batch())
      samples += 128;
    rates.push_back(double(samples) / (ms(Clock::now() - t0) / 1000));
  }
  for (int r = 0; r < reps; ++r) {
    nnc_rt_loader_start(l, epoch++);
    std::vector<double> w;
    while (true) {
      auto t0 = Clock::now();
      bool more = batch();
      w.push_back(ms(Clock::now() - t0));
      if (!more)
        break;
      spin(stepMs);
    }
    w.pop_back(); // the end of the epoch
    waits.push_back(median(w));
    double sum = 0;
    for (double x : w)
      sum += x;
    means.push_back(sum / double(w.size()));
  }
  return {median(rates), median(waits), median(means)};
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: loader_main IMAGES LABELS CSV REPS STEP_MS\n");
    return 2;
  }
  int reps = std::max(1, std::atoi(argv[4]));
  double stepMs = std::atof(argv[5]);
  nnc_rt_init(0);
  int64_t raw = nnc_rt_dataset_idx(argv[1], argv[2]);
  int64_t images = nnc_rt_dataset_scale(raw, 1.0 / 255.0, 0.0);
  nnc_rt_dataset_release(raw);
  setenv("NNC_DATA_MEMORY_LIMIT", "0", 1);
  auto t0 = Clock::now();
  int64_t streamed = nnc_rt_dataset_scale(
      nnc_rt_dataset_csv(argv[3], "label", -1, nullptr, 0, 1), 1.0 / 255.0,
      0.0);
  double indexMs = ms(Clock::now() - t0);

  std::printf("| configuration | loader alone: samples/s | with a %.3f ms "
              "step: median wait per batch | mean wait per batch |\n"
              "| --- | ---: | ---: | ---: |\n",
              stepMs);
  struct Row {
    const char *name;
    int64_t data;
    bool shuffle, prefetch;
    int rank;
  } rows[] = {
      {"IDX in memory, shuffled, no prefetch (NNC_PREFETCH=0)", images, true,
       false, 3},
      {"IDX in memory, shuffled, prefetch", images, true, true, 3},
      {"CSV streamed, file order, no prefetch", streamed, false, false, 2},
      {"CSV streamed, file order, prefetch", streamed, false, true, 2},
      {"CSV streamed, shuffled (blocks, windows), prefetch", streamed, true,
       true, 2},
  };
  for (const Row &r : rows) {
    Result res = measure(r.data, r.shuffle, r.prefetch, reps, stepMs, r.rank);
    std::printf("| %s | %.0f | %.3f ms | %.3f ms |\n", r.name,
                res.samplesPerSec, res.waitMs, res.meanWaitMs);
    std::fflush(stdout);
  }
  std::printf("\n(streamed CSV: reading and indexing the file took %.0f ms)\n",
              indexMs);
  return nnc_rt_finish();
}
