//===- Dataset.h - In-memory datasets and batches for nnc -------*- C++ -*-===//
//
// The data layer that compiled training programs call: loaders that read a
// whole IDX, CSV or .npy dataset into memory as float32 features and int64
// or float32 targets, the preprocessing steps of the PyTorch tutorial's
// workflow (scaling, standardization with another set's statistics, a
// train/validation split), and BatchLoader, which hands out batches in file
// order or in a shuffled order that depends only on (seed, epoch).
//
// The header readers of DataHeaders.h validate the file headers; the loaders
// here read the data that follows. Nothing throws. Every failure returns
// false and fills `error` with a lowercase, clang-style message naming the
// file and the sample, line or byte offset involved, e.g.
//
//   'train-images.gz': truncated data: sample 59999 of 60000 is incomplete
//   'x.csv':12: column 'price': not a number: 'abc'
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_DATASET_H
#define NNC_RUNTIME_DATASET_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nnc::rt {

struct CsvStream;

/// Sets \p out to \p a * \p b, two sizes (element counts, byte counts);
/// false, leaving \p out alone, when either is negative or the product
/// overflows int64. Every size product of the readers and loaders goes
/// through it, so that a huge header or batch size is an error, not a
/// wrapped buffer size.
inline bool checkedMul(int64_t a, int64_t b, int64_t &out) {
  int64_t p;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &p))
    return false;
  out = p;
  return true;
}

/// One preprocessing step of a streamed dataset, applied to every sample's
/// features as it is read, exactly as scale() and standardize() apply it to
/// a dataset in memory: x * mul + add when `mean` is empty, else
/// (x - mean[j]) / stddev[j] at feature position j (a stddev of 0 counts as
/// 1).
struct FeatureTransform {
  float mul = 1, add = 0;
  std::vector<float> mean, stddev;
};

/// Applies \p transforms, in order, to \p rows samples of \p featureSize
/// features each at \p x.
void applyTransforms(const std::vector<FeatureTransform> &transforms, float *x,
                     int64_t rows, int64_t featureSize);

/// A dataset of n samples, held in memory in row-major order. Sample i's
/// features are features[i * featureSize() .. (i + 1) * featureSize()), and
/// its target is labels[i * targetSize() ...] when intTargets, else
/// targets[i * targetSize() ...]; the other target vector is empty.
struct Dataset {
  /// Number of samples.
  int64_t n = 0;
  /// Shape of one sample's features, e.g. {28, 28}; {} for a scalar.
  std::vector<int64_t> featureShape;
  std::vector<float> features;
  /// True if targets are integers (class labels), held in `labels`.
  bool intTargets = true;
  /// Shape of one sample's target; {} for a scalar (the usual case).
  std::vector<int64_t> targetShape;
  std::vector<int64_t> labels;
  std::vector<float> targets;

  /// A streamed dataset (a CSV file too big for the memory limit, see
  /// CsvStream.h) leaves the three vectors above empty: sample i is data
  /// record streamFirst + i of `stream`'s file, with `transforms` applied
  /// to its features in order. Null for a dataset held in memory.
  std::shared_ptr<const CsvStream> stream;
  int64_t streamFirst = 0;
  std::vector<FeatureTransform> transforms;

  /// For messages: the file the targets were read from, and the index in
  /// it of sample 0 (not 0 for the second part of a split). Empty for a
  /// dataset not read from a file.
  std::string targetsPath;
  int64_t targetsFirst = 0;

  /// Number of floats per sample: the product of featureShape.
  int64_t featureSize() const;
  /// Number of target values per sample: the product of targetShape.
  int64_t targetSize() const;
};

//===----------------------------------------------------------------------===//
// Loaders
//===----------------------------------------------------------------------===//

/// Loads an IDX image file and an IDX label file (each raw or gzip-
/// compressed, detected by the gzip magic bytes) into \p out. The first
/// dimension of each is the sample count, and the counts must match; the
/// remaining dimensions are the feature and target shapes. Elements (u8, i8,
/// i16, i32, f32, f64, big-endian as the IDX format specifies) become
/// floats; integer label files give intTargets, f32/f64 label files float
/// targets. Data that ends early is an error naming the file and the first
/// incomplete sample; a gzip stream is read to its end, so a damaged or
/// missing trailer (CRC, length) is an error too, and so is data after the
/// declared samples: more decompressed data (in the member or in a further
/// one) or bytes after the last gzip member. Data paths must be regular
/// files (openDataFile). On failure \p out is left empty.
bool loadIdx(const std::string &imagesPath, const std::string &labelsPath,
             Dataset &out, std::string &error);

/// A CSV column, named or by 0-based index.
struct CsvColumn {
  CsvColumn(const char *name) : name(name ? name : "") {}
  CsvColumn(std::string name) : name(std::move(name)) {}
  CsvColumn(int index) : index(index) {}

  /// The column's name; used when index < 0.
  std::string name;
  /// The column's 0-based index, or -1 to look the column up by name.
  int index = -1;
};

/// Loads the CSV file at \p path: one header record naming the columns (read
/// by readCsvHeader), then one record per sample. \p target is the target
/// column; \p features are the feature columns in the order wanted, or empty
/// for every column but the target, in file order. Every listed field must
/// be a finite decimal number (parsed as in the "C" locale whatever the
/// process locale is; surrounding blanks and a leading '+' are allowed; the
/// value must fit a float); with \p intTarget the target must moreover be an
/// integer >= 0 (and < 2^53), giving labels, else float targets. Quoting
/// follows RFC 4180, and \n, \r\n and \r all end records. Empty lines are
/// skipped. Errors name the file and line (of the record's start), and the
/// column, e.g. "'x.csv':12: column 'price': not a number: 'abc'"; a file
/// with no data rows is an error. On failure \p out is left empty.
///
/// The whole file is read and validated either way. When the samples take
/// more than \p memoryLimit bytes (4 per feature, 8 per int label, 4 per
/// float target; a negative limit is no limit), \p out is a streamed
/// dataset instead (Dataset::stream, CsvStream.h): its samples are read
/// from the file when a batch needs them.
bool loadCsv(const std::string &path, const CsvColumn &target,
             const std::vector<CsvColumn> &features, bool intTarget,
             Dataset &out, std::string &error, int64_t memoryLimit = -1);

/// Loads two .npy files (read by readNpyHeader): \p inputsPath gives the
/// features, shape {n, ...}, and \p targetsPath the targets, shape {n, ...};
/// the sample counts must match. Supported element types: every one that
/// npyDTypeName() knows (f16, f32, f64, i8 to i64, u8 to u64, bool), little-
/// endian, C order only. Float target arrays give float targets; integer and
/// bool ones give labels. On failure \p out is left empty.
bool loadNpy(const std::string &inputsPath, const std::string &targetsPath,
             Dataset &out, std::string &error);

//===----------------------------------------------------------------------===//
// Preprocessing
//===----------------------------------------------------------------------===//

/// Sets every feature x to x * mul + add (e.g. mul = 1/255 for pixels). A
/// streamed dataset gets the step as a transform.
void scale(Dataset &data, float mul, float add);

/// Per-feature statistics of a dataset: for each of the featureSize()
/// positions, the mean and the population standard deviation (dividing by
/// n) over all samples, accumulated in double.
struct FeatureStats {
  std::vector<float> mean;
  std::vector<float> stddev;
};

/// Computes \p data's FeatureStats in one pass over the samples in order
/// (Welford's running mean and sum of squared deviations, in double), so
/// that a streamed dataset, read once from its file, gets exactly the
/// statistics of the same samples held in memory. A dataset with no
/// samples gives means of 0 and deviations of 1. False, with \p error, when
/// a streamed dataset's file cannot be read.
bool computeFeatureStats(const Dataset &data, FeatureStats &stats,
                         std::string &error);
/// The same for a dataset held in memory.
FeatureStats computeFeatureStats(const Dataset &data);

/// Sets every feature x at position j to (x - mean[j]) / std[j], where the
/// statistics are those of \p statsFrom (usually the training set, so that
/// validation and test data are scaled the same way), and a standard
/// deviation of 0 is taken as 1. \p data may be \p statsFrom. Fails if the
/// two feature shapes differ or \p statsFrom has no samples. A streamed
/// \p data gets the step as a transform; a streamed \p statsFrom is read
/// once for its statistics.
bool standardize(Dataset &data, const Dataset &statsFrom, std::string &error);

/// Splits \p data in two, deterministically: \p first gets the first
/// k = floor(n * fraction) samples in file order and \p second the other
/// n - k. \p fraction is clamped to [0, 1] (NaN counts as 0), and a product
/// n * fraction within 1e-9 (relative) of an integer counts as that integer,
/// so that 0.29 of 100 samples is 29 although 100 * 0.29 is 28.999999999999996
/// in binary floating point. Both halves keep \p data's shapes and target
/// kind. \p first or \p second may be \p data itself. The parts of a
/// streamed dataset are streamed: they read their records from the same
/// file.
void split(const Dataset &data, double fraction, Dataset &first,
           Dataset &second);

/// Checks that every class label of \p data (int targets) lies in
/// [0, classes), reading a streamed dataset's file once. False, with
/// \p error naming the labels' file and the sample, at the first that does
/// not, e.g. "'labels.idx': sample 5 has the class label 12, but <user> has
/// 3 classes (labels 0..2)", where \p user names the loss or metric. True
/// for float targets.
bool checkClassLabels(const Dataset &data, int64_t classes,
                      const std::string &user, std::string &error);

//===----------------------------------------------------------------------===//
// Batches
//===----------------------------------------------------------------------===//

/// Hands out a dataset's samples in batches, one epoch at a time.
///
/// Without shuffling, batch k holds samples k*batch .. k*batch + batch - 1 in
/// file order. With shuffling, an epoch visits the samples in the order
/// randomPermutation(n, seed, shuffleStream(epoch)) gives, which depends on
/// nothing but (n, seed, epoch): a run is reproducible, and a resumed run
/// that calls startEpoch(e) (and seek(k) to skip the k batches it had
/// already done) sees exactly the batches the uninterrupted run would have.
/// Every sample occurs exactly once per epoch. The last batch may be short
/// (n % batch samples) unless dropLast is set, in which case it is skipped.
///
/// The loader refers to the dataset, which must outlive it and not change
/// size. A batch size below 1 gives no batches; one larger than the
/// dataset gives one batch of the whole dataset (as PyTorch's DataLoader).
class BatchLoader {
public:
  BatchLoader(const Dataset &data, int64_t batch, bool shuffle, bool dropLast,
              uint64_t seed);

  /// Starts epoch \p epoch (0-based) at its first batch.
  void startEpoch(int64_t epoch);

  /// Moves to batch \p batchIndex of the current epoch (clamped to the end).
  void seek(int64_t batchIndex);

  /// Copies the next batch: its features to \p x (rows * featureSize()
  /// floats) and its targets to \p labelsOrNull (rows * targetSize() int64
  /// values; only when the dataset has int targets) and \p targetsOrNull
  /// (rows * targetSize() floats; the labels converted to float when the
  /// dataset has int targets). Either target pointer, and \p x when the
  /// features are not wanted, may be null. Sets \p rows to the number of
  /// samples copied. Returns false, with rows = 0, at the end of the epoch.
  bool next(float *x, int64_t *labelsOrNull, float *targetsOrNull,
            int64_t &rows);

  /// Number of batches in an epoch.
  int64_t numBatches() const;
  /// Index of the batch the next call to next() returns.
  int64_t batchIndex() const { return batchSize > 0 ? pos / batchSize : 0; }
  /// The current epoch.
  int64_t epoch() const { return currentEpoch; }
  /// The sample order of the current epoch (empty when not shuffling).
  const std::vector<int64_t> &order() const { return perm; }

private:
  const Dataset *data;
  int64_t batchSize;
  bool shuffle, dropLast;
  uint64_t seed;
  int64_t currentEpoch = 0;
  int64_t pos = 0;
  std::vector<int64_t> perm;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_DATASET_H
