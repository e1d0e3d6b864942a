//===- Diagnostics.h - clang-style error reporting --------------*- C++ -*-===//
//
// Every user-facing error of nnc goes through a DiagnosticEngine. A
// diagnostic has a severity, a primary range (the caret goes under it),
// optional secondary ranges (underlined with '~') and notes that point at the
// other places involved. They print as
//
//   file:line:col: error: message
//       source line
//       ~~~ ^
//   file:line:col: note: ...
//
// Messages are lowercase with no final period and quote names ('fc1').
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BASIC_DIAGNOSTICS_H
#define NNC_BASIC_DIAGNOSTICS_H

#include "nnc/Basic/SourceManager.h"

#include <functional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace nnc {

enum class Severity { Note, Warning, Error };

struct Note {
  SourceRange range; // may be invalid: a note with no location
  std::string message;
};

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceRange range;
  std::vector<SourceRange> extraRanges;
  std::string message;
  std::vector<Note> notes;
};

/// Process exit codes of the nnc tools.
enum ExitCode : int {
  ExitOK = 0,
  ExitUserError = 1,
  ExitUsage = 2,
  ExitInternal = 3,
};

class DiagnosticEngine {
public:
  explicit DiagnosticEngine(const SourceManager &sm) : sm(sm) {}

  /// Builder returned by error()/warning(): add notes and ranges, then let it
  /// go out of scope to emit.
  class Builder {
  public:
    Builder(DiagnosticEngine &engine, Diagnostic diag)
        : engine(&engine), diag(std::move(diag)) {}
    Builder(Builder &&other) noexcept
        : engine(other.engine), diag(std::move(other.diag)) {
      other.engine = nullptr;
    }
    Builder(const Builder &) = delete;
    ~Builder() {
      if (engine)
        engine->emit(std::move(diag));
    }
    Builder &note(SourceRange range, std::string message) {
      diag.notes.push_back({range, std::move(message)});
      return *this;
    }
    Builder &range(SourceRange r) {
      diag.extraRanges.push_back(r);
      return *this;
    }

  private:
    DiagnosticEngine *engine;
    Diagnostic diag;
  };

  Builder error(SourceRange range, std::string message) {
    return Builder(*this, {Severity::Error, range, {}, std::move(message), {}});
  }
  Builder warning(SourceRange range, std::string message) {
    return Builder(*this,
                   {Severity::Warning, range, {}, std::move(message), {}});
  }

  void emit(Diagnostic diag);

  unsigned getNumErrors() const { return numErrors; }
  bool hasErrors() const { return numErrors != 0; }
  /// True once the error limit was reached: callers should stop early.
  bool shouldStop() const { return errorLimit && numErrors >= errorLimit; }
  void setErrorLimit(unsigned limit) { errorLimit = limit; }
  void setColor(bool on) { color = on; }
  /// Where rendered diagnostics go (stderr by default).
  void setSink(std::function<void(const std::string &)> s) {
    sink = std::move(s);
  }
  /// Receives every diagnostic instead of the sink (used by --verify).
  void setConsumer(std::function<void(const Diagnostic &)> c) {
    consumer = std::move(c);
  }
  /// Renders one diagnostic as text (used by the sink and by tests).
  std::string render(const Diagnostic &diag) const;
  /// Prints "N errors generated." when there were errors.
  void printSummary();

  const SourceManager &getSourceManager() const { return sm; }

private:
  void renderLocation(std::string &out, SourceRange range, const char *kind,
                      const std::string &message,
                      const std::vector<SourceRange> &extra) const;

  const SourceManager &sm;
  unsigned numErrors = 0;
  unsigned numWarnings = 0;
  unsigned errorLimit = 20;
  bool limitReported = false;
  bool color = false;
  std::function<void(const std::string &)> sink;
  std::function<void(const Diagnostic &)> consumer;
  std::set<std::tuple<FileID, uint32_t, uint32_t, std::string>> seen;
};

} // namespace nnc

#endif // NNC_BASIC_DIAGNOSTICS_H
