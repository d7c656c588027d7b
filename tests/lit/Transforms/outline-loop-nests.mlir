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

// -----

// Two windows of one buffer at constant offsets (two blocks' weights in the
// parameters): each is passed with its offset made dynamic, so both nests
// have one signature and one body, which LLVM's MergeFunctions merges. A
// view made inside (the subview) follows the dynamic offset. A window used
// by an op whose result would carry the layout (memref.cast) keeps its
// static type.
// CHECK-LABEL: func.func @windows
// CHECK: %[[A:.*]] = memref.subview %{{.*}}[0] [8] [1]
// CHECK: %[[B:.*]] = memref.subview %{{.*}}[8] [8] [1]
// CHECK: %[[CA:.*]] = memref.cast %[[A]] : memref<8xf32, strided<[1]>> to memref<8xf32, strided<[1], offset: ?>>
// CHECK: call @[[F:windows_nest[_0-9]*]](%[[CA]])
// CHECK: %[[CB:.*]] = memref.cast %[[B]] : memref<8xf32, strided<[1], offset: 8>> to memref<8xf32, strided<[1], offset: ?>>
// CHECK: call @[[G:windows_nest[_0-9]*]](%[[CB]])
// CHECK: call @[[H:windows_nest[_0-9]*]](%[[B]]) : (memref<8xf32, strided<[1], offset: 8>>) -> ()
// CHECK: func.func private @[[F]](%[[X:.*]]: memref<8xf32, strided<[1], offset: ?>>)
// CHECK: memref.subview %[[X]][4] [4] [1] : memref<8xf32, strided<[1], offset: ?>> to memref<4xf32, strided<[1], offset: ?>>
// CHECK: func.func private @[[G]](%{{.*}}: memref<8xf32, strided<[1], offset: ?>>)
// CHECK: func.func private @[[H]](%{{.*}}: memref<8xf32, strided<[1], offset: 8>>)
// CHECK: memref.cast
func.func @windows(%params: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %a = memref.subview %params[0] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1]>>
  %b = memref.subview %params[8] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 8>>
  scf.for %i = %c0 to %c4 step %c1 {
    %high = memref.subview %a[4] [4] [1] : memref<8xf32, strided<[1]>> to memref<4xf32, strided<[1], offset: 4>>
    %v = memref.load %high[%i] : memref<4xf32, strided<[1], offset: 4>>
    memref.store %v, %a[%i] : memref<8xf32, strided<[1]>>
  }
  scf.for %i = %c0 to %c4 step %c1 {
    %high = memref.subview %b[4] [4] [1] : memref<8xf32, strided<[1], offset: 8>> to memref<4xf32, strided<[1], offset: 12>>
    %v = memref.load %high[%i] : memref<4xf32, strided<[1], offset: 12>>
    memref.store %v, %b[%i] : memref<8xf32, strided<[1], offset: 8>>
  }
  scf.for %i = %c0 to %c4 step %c1 {
    %any = memref.cast %b : memref<8xf32, strided<[1], offset: 8>> to memref<?xf32, strided<[1], offset: 8>>
    %v = memref.load %any[%i] : memref<?xf32, strided<[1], offset: 8>>
    memref.store %v, %b[%i] : memref<8xf32, strided<[1], offset: 8>>
  }
  return
}
