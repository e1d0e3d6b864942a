// nn.dropout compiled and run: the multipliers are those of the runtime's
// dropoutMask - word (step << 34) + i of the op's stream kept when its top 24
// bits are >= ceil(p * 2^24), scaled by float(1 / (1 - p)). The expected
// numbers come from dropout_mask in Inputs/philox_reference.py (a separate
// Python Philox checked against Random123's known answers), also checked
// bit for bit against nnc::rt::dropoutMask by test/unit/RngTest.cpp.
// REQUIRES: mlir-cpu-runner
// RUN: nn-opt %s -nnc-cpu-pipeline | %mlir_cpu_runner | FileCheck %s
// RUN: nn-opt %s -convert-nn-to-linalg=seed=2999170649027065890 -nnc-cpu-pipeline \
// RUN:   | %mlir_cpu_runner | FileCheck %s --check-prefix=SEED

func.func private @printMemrefF32(memref<*xf32>)

func.func @printF32(%t: tensor<?xf32>) {
  %m = bufferization.to_memref %t : memref<?xf32>
  %u = memref.cast %m : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

// Ones through p = 0.5 at step 2 (an f64 step count, as @step_k passes it):
// the mask itself, 2 or 0, row-major over a batch of unknown size.
func.func @half(%x: tensor<?x3xf32>) -> tensor<?xf32> {
  %t = arith.constant dense<2.0> : tensor<f64>
  %y = nn.dropout %x, %t p(0.5) stream 3 : tensor<?x3xf32>, tensor<f64>
  %f = nn.reshape %y : tensor<?x3xf32> -> tensor<?xf32>
  return %f : tensor<?xf32>
}

// Signed values through p = 0.3 (scale float(1 / 0.7) = 1.42857...) with an
// i64 step: x * m, so dropped negatives are -0.
func.func @signed() -> tensor<?xf32> {
  %x = arith.constant dense<[-1.5, 2.0, -3.0, 0.25, 4.0, -0.5, 1.0, 8.0]> : tensor<8xf32>
  %t = arith.constant dense<1> : tensor<i64>
  %y = nn.dropout %x, %t p(0.3) stream 4 : tensor<8xf32>, tensor<i64>
  %d = tensor.cast %y : tensor<8xf32> to tensor<?xf32>
  return %d : tensor<?xf32>
}

// Step 2^29 + 3 (the counter's high word is the step: (step << 34) / 4 =
// step << 32).
func.func @late() -> tensor<?xf32> {
  %x = arith.constant dense<1.0> : tensor<12xf32>
  %t = arith.constant dense<536870915.0> : tensor<f64>
  %y = nn.dropout %x, %t p(0.5) stream 3 : tensor<12xf32>, tensor<f64>
  %d = tensor.cast %y : tensor<12xf32> to tensor<?xf32>
  return %d : tensor<?xf32>
}

// The run's seed is the key.
func.func @seeded() -> tensor<?xf32> {
  %x = arith.constant dense<1.0> : tensor<8xf32>
  %t = arith.constant dense<1.0> : tensor<f64>
  %y = nn.dropout %x, %t p(0.3) stream 4 : tensor<8xf32>, tensor<f64>
  %d = tensor.cast %y : tensor<8xf32> to tensor<?xf32>
  return %d : tensor<?xf32>
}

func.func @main() {
  %ones = arith.constant dense<1.0> : tensor<4x3xf32>
  %x = tensor.cast %ones : tensor<4x3xf32> to tensor<?x3xf32>
  // CHECK: [2, 0, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0]
  %h = call @half(%x) : (tensor<?x3xf32>) -> tensor<?xf32>
  call @printF32(%h) : (tensor<?xf32>) -> ()
  // CHECK: [-0, 2.85714, -0, 0.357143, 0, -0.714286, 1.42857, 11.4286]
  %s = call @signed() : () -> tensor<?xf32>
  call @printF32(%s) : (tensor<?xf32>) -> ()
  // CHECK: [0, 0, 2, 0, 2, 2, 0, 2, 0, 0, 0, 0]
  %l = call @late() : () -> tensor<?xf32>
  call @printF32(%l) : (tensor<?xf32>) -> ()
  // CHECK: [0, 1.42857, 0, 1.42857, 0, 1.42857, 1.42857, 1.42857]
  // SEED: [1.42857, 1.42857, 1.42857, 1.42857, 1.42857, 1.42857, 0, 1.42857]
  %k = call @seeded() : () -> tensor<?xf32>
  call @printF32(%k) : (tensor<?xf32>) -> ()
  return
}
