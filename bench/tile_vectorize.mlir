// Option (a) of the matmul design, kept for reproducibility (bench/README.md):
// linalg.matmul 128x784x256 tiled [TM, TN] then K by 1, vectorized, lowered
// to vector.fma (outer products). Change the tile sizes in the schedule.

func.func @mm(%A: memref<128x784xf32>, %B: memref<784x256xf32>) -> memref<128x256xf32> attributes {llvm.emit_c_interface} {
  %C = memref.alloc() {alignment = 64} : memref<128x256xf32>
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%C : memref<128x256xf32>)
  linalg.matmul ins(%A, %B : memref<128x784xf32>, memref<784x256xf32>) outs(%C : memref<128x256xf32>)
  return %C : memref<128x256xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %fill = transform.structured.match ops{["linalg.fill"]} in %root : (!transform.any_op) -> !transform.any_op
    %tf, %lf:2 = transform.structured.tile_using_for %fill tile_sizes [1, 64] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root : (!transform.any_op) -> !transform.any_op
    %t1, %l1:2 = transform.structured.tile_using_for %mm tile_sizes [8, 32] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %t2, %l2 = transform.structured.tile_using_for %t1 tile_sizes [0, 0, 1] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %f = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    %fv = transform.structured.vectorize_children_and_apply_patterns %f : (!transform.any_op) -> !transform.any_op
    %h = transform.structured.hoist_redundant_vector_transfers %fv : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %h {
      transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.lower_outerproduct
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }
}
