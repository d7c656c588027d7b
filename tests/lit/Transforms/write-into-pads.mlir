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
