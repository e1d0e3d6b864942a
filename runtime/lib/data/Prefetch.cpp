//===- Prefetch.cpp - Batches assembled ahead, on a background thread -----===//
//
// BatchAssembler gathers the rows of a batch (in memory: a copy per row
// from the epoch's order; streamed: from the loaded window, or read in file
// order through a CsvCursor) and BatchPrefetcher runs it ahead of the
// caller. The pool has three slots (two for batches over 64 MiB): the one
// the caller holds and up to two being assembled or ready. The worker
// assembles, outside the lock, the first batch of the sequence ahead of the
// caller (which runs on into the next epoch, the one a new start most
// likely asks for) that no slot holds yet; a slot whose batch is no longer
// wanted after a start() or seek() is dropped when the worker is done with
// it. Nothing in the loop allocates: buffers, orders and windows are reused.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/Prefetch.h"

#include "nnc/runtime/CsvStream.h"
#include "nnc/runtime/Rng.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <unistd.h>

namespace nnc::rt {

StreamShuffle StreamShuffle::forSampleBytes(int64_t sampleBytes) {
  StreamShuffle s;
  int64_t rows = (int64_t(1) << 20) / std::max<int64_t>(sampleBytes, 1);
  s.blockRows = std::max<int64_t>(64, rows / 64 * 64);
  s.windowBlocks = 16;
  return s;
}

//===----------------------------------------------------------------------===//
// BatchAssembler
//===----------------------------------------------------------------------===//

BatchAssembler::BatchAssembler(std::shared_ptr<const Dataset> d,
                               int64_t batchSize, bool shuffle, bool dropLast,
                               uint64_t seed, StreamShuffle streamShuffle)
    : data(std::move(d)), batch(batchSize), shuffle(shuffle), seed(seed),
      sizes(streamShuffle) {
  n = std::max<int64_t>(data->n, 0);
  if (!data->stream) {
    // The samples the vectors actually hold.
    int64_t fs = data->featureSize(), ts = data->targetSize();
    if (fs > 0)
      n = std::min(n, int64_t(data->features.size()) / fs);
    if (ts > 0)
      n = std::min(n, int64_t(data->intTargets ? data->labels.size()
                                               : data->targets.size()) /
                          ts);
  } else {
    cursor = std::make_unique<CsvCursor>(data->stream);
  }
  if (batch >= 1)
    batches = n / batch + (!dropLast && n % batch ? 1 : 0);
  sizes.blockRows = std::max<int64_t>(sizes.blockRows, 1);
  sizes.windowBlocks = std::max<int64_t>(sizes.windowBlocks, 1);
}

BatchAssembler::~BatchAssembler() = default;

int64_t BatchAssembler::maxRows() const {
  return std::max<int64_t>(std::min(batch, n), 1);
}

bool batchBytes(const Dataset &data, int64_t rows, int64_t &bytes) {
  int64_t fs = std::max<int64_t>(data.featureSize(), 0);
  int64_t ts = std::max<int64_t>(data.targetSize(), 0);
  int64_t x, t, perRow = 0;
  return checkedMul(fs, 4, x) && checkedMul(ts, data.intTargets ? 12 : 4, t) &&
         !__builtin_add_overflow(x, t, &perRow) &&
         checkedMul(std::max<int64_t>(rows, 1), perRow, bytes);
}

bool BatchAssembler::assemble(int64_t epoch, int64_t k, Batch &out,
                              std::string &error) {
  out.rows = 0;
  if (k < 0 || k >= batches)
    return true;
  int64_t first = k * batch;
  int64_t rows = std::min(batch, n - first);
  if (data->stream) {
    if (!assembleStreamed(epoch, first, rows, out, error))
      return false;
    out.rows = rows;
    return true;
  }
  if (shuffle && orderEpoch != epoch) {
    randomPermutation(order, n, seed, shuffleStream(epoch));
    orderEpoch = epoch;
  }
  const Dataset &d = *data;
  const size_t fs = size_t(std::max<int64_t>(d.featureSize(), 0));
  const size_t ts = size_t(std::max<int64_t>(d.targetSize(), 0));
  for (int64_t r = 0; r < rows; ++r) {
    size_t s = size_t(shuffle ? order[size_t(first + r)] : first + r);
    if (fs)
      std::memcpy(out.x + size_t(r) * fs, d.features.data() + s * fs,
                  fs * sizeof(float));
    if (!ts)
      continue;
    if (d.intTargets) {
      const int64_t *src = d.labels.data() + s * ts;
      std::memcpy(out.labels + size_t(r) * ts, src, ts * sizeof(int64_t));
      for (size_t j = 0; j < ts; ++j)
        out.targets[size_t(r) * ts + j] = float(src[j]);
    } else {
      std::memcpy(out.targets + size_t(r) * ts, d.targets.data() + s * ts,
                  ts * sizeof(float));
    }
  }
  out.rows = rows;
  return true;
}

bool BatchAssembler::assembleStreamed(int64_t epoch, int64_t first,
                                      int64_t rows, Batch &out,
                                      std::string &error) {
  const Dataset &d = *data;
  const int64_t fs = d.featureSize();
  // CSV targets are one value per sample.
  if (!shuffle) {
    if (!cursor->read(d.streamFirst + first, rows, out.x,
                      d.intTargets ? out.labels : nullptr, out.targets, error))
      return false;
    applyTransforms(d.transforms, out.x, rows, fs);
    return true;
  }
  if (orderEpoch != epoch) {
    // The epoch's block order, and where each window starts.
    const int64_t B = sizes.blockRows, W = sizes.windowBlocks;
    const int64_t blocks = (n + B - 1) / B;
    randomPermutation(order, blocks, seed, shuffleStream(epoch));
    windowStart.assign(1, 0);
    int64_t at = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      at += std::min(B, n - order[size_t(b)] * B);
      if ((b + 1) % W == 0 || b + 1 == blocks)
        windowStart.push_back(at);
    }
    orderEpoch = epoch;
    window = -1;
  }
  for (int64_t r = 0; r < rows; ++r) {
    int64_t p = first + r;
    int64_t w =
        int64_t(std::upper_bound(windowStart.begin(), windowStart.end(), p) -
                windowStart.begin()) -
        1;
    if (w != window && !loadWindow(epoch, w, error))
      return false;
    size_t s = size_t(windowOrder[size_t(p - windowStart[size_t(w)])]);
    std::memcpy(out.x + size_t(r * fs), windowX.data() + s * size_t(fs),
                size_t(fs) * sizeof(float));
    if (d.intTargets)
      out.labels[r] = windowLabels[s];
    out.targets[r] = windowTargets[s];
  }
  return true;
}

bool BatchAssembler::loadWindow(int64_t epoch, int64_t w, std::string &error) {
  const Dataset &d = *data;
  const int64_t B = sizes.blockRows, W = sizes.windowBlocks;
  const int64_t fs = d.featureSize();
  const int64_t rows = windowStart[size_t(w + 1)] - windowStart[size_t(w)];
  window = -1;
  windowX.resize(size_t(rows * fs));
  windowTargets.resize(size_t(rows));
  windowLabels.resize(d.intTargets ? size_t(rows) : 0);
  int64_t at = 0;
  int64_t lastBlock = std::min<int64_t>((w + 1) * W, int64_t(order.size()));
  for (int64_t b = w * W; b < lastBlock; ++b) {
    int64_t start = order[size_t(b)] * B;
    int64_t count = std::min(B, n - start);
    if (!cursor->read(d.streamFirst + start, count,
                      windowX.data() + size_t(at * fs),
                      d.intTargets ? windowLabels.data() + at : nullptr,
                      windowTargets.data() + at, error))
      return false;
    at += count;
  }
  applyTransforms(d.transforms, windowX.data(), rows, fs);
  // Fisher-Yates from the last position down, on the window's part of the
  // epoch's stream.
  windowOrder.resize(size_t(rows));
  for (int64_t i = 0; i < rows; ++i)
    windowOrder[size_t(i)] = i;
  PhiloxStream rng(seed, shuffleStream(epoch), uint64_t(w + 1) << 40);
  for (int64_t i = rows - 1; i > 0; --i)
    std::swap(windowOrder[size_t(i)],
              windowOrder[size_t(rng.nextBelow(uint64_t(i + 1)))]);
  window = w;
  return true;
}

//===----------------------------------------------------------------------===//
// BatchPrefetcher
//===----------------------------------------------------------------------===//

struct BatchPrefetcher::Slot {
  enum State { Free, Filling, Ready, InUse };
  State state = Free;
  int64_t epoch = -1, index = -1;
  Batch batch;
  bool failed = false;
  std::string error;
  std::vector<void *> buffers;
  ~Slot() {
    for (void *p : buffers)
      std::free(p);
  }
};

namespace {

/// \p count elements of \p size bytes, 64-byte aligned; at least one.
void *alignedBuffer(size_t count, size_t size) {
  size_t bytes = std::max<size_t>(count * size, 1);
  bytes = (bytes + 63) / 64 * 64;
  void *p = std::aligned_alloc(64, bytes);
  if (!p)
    throw std::bad_alloc();
  return p;
}

} // namespace

BatchPrefetcher::BatchPrefetcher(std::shared_ptr<const Dataset> data,
                                 int64_t batch, bool shuffle, bool dropLast,
                                 uint64_t seed, bool background,
                                 StreamShuffle streamShuffle)
    : assembler(data, batch, shuffle, dropLast, seed, streamShuffle),
      batches(assembler.numBatches()), background(background) {
  // A batch holds at most the whole dataset: a batch size beyond it must
  // not size the buffers (a batch of 2^62 rows would wrap the byte count).
  size_t rows = size_t(assembler.maxRows());
  size_t fs = size_t(std::max<int64_t>(data->featureSize(), 0));
  size_t ts = size_t(std::max<int64_t>(data->targetSize(), 0));
  int64_t bytes = 0;
  if (!batchBytes(*data, int64_t(rows), bytes))
    throw std::length_error("batch buffer size overflows");
  size_t count = !background || bytes > (int64_t(64) << 20) ? 2 : 3;
  for (size_t i = 0; i < count; ++i) {
    auto s = std::make_unique<Slot>();
    s->batch.x = static_cast<float *>(alignedBuffer(rows * fs, 4));
    s->buffers.push_back(s->batch.x);
    if (data->intTargets) {
      s->batch.labels = static_cast<int64_t *>(alignedBuffer(rows * ts, 8));
      s->buffers.push_back(s->batch.labels);
    }
    s->batch.targets = static_cast<float *>(alignedBuffer(rows * ts, 4));
    s->buffers.push_back(s->batch.targets);
    slots.push_back(std::move(s));
  }
  if (background && batches > 0)
    workerPid = ::getpid(), worker = std::thread([this] { work(); });
}

BatchPrefetcher::~BatchPrefetcher() {
  if (worker.joinable() && ::getpid() != workerPid) {
    // A child forked from the process that runs the worker (a death test,
    // say), exiting: the worker does not exist here, and its mutex and
    // condition variable may be in any state. Leave them alone.
    // Leak the thread handle, reset the mutex and give the condition
    // variable no waiters (all zero is PTHREAD_COND_INITIALIZER).
    new std::thread(std::move(worker));
    new (&mutex) std::mutex;
    std::memset(static_cast<void *>(&changed), 0, sizeof(changed));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  changed.notify_all();
  if (worker.joinable())
    worker.join();
}

std::pair<int64_t, int64_t> BatchPrefetcher::ahead(int64_t d) const {
  int64_t e = epoch, k = index + d;
  while (batches > 0 && k >= batches) {
    k -= batches;
    ++e;
  }
  return {e, k};
}

bool BatchPrefetcher::wanted(const Slot &s) const {
  for (int64_t d = 0; d + 1 < int64_t(slots.size()); ++d)
    if (ahead(d) == std::make_pair(s.epoch, s.index))
      return true;
  return false;
}

void BatchPrefetcher::releaseStale() {
  for (auto &s : slots)
    if (s->state == Slot::InUse || (s->state == Slot::Ready && !wanted(*s)))
      s->state = Slot::Free;
}

void BatchPrefetcher::start(int64_t e) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    epoch = e;
    index = 0;
    releaseStale();
  }
  changed.notify_all();
}

void BatchPrefetcher::seek(int64_t k) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    index = std::clamp<int64_t>(k, 0, batches);
    releaseStale();
  }
  changed.notify_all();
}

const Batch *BatchPrefetcher::current() const {
  std::lock_guard<std::mutex> lock(mutex);
  for (auto &s : slots)
    if (s->state == Slot::InUse)
      return &s->batch;
  return nullptr;
}

bool BatchPrefetcher::next(const Batch *&out, std::string &error) {
  out = nullptr;
  std::unique_lock<std::mutex> lock(mutex);
  for (auto &s : slots)
    if (s->state == Slot::InUse)
      s->state = Slot::Free;
  if (index >= batches)
    return true;
  Slot *got = nullptr;
  if (!background) {
    got = slots[0].get();
    got->epoch = epoch;
    got->index = index;
    got->failed = !assembler.assemble(epoch, index, got->batch, got->error);
  } else {
    auto ready = [&] {
      for (auto &s : slots)
        if (s->state == Slot::Ready && s->epoch == epoch && s->index == index)
          got = s.get();
      return got != nullptr;
    };
    if (!ready()) {
      // The worker may be waiting for the slot released above.
      changed.notify_all();
      changed.wait(lock, ready);
    }
  }
  if (got->failed) {
    error = got->error;
    got->state = Slot::Free;
    return false;
  }
  got->state = Slot::InUse;
  ++index;
  out = &got->batch;
  lock.unlock();
  changed.notify_all();
  return true;
}

void BatchPrefetcher::work() {
  std::unique_lock<std::mutex> lock(mutex);
  while (true) {
    Slot *slot = nullptr;
    std::pair<int64_t, int64_t> tag;
    changed.wait(lock, [&] {
      if (stopping)
        return true;
      slot = nullptr;
      for (auto &s : slots)
        if (s->state == Slot::Free)
          slot = s.get();
      if (!slot)
        return false;
      // The first batch ahead that no slot holds or is filling.
      for (int64_t d = 0; d + 1 < int64_t(slots.size()); ++d) {
        tag = ahead(d);
        bool held = false;
        for (auto &s : slots)
          held |= s->state != Slot::Free && s->state != Slot::InUse &&
                  std::make_pair(s->epoch, s->index) == tag;
        if (!held)
          return true;
      }
      return false;
    });
    if (stopping)
      return;
    slot->state = Slot::Filling;
    slot->epoch = tag.first;
    slot->index = tag.second;
    lock.unlock();
    std::string error;
    bool ok = false;
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
    try {
      ok = assembler.assemble(tag.first, tag.second, slot->batch, error);
    } catch (const std::exception &) {
      error = "out of memory";
    }
#else
    ok = assembler.assemble(tag.first, tag.second, slot->batch, error);
#endif
    lock.lock();
    slot->failed = !ok;
    slot->error = std::move(error);
    slot->state = wanted(*slot) ? Slot::Ready : Slot::Free;
    changed.notify_all();
  }
}

} // namespace nnc::rt
