//===- PrefetchTest.cpp - Tests of prefetched and streamed batches --------===//
//
// Unit tests of BatchPrefetcher and streamed CSV datasets: the batches a
// background thread assembles are the bytes the caller's own thread would
// assemble, whatever the timing (the consumer sleeps at random and jumps
// with start/seek); a CSV dataset streamed from its file gives, without
// shuffling, exactly the batches of the same dataset in memory, through
// split, scale and standardize; streamed shuffling visits every sample
// once per epoch, depends only on (seed, epoch) and resumes at any batch;
// and an error met on the prefetch thread reaches the caller with the
// message the caller's own thread would give.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/Prefetch.h"
#include "nnc/runtime/CsvStream.h"
#include "nnc/runtime/Dataset.h"

#include "TestFiles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace nnc::rt;

namespace {

using nnc::test::TempDir;

/// A CSV file of \p rows samples: a = i, b = i / 8 - 3, c = (i * 7) % 13,
/// y = i % 3 (so sample i can be recognised by its feature a).
std::string csvText(int rows) {
  std::string s = "a,b,c,y\n";
  for (int i = 0; i < rows; ++i)
    s += std::to_string(i) + "," + std::to_string(i / 8.0 - 3) + "," +
         std::to_string((i * 7) % 13) + "," + std::to_string(i % 3) + "\n";
  return s;
}

std::shared_ptr<Dataset> loadOrDie(const std::string &path, int64_t limit) {
  auto d = std::make_shared<Dataset>();
  std::string error;
  EXPECT_TRUE(loadCsv(path, CsvColumn("y"), {}, true, *d, error, limit))
      << error;
  return d;
}

/// The bytes of one batch: rows, features, labels and float targets.
std::string bytesOf(const Batch &b, int64_t fs) {
  std::string s(reinterpret_cast<const char *>(&b.rows), sizeof(b.rows));
  s.append(reinterpret_cast<const char *>(b.x), size_t(b.rows * fs) * 4);
  if (b.labels)
    s.append(reinterpret_cast<const char *>(b.labels), size_t(b.rows) * 8);
  s.append(reinterpret_cast<const char *>(b.targets), size_t(b.rows) * 4);
  return s;
}

/// Every batch of epochs 0..epochs-1, in order.
std::vector<std::string> allBatches(BatchPrefetcher &p, int64_t fs,
                                    int epochs) {
  std::vector<std::string> out;
  for (int e = 0; e < epochs; ++e) {
    p.start(e);
    const Batch *b;
    std::string error;
    while (p.next(b, error) && b)
      out.push_back(bytesOf(*b, fs));
    EXPECT_EQ(error, "");
  }
  return out;
}

const StreamShuffle kSmall{4, 3};

TEST(PrefetchTest, SameBatchesWithAndWithoutPrefetchWhateverTheTiming) {
  TempDir tmp;
  std::string path = tmp.write("d.csv", csvText(203));
  for (int64_t limit : {int64_t(-1), int64_t(0)}) // in memory, streamed
    for (bool shuffle : {false, true}) {
      auto d = loadOrDie(path, limit);
      ASSERT_EQ(d->stream != nullptr, limit == 0);
      int64_t fs = d->featureSize();
      BatchPrefetcher sync(d, 16, shuffle, false, 7, false, kSmall);
      std::vector<std::string> want = allBatches(sync, fs, 3);
      ASSERT_EQ(want.size(), 3u * 13u);
      std::mt19937 rng(unsigned(limit + 2 * shuffle));
      for (int round = 0; round < 4; ++round) {
        BatchPrefetcher bg(d, 16, shuffle, false, 7, true, kSmall);
        // The consumer sleeps at random, so that it finds the worker
        // ahead, behind or busy; each epoch also jumps back and forth.
        for (int e = 0; e < 3; ++e) {
          bg.start(e);
          int64_t k = 0;
          const Batch *b;
          std::string error;
          while (bg.next(b, error) && b) {
            ASSERT_EQ(bytesOf(*b, fs), want[size_t(e * 13 + k)])
                << "epoch " << e << " batch " << k << " round " << round;
            ++k;
            std::this_thread::sleep_for(
                std::chrono::microseconds(rng() % (round * 300 + 1)));
            if (rng() % 7 == 0) {
              k = int64_t(rng() % 13);
              bg.seek(k);
            }
          }
          ASSERT_EQ(error, "");
        }
      }
    }
}

TEST(PrefetchTest, BatchLargerThanTheDatasetIsOneBatchOfIt) {
  // A batch size of 2^62 once sized the buffers as 2^62 * features floats,
  // a product that wraps to a few bytes, and the rows overran them. The
  // buffers hold at most the dataset; the one batch is all of it.
  TempDir tmp;
  std::string path = tmp.write("d.csv", csvText(37));
  for (int64_t limit : {int64_t(-1), int64_t(0)}) // in memory, streamed
    for (int64_t batch : {int64_t(38), int64_t(1) << 62, INT64_MAX})
      for (bool shuffle : {false, true})
        for (bool background : {false, true}) {
          auto d = loadOrDie(path, limit);
          BatchPrefetcher p(d, batch, shuffle, false, 3, background, kSmall);
          EXPECT_EQ(p.numBatches(), 1);
          EXPECT_EQ(p.maxRows(), 37);
          BatchPrefetcher whole(d, 37, shuffle, false, 3, false, kSmall);
          EXPECT_EQ(allBatches(p, d->featureSize(), 2),
                    allBatches(whole, d->featureSize(), 2));
          int64_t bytes = 0;
          EXPECT_TRUE(batchBytes(*d, p.maxRows(), bytes));
          EXPECT_EQ(bytes, 37 * (3 * 4 + 12));
          EXPECT_FALSE(batchBytes(*d, batch, bytes) && batch > (1 << 20));
        }
}

TEST(PrefetchTest, StreamedWithoutShuffleEqualsInMemory) {
  TempDir tmp;
  std::string path = tmp.write("d.csv", csvText(500));
  auto prepare = [&](int64_t limit) {
    auto all = loadOrDie(path, limit);
    auto train = std::make_shared<Dataset>();
    auto valid = std::make_shared<Dataset>();
    split(*all, 0.7, *train, *valid);
    scale(*train, 0.5f, 1.0f);
    scale(*valid, 0.5f, 1.0f);
    std::string error;
    auto standardized = std::make_shared<Dataset>(*valid);
    EXPECT_TRUE(standardize(*standardized, *train, error)) << error;
    return std::vector<std::shared_ptr<Dataset>>{all, train, standardized};
  };
  auto memory = prepare(-1), streamed = prepare(0);
  ASSERT_TRUE(streamed[1]->stream && streamed[2]->stream);
  ASSERT_FALSE(memory[1]->stream);
  for (size_t i = 0; i < memory.size(); ++i) {
    ASSERT_EQ(memory[i]->n, streamed[i]->n);
    BatchPrefetcher a(memory[i], 32, false, false, 1, true, kSmall);
    BatchPrefetcher b(streamed[i], 32, false, false, 1, true, kSmall);
    EXPECT_EQ(allBatches(a, 3, 2), allBatches(b, 3, 2)) << "dataset " << i;
  }
  // The statistics of the streamed part are those of the part in memory.
  FeatureStats sm, ss;
  std::string error;
  ASSERT_TRUE(computeFeatureStats(*memory[1], sm, error));
  ASSERT_TRUE(computeFeatureStats(*streamed[1], ss, error)) << error;
  EXPECT_EQ(sm.mean, ss.mean);
  EXPECT_EQ(sm.stddev, ss.stddev);
}

TEST(PrefetchTest, StreamedShuffleVisitsEverySampleOnceAndResumes) {
  TempDir tmp;
  const int n = 157;
  std::string path = tmp.write("d.csv", csvText(n));
  auto d = loadOrDie(path, 0);
  ASSERT_TRUE(d->stream);
  BatchPrefetcher p(d, 10, true, false, 5, true, kSmall);
  std::vector<std::vector<int>> orders;
  for (int e = 0; e < 3; ++e) {
    p.start(e);
    std::vector<int> order;
    const Batch *b;
    std::string error;
    while (p.next(b, error) && b)
      for (int64_t r = 0; r < b->rows; ++r) {
        int i = int(b->x[r * 3]);
        order.push_back(i);
        EXPECT_EQ(b->labels[r], i % 3);
        EXPECT_EQ(b->targets[r], float(i % 3));
      }
    ASSERT_EQ(error, "");
    std::vector<int> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < n; ++i)
      ASSERT_EQ(sorted[size_t(i)], i) << "epoch " << e;
    orders.push_back(order);
  }
  EXPECT_NE(orders[0], orders[1]);
  // Not file order, and not merely block order.
  std::vector<int> identity(n);
  for (int i = 0; i < n; ++i)
    identity[size_t(i)] = i;
  EXPECT_NE(orders[0], identity);

  // Another loader with the same seed gives the same order; one that seeks
  // to batch 7 of epoch 1 sees what the first saw there.
  BatchPrefetcher q(d, 10, true, false, 5, false, kSmall);
  EXPECT_EQ(allBatches(q, 3, 3), allBatches(p, 3, 3));
  q.start(1);
  q.seek(7);
  const Batch *b;
  std::string error;
  ASSERT_TRUE(q.next(b, error) && b);
  EXPECT_EQ(int(b->x[0]), orders[1][70]);

  // A different seed gives a different order.
  BatchPrefetcher r(d, 10, true, false, 6, false, kSmall);
  EXPECT_NE(allBatches(r, 3, 1), allBatches(q, 3, 1));
}

TEST(PrefetchTest, ErrorOnThePrefetchThreadReachesTheCaller) {
  TempDir tmp;
  std::string path = tmp.write("d.csv", csvText(300));
  auto d = loadOrDie(path, 0);
  // The file loses its last rows after it was loaded.
  tmp.write("d.csv", csvText(250));
  std::string messages[2];
  for (bool background : {false, true}) {
    BatchPrefetcher p(d, 100, false, false, 1, background, kSmall);
    p.start(0);
    const Batch *b;
    std::string error;
    ASSERT_TRUE(p.next(b, error) && b) << error;
    ASSERT_TRUE(p.next(b, error) && b) << error;
    EXPECT_FALSE(p.next(b, error));
    messages[background] = error;
  }
  EXPECT_EQ(messages[0], messages[1]);
  EXPECT_EQ(messages[0], "'" + path +
                             "': the file has changed since it was loaded: it "
                             "now ends before data record 251 of 300");
}

TEST(PrefetchTest, MemoryLimitSetting) {
  int64_t bytes = 0;
  std::string error;
  setenv("NNC_DATA_MEMORY_LIMIT", "512M", 1);
  EXPECT_TRUE(dataMemoryLimit(bytes, error));
  EXPECT_EQ(bytes, int64_t(512) << 20);
  setenv("NNC_DATA_MEMORY_LIMIT", "1000", 1);
  EXPECT_TRUE(dataMemoryLimit(bytes, error));
  EXPECT_EQ(bytes, 1000);
  setenv("NNC_DATA_MEMORY_LIMIT", "lots", 1);
  EXPECT_FALSE(dataMemoryLimit(bytes, error));
  EXPECT_EQ(error, "NNC_DATA_MEMORY_LIMIT is 'lots', not a size in bytes "
                   "(such as 1000000, 512M or 4G)");
  unsetenv("NNC_DATA_MEMORY_LIMIT");
  EXPECT_TRUE(dataMemoryLimit(bytes, error));
  EXPECT_GT(bytes, 0);

  // A dataset over the limit is streamed; at or under it, kept.
  TempDir tmp;
  std::string path = tmp.write("d.csv", csvText(10));
  // 10 samples of 3 features and an int label: 10 * (12 + 8) bytes.
  EXPECT_FALSE(loadOrDie(path, 200)->stream);
  EXPECT_TRUE(loadOrDie(path, 199)->stream);
}

} // namespace
