// RUN: sinter-opt %s --split-input-file --sinter-bound-skipped-loops --canonicalize | FileCheck %s

// Causal attention's row max over keys s of query t, marked [t, s] by
// sinter-lower-to-linalg: loops, the keys' loop ending after t.
// CHECK-LABEL: func.func @masked_row_max
// CHECK: scf.for %[[T:.*]] = %c0 to %c8 step %c1 {
// CHECK-NEXT: %[[NEXT:.*]] = arith.addi %[[T]], %c1 : index
// CHECK-NEXT: %[[END:.*]] = arith.minsi %[[NEXT]], %c8 : index
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %[[END]] step %c1 {
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
func.func @masked_row_max(%x: memref<8x8xf32>, %m: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(t, s) -> (t, s)>, affine_map<(t, s) -> (t)>],
                  iterator_types = ["parallel", "reduction"]}
    ins(%x : memref<8x8xf32>) outs(%m : memref<8xf32>) attrs = {sinter.skip_above = array<i64: 0, 1>} {
  ^bb0(%a: f32, %c: f32):
    %0 = arith.maximumf %c, %a : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// Unmarked generics, or a skipped loop that is not a reduction, stay.
// CHECK-LABEL: func.func @unmarked
// CHECK-COUNT-2: linalg.generic
func.func @unmarked(%x: memref<8x8xf32>, %m: memref<8xf32>, %y: memref<8x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(t, s) -> (t, s)>, affine_map<(t, s) -> (t)>],
                  iterator_types = ["parallel", "reduction"]}
    ins(%x : memref<8x8xf32>) outs(%m : memref<8xf32>) {
  ^bb0(%a: f32, %c: f32):
    %0 = arith.maximumf %c, %a : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [affine_map<(t, s) -> (t, s)>, affine_map<(t, s) -> (t, s)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%x : memref<8x8xf32>) outs(%y : memref<8x8xf32>) attrs = {sinter.skip_above = array<i64: 0, 1>} {
  ^bb0(%a: f32, %c: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// Causal attention's weights, zero past each query: the keys' loop ends
// after t, and a copy of it from there stores zeros (no exp, no divide).
// CHECK-LABEL: func.func @weights_zero_past_query
// CHECK: scf.for %[[T:.*]] = %c0 to %c8 step %c1 {
// CHECK-NEXT: %[[NEXT:.*]] = arith.addi %[[T]], %c1 : index
// CHECK-NEXT: %[[END:.*]] = arith.minsi %[[NEXT]], %c8 : index
// CHECK-NEXT: scf.for %[[S:.*]] = %c0 to %[[END]] step %c1 {
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: memref.store %{{.*}}, %arg2[%[[T]], %[[S]]]
// CHECK: scf.for %[[Z:.*]] = %[[END]] to %c8 step %c1 {
// CHECK-NEXT: memref.store %cst, %arg2[%[[T]], %[[Z]]]
// CHECK-NEXT: }
// CHECK-NOT: linalg.generic
func.func @weights_zero_past_query(%x: memref<8x8xf32>, %z: memref<8xf32>, %y: memref<8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(t, s) -> (t, s)>, affine_map<(t, s) -> (t)>, affine_map<(t, s) -> (t, s)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%x, %z : memref<8x8xf32>, memref<8xf32>) outs(%y : memref<8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = math.exp %a : f32
    %1 = arith.divf %0, %b : f32
    %t = linalg.index 0 : index
    %s = linalg.index 1 : index
    %past = arith.cmpi ugt, %s, %t : index
    %2 = arith.select %past, %zero, %1 : f32
    linalg.yield %2 : f32
  }
  return
}

// -----

// Not zero past the query (-inf, or the index compared the other way):
// left to convert-linalg-to-loops.
// CHECK-LABEL: func.func @not_zero_past_query
// CHECK-COUNT-2: linalg.generic
func.func @not_zero_past_query(%x: memref<8x8xf32>, %y: memref<8x8xf32>) {
  %inf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(t, s) -> (t, s)>, affine_map<(t, s) -> (t, s)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%x : memref<8x8xf32>) outs(%y : memref<8x8xf32>) {
  ^bb0(%a: f32, %c: f32):
    %t = linalg.index 0 : index
    %s = linalg.index 1 : index
    %past = arith.cmpi ugt, %s, %t : index
    %0 = arith.select %past, %inf, %a : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [affine_map<(t, s) -> (t, s)>, affine_map<(t, s) -> (t, s)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%x : memref<8x8xf32>) outs(%y : memref<8x8xf32>) {
  ^bb0(%a: f32, %c: f32):
    %t = linalg.index 0 : index
    %s = linalg.index 1 : index
    %past = arith.cmpi ugt, %t, %s : index
    %0 = arith.select %past, %zero, %a : f32
    linalg.yield %0 : f32
  }
  return
}
