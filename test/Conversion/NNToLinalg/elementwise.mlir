// convert-nn-to-linalg on the elementwise ops: one linalg.generic each, with
// identity maps, a tensor.empty destination sized by tensor.dim, and the
// scalar arith/math op as body.
// RUN: nn-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @add_dynamic(
// CHECK-SAME: %[[A:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<?x4xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[D:.*]] = tensor.dim %[[A]], %[[C0]] : tensor<?x4xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x4xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x4xf32>, tensor<?x4xf32>) outs(%[[E]] : tensor<?x4xf32>)
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: return %[[R]]
func.func @add_dynamic(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = nn.add %a, %b : tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// A static shape needs no tensor.dim.
// CHECK-LABEL: func.func @binary_float(
// CHECK-NOT: tensor.dim
// CHECK: tensor.empty() : tensor<2x3xf32>
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.divf
// CHECK: math.powf
// CHECK: arith.maximumf
// CHECK: arith.minimumf
func.func @binary_float(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.sub %a, %b : tensor<2x3xf32>
  %1 = nn.mul %0, %b : tensor<2x3xf32>
  %2 = nn.div %1, %b : tensor<2x3xf32>
  %3 = nn.pow %2, %b : tensor<2x3xf32>
  %4 = nn.max %3, %a : tensor<2x3xf32>
  %5 = nn.min %4, %a : tensor<2x3xf32>
  return %5 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @unary_float(
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: math.log
// CHECK: math.sqrt
// CHECK: math.tanh
// CHECK: math.absf
// CHECK: math.log1p
// CHECK: math.erf
func.func @unary_float(%x: tensor<?xf32>) -> tensor<?xf32> {
  %0 = nn.neg %x : tensor<?xf32>
  %1 = nn.exp %0 : tensor<?xf32>
  %2 = nn.log %1 : tensor<?xf32>
  %3 = nn.sqrt %2 : tensor<?xf32>
  %4 = nn.tanh %3 : tensor<?xf32>
  %5 = nn.abs %4 : tensor<?xf32>
  %6 = nn.log1p %5 : tensor<?xf32>
  %7 = nn.erf %6 : tensor<?xf32>
  return %7 : tensor<?xf32>
}

// -----

// Math functions of half-precision floats run in f32; arithmetic does not.
// CHECK-LABEL: func.func @half(
// CHECK: ^bb0(%[[X:.*]]: f16, %{{.*}}: f16):
// CHECK: %[[W:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK: %[[E:.*]] = math.erf %[[W]] : f32
// CHECK: %[[N:.*]] = arith.truncf %[[E]] : f32 to f16
// CHECK: linalg.yield %[[N]] : f16
// CHECK: ^bb0(%[[A:.*]]: bf16, %[[B:.*]]: bf16, %{{.*}}: bf16):
// CHECK: %[[WA:.*]] = arith.extf %[[A]] : bf16 to f32
// CHECK: %[[WB:.*]] = arith.extf %[[B]] : bf16 to f32
// CHECK: %[[P:.*]] = math.powf %[[WA]], %[[WB]] : f32
// CHECK: arith.truncf %[[P]] : f32 to bf16
// CHECK: ^bb0(%[[C:.*]]: bf16, %[[D:.*]]: bf16, %{{.*}}: bf16):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[C]], %[[D]] : bf16
// CHECK-NEXT: linalg.yield %[[S]] : bf16
func.func @half(%x: tensor<4xf16>, %b: tensor<4xbf16>) -> (tensor<4xf16>, tensor<4xbf16>) {
  %0 = nn.erf %x : tensor<4xf16>
  %1 = nn.pow %b, %b : tensor<4xbf16>
  %2 = nn.add %1, %b : tensor<4xbf16>
  return %0, %2 : tensor<4xf16>, tensor<4xbf16>
}

// -----

// CHECK-LABEL: func.func @integer(
// CHECK: arith.addi
// CHECK: arith.subi
// CHECK: arith.muli
// CHECK: arith.divsi
// CHECK: math.ipowi
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: %[[Z:.*]] = arith.constant 0 : i64
// CHECK: arith.subi %[[Z]], %{{.*}} : i64
// CHECK: math.absi
func.func @integer(%a: tensor<4xi64>, %b: tensor<4xi64>) -> tensor<4xi64> {
  %0 = nn.add %a, %b : tensor<4xi64>
  %1 = nn.sub %0, %b : tensor<4xi64>
  %2 = nn.mul %1, %b : tensor<4xi64>
  %3 = nn.div %2, %b : tensor<4xi64>
  %4 = nn.pow %3, %b : tensor<4xi64>
  %5 = nn.max %4, %a : tensor<4xi64>
  %6 = nn.min %5, %a : tensor<4xi64>
  %7 = nn.neg %6 : tensor<4xi64>
  %8 = nn.abs %7 : tensor<4xi64>
  return %8 : tensor<4xi64>
}

// -----

// Booleans are unsigned.
// CHECK-LABEL: func.func @bool(
// CHECK: arith.maxui
// CHECK: arith.cmpi ult
func.func @bool(%a: tensor<4xi1>, %b: tensor<4xi1>) -> tensor<4xi1> {
  %0 = nn.max %a, %b : tensor<4xi1>
  %1 = nn.cmp lt, %0, %b : tensor<4xi1> -> tensor<4xi1>
  return %1 : tensor<4xi1>
}

// -----

// Ordered float predicates, except `ne` (NaN != NaN); signed integers.
// CHECK-LABEL: func.func @cmp(
// CHECK: ^bb0(%{{.*}}: f32, %{{.*}}: f32, %{{.*}}: i1):
// CHECK: arith.cmpf olt
// CHECK: arith.cmpf ole
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oge
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpf une
// CHECK: arith.cmpi slt
// CHECK: arith.cmpi sge
// CHECK: arith.cmpi ne
func.func @cmp(%a: tensor<?xf32>, %b: tensor<?xf32>, %i: tensor<?xi32>)
    -> (tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>,
        tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>) {
  %0 = nn.cmp lt, %a, %b : tensor<?xf32> -> tensor<?xi1>
  %1 = nn.cmp le, %a, %b : tensor<?xf32> -> tensor<?xi1>
  %2 = nn.cmp gt, %a, %b : tensor<?xf32> -> tensor<?xi1>
  %3 = nn.cmp ge, %a, %b : tensor<?xf32> -> tensor<?xi1>
  %4 = nn.cmp eq, %a, %b : tensor<?xf32> -> tensor<?xi1>
  %5 = nn.cmp ne, %a, %b : tensor<?xf32> -> tensor<?xi1>
  %6 = nn.cmp lt, %i, %i : tensor<?xi32> -> tensor<?xi1>
  %7 = nn.cmp ge, %i, %i : tensor<?xi32> -> tensor<?xi1>
  %8 = nn.cmp ne, %i, %i : tensor<?xi32> -> tensor<?xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<?xi1>, tensor<?xi1>,
      tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>, tensor<?xi1>,
      tensor<?xi1>, tensor<?xi1>
}

// -----

// CHECK-LABEL: func.func @select(
// CHECK-SAME: %[[M:.*]]: tensor<?x10xi1>, %[[X:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?x10xf32>)
// CHECK: tensor.dim %[[M]]
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[M]], %[[X]], %[[Y]] : tensor<?x10xi1>, tensor<?x10xf32>, tensor<?x10xf32>)
// CHECK: ^bb0(%[[C:.*]]: i1, %[[T:.*]]: f32, %[[F:.*]]: f32, %{{.*}}: f32):
// CHECK: arith.select %[[C]], %[[T]], %[[F]] : f32
func.func @select(%m: tensor<?x10xi1>, %x: tensor<?x10xf32>, %y: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %r = nn.select %m, %x, %y : tensor<?x10xi1>, tensor<?x10xf32>
  return %r : tensor<?x10xf32>
}

// -----

// CHECK-LABEL: func.func @casts(
// CHECK-SAME: %[[I:[a-z0-9]+]]: tensor<?xi64>
// CHECK: arith.sitofp %{{.*}} : i64 to f32
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.extsi %{{.*}} : i32 to i64
// CHECK: arith.trunci %{{.*}} : i64 to i32
// CHECK: arith.uitofp %{{.*}} : i1 to f32
// CHECK: arith.extui %{{.*}} : i1 to i64
// CHECK: %[[FZ:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: arith.cmpf une, %{{.*}}, %[[FZ]] : f32
// CHECK: %[[IZ:.*]] = arith.constant 0 : i64
// CHECK: arith.cmpi ne, %{{.*}}, %[[IZ]] : i64
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: arith.truncf %[[W]] : f32 to bf16
// A cast to the same type is no op.
// CHECK: return {{.*}}, %[[I]] : tensor<?xf32>
func.func @casts(%i: tensor<?xi64>, %f: tensor<?xf32>, %b: tensor<?xi1>)
    -> (tensor<?xf32>, tensor<?xi32>, tensor<?xi64>, tensor<?xi32>, tensor<?xf32>,
        tensor<?xi64>, tensor<?xi1>, tensor<?xi1>, tensor<?xf64>, tensor<?xf16>,
        tensor<?xbf16>, tensor<?xi64>) {
  %0 = nn.cast %i : tensor<?xi64> -> tensor<?xf32>
  %1 = nn.cast %f : tensor<?xf32> -> tensor<?xi32>
  %2 = nn.cast %1 : tensor<?xi32> -> tensor<?xi64>
  %3 = nn.cast %i : tensor<?xi64> -> tensor<?xi32>
  %4 = nn.cast %b : tensor<?xi1> -> tensor<?xf32>
  %5 = nn.cast %b : tensor<?xi1> -> tensor<?xi64>
  %6 = nn.cast %f : tensor<?xf32> -> tensor<?xi1>
  %7 = nn.cast %i : tensor<?xi64> -> tensor<?xi1>
  %8 = nn.cast %f : tensor<?xf32> -> tensor<?xf64>
  %9 = nn.cast %f : tensor<?xf32> -> tensor<?xf16>
  %10 = nn.cast %9 : tensor<?xf16> -> tensor<?xbf16>
  %11 = nn.cast %i : tensor<?xi64> -> tensor<?xi64>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11 : tensor<?xf32>,
      tensor<?xi32>, tensor<?xi64>, tensor<?xi32>, tensor<?xf32>, tensor<?xi64>,
      tensor<?xi1>, tensor<?xi1>, tensor<?xf64>, tensor<?xf16>, tensor<?xbf16>,
      tensor<?xi64>
}
