//===- CsvStream.h - CSV datasets read from the file as needed --*- C++ -*-===//
//
// A CSV dataset that does not fit in memory stays in its file: loadCsv
// (Dataset.h) reads the file once - validating every record, as for a
// dataset it keeps - and, once the samples it has read pass the memory
// limit, drops them and keeps a CsvStream instead: the file's layout (which
// columns are features and target) and a mark (byte offset, line) every
// kMarkEvery records, from which any record can be found again. A CsvCursor
// then reads any run of records into batch-sized buffers.
//
// The memory limit is a setting of the run: NNC_DATA_MEMORY_LIMIT (bytes,
// with an optional K, M, G or T suffix, powers of 1024), by default half of
// the machine's physical memory. A CSV dataset is kept in memory when its
// samples (4 bytes per feature, 8 per int64 label or 4 per float target)
// take at most that many bytes.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_CSVSTREAM_H
#define NNC_RUNTIME_CSVSTREAM_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc::rt {

/// The memory limit for datasets kept in memory, in bytes: the value of
/// NNC_DATA_MEMORY_LIMIT ("4G", "512M", "1000000", ...) or, without it, half
/// of the physical memory. False, with \p error, when the variable is set
/// but not a size.
bool dataMemoryLimit(int64_t &bytes, std::string &error);

/// Where the columns of a CSV file go: the target column, the feature
/// columns in the order wanted, and the names used in messages.
struct CsvLayout {
  size_t numColumns = 0;
  int targetColumn = -1;
  std::vector<int> featureColumns;
  bool intTarget = false;
  /// "column 'price'", "column 3 (unnamed)", ... by column index.
  std::vector<std::string> columnNames;
};

/// A CSV file whose data records are read when needed.
struct CsvStream {
  /// Records between two marks.
  static constexpr int64_t kMarkEvery = 64;
  /// Where a record starts: its byte offset and its line (1-based).
  struct Mark {
    uint64_t offset;
    uint64_t line;
  };

  std::string path;
  CsvLayout layout;
  /// Number of data records (samples).
  int64_t records = 0;
  /// marks[k] is where data record k * kMarkEvery starts.
  std::vector<Mark> marks;
};

/// Reads runs of records of a CsvStream. Each cursor has its own file
/// descriptor, so that cursors on different threads do not interfere; a
/// cursor itself is used by one thread at a time. Reading on from where the
/// last read ended does not seek.
class CsvCursor {
public:
  explicit CsvCursor(std::shared_ptr<const CsvStream> stream);
  ~CsvCursor();
  CsvCursor(const CsvCursor &) = delete;
  CsvCursor &operator=(const CsvCursor &) = delete;

  /// Reads data records [first, first + count) of the file: record r's
  /// features to x[(r - first) * F ...] (F features), and its target to
  /// labels[r - first] (int targets; may be null) and targets[r - first]
  /// (as float; may be null). False, with a message naming the file and the
  /// line, when a record cannot be read - a read error, or a file that was
  /// changed since it was loaded.
  bool read(int64_t first, int64_t count, float *x, int64_t *labels,
            float *targets, std::string &error);

private:
  struct Impl;
  std::shared_ptr<const CsvStream> stream;
  std::unique_ptr<Impl> impl;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_CSVSTREAM_H
