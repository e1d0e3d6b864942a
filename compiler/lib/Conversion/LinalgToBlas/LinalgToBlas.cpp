//===- LinalgToBlas.cpp - f32 matrix products to nnc_sgemm ----------------===//
//
// The nnc-linalg-to-blas pass: after bufferization (and after the buffer
// deallocation pipeline, so that no dealloc is placed between the address
// extraction and the call), every f32 matrix product on buffers becomes a
// call to the runtime's nnc_sgemm (runtime/include/nnc/runtime/Blas.h), which
// calls OpenBLAS.
//
// Algorithm:
//   1. Collect linalg.matmul, matmul_transpose_a, matmul_transpose_b,
//      batch_matmul, batch_matmul_transpose_a and batch_matmul_transpose_b
//      with buffer semantics whose three operands are f32 memrefs with a
//      strided layout. Other element types keep their loops.
//   2. For each operand, memref.extract_strided_metadata gives the offset,
//      sizes and strides, memref.extract_aligned_pointer_as_index the
//      address. The logical matrices are op(A): M x K, op(B): K x N and C:
//      M x N; a transposed operand passes its two strides swapped, so the
//      call sees the logical view and the runtime picks the BLAS transpose
//      flag (or, for a layout BLAS cannot take, a plain loop). The batch
//      count and batch strides are 1 and 0 for the rank-2 ops.
//   3. beta: walking back from the product in its block, if the first op
//      that uses the output buffer (or any view of it) is a linalg.fill of
//      zero into exactly that buffer, and the buffer is a fresh
//      memref.alloc / memref.alloca (so nothing reaches it except through
//      its uses), the fill is erased and beta = 0 (the product overwrites
//      C). Otherwise beta = 1 (C += op(A) op(B)).
//   4. Replace the product by func.call @nnc_sgemm, declaring the function
//      (private, 19 index arguments and one f32) once per module.
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/TypeSwitch.h"

namespace nnc {
#define GEN_PASS_DEF_CONVERTLINALGTOBLAS
#include "nnc/Conversion/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

constexpr StringLiteral kSgemm = "nnc_sgemm";

/// Which product an op is.
struct ProductKind {
  bool batched, transA, transB;
};

std::optional<ProductKind> productKind(Operation *op) {
  using R = std::optional<ProductKind>;
  return llvm::TypeSwitch<Operation *, R>(op)
      .Case([](linalg::MatmulOp) {
        return ProductKind{false, false, false};
      })
      .Case([](linalg::MatmulTransposeAOp) {
        return ProductKind{false, true, false};
      })
      .Case([](linalg::MatmulTransposeBOp) {
        return ProductKind{false, false, true};
      })
      .Case([](linalg::BatchMatmulOp) {
        return ProductKind{true, false, false};
      })
      .Case([](linalg::BatchMatmulTransposeAOp) {
        return ProductKind{true, true, false};
      })
      .Case([](linalg::BatchMatmulTransposeBOp) {
        return ProductKind{true, false, true};
      })
      .Default([](Operation *) { return R(); });
}

/// Step 1: an f32 memref with a strided layout.
bool isStridedF32(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || !type.getElementType().isF32())
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(getStridesAndOffset(type, strides, offset));
}

/// The buffer \p v is a view of (itself when it is not a view).
Value rootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// Step 3: the zero fill of \p out that the product \p op may absorb.
linalg::FillOp absorbableZeroFill(Operation *op, Value out) {
  Value root = rootBuffer(out);
  if (!root.getDefiningOp<memref::AllocOp>() &&
      !root.getDefiningOp<memref::AllocaOp>())
    return nullptr;
  auto usesRoot = [&](Operation *candidate) {
    WalkResult result = candidate->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (isa<MemRefType>(operand.getType()) && rootBuffer(operand) == root)
          return WalkResult::interrupt();
      return WalkResult::advance();
    });
    return result.wasInterrupted();
  };
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (!usesRoot(prev))
      continue;
    auto fill = dyn_cast<linalg::FillOp>(prev);
    if (fill && fill.hasPureBufferSemantics() && fill.getOutputs()[0] == out &&
        matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
      return fill;
    return nullptr;
  }
  return nullptr;
}

/// Step 2: the address, offset, sizes and strides of a memref.
struct BufferView {
  Value address, offset;
  SmallVector<Value> sizes, strides;
};

BufferView bufferView(OpBuilder &b, Location loc, Value memref) {
  auto meta = b.create<memref::ExtractStridedMetadataOp>(loc, memref);
  Value address = b.create<memref::ExtractAlignedPointerAsIndexOp>(loc, memref);
  return {address, meta.getOffset(), SmallVector<Value>(meta.getSizes()),
          SmallVector<Value>(meta.getStrides())};
}

/// Step 4: the declaration of nnc_sgemm in \p module.
func::FuncOp sgemmDeclaration(ModuleOp module) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(kSgemm))
    return existing;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  Type index = b.getIndexType();
  // batch, m, n, k; a (5), b (5); beta; c (5).
  SmallVector<Type> inputs(14, index);
  inputs.push_back(b.getF32Type());
  inputs.append(5, index);
  auto fn = b.create<func::FuncOp>(module.getLoc(), kSgemm,
                                   FunctionType::get(ctx, inputs, {}));
  fn.setPrivate();
  return fn;
}

void rewriteProduct(linalg::LinalgOp op, ProductKind kind, func::FuncOp sgemm) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value outBuffer = op.getDpsInits()[0];
  float beta = 1.0f;
  if (linalg::FillOp fill = absorbableZeroFill(op, outBuffer)) {
    fill.erase();
    beta = 0.0f;
  }
  BufferView a = bufferView(b, loc, op.getDpsInputs()[0]);
  BufferView bv = bufferView(b, loc, op.getDpsInputs()[1]);
  BufferView c = bufferView(b, loc, outBuffer);
  unsigned row = kind.batched ? 1 : 0, col = row + 1;
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value batch = kind.batched ? c.sizes[0] : one;
  auto batchStride = [&](const BufferView &v) {
    return kind.batched ? v.strides[0] : zero;
  };
  // The logical (row, column) strides of an operand.
  auto logical = [&](const BufferView &v, bool transposed) {
    return transposed ? std::make_pair(v.strides[col], v.strides[row])
                      : std::make_pair(v.strides[row], v.strides[col]);
  };
  Value k = kind.transA ? a.sizes[row] : a.sizes[col];
  auto [aRow, aCol] = logical(a, kind.transA);
  auto [bRow, bCol] = logical(bv, kind.transB);
  Value betaValue = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(beta));
  SmallVector<Value> args = {
      batch,     c.sizes[row],   c.sizes[col],   k,
      a.address, a.offset,       batchStride(a), aRow,
      aCol,      bv.address,     bv.offset,      batchStride(bv),
      bRow,      bCol,           betaValue,      c.address,
      c.offset,  batchStride(c), c.strides[row], c.strides[col]};
  b.create<func::CallOp>(loc, sgemm, args);
  op->erase();
}

struct ConvertLinalgToBlasPass
    : nnc::impl::ConvertLinalgToBlasBase<ConvertLinalgToBlasPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<linalg::LinalgOp, ProductKind>> products;
    module.walk([&](linalg::LinalgOp op) {
      std::optional<ProductKind> kind = productKind(op);
      if (kind && op.hasPureBufferSemantics() &&
          llvm::all_of(op->getOperands(), isStridedF32))
        products.push_back({op, *kind});
    });
    if (products.empty())
      return;
    func::FuncOp sgemm = sgemmDeclaration(module);
    for (auto [op, kind] : products)
      rewriteProduct(op, kind, sgemm);
  }
};

} // namespace
