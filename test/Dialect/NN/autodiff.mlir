// The reverse sweep of nn-autodiff, rule by rule.
// RUN: nn-opt %s -split-input-file -nn-autodiff -cse -canonicalize | FileCheck %s

// relu(x @ w + b) under a sum of squares: the readable whole.
// CHECK-LABEL: func.func @mse_grad(
// CHECK-SAME: %[[W:.*]]: tensor<3x2xf32>, %[[B:.*]]: tensor<2xf32>, %[[X:.*]]: tensor<?x3xf32>, %[[T:.*]]: tensor<?x2xf32>)
// CHECK-SAME: -> (tensor<f32>, tensor<3x2xf32>, tensor<2xf32>)
// Forward:
// CHECK: %[[Y:.*]] = nn.matmul %[[X]], %[[W]]
// CHECK: %[[BB:.*]] = nn.broadcast %[[B]] like %[[Y]]
// CHECK: %[[Z:.*]] = nn.add %[[Y]], %[[BB]]
// CHECK: %[[ZERO:.*]] = nn.fill 0.000000e+00 like %[[Z]]
// CHECK: %[[R:.*]] = nn.max %[[Z]], %[[ZERO]]
// CHECK: %[[D:.*]] = nn.sub %[[R]], %[[T]]
// CHECK: %[[SQ:.*]] = nn.mul %[[D]], %[[D]]
// CHECK: %[[LOSS:.*]] = nn.reduce_sum %[[SQ]] dims = [0, 1]
// Reverse: d loss = 1, broadcast back over the sum
// CHECK: %[[ONE:.*]] = nn.fill 1.000000e+00 tensor<f32>
// CHECK: %[[ONE2:.*]] = nn.reshape %[[ONE]] : tensor<f32> -> tensor<1x1xf32>
// CHECK: %[[GSQ:.*]] = nn.broadcast %[[ONE2]] like %[[SQ]]
// d (d*d) = g*d + g*d: the fan-out of %d is summed
// CHECK: %[[GD1:.*]] = nn.mul %[[GSQ]], %[[D]]
// CHECK: %[[GD:.*]] = nn.add %[[GD1]], %[[GD1]]
// relu: the gradient passes where z >= 0
// CHECK: %[[MASK:.*]] = nn.cmp ge, %[[Z]], %[[ZERO]]
// CHECK: %[[GZ:.*]] = nn.select %[[MASK]], %[[GD]], %{{.*}}
// bias: summed over the batch, back to [2]
// CHECK: %[[GB1:.*]] = nn.reduce_sum %[[GZ]] dims = [0] {keepdim = true} : tensor<?x2xf32> -> tensor<1x2xf32>
// CHECK: %[[GB:.*]] = nn.reshape %[[GB1]] : tensor<1x2xf32> -> tensor<2xf32>
// weight: x^T @ g
// CHECK: %[[XT:.*]] = nn.transpose %[[X]] perm = [1, 0]
// CHECK: %[[GW:.*]] = nn.matmul %[[XT]], %[[GZ]] : tensor<3x?xf32>, tensor<?x2xf32> -> tensor<3x2xf32>
// CHECK: return %[[LOSS]], %[[GW]], %[[GB]]
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

// -----

// d/dx log(exp(x) / x) via exp, div and log rules.
// CHECK-LABEL: func.func @unary_grad(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>
// CHECK: %[[E:.*]] = nn.exp %[[X]]
// CHECK: %[[Q:.*]] = nn.div %[[E]], %[[X]]
// CHECK: nn.log %[[Q]]
// log: g / q
// CHECK: %[[GQ:.*]] = nn.div %{{.*}}, %[[Q]]
// div: g / x for the numerator, -g * e / x^2 for the denominator
// CHECK: %[[GE:.*]] = nn.div %[[GQ]], %[[X]]
// CHECK: nn.mul %[[X]], %[[X]]
// CHECK: nn.neg
// exp: g * e
// CHECK: nn.mul %[[GE]], %[[E]]
// the two contributions to x are added
// CHECK: nn.add
// CHECK: return
func.func @unary(%x: tensor<4xf32> {nn.wrt}) -> tensor<f32>
    attributes {nn.differentiate} {
  %e = nn.exp %x : tensor<4xf32>
  %q = nn.div %e, %x : tensor<4xf32>
  %l = nn.log %q : tensor<4xf32>
  %s = nn.reduce_sum %l dims = [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// -----

// Non-differentiable ops stop the gradient: argmax and one_hot; an argument
// the loss does not depend on gets zeros.
// CHECK-LABEL: func.func @inactive_grad(
// CHECK: %[[Z:.*]] = nn.fill 0.000000e+00 tensor<5xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[Z]]
func.func @inactive(%logits: tensor<3x4xf32> {nn.wrt}, %y: tensor<3xi64>,
                    %unused: tensor<5xf32> {nn.wrt}) -> tensor<f32>
    attributes {nn.differentiate} {
  %h = nn.one_hot %y : tensor<3xi64> -> tensor<3x4xf32>
  %p = nn.mul %h, %logits : tensor<3x4xf32>
  %s = nn.reduce_sum %p dims = [0, 1] : tensor<3x4xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// -----

// A declaration of the gradient right after the function is replaced.
// CHECK-LABEL: func.func @declared(
// CHECK-LABEL: func.func @declared_grad(
// CHECK-SAME: -> (tensor<f32>, tensor<3xf32>)
// CHECK-NOT: func.func private @declared_grad
func.func @declared(%x: tensor<3xf32> {nn.wrt}) -> tensor<f32>
    attributes {nn.differentiate} {
  %s = nn.reduce_sum %x dims = [0] : tensor<3xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func private @declared_grad(tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>)

// -----

// dropout is linear in x for its fixed mask: the adjoint is the same dropout
// (same p, stream and step) of g; the step count gets none.
// CHECK-LABEL: func.func @dropout_grad(
// CHECK-SAME: %[[W:.*]]: tensor<?x4xf32>, %[[T:.*]]: tensor<f64>)
// CHECK: %[[Y:.*]] = nn.dropout %[[W]], %[[T]] p(2.500000e-01) stream 9
// CHECK: %[[LOSS:.*]] = nn.reduce_sum %[[Y]]
// CHECK: %[[G:.*]] = nn.broadcast
// CHECK: %[[GW:.*]] = nn.dropout %[[G]], %[[T]] p(2.500000e-01) stream 9 : tensor<?x4xf32>, tensor<f64>
// CHECK: return %[[LOSS]], %[[GW]]
func.func @dropout(%w: tensor<?x4xf32> {nn.wrt}, %t: tensor<f64>) -> tensor<f32>
    attributes {nn.differentiate} {
  %y = nn.dropout %w, %t p(0.25) stream 9 : tensor<?x4xf32>, tensor<f64>
  %l = nn.reduce_sum %y dims = [0, 1] : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
