// convert-nn-to-linalg reports the ops it has no lowering for (element types
// without arith/math counterparts) instead of leaving them behind.
// RUN: nn-opt %s -split-input-file -convert-nn-to-linalg -verify-diagnostics

func.func @exp_of_integers(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{failed to legalize operation 'nn.exp'}}
  %r = nn.exp %x : tensor<4xi32>
  return %r : tensor<4xi32>
}

// -----

func.func @complex(%x: tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>> {
  // expected-error @+1 {{failed to legalize operation 'nn.add'}}
  %r = nn.add %x, %x : tensor<4xcomplex<f32>>
  return %r : tensor<4xcomplex<f32>>
}

// -----

func.func @sum_of_index(%x: tensor<4xindex>) -> tensor<index> {
  // expected-error @+1 {{failed to legalize operation 'nn.reduce_sum'}}
  %r = nn.reduce_sum %x dims = [0] : tensor<4xindex> -> tensor<index>
  return %r : tensor<index>
}
