//===- Parser.h - .nn source text to AST ---------------------------*- C++
//-*-===//
//
// The only entry points of the Parse library. ANTLR is an implementation
// detail behind them: no ANTLR type, and no exception, crosses this header.
// Syntax errors are reported through the DiagnosticEngine; when any is
// reported the returned Program is null.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PARSE_PARSER_H
#define NNC_PARSE_PARSER_H

#include "nnc/AST/AST.h"
#include "nnc/Basic/Diagnostics.h"

#include <memory>
#include <string>
#include <vector>

namespace nnc {

/// Limits that keep malformed input from exhausting the stack or memory.
struct ParseLimits {
  size_t maxLineBytes = 1u << 20; ///< longest accepted source line
  size_t maxTokens = 1u << 22;    ///< tokens in one file
  unsigned maxNesting = 256;      ///< brackets inside brackets
  unsigned maxExprDepth = 1000;   ///< operators nested in one expression
};

/// Parses a file registered with the SourceManager. Returns null if there
/// were syntax errors (all of them are reported).
std::unique_ptr<Program> parseProgram(FileID file, const SourceManager &sm,
                                      DiagnosticEngine &diags,
                                      const ParseLimits &limits = {});

/// One token, for `nnc --emit=tokens`.
struct TokenInfo {
  std::string kind; ///< the grammar's token name, e.g. ID, INT, '('
  std::string text;
  SourceRange range;
};

/// Splits a file into tokens after the newline filter, reporting lexical
/// errors. Returns false if there were errors.
bool tokenize(FileID file, const SourceManager &sm, DiagnosticEngine &diags,
              std::vector<TokenInfo> &out, const ParseLimits &limits = {});

} // namespace nnc

#endif // NNC_PARSE_PARSER_H
