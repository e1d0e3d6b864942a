//===- FoldMatmulTranspose.cpp - Transposes into matmul variants ----------===//
//
// The nnc-fold-matmul-transpose pass: on linalg on tensors, transposes of the
// last two dimensions that feed a matrix product, or that a product feeds,
// become the transposed named ops (linalg.matmul_transpose_a/_b and the
// batch forms), so that no copy is made and the BLAS call of
// nnc-linalg-to-blas reads the operand with a transpose flag.
//
// Algorithm (greedy rewriting until nothing changes):
//   1. transpose(transpose(x)) whose permutations compose to the identity is
//      x.
//   2. matmul(transpose(x), y) -> matmul_transpose_a(x, y), and
//      matmul(x, transpose(y)) -> matmul_transpose_b(x, y); only the lhs is
//      folded when both are transposes (there is no op for both). The
//      transposes must swap the last two dimensions ([1, 0], or [0, 2, 1]
//      for batch_matmul); a tensor.cast in between is looked through. The
//      destination is kept.
//   3. transpose(matmul_transpose_a(x, y)), the product used only there and
//      accumulated into a linalg.fill: (x^T y)^T = y^T x =
//      matmul_transpose_a(y, x), into a fill of the transpose's destination
//      with the same value; likewise (x y^T)^T = y x^T =
//      matmul_transpose_b(y, x). The batch forms alike.
//   The transposes left without uses are erased by the rewriter.
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nnc {
#define GEN_PASS_DEF_FOLDMATMULTRANSPOSE
#include "nnc/Conversion/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// The transpose of the last two dimensions of a rank-2 or rank-3 tensor
/// (with the batch dimension first) that produces \p v, looking through one
/// tensor.cast; null otherwise.
linalg::TransposeOp swapOfLastTwo(Value v, int64_t rank) {
  if (auto cast = v.getDefiningOp<tensor::CastOp>())
    v = cast.getSource();
  auto transpose = v.getDefiningOp<linalg::TransposeOp>();
  if (!transpose || !transpose.hasPureTensorSemantics())
    return nullptr;
  SmallVector<int64_t> swap =
      rank == 2 ? SmallVector<int64_t>{1, 0} : SmallVector<int64_t>{0, 2, 1};
  if (transpose.getPermutation() != ArrayRef<int64_t>(swap))
    return nullptr;
  return transpose;
}

/// Step 1.
struct TransposeOfTranspose : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return failure();
    auto inner = op.getInput().getDefiningOp<linalg::TransposeOp>();
    if (!inner || !inner.hasPureTensorSemantics())
      return failure();
    ArrayRef<int64_t> outerPerm = op.getPermutation();
    ArrayRef<int64_t> innerPerm = inner.getPermutation();
    // result[i] = mid[outer[i]] = x[inner[outer[i]]].
    for (auto [i, p] : llvm::enumerate(outerPerm))
      if (innerPerm[p] != static_cast<int64_t>(i))
        return failure();
    Value source = inner.getInput();
    Type type = op.getResult()[0].getType();
    if (source.getType() != type)
      source = rewriter.create<tensor::CastOp>(op.getLoc(), type, source);
    rewriter.replaceOp(op, source);
    return success();
  }
};

/// Step 2, for MatmulOp (rank 2) and BatchMatmulOp (rank 3).
template <typename Op, typename TransposeAOp, typename TransposeBOp,
          int64_t Rank>
struct MatmulOfTranspose : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;

  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return failure();
    Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
    Value init = op.getDpsInits()[0];
    if (auto t = swapOfLastTwo(lhs, Rank)) {
      rewriter.replaceOpWithNewOp<TransposeAOp>(
          op, op->getResultTypes(), ValueRange{t.getInput(), rhs}, init);
      return success();
    }
    if (auto t = swapOfLastTwo(rhs, Rank)) {
      rewriter.replaceOpWithNewOp<TransposeBOp>(
          op, op->getResultTypes(), ValueRange{lhs, t.getInput()}, init);
      return success();
    }
    return failure();
  }
};

/// Step 3: transpose(P(x, y)) -> P(y, x) for P one of the transposed
/// products, whose destination is filled with a constant.
template <typename Op, int64_t Rank>
struct TransposeOfProduct : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() ||
        op.getInput().getType().getRank() != Rank ||
        swapOfLastTwo(op.getResult()[0], Rank) != op)
      return failure();
    auto product = op.getInput().getDefiningOp<Op>();
    if (!product || !product.hasPureTensorSemantics() ||
        !product->getResult(0).hasOneUse())
      return failure();
    auto fill =
        product.getDpsInits()[0].template getDefiningOp<linalg::FillOp>();
    if (!fill || !fill.hasPureTensorSemantics())
      return failure();
    Location loc = op.getLoc();
    Value init =
        rewriter.create<linalg::FillOp>(loc, fill.getInputs()[0], op.getInit())
            .getResult(0);
    rewriter.replaceOpWithNewOp<Op>(
        op, op->getResultTypes(),
        ValueRange{product.getDpsInputs()[1], product.getDpsInputs()[0]}, init);
    return success();
  }
};

struct FoldMatmulTransposePass
    : nnc::impl::FoldMatmulTransposeBase<FoldMatmulTransposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<TransposeOfTranspose,
                 MatmulOfTranspose<linalg::MatmulOp, linalg::MatmulTransposeAOp,
                                   linalg::MatmulTransposeBOp, 2>,
                 MatmulOfTranspose<linalg::BatchMatmulOp,
                                   linalg::BatchMatmulTransposeAOp,
                                   linalg::BatchMatmulTransposeBOp, 3>,
                 TransposeOfProduct<linalg::MatmulTransposeAOp, 2>,
                 TransposeOfProduct<linalg::MatmulTransposeBOp, 2>,
                 TransposeOfProduct<linalg::BatchMatmulTransposeAOp, 3>,
                 TransposeOfProduct<linalg::BatchMatmulTransposeBOp, 3>>(
        &getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
