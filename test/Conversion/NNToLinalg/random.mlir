// convert-nn-to-linalg on nn.random: a linalg.generic without inputs whose
// body computes Philox-4x32-10 at the element's own counter (the numbers are
// checked by test/Conversion/CPU/random.mlir).
// RUN: nn-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s
// RUN: nn-opt %s -split-input-file -convert-nn-to-linalg=seed=4294967298 | FileCheck %s --check-prefix=SEED

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @uniform(
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]]], iterator_types = ["parallel", "parallel"]} outs(%[[E]] : tensor<2x3xf32>)
// The row-major element index j and the counter {lo(j/4), hi(j/4), lo(stream), hi(stream)}.
// CHECK: %[[I0:.*]] = linalg.index 0 : index
// CHECK: %[[C3:.*]] = arith.constant 3 : index
// CHECK: %[[ROW:.*]] = arith.muli %[[I0]], %[[C3]] : index
// CHECK: %[[I1:.*]] = linalg.index 1 : index
// CHECK: %[[FLAT:.*]] = arith.addi %[[ROW]], %[[I1]] : index
// CHECK: %[[J:.*]] = arith.index_cast %[[FLAT]] : index to i64
// CHECK: %[[BLOCK:.*]] = arith.shrui %[[J]], %{{.*}} : i64
// CHECK: %[[WORD:.*]] = arith.andi %[[J]], %{{.*}} : i64
// CHECK: %[[CTR0:.*]] = arith.trunci %[[BLOCK]] : i64 to i32
// CHECK: %[[STREAM:.*]] = arith.constant 3 : i32
// The Philox multipliers; then ten rounds of two 32x32->64 products.
// CHECK: %[[M0:.*]] = arith.constant -766435501 : i32
// CHECK: %[[M1:.*]] = arith.constant -845247145 : i32
// CHECK: arith.mului_extended %[[M0]], %[[CTR0]] : i32
// CHECK: arith.mului_extended %[[M1]], %[[STREAM]] : i32
// CHECK-COUNT-18: arith.mului_extended
// CHECK-NOT: arith.mului_extended
// The word of the element, its top 24 bits as a float in [0, 1), scaled to [a, b).
// CHECK: arith.cmpi eq, %[[WORD]]
// CHECK: %[[TOP:.*]] = arith.shrui %{{.*}}, %{{.*}} : i32
// CHECK: %[[F:.*]] = arith.uitofp %[[TOP]] : i32 to f32
// CHECK: %[[TWOM24:.*]] = arith.constant 5.96046448E-8 : f32
// CHECK: %[[U:.*]] = arith.mulf %[[F]], %[[TWOM24]] : f32
// CHECK: %[[LO:.*]] = arith.constant -1.000000e+00 : f32
// CHECK: %[[WIDTH:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: %[[SCALED:.*]] = arith.mulf %[[WIDTH]], %[[U]] : f32
// CHECK: %[[V:.*]] = arith.addf %[[LO]], %[[SCALED]] : f32
// CHECK: %[[HI:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[BELOW:.*]] = arith.cmpf olt, %[[V]], %[[HI]] : f32
// CHECK: %[[NEXT:.*]] = arith.constant 0.99999994 : f32
// CHECK: %[[OUT:.*]] = arith.select %[[BELOW]], %[[V]], %[[NEXT]] : f32
// CHECK: linalg.yield %[[OUT]] : f32
// CHECK: return %[[R]]
// The key {lo(seed), hi(seed)} = {2, 1} goes into the first round; later
// rounds use it plus multiples of the Weyl constants, folded.
// SEED-LABEL: func.func @uniform(
// SEED: %[[K0:.*]] = arith.constant 2 : i32
// SEED: %[[K1:.*]] = arith.constant 1 : i32
// SEED: arith.constant -1640531525 : i32
// SEED: arith.constant -1150833018 : i32
func.func @uniform() -> tensor<2x3xf32> {
  %r = nn.random uniform(-1.0, 1.0) stream 3 : tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// Box-Muller in f64 on the word pair of the element, cos for even elements,
// sin for odd ones.
// CHECK-LABEL: func.func @normal(
// CHECK: linalg.generic
// CHECK-COUNT-20: arith.mului_extended
// CHECK: %[[U1W:.*]] = arith.uitofp %{{.*}} : i32 to f64
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
// CHECK: %[[U1P:.*]] = arith.addf %[[U1W]], %[[ONE]] : f64
// CHECK: %[[TWOM32:.*]] = arith.constant 2.3283064365386963E-10 : f64
// CHECK: %[[U1:.*]] = arith.mulf %[[U1P]], %[[TWOM32]] : f64
// CHECK: %[[U2W:.*]] = arith.uitofp %{{.*}} : i32 to f64
// CHECK: %[[U2:.*]] = arith.mulf %[[U2W]], %{{.*}} : f64
// CHECK: %[[LOG:.*]] = math.log %[[U1]] : f64
// CHECK: %[[R2:.*]] = arith.mulf %{{.*}}, %[[LOG]] : f64
// CHECK: %[[R:.*]] = math.sqrt %[[R2]] : f64
// CHECK: %[[THETA:.*]] = arith.mulf %{{.*}}, %[[U2]] : f64
// CHECK: %[[COS:.*]] = math.cos %[[THETA]] : f64
// CHECK: %[[SIN:.*]] = math.sin %[[THETA]] : f64
// CHECK: %[[TRIG:.*]] = arith.select %{{.*}}, %[[COS]], %[[SIN]] : f64
// CHECK: %[[Z:.*]] = arith.mulf %[[R]], %[[TRIG]] : f64
// CHECK: %[[MEAN:.*]] = arith.constant 2.000000e+00 : f64
// CHECK: %[[STD:.*]] = arith.constant 5.000000e-01 : f64
// CHECK: %[[SZ:.*]] = arith.mulf %[[STD]], %[[Z]] : f64
// CHECK: %[[V:.*]] = arith.addf %[[MEAN]], %[[SZ]] : f64
// CHECK: %[[OUT:.*]] = arith.truncf %[[V]] : f64 to f32
// CHECK: linalg.yield %[[OUT]] : f32
func.func @normal() -> tensor<8xf32> {
  %r = nn.random normal(2.0, 0.5) stream 5 : tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// A range that is empty in f32 fills with a.
// CHECK-LABEL: func.func @degenerate(
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK: %[[A:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: linalg.fill ins(%[[A]] : f32) outs(%[[E]] : tensor<4xf32>)
func.func @degenerate() -> tensor<4xf32> {
  %r = nn.random uniform(1.0, 1.00000000001) stream 0 : tensor<4xf32>
  return %r : tensor<4xf32>
}
