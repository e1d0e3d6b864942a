//===- Calls.cpp - Calls, signatures, models and optimizers
//----------------===//
//
// A call binds its arguments to the callee's parameters (by position, then by
// name), matches each against the declared parameter type - binding shape
// variables such as `B` on first sight - and then checks the callee's body
// with those types, once per distinct signature. Models are instantiated
// with compile-time constructor arguments; an optimizer's `update` is checked
// once per distinct parameter shape of the model it optimizes.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <tuple>

using namespace nnc;
using llvm::cast;
using llvm::dyn_cast;
using llvm::isa;

namespace {
/// Restores the checker's position (scope, body) when it goes out of scope.
struct SaveState {
  SaveState(Scope *&scope, BodyContext *&ctx, ModelInstance *&def)
      : scopeRef(scope), ctxRef(ctx), defRef(def), scope(scope), ctx(ctx),
        def(def) {}
  ~SaveState() {
    scopeRef = scope;
    ctxRef = ctx;
    defRef = def;
  }
  Scope *&scopeRef;
  BodyContext *&ctxRef;
  ModelInstance *&defRef;
  Scope *scope;
  BodyContext *ctx;
  ModelInstance *def;
};

bool alwaysReturns(const Block &b) {
  for (const StmtPtr &s : b) {
    if (isa<ReturnStmt>(s.get()))
      return true;
    if (const auto *i = dyn_cast<IfStmt>(s.get()))
      if (i->hasElse && alwaysReturns(i->thenBody) &&
          alwaysReturns(i->elseBody))
        return true;
  }
  return false;
}

std::string ordinalDim(size_t i) { return "dimension " + std::to_string(i); }
} // namespace

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

std::vector<ArgValue> SemaImpl::evalArgs(const std::vector<Arg> &args) {
  std::vector<ArgValue> out;
  for (const Arg &a : args) {
    ArgValue av;
    av.name = a.name.name;
    av.nameRange = a.name.range;
    av.value = checkExpr(*a.value);
    out.push_back(std::move(av));
  }
  return out;
}

bool SemaImpl::bindArgs(const std::string &calleeName, SourceRange calleeRange,
                        const std::vector<std::string> &paramNames,
                        const std::vector<bool> &required,
                        const std::vector<ArgValue> &args,
                        std::vector<const ArgValue *> &bound,
                        SourceRange callRange, SourceRange declRange,
                        size_t implicitArgs) {
  bound.assign(paramNames.size(), nullptr);
  bool ok = true;
  bool sawNamed = false;
  size_t pos = 0;
  auto declNote = [&](DiagnosticEngine::Builder &d) {
    if (declRange.isValid())
      d.note(declRange, "'" + calleeName + "' is declared here");
  };
  for (const ArgValue &a : args) {
    if (a.name.empty()) {
      if (sawNamed) {
        error(a.value.range, "positional argument after a named argument in "
                             "call to '" +
                                 calleeName + "'");
        ok = false;
        continue;
      }
      if (pos >= paramNames.size()) {
        auto d = error(
            a.value.range,
            "too many arguments to '" + calleeName + "': it takes " +
                std::to_string(paramNames.size() + implicitArgs) + ", but " +
                std::to_string(implicitArgs +
                               std::count_if(args.begin(), args.end(),
                                             [](const ArgValue &x) {
                                               return x.name.empty();
                                             })) +
                " were given");
        d.range(calleeRange);
        declNote(d);
        return false;
      }
      bound[pos++] = &a;
      continue;
    }
    sawNamed = true;
    auto it = std::find(paramNames.begin(), paramNames.end(), a.name);
    if (it == paramNames.end()) {
      auto d =
          error(a.nameRange,
                "'" + calleeName + "' has no parameter named '" + a.name + "'");
      d.range(calleeRange);
      std::vector<std::string> names(paramNames.begin(), paramNames.end());
      std::string guess;
      {
        unsigned best = 3;
        for (const std::string &n : names) {
          unsigned dist = 0;
          // cheap similarity: shared prefix or small length difference
          size_t common = 0;
          while (common < n.size() && common < a.name.size() &&
                 n[common] == a.name[common])
            ++common;
          dist =
              static_cast<unsigned>(std::max(n.size(), a.name.size()) - common);
          if (dist < best) {
            best = dist;
            guess = n;
          }
        }
      }
      if (!guess.empty())
        d.note(a.nameRange, "did you mean '" + guess + "'?");
      declNote(d);
      ok = false;
      continue;
    }
    size_t idx = static_cast<size_t>(it - paramNames.begin());
    if (bound[idx]) {
      error(a.nameRange,
            "argument '" + a.name + "' of '" + calleeName + "' is given twice")
          .note(bound[idx]->value.range, "first given here");
      ok = false;
      continue;
    }
    bound[idx] = &a;
  }
  if (!ok)
    return false;
  for (size_t i = 0; i < paramNames.size(); ++i) {
    if (!bound[i] && required[i]) {
      SourceRange at = callRange;
      if (at.isValid() && at.end > at.begin)
        at.begin = at.end - 1;
      auto d = error(at, "missing argument '" + paramNames[i] +
                             "' in call to '" + calleeName + "'");
      d.range(calleeRange);
      declNote(d);
      return false;
    }
  }
  return true;
}

bool SemaImpl::bindParams(const std::string &calleeName,
                          SourceRange calleeRange,
                          const std::vector<Param> &params,
                          const std::vector<ArgValue> &args,
                          std::vector<const ArgValue *> &bound,
                          SourceRange callRange, SourceRange declRange,
                          size_t implicitArgs) {
  std::vector<std::string> names;
  std::vector<bool> required;
  for (const Param &p : params) {
    names.push_back(p.name.name);
    required.push_back(!p.defaultValue);
  }
  return bindArgs(calleeName, calleeRange, names, required, args, bound,
                  callRange, declRange, implicitArgs);
}

//===----------------------------------------------------------------------===//
// Call expressions
//===----------------------------------------------------------------------===//

Value SemaImpl::checkCall(const CallExpr &e) {
  // x.sum(dim = 1), x.to(cuda), net.forward(x), prim.tanh(x)
  if (const auto *m = dyn_cast<MemberExpr>(e.callee.get())) {
    bool isPrim = false;
    if (const auto *n = dyn_cast<NameExpr>(m->base.get())) {
      Symbol *sym = scope->lookup(n->name);
      isPrim = sym && sym->kind == Symbol::Kind::Namespace;
    }
    if (!isPrim) {
      Value base = checkExpr(*m->base);
      if (base.isError()) {
        evalArgs(e.args);
        return Value::error(e.range);
      }
      bool hasMember = false;
      if (base.type.kind == Type::Kind::Model) {
        const ModelInstance *inst = base.type.model;
        hasMember = inst->methods.count(m->member.name) ||
                    inst->scope->lookupLocal(m->member.name);
      } else if (base.type.kind == Type::Kind::Record) {
        hasMember = true;
      }
      if (!hasMember) {
        for (const Builtin &b : builtinTable()) {
          if (b.name == m->member.name && b.method) {
            std::vector<ArgValue> args;
            args.push_back({"", {}, base});
            for (ArgValue &a : evalArgs(e.args))
              args.push_back(std::move(a));
            return callBuiltin(b, std::move(args), e.range, m->member.range);
          }
        }
        if (base.type.isTensor() || base.type.kind == Type::Kind::Dataset ||
            base.type.isHostNumber()) {
          error(m->member.range, quoted(base) + " of type " +
                                     typeStr(base.type) + " has no method '" +
                                     m->member.name + "'");
          evalArgs(e.args);
          return Value::error(e.range);
        }
      }
    }
  }
  Value callee = checkExpr(*e.callee);
  std::vector<ArgValue> args = evalArgs(e.args);
  if (callee.isError())
    return Value::error(e.range);
  for (const ArgValue &a : args)
    if (a.value.isError())
      return Value::error(e.range);
  for (const ArgValue &a : args)
    if (a.value.type.kind == Type::Kind::Void) {
      error(a.value.range, quoted(a.value) + " does not produce a value");
      return Value::error(e.range);
    }
  pendingCall = &e;
  Value v = callValue(callee, std::move(args), e.range);
  pendingCall = nullptr;
  return v;
}

Value SemaImpl::callValue(const Value &callee, std::vector<ArgValue> args,
                          SourceRange callRange) {
  if (callee.type.kind == Type::Kind::Model) {
    ModelInstance *inst = const_cast<ModelInstance *>(callee.type.model);
    auto it = inst->methods.find("forward");
    if (it == inst->methods.end()) {
      error(callee.range, "model '" + inst->decl->name.name +
                              "' cannot be called: it has no 'forward'")
          .note(inst->decl->name.range,
                "'" + inst->decl->name.name + "' is defined here");
      return Value::error(callRange);
    }
    return callFunction(*it->second, std::move(args), callRange, callee.range);
  }
  if (callee.type.kind != Type::Kind::Function || !callee.type.callable) {
    error(callee.range, quoted(callee) + " of type " + typeStr(callee.type) +
                            " is not callable");
    return Value::error(callRange);
  }
  const Callable &c = *callee.type.callable;
  switch (c.kind) {
  case Callable::Kind::Builtin:
    return callBuiltin(*c.builtin, std::move(args), callRange, callee.range);
  case Callable::Kind::Fn:
  case Callable::Kind::Method:
    return callFunction(c, std::move(args), callRange, callee.range);
  case Callable::Kind::ModelClass:
    return instantiateModel(*c.modelDecl, std::move(args), callRange,
                            callee.range);
  case Callable::Kind::OptimizerClass:
    return instantiateOptimizer(*c.optimizerDecl, std::move(args), callRange,
                                callee.range);
  }
  return Value::error(callRange);
}

Value SemaImpl::callBuiltin(const Builtin &b, std::vector<ArgValue> args,
                            SourceRange callRange, SourceRange calleeRange) {
  std::vector<const Value *> bound;
  if (b.variadic) {
    for (const ArgValue &a : args) {
      if (!a.name.empty()) {
        error(a.nameRange, "'" + b.name + "' takes no named arguments");
        return Value::error(callRange);
      }
      bound.push_back(&a.value);
    }
  } else {
    std::vector<std::string> names;
    std::vector<bool> required;
    for (const Builtin::Param &p : b.params) {
      names.push_back(p.name);
      required.push_back(p.required);
    }
    std::vector<const ArgValue *> slots;
    if (!bindArgs(b.name, calleeRange, names, required, args, slots, callRange,
                  {}))
      return Value::error(callRange);
    for (const ArgValue *a : slots)
      bound.push_back(a ? &a->value : nullptr);
  }
  for (const Value *a : bound)
    if (a && a->isError())
      return Value::error(callRange);
  Value v = b.rule(*this, bound, args, callRange, calleeRange);
  v.range = callRange;
  return v;
}

//===----------------------------------------------------------------------===//
// Written types and shape variables
//===----------------------------------------------------------------------===//

Dim SemaImpl::resolveDim(const Expr &e, bool bind, SourceRange &origin) {
  origin = e.range;
  if (const auto *lit = dyn_cast<IntLitExpr>(&e))
    return Dim::constant(lit->value);
  if (const auto *n = dyn_cast<NameExpr>(&e)) {
    if (n->name == "_")
      return Dim::unknown();
    if (ctx) {
      auto it = ctx->shapeVars.find(n->name);
      if (it != ctx->shapeVars.end()) {
        origin = it->second.second;
        return it->second.first;
      }
    }
    if (Symbol *sym = scope->lookup(n->name)) {
      if (sym->cv.kind == ConstVal::Kind::Int) {
        origin = sym->cv.origin.isValid() ? sym->cv.origin : sym->declRange;
        return Dim::constant(sym->cv.i);
      }
      if (sym->type.kind == Type::Kind::Int)
        return Dim::unknown();
    }
    // An unbound name is a shape variable.
    if (bind && ctx) {
      Dim d = Dim::symbol(newSymbol(n->name));
      ctx->shapeVars[n->name] = {d, e.range};
      return d;
    }
    return Dim::unknown();
  }
  // Arithmetic on constants: `hidden * 2`.
  Value v = checkExpr(e);
  if (!v.isError() && v.type.kind == Type::Kind::Int && v.cv.isKnown())
    return Dim::constant(v.cv.i);
  if (!v.isError() && v.type.kind != Type::Kind::Int)
    error(e.range, "a dimension must be an integer, but " + quoted(v) + " is " +
                       typeStr(v.type));
  return Dim::unknown();
}

std::optional<Type> SemaImpl::resolveType(const TypeExpr &t, bool bind) {
  switch (t.kind) {
  case TypeExpr::Kind::Tuple: {
    std::vector<Type> elems;
    for (const TypeExprPtr &e : t.elems) {
      std::optional<Type> et = resolveType(*e, bind);
      if (!et)
        return std::nullopt;
      elems.push_back(*et);
    }
    return Type::tuple(elems);
  }
  case TypeExpr::Kind::Tensor: {
    std::optional<DType> dt = parseDType(t.name.name);
    if (!dt) {
      error(t.name.range, "unknown dtype '" + t.name.name +
                              "'; expected f32, f64, f16, bf16, i32, i64 or "
                              "bool");
      return Type::error();
    }
    std::vector<Dim> dims;
    for (const ExprPtr &d : t.dims) {
      SourceRange origin;
      dims.push_back(resolveDim(*d, bind, origin));
    }
    return Type::tensor(*dt, dims);
  }
  case TypeExpr::Kind::Named:
    break;
  }
  const std::string &n = t.name.name;
  if (std::optional<DType> dt = parseDType(n); dt && n != "bool")
    return Type::tensor(*dt, {});
  if (n == "int")
    return Type::simple(Type::Kind::Int);
  if (n == "float")
    return Type::simple(Type::Kind::Float);
  if (n == "bool")
    return Type::simple(Type::Kind::Bool);
  if (n == "str")
    return Type::simple(Type::Kind::Str);
  if (n == "device")
    return Type::simple(Type::Kind::DeviceT);
  if (Symbol *sym = globals.lookupLocal(n)) {
    if (sym->kind == Symbol::Kind::ModelClass) {
      Type m = Type::simple(Type::Kind::Model);
      m.names.push_back(n); // matched by declaration name
      return m;
    }
    if (sym->kind == Symbol::Kind::OptimizerClass) {
      Type o = Type::simple(Type::Kind::Optimizer);
      o.names.push_back(n);
      return o;
    }
  }
  error(t.name.range, "unknown type '" + n + "'");
  return Type::error();
}

bool SemaImpl::matchParam(const TypeExpr &declared, const Value &arg,
                          const std::string &paramName,
                          const std::string &calleeName,
                          SourceRange calleeRange) {
  const Type &at = arg.type;
  if (declared.kind == TypeExpr::Kind::Named) {
    std::optional<Type> want = resolveType(declared, false);
    if (!want || want->isError())
      return false;
    bool ok = true;
    if (want->kind == Type::Kind::Tensor) {
      // `x: f32` takes a scalar tensor or a host number.
      if (at.isHostNumber())
        ok = isFloatDType(want->dtype) || at.kind == Type::Kind::Int;
      else
        ok = at.isTensor() && at.shape.empty() && at.dtype == want->dtype;
    } else if (want->kind == Type::Kind::Float) {
      ok = at.isHostNumber();
    } else if (want->kind == Type::Kind::Model ||
               want->kind == Type::Kind::Optimizer) {
      ok = at.kind == want->kind &&
           ((at.model && at.model->decl->name.name == want->names[0]) ||
            (at.optimizer && at.optimizer->decl->name.name == want->names[0]));
    } else {
      ok = at.kind == want->kind;
    }
    if (!ok) {
      error(arg.range, "'" + calleeName + "' expects " + toSource(declared) +
                           " for '" + paramName + "', but " + quoted(arg) +
                           " is " + typeStr(at))
          .range(calleeRange);
      return false;
    }
    return true;
  }
  if (declared.kind == TypeExpr::Kind::Tuple) {
    std::optional<Type> want = resolveType(declared, true);
    if (!want || want->isError())
      return false;
    if (at.kind != Type::Kind::Tuple || at.elems.size() != want->elems.size()) {
      error(arg.range, "'" + calleeName + "' expects a tuple " +
                           toSource(declared) + " for '" + paramName +
                           "', but " + quoted(arg) + " is " + typeStr(at));
      return false;
    }
    return true;
  }
  // A tensor type: dtype, rank, then each dimension.
  std::optional<DType> dt = parseDType(declared.name.name);
  if (!dt) {
    error(declared.name.range, "unknown dtype '" + declared.name.name + "'");
    return false;
  }
  std::string want = toSource(declared);
  if (!at.isTensor()) {
    auto d = error(arg.range, "'" + calleeName + "' expects a tensor " + want +
                                  " for '" + paramName + "', but " +
                                  quoted(arg) + " is " + typeStr(at));
    d.range(calleeRange);
    return false;
  }
  if (at.dtype != *dt) {
    auto d = error(arg.range, "'" + calleeName + "' expects " + dtypeName(*dt) +
                                  " for '" + paramName + "', but " +
                                  quoted(arg) + " is " + typeStr(at));
    d.range(calleeRange);
    if (isIntDType(*dt) && isFloatDType(at.dtype))
      d.note(arg.range, std::string("'") + paramName +
                            "' holds integer values such as class ids; "
                            "convert with '" +
                            arg.describe + " as " + dtypeName(*dt) + "'");
    else
      d.note(arg.range, "convert it with '" + arg.describe + " as " +
                            dtypeName(*dt) + "'");
    if (arg.defRange.isValid() && arg.defRange != arg.range)
      d.note(arg.defRange, quoted(arg) + " gets its type here");
    return false;
  }
  if (at.shape.size() != declared.dims.size()) {
    auto d = error(arg.range, "'" + calleeName + "' expects a tensor of " +
                                  std::to_string(declared.dims.size()) +
                                  " dimensions " + want + " for '" + paramName +
                                  "', but " + quoted(arg) + " has shape " +
                                  shapeStr(at.shape));
    d.range(calleeRange);
    if (at.shape.size() > declared.dims.size() && declared.dims.size() == 2)
      d.note(arg.range, "flatten the sample dimensions first: 'flatten(" +
                            arg.describe + ")'");
    if (arg.defRange.isValid() && arg.defRange != arg.range)
      d.note(arg.defRange, quoted(arg) + " gets its shape here");
    return false;
  }
  for (size_t i = 0; i < declared.dims.size(); ++i) {
    const Expr &de = *declared.dims[i];
    const Dim &got = at.shape[i];
    SourceRange origin;
    Dim wantDim = resolveDim(de, false, origin);
    const auto *nameExpr = dyn_cast<NameExpr>(&de);
    bool unboundVar = nameExpr && wantDim.kind == Dim::Kind::Unknown &&
                      nameExpr->name != "_" && !scope->lookup(nameExpr->name) &&
                      !ctx->shapeVars.count(nameExpr->name);
    if (unboundVar) {
      // First sight of a shape variable: bind it to the argument's size.
      ctx->shapeVars[nameExpr->name] = {got, arg.range};
      continue;
    }
    bool mismatch = false;
    if (wantDim.isConst() && got.isConst())
      mismatch = wantDim.value != got.value;
    else if (wantDim.isSym() && got.isSym())
      mismatch = wantDim.value != got.value;
    if (!mismatch)
      continue;
    std::string sizeName = nameExpr ? " ('" + nameExpr->name + "')" : "";
    auto d = error(arg.range,
                   "'" + calleeName + "' expects size " + dim(wantDim) +
                       sizeName + " in " + ordinalDim(i) + " of '" + paramName +
                       "', but " + quoted(arg) + " has size " + dim(got));
    d.range(calleeRange);
    if (nameExpr && origin.isValid() && origin != de.range) {
      auto sv = ctx->shapeVars.find(nameExpr->name);
      if (sv != ctx->shapeVars.end())
        d.note(origin, "'" + nameExpr->name + "' is " + dim(wantDim) + " here");
      else
        d.note(origin, "'" + nameExpr->name + "' of '" + calleeName +
                           "' is set to " + dim(wantDim) + " here");
    }
    d.note(de.range, "'" + paramName + "' is declared as " + want);
    if (arg.defRange.isValid() && arg.defRange != arg.range)
      d.note(arg.defRange, quoted(arg) + " has shape " + shapeStr(at.shape) +
                               dataOrigin(arg));
    else
      d.note({}, quoted(arg) + " has shape " + shapeStr(at.shape) +
                     dataOrigin(arg));
    return false;
  }
  return true;
}

Type SemaImpl::substitute(const TypeExpr &t) {
  std::optional<Type> r = resolveType(t, false);
  return r ? *r : Type::error();
}

//===----------------------------------------------------------------------===//
// Functions and methods
//===----------------------------------------------------------------------===//

Value SemaImpl::callFunction(const Callable &c, std::vector<ArgValue> args,
                             SourceRange callRange, SourceRange calleeRange) {
  const FnSignature &sig = *c.sig;
  std::string name =
      c.kind == Callable::Kind::Method && c.self
          ? (c.self->path.empty() ? c.self->decl->name.name : c.self->path)
          : sig.name.name;
  if (c.kind == Callable::Kind::Method && sig.name.name != "forward")
    name += "." + sig.name.name;
  std::vector<const ArgValue *> bound;
  if (!bindParams(name, calleeRange, sig.params, args, bound, callRange,
                  sig.name.range))
    return Value::error(callRange);
  if (std::find(activeCalls.begin(), activeCalls.end(), &c) !=
          activeCalls.end() ||
      std::any_of(activeCalls.begin(), activeCalls.end(),
                  [&](const Callable *a) { return a->sig == c.sig; })) {
    error(callRange, "'" + sig.name.name +
                         "' calls itself; recursion is not "
                         "supported in compiled code")
        .note(sig.name.range, "'" + sig.name.name + "' is defined here");
    return Value::error(callRange);
  }

  // Devices: every tensor argument (and a model's own weights) must agree.
  {
    const Value *first = nullptr;
    Device firstDev = Device::Default;
    std::string firstWhat;
    SourceRange firstAt;
    if (c.kind == Callable::Kind::Method && c.self) {
      firstDev = c.self->device;
      firstWhat = "'" + name + "'";
      firstAt = calleeRange;
    }
    bool haveFirst = c.kind == Callable::Kind::Method && c.self;
    for (const ArgValue &a : args) {
      if (!a.value.type.isTensor())
        continue;
      if (!haveFirst) {
        haveFirst = true;
        firstDev = a.value.type.device;
        firstWhat = quoted(a.value);
        firstAt = a.value.range;
        first = &a.value;
        continue;
      }
      if (deviceName(a.value.type.device) != deviceName(firstDev)) {
        auto d =
            error(a.value.range, firstWhat + " is on " + deviceName(firstDev) +
                                     ", but " + quoted(a.value) + " is on " +
                                     deviceName(a.value.type.device));
        d.range(firstAt);
        d.note(a.value.range, "move it with '" + a.value.describe + ".to(" +
                                  deviceName(firstDev) + ")'");
        return Value::error(callRange);
      }
    }
    (void)first;
  }

  SaveState save(scope, ctx, defineModel);
  BodyContext body;
  body.callable = &c;
  body.self = c.kind == Callable::Kind::Method ? c.self : nullptr;
  collectAssigned(sig.body, body.reassigned);
  body.declaredResult = sig.result.get();
  localScopes.push_back(std::make_unique<Scope>());
  Scope *fnScope = localScopes.back().get();
  fnScope->parent =
      body.self ? body.self->scope.get() : outerScopeFor(sig.range);
  scope = fnScope;
  ctx = &body;
  defineModel = nullptr;

  // Bind parameters.
  std::string key = std::to_string(reinterpret_cast<uintptr_t>(c.sig)) + ":" +
                    std::to_string(reinterpret_cast<uintptr_t>(body.self)) +
                    "(";
  std::string label = name + "(";
  for (size_t i = 0; i < sig.params.size(); ++i) {
    const Param &p = sig.params[i];
    Value v;
    if (bound[i]) {
      v = bound[i]->value;
    } else {
      v = checkExpr(*p.defaultValue);
      if (v.isError())
        return Value::error(callRange);
    }
    if (p.type && !matchParam(*p.type, v, p.name.name, name, calleeRange))
      return Value::error(callRange);
    if (p.type && p.type->kind == TypeExpr::Kind::Named &&
        v.type.isHostNumber()) {
      std::optional<Type> want = resolveType(*p.type, false);
      if (want && want->kind == Type::Kind::Float &&
          v.type.kind == Type::Kind::Int) {
        v.type = *want;
        if (v.cv.kind == ConstVal::Kind::Int)
          v.cv = ConstVal::ofFloat(double(v.cv.i), v.cv.origin);
      } else if (want && want->isTensor()) {
        v.type = *want;
        v.cv = ConstVal();
      }
    }
    Symbol sym;
    sym.kind = Symbol::Kind::Var;
    sym.name = p.name.name;
    sym.declRange = p.name.range;
    sym.valueRange = v.range;
    sym.type = v.type;
    // Compile-time values flow into the body (dims, `dim = 1`), except
    // values that only vary at run time.
    sym.cv = v.cv;
    sym.isMutable = true;
    declare(*scope, localSymbols, std::move(sym));
    std::string ts = typeStr(v.type);
    if (v.cv.isKnown() && !v.type.isTensor())
      ts += "=" + v.cv.str();
    symbolIds = true;
    key += typeStr(v.type) + (v.cv.isKnown() ? "=" + v.cv.str() : "") + ",";
    symbolIds = false;
    label += (i ? ", " : "") + p.name.name + ": " + ts;
  }
  label += ")";
  // Shape variables bound by the parameters are usable as integers.
  for (auto &[n, dv] : body.shapeVars) {
    if (scope->lookup(n))
      continue;
    Symbol sym;
    sym.kind = Symbol::Kind::Const;
    sym.name = n;
    sym.declRange = dv.second;
    sym.type = Type::simple(Type::Kind::Int);
    sym.sizeDim = dv.first;
    if (dv.first.isConst())
      sym.cv = ConstVal::ofInt(dv.first.value, dv.second);
    declare(*scope, localSymbols, std::move(sym));
    symbolIds = true;
    key += n + "=" + dim(dv.first) + ",";
    symbolIds = false;
  }
  body.label = label;

  std::optional<Type> declaredResult;
  if (sig.result) {
    declaredResult = resolveType(*sig.result, false);
    if (!declaredResult || declaredResult->isError())
      return Value::error(callRange);
  }

  const Expr *callSite = pendingCall;
  pendingCall = nullptr;
  auto cached = bodyResults.find(key);
  Type result;
  if (cached != bodyResults.end()) {
    result = cached->second;
  } else {
    activeCalls.push_back(&c);
    CheckedBody *savedBody = currentBody;
    bodies.push_back({});
    currentBody = &bodies.back();
    currentBody->label = label;
    currentBody->signature = &sig;
    currentBody->self = body.self;
    bodyByKey[key] = currentBody;
    usedDecls.insert(c.sig);
    auto assignedBefore = saveAssigned();
    for (const StmtPtr &s : sig.body) {
      if (diags.shouldStop())
        break;
      checkStmt(*s);
    }
    restoreAssigned(assignedBefore);
    currentBody = savedBody;
    activeCalls.pop_back();

    // The result: the declared type, which every `return` must match.
    bool ok = true;
    for (const Value &r : body.returns) {
      if (r.isError()) {
        ok = false;
        continue;
      }
      if (declaredResult) {
        Value rv = r;
        if (rv.type.kind == Type::Kind::Void) {
          error(r.range, "'" + sig.name.name + "' must return " +
                             typeStr(*declaredResult));
          ok = false;
        } else {
          // Report in the words of a return, not of an assignment.
          Type want = *declaredResult;
          bool match = typeStr(want) == typeStr(rv.type);
          if (!match) {
            // Shapes may still agree through unknown dimensions.
            match = want.kind == rv.type.kind &&
                    (!want.isTensor() || (want.dtype == rv.type.dtype &&
                                          want.rank() == rv.type.rank()));
            for (size_t k = 0; match && want.isTensor() && k < want.rank();
                 ++k) {
              const Dim &a = want.shape[k], &b = rv.type.shape[k];
              if ((a.isConst() && b.isConst() && a.value != b.value) ||
                  (a.isSym() && b.isSym() && a.value != b.value))
                match = false;
            }
            if (want.kind == Type::Kind::Float &&
                rv.type.kind == Type::Kind::Int)
              match = true;
          }
          if (!match) {
            error(r.range, "'" + sig.name.name + "' returns " +
                               typeStr(rv.type) +
                               ", but its result is "
                               "declared as " +
                               typeStr(want))
                .note(sig.result->range, "the result type is declared here");
            ok = false;
          }
        }
      }
    }
    if (declaredResult) {
      result = *declaredResult;
      if (ok && !alwaysReturns(sig.body)) {
        SourceRange end = sig.range;
        end.begin = end.end > 0 ? end.end - 1 : end.end;
        error(end, "'" + sig.name.name + "' must return " +
                       typeStr(*declaredResult) + " on every path")
            .note(sig.result->range, "its result type is declared here");
        ok = false;
      }
      // Unknown dimensions of the declared result take the body's sizes.
      if (ok && !body.returns.empty() && result.isTensor() &&
          body.returns[0].type.isTensor() &&
          body.returns[0].type.rank() == result.rank())
        for (size_t i = 0; i < result.rank(); ++i)
          if (result.shape[i].kind == Dim::Kind::Unknown)
            result.shape[i] = body.returns[0].type.shape[i];
    } else if (body.returns.empty()) {
      result = Type::simple(Type::Kind::Void);
    } else {
      result = body.returns[0].type;
      for (size_t i = 1; i < body.returns.size() && ok; ++i) {
        const Value &r = body.returns[i];
        if (!r.isError() && typeStr(r.type) != typeStr(result)) {
          error(r.range, "'" + sig.name.name + "' returns " + typeStr(r.type) +
                             " here but " + typeStr(result) + " before")
              .note(body.returns[0].range, "first return is here");
          ok = false;
        }
      }
      if (result.kind != Type::Kind::Void && !alwaysReturns(sig.body)) {
        SourceRange end = sig.range;
        end.begin = end.end > 0 ? end.end - 1 : end.end;
        error(end, "'" + sig.name.name +
                       "' does not return a value on "
                       "every path");
        ok = false;
      }
    }
    if (!ok)
      result = Type::error();
    bodyResults[key] = result;
  }
  if (callSite && currentBody && bodyByKey.count(key))
    currentBody->callees[callSite] = bodyByKey[key];
  lastCalledBody = bodyByKey.count(key) ? bodyByKey[key] : nullptr;
  if (result.isError())
    return Value::error(callRange);
  if (c.kind == Callable::Kind::Method && c.self) {
    modelUses.push_back(c.self);
    if (result.isTensor())
      result.device = c.self->device;
  } else if (result.isTensor()) {
    for (const ArgValue &a : args)
      if (a.value.type.isTensor()) {
        result.device = a.value.type.device;
        break;
      }
  }
  Value v;
  v.type = result;
  v.range = callRange;
  return v;
}

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

Value SemaImpl::instantiateModel(const ModelDecl &decl,
                                 std::vector<ArgValue> args,
                                 SourceRange callRange,
                                 SourceRange calleeRange) {
  if ((!isTopLevel() || ctx->loopDepth) && !defineModel) {
    error(callRange, "model '" + decl.name.name +
                         "' can only be created at the top level of the "
                         "script or as a member of another model")
        .note(callRange, "layers hold weights; create them once, not per "
                         "call");
    return Value::error(callRange);
  }
  std::vector<const ArgValue *> bound;
  if (!bindParams(decl.name.name, calleeRange, decl.params, args, bound,
                  callRange, decl.name.range))
    return Value::error(callRange);
  if (std::find(creatingDecls.begin(), creatingDecls.end(), &decl) !=
      creatingDecls.end()) {
    error(callRange, "model '" + decl.name.name + "' contains itself");
    return Value::error(callRange);
  }
  creatingDecls.push_back(&decl);
  creating.push_back({decl.name.name, callRange});
  struct PopCreating {
    SemaImpl &S;
    ~PopCreating() {
      S.creatingDecls.pop_back();
      S.creating.pop_back();
    }
  } popCreating{*this};

  models.push_back(std::make_unique<ModelInstance>());
  ModelInstance &inst = *models.back();
  inst.decl = &decl;
  inst.createdAt = callRange;
  inst.scope = std::make_unique<Scope>();
  inst.scope->parent = outerScopeFor(decl.range);
  usedDecls.insert(&decl);

  SaveState save(scope, ctx, defineModel);
  BodyContext body;
  body.label = decl.name.name;
  scope = inst.scope.get();
  ctx = &body;
  defineModel = &inst;
  // The members' expressions are recorded per instance: two Linear layers
  // share the AST of their initialisers but not its values.
  CheckedBody *callerBody = currentBody;
  bodies.push_back({});
  currentBody = &bodies.back();
  currentBody->self = &inst;
  constructionBodies[&inst] = currentBody;
  struct RestoreBody {
    CheckedBody *&ref;
    CheckedBody *saved;
    ~RestoreBody() { ref = saved; }
  } restoreBody{currentBody, callerBody};

  std::string label = decl.name.name + "(";
  bool ok = true;
  for (size_t i = 0; i < decl.params.size(); ++i) {
    const Param &p = decl.params[i];
    Value v;
    if (bound[i]) {
      v = bound[i]->value;
    } else {
      v = checkExpr(*p.defaultValue);
      if (v.isError()) {
        ok = false;
        continue;
      }
    }
    if (v.isError()) {
      ok = false;
      continue;
    }
    if (!v.cv.isKnown()) {
      error(v.range, "argument '" + p.name.name + "' of '" + decl.name.name +
                         "' must be known at compile time (a literal, a "
                         "config entry or a constant)")
          .note(p.name.range, "'" + p.name.name +
                                  "' sizes the model's "
                                  "weights");
      ok = false;
      continue;
    }
    if (p.type &&
        !matchParam(*p.type, v, p.name.name, decl.name.name, calleeRange)) {
      ok = false;
      continue;
    }
    if (p.type && p.type->kind == TypeExpr::Kind::Named &&
        p.type->name.name == "float" && v.cv.kind == ConstVal::Kind::Int) {
      v.cv = ConstVal::ofFloat(double(v.cv.i), v.cv.origin);
      v.type = Type::simple(Type::Kind::Float);
    }
    Symbol sym;
    sym.kind = Symbol::Kind::Const;
    sym.name = p.name.name;
    sym.declRange = p.name.range;
    sym.valueRange = v.range;
    sym.type = v.type;
    sym.cv = v.cv;
    sym.cv.origin = v.range;
    declare(*inst.scope, inst.symbols, std::move(sym));
    label += (i ? ", " : "") + v.cv.str();
  }
  label += ")";
  inst.label = label;
  currentBody->label = "construction of " + label;
  if (!ok)
    return Value::error(callRange);

  for (const ModelMember &m : decl.members) {
    if (diags.shouldStop())
      break;
    if (m.kind == ModelMember::Kind::Method) {
      if (inst.methods.count(m.name.name)) {
        error(m.name.range, "redefinition of method '" + m.name.name + "'");
        continue;
      }
      auto c = std::make_unique<Callable>();
      c->kind = Callable::Kind::Method;
      c->name = m.name.name;
      c->sig = m.method.get();
      c->self = &inst;
      c->declRange = m.name.range;
      inst.methods[m.name.name] = std::move(c);
      continue;
    }
    Value v = checkExpr(*m.value);
    if (v.isError()) {
      // Declared anyway, with the error type: uses stay silent.
      Symbol sym;
      sym.kind = m.kind == ModelMember::Kind::Let ? Symbol::Kind::Const
                                                  : Symbol::Kind::Field;
      sym.name = m.name.name;
      sym.declRange = m.name.range;
      declare(*inst.scope, inst.symbols, std::move(sym));
      ok = false;
      continue;
    }
    Symbol sym;
    sym.name = m.name.name;
    sym.declRange = m.name.range;
    sym.valueRange = m.value->range;
    sym.type = v.type;
    if (m.kind == ModelMember::Kind::Let) {
      sym.kind = Symbol::Kind::Const;
      sym.cv = v.cv;
      if (m.type) {
        std::optional<Type> t = resolveType(*m.type, false);
        if (t && !t->isError() &&
            !assignable(*t, v, m.value->range, m.name.name, m.type->range))
          continue;
      }
      declare(*inst.scope, inst.symbols, std::move(sym));
      continue;
    }
    // A field: a sub-layer or a parameter.
    if (v.type.kind == Type::Kind::Model) {
      ModelInstance *sub = const_cast<ModelInstance *>(v.type.model);
      sub->path = m.name.name; // made absolute when the root is bound
    } else if (v.type.kind == Type::Kind::Param) {
      sym.type = v.type.elems[0];
    } else {
      error(m.value->range,
            "a model member is a layer (e.g. 'Linear(784, 256)') or a "
            "parameter ('param(...)'), but " +
                quoted(v) + " is " + typeStr(v.type))
          .note(m.name.range,
                "for a constant write 'let " + m.name.name + " = ...'");
      continue;
    }
    sym.kind = Symbol::Kind::Field;
    if (declare(*inst.scope, inst.symbols, sym)->declRange == sym.declRange)
      inst.fields.push_back({m.name.name, sym.type});
  }
  if (!ok)
    return Value::error(callRange);
  Value v;
  v.type = Type::simple(Type::Kind::Model);
  v.type.model = &inst;
  v.range = callRange;
  v.describe = label;
  return v;
}

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

Value SemaImpl::instantiateOptimizer(const OptimizerDecl &decl,
                                     std::vector<ArgValue> args,
                                     SourceRange callRange,
                                     SourceRange calleeRange) {
  if (!isTopLevel()) {
    error(callRange, "optimizer '" + decl.name.name +
                         "' can only be created at the top level of the "
                         "script");
    return Value::error(callRange);
  }
  if (args.empty() || !args[0].name.empty() ||
      args[0].value.type.kind != Type::Kind::Model) {
    auto d = error(args.empty() ? callRange : args[0].value.range,
                   "the first argument of '" + decl.name.name +
                       "' must be the model to optimize");
    if (!args.empty() && args[0].name.empty())
      d.note(args[0].value.range,
             quoted(args[0].value) + " is " + typeStr(args[0].value.type));
    d.note(callRange, "e.g. '" + decl.name.name + "(net, lr = 1e-3)'");
    return Value::error(callRange);
  }
  const ModelInstance *model = args[0].value.type.model;
  args.erase(args.begin());
  std::vector<const ArgValue *> bound;
  if (!bindParams(decl.name.name, calleeRange, decl.params, args, bound,
                  callRange, decl.name.range, /*implicitArgs=*/1))
    return Value::error(callRange);

  optimizers.push_back(std::make_unique<OptimizerInstance>());
  OptimizerInstance &inst = *optimizers.back();
  inst.decl = &decl;
  inst.model = model;
  inst.createdAt = callRange;
  inst.scope = std::make_unique<Scope>();
  inst.scope->parent = outerScopeFor(decl.range);
  usedDecls.insert(&decl);

  SaveState save(scope, ctx, defineModel);
  BodyContext body;
  body.label = decl.name.name;
  scope = inst.scope.get();
  ctx = &body;
  defineModel = nullptr;
  bool ok = true;
  for (size_t i = 0; i < decl.params.size(); ++i) {
    const Param &p = decl.params[i];
    Value v = bound[i] ? bound[i]->value : checkExpr(*p.defaultValue);
    if (v.isError()) {
      ok = false;
      continue;
    }
    if (p.type &&
        !matchParam(*p.type, v, p.name.name, decl.name.name, calleeRange)) {
      ok = false;
      continue;
    }
    if (v.cv.kind == ConstVal::Kind::Float ||
        v.cv.kind == ConstVal::Kind::Int) {
      double x = v.cv.kind == ConstVal::Kind::Float ? v.cv.f : double(v.cv.i);
      if (x < 0 && p.type && p.type->name.name == "float") {
        valueError(v, "'" + p.name.name + "' of '" + decl.name.name +
                          "' must not be negative, but it is " + v.cv.str());
        ok = false;
        continue;
      }
    }
    Symbol sym;
    sym.kind = Symbol::Kind::Const;
    sym.name = p.name.name;
    sym.declRange = p.name.range;
    sym.valueRange = v.range;
    sym.type =
        p.type && p.type->name.name == "float" && v.type.kind == Type::Kind::Int
            ? Type::simple(Type::Kind::Float)
            : v.type;
    sym.cv = v.cv;
    declare(*inst.scope, inst.symbols, std::move(sym));
  }
  for (const OptimizerMember &m : decl.members) {
    if (m.kind != OptimizerMember::Kind::Let)
      continue;
    Value v = checkExpr(*m.value);
    if (v.isError()) {
      ok = false;
      continue;
    }
    Symbol sym;
    sym.kind = Symbol::Kind::Const;
    sym.name = m.name.name;
    sym.declRange = m.name.range;
    sym.type = v.type;
    sym.cv = v.cv;
    declare(*inst.scope, inst.symbols, std::move(sym));
  }
  if (!ok)
    return Value::error(callRange);

  auto params = model->parameters();
  if (params.empty()) {
    error(callRange, "model '" + model->decl->name.name +
                         "' has no parameters to optimize");
    return Value::error(callRange);
  }
  std::set<std::string> seenTypes;
  for (const auto &[pname, ptype] : params) {
    if (!seenTypes.insert(typeStr(ptype)).second)
      continue;
    checkOptimizerUpdate(inst, ptype, callRange);
  }
  Value v;
  v.type = Type::simple(Type::Kind::Optimizer);
  v.type.optimizer = &inst;
  v.range = callRange;
  return v;
}

void SemaImpl::checkOptimizerUpdate(OptimizerInstance &inst,
                                    const Type &paramType,
                                    SourceRange callRange) {
  const OptimizerDecl &decl = *inst.decl;
  const FnSignature *update = nullptr;
  for (const OptimizerMember &m : decl.members)
    if (m.kind == OptimizerMember::Kind::Method && m.name.name == "update")
      update = m.method.get();
  if (!update) {
    error(decl.name.range,
          "optimizer '" + decl.name.name + "' needs an 'update(p, g)' method");
    return;
  }
  if (update->params.size() < 2 || update->params.size() > 3) {
    error(update->name.range,
          "'update' takes the parameter, its gradient and optionally the "
          "step number: 'update(p, g, t)'");
    return;
  }
  SaveState save(scope, ctx, defineModel);
  BodyContext body;
  body.label = decl.name.name + ".update(" + typeStr(paramType) + ")";
  localScopes.push_back(std::make_unique<Scope>());
  Scope *s = localScopes.back().get();
  s->parent = inst.scope.get();
  scope = s;
  ctx = &body;
  Callable self;
  self.kind = Callable::Kind::Fn;
  self.name = "update";
  self.sig = update;
  body.callable = &self;
  auto declareVar = [&](const Ident &id, const Type &t) {
    Symbol sym;
    sym.kind = Symbol::Kind::Var;
    sym.name = id.name;
    sym.declRange = id.range;
    sym.type = t;
    sym.isMutable = true;
    declare(*scope, localSymbols, std::move(sym));
  };
  // One CheckedBody holds the state initialisers and the update.
  CheckedBody *savedBody = currentBody;
  bodies.push_back({});
  currentBody = &bodies.back();
  currentBody->label = body.label;
  currentBody->signature = update;
  currentBody->optimizer = &inst;
  currentBody->paramType = paramType;
  declareVar(update->params[0].name, paramType);
  // State is initialised with the parameter in scope (`zeros_like(p)`).
  for (const OptimizerMember &m : decl.members) {
    if (m.kind != OptimizerMember::Kind::State)
      continue;
    Value v = checkExpr(*m.value);
    if (v.isError())
      continue;
    if (!v.type.isTensor() && !v.type.isHostNumber()) {
      error(m.value->range, "optimizer state must be a tensor or a number, "
                            "but " +
                                quoted(v) + " is " + typeStr(v.type));
      continue;
    }
    declareVar(m.name, v.type);
  }
  declareVar(update->params[1].name, paramType);
  if (update->params.size() == 3)
    declareVar(update->params[2].name, Type::simple(Type::Kind::Int));
  usedDecls.insert(update);
  for (const StmtPtr &st : update->body)
    checkStmt(*st);
  currentBody = savedBody;
  for (const Value &r : body.returns)
    if (!r.isError())
      error(r.range, "'update' changes the parameter and state by "
                     "assignment; it does not return a value");
  (void)callRange;
}

//===----------------------------------------------------------------------===//
// Names in bodies that no call reached
//===----------------------------------------------------------------------===//

namespace {
class NameResolver {
public:
  NameResolver(SemaImpl &sema, const Scope &globals,
               std::function<void(const Ident &)> report)
      : globals(globals), report(std::move(report)) {
    (void)sema;
  }

  void fn(const FnSignature &sig, const std::set<std::string> &outer) {
    scopes.clear();
    scopes.push_back(outer);
    push();
    for (const Param &p : sig.params) {
      if (p.type)
        typeNames(*p.type, true);
      if (p.defaultValue)
        expr(*p.defaultValue);
      scopes.back().insert(p.name.name);
    }
    if (sig.result)
      typeNames(*sig.result, false);
    block(sig.body);
  }

  void block(const Block &b) {
    push();
    for (const StmtPtr &s : b)
      stmt(*s);
    scopes.pop_back();
  }

  void expr(const Expr &e) {
    switch (e.getKind()) {
    case Expr::Kind::Name: {
      const auto &n = cast<NameExpr>(e);
      if (!known(n.name))
        report({n.name, n.range});
      return;
    }
    case Expr::Kind::Tuple:
      for (const ExprPtr &x : cast<TupleExpr>(e).elems)
        expr(*x);
      return;
    case Expr::Kind::List:
      for (const ExprPtr &x : cast<ListExpr>(e).elems)
        expr(*x);
      return;
    case Expr::Kind::Member: {
      const auto &m = cast<MemberExpr>(e);
      if (const auto *n = dyn_cast<NameExpr>(m.base.get()))
        if (n->name == "prim")
          return;
      expr(*m.base);
      return;
    }
    case Expr::Kind::Call: {
      const auto &c = cast<CallExpr>(e);
      if (const auto *m = dyn_cast<MemberExpr>(c.callee.get())) {
        // x.method(...): the method name is not a variable.
        if (const auto *n = dyn_cast<NameExpr>(m->base.get());
            !n || n->name != "prim")
          expr(*m->base);
      } else {
        expr(*c.callee);
      }
      for (const Arg &a : c.args)
        expr(*a.value);
      return;
    }
    case Expr::Kind::Index: {
      const auto &ix = cast<IndexExpr>(e);
      expr(*ix.base);
      for (const SliceItem &it : ix.items)
        for (const ExprPtr *p : {&it.start, &it.stop, &it.step})
          if (*p)
            expr(**p);
      return;
    }
    case Expr::Kind::Unary:
      expr(*cast<UnaryExpr>(e).operand);
      return;
    case Expr::Kind::Binary:
      expr(*cast<BinaryExpr>(e).lhs);
      expr(*cast<BinaryExpr>(e).rhs);
      return;
    case Expr::Kind::Range:
      expr(*cast<RangeExpr>(e).lo);
      expr(*cast<RangeExpr>(e).hi);
      return;
    case Expr::Kind::Cast:
      expr(*cast<CastExpr>(e).operand);
      return;
    case Expr::Kind::Step:
      expr(*cast<StepExpr>(e).optimizer);
      expr(*cast<StepExpr>(e).loss);
      return;
    case Expr::Kind::Evaluate: {
      const auto &ev = cast<EvaluateExpr>(e);
      expr(*ev.model);
      expr(*ev.data);
      for (const Metric &m : ev.metrics) {
        if (m.fn)
          expr(*m.fn);
        else if (!known(m.name.name))
          report(m.name);
      }
      return;
    }
    default:
      return;
    }
  }

  void push() { scopes.emplace_back(); }
  std::vector<std::set<std::string>> scopes;

private:
  bool known(const std::string &n) const {
    for (const auto &s : scopes)
      if (s.count(n))
        return true;
    return globals.lookup(n) != nullptr;
  }
  void typeNames(const TypeExpr &t, bool bind) {
    for (const ExprPtr &d : t.dims)
      if (const auto *n = dyn_cast<NameExpr>(d.get())) {
        if (bind)
          scopes.back().insert(n->name);
      }
    for (const TypeExprPtr &e : t.elems)
      typeNames(*e, bind);
  }
  void bindNames(const BindTarget &t) {
    for (const Ident &id : t.names)
      scopes.back().insert(id.name);
  }
  void stmt(const Stmt &s) {
    switch (s.getKind()) {
    case Stmt::Kind::Let: {
      const auto &l = cast<LetStmt>(s);
      if (l.init)
        expr(*l.init);
      if (l.type)
        typeNames(*l.type, true);
      bindNames(l.target);
      return;
    }
    case Stmt::Kind::Assign:
      expr(*cast<AssignStmt>(s).target);
      expr(*cast<AssignStmt>(s).value);
      return;
    case Stmt::Kind::ExprS:
      expr(*cast<ExprStmt>(s).expr);
      return;
    case Stmt::Kind::For: {
      const auto &f = cast<ForStmt>(s);
      expr(*f.iterable);
      push();
      bindNames(f.target);
      block(f.body);
      scopes.pop_back();
      return;
    }
    case Stmt::Kind::If: {
      const auto &i = cast<IfStmt>(s);
      expr(*i.cond);
      block(i.thenBody);
      block(i.elseBody);
      return;
    }
    case Stmt::Kind::While:
      expr(*cast<WhileStmt>(s).cond);
      block(cast<WhileStmt>(s).body);
      return;
    case Stmt::Kind::Return:
      if (cast<ReturnStmt>(s).value)
        expr(*cast<ReturnStmt>(s).value);
      return;
    case Stmt::Kind::Save: {
      const auto &sv = cast<SaveStmt>(s);
      expr(*sv.value);
      expr(*sv.path);
      if (sv.cond)
        expr(*sv.cond);
      return;
    }
    case Stmt::Kind::Load:
      expr(*cast<LoadStmt>(s).target);
      expr(*cast<LoadStmt>(s).path);
      return;
    case Stmt::Kind::Write:
      expr(*cast<WriteStmt>(s).value);
      expr(*cast<WriteStmt>(s).path);
      return;
    default:
      return;
    }
  }

  const Scope &globals;
  std::function<void(const Ident &)> report;
};
} // namespace

void SemaImpl::resolveNamesInUnused() {
  auto report = [&](const Ident &id) {
    error(id.range, "use of undeclared name '" + id.name + "'");
  };
  NameResolver libraryResolver(*this, globals, report);
  NameResolver scriptResolver(*this, configScope, report);
  for (const Stmt *s : allDecls) {
    if (diags.shouldStop())
      return;
    NameResolver &resolver =
        s->range.file == mainFile ? scriptResolver : libraryResolver;
    if (const auto *f = dyn_cast<FnDecl>(s)) {
      if (!usedDecls.count(&f->sig))
        resolver.fn(f->sig, {});
    } else if (const auto *m = dyn_cast<ModelDecl>(s)) {
      if (usedDecls.count(m))
        continue;
      std::set<std::string> members;
      for (const Param &p : m->params)
        members.insert(p.name.name);
      resolver.scopes.assign(1, members);
      for (const ModelMember &mm : m->members) {
        if (mm.kind != ModelMember::Kind::Method) {
          resolver.expr(*mm.value);
          resolver.scopes[0].insert(mm.name.name);
        } else {
          members.insert(mm.name.name);
        }
      }
      members.insert(resolver.scopes[0].begin(), resolver.scopes[0].end());
      for (const ModelMember &mm : m->members)
        if (mm.kind == ModelMember::Kind::Method)
          resolver.fn(*mm.method, members);
    } else if (const auto *o = dyn_cast<OptimizerDecl>(s)) {
      if (usedDecls.count(o))
        continue;
      std::set<std::string> members;
      for (const Param &p : o->params)
        members.insert(p.name.name);
      const FnSignature *update = nullptr;
      for (const OptimizerMember &om : o->members)
        if (om.kind == OptimizerMember::Kind::Method)
          update = om.method.get();
      if (update && !update->params.empty())
        members.insert(update->params[0].name.name);
      resolver.scopes.assign(1, members);
      for (const OptimizerMember &om : o->members) {
        if (om.kind != OptimizerMember::Kind::Method) {
          resolver.expr(*om.value);
          members.insert(om.name.name);
          resolver.scopes[0].insert(om.name.name);
        }
      }
      for (const OptimizerMember &om : o->members)
        if (om.kind == OptimizerMember::Kind::Method)
          resolver.fn(*om.method, members);
    }
  }
}

//===----------------------------------------------------------------------===//
// --emit=typed
//===----------------------------------------------------------------------===//

void SemaImpl::dumpTypes(std::ostream &os) const {
  for (const CheckedBody &b : bodies) {
    os << "// " << b.label << "\n";
    std::vector<const Expr *> order = b.order;
    // Source order; expressions starting at one place keep checking order.
    std::vector<std::pair<const Expr *, size_t>> keyed;
    for (size_t i = 0; i < order.size(); ++i)
      keyed.push_back({order[i], i});
    std::sort(keyed.begin(), keyed.end(), [](const auto &x, const auto &y) {
      return std::make_tuple(x.first->range.file, x.first->range.begin,
                             x.second) < std::make_tuple(y.first->range.file,
                                                         y.first->range.begin,
                                                         y.second);
    });
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = keyed[i].first;
    for (const Expr *e : order) {
      const Type &t = b.types.at(e);
      LineCol lc = sm.getLineCol(e->range.file, e->range.begin);
      os << lc.line << ":" << lc.col << ": " << toSource(*e, 60) << " : "
         << typeStr(t);
      auto c = b.consts.find(e);
      if (c != b.consts.end() && !t.isTensor())
        os << " = " << c->second.str();
      os << "\n";
    }
  }
}
