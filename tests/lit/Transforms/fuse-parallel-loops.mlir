// RUN: sinter-opt %s --split-input-file --sinter-fuse-parallel-loops | FileCheck %s

// Two loops over the batch, the second reading at %n what the first wrote
// at %n: one loop, the allocation between them moved before it and the
// deallocation after it. The bounds are equal by construction: the
// input's batch, and the first dimension of a view of a buffer allocated
// with it.
// CHECK-LABEL: func.func @per_image_chain
// CHECK: %[[Y:.*]] = memref.alloc
// CHECK: %[[Z:.*]] = memref.alloc
// CHECK: scf.parallel (%[[N:.*]]) =
// CHECK: memref.store {{.*}}, %[[Y]][%[[N]], %{{.*}}]
// CHECK: memref.load %{{.*}}[%[[N]], %{{.*}}]
// CHECK: memref.store {{.*}}, %[[Z]][%[[N]], %{{.*}}]
// CHECK: scf.reduce
// CHECK-NOT: scf.parallel
// CHECK: memref.dealloc %[[Y]]
func.func @per_image_chain(%x: memref<?x8xf32>) -> memref<?x2x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  %y = memref.alloc(%n) : memref<?x8xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c8 step %c1 {
      %v = memref.load %x[%i, %j] : memref<?x8xf32>
      %w = arith.mulf %v, %v : f32
      memref.store %w, %y[%i, %j] : memref<?x8xf32>
    }
    scf.reduce
  }
  %yv = memref.expand_shape %y [[0], [1, 2]] output_shape [%n, 2, 4] : memref<?x8xf32> into memref<?x2x4xf32>
  %z = memref.alloc(%n) : memref<?x2x4xf32>
  %m = memref.dim %yv, %c0 : memref<?x2x4xf32>
  scf.parallel (%i) = (%c0) to (%m) step (%c1) {
    scf.for %j = %c0 to %c2 step %c1 {
      scf.for %k = %c0 to %c4 step %c1 {
        %v = memref.load %yv[%i, %j, %k] : memref<?x2x4xf32>
        %w = arith.addf %v, %v : f32
        memref.store %w, %z[%i, %j, %k] : memref<?x2x4xf32>
      }
    }
    scf.reduce
  }
  memref.dealloc %y : memref<?x8xf32>
  return %z : memref<?x2x4xf32>
}

// -----

// The second loop reads the row after its own: iteration %n would read
// what another iteration writes. Two loops.
// CHECK-LABEL: func.func @reads_another_image
// CHECK: scf.parallel
// CHECK: scf.parallel
func.func @reads_another_image(%x: memref<?x8xf32>, %z: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  %last = arith.subi %n, %c1 : index
  %y = memref.alloc(%n) : memref<?x8xf32>
  scf.parallel (%i) = (%c0) to (%last) step (%c1) {
    scf.for %j = %c0 to %c8 step %c1 {
      %v = memref.load %x[%i, %j] : memref<?x8xf32>
      memref.store %v, %y[%i, %j] : memref<?x8xf32>
    }
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%last) step (%c1) {
    %next = arith.addi %i, %c1 : index
    scf.for %j = %c0 to %c8 step %c1 {
      %v = memref.load %y[%next, %j] : memref<?x8xf32>
      memref.store %v, %z[%i, %j] : memref<?x8xf32>
    }
    scf.reduce
  }
  memref.dealloc %y : memref<?x8xf32>
  return
}

// -----

// A whole-buffer op between the loops that writes what both touch (every
// image of %z), and a loop over other bounds: nothing merges.
// CHECK-LABEL: func.func @barriers
// CHECK: scf.parallel
// CHECK: linalg.fill
// CHECK: scf.parallel
// CHECK: scf.parallel
func.func @barriers(%x: memref<?x8xf32>, %z: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c8 step %c1 {
      %v = memref.load %x[%i, %j] : memref<?x8xf32>
      memref.store %v, %z[%i, %j] : memref<?x8xf32>
    }
    scf.reduce
  }
  linalg.fill ins(%zero : f32) outs(%z : memref<?x8xf32>)
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c8 step %c1 {
      %v = memref.load %z[%i, %j] : memref<?x8xf32>
      memref.store %v, %x[%i, %j] : memref<?x8xf32>
    }
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c2) {
    scf.for %j = %c0 to %c8 step %c1 {
      %v = memref.load %z[%i, %j] : memref<?x8xf32>
      memref.store %v, %x[%i, %j] : memref<?x8xf32>
    }
    scf.reduce
  }
  return
}

// -----

// A register tile's vector spans rows of the batch dimension (rows %i to
// %i + 7): the loops stay apart.
// CHECK-LABEL: func.func @tile_spans_images
// CHECK: scf.parallel
// CHECK: scf.parallel
func.func @tile_spans_images(%x: memref<?x8xf32>, %y: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cst = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  %t = memref.alloc(%n) : memref<?x8xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = vector.transfer_read %x[%i, %c0], %cst : memref<?x8xf32>, vector<8x8xf32>
    vector.transfer_write %v, %t[%i, %c0] : vector<8x8xf32>, memref<?x8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = vector.transfer_read %t[%i, %c0], %cst : memref<?x8xf32>, vector<8xf32>
    vector.transfer_write %v, %y[%i, %c0] : vector<8xf32>, memref<?x8xf32>
    scf.reduce
  }
  memref.dealloc %t : memref<?x8xf32>
  return
}

// -----

// Small serial ops between the loops move out of the way: the zeroing of
// the total and the filter flip the second loop reads go before the first
// loop (they share nothing with it), the final sum of the first loop's
// per-image sums after the second (it shares nothing with that one).
// CHECK-LABEL: func.func @serial_ops_between
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg3 : memref<f32>)
// CHECK: linalg.generic {{.*}} ins(%arg1 : memref<8xf32>) outs(%[[FLIP:.*]] : memref<8xf32>)
// CHECK: scf.parallel
// CHECK: memref.store
// CHECK: memref.load %[[FLIP]]
// CHECK: scf.reduce
// CHECK-NEXT: }
// CHECK-NEXT: linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%{{.*}} : memref<?xf32>) outs(%arg3 : memref<f32>)
// CHECK-NOT: scf.parallel
#id = affine_map<(d0) -> (d0)>
#rev = affine_map<(d0) -> (7 - d0)>
#all = affine_map<(d0) -> ()>
func.func @serial_ops_between(%x: memref<?x8xf32>, %w: memref<8xf32>, %z: memref<?x8xf32>, %total: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  %sums = memref.alloc(%n) : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %s0 = memref.load %x[%i, %c0] : memref<?x8xf32>
    memref.store %s0, %sums[%i] : memref<?xf32>
    scf.reduce
  }
  linalg.fill ins(%zero : f32) outs(%total : memref<f32>)
  linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction"]}
      ins(%sums : memref<?xf32>) outs(%total : memref<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %0 = arith.addf %acc, %a : f32
    linalg.yield %0 : f32
  }
  %flip = memref.alloc() : memref<8xf32>
  linalg.generic {indexing_maps = [#rev, #id], iterator_types = ["parallel"]}
      ins(%w : memref<8xf32>) outs(%flip : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c8 step %c1 {
      %v = memref.load %x[%i, %j] : memref<?x8xf32>
      %f = memref.load %flip[%j] : memref<8xf32>
      %p = arith.mulf %v, %f : f32
      memref.store %p, %z[%i, %j] : memref<?x8xf32>
    }
    scf.reduce
  }
  memref.dealloc %sums : memref<?xf32>
  memref.dealloc %flip : memref<8xf32>
  return
}

// -----

// Rows written and read as (masked) vectors along the innermost dimension
// at %n: one loop. A vector over a buffer's only dimension spans the batch:
// the third loop, reading %y that way, stays apart.
// CHECK-LABEL: func.func @vector_rows
// CHECK: scf.parallel (%[[N:.*]]) =
// CHECK: vector.maskedstore %[[Y:.*]][%[[N]], %{{.*}}]
// CHECK: vector.maskedload %[[Y]][%[[N]], %{{.*}}]
// CHECK: vector.store %{{.*}}, %{{.*}}[%[[N]], %{{.*}}]
// CHECK: scf.reduce
// CHECK: scf.parallel
// CHECK: vector.load %{{.*}}[%{{.*}}] : memref<?xf32>
func.func @vector_rows(%x: memref<?x6xf32>, %z: memref<?x8xf32>, %flat: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %pad = arith.constant dense<0.0> : vector<8xf32>
  %mask = vector.create_mask %c6 : vector<8xi1>
  %n = memref.dim %x, %c0 : memref<?x6xf32>
  %y = memref.alloc(%n) : memref<?x6xf32>
  %yflat = memref.collapse_shape %y [[0, 1]] : memref<?x6xf32> into memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = vector.maskedload %x[%i, %c0], %mask, %pad : memref<?x6xf32>, vector<8xi1>, vector<8xf32> into vector<8xf32>
    vector.maskedstore %y[%i, %c0], %mask, %v : memref<?x6xf32>, vector<8xi1>, vector<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = vector.maskedload %y[%i, %c0], %mask, %pad : memref<?x6xf32>, vector<8xi1>, vector<8xf32> into vector<8xf32>
    vector.store %v, %z[%i, %c0] : memref<?x8xf32>, vector<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = vector.load %yflat[%i] : memref<?xf32>, vector<8xf32>
    vector.store %v, %flat[%i] : memref<?xf32>, vector<8xf32>
    scf.reduce
  }
  memref.dealloc %y : memref<?x6xf32>
  return
}

// -----

// A small op over the batch (a 2x2 max pool of each image's rows, below a
// region of its own) after a loop over the images that writes them: it
// joins the loop as the op on the loop's image, a view of one row of each
// operand; the bias it reads whole stays as it is.
// CHECK-LABEL: func.func @small_op_joins
// CHECK: scf.parallel (%[[N:.*]]) =
// CHECK: memref.store {{.*}}, %[[Y:.*]][%[[N]], %{{.*}}]
// CHECK: %[[ROW:.*]] = memref.subview %{{.*}}[%[[N]], 0, 0] [1, 2, 4] [1, 1, 1] : memref<?x2x4xf32> to memref<1x2x4xf32, strided<[8, 4, 1], offset: ?>>
// CHECK: %[[OUT:.*]] = memref.subview %{{.*}}[%[[N]], 0] [1, 4] [1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[ROW]], %{{.*}} : memref<1x2x4xf32, {{.*}}>, memref<4xf32>) outs(%[[OUT]] : memref<1x4xf32, {{.*}}>)
// CHECK: scf.reduce
// CHECK-NOT: linalg.generic
// CHECK: return
#rows = affine_map<(n, j, k) -> (n, k, j)>
#bias = affine_map<(n, j, k) -> (j)>
#out = affine_map<(n, j, k) -> (n, j)>
func.func @small_op_joins(%x: memref<?x8xf32>, %b: memref<4xf32>, %z: memref<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  %y = memref.alloc(%n) : memref<?x8xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c8 step %c1 {
      %v = memref.load %x[%i, %j] : memref<?x8xf32>
      memref.store %v, %y[%i, %j] : memref<?x8xf32>
    }
    scf.reduce
  }
  %yv = memref.expand_shape %y [[0], [1, 2]] output_shape [%n, 2, 4] : memref<?x8xf32> into memref<?x2x4xf32>
  linalg.generic {indexing_maps = [#rows, #bias, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%yv, %b : memref<?x2x4xf32>, memref<4xf32>) outs(%z : memref<?x4xf32>) {
  ^bb0(%v: f32, %bias: f32, %acc: f32):
    %s = arith.addf %v, %bias : f32
    %m = arith.maximumf %s, %acc : f32
    linalg.yield %m : f32
  }
  memref.dealloc %y : memref<?x8xf32>
  return
}

// -----

// Small ops over the batch with no loop over the images to join (alone,
// next to each other, or next to a loop over blocks of 8 rows) stay as
// they are; so does one whose first loop sums over the batch.
// CHECK-LABEL: func.func @small_ops_stay
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0 : memref<?x4xf32>) outs(%[[Y:.*]] : memref<?x4xf32>)
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[Y]] : memref<?x4xf32>) outs(%arg1 : memref<?x4xf32>)
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%c8)
// CHECK: scf.reduce
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "parallel"]
// CHECK-NOT: scf.parallel
#id = affine_map<(n, j) -> (n, j)>
#col = affine_map<(n, j) -> (j)>
func.func @small_ops_stay(%x: memref<?x4xf32>, %z: memref<?x4xf32>, %w: memref<?x4xf32>, %sum: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %y = memref.alloc(%n) : memref<?x4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x4xf32>) outs(%y : memref<?x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.mulf %v, %v : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : memref<?x4xf32>) outs(%z : memref<?x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %v : f32
    linalg.yield %s : f32
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c8) {
    scf.for %j = %c0 to %c4 step %c4 {
      %v = memref.load %z[%i, %j] : memref<?x4xf32>
      memref.store %v, %w[%i, %j] : memref<?x4xf32>
    }
    scf.reduce
  }
  linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%w : memref<?x4xf32>) outs(%sum : memref<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %v, %acc : f32
    linalg.yield %s : f32
  }
  memref.dealloc %y : memref<?x4xf32>
  return
}

// -----

// An op over the batch whose body reads the batch index (a dropout mask
// drawn from each element's place) stays out of the loop: on one image's
// view the index would be 0.
// CHECK-LABEL: func.func @small_op_reads_image_index
// CHECK: scf.parallel
// CHECK: scf.reduce
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : memref<?x8xf32>)
// CHECK: linalg.index 0
#id2 = affine_map<(n, j) -> (n, j)>
func.func @small_op_reads_image_index(%x: memref<?x8xf32>, %z: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  %y = memref.alloc(%n) : memref<?x8xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %c8 step %c1 {
      %v = memref.load %x[%i, %j] : memref<?x8xf32>
      memref.store %v, %y[%i, %j] : memref<?x8xf32>
    }
    scf.reduce
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%y : memref<?x8xf32>) outs(%z : memref<?x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %i = linalg.index 0 : index
    %k = arith.index_cast %i : index to i32
    %f = arith.sitofp %k : i32 to f32
    %s = arith.mulf %v, %f : f32
    linalg.yield %s : f32
  }
  memref.dealloc %y : memref<?x8xf32>
  return
}
