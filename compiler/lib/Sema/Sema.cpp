//===- Sema.cpp - Checking statements, expressions and calls
//---------------===//
//
// Algorithm:
//   1. Declare the builtins, then every fn/model/optimizer of the imported
//      modules and of the script (declarations are visible everywhere).
//   2. Evaluate the config block as compile-time constants and apply the
//      `--set` overrides.
//   3. Check the script's statements in order. Calls are checked at the call
//      site with the argument types: a function or model method body is
//      checked once per distinct argument signature (like a template), so
//      shapes flow from the data through every layer. Models are created
//      with compile-time constructor arguments, so `Linear(784, 256)` fixes
//      the shapes of its parameters, and a mismatch is reported where the
//      layer is applied, with a note where the size was set.
//   4. Resolve names in the bodies no call reached, so a typo in an unused
//      function is still an error.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

#include "nnc/Basic/CrashContext.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <set>
#include <sstream>

using namespace nnc;
using llvm::cast;
using llvm::dyn_cast;
using llvm::isa;

namespace {
constexpr unsigned kMaxExprDepth = 1500;

unsigned editDistance(const std::string &a, const std::string &b) {
  std::vector<unsigned> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                         prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(const std::string &name,
                    const std::vector<std::string> &candidates) {
  std::string best;
  unsigned bestD = name.size() <= 3 ? 1 : name.size() <= 6 ? 2 : 3;
  for (const std::string &c : candidates) {
    if (c == name || c.empty())
      continue;
    unsigned d = editDistance(name, c);
    if (d <= bestD && (best.empty() || d < editDistance(name, best)))
      best = c;
  }
  return best;
}
} // namespace

std::vector<std::pair<std::string, Type>> ModelInstance::parameters() const {
  std::vector<std::pair<std::string, Type>> out;
  for (const auto &[name, t] : fields) {
    if (t.kind == Type::Kind::Tensor) {
      out.push_back({name, t});
    } else if (t.kind == Type::Kind::Model && t.model) {
      for (auto &[sub, st] : t.model->parameters())
        out.push_back({name + "." + sub, st});
    }
  }
  return out;
}

std::string nnc::modelPath(const ModelInstance *m) { return m->path; }
std::string nnc::modelLabel(const ModelInstance *m) { return m->label; }
std::vector<std::pair<std::string, Type>>
nnc::modelParameters(const ModelInstance *m) {
  return m->parameters();
}
const ModelDecl *nnc::modelDecl(const ModelInstance *m) { return m->decl; }
std::vector<ParameterOwner> nnc::modelParameterOwners(const ModelInstance *m) {
  std::vector<ParameterOwner> out;
  for (const auto &[name, t] : m->fields) {
    if (t.kind == Type::Kind::Tensor) {
      out.push_back({m, name});
    } else if (t.kind == Type::Kind::Model && t.model) {
      for (ParameterOwner &o : modelParameterOwners(t.model))
        out.push_back(o);
    }
  }
  return out;
}
const ModelInstance *nnc::optimizerModel(const OptimizerInstance *o) {
  return o->model;
}
const OptimizerDecl *nnc::optimizerDecl(const OptimizerInstance *o) {
  return o->decl;
}
std::optional<ConstVal> nnc::optimizerConstant(const OptimizerInstance *o,
                                               const std::string &name) {
  if (Symbol *s = o->scope->lookupLocal(name))
    if (s->cv.isKnown())
      return s->cv;
  return std::nullopt;
}

std::vector<std::string> nnc::builtinParamNames(const std::string &name) {
  std::vector<std::string> out;
  for (const Builtin &b : builtinTable())
    if (b.name == name)
      for (const Builtin::Param &p : b.params)
        out.push_back(p.name);
  return out;
}

//===----------------------------------------------------------------------===//
// Sema (public)
//===----------------------------------------------------------------------===//

Sema::Sema(const SourceManager &sm, DiagnosticEngine &diags)
    : impl(std::make_unique<SemaImpl>(sm, diags)) {}
Sema::~Sema() = default;

bool Sema::check(const std::vector<const Program *> &imports,
                 const Program &main, const SemaOptions &options) {
  return impl->check(imports, main, options);
}

void Sema::dumpTypes(std::ostream &os) const { impl->dumpTypes(os); }

std::string Sema::typeName(const Type &t) const { return impl->type(t); }

const std::deque<CheckedBody> &Sema::getBodies() const { return impl->bodies; }

const CheckedBody *Sema::constructionBody(const ModelInstance *m) const {
  auto it = impl->constructionBodies.find(m);
  return it == impl->constructionBodies.end() ? nullptr : it->second;
}

std::vector<std::pair<std::string, std::string>> Sema::configValues() const {
  return impl->configLines;
}

const std::unordered_map<const Expr *, std::string> &Sema::configRefs() const {
  return impl->configRefs;
}

std::map<std::string, Type> Sema::configTypes() const {
  std::map<std::string, Type> out;
  for (auto &[n, s] : impl->configScope.names)
    if (s->isConfig)
      out[n] = s->type;
  return out;
}

//===----------------------------------------------------------------------===//
// Setup
//===----------------------------------------------------------------------===//

SemaImpl::SemaImpl(const SourceManager &sm, DiagnosticEngine &diags)
    : sm(sm), diags(diags) {
  globals.parent = &builtins;
}

std::string SemaImpl::symbolName(int64_t id) const {
  if (id >= 0 && static_cast<size_t>(id) < symNames.size())
    return symbolIds ? symNames[id] + "#" + std::to_string(id) : symNames[id];
  return "?";
}

std::string SemaImpl::modelName(const ModelInstance *m) const {
  return m ? m->decl->name.name : "model";
}

std::string SemaImpl::optimizerName(const OptimizerInstance *o) const {
  return o ? o->decl->name.name : "optimizer";
}

std::string SemaImpl::callableName(const Callable *c) const {
  if (!c)
    return "function";
  switch (c->kind) {
  case Callable::Kind::ModelClass:
    return "model '" + c->name + "'";
  case Callable::Kind::OptimizerClass:
    return "optimizer '" + c->name + "'";
  default:
    return "function '" + c->name + "'";
  }
}

std::string SemaImpl::deviceName(Device d) const {
  if (d == Device::Default)
    return deviceSpelling;
  return TypePrinter::deviceName(d);
}

int64_t SemaImpl::newSymbol(const std::string &name) {
  symNames.push_back(name);
  return static_cast<int64_t>(symNames.size() - 1);
}

Symbol *SemaImpl::declare(Scope &s, std::deque<Symbol> &store, Symbol sym) {
  if (Symbol *prev = s.lookupLocal(sym.name)) {
    // Redeclaring a name in the same scope is an error (also a library
    // declaration redeclared by the script); builtins may be shadowed.
    if (&s != &builtins) {
      error(sym.declRange, "redefinition of '" + sym.name + "'")
          .note(prev->declRange, "previous definition is here");
      return prev;
    }
  }
  store.push_back(std::move(sym));
  Symbol *p = &store.back();
  s.names[p->name] = p;
  return p;
}

void SemaImpl::declareBuiltins() {
  for (const Builtin &b : builtinTable()) {
    Symbol sym;
    sym.kind = Symbol::Kind::Builtin;
    sym.name = b.name;
    sym.builtin = &b;
    globalSymbols.push_back(sym);
    builtins.names[b.name] = &globalSymbols.back();
  }
  auto device = [&](const char *name, Device d) {
    Symbol sym;
    sym.kind = Symbol::Kind::Const;
    sym.name = name;
    sym.type = Type::simple(Type::Kind::DeviceT);
    sym.cv.kind = ConstVal::Kind::Device;
    sym.cv.s = name;
    sym.cv.i = static_cast<int64_t>(d);
    globalSymbols.push_back(sym);
    builtins.names[name] = &globalSymbols.back();
  };
  {
    // `bool` as a value: `zeros([3], dtype = bool)` (the other dtypes are
    // keywords).
    Symbol sym;
    sym.kind = Symbol::Kind::Const;
    sym.name = "bool";
    sym.type = Type::simple(Type::Kind::DTypeT);
    sym.cv.kind = ConstVal::Kind::DType;
    sym.cv.s = "bool";
    globalSymbols.push_back(sym);
    builtins.names["bool"] = &globalSymbols.back();
  }
  device("cpu", Device::CPU);
  device("cuda", Device::CUDA);
  device("auto", Device::Default);
  Symbol prim;
  prim.kind = Symbol::Kind::Namespace;
  prim.name = "prim";
  globalSymbols.push_back(prim);
  builtins.names["prim"] = &globalSymbols.back();
}

void SemaImpl::declareGlobals(const Program &prog) {
  for (const StmtPtr &s : prog.items) {
    Symbol sym;
    if (const auto *f = dyn_cast<FnDecl>(s.get())) {
      sym.kind = Symbol::Kind::Fn;
      sym.name = f->sig.name.name;
      sym.declRange = f->sig.name.range;
      sym.fn = f;
    } else if (const auto *m = dyn_cast<ModelDecl>(s.get())) {
      sym.kind = Symbol::Kind::ModelClass;
      sym.name = m->name.name;
      sym.declRange = m->name.range;
      sym.model = m;
    } else if (const auto *o = dyn_cast<OptimizerDecl>(s.get())) {
      sym.kind = Symbol::Kind::OptimizerClass;
      sym.name = o->name.name;
      sym.declRange = o->name.range;
      sym.optimizer = o;
    } else {
      continue;
    }
    sym.type = Type::simple(Type::Kind::Function);
    allDecls.push_back(s.get());
    declare(globals, globalSymbols, std::move(sym));
  }
}

//===----------------------------------------------------------------------===//
// Config
//===----------------------------------------------------------------------===//

void SemaImpl::checkConfig(const ConfigDecl &c) {
  for (const ConfigEntry &e : c.entries) {
    Value v = checkExpr(*e.value);
    if (v.isError())
      continue;
    if (!v.cv.isKnown()) {
      error(e.value->range,
            "config entry '" + e.name.name +
                "' must be a constant: a number, a string, true/false or a "
                "device (cpu, cuda, auto)");
      continue;
    }
    Symbol sym;
    sym.kind = Symbol::Kind::Const;
    sym.name = e.name.name;
    sym.declRange = e.name.range;
    sym.valueRange = e.value->range;
    sym.type = v.type;
    sym.cv = v.cv;
    sym.cv.origin = e.value->range;
    sym.isConfig = true;
    if (e.type) {
      std::optional<Type> t = resolveType(*e.type, false);
      if (t && !t->isError()) {
        if (t->kind == Type::Kind::Float && v.type.kind == Type::Kind::Int) {
          sym.type = *t;
          sym.cv =
              ConstVal::ofFloat(static_cast<double>(v.cv.i), e.value->range);
        } else if (t->kind != v.type.kind) {
          error(e.value->range, "config entry '" + e.name.name +
                                    "' is declared " + typeStr(*t) +
                                    " but its value is " + typeStr(v.type))
              .range(e.type->range);
          continue;
        }
      }
    }
    if (sym.name == "device" && sym.type.kind != Type::Kind::DeviceT) {
      error(e.value->range, "config entry 'device' must be cpu, cuda or auto");
      continue;
    }
    if (sym.name == "seed" && sym.type.kind != Type::Kind::Int) {
      error(e.value->range, "config entry 'seed' must be an integer");
      continue;
    }
    // `--set` replaces the value here, so later entries computed from this
    // one (`wide = hidden * 2`) see the new value.
    for (const auto &[key, text] : overrides)
      if (key == sym.name)
        applyOverride(sym, text);
    declare(configScope, globalSymbols, std::move(sym));
  }
}

void SemaImpl::applyOverrides(const SemaOptions &options) {
  std::vector<std::string> names;
  for (auto &[n, s] : configScope.names)
    if (s->isConfig)
      names.push_back(n);
  for (const auto &[key, text] : options.overrides) {
    Symbol *sym = configScope.lookupLocal(key);
    std::string flag = "--set " + key + "=" + text;
    if (!sym || !sym->isConfig) {
      auto d =
          error({}, "unknown config entry '" + key + "' in '" + flag + "'");
      std::string guess = closest(key, names);
      if (!guess.empty())
        d.note(configScope.lookupLocal(guess)->declRange,
               "did you mean '" + guess + "'?");
      else if (names.empty())
        d.note({}, "the script has no config entries");
    }
  }
}

void SemaImpl::applyOverride(Symbol &symRef, const std::string &text) {
  Symbol *sym = &symRef;
  const std::string &key = sym->name;
  std::string flag = "--set " + key + "=" + text;
  {
    ConstVal cv = sym->cv;
    bool ok = true;
    std::string expected;
    switch (sym->type.kind) {
    case Type::Kind::Int: {
      expected = "an integer";
      char *end = nullptr;
      errno = 0;
      long long v = std::strtoll(text.c_str(), &end, 10);
      ok = !text.empty() && end && *end == 0 && errno == 0;
      cv.i = v;
      break;
    }
    case Type::Kind::Float: {
      expected = "a number";
      char *end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      ok = !text.empty() && end && *end == 0 && std::isfinite(v);
      cv.f = v;
      break;
    }
    case Type::Kind::Bool:
      expected = "true or false";
      ok = text == "true" || text == "false";
      cv.i = text == "true";
      break;
    case Type::Kind::Str:
      cv.s = text;
      break;
    case Type::Kind::DeviceT:
      expected = "cpu, cuda or auto";
      ok = text == "cpu" || text == "cuda" || text == "auto";
      cv.s = text;
      cv.i = static_cast<int64_t>(text == "cpu"    ? Device::CPU
                                  : text == "cuda" ? Device::CUDA
                                                   : Device::Default);
      break;
    default:
      ok = false;
    }
    if (!ok) {
      error({}, "invalid value in '" + flag + "': '" + key + "' is " +
                    typeStr(sym->type) + ", expected " + expected)
          .note(sym->declRange, "'" + key + "' is declared here");
      return;
    }
    sym->cv = cv;
  }
}

//===----------------------------------------------------------------------===//
// Entry
//===----------------------------------------------------------------------===//

bool SemaImpl::check(const std::vector<const Program *> &imports,
                     const Program &main, const SemaOptions &options) {
  unsigned errorsBefore = diags.getNumErrors();
  scriptDir = options.scriptDir;
  overrides = options.overrides;
  mainFile = main.file;
  configScope.parent = &globals;
  declareBuiltins();
  for (const Program *p : imports)
    declareGlobals(*p);
  declareGlobals(main);

  BodyContext top;
  top.topLevel = true;
  top.label = "script";
  ctx = &top;
  scope = &configScope;
  bodies.push_back({});
  bodies.back().label = "script";
  currentBody = &bodies.back();
  (void)options.recordTypes;

  // Imported modules hold declarations only.
  for (const Program *p : imports)
    for (const StmtPtr &s : p->items)
      if (!s->isDecl() || isa<ConfigDecl>(s.get()) || isa<DataDecl>(s.get()))
        error(s->range, "an imported file may only declare functions, "
                        "models and optimizers");

  const ConfigDecl *config = nullptr;
  for (const StmtPtr &s : main.items) {
    if (const auto *c = dyn_cast<ConfigDecl>(s.get())) {
      if (config) {
        error(c->range, "a script has at most one config block")
            .note(config->range, "the first one is here");
        continue;
      }
      config = c;
      checkConfig(*c);
    }
  }
  applyOverrides(options);
  if (Symbol *dev = configScope.lookupLocal("device"); dev && dev->isConfig) {
    deviceSpelling = dev->cv.s;
    configDevice = static_cast<Device>(dev->cv.i);
    configDeviceAuto = dev->cv.s == "auto";
  }
  for (auto &[n, s] : configScope.names)
    if (s->isConfig)
      configLines.push_back({n, s->cv.str()});

  // The script: statements in order, in a scope below the globals.
  {
    for (const StmtPtr &st : main.items) {
      if (const auto *a = dyn_cast<AssignStmt>(st.get()))
        if (const auto *n = dyn_cast<NameExpr>(a->target.get()))
          top.reassigned.insert(n->name);
      if (const auto *f = dyn_cast<ForStmt>(st.get()))
        collectAssigned(f->body, top.reassigned);
      if (const auto *i = dyn_cast<IfStmt>(st.get())) {
        collectAssigned(i->thenBody, top.reassigned);
        collectAssigned(i->elseBody, top.reassigned);
      }
      if (const auto *w = dyn_cast<WhileStmt>(st.get()))
        collectAssigned(w->body, top.reassigned);
    }
  }
  localScopes.push_back(std::make_unique<Scope>());
  Scope *scriptScope = localScopes.back().get();
  scriptScope->parent = &configScope;
  scope = scriptScope;
  for (const StmtPtr &s : main.items) {
    if (diags.shouldStop())
      break;
    if (s->isDecl() && !isa<DataDecl>(s.get()))
      continue;
    checkStmt(*s);
  }
  ctx = nullptr;
  if (!diags.shouldStop())
    resolveNamesInUnused();
  return diags.getNumErrors() == errorsBefore;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

void SemaImpl::checkBlock(const Block &block) {
  localScopes.push_back(std::make_unique<Scope>());
  Scope *inner = localScopes.back().get();
  inner->parent = scope;
  Scope *saved = scope;
  scope = inner;
  for (const StmtPtr &s : block) {
    if (diags.shouldStop())
      break;
    checkStmt(*s);
  }
  scope = saved;
}

void SemaImpl::checkStmt(const Stmt &s) {
  CrashContext::range = s.range;
  switch (s.getKind()) {
  case Stmt::Kind::Let:
    return checkLet(cast<LetStmt>(s));
  case Stmt::Kind::Assign:
    return checkAssign(cast<AssignStmt>(s));
  case Stmt::Kind::ExprS: {
    const Expr &e = *cast<ExprStmt>(s).expr;
    Value v = checkExpr(e);
    if (!v.isError() && v.type.kind != Type::Kind::Void && !isa<StepExpr>(e) &&
        !isa<CallExpr>(e))
      diags.warning(e.range, "expression result is unused");
    return;
  }
  case Stmt::Kind::For:
    return checkFor(cast<ForStmt>(s));
  case Stmt::Kind::If:
    return checkIf(cast<IfStmt>(s));
  case Stmt::Kind::While: {
    const auto &w = cast<WhileStmt>(s);
    checkCondition(checkExpr(*w.cond), "'while' condition");
    auto before = saveAssigned();
    ++ctx->loopDepth;
    checkBlock(w.body);
    --ctx->loopDepth;
    restoreAssigned(before);
    return;
  }
  case Stmt::Kind::Break:
  case Stmt::Kind::Continue:
    if (!ctx->loopDepth)
      error(s.range, std::string("'") +
                         (isa<BreakStmt>(s) ? "break" : "continue") +
                         "' outside of a loop");
    return;
  case Stmt::Kind::Return:
    return checkReturn(cast<ReturnStmt>(s));
  case Stmt::Kind::Save:
    return checkSave(cast<SaveStmt>(s));
  case Stmt::Kind::Load:
    return checkLoad(cast<LoadStmt>(s));
  case Stmt::Kind::Write:
    return checkWrite(cast<WriteStmt>(s));
  case Stmt::Kind::Data:
    if (!ctx->topLevel || ctx->loopDepth) {
      error(s.range, "declarations are only allowed at the top level of a "
                     "file");
      return;
    }
    return checkData(cast<DataDecl>(s));
  case Stmt::Kind::Import:
  case Stmt::Kind::Config:
  case Stmt::Kind::Fn:
  case Stmt::Kind::Model:
  case Stmt::Kind::Optimizer:
    error(s.range, "declarations are only allowed at the top level of a file");
    return;
  }
}

bool SemaImpl::checkCondition(const Value &v, const char *what) {
  if (v.isError())
    return false;
  if (v.type.kind == Type::Kind::Bool)
    return true;
  if (v.type.isTensor() && v.type.dtype == DType::Bool && v.type.shape.empty())
    return true;
  auto d = error(v.range, std::string(what) + " must be a bool, but " +
                              quoted(v) + " is " + typeStr(v.type));
  if (v.type.isTensor() && v.type.dtype == DType::Bool)
    d.note(v.range, "reduce it to one value first, e.g. with all(...) or "
                    "any(...)");
  return false;
}

void SemaImpl::bindTarget(const BindTarget &t, const Value &v, bool isMutable,
                          SourceRange stmtRange, Symbol::Kind kind) {
  auto bindOne = [&](const Ident &id, const Value &val) {
    Symbol sym;
    sym.kind = kind;
    sym.name = id.name;
    sym.declRange = id.range;
    sym.valueRange = val.range;
    sym.type = val.type;
    sym.cv = kind == Symbol::Kind::Const ? val.cv : ConstVal();
    // Host constants stay known through `let`, so `let k = 2 * hidden` can
    // size a layer - unless the name is assigned again somewhere.
    if (kind == Symbol::Kind::Var && val.cv.isKnown() &&
        !(ctx && ctx->reassigned.count(id.name)))
      sym.cv = val.cv;
    sym.isMutable = isMutable;
    sym.assigned = true;
    declare(*scope, localSymbols, std::move(sym));
  };
  if (!t.isTuple) {
    bindOne(t.names[0], v);
    return;
  }
  if (v.isError()) {
    for (const Ident &id : t.names)
      bindOne(id, v);
    return;
  }
  if (v.type.kind != Type::Kind::Tuple) {
    error(t.range, "cannot unpack " + quoted(v) + " of type " +
                       typeStr(v.type) + " into " +
                       std::to_string(t.names.size()) + " names");
    for (const Ident &id : t.names)
      bindOne(id, Value::error(id.range));
    return;
  }
  if (v.type.elems.size() != t.names.size()) {
    error(t.range, "cannot unpack " + std::to_string(v.type.elems.size()) +
                       " values into " + std::to_string(t.names.size()) +
                       " names")
        .note(v.range, quoted(v) + " is " + typeStr(v.type));
    for (const Ident &id : t.names)
      bindOne(id, Value::error(id.range));
    return;
  }
  for (size_t i = 0; i < t.names.size(); ++i) {
    Value e;
    e.type = v.type.elems[i];
    e.range = v.range;
    e.describe = t.names[i].name;
    bindOne(t.names[i], e);
  }
}

void SemaImpl::checkLet(const LetStmt &s) {
  std::optional<Type> declared;
  if (s.type) {
    declared = resolveType(*s.type, true);
    if (declared && declared->isError())
      declared.reset();
  }
  if (!s.init) {
    if (s.target.isTuple) {
      error(s.range, "a 'let' that unpacks a tuple needs a value");
      return;
    }
    if (!s.type) {
      error(s.target.range, "'let " + s.target.names[0].name +
                                "' needs a type or an initial value")
          .note(s.target.range, "e.g. 'let " + s.target.names[0].name +
                                    ": float' or 'let " +
                                    s.target.names[0].name + " = 0.0'");
      return;
    }
    Value v;
    v.type = declared ? *declared : Type::error();
    v.range = s.range;
    bindTarget(s.target, v, true, s.range);
    Symbol *sym = scope->lookupLocal(s.target.names[0].name);
    if (sym && sym->declRange == s.target.names[0].range) {
      sym->assigned = false;
      trackedVars.push_back(sym);
    }
    return;
  }
  Value v = checkExpr(*s.init);
  if (!v.isError() && v.type.kind == Type::Kind::Void) {
    error(s.init->range, quoted(v) + " does not produce a value");
    v = Value::error(s.init->range);
  }
  if (declared && !v.isError() && !s.target.isTuple) {
    // The annotation checks; the value keeps its own (more precise) sizes.
    if (assignable(*declared, v, s.init->range, s.target.names[0].name,
                   s.type->range) &&
        declared->kind == Type::Kind::Float && v.type.kind == Type::Kind::Int)
      v.type = *declared;
  }
  v.describe = s.target.isTuple ? v.describe : s.target.names[0].name;
  if (!s.target.isTuple && v.type.kind == Type::Kind::Model &&
      v.type.model->path.empty())
    setModelPath(*const_cast<ModelInstance *>(v.type.model),
                 s.target.names[0].name);
  // Models and optimizers are bound once: rebinding would orphan weights.
  bool isMutable = v.type.kind != Type::Kind::Model &&
                   v.type.kind != Type::Kind::Optimizer &&
                   v.type.kind != Type::Kind::Dataset;
  bindTarget(s.target, v, isMutable, s.range);
}

void nnc::collectAssigned(const Block &block, std::set<std::string> &out) {
  for (const StmtPtr &s : block) {
    if (!s)
      continue;
    if (const auto *a = dyn_cast<AssignStmt>(s.get())) {
      if (const auto *n = dyn_cast<NameExpr>(a->target.get()))
        out.insert(n->name);
    } else if (const auto *f = dyn_cast<ForStmt>(s.get())) {
      collectAssigned(f->body, out);
    } else if (const auto *i = dyn_cast<IfStmt>(s.get())) {
      collectAssigned(i->thenBody, out);
      collectAssigned(i->elseBody, out);
    } else if (const auto *w = dyn_cast<WhileStmt>(s.get())) {
      collectAssigned(w->body, out);
    }
  }
}

void SemaImpl::setModelPath(ModelInstance &inst, const std::string &path) {
  inst.path = path;
  for (auto &[name, t] : inst.fields)
    if (t.kind == Type::Kind::Model && t.model)
      setModelPath(*const_cast<ModelInstance *>(t.model), path + "." + name);
}

bool SemaImpl::assignable(const Type &to, const Value &v, SourceRange at,
                          const std::string &name, SourceRange declRange) {
  if (to.isError() || v.isError())
    return true;
  const Type &from = v.type;
  bool ok = true;
  std::string why;
  if (to.kind == Type::Kind::Float && from.kind == Type::Kind::Int)
    return true;
  if (to.kind != from.kind) {
    ok = false;
  } else if (to.kind == Type::Kind::Tensor) {
    if (to.dtype != from.dtype) {
      ok = false;
    } else if (to.shape.size() != from.shape.size()) {
      ok = false;
    } else {
      for (size_t i = 0; i < to.shape.size(); ++i) {
        const Dim &a = to.shape[i], &b = from.shape[i];
        if (a.isConst() && b.isConst() && a.value != b.value) {
          ok = false;
          why = "dimension " + std::to_string(i) + " is " +
                std::to_string(b.value) + ", not " + std::to_string(a.value);
        }
        if (a.isSym() && b.isSym() && a.value != b.value)
          ok = false;
      }
    }
  } else if (to.kind == Type::Kind::Model) {
    ok = to.model == from.model ||
         (to.model && from.model && to.model->decl == from.model->decl);
  }
  if (!ok) {
    auto d =
        error(at, "cannot assign " + quoted(v) + " of type " + typeStr(from) +
                      " to '" + name + "' of type " + typeStr(to));
    if (!why.empty())
      d.note(at, why);
    if (declRange.isValid())
      d.note(declRange, "'" + name + "' is declared here");
  }
  return ok;
}

void SemaImpl::checkAssign(const AssignStmt &s) {
  const auto *name = dyn_cast<NameExpr>(s.target.get());
  Value rhs = checkExpr(*s.value);
  if (!name) {
    error(s.target->range,
          "only a variable can be assigned; tensors are not modified in "
          "place")
        .note(s.target->range, "compute a new value instead, e.g. 'let y = "
                               "x * 2.0'");
    return;
  }
  Symbol *sym = scope->lookup(name->name);
  if (!sym) {
    error(name->range, "assignment to undeclared name '" + name->name + "'")
        .note(name->range,
              "declare it first with 'let " + name->name + " = ...'");
    return;
  }
  if (!sym->isMutable) {
    std::string what = sym->isLoopVar                        ? "loop variable"
                       : sym->type.kind == Type::Kind::Model ? "model"
                       : sym->type.kind == Type::Kind::Optimizer ? "optimizer"
                       : sym->type.kind == Type::Kind::Dataset   ? "dataset"
                       : sym->isConfig                         ? "config entry"
                       : sym->kind == Symbol::Kind::Const      ? "constant"
                       : sym->kind == Symbol::Kind::Field      ? "model member"
                       : sym->kind == Symbol::Kind::Fn         ? "function"
                       : sym->kind == Symbol::Kind::ModelClass ? "model"
                       : sym->kind == Symbol::Kind::Builtin    ? "builtin"
                                                               : "name";
    auto d = error(name->range,
                   "cannot assign to " + what + " '" + name->name + "'");
    if (sym->declRange.isValid())
      d.note(sym->declRange, "'" + name->name + "' is declared here");
    if (sym->isConfig)
      d.note({}, "config entries are changed from the command line with "
                 "'--set " +
                     name->name + "=VALUE'");
    return;
  }
  if (rhs.isError())
    return;
  if (s.op != AssignOp::Set) {
    if (!sym->assigned) {
      error(name->range, "'" + name->name + "' is used before it is assigned")
          .note(sym->declRange, "'" + name->name + "' is declared here");
      return;
    }
    Value cur = symbolValue(*sym, name->range);
    BinaryOp op = s.op == AssignOp::Add   ? BinaryOp::Add
                  : s.op == AssignOp::Sub ? BinaryOp::Sub
                  : s.op == AssignOp::Mul ? BinaryOp::Mul
                                          : BinaryOp::Div;
    Value r = (cur.type.isTensor() || rhs.type.isTensor())
                  ? binaryArith(op, cur, rhs, s.range, s.opRange)
                  : hostArith(op, cur, rhs, s.range);
    if (r.isError())
      return;
    r.describe = name->name + " " + spelling(op) + " " + rhs.describe;
    r.range = s.value->range;
    rhs = r;
  }
  if (sym->type.isError()) {
    sym->type = rhs.type;
  } else if (!assignable(sym->type, rhs, s.value->range, name->name,
                         sym->declRange)) {
    return;
  }
  sym->assigned = true;
  sym->cv = ConstVal();
}

void SemaImpl::checkFor(const ForStmt &s) {
  Value it = checkExpr(*s.iterable);
  Value elem;
  elem.range = s.iterable->range;
  elem.describe = "an element of " + toSource(*s.iterable, 30);
  if (!it.isError()) {
    switch (it.type.kind) {
    case Type::Kind::Range:
      elem.type = Type::simple(Type::Kind::Int);
      break;
    case Type::Kind::Batches:
      elem.type = Type::tuple(it.type.elems);
      noteBatchSource(s.iterable->range, it.type);
      break;
    case Type::Kind::List:
      elem.type = it.type.elems.empty() ? Type::error() : it.type.elems[0];
      break;
    case Type::Kind::Dataset:
      error(s.iterable->range, "iterate over batches of " + quoted(it) +
                                   ", not over the dataset itself")
          .note(s.iterable->range,
                "write 'for (x, y) in batches(" + it.describe + ", 64)'");
      break;
    default:
      error(s.iterable->range, "cannot iterate over " + quoted(it) +
                                   " of type " + typeStr(it.type))
          .note(s.iterable->range, "iterate over a range such as 1..10 or "
                                   "over batches(data, size)");
    }
  }
  localScopes.push_back(std::make_unique<Scope>());
  Scope *loopScope = localScopes.back().get();
  loopScope->parent = scope;
  Scope *saved = scope;
  scope = loopScope;
  bindTarget(s.target, elem, false, s.range);
  for (const Ident &id : s.target.names)
    if (Symbol *sym = scope->lookupLocal(id.name))
      sym->isLoopVar = true;
  auto before = saveAssigned();
  ++ctx->loopDepth;
  checkBlock(s.body);
  --ctx->loopDepth;
  restoreAssigned(before);
  scope = saved;
}

void SemaImpl::checkIf(const IfStmt &s) {
  checkCondition(checkExpr(*s.cond), "'if' condition");
  auto before = saveAssigned();
  checkBlock(s.thenBody);
  auto afterThen = saveAssigned();
  restoreAssigned(before);
  if (s.hasElse) {
    checkBlock(s.elseBody);
    intersectAssigned(afterThen);
  }
}

std::vector<bool> SemaImpl::saveAssigned() const {
  std::vector<bool> out;
  for (const Symbol *s : trackedVars)
    out.push_back(s->assigned);
  return out;
}

void SemaImpl::restoreAssigned(const std::vector<bool> &state) {
  for (size_t i = 0; i < state.size() && i < trackedVars.size(); ++i)
    trackedVars[i]->assigned = state[i];
}

void SemaImpl::intersectAssigned(const std::vector<bool> &other) {
  for (size_t i = 0; i < other.size() && i < trackedVars.size(); ++i)
    trackedVars[i]->assigned = trackedVars[i]->assigned && other[i];
}

void SemaImpl::checkData(const DataDecl &d) {
  Value v = checkExpr(*d.value);
  if (!v.isError()) {
    bool ok = v.type.kind == Type::Kind::Dataset;
    if (v.type.kind == Type::Kind::Tuple) {
      ok = true;
      for (const Type &t : v.type.elems)
        ok = ok && t.kind == Type::Kind::Dataset;
    }
    if (!ok) {
      error(d.value->range, "'data' declares a dataset, but " + quoted(v) +
                                " is " + typeStr(v.type))
          .note(d.value->range, "datasets come from idx(...), csv(...), "
                                "npy(...) or split(...)");
      v = Value::error(d.value->range);
    }
  }
  if (!d.target.isTuple)
    v.describe = d.target.names[0].name;
  bindTarget(d.target, v, false, d.range);
}

void SemaImpl::checkSave(const SaveStmt &s) {
  Value v = checkExpr(*s.value);
  Value p = checkExpr(*s.path);
  if (!v.isError() && v.type.kind != Type::Kind::Model &&
      v.type.kind != Type::Kind::Optimizer)
    error(s.value->range, "'save' writes a model's weights, but " + quoted(v) +
                              " is " + typeStr(v.type))
        .note(s.value->range, "to write a tensor use 'write " + v.describe +
                                  " to \"file.csv\"'");
  if (!p.isError() && p.type.kind != Type::Kind::Str)
    error(s.path->range, "the path of 'save' must be a string, but " +
                             quoted(p) + " is " + typeStr(p.type));
  if (s.cond)
    checkCondition(checkExpr(*s.cond), "the condition of 'save'");
}

void SemaImpl::checkLoad(const LoadStmt &s) {
  Value v = checkExpr(*s.target);
  Value p = checkExpr(*s.path);
  if (!v.isError() && v.type.kind != Type::Kind::Model)
    error(s.target->range, "'load' reads weights into a model, but " +
                               quoted(v) + " is " + typeStr(v.type));
  if (!p.isError() && p.type.kind != Type::Kind::Str)
    error(s.path->range, "the path of 'load' must be a string, but " +
                             quoted(p) + " is " + typeStr(p.type));
}

void SemaImpl::checkWrite(const WriteStmt &s) {
  Value v = checkExpr(*s.value);
  Value p = checkExpr(*s.path);
  if (!v.isError()) {
    if (!v.type.isTensor())
      error(s.value->range, "'write' writes a tensor as CSV, but " + quoted(v) +
                                " is " + typeStr(v.type));
    else if (v.type.rank() < 1 || v.type.rank() > 2)
      error(s.value->range, "'write' writes one row per sample: the tensor "
                            "must have 1 or 2 dimensions, but " +
                                quoted(v) + " has shape " +
                                shapeStr(v.type.shape));
  }
  if (!p.isError() && p.type.kind != Type::Kind::Str)
    error(s.path->range, "the path of 'write' must be a string, but " +
                             quoted(p) + " is " + typeStr(p.type));
}

void SemaImpl::checkReturn(const ReturnStmt &s) {
  if (ctx->topLevel || !ctx->callable) {
    error(s.range, "'return' outside of a function");
    return;
  }
  if (!s.value) {
    Value v;
    v.type = Type::simple(Type::Kind::Void);
    v.range = s.range;
    ctx->returns.push_back(v);
    return;
  }
  Value v = checkExpr(*s.value);
  ctx->returns.push_back(v);
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

void SemaImpl::record(const Expr &e, const Value &v) {
  if (!currentBody)
    return;
  if (!currentBody->types.count(&e))
    currentBody->order.push_back(&e);
  currentBody->types[&e] = v.type;
  if (v.cv.isKnown())
    currentBody->consts[&e] = v.cv;
}

Value SemaImpl::checkExpr(const Expr &e) {
  if (depth >= kMaxExprDepth) {
    error(e.range, "expression nested too deeply");
    return Value::error(e.range);
  }
  ++depth;
  CrashContext::range = e.range;
  Value v = checkExprImpl(e);
  --depth;
  v.range = e.range;
  if (v.describe.empty())
    v.describe = toSource(e, 30);
  record(e, v);
  return v;
}

Value SemaImpl::makeTensor(DType dt, std::vector<Dim> shape, SourceRange range,
                           const std::string &describe, Device dev) {
  Value v;
  v.type = Type::tensor(dt, std::move(shape), dev);
  v.range = range;
  v.describe = describe;
  return v;
}

Value SemaImpl::makeHost(Type::Kind k, SourceRange range,
                         const std::string &describe, ConstVal cv) {
  Value v;
  v.type = Type::simple(k);
  v.range = range;
  v.describe = describe;
  v.cv = cv;
  return v;
}

Value SemaImpl::checkExprImpl(const Expr &e) {
  switch (e.getKind()) {
  case Expr::Kind::IntLit:
    return makeHost(Type::Kind::Int, e.range, "",
                    ConstVal::ofInt(cast<IntLitExpr>(e).value, e.range));
  case Expr::Kind::FloatLit:
    return makeHost(Type::Kind::Float, e.range, "",
                    ConstVal::ofFloat(cast<FloatLitExpr>(e).value, e.range));
  case Expr::Kind::StringLit:
    return makeHost(Type::Kind::Str, e.range, "",
                    ConstVal::ofStr(cast<StringLitExpr>(e).value, e.range));
  case Expr::Kind::BoolLit:
    return makeHost(Type::Kind::Bool, e.range, "",
                    ConstVal::ofBool(cast<BoolLitExpr>(e).value, e.range));
  case Expr::Kind::Name:
    return checkName(cast<NameExpr>(e));
  case Expr::Kind::DTypeRef: {
    Value v = makeHost(Type::Kind::DTypeT, e.range, "");
    v.cv.kind = ConstVal::Kind::DType;
    v.cv.s = cast<DTypeRefExpr>(e).name;
    return v;
  }
  case Expr::Kind::Tuple: {
    Value v;
    v.type.kind = Type::Kind::Tuple;
    for (const ExprPtr &x : cast<TupleExpr>(e).elems) {
      Value ev = checkExpr(*x);
      if (ev.isError())
        return Value::error(e.range);
      v.type.elems.push_back(ev.type);
    }
    return v;
  }
  case Expr::Kind::List:
    return checkList(cast<ListExpr>(e));
  case Expr::Kind::Member:
    return checkMember(cast<MemberExpr>(e));
  case Expr::Kind::Call:
    return checkCall(cast<CallExpr>(e));
  case Expr::Kind::Index:
    return checkIndex(cast<IndexExpr>(e));
  case Expr::Kind::Unary:
    return checkUnary(cast<UnaryExpr>(e));
  case Expr::Kind::Binary:
    return checkBinary(cast<BinaryExpr>(e));
  case Expr::Kind::Range: {
    const auto &r = cast<RangeExpr>(e);
    Value lo = checkExpr(*r.lo), hi = checkExpr(*r.hi);
    bool ok = true;
    for (const Value *b : {&lo, &hi}) {
      if (!b->isError() && b->type.kind != Type::Kind::Int) {
        error(b->range, "range bounds must be integers, but " + quoted(*b) +
                            " is " + typeStr(b->type));
        ok = false;
      }
    }
    if (lo.isError() || hi.isError() || !ok)
      return Value::error(e.range);
    return makeHost(Type::Kind::Range, e.range, "");
  }
  case Expr::Kind::Cast:
    return checkCast(cast<CastExpr>(e));
  case Expr::Kind::Step:
    return checkStep(cast<StepExpr>(e));
  case Expr::Kind::Evaluate:
    return checkEvaluate(cast<EvaluateExpr>(e));
  }
  return Value::error(e.range);
}

Value SemaImpl::symbolValue(const Symbol &sym, SourceRange range) {
  Value v;
  v.range = range;
  v.describe = sym.name;
  v.defRange = sym.valueRange.isValid() ? sym.valueRange : sym.declRange;
  switch (sym.kind) {
  case Symbol::Kind::Var:
  case Symbol::Kind::Const:
  case Symbol::Kind::Field:
    v.type = sym.type;
    v.cv = sym.cv;
    v.sizeDim = sym.sizeDim;
    if (sym.kind == Symbol::Kind::Field && v.type.isTensor() && ctx &&
        ctx->self)
      v.type.device = ctx->self->device;
    return v;
  case Symbol::Kind::Fn:
  case Symbol::Kind::ModelClass:
  case Symbol::Kind::OptimizerClass:
  case Symbol::Kind::Builtin: {
    callables.push_back(std::make_unique<Callable>());
    Callable &c = *callables.back();
    c.name = sym.name;
    c.declRange = sym.declRange;
    if (sym.kind == Symbol::Kind::Fn) {
      c.kind = Callable::Kind::Fn;
      c.sig = &sym.fn->sig;
    } else if (sym.kind == Symbol::Kind::ModelClass) {
      c.kind = Callable::Kind::ModelClass;
      c.modelDecl = sym.model;
    } else if (sym.kind == Symbol::Kind::OptimizerClass) {
      c.kind = Callable::Kind::OptimizerClass;
      c.optimizerDecl = sym.optimizer;
    } else {
      c.kind = Callable::Kind::Builtin;
      c.builtin = sym.builtin;
    }
    v.type = Type::simple(Type::Kind::Function);
    v.type.callable = &c;
    return v;
  }
  case Symbol::Kind::Namespace:
    error(range, "'" + sym.name + "' is a namespace; use it as '" + sym.name +
                     ".name(...)'");
    return Value::error(range);
  }
  return Value::error(range);
}

DiagnosticEngine::Builder SemaImpl::valueError(const Value &v,
                                               std::string msg) {
  auto d = error(v.range, std::move(msg));
  // Config entries read inside v's expression, in source order, once each.
  std::vector<std::pair<uint32_t, std::string>> used;
  for (const auto &[expr, name] : configRefs) {
    SourceRange r = expr->range;
    if (r.file == v.range.file && r.begin >= v.range.begin &&
        r.end <= v.range.end)
      used.push_back({r.begin, name});
  }
  std::sort(used.begin(), used.end());
  std::set<std::string> seen;
  for (const auto &[at, name] : used) {
    Symbol *sym = configScope.lookupLocal(name);
    if (!sym || !seen.insert(name).second)
      continue;
    std::string flag;
    for (const auto &[key, text] : overrides)
      if (key == name)
        flag = "--set " + key + "=" + text;
    if (!flag.empty())
      d.note({},
             "'" + name + "' is " + sym->cv.str() + ", set by '" + flag + "'");
    else
      d.note(sym->valueRange.isValid() ? sym->valueRange : sym->declRange,
             "'" + name + "' is " + sym->cv.str() + " here");
  }
  return d;
}

Value SemaImpl::checkName(const NameExpr &e) {
  Symbol *sym = scope->lookup(e.name);
  if (!sym && ctx) {
    auto it = ctx->shapeVars.find(e.name);
    if (it != ctx->shapeVars.end()) {
      Value v = makeHost(Type::Kind::Int, e.range, e.name);
      if (it->second.first.isConst())
        v.cv = ConstVal::ofInt(it->second.first.value, it->second.second);
      v.sizeDim = it->second.first;
      return v;
    }
  }
  if (!sym) {
    std::vector<std::string> names;
    for (const Scope *s = scope; s; s = s->parent)
      for (auto &[n, _] : s->names)
        names.push_back(n);
    auto d = error(e.range, "use of undeclared name '" + e.name + "'");
    std::string guess = closest(e.name, names);
    if (!guess.empty()) {
      Symbol *g = scope->lookup(guess);
      d.note(g && g->declRange.isValid() ? g->declRange : SourceRange(),
             "did you mean '" + guess + "'?");
    }
    return Value::error(e.range);
  }
  if (!sym->assigned) {
    error(e.range, "'" + e.name + "' is used before it is assigned")
        .note(sym->declRange, "'" + e.name +
                                  "' is declared here without a "
                                  "value");
    return Value::error(e.range);
  }
  if (sym->type.isError() &&
      (sym->kind == Symbol::Kind::Var || sym->kind == Symbol::Kind::Const))
    return Value::error(e.range);
  if (sym->isConfig)
    configRefs[&e] = e.name;
  return symbolValue(*sym, e.range);
}

Value SemaImpl::checkMember(const MemberExpr &e) {
  if (const auto *n = dyn_cast<NameExpr>(e.base.get())) {
    Symbol *sym = scope->lookup(n->name);
    if (sym && sym->kind == Symbol::Kind::Namespace) {
      for (const Builtin &b : builtinTable()) {
        if (b.name == e.member.name) {
          Symbol tmp;
          tmp.kind = Symbol::Kind::Builtin;
          tmp.name = b.name;
          tmp.builtin = &b;
          return symbolValue(tmp, e.range);
        }
      }
      error(e.member.range, "'prim' has no builtin '" + e.member.name + "'");
      return Value::error(e.range);
    }
  }
  Value base = checkExpr(*e.base);
  if (base.isError())
    return base;
  const std::string &m = e.member.name;
  switch (base.type.kind) {
  case Type::Kind::Record:
    for (size_t i = 0; i < base.type.names.size(); ++i) {
      if (base.type.names[i] == m) {
        Value v;
        v.type = base.type.elems[i];
        v.describe = base.describe + "." + m;
        return v;
      }
    }
    {
      auto d =
          error(e.member.range, quoted(base) + " has no field '" + m + "'");
      std::string guess = closest(m, base.type.names);
      if (!guess.empty())
        d.note(e.member.range, "did you mean '" + guess + "'?");
      std::string list;
      for (const std::string &n : base.type.names)
        list += (list.empty() ? "'" : ", '") + n + "'";
      d.note(base.defRange, "its fields are " + list);
    }
    return Value::error(e.range);
  case Type::Kind::Model: {
    ModelInstance *inst = const_cast<ModelInstance *>(base.type.model);
    if (Symbol *sym = inst->scope->lookupLocal(m)) {
      Value v = symbolValue(*sym, e.range);
      if (v.type.isTensor()) {
        v.type.device = inst->device;
        modelUses.push_back(inst); // a loss may use weights directly
      }
      v.describe = base.describe + "." + m;
      return v;
    }
    auto it = inst->methods.find(m);
    if (it != inst->methods.end()) {
      Value v;
      v.type = Type::simple(Type::Kind::Function);
      v.type.callable = it->second.get();
      v.describe = base.describe + "." + m;
      return v;
    }
    std::vector<std::string> names;
    for (auto &[n, _] : inst->fields)
      names.push_back(n);
    for (auto &[n, _] : inst->methods)
      names.push_back(n);
    auto d = error(e.member.range, "model '" + inst->decl->name.name +
                                       "' has no member '" + m + "'");
    std::string guess = closest(m, names);
    if (!guess.empty())
      d.note(e.member.range, "did you mean '" + guess + "'?");
    d.note(inst->decl->name.range,
           "'" + inst->decl->name.name + "' is defined here");
    return Value::error(e.range);
  }
  case Type::Kind::Tensor:
    if (m == "T") {
      if (base.type.rank() < 2) {
        error(e.member.range, "'.T' needs at least 2 dimensions, but " +
                                  quoted(base) + " has shape " +
                                  shapeStr(base.type.shape));
        return Value::error(e.range);
      }
      Value v = base;
      std::swap(v.type.shape[v.type.rank() - 1],
                v.type.shape[v.type.rank() - 2]);
      v.cv = ConstVal();
      v.describe = base.describe + ".T";
      return v;
    }
    break;
  default:
    break;
  }
  error(e.member.range, quoted(base) + " of type " + typeStr(base.type) +
                            " has no member '" + m + "'");
  return Value::error(e.range);
}

Value SemaImpl::checkList(const ListExpr &e) {
  Value v;
  v.type.kind = Type::Kind::List;
  bool allConst = true;
  std::vector<ConstVal> consts;
  for (const ExprPtr &x : e.elems) {
    Value ev = checkExpr(*x);
    if (ev.isError())
      return Value::error(e.range);
    if (!v.type.elems.empty()) {
      const Type &first = v.type.elems[0];
      bool same = first.kind == ev.type.kind ||
                  (first.isHostNumber() && ev.type.isHostNumber());
      if (!same) {
        error(x->range, "list elements must have one type, but " + quoted(ev) +
                            " is " + typeStr(ev.type) + " and the first is " +
                            typeStr(first));
        return Value::error(e.range);
      }
    }
    allConst = allConst && ev.cv.isKnown();
    v.type.elems.push_back(ev.type);
    v.items.push_back(ev.cv);
    v.itemDims.push_back(ev.cv.kind == ConstVal::Kind::Int
                             ? Dim::constant(ev.cv.i)
                             : ev.sizeDim);
    v.itemTypes.push_back(ev.type);
  }
  (void)allConst;
  return v;
}

//===----------------------------------------------------------------------===//
// Operators
//===----------------------------------------------------------------------===//

Value SemaImpl::hostArith(BinaryOp op, const Value &l, const Value &r,
                          SourceRange range) {
  const Type &a = l.type, &b = r.type;
  bool known = l.cv.isKnown() && r.cv.isKnown();
  auto num = [](const Value &v) {
    return v.cv.kind == ConstVal::Kind::Float ? v.cv.f
                                              : static_cast<double>(v.cv.i);
  };
  switch (op) {
  case BinaryOp::And:
  case BinaryOp::Or: {
    for (const Value *v : {&l, &r})
      if (v->type.kind != Type::Kind::Bool) {
        error(v->range, std::string("operands of '") + spelling(op) +
                            "' must be bool, but " + quoted(*v) + " is " +
                            typeStr(v->type));
        return Value::error(range);
      }
    Value v = makeHost(Type::Kind::Bool, range, "");
    if (known)
      v.cv = ConstVal::ofBool(
          op == BinaryOp::And ? (l.cv.i && r.cv.i) : (l.cv.i || r.cv.i), range);
    return v;
  }
  case BinaryOp::Eq:
  case BinaryOp::Ne:
  case BinaryOp::Lt:
  case BinaryOp::Le:
  case BinaryOp::Gt:
  case BinaryOp::Ge: {
    bool comparable = (a.isHostNumber() && b.isHostNumber()) ||
                      (a.kind == b.kind && (a.kind == Type::Kind::Str ||
                                            a.kind == Type::Kind::Bool ||
                                            a.kind == Type::Kind::DeviceT));
    if (!comparable) {
      error(range, "cannot compare " + quoted(l) + " of type " + typeStr(a) +
                       " with " + quoted(r) + " of type " + typeStr(b));
      return Value::error(range);
    }
    Value v = makeHost(Type::Kind::Bool, range, "");
    if (known && a.isHostNumber()) {
      double x = num(l), y = num(r);
      bool res = op == BinaryOp::Eq   ? x == y
                 : op == BinaryOp::Ne ? x != y
                 : op == BinaryOp::Lt ? x < y
                 : op == BinaryOp::Le ? x <= y
                 : op == BinaryOp::Gt ? x > y
                                      : x >= y;
      v.cv = ConstVal::ofBool(res, range);
    }
    return v;
  }
  case BinaryOp::MatMul:
    error(range, "'@' multiplies tensors, but " + quoted(l) + " is " +
                     typeStr(a) + " and " + quoted(r) + " is " + typeStr(b));
    return Value::error(range);
  default:
    break;
  }
  if (op == BinaryOp::Add && a.kind == Type::Kind::Str &&
      b.kind == Type::Kind::Str) {
    Value v = makeHost(Type::Kind::Str, range, "");
    if (known)
      v.cv = ConstVal::ofStr(l.cv.s + r.cv.s, range);
    return v;
  }
  for (const Value *v : {&l, &r}) {
    if (!v->type.isHostNumber()) {
      error(v->range, std::string("operator '") + spelling(op) +
                          "' needs numbers, but " + quoted(*v) + " is " +
                          typeStr(v->type));
      return Value::error(range);
    }
  }
  bool isInt = a.kind == Type::Kind::Int && b.kind == Type::Kind::Int &&
               op != BinaryOp::Div;
  if (op == BinaryOp::Pow && isInt && known && r.cv.i < 0)
    isInt = false;
  if (op == BinaryOp::Pow && isInt && !known)
    isInt = true;
  Value v = makeHost(isInt ? Type::Kind::Int : Type::Kind::Float, range, "");
  if (!known)
    return v;
  if (isInt) {
    int64_t x = l.cv.i, y = r.cv.i, res = 0;
    bool overflow = false;
    switch (op) {
    case BinaryOp::Add:
      overflow = __builtin_add_overflow(x, y, &res);
      break;
    case BinaryOp::Sub:
      overflow = __builtin_sub_overflow(x, y, &res);
      break;
    case BinaryOp::Mul:
      overflow = __builtin_mul_overflow(x, y, &res);
      break;
    case BinaryOp::Mod:
      if (y == 0) {
        error(range, "modulo by zero");
        return Value::error(range);
      }
      if (y == -1) { // INT64_MIN % -1 overflows in C++; the result is 0
        res = 0;
        break;
      }
      res = ((x % y) + y) % y;
      break;
    case BinaryOp::Pow: {
      res = 1;
      for (int64_t i = 0; i < y && !overflow; ++i)
        overflow = __builtin_mul_overflow(res, x, &res);
      break;
    }
    default:
      break;
    }
    if (overflow) {
      error(range, "integer overflow in constant expression");
      return Value::error(range);
    }
    v.cv = ConstVal::ofInt(res, range);
    return v;
  }
  double x = num(l), y = num(r), res = 0;
  switch (op) {
  case BinaryOp::Add:
    res = x + y;
    break;
  case BinaryOp::Sub:
    res = x - y;
    break;
  case BinaryOp::Mul:
    res = x * y;
    break;
  case BinaryOp::Div:
    if (y == 0) {
      error(range, "division by zero in constant expression");
      return Value::error(range);
    }
    res = x / y;
    break;
  case BinaryOp::Mod:
    if (y == 0) {
      error(range, "modulo by zero in constant expression");
      return Value::error(range);
    }
    res = x - y * std::floor(x / y); // floored, as Python
    break;
  case BinaryOp::Pow:
    res = std::pow(x, y);
    break;
  default:
    break;
  }
  v.cv = ConstVal::ofFloat(res, range);
  return v;
}

Value SemaImpl::checkUnary(const UnaryExpr &e) {
  Value v = checkExpr(*e.operand);
  if (v.isError())
    return v;
  if (e.op == UnaryOp::Not) {
    if (v.type.kind == Type::Kind::Bool) {
      Value r = makeHost(Type::Kind::Bool, e.range, "");
      if (v.cv.isKnown())
        r.cv = ConstVal::ofBool(!v.cv.i, e.range);
      return r;
    }
    if (v.type.isTensor() && v.type.dtype == DType::Bool) {
      Value r = v;
      r.describe.clear();
      return r;
    }
    error(v.range,
          "'not' needs a bool, but " + quoted(v) + " is " + typeStr(v.type));
    return Value::error(e.range);
  }
  if (v.type.isHostNumber()) {
    Value r = v;
    r.describe.clear();
    r.defRange = {};
    if (e.op == UnaryOp::Neg && v.cv.isKnown()) {
      if (v.cv.kind == ConstVal::Kind::Int &&
          v.cv.i == std::numeric_limits<int64_t>::min()) {
        error(e.range, "integer overflow in constant expression");
        return Value::error(e.range);
      }
      r.cv.i = -r.cv.i;
      r.cv.f = -r.cv.f;
      r.cv.origin = e.range;
    }
    return r;
  }
  if (v.type.isTensor()) {
    if (v.type.dtype == DType::Bool) {
      error(v.range, std::string("unary '") + spelling(e.op) +
                         "' is not defined for bool tensors; use 'not'");
      return Value::error(e.range);
    }
    Value r = v;
    r.describe.clear();
    r.defRange = {};
    return r;
  }
  error(v.range, std::string("unary '") + spelling(e.op) +
                     "' needs a number or a tensor, but " + quoted(v) + " is " +
                     typeStr(v.type));
  return Value::error(e.range);
}

Value SemaImpl::checkBinary(const BinaryExpr &e) {
  Value l = checkExpr(*e.lhs);
  Value r = checkExpr(*e.rhs);
  if (l.isError() || r.isError())
    return Value::error(e.range);
  // Datasets: arithmetic with a number transforms the features.
  if (l.type.kind == Type::Kind::Dataset) {
    if (!r.type.isHostNumber() ||
        (e.op != BinaryOp::Div && e.op != BinaryOp::Mul &&
         e.op != BinaryOp::Add && e.op != BinaryOp::Sub)) {
      error(e.opRange, std::string("a dataset can be scaled or shifted by a "
                                   "number ('") +
                           l.describe + " / 255.0'), not combined with " +
                           quoted(r) + " by '" + spelling(e.op) + "'");
      return Value::error(e.range);
    }
    Value v = l;
    v.describe.clear();
    if (!isFloatDType(v.type.elems[0].dtype))
      v.type.elems[0].dtype = DType::F32;
    return v;
  }
  if (e.op == BinaryOp::MatMul)
    return matmul(l, r, e.range, e.opRange);
  if (l.type.isTensor() || r.type.isTensor())
    return binaryArith(e.op, l, r, e.range, e.opRange);
  return hostArith(e.op, l, r, e.range);
}

Value SemaImpl::checkCast(const CastExpr &e) {
  Value v = checkExpr(*e.operand);
  if (v.isError())
    return v;
  const TypeExpr &t = *e.type;
  std::string name = t.name.name;
  if (t.kind == TypeExpr::Kind::Tuple) {
    error(t.range, "cannot cast to a tuple type");
    return Value::error(e.range);
  }
  std::optional<DType> dt = parseDType(name);
  if (v.type.isTensor()) {
    if (!dt) {
      error(t.range, "a tensor can be cast to a dtype (f32, f64, f16, bf16, "
                     "i32, i64, bool), not to '" +
                         name + "'");
      return Value::error(e.range);
    }
    Value r = v;
    r.type.dtype = *dt;
    r.describe = toSource(*e.operand, 30) + " as " + toSource(t);
    r.defRange = {};
    if (t.kind == TypeExpr::Kind::Tensor) {
      std::optional<Type> want = resolveType(t, true);
      if (want && !want->isError() &&
          !assignable(*want, r, e.range, toSource(*e.operand), {}))
        return Value::error(e.range);
    }
    return r;
  }
  if (v.type.isHostNumber() || v.type.kind == Type::Kind::Bool) {
    Value r = v;
    r.describe.clear();
    if (name == "int" || name == "float" || name == "bool") {
      Type::Kind k = name == "int"     ? Type::Kind::Int
                     : name == "float" ? Type::Kind::Float
                                       : Type::Kind::Bool;
      r.type = Type::simple(k);
      if (v.cv.isKnown()) {
        double x = v.cv.kind == ConstVal::Kind::Float ? v.cv.f : double(v.cv.i);
        r.cv = k == Type::Kind::Int     ? ConstVal::ofInt(int64_t(x), e.range)
               : k == Type::Kind::Float ? ConstVal::ofFloat(x, e.range)
                                        : ConstVal::ofBool(x != 0, e.range);
      }
      return r;
    }
    if (dt && t.kind == TypeExpr::Kind::Named) {
      r.type = Type::tensor(*dt, {});
      r.cv = ConstVal();
      return r;
    }
  }
  error(t.range, "cannot cast " + quoted(v) + " of type " + typeStr(v.type) +
                     " to '" + toSource(t) + "'");
  return Value::error(e.range);
}

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

Value SemaImpl::checkIndex(const IndexExpr &e) {
  Value base = checkExpr(*e.base);
  if (base.isError())
    return base;
  if (base.type.kind == Type::Kind::Tuple ||
      base.type.kind == Type::Kind::List) {
    if (e.items.size() != 1 || e.items[0].kind != SliceItem::Kind::Index) {
      error(e.range, "a tuple or list takes one integer index");
      return Value::error(e.range);
    }
    Value idx = checkExpr(*e.items[0].start);
    if (idx.isError())
      return idx;
    if (idx.type.kind != Type::Kind::Int || !idx.cv.isKnown()) {
      error(idx.range, "the index of a tuple or list must be an integer "
                       "known at compile time");
      return Value::error(e.range);
    }
    int64_t n = static_cast<int64_t>(base.type.elems.size());
    int64_t i = idx.cv.i < 0 ? idx.cv.i + n : idx.cv.i;
    if (i < 0 || i >= n) {
      error(idx.range, "index " + std::to_string(idx.cv.i) +
                           " is out of range for " + quoted(base) + " with " +
                           std::to_string(n) + " elements");
      return Value::error(e.range);
    }
    Value v;
    v.type = base.type.elems[i];
    return v;
  }
  if (!base.type.isTensor()) {
    error(e.base->range, quoted(base) + " of type " + typeStr(base.type) +
                             " cannot be indexed");
    return Value::error(e.range);
  }
  const std::vector<Dim> &shape = base.type.shape;
  size_t explicitDims = 0;
  bool ellipsis = false;
  for (const SliceItem &it : e.items) {
    if (it.kind == SliceItem::Kind::Ellipsis) {
      if (ellipsis) {
        error(it.range, "only one '...' is allowed in an index");
        return Value::error(e.range);
      }
      ellipsis = true;
    } else {
      ++explicitDims;
    }
  }
  if (explicitDims > shape.size()) {
    error(e.range, "too many indices: " + quoted(base) + " has " +
                       std::to_string(shape.size()) + " dimensions " +
                       shapeStr(shape) + " but " +
                       std::to_string(explicitDims) + " are indexed");
    return Value::error(e.range);
  }
  std::vector<Dim> out;
  size_t d = 0;
  for (const SliceItem &it : e.items) {
    if (it.kind == SliceItem::Kind::Ellipsis) {
      size_t skip = shape.size() - explicitDims;
      for (size_t k = 0; k < skip; ++k)
        out.push_back(shape[d++]);
      continue;
    }
    const Dim &dim = shape[d];
    if (it.kind == SliceItem::Kind::Index) {
      Value idx = checkExpr(*it.start);
      if (idx.isError())
        return Value::error(e.range);
      if (idx.type.isTensor()) {
        if (!isIntDType(idx.type.dtype)) {
          error(idx.range, "a tensor used as an index must hold integers, "
                           "but " +
                               quoted(idx) + " is " + typeStr(idx.type));
          return Value::error(e.range);
        }
        for (const Dim &x : idx.type.shape)
          out.push_back(x);
        ++d;
        continue;
      }
      if (idx.type.kind != Type::Kind::Int) {
        error(idx.range, "an index must be an integer, but " + quoted(idx) +
                             " is " + typeStr(idx.type));
        return Value::error(e.range);
      }
      if (idx.cv.isKnown() && dim.isConst() &&
          (idx.cv.i >= dim.value || idx.cv.i < -dim.value)) {
        error(idx.range, "index " + std::to_string(idx.cv.i) +
                             " is out of bounds for dimension " +
                             std::to_string(d) + " of size " +
                             std::to_string(dim.value))
            .note(base.defRange.isValid() ? base.defRange : base.range,
                  quoted(base) + " has shape " + shapeStr(shape));
        return Value::error(e.range);
      }
      ++d;
      continue;
    }
    // A range a:b:c.
    std::optional<int64_t> vals[3];
    const ExprPtr *parts[3] = {&it.start, &it.stop, &it.step};
    for (int k = 0; k < 3; ++k) {
      if (!*parts[k])
        continue;
      Value pv = checkExpr(**parts[k]);
      if (pv.isError())
        return Value::error(e.range);
      if (pv.type.kind != Type::Kind::Int) {
        error(pv.range, "slice bounds must be integers, but " + quoted(pv) +
                            " is " + typeStr(pv.type));
        return Value::error(e.range);
      }
      if (pv.cv.isKnown())
        vals[k] = pv.cv.i;
      else if (k == 2) {
        error(pv.range, "a slice step must be known at compile time");
        return Value::error(e.range);
      }
    }
    int64_t step = vals[2].value_or(1);
    if (step <= 0) {
      error((*parts[2])->range, "slice step must be positive");
      return Value::error(e.range);
    }
    bool startKnown = !it.start || vals[0];
    bool stopKnown = !it.stop || vals[1];
    if (dim.isConst() && startKnown && stopKnown) {
      int64_t n = dim.value;
      auto clampIdx = [n](int64_t i) {
        if (i < 0)
          i += n;
        return std::max<int64_t>(0, std::min(i, n));
      };
      int64_t s = it.start ? clampIdx(*vals[0]) : 0;
      int64_t t = it.stop ? clampIdx(*vals[1]) : n;
      int64_t len = t > s ? (t - s + step - 1) / step : 0;
      out.push_back(Dim::constant(len));
    } else if (!it.start && !it.stop && step == 1) {
      out.push_back(dim);
    } else if (!dim.isConst() && vals[0] && vals[1] && *vals[0] >= 0 &&
               *vals[1] >= *vals[0]) {
      out.push_back(Dim::constant((*vals[1] - *vals[0] + step - 1) / step));
    } else {
      out.push_back(Dim::unknown());
    }
    ++d;
  }
  for (; d < shape.size(); ++d)
    out.push_back(shape[d]);
  return makeTensor(base.type.dtype, out, e.range, "", base.type.device);
}

//===----------------------------------------------------------------------===//
// step and evaluate
//===----------------------------------------------------------------------===//

namespace {
bool isWithin(const ModelInstance *inst, const ModelInstance *root) {
  // Sub-layers are recorded by path prefix.
  if (inst == root)
    return true;
  return !root->path.empty() && inst->path.rfind(root->path + ".", 0) == 0;
}
} // namespace

Value SemaImpl::checkStep(const StepExpr &e) {
  if (!isTopLevel()) {
    error(e.range, "'step' trains a model: it belongs in the script, not "
                   "inside a function or model");
    return Value::error(e.range);
  }
  Value opt = checkExpr(*e.optimizer);
  if (opt.isError())
    return Value::error(e.range);
  if (opt.type.kind != Type::Kind::Optimizer) {
    auto d =
        error(e.optimizer->range, "'step' needs an optimizer, but " +
                                      quoted(opt) + " is " + typeStr(opt.type));
    if (opt.type.kind == Type::Kind::Model)
      d.note(e.optimizer->range, "create one with 'let opt = Adam(" +
                                     opt.describe + ", lr = 1e-3)'");
    return Value::error(e.range);
  }
  std::vector<const ModelInstance *> used;
  Value loss;
  {
    auto saved = modelUses;
    modelUses.clear();
    loss = checkExpr(*e.loss);
    used = modelUses;
    modelUses = saved;
    modelUses.insert(modelUses.end(), used.begin(), used.end());
  }
  if (loss.isError())
    return Value::error(e.range);
  if (!loss.type.isTensor() || !isFloatDType(loss.type.dtype)) {
    error(e.loss->range, "the loss must be a floating-point tensor, but " +
                             quoted(loss) + " is " + typeStr(loss.type));
    return Value::error(e.range);
  }
  if (!loss.type.shape.empty()) {
    error(e.loss->range, "the loss must be a scalar, but " + quoted(loss) +
                             " has shape " + shapeStr(loss.type.shape))
        .note(e.loss->range, "reduce it with mean(...) or sum(...)");
    return Value::error(e.range);
  }
  const ModelInstance *target = opt.type.optimizer->model;
  bool depends = false;
  for (const ModelInstance *m : used)
    depends = depends || isWithin(m, target) || isWithin(target, m);
  if (!depends) {
    error(e.loss->range, "the loss does not use '" + target->path +
                             "', the model that '" + opt.describe +
                             "' optimizes")
        .note(opt.type.optimizer->createdAt, "'" + opt.describe +
                                                 "' was created for '" +
                                                 target->path + "' here");
    return Value::error(e.range);
  }
  Value v = makeTensor(loss.type.dtype, {}, e.range, "step", loss.type.device);
  return v;
}

Value SemaImpl::checkEvaluate(const EvaluateExpr &e) {
  Value model = checkExpr(*e.model);
  Value data = checkExpr(*e.data);
  if (model.isError() || data.isError())
    return Value::error(e.range);
  if (model.type.kind != Type::Kind::Model) {
    error(e.model->range, "'evaluate' needs a model, but " + quoted(model) +
                              " is " + typeStr(model.type));
    return Value::error(e.range);
  }
  Type batchesType;
  if (data.type.kind == Type::Kind::Batches) {
    batchesType = data.type;
  } else if (data.type.kind == Type::Kind::Dataset) {
    batchesType = data.type;
    batchesType.kind = Type::Kind::Batches;
    batchesType.dim = Dim::symbol(newSymbol("B"));
    for (Type &t : batchesType.elems)
      t.shape.insert(t.shape.begin(), batchesType.dim);
  } else {
    error(e.data->range, "'evaluate' runs over a dataset or batches(...), "
                         "but " +
                             quoted(data) + " is " + typeStr(data.type));
    return Value::error(e.range);
  }
  if (e.metrics.empty()) {
    error(e.range, "'evaluate' needs at least one metric, e.g. "
                   "'{ loss: cross_entropy, accuracy }'");
    return Value::error(e.range);
  }
  noteBatchSource(e.data->range, batchesType);
  Value x = makeTensor(batchesType.elems[0].dtype, batchesType.elems[0].shape,
                       e.data->range, "inputs of " + data.describe);
  Value y = makeTensor(batchesType.elems[1].dtype, batchesType.elems[1].shape,
                       e.data->range, "targets of " + data.describe);
  std::vector<ArgValue> fargs{{"", {}, x}};
  lastCalledBody = nullptr;
  Value out = callValue(model, fargs, e.model->range);
  if (out.isError())
    return Value::error(e.range);
  CheckedBody::Evaluation evaluation;
  evaluation.forward = lastCalledBody;
  out.describe = model.describe + "(...)";
  Value rec;
  rec.type.kind = Type::Kind::Record;
  std::set<std::string> seen;
  for (const Metric &m : e.metrics) {
    if (!seen.insert(m.name.name).second) {
      error(m.name.range, "metric '" + m.name.name + "' is listed twice");
      continue;
    }
    Value fn;
    if (m.fn) {
      fn = checkExpr(*m.fn);
    } else {
      // Not through checkExpr: the temporary must not be recorded.
      NameExpr name(m.name.range, m.name.name);
      fn = checkName(name);
      fn.range = m.name.range;
      fn.describe = m.name.name;
    }
    // A failed metric still names a field, so later uses do not cascade.
    rec.type.names.push_back(m.name.name);
    rec.type.elems.push_back(Type::simple(Type::Kind::Float));
    if (fn.isError())
      continue;
    if (fn.type.kind != Type::Kind::Function) {
      error(m.fn ? m.fn->range : m.name.range,
            "a metric is a function of (outputs, targets), but " + quoted(fn) +
                " is " + typeStr(fn.type));
      continue;
    }
    std::vector<ArgValue> margs{{"", {}, out}, {"", {}, y}};
    lastCalledBody = nullptr;
    Value r = callValue(fn, margs, m.fn ? m.fn->range : m.name.range);
    evaluation.metrics.push_back(lastCalledBody);
    if (r.isError())
      continue;
    bool scalar =
        r.type.isHostNumber() || (r.type.isTensor() && r.type.shape.empty() &&
                                  r.type.dtype != DType::Bool);
    if (!scalar) {
      error(m.fn ? m.fn->range : m.name.range,
            "metric '" + m.name.name +
                "' must give one number per batch, "
                "but it gives " +
                typeStr(r.type));
      continue;
    }
  }
  if (currentBody)
    currentBody->evaluations[&e] = evaluation;
  return rec;
}
