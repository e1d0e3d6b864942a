//===- ASTPrinter.cpp - Text forms of the AST
//------------------------------===//
//
// The dump is indented two spaces a level; every node ends with <line:col>
// of its first character so FileCheck tests can pin locations.
//
//===----------------------------------------------------------------------===//

#include "nnc/AST/ASTPrinter.h"

#include <sstream>

using namespace nnc;

const char *nnc::spelling(UnaryOp op) {
  switch (op) {
  case UnaryOp::Neg:
    return "-";
  case UnaryOp::Plus:
    return "+";
  case UnaryOp::Not:
    return "not";
  }
  return "?";
}

const char *nnc::spelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add:
    return "+";
  case BinaryOp::Sub:
    return "-";
  case BinaryOp::Mul:
    return "*";
  case BinaryOp::Div:
    return "/";
  case BinaryOp::Mod:
    return "%";
  case BinaryOp::Pow:
    return "**";
  case BinaryOp::MatMul:
    return "@";
  case BinaryOp::Lt:
    return "<";
  case BinaryOp::Le:
    return "<=";
  case BinaryOp::Gt:
    return ">";
  case BinaryOp::Ge:
    return ">=";
  case BinaryOp::Eq:
    return "==";
  case BinaryOp::Ne:
    return "!=";
  case BinaryOp::And:
    return "and";
  case BinaryOp::Or:
    return "or";
  }
  return "?";
}

static const char *assignSpelling(AssignOp op) {
  switch (op) {
  case AssignOp::Set:
    return "=";
  case AssignOp::Add:
    return "+=";
  case AssignOp::Sub:
    return "-=";
  case AssignOp::Mul:
    return "*=";
  case AssignOp::Div:
    return "/=";
  }
  return "=";
}

//===----------------------------------------------------------------------===//
// toSource
//===----------------------------------------------------------------------===//

namespace {
void printSource(const Expr &e, std::string &out);

void printList(const std::vector<ExprPtr> &elems, std::string &out) {
  for (size_t i = 0; i < elems.size(); ++i) {
    if (i)
      out += ", ";
    printSource(*elems[i], out);
  }
}

void printSource(const Expr &e, std::string &out) {
  if (out.size() > 4096)
    return;
  using llvm::cast;
  switch (e.getKind()) {
  case Expr::Kind::IntLit:
    out += std::to_string(cast<IntLitExpr>(e).value);
    return;
  case Expr::Kind::FloatLit:
    out += cast<FloatLitExpr>(e).spelling;
    return;
  case Expr::Kind::StringLit:
    out += "\"" + cast<StringLitExpr>(e).value + "\"";
    return;
  case Expr::Kind::BoolLit:
    out += cast<BoolLitExpr>(e).value ? "true" : "false";
    return;
  case Expr::Kind::Name:
    out += cast<NameExpr>(e).name;
    return;
  case Expr::Kind::DTypeRef:
    out += cast<DTypeRefExpr>(e).name;
    return;
  case Expr::Kind::Tuple:
    out += "(";
    printList(cast<TupleExpr>(e).elems, out);
    out += ")";
    return;
  case Expr::Kind::List:
    out += "[";
    printList(cast<ListExpr>(e).elems, out);
    out += "]";
    return;
  case Expr::Kind::Member: {
    const auto &m = cast<MemberExpr>(e);
    printSource(*m.base, out);
    out += "." + m.member.name;
    return;
  }
  case Expr::Kind::Call: {
    const auto &c = cast<CallExpr>(e);
    printSource(*c.callee, out);
    out += "(";
    for (size_t i = 0; i < c.args.size(); ++i) {
      if (i)
        out += ", ";
      if (c.args[i].isNamed())
        out += c.args[i].name.name + " = ";
      printSource(*c.args[i].value, out);
    }
    out += ")";
    return;
  }
  case Expr::Kind::Index: {
    const auto &ix = cast<IndexExpr>(e);
    printSource(*ix.base, out);
    out += "[";
    for (size_t i = 0; i < ix.items.size(); ++i) {
      if (i)
        out += ", ";
      const SliceItem &it = ix.items[i];
      if (it.kind == SliceItem::Kind::Ellipsis) {
        out += "...";
      } else if (it.kind == SliceItem::Kind::Index) {
        printSource(*it.start, out);
      } else {
        if (it.start)
          printSource(*it.start, out);
        out += ":";
        if (it.stop)
          printSource(*it.stop, out);
        if (it.step) {
          out += ":";
          printSource(*it.step, out);
        }
      }
    }
    out += "]";
    return;
  }
  case Expr::Kind::Unary: {
    const auto &u = cast<UnaryExpr>(e);
    out += spelling(u.op);
    if (u.op == UnaryOp::Not)
      out += " ";
    printSource(*u.operand, out);
    return;
  }
  case Expr::Kind::Binary: {
    const auto &b = cast<BinaryExpr>(e);
    bool lparen = llvm::isa<BinaryExpr>(*b.lhs);
    bool rparen = llvm::isa<BinaryExpr>(*b.rhs);
    if (lparen)
      out += "(";
    printSource(*b.lhs, out);
    if (lparen)
      out += ")";
    out += std::string(" ") + spelling(b.op) + " ";
    if (rparen)
      out += "(";
    printSource(*b.rhs, out);
    if (rparen)
      out += ")";
    return;
  }
  case Expr::Kind::Range: {
    const auto &r = cast<RangeExpr>(e);
    printSource(*r.lo, out);
    out += r.inclusive ? ".." : "..<";
    printSource(*r.hi, out);
    return;
  }
  case Expr::Kind::Cast: {
    const auto &c = cast<CastExpr>(e);
    printSource(*c.operand, out);
    out += " as " + toSource(*c.type);
    return;
  }
  case Expr::Kind::Step: {
    const auto &s = cast<StepExpr>(e);
    out += "step ";
    printSource(*s.optimizer, out);
    out += " minimize ";
    printSource(*s.loss, out);
    return;
  }
  case Expr::Kind::Evaluate: {
    const auto &ev = cast<EvaluateExpr>(e);
    out += "evaluate ";
    printSource(*ev.model, out);
    out += " on ";
    printSource(*ev.data, out);
    out += " { ... }";
    return;
  }
  }
}
} // namespace

std::string nnc::toSource(const Expr &e, size_t maxLen) {
  std::string out;
  printSource(e, out);
  if (out.size() > maxLen) {
    // Shorten calls to `name(...)`, anything else to a prefix.
    if (const auto *c = llvm::dyn_cast<CallExpr>(&e)) {
      std::string callee;
      printSource(*c->callee, callee);
      if (callee.size() + 5 <= maxLen)
        return callee + "(...)";
    }
    out = out.substr(0, maxLen > 3 ? maxLen - 3 : 0) + "...";
  }
  return out;
}

std::string nnc::toSource(const TypeExpr &t) {
  switch (t.kind) {
  case TypeExpr::Kind::Named:
    return t.name.name;
  case TypeExpr::Kind::Tensor: {
    std::string out = t.name.name + "[";
    for (size_t i = 0; i < t.dims.size(); ++i) {
      if (i)
        out += ", ";
      out += toSource(*t.dims[i]);
    }
    return out + "]";
  }
  case TypeExpr::Kind::Tuple: {
    std::string out = "(";
    for (size_t i = 0; i < t.elems.size(); ++i) {
      if (i)
        out += ", ";
      out += toSource(*t.elems[i]);
    }
    return out + ")";
  }
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// dumpAST
//===----------------------------------------------------------------------===//

namespace {
class Dumper {
public:
  Dumper(const SourceManager &sm, std::ostream &os) : sm(sm), os(os) {}

  void program(const Program &p) {
    os << "Program '" << sm.getName(p.file) << "'\n";
    ++indent;
    for (const StmtPtr &s : p.items)
      stmt(*s);
    --indent;
  }

private:
  std::string loc(SourceRange r) {
    if (!r.isValid())
      return "<invalid>";
    LineCol lc = sm.getLineCol(r.file, r.begin);
    return "<" + std::to_string(lc.line) + ":" + std::to_string(lc.col) + ">";
  }
  std::ostream &line() {
    for (unsigned i = 0; i < indent; ++i)
      os << "  ";
    return os;
  }
  void child(const Expr &e) {
    ++indent;
    expr(e);
    --indent;
  }
  void block(const char *label, const Block &b) {
    ++indent;
    line() << label << "\n";
    ++indent;
    for (const StmtPtr &s : b)
      stmt(*s);
    indent -= 2;
  }
  std::string targetText(const BindTarget &t) {
    std::string out = t.isTuple ? "(" : "";
    for (size_t i = 0; i < t.names.size(); ++i)
      out += (i ? ", " : "") + t.names[i].name;
    return out + (t.isTuple ? ")" : "");
  }
  void params(const std::vector<Param> &ps) {
    for (const Param &p : ps) {
      line() << "Param " << p.name.name;
      if (p.type)
        os << ": " << toSource(*p.type);
      os << " " << loc(p.range) << "\n";
      if (p.defaultValue)
        child(*p.defaultValue);
    }
  }
  void signature(const char *kind, const FnSignature &sig) {
    line() << kind << " " << sig.name.name;
    if (sig.result)
      os << " -> " << toSource(*sig.result);
    os << " " << loc(sig.range) << "\n";
    ++indent;
    params(sig.params);
    --indent;
    block("Body", sig.body);
  }

  void stmt(const Stmt &s) {
    using llvm::cast;
    switch (s.getKind()) {
    case Stmt::Kind::Let: {
      const auto &l = cast<LetStmt>(s);
      line() << "Let " << targetText(l.target);
      if (l.type)
        os << ": " << toSource(*l.type);
      os << " " << loc(s.range) << "\n";
      if (l.init)
        child(*l.init);
      return;
    }
    case Stmt::Kind::Assign: {
      const auto &a = cast<AssignStmt>(s);
      line() << "Assign '" << assignSpelling(a.op) << "' " << loc(s.range)
             << "\n";
      child(*a.target);
      child(*a.value);
      return;
    }
    case Stmt::Kind::ExprS:
      line() << "ExprStmt " << loc(s.range) << "\n";
      child(*cast<ExprStmt>(s).expr);
      return;
    case Stmt::Kind::For: {
      const auto &f = cast<ForStmt>(s);
      line() << "For " << targetText(f.target) << " " << loc(s.range) << "\n";
      child(*f.iterable);
      block("Body", f.body);
      return;
    }
    case Stmt::Kind::If: {
      const auto &i = cast<IfStmt>(s);
      line() << "If " << loc(s.range) << "\n";
      child(*i.cond);
      block("Then", i.thenBody);
      if (i.hasElse)
        block("Else", i.elseBody);
      return;
    }
    case Stmt::Kind::While: {
      const auto &w = cast<WhileStmt>(s);
      line() << "While " << loc(s.range) << "\n";
      child(*w.cond);
      block("Body", w.body);
      return;
    }
    case Stmt::Kind::Break:
      line() << "Break " << loc(s.range) << "\n";
      return;
    case Stmt::Kind::Continue:
      line() << "Continue " << loc(s.range) << "\n";
      return;
    case Stmt::Kind::Return:
      line() << "Return " << loc(s.range) << "\n";
      if (cast<ReturnStmt>(s).value)
        child(*cast<ReturnStmt>(s).value);
      return;
    case Stmt::Kind::Save: {
      const auto &sv = cast<SaveStmt>(s);
      line() << "Save " << loc(s.range) << "\n";
      child(*sv.value);
      child(*sv.path);
      if (sv.cond)
        child(*sv.cond);
      return;
    }
    case Stmt::Kind::Load: {
      const auto &ld = cast<LoadStmt>(s);
      line() << "Load " << loc(s.range) << "\n";
      child(*ld.target);
      child(*ld.path);
      return;
    }
    case Stmt::Kind::Write: {
      const auto &w = cast<WriteStmt>(s);
      line() << "Write " << loc(s.range) << "\n";
      child(*w.value);
      child(*w.path);
      return;
    }
    case Stmt::Kind::Import: {
      const auto &i = cast<ImportDecl>(s);
      line() << "Import " << (i.isPath ? "\"" + i.module + "\"" : i.module)
             << " " << loc(s.range) << "\n";
      return;
    }
    case Stmt::Kind::Config: {
      const auto &c = cast<ConfigDecl>(s);
      line() << "Config " << loc(s.range) << "\n";
      ++indent;
      for (const ConfigEntry &e : c.entries) {
        line() << "Entry " << e.name.name;
        if (e.type)
          os << ": " << toSource(*e.type);
        os << " " << loc(e.name.range) << "\n";
        child(*e.value);
      }
      --indent;
      return;
    }
    case Stmt::Kind::Data: {
      const auto &d = cast<DataDecl>(s);
      line() << "Data " << targetText(d.target) << " " << loc(s.range) << "\n";
      child(*d.value);
      return;
    }
    case Stmt::Kind::Fn:
      signature("Fn", cast<FnDecl>(s).sig);
      return;
    case Stmt::Kind::Model: {
      const auto &m = cast<ModelDecl>(s);
      line() << "Model " << m.name.name << " " << loc(s.range) << "\n";
      ++indent;
      params(m.params);
      for (const ModelMember &mm : m.members) {
        if (mm.kind == ModelMember::Kind::Method) {
          signature("Method", *mm.method);
          continue;
        }
        line() << (mm.kind == ModelMember::Kind::Field ? "Field " : "Let ")
               << mm.name.name << " " << loc(mm.range) << "\n";
        child(*mm.value);
      }
      --indent;
      return;
    }
    case Stmt::Kind::Optimizer: {
      const auto &o = cast<OptimizerDecl>(s);
      line() << "Optimizer " << o.name.name << " " << loc(s.range) << "\n";
      ++indent;
      params(o.params);
      for (const OptimizerMember &om : o.members) {
        if (om.kind == OptimizerMember::Kind::Method) {
          signature("Method", *om.method);
          continue;
        }
        line() << (om.kind == OptimizerMember::Kind::State ? "State " : "Let ")
               << om.name.name << " " << loc(om.range) << "\n";
        child(*om.value);
      }
      --indent;
      return;
    }
    }
  }

  void expr(const Expr &e) {
    using llvm::cast;
    switch (e.getKind()) {
    case Expr::Kind::IntLit:
      line() << "Int " << cast<IntLitExpr>(e).value;
      break;
    case Expr::Kind::FloatLit:
      line() << "Float " << cast<FloatLitExpr>(e).spelling;
      break;
    case Expr::Kind::StringLit:
      line() << "String \"" << cast<StringLitExpr>(e).value << "\"";
      break;
    case Expr::Kind::BoolLit:
      line() << "Bool " << (cast<BoolLitExpr>(e).value ? "true" : "false");
      break;
    case Expr::Kind::Name:
      line() << "Name " << cast<NameExpr>(e).name;
      break;
    case Expr::Kind::DTypeRef:
      line() << "DType " << cast<DTypeRefExpr>(e).name;
      break;
    case Expr::Kind::Tuple:
      line() << "Tuple " << loc(e.range) << "\n";
      for (const ExprPtr &x : cast<TupleExpr>(e).elems)
        child(*x);
      return;
    case Expr::Kind::List:
      line() << "List " << loc(e.range) << "\n";
      for (const ExprPtr &x : cast<ListExpr>(e).elems)
        child(*x);
      return;
    case Expr::Kind::Member:
      line() << "Member ." << cast<MemberExpr>(e).member.name << " "
             << loc(e.range) << "\n";
      child(*cast<MemberExpr>(e).base);
      return;
    case Expr::Kind::Call: {
      const auto &c = cast<CallExpr>(e);
      line() << "Call " << loc(e.range) << "\n";
      child(*c.callee);
      ++indent;
      for (const Arg &a : c.args) {
        if (a.isNamed()) {
          line() << "Named " << a.name.name << "\n";
          child(*a.value);
        } else {
          expr(*a.value);
        }
      }
      --indent;
      return;
    }
    case Expr::Kind::Index: {
      const auto &ix = cast<IndexExpr>(e);
      line() << "Index " << loc(e.range) << "\n";
      child(*ix.base);
      ++indent;
      for (const SliceItem &it : ix.items) {
        if (it.kind == SliceItem::Kind::Ellipsis) {
          line() << "Ellipsis\n";
        } else if (it.kind == SliceItem::Kind::Index) {
          expr(*it.start);
        } else {
          line() << "Slice" << (it.start ? " start" : "")
                 << (it.stop ? " stop" : "") << (it.step ? " step" : "")
                 << "\n";
          for (const ExprPtr *p : {&it.start, &it.stop, &it.step})
            if (*p)
              child(**p);
        }
      }
      --indent;
      return;
    }
    case Expr::Kind::Unary:
      line() << "Unary '" << spelling(cast<UnaryExpr>(e).op) << "' "
             << loc(e.range) << "\n";
      child(*cast<UnaryExpr>(e).operand);
      return;
    case Expr::Kind::Binary: {
      const auto &b = cast<BinaryExpr>(e);
      line() << "Binary '" << spelling(b.op) << "' " << loc(e.range) << "\n";
      child(*b.lhs);
      child(*b.rhs);
      return;
    }
    case Expr::Kind::Range: {
      const auto &r = cast<RangeExpr>(e);
      line() << "Range " << (r.inclusive ? "'..'" : "'..<'") << " "
             << loc(e.range) << "\n";
      child(*r.lo);
      child(*r.hi);
      return;
    }
    case Expr::Kind::Cast:
      line() << "Cast " << toSource(*cast<CastExpr>(e).type) << " "
             << loc(e.range) << "\n";
      child(*cast<CastExpr>(e).operand);
      return;
    case Expr::Kind::Step: {
      const auto &s = cast<StepExpr>(e);
      line() << "Step " << loc(e.range) << "\n";
      child(*s.optimizer);
      child(*s.loss);
      return;
    }
    case Expr::Kind::Evaluate: {
      const auto &ev = cast<EvaluateExpr>(e);
      line() << "Evaluate " << loc(e.range) << "\n";
      child(*ev.model);
      child(*ev.data);
      ++indent;
      for (const Metric &m : ev.metrics) {
        line() << "Metric " << m.name.name << " " << loc(m.name.range) << "\n";
        if (m.fn)
          child(*m.fn);
      }
      --indent;
      return;
    }
    }
    os << " " << loc(e.range) << "\n";
  }

  const SourceManager &sm;
  std::ostream &os;
  unsigned indent = 0;
};
} // namespace

void nnc::dumpAST(const Program &program, const SourceManager &sm,
                  std::ostream &os) {
  Dumper(sm, os).program(program);
}
