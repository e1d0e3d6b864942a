// nn.reduce_sum, nn.reduce_max and nn.argmax compiled and run, with and
// without keepdim, over dynamic dimensions; argmax ties go to the first
// maximum and NaN counts as the maximum (PyTorch). Expected numbers:
// Inputs/structured_reference.py.
// REQUIRES: mlir-cpu-runner
// RUN: nn-opt %s -nnc-cpu-pipeline | %mlir_cpu_runner | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>)
func.func private @printMemrefI64(memref<*xi64>)

func.func @pf(%t: tensor<*xf32>) {
  %m = bufferization.to_memref %t : memref<*xf32>
  call @printMemrefF32(%m) : (memref<*xf32>) -> ()
  return
}

func.func @pi(%t: tensor<*xi64>) {
  %m = bufferization.to_memref %t : memref<*xi64>
  call @printMemrefI64(%m) : (memref<*xi64>) -> ()
  return
}

func.func @sums(%x: tensor<?x3xf32>)
    -> (tensor<?xf32>, tensor<1x3xf32>, tensor<f32>, tensor<1x1xf32>) {
  %s1 = nn.reduce_sum %x dims = [1] : tensor<?x3xf32> -> tensor<?xf32>
  %s0 = nn.reduce_sum %x dims = [0] {keepdim = true} : tensor<?x3xf32> -> tensor<1x3xf32>
  %sa = nn.reduce_sum %x dims = [0, 1] : tensor<?x3xf32> -> tensor<f32>
  %sk = nn.reduce_sum %x dims = [0, 1] {keepdim = true} : tensor<?x3xf32> -> tensor<1x1xf32>
  return %s1, %s0, %sa, %sk : tensor<?xf32>, tensor<1x3xf32>, tensor<f32>, tensor<1x1xf32>
}

func.func @maxes(%x: tensor<?x3xf32>) -> (tensor<?x1xf32>, tensor<3xf32>) {
  %m1 = nn.reduce_max %x dims = [1] {keepdim = true} : tensor<?x3xf32> -> tensor<?x1xf32>
  %m0 = nn.reduce_max %x dims = [0] : tensor<?x3xf32> -> tensor<3xf32>
  return %m1, %m0 : tensor<?x1xf32>, tensor<3xf32>
}

func.func @rank3(%y: tensor<2x?x2xf32>) -> (tensor<2x1x2xf32>, tensor<?xf32>) {
  %s = nn.reduce_sum %y dims = [1] {keepdim = true} : tensor<2x?x2xf32> -> tensor<2x1x2xf32>
  %m = nn.reduce_max %y dims = [0, 2] : tensor<2x?x2xf32> -> tensor<?xf32>
  return %s, %m : tensor<2x1x2xf32>, tensor<?xf32>
}

func.func @ints(%x: tensor<?x3xi64>) -> (tensor<?xi64>, tensor<3xi64>, tensor<?xi64>) {
  %s = nn.reduce_sum %x dims = [1] : tensor<?x3xi64> -> tensor<?xi64>
  %m = nn.reduce_max %x dims = [0] : tensor<?x3xi64> -> tensor<3xi64>
  %a = nn.argmax %x dims = [1] : tensor<?x3xi64> -> tensor<?xi64>
  return %s, %m, %a : tensor<?xi64>, tensor<3xi64>, tensor<?xi64>
}

func.func @argmaxes(%m: tensor<?x4xf32>, %x: tensor<?x3xf32>)
    -> (tensor<?xi64>, tensor<1x3xi64>, tensor<?xf32>) {
  %a1 = nn.argmax %m dims = [1] : tensor<?x4xf32> -> tensor<?xi64>
  %a0 = nn.argmax %x dims = [0] {keepdim = true} : tensor<?x3xf32> -> tensor<1x3xi64>
  %mx = nn.reduce_max %m dims = [1] : tensor<?x4xf32> -> tensor<?xf32>
  return %a1, %a0, %mx : tensor<?xi64>, tensor<1x3xi64>, tensor<?xf32>
}

func.func @main() {
  %r0 = arith.constant dense<[[1.0, 5.0, 3.0], [4.0, 2.0, 6.0], [-1.0, -7.0, 0.5]]> : tensor<3x3xf32>
  %r = tensor.cast %r0 : tensor<3x3xf32> to tensor<?x3xf32>
  %s1, %s0, %sa, %sk = call @sums(%r) : (tensor<?x3xf32>) -> (tensor<?xf32>, tensor<1x3xf32>, tensor<f32>, tensor<1x1xf32>)
  %s1u = tensor.cast %s1 : tensor<?xf32> to tensor<*xf32>
  %s0u = tensor.cast %s0 : tensor<1x3xf32> to tensor<*xf32>
  %sau = tensor.cast %sa : tensor<f32> to tensor<*xf32>
  %sku = tensor.cast %sk : tensor<1x1xf32> to tensor<*xf32>
  // CHECK: rank = 1 offset = 0 sizes = [3]
  // CHECK{LITERAL}: [9, 12, -7.5]
  call @pf(%s1u) : (tensor<*xf32>) -> ()
  // CHECK: rank = 2 offset = 0 sizes = [1, 3]
  // CHECK{LITERAL}: [[4, 0, 9.5]]
  call @pf(%s0u) : (tensor<*xf32>) -> ()
  // CHECK: rank = 0
  // CHECK{LITERAL}: [13.5]
  call @pf(%sau) : (tensor<*xf32>) -> ()
  // CHECK: rank = 2 offset = 0 sizes = [1, 1]
  // CHECK{LITERAL}: [[13.5]]
  call @pf(%sku) : (tensor<*xf32>) -> ()

  %m1, %m0 = call @maxes(%r) : (tensor<?x3xf32>) -> (tensor<?x1xf32>, tensor<3xf32>)
  %m1u = tensor.cast %m1 : tensor<?x1xf32> to tensor<*xf32>
  %m0u = tensor.cast %m0 : tensor<3xf32> to tensor<*xf32>
  // CHECK: rank = 2 offset = 0 sizes = [3, 1]
  // CHECK{LITERAL}: [[5],
  // CHECK-NEXT{LITERAL}: [6],
  // CHECK-NEXT{LITERAL}: [0.5]]
  call @pf(%m1u) : (tensor<*xf32>) -> ()
  // CHECK{LITERAL}: [4, 5, 6]
  call @pf(%m0u) : (tensor<*xf32>) -> ()

  %y0 = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [[-1.0, 0.0], [7.0, -2.0], [0.5, 0.25]]]> : tensor<2x3x2xf32>
  %y = tensor.cast %y0 : tensor<2x3x2xf32> to tensor<2x?x2xf32>
  %s3, %m02 = call @rank3(%y) : (tensor<2x?x2xf32>) -> (tensor<2x1x2xf32>, tensor<?xf32>)
  %s3u = tensor.cast %s3 : tensor<2x1x2xf32> to tensor<*xf32>
  %m02u = tensor.cast %m02 : tensor<?xf32> to tensor<*xf32>
  // CHECK: rank = 3 offset = 0 sizes = [2, 1, 2]
  // CHECK{LITERAL}: [[[9, 12]],
  // CHECK-NEXT{LITERAL}: [[6.5, -1.75]]]
  call @pf(%s3u) : (tensor<*xf32>) -> ()
  // CHECK{LITERAL}: [2, 7, 6]
  call @pf(%m02u) : (tensor<*xf32>) -> ()

  %i0 = arith.constant dense<[[3, -1, 3], [-5, -2, -9]]> : tensor<2x3xi64>
  %i = tensor.cast %i0 : tensor<2x3xi64> to tensor<?x3xi64>
  %is, %im, %ia = call @ints(%i) : (tensor<?x3xi64>) -> (tensor<?xi64>, tensor<3xi64>, tensor<?xi64>)
  %isu = tensor.cast %is : tensor<?xi64> to tensor<*xi64>
  %imu = tensor.cast %im : tensor<3xi64> to tensor<*xi64>
  %iau = tensor.cast %ia : tensor<?xi64> to tensor<*xi64>
  // CHECK{LITERAL}: [5, -16]
  call @pi(%isu) : (tensor<*xi64>) -> ()
  // CHECK{LITERAL}: [3, -1, 3]
  call @pi(%imu) : (tensor<*xi64>) -> ()
  // CHECK{LITERAL}: [0, 1]
  call @pi(%iau) : (tensor<*xi64>) -> ()

  // Rows: a tie (first wins), all equal, all -inf, NaN (the first NaN wins),
  // a tie at the end.
  %a0 = arith.constant dense<[[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0],
      [0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000],
      [1.0, 0x7FC00000, 5.0, 0x7FC00000], [-1.0, -2.0, -0.5, -0.5]]> : tensor<5x4xf32>
  %a = tensor.cast %a0 : tensor<5x4xf32> to tensor<?x4xf32>
  %am1, %am0, %mx = call @argmaxes(%a, %r) : (tensor<?x4xf32>, tensor<?x3xf32>) -> (tensor<?xi64>, tensor<1x3xi64>, tensor<?xf32>)
  %am1u = tensor.cast %am1 : tensor<?xi64> to tensor<*xi64>
  %am0u = tensor.cast %am0 : tensor<1x3xi64> to tensor<*xi64>
  %mxu = tensor.cast %mx : tensor<?xf32> to tensor<*xf32>
  // CHECK{LITERAL}: [1, 0, 0, 1, 2]
  call @pi(%am1u) : (tensor<*xi64>) -> ()
  // CHECK{LITERAL}: [[1, 0, 1]]
  call @pi(%am0u) : (tensor<*xi64>) -> ()
  // reduce_max propagates NaN, and starts from -inf.
  // CHECK{LITERAL}: [3, 2, -inf, nan, -0.5]
  call @pf(%mxu) : (tensor<*xf32>) -> ()
  return
}
