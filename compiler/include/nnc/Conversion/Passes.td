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

def PrivatizeFunctions : Pass<"nnc-privatize-functions", "::mlir::ModuleOp"> {
  let summary = "Make every function but the entry points private";
  let description = [{
    Run after nn-autodiff by the pipeline (buildPipeline in Pipeline.h):
    every defined func.func whose name is not in `keep` becomes private, so that
    once the inliner has inlined the steps, initialisers and evaluations
    into the entry point (`nnc_main`, `nnc_repl`), symbol-dce drops them.
    Declarations (the runtime's entry points) are left alone.

    ```mlir
    func.func @step_0() ...        // becomes func.func private @step_0()
    func.func @nnc_main() -> i32   // kept with keep=nnc_main
    ```
  }];
  let options = [
    ListOption<"keep", "keep", "std::string",
               "The functions called from outside the module">
  ];
}

def FunctionsFirst : Pass<"nnc-functions-first", "::mlir::ModuleOp"> {
  let summary = "Move the module's functions before its other symbols";
  let description = [{
    Moves the module's functions, in their order, before its globals.
    Upstream passes look a call's callee up with
    SymbolTable::lookupNearestSymbolFrom, which scans the module from its
    first op (one-shot bufferization's module analysis does so for every
    call); a long script's host program has a memref.global per variable
    and a string per name or location, so with the functions behind them
    each call would cost a scan of all of them, and compiling the script
    would take time quadratic in its length.
  }];
}

def FuseElementwise : Pass<"nnc-fuse-elementwise"> {
  let summary = "Fuse elementwise linalg ops without recomputing smaller "
                "producers per element";
  let description = [{
    Linalg's elementwise fusion on tensors (chains of elementwise generics,
    and their producers into reductions, become one generic), with one rule
    of nnc's: a producer over fewer loops than its consumer (a scalar such
    as Adam's `1 - beta1^t`, broadcast into a [256, 784] update) is fused
    only if it is free (casts), since fusing it would recompute it for
    every element of the consumer. A producer with more than one use is not
    fused.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def DuplicateFills : Pass<"nnc-duplicate-fills"> {
  let summary = "Give each user of a tensor fill its own fill, and each "
                "value stored by materialize_in_destination its own "
                "tensor.empty";
  let description = [{
    CSE merges equal fills (the zeros that start a gradient accumulation
    and the zeros of an optimizer's state); one shared fill that several
    ops write into makes bufferization copy it for each of them, and a fill
    next to its matrix product is absorbed into the BLAS call (beta = 0).
    So every user of a linalg.fill on tensors gets its own copy, placed
    right before it. The tensor.empty behind each value that
    bufferization.materialize_in_destination stores is unshared too:
    empty-tensor elimination replaces that op by the destination, so every
    user of a shared one would write into it.
  }];
}

#endif // NNC_CONVERSION_PASSES
