//===- HostABI.cpp - The C ABI of the compiled host program ---------------===//
//
// Implements HostABI.h on top of the runtime's data layer (Dataset.h),
// checkpoints (Safetensors.h) and its own printing: Python's repr for host
// floats (std::to_chars, shortest round trip) and PyTorch's tensor
// formatting (a port of torch/_tensor_str.py's _Formatter, _vector_str,
// _tensor_str_with_formatter and _add_suffixes with their default print
// options). Every entry point runs inside guarded(), which turns an
// allocation failure into an error message; every error goes through
// fail(), which prints the message and exits with status 1.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/HostABI.h"
#include "nnc/runtime/CsvStream.h"
#include "nnc/runtime/DataHeaders.h"
#include "nnc/runtime/Dataset.h"
#include "nnc/runtime/Device.h"
#include "nnc/runtime/Prefetch.h"
#include "nnc/runtime/Safetensors.h"
#include "progress/Progress.h"

#define XXH_INLINE_ALL // header-only (libxxhash-dev): data file fingerprints
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <malloc.h>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <type_traits>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

using namespace nnc::rt;

namespace {

//===----------------------------------------------------------------------===//
// State
//===----------------------------------------------------------------------===//

/// A loader (Prefetch.h) and its current batch.
struct LoaderState {
  LoaderState(std::shared_ptr<const Dataset> d, int64_t batch, bool shuffle,
              bool dropLast, uint64_t seed, bool background)
      : data(d), prefetcher(d, batch, shuffle, dropLast, seed, background,
                            StreamShuffle::forSampleBytes(
                                d->featureSize() * 4 +
                                d->targetSize() * (d->intTargets ? 8 : 4))) {}

  std::shared_ptr<const Dataset> data;
  BatchPrefetcher prefetcher;
  /// The last epoch started, -1 before the first start.
  int64_t lastEpoch = -1;
  /// The current batch, null when none.
  const Batch *current = nullptr;
  /// The class counts the dataset's labels were checked against.
  std::set<int64_t> labelsChecked;
};

/// The tracker of one best/since_best call site.
struct Tracker {
  bool hasBest = false;
  double best = 0;
  int64_t since = 0;
};

/// A tensor waiting for nnc_rt_save_end.
struct PendingTensor {
  std::string name;
  const char *dtype;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;
};

struct State {
  uint64_t seed = 0;
  /// Whether loaders assemble batches on a background thread
  /// (NNC_PREFETCH, checked by nnc_rt_init).
  bool prefetch = true;
  std::string scriptDir;
  std::string location;
  /// Datasets by id - 1; null once released.
  std::vector<std::shared_ptr<Dataset>> datasets;
  /// (dataset id, fraction bits) -> the ids of the two parts.
  std::map<std::pair<int64_t, uint64_t>, std::pair<int64_t, int64_t>> splits;
  std::vector<std::unique_ptr<LoaderState>> loaders;
  std::unordered_map<int64_t, Tracker> trackers;
  /// Whether the current print line has a value yet.
  bool lineOpen = false;

  bool saving = false;
  std::string savePath;
  std::vector<PendingTensor> pending;
  std::unordered_set<std::string> pendingNames;

  bool loading = false;
  std::string loadPath;
  SafetensorsFile file;
  std::set<std::string> loaded;
  /// `load net from PATH`: "net." (a training state: empty), and whether
  /// the file's names are found with it (--save-final's) or without.
  std::string loadPrefix;
  enum class Names { Undecided, Plain, Prefixed } loadNames = Names::Undecided;

  /// What the run is made of, for --state (when --state or --resume is
  /// given): one entry per data file opened and per loader created, in the
  /// run's order (see runDataEntry and nnc_rt_loader).
  std::vector<std::string> runData, runLoaders;
  /// The call site of the next loader (nnc_rt_loader_site).
  std::string loaderSite;
  /// The same entries of the --resume state, when it has them.
  std::vector<std::string> resumeData, resumeLoaders;

  /// `--state`: whether the run's state was written when the step budget
  /// ran out (later writes would overwrite it with a later point).
  bool budgetStateWritten = false;
  /// `--resume`: the file, read by nnc_rt_resume_point().
  SafetensorsFile resume;
};

State &state() {
  static std::unique_ptr<State> s;
  if (!s)
    s = std::make_unique<State>();
  return *s;
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

/// Prints "[<location>: ]error: <message>" to stderr and exits with 1.
[[noreturn]] void fail(const std::string &message) {
  std::fflush(stdout);
  nnc::rt::progress::beforeError();
  const std::string &loc = state().location;
  std::string line = (loc.empty() ? "" : loc + ": ") + "error: " + message;
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
  std::exit(1);
}

/// An error that only wrong generated code can cause.
[[noreturn]] void internal(const char *fn, const std::string &message) {
  fail(std::string("internal error: ") + fn + ": " + message);
}

/// Runs an entry point's body; an allocation failure (a huge dataset, say)
/// becomes an error instead of an exception escaping into compiled code.
template <typename Body> auto guarded(Body &&body) -> decltype(body()) {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  try {
    return body();
  } catch (const std::bad_alloc &) {
    fail("out of memory");
  } catch (const std::length_error &) {
    fail("out of memory");
  } catch (const std::exception &e) {
    fail(std::string("internal error: ") + e.what());
  }
#else
  return body();
#endif
}

std::string str(const char *s) { return s ? s : ""; }

std::string shapeString(const int64_t *dims, size_t rank) {
  std::string s = "[";
  for (size_t i = 0; i < rank; ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}
std::string shapeString(const std::vector<int64_t> &dims) {
  return shapeString(dims.data(), dims.size());
}

//===----------------------------------------------------------------------===//
// Handles
//===----------------------------------------------------------------------===//

std::shared_ptr<Dataset> &datasetSlot(const char *fn, int64_t id) {
  State &s = state();
  if (id < 1 || uint64_t(id) > s.datasets.size())
    internal(fn, "invalid dataset id " + std::to_string(id));
  std::shared_ptr<Dataset> &d = s.datasets[size_t(id - 1)];
  if (!d)
    internal(fn, "dataset " + std::to_string(id) + " was released");
  return d;
}

const Dataset &dataset(const char *fn, int64_t id) {
  return *datasetSlot(fn, id);
}

int64_t addDataset(Dataset d) {
  State &s = state();
  s.datasets.push_back(std::make_shared<Dataset>(std::move(d)));
  return int64_t(s.datasets.size());
}

LoaderState &loader(const char *fn, int64_t id) {
  State &s = state();
  if (id < 1 || uint64_t(id) > s.loaders.size())
    internal(fn, "invalid loader id " + std::to_string(id));
  return *s.loaders[size_t(id - 1)];
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// \p path resolved against the script directory.
std::string resolve(const char *path) {
  std::string p = str(path);
  const std::string &dir = state().scriptDir;
  if (p.empty() || p[0] == '/' || dir.empty())
    return p;
  return dir.back() == '/' ? dir + p : dir + "/" + p;
}

/// Creates the missing parent directories of \p path (errors show later,
/// when the file itself cannot be created).
void makeParents(const std::string &path) {
  for (size_t at = path.find('/', 1); at != std::string::npos;
       at = path.find('/', at + 1))
    ::mkdir(path.substr(0, at).c_str(), 0777);
}

/// Replaces the file at \p path with \p bytes atomically: a temporary file
/// "<path>.tmp.<pid>" in the same directory, fsync, rename, fsync of the
/// directory. On failure the old file is untouched and \p error is set.
bool writeAtomically(const std::string &path, const std::string &bytes,
                     std::string &error) {
  makeParents(path);
  removeStaleTemporaries(path); // of a writer that was killed
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "'" + path + "': cannot create temporary file '" + tmp +
            "': " + std::strerror(errno);
    return false;
  }
  auto abandon = [&](const std::string &what) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    error = "'" + path + "': " + what + " temporary file '" + tmp +
            "': " + std::strerror(e);
    return false;
  };
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      return abandon("cannot write");
    }
    done += size_t(n);
  }
  if (::fsync(fd) != 0)
    return abandon("cannot fsync");
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    error = "'" + path + "': cannot close temporary file '" + tmp +
            "': " + std::strerror(e);
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    error = "'" + path + "': cannot replace the file: " + std::strerror(e);
    return false;
  }
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

//===----------------------------------------------------------------------===//
// What a run is made of (for --state and --resume)
//===----------------------------------------------------------------------===//

nnc::rt::RunOptions &runOptions();

/// Whether the run records its data and loaders: with --state or --resume.
bool recordsRun() {
  return !runOptions().statePath.empty() || !runOptions().resumePath.empty();
}

/// The record of a data file: "<size>\t<XXH3 of its bytes>\t<path>", or
/// "" when it is not a regular file that can be read (its reader says
/// why). The whole file is hashed: about 1 GB/s measured from the page cache
/// (0.02 s for Fashion-MNIST's training images), and only with --state or
/// --resume.
std::string dataFileEntry(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return "";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return "";
  XXH3_state_t h;
  XXH3_64bits_reset(&h);
  std::vector<char> buf(size_t(1) << 20);
  uint64_t size = 0;
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ::close(fd);
      return "";
    }
    if (n == 0)
      break;
    XXH3_64bits_update(&h, buf.data(), size_t(n));
    size += uint64_t(n);
  }
  ::close(fd);
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                (unsigned long long)XXH3_64bits_digest(&h));
  std::string shown = path;
  std::replace(shown.begin(), shown.end(), '\n', '?');
  std::replace(shown.begin(), shown.end(), '\t', '?');
  return std::to_string(size) + "\t" + hex + "\t" + shown;
}

/// The fields of a record, split at tabs.
std::vector<std::string> fields(const std::string &entry) {
  std::vector<std::string> out;
  size_t from = 0;
  while (true) {
    size_t tab = entry.find('\t', from);
    out.push_back(entry.substr(from, tab - from));
    if (tab == std::string::npos)
      return out;
    from = tab + 1;
  }
}

/// A difference between this run and the --resume state's: an error, or
/// with --resume-changed a warning.
void changedSinceState(const std::string &what) {
  const std::string &path = runOptions().resumePath;
  if (runOptions().resumeChanged) {
    std::fflush(stdout);
    nnc::rt::progress::beforeError();
    std::fprintf(stderr,
                 "nnc: warning: '%s': %s (resumed anyway: "
                 "--resume-changed)\n",
                 path.c_str(), what.c_str());
    std::fflush(stderr);
    return;
  }
  fail("'" + path + "': " + what +
       "; a resumed run must read the same data in the same batches (to "
       "resume anyway, add --resume-changed)");
}

/// Records the data file \p path as the run opens it and compares it with
/// the state's run's file of the same rank.
void noteDataFile(const std::string &path) {
  if (!recordsRun())
    return;
  State &s = state();
  std::string entry = dataFileEntry(path);
  size_t k = s.runData.size();
  s.runData.push_back(entry);
  if (k >= s.resumeData.size() || entry.empty() || s.resumeData[k].empty())
    return;
  std::vector<std::string> now = fields(entry), then = fields(s.resumeData[k]);
  if (now.size() != 3 || then.size() != 3 ||
      (now[0] == then[0] && now[1] == then[1]))
    return; // the same bytes (perhaps moved)
  changedSinceState("the data file '" + path +
                    "' is not the one the state's run read ('" + then[2] +
                    "': " + then[0] + " bytes, XXH3 " + then[1] + "; now " +
                    now[0] + " bytes, XXH3 " + now[1] + ")");
}

/// Records a loader as the run creates it (loaders are created where first
/// used, so a resumed run may create them in another order: each is known
/// by its call site) and compares it with the state's run's loader there.
void noteLoader(int64_t batch, bool shuffle, bool dropLast, int64_t samples) {
  State &s = state();
  std::string site = s.loaderSite;
  s.loaderSite.clear();
  if (!recordsRun())
    return;
  std::string entry = site + "\t" + std::to_string(batch) + "\t" +
                      (shuffle ? "true" : "false") + "\t" +
                      (dropLast ? "true" : "false") + "\t" +
                      std::to_string(samples);
  s.runLoaders.push_back(entry);
  std::vector<std::string> now = fields(entry);
  for (const std::string &old : s.resumeLoaders) {
    std::vector<std::string> then = fields(old);
    if (then.size() != 5 || then[0] != site || old == entry)
      continue;
    static const char *names[] = {"", "batch size", "shuffle", "drop_last",
                                  "number of samples"};
    std::string diff;
    for (size_t i = 1; i < 5; ++i)
      if (now[i] != then[i])
        diff += std::string(diff.empty() ? "" : ", ") + names[i] + " " +
                now[i] + " (the state's run: " + then[i] + ")";
    changedSinceState("the loader here differs from the state's run's: " +
                      diff);
    return;
  }
}

/// Joins records with newlines, for the metadata.
std::string joinLines(const std::vector<std::string> &lines) {
  std::string out;
  for (const std::string &l : lines)
    out += l + "\n";
  return out;
}

std::vector<std::string> splitLines(const std::string &text) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from < text.size()) {
    size_t nl = text.find('\n', from);
    if (nl == std::string::npos)
      nl = text.size();
    out.push_back(text.substr(from, nl - from));
    from = nl + 1;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Numbers as text
//===----------------------------------------------------------------------===//

/// Formats the shortest round-trip digits of a finite non-zero value the
/// way Python's float repr does. \p sci is std::to_chars' scientific form,
/// "-d.ddde+XX".
std::string pythonRepr(const char *sci) {
  std::string s = sci;
  std::string sign;
  if (s[0] == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  size_t e = s.find('e');
  std::string mant = s.substr(0, e);
  int exp10 = std::atoi(s.c_str() + e + 1);
  std::string digits;
  for (char c : mant)
    if (c != '.')
      digits += c;
  while (digits.size() > 1 && digits.back() == '0')
    digits.pop_back();
  int n = int(digits.size());
  int decpt = exp10 + 1; // value = 0.<digits> * 10^decpt
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0)
      return sign + "0." + std::string(size_t(-decpt), '0') + digits;
    if (decpt < n)
      return sign + digits.substr(0, size_t(decpt)) + "." +
             digits.substr(size_t(decpt));
    return sign + digits + std::string(size_t(decpt - n), '0') + ".0";
  }
  std::string out = sign + digits.substr(0, 1);
  if (n > 1)
    out += "." + digits.substr(1);
  int ax = exp10 < 0 ? -exp10 : exp10;
  out += exp10 < 0 ? "e-" : "e+";
  if (ax < 10)
    out += "0";
  return out + std::to_string(ax);
}

template <typename T> std::string reprOf(T v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v < 0 ? "-inf" : "inf";
  if (v == 0)
    return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf) - 1, v,
                         std::chars_format::scientific);
  *r.ptr = '\0';
  return pythonRepr(buf);
}

/// Python's "{:.<precision><conv>}".format(v) for conv 'f' or 'e'.
std::string formatFixedOrSci(double v, char conv, int precision = 4) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v < 0 ? "-inf" : "inf";
  char fmt[8] = {'%', '.', char('0' + precision), conv, 0};
  int len = std::snprintf(nullptr, 0, fmt, v);
  std::string s(size_t(len) + 1, '\0');
  std::snprintf(s.data(), s.size(), fmt, v);
  s.pop_back();
  return s;
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

/// A tensor's elements in C order, with its shape.
template <typename T> struct Dense {
  std::vector<int64_t> shape;
  std::vector<T> values;
};

/// Reads \p m (any strides) into C order. Checks the descriptor.
template <typename T>
Dense<T> readDense(const char *fn, const UnrankedMemRefType<T> *m) {
  if (!m || !m->descriptor || m->rank < 0 || m->rank > 64)
    internal(fn, "invalid memref descriptor");
  DynamicMemRefType<T> d(*m);
  Dense<T> out;
  out.shape.assign(d.sizes, d.sizes + d.rank);
  uint64_t count = 1;
  for (int64_t s : out.shape) {
    if (s < 0)
      internal(fn, "memref with negative size " + shapeString(out.shape));
    count *= uint64_t(s);
  }
  out.values.resize(size_t(count));
  if (count == 0)
    return out;
  std::vector<int64_t> idx(size_t(d.rank), 0);
  int64_t off = d.offset;
  for (uint64_t k = 0; k < count; ++k) {
    out.values[size_t(k)] = d.data[off];
    for (int64_t dim = d.rank - 1; dim >= 0; --dim) {
      if (++idx[size_t(dim)] < d.sizes[dim]) {
        off += d.strides[dim];
        break;
      }
      off -= (d.sizes[dim] - 1) * d.strides[dim];
      idx[size_t(dim)] = 0;
    }
  }
  return out;
}

/// Writes \p values (C order) into \p m (any strides).
template <typename T>
void writeDense(const DynamicMemRefType<T> &d, const T *values) {
  uint64_t count = 1;
  for (int64_t i = 0; i < d.rank; ++i)
    count *= uint64_t(d.sizes[i]);
  std::vector<int64_t> idx(size_t(d.rank), 0);
  int64_t off = d.offset;
  for (uint64_t k = 0; k < count; ++k) {
    d.data[off] = values[k];
    for (int64_t dim = d.rank - 1; dim >= 0; --dim) {
      if (++idx[size_t(dim)] < d.sizes[dim]) {
        off += d.strides[dim];
        break;
      }
      off -= (d.sizes[dim] - 1) * d.strides[dim];
      idx[size_t(dim)] = 0;
    }
  }
}

/// PyTorch's print options (torch.set_printoptions defaults).
constexpr int kPrecision = 4;
constexpr size_t kThreshold = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr int kLineWidth = 80;

/// The element kinds a tensor can print as.
enum class ElemKind { Float, Int, Bool };

/// PyTorch's _Formatter: one width and notation for all printed elements.
class Formatter {
public:
  Formatter(ElemKind kind, const std::vector<double> &floats,
            const std::vector<std::string> &texts) {
    if (kind != ElemKind::Float) {
      for (const std::string &t : texts)
        maxWidth = std::max(maxWidth, t.size());
      return;
    }
    std::vector<double> vals;
    for (double v : floats)
      if (std::isfinite(v) && v != 0)
        vals.push_back(v);
    if (vals.empty())
      return;
    double lo = std::fabs(vals[0]), hi = lo;
    for (double v : vals) {
      lo = std::min(lo, std::fabs(v));
      hi = std::max(hi, std::fabs(v));
      if (v != std::ceil(v))
        intMode = false;
    }
    if (intMode) {
      if (hi / lo > 1000.0 || hi > 1.0e8) {
        sciMode = true;
        for (double v : vals)
          maxWidth = std::max(maxWidth, formatFixedOrSci(v, 'e').size());
      } else {
        for (double v : vals)
          maxWidth = std::max(maxWidth, formatFixedOrSci(v, 'f', 0).size() + 1);
      }
    } else if (hi / lo > 1000.0 || hi > 1.0e8 || lo < 1.0e-4) {
      sciMode = true;
      for (double v : vals)
        maxWidth = std::max(maxWidth, formatFixedOrSci(v, 'e').size());
    } else {
      for (double v : vals)
        maxWidth = std::max(maxWidth, formatFixedOrSci(v, 'f').size());
    }
  }

  size_t width() const { return maxWidth; }

  /// Formats a float element, padded to the width.
  std::string format(double v) const {
    std::string s;
    if (sciMode) {
      s = formatFixedOrSci(v, 'e');
    } else if (intMode) {
      s = formatFixedOrSci(v, 'f', 0);
      if (std::isfinite(v))
        s += ".";
    } else {
      s = formatFixedOrSci(v, 'f', kPrecision);
    }
    return pad(s);
  }
  /// Pads an int or bool element's text to the width.
  std::string pad(const std::string &s) const {
    return s.size() < maxWidth ? std::string(maxWidth - s.size(), ' ') + s : s;
  }

private:
  bool intMode = true;
  bool sciMode = false;
  size_t maxWidth = 1;
};

/// Prints a tensor of any kind the way torch's _str_intern does.
class TensorPrinter {
public:
  TensorPrinter(ElemKind kind, std::vector<int64_t> shape,
                std::vector<double> floats, std::vector<std::string> texts)
      : kind(kind), shape(std::move(shape)), floats(std::move(floats)),
        texts(std::move(texts)) {}

  std::string print(const char *dtypeSuffix) {
    const std::string prefix = "tensor(";
    const size_t indent = prefix.size();
    size_t count = kind == ElemKind::Float ? floats.size() : texts.size();
    std::string body;
    if (count == 0) {
      body = "[]";
    } else {
      summarize = count > kThreshold;
      // The formatter sees only the elements that are printed.
      std::vector<double> fs;
      std::vector<std::string> ts;
      collect(0, 0, fs, ts);
      formatter = std::make_unique<Formatter>(kind, fs, ts);
      body = tensorStr(0, 0, indent);
    }
    std::vector<std::string> suffixes;
    if (!shape.empty())
      suffixes.push_back("shape=" + shapeString(shape));
    if (dtypeSuffix)
      suffixes.push_back(dtypeSuffix);
    std::string out = prefix + body;
    size_t nl = out.rfind('\n');
    size_t lastLineLen =
        nl == std::string::npos ? out.size() + 2 : out.size() - nl + 1;
    for (const std::string &s : suffixes) {
      if (lastLineLen + s.size() + 2 > size_t(kLineWidth)) {
        out += ",\n" + std::string(indent, ' ') + s;
        lastLineLen = indent + s.size();
      } else {
        out += ", " + s;
        lastLineLen += s.size() + 2;
      }
    }
    return out + ")";
  }

private:
  ElemKind kind;
  std::vector<int64_t> shape;
  std::vector<double> floats;
  std::vector<std::string> texts;
  bool summarize = false;
  std::unique_ptr<Formatter> formatter;

  /// The indices printed along a dimension of size \p n.
  std::vector<int64_t> shown(int64_t n) const {
    std::vector<int64_t> idx;
    if (summarize && n > 2 * kEdgeItems) {
      for (int64_t i = 0; i < kEdgeItems; ++i)
        idx.push_back(i);
      for (int64_t i = n - kEdgeItems; i < n; ++i)
        idx.push_back(i);
    } else {
      for (int64_t i = 0; i < n; ++i)
        idx.push_back(i);
    }
    return idx;
  }
  size_t stride(size_t dim) const {
    size_t s = 1;
    for (size_t d = dim + 1; d < shape.size(); ++d)
      s *= size_t(shape[d]);
    return s;
  }
  /// get_summarized_data: the elements that are printed.
  void collect(size_t dim, size_t base, std::vector<double> &fs,
               std::vector<std::string> &ts) const {
    if (dim == shape.size()) {
      if (kind == ElemKind::Float)
        fs.push_back(floats[base]);
      else
        ts.push_back(texts[base]);
      return;
    }
    for (int64_t i : shown(shape[dim]))
      collect(dim + 1, base + size_t(i) * stride(dim), fs, ts);
  }
  std::string element(size_t at) const {
    return kind == ElemKind::Float ? formatter->format(floats[at])
                                   : formatter->pad(texts[at]);
  }
  /// _tensor_str_with_formatter / _vector_str.
  std::string tensorStr(size_t dim, size_t base, size_t indent) const {
    if (shape.empty())
      return element(0);
    int64_t n = shape[dim];
    bool elide = summarize && n > 2 * kEdgeItems;
    std::vector<int64_t> idx = shown(n);
    if (dim + 1 == shape.size()) {
      // max(1, floor((linewidth - indent) / (width + 2))).
      long avail = long(kLineWidth) - long(indent);
      long perLine =
          std::max(1L, avail > 0 ? avail / long(formatter->width() + 2) : 0L);
      std::vector<std::string> data;
      for (size_t k = 0; k < idx.size(); ++k) {
        if (elide && k == size_t(kEdgeItems))
          data.push_back(" ...");
        data.push_back(element(base + size_t(idx[k])));
      }
      std::string out = "[";
      for (size_t k = 0; k < data.size(); ++k) {
        if (k > 0)
          out += size_t(k) % size_t(perLine) == 0
                     ? ",\n" + std::string(indent + 1, ' ')
                     : ", ";
        out += data[k];
      }
      return out + "]";
    }
    std::vector<std::string> slices;
    for (size_t k = 0; k < idx.size(); ++k) {
      if (elide && k == size_t(kEdgeItems))
        slices.push_back("...");
      slices.push_back(
          tensorStr(dim + 1, base + size_t(idx[k]) * stride(dim), indent + 1));
    }
    std::string sep = "," + std::string(shape.size() - dim - 1, '\n') +
                      std::string(indent + 1, ' ');
    std::string out = "[";
    for (size_t k = 0; k < slices.size(); ++k)
      out += (k ? sep : "") + slices[k];
    return out + "]";
  }
};

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

void printValue(const std::string &text) {
  State &s = state();
  if (!s.lineOpen)
    nnc::rt::progress::beforePrint();
  if (s.lineOpen)
    std::fputc(' ', stdout);
  s.lineOpen = true;
  std::fwrite(text.data(), 1, text.size(), stdout);
}

template <typename T>
void printTensor(const char *fn, const UnrankedMemRefType<T> *m) {
  guarded([&] {
    Dense<T> d = readDense(fn, m);
    std::vector<double> floats;
    std::vector<std::string> texts;
    ElemKind kind;
    const char *suffix = nullptr;
    if constexpr (std::is_floating_point_v<T>) {
      kind = ElemKind::Float;
      floats.assign(d.values.begin(), d.values.end());
      if (std::is_same_v<T, double>)
        suffix = "dtype=f64";
    } else if constexpr (std::is_same_v<T, uint8_t>) {
      kind = ElemKind::Bool;
      for (T v : d.values)
        texts.push_back(v ? "true" : "false");
    } else {
      kind = ElemKind::Int;
      for (T v : d.values)
        texts.push_back(std::to_string(v));
    }
    TensorPrinter p(kind, d.shape, std::move(floats), std::move(texts));
    printValue(p.print(suffix));
  });
}

//===----------------------------------------------------------------------===//
// Loaders
//===----------------------------------------------------------------------===//

/// Lends the loader's buffer \p data, of \p shape, to \p result (see
/// "Memory ownership" in HostABI.h: basePtr is null, so the caller's
/// deallocation, free(basePtr), leaves it alone).
template <typename T, int R>
void lendBuffer(const char *fn, StridedMemRefType<T, R> *result,
                const std::vector<int64_t> &shape, T *data) {
  if (!result)
    internal(fn, "null result descriptor");
  if (shape.size() != size_t(R))
    internal(fn, "the batch has shape " + shapeString(shape) + " (rank " +
                     std::to_string(shape.size()) + "), but the call returns " +
                     "rank " + std::to_string(R));
  result->basePtr = nullptr;
  result->data = data;
  result->offset = 0;
  int64_t stride = 1;
  for (int i = R - 1; i >= 0; --i) {
    result->sizes[i] = shape[size_t(i)];
    result->strides[i] = stride;
    stride *= shape[size_t(i)];
  }
}

LoaderState &batchOf(const char *fn, int64_t id) {
  LoaderState &l = loader(fn, id);
  if (!l.current)
    internal(fn, "loader " + std::to_string(id) +
                     " has no current batch (nnc_rt_loader_next was not "
                     "called, or returned 0)");
  return l;
}

std::vector<int64_t> batchShape(const LoaderState &l,
                                const std::vector<int64_t> &sample) {
  std::vector<int64_t> shape{l.current->rows};
  shape.insert(shape.end(), sample.begin(), sample.end());
  return shape;
}

template <int R>
void loaderX(const char *fn, StridedMemRefType<float, R> *result, int64_t id) {
  guarded([&] {
    LoaderState &l = batchOf(fn, id);
    lendBuffer(fn, result, batchShape(l, l.data->featureShape), l.current->x);
  });
}

template <int R>
void loaderYI64(const char *fn, StridedMemRefType<int64_t, R> *result,
                int64_t id) {
  guarded([&] {
    LoaderState &l = batchOf(fn, id);
    if (!l.data->intTargets)
      internal(fn, "the dataset has float targets, not int64 labels");
    lendBuffer(fn, result, batchShape(l, l.data->targetShape),
               l.current->labels);
  });
}

template <int R>
void loaderYF32(const char *fn, StridedMemRefType<float, R> *result,
                int64_t id) {
  guarded([&] {
    LoaderState &l = batchOf(fn, id);
    lendBuffer(fn, result, batchShape(l, l.data->targetShape),
               l.current->targets);
  });
}

//===----------------------------------------------------------------------===//
// Checkpoints and CSV
//===----------------------------------------------------------------------===//

template <typename T> const char *dtypeName() {
  if constexpr (std::is_same_v<T, float>)
    return "F32";
  else if constexpr (std::is_same_v<T, double>)
    return "F64";
  else if constexpr (std::is_same_v<T, uint8_t>)
    return "BOOL";
  else
    return "I64";
}

/// The index of element \p i (C order) of a tensor of \p shape.
std::vector<int64_t> unravel(size_t i, const std::vector<int64_t> &shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t k = shape.size(); k-- > 0;) {
    int64_t d = shape[k] > 0 ? shape[k] : 1;
    index[k] = int64_t(i % uint64_t(d));
    i /= uint64_t(d);
  }
  return index;
}

/// Opens a save (a checkpoint or a training state) to \p path.
void openSave(const char *fn, const std::string &path) {
  State &s = state();
  if (s.saving || s.loading)
    internal(fn, "a save or load is already open");
  s.saving = true;
  s.savePath = path;
  s.pending.clear();
  s.pendingNames.clear();
}

/// Opens a load from \p file, already read from \p path; \p prefix is
/// "<model variable>." for `load`, empty for a training state.
void openLoad(const char *fn, const std::string &path, SafetensorsFile file,
              const std::string &prefix) {
  State &s = state();
  if (s.saving || s.loading)
    internal(fn, "a save or load is already open");
  s.loadPath = path;
  s.file = std::move(file);
  s.loading = true;
  s.loaded.clear();
  s.loadPrefix = prefix;
  s.loadNames = prefix.empty() ? State::Names::Plain : State::Names::Undecided;
}

/// The tensors of an open save, as records for writeSafetensors (which
/// does not copy them).
std::vector<TensorRecord>
pendingRecords(const std::vector<PendingTensor> &pending) {
  std::vector<TensorRecord> records;
  for (const PendingTensor &p : pending) {
    TensorRecord r;
    r.name = p.name;
    r.dtype = p.dtype;
    r.shape = p.shape;
    r.data = p.bytes.data();
    r.bytes = p.bytes.size();
    records.push_back(std::move(r));
  }
  return records;
}

/// Writes the open save's tensors with \p metadata, atomically (creating
/// missing parent directories), and closes it.
void writeSave(const char *fn,
               const std::map<std::string, std::string> &metadata) {
  State &s = state();
  if (!s.saving)
    internal(fn, "no save is open");
  makeParents(s.savePath);
  std::string error;
  if (!writeSafetensors(s.savePath, pendingRecords(s.pending), metadata, error,
                        Checksums::XXH3))
    fail(error);
  s.saving = false;
  s.pending.clear();
  s.pendingNames.clear();
}

template <typename T>
void saveTensor(const char *fn, const char *name,
                const UnrankedMemRefType<T> *m) {
  guarded([&] {
    State &s = state();
    if (!s.saving)
      internal(fn, "no save is open (nnc_rt_save_begin was not called)");
    std::string n = str(name);
    if (n.empty())
      internal(fn, "empty tensor name");
    if (!s.pendingNames.insert(n).second)
      internal(fn, "tensor '" + n + "' is saved twice");
    Dense<T> d = readDense(fn, m);
    PendingTensor p;
    p.name = n;
    p.dtype = dtypeName<T>();
    p.shape = d.shape;
    p.bytes.resize(d.values.size() * sizeof(T));
    if (!p.bytes.empty())
      std::memcpy(p.bytes.data(), d.values.data(), p.bytes.size());
    s.pending.push_back(std::move(p));
  });
}

template <typename T>
void loadTensor(const char *fn, const char *name,
                const UnrankedMemRefType<T> *m) {
  guarded([&] {
    State &s = state();
    if (!s.loading)
      internal(fn, "no load is open (nnc_rt_load_begin was not called)");
    if (!m || !m->descriptor || m->rank < 0 || m->rank > 64)
      internal(fn, "invalid memref descriptor");
    std::string n = str(name);
    const std::string where = "'" + s.loadPath + "': ";
    // `load net`: the file's names are the model's ("fc1.weight") or, in a
    // file of --save-final, the variable's ("net.fc1.weight"); the first
    // parameter found decides which, and a file with both is ambiguous.
    const std::string full = s.loadPrefix + n;
    using Names = State::Names;
    const SafetensorsTensor *plain =
        s.loadNames == Names::Prefixed ? nullptr : s.file.find(n);
    const SafetensorsTensor *prefixed =
        s.loadNames == Names::Plain ? nullptr : s.file.find(full);
    if (plain && prefixed)
      fail(where + "the file has both '" + n + "' and '" + full +
           "', so it is ambiguous which to load into '" + full + "'");
    if (s.loadNames == Names::Undecided && (plain || prefixed))
      s.loadNames = plain ? Names::Plain : Names::Prefixed;
    if (s.loadNames == Names::Prefixed)
      n = full;
    const SafetensorsTensor *t = plain ? plain : prefixed;
    if (!t) {
      std::string names;
      size_t k = 0;
      for (const SafetensorsTensor &u : s.file.tensors) {
        if (k++ == 10) {
          names += ", ...";
          break;
        }
        names += (names.empty() ? "'" : ", '") + u.name + "'";
      }
      fail(where + "no tensor '" + n + "' (the file has " +
           (names.empty() ? std::string("no tensors") : names) + ")");
    }
    DynamicMemRefType<T> d(*m);
    std::vector<int64_t> want(d.sizes, d.sizes + d.rank);
    if (t->dtype != dtypeName<T>())
      fail(where + "tensor '" + n + "' is " + t->dtype + shapeString(t->shape) +
           ", but the program expects " + dtypeName<T>() + shapeString(want));
    if (t->shape != want)
      fail(where + "tensor '" + n + "' has shape " + shapeString(t->shape) +
           ", but the program expects " + shapeString(want));
    size_t count = size_t((t->end - t->begin) / sizeof(T));
    std::vector<T> values(count);
    if (count)
      std::memcpy(values.data(), s.file.bytes(*t), count * sizeof(T));
    // Weights are finite, as data are (a state's variables are restored
    // as they were saved); booleans are 0 or 1.
    for (size_t i = 0; i < count; ++i) {
      bool bad = false;
      if constexpr (std::is_floating_point_v<T>)
        bad = !s.loadPrefix.empty() && !std::isfinite(values[i]);
      else if constexpr (std::is_same_v<T, uint8_t>)
        bad = values[i] > 1;
      if (!bad)
        continue;
      std::string v;
      if constexpr (std::is_floating_point_v<T>)
        v = std::isnan(values[i]) ? "NaN" : values[i] > 0 ? "inf" : "-inf";
      else
        v = std::to_string(int(values[i])) + ", not a boolean (0 or 1)";
      fail(where + "tensor '" + n + "' holds " + v + " at element " +
           std::to_string(i) + " (index " + shapeString(unravel(i, t->shape)) +
           ")");
    }
    writeDense(d, values.data());
    s.loaded.insert(n);
  });
}

template <typename T>
void writeCsv(const char *fn, const char *path,
              const UnrankedMemRefType<T> *m) {
  guarded([&] {
    Dense<T> d = readDense(fn, m);
    std::string p = resolve(path);
    if (d.shape.size() != 1 && d.shape.size() != 2)
      internal(fn, "'" + p + "': a tensor of shape " + shapeString(d.shape) +
                       " cannot be written as CSV (1 or 2 dimensions)");
    size_t rows = size_t(d.shape[0]);
    size_t cols = d.shape.size() == 2 ? size_t(d.shape[1]) : 1;
    std::string out = "id";
    if (d.shape.size() == 1)
      out += ",prediction";
    else
      for (size_t j = 0; j < cols; ++j)
        out += ",p" + std::to_string(j);
    out += "\n";
    for (size_t i = 0; i < rows; ++i) {
      out += std::to_string(i);
      for (size_t j = 0; j < cols; ++j) {
        out += ",";
        T v = d.values[i * cols + j];
        if constexpr (std::is_floating_point_v<T>)
          out += reprOf(v);
        else
          out += std::to_string(v);
      }
      out += "\n";
    }
    std::string error;
    if (!writeAtomically(p, out, error))
      fail(error);
  });
}

/// Records \p value at \p site; returns the calls since the best.
int64_t track(int64_t site, double value, int32_t modeMax) {
  Tracker &t = state().trackers[site];
  bool better = !std::isnan(value) &&
                (!t.hasBest || (modeMax ? value > t.best : value < t.best));
  if (better) {
    t.hasBest = true;
    t.best = value;
    t.since = 0;
  } else {
    ++t.since;
  }
  return t.since;
}

} // namespace

//===----------------------------------------------------------------------===//
// The ABI
//===----------------------------------------------------------------------===//

/// memref.copy between buffers that are not both contiguous lowers to a
/// call of `memrefCopy` (MLIR's C runner utilities declare it); nnc's
/// runtime defines it so that neither the JIT nor a built program needs
/// libmlir_c_runner_utils (and, through it, libLLVM). Copies \p src to
/// \p dst element by element, a contiguous innermost row at a time.
extern "C" void memrefCopy(int64_t elemSize, UnrankedMemRefType<char> *srcArg,
                           UnrankedMemRefType<char> *dstArg) {
  DynamicMemRefType<char> src(*srcArg), dst(*dstArg);
  int64_t rank = src.rank;
  char *s = src.data + src.offset * elemSize;
  char *d = dst.data + dst.offset * elemSize;
  if (rank == 0) {
    std::memcpy(d, s, elemSize);
    return;
  }
  for (int64_t i = 0; i < rank; ++i)
    if (src.sizes[i] == 0)
      return;
  bool rows = src.strides[rank - 1] == 1 && dst.strides[rank - 1] == 1;
  int64_t inner = rows ? src.sizes[rank - 1] : 1;
  int64_t outerRank = rows ? rank - 1 : rank;
  std::vector<int64_t> index(static_cast<size_t>(outerRank), 0);
  int64_t so = 0, dof = 0;
  while (true) {
    std::memcpy(d + dof * elemSize, s + so * elemSize, inner * elemSize);
    int64_t axis = outerRank - 1;
    for (; axis >= 0; --axis) {
      if (++index[axis] < src.sizes[axis]) {
        so += src.strides[axis];
        dof += dst.strides[axis];
        break;
      }
      so -= src.strides[axis] * (src.sizes[axis] - 1);
      dof -= dst.strides[axis] * (src.sizes[axis] - 1);
      index[axis] = 0;
    }
    if (axis < 0)
      return;
  }
}

namespace {
nnc::rt::RunOptions &runOptions() {
  static nnc::rt::RunOptions options;
  return options;
}
} // namespace

void nnc::rt::setRunOptions(const RunOptions &options) {
  auto absolute = [](const std::string &p) {
    if (p.empty())
      return p;
    std::error_code ec;
    std::filesystem::path a = std::filesystem::absolute(p, ec);
    return ec ? p : a.string();
  };
  runOptions() = options;
  runOptions().saveInit = absolute(options.saveInit);
  runOptions().saveFinal = absolute(options.saveFinal);
  runOptions().statePath = absolute(options.statePath);
  runOptions().resumePath = absolute(options.resumePath);
  runOptions().metricsPath = absolute(options.metricsPath);
  runOptions().plotPath = absolute(options.plotPath);
}

std::string nnc::rt::checkOutputPaths(const RunOptions &options) {
  struct Output {
    const char *flag;
    const std::string *path;
  };
  const Output outputs[] = {
      {"--state", &options.statePath},      {"--save-init", &options.saveInit},
      {"--save-final", &options.saveFinal}, {"--metrics", &options.metricsPath},
      {"--plot", &options.plotPath},        {"--resume", &options.resumePath}};
  // A path as a comparable key: resolved (symbolic links, "..", relative
  // paths) as far as it exists; and the file's inode, if it exists.
  auto key = [](const std::string &p) {
    std::error_code ec;
    std::filesystem::path a = std::filesystem::absolute(p, ec);
    if (ec)
      return p;
    std::filesystem::path k = std::filesystem::weakly_canonical(a, ec);
    return ec ? a.lexically_normal().string() : k.string();
  };
  auto sameFile = [&](const std::string &a, const std::string &b) {
    struct stat sa, sb;
    if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 &&
        sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
      return true;
    return key(a) == key(b);
  };
  const size_t n = sizeof(outputs) / sizeof(outputs[0]);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      const Output &a = outputs[i], &b = outputs[j];
      if (a.path->empty() || b.path->empty())
        continue;
      // --state may go on writing the state it resumed.
      if (std::string(a.flag) == "--state" && std::string(b.flag) == "--resume")
        continue;
      if (!sameFile(*a.path, *b.path))
        continue;
      std::string problem = std::string(a.flag) + " and " + b.flag +
                            " name the same file '" + *b.path + "'";
      if (std::string(b.flag) == "--resume")
        return problem + ": " + a.flag +
               " would overwrite the training state "
               "that the run resumes";
      return problem + ": each output needs a file of its own";
    }
  return "";
}

std::string nnc::rt::setProgressOptions(RunOptions &options,
                                        const std::string &mode, bool modeGiven,
                                        bool quiet, const std::string &metrics,
                                        const std::string &plot) {
  using P = RunOptions::Progress;
  static const std::pair<const char *, P> modes[] = {
      {"auto", P::Auto}, {"bar", P::Bar}, {"lines", P::Lines}, {"off", P::Off}};
  const std::pair<const char *, P> *found = nullptr;
  for (const auto &m : modes)
    if (mode == m.first)
      found = &m;
  if (!found)
    return "--progress must be auto, bar, lines or off, but it is '" + mode +
           "'";
  if (quiet && modeGiven && found->second != P::Off)
    return "--quiet and --progress=" + mode + " contradict each other";
  if (!metrics.empty() && metrics == plot)
    return "--metrics and --plot name the same file '" + metrics + "'";
  options.progress = quiet ? P::Off : found->second;
  options.metricsPath = metrics;
  options.plotPath = plot;
  return "";
}

void nnc::rt::keepLargeBlocksInHeap() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

extern "C" {

int64_t nnc_rt_max_steps(void) { return runOptions().maxSteps; }

const char *nnc_rt_save_init_path(void) {
  return runOptions().saveInit.empty() ? nullptr
                                       : runOptions().saveInit.c_str();
}

const char *nnc_rt_save_final_path(void) {
  return runOptions().saveFinal.empty() ? nullptr
                                        : runOptions().saveFinal.c_str();
}

namespace {
std::vector<std::chrono::steady_clock::time_point> &stepTimes() {
  static std::vector<std::chrono::steady_clock::time_point> times;
  return times;
}
} // namespace

void nnc_rt_step_done(void) {
  if (runOptions().timeSteps)
    guarded([] { stepTimes().push_back(std::chrono::steady_clock::now()); });
}

void nnc_rt_loss_not_finite(int64_t step, double loss) {
  fail(std::string("the loss is ") +
       (std::isnan(loss) ? "nan"
        : loss > 0       ? "inf"
                         : "-inf") +
       " at step " + std::to_string(step) +
       ": training diverged, so the run stops here (checkpoints written "
       "before this step are kept); a smaller learning rate or scaled "
       "inputs and targets usually help");
}

void nnc_rt_label_out_of_range(int64_t label, int64_t classes) {
  fail("a batch holds the class label " + std::to_string(label) +
       ", but the loss or metric here has " + std::to_string(classes) +
       " classes (labels 0.." + std::to_string(classes - 1) + ")");
}

void nnc_rt_size_mismatch(int64_t size, int64_t expected,
                          const char *location) {
  if (location && *location)
    state().location = location;
  fail("the size " + std::to_string(size) +
       " (known only at run time, such as a batch size) does not match the "
       "fixed size " +
       std::to_string(expected) + " here");
}

void nnc_rt_int_error(int32_t op, int64_t x, int64_t y, const char *location) {
  if (location && *location)
    state().location = location;
  std::string a = std::to_string(x), b = std::to_string(y);
  if (op == 'n')
    fail("integer overflow in negation: -(" + a +
         ") does not fit in an int (64 bits)");
  if (op == '%' && y == 0)
    fail("modulo by zero: " + a + " % 0");
  if (op == '^' && y < 0)
    fail("negative exponent of an int power: " + a + " ** " + b + " (write '" +
         a + ".0 ** " + b + "' for a float)");
  std::string spelled = op == '^' ? "**" : std::string(1, char(op));
  fail("integer overflow in '" + spelled + "': " + a + " " + spelled + " " + b +
       " does not fit in an int (64 bits)");
}

void nnc_rt_to_int_error(double value, const char *location) {
  if (location && *location)
    state().location = location;
  if (std::isnan(value))
    fail("nan cannot be converted to an int");
  fail(reprOf(value) + " is out of range for an int (-9223372036854775808 to "
                       "9223372036854775807)");
}

int64_t nnc_rt_pow_i64(int64_t x, int64_t y, const char *location) {
  if (y < 0)
    nnc_rt_int_error('^', x, y, location);
  // Square and multiply; any overflow of a factor that is still needed
  // overflows the result.
  int64_t result = 1, base = x;
  for (int64_t e = y; e > 0; e >>= 1) {
    if ((e & 1) && __builtin_mul_overflow(result, base, &result))
      nnc_rt_int_error('^', x, y, location);
    if (e > 1 && __builtin_mul_overflow(base, base, &base))
      nnc_rt_int_error('^', x, y, location);
  }
  return result;
}

namespace {

/// The index in \p allowed of the environment variable \p name's value, or
/// -1 when it is unset or empty; any other value stops the run before it
/// starts, saying what the variable may be (\p meaning).
int checkedEnvironment(const char *name,
                       const std::vector<std::string> &allowed,
                       const char *meaning) {
  const char *value = std::getenv(name);
  if (!value || !*value)
    return -1;
  for (size_t i = 0; i < allowed.size(); ++i)
    if (allowed[i] == value)
      return int(i);
  fail(std::string(name) + " is '" + nnc::rt::escapeBytes(value) +
       "', expected " + meaning);
}

/// NNC_BLAS_THREADS: a thread count from 1 to 1024 (Blas.cpp reads it).
void checkBlasThreads() {
  const char *value = std::getenv("NNC_BLAS_THREADS");
  if (!value || !*value)
    return;
  std::string_view s(value);
  int threads = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), threads);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || threads < 1 ||
      threads > 1024)
    fail("NNC_BLAS_THREADS is '" + nnc::rt::escapeBytes(value) +
         "', expected the number of threads of matrix products (1 to 1024)");
}

} // namespace

void nnc_rt_init(int64_t seed) {
  nnc::rt::keepLargeBlocksInHeap();
  guarded([&] {
    std::fflush(stdout);
    state() = State();
    state().seed = uint64_t(seed);
    state().prefetch =
        checkedEnvironment("NNC_PREFETCH", {"0", "1"},
                           "0 (batches assembled on the training thread) or "
                           "1 (the default: on a background thread)") != 0;
    checkBlasThreads();
    nnc::rt::progress::runStart();
  });
}

int32_t nnc_rt_finish(void) {
  return guarded([&]() -> int32_t {
    nnc::rt::progress::runEnd();
    State &s = state();
    int32_t status = 0;
    std::string problem;
    if (s.saving)
      problem = "internal error: the save to '" + s.savePath +
                "' was begun but not ended";
    else if (s.loading)
      problem = "internal error: the load from '" + s.loadPath +
                "' was begun but not ended";
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
      if (problem.empty())
        problem = "cannot write to standard output";
      std::clearerr(stdout);
    }
    if (!problem.empty()) {
      std::string loc = s.location.empty() ? "" : s.location + ": ";
      std::fprintf(stderr, "%serror: %s\n", loc.c_str(), problem.c_str());
      std::fflush(stderr);
      status = 1;
    }
    s = State();
    std::vector<std::chrono::steady_clock::time_point> &times = stepTimes();
    if (runOptions().timeSteps && times.size() >= 2) {
      std::vector<double> gaps;
      for (size_t i = 1; i < times.size(); ++i)
        gaps.push_back(
            std::chrono::duration<double, std::milli>(times[i] - times[i - 1])
                .count());
      std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2,
                       gaps.end());
      double median = gaps[gaps.size() / 2];
      std::fprintf(stderr,
                   "nnc: %zu steps, median %.3f ms per step (%.0f steps/s)\n",
                   times.size(), median, 1000.0 / median);
    }
    if (runOptions().timeSteps) {
      // How many of the compiled code's buffers the system had to provide:
      // with the pool this does not grow with the number of steps.
      nnc::rt::PoolStats pool = nnc::rt::cpuPoolStats();
      std::fprintf(stderr,
                   "nnc: %llu buffers allocated, %llu of them new from the "
                   "system (%.1f MB)\n",
                   (unsigned long long)pool.allocations,
                   (unsigned long long)pool.fromSystem,
                   double(pool.bytesFromSystem) / 1e6);
    }
    times.clear();
    return status;
  });
}

void nnc_rt_set_script_dir(const char *dir) {
  guarded([&] { state().scriptDir = str(dir); });
}

void nnc_rt_set_location(const char *location) {
  guarded([&] { state().location = str(location); });
}

//===--- Datasets ---------------------------------------------------------===//

int64_t nnc_rt_dataset_idx(const char *images, const char *labels) {
  return guarded([&] {
    Dataset d;
    std::string error;
    noteDataFile(resolve(images));
    noteDataFile(resolve(labels));
    if (!loadIdx(resolve(images), resolve(labels), d, error))
      fail(error);
    return addDataset(std::move(d));
  });
}

int64_t nnc_rt_dataset_csv(const char *path, const char *target,
                           int64_t targetIndex, const char *features,
                           int32_t featuresByIndex, int32_t intTarget) {
  return guarded([&] {
    const char *fn = "nnc_rt_dataset_csv";
    auto index = [&](int64_t k) {
      if (k < 0 || k > 1000000000)
        internal(fn, "column index " + std::to_string(k) + " is out of range");
      return int(k);
    };
    CsvColumn targetCol = targetIndex >= 0 ? CsvColumn(index(targetIndex))
                                           : CsvColumn(str(target));
    std::vector<CsvColumn> cols;
    std::string list = str(features);
    if (!list.empty()) {
      size_t at = 0;
      while (true) {
        size_t end = list.find('\x1f', at);
        std::string item = list.substr(at, end - at);
        if (featuresByIndex) {
          char *stop = nullptr;
          errno = 0;
          long long k = std::strtoll(item.c_str(), &stop, 10);
          if (item.empty() || *stop || errno)
            internal(fn, "feature column index '" + item + "' is not a number");
          cols.push_back(CsvColumn(index(k)));
        } else {
          cols.push_back(CsvColumn(item));
        }
        if (end == std::string::npos)
          break;
        at = end + 1;
      }
    }
    Dataset d;
    std::string error;
    int64_t limit = 0;
    noteDataFile(resolve(path));
    if (!dataMemoryLimit(limit, error) ||
        !loadCsv(resolve(path), targetCol, cols, intTarget != 0, d, error,
                 limit))
      fail(error);
    // The language's types: a class id per sample, or f32[1].
    d.targetShape =
        intTarget ? std::vector<int64_t>{} : std::vector<int64_t>{1};
    return addDataset(std::move(d));
  });
}

int64_t nnc_rt_dataset_npy(const char *inputs, const char *targets) {
  return guarded([&] {
    Dataset d;
    std::string error;
    noteDataFile(resolve(inputs));
    noteDataFile(resolve(targets));
    if (!loadNpy(resolve(inputs), resolve(targets), d, error))
      fail(error);
    return addDataset(std::move(d));
  });
}

int64_t nnc_rt_dataset_scale(int64_t id, double mul, double add) {
  return guarded([&] {
    Dataset d = dataset("nnc_rt_dataset_scale", id);
    scale(d, float(mul), float(add));
    return addDataset(std::move(d));
  });
}

int64_t nnc_rt_dataset_split(int64_t id, double fraction, int32_t part) {
  return guarded([&] {
    const char *fn = "nnc_rt_dataset_split";
    if (part != 0 && part != 1)
      internal(fn, "part " + std::to_string(part) + " (must be 0 or 1)");
    const Dataset &d = dataset(fn, id);
    uint64_t bits;
    std::memcpy(&bits, &fraction, sizeof(bits));
    State &s = state();
    auto key = std::make_pair(id, bits);
    auto it = s.splits.find(key);
    if (it == s.splits.end()) {
      Dataset a, b;
      split(d, fraction, a, b);
      int64_t first = addDataset(std::move(a));
      int64_t second = addDataset(std::move(b));
      it = s.splits.emplace(key, std::make_pair(first, second)).first;
    }
    int64_t result = part == 0 ? it->second.first : it->second.second;
    if (dataset(fn, result).n == 0) {
      char f[32];
      std::string frac(f, std::to_chars(f, f + sizeof(f), fraction).ptr);
      if (frac.find_first_of(".en") == std::string::npos)
        frac += ".0";
      fail("split(data, " + frac + ") leaves the " +
           (part == 0 ? "first" : "second") + " part with no samples (" +
           std::to_string(d.n) + " samples, " +
           std::to_string(dataset(fn, it->second.first).n) +
           " of them in the first part)");
    }
    return result;
  });
}

int64_t nnc_rt_dataset_standardize(int64_t id, int64_t likeId) {
  return guarded([&] {
    const char *fn = "nnc_rt_dataset_standardize";
    Dataset d = dataset(fn, id);
    std::string error;
    if (!standardize(d, dataset(fn, likeId), error))
      fail(error);
    return addDataset(std::move(d));
  });
}

int64_t nnc_rt_dataset_size(int64_t id) {
  return guarded([&] { return dataset("nnc_rt_dataset_size", id).n; });
}

void nnc_rt_dataset_release(int64_t id) {
  guarded([&] { datasetSlot("nnc_rt_dataset_release", id).reset(); });
}

//===--- Loaders ----------------------------------------------------------===//

void nnc_rt_loader_site(const char *site) {
  guarded([&] { state().loaderSite = str(site); });
}

int64_t nnc_rt_loader(int64_t datasetId, int64_t batch, int32_t shuffle,
                      int32_t dropLast) {
  return guarded([&] {
    const char *fn = "nnc_rt_loader";
    std::shared_ptr<Dataset> d = datasetSlot(fn, datasetId);
    if (batch < 1)
      internal(fn, "batch size " + std::to_string(batch) + " (must be >= 1)");
    // A batch larger than the dataset is one batch of the whole dataset;
    // its buffers are sized by the rows it can hold, never by `batch`.
    int64_t rows = std::max<int64_t>(std::min(batch, d->n), 1), bytes = 0;
    if (!batchBytes(*d, rows, bytes))
      fail((d->targetsPath.empty() ? "" : "'" + d->targetsPath + "': ") +
           "a batch of " + std::to_string(rows) + " samples of " +
           std::to_string(d->featureSize()) +
           " features takes more than 2^63 bytes");
    State &s = state();
    noteLoader(batch, shuffle != 0, dropLast != 0, d->n);
    s.loaders.push_back(std::make_unique<LoaderState>(
        std::move(d), batch, shuffle != 0, dropLast != 0, s.seed, s.prefetch));
    return int64_t(s.loaders.size());
  });
}

void nnc_rt_loader_start(int64_t id, int64_t epoch) {
  guarded([&] {
    LoaderState &l = loader("nnc_rt_loader_start", id);
    int64_t e = epoch >= 0 ? epoch : l.lastEpoch + 1;
    l.prefetcher.start(e);
    l.lastEpoch = e;
    l.current = nullptr;
  });
}

void nnc_rt_loader_seek(int64_t id, int64_t batchIndex) {
  guarded([&] {
    LoaderState &l = loader("nnc_rt_loader_seek", id);
    l.prefetcher.seek(batchIndex);
    l.current = nullptr;
  });
}

int64_t nnc_rt_loader_num_batches(int64_t id) {
  return guarded([&] {
    return loader("nnc_rt_loader_num_batches", id).prefetcher.numBatches();
  });
}

int64_t nnc_rt_loader_next(int64_t id) {
  return guarded([&] {
    LoaderState &l = loader("nnc_rt_loader_next", id);
    l.current = nullptr;
    // An error met while assembling the batch (on the prefetch thread or
    // here) is reported now, where the batch is asked for.
    std::string error;
    if (!l.prefetcher.next(l.current, error))
      fail(error);
    int64_t rows = l.current ? l.current->rows : int64_t(0);
    if (rows > 0)
      nnc::rt::progress::batch(id, rows);
    return rows;
  });
}

void nnc_rt_loader_check_labels(int64_t id, int64_t classes,
                                const char *location, const char *user) {
  guarded([&] {
    LoaderState &l = loader("nnc_rt_loader_check_labels", id);
    if (!l.labelsChecked.insert(classes).second)
      return;
    std::string error;
    if (!checkClassLabels(*l.data, classes, str(user) + " here", error)) {
      if (location && *location)
        state().location = location;
      fail(error);
    }
  });
}

#define NNC_LOADER_X(R)                                                        \
  void _mlir_ciface_nnc_rt_loader_x_f32_##R(                                   \
      StridedMemRefType<float, R> *result, int64_t loader) {                   \
    loaderX<R>("nnc_rt_loader_x_f32_" #R, result, loader);                     \
  }
NNC_LOADER_X(1)
NNC_LOADER_X(2)
NNC_LOADER_X(3)
NNC_LOADER_X(4)
NNC_LOADER_X(5)
#undef NNC_LOADER_X

#define NNC_LOADER_Y(R)                                                        \
  void _mlir_ciface_nnc_rt_loader_y_i64_##R(                                   \
      StridedMemRefType<int64_t, R> *result, int64_t loader) {                 \
    loaderYI64<R>("nnc_rt_loader_y_i64_" #R, result, loader);                  \
  }                                                                            \
  void _mlir_ciface_nnc_rt_loader_y_f32_##R(                                   \
      StridedMemRefType<float, R> *result, int64_t loader) {                   \
    loaderYF32<R>("nnc_rt_loader_y_f32_" #R, result, loader);                  \
  }
NNC_LOADER_Y(1)
NNC_LOADER_Y(2)
NNC_LOADER_Y(3)
#undef NNC_LOADER_Y

//===--- Printing ---------------------------------------------------------===//

void nnc_rt_print_str(const char *s) {
  guarded([&] { printValue(str(s)); });
}

void nnc_rt_print_i64(int64_t value) {
  guarded([&] { printValue(std::to_string(value)); });
}

void nnc_rt_print_f64(double value) {
  guarded([&] { printValue(reprOf(value)); });
}

void nnc_rt_print_bool(int32_t value) {
  guarded([&] { printValue(value ? "true" : "false"); });
}

void _mlir_ciface_nnc_rt_print_tensor_f32(UnrankedMemRefType<float> *tensor) {
  printTensor("nnc_rt_print_tensor_f32", tensor);
}
void _mlir_ciface_nnc_rt_print_tensor_f64(UnrankedMemRefType<double> *tensor) {
  printTensor("nnc_rt_print_tensor_f64", tensor);
}
void _mlir_ciface_nnc_rt_print_tensor_i64(UnrankedMemRefType<int64_t> *tensor) {
  printTensor("nnc_rt_print_tensor_i64", tensor);
}
void _mlir_ciface_nnc_rt_print_tensor_i1(UnrankedMemRefType<uint8_t> *tensor) {
  printTensor("nnc_rt_print_tensor_i1", tensor);
}

void nnc_rt_print_end(void) {
  guarded([&] {
    std::fputc('\n', stdout);
    std::fflush(stdout);
    state().lineOpen = false;
    nnc::rt::progress::afterPrint();
  });
}

//===--- Metrics ----------------------------------------------------------===//

bool nnc_rt_best(int64_t site, double value, int32_t modeMax) {
  return guarded([&] { return track(site, value, modeMax) == 0; });
}

int64_t nnc_rt_since_best(int64_t site, double value, int32_t modeMax) {
  return guarded([&] { return track(site, value, modeMax); });
}

//===--- Checkpoints ------------------------------------------------------===//

void nnc_rt_save_begin(const char *path) {
  guarded([&] { openSave("nnc_rt_save_begin", resolve(path)); });
}

void _mlir_ciface_nnc_rt_save_f32(const char *name,
                                  UnrankedMemRefType<float> *tensor) {
  saveTensor("nnc_rt_save_f32", name, tensor);
}
void _mlir_ciface_nnc_rt_save_f64(const char *name,
                                  UnrankedMemRefType<double> *tensor) {
  saveTensor("nnc_rt_save_f64", name, tensor);
}
void _mlir_ciface_nnc_rt_save_i64(const char *name,
                                  UnrankedMemRefType<int64_t> *tensor) {
  saveTensor("nnc_rt_save_i64", name, tensor);
}
void _mlir_ciface_nnc_rt_save_i1(const char *name,
                                 UnrankedMemRefType<uint8_t> *tensor) {
  saveTensor("nnc_rt_save_i1", name, tensor);
}

void nnc_rt_save_end(void) {
  guarded([&] { writeSave("nnc_rt_save_end", {{"format", "pt"}}); });
}

void nnc_rt_load_begin(const char *path, const char *model) {
  guarded([&] {
    State &s = state();
    if (s.saving || s.loading)
      internal("nnc_rt_load_begin", "a save or load is already open");
    if (str(model).empty())
      internal("nnc_rt_load_begin", "no model variable");
    std::string full = resolve(path), error;
    SafetensorsFile file;
    if (!readSafetensors(full, file, error))
      fail(error);
    openLoad("nnc_rt_load_begin", full, std::move(file), str(model) + ".");
  });
}

void _mlir_ciface_nnc_rt_load_f32(const char *name,
                                  UnrankedMemRefType<float> *tensor) {
  loadTensor("nnc_rt_load_f32", name, tensor);
}
void _mlir_ciface_nnc_rt_load_f64(const char *name,
                                  UnrankedMemRefType<double> *tensor) {
  loadTensor("nnc_rt_load_f64", name, tensor);
}
void _mlir_ciface_nnc_rt_load_i64(const char *name,
                                  UnrankedMemRefType<int64_t> *tensor) {
  loadTensor("nnc_rt_load_i64", name, tensor);
}
void _mlir_ciface_nnc_rt_load_i1(const char *name,
                                 UnrankedMemRefType<uint8_t> *tensor) {
  loadTensor("nnc_rt_load_i1", name, tensor);
}

void nnc_rt_load_end(void) {
  guarded([&] {
    State &s = state();
    if (!s.loading)
      internal("nnc_rt_load_end", "no load is open");
    // In a file of --save-final, the other models' tensors are not this
    // load's.
    bool prefixed = s.loadNames == State::Names::Prefixed;
    for (const SafetensorsTensor &t : s.file.tensors)
      if (!s.loaded.count(t.name) &&
          (!prefixed ||
           t.name.compare(0, s.loadPrefix.size(), s.loadPrefix) == 0))
        fail("'" + s.loadPath + "': unexpected tensor '" + t.name +
             "': the program has nothing of that name to load it into");
    s.loading = false;
    s.file = SafetensorsFile();
    s.loaded.clear();
  });
}

//===--- Training state: --state, --resume --------------------------------===//

namespace {

/// The metadata key that marks a training state, and its format version.
constexpr const char *kStateKey = "nnc.training_state";
constexpr const char *kStateVersion = "1";

/// The entries of a layout string ("name:type;name:type;...").
std::vector<std::string> layoutEntries(const std::string &layout) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from < layout.size()) {
    size_t end = layout.find(';', from);
    if (end == std::string::npos)
      end = layout.size();
    if (end > from)
      out.push_back(layout.substr(from, end - from));
    from = end + 1;
  }
  return out;
}

/// What differs between the layout a state was written with and this
/// program's, for the error message: the first few variables whose type
/// differs or that one side lacks.
std::string layoutDifference(const std::string &file,
                             const std::string &program) {
  auto parse = [](const std::string &layout) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string &e : layoutEntries(layout)) {
      size_t colon = e.rfind(':');
      out.push_back({e.substr(0, colon),
                     colon == std::string::npos ? "" : e.substr(colon + 1)});
    }
    return out;
  };
  std::vector<std::pair<std::string, std::string>> a = parse(file),
                                                   b = parse(program);
  std::map<std::string, std::string> am(a.begin(), a.end()),
      bm(b.begin(), b.end());
  std::vector<std::string> lines;
  for (auto &[name, type] : a) {
    auto it = bm.find(name);
    if (it == bm.end())
      lines.push_back("'" + name + "' (" + type +
                      ") is in the state, not in this program");
    else if (it->second != type)
      lines.push_back("'" + name + "' is " + type + " in the state, " +
                      it->second + " in this program");
  }
  for (auto &[name, type] : b)
    if (!am.count(name))
      lines.push_back("'" + name + "' (" + type +
                      ") is in this program, not in the state");
  std::string out;
  for (size_t i = 0; i < lines.size() && i < 5; ++i)
    out += "\n  " + lines[i];
  if (lines.size() > 5)
    out += "\n  and " + std::to_string(lines.size() - 5) + " more";
  if (out.empty())
    out = "\n  the same variables, in another order";
  return out;
}

/// Parses all of \p text as a decimal int64.
bool parseI64(const std::string &text, int64_t &v) {
  const char *end = text.data() + text.size();
  auto r = std::from_chars(text.data(), end, v);
  return !text.empty() && r.ec == std::errc() && r.ptr == end;
}

/// "<lo>..<hi>", or ">= lo" when there is no upper bound.
std::string rangeText(int64_t lo, int64_t hi) {
  if (hi == std::numeric_limits<int64_t>::max())
    return ">= " + std::to_string(lo);
  return "in " + std::to_string(lo) + ".." + std::to_string(hi);
}

/// A counter of the --resume state out of its range: an error naming the
/// file, the entry, its value and the range.
[[noreturn]] void badEntry(const std::string &entry, const std::string &value,
                           const std::string &range, const std::string &what) {
  state().location = "--resume";
  fail("'" + runOptions().resumePath + "': entry '" + entry + "' is " + value +
       ", but must be " + range + " (" + what +
       "): the state is corrupt or not this program's");
}

/// The value of the open load's scalar I64 tensor \p name, if it has one.
bool scalarI64(const std::string &name, int64_t &v) {
  const SafetensorsTensor *t = state().file.find(name);
  if (!t || t->dtype != "I64" || !t->shape.empty())
    return false;
  std::memcpy(&v, state().file.bytes(*t), sizeof v);
  return true;
}

} // namespace

const char *nnc_rt_state_path(void) {
  return runOptions().statePath.empty() ? nullptr
                                        : runOptions().statePath.c_str();
}

int32_t nnc_rt_state_wanted(int32_t budgetStop) {
  return guarded([&]() -> int32_t {
    State &s = state();
    if (runOptions().statePath.empty() || s.budgetStateWritten)
      return 0;
    if (budgetStop)
      s.budgetStateWritten = true;
    return 1;
  });
}

void nnc_rt_state_save_begin(void) {
  guarded([&] { openSave("nnc_rt_state_save_begin", runOptions().statePath); });
}

void nnc_rt_state_save_end(int64_t point, int64_t steps, const char *layout) {
  guarded([&] {
    State &s = state();
    // The best/since_best trackers: {has a best, the best, evaluations
    // since}.
    for (const auto &[site, t] : s.trackers) {
      PendingTensor p;
      p.name = "nnc.tracker." + std::to_string(site);
      p.dtype = "F64";
      p.shape = {3};
      double v[3] = {t.hasBest ? 1.0 : 0.0, t.best, double(t.since)};
      p.bytes.resize(sizeof v);
      std::memcpy(p.bytes.data(), v, sizeof v);
      s.pending.push_back(std::move(p));
    }
    std::string where = s.location;
    s.location = "--state";
    writeSave("nnc_rt_state_save_end",
              {{"format", "pt"},
               {kStateKey, kStateVersion},
               {"nnc.point", std::to_string(point)},
               {"nnc.steps", std::to_string(steps)},
               {"nnc.layout", str(layout)},
               {"nnc.progress", nnc::rt::progress::stateText()},
               {"nnc.seed", std::to_string(s.seed)},
               {"nnc.data", joinLines(s.runData)},
               {"nnc.loaders", joinLines(s.runLoaders)}});
    s.location = where;
  });
}

int64_t nnc_rt_config_i64(const char *name, int64_t dflt) {
  auto it = runOptions().config.find(str(name));
  return it == runOptions().config.end()
             ? dflt
             : int64_t(std::strtoll(it->second.c_str(), nullptr, 10));
}

double nnc_rt_config_f64(const char *name, double dflt) {
  auto it = runOptions().config.find(str(name));
  if (it == runOptions().config.end())
    return dflt;
  double v = dflt;
  const std::string &text = it->second;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

int32_t nnc_rt_config_bool(const char *name, int32_t dflt) {
  auto it = runOptions().config.find(str(name));
  return it == runOptions().config.end() ? dflt : it->second == "true";
}

void nnc_rt_paused(int64_t steps) {
  guarded([&] {
    std::fflush(stdout);
    const std::string &path = runOptions().statePath;
    std::fprintf(stderr,
                 "nnc: paused after step %lld (--max-steps): the training "
                 "state is in '%s'; --resume '%s' goes on from there\n",
                 (long long)steps, path.c_str(), path.c_str());
    std::fflush(stderr);
  });
}

void nnc_rt_exit(int32_t status) {
  std::fflush(stdout);
  std::fflush(stderr);
  std::exit(status);
}

int64_t nnc_rt_resume_point(const char *layout) {
  return guarded([&]() -> int64_t {
    const std::string &path = runOptions().resumePath;
    if (path.empty())
      return 0;
    State &s = state();
    std::string where = s.location;
    s.location = "--resume";
    std::string error;
    if (!readSafetensors(path, s.resume, error))
      fail(error);
    const std::string q = "'" + path + "'";
    auto meta = [&](const char *key) -> const std::string * {
      auto it = s.resume.metadata.find(key);
      return it == s.resume.metadata.end() ? nullptr : &it->second;
    };
    const std::string *version = meta(kStateKey);
    if (!version)
      fail(q +
           " holds no training state: --resume takes a file written by "
           "--state (to start from saved weights, `load` them in the script)");
    if (*version != kStateVersion)
      fail(q + " is a training state of format " + *version +
           ", but this program reads format " + kStateVersion);
    const std::string *file = meta("nnc.layout");
    const std::string *point = meta("nnc.point");
    const std::string *steps = meta("nnc.steps");
    char *end = nullptr;
    long long p = point ? std::strtoll(point->c_str(), &end, 10) : 0;
    if (!file || !point || !steps || point->empty() || *end)
      fail(q + ": the training state's metadata is incomplete or corrupt");
    if (*file != str(layout))
      fail(q +
           " is the training state of a different program: its models, "
           "optimizers, variables or loops differ from this script's:" +
           layoutDifference(*file, str(layout)));
    // The point: one of the program's ("points:N" ends the layout).
    int64_t points = 0;
    size_t colon = file->rfind("points:");
    if (colon == std::string::npos ||
        !parseI64(file->substr(colon + 7), points) || p < 1 || p > points)
      badEntry("nnc.point", *point, rangeText(1, points),
               "the resume points of this program");
    // What the run was made of: the seed here, the data and loaders when
    // the run opens them (noteDataFile, noteLoader).
    if (const std::string *seed = meta("nnc.seed");
        seed && *seed != std::to_string(s.seed))
      changedSinceState("the seed is " + std::to_string(s.seed) +
                        ", but the state's run had seed " + *seed);
    if (const std::string *data = meta("nnc.data"))
      s.resumeData = splitLines(*data);
    if (const std::string *loaders = meta("nnc.loaders"))
      s.resumeLoaders = splitLines(*loaders);
    std::fprintf(stderr, "nnc: resuming from %s after step %s\n", q.c_str(),
                 steps->c_str());
    std::fflush(stderr);
    s.location = where;
    return p;
  });
}

void nnc_rt_state_load_begin(const char *stepCounters, int32_t stepsAreSum) {
  guarded([&] {
    State &s = state();
    openLoad("nnc_rt_state_load_begin", runOptions().resumePath,
             std::move(s.resume), "");
    s.resume = SafetensorsFile();
    // The counters, before anything is restored: the steps taken and the
    // optimizers' step counts. (A tensor of the wrong kind is reported by
    // its load.)
    const int64_t big = std::numeric_limits<int64_t>::max();
    int64_t steps = 0;
    if (scalarI64("steps", steps)) {
      int64_t recorded = -1;
      auto it = s.file.metadata.find("nnc.steps");
      if (steps < 0 || (it != s.file.metadata.end() &&
                        parseI64(it->second, recorded) && recorded != steps))
        badEntry("steps", std::to_string(steps),
                 steps < 0 ? rangeText(0, big)
                           : std::to_string(recorded) +
                                 ", the metadata's 'nnc.steps'",
                 "the steps taken");
      std::string list = str(stepCounters), names, last;
      __int128 sum = 0;
      size_t count = 0;
      for (const std::string &name : layoutEntries(list)) {
        int64_t v = 0;
        if (!scalarI64(name, v))
          continue;
        if (v < 0 || v > steps)
          badEntry(name, std::to_string(v), rangeText(0, steps),
                   "an optimizer's steps, of the " + std::to_string(steps) +
                       " taken");
        sum += v;
        names +=
            (names.empty() ? "'" : ", '") + name + "' " + std::to_string(v);
        last = name;
        ++count;
      }
      if (stepsAreSum && count == 1 && sum != steps)
        badEntry(last, std::to_string(int64_t(sum)), std::to_string(steps),
                 "the steps taken, all by this optimizer");
      if (stepsAreSum && count > 1 && sum != steps) {
        state().location = "--resume";
        fail("'" + runOptions().resumePath +
             "': the optimizers' step counts (" + names + ") add up to " +
             std::to_string(int64_t(sum)) + ", but the state took " +
             std::to_string(steps) +
             " steps ('steps'): the state is corrupt or not this program's");
      }
    }
    if (auto it = s.file.metadata.find("nnc.progress");
        it != s.file.metadata.end())
      nnc::rt::progress::restoreState(it->second);
    // The trackers (see nnc_rt_state_save_end).
    for (const SafetensorsTensor &t : s.file.tensors) {
      const std::string prefix = "nnc.tracker.";
      if (t.name.compare(0, prefix.size(), prefix) != 0)
        continue;
      char *end = nullptr;
      long long site = std::strtoll(t.name.c_str() + prefix.size(), &end, 10);
      if (*end || t.dtype != "F64" || t.shape != std::vector<int64_t>{3})
        fail("'" + s.loadPath + "': tensor '" + t.name +
             "' is not a tracker of best() and since_best()");
      double v[3];
      std::memcpy(v, s.file.bytes(t), sizeof v);
      if (v[0] != 0 && v[0] != 1)
        badEntry(t.name + "[0]", reprOf(v[0]), "0 or 1",
                 "whether it has a best");
      if (!(v[2] >= 0 && v[2] <= 9007199254740992.0 &&
            v[2] == std::floor(v[2])))
        badEntry(t.name + "[2]", reprOf(v[2]), "an integer >= 0",
                 "the evaluations since the best");
      Tracker &k = s.trackers[site];
      k.hasBest = v[0] != 0;
      k.best = v[1];
      k.since = int64_t(v[2]);
      s.loaded.insert(t.name);
    }
  });
}

void nnc_rt_resume_check(const char *entry, int64_t value, int64_t min,
                         int64_t max, const char *what) {
  guarded([&] {
    if (value < min || value > max)
      badEntry(str(entry), std::to_string(value), rangeText(min, max),
               str(what));
  });
}

void nnc_rt_resume_check_counter(const char *entry, int64_t value, int64_t lo,
                                 int64_t hi, int32_t inclusive, int32_t atTop) {
  guarded([&] {
    // The last value the body sees, and one past it at the condition.
    __int128 last = __int128(hi) - (inclusive ? 0 : 1) + (atTop ? 1 : 0);
    const int64_t big = std::numeric_limits<int64_t>::max();
    if (value < lo || __int128(value) > last)
      badEntry(str(entry), std::to_string(value),
               rangeText(lo, last > big ? big : int64_t(last)),
               "the counter of its loop");
  });
}

//===--- Predictions ------------------------------------------------------===//

void _mlir_ciface_nnc_rt_write_csv_i64(const char *path,
                                       UnrankedMemRefType<int64_t> *tensor) {
  writeCsv("nnc_rt_write_csv_i64", path, tensor);
}
void _mlir_ciface_nnc_rt_write_csv_f32(const char *path,
                                       UnrankedMemRefType<float> *tensor) {
  writeCsv("nnc_rt_write_csv_f32", path, tensor);
}
void _mlir_ciface_nnc_rt_write_csv_f64(const char *path,
                                       UnrankedMemRefType<double> *tensor) {
  writeCsv("nnc_rt_write_csv_f64", path, tensor);
}

} // extern "C"

// Each prototype of HostABI.h has the signature HostABI.def gives it: a
// prototype changed without its table line (or the reverse) does not
// compile.
namespace nnc::rt::abi::c {
using Void = void;
using Bool = bool;
using I32 = int32_t;
using I64 = int64_t;
using F64 = double;
using Str = const char *;
using MemF32x1 = StridedMemRefType<float, 1> *;
using MemF32x2 = StridedMemRefType<float, 2> *;
using MemF32x3 = StridedMemRefType<float, 3> *;
using MemF32x4 = StridedMemRefType<float, 4> *;
using MemF32x5 = StridedMemRefType<float, 5> *;
using MemI64x1 = StridedMemRefType<int64_t, 1> *;
using MemI64x2 = StridedMemRefType<int64_t, 2> *;
using MemI64x3 = StridedMemRefType<int64_t, 3> *;
using UnrankedF32 = UnrankedMemRefType<float> *;
using UnrankedF64 = UnrankedMemRefType<double> *;
using UnrankedI64 = UnrankedMemRefType<int64_t> *;
using UnrankedI1 = UnrankedMemRefType<uint8_t> *;
/// A C-interface function: a memref result is its first parameter.
template <class R, class... A> struct CInterface {
  using type = void (*)(R, A...);
};
template <class... A> struct CInterface<void, A...> {
  using type = void (*)(A...);
};
#define NNC_RT(name, ret, ...)                                                 \
  static_assert(std::is_same_v<decltype(&::name), ret (*)(__VA_ARGS__)>,       \
                #name " does not have the signature of HostABI.def");
#define NNC_RT_MEMREF(name, ...)                                               \
  static_assert(std::is_same_v<decltype(&::_mlir_ciface_##name),               \
                               CInterface<__VA_ARGS__>::type>,                 \
                "_mlir_ciface_" #name                                          \
                " does not have the signature of HostABI.def");
#include "nnc/runtime/HostABI.def"
#undef NNC_RT
#undef NNC_RT_MEMREF
} // namespace nnc::rt::abi::c

const std::vector<HostSymbol> &nnc::rt::hostABISymbols() {
#define NNC_SYM(fn)                                                            \
  HostSymbol { #fn, reinterpret_cast < void *>(&fn) }
  static const std::vector<HostSymbol> symbols = {
#define NNC_RT(name, ...) NNC_SYM(name),
#define NNC_RT_MEMREF(name, ...) NNC_SYM(_mlir_ciface_##name),
#include "nnc/runtime/HostABI.def"
#undef NNC_RT
#undef NNC_RT_MEMREF
      // MLIR's copy between strided buffers (libmlir_c_runner_utils) and
      // the generic allocation functions, served by the CPU device's pool.
      NNC_SYM(memrefCopy),
      NNC_SYM(_mlir_memref_to_llvm_alloc),
      NNC_SYM(_mlir_memref_to_llvm_aligned_alloc),
      NNC_SYM(_mlir_memref_to_llvm_free),
  };
#undef NNC_SYM
  return symbols;
}

//===----------------------------------------------------------------------===//
// Helpers for the rest of the runtime (Progress.h)
//===----------------------------------------------------------------------===//

const RunOptions &nnc::rt::detail::runOptions() { return ::runOptions(); }

void nnc::rt::detail::setLocation(const std::string &location) {
  state().location = location;
}

void nnc::rt::detail::fail(const std::string &message) { ::fail(message); }

std::string nnc::rt::detail::repr(double value) { return reprOf(value); }
