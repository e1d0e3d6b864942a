// Gradients end to end: nn-autodiff, then nnc-cpu-pipeline, then run. The
// expected numbers are derived independently by
// Inputs/gradient_reference.py (hand-written reverse mode in Python, checked
// against finite differences).
// REQUIRES: mlir-cpu-runner
// RUN: nn-opt %s -nn-autodiff -nnc-cpu-pipeline | %mlir_cpu_runner | FileCheck %s

// The gradients, called from @main; nn-autodiff replaces these declarations.
func.func private @mse_grad(tensor<3x2xf32>, tensor<2xf32>, tensor<?x3xf32>, tensor<?x2xf32>)
    -> (tensor<f32>, tensor<3x2xf32>, tensor<2xf32>)
func.func private @xent_grad(tensor<3x4xf32>, tensor<?x3xf32>, tensor<?xi64>)
    -> (tensor<f32>, tensor<3x4xf32>)

// relu(x @ w + b) under a sum of squares (as in test/Dialect/NN/autodiff.mlir).
func.func @mse(%w: tensor<3x2xf32> {nn.wrt}, %b: tensor<2xf32> {nn.wrt},
               %x: tensor<?x3xf32>, %t: tensor<?x2xf32>) -> tensor<f32>
    attributes {nn.differentiate} {
  %y = nn.matmul %x, %w : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
  %bb = nn.broadcast %b like %y : tensor<?x2xf32> : tensor<2xf32> -> tensor<?x2xf32>
  %z = nn.add %y, %bb : tensor<?x2xf32>
  %zero = nn.fill 0.0 like %z : tensor<?x2xf32> -> tensor<?x2xf32>
  %r = nn.max %z, %zero : tensor<?x2xf32>
  %d = nn.sub %r, %t : tensor<?x2xf32>
  %sq = nn.mul %d, %d : tensor<?x2xf32>
  %s = nn.reduce_sum %sq dims = [0, 1] : tensor<?x2xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// Softmax cross-entropy through a stable log-softmax: reduce_max, broadcast,
// exp, log, one_hot and their rules.
func.func @xent(%w: tensor<3x4xf32> {nn.wrt}, %x: tensor<?x3xf32>,
                %y: tensor<?xi64>) -> tensor<f32>
    attributes {nn.differentiate} {
  %z = nn.matmul %x, %w : tensor<?x3xf32>, tensor<3x4xf32> -> tensor<?x4xf32>
  %m = nn.reduce_max %z dims = [1] {keepdim = true} : tensor<?x4xf32> -> tensor<?x1xf32>
  %mb = nn.broadcast %m like %z : tensor<?x4xf32> : tensor<?x1xf32> -> tensor<?x4xf32>
  %s = nn.sub %z, %mb : tensor<?x4xf32>
  %e = nn.exp %s : tensor<?x4xf32>
  %se = nn.reduce_sum %e dims = [1] {keepdim = true} : tensor<?x4xf32> -> tensor<?x1xf32>
  %l = nn.log %se : tensor<?x1xf32>
  %lb = nn.broadcast %l like %z : tensor<?x4xf32> : tensor<?x1xf32> -> tensor<?x4xf32>
  %lsm = nn.sub %s, %lb : tensor<?x4xf32>
  %h = nn.one_hot %y : tensor<?xi64> -> tensor<?x4xf32>
  %p = nn.mul %h, %lsm : tensor<?x4xf32>
  %t = nn.reduce_sum %p dims = [0, 1] : tensor<?x4xf32> -> tensor<f32>
  %n = nn.neg %t : tensor<f32>
  return %n : tensor<f32>
}

func.func private @printMemrefF32(memref<*xf32>)

func.func @pf(%t: tensor<*xf32>) {
  %m = bufferization.to_memref %t : memref<*xf32>
  call @printMemrefF32(%m) : (memref<*xf32>) -> ()
  return
}

func.func @main() {
  %w = arith.constant dense<[[0.5, -1.0], [0.25, 0.75], [-0.5, 1.5]]> : tensor<3x2xf32>
  %b = arith.constant dense<[0.1, -0.2]> : tensor<2xf32>
  %x0 = arith.constant dense<[[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0], [0.0, -2.0, 1.0], [2.0, 1.0, -1.0]]> : tensor<4x3xf32>
  %t0 = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [2.0, -1.0]]> : tensor<4x2xf32>
  %x = tensor.cast %x0 : tensor<4x3xf32> to tensor<?x3xf32>
  %t = tensor.cast %t0 : tensor<4x2xf32> to tensor<?x2xf32>
  %l, %gw, %gb = call @mse_grad(%w, %b, %x, %t)
      : (tensor<3x2xf32>, tensor<2xf32>, tensor<?x3xf32>, tensor<?x2xf32>)
      -> (tensor<f32>, tensor<3x2xf32>, tensor<2xf32>)
  %lu = tensor.cast %l : tensor<f32> to tensor<*xf32>
  %gwu = tensor.cast %gw : tensor<3x2xf32> to tensor<*xf32>
  %gbu = tensor.cast %gb : tensor<2xf32> to tensor<*xf32>
  // CHECK: rank = 0
  // CHECK-NEXT{LITERAL}: [35.6431]
  call @pf(%lu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [3, 2]
  // CHECK-NEXT{LITERAL}: [[-0.6, 3.25],
  // CHECK-NEXT{LITERAL}: [-0.3, 22.375],
  // CHECK-NEXT{LITERAL}: [0.3, 41.5]]
  call @pf(%gwu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2]
  // CHECK-NEXT{LITERAL}: [-0.3, 15.95]
  call @pf(%gbu) : (tensor<*xf32>) -> ()

  %w2 = arith.constant dense<[[0.2, -0.4, 0.6, 0.1], [-0.3, 0.5, 0.05, 0.25], [0.7, -0.1, -0.2, 0.4]]> : tensor<3x4xf32>
  %y0 = arith.constant dense<[2, 0, 3, 1]> : tensor<4xi64>
  %y = tensor.cast %y0 : tensor<4xi64> to tensor<?xi64>
  %xl, %xgw = call @xent_grad(%w2, %x, %y)
      : (tensor<3x4xf32>, tensor<?x3xf32>, tensor<?xi64>) -> (tensor<f32>, tensor<3x4xf32>)
  %xlu = tensor.cast %xl : tensor<f32> to tensor<*xf32>
  %xgwu = tensor.cast %xgw : tensor<3x4xf32> to tensor<*xf32>
  // CHECK: rank = 0
  // CHECK-NEXT{LITERAL}: [7.37619]
  call @pf(%xlu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [3, 4]
  // CHECK-NEXT{LITERAL}: [[1.15253, -1.87973, 0.301837, 0.425369],
  // CHECK-NEXT{LITERAL}: [-0.732377, -0.691537, -1.43959, 2.8635],
  // CHECK-NEXT{LITERAL}: [0.549004, 1.66882, -3.16318, 0.945356]]
  call @pf(%xgwu) : (tensor<*xf32>) -> ()
  return
}
