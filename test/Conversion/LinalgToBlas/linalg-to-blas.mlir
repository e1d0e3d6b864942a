// RUN: nn-opt %s -nnc-linalg-to-blas -split-input-file | FileCheck %s

// A zero fill of a fresh buffer just before the product becomes beta = 0;
// the transposed operand passes its strides swapped.
// CHECK-LABEL: func.func private @nnc_sgemm(index, index, index, index, index, index, index, index, index, index, index, index, index, index, f32, index, index, index, index, index)
// CHECK-LABEL: func.func @fresh
// CHECK-NOT: linalg.fill
// CHECK: %[[A:.*]], %[[AO:.*]], %[[AS:.*]]:2, %[[AT:.*]]:2 = memref.extract_strided_metadata %arg0
// CHECK: %[[AP:.*]] = memref.extract_aligned_pointer_as_index %arg0
// CHECK: %[[B:.*]], %[[BO:.*]], %[[BS:.*]]:2, %[[BT:.*]]:2 = memref.extract_strided_metadata %arg1
// CHECK: %[[BP:.*]] = memref.extract_aligned_pointer_as_index %arg1
// CHECK: %[[C:.*]], %[[CO:.*]], %[[CS:.*]]:2, %[[CT:.*]]:2 = memref.extract_strided_metadata %[[ALLOC:[a-z0-9_]+]] :
// CHECK: %[[CP:.*]] = memref.extract_aligned_pointer_as_index %[[ALLOC]]
// CHECK: %[[BETA:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: call @nnc_sgemm(%{{.*}}, %[[CS]]#0, %[[CS]]#1, %[[AS]]#1, %[[AP]], %[[AO]], %{{.*}}, %[[AT]]#0, %[[AT]]#1, %[[BP]], %[[BO]], %{{.*}}, %[[BT]]#1, %[[BT]]#0, %[[BETA]], %[[CP]], %[[CO]], %{{.*}}, %[[CT]]#0, %[[CT]]#1)
// CHECK-NOT: linalg.matmul
func.func @fresh(%x: memref<?x3xf32>, %w: memref<2x3xf32>) -> memref<?x2xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x3xf32>
  %y = memref.alloc(%n) : memref<?x2xf32>
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%y : memref<?x2xf32>)
  linalg.matmul_transpose_b ins(%x, %w : memref<?x3xf32>, memref<2x3xf32>) outs(%y : memref<?x2xf32>)
  return %y : memref<?x2xf32>
}

// -----

// An output that is not a fresh buffer accumulates (beta = 1); the fill
// stays. Batched products pass the batch count and strides.
// CHECK-LABEL: func.func @accumulate
// CHECK: linalg.fill
// CHECK: %[[C:.*]], %[[CO:.*]], %[[CS:.*]]:3, %[[CT:.*]]:3 = memref.extract_strided_metadata %arg2
// CHECK: %[[BETA:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: call @nnc_sgemm(%[[CS]]#0, %[[CS]]#1, %[[CS]]#2, %{{.*}}, %[[BETA]], %{{.*}}, %[[CO]], %[[CT]]#0, %[[CT]]#1, %[[CT]]#2)
func.func @accumulate(%a: memref<4x2x3xf32>, %b: memref<4x3x5xf32>, %c: memref<4x2x5xf32>) {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%c : memref<4x2x5xf32>)
  linalg.batch_matmul ins(%a, %b : memref<4x2x3xf32>, memref<4x3x5xf32>) outs(%c : memref<4x2x5xf32>)
  return
}

// -----

// Other element types keep their linalg op.
// CHECK-LABEL: func.func @f64
// CHECK-NOT: nnc_sgemm
// CHECK: linalg.matmul
func.func @f64(%a: memref<2x3xf64>, %b: memref<3x5xf64>, %c: memref<2x5xf64>) {
  linalg.matmul ins(%a, %b : memref<2x3xf64>, memref<3x5xf64>) outs(%c : memref<2x5xf64>)
  return
}
