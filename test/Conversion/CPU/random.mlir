// nn.random compiled and run: the values are Philox-4x32-10 at (seed,
// stream, element index), as the runtime's fillUniform / fillNormal draw them.
// The expected numbers come from Inputs/philox_reference.py, which checks its
// Philox against Random123's known-answer vectors (counter 0, key 0 ->
// 6627e8d5 e169c58d bc57ac4c 9b00dbd8) and agrees with runtime/lib/Rng.cpp.
// REQUIRES: mlir-cpu-runner
// RUN: nn-opt %s -nnc-cpu-pipeline | %mlir_cpu_runner | FileCheck %s
// RUN: nn-opt %s -convert-nn-to-linalg=seed=2999170649027065890 -nnc-cpu-pipeline \
// RUN:   | %mlir_cpu_runner | FileCheck %s --check-prefix=SEED

func.func private @printMemrefF32(memref<*xf32>)
func.func private @printMemrefI64(memref<*xi64>)

func.func @printF32(%t: tensor<?xf32>) {
  %m = bufferization.to_memref %t : memref<?xf32>
  %u = memref.cast %m : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @printI64(%t: tensor<?xi64>) {
  %m = bufferization.to_memref %t : memref<?xi64>
  %u = memref.cast %m : memref<?xi64> to memref<*xi64>
  call @printMemrefI64(%u) : (memref<*xi64>) -> ()
  return
}

// uniform(0, 2^24) is exactly the top 24 bits of each word (u = (w >> 8) *
// 2^-24): elements 0..3 are the known-answer block 6627e8d5 e169c58d
// bc57ac4c 9b00dbd8 shifted right by 8, elements 4..7 the block at counter 1.
// The 2-D shape checks the row-major element index.
func.func @bits() -> tensor<?xi64> {
  %r = nn.random uniform(0.0, 16777216.0) stream 0 : tensor<2x4xf32>
  %f = nn.reshape %r : tensor<2x4xf32> -> tensor<8xf32>
  %i = nn.cast %f : tensor<8xf32> -> tensor<8xi64>
  %d = tensor.cast %i : tensor<8xi64> to tensor<?xi64>
  return %d : tensor<?xi64>
}

// A stream above 2^32 fills both high counter words.
func.func @bigstream() -> tensor<?xi64> {
  %r = nn.random uniform(0.0, 16777216.0) stream 1099511627781 : tensor<4xf32>
  %i = nn.cast %r : tensor<4xf32> -> tensor<4xi64>
  %d = tensor.cast %i : tensor<4xi64> to tensor<?xi64>
  return %d : tensor<?xi64>
}

func.func @uniform() -> tensor<?xf32> {
  %r = nn.random uniform(-1.0, 1.0) stream 3 : tensor<2x3xf32>
  %f = nn.reshape %r : tensor<2x3xf32> -> tensor<6xf32>
  %d = tensor.cast %f : tensor<6xf32> to tensor<?xf32>
  return %d : tensor<?xf32>
}

func.func @normal() -> tensor<?xf32> {
  %r = nn.random normal(0.0, 1.0) stream 5 : tensor<6xf32>
  %d = tensor.cast %r : tensor<6xf32> to tensor<?xf32>
  return %d : tensor<?xf32>
}

func.func @scaled() -> tensor<?xf32> {
  %r = nn.random normal(2.0, 0.5) stream 7 : tensor<4xf32>
  %d = tensor.cast %r : tensor<4xf32> to tensor<?xf32>
  return %d : tensor<?xf32>
}

func.func @seeded() -> tensor<?xf32> {
  %r = nn.random uniform(0.0, 1.0) stream 1 : tensor<4xf32>
  %d = tensor.cast %r : tensor<4xf32> to tensor<?xf32>
  return %d : tensor<?xf32>
}

func.func @main() {
  // CHECK: [6694888, 14772677, 12343212, 10158299, 16311500, 6074880, 11642228, 622335]
  %bits = call @bits() : () -> tensor<?xi64>
  call @printI64(%bits) : (tensor<?xi64>) -> ()
  // CHECK: [2468772, 15711159, 9402580, 1856908]
  %big = call @bigstream() : () -> tensor<?xi64>
  call @printI64(%big) : (tensor<?xi64>) -> ()
  // CHECK: [0.880159, -0.864484, 0.49118, 0.440896, -0.34, 0.835689]
  %u = call @uniform() : () -> tensor<?xf32>
  call @printF32(%u) : (tensor<?xf32>) -> ()
  // CHECK: [-0.344084, -0.579726, 0.946023, 0.746094, 1.09155, 0.867631]
  %n = call @normal() : () -> tensor<?xf32>
  call @printF32(%n) : (tensor<?xf32>) -> ()
  // CHECK: [1.73147, 1.83581, 2.32314, 2.885]
  %s = call @scaled() : () -> tensor<?xf32>
  call @printF32(%s) : (tensor<?xf32>) -> ()
  // With seed 0x299f31d0a4093822 (the key of a Random123 vector):
  // SEED: [0.658758, 0.376834, 0.148446, 0.571959]
  %k = call @seeded() : () -> tensor<?xf32>
  call @printF32(%k) : (tensor<?xf32>) -> ()
  return
}
