//===- ASTPrinter.h - Text forms of the AST -----------------------*- C++
//-*-===//
//
// `nnc --emit=ast` prints the tree with one node a line and its line:col;
// toSource() renders an expression or a type back as short .nn text, for
// diagnostics ("'flatten(x)' has shape [B, 784]").
//
//===----------------------------------------------------------------------===//

#ifndef NNC_AST_ASTPRINTER_H
#define NNC_AST_ASTPRINTER_H

#include "nnc/AST/AST.h"

#include <ostream>
#include <string>

namespace nnc {

void dumpAST(const Program &program, const SourceManager &sm, std::ostream &os);

/// Renders an expression as .nn text, shortened to about `maxLen` chars.
std::string toSource(const Expr &e, size_t maxLen = 40);
std::string toSource(const TypeExpr &t);

} // namespace nnc

#endif // NNC_AST_ASTPRINTER_H
