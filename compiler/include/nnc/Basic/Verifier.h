//===- Verifier.h - Checking diagnostics against expectations ----*- C++
//-*-===//
//
// `nnc check --verify FILE` compares the diagnostics of a run with comments
// in the checked files, in the style of clang's -verify:
//
//   let y = x @ w   # expected-error {{inner sizes 3 and 4 differ}}
//   # expected-error@+1:13 {{'fc1' expects size 64}}
//   # expected-note@-2 {{declared here}}
//
// `@+N` / `@-N` shift the expected line; `:COL` also pins the column. Each
// expectation must be matched by exactly one diagnostic whose message
// contains the text, and every diagnostic must be expected.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BASIC_VERIFIER_H
#define NNC_BASIC_VERIFIER_H

#include "nnc/Basic/Diagnostics.h"

#include <ostream>
#include <vector>

namespace nnc {

class Verifier {
public:
  explicit Verifier(const SourceManager &sm) : sm(sm) {}
  /// Records a diagnostic (install with DiagnosticEngine::setConsumer); its
  /// notes are recorded as separate note diagnostics.
  void record(const Diagnostic &d);
  /// Compares with the expectations in every file of the SourceManager.
  /// Prints what is missing or unexpected; returns true if all match.
  bool verify(std::ostream &os) const;

private:
  struct Seen {
    Severity severity;
    SourceRange range;
    std::string message;
  };
  const SourceManager &sm;
  std::vector<Seen> seen;
};

} // namespace nnc

#endif // NNC_BASIC_VERIFIER_H
