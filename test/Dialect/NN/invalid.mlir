// Verifiers name the shapes involved.
// RUN: nn-opt %s -split-input-file -verify-diagnostics

func.func @matmul_inner(%a: tensor<4x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{inner sizes differ: [4, 3] x [4, 5]}}
  %c = nn.matmul %a, %b : tensor<4x3xf32>, tensor<4x5xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @broadcast_bad(%a: tensor<3xf32>) {
  // expected-error @+1 {{cannot broadcast [3] to [2, 4]}}
  %b = nn.broadcast %a : tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @broadcast_dynamic_needs_like(%a: tensor<3xf32>) {
  // expected-error @+1 {{a result with dynamic sizes needs 'like'}}
  %b = nn.broadcast %a : tensor<3xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @reduce_dim(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{dimension 2 out of range for [3, 4]}}
  %b = nn.reduce_sum %a dims = [2] : tensor<3x4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @reduce_shape(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{result [4] does not match the reduction of [3, 4]}}
  %b = nn.reduce_sum %a dims = [1] : tensor<3x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reshape_count(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{element count changes: [3, 4] -> [5, 2]}}
  %b = nn.reshape %a : tensor<3x4xf32> -> tensor<5x2xf32>
  return
}

// -----

func.func @transpose_perm(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{invalid permutation}}
  %b = nn.transpose %a perm = [0, 0] : tensor<3x4xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @cast_shape(%a: tensor<3xi64>) {
  // expected-error @+1 {{a cast keeps the shape, but [3] becomes [4]}}
  %b = nn.cast %a : tensor<3xi64> -> tensor<4xf32>
  return
}

// -----

func.func @random_bounds() {
  // expected-error @+1 {{uniform needs a < b}}
  %w = nn.random uniform(1.0, 0.0) stream 0 : tensor<2xf32>
  return
}

// -----

func.func @argmax_result(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{result must hold i64 indices}}
  %b = nn.argmax %a dims = [1] : tensor<3x4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @one_hot_rank(%y: tensor<3xi64>) {
  // expected-error @+1 {{result must add one dimension}}
  %h = nn.one_hot %y : tensor<3xi64> -> tensor<3xf32>
  return
}

// -----

func.func @add_types(%a: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %c = "nn.add"(%a, %b) : (tensor<3xf32>, tensor<4xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @reshape_two_dynamic(%a: tensor<?x?xf32>) {
  // expected-error @+1 {{at most one result dimension may be dynamic unless only size-1 dimensions are inserted or dropped}}
  %b = nn.reshape %a : tensor<?x?xf32> -> tensor<?x?x2xf32>
  return
}

// -----

func.func @dropout_p_one(%x: tensor<4xf32>, %t: tensor<f64>) {
  // expected-error @+1 {{the probability must be in [0, 1), but it is 1.000000e+00}}
  %y = nn.dropout %x, %t p(1.0) stream 0 : tensor<4xf32>, tensor<f64>
  return
}

// -----

func.func @dropout_p_negative(%x: tensor<4xf32>, %t: tensor<f64>) {
  // expected-error @+1 {{the probability must be in [0, 1), but it is -5.000000e-01}}
  %y = nn.dropout %x, %t p(-0.5) stream 0 : tensor<4xf32>, tensor<f64>
  return
}

// -----

func.func @dropout_step_shape(%x: tensor<4xf32>, %t: tensor<1xf64>) {
  // expected-error @+1 {{the step must be a tensor<f64> or tensor<i64>}}
  %y = nn.dropout %x, %t p(0.5) stream 0 : tensor<4xf32>, tensor<1xf64>
  return
}

// -----

func.func @dropout_step_type(%x: tensor<4xf32>, %t: tensor<f32>) {
  // expected-error @+1 {{the step must be a tensor<f64> or tensor<i64>}}
  %y = nn.dropout %x, %t p(0.5) stream 0 : tensor<4xf32>, tensor<f32>
  return
}

// -----

func.func @dropout_stream(%x: tensor<4xf32>, %t: tensor<f64>) {
  // expected-error @+1 {{the stream must not be negative}}
  %y = nn.dropout %x, %t p(0.5) stream -1 : tensor<4xf32>, tensor<f64>
  return
}

// -----

func.func @dropout_int(%x: tensor<4xi64>, %t: tensor<f64>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %y = nn.dropout %x, %t p(0.5) stream 0 : tensor<4xi64>, tensor<f64>
  return
}
