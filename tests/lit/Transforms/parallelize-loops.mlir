// RUN: sinter-opt %s --split-input-file --sinter-parallelize-loops=min-iterations=1000 --canonicalize | FileCheck %s

// An elementwise op: its outer loop parallel, the inner one sequential (one
// dimension only, so the inner loop stays a plain vectorizable loop).
// CHECK-LABEL: func.func @elementwise
// CHECK: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK-NEXT: scf.for %[[J:.*]] = %{{.*}} to %c64 step %{{.*}} {
// CHECK: memref.load %arg0[%[[I]], %[[J]]]
// CHECK: arith.maximumf
// CHECK: memref.store
// CHECK-NOT: linalg.generic
func.func @elementwise(%x: memref<?x64xf32>, %y: memref<?x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x64xf32>) outs(%y : memref<?x64xf32>) {
  ^bb0(%a: f32, %b: f32):
    %zero = arith.constant 0.0 : f32
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// dW = xᵀ·dy sums over the batch in its outer loop: the first parallel
// loop (m) moves outermost; each dW[m, n] still sums over k in order.
// CHECK-LABEL: func.func @weight_gradient
// CHECK: scf.parallel (%[[M:.*]]) = (%{{.*}}) to (%c32) step (%{{.*}}) {
// CHECK-NEXT: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[N:.*]] = %{{.*}} to %c64 step %{{.*}} {
// CHECK: memref.load %arg0[%[[K]], %[[M]]]
// CHECK: memref.load %arg1[%[[K]], %[[N]]]
// CHECK: memref.store %{{.*}}, %arg2[%[[M]], %[[N]]]
func.func @weight_gradient(%x: memref<?x32xf32>, %dy: memref<?x64xf32>, %dw: memref<32x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(k, m, n) -> (k, m)>, affine_map<(k, m, n) -> (k, n)>,
                                   affine_map<(k, m, n) -> (m, n)>],
                  iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %dy : memref<?x32xf32>, memref<?x64xf32>) outs(%dw : memref<32x64xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left alone: a full reduction (one sum, never split) and an op below the
// threshold.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK-NOT: scf.parallel
func.func @left_alone(%x: memref<4096xf32>, %sum: memref<f32>, %small: memref<16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%x : memref<4096xf32>) outs(%sum : memref<f32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      outs(%small : memref<16xf32>) {
  ^bb0(%b: f32):
    %s = arith.addf %b, %b : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A dynamic size counts as a batch of 32, times the static sizes merged
// into it: [?, 28, 28] collapsed to [?] is 25088 rows (parallel), a plain
// [?] only 32 (left alone, 32 x 8 < 1000).
// CHECK-LABEL: func.func @merged_batch
// CHECK: scf.parallel
// CHECK: memref.load %[[C:.*]][
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
func.func @merged_batch(%x: memref<?x28x28x8xf32>, %y: memref<?x8xf32>, %z: memref<?x8xf32>) {
  %c = memref.collapse_shape %x [[0, 1, 2], [3]] : memref<?x28x28x8xf32> into memref<?x8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<?x8xf32>) outs(%y : memref<?x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      outs(%z : memref<?x8xf32>) {
  ^bb0(%b: f32):
    %s = arith.addf %b, %b : f32
    linalg.yield %s : f32
  }
  return
}
