//===- Main.cpp - main() of a program built by `nnc build` ----------------===//
//
// `nnc build script.nn -o prog` compiles the script to an object file whose
// entry point is `nnc_main` (the script, HostGen.cpp) and links it with this
// file and the runtime. The options are those of `nnc run` that make sense
// once the script is compiled (its config is fixed at build time):
//
//   prog [--help] [--version]
//   prog [--set name=value]... [--max-steps N] [--save-init PATH]
//        [--save-final PATH] [--state PATH] [--resume PATH]
//        [--resume-changed] [--time]
//        [--progress auto|bar|lines|off] [--quiet] [--metrics PATH]
//        [--plot PATH]
//
// `--set` changes the config entries that the program reads when it runs:
// those used only as numbers of the host program (epochs, patience, ...).
// Entries that set sizes, model or optimizer settings, the data or the
// seed are compiled in; `--help` lists which is which.
//
// Exit codes as for `nnc run`: 0, 1 (an error while running), 2 (a bad
// command line).
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/HostABI.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" int32_t nnc_main(void);
/// The script's config: "name<TAB>type<TAB>value<TAB>run|build" lines
/// (HostGen.cpp, emitProgramConfig).
extern "C" const char *nnc_program_config(void);

namespace {

struct ConfigEntry {
  std::string name, type, value;
  bool atRun = false; ///< `--set` works on the built program
};

std::vector<ConfigEntry> programConfig() {
  std::vector<ConfigEntry> out;
  std::string table = nnc_program_config();
  size_t from = 0;
  while (from < table.size()) {
    size_t end = table.find('\n', from);
    std::string line = table.substr(from, end - from);
    from = end == std::string::npos ? table.size() : end + 1;
    ConfigEntry e;
    size_t a = line.find('\t'), b = line.find('\t', a + 1),
           c = line.rfind('\t');
    if (a == std::string::npos || b == std::string::npos || c <= b)
      continue;
    e.name = line.substr(0, a);
    e.type = line.substr(a + 1, b - a - 1);
    e.value = line.substr(b + 1, c - b - 1);
    e.atRun = line.substr(c + 1) == "run";
    out.push_back(e);
  }
  return out;
}

int usage(const char *prog, const std::string &problem) {
  if (!problem.empty())
    std::fprintf(stderr, "%s: error: %s\n", prog, problem.c_str());
  std::FILE *out = problem.empty() ? stdout : stderr;
  std::fprintf(out,
               "usage: %s [--set name=value]... [--max-steps N] "
               "[--save-init PATH]\n"
               "       [--save-final PATH] [--state PATH] [--resume PATH] "
               "[--resume-changed] [--time]\n"
               "       [--progress auto|bar|lines|off] [--quiet] "
               "[--metrics PATH] [--plot PATH]\n"
               "       %s --help | --version\n",
               prog, prog);
  if (!problem.empty())
    return 2;
  std::vector<ConfigEntry> config = programConfig();
  if (config.empty())
    return 0;
  std::fprintf(out, "\nconfig (as built; --set name=value changes the "
                    "entries marked *):\n");
  for (const ConfigEntry &e : config)
    std::fprintf(out, "  %c %s = %s  (%s%s)\n", e.atRun ? '*' : ' ',
                 e.name.c_str(), e.value.c_str(), e.type.c_str(),
                 e.atRun ? "" : "; fixed when built");
  return 0;
}

/// Checks `--set name=value` against the program's config; returns the
/// problem, or "" and records the value.
std::string setConfig(const std::string &assignment,
                      nnc::rt::RunOptions &options, const char *prog) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    return "--set takes name=value, but it is '" + assignment + "'";
  std::string name = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  std::vector<ConfigEntry> config = programConfig();
  const ConfigEntry *entry = nullptr;
  std::string names;
  for (const ConfigEntry &e : config) {
    if (e.name == name)
      entry = &e;
    if (e.atRun)
      names += (names.empty() ? "" : ", ") + e.name;
  }
  if (!entry)
    return "unknown config entry '" + name + "' in '--set " + assignment + "'" +
           (names.empty() ? std::string(" (this program has no entries that "
                                        "--set can change)")
                          : " (entries: " + names + ")");
  if (!entry->atRun)
    return "config entry '" + name +
           "' is fixed in this program: it sets a size, a model or "
           "optimizer setting, the data or the seed, which are compiled in; "
           "build the program again with 'nnc build SCRIPT --set " +
           assignment + "' (" + prog + " --help lists the entries)";
  const char *first = value.data(), *last = value.data() + value.size();
  bool ok;
  if (entry->type == "int") {
    long long v;
    auto r = std::from_chars(first, last, v);
    ok = !value.empty() && r.ec == std::errc() && r.ptr == last;
  } else if (entry->type == "float") {
    double v;
    auto r = std::from_chars(first, last, v);
    ok = !value.empty() && r.ec == std::errc() && r.ptr == last;
  } else {
    ok = value == "true" || value == "false";
  }
  if (!ok)
    return "config entry '" + name + "' is " +
           (entry->type == "int"     ? "an integer"
            : entry->type == "float" ? "a number"
                                     : "true or false") +
           ", but --set gives '" + value + "'";
  options.config[name] = value;
  return "";
}

} // namespace

int main(int argc, char **argv) {
  nnc::rt::RunOptions options;
  std::string progress = "auto", metrics, plot;
  bool progressGiven = false, quiet = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    size_t eq = a.find('=');
    std::string name = a.substr(0, eq);
    auto next = [&](std::string &out) {
      if (eq != std::string::npos) {
        out = a.substr(eq + 1);
        return true;
      }
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    if (name == "--help" || name == "-h")
      return usage(argv[0], "");
    if (name == "--version" && eq == std::string::npos) {
      std::printf("%s: a program built by nnc %s\n", argv[0], NNC_VERSION);
      return 0;
    }
    if (name == "--set") {
      std::string assignment;
      if (a.rfind("--set=", 0) == 0)
        assignment = a.substr(6);
      else if (i + 1 < argc)
        assignment = argv[++i];
      else
        return usage(argv[0], "--set needs name=value");
      std::string problem = setConfig(assignment, options, argv[0]);
      if (!problem.empty())
        return usage(argv[0], problem);
      continue;
    }
    if (name == "--time" && eq == std::string::npos) {
      options.timeSteps = true;
    } else if (name == "--resume-changed" && eq == std::string::npos) {
      options.resumeChanged = true;
    } else if (name == "--quiet" && eq == std::string::npos) {
      quiet = true;
    } else if (name == "--progress") {
      if (!next(progress))
        return usage(argv[0], "--progress needs auto, bar, lines or off");
      progressGiven = true;
    } else if (name == "--metrics" || name == "--plot") {
      if (!next(value) || value.empty())
        return usage(argv[0], name + " needs a path");
      (name == "--metrics" ? metrics : plot) = value;
    } else if (name == "--max-steps") {
      if (!next(value))
        return usage(argv[0], "--max-steps needs a number");
      char *end = nullptr;
      errno = 0;
      long long n = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end || errno || n < 0)
        return usage(argv[0], "--max-steps must be 0 or more, but it is '" +
                                  value + "'");
      options.maxSteps = n;
    } else if (name == "--save-init" || name == "--save-final" ||
               name == "--state" || name == "--resume") {
      if (!next(value) || value.empty())
        return usage(argv[0], name + " needs a path");
      (name == "--save-init"    ? options.saveInit
       : name == "--save-final" ? options.saveFinal
       : name == "--state"      ? options.statePath
                                : options.resumePath) = value;
    } else {
      return usage(argv[0], "unknown option '" + a + "'");
    }
  }
  std::string problem = nnc::rt::setProgressOptions(
      options, progress, progressGiven, quiet, metrics, plot);
  if (problem.empty() && options.resumeChanged && options.resumePath.empty())
    problem = "--resume-changed goes with --resume";
  if (problem.empty())
    problem = nnc::rt::checkOutputPaths(options);
  if (!problem.empty())
    return usage(argv[0], problem);
  nnc::rt::setRunOptions(options);
  return nnc_main();
}
