// RUN: sinter-opt %s --split-input-file --sinter-lower-scf-to-cf | FileCheck %s
// The same blocks and branches as upstream's conversion:
// RUN: sinter-opt %s --split-input-file --sinter-lower-scf-to-cf --canonicalize > %t.sinter
// RUN: sinter-opt %s --split-input-file --convert-scf-to-cf --canonicalize > %t.upstream
// RUN: diff %t.sinter %t.upstream

// A loop carrying a sum, inside a loop: each becomes a condition block with
// the index and the carried values as arguments, a body that branches back
// with the next index, and the block after the loop, which the loop's
// results become the condition block's arguments in.
// CHECK-LABEL: func.func @sums
// CHECK-NOT: scf.
// CHECK: cf.br ^[[OUTER:bb[0-9]+]](%c0 : index)
// CHECK: ^[[OUTER]](%[[I:.*]]: index):
// CHECK: %[[MORE:.*]] = arith.cmpi slt, %[[I]], %c4 : index
// CHECK: cf.cond_br %[[MORE]], ^[[OBODY:bb[0-9]+]], ^[[DONE:bb[0-9]+]]
// CHECK: ^[[OBODY]]:
// CHECK: cf.br ^[[INNER:bb[0-9]+]](%c0, %{{.*}} : index, f32)
// CHECK: ^[[INNER]](%[[J:.*]]: index, %[[ACC:.*]]: f32):
// CHECK: arith.cmpi slt, %[[J]], %c8 : index
// CHECK: cf.cond_br %{{.*}}, ^[[IBODY:bb[0-9]+]], ^[[IDONE:bb[0-9]+]]
// CHECK: ^[[IBODY]]:
// CHECK: %[[SUM:.*]] = arith.addf %[[ACC]], %{{.*}} : f32
// CHECK: %[[NEXT:.*]] = arith.addi %[[J]], %c1 : index
// CHECK: cf.br ^[[INNER]](%[[NEXT]], %[[SUM]] : index, f32)
// CHECK: ^[[IDONE]]:
// CHECK: memref.store %[[ACC]], %{{.*}}[%[[I]]]
// CHECK: cf.br ^[[OUTER]]
// CHECK: ^[[DONE]]:
// CHECK-NEXT: return
func.func @sums(%x: memref<4x8xf32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    %sum = scf.for %j = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<4x8xf32>
      %s = arith.addf %acc, %v : f32
      scf.yield %s : f32
    }
    memref.store %sum, %out[%i] : memref<4xf32>
  }
  return
}

// -----

// A choice with a result: two blocks branching to one whose argument is it.
// CHECK-LABEL: func.func @choice
// CHECK-NOT: scf.
// CHECK: cf.cond_br %{{.*}}, ^[[THEN:bb[0-9]+]], ^[[ELSE:bb[0-9]+]]
// CHECK: ^[[THEN]]:
// CHECK: cf.br ^[[JOIN:bb[0-9]+]](%{{.*}} : f32)
// CHECK: ^[[ELSE]]:
// CHECK: cf.br ^[[JOIN]](%{{.*}} : f32)
// CHECK: ^[[JOIN]](%[[R:.*]]: f32):
// CHECK: return %[[R]] : f32
func.func @choice(%c: i1, %a: f32, %b: f32) -> f32 {
  %r = scf.if %c -> (f32) {
    %m = arith.mulf %a, %b : f32
    scf.yield %m : f32
  } else {
    %s = arith.subf %a, %b : f32
    scf.yield %s : f32
  }
  return %r : f32
}

// -----

// A while loop, and a loop inside an OpenMP region (the parallel loops'
// bodies): lowered in place, the region keeps its own blocks.
// CHECK-LABEL: func.func @while_and_region
// CHECK-NOT: scf.
// CHECK: omp.parallel {
// CHECK: cf.cond_br
// CHECK: omp.terminator
func.func @while_and_region(%n: index, %x: memref<?xf32>) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.while (%i = %c0) : (index) -> index {
    %more = arith.cmpi slt, %i, %n : index
    scf.condition(%more) %i : index
  } do {
  ^bb0(%i: index):
    %next = arith.addi %i, %c1 : index
    scf.yield %next : index
  }
  omp.parallel {
    %one = arith.constant 1.0 : f32
    scf.for %i = %c0 to %n step %c1 {
      memref.store %one, %x[%i] : memref<?xf32>
    }
    omp.terminator
  }
  return %r : index
}
