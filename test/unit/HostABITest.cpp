//===- HostABITest.cpp - Tests of the host program's C ABI ----------------===//
//
// Unit tests of HostABI.h, calling every entry point the way the compiled
// `@main` will: scalar functions by their plain names, memref ones through
// their `_mlir_ciface_` symbols with hand-built StridedMemRefType and
// UnrankedMemRefType descriptors (strided views included), memref results
// as caller-owned buffers that the test frees with free(). Printing is
// checked byte for byte against Python's repr and PyTorch's tensor format;
// datasets, loaders (shuffle reproducibility against BatchLoader itself),
// best/since_best, checkpoints (round trip, atomic replacement) and CSV
// predictions against the files they write. Every error path is a death
// test that checks the exit status 1 and the message.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/HostABI.h"
#include "nnc/runtime/Dataset.h"
#include "nnc/runtime/Safetensors.h"

#include "TestFiles.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace nnc::rt;

namespace {

using nnc::test::gzipBytes;
using nnc::test::TempDir;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// \p text with every POSIX extended regex metacharacter escaped, for the
/// message patterns of death tests.
std::string re(const std::string &text) {
  std::string out;
  for (char c : text) {
    if (std::strchr("\\^$.|?*+()[]{}", c))
      out += '\\';
    out += c;
  }
  return out;
}

/// A row-major descriptor of \p data with the given sizes.
template <typename T, int N>
StridedMemRefType<T, N> view(T *data, const std::array<int64_t, N> &sizes) {
  StridedMemRefType<T, N> d;
  d.basePtr = d.data = data;
  d.offset = 0;
  if constexpr (N > 0) {
    int64_t stride = 1;
    for (int i = N - 1; i >= 0; --i) {
      d.sizes[i] = sizes[size_t(i)];
      d.strides[i] = stride;
      stride *= sizes[size_t(i)];
    }
  }
  return d;
}

/// What memref.cast to memref<*xT> passes: the rank and the descriptor.
template <typename T, int N>
UnrankedMemRefType<T> unranked(StridedMemRefType<T, N> &d) {
  return UnrankedMemRefType<T>{N, &d};
}

/// Runs \p body and returns what it printed to stdout.
template <typename Body> std::string captureStdout(Body &&body) {
  std::fflush(stdout);
  testing::internal::CaptureStdout();
  body();
  std::fflush(stdout);
  return testing::internal::GetCapturedStdout();
}

/// One value printed on a line of its own.
std::string printedF64(double v) {
  return captureStdout([&] {
    nnc_rt_print_f64(v);
    nnc_rt_print_end();
  });
}

template <typename T, int N> std::string printed(StridedMemRefType<T, N> &d) {
  UnrankedMemRefType<T> u = unranked(d);
  return captureStdout([&] {
    if constexpr (std::is_same_v<T, float>)
      _mlir_ciface_nnc_rt_print_tensor_f32(&u);
    else if constexpr (std::is_same_v<T, double>)
      _mlir_ciface_nnc_rt_print_tensor_f64(&u);
    else if constexpr (std::is_same_v<T, int64_t>)
      _mlir_ciface_nnc_rt_print_tensor_i64(&u);
    else
      _mlir_ciface_nnc_rt_print_tensor_i1(&u);
    nnc_rt_print_end();
  });
}

std::string be32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i)
    s[size_t(i)] = char((v >> (8 * (3 - i))) & 0xff);
  return s;
}

std::string idxFile(uint8_t type, const std::vector<uint32_t> &dims,
                    const std::string &data) {
  std::string s{'\0', '\0', char(type), char(dims.size())};
  for (uint32_t d : dims)
    s += be32(d);
  return s + data;
}

/// A .npy v1.0 file with the given descr, shape text and raw data.
std::string npyFile(const std::string &descr, const std::string &shape,
                    const std::string &data) {
  std::string h = "{'descr': '" + descr +
                  "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + h.size() + 1) % 64 != 0)
    h += ' ';
  h += '\n';
  std::string len{char(h.size() & 0xff), char(h.size() >> 8)};
  return std::string("\x93NUMPY\x01\x00", 8) + len + h + data;
}

template <typename T> std::string rawBytes(const std::vector<T> &v) {
  return std::string(reinterpret_cast<const char *>(v.data()),
                     v.size() * sizeof(T));
}

/// Every test starts a fresh run.
class HostABITest : public testing::Test {
protected:
  void SetUp() override { nnc_rt_init(0); }
  void TearDown() override { nnc_rt_finish(); }
  TempDir tmp;
};

using HostABIDeathTest = HostABITest;

/// The houses CSV: 5 rows, columns area,rooms,price.
std::string housesCsv() {
  return "area,rooms,price\n"
         "50,2,100.5\n"
         "80,3,150\n"
         "120,4,210.25\n"
         "65,2,120\n"
         "95,3,170\n";
}

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

TEST_F(HostABITest, PrintSeparatesValuesBySpacesAndEndsLines) {
  std::string out = captureStdout([] {
    nnc_rt_print_str("epoch");
    nnc_rt_print_i64(3);
    nnc_rt_print_str("valid loss");
    nnc_rt_print_f64(0.5);
    nnc_rt_print_bool(1);
    nnc_rt_print_end();
    nnc_rt_print_i64(-12);
    nnc_rt_print_bool(0);
    nnc_rt_print_str("");
    nnc_rt_print_i64(std::numeric_limits<int64_t>::min());
    nnc_rt_print_end();
    nnc_rt_print_end();
  });
  EXPECT_EQ(out, "epoch 3 valid loss 0.5 true\n"
                 "-12 false  -9223372036854775808\n"
                 "\n");
}

TEST_F(HostABITest, PrintF64IsPythonRepr) {
  const std::pair<double, const char *> cases[] = {
      {0.1, "0.1"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1.0 / 3.0, "0.3333333333333333"},
      {3.0, "3.0"},
      {-2.5, "-2.5"},
      {100.0, "100.0"},
      {12345.678, "12345.678"},
      {1e-05, "1e-05"},
      {1.5e-07, "1.5e-07"},
      {0.0001, "0.0001"},
      {0.00012345, "0.00012345"},
      {1e15, "1000000000000000.0"},
      {1e16, "1e+16"},
      {123456789012345678.0, "1.2345678901234568e+17"},
      {2.5e100, "2.5e+100"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {std::numeric_limits<double>::infinity(), "inf"},
      {-std::numeric_limits<double>::infinity(), "-inf"},
      {std::nan(""), "nan"},
      {-std::nan(""), "nan"},
  };
  for (auto &[v, want] : cases)
    EXPECT_EQ(printedF64(v), std::string(want) + "\n") << want;
}

TEST_F(HostABITest, PrintTensorFixedPoint) {
  float v[] = {0.1f, -2.0f, 3.5f, 4.0f};
  auto d = view<float, 2>(v, {2, 2});
  EXPECT_EQ(printed(d), "tensor([[ 0.1000, -2.0000],\n"
                        "        [ 3.5000,  4.0000]], shape=[2, 2])\n");
}

TEST_F(HostABITest, PrintTensorScalarIntegerAndScientific) {
  float loss = 0.693147f;
  auto s = view<float, 0>(&loss, {});
  EXPECT_EQ(printed(s), "tensor(0.6931)\n");

  float ints[] = {1, 2, 3};
  auto i = view<float, 1>(ints, {3});
  EXPECT_EQ(printed(i), "tensor([1., 2., 3.], shape=[3])\n");

  float big[] = {1, 20000};
  auto b = view<float, 1>(big, {2});
  EXPECT_EQ(printed(b), "tensor([1.0000e+00, 2.0000e+04], shape=[2])\n");

  float small[] = {1e-5f, 1.0f};
  auto sm = view<float, 1>(small, {2});
  EXPECT_EQ(printed(sm), "tensor([1.0000e-05, 1.0000e+00], shape=[2])\n");

  float zeros[] = {0, -0.0f};
  auto z = view<float, 1>(zeros, {2});
  EXPECT_EQ(printed(z), "tensor([0., -0.], shape=[2])\n");
}

TEST_F(HostABITest, PrintTensorNanAndInf) {
  float nan = std::nanf(""), inf = std::numeric_limits<float>::infinity();
  float v[] = {0.0f, nan, inf, -inf, 1.5f};
  auto d = view<float, 1>(v, {5});
  EXPECT_EQ(printed(d),
            "tensor([0.0000,    nan,    inf,   -inf, 1.5000], shape=[5])\n");
  float w[] = {nan, 2.0f};
  auto e = view<float, 1>(w, {2});
  EXPECT_EQ(printed(e), "tensor([nan, 2.], shape=[2])\n");
}

TEST_F(HostABITest, PrintTensorWrapsAndNestsLikePyTorch) {
  std::vector<float> halves(10, 0.5f);
  auto d = view<float, 1>(halves.data(), {10});
  EXPECT_EQ(printed(d), "tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, "
                        "0.5000, 0.5000, 0.5000, 0.5000,\n"
                        "        0.5000], shape=[10])\n");

  float cube[] = {0, 1, 2, 3, 4, 5, 6, 7};
  auto c = view<float, 3>(cube, {2, 2, 2});
  EXPECT_EQ(printed(c), "tensor([[[0., 1.],\n"
                        "         [2., 3.]],\n"
                        "\n"
                        "        [[4., 5.],\n"
                        "         [6., 7.]]], shape=[2, 2, 2])\n");
}

TEST_F(HostABITest, PrintTensorSummarizesLargeTensors) {
  std::vector<float> ramp(2000);
  for (size_t i = 0; i < ramp.size(); ++i)
    ramp[i] = float(i);
  auto r = view<float, 1>(ramp.data(), {2000});
  EXPECT_EQ(printed(r), "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., "
                        "1.9970e+03, 1.9980e+03,\n"
                        "        1.9990e+03], shape=[2000])\n");

  std::vector<float> grid(50 * 40, 0.5f);
  auto g = view<float, 2>(grid.data(), {50, 40});
  std::string row = "[0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000]";
  EXPECT_EQ(printed(g), "tensor([" + row + ",\n        " + row + ",\n        " +
                            row + ",\n        ...,\n        " + row +
                            ",\n        " + row + ",\n        " + row +
                            "],\n       shape=[50, 40])\n");
}

TEST_F(HostABITest, PrintTensorHonoursStridesAndOtherDTypes) {
  // The transpose of [[1, 2, 3], [4, 5, 6]] as a strided view.
  float v[] = {1.5f, 2, 3, 4, 5, 6};
  StridedMemRefType<float, 2> t;
  t.basePtr = t.data = v;
  t.offset = 0;
  t.sizes[0] = 3, t.sizes[1] = 2;
  t.strides[0] = 1, t.strides[1] = 3;
  EXPECT_EQ(printed(t), "tensor([[1.5000, 4.0000],\n"
                        "        [2.0000, 5.0000],\n"
                        "        [3.0000, 6.0000]], shape=[3, 2])\n");

  int64_t ids[] = {3, -10, 7};
  auto i = view<int64_t, 1>(ids, {3});
  EXPECT_EQ(printed(i), "tensor([  3, -10,   7], shape=[3])\n");

  uint8_t flags[] = {1, 0};
  auto b = view<uint8_t, 1>(flags, {2});
  EXPECT_EQ(printed(b), "tensor([ true, false], shape=[2])\n");

  double dv[] = {1.5};
  auto f = view<double, 1>(dv, {1});
  EXPECT_EQ(printed(f), "tensor([1.5000], shape=[1], dtype=f64)\n");

  auto empty = view<float, 2>(v, {0, 3});
  EXPECT_EQ(printed(empty), "tensor([], shape=[0, 3])\n");
}

//===----------------------------------------------------------------------===//
// Datasets and loaders
//===----------------------------------------------------------------------===//

/// The next batch's features (rank R) and float targets (rank 2), freed.
template <int R>
std::pair<std::vector<float>, std::vector<float>> nextXY(int64_t l,
                                                         int64_t &rows) {
  rows = nnc_rt_loader_next(l);
  if (rows == 0)
    return {};
  StridedMemRefType<float, R> x;
  StridedMemRefType<float, 2> y;
  if constexpr (R == 2)
    _mlir_ciface_nnc_rt_loader_x_f32_2(&x, l);
  else
    _mlir_ciface_nnc_rt_loader_x_f32_3(&x, l);
  _mlir_ciface_nnc_rt_loader_y_f32_2(&y, l);
  EXPECT_EQ(x.sizes[0], rows);
  EXPECT_EQ(y.sizes[0], rows);
  EXPECT_EQ(y.sizes[1], 1);
  int64_t nx = 1;
  for (int i = 0; i < R; ++i)
    nx *= x.sizes[i];
  std::vector<float> xs(x.data, x.data + nx), ys(y.data, y.data + rows);
  std::free(x.basePtr);
  std::free(y.basePtr);
  return {xs, ys};
}

TEST_F(HostABITest, CsvDatasetBatchesWithRelativePaths) {
  tmp.write("houses.csv", housesCsv());
  nnc_rt_set_script_dir(tmp.dir.c_str());
  int64_t d = nnc_rt_dataset_csv("houses.csv", "price", -1, "", 0, 0);
  EXPECT_GE(d, 1);
  EXPECT_EQ(nnc_rt_dataset_size(d), 5);

  int64_t l = nnc_rt_loader(d, 2, 0, 0);
  EXPECT_EQ(nnc_rt_loader_num_batches(l), 3);
  nnc_rt_loader_start(l, -1);
  int64_t rows;
  auto [x0, y0] = nextXY<2>(l, rows);
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(x0, (std::vector<float>{50, 2, 80, 3}));
  EXPECT_EQ(y0, (std::vector<float>{100.5f, 150}));
  auto [x1, y1] = nextXY<2>(l, rows);
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(y1, (std::vector<float>{210.25f, 120}));
  auto [x2, y2] = nextXY<2>(l, rows);
  EXPECT_EQ(rows, 1);
  EXPECT_EQ(x2, (std::vector<float>{95, 3}));
  EXPECT_EQ(nnc_rt_loader_next(l), 0);
  EXPECT_EQ(nnc_rt_loader_next(l), 0);

  // drop_last skips the short batch; a new start begins again.
  int64_t drop = nnc_rt_loader(d, 2, 0, 1);
  EXPECT_EQ(nnc_rt_loader_num_batches(drop), 2);
  nnc_rt_loader_start(drop, -1);
  EXPECT_EQ(nnc_rt_loader_next(drop), 2);
  EXPECT_EQ(nnc_rt_loader_next(drop), 2);
  EXPECT_EQ(nnc_rt_loader_next(drop), 0);
  nnc_rt_loader_start(drop, -1);
  EXPECT_EQ(nnc_rt_loader_next(drop), 2);
}

TEST_F(HostABITest, CsvColumnsByNameOrIndexAndIntTargets) {
  std::string p = tmp.write("h.csv", "a,\"b,c\",d,label\n"
                                     "1,2,3,0\n"
                                     "4,5,6,2\n");
  // Names in a chosen order (one with a comma), an integer target by name.
  int64_t d = nnc_rt_dataset_csv(p.c_str(), "label", -1,
                                 "d\x1f"
                                 "b,c",
                                 0, 1);
  int64_t l = nnc_rt_loader(d, 8, 0, 0);
  ASSERT_EQ(nnc_rt_loader_next(l), 2);
  StridedMemRefType<float, 2> x;
  StridedMemRefType<int64_t, 1> y;
  _mlir_ciface_nnc_rt_loader_x_f32_2(&x, l);
  _mlir_ciface_nnc_rt_loader_y_i64_1(&y, l);
  EXPECT_EQ(x.sizes[1], 2);
  EXPECT_EQ(std::vector<float>(x.data, x.data + 4),
            (std::vector<float>{3, 2, 6, 5}));
  EXPECT_EQ(std::vector<int64_t>(y.data, y.data + 2),
            (std::vector<int64_t>{0, 2}));
  std::free(x.basePtr);
  std::free(y.basePtr);

  // Target and features by index.
  int64_t e = nnc_rt_dataset_csv(p.c_str(), nullptr, 3,
                                 "0\x1f"
                                 "2",
                                 1, 0);
  int64_t m = nnc_rt_loader(e, 8, 0, 0);
  ASSERT_EQ(nnc_rt_loader_next(m), 2);
  StridedMemRefType<float, 2> xe, ye;
  _mlir_ciface_nnc_rt_loader_x_f32_2(&xe, m);
  _mlir_ciface_nnc_rt_loader_y_f32_2(&ye, m);
  EXPECT_EQ(std::vector<float>(xe.data, xe.data + 4),
            (std::vector<float>{1, 3, 4, 6}));
  EXPECT_EQ(std::vector<float>(ye.data, ye.data + 2),
            (std::vector<float>{0, 2}));
  std::free(xe.basePtr);
  std::free(ye.basePtr);
}

TEST_F(HostABITest, IdxDatasetScaledImages) {
  std::string pixels;
  for (int i = 0; i < 3 * 4; ++i)
    pixels += char(i * 20);
  std::string img = tmp.write("img", idxFile(0x08, {3, 2, 2}, pixels));
  std::string lab =
      tmp.write("lab", idxFile(0x08, {3}, std::string("\x07\x00\x09", 3)));
  int64_t raw = nnc_rt_dataset_idx(img.c_str(), lab.c_str());
  int64_t d = nnc_rt_dataset_scale(raw, 1.0 / 255.0, 0.0);
  EXPECT_NE(d, raw);
  EXPECT_EQ(nnc_rt_dataset_size(d), 3);
  int64_t l = nnc_rt_loader(d, 2, 0, 0);
  ASSERT_EQ(nnc_rt_loader_next(l), 2);
  StridedMemRefType<float, 3> x;
  StridedMemRefType<int64_t, 1> y;
  _mlir_ciface_nnc_rt_loader_x_f32_3(&x, l);
  _mlir_ciface_nnc_rt_loader_y_i64_1(&y, l);
  EXPECT_EQ((std::vector<int64_t>{x.sizes[0], x.sizes[1], x.sizes[2]}),
            (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ((std::vector<int64_t>{x.strides[0], x.strides[1], x.strides[2]}),
            (std::vector<int64_t>{4, 2, 1}));
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(x.data[i], float(i * 20) * float(1.0 / 255.0)) << i;
  EXPECT_EQ(y.data[0], 7);
  EXPECT_EQ(y.data[1], 0);
  std::free(x.basePtr);
  std::free(y.basePtr);

  // The unscaled dataset is unchanged.
  int64_t lr = nnc_rt_loader(raw, 3, 0, 0);
  ASSERT_EQ(nnc_rt_loader_next(lr), 3);
  StridedMemRefType<float, 3> xr;
  _mlir_ciface_nnc_rt_loader_x_f32_3(&xr, lr);
  EXPECT_EQ(xr.data[11], 220.0f);
  std::free(xr.basePtr);
}

TEST_F(HostABITest, NpyDatasetAndTargetConversion) {
  std::vector<float> xs = {1, 2, 3, 4, 5, 6};
  std::vector<int64_t> ys = {4, 5};
  std::string x = tmp.write("x.npy", npyFile("<f4", "(2, 3)", rawBytes(xs)));
  std::string y = tmp.write("y.npy", npyFile("<i8", "(2,)", rawBytes(ys)));
  int64_t d = nnc_rt_dataset_npy(x.c_str(), y.c_str());
  EXPECT_EQ(nnc_rt_dataset_size(d), 2);
  int64_t l = nnc_rt_loader(d, 2, 0, 0);
  ASSERT_EQ(nnc_rt_loader_next(l), 2);
  StridedMemRefType<float, 1> yf;
  _mlir_ciface_nnc_rt_loader_y_f32_1(&yf, l);
  EXPECT_EQ(yf.data[0], 4.0f);
  EXPECT_EQ(yf.data[1], 5.0f);
  std::free(yf.basePtr);
}

TEST_F(HostABITest, BatchesAreLentLoaderBuffers) {
  tmp.write("houses.csv", housesCsv());
  nnc_rt_set_script_dir(tmp.dir.c_str());
  int64_t d = nnc_rt_dataset_csv("houses.csv", "price", -1, nullptr, 0, 0);
  int64_t l = nnc_rt_loader(d, 2, 0, 0);
  ASSERT_EQ(nnc_rt_loader_next(l), 2);
  StridedMemRefType<float, 2> a, b;
  _mlir_ciface_nnc_rt_loader_x_f32_2(&a, l);
  _mlir_ciface_nnc_rt_loader_x_f32_2(&b, l);
  // Lent, not given: basePtr is null, so that the caller's free(basePtr)
  // does nothing; the same buffer every time for the same batch.
  EXPECT_EQ(a.basePtr, nullptr);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.offset, 0);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data) % 64, 0u);
  EXPECT_EQ(a.strides[0], 2);
  EXPECT_EQ(a.strides[1], 1);
  EXPECT_EQ(a.data[0], 50.0f);
  std::free(a.basePtr);
  // The buffer stays as it is while the batch is current, though the next
  // batches are being assembled meanwhile.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(a.data[0], 50.0f);
  EXPECT_EQ(a.data[3], 3.0f);
  // The buffers come from a small pool: after a few batches, one is reused.
  std::set<float *> seen{a.data};
  nnc_rt_loader_start(l, -1);
  for (int i = 0; i < 6; ++i) {
    if (nnc_rt_loader_next(l) == 0)
      nnc_rt_loader_start(l, -1), nnc_rt_loader_next(l);
    StridedMemRefType<float, 2> c;
    _mlir_ciface_nnc_rt_loader_x_f32_2(&c, l);
    seen.insert(c.data);
  }
  EXPECT_LE(seen.size(), 3u);
}

TEST_F(HostABITest, SplitAndStandardize) {
  tmp.write("houses.csv", housesCsv());
  nnc_rt_set_script_dir((tmp.dir + "/").c_str());
  int64_t all = nnc_rt_dataset_csv("houses.csv", "price", -1, "area", 0, 0);
  int64_t a = nnc_rt_dataset_split(all, 0.6, 0);
  int64_t b = nnc_rt_dataset_split(all, 0.6, 1);
  EXPECT_EQ(nnc_rt_dataset_size(a), 3);
  EXPECT_EQ(nnc_rt_dataset_size(b), 2);
  // Asking again gives the same datasets, not new copies.
  EXPECT_EQ(nnc_rt_dataset_split(all, 0.6, 0), a);
  EXPECT_EQ(nnc_rt_dataset_split(all, 0.6, 1), b);
  EXPECT_EQ(nnc_rt_dataset_size(nnc_rt_dataset_split(all, 0.29, 0)), 1);

  // Train statistics: areas 50, 80, 120: mean 250/3.
  int64_t train = nnc_rt_dataset_standardize(a, a);
  int64_t valid = nnc_rt_dataset_standardize(b, a);
  FeatureStats st;
  {
    Dataset first;
    first.n = 3;
    first.featureShape = {1};
    first.features = {50, 80, 120};
    st = computeFeatureStats(first);
  }
  int64_t lt = nnc_rt_loader(train, 8, 0, 0);
  int64_t lv = nnc_rt_loader(valid, 8, 0, 0);
  ASSERT_EQ(nnc_rt_loader_next(lt), 3);
  ASSERT_EQ(nnc_rt_loader_next(lv), 2);
  StridedMemRefType<float, 2> xt, xv;
  _mlir_ciface_nnc_rt_loader_x_f32_2(&xt, lt);
  _mlir_ciface_nnc_rt_loader_x_f32_2(&xv, lv);
  EXPECT_EQ(xt.data[0], (50.0f - st.mean[0]) / st.stddev[0]);
  EXPECT_NEAR(xt.data[0] + xt.data[1] + xt.data[2], 0.0f, 1e-6f);
  EXPECT_EQ(xv.data[0], (65.0f - st.mean[0]) / st.stddev[0]);
  EXPECT_EQ(xv.data[1], (95.0f - st.mean[0]) / st.stddev[0]);
  std::free(xt.basePtr);
  std::free(xv.basePtr);
}

/// The sample order of every batch of one epoch, through the ABI (the
/// features of the counting dataset are the sample indices).
std::vector<std::vector<float>> epochThroughABI(int64_t l, int64_t epoch) {
  nnc_rt_loader_start(l, epoch);
  std::vector<std::vector<float>> out;
  while (int64_t rows = nnc_rt_loader_next(l)) {
    StridedMemRefType<float, 1> x;
    _mlir_ciface_nnc_rt_loader_x_f32_1(&x, l);
    out.emplace_back(x.data, x.data + rows);
    std::free(x.basePtr);
  }
  return out;
}

TEST_F(HostABITest, ShuffleIsReproducibleThroughTheABI) {
  std::vector<float> xs(23);
  std::vector<int64_t> ys(23);
  for (size_t i = 0; i < xs.size(); ++i)
    xs[i] = float(i), ys[i] = int64_t(i);
  std::string x = tmp.write("x.npy", npyFile("<f4", "(23,)", rawBytes(xs)));
  std::string y = tmp.write("y.npy", npyFile("<i8", "(23,)", rawBytes(ys)));

  auto run = [&](int64_t seed, int64_t epoch) {
    nnc_rt_init(seed);
    int64_t d = nnc_rt_dataset_npy(x.c_str(), y.c_str());
    int64_t l = nnc_rt_loader(d, 5, 1, 0);
    return epochThroughABI(l, epoch);
  };
  auto e0 = run(42, 0);
  ASSERT_EQ(e0.size(), 5u);
  EXPECT_EQ(e0.back().size(), 3u);
  EXPECT_EQ(run(42, 0), e0);
  EXPECT_NE(run(43, 0), e0);
  EXPECT_NE(run(42, 1), e0);

  // Exactly BatchLoader's order for (seed, epoch), every sample once.
  Dataset counting;
  counting.n = 23;
  counting.features = xs;
  counting.labels = ys;
  BatchLoader ref(counting, 5, true, false, 42);
  ref.startEpoch(0);
  std::vector<float> flat;
  for (auto &b : e0)
    flat.insert(flat.end(), b.begin(), b.end());
  ASSERT_EQ(flat.size(), 23u);
  for (size_t i = 0; i < flat.size(); ++i)
    EXPECT_EQ(flat[i], float(ref.order()[i]));
  std::set<float> seen(flat.begin(), flat.end());
  EXPECT_EQ(seen.size(), 23u);

  // start(-1) counts epochs: 0, 1, 2 as explicit starts give them.
  nnc_rt_init(42);
  int64_t d = nnc_rt_dataset_npy(x.c_str(), y.c_str());
  int64_t l = nnc_rt_loader(d, 5, 1, 0);
  auto a0 = epochThroughABI(l, -1);
  auto a1 = epochThroughABI(l, -1);
  auto a2 = epochThroughABI(l, -1);
  EXPECT_EQ(a0, e0);
  EXPECT_EQ(a1, run(42, 1));
  EXPECT_EQ(a2, run(42, 2));
}

TEST_F(HostABITest, SeekResumesMidEpoch) {
  std::vector<float> xs(10);
  std::vector<int64_t> ys(10);
  for (size_t i = 0; i < xs.size(); ++i)
    xs[i] = float(i), ys[i] = 0;
  std::string x = tmp.write("x.npy", npyFile("<f4", "(10,)", rawBytes(xs)));
  std::string y = tmp.write("y.npy", npyFile("<i8", "(10,)", rawBytes(ys)));
  int64_t d = nnc_rt_dataset_npy(x.c_str(), y.c_str());
  int64_t l = nnc_rt_loader(d, 3, 1, 0);
  auto full = epochThroughABI(l, 4);
  nnc_rt_loader_start(l, 4);
  nnc_rt_loader_seek(l, 2);
  ASSERT_EQ(nnc_rt_loader_next(l), 3);
  StridedMemRefType<float, 1> b;
  _mlir_ciface_nnc_rt_loader_x_f32_1(&b, l);
  EXPECT_EQ(std::vector<float>(b.data, b.data + 3), full[2]);
  std::free(b.basePtr);
}

TEST_F(HostABITest, ReleasedDatasetsKeepTheirLoadersWorking) {
  tmp.write("houses.csv", housesCsv());
  nnc_rt_set_script_dir(tmp.dir.c_str());
  int64_t d = nnc_rt_dataset_csv("houses.csv", "price", -1, "", 0, 0);
  int64_t l = nnc_rt_loader(d, 5, 0, 0);
  nnc_rt_dataset_release(d);
  ASSERT_EQ(nnc_rt_loader_next(l), 5);
  StridedMemRefType<float, 2> x;
  _mlir_ciface_nnc_rt_loader_x_f32_2(&x, l);
  EXPECT_EQ(x.data[9], 3.0f);
  std::free(x.basePtr);
  EXPECT_EXIT(nnc_rt_dataset_size(d), testing::ExitedWithCode(1),
              "^error: internal error: nnc_rt_dataset_size: dataset 1 was "
              "released\n$");
}

//===----------------------------------------------------------------------===//
// best / since_best
//===----------------------------------------------------------------------===//

TEST_F(HostABITest, BestAndSinceBestPerCallSite) {
  // Accuracy, mode = "max": 0.5 best, 0.4 no, 0.5 tie (no), 0.6 best, ...
  const double acc[] = {0.5, 0.4, 0.5, 0.6, 0.55, 0.59};
  const bool best[] = {true, false, false, true, false, false};
  const int64_t since[] = {0, 1, 2, 0, 1, 2};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(nnc_rt_best(1, acc[i], 1), best[i]) << i;
    EXPECT_EQ(nnc_rt_since_best(2, acc[i], 1), since[i]) << i;
  }
  // Loss, mode = "min", at another site: independent of the first two.
  EXPECT_TRUE(nnc_rt_best(3, 2.0, 0));
  EXPECT_TRUE(nnc_rt_best(3, 1.0, 0));
  EXPECT_FALSE(nnc_rt_best(3, 1.5, 0));
  EXPECT_TRUE(nnc_rt_best(3, -1e300, 0));
  // A new run forgets every site.
  nnc_rt_init(0);
  EXPECT_TRUE(nnc_rt_best(1, 0.1, 1));
  EXPECT_EQ(nnc_rt_since_best(2, 0.1, 1), 0);
}

TEST_F(HostABITest, NanIsNeverTheBest) {
  double nan = std::nan("");
  EXPECT_FALSE(nnc_rt_best(7, nan, 0));
  EXPECT_EQ(nnc_rt_since_best(8, nan, 0), 1);
  EXPECT_TRUE(nnc_rt_best(7, 3.0, 0));
  EXPECT_EQ(nnc_rt_since_best(8, 3.0, 0), 0);
  EXPECT_FALSE(nnc_rt_best(7, nan, 0));
  EXPECT_EQ(nnc_rt_since_best(8, nan, 0), 1);
  EXPECT_TRUE(nnc_rt_best(7, 2.0, 0));
}

//===----------------------------------------------------------------------===//
// Checkpoints
//===----------------------------------------------------------------------===//

TEST_F(HostABITest, SaveAndLoadRoundTrip) {
  nnc_rt_set_script_dir(tmp.dir.c_str());
  // fc.weight: a transposed (strided) view; it is saved in C order.
  float w[] = {1, 2, 3, 4, 5, 6};
  StridedMemRefType<float, 2> wt;
  wt.basePtr = wt.data = w;
  wt.offset = 0;
  wt.sizes[0] = 3, wt.sizes[1] = 2;
  wt.strides[0] = 1, wt.strides[1] = 3;
  float bias[] = {0.5f, -0.25f, 0.125f};
  auto b = view<float, 1>(bias, {3});
  double t = 7.5;
  auto tv = view<double, 0>(&t, {});
  int64_t steps[] = {100, 200};
  auto sv = view<int64_t, 1>(steps, {2});
  auto uw = unranked(wt);
  auto ub = unranked(b);
  auto ut = unranked(tv);
  auto us = unranked(sv);
  nnc_rt_save_begin("runs/net.safetensors");
  _mlir_ciface_nnc_rt_save_f32("fc.weight", &uw);
  _mlir_ciface_nnc_rt_save_f32("fc.bias", &ub);
  w[0] = 99; // the data was copied at the call
  _mlir_ciface_nnc_rt_save_f64("t", &ut);
  _mlir_ciface_nnc_rt_save_i64("steps", &us);
  nnc_rt_save_end();
  EXPECT_EQ(tmp.list("runs"), std::vector<std::string>{"net.safetensors"});

  // PyTorch-readable: names, dtypes, shapes, C order, {"format": "pt"}.
  SafetensorsFile f;
  std::string err;
  ASSERT_TRUE(readSafetensors(tmp.path("runs/net.safetensors"), f, err)) << err;
  EXPECT_EQ(f.metadata.at("format"), "pt");
  const SafetensorsTensor *fw = f.find("fc.weight");
  ASSERT_NE(fw, nullptr);
  EXPECT_EQ(fw->dtype, "F32");
  EXPECT_EQ(fw->shape, (std::vector<int64_t>{3, 2}));
  std::vector<float> got(6);
  std::memcpy(got.data(), f.bytes(*fw), 24);
  EXPECT_EQ(got, (std::vector<float>{1, 4, 2, 5, 3, 6}));

  // Load into fresh buffers, one of them strided too.
  float w2[6] = {}, b2[3] = {};
  double t2 = 0;
  int64_t s2[2] = {};
  StridedMemRefType<float, 2> w2t = wt;
  w2t.basePtr = w2t.data = w2;
  auto b2v = view<float, 1>(b2, {3});
  auto t2v = view<double, 0>(&t2, {});
  auto s2v = view<int64_t, 1>(s2, {2});
  auto lw = unranked(w2t);
  auto lb = unranked(b2v);
  auto lt = unranked(t2v);
  auto ls = unranked(s2v);
  nnc_rt_load_begin("runs/net.safetensors", "net");
  _mlir_ciface_nnc_rt_load_f32("fc.weight", &lw);
  _mlir_ciface_nnc_rt_load_f32("fc.bias", &lb);
  _mlir_ciface_nnc_rt_load_f64("t", &lt);
  _mlir_ciface_nnc_rt_load_i64("steps", &ls);
  nnc_rt_load_end();
  EXPECT_EQ(std::vector<float>(w2, w2 + 6),
            (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(std::vector<float>(b2, b2 + 3),
            (std::vector<float>{0.5f, -0.25f, 0.125f}));
  EXPECT_EQ(t2, 7.5);
  EXPECT_EQ(s2[0], 100);
  EXPECT_EQ(s2[1], 200);
  EXPECT_EQ(nnc_rt_finish(), 0);
}

TEST_F(HostABIDeathTest, FailedSaveKeepsTheOldCheckpoint) {
  std::string p = tmp.write("ckpt.safetensors", "precious old checkpoint");
  std::vector<float> big(4096, 1.0f);
  auto d = view<float, 1>(big.data(), {4096});
  auto u = unranked(d);
  // In the child: writes past 4 KiB fail with EFBIG (even for root), as a
  // full disk fails them with ENOSPC.
  EXPECT_EXIT(
      {
        struct rlimit small;
        getrlimit(RLIMIT_FSIZE, &small);
        small.rlim_cur = 4096;
        std::signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &small);
        nnc_rt_set_location("mlp.nn:99:3");
        nnc_rt_save_begin(p.c_str());
        _mlir_ciface_nnc_rt_save_f32("big", &u);
        nnc_rt_save_end();
      },
      testing::ExitedWithCode(1),
      "^mlp\\.nn:99:3: error: " + re("'" + p + "': cannot write tensor 'big'") +
          ".*" + re(std::strerror(EFBIG)));
  EXPECT_EQ(readAll(p), "precious old checkpoint");
  EXPECT_EQ(tmp.list(), std::vector<std::string>{"ckpt.safetensors"});
}

/// Saves w: F32[2, 3] and b: F32[3] to \p path.
void saveSmall(const std::string &path) {
  float w[6] = {}, b[3] = {};
  auto wv = view<float, 2>(w, {2, 3});
  auto bv = view<float, 1>(b, {3});
  auto uw = unranked(wv);
  auto ub = unranked(bv);
  nnc_rt_save_begin(path.c_str());
  _mlir_ciface_nnc_rt_save_f32("w", &uw);
  _mlir_ciface_nnc_rt_save_f32("b", &ub);
  nnc_rt_save_end();
}

TEST_F(HostABIDeathTest, LoadMismatchesNameTheFileTensorAndShapes) {
  std::string p = tmp.path("small.safetensors");
  saveSmall(p);
  float buf[8] = {};
  auto w32 = view<float, 2>(buf, {3, 2});
  auto uw = unranked(w32);
  nnc_rt_load_begin(p.c_str(), "net");
  EXPECT_EXIT(_mlir_ciface_nnc_rt_load_f32("w", &uw),
              testing::ExitedWithCode(1),
              "^error: " +
                  re("'" + p +
                     "': tensor 'w' has shape [2, 3], but the "
                     "program expects [3, 2]") +
                  "\n$");
  auto missing = view<float, 1>(buf, {3});
  auto um = unranked(missing);
  EXPECT_EXIT(
      _mlir_ciface_nnc_rt_load_f32("fc1.weight", &um),
      testing::ExitedWithCode(1),
      re("'" + p + "': no tensor 'fc1.weight' (the file has 'b', 'w')"));
  double dbuf[3];
  auto dv = view<double, 1>(dbuf, {3});
  auto ud = unranked(dv);
  EXPECT_EXIT(
      _mlir_ciface_nnc_rt_load_f64("b", &ud), testing::ExitedWithCode(1),
      re("'" + p + "': tensor 'b' is F32[3], but the program expects F64[3]"));
  // Only b is loaded: w is unexpected at the end (strict, as PyTorch).
  auto bv = view<float, 1>(buf, {3});
  auto ub = unranked(bv);
  _mlir_ciface_nnc_rt_load_f32("b", &ub);
  EXPECT_EXIT(nnc_rt_load_end(), testing::ExitedWithCode(1),
              re("'" + p + "': unexpected tensor 'w'"));
  auto wv = view<float, 2>(buf, {2, 3});
  auto uw2 = unranked(wv);
  _mlir_ciface_nnc_rt_load_f32("w", &uw2);
  nnc_rt_load_end();
}

TEST_F(HostABIDeathTest, UnreadableCheckpointsAreErrors) {
  std::string missing = tmp.path("none.safetensors");
  EXPECT_EXIT(nnc_rt_load_begin(missing.c_str(), "net"),
              testing::ExitedWithCode(1),
              "^error: .*" + re("'" + missing + "'") + ".*" +
                  re(std::strerror(ENOENT)));
  std::string bad = tmp.write("bad.safetensors", std::string("\x05\0\0\0", 4));
  EXPECT_EXIT(nnc_rt_load_begin(bad.c_str(), "net"), testing::ExitedWithCode(1),
              "^error: " + re("'" + bad + "': "));
}

TEST_F(HostABIDeathTest, CheckpointProtocolErrors) {
  float v = 1;
  auto d = view<float, 0>(&v, {});
  auto u = unranked(d);
  EXPECT_EXIT(_mlir_ciface_nnc_rt_save_f32("x", &u), testing::ExitedWithCode(1),
              "internal error: nnc_rt_save_f32: no save is open");
  EXPECT_EXIT(nnc_rt_save_end(), testing::ExitedWithCode(1),
              "internal error: nnc_rt_save_end: no save is open");
  EXPECT_EXIT(_mlir_ciface_nnc_rt_load_f32("x", &u), testing::ExitedWithCode(1),
              "internal error: nnc_rt_load_f32: no load is open");
  nnc_rt_save_begin(tmp.path("a.safetensors").c_str());
  _mlir_ciface_nnc_rt_save_f32("x", &u);
  EXPECT_EXIT(_mlir_ciface_nnc_rt_save_f32("x", &u), testing::ExitedWithCode(1),
              "tensor 'x' is saved twice");
  EXPECT_EXIT(nnc_rt_load_begin(tmp.path("a.safetensors").c_str(), "net"),
              testing::ExitedWithCode(1), "a save or load is already open");
  // A run that ends with the save still open fails.
  std::string err;
  testing::internal::CaptureStderr();
  EXPECT_EQ(nnc_rt_finish(), 1);
  err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("was begun but not ended"), std::string::npos) << err;
}

//===----------------------------------------------------------------------===//
// Predictions
//===----------------------------------------------------------------------===//

TEST_F(HostABITest, WriteCsvOfClassIdsAndScores) {
  nnc_rt_set_script_dir(tmp.dir.c_str());
  int64_t ids[] = {3, 0, 9};
  auto i = view<int64_t, 1>(ids, {3});
  auto ui = unranked(i);
  _mlir_ciface_nnc_rt_write_csv_i64("runs/pred.csv", &ui);
  EXPECT_EQ(readAll(tmp.path("runs/pred.csv")),
            "id,prediction\n0,3\n1,0\n2,9\n");

  // A rank-2 f32 tensor, strided (a transposed view), overwrites the file.
  float v[] = {0.1f, 3.0f, 1e-05f, -2.5f};
  StridedMemRefType<float, 2> t;
  t.basePtr = t.data = v;
  t.offset = 0;
  t.sizes[0] = 2, t.sizes[1] = 2;
  t.strides[0] = 1, t.strides[1] = 2;
  auto ut = unranked(t);
  _mlir_ciface_nnc_rt_write_csv_f32("runs/pred.csv", &ut);
  EXPECT_EQ(readAll(tmp.path("runs/pred.csv")),
            "id,p0,p1\n0,0.1,1e-05\n1,3.0,-2.5\n");
  EXPECT_EQ(tmp.list("runs"), std::vector<std::string>{"pred.csv"});

  double dv[] = {0.1, 1e300};
  auto d = view<double, 1>(dv, {2});
  auto ud = unranked(d);
  _mlir_ciface_nnc_rt_write_csv_f64(tmp.path("d.csv").c_str(), &ud);
  EXPECT_EQ(readAll(tmp.path("d.csv")), "id,prediction\n0,0.1\n1,1e+300\n");
}

TEST_F(HostABIDeathTest, WriteCsvErrorsKeepTheOldFile) {
  std::string p = tmp.write("pred.csv", "old predictions\n");
  std::vector<int64_t> many(2000, 123456789);
  auto d = view<int64_t, 1>(many.data(), {2000});
  auto u = unranked(d);
  EXPECT_EXIT(
      {
        struct rlimit small;
        getrlimit(RLIMIT_FSIZE, &small);
        small.rlim_cur = 4096;
        std::signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &small);
        _mlir_ciface_nnc_rt_write_csv_i64(p.c_str(), &u);
      },
      testing::ExitedWithCode(1),
      "^error: " +
          re("'" + p + "': cannot write temporary file '" + p + ".tmp.") +
          ".*" + re(std::strerror(EFBIG)));
  EXPECT_EQ(readAll(p), "old predictions\n");
  EXPECT_EQ(tmp.list(), std::vector<std::string>{"pred.csv"});

  int64_t cube[8] = {};
  auto c = view<int64_t, 3>(cube, {2, 2, 2});
  auto uc = unranked(c);
  EXPECT_EXIT(_mlir_ciface_nnc_rt_write_csv_i64(p.c_str(), &uc),
              testing::ExitedWithCode(1),
              re("a tensor of shape [2, 2, 2] cannot be written as CSV"));

  // The parent "directory" is a file: the temporary file cannot be made.
  std::string blocked = p + "/out.csv";
  auto one = view<int64_t, 1>(cube, {1});
  auto uo = unranked(one);
  EXPECT_EXIT(_mlir_ciface_nnc_rt_write_csv_i64(blocked.c_str(), &uo),
              testing::ExitedWithCode(1),
              re("'" + blocked + "': cannot create temporary file"));
}

//===----------------------------------------------------------------------===//
// Data errors
//===----------------------------------------------------------------------===//

TEST_F(HostABIDeathTest, DataFileErrorsNameTheFileAndLine) {
  nnc_rt_set_script_dir(tmp.dir.c_str());
  std::string missing = tmp.path("missing.csv");
  EXPECT_EXIT(nnc_rt_dataset_csv("missing.csv", "price", -1, "", 0, 0),
              testing::ExitedWithCode(1),
              "^error: " + re("cannot open '" + missing + "': ") +
                  re(std::strerror(ENOENT)) + "\n$");

  tmp.write("bad.csv", "a,b,price\n1,2,3\n4,abc,6\n");
  nnc_rt_set_location("houses.nn:2:6");
  EXPECT_EXIT(nnc_rt_dataset_csv("bad.csv", "price", -1, "", 0, 0),
              testing::ExitedWithCode(1),
              "^houses\\.nn:2:6: error: " +
                  re("'" + tmp.path("bad.csv") +
                     "':3: column 'b': not a number: 'abc'") +
                  "\n$");
  nnc_rt_set_location(nullptr);
  EXPECT_EXIT(nnc_rt_dataset_csv("bad.csv", "prize", -1, "", 0, 0),
              testing::ExitedWithCode(1), "no target column named 'prize'");

  std::string img =
      tmp.write("img", idxFile(0x08, {3, 2, 2}, std::string(12, '\1')));
  std::string lab = tmp.write("lab", idxFile(0x08, {2}, "\1\2"));
  EXPECT_EXIT(nnc_rt_dataset_idx(img.c_str(), lab.c_str()),
              testing::ExitedWithCode(1), "^error: .*" + re("'" + img + "'"));
  EXPECT_EXIT(nnc_rt_dataset_npy(img.c_str(), lab.c_str()),
              testing::ExitedWithCode(1), "^error: .*" + re(img));
}

TEST_F(HostABIDeathTest, StandardizeNeedsTheSameFeatures) {
  tmp.write("houses.csv", housesCsv());
  nnc_rt_set_script_dir(tmp.dir.c_str());
  int64_t two = nnc_rt_dataset_csv("houses.csv", "price", -1, "", 0, 0);
  int64_t one = nnc_rt_dataset_csv("houses.csv", "price", -1, "area", 0, 0);
  EXPECT_EXIT(nnc_rt_dataset_standardize(two, one), testing::ExitedWithCode(1),
              re("error: cannot standardize features of shape [2] with the "
                 "statistics of features of shape [1]"));
}

TEST_F(HostABIDeathTest, WrongHandlesAndRanksAreInternalErrors) {
  tmp.write("houses.csv", housesCsv());
  nnc_rt_set_script_dir(tmp.dir.c_str());
  int64_t d = nnc_rt_dataset_csv("houses.csv", "price", -1, "", 0, 0);
  int64_t l = nnc_rt_loader(d, 2, 0, 0);
  EXPECT_EXIT(nnc_rt_dataset_size(99), testing::ExitedWithCode(1),
              "^error: internal error: nnc_rt_dataset_size: invalid dataset "
              "id 99\n$");
  EXPECT_EXIT(nnc_rt_loader_next(0), testing::ExitedWithCode(1),
              "invalid loader id 0");
  EXPECT_EXIT(nnc_rt_loader(d, 0, 0, 0), testing::ExitedWithCode(1),
              re("batch size 0 (must be >= 1)"));
  StridedMemRefType<float, 2> x2;
  EXPECT_EXIT(_mlir_ciface_nnc_rt_loader_x_f32_2(&x2, l),
              testing::ExitedWithCode(1), "has no current batch");
  ASSERT_EQ(nnc_rt_loader_next(l), 2);
  StridedMemRefType<float, 3> x3;
  EXPECT_EXIT(_mlir_ciface_nnc_rt_loader_x_f32_3(&x3, l),
              testing::ExitedWithCode(1),
              re("nnc_rt_loader_x_f32_3: the batch has shape [2, 2] (rank "
                 "2), but the call returns rank 3"));
  StridedMemRefType<int64_t, 2> y;
  EXPECT_EXIT(_mlir_ciface_nnc_rt_loader_y_i64_2(&y, l),
              testing::ExitedWithCode(1),
              "the dataset has float targets, not int64 labels");
  EXPECT_EXIT(nnc_rt_dataset_split(d, 0.5, 2), testing::ExitedWithCode(1),
              re("part 2 (must be 0 or 1)"));
  EXPECT_EXIT(_mlir_ciface_nnc_rt_print_tensor_f32(nullptr),
              testing::ExitedWithCode(1), "invalid memref descriptor");
  // A loader that ran to the end has no current batch either.
  while (nnc_rt_loader_next(l))
    ;
  EXPECT_EXIT(_mlir_ciface_nnc_rt_loader_x_f32_2(&x2, l),
              testing::ExitedWithCode(1), "has no current batch");
}

//===----------------------------------------------------------------------===//
// The symbol table
//===----------------------------------------------------------------------===//

TEST_F(HostABITest, MemrefCopyFollowsStridesAndOffsets) {
  // A transposed 3x2 view (strides [1, 3], offset 1) of a 2x3 buffer with a
  // leading padding element, copied into a contiguous 3x2 buffer.
  float source[7] = {-1, 0, 1, 2, 3, 4, 5};
  float target[6] = {};
  StridedMemRefType<float, 2> src{source, source, 1, {3, 2}, {1, 3}};
  StridedMemRefType<float, 2> dst{target, target, 0, {3, 2}, {2, 1}};
  UnrankedMemRefType<char> s{2, &src}, d{2, &dst};
  memrefCopy(sizeof(float), &s, &d);
  EXPECT_EQ(std::vector<float>(target, target + 6),
            (std::vector<float>{0, 3, 1, 4, 2, 5}));
  // Contiguous rows are copied a row at a time, into a strided target.
  float rows[6] = {1, 2, 3, 4, 5, 6};
  float wide[8] = {};
  StridedMemRefType<float, 2> src2{rows, rows, 0, {2, 3}, {3, 1}};
  StridedMemRefType<float, 2> dst2{wide, wide, 0, {2, 3}, {4, 1}};
  UnrankedMemRefType<char> s2{2, &src2}, d2{2, &dst2};
  memrefCopy(sizeof(float), &s2, &d2);
  EXPECT_EQ(std::vector<float>(wide, wide + 8),
            (std::vector<float>{1, 2, 3, 0, 4, 5, 6, 0}));
  // Rank 0 and empty shapes.
  float one = 7, out = 0;
  StridedMemRefType<float, 0> a{&one, &one, 0}, b{&out, &out, 0};
  UnrankedMemRefType<char> ua{0, &a}, ub{0, &b};
  memrefCopy(sizeof(float), &ua, &ub);
  EXPECT_EQ(out, 7);
  StridedMemRefType<float, 2> empty{rows, rows, 0, {0, 3}, {3, 1}};
  UnrankedMemRefType<char> ue{2, &empty};
  memrefCopy(sizeof(float), &ue, &d2);
  EXPECT_EQ(wide[0], 1);
}

TEST_F(HostABITest, SymbolTableListsEveryEntryPoint) {
  const std::vector<HostSymbol> &syms = hostABISymbols();
  std::set<std::string> names;
  for (const HostSymbol &s : syms) {
    EXPECT_NE(s.address, nullptr) << s.name;
    std::string n = s.name;
    EXPECT_TRUE(n.rfind("nnc_rt_", 0) == 0 ||
                n.rfind("_mlir_ciface_nnc_rt_", 0) == 0 || n == "memrefCopy" ||
                n.rfind("_mlir_memref_to_llvm_", 0) == 0)
        << n;
    names.insert(n);
  }
  EXPECT_EQ(names.size(), syms.size());
  EXPECT_EQ(syms.size(), 87u);
  for (const char *n : {"nnc_rt_init",
                        "nnc_rt_loader_next",
                        "nnc_rt_max_steps",
                        "memrefCopy",
                        "nnc_rt_loader_check_labels",
                        "_mlir_ciface_nnc_rt_loader_x_f32_3",
                        "_mlir_ciface_nnc_rt_print_tensor_f32",
                        "_mlir_ciface_nnc_rt_save_f32",
                        "_mlir_ciface_nnc_rt_write_csv_i64",
                        "nnc_rt_best",
                        "nnc_rt_resume_point",
                        "nnc_rt_state_save_end",
                        "nnc_rt_int_error",
                        "nnc_rt_to_int_error",
                        "nnc_rt_pow_i64",
                        "nnc_rt_resume_check",
                        "nnc_rt_resume_check_counter",
                        "_mlir_ciface_nnc_rt_save_i1",
                        "nnc_rt_epoch_begin",
                        "nnc_rt_epoch_end",
                        "nnc_rt_step_loss",
                        "nnc_rt_epoch_metric"})
    EXPECT_TRUE(names.count(n)) << n;
  // The memref entry points exist only under their C-interface names.
  EXPECT_FALSE(names.count("nnc_rt_print_tensor_f32"));
}

TEST_F(HostABITest, FinishFlushesAndReportsSuccess) {
  std::string out = captureStdout([] {
    nnc_rt_print_str("partial");
    EXPECT_EQ(nnc_rt_finish(), 0);
  });
  EXPECT_EQ(out, "partial");
  // A run after finish starts on a fresh line state.
  out = captureStdout([] {
    nnc_rt_init(1);
    nnc_rt_print_i64(1);
    nnc_rt_print_end();
  });
  EXPECT_EQ(out, "1\n");
}

} // namespace
