//===- ReplGen.cpp - One input of `nnc repl` as a module ------------------===//
//
// `nnc repl` checks the whole session (every accepted input, then the new
// one) as one script, but compiles and runs only the new input: a module
// whose `@nnc_repl() -> i32` holds the new top-level statements. Values must
// outlive the input that made them, so:
//
//   1. A top-level `let` (and `data`) of a REPL input stores its value in a
//      public memref.global `@"repl.<name>"` that the input's module
//      defines: tensors by value (static shapes), numbers and bools as
//      memref<T>, dataset ids as i64, strings as the i64 address of the
//      defining module's constant (the REPL keeps every module alive),
//      records as one f64 global per field (`@"repl.v.loss"`).
//   2. A model's parameters are the public `@"net.fc1.weight"` globals, an
//      optimizer's state `@"repl.opt.s<i>"` and step counter `@"repl.opt.t"`
//      - the state is created and initialised by the first input that runs
//      a step of it.
//   3. What earlier inputs defined is declared again without an initial
//      value: an external declaration, whose address the REPL hands to the
//      JIT (ReplInput::defined lists what each module defines).
//   4. A top-level expression statement prints its value like `print`
//      (PyTorch's format for tensors); `:grad` makes a function of the
//      expression with the variable or the model's parameters marked
//      nn.wrt, and nn-autodiff makes its `_grad`.
//
//===----------------------------------------------------------------------===//

#include "Generator.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Verifier.h"

#include <algorithm>

using namespace nnc;
using namespace nnc::gen;

namespace nnc::gen {

namespace {
/// The `step`s and `evaluate`s of one top-level statement.
void sitesOf(const Stmt &s, ScriptSites &sites) {
  if (const auto *e = dyn_cast<ExprStmt>(&s))
    sites.expr(e->expr.get());
  else if (const auto *l = dyn_cast<LetStmt>(&s))
    sites.expr(l->init.get());
  else if (const auto *f = dyn_cast<ForStmt>(&s))
    sites.block(f->body);
  else if (const auto *w = dyn_cast<WhileStmt>(&s))
    sites.block(w->body);
  else if (const auto *i = dyn_cast<IfStmt>(&s)) {
    sites.block(i->thenBody);
    sites.block(i->elseBody);
  }
}
} // namespace

mlir::OwningOpRef<mlir::ModuleOp> Generator::runRepl(const Program &main,
                                                     ReplInput &input) {
  repl = &input;
  mlir::OwningOpRef<mlir::ModuleOp> owned =
      mlir::ModuleOp::create(loc({main.file, 0, 0}));
  module = *owned;
  nextStream = input.streamBase;
  ScriptSites sites;
  for (size_t i = input.firstItem; i < main.items.size(); ++i) {
    const Stmt &s = *main.items[i];
    sitesOf(s, sites);
    // @init_<name> for the models this input creates.
    if (const ModelInstance *m = modelCreatedBy(s))
      if (!generateInit(cast<LetStmt>(s).target.names[0].name, m, s.range))
        return nullptr;
  }
  for (size_t k = 0; k < sites.steps.size(); ++k)
    if (!generateStep(*sites.steps[k], static_cast<unsigned>(k)))
      return nullptr;
  for (size_t k = 0; k < sites.evaluations.size(); ++k)
    if (!generateEvaluate(*sites.evaluations[k], static_cast<unsigned>(k)))
      return nullptr;
  if (!generateReplHost(main, sites))
    return nullptr;
  if (!checkStaticMemory(main))
    return nullptr;
  input.streamEnd = nextStream;
  if (mlir::failed(mlir::verify(module))) {
    diags.error({}, "internal error: the generated IR does not verify");
    return nullptr;
  }
  return owned;
}

std::string Generator::replGlobal(const std::string &name, mlir::Type type,
                                  bool define) {
  mlir::OpBuilder::InsertionGuard guard(b);
  atDeclarations();
  b.create<mlir::memref::GlobalOp>(
      b.getUnknownLoc(), name, /*sym_visibility=*/mlir::StringAttr(),
      llvm::cast<mlir::MemRefType>(type),
      define ? mlir::Attribute(b.getUnitAttr()) : mlir::Attribute(),
      /*constant=*/false, /*alignment=*/b.getI64IntegerAttr(64));
  if (define)
    repl->defined.push_back(name);
  return name;
}

bool Generator::generateReplHost(const Program &main,
                                 const ScriptSites &sites) {
  for (size_t k = 0; k < sites.steps.size(); ++k)
    stepIndex[sites.steps[k]] = static_cast<unsigned>(k);
  for (size_t k = 0; k < sites.evaluations.size(); ++k)
    evalIndex[sites.evaluations[k]] = static_cast<unsigned>(k);
  const CheckedBody &script = sema.getBodies().front();
  mlir::Location l = loc({main.file, 0, 0});
  b.setInsertionPointToEnd(module.getBody());
  mainFn = b.create<mlir::func::FuncOp>(
      l, repl->entry, b.getFunctionType({}, {b.getI32Type()}));
  mlir::Block *entry = mainFn.addEntryBlock();
  {
    // A step asks for it; --save-init has no meaning in a session.
    auto ptr = mlir::LLVM::LLVMPointerType::get(&ctx);
    b.setInsertionPoint(mainFn);
    saveModelsFn = b.create<mlir::func::FuncOp>(l, "nnc_save_models",
                                                b.getFunctionType({ptr}, {}));
    saveModelsFn.setPrivate();
    b.setInsertionPointToEnd(saveModelsFn.addEntryBlock());
    b.create<mlir::func::ReturnOp>(l);
  }

  // Every top-level model's parameters: defined by the input that creates
  // the model, external in later ones.
  for (size_t i = 0; i < main.items.size(); ++i) {
    const ModelInstance *m = modelCreatedBy(*main.items[i]);
    if (!m)
      continue;
    modelVars[m] = cast<LetStmt>(*main.items[i]).target.names[0].name;
    std::string root = modelPath(m);
    for (auto &[name, pt] : modelParameters(m)) {
      std::string path = root + "." + name;
      auto tt = tensorType(pt);
      replGlobal(path,
                 mlir::MemRefType::get(tt.getShape(), tt.getElementType()),
                 i >= repl->firstItem);
      paramGlobals[path] = path;
    }
  }

  b.setInsertionPointToEnd(entry);
  host = true;
  body = &script;
  self = nullptr;
  hostScopes.assign(1, {});
  for (size_t i = 0; i < repl->firstItem && i < main.items.size(); ++i)
    if (!replDeclare(*main.items[i]))
      return false;
  stepsDone = newI64Global(0);
  maxSteps = newI64Global(-1);
  storeGlobal(maxSteps,
              rt("nnc_rt_max_steps", {b.getI64Type()}, {}, l).getResult(0), l);
  // The state of an earlier input's optimizer that steps for the first time.
  for (auto &[step, k] : stepIndex) {
    auto ot = script.types.find(step->optimizer.get());
    if (ot == script.types.end() || !ot->second.optimizer)
      continue;
    const OptimizerInstance *opt = ot->second.optimizer;
    auto name = replOptimizers.find(opt);
    if (name != replOptimizers.end() && !stepCounters.count(opt) &&
        !replOptimizerState(name->second, opt, /*define=*/true, step->range))
      return false;
  }
  if (!hostBlock(main.items, repl->firstItem))
    return false;
  b.create<mlir::func::ReturnOp>(
      l, mlir::ValueRange{b.create<mlir::arith::ConstantIntOp>(l, 0, 32)});
  host = false;
  return !failed;
}

//===----------------------------------------------------------------------===//
// Variables that outlive their input
//===----------------------------------------------------------------------===//

bool Generator::replDeclareVar(const std::string &name, const Type &t,
                               SourceRange at) {
  HostVar var;
  std::string g = "repl." + name;
  switch (t.kind) {
  case Type::Kind::Int:
    var.k = HV::K::Int;
    var.global =
        replGlobal(g, mlir::MemRefType::get({}, b.getI64Type()), false);
    break;
  case Type::Kind::Float:
    var.k = HV::K::Float;
    var.global =
        replGlobal(g, mlir::MemRefType::get({}, b.getF64Type()), false);
    break;
  case Type::Kind::Bool:
    var.k = HV::K::Bool;
    var.global = replGlobal(g, mlir::MemRefType::get({}, b.getI1Type()), false);
    break;
  case Type::Kind::Str:
    var.k = HV::K::Str;
    var.global =
        replGlobal(g, mlir::MemRefType::get({}, b.getI64Type()), false);
    break;
  case Type::Kind::Dataset:
    var.k = HV::K::Dataset;
    var.global =
        replGlobal(g, mlir::MemRefType::get({}, b.getI64Type()), false);
    break;
  case Type::Kind::Tensor: {
    auto tt = tensorType(t);
    if (!tt.hasStaticShape())
      return true; // never defined: see replLet
    var.k = HV::K::Tensor;
    var.global = replGlobal(
        g, mlir::MemRefType::get(tt.getShape(), tt.getElementType()), false);
    break;
  }
  case Type::Kind::Record:
    var.k = HV::K::Record;
    for (const std::string &field : t.names)
      var.fields.push_back(
          {field,
           replGlobal(g + "." + field,
                      mlir::MemRefType::get({}, b.getF64Type()), false)});
    break;
  default:
    return true; // models, optimizers, functions: no run-time value
  }
  (void)at;
  declare(name, var);
  return true;
}

bool Generator::replDeclare(const Stmt &s) {
  const CheckedBody &script = sema.getBodies().front();
  if (const auto *d = dyn_cast<DataDecl>(&s)) {
    Type t;
    t.kind = Type::Kind::Dataset;
    for (const Ident &n : d->target.names)
      replDeclareVar(n.name, t, d->range);
    return true;
  }
  const auto *let = dyn_cast<LetStmt>(&s);
  if (!let || !let->init)
    return true;
  if (let->target.isTuple) {
    const auto *tuple = dyn_cast<TupleExpr>(let->init.get());
    if (!tuple)
      return true;
    for (size_t i = 0; i < tuple->elems.size() && i < let->target.names.size();
         ++i) {
      auto t = script.types.find(tuple->elems[i].get());
      if (t != script.types.end())
        replDeclareVar(let->target.names[i].name, t->second, let->range);
    }
    return true;
  }
  auto t = script.types.find(let->init.get());
  if (t == script.types.end())
    return true;
  const std::string &name = let->target.names[0].name;
  if (t->second.kind == Type::Kind::Optimizer) {
    const OptimizerInstance *opt = t->second.optimizer;
    replOptimizers[opt] = name;
    // Its state exists once a step has run.
    if (std::find(repl->known.begin(), repl->known.end(),
                  "repl." + name + ".t") != repl->known.end())
      return replOptimizerState(name, opt, /*define=*/false, let->range);
    return true;
  }
  return replDeclareVar(name, t->second, let->range);
}

bool Generator::replLet(const std::string &name, const HV &v, SourceRange at) {
  mlir::Location l = loc(at);
  HostVar var;
  var.k = v.k;
  std::string g = "repl." + name;
  switch (v.k) {
  case HV::K::Int:
  case HV::K::Float:
  case HV::K::Bool:
    var.global = replGlobal(g, mlir::MemRefType::get({}, v.v.getType()), true);
    storeGlobal(var.global, v.v, l);
    break;
  case HV::K::Str:
  case HV::K::Dataset: {
    var.global = replGlobal(g, mlir::MemRefType::get({}, b.getI64Type()), true);
    mlir::Value x = v.v;
    if (v.k == HV::K::Str)
      x = b.create<mlir::LLVM::PtrToIntOp>(l, b.getI64Type(), x);
    storeGlobal(var.global, x, l);
    break;
  }
  case HV::K::Record:
    for (auto &[field, value] : v.fields) {
      std::string fg = replGlobal(
          g + "." + field, mlir::MemRefType::get({}, b.getF64Type()), true);
      storeGlobal(fg, value, l);
      var.fields.push_back({field, fg});
    }
    break;
  case HV::K::Tensor: {
    auto tt = rtt(v.v);
    if (!tt.hasStaticShape()) {
      diags.error(at, "'" + name +
                          "' has a size known only at run time: the session "
                          "cannot keep it between inputs yet");
      failed = true;
      return false;
    }
    var.global = replGlobal(
        g, mlir::MemRefType::get(tt.getShape(), tt.getElementType()), true);
    materialize(v.v, var.global, l);
    break;
  }
  default:
    return fail({}, "a variable of this type in the REPL");
  }
  declare(name, var);
  return true;
}

bool Generator::replAssign(const AssignStmt &s, HostVar &var, const HV &rhs) {
  mlir::Location l = loc(s.range);
  if (s.op != AssignOp::Set)
    return fail(s.range, "a compound assignment of a tensor");
  auto want = llvm::cast<mlir::MemRefType>(global(var.global, l).getType());
  mlir::Value v = rhs.v;
  auto tt = mlir::RankedTensorType::get(want.getShape(), want.getElementType());
  if (v.getType() != tt)
    v = b.create<mlir::tensor::CastOp>(l, tt, v);
  materialize(v, var.global, l);
  return true;
}

bool Generator::replOptimizer(const std::string &name,
                              const OptimizerInstance *opt, SourceRange at) {
  if (!replTop())
    return fail(at, "an optimizer created in a block");
  replOptimizers[opt] = name;
  // Its state now if this input steps it, else at its first step.
  const CheckedBody &top = sema.getBodies().front();
  for (auto &[step, k] : stepIndex) {
    auto ot = top.types.find(step->optimizer.get());
    if (ot != top.types.end() && ot->second.optimizer == opt)
      return replOptimizerState(name, opt, /*define=*/true, at);
  }
  return true;
}

bool Generator::replOptimizerState(const std::string &name,
                                   const OptimizerInstance *opt, bool define,
                                   SourceRange at) {
  mlir::Location l = loc(at);
  const ModelInstance *model = optimizerModel(opt);
  if (!modelVars.count(model))
    return fail(at, "an optimizer of a model created in a block");
  size_t numStates = 0;
  for (const OptimizerMember &m : optimizerDecl(opt)->members)
    numStates += m.kind == OptimizerMember::Kind::State;
  auto globals = modelGlobals(model, "");
  std::vector<std::string> states;
  unsigned i = 0;
  for (auto &[n, g] : globals) {
    auto mt = llvm::cast<mlir::MemRefType>(
        module.lookupSymbol<mlir::memref::GlobalOp>(g).getType());
    for (size_t s = 0; s < numStates; ++s)
      states.push_back(
          replGlobal("repl." + name + ".s" + std::to_string(i++), mt, define));
  }
  std::string counter = replGlobal(
      "repl." + name + ".t", mlir::MemRefType::get({}, b.getI64Type()), define);
  stateGlobals[opt] = states;
  stepCounters[opt] = counter;
  if (!define)
    return true;
  // Initialise from the first step of this input that uses it.
  const CheckedBody &top = sema.getBodies().front();
  for (auto &[step, k] : stepIndex) {
    auto ot = top.types.find(step->optimizer.get());
    if (ot == top.types.end() || ot->second.optimizer != opt)
      continue;
    auto initState = module.lookupSymbol<mlir::func::FuncOp>("init_state_" +
                                                             std::to_string(k));
    llvm::SmallVector<mlir::Value> ps;
    for (auto &[n, g] : globals)
      ps.push_back(tensorOf(global(g, l), l));
    auto call = b.create<mlir::func::CallOp>(l, initState, ps);
    for (unsigned r = 0; r < call.getNumResults() && r < states.size(); ++r)
      materialize(call.getResult(r), states[r], l);
    storeGlobal(counter, b.create<mlir::arith::ConstantIntOp>(l, 0, 64), l);
    return true;
  }
  return fail(at, "an optimizer without a step");
}

//===----------------------------------------------------------------------===//
// Showing a value, :grad
//===----------------------------------------------------------------------===//

bool Generator::replShow(const Expr &e) {
  if (&e == repl->gradOf)
    return replGrad(e);
  auto t = body->types.find(&e);
  if (t == body->types.end())
    return fail(e.range, "this expression");
  Type::Kind k = t->second.kind;
  bool value = k == Type::Kind::Int || k == Type::Kind::Float ||
               k == Type::Kind::Bool || k == Type::Kind::Str ||
               k == Type::Kind::Tensor || k == Type::Kind::Record;
  if (k == Type::Kind::Void) {
    hostExpr(e);
    return !failed;
  }
  // No run-time value (a model, a dataset): the REPL describes it.
  if (!value || !repl->show)
    return true;
  mlir::Location l = loc(e.range);
  HV v = hostExpr(e);
  if (failed)
    return false;
  if (v.k == HV::K::Record) {
    // One field a line: `loss: 0.25`.
    for (size_t i = 0; i < v.fields.size(); ++i) {
      if (i)
        rt("nnc_rt_print_end", {}, {}, l);
      rt("nnc_rt_print_str", {}, {str(v.fields[i].first + ":", l)}, l);
      rt("nnc_rt_print_f64", {}, {v.fields[i].second}, l);
    }
  } else if (!printValue(v, e.range, l)) {
    return false;
  }
  rt("nnc_rt_print_end", {}, {}, l);
  return true;
}

bool Generator::replGrad(const Expr &e) {
  const CheckedBody &script = sema.getBodies().front();
  mlir::Location l = loc(e.range);
  // The arguments: every parameter of every model, then the tensors `e`
  // reads; the ones with respect to which we differentiate are nn.wrt.
  std::vector<std::pair<std::string, std::string>> paramArgs; // path, global
  for (auto &[m, var] : modelVars)
    for (auto &[name, t] : modelParameters(m)) {
      std::string path = modelPath(m) + "." + name;
      paramArgs.push_back({path, paramGlobals.at(path)});
    }
  std::vector<std::pair<std::string, const Expr *>> inputs;
  freeTensors(e, script, inputs);
  const ModelInstance *wrtModel = nullptr;
  for (auto &[m, var] : modelVars)
    if (var == repl->wrt)
      wrtModel = m;
  std::string wrtRoot = wrtModel ? modelPath(wrtModel) + "." : "";
  llvm::SmallVector<mlir::Type> argTypes;
  llvm::SmallVector<mlir::Value> args;
  llvm::SmallVector<unsigned> wrtArgs;
  std::vector<std::string> wrtNames;
  for (auto &[path, g] : paramArgs) {
    if (wrtModel && path.compare(0, wrtRoot.size(), wrtRoot) == 0) {
      wrtArgs.push_back(args.size());
      wrtNames.push_back(repl->wrt + "." + path.substr(wrtRoot.size()));
    }
    mlir::Value v = tensorOf(global(g, l), l);
    argTypes.push_back(v.getType());
    args.push_back(v);
  }
  for (auto &[name, ex] : inputs) {
    std::optional<GV> g = hostAsGV(name);
    if (!g || !g->value)
      return fail(ex->range, "this input of ':grad'");
    if (!wrtModel && name == repl->wrt) {
      wrtArgs.push_back(args.size());
      wrtNames.push_back(name);
    }
    argTypes.push_back(g->value.getType());
    args.push_back(g->value);
  }
  if (wrtArgs.empty()) {
    diags.error(e.range, "'" + repl->wrt +
                             "' is neither a tensor this expression uses nor "
                             "a model");
    failed = true;
    return false;
  }

  // @repl_loss(args...) -> f32, differentiated by nn-autodiff.
  auto f32Scalar = mlir::RankedTensorType::get({}, b.getF32Type());
  mlir::func::FuncOp lossFn;
  {
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(mainFn);
    lossFn = b.create<mlir::func::FuncOp>(
        l, "repl_loss", b.getFunctionType(argTypes, {f32Scalar}));
    lossFn->setAttr("nn.differentiate", b.getUnitAttr());
    lossFn.setPrivate();
    for (unsigned i : wrtArgs)
      lossFn.setArgAttr(i, "nn.wrt", b.getUnitAttr());
    mlir::Block *entry = lossFn.addEntryBlock();
    b.setInsertionPointToEnd(entry);
    params.clear();
    for (size_t i = 0; i < paramArgs.size(); ++i)
      params[paramArgs[i].first] = entry->getArgument(i);
    env.assign(1, {});
    for (size_t i = 0; i < inputs.size(); ++i) {
      GV g;
      g.value = entry->getArgument(paramArgs.size() + i);
      env.back()[inputs[i].first] = g;
    }
    host = false;
    GV loss = expr(e);
    host = true;
    env.clear();
    params.clear();
    if (failed)
      return false;
    mlir::Value lossValue = loss.value;
    if (!lossValue)
      return fail(e.range, "the gradient of a constant");
    if (rtt(lossValue).getElementType() != b.getF32Type())
      lossValue = b.create<nn::CastOp>(l, f32Scalar, lossValue);
    b.create<mlir::func::ReturnOp>(l, lossValue);
    // Declared here, defined by nn-autodiff.
    llvm::SmallVector<mlir::Type> gradResults{f32Scalar};
    for (unsigned i : wrtArgs)
      gradResults.push_back(argTypes[i]);
    b.setInsertionPoint(mainFn);
    b.create<mlir::func::FuncOp>(l, "repl_loss_grad",
                                 b.getFunctionType(argTypes, gradResults))
        .setPrivate();
  }
  auto decl = module.lookupSymbol<mlir::func::FuncOp>("repl_loss_grad");
  auto call = b.create<mlir::func::CallOp>(l, decl, args);
  for (size_t i = 0; i < wrtArgs.size(); ++i) {
    mlir::Value g = call.getResult(1 + i);
    const char *suffix = dtypeSuffix(rtt(g).getElementType());
    if (!suffix)
      return fail(e.range, "the gradient of a tensor of this element type");
    rt("nnc_rt_print_str", {}, {str(wrtNames[i] + ".grad", l)}, l);
    rt("nnc_rt_print_end", {}, {}, l);
    rt(std::string("nnc_rt_print_tensor_") + suffix, {}, {unrankedView(g, l)},
       l);
    rt("nnc_rt_print_end", {}, {}, l);
  }
  return true;
}

} // namespace nnc::gen

mlir::OwningOpRef<mlir::ModuleOp>
nnc::generateReplMLIR(mlir::MLIRContext &ctx, const Program &main,
                      const Sema &sema, const SourceManager &sm,
                      DiagnosticEngine &diags, ReplInput &input) {
  registerDialects(ctx);
  gen::Generator gen(ctx, sema, sm, diags);
  return gen.runRepl(main, input);
}
