//===- Rng.h - Counter-based random numbers for nnc programs ----*- C++ -*-===//
//
// The random numbers of compiled training programs: weight initialization,
// dropout masks and data shuffling. They come from Philox-4x32-10 (Salmon et
// al., "Parallel Random Numbers: As Easy as 1, 2, 3", SC11), a counter-based
// generator: the output is a pure function of a key and a counter, so element
// i of any random tensor can be computed on its own. A fill therefore gives
// the same numbers whether one thread or sixteen compute it, and a run that
// is resumed from a checkpoint draws exactly what the uninterrupted run
// would have drawn.
//
// Addressing. Every random word is named by (seed, stream, index): the
// 64-bit seed is the Philox key (low word first), and word `index` of stream
// `stream` is word index % 4 of the Philox block at counter
//
//   { lo32(index / 4), hi32(index / 4), lo32(stream), hi32(stream) }.
//
// Streams separate independent uses of one seed (one per parameter tensor,
// say). Streams with the top bit set are reserved for the runtime itself
// (BatchLoader's shuffles use shuffleStream(epoch)); programs use streams
// below 2^63.
//
// Dropout. The mask of a `dropout(x, p)` of a training step is drawn from
// its own stream (one per dropout op that code generation emits, numbered
// like nn.random's) at index (step << 34) + i for element i (row-major) of
// the step numbered `step` (the optimizer's step count, 1 for the first
// step). Every step so draws new words (for steps below 2^30, as the index
// has 64 bits), a tensor may have 2^34 elements, and a run resumed at any
// step draws the masks of the uninterrupted run, whatever the thread count.
// Element i is kept when the top 24 bits of its word are at least
// ceil(p * 2^24) (so uniformFromBits(word) >= p), and then scaled
// by float(1 / (1 - p)); see dropoutThreshold and dropoutMask.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_RNG_H
#define NNC_RUNTIME_RNG_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nnc::rt {

/// A Philox4x32 counter or output block: four 32-bit words, word 0 first.
using PhiloxBlock = std::array<uint32_t, 4>;
/// A Philox4x32 key: two 32-bit words, word 0 first.
using PhiloxKey = std::array<uint32_t, 2>;

/// The Philox-4x32-10 bijection: ten rounds of the Philox S-box on
/// \p counter under \p key, exactly as Random123's philox4x32(ctr, key).
PhiloxBlock philox4x32_10(PhiloxBlock counter, PhiloxKey key);

/// The key for a 64-bit seed: {lo32(seed), hi32(seed)}.
PhiloxKey philoxKey(uint64_t seed);

/// Block \p block of stream \p stream under \p seed (see the file comment
/// for the counter layout).
PhiloxBlock randomBlock(uint64_t seed, uint64_t stream, uint64_t block);

/// Random word \p index of stream \p stream under \p seed.
uint32_t randomWord(uint64_t seed, uint64_t stream, uint64_t index);

/// A float uniform in [0, 1) from the top 24 bits of \p bits:
/// (bits >> 8) * 2^-24. Every value is exactly representable, and 1 is never
/// returned.
float uniformFromBits(uint32_t bits);

/// Fills \p out[0..n) with floats uniform in [lo, hi): out[i] is
/// lo + (hi - lo) * uniformFromBits(randomWord(seed, stream, offset + i)),
/// lowered to the largest float below \p hi if rounding reached it. When
/// hi <= lo every element is lo.
void fillUniform(float *out, size_t n, float lo, float hi, uint64_t seed,
                 uint64_t stream, uint64_t offset);

/// Fills \p out[0..n) with normal floats of mean \p mean and standard
/// deviation \p stddev by the Box-Muller transform. Element j = offset + i
/// uses block j / 4 of the stream; in it, words 2p and 2p+1 with p = (j % 4)
/// / 2 give u1 = (w[2p] + 1) * 2^-32 in (0, 1] and u2 = w[2p+1] * 2^-32 in
/// [0, 1), and out[i] = mean + stddev * r * (j even ? cos : sin)(2 pi u2)
/// with r = sqrt(-2 ln u1), computed in double and rounded to float. So each
/// element depends only on (seed, stream, j), and |z| <= 6.67.
void fillNormal(float *out, size_t n, float mean, float stddev, uint64_t seed,
                uint64_t stream, uint64_t offset);

/// A sequential reader of one stream, for algorithms that consume a varying
/// number of random words (rejection sampling). Its position is the index of
/// the next word, so it can be saved and restored.
class PhiloxStream {
public:
  PhiloxStream(uint64_t seed, uint64_t stream, uint64_t index = 0)
      : key(philoxKey(seed)), streamId(stream), next(index) {}

  /// The next word of the stream.
  uint32_t nextU32();
  /// The next two words of the stream, the first as the low half.
  uint64_t nextU64();
  /// An integer uniform in [0, bound), unbiased (Lemire's multiply-shift
  /// with rejection, on 64-bit draws). Returns 0 when \p bound is 0.
  uint64_t nextBelow(uint64_t bound);
  /// The index of the next word.
  uint64_t position() const { return next; }

private:
  PhiloxKey key;
  uint64_t streamId;
  uint64_t next;
  PhiloxBlock cache{};
  uint64_t cachedBlock = ~uint64_t(0);
};

/// The smallest top-24-bit value (word >> 8) of a kept element of a dropout
/// with probability \p p in [0, 1): ceil(p * 2^24).
uint32_t dropoutThreshold(double p);

/// The scale of the kept elements of a dropout with probability \p p:
/// 1 / (1 - p) computed in double and rounded to float.
float dropoutScale(double p);

/// The multipliers of a dropout mask (see the file comment): out[i] for
/// element i of a tensor of \p n elements at step \p step is
/// dropoutScale(p) when randomWord(seed, stream, (step << 34) + i) >> 8 >=
/// dropoutThreshold(p), else 0. The dropout of x is x[i] * out[i].
void dropoutMask(float *out, size_t n, double p, uint64_t seed, uint64_t stream,
                 uint64_t step);

/// The reserved stream of the shuffle of epoch \p epoch: the epoch with the
/// top bit set.
uint64_t shuffleStream(int64_t epoch);

/// Sets \p order to a permutation of 0..n-1 drawn from stream \p stream of
/// \p seed: the identity permutation, shuffled by Fisher-Yates from the last
/// position down (position i swaps with nextBelow(i + 1)). The result
/// depends only on (n, seed, stream).
void randomPermutation(std::vector<int64_t> &order, int64_t n, uint64_t seed,
                       uint64_t stream);

} // namespace nnc::rt

#endif // NNC_RUNTIME_RNG_H
