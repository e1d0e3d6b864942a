// The shape and creation ops compiled and run: nn.broadcast (rows, columns,
// scalars, new dimensions; dynamic sizes from `like`), nn.reshape (one
// expand, one collapse, through one dimension, a dynamic size computed from
// the element count, to and from rank 0), nn.transpose, nn.one_hot and
// nn.fill. Expected numbers: Inputs/structured_reference.py.
// REQUIRES: mlir-cpu-runner
// RUN: nn-opt %s -nnc-cpu-pipeline | %mlir_cpu_runner | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>)
func.func private @printMemrefI64(memref<*xi64>)

func.func @pf(%t: tensor<*xf32>) {
  %m = bufferization.to_memref %t : memref<*xf32>
  call @printMemrefF32(%m) : (memref<*xf32>) -> ()
  return
}

func.func @broadcasts(%bias: tensor<3xf32>, %col: tensor<?x1xf32>,
                      %s: tensor<f32>, %like: tensor<?x3xf32>,
                      %like3: tensor<2x?x3xf32>)
    -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<2x3xf32>, tensor<2x?x3xf32>) {
  %row = nn.broadcast %bias like %like : tensor<?x3xf32> : tensor<3xf32> -> tensor<?x3xf32>
  %cols = nn.broadcast %col like %like : tensor<?x3xf32> : tensor<?x1xf32> -> tensor<?x3xf32>
  %sc = nn.broadcast %s : tensor<f32> -> tensor<2x3xf32>
  %b1 = nn.reshape %bias : tensor<3xf32> -> tensor<1x3xf32>
  %r3 = nn.broadcast %b1 like %like3 : tensor<2x?x3xf32> : tensor<1x3xf32> -> tensor<2x?x3xf32>
  return %row, %cols, %sc, %r3 : tensor<?x3xf32>, tensor<?x3xf32>, tensor<2x3xf32>, tensor<2x?x3xf32>
}

func.func @reshapes(%a: tensor<?x6xf32>, %b: tensor<?x2x3xf32>, %c: tensor<2x3xf32>,
                    %d: tensor<?x4xf32>, %e: tensor<?x3xf32>, %s: tensor<f32>)
    -> (tensor<?x2x3xf32>, tensor<?x6xf32>, tensor<3x2xf32>, tensor<2x?xf32>,
        tensor<?xf32>, tensor<1x1xf32>, tensor<f32>) {
  %expand = nn.reshape %a : tensor<?x6xf32> -> tensor<?x2x3xf32>
  %collapse = nn.reshape %b : tensor<?x2x3xf32> -> tensor<?x6xf32>
  %general = nn.reshape %c : tensor<2x3xf32> -> tensor<3x2xf32>
  %divide = nn.reshape %d : tensor<?x4xf32> -> tensor<2x?xf32>
  %flatten = nn.reshape %e : tensor<?x3xf32> -> tensor<?xf32>
  %scalar = nn.reshape %s : tensor<f32> -> tensor<1x1xf32>
  %unscalar = nn.reshape %scalar : tensor<1x1xf32> -> tensor<f32>
  return %expand, %collapse, %general, %divide, %flatten, %scalar, %unscalar
      : tensor<?x2x3xf32>, tensor<?x6xf32>, tensor<3x2xf32>, tensor<2x?xf32>,
        tensor<?xf32>, tensor<1x1xf32>, tensor<f32>
}

// A static size becoming dynamic and the other way round.
func.func @reshapes_mixed(%a: tensor<6xf32>, %b: tensor<?xf32>)
    -> (tensor<2x?xf32>, tensor<2x3xf32>) {
  %0 = nn.reshape %a : tensor<6xf32> -> tensor<2x?xf32>
  %1 = nn.reshape %b : tensor<?xf32> -> tensor<2x3xf32>
  return %0, %1 : tensor<2x?xf32>, tensor<2x3xf32>
}

func.func @transposes(%a: tensor<?x3xf32>, %b: tensor<2x?x4xf32>)
    -> (tensor<3x?xf32>, tensor<4x2x?xf32>) {
  %t = nn.transpose %a perm = [1, 0] : tensor<?x3xf32> -> tensor<3x?xf32>
  %t3 = nn.transpose %b perm = [2, 0, 1] : tensor<2x?x4xf32> -> tensor<4x2x?xf32>
  return %t, %t3 : tensor<3x?xf32>, tensor<4x2x?xf32>
}

// Labels outside 0..C-1 give a row of zeros.
func.func @one_hots(%y: tensor<?xi64>, %z: tensor<?x2xi32>)
    -> (tensor<?x3xf32>, tensor<?x2x3xf32>) {
  %h = nn.one_hot %y : tensor<?xi64> -> tensor<?x3xf32>
  %h2 = nn.one_hot %z : tensor<?x2xi32> -> tensor<?x2x3xf32>
  return %h, %h2 : tensor<?x3xf32>, tensor<?x2x3xf32>
}

func.func @fills(%like: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<2xi64>) {
  %f = nn.fill 2.5 like %like : tensor<?x3xf32> -> tensor<?x3xf32>
  %i = nn.fill 7.0 tensor<2xi64>
  return %f, %i : tensor<?x3xf32>, tensor<2xi64>
}

func.func @main() {
  %bias = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %col0 = arith.constant dense<[[10.0], [20.0]]> : tensor<2x1xf32>
  %s = arith.constant dense<7.5> : tensor<f32>
  %like0 = arith.constant dense<0.0> : tensor<2x3xf32>
  %like30 = arith.constant dense<0.0> : tensor<2x2x3xf32>
  %col = tensor.cast %col0 : tensor<2x1xf32> to tensor<?x1xf32>
  %like = tensor.cast %like0 : tensor<2x3xf32> to tensor<?x3xf32>
  %like3 = tensor.cast %like30 : tensor<2x2x3xf32> to tensor<2x?x3xf32>
  %row, %cols, %sc, %r3 = call @broadcasts(%bias, %col, %s, %like, %like3)
      : (tensor<3xf32>, tensor<?x1xf32>, tensor<f32>, tensor<?x3xf32>, tensor<2x?x3xf32>)
      -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<2x3xf32>, tensor<2x?x3xf32>)
  %rowu = tensor.cast %row : tensor<?x3xf32> to tensor<*xf32>
  %colsu = tensor.cast %cols : tensor<?x3xf32> to tensor<*xf32>
  %scu = tensor.cast %sc : tensor<2x3xf32> to tensor<*xf32>
  %r3u = tensor.cast %r3 : tensor<2x?x3xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 3]
  // CHECK{LITERAL}: [[1, 2, 3],
  // CHECK-NEXT{LITERAL}: [1, 2, 3]]
  call @pf(%rowu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 3]
  // CHECK{LITERAL}: [[10, 10, 10],
  // CHECK-NEXT{LITERAL}: [20, 20, 20]]
  call @pf(%colsu) : (tensor<*xf32>) -> ()
  // CHECK{LITERAL}: [[7.5, 7.5, 7.5],
  // CHECK-NEXT{LITERAL}: [7.5, 7.5, 7.5]]
  call @pf(%scu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 2, 3]
  // CHECK{LITERAL}: [[[1, 2, 3],
  // CHECK-NEXT{LITERAL}: [1, 2, 3]],
  // CHECK-NEXT{LITERAL}: [[1, 2, 3],
  // CHECK-NEXT{LITERAL}: [1, 2, 3]]]
  call @pf(%r3u) : (tensor<*xf32>) -> ()

  %iota = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]]> : tensor<2x6xf32>
  %a = tensor.cast %iota : tensor<2x6xf32> to tensor<?x6xf32>
  %b0 = arith.constant dense<[[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], [[6.0, 7.0, 8.0], [9.0, 10.0, 11.0]]]> : tensor<2x2x3xf32>
  %b = tensor.cast %b0 : tensor<2x2x3xf32> to tensor<?x2x3xf32>
  %c = arith.constant dense<[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]> : tensor<2x3xf32>
  %d0 = arith.constant dense<[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]> : tensor<3x4xf32>
  %d = tensor.cast %d0 : tensor<3x4xf32> to tensor<?x4xf32>
  %e = tensor.cast %c : tensor<2x3xf32> to tensor<?x3xf32>
  %sv = arith.constant dense<4.5> : tensor<f32>
  %expand, %collapse, %general, %divide, %flatten, %scalar, %unscalar = call @reshapes(%a, %b, %c, %d, %e, %sv)
      : (tensor<?x6xf32>, tensor<?x2x3xf32>, tensor<2x3xf32>, tensor<?x4xf32>, tensor<?x3xf32>, tensor<f32>)
      -> (tensor<?x2x3xf32>, tensor<?x6xf32>, tensor<3x2xf32>, tensor<2x?xf32>, tensor<?xf32>, tensor<1x1xf32>, tensor<f32>)
  %expandu = tensor.cast %expand : tensor<?x2x3xf32> to tensor<*xf32>
  %collapseu = tensor.cast %collapse : tensor<?x6xf32> to tensor<*xf32>
  %generalu = tensor.cast %general : tensor<3x2xf32> to tensor<*xf32>
  %divideu = tensor.cast %divide : tensor<2x?xf32> to tensor<*xf32>
  %flattenu = tensor.cast %flatten : tensor<?xf32> to tensor<*xf32>
  %scalaru = tensor.cast %scalar : tensor<1x1xf32> to tensor<*xf32>
  %unscalaru = tensor.cast %unscalar : tensor<f32> to tensor<*xf32>
  // CHECK: sizes = [2, 2, 3]
  // CHECK{LITERAL}: [[[0, 1, 2],
  // CHECK-NEXT{LITERAL}: [3, 4, 5]],
  // CHECK-NEXT{LITERAL}: [[6, 7, 8],
  // CHECK-NEXT{LITERAL}: [9, 10, 11]]]
  call @pf(%expandu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 6]
  // CHECK{LITERAL}: [[0, 1, 2, 3, 4, 5],
  // CHECK-NEXT{LITERAL}: [6, 7, 8, 9, 10, 11]]
  call @pf(%collapseu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [3, 2]
  // CHECK{LITERAL}: [[0, 1],
  // CHECK-NEXT{LITERAL}: [2, 3],
  // CHECK-NEXT{LITERAL}: [4, 5]]
  call @pf(%generalu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 6]
  // CHECK{LITERAL}: [[0, 1, 2, 3, 4, 5],
  // CHECK-NEXT{LITERAL}: [6, 7, 8, 9, 10, 11]]
  call @pf(%divideu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [6]
  // CHECK{LITERAL}: [0, 1, 2, 3, 4, 5]
  call @pf(%flattenu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [1, 1]
  // CHECK{LITERAL}: [[4.5]]
  call @pf(%scalaru) : (tensor<*xf32>) -> ()
  // CHECK: rank = 0
  // CHECK{LITERAL}: [4.5]
  call @pf(%unscalaru) : (tensor<*xf32>) -> ()

  %six = arith.constant dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]> : tensor<6xf32>
  %sixd = tensor.cast %six : tensor<6xf32> to tensor<?xf32>
  %m0, %m1 = call @reshapes_mixed(%six, %sixd) : (tensor<6xf32>, tensor<?xf32>) -> (tensor<2x?xf32>, tensor<2x3xf32>)
  %m0u = tensor.cast %m0 : tensor<2x?xf32> to tensor<*xf32>
  %m1u = tensor.cast %m1 : tensor<2x3xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT{LITERAL}: [[0, 1, 2],
  // CHECK-NEXT{LITERAL}: [3, 4, 5]]
  call @pf(%m0u) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT{LITERAL}: [[0, 1, 2],
  // CHECK-NEXT{LITERAL}: [3, 4, 5]]
  call @pf(%m1u) : (tensor<*xf32>) -> ()

  %t30 = arith.constant dense<[[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]],
      [[12.0, 13.0, 14.0, 15.0], [16.0, 17.0, 18.0, 19.0], [20.0, 21.0, 22.0, 23.0]]]> : tensor<2x3x4xf32>
  %t3in = tensor.cast %t30 : tensor<2x3x4xf32> to tensor<2x?x4xf32>
  %t, %t3 = call @transposes(%e, %t3in) : (tensor<?x3xf32>, tensor<2x?x4xf32>) -> (tensor<3x?xf32>, tensor<4x2x?xf32>)
  %tu = tensor.cast %t : tensor<3x?xf32> to tensor<*xf32>
  %t3u = tensor.cast %t3 : tensor<4x2x?xf32> to tensor<*xf32>
  // CHECK: sizes = [3, 2]
  // CHECK{LITERAL}: [[0, 3],
  // CHECK-NEXT{LITERAL}: [1, 4],
  // CHECK-NEXT{LITERAL}: [2, 5]]
  call @pf(%tu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [4, 2, 3]
  // CHECK{LITERAL}: [[[0, 4, 8],
  // CHECK-NEXT{LITERAL}: [12, 16, 20]],
  // CHECK-NEXT{LITERAL}: [[1, 5, 9],
  // CHECK-NEXT{LITERAL}: [13, 17, 21]],
  // CHECK-NEXT{LITERAL}: [[2, 6, 10],
  // CHECK-NEXT{LITERAL}: [14, 18, 22]],
  // CHECK-NEXT{LITERAL}: [[3, 7, 11],
  // CHECK-NEXT{LITERAL}: [15, 19, 23]]]
  call @pf(%t3u) : (tensor<*xf32>) -> ()

  %y0 = arith.constant dense<[0, 2, -1, 3, 1]> : tensor<5xi64>
  %y = tensor.cast %y0 : tensor<5xi64> to tensor<?xi64>
  %z0 = arith.constant dense<[[1, 0], [2, 2]]> : tensor<2x2xi32>
  %z = tensor.cast %z0 : tensor<2x2xi32> to tensor<?x2xi32>
  %h, %h2 = call @one_hots(%y, %z) : (tensor<?xi64>, tensor<?x2xi32>) -> (tensor<?x3xf32>, tensor<?x2x3xf32>)
  %hu = tensor.cast %h : tensor<?x3xf32> to tensor<*xf32>
  %h2u = tensor.cast %h2 : tensor<?x2x3xf32> to tensor<*xf32>
  // CHECK: sizes = [5, 3]
  // CHECK{LITERAL}: [[1, 0, 0],
  // CHECK-NEXT{LITERAL}: [0, 0, 1],
  // CHECK-NEXT{LITERAL}: [0, 0, 0],
  // CHECK-NEXT{LITERAL}: [0, 0, 0],
  // CHECK-NEXT{LITERAL}: [0, 1, 0]]
  call @pf(%hu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 2, 3]
  // CHECK{LITERAL}: [[[0, 1, 0],
  // CHECK-NEXT{LITERAL}: [1, 0, 0]],
  // CHECK-NEXT{LITERAL}: [[0, 0, 1],
  // CHECK-NEXT{LITERAL}: [0, 0, 1]]]
  call @pf(%h2u) : (tensor<*xf32>) -> ()

  %f, %i = call @fills(%like) : (tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<2xi64>)
  %fu = tensor.cast %f : tensor<?x3xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 3]
  // CHECK{LITERAL}: [[2.5, 2.5, 2.5],
  // CHECK-NEXT{LITERAL}: [2.5, 2.5, 2.5]]
  call @pf(%fu) : (tensor<*xf32>) -> ()
  %im = bufferization.to_memref %i : memref<2xi64>
  %iu = memref.cast %im : memref<2xi64> to memref<*xi64>
  // CHECK{LITERAL}: [7, 7]
  call @printMemrefI64(%iu) : (memref<*xi64>) -> ()
  return
}
