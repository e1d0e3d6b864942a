//===- SafetensorsTest.cpp - Tests of the safetensors reader and writer ---===//
//
// Unit tests of nnc::rt's safetensors checkpoints. Interoperability is
// checked against a fixture written by the reference implementation (the
// Python `safetensors` package): the reader must read it exactly, and the
// writer must reproduce it byte for byte from the same tensors. Then come
// round trips, the atomic replacement (the old file survives a failed
// write), and one test per way a file can be corrupt, each checking the
// message, plus every truncation and many byte flips of a valid file.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/Safetensors.h"

#include "TestFiles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace nnc::rt;

namespace {

using nnc::test::gzipBytes;
using nnc::test::TempDir;

/// The directory of the test fixtures: $NNC_TEST_INPUTS, or Inputs/ beside
/// this source file.
std::string inputsDir() {
  if (const char *env = std::getenv("NNC_TEST_INPUTS"))
    return env;
  std::string here = __FILE__;
  size_t slash = here.find_last_of('/');
  return (slash == std::string::npos ? std::string(".")
                                     : here.substr(0, slash)) +
         "/Inputs";
}

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i)
    s[size_t(i)] = char((v >> (8 * i)) & 0xff);
  return s;
}

/// A safetensors file from a header text and data bytes.
std::string stFile(const std::string &header, const std::string &data) {
  return le64(header.size()) + header + data;
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

template <typename T>
std::vector<T> values(const SafetensorsFile &f, const SafetensorsTensor &t) {
  std::vector<T> v((t.end - t.begin) / sizeof(T));
  if (!v.empty())
    std::memcpy(v.data(), f.bytes(t), t.end - t.begin);
  return v;
}

/// The tensors of test/unit/Inputs/reference.safetensors, which was written
/// by the reference implementation (safetensors 0.8.0, numpy 2.4) with:
///
///   import numpy as np
///   from safetensors.numpy import save_file
///   t = {
///     "fc1.weight": (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) / 4,
///     "fc1.bias": np.array([0.5, -1.25], dtype=np.float32),
///     "step": np.array(1234567890123, dtype=np.int64),
///     "scale": np.array([3.141592653589793, -2.0], dtype=np.float64),
///     "half": np.array([1.0, -0.5, 65504.0], dtype=np.float16),
///     "ids": np.array([-7, 70000], dtype=np.int32),
///     "mask": np.array([True, False, True]),
///     "bytes": np.array([0, 1, 254, 255], dtype=np.uint8),
///     "empty": np.zeros((0, 4), dtype=np.float32),
///     "emb.\u03c0": np.array([[1.5]], dtype=np.float32),
///     "odd \"name\"\\\t": np.array([9], dtype=np.int16),
///   }
///   save_file(t, "reference.safetensors", metadata={"format": "pt"})
struct Reference {
  std::vector<float> weight{-0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f};
  std::vector<float> bias{0.5f, -1.25f};
  int64_t step = 1234567890123;
  std::vector<double> scale{3.141592653589793, -2.0};
  std::vector<uint16_t> half{0x3c00, 0xb800, 0x7bff};
  std::vector<int32_t> ids{-7, 70000};
  std::vector<uint8_t> mask{1, 0, 1};
  std::vector<uint8_t> bytes{0, 1, 254, 255};
  float emb = 1.5f;
  int16_t odd = 9;

  std::vector<TensorRecord> records() const {
    // Deliberately not in file order: the writer sorts.
    return {
        {"fc1.weight", "F32", {2, 3}, weight.data(), 24},
        {"fc1.bias", "F32", {2}, bias.data(), 8},
        {"step", "I64", {}, &step, 8},
        {"scale", "F64", {2}, scale.data(), 16},
        {"half", "F16", {3}, half.data(), 6},
        {"ids", "I32", {2}, ids.data(), 8},
        {"mask", "BOOL", {3}, mask.data(), 3},
        {"bytes", "U8", {4}, bytes.data(), 4},
        {"empty", "F32", {0, 4}, nullptr, 0},
        {"emb.\xcf\x80", "F32", {1, 1}, &emb, 4},
        {"odd \"name\"\\\t", "I16", {1}, &odd, 2},
    };
  }
};

//===----------------------------------------------------------------------===//
// Interoperability with the reference implementation
//===----------------------------------------------------------------------===//

TEST(SafetensorsTest, ReadsTheReferenceFile) {
  std::string path = inputsDir() + "/reference.safetensors";
  SafetensorsFile f;
  std::string err;
  ASSERT_TRUE(readSafetensors(path, f, err)) << err;
  EXPECT_EQ(f.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  ASSERT_EQ(f.tensors.size(), 11u);
  // File order: by descending dtype alignment, then name.
  std::vector<std::string> names;
  for (const SafetensorsTensor &t : f.tensors)
    names.push_back(t.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"step", "scale", "emb.\xcf\x80", "empty",
                                      "fc1.bias", "fc1.weight", "ids", "half",
                                      "odd \"name\"\\\t", "bytes", "mask"}));
  Reference ref;
  const SafetensorsTensor *w = f.find("fc1.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, "F32");
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w->begin, 36u);
  EXPECT_EQ(w->end, 60u);
  EXPECT_EQ(values<float>(f, *w), ref.weight);
  EXPECT_EQ(values<float>(f, *f.find("fc1.bias")), ref.bias);
  const SafetensorsTensor *step = f.find("step");
  EXPECT_TRUE(step->shape.empty());
  EXPECT_EQ(values<int64_t>(f, *step), std::vector<int64_t>{ref.step});
  EXPECT_EQ(values<double>(f, *f.find("scale")), ref.scale);
  EXPECT_EQ(f.find("half")->dtype, "F16");
  EXPECT_EQ(values<uint16_t>(f, *f.find("half")), ref.half);
  EXPECT_EQ(values<int32_t>(f, *f.find("ids")), ref.ids);
  EXPECT_EQ(f.find("mask")->dtype, "BOOL");
  EXPECT_EQ(values<uint8_t>(f, *f.find("mask")), ref.mask);
  EXPECT_EQ(values<uint8_t>(f, *f.find("bytes")), ref.bytes);
  const SafetensorsTensor *empty = f.find("empty");
  EXPECT_EQ(empty->shape, (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(empty->begin, empty->end);
  EXPECT_EQ(values<float>(f, *f.find("emb.\xcf\x80")),
            std::vector<float>{1.5f});
  EXPECT_EQ(values<int16_t>(f, *f.find("odd \"name\"\\\t")),
            std::vector<int16_t>{9});
  EXPECT_EQ(f.find("missing"), nullptr);
  // Every tensor is aligned to its element size within the data section.
  for (const SafetensorsTensor &t : f.tensors)
    EXPECT_EQ(t.begin % safetensorsDTypeSize(t.dtype), 0u) << t.name;
}

TEST(SafetensorsTest, WriterReproducesTheReferenceFileByteForByte) {
  TempDir t;
  Reference ref;
  std::string out = t.path("mine.safetensors");
  std::string err;
  ASSERT_TRUE(writeSafetensors(out, ref.records(), {{"format", "pt"}}, err))
      << err;
  std::string expected = readAll(inputsDir() + "/reference.safetensors");
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(readAll(out), expected);
  EXPECT_EQ(t.list(), std::vector<std::string>{"mine.safetensors"});
}

TEST(SafetensorsTest, WriterMatchesTheReferenceSerializerTests) {
  // The byte strings of the reference implementation's own unit tests
  // (test_empty, test_serialization).
  TempDir t;
  std::string err;
  ASSERT_TRUE(writeSafetensors(t.path("e"), {}, {}, err)) << err;
  EXPECT_EQ(readAll(t.path("e")), le64(8) + "{}      ");
  ASSERT_TRUE(writeSafetensors(t.path("m"), {}, {{"framework", "pt"}}, err))
      << err;
  EXPECT_EQ(readAll(t.path("m")),
            le64(40) + "{\"__metadata__\":{\"framework\":\"pt\"}}     ");
  float data[6] = {0, 1, 2, 3, 4, 5};
  ASSERT_TRUE(writeSafetensors(
      t.path("a"), {{"attn.0", "F32", {1, 2, 3}, data, 24}}, {}, err))
      << err;
  EXPECT_EQ(readAll(t.path("a")),
            le64(64) +
                "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],"
                "\"data_offsets\":[0,24]}}" +
                std::string(reinterpret_cast<const char *>(data), 24));
  SafetensorsFile f;
  ASSERT_TRUE(readSafetensors(t.path("e"), f, err)) << err;
  EXPECT_TRUE(f.tensors.empty());
  ASSERT_TRUE(readSafetensors(t.path("m"), f, err)) << err;
  EXPECT_EQ(f.metadata.at("framework"), "pt");
}

TEST(SafetensorsTest, RoundTripAndLayout) {
  TempDir t;
  int64_t i64[2] = {-1, 1LL << 40};
  uint8_t u8[5] = {1, 2, 3, 4, 5};
  float f32[3] = {1.5f, -0.0f, 3e38f};
  uint16_t bf16[1] = {0x3f80};
  std::string err;
  std::string p = t.path("ckpt.safetensors");
  ASSERT_TRUE(writeSafetensors(p,
                               {{"z.u8", "U8", {5}, u8, 5},
                                {"a.f32", "F32", {3, 1}, f32, 12},
                                {"b.bf16", "BF16", {1}, bf16, 2},
                                {"c.i64", "I64", {2}, i64, 16}},
                               {{"epoch", "7"}, {"quote\"", "tab\t\x01"}}, err))
      << err;
  SafetensorsFile f;
  ASSERT_TRUE(readSafetensors(p, f, err)) << err;
  ASSERT_EQ(f.tensors.size(), 4u);
  EXPECT_EQ(f.tensors[0].name, "c.i64");
  EXPECT_EQ(f.tensors[1].name, "a.f32");
  EXPECT_EQ(f.tensors[2].name, "b.bf16");
  EXPECT_EQ(f.tensors[3].name, "z.u8");
  EXPECT_EQ(f.tensors[1].begin, 16u);
  EXPECT_EQ(f.tensors[1].shape, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(values<int64_t>(f, f.tensors[0]),
            (std::vector<int64_t>{-1, 1LL << 40}));
  EXPECT_EQ(std::memcmp(f.bytes(f.tensors[1]), f32, 12), 0);
  EXPECT_EQ(values<uint16_t>(f, f.tensors[2]), std::vector<uint16_t>{0x3f80});
  EXPECT_EQ(values<uint8_t>(f, f.tensors[3]),
            (std::vector<uint8_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(f.metadata, (std::map<std::string, std::string>{
                            {"epoch", "7"}, {"quote\"", "tab\t\x01"}}));
  EXPECT_TRUE(contains(readAll(p), "\"quote\\\"\":\"tab\\t\\u0001\""));
  std::string bytes = readAll(p);
  ASSERT_GE(bytes.size(), 8u);
  EXPECT_EQ(uint8_t(bytes[0]) % 8, 0u); // the header is padded to 8 bytes
}

TEST(SafetensorsTest, WriterRejectsBadRecords) {
  TempDir t;
  std::string p = t.path("x.safetensors");
  float d[6] = {};
  struct Case {
    std::vector<TensorRecord> records;
    std::string message;
  } cases[] = {
      {{{"fc1.weight", "F32", {2, 3}, d, 12}},
       "tensor 'fc1.weight': 12 bytes of data, but F32[2, 3] needs 24"},
      {{{"w", "F128", {1}, d, 16}}, "tensor 'w': unknown dtype 'F128'"},
      {{{"w", "F32", {-1}, d, 4}}, "tensor 'w': invalid shape [-1]"},
      {{{"w", "F32", {1}, nullptr, 4}}, "tensor 'w': no data"},
      {{{"", "F32", {1}, d, 4}}, "tensor 0 has an empty name"},
      {{{"__metadata__", "F32", {1}, d, 4}},
       "'__metadata__' cannot name a tensor"},
      {{{"w\xff", "F32", {1}, d, 4}},
       "tensor 'w?': the name is not valid UTF-8"},
      {{{"w", "F32", {1}, d, 4}, {"w", "I32", {1}, d, 4}},
       "duplicate tensor name 'w'"},
  };
  for (const Case &c : cases) {
    std::string err;
    EXPECT_FALSE(writeSafetensors(p, c.records, {}, err));
    EXPECT_TRUE(contains(err, "'" + p + "': " + c.message))
        << err << "\nexpected: " << c.message;
    EXPECT_TRUE(t.list().empty()); // nothing written, not even a temp file
  }
  std::string err;
  EXPECT_FALSE(writeSafetensors(p, {}, {{"k", "\xc0\x80"}}, err));
  EXPECT_TRUE(contains(err, "metadata entry 'k' is not valid UTF-8")) << err;
}

TEST(SafetensorsTest, OverwriteReplacesTheFile) {
  TempDir t;
  std::string p = t.write("ckpt.safetensors", "old contents");
  float a = 1.0f;
  std::string err;
  ASSERT_TRUE(writeSafetensors(p, {{"a", "F32", {}, &a, 4}}, {}, err)) << err;
  SafetensorsFile f;
  ASSERT_TRUE(readSafetensors(p, f, err)) << err;
  EXPECT_EQ(values<float>(f, f.tensors[0]), std::vector<float>{1.0f});
  EXPECT_EQ(t.list(), std::vector<std::string>{"ckpt.safetensors"});
}

TEST(SafetensorsTest, FailedWriteKeepsTheOldFile) {
  TempDir t;
  std::string p = t.write("ckpt.safetensors", "precious old checkpoint");
  // Let writes past 4 KiB fail with EFBIG (even for root), as a full disk
  // would fail them with ENOSPC.
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  struct rlimit small = old;
  small.rlim_cur = 4096;
  auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  std::vector<float> big(4096);
  std::string err;
  bool ok =
      writeSafetensors(p, {{"big", "F32", {4096}, big.data(), 16384}}, {}, err);
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, oldHandler);
  EXPECT_FALSE(ok);
  std::string tmp = p + ".tmp." + std::to_string(getpid());
  EXPECT_TRUE(contains(err, "'" + p +
                                "': cannot write tensor 'big' to "
                                "temporary file '" +
                                tmp + "' at byte offset "))
      << err;
  EXPECT_TRUE(contains(err, std::strerror(EFBIG))) << err;
  EXPECT_EQ(readAll(p), "precious old checkpoint");
  EXPECT_EQ(t.list(), std::vector<std::string>{"ckpt.safetensors"});
}

TEST(SafetensorsTest, ReadOnlyDirectoryKeepsTheOldFile) {
  if (geteuid() == 0)
    GTEST_SKIP() << "running as root, which may write to a read-only "
                    "directory (FailedWriteKeepsTheOldFile covers the "
                    "failure path)";
  TempDir t;
  std::string p = t.write("ckpt.safetensors", "old");
  ASSERT_EQ(chmod(t.dir.c_str(), 0500), 0);
  float a = 1.0f;
  std::string err;
  EXPECT_FALSE(writeSafetensors(p, {{"a", "F32", {}, &a, 4}}, {}, err));
  chmod(t.dir.c_str(), 0700);
  EXPECT_TRUE(contains(err, "'" + p + "': cannot create temporary file"))
      << err;
  EXPECT_EQ(readAll(p), "old");
  EXPECT_EQ(t.list(), std::vector<std::string>{"ckpt.safetensors"});
}

TEST(SafetensorsTest, UnwritableTargets) {
  TempDir t;
  float a = 1.0f;
  std::string err;
  // The directory does not exist.
  std::string p = t.path("no/such/dir/x.safetensors");
  EXPECT_FALSE(writeSafetensors(p, {{"a", "F32", {}, &a, 4}}, {}, err));
  EXPECT_TRUE(contains(err, "'" + p + "': cannot create temporary file"))
      << err;
  // The target is a directory: the rename fails, the directory survives and
  // the temporary file is removed.
  ASSERT_EQ(mkdir(t.path("sub").c_str(), 0700), 0);
  t.write("sub/keep", "x");
  EXPECT_FALSE(
      writeSafetensors(t.path("sub"), {{"a", "F32", {}, &a, 4}}, {}, err));
  EXPECT_TRUE(contains(err, "cannot rename")) << err;
  EXPECT_EQ(readAll(t.path("sub/keep")), "x");
  EXPECT_EQ(t.list(), std::vector<std::string>{"sub"});
  EXPECT_FALSE(writeSafetensors(t.dir + "/", {}, {}, err));
  EXPECT_TRUE(contains(err, "not a file name")) << err;
}

//===----------------------------------------------------------------------===//
// Reading corrupt files
//===----------------------------------------------------------------------===//

const char *const kGoodTensor =
    "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}";

/// Writes \p bytes and expects readSafetensors to fail with a message that
/// is "'<path>': " + \p message (or contains it when \p exact is false).
void expectCorrupt(TempDir &t, const std::string &bytes,
                   const std::string &message, bool exact = true) {
  std::string p = t.write("ckpt.safetensors", bytes);
  SafetensorsFile f;
  f.metadata["stale"] = "x";
  std::string err;
  EXPECT_FALSE(readSafetensors(p, f, err)) << message;
  if (exact)
    EXPECT_EQ(err, "'" + p + "': " + message);
  else
    EXPECT_TRUE(contains(err, "'" + p + "': " + message)) << err;
  EXPECT_TRUE(f.tensors.empty());
  EXPECT_TRUE(f.metadata.empty());
  EXPECT_TRUE(f.data.empty());
}

TEST(SafetensorsTest, CorruptHeaderLength) {
  TempDir t;
  expectCorrupt(t, "", "empty file");
  expectCorrupt(t, "abc",
                "file too small: 3 bytes, but the header length "
                "alone takes 8");
  expectCorrupt(t, le64(100000001) + "{}",
                "header length 100000001 at byte offset 0 exceeds the limit "
                "of 100000000 bytes (is this a safetensors file?)");
  expectCorrupt(t, le64(64) + "{}",
                "header length 64 at byte offset 0 runs past the end of the "
                "file (10 bytes)");
  expectCorrupt(t, le64(0),
                "header length 0 at byte offset 0 is too small "
                "for a JSON object");
  expectCorrupt(t, stFile("PK\x03\x04", ""),
                "header does not start with '{' at byte offset 8 (is this a "
                "safetensors file?)");
  expectCorrupt(t, stFile("  \n ", ""),
                "header does not start with '{' at byte offset 12 (is this a "
                "safetensors file?)");
}

TEST(SafetensorsTest, CorruptJson) {
  TempDir t;
  std::string data(24, '\0');
  expectCorrupt(t, stFile("{\"w\" {}}", ""),
                "invalid JSON header at byte offset 13: expected ':' after "
                "object key, found '{'");
  expectCorrupt(t, stFile("{\"w\":{},}", ""),
                "invalid JSON header at byte offset 16: expected a quoted "
                "object key, found '}'");
  expectCorrupt(t, stFile("{\"a\":01}", ""),
                "invalid JSON header at byte offset 14: invalid number: "
                "leading zero");
  expectCorrupt(t, stFile("{\"a\":\"x", ""),
                "invalid JSON header at byte offset 13: unterminated string");
  expectCorrupt(t, stFile("{\"a\":tru}", ""),
                "invalid JSON header at byte offset 13: invalid literal: "
                "expected a value, found 't'");
  expectCorrupt(t, stFile("{\"a\\q\":1}", ""),
                "invalid JSON header at byte offset 11: invalid escape '\\q' "
                "in string");
  expectCorrupt(t, stFile("{\"\\ud800\":1}", ""),
                "invalid JSON header at byte offset 10: unpaired high "
                "surrogate in \\u escape");
  expectCorrupt(t, stFile("{\"w\xff\":1}", ""),
                "invalid JSON header at byte offset 11: invalid UTF-8 in "
                "string");
  expectCorrupt(t, stFile("{\"a\":\"x\ny\"}", ""),
                "invalid JSON header at byte offset 15: unescaped control "
                "character in string");
  expectCorrupt(t, stFile("{" + std::string(kGoodTensor) + "} x", data),
                "invalid JSON header at byte offset 66: unexpected 'x' after "
                "the top-level value");
  expectCorrupt(t, stFile("{\"w\":1,\"w\":2}", ""),
                "invalid JSON header at byte offset 15: duplicate key 'w'");
  std::string deep = "{\"a\":" + std::string(100000, '[');
  expectCorrupt(t, stFile(deep, ""),
                "invalid JSON header at byte offset 77: values nested more "
                "than 64 deep");
  expectCorrupt(t, stFile(std::string("{}\0\0", 4), ""),
                "invalid JSON header at byte offset 10: unexpected byte 0x00 "
                "after the top-level value");
}

TEST(SafetensorsTest, CorruptSchema) {
  TempDir t;
  std::string d24(24, '\0');
  expectCorrupt(t,
                stFile("{\"fc1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],"
                       "\"data_offsets\":[0,12]}}",
                       std::string(12, '\0')),
                "tensor 'fc1.weight': data_offsets [0, 12] give 12 bytes, "
                "but F32[2, 3] needs 24");
  expectCorrupt(t,
                stFile("{\"w\":{\"dtype\":\"F31\",\"shape\":[6],"
                       "\"data_offsets\":[0,24]}}",
                       d24),
                "tensor 'w': unknown dtype 'F31' at byte offset 22");
  expectCorrupt(t,
                stFile("{\"w\":{\"shape\":[6],\"data_offsets\":[0,24]}}", d24),
                "tensor 'w' at byte offset 13: missing 'dtype'");
  expectCorrupt(t,
                stFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[-6],"
                       "\"data_offsets\":[0,24]}}",
                       d24),
                "tensor 'w': 'shape' at byte offset 37 holds '-6', not a "
                "dimension (an integer >= 0)");
  expectCorrupt(t,
                stFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[6.0],"
                       "\"data_offsets\":[0,24]}}",
                       d24),
                "tensor 'w': 'shape' at byte offset 37 holds '6.0', not a "
                "dimension (an integer >= 0)");
  expectCorrupt(t,
                stFile("{\"w\":{\"dtype\":\"F32\",\"shape\":6,"
                       "\"data_offsets\":[0,24]}}",
                       d24),
                "tensor 'w': 'shape' at byte offset 36 is a number, not an "
                "array");
  expectCorrupt(t,
                stFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[6],"
                       "\"data_offsets\":[0,24,48]}}",
                       d24),
                "tensor 'w': 'data_offsets' at byte offset 55 must be an "
                "array of two integers >= 0");
  expectCorrupt(t,
                stFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],"
                       "\"data_offsets\":[24,0]}}",
                       d24),
                "tensor 'w': data_offsets [24, 0] at byte offset 55 end "
                "before they begin");
  expectCorrupt(t,
                stFile("{\"w\":{\"dtype\":\"F32\",\"shape\":"
                       "[4294967296,4294967296],\"data_offsets\":[0,0]}}",
                       ""),
                "tensor 'w': the size of F32[4294967296, 4294967296] "
                "overflows a 64-bit byte count");
  expectCorrupt(t, stFile("{\"w\":[1]}", ""),
                "tensor 'w' at byte offset 13: expected an object, found an "
                "array");
  expectCorrupt(t, stFile("[1]", ""),
                "header does not start with '{' at byte offset 8 (is this a "
                "safetensors file?)");
  expectCorrupt(t, stFile("{\"\":{}}", ""),
                "tensor with an empty name at byte offset 9");
  expectCorrupt(t, stFile("{\"__metadata__\":{\"epoch\":3}}", ""),
                "metadata entry 'epoch' at byte offset 33 is a number, not a "
                "string");
  expectCorrupt(t, stFile("{\"__metadata__\":[]}", ""),
                "'__metadata__' at byte offset 24 is an array, not an object");
}

TEST(SafetensorsTest, CorruptOffsets) {
  TempDir t;
  std::string a = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
  std::string b = "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":";
  expectCorrupt(
      t, stFile("{" + a + "[0,8]}," + b + "[4,8]}}", std::string(8, '\0')),
      "tensor 'b': data_offsets [4, 8] overlap tensor 'a' [0, 8]");
  expectCorrupt(
      t, stFile("{" + a + "[0,8]}," + b + "[12,16]}}", std::string(16, '\0')),
      "tensor 'b': data_offsets [12, 16] leave bytes [8, 12) of the "
      "data section unused");
  expectCorrupt(t, stFile("{" + a + "[4,12]}}", std::string(12, '\0')),
                "tensor 'a': data_offsets [4, 12] leave bytes [0, 4) of the "
                "data section unused");
  expectCorrupt(t, stFile("{" + a + "[0,8]}}", std::string(9, '\0')),
                "the tensors cover 8 bytes of data, but the file has 9 bytes "
                "after the header");
  expectCorrupt(t, stFile("{" + a + "[0,8]}}", std::string(7, '\0')),
                "tensor 'a': data_offsets [0, 8] run past the end of the data "
                "section (7 bytes)");
  // Offsets in any order are fine when they tile the data (older writers
  // ordered by name).
  std::string p =
      t.write("ok.safetensors", stFile("{" + b + "[8,12]}," + a + "[0,8]}}",
                                       std::string(12, '\x01')));
  SafetensorsFile f;
  std::string err;
  ASSERT_TRUE(readSafetensors(p, f, err)) << err;
  EXPECT_EQ(f.tensors[0].name, "a");
  // Whitespace around and in the JSON is allowed, as are unknown keys in a
  // tensor entry (the reference reader allows both).
  p = t.write("ws.safetensors",
              stFile("\r\n { \"a\" : {\"dtype\": \"F32\", \"extra\": {\"x\": "
                     "[true, null]}, \"shape\" : [ 2 ], \"data_offsets\": "
                     "[0, 8]} }\n\t  ",
                     std::string(8, '\0')));
  ASSERT_TRUE(readSafetensors(p, f, err)) << err;
  EXPECT_EQ(f.tensors.size(), 1u);
}

TEST(SafetensorsTest, ReadErrorsNameTheFile) {
  TempDir t;
  SafetensorsFile f;
  std::string err;
  EXPECT_FALSE(readSafetensors(t.path("absent.safetensors"), f, err));
  EXPECT_TRUE(
      contains(err, "cannot open '" + t.path("absent.safetensors") + "': "))
      << err;
  EXPECT_FALSE(readSafetensors(t.dir, f, err));
  EXPECT_TRUE(contains(err, "cannot open '" + t.dir + "'")) << err;
}

TEST(SafetensorsTest, EveryTruncationAndByteFlipFailsCleanly) {
  TempDir t;
  std::string good = readAll(inputsDir() + "/reference.safetensors");
  ASSERT_FALSE(good.empty());
  for (size_t k = 0; k < good.size(); ++k) {
    std::string p = t.write("cut.safetensors", good.substr(0, k));
    SafetensorsFile f;
    std::string err;
    EXPECT_FALSE(readSafetensors(p, f, err)) << k;
    EXPECT_TRUE(contains(err, p)) << err;
  }
  // Flip every byte of the length and header: most flips break the file;
  // none may crash, and a reported success must still be a valid file.
  size_t headerEnd = 8 + size_t(uint8_t(good[0])) + 256 * uint8_t(good[1]);
  for (size_t k = 0; k < headerEnd; ++k)
    for (unsigned char mask : {0x01, 0x20, 0x80, 0xff}) {
      std::string bad = good;
      bad[k] = char(bad[k] ^ mask);
      std::string p = t.write("flip.safetensors", bad);
      SafetensorsFile f;
      std::string err;
      if (readSafetensors(p, f, err)) {
        uint64_t covered = 0;
        for (const SafetensorsTensor &ts : f.tensors)
          covered += ts.end - ts.begin;
        EXPECT_EQ(covered, f.data.size()) << k;
      } else {
        EXPECT_TRUE(contains(err, p)) << err;
      }
    }
}

} // namespace

//===----------------------------------------------------------------------===//
// Checksums, the key bound, stale temporary files
//===----------------------------------------------------------------------===//

TEST(SafetensorsTest, ChecksumsCatchFlipsAndForeignFilesStillRead) {
  TempDir t;
  float w[4] = {1, 2, 3, 4};
  std::string p = t.path("c.safetensors"), err;
  ASSERT_TRUE(writeSafetensors(p, {{"fc.weight", "F32", {4}, w, 16}},
                               {{"format", "pt"}}, err, Checksums::XXH3))
      << err;
  SafetensorsFile f;
  ASSERT_TRUE(readSafetensors(p, f, err)) << err;
  // The checksums are verified and not shown as metadata.
  EXPECT_EQ(f.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  std::string bytes = readAll(p);
  std::string flipped = bytes;
  flipped[flipped.size() - 1] ^= 1; // a bit of fc.weight
  std::string q = t.write("flip.safetensors", flipped);
  EXPECT_FALSE(readSafetensors(q, f, err));
  EXPECT_TRUE(contains(err, "'" + q +
                                "': tensor 'fc.weight' does not match its "
                                "checksum"))
      << err;
  // A file without checksums (the reference implementation's) reads.
  EXPECT_TRUE(readSafetensors(inputsDir() + "/reference.safetensors", f, err))
      << err;
}

TEST(SafetensorsTest, HeaderKeysAreBounded) {
  TempDir t;
  std::string header = "{\"__metadata__\":{";
  for (size_t k = 0; k <= kSafetensorsMaxKeys; ++k)
    header += (k ? ",\"" : "\"") + std::to_string(k) + "\":\"\"";
  header += "}}";
  std::string p = t.write("many.safetensors", stFile(header, ""));
  SafetensorsFile f;
  std::string err;
  EXPECT_FALSE(readSafetensors(p, f, err));
  EXPECT_EQ(err, "'" + p +
                     "': the JSON object at byte offset 24 of the header "
                     "holds more than 1000000 keys, the most nnc reads "
                     "(tensors, or metadata entries)");
}

TEST(SafetensorsTest, WriterRemovesStaleTemporariesOnly) {
  TempDir t;
  std::string p = t.path("w.safetensors"), err;
  // A dead writer's temporary file (a child that has exited), a live one's
  // (this process's parent, alive while the test runs), and names that
  // only look alike.
  pid_t child = fork();
  if (child == 0)
    _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);
  std::string dead = "w.safetensors.tmp." + std::to_string(child);
  std::string live = "w.safetensors.tmp." + std::to_string(getppid());
  t.write(dead, "x");
  t.write(live, "x");
  t.write("w.safetensors.tmp.12x", "x");
  t.write("v.safetensors.tmp." + std::to_string(child), "x");
  float v = 1;
  ASSERT_TRUE(writeSafetensors(p, {{"v", "F32", {}, &v, 4}}, {}, err)) << err;
  std::vector<std::string> files = t.list();
  EXPECT_EQ(std::count(files.begin(), files.end(), dead), 0);
  EXPECT_EQ(std::count(files.begin(), files.end(), live), 1);
  EXPECT_EQ(std::count(files.begin(), files.end(), "w.safetensors.tmp.12x"), 1);
  EXPECT_EQ(files.size(), 4u);
}
