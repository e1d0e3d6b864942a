//===- AST.h - The abstract syntax tree of .nn --------------------*- C++
//-*-===//
//
// nnc's own syntax tree, built from ANTLR's parse tree by the Parse library
// and consumed by Sema and, later, MLIRGen. Nothing here depends on ANTLR or
// MLIR. Every node carries the SourceRange of the text it came from.
//
// Three families, each with LLVM-style RTTI (llvm::isa / dyn_cast):
//   Expr     - values: literals, names, calls, operators, `step`, `evaluate`
//   Stmt     - statements, and the top-level declarations (DeclStmt kinds):
//              import, config, data, fn, model, optimizer
//   TypeExpr - written types: `f32[B, 784]`, `int`, `(f32, i64)`
//
//===----------------------------------------------------------------------===//

#ifndef NNC_AST_AST_H
#define NNC_AST_AST_H

#include "nnc/Basic/SourceManager.h"

#include "llvm/Support/Casting.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc {

class Expr;
class Stmt;
struct TypeExpr;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using TypeExprPtr = std::unique_ptr<TypeExpr>;

/// A name as written, with its range.
struct Ident {
  std::string name;
  SourceRange range;
};

//===----------------------------------------------------------------------===//
// Types as written
//===----------------------------------------------------------------------===//

struct TypeExpr {
  enum class Kind {
    Named,  ///< `int`, `float`, `bool`, `str`, `f32` (rank 0), `MLP`
    Tensor, ///< `f32[B, 784]`, `bool[B]`, `i64[]`
    Tuple,  ///< `(f32, i64)`
  };
  Kind kind = Kind::Named;
  SourceRange range;
  Ident name;                     ///< Named and Tensor: the name or dtype
  std::vector<ExprPtr> dims;      ///< Tensor: one expression per dimension
  std::vector<TypeExprPtr> elems; ///< Tuple
};

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class Expr {
public:
  enum class Kind {
    IntLit,
    FloatLit,
    StringLit,
    BoolLit,
    Name,
    DTypeRef,
    Tuple,
    List,
    Member,
    Call,
    Index,
    Unary,
    Binary,
    Range,
    Cast,
    Step,
    Evaluate,
  };
  virtual ~Expr() = default;
  Kind getKind() const { return kind; }
  SourceRange range;

protected:
  Expr(Kind kind, SourceRange range) : range(range), kind(kind) {}

private:
  Kind kind;
};

#define NNC_EXPR_CLASSOF(K)                                                    \
  static bool classof(const Expr *e) { return e->getKind() == Kind::K; }

class IntLitExpr : public Expr {
public:
  IntLitExpr(SourceRange r, int64_t v) : Expr(Kind::IntLit, r), value(v) {}
  int64_t value;
  NNC_EXPR_CLASSOF(IntLit)
};

class FloatLitExpr : public Expr {
public:
  FloatLitExpr(SourceRange r, double v, std::string spelling)
      : Expr(Kind::FloatLit, r), value(v), spelling(std::move(spelling)) {}
  double value;
  std::string spelling;
  NNC_EXPR_CLASSOF(FloatLit)
};

class StringLitExpr : public Expr {
public:
  StringLitExpr(SourceRange r, std::string v)
      : Expr(Kind::StringLit, r), value(std::move(v)) {}
  std::string value; ///< with escapes resolved
  NNC_EXPR_CLASSOF(StringLit)
};

class BoolLitExpr : public Expr {
public:
  BoolLitExpr(SourceRange r, bool v) : Expr(Kind::BoolLit, r), value(v) {}
  bool value;
  NNC_EXPR_CLASSOF(BoolLit)
};

class NameExpr : public Expr {
public:
  NameExpr(SourceRange r, std::string n)
      : Expr(Kind::Name, r), name(std::move(n)) {}
  std::string name;
  NNC_EXPR_CLASSOF(Name)
};

/// A dtype used as a value: `zeros([3], dtype = i64)`.
class DTypeRefExpr : public Expr {
public:
  DTypeRefExpr(SourceRange r, std::string n)
      : Expr(Kind::DTypeRef, r), name(std::move(n)) {}
  std::string name;
  NNC_EXPR_CLASSOF(DTypeRef)
};

class TupleExpr : public Expr {
public:
  TupleExpr(SourceRange r, std::vector<ExprPtr> e)
      : Expr(Kind::Tuple, r), elems(std::move(e)) {}
  std::vector<ExprPtr> elems;
  NNC_EXPR_CLASSOF(Tuple)
};

/// `[a, b, c]`: a shape, a list of tensors for `cat`, or a tensor literal.
class ListExpr : public Expr {
public:
  ListExpr(SourceRange r, std::vector<ExprPtr> e)
      : Expr(Kind::List, r), elems(std::move(e)) {}
  std::vector<ExprPtr> elems;
  NNC_EXPR_CLASSOF(List)
};

/// `base.member`
class MemberExpr : public Expr {
public:
  MemberExpr(SourceRange r, ExprPtr b, Ident m)
      : Expr(Kind::Member, r), base(std::move(b)), member(std::move(m)) {}
  ExprPtr base;
  Ident member;
  NNC_EXPR_CLASSOF(Member)
};

struct Arg {
  Ident name; ///< empty for a positional argument
  ExprPtr value;
  bool isNamed() const { return !name.name.empty(); }
};

/// `callee(args)`; `x.sum(dim=1)` is a call whose callee is a MemberExpr.
class CallExpr : public Expr {
public:
  CallExpr(SourceRange r, ExprPtr c, std::vector<Arg> a)
      : Expr(Kind::Call, r), callee(std::move(c)), args(std::move(a)) {}
  ExprPtr callee;
  std::vector<Arg> args;
  NNC_EXPR_CLASSOF(Call)
};

struct SliceItem {
  enum class Kind { Index, Range, Ellipsis };
  Kind kind = Kind::Index;
  SourceRange range;
  ExprPtr start; ///< Index: the index; Range: the start, may be null
  ExprPtr stop;  ///< Range: may be null
  ExprPtr step;  ///< Range: may be null
};

/// `base[i, a:b, ...]`
class IndexExpr : public Expr {
public:
  IndexExpr(SourceRange r, ExprPtr b, std::vector<SliceItem> i)
      : Expr(Kind::Index, r), base(std::move(b)), items(std::move(i)) {}
  ExprPtr base;
  std::vector<SliceItem> items;
  NNC_EXPR_CLASSOF(Index)
};

enum class UnaryOp { Neg, Plus, Not };
enum class BinaryOp {
  Add,
  Sub,
  Mul,
  Div,
  Mod,
  Pow,
  MatMul,
  Lt,
  Le,
  Gt,
  Ge,
  Eq,
  Ne,
  And,
  Or,
};

const char *spelling(UnaryOp op);
const char *spelling(BinaryOp op);

class UnaryExpr : public Expr {
public:
  UnaryExpr(SourceRange r, UnaryOp o, SourceRange opR, ExprPtr e)
      : Expr(Kind::Unary, r), op(o), opRange(opR), operand(std::move(e)) {}
  UnaryOp op;
  SourceRange opRange;
  ExprPtr operand;
  NNC_EXPR_CLASSOF(Unary)
};

class BinaryExpr : public Expr {
public:
  BinaryExpr(SourceRange r, BinaryOp o, SourceRange opR, ExprPtr l, ExprPtr rr)
      : Expr(Kind::Binary, r), op(o), opRange(opR), lhs(std::move(l)),
        rhs(std::move(rr)) {}
  BinaryOp op;
  SourceRange opRange;
  ExprPtr lhs, rhs;
  NNC_EXPR_CLASSOF(Binary)
};

/// `a..b` (inclusive) or `a..<b` (exclusive).
class RangeExpr : public Expr {
public:
  RangeExpr(SourceRange r, ExprPtr l, ExprPtr h, bool incl)
      : Expr(Kind::Range, r), lo(std::move(l)), hi(std::move(h)),
        inclusive(incl) {}
  ExprPtr lo, hi;
  bool inclusive;
  NNC_EXPR_CLASSOF(Range)
};

/// `x as f32`
class CastExpr : public Expr {
public:
  CastExpr(SourceRange r, ExprPtr e, TypeExprPtr t)
      : Expr(Kind::Cast, r), operand(std::move(e)), type(std::move(t)) {}
  ExprPtr operand;
  TypeExprPtr type;
  NNC_EXPR_CLASSOF(Cast)
};

/// `step opt minimize loss`: forward, backward and optimizer update in one
/// compiled step; its value is the loss before the update.
class StepExpr : public Expr {
public:
  StepExpr(SourceRange r, ExprPtr o, ExprPtr l)
      : Expr(Kind::Step, r), optimizer(std::move(o)), loss(std::move(l)) {}
  ExprPtr optimizer;
  ExprPtr loss;
  NNC_EXPR_CLASSOF(Step)
};

struct Metric {
  Ident name;
  ExprPtr fn; ///< null: the metric function has the metric's name
};

/// `evaluate net on valid { loss: cross_entropy, accuracy }`: runs the model
/// in eval mode (no gradients) over a dataset; a record of mean metrics.
class EvaluateExpr : public Expr {
public:
  EvaluateExpr(SourceRange r, ExprPtr m, ExprPtr d, std::vector<Metric> ms)
      : Expr(Kind::Evaluate, r), model(std::move(m)), data(std::move(d)),
        metrics(std::move(ms)) {}
  ExprPtr model;
  ExprPtr data;
  std::vector<Metric> metrics;
  NNC_EXPR_CLASSOF(Evaluate)
};

#undef NNC_EXPR_CLASSOF

//===----------------------------------------------------------------------===//
// Statements and declarations
//===----------------------------------------------------------------------===//

class Stmt {
public:
  enum class Kind {
    // statements
    Let,
    Assign,
    ExprS,
    For,
    If,
    While,
    Break,
    Continue,
    Return,
    Save,
    Load,
    Write,
    // declarations (top level only)
    Import,
    Config,
    Data,
    Fn,
    Model,
    Optimizer,
  };
  virtual ~Stmt() = default;
  Kind getKind() const { return kind; }
  bool isDecl() const { return kind >= Kind::Import; }
  SourceRange range;

protected:
  Stmt(Kind kind, SourceRange range) : range(range), kind(kind) {}

private:
  Kind kind;
};

#define NNC_STMT_CLASSOF(K)                                                    \
  static bool classof(const Stmt *s) { return s->getKind() == Kind::K; }

using Block = std::vector<StmtPtr>;

/// `x` or `(a, b)` on the left of `let`, `data` and `for`.
struct BindTarget {
  std::vector<Ident> names;
  bool isTuple = false;
  SourceRange range;
};

class LetStmt : public Stmt {
public:
  LetStmt(SourceRange r) : Stmt(Kind::Let, r) {}
  BindTarget target;
  TypeExprPtr type; ///< may be null
  ExprPtr init;     ///< may be null: assigned later
  NNC_STMT_CLASSOF(Let)
};

enum class AssignOp { Set, Add, Sub, Mul, Div };

class AssignStmt : public Stmt {
public:
  AssignStmt(SourceRange r) : Stmt(Kind::Assign, r) {}
  AssignOp op = AssignOp::Set;
  SourceRange opRange;
  ExprPtr target;
  ExprPtr value;
  NNC_STMT_CLASSOF(Assign)
};

class ExprStmt : public Stmt {
public:
  ExprStmt(SourceRange r, ExprPtr e)
      : Stmt(Kind::ExprS, r), expr(std::move(e)) {}
  ExprPtr expr;
  NNC_STMT_CLASSOF(ExprS)
};

class ForStmt : public Stmt {
public:
  ForStmt(SourceRange r) : Stmt(Kind::For, r) {}
  BindTarget target;
  ExprPtr iterable;
  Block body;
  NNC_STMT_CLASSOF(For)
};

class IfStmt : public Stmt {
public:
  IfStmt(SourceRange r) : Stmt(Kind::If, r) {}
  ExprPtr cond;
  Block thenBody;
  Block elseBody; ///< an `else if` is one IfStmt here
  bool hasElse = false;
  NNC_STMT_CLASSOF(If)
};

class WhileStmt : public Stmt {
public:
  WhileStmt(SourceRange r) : Stmt(Kind::While, r) {}
  ExprPtr cond;
  Block body;
  NNC_STMT_CLASSOF(While)
};

class BreakStmt : public Stmt {
public:
  BreakStmt(SourceRange r) : Stmt(Kind::Break, r) {}
  NNC_STMT_CLASSOF(Break)
};

class ContinueStmt : public Stmt {
public:
  ContinueStmt(SourceRange r) : Stmt(Kind::Continue, r) {}
  NNC_STMT_CLASSOF(Continue)
};

class ReturnStmt : public Stmt {
public:
  ReturnStmt(SourceRange r, ExprPtr v)
      : Stmt(Kind::Return, r), value(std::move(v)) {}
  ExprPtr value; ///< may be null
  NNC_STMT_CLASSOF(Return)
};

/// `save net to "best.safetensors" if cond`
class SaveStmt : public Stmt {
public:
  SaveStmt(SourceRange r) : Stmt(Kind::Save, r) {}
  ExprPtr value, path, cond; ///< cond may be null
  NNC_STMT_CLASSOF(Save)
};

/// `load net from "best.safetensors"`
class LoadStmt : public Stmt {
public:
  LoadStmt(SourceRange r) : Stmt(Kind::Load, r) {}
  ExprPtr target, path;
  NNC_STMT_CLASSOF(Load)
};

/// `write argmax(predictions(net, test), dim=1) to "pred.csv"`
class WriteStmt : public Stmt {
public:
  WriteStmt(SourceRange r) : Stmt(Kind::Write, r) {}
  ExprPtr value, path;
  NNC_STMT_CLASSOF(Write)
};

/// `import std` or `import "layers.nn"`
class ImportDecl : public Stmt {
public:
  ImportDecl(SourceRange r) : Stmt(Kind::Import, r) {}
  std::string module; ///< `std`, `std.optim`, or a path for a string import
  bool isPath = false;
  SourceRange nameRange;
  NNC_STMT_CLASSOF(Import)
};

struct ConfigEntry {
  Ident name;
  TypeExprPtr type; ///< may be null
  ExprPtr value;
};

class ConfigDecl : public Stmt {
public:
  ConfigDecl(SourceRange r) : Stmt(Kind::Config, r) {}
  std::vector<ConfigEntry> entries;
  NNC_STMT_CLASSOF(Config)
};

class DataDecl : public Stmt {
public:
  DataDecl(SourceRange r) : Stmt(Kind::Data, r) {}
  BindTarget target;
  ExprPtr value;
  NNC_STMT_CLASSOF(Data)
};

struct Param {
  Ident name;
  TypeExprPtr type;     ///< may be null: the parameter takes any type
  ExprPtr defaultValue; ///< may be null
  SourceRange range;
};

struct FnSignature {
  Ident name;
  std::vector<Param> params;
  TypeExprPtr result; ///< may be null: inferred
  Block body;
  SourceRange range;
};

class FnDecl : public Stmt {
public:
  FnDecl(SourceRange r) : Stmt(Kind::Fn, r) {}
  FnSignature sig;
  NNC_STMT_CLASSOF(Fn)
};

/// One line of a model's body.
struct ModelMember {
  enum class Kind {
    Field,  ///< `fc1 = Linear(784, hidden)` or `weight = param(...)`
    Let,    ///< `let bound = 1.0 / sqrt(in_features)`: a constant
    Method, ///< `forward(x: f32[B, 784]) -> f32[B, 10] { ... }`
  };
  Kind kind = Kind::Field;
  Ident name;
  TypeExprPtr type; ///< Let only, may be null
  ExprPtr value;    ///< Field and Let
  std::unique_ptr<FnSignature> method;
  SourceRange range;
};

class ModelDecl : public Stmt {
public:
  ModelDecl(SourceRange r) : Stmt(Kind::Model, r) {}
  Ident name;
  std::vector<Param> params; ///< constructor parameters
  std::vector<ModelMember> members;
  NNC_STMT_CLASSOF(Model)
};

struct OptimizerMember {
  enum class Kind {
    State,  ///< `state m = zeros_like(p)`: per-parameter state
    Let,    ///< a constant
    Method, ///< `update(p, g, t) { ... }`
  };
  Kind kind = Kind::State;
  Ident name;
  TypeExprPtr type;
  ExprPtr value;
  std::unique_ptr<FnSignature> method;
  SourceRange range;
};

class OptimizerDecl : public Stmt {
public:
  OptimizerDecl(SourceRange r) : Stmt(Kind::Optimizer, r) {}
  Ident name;
  std::vector<Param> params; ///< hyper-parameters (the model comes first)
  std::vector<OptimizerMember> members;
  NNC_STMT_CLASSOF(Optimizer)
};

#undef NNC_STMT_CLASSOF

/// One parsed file: its top-level items in source order.
struct Program {
  FileID file = 0;
  std::vector<StmtPtr> items;
};

} // namespace nnc

#endif // NNC_AST_AST_H
