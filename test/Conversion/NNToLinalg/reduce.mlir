// convert-nn-to-linalg on the reductions: a linalg.generic with reduction
// iterators into an identity-filled destination of the kept dimensions, then
// tensor.expand_shape for keepdim.
// RUN: nn-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROWS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @sum_rows(
// CHECK-SAME: %[[X:.*]]: tensor<?x10xf32>)
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %{{.*}}
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?xf32>
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<?xf32>)
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROWS]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]] : tensor<?x10xf32>) outs(%[[F]] : tensor<?xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK: %[[S:.*]] = arith.addf %[[IN]], %[[ACC]] : f32
// CHECK: linalg.yield %[[S]]
// CHECK: return %[[R]]
func.func @sum_rows(%x: tensor<?x10xf32>) -> tensor<?xf32> {
  %s = nn.reduce_sum %x dims = [1] : tensor<?x10xf32> -> tensor<?xf32>
  return %s : tensor<?xf32>
}

// -----

// Everything, to a scalar: the output map has no results.
// CHECK-DAG: #[[NONE:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @sum_all(
// CHECK: %[[E:.*]] = tensor.empty() : tensor<f32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[NONE]]], iterator_types = ["reduction", "reduction"]}
func.func @sum_all(%x: tensor<?x10xf32>) -> tensor<f32> {
  %s = nn.reduce_sum %x dims = [0, 1] : tensor<?x10xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// -----

// keepdim: the reduced dimension joins the group of the next kept one, or
// of the last at the end.
// CHECK-LABEL: func.func @max_keepdim(
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.fill ins(%[[NINF]] : f32)
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: %[[R:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [%{{.*}}, 1] : tensor<?xf32> into tensor<?x1xf32>
// CHECK: return %[[R]]
func.func @max_keepdim(%x: tensor<?x10xf32>) -> tensor<?x1xf32> {
  %m = nn.reduce_max %x dims = [1] {keepdim = true} : tensor<?x10xf32> -> tensor<?x1xf32>
  return %m : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @keepdim_rank3(
// CHECK: iterator_types = ["reduction", "parallel", "reduction"]
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2]] output_shape [1, %{{.*}}, 1] : tensor<?xf32> into tensor<1x?x1xf32>
func.func @keepdim_rank3(%x: tensor<2x?x3xf32>) -> tensor<1x?x1xf32> {
  %s = nn.reduce_sum %x dims = [0, 2] {keepdim = true} : tensor<2x?x3xf32> -> tensor<1x?x1xf32>
  return %s : tensor<1x?x1xf32>
}

// -----

// CHECK-LABEL: func.func @keepdim_all(
// CHECK: tensor.expand_shape %{{.*}} [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
func.func @keepdim_all(%x: tensor<?x10xf32>) -> tensor<1x1xf32> {
  %s = nn.reduce_sum %x dims = [0, 1] {keepdim = true} : tensor<?x10xf32> -> tensor<1x1xf32>
  return %s : tensor<1x1xf32>
}

// -----

// Integers: sum from 0, max from the minimum value.
// CHECK-LABEL: func.func @integers(
// CHECK: arith.addi
// CHECK: %[[MIN:.*]] = arith.constant -9223372036854775808 : i64
// CHECK: linalg.fill ins(%[[MIN]] : i64)
// CHECK: arith.maxsi
func.func @integers(%x: tensor<4x5xi64>) -> (tensor<4xi64>, tensor<5xi64>) {
  %s = nn.reduce_sum %x dims = [1] : tensor<4x5xi64> -> tensor<4xi64>
  %m = nn.reduce_max %x dims = [0] : tensor<4x5xi64> -> tensor<5xi64>
  return %s, %m : tensor<4xi64>, tensor<5xi64>
}

// -----

// argmax: (value, index) accumulators; take the element if it is larger, or
// equal with a smaller index, or NaN (unless the best already is a NaN with
// a smaller index).
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROWS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @argmax(
// CHECK-SAME: %[[X:.*]]: tensor<?x10xf32>)
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[V:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<?xf32>)
// CHECK: %[[I0:.*]] = arith.constant 0 : i64
// CHECK: %[[I:.*]] = linalg.fill ins(%[[I0]] : i64) outs(%{{.*}} : tensor<?xi64>)
// CHECK: %[[R:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ROWS]], #[[ROWS]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]] : tensor<?x10xf32>) outs(%[[V]], %[[I]] : tensor<?xf32>, tensor<?xi64>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[BEST:.*]]: f32, %[[BESTI:.*]]: i64):
// CHECK: %[[IDX:.*]] = linalg.index 1 : index
// CHECK: %[[J:.*]] = arith.index_cast %[[IDX]] : index to i64
// CHECK: %[[EARLIER:.*]] = arith.cmpi slt, %[[J]], %[[BESTI]] : i64
// CHECK: %[[XNAN:.*]] = arith.cmpf uno, %[[IN]], %[[IN]]
// CHECK: %[[BNAN:.*]] = arith.cmpf uno, %[[BEST]], %[[BEST]]
// CHECK: %[[GT:.*]] = arith.cmpf ogt, %[[IN]], %[[BEST]]
// CHECK: %[[EQ:.*]] = arith.cmpf oeq, %[[IN]], %[[BEST]]
// CHECK: %[[TIE:.*]] = arith.andi %[[EQ]], %[[EARLIER]]
// CHECK: %[[NUM0:.*]] = arith.ori %[[GT]], %[[TIE]]
// CHECK: %[[NUM:.*]] = arith.ori %[[XNAN]], %[[NUM0]]
// CHECK: %[[NAN:.*]] = arith.andi %[[XNAN]], %[[EARLIER]]
// CHECK: %[[TAKE:.*]] = arith.select %[[BNAN]], %[[NAN]], %[[NUM]] : i1
// CHECK: %[[NB:.*]] = arith.select %[[TAKE]], %[[IN]], %[[BEST]] : f32
// CHECK: %[[NI:.*]] = arith.select %[[TAKE]], %[[J]], %[[BESTI]] : i64
// CHECK: linalg.yield %[[NB]], %[[NI]] : f32, i64
// CHECK: return %[[R]]#1
func.func @argmax(%x: tensor<?x10xf32>) -> tensor<?xi64> {
  %a = nn.argmax %x dims = [1] : tensor<?x10xf32> -> tensor<?xi64>
  return %a : tensor<?xi64>
}

// -----

// CHECK-LABEL: func.func @argmax_keepdim_int(
// CHECK: iterator_types = ["reduction", "parallel"]
// CHECK: linalg.index 0 : index
// CHECK: arith.cmpi sgt
// CHECK: %[[R:.*]] = tensor.expand_shape %{{.*}}#1 {{\[}}[0, 1]] output_shape [1, 4] : tensor<4xi64> into tensor<1x4xi64>
// CHECK: return %[[R]]
func.func @argmax_keepdim_int(%x: tensor<?x4xi32>) -> tensor<1x4xi64> {
  %a = nn.argmax %x dims = [0] {keepdim = true} : tensor<?x4xi32> -> tensor<1x4xi64>
  return %a : tensor<1x4xi64>
}
