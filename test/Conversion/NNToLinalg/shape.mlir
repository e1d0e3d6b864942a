// convert-nn-to-linalg on the shape and creation ops: broadcast, reshape,
// transpose, one_hot and fill.
// RUN: nn-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// Input dimension i reads result dimension i + (rank difference); the
// dynamic sizes come from the `like` operand.
// CHECK-DAG: #[[COLS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @broadcast_bias(
// CHECK-SAME: %[[B:.*]]: tensor<256xf32>, %[[LIKE:.*]]: tensor<?x256xf32>)
// CHECK: %[[D:.*]] = tensor.dim %[[LIKE]], %{{.*}}
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x256xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[COLS]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[B]] : tensor<256xf32>) outs(%[[E]] : tensor<?x256xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: linalg.yield %[[IN]] : f32
// CHECK: return %[[R]]
func.func @broadcast_bias(%b: tensor<256xf32>, %like: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %r = nn.broadcast %b like %like : tensor<?x256xf32> : tensor<256xf32> -> tensor<?x256xf32>
  return %r : tensor<?x256xf32>
}

// -----

// A static size-1 dimension is collapsed away first.
// CHECK-DAG: #[[ROWS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @broadcast_column(
// CHECK-SAME: %[[C:.*]]: tensor<?x1xf32>
// CHECK: %[[V:.*]] = tensor.collapse_shape %[[C]] {{\[}}[0, 1]] : tensor<?x1xf32> into tensor<?xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ROWS]], #{{.*}}]
// CHECK-SAME: ins(%[[V]] : tensor<?xf32>)
func.func @broadcast_column(%c: tensor<?x1xf32>, %like: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %r = nn.broadcast %c like %like : tensor<?x10xf32> : tensor<?x1xf32> -> tensor<?x10xf32>
  return %r : tensor<?x10xf32>
}

// -----

// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1, d2) -> ()>
// CHECK-LABEL: func.func @broadcast_ones(
// CHECK: %[[V:.*]] = tensor.collapse_shape %{{.*}} [] : tensor<1x1xf32> into tensor<f32>
// CHECK: tensor.empty() : tensor<2x3x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[SCALAR]], #{{.*}}]
// CHECK-SAME: ins(%[[V]] : tensor<f32>)
func.func @broadcast_ones(%s: tensor<1x1xf32>) -> tensor<2x3x4xf32> {
  %r = nn.broadcast %s : tensor<1x1xf32> -> tensor<2x3x4xf32>
  return %r : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast_same(
// CHECK-SAME: %[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @broadcast_same(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = nn.broadcast %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// Grouped dimensions: one collapse or one expand, dynamic sizes included.
// CHECK-LABEL: func.func @reshape_grouped(
// CHECK-SAME: %[[A:.*]]: tensor<?x28x28xf32>, %[[B:.*]]: tensor<?x784xf32>, %[[G:.*]]: tensor<1x2xf32>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[A]] {{\[}}[0], [1, 2]] : tensor<?x28x28xf32> into tensor<?x784xf32>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = tensor.dim %[[B]], %[[C0]]
// CHECK: %[[U:.*]] = tensor.expand_shape %[[B]] {{\[}}[0], [1, 2]] output_shape [%[[N]], 28, 28] : tensor<?x784xf32> into tensor<?x28x28xf32>
// CHECK: %[[V:.*]] = tensor.collapse_shape %[[G]] {{\[}}[0, 1]] : tensor<1x2xf32> into tensor<2xf32>
// CHECK: return %[[F]], %[[U]], %[[V]]
func.func @reshape_grouped(%a: tensor<?x28x28xf32>, %b: tensor<?x784xf32>, %g: tensor<1x2xf32>)
    -> (tensor<?x784xf32>, tensor<?x28x28xf32>, tensor<2xf32>) {
  %0 = nn.reshape %a : tensor<?x28x28xf32> -> tensor<?x784xf32>
  %1 = nn.reshape %b : tensor<?x784xf32> -> tensor<?x28x28xf32>
  %2 = nn.reshape %g : tensor<1x2xf32> -> tensor<2xf32>
  return %0, %1, %2 : tensor<?x784xf32>, tensor<?x28x28xf32>, tensor<2xf32>
}

// -----

// Scalars: expand from or collapse to rank 0 (a dynamic size is cast to 1).
// CHECK-LABEL: func.func @reshape_scalar(
// CHECK-SAME: %[[S:.*]]: tensor<f32>, %[[O:.*]]: tensor<1x1xf32>, %[[D:.*]]: tensor<?x1xf32>)
// CHECK: %[[E:.*]] = tensor.expand_shape %[[S]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[O]] [] : tensor<1x1xf32> into tensor<f32>
// CHECK: %[[DC:.*]] = tensor.cast %[[D]] : tensor<?x1xf32> to tensor<1x1xf32>
// CHECK: %[[C2:.*]] = tensor.collapse_shape %[[DC]] [] : tensor<1x1xf32> into tensor<f32>
// CHECK: return %[[E]], %[[C]], %[[C2]]
func.func @reshape_scalar(%s: tensor<f32>, %o: tensor<1x1xf32>, %d: tensor<?x1xf32>)
    -> (tensor<1x1xf32>, tensor<f32>, tensor<f32>) {
  %0 = nn.reshape %s : tensor<f32> -> tensor<1x1xf32>
  %1 = nn.reshape %o : tensor<1x1xf32> -> tensor<f32>
  %2 = nn.reshape %d : tensor<?x1xf32> -> tensor<f32>
  return %0, %1, %2 : tensor<1x1xf32>, tensor<f32>, tensor<f32>
}

// -----

// Otherwise through one dimension; the dynamic size is the element count
// divided by the static sizes.
// CHECK-LABEL: func.func @reshape_general(
// CHECK-SAME: %[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<?x4xf32>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[A]] {{\[}}[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
// CHECK: %[[R:.*]] = tensor.expand_shape %[[F]] {{\[}}[0, 1]] output_shape [3, 2] : tensor<6xf32> into tensor<3x2xf32>
// CHECK: %[[G:.*]] = tensor.collapse_shape %[[B]] {{\[}}[0, 1]] : tensor<?x4xf32> into tensor<?xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[G]], %{{.*}} : tensor<?xf32>
// CHECK: %[[C6:.*]] = arith.constant 6 : index
// CHECK: %[[Q:.*]] = arith.divui %[[N]], %[[C6]] : index
// CHECK: %[[S:.*]] = tensor.expand_shape %[[G]] {{\[}}[0, 1, 2]] output_shape [2, %[[Q]], 3] : tensor<?xf32> into tensor<2x?x3xf32>
// CHECK: return %[[R]], %[[S]]
func.func @reshape_general(%a: tensor<2x3xf32>, %b: tensor<?x4xf32>)
    -> (tensor<3x2xf32>, tensor<2x?x3xf32>) {
  %0 = nn.reshape %a : tensor<2x3xf32> -> tensor<3x2xf32>
  %1 = nn.reshape %b : tensor<?x4xf32> -> tensor<2x?x3xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<2x?x3xf32>
}

// -----

// The flat tensor is cast to match: dynamic when the result has a dynamic
// size, static otherwise.
// CHECK-LABEL: func.func @reshape_mixed(
// CHECK-SAME: %[[A:.*]]: tensor<6xf32>, %[[B:.*]]: tensor<?xf32>)
// CHECK: %[[AD:.*]] = tensor.cast %[[A]] : tensor<6xf32> to tensor<?xf32>
// CHECK: tensor.expand_shape %[[AD]] {{\[}}[0, 1]] output_shape [2, %{{.*}}] : tensor<?xf32> into tensor<2x?xf32>
// CHECK: %[[BS:.*]] = tensor.cast %[[B]] : tensor<?xf32> to tensor<6xf32>
// CHECK: tensor.expand_shape %[[BS]] {{\[}}[0, 1]] output_shape [2, 3] : tensor<6xf32> into tensor<2x3xf32>
func.func @reshape_mixed(%a: tensor<6xf32>, %b: tensor<?xf32>)
    -> (tensor<2x?xf32>, tensor<2x3xf32>) {
  %0 = nn.reshape %a : tensor<6xf32> -> tensor<2x?xf32>
  %1 = nn.reshape %b : tensor<?xf32> -> tensor<2x3xf32>
  return %0, %1 : tensor<2x?xf32>, tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @transpose(
// CHECK-SAME: %[[A:.*]]: tensor<2x?x4xf32>)
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[D:.*]] = tensor.dim %[[A]], %[[C1]]
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<4x2x?xf32>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[A]] : tensor<2x?x4xf32>) outs(%[[E]] : tensor<4x2x?xf32>) permutation = [2, 0, 1]
// CHECK: return %[[T]]
func.func @transpose(%a: tensor<2x?x4xf32>) -> tensor<4x2x?xf32> {
  %t = nn.transpose %a perm = [2, 0, 1] : tensor<2x?x4xf32> -> tensor<4x2x?xf32>
  return %t : tensor<4x2x?xf32>
}

// -----

// CHECK-DAG: #[[LABELS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @one_hot(
// CHECK-SAME: %[[Y:.*]]: tensor<?xi32>)
// CHECK: %[[D:.*]] = tensor.dim %[[Y]], %{{.*}}
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x10xf32>
// CHECK: linalg.generic {indexing_maps = [#[[LABELS]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[Y]] : tensor<?xi32>) outs(%[[E]] : tensor<?x10xf32>)
// CHECK: ^bb0(%[[L:.*]]: i32, %{{.*}}: f32):
// CHECK: %[[L64:.*]] = arith.extsi %[[L]] : i32 to i64
// CHECK: %[[I:.*]] = linalg.index 1 : index
// CHECK: %[[C:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK: %[[HIT:.*]] = arith.cmpi eq, %[[L64]], %[[C]] : i64
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[R:.*]] = arith.select %[[HIT]], %[[ONE]], %[[ZERO]] : f32
// CHECK: linalg.yield %[[R]]
func.func @one_hot(%y: tensor<?xi32>) -> tensor<?x10xf32> {
  %h = nn.one_hot %y : tensor<?xi32> -> tensor<?x10xf32>
  return %h : tensor<?x10xf32>
}

// -----

// CHECK-LABEL: func.func @fill(
// CHECK-SAME: %[[LIKE:.*]]: tensor<?x3xf32>)
// CHECK: %[[D:.*]] = tensor.dim %[[LIKE]], %{{.*}}
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x3xf32>
// CHECK: %[[V:.*]] = arith.constant 2.500000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[V]] : f32) outs(%[[E]] : tensor<?x3xf32>)
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<2xi64>
// CHECK: %[[SEVEN:.*]] = arith.constant 7 : i64
// CHECK: %[[I:.*]] = linalg.fill ins(%[[SEVEN]] : i64) outs(%[[E2]] : tensor<2xi64>)
// CHECK: %[[E3:.*]] = tensor.empty() : tensor<2xi1>
// CHECK: %[[TRUE:.*]] = arith.constant true
// CHECK: %[[B:.*]] = linalg.fill ins(%[[TRUE]] : i1) outs(%[[E3]] : tensor<2xi1>)
// CHECK: return %[[F]], %[[I]], %[[B]]
func.func @fill(%like: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<2xi64>, tensor<2xi1>) {
  %f = nn.fill 2.5 like %like : tensor<?x3xf32> -> tensor<?x3xf32>
  %i = nn.fill 7.0 tensor<2xi64>
  %b = nn.fill 1.0 tensor<2xi1>
  return %f, %i, %b : tensor<?x3xf32>, tensor<2xi64>, tensor<2xi1>
}
