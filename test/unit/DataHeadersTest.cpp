//===- DataHeadersTest.cpp - Tests of the data file header readers --------===//
//
// Unit tests of nnc::rt's IDX, CSV and .npy header readers. Every test writes
// the files it reads to a fresh temporary directory (raw and gzip IDX, CSV
// with quoting, BOM and CRLF, .npy v1/v2/v3), except the Fashion-MNIST tests,
// which read the real dataset headers when the dataset is installed. Error
// tests check that the message names the file and the problem; a last group
// feeds every truncation and many corruptions of valid files to the readers
// to check that they fail cleanly rather than crash.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/DataHeaders.h"

#include "TestFiles.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace nnc::rt;

namespace {

using nnc::test::gzipBytes;

const char *const kFashionDir = "/usr/share/datasets/fashion-mnist";

/// Big-endian u32.
std::string be32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i)
    s[i] = char((v >> (24 - 8 * i)) & 0xff);
  return s;
}

/// An IDX header for \p type and \p dims.
std::string idxHeader(uint8_t type, const std::vector<uint32_t> &dims) {
  std::string s{'\0', '\0', char(type), char(dims.size())};
  for (uint32_t d : dims)
    s += be32(d);
  return s;
}

/// A complete .npy file (header padded to 64 bytes as numpy does, then
/// \p dataBytes zero bytes) with the given dict text and format version.
std::string npyFile(const std::string &dict, int major = 1,
                    size_t dataBytes = 0) {
  size_t prefix = major == 1 ? 10 : 12;
  std::string h = dict;
  while ((prefix + h.size() + 1) % 64 != 0)
    h += ' ';
  h += '\n';
  std::string s = "\x93NUMPY";
  s += char(major);
  s += '\0';
  uint32_t len = uint32_t(h.size());
  for (size_t i = 0; i < prefix - 8; ++i)
    s += char((len >> (8 * i)) & 0xff);
  return s + h + std::string(dataBytes, '\0');
}

class DataHeadersTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "nnc-dataheaders-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    ASSERT_NE(mkdtemp(buf.data()), nullptr);
    dir = buf.data();
  }
  void TearDown() override {
    for (const std::string &f : files)
      ::unlink(f.c_str());
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it)
      ::rmdir(it->c_str());
    ::rmdir(dir.c_str());
  }

  /// Writes \p bytes to a file named \p name in the test's directory.
  std::string write(const std::string &name, const std::string &bytes) {
    std::string path = dir + "/" + name;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    EXPECT_TRUE(f.good()) << path;
    files.push_back(path);
    return path;
  }
  std::string makeDir(const std::string &name) {
    std::string path = dir + "/" + name;
    EXPECT_EQ(::mkdir(path.c_str(), 0700), 0);
    dirs.push_back(path);
    return path;
  }

  /// Expects readIdxHeader to fail on \p path with a message that names the
  /// file and contains \p what.
  void expectIdxError(const std::string &path, const std::string &what) {
    IdxHeader h;
    std::string err;
    EXPECT_FALSE(readIdxHeader(path, h, err)) << path;
    EXPECT_NE(err.find("'" + path + "'"), std::string::npos) << err;
    EXPECT_NE(err.find(what), std::string::npos) << err;
  }
  void expectCsvError(const std::string &path, const std::string &what) {
    CsvHeader h;
    std::string err;
    EXPECT_FALSE(readCsvHeader(path, h, err)) << path;
    EXPECT_NE(err.find("'" + path + "'"), std::string::npos) << err;
    EXPECT_NE(err.find(what), std::string::npos) << err;
  }
  void expectNpyError(const std::string &path, const std::string &what) {
    NpyHeader h;
    std::string err;
    EXPECT_FALSE(readNpyHeader(path, h, err)) << path;
    EXPECT_NE(err.find("'" + path + "'"), std::string::npos) << err;
    EXPECT_NE(err.find(what), std::string::npos) << err;
  }
  /// Writes a .npy v1 file with header dict \p dict and expects the reader
  /// to reject it with a message containing \p what.
  void expectBadDict(const std::string &dict, const std::string &what) {
    SCOPED_TRACE(dict);
    expectNpyError(write("bad.npy", npyFile(dict, 1, 4096)), what);
  }

  std::string dir;
  std::vector<std::string> files, dirs;
};

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

TEST_F(DataHeadersTest, FashionMnistRealHeaders) {
  struct stat st;
  if (::stat(kFashionDir, &st) != 0 || !S_ISDIR(st.st_mode))
    GTEST_SKIP() << kFashionDir << " does not exist";
  std::string base = kFashionDir;
  IdxHeader h;
  std::string err;
  ASSERT_TRUE(readIdxHeader(base + "/train-images-idx3-ubyte.gz", h, err))
      << err;
  EXPECT_EQ(h.typeCode, 0x08);
  EXPECT_STREQ(idxTypeName(h.typeCode), "u8");
  EXPECT_EQ(h.dims, (std::vector<int64_t>{60000, 28, 28}));
  EXPECT_EQ(h.headerBytes, 16u);

  ASSERT_TRUE(readIdxHeader(base + "/train-labels-idx1-ubyte.gz", h, err))
      << err;
  EXPECT_EQ(h.typeCode, 0x08);
  EXPECT_EQ(h.dims, (std::vector<int64_t>{60000}));
  EXPECT_EQ(h.headerBytes, 8u);

  ASSERT_TRUE(readIdxHeader(base + "/t10k-images-idx3-ubyte.gz", h, err))
      << err;
  EXPECT_EQ(h.dims, (std::vector<int64_t>{10000, 28, 28}));
  ASSERT_TRUE(readIdxHeader(base + "/t10k-labels-idx1-ubyte.gz", h, err))
      << err;
  EXPECT_EQ(h.dims, (std::vector<int64_t>{10000}));
}

TEST_F(DataHeadersTest, IdxRawAllTypes) {
  struct {
    uint8_t code;
    const char *name;
    size_t size;
  } types[] = {{0x08, "u8", 1},  {0x09, "i8", 1},  {0x0B, "i16", 2},
               {0x0C, "i32", 4}, {0x0D, "f32", 4}, {0x0E, "f64", 8}};
  for (const auto &t : types) {
    SCOPED_TRACE(t.name);
    std::string p =
        write(std::string("t.") + t.name,
              idxHeader(t.code, {2, 3, 5}) + std::string(30 * t.size, '\x7f'));
    IdxHeader h;
    std::string err;
    ASSERT_TRUE(readIdxHeader(p, h, err)) << err;
    EXPECT_EQ(h.typeCode, t.code);
    EXPECT_EQ(h.dims, (std::vector<int64_t>{2, 3, 5}));
    EXPECT_EQ(h.headerBytes, 16u);
    EXPECT_STREQ(idxTypeName(t.code), t.name);
    EXPECT_EQ(idxTypeSize(t.code), t.size);
  }
  EXPECT_EQ(idxTypeName(0x00), nullptr);
  EXPECT_EQ(idxTypeName(0x0A), nullptr);
  EXPECT_EQ(idxTypeName(0xFF), nullptr);
  EXPECT_EQ(idxTypeSize(0x0A), 0u);
}

TEST_F(DataHeadersTest, IdxGzipDetectedByMagicNotByName) {
  std::string raw = idxHeader(0x0D, {4, 7}) + std::string(4 * 28, '\0');
  // gzip data under a name without .gz, raw data under a .gz name.
  for (const auto &[name, bytes] :
       {std::pair<std::string, std::string>{"data.bin", gzipBytes(raw)},
        {"data.idx.gz", raw}}) {
    SCOPED_TRACE(name);
    IdxHeader h;
    std::string err;
    ASSERT_TRUE(readIdxHeader(write(name, bytes), h, err)) << err;
    EXPECT_EQ(h.typeCode, 0x0D);
    EXPECT_EQ(h.dims, (std::vector<int64_t>{4, 7}));
    EXPECT_EQ(h.headerBytes, 12u);
  }
}

TEST_F(DataHeadersTest, IdxMaxDimsAndZeroDims) {
  IdxHeader h;
  std::string err;
  std::vector<uint32_t> eight{1, 2, 1, 2, 1, 2, 1, 2};
  ASSERT_TRUE(readIdxHeader(
      write("eight.idx", idxHeader(0x08, eight) + std::string(16, 'x')), h,
      err))
      << err;
  EXPECT_EQ(h.dims, (std::vector<int64_t>{1, 2, 1, 2, 1, 2, 1, 2}));
  EXPECT_EQ(h.headerBytes, 36u);

  // A first dimension of 0 is a valid header (no samples: the loader
  // refuses it, naming the data statement).
  ASSERT_TRUE(
      readIdxHeader(write("zero.idx", idxHeader(0x0C, {0, 28})), h, err))
      << err;
  EXPECT_EQ(h.dims, (std::vector<int64_t>{0, 28}));

  // A 0 after the first makes samples of no elements: refused here, so
  // that it is not found only as a model's shape error.
  expectIdxError(write("zero2.idx", idxHeader(0x09, {3, 28, 28, 0, 0, 0, 0})),
                 "dimension 3 of 3x28x28x0x0x0x0 is 0 (at byte offset 16): "
                 "the samples would have no elements");
  expectIdxError(
      write("big.idx", gzipBytes(idxHeader(0x08, {0xFFFFFFFFu, 0}))),
      "dimension 1 of 4294967295x0 is 0 (at byte offset 8): the samples "
      "would have no elements");

  // Sizes use all 32 bits (big-endian, unsigned).
  ASSERT_TRUE(readIdxHeader(
      write("big1.idx", gzipBytes(idxHeader(0x08, {0xFFFFFFFFu, 1}))), h, err))
      << err;
  EXPECT_EQ(h.dims, (std::vector<int64_t>{4294967295LL, 1}));
}

TEST_F(DataHeadersTest, IdxRawTrailingData) {
  // Bytes after the data the header declares: refused, with both sizes.
  std::string p =
      write("long.idx", idxHeader(0x08, {2, 3}) + std::string(6, 'x') + "\n");
  IdxHeader h;
  std::string err;
  EXPECT_FALSE(readIdxHeader(p, h, err));
  EXPECT_EQ(err, "'" + p +
                     "': trailing data: the file has 19 bytes, but the "
                     "header declares 18 (12 of header and 6 of data)");
}

TEST_F(DataHeadersTest, NotRegularFiles) {
  // A FIFO must not block the open (no writer ever comes), and devices that
  // never end (/dev/zero, /dev/urandom) must not be read: each is refused,
  // naming the path and what it is, by every header reader.
  std::string fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  IdxHeader ih;
  CsvHeader ch;
  NpyHeader nh;
  std::string err;
  const std::string fifoError =
      "cannot open '" + fifo + "': a FIFO (named pipe), not a regular file";
  EXPECT_FALSE(readIdxHeader(fifo, ih, err));
  EXPECT_EQ(err, fifoError);
  EXPECT_FALSE(readCsvHeader(fifo, ch, err));
  EXPECT_EQ(err, fifoError);
  EXPECT_FALSE(readNpyHeader(fifo, nh, err));
  EXPECT_EQ(err, fifoError);
  for (const char *dev : {"/dev/zero", "/dev/urandom", "/dev/null"}) {
    const std::string devError = "cannot open '" + std::string(dev) +
                                 "': a character device, not a regular file";
    EXPECT_FALSE(readIdxHeader(dev, ih, err));
    EXPECT_EQ(err, devError);
    EXPECT_FALSE(readCsvHeader(dev, ch, err));
    EXPECT_EQ(err, devError);
    EXPECT_FALSE(readNpyHeader(dev, nh, err));
    EXPECT_EQ(err, devError);
  }
  // A symbolic link to a regular file is that file.
  std::string target = write("t.idx", idxHeader(0x08, {1, 2}) + "ab");
  std::string link = dir + "/link.idx";
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  EXPECT_TRUE(readIdxHeader(link, ih, err)) << err;
  int fd = openDataFile(target, err);
  ASSERT_GE(fd, 0) << err;
  EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0); // blocking again
  close(fd);
}

TEST_F(DataHeadersTest, IdxGzipMultiMember) {
  // `cat a.gz b.gz` splits the header across two gzip members.
  std::string raw = idxHeader(0x08, {3, 2});
  std::string p = write("multi.gz", gzipBytes(raw.substr(0, 6)) +
                                        gzipBytes(raw.substr(6) + "abcdef"));
  IdxHeader h;
  std::string err;
  ASSERT_TRUE(readIdxHeader(p, h, err)) << err;
  EXPECT_EQ(h.dims, (std::vector<int64_t>{3, 2}));
}

TEST_F(DataHeadersTest, IdxOpenErrors) {
  std::string missing = dir + "/no-such.idx";
  IdxHeader h;
  std::string err;
  EXPECT_FALSE(readIdxHeader(missing, h, err));
  EXPECT_EQ(err, "cannot open '" + missing + "': No such file or directory");

  std::string d = makeDir("adir");
  EXPECT_FALSE(readIdxHeader(d, h, err));
  EXPECT_EQ(err, "cannot open '" + d + "': Is a directory");

  std::string empty = write("empty.idx", "");
  EXPECT_FALSE(readIdxHeader(empty, h, err));
  EXPECT_EQ(err, "'" + empty + "': empty file");

  expectIdxError(write("empty.gz", gzipBytes("")),
                 "empty file (after gzip decompression)");
}

TEST_F(DataHeadersTest, IdxTruncatedHeader) {
  std::string nine = idxHeader(0x08, {60000, 28, 28}).substr(0, 9);
  std::string p = write("x.idx.gz", gzipBytes(nine));
  IdxHeader h;
  std::string err;
  EXPECT_FALSE(readIdxHeader(p, h, err));
  EXPECT_EQ(err, "'" + p + "': truncated header: expected 16 bytes, found 9");

  expectIdxError(write("raw9.idx", nine),
                 "truncated header: expected 16 bytes, found 9");
  expectIdxError(write("three.idx", std::string("\0\0\x08", 3)),
                 "truncated header: expected at least 4 bytes, found 3");
  expectIdxError(write("one.idx", std::string(1, '\0')),
                 "truncated header: expected at least 4 bytes, found 1");
}

TEST_F(DataHeadersTest, IdxBadMagicTypeAndDimCount) {
  IdxHeader h;
  std::string err;
  std::string p = write("zip.idx", "PK\x03\x04 not idx");
  EXPECT_FALSE(readIdxHeader(p, h, err));
  EXPECT_EQ(err, "'" + p +
                     "': not an IDX file: bad magic bytes 0x50 0x4b "
                     "(expected 0x00 0x00)");
  // Found even in a 2-byte file, and after gunzipping.
  expectIdxError(write("two.idx", "\x01"
                                  "A"),
                 "bad magic bytes 0x01 0x41");
  expectIdxError(write("gz.idx", gzipBytes(gzipBytes("abc"))),
                 "bad magic bytes 0x1f 0x8b");

  expectIdxError(write("type.idx", idxHeader(0x0A, {1}) + "x"),
                 "unknown IDX type code 0x0a at byte offset 2");
  expectIdxError(write("dims0.idx", idxHeader(0x08, {})),
                 "invalid dimension count 0 at byte offset 3 (expected 1 to "
                 "8)");
  expectIdxError(
      write("dims9.idx", idxHeader(0x08, {1, 1, 1, 1, 1, 1, 1, 1, 1}) + "x"),
      "invalid dimension count 9 at byte offset 3");
}

TEST_F(DataHeadersTest, IdxOverflowAndTruncatedData) {
  // 2^32-1 cubed overflows int64 as an element count.
  expectIdxError(
      write("huge.idx",
            idxHeader(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu})),
      "dimensions 4294967295x4294967295x4294967295 of u8 elements overflow "
      "a 64-bit byte count");
  // Fits as an element count but not as a byte count of f64.
  expectIdxError(
      write("huge8.gz", gzipBytes(idxHeader(0x0E, {0x80000000u, 0x80000000u}))),
      "overflow a 64-bit byte count");

  // A raw file shorter than its header declares.
  std::string p =
      write("short.idx", idxHeader(0x0C, {10, 10}) + std::string(399, '\0'));
  IdxHeader h;
  std::string err;
  EXPECT_FALSE(readIdxHeader(p, h, err));
  EXPECT_EQ(err, "'" + p +
                     "': truncated data: the header declares 400 bytes of "
                     "data after byte offset 12, found 399");
}

TEST_F(DataHeadersTest, IdxCorruptGzip) {
  std::string good =
      gzipBytes(idxHeader(0x08, {60000, 28, 28}) + std::string(5000, '\x11'));
  // A valid gzip header followed by an invalid deflate block type.
  std::string bad = good.substr(0, 10) + std::string("\xff\xff\xff\xff", 4);
  expectIdxError(write("corrupt.gz", bad), "corrupt gzip stream: ");
  // An unknown compression method in the gzip header.
  std::string method = good;
  method[2] = 7;
  expectIdxError(write("method.gz", method), "corrupt gzip stream: ");
  // The compressed data ends before the header has been inflated.
  expectIdxError(write("cut.gz", good.substr(0, 12)),
                 "truncated gzip stream: compressed data ends at byte offset");
  expectIdxError(write("magiconly.gz", "\x1f\x8b"), "truncated gzip stream");
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

TEST_F(DataHeadersTest, CsvSimpleAndFind) {
  CsvHeader h;
  std::string err;
  ASSERT_TRUE(
      readCsvHeader(write("a.csv", "x1, x2 ,\tlabel \n1,2,3\n"), h, err))
      << err;
  EXPECT_EQ(h.columns, (std::vector<std::string>{"x1", "x2", "label"}));
  EXPECT_EQ(findCsvColumn(h, "x1"), 0);
  EXPECT_EQ(findCsvColumn(h, "label"), 2);
  EXPECT_EQ(findCsvColumn(h, "x3"), -1);
  EXPECT_EQ(findCsvColumn(h, " x2 "), -1);

  // No final newline; one column; inner spaces kept.
  ASSERT_TRUE(readCsvHeader(write("b.csv", "sale price"), h, err)) << err;
  EXPECT_EQ(h.columns, (std::vector<std::string>{"sale price"}));
}

TEST_F(DataHeadersTest, CsvQuoting) {
  CsvHeader h;
  std::string err;
  ASSERT_TRUE(readCsvHeader(
      write("q.csv",
            "\"a,b\",\"say \"\"hi\"\"\", \"padded\" ,\"\",\"two\nlines\",x\n"
            "1,2,3,4,5,6\n"),
      h, err))
      << err;
  EXPECT_EQ(h.columns, (std::vector<std::string>{"a,b", "say \"hi\"", "padded",
                                                 "", "two\nlines", "x"}));
  EXPECT_EQ(findCsvColumn(h, "a,b"), 0);
  EXPECT_EQ(findCsvColumn(h, "say \"hi\""), 1);
  // Spaces inside quotes are kept.
  ASSERT_TRUE(readCsvHeader(write("s.csv", "\" a \",b\n"), h, err)) << err;
  EXPECT_EQ(h.columns, (std::vector<std::string>{" a ", "b"}));
}

TEST_F(DataHeadersTest, CsvBomCrlfAndEmptyNames) {
  CsvHeader h;
  std::string err;
  ASSERT_TRUE(readCsvHeader(
      write("bom.csv", "\xEF\xBB\xBFid,\"name\",score\r\n1,a,2\r\n"), h, err))
      << err;
  EXPECT_EQ(h.columns, (std::vector<std::string>{"id", "name", "score"}));
  EXPECT_EQ(findCsvColumn(h, "id"), 0);

  // A lone \r also ends the record (old Mac line endings).
  ASSERT_TRUE(readCsvHeader(write("cr.csv", "a,b\r1,2\r"), h, err)) << err;
  EXPECT_EQ(h.columns, (std::vector<std::string>{"a", "b"}));

  // pandas writes an unnamed index column; a trailing comma is an empty name.
  ASSERT_TRUE(readCsvHeader(write("pd.csv", ",a,b,\n"), h, err)) << err;
  EXPECT_EQ(h.columns, (std::vector<std::string>{"", "a", "b", ""}));
  EXPECT_EQ(findCsvColumn(h, "b"), 2);
}

TEST_F(DataHeadersTest, CsvErrors) {
  CsvHeader h;
  std::string err;
  std::string p = write("data.csv", "\n1,2\n");
  EXPECT_FALSE(readCsvHeader(p, h, err));
  EXPECT_EQ(err, "'" + p + "': line 1: empty header");
  expectCsvError(write("crlf.csv", "\r\na\r\n"), "line 1: empty header");
  expectCsvError(write("blank.csv", "   \t\nx\n"), "line 1: empty header");
  expectCsvError(write("bomonly.csv", "\xEF\xBB\xBF"), "line 1: empty header");

  std::string e = write("empty.csv", "");
  EXPECT_FALSE(readCsvHeader(e, h, err));
  EXPECT_EQ(err, "'" + e + "': empty file");

  std::string missing = dir + "/missing.csv";
  EXPECT_FALSE(readCsvHeader(missing, h, err));
  EXPECT_EQ(err, "cannot open '" + missing + "': No such file or directory");
  std::string d = makeDir("csvdir");
  EXPECT_FALSE(readCsvHeader(d, h, err));
  EXPECT_EQ(err, "cannot open '" + d + "': Is a directory");

  expectCsvError(write("unterm.csv", "a,\"b,c\n1,2\n"),
                 "line 1, column 3: unterminated quoted column name");
  expectCsvError(write("after.csv", "a,\"b\"x,c\n"),
                 "line 1, column 6: unexpected 'x' after closing quote");
  // Columns count from after a BOM; lines count inside quoted names.
  expectCsvError(write("bomcol.csv", "\xEF\xBB\xBF"
                                     "a,\"b\"x\n"),
                 "line 1, column 6: unexpected 'x' after closing quote");
  expectCsvError(write("lines.csv", "\"a\",\"b\r\nc\"x\n"),
                 "line 2, column 3: unexpected 'x' after closing quote");
  expectCsvError(write("inner.csv", "a,b\"c\n"),
                 "line 1, column 4: quote in unquoted column name");
  expectCsvError(write("dup.csv", "a,b,a\n"),
                 "line 1: duplicate column name 'a' (columns 1 and 3)");
  expectCsvError(write("nul.csv", std::string("ab\0c\n", 5)),
                 "unexpected NUL byte at byte offset 2 (is this a binary "
                 "file?)");
  expectCsvError(write("csv.gz", gzipBytes("a,b\n")),
                 "file is gzip-compressed; CSV files must be uncompressed");
  expectCsvError(write("long.csv", std::string((1 << 20) + 10, 'a') + "\n"),
                 "line 1: header longer than 1048576 bytes");
}

//===----------------------------------------------------------------------===//
// NumPy .npy
//===----------------------------------------------------------------------===//

TEST_F(DataHeadersTest, NpyV1) {
  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (600, 28, 28), }";
  std::string p = write("x.npy", npyFile(dict, 1, 600 * 28 * 28 * 4));
  NpyHeader h;
  std::string err;
  ASSERT_TRUE(readNpyHeader(p, h, err)) << err;
  EXPECT_EQ(h.descr, "<f4");
  EXPECT_FALSE(h.fortranOrder);
  EXPECT_EQ(h.shape, (std::vector<int64_t>{600, 28, 28}));
  EXPECT_EQ(h.dataOffset, 128u);
  EXPECT_STREQ(npyDTypeName(h.descr), "f32");
}

TEST_F(DataHeadersTest, NpyV2V3AndShapes) {
  NpyHeader h;
  std::string err;
  ASSERT_TRUE(readNpyHeader(
      write("v2.npy",
            npyFile("{'descr': '<i8', 'fortran_order': True, 'shape': (5,), }",
                    2, 40)),
      h, err))
      << err;
  EXPECT_EQ(h.descr, "<i8");
  EXPECT_TRUE(h.fortranOrder);
  EXPECT_EQ(h.shape, (std::vector<int64_t>{5}));
  EXPECT_EQ(h.dataOffset, 128u);

  ASSERT_TRUE(readNpyHeader(
      write("v3.npy",
            npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': ()}", 3,
                    1)),
      h, err))
      << err;
  EXPECT_EQ(h.descr, "|u1");
  EXPECT_TRUE(h.shape.empty());

  // Key order is free, double quotes and Python 2 long suffixes are fine,
  // dimensions may be 0, and unsupported dtypes are still read.
  ASSERT_TRUE(readNpyHeader(
      write("odd.npy", npyFile("{\"shape\": (3L, 0L), \"fortran_order\": "
                               "False, \"descr\": \"<U10\"}")),
      h, err))
      << err;
  EXPECT_EQ(h.descr, "<U10");
  EXPECT_EQ(h.shape, (std::vector<int64_t>{3, 0}));
  EXPECT_EQ(npyDTypeName(h.descr), nullptr);
}

TEST_F(DataHeadersTest, NpyDTypeNames) {
  struct {
    const char *descr, *name;
  } cases[] = {{"<f2", "f16"}, {"<f4", "f32"}, {"<f8", "f64"}, {"|i1", "i8"},
               {"<i2", "i16"}, {"<i4", "i32"}, {"<i8", "i64"}, {"|u1", "u8"},
               {"<u2", "u16"}, {"<u4", "u32"}, {"<u8", "u64"}, {"|b1", "bool"},
               {"=f4", "f32"}};
  for (const auto &c : cases)
    EXPECT_STREQ(npyDTypeName(c.descr), c.name) << c.descr;
  for (const char *bad : {">f4", ">i8", "|f4", "<c8", "|O", "<U10", "|S5",
                          "<M8[ns]", "f4", "", "<f16", "<b1x"})
    EXPECT_EQ(npyDTypeName(bad), nullptr) << bad;
}

TEST_F(DataHeadersTest, NpyPreambleErrors) {
  NpyHeader h;
  std::string err;
  std::string p =
      write("bad.npy", std::string("\x93NUMPX\x01\x00\x10\x00", 10));
  EXPECT_FALSE(readNpyHeader(p, h, err));
  EXPECT_EQ(err, "'" + p +
                     "': not a .npy file: bad magic bytes 0x93 0x4e 0x55 "
                     "0x4d 0x50 0x58 (expected \\x93NUMPY)");
  expectNpyError(write("e.npy", ""), "empty file");
  expectNpyError(write("short.npy", "\x93NUM"), "truncated header");
  expectNpyError(write("nolen.npy", std::string("\x93NUMPY\x01\x00\x76", 9)),
                 "truncated header: expected at least 10 bytes, found 9");
  expectNpyError(write("v4.npy", std::string("\x93NUMPY\x04\x00\x10\x00", 10)),
                 "unsupported .npy format version 4.0 at byte offset 6");
  expectNpyError(write("v11.npy", std::string("\x93NUMPY\x01\x01\x10\x00", 10)),
                 "unsupported .npy format version 1.1");

  // A 128-byte header of which only 30 bytes are present.
  std::string whole =
      npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }");
  p = write("cut.npy", whole.substr(0, 30));
  EXPECT_FALSE(readNpyHeader(p, h, err));
  EXPECT_EQ(err, "'" + p + "': truncated header: expected 128 bytes, found 30");

  // v2 header length of 2 MiB.
  expectNpyError(
      write("hugelen.npy",
            std::string("\x93NUMPY\x02\x00\x00\x00\x20\x00", 12) + "{}"),
      "header length 2097152 at byte offset 8 exceeds the limit of 1048576 "
      "bytes");
  expectNpyError(write("zerolen.npy", std::string("\x93NUMPY\x01\x00\0\0", 10)),
                 "header length at byte offset 8 is 0");
  expectNpyError(write("x.npy.gz", gzipBytes(whole)),
                 "file is gzip-compressed; .npy files must be uncompressed");
  expectNpyError(write("x.npz", "PK\x03\x04rest"), "zip archive (a .npz");

  std::string missing = dir + "/none.npy";
  EXPECT_FALSE(readNpyHeader(missing, h, err));
  EXPECT_EQ(err, "cannot open '" + missing + "': No such file or directory");
  std::string d = makeDir("npydir");
  EXPECT_FALSE(readNpyHeader(d, h, err));
  EXPECT_EQ(err, "cannot open '" + d + "': Is a directory");
}

TEST_F(DataHeadersTest, NpyMalformedDicts) {
  NpyHeader h;
  std::string err;
  std::string p =
      write("m.npy", npyFile("{'descr': '<f4', 'fortran_order': False}"));
  EXPECT_FALSE(readNpyHeader(p, h, err));
  EXPECT_EQ(err, "'" + p + "': .npy header dict has no 'shape' key");

  p = write("neg.npy", npyFile("{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (3, -4), }"));
  EXPECT_FALSE(readNpyHeader(p, h, err));
  // Offset 10 (preamble) + 54 (position of -4 in the dict).
  EXPECT_EQ(err, "'" + p +
                     "': malformed .npy header at byte offset 64: negative "
                     "dimension -4 in 'shape'");

  expectBadDict("{'descr': '<f4', 'shape': (1,)}",
                "has no 'fortran_order' key");
  expectBadDict("{'fortran_order': False, 'shape': (1,)}",
                "has no 'descr' key");
  expectBadDict("{}", "has no 'descr' key");
  expectBadDict("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4}",
                "expected ',' or ')', found '}'");
  expectBadDict("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4",
                "unbalanced '(': no matching ')'");
  expectBadDict("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)",
                "unbalanced '{': no matching '}'");
  expectBadDict("{'descr': '<f4', 'fortran_order': False, 'shape': ((3,),)}",
                "'shape' must be a tuple of integers");
  expectBadDict("{'descr': '<f4', 'fortran_order': False, 'shape': [3]}",
                "'shape' must be a tuple of integers");
  expectBadDict("{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}",
                "'fortran_order' must be True or False");
  expectBadDict("{'descr': 4, 'fortran_order': False, 'shape': (3,)}",
                "'descr' must be a string");
  expectBadDict("{'descr': [('x', '<f4')], 'fortran_order': False, "
                "'shape': (3,)}",
                "structured dtypes ('descr' is a list) are not supported");
  expectBadDict("{'descr' '<f4', 'fortran_order': False, 'shape': (3,)}",
                "expected ':' after key 'descr', found '''");
  expectBadDict("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), "
                "'extra': 1}",
                "unexpected key 'extra'");
  expectBadDict("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, "
                "'shape': (3,)}",
                "duplicate key 'descr'");
  expectBadDict("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} x",
                "unexpected 'x' after the dict");
  expectBadDict("{'descr': '<f4' 'fortran_order': False, 'shape': (3,)}",
                "expected ',' or '}', found '''");
  expectBadDict("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3,)}",
                "unexpected name 'Maybe'");
  expectBadDict("{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,)}",
                "expected an integer, found '.'");
  expectBadDict("{'descr': '<f4', 'fortran_order': False, 'shape': "
                "(99999999999999999999,)}",
                "integer too large");
  expectBadDict("['descr', '<f4']", "expected '{', found '['");
  expectBadDict("{'descr': '<f4', 'fortran_order': False, 'shape': " +
                    std::string(100, '(') + std::string(100, ')') + "}",
                "values nested too deeply");
}

TEST_F(DataHeadersTest, NpyOverflowAndTruncatedData) {
  expectBadDict("{'descr': '<f4', 'fortran_order': False, 'shape': "
                "(4294967296, 4294967296)}",
                "shape (4294967296x4294967296) overflows a 64-bit element "
                "count");
  expectBadDict("{'descr': '<f8', 'fortran_order': False, 'shape': "
                "(2147483648, 2147483648)}",
                "overflows a 64-bit byte count");
  std::string p = write(
      "short.npy",
      npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 1,
              47));
  NpyHeader h;
  std::string err;
  EXPECT_FALSE(readNpyHeader(p, h, err));
  EXPECT_EQ(err, "'" + p +
                     "': truncated data: the header declares 48 bytes of "
                     "data after byte offset 128, found 47");
}

//===----------------------------------------------------------------------===//
// Robustness: every prefix and many corruptions of valid files
//===----------------------------------------------------------------------===//

TEST_F(DataHeadersTest, TruncationsAndCorruptionsFailCleanly) {
  std::string idx = idxHeader(0x0D, {3, 4, 5}) + std::string(240, '\x01');
  std::string gz = gzipBytes(idx);
  std::string npy = npyFile(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4, 5), }", 1, 240);
  std::string csv = "\xEF\xBB\xBF\"a,b\",c ,\"d\"\"e\"\r\n1,2,3\r\n";

  auto check = [&](const std::string &bytes, auto reader, auto &header,
                   bool mustFail, const std::string &what) {
    std::string p = write("fuzz", bytes);
    std::string err;
    bool ok = reader(p, header, err);
    if (mustFail) {
      EXPECT_FALSE(ok) << what;
    }
    if (!ok) {
      EXPECT_NE(err.find("'" + p + "'"), std::string::npos)
          << what << ": " << err;
    }
  };
  IdxHeader ih;
  NpyHeader nh;
  CsvHeader ch;
  // Every proper prefix of the raw files is rejected (the data is checked
  // against the file size); every prefix of the gzip file either fails or,
  // once the header is inflated, yields the right header.
  for (size_t n = 0; n < idx.size(); ++n)
    check(idx.substr(0, n), readIdxHeader, ih, true,
          "idx prefix " + std::to_string(n));
  for (size_t n = 0; n < npy.size(); ++n)
    check(npy.substr(0, n), readNpyHeader, nh, true,
          "npy prefix " + std::to_string(n));
  for (size_t n = 0; n < gz.size(); ++n) {
    check(gz.substr(0, n), readIdxHeader, ih, false,
          "gz prefix " + std::to_string(n));
  }
  for (size_t n = 0; n < csv.size(); ++n)
    check(csv.substr(0, n), readCsvHeader, ch, false,
          "csv prefix " + std::to_string(n));

  // Flip each byte of the headers (and of the compressed stream) to several
  // values: the readers may accept or reject, but must not crash.
  const unsigned char values[] = {0x00, 0x01, 0x22, 0x27, 0x28, 0x29,
                                  0x2c, 0x7b, 0x7d, 0x80, 0xff};
  for (size_t i = 0; i < 128; ++i)
    for (unsigned char v : values) {
      std::string what =
          "byte " + std::to_string(i) + " = " + std::to_string(v);
      if (i < 20) {
        std::string c = idx;
        c[i] = char(v);
        check(c, readIdxHeader, ih, false, "idx " + what);
      }
      if (i < gz.size()) {
        std::string c = gz;
        c[i] = char(v);
        check(c, readIdxHeader, ih, false, "gz " + what);
      }
      std::string c = npy;
      c[i] = char(v);
      check(c, readNpyHeader, nh, false, "npy " + what);
      if (i < csv.size()) {
        c = csv;
        c[i] = char(v);
        check(c, readCsvHeader, ch, false, "csv " + what);
      }
    }
}

} // namespace
