// f16 and bf16 compiled and run: arithmetic in the type itself, math
// functions through f32 (each result rounded back). Expected numbers:
// Inputs/elementwise_reference.py.
// REQUIRES: mlir-cpu-runner
// RUN: nn-opt %s -nnc-cpu-pipeline | %mlir_cpu_runner | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>)

func.func @pf(%t: tensor<?xf32>) {
  %m = bufferization.to_memref %t : memref<?xf32>
  %u = memref.cast %m : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @half(%x: tensor<?xf16>, %b: tensor<?xbf16>)
    -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %e = nn.erf %x : tensor<?xf16>
  %t = nn.exp %e : tensor<?xf16>
  %s = nn.add %t, %x : tensor<?xf16>
  %m = nn.reduce_sum %x dims = [0] : tensor<?xf16> -> tensor<f16>
  %mb = nn.broadcast %m like %x : tensor<?xf16> : tensor<f16> -> tensor<?xf16>
  %bt = nn.tanh %b : tensor<?xbf16>
  %bm = nn.mul %bt, %b : tensor<?xbf16>
  %r = nn.cast %s : tensor<?xf16> -> tensor<?xf32>
  %r2 = nn.cast %mb : tensor<?xf16> -> tensor<?xf32>
  %r3 = nn.cast %bm : tensor<?xbf16> -> tensor<?xf32>
  return %r, %r2, %r3 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}

func.func @main() {
  %x0 = arith.constant dense<[0.5, -1.0, 2.0]> : tensor<3xf16>
  %x = tensor.cast %x0 : tensor<3xf16> to tensor<?xf16>
  %b0 = arith.constant dense<[0.5, -1.0, 2.0]> : tensor<3xbf16>
  %b = tensor.cast %b0 : tensor<3xbf16> to tensor<?xbf16>
  %r:3 = call @half(%x, %b) : (tensor<?xf16>, tensor<?xbf16>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>)
  // exp(erf(x)) + x in f16
  // CHECK: [2.18359, -0.569336, 4.70312]
  call @pf(%r#0) : (tensor<?xf32>) -> ()
  // the f16 sum, broadcast
  // CHECK: [1.5, 1.5, 1.5]
  call @pf(%r#1) : (tensor<?xf32>) -> ()
  // tanh(x) * x in bf16
  // CHECK: [0.231445, 0.761719, 1.92969]
  call @pf(%r#2) : (tensor<?xf32>) -> ()
  return
}
