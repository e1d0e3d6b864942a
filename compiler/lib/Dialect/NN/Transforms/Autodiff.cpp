//===- Autodiff.cpp - Reverse-mode automatic differentiation
//---------------===//
//
// Algorithm, for each function F marked `nn.differentiate`:
//   1. Check F: one block, no calls (inline first), first result a scalar
//      float tensor (the loss).
//   2. Activity: an op is active if it depends on an argument marked
//      `nn.wrt` and the loss depends on it; an op with regions depends on
//      what its regions read from above too. Only active ops get adjoints;
//      an active op with regions (scf.if, scf.for) is an error: no rule
//      differentiates through control flow.
//   3. Create F_grad with F's arguments; clone F's body into it (the
//      forward sweep), keeping a map from F's values to the clones.
//   4. Seed adj(loss) = 1. Walk the active ops backwards; for each op with
//      an adjoint on some result, ask its DifferentiableOpInterface for the
//      operands' adjoints and accumulate them (nn.add) - a value used by
//      several ops collects the sum of their contributions. Ops with
//      NonDifferentiableOpInterface stop the gradient; any other active op
//      is an error naming it.
//   5. Return (F's results..., adj(wrt args)...), zeros for an argument the
//      loss does not depend on.
// The result is plain nn IR: canonicalize/CSE and the lowerings treat the
// backward sweep exactly like the forward one, so they fuse across both.
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

namespace nnc::nn {
#define GEN_PASS_DEF_NNAUTODIFF
#include "nnc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace nnc::nn

using namespace mlir;
using namespace nnc::nn;

namespace {

constexpr llvm::StringLiteral kDifferentiate = "nn.differentiate";
constexpr llvm::StringLiteral kWrt = "nn.wrt";

Value zerosLike(OpBuilder &b, Location loc, Value like) {
  auto t = cast<RankedTensorType>(like.getType());
  if (t.hasStaticShape())
    return b.create<FillOp>(loc, t, b.getF64FloatAttr(0.0), Value());
  return b.create<FillOp>(loc, t, b.getF64FloatAttr(0.0), like);
}

LogicalResult differentiate(func::FuncOp fn) {
  Location loc = fn.getLoc();
  if (!fn.getBody().hasOneBlock())
    return fn.emitError("nn-autodiff: '")
           << fn.getName() << "' must have a single block";
  if (fn.getNumResults() == 0)
    return fn.emitError("nn-autodiff: '")
           << fn.getName() << "' must return the loss first";
  auto lossType = dyn_cast<RankedTensorType>(fn.getResultTypes()[0]);
  if (!lossType || lossType.getRank() != 0 ||
      !isa<FloatType>(lossType.getElementType()))
    return fn.emitError("nn-autodiff: the first result of '")
           << fn.getName() << "' must be a scalar float tensor (the loss), "
           << "got " << fn.getResultTypes()[0];
  Block &body = fn.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());

  // 2. Activity analysis.
  SmallVector<unsigned> wrt;
  llvm::DenseSet<Value> varied;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    if (fn.getArgAttr(i, kWrt)) {
      if (!isa<FloatType>(
              cast<ShapedType>(fn.getArgument(i).getType()).getElementType()))
        return fn.emitError("nn-autodiff: argument ")
               << i << " is marked nn.wrt but is not a float tensor";
      wrt.push_back(i);
      varied.insert(fn.getArgument(i));
    }
  }
  // Only float tensors carry gradients: sizes (tensor.dim), indices and
  // masks computed from varied values are not varied themselves.
  auto isFloatTensor = [](Value v) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    return t && isa<FloatType>(t.getElementType());
  };
  // What an op reads: its operands, and for an op with regions (scf.if,
  // scf.for) the values its regions use from above - an scf.if computing
  // nn.exp %x reads %x although %x is no operand of it.
  auto inputsOf = [](Operation &op) {
    SmallVector<Value> inputs(op.getOperands());
    if (op.getNumRegions() != 0) {
      llvm::SetVector<Value> above;
      getUsedValuesDefinedAbove(op.getRegions(), above);
      inputs.append(above.begin(), above.end());
    }
    return inputs;
  };
  for (Operation &op : body.without_terminator()) {
    if (isa<func::CallOp>(op))
      return op.emitError("nn-autodiff: calls must be inlined before "
                          "differentiation");
    bool any =
        llvm::any_of(inputsOf(op), [&](Value v) { return varied.contains(v); });
    if (any && !isa<NonDifferentiableOpInterface>(op))
      for (Value r : op.getResults())
        if (isFloatTensor(r))
          varied.insert(r);
  }
  llvm::DenseSet<Value> useful{ret.getOperand(0)};
  llvm::SetVector<Operation *> active;
  for (Operation &op : llvm::reverse(body.without_terminator())) {
    bool feedsLoss = llvm::any_of(op.getResults(),
                                  [&](Value v) { return useful.contains(v); });
    bool isVaried = llvm::any_of(op.getResults(),
                                 [&](Value v) { return varied.contains(v); });
    if (!feedsLoss || !isVaried)
      continue;
    // No rule differentiates through regions: refused here, before any
    // code is made, rather than giving the values the region reads a zero
    // gradient.
    if (op.getNumRegions() != 0 && !isa<NonDifferentiableOpInterface>(op))
      return op.emitError("nn-autodiff: cannot differentiate through '")
             << op.getName()
             << "': control flow inside a loss must be unrolled or folded "
                "before differentiation";
    active.insert(&op);
    for (Value v : inputsOf(op))
      useful.insert(v);
  }

  // 3. The forward sweep, cloned.
  OpBuilder b(fn);
  // A declaration of the gradient (from code that calls it) is replaced.
  std::string gradName = (fn.getName() + "_grad").str();
  if (auto decl = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
          fn, b.getStringAttr(gradName))) {
    if (!decl.isDeclaration())
      return fn.emitError("nn-autodiff: '") << gradName << "' already exists";
    decl.erase();
  }
  // After the erase: the declaration may have been right after `fn`.
  b.setInsertionPointAfter(fn);
  SmallVector<Type> results(fn.getResultTypes());
  for (unsigned i : wrt)
    results.push_back(fn.getArgument(i).getType());
  auto grad =
      b.create<func::FuncOp>(loc, (fn.getName() + "_grad").str(),
                             b.getFunctionType(fn.getArgumentTypes(), results));
  grad.setVisibility(fn.getVisibility());
  Block *entry = grad.addEntryBlock();
  IRMapping map;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    map.map(fn.getArgument(i), entry->getArgument(i));
  b.setInsertionPointToEnd(entry);
  for (Operation &op : body.without_terminator())
    b.clone(op, map);

  // 4. The reverse sweep.
  llvm::DenseMap<Value, Value> adjoint; // keyed by cloned values
  auto accumulate = [&](Value v, Value a) {
    auto it = adjoint.find(v);
    if (it == adjoint.end())
      adjoint[v] = a;
    else
      it->second = b.create<AddOp>(loc, it->second, a);
  };
  Value loss = map.lookup(ret.getOperand(0));
  adjoint[loss] =
      b.create<FillOp>(loc, lossType, b.getF64FloatAttr(1.0), Value());
  for (Operation *orig : active) { // already in reverse order
    Operation *op = map.lookup(orig);
    SmallVector<Value> resultAdj;
    bool any = false;
    for (Value r : op->getResults()) {
      auto it = adjoint.find(r);
      if (it != adjoint.end()) {
        resultAdj.push_back(it->second);
        any = true;
      } else {
        resultAdj.push_back(Value());
      }
    }
    if (!any)
      continue;
    if (isa<NonDifferentiableOpInterface>(op))
      continue;
    auto rule = dyn_cast<DifferentiableOpInterface>(op);
    if (!rule)
      return orig->emitError("nn-autodiff: no derivative rule for '")
             << orig->getName() << "'";
    for (unsigned i = 0; i < resultAdj.size(); ++i)
      if (!resultAdj[i])
        resultAdj[i] = zerosLike(b, op->getLoc(), op->getResult(i));
    b.setInsertionPointToEnd(entry);
    SmallVector<Value> operandAdj = rule.buildAdjoints(b, resultAdj);
    if (operandAdj.size() != op->getNumOperands())
      return orig->emitError("nn-autodiff: the rule of '")
             << orig->getName() << "' returned " << operandAdj.size()
             << " adjoints for " << op->getNumOperands() << " operands";
    for (unsigned i = 0; i < operandAdj.size(); ++i) {
      Value in = op->getOperand(i);
      if (!operandAdj[i] ||
          !isa<FloatType>(cast<ShapedType>(in.getType()).getElementType()))
        continue;
      if (operandAdj[i].getType() != in.getType())
        return orig->emitError("nn-autodiff: the rule of '")
               << orig->getName() << "' gave an adjoint of type "
               << operandAdj[i].getType() << " for an operand of type "
               << in.getType();
      accumulate(in, operandAdj[i]);
    }
  }

  // 5. Results.
  SmallVector<Value> outs;
  for (Value v : ret.getOperands())
    outs.push_back(map.lookup(v));
  for (unsigned i : wrt) {
    Value arg = entry->getArgument(i);
    auto it = adjoint.find(arg);
    outs.push_back(it != adjoint.end() ? it->second : zerosLike(b, loc, arg));
  }
  b.create<func::ReturnOp>(loc, outs);
  return success();
}

struct NNAutodiffPass : nnc::nn::impl::NNAutodiffBase<NNAutodiffPass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> todo;
    getOperation().walk([&](func::FuncOp fn) {
      if (fn->hasAttr(kDifferentiate))
        todo.push_back(fn);
    });
    for (func::FuncOp fn : todo)
      if (failed(differentiate(fn)))
        return signalPassFailure();
  }
};

} // namespace
