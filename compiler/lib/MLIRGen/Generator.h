//===- Generator.h - MLIRGen's code generator (private) ---------*- C++ -*-===//
//
// The state shared by the two halves of MLIRGen: MLIRGen.cpp turns tensor
// expressions, functions, models and optimizers into the nn dialect (the
// steps, initialisers and evaluations), HostGen.cpp turns the script around
// them into @nnc_main (loops, data, checkpoints, printing).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_LIB_MLIRGEN_GENERATOR_H
#define NNC_LIB_MLIRGEN_GENERATOR_H

#include "nnc/Dialect/NN/IR/NNDialect.h"
#include "nnc/MLIRGen/MLIRGen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <map>
#include <optional>
#include <set>

namespace nnc::gen {

using llvm::cast;
using llvm::dyn_cast;
using llvm::isa;

/// The `step` and `evaluate` expressions of the script, in source order:
/// statement values and `let` initialisers, inside loops and ifs too.
struct ScriptSites {
  std::vector<const StepExpr *> steps;
  std::vector<const EvaluateExpr *> evaluations;

  void expr(const Expr *e) {
    if (const auto *s = llvm::dyn_cast_or_null<StepExpr>(e))
      steps.push_back(s);
    if (const auto *v = llvm::dyn_cast_or_null<EvaluateExpr>(e))
      evaluations.push_back(v);
  }
  void block(const Block &b) {
    for (const StmtPtr &s : b) {
      if (const auto *e = dyn_cast<ExprStmt>(s.get()))
        expr(e->expr.get());
      else if (const auto *l = dyn_cast<LetStmt>(s.get()))
        expr(l->init.get());
      else if (const auto *f = dyn_cast<ForStmt>(s.get()))
        block(f->body);
      else if (const auto *w = dyn_cast<WhileStmt>(s.get()))
        block(w->body);
      else if (const auto *i = dyn_cast<IfStmt>(s.get())) {
        block(i->thenBody);
        block(i->elseBody);
      }
    }
  }
};

/// A generated value: a tensor (rank 0 for run-time host numbers), a
/// compile-time number, or a model instance (only as a callee).
struct GV {
  mlir::Value value;
  bool isConst = false;
  double constant = 0;
  const ModelInstance *model = nullptr;
  bool ok() const { return value || isConst || model; }
};

/// Thrown-free error propagation: generation stops at the first problem.
struct Unsupported {};

class Generator {
public:
  Generator(mlir::MLIRContext &ctx, const Sema &sema, const SourceManager &sm,
            DiagnosticEngine &diags)
      : ctx(ctx), b(&ctx), sema(sema), sm(sm), diags(diags) {}

  mlir::OwningOpRef<mlir::ModuleOp> run(const Program &main);

private:
  //===--- helpers ---===//
  mlir::Location loc(SourceRange r) {
    if (!r.isValid())
      return b.getUnknownLoc();
    LineCol lc = sm.getLineCol(r.file, r.begin);
    return mlir::FileLineColLoc::get(&ctx, std::string(sm.getName(r.file)),
                                     lc.line, lc.col);
  }
  bool fail(SourceRange r, const std::string &what) {
    if (!failed)
      diags.error(r, what + " is not supported by code generation yet");
    failed = true;
    return false;
  }
  mlir::Type elementType(DType d) {
    switch (d) {
    case DType::F32:
      return b.getF32Type();
    case DType::F64:
      return b.getF64Type();
    case DType::F16:
      return b.getF16Type();
    case DType::BF16:
      return b.getBF16Type();
    case DType::I32:
      return b.getI32Type();
    case DType::I64:
      return b.getI64Type();
    case DType::Bool:
      return b.getI1Type();
    }
    return b.getF32Type();
  }
  mlir::RankedTensorType tensorType(const Type &t) {
    if (t.isTensor()) {
      llvm::SmallVector<int64_t> shape;
      for (const Dim &d : t.shape)
        shape.push_back(d.isConst() ? d.value : mlir::ShapedType::kDynamic);
      return mlir::RankedTensorType::get(shape, elementType(t.dtype));
    }
    return mlir::RankedTensorType::get({}, b.getF64Type());
  }
  static mlir::RankedTensorType rtt(mlir::Value v) {
    return cast<mlir::RankedTensorType>(v.getType());
  }
  const Type *typeOf(const Expr &e) {
    auto it = body->types.find(&e);
    return it == body->types.end() ? nullptr : &it->second;
  }

  /// A tensor of `value` with type `t`, sized like `like` if dynamic.
  mlir::Value fill(double value, mlir::RankedTensorType t, mlir::Value like,
                   mlir::Location l) {
    if (t.hasStaticShape())
      return b.create<nn::FillOp>(l, t, b.getF64FloatAttr(value),
                                  mlir::Value());
    if (!like || rtt(like).getShape() != t.getShape()) {
      // A tensor of the right sizes with another element type will do.
      if (like)
        return b.create<nn::FillOp>(
            l, t, b.getF64FloatAttr(value),
            b.create<nn::CastOp>(l,
                                 mlir::RankedTensorType::get(
                                     rtt(like).getShape(), t.getElementType()),
                                 like));
      return nullptr;
    }
    return b.create<nn::FillOp>(l, t, b.getF64FloatAttr(value), like);
  }

  /// `v` as a tensor of element type `elem`, broadcast to `shapeOf`'s type.
  mlir::Value coerce(const GV &v, mlir::Type elem, mlir::Value shapeOf,
                     llvm::ArrayRef<int64_t> shape, mlir::Location l) {
    auto target = mlir::RankedTensorType::get(shape, elem);
    if (v.isConst)
      return fill(v.constant, target, shapeOf, l);
    mlir::Value x = v.value;
    if (rtt(x).getElementType() != elem)
      x = b.create<nn::CastOp>(
          l, mlir::RankedTensorType::get(rtt(x).getShape(), elem), x);
    if (rtt(x).getShape() != shape) {
      mlir::Value like = shapeOf;
      if (like && rtt(like).getElementType() != elem)
        like = b.create<nn::CastOp>(
            l, mlir::RankedTensorType::get(rtt(like).getShape(), elem), like);
      if (!target.hasStaticShape() && !like)
        return nullptr;
      checkSizes(x, like, shape, l);
      x = b.create<nn::BroadcastOp>(
          l, target, x, target.hasStaticShape() ? mlir::Value() : like);
    }
    return x;
  }

  /// Where broadcasting meets a size known only at run time (a batch) and a
  /// fixed one, checks at run time that they agree: the checker accepts
  /// `y + zeros([4])` for a batch `y` (docs/language.md, "Current
  /// limitations"), and a batch of another size must stop the run with an
  /// error, not read past a buffer.
  void checkSizes(mlir::Value x, mlir::Value like,
                  llvm::ArrayRef<int64_t> shape, mlir::Location l);

  /// The number of elements of `x` in `dims`, as a constant or a run-time
  /// tensor<f64>.
  GV count(mlir::Value x, llvm::ArrayRef<int64_t> dims, mlir::Location l) {
    double c = 1;
    mlir::Value runtime;
    for (int64_t d : dims) {
      int64_t size = rtt(x).getDimSize(d);
      if (!mlir::ShapedType::isDynamic(size)) {
        c *= size;
        continue;
      }
      mlir::Value idx = b.create<mlir::tensor::DimOp>(l, x, d);
      mlir::Value i64 =
          b.create<mlir::arith::IndexCastOp>(l, b.getI64Type(), idx);
      mlir::Value f = b.create<mlir::arith::SIToFPOp>(l, b.getF64Type(), i64);
      mlir::Value t = b.create<mlir::tensor::FromElementsOp>(
          l, mlir::RankedTensorType::get({}, b.getF64Type()), f);
      runtime = runtime ? b.create<nn::MulOp>(l, runtime, t) : t;
    }
    if (!runtime) {
      GV g;
      g.isConst = true;
      g.constant = c;
      return g;
    }
    if (c != 1)
      runtime = b.create<nn::MulOp>(
          l, runtime,
          fill(c, mlir::RankedTensorType::get({}, b.getF64Type()), {}, l));
    GV g;
    g.value = runtime;
    return g;
  }

  //===--- expressions ---===//
  GV expr(const Expr &e);
  GV exprImpl(const Expr &e);
  GV binary(const BinaryExpr &e, const Type &t);
  GV call(const CallExpr &e, const Type *t);
  GV builtin(const std::string &name, const CallExpr &e,
             std::vector<std::pair<std::string, const Expr *>> args,
             const Type *t);
  GV inlineBody(const CheckedBody &cb, SourceRange at,
                std::vector<std::pair<std::string, GV>> args);
  bool stmt(const Stmt &s);
  GV lookup(const std::string &name, SourceRange r, const Type *t);

  //===--- functions ---===//
  bool generateStep(const StepExpr &step, unsigned k);
  bool generateInit(const std::string &name, const ModelInstance *model,
                    SourceRange at);
  bool generateEvaluate(const EvaluateExpr &e, unsigned k);
  /// Random ops get consecutive streams, so every parameter draws its own
  /// numbers from the run's seed.
  int64_t nextStream = 0;
  /// The step count (a tensor<f64> argument) while generating the loss of a
  /// step: `dropout` is then nn.dropout at this step, and the identity
  /// everywhere else (evaluation, predictions, initialisation).
  mlir::Value dropoutStep;

  //===--- the host program: @nnc_main (HostGen.cpp) ---===//
public:
  /// A value of the script at run time.
  struct HV {
    enum class K { None, Int, Float, Bool, Str, Tensor, Dataset, Record };
    K k = K::None;
    mlir::Value v; ///< i64, f64, i1, !llvm.ptr, a tensor, or a dataset id
    std::vector<std::pair<std::string, mlir::Value>> fields; ///< records
  };
  /// A variable of the script: host numbers and records live in
  /// memref.globals (so loops and ifs need no block arguments); tensors and
  /// dataset ids are SSA values of the block that defined them.
  struct HostVar {
    HV::K k = HV::K::None;
    std::string global;                                      ///< numbers
    std::vector<std::pair<std::string, std::string>> fields; ///< records
    HV ssa;                       ///< tensors, datasets, loop counters
    mlir::Block *block = nullptr; ///< where a tensor was defined
    mlir::Value loader; ///< a batch's targets: the loader they come from
  };
  bool generateHost(const Program &main, const ScriptSites &sites);
  /// The memory the module's globals need (parameters, optimizer state,
  /// tensors and numbers kept across statements) against this machine's
  /// memory: a program that cannot fit is a compile-time error at the
  /// model that needs the most (the JIT would fail to allocate its sections
  /// with an internal error, a built program would not even start).
  bool checkStaticMemory(const Program &main);
  /// The model a top-level `let name = Model(...)` creates, else null.
  const ModelInstance *modelCreatedBy(const Stmt &s) const;
  /// Whether run() also generates @nnc_main.
  bool hostProgram = true;

private:
  bool hostBlock(const Block &stmts, size_t from = 0);
  bool hostStmt(const Stmt &s);
  bool hostLet(const LetStmt &s);
  bool hostAssign(const AssignStmt &s);
  bool hostIf(const IfStmt &s);
  bool hostFor(const ForStmt &s);
  bool hostWhile(const WhileStmt &s);
  bool hostData(const DataDecl &d);
  bool hostSave(const SaveStmt &s);
  bool hostLoad(const LoadStmt &s);
  bool hostWrite(const WriteStmt &s);
  bool hostPrint(const CallExpr &e);
  /// Prints one value of `print` (a number, string, bool or tensor); fails
  /// at \p at for anything else.
  bool printValue(const HV &v, SourceRange at, mlir::Location l);
  HV hostExpr(const Expr &e);
  HV hostExprImpl(const Expr &e, const Type &t);
  HV hostBinary(const BinaryExpr &e, const Type &t);
  /// `x op y` on host ints, with the checks the checker's constant folding
  /// makes: overflow of `+ - * **` and a zero divisor of `%` stop the run
  /// with an error at \p l naming the operation and its operands (Python's
  /// floored `%`; `INT64_MIN % -1` is 0).
  mlir::Value checkedInt(BinaryOp op, mlir::Value x, mlir::Value y,
                         mlir::Location l);
  /// Where \p bad holds, calls the runtime's error entry point \p fn with
  /// \p args and the location string of \p l (the entry point reports and
  /// exits).
  void errorIf(mlir::Value bad, const char *fn,
               llvm::SmallVector<mlir::Value, 4> args, mlir::Location l);
  /// `-x` on a host int, an error at \p l for INT64_MIN.
  mlir::Value checkedNeg(mlir::Value x, mlir::Location l);
  /// An f64 truncated to an int, an error at \p l for NaN and values outside
  /// int's range (where LLVM's fptosi would give poison).
  mlir::Value checkedToInt(mlir::Value f, mlir::Location l);
  HV hostCall(const CallExpr &e, const Type &t);
  HV hostStep(const StepExpr &s);
  HV hostEvaluate(const EvaluateExpr &e);
  mlir::Value hostDataset(const Expr &e, int part = -1);
  mlir::Value hostLoader(const Expr &data, SourceRange at);
  /// The current batch of \p loader (its inputs, or with \p targets its
  /// targets) as a tensor of \p type, whose first dimension is the batch.
  mlir::Value loaderBatch(mlir::Value loader, mlir::RankedTensorType type,
                          bool targets, SourceRange at, mlir::Location l);
  GV hostPredictions(const CallExpr &e);
  /// A model parameter's value: inside a step or evaluation the function
  /// argument; in @nnc_main a fresh read of its global.
  mlir::Value findParam(const std::string &path);
  /// A host variable of the script as a value for tensor code.
  std::optional<GV> hostAsGV(const std::string &name);

  // helpers
  mlir::Value hostConst(const ConstVal &c, const Type &t, mlir::Location l);
  mlir::Value str(const std::string &s, mlir::Location l);
  /// Puts the builder where module-level declarations go: before
  /// @nnc_main, or at the top before it exists (checks inside the steps).
  void atDeclarations();
  /// The module's top-level symbol \p name, or null. Looked up once per
  /// name and then remembered (ModuleOp::lookupSymbol scans the module, and
  /// a long script has a global per variable): symbols are never erased
  /// while the module is generated.
  mlir::Operation *findSymbol(llvm::StringRef name);
  std::string newGlobal(mlir::Type memrefType, mlir::Attribute init);
  std::string newI64Global(int64_t init);
  mlir::Value global(const std::string &name, mlir::Location l);
  mlir::Value loadGlobal(const std::string &name, mlir::Location l);
  void storeGlobal(const std::string &name, mlir::Value v, mlir::Location l);
  /// A call of the runtime's \p fn, declared (and checked) from
  /// HostABI.def.
  mlir::func::CallOp rt(const std::string &fn, mlir::TypeRange results,
                        mlir::ValueRange args, mlir::Location l);
  mlir::Value toF64(const HV &v, mlir::Location l);
  mlir::Value i32Flag(mlir::Value i1, mlir::Location l);
  mlir::Value budgetOk(mlir::Location l);
  static std::string locationString(mlir::Location l); ///< "file:line:col"
  void setLocation(mlir::Location l);
  void setLocation(SourceRange r);
  mlir::Value tensorOf(mlir::Value memref, mlir::Location l);
  mlir::Value unrankedView(mlir::Value tensorOrMemref, mlir::Location l);
  void materialize(mlir::Value tensor, const std::string &global,
                   mlir::Location l);
  void emitSave(mlir::Value path,
                const std::vector<std::pair<std::string, std::string>> &named,
                mlir::Location l);
  std::vector<std::pair<std::string, std::string>>
  modelGlobals(const ModelInstance *m, const std::string &prefix);
  HostVar *findVar(const std::string &name);
  void declare(const std::string &name, HostVar v) {
    hostScopes.back()[name] = std::move(v);
  }

  //===--- nnc repl: one input of a session (ReplGen.cpp) ---===//
public:
  mlir::OwningOpRef<mlir::ModuleOp> runRepl(const Program &main,
                                            ReplInput &input);

private:
  bool generateReplHost(const Program &main, const ScriptSites &sites);
  /// At the top level of a REPL input, where variables outlive the input.
  bool replTop() const { return repl && hostScopes.size() == 1; }
  /// A public global of the session: defined by this module, or declared
  /// external (defined by an earlier input's).
  std::string replGlobal(const std::string &name, mlir::Type memrefType,
                         bool define);
  /// What an earlier input's top-level statement defined, as externals.
  bool replDeclare(const Stmt &s);
  bool replDeclareVar(const std::string &name, const Type &t, SourceRange at);
  bool replLet(const std::string &name, const HV &v, SourceRange at);
  bool replAssign(const AssignStmt &s, HostVar &var, const HV &rhs);
  bool replOptimizer(const std::string &name, const OptimizerInstance *opt,
                     SourceRange at);
  /// The optimizer's state globals; with \p define this module defines
  /// and initialises them.
  bool replOptimizerState(const std::string &name, const OptimizerInstance *opt,
                          bool define, SourceRange at);
  bool replShow(const Expr &e);
  bool replGrad(const Expr &e);
  ReplInput *repl = nullptr;
  std::map<const OptimizerInstance *, std::string> replOptimizers;

  bool host = false;
  std::vector<std::map<std::string, HostVar>> hostScopes;
  std::map<const StepExpr *, unsigned> stepIndex;
  std::map<const EvaluateExpr *, unsigned> evalIndex;
  std::map<const Expr *, int64_t> trackerSites;      ///< best/since_best
  std::map<const Expr *, std::string> loaderGlobals; ///< per batches site
  std::map<std::string, std::string> paramGlobals;   ///< net.fc1.weight -> @
  std::map<const OptimizerInstance *, std::string> stepCounters;
  std::map<const OptimizerInstance *, std::vector<std::string>> stateGlobals;
  std::map<const ModelInstance *, std::string> modelVars; ///< top level
  std::map<std::string, std::string> strings;     ///< contents -> llvm.global
  std::map<std::string, mlir::Value> mainGlobals; ///< get_global in main
  llvm::StringMap<mlir::Operation *> symbols;     ///< see findSymbol
  /// Per generated function: (argument number, number of classes) of each
  /// argument used as class labels by one_hot (cross_entropy, nll_loss).
  std::map<std::string, std::set<std::pair<unsigned, int64_t>>> labelChecks;
  /// Checks before a call of `fn` that its label arguments lie in
  /// [0, classes): a label out of range stops the run with an error.
  void checkLabels(const std::string &fn, llvm::ArrayRef<mlir::Value> args,
                   mlir::Location l);
  /// Before the first call of `fn` whose argument \p argNo is the labels of
  /// \p loader's batches: checks every label of the loader's dataset against
  /// the class count `fn` uses them with (nnc_rt_loader_check_labels).
  void checkDatasetLabels(const std::string &fn, unsigned argNo,
                          mlir::Value loader, const char *user,
                          mlir::Location l);
  /// The loop being generated: its break and continue flags.
  struct LoopFlags {
    std::string broken, continued;
  };
  std::vector<LoopFlags> loops;
  LoopFlags newLoopFlags(mlir::Location l);
  /// Per loop around the statement being generated, innermost last: the
  /// 1-based iteration and the trip count (i64) of a `for a in lo..hi`, null
  /// for other loops; the "epoch n/N" of a training loop's progress.
  std::vector<std::pair<mlir::Value, mlir::Value>> loopEpochs;
  /// How many of those loops run a step: an evaluate inside one reports its
  /// metrics as the epoch's (nnc_rt_epoch_metric).
  int trainingLoops = 0;
  std::string stepsDone, maxSteps;

  //===--- resuming: --state and --resume (HostGen.cpp, "Resuming") ---===//
  /// Resume points, numbered from 1 in source order: the condition of each
  /// loop that runs steps (its `top`) and the place right after each
  /// batches loop that runs steps (its `end`, an epoch's end).
  std::map<const Stmt *, int64_t> topPoint, endPoint;
  /// The points inside each statement: its own top point and those of
  /// nested statements (not its end point, which follows it).
  std::map<const Stmt *, std::vector<int64_t>> pointsIn;
  /// The points inside the `then` block of each `if` that has some.
  std::map<const Stmt *, std::vector<int64_t>> thenPoints;
  /// Statements that a point follows in their block: a resumed run skips
  /// them on its way to the point.
  std::set<const Stmt *> beforePoint;
  int64_t pointCount = 0;
  /// Numbers the points of \p stmts and returns them.
  std::vector<int64_t> collectPoints(const Block &stmts);
  /// The i64 global holding the point a resumed run is going to (0: none).
  std::string resumeTo;
  /// Globals that are not part of the training state (handles, options).
  std::set<std::string> transientGlobals;
  /// Per batches loop: i64 globals with the loader's epoch and the number
  /// of batches taken in it, so that a resumed run positions it.
  std::map<const Stmt *, std::pair<std::string, std::string>> loaderPos;
  mlir::func::FuncOp stateSaveFn, stateResumeFn, endRunFn;
  /// Names of globals in a training state (`opt.step`, `loop2.epoch`);
  /// parameters keep their symbol names (`net.fc1.weight`).
  std::map<std::string, std::string> stateNames;
  /// An optimizer is created in a block (so its step count may restart).
  bool optimizerInBlock = false;
  std::set<std::string> usedStateNames;
  void nameGlobal(const std::string &global, std::string name);
  /// Loops so far, numbering their globals' names.
  unsigned loopCount = 0;
  /// i1: whether the run is resuming to one of \p points.
  mlir::Value resumingTo(llvm::ArrayRef<int64_t> points, mlir::Location l);
  /// i1: whether the run is not resuming (steps run only then).
  mlir::Value notResuming(mlir::Location l);
  /// Arriving at \p point ends a resume that was going there.
  void arriveAt(int64_t point, mlir::Location l);
  /// Writes the training state (--state) as at \p point, then runs
  /// \p after.
  void saveStateAt(int64_t point, bool budgetStop, mlir::Location l,
                   const std::function<void()> &after = {});
  /// At a loop's condition: when the step budget is spent, the state is
  /// written as at the loop's top point (once per run, by the innermost
  /// loop).
  void saveStateIfBudgetSpent(int64_t point, mlir::Location l);
  /// A loop's condition: true while a resumed run goes to a point inside
  /// the loop's body (without evaluating \p normal, which may have
  /// effects), else \p normal's value. Null when \p normal fails.
  mlir::Value deeperOrNormal(const Stmt &loop,
                             const std::function<mlir::Value()> &normal,
                             mlir::Location l);
  /// Fills @nnc_state_save and @nnc_state_resume once all globals exist.
  bool finishStateFunctions(mlir::Location l);
  /// Whether \p s defines an SSA value (a tensor, string or dataset), so
  /// that it runs even on a resumed run's way to its point.
  bool definesValue(const Stmt &s);

  //===--- config entries read when the program runs ---===//
  /// Whether a host number \p e is computed from config entries (names,
  /// arithmetic, comparisons and casts of them).
  bool mentionsConfig(const Expr &e);
  /// The config entries' names read at run time (nnc_rt_config_*).
  std::set<const Expr *> runtimeConfigReads;
  /// Per config entry read at run time: the global that holds its value,
  /// asked for once at the top of @nnc_main.
  std::map<std::string, std::string> configGlobals;
  std::string configGlobal(const std::string &name, const ConstVal &value,
                           const Type &t);
  /// `@nnc_program_config() -> !llvm.ptr`: the config table of the program
  /// (`--help` and `--set` of programs built by `nnc build`).
  void emitProgramConfig(mlir::Location l);
  unsigned globalCount = 0;
  mlir::func::FuncOp mainFn, saveModelsFn;

  mlir::MLIRContext &ctx;
  mlir::OpBuilder b;
  const Sema &sema;
  const SourceManager &sm;
  DiagnosticEngine &diags;
  mlir::ModuleOp module;
  bool failed = false;

  const CheckedBody *body = nullptr;
  const ModelInstance *self = nullptr;
  std::vector<std::map<std::string, GV>> env;
  std::map<std::string, mlir::Value> params; ///< full path -> value
  std::optional<GV> returned;
};

bool sameType(const Type &a, const Type &b);
/// The runtime's name for an element type ("f32", "f64", "i64", "i1") in
/// its entry points (nnc_rt_print_tensor_f32, ...); null for others.
const char *dtypeSuffix(mlir::Type elem);
/// Names of tensors used by `e` that are not model parameters: the inputs.
void freeTensors(const Expr &e, const CheckedBody &body,
                 std::vector<std::pair<std::string, const Expr *>> &out);

} // namespace nnc::gen

#endif // NNC_LIB_MLIRGEN_GENERATOR_H
