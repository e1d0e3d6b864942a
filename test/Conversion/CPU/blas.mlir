// f32 matrix products compiled to nnc_sgemm calls (libnnc_blas.so) and run:
// transposes folded into BLAS flags (rhs, lhs, a transposed product, a
// batch), dynamic batch and inner dimensions, and the strided layouts of the
// runtime (a transposed view, a column-major result, a non-unit column
// stride that takes the loop). Expected numbers worked out by hand (the
// first matches matmul.mlir's @mm2 with w stored transposed).
// REQUIRES: mlir-cpu-runner
// RUN: nn-opt %s -nnc-cpu-pipeline | FileCheck %s --check-prefix=IR
// RUN: nn-opt %s -nnc-cpu-pipeline | %mlir_cpu_runner | FileCheck %s
// IR-COUNT-5: llvm.call @nnc_sgemm
// IR-NOT: llvm.call @nnc_sgemm

func.func private @printMemrefF32(memref<*xf32>)

// x @ w^T with w stored [out, in]: matmul_transpose_b.
func.func @fc(%x: tensor<?x3xf32>, %w: tensor<2x3xf32>) -> tensor<?x2xf32> {
  %t = nn.transpose %w perm = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %y = nn.matmul %x, %t : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// x^T @ g, the weight gradient: matmul_transpose_a, dynamic inner dimension.
func.func @ta(%x: tensor<?x3xf32>, %g: tensor<?x2xf32>) -> tensor<3x2xf32> {
  %t = nn.transpose %x perm = [1, 0] : tensor<?x3xf32> -> tensor<3x?xf32>
  %y = nn.matmul %t, %g : tensor<3x?xf32>, tensor<?x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// (x^T @ g)^T = g^T @ x: one matmul_transpose_a, no transpose left.
func.func @tp(%x: tensor<?x3xf32>, %g: tensor<?x2xf32>) -> tensor<2x3xf32> {
  %t = nn.transpose %x perm = [1, 0] : tensor<?x3xf32> -> tensor<3x?xf32>
  %y = nn.matmul %t, %g : tensor<3x?xf32>, tensor<?x2xf32> -> tensor<3x2xf32>
  %r = nn.transpose %y perm = [1, 0] : tensor<3x2xf32> -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// a @ b^T per batch, dynamic batch: batch_matmul_transpose_b.
func.func @bt(%a: tensor<?x2x3xf32>, %b: tensor<?x2x3xf32>) -> tensor<?x2x2xf32> {
  %t = nn.transpose %b perm = [0, 2, 1] : tensor<?x2x3xf32> -> tensor<?x3x2xf32>
  %y = nn.matmul %a, %t : tensor<?x2x3xf32>, tensor<?x3x2xf32> -> tensor<?x2x2xf32>
  return %y : tensor<?x2x2xf32>
}

// On buffers: A is every other column of a 2x6 buffer (column stride 2, the
// loop), B a transposed view (column-major), C a column-major view of the
// result (computed as C^T = B^T A^T). C = A B^T for the 2x3 buffer B.
func.func @views(%abuf: memref<2x6xf32>, %bbuf: memref<2x3xf32>) -> memref<2x2xf32> {
  %a = memref.subview %abuf[0, 0] [2, 3] [1, 2] : memref<2x6xf32> to memref<2x3xf32, strided<[6, 2]>>
  %b = memref.transpose %bbuf (i, j) -> (j, i) : memref<2x3xf32> to memref<3x2xf32, strided<[1, 3]>>
  %r = memref.alloc() : memref<2x2xf32>
  %c = memref.transpose %r (i, j) -> (j, i) : memref<2x2xf32> to memref<2x2xf32, strided<[1, 2]>>
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%c : memref<2x2xf32, strided<[1, 2]>>)
  linalg.matmul ins(%a, %b : memref<2x3xf32, strided<[6, 2]>>, memref<3x2xf32, strided<[1, 3]>>)
                outs(%c : memref<2x2xf32, strided<[1, 2]>>)
  // The product is in %c; %r holds its transpose.
  return %r : memref<2x2xf32>
}

func.func @print(%t: tensor<*xf32>) {
  %m = bufferization.to_memref %t : memref<*xf32>
  call @printMemrefF32(%m) : (memref<*xf32>) -> ()
  return
}

func.func @main() {
  %x0 = arith.constant dense<[[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0], [0.0, -2.0, 1.0], [2.0, 1.0, -1.0]]> : tensor<4x3xf32>
  %w = arith.constant dense<[[0.5, 0.25, -0.5], [-1.0, 0.75, 1.5]]> : tensor<2x3xf32>
  %g0 = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]]> : tensor<4x2xf32>
  %x = tensor.cast %x0 : tensor<4x3xf32> to tensor<?x3xf32>
  %g = tensor.cast %g0 : tensor<4x2xf32> to tensor<?x2xf32>

  %y1 = call @fc(%x, %w) : (tensor<?x3xf32>, tensor<2x3xf32>) -> tensor<?x2xf32>
  %u1 = tensor.cast %y1 : tensor<?x2xf32> to tensor<*xf32>
  // CHECK: sizes = [4, 2]
  // CHECK{LITERAL}: [[-0.5, 5],
  // CHECK-NEXT{LITERAL}: [-1.375, 4.375],
  // CHECK-NEXT{LITERAL}: [-1, 0],
  // CHECK-NEXT{LITERAL}: [1.75, -2.75]]
  call @print(%u1) : (tensor<*xf32>) -> ()

  %y2 = call @ta(%x, %g) : (tensor<?x3xf32>, tensor<?x2xf32>) -> tensor<3x2xf32>
  %u2 = tensor.cast %y2 : tensor<3x2xf32> to tensor<*xf32>
  // CHECK: sizes = [3, 2]
  // CHECK{LITERAL}: [[5, -3],
  // CHECK-NEXT{LITERAL}: [2, -2.5],
  // CHECK-NEXT{LITERAL}: [2, 4]]
  call @print(%u2) : (tensor<*xf32>) -> ()

  %y3 = call @tp(%x, %g) : (tensor<?x3xf32>, tensor<?x2xf32>) -> tensor<2x3xf32>
  %u3 = tensor.cast %y3 : tensor<2x3xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 3]
  // CHECK{LITERAL}: [[5, 2, 2],
  // CHECK-NEXT{LITERAL}: [-3, -2.5, 4]]
  call @print(%u3) : (tensor<*xf32>) -> ()

  %a0 = arith.constant dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[-1.0, 0.0, 1.0], [2.0, -2.0, 0.5]]]> : tensor<2x2x3xf32>
  %b0 = arith.constant dense<[[[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], [[2.0, 0.5, 1.0], [-1.0, 0.5, 3.0]]]> : tensor<2x2x3xf32>
  %a = tensor.cast %a0 : tensor<2x2x3xf32> to tensor<?x2x3xf32>
  %b = tensor.cast %b0 : tensor<2x2x3xf32> to tensor<?x2x3xf32>
  %y4 = call @bt(%a, %b) : (tensor<?x2x3xf32>, tensor<?x2x3xf32>) -> tensor<?x2x2xf32>
  %u4 = tensor.cast %y4 : tensor<?x2x2xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 2, 2]
  // CHECK{LITERAL}: [[[4, 5],
  // CHECK-NEXT{LITERAL}: [10, 11]],
  // CHECK-NEXT{LITERAL}: [[-1, 4],
  // CHECK-NEXT{LITERAL}: [3.5, -1.5]]]
  call @print(%u4) : (tensor<*xf32>) -> ()

  // Columns 0, 2, 4 hold A = [[1, 2, 3], [4, 5, 6]]; the others are junk.
  %at = arith.constant dense<[[1.0, 99.0, 2.0, 99.0, 3.0, 99.0], [4.0, 99.0, 5.0, 99.0, 6.0, 99.0]]> : tensor<2x6xf32>
  %bt = arith.constant dense<[[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]]> : tensor<2x3xf32>
  %abuf = bufferization.to_memref %at : memref<2x6xf32>
  %bbuf = bufferization.to_memref %bt : memref<2x3xf32>
  %r = call @views(%abuf, %bbuf) : (memref<2x6xf32>, memref<2x3xf32>) -> memref<2x2xf32>
  %u5 = memref.cast %r : memref<2x2xf32> to memref<*xf32>
  // A B^T = [[-2, 5.5], [-2, 16]], stored transposed.
  // CHECK: sizes = [2, 2]
  // CHECK{LITERAL}: [[-2, -2],
  // CHECK-NEXT{LITERAL}: [5.5, 16]]
  call @printMemrefF32(%u5) : (memref<*xf32>) -> ()
  return
}
