//===- Progress.h - Training progress, metrics CSV and plot -----*- C++ -*-===//
//
// Internal to the runtime: the hooks by which HostABI.cpp tells the progress
// display (Progress.cpp) about prints, errors and batches, the helpers of
// HostABI.cpp that Progress.cpp uses, and the learning-curve plot
// (Plot.cpp, cairo loaded with dlopen).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_LIB_PROGRESS_H
#define NNC_RUNTIME_LIB_PROGRESS_H

#include "nnc/runtime/HostABI.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::rt {

/// Helpers defined in HostABI.cpp.
namespace detail {
/// The run options set with setRunOptions().
const RunOptions &runOptions();
/// Sets the location that error messages start with ("--metrics").
void setLocation(const std::string &location);
/// Prints "[<location>: ]error: <message>" to stderr and exits with 1.
[[noreturn]] void fail(const std::string &message);
/// A double as Python's repr prints it (nnc_rt_print_f64).
std::string repr(double value);
} // namespace detail

/// Hooks that HostABI.cpp calls; defined in Progress.cpp.
namespace progress {
/// nnc_rt_init: resets the progress state, decides bar or lines, checks
/// that --metrics and --plot can be written (an error exits with 1).
void runStart();
/// nnc_rt_finish: prints the last epoch's summary, writes --metrics and
/// --plot a last time.
void runEnd();
/// Before the script prints a line to stdout: clears the bar, prints the
/// summary of an ended epoch (without the metrics: the script reports).
void beforePrint();
/// After the script's line: draws the bar again.
void afterPrint();
/// Before an error message: prints an ended epoch's summary, clears the
/// bar.
void beforeError();
/// nnc_rt_loader_next of \p loader returned \p rows.
void batch(int64_t loader, int64_t rows);
/// The epochs' rows so far and the step count, as text for a training
/// state (`--state`), and their restoring (`--resume`): a resumed run's
/// --metrics, --plot and summaries then hold the epochs before the pause,
/// and the epoch it paused in goes on in the same row.
std::string stateText();
void restoreState(const std::string &text);
} // namespace progress

/// The learning-curve PNG of --plot; defined in Plot.cpp.
namespace plot {
/// One curve: a value per epoch (NaN where the epoch has none).
struct Series {
  std::string name; ///< "train_loss", "valid_accuracy", ...
  std::vector<double> values;
};
/// Loads libcairo.so.2 (or the library named by $NNC_LIBCAIRO) once.
/// False, with \p error saying why, when it cannot be loaded.
bool load(std::string &error);
/// Draws the curves - losses in one panel, the metrics whose name holds
/// "acc" in a second - as a PNG file's bytes in \p png. Needs load().
bool render(const std::vector<Series> &series, std::string &png,
            std::string &error);
} // namespace plot

} // namespace nnc::rt

#endif // NNC_RUNTIME_LIB_PROGRESS_H
