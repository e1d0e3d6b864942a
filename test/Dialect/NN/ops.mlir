// Every nn op parses, verifies and prints back.
// RUN: nn-opt %s | nn-opt | FileCheck %s

// CHECK-LABEL: func.func @linear
func.func @linear(%x: tensor<?x784xf32>, %w: tensor<256x784xf32>,
                  %b: tensor<256xf32>) -> tensor<?x256xf32> {
  // CHECK: nn.transpose %{{.*}} perm = [1, 0] : tensor<256x784xf32> -> tensor<784x256xf32>
  %wt = nn.transpose %w perm = [1, 0] : tensor<256x784xf32> -> tensor<784x256xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} : tensor<?x784xf32>, tensor<784x256xf32> -> tensor<?x256xf32>
  %y = nn.matmul %x, %wt : tensor<?x784xf32>, tensor<784x256xf32> -> tensor<?x256xf32>
  // CHECK: nn.broadcast %{{.*}} like %{{.*}} : tensor<?x256xf32> : tensor<256xf32> -> tensor<?x256xf32>
  %bb = nn.broadcast %b like %y : tensor<?x256xf32> : tensor<256xf32> -> tensor<?x256xf32>
  // CHECK: nn.add %{{.*}}, %{{.*}} : tensor<?x256xf32>
  %z = nn.add %y, %bb : tensor<?x256xf32>
  // CHECK: nn.fill 0.000000e+00 like %{{.*}} : tensor<?x256xf32> -> tensor<?x256xf32>
  %zero = nn.fill 0.0 like %z : tensor<?x256xf32> -> tensor<?x256xf32>
  // CHECK: nn.max
  %r = nn.max %z, %zero : tensor<?x256xf32>
  return %r : tensor<?x256xf32>
}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.sub %a, %b : tensor<4xf32>
  %1 = nn.mul %0, %b : tensor<4xf32>
  %2 = nn.div %1, %b : tensor<4xf32>
  %3 = nn.pow %2, %b : tensor<4xf32>
  %4 = nn.min %3, %a : tensor<4xf32>
  %5 = nn.neg %4 : tensor<4xf32>
  %6 = nn.exp %5 : tensor<4xf32>
  %7 = nn.log %6 : tensor<4xf32>
  %8 = nn.sqrt %7 : tensor<4xf32>
  %9 = nn.tanh %8 : tensor<4xf32>
  %10 = nn.abs %9 : tensor<4xf32>
  %11 = nn.log1p %10 : tensor<4xf32>
  %12 = nn.erf %11 : tensor<4xf32>
  // CHECK: nn.cmp gt, %{{.*}}, %{{.*}} : tensor<4xf32> -> tensor<4xi1>
  %m = nn.cmp gt, %12, %a : tensor<4xf32> -> tensor<4xi1>
  // CHECK: nn.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<4xi1>, tensor<4xf32>
  %s = nn.select %m, %12, %a : tensor<4xi1>, tensor<4xf32>
  return %s : tensor<4xf32>
}

// CHECK-LABEL: func.func @loss
func.func @loss(%logits: tensor<?x10xf32>, %y: tensor<?xi64>) -> (tensor<f32>, tensor<?xi64>) {
  // CHECK: nn.reduce_max %{{.*}} dims = [1] {keepdim = true} : tensor<?x10xf32> -> tensor<?x1xf32>
  %m = nn.reduce_max %logits dims = [1] {keepdim = true} : tensor<?x10xf32> -> tensor<?x1xf32>
  %h = nn.one_hot %y : tensor<?xi64> -> tensor<?x10xf32>
  // CHECK: nn.reduce_sum %{{.*}} dims = [0, 1] : tensor<?x10xf32> -> tensor<f32>
  %s = nn.reduce_sum %h dims = [0, 1] : tensor<?x10xf32> -> tensor<f32>
  // CHECK: nn.argmax %{{.*}} dims = [1] : tensor<?x10xf32> -> tensor<?xi64>
  %a = nn.argmax %logits dims = [1] : tensor<?x10xf32> -> tensor<?xi64>
  %f = nn.cast %a : tensor<?xi64> -> tensor<?xf32>
  %r = nn.reshape %logits : tensor<?x10xf32> -> tensor<?x2x5xf32>
  // Several dynamic sizes when only unit dimensions are inserted:
  // CHECK: nn.reshape %{{.*}} : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %dd = tensor.cast %logits : tensor<?x10xf32> to tensor<?x?xf32>
  %u = nn.reshape %dd : tensor<?x?xf32> -> tensor<?x?x1xf32>
  return %s, %a : tensor<f32>, tensor<?xi64>
}

// CHECK-LABEL: func.func @init
func.func @init() -> tensor<256x784xf32> {
  // CHECK: nn.random uniform(-3.570000e-02, 3.570000e-02) stream 3 : tensor<256x784xf32>
  %w = nn.random uniform(-0.0357, 0.0357) stream 3 : tensor<256x784xf32>
  %z = nn.fill 1.0 tensor<256x784xf32>
  return %w : tensor<256x784xf32>
}

// CHECK-LABEL: func.func @dropout
func.func @dropout(%x: tensor<?x16xf32>, %t: tensor<f64>, %n: tensor<i64>)
    -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  // CHECK: nn.dropout %{{.*}}, %{{.*}} p(3.000000e-01) stream 7 : tensor<?x16xf32>, tensor<f64>
  %a = nn.dropout %x, %t p(0.3) stream 7 : tensor<?x16xf32>, tensor<f64>
  // CHECK: nn.dropout %{{.*}}, %{{.*}} p(0.000000e+00) stream 0 : tensor<?x16xf32>, tensor<i64>
  %b = nn.dropout %x, %n p(0.0) stream 0 : tensor<?x16xf32>, tensor<i64>
  return %a, %b : tensor<?x16xf32>, tensor<?x16xf32>
}
