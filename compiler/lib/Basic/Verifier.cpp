//===- Verifier.cpp - Checking diagnostics against expectations
//------------===//

#include "nnc/Basic/Verifier.h"

#include <regex>

using namespace nnc;

void Verifier::record(const Diagnostic &d) {
  seen.push_back({d.severity, d.range, d.message});
  for (const Note &n : d.notes)
    seen.push_back({Severity::Note, n.range, n.message});
}

namespace {
struct Expected {
  Severity severity;
  FileID file;
  uint32_t line;
  uint32_t col; // 0: any column
  std::string text;
  uint32_t commentLine;
  bool matched = false;
};

const char *name(Severity s) {
  return s == Severity::Error     ? "error"
         : s == Severity::Warning ? "warning"
                                  : "note";
}
} // namespace

bool Verifier::verify(std::ostream &os) const {
  static const std::regex re(
      R"(expected-(error|warning|note)(@([+-]?)(\d+))?(:(\d+))?\s*\{\{(.*?)\}\})");
  std::vector<Expected> expected;
  for (FileID f = 1; f <= sm.getNumFiles(); ++f) {
    std::string_view text = sm.getText(f);
    uint32_t line = 1;
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos)
        end = text.size();
      std::string l(text.substr(start, end - start));
      for (auto it = std::sregex_iterator(l.begin(), l.end(), re);
           it != std::sregex_iterator(); ++it) {
        const std::smatch &m = *it;
        Expected e;
        e.severity = m[1] == "error"     ? Severity::Error
                     : m[1] == "warning" ? Severity::Warning
                                         : Severity::Note;
        e.file = f;
        e.commentLine = line;
        e.line = line;
        if (m[2].matched) {
          long n = std::stol(m[4]);
          if (m[3] == "+")
            e.line = line + n;
          else if (m[3] == "-")
            e.line = line - n;
          else
            e.line = n;
        }
        e.col = m[5].matched ? std::stoul(m[6]) : 0;
        e.text = m[7];
        expected.push_back(e);
      }
      ++line;
      start = end + 1;
    }
  }
  bool ok = true;
  std::vector<bool> used(seen.size(), false);
  for (Expected &e : expected) {
    for (size_t i = 0; i < seen.size(); ++i) {
      const Seen &s = seen[i];
      if (used[i] || s.severity != e.severity || !s.range.isValid() ||
          s.range.file != e.file)
        continue;
      LineCol lc = sm.getLineCol(s.range.file, s.range.begin);
      if (lc.line != e.line || (e.col && lc.col != e.col))
        continue;
      if (s.message.find(e.text) == std::string::npos)
        continue;
      used[i] = e.matched = true;
      break;
    }
    if (!e.matched) {
      ok = false;
      os << sm.getName(e.file) << ":" << e.commentLine << ": expected "
         << name(e.severity) << " at line " << e.line;
      if (e.col)
        os << ", column " << e.col;
      os << " was not produced: {{" << e.text << "}}\n";
    }
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    const Seen &s = seen[i];
    if (used[i] || s.severity == Severity::Note)
      continue;
    ok = false;
    if (s.range.isValid()) {
      LineCol lc = sm.getLineCol(s.range.file, s.range.begin);
      os << sm.getName(s.range.file) << ":" << lc.line << ":" << lc.col
         << ": unexpected " << name(s.severity) << ": " << s.message << "\n";
    } else {
      os << "unexpected " << name(s.severity) << ": " << s.message << "\n";
    }
  }
  return ok;
}
