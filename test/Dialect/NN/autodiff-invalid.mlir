// nn-autodiff refuses what it cannot differentiate, naming the problem.
// RUN: nn-opt %s -split-input-file -nn-autodiff -verify-diagnostics

// expected-error @+1 {{the first result of 'vector_loss' must be a scalar float tensor (the loss)}}
func.func @vector_loss(%x: tensor<3xf32> {nn.wrt}) -> tensor<3xf32>
    attributes {nn.differentiate} {
  return %x : tensor<3xf32>
}

// -----

func.func private @helper(tensor<3xf32>) -> tensor<f32>
func.func @calls(%x: tensor<3xf32> {nn.wrt}) -> tensor<f32>
    attributes {nn.differentiate} {
  // expected-error @+1 {{calls must be inlined before differentiation}}
  %l = func.call @helper(%x) : (tensor<3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{argument 0 is marked nn.wrt but is not a float tensor}}
func.func @int_wrt(%x: tensor<3xi64> {nn.wrt}) -> tensor<f32>
    attributes {nn.differentiate} {
  %f = nn.cast %x : tensor<3xi64> -> tensor<3xf32>
  %s = nn.reduce_sum %f dims = [0] : tensor<3xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// -----

// Control flow inside a loss is refused, not given a zero gradient: the
// scf.if reads %x only inside its regions.
func.func @branch(%x: tensor<3xf32> {nn.wrt}, %c: i1) -> tensor<f32>
    attributes {nn.differentiate} {
  // expected-error @+1 {{cannot differentiate through 'scf.if': control flow inside a loss must be unrolled or folded before differentiation}}
  %y = scf.if %c -> tensor<3xf32> {
    %e = nn.exp %x : tensor<3xf32>
    scf.yield %e : tensor<3xf32>
  } else {
    scf.yield %x : tensor<3xf32>
  }
  %s = nn.reduce_sum %y dims = [0] : tensor<3xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// -----

// A loop over the parameters likewise.
func.func @loop(%x: tensor<3xf32> {nn.wrt}, %n: index) -> tensor<f32>
    attributes {nn.differentiate} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{cannot differentiate through 'scf.for'}}
  %y = scf.for %i = %c0 to %n step %c1 iter_args(%a = %x) -> tensor<3xf32> {
    %e = nn.exp %a : tensor<3xf32>
    scf.yield %e : tensor<3xf32>
  }
  %s = nn.reduce_sum %y dims = [0] : tensor<3xf32> -> tensor<f32>
  return %s : tensor<f32>
}
