// convert-nn-to-linalg on nn.matmul: linalg.matmul / linalg.batch_matmul into
// a zero-filled destination; batch dimensions beyond one are collapsed.
// RUN: nn-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// M from the lhs, N static.
// CHECK-LABEL: func.func @rank2(
// CHECK-SAME: %[[X:.*]]: tensor<?x784xf32>, %[[W:.*]]: tensor<784x256xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[M:.*]] = tensor.dim %[[X]], %[[C0]]
// CHECK: %[[E:.*]] = tensor.empty(%[[M]]) : tensor<?x256xf32>
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<?x256xf32>)
// CHECK: %[[R:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<?x784xf32>, tensor<784x256xf32>) outs(%[[F]] : tensor<?x256xf32>)
// CHECK: return %[[R]]
func.func @rank2(%x: tensor<?x784xf32>, %w: tensor<784x256xf32>) -> tensor<?x256xf32> {
  %y = nn.matmul %x, %w : tensor<?x784xf32>, tensor<784x256xf32> -> tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}

// -----

// N from the rhs; the result's static sizes win over dynamic operand sizes.
// CHECK-LABEL: func.func @rank2_inner_dynamic(
// CHECK-NOT: tensor.dim
// CHECK: tensor.empty() : tensor<3x2xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<3x?xf32>, tensor<?x2xf32>) outs(%{{.*}} : tensor<3x2xf32>)
func.func @rank2_inner_dynamic(%a: tensor<3x?xf32>, %b: tensor<?x2xf32>) -> tensor<3x2xf32> {
  %y = nn.matmul %a, %b : tensor<3x?xf32>, tensor<?x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func.func @rank2_n_dynamic(
// CHECK-SAME: %[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<3x?xf32>)
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[N:.*]] = tensor.dim %[[B]], %[[C1]]
// CHECK: tensor.empty(%[[N]]) : tensor<4x?xf32>
func.func @rank2_n_dynamic(%a: tensor<4x3xf32>, %b: tensor<3x?xf32>) -> tensor<4x?xf32> {
  %y = nn.matmul %a, %b : tensor<4x3xf32>, tensor<3x?xf32> -> tensor<4x?xf32>
  return %y : tensor<4x?xf32>
}

// -----

// CHECK-LABEL: func.func @batched(
// CHECK-SAME: %[[A:.*]]: tensor<?x2x3xf32>, %[[B:.*]]: tensor<?x3x5xf32>)
// CHECK: %[[BATCH:.*]] = tensor.dim %[[A]], %{{.*}}
// CHECK: %[[E:.*]] = tensor.empty(%[[BATCH]]) : tensor<?x2x5xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<?x2x5xf32>)
// CHECK: linalg.batch_matmul ins(%[[A]], %[[B]] : tensor<?x2x3xf32>, tensor<?x3x5xf32>) outs(%[[F]] : tensor<?x2x5xf32>)
func.func @batched(%a: tensor<?x2x3xf32>, %b: tensor<?x3x5xf32>) -> tensor<?x2x5xf32> {
  %y = nn.matmul %a, %b : tensor<?x2x3xf32>, tensor<?x3x5xf32> -> tensor<?x2x5xf32>
  return %y : tensor<?x2x5xf32>
}

// -----

// CHECK-LABEL: func.func @rank4(
// CHECK-SAME: %[[A:.*]]: tensor<2x?x2x3xf32>, %[[B:.*]]: tensor<2x?x3x1xf32>)
// CHECK: %[[F:.*]] = linalg.fill
// CHECK: %[[CA:.*]] = tensor.collapse_shape %[[A]] {{\[}}[0, 1], [2], [3]] : tensor<2x?x2x3xf32> into tensor<?x2x3xf32>
// CHECK: %[[CB:.*]] = tensor.collapse_shape %[[B]] {{\[}}[0, 1], [2], [3]] : tensor<2x?x3x1xf32> into tensor<?x3x1xf32>
// CHECK: %[[CF:.*]] = tensor.collapse_shape %[[F]] {{\[}}[0, 1], [2], [3]] : tensor<2x?x2x1xf32> into tensor<?x2x1xf32>
// CHECK: %[[R:.*]] = linalg.batch_matmul ins(%[[CA]], %[[CB]] : {{.*}}) outs(%[[CF]] : tensor<?x2x1xf32>)
// CHECK: %[[D:.*]] = tensor.dim %[[F]], %{{.*}} : tensor<2x?x2x1xf32>
// CHECK: tensor.expand_shape %[[R]] {{\[}}[0, 1], [2], [3]] output_shape [2, %[[D]], 2, 1] : tensor<?x2x1xf32> into tensor<2x?x2x1xf32>
func.func @rank4(%a: tensor<2x?x2x3xf32>, %b: tensor<2x?x3x1xf32>) -> tensor<2x?x2x1xf32> {
  %y = nn.matmul %a, %b : tensor<2x?x2x3xf32>, tensor<2x?x3x1xf32> -> tensor<2x?x2x1xf32>
  return %y : tensor<2x?x2x1xf32>
}
