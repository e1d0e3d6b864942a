//===- ProgressTest.cpp - Tests of the training progress ABI -------------===//
//
// Unit tests of the progress entry points of HostABI.h (Progress.cpp),
// called as the compiled `@nnc_main` calls them around a training loop: the
// epoch's mean train loss weighted by batch size, the summary line on
// stderr in lines mode (with the evaluate's metrics, or without them when
// the script prints after the epoch), --metrics rows and columns, the
// options' parsing, and nothing at all with --progress=off.
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/HostABI.h"

#include "TestFiles.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

using namespace nnc::rt;

namespace {

using nnc::test::TempDir;

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ProgressTest : public testing::Test {
protected:
  /// Starts a run with \p mode and --metrics in the temporary directory.
  void start(RunOptions::Progress mode) {
    RunOptions o;
    o.progress = mode;
    o.metricsPath = tmp.path("m.csv");
    setRunOptions(o);
    nnc_rt_init(0);
    // 6 samples: batches of 4 and 2.
    std::string p =
        tmp.write("d.csv", "a,label\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n");
    loader = nnc_rt_loader(nnc_rt_dataset_csv(p.c_str(), "label", -1, "", 0, 1),
                           4, 0, 0);
  }
  /// One epoch whose two steps have the losses \p a (4 rows), \p b (2 rows).
  void epoch(int64_t n, double a, double b) {
    nnc_rt_loader_start(loader, -1);
    nnc_rt_epoch_begin(loader, n, 2);
    ASSERT_EQ(nnc_rt_loader_next(loader), 4);
    nnc_rt_step_done();
    nnc_rt_step_loss(a);
    ASSERT_EQ(nnc_rt_loader_next(loader), 2);
    nnc_rt_step_done();
    nnc_rt_step_loss(b);
    ASSERT_EQ(nnc_rt_loader_next(loader), 0);
    nnc_rt_epoch_end(loader);
  }
  void TearDown() override { setRunOptions(RunOptions()); }

  TempDir tmp;
  int64_t loader = 0;
};

TEST_F(ProgressTest, BatchWeightedTrainLossAndMetricsInCsvAndSummary) {
  testing::internal::CaptureStderr();
  start(RunOptions::Progress::Lines);
  // A metric before the first epoch belongs to no row.
  nnc_rt_epoch_metric("valid_loss", 9.0);
  epoch(1, 1.0, 4.0); // (1 * 4 + 4 * 2) / 6 = 2
  nnc_rt_epoch_metric("valid_loss", 0.5);
  nnc_rt_epoch_metric("valid_accuracy", 0.75);
  epoch(2, 3.0, 0.0); // (3 * 4) / 6 = 2, a second time with another mean
  nnc_rt_epoch_metric("valid_accuracy", 0.25);
  EXPECT_EQ(nnc_rt_finish(), 0);
  std::string err = testing::internal::GetCapturedStderr();
  std::string csv = readAll(tmp.path("m.csv"));
  // Columns in the order first seen; an epoch without a metric leaves it
  // empty.
  std::istringstream lines(csv);
  std::string header, row1, row2, rest;
  std::getline(lines, header);
  std::getline(lines, row1);
  std::getline(lines, row2);
  EXPECT_EQ(header,
            "epoch,step,train_loss,elapsed_s,valid_loss,valid_accuracy");
  EXPECT_EQ(row1.substr(0, 10), "1,2,2.0,0.");
  EXPECT_EQ(row1.substr(row1.size() - 9), ",0.5,0.75");
  EXPECT_EQ(row2.substr(0, 10), "2,4,2.0,0.");
  EXPECT_EQ(row2.substr(row2.size() - 6), ",,0.25");
  EXPECT_FALSE(std::getline(lines, rest));
  EXPECT_NE(err.find("epoch 1/2: 2 steps in "), std::string::npos) << err;
  EXPECT_NE(err.find(", train loss 2, valid loss 0.5, valid accuracy 0.75\n"
                     "epoch 2/2: 2 steps in "),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(", train loss 2, valid accuracy 0.25\n"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find('\r'), std::string::npos) << err;
}

TEST_F(ProgressTest, ScriptPrintAfterTheEpochTakesOverItsMetrics) {
  testing::internal::CaptureStderr();
  start(RunOptions::Progress::Lines);
  epoch(1, 1.0, 1.0);
  nnc_rt_epoch_metric("valid_loss", 0.5);
  nnc_rt_print_str("epoch 1 done");
  nnc_rt_print_end();
  EXPECT_EQ(nnc_rt_finish(), 0);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find(", train loss 1\n"), std::string::npos) << err;
  EXPECT_EQ(err.find("valid"), std::string::npos) << err;
  // The row has the metric all the same.
  EXPECT_NE(readAll(tmp.path("m.csv")).find(",0.5\n"), std::string::npos);
}

TEST_F(ProgressTest, OffPrintsNothingButWritesMetrics) {
  testing::internal::CaptureStderr();
  start(RunOptions::Progress::Off);
  epoch(1, 1.0, 1.0);
  EXPECT_EQ(nnc_rt_finish(), 0);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(readAll(tmp.path("m.csv")).substr(0, 40),
            "epoch,step,train_loss,elapsed_s\n1,2,1.0,");
}

TEST_F(ProgressTest, ProgressOptions) {
  RunOptions o;
  EXPECT_EQ(setProgressOptions(o, "lines", true, false, "m.csv", "p.png"), "");
  EXPECT_EQ(o.progress, RunOptions::Progress::Lines);
  EXPECT_EQ(o.metricsPath, "m.csv");
  EXPECT_EQ(o.plotPath, "p.png");
  EXPECT_EQ(setProgressOptions(o, "auto", false, true, "", ""), "");
  EXPECT_EQ(o.progress, RunOptions::Progress::Off);
  EXPECT_EQ(setProgressOptions(o, "off", true, true, "", ""), "");
  EXPECT_EQ(setProgressOptions(o, "fast", true, false, "", ""),
            "--progress must be auto, bar, lines or off, but it is 'fast'");
  EXPECT_EQ(setProgressOptions(o, "bar", true, true, "", ""),
            "--quiet and --progress=bar contradict each other");
  EXPECT_EQ(setProgressOptions(o, "auto", false, false, "x", "x"),
            "--metrics and --plot name the same file 'x'");
}

} // namespace
