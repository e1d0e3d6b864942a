//===- Passes.td - Lowerings of the nn dialect -------------*- tablegen -*-===//
//
// The conversion passes that take nn IR towards machine code: today the CPU
// path, nn -> linalg on tensors (then upstream bufferization and LLVM
// lowering, assembled by buildCPUPipeline in Passes.h).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_CONVERSION_PASSES
#define NNC_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertNNToLinalg : Pass<"convert-nn-to-linalg"> {
  let summary = "Lower every nn op to linalg, tensor, arith and math on tensors";
  let description = [{
    Rewrites each nn op into destination-passing linalg ops on tensors
    (linalg.generic with arith/math bodies for the elementwise ops,
    linalg.matmul / linalg.batch_matmul, linalg.reduce, linalg.transpose,
    linalg.fill) and tensor shape ops (tensor.empty, tensor.expand_shape,
    tensor.collapse_shape, tensor.cast). Dynamic sizes are read with
    tensor.dim. Types do not change (nn already works on tensors), so no
    type converter is involved; any nn op left over is an error.

    `nn.random` is computed inline: every element evaluates Philox-4x32-10
    at its own counter, so the values match the runtime's fillUniform /
    fillNormal (runtime/include/nnc/runtime/Rng.h) for the same seed and
    stream.

    ```mlir
    %c = nn.add %a, %b : tensor<?x4xf32>
    // becomes
    %c0 = arith.constant 0 : index
    %d = tensor.dim %a, %c0 : tensor<?x4xf32>
    %e = tensor.empty(%d) : tensor<?x4xf32>
    %c = linalg.generic {...} ins(%a, %b : ...) outs(%e : ...) {
    ^bb0(%x: f32, %y: f32, %out: f32):
      %s = arith.addf %x, %y : f32
      linalg.yield %s : f32
    } -> tensor<?x4xf32>
    ```
  }];
  let options = [
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "The 64-bit Philox key of nn.random (the run's seed)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def FoldMatmulTranspose : Pass<"nnc-fold-matmul-transpose"> {
  let summary = "Fold 2-D transposes feeding or fed by matrix products into "
                "the transposed linalg matmul ops";
  let description = [{
    On linalg on tensors, rewrites
    `linalg.matmul(linalg.transpose(x), y)` into
    `linalg.matmul_transpose_a(x, y)` and `matmul(x, transpose(y))` into
    `linalg.matmul_transpose_b(x, y)` (batch_matmul likewise, with the
    permutation [0, 2, 1]), so that the copy disappears and the BLAS call
    reads the operand with a transpose flag. A transpose of such a product
    whose only use is the transpose swaps the operands instead:
    `(x^T y)^T = y^T x`, `(x y^T)^T = y x^T`. A transpose of a transpose
    with identity composition is its source.

    ```mlir
    %t = linalg.transpose ins(%w : tensor<10x256xf32>)
           outs(%e : tensor<256x10xf32>) permutation = [1, 0]
    %y = linalg.matmul ins(%h, %t : tensor<?x256xf32>, tensor<256x10xf32>)
           outs(%z : tensor<?x10xf32>) -> tensor<?x10xf32>
    // becomes
    %y = linalg.matmul_transpose_b ins(%h, %w : tensor<?x256xf32>,
           tensor<10x256xf32>) outs(%z : tensor<?x10xf32>) -> tensor<?x10xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvertLinalgToBlas : Pass<"nnc-linalg-to-blas", "::mlir::ModuleOp"> {
  let summary = "Replace f32 matrix products on buffers by calls to "
                "nnc_sgemm (OpenBLAS)";
  let description = [{
    After bufferization, replaces each linalg.matmul, matmul_transpose_a,
    matmul_transpose_b, batch_matmul, batch_matmul_transpose_a and
    batch_matmul_transpose_b whose operands are all f32 memrefs by a
    func.call to the runtime's `nnc_sgemm` (runtime/include/nnc/runtime/
    Blas.h), passing each operand as its aligned address, offset and the
    strides of its logical (transposed) view, so any strided layout works.
    A zero linalg.fill of a fresh output buffer right before the product (no
    use of that buffer in between) is dropped and the call gets beta = 0;
    otherwise beta = 1 accumulates. Other element types keep their loops.

    ```mlir
    linalg.matmul_transpose_b ins(%x, %w : memref<?x784xf32>,
        memref<256x784xf32>) outs(%y : memref<?x256xf32>)
    // becomes (the metadata from memref.extract_strided_metadata and
    // memref.extract_aligned_pointer_as_index)
    func.call @nnc_sgemm(%c1, %m, %c256, %c784, %xp, %xo, %c0, %c784, %c1,
        %wp, %wo, %c0, %c1, %c784, %beta, %yp, %yo, %c0, %c256, %c1) : ...
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

#endif // NNC_CONVERSION_PASSES
