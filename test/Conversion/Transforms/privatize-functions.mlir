// nnc-privatize-functions: every defined function not named in `keep`
// becomes private; declarations and the kept ones keep their visibility.
// RUN: nn-opt %s -nnc-privatize-functions="keep=main,config" | FileCheck %s
// RUN: nn-opt %s -nnc-privatize-functions | FileCheck %s --check-prefix=NONE

// CHECK-LABEL: func.func private @step(
// NONE-LABEL: func.func private @step(
func.func @step(%x: f32) -> f32 {
  return %x : f32
}
// CHECK-LABEL: func.func @main(
// NONE-LABEL: func.func private @main(
func.func @main(%x: f32) -> f32 {
  %y = func.call @step(%x) : (f32) -> f32
  return %y : f32
}
// CHECK-LABEL: func.func @config(
func.func @config() {
  return
}
// A runtime entry point stays a public declaration.
// CHECK: func.func private @nnc_rt_init(i64)
func.func private @nnc_rt_init(i64)
