// RUN: nn-opt %s -nnc-fold-matmul-transpose -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @rhs
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul_transpose_b ins(%arg0, %arg1 : tensor<?x3xf32>, tensor<2x3xf32>)
func.func @rhs(%x: tensor<?x3xf32>, %w: tensor<2x3xf32>, %init: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%w : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  %y = linalg.matmul ins(%x, %t : tensor<?x3xf32>, tensor<3x2xf32>) outs(%init : tensor<?x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// The product's transpose swaps the operands: (x^T g)^T = g^T x.
// CHECK-LABEL: func.func @product
// CHECK-NOT: linalg.transpose
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: linalg.matmul_transpose_a ins(%arg1, %arg0 : tensor<?x2xf32>, tensor<?x3xf32>) outs(%[[F]] : tensor<2x3xf32>)
func.func @product(%x: tensor<?x3xf32>, %g: tensor<?x2xf32>) -> tensor<2x3xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x3xf32>
  %e = tensor.empty(%n) : tensor<3x?xf32>
  %t = linalg.transpose ins(%x : tensor<?x3xf32>) outs(%e : tensor<3x?xf32>) permutation = [1, 0]
  %z = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e2 : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = linalg.matmul ins(%t, %g : tensor<3x?xf32>, tensor<?x2xf32>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
  %e3 = tensor.empty() : tensor<2x3xf32>
  %r = linalg.transpose ins(%y : tensor<3x2xf32>) outs(%e3 : tensor<2x3xf32>) permutation = [1, 0]
  return %r : tensor<2x3xf32>
}

// -----

// A transpose of a transpose is its source; batch_matmul folds [0, 2, 1].
// CHECK-LABEL: func.func @batch
// CHECK-NOT: linalg.transpose
// CHECK: linalg.batch_matmul_transpose_a ins(%arg0, %arg1 : tensor<2x3x4xf32>, tensor<2x3x5xf32>)
func.func @batch(%a: tensor<2x3x4xf32>, %b: tensor<2x3x5xf32>, %init: tensor<2x4x5xf32>) -> tensor<2x4x5xf32> {
  %e = tensor.empty() : tensor<2x4x3xf32>
  %t = linalg.transpose ins(%a : tensor<2x3x4xf32>) outs(%e : tensor<2x4x3xf32>) permutation = [0, 2, 1]
  %e2 = tensor.empty() : tensor<2x3x5xf32>
  %bt = linalg.transpose ins(%b : tensor<2x3x5xf32>) outs(%e2 : tensor<2x3x5xf32>) permutation = [0, 1, 2]
  %y = linalg.batch_matmul ins(%t, %bt : tensor<2x4x3xf32>, tensor<2x3x5xf32>) outs(%init : tensor<2x4x5xf32>) -> tensor<2x4x5xf32>
  return %y : tensor<2x4x5xf32>
}
