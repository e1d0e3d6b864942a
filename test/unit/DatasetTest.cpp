//===- DatasetTest.cpp - Tests of the dataset loaders and batches ---------===//
//
// Unit tests of nnc::rt's IDX, CSV and .npy loaders, the preprocessing
// functions and BatchLoader. Every test writes the files it reads to a fresh
// temporary directory, except the Fashion-MNIST test, which loads the real
// dataset when it is installed and reports how long that took. Error tests
// check that the message names the file and the line or sample; the last
// group feeds truncated and corrupted files to the loaders to check that
// they fail cleanly rather than crash.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/Dataset.h"
#include "nnc/runtime/Rng.h"

#include "TestFiles.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

using namespace nnc::rt;

namespace {

using nnc::test::gzipBytes;
using nnc::test::TempDir;

const char *const kFashionDir = "/usr/share/datasets/fashion-mnist";

std::string be(uint64_t v, int bytes) {
  std::string s(size_t(bytes), '\0');
  for (int i = 0; i < bytes; ++i)
    s[size_t(i)] = char((v >> (8 * (bytes - 1 - i))) & 0xff);
  return s;
}

std::string le(uint64_t v, int bytes) {
  std::string s(size_t(bytes), '\0');
  for (int i = 0; i < bytes; ++i)
    s[size_t(i)] = char((v >> (8 * i)) & 0xff);
  return s;
}

std::string idxHeader(uint8_t type, const std::vector<uint32_t> &dims) {
  std::string s{'\0', '\0', char(type), char(dims.size())};
  for (uint32_t d : dims)
    s += be(d, 4);
  return s;
}

template <typename T> uint64_t bitsOf(T v) {
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof(T));
  return b;
}

/// A .npy v1.0 file with the given descr, shape text (e.g. "(4, 3)") and
/// raw data.
std::string npyFile(const std::string &descr, const std::string &shape,
                    const std::string &data, bool fortran = false) {
  std::string h = "{'descr': '" + descr +
                  "', 'fortran_order': " + (fortran ? "True" : "False") +
                  ", 'shape': " + shape + ", }";
  while ((10 + h.size() + 1) % 64 != 0)
    h += ' ';
  h += '\n';
  return std::string("\x93NUMPY\x01\x00", 8) + le(h.size(), 2) + h + data;
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

/// Three 2x2 u8 images (pixel k of image i is 10 * i + k) and labels 7, 0,
/// 9.
std::string smallImages() {
  std::string s = idxHeader(0x08, {3, 2, 2});
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 4; ++k)
      s += char(10 * i + k);
  return s;
}
std::string smallLabels() {
  return idxHeader(0x08, {3}) + std::string("\x07\x00\x09", 3);
}

TEST(DatasetTest, IdxRawAndGzip) {
  TempDir t;
  std::string raw[2] = {t.write("img", smallImages()),
                        t.write("lab", smallLabels())};
  std::string gz[2] = {t.write("img.gz", gzipBytes(smallImages())),
                       t.write("lab.gz", gzipBytes(smallLabels()))};
  for (auto *paths : {raw, gz}) {
    Dataset d;
    std::string err;
    ASSERT_TRUE(loadIdx(paths[0], paths[1], d, err)) << err;
    EXPECT_EQ(d.n, 3);
    EXPECT_EQ(d.featureShape, (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(d.featureSize(), 4);
    EXPECT_TRUE(d.intTargets);
    EXPECT_TRUE(d.targetShape.empty());
    EXPECT_EQ(d.labels, (std::vector<int64_t>{7, 0, 9}));
    EXPECT_TRUE(d.targets.empty());
    ASSERT_EQ(d.features.size(), 12u);
    EXPECT_EQ(d.features[0], 0.0f);
    EXPECT_EQ(d.features[5], 11.0f);
    EXPECT_EQ(d.features[11], 23.0f);
  }
}

TEST(DatasetTest, IdxElementTypesAreBigEndian) {
  TempDir t;
  // Two samples of one element each, per type.
  struct Case {
    uint8_t code;
    std::string data;
    float a, b;
  } cases[] = {
      {0x09, "\xff\x7f", -1.0f, 127.0f},
      {0x0B, be(uint16_t(-300), 2) + be(513, 2), -300.0f, 513.0f},
      {0x0C, be(uint32_t(-70000), 4) + be(16777216, 4), -70000.0f, 16777216.0f},
      {0x0D, be(bitsOf(1.5f), 4) + be(bitsOf(-0.25f), 4), 1.5f, -0.25f},
      {0x0E, be(bitsOf(2.5), 8) + be(bitsOf(-1e-3), 8), 2.5f, -1e-3f},
  };
  std::string labels = t.write("lab", idxHeader(0x08, {2}) + "\x01\x02");
  for (const Case &c : cases) {
    std::string img = t.write("img" + std::to_string(c.code),
                              idxHeader(c.code, {2}) + c.data);
    Dataset d;
    std::string err;
    ASSERT_TRUE(loadIdx(img, labels, d, err)) << err;
    EXPECT_TRUE(d.featureShape.empty());
    ASSERT_EQ(d.features.size(), 2u);
    EXPECT_EQ(d.features[0], c.a) << int(c.code);
    EXPECT_EQ(d.features[1], c.b) << int(c.code);
  }
  // Float label files give float targets, with their extra dimensions.
  std::string img = t.write("img2", idxHeader(0x08, {2, 1}) + "\x05\x06");
  std::string ft =
      t.write("ft", idxHeader(0x0D, {2, 2}) + be(bitsOf(0.5f), 4) +
                        be(bitsOf(1.0f), 4) + be(bitsOf(-2.0f), 4) +
                        be(bitsOf(3.0f), 4));
  Dataset d;
  std::string err;
  ASSERT_TRUE(loadIdx(img, ft, d, err)) << err;
  EXPECT_FALSE(d.intTargets);
  EXPECT_EQ(d.targetShape, (std::vector<int64_t>{2}));
  EXPECT_EQ(d.targets, (std::vector<float>{0.5f, 1.0f, -2.0f, 3.0f}));
  EXPECT_TRUE(d.labels.empty());
}

TEST(DatasetTest, IdxCountMismatch) {
  TempDir t;
  std::string img = t.write("img", smallImages());
  std::string lab = t.write("lab", idxHeader(0x08, {2}) + "\x01\x02");
  Dataset d;
  std::string err;
  EXPECT_FALSE(loadIdx(img, lab, d, err));
  EXPECT_EQ(err,
            "'" + lab + "': has 2 labels, but '" + img + "' has 3 samples");
  EXPECT_EQ(d.n, 0);
}

TEST(DatasetTest, IdxTruncatedGzipNamesTheSample) {
  TempDir t;
  // 100 samples of 64 incompressible-ish bytes, so that cutting the
  // compressed stream in half stops it somewhere in the middle.
  std::string raw = idxHeader(0x08, {100, 64});
  uint32_t x = 1;
  for (int i = 0; i < 6400; ++i) {
    x = x * 1664525u + 1013904223u;
    raw += char(x >> 24);
  }
  std::string gz = gzipBytes(raw);
  std::string img = t.write("img.gz", gz.substr(0, gz.size() / 2));
  std::string lab =
      t.write("lab", idxHeader(0x08, {100}) + std::string(100, '\x01'));
  Dataset d;
  std::string err;
  EXPECT_FALSE(loadIdx(img, lab, d, err));
  EXPECT_TRUE(contains(err, "'" + img + "': truncated gzip stream")) << err;
  EXPECT_TRUE(contains(err, "sample ")) << err;
  EXPECT_TRUE(contains(err, " of 100")) << err;
  EXPECT_TRUE(d.features.empty());
}

TEST(DatasetTest, IdxShortDataNamesTheSample) {
  TempDir t;
  // A complete gzip stream holding 2.5 of the 3 declared samples (the
  // header of a 3-dimensional IDX file is 16 bytes).
  std::string raw = smallImages().substr(0, 16 + 10);
  std::string img = t.write("img.gz", gzipBytes(raw));
  std::string lab = t.write("lab", smallLabels());
  Dataset d;
  std::string err;
  EXPECT_FALSE(loadIdx(img, lab, d, err));
  EXPECT_EQ(err, "'" + img +
                     "': truncated data: sample 2 of 3 is incomplete "
                     "(the data ends at byte offset 26, but the "
                     "header declares 28 bytes)");
}

TEST(DatasetTest, IdxCorruptGzip) {
  TempDir t;
  std::string raw = idxHeader(0x08, {50, 40});
  for (int i = 0; i < 2000; ++i)
    raw += char(i * 7 % 251);
  std::string gz = gzipBytes(raw);
  for (size_t k = 20; k < gz.size() - 8; k += 3)
    gz[k] = char(gz[k] ^ 0x5a);
  std::string img = t.write("img.gz", gz);
  std::string lab =
      t.write("lab", idxHeader(0x08, {50}) + std::string(50, '\x01'));
  Dataset d;
  std::string err;
  EXPECT_FALSE(loadIdx(img, lab, d, err));
  EXPECT_TRUE(contains(err, "'" + img + "': corrupt gzip stream: ")) << err;
  EXPECT_FALSE(contains(err, "<fd:")) << err;

  // Damage that inflate cannot see is caught by the CRC and length in the
  // gzip trailer; a missing trailer is a truncation.
  std::string good = gzipBytes(smallImages());
  std::string lab3 = t.write("lab3", smallLabels());
  for (size_t k : {good.size() - 6, good.size() - 2}) {
    std::string bad = good;
    bad[k] = char(bad[k] ^ 0xff);
    img = t.write("trailer.gz", bad);
    EXPECT_FALSE(loadIdx(img, lab3, d, err));
    EXPECT_TRUE(contains(err, "'" + img + "': corrupt gzip stream: incorrect "))
        << err;
    EXPECT_TRUE(contains(err, "(the data does not match the CRC or length in "
                              "the gzip trailer)"))
        << err;
  }
  img = t.write("cut.gz", good.substr(0, good.size() - 8));
  EXPECT_FALSE(loadIdx(img, lab3, d, err));
  EXPECT_EQ(err, "'" + img +
                     "': truncated gzip stream: the data ends in the "
                     "gzip trailer, after the last sample (after 28 "
                     "decompressed bytes)");
  // Another gzip member is fine (as `cat a.gz b.gz` makes); bytes after
  // the gzip stream and data beyond what the header declares are errors
  // naming the file, in the member or in a further one.
  img = t.write("two.gz", gzipBytes(smallImages().substr(0, 20)) +
                              gzipBytes(smallImages().substr(20)));
  ASSERT_TRUE(loadIdx(img, lab3, d, err)) << err;
  EXPECT_EQ(d.features[11], 23.0f);
  img = t.write("tail.gz", good + "trailing junk");
  EXPECT_FALSE(loadIdx(img, lab3, d, err));
  EXPECT_EQ(err, "'" + img +
                     "': trailing data: 13 bytes after the end of the gzip "
                     "stream, at byte offset " +
                     std::to_string(good.size()));
  EXPECT_TRUE(d.features.empty());
  img = t.write("more.gz", gzipBytes(smallImages() + "more"));
  EXPECT_FALSE(loadIdx(img, lab3, d, err));
  EXPECT_EQ(err, "'" + img +
                     "': trailing data: the decompressed data holds 32 "
                     "bytes, but the header declares 28");
  img = t.write("more2.gz", good + gzipBytes("more"));
  EXPECT_FALSE(loadIdx(img, lab3, d, err));
  EXPECT_EQ(err, "'" + img +
                     "': trailing data: the decompressed data holds 32 "
                     "bytes, but the header declares 28");
  // An empty member after the data adds nothing and is fine.
  img = t.write("empty-member.gz", good + gzipBytes(""));
  EXPECT_TRUE(loadIdx(img, lab3, d, err)) << err;
  // Trailing garbage after the labels' gzip stream is found too.
  std::string labTail = t.write("lab-tail.gz", gzipBytes(smallLabels()) + "x");
  img = t.write("img.gz", good);
  EXPECT_FALSE(loadIdx(img, labTail, d, err));
  EXPECT_TRUE(contains(err, "'" + labTail + "': trailing data: 1 byte after "))
      << err;
}

TEST(DatasetTest, IdxRawTrailingDataAndZeroDimensions) {
  TempDir t;
  std::string lab = t.write("lab", smallLabels());
  std::string img = t.write("img", smallImages() + "xy");
  Dataset d;
  std::string err;
  EXPECT_FALSE(loadIdx(img, lab, d, err));
  EXPECT_EQ(err, "'" + img +
                     "': trailing data: the file has 30 bytes, but the "
                     "header declares 28 (16 of header and 12 of data)");
  // A size of 0 after the first: samples of no elements.
  img = t.write("zero.idx", idxHeader(0x09, {3, 28, 28, 0, 0, 0, 0}));
  EXPECT_FALSE(loadIdx(img, lab, d, err));
  EXPECT_EQ(err, "'" + img +
                     "': dimension 3 of 3x28x28x0x0x0x0 is 0 (at byte offset "
                     "16): the samples would have no elements");
  img = t.write("zero.idx.gz", gzipBytes(idxHeader(0x08, {3, 0, 2})));
  EXPECT_FALSE(loadIdx(img, lab, d, err));
  EXPECT_EQ(err, "'" + img +
                     "': dimension 1 of 3x0x2 is 0 (at byte offset 8): the "
                     "samples would have no elements");
}

TEST(DatasetTest, DataPathsMustBeRegularFiles) {
  TempDir t;
  std::string lab = t.write("lab", smallLabels());
  std::string img = t.write("img", smallImages());
  std::string fifo = t.path("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Dataset d;
  std::string err;
  // A FIFO with no writer: refused at once, not a wait in open().
  EXPECT_FALSE(loadIdx(fifo, lab, d, err));
  EXPECT_EQ(err, "cannot open '" + fifo +
                     "': a FIFO (named pipe), not a regular file");
  EXPECT_FALSE(loadIdx(img, fifo, d, err));
  EXPECT_EQ(err, "cannot open '" + fifo +
                     "': a FIFO (named pipe), not a regular file");
  EXPECT_FALSE(loadIdx("/dev/zero", lab, d, err));
  EXPECT_EQ(err,
            "cannot open '/dev/zero': a character device, not a regular file");
  EXPECT_FALSE(loadNpy("/dev/urandom", fifo, d, err));
  EXPECT_EQ(err, "cannot open '/dev/urandom': a character device, not a "
                 "regular file");
  EXPECT_FALSE(loadCsv(fifo, "c", {}, false, d, err));
  EXPECT_EQ(err, "cannot open '" + fifo +
                     "': a FIFO (named pipe), not a regular file");
  EXPECT_FALSE(loadCsv("/dev/zero", "c", {}, false, d, err));
  EXPECT_EQ(err,
            "cannot open '/dev/zero': a character device, not a regular file");
  EXPECT_FALSE(loadCsv(t.path(""), "c", {}, false, d, err));
  EXPECT_TRUE(contains(err, "': Is a directory")) << err;
}

TEST(DatasetTest, ClassLabelsAreCheckedAgainstTheClassCount) {
  TempDir t;
  std::string img = t.write("img", smallImages());
  std::string lab = t.write("lab", smallLabels()); // labels 7, 0, 9
  Dataset d;
  std::string err;
  ASSERT_TRUE(loadIdx(img, lab, d, err)) << err;
  EXPECT_TRUE(checkClassLabels(d, 10, "the loss", err)) << err;
  EXPECT_FALSE(checkClassLabels(d, 8, "the loss here", err));
  EXPECT_EQ(err, "'" + lab +
                     "': sample 2 has the class label 9, but the loss here "
                     "has 8 classes (labels 0..7)");
  // The second part of a split names the sample by its place in the file.
  Dataset a, b;
  split(d, 0.5, a, b);
  EXPECT_TRUE(checkClassLabels(a, 8, "x", err)) << err;
  EXPECT_FALSE(checkClassLabels(b, 8, "x", err));
  EXPECT_EQ(err, "'" + lab +
                     "': sample 2 has the class label 9, but x has 8 classes "
                     "(labels 0..7)");
  // Negative labels (i8 IDX labels).
  std::string neg =
      t.write("neg", idxHeader(0x09, {3}) + std::string("\x01\xfe\x00", 3));
  ASSERT_TRUE(loadIdx(img, neg, d, err)) << err;
  EXPECT_FALSE(checkClassLabels(d, 10, "the loss", err));
  EXPECT_EQ(err, "'" + neg +
                     "': sample 1 has the class label -2, but the loss has 10 "
                     "classes (labels 0..9)");
  // CSV labels, in memory and streamed from the file.
  std::string csv = t.write("x.csv", "a,c\n1,0\n2,1\n3,5\n4,1\n");
  for (int64_t limit : {int64_t(-1), int64_t(0)}) {
    ASSERT_TRUE(loadCsv(csv, "c", {}, true, d, err, limit)) << err;
    EXPECT_EQ(bool(d.stream), limit == 0);
    EXPECT_FALSE(checkClassLabels(d, 3, "the loss", err));
    EXPECT_EQ(err, "'" + csv +
                       "': sample 2 has the class label 5, but the loss has "
                       "3 classes (labels 0..2)");
    split(d, 0.5, a, b);
    EXPECT_TRUE(checkClassLabels(a, 3, "the loss", err)) << err;
    EXPECT_FALSE(checkClassLabels(b, 3, "the loss", err));
    EXPECT_TRUE(contains(err, "': sample 2 has the class label 5")) << err;
  }
}

TEST(DatasetTest, FashionMnistTrainingSet) {
  std::string img = std::string(kFashionDir) + "/train-images-idx3-ubyte.gz";
  std::string lab = std::string(kFashionDir) + "/train-labels-idx1-ubyte.gz";
  if (access(img.c_str(), R_OK) != 0 || access(lab.c_str(), R_OK) != 0)
    GTEST_SKIP() << "Fashion-MNIST is not installed in " << kFashionDir;
  Dataset d;
  std::string err;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(loadIdx(img, lab, d, err)) << err;
  double ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  std::cout << "[ timing   ] loadIdx(Fashion-MNIST train): " << ms << " ms\n";
  RecordProperty("load_ms", int(ms));
  EXPECT_EQ(d.n, 60000);
  EXPECT_EQ(d.featureShape, (std::vector<int64_t>{28, 28}));
  EXPECT_EQ(d.features.size(), size_t(60000) * 784);
  ASSERT_EQ(d.labels.size(), 60000u);
  int64_t counts[10] = {};
  for (int64_t l : d.labels) {
    ASSERT_GE(l, 0);
    ASSERT_LE(l, 9);
    ++counts[l];
  }
  for (int64_t c : counts)
    EXPECT_EQ(c, 6000); // Fashion-MNIST is balanced
  float lo = *std::min_element(d.features.begin(), d.features.end());
  float hi = *std::max_element(d.features.begin(), d.features.end());
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 255.0f);
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

TEST(DatasetTest, CsvBasic) {
  TempDir t;
  std::string p = t.write("x.csv", "\xEF\xBB\xBF"
                                   "a,\"b,c\",price\r\n"
                                   "1, 2.5 ,3\r\n"
                                   "\r\n"
                                   "-4,\"5e-1\",+6.25\r\n"
                                   "7,8,9"); // no final newline
  Dataset d;
  std::string err;
  ASSERT_TRUE(loadCsv(p, "price", {}, false, d, err)) << err;
  EXPECT_EQ(d.n, 3);
  EXPECT_EQ(d.featureShape, (std::vector<int64_t>{2}));
  EXPECT_EQ(d.features, (std::vector<float>{1, 2.5f, -4, 0.5f, 7, 8}));
  EXPECT_FALSE(d.intTargets);
  EXPECT_EQ(d.targets, (std::vector<float>{3, 6.25f, 9}));
  EXPECT_TRUE(d.labels.empty());
}

TEST(DatasetTest, CsvColumnSelectionAndIntTargets) {
  TempDir t;
  std::string p = t.write("x.csv", "id,x1,x2,label,x3\n"
                                   "10,1,2,0,3\n"
                                   "11,4,5,2.0,6\n");
  Dataset d;
  std::string err;
  // Features by name and index, in the order given; target by index.
  ASSERT_TRUE(loadCsv(p, 3, {"x3", 1}, true, d, err)) << err;
  EXPECT_EQ(d.features, (std::vector<float>{3, 1, 6, 4}));
  EXPECT_TRUE(d.intTargets);
  EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 2}));
}

TEST(DatasetTest, CsvQuotedMultilineFieldsCountLines) {
  TempDir t;
  std::string p = t.write("x.csv", "note,x,y\n"
                                   "\"two\nlines\",1,2\n"
                                   "\"say \"\"hi\"\"\",3,4\n"
                                   "ok,5\n");
  Dataset d;
  std::string err;
  EXPECT_FALSE(loadCsv(p, "y", {"x"}, false, d, err));
  // The ragged record starts on physical line 5.
  EXPECT_EQ(err, "'" + p +
                     "':5: row has 2 fields, but the header has 3 "
                     "columns");
}

TEST(DatasetTest, CsvNotANumber) {
  TempDir t;
  std::string p = t.write("x.csv", "size,price\n1,2\n2,abc\n");
  Dataset d;
  std::string err;
  EXPECT_FALSE(loadCsv(p, "price", {}, false, d, err));
  EXPECT_EQ(err, "'" + p + "':3: column 'price': not a number: 'abc'");
  // Trailing garbage, hex, a doubled sign and a thousands separator are not
  // numbers either.
  for (const char *bad : {"1.5x", "0x10", "+-1", "\"1,5\"", "1 2"}) {
    std::string q = t.write("y.csv", std::string("a,b\n1,") + bad + "\n");
    EXPECT_FALSE(loadCsv(q, "b", {}, false, d, err)) << bad;
    EXPECT_TRUE(contains(err, "':2: column 'b': not a number")) << err;
  }
}

TEST(DatasetTest, CsvNanAndInfinityAreErrors) {
  TempDir t;
  Dataset d;
  std::string err;
  for (const char *bad : {"nan", "NaN", "inf", "-Infinity"}) {
    std::string p = t.write("x.csv", std::string("a,b\n1,2\n") + bad + ",3\n");
    EXPECT_FALSE(loadCsv(p, "b", {}, false, d, err)) << bad;
    EXPECT_EQ(err, "'" + p + "':3: column 'a': not a finite number: '" + bad +
                       "' (NaN and infinity are not allowed in data)");
  }
  std::string p = t.write("x.csv", "a,b\n1e39,2\n");
  EXPECT_FALSE(loadCsv(p, "b", {}, false, d, err));
  EXPECT_EQ(err, "'" + p +
                     "':2: column 'a': number out of the range of "
                     "float32: '1e39'");
}

TEST(DatasetTest, CsvStructuralErrors) {
  TempDir t;
  Dataset d;
  std::string err;
  std::string p = t.write("empty.csv", "");
  EXPECT_FALSE(loadCsv(p, "y", {}, false, d, err));
  EXPECT_EQ(err, "'" + p + "': empty file");

  p = t.write("header.csv", "x,y\n\n");
  EXPECT_FALSE(loadCsv(p, "y", {}, false, d, err));
  EXPECT_EQ(err, "'" + p + "': no data rows after the header");

  p = t.write("x.csv", "x,y\n1,2\n");
  EXPECT_FALSE(loadCsv(p, "price", {}, false, d, err));
  EXPECT_EQ(err, "'" + p +
                     "': line 1: no target column named 'price' (the "
                     "columns are 'x', 'y')");
  EXPECT_FALSE(loadCsv(p, 2, {}, false, d, err));
  EXPECT_EQ(err, "'" + p +
                     "': target column index 2 is out of range: the "
                     "header has 2 columns");
  EXPECT_FALSE(loadCsv(p, "y", {"x", "y"}, false, d, err));
  EXPECT_EQ(err, "'" + p + "': column 'y' is both the target and a feature");
  EXPECT_FALSE(loadCsv(p, "y", {"x", 0}, false, d, err));
  EXPECT_EQ(err, "'" + p + "': column 'x' is listed twice as a feature");
  EXPECT_FALSE(loadCsv(p, "y", {"z"}, false, d, err));
  EXPECT_TRUE(contains(err, "no feature column named 'z'")) << err;

  p = t.write("one.csv", "y\n1\n");
  EXPECT_FALSE(loadCsv(p, "y", {}, false, d, err));
  EXPECT_EQ(err, "'" + p +
                     "': no feature columns: the file has only the "
                     "target column");

  p = t.write("gap.csv", "x,y\n1,\n");
  EXPECT_FALSE(loadCsv(p, "y", {}, false, d, err));
  EXPECT_EQ(err, "'" + p + "':2: column 'y': empty field (missing value)");

  p = t.write("long.csv", "x,y\n1,2,3\n");
  EXPECT_FALSE(loadCsv(p, "y", {}, false, d, err));
  EXPECT_EQ(err, "'" + p +
                     "':2: row has 3 fields, but the header has 2 "
                     "columns");

  p = t.write("quote.csv", "x,y\n1,\"2\n3,4\n");
  EXPECT_FALSE(loadCsv(p, "y", {}, false, d, err));
  EXPECT_EQ(err, "'" + p + "':2: column 'y': unterminated quoted field");

  p = t.write("after.csv", "x,y\n1,\"2\"x\n");
  EXPECT_FALSE(loadCsv(p, "y", {}, false, d, err));
  EXPECT_EQ(err, "'" + p +
                     "':2: column 'y': unexpected 'x' after the "
                     "closing quote");

  p = t.write("nul.csv", std::string("x,y\n1,2\n3,\0\n", 12));
  EXPECT_FALSE(loadCsv(p, "y", {}, false, d, err));
  EXPECT_EQ(err, "'" + p +
                     "':3: unexpected NUL byte at byte offset 10 (is "
                     "this a binary file?)");

  EXPECT_FALSE(loadCsv(t.dir + "/nope.csv", "y", {}, false, d, err));
  EXPECT_TRUE(contains(err, "nope.csv")) << err;
  EXPECT_EQ(d.n, 0);
}

TEST(DatasetTest, CsvIntTargetsMustBeNonNegativeIntegers) {
  TempDir t;
  Dataset d;
  std::string err;
  for (const char *bad : {"1.5", "-1", "1e300"}) {
    std::string p = t.write("x.csv", std::string("x,y\n1,0\n2,") + bad + "\n");
    EXPECT_FALSE(loadCsv(p, "y", {}, true, d, err)) << bad;
    EXPECT_EQ(err, "'" + p +
                       "':3: column 'y': class label must be an "
                       "integer >= 0, found '" +
                       bad + "'");
  }
  // Unnamed columns (as pandas writes for the index) are named by index.
  std::string p = t.write("x.csv", ",y\nq,1\n");
  EXPECT_FALSE(loadCsv(p, "y", {}, true, d, err));
  EXPECT_EQ(err, "'" + p + "':2: column 0 (unnamed): not a number: 'q'");
}

TEST(DatasetTest, CsvIgnoresTheNumericLocale) {
  const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8",
                         "fr_FR.utf8"};
  const char *found = nullptr;
  for (const char *n : names)
    if (std::setlocale(LC_NUMERIC, n)) {
      found = n;
      break;
    }
  if (!found)
    GTEST_SKIP() << "no locale with a decimal comma is installed (tried "
                    "de_DE.UTF-8, de_DE.utf8, de_DE, fr_FR.UTF-8)";
  // Under the comma locale strtod would stop at the '.' of "1.5".
  ASSERT_EQ(std::strtod("1.5", nullptr), 1.0) << found;
  TempDir t;
  std::string p = t.write("x.csv", "a,b\n1.5,2.25\n");
  Dataset d;
  std::string err;
  bool ok = loadCsv(p, "b", {}, false, d, err);
  std::string q = t.write("y.csv", "a,b\n\"1,5\",2\n");
  Dataset d2;
  std::string err2;
  bool ok2 = loadCsv(q, "b", {}, false, d2, err2);
  std::setlocale(LC_NUMERIC, "C");
  ASSERT_TRUE(ok) << err;
  EXPECT_EQ(d.features, (std::vector<float>{1.5f}));
  EXPECT_EQ(d.targets, (std::vector<float>{2.25f}));
  EXPECT_FALSE(ok2);
  EXPECT_EQ(err2, "'" + q + "':2: column 'a': not a number: '1,5'");
}

//===----------------------------------------------------------------------===//
// NumPy .npy
//===----------------------------------------------------------------------===//

TEST(DatasetTest, NpyTypesAndShapes) {
  TempDir t;
  std::string f32;
  for (float v : {1.0f, -2.0f, 0.5f, 3.0f, 4.0f, 5.0f})
    f32 += le(bitsOf(v), 4);
  std::string x = t.write("x.npy", npyFile("<f4", "(2, 3)", f32));
  std::string y =
      t.write("y.npy", npyFile("<i8", "(2,)", le(3, 8) + le(uint64_t(-1), 8)));
  Dataset d;
  std::string err;
  ASSERT_TRUE(loadNpy(x, y, d, err)) << err;
  EXPECT_EQ(d.n, 2);
  EXPECT_EQ(d.featureShape, (std::vector<int64_t>{3}));
  EXPECT_EQ(d.features, (std::vector<float>{1, -2, 0.5f, 3, 4, 5}));
  EXPECT_TRUE(d.intTargets);
  EXPECT_EQ(d.labels, (std::vector<int64_t>{3, -1}));

  // Other element types, and float targets with a shape.
  struct Case {
    const char *descr;
    std::string data;
    float a, b;
  } cases[] = {
      {"<f8", le(bitsOf(0.25), 8) + le(bitsOf(-8.0), 8), 0.25f, -8.0f},
      {"|u1", std::string("\x00\xff", 2), 0.0f, 255.0f},
      {"|b1", std::string("\x01\x00", 2), 1.0f, 0.0f},
      {"<i4", le(uint32_t(-5), 4) + le(100000, 4), -5.0f, 100000.0f},
      {"<i2", le(uint16_t(-2), 2) + le(7, 2), -2.0f, 7.0f},
      {"<f2", le(0x3c00, 2) + le(0xc100, 2), 1.0f, -2.5f},
      {"<f2", le(0x0001, 2) + le(0x7bff, 2), 5.960464477539063e-08f, 65504.0f},
  };
  std::string yt =
      t.write("yt.npy", npyFile("<f4", "(2, 1)",
                                le(bitsOf(0.5f), 4) + le(bitsOf(1.5f), 4)));
  for (const Case &c : cases) {
    std::string xi = t.write("xi.npy", npyFile(c.descr, "(2,)", c.data));
    ASSERT_TRUE(loadNpy(xi, yt, d, err)) << c.descr << ": " << err;
    EXPECT_TRUE(d.featureShape.empty());
    EXPECT_EQ(d.features, (std::vector<float>{c.a, c.b})) << c.descr;
    EXPECT_FALSE(d.intTargets);
    EXPECT_EQ(d.targetShape, (std::vector<int64_t>{1}));
    EXPECT_EQ(d.targets, (std::vector<float>{0.5f, 1.5f}));
  }
  // Bool targets are labels.
  std::string yb =
      t.write("yb.npy", npyFile("|b1", "(2,)", std::string("\x01\x00", 2)));
  ASSERT_TRUE(loadNpy(x, yb, d, err)) << err;
  EXPECT_EQ(d.labels, (std::vector<int64_t>{1, 0}));
}

TEST(DatasetTest, NpyErrors) {
  TempDir t;
  Dataset d;
  std::string err;
  std::string x = t.write("x.npy", npyFile("<f4", "(2, 1)", std::string(8, 0)));
  std::string y3 = t.write("y3.npy", npyFile("|u1", "(3,)", "abc"));
  EXPECT_FALSE(loadNpy(x, y3, d, err));
  EXPECT_EQ(err, "'" + y3 + "': has 3 samples, but '" + x + "' has 2");

  std::string f =
      t.write("f.npy", npyFile("<f4", "(2, 1)", std::string(8, 0), true));
  EXPECT_FALSE(loadNpy(f, y3, d, err));
  EXPECT_EQ(err, "'" + f +
                     "': Fortran-order arrays are not supported (save "
                     "the array with numpy.ascontiguousarray)");

  std::string b = t.write("b.npy", npyFile(">f4", "(2,)", std::string(8, 0)));
  EXPECT_FALSE(loadNpy(b, y3, d, err));
  EXPECT_TRUE(contains(err, "'" + b + "': unsupported element type '>f4'"))
      << err;

  std::string s = t.write("s.npy", npyFile("<f4", "()", std::string(4, 0)));
  EXPECT_FALSE(loadNpy(s, y3, d, err));
  EXPECT_TRUE(contains(err, "'" + s + "': 0-d array")) << err;

  std::string tr = t.write("tr.npy", npyFile("<f4", "(2, 1)", "abc"));
  EXPECT_FALSE(loadNpy(tr, y3, d, err));
  EXPECT_TRUE(contains(err, "'" + tr + "'")) << err;
  EXPECT_EQ(d.n, 0);
}

//===----------------------------------------------------------------------===//
// Preprocessing
//===----------------------------------------------------------------------===//

/// n samples of 2 features: (i, 10) for sample i; labels i % 3.
Dataset counting(int64_t n) {
  Dataset d;
  d.n = n;
  d.featureShape = {2};
  for (int64_t i = 0; i < n; ++i) {
    d.features.push_back(float(i));
    d.features.push_back(10.0f);
    d.labels.push_back(i % 3);
  }
  return d;
}

TEST(DatasetTest, Scale) {
  Dataset d = counting(3);
  scale(d, 0.5f, -1.0f);
  EXPECT_EQ(d.features, (std::vector<float>{-1, 4, -0.5f, 4, 0, 4}));
}

TEST(DatasetTest, StandardizeWithAnotherSetsStatistics) {
  Dataset train = counting(4); // feature 0: 0 1 2 3, mean 1.5, std sqrt(1.25)
  Dataset test = counting(2);
  FeatureStats st = computeFeatureStats(train);
  EXPECT_FLOAT_EQ(st.mean[0], 1.5f);
  EXPECT_FLOAT_EQ(st.stddev[0], std::sqrt(1.25f)); // population std
  EXPECT_FLOAT_EQ(st.mean[1], 10.0f);
  EXPECT_FLOAT_EQ(st.stddev[1], 0.0f);
  std::string err;
  ASSERT_TRUE(standardize(test, train, err)) << err;
  EXPECT_FLOAT_EQ(test.features[0], -1.5f / std::sqrt(1.25f));
  EXPECT_FLOAT_EQ(test.features[2], -0.5f / std::sqrt(1.25f));
  EXPECT_EQ(test.features[1], 0.0f); // std 0 counts as 1: x - mean
  ASSERT_TRUE(standardize(train, train, err)) << err;
  FeatureStats after = computeFeatureStats(train);
  EXPECT_NEAR(after.mean[0], 0.0f, 1e-6);
  EXPECT_NEAR(after.stddev[0], 1.0f, 1e-6);

  Dataset other;
  other.n = 1;
  other.featureShape = {3};
  other.features = {1, 2, 3};
  EXPECT_FALSE(standardize(other, train, err));
  EXPECT_EQ(err, "cannot standardize features of shape [3] with the "
                 "statistics of features of shape [2]");
  Dataset empty;
  empty.featureShape = {2};
  EXPECT_FALSE(standardize(train, empty, err));
  EXPECT_TRUE(contains(err, "no samples")) << err;
}

TEST(DatasetTest, SplitIsDeterministicInFileOrder) {
  Dataset d = counting(10);
  Dataset a, b;
  split(d, 0.8, a, b);
  EXPECT_EQ(a.n, 8);
  EXPECT_EQ(b.n, 2);
  EXPECT_EQ(a.featureShape, d.featureShape);
  EXPECT_EQ(b.features, (std::vector<float>{8, 10, 9, 10}));
  EXPECT_EQ(b.labels, (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(a.labels.size(), 8u);
  // floor(n * fraction), with decimal fractions taken at face value.
  Dataset h = counting(100);
  split(h, 0.29, a, b);
  EXPECT_EQ(a.n, 29);
  split(h, 0.295, a, b);
  EXPECT_EQ(a.n, 29);
  split(counting(7), 0.5, a, b);
  EXPECT_EQ(a.n, 3);
  EXPECT_EQ(b.n, 4);
  split(d, 1.5, a, b);
  EXPECT_EQ(a.n, 10);
  EXPECT_EQ(b.n, 0);
  split(d, std::nan(""), a, b);
  EXPECT_EQ(a.n, 0);
  EXPECT_EQ(b.n, 10);
  // The output may alias the input.
  split(d, 0.3, d, b);
  EXPECT_EQ(d.n, 3);
  EXPECT_EQ(d.features.size(), 6u);
  EXPECT_EQ(b.n, 7);
  EXPECT_EQ(b.features[0], 3.0f);
}

//===----------------------------------------------------------------------===//
// BatchLoader
//===----------------------------------------------------------------------===//

/// The samples (feature 0 values) of every batch of one epoch.
std::vector<std::vector<int64_t>> epochBatches(BatchLoader &l, int64_t epoch) {
  l.startEpoch(epoch);
  std::vector<std::vector<int64_t>> out;
  std::vector<float> x(64 * 2);
  std::vector<int64_t> y(64);
  int64_t rows;
  while (l.next(x.data(), y.data(), nullptr, rows)) {
    std::vector<int64_t> b;
    for (int64_t r = 0; r < rows; ++r) {
      b.push_back(int64_t(x[size_t(2 * r)]));
      EXPECT_EQ(y[size_t(r)], b.back() % 3); // labels travel with features
    }
    out.push_back(b);
  }
  return out;
}

TEST(DatasetTest, BatchesInFileOrder) {
  Dataset d = counting(10);
  BatchLoader l(d, 4, false, false, 0);
  EXPECT_EQ(l.numBatches(), 3);
  auto b = epochBatches(l, 0);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(b[1], (std::vector<int64_t>{4, 5, 6, 7}));
  EXPECT_EQ(b[2], (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(epochBatches(l, 5), b); // no shuffle: every epoch alike

  BatchLoader drop(d, 4, false, true, 0);
  EXPECT_EQ(drop.numBatches(), 2);
  EXPECT_EQ(epochBatches(drop, 0).size(), 2u);

  BatchLoader bad(d, 0, false, false, 0);
  int64_t rows = 7;
  float x[2];
  EXPECT_EQ(bad.numBatches(), 0);
  EXPECT_FALSE(bad.next(x, nullptr, nullptr, rows));
  EXPECT_EQ(rows, 0);
}

TEST(DatasetTest, ShuffleIsReproducibleAndCoversEverySample) {
  Dataset d = counting(50);
  BatchLoader l(d, 8, true, false, 1234);
  BatchLoader same(d, 8, true, false, 1234);
  BatchLoader otherSeed(d, 8, true, false, 1235);
  auto e0 = epochBatches(l, 0), e1 = epochBatches(l, 1);
  EXPECT_EQ(epochBatches(same, 0), e0);
  EXPECT_EQ(epochBatches(same, 1), e1);
  EXPECT_EQ(epochBatches(l, 0), e0); // an epoch can be replayed
  EXPECT_NE(e0, e1);
  EXPECT_NE(epochBatches(otherSeed, 0), e0);
  for (const auto &epoch : {e0, e1}) {
    ASSERT_EQ(epoch.size(), 7u);
    EXPECT_EQ(epoch.back().size(), 2u);
    std::vector<int64_t> all;
    for (const auto &b : epoch)
      all.insert(all.end(), b.begin(), b.end());
    std::sort(all.begin(), all.end());
    for (int64_t i = 0; i < 50; ++i)
      ASSERT_EQ(all[size_t(i)], i);
  }
  // The order is the documented permutation.
  l.startEpoch(1);
  std::vector<int64_t> perm;
  randomPermutation(perm, 50, 1234, shuffleStream(1));
  EXPECT_EQ(l.order(), perm);
  EXPECT_EQ(e1[0][0], perm[0]);
}

TEST(DatasetTest, ShuffleResumesMidEpoch) {
  Dataset d = counting(30);
  BatchLoader l(d, 4, true, true, 99);
  auto full = epochBatches(l, 3);
  BatchLoader resumed(d, 4, true, true, 99);
  resumed.startEpoch(3);
  resumed.seek(5);
  EXPECT_EQ(resumed.batchIndex(), 5);
  std::vector<float> x(8);
  int64_t rows;
  std::vector<std::vector<int64_t>> rest;
  while (resumed.next(x.data(), nullptr, nullptr, rows)) {
    std::vector<int64_t> b;
    for (int64_t r = 0; r < rows; ++r)
      b.push_back(int64_t(x[size_t(2 * r)]));
    rest.push_back(b);
  }
  EXPECT_EQ(rest,
            std::vector<std::vector<int64_t>>(full.begin() + 5, full.end()));
  resumed.seek(100);
  EXPECT_FALSE(resumed.next(x.data(), nullptr, nullptr, rows));
}

TEST(DatasetTest, BatchLargerThanTheDataset) {
  // One batch of the whole dataset, as PyTorch's DataLoader gives; batch
  // sizes whose products with the sample size overflow are no exception.
  Dataset d = counting(5);
  for (int64_t batch : {int64_t(6), int64_t(1) << 62, INT64_MAX}) {
    for (bool shuffle : {false, true}) {
      BatchLoader l(d, batch, shuffle, false, 7);
      EXPECT_EQ(l.numBatches(), 1) << batch;
      std::vector<float> x(10, -1);
      int64_t rows = 0;
      ASSERT_TRUE(l.next(x.data(), nullptr, nullptr, rows));
      EXPECT_EQ(rows, 5);
      std::vector<int64_t> seen;
      for (int64_t r = 0; r < rows; ++r)
        seen.push_back(int64_t(x[size_t(2 * r)]));
      std::sort(seen.begin(), seen.end());
      EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4}));
      EXPECT_FALSE(l.next(x.data(), nullptr, nullptr, rows));
      l.seek(1);
      EXPECT_FALSE(l.next(x.data(), nullptr, nullptr, rows));
      l.seek(0);
      EXPECT_TRUE(l.next(x.data(), nullptr, nullptr, rows));
    }
    BatchLoader drop(d, batch, false, true, 0);
    EXPECT_EQ(drop.numBatches(), 0);
  }
}

TEST(DatasetTest, CheckedMul) {
  int64_t p = -1;
  EXPECT_TRUE(checkedMul(int64_t(1) << 31, int64_t(1) << 31, p));
  EXPECT_EQ(p, int64_t(1) << 62);
  EXPECT_FALSE(checkedMul(int64_t(1) << 62, 4, p));
  EXPECT_EQ(p, int64_t(1) << 62); // left alone
  EXPECT_FALSE(checkedMul(-1, 4, p));
  EXPECT_TRUE(checkedMul(0, INT64_MAX, p));
  EXPECT_EQ(p, 0);
}

TEST(DatasetTest, BatchTargets) {
  Dataset d = counting(3);
  BatchLoader l(d, 2, false, false, 0);
  float x[4], yf[2];
  int64_t y[2], rows;
  ASSERT_TRUE(l.next(x, y, yf, rows));
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(y[1], 1);
  EXPECT_EQ(yf[1], 1.0f); // int labels converted for float consumers
  // Float targets with a shape.
  Dataset r;
  r.n = 2;
  r.featureShape = {1};
  r.features = {5, 6};
  r.intTargets = false;
  r.targetShape = {2};
  r.targets = {0.5f, 1.5f, 2.5f, 3.5f};
  BatchLoader lr(r, 8, false, false, 0);
  float t[4];
  int64_t unused[4] = {-9, -9, -9, -9};
  ASSERT_TRUE(lr.next(x, unused, t, rows));
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(t[3], 3.5f);
  EXPECT_EQ(unused[0], -9); // labels untouched for float targets
  EXPECT_FALSE(lr.next(x, nullptr, t, rows));
}

//===----------------------------------------------------------------------===//
// Robustness
//===----------------------------------------------------------------------===//

TEST(DatasetTest, EveryTruncationFailsCleanly) {
  TempDir t;
  std::string lab = t.write("lab", smallLabels());
  std::string gz = gzipBytes(smallImages());
  std::string raw = smallImages();
  for (const std::string *full : {&gz, &raw})
    for (size_t k = 0; k < full->size(); ++k) {
      std::string img = t.write("img", full->substr(0, k));
      Dataset d;
      std::string err;
      EXPECT_FALSE(loadIdx(img, lab, d, err)) << k;
      EXPECT_TRUE(contains(err, "img")) << err;
    }
  std::string csv = "a,\"b\"\"x\",c\r\n1,2,3\n\"4\",5,6\n";
  for (size_t k = 0; k < csv.size(); ++k) {
    std::string p = t.write("x.csv", csv.substr(0, k));
    Dataset d;
    std::string err;
    loadCsv(p, "c", {}, false, d, err); // may succeed; must not crash
  }
}

} // namespace
