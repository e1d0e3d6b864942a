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

#endif // NNC_CONVERSION_PASSES
