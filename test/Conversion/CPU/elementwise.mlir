// Every elementwise nn op compiled by nnc-cpu-pipeline and run, on tensors of
// dynamic shape ?x4. The expected numbers come from
// Inputs/elementwise_reference.py (pure Python, float32 rounding).
// REQUIRES: mlir-cpu-runner
// RUN: nn-opt %s -nnc-cpu-pipeline | %mlir_cpu_runner | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>)
func.func private @printMemrefF64(memref<*xf64>)
func.func private @printMemrefI64(memref<*xi64>)

func.func @pf(%t: tensor<?x4xf32>) {
  %m = bufferization.to_memref %t : memref<?x4xf32>
  %u = memref.cast %m : memref<?x4xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @pi(%t: tensor<?x4xi64>) {
  %m = bufferization.to_memref %t : memref<?x4xi64>
  %u = memref.cast %m : memref<?x4xi64> to memref<*xi64>
  call @printMemrefI64(%u) : (memref<*xi64>) -> ()
  return
}

func.func @binary(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>,
        tensor<?x4xf32>, tensor<?x4xf32>) {
  %add = nn.add %a, %b : tensor<?x4xf32>
  %sub = nn.sub %a, %b : tensor<?x4xf32>
  %mul = nn.mul %a, %b : tensor<?x4xf32>
  %div = nn.div %a, %b : tensor<?x4xf32>
  %max = nn.max %a, %b : tensor<?x4xf32>
  %min = nn.min %a, %b : tensor<?x4xf32>
  return %add, %sub, %mul, %div, %max, %min : tensor<?x4xf32>, tensor<?x4xf32>,
      tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

func.func @pow(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %p = nn.pow %a, %b : tensor<?x4xf32>
  return %p : tensor<?x4xf32>
}

func.func @unary(%x: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>,
        tensor<?x4xf32>) {
  %neg = nn.neg %x : tensor<?x4xf32>
  %exp = nn.exp %x : tensor<?x4xf32>
  %tanh = nn.tanh %x : tensor<?x4xf32>
  %abs = nn.abs %x : tensor<?x4xf32>
  %erf = nn.erf %x : tensor<?x4xf32>
  return %neg, %exp, %tanh, %abs, %erf : tensor<?x4xf32>, tensor<?x4xf32>,
      tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

func.func @positive(%p: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %log = nn.log %p : tensor<?x4xf32>
  %sqrt = nn.sqrt %p : tensor<?x4xf32>
  %log1p = nn.log1p %p : tensor<?x4xf32>
  return %log, %sqrt, %log1p : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// Each comparison as 0/1 floats (nn.cast from i1), then select.
func.func @compare(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>,
        tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %lt = nn.cmp lt, %a, %b : tensor<?x4xf32> -> tensor<?x4xi1>
  %le = nn.cmp le, %a, %b : tensor<?x4xf32> -> tensor<?x4xi1>
  %gt = nn.cmp gt, %a, %b : tensor<?x4xf32> -> tensor<?x4xi1>
  %ge = nn.cmp ge, %a, %b : tensor<?x4xf32> -> tensor<?x4xi1>
  %eq = nn.cmp eq, %a, %b : tensor<?x4xf32> -> tensor<?x4xi1>
  %ne = nn.cmp ne, %a, %b : tensor<?x4xf32> -> tensor<?x4xi1>
  %flt = nn.cast %lt : tensor<?x4xi1> -> tensor<?x4xf32>
  %fle = nn.cast %le : tensor<?x4xi1> -> tensor<?x4xf32>
  %fgt = nn.cast %gt : tensor<?x4xi1> -> tensor<?x4xf32>
  %fge = nn.cast %ge : tensor<?x4xi1> -> tensor<?x4xf32>
  %feq = nn.cast %eq : tensor<?x4xi1> -> tensor<?x4xf32>
  %fne = nn.cast %ne : tensor<?x4xi1> -> tensor<?x4xf32>
  %sel = nn.select %gt, %a, %b : tensor<?x4xi1>, tensor<?x4xf32>
  return %flt, %fle, %fgt, %fge, %feq, %fne, %sel : tensor<?x4xf32>,
      tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>,
      tensor<?x4xf32>, tensor<?x4xf32>
}

func.func @integer(%a: tensor<?x4xi64>, %b: tensor<?x4xi64>, %e: tensor<?x4xi64>)
    -> (tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>,
        tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>,
        tensor<?x4xi64>, tensor<?x4xi64>) {
  %lt = nn.cmp lt, %a, %b : tensor<?x4xi64> -> tensor<?x4xi1>
  %ilt = nn.cast %lt : tensor<?x4xi1> -> tensor<?x4xi64>
  %add = nn.add %a, %b : tensor<?x4xi64>
  %sub = nn.sub %a, %b : tensor<?x4xi64>
  %mul = nn.mul %a, %b : tensor<?x4xi64>
  %div = nn.div %a, %b : tensor<?x4xi64>
  %pow = nn.pow %a, %e : tensor<?x4xi64>
  %max = nn.max %a, %b : tensor<?x4xi64>
  %min = nn.min %a, %b : tensor<?x4xi64>
  %neg = nn.neg %a : tensor<?x4xi64>
  %abs = nn.abs %a : tensor<?x4xi64>
  return %ilt, %add, %sub, %mul, %div, %pow, %max, %min, %neg, %abs
      : tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>,
        tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>,
        tensor<?x4xi64>, tensor<?x4xi64>
}

func.func @casts(%a: tensor<?x4xf32>, %ia: tensor<?x4xi64>,
                 %z: tensor<?x4xf32>, %h: tensor<?x4xf32>, %w: tensor<?x4xi64>,
                 %f: tensor<?x4xf32>)
    -> (tensor<?x4xi64>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xi64>,
        tensor<?x4xf32>, tensor<?x4xi64>, tensor<?x4xf64>) {
  %fi = nn.cast %a : tensor<?x4xf32> -> tensor<?x4xi64>
  %if = nn.cast %ia : tensor<?x4xi64> -> tensor<?x4xf32>
  %zb = nn.cast %z : tensor<?x4xf32> -> tensor<?x4xi1>
  %zf = nn.cast %zb : tensor<?x4xi1> -> tensor<?x4xf32>
  %ib = nn.cast %ia : tensor<?x4xi64> -> tensor<?x4xi1>
  %ii = nn.cast %ib : tensor<?x4xi1> -> tensor<?x4xi64>
  %h16 = nn.cast %h : tensor<?x4xf32> -> tensor<?x4xf16>
  %h32 = nn.cast %h16 : tensor<?x4xf16> -> tensor<?x4xf32>
  %w32 = nn.cast %w : tensor<?x4xi64> -> tensor<?x4xi32>
  %w64 = nn.cast %w32 : tensor<?x4xi32> -> tensor<?x4xi64>
  %d = nn.cast %f : tensor<?x4xf32> -> tensor<?x4xf64>
  %same = nn.cast %d : tensor<?x4xf64> -> tensor<?x4xf64>
  return %fi, %if, %zf, %ii, %h32, %w64, %same : tensor<?x4xi64>,
      tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xi64>, tensor<?x4xf32>,
      tensor<?x4xi64>, tensor<?x4xf64>
}

func.func @main() {
  %a0 = arith.constant dense<[[0.5, -1.5, 2.0, 3.25], [4.0, -2.5, 0.125, -8.0]]> : tensor<2x4xf32>
  %b0 = arith.constant dense<[[2.0, 0.5, -4.0, 1.5], [-3.0, -2.5, 8.0, 0.75]]> : tensor<2x4xf32>
  %base0 = arith.constant dense<[[2.0, 9.0, 0.5, -2.0], [1.5, 4.0, 10.0, -3.0]]> : tensor<2x4xf32>
  %expo0 = arith.constant dense<[[3.0, 0.5, -1.0, 2.0], [2.0, -0.5, 0.0, 3.0]]> : tensor<2x4xf32>
  %x0 = arith.constant dense<[[0.5, -1.5, 2.0, 3.25], [0.0, -0.25, 1.0, -8.0]]> : tensor<2x4xf32>
  %p0 = arith.constant dense<[[0.5, 1.5, 2.0, 3.25], [1.0e-6, 0.25, 1.0, 8.0]]> : tensor<2x4xf32>
  %ia0 = arith.constant dense<[[7, -7, 3, -2], [0, 5, 100, -9]]> : tensor<2x4xi64>
  %ib0 = arith.constant dense<[[2, 2, 4, 3], [5, -5, 2, 9]]> : tensor<2x4xi64>
  %ie0 = arith.constant dense<[[2, 3, 4, 5], [0, 2, 1, 2]]> : tensor<2x4xi64>
  %z0 = arith.constant dense<[[0.5, 0.0, -0.0, -3.0]]> : tensor<1x4xf32>
  %h0 = arith.constant dense<[[0.1, 65504.0, 65520.0, 1.0e-8]]> : tensor<1x4xf32>
  %w0 = arith.constant dense<[[4294967297, -1, 2147483648, 5]]> : tensor<1x4xi64>
  %d0 = arith.constant dense<[[0.1, -2.5, 3.0, 1.0e-3]]> : tensor<1x4xf32>
  %a = tensor.cast %a0 : tensor<2x4xf32> to tensor<?x4xf32>
  %b = tensor.cast %b0 : tensor<2x4xf32> to tensor<?x4xf32>
  %base = tensor.cast %base0 : tensor<2x4xf32> to tensor<?x4xf32>
  %expo = tensor.cast %expo0 : tensor<2x4xf32> to tensor<?x4xf32>
  %x = tensor.cast %x0 : tensor<2x4xf32> to tensor<?x4xf32>
  %p = tensor.cast %p0 : tensor<2x4xf32> to tensor<?x4xf32>
  %ia = tensor.cast %ia0 : tensor<2x4xi64> to tensor<?x4xi64>
  %ib = tensor.cast %ib0 : tensor<2x4xi64> to tensor<?x4xi64>
  %ie = tensor.cast %ie0 : tensor<2x4xi64> to tensor<?x4xi64>
  %z = tensor.cast %z0 : tensor<1x4xf32> to tensor<?x4xf32>
  %h = tensor.cast %h0 : tensor<1x4xf32> to tensor<?x4xf32>
  %w = tensor.cast %w0 : tensor<1x4xi64> to tensor<?x4xi64>
  %dd = tensor.cast %d0 : tensor<1x4xf32> to tensor<?x4xf32>

  %add, %sub, %mul, %div, %max, %min = call @binary(%a, %b) : (tensor<?x4xf32>, tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
  // CHECK: rank = 2 offset = 0 sizes = [2, 4] strides = [4, 1]
  // add
  // CHECK{LITERAL}: [[2.5, -1, -2, 4.75],
  // CHECK-NEXT{LITERAL}: [1, -5, 8.125, -7.25]]
  call @pf(%add) : (tensor<?x4xf32>) -> ()
  // sub
  // CHECK{LITERAL}: [[-1.5, -2, 6, 1.75],
  // CHECK-NEXT{LITERAL}: [7, 0, -7.875, -8.75]]
  call @pf(%sub) : (tensor<?x4xf32>) -> ()
  // mul
  // CHECK{LITERAL}: [[1, -0.75, -8, 4.875],
  // CHECK-NEXT{LITERAL}: [-12, 6.25, 1, -6]]
  call @pf(%mul) : (tensor<?x4xf32>) -> ()
  // div
  // CHECK{LITERAL}: [[0.25, -3, -0.5, 2.16667],
  // CHECK-NEXT{LITERAL}: [-1.33333, 1, 0.015625, -10.6667]]
  call @pf(%div) : (tensor<?x4xf32>) -> ()
  // max
  // CHECK{LITERAL}: [[2, 0.5, 2, 3.25],
  // CHECK-NEXT{LITERAL}: [4, -2.5, 8, 0.75]]
  call @pf(%max) : (tensor<?x4xf32>) -> ()
  // min
  // CHECK{LITERAL}: [[0.5, -1.5, -4, 1.5],
  // CHECK-NEXT{LITERAL}: [-3, -2.5, 0.125, -8]]
  call @pf(%min) : (tensor<?x4xf32>) -> ()
  %pow = call @pow(%base, %expo) : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  // pow
  // CHECK{LITERAL}: [[8, 3, 2, 4],
  // CHECK-NEXT{LITERAL}: [2.25, 0.5, 1, -27]]
  call @pf(%pow) : (tensor<?x4xf32>) -> ()

  %neg, %exp, %tanh, %abs, %erf = call @unary(%x) : (tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
  // neg
  // CHECK{LITERAL}: [[-0.5, 1.5, -2, -3.25],
  // CHECK-NEXT{LITERAL}: [-0, 0.25, -1, 8]]
  call @pf(%neg) : (tensor<?x4xf32>) -> ()
  // exp
  // CHECK{LITERAL}: [[1.64872, 0.22313, 7.38906, 25.7903],
  // CHECK-NEXT{LITERAL}: [1, 0.778801, 2.71828, 0.000335463]]
  call @pf(%exp) : (tensor<?x4xf32>) -> ()
  // tanh
  // CHECK{LITERAL}: [[0.462117, -0.905148, 0.964028, 0.996998],
  // CHECK-NEXT{LITERAL}: [0, -0.244919, 0.761594, -1]]
  call @pf(%tanh) : (tensor<?x4xf32>) -> ()
  // abs
  // CHECK{LITERAL}: [[0.5, 1.5, 2, 3.25],
  // CHECK-NEXT{LITERAL}: [0, 0.25, 1, 8]]
  call @pf(%abs) : (tensor<?x4xf32>) -> ()
  // erf
  // CHECK{LITERAL}: [[0.5205, -0.966105, 0.995322, 0.999996],
  // CHECK-NEXT{LITERAL}: [0, -0.276326, 0.842701, -1]]
  call @pf(%erf) : (tensor<?x4xf32>) -> ()
  %log, %sqrt, %log1p = call @positive(%p) : (tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
  // log
  // CHECK{LITERAL}: [[-0.693147, 0.405465, 0.693147, 1.17866],
  // CHECK-NEXT{LITERAL}: [-13.8155, -1.38629, 0, 2.07944]]
  call @pf(%log) : (tensor<?x4xf32>) -> ()
  // sqrt
  // CHECK{LITERAL}: [[0.707107, 1.22474, 1.41421, 1.80278],
  // CHECK-NEXT{LITERAL}: [0.001, 0.5, 1, 2.82843]]
  call @pf(%sqrt) : (tensor<?x4xf32>) -> ()
  // log1p(1e-6) is 1e-06, not the 9.53674e-07 of log(1 + x) in f32.
  // log1p
  // CHECK{LITERAL}: [[0.405465, 0.916291, 1.09861, 1.44692],
  // CHECK-NEXT{LITERAL}: [1e-06, 0.223144, 0.693147, 2.19722]]
  call @pf(%log1p) : (tensor<?x4xf32>) -> ()

  %lt, %le, %gt, %ge, %eq, %ne, %sel = call @compare(%a, %b) : (tensor<?x4xf32>, tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
  // cmp lt
  // CHECK{LITERAL}: [[1, 1, 0, 0],
  // CHECK-NEXT{LITERAL}: [0, 0, 1, 1]]
  call @pf(%lt) : (tensor<?x4xf32>) -> ()
  // cmp le
  // CHECK{LITERAL}: [[1, 1, 0, 0],
  // CHECK-NEXT{LITERAL}: [0, 1, 1, 1]]
  call @pf(%le) : (tensor<?x4xf32>) -> ()
  // cmp gt
  // CHECK{LITERAL}: [[0, 0, 1, 1],
  // CHECK-NEXT{LITERAL}: [1, 0, 0, 0]]
  call @pf(%gt) : (tensor<?x4xf32>) -> ()
  // cmp ge
  // CHECK{LITERAL}: [[0, 0, 1, 1],
  // CHECK-NEXT{LITERAL}: [1, 1, 0, 0]]
  call @pf(%ge) : (tensor<?x4xf32>) -> ()
  // cmp eq
  // CHECK{LITERAL}: [[0, 0, 0, 0],
  // CHECK-NEXT{LITERAL}: [0, 1, 0, 0]]
  call @pf(%eq) : (tensor<?x4xf32>) -> ()
  // cmp ne
  // CHECK{LITERAL}: [[1, 1, 1, 1],
  // CHECK-NEXT{LITERAL}: [1, 0, 1, 1]]
  call @pf(%ne) : (tensor<?x4xf32>) -> ()
  // select
  // CHECK{LITERAL}: [[2, 0.5, 2, 3.25],
  // CHECK-NEXT{LITERAL}: [4, -2.5, 8, 0.75]]
  call @pf(%sel) : (tensor<?x4xf32>) -> ()

  %ilt, %iadd, %isub, %imul, %idiv, %ipow, %imax, %imin, %ineg, %iabs = call @integer(%ia, %ib, %ie) : (tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>) -> (tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>, tensor<?x4xi64>)
  // icmp lt
  // CHECK{LITERAL}: [[0, 1, 1, 1],
  // CHECK-NEXT{LITERAL}: [1, 0, 0, 1]]
  call @pi(%ilt) : (tensor<?x4xi64>) -> ()
  // iadd
  // CHECK{LITERAL}: [[9, -5, 7, 1],
  // CHECK-NEXT{LITERAL}: [5, 0, 102, 0]]
  call @pi(%iadd) : (tensor<?x4xi64>) -> ()
  // isub
  // CHECK{LITERAL}: [[5, -9, -1, -5],
  // CHECK-NEXT{LITERAL}: [-5, 10, 98, -18]]
  call @pi(%isub) : (tensor<?x4xi64>) -> ()
  // imul
  // CHECK{LITERAL}: [[14, -14, 12, -6],
  // CHECK-NEXT{LITERAL}: [0, -25, 200, -81]]
  call @pi(%imul) : (tensor<?x4xi64>) -> ()
  // idiv
  // CHECK{LITERAL}: [[3, -3, 0, 0],
  // CHECK-NEXT{LITERAL}: [0, -1, 50, -1]]
  call @pi(%idiv) : (tensor<?x4xi64>) -> ()
  // ipow
  // CHECK{LITERAL}: [[49, -343, 81, -32],
  // CHECK-NEXT{LITERAL}: [1, 25, 100, 81]]
  call @pi(%ipow) : (tensor<?x4xi64>) -> ()
  // imax
  // CHECK{LITERAL}: [[7, 2, 4, 3],
  // CHECK-NEXT{LITERAL}: [5, 5, 100, 9]]
  call @pi(%imax) : (tensor<?x4xi64>) -> ()
  // imin
  // CHECK{LITERAL}: [[2, -7, 3, -2],
  // CHECK-NEXT{LITERAL}: [0, -5, 2, -9]]
  call @pi(%imin) : (tensor<?x4xi64>) -> ()
  // ineg
  // CHECK{LITERAL}: [[-7, 7, -3, 2],
  // CHECK-NEXT{LITERAL}: [0, -5, -100, 9]]
  call @pi(%ineg) : (tensor<?x4xi64>) -> ()
  // iabs
  // CHECK{LITERAL}: [[7, 7, 3, 2],
  // CHECK-NEXT{LITERAL}: [0, 5, 100, 9]]
  call @pi(%iabs) : (tensor<?x4xi64>) -> ()

  %fi, %if, %zf, %ii, %h32, %w64, %f64 = call @casts(%a, %ia, %z, %h, %w, %dd) : (tensor<?x4xf32>, tensor<?x4xi64>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xi64>, tensor<?x4xf32>) -> (tensor<?x4xi64>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xi64>, tensor<?x4xf32>, tensor<?x4xi64>, tensor<?x4xf64>)
  // f32->i64
  // CHECK{LITERAL}: [[0, -1, 2, 3],
  // CHECK-NEXT{LITERAL}: [4, -2, 0, -8]]
  call @pi(%fi) : (tensor<?x4xi64>) -> ()
  // i64->f32
  // CHECK{LITERAL}: [[7, -7, 3, -2],
  // CHECK-NEXT{LITERAL}: [0, 5, 100, -9]]
  call @pf(%if) : (tensor<?x4xf32>) -> ()
  // f32->i1
  // CHECK{LITERAL}: [[1, 0, 0, 1]]
  call @pf(%zf) : (tensor<?x4xf32>) -> ()
  // i64->i1
  // CHECK{LITERAL}: [[1, 1, 1, 1],
  // CHECK-NEXT{LITERAL}: [0, 1, 1, 1]]
  call @pi(%ii) : (tensor<?x4xi64>) -> ()
  // f32->f16
  // CHECK{LITERAL}: [[0.0999756, 65504, inf, 0]]
  call @pf(%h32) : (tensor<?x4xf32>) -> ()
  // i64->i32
  // CHECK{LITERAL}: [[1, -1, -2147483648, 5]]
  call @pi(%w64) : (tensor<?x4xi64>) -> ()
  // f32->f64
  // CHECK{LITERAL}: [[0.1, -2.5, 3, 0.001]]
  %fm = bufferization.to_memref %f64 : memref<?x4xf64>
  %fu = memref.cast %fm : memref<?x4xf64> to memref<*xf64>
  call @printMemrefF64(%fu) : (memref<*xf64>) -> ()
  return
}
