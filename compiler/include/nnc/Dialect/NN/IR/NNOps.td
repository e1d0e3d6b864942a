//===- NNOps.td - The nn dialect ----------------------------*- tablegen -*-===//
//
// Tensor-level operations of .nn programs, target-independent: MLIRGen emits
// them from the checked AST, the autodiff pass differentiates them (each op
// names its derivative rule in its description; the rules live in
// NNDerivatives.cpp), and the CPU and GPU lowerings turn them into linalg.
//
// Conventions: operands of elementwise ops have one type - MLIRGen makes
// broadcasting explicit with nn.broadcast, so no op broadcasts implicitly.
// Shapes may have dynamic dimensions (the batch).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_NN_OPS
#define NNC_NN_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "nnc/Dialect/NN/IR/NNInterfaces.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::nnc::nn";
  let summary = "Tensor operations of .nn training programs";
  let description = [{
    The ops a .nn program is made of, on ranked tensors: elementwise
    arithmetic and math, matrix products, reductions, shape changes and
    random initialisation. Every op is pure; every op is either
    differentiable (with a reverse-mode rule) or declared inactive.
  }];
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, !listconcat(traits, [Pure])>;

def NN_FloatTensor : RankedTensorOf<[AnyFloat]>;
def NN_Tensor : RankedTensorOf<[AnyType]>;
def NN_IndexTensor : RankedTensorOf<[I32, I64]>;
def NN_BoolTensor : RankedTensorOf<[I1]>;

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class NN_BinaryOp<string mnemonic, string rule, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [
        SameOperandsAndResultType,
        DeclareOpInterfaceMethods<NN_DifferentiableOpInterface>])> {
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
  let description = !strconcat([{
    Elementwise on two tensors of one type (no implicit broadcasting).
    Derivative: }], rule, [{

    Example:
    ```mlir
    %c = nn.}], mnemonic, [{ %a, %b : tensor<?x10xf32>
    ```
  }]);
}

def NN_AddOp : NN_BinaryOp<"add", "d/da = g, d/db = g", [Commutative]> {
  let summary = "elementwise a + b";
}
def NN_SubOp : NN_BinaryOp<"sub", "d/da = g, d/db = -g"> {
  let summary = "elementwise a - b";
}
def NN_MulOp : NN_BinaryOp<"mul", "d/da = g * b, d/db = g * a",
                           [Commutative]> {
  let summary = "elementwise a * b";
}
def NN_DivOp : NN_BinaryOp<"div", "d/da = g / b, d/db = -g * a / b^2"> {
  let summary = "elementwise a / b";
}
def NN_PowOp : NN_BinaryOp<"pow",
    "d/da = g * b * a^(b-1), d/db = g * a^b * log(a)"> {
  let summary = "elementwise a ** b";
}
def NN_MaxOp : NN_BinaryOp<"max",
    "d/da = g where a >= b, d/db = g where a < b", [Commutative]> {
  let summary = "elementwise maximum";
}
def NN_MinOp : NN_BinaryOp<"min",
    "d/da = g where a <= b, d/db = g where a > b", [Commutative]> {
  let summary = "elementwise minimum";
}

class NN_UnaryOp<string mnemonic, string rule, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [
        SameOperandsAndResultType,
        DeclareOpInterfaceMethods<NN_DifferentiableOpInterface>])> {
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let description = !strconcat([{
    Elementwise. Derivative: }], rule, [{

    Example:
    ```mlir
    %y = nn.}], mnemonic, [{ %x : tensor<?x256xf32>
    ```
  }]);
}

def NN_NegOp : NN_UnaryOp<"neg", "d/dx -x = -g"> {
  let summary = "elementwise negation";
}
def NN_ExpOp : NN_UnaryOp<"exp", "d/dx e^x = g * e^x"> {
  let summary = "elementwise e^x";
}
def NN_LogOp : NN_UnaryOp<"log", "d/dx log x = g / x"> {
  let summary = "elementwise natural logarithm";
}
def NN_SqrtOp : NN_UnaryOp<"sqrt", "d/dx sqrt x = g / (2 sqrt x)"> {
  let summary = "elementwise square root";
}
def NN_TanhOp : NN_UnaryOp<"tanh", "d/dx tanh x = g * (1 - tanh(x)^2)"> {
  let summary = "elementwise hyperbolic tangent";
}
def NN_AbsOp : NN_UnaryOp<"abs", "d/dx |x| = g * sign(x)"> {
  let summary = "elementwise absolute value";
}
def NN_Log1pOp : NN_UnaryOp<"log1p", "d/dx log(1 + x) = g / (1 + x)"> {
  let summary = "elementwise log(1 + x)";
}
def NN_ErfOp : NN_UnaryOp<"erf",
    "d/dx erf x = g * 2/sqrt(pi) * e^(-x^2)"> {
  let summary = "elementwise error function";
}

def NN_CmpPredicateAttr : I64EnumAttr<"CmpPredicate", "comparison", [
    I64EnumAttrCase<"lt", 0>, I64EnumAttrCase<"le", 1>,
    I64EnumAttrCase<"gt", 2>, I64EnumAttrCase<"ge", 3>,
    I64EnumAttrCase<"eq", 4>, I64EnumAttrCase<"ne", 5>]> {
  let cppNamespace = "::nnc::nn";
}

def NN_CmpOp : NN_Op<"cmp", [AllTypesMatch<["lhs", "rhs"]>,
    DeclareOpInterfaceMethods<NN_NonDifferentiableOpInterface>]> {
  let summary = "elementwise comparison";
  let description = [{
    Compares two tensors of one type elementwise into a tensor of i1.
    Not differentiable.

    ```mlir
    %m = nn.cmp gt, %x, %zero : tensor<?x10xf32> -> tensor<?x10xi1>
    ```
  }];
  let arguments = (ins NN_CmpPredicateAttr:$predicate, NN_Tensor:$lhs,
                       NN_Tensor:$rhs);
  let results = (outs NN_BoolTensor:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_SelectOp : NN_Op<"select", [
    AllTypesMatch<["trueValue", "falseValue", "result"]>,
    DeclareOpInterfaceMethods<NN_DifferentiableOpInterface>]> {
  let summary = "elementwise choice: cond ? a : b";
  let description = [{
    Derivative: d/da = g where cond, d/db = g where not cond; none for cond.

    ```mlir
    %r = nn.select %m, %x, %zero : tensor<?x10xi1>, tensor<?x10xf32>
    ```
  }];
  let arguments = (ins NN_BoolTensor:$condition, NN_Tensor:$trueValue,
                       NN_Tensor:$falseValue);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $trueValue `,` $falseValue attr-dict `:` type($condition)
    `,` type($result)
  }];
  let hasVerifier = 1;
}

def NN_CastOp : NN_Op<"cast", [
    DeclareOpInterfaceMethods<NN_DifferentiableOpInterface>]> {
  let summary = "elementwise conversion of the element type";
  let description = [{
    Converts each element (float <-> float, int <-> float, bool -> number).
    Derivative: float to float passes g through converted back; a cast to or
    from an integer type carries no gradient.

    ```mlir
    %f = nn.cast %labels : tensor<?xi64> -> tensor<?xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def NN_MatmulOp : NN_Op<"matmul", [
    DeclareOpInterfaceMethods<NN_DifferentiableOpInterface>]> {
  let summary = "matrix product";
  let description = [{
    `[M, K] x [K, N] -> [M, N]`, or batched `[..., M, K] x [..., K, N]` with
    equal batch dimensions. Derivative: dA = g @ B^T, dB = A^T @ g.

    ```mlir
    %y = nn.matmul %x, %w : tensor<?x784xf32>, tensor<784x256xf32>
           -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class NN_ReduceOp<string mnemonic, string rule, list<Trait> traits = []>
    : NN_Op<mnemonic, traits> {
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$dims,
                       DefaultValuedAttr<BoolAttr, "false">:$keepdim);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `dims` `=` $dims attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let description = !strconcat([{
    Reduces the listed dimensions (all when `dims` lists every dimension);
    with `keepdim` they stay with size 1. Derivative: }], rule, [{

    ```mlir
    %s = nn.}], mnemonic, [{ %x dims = [1] : tensor<?x10xf32> -> tensor<?xf32>
    ```
  }]);
}

def NN_ReduceSumOp : NN_ReduceOp<"reduce_sum",
    "broadcast g back over the reduced dimensions.",
    [DeclareOpInterfaceMethods<NN_DifferentiableOpInterface>]> {
  let summary = "sum over dimensions";
}
def NN_ReduceMaxOp : NN_ReduceOp<"reduce_max",
    "g broadcast back, where the input equals the maximum.",
    [DeclareOpInterfaceMethods<NN_DifferentiableOpInterface>]> {
  let summary = "maximum over dimensions";
}
def NN_ArgmaxOp : NN_ReduceOp<"argmax", "none: indices carry no gradient.",
    [DeclareOpInterfaceMethods<NN_NonDifferentiableOpInterface>]> {
  let summary = "index of the maximum along one dimension (i64)";
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

def NN_BroadcastOp : NN_Op<"broadcast", [
    DeclareOpInterfaceMethods<NN_DifferentiableOpInterface>]> {
  let summary = "broadcast to a larger shape (NumPy rules)";
  let description = [{
    Aligns the input's dimensions with the trailing dimensions of the result;
    an input dimension is either equal to the result's or 1. Dynamic result
    sizes come from `shapeOf`, a tensor whose shape is the result's.
    Derivative: sum g over the broadcast dimensions, reshaped to the input.

    ```mlir
    %b = nn.broadcast %bias like %y : tensor<256xf32> -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, Optional<NN_Tensor>:$shapeOf);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input (`like` $shapeOf^ `:` type($shapeOf))? attr-dict `:` type($input)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_ReshapeOp : NN_Op<"reshape", [
    DeclareOpInterfaceMethods<NN_DifferentiableOpInterface>]> {
  let summary = "same elements in row-major order, new shape";
  let description = [{
    At most one result dimension is dynamic, computed from the element
    count - or any number, when the reshape only inserts or drops dimensions
    of size 1. Derivative: reshape g back to the input's shape.

    ```mlir
    %f = nn.reshape %x : tensor<?x28x28xf32> -> tensor<?x784xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def NN_TransposeOp : NN_Op<"transpose", [
    DeclareOpInterfaceMethods<NN_DifferentiableOpInterface>]> {
  let summary = "permute dimensions";
  let description = [{
    result dim i = input dim perm[i]. Derivative: transpose g by the inverse
    permutation.

    ```mlir
    %t = nn.transpose %w perm = [1, 0] : tensor<256x784xf32> -> tensor<784x256xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `perm` `=` $perm attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_OneHotOp : NN_Op<"one_hot", [
    DeclareOpInterfaceMethods<NN_NonDifferentiableOpInterface>]> {
  let summary = "class ids to one-hot rows";
  let description = [{
    `[..., ] i64 -> [..., C]` float, 1 at the class id. Ids outside 0..C-1
    give a row of zeros (the runtime checks labels against the classes
    before training). Not differentiable.

    ```mlir
    %h = nn.one_hot %y : tensor<?xi64> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins NN_IndexTensor:$indices);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$indices attr-dict `:` type($indices) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Creation
//===----------------------------------------------------------------------===//

def NN_FillOp : NN_Op<"fill", [
    DeclareOpInterfaceMethods<NN_NonDifferentiableOpInterface>]> {
  let summary = "a tensor filled with one value";
  let description = [{
    Dynamic sizes come from `shapeOf`. Constants carry no gradient.

    ```mlir
    %z = nn.fill 0.0 : tensor<256x784xf32>
    %o = nn.fill 1.0 like %x : tensor<?x10xf32> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins F64Attr:$value, Optional<NN_Tensor>:$shapeOf);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $value (`like` $shapeOf^ `:` type($shapeOf) `->`)? attr-dict type($result)
  }];
  let hasVerifier = 1;
}

def NN_RandomDistributionAttr : I64EnumAttr<"RandomDistribution",
    "distribution", [I64EnumAttrCase<"uniform", 0>,
                     I64EnumAttrCase<"normal", 1>]> {
  let cppNamespace = "::nnc::nn";
}

def NN_RandomOp : NN_Op<"random", [
    DeclareOpInterfaceMethods<NN_NonDifferentiableOpInterface>]> {
  let summary = "random numbers from the counter-based generator";
  let description = [{
    uniform in [a, b) or normal(a, b) (mean, std), drawn from Philox with
    the run's seed and this op's `stream`, so values do not depend on the
    number of threads. Not differentiable.

    ```mlir
    %w = nn.random uniform(-0.0357, 0.0357) stream 3 : tensor<256x784xf32>
    ```
  }];
  let arguments = (ins NN_RandomDistributionAttr:$distribution, F64Attr:$a,
                       F64Attr:$b, I64Attr:$stream);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $distribution `(` $a `,` $b `)` `stream` $stream attr-dict `:`
    type($result)
  }];
  let hasVerifier = 1;
}

def NN_DropoutOp : NN_Op<"dropout", [
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<NN_DifferentiableOpInterface>]> {
  let summary = "training-mode dropout with a counter-based mask";
  let description = [{
    Element i of the input is kept, scaled by 1 / (1 - p) (rounded to the
    element type), when the top 24 bits of random word
    (step << 34) + i of stream `stream` (the run's seed; i the row-major
    element index) are at least ceil(p * 2^24), and multiplied by 0
    otherwise: nnc::rt::dropoutMask of runtime/include/nnc/runtime/Rng.h.
    `step` is the optimizer's step count (a 0-d f64 or i64 tensor), so every
    step draws a new mask and a resumed run draws the masks of the
    uninterrupted one. Only training code contains it: MLIRGen emits
    nothing for `dropout` outside the loss of a step.

    Derivative: the op is linear in x for a fixed mask, so d/dx = the same
    op (same p, stream and step) on g; none for step.

    ```mlir
    %y = nn.dropout %x, %t p(0.3) stream 7 : tensor<?x16xf32>, tensor<f64>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_Tensor:$step, F64Attr:$p,
                       I64Attr:$stream);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $step `p` `(` $p `)` `stream` $stream attr-dict `:`
    type($input) `,` type($step)
  }];
  let hasVerifier = 1;
}

#endif // NNC_NN_OPS
