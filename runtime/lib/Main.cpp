//===- Main.cpp - main() of a program built by `nnc build` ----------------===//
//
// `nnc build script.nn -o prog` compiles the script to an object file whose
// entry point is `nnc_main` (the script, HostGen.cpp) and links it with this
// file and the runtime. The options are those of `nnc run` that make sense
// once the script is compiled (its config is fixed at build time):
//
//   prog [--max-steps N] [--save-init PATH] [--save-final PATH] [--time]
//        [--progress auto|bar|lines|off] [--quiet] [--metrics PATH]
//        [--plot PATH]
//
// Exit codes as for `nnc run`: 0, 1 (an error while running), 2 (a bad
// command line).
//
//===----------------------------------------------------------------------===//

#include "nnc/runtime/HostABI.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" int32_t nnc_main(void);

namespace {

int usage(const char *prog, const std::string &problem) {
  if (!problem.empty())
    std::fprintf(stderr, "%s: error: %s\n", prog, problem.c_str());
  std::fprintf(stderr,
               "usage: %s [--max-steps N] [--save-init PATH] "
               "[--save-final PATH] [--time]\n"
               "       [--progress auto|bar|lines|off] [--quiet] "
               "[--metrics PATH] [--plot PATH]\n",
               prog);
  return problem.empty() ? 0 : 2;
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
    if (name == "--time" && eq == std::string::npos) {
      options.timeSteps = true;
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
    } else if (name == "--save-init" || name == "--save-final") {
      if (!next(value) || value.empty())
        return usage(argv[0], name + " needs a path");
      (name == "--save-init" ? options.saveInit : options.saveFinal) = value;
    } else {
      return usage(argv[0], "unknown option '" + a + "'");
    }
  }
  std::string problem = nnc::rt::setProgressOptions(
      options, progress, progressGiven, quiet, metrics, plot);
  if (!problem.empty())
    return usage(argv[0], problem);
  nnc::rt::setRunOptions(options);
  return nnc_main();
}
