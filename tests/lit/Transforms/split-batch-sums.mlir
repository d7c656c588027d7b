// RUN: sinter-opt %s --split-input-file --sinter-split-batch-sums | FileCheck %s

// A filter gradient's tiles: 5 rows of taps, each summing over the batch
// from zero and written once. 16 parts, part p images [p * n / 16,
// (p + 1) * n / 16) (sizes differing by at most one), the loop
// over (part, row), each part into its slice of the partial sums; then the
// parts added in order into the result.
// CHECK-LABEL: func.func @filter_gradient
// CHECK: %[[N:.*]] = memref.dim
// CHECK: %[[PARTIAL:.*]] = memref.alloc() : memref<16x5x6xf32>
// CHECK: scf.parallel (%[[P:.*]], %[[ROW:.*]]) = (%c0{{.*}}, %c0{{.*}}) to (%[[C16:c16[_0-9]*]], %c5{{.*}}) step (%c1{{.*}}, %c1{{.*}})
// CHECK: %[[FROM:.*]] = arith.muli %[[P]], %[[N]]
// CHECK: %[[BEGIN:.*]] = arith.divui %[[FROM]], %[[C16]]
// CHECK: %[[NEXT:.*]] = arith.addi %[[P]], %c1
// CHECK: %[[TO:.*]] = arith.muli %[[NEXT]], %[[N]]
// CHECK: %[[END:.*]] = arith.divui %[[TO]], %[[C16]]
// CHECK: %[[SLICE:.*]] = memref.subview %[[PARTIAL]][%[[P]], 0, 0] [1, 5, 6] [1, 1, 1]
// CHECK: scf.for %{{.*}} = %[[BEGIN]] to %[[END]] step %c1{{.*}} iter_args
// CHECK: vector.transfer_write %{{.*}}, %[[SLICE]][%[[ROW]], %c0{{.*}}]
// CHECK: %[[P0:.*]] = memref.subview %[[PARTIAL]][0, 0, 0] [1, 5, 6]
// CHECK: %[[P1:.*]] = memref.subview %[[PARTIAL]][1, 0, 0] [1, 5, 6]
// CHECK-COUNT-13: memref.subview %[[PARTIAL]]
// CHECK: %[[P15:.*]] = memref.subview %[[PARTIAL]][15, 0, 0] [1, 5, 6]
// CHECK: linalg.generic {{.*}} ins(%[[P0]], %[[P1]], {{.*}}, %[[P15]] : {{.*}}) outs(%arg2 : memref<5x6xf32>)
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: f32, %[[B:[a-z0-9_]+]]: f32, %[[C:[a-z0-9_]+]]: f32, {{.*}}, %[[LAST:[a-z0-9_]+]]: f32, %{{[a-z0-9_]+}}: f32):
// CHECK: %[[AB:.*]] = arith.addf %[[A]], %[[B]]
// CHECK: %[[ABC:.*]] = arith.addf %[[AB]], %[[C]]
// CHECK-COUNT-12: arith.addf
// CHECK: %[[ALL:.*]] = arith.addf %{{.*}}, %[[LAST]]
// CHECK: linalg.yield %[[ALL]]
// CHECK: memref.dealloc %[[PARTIAL]]
func.func @filter_gradient(%x: memref<?x8xf32>, %dy: memref<?x6xf32>, %dw: memref<5x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %zero = arith.constant 0.0 : f32
  %acc0 = arith.constant dense<0.0> : vector<6xf32>
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  scf.parallel (%a) = (%c0) to (%c5) step (%c1) {
    %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %acc0) -> (vector<6xf32>) {
      %v = memref.load %x[%i, %a] : memref<?x8xf32>
      %g = vector.transfer_read %dy[%i, %c0], %zero {in_bounds = [true]} : memref<?x6xf32>, vector<6xf32>
      %b = vector.broadcast %v : f32 to vector<6xf32>
      %f = vector.fma %b, %g, %acc : vector<6xf32>
      scf.yield %f : vector<6xf32>
    }
    vector.transfer_write %s, %dw[%a, %c0] {in_bounds = [true]} : vector<6xf32>, memref<5x6xf32>
    scf.reduce
  }
  return
}

// -----

// Left alone: 16 or more iterations (enough for the threads as it is); an
// accumulator that does not start at zero (the sum goes on from what the
// result holds); tiles that do not cover the result (every other row: the
// parts would add garbage into the rows between); a sum of fixed length.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.generic
// CHECK-COUNT-4: scf.parallel (%{{[^,]*}}) =
// CHECK-NOT: scf.parallel
func.func @left_alone(%x: memref<?x16xf32>, %big: memref<16x6xf32>, %dw: memref<5x6xf32>, %wide: memref<10x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c5 = arith.constant 5 : index
  %c10 = arith.constant 10 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %acc0 = arith.constant dense<0.0> : vector<6xf32>
  %n = memref.dim %x, %c0 : memref<?x16xf32>
  scf.parallel (%a) = (%c0) to (%c16) step (%c1) {
    %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %acc0) -> (vector<6xf32>) {
      %v = memref.load %x[%i, %a] : memref<?x16xf32>
      %b = vector.broadcast %v : f32 to vector<6xf32>
      %f = arith.addf %b, %acc : vector<6xf32>
      scf.yield %f : vector<6xf32>
    }
    vector.transfer_write %s, %big[%a, %c0] {in_bounds = [true]} : vector<6xf32>, memref<16x6xf32>
    scf.reduce
  }
  scf.parallel (%a) = (%c0) to (%c5) step (%c1) {
    %init = vector.transfer_read %dw[%a, %c0], %zero {in_bounds = [true]} : memref<5x6xf32>, vector<6xf32>
    %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (vector<6xf32>) {
      %v = memref.load %x[%i, %a] : memref<?x16xf32>
      %b = vector.broadcast %v : f32 to vector<6xf32>
      %f = arith.addf %b, %acc : vector<6xf32>
      scf.yield %f : vector<6xf32>
    }
    vector.transfer_write %s, %dw[%a, %c0] {in_bounds = [true]} : vector<6xf32>, memref<5x6xf32>
    scf.reduce
  }
  scf.parallel (%a) = (%c0) to (%c10) step (%c2) {
    %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %acc0) -> (vector<6xf32>) {
      %v = memref.load %x[%i, %a] : memref<?x16xf32>
      %b = vector.broadcast %v : f32 to vector<6xf32>
      %f = arith.addf %b, %acc : vector<6xf32>
      scf.yield %f : vector<6xf32>
    }
    vector.transfer_write %s, %wide[%a, %c0] {in_bounds = [true]} : vector<6xf32>, memref<10x6xf32>
    scf.reduce
  }
  scf.parallel (%a) = (%c0) to (%c5) step (%c1) {
    %s = scf.for %i = %c0 to %c16 step %c1 iter_args(%acc = %acc0) -> (vector<6xf32>) {
      %v = memref.load %x[%i, %a] : memref<?x16xf32>
      %b = vector.broadcast %v : f32 to vector<6xf32>
      %f = arith.addf %b, %acc : vector<6xf32>
      scf.yield %f : vector<6xf32>
    }
    vector.transfer_write %s, %dw[%a, %c0] {in_bounds = [true]} : vector<6xf32>, memref<5x6xf32>
    scf.reduce
  }
  return
}

// -----

// A tile and its column edge (20 filters as 16 + 4), two sums over the
// batch to the same bound, whose writes together cover the result once:
// both sums over the part's rows, both tiles into the part's slice.
// CHECK-LABEL: func.func @tile_and_edge
// CHECK: %[[N:.*]] = memref.dim
// CHECK: %[[PARTIAL:.*]] = memref.alloc() : memref<16x5x20xf32>
// CHECK: scf.parallel (%[[P:.*]], %[[ROW:.*]]) = (%c0{{.*}}, %c0{{.*}}) to (%c16{{.*}}, %c5{{.*}})
// CHECK: %[[BEGIN:.*]] = arith.divui
// CHECK: %[[END:.*]] = arith.divui
// CHECK: %[[SLICE:.*]] = memref.subview %[[PARTIAL]][%[[P]], 0, 0] [1, 5, 20] [1, 1, 1]
// CHECK: scf.for %{{.*}} = %[[BEGIN]] to %[[END]] step %c1{{.*}} iter_args
// CHECK: vector.transfer_write %{{.*}}, %[[SLICE]][%[[ROW]], %c0{{.*}}] {{.*}} : vector<16xf32>
// CHECK: scf.for %{{.*}} = %[[BEGIN]] to %[[END]] step %c1{{.*}} iter_args
// CHECK: vector.transfer_write %{{.*}}, %[[SLICE]][%[[ROW]], %c16{{.*}}] {{.*}} : vector<4xf32>
// CHECK: linalg.generic {{.*}} outs(%arg2 : memref<5x20xf32>)
// CHECK: memref.dealloc %[[PARTIAL]]
func.func @tile_and_edge(%x: memref<?x8xf32>, %dy: memref<?x20xf32>, %dw: memref<5x20xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %acc16 = arith.constant dense<0.0> : vector<16xf32>
  %acc4 = arith.constant dense<0.0> : vector<4xf32>
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  scf.parallel (%a) = (%c0) to (%c5) step (%c1) {
    %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %acc16) -> (vector<16xf32>) {
      %v = memref.load %x[%i, %a] : memref<?x8xf32>
      %g = vector.transfer_read %dy[%i, %c0], %zero {in_bounds = [true]} : memref<?x20xf32>, vector<16xf32>
      %b = vector.broadcast %v : f32 to vector<16xf32>
      %f = vector.fma %b, %g, %acc : vector<16xf32>
      scf.yield %f : vector<16xf32>
    }
    vector.transfer_write %s, %dw[%a, %c0] {in_bounds = [true]} : vector<16xf32>, memref<5x20xf32>
    %e = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %acc4) -> (vector<4xf32>) {
      %v = memref.load %x[%i, %a] : memref<?x8xf32>
      %g = vector.transfer_read %dy[%i, %c16], %zero {in_bounds = [true]} : memref<?x20xf32>, vector<4xf32>
      %b = vector.broadcast %v : f32 to vector<4xf32>
      %f = vector.fma %b, %g, %acc : vector<4xf32>
      scf.yield %f : vector<4xf32>
    }
    vector.transfer_write %e, %dw[%a, %c16] {in_bounds = [true]} : vector<4xf32>, memref<5x20xf32>
    scf.reduce
  }
  return
}

// -----

// Left alone: a tile and an edge that overlap (columns 12-15 written
// twice: the parts would add them twice), and a tile and an edge that
// leave columns 16-17 unwritten.
// CHECK-LABEL: func.func @edges_left_alone
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.generic
// CHECK-COUNT-2: scf.parallel (%{{[^,]*}}) =
// CHECK-NOT: scf.parallel
func.func @edges_left_alone(%x: memref<?x8xf32>, %dw: memref<5x20xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c12 = arith.constant 12 : index
  %c18 = arith.constant 18 : index
  %acc16 = arith.constant dense<0.0> : vector<16xf32>
  %acc8 = arith.constant dense<0.0> : vector<8xf32>
  %acc2 = arith.constant dense<0.0> : vector<2xf32>
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  scf.parallel (%a) = (%c0) to (%c5) step (%c1) {
    %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %acc16) -> (vector<16xf32>) {
      %v = memref.load %x[%i, %a] : memref<?x8xf32>
      %b = vector.broadcast %v : f32 to vector<16xf32>
      %f = arith.addf %b, %acc : vector<16xf32>
      scf.yield %f : vector<16xf32>
    }
    vector.transfer_write %s, %dw[%a, %c0] {in_bounds = [true]} : vector<16xf32>, memref<5x20xf32>
    %e = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %acc8) -> (vector<8xf32>) {
      %v = memref.load %x[%i, %a] : memref<?x8xf32>
      %b = vector.broadcast %v : f32 to vector<8xf32>
      %f = arith.addf %b, %acc : vector<8xf32>
      scf.yield %f : vector<8xf32>
    }
    vector.transfer_write %e, %dw[%a, %c12] {in_bounds = [true]} : vector<8xf32>, memref<5x20xf32>
    scf.reduce
  }
  scf.parallel (%a) = (%c0) to (%c5) step (%c1) {
    %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %acc16) -> (vector<16xf32>) {
      %v = memref.load %x[%i, %a] : memref<?x8xf32>
      %b = vector.broadcast %v : f32 to vector<16xf32>
      %f = arith.addf %b, %acc : vector<16xf32>
      scf.yield %f : vector<16xf32>
    }
    vector.transfer_write %s, %dw[%a, %c0] {in_bounds = [true]} : vector<16xf32>, memref<5x20xf32>
    %e = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %acc2) -> (vector<2xf32>) {
      %v = memref.load %x[%i, %a] : memref<?x8xf32>
      %b = vector.broadcast %v : f32 to vector<2xf32>
      %f = arith.addf %b, %acc : vector<2xf32>
      scf.yield %f : vector<2xf32>
    }
    vector.transfer_write %e, %dw[%a, %c18] {in_bounds = [true]} : vector<2xf32>, memref<5x20xf32>
    scf.reduce
  }
  return
}
