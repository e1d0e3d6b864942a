// nnc-cpu-pipeline takes func + nn (dynamic shapes) to the LLVM dialect only:
// elementwise chains and their reductions fuse into one loop nest with one
// buffer, and erf, tanh and log1p become libm calls (log1p exactly, not
// log(1 + x)).
// RUN: nn-opt %s -nnc-cpu-pipeline | FileCheck %s
// RUN: nn-opt %s -nnc-cpu-pipeline | FileCheck %s --check-prefix=ONLY
// RUN: nn-opt %s -nnc-cpu-pipeline | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR

// No op of another dialect is left.
// ONLY-NOT: {{[ =](nn|linalg|tensor|memref|bufferization|affine|scf|cf|arith|math|func|builtin)\.}}

// CHECK-DAG: llvm.func @malloc(i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @log1pf(f32) -> f32
// CHECK-DAG: llvm.func @tanhf(f32) -> f32
// CHECK-DAG: llvm.func @erff(f32) -> f32

// One buffer and one loop nest for the five ops.
// CHECK-LABEL: llvm.func @chain(
// CHECK: llvm.call @malloc
// CHECK-NOT: llvm.call @malloc
// CHECK: llvm.fadd
// CHECK-NEXT: llvm.call @erff
// CHECK-NEXT: llvm.call @tanhf
// CHECK-NEXT: llvm.call @log1pf
// CHECK-NEXT: llvm.intr.exp
// CHECK: llvm.return
func.func @chain(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = nn.add %a, %b : tensor<?x4xf32>
  %1 = nn.erf %0 : tensor<?x4xf32>
  %2 = nn.tanh %1 : tensor<?x4xf32>
  %3 = nn.log1p %2 : tensor<?x4xf32>
  %4 = nn.exp %3 : tensor<?x4xf32>
  return %4 : tensor<?x4xf32>
}

// The squared error fuses into its sum: one scalar buffer, no temporary.
// CHECK-LABEL: llvm.func @loss(
// CHECK: llvm.call @malloc
// CHECK-NOT: llvm.call @malloc
// CHECK: llvm.fsub
// CHECK-NEXT: llvm.fmul
// CHECK-NEXT: llvm.fadd
// CHECK: llvm.return
func.func @loss(%x: tensor<?x3xf32>, %t: tensor<?x3xf32>) -> tensor<f32> {
  %d = nn.sub %x, %t : tensor<?x3xf32>
  %sq = nn.mul %d, %d : tensor<?x3xf32>
  %s = nn.reduce_sum %sq dims = [0, 1] : tensor<?x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// Integer powers get a software implementation.
// CHECK-LABEL: llvm.func @ipow(
// CHECK: llvm.call @__mlir_math_ipowi_i64
func.func @ipow(%a: tensor<4xi64>) -> tensor<4xi64> {
  %0 = nn.pow %a, %a : tensor<4xi64>
  return %0 : tensor<4xi64>
}

// LLVMIR: define { ptr, ptr, i64, [2 x i64], [2 x i64] } @chain(
// LLVMIR: define { ptr, ptr, i64 } @loss(
