// RUN: sinter-opt %s --split-input-file --allow-unregistered-dialect --sinter-fuse-epilogues | FileCheck %s

// A Dense layer's product in register tiles of 2 x 8 (rows on threads,
// the batch's odd row as the loop's last iteration), then its bias and
// ReLU. The bias and ReLU run on each tile's rows right after the tile's
// write, on the written vectors; the pass over the whole product goes, and
// so does the product's buffer, which nothing reads any more.
// CHECK-LABEL: func.func @bias_relu
// CHECK-SAME: (%[[X:.*]]: memref<?x4xf32>, %[[W:.*]]: memref<4x8xf32>, %[[B:.*]]: memref<8xf32>, %[[OUT:.*]]: memref<?x8xf32>)
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: scf.if
// CHECK: %[[ACC:.*]] = scf.for
// CHECK-NOT: vector.transfer_write
// CHECK: %[[ROW0:.*]] = vector.extract %[[ACC]][0] : vector<8xf32> from vector<2x8xf32>
// CHECK: %[[BIAS0:.*]] = memref.subview %[[B]][%{{.*}}] [8] [1]
// CHECK: %[[OUT0:.*]] = memref.subview %[[OUT]][%[[I]], %{{.*}}] [1, 8] [1, 1]
// CHECK: %[[V0:.*]] = vector.shape_cast %[[ROW0]] : vector<8xf32> to vector<1x8xf32>
// CHECK: %[[BV0:.*]] = vector.transfer_read %[[BIAS0]]
// CHECK: %[[S0:.*]] = arith.addf %[[V0]], %[[BV0]] : vector<1x8xf32>
// CHECK: arith.cmpf ogt, %[[S0]]
// CHECK: %[[R0:.*]] = arith.select
// CHECK: vector.transfer_write %[[R0]], %[[OUT0]]
// CHECK: %[[NEXT:.*]] = arith.addi %[[I]], %c1
// CHECK: vector.extract %[[ACC]][1] : vector<8xf32> from vector<2x8xf32>
// CHECK: memref.subview %[[OUT]][%[[NEXT]], %{{.*}}] [1, 8] [1, 1]
// CHECK: } else {
// CHECK: %[[LAST:.*]] = scf.for
// CHECK: %[[L1:.*]] = vector.shape_cast %[[LAST]] : vector<8xf32> to vector<1x8xf32>
// CHECK: arith.addf %[[L1]]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @bias_relu(%x: memref<?x4xf32>, %w: memref<4x8xf32>, %b: memref<8xf32>, %out: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %tile0 = arith.constant dense<0.0> : vector<2x8xf32>
  %row0 = arith.constant dense<0.0> : vector<8xf32>
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %y = memref.alloc(%n) : memref<?x8xf32>
  %whole = affine.apply affine_map<()[s0] -> ((s0 floordiv 2) * 2)>()[%n]
  scf.parallel (%i) = (%c0) to (%n) step (%c2) {
    %full = arith.cmpi slt, %i, %whole : index
    scf.if %full {
      %acc = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %tile0) -> (vector<2x8xf32>) {
        %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
        %x0 = memref.load %x[%i, %k] : memref<?x4xf32>
        %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
        %a0 = vector.extract %a[0] : vector<8xf32> from vector<2x8xf32>
        %f0 = vector.fma %b0, %wk, %a0 : vector<8xf32>
        %i1 = arith.addi %i, %c1 : index
        %x1 = memref.load %x[%i1, %k] : memref<?x4xf32>
        %b1 = vector.broadcast %x1 : f32 to vector<8xf32>
        %a1 = vector.extract %a[1] : vector<8xf32> from vector<2x8xf32>
        %f1 = vector.fma %b1, %wk, %a1 : vector<8xf32>
        %t0 = vector.insert %f0, %tile0 [0] : vector<8xf32> into vector<2x8xf32>
        %t1 = vector.insert %f1, %t0 [1] : vector<8xf32> into vector<2x8xf32>
        scf.yield %t1 : vector<2x8xf32>
      }
      vector.transfer_write %acc, %y[%i, %c0] {in_bounds = [true, true]} : vector<2x8xf32>, memref<?x8xf32>
    } else {
      %last = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %row0) -> (vector<8xf32>) {
        %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
        %x0 = memref.load %x[%whole, %k] : memref<?x4xf32>
        %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
        %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
        scf.yield %f0 : vector<8xf32>
      }
      vector.transfer_write %last, %y[%whole, %c0] {in_bounds = [true]} : vector<8xf32>, memref<?x8xf32>
    }
    scf.reduce
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y, %b : memref<?x8xf32>, memref<8xf32>) outs(%out : memref<?x8xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32):
    %s = arith.addf %v, %bias : f32
    %p = arith.cmpf ogt, %s, %zero : f32
    %r = arith.select %p, %s, %zero : f32
    linalg.yield %r : f32
  }
  memref.dealloc %y : memref<?x8xf32>
  return
}

// -----

// The product read as [images, positions, columns] (a Dense layer on
// sequences: the product's rows are the images' positions together): the
// bias add runs over the product's rows instead, and fuses. Its output is
// allocated after the nest: the allocation and its reshape move before it.
// The product's buffer is also read later (by a weight gradient, say): it
// stays, with its tile writes.
// CHECK-LABEL: func.func @reshaped_rows
// CHECK: %[[Y:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<2x2x8xf32>
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[OUT]] {{\[}}[0, 1], [2]]
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: vector.transfer_write %{{.*}}, %[[Y]][%[[I]], %c0]
// CHECK: memref.subview %[[FLAT]][%[[I]], %{{.*}}] [1, 8] [1, 1]
// CHECK: arith.addf {{.*}} : vector<1x8xf32>
// CHECK-NOT: linalg.generic
// CHECK: "test.use"(%[[Y]])
func.func @reshaped_rows(%x: memref<4x4xf32>, %w: memref<4x8xf32>, %b: memref<8xf32>) -> memref<2x2x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %row0 = arith.constant dense<0.0> : vector<8xf32>
  %y = memref.alloc() : memref<4x8xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %acc = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %row0) -> (vector<8xf32>) {
      %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
      %x0 = memref.load %x[%i, %k] : memref<4x4xf32>
      %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
      %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
      scf.yield %f0 : vector<8xf32>
    }
    vector.transfer_write %acc, %y[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
    scf.reduce
  }
  %y3 = memref.expand_shape %y [[0, 1], [2]] output_shape [2, 2, 8] : memref<4x8xf32> into memref<2x2x8xf32>
  %out = memref.alloc() : memref<2x2x8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y3, %b : memref<2x2x8xf32>, memref<8xf32>) outs(%out : memref<2x2x8xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32):
    %s = arith.addf %v, %bias : f32
    linalg.yield %s : f32
  }
  "test.use"(%y) : (memref<4x8xf32>) -> ()
  return %out : memref<2x2x8xf32>
}

// -----

// A window product's tiles ([images, rows, columns, 1 group, channels]),
// its bias and ReLU read as [images, rows, columns, channels]: the ReLU
// runs over the tiles' dimensions instead (its output and the bias read
// through expand_shape), and fuses; nothing reads the product afterwards,
// so its buffer and writes go. A ReLU gradient's mask, which reads a
// second tensor whole, is left as a pass of its own.
// CHECK-LABEL: func.func @window_tiles
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<2x2x4x8xf32>
// CHECK: %[[OUT5:.*]] = memref.expand_shape %[[OUT]] {{\[}}[0], [1], [2], [3, 4]] output_shape [2, 2, 4, 1, 8]
// CHECK: scf.parallel
// CHECK: memref.subview %[[OUT5]]
// CHECK: arith.maximumf {{.*}} : vector<1x1x1x1x8xf32>
// CHECK-NOT: memref.alloc() : memref<2x2x4x1x8xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK-LABEL: func.func @window_tiles_mask
// CHECK: scf.parallel
// CHECK: memref.collapse_shape
// CHECK: linalg.generic
// A sum in blocks (each block writes the tiles again): no epilogue, and
// none of the expand_shapes made to try one is left behind.
// CHECK-LABEL: func.func @window_tiles_in_blocks
// CHECK-NOT: memref.expand_shape
// CHECK: linalg.generic
// CHECK-NOT: memref.expand_shape
// CHECK: return
func.func @window_tiles(%x: memref<2x2x4x1x8xf32>, %b: memref<8xf32>) -> memref<2x2x4x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<2x2x4x1x8xf32>
  scf.parallel (%n) = (%c0) to (%c2) step (%c1) {
    scf.for %h = %c0 to %c2 step %c1 {
      %t = vector.transfer_read %x[%n, %h, %c0, %c0, %c0], %zero {in_bounds = [true, true, true]} : memref<2x2x4x1x8xf32>, vector<4x1x8xf32>
      vector.transfer_write %t, %y[%n, %h, %c0, %c0, %c0] {in_bounds = [true, true, true]} : vector<4x1x8xf32>, memref<2x2x4x1x8xf32>
    }
    scf.reduce
  }
  %y4 = memref.collapse_shape %y [[0], [1], [2], [3, 4]] : memref<2x2x4x1x8xf32> into memref<2x2x4x8xf32>
  %out = memref.alloc() : memref<2x2x4x8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y4, %b : memref<2x2x4x8xf32>, memref<8xf32>) outs(%out : memref<2x2x4x8xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32):
    %s = arith.addf %v, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return %out : memref<2x2x4x8xf32>
}

func.func @window_tiles_mask(%x: memref<2x2x4x1x8xf32>, %r: memref<2x2x4x8xf32>) -> memref<2x2x4x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<2x2x4x1x8xf32>
  scf.parallel (%n) = (%c0) to (%c2) step (%c1) {
    scf.for %h = %c0 to %c2 step %c1 {
      %t = vector.transfer_read %x[%n, %h, %c0, %c0, %c0], %zero {in_bounds = [true, true, true]} : memref<2x2x4x1x8xf32>, vector<4x1x8xf32>
      vector.transfer_write %t, %y[%n, %h, %c0, %c0, %c0] {in_bounds = [true, true, true]} : vector<4x1x8xf32>, memref<2x2x4x1x8xf32>
    }
    scf.reduce
  }
  %y4 = memref.collapse_shape %y [[0], [1], [2], [3, 4]] : memref<2x2x4x1x8xf32> into memref<2x2x4x8xf32>
  %out = memref.alloc() : memref<2x2x4x8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y4, %r : memref<2x2x4x8xf32>, memref<2x2x4x8xf32>) outs(%out : memref<2x2x4x8xf32>) {
  ^bb0(%g: f32, %v: f32, %o: f32):
    %p = arith.cmpf ogt, %v, %zero : f32
    %m = arith.select %p, %g, %zero : f32
    linalg.yield %m : f32
  }
  return %out : memref<2x2x4x8xf32>
}

func.func @window_tiles_in_blocks(%x: memref<2x2x4x1x8xf32>, %b: memref<8xf32>) -> memref<2x2x4x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<2x2x4x1x8xf32>
  scf.for %k = %c0 to %c2 step %c1 {
    scf.parallel (%n) = (%c0) to (%c2) step (%c1) {
      scf.for %h = %c0 to %c2 step %c1 {
        %t = vector.transfer_read %x[%n, %h, %c0, %c0, %c0], %zero {in_bounds = [true, true, true]} : memref<2x2x4x1x8xf32>, vector<4x1x8xf32>
        vector.transfer_write %t, %y[%n, %h, %c0, %c0, %c0] {in_bounds = [true, true, true]} : vector<4x1x8xf32>, memref<2x2x4x1x8xf32>
      }
      scf.reduce
    }
  }
  %y4 = memref.collapse_shape %y [[0], [1], [2], [3, 4]] : memref<2x2x4x1x8xf32> into memref<2x2x4x8xf32>
  %out = memref.alloc() : memref<2x2x4x8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y4, %b : memref<2x2x4x8xf32>, memref<8xf32>) outs(%out : memref<2x2x4x8xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32):
    %s = arith.addf %v, %bias : f32
    linalg.yield %s : f32
  }
  return %out : memref<2x2x4x8xf32>
}

// -----

// Left alone: a sum in blocks (the tiles written again by the next block:
// the loop over blocks does not move them).
// CHECK-LABEL: func.func @sum_in_blocks
// CHECK: linalg.generic
func.func @sum_in_blocks(%x: memref<4x4xf32>, %w: memref<4x8xf32>, %b: memref<8xf32>, %h: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %z = memref.alloc() : memref<4x8xf32>
  scf.for %blk = %c0 to %c4 step %c2 {
    scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
      %init = vector.transfer_read %z[%i, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
      %acc = scf.for %k = %blk to %c4 step %c1 iter_args(%a = %init) -> (vector<8xf32>) {
        %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
        %x0 = memref.load %x[%i, %k] : memref<4x4xf32>
        %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
        %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
        scf.yield %f0 : vector<8xf32>
      }
      vector.transfer_write %acc, %z[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
      scf.reduce
    }
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%z, %b : memref<4x8xf32>, memref<8xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32):
    %s = arith.addf %v, %bias : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A nest of two schedules (mnist-mlp's first layer: from 309 rows its sum
// of 784 terms runs in blocks): the branch that sums in blocks runs the
// consumer whole at its end, the other on its tiles; none runs after the
// nest. Only the first branch reads the product: the other no longer
// stores it.
// CHECK-LABEL: func.func @sum_in_blocks_in_a_branch
// CHECK-SAME: (%[[BIG:.*]]: i1, %[[X:.*]]: memref<4x4xf32>, %[[W:.*]]: memref<4x8xf32>, %[[B:.*]]: memref<8xf32>, %[[OUT:.*]]: memref<4x8xf32>)
// CHECK: %[[Z:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK: scf.if %[[BIG]] {
// CHECK:   scf.for
// CHECK:     vector.transfer_write %{{.*}}, %[[Z]]
// CHECK:   linalg.generic {{.*}} ins(%[[Z]], %[[B]] : {{.*}}) outs(%[[OUT]] : {{.*}})
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   arith.addf
// CHECK-NEXT:   linalg.yield
// CHECK-NEXT: }
// CHECK-NEXT: } else {
// CHECK:   scf.parallel
// CHECK:     %[[ACC:.*]] = scf.for
// CHECK-NOT: vector.transfer_write
// CHECK:     %[[OUTROW:.*]] = memref.subview %[[OUT]]
// CHECK:     %[[ROW:.*]] = vector.shape_cast %[[ACC]] : vector<8xf32> to vector<1x8xf32>
// CHECK:     %[[BI:.*]] = vector.transfer_read %{{.*}} : memref<8xf32, {{.*}}>, vector<1x8xf32>
// CHECK:     %[[SUM:.*]] = arith.addf %[[ROW]], %[[BI]] : vector<1x8xf32>
// CHECK:     vector.transfer_write %[[SUM]], %[[OUTROW]]
// CHECK-NOT: vector.transfer_write
// CHECK: scf.reduce
// CHECK: }
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @sum_in_blocks_in_a_branch(%big: i1, %x: memref<4x4xf32>, %w: memref<4x8xf32>, %b: memref<8xf32>, %out: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %zeros = arith.constant dense<0.0> : vector<8xf32>
  %z = memref.alloc() : memref<4x8xf32>
  scf.if %big {
    scf.for %blk = %c0 to %c4 step %c2 {
      scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
        %init = vector.transfer_read %z[%i, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
        %acc = scf.for %k = %blk to %c4 step %c1 iter_args(%a = %init) -> (vector<8xf32>) {
          %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
          %x0 = memref.load %x[%i, %k] : memref<4x4xf32>
          %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
          %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
          scf.yield %f0 : vector<8xf32>
        }
        vector.transfer_write %acc, %z[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
        scf.reduce
      }
    }
  } else {
    scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
      %acc = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %zeros) -> (vector<8xf32>) {
        %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
        %x0 = memref.load %x[%i, %k] : memref<4x4xf32>
        %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
        %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
        scf.yield %f0 : vector<8xf32>
      }
      vector.transfer_write %acc, %z[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
      scf.reduce
    }
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%z, %b : memref<4x8xf32>, memref<8xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32):
    %s = arith.addf %v, %bias : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A consumer reading a second tensor whole (a residual add, ReLU's
// gradient) runs on the tiles too, reading that tensor's window of each.
// CHECK-LABEL: func.func @residual
// CHECK-SAME: %[[H:[^:]*]]: memref<4x8xf32>, %[[OUT:[^:]*]]: memref<4x8xf32>)
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: %[[ACC:.*]] = scf.for
// CHECK-NOT: vector.transfer_write
// CHECK: %[[HROW:.*]] = memref.subview %[[H]][%[[I]], %c0] [1, 8] [1, 1]
// CHECK: %[[OROW:.*]] = memref.subview %[[OUT]][%[[I]], %c0] [1, 8] [1, 1]
// CHECK: %[[V:.*]] = vector.shape_cast %[[ACC]] : vector<8xf32> to vector<1x8xf32>
// CHECK: %[[HV:.*]] = vector.transfer_read %[[HROW]]
// CHECK: %[[S:.*]] = arith.addf %[[V]], %[[HV]] : vector<1x8xf32>
// CHECK: vector.transfer_write %[[S]], %[[OROW]]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @residual(%x: memref<4x4xf32>, %w: memref<4x8xf32>, %b: memref<8xf32>, %h: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %row0 = arith.constant dense<0.0> : vector<8xf32>
  %z = memref.alloc() : memref<4x8xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %acc = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %row0) -> (vector<8xf32>) {
      %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
      %x0 = memref.load %x[%i, %k] : memref<4x4xf32>
      %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
      %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
      scf.yield %f0 : vector<8xf32>
    }
    vector.transfer_write %acc, %z[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
    
    scf.reduce
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%z, %h : memref<4x8xf32>, memref<4x8xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%v: f32, %r: f32, %o: f32):
    %s = arith.addf %v, %r : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left alone: the nest reads the consumer's output.
// CHECK-LABEL: func.func @output_read_in_nest
// CHECK: linalg.generic
func.func @output_read_in_nest(%x: memref<4x4xf32>, %w: memref<4x8xf32>, %b: memref<8xf32>, %h: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %row0 = arith.constant dense<0.0> : vector<8xf32>
  %z = memref.alloc() : memref<4x8xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %acc = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %row0) -> (vector<8xf32>) {
      %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
      %x0 = memref.load %x[%i, %k] : memref<4x4xf32>
      %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
      %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
      scf.yield %f0 : vector<8xf32>
    }
    vector.transfer_write %acc, %z[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
    %seen = vector.transfer_read %out[%i, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
    vector.transfer_write %seen, %h[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
    scf.reduce
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%z, %b : memref<4x8xf32>, memref<8xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32):
    %s = arith.addf %v, %bias : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left alone: the bias is written between the nest and the consumer.
// CHECK-LABEL: func.func @input_written_between
// CHECK: linalg.fill
// CHECK: linalg.generic
func.func @input_written_between(%x: memref<4x4xf32>, %w: memref<4x8xf32>, %b: memref<8xf32>, %h: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %row0 = arith.constant dense<0.0> : vector<8xf32>
  %z = memref.alloc() : memref<4x8xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %acc = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %row0) -> (vector<8xf32>) {
      %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
      %x0 = memref.load %x[%i, %k] : memref<4x4xf32>
      %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
      %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
      scf.yield %f0 : vector<8xf32>
    }
    vector.transfer_write %acc, %z[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
    
    scf.reduce
  }
  linalg.fill ins(%zero : f32) outs(%b : memref<8xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%z, %b : memref<4x8xf32>, memref<8xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32):
    %s = arith.addf %v, %bias : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left alone: a long body (a polynomial: its constants come back between
// the tiles; gpt-mini's GELU was slower so).
// CHECK-LABEL: func.func @long_body
// CHECK: linalg.generic
func.func @long_body(%x: memref<4x4xf32>, %w: memref<4x8xf32>, %b: memref<8xf32>, %h: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %row0 = arith.constant dense<0.0> : vector<8xf32>
  %z = memref.alloc() : memref<4x8xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %acc = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %row0) -> (vector<8xf32>) {
      %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
      %x0 = memref.load %x[%i, %k] : memref<4x4xf32>
      %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
      %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
      scf.yield %f0 : vector<8xf32>
    }
    vector.transfer_write %acc, %z[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
    
    scf.reduce
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%z, %b : memref<4x8xf32>, memref<8xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32):
    %s1 = arith.addf %v, %bias : f32
    %s2 = arith.mulf %s1, %s1 : f32
    %s3 = arith.mulf %s2, %s1 : f32
    %s4 = arith.addf %s3, %s1 : f32
    %s5 = arith.mulf %s4, %s1 : f32
    %s6 = arith.addf %s5, %s1 : f32
    %s7 = arith.mulf %s6, %s1 : f32
    %s8 = arith.addf %s7, %s1 : f32
    %s9 = arith.mulf %s8, %s1 : f32
    linalg.yield %s9 : f32
  }
  return
}

// -----

// A long body whose start is also a result (gpt-mini's MLP: x·W + b, kept
// for the GELU's gradient, and the GELU of it): the start runs on the
// tiles, writing %pre, and the rest is a pass of its own reading %pre.
// CHECK-LABEL: func.func @long_body_start
// CHECK: scf.parallel
// CHECK: vector.fma
// CHECK: %[[PRE:.*]] = memref.subview %arg5
// CHECK: arith.addf %{{.*}} : vector<1x8xf32>
// CHECK: vector.transfer_write %{{.*}}, %[[PRE]]
// CHECK: scf.reduce
// CHECK: linalg.generic {{.*}} ins(%arg5 : memref<4x8xf32>) outs(%arg4 : memref<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.mulf %[[V]], %[[V]] : f32
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @long_body_start(%x: memref<4x4xf32>, %w: memref<4x8xf32>, %b: memref<8xf32>, %h: memref<4x8xf32>, %out: memref<4x8xf32>, %pre: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %row0 = arith.constant dense<0.0> : vector<8xf32>
  %z = memref.alloc() : memref<4x8xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %acc = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %row0) -> (vector<8xf32>) {
      %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
      %x0 = memref.load %x[%i, %k] : memref<4x4xf32>
      %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
      %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
      scf.yield %f0 : vector<8xf32>
    }
    vector.transfer_write %acc, %z[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
    
    scf.reduce
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%z, %b : memref<4x8xf32>, memref<8xf32>) outs(%out, %pre : memref<4x8xf32>, memref<4x8xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32, %p: f32):
    %s1 = arith.addf %v, %bias : f32
    %s2 = arith.mulf %s1, %s1 : f32
    %s3 = arith.mulf %s2, %s1 : f32
    %s4 = arith.addf %s3, %s1 : f32
    %s5 = arith.mulf %s4, %s1 : f32
    %s6 = arith.addf %s5, %s1 : f32
    %s7 = arith.mulf %s6, %s1 : f32
    %s8 = arith.addf %s7, %s1 : f32
    %s9 = arith.mulf %s8, %s1 : f32
    linalg.yield %s9, %s1 : f32, f32
  }
  return
}

// -----

// The same op after a nest it cannot run in (its rows written twice): it
// stays whole, not split into two passes.
// CHECK-LABEL: func.func @long_body_start_unfused
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %arg2 : memref<4x8xf32>, memref<8xf32>) outs(%arg4, %arg5 : memref<4x8xf32>, memref<4x8xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @long_body_start_unfused(%x: memref<4x4xf32>, %w: memref<4x8xf32>, %b: memref<8xf32>, %h: memref<4x8xf32>, %out: memref<4x8xf32>, %pre: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %row0 = arith.constant dense<0.0> : vector<8xf32>
  %z = memref.alloc() : memref<4x8xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    vector.transfer_write %row0, %z[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
    %acc = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %row0) -> (vector<8xf32>) {
      %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
      %x0 = memref.load %x[%i, %k] : memref<4x4xf32>
      %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
      %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
      scf.yield %f0 : vector<8xf32>
    }
    %old = vector.transfer_read %z[%i, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
    %sum = arith.addf %old, %acc : vector<8xf32>
    vector.transfer_write %sum, %z[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
    scf.reduce
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%z, %b : memref<4x8xf32>, memref<8xf32>) outs(%out, %pre : memref<4x8xf32>, memref<4x8xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32, %p: f32):
    %s1 = arith.addf %v, %bias : f32
    %s2 = arith.mulf %s1, %s1 : f32
    %s3 = arith.mulf %s2, %s1 : f32
    %s4 = arith.addf %s3, %s1 : f32
    %s5 = arith.mulf %s4, %s1 : f32
    %s6 = arith.addf %s5, %s1 : f32
    %s7 = arith.mulf %s6, %s1 : f32
    %s8 = arith.addf %s7, %s1 : f32
    %s9 = arith.mulf %s8, %s1 : f32
    linalg.yield %s9, %s1 : f32, f32
  }
  return
}

// -----

// The same nest and bias add as above, fused: the cases above are left
// alone for their reasons, not for the nest.
// CHECK-LABEL: func.func @fused_control
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @fused_control(%x: memref<4x4xf32>, %w: memref<4x8xf32>, %b: memref<8xf32>, %h: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %row0 = arith.constant dense<0.0> : vector<8xf32>
  %z = memref.alloc() : memref<4x8xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %acc = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %row0) -> (vector<8xf32>) {
      %wk = vector.transfer_read %w[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
      %x0 = memref.load %x[%i, %k] : memref<4x4xf32>
      %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
      %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
      scf.yield %f0 : vector<8xf32>
    }
    vector.transfer_write %acc, %z[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<4x8xf32>
    
    scf.reduce
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%z, %b : memref<4x8xf32>, memref<8xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32):
    %s = arith.addf %v, %bias : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A product over column panels of 8 on threads, each panel of the weights
// copied into a stack buffer of the iteration's own (memref.alloca) before
// the rows' sums: writes into that panel are the nest's own, and the bias
// still runs on each row's finished vector.
// CHECK-LABEL: func.func @stack_panel
// CHECK: scf.parallel (%[[J:.*]]) =
// CHECK: %[[PANEL:.*]] = memref.alloca() : memref<4x8xf32>
// CHECK: linalg.copy ins(%{{.*}}) outs(%[[PANEL]] : memref<4x8xf32>)
// CHECK: scf.for %[[I:.*]] =
// CHECK: %[[ACC:.*]] = scf.for
// CHECK-NOT: vector.transfer_write {{.*}} %{{.*}}[%[[I]], %{{.*}}] {{.*}} memref<?x16xf32>
// CHECK: %[[V:.*]] = vector.shape_cast %[[ACC]] : vector<8xf32> to vector<1x8xf32>
// CHECK: %[[BV:.*]] = vector.transfer_read
// CHECK: %[[S:.*]] = arith.addf %[[V]], %[[BV]] : vector<1x8xf32>
// CHECK: vector.transfer_write %[[S]]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @stack_panel(%x: memref<?x4xf32>, %w: memref<4x16xf32>, %b: memref<16xf32>, %out: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %row0 = arith.constant dense<0.0> : vector<8xf32>
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %y = memref.alloc(%n) : memref<?x16xf32>
  scf.parallel (%j) = (%c0) to (%c2) step (%c1) {
    %col = arith.muli %j, %c8 : index
    %from = memref.subview %w[0, %col] [4, 8] [1, 1] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 1], offset: ?>>
    %panel = memref.alloca() : memref<4x8xf32>
    linalg.copy ins(%from : memref<4x8xf32, strided<[16, 1], offset: ?>>) outs(%panel : memref<4x8xf32>)
    scf.for %i = %c0 to %n step %c1 {
      %acc = scf.for %k = %c0 to %c4 step %c1 iter_args(%a = %row0) -> (vector<8xf32>) {
        %wk = vector.transfer_read %panel[%k, %c0], %zero {in_bounds = [true]} : memref<4x8xf32>, vector<8xf32>
        %x0 = memref.load %x[%i, %k] : memref<?x4xf32>
        %b0 = vector.broadcast %x0 : f32 to vector<8xf32>
        %f0 = vector.fma %b0, %wk, %a : vector<8xf32>
        scf.yield %f0 : vector<8xf32>
      }
      vector.transfer_write %acc, %y[%i, %col] {in_bounds = [true]} : vector<8xf32>, memref<?x16xf32>
    }
    scf.reduce
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y, %b : memref<?x16xf32>, memref<16xf32>) outs(%out : memref<?x16xf32>) {
  ^bb0(%v: f32, %bias: f32, %o: f32):
    %s = arith.addf %v, %bias : f32
    linalg.yield %s : f32
  }
  memref.dealloc %y : memref<?x16xf32>
  return
}
