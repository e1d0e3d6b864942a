//===- CsvStream.cpp - CSV datasets, in memory or read as needed ----------===//
//
// The CSV loader (loadCsv of Dataset.h) and CsvStream/CsvCursor. Both parse
// the file with one small RFC 4180 record scanner that reads the file a
// chunk at a time and tracks line numbers for messages; numbers are parsed
// with std::from_chars, which ignores the C locale. loadCsv reads the whole
// file once: every record is validated, and its values are kept while the
// samples fit the memory limit; past it, the values are dropped and the
// load returns a streamed dataset whose marks let a CsvCursor find any
// record again and parse it with the same code.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/CsvStream.h"
#include "support/AllocFailure.h"

#include "nnc/runtime/DataHeaders.h"
#include "nnc/runtime/Dataset.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <string_view>
#include <system_error>
#include <unistd.h>

namespace nnc::rt {

namespace {

/// "'path': " + message.
std::string fileError(const std::string &path, const std::string &message) {
  return "'" + path + "': " + message;
}

/// "'path':line: " + message.
std::string lineError(const std::string &path, size_t line,
                      const std::string &message) {
  return "'" + path + "':" + std::to_string(line) + ": " + message;
}

/// One field of a CSV record: its text with quoting removed.
struct CsvField {
  std::string text;
  size_t line = 0;
};

/// Scans the records of a CSV file, reading it a chunk at a time from a
/// position set by start(). A NUL byte in what it reads is an error (the
/// file is binary), reported with the line it is on.
class CsvScanner {
public:
  explicit CsvScanner(const std::string &path) : path(path) {}
  ~CsvScanner() {
    if (fd >= 0)
      ::close(fd);
  }

  /// Opens the file; false with \p error when it cannot be opened.
  bool open(std::string &error) {
    fd = openDataFile(path, error);
    return fd >= 0;
  }

  /// Goes to byte \p offset, which starts line \p atLine; at offset 0 a
  /// UTF-8 byte order mark is skipped.
  void start(uint64_t offset, size_t atLine) {
    fileOffset = offset;
    nextRead = offset;
    buf.clear();
    i = 0;
    line = atLine;
    linesBeforeBuf = atLine;
    eof = false;
    if (offset == 0 && peek(0) == 0xEF && peek(1) == 0xBB && peek(2) == 0xBF)
      i = 3;
  }

  /// Reads the next non-empty record into \p fields; false in \p got at the
  /// end of the file. \p recordLine and \p recordOffset are where the record
  /// starts. \p colName names column k for messages.
  template <typename ColName>
  bool next(std::vector<CsvField> &fields, size_t &recordLine,
            uint64_t &recordOffset, bool &got, const ColName &colName,
            std::string &error) {
    bool ok = scan(fields, recordLine, recordOffset, got, colName, error);
    if (!failure.empty()) {
      error = failure;
      return false;
    }
    return ok;
  }

private:
  template <typename ColName>
  bool scan(std::vector<CsvField> &fields, size_t &recordLine,
            uint64_t &recordOffset, bool &got, const ColName &colName,
            std::string &error) {
    fields.clear();
    got = false;
    // Skip empty lines.
    while (peek() == '\n' || peek() == '\r')
      lineBreak();
    if (peek() < 0)
      return true;
    got = true;
    recordLine = line;
    recordOffset = fileOffset + i;
    while (true) {
      CsvField f;
      f.line = line;
      size_t k = fields.size();
      size_t p = 0;
      while (peek(p) == ' ' || peek(p) == '\t')
        ++p;
      if (peek(p) == '"') {
        i += p + 1;
        bool closed = false;
        for (int c; (c = peek()) >= 0;) {
          if (c == '"') {
            if (peek(1) == '"') {
              f.text += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (c == '\n' || c == '\r') {
            f.text += '\n';
            lineBreak();
            continue;
          }
          f.text += char(c);
          ++i;
        }
        if (!closed) {
          error = lineError(path, f.line,
                            colName(k) + ": unterminated quoted field");
          return false;
        }
        while (peek() == ' ' || peek() == '\t')
          ++i;
        int c = peek();
        if (c >= 0 && c != ',' && c != '\n' && c != '\r') {
          error = lineError(path, line,
                            colName(k) + ": unexpected '" +
                                escapeBytes(std::string(1, char(c))) +
                                "' after the closing quote");
          return false;
        }
      } else {
        while (true) {
          // The bytes up to the next ',' or line break, a buffer at a time.
          if (i >= buf.size() && !refill(1))
            break;
          const char *b = buf.data() + i, *e = buf.data() + buf.size();
          const char *q = b;
          while (q != e && *q != ',' && *q != '\n' && *q != '\r')
            ++q;
          f.text.append(b, q);
          i += size_t(q - b);
          if (q != e)
            break;
        }
      }
      fields.push_back(std::move(f));
      if (peek() == ',') {
        ++i;
        continue;
      }
      if (peek() >= 0)
        lineBreak();
      return true;
    }
  }

  /// The byte \p k after the current one, or -1 past the end of the file
  /// (or after a read error, kept in `failure`).
  int peek(size_t k = 0) {
    if (i + k < buf.size())
      return uint8_t(buf[i + k]);
    return refill(k + 1) ? uint8_t(buf[i + k]) : -1;
  }

  /// Reads until at least \p need bytes from i on are buffered; false at
  /// the end of the file or on an error.
  bool refill(size_t need) {
    if (eof || !failure.empty())
      return false;
    // Drop what was consumed.
    if (i > 0) {
      linesBeforeBuf += size_t(std::count(buf.begin(), buf.begin() + i, '\n'));
      buf.erase(0, i);
      fileOffset += i;
      i = 0;
    }
    while (buf.size() < need) {
      size_t old = buf.size();
      buf.resize(old + kChunk);
      ssize_t got;
      do
        got = ::pread(fd, buf.data() + old, kChunk, off_t(nextRead));
      while (got < 0 && errno == EINTR);
      if (got < 0) {
        buf.resize(old);
        failure = "cannot read '" + path + "': " + std::strerror(errno);
        return false;
      }
      buf.resize(old + size_t(got));
      nextRead += uint64_t(got);
      if (const void *nul = std::memchr(buf.data() + old, '\0', size_t(got))) {
        size_t at = size_t(static_cast<const char *>(nul) - buf.data());
        size_t nulLine =
            linesBeforeBuf +
            size_t(std::count(buf.begin(), buf.begin() + at, '\n'));
        failure = lineError(path, nulLine,
                            "unexpected NUL byte at byte offset " +
                                std::to_string(fileOffset + at) +
                                " (is this a binary file?)");
        return false;
      }
      if (got == 0) {
        eof = true;
        return buf.size() >= need;
      }
    }
    return true;
  }

  /// Consumes the line break at the current byte: \n, \r\n or \r.
  void lineBreak() {
    if (peek() == '\r' && peek(1) == '\n')
      ++i;
    ++i;
    ++line;
  }

  static constexpr size_t kChunk = size_t(1) << 20;
  const std::string &path;
  int fd = -1;
  /// buf holds the file's bytes from fileOffset on; i indexes it.
  std::string buf;
  size_t i = 0;
  uint64_t fileOffset = 0, nextRead = 0;
  /// The line of the current byte, and the line buf[0] is on (counting
  /// '\n' only, for the NUL message).
  size_t line = 1, linesBeforeBuf = 1;
  bool eof = false;
  std::string failure;
};

enum class NumStatus { Ok, Empty, NotNumber, NotFinite, OutOfRange };

/// Parses a decimal number as in the "C" locale; blanks around it and one
/// leading '+' are allowed.
NumStatus parseNumber(std::string_view text, double &value) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  if (text.empty())
    return NumStatus::Empty;
  if (text.front() == '+') {
    text.remove_prefix(1);
    if (text.empty() || text.front() == '-' || text.front() == '+')
      return NumStatus::NotNumber;
  }
  const char *end = text.data() + text.size();
  auto r = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (r.ec == std::errc::invalid_argument || r.ptr != end)
    return NumStatus::NotNumber;
  if (r.ec == std::errc::result_out_of_range)
    return NumStatus::OutOfRange;
  if (!std::isfinite(value))
    return NumStatus::NotFinite;
  return NumStatus::Ok;
}

/// A field's text for a message: at most 40 bytes, non-printable ones
/// escaped (escapeBytes).
std::string showField(const std::string &text) {
  return "'" + escapeBytes(text, 40) + "'";
}

/// Resolves a CsvColumn against the header; -1 with \p error set on
/// failure.
int resolveColumn(const std::string &path, const CsvHeader &h,
                  const CsvColumn &c, const char *role, std::string &error) {
  if (c.index >= 0) {
    if (size_t(c.index) >= h.columns.size()) {
      error = fileError(
          path, std::string(role) + " column index " + std::to_string(c.index) +
                    " is out of range: the header has " +
                    std::to_string(h.columns.size()) + " columns");
      return -1;
    }
    return c.index;
  }
  if (c.index != -1) {
    error = fileError(path, std::string(role) + " column index " +
                                std::to_string(c.index) + " is negative");
    return -1;
  }
  int k = findCsvColumn(h, c.name);
  if (k >= 0)
    return k;
  std::string names;
  for (size_t j = 0; j < h.columns.size() && j < 10; ++j)
    names += (j ? ", '" : "'") + escapeBytes(h.columns[j]) + "'";
  if (h.columns.size() > 10)
    names += ", ...";
  error = fileError(path, "line 1: no " + std::string(role) +
                              " column named '" + escapeBytes(c.name) +
                              "' (the columns are " + names + ")");
  return -1;
}

/// Reads the header of \p path and resolves the columns into \p layout.
bool makeLayout(const std::string &path, const CsvColumn &target,
                const std::vector<CsvColumn> &features, bool intTarget,
                CsvLayout &layout, std::string &error) {
  CsvHeader header;
  if (!readCsvHeader(path, header, error))
    return false;
  const size_t ncols = header.columns.size();
  layout.numColumns = ncols;
  layout.intTarget = intTarget;
  for (size_t k = 0; k < ncols; ++k)
    layout.columnNames.push_back(
        header.columns[k].empty()
            ? "column " + std::to_string(k) + " (unnamed)"
            : "column '" + escapeBytes(header.columns[k]) + "'");

  int targetCol = resolveColumn(path, header, target, "target", error);
  if (targetCol < 0)
    return false;
  layout.targetColumn = targetCol;
  std::vector<int> &featureCols = layout.featureColumns;
  if (features.empty()) {
    for (size_t k = 0; k < ncols; ++k)
      if (int(k) != targetCol)
        featureCols.push_back(int(k));
  } else {
    for (const CsvColumn &c : features) {
      int k = resolveColumn(path, header, c, "feature", error);
      if (k < 0)
        return false;
      featureCols.push_back(k);
    }
  }
  for (size_t a = 0; a < featureCols.size(); ++a) {
    if (featureCols[a] == targetCol) {
      error = fileError(path, layout.columnNames[size_t(targetCol)] +
                                  " is both the target and a feature");
      return false;
    }
    for (size_t b = 0; b < a; ++b)
      if (featureCols[b] == featureCols[a]) {
        error = fileError(path, layout.columnNames[size_t(featureCols[a])] +
                                    " is listed twice as a feature");
        return false;
      }
  }
  if (featureCols.empty()) {
    error = fileError(path, "no feature columns: the file has only the "
                            "target column");
    return false;
  }
  return true;
}

/// Reads the records of one CSV file with a CsvLayout.
class CsvRecords {
  /// Names column k for the scanner's messages.
  struct ColName {
    const CsvLayout &layout;
    std::string operator()(size_t k) const {
      if (k >= layout.numColumns)
        return "field " + std::to_string(k + 1) + " (past the last column)";
      return layout.columnNames[k];
    }
  };
  ColName colName() const { return ColName{layout}; }

public:
  CsvRecords(const std::string &path, const CsvLayout &layout)
      : path(path), layout(layout), scan(path) {}

  bool open(std::string &error) { return scan.open(error); }

  /// Goes to \p offset, the start of line \p line.
  void start(uint64_t offset, size_t line) { scan.start(offset, line); }

  /// Reads the next record; false in \p got at the end of the file.
  bool skip(bool &got, size_t &line, uint64_t &offset, std::string &error) {
    return scan.next(fields, line, offset, got, colName(), error);
  }

  /// Reads the next record and converts it: its features to \p x (one
  /// float per feature column), its target to \p label (int targets) or
  /// \p target. False in \p got at the end of the file.
  bool next(float *x, int64_t &label, float &target, bool &got, size_t &line,
            uint64_t &offset, std::string &error) {
    if (!scan.next(fields, line, offset, got, colName(), error))
      return false;
    if (!got)
      return true;
    const size_t ncols = layout.numColumns;
    if (fields.size() != ncols) {
      error = lineError(path, line,
                        "row has " + std::to_string(fields.size()) +
                            (fields.size() == 1 ? " field" : " fields") +
                            ", but the header has " + std::to_string(ncols) +
                            " columns");
      return false;
    }
    size_t j = 0;
    for (int k : layout.featureColumns) {
      double v;
      if (!number(k, v, true, error))
        return false;
      x[j++] = float(v);
    }
    int t = layout.targetColumn;
    double v;
    if (!number(t, v, !layout.intTarget, error))
      return false;
    if (layout.intTarget) {
      if (v < 0 || v != std::floor(v) || v >= 9007199254740992.0) {
        error = lineError(path, fields[size_t(t)].line,
                          layout.columnNames[size_t(t)] +
                              ": class label must be an integer >= 0, "
                              "found " +
                              showField(fields[size_t(t)].text));
        return false;
      }
      label = int64_t(v);
      target = float(label);
    } else {
      target = float(v);
      label = 0;
    }
    return true;
  }

private:
  bool number(int k, double &v, bool asFloat, std::string &error) {
    const CsvField &f = fields[size_t(k)];
    const std::string &name = layout.columnNames[size_t(k)];
    NumStatus st = parseNumber(f.text, v);
    if (st == NumStatus::Ok && asFloat &&
        std::fabs(v) > double(std::numeric_limits<float>::max()))
      st = NumStatus::OutOfRange;
    switch (st) {
    case NumStatus::Ok:
      return true;
    case NumStatus::Empty:
      error = lineError(path, f.line, name + ": empty field (missing value)");
      return false;
    case NumStatus::NotNumber:
      error = lineError(path, f.line,
                        name + ": not a number: " + showField(f.text));
      return false;
    case NumStatus::NotFinite:
      error = lineError(path, f.line,
                        name + ": not a finite number: " + showField(f.text) +
                            " (NaN and infinity are not allowed in data)");
      return false;
    case NumStatus::OutOfRange:
      error = lineError(path, f.line,
                        name + ": number out of the range " +
                            (asFloat ? "of float32" : "of double") + ": " +
                            showField(f.text));
      return false;
    }
    return false;
  }

  const std::string &path;
  const CsvLayout &layout;
  CsvScanner scan;
  std::vector<CsvField> fields;
};

} // namespace

//===----------------------------------------------------------------------===//
// The memory limit
//===----------------------------------------------------------------------===//

bool dataMemoryLimit(int64_t &bytes, std::string &error) {
  const char *env = std::getenv("NNC_DATA_MEMORY_LIMIT");
  if (env && *env) {
    std::string_view s(env);
    uint64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    std::string_view unit(r.ptr, size_t(s.data() + s.size() - r.ptr));
    int shift = unit.empty()                 ? 0
                : unit == "K" || unit == "k" ? 10
                : unit == "M" || unit == "m" ? 20
                : unit == "G" || unit == "g" ? 30
                : unit == "T" || unit == "t" ? 40
                                             : -1;
    if (r.ec != std::errc() || r.ptr == s.data() || shift < 0 ||
        v > (uint64_t(INT64_MAX) >> shift)) {
      error = "NNC_DATA_MEMORY_LIMIT is '" + escapeBytes(env) +
              "', not a size in bytes (such as 1000000, 512M or 4G)";
      return false;
    }
    bytes = int64_t(v << shift);
    return true;
  }
  long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGESIZE);
  bytes = pages > 0 && size > 0 ? int64_t(pages) * size / 2 : int64_t(1) << 32;
  return true;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

static bool loadCsvImpl(const std::string &path, const CsvColumn &target,
                        const std::vector<CsvColumn> &features, bool intTarget,
                        int64_t memoryLimit, Dataset &out, std::string &error) {
  out = Dataset();
  auto stream = std::make_shared<CsvStream>();
  stream->path = path;
  CsvLayout &layout = stream->layout;
  if (!makeLayout(path, target, features, intTarget, layout, error))
    return false;
  const size_t fs = layout.featureColumns.size();
  const int64_t sampleBytes = int64_t(fs) * 4 + (intTarget ? 8 : 4);

  Dataset d;
  d.featureShape = {int64_t(fs)};
  d.intTargets = intTarget;
  d.targetsPath = path;
  CsvRecords records(path, layout);
  if (!records.open(error))
    return false;
  records.start(0, 1);
  bool got = false, streamed = false;
  size_t line = 0;
  uint64_t offset = 0;
  // The header record (already validated by readCsvHeader).
  if (!records.skip(got, line, offset, error))
    return false;
  std::vector<float> row(fs);
  while (true) {
    int64_t label;
    float value;
    if (!records.next(row.data(), label, value, got, line, offset, error))
      return false;
    if (!got)
      break;
    if (d.n % CsvStream::kMarkEvery == 0)
      stream->marks.push_back({offset, line});
    int64_t held = 0;
    if (!streamed && memoryLimit >= 0 &&
        (!checkedMul(d.n + 1, sampleBytes, held) || held > memoryLimit)) {
      // Past the limit: keep only the marks from here on.
      streamed = true;
      d.features = std::vector<float>();
      d.labels = std::vector<int64_t>();
      d.targets = std::vector<float>();
    }
    if (!streamed) {
      d.features.insert(d.features.end(), row.begin(), row.end());
      if (intTarget)
        d.labels.push_back(label);
      else
        d.targets.push_back(value);
    }
    ++d.n;
  }
  if (d.n == 0) {
    error = fileError(path, "no data rows after the header");
    return false;
  }
  if (streamed) {
    stream->records = d.n;
    d.stream = std::move(stream);
  }
  out = std::move(d);
  return true;
}

bool loadCsv(const std::string &path, const CsvColumn &target,
             const std::vector<CsvColumn> &features, bool intTarget,
             Dataset &out, std::string &error, int64_t memoryLimit) {
  return catchAllocFailure(path, error, [&] {
    if (loadCsvImpl(path, target, features, intTarget, memoryLimit, out, error))
      return true;
    out = Dataset();
    return false;
  });
}

//===----------------------------------------------------------------------===//
// CsvCursor
//===----------------------------------------------------------------------===//

struct CsvCursor::Impl {
  Impl(const CsvStream &s) : records(s.path, s.layout) {}
  CsvRecords records;
  bool opened = false;
  /// The data record the scanner is at, or -1 when it must seek.
  int64_t at = -1;
  std::vector<float> row;
};

CsvCursor::CsvCursor(std::shared_ptr<const CsvStream> s)
    : stream(std::move(s)), impl(std::make_unique<Impl>(*stream)) {}

CsvCursor::~CsvCursor() = default;

bool CsvCursor::read(int64_t first, int64_t count, float *x, int64_t *labels,
                     float *targets, std::string &error) {
  const CsvStream &s = *stream;
  if (first < 0 || count < 0 || first + count > s.records) {
    error = fileError(s.path, "records " + std::to_string(first) + " to " +
                                  std::to_string(first + count) +
                                  " asked for, but the file has " +
                                  std::to_string(s.records));
    return false;
  }
  Impl &c = *impl;
  if (!c.opened) {
    if (!c.records.open(error))
      return false;
    c.opened = true;
  }
  bool got = false;
  size_t line = 0;
  uint64_t offset = 0;
  auto changed = [&] {
    error = fileError(s.path, "the file has changed since it was loaded: it "
                              "now ends before data record " +
                                  std::to_string(c.at + 1) + " of " +
                                  std::to_string(s.records));
    c.at = -1;
    return false;
  };
  if (c.at != first) {
    int64_t m = first / CsvStream::kMarkEvery;
    c.records.start(s.marks[size_t(m)].offset, s.marks[size_t(m)].line);
    c.at = m * CsvStream::kMarkEvery;
    for (; c.at < first; ++c.at) {
      if (!c.records.skip(got, line, offset, error)) {
        c.at = -1;
        return false;
      }
      if (!got)
        return changed();
    }
  }
  const size_t fs = s.layout.featureColumns.size();
  for (int64_t r = 0; r < count; ++r) {
    int64_t label;
    float value;
    if (!c.records.next(x + size_t(r) * fs, label, value, got, line, offset,
                        error)) {
      c.at = -1;
      return false;
    }
    if (!got)
      return changed();
    if (labels)
      labels[r] = label;
    if (targets)
      targets[r] = value;
    ++c.at;
  }
  return true;
}

} // namespace nnc::rt
