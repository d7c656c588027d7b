// RUN: sinter-opt %s --sinter-approximate-math | FileCheck %s

// GELU's erf, softmax's exp, a loss's log and tanh become arith
// polynomials: no libm call is left to keep the loop from vectorizing.
// Square root has an instruction and stays.
// CHECK-LABEL: func.func @transcendentals
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK-NOT: math.tanh
// CHECK: math.fma
// CHECK: math.sqrt
func.func @transcendentals(%x: f32) -> (f32, f32, f32, f32, f32) {
  %0 = math.erf %x : f32
  %1 = math.exp %x : f32
  %2 = math.log %x : f32
  %3 = math.tanh %x : f32
  %4 = math.sqrt %x : f32
  return %0, %1, %2, %3, %4 : f32, f32, f32, f32, f32
}
