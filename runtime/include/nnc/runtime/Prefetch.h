//===- Prefetch.h - Batches assembled ahead, on a background thread -*- C++
//-*-===//
//
// What a `batches(...)` loop of a compiled script reads from. BatchAssembler
// computes batch k of epoch e of a dataset - held in memory or streamed from
// its CSV file - into buffers: the rows of the epoch's order, the features
// with the dataset's transforms applied, the targets as labels and as
// floats. What it writes depends on nothing but (epoch, k). BatchPrefetcher
// hands those batches out in order from a small pool of buffers that it
// reuses, and assembles the next ones on a background thread while the
// caller trains on the current one; since every batch is a function of its
// (epoch, k), the batches are the same bytes whether prefetching is on or
// off and whatever the thread timing.
//
// The order of an epoch
// ---------------------
// Without shuffling, file order. With shuffling, a dataset in memory is
// visited in the order randomPermutation(n, seed, shuffleStream(epoch))
// gives (as BatchLoader does). A streamed dataset cannot be read in an
// arbitrary order at speed, so it is shuffled in two levels: its samples
// are cut into blocks of StreamShuffle::blockRows consecutive samples (the
// last one shorter); the blocks are put in the order
// randomPermutation(blocks, seed, shuffleStream(epoch)); consecutive runs
// of windowBlocks blocks of that order form windows; and the samples of
// window w (its blocks' samples, blocks in order) are shuffled by
// Fisher-Yates from the last position down (position i swaps with
// nextBelow(i + 1)) on PhiloxStream(seed, shuffleStream(epoch), (w + 1) *
// 2^40). The epoch is window 0, then window 1, ... Every sample occurs once
// per epoch, and the order depends only on (n, seed, epoch, block and
// window size); the sizes follow from the size of one sample only.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_PREFETCH_H
#define NNC_RUNTIME_PREFETCH_H

#include "nnc/runtime/Dataset.h"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nnc::rt {

class CsvCursor;

/// One batch, in buffers owned by the BatchPrefetcher (64-byte aligned).
struct Batch {
  int64_t rows = 0;
  /// rows * featureSize() features.
  float *x = nullptr;
  /// rows * targetSize() labels; null unless the dataset has int targets.
  int64_t *labels = nullptr;
  /// rows * targetSize() targets as float (labels converted).
  float *targets = nullptr;
};

/// The block and window sizes of a streamed dataset's shuffle.
struct StreamShuffle {
  int64_t blockRows = 64;
  int64_t windowBlocks = 16;
  /// The sizes for samples of \p sampleBytes bytes: blocks of about 1 MiB
  /// (a multiple of 64 samples, at least 64) and windows of 16 blocks.
  static StreamShuffle forSampleBytes(int64_t sampleBytes);
};

/// Computes batches of a dataset; see the file comment for the order.
class BatchAssembler {
public:
  BatchAssembler(std::shared_ptr<const Dataset> data, int64_t batch,
                 bool shuffle, bool dropLast, uint64_t seed,
                 StreamShuffle streamShuffle);
  ~BatchAssembler();

  /// Number of batches in an epoch.
  int64_t numBatches() const { return batches; }
  /// The batch size.
  int64_t batchSize() const { return batch; }
  /// The samples of an epoch.
  int64_t samples() const { return n; }
  /// The most rows a batch holds: the batch size, or the dataset's size
  /// when that is smaller (at least 1).
  int64_t maxRows() const;

  /// Writes batch \p k (< numBatches()) of epoch \p epoch into \p out,
  /// whose buffers hold a full batch, and sets out.rows. False, with
  /// \p error, when a streamed dataset's file cannot be read.
  bool assemble(int64_t epoch, int64_t k, Batch &out, std::string &error);

private:
  bool assembleStreamed(int64_t epoch, int64_t first, int64_t rows, Batch &out,
                        std::string &error);
  bool loadWindow(int64_t epoch, int64_t w, std::string &error);

  std::shared_ptr<const Dataset> data;
  int64_t batch, batches = 0, n = 0;
  bool shuffle;
  uint64_t seed;
  StreamShuffle sizes;
  // In memory: the epoch's order.
  int64_t orderEpoch = -1;
  std::vector<int64_t> order;
  // Streamed: the file, the epoch's window starts, the loaded window.
  std::unique_ptr<CsvCursor> cursor;
  std::vector<int64_t> windowStart;
  int64_t window = -1;
  std::vector<int64_t> windowOrder;
  std::vector<float> windowX, windowTargets;
  std::vector<int64_t> windowLabels;
};

/// The bytes of one batch buffer set (features as float, targets as float
/// and, for int targets, as int64) of \p rows samples of \p data; false
/// when the product overflows int64.
bool batchBytes(const Dataset &data, int64_t rows, int64_t &bytes);

/// Hands out the batches of a BatchAssembler in order, from a pool of
/// buffers it reuses, assembling up to two batches ahead on a background
/// thread (or, without one, when asked). Used by one thread.
class BatchPrefetcher {
public:
  BatchPrefetcher(std::shared_ptr<const Dataset> data, int64_t batch,
                  bool shuffle, bool dropLast, uint64_t seed, bool background,
                  StreamShuffle streamShuffle);
  /// Stops and joins the background thread.
  ~BatchPrefetcher();
  BatchPrefetcher(const BatchPrefetcher &) = delete;
  BatchPrefetcher &operator=(const BatchPrefetcher &) = delete;

  /// Starts epoch \p epoch at its first batch. Forgets the current batch.
  void start(int64_t epoch);
  /// Moves to batch \p k (clamped to [0, numBatches()]) of the current
  /// epoch. Forgets the current batch.
  void seek(int64_t k);
  int64_t numBatches() const { return batches; }
  /// The most rows a batch holds (see BatchAssembler::maxRows).
  int64_t maxRows() const { return assembler.maxRows(); }

  /// Hands out the next batch of the epoch: \p out points to it until the
  /// next call of next(), start() or seek(); null at the end of the epoch.
  /// False, with the message of the error, when assembling it failed.
  bool next(const Batch *&out, std::string &error);
  /// The batch next() handed out last, or null.
  const Batch *current() const;

private:
  struct Slot;
  void work();
  /// The batch d places after the one next() hands out next.
  std::pair<int64_t, int64_t> ahead(int64_t d) const;
  bool wanted(const Slot &s) const;
  void releaseStale();

  BatchAssembler assembler;
  int64_t batches;
  bool background;
  std::vector<std::unique_ptr<Slot>> slots;
  mutable std::mutex mutex;
  std::condition_variable changed;
  /// The batch next() hands out next: batch `index` of epoch `epoch`
  /// (initially the first of epoch 0).
  int64_t epoch = 0, index = 0;
  bool stopping = false;
  std::thread worker;
  /// The process that started the worker.
  int workerPid = 0;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_PREFETCH_H
