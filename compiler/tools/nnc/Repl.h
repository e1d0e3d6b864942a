//===- Repl.h - `nnc repl`, the interactive session -------------*- C++ -*-===//
//
// The entry point of `nnc repl` for the driver (nnc.cpp); Repl.cpp has the
// session.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_NNC_REPL_H
#define NNC_TOOLS_NNC_REPL_H

#include <string>
#include <utility>
#include <vector>

namespace nnc {

struct ReplOptions {
  std::string stdlibDir;
  /// A script to `:load` before the first input ("" for none).
  std::string loadFile;
  std::vector<std::pair<std::string, std::string>> overrides;
  bool color = false;
  unsigned errorLimit = 20;
  /// Report each input's check, compile and run time on stderr.
  bool time = false;
};

/// Runs the session on stdin: with line editing and history when stdin is a
/// terminal, else reading a script without prompts. Returns the exit status:
/// 0, or 1 when stdin was not a terminal and some input had an error.
int runRepl(const ReplOptions &options);

} // namespace nnc

#endif // NNC_TOOLS_NNC_REPL_H
