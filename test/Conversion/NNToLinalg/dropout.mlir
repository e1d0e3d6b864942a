// convert-nn-to-linalg on nn.dropout: an elementwise linalg.generic whose
// body draws Philox-4x32-10 at word (step << 34) + i of the op's stream and
// multiplies x by 1 / (1 - p) or 0 (the numbers are checked by
// test/Conversion/CPU/dropout.mlir).
// RUN: nn-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s
// RUN: nn-opt %s -split-input-file -convert-nn-to-linalg=seed=4294967298 | FileCheck %s --check-prefix=SEED

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME: %[[X:.*]]: tensor<?x5xf32>, %[[T:.*]]: tensor<f64>)
// The step count, read once, becomes the first word index step << 34.
// CHECK: %[[TV:.*]] = tensor.extract %[[T]][] : tensor<f64>
// CHECK: %[[TI:.*]] = arith.fptosi %[[TV]] : f64 to i64
// CHECK: %[[C34:.*]] = arith.constant 34 : i64
// CHECK: %[[BASE:.*]] = arith.shli %[[TI]], %[[C34]] : i64
// CHECK: %[[C5:.*]] = arith.constant 5 : index
// The batch size comes from the input.
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x5xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[DIM]]) : tensor<?x5xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]] : tensor<?x5xf32>) outs(%[[E]] : tensor<?x5xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// The row-major element index i, the word index j = base + i and the
// counter {lo(j/4), hi(j/4), lo(stream), hi(stream)}.
// CHECK: %[[I0:.*]] = linalg.index 0 : index
// CHECK: %[[ROW:.*]] = arith.muli %[[I0]], %[[C5]] : index
// CHECK: %[[I1:.*]] = linalg.index 1 : index
// CHECK: %[[FLAT:.*]] = arith.addi %[[ROW]], %[[I1]] : index
// CHECK: %[[I:.*]] = arith.index_cast %[[FLAT]] : index to i64
// CHECK: %[[J:.*]] = arith.addi %[[BASE]], %[[I]] : i64
// CHECK: %[[BLOCK:.*]] = arith.shrui %[[J]], %{{.*}} : i64
// CHECK: %[[WORD:.*]] = arith.andi %[[J]], %{{.*}} : i64
// CHECK: %[[CTR0:.*]] = arith.trunci %[[BLOCK]] : i64 to i32
// CHECK: %[[STREAM:.*]] = arith.constant 7 : i32
// CHECK: %[[M0:.*]] = arith.constant -766435501 : i32
// CHECK: %[[M1:.*]] = arith.constant -845247145 : i32
// CHECK: arith.mului_extended %[[M0]], %[[CTR0]] : i32
// CHECK: arith.mului_extended %[[M1]], %[[STREAM]] : i32
// CHECK-COUNT-18: arith.mului_extended
// CHECK-NOT: arith.mului_extended
// Keep when the top 24 bits are >= ceil(0.3 * 2^24) = 5033165; x * scale or
// x * 0.
// CHECK: arith.cmpi eq, %[[WORD]]
// CHECK: %[[TOP:.*]] = arith.shrui %{{.*}}, %{{.*}} : i32
// CHECK: %[[THRESHOLD:.*]] = arith.constant 5033165 : i32
// CHECK: %[[KEEP:.*]] = arith.cmpi uge, %[[TOP]], %[[THRESHOLD]] : i32
// CHECK: %[[SCALE:.*]] = arith.constant 1.42857146 : f32
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[M:.*]] = arith.select %[[KEEP]], %[[SCALE]], %[[ZERO]] : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[IN]], %[[M]] : f32
// CHECK: linalg.yield %[[Y]] : f32
// CHECK: return %[[R]]
// The key {lo(seed), hi(seed)} = {2, 1} goes into the first round.
// SEED-LABEL: func.func @dynamic(
// SEED: %[[K0:.*]] = arith.constant 2 : i32
// SEED: %[[K1:.*]] = arith.constant 1 : i32
func.func @dynamic(%x: tensor<?x5xf32>, %t: tensor<f64>) -> tensor<?x5xf32> {
  %y = nn.dropout %x, %t p(0.3) stream 7 : tensor<?x5xf32>, tensor<f64>
  return %y : tensor<?x5xf32>
}

// -----

// An i64 step is used as it is; a large stream fills both high counter
// words; f64 elements get the scale 1 / (1 - p) in f64.
// CHECK-LABEL: func.func @wide(
// CHECK: %[[TV:.*]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK-NOT: arith.fptosi
// CHECK: arith.shli %[[TV]], %{{.*}} : i64
// CHECK: arith.constant 5 : i32
// CHECK: arith.constant 256 : i32
// CHECK: arith.constant 12582912 : i32
// CHECK: arith.constant 4.000000e+00 : f64
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f64
func.func @wide(%x: tensor<8xf64>, %t: tensor<i64>) -> tensor<8xf64> {
  %y = nn.dropout %x, %t p(0.75) stream 1099511627781 : tensor<8xf64>, tensor<i64>
  return %y : tensor<8xf64>
}

// -----

// p = 0 is the identity.
// CHECK-LABEL: func.func @keep_all(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[X]]
func.func @keep_all(%x: tensor<4xf32>, %t: tensor<f64>) -> tensor<4xf32> {
  %y = nn.dropout %x, %t p(0.0) stream 2 : tensor<4xf32>, tensor<f64>
  return %y : tensor<4xf32>
}
