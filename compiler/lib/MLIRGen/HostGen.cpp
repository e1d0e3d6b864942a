//===- HostGen.cpp - The script around the steps: @nnc_main ---------------===//
//
// Generates `func.func @nnc_main() -> i32`, the script itself: its loops,
// data, `step`, `evaluate`, `print`, `save`, `load` and `write`, in the same
// module as the steps, so one pipeline compiles both and the steps inline
// into the training loop. Everything that is not tensor math is a call to
// the runtime's C ABI (runtime/include/nnc/runtime/HostABI.h).
//
// Algorithm:
//   1. Storage. Model parameters, optimizer state and step counters are
//      memref.globals (`@"net.fc1.weight"`); a statement reads a parameter
//      as `bufferization.to_tensor (memref.get_global) restrict` right where
//      it is used, and a step writes the new values back with
//      `bufferization.materialize_in_destination`, after every read of the
//      step. Host numbers and records are memref<T> globals too, so `scf.if`
//      and `scf.while` carry no values; tensors and dataset ids are SSA
//      values of the block that defines them.
//   2. Statements in order. `for a in lo..hi` and `while` are scf.while
//      loops; `for (x, y) in batches(...)` is an scf.while around the
//      runtime's loader (one loader per call site, created on first use,
//      one epoch per loop). `break` and `continue` set flags: the loop's
//      condition tests the first, and the statements after one that may
//      jump run under `scf.if` neither flag is set.
//   3. `step opt minimize LOSS` calls @step_k on the globals and stores the
//      results; a loop that contains a step also ends when the run's step
//      budget (`--max-steps`) is spent. `evaluate` calls @eval_k per batch
//      and averages the metrics weighted by batch size. `predictions`
//      inlines the model's forward over the batches of a dataset into one
//      tensor.
//   4. `--save-init` is written before the first step, `--save-final` at the
//      end, both with the names `<model variable>.<parameter>`.
//
//===----------------------------------------------------------------------===//

#include "Generator.h"
#include "nnc/MLIRGen/RuntimeABI.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>

using namespace nnc;
using namespace nnc::gen;

namespace nnc::gen {

namespace {

/// True when `s` contains a `break` or `continue` of the loop around it.
bool mayJump(const Stmt &s) {
  if (isa<BreakStmt>(s) || isa<ContinueStmt>(s))
    return true;
  if (const auto *i = dyn_cast<IfStmt>(&s)) {
    for (const StmtPtr &t : i->thenBody)
      if (mayJump(*t))
        return true;
    for (const StmtPtr &t : i->elseBody)
      if (mayJump(*t))
        return true;
  }
  return false;
}

bool exprHasStep(const Expr *e) { return e && isa<StepExpr>(e); }

/// True when `stmts` run an optimizer step (in nested loops too).
bool hasStep(const Block &stmts) {
  for (const StmtPtr &s : stmts) {
    if (const auto *e = dyn_cast<ExprStmt>(s.get());
        e && exprHasStep(e->expr.get()))
      return true;
    if (const auto *l = dyn_cast<LetStmt>(s.get());
        l && exprHasStep(l->init.get()))
      return true;
    if (const auto *f = dyn_cast<ForStmt>(s.get()); f && hasStep(f->body))
      return true;
    if (const auto *w = dyn_cast<WhileStmt>(s.get()); w && hasStep(w->body))
      return true;
    if (const auto *i = dyn_cast<IfStmt>(s.get()))
      if (hasStep(i->thenBody) || hasStep(i->elseBody))
        return true;
  }
  return false;
}

mlir::Type memrefOf(mlir::Type t) {
  if (auto r = llvm::dyn_cast<mlir::RankedTensorType>(t))
    return mlir::MemRefType::get(r.getShape(), r.getElementType());
  return mlir::MemRefType::get({}, t);
}

} // namespace

const char *dtypeSuffix(mlir::Type elem) {
  if (elem.isF32())
    return "f32";
  if (elem.isF64())
    return "f64";
  if (elem.isInteger(64))
    return "i64";
  if (elem.isInteger(1))
    return "i1";
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

void Generator::nameGlobal(const std::string &global, std::string name) {
  std::string unique = name;
  for (int k = 2; usedStateNames.count(unique); ++k)
    unique = name + "#" + std::to_string(k);
  usedStateNames.insert(unique);
  stateNames[global] = unique;
}

void Generator::atDeclarations() {
  if (mainFn)
    b.setInsertionPoint(mainFn);
  else
    b.setInsertionPointToStart(module.getBody());
}

mlir::Operation *Generator::findSymbol(llvm::StringRef name) {
  auto it = symbols.find(name);
  if (it != symbols.end())
    return it->second;
  mlir::Operation *op = module.lookupSymbol(name);
  if (op)
    symbols[name] = op;
  return op;
}

std::string Generator::newGlobal(mlir::Type type, mlir::Attribute init) {
  std::string name = "nnc.v" + std::to_string(globalCount++);
  mlir::OpBuilder::InsertionGuard guard(b);
  atDeclarations();
  auto mt = llvm::cast<mlir::MemRefType>(type);
  symbols[name] = b.create<mlir::memref::GlobalOp>(
      b.getUnknownLoc(), name, b.getStringAttr("private"), mt,
      init ? init : b.getUnitAttr(),
      /*constant=*/false,
      /*alignment=*/b.getI64IntegerAttr(64));
  return name;
}

std::string Generator::newI64Global(int64_t init) {
  auto t = mlir::RankedTensorType::get({}, b.getI64Type());
  return newGlobal(mlir::MemRefType::get({}, b.getI64Type()),
                   mlir::DenseElementsAttr::get(t, b.getI64IntegerAttr(init)));
}

Generator::LoopFlags Generator::newLoopFlags(mlir::Location l) {
  // Uninitialized: `broken` is cleared here, `continued` at the start of
  // every iteration.
  auto flagType = mlir::MemRefType::get({}, b.getI1Type());
  LoopFlags flags{newGlobal(flagType, {}), newGlobal(flagType, {})};
  ++loopCount;
  nameGlobal(flags.broken, "loop" + std::to_string(loopCount) + ".broken");
  nameGlobal(flags.continued,
             "loop" + std::to_string(loopCount) + ".continued");
  storeGlobal(flags.broken, b.create<mlir::arith::ConstantIntOp>(l, 0, 1), l);
  return flags;
}

mlir::Value Generator::global(const std::string &name, mlir::Location l) {
  auto g = llvm::cast<mlir::memref::GlobalOp>(findSymbol(name));
  mlir::Block *block = b.getInsertionBlock();
  mlir::Operation *parent = block ? block->getParentOp() : nullptr;
  bool inMain =
      parent && (parent == mainFn.getOperation() ||
                 parent->getParentOfType<mlir::func::FuncOp>() == mainFn);
  if (!inMain)
    return b.create<mlir::memref::GetGlobalOp>(l, g.getType(), name);
  // In @nnc_main one reference at the top serves every statement: a step's
  // results can then be computed straight into the global (empty-tensor
  // elimination needs the destination to dominate the computation).
  auto it = mainGlobals.find(name);
  if (it == mainGlobals.end()) {
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&mainFn.getBody().front());
    it = mainGlobals
             .emplace(name, b.create<mlir::memref::GetGlobalOp>(
                                b.getUnknownLoc(), g.getType(), name))
             .first;
  }
  return it->second;
}

mlir::Value Generator::loadGlobal(const std::string &name, mlir::Location l) {
  return b.create<mlir::memref::LoadOp>(l, global(name, l));
}

void Generator::storeGlobal(const std::string &name, mlir::Value v,
                            mlir::Location l) {
  b.create<mlir::memref::StoreOp>(l, v, global(name, l));
}

mlir::func::CallOp Generator::rt(const std::string &fn, mlir::TypeRange results,
                                 mlir::ValueRange args, mlir::Location l) {
  // Every call is checked against the runtime's one ABI table, and the
  // declaration made from it: a mismatch would be a crash or garbage when
  // the program runs.
  bool cInterface = false;
  std::string mismatch =
      checkRuntimeCall(fn, args.getTypes(), results, cInterface);
  if (!mismatch.empty())
    llvm::report_fatal_error(llvm::Twine("internal error: ") + mismatch);
  if (!findSymbol(fn)) {
    mlir::OpBuilder::InsertionGuard guard(b);
    atDeclarations();
    auto decl = b.create<mlir::func::FuncOp>(
        b.getUnknownLoc(), fn, b.getFunctionType(args.getTypes(), results));
    symbols[fn] = decl;
    decl.setPrivate();
    if (cInterface)
      decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }
  return b.create<mlir::func::CallOp>(l, fn, results, args);
}

mlir::Value Generator::str(const std::string &s, mlir::Location l) {
  auto it = strings.find(s);
  if (it == strings.end()) {
    std::string name = "nnc.str" + std::to_string(strings.size());
    mlir::OpBuilder::InsertionGuard guard(b);
    atDeclarations();
    std::string bytes = s + '\0';
    auto type = mlir::LLVM::LLVMArrayType::get(b.getI8Type(), bytes.size());
    b.create<mlir::LLVM::GlobalOp>(b.getUnknownLoc(), type, /*isConstant=*/true,
                                   mlir::LLVM::Linkage::Internal, name,
                                   b.getStringAttr(bytes));
    it = strings.emplace(s, name).first;
  }
  return b.create<mlir::LLVM::AddressOfOp>(
      l, mlir::LLVM::LLVMPointerType::get(&ctx), it->second);
}

mlir::Value Generator::hostConst(const ConstVal &c, const Type &t,
                                 mlir::Location l) {
  switch (t.kind) {
  case Type::Kind::Int:
    return b.create<mlir::arith::ConstantIntOp>(l, c.i, 64);
  case Type::Kind::Float:
    return b.create<mlir::arith::ConstantFloatOp>(
        l, llvm::APFloat(c.kind == ConstVal::Kind::Int ? double(c.i) : c.f),
        b.getF64Type());
  case Type::Kind::Bool:
    return b.create<mlir::arith::ConstantIntOp>(l, c.i != 0, 1);
  case Type::Kind::Str:
    return str(c.s, l);
  default:
    return nullptr;
  }
}

mlir::Value Generator::toF64(const HV &v, mlir::Location l) {
  if (v.k == HV::K::Int)
    return b.create<mlir::arith::SIToFPOp>(l, b.getF64Type(), v.v);
  if (v.k == HV::K::Bool)
    return b.create<mlir::arith::UIToFPOp>(l, b.getF64Type(), v.v);
  return v.v;
}

mlir::Value Generator::i32Flag(mlir::Value i1, mlir::Location l) {
  return b.create<mlir::arith::ExtUIOp>(l, b.getI32Type(), i1);
}

mlir::Value Generator::budgetOk(mlir::Location l) {
  mlir::Value max = loadGlobal(maxSteps, l);
  mlir::Value done = loadGlobal(stepsDone, l);
  mlir::Value zero = b.create<mlir::arith::ConstantIntOp>(l, 0, 64);
  mlir::Value unlimited = b.create<mlir::arith::CmpIOp>(
      l, mlir::arith::CmpIPredicate::slt, max, zero);
  mlir::Value left = b.create<mlir::arith::CmpIOp>(
      l, mlir::arith::CmpIPredicate::slt, done, max);
  return b.create<mlir::arith::OrIOp>(l, unlimited, left);
}

std::string Generator::locationString(mlir::Location l) {
  auto fl = llvm::dyn_cast<mlir::FileLineColLoc>(l);
  if (!fl)
    return "";
  return fl.getFilename().str() + ":" + std::to_string(fl.getLine()) + ":" +
         std::to_string(fl.getColumn());
}

void Generator::setLocation(mlir::Location l) {
  std::string where = locationString(l);
  if (!where.empty())
    rt("nnc_rt_set_location", {}, {str(where, l)}, l);
}

void Generator::setLocation(SourceRange r) {
  if (r.isValid())
    setLocation(loc(r));
}

mlir::Value Generator::tensorOf(mlir::Value memref, mlir::Location l) {
  auto mt = llvm::cast<mlir::MemRefType>(memref.getType());
  return b.create<mlir::bufferization::ToTensorOp>(
      l, mlir::RankedTensorType::get(mt.getShape(), mt.getElementType()),
      memref, /*restrict=*/true, /*writable=*/false);
}

mlir::Value Generator::unrankedView(mlir::Value v, mlir::Location l) {
  if (auto tt = llvm::dyn_cast<mlir::RankedTensorType>(v.getType()))
    v = b.create<mlir::bufferization::ToMemrefOp>(
        l, mlir::MemRefType::get(tt.getShape(), tt.getElementType()), v,
        /*read_only=*/true);
  auto mt = llvm::cast<mlir::MemRefType>(v.getType());
  return b.create<mlir::memref::CastOp>(
      l, mlir::UnrankedMemRefType::get(mt.getElementType(), 0), v);
}

void Generator::materialize(mlir::Value tensor, const std::string &name,
                            mlir::Location l) {
  mlir::Value dest = global(name, l);
  auto op = b.create<mlir::bufferization::MaterializeInDestinationOp>(
      l, mlir::TypeRange{}, tensor, dest);
  op.setRestrict(true);
  op.setWritable(true);
}

mlir::Value Generator::loaderBatch(mlir::Value loader,
                                   mlir::RankedTensorType type, bool targets,
                                   SourceRange at, mlir::Location l) {
  const char *suffix = dtypeSuffix(type.getElementType());
  if (!suffix || (!targets && !type.getElementType().isF32())) {
    fail(at, "data of this element type");
    return nullptr;
  }
  // The batch dimension is whatever the loader hands out.
  llvm::SmallVector<int64_t> shape(type.getShape());
  shape[0] = mlir::ShapedType::kDynamic;
  auto memref = mlir::MemRefType::get(shape, type.getElementType());
  std::string fn = std::string("nnc_rt_loader_") + (targets ? "y_" : "x_") +
                   suffix + "_" + std::to_string(type.getRank());
  mlir::Value m = rt(fn, {memref}, {loader}, l).getResult(0);
  mlir::Value v = b.create<mlir::bufferization::ToTensorOp>(
      l, mlir::RankedTensorType::get(shape, type.getElementType()), m, true,
      false);
  if (v.getType() != type)
    v = b.create<mlir::tensor::CastOp>(l, type, v);
  return v;
}

mlir::Value Generator::findParam(const std::string &path) {
  auto p = params.find(path);
  if (p != params.end())
    return p->second;
  if (!host)
    return nullptr;
  auto g = paramGlobals.find(path);
  if (g == paramGlobals.end())
    return nullptr;
  mlir::Location l = b.getUnknownLoc();
  return tensorOf(global(g->second, l), l);
}

void Generator::checkSizes(mlir::Value x, mlir::Value like,
                           llvm::ArrayRef<int64_t> shape, mlir::Location l) {
  auto xt = rtt(x);
  int64_t offset = static_cast<int64_t>(shape.size()) - xt.getRank();
  for (int64_t i = 0; i < xt.getRank(); ++i) {
    int64_t have = xt.getDimSize(i), want = shape[offset + i];
    // A dynamic size meeting a fixed one, either way round; a fixed 1
    // broadcasts and needs no check.
    mlir::Value runtime;
    int64_t fixed;
    if (mlir::ShapedType::isDynamic(have) &&
        !mlir::ShapedType::isDynamic(want)) {
      runtime = b.create<mlir::tensor::DimOp>(l, x, i);
      fixed = want;
    } else if (!mlir::ShapedType::isDynamic(have) && have != 1 &&
               mlir::ShapedType::isDynamic(want) && like) {
      runtime = b.create<mlir::tensor::DimOp>(l, like, offset + i);
      fixed = have;
    } else {
      continue;
    }
    mlir::Value size =
        b.create<mlir::arith::IndexCastOp>(l, b.getI64Type(), runtime);
    mlir::Value expected = b.create<mlir::arith::ConstantIntOp>(l, fixed, 64);
    mlir::Value bad = b.create<mlir::arith::CmpIOp>(
        l, mlir::arith::CmpIPredicate::ne, size, expected);
    errorIf(bad, "nnc_rt_size_mismatch", {size, expected}, l);
  }
}

void Generator::errorIf(mlir::Value bad, const char *fn,
                        llvm::SmallVector<mlir::Value, 4> args,
                        mlir::Location l) {
  auto ifOp = b.create<mlir::scf::IfOp>(l, bad, false);
  mlir::OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  args.push_back(str(locationString(l), l));
  rt(fn, {}, args, l);
}

void Generator::checkLabels(const std::string &fn,
                            llvm::ArrayRef<mlir::Value> args,
                            mlir::Location l) {
  auto it = labelChecks.find(fn);
  if (it == labelChecks.end())
    return;
  for (auto [argNo, classes] : it->second) {
    if (argNo >= args.size())
      continue;
    mlir::Value y = args[argNo];
    auto yt = rtt(y);
    if (!yt.getElementType().isInteger(64))
      continue;
    llvm::SmallVector<int64_t> all;
    for (int64_t d = 0; d < yt.getRank(); ++d)
      all.push_back(d);
    auto f64s = mlir::RankedTensorType::get(yt.getShape(), b.getF64Type());
    auto scalar = mlir::RankedTensorType::get({}, b.getF64Type());
    mlir::Value yf = b.create<nn::CastOp>(l, f64s, y);
    auto dims = b.getDenseI64ArrayAttr(all);
    mlir::Value mx =
        b.create<nn::ReduceMaxOp>(l, scalar, yf, dims, b.getBoolAttr(false));
    mlir::Value mn = b.create<nn::NegOp>(
        l, b.create<nn::ReduceMaxOp>(l, scalar, b.create<nn::NegOp>(l, yf),
                                     dims, b.getBoolAttr(false)));
    mlir::Value hi =
        b.create<mlir::tensor::ExtractOp>(l, mx, mlir::ValueRange{});
    mlir::Value lo =
        b.create<mlir::tensor::ExtractOp>(l, mn, mlir::ValueRange{});
    mlir::Value limit = b.create<mlir::arith::ConstantFloatOp>(
        l, llvm::APFloat(double(classes)), b.getF64Type());
    mlir::Value zero = b.create<mlir::arith::ConstantFloatOp>(
        l, llvm::APFloat(0.0), b.getF64Type());
    mlir::Value tooHigh = b.create<mlir::arith::CmpFOp>(
        l, mlir::arith::CmpFPredicate::OGE, hi, limit);
    mlir::Value tooLow = b.create<mlir::arith::CmpFOp>(
        l, mlir::arith::CmpFPredicate::OLT, lo, zero);
    mlir::Value bad = b.create<mlir::arith::OrIOp>(l, tooHigh, tooLow);
    auto ifOp = b.create<mlir::scf::IfOp>(l, bad, false);
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    setLocation(l);
    mlir::Value label = b.create<mlir::arith::FPToSIOp>(
        l, b.getI64Type(), b.create<mlir::arith::SelectOp>(l, tooHigh, hi, lo));
    rt("nnc_rt_label_out_of_range", {},
       {label, b.create<mlir::arith::ConstantIntOp>(l, classes, 64)}, l);
  }
}

void Generator::checkDatasetLabels(const std::string &fn, unsigned argNo,
                                   mlir::Value loader, const char *user,
                                   mlir::Location l) {
  auto it = labelChecks.find(fn);
  if (it == labelChecks.end() || !loader)
    return;
  for (auto [n, classes] : it->second)
    if (n == argNo)
      rt("nnc_rt_loader_check_labels", {},
         {loader, b.create<mlir::arith::ConstantIntOp>(l, classes, 64),
          str(locationString(l), l), str(user, l)},
         l);
}

Generator::HostVar *Generator::findVar(const std::string &name) {
  for (auto it = hostScopes.rbegin(); it != hostScopes.rend(); ++it) {
    auto f = it->find(name);
    if (f != it->end())
      return &f->second;
  }
  return nullptr;
}

std::optional<GV> Generator::hostAsGV(const std::string &name) {
  HostVar *v = findVar(name);
  if (!v)
    return std::nullopt;
  mlir::Location l = b.getUnknownLoc();
  GV g;
  if (v->k == HV::K::Tensor) {
    g.value = v->global.empty() ? v->ssa.v : tensorOf(global(v->global, l), l);
    return g;
  }
  mlir::Value x;
  if (v->k == HV::K::Float)
    x = v->global.empty() ? v->ssa.v : loadGlobal(v->global, l);
  else if (v->k == HV::K::Int || v->k == HV::K::Bool) {
    HV h;
    h.k = v->k;
    h.v = v->global.empty() ? v->ssa.v : loadGlobal(v->global, l);
    x = toF64(h, l);
  } else {
    return std::nullopt;
  }
  g.value = b.create<mlir::tensor::FromElementsOp>(
      l, mlir::RankedTensorType::get({}, b.getF64Type()), x);
  return g;
}

std::vector<std::pair<std::string, std::string>>
Generator::modelGlobals(const ModelInstance *m, const std::string &prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string root = modelPath(m);
  for (auto &[name, t] : modelParameters(m))
    out.push_back({prefix + name, paramGlobals.at(root + "." + name)});
  return out;
}

void Generator::emitSave(
    mlir::Value path,
    const std::vector<std::pair<std::string, std::string>> &named,
    mlir::Location l) {
  rt("nnc_rt_save_begin", {}, {path}, l);
  for (auto &[name, g] : named) {
    mlir::Value m = global(g, l);
    auto elem = llvm::cast<mlir::MemRefType>(m.getType()).getElementType();
    rt(std::string("nnc_rt_save_") + dtypeSuffix(elem), {},
       {str(name, l), unrankedView(m, l)}, l);
  }
  rt("nnc_rt_save_end", {}, {}, l);
}

//===----------------------------------------------------------------------===//
// Resuming: --state and --resume
//
// A training state can be written at two kinds of places, its points: the
// condition of a loop that runs steps (when the step budget is spent there:
// a stop by --max-steps) and right after a batches loop that runs steps (an
// epoch's end). It holds every global: parameters, optimizer state and step
// counters, the script's numbers and records, loop counters and loader
// positions (see `@nnc_state_save`). A resumed run restores them all at the
// start (`@nnc_state_resume`) and then goes to the point through the same
// code, with the global `resumeTo` naming the point:
//   - a statement that a point follows in its block is skipped, unless the
//     point is inside it; statements that define SSA values (tensors,
//     datasets) run anyway, as they are pure, and steps do nothing;
//   - a loop with the point inside starts from its saved counter or loader
//     position and enters its body without testing its condition; an `if`
//     takes the branch that holds the point;
//   - arriving at the point sets `resumeTo` to 0, and the run goes on as the
//     uninterrupted run did.
//===----------------------------------------------------------------------===//

std::vector<int64_t> Generator::collectPoints(const Block &stmts) {
  std::vector<int64_t> all;
  std::vector<std::vector<int64_t>> here(stmts.size());
  for (size_t i = 0; i < stmts.size(); ++i) {
    const Stmt *s = stmts[i].get();
    std::vector<int64_t> &in = here[i];
    const Block *loopBody = nullptr;
    if (const auto *f = dyn_cast<ForStmt>(s))
      loopBody = &f->body;
    else if (const auto *w = dyn_cast<WhileStmt>(s))
      loopBody = &w->body;
    if (loopBody && hasStep(*loopBody)) {
      topPoint[s] = ++pointCount;
      in.push_back(pointCount);
      std::vector<int64_t> inner = collectPoints(*loopBody);
      in.insert(in.end(), inner.begin(), inner.end());
      const auto *f = dyn_cast<ForStmt>(s);
      const auto *call = f ? dyn_cast<CallExpr>(f->iterable.get()) : nullptr;
      const auto *callee =
          call ? dyn_cast<NameExpr>(call->callee.get()) : nullptr;
      if (callee && callee->name == "batches")
        endPoint[s] = ++pointCount;
    } else if (const auto *ifs = dyn_cast<IfStmt>(s)) {
      std::vector<int64_t> t = collectPoints(ifs->thenBody);
      std::vector<int64_t> e = collectPoints(ifs->elseBody);
      if (!t.empty())
        thenPoints[s] = t;
      in = t;
      in.insert(in.end(), e.begin(), e.end());
    }
    if (!in.empty())
      pointsIn[s] = in;
    all.insert(all.end(), in.begin(), in.end());
    if (auto e = endPoint.find(s); e != endPoint.end())
      all.push_back(e->second);
  }
  // Statements with a point after them in this block.
  bool later = false;
  for (size_t i = stmts.size(); i-- > 0;) {
    const Stmt *s = stmts[i].get();
    if (later || endPoint.count(s))
      beforePoint.insert(s);
    later = later || endPoint.count(s) || !here[i].empty();
  }
  return all;
}

std::string Generator::configGlobal(const std::string &name,
                                    const ConstVal &value, const Type &t) {
  auto it = configGlobals.find(name);
  if (it != configGlobals.end())
    return it->second;
  mlir::Location l = b.getUnknownLoc();
  mlir::Type type = b.getI1Type();
  if (t.kind == Type::Kind::Int)
    type = b.getI64Type();
  else if (t.kind == Type::Kind::Float)
    type = b.getF64Type();
  std::string g = newGlobal(mlir::MemRefType::get({}, type), {});
  transientGlobals.insert(g); // a resumed run takes its own --set values
  configGlobals.emplace(name, g);
  mlir::OpBuilder::InsertionGuard guard(b);
  // Right after @nnc_main's reference to the global, at its top.
  b.setInsertionPointAfter(global(g, l).getDefiningOp());
  mlir::Value dflt = hostConst(value, t, l);
  const char *fn = t.kind == Type::Kind::Int     ? "nnc_rt_config_i64"
                   : t.kind == Type::Kind::Float ? "nnc_rt_config_f64"
                                                 : "nnc_rt_config_bool";
  if (t.kind == Type::Kind::Bool)
    dflt = b.create<mlir::arith::ExtUIOp>(l, b.getI32Type(), dflt);
  mlir::Value v =
      rt(fn, {dflt.getType()}, {str(name, l), dflt}, l).getResult(0);
  if (t.kind == Type::Kind::Bool)
    v = b.create<mlir::arith::TruncIOp>(l, b.getI1Type(), v);
  storeGlobal(g, v, l);
  return g;
}

bool Generator::mentionsConfig(const Expr &e) {
  if (isa<NameExpr>(e))
    return sema.configRefs().count(&e) != 0;
  if (const auto *u = dyn_cast<UnaryExpr>(&e))
    return mentionsConfig(*u->operand);
  if (const auto *bin = dyn_cast<BinaryExpr>(&e))
    return mentionsConfig(*bin->lhs) || mentionsConfig(*bin->rhs);
  if (const auto *c = dyn_cast<CastExpr>(&e))
    return mentionsConfig(*c->operand);
  return false;
}

void Generator::emitProgramConfig(mlir::Location l) {
  // "name<TAB>type<TAB>value<TAB>run|build" per entry: `run` when every use
  // of the entry is a host number read when the program runs.
  std::map<std::string, bool> atRun;
  for (auto &[e, name] : sema.configRefs()) {
    auto it = atRun.emplace(name, true).first;
    it->second = it->second && runtimeConfigReads.count(e);
  }
  std::map<std::string, Type> types = sema.configTypes();
  std::string table;
  for (auto &[name, value] : sema.configValues()) {
    const Type &t = types[name];
    const char *kind = t.kind == Type::Kind::Int     ? "int"
                       : t.kind == Type::Kind::Float ? "float"
                       : t.kind == Type::Kind::Bool  ? "bool"
                       : t.kind == Type::Kind::Str   ? "str"
                                                     : "device";
    bool run = atRun.count(name) && atRun[name] && name != "seed" &&
               (t.kind == Type::Kind::Int || t.kind == Type::Kind::Float ||
                t.kind == Type::Kind::Bool);
    table += name + "\t" + kind + "\t" + value + "\t" +
             (run ? "run" : "build") + "\n";
  }
  mlir::OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  auto ptr = mlir::LLVM::LLVMPointerType::get(&ctx);
  auto fn = b.create<mlir::func::FuncOp>(l, "nnc_program_config",
                                         b.getFunctionType({}, {ptr}));
  b.setInsertionPointToEnd(fn.addEntryBlock());
  b.create<mlir::func::ReturnOp>(l, str(table, l));
}

bool Generator::definesValue(const Stmt &s) {
  if (isa<DataDecl>(s))
    return true;
  const auto *let = dyn_cast<LetStmt>(&s);
  if (!let || !let->init)
    return false;
  if (let->target.isTuple)
    return true;
  auto t = body->types.find(let->init.get());
  if (t == body->types.end())
    return false;
  return t->second.kind == Type::Kind::Tensor ||
         t->second.kind == Type::Kind::Str ||
         t->second.kind == Type::Kind::Dataset;
}

mlir::Value Generator::resumingTo(llvm::ArrayRef<int64_t> points,
                                  mlir::Location l) {
  mlir::Value any = b.create<mlir::arith::ConstantIntOp>(l, 0, 1);
  if (points.empty() || resumeTo.empty())
    return any;
  mlir::Value to = loadGlobal(resumeTo, l);
  // Points inside a statement are numbered consecutively.
  auto [lo, hi] = std::minmax_element(points.begin(), points.end());
  if (int64_t(points.size()) == *hi - *lo + 1)
    return b.create<mlir::arith::AndIOp>(
        l,
        b.create<mlir::arith::CmpIOp>(
            l, mlir::arith::CmpIPredicate::sge, to,
            b.create<mlir::arith::ConstantIntOp>(l, *lo, 64)),
        b.create<mlir::arith::CmpIOp>(
            l, mlir::arith::CmpIPredicate::sle, to,
            b.create<mlir::arith::ConstantIntOp>(l, *hi, 64)));
  for (int64_t p : points)
    any = b.create<mlir::arith::OrIOp>(
        l, any,
        b.create<mlir::arith::CmpIOp>(
            l, mlir::arith::CmpIPredicate::eq, to,
            b.create<mlir::arith::ConstantIntOp>(l, p, 64)));
  return any;
}

mlir::Value Generator::notResuming(mlir::Location l) {
  // Code without resume points (`nnc repl`'s inputs) never resumes.
  if (resumeTo.empty())
    return b.create<mlir::arith::ConstantIntOp>(l, 1, 1);
  return b.create<mlir::arith::CmpIOp>(
      l, mlir::arith::CmpIPredicate::eq, loadGlobal(resumeTo, l),
      b.create<mlir::arith::ConstantIntOp>(l, 0, 64));
}

void Generator::arriveAt(int64_t point, mlir::Location l) {
  auto ifOp = b.create<mlir::scf::IfOp>(l, resumingTo({point}, l), false);
  mlir::OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  storeGlobal(resumeTo, b.create<mlir::arith::ConstantIntOp>(l, 0, 64), l);
}

void Generator::saveStateAt(int64_t point, bool budgetStop, mlir::Location l,
                            const std::function<void()> &after) {
  mlir::Value wanted =
      rt("nnc_rt_state_wanted", {b.getI32Type()},
         {b.create<mlir::arith::ConstantIntOp>(l, budgetStop, 32)}, l)
          .getResult(0);
  auto ifOp = b.create<mlir::scf::IfOp>(
      l,
      b.create<mlir::arith::CmpIOp>(
          l, mlir::arith::CmpIPredicate::ne, wanted,
          b.create<mlir::arith::ConstantIntOp>(l, 0, 32)),
      false);
  mlir::OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  b.create<mlir::func::CallOp>(
      l, stateSaveFn,
      mlir::ValueRange{b.create<mlir::arith::ConstantIntOp>(l, point, 64)});
  if (after)
    after();
}

void Generator::saveStateIfBudgetSpent(int64_t point, mlir::Location l) {
  mlir::Value spent = b.create<mlir::arith::XOrIOp>(
      l, budgetOk(l), b.create<mlir::arith::ConstantIntOp>(l, 1, 1));
  auto ifOp = b.create<mlir::scf::IfOp>(l, spent, false);
  mlir::OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  // With --state, the stop is a pause: the state is written and the run
  // ends here (its --save-final too). The rest of the script runs when the
  // run is resumed, so that files it writes are those of the uninterrupted
  // run.
  saveStateAt(point, true, l, [&] {
    rt("nnc_rt_paused", {}, {loadGlobal(stepsDone, l)}, l);
    mlir::Value status =
        b.create<mlir::func::CallOp>(l, endRunFn, mlir::ValueRange{})
            .getResult(0);
    rt("nnc_rt_exit", {}, {status}, l);
  });
}

mlir::Value
Generator::deeperOrNormal(const Stmt &loop,
                          const std::function<mlir::Value()> &normal,
                          mlir::Location l) {
  std::vector<int64_t> deeper;
  if (auto pts = pointsIn.find(&loop); pts != pointsIn.end())
    for (int64_t p : pts->second)
      if (!topPoint.count(&loop) || p != topPoint.at(&loop))
        deeper.push_back(p);
  if (deeper.empty())
    return normal();
  auto ifOp = b.create<mlir::scf::IfOp>(l, mlir::TypeRange{b.getI1Type()},
                                        resumingTo(deeper, l), true);
  mlir::OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  b.create<mlir::scf::YieldOp>(
      l, mlir::ValueRange{b.create<mlir::arith::ConstantIntOp>(l, 1, 1)});
  b.setInsertionPointToStart(ifOp.elseBlock());
  mlir::Value v = normal();
  if (!v)
    return nullptr;
  b.create<mlir::scf::YieldOp>(l, v);
  return ifOp.getResult(0);
}

bool Generator::finishStateFunctions(mlir::Location l) {
  // Every global that is state, in a fixed order, and the layout that a
  // resumed run checks: "name:type;...;points:N".
  std::vector<mlir::memref::GlobalOp> globals;
  for (auto g : module.getOps<mlir::memref::GlobalOp>())
    if (!g.getConstant() && !transientGlobals.count(g.getSymName().str()))
      globals.push_back(g);
  auto nameOf = [&](mlir::memref::GlobalOp g) {
    auto n = stateNames.find(g.getSymName().str());
    return n == stateNames.end() ? g.getSymName().str() : n->second;
  };
  std::string layout;
  for (mlir::memref::GlobalOp g : globals) {
    mlir::MemRefType t = g.getType();
    const char *dtype = dtypeSuffix(t.getElementType());
    if (!dtype)
      return fail({}, "a training state with a variable of this type");
    layout += nameOf(g) + ":" + dtype;
    if (t.getRank()) {
      layout += "[";
      for (int64_t i = 0; i < t.getRank(); ++i)
        layout += (i ? "," : "") + std::to_string(t.getDimSize(i));
      layout += "]";
    }
    layout += ";";
  }
  layout += "points:" + std::to_string(pointCount);

  mlir::OpBuilder::InsertionGuard guard(b);
  // @nnc_state_save(point)
  b.setInsertionPointToEnd(&stateSaveFn.getBody().front());
  rt("nnc_rt_state_save_begin", {}, {}, l);
  for (mlir::memref::GlobalOp g : globals) {
    mlir::Value m = global(g.getSymName().str(), l);
    rt(std::string("nnc_rt_save_") + dtypeSuffix(g.getType().getElementType()),
       {}, {str(nameOf(g), l), unrankedView(m, l)}, l);
  }
  rt("nnc_rt_state_save_end", {},
     {stateSaveFn.getArgument(0), loadGlobal(stepsDone, l), str(layout, l)}, l);
  b.create<mlir::func::ReturnOp>(l);

  // @nnc_state_resume() -> point: restores everything when --resume names
  // a state of this program.
  b.setInsertionPointToEnd(&stateResumeFn.getBody().front());
  mlir::Value point =
      rt("nnc_rt_resume_point", {b.getI64Type()}, {str(layout, l)}, l)
          .getResult(0);
  auto ifOp = b.create<mlir::scf::IfOp>(
      l,
      b.create<mlir::arith::CmpIOp>(
          l, mlir::arith::CmpIPredicate::ne, point,
          b.create<mlir::arith::ConstantIntOp>(l, 0, 64)),
      false);
  b.setInsertionPointToStart(ifOp.thenBlock());
  // The optimizers' step counters, which the runtime checks against the
  // steps taken (their sum, when every optimizer is created once).
  std::string counters;
  for (auto &[opt, g] : stepCounters)
    counters += stateNames.at(g) + ";";
  rt("nnc_rt_state_load_begin", {},
     {str(counters, l),
      b.create<mlir::arith::ConstantIntOp>(l, optimizerInBlock ? 0 : 1, 32)},
     l);
  for (mlir::memref::GlobalOp g : globals) {
    mlir::Value m = global(g.getSymName().str(), l);
    rt(std::string("nnc_rt_load_") + dtypeSuffix(g.getType().getElementType()),
       {}, {str(nameOf(g), l), unrankedView(m, l)}, l);
  }
  rt("nnc_rt_load_end", {}, {}, l);
  b.setInsertionPointAfter(ifOp);
  b.create<mlir::func::ReturnOp>(l, point);
  return true;
}

//===----------------------------------------------------------------------===//
// @nnc_main
//===----------------------------------------------------------------------===//

const ModelInstance *Generator::modelCreatedBy(const Stmt &s) const {
  const auto *let = dyn_cast<LetStmt>(&s);
  if (!let || !let->init || let->target.isTuple)
    return nullptr;
  const CheckedBody &script = sema.getBodies().front();
  auto t = script.types.find(let->init.get());
  if (t == script.types.end() || t->second.kind != Type::Kind::Model)
    return nullptr;
  return t->second.model;
}

bool Generator::generateHost(const Program &main, const ScriptSites &sites) {
  for (size_t k = 0; k < sites.steps.size(); ++k)
    stepIndex[sites.steps[k]] = static_cast<unsigned>(k);
  for (size_t k = 0; k < sites.evaluations.size(); ++k)
    evalIndex[sites.evaluations[k]] = static_cast<unsigned>(k);
  const CheckedBody &script = sema.getBodies().front();
  mlir::Location l = loc({main.file, 0, 0});

  b.setInsertionPointToEnd(module.getBody());
  mainFn = b.create<mlir::func::FuncOp>(
      l, "nnc_main", b.getFunctionType({}, {b.getI32Type()}));
  mlir::Block *entry = mainFn.addEntryBlock();

  // Globals of every top-level model's parameters, named by their path.
  for (const StmtPtr &s : main.items) {
    const ModelInstance *m = modelCreatedBy(*s);
    if (!m)
      continue;
    modelVars[m] = cast<LetStmt>(*s).target.names[0].name;
    std::string root = modelPath(m);
    for (auto &[name, pt] : modelParameters(m)) {
      std::string path = root + "." + name;
      mlir::OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(mainFn);
      b.create<mlir::memref::GlobalOp>(
          b.getUnknownLoc(), path, b.getStringAttr("private"),
          llvm::cast<mlir::MemRefType>(memrefOf(tensorType(pt))),
          b.getUnitAttr(), false, b.getI64IntegerAttr(64));
      paramGlobals[path] = path;
    }
  }

  // @nnc_save_models(path): every model, as `<variable>.<parameter>`.
  {
    auto ptr = mlir::LLVM::LLVMPointerType::get(&ctx);
    b.setInsertionPoint(mainFn);
    saveModelsFn = b.create<mlir::func::FuncOp>(l, "nnc_save_models",
                                                b.getFunctionType({ptr}, {}));
    saveModelsFn.setPrivate();
    mlir::Block *e = saveModelsFn.addEntryBlock();
    b.setInsertionPointToEnd(e);
    std::vector<std::pair<std::string, std::string>> all;
    for (auto &[m, var] : modelVars)
      for (auto &ng : modelGlobals(m, var + "."))
        all.push_back(ng);
    std::sort(all.begin(), all.end());
    emitSave(e->getArgument(0), all, l);
    b.create<mlir::func::ReturnOp>(l);
  }

  // @nnc_state_save(point) and @nnc_state_resume() -> point, filled in at
  // the end, when every global exists.
  {
    b.setInsertionPoint(mainFn);
    stateSaveFn = b.create<mlir::func::FuncOp>(
        l, "nnc_state_save", b.getFunctionType({b.getI64Type()}, {}));
    stateSaveFn.setPrivate();
    stateSaveFn.addEntryBlock();
    stateResumeFn = b.create<mlir::func::FuncOp>(
        l, "nnc_state_resume", b.getFunctionType({}, {b.getI64Type()}));
    stateResumeFn.setPrivate();
    stateResumeFn.addEntryBlock();
    endRunFn = b.create<mlir::func::FuncOp>(
        l, "nnc_end_run", b.getFunctionType({}, {b.getI32Type()}));
    endRunFn.setPrivate();
    endRunFn.addEntryBlock();
  }
  collectPoints(main.items);

  b.setInsertionPointToEnd(entry);
  host = true;
  body = &script;
  self = nullptr;
  hostScopes.assign(1, {});
  int64_t seed = 0;
  for (auto &[k, v] : sema.configValues())
    if (k == "seed")
      seed = std::atoll(v.c_str());
  rt("nnc_rt_init", {}, {b.create<mlir::arith::ConstantIntOp>(l, seed, 64)}, l);
  // Absolute, so that a program built by `nnc build` finds the script's
  // files from any working directory.
  std::error_code ec;
  std::filesystem::path scriptPath =
      std::filesystem::absolute(std::string(sm.getName(main.file)), ec);
  std::string dir = ec ? "" : scriptPath.parent_path().string();
  rt("nnc_rt_set_script_dir", {}, {str(dir, l)}, l);
  stepsDone = newI64Global(0);
  nameGlobal(stepsDone, "steps");
  maxSteps = newI64Global(-1);
  storeGlobal(maxSteps,
              rt("nnc_rt_max_steps", {b.getI64Type()}, {}, l).getResult(0), l);
  transientGlobals.insert(maxSteps);
  // --resume: restore the state, then skip ahead to its point.
  resumeTo = newI64Global(0);
  transientGlobals.insert(resumeTo);
  storeGlobal(resumeTo,
              b.create<mlir::func::CallOp>(l, stateResumeFn, mlir::ValueRange{})
                  .getResult(0),
              l);

  if (!hostBlock(main.items))
    return false;
  b.create<mlir::func::ReturnOp>(
      l, b.create<mlir::func::CallOp>(l, endRunFn, mlir::ValueRange{})
             .getResult(0));

  // @nnc_end_run() -> status: --save-init for a script without steps, then
  // --save-final, then the runtime's end; at the end of @nnc_main, or where
  // --max-steps pauses a run with --state.
  b.setInsertionPointToEnd(&endRunFn.getBody().front());
  auto ptr = mlir::LLVM::LLVMPointerType::get(&ctx);
  mlir::Value none = b.create<mlir::LLVM::ZeroOp>(l, ptr);
  auto saveTo = [&](mlir::Value path, mlir::Value cond) {
    mlir::Value given = b.create<mlir::LLVM::ICmpOp>(
        l, mlir::LLVM::ICmpPredicate::ne, path, none);
    if (cond)
      given = b.create<mlir::arith::AndIOp>(l, given, cond);
    auto ifOp = b.create<mlir::scf::IfOp>(l, given, false);
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    b.create<mlir::func::CallOp>(l, saveModelsFn, mlir::ValueRange{path});
  };
  // Errors writing them name the option, not the last statement.
  auto optionLocation = [&](const char *option) {
    rt("nnc_rt_set_location", {}, {str(option, l)}, l);
  };
  mlir::Value noSteps = b.create<mlir::arith::CmpIOp>(
      l, mlir::arith::CmpIPredicate::eq, loadGlobal(stepsDone, l),
      b.create<mlir::arith::ConstantIntOp>(l, 0, 64));
  optionLocation("--save-init");
  saveTo(rt("nnc_rt_save_init_path", {ptr}, {}, l).getResult(0), noSteps);
  optionLocation("--save-final");
  saveTo(rt("nnc_rt_save_final_path", {ptr}, {}, l).getResult(0), nullptr);
  mlir::Value status =
      rt("nnc_rt_finish", {b.getI32Type()}, {}, l).getResult(0);
  b.create<mlir::func::ReturnOp>(l, status);
  host = false;
  if (!failed)
    finishStateFunctions(l);
  if (!failed)
    emitProgramConfig(l);
  return !failed;
}

bool Generator::hostBlock(const Block &stmts, size_t from) {
  for (size_t i = from; i < stmts.size(); ++i) {
    params.clear();
    const Stmt &s = *stmts[i];
    mlir::Location sl = loc(s.range);
    if (beforePoint.count(&s) && !definesValue(s)) {
      // A resumed run going to a point after this statement skips it.
      auto pts = pointsIn.find(&s);
      mlir::Value run = notResuming(sl);
      if (pts != pointsIn.end())
        run =
            b.create<mlir::arith::OrIOp>(sl, run, resumingTo(pts->second, sl));
      auto ifOp = b.create<mlir::scf::IfOp>(sl, run, false);
      mlir::OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      if (!hostStmt(s))
        return false;
    } else if (!hostStmt(s)) {
      return false;
    }
    if (auto e = endPoint.find(&s); e != endPoint.end()) {
      // The end of an epoch: a resumed run going here goes on from here;
      // otherwise, with the step budget not spent, the state is written.
      mlir::Value here = resumingTo({e->second}, sl);
      auto ifOp = b.create<mlir::scf::IfOp>(sl, here, true);
      mlir::OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      arriveAt(e->second, sl);
      b.setInsertionPointToStart(ifOp.elseBlock());
      auto budgetIf = b.create<mlir::scf::IfOp>(
          sl, b.create<mlir::arith::AndIOp>(sl, notResuming(sl), budgetOk(sl)),
          false);
      b.setInsertionPointToStart(budgetIf.thenBlock());
      saveStateAt(e->second, false, sl);
    }
    if (i + 1 < stmts.size() && !loops.empty() && mayJump(*stmts[i])) {
      // The rest of the block runs only if neither flag was set.
      mlir::Location l = loc(stmts[i + 1]->range);
      mlir::Value jumped =
          b.create<mlir::arith::OrIOp>(l, loadGlobal(loops.back().broken, l),
                                       loadGlobal(loops.back().continued, l));
      mlir::Value go = b.create<mlir::arith::XOrIOp>(
          l, jumped, b.create<mlir::arith::ConstantIntOp>(l, 1, 1));
      auto ifOp = b.create<mlir::scf::IfOp>(l, go, false);
      mlir::OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      return hostBlock(stmts, i + 1);
    }
  }
  return !failed;
}

bool Generator::hostStmt(const Stmt &s) {
  mlir::Location l = loc(s.range);
  switch (s.getKind()) {
  case Stmt::Kind::Import:
  case Stmt::Kind::Config:
  case Stmt::Kind::Fn:
  case Stmt::Kind::Model:
  case Stmt::Kind::Optimizer:
    return true;
  case Stmt::Kind::Data:
    return hostData(cast<DataDecl>(s));
  case Stmt::Kind::Let:
    return hostLet(cast<LetStmt>(s));
  case Stmt::Kind::Assign:
    return hostAssign(cast<AssignStmt>(s));
  case Stmt::Kind::ExprS: {
    const Expr &e = *cast<ExprStmt>(s).expr;
    if (const auto *c = dyn_cast<CallExpr>(&e))
      if (const auto *n = dyn_cast<NameExpr>(c->callee.get());
          n && n->name == "print")
        return hostPrint(*c);
    if (replTop())
      return replShow(e);
    hostExpr(e);
    return !failed;
  }
  case Stmt::Kind::If:
    return hostIf(cast<IfStmt>(s));
  case Stmt::Kind::For:
    return hostFor(cast<ForStmt>(s));
  case Stmt::Kind::While:
    return hostWhile(cast<WhileStmt>(s));
  case Stmt::Kind::Break:
  case Stmt::Kind::Continue:
    storeGlobal(isa<BreakStmt>(s) ? loops.back().broken
                                  : loops.back().continued,
                b.create<mlir::arith::ConstantIntOp>(l, 1, 1), l);
    return true;
  case Stmt::Kind::Save:
    return hostSave(cast<SaveStmt>(s));
  case Stmt::Kind::Load:
    return hostLoad(cast<LoadStmt>(s));
  case Stmt::Kind::Write:
    return hostWrite(cast<WriteStmt>(s));
  default:
    return fail(s.range, "this statement");
  }
}

//===----------------------------------------------------------------------===//
// Variables
//===----------------------------------------------------------------------===//

bool Generator::hostLet(const LetStmt &s) {
  mlir::Location l = loc(s.range);
  if (!s.init)
    return fail(s.range, "'let' without an initial value");
  const CheckedBody &script = *body;
  auto it = script.types.find(s.init.get());
  if (it == script.types.end())
    return fail(s.range, "this 'let'");
  const Type &t = it->second;
  if (s.target.isTuple) {
    const auto *tuple = dyn_cast<TupleExpr>(s.init.get());
    if (!tuple || tuple->elems.size() != s.target.names.size())
      return fail(s.range, "unpacking this value");
    std::vector<HV> values;
    for (const ExprPtr &e : tuple->elems)
      values.push_back(hostExpr(*e));
    if (failed)
      return false;
    for (size_t i = 0; i < values.size(); ++i) {
      if (replTop()) {
        if (!replLet(s.target.names[i].name, values[i], s.range))
          return false;
        continue;
      }
      HostVar v;
      v.k = values[i].k;
      v.ssa = values[i];
      v.block = b.getInsertionBlock();
      declare(s.target.names[i].name, v);
    }
    return true;
  }
  const std::string &name = s.target.names[0].name;
  if (t.kind == Type::Kind::Model) {
    // `let net = MLP(...)`: the initial parameters into the globals.
    if (hostScopes.size() != 1 || !modelVars.count(t.model))
      return fail(s.range, "a model created inside a block");
    auto init = module.lookupSymbol<mlir::func::FuncOp>("init_" + name);
    if (!init)
      return fail(s.range, "this model");
    auto call = b.create<mlir::func::CallOp>(l, init, mlir::ValueRange{});
    auto globals = modelGlobals(t.model, "");
    for (size_t i = 0; i < globals.size(); ++i)
      materialize(call.getResult(i), globals[i].second, l);
    return true;
  }
  if (t.kind == Type::Kind::Optimizer) {
    if (repl)
      return replOptimizer(name, t.optimizer, s.range);
    // Created in a block, it may be created again, with its steps from 0.
    optimizerInBlock = optimizerInBlock || hostScopes.size() != 1;
    // The optimizer's state, from the first step that uses it.
    const OptimizerInstance *opt = t.optimizer;
    const CheckedBody &top = sema.getBodies().front();
    for (auto &[step, k] : stepIndex) {
      auto ot = top.types.find(step->optimizer.get());
      if (ot == top.types.end() || ot->second.optimizer != opt)
        continue;
      const ModelInstance *model = optimizerModel(opt);
      if (!modelVars.count(model))
        return fail(s.range, "an optimizer of a model created in a block");
      auto initState = module.lookupSymbol<mlir::func::FuncOp>(
          "init_state_" + std::to_string(k));
      llvm::SmallVector<mlir::Value> ps;
      for (auto &[n, g] : modelGlobals(model, ""))
        ps.push_back(tensorOf(global(g, l), l));
      auto call = b.create<mlir::func::CallOp>(l, initState, ps);
      for (unsigned i = 0; i < call.getNumResults(); ++i) {
        std::string g = newGlobal(memrefOf(call.getResult(i).getType()), {});
        materialize(call.getResult(i), g, l);
        stateGlobals[opt].push_back(g);
        nameGlobal(g, s.target.names[0].name + ".state." + std::to_string(i));
      }
      stepCounters[opt] = newI64Global(0);
      nameGlobal(stepCounters[opt], s.target.names[0].name + ".step");
      storeGlobal(stepCounters[opt],
                  b.create<mlir::arith::ConstantIntOp>(l, 0, 64), l);
      break;
    }
    return true;
  }
  HV v = hostExpr(*s.init);
  if (failed)
    return false;
  if (replTop())
    return replLet(name, v, s.range);
  HostVar var;
  var.k = v.k;
  switch (v.k) {
  case HV::K::Int:
  case HV::K::Float:
  case HV::K::Bool:
    var.global = newGlobal(mlir::MemRefType::get({}, v.v.getType()), {});
    nameGlobal(var.global, name);
    storeGlobal(var.global, v.v, l);
    break;
  case HV::K::Record:
    for (auto &[field, value] : v.fields) {
      std::string g = newGlobal(mlir::MemRefType::get({}, b.getF64Type()), {});
      nameGlobal(g, name + "." + field);
      storeGlobal(g, value, l);
      var.fields.push_back({field, g});
    }
    break;
  case HV::K::Tensor:
  case HV::K::Str:
  case HV::K::Dataset:
    var.ssa = v;
    var.block = b.getInsertionBlock();
    break;
  default:
    return fail(s.range, "a variable of this type");
  }
  declare(name, var);
  return true;
}

bool Generator::hostAssign(const AssignStmt &s) {
  mlir::Location l = loc(s.range);
  const auto *n = dyn_cast<NameExpr>(s.target.get());
  HostVar *var = n ? findVar(n->name) : nullptr;
  if (!var)
    return fail(s.range, "this assignment");
  HV rhs = hostExpr(*s.value);
  if (failed)
    return false;
  if (var->k == HV::K::Tensor && !var->global.empty())
    return replAssign(s, *var, rhs);
  if (var->k == HV::K::Tensor) {
    if (s.op != AssignOp::Set || var->block != b.getInsertionBlock())
      return fail(s.range, "assigning a tensor variable inside a loop or "
                           "'if', or with an operator");
    var->ssa = rhs;
    return true;
  }
  if (var->global.empty())
    return fail(s.range, "this assignment");
  mlir::Value value = rhs.v;
  if (s.op != AssignOp::Set) {
    HV cur;
    cur.k = var->k;
    cur.v = loadGlobal(var->global, l);
    if (var->k == HV::K::Float) {
      mlir::Value r = toF64(rhs, l);
      switch (s.op) {
      case AssignOp::Add:
        value = b.create<mlir::arith::AddFOp>(l, cur.v, r);
        break;
      case AssignOp::Sub:
        value = b.create<mlir::arith::SubFOp>(l, cur.v, r);
        break;
      case AssignOp::Mul:
        value = b.create<mlir::arith::MulFOp>(l, cur.v, r);
        break;
      default:
        value = b.create<mlir::arith::DivFOp>(l, cur.v, r);
      }
    } else if (var->k == HV::K::Int && rhs.k == HV::K::Int &&
               s.op != AssignOp::Div) {
      value = checkedInt(s.op == AssignOp::Add   ? BinaryOp::Add
                         : s.op == AssignOp::Sub ? BinaryOp::Sub
                                                 : BinaryOp::Mul,
                         cur.v, rhs.v, l);
    } else {
      return fail(s.range, "this compound assignment");
    }
  } else if (var->k == HV::K::Float) {
    value = toF64(rhs, l);
  }
  if (value.getType() !=
      llvm::cast<mlir::MemRefType>(global(var->global, l).getType())
          .getElementType())
    return fail(s.range, "an assignment that changes the variable's type");
  storeGlobal(var->global, value, l);
  return true;
}

//===----------------------------------------------------------------------===//
// Control flow
//===----------------------------------------------------------------------===//

bool Generator::hostIf(const IfStmt &s) {
  mlir::Location l = loc(s.range);
  mlir::Value cond;
  auto normal = [&]() -> bool {
    HV c = hostExpr(*s.cond);
    if (failed)
      return false;
    if (c.k != HV::K::Bool)
      return fail(s.cond->range, "this condition");
    cond = c.v;
    return true;
  };
  if (pointsIn.count(&s)) {
    // A resumed run going to a point inside takes the branch that holds it
    // (without evaluating the condition, which may have effects).
    auto nav = b.create<mlir::scf::IfOp>(l, mlir::TypeRange{b.getI1Type()},
                                         notResuming(l), true);
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(nav.thenBlock());
    if (!normal())
      return false;
    b.create<mlir::scf::YieldOp>(l, cond);
    b.setInsertionPointToStart(nav.elseBlock());
    b.create<mlir::scf::YieldOp>(l, resumingTo(thenPoints[&s], l));
    cond = nav.getResult(0);
  } else if (!normal()) {
    return false;
  }
  auto ifOp = b.create<mlir::scf::IfOp>(l, cond, !s.elseBody.empty());
  mlir::OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  hostScopes.emplace_back();
  bool ok = hostBlock(s.thenBody);
  hostScopes.pop_back();
  if (!ok)
    return false;
  if (!s.elseBody.empty()) {
    b.setInsertionPointToStart(ifOp.elseBlock());
    hostScopes.emplace_back();
    ok = hostBlock(s.elseBody);
    hostScopes.pop_back();
  }
  return ok;
}

bool Generator::hostWhile(const WhileStmt &s) {
  mlir::Location l = loc(s.range);
  LoopFlags flags = newLoopFlags(l);
  bool steps = hasStep(s.body);
  auto w =
      b.create<mlir::scf::WhileOp>(l, mlir::TypeRange{}, mlir::ValueRange{});
  mlir::OpBuilder::InsertionGuard guard(b);
  b.createBlock(&w.getBefore());
  auto top = topPoint.find(&s);
  if (top != topPoint.end())
    arriveAt(top->second, l);
  auto normal = [&]() -> mlir::Value {
    HV c = hostExpr(*s.cond);
    if (failed)
      return nullptr;
    if (c.k != HV::K::Bool)
      return fail(s.cond->range, "this condition"), nullptr;
    mlir::Value go = b.create<mlir::arith::AndIOp>(
        l, c.v,
        b.create<mlir::arith::XOrIOp>(
            l, loadGlobal(flags.broken, l),
            b.create<mlir::arith::ConstantIntOp>(l, 1, 1)));
    if (steps) {
      if (top != topPoint.end())
        saveStateIfBudgetSpent(top->second, l);
      go = b.create<mlir::arith::AndIOp>(l, go, budgetOk(l));
    }
    return go;
  };
  mlir::Value go = deeperOrNormal(s, normal, l);
  if (!go)
    return false;
  b.create<mlir::scf::ConditionOp>(l, go, mlir::ValueRange{});
  b.createBlock(&w.getAfter());
  storeGlobal(flags.continued, b.create<mlir::arith::ConstantIntOp>(l, 0, 1),
              l);
  loops.push_back(flags);
  hostScopes.emplace_back();
  loopEpochs.emplace_back();
  trainingLoops += steps;
  bool ok = hostBlock(s.body);
  trainingLoops -= steps;
  loopEpochs.pop_back();
  hostScopes.pop_back();
  loops.pop_back();
  b.create<mlir::scf::YieldOp>(l);
  return ok;
}

bool Generator::hostFor(const ForStmt &s) {
  mlir::Location l = loc(s.range);
  LoopFlags flags = newLoopFlags(l);
  bool steps = hasStep(s.body);
  auto notBroken = [&]() -> mlir::Value {
    mlir::Value go = b.create<mlir::arith::XOrIOp>(
        l, loadGlobal(flags.broken, l),
        b.create<mlir::arith::ConstantIntOp>(l, 1, 1));
    if (steps)
      go = b.create<mlir::arith::AndIOp>(l, go, budgetOk(l));
    return go;
  };
  auto runBody = [&](const std::function<void()> &bind) {
    storeGlobal(flags.continued, b.create<mlir::arith::ConstantIntOp>(l, 0, 1),
                l);
    loops.push_back(flags);
    hostScopes.emplace_back();
    loopEpochs.emplace_back();
    trainingLoops += steps;
    bind();
    bool ok = !failed && hostBlock(s.body);
    trainingLoops -= steps;
    loopEpochs.pop_back();
    hostScopes.pop_back();
    loops.pop_back();
    return ok;
  };

  if (const auto *r = dyn_cast<RangeExpr>(s.iterable.get())) {
    if (s.target.isTuple)
      return fail(s.target.range, "unpacking a number");
    HV lo = hostExpr(*r->lo), hi = hostExpr(*r->hi);
    if (failed)
      return false;
    if (lo.k != HV::K::Int || hi.k != HV::K::Int)
      return fail(r->range, "this range");
    auto i64 = b.getI64Type();
    // With resume points inside, the counter is kept in a global (part of
    // the training state), and a resumed run starts from its value.
    std::string counter;
    mlir::Value start = lo.v;
    auto pts = pointsIn.find(&s);
    if (pts != pointsIn.end()) {
      counter = newI64Global(0);
      nameGlobal(counter, "loop" + std::to_string(loopCount) + "." +
                              s.target.names[0].name);
      mlir::Value resuming = resumingTo(pts->second, l);
      start = b.create<mlir::arith::SelectOp>(l, resuming,
                                              loadGlobal(counter, l), lo.v);
      // A resumed run's counter must be one this loop takes.
      auto check = b.create<mlir::scf::IfOp>(l, resuming, false);
      mlir::OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(check.thenBlock());
      auto topIt = topPoint.find(&s);
      mlir::Value atTop = topIt == topPoint.end()
                              ? b.create<mlir::arith::ConstantIntOp>(l, 0, 1)
                              : resumingTo({topIt->second}, l);
      rt("nnc_rt_resume_check_counter", {},
         {str(stateNames.at(counter), l), loadGlobal(counter, l), lo.v, hi.v,
          b.create<mlir::arith::ConstantIntOp>(l, r->inclusive ? 1 : 0, 32),
          i32Flag(atTop, l)},
         l);
    }
    auto w = b.create<mlir::scf::WhileOp>(l, mlir::TypeRange{i64},
                                          mlir::ValueRange{start});
    mlir::OpBuilder::InsertionGuard guard(b);
    mlir::Block *before = b.createBlock(&w.getBefore(), {}, {i64}, {l});
    mlir::Value i = before->getArgument(0);
    if (!counter.empty())
      storeGlobal(counter, i, l);
    auto top = topPoint.find(&s);
    if (top != topPoint.end())
      arriveAt(top->second, l);
    mlir::Value in = deeperOrNormal(
        s,
        [&]() -> mlir::Value {
          mlir::Value in = b.create<mlir::arith::CmpIOp>(
              l,
              r->inclusive ? mlir::arith::CmpIPredicate::sle
                           : mlir::arith::CmpIPredicate::slt,
              i, hi.v);
          if (top != topPoint.end())
            saveStateIfBudgetSpent(top->second, l);
          return b.create<mlir::arith::AndIOp>(l, in, notBroken());
        },
        l);
    b.create<mlir::scf::ConditionOp>(l, in, mlir::ValueRange{i});
    mlir::Block *after = b.createBlock(&w.getAfter(), {}, {i64}, {l});
    mlir::Value iv = after->getArgument(0);
    bool ok = runBody([&] {
      HostVar v;
      v.k = HV::K::Int;
      v.ssa.k = HV::K::Int;
      v.ssa.v = iv;
      declare(s.target.names[0].name, v);
      // The iteration 1.. and the trip count, for a training loop inside.
      auto one = b.create<mlir::arith::ConstantIntOp>(l, 1, 64);
      mlir::Value count = b.create<mlir::arith::SubIOp>(l, hi.v, lo.v);
      if (r->inclusive)
        count = b.create<mlir::arith::AddIOp>(l, count, one);
      loopEpochs.back() = {
          b.create<mlir::arith::AddIOp>(
              l, b.create<mlir::arith::SubIOp>(l, iv, lo.v), one),
          count};
    });
    if (!ok)
      return false;
    b.setInsertionPointToEnd(after);
    mlir::Value next = b.create<mlir::arith::AddIOp>(
        l, iv, b.create<mlir::arith::ConstantIntOp>(l, 1, 64));
    b.create<mlir::scf::YieldOp>(l, next);
    return true;
  }

  const auto *call = dyn_cast<CallExpr>(s.iterable.get());
  const auto *callee = call ? dyn_cast<NameExpr>(call->callee.get()) : nullptr;
  if (!callee || callee->name != "batches" || !s.target.isTuple ||
      s.target.names.size() != 2)
    return fail(s.iterable->range, "a loop over this");
  auto bt = body->types.find(call);
  if (bt == body->types.end() || bt->second.elems.size() != 2)
    return fail(s.iterable->range, "a loop over this");
  setLocation(s.iterable->range);
  mlir::Value loader = hostLoader(*call, s.iterable->range);
  if (failed)
    return false;
  // The loader's epoch and the batches taken in it live in globals (part of
  // the training state): each run of the loop starts the next epoch, and a
  // resumed run puts the loader back where the state was written.
  auto pos = loaderPos.find(&s);
  if (pos == loaderPos.end()) {
    pos =
        loaderPos.emplace(&s, std::make_pair(newI64Global(-1), newI64Global(0)))
            .first;
    std::string loop = "loop" + std::to_string(loopCount);
    nameGlobal(pos->second.first, loop + ".loader_epoch");
    nameGlobal(pos->second.second, loop + ".batches_taken");
  }
  const std::string epochG = pos->second.first, batchG = pos->second.second;
  auto c64 = [&](int64_t v) -> mlir::Value {
    return b.create<mlir::arith::ConstantIntOp>(l, v, 64);
  };
  auto startNext = [&] {
    mlir::Value e =
        b.create<mlir::arith::AddIOp>(l, loadGlobal(epochG, l), c64(1));
    storeGlobal(epochG, e, l);
    storeGlobal(batchG, c64(0), l);
    rt("nnc_rt_loader_start", {}, {loader, e}, l);
  };
  auto top = topPoint.find(&s);
  auto pts = pointsIn.find(&s);
  if (pts != pointsIn.end()) {
    auto nav = b.create<mlir::scf::IfOp>(l, resumingTo(pts->second, l), true);
    mlir::OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(nav.thenBlock());
    // Resuming at the loop's condition: the next batch is batch `batchG`;
    // inside the body: the current one, batchG - 1, taken again. Both
    // counters are checked first.
    rt("nnc_rt_resume_check", {},
       {str(stateNames.at(epochG), l), loadGlobal(epochG, l), c64(0),
        c64(std::numeric_limits<int64_t>::max() - 1),
        str("the epochs this loop started", l)},
       l);
    rt("nnc_rt_loader_start", {}, {loader, loadGlobal(epochG, l)}, l);
    mlir::Value taken = loadGlobal(batchG, l);
    rt("nnc_rt_resume_check", {},
       {str(stateNames.at(batchG), l), taken,
        top != topPoint.end()
            ? b.create<mlir::arith::SelectOp>(l, resumingTo({top->second}, l),
                                              c64(0), c64(1))
                  .getResult()
            : c64(1),
        rt("nnc_rt_loader_num_batches", {b.getI64Type()}, {loader}, l)
            .getResult(0),
        str("the batches of an epoch", l)},
       l);
    if (top != topPoint.end())
      taken = b.create<mlir::arith::SelectOp>(
          l, resumingTo({top->second}, l), taken,
          b.create<mlir::arith::SubIOp>(l, taken, c64(1)));
    else
      taken = b.create<mlir::arith::SubIOp>(l, taken, c64(1));
    storeGlobal(batchG, taken, l);
    rt("nnc_rt_loader_seek", {}, {loader, taken}, l);
    b.setInsertionPointToStart(nav.elseBlock());
    startNext();
  } else {
    startNext();
  }
  if (steps) {
    // A training loop: the progress display's epoch n of N.
    mlir::Value none = b.create<mlir::arith::ConstantIntOp>(l, -1, 64);
    std::pair<mlir::Value, mlir::Value> e =
        loopEpochs.empty() ? std::pair<mlir::Value, mlir::Value>{}
                           : loopEpochs.back();
    rt("nnc_rt_epoch_begin", {},
       {loader, e.first ? e.first : none, e.second ? e.second : none}, l);
  }
  auto w =
      b.create<mlir::scf::WhileOp>(l, mlir::TypeRange{}, mlir::ValueRange{});
  mlir::OpBuilder::InsertionGuard guard(b);
  b.createBlock(&w.getBefore());
  if (top != topPoint.end())
    arriveAt(top->second, l);
  // The next batch, unless the loop ends first (break, the step budget).
  mlir::Value go = deeperOrNormal(
      s,
      [&]() -> mlir::Value {
        if (top != topPoint.end())
          saveStateIfBudgetSpent(top->second, l);
        return notBroken();
      },
      l);
  auto fetch =
      b.create<mlir::scf::IfOp>(l, mlir::TypeRange{b.getI64Type()}, go, true);
  {
    mlir::OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(fetch.thenBlock());
    mlir::Value rows =
        rt("nnc_rt_loader_next", {b.getI64Type()}, {loader}, l).getResult(0);
    b.create<mlir::scf::YieldOp>(l, rows);
    b.setInsertionPointToStart(fetch.elseBlock());
    b.create<mlir::scf::YieldOp>(l, c64(0));
  }
  mlir::Value more = b.create<mlir::arith::CmpIOp>(
      l, mlir::arith::CmpIPredicate::sgt, fetch.getResult(0), c64(0));
  storeGlobal(batchG,
              b.create<mlir::arith::AddIOp>(
                  l, loadGlobal(batchG, l),
                  b.create<mlir::arith::ExtUIOp>(l, b.getI64Type(), more)),
              l);
  b.create<mlir::scf::ConditionOp>(l, more, mlir::ValueRange{});
  mlir::Block *after = b.createBlock(&w.getAfter());
  bool ok = runBody([&] {
    for (int i = 0; i < 2; ++i) {
      mlir::RankedTensorType tt = tensorType(bt->second.elems[i]);
      mlir::Value batch = loaderBatch(loader, tt, i == 1, s.iterable->range, l);
      if (!batch)
        return;
      HostVar v;
      v.k = HV::K::Tensor;
      v.ssa.k = HV::K::Tensor;
      v.ssa.v = batch;
      v.block = after;
      if (i == 1)
        v.loader = loader; // for checkDatasetLabels
      declare(s.target.names[i].name, v);
    }
  });
  if (!ok)
    return false;
  b.setInsertionPointToEnd(after);
  b.create<mlir::scf::YieldOp>(l);
  if (steps) {
    b.setInsertionPointAfter(w);
    rt("nnc_rt_epoch_end", {}, {loader}, l);
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

bool Generator::hostData(const DataDecl &d) {
  setLocation(d.range);
  if (d.target.isTuple) {
    for (size_t i = 0; i < d.target.names.size(); ++i) {
      mlir::Value id = hostDataset(*d.value, static_cast<int>(i));
      if (failed)
        return false;
      if (replTop()) {
        if (!replLet(d.target.names[i].name, {HV::K::Dataset, id, {}}, d.range))
          return false;
        continue;
      }
      HostVar v;
      v.k = HV::K::Dataset;
      v.ssa.k = HV::K::Dataset;
      v.ssa.v = id;
      declare(d.target.names[i].name, v);
    }
    return true;
  }
  mlir::Value id = hostDataset(*d.value);
  if (failed)
    return false;
  if (replTop())
    return replLet(d.target.names[0].name, {HV::K::Dataset, id, {}}, d.range);
  HostVar v;
  v.k = HV::K::Dataset;
  v.ssa.k = HV::K::Dataset;
  v.ssa.v = id;
  declare(d.target.names[0].name, v);
  return true;
}

mlir::Value Generator::hostDataset(const Expr &e, int part) {
  mlir::Location l = loc(e.range);
  auto cstr = [&](const Expr *a) -> mlir::Value {
    auto c = a ? body->consts.find(a) : body->consts.end();
    if (c == body->consts.end() || c->second.kind != ConstVal::Kind::Str) {
      fail(a ? a->range : e.range, "a path known only at run time");
      return nullptr;
    }
    return str(c->second.s, l);
  };
  auto constNum = [&](const Expr *a) -> std::optional<double> {
    auto c = a ? body->consts.find(a) : body->consts.end();
    if (c == body->consts.end())
      return std::nullopt;
    if (c->second.kind == ConstVal::Kind::Float)
      return c->second.f;
    if (c->second.kind == ConstVal::Kind::Int)
      return double(c->second.i);
    return std::nullopt;
  };
  auto i64c = [&](int64_t v) -> mlir::Value {
    return b.create<mlir::arith::ConstantIntOp>(l, v, 64);
  };
  auto i32c = [&](int64_t v) -> mlir::Value {
    return b.create<mlir::arith::ConstantIntOp>(l, v, 32);
  };
  auto f64c = [&](double v) -> mlir::Value {
    return b.create<mlir::arith::ConstantFloatOp>(l, llvm::APFloat(v),
                                                  b.getF64Type());
  };
  auto i64 = b.getI64Type();
  if (part < 0 || !isa<CallExpr>(e) ||
      !isa<NameExpr>(cast<CallExpr>(e).callee.get()) ||
      cast<NameExpr>(cast<CallExpr>(e).callee.get())->name != "split") {
    if (part > 0)
      return fail(e.range, "unpacking this dataset"), nullptr;
  }
  if (const auto *n = dyn_cast<NameExpr>(&e)) {
    HostVar *v = findVar(n->name);
    if (!v || v->k != HV::K::Dataset)
      return fail(e.range, "this dataset"), nullptr;
    return v->global.empty() ? v->ssa.v : loadGlobal(v->global, l);
  }
  if (const auto *bin = dyn_cast<BinaryExpr>(&e)) {
    mlir::Value id = hostDataset(*bin->lhs);
    std::optional<double> k = constNum(bin->rhs.get());
    if (failed)
      return nullptr;
    if (!k)
      return fail(bin->rhs->range, "a scale known only at run time"), nullptr;
    double mul = 1, add = 0;
    switch (bin->op) {
    case BinaryOp::Mul:
      mul = *k;
      break;
    case BinaryOp::Div:
      mul = 1.0 / *k;
      break;
    case BinaryOp::Add:
      add = *k;
      break;
    case BinaryOp::Sub:
      add = -*k;
      break;
    default:
      return fail(e.range, "this operation on a dataset"), nullptr;
    }
    return rt("nnc_rt_dataset_scale", {i64}, {id, f64c(mul), f64c(add)}, l)
        .getResult(0);
  }
  const auto *call = dyn_cast<CallExpr>(&e);
  const auto *callee = call ? dyn_cast<NameExpr>(call->callee.get()) : nullptr;
  if (!callee)
    return fail(e.range, "this dataset"), nullptr;
  std::map<std::string, const Expr *> args;
  std::vector<std::string> names = builtinParamNames(callee->name);
  size_t pos = 0;
  for (const Arg &a : call->args)
    args[a.name.name.empty() ? (pos < names.size() ? names[pos++] : "")
                             : a.name.name] = a.value.get();
  auto arg = [&](const char *n) -> const Expr * {
    auto it = args.find(n);
    return it == args.end() ? nullptr : it->second;
  };
  const std::string &fn = callee->name;
  if (fn == "idx" || fn == "npy") {
    bool idx = fn == "idx";
    mlir::Value a = cstr(arg(idx ? "images" : "inputs"));
    mlir::Value c = cstr(arg(idx ? "labels" : "targets"));
    if (failed)
      return nullptr;
    return rt(idx ? "nnc_rt_dataset_idx" : "nnc_rt_dataset_npy", {i64}, {a, c},
              l)
        .getResult(0);
  }
  if (fn == "csv") {
    mlir::Value path = cstr(arg("path"));
    if (failed)
      return nullptr;
    const Expr *target = arg("target");
    auto tc = body->consts.find(target);
    if (tc == body->consts.end())
      return fail(target->range, "a target column known only at run time"),
             nullptr;
    mlir::Value targetName = str(
        tc->second.kind == ConstVal::Kind::Str ? tc->second.s : std::string(),
        l);
    mlir::Value targetIndex =
        i64c(tc->second.kind == ConstVal::Kind::Int ? tc->second.i : -1);
    std::string features;
    bool byIndex = false;
    if (const Expr *f = arg("features")) {
      const auto *list = dyn_cast<ListExpr>(f);
      if (!list)
        return fail(f->range, "features known only at run time"), nullptr;
      for (size_t i = 0; i < list->elems.size(); ++i) {
        auto c = body->consts.find(list->elems[i].get());
        if (c == body->consts.end())
          return fail(list->elems[i]->range, "a column known only at run time"),
                 nullptr;
        if (i)
          features += '\x1f';
        if (c->second.kind == ConstVal::Kind::Int) {
          byIndex = true;
          features += std::to_string(c->second.i);
        } else {
          features += c->second.s;
        }
      }
    }
    auto dt = body->types.find(&e);
    bool intTarget = dt != body->types.end() && dt->second.elems.size() == 2 &&
                     !isFloatDType(dt->second.elems[1].dtype);
    return rt("nnc_rt_dataset_csv", {i64},
              {path, targetName, targetIndex, str(features, l), i32c(byIndex),
               i32c(intTarget)},
              l)
        .getResult(0);
  }
  if (fn == "split") {
    if (part < 0)
      return fail(e.range, "'split' outside 'data (a, b) = split(...)'"),
             nullptr;
    mlir::Value id = hostDataset(*arg("data"));
    std::optional<double> f = constNum(arg("fraction"));
    if (failed)
      return nullptr;
    if (!f)
      return fail(arg("fraction")->range, "a fraction known only at run time"),
             nullptr;
    return rt("nnc_rt_dataset_split", {i64}, {id, f64c(*f), i32c(part)}, l)
        .getResult(0);
  }
  if (fn == "standardize") {
    mlir::Value id = hostDataset(*arg("data"));
    mlir::Value like = arg("like") ? hostDataset(*arg("like")) : id;
    if (failed)
      return nullptr;
    return rt("nnc_rt_dataset_standardize", {i64}, {id, like}, l).getResult(0);
  }
  return fail(e.range, "this dataset"), nullptr;
}

mlir::Value Generator::hostLoader(const Expr &data, SourceRange at) {
  mlir::Location l = loc(at);
  auto it = loaderGlobals.find(&data);
  if (it == loaderGlobals.end()) {
    it = loaderGlobals.emplace(&data, newI64Global(0)).first;
    transientGlobals.insert(it->second);
  }
  std::string g = it->second;
  // The dataset, batch size and flags: `batches(d, n, ...)` or a dataset
  // (evaluated in batches of 1000, in order).
  mlir::Value dataset;
  int64_t size = 1000;
  bool shuffle = false, dropLast = false;
  const auto *call = dyn_cast<CallExpr>(&data);
  const auto *callee = call ? dyn_cast<NameExpr>(call->callee.get()) : nullptr;
  if (callee && callee->name == "batches") {
    std::map<std::string, const Expr *> args;
    std::vector<std::string> names = builtinParamNames("batches");
    size_t pos = 0;
    for (const Arg &a : call->args)
      args[a.name.name.empty() ? (pos < names.size() ? names[pos++] : "")
                               : a.name.name] = a.value.get();
    dataset = hostDataset(*args["data"]);
    auto constOf = [&](const char *n) -> std::optional<ConstVal> {
      auto a = args.find(n);
      if (a == args.end())
        return std::nullopt;
      auto c = body->consts.find(a->second);
      if (c == body->consts.end()) {
        fail(a->second->range,
             std::string("'") + n + "' known only at run time");
        return std::nullopt;
      }
      return c->second;
    };
    if (auto c = constOf("size"))
      size = c->i;
    if (auto c = constOf("shuffle"))
      shuffle = c->i != 0;
    if (auto c = constOf("drop_last"))
      dropLast = c->i != 0;
  } else {
    dataset = hostDataset(data);
  }
  if (failed)
    return nullptr;
  mlir::Value cur = loadGlobal(g, l);
  mlir::Value isNew = b.create<mlir::arith::CmpIOp>(
      l, mlir::arith::CmpIPredicate::eq, cur,
      b.create<mlir::arith::ConstantIntOp>(l, 0, 64));
  auto ifOp = b.create<mlir::scf::IfOp>(l, isNew, false);
  {
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    // The call site, by which a training state records the loader.
    rt("nnc_rt_loader_site", {}, {str(g, l)}, l);
    mlir::Value id =
        rt("nnc_rt_loader", {b.getI64Type()},
           {dataset, b.create<mlir::arith::ConstantIntOp>(l, size, 64),
            b.create<mlir::arith::ConstantIntOp>(l, shuffle, 32),
            b.create<mlir::arith::ConstantIntOp>(l, dropLast, 32)},
           l)
            .getResult(0);
    storeGlobal(g, id, l);
  }
  return loadGlobal(g, l);
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

Generator::HV Generator::hostExpr(const Expr &e) {
  if (failed)
    return {};
  auto t = body->types.find(&e);
  if (t == body->types.end()) {
    fail(e.range, "this expression");
    return {};
  }
  mlir::Location l = loc(e.range);
  auto c = body->consts.find(&e);
  // A number computed from config entries is computed when the program
  // runs, so that a built program can take `--set` for them.
  bool hostNumber = t->second.kind == Type::Kind::Int ||
                    t->second.kind == Type::Kind::Float ||
                    t->second.kind == Type::Kind::Bool;
  if (c != body->consts.end() && !t->second.isTensor() &&
      !(hostNumber && mentionsConfig(e))) {
    if (mlir::Value v = hostConst(c->second, t->second, l)) {
      HV h;
      h.k = t->second.kind == Type::Kind::Int     ? HV::K::Int
            : t->second.kind == Type::Kind::Float ? HV::K::Float
            : t->second.kind == Type::Kind::Bool  ? HV::K::Bool
                                                  : HV::K::Str;
      h.v = v;
      return h;
    }
  }
  return hostExprImpl(e, t->second);
}

Generator::HV Generator::hostExprImpl(const Expr &e, const Type &t) {
  mlir::Location l = loc(e.range);
  HV h;
  if (const auto *s = dyn_cast<StepExpr>(&e))
    return hostStep(*s);
  if (const auto *v = dyn_cast<EvaluateExpr>(&e))
    return hostEvaluate(*v);
  if (t.isTensor()) {
    GV g = expr(e);
    if (failed)
      return {};
    h.k = HV::K::Tensor;
    h.v = g.value ? g.value : fill(g.constant, tensorType(t), {}, l);
    if (!h.v)
      fail(e.range, "this tensor");
    return h;
  }
  if (const auto *n = dyn_cast<NameExpr>(&e)) {
    if (sema.configRefs().count(&e) && body == &sema.getBodies().front()) {
      // A config entry: its value from the run's `--set`, if any, asked
      // for once at the start of @nnc_main and kept in a global.
      auto c = body->consts.find(&e);
      if (c == body->consts.end())
        return fail(e.range, "this config entry"), HV();
      runtimeConfigReads.insert(&e);
      h.k = t.kind == Type::Kind::Int     ? HV::K::Int
            : t.kind == Type::Kind::Float ? HV::K::Float
                                          : HV::K::Bool;
      h.v = loadGlobal(configGlobal(n->name, c->second, t), l);
      return h;
    }
    HostVar *v = findVar(n->name);
    if (!v) {
      fail(e.range, "the value of '" + n->name + "' here");
      return {};
    }
    h.k = v->k;
    if (v->k == HV::K::Record) {
      for (auto &[field, g] : v->fields)
        h.fields.push_back({field, loadGlobal(g, l)});
      return h;
    }
    h.v = v->global.empty() ? v->ssa.v : loadGlobal(v->global, l);
    if (v->k == HV::K::Str && !v->global.empty())
      h.v = b.create<mlir::LLVM::IntToPtrOp>(
          l, mlir::LLVM::LLVMPointerType::get(&ctx), h.v);
    return h;
  }
  if (const auto *m = dyn_cast<MemberExpr>(&e)) {
    HV base = hostExpr(*m->base);
    if (failed)
      return {};
    for (auto &[field, value] : base.fields)
      if (field == m->member.name) {
        h.k = HV::K::Float;
        h.v = value;
        return h;
      }
    fail(e.range, "this member");
    return {};
  }
  if (const auto *bin = dyn_cast<BinaryExpr>(&e))
    return hostBinary(*bin, t);
  if (const auto *u = dyn_cast<UnaryExpr>(&e)) {
    HV x = hostExpr(*u->operand);
    if (failed)
      return {};
    if (u->op == UnaryOp::Plus)
      return x;
    if (u->op == UnaryOp::Not && x.k == HV::K::Bool) {
      x.v = b.create<mlir::arith::XOrIOp>(
          l, x.v, b.create<mlir::arith::ConstantIntOp>(l, 1, 1));
      return x;
    }
    if (u->op == UnaryOp::Neg && x.k == HV::K::Float) {
      x.v = b.create<mlir::arith::NegFOp>(l, x.v);
      return x;
    }
    if (u->op == UnaryOp::Neg && x.k == HV::K::Int) {
      x.v = checkedNeg(x.v, l);
      return x;
    }
    fail(e.range, "this operator");
    return {};
  }
  if (const auto *c = dyn_cast<CastExpr>(&e)) {
    HV x = hostExpr(*c->operand);
    if (failed)
      return {};
    if (t.kind == Type::Kind::Float) {
      h.k = HV::K::Float;
      h.v = toF64(x, l);
      return h;
    }
    if (t.kind == Type::Kind::Int && x.k == HV::K::Float) {
      h.k = HV::K::Int;
      h.v = checkedToInt(x.v, l);
      return h;
    }
    if (t.kind == Type::Kind::Int && x.k == HV::K::Bool) {
      h.k = HV::K::Int;
      h.v = b.create<mlir::arith::ExtUIOp>(l, b.getI64Type(), x.v);
      return h;
    }
    if (t.kind == Type::Kind::Bool && x.k != HV::K::Bool) {
      mlir::Value f = toF64(x, l);
      h.k = HV::K::Bool;
      h.v = b.create<mlir::arith::CmpFOp>(
          l, mlir::arith::CmpFPredicate::UNE, f,
          b.create<mlir::arith::ConstantFloatOp>(l, llvm::APFloat(0.0),
                                                 b.getF64Type()));
      return h;
    }
    if ((t.kind == Type::Kind::Int && x.k == HV::K::Int) ||
        (t.kind == Type::Kind::Bool && x.k == HV::K::Bool))
      return x;
    fail(e.range, "this cast");
    return {};
  }
  if (const auto *call = dyn_cast<CallExpr>(&e))
    return hostCall(*call, t);
  fail(e.range, "this expression");
  return {};
}

Generator::HV Generator::hostBinary(const BinaryExpr &e, const Type &t) {
  mlir::Location l = loc(e.range);
  HV h;
  // `and` / `or` evaluate their right side only when needed.
  if (e.op == BinaryOp::And || e.op == BinaryOp::Or) {
    HV x = hostExpr(*e.lhs);
    if (failed || x.k != HV::K::Bool)
      return fail(e.range, "this operator"), HV();
    auto ifOp =
        b.create<mlir::scf::IfOp>(l, mlir::TypeRange{b.getI1Type()}, x.v, true);
    {
      mlir::OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      mlir::Value y;
      if (e.op == BinaryOp::And) {
        HV r = hostExpr(*e.rhs);
        if (failed || r.k != HV::K::Bool)
          return fail(e.range, "this operator"), HV();
        y = r.v;
      } else {
        y = b.create<mlir::arith::ConstantIntOp>(l, 1, 1);
      }
      b.create<mlir::scf::YieldOp>(l, y);
      b.setInsertionPointToStart(ifOp.elseBlock());
      if (e.op == BinaryOp::Or) {
        HV r = hostExpr(*e.rhs);
        if (failed || r.k != HV::K::Bool)
          return fail(e.range, "this operator"), HV();
        y = r.v;
      } else {
        y = b.create<mlir::arith::ConstantIntOp>(l, 0, 1);
      }
      b.create<mlir::scf::YieldOp>(l, y);
    }
    h.k = HV::K::Bool;
    h.v = ifOp.getResult(0);
    return h;
  }
  HV x = hostExpr(*e.lhs), y = hostExpr(*e.rhs);
  if (failed)
    return {};
  bool ints = x.k == HV::K::Int && y.k == HV::K::Int;
  bool nums =
      (x.k == HV::K::Int || x.k == HV::K::Float || x.k == HV::K::Bool) &&
      (y.k == HV::K::Int || y.k == HV::K::Float || y.k == HV::K::Bool);
  if (!nums)
    return fail(e.range, "this operator on these values"), HV();
  using IP = mlir::arith::CmpIPredicate;
  using FP = mlir::arith::CmpFPredicate;
  std::optional<std::pair<IP, FP>> cmp;
  switch (e.op) {
  case BinaryOp::Lt:
    cmp = {IP::slt, FP::OLT};
    break;
  case BinaryOp::Le:
    cmp = {IP::sle, FP::OLE};
    break;
  case BinaryOp::Gt:
    cmp = {IP::sgt, FP::OGT};
    break;
  case BinaryOp::Ge:
    cmp = {IP::sge, FP::OGE};
    break;
  case BinaryOp::Eq:
    cmp = {IP::eq, FP::OEQ};
    break;
  case BinaryOp::Ne:
    cmp = {IP::ne, FP::UNE};
    break;
  default:
    break;
  }
  if (cmp) {
    h.k = HV::K::Bool;
    if (x.k == HV::K::Bool && y.k == HV::K::Bool)
      h.v = b.create<mlir::arith::CmpIOp>(l, cmp->first, x.v, y.v);
    else if (ints)
      h.v = b.create<mlir::arith::CmpIOp>(l, cmp->first, x.v, y.v);
    else
      h.v = b.create<mlir::arith::CmpFOp>(l, cmp->second, toF64(x, l),
                                          toF64(y, l));
    return h;
  }
  if (ints && t.kind == Type::Kind::Int) {
    switch (e.op) {
    case BinaryOp::Add:
    case BinaryOp::Sub:
    case BinaryOp::Mul:
    case BinaryOp::Mod:
    case BinaryOp::Pow:
      h.k = HV::K::Int;
      h.v = checkedInt(e.op, x.v, y.v, l);
      return h;
    default:
      return fail(e.range, "this operator on ints"), HV();
    }
  }
  mlir::Value a = toF64(x, l), c = toF64(y, l);
  h.k = HV::K::Float;
  switch (e.op) {
  case BinaryOp::Add:
    h.v = b.create<mlir::arith::AddFOp>(l, a, c);
    return h;
  case BinaryOp::Sub:
    h.v = b.create<mlir::arith::SubFOp>(l, a, c);
    return h;
  case BinaryOp::Mul:
    h.v = b.create<mlir::arith::MulFOp>(l, a, c);
    return h;
  case BinaryOp::Div:
    h.v = b.create<mlir::arith::DivFOp>(l, a, c);
    return h;
  case BinaryOp::Pow:
    h.v = b.create<mlir::math::PowFOp>(l, a, c);
    return h;
  case BinaryOp::Mod: {
    mlir::Value r = b.create<mlir::arith::RemFOp>(l, a, c);
    // Floored: add the divisor when the signs of r and c differ.
    mlir::Value zero = b.create<mlir::arith::ConstantFloatOp>(
        l, llvm::APFloat(0.0), b.getF64Type());
    mlir::Value rNeg = b.create<mlir::arith::CmpFOp>(l, FP::OLT, r, zero);
    mlir::Value cNeg = b.create<mlir::arith::CmpFOp>(l, FP::OLT, c, zero);
    mlir::Value rNonZero = b.create<mlir::arith::CmpFOp>(l, FP::ONE, r, zero);
    mlir::Value differ = b.create<mlir::arith::AndIOp>(
        l, rNonZero, b.create<mlir::arith::XOrIOp>(l, rNeg, cNeg));
    h.v = b.create<mlir::arith::SelectOp>(
        l, differ, b.create<mlir::arith::AddFOp>(l, r, c), r);
    return h;
  }
  default:
    return fail(e.range, "this operator"), HV();
  }
}

mlir::Value Generator::checkedInt(BinaryOp op, mlir::Value x, mlir::Value y,
                                  mlir::Location l) {
  using IP = mlir::arith::CmpIPredicate;
  auto c64 = [&](int64_t v) {
    return b.create<mlir::arith::ConstantIntOp>(l, v, 64).getResult();
  };
  auto isNegative = [&](mlir::Value v) {
    return b.create<mlir::arith::CmpIOp>(l, IP::slt, v, c64(0)).getResult();
  };
  char code = 0;
  mlir::Value r, bad;
  switch (op) {
  case BinaryOp::Add:
    // Overflow iff both operands' signs differ from the result's.
    code = '+';
    r = b.create<mlir::arith::AddIOp>(l, x, y);
    bad = isNegative(
        b.create<mlir::arith::AndIOp>(l, b.create<mlir::arith::XOrIOp>(l, x, r),
                                      b.create<mlir::arith::XOrIOp>(l, y, r)));
    break;
  case BinaryOp::Sub:
    // Overflow iff the operands' signs differ and the result's is y's.
    code = '-';
    r = b.create<mlir::arith::SubIOp>(l, x, y);
    bad = isNegative(
        b.create<mlir::arith::AndIOp>(l, b.create<mlir::arith::XOrIOp>(l, x, y),
                                      b.create<mlir::arith::XOrIOp>(l, x, r)));
    break;
  case BinaryOp::Mul: {
    // The 128-bit product fits iff its high half is the low half's sign.
    code = '*';
    auto wide = b.create<mlir::arith::MulSIExtendedOp>(l, x, y);
    r = wide.getLow();
    bad = b.create<mlir::arith::CmpIOp>(
        l, IP::ne, wide.getHigh(),
        b.create<mlir::arith::ShRSIOp>(l, r, c64(63)));
    break;
  }
  case BinaryOp::Mod: {
    // Floored, as in Python: the result takes the divisor's sign. A divisor
    // of -1 gives 0 (dividing INT64_MIN by it would trap), so it and a zero
    // divisor divide by 1; zero is then refused.
    code = '%';
    mlir::Value isZero = b.create<mlir::arith::CmpIOp>(l, IP::eq, y, c64(0));
    mlir::Value isMinusOne =
        b.create<mlir::arith::CmpIOp>(l, IP::eq, y, c64(-1));
    mlir::Value d = b.create<mlir::arith::SelectOp>(
        l, b.create<mlir::arith::OrIOp>(l, isZero, isMinusOne), c64(1), y);
    mlir::Value q = b.create<mlir::arith::FloorDivSIOp>(l, x, d);
    r = b.create<mlir::arith::SubIOp>(l, x,
                                      b.create<mlir::arith::MulIOp>(l, q, d));
    bad = isZero;
    break;
  }
  case BinaryOp::Pow:
    return rt("nnc_rt_pow_i64", {b.getI64Type()},
              {x, y, str(locationString(l), l)}, l)
        .getResult(0);
  default:
    llvm_unreachable("not an int operator");
  }
  errorIf(bad, "nnc_rt_int_error",
          {b.create<mlir::arith::ConstantIntOp>(l, code, 32), x, y}, l);
  return r;
}

mlir::Value Generator::checkedNeg(mlir::Value x, mlir::Location l) {
  mlir::Value zero = b.create<mlir::arith::ConstantIntOp>(l, 0, 64);
  mlir::Value bad = b.create<mlir::arith::CmpIOp>(
      l, mlir::arith::CmpIPredicate::eq, x,
      b.create<mlir::arith::ConstantIntOp>(
          l, std::numeric_limits<int64_t>::min(), 64));
  errorIf(bad, "nnc_rt_int_error",
          {b.create<mlir::arith::ConstantIntOp>(l, 'n', 32), x, zero}, l);
  return b.create<mlir::arith::SubIOp>(l, zero, x);
}

mlir::Value Generator::checkedToInt(mlir::Value f, mlir::Location l) {
  using FP = mlir::arith::CmpFPredicate;
  // int's range is [-2^63, 2^63), both ends exact in f64; ordered
  // comparisons are false for NaN.
  auto f64 = [&](double v) {
    return b.create<mlir::arith::ConstantFloatOp>(l, llvm::APFloat(v),
                                                  b.getF64Type());
  };
  mlir::Value inRange = b.create<mlir::arith::AndIOp>(
      l, b.create<mlir::arith::CmpFOp>(l, FP::OGE, f, f64(-0x1p63)),
      b.create<mlir::arith::CmpFOp>(l, FP::OLT, f, f64(0x1p63)));
  mlir::Value bad = b.create<mlir::arith::XOrIOp>(
      l, inRange, b.create<mlir::arith::ConstantIntOp>(l, 1, 1));
  errorIf(bad, "nnc_rt_to_int_error", {f}, l);
  return b.create<mlir::arith::FPToSIOp>(l, b.getI64Type(), f);
}

Generator::HV Generator::hostCall(const CallExpr &e, const Type &t) {
  mlir::Location l = loc(e.range);
  HV h;
  std::string name;
  const Expr *self = nullptr;
  if (const auto *n = dyn_cast<NameExpr>(e.callee.get()))
    name = n->name;
  else if (const auto *m = dyn_cast<MemberExpr>(e.callee.get())) {
    name = m->member.name;
    self = m->base.get();
  }
  std::vector<std::string> names = builtinParamNames(name);
  std::map<std::string, const Expr *> args;
  size_t pos = 0;
  if (self && !names.empty())
    args[names[pos++]] = self;
  for (const Arg &a : e.args)
    args[a.name.name.empty() ? (pos < names.size() ? names[pos++] : "")
                             : a.name.name] = a.value.get();
  if (name == "best" || name == "since_best") {
    HV v = hostExpr(*args["value"]);
    if (failed)
      return {};
    mlir::Value value;
    if (v.k == HV::K::Tensor) {
      value = b.create<mlir::tensor::ExtractOp>(l, v.v, mlir::ValueRange{});
      if (!value.getType().isF64())
        value = b.create<mlir::arith::ExtFOp>(l, b.getF64Type(), value);
    } else {
      value = toF64(v, l);
    }
    bool modeMax = false;
    if (const Expr *m = args["mode"]) {
      auto c = body->consts.find(m);
      modeMax = c != body->consts.end() && c->second.s == "max";
    }
    auto site = trackerSites.emplace(&e, int64_t(trackerSites.size())).first;
    mlir::Value siteV =
        b.create<mlir::arith::ConstantIntOp>(l, site->second, 64);
    mlir::Value mode = b.create<mlir::arith::ConstantIntOp>(l, modeMax, 32);
    if (name == "best") {
      h.k = HV::K::Bool;
      h.v = rt("nnc_rt_best", {b.getI1Type()}, {siteV, value, mode}, l)
                .getResult(0);
    } else {
      h.k = HV::K::Int;
      h.v = rt("nnc_rt_since_best", {b.getI64Type()}, {siteV, value, mode}, l)
                .getResult(0);
    }
    return h;
  }
  if (name == "len" && args["x"]) {
    auto xt = body->types.find(args["x"]);
    if (xt != body->types.end() && xt->second.kind == Type::Kind::Dataset) {
      mlir::Value id = hostDataset(*args["x"]);
      if (failed)
        return {};
      h.k = HV::K::Int;
      h.v = rt("nnc_rt_dataset_size", {b.getI64Type()}, {id}, l).getResult(0);
      return h;
    }
  }
  // Anything else with a host result: tensor code that gives a number
  // (`loss.item()`: the tensor's single element).
  mlir::Value v;
  if (name == "item" && args["x"]) {
    HV x = hostExpr(*args["x"]);
    if (failed)
      return {};
    v = x.v;
  } else {
    GV g = expr(e);
    if (failed)
      return {};
    v = g.value;
  }
  if (!v || !llvm::isa<mlir::RankedTensorType>(v.getType())) {
    fail(e.range, "this call");
    return {};
  }
  if (auto tt = llvm::dyn_cast<mlir::RankedTensorType>(v.getType());
      tt && tt.getRank() == 0)
    v = b.create<mlir::tensor::ExtractOp>(l, v, mlir::ValueRange{});
  if (t.kind == Type::Kind::Float) {
    h.k = HV::K::Float;
    if (v.getType().isF32())
      v = b.create<mlir::arith::ExtFOp>(l, b.getF64Type(), v);
    else if (v.getType().isInteger(64))
      v = b.create<mlir::arith::SIToFPOp>(l, b.getF64Type(), v);
  } else if (t.kind == Type::Kind::Int) {
    h.k = HV::K::Int;
    if (v.getType().isF32())
      v = b.create<mlir::arith::ExtFOp>(l, b.getF64Type(), v);
    if (llvm::isa<mlir::FloatType>(v.getType()))
      v = checkedToInt(v, l);
  } else if (t.kind == Type::Kind::Bool) {
    h.k = HV::K::Bool;
  }
  if (h.k == HV::K::None) {
    fail(e.range, "this call");
    return {};
  }
  h.v = v;
  return h;
}

//===----------------------------------------------------------------------===//
// step, evaluate, predictions
//===----------------------------------------------------------------------===//

Generator::HV Generator::hostStep(const StepExpr &s) {
  mlir::Location l = loc(s.range);
  auto k = stepIndex.find(&s);
  const CheckedBody &top = sema.getBodies().front();
  auto ot = top.types.find(s.optimizer.get());
  if (k == stepIndex.end() || ot == top.types.end() || !ot->second.optimizer)
    return fail(s.range, "this 'step'"), HV();
  const OptimizerInstance *opt = ot->second.optimizer;
  const ModelInstance *model = optimizerModel(opt);
  if (!stepCounters.count(opt) || !modelVars.count(model))
    return fail(s.range, "a step of an optimizer created in a block"), HV();
  auto stepFn = module.lookupSymbol<mlir::func::FuncOp>(
      "step_" + std::to_string(k->second));
  auto f32 = mlir::RankedTensorType::get({}, b.getF32Type());
  // Only while the step budget lasts (and not on a resumed run's way to its
  // point).
  auto ifOp = b.create<mlir::scf::IfOp>(
      l, mlir::TypeRange{f32},
      b.create<mlir::arith::AndIOp>(l, budgetOk(l), notResuming(l)), true);
  {
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    // --save-init before the first step of the run.
    mlir::Value first = b.create<mlir::arith::CmpIOp>(
        l, mlir::arith::CmpIPredicate::eq, loadGlobal(stepsDone, l),
        b.create<mlir::arith::ConstantIntOp>(l, 0, 64));
    auto firstIf = b.create<mlir::scf::IfOp>(l, first, false);
    {
      mlir::OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(firstIf.thenBlock());
      auto ptr = mlir::LLVM::LLVMPointerType::get(&ctx);
      mlir::Value path = rt("nnc_rt_save_init_path", {ptr}, {}, l).getResult(0);
      mlir::Value given =
          b.create<mlir::LLVM::ICmpOp>(l, mlir::LLVM::ICmpPredicate::ne, path,
                                       b.create<mlir::LLVM::ZeroOp>(l, ptr));
      auto givenIf = b.create<mlir::scf::IfOp>(l, given, false);
      b.setInsertionPointToStart(givenIf.thenBlock());
      rt("nnc_rt_set_location", {}, {str("--save-init", l)}, l);
      b.create<mlir::func::CallOp>(l, saveModelsFn, mlir::ValueRange{path});
    }
    auto globals = modelGlobals(model, "");
    const std::vector<std::string> &states = stateGlobals[opt];
    llvm::SmallVector<mlir::Value> args;
    for (auto &[n, g] : globals)
      args.push_back(tensorOf(global(g, l), l));
    for (const std::string &g : states)
      args.push_back(tensorOf(global(g, l), l));
    std::vector<std::pair<std::string, const Expr *>> inputs;
    freeTensors(*s.loss, top, inputs);
    auto argTypes = stepFn.getFunctionType().getInputs();
    for (auto &[name, ex] : inputs) {
      std::optional<GV> g = hostAsGV(name);
      if (!g || !g->value)
        return fail(ex->range, "this input of a step"), HV();
      mlir::Value v = g->value;
      mlir::Type want = argTypes[args.size()];
      if (v.getType() != want)
        v = b.create<mlir::tensor::CastOp>(l, want, v);
      args.push_back(v);
    }
    {
      // Labels of the loss's inputs: loss_k's argument i (after the
      // parameters) is the step's argument after parameters and state.
      llvm::SmallVector<mlir::Value> lossArgs(args.begin(),
                                              args.begin() + globals.size());
      lossArgs.append(args.begin() + globals.size() + states.size(),
                      args.end());
      // Labels straight from a batches loop: every label of the dataset is
      // checked before the first step, naming the file and the sample.
      std::string lossFn = "loss_" + std::to_string(k->second);
      for (size_t j = 0; j < inputs.size(); ++j)
        if (HostVar *v = findVar(inputs[j].first); v && v->loader)
          checkDatasetLabels(lossFn, unsigned(globals.size() + j), v->loader,
                             "the loss", l);
      checkLabels(lossFn, lossArgs, l);
    }
    const std::string &counter = stepCounters[opt];
    mlir::Value t = b.create<mlir::arith::AddIOp>(
        l, loadGlobal(counter, l),
        b.create<mlir::arith::ConstantIntOp>(l, 1, 64));
    storeGlobal(counter, t, l);
    mlir::Value tf = b.create<mlir::arith::SIToFPOp>(l, b.getF64Type(), t);
    args.push_back(b.create<mlir::tensor::FromElementsOp>(
        l, mlir::RankedTensorType::get({}, b.getF64Type()), tf));
    auto call = b.create<mlir::func::CallOp>(l, stepFn, args);
    for (size_t i = 0; i < globals.size(); ++i)
      materialize(call.getResult(1 + i), globals[i].second, l);
    for (size_t i = 0; i < states.size(); ++i)
      materialize(call.getResult(1 + globals.size() + i), states[i], l);
    storeGlobal(stepsDone,
                b.create<mlir::arith::AddIOp>(
                    l, loadGlobal(stepsDone, l),
                    b.create<mlir::arith::ConstantIntOp>(l, 1, 64)),
                l);
    rt("nnc_rt_step_done", {}, {}, l);
    // A loss that is NaN or infinite stops the run, naming the step; the
    // checkpoints written before it stay as they are.
    {
      mlir::Value loss = b.create<mlir::tensor::ExtractOp>(l, call.getResult(0),
                                                           mlir::ValueRange{});
      mlir::Value magnitude = b.create<mlir::math::AbsFOp>(l, loss);
      mlir::Value inf = b.create<mlir::arith::ConstantFloatOp>(
          l, llvm::APFloat::getInf(llvm::APFloat::IEEEsingle()),
          b.getF32Type());
      // UGE: true for NaN (unordered) and for +-inf.
      mlir::Value bad = b.create<mlir::arith::CmpFOp>(
          l, mlir::arith::CmpFPredicate::UGE, magnitude, inf);
      auto badIf = b.create<mlir::scf::IfOp>(l, bad, false);
      mlir::OpBuilder::InsertionGuard g3(b);
      b.setInsertionPointToStart(badIf.thenBlock());
      setLocation(s.range);
      rt("nnc_rt_loss_not_finite", {},
         {loadGlobal(stepsDone, l),
          b.create<mlir::arith::ExtFOp>(l, b.getF64Type(), loss)},
         l);
    }
    // The loss for the progress display, the epoch summary and --metrics.
    rt("nnc_rt_step_loss", {},
       {b.create<mlir::arith::ExtFOp>(
           l, b.getF64Type(),
           b.create<mlir::tensor::ExtractOp>(l, call.getResult(0),
                                             mlir::ValueRange{})
               .getResult())},
       l);
    b.create<mlir::scf::YieldOp>(l, call.getResult(0));
    b.setInsertionPointToStart(ifOp.elseBlock());
    b.create<mlir::scf::YieldOp>(
        l, mlir::ValueRange{fill(std::nan(""), f32, {}, l)});
  }
  HV h;
  h.k = HV::K::Tensor;
  h.v = ifOp.getResult(0);
  return h;
}

Generator::HV Generator::hostEvaluate(const EvaluateExpr &e) {
  mlir::Location l = loc(e.range);
  auto k = evalIndex.find(&e);
  const CheckedBody &top = sema.getBodies().front();
  auto mt = top.types.find(e.model.get());
  if (k == evalIndex.end() || mt == top.types.end() || !mt->second.model ||
      !modelVars.count(mt->second.model))
    return fail(e.range, "this 'evaluate'"), HV();
  auto evalFn = module.lookupSymbol<mlir::func::FuncOp>(
      "eval_" + std::to_string(k->second));
  setLocation(e.range);
  mlir::Value loader = hostLoader(*e.data, e.data->range);
  if (failed)
    return {};
  auto f64 = b.getF64Type();
  std::vector<std::string> sums;
  for (size_t i = 0; i <= e.metrics.size(); ++i) {
    sums.push_back(newGlobal(mlir::MemRefType::get({}, f64), {}));
    transientGlobals.insert(sums.back()); // only live inside the evaluate
    storeGlobal(
        sums.back(),
        b.create<mlir::arith::ConstantFloatOp>(l, llvm::APFloat(0.0), f64), l);
  }
  rt("nnc_rt_loader_start", {},
     {loader, b.create<mlir::arith::ConstantIntOp>(l, -1, 64)}, l);
  // Every label of the data, before its first batch.
  checkDatasetLabels(evalFn.getName().str(),
                     unsigned(modelGlobals(mt->second.model, "").size() + 1),
                     loader, "the loss or metric", l);
  auto w = b.create<mlir::scf::WhileOp>(l, mlir::TypeRange{b.getI64Type()},
                                        mlir::ValueRange{});
  {
    mlir::OpBuilder::InsertionGuard guard(b);
    b.createBlock(&w.getBefore());
    mlir::Value rows =
        rt("nnc_rt_loader_next", {b.getI64Type()}, {loader}, l).getResult(0);
    mlir::Value more = b.create<mlir::arith::CmpIOp>(
        l, mlir::arith::CmpIPredicate::sgt, rows,
        b.create<mlir::arith::ConstantIntOp>(l, 0, 64));
    b.create<mlir::scf::ConditionOp>(l, more, mlir::ValueRange{rows});
    mlir::Block *after =
        b.createBlock(&w.getAfter(), {}, {b.getI64Type()}, {l});
    mlir::Value n =
        b.create<mlir::arith::SIToFPOp>(l, f64, after->getArgument(0));
    llvm::SmallVector<mlir::Value> args;
    for (auto &[name, g] : modelGlobals(mt->second.model, ""))
      args.push_back(tensorOf(global(g, l), l));
    auto inputs = evalFn.getFunctionType().getInputs();
    for (int i = 0; i < 2; ++i) {
      auto tt = llvm::cast<mlir::RankedTensorType>(inputs[args.size()]);
      mlir::Value v = loaderBatch(loader, tt, i == 1, e.data->range, l);
      if (!v)
        return {};
      args.push_back(v);
    }
    checkLabels(evalFn.getName().str(), args, l);
    auto call = b.create<mlir::func::CallOp>(l, evalFn, args);
    for (size_t i = 0; i < e.metrics.size(); ++i) {
      mlir::Value m = b.create<mlir::tensor::ExtractOp>(l, call.getResult(i),
                                                        mlir::ValueRange{});
      m = b.create<mlir::arith::ExtFOp>(l, f64, m);
      storeGlobal(
          sums[i],
          b.create<mlir::arith::AddFOp>(l, loadGlobal(sums[i], l),
                                        b.create<mlir::arith::MulFOp>(l, m, n)),
          l);
    }
    storeGlobal(sums.back(),
                b.create<mlir::arith::AddFOp>(l, loadGlobal(sums.back(), l), n),
                l);
    b.create<mlir::scf::YieldOp>(l);
  }
  HV h;
  h.k = HV::K::Record;
  mlir::Value count = loadGlobal(sums.back(), l);
  for (size_t i = 0; i < e.metrics.size(); ++i)
    h.fields.push_back(
        {e.metrics[i].name.name,
         b.create<mlir::arith::DivFOp>(l, loadGlobal(sums[i], l), count)});
  if (trainingLoops > 0) {
    // In a loop that trains: the epoch's metrics, named after the data
    // (`valid` in `evaluate net on batches(valid, 1000)`): valid_loss, ...
    const Expr *data = e.data.get();
    if (const auto *c = dyn_cast<CallExpr>(data); c && !c->args.empty())
      data = c->args[0].value.get();
    const auto *n = dyn_cast<NameExpr>(data);
    std::string prefix = n ? n->name : "eval" + std::to_string(k->second);
    for (auto &[name, value] : h.fields)
      rt("nnc_rt_epoch_metric", {}, {str(prefix + "_" + name, l), value}, l);
  }
  return h;
}

GV Generator::hostPredictions(const CallExpr &e) {
  mlir::Location l = loc(e.range);
  const CheckedBody &top = sema.getBodies().front();
  if (body != &top || e.args.size() != 2)
    return fail(e.range, "'predictions' here"), GV();
  const Expr &modelE = *e.args[0].value;
  const Expr &dataE = *e.args[1].value;
  auto mt = top.types.find(&modelE);
  auto rt_ = top.types.find(&e);
  if (mt == top.types.end() || !mt->second.model || rt_ == top.types.end())
    return fail(e.range, "'predictions' here"), GV();
  const ModelInstance *model = mt->second.model;
  // The model's forward, checked for a batch of any size.
  const CheckedBody *forward = nullptr;
  for (const CheckedBody &cb : sema.getBodies())
    if (cb.self == model && cb.signature &&
        cb.signature->name.name == "forward" && !cb.signature->params.empty()) {
      forward = &cb;
      break;
    }
  if (!forward)
    return fail(e.range, "'predictions' of this model"), GV();
  setLocation(e.range);
  mlir::Value dataset = hostDataset(dataE);
  if (failed)
    return {};
  mlir::RankedTensorType outT = tensorType(rt_->second);
  // The whole output: [n, ...], filled batch by batch.
  mlir::Value n =
      rt("nnc_rt_dataset_size", {b.getI64Type()}, {dataset}, l).getResult(0);
  mlir::Value nIdx = b.create<mlir::arith::IndexCastOp>(l, b.getIndexType(), n);
  llvm::SmallVector<mlir::Value> dyn;
  if (outT.isDynamicDim(0))
    dyn.push_back(nIdx);
  auto outM = mlir::MemRefType::get(outT.getShape(), outT.getElementType());
  mlir::Value out = b.create<mlir::memref::AllocOp>(l, outM, dyn);
  mlir::Value loader = hostLoader(dataE, dataE.range);
  rt("nnc_rt_loader_start", {},
     {loader, b.create<mlir::arith::ConstantIntOp>(l, -1, 64)}, l);
  auto idx = b.getIndexType();
  mlir::Value zero = b.create<mlir::arith::ConstantIndexOp>(l, 0);
  auto w = b.create<mlir::scf::WhileOp>(l, mlir::TypeRange{b.getI64Type(), idx},
                                        mlir::ValueRange{zero});
  {
    mlir::OpBuilder::InsertionGuard guard(b);
    mlir::Block *before = b.createBlock(&w.getBefore(), {}, {idx}, {l});
    mlir::Value rows =
        rt("nnc_rt_loader_next", {b.getI64Type()}, {loader}, l).getResult(0);
    mlir::Value more = b.create<mlir::arith::CmpIOp>(
        l, mlir::arith::CmpIPredicate::sgt, rows,
        b.create<mlir::arith::ConstantIntOp>(l, 0, 64));
    b.create<mlir::scf::ConditionOp>(
        l, more, mlir::ValueRange{rows, before->getArgument(0)});
    mlir::Block *after =
        b.createBlock(&w.getAfter(), {}, {b.getI64Type(), idx}, {l, l});
    mlir::Value offset = after->getArgument(1);
    auto dt = top.types.find(&dataE);
    if (dt == top.types.end() || dt->second.elems.empty())
      return fail(dataE.range, "this dataset"), GV();
    mlir::RankedTensorType xt = tensorType(dt->second.elems[0]);
    llvm::SmallVector<int64_t> shape{mlir::ShapedType::kDynamic};
    shape.append(xt.getShape().begin(), xt.getShape().end());
    GV x;
    x.value = loaderBatch(
        loader, mlir::RankedTensorType::get(shape, xt.getElementType()), false,
        dataE.range, l);
    if (!x.value)
      return {};
    params.clear();
    GV y = inlineBody(*forward, e.range, {{"", x}});
    if (failed || !y.value)
      return fail(e.range, "'predictions' of this model"), GV();
    // Copy the batch's outputs into rows [offset, offset + rows).
    mlir::Value rowsIdx =
        b.create<mlir::arith::IndexCastOp>(l, idx, after->getArgument(0));
    auto yt = llvm::cast<mlir::RankedTensorType>(y.value.getType());
    llvm::SmallVector<mlir::OpFoldResult> offsets, sizes, strides;
    offsets.push_back(offset);
    sizes.push_back(rowsIdx);
    strides.push_back(b.getIndexAttr(1));
    for (int64_t d = 1; d < yt.getRank(); ++d) {
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(yt.getDimSize(d)));
      strides.push_back(b.getIndexAttr(1));
    }
    mlir::Value dest =
        b.create<mlir::memref::SubViewOp>(l, out, offsets, sizes, strides);
    auto m = b.create<mlir::bufferization::MaterializeInDestinationOp>(
        l, mlir::TypeRange{}, y.value, dest);
    m.setRestrict(true);
    m.setWritable(true);
    b.create<mlir::scf::YieldOp>(
        l, mlir::ValueRange{b.create<mlir::arith::AddIOp>(l, offset, rowsIdx)});
  }
  GV g;
  g.value = b.create<mlir::bufferization::ToTensorOp>(
      l, mlir::RankedTensorType::get(outM.getShape(), outM.getElementType()),
      out, true, false);
  return g;
}

//===----------------------------------------------------------------------===//
// print, save, load, write
//===----------------------------------------------------------------------===//

bool Generator::printValue(const HV &v, SourceRange at, mlir::Location l) {
  switch (v.k) {
  case HV::K::Str:
    rt("nnc_rt_print_str", {}, {v.v}, l);
    return true;
  case HV::K::Int:
    rt("nnc_rt_print_i64", {}, {v.v}, l);
    return true;
  case HV::K::Float:
    rt("nnc_rt_print_f64", {}, {v.v}, l);
    return true;
  case HV::K::Bool:
    rt("nnc_rt_print_bool", {}, {i32Flag(v.v, l)}, l);
    return true;
  case HV::K::Tensor: {
    const char *suffix = dtypeSuffix(rtt(v.v).getElementType());
    if (!suffix)
      return fail(at, "printing a tensor of this element type");
    rt(std::string("nnc_rt_print_tensor_") + suffix, {}, {unrankedView(v.v, l)},
       l);
    return true;
  }
  default:
    return fail(at, "printing this value");
  }
}

bool Generator::hostPrint(const CallExpr &e) {
  mlir::Location l = loc(e.range);
  for (const Arg &a : e.args) {
    HV v = hostExpr(*a.value);
    if (failed || !printValue(v, a.value->range, l))
      return false;
  }
  rt("nnc_rt_print_end", {}, {}, l);
  return true;
}

bool Generator::hostSave(const SaveStmt &s) {
  mlir::Location l = loc(s.range);
  auto mt = body->types.find(s.value.get());
  if (mt == body->types.end() || !mt->second.model ||
      !modelVars.count(mt->second.model))
    return fail(s.value->range, "saving this");
  std::optional<mlir::scf::IfOp> ifOp;
  mlir::OpBuilder::InsertionGuard guard(b);
  if (s.cond) {
    HV c = hostExpr(*s.cond);
    if (failed)
      return false;
    if (c.k != HV::K::Bool)
      return fail(s.cond->range, "this condition");
    ifOp = b.create<mlir::scf::IfOp>(l, c.v, false);
    b.setInsertionPointToStart(ifOp->thenBlock());
  }
  HV path = hostExpr(*s.path);
  if (failed || path.k != HV::K::Str)
    return fail(s.path->range, "this path");
  setLocation(s.range);
  emitSave(path.v, modelGlobals(mt->second.model, ""), l);
  return true;
}

bool Generator::hostLoad(const LoadStmt &s) {
  mlir::Location l = loc(s.range);
  auto mt = body->types.find(s.target.get());
  if (mt == body->types.end() || !mt->second.model ||
      !modelVars.count(mt->second.model))
    return fail(s.target->range, "loading this");
  HV path = hostExpr(*s.path);
  if (failed || path.k != HV::K::Str)
    return fail(s.path->range, "this path");
  setLocation(s.range);
  // The model variable: a file of --save-final names the parameters after it.
  rt("nnc_rt_load_begin", {}, {path.v, str(modelVars.at(mt->second.model), l)},
     l);
  for (auto &[name, g] : modelGlobals(mt->second.model, "")) {
    mlir::Value m = global(g, l);
    auto elem = llvm::cast<mlir::MemRefType>(m.getType()).getElementType();
    rt(std::string("nnc_rt_load_") + dtypeSuffix(elem), {},
       {str(name, l), unrankedView(m, l)}, l);
  }
  rt("nnc_rt_load_end", {}, {}, l);
  return true;
}

bool Generator::hostWrite(const WriteStmt &s) {
  mlir::Location l = loc(s.range);
  HV v = hostExpr(*s.value);
  HV path = hostExpr(*s.path);
  if (failed)
    return false;
  if (v.k != HV::K::Tensor || path.k != HV::K::Str)
    return fail(s.range, "this 'write'");
  auto elem =
      llvm::cast<mlir::RankedTensorType>(v.v.getType()).getElementType();
  const char *suffix = dtypeSuffix(elem);
  if (!suffix || elem.isInteger(1))
    return fail(s.value->range, "writing a tensor of this element type");
  setLocation(s.range);
  rt(std::string("nnc_rt_write_csv_") + suffix, {},
     {path.v, unrankedView(v.v, l)}, l);
  return true;
}

} // namespace nnc::gen
