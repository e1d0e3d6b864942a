// The matrix products of one training step of examples/fashion_mnist/mlp.nn
// (784-256-10, batch 128), written as nnc emits them: weights stored
// [out, in] and used through nn.transpose, the batch dimension dynamic.
// bench/matmul.sh compiles this with nnc-cpu-pipeline and times each
// function from bench/matmul_main.cpp.

// [128,784] x [784,256]: x @ W1^T
func.func @fc1(%x: tensor<?x784xf32>, %w: tensor<256x784xf32>) -> tensor<?x256xf32> attributes {llvm.emit_c_interface} {
  %t = nn.transpose %w perm = [1, 0] : tensor<256x784xf32> -> tensor<784x256xf32>
  %y = nn.matmul %x, %t : tensor<?x784xf32>, tensor<784x256xf32> -> tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}

// [128,256] x [256,10]: h @ W2^T
func.func @fc2(%h: tensor<?x256xf32>, %w: tensor<10x256xf32>) -> tensor<?x10xf32> attributes {llvm.emit_c_interface} {
  %t = nn.transpose %w perm = [1, 0] : tensor<10x256xf32> -> tensor<256x10xf32>
  %y = nn.matmul %h, %t : tensor<?x256xf32>, tensor<256x10xf32> -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// [784,128] x [128,256]: x^T @ g1
func.func @dw1(%x: tensor<?x784xf32>, %g: tensor<?x256xf32>) -> tensor<784x256xf32> attributes {llvm.emit_c_interface} {
  %t = nn.transpose %x perm = [1, 0] : tensor<?x784xf32> -> tensor<784x?xf32>
  %y = nn.matmul %t, %g : tensor<784x?xf32>, tensor<?x256xf32> -> tensor<784x256xf32>
  return %y : tensor<784x256xf32>
}

// [128,256] x [256,784]: g1 @ W1
func.func @dx(%g: tensor<?x256xf32>, %w: tensor<256x784xf32>) -> tensor<?x784xf32> attributes {llvm.emit_c_interface} {
  %y = nn.matmul %g, %w : tensor<?x256xf32>, tensor<256x784xf32> -> tensor<?x784xf32>
  return %y : tensor<?x784xf32>
}

// [256,128] x [128,10]: h^T @ g2
func.func @dw2(%h: tensor<?x256xf32>, %g: tensor<?x10xf32>) -> tensor<256x10xf32> attributes {llvm.emit_c_interface} {
  %t = nn.transpose %h perm = [1, 0] : tensor<?x256xf32> -> tensor<256x?xf32>
  %y = nn.matmul %t, %g : tensor<256x?xf32>, tensor<?x10xf32> -> tensor<256x10xf32>
  return %y : tensor<256x10xf32>
}

// [128,10] x [10,256]: g2 @ W2
func.func @dh(%g: tensor<?x10xf32>, %w: tensor<10x256xf32>) -> tensor<?x256xf32> attributes {llvm.emit_c_interface} {
  %y = nn.matmul %g, %w : tensor<?x10xf32>, tensor<10x256xf32> -> tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}
