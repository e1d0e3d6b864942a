//===- Diagnostics.cpp - clang-style error reporting ----------------------===//
//
// Rendering: the location line, the source line (long lines are cut to a
// window around the caret), then a marker line with '^' under the first
// character of the primary range, '~' under the rest of it and under the
// secondary ranges on the same line.
//
//===----------------------------------------------------------------------===//

#include "nnc/Basic/Diagnostics.h"

#include <algorithm>
#include <iostream>

using namespace nnc;

namespace {
constexpr size_t kMaxShownLine = 160;
} // namespace

void DiagnosticEngine::emit(Diagnostic diag) {
  if (diag.severity == Severity::Error) {
    if (errorLimit && numErrors >= errorLimit) {
      if (!limitReported) {
        limitReported = true;
        std::string msg = "error: too many errors emitted, stopping now\n";
        if (sink)
          sink(msg);
        else
          std::cerr << msg;
      }
      return;
    }
  }
  // One error per problem: an identical message at the same place (for
  // example from two instantiations of one model) is reported once.
  auto key = std::make_tuple(diag.range.file, diag.range.begin, diag.range.end,
                             diag.message);
  if (!seen.insert(key).second)
    return;
  if (diag.severity == Severity::Error)
    ++numErrors;
  else if (diag.severity == Severity::Warning)
    ++numWarnings;
  if (consumer) {
    consumer(diag);
    return;
  }
  std::string text = render(diag);
  if (sink)
    sink(text);
  else
    std::cerr << text << std::flush;
}

void DiagnosticEngine::printSummary() {
  if (!numErrors)
    return;
  std::string msg = std::to_string(numErrors) +
                    (numErrors == 1 ? " error" : " errors") + " generated.\n";
  if (sink)
    sink(msg);
  else
    std::cerr << msg;
}

static const char *severityName(Severity s) {
  switch (s) {
  case Severity::Note:
    return "note";
  case Severity::Warning:
    return "warning";
  case Severity::Error:
    return "error";
  }
  return "error";
}

void DiagnosticEngine::renderLocation(
    std::string &out, SourceRange range, const char *kind,
    const std::string &message, const std::vector<SourceRange> &extra) const {
  const char *bold = color ? "\033[1m" : "";
  const char *reset = color ? "\033[0m" : "";
  const char *kindColor = "";
  if (color) {
    std::string k = kind;
    kindColor = k == "error"     ? "\033[1;31m"
                : k == "warning" ? "\033[1;35m"
                                 : "\033[1;36m";
  }
  if (!range.isValid()) {
    out += std::string(kindColor) + kind + ":" + reset + bold + " " + message +
           reset + "\n";
    return;
  }
  LineCol lc = sm.getLineCol(range.file, range.begin);
  out += bold;
  out += std::string(sm.getName(range.file)) + ":" + std::to_string(lc.line) +
         ":" + std::to_string(lc.col) + ": ";
  out += std::string(reset) + kindColor + kind + ":" + reset + bold + " " +
         message + reset + "\n";

  // The source line, with markers.
  uint32_t lineStart = sm.getLineStart(range.file, range.begin);
  std::string_view line = sm.getLineText(range.file, range.begin);
  uint32_t lineEnd = lineStart + static_cast<uint32_t>(line.size());
  std::string marks(line.size() + 1, ' ');
  auto mark = [&](uint32_t b, uint32_t e, char c) {
    if (b < lineStart || b > lineEnd)
      return;
    e = std::min(e, lineEnd);
    for (uint32_t i = b; i < e; ++i)
      if (marks[i - lineStart] == ' ')
        marks[i - lineStart] = c;
  };
  for (const SourceRange &r : extra)
    if (r.file == range.file)
      mark(std::max(r.begin, lineStart), std::max(r.end, r.begin + 1), '~');
  marks[range.begin - lineStart] = '^';
  mark(range.begin + 1, range.end, '~');

  // Cut long lines to a window around the caret.
  size_t from = 0, to = line.size();
  size_t caret = range.begin - lineStart;
  if (line.size() > kMaxShownLine) {
    from = caret > kMaxShownLine / 2 ? caret - kMaxShownLine / 2 : 0;
    to = std::min(line.size(), from + kMaxShownLine);
    // Do not split a UTF-8 sequence.
    while (from > 0 && (static_cast<unsigned char>(line[from]) & 0xC0) == 0x80)
      --from;
    while (to < line.size() &&
           (static_cast<unsigned char>(line[to]) & 0xC0) == 0x80)
      ++to;
  }
  std::string shown;
  std::string marker;
  if (from > 0) {
    shown += "...";
    marker += "   ";
  }
  // One marker column per character; bytes that are not valid UTF-8, and
  // control characters, show as '?'.
  for (size_t i = from; i < to;) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    size_t len = c < 0x80             ? 1
                 : (c & 0xE0) == 0xC0 ? 2
                 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4
                                      : 0;
    bool valid = len > 0 && i + len <= line.size();
    for (size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(line[i + k]) & 0xC0) == 0x80;
    if (!valid || (c < 0x20 && c != '\t') || c == 0x7f) {
      shown += '?';
      len = 1;
    } else {
      shown.append(line.substr(i, len));
    }
    marker += c == '\t' && marks[i] == ' ' ? '\t' : marks[i];
    i += len;
  }
  if (caret >= line.size() && caret >= from)
    marker += marks[line.size()];
  if (to < line.size())
    shown += "...";
  while (!marker.empty() && marker.back() == ' ')
    marker.pop_back();
  out += "    " + shown + "\n";
  out +=
      "    " + std::string(color ? "\033[1;32m" : "") + marker + reset + "\n";
}

std::string DiagnosticEngine::render(const Diagnostic &diag) const {
  std::string out;
  renderLocation(out, diag.range, severityName(diag.severity), diag.message,
                 diag.extraRanges);
  for (const Note &n : diag.notes)
    renderLocation(out, n.range, "note", n.message, {});
  return out;
}
