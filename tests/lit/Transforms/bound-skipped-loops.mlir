// RUN: sinter-opt %s --split-input-file --sinter-bound-skipped-loops --canonicalize | FileCheck %s
// RUN: sinter-opt %s --split-input-file --sinter-bound-skipped-loops=lanes=4 --canonicalize | FileCheck %s --check-prefix=VEC

// Causal attention's row max over keys s of query t, marked [t, s] by
// sinter-lower-to-linalg: loops, the keys' loop ending after t, the max
// carried in a register (loaded before, stored after).
// CHECK-LABEL: func.func @masked_row_max
// CHECK: scf.for %[[T:.*]] = %c0 to %c8 step %c1 {
// CHECK-NEXT: %[[NEXT:.*]] = arith.addi %[[T]], %c1 : index
// CHECK-NEXT: %[[END:.*]] = arith.minsi %[[NEXT]], %c8 : index
// CHECK-NEXT: %[[INIT:.*]] = memref.load %arg1[%[[T]]]
// CHECK-NEXT: %[[MAX:.*]] = scf.for %[[S:.*]] = %c0 to %[[END]] step %c1 iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32) {
// CHECK-NEXT: %[[X:.*]] = memref.load %arg0[%[[T]], %[[S]]]
// CHECK-NEXT: %[[NEW:.*]] = arith.maximumf %[[ACC]], %[[X]] : f32
// CHECK-NEXT: scf.yield %[[NEW]] : f32
// CHECK: memref.store %[[MAX]], %arg1[%[[T]]]
// CHECK-NOT: linalg.generic

// With 4 lanes: vectors of 4 keys up to t + 1 rounded up to 4, the keys
// past t masked to -inf, one reduction after the loop.
// VEC: #[[UP:.*]] = affine_map<(d0) -> (((d0 + 3) floordiv 4) * 4)>
// VEC-LABEL: func.func @masked_row_max
// VEC-DAG: %[[LANE:.*]] = arith.constant dense<[0, 1, 2, 3]> : vector<4xi32>
// VEC-DAG: %[[NEGINF:.*]] = arith.constant dense<0xFF800000> : vector<4xf32>
// VEC: %[[END:.*]] = arith.minsi
// VEC-NEXT: %[[INIT:.*]] = memref.load %arg1[%[[T:.*]]]
// VEC-NEXT: %[[BOUND:.*]] = affine.apply #[[UP]](%[[END]])
// VEC-NEXT: %[[ACCS:.*]] = scf.for %[[S:.*]] = %c0 to %[[BOUND]] step %c4 iter_args(%[[ACC:.*]] = %[[NEGINF]]) -> (vector<4xf32>) {
// VEC-NEXT: %[[LEFT:.*]] = arith.subi %[[END]], %[[S]] : index
// VEC-NEXT: %[[HI:.*]] = arith.minsi %[[LEFT]], %c4 : index
// VEC-NEXT: %[[CLAMPED:.*]] = arith.maxsi %[[HI]], %c-1 : index
// VEC-NEXT: %[[NARROW:.*]] = arith.index_cast %[[CLAMPED]] : index to i32
// VEC-NEXT: %[[SPLAT:.*]] = vector.broadcast %[[NARROW]] : i32 to vector<4xi32>
// VEC-NEXT: %[[IN:.*]] = arith.cmpi sgt, %[[SPLAT]], %[[LANE]] : vector<4xi32>
// VEC-NEXT: %[[X:.*]] = vector.load %arg0[%[[T]], %[[S]]] : memref<8x8xf32>, vector<4xf32>
// VEC-NEXT: %[[MASKED:.*]] = arith.select %[[IN]], %[[X]], %[[NEGINF]]
// VEC-NEXT: %[[NEW:.*]] = arith.maximumf %[[ACC]], %[[MASKED]] : vector<4xf32>
// VEC-NEXT: scf.yield %[[NEW]]
// VEC: %[[MAX:.*]] = vector.reduction <maximumf>, %[[ACCS]], %[[INIT]] : vector<4xf32> into f32
// VEC-NEXT: memref.store %[[MAX]], %arg1[%[[T]]]
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
// VEC-LABEL: func.func @unmarked
// VEC-COUNT-2: linalg.generic
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

// With 4 lanes: whole vectors up to t + 1 rounded up (the body's own
// select stores the zeros past t), the zeros' loop from there.
// VEC-LABEL: func.func @weights_zero_past_query
// VEC: %[[BOUND:.*]] = affine.apply #{{.*}}(%{{.*}})
// VEC-NEXT: scf.for %[[S:.*]] = %c0 to %[[BOUND]] step %c4 {
// VEC: math.exp %{{.*}} : vector<4xf32>
// VEC: arith.divf %{{.*}} : vector<4xf32>
// VEC: %[[PAST:.*]] = arith.cmpi slt, %{{.*}}, %{{.*}} : vector<4xi32>
// VEC-NEXT: %[[W:.*]] = arith.select %[[PAST]], %{{.*}}, %{{.*}} : vector<4xi1>, vector<4xf32>
// VEC-NEXT: vector.store %[[W]], %arg2[%{{.*}}, %[[S]]] : memref<8x8xf32>, vector<4xf32>
// VEC: scf.for %{{.*}} = %[[BOUND]] to %c8 step %c1 {
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
// VEC-LABEL: func.func @not_zero_past_query
// VEC-COUNT-2: linalg.generic
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

// -----

// The softmax gradient's sum of y·g over keys up to t: with 4 lanes the
// sum runs in 4 partial sums from -0.0 (the terms past t masked to it),
// added to the running value after the loop, reassociated as marked.
// VEC-LABEL: func.func @masked_row_sum
// VEC: %[[SUMS:.*]] = scf.for {{.*}} -> (vector<4xf32>) {
// VEC: %[[Y:.*]] = vector.load %arg0
// VEC-NEXT: %[[G:.*]] = vector.load %arg1
// VEC-NEXT: %[[YG:.*]] = arith.mulf %[[Y]], %[[G]] : vector<4xf32>
// VEC-NEXT: %[[TERM:.*]] = arith.select %{{.*}}, %[[YG]], %cst
// VEC-NEXT: arith.addf %{{.*}}, %[[TERM]] fastmath<reassoc> : vector<4xf32>
// VEC: vector.reduction <add>, %[[SUMS]], %{{.*}} fastmath<reassoc> : vector<4xf32> into f32
func.func @masked_row_sum(%y: memref<8x8xf32>, %g: memref<8x8xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(t, s) -> (t, s)>, affine_map<(t, s) -> (t, s)>, affine_map<(t, s) -> (t)>],
                  iterator_types = ["parallel", "reduction"]}
    ins(%y, %g : memref<8x8xf32>, memref<8x8xf32>) outs(%s : memref<8xf32>) attrs = {sinter.skip_above = array<i64: 0, 1>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 fastmath<reassoc> : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Rows of 6 keys do not divide into vectors of 4: the sum stays scalar,
// carried in a register.
// VEC-LABEL: func.func @rows_lanes_do_not_divide
// VEC-NOT: vector
// VEC: scf.for {{.*}} iter_args({{.*}}) -> (f32) {
// VEC-NOT: vector
func.func @rows_lanes_do_not_divide(%x: memref<6x6xf32>, %s: memref<6xf32>) {
  linalg.generic {indexing_maps = [affine_map<(t, s) -> (t, s)>, affine_map<(t, s) -> (t)>],
                  iterator_types = ["parallel", "reduction"]}
    ins(%x : memref<6x6xf32>) outs(%s : memref<6xf32>) attrs = {sinter.skip_above = array<i64: 0, 1>} {
  ^bb0(%a: f32, %c: f32):
    %0 = arith.addf %c, %a : f32
    linalg.yield %0 : f32
  }
  return
}
