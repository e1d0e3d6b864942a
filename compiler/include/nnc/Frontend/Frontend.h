//===- Frontend.h - From a .nn file to a checked program ----------*- C++
//-*-===//
//
// Owns the sources, diagnostics, parsed modules and the checker of one
// compilation: reads the script, follows its imports (`import std` reads the
// standard library; `import "layers.nn"` a file beside the script), parses
// each file once, and runs Sema over the whole.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_FRONTEND_H
#define NNC_FRONTEND_FRONTEND_H

#include "nnc/AST/AST.h"
#include "nnc/Basic/Diagnostics.h"
#include "nnc/Sema/Sema.h"

#include <memory>
#include <string>
#include <vector>

namespace nnc {

struct FrontendOptions {
  std::string stdlibDir;
  SemaOptions sema;
};

class Frontend {
public:
  explicit Frontend(FrontendOptions options);
  ~Frontend();

  SourceManager &getSourceManager() { return sm; }
  DiagnosticEngine &getDiagnostics() { return diags; }

  /// Reads and parses `path` and everything it imports. Returns false (with
  /// diagnostics) on a missing file or a syntax error.
  bool load(const std::string &path);
  /// Parses text given directly (tests, REPL) as the main script.
  bool loadBuffer(const std::string &name, const std::string &text);
  /// Parses several buffers (name, text) as one main script: the items of
  /// each, in order (`nnc repl`: the accepted inputs, then the new one).
  /// A buffer's imports are resolved against the directory of its name.
  /// \p ids receives the buffers' file ids. Returns false on a syntax error
  /// or a missing import.
  bool
  loadBuffers(const std::vector<std::pair<std::string, std::string>> &buffers,
              std::vector<FileID> &ids);
  /// Checks the loaded program. Returns false if there were errors.
  bool check();

  const Program *getMain() const { return main; }
  const std::vector<const Program *> &getImports() const { return imports; }
  Sema &getSema() { return sema; }

private:
  bool loadImports(const Program &prog, const std::string &dir,
                   std::vector<std::string> &stack);
  const Program *parseFile(FileID id);

  FrontendOptions options;
  SourceManager sm;
  DiagnosticEngine diags;
  Sema sema;
  std::vector<std::unique_ptr<Program>> programs;
  std::vector<const Program *> imports;
  std::vector<std::string> loadedPaths;
  const Program *main = nullptr;
};

} // namespace nnc

#endif // NNC_FRONTEND_FRONTEND_H
