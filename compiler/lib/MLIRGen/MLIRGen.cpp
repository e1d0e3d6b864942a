//===- MLIRGen.cpp - Checked .nn program to the nn dialect
//-----------------===//
//
// Algorithm, for each `step opt minimize LOSS` of the script (in order k):
//   1. From the script's CheckedBody, find the optimizer instance, the model
//      it updates and the model's parameters (full names `net.fc1.weight`);
//      the free tensor names of LOSS (`x`, `y`) become inputs.
//   2. Emit @loss_k(params {nn.wrt}..., inputs...) by generating LOSS.
//      Expressions come out in the types Sema recorded: a compile-time value
//      becomes a constant; broadcasting becomes explicit nn.broadcast; a host
//      number known only at run time is a tensor<f64>. Calls to functions
//      and model methods are inlined from the CheckedBody of the
//      instantiation they reached; builtins map to nn ops. `dropout` is
//      nn.dropout at the step count, a last tensor<f64> argument that
//      @loss_k keeps only when a dropout uses it (elsewhere - evaluation,
//      init, the host program - `dropout` is the identity).
//   3. Emit @init_state_k(params...) -> state... from the optimizer's
//      `state` initialisers, and @step_k(params..., state..., inputs..., t):
//      call @loss_k_grad (passing t on when @loss_k takes it), then inline
//      the optimizer's `update` for every parameter (the CheckedBody checked
//      for that parameter's type), and return the loss, the new parameters
//      and the new state.
// Whatever is not supported yet is reported at the user's line as
// "not supported by code generation yet", never silently dropped.
//
//===----------------------------------------------------------------------===//

#include "Generator.h"
#include "nnc/AST/ASTPrinter.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "nnc/runtime/Memory.h"

using namespace nnc;
using namespace nnc::gen;

void nnc::registerDialects(mlir::MLIRContext &ctx) {
  ctx.loadDialect<nn::NNDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::tensor::TensorDialect,
                  mlir::bufferization::BufferizationDialect,
                  mlir::LLVM::LLVMDialect, mlir::math::MathDialect,
                  mlir::memref::MemRefDialect, mlir::scf::SCFDialect>();
}

namespace nnc::gen {

GV Generator::lookup(const std::string &name, SourceRange r, const Type *t) {
  for (auto it = env.rbegin(); it != env.rend(); ++it) {
    auto f = it->find(name);
    if (f != it->end())
      return f->second;
  }
  if (t && t->kind == Type::Kind::Model) {
    GV g;
    g.model = t->model;
    return g;
  }
  if (self && t && t->isTensor()) {
    if (mlir::Value p = findParam(modelPath(self) + "." + name)) {
      GV g;
      g.value = p;
      return g;
    }
  }
  if (host && !self && body == &sema.getBodies().front())
    if (std::optional<GV> g = hostAsGV(name))
      return *g;
  fail(r, "the value of '" + name + "' here");
  return {};
}

GV Generator::expr(const Expr &e) {
  if (failed)
    return {};
  const Type *t = typeOf(e);
  // Compile-time host values are constants.
  auto c = body->consts.find(&e);
  if (c != body->consts.end() && t && !t->isTensor()) {
    const ConstVal &cv = c->second;
    if (cv.kind == ConstVal::Kind::Int || cv.kind == ConstVal::Kind::Float ||
        cv.kind == ConstVal::Kind::Bool) {
      GV g;
      g.isConst = true;
      g.constant = cv.kind == ConstVal::Kind::Float ? cv.f : double(cv.i);
      return g;
    }
  }
  return exprImpl(e);
}

GV Generator::exprImpl(const Expr &e) {
  const Type *t = typeOf(e);
  mlir::Location l = loc(e.range);
  switch (e.getKind()) {
  case Expr::Kind::Name:
    return lookup(cast<NameExpr>(e).name, e.range, t);
  case Expr::Kind::Member: {
    const auto &m = cast<MemberExpr>(e);
    const Type *bt = typeOf(*m.base);
    if (bt && bt->kind == Type::Kind::Model && t && t->isTensor()) {
      if (mlir::Value p =
              findParam(modelPath(bt->model) + "." + m.member.name)) {
        GV g;
        g.value = p;
        return g;
      }
    }
    if (t && t->kind == Type::Kind::Model) {
      GV g;
      g.model = t->model;
      return g;
    }
    fail(e.range, "this member access");
    return {};
  }
  case Expr::Kind::Binary:
    if (!t) {
      fail(e.range, "this expression");
      return {};
    }
    return binary(cast<BinaryExpr>(e), *t);
  case Expr::Kind::Unary: {
    const auto &u = cast<UnaryExpr>(e);
    GV x = expr(*u.operand);
    if (failed)
      return {};
    if (u.op == UnaryOp::Plus)
      return x;
    if (u.op == UnaryOp::Neg && x.value) {
      GV g;
      g.value = b.create<nn::NegOp>(l, x.value);
      return g;
    }
    fail(e.range, std::string("unary '") + spelling(u.op) + "'");
    return {};
  }
  case Expr::Kind::Cast: {
    const auto &c = cast<CastExpr>(e);
    GV x = expr(*c.operand);
    if (failed || !t || !t->isTensor() || !x.value) {
      fail(e.range, "this cast");
      return {};
    }
    GV g;
    g.value = b.create<nn::CastOp>(l, tensorType(*t), x.value);
    return g;
  }
  case Expr::Kind::Call:
    return call(cast<CallExpr>(e), t);
  default:
    fail(e.range, "this expression");
    return {};
  }
}

GV Generator::binary(const BinaryExpr &e, const Type &t) {
  mlir::Location l = loc(e.range);
  GV x = expr(*e.lhs);
  GV y = expr(*e.rhs);
  if (failed)
    return {};
  if (e.op == BinaryOp::MatMul) {
    if (!x.value || !y.value || rtt(x.value).getRank() < 2 ||
        rtt(y.value).getRank() != rtt(x.value).getRank()) {
      fail(e.range, "'@' on tensors of fewer than 2 or of different ranks");
      return {};
    }
    GV g;
    g.value = b.create<nn::MatmulOp>(l, tensorType(t), x.value, y.value);
    return g;
  }
  if (e.op == BinaryOp::And || e.op == BinaryOp::Or || e.op == BinaryOp::Mod) {
    fail(e.range, std::string("operator '") + spelling(e.op) + "'");
    return {};
  }
  bool cmp = e.op == BinaryOp::Lt || e.op == BinaryOp::Le ||
             e.op == BinaryOp::Gt || e.op == BinaryOp::Ge ||
             e.op == BinaryOp::Eq || e.op == BinaryOp::Ne;
  // Operand element type: the tensor operand's, or f64 for host numbers.
  mlir::Type elem = b.getF64Type();
  for (const GV *v : {&x, &y})
    if (v->value && rtt(v->value).getRank() > 0) {
      elem = rtt(v->value).getElementType();
      break;
    }
  if (!cmp && t.isTensor())
    elem = elementType(t.dtype);
  else if (cmp)
    for (const GV *v : {&x, &y})
      if (v->value) {
        elem = rtt(v->value).getElementType();
        break;
      }
  mlir::RankedTensorType resultType = tensorType(t);
  llvm::ArrayRef<int64_t> shape = resultType.getShape();
  // A tensor with the result's sizes, for dynamic fills and broadcasts.
  mlir::Value like;
  for (const GV *v : {&x, &y})
    if (v->value && rtt(v->value).getShape() == shape)
      like = v->value;
  mlir::Value a = coerce(x, elem, like, shape, l);
  mlir::Value c = coerce(y, elem, like, shape, l);
  if (!a || !c) {
    fail(e.range, "broadcasting both operands of '" +
                      std::string(spelling(e.op)) + "' at once");
    return {};
  }
  GV g;
  switch (e.op) {
  case BinaryOp::Add:
    g.value = b.create<nn::AddOp>(l, a, c);
    break;
  case BinaryOp::Sub:
    g.value = b.create<nn::SubOp>(l, a, c);
    break;
  case BinaryOp::Mul:
    g.value = b.create<nn::MulOp>(l, a, c);
    break;
  case BinaryOp::Div:
    g.value = b.create<nn::DivOp>(l, a, c);
    break;
  case BinaryOp::Pow:
    g.value = b.create<nn::PowOp>(l, a, c);
    break;
  default: {
    nn::CmpPredicate p = e.op == BinaryOp::Lt   ? nn::CmpPredicate::lt
                         : e.op == BinaryOp::Le ? nn::CmpPredicate::le
                         : e.op == BinaryOp::Gt ? nn::CmpPredicate::gt
                         : e.op == BinaryOp::Ge ? nn::CmpPredicate::ge
                         : e.op == BinaryOp::Eq ? nn::CmpPredicate::eq
                                                : nn::CmpPredicate::ne;
    g.value = b.create<nn::CmpOp>(
        l, mlir::RankedTensorType::get(shape, b.getI1Type()), p, a, c);
  }
  }
  return g;
}

GV Generator::call(const CallExpr &e, const Type *t) {
  if (host && body == &sema.getBodies().front())
    if (const auto *n = dyn_cast<NameExpr>(e.callee.get());
        n && n->name == "predictions")
      return hostPredictions(e);
  // A function or method: inline the instantiation Sema checked.
  auto callee = body->callees.find(&e);
  if (callee != body->callees.end()) {
    const CheckedBody &cb = *callee->second;
    std::vector<std::pair<std::string, GV>> args;
    for (const Arg &a : e.args) {
      GV v = expr(*a.value);
      if (failed)
        return {};
      args.push_back({a.name.name, v});
    }
    return inlineBody(cb, e.range, std::move(args));
  }
  // A builtin: `exp(x)`, `prim.tanh(x)`, or the method form `x.sum(dim=1)`.
  std::vector<std::pair<std::string, const Expr *>> args;
  std::string name;
  if (const auto *n = dyn_cast<NameExpr>(e.callee.get())) {
    name = n->name;
  } else if (const auto *m = dyn_cast<MemberExpr>(e.callee.get())) {
    name = m->member.name;
    const auto *base = dyn_cast<NameExpr>(m->base.get());
    if (!base || base->name != "prim")
      args.push_back({"", m->base.get()});
  } else {
    fail(e.range, "this call");
    return {};
  }
  for (const Arg &a : e.args)
    args.push_back({a.name.name, a.value.get()});
  return builtin(name, e, std::move(args), t);
}

GV Generator::inlineBody(const CheckedBody &cb, SourceRange at,
                         std::vector<std::pair<std::string, GV>> args) {
  const FnSignature &sig = *cb.signature;
  std::map<std::string, GV> frame;
  size_t pos = 0;
  for (auto &[name, v] : args) {
    if (name.empty()) {
      if (pos < sig.params.size())
        frame[sig.params[pos++].name.name] = v;
    } else {
      frame[name] = v;
    }
  }
  // Defaults are evaluated in the callee.
  const CheckedBody *savedBody = body;
  const ModelInstance *savedSelf = self;
  auto savedEnv = std::move(env);
  std::optional<GV> savedReturn = returned;
  body = &cb;
  self = cb.self;
  env.clear();
  env.push_back({});
  for (const Param &p : sig.params) {
    auto it = frame.find(p.name.name);
    if (it != frame.end()) {
      env.back()[p.name.name] = it->second;
      continue;
    }
    if (p.defaultValue) {
      const CheckedBody *inner = body;
      body = savedBody; // defaults were checked at the call site
      GV v = expr(*p.defaultValue);
      body = inner;
      env.back()[p.name.name] = v;
    }
  }
  returned.reset();
  for (const StmtPtr &s : sig.body) {
    if (failed || returned)
      break;
    stmt(*s);
  }
  GV result = returned ? *returned : GV();
  body = savedBody;
  self = savedSelf;
  env = std::move(savedEnv);
  returned = savedReturn;
  if (!failed && !result.ok())
    fail(at, "a function without a result");
  return result;
}

bool Generator::stmt(const Stmt &s) {
  switch (s.getKind()) {
  case Stmt::Kind::Let: {
    const auto &l = cast<LetStmt>(s);
    if (l.target.isTuple || !l.init)
      return fail(s.range, "this 'let'");
    GV v = expr(*l.init);
    env.back()[l.target.names[0].name] = v;
    return !failed;
  }
  case Stmt::Kind::Assign: {
    const auto &a = cast<AssignStmt>(s);
    const auto *n = dyn_cast<NameExpr>(a.target.get());
    if (!n)
      return fail(s.range, "this assignment");
    GV v;
    if (a.op == AssignOp::Set) {
      v = expr(*a.value);
    } else {
      // x op= e  ==  x = x op e, in the types Sema gave `e` and `x`.
      GV cur = lookup(n->name, n->range, nullptr);
      GV rhs = expr(*a.value);
      if (failed)
        return false;
      if (!cur.value)
        return fail(s.range, "compound assignment to a constant");
      mlir::Location l = loc(s.range);
      mlir::Value r = coerce(rhs, rtt(cur.value).getElementType(), cur.value,
                             rtt(cur.value).getShape(), l);
      if (!r)
        return fail(s.range, "this compound assignment");
      switch (a.op) {
      case AssignOp::Add:
        v.value = b.create<nn::AddOp>(l, cur.value, r);
        break;
      case AssignOp::Sub:
        v.value = b.create<nn::SubOp>(l, cur.value, r);
        break;
      case AssignOp::Mul:
        v.value = b.create<nn::MulOp>(l, cur.value, r);
        break;
      default:
        v.value = b.create<nn::DivOp>(l, cur.value, r);
      }
    }
    if (failed)
      return false;
    for (auto it = env.rbegin(); it != env.rend(); ++it)
      if (it->count(n->name)) {
        (*it)[n->name] = v;
        return true;
      }
    env.back()[n->name] = v;
    return true;
  }
  case Stmt::Kind::Return: {
    const auto &r = cast<ReturnStmt>(s);
    if (!r.value)
      return fail(s.range, "'return' without a value");
    returned = expr(*r.value);
    return !failed;
  }
  case Stmt::Kind::ExprS:
    expr(*cast<ExprStmt>(s).expr);
    return !failed;
  default:
    return fail(s.range, "this statement inside a training step");
  }
}

//===----------------------------------------------------------------------===//
// Builtins
//===----------------------------------------------------------------------===//

GV Generator::builtin(const std::string &name, const CallExpr &e,
                      std::vector<std::pair<std::string, const Expr *>> args,
                      const Type *t) {
  mlir::Location l = loc(e.range);
  std::vector<std::string> names = builtinParamNames(name);
  std::map<std::string, const Expr *> bound;
  size_t pos = 0;
  for (auto &[n, ex] : args) {
    if (n.empty()) {
      if (pos < names.size())
        bound[names[pos++]] = ex;
    } else {
      bound[n] = ex;
    }
  }
  auto arg = [&](const char *n) -> const Expr * {
    auto it = bound.find(n);
    return it == bound.end() ? nullptr : it->second;
  };
  auto tensorArg = [&](const char *n) -> mlir::Value {
    const Expr *ex = arg(n);
    if (!ex)
      return nullptr;
    GV v = expr(*ex);
    return v.value;
  };
  auto constArg = [&](const char *n) -> std::optional<double> {
    const Expr *ex = arg(n);
    if (!ex)
      return std::nullopt;
    auto c = body->consts.find(ex);
    if (c == body->consts.end())
      return std::nullopt;
    return c->second.kind == ConstVal::Kind::Float ? c->second.f
                                                   : double(c->second.i);
  };
  auto result = [&](mlir::Value v) {
    GV g;
    g.value = v;
    return g;
  };
  // A parameter is its initial value (`param(uniform(...))`).
  if (name == "param" && arg("init"))
    return expr(*arg("init"));
  if (!t || !t->isTensor()) {
    fail(e.range, "'" + name + "' here");
    return {};
  }
  mlir::RankedTensorType rt = tensorType(*t);

  // Elementwise math.
  using UnaryBuilder = std::function<mlir::Value(mlir::Value)>;
  std::map<std::string, UnaryBuilder> unary = {
      {"exp", [&](mlir::Value x) { return b.create<nn::ExpOp>(l, x); }},
      {"log", [&](mlir::Value x) { return b.create<nn::LogOp>(l, x); }},
      {"sqrt", [&](mlir::Value x) { return b.create<nn::SqrtOp>(l, x); }},
      {"tanh", [&](mlir::Value x) { return b.create<nn::TanhOp>(l, x); }},
      {"abs", [&](mlir::Value x) { return b.create<nn::AbsOp>(l, x); }},
      {"log1p", [&](mlir::Value x) { return b.create<nn::Log1pOp>(l, x); }},
      {"erf", [&](mlir::Value x) { return b.create<nn::ErfOp>(l, x); }},
  };
  if (auto u = unary.find(name); u != unary.end()) {
    mlir::Value x = tensorArg("x");
    if (failed || !x)
      return fail(e.range, "'" + name + "' of a number"), GV();
    return result(u->second(x));
  }
  if (name == "maximum" || name == "minimum" || name == "pow") {
    const Expr *ea = arg(name == "pow" ? "x" : "a");
    const Expr *eb = arg(name == "pow" ? "exponent" : "b");
    GV x = expr(*ea), y = expr(*eb);
    if (failed)
      return {};
    mlir::Value like;
    for (const GV *v : {&x, &y})
      if (v->value && rtt(v->value).getShape() == rt.getShape())
        like = v->value;
    mlir::Value a = coerce(x, rt.getElementType(), like, rt.getShape(), l);
    mlir::Value c = coerce(y, rt.getElementType(), like, rt.getShape(), l);
    if (!a || !c)
      return fail(e.range, "broadcasting both operands"), GV();
    if (name == "maximum")
      return result(b.create<nn::MaxOp>(l, a, c));
    if (name == "minimum")
      return result(b.create<nn::MinOp>(l, a, c));
    return result(b.create<nn::PowOp>(l, a, c));
  }
  if (name == "where") {
    mlir::Value cond = tensorArg("condition");
    GV x = expr(*arg("a")), y = expr(*arg("b"));
    if (failed || !cond)
      return {};
    mlir::Value like = cond;
    mlir::Value a = coerce(x, rt.getElementType(), like, rt.getShape(), l);
    mlir::Value c = coerce(y, rt.getElementType(), like, rt.getShape(), l);
    if (!a || !c || rtt(cond).getShape() != rt.getShape())
      return fail(e.range, "'where' with broadcasting"), GV();
    return result(b.create<nn::SelectOp>(l, rt, cond, a, c));
  }
  // Reductions.
  if (name == "sum" || name == "mean" || name == "max" || name == "argmax") {
    mlir::Value x = tensorArg("x");
    if (failed || !x)
      return {};
    llvm::SmallVector<int64_t> dims;
    if (auto d = constArg("dim")) {
      int64_t k = static_cast<int64_t>(*d);
      dims.push_back(k < 0 ? k + rtt(x).getRank() : k);
    } else {
      for (int64_t i = 0; i < rtt(x).getRank(); ++i)
        dims.push_back(i);
    }
    bool keepdim = constArg("keepdim").value_or(0) != 0;
    auto dimsAttr = b.getDenseI64ArrayAttr(dims);
    if (name == "argmax")
      return result(
          b.create<nn::ArgmaxOp>(l, rt, x, dimsAttr, b.getBoolAttr(keepdim)));
    if (name == "max")
      return result(b.create<nn::ReduceMaxOp>(l, rt, x, dimsAttr,
                                              b.getBoolAttr(keepdim)));
    mlir::Value s =
        b.create<nn::ReduceSumOp>(l, rt, x, dimsAttr, b.getBoolAttr(keepdim));
    if (name == "sum")
      return result(s);
    GV n = count(x, dims, l);
    mlir::Value d = coerce(n, rt.getElementType(), s, rt.getShape(), l);
    if (!d)
      return fail(e.range, "'mean' here"), GV();
    return result(b.create<nn::DivOp>(l, s, d));
  }
  // Shapes.
  if (name == "transpose") {
    mlir::Value x = tensorArg("x");
    if (failed || !x)
      return {};
    int64_t r = rtt(x).getRank();
    int64_t d0 = static_cast<int64_t>(constArg("dim0").value_or(-2));
    int64_t d1 = static_cast<int64_t>(constArg("dim1").value_or(-1));
    d0 = d0 < 0 ? d0 + r : d0;
    d1 = d1 < 0 ? d1 + r : d1;
    llvm::SmallVector<int64_t> perm;
    for (int64_t i = 0; i < r; ++i)
      perm.push_back(i);
    std::swap(perm[d0], perm[d1]);
    return result(
        b.create<nn::TransposeOp>(l, rt, x, b.getDenseI64ArrayAttr(perm)));
  }
  if (name == "flatten" || name == "reshape" || name == "view" ||
      name == "squeeze" || name == "unsqueeze") {
    mlir::Value x = tensorArg("x");
    if (failed || !x)
      return {};
    if (rt.getNumDynamicDims() > 1)
      return fail(e.range, "'" + name + "' with several unknown sizes"), GV();
    return result(b.create<nn::ReshapeOp>(l, rt, x));
  }
  if (name == "one_hot") {
    mlir::Value y = tensorArg("y");
    if (failed || !y)
      return {};
    // Labels that come straight from a function argument (a batch) are
    // checked against the class count by the host before the call.
    if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(y))
      if (auto fn =
              llvm::dyn_cast<mlir::func::FuncOp>(arg.getOwner()->getParentOp());
          fn && arg.getOwner()->isEntryBlock() && rt.getRank() >= 1 &&
          !rt.isDynamicDim(rt.getRank() - 1))
        labelChecks[fn.getName().str()].insert(
            {arg.getArgNumber(), rt.getDimSize(rt.getRank() - 1)});
    return result(b.create<nn::OneHotOp>(l, rt, y));
  }
  if (name == "zeros_like" || name == "ones_like") {
    mlir::Value x = tensorArg("x");
    if (failed || !x)
      return {};
    return result(fill(name == "zeros_like" ? 0.0 : 1.0, rt, x, l));
  }
  if (name == "uniform" || name == "rand" || name == "normal" ||
      name == "randn") {
    bool uniform = name == "uniform" || name == "rand";
    double a = uniform ? 0.0 : 0.0, bnd = 1.0;
    if (name == "uniform") {
      auto lo = constArg("low"), hi = constArg("high");
      if (!lo || !hi)
        return fail(e.range, "random bounds known only at run time"), GV();
      a = *lo;
      bnd = *hi;
    } else if (name == "normal") {
      a = constArg("mean").value_or(0.0);
      bnd = constArg("std").value_or(1.0);
    }
    if (!rt.hasStaticShape())
      return fail(e.range, "a random tensor of unknown size"), GV();
    auto dist = uniform ? nn::RandomDistribution::uniform
                        : nn::RandomDistribution::normal;
    return result(b.create<nn::RandomOp>(
        l, rt, nn::RandomDistributionAttr::get(&ctx, dist),
        b.getF64FloatAttr(a), b.getF64FloatAttr(bnd),
        b.getI64IntegerAttr(nextStream++)));
  }
  if (name == "dropout") {
    // Training mode only inside the loss of a step (PyTorch's train() and
    // eval() decided by where the code runs).
    mlir::Value x = tensorArg("x");
    if (failed || !x)
      return {};
    auto p = constArg("p");
    if (!p)
      return fail(e.range, "a dropout probability known only at run time"),
             GV();
    if (!dropoutStep || *p == 0.0)
      return result(x);
    return result(b.create<nn::DropoutOp>(l, x.getType(), x, dropoutStep,
                                          b.getF64FloatAttr(*p),
                                          b.getI64IntegerAttr(nextStream++)));
  }
  if (name == "zeros" || name == "ones" || name == "full") {
    double v = name == "zeros"  ? 0.0
               : name == "ones" ? 1.0
                                : constArg("value").value_or(0.0);
    if (name == "full" && !constArg("value"))
      return fail(e.range, "a fill value known only at run time"), GV();
    if (!rt.hasStaticShape())
      return fail(e.range, "'" + name + "' of unknown size"), GV();
    return result(fill(v, rt, {}, l));
  }
  if (name == "to") {
    // One device per step for now: the move is the identity.
    mlir::Value x = tensorArg("x");
    if (failed || !x)
      return {};
    return result(x);
  }
  fail(e.range, "'" + name + "' inside a training step");
  return {};
}

//===----------------------------------------------------------------------===//
// Training steps
//===----------------------------------------------------------------------===//

bool sameType(const Type &a, const Type &b) {
  if (a.kind != b.kind || a.dtype != b.dtype ||
      a.shape.size() != b.shape.size())
    return false;
  for (size_t i = 0; i < a.shape.size(); ++i)
    if (a.shape[i] != b.shape[i])
      return false;
  return true;
}

/// Names of tensors used by `e` that are not model parameters: the inputs.
void freeTensors(const Expr &e, const CheckedBody &body,
                 std::vector<std::pair<std::string, const Expr *>> &out) {
  if (const auto *n = dyn_cast<NameExpr>(&e)) {
    auto t = body.types.find(&e);
    if (t != body.types.end() && t->second.isTensor())
      for (auto &o : out)
        if (o.first == n->name)
          return;
    if (t != body.types.end() && t->second.isTensor())
      out.push_back({n->name, &e});
    return;
  }
  if (const auto *c = dyn_cast<CallExpr>(&e)) {
    if (const auto *m = dyn_cast<MemberExpr>(c->callee.get()))
      freeTensors(*m->base, body, out);
    for (const Arg &a : c->args)
      freeTensors(*a.value, body, out);
    return;
  }
  if (const auto *b = dyn_cast<BinaryExpr>(&e)) {
    freeTensors(*b->lhs, body, out);
    freeTensors(*b->rhs, body, out);
    return;
  }
  if (const auto *u = dyn_cast<UnaryExpr>(&e))
    return freeTensors(*u->operand, body, out);
  if (const auto *c = dyn_cast<CastExpr>(&e))
    return freeTensors(*c->operand, body, out);
  if (const auto *m = dyn_cast<MemberExpr>(&e))
    return freeTensors(*m->base, body, out);
}

bool Generator::generateStep(const StepExpr &step, unsigned k) {
  const CheckedBody &script = sema.getBodies().front();
  auto ot = script.types.find(step.optimizer.get());
  if (ot == script.types.end() || !ot->second.optimizer)
    return fail(step.range, "this 'step'");
  const OptimizerInstance *opt = ot->second.optimizer;
  const ModelInstance *model = optimizerModel(opt);
  std::string root = modelPath(model);
  auto modelParams = modelParameters(model);
  std::vector<std::pair<std::string, const Expr *>> inputs;
  freeTensors(*step.loss, script, inputs);
  mlir::Location l = loc(step.range);

  // @loss_k
  llvm::SmallVector<mlir::Type> argTypes;
  for (auto &[n, t] : modelParams)
    argTypes.push_back(tensorType(t));
  for (auto &[n, ex] : inputs)
    argTypes.push_back(tensorType(script.types.at(ex)));
  // The step count, for dropout; removed below if the loss has none.
  auto f64Scalar = mlir::RankedTensorType::get({}, b.getF64Type());
  argTypes.push_back(f64Scalar);
  auto f32Scalar = mlir::RankedTensorType::get({}, b.getF32Type());
  std::string lossName = "loss_" + std::to_string(k);
  b.setInsertionPointToEnd(module.getBody());
  auto lossFn = b.create<mlir::func::FuncOp>(
      l, lossName, b.getFunctionType(argTypes, {f32Scalar}));
  lossFn->setAttr("nn.differentiate", b.getUnitAttr());
  lossFn.setPrivate(); // inlined into @step_k, then removed
  for (size_t i = 0; i < modelParams.size(); ++i)
    lossFn.setArgAttr(i, "nn.wrt", b.getUnitAttr());
  mlir::Block *entry = lossFn.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  params.clear();
  for (size_t i = 0; i < modelParams.size(); ++i)
    params[root + "." + modelParams[i].first] = entry->getArgument(i);
  env.assign(1, {});
  for (size_t i = 0; i < inputs.size(); ++i) {
    GV g;
    g.value = entry->getArgument(modelParams.size() + i);
    env.back()[inputs[i].first] = g;
  }
  body = &script;
  self = nullptr;
  dropoutStep = entry->getArgument(argTypes.size() - 1);
  GV loss = expr(*step.loss);
  dropoutStep = nullptr;
  if (failed)
    return false;
  bool usesStep = !entry->getArgument(argTypes.size() - 1).use_empty();
  if (!usesStep) {
    lossFn.eraseArgument(argTypes.size() - 1);
    argTypes.pop_back();
  }
  mlir::Value lossValue = loss.value;
  if (!lossValue)
    return fail(step.loss->range, "a loss that is a constant");
  if (rtt(lossValue).getElementType() != b.getF32Type())
    lossValue = b.create<nn::CastOp>(l, f32Scalar, lossValue);
  b.create<mlir::func::ReturnOp>(l, lossValue);

  // The optimizer: its update body per parameter type, its state names.
  const OptimizerDecl *od = optimizerDecl(opt);
  std::vector<const OptimizerMember *> states;
  const FnSignature *update = nullptr;
  for (const OptimizerMember &m : od->members) {
    if (m.kind == OptimizerMember::Kind::State)
      states.push_back(&m);
    if (m.kind == OptimizerMember::Kind::Method && m.name.name == "update")
      update = m.method.get();
  }
  auto updateBody = [&](const Type &pt) -> const CheckedBody * {
    for (const CheckedBody &cb : sema.getBodies())
      if (cb.optimizer == opt && sameType(cb.paramType, pt))
        return &cb;
    return nullptr;
  };
  if (!update)
    return fail(step.range, "an optimizer without 'update'");

  // @init_state_k(params...) -> state...
  llvm::SmallVector<mlir::Type> paramTypes(
      argTypes.begin(), argTypes.begin() + modelParams.size());
  llvm::SmallVector<mlir::Type> stateTypes;
  for (size_t i = 0; i < modelParams.size(); ++i)
    for (size_t s = 0; s < states.size(); ++s)
      stateTypes.push_back(paramTypes[i]);
  b.setInsertionPointToEnd(module.getBody());
  auto initFn =
      b.create<mlir::func::FuncOp>(l, "init_state_" + std::to_string(k),
                                   b.getFunctionType(paramTypes, stateTypes));
  entry = initFn.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  llvm::SmallVector<mlir::Value> initValues;
  for (size_t i = 0; i < modelParams.size(); ++i) {
    const CheckedBody *cb = updateBody(modelParams[i].second);
    if (!cb)
      return fail(step.range, "this optimizer's update");
    body = cb;
    self = nullptr;
    env.assign(1, {});
    GV p;
    p.value = entry->getArgument(i);
    env.back()[update->params[0].name.name] = p;
    for (const OptimizerMember *s : states) {
      GV v = expr(*s->value);
      if (failed)
        return false;
      mlir::Value sv = coerce(v, rtt(p.value).getElementType(), p.value,
                              rtt(p.value).getShape(), loc(s->range));
      if (!sv || sv.getType() != paramTypes[i])
        return fail(s->range, "optimizer state of another shape than the "
                              "parameter");
      initValues.push_back(sv);
    }
  }
  b.create<mlir::func::ReturnOp>(l, initValues);

  // @step_k(params..., state..., inputs..., t) -> (loss, params'..., state'...)
  llvm::SmallVector<mlir::Type> stepArgs(paramTypes);
  stepArgs.append(stateTypes);
  for (auto &[n, ex] : inputs)
    stepArgs.push_back(tensorType(script.types.at(ex)));
  stepArgs.push_back(f64Scalar);
  llvm::SmallVector<mlir::Type> stepResults{f32Scalar};
  stepResults.append(paramTypes);
  stepResults.append(stateTypes);
  b.setInsertionPointToEnd(module.getBody());
  auto stepFn = b.create<mlir::func::FuncOp>(
      l, "step_" + std::to_string(k), b.getFunctionType(stepArgs, stepResults));
  entry = stepFn.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  size_t np = modelParams.size(), ns = states.size();
  llvm::SmallVector<mlir::Value> gradArgs;
  for (size_t i = 0; i < np; ++i)
    gradArgs.push_back(entry->getArgument(i));
  for (size_t i = 0; i < inputs.size(); ++i)
    gradArgs.push_back(entry->getArgument(np + np * ns + i));
  if (usesStep)
    gradArgs.push_back(entry->getArgument(stepArgs.size() - 1));
  llvm::SmallVector<mlir::Type> gradResults{f32Scalar};
  gradResults.append(paramTypes);
  // Declared here, defined by nn-autodiff.
  {
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    auto decl = b.create<mlir::func::FuncOp>(
        l, lossName + "_grad", b.getFunctionType(argTypes, gradResults));
    decl.setPrivate();
  }
  auto grads = b.create<mlir::func::CallOp>(l, lossName + "_grad", gradResults,
                                            gradArgs);
  mlir::Value t = entry->getArgument(stepArgs.size() - 1);
  llvm::SmallVector<mlir::Value> newParams, newStates;
  for (size_t i = 0; i < np; ++i) {
    const CheckedBody *cb = updateBody(modelParams[i].second);
    body = cb;
    self = nullptr;
    env.assign(1, {});
    auto bind = [&](const std::string &name, mlir::Value v) {
      GV g;
      g.value = v;
      env.back()[name] = g;
    };
    bind(update->params[0].name.name, entry->getArgument(i));
    bind(update->params[1].name.name, grads.getResult(1 + i));
    if (update->params.size() == 3)
      bind(update->params[2].name.name, t);
    for (size_t s = 0; s < ns; ++s)
      bind(states[s]->name.name, entry->getArgument(np + i * ns + s));
    for (const StmtPtr &st : update->body) {
      stmt(*st);
      if (failed)
        return false;
    }
    newParams.push_back(env.back()[update->params[0].name.name].value);
    for (size_t s = 0; s < ns; ++s)
      newStates.push_back(env.back()[states[s]->name.name].value);
  }
  llvm::SmallVector<mlir::Value> outs{grads.getResult(0)};
  outs.append(newParams);
  outs.append(newStates);
  for (size_t i = 0; i < outs.size(); ++i)
    if (!outs[i] || outs[i].getType() != stepResults[i])
      return fail(update->range, "an update that changes a parameter's type");
  b.create<mlir::func::ReturnOp>(l, outs);
  return true;
}

bool Generator::generateInit(const std::string &name,
                             const ModelInstance *model, SourceRange at) {
  mlir::Location l = loc(at);
  auto params = modelParameters(model);
  auto owners = modelParameterOwners(model);
  llvm::SmallVector<mlir::Type> types;
  for (auto &[n, t] : params)
    types.push_back(tensorType(t));
  b.setInsertionPointToEnd(module.getBody());
  auto fn = b.create<mlir::func::FuncOp>(l, "init_" + name,
                                         b.getFunctionType({}, types));
  mlir::Block *entry = fn.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  llvm::SmallVector<mlir::Value> values;
  for (size_t i = 0; i < params.size(); ++i) {
    const ParameterOwner &o = owners[i];
    const CheckedBody *cb = sema.constructionBody(o.owner);
    const ModelMember *member = nullptr;
    for (const ModelMember &m : modelDecl(o.owner)->members)
      if (m.kind == ModelMember::Kind::Field && m.name.name == o.field)
        member = &m;
    if (!cb || !member)
      return fail(at, "initialising '" + params[i].first + "'");
    body = cb;
    self = o.owner;
    env.assign(1, {});
    GV v = expr(*member->value);
    if (failed)
      return false;
    if (!v.value || v.value.getType() != types[i])
      return fail(member->value->range, "this initialiser");
    values.push_back(v.value);
  }
  b.create<mlir::func::ReturnOp>(l, values);
  return true;
}

bool Generator::generateEvaluate(const EvaluateExpr &e, unsigned k) {
  const CheckedBody &script = sema.getBodies().front();
  mlir::Location l = loc(e.range);
  auto ev = script.evaluations.find(&e);
  auto mt = script.types.find(e.model.get());
  auto dt = script.types.find(e.data.get());
  if (ev == script.evaluations.end() || mt == script.types.end() ||
      dt == script.types.end() || !ev->second.forward)
    return fail(e.range, "this 'evaluate'");
  const ModelInstance *model = mt->second.model;
  std::string root = modelPath(model);
  auto modelParams = modelParameters(model);
  // The batch types: a dataset is evaluated in batches of any size.
  std::vector<Type> batch = dt->second.elems;
  if (dt->second.kind == Type::Kind::Dataset)
    for (Type &t : batch)
      t.shape.insert(t.shape.begin(), Dim::unknown());
  llvm::SmallVector<mlir::Type> argTypes;
  for (auto &[n, t] : modelParams)
    argTypes.push_back(tensorType(t));
  argTypes.push_back(tensorType(batch[0]));
  argTypes.push_back(tensorType(batch[1]));
  auto f32Scalar = mlir::RankedTensorType::get({}, b.getF32Type());
  llvm::SmallVector<mlir::Type> results(e.metrics.size(), f32Scalar);
  b.setInsertionPointToEnd(module.getBody());
  auto fn = b.create<mlir::func::FuncOp>(l, "eval_" + std::to_string(k),
                                         b.getFunctionType(argTypes, results));
  mlir::Block *entry = fn.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  params.clear();
  for (size_t i = 0; i < modelParams.size(); ++i)
    params[root + "." + modelParams[i].first] = entry->getArgument(i);
  GV x, y;
  x.value = entry->getArgument(modelParams.size());
  y.value = entry->getArgument(modelParams.size() + 1);
  env.assign(1, {});
  GV out = inlineBody(*ev->second.forward, e.model->range, {{"", x}});
  if (failed)
    return false;
  llvm::SmallVector<mlir::Value> values;
  for (size_t i = 0; i < e.metrics.size(); ++i) {
    const CheckedBody *mb =
        i < ev->second.metrics.size() ? ev->second.metrics[i] : nullptr;
    if (!mb)
      return fail(e.metrics[i].name.range, "a builtin function as a metric");
    GV m = inlineBody(*mb, e.metrics[i].name.range, {{"", out}, {"", y}});
    if (failed)
      return false;
    mlir::Value v = m.value ? m.value : fill(m.constant, f32Scalar, {}, l);
    if (rtt(v).getElementType() != b.getF32Type() || rtt(v).getRank() != 0)
      v = b.create<nn::CastOp>(l, f32Scalar, v);
    values.push_back(v);
  }
  b.create<mlir::func::ReturnOp>(l, values);
  return true;
}

bool Generator::checkStaticMemory(const Program &main) {
  constexpr uint64_t tooMuch = ~uint64_t(0);
  // Saturating: a size past 2^64 bytes stays "too much".
  auto bytesOf = [&](mlir::MemRefType t) -> uint64_t {
    if (!t.hasStaticShape())
      return 0;
    uint64_t n = std::max<uint64_t>(1, (t.getElementTypeBitWidth() + 7) / 8);
    for (int64_t d : t.getShape())
      if (__builtin_mul_overflow(n, uint64_t(d), &n))
        return tooMuch;
    return n;
  };
  uint64_t total = 0;
  std::map<std::string, uint64_t> perModel; // model variable -> bytes
  for (auto g : module.getOps<mlir::memref::GlobalOp>()) {
    if (g.isExternal())
      continue;
    uint64_t n = bytesOf(g.getType());
    if (__builtin_add_overflow(total, n, &total))
      total = tooMuch;
    std::string name = g.getSymName().str();
    if (paramGlobals.count(name)) {
      uint64_t &m = perModel[name.substr(0, name.find('.'))];
      if (__builtin_add_overflow(m, n, &m))
        m = tooMuch;
    }
  }
  uint64_t machine = rt::physicalMemoryBytes();
  if (total <= machine)
    return true;
  // Point at the model with the most parameters, else at the script.
  SourceRange at;
  std::string biggest;
  uint64_t most = 0;
  for (const StmtPtr &s : main.items)
    if (modelCreatedBy(*s)) {
      std::string var = cast<LetStmt>(*s).target.names[0].name;
      if (perModel[var] >= most) {
        most = perModel[var];
        biggest = var;
        at = s->range;
      }
    }
  auto amount = [&](uint64_t n) {
    return n == tooMuch
               ? std::string("more than 2^64 bytes")
               : std::to_string(n) + " bytes (" + rt::humanBytes(n) + ")";
  };
  auto d = diags.error(at, "out of memory: the program needs " + amount(total) +
                               " for its parameters, optimizer state and "
                               "values kept between statements, but this "
                               "machine has " +
                               rt::humanBytes(machine));
  if (!biggest.empty())
    d.note({}, "'" + biggest + "' alone needs " + amount(most) +
                   " for its parameters");
  d.note({}, "smaller layers (or fewer of them) make the program fit");
  failed = true;
  return false;
}

mlir::OwningOpRef<mlir::ModuleOp> Generator::run(const Program &main) {
  mlir::OwningOpRef<mlir::ModuleOp> owned =
      mlir::ModuleOp::create(loc({main.file, 0, 0}));
  module = *owned;
  ScriptSites sites;
  sites.block(main.items);
  // @init_<name> for every model bound at the top level.
  for (const StmtPtr &s : main.items)
    if (const ModelInstance *m = modelCreatedBy(*s))
      if (!generateInit(cast<LetStmt>(*s).target.names[0].name, m, s->range))
        return nullptr;
  for (size_t k = 0; k < sites.steps.size(); ++k)
    if (!generateStep(*sites.steps[k], static_cast<unsigned>(k)))
      return nullptr;
  for (size_t k = 0; k < sites.evaluations.size(); ++k)
    if (!generateEvaluate(*sites.evaluations[k], static_cast<unsigned>(k)))
      return nullptr;
  if (hostProgram && !generateHost(main, sites))
    return nullptr;
  if (!checkStaticMemory(main))
    return nullptr;
  if (mlir::failed(mlir::verify(module))) {
    diags.error({}, "internal error: the generated IR does not verify");
    return nullptr;
  }
  return owned;
}

} // namespace nnc::gen

mlir::OwningOpRef<mlir::ModuleOp>
nnc::generateMLIR(mlir::MLIRContext &ctx, const Program &main, const Sema &sema,
                  const SourceManager &sm, DiagnosticEngine &diags,
                  bool hostProgram) {
  registerDialects(ctx);
  gen::Generator gen(ctx, sema, sm, diags);
  gen.hostProgram = hostProgram;
  return gen.run(main);
}
