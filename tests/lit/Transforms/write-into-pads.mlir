// RUN: sinter-opt %s --split-input-file --sinter-write-into-pads | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>

// A ReLU copied into the interior of a pad whose last row and column are
// zeros: the ReLU writes the interior, its gradient's mask reads it there,
// and the copy and the ReLU's own buffer go.
// CHECK-LABEL: func.func @relu_into_pad(
// CHECK: %[[PAD:.*]] = memref.alloc(%{{.*}}) : memref<?x5x5x8xf32>
// CHECK: %[[IN:.*]] = memref.subview %[[PAD]][0, 0, 0, 0] [%{{.*}}, 4, 4, 8] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}} outs(%[[IN]] :
// CHECK: linalg.fill
// CHECK: linalg.fill
// CHECK-NOT: linalg.copy
// CHECK: linalg.generic {{.*}} ins(%[[IN]], %arg2 :
// CHECK-NOT: memref.alloc(%{{.*}}) : memref<?x4x4x8xf32>
func.func @relu_into_pad(%x: memref<?x4x4x8xf32>, %b: memref<8xf32>, %g: memref<?x4x4x8xf32>, %dx: memref<?x4x4x8xf32>, %out: memref<?x5x5x8xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4x4x8xf32>
  %r = memref.alloc(%n) : memref<?x4x4x8xf32>
  linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %b : memref<?x4x4x8xf32>, memref<8xf32>) outs(%r : memref<?x4x4x8xf32>) {
  ^bb0(%v: f32, %w: f32, %o: f32):
    %s = arith.addf %v, %w : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  }
  %pad = memref.alloc(%n) : memref<?x5x5x8xf32>
  %row = memref.subview %pad[0, 4, 0, 0] [%n, 1, 5, 8] [1, 1, 1, 1] : memref<?x5x5x8xf32> to memref<?x1x5x8xf32, strided<[200, 40, 8, 1], offset: 160>>
  linalg.fill ins(%zero : f32) outs(%row : memref<?x1x5x8xf32, strided<[200, 40, 8, 1], offset: 160>>)
  %col = memref.subview %pad[0, 0, 4, 0] [%n, 4, 1, 8] [1, 1, 1, 1] : memref<?x5x5x8xf32> to memref<?x4x1x8xf32, strided<[200, 40, 8, 1], offset: 32>>
  linalg.fill ins(%zero : f32) outs(%col : memref<?x4x1x8xf32, strided<[200, 40, 8, 1], offset: 32>>)
  %in = memref.subview %pad[0, 0, 0, 0] [%n, 4, 4, 8] [1, 1, 1, 1] : memref<?x5x5x8xf32> to memref<?x4x4x8xf32, strided<[200, 40, 8, 1]>>
  linalg.copy ins(%r : memref<?x4x4x8xf32>) outs(%in : memref<?x4x4x8xf32, strided<[200, 40, 8, 1]>>)
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%r, %g : memref<?x4x4x8xf32>, memref<?x4x4x8xf32>) outs(%dx : memref<?x4x4x8xf32>) {
  ^bb0(%v: f32, %d: f32, %o: f32):
    %p = arith.cmpf ogt, %v, %zero : f32
    %s = arith.select %p, %d, %zero : f32
    linalg.yield %s : f32
  }
  memref.dealloc %r : memref<?x4x4x8xf32>
  linalg.copy ins(%pad : memref<?x5x5x8xf32>) outs(%out : memref<?x5x5x8xf32>)
  memref.dealloc %pad : memref<?x5x5x8xf32>
  return
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// A border fill that overlaps the copied window (it would be overwritten
// by the copy, not by the writer before it): nothing changes.
// CHECK-LABEL: func.func @fill_overlaps_window(
// CHECK: linalg.copy ins(%{{.*}} : memref<?x4x4x8xf32>)
func.func @fill_overlaps_window(%x: memref<?x4x4x8xf32>, %out: memref<?x5x5x8xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4x4x8xf32>
  %r = memref.alloc(%n) : memref<?x4x4x8xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<?x4x4x8xf32>) outs(%r : memref<?x4x4x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.negf %v : f32
    linalg.yield %m : f32
  }
  %pad = memref.alloc(%n) : memref<?x5x5x8xf32>
  %row = memref.subview %pad[0, 3, 0, 0] [%n, 2, 5, 8] [1, 1, 1, 1] : memref<?x5x5x8xf32> to memref<?x2x5x8xf32, strided<[200, 40, 8, 1], offset: 120>>
  linalg.fill ins(%zero : f32) outs(%row : memref<?x2x5x8xf32, strided<[200, 40, 8, 1], offset: 120>>)
  %in = memref.subview %pad[0, 0, 0, 0] [%n, 4, 4, 8] [1, 1, 1, 1] : memref<?x5x5x8xf32> to memref<?x4x4x8xf32, strided<[200, 40, 8, 1]>>
  linalg.copy ins(%r : memref<?x4x4x8xf32>) outs(%in : memref<?x4x4x8xf32, strided<[200, 40, 8, 1]>>)
  memref.dealloc %r : memref<?x4x4x8xf32>
  linalg.copy ins(%pad : memref<?x5x5x8xf32>) outs(%out : memref<?x5x5x8xf32>)
  memref.dealloc %pad : memref<?x5x5x8xf32>
  return
}

// -----

// A buffer the writer does not write whole by one linalg op (here two
// ops, as a product's tiles would be): nothing changes.
// CHECK-LABEL: func.func @two_writers(
// CHECK: linalg.copy
// CHECK: linalg.copy ins(%{{.*}} : memref<?x4x4x8xf32>)
func.func @two_writers(%x: memref<?x4x4x8xf32>, %out: memref<?x5x5x8xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4x4x8xf32>
  %r = memref.alloc(%n) : memref<?x4x4x8xf32>
  linalg.fill ins(%zero : f32) outs(%r : memref<?x4x4x8xf32>)
  linalg.copy ins(%x : memref<?x4x4x8xf32>) outs(%r : memref<?x4x4x8xf32>)
  %pad = memref.alloc(%n) : memref<?x5x5x8xf32>
  %in = memref.subview %pad[0, 1, 1, 0] [%n, 4, 4, 8] [1, 1, 1, 1] : memref<?x5x5x8xf32> to memref<?x4x4x8xf32, strided<[200, 40, 8, 1], offset: 48>>
  linalg.copy ins(%r : memref<?x4x4x8xf32>) outs(%in : memref<?x4x4x8xf32, strided<[200, 40, 8, 1], offset: 48>>)
  memref.dealloc %r : memref<?x4x4x8xf32>
  linalg.copy ins(%pad : memref<?x5x5x8xf32>) outs(%out : memref<?x5x5x8xf32>)
  memref.dealloc %pad : memref<?x5x5x8xf32>
  return
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// A window product's epilogue writes its ReLU tile by tile through an
// expand_shape of the buffer ([.., 1 group, channels]): the expand_shape
// and the tiles' views are made again on the pad's interior, the mask
// reads it there, and the copy and the buffer go.
// CHECK-LABEL: func.func @epilogue_into_pad(
// CHECK: %[[PAD:.*]] = memref.alloc(%{{.*}}) : memref<?x5x5x8xf32>
// CHECK: %[[IN:.*]] = memref.subview %[[PAD]][0, 0, 0, 0] [%{{.*}}, 4, 4, 8] [1, 1, 1, 1]
// CHECK: %[[IN5:.*]] = memref.expand_shape %[[IN]] {{\[}}[0], [1], [2], [3, 4]] output_shape [%{{.*}}, 4, 4, 1, 8] : memref<?x4x4x8xf32, strided<[200, 40, 8, 1]>> into memref<?x4x4x1x8xf32, strided<[200, 40, 8, 8, 1]>>
// CHECK: scf.parallel
// CHECK: %[[TILE:.*]] = memref.subview %[[IN5]]
// CHECK: vector.transfer_write %{{.*}}, %[[TILE]]
// CHECK-NOT: linalg.copy
// CHECK: linalg.generic {{.*}} ins(%[[IN]], %arg1 :
// CHECK-NOT: memref.alloc(%{{.*}}) : memref<?x4x4x8xf32>
func.func @epilogue_into_pad(%x: memref<?x4x4x1x8xf32>, %g: memref<?x4x4x8xf32>, %dx: memref<?x4x4x8xf32>, %out: memref<?x5x5x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %zeros = arith.constant dense<0.0> : vector<1x1x1x1x8xf32>
  %n = memref.dim %x, %c0 : memref<?x4x4x1x8xf32>
  %r = memref.alloc(%n) : memref<?x4x4x8xf32>
  %r5 = memref.expand_shape %r [[0], [1], [2], [3, 4]] output_shape [%n, 4, 4, 1, 8] : memref<?x4x4x8xf32> into memref<?x4x4x1x8xf32>
  scf.parallel (%i, %h, %w) = (%c0, %c0, %c0) to (%n, %c4, %c4) step (%c1, %c1, %c1) {
    %t = vector.transfer_read %x[%i, %h, %w, %c0, %c0], %zero {in_bounds = [true, true, true, true, true]} : memref<?x4x4x1x8xf32>, vector<1x1x1x1x8xf32>
    %m = arith.maximumf %t, %zeros : vector<1x1x1x1x8xf32>
    %tile = memref.subview %r5[%i, %h, %w, 0, 0] [1, 1, 1, 1, 8] [1, 1, 1, 1, 1] : memref<?x4x4x1x8xf32> to memref<1x1x1x1x8xf32, strided<[128, 32, 8, 8, 1], offset: ?>>
    vector.transfer_write %m, %tile[%c0, %c0, %c0, %c0, %c0] {in_bounds = [true, true, true, true, true]} : vector<1x1x1x1x8xf32>, memref<1x1x1x1x8xf32, strided<[128, 32, 8, 8, 1], offset: ?>>
    scf.reduce
  }
  %pad = memref.alloc(%n) : memref<?x5x5x8xf32>
  %row = memref.subview %pad[0, 4, 0, 0] [%n, 1, 5, 8] [1, 1, 1, 1] : memref<?x5x5x8xf32> to memref<?x1x5x8xf32, strided<[200, 40, 8, 1], offset: 160>>
  linalg.fill ins(%zero : f32) outs(%row : memref<?x1x5x8xf32, strided<[200, 40, 8, 1], offset: 160>>)
  %col = memref.subview %pad[0, 0, 4, 0] [%n, 4, 1, 8] [1, 1, 1, 1] : memref<?x5x5x8xf32> to memref<?x4x1x8xf32, strided<[200, 40, 8, 1], offset: 32>>
  linalg.fill ins(%zero : f32) outs(%col : memref<?x4x1x8xf32, strided<[200, 40, 8, 1], offset: 32>>)
  %in = memref.subview %pad[0, 0, 0, 0] [%n, 4, 4, 8] [1, 1, 1, 1] : memref<?x5x5x8xf32> to memref<?x4x4x8xf32, strided<[200, 40, 8, 1]>>
  linalg.copy ins(%r : memref<?x4x4x8xf32>) outs(%in : memref<?x4x4x8xf32, strided<[200, 40, 8, 1]>>)
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%r, %g : memref<?x4x4x8xf32>, memref<?x4x4x8xf32>) outs(%dx : memref<?x4x4x8xf32>) {
  ^bb0(%v: f32, %d: f32, %o: f32):
    %p = arith.cmpf ogt, %v, %zero : f32
    %s = arith.select %p, %d, %zero : f32
    linalg.yield %s : f32
  }
  memref.dealloc %r : memref<?x4x4x8xf32>
  linalg.copy ins(%pad : memref<?x5x5x8xf32>) outs(%out : memref<?x5x5x8xf32>)
  memref.dealloc %pad : memref<?x5x5x8xf32>
  return
}

// -----

// A product's tile rows written through a collapse_shape ([positions,
// channels]: a row may run on past an image row, which the pad's interior
// does not hold in one piece): nothing changes.
// CHECK-LABEL: func.func @rows_through_collapse(
// CHECK: memref.collapse_shape %[[R:.*]] {{\[}}[0, 1, 2], [3]]
// CHECK: linalg.copy ins(%[[R]] : memref<?x4x4x8xf32>)
func.func @rows_through_collapse(%x: memref<?x8xf32>, %out: memref<?x5x5x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %x, %c0 : memref<?x8xf32>
  %c16 = arith.constant 16 : index
  %n = arith.divui %rows, %c16 : index
  %r = memref.alloc(%n) : memref<?x4x4x8xf32>
  %flat = memref.collapse_shape %r [[0, 1, 2], [3]] : memref<?x4x4x8xf32> into memref<?x8xf32>
  scf.parallel (%i) = (%c0) to (%rows) step (%c1) {
    %t = vector.transfer_read %x[%i, %c0], %zero {in_bounds = [true]} : memref<?x8xf32>, vector<8xf32>
    vector.transfer_write %t, %flat[%i, %c0] {in_bounds = [true]} : vector<8xf32>, memref<?x8xf32>
    scf.reduce
  }
  %pad = memref.alloc(%n) : memref<?x5x5x8xf32>
  %in = memref.subview %pad[0, 0, 0, 0] [%n, 4, 4, 8] [1, 1, 1, 1] : memref<?x5x5x8xf32> to memref<?x4x4x8xf32, strided<[200, 40, 8, 1]>>
  linalg.copy ins(%r : memref<?x4x4x8xf32>) outs(%in : memref<?x4x4x8xf32, strided<[200, 40, 8, 1]>>)
  memref.dealloc %r : memref<?x4x4x8xf32>
  linalg.copy ins(%pad : memref<?x5x5x8xf32>) outs(%out : memref<?x5x5x8xf32>)
  memref.dealloc %pad : memref<?x5x5x8xf32>
  return
}
