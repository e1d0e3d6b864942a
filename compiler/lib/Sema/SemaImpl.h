//===- SemaImpl.h - Internals shared by the checker's files -------*- C++
//-*-===//
//
// Symbols, scopes, model and optimizer instances, and the SemaImpl class
// whose member functions are spread over Sema.cpp (statements, expressions,
// calls), Shapes.cpp (broadcasting, matmul, unification) and Builtins.cpp
// (the built-in functions).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_LIB_SEMA_SEMAIMPL_H
#define NNC_LIB_SEMA_SEMAIMPL_H

#include "nnc/AST/AST.h"
#include "nnc/AST/ASTPrinter.h"
#include "nnc/Basic/Diagnostics.h"
#include "nnc/Sema/Sema.h"
#include "nnc/Sema/Types.h"

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

namespace nnc {

/// A checked expression: its type, its compile-time value if known, and
/// where a reader should look to see where it came from.
struct Value {
  Type type;
  ConstVal cv;
  SourceRange range;    ///< the expression
  SourceRange defRange; ///< for names: where the value was defined
  std::string describe; ///< how to name it in messages: 'x', 'flatten(x)'
  /// Lists: each element's compile-time value (for shapes like [3, hidden]).
  std::vector<ConstVal> items;
  /// Lists: each element's size when it is a symbolic size (`B`).
  std::vector<Dim> itemDims;
  /// Lists of tensors (for cat/stack) and nested tensor literals.
  std::vector<Type> itemTypes;
  /// An integer that equals a (possibly symbolic) size: `size(x, 0)`, `B`.
  Dim sizeDim;

  static Value error(SourceRange r) {
    Value v;
    v.range = r;
    return v;
  }
  bool isError() const { return type.isError(); }
};

struct Symbol {
  enum class Kind {
    Var,   ///< let, for, parameters, data
    Const, ///< config entries, constructor arguments, model `let`s
    Fn,    ///< fn declarations
    ModelClass,
    OptimizerClass,
    Builtin,
    Field,     ///< a model's parameter or sub-layer
    Namespace, ///< `prim`
  };
  Kind kind = Kind::Var;
  std::string name;
  Type type;
  ConstVal cv;
  SourceRange declRange;
  SourceRange valueRange; ///< the expression that gave the value
  Dim sizeDim;            ///< a shape variable used as an integer: its size
  bool isMutable = false;
  bool isLoopVar = false;
  bool assigned = true;
  bool isConfig = false;
  const FnDecl *fn = nullptr;
  const ModelDecl *model = nullptr;
  const OptimizerDecl *optimizer = nullptr;
  const struct Builtin *builtin = nullptr;
};

struct Scope {
  Scope *parent = nullptr;
  std::map<std::string, Symbol *> names;
  Symbol *lookupLocal(const std::string &n) const {
    auto it = names.find(n);
    return it == names.end() ? nullptr : it->second;
  }
  Symbol *lookup(const std::string &n) const {
    for (const Scope *s = this; s; s = s->parent)
      if (Symbol *sym = s->lookupLocal(n))
        return sym;
    return nullptr;
  }
};

/// Something callable: a user function, a model method, a model or
/// optimizer class, or a builtin.
struct Callable {
  enum class Kind { Fn, Method, ModelClass, OptimizerClass, Builtin };
  Kind kind = Kind::Fn;
  std::string name;
  const FnSignature *sig = nullptr;
  const ModelDecl *modelDecl = nullptr;
  const OptimizerDecl *optimizerDecl = nullptr;
  const struct Builtin *builtin = nullptr;
  ModelInstance *self = nullptr; ///< Method: the instance
  SourceRange declRange;
};

struct ModelInstance {
  const ModelDecl *decl = nullptr;
  std::string path;  ///< `net`, `net.fc1`
  std::string label; ///< `Linear(784, 256)`
  SourceRange createdAt;
  Device device = Device::Default;
  std::unique_ptr<Scope> scope; ///< constructor arguments, lets, fields
  std::deque<Symbol> symbols;
  std::vector<std::pair<std::string, Type>> fields; ///< in declaration order
  std::map<std::string, std::unique_ptr<Callable>> methods;
  /// Parameter tensors, with full dotted names relative to the instance.
  std::vector<std::pair<std::string, Type>> parameters() const;
};

struct OptimizerInstance {
  const OptimizerDecl *decl = nullptr;
  const ModelInstance *model = nullptr;
  SourceRange createdAt;
  std::unique_ptr<Scope> scope;
  std::deque<Symbol> symbols;
};

/// One positional or named argument after evaluation.
struct ArgValue {
  std::string name; ///< empty: positional
  SourceRange nameRange;
  Value value;
};

/// Built-in functions: each has a parameter list (for arity and named
/// argument checks) and a rule that computes the result type.
struct Builtin {
  struct Param {
    std::string name;
    bool required = true;
  };
  std::string name;
  std::vector<Param> params;
  bool variadic = false; ///< print(...)
  bool method = false;   ///< also callable as x.name(...)
  std::string summary;
  /// args: bound to params in order (null where omitted).
  std::function<Value(SemaImpl &, const std::vector<const Value *> &args,
                      const std::vector<ArgValue> &all, SourceRange callRange,
                      SourceRange calleeRange)>
      rule;
};

const std::vector<Builtin> &builtinTable();

/// What the checker is inside of.
struct BodyContext {
  const Callable *callable = nullptr; ///< null at the top level
  ModelInstance *self = nullptr;
  OptimizerInstance *optimizer = nullptr;
  const TypeExpr *declaredResult = nullptr;
  std::optional<Type> resultType;
  std::vector<Value> returns;
  unsigned loopDepth = 0;
  bool topLevel = false;
  /// Shape variables bound by the signature: `B`, `C`.
  std::map<std::string, std::pair<Dim, SourceRange>> shapeVars;
  std::string label; ///< for --emit=typed: `MLP.forward(f32[B, 28, 28])`
  /// Names assigned somewhere in this body: their `let` value is not a
  /// compile-time constant.
  std::set<std::string> reassigned;
};

/// Collects the names assigned (`x = ...`, `x += ...`) anywhere in a block.
void collectAssigned(const Block &block, std::set<std::string> &out);

class SemaImpl : public TypePrinter {
public:
  SemaImpl(const SourceManager &sm, DiagnosticEngine &diags);

  bool check(const std::vector<const Program *> &imports, const Program &main,
             const SemaOptions &options);
  void dumpTypes(std::ostream &os) const;

  // TypePrinter
  std::string symbolName(int64_t id) const override;
  std::string modelName(const ModelInstance *m) const override;
  std::string optimizerName(const OptimizerInstance *o) const override;
  std::string callableName(const Callable *c) const override;
  std::string deviceName(Device d) const override;

  //===--- used by the builtins (Builtins.cpp) and shapes (Shapes.cpp) ---===//
  const SourceManager &sm;
  DiagnosticEngine &diags;

  DiagnosticEngine::Builder error(SourceRange r, std::string msg) {
    auto d = diags.error(r, std::move(msg));
    // An error inside a model being created points back at its creation.
    if (!creating.empty() && r.isValid() &&
        r.file != creating.back().second.file)
      d.note(creating.back().second,
             "while creating '" + creating.back().first + "' here");
    return d;
  }
  /// An error about the compile-time value of \p v (a fraction out of
  /// range, say), with a note for each config entry the expression reads:
  /// its value and where it was set (the config block or `--set`), so a
  /// derived value (`1.0 - valid_fraction`) leads back to the entry.
  DiagnosticEngine::Builder valueError(const Value &v, std::string msg);
  /// Models being instantiated (name, call) - for notes and cycles.
  std::vector<std::pair<std::string, SourceRange>> creating;
  std::vector<const ModelDecl *> creatingDecls;
  int64_t newSymbol(const std::string &name);
  /// A fresh batch dimension: `B`, then `B2`, `B3`, ... so that two loops'
  /// batches read differently in messages.
  int64_t newBatchSymbol() {
    ++batchSymbols;
    return newSymbol(batchSymbols == 1 ? "B"
                                       : "B" + std::to_string(batchSymbols));
  }
  unsigned batchSymbols = 0;
  std::string typeStr(const Type &t) const { return type(t); }
  std::string shapeStr(const std::vector<Dim> &s) const { return shape(s); }
  std::string quoted(const Value &v) const {
    return v.describe.empty() ? std::string("the value")
                              : "'" + v.describe + "'";
  }

  /// Elementwise binary arithmetic with broadcasting and dtype rules.
  Value binaryArith(BinaryOp op, const Value &l, const Value &r,
                    SourceRange range, SourceRange opRange);
  Value matmul(const Value &l, const Value &r, SourceRange range,
               SourceRange opRange);
  /// Broadcast two shapes; reports and returns false if incompatible.
  bool broadcastShapes(const Value &l, const Value &r, std::vector<Dim> &out,
                       SourceRange range);
  /// Device agreement of two tensors.
  bool checkSameDevice(const Value &l, const Value &r, SourceRange range);
  /// Requires a tensor; reports "'x' must be a tensor" otherwise.
  bool expectTensor(const Value &v, const std::string &what);
  bool expectFloatTensor(const Value &v, const std::string &what);
  /// Requires a compile-time integer.
  std::optional<int64_t> expectConstInt(const Value &v,
                                        const std::string &what);
  std::optional<double> expectConstNumber(const Value &v,
                                          const std::string &what);
  /// A shape argument: `[3, hidden]` (compile-time ints) or a shape value.
  std::optional<std::vector<Dim>> expectShape(const Value &v,
                                              const std::string &what);
  /// Normalizes a possibly negative dimension index for a tensor of `rank`.
  std::optional<int64_t> normalizeDim(const Value &dimArg, size_t rank,
                                      const std::string &what);
  Device resolveDevice(const Value &v);
  /// Calls a callable value with already evaluated arguments.
  Value callValue(const Value &callee, std::vector<ArgValue> args,
                  SourceRange callRange);
  Value makeTensor(DType dt, std::vector<Dim> shape, SourceRange range,
                   const std::string &describe, Device dev = Device::Default);
  Value makeHost(Type::Kind k, SourceRange range, const std::string &describe,
                 ConstVal cv = {});
  /// Reads data file headers (IDX, CSV, NPY) for dataset sources.
  Value datasetSource(const std::string &kind,
                      const std::vector<const Value *> &args,
                      SourceRange callRange);
  std::string resolveDataPath(const std::string &path) const;
  /// Batches of datasets read from files, by the range of the expression
  /// whose elements are the batches (a `for` loop's iterable, an
  /// evaluate's data): for dataOrigin.
  std::vector<std::pair<SourceRange, Type>> batchSources;
  /// Records that the batches \p t at \p at come from files.
  void noteBatchSource(SourceRange at, const Type &t);
  /// For a shape note on \p v, a batch of a dataset read from a file:
  /// " from the header of 'path'" naming the file its shape comes from;
  /// empty otherwise.
  std::string dataOrigin(const Value &v) const;
  /// Names a model instance and its sub-layers: `net`, `net.fc1`.
  void setModelPath(ModelInstance &inst, const std::string &path);
  bool inModelDefinition() const { return defineModel != nullptr; }
  bool isTopLevel() const { return ctx && ctx->topLevel; }
  Device configDevice = Device::CPU;
  bool configDeviceAuto = false;
  std::string deviceSpelling = "cpu";
  std::string scriptDir;

private:
  friend struct BuiltinAccess;
  //===--- declarations ---===//
  void declareGlobals(const Program &prog);
  void declareBuiltins();
  void checkConfig(const ConfigDecl &c);
  void applyOverrides(const SemaOptions &options);
  void applyOverride(Symbol &sym, const std::string &text);
  /// Config entries are visible to the script's own declarations only, not
  /// to imported modules (the standard library's `N` is its own).
  Scope *outerScopeFor(SourceRange r) {
    return r.file == mainFile ? &configScope : &globals;
  }
  Scope configScope;
  FileID mainFile = 0;
  std::vector<std::pair<std::string, std::string>> overrides;
  Symbol *declare(Scope &scope, std::deque<Symbol> &store, Symbol sym);

  //===--- statements ---===//
  void checkBlock(const Block &block);
  void checkStmt(const Stmt &s);
  void checkLet(const LetStmt &s);
  void checkAssign(const AssignStmt &s);
  void checkFor(const ForStmt &s);
  void checkIf(const IfStmt &s);
  void checkData(const DataDecl &d);
  void checkSave(const SaveStmt &s);
  void checkLoad(const LoadStmt &s);
  void checkWrite(const WriteStmt &s);
  void checkReturn(const ReturnStmt &s);
  void bindTarget(const BindTarget &t, const Value &v, bool isMutable,
                  SourceRange stmtRange, Symbol::Kind kind = Symbol::Kind::Var);
  bool checkCondition(const Value &v, const char *what);
  bool assignable(const Type &to, const Value &v, SourceRange at,
                  const std::string &name, SourceRange declRange);

  //===--- expressions ---===//
  Value checkExpr(const Expr &e);
  Value checkExprImpl(const Expr &e);
  Value checkName(const NameExpr &e);
  Value checkMember(const MemberExpr &e);
  Value checkCall(const CallExpr &e);
  Value checkIndex(const IndexExpr &e);
  Value checkUnary(const UnaryExpr &e);
  Value checkBinary(const BinaryExpr &e);
  Value checkCast(const CastExpr &e);
  Value checkList(const ListExpr &e);
  Value checkStep(const StepExpr &e);
  Value checkEvaluate(const EvaluateExpr &e);
  Value symbolValue(const Symbol &sym, SourceRange range);
  Value hostArith(BinaryOp op, const Value &l, const Value &r,
                  SourceRange range);

  //===--- calls ---===//
  std::vector<ArgValue> evalArgs(const std::vector<Arg> &args);
  /// Binds arguments to parameters by position and name. Reports unknown
  /// names, duplicates, too many and missing arguments.
  bool bindArgs(const std::string &calleeName, SourceRange calleeRange,
                const std::vector<std::string> &paramNames,
                const std::vector<bool> &required,
                const std::vector<ArgValue> &args,
                std::vector<const ArgValue *> &bound, SourceRange callRange,
                SourceRange declRange, size_t implicitArgs = 0);
  /// bindArgs for a declared parameter list (defaults make a parameter
  /// optional).
  bool bindParams(const std::string &calleeName, SourceRange calleeRange,
                  const std::vector<Param> &params,
                  const std::vector<ArgValue> &args,
                  std::vector<const ArgValue *> &bound, SourceRange callRange,
                  SourceRange declRange, size_t implicitArgs = 0);
  Value callBuiltin(const Builtin &b, std::vector<ArgValue> args,
                    SourceRange callRange, SourceRange calleeRange);
  Value callFunction(const Callable &c, std::vector<ArgValue> args,
                     SourceRange callRange, SourceRange calleeRange);
  Value instantiateModel(const ModelDecl &decl, std::vector<ArgValue> args,
                         SourceRange callRange, SourceRange calleeRange);
  Value instantiateOptimizer(const OptimizerDecl &decl,
                             std::vector<ArgValue> args, SourceRange callRange,
                             SourceRange calleeRange);
  void checkOptimizerUpdate(OptimizerInstance &inst, const Type &paramType,
                            SourceRange callRange);
  /// Resolves a written type in the current scope; unbound shape names
  /// become shape variables (bound on first use when `bind` is set).
  std::optional<Type> resolveType(const TypeExpr &t, bool bind);
  Dim resolveDim(const Expr &e, bool bind, SourceRange &origin);
  /// Matches an argument against a declared parameter type, binding shape
  /// variables. Reports a mismatch at the argument.
  bool matchParam(const TypeExpr &declared, const Value &arg,
                  const std::string &paramName, const std::string &calleeName,
                  SourceRange calleeRange);
  Type substitute(const TypeExpr &t);

  //===--- definite assignment ---===//
  std::vector<bool> saveAssigned() const;
  void restoreAssigned(const std::vector<bool> &state);
  void intersectAssigned(const std::vector<bool> &other);

  //===--- name resolution for bodies never instantiated ---===//
  void resolveNamesInUnused();

  //===--- typed dump ---===//
  void record(const Expr &e, const Value &v);

  Scope builtins, globals;
  std::deque<Symbol> globalSymbols;
  std::deque<std::unique_ptr<Scope>> localScopes;
  std::deque<Symbol> localSymbols;
  std::deque<std::unique_ptr<ModelInstance>> models;
  std::deque<std::unique_ptr<OptimizerInstance>> optimizers;
  std::deque<std::unique_ptr<Callable>> callables;
  std::vector<std::string> symNames;
  std::vector<Symbol *> trackedVars; ///< for definite assignment
  Scope *scope = nullptr;
  BodyContext *ctx = nullptr;
  ModelInstance *defineModel = nullptr;      ///< while evaluating model fields
  std::vector<const Callable *> activeCalls; ///< recursion guard
  /// Models whose forward was called while checking a `step` loss.
  std::vector<const ModelInstance *> modelUses;
  std::set<std::string> checkedBodies;
  std::map<std::string, Type> bodyResults;
  std::set<const void *> usedDecls;
  std::vector<const Stmt *> allDecls;
  unsigned depth = 0;
  /// While set, symbols print with their id (`B#3`): for memo keys.
  bool symbolIds = false;

  std::deque<CheckedBody> bodies; ///< deque: pointers stay valid
  CheckedBody *currentBody = nullptr;
  std::map<std::string, CheckedBody *> bodyByKey;
  std::map<const ModelInstance *, const CheckedBody *> constructionBodies;
  const Expr *pendingCall = nullptr; ///< the CallExpr being resolved
  /// The instantiation the latest function or method call reached.
  const CheckedBody *lastCalledBody = nullptr;
  std::vector<std::pair<std::string, std::string>> configLines;
  std::unordered_map<const Expr *, std::string> configRefs;
  friend class Sema;
};

} // namespace nnc

#endif // NNC_LIB_SEMA_SEMAIMPL_H
