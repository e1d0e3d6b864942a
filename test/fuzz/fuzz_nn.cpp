//===- fuzz_nn.cpp - Fuzz target of the front end -------------------------===//
//
// Feeds a .nn script to the front end as `nnc check` runs it, and as
// `nnc --emit=tokens` and `--emit=ast` do: the input is the script's text,
// written to `fuzz.nn` in a directory of its own (so `import "x.nn"` and
// relative data paths resolve there, to nothing but a few tiny data files
// that the seed scripts name: x.npy, y.npy, Inputs/x8.npy, Inputs/y.npy and
// houses.csv), then tokenized, loaded with its imports (`import std` reads
// the standard library of the source tree, NNC_STDLIB_DIR), dumped when it
// parses, and checked. Nothing is compiled or run. The contract checked
// with FUZZ_CHECK: a script that fails to load or check has at least one
// error message, no message is an internal error (nnc's exit 3, "this is a
// bug in nnc"), and tokens lie inside the file.
//
//===----------------------------------------------------------------------===//

#include "FuzzCommon.h"

#include "nnc/AST/ASTPrinter.h"
#include "nnc/Frontend/Frontend.h"
#include "nnc/Parse/Parser.h"

#include <sstream>

using namespace nnc;

namespace {

/// A .npy file of \p descr and \p shape (a Python tuple) holding \p count
/// zero elements of \p elementSize bytes.
std::string npyFile(const std::string &descr, const std::string &shape,
                    size_t count, size_t elementSize) {
  std::string dict = "{'descr': '" + descr +
                     "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + dict.size() + 1) % 64 != 0)
    dict += ' ';
  dict += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += char(dict.size() & 0xff);
  out += char(dict.size() >> 8);
  return out + dict + std::string(count * elementSize, '\0');
}

/// A directory that lives as long as the process, holding the script and
/// the data files it may name.
class ScriptDir {
public:
  ScriptDir() {
    std::string tmpl = fuzz::tempDir() + "/nnc-fuzz-nn-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) {
      std::perror("nnc fuzz: cannot create a temporary directory");
      std::abort();
    }
    dir = buf.data();
    scriptPath = dir + "/fuzz.nn";
    if (::mkdir((dir + "/Inputs").c_str(), 0700) != 0) {
      std::perror("nnc fuzz: cannot create a temporary directory");
      std::abort();
    }
    // 8 samples of 6 float features, 8 class labels.
    const std::string x = npyFile("<f4", "(8, 6)", 48, 4);
    const std::string y = npyFile("<i8", "(8,)", 8, 8);
    add("x.npy", x);
    add("y.npy", y);
    add("Inputs/x8.npy", x);
    add("Inputs/y.npy", y);
    add("houses.csv", "area,rooms,age,distance,price\n"
                      "173.6,7,71.2,1.69,6.0426\n"
                      "186.1,7,24.3,14.56,5.3702\n"
                      "129.2,2,40.4,8.81,3.7242\n");
    files.push_back(scriptPath);
  }
  ~ScriptDir() {
    for (auto it = files.rbegin(); it != files.rend(); ++it)
      ::unlink(it->c_str());
    ::rmdir((dir + "/Inputs").c_str());
    ::rmdir(dir.c_str());
  }
  ScriptDir(const ScriptDir &) = delete;
  ScriptDir &operator=(const ScriptDir &) = delete;

  /// Replaces the script's text with \p size bytes at \p data.
  void write(const uint8_t *data, size_t size) {
    writeFile(scriptPath, reinterpret_cast<const char *>(data), size);
  }
  const std::string &path() const { return scriptPath; }

private:
  void add(const std::string &name, const std::string &bytes) {
    files.push_back(dir + "/" + name);
    writeFile(files.back(), bytes.data(), bytes.size());
  }
  static void writeFile(const std::string &path, const char *data,
                        size_t size) {
    FILE *f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
      std::perror(("nnc fuzz: cannot write '" + path + "'").c_str());
      std::abort();
    }
  }

  std::string dir, scriptPath;
  std::vector<std::string> files;
};

/// Whether the rendered diagnostic \p text reports an internal error: its
/// message (the first line, after "FILE:LINE:COL: error: ") starts with
/// "internal error", or it notes a bug in nnc. The source line the
/// rendering echoes may hold any text, those words included.
bool isInternalError(const std::string &text) {
  std::string first = text.substr(0, text.find('\n'));
  size_t at = first.find("error: ");
  if (at != std::string::npos &&
      first.compare(at + 7, 14, "internal error") == 0)
    return true;
  for (size_t line = text.find('\n'); line != std::string::npos;
       line = text.find('\n', line + 1))
    if (text.compare(line + 1, 26, "note: this is a bug in nnc") == 0)
      return true;
  return false;
}

/// Collects the rendered diagnostics of one engine and checks each.
void collect(DiagnosticEngine &diags, std::string &out) {
  diags.setSink([&out](const std::string &text) {
    FUZZ_CHECK(!text.empty(), "an empty diagnostic");
    FUZZ_CHECK(!isInternalError(text), "an internal error: " + text);
    out += text;
  });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ScriptDir script;
  script.write(data, size);
  const std::string &path = script.path();

  // `nnc --emit=tokens`.
  {
    SourceManager sm;
    DiagnosticEngine diags(sm);
    std::string out;
    collect(diags, out);
    std::string err;
    std::optional<FileID> id = sm.loadFile(path, err);
    FUZZ_CHECK(id.has_value(), "cannot read the script: " + err);
    std::vector<TokenInfo> tokens;
    bool ok = tokenize(*id, sm, diags, tokens);
    FUZZ_CHECK(ok || diags.hasErrors(), "tokenize failed without an error");
    for (const TokenInfo &t : tokens)
      FUZZ_CHECK(t.range.begin <= t.range.end && t.range.end <= size,
                 "a token outside the file: '" + t.text + "'");
  }

  // `nnc check` (and `--emit=ast` once it parses).
  FrontendOptions opts;
  opts.stdlibDir = NNC_STDLIB_DIR;
  Frontend fe(opts);
  DiagnosticEngine &diags = fe.getDiagnostics();
  std::string out;
  collect(diags, out);
  bool ok = fe.load(path);
  if (ok) {
    std::ostringstream ast;
    dumpAST(*fe.getMain(), fe.getSourceManager(), ast);
    ok = fe.check();
  }
  FUZZ_CHECK(ok || diags.hasErrors(), "rejected without an error");
  fuzz::report("check", ok && !diags.hasErrors(), out);
  return 0;
}
