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

// erf is one rational on x clamped to [-4, 4] (scripts/fit-erf): Horner's
// rule for P (7 terms) and Q (6 terms) in x², x P over Q. No selects: MLIR's
// own approximation picks among three rationals per element.
// CHECK-LABEL: func.func @erf
// CHECK-NOT: arith.select
// CHECK: %[[LOW:.*]] = arith.maximumf %arg0, %{{.*}} : vector<8xf32>
// CHECK: %[[X:.*]] = arith.minimumf %[[LOW]], %{{.*}} : vector<8xf32>
// CHECK: %[[T:.*]] = arith.mulf %[[X]], %[[X]]
// CHECK-COUNT-6: math.fma %{{.*}}, %[[T]], %{{.*}} : vector<8xf32>
// CHECK: %[[XP:.*]] = arith.mulf %[[X]], %{{.*}}
// CHECK-COUNT-5: math.fma %{{.*}}, %[[T]], %{{.*}} : vector<8xf32>
// CHECK: %[[Y:.*]] = arith.divf %[[XP]], %{{.*}} : vector<8xf32>
// CHECK-NOT: arith.select
// CHECK: return %[[Y]]
func.func @erf(%x: vector<8xf32>) -> vector<8xf32> {
  %0 = math.erf %x : vector<8xf32>
  return %0 : vector<8xf32>
}
