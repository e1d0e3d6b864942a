// Control flow that the loss does not depend on through the parameters is
// not refused: an scf.if that reads only a non-parameter input keeps the
// parameters' gradient exact.
// RUN: nn-opt %s -nn-autodiff | FileCheck %s

// CHECK-LABEL: func.func @side_branch_grad(
// CHECK: scf.if
// CHECK: nn.exp
// CHECK: return
func.func @side_branch(%x: tensor<3xf32> {nn.wrt}, %t: tensor<3xf32>, %c: i1) -> tensor<f32>
    attributes {nn.differentiate} {
  %y = scf.if %c -> tensor<3xf32> {
    scf.yield %t : tensor<3xf32>
  } else {
    %n = nn.neg %t : tensor<3xf32>
    scf.yield %n : tensor<3xf32>
  }
  %e = nn.exp %x : tensor<3xf32>
  %p = nn.mul %e, %y : tensor<3xf32>
  %s = nn.reduce_sum %p dims = [0] : tensor<3xf32> -> tensor<f32>
  return %s : tensor<f32>
}
