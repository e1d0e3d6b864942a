//===- Progress.cpp - Progress bar, epoch summaries, metrics CSV ----------===//
//
// What a training run shows on stderr, and the files --metrics and --plot.
// The generated host program reports each training epoch
// (nnc_rt_epoch_begin/end), each step's loss (nnc_rt_step_loss) and the
// metrics of each evaluate in a loop that trains (nnc_rt_epoch_metric);
// HostABI.cpp reports prints, errors and batch sizes through the hooks of
// Progress.h.
//
//   1. Mode (runStart): --progress=auto is a bar when stderr is a terminal
//      whose TERM is not "dumb", else plain lines; off prints nothing.
//   2. During an epoch: the bar is redrawn in place ("\r...\033[K") at most
//      10 times a second - epoch n/N, percent, batches done/total, elapsed
//      and ETA, steps/s and the epoch's running mean loss, as tqdm draws
//      it. Lines mode prints the same figures as a line every 10 s.
//   3. Epoch end: the epoch's row (steps, batch-weighted mean train loss,
//      elapsed time) is complete; --metrics is rewritten. The summary line
//      waits: metrics of evaluates that follow are added to the row (and to
//      --metrics) as they come.
//   4. The summary is printed at the first of: the script's next print (it
//      then leaves the metrics to the script's own line), the next epoch,
//      the end of the run (with the metrics). --plot is redrawn when an
//      epoch's row is final (at the next epoch), at most every 2 s, and at
//      the end of the run.
//
// --metrics and --plot are always replaced by a rename of a temporary
// file, so a killed run leaves the rows of the epochs it finished.
//
//===----------------------------------------------------------------------===//

#include "progress/Progress.h"
#include "nnc/runtime/Safetensors.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sstream>
#include <string>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace nnc::rt;

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string format(const char *fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

/// A loss or metric for people: 4 significant digits.
std::string value4(double v) { return format("%.4g", v); }

/// "0.42 s", "12.3 s", "2:05", "1:02:05".
std::string duration(double s) {
  if (!std::isfinite(s) || s < 0)
    return "?";
  if (s < 0.01)
    return format("%.3f ms", s * 1000);
  if (s < 1)
    return format("%.0f ms", s * 1000);
  if (s < 10)
    return format("%.2f s", s);
  if (s < 100)
    return format("%.1f s", s);
  long t = std::lround(s);
  char buf[32];
  if (t < 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60,
                  t % 60);
  return buf;
}

/// tqdm's [elapsed<remaining] clock: "00:07", "1:02:05".
std::string clockTime(double s) {
  if (!std::isfinite(s) || s < 0)
    return "?";
  long t = std::lround(s);
  char buf[32];
  if (t < 3600)
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60,
                  t % 60);
  return buf;
}

/// "221 steps/s", "3.52 steps/s", "2.31 s/step".
std::string rate(double stepsPerSecond) {
  if (!(stepsPerSecond > 0) || !std::isfinite(stepsPerSecond))
    return "? steps/s";
  if (stepsPerSecond < 1)
    return format("%.2f s/step", 1 / stepsPerSecond);
  if (stepsPerSecond < 10)
    return format("%.2f steps/s", stepsPerSecond);
  if (stepsPerSecond < 100)
    return format("%.1f steps/s", stepsPerSecond);
  return format("%.0f steps/s", stepsPerSecond);
}

/// "valid_accuracy" -> "valid accuracy".
std::string label(std::string name) {
  for (char &c : name)
    if (c == '_')
      c = ' ';
  return name;
}

/// Whether the terminal takes UTF-8 (the bar's eighth blocks), by the
/// locale variables as POSIX orders them.
bool utf8Terminal() {
  for (const char *var : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char *v = std::getenv(var);
    if (v && *v) {
      std::string s = v;
      for (char &c : s)
        c = char(std::tolower(static_cast<unsigned char>(c)));
      return s.find("utf-8") != std::string::npos ||
             s.find("utf8") != std::string::npos;
    }
  }
  return false;
}

/// Creates the missing parent directories of \p path.
void makeParents(const std::string &path) {
  for (size_t at = path.find('/', 1); at != std::string::npos;
       at = path.find('/', at + 1))
    ::mkdir(path.substr(0, at).c_str(), 0777);
}

/// Replaces \p path with \p bytes: a temporary file beside it, renamed
/// over it, so that a reader - or a run killed meanwhile - finds the old
/// file or the new one, never a part. Without the fsync of checkpoints
/// (HostABI's writeAtomically): these files are rewritten every epoch, and
/// an fsync costs milliseconds, more than a small epoch.
bool replaceFile(const std::string &path, const std::string &bytes,
                 std::string &error) {
  makeParents(path);
  removeStaleTemporaries(path); // of a run that was killed
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f) {
    error = "'" + path + "': cannot create temporary file '" + tmp +
            "': " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  int e = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    e = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    error = "'" + path + "': cannot write temporary file '" + tmp +
            "': " + std::strerror(e);
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    e = errno;
    ::unlink(tmp.c_str());
    error = "'" + path + "': cannot replace the file: " + std::strerror(e);
    return false;
  }
  return true;
}

/// One training epoch: a row of --metrics and a point of each --plot curve.
struct Row {
  int64_t epoch = 0;  ///< as shown: n of "epoch n/N"
  int64_t step = 0;   ///< optimizer steps of the run at the epoch's end
  int64_t steps = 0;  ///< optimizer steps in the epoch
  double lossSum = 0; ///< sum of loss * batch rows
  double weight = 0;  ///< sum of batch rows
  double elapsed = 0; ///< seconds from the run's start to the epoch's end
  double trainTime = 0;
  bool finished = false;
  std::map<size_t, double> metrics; ///< column -> value
  double trainLoss() const { return weight > 0 ? lossSum / weight : NAN; }
};

enum class Mode { Bar, Lines, Off };

struct Progress {
  Mode mode = Mode::Off;
  bool utf8 = false;
  std::string metricsPath, plotPath;
  Clock::time_point start;
  int64_t steps = 0;

  // The running epoch.
  bool active = false;
  int64_t loader = 0;
  int64_t epochs = -1;
  int64_t total = 0; ///< batches the epoch will run
  int64_t rows = 1;  ///< of the current batch
  Clock::time_point epochStart, lastOutput;
  size_t tailWidth = 0; ///< the longest figures of the bar this epoch
  Clock::time_point lastPlot;
  std::vector<int64_t> epochCounts; ///< per loader id: epochs begun

  /// What stderr shows on the current (unterminated) line: nothing, the bar
  /// or an ended epoch's summary.
  enum class Shown { Nothing, Bar, Summary } shown = Shown::Nothing;
  /// The last epoch's summary is not printed yet.
  bool pending = false;

  std::vector<std::string> columns; ///< metric names, first seen first
  std::vector<Row> table;
  /// The last row is an epoch a resumed run goes on with (restoreState):
  /// the next epoch_begin continues it instead of adding a row.
  bool resumedRow = false;

  Row &row() { return table.back(); }

  //===--- stderr ---------------------------------------------------------===//

  static void put(const std::string &s) {
    std::fwrite(s.data(), 1, s.size(), stderr);
    std::fflush(stderr);
  }

  static int terminalWidth() {
    struct winsize w;
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0)
      return w.ws_col;
    if (const char *c = std::getenv("COLUMNS"); c && std::atoi(c) > 0)
      return std::atoi(c);
    return 80;
  }

  /// Clears the line the bar or an unfinished summary is on.
  void clearLine() {
    if (shown != Shown::Nothing)
      put("\r\033[K");
    shown = Shown::Nothing;
  }

  std::string epochName(const Row &r) const {
    std::string s = "epoch " + std::to_string(r.epoch);
    if (epochs > 0)
      s += "/" + std::to_string(epochs);
    return s;
  }

  /// The figures of the running epoch, as the bar and lines show them.
  void figures(double &elapsed, double &perSecond, double &eta) const {
    elapsed = seconds(epochStart, Clock::now());
    const Row &r = table.back();
    perSecond = elapsed > 0 ? double(r.steps) / elapsed : 0;
    eta = perSecond > 0 ? double(total - r.steps) / perSecond : NAN;
  }

  void drawBar() {
    const Row &r = table.back();
    double elapsed, perSecond, eta;
    figures(elapsed, perSecond, eta);
    double frac =
        total > 0 ? std::min(1.0, double(r.steps) / double(total)) : 0.0;
    std::string head =
        epochName(r) + ": " + format("%3.0f", std::floor(frac * 100)) + "%";
    std::string done = std::to_string(r.steps);
    std::string all = std::to_string(total);
    if (done.size() < all.size())
      done.insert(0, all.size() - done.size(), ' ');
    std::string tail = " " + done + "/" + all + " [" + clockTime(elapsed) +
                       "<" + (r.steps ? clockTime(eta) : "?") + ", " +
                       rate(perSecond);
    if (r.weight > 0)
      tail += ", loss " + value4(r.trainLoss());
    tail += "]";
    // The bar keeps its length while the figures' digits come and go.
    if (tail.size() < tailWidth)
      tail += std::string(tailWidth - tail.size(), ' ');
    tailWidth = tail.size();
    int width = terminalWidth() - 1;
    int barWidth = width - int(head.size() + tail.size()) - 2;
    std::string line = head;
    if (barWidth >= 5) {
      barWidth = std::min(barWidth, 60);
      line += "|";
      double cells = frac * barWidth;
      int full = int(cells);
      if (utf8) {
        static const char *eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
        for (int i = 0; i < full; ++i)
          line += "█";
        int rest = barWidth - full;
        if (rest > 0) {
          int part = int((cells - full) * 8);
          if (part > 0) {
            line += eighths[part];
            --rest;
          }
          line += std::string(size_t(rest), ' ');
        }
      } else {
        line += std::string(size_t(full), '#');
        line += std::string(size_t(barWidth - full), ' ');
      }
      line += "|";
    }
    line += tail;
    if (barWidth < 5 && int(line.size()) > width) // no bar: ASCII only
      line.resize(size_t(std::max(width, 0)));
    put("\r" + line + "\033[K");
    shown = Shown::Bar;
    lastOutput = Clock::now();
  }

  void printLine() {
    const Row &r = table.back();
    double elapsed, perSecond, eta;
    figures(elapsed, perSecond, eta);
    std::string s = epochName(r) + ": " + std::to_string(r.steps) + "/" +
                    std::to_string(total) + " steps (" +
                    format("%.0f", total ? 100.0 * r.steps / total : 0.0) +
                    "%) in " + duration(elapsed) + ", " + rate(perSecond) +
                    ", ETA " + duration(eta);
    if (r.weight > 0)
      s += ", train loss " + value4(r.trainLoss()) + " so far";
    put(s + "\n");
    lastOutput = Clock::now();
  }

  std::string summary(const Row &r, bool withMetrics) const {
    std::string s = epochName(r) + ": " + std::to_string(r.steps) +
                    (r.steps == 1 ? " step" : " steps") + " in " +
                    duration(r.trainTime);
    if (r.trainTime > 0 && r.steps > 0)
      s += " (" + rate(double(r.steps) / r.trainTime) + ")";
    if (r.weight > 0)
      s += ", train loss " + value4(r.trainLoss());
    if (withMetrics)
      for (auto &[column, v] : r.metrics)
        s += ", " + label(columns[column]) + " " + value4(v);
    return s;
  }

  /// Prints the ended epoch's summary line, if it waits.
  void flushSummary(bool withMetrics) {
    if (!pending)
      return;
    pending = false;
    if (mode == Mode::Off)
      return;
    clearLine();
    put(summary(row(), withMetrics) + "\n");
    lastOutput = Clock::now();
  }

  //===--- Files ----------------------------------------------------------===//

  void writeMetrics() {
    if (metricsPath.empty())
      return;
    std::string csv = "epoch,step,train_loss,elapsed_s";
    for (const std::string &c : columns)
      csv += "," + c;
    csv += "\n";
    for (const Row &r : table) {
      if (!r.finished)
        continue;
      csv += std::to_string(r.epoch) + "," + std::to_string(r.step) + ",";
      if (r.weight > 0)
        csv += detail::repr(r.trainLoss());
      csv += "," + format("%.3f", r.elapsed);
      for (size_t c = 0; c < columns.size(); ++c) {
        csv += ",";
        auto it = r.metrics.find(c);
        if (it != r.metrics.end())
          csv += detail::repr(it->second);
      }
      csv += "\n";
    }
    std::string error;
    if (!replaceFile(metricsPath, csv, error)) {
      detail::setLocation("--metrics");
      detail::fail(error);
    }
  }

  void writePlot() {
    if (plotPath.empty())
      return;
    lastPlot = Clock::now();
    std::vector<plot::Series> series;
    series.push_back({"train_loss", {}});
    for (const std::string &c : columns)
      series.push_back({c, {}});
    for (const Row &r : table) {
      if (!r.finished)
        continue;
      series[0].values.push_back(r.trainLoss());
      for (size_t c = 0; c < columns.size(); ++c) {
        auto it = r.metrics.find(c);
        series[c + 1].values.push_back(it == r.metrics.end() ? NAN
                                                             : it->second);
      }
    }
    std::string png, error;
    if (!plot::render(series, png, error) ||
        !replaceFile(plotPath, png, error)) {
      detail::setLocation("--plot");
      detail::fail(error);
    }
  }
};

Progress &state() {
  static Progress p;
  return p;
}

/// Fails unless a file can be created at \p path: creates the missing
/// parent directories and a temporary file beside it, then removes it.
void checkWritable(const char *option, const std::string &path) {
  std::string error;
  const std::string probe =
      path + ".tmp." + std::to_string(::getpid()) + ".probe";
  makeParents(path);
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    detail::setLocation(option);
    detail::fail("cannot write '" + path + "': it is a directory");
  }
  int fd =
      ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    int e = errno;
    detail::setLocation(option);
    detail::fail("cannot write '" + path + "': " + std::strerror(e));
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

} // namespace

//===----------------------------------------------------------------------===//
// Hooks
//===----------------------------------------------------------------------===//

void progress::runStart() {
  Progress &p = state();
  p = Progress();
  const RunOptions &o = detail::runOptions();
  p.start = Clock::now();
  p.lastOutput = p.lastPlot = p.start;
  switch (o.progress) {
  case RunOptions::Progress::Auto: {
    const char *term = std::getenv("TERM");
    bool tty =
        ::isatty(STDERR_FILENO) && !(term && std::strcmp(term, "dumb") == 0);
    p.mode = tty ? Mode::Bar : Mode::Lines;
    break;
  }
  case RunOptions::Progress::Bar:
    p.mode = Mode::Bar;
    break;
  case RunOptions::Progress::Lines:
    p.mode = Mode::Lines;
    break;
  case RunOptions::Progress::Off:
    p.mode = Mode::Off;
    break;
  }
  p.utf8 = utf8Terminal();
  p.metricsPath = o.metricsPath;
  p.plotPath = o.plotPath;
  if (!p.plotPath.empty()) {
    std::string error;
    if (!plot::load(error)) {
      detail::setLocation("--plot");
      detail::fail(error);
    }
    checkWritable("--plot", p.plotPath);
  }
  // The header alone: a valid CSV of no epochs, and the check that the
  // path can be written, before any data is read.
  p.writeMetrics();
  detail::setLocation("");
}

void progress::runEnd() {
  Progress &p = state();
  p.flushSummary(true);
  p.clearLine();
  if (!p.table.empty()) {
    p.writeMetrics();
    p.writePlot();
  } else if (!p.plotPath.empty()) {
    p.writePlot();
  }
  p.active = false;
}

void progress::beforePrint() {
  Progress &p = state();
  p.flushSummary(false);
  p.clearLine();
}

void progress::afterPrint() {
  Progress &p = state();
  if (p.active && p.mode == Mode::Bar)
    p.drawBar();
}

void progress::beforeError() {
  // A finished epoch keeps its line; a bar is cleared.
  Progress &p = state();
  p.flushSummary(true);
  p.clearLine();
}

void progress::batch(int64_t loader, int64_t rows) {
  Progress &p = state();
  if (p.active && loader == p.loader && rows > 0)
    p.rows = rows;
}

std::string progress::stateText() {
  const Progress &p = state();
  auto num = [](double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a", v);
    return std::string(buf);
  };
  std::string out = "steps " + std::to_string(p.steps) + "\n";
  for (const std::string &c : p.columns)
    out += "column " + c + "\n";
  for (const Row &r : p.table) {
    out += "row " + std::to_string(r.epoch) + " " + std::to_string(r.step) +
           " " + std::to_string(r.steps) + " " + num(r.lossSum) + " " +
           num(r.weight) + " " + num(r.elapsed) + " " + num(r.trainTime) + " " +
           (r.finished ? "1" : "0");
    for (auto &[c, v] : r.metrics)
      out += " " + std::to_string(c) + ":" + num(v);
    out += "\n";
  }
  return out;
}

void progress::restoreState(const std::string &text) {
  Progress &p = state();
  p.table.clear();
  p.columns.clear();
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "steps") {
      words >> p.steps;
    } else if (kind == "column") {
      p.columns.push_back(line.substr(7));
    } else if (kind == "row") {
      Row r;
      std::string lossSum, weight, elapsed, trainTime, cell;
      int finished = 0;
      words >> r.epoch >> r.step >> r.steps >> lossSum >> weight >> elapsed >>
          trainTime >> finished;
      r.lossSum = std::strtod(lossSum.c_str(), nullptr);
      r.weight = std::strtod(weight.c_str(), nullptr);
      r.elapsed = std::strtod(elapsed.c_str(), nullptr);
      r.trainTime = std::strtod(trainTime.c_str(), nullptr);
      r.finished = finished != 0;
      while (words >> cell) {
        size_t colon = cell.find(':');
        if (colon != std::string::npos)
          r.metrics[size_t(std::strtoull(cell.c_str(), nullptr, 10))] =
              std::strtod(cell.c_str() + colon + 1, nullptr);
      }
      p.table.push_back(r);
    }
  }
  p.resumedRow = !p.table.empty() && !p.table.back().finished;
  // Elapsed time goes on from the state's.
  if (!p.table.empty())
    p.start -= std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(p.table.back().elapsed));
}

//===----------------------------------------------------------------------===//
// The ABI
//===----------------------------------------------------------------------===//

extern "C" {

void nnc_rt_epoch_begin(int64_t loader, int64_t epoch, int64_t epochs) {
  Progress &p = state();
  bool hadRows = !p.table.empty();
  p.flushSummary(true);
  // The plot of the epochs so far, at most every 2 s (drawing one takes
  // milliseconds, more than a small epoch); always at the end of the run.
  if (hadRows && seconds(p.lastPlot, Clock::now()) >= 2)
    p.writePlot();
  if (loader >= 0 && size_t(loader) >= p.epochCounts.size())
    p.epochCounts.resize(size_t(loader) + 1, 0);
  int64_t count = loader >= 0 ? ++p.epochCounts[size_t(loader)] : 1;
  bool resumed = p.resumedRow;
  p.resumedRow = false;
  if (!resumed)
    p.table.emplace_back();
  p.row().epoch = epoch >= 1 ? epoch : resumed ? p.row().epoch : count;
  p.active = true;
  p.loader = loader;
  p.epochs = epochs;
  p.rows = 1;
  p.tailWidth = 0;
  p.total = nnc_rt_loader_num_batches(loader) - (resumed ? p.row().steps : 0);
  int64_t budget = nnc_rt_max_steps();
  if (budget >= 0)
    p.total = std::min(p.total, std::max<int64_t>(budget - p.steps, 0));
  p.epochStart = Clock::now();
  if (p.mode == Mode::Bar && p.total > 0)
    p.drawBar();
}

void nnc_rt_epoch_end(int64_t loader) {
  Progress &p = state();
  if (!p.active || loader != p.loader)
    return;
  p.active = false;
  if (p.row().steps == 0) {
    // No step ran (the step budget was spent, or no batches): no epoch.
    p.table.pop_back();
    p.clearLine();
    return;
  }
  Clock::time_point now = Clock::now();
  Row &r = p.row();
  r.step = p.steps;
  r.trainTime = seconds(p.epochStart, now);
  r.elapsed = seconds(p.start, now);
  r.finished = true;
  p.writeMetrics();
  if (p.mode == Mode::Off)
    return;
  p.pending = true;
  if (p.mode == Mode::Bar) {
    // The bar becomes the summary (so far without the metrics), which
    // stays on the line until it is printed for good.
    std::string line = p.summary(r, false);
    int width = Progress::terminalWidth() - 1;
    if (int(line.size()) > width)
      line.resize(size_t(std::max(width, 0)));
    p.put("\r" + line + "\033[K");
    p.shown = Progress::Shown::Summary;
  }
}

void nnc_rt_step_loss(double loss) {
  Progress &p = state();
  ++p.steps;
  if (!p.active)
    return;
  Row &r = p.row();
  ++r.steps;
  r.lossSum += loss * double(p.rows);
  r.weight += double(p.rows);
  if (p.mode == Mode::Off)
    return;
  double since = seconds(p.lastOutput, Clock::now());
  if (p.mode == Mode::Bar && (since >= 0.1 || r.steps == p.total))
    p.drawBar();
  else if (p.mode == Mode::Lines && since >= 10)
    p.printLine();
}

void nnc_rt_epoch_metric(const char *name, double value) {
  Progress &p = state();
  if (p.table.empty() || !name)
    return;
  size_t column = 0;
  while (column < p.columns.size() && p.columns[column] != name)
    ++column;
  if (column == p.columns.size())
    p.columns.push_back(name);
  p.row().metrics[column] = value;
  if (p.row().finished)
    p.writeMetrics();
}

} // extern "C"
