//===- RngTest.cpp - Tests of the counter-based random numbers ------------===//
//
// Unit tests of nnc::rt's Philox-4x32-10 generator and the helpers built on
// it. The known-answer vectors are Random123's kat_vectors for philox4x32_10
// (also checked against randomgen's Philox(number=4, width=32), a separate
// implementation). The other tests check the properties the runtime relies
// on: fills that do not depend on how they are split into chunks (thread
// count), distinct streams, the [0, 1) range, the moments of the uniform and
// normal fills, and permutations.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/Rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace nnc::rt;

namespace {

TEST(RngTest, PhiloxKnownAnswerZero) {
  PhiloxBlock r = philox4x32_10({0, 0, 0, 0}, {0, 0});
  EXPECT_EQ(r,
            (PhiloxBlock{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
}

TEST(RngTest, PhiloxKnownAnswerAllOnes) {
  PhiloxBlock r =
      philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                    {0xffffffffu, 0xffffffffu});
  EXPECT_EQ(r,
            (PhiloxBlock{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
}

TEST(RngTest, PhiloxKnownAnswerPi) {
  PhiloxBlock r =
      philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                    {0xa4093822u, 0x299f31d0u});
  EXPECT_EQ(r,
            (PhiloxBlock{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
}

TEST(RngTest, CounterAndKeyLayout) {
  // Seed 0x299f31d0a4093822 is the key of the pi vector; stream and block
  // fill the counter's high and low halves.
  uint64_t seed = 0x299f31d0a4093822ull;
  uint64_t stream = 0x0370734413198a2eull, block = 0x85a308d3243f6a88ull;
  PhiloxBlock r = randomBlock(seed, stream, block);
  EXPECT_EQ(r[0], 0xd16cfe09u);
  EXPECT_EQ(r[3], 0x24126ea1u);
  EXPECT_EQ(randomWord(seed, stream, 5 * 4 + 2),
            randomBlock(seed, stream, 5)[2]);
  EXPECT_EQ(philoxKey(seed), (PhiloxKey{0xa4093822u, 0x299f31d0u}));
}

TEST(RngTest, UniformFromBitsRange) {
  EXPECT_EQ(uniformFromBits(0), 0.0f);
  EXPECT_EQ(uniformFromBits(0xffu), 0.0f); // low 8 bits are dropped
  EXPECT_EQ(uniformFromBits(0x80000000u), 0.5f);
  float top = uniformFromBits(0xffffffffu);
  EXPECT_LT(top, 1.0f);
  EXPECT_EQ(top, 1.0f - 1.0f / 16777216.0f);
}

TEST(RngTest, FillsDoNotDependOnChunking) {
  // One call, or many calls over pieces at odd offsets (as threads would
  // split the work), must give identical numbers.
  const size_t n = 1001;
  std::vector<float> whole(n), pieces(n), wholeN(n), piecesN(n);
  fillUniform(whole.data(), n, -2.0f, 3.0f, 42, 7, 0);
  fillNormal(wholeN.data(), n, 1.0f, 0.5f, 42, 7, 0);
  size_t cuts[] = {0, 1, 3, 4, 5, 10, 333, 334, 998, n};
  for (size_t c = 0; c + 1 < std::size(cuts); ++c) {
    size_t a = cuts[c], b = cuts[c + 1];
    fillUniform(pieces.data() + a, b - a, -2.0f, 3.0f, 42, 7, a);
    fillNormal(piecesN.data() + a, b - a, 1.0f, 0.5f, 42, 7, a);
  }
  EXPECT_EQ(whole, pieces);
  EXPECT_EQ(wholeN, piecesN);
  // And the uniform fill is exactly the documented formula.
  for (size_t i : {size_t(0), size_t(5), size_t(1000)}) {
    float u = uniformFromBits(randomWord(42, 7, i));
    EXPECT_EQ(whole[i], -2.0f + 5.0f * u);
  }
}

TEST(RngTest, StreamsAndSeedsDiffer) {
  std::vector<float> a(64), b(64), c(64), a2(64);
  fillUniform(a.data(), 64, 0, 1, 1, 0, 0);
  fillUniform(b.data(), 64, 0, 1, 1, 1, 0);
  fillUniform(c.data(), 64, 0, 1, 2, 0, 0);
  fillUniform(a2.data(), 64, 0, 1, 1, 0, 0);
  EXPECT_EQ(a, a2);
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
}

TEST(RngTest, UniformMoments) {
  const size_t n = 200000;
  std::vector<float> v(n);
  fillUniform(v.data(), n, 2.0f, 4.0f, 123, 0, 0);
  double sum = 0, sq = 0;
  for (float x : v) {
    ASSERT_GE(x, 2.0f);
    ASSERT_LT(x, 4.0f);
    sum += x;
    sq += double(x) * x;
  }
  double mean = sum / n, var = sq / n - mean * mean;
  EXPECT_NEAR(mean, 3.0, 0.01);
  EXPECT_NEAR(var, 4.0 / 12.0, 0.01);
}

TEST(RngTest, UniformNeverReachesHi) {
  // A range so narrow that lo + width * u rounds up to hi for large u.
  float lo = 1.0f, hi = std::nextafter(1.0f, 2.0f);
  std::vector<float> v(4096);
  fillUniform(v.data(), v.size(), lo, hi, 9, 0, 0);
  for (float x : v)
    EXPECT_EQ(x, lo);
  fillUniform(v.data(), 4, 5.0f, 5.0f, 9, 0, 0); // empty range
  EXPECT_EQ(v[0], 5.0f);
}

TEST(RngTest, NormalMoments) {
  const size_t n = 200000;
  std::vector<float> v(n);
  fillNormal(v.data(), n, -1.0f, 2.0f, 77, 3, 0);
  double sum = 0, sq = 0, maxAbs = 0;
  for (float x : v) {
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    sq += double(x) * x;
    maxAbs = std::max(maxAbs, std::fabs((double(x) + 1.0) / 2.0));
  }
  double mean = sum / n, var = sq / n - mean * mean;
  EXPECT_NEAR(mean, -1.0, 0.02);
  EXPECT_NEAR(std::sqrt(var), 2.0, 0.02);
  EXPECT_LE(maxAbs, 6.67);
  EXPECT_GT(maxAbs, 3.5);
}

TEST(RngTest, NormalUsesBothBoxMullerOutputs) {
  // Elements 2p and 2p+1 of a block share (u1, u2): cos and sin of one
  // angle with one radius, so their squares add up to r^2 = -2 ln u1.
  float z[4];
  fillNormal(z, 4, 0.0f, 1.0f, 5, 0, 0);
  PhiloxBlock w = randomBlock(5, 0, 0);
  for (int p = 0; p < 2; ++p) {
    double u1 = (double(w[2 * p]) + 1.0) / 4294967296.0;
    double r2 = -2.0 * std::log(u1);
    EXPECT_NEAR(double(z[2 * p]) * z[2 * p] +
                    double(z[2 * p + 1]) * z[2 * p + 1],
                r2, 1e-5 * std::max(1.0, r2));
  }
}

TEST(RngTest, NextBelowIsInRangeAndRoughlyUniform) {
  PhiloxStream s(2024, 5);
  EXPECT_EQ(s.nextBelow(0), 0u);
  EXPECT_EQ(s.nextBelow(1), 0u);
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 30000; ++i) {
    uint64_t v = s.nextBelow(3);
    ASSERT_LT(v, 3u);
    ++counts[v];
  }
  for (int c : counts)
    EXPECT_NEAR(c, 10000, 400);
  // The stream position counts words, so a stream can be resumed.
  PhiloxStream a(1, 2), b(1, 2);
  a.nextU64();
  a.nextU32();
  PhiloxStream c(1, 2, a.position());
  EXPECT_EQ(a.position(), 3u);
  EXPECT_EQ(a.nextU32(), c.nextU32());
  EXPECT_EQ(b.nextU32(), randomWord(1, 2, 0));
}

TEST(RngTest, RandomPermutationIsAPermutation) {
  std::vector<int64_t> p, q;
  randomPermutation(p, 1000, 11, shuffleStream(0));
  randomPermutation(q, 1000, 11, shuffleStream(0));
  EXPECT_EQ(p, q);
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i)
    ASSERT_EQ(sorted[size_t(i)], i);
  randomPermutation(q, 1000, 11, shuffleStream(1));
  EXPECT_NE(p, q);
  randomPermutation(q, 0, 11, 0);
  EXPECT_TRUE(q.empty());
  randomPermutation(q, -5, 11, 0);
  EXPECT_TRUE(q.empty());
  EXPECT_NE(shuffleStream(0), 0u);
  EXPECT_EQ(shuffleStream(3) & ~(uint64_t(1) << 63), 3u);
}

TEST(RngTest, DropoutThresholdAndScale) {
  EXPECT_EQ(dropoutThreshold(0.0), 0u);
  EXPECT_EQ(dropoutThreshold(0.5), 1u << 23);
  // 0.3 * 2^24 = 5033164.8, rounded up: u >= p exactly when the top 24
  // bits are >= the threshold.
  EXPECT_EQ(dropoutThreshold(0.3), 5033165u);
  EXPECT_LT(uniformFromBits(uint32_t(5033164u) << 8), 0.3);
  EXPECT_GE(double(uniformFromBits(uint32_t(5033165u) << 8)), 0.3);
  EXPECT_EQ(dropoutScale(0.5), 2.0f);
  EXPECT_EQ(dropoutScale(0.3), float(1.0 / 0.7));
  EXPECT_EQ(dropoutScale(0.0), 1.0f);
}

TEST(RngTest, DropoutMaskKnownValues) {
  // The numbers test/Conversion/CPU/dropout.mlir expects from the compiled
  // nn.dropout, from the Python Philox of philox_reference.py.
  std::vector<float> m(12);
  dropoutMask(m.data(), 12, 0.5, 0, 3, 2);
  EXPECT_EQ(m, (std::vector<float>{2, 0, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0}));
  dropoutMask(m.data(), 12, 0.5, 0, 3, (uint64_t(1) << 29) + 3);
  EXPECT_EQ(m, (std::vector<float>{0, 0, 2, 0, 2, 2, 0, 2, 0, 0, 0, 0}));
  float s = float(1.0 / 0.7);
  std::vector<float> k(8);
  dropoutMask(k.data(), 8, 0.3, 0, 4, 1);
  EXPECT_EQ(k, (std::vector<float>{0, s, 0, s, 0, s, s, s}));
  dropoutMask(k.data(), 8, 0.3, 0x299f31d0a4093822ull, 4, 1);
  EXPECT_EQ(k, (std::vector<float>{s, s, s, s, s, s, 0, s}));
  // Element i of step t is word (t << 34) + i of the stream.
  for (size_t i = 0; i < 8; ++i)
    EXPECT_EQ(k[i] == 0.0f,
              (randomWord(0x299f31d0a4093822ull, 4, (uint64_t(1) << 34) + i) >>
               8) < dropoutThreshold(0.3));
}

TEST(RngTest, DropoutMaskFractionAndSteps) {
  // n = 10^6 at p = 0.3: the dropped count is binomial, sd = sqrt(n p (1 -
  // p)) = 458; allow 5 sd. Steps and streams give other masks.
  const size_t n = 1000000;
  std::vector<float> a(n), b(n), c(n);
  dropoutMask(a.data(), n, 0.3, 7, 1, 1);
  dropoutMask(b.data(), n, 0.3, 7, 1, 2);
  dropoutMask(c.data(), n, 0.3, 7, 2, 1);
  size_t dropped = 0, same = 0, sameStream = 0;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(a[i] == 0.0f || a[i] == dropoutScale(0.3));
    dropped += a[i] == 0.0f;
    same += a[i] == b[i];
    sameStream += a[i] == c[i];
  }
  EXPECT_NEAR(double(dropped), 0.3 * n, 5 * 458.0);
  // Independent masks agree on p^2 + (1-p)^2 = 58% of the elements.
  EXPECT_NEAR(double(same), 0.58 * n, 5 * 494.0);
  EXPECT_NEAR(double(sameStream), 0.58 * n, 5 * 494.0);
  // p = 0 keeps everything, unscaled.
  dropoutMask(a.data(), 1000, 0.0, 7, 1, 1);
  for (size_t i = 0; i < 1000; ++i)
    ASSERT_EQ(a[i], 1.0f);
}

} // namespace
