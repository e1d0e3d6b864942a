//===- Passes.td - Passes on the nn dialect -----------------*- tablegen -*-===//

#ifndef NNC_NN_PASSES
#define NNC_NN_PASSES

include "mlir/Pass/PassBase.td"

def NNAutodiff : Pass<"nn-autodiff", "mlir::ModuleOp"> {
  let summary = "Reverse-mode automatic differentiation of nn functions";
  let description = [{
    For every function marked `nn.differentiate`, whose first result is the
    scalar loss, builds `<name>_grad`: the same arguments, returning the loss,
    the other results, then the gradient of the loss with respect to each
    argument marked `nn.wrt` (in argument order). The body is the forward
    computation followed by the reverse sweep, built from each op's
    derivative rule (DifferentiableOpInterface); gradients of values used
    several times are summed. Ops declared NonDifferentiable stop the
    gradient; any other op is an error. Calls must be inlined first.

    ```mlir
    func.func @loss(%w: tensor<3xf32> {nn.wrt}, %x: tensor<3xf32>)
        -> tensor<f32> attributes {nn.differentiate} { ... }
    // becomes also
    func.func @loss_grad(%w: tensor<3xf32>, %x: tensor<3xf32>)
        -> (tensor<f32>, tensor<3xf32>)
    ```
  }];
  let dependentDialects = ["::nnc::nn::NNDialect"];
}

#endif // NNC_NN_PASSES
