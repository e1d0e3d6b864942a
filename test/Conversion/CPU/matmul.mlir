// nn.matmul compiled and run: rank 2 with a dynamic row count, rank 3 with a
// dynamic batch, rank 4 (batch dimensions collapsed around a batch_matmul)
// and a dynamic inner dimension. Expected numbers:
// Inputs/structured_reference.py.
// REQUIRES: mlir-cpu-runner
// RUN: nn-opt %s -nnc-cpu-pipeline | %mlir_cpu_runner | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>)

func.func @mm2(%x: tensor<?x3xf32>, %w: tensor<3x2xf32>) -> tensor<?x2xf32> {
  %y = nn.matmul %x, %w : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

func.func @bmm(%a: tensor<?x2x3xf32>, %b: tensor<?x3x2xf32>) -> tensor<?x2x2xf32> {
  %y = nn.matmul %a, %b : tensor<?x2x3xf32>, tensor<?x3x2xf32> -> tensor<?x2x2xf32>
  return %y : tensor<?x2x2xf32>
}

func.func @mm4(%a: tensor<2x?x2x3xf32>, %b: tensor<2x?x3x1xf32>) -> tensor<2x?x2x1xf32> {
  %y = nn.matmul %a, %b : tensor<2x?x2x3xf32>, tensor<2x?x3x1xf32> -> tensor<2x?x2x1xf32>
  return %y : tensor<2x?x2x1xf32>
}

// x^T @ g, as in the weight gradient: the inner dimension is dynamic and the
// result static.
func.func @mmT(%xt: tensor<3x?xf32>, %g: tensor<?x2xf32>) -> tensor<3x2xf32> {
  %y = nn.matmul %xt, %g : tensor<3x?xf32>, tensor<?x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

func.func @main() {
  %x0 = arith.constant dense<[[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0], [0.0, -2.0, 1.0], [2.0, 1.0, -1.0]]> : tensor<4x3xf32>
  %w = arith.constant dense<[[0.5, -1.0], [0.25, 0.75], [-0.5, 1.5]]> : tensor<3x2xf32>
  %x = tensor.cast %x0 : tensor<4x3xf32> to tensor<?x3xf32>
  %y2 = call @mm2(%x, %w) : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32>
  %m2 = bufferization.to_memref %y2 : memref<?x2xf32>
  %u2 = memref.cast %m2 : memref<?x2xf32> to memref<*xf32>
  // CHECK: sizes = [4, 2]
  // CHECK{LITERAL}: [[-0.5, 5],
  // CHECK-NEXT{LITERAL}: [-1.375, 4.375],
  // CHECK-NEXT{LITERAL}: [-1, 0],
  // CHECK-NEXT{LITERAL}: [1.75, -2.75]]
  call @printMemrefF32(%u2) : (memref<*xf32>) -> ()

  %a0 = arith.constant dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[-1.0, 0.0, 1.0], [2.0, -2.0, 0.5]]]> : tensor<2x2x3xf32>
  %b0 = arith.constant dense<[[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[2.0, -1.0], [0.5, 0.5], [1.0, 3.0]]]> : tensor<2x3x2xf32>
  %a = tensor.cast %a0 : tensor<2x2x3xf32> to tensor<?x2x3xf32>
  %b = tensor.cast %b0 : tensor<2x3x2xf32> to tensor<?x3x2xf32>
  %y3 = call @bmm(%a, %b) : (tensor<?x2x3xf32>, tensor<?x3x2xf32>) -> tensor<?x2x2xf32>
  %m3 = bufferization.to_memref %y3 : memref<?x2x2xf32>
  %u3 = memref.cast %m3 : memref<?x2x2xf32> to memref<*xf32>
  // CHECK: sizes = [2, 2, 2]
  // CHECK{LITERAL}: [[[4, 5],
  // CHECK-NEXT{LITERAL}: [10, 11]],
  // CHECK-NEXT{LITERAL}: [[-1, 4],
  // CHECK-NEXT{LITERAL}: [3.5, -1.5]]]
  call @printMemrefF32(%u3) : (memref<*xf32>) -> ()

  // Batch (i, j): A3[j] scaled by i + 1, times the first column of B3[j].
  %a4s = arith.constant dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[-1.0, 0.0, 1.0], [2.0, -2.0, 0.5]]],
                               [[[2.0, 4.0, 6.0], [8.0, 10.0, 12.0]], [[-2.0, 0.0, 2.0], [4.0, -4.0, 1.0]]]]> : tensor<2x2x2x3xf32>
  %b4s = arith.constant dense<[[[[1.0], [0.0], [1.0]], [[2.0], [0.5], [1.0]]],
                               [[[1.0], [0.0], [1.0]], [[2.0], [0.5], [1.0]]]]> : tensor<2x2x3x1xf32>
  %a4 = tensor.cast %a4s : tensor<2x2x2x3xf32> to tensor<2x?x2x3xf32>
  %b4 = tensor.cast %b4s : tensor<2x2x3x1xf32> to tensor<2x?x3x1xf32>
  %y4 = call @mm4(%a4, %b4) : (tensor<2x?x2x3xf32>, tensor<2x?x3x1xf32>) -> tensor<2x?x2x1xf32>
  %m4 = bufferization.to_memref %y4 : memref<2x?x2x1xf32>
  %u4 = memref.cast %m4 : memref<2x?x2x1xf32> to memref<*xf32>
  // CHECK: sizes = [2, 2, 2, 1]
  // CHECK{LITERAL}: [[[[4],
  // CHECK-NEXT{LITERAL}: [10]],
  // CHECK-NEXT{LITERAL}: [[-1],
  // CHECK-NEXT{LITERAL}: [3.5]]],
  // CHECK-NEXT{LITERAL}: [[[8],
  // CHECK-NEXT{LITERAL}: [20]],
  // CHECK-NEXT{LITERAL}: [[-2],
  // CHECK-NEXT{LITERAL}: [7]]]]
  call @printMemrefF32(%u4) : (memref<*xf32>) -> ()

  %xt0 = arith.constant dense<[[1.0, -1.0, 0.0, 2.0], [2.0, 0.5, -2.0, 1.0], [3.0, 2.0, 1.0, -1.0]]> : tensor<3x4xf32>
  %g0 = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]]> : tensor<4x2xf32>
  %xt = tensor.cast %xt0 : tensor<3x4xf32> to tensor<3x?xf32>
  %g = tensor.cast %g0 : tensor<4x2xf32> to tensor<?x2xf32>
  %yt = call @mmT(%xt, %g) : (tensor<3x?xf32>, tensor<?x2xf32>) -> tensor<3x2xf32>
  %mt = bufferization.to_memref %yt : memref<3x2xf32>
  %ut = memref.cast %mt : memref<3x2xf32> to memref<*xf32>
  // CHECK: sizes = [3, 2]
  // CHECK{LITERAL}: [[5, -3],
  // CHECK-NEXT{LITERAL}: [2, -2.5],
  // CHECK-NEXT{LITERAL}: [2, 4]]
  call @printMemrefF32(%ut) : (memref<*xf32>) -> ()
  return
}
