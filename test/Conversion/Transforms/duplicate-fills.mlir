// nnc-duplicate-fills: each user of a shared tensor.empty or zero fill gets
// its own, right before it, so that bufferization never copies a shared
// fill and empty-tensor elimination never hands one destination to two
// users.
// RUN: nn-opt %s -nnc-duplicate-fills | FileCheck %s

// CHECK-LABEL: func.func @shared_fill
func.func @shared_fill(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>, %n: index) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  // The first product gets a fresh empty and fill right before it ...
  // CHECK: %[[E1:.*]] = tensor.empty() : tensor<4x3xf32>
  // CHECK-NEXT: %[[F1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<4x3xf32>)
  // CHECK-NEXT: %[[M1:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8x3xf32>) outs(%[[F1]] : tensor<4x3xf32>)
  %m1 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
  // ... and so does the one inside the loop: the shared fill outside it is
  // gone.
  // CHECK: scf.for
  // CHECK-NEXT: %[[E2:.*]] = tensor.empty() : tensor<4x3xf32>
  // CHECK-NEXT: %[[F2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E2]] : tensor<4x3xf32>)
  // CHECK-NEXT: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8x3xf32>) outs(%[[F2]] : tensor<4x3xf32>)
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %m1) -> tensor<4x3xf32> {
    %m2 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
    scf.yield %m2 : tensor<4x3xf32>
  }
  // CHECK-NOT: linalg.fill
  // CHECK: return
  return %m1, %r : tensor<4x3xf32>, tensor<4x3xf32>
}
