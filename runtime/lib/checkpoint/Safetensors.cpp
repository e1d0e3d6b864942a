//===- Safetensors.cpp - Checkpoints in the safetensors format ------------===//
//
// Implements the safetensors reader and writer. The header is parsed by a
// small strict JSON parser (RFC 8259: no comments, no trailing commas, no
// leading zeros, valid UTF-8, surrogate pairs checked) into a tree, which is
// then checked against the safetensors schema; every message carries the
// file's byte offset of the offending value. The writer emits the same
// bytes as the reference serializer (serde_json's compact form and escapes,
// space padding), and replaces the target file with write-fsync-rename.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/Safetensors.h"
#include "support/AllocFailure.h"

#define XXH_INLINE_ALL // header-only: no library to link, here or in programs
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <limits>
#include <new>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

namespace nnc::rt {
namespace {

/// The reference implementation's limit on the header length.
constexpr uint64_t kMaxHeaderBytes = 100000000;
/// Deepest JSON nesting accepted (a valid header nests 3 deep).
constexpr unsigned kMaxJsonDepth = 64;
/// Objects of up to this many keys find duplicates by a linear scan.
constexpr size_t kScanKeys = 16;

std::string fileError(const std::string &path, const std::string &message) {
  return "'" + path + "': " + message;
}

/// A dtype, its element size and its rank in the reference implementation's
/// Dtype enum (which the writer sorts by, descending).
struct DTypeInfo {
  const char *name;
  unsigned size;
  unsigned rank;
};

const DTypeInfo *findDType(const std::string &name) {
  static const DTypeInfo table[] = {
      {"BOOL", 1, 0},    {"U8", 1, 1},   {"I8", 1, 2},   {"F8_E5M2", 1, 3},
      {"F8_E4M3", 1, 4}, {"I16", 2, 5},  {"U16", 2, 6},  {"F16", 2, 7},
      {"BF16", 2, 8},    {"I32", 4, 9},  {"U32", 4, 10}, {"F32", 4, 11},
      {"F64", 8, 12},    {"I64", 8, 13}, {"U64", 8, 14}};
  for (const DTypeInfo &d : table)
    if (name == d.name)
      return &d;
  return nullptr;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// product(shape) * elemSize; false on overflow or a negative dimension.
bool tensorBytes(const std::vector<int64_t> &shape, uint64_t elemSize,
                 uint64_t &bytes) {
  uint64_t p = elemSize;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(p, uint64_t(d), &p))
      return false;
  bytes = p;
  return true;
}

/// Length of the valid UTF-8 sequence at s[i], or 0 if there is none.
size_t utf8SequenceLength(const unsigned char *s, size_t n, size_t i) {
  unsigned char c = s[i];
  if (c < 0x80)
    return 1;
  size_t len;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > n)
    return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((s[i + k] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i + k] & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

/// Renders a name for a message: control characters and bytes that are not
/// valid UTF-8 as '?', at most 80 bytes.
std::string showName(const std::string &s) {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  size_t n = std::min<size_t>(s.size(), 80);
  std::string t;
  for (size_t i = 0; i < n;) {
    size_t len = utf8SequenceLength(p, n, i);
    if (len == 0 || p[i] < 0x20 || p[i] == 0x7f) {
      t += '?';
      i += 1;
      continue;
    }
    t.append(s, i, len);
    i += len;
  }
  return "'" + t + (s.size() > 80 ? "...'" : "'");
}

bool validUtf8(const std::string &s) {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  for (size_t i = 0; i < s.size();) {
    size_t len = utf8SequenceLength(p, s.size(), i);
    if (!len)
      return false;
    i += len;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

struct JsonMember;

/// A parsed JSON value. Numbers keep whether they are non-negative integers
/// that fit in 64 bits (the only numbers a safetensors header holds).
struct JsonValue {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  /// Byte offset of the value in the header.
  size_t at = 0;
  bool boolean = false;
  /// For numbers: true if the number is an integer in [0, 2^64).
  bool isUnsigned = false;
  uint64_t u = 0;
  /// For numbers: the literal; for strings: the decoded text.
  std::string text;
  std::vector<JsonValue> items;
  std::vector<JsonMember> members;
};

struct JsonMember {
  std::string key;
  size_t keyAt = 0;
  JsonValue value;
};

const char *kindName(JsonValue::Kind k) {
  switch (k) {
  case JsonValue::Null:
    return "null";
  case JsonValue::Bool:
    return "a boolean";
  case JsonValue::Number:
    return "a number";
  case JsonValue::String:
    return "a string";
  case JsonValue::Array:
    return "an array";
  case JsonValue::Object:
    return "an object";
  }
  return "a value";
}

/// A strict RFC 8259 parser over the header bytes.
class JsonParser {
public:
  JsonParser(const std::string &text) : s(text) {}

  /// Whether parsing stopped at an object of more than kSafetensorsMaxKeys
  /// keys (at the object's offset), rather than at a syntax error.
  bool limitHit = false;

  /// Parses the whole text as one value followed only by whitespace. On
  /// failure, \p at and \p message say where and what.
  bool parseDocument(JsonValue &v, size_t &at, std::string &message) {
    bool ok = parseValue(v, 0);
    if (ok) {
      skipSpace();
      if (i < s.size())
        ok = fail("unexpected " + here() + " after the top-level value");
    }
    if (!ok) {
      at = errAt;
      message = err;
    }
    return ok;
  }

private:
  bool fail(const std::string &message) { return failAt(i, message); }
  bool failAt(size_t at, const std::string &message) {
    errAt = at;
    err = message;
    return false;
  }
  std::string here() const {
    if (i >= s.size())
      return "end of header";
    unsigned char c = uint8_t(s[i]);
    if (c >= 0x20 && c < 0x7f)
      return std::string("'") + char(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof(buf), "byte 0x%02x", c);
    return buf;
  }
  void skipSpace() {
    while (i < s.size() &&
           (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
      ++i;
  }
  bool literal(const char *word) {
    size_t n = std::strlen(word);
    if (s.compare(i, n, word) != 0)
      return fail("invalid literal: expected a value, found " + here());
    i += n;
    return true;
  }

  bool parseValue(JsonValue &v, unsigned depth);
  bool parseString(std::string &out);
  bool parseNumber(JsonValue &v);

  const std::string &s;
  size_t i = 0;
  size_t errAt = 0;
  std::string err;
};

bool JsonParser::parseValue(JsonValue &v, unsigned depth) {
  if (depth > kMaxJsonDepth)
    return fail("values nested more than " + std::to_string(kMaxJsonDepth) +
                " deep");
  skipSpace();
  v.at = i;
  if (i >= s.size())
    return fail("expected a value, found end of header");
  char c = s[i];
  if (c == '{') {
    v.kind = JsonValue::Object;
    std::unordered_set<std::string> keys; // filled past kScanKeys members
    ++i;
    skipSpace();
    if (i < s.size() && s[i] == '}') {
      ++i;
      return true;
    }
    while (true) {
      skipSpace();
      if (i >= s.size() || s[i] != '"')
        return fail("expected a quoted object key, found " + here());
      JsonMember m;
      m.keyAt = i;
      if (!parseString(m.key))
        return false;
      if (v.members.size() >= kSafetensorsMaxKeys) {
        limitHit = true;
        return failAt(v.at, "");
      }
      // Duplicates: a scan for the few keys of a tensor entry, a hash set
      // past them, so that a header of n keys parses in O(n).
      if (v.members.size() < kScanKeys) {
        for (const JsonMember &other : v.members)
          if (other.key == m.key)
            return failAt(m.keyAt, "duplicate key " + showName(m.key));
      } else {
        if (keys.empty())
          for (const JsonMember &other : v.members)
            keys.insert(other.key);
        if (!keys.insert(m.key).second)
          return failAt(m.keyAt, "duplicate key " + showName(m.key));
      }
      skipSpace();
      if (i >= s.size() || s[i] != ':')
        return fail("expected ':' after object key, found " + here());
      ++i;
      if (!parseValue(m.value, depth + 1))
        return false;
      v.members.push_back(std::move(m));
      skipSpace();
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == '}') {
        ++i;
        return true;
      }
      return fail("expected ',' or '}' in object, found " + here());
    }
  }
  if (c == '[') {
    v.kind = JsonValue::Array;
    ++i;
    skipSpace();
    if (i < s.size() && s[i] == ']') {
      ++i;
      return true;
    }
    while (true) {
      JsonValue item;
      if (!parseValue(item, depth + 1))
        return false;
      v.items.push_back(std::move(item));
      skipSpace();
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == ']') {
        ++i;
        return true;
      }
      return fail("expected ',' or ']' in array, found " + here());
    }
  }
  if (c == '"') {
    v.kind = JsonValue::String;
    return parseString(v.text);
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    v.kind = JsonValue::Number;
    return parseNumber(v);
  }
  if (c == 't') {
    v.kind = JsonValue::Bool;
    v.boolean = true;
    return literal("true");
  }
  if (c == 'f') {
    v.kind = JsonValue::Bool;
    return literal("false");
  }
  if (c == 'n') {
    v.kind = JsonValue::Null;
    return literal("null");
  }
  return fail("expected a value, found " + here());
}

bool JsonParser::parseString(std::string &out) {
  size_t open = i++;
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  auto hex4 = [&](size_t at, uint32_t &cp) {
    if (at + 4 > s.size())
      return false;
    cp = 0;
    for (size_t k = at; k < at + 4; ++k) {
      char h = s[k];
      int d = h >= '0' && h <= '9'   ? h - '0'
              : h >= 'a' && h <= 'f' ? h - 'a' + 10
              : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                     : -1;
      if (d < 0)
        return false;
      cp = cp * 16 + uint32_t(d);
    }
    return true;
  };
  while (true) {
    if (i >= s.size())
      return failAt(open, "unterminated string");
    unsigned char c = p[i];
    if (c == '"') {
      ++i;
      return true;
    }
    if (c < 0x20)
      return fail("unescaped control character in string");
    if (c == '\\') {
      if (i + 1 >= s.size())
        return failAt(open, "unterminated string");
      char e = s[i + 1];
      const char *simple = "\"\\/bfnrt";
      const char *repl = "\"\\/\b\f\n\r\t";
      if (const char *q = std::strchr(simple, e); q && e) {
        out += repl[q - simple];
        i += 2;
        continue;
      }
      if (e != 'u')
        return fail(std::string("invalid escape '\\") +
                    (uint8_t(e) >= 0x20 && uint8_t(e) < 0x7f ? e : '?') +
                    "' in string");
      uint32_t cp;
      if (!hex4(i + 2, cp))
        return fail("invalid \\u escape: expected 4 hex digits");
      size_t escAt = i;
      i += 6;
      if (cp >= 0xDC00 && cp <= 0xDFFF)
        return failAt(escAt, "unpaired low surrogate in \\u escape");
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        uint32_t lo;
        if (i + 1 >= s.size() || s[i] != '\\' || s[i + 1] != 'u' ||
            !hex4(i + 2, lo) || lo < 0xDC00 || lo > 0xDFFF)
          return failAt(escAt, "unpaired high surrogate in \\u escape");
        i += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      }
      if (cp < 0x80) {
        out += char(cp);
      } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
      } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
      }
      continue;
    }
    size_t len = utf8SequenceLength(p, s.size(), i);
    if (!len)
      return fail("invalid UTF-8 in string");
    out.append(s, i, len);
    i += len;
  }
}

bool JsonParser::parseNumber(JsonValue &v) {
  size_t start = i;
  bool negative = false;
  if (s[i] == '-') {
    negative = true;
    ++i;
  }
  if (i >= s.size() || s[i] < '0' || s[i] > '9')
    return fail("invalid number: expected a digit, found " + here());
  bool overflow = false;
  uint64_t u = 0;
  if (s[i] == '0') {
    ++i;
    if (i < s.size() && s[i] >= '0' && s[i] <= '9')
      return fail("invalid number: leading zero");
  } else {
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (__builtin_mul_overflow(u, uint64_t(10), &u) ||
          __builtin_add_overflow(u, uint64_t(s[i] - '0'), &u))
        overflow = true;
      ++i;
    }
  }
  bool integer = true;
  if (i < s.size() && s[i] == '.') {
    integer = false;
    ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9')
      return fail("invalid number: expected a digit after '.', found " +
                  here());
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    integer = false;
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
      ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9')
      return fail("invalid number: expected a digit in the exponent, found " +
                  here());
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
  }
  v.text = s.substr(start, i - start);
  v.isUnsigned = integer && !overflow && (!negative || u == 0);
  v.u = v.isUnsigned ? u : 0;
  return true;
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

/// Reads up to \p n bytes from \p fd into \p dst; sets \p got to the number
/// read (fewer only at end of file).
bool readFully(int fd, unsigned char *dst, size_t n, size_t &got) {
  got = 0;
  while (got < n) {
    size_t want = std::min<size_t>(n - got, size_t(1) << 30);
    ssize_t r = ::read(fd, dst + got, want);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return false;
    if (r == 0)
      break;
    got += size_t(r);
  }
  return true;
}

struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0)
      ::close(fd);
  }
};

/// Checks the parsed header against the safetensors schema and fills the
/// tensors and metadata of \p out (the data section is already there).
bool checkHeader(const std::string &path, const JsonValue &root,
                 SafetensorsFile &out, std::string &error) {
  const uint64_t base = 8; // file offset of the header
  auto at = [&](size_t a) {
    return " at byte offset " + std::to_string(base + a);
  };
  if (root.kind != JsonValue::Object) {
    error = fileError(path, std::string("header") + at(root.at) + " is " +
                                kindName(root.kind) + ", not a JSON object");
    return false;
  }
  for (const JsonMember &m : root.members) {
    const JsonValue &v = m.value;
    if (m.key == "__metadata__") {
      if (v.kind != JsonValue::Object) {
        error = fileError(path, "'__metadata__'" + at(v.at) + " is " +
                                    kindName(v.kind) + ", not an object");
        return false;
      }
      for (const JsonMember &e : v.members) {
        if (e.value.kind != JsonValue::String) {
          error = fileError(
              path, "metadata entry " + showName(e.key) + at(e.value.at) +
                        " is " + kindName(e.value.kind) + ", not a string");
          return false;
        }
        out.metadata[e.key] = e.value.text;
      }
      continue;
    }
    std::string what = "tensor " + showName(m.key);
    if (m.key.empty()) {
      error = fileError(path, "tensor with an empty name" + at(m.keyAt));
      return false;
    }
    if (v.kind != JsonValue::Object) {
      error = fileError(path, what + at(v.at) + ": expected an object, found " +
                                  kindName(v.kind));
      return false;
    }
    const JsonValue *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
    for (const JsonMember &f : v.members) {
      if (f.key == "dtype")
        dtype = &f.value;
      else if (f.key == "shape")
        shape = &f.value;
      else if (f.key == "data_offsets")
        offsets = &f.value;
    }
    for (auto [field, name] :
         {std::pair{dtype, "dtype"}, std::pair{shape, "shape"},
          std::pair{offsets, "data_offsets"}})
      if (!field) {
        error = fileError(path, what + at(v.at) + ": missing '" + name + "'");
        return false;
      }
    if (dtype->kind != JsonValue::String) {
      error = fileError(path, what + ": 'dtype'" + at(dtype->at) + " is " +
                                  kindName(dtype->kind) + ", not a string");
      return false;
    }
    const DTypeInfo *info = findDType(dtype->text);
    if (!info) {
      error = fileError(path, what + ": unknown dtype " +
                                  showName(dtype->text) + at(dtype->at));
      return false;
    }
    SafetensorsTensor t;
    t.name = m.key;
    t.dtype = info->name;
    if (shape->kind != JsonValue::Array) {
      error = fileError(path, what + ": 'shape'" + at(shape->at) + " is " +
                                  kindName(shape->kind) + ", not an array");
      return false;
    }
    for (const JsonValue &d : shape->items) {
      if (d.kind != JsonValue::Number || !d.isUnsigned ||
          d.u > uint64_t(std::numeric_limits<int64_t>::max())) {
        error = fileError(path, what + ": 'shape'" + at(d.at) + " holds " +
                                    (d.kind == JsonValue::Number
                                         ? "'" + d.text + "'"
                                         : std::string(kindName(d.kind))) +
                                    ", not a dimension (an integer >= 0)");
        return false;
      }
      t.shape.push_back(int64_t(d.u));
    }
    if (offsets->kind != JsonValue::Array || offsets->items.size() != 2 ||
        offsets->items[0].kind != JsonValue::Number ||
        offsets->items[1].kind != JsonValue::Number ||
        !offsets->items[0].isUnsigned || !offsets->items[1].isUnsigned) {
      error = fileError(path, what + ": 'data_offsets'" + at(offsets->at) +
                                  " must be an array of two integers >= 0");
      return false;
    }
    t.begin = offsets->items[0].u;
    t.end = offsets->items[1].u;
    std::string range =
        "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
    if (t.end < t.begin) {
      error = fileError(path, what + ": data_offsets " + range +
                                  at(offsets->at) + " end before they begin");
      return false;
    }
    uint64_t need = 0;
    std::string typeText = t.dtype + shapeString(t.shape);
    if (!tensorBytes(t.shape, info->size, need)) {
      error = fileError(path, what + ": the size of " + typeText +
                                  " overflows a 64-bit byte count");
      return false;
    }
    if (t.end - t.begin != need) {
      error =
          fileError(path, what + ": data_offsets " + range + " give " +
                              std::to_string(t.end - t.begin) + " bytes, but " +
                              typeText + " needs " + std::to_string(need));
      return false;
    }
    if (t.end > out.data.size()) {
      error = fileError(path, what + ": data_offsets " + range +
                                  " run past the end of the data section (" +
                                  std::to_string(out.data.size()) + " bytes)");
      return false;
    }
    out.tensors.push_back(std::move(t));
  }

  // The tensors must tile the data section: sorted by offset, each starts
  // where the previous one ends, and the last ends at the end of the file.
  std::sort(out.tensors.begin(), out.tensors.end(),
            [](const SafetensorsTensor &a, const SafetensorsTensor &b) {
              if (a.begin != b.begin)
                return a.begin < b.begin;
              if (a.end != b.end)
                return a.end < b.end;
              return a.name < b.name;
            });
  uint64_t expect = 0;
  const SafetensorsTensor *prev = nullptr;
  for (const SafetensorsTensor &t : out.tensors) {
    std::string range =
        "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
    if (t.begin < expect) {
      error = fileError(path, "tensor " + showName(t.name) + ": data_offsets " +
                                  range + " overlap tensor " +
                                  showName(prev->name) + " [" +
                                  std::to_string(prev->begin) + ", " +
                                  std::to_string(prev->end) + "]");
      return false;
    }
    if (t.begin > expect) {
      error = fileError(
          path, "tensor " + showName(t.name) + ": data_offsets " + range +
                    " leave bytes [" + std::to_string(expect) + ", " +
                    std::to_string(t.begin) + ") of the data section unused");
      return false;
    }
    expect = t.end;
    prev = &t;
  }
  if (expect != out.data.size()) {
    error = fileError(path, "the tensors cover " + std::to_string(expect) +
                                " bytes of data, but the file has " +
                                std::to_string(out.data.size()) +
                                " bytes after the header");
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Checksums
//===----------------------------------------------------------------------===//

constexpr const char *kDigestKey = "nnc.xxh3";
constexpr const char *kTensorSumPrefix = "nnc.xxh3.";

bool isChecksumKey(const std::string &key) {
  return key == kDigestKey ||
         key.compare(0, std::strlen(kTensorSumPrefix), kTensorSumPrefix) == 0;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)v);
  return buf;
}

bool parseHex64(const std::string &s, uint64_t &v) {
  if (s.size() != 16)
    return false;
  v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                   : -1;
    if (d < 0)
      return false;
    v = v << 4 | uint64_t(d);
  }
  return true;
}

/// A tensor's entry in the header, for the header's checksum.
struct HeaderEntry {
  const std::string *name, *dtype;
  const std::vector<int64_t> *shape;
  uint64_t begin, end;
};

/// The XXH3-64 of the header's contents in a canonical form (independent of
/// the JSON's spacing and key order): each metadata entry but "nnc.xxh3",
/// by key, then each tensor's name, dtype, shape and offsets, by name.
uint64_t headerDigest(const std::map<std::string, std::string> &metadata,
                      std::vector<HeaderEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const HeaderEntry &a, const HeaderEntry &b) {
              return *a.name < *b.name;
            });
  std::string canon;
  for (const auto &[key, value] : metadata)
    if (key != kDigestKey) {
      canon += key;
      canon += '\0';
      canon += value;
      canon += '\0';
    }
  canon += '\1';
  for (const HeaderEntry &e : entries) {
    canon += *e.name;
    canon += '\0';
    canon += *e.dtype;
    canon += '\0';
    for (int64_t d : *e.shape)
      canon += std::to_string(d) + ",";
    canon += '\0';
    canon += std::to_string(e.begin) + "," + std::to_string(e.end);
    canon += '\0';
  }
  return XXH3_64bits(canon.data(), canon.size());
}

/// Verifies nnc's checksums of a file that has them (see Checksums) and
/// removes them from its metadata.
bool verifyChecksums(const std::string &path, SafetensorsFile &f,
                     std::string &error) {
  bool any = false;
  for (const auto &[key, value] : f.metadata)
    any = any || isChecksumKey(key);
  if (!any)
    return true; // written by another tool
  auto digest = f.metadata.find(kDigestKey);
  uint64_t want = 0;
  if (digest == f.metadata.end() || !parseHex64(digest->second, want)) {
    error = fileError(path, digest == f.metadata.end()
                                ? "the header has tensor checksums but no "
                                  "'nnc.xxh3' (the file is corrupt)"
                                : "metadata entry 'nnc.xxh3' is not a "
                                  "checksum (16 hex digits): the file is "
                                  "corrupt");
    return false;
  }
  std::vector<HeaderEntry> entries;
  for (const SafetensorsTensor &t : f.tensors)
    entries.push_back({&t.name, &t.dtype, &t.shape, t.begin, t.end});
  uint64_t got = headerDigest(f.metadata, entries);
  if (got != want) {
    error = fileError(path, "the header does not match its checksum "
                            "'nnc.xxh3' (it hashes to " +
                                hex64(got) + ", the file records " +
                                digest->second + "): the file is corrupt");
    return false;
  }
  std::unordered_set<std::string> names;
  for (const SafetensorsTensor &t : f.tensors) {
    names.insert(t.name);
    auto sum = f.metadata.find(kTensorSumPrefix + t.name);
    if (sum == f.metadata.end()) {
      error = fileError(path, "tensor " + showName(t.name) +
                                  " has no checksum, but the file's other "
                                  "tensors do (the file is corrupt)");
      return false;
    }
    uint64_t recorded = 0;
    if (!parseHex64(sum->second, recorded)) {
      error = fileError(path, "metadata entry " + showName(sum->first) +
                                  " is not a checksum (16 hex digits): the "
                                  "file is corrupt");
      return false;
    }
    uint64_t h = XXH3_64bits(f.bytes(t), size_t(t.end - t.begin));
    if (h != recorded) {
      error = fileError(path, "tensor " + showName(t.name) +
                                  " does not match its checksum (its bytes "
                                  "hash to " +
                                  hex64(h) + ", the file records " +
                                  sum->second + "): the file is corrupt");
      return false;
    }
  }
  for (auto it = f.metadata.begin(); it != f.metadata.end();) {
    if (!isChecksumKey(it->first)) {
      ++it;
      continue;
    }
    if (it->first != kDigestKey &&
        !names.count(it->first.substr(std::strlen(kTensorSumPrefix)))) {
      error = fileError(path, "metadata entry " + showName(it->first) +
                                  " is the checksum of a tensor that the "
                                  "file does not have (the file is corrupt)");
      return false;
    }
    it = f.metadata.erase(it);
  }
  return true;
}

} // namespace

size_t safetensorsDTypeSize(const std::string &dtype) {
  const DTypeInfo *d = findDType(dtype);
  return d ? d->size : 0;
}

const SafetensorsTensor *SafetensorsFile::find(const std::string &name) const {
  if (!byName.empty() || tensors.empty()) {
    auto it = byName.find(name);
    return it == byName.end() ? nullptr : &tensors[it->second];
  }
  for (const SafetensorsTensor &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

static bool readSafetensorsImpl(const std::string &path, SafetensorsFile &out,
                                std::string &error) {
  out = SafetensorsFile();
  FdCloser fd;
  fd.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd.fd < 0) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (::fstat(fd.fd, &st) != 0) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "cannot open '" + path + "': " + std::strerror(EISDIR);
    return false;
  }
  bool regular = S_ISREG(st.st_mode);
  uint64_t fileSize = regular ? uint64_t(st.st_size) : 0;
  auto readError = [&]() {
    error = "cannot read '" + path + "': " + std::strerror(errno);
    return false;
  };

  unsigned char len8[8];
  size_t got = 0;
  if (!readFully(fd.fd, len8, 8, got))
    return readError();
  if (got == 0) {
    error = fileError(path, "empty file");
    return false;
  }
  if (got < 8) {
    error = fileError(path, "file too small: " + std::to_string(got) +
                                " bytes, but the header length alone takes "
                                "8");
    return false;
  }
  uint64_t n = 0;
  for (int k = 7; k >= 0; --k)
    n = (n << 8) | len8[k];
  if (n > kMaxHeaderBytes) {
    error = fileError(path, "header length " + std::to_string(n) +
                                " at byte offset 0 exceeds the limit of " +
                                std::to_string(kMaxHeaderBytes) +
                                " bytes (is this a safetensors file?)");
    return false;
  }
  if (regular && 8 + n > fileSize) {
    error = fileError(path, "header length " + std::to_string(n) +
                                " at byte offset 0 runs past the end of the "
                                "file (" +
                                std::to_string(fileSize) + " bytes)");
    return false;
  }
  if (n < 2) {
    error = fileError(path, "header length " + std::to_string(n) +
                                " at byte offset 0 is too small for a JSON "
                                "object");
    return false;
  }
  std::string header(size_t(n), '\0');
  if (!readFully(fd.fd, reinterpret_cast<unsigned char *>(&header[0]),
                 size_t(n), got))
    return readError();
  if (got < n) {
    error = fileError(path, "header length " + std::to_string(n) +
                                " at byte offset 0 runs past the end of the "
                                "file (" +
                                std::to_string(8 + got) + " bytes)");
    return false;
  }
  // JSON whitespace may precede the object, as the reference reader allows.
  size_t first = header.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || header[first] != '{') {
    error =
        fileError(path, "header does not start with '{' at byte offset " +
                            std::to_string(8 + std::min(first, header.size())) +
                            " (is this a safetensors file?)");
    return false;
  }

  SafetensorsFile f;
  // The data section.
  if (regular) {
    f.data.resize(size_t(fileSize - 8 - n));
    if (!readFully(fd.fd, f.data.data(), f.data.size(), got))
      return readError();
    f.data.resize(got);
  }
  while (true) { // the rest, for non-regular files or a file that grew
    unsigned char buf[65536];
    if (!readFully(fd.fd, buf, sizeof(buf), got))
      return readError();
    f.data.insert(f.data.end(), buf, buf + got);
    if (got < sizeof(buf))
      break;
  }

  JsonValue root;
  size_t errAt = 0;
  std::string message;
  JsonParser parser(header);
  if (!parser.parseDocument(root, errAt, message)) {
    if (parser.limitHit)
      error = fileError(path, "the JSON object at byte offset " +
                                  std::to_string(8 + errAt) +
                                  " of the header holds more than " +
                                  std::to_string(kSafetensorsMaxKeys) +
                                  " keys, the most nnc reads (tensors, or "
                                  "metadata entries)");
    else
      error = fileError(path, "invalid JSON header at byte offset " +
                                  std::to_string(8 + errAt) + ": " + message);
    return false;
  }
  if (!checkHeader(path, root, f, error) || !verifyChecksums(path, f, error))
    return false;
  for (size_t k = 0; k < f.tensors.size(); ++k)
    f.byName.emplace(f.tensors[k].name, k);
  out = std::move(f);
  return true;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

namespace {

/// Appends \p s as a JSON string the way serde_json writes it.
void appendJsonString(std::string &out, const std::string &s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else {
        out += char(c);
      }
    }
  }
  out += '"';
}

/// Writes all of \p n bytes; false with errno set on failure.
bool writeFully(int fd, const void *data, size_t n) {
  const auto *p = static_cast<const unsigned char *>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, std::min<size_t>(n, size_t(1) << 30));
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return false;
    if (w == 0) {
      errno = EIO;
      return false;
    }
    p += w;
    n -= size_t(w);
  }
  return true;
}

/// The directory part of \p path, for fsync: "." when it has none.
std::string parentDir(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

} // namespace

static bool
writeSafetensorsImpl(const std::string &path,
                     const std::vector<TensorRecord> &tensors,
                     const std::map<std::string, std::string> &userMetadata,
                     std::string &error, Checksums checksums) {
  if (path.empty() || path.back() == '/') {
    error = "cannot write '" + path + "': not a file name";
    return false;
  }
  // Validate every record first.
  std::vector<const DTypeInfo *> infos;
  for (size_t k = 0; k < tensors.size(); ++k) {
    const TensorRecord &t = tensors[k];
    std::string what = "tensor " + showName(t.name);
    if (t.name.empty()) {
      error =
          fileError(path, "tensor " + std::to_string(k) + " has an empty name");
      return false;
    }
    if (t.name == "__metadata__") {
      error = fileError(path, "'__metadata__' cannot name a tensor");
      return false;
    }
    if (!validUtf8(t.name)) {
      error = fileError(path, what + ": the name is not valid UTF-8");
      return false;
    }
    const DTypeInfo *info = findDType(t.dtype);
    if (!info) {
      error = fileError(path, what + ": unknown dtype " + showName(t.dtype));
      return false;
    }
    uint64_t need = 0;
    if (!tensorBytes(t.shape, info->size, need)) {
      error = fileError(path, what + ": invalid shape " + shapeString(t.shape) +
                                  " (a negative dimension, or a byte count "
                                  "that overflows)");
      return false;
    }
    if (need != t.bytes) {
      error = fileError(path, what + ": " + std::to_string(t.bytes) +
                                  " bytes of data, but " + info->name +
                                  shapeString(t.shape) + " needs " +
                                  std::to_string(need));
      return false;
    }
    if (t.bytes && !t.data) {
      error = fileError(path, what + ": no data");
      return false;
    }
    infos.push_back(info);
  }
  for (const auto &[key, value] : userMetadata) {
    if (!validUtf8(key) || !validUtf8(value)) {
      error = fileError(path, "metadata entry " + showName(key) +
                                  " is not valid UTF-8");
      return false;
    }
    if (checksums != Checksums::None && isChecksumKey(key)) {
      error = fileError(path, "metadata entry " + showName(key) +
                                  " would clash with the checksums");
      return false;
    }
  }

  // The reference order: descending dtype rank, then name.
  std::vector<size_t> order(tensors.size());
  for (size_t k = 0; k < order.size(); ++k)
    order[k] = k;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (infos[a]->rank != infos[b]->rank)
      return infos[a]->rank > infos[b]->rank;
    return tensors[a].name < tensors[b].name;
  });
  {
    std::vector<std::string> names;
    for (const TensorRecord &t : tensors)
      names.push_back(t.name);
    std::sort(names.begin(), names.end());
    for (size_t k = 1; k < names.size(); ++k)
      if (names[k] == names[k - 1]) {
        error = fileError(path, "duplicate tensor name " + showName(names[k]));
        return false;
      }
  }

  // The checksums: of each tensor's bytes, then of the header.
  const std::map<std::string, std::string> *metadataPtr = &userMetadata;
  std::map<std::string, std::string> withSums;
  if (checksums == Checksums::XXH3) {
    withSums = userMetadata;
    std::vector<HeaderEntry> entries;
    std::vector<std::string> dtypes(tensors.size());
    uint64_t at = 0;
    for (size_t k : order) {
      const TensorRecord &t = tensors[k];
      withSums[kTensorSumPrefix + t.name] = hex64(XXH3_64bits(
          t.bytes ? t.data : static_cast<const void *>(""), t.bytes));
      dtypes[k] = infos[k]->name;
      entries.push_back({&t.name, &dtypes[k], &t.shape, at, at + t.bytes});
      at += t.bytes;
    }
    withSums[kDigestKey] = hex64(headerDigest(withSums, entries));
    metadataPtr = &withSums;
  }
  const std::map<std::string, std::string> &metadata = *metadataPtr;

  removeStaleTemporaries(path);
  std::string header = "{";
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (const auto &[key, value] : metadata) {
      if (!first)
        header += ',';
      first = false;
      appendJsonString(header, key);
      header += ':';
      appendJsonString(header, value);
    }
    header += '}';
    first = false;
  }
  uint64_t offset = 0;
  for (size_t k : order) {
    const TensorRecord &t = tensors[k];
    if (!first)
      header += ',';
    first = false;
    appendJsonString(header, t.name);
    header += ":{\"dtype\":\"";
    header += infos[k]->name;
    header += "\",\"shape\":[";
    for (size_t d = 0; d < t.shape.size(); ++d)
      header += (d ? "," : "") + std::to_string(t.shape[d]);
    header += "],\"data_offsets\":[" + std::to_string(offset) + ",";
    offset += t.bytes;
    header += std::to_string(offset) + "]}";
  }
  header += '}';
  header.append((8 - header.size() % 8) % 8, ' ');
  unsigned char len8[8];
  for (int b = 0; b < 8; ++b)
    len8[b] = uint8_t(uint64_t(header.size()) >> (8 * b));

  // Write the temporary file.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(),
                  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) {
    error = fileError(path, "cannot create temporary file '" + tmp +
                                "': " + std::strerror(errno));
    return false;
  }
  auto abandon = [&](const std::string &what, uint64_t at) {
    int err = errno;
    if (fd >= 0)
      ::close(fd);
    ::unlink(tmp.c_str());
    error =
        fileError(path, what + " temporary file '" + tmp + "' at byte offset " +
                            std::to_string(at) + ": " + std::strerror(err));
    return false;
  };
  uint64_t written = 0;
  if (!writeFully(fd, len8, 8))
    return abandon("cannot write", written);
  written += 8;
  if (!writeFully(fd, header.data(), header.size()))
    return abandon("cannot write", written);
  written += header.size();
  for (size_t k : order) {
    if (tensors[k].bytes && !writeFully(fd, tensors[k].data, tensors[k].bytes))
      return abandon("cannot write tensor " + showName(tensors[k].name) + " to",
                     written);
    written += tensors[k].bytes;
  }
  if (::fsync(fd) != 0)
    return abandon("cannot fsync", written);
  int closeResult = ::close(fd);
  fd = -1;
  if (closeResult != 0)
    return abandon("cannot close", written);

  // Replace the target and make the rename durable.
  std::string dir = parentDir(path);
  int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0)
    return abandon("cannot open directory '" + dir + "' of the", written);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::close(dirFd);
    ::unlink(tmp.c_str());
    error = fileError(path, "cannot rename '" + tmp +
                                "' over it: " + std::strerror(err));
    return false;
  }
  if (::fsync(dirFd) != 0 && errno != EINVAL && errno != ENOTSUP) {
    int err = errno;
    ::close(dirFd);
    error = fileError(path, "written, but cannot fsync directory '" + dir +
                                "': " + std::strerror(err));
    return false;
  }
  ::close(dirFd);
  return true;
}

bool readSafetensors(const std::string &path, SafetensorsFile &out,
                     std::string &error) {
  return catchAllocFailure(path, error, [&] {
    if (readSafetensorsImpl(path, out, error))
      return true;
    out = SafetensorsFile();
    return false;
  });
}

bool writeSafetensors(const std::string &path,
                      const std::vector<TensorRecord> &tensors,
                      const std::map<std::string, std::string> &metadata,
                      std::string &error, Checksums checksums) {
  return catchAllocFailure(path, error, [&] {
    return writeSafetensorsImpl(path, tensors, metadata, error, checksums);
  });
}

void removeStaleTemporaries(const std::string &path) {
  size_t slash = path.find_last_of('/');
  std::string dir = parentDir(path);
  std::string prefix =
      (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  if (prefix.size() == 5) // no file name
    return;
  DIR *d = ::opendir(dir.c_str());
  if (!d)
    return;
  std::vector<std::string> stale;
  while (const struct dirent *e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() <= prefix.size() || name.size() > prefix.size() + 10 ||
        name.compare(0, prefix.size(), prefix) != 0)
      continue;
    std::string digits = name.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos ||
        digits[0] == '0')
      continue;
    long long pid = std::atoll(digits.c_str());
    if (pid <= 0 || pid > std::numeric_limits<pid_t>::max() ||
        pid_t(pid) == ::getpid())
      continue;
    if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH)
      continue; // alive, or not ours to judge (EPERM: another user's)
    std::string full = dir == "/" ? "/" + name : dir + "/" + name;
    struct stat st;
    if (::lstat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode))
      stale.push_back(full);
  }
  ::closedir(d);
  for (const std::string &f : stale)
    ::unlink(f.c_str());
}

} // namespace nnc::rt
