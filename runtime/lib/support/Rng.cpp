//===- Rng.cpp - Counter-based random numbers for nnc programs ------------===//
//
// Implements Philox-4x32-10 and the uniform, normal and permutation helpers
// built on it. The bijection follows the Random123 reference: ten rounds,
// each multiplying words 0 and 2 by the Philox constants and mixing the high
// halves with words 1 and 3 and the key, with the key bumped by the Weyl
// constants between rounds.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/Rng.h"

#include <cmath>
#include <utility>

namespace nnc::rt {
namespace {

constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u; // golden ratio
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u; // sqrt(3) - 1

inline void mulHiLo(uint32_t a, uint32_t b, uint32_t &hi, uint32_t &lo) {
  uint64_t p = uint64_t(a) * uint64_t(b);
  hi = uint32_t(p >> 32);
  lo = uint32_t(p);
}

inline PhiloxBlock philoxRound(const PhiloxBlock &c, const PhiloxKey &k) {
  uint32_t hi0, lo0, hi1, lo1;
  mulHiLo(kPhiloxM0, c[0], hi0, lo0);
  mulHiLo(kPhiloxM1, c[2], hi1, lo1);
  return {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
}

} // namespace

PhiloxBlock philox4x32_10(PhiloxBlock counter, PhiloxKey key) {
  counter = philoxRound(counter, key);
  for (int r = 1; r < 10; ++r) {
    key[0] += kPhiloxW0;
    key[1] += kPhiloxW1;
    counter = philoxRound(counter, key);
  }
  return counter;
}

PhiloxKey philoxKey(uint64_t seed) {
  return {uint32_t(seed), uint32_t(seed >> 32)};
}

PhiloxBlock randomBlock(uint64_t seed, uint64_t stream, uint64_t block) {
  return philox4x32_10({uint32_t(block), uint32_t(block >> 32),
                        uint32_t(stream), uint32_t(stream >> 32)},
                       philoxKey(seed));
}

uint32_t randomWord(uint64_t seed, uint64_t stream, uint64_t index) {
  return randomBlock(seed, stream, index / 4)[index % 4];
}

float uniformFromBits(uint32_t bits) {
  return float(bits >> 8) * (1.0f / 16777216.0f);
}

void fillUniform(float *out, size_t n, float lo, float hi, uint64_t seed,
                 uint64_t stream, uint64_t offset) {
  if (!(hi > lo)) {
    for (size_t i = 0; i < n; ++i)
      out[i] = lo;
    return;
  }
  const float width = hi - lo;
  const float below = std::nextafter(hi, lo);
  PhiloxKey key = philoxKey(seed);
  size_t i = 0;
  while (i < n) {
    uint64_t j = offset + i;
    uint64_t block = j / 4;
    PhiloxBlock w = philox4x32_10({uint32_t(block), uint32_t(block >> 32),
                                   uint32_t(stream), uint32_t(stream >> 32)},
                                  key);
    for (unsigned k = unsigned(j % 4); k < 4 && i < n; ++k, ++i) {
      float v = lo + width * uniformFromBits(w[k]);
      out[i] = v < hi ? v : below;
    }
  }
}

uint32_t dropoutThreshold(double p) {
  return static_cast<uint32_t>(std::ceil(p * 16777216.0));
}

float dropoutScale(double p) { return static_cast<float>(1.0 / (1.0 - p)); }

void dropoutMask(float *out, size_t n, double p, uint64_t seed, uint64_t stream,
                 uint64_t step) {
  uint32_t threshold = dropoutThreshold(p);
  float scale = dropoutScale(p);
  uint64_t base = step << 34;
  for (size_t i = 0; i < n; ++i)
    out[i] =
        (randomWord(seed, stream, base + i) >> 8) >= threshold ? scale : 0.0f;
}

void fillNormal(float *out, size_t n, float mean, float stddev, uint64_t seed,
                uint64_t stream, uint64_t offset) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  constexpr double kTwoM32 = 1.0 / 4294967296.0;
  PhiloxKey key = philoxKey(seed);
  size_t i = 0;
  while (i < n) {
    uint64_t j = offset + i;
    uint64_t block = j / 4;
    PhiloxBlock w = philox4x32_10({uint32_t(block), uint32_t(block >> 32),
                                   uint32_t(stream), uint32_t(stream >> 32)},
                                  key);
    for (unsigned k = unsigned(j % 4); k < 4 && i < n; ++k, ++i) {
      unsigned p = k / 2;
      double u1 = (double(w[2 * p]) + 1.0) * kTwoM32;
      double u2 = double(w[2 * p + 1]) * kTwoM32;
      double r = std::sqrt(-2.0 * std::log(u1));
      double theta = kTwoPi * u2;
      double z = (k % 2 == 0) ? r * std::cos(theta) : r * std::sin(theta);
      out[i] = float(double(mean) + double(stddev) * z);
    }
  }
}

uint32_t PhiloxStream::nextU32() {
  uint64_t block = next / 4;
  if (block != cachedBlock) {
    cache = philox4x32_10({uint32_t(block), uint32_t(block >> 32),
                           uint32_t(streamId), uint32_t(streamId >> 32)},
                          key);
    cachedBlock = block;
  }
  return cache[next++ % 4];
}

uint64_t PhiloxStream::nextU64() {
  uint64_t lo = nextU32();
  uint64_t hi = nextU32();
  return lo | (hi << 32);
}

uint64_t PhiloxStream::nextBelow(uint64_t bound) {
  if (bound == 0)
    return 0;
  // Lemire, "Fast Random Integer Generation in an Interval" (2019).
  unsigned __int128 m = (unsigned __int128)nextU64() * bound;
  uint64_t low = uint64_t(m);
  if (low < bound) {
    uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = (unsigned __int128)nextU64() * bound;
      low = uint64_t(m);
    }
  }
  return uint64_t(m >> 64);
}

uint64_t shuffleStream(int64_t epoch) {
  return uint64_t(epoch) | (uint64_t(1) << 63);
}

void randomPermutation(std::vector<int64_t> &order, int64_t n, uint64_t seed,
                       uint64_t stream) {
  order.resize(n > 0 ? size_t(n) : 0);
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = int64_t(i);
  PhiloxStream rng(seed, stream);
  for (size_t i = order.size(); i-- > 1;) {
    size_t j = size_t(rng.nextBelow(uint64_t(i) + 1));
    std::swap(order[i], order[j]);
  }
}

} // namespace nnc::rt
