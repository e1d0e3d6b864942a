//===- DataHeaders.cpp - Metadata readers for nnc data files --------------===//
//
// Implements the IDX, CSV and .npy header readers. All of them read through
// ByteReader, which reads a file a little at a time (inflating it on the fly
// when it is gzip-compressed) so that only the bytes of the header are ever
// read, and which turns every I/O and zlib failure into an error message.
// Nothing here throws or indexes past a buffer: every read is bounded by the
// number of bytes actually obtained.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/DataHeaders.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>

namespace nnc::rt {
namespace {

/// Largest .npy header dict and CSV header record accepted.
constexpr size_t kMaxHeaderBytes = size_t(1) << 20;
/// Largest number of IDX dimensions accepted.
constexpr unsigned kMaxIdxDims = 8;

/// "'path': " + message.
std::string fileError(const std::string &path, const std::string &message) {
  return "'" + path + "': " + message;
}

std::string hexByte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", c);
  return buf;
}

/// Renders a byte of a text header for an error message: printable ASCII as
/// is, anything else as a hex code.
std::string showChar(unsigned char c) {
  if (c >= 0x20 && c < 0x7f)
    return std::string("'") + char(c) + "'";
  return "byte " + hexByte(c);
}

/// Multiplies the dimensions together; false if the product (or, when
/// \p elemSize is not 0, the product times \p elemSize) overflows int64.
bool checkedProduct(const std::vector<int64_t> &dims, int64_t elemSize,
                    int64_t &result) {
  int64_t p = 1;
  for (int64_t d : dims)
    if (__builtin_mul_overflow(p, d, &p))
      return false;
  if (elemSize != 0 && __builtin_mul_overflow(p, elemSize, &p))
    return false;
  result = p;
  return true;
}

std::string joinDims(const std::vector<int64_t> &dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += "x";
    s += std::to_string(dims[i]);
  }
  return s;
}

/// What a file that is not a regular file is, for messages.
const char *fileKind(mode_t mode) {
  if (S_ISFIFO(mode))
    return "a FIFO (named pipe)";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

/// The error for a path whose file has mode \p mode, not a regular file.
std::string notRegular(const std::string &path, mode_t mode) {
  if (S_ISDIR(mode))
    return "cannot open '" + path + "': " + std::strerror(EISDIR);
  std::string kind = fileKind(mode);
  if (kind != "not a regular file")
    kind += ", not a regular file";
  return "cannot open '" + path + "': " + kind;
}

} // namespace

int openDataFile(const std::string &path, std::string &error) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
  // writer, forever. It does nothing for a regular file, and is cleared
  // below all the same.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    struct stat st;
    // A socket cannot be opened at all (ENXIO): say what it is.
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) &&
        !S_ISDIR(st.st_mode))
      error = notRegular(path, st.st_mode);
    else
      error = "cannot open '" + path + "': " + std::strerror(err);
    return -1;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    error = notRegular(path, st.st_mode);
    ::close(fd);
    return -1;
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

namespace {

//===----------------------------------------------------------------------===//
// ByteReader
//===----------------------------------------------------------------------===//

/// Sequential reader of a file's first bytes, optionally gunzipping them.
class ByteReader {
public:
  ByteReader() = default;
  ByteReader(const ByteReader &) = delete;
  ByteReader &operator=(const ByteReader &) = delete;
  ~ByteReader() {
    if (inflating)
      inflateEnd(&zs);
    if (file)
      std::fclose(file);
  }

  /// Opens \p path, which must be a regular file (openDataFile). On
  /// failure sets \p error.
  bool open(const std::string &path, std::string &error) {
    int fd = openDataFile(path, error);
    if (fd < 0)
      return false;
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      error = "cannot open '" + path + "': " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    regular = true;
    fileSize = static_cast<uint64_t>(st.st_size);
    file = ::fdopen(fd, "rb");
    if (!file) {
      error = "cannot open '" + path + "': " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    filePath = path;
    return true;
  }

  /// Switches to gunzipping if the file starts with the gzip magic 1f 8b.
  /// Must be called before any read. Sets \p isGzip.
  bool detectGzip(bool &isGzip, std::string &error) {
    isGzip = false;
    if (!fillRaw(error, 2))
      return false;
    if (avail < 2 || inBuf[pos] != 0x1f || inBuf[pos + 1] != 0x8b)
      return true;
    std::memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
      error = fileError(filePath, "cannot initialize zlib");
      return false;
    }
    inflating = true;
    isGzip = true;
    return true;
  }

  /// Appends up to \p n bytes to \p dst; fewer only at the end of the
  /// (decompressed) data. False on an I/O or decompression error.
  bool read(size_t n, std::string &dst, std::string &error) {
    if (!inflating) {
      while (n > 0) {
        if (avail == 0) {
          if (!fillRaw(error))
            return false;
          if (avail == 0)
            return true;
        }
        size_t take = std::min(n, avail);
        dst.append(reinterpret_cast<const char *>(inBuf + pos), take);
        pos += take;
        avail -= take;
        n -= take;
        offset += take;
      }
      return true;
    }
    return inflateInto(n, dst, error);
  }

  /// Reads one byte into \p c; false in \p got at the end of the data.
  bool readByte(unsigned char &c, bool &got, std::string &error) {
    std::string s;
    if (!read(1, s, error))
      return false;
    got = !s.empty();
    if (got)
      c = static_cast<unsigned char>(s[0]);
    return true;
  }

  /// True if the file is a regular file, whose size is then fileSize.
  bool regular = false;
  uint64_t fileSize = 0;
  /// Number of (decompressed) bytes handed out so far.
  uint64_t offset = 0;

private:
  /// Tops up the raw input buffer until it holds at least \p minBytes bytes
  /// (at most sizeof(inBuf)) or the file is at EOF.
  bool fillRaw(std::string &error, size_t minBytes = 1) {
    if (avail >= minBytes || eof)
      return true;
    std::memmove(inBuf, inBuf + pos, avail);
    pos = 0;
    while (avail < minBytes && !eof) {
      size_t got = std::fread(inBuf + avail, 1, sizeof(inBuf) - avail, file);
      if (got == 0) {
        if (std::ferror(file)) {
          int err = errno;
          error = "cannot read '" + filePath +
                  "': " + std::strerror(err ? err : EIO);
          return false;
        }
        eof = true;
      }
      avail += got;
      rawConsumed += got;
    }
    return true;
  }

  bool inflateInto(size_t n, std::string &dst, std::string &error) {
    size_t start = dst.size();
    dst.resize(start + n);
    size_t produced = 0;
    while (produced < n && !streamDone) {
      if (!fillRaw(error)) {
        dst.resize(start + produced);
        return false;
      }
      if (memberEnded) {
        // Another gzip member may follow (as after `cat a.gz b.gz`);
        // anything else after a complete member is ignored, like gzip does.
        if (!fillRaw(error, 2)) {
          dst.resize(start + produced);
          return false;
        }
        if (avail < 2 || inBuf[pos] != 0x1f || inBuf[pos + 1] != 0x8b) {
          streamDone = true;
          break;
        }
        inflateReset(&zs);
        memberEnded = false;
      }
      zs.next_in = inBuf + pos;
      zs.avail_in = static_cast<uInt>(avail);
      zs.next_out = reinterpret_cast<Bytef *>(&dst[start + produced]);
      zs.avail_out = static_cast<uInt>(n - produced);
      int ret = inflate(&zs, Z_NO_FLUSH);
      size_t usedIn = avail - zs.avail_in;
      size_t gotOut = (n - produced) - zs.avail_out;
      pos += usedIn;
      avail -= usedIn;
      produced += gotOut;
      offset += gotOut;
      if (ret == Z_STREAM_END) {
        memberEnded = true;
        continue;
      }
      if (ret == Z_OK)
        continue;
      if (ret == Z_BUF_ERROR && avail == 0 && !eof)
        continue; // needs more input
      uint64_t at = rawConsumed - avail;
      dst.resize(start + produced);
      if (ret == Z_BUF_ERROR) {
        error = fileError(filePath,
                          "truncated gzip stream: compressed data ends "
                          "at byte offset " +
                              std::to_string(at) + " after " +
                              std::to_string(offset) + " decompressed bytes");
      } else if (ret == Z_MEM_ERROR) {
        error = fileError(filePath, "out of memory while decompressing");
      } else {
        error = fileError(filePath, std::string("corrupt gzip stream: ") +
                                        (zs.msg ? zs.msg : "invalid data") +
                                        " (near compressed byte offset " +
                                        std::to_string(at) + ")");
      }
      return false;
    }
    dst.resize(start + produced);
    return true;
  }

  std::string filePath;
  std::FILE *file = nullptr;
  unsigned char inBuf[16384];
  size_t pos = 0, avail = 0;
  uint64_t rawConsumed = 0;
  bool eof = false;
  bool inflating = false, memberEnded = false, streamDone = false;
  z_stream zs;
};

/// Decodes a big-endian u32.
uint32_t be32(const std::string &s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) |
         (uint32_t(uint8_t(s[at + 1])) << 16) |
         (uint32_t(uint8_t(s[at + 2])) << 8) | uint32_t(uint8_t(s[at + 3]));
}

/// Decodes a little-endian integer of \p n bytes.
uint32_t le(const std::string &s, size_t at, size_t n) {
  uint32_t v = 0;
  for (size_t i = n; i-- > 0;)
    v = (v << 8) | uint8_t(s[at + i]);
  return v;
}

/// Reports a data section shorter than the header declares, and with
/// \p exact (IDX files) one that is longer.
bool checkDataSize(const ByteReader &r, const std::string &path,
                   uint64_t dataOffset, int64_t dataBytes, std::string &error,
                   bool exact = false) {
  if (!r.regular)
    return true;
  uint64_t present = r.fileSize > dataOffset ? r.fileSize - dataOffset : 0;
  if (exact && present > static_cast<uint64_t>(dataBytes)) {
    error = fileError(
        path, "trailing data: the file has " + std::to_string(r.fileSize) +
                  " bytes, but the header declares " +
                  std::to_string(dataOffset + uint64_t(dataBytes)) + " (" +
                  std::to_string(dataOffset) + " of header and " +
                  std::to_string(dataBytes) + " of data)");
    return false;
  }
  if (present >= static_cast<uint64_t>(dataBytes))
    return true;
  error = fileError(path, "truncated data: the header declares " +
                              std::to_string(dataBytes) +
                              " bytes of data after byte offset " +
                              std::to_string(dataOffset) + ", found " +
                              std::to_string(present));
  return false;
}

} // namespace

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

const char *idxTypeName(uint8_t code) {
  switch (code) {
  case 0x08:
    return "u8";
  case 0x09:
    return "i8";
  case 0x0B:
    return "i16";
  case 0x0C:
    return "i32";
  case 0x0D:
    return "f32";
  case 0x0E:
    return "f64";
  default:
    return nullptr;
  }
}

size_t idxTypeSize(uint8_t code) {
  switch (code) {
  case 0x08:
  case 0x09:
    return 1;
  case 0x0B:
    return 2;
  case 0x0C:
  case 0x0D:
    return 4;
  case 0x0E:
    return 8;
  default:
    return 0;
  }
}

bool readIdxHeader(const std::string &path, IdxHeader &out,
                   std::string &error) {
  out = IdxHeader();
  ByteReader r;
  if (!r.open(path, error))
    return false;
  bool gz = false;
  if (!r.detectGzip(gz, error))
    return false;

  std::string h;
  if (!r.read(4, h, error))
    return false;
  if (h.empty()) {
    error = fileError(path, gz ? "empty file (after gzip decompression)"
                               : "empty file");
    return false;
  }
  if (h.size() >= 2 && (h[0] != 0 || h[1] != 0)) {
    error = fileError(
        path, "not an IDX file: bad magic bytes " + hexByte(uint8_t(h[0])) +
                  " " + hexByte(uint8_t(h[1])) + " (expected 0x00 0x00)");
    return false;
  }
  if (h.size() >= 3 && !idxTypeName(uint8_t(h[2]))) {
    error = fileError(path, "unknown IDX type code " + hexByte(uint8_t(h[2])) +
                                " at byte offset 2 (expected 0x08, 0x09, "
                                "0x0b, 0x0c, 0x0d or 0x0e)");
    return false;
  }
  if (h.size() < 4) {
    error = fileError(path, "truncated header: expected at least 4 bytes, "
                            "found " +
                                std::to_string(h.size()));
    return false;
  }
  unsigned ndims = uint8_t(h[3]);
  if (ndims == 0 || ndims > kMaxIdxDims) {
    error = fileError(path, "invalid dimension count " + std::to_string(ndims) +
                                " at byte offset 3 (expected 1 to " +
                                std::to_string(kMaxIdxDims) + ")");
    return false;
  }
  size_t headerBytes = 4 + 4 * size_t(ndims);
  if (!r.read(headerBytes - 4, h, error))
    return false;
  if (h.size() < headerBytes) {
    error = fileError(path, "truncated header: expected " +
                                std::to_string(headerBytes) + " bytes, found " +
                                std::to_string(h.size()));
    return false;
  }

  out.typeCode = uint8_t(h[2]);
  for (unsigned i = 0; i < ndims; ++i)
    out.dims.push_back(be32(h, 4 + 4 * i));
  out.headerBytes = headerBytes;
  // A size of 0 after the first makes samples of no elements, which no
  // model can take; say so here rather than in a shape error later. (A
  // first size of 0, no samples, is refused where the data is loaded.)
  for (unsigned i = 1; i < ndims; ++i)
    if (out.dims[i] == 0) {
      error = fileError(
          path, "dimension " + std::to_string(i) + " of " + joinDims(out.dims) +
                    " is 0 (at byte offset " + std::to_string(4 + 4 * i) +
                    "): the samples would have no elements");
      return false;
    }

  int64_t dataBytes = 0;
  if (!checkedProduct(out.dims, int64_t(idxTypeSize(out.typeCode)),
                      dataBytes)) {
    error = fileError(path, "dimensions " + joinDims(out.dims) + " of " +
                                idxTypeName(out.typeCode) +
                                " elements overflow a 64-bit byte count");
    return false;
  }
  if (!gz && !checkDataSize(r, path, headerBytes, dataBytes, error, true))
    return false;
  return true;
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

bool readCsvHeader(const std::string &path, CsvHeader &out,
                   std::string &error) {
  out = CsvHeader();
  ByteReader r;
  if (!r.open(path, error))
    return false;

  // Read the whole first record (bounded) into memory; quoted names may span
  // lines, so the record ends at the first line break outside quotes.
  std::string rec;
  bool inQuotes = false, ended = false;
  while (!ended) {
    unsigned char c;
    bool got;
    if (!r.readByte(c, got, error))
      return false;
    if (!got)
      break;
    if (c == '\0') {
      error = fileError(path, "unexpected NUL byte at byte offset " +
                                  std::to_string(r.offset - 1) +
                                  " (is this a binary file?)");
      return false;
    }
    if (rec.size() == 1 && uint8_t(rec[0]) == 0x1f && c == 0x8b) {
      error = fileError(path, "file is gzip-compressed; CSV files must be "
                              "uncompressed");
      return false;
    }
    if (c == '"')
      inQuotes = !inQuotes; // "" toggles twice: still right
    else if (!inQuotes && (c == '\n' || c == '\r'))
      ended = true;
    if (!ended)
      rec += char(c);
    if (rec.size() > kMaxHeaderBytes) {
      error = fileError(path, "line 1: header longer than " +
                                  std::to_string(kMaxHeaderBytes) + " bytes");
      return false;
    }
  }
  if (r.offset == 0) {
    error = fileError(path, "empty file");
    return false;
  }

  size_t i = 0;
  if (rec.compare(0, 3, "\xEF\xBB\xBF") == 0)
    i = 3;

  // Line and column (1-based, in bytes) of rec[k], for messages.
  size_t lineStart = i, line = 1; // columns count from after a BOM
  auto where = [&](size_t k) {
    for (size_t j = lineStart; j < k && j < rec.size(); ++j)
      if (rec[j] == '\n' ||
          (rec[j] == '\r' && (j + 1 >= rec.size() || rec[j + 1] != '\n'))) {
        ++line;
        lineStart = j + 1;
      }
    return "line " + std::to_string(line) + ", column " +
           std::to_string(k - lineStart + 1);
  };
  auto isBlank = [](char c) { return c == ' ' || c == '\t'; };

  std::vector<std::string> cols;
  while (true) {
    std::string name;
    while (i < rec.size() && isBlank(rec[i]))
      ++i;
    if (i < rec.size() && rec[i] == '"') {
      size_t open = i++;
      bool closed = false;
      while (i < rec.size()) {
        if (rec[i] == '"') {
          if (i + 1 < rec.size() && rec[i + 1] == '"') {
            name += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        name += rec[i++];
      }
      if (!closed) {
        error = fileError(path, where(open) + ": unterminated quoted column "
                                              "name");
        return false;
      }
      while (i < rec.size() && isBlank(rec[i]))
        ++i;
      if (i < rec.size() && rec[i] != ',') {
        error = fileError(path, where(i) + ": unexpected " +
                                    showChar(uint8_t(rec[i])) +
                                    " after closing quote");
        return false;
      }
    } else {
      while (i < rec.size() && rec[i] != ',') {
        if (rec[i] == '"') {
          error = fileError(path, where(i) + ": quote in unquoted column "
                                             "name (quote the whole name and "
                                             "double the quote)");
          return false;
        }
        name += rec[i++];
      }
      while (!name.empty() && isBlank(name.back()))
        name.pop_back();
    }
    cols.push_back(std::move(name));
    if (i >= rec.size())
      break;
    ++i; // the ','
  }

  if (cols.size() == 1 && cols[0].empty()) {
    error = fileError(path, "line 1: empty header");
    return false;
  }
  for (size_t a = 0; a < cols.size(); ++a) {
    if (cols[a].empty())
      continue;
    for (size_t b = 0; b < a; ++b)
      if (cols[b] == cols[a]) {
        error = fileError(path, "line 1: duplicate column name '" +
                                    escapeBytes(cols[a]) + "' (columns " +
                                    std::to_string(b + 1) + " and " +
                                    std::to_string(a + 1) + ")");
        return false;
      }
  }
  out.columns = std::move(cols);
  return true;
}

int findCsvColumn(const CsvHeader &h, const std::string &name) {
  for (size_t i = 0; i < h.columns.size(); ++i)
    if (h.columns[i] == name)
      return i <= size_t(std::numeric_limits<int>::max()) ? int(i) : -1;
  return -1;
}

//===----------------------------------------------------------------------===//
// NumPy .npy
//===----------------------------------------------------------------------===//

namespace {

/// Parser for the Python literal subset numpy writes as a .npy header:
/// a dict of string keys to strings, True/False, and tuples of integers.
/// Lists and nested tuples are parsed (a structured descr is a list of
/// tuples) so that they can be rejected with a precise message.
class NpyDictParser {
public:
  NpyDictParser(const std::string &text, size_t fileOffset,
                const std::string &path)
      : s(text), base(fileOffset), filePath(path) {}

  bool parse(NpyHeader &out, std::string &error);

private:
  struct Value {
    enum Kind { Str, Bool, Int, Tuple, List, None } kind = None;
    std::string str;
    bool b = false;
    int64_t i = 0;
    bool negative = false;
    std::vector<Value> items;
    size_t at = 0; // offset in s
  };

  bool fail(size_t at, const std::string &msg) {
    err = fileError(filePath, "malformed .npy header at byte offset " +
                                  std::to_string(base + at) + ": " + msg);
    return false;
  }
  std::string here() const {
    return k < s.size() ? showChar(uint8_t(s[k])) : "end of header";
  }
  void skipSpace() {
    while (k < s.size() &&
           (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r'))
      ++k;
  }
  bool parseString(Value &v);
  bool parseValue(Value &v, unsigned depth);

  const std::string &s;
  size_t base;
  const std::string &filePath;
  size_t k = 0;
  std::string err;
};

bool NpyDictParser::parseString(Value &v) {
  char q = s[k];
  size_t open = k++;
  v.kind = Value::Str;
  v.at = open;
  while (k < s.size() && s[k] != q) {
    if (s[k] == '\\') {
      if (k + 1 >= s.size())
        break;
      char e = s[k + 1];
      v.str += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      k += 2;
      continue;
    }
    if (s[k] == '\n')
      break;
    v.str += s[k++];
  }
  if (k >= s.size() || s[k] != q)
    return fail(open, "unterminated string");
  ++k;
  return true;
}

bool NpyDictParser::parseValue(Value &v, unsigned depth) {
  if (depth > 16)
    return fail(k, "values nested too deeply");
  skipSpace();
  v.at = k;
  if (k >= s.size())
    return fail(k, "expected a value, found end of header");
  char c = s[k];
  if (c == '\'' || c == '"')
    return parseString(v);
  if (c == '(' || c == '[') {
    char close = c == '(' ? ')' : ']';
    v.kind = c == '(' ? Value::Tuple : Value::List;
    size_t open = k++;
    while (true) {
      skipSpace();
      if (k >= s.size())
        return fail(open, std::string("unbalanced '") + c + "': no matching '" +
                              close + "'");
      if (s[k] == close) {
        ++k;
        return true;
      }
      Value item;
      if (!parseValue(item, depth + 1))
        return false;
      v.items.push_back(std::move(item));
      skipSpace();
      if (k < s.size() && s[k] == ',') {
        ++k;
        continue;
      }
      if (k < s.size() && s[k] == close) {
        ++k;
        return true;
      }
      if (k >= s.size())
        return fail(open, std::string("unbalanced '") + c + "': no matching '" +
                              close + "'");
      return fail(k, std::string("expected ',' or '") + close + "', found " +
                         here());
    }
  }
  if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
    v.kind = Value::Int;
    if (c == '-' || c == '+') {
      v.negative = c == '-';
      ++k;
    }
    if (k >= s.size() || s[k] < '0' || s[k] > '9')
      return fail(v.at, "expected digits after sign");
    uint64_t mag = 0;
    const uint64_t limit = uint64_t(std::numeric_limits<int64_t>::max());
    while (k < s.size() && s[k] >= '0' && s[k] <= '9') {
      mag = mag * 10 + uint64_t(s[k++] - '0');
      if (mag > limit)
        return fail(v.at, "integer too large");
    }
    if (k < s.size() && (s[k] == 'L' || s[k] == 'l'))
      ++k; // Python 2 long suffix, as in old numpy files
    if (k < s.size() &&
        (std::isalnum(uint8_t(s[k])) || s[k] == '.' || s[k] == '_'))
      return fail(k, "expected an integer, found " + here());
    v.i = v.negative ? -int64_t(mag) : int64_t(mag);
    return true;
  }
  size_t start = k;
  while (k < s.size() && (std::isalnum(uint8_t(s[k])) || s[k] == '_'))
    ++k;
  std::string word = s.substr(start, k - start);
  if (word == "True" || word == "False") {
    v.kind = Value::Bool;
    v.b = word == "True";
    return true;
  }
  if (word == "None") {
    v.kind = Value::None;
    return true;
  }
  k = start;
  if (!word.empty())
    return fail(start, "unexpected name '" + escapeBytes(word) + "'");
  return fail(start, "expected a value, found " + here());
}

bool NpyDictParser::parse(NpyHeader &out, std::string &error) {
  bool haveDescr = false, haveOrder = false, haveShape = false;
  auto done = [&](bool ok) {
    if (!ok)
      error = err;
    return ok;
  };

  skipSpace();
  if (k >= s.size() || s[k] != '{')
    return done(fail(k, "expected '{', found " + here()));
  size_t open = k++;
  while (true) {
    skipSpace();
    if (k >= s.size())
      return done(fail(open, "unbalanced '{': no matching '}'"));
    if (s[k] == '}') {
      ++k;
      break;
    }
    if (s[k] != '\'' && s[k] != '"')
      return done(fail(k, "expected a quoted key or '}', found " + here()));
    Value key;
    if (!parseString(key))
      return done(false);
    skipSpace();
    if (k >= s.size() || s[k] != ':')
      return done(fail(k, "expected ':' after key '" + escapeBytes(key.str) +
                              "', found " + here()));
    ++k;
    Value v;
    if (!parseValue(v, 0))
      return done(false);

    if (key.str == "descr") {
      if (haveDescr)
        return done(fail(key.at, "duplicate key 'descr'"));
      haveDescr = true;
      if (v.kind == Value::List)
        return done(fail(v.at, "structured dtypes ('descr' is a list) are "
                               "not supported"));
      if (v.kind != Value::Str)
        return done(fail(v.at, "'descr' must be a string"));
      if (v.str.empty())
        return done(fail(v.at, "'descr' is empty"));
      out.descr = v.str;
    } else if (key.str == "fortran_order") {
      if (haveOrder)
        return done(fail(key.at, "duplicate key 'fortran_order'"));
      haveOrder = true;
      if (v.kind != Value::Bool)
        return done(fail(v.at, "'fortran_order' must be True or False"));
      out.fortranOrder = v.b;
    } else if (key.str == "shape") {
      if (haveShape)
        return done(fail(key.at, "duplicate key 'shape'"));
      haveShape = true;
      if (v.kind != Value::Tuple)
        return done(fail(v.at, "'shape' must be a tuple of integers"));
      for (const Value &d : v.items) {
        if (d.kind != Value::Int)
          return done(fail(d.at, "'shape' must be a tuple of integers"));
        if (d.negative && d.i != 0)
          return done(fail(d.at, "negative dimension " + std::to_string(d.i) +
                                     " in 'shape'"));
        out.shape.push_back(d.i);
      }
    } else {
      return done(
          fail(key.at, "unexpected key '" + escapeBytes(key.str) + "'"));
    }

    skipSpace();
    if (k < s.size() && s[k] == ',') {
      ++k;
      continue;
    }
    if (k < s.size() && s[k] == '}') {
      ++k;
      break;
    }
    if (k >= s.size())
      return done(fail(open, "unbalanced '{': no matching '}'"));
    return done(fail(k, "expected ',' or '}', found " + here()));
  }
  skipSpace();
  if (k < s.size() && s[k] != '\0')
    return done(fail(k, "unexpected " + here() + " after the dict"));
  // numpy pads with spaces and a newline; tolerate NUL padding too.
  for (; k < s.size(); ++k)
    if (s[k] != '\0' && s[k] != ' ' && s[k] != '\n')
      return done(fail(k, "unexpected " + here() + " after the dict"));
  for (const char *key : {"descr", "fortran_order", "shape"}) {
    bool have = key[0] == 'd'   ? haveDescr
                : key[0] == 'f' ? haveOrder
                                : haveShape;
    if (!have) {
      err = fileError(filePath,
                      std::string(".npy header dict has no '") + key + "' key");
      return done(false);
    }
  }
  return true;
}

/// Item size of a supported descr (the digits after the kind letter).
int64_t npyItemSize(const std::string &descr) {
  return descr.size() >= 3 ? int64_t(descr[2] - '0') : 0;
}

} // namespace

std::string escapeBytes(const std::string &bytes, size_t maxBytes) {
  static const char hex[] = "0123456789abcdef";
  size_t n = std::min(bytes.size(), maxBytes);
  std::string out;
  size_t i = 0;
  while (i < n) {
    auto c = uint8_t(bytes[i]);
    if (c >= 0x20 && c < 0x7f) {
      if (c == '\\')
        out += '\\';
      out += char(c);
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence (no overlong forms or surrogates) stays.
    size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4
                                          : 0;
    bool ok = len != 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k)
      ok = (uint8_t(bytes[i + k]) & 0xc0) == 0x80;
    if (ok && len >= 3) {
      auto c1 = uint8_t(bytes[i + 1]);
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) ||
          (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90))
        ok = false;
    }
    if (ok) {
      out.append(bytes, i, len);
      i += len;
      continue;
    }
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 15];
    ++i;
  }
  if (bytes.size() > n)
    out += "...";
  return out;
}

const char *npyDTypeName(const std::string &descr) {
  if (descr.size() != 3)
    return nullptr;
  char order = descr[0];
  if (order != '<' && order != '|' && order != '=' && order != '>')
    return nullptr;
  std::string t = descr.substr(1);
  bool oneByte = t == "b1" || t == "i1" || t == "u1";
  if (!oneByte && order != '<' && order != '=')
    return nullptr;
  static const struct {
    const char *code, *name;
  } table[] = {{"f2", "f16"}, {"f4", "f32"}, {"f8", "f64"}, {"i1", "i8"},
               {"i2", "i16"}, {"i4", "i32"}, {"i8", "i64"}, {"u1", "u8"},
               {"u2", "u16"}, {"u4", "u32"}, {"u8", "u64"}, {"b1", "bool"}};
  for (const auto &e : table)
    if (t == e.code)
      return e.name;
  return nullptr;
}

bool readNpyHeader(const std::string &path, NpyHeader &out,
                   std::string &error) {
  out = NpyHeader();
  ByteReader r;
  if (!r.open(path, error))
    return false;

  std::string h;
  if (!r.read(10, h, error))
    return false;
  if (h.empty()) {
    error = fileError(path, "empty file");
    return false;
  }
  static const char kMagic[] = "\x93NUMPY";
  size_t cmp = std::min<size_t>(h.size(), 6);
  if (h.size() >= 2 && uint8_t(h[0]) == 0x1f && uint8_t(h[1]) == 0x8b) {
    error = fileError(path, "file is gzip-compressed; .npy files must be "
                            "uncompressed");
    return false;
  }
  if (h.size() >= 4 && h.compare(0, 4, "PK\x03\x04") == 0) {
    error = fileError(path, "not a .npy file: this is a zip archive (a .npz "
                            "file?); extract its .npy arrays first");
    return false;
  }
  if (h.compare(0, cmp, kMagic, cmp) != 0) {
    std::string got;
    for (size_t i = 0; i < cmp; ++i)
      got += (i ? " " : "") + hexByte(uint8_t(h[i]));
    error = fileError(path, "not a .npy file: bad magic bytes " + got +
                                " (expected \\x93NUMPY)");
    return false;
  }
  if (h.size() < 8) {
    error = fileError(path, "truncated header: expected at least 10 bytes, "
                            "found " +
                                std::to_string(h.size()));
    return false;
  }
  unsigned major = uint8_t(h[6]), minor = uint8_t(h[7]);
  if (major < 1 || major > 3 || minor != 0) {
    error = fileError(path, "unsupported .npy format version " +
                                std::to_string(major) + "." +
                                std::to_string(minor) +
                                " at byte offset 6 (expected 1.0, 2.0 or "
                                "3.0)");
    return false;
  }
  size_t lenBytes = major == 1 ? 2 : 4;
  size_t prefix = 8 + lenBytes;
  if (!r.read(prefix - h.size(), h, error))
    return false;
  if (h.size() < prefix) {
    error = fileError(path, "truncated header: expected at least " +
                                std::to_string(prefix) + " bytes, found " +
                                std::to_string(h.size()));
    return false;
  }
  uint32_t len = le(h, 8, lenBytes);
  if (len > kMaxHeaderBytes) {
    error = fileError(path, "header length " + std::to_string(len) +
                                " at byte offset 8 exceeds the limit of " +
                                std::to_string(kMaxHeaderBytes) + " bytes");
    return false;
  }
  if (len == 0) {
    error = fileError(path, "header length at byte offset 8 is 0: no header "
                            "dict");
    return false;
  }
  size_t total = prefix + len;
  std::string dict;
  if (!r.read(len, dict, error))
    return false;
  if (dict.size() < len) {
    error = fileError(path, "truncated header: expected " +
                                std::to_string(total) + " bytes, found " +
                                std::to_string(prefix + dict.size()));
    return false;
  }

  NpyDictParser parser(dict, prefix, path);
  if (!parser.parse(out, error))
    return false;
  out.dataOffset = total;

  int64_t count = 0;
  if (!checkedProduct(out.shape, 0, count)) {
    error = fileError(path, "shape (" + joinDims(out.shape) +
                                ") overflows a 64-bit element count");
    return false;
  }
  if (npyDTypeName(out.descr)) {
    int64_t bytes = 0;
    if (__builtin_mul_overflow(count, npyItemSize(out.descr), &bytes)) {
      error = fileError(path, "shape (" + joinDims(out.shape) +
                                  ") overflows a 64-bit byte count");
      return false;
    }
    if (!checkDataSize(r, path, total, bytes, error))
      return false;
  }
  return true;
}

} // namespace nnc::rt
