// RUN: sinter-opt %s --split-input-file --sinter-outline-loop-nests=min-ops=4 | FileCheck %s

// A loop nest at the top level moves into a private noinline function; the
// memref it works on is an argument, its constant bounds are cloned into
// the callee (so that they stay static there), and the caller calls it.
// CHECK-LABEL: func.func @square
// CHECK-SAME: (%[[X:.*]]: memref<8xf32>)
// CHECK-NOT: scf.for
// CHECK: call @square_nest(%[[X]]) : (memref<8xf32>) -> ()
// CHECK-NEXT: return
// CHECK: func.func private @square_nest(%[[A:.*]]: memref<8xf32>)
// CHECK-SAME: llvm.linkage = #llvm.linkage<internal>
// CHECK-SAME: passthrough = ["noinline"]
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: scf.for %[[I:.*]] = %[[C0]] to %[[C8]] step %[[C1]]
// CHECK: memref.load %[[A]][%[[I]]]
// CHECK: memref.store %{{.*}}, %[[A]][%[[I]]]
// CHECK: return
func.func @square(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %x[%i] : memref<8xf32>
    %w = arith.mulf %v, %v : f32
    memref.store %w, %x[%i] : memref<8xf32>
  }
  return
}

// -----

// A loop with results: the callee returns them and the caller's uses take
// the call's results. A dynamic bound computed above is an argument; the
// small loop after it (3 ops) stays where it is.
// CHECK-LABEL: func.func @sum
// CHECK-SAME: (%[[X:.*]]: memref<?xf32>, %[[Y:.*]]: memref<4xf32>)
// CHECK: %[[N:.*]] = memref.dim %[[X]]
// CHECK: %[[S:.*]] = call @sum_nest(%[[N]], %[[X]]) : (index, memref<?xf32>) -> f32
// CHECK: scf.for
// CHECK: memref.store %[[S]], %[[Y]]
// CHECK: return %[[S]] : f32
// CHECK: func.func private @sum_nest(%{{.*}}: index, %{{.*}}: memref<?xf32>) -> f32
// CHECK: %[[R:.*]] = scf.for
// CHECK: arith.addf
// CHECK: return %[[R]] : f32
func.func @sum(%x: memref<?xf32>, %y: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?xf32>
  %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> f32 {
    %v = memref.load %x[%i] : memref<?xf32>
    %a = arith.addf %acc, %v : f32
    scf.yield %a : f32
  }
  scf.for %j = %c0 to %c4 step %c1 {
    memref.store %s, %y[%j] : memref<4xf32>
  }
  return %s : f32
}

// -----

// Two nests of one function get two functions; a name already taken is
// not reused. Declarations are left alone.
// CHECK-LABEL: func.func @two
// CHECK: call @[[F1:two_nest[_0-9]*]](
// CHECK: call @[[F2:two_nest[_0-9]*]](
// CHECK: func.func private @[[F1]](
// CHECK: arith.mulf
// CHECK: func.func private @[[F2]](
// CHECK: arith.addf
// CHECK: func.func private @two_nest(%{{.*}}: f32) -> f32
// CHECK-NEXT: return
// CHECK: func.func private @external(memref<8xf32>)
func.func @two(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %x[%i] : memref<8xf32>
    %w = arith.mulf %v, %v : f32
    memref.store %w, %x[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %x[%i] : memref<8xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %x[%i] : memref<8xf32>
  }
  return
}
func.func private @two_nest(%v: f32) -> f32 {
  return %v : f32
}
func.func private @external(memref<8xf32>)
