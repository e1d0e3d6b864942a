// nnc-functions-first: the module's functions move, in their order, before
// its globals, so that a callee lookup scans few ops.
// RUN: nn-opt %s -nnc-functions-first | FileCheck %s

// CHECK: module {
// CHECK-NEXT: func.func private @first(
// CHECK: func.func @second(
// CHECK: memref.global "private" @a
// CHECK-NEXT: memref.global "private" @b
memref.global "private" @a : memref<f32>
func.func private @first(memref<f32>)
memref.global "private" @b : memref<f32>
func.func @second() {
  %a = memref.get_global @a : memref<f32>
  func.call @first(%a) : (memref<f32>) -> ()
  return
}
