//===- Dataset.cpp - In-memory datasets and batches for nnc ---------------===//
//
// Implements the IDX and .npy loaders, the preprocessing functions and
// BatchLoader (the CSV loader is in CsvStream.cpp). The binary loaders
// validate the header with DataHeaders.h, then read the data through zlib's
// gz* interface (which reads gzip and raw files alike) a chunk at a time,
// converting each chunk to float or int64 as it arrives.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/Dataset.h"
#include "support/AllocFailure.h"

#include "nnc/runtime/CsvStream.h"
#include "nnc/runtime/DataHeaders.h"
#include "nnc/runtime/Rng.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <new>
#include <stdexcept>
#include <string_view>
#include <sys/stat.h>
#include <system_error>
#include <type_traits>
#include <unistd.h>

namespace nnc::rt {

int64_t Dataset::featureSize() const {
  int64_t p = 1;
  for (int64_t d : featureShape)
    p *= d;
  return p;
}

int64_t Dataset::targetSize() const {
  int64_t p = 1;
  for (int64_t d : targetShape)
    p *= d;
  return p;
}

namespace {

/// "'path': " + message.
std::string fileError(const std::string &path, const std::string &message) {
  return "'" + path + "': " + message;
}

std::string shapeString(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

/// Product of \p dims from index \p from on; false on int64 overflow.
bool dimsProduct(const std::vector<int64_t> &dims, size_t from,
                 int64_t &result) {
  int64_t p = 1;
  for (size_t i = from; i < dims.size(); ++i)
    if (dims[i] < 0 || __builtin_mul_overflow(p, dims[i], &p))
      return false;
  result = p;
  return true;
}

//===----------------------------------------------------------------------===//
// Element decoding
//===----------------------------------------------------------------------===//

enum class Elem { U8, I8, Bool, I16, U16, I32, U32, I64, U64, F16, F32, F64 };

/// The element type of a binary data file.
struct ElemType {
  Elem kind;
  unsigned size;
  bool bigEndian;
  bool isFloat() const {
    return kind == Elem::F16 || kind == Elem::F32 || kind == Elem::F64;
  }
};

/// The unsigned bits of an element of \p size bytes.
template <unsigned Size, bool BigEndian>
inline uint64_t loadBits(const unsigned char *p) {
  uint64_t v = 0;
  for (unsigned k = 0; k < Size; ++k)
    v |= uint64_t(p[k]) << (8 * (BigEndian ? Size - 1 - k : k));
  return v;
}

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13); // inf or nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign; // +-0
  } else {
    // Subnormal half: normalize.
    int e = -1;
    do {
      ++e;
      man <<= 1;
    } while ((man & 0x400) == 0);
    bits = sign | (uint32_t(112 - e) << 23) | ((man & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// Decodes \p count elements of kind K at \p src into \p dst, converting
/// each to Out.
template <Elem K, bool BE, typename Out>
void decodeRun(const unsigned char *src, size_t count, Out *dst) {
  for (size_t i = 0; i < count; ++i) {
    if constexpr (K == Elem::U8) {
      dst[i] = Out(src[i]);
    } else if constexpr (K == Elem::I8) {
      dst[i] = Out(int8_t(src[i]));
    } else if constexpr (K == Elem::Bool) {
      dst[i] = Out(src[i] != 0 ? 1 : 0);
    } else if constexpr (K == Elem::I16) {
      dst[i] = Out(int16_t(loadBits<2, BE>(src + 2 * i)));
    } else if constexpr (K == Elem::U16) {
      dst[i] = Out(uint16_t(loadBits<2, BE>(src + 2 * i)));
    } else if constexpr (K == Elem::I32) {
      dst[i] = Out(int32_t(loadBits<4, BE>(src + 4 * i)));
    } else if constexpr (K == Elem::U32) {
      dst[i] = Out(uint32_t(loadBits<4, BE>(src + 4 * i)));
    } else if constexpr (K == Elem::I64) {
      dst[i] = Out(int64_t(loadBits<8, BE>(src + 8 * i)));
    } else if constexpr (K == Elem::U64) {
      dst[i] = Out(loadBits<8, BE>(src + 8 * i));
    } else if constexpr (K == Elem::F16) {
      dst[i] = Out(halfToFloat(uint16_t(loadBits<2, BE>(src + 2 * i))));
    } else if constexpr (K == Elem::F32) {
      uint32_t b = uint32_t(loadBits<4, BE>(src + 4 * i));
      float f;
      std::memcpy(&f, &b, 4);
      dst[i] = Out(f);
    } else {
      uint64_t b = loadBits<8, BE>(src + 8 * i);
      double d;
      std::memcpy(&d, &b, 8);
      if constexpr (std::is_floating_point_v<Out>)
        dst[i] = Out(d);
      else // floats are never decoded as labels; keep the cast defined
        dst[i] = std::isfinite(d) && std::fabs(d) < 9.2e18 ? Out(d) : Out(0);
    }
  }
}

template <bool BE, typename Out>
void decodeKind(const ElemType &t, const unsigned char *src, size_t count,
                Out *dst) {
  switch (t.kind) {
  case Elem::U8:
    return decodeRun<Elem::U8, BE>(src, count, dst);
  case Elem::I8:
    return decodeRun<Elem::I8, BE>(src, count, dst);
  case Elem::Bool:
    return decodeRun<Elem::Bool, BE>(src, count, dst);
  case Elem::I16:
    return decodeRun<Elem::I16, BE>(src, count, dst);
  case Elem::U16:
    return decodeRun<Elem::U16, BE>(src, count, dst);
  case Elem::I32:
    return decodeRun<Elem::I32, BE>(src, count, dst);
  case Elem::U32:
    return decodeRun<Elem::U32, BE>(src, count, dst);
  case Elem::I64:
    return decodeRun<Elem::I64, BE>(src, count, dst);
  case Elem::U64:
    return decodeRun<Elem::U64, BE>(src, count, dst);
  case Elem::F16:
    return decodeRun<Elem::F16, BE>(src, count, dst);
  case Elem::F32:
    return decodeRun<Elem::F32, BE>(src, count, dst);
  case Elem::F64:
    return decodeRun<Elem::F64, BE>(src, count, dst);
  }
}

template <typename Out>
void decode(const ElemType &t, const unsigned char *src, size_t count,
            Out *dst) {
  if (t.bigEndian)
    decodeKind<true>(t, src, count, dst);
  else
    decodeKind<false>(t, src, count, dst);
}

bool idxElemType(uint8_t code, ElemType &t) {
  switch (code) {
  case 0x08:
    t = {Elem::U8, 1, true};
    return true;
  case 0x09:
    t = {Elem::I8, 1, true};
    return true;
  case 0x0B:
    t = {Elem::I16, 2, true};
    return true;
  case 0x0C:
    t = {Elem::I32, 4, true};
    return true;
  case 0x0D:
    t = {Elem::F32, 4, true};
    return true;
  case 0x0E:
    t = {Elem::F64, 8, true};
    return true;
  default:
    return false;
  }
}

bool npyElemType(const std::string &descr, ElemType &t) {
  const char *name = npyDTypeName(descr);
  if (!name)
    return false;
  static const struct {
    const char *name;
    Elem kind;
    unsigned size;
  } table[] = {
      {"f16", Elem::F16, 2}, {"f32", Elem::F32, 4}, {"f64", Elem::F64, 8},
      {"i8", Elem::I8, 1},   {"i16", Elem::I16, 2}, {"i32", Elem::I32, 4},
      {"i64", Elem::I64, 8}, {"u8", Elem::U8, 1},   {"u16", Elem::U16, 2},
      {"u32", Elem::U32, 4}, {"u64", Elem::U64, 8}, {"bool", Elem::Bool, 1}};
  for (const auto &e : table)
    if (std::strcmp(e.name, name) == 0) {
      t = {e.kind, e.size, false};
      return true;
    }
  return false;
}

//===----------------------------------------------------------------------===//
// Reading element data
//===----------------------------------------------------------------------===//

/// Where decoded elements go: exactly one of the two is set.
struct ElemSink {
  std::vector<float> *floats = nullptr;
  std::vector<int64_t> *ints = nullptr;
};

/// Reads a data file's bytes in order: the raw bytes, or, for a file that
/// starts with the gzip magic 1f 8b, the inflated data of its gzip members
/// (one or more, as `cat a.gz b.gz` makes). Unlike zlib's gz* interface it
/// knows where the compressed data ends, so that bytes after the last
/// member can be refused rather than silently ignored.
class DataStream {
public:
  /// How the data ended, or why it stopped.
  enum Status { Ok, End, ReadError, Truncated, Corrupt };

  DataStream() = default;
  DataStream(const DataStream &) = delete;
  DataStream &operator=(const DataStream &) = delete;
  ~DataStream() {
    if (inflating)
      inflateEnd(&zs);
    if (fd >= 0)
      ::close(fd);
  }

  /// Opens \p path (a regular file, see openDataFile).
  bool open(const std::string &path, std::string &error) {
    fd = openDataFile(path, error);
    if (fd < 0)
      return false;
    struct stat st;
    if (::fstat(fd, &st) == 0)
      size = uint64_t(st.st_size);
    in.resize(size_t(1) << 18);
    if (!fill(2))
      return true; // reported by the first read
    if (avail >= 2 && in[pos] == 0x1f && in[pos + 1] == 0x8b) {
      std::memset(&zs, 0, sizeof(zs));
      if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        error = "'" + path + "': cannot initialize zlib";
        return false;
      }
      inflating = true;
    }
    return true;
  }

  /// Copies up to \p n data bytes to \p dst and returns how many; fewer
  /// than \p n only when the data ends (status() End) or on an error.
  size_t read(unsigned char *dst, size_t n) {
    size_t got = 0;
    while (got < n && status == Ok) {
      if (!inflating) {
        if (avail == 0 && !fill(1))
          break;
        if (avail == 0) {
          status = End;
          break;
        }
        size_t take = std::min(n - got, avail);
        std::memcpy(dst + got, in.data() + pos, take);
        pos += take;
        avail -= take;
        got += take;
        continue;
      }
      if (memberEnded && !nextMember())
        break;
      if (avail == 0 && !fill(1))
        break;
      zs.next_in = in.data() + pos;
      zs.avail_in = uInt(avail);
      size_t room = std::min<size_t>(n - got, 1u << 30);
      zs.next_out = dst + got;
      zs.avail_out = uInt(room);
      int ret = inflate(&zs, Z_NO_FLUSH);
      size_t used = avail - zs.avail_in;
      pos += used;
      avail -= used;
      got += room - zs.avail_out;
      if (ret == Z_STREAM_END) {
        memberEnded = true;
      } else if (ret == Z_BUF_ERROR && avail == 0 && eof) {
        status = Truncated;
      } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
        status = Corrupt;
        zmsg = zs.msg ? zs.msg : "invalid data";
      }
    }
    produced += got;
    return got;
  }

  /// After the data, for a gzip file: reads on to the end of the current
  /// member, so that its trailer (the CRC and length of the data) is
  /// checked. Sets \p more when the member holds more data. False when
  /// the member is damaged.
  bool finishMember(bool &more) {
    unsigned char probe[256];
    more = false;
    while (inflating && !memberEnded && status == Ok)
      if (read(probe, sizeof probe) > 0) {
        more = true;
        return true;
      }
    return status == Ok || status == End;
  }

  Status state() const { return status; }
  /// The zlib message of a Corrupt stream.
  const std::string &zlibMessage() const { return zmsg; }
  /// Data bytes read so far.
  uint64_t bytesRead() const { return produced; }
  /// Compressed bytes taken from the file so far (all bytes of a raw file).
  uint64_t fileOffset() const { return consumed - avail; }
  bool gzip() const { return inflating; }
  /// The errno of a ReadError.
  int readErrno() const { return err; }

private:
  /// Tops up the input buffer to at least \p want bytes unless the file
  /// ends; false on a read error.
  bool fill(size_t want) {
    if (avail >= want || eof)
      return true;
    std::memmove(in.data(), in.data() + pos, avail);
    pos = 0;
    while (avail < want && !eof) {
      ssize_t r = ::read(fd, in.data() + avail, in.size() - avail);
      if (r < 0) {
        if (errno == EINTR)
          continue;
        err = errno;
        status = ReadError;
        return false;
      }
      if (r == 0)
        eof = true;
      avail += size_t(r);
      consumed += uint64_t(r);
    }
    return true;
  }

  /// At the end of a gzip member: starts the next one, or ends the data
  /// when the file ends. Anything else after a member stays unread, for
  /// trailingBytes(). False when the data ends.
  bool nextMember() {
    if (!fill(2))
      return false;
    if (avail >= 2 && in[pos] == 0x1f && in[pos + 1] == 0x8b) {
      inflateReset(&zs);
      memberEnded = false;
      return true;
    }
    status = End;
    return false;
  }

public:
  /// After the data ended: the file's bytes that follow the last gzip
  /// member (0 for a raw file).
  uint64_t trailingBytes() const {
    uint64_t at = fileOffset();
    return inflating && size > at ? size - at : 0;
  }
  /// The file's size in bytes.
  uint64_t fileSize() const { return size; }

private:
  int fd = -1;
  std::vector<unsigned char> in;
  size_t pos = 0, avail = 0;
  uint64_t consumed = 0, produced = 0, size = 0;
  bool eof = false, inflating = false, memberEnded = false;
  Status status = Ok;
  int err = 0;
  std::string zmsg;
  z_stream zs;
};

/// Reads \p samples samples of \p perSample elements of type \p t that start
/// at (decompressed) byte \p dataOffset of \p path, which may be raw or
/// gzip-compressed, into \p sink. With \p exact (IDX files), data after the
/// declared samples - more decompressed data, or bytes after the last gzip
/// member - is an error; otherwise it is ignored.
bool readElements(const std::string &path, uint64_t dataOffset,
                  const ElemType &t, int64_t samples, int64_t perSample,
                  ElemSink sink, std::string &error, bool exact) {
  int64_t count = 0, totalBytes = 0;
  if (!checkedMul(samples, perSample, count) ||
      !checkedMul(count, int64_t(t.size), totalBytes)) {
    error = fileError(path, "data size overflows a 64-bit byte count");
    return false;
  }
  DataStream in;
  if (!in.open(path, error))
    return false;
  const uint64_t fileSize = in.fileSize();

  std::vector<unsigned char> buf(size_t(1) << 20);
  // Skip the header.
  uint64_t skip = dataOffset;
  while (skip > 0) {
    size_t want = size_t(std::min<uint64_t>(skip, buf.size()));
    size_t got = in.read(buf.data(), want);
    skip -= got;
    if (got < want)
      break;
  }

  // Reserve the whole output when the file can plausibly hold it (deflate
  // expands at most about 1032:1), so that a corrupt header declaring
  // terabytes in a small file fails on its data, not on memory.
  auto reserve = [&](auto *vec) {
    if (!vec)
      return;
    vec->clear();
    if (fileSize != 0 && uint64_t(totalBytes) / 1032 <= fileSize)
      vec->reserve(size_t(count));
  };
  reserve(sink.floats);
  reserve(sink.ints);

  const size_t chunkElems = buf.size() / t.size;
  int64_t done = 0;
  bool failed = skip > 0;
  while (!failed && done < count) {
    size_t want = size_t(std::min<int64_t>(count - done, int64_t(chunkElems)));
    size_t got = in.read(buf.data(), want * t.size);
    size_t elems = got / t.size;
    if (sink.floats) {
      size_t old = sink.floats->size();
      sink.floats->resize(old + elems);
      float *dst = sink.floats->data() + old;
      decode(t, buf.data(), elems, dst);
      // Only float files can hold NaN or infinity, or a double beyond
      // float32's range; refuse them here, before a training step sees one.
      for (size_t k = 0; t.isFloat() && k < elems; ++k) {
        if (std::isfinite(dst[k]))
          continue;
        double src;
        decode(t, buf.data() + k * t.size, 1, &src);
        int64_t at = done + int64_t(k);
        std::string value = std::isnan(src)   ? "nan"
                            : std::isinf(src) ? (src < 0 ? "-inf" : "inf")
                                              : std::to_string(src);
        error = fileError(
            path,
            "sample " + std::to_string(at / perSample) + " of " +
                std::to_string(samples) + ", element " +
                std::to_string(at % perSample) + ": " +
                (std::isfinite(src)
                     ? "number out of the range of float32: " + value
                     : "not a finite number: " + value +
                           " (NaN and infinity are not allowed in data)"));
        return false;
      }
    } else {
      size_t old = sink.ints->size();
      sink.ints->resize(old + elems);
      decode(t, buf.data(), elems, sink.ints->data() + old);
    }
    done += int64_t(elems);
    if (got < want * t.size)
      failed = true;
  }
  bool inTrailer = false;
  if (!failed) {
    // Read on to the end of the gzip member, so that its trailer (the CRC
    // and length of the data) is checked.
    bool more = false;
    if (!in.finishMember(more))
      failed = inTrailer = true;
    if (!failed && !exact)
      return true;
    if (!failed) {
      // Nothing may follow: no more data, no further member with data, no
      // other bytes after the last member.
      unsigned char probe[1];
      if (!more)
        more = in.read(probe, 1) == 1;
      const uint64_t declared = dataOffset + uint64_t(totalBytes);
      if (more) {
        while (in.read(buf.data(), buf.size()) == buf.size())
          ;
        error = fileError(
            path, std::string("trailing data: the ") +
                      (in.gzip() ? "decompressed data holds " : "file holds ") +
                      (in.state() == DataStream::End ? "" : "more than ") +
                      std::to_string(in.bytesRead()) +
                      " bytes, but the header declares " +
                      std::to_string(declared));
        return false;
      }
      if (in.state() == DataStream::End) {
        uint64_t tail = in.trailingBytes();
        if (tail == 0)
          return true;
        error = fileError(path, "trailing data: " + std::to_string(tail) +
                                    (tail == 1 ? " byte" : " bytes") +
                                    " after the end of the gzip "
                                    "stream, at byte offset " +
                                    std::to_string(in.fileOffset()));
        return false;
      }
      failed = inTrailer = true; // a damaged member after the data
    }
  }

  int64_t sample = perSample > 0 ? done / perSample : 0;
  std::string where =
      "sample " + std::to_string(sample) + " of " + std::to_string(samples);
  if (skip > 0)
    where = "the header";
  if (inTrailer)
    where = "the gzip trailer, after the last sample";
  uint64_t offset = in.bytesRead();
  switch (in.state()) {
  case DataStream::ReadError:
    error = "cannot read '" + path + "': " + std::strerror(in.readErrno());
    break;
  case DataStream::Truncated:
    error = fileError(path, "truncated gzip stream: the data ends in " + where +
                                " (after " + std::to_string(offset) +
                                " decompressed bytes)");
    break;
  case DataStream::Corrupt:
    if (in.zlibMessage().find("check") != std::string::npos)
      error = fileError(path, "corrupt gzip stream: " + in.zlibMessage() +
                                  " (the data does not match the CRC or "
                                  "length in the gzip trailer)");
    else
      // zlib reads ahead, so the damage may lie somewhat after `where`.
      error =
          fileError(path, "corrupt gzip stream: " + in.zlibMessage() +
                              " (detected in " + where + ", after " +
                              std::to_string(offset) + " decompressed bytes)");
    break;
  default:
    error = fileError(
        path, "truncated data: " + where +
                  " is incomplete (the data ends at byte "
                  "offset " +
                  std::to_string(offset) + ", but the header declares " +
                  std::to_string(uint64_t(dataOffset) + uint64_t(totalBytes)) +
                  " bytes)");
  }
  return false;
}

} // namespace

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

/// A file of no samples (a first dimension of 0) gives an empty dataset,
/// which a training loop would skip and evaluate would average to NaN:
/// refused, naming the file.
static bool noSamples(const std::string &path, int64_t n, std::string &error) {
  if (n != 0)
    return false;
  error = fileError(path, "no samples (the first dimension is 0)");
  return true;
}

/// A sample of no elements (a dimension of 0 after the first) makes a
/// dataset of any number of empty samples: refused, naming the file.
static bool emptySamples(const std::string &path, int64_t n, int64_t size,
                         const std::vector<int64_t> &dims, std::string &error) {
  if (n == 0 || size != 0)
    return false;
  std::string shape;
  for (size_t i = 0; i < dims.size(); ++i)
    shape += (i ? ", " : "") + std::to_string(dims[i]);
  error = fileError(path, "shape [" + shape +
                              "] gives samples with no elements (a "
                              "dimension of 0 after the first)");
  return true;
}

static bool loadIdxImpl(const std::string &imagesPath,
                        const std::string &labelsPath, Dataset &out,
                        std::string &error) {
  out = Dataset();
  IdxHeader ih, lh;
  if (!readIdxHeader(imagesPath, ih, error) ||
      !readIdxHeader(labelsPath, lh, error))
    return false;
  ElemType it, lt;
  if (!idxElemType(ih.typeCode, it) || !idxElemType(lh.typeCode, lt)) {
    error = fileError(imagesPath, "unknown IDX type code");
    return false;
  }
  int64_t n = ih.dims[0];
  if (lh.dims[0] != n) {
    error = fileError(labelsPath, "has " + std::to_string(lh.dims[0]) +
                                      " labels, but '" + imagesPath + "' has " +
                                      std::to_string(n) + " samples");
    return false;
  }
  if (noSamples(imagesPath, n, error))
    return false;
  Dataset d;
  d.n = n;
  d.featureShape.assign(ih.dims.begin() + 1, ih.dims.end());
  d.targetShape.assign(lh.dims.begin() + 1, lh.dims.end());
  d.intTargets = !lt.isFloat();
  d.targetsPath = labelsPath;
  int64_t fs = 0, ts = 0;
  if (!dimsProduct(ih.dims, 1, fs) || !dimsProduct(lh.dims, 1, ts)) {
    error = fileError(imagesPath, "dimensions overflow a 64-bit size");
    return false;
  }
  if (emptySamples(imagesPath, n, fs, ih.dims, error) ||
      emptySamples(labelsPath, n, lh.dims.size() > 1 ? ts : 1, lh.dims, error))
    return false;
  ElemSink labels;
  if (d.intTargets)
    labels.ints = &d.labels;
  else
    labels.floats = &d.targets;
  if (!readElements(labelsPath, lh.headerBytes, lt, n, ts, labels, error, true))
    return false;
  ElemSink images;
  images.floats = &d.features;
  if (!readElements(imagesPath, ih.headerBytes, it, n, fs, images, error, true))
    return false;
  out = std::move(d);
  return true;
}

//===----------------------------------------------------------------------===//
// NumPy .npy
//===----------------------------------------------------------------------===//

namespace {

bool npyArray(const std::string &path, NpyHeader &h, ElemType &t,
              std::string &error) {
  if (!readNpyHeader(path, h, error))
    return false;
  if (!npyElemType(h.descr, t)) {
    error =
        fileError(path, "unsupported element type '" + escapeBytes(h.descr) +
                            "' (expected a little-endian bool, integer "
                            "or float type such as '<f4')");
    return false;
  }
  if (h.fortranOrder) {
    error = fileError(path, "Fortran-order arrays are not supported (save "
                            "the array with numpy.ascontiguousarray)");
    return false;
  }
  if (h.shape.empty()) {
    error = fileError(path, "0-d array: a dataset array needs a first "
                            "dimension for the samples");
    return false;
  }
  return true;
}

} // namespace

static bool loadNpyImpl(const std::string &inputsPath,
                        const std::string &targetsPath, Dataset &out,
                        std::string &error) {
  out = Dataset();
  NpyHeader ih, th;
  ElemType it, tt;
  if (!npyArray(inputsPath, ih, it, error) ||
      !npyArray(targetsPath, th, tt, error))
    return false;
  int64_t n = ih.shape[0];
  if (th.shape[0] != n) {
    error = fileError(targetsPath, "has " + std::to_string(th.shape[0]) +
                                       " samples, but '" + inputsPath +
                                       "' has " + std::to_string(n));
    return false;
  }
  if (noSamples(inputsPath, n, error))
    return false;
  Dataset d;
  d.n = n;
  d.featureShape.assign(ih.shape.begin() + 1, ih.shape.end());
  d.targetShape.assign(th.shape.begin() + 1, th.shape.end());
  d.intTargets = !tt.isFloat();
  d.targetsPath = targetsPath;
  int64_t fs = 0, ts = 0;
  if (!dimsProduct(ih.shape, 1, fs) || !dimsProduct(th.shape, 1, ts)) {
    error = fileError(inputsPath, "shape overflows a 64-bit size");
    return false;
  }
  if (emptySamples(inputsPath, n, fs, ih.shape, error) ||
      emptySamples(targetsPath, n, ts, th.shape, error))
    return false;
  ElemSink features;
  features.floats = &d.features;
  if (!readElements(inputsPath, ih.dataOffset, it, n, fs, features, error,
                    false))
    return false;
  ElemSink targets;
  if (d.intTargets)
    targets.ints = &d.labels;
  else
    targets.floats = &d.targets;
  if (!readElements(targetsPath, th.dataOffset, tt, n, ts, targets, error,
                    false))
    return false;
  out = std::move(d);
  return true;
}

bool loadIdx(const std::string &imagesPath, const std::string &labelsPath,
             Dataset &out, std::string &error) {
  return catchAllocFailure(imagesPath, error, [&] {
    if (loadIdxImpl(imagesPath, labelsPath, out, error))
      return true;
    out = Dataset();
    return false;
  });
}

bool loadNpy(const std::string &inputsPath, const std::string &targetsPath,
             Dataset &out, std::string &error) {
  return catchAllocFailure(inputsPath, error, [&] {
    if (loadNpyImpl(inputsPath, targetsPath, out, error))
      return true;
    out = Dataset();
    return false;
  });
}

//===----------------------------------------------------------------------===//
// Preprocessing
//===----------------------------------------------------------------------===//

void applyTransforms(const std::vector<FeatureTransform> &transforms, float *x,
                     int64_t rows, int64_t featureSize) {
  size_t fs = size_t(std::max<int64_t>(featureSize, 0));
  size_t count = size_t(std::max<int64_t>(rows, 0)) * fs;
  for (const FeatureTransform &t : transforms) {
    if (t.mean.empty()) {
      for (size_t i = 0; i < count; ++i)
        x[i] = x[i] * t.mul + t.add;
      continue;
    }
    for (size_t i = 0; i + fs <= count; i += fs)
      for (size_t j = 0; j < fs && j < t.mean.size(); ++j) {
        float sd = t.stddev[j] != 0.0f ? t.stddev[j] : 1.0f;
        x[i + j] = (x[i + j] - t.mean[j]) / sd;
      }
  }
}

void scale(Dataset &data, float mul, float add) {
  FeatureTransform t;
  t.mul = mul;
  t.add = add;
  if (data.stream) {
    data.transforms.push_back(std::move(t));
    return;
  }
  applyTransforms({t}, data.features.data(), int64_t(data.features.size()), 1);
}

namespace {

/// Welford's running mean and sum of squared deviations per feature.
struct StatsAccumulator {
  explicit StatsAccumulator(size_t fs) : mean(fs, 0.0), m2(fs, 0.0) {}
  void add(const float *row) {
    ++n;
    for (size_t j = 0; j < mean.size(); ++j) {
      double x = row[j];
      double delta = x - mean[j];
      mean[j] += delta / double(n);
      m2[j] += delta * (x - mean[j]);
    }
  }
  FeatureStats finish() const {
    FeatureStats st;
    st.mean.assign(mean.size(), 0.0f);
    st.stddev.assign(mean.size(), 1.0f);
    if (n == 0)
      return st;
    for (size_t j = 0; j < mean.size(); ++j) {
      st.mean[j] = float(mean[j]);
      st.stddev[j] = float(std::sqrt(m2[j] / double(n)));
    }
    return st;
  }
  std::vector<double> mean, m2;
  int64_t n = 0;
};

} // namespace

bool computeFeatureStats(const Dataset &data, FeatureStats &stats,
                         std::string &error) {
  size_t fs = size_t(std::max<int64_t>(data.featureSize(), 0));
  StatsAccumulator acc(fs);
  if (data.stream) {
    // One pass over the records, a block at a time.
    CsvCursor cursor(data.stream);
    const int64_t block = 4096;
    std::vector<float> x;
    for (int64_t at = 0; fs && at < data.n; at += block) {
      int64_t count = std::min(block, data.n - at);
      x.resize(size_t(count) * fs);
      if (!cursor.read(data.streamFirst + at, count, x.data(), nullptr, nullptr,
                       error))
        return false;
      applyTransforms(data.transforms, x.data(), count, int64_t(fs));
      for (int64_t r = 0; r < count; ++r)
        acc.add(x.data() + size_t(r) * fs);
    }
  } else {
    size_t n = fs ? std::min(size_t(std::max<int64_t>(data.n, 0)),
                             data.features.size() / fs)
                  : 0;
    for (size_t i = 0; i < n; ++i)
      acc.add(data.features.data() + i * fs);
  }
  stats = acc.finish();
  return true;
}

FeatureStats computeFeatureStats(const Dataset &data) {
  FeatureStats st;
  std::string error;
  computeFeatureStats(data, st, error);
  return st;
}

bool standardize(Dataset &data, const Dataset &statsFrom, std::string &error) {
  if (data.featureShape != statsFrom.featureShape) {
    error = "cannot standardize features of shape " +
            shapeString(data.featureShape) +
            " with the statistics of features of shape " +
            shapeString(statsFrom.featureShape);
    return false;
  }
  if (statsFrom.n <= 0) {
    error = "cannot standardize with the statistics of a dataset with no "
            "samples";
    return false;
  }
  FeatureTransform t;
  {
    FeatureStats st;
    if (!computeFeatureStats(statsFrom, st, error))
      return false;
    t.mean = std::move(st.mean);
    t.stddev = std::move(st.stddev);
  }
  if (t.mean.empty())
    return true;
  if (data.stream) {
    data.transforms.push_back(std::move(t));
    return true;
  }
  int64_t fs = int64_t(t.mean.size());
  applyTransforms({t}, data.features.data(), int64_t(data.features.size()) / fs,
                  fs);
  return true;
}

void split(const Dataset &data, double fraction, Dataset &first,
           Dataset &second) {
  int64_t n = std::max<int64_t>(data.n, 0);
  if (!(fraction > 0))
    fraction = 0;
  if (fraction > 1)
    fraction = 1;
  double x = double(n) * fraction;
  double k = std::floor(x);
  if (std::ceil(x) - x < 1e-9 * std::max(1.0, x))
    k = std::ceil(x);
  int64_t cut = std::min<int64_t>(n, int64_t(k));

  auto part = [&](int64_t from, int64_t to) {
    Dataset d;
    d.n = to - from;
    d.featureShape = data.featureShape;
    d.targetShape = data.targetShape;
    d.intTargets = data.intTargets;
    d.targetsPath = data.targetsPath;
    d.targetsFirst = data.targetsFirst + from;
    if (data.stream) {
      d.stream = data.stream;
      d.streamFirst = data.streamFirst + from;
      d.transforms = data.transforms;
      return d;
    }
    auto slice = [&](const auto &src, auto &dst, int64_t per) {
      size_t b = size_t(std::max<int64_t>(per, 0)) * size_t(from);
      size_t e = size_t(std::max<int64_t>(per, 0)) * size_t(to);
      b = std::min(b, src.size());
      e = std::min(e, src.size());
      dst.assign(src.begin() + b, src.begin() + e);
    };
    slice(data.features, d.features, data.featureSize());
    if (data.intTargets)
      slice(data.labels, d.labels, data.targetSize());
    else
      slice(data.targets, d.targets, data.targetSize());
    return d;
  };
  Dataset a = part(0, cut);
  Dataset b = part(cut, n);
  first = std::move(a);
  second = std::move(b);
}

//===----------------------------------------------------------------------===//
// Class labels
//===----------------------------------------------------------------------===//

bool checkClassLabels(const Dataset &data, int64_t classes,
                      const std::string &user, std::string &error) {
  if (!data.intTargets)
    return true;
  const int64_t ts = std::max<int64_t>(data.targetSize(), 1);
  auto bad = [&](int64_t sample, int64_t label) {
    std::string file = data.targetsPath.empty() ? std::string("the data")
                                                : "'" + data.targetsPath + "'";
    error = file + ": sample " + std::to_string(data.targetsFirst + sample) +
            " has the class label " + std::to_string(label) + ", but " + user +
            " has " + std::to_string(classes) + " classes (labels 0.." +
            std::to_string(classes - 1) + ")";
    return false;
  };
  if (!data.stream) {
    for (size_t i = 0; i < data.labels.size(); ++i)
      if (data.labels[i] < 0 || data.labels[i] >= classes)
        return bad(int64_t(i) / ts, data.labels[i]);
    return true;
  }
  // A streamed CSV dataset: one pass over its records, a block at a time.
  CsvCursor cursor(data.stream);
  const int64_t block = 4096;
  const size_t fs = size_t(std::max<int64_t>(data.featureSize(), 0));
  std::vector<float> x;
  std::vector<int64_t> labels;
  for (int64_t at = 0; at < data.n; at += block) {
    int64_t count = std::min(block, data.n - at);
    x.resize(size_t(count) * fs);
    labels.resize(size_t(count));
    if (!cursor.read(data.streamFirst + at, count, x.data(), labels.data(),
                     nullptr, error))
      return false;
    for (int64_t r = 0; r < count; ++r)
      if (labels[size_t(r)] < 0 || labels[size_t(r)] >= classes)
        return bad(at + r, labels[size_t(r)]);
  }
  return true;
}

//===----------------------------------------------------------------------===//
// BatchLoader
//===----------------------------------------------------------------------===//

namespace {

/// The number of samples \p d actually holds: n, or fewer if its vectors
/// are shorter.
int64_t heldSamples(const Dataset &d) {
  int64_t n = std::max<int64_t>(d.n, 0);
  int64_t fs = d.featureSize(), ts = d.targetSize();
  if (fs > 0)
    n = std::min(n, int64_t(d.features.size()) / fs);
  if (ts > 0)
    n = std::min(n, int64_t(d.intTargets ? d.labels.size() : d.targets.size()) /
                        ts);
  return n;
}

} // namespace

BatchLoader::BatchLoader(const Dataset &data, int64_t batch, bool shuffle,
                         bool dropLast, uint64_t seed)
    : data(&data), batchSize(batch), shuffle(shuffle), dropLast(dropLast),
      seed(seed) {
  startEpoch(0);
}

void BatchLoader::startEpoch(int64_t epoch) {
  currentEpoch = epoch;
  pos = 0;
  if (shuffle)
    randomPermutation(perm, heldSamples(*data), seed, shuffleStream(epoch));
  else
    perm.clear();
}

int64_t BatchLoader::numBatches() const {
  if (batchSize < 1)
    return 0;
  int64_t n = heldSamples(*data);
  return n / batchSize + (!dropLast && n % batchSize ? 1 : 0);
}

void BatchLoader::seek(int64_t batchIndex) {
  int64_t k = std::clamp<int64_t>(batchIndex, 0, numBatches());
  // k * batchSize may overflow for a batch size near 2^63 and k = 1.
  int64_t at = 0;
  pos = batchSize > 0
            ? (checkedMul(k, batchSize, at) ? std::min(at, heldSamples(*data))
                                            : heldSamples(*data))
            : 0;
}

bool BatchLoader::next(float *x, int64_t *labelsOrNull, float *targetsOrNull,
                       int64_t &rows) {
  rows = 0;
  if (batchSize < 1)
    return false;
  int64_t n = heldSamples(*data);
  if (shuffle && int64_t(perm.size()) != n)
    return false; // the dataset changed size since startEpoch
  int64_t left = n - pos;
  if (left <= 0 || (dropLast && left < batchSize))
    return false;
  int64_t take = std::min(left, batchSize);
  const size_t fs = size_t(std::max<int64_t>(data->featureSize(), 0));
  const size_t ts = size_t(std::max<int64_t>(data->targetSize(), 0));
  for (int64_t r = 0; r < take; ++r) {
    size_t s = size_t(shuffle ? perm[size_t(pos + r)] : pos + r);
    if (x && fs)
      std::memcpy(x + size_t(r) * fs, data->features.data() + s * fs,
                  fs * sizeof(float));
    if (!ts)
      continue;
    if (data->intTargets) {
      const int64_t *src = data->labels.data() + s * ts;
      if (labelsOrNull)
        std::memcpy(labelsOrNull + size_t(r) * ts, src, ts * sizeof(int64_t));
      if (targetsOrNull)
        for (size_t j = 0; j < ts; ++j)
          targetsOrNull[size_t(r) * ts + j] = float(src[j]);
    } else if (targetsOrNull) {
      std::memcpy(targetsOrNull + size_t(r) * ts, data->targets.data() + s * ts,
                  ts * sizeof(float));
    }
  }
  pos += take;
  rows = take;
  return true;
}

} // namespace nnc::rt
