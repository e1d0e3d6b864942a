//===- replay_main.cpp - Runs a fuzz target over saved inputs -------------===//
//
// The main() of a fuzz target built without libFuzzer (a normal build):
//
//   fuzz-<format>-replay [-option...] FILE-OR-DIRECTORY...
//
// runs LLVMFuzzerTestOneInput once on each file, and on each file of each
// directory (not recursing), like a libFuzzer binary given the same
// arguments with -runs=0; options (arguments starting with '-') are
// accepted and ignored, so that one command line serves both. A crash or a
// failed check aborts; finding no input at all is an error.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace fs = std::filesystem;

static bool runFile(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::error_code ec;
  uintmax_t size = fs::file_size(p, ec);
  // Exactly the input's size, so that a read past its end is as visible to
  // a sanitizer as under libFuzzer.
  std::vector<char> bytes(ec ? 0 : size_t(size));
  if (!in || ec || !in.read(bytes.data(), std::streamsize(bytes.size()))) {
    std::fprintf(stderr, "error: cannot read '%s'\n", p.c_str());
    return false;
  }
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()),
                         bytes.size());
  return true;
}

int main(int argc, char **argv) {
  size_t runs = 0;
  for (int a = 1; a < argc; ++a) {
    std::string arg = argv[a];
    if (!arg.empty() && arg[0] == '-')
      continue;
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> files;
      for (const fs::directory_entry &e : fs::directory_iterator(arg, ec))
        if (e.is_regular_file(ec))
          files.push_back(e.path());
      if (ec) {
        std::fprintf(stderr, "error: cannot list '%s': %s\n", arg.c_str(),
                     ec.message().c_str());
        return 1;
      }
      std::sort(files.begin(), files.end());
      for (const fs::path &p : files) {
        if (!runFile(p))
          return 1;
        ++runs;
      }
    } else {
      if (!runFile(arg))
        return 1;
      ++runs;
    }
  }
  if (runs == 0) {
    std::fprintf(stderr, "error: no inputs\n");
    return 1;
  }
  std::printf("replayed %zu inputs\n", runs);
  return 0;
}
