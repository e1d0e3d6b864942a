//===- FuzzCommon.h - Helpers of the file reader fuzz targets ---*- C++ -*-===//
//
// The runtime's file readers take a path, so every fuzz target writes its
// input to a temporary file first: TempFile keeps one file per slot open for
// the life of the process and rewrites it in place for each input (on
// /dev/shm when there is one, so that no input touches a disk). FUZZ_CHECK
// states a property of the readers' contract that must hold for every
// input; a violation aborts, which libFuzzer reports as a crash with the
// input that caused it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TEST_FUZZ_FUZZCOMMON_H
#define NNC_TEST_FUZZ_FUZZCOMMON_H

#include "nnc/runtime/Dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

/// Aborts with a message naming the failed condition.
#define FUZZ_CHECK(cond, what)                                                 \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__,     \
                   __LINE__, #cond, std::string(what).c_str());                \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

namespace nnc::fuzz {

/// The directory for temporary files: $TMPDIR if set, else /dev/shm if it
/// exists, else /tmp.
inline std::string tempDir() {
  if (const char *t = std::getenv("TMPDIR"); t && *t)
    return t;
  struct stat st;
  if (::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
      ::access("/dev/shm", W_OK) == 0)
    return "/dev/shm";
  return "/tmp";
}

/// A temporary file that lives as long as the process (removed at exit).
class TempFile {
public:
  /// Creates the file; \p suffix (e.g. ".npy") ends its name.
  explicit TempFile(const char *suffix) {
    std::string tmpl = tempDir() + "/nnc-fuzz-XXXXXX" + suffix;
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    fd = ::mkstemps(buf.data(), int(std::strlen(suffix)));
    if (fd < 0) {
      std::perror("nnc fuzz: cannot create a temporary file");
      std::abort();
    }
    filePath = buf.data();
  }
  ~TempFile() {
    ::close(fd);
    ::unlink(filePath.c_str());
  }
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;

  /// Replaces the file's contents with \p size bytes at \p data.
  void write(const void *data, size_t size) {
    if (::ftruncate(fd, 0) != 0) {
      std::perror("nnc fuzz: cannot truncate the temporary file");
      std::abort();
    }
    const auto *p = static_cast<const unsigned char *>(data);
    for (size_t off = 0; off < size;) {
      ssize_t w = ::pwrite(fd, p + off, size - off, off_t(off));
      if (w <= 0) {
        std::perror("nnc fuzz: cannot write the temporary file");
        std::abort();
      }
      off += size_t(w);
    }
  }
  void write(const std::string &bytes) { write(bytes.data(), bytes.size()); }

  const std::string &path() const { return filePath; }

private:
  int fd = -1;
  std::string filePath;
};

/// Splits a fuzz input that holds two files: a little-endian u16 \p first
/// length (clamped to what is there), the first file, then the second file
/// as the rest.
inline void splitTwoFiles(const uint8_t *data, size_t size, std::string &first,
                          std::string &second) {
  size_t len = 0;
  if (size >= 2) {
    len = size_t(data[0]) | size_t(data[1]) << 8;
    data += 2;
    size -= 2;
  } else {
    data += size;
    size = 0;
  }
  len = len < size ? len : size;
  first.assign(reinterpret_cast<const char *>(data), len);
  second.assign(reinterpret_cast<const char *>(data + len), size - len);
}

/// \p bytes as one gzip member, as `gzip` writes it.
inline std::string gzipBytes(const std::string &bytes) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    std::abort();
  std::string out(deflateBound(&zs, uLong(bytes.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.data()));
  zs.avail_in = uInt(bytes.size());
  zs.next_out = reinterpret_cast<Bytef *>(&out[0]);
  zs.avail_out = uInt(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
    std::abort();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

/// With NNC_FUZZ_VERBOSE set in the environment, prints what a reader made
/// of the input: \p what and its error message, or "ok" and \p detail.
inline void report(const char *what, bool ok, const std::string &error,
                   const std::string &detail = "") {
  static const bool verbose = std::getenv("NNC_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    std::fprintf(stderr, "%s: %s\n", what,
                 ok ? ("ok" + (detail.empty() ? "" : ": " + detail)).c_str()
                    : error.c_str());
}

/// Checks what every reader promises on failure: a message that names the
/// file it is about.
inline void checkError(const std::string &error,
                       const std::vector<std::string> &paths) {
  FUZZ_CHECK(!error.empty(), "a failure without a message");
  bool named = false;
  for (const std::string &p : paths)
    named = named || error.find("'" + p + "'") != std::string::npos;
  FUZZ_CHECK(named, "the message names no file: " + error);
}

inline void checkBatches(const rt::Dataset &d);

/// Checks the loaders' contract: on success, a dataset whose vectors hold
/// exactly n samples of its shapes (and only the target vector its kind
/// uses); on failure, an empty dataset and a message naming a file.
inline void checkDataset(bool ok, const rt::Dataset &d,
                         const std::string &error,
                         const std::vector<std::string> &paths) {
  if (ok)
    report("load", true, "",
           std::to_string(d.n) + " samples of " +
               std::to_string(d.featureSize()) + " features and " +
               std::to_string(d.targetSize()) +
               (d.intTargets ? " labels" : " float targets"));
  else
    report("load", false, error);
  if (!ok) {
    checkError(error, paths);
    FUZZ_CHECK(d.n == 0 && d.features.empty() && d.labels.empty() &&
                   d.targets.empty() && d.featureShape.empty() &&
                   d.targetShape.empty(),
               "a failed load left data behind: " + error);
    return;
  }
  FUZZ_CHECK(d.n >= 0, "negative sample count");
  for (int64_t s : d.featureShape)
    FUZZ_CHECK(s >= 0, "negative feature dimension");
  for (int64_t s : d.targetShape)
    FUZZ_CHECK(s >= 0, "negative target dimension");
  // The sizes are bounded by the file (or by its decompressed data), so
  // these products do not overflow for a dataset that loaded.
  uint64_t n = uint64_t(d.n);
  uint64_t fs = uint64_t(d.featureSize()), ts = uint64_t(d.targetSize());
  FUZZ_CHECK(d.features.size() == n * fs,
             "features hold " + std::to_string(d.features.size()) +
                 " floats for " + std::to_string(n) + " samples of " +
                 std::to_string(fs));
  const size_t targets = d.intTargets ? d.labels.size() : d.targets.size();
  const size_t other = d.intTargets ? d.targets.size() : d.labels.size();
  FUZZ_CHECK(targets == n * ts, "targets hold " + std::to_string(targets) +
                                    " values for " + std::to_string(n) +
                                    " samples of " + std::to_string(ts));
  FUZZ_CHECK(other == 0, "both target vectors are filled");
  checkBatches(d);
}

/// With NNC_FUZZ_BATCHES set in the environment, runs one shuffled epoch of
/// a BatchLoader over a dataset that loaded, as a compiled program's
/// `batches(...)` loop does, and checks that it hands out every sample once.
/// Off by default: the fuzz targets are about the readers.
inline void checkBatches(const rt::Dataset &d) {
  static const bool enabled = std::getenv("NNC_FUZZ_BATCHES") != nullptr;
  if (!enabled)
    return;
  const int64_t batch = 4;
  rt::BatchLoader loader(d, batch, /*shuffle=*/true, /*dropLast=*/false, 1);
  // At most what the dataset holds (a dataset of no samples may declare
  // huge sample shapes).
  const size_t rows = size_t(std::min(batch, d.n));
  const size_t fs = size_t(d.featureSize()), ts = size_t(d.targetSize());
  std::vector<float> x(rows * fs), y(rows * ts);
  std::vector<int64_t> labels(rows * ts);
  int64_t got = 0, total = 0, batches = 0;
  while (loader.next(x.data(), labels.data(), y.data(), got)) {
    FUZZ_CHECK(got > 0 && got <= batch, "a batch of " + std::to_string(got));
    total += got;
    ++batches;
  }
  FUZZ_CHECK(total == d.n, "an epoch of " + std::to_string(total) +
                               " samples over " + std::to_string(d.n));
  FUZZ_CHECK(batches == loader.numBatches(), "wrong number of batches");
}

} // namespace nnc::fuzz

#endif // NNC_TEST_FUZZ_FUZZCOMMON_H
