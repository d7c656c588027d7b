// RUN: sinter-opt %s --split-input-file --sinter-parallelize-loops=min-iterations=1000 --canonicalize | FileCheck %s
// RUN: sinter-opt %s --split-input-file --sinter-parallelize-loops=min-iterations=1 | FileCheck %s --check-prefix=ONE

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

// dW = xᵀ·dy sums over the batch in its outer loop: blocks of 16 rows of
// dW (m) run on threads, each the op on its block with its loops in their
// order (k, then n innermost and contiguous); each dW[m, n] still sums
// over k in order.
// CHECK-LABEL: func.func @weight_gradient
// CHECK: scf.parallel (%[[M:.*]]) = (%c0) to (%c32) step (%c16) {
// CHECK: memref.subview %arg0[0, %[[M]]] [%{{.*}}, 16] [1, 1]
// CHECK: memref.subview %arg2[%[[M]], 0] [16, 64] [1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "parallel"]
// CHECK-NOT: scf.parallel
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

// -----

// A column sum (a bias gradient over 2048 rows of 512): blocks of 64
// columns on threads, the rows summed outside each block's contiguous
// columns.
// CHECK-LABEL: func.func @column_sum
// CHECK: scf.parallel (%[[J:.*]]) = (%c0) to (%c512) step (%c64) {
// CHECK: memref.subview %arg0[0, %[[J]]] [2048, 64] [1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
func.func @column_sum(%x: memref<2048x512xf32>, %sum: memref<512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<2048x512xf32>) outs(%sum : memref<512xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %b, %a : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A large op over 6 channels: its loops are sinter-vectorize-narrow-ops'
// (a masked vector<8> a position), the outermost one parallel.
// CHECK-LABEL: func.func @narrow
// CHECK: scf.parallel (%[[N:.*]]) = (%c0) to (%{{.*}}) step (%c1) {
// CHECK-NEXT: scf.for %[[P:.*]] = %c0 to %c784 step %c1 {
// CHECK-NEXT: %[[X:.*]] = vector.maskedload %arg0[%[[N]], %[[P]], %c0]{{.*}} into vector<8xf32>
// CHECK: vector.maskedstore %arg2[%[[N]], %[[P]], %c0]
// CHECK-NOT: linalg.generic
func.func @narrow(%x: memref<?x784x6xf32>, %b: memref<6xf32>, %y: memref<?x784x6xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, p, c) -> (n, p, c)>, affine_map<(n, p, c) -> (c)>,
                                   affine_map<(n, p, c) -> (n, p, c)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %b : memref<?x784x6xf32>, memref<6xf32>) outs(%y : memref<?x784x6xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A copy into a pad's interior (rows of 16 channels, 18 to a padded row)
// takes the narrow path as a generic: a vector a position, not a loop of
// 16 floats that LLVM left scalar or gathered.
// CHECK-LABEL: func.func @copy_into_pad
// CHECK: scf.parallel (%[[N:.*]]) = (%c0) to (%{{.*}}) step (%c1) {
// CHECK: %[[V:.*]] = vector.load %arg0[%[[N]], %{{.*}}, %{{.*}}, %c0] : memref<?x16x16x16xf32>, vector<16xf32>
// CHECK: vector.store %[[V]], %arg1[%[[N]], %{{.*}}, %{{.*}}, %c0] : memref<?x16x16x16xf32, strided<[5184, 288, 16, 1], offset: 304>>, vector<16xf32>
// CHECK-NOT: linalg.copy
func.func @copy_into_pad(%x: memref<?x16x16x16xf32>, %pad: memref<?x16x16x16xf32, strided<[5184, 288, 16, 1], offset: 304>>) {
  linalg.copy ins(%x : memref<?x16x16x16xf32>) outs(%pad : memref<?x16x16x16xf32, strided<[5184, 288, 16, 1], offset: 304>>)
  return
}

// -----

// Sums of 3 rows of 8192: the rows on threads, each row's sum in one
// iteration. Three trips are too few for the threads alone, but the band
// takes no sum's loop: its trips would write one result from two threads
// (3 x 8192 split in two halves splits row 1).
// CHECK-LABEL: func.func @row_sums
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c3) step (%c1) {
// CHECK-NEXT: scf.for %[[J:.*]] = %c0 to %c8192 step %c1 {
// CHECK: memref.load %arg0[%[[I]], %[[J]]]
func.func @row_sums(%x: memref<3x8192xf32>, %s: memref<3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
    ins(%x : memref<3x8192xf32>) outs(%s : memref<3xf32>) {
  ^bb0(%a: f32, %b: f32):
    %0 = arith.addf %b, %a : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// A bias gradient of 6 channels, large with min-iterations=1, its loops
// in (channel, batch) order: narrow, its row a masked vector, the batch
// sum the only loop, which stays sequential (the pass made the sum's
// loop parallel, dropped the sum, and crashed).
// ONE-LABEL: func.func @single_row
// ONE-NOT: scf.parallel
// ONE: scf.for
// ONE: vector.maskedload %arg0
// ONE: vector.maskedstore %arg1
func.func @single_row(%x: memref<5x6xf32>, %y: memref<6xf32>) {
  linalg.generic {indexing_maps = [affine_map<(c, n) -> (n, c)>, affine_map<(c, n) -> (c)>],
                  iterator_types = ["parallel", "reduction"]}
    ins(%x : memref<5x6xf32>) outs(%y : memref<6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A transposing copy of a 5 x 6 kernel, large with min-iterations=1: one
// block transposed in registers, no loop at all (the pass took the first
// of no loops and crashed).
// ONE-LABEL: func.func @one_block_transpose
// ONE-NOT: scf.parallel
// ONE-NOT: scf.for
// ONE: vector.shuffle
// ONE: return
func.func @one_block_transpose(%w: memref<5x6xf32>, %wt: memref<6x5xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%w : memref<5x6xf32>) outs(%wt : memref<6x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// An optimizer update (sinter.updates_parameters): rows of 16 on threads,
// a vector each, the parameters (the first output) prefetched for writing
// 256 floats ahead (at most the last row's); the last 1030 % 16 = 6
// elements are the op on their windows.
// CHECK: #[[AHEAD_MAP:.*]] = affine_map<(d0) -> (1008, d0 + 256)>
// CHECK-LABEL: func.func @update
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c1024) step (%c16) {
// CHECK: %[[AHEAD:.*]] = affine.min #[[AHEAD_MAP]](%[[I]])
// CHECK: memref.prefetch %arg1[%[[AHEAD]]], write, locality<3>, data
// CHECK-DAG: %[[G:.*]] = vector.load %arg0[%[[I]]] : memref<1030xf32>, vector<16xf32>
// CHECK-DAG: %[[P:.*]] = vector.load %arg1[%[[I]]] : memref<1030xf32>, vector<16xf32>
// CHECK-DAG: %[[M:.*]] = vector.load %arg2[%[[I]]] : memref<1030xf32>, vector<16xf32>
// CHECK: %[[NM:.*]] = arith.addf %[[M]], %[[G]] : vector<16xf32>
// CHECK: %[[NP:.*]] = arith.subf %[[P]], %[[NM]] : vector<16xf32>
// CHECK: vector.store %[[NP]], %arg1[%[[I]]]
// CHECK: vector.store %[[NM]], %arg2[%[[I]]]
// CHECK: }
// CHECK-DAG: %[[GT:.*]] = memref.subview %arg0[1024] [6] [1]
// CHECK-DAG: %[[PT:.*]] = memref.subview %arg1[1024] [6] [1]
// CHECK-DAG: %[[MT:.*]] = memref.subview %arg2[1024] [6] [1]
// CHECK: linalg.generic {{.*}} ins(%[[GT]] : {{.*}}) outs(%[[PT]], %[[MT]] : {{.*}}) {
// CHECK-NOT: sinter.updates_parameters
func.func @update(%g: memref<1030xf32>, %p: memref<1030xf32>, %m: memref<1030xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%g : memref<1030xf32>) outs(%p, %m : memref<1030xf32>, memref<1030xf32>)
      attrs = {sinter.updates_parameters} {
  ^bb0(%gi: f32, %pi: f32, %mi: f32):
    %nm = arith.addf %mi, %gi : f32
    %np = arith.subf %pi, %nm : f32
    linalg.yield %np, %nm : f32, f32
  }
  return
}

// -----

// A fused update over parameters starting at 0, 32768 (16 floats: it joins
// the first group) and 32784 (16384 floats: a group of its own). Rows in
// 8 parts of each group, part-major: part 0 of the first group [0, 4096)
// (iterations 0-3, runs of 1024 floats), part 0 of the second [32784,
// 34832) (4-5), part 1 of the first [4096, 8192) (6-9)... the last part of
// the first group [28672, 32784) (42-46, the last run 16 floats), of the
// second [47120, 49168) (47-48). Iteration i runs from i * 1024 + delta to
// the smaller of that + 1024 and the end of its part.
// CHECK-LABEL: func.func @update_in_parts
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c49) step (%c1) {
// CHECK-NEXT: %[[IN1:.*]] = arith.cmpi uge, %[[I]], %c4 : index
// CHECK-NEXT: %[[D1:.*]] = arith.select %[[IN1]], %c28688, %c0 : index
// CHECK-NEXT: %[[E1:.*]] = arith.select %[[IN1]], %c34832, %c4096 : index
// CHECK-NEXT: %[[IN2:.*]] = arith.cmpi uge, %[[I]], %c6 : index
// CHECK-NEXT: arith.select %[[IN2]], %c-2048, %[[D1]] : index
// CHECK-NEXT: arith.select %[[IN2]], %c8192, %[[E1]] : index
// CHECK: %[[IN:.*]] = arith.cmpi uge, %[[I]], %c47 : index
// CHECK-NEXT: %[[DELTA:.*]] = arith.select %[[IN]], %c-1008, %{{.*}} : index
// CHECK-NEXT: %[[END:.*]] = arith.select %[[IN]], %c49168, %{{.*}} : index
// CHECK-NEXT: %[[AT:.*]] = arith.muli %[[I]], %c1024 : index
// CHECK-NEXT: %[[FIRST:.*]] = arith.addi %[[AT]], %[[DELTA]] : index
// CHECK-NEXT: %[[NEXT:.*]] = arith.addi %[[FIRST]], %c1024 : index
// CHECK-NEXT: %[[LAST:.*]] = arith.minui %[[NEXT]], %[[END]] : index
// CHECK-NEXT: scf.for %[[R:.*]] = %[[FIRST]] to %[[LAST]] step %c16 {
// CHECK: memref.prefetch %arg1[
// CHECK: vector.load %arg0[%[[R]]] : memref<49174xf32>, vector<16xf32>
// CHECK: vector.store %{{.*}}, %arg2[%[[R]]]
// CHECK: linalg.generic
// CHECK-NOT: sinter.parameter_starts
func.func @update_in_parts(%g: memref<49174xf32>, %p: memref<49174xf32>, %m: memref<49174xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%g : memref<49174xf32>) outs(%p, %m : memref<49174xf32>, memref<49174xf32>)
      attrs = {sinter.updates_parameters, sinter.parameter_starts = array<i64: 0, 32768, 32784>} {
  ^bb0(%gi: f32, %pi: f32, %mi: f32):
    %nm = arith.addf %mi, %gi : f32
    %np = arith.subf %pi, %nm : f32
    linalg.yield %np, %nm : f32, f32
  }
  return
}

// -----

// The same update with its last parameter under 16384 floats: one group,
// and one run over all the rows, as without the starts.
// CHECK-LABEL: func.func @update_in_one_group
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c49152) step (%c16) {
// CHECK: vector.load %arg0[%[[I]]] : memref<49158xf32>, vector<16xf32>
func.func @update_in_one_group(%g: memref<49158xf32>, %p: memref<49158xf32>, %m: memref<49158xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%g : memref<49158xf32>) outs(%p, %m : memref<49158xf32>, memref<49158xf32>)
      attrs = {sinter.updates_parameters, sinter.parameter_starts = array<i64: 0, 32768, 32784>} {
  ^bb0(%gi: f32, %pi: f32, %mi: f32):
    %nm = arith.addf %mi, %gi : f32
    %np = arith.subf %pi, %nm : f32
    linalg.yield %np, %nm : f32, f32
  }
  return
}

// -----

// An update whose body is not elementwise (it loads a scalar from memory)
// is not computed on vectors: it becomes the loops of any other op.
// CHECK-LABEL: func.func @update_reads_memory
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c1030) step (%c1) {
// CHECK-NOT: memref.prefetch
// CHECK-NOT: vector.load
// CHECK: memref.load %arg2[]
// CHECK: memref.store
func.func @update_reads_memory(%g: memref<1030xf32>, %p: memref<1030xf32>, %lr: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%g : memref<1030xf32>) outs(%p : memref<1030xf32>)
      attrs = {sinter.updates_parameters} {
  ^bb0(%gi: f32, %pi: f32):
    %rate = memref.load %lr[] : memref<f32>
    %step = arith.mulf %gi, %rate : f32
    %np = arith.subf %pi, %step : f32
    linalg.yield %np : f32
  }
  return
}
