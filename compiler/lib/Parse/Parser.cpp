//===- Parser.cpp - .nn source text to AST
//---------------------------------===//
//
// The boundary between ANTLR (exceptions, RTTI, its own tree) and the rest of
// nnc. Steps:
//   1. Check the text: valid UTF-8, no line longer than the limit.
//   2. Lex with the generated NNLexer, then filter tokens (TokenFilter):
//      report stray characters and unterminated strings, check bracket
//      balance and nesting depth, and keep only newlines that end a
//      statement.
//   3. Parse with the generated NNParser under an error strategy whose
//      messages read like a compiler's ("expected ')', found end of line"),
//      reported through nnc's DiagnosticEngine. ANTLR recovers and goes on,
//      so one run reports several errors (up to the engine's limit).
//   4. If there were no errors, turn the parse tree into nnc's AST with one
//      typed builder function per rule.
// Every ANTLR exception is caught here.
//
//===----------------------------------------------------------------------===//

#include "nnc/Parse/Parser.h"

#include "NNLexer.h"
#include "NNParser.h"
#include "antlr4-runtime.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

using namespace nnc;

namespace {

/// Thrown by the error listener to stop parsing at the error limit.
struct CancelParse {};

//===----------------------------------------------------------------------===//
// Text checks
//===----------------------------------------------------------------------===//

/// Returns the byte offset of the first invalid UTF-8 sequence, or npos.
size_t findInvalidUtf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n)
      return i;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80)
        return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong encodings, surrogates and values past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return std::string_view::npos;
}

bool checkText(FileID file, const SourceManager &sm, DiagnosticEngine &diags,
               const ParseLimits &limits) {
  std::string_view text = sm.getText(file);
  size_t bad = findInvalidUtf8(text);
  if (bad != std::string_view::npos) {
    uint32_t b = static_cast<uint32_t>(bad);
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X",
                  static_cast<unsigned char>(text[bad]));
    diags.error({file, b, b + 1}, std::string("invalid UTF-8 (byte ") + hex +
                                      "): .nn files are UTF-8 text");
    return false;
  }
  size_t lineStart = 0;
  while (lineStart <= text.size()) {
    size_t end = text.find('\n', lineStart);
    if (end == std::string_view::npos)
      end = text.size();
    if (end - lineStart > limits.maxLineBytes) {
      uint32_t b = static_cast<uint32_t>(lineStart);
      diags.error({file, b, b + 1}, "line is " +
                                        std::to_string(end - lineStart) +
                                        " bytes long; the limit is " +
                                        std::to_string(limits.maxLineBytes));
      return false;
    }
    lineStart = end + 1;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Token helpers
//===----------------------------------------------------------------------===//

SourceRange tokenRange(FileID file, const SourceManager &sm,
                       const antlr4::Token *tok) {
  if (tok->getType() == antlr4::Token::EOF) {
    uint32_t end = static_cast<uint32_t>(sm.getText(file).size());
    return {file, end, end};
  }
  uint32_t b = sm.codePointToByte(file, tok->getStartIndex());
  uint32_t e = sm.codePointToByte(file, tok->getStopIndex() + 1);
  return {file, b, std::max(e, b)};
}

const antlr4::dfa::Vocabulary &vocabulary() {
  static antlr4::ANTLRInputStream empty("");
  static NNLexer lexer(&empty);
  return lexer.getVocabulary();
}

std::string tokenName(size_t type) {
  switch (type) {
  case antlr4::Token::EOF:
    return "end of file";
  case NNParser::NL:
    return "end of line";
  case NNParser::ID:
    return "identifier";
  case NNParser::INT:
    return "integer";
  case NNParser::FLOAT:
    return "number";
  case NNParser::STRING:
    return "string";
  case NNParser::DTYPE:
    return "dtype";
  default:
    break;
  }
  static const std::vector<std::string> literals = [] {
    std::vector<std::string> out;
    const antlr4::dfa::Vocabulary &v = vocabulary();
    for (size_t t = 0; t <= v.getMaxTokenType(); ++t)
      out.push_back(v.getLiteralName(t));
    return out;
  }();
  if (type < literals.size() && !literals[type].empty())
    return literals[type]; // already quoted: '('
  return "token";
}

/// How a token that was found is described: `'fc1'`, `end of line`.
std::string describeFound(const antlr4::Token *tok) {
  size_t type = tok->getType();
  if (type == antlr4::Token::EOF)
    return "end of file";
  if (type == NNParser::NL)
    return "end of line";
  std::string text = tok->getText();
  if (text.size() > 24)
    text = text.substr(0, 21) + "...";
  return "'" + text + "'";
}

bool endsStatement(size_t type) {
  switch (type) {
  case NNParser::ID:
  case NNParser::INT:
  case NNParser::FLOAT:
  case NNParser::STRING:
  case NNParser::UNTERMINATED_STRING:
  case NNParser::DTYPE:
  case NNParser::TRUE:
  case NNParser::FALSE:
  case NNParser::BREAK:
  case NNParser::CONTINUE:
  case NNParser::RETURN:
  case NNParser::RPAREN:
  case NNParser::RBRACK:
  case NNParser::RBRACE:
  case NNParser::ELLIPSIS:
    return true;
  default:
    return false;
  }
}

bool isOpen(size_t t) {
  return t == NNParser::LPAREN || t == NNParser::LBRACK ||
         t == NNParser::LBRACE;
}
bool isClose(size_t t) {
  return t == NNParser::RPAREN || t == NNParser::RBRACK ||
         t == NNParser::RBRACE;
}
size_t closerFor(size_t open) {
  return open == NNParser::LPAREN   ? NNParser::RPAREN
         : open == NNParser::LBRACK ? NNParser::RBRACK
                                    : NNParser::RBRACE;
}

//===----------------------------------------------------------------------===//
// Token filter
//===----------------------------------------------------------------------===//

enum class LexResult { Ok, Errors, Fatal };

/// Lexes the whole file and filters the tokens. Fatal: an error that makes
/// parsing pointless (unbalanced brackets, limits).
LexResult lexAndFilter(FileID file, const SourceManager &sm,
                       DiagnosticEngine &diags, const ParseLimits &limits,
                       NNLexer &lexer,
                       std::vector<std::unique_ptr<antlr4::Token>> &out) {
  lexer.removeErrorListeners();
  std::vector<std::unique_ptr<antlr4::Token>> raw;
  for (;;) {
    std::unique_ptr<antlr4::Token> tok = lexer.nextToken();
    bool eof = tok->getType() == antlr4::Token::EOF;
    raw.push_back(std::move(tok));
    if (eof)
      break;
    if (raw.size() > limits.maxTokens) {
      diags.error(tokenRange(file, sm, raw.back().get()),
                  "file has more than " + std::to_string(limits.maxTokens) +
                      " tokens");
      return LexResult::Fatal;
    }
  }

  bool ok = true;
  struct Open {
    size_t type;
    SourceRange range;
  };
  std::vector<Open> stack;
  size_t prevType = NNParser::NL; // last significant token kept
  unsigned prefixRun = 0;         // right-recursive operators in a row
  auto nextSignificant = [&](size_t i) -> size_t {
    for (size_t j = i + 1; j < raw.size(); ++j) {
      size_t t = raw[j]->getType();
      if (t != NNParser::NL && t != NNParser::ERROR_CHAR)
        return t;
    }
    return antlr4::Token::EOF;
  };

  for (size_t i = 0; i < raw.size(); ++i) {
    antlr4::Token *tok = raw[i].get();
    size_t type = tok->getType();
    SourceRange range = tokenRange(file, sm, tok);
    if (diags.shouldStop())
      return LexResult::Fatal;

    if (type == NNParser::ERROR_CHAR) {
      std::string text = tok->getText();
      unsigned char c = text.empty() ? 0 : static_cast<unsigned char>(text[0]);
      std::string shown;
      if (c < 0x20 || c == 0x7f) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "U+%04X", c);
        shown = buf;
      } else {
        shown = "'" + text + "'";
      }
      ok = false;
      auto d = diags.error(range, "unexpected character " + shown);
      if (text == "!")
        d.note(range, "use 'not' for logical negation and '!=' for "
                      "inequality");
      else if (text == "&" || text == "|")
        d.note(range, "use 'and' / 'or' for logical operators");
      else if (text == "'")
        d.note(range, "strings are written in double quotes");
      continue;
    }
    if (type == NNParser::UNTERMINATED_STRING) {
      diags.error(range, "unterminated string literal");
      ok = false;
      // Parse on as if it were closed, to find the errors after it.
      if (auto *common = dynamic_cast<antlr4::CommonToken *>(tok))
        common->setType(NNParser::STRING);
      type = NNParser::STRING;
    }
    if (type == NNParser::NL) {
      bool inParens = !stack.empty() && stack.back().type != NNParser::LBRACE;
      if (inParens || !endsStatement(prevType))
        continue;
      size_t next = nextSignificant(i);
      if (next == NNParser::ELSE || next == NNParser::DOT ||
          next == NNParser::LBRACE)
        continue;
      prevType = NNParser::NL;
      prefixRun = 0;
      out.push_back(std::move(raw[i]));
      continue;
    }
    if (isOpen(type)) {
      if (stack.size() >= limits.maxNesting) {
        diags.error(range, "brackets nested more than " +
                               std::to_string(limits.maxNesting) +
                               " levels deep");
        return LexResult::Fatal;
      }
      stack.push_back({type, range});
    } else if (isClose(type)) {
      if (stack.empty()) {
        diags.error(range, "unmatched " + tokenName(type));
        return LexResult::Fatal;
      }
      if (closerFor(stack.back().type) != type) {
        diags
            .error(range, "mismatched " + tokenName(type) + ": expected " +
                              tokenName(closerFor(stack.back().type)))
            .note(stack.back().range,
                  "to match this " + tokenName(stack.back().type));
        return LexResult::Fatal;
      }
      stack.pop_back();
    }
    // Guard the recursion depth of right-associative and prefix operators.
    bool prefix = type == NNParser::POW || type == NNParser::NOT ||
                  ((type == NNParser::MINUS || type == NNParser::PLUS) &&
                   !endsStatement(prevType));
    if (prefix) {
      if (++prefixRun > limits.maxExprDepth) {
        diags.error(range, "expression nested more than " +
                               std::to_string(limits.maxExprDepth) +
                               " levels deep");
        return LexResult::Fatal;
      }
    } else if (type == NNParser::SEMI || isOpen(type) || isClose(type)) {
      prefixRun = 0;
    }
    if (type != antlr4::Token::EOF)
      prevType = type;
    out.push_back(std::move(raw[i]));
  }
  if (!stack.empty()) {
    const Open &open = stack.back();
    uint32_t end = static_cast<uint32_t>(sm.getText(file).size());
    diags.error(open.range, "unclosed " + tokenName(open.type))
        .note({file, end, end}, "the file ends here; expected " +
                                    tokenName(closerFor(open.type)));
    return LexResult::Fatal;
  }
  return ok ? LexResult::Ok : LexResult::Errors;
}

//===----------------------------------------------------------------------===//
// Error reporting
//===----------------------------------------------------------------------===//

class DiagListener : public antlr4::BaseErrorListener {
public:
  DiagListener(FileID file, const SourceManager &sm, DiagnosticEngine &diags)
      : file(file), sm(sm), diags(diags) {}

  void syntaxError(antlr4::Recognizer *, antlr4::Token *offending, size_t line,
                   size_t, const std::string &msg,
                   std::exception_ptr) override {
    SourceRange range =
        offending ? tokenRange(file, sm, offending) : SourceRange{file, 0, 0};
    // One error per problem: what recovery finds later on the same line, or
    // at the end of the file (brackets were checked before parsing), is a
    // consequence of the first error.
    bool atEnd = offending && offending->getType() == antlr4::Token::EOF;
    if (reported && (line == lastLine || atEnd))
      return;
    reported = true;
    lastLine = line;
    diags.error(range, msg);
    if (diags.shouldStop())
      throw CancelParse();
  }

private:
  bool reported = false;
  size_t lastLine = 0;

public:
private:
  FileID file;
  const SourceManager &sm;
  DiagnosticEngine &diags;
};

class ErrorStrategy : public antlr4::DefaultErrorStrategy {
protected:
  static std::string describeExpected(const antlr4::misc::IntervalSet &set) {
    std::vector<size_t> types;
    for (const antlr4::misc::Interval &iv : set.getIntervals())
      for (ssize_t t = iv.a; t <= iv.b && types.size() < 64; ++t)
        types.push_back(static_cast<size_t>(t));
    auto has = [&](size_t t) {
      return std::find(types.begin(), types.end(), t) != types.end();
    };
    if (has(NNParser::INT) && has(NNParser::ID) && has(NNParser::LPAREN))
      return "an expression";
    if (types.size() > 4) {
      if (has(NNParser::NL) || has(NNParser::SEMI))
        return "end of line";
      return "";
    }
    std::string out;
    for (size_t i = 0; i < types.size(); ++i) {
      if (i)
        out += i + 1 == types.size() ? " or " : ", ";
      out += tokenName(types[i]);
    }
    return out;
  }

  static void report(antlr4::Parser *p, antlr4::Token *tok,
                     const std::string &expected, std::exception_ptr e) {
    std::string msg = expected.empty() ? "unexpected " + describeFound(tok)
                                       : "expected " + expected + ", found " +
                                             describeFound(tok);
    p->notifyErrorListeners(tok, msg, e);
  }

  void
  reportNoViableAlternative(antlr4::Parser *p,
                            const antlr4::NoViableAltException &e) override {
    antlr4::Token *tok = e.getOffendingToken();
    std::string expected = describeExpected(p->getExpectedTokens());
    report(p, tok, expected == "end of line" ? "" : expected,
           std::make_exception_ptr(e));
  }

  void reportInputMismatch(antlr4::Parser *p,
                           const antlr4::InputMismatchException &e) override {
    report(p, e.getOffendingToken(), describeExpected(e.getExpectedTokens()),
           std::make_exception_ptr(e));
  }

  void reportUnwantedToken(antlr4::Parser *p) override {
    if (inErrorRecoveryMode(p))
      return;
    beginErrorCondition(p);
    antlr4::Token *tok = p->getCurrentToken();
    report(p, tok, describeExpected(getExpectedTokens(p)), nullptr);
  }

  void reportMissingToken(antlr4::Parser *p) override {
    if (inErrorRecoveryMode(p))
      return;
    beginErrorCondition(p);
    antlr4::Token *tok = p->getCurrentToken();
    report(p, tok, describeExpected(getExpectedTokens(p)), nullptr);
  }
};

//===----------------------------------------------------------------------===//
// Parse tree -> AST
//===----------------------------------------------------------------------===//

class Builder {
public:
  Builder(FileID file, const SourceManager &sm, DiagnosticEngine &diags,
          const ParseLimits &limits)
      : file(file), sm(sm), diags(diags), limits(limits) {}

  std::unique_ptr<Program> program(NNParser::ProgramContext *ctx) {
    auto prog = std::make_unique<Program>();
    prog->file = file;
    for (NNParser::TopLevelContext *t : ctx->topLevel())
      prog->items.push_back(topLevel(t));
    return prog;
  }

private:
  SourceRange range(antlr4::ParserRuleContext *ctx) {
    SourceRange b = tokenRange(file, sm, ctx->getStart());
    antlr4::Token *stop = ctx->getStop() ? ctx->getStop() : ctx->getStart();
    return b.to(tokenRange(file, sm, stop));
  }
  SourceRange range(antlr4::tree::TerminalNode *n) {
    return tokenRange(file, sm, n->getSymbol());
  }
  SourceRange range(antlr4::Token *t) { return tokenRange(file, sm, t); }
  Ident ident(antlr4::tree::TerminalNode *n) {
    return {n->getText(), range(n)};
  }

  StmtPtr topLevel(NNParser::TopLevelContext *ctx) {
    if (auto *c = dynamic_cast<NNParser::NestedDeclContext *>(ctx->statement()))
      return declaration(c->nestedDeclaration());
    return statement(ctx->statement());
  }

  StmtPtr declaration(NNParser::NestedDeclarationContext *d) {
    if (d->importDecl())
      return importDecl(d->importDecl());
    if (d->configDecl())
      return configDecl(d->configDecl());
    if (d->dataDecl())
      return dataDecl(d->dataDecl());
    if (d->fnDecl())
      return fnDecl(d->fnDecl());
    if (d->modelDecl())
      return modelDecl(d->modelDecl());
    return optimizerDecl(d->optimizerDecl());
  }

  StmtPtr importDecl(NNParser::ImportDeclContext *ctx) {
    auto d = std::make_unique<ImportDecl>(range(ctx));
    if (auto *s = ctx->STRING()) {
      d->module = unquote(s->getText(), range(s));
      d->isPath = true;
      d->nameRange = range(s);
    } else {
      d->module = ctx->dottedName()->getText();
      d->nameRange = range(ctx->dottedName());
    }
    return d;
  }

  StmtPtr configDecl(NNParser::ConfigDeclContext *ctx) {
    auto d = std::make_unique<ConfigDecl>(range(ctx));
    for (auto *e : ctx->configEntry()) {
      ConfigEntry entry;
      entry.name = ident(e->ID());
      if (e->typeExpr())
        entry.type = typeExpr(e->typeExpr());
      entry.value = expr(e->expr());
      d->entries.push_back(std::move(entry));
    }
    return d;
  }

  BindTarget bindTarget(NNParser::BindTargetContext *ctx) {
    BindTarget t;
    t.range = range(ctx);
    if (auto *n = dynamic_cast<NNParser::BindNameContext *>(ctx)) {
      t.names.push_back(ident(n->ID()));
    } else {
      auto *tup = static_cast<NNParser::BindTupleContext *>(ctx);
      t.isTuple = true;
      for (auto *id : tup->ID())
        t.names.push_back(ident(id));
    }
    return t;
  }

  StmtPtr dataDecl(NNParser::DataDeclContext *ctx) {
    auto d = std::make_unique<DataDecl>(range(ctx));
    d->target = bindTarget(ctx->bindTarget());
    d->value = expr(ctx->expr());
    return d;
  }

  std::vector<Param> params(NNParser::ParamListContext *ctx) {
    std::vector<Param> out;
    if (!ctx)
      return out;
    for (auto *p : ctx->param()) {
      Param param;
      param.name = ident(p->ID());
      param.range = range(p);
      if (p->typeExpr())
        param.type = typeExpr(p->typeExpr());
      if (p->expr())
        param.defaultValue = expr(p->expr());
      out.push_back(std::move(param));
    }
    return out;
  }

  Block block(NNParser::BlockContext *ctx) {
    Block out;
    for (auto *s : ctx->statement())
      out.push_back(statement(s));
    return out;
  }

  std::unique_ptr<FnSignature> signature(antlr4::ParserRuleContext *ctx,
                                         antlr4::tree::TerminalNode *name,
                                         NNParser::ParamListContext *ps,
                                         NNParser::TypeExprContext *result,
                                         NNParser::BlockContext *body) {
    auto sig = std::make_unique<FnSignature>();
    sig->name = ident(name);
    sig->params = params(ps);
    if (result)
      sig->result = typeExpr(result);
    sig->body = block(body);
    sig->range = range(ctx);
    return sig;
  }

  StmtPtr fnDecl(NNParser::FnDeclContext *ctx) {
    auto d = std::make_unique<FnDecl>(range(ctx));
    auto sig = signature(ctx, ctx->ID(), ctx->paramList(), ctx->typeExpr(),
                         ctx->block());
    d->sig = std::move(*sig);
    return d;
  }

  StmtPtr modelDecl(NNParser::ModelDeclContext *ctx) {
    auto d = std::make_unique<ModelDecl>(range(ctx));
    d->name = ident(ctx->ID());
    d->params = params(ctx->paramList());
    for (auto *m : ctx->modelMember()) {
      ModelMember member;
      member.range = range(m);
      if (auto *f = dynamic_cast<NNParser::MemberFieldContext *>(m)) {
        member.kind = ModelMember::Kind::Field;
        member.name = ident(f->ID());
        member.value = expr(f->expr());
      } else if (auto *l = dynamic_cast<NNParser::MemberLetContext *>(m)) {
        member.kind = ModelMember::Kind::Let;
        member.name = ident(l->ID());
        if (l->typeExpr())
          member.type = typeExpr(l->typeExpr());
        member.value = expr(l->expr());
      } else {
        auto *mm = static_cast<NNParser::MemberMethodContext *>(m);
        member.kind = ModelMember::Kind::Method;
        member.name = ident(mm->ID());
        member.method = signature(mm, mm->ID(), mm->paramList(), mm->typeExpr(),
                                  mm->block());
      }
      d->members.push_back(std::move(member));
    }
    return d;
  }

  StmtPtr optimizerDecl(NNParser::OptimizerDeclContext *ctx) {
    auto d = std::make_unique<OptimizerDecl>(range(ctx));
    d->name = ident(ctx->ID());
    d->params = params(ctx->paramList());
    for (auto *m : ctx->optimizerMember()) {
      OptimizerMember member;
      member.range = range(m);
      if (auto *s = dynamic_cast<NNParser::OptStateContext *>(m)) {
        member.kind = OptimizerMember::Kind::State;
        member.name = ident(s->ID());
        member.value = expr(s->expr());
      } else if (auto *l = dynamic_cast<NNParser::OptLetContext *>(m)) {
        member.kind = OptimizerMember::Kind::Let;
        member.name = ident(l->ID());
        if (l->typeExpr())
          member.type = typeExpr(l->typeExpr());
        member.value = expr(l->expr());
      } else {
        auto *mm = static_cast<NNParser::OptMethodContext *>(m);
        member.kind = OptimizerMember::Kind::Method;
        member.name = ident(mm->ID());
        member.method =
            signature(mm, mm->ID(), mm->paramList(), nullptr, mm->block());
      }
      d->members.push_back(std::move(member));
    }
    return d;
  }

  StmtPtr statement(NNParser::StatementContext *ctx) {
    SourceRange r = range(ctx);
    if (auto *c = dynamic_cast<NNParser::NestedDeclContext *>(ctx)) {
      diags.error(range(c->getStart()),
                  "'" + c->getStart()->getText() +
                      "' declarations are only allowed at the top level of "
                      "a file");
      return declaration(c->nestedDeclaration());
    }
    if (auto *c = dynamic_cast<NNParser::LetStmtContext *>(ctx)) {
      auto s = std::make_unique<LetStmt>(r);
      s->target = bindTarget(c->bindTarget());
      if (c->typeExpr())
        s->type = typeExpr(c->typeExpr());
      if (c->expr())
        s->init = expr(c->expr());
      return s;
    }
    if (auto *c = dynamic_cast<NNParser::ForStmtContext *>(ctx)) {
      auto s = std::make_unique<ForStmt>(r);
      s->target = bindTarget(c->bindTarget());
      s->iterable = expr(c->expr());
      s->body = block(c->block());
      return s;
    }
    if (auto *c = dynamic_cast<NNParser::IfStmtContext *>(ctx))
      return ifStatement(c->ifStatement());
    if (auto *c = dynamic_cast<NNParser::WhileStmtContext *>(ctx)) {
      auto s = std::make_unique<WhileStmt>(r);
      s->cond = expr(c->expr());
      s->body = block(c->block());
      return s;
    }
    if (dynamic_cast<NNParser::BreakStmtContext *>(ctx))
      return std::make_unique<BreakStmt>(r);
    if (dynamic_cast<NNParser::ContinueStmtContext *>(ctx))
      return std::make_unique<ContinueStmt>(r);
    if (auto *c = dynamic_cast<NNParser::ReturnStmtContext *>(ctx))
      return std::make_unique<ReturnStmt>(r, c->expr() ? expr(c->expr())
                                                       : nullptr);
    if (auto *c = dynamic_cast<NNParser::SaveStmtContext *>(ctx)) {
      auto s = std::make_unique<SaveStmt>(r);
      s->value = expr(c->expr(0));
      s->path = expr(c->expr(1));
      if (c->IF())
        s->cond = expr(c->expr(2));
      return s;
    }
    if (auto *c = dynamic_cast<NNParser::LoadStmtContext *>(ctx)) {
      auto s = std::make_unique<LoadStmt>(r);
      s->target = expr(c->expr(0));
      s->path = expr(c->expr(1));
      return s;
    }
    if (auto *c = dynamic_cast<NNParser::WriteStmtContext *>(ctx)) {
      auto s = std::make_unique<WriteStmt>(r);
      s->value = expr(c->expr(0));
      s->path = expr(c->expr(1));
      return s;
    }
    if (auto *c = dynamic_cast<NNParser::AssignStmtContext *>(ctx)) {
      auto s = std::make_unique<AssignStmt>(r);
      switch (c->op->getType()) {
      case NNParser::PLUS_ASSIGN:
        s->op = AssignOp::Add;
        break;
      case NNParser::MINUS_ASSIGN:
        s->op = AssignOp::Sub;
        break;
      case NNParser::STAR_ASSIGN:
        s->op = AssignOp::Mul;
        break;
      case NNParser::SLASH_ASSIGN:
        s->op = AssignOp::Div;
        break;
      default:
        s->op = AssignOp::Set;
      }
      s->opRange = range(c->op);
      s->target = expr(c->expr(0));
      s->value = expr(c->expr(1));
      return s;
    }
    auto *c = static_cast<NNParser::ExprStmtContext *>(ctx);
    return std::make_unique<ExprStmt>(r, expr(c->expr()));
  }

  StmtPtr ifStatement(NNParser::IfStatementContext *ctx) {
    auto s = std::make_unique<IfStmt>(range(ctx));
    s->cond = expr(ctx->expr());
    s->thenBody = block(ctx->block(0));
    if (ctx->ELSE()) {
      s->hasElse = true;
      if (auto *elif = ctx->ifStatement())
        s->elseBody.push_back(ifStatement(elif));
      else
        s->elseBody = block(ctx->block(1));
    }
    return s;
  }

  //===--- expressions ---===//

  /// Placeholder for an expression cut off by the depth limit.
  ExprPtr tooDeep(antlr4::ParserRuleContext *ctx) {
    if (!reportedDepth) {
      reportedDepth = true;
      diags.error(range(ctx), "expression nested more than " +
                                  std::to_string(limits.maxExprDepth) +
                                  " levels deep");
    }
    return std::make_unique<IntLitExpr>(range(ctx), 0);
  }

  ExprPtr expr(NNParser::ExprContext *ctx) {
    if (depth >= limits.maxExprDepth)
      return tooDeep(ctx);
    ++depth;
    ExprPtr e = exprImpl(ctx);
    --depth;
    return e;
  }

  ExprPtr exprImpl(NNParser::ExprContext *ctx) {
    SourceRange r = range(ctx);
    if (auto *c = dynamic_cast<NNParser::PrimaryExprContext *>(ctx))
      return primary(c->primary());
    if (auto *c = dynamic_cast<NNParser::MemberExprContext *>(ctx))
      return std::make_unique<MemberExpr>(
          r, expr(c->expr()),
          Ident{c->memberName()->getText(), range(c->memberName())});
    if (auto *c = dynamic_cast<NNParser::CallExprContext *>(ctx)) {
      std::vector<Arg> args;
      if (auto *al = c->argList()) {
        for (auto *a : al->arg()) {
          Arg arg;
          if (auto *n = a->memberName())
            arg.name = {n->getText(), range(n)};
          arg.value = expr(a->expr());
          args.push_back(std::move(arg));
        }
      }
      return std::make_unique<CallExpr>(r, expr(c->expr()), std::move(args));
    }
    if (auto *c = dynamic_cast<NNParser::IndexExprContext *>(ctx)) {
      std::vector<SliceItem> items;
      for (auto *it : c->sliceList()->sliceItem())
        items.push_back(sliceItem(it));
      return std::make_unique<IndexExpr>(r, expr(c->expr()), std::move(items));
    }
    if (auto *c = dynamic_cast<NNParser::UnaryExprContext *>(ctx)) {
      UnaryOp op = c->op->getType() == NNParser::MINUS  ? UnaryOp::Neg
                   : c->op->getType() == NNParser::PLUS ? UnaryOp::Plus
                                                        : UnaryOp::Not;
      return std::make_unique<UnaryExpr>(r, op, range(c->op), expr(c->expr()));
    }
    if (auto *c = dynamic_cast<NNParser::CastExprContext *>(ctx))
      return std::make_unique<CastExpr>(r, expr(c->expr()),
                                        typeExpr(c->typeExpr()));
    if (auto *c = dynamic_cast<NNParser::RangeExprContext *>(ctx))
      return std::make_unique<RangeExpr>(r, expr(c->expr(0)), expr(c->expr(1)),
                                         c->op->getType() == NNParser::RANGE);
    auto *c = static_cast<NNParser::BinaryExprContext *>(ctx);
    BinaryOp op;
    switch (c->op->getType()) {
    case NNParser::POW:
      op = BinaryOp::Pow;
      break;
    case NNParser::STAR:
      op = BinaryOp::Mul;
      break;
    case NNParser::SLASH:
      op = BinaryOp::Div;
      break;
    case NNParser::PERCENT:
      op = BinaryOp::Mod;
      break;
    case NNParser::MATMUL:
      op = BinaryOp::MatMul;
      break;
    case NNParser::PLUS:
      op = BinaryOp::Add;
      break;
    case NNParser::MINUS:
      op = BinaryOp::Sub;
      break;
    case NNParser::LT:
      op = BinaryOp::Lt;
      break;
    case NNParser::LE:
      op = BinaryOp::Le;
      break;
    case NNParser::GT:
      op = BinaryOp::Gt;
      break;
    case NNParser::GE:
      op = BinaryOp::Ge;
      break;
    case NNParser::EQ:
      op = BinaryOp::Eq;
      break;
    case NNParser::NE:
      op = BinaryOp::Ne;
      break;
    case NNParser::AND:
      op = BinaryOp::And;
      break;
    default:
      op = BinaryOp::Or;
      break;
    }
    return std::make_unique<BinaryExpr>(r, op, range(c->op), expr(c->expr(0)),
                                        expr(c->expr(1)));
  }

  SliceItem sliceItem(NNParser::SliceItemContext *ctx) {
    SliceItem item;
    item.range = range(ctx);
    if (dynamic_cast<NNParser::SliceEllipsisContext *>(ctx)) {
      item.kind = SliceItem::Kind::Ellipsis;
      return item;
    }
    if (auto *c = dynamic_cast<NNParser::SliceIndexContext *>(ctx)) {
      item.kind = SliceItem::Kind::Index;
      item.start = expr(c->expr());
      return item;
    }
    item.kind = SliceItem::Kind::Range;
    unsigned colons = 0;
    for (antlr4::tree::ParseTree *child : ctx->children) {
      if (auto *t = dynamic_cast<antlr4::tree::TerminalNode *>(child)) {
        if (t->getSymbol()->getType() == NNParser::COLON)
          ++colons;
        continue;
      }
      auto *e = dynamic_cast<NNParser::ExprContext *>(child);
      if (!e)
        continue;
      ExprPtr value = expr(e);
      if (colons == 0)
        item.start = std::move(value);
      else if (colons == 1)
        item.stop = std::move(value);
      else
        item.step = std::move(value);
    }
    return item;
  }

  /// The value of the string literal \p text (with its quotes) at \p r. An
  /// escape other than `\n \t \r \0 \" \\` is an error at the backslash:
  /// a stray `\q` is more likely a typo (or a Windows path) than a `q`.
  std::string unquote(const std::string &text, SourceRange r) {
    std::string out;
    for (size_t i = 1; i + 1 < text.size(); ++i) {
      char c = text[i];
      if (c == '\\' && i + 2 < text.size()) {
        uint32_t at = r.begin + static_cast<uint32_t>(i);
        char n = text[++i];
        switch (n) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '0':
          out += '\0';
          break;
        case '"':
        case '\\':
          out += n;
          break;
        default: {
          // The whole character after the backslash (UTF-8).
          size_t len = 1;
          while (i + len + 1 < text.size() &&
                 (static_cast<unsigned char>(text[i + len]) & 0xC0) == 0x80)
            ++len;
          std::string what = text.substr(i, len);
          diags
              .error({r.file, at, at + 1 + static_cast<uint32_t>(len)},
                     "unknown escape '\\" + what +
                         "' in a string: the escapes are \\n \\t \\r "
                         "\\0 \\\" and \\\\")
              .note({}, "a backslash itself is written '\\\\': \"\\\\" + what +
                            "\"");
          out += n;
        }
        }
        continue;
      }
      out += c;
    }
    return out;
  }

  ExprPtr primary(NNParser::PrimaryContext *ctx) {
    SourceRange r = range(ctx);
    if (auto *c = dynamic_cast<NNParser::IntLitContext *>(ctx)) {
      std::string text = c->getText();
      text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
      int64_t v = 0;
      auto res = std::from_chars(text.data(), text.data() + text.size(), v);
      if (res.ec != std::errc())
        diags.error(r, "integer literal '" + c->getText() +
                           "' does not fit in 64 bits");
      return std::make_unique<IntLitExpr>(r, v);
    }
    if (auto *c = dynamic_cast<NNParser::FloatLitContext *>(ctx)) {
      std::string text = c->getText();
      text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
      double v = std::strtod(text.c_str(), nullptr);
      if (std::isinf(v))
        diags.error(r, "number '" + c->getText() + "' is too large");
      return std::make_unique<FloatLitExpr>(r, v, c->getText());
    }
    if (auto *c = dynamic_cast<NNParser::StringLitContext *>(ctx))
      return std::make_unique<StringLitExpr>(r, unquote(c->getText(), r));
    if (auto *c = dynamic_cast<NNParser::BoolLitContext *>(ctx))
      return std::make_unique<BoolLitExpr>(r, c->TRUE() != nullptr);
    if (auto *c = dynamic_cast<NNParser::NameRefContext *>(ctx))
      return std::make_unique<NameExpr>(r, c->getText());
    if (auto *c = dynamic_cast<NNParser::DtypeRefContext *>(ctx))
      return std::make_unique<DTypeRefExpr>(r, c->getText());
    if (auto *c = dynamic_cast<NNParser::ParenExprContext *>(ctx))
      return expr(c->expr());
    if (auto *c = dynamic_cast<NNParser::TupleExprContext *>(ctx)) {
      std::vector<ExprPtr> elems;
      for (auto *e : c->expr())
        elems.push_back(expr(e));
      return std::make_unique<TupleExpr>(r, std::move(elems));
    }
    if (auto *c = dynamic_cast<NNParser::ListExprContext *>(ctx)) {
      std::vector<ExprPtr> elems;
      for (auto *e : c->expr())
        elems.push_back(expr(e));
      return std::make_unique<ListExpr>(r, std::move(elems));
    }
    if (auto *c = dynamic_cast<NNParser::StepExprContext *>(ctx))
      return std::make_unique<StepExpr>(r, expr(c->expr(0)), expr(c->expr(1)));
    auto *c = static_cast<NNParser::EvaluateExprContext *>(ctx);
    std::vector<Metric> metrics;
    for (auto *m : c->metric()) {
      Metric metric;
      metric.name = ident(m->ID());
      if (m->expr())
        metric.fn = expr(m->expr());
      metrics.push_back(std::move(metric));
    }
    return std::make_unique<EvaluateExpr>(r, expr(c->expr(0)), expr(c->expr(1)),
                                          std::move(metrics));
  }

  TypeExprPtr typeExpr(NNParser::TypeExprContext *ctx) {
    auto t = std::make_unique<TypeExpr>();
    t->range = range(ctx);
    if (auto *c = dynamic_cast<NNParser::TupleTypeContext *>(ctx)) {
      t->kind = TypeExpr::Kind::Tuple;
      for (auto *e : c->typeExpr())
        t->elems.push_back(typeExpr(e));
      return t;
    }
    auto *c = static_cast<NNParser::TensorOrNamedTypeContext *>(ctx);
    t->name = {c->name->getText(), range(c->name)};
    if (c->LBRACK()) {
      t->kind = TypeExpr::Kind::Tensor;
      for (auto *d : c->dim())
        t->dims.push_back(expr(d->expr()));
    } else {
      t->kind = TypeExpr::Kind::Named;
    }
    return t;
  }

  FileID file;
  const SourceManager &sm;
  DiagnosticEngine &diags;
  const ParseLimits &limits;
  unsigned depth = 0;
  bool reportedDepth = false;
};

/// Everything ANTLR needs for one file, kept alive together.
struct ParseSession {
  std::unique_ptr<antlr4::ANTLRInputStream> chars;
  /// Tokens point back at their lexer (error recovery asks it to make
  /// tokens): it lives as long as they do.
  std::unique_ptr<NNLexer> lexer;
  std::vector<std::unique_ptr<antlr4::Token>> tokens;
};

LexResult prepare(FileID file, const SourceManager &sm, DiagnosticEngine &diags,
                  const ParseLimits &limits, ParseSession &session) {
  if (!checkText(file, sm, diags, limits))
    return LexResult::Fatal;
  std::string_view text = sm.getText(file);
  session.chars =
      std::make_unique<antlr4::ANTLRInputStream>(text.data(), text.size());
  session.lexer = std::make_unique<NNLexer>(session.chars.get());
  return lexAndFilter(file, sm, diags, limits, *session.lexer, session.tokens);
}

} // namespace

std::unique_ptr<Program> nnc::parseProgram(FileID file, const SourceManager &sm,
                                           DiagnosticEngine &diags,
                                           const ParseLimits &limits) {
  unsigned errorsBefore = diags.getNumErrors();
  try {
    ParseSession session;
    // Unbalanced brackets and limits stop here: parsing would only cascade.
    if (prepare(file, sm, diags, limits, session) == LexResult::Fatal)
      return nullptr;
    antlr4::ListTokenSource source(std::move(session.tokens));
    antlr4::CommonTokenStream stream(&source);
    NNParser parser(&stream);
    parser.removeErrorListeners();
    DiagListener listener(file, sm, diags);
    parser.addErrorListener(&listener);
    parser.setErrorHandler(std::make_shared<ErrorStrategy>());
    NNParser::ProgramContext *tree = parser.program();
    if (diags.getNumErrors() > errorsBefore)
      return nullptr;
    Builder builder(file, sm, diags, limits);
    std::unique_ptr<Program> prog = builder.program(tree);
    if (diags.getNumErrors() > errorsBefore)
      return nullptr;
    return prog;
  } catch (const CancelParse &) {
    return nullptr;
  } catch (const std::exception &e) {
    diags.error({file, 0, 0},
                std::string("internal error in the parser: ") + e.what());
    return nullptr;
  } catch (...) {
    diags.error({file, 0, 0}, "internal error in the parser");
    return nullptr;
  }
}

bool nnc::tokenize(FileID file, const SourceManager &sm,
                   DiagnosticEngine &diags, std::vector<TokenInfo> &out,
                   const ParseLimits &limits) {
  unsigned errorsBefore = diags.getNumErrors();
  try {
    ParseSession session;
    prepare(file, sm, diags, limits, session);
    for (const auto &tok : session.tokens) {
      size_t type = tok->getType();
      std::string kind;
      if (type == antlr4::Token::EOF)
        kind = "EOF";
      else
        kind = vocabulary().getSymbolicName(type);
      out.push_back({kind, type == antlr4::Token::EOF ? "" : tok->getText(),
                     tokenRange(file, sm, tok.get())});
    }
  } catch (const std::exception &e) {
    diags.error({file, 0, 0},
                std::string("internal error in the lexer: ") + e.what());
  }
  return diags.getNumErrors() == errorsBefore;
}
