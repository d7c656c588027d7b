// RUN: sinter-opt %s --sinter-plan-memory | FileCheck %s

// The plan is recorded for `sinterc --report`: per function, buffers
// placed, buffers left on the heap, the largest stack buffer in bytes,
// workspace {bytes per row, fixed}.
// CHECK: module attributes {sinter.memory_plan = {
// CHECK-SAME: chain = {arguments = 128 : i64, heap = 0 : i64, planned = 3 : i64, stack = 0 : i64, unshared = array<i64: 0, 192>, workspace = array<i64: 0, 128>}
// CHECK-SAME: escapes = {arguments = 64 : i64, heap = 1 : i64, planned = 0 : i64
// CHECK-SAME: in_loop = {arguments = 64 : i64, heap = 1 : i64, planned = 0 : i64, stack = 1024 : i64
// CHECK-SAME: rows = {arguments = 0 : i64, heap = 0 : i64, planned = 2 : i64, stack = 0 : i64, unshared = array<i64: 128, 0>, workspace = array<i64: 128, 0>}

// The entry points' workspace size, {bytes per batch row, fixed bytes}.
// CHECK: llvm.mlir.global external constant @sinter_workspace(dense<[128, 64]> : tensor<2xi64>)

// %a dies at the copy into %b, so %c, allocated after, takes its bytes;
// %b is live with both. The deallocs go: the workspace outlives the call.
// CHECK-LABEL: func.func private @chain(
// CHECK-SAME: %{{.*}}: memref<16xf32>, %{{.*}}: memref<16xf32>, %[[WS:.*]]: memref<?xi8>)
// CHECK: %[[A:.*]] = memref.view %[[WS]][%c0{{.*}}][] : memref<?xi8> to memref<16xf32>
// CHECK: %[[B:.*]] = memref.view %[[WS]][%c64{{.*}}][] : memref<?xi8> to memref<16xf32>
// CHECK: %[[C:.*]] = memref.view %[[WS]][%c0{{.*}}][] : memref<?xi8> to memref<16xf32>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func private @chain(%x: memref<16xf32>, %out: memref<16xf32>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %x, %a : memref<16xf32> to memref<16xf32>
  %b = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %a, %b : memref<16xf32> to memref<16xf32>
  %c = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %b, %c : memref<16xf32> to memref<16xf32>
  memref.copy %c, %out : memref<16xf32> to memref<16xf32>
  memref.dealloc %a : memref<16xf32>
  memref.dealloc %b : memref<16xf32>
  memref.dealloc %c : memref<16xf32>
  return
}

// %a (128 bytes) is dead when %b (64) and %c (64) are allocated, but
// neither takes part of its bytes: a buffer reuses only a slot of its own
// size, so that each byte has the same writer from one step to the next
// (the row split of one buffer, not the straddled rows of another).
// CHECK-LABEL: func.func private @slots_of_one_size(
// CHECK: memref.view %{{.*}}[%c0{{.*}}][] : memref<?xi8> to memref<32xf32>
// CHECK: memref.view %{{.*}}[%c128{{.*}}][] : memref<?xi8> to memref<16xf32>
// CHECK: memref.view %{{.*}}[%c192{{.*}}][] : memref<?xi8> to memref<16xf32>
func.func private @slots_of_one_size(%x: memref<32xf32>, %y: memref<16xf32>, %out: memref<16xf32>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<32xf32>
  memref.copy %x, %a : memref<32xf32> to memref<32xf32>
  memref.copy %a, %x : memref<32xf32> to memref<32xf32>
  %b = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %y, %b : memref<16xf32> to memref<16xf32>
  %c = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %b, %c : memref<16xf32> to memref<16xf32>
  memref.copy %c, %out : memref<16xf32> to memref<16xf32>
  memref.dealloc %a : memref<32xf32>
  memref.dealloc %b : memref<16xf32>
  memref.dealloc %c : memref<16xf32>
  return
}

// A view of %a used after %b is allocated keeps %a alive: no sharing.
// CHECK-LABEL: func.func private @view_keeps_alive(
// CHECK: memref.view %{{.*}}[%c0{{.*}}][] : memref<?xi8> to memref<16xf32>
// CHECK: memref.view %{{.*}}[%c64{{.*}}][] : memref<?xi8> to memref<16xf32>
func.func private @view_keeps_alive(%x: memref<16xf32>, %out: memref<8xf32>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %x, %a : memref<16xf32> to memref<16xf32>
  %half = memref.subview %a[8] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 8>>
  %b = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %x, %b : memref<16xf32> to memref<16xf32>
  memref.copy %half, %out : memref<8xf32, strided<[1], offset: 8>> to memref<8xf32>
  memref.dealloc %a : memref<16xf32>
  memref.dealloc %b : memref<16xf32>
  return
}

// Sizes linear in the rows of %x (16 bytes a row, kept at 64 so that every
// offset is a multiple of 64 for any row count): %b sits 64 bytes a row
// above %a.
// CHECK-LABEL: func.func private @rows(
// CHECK-SAME: %[[X:.*]]: memref<?x4xf32>, %[[WS:.*]]: memref<?xi8>)
// CHECK: %[[N:.*]] = memref.dim %[[X]], %c0
// CHECK: memref.view %[[WS]][%c0{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x4xf32>
// CHECK: %[[SCALED:.*]] = arith.muli %[[N]], %c64
// CHECK: %[[OFF:.*]] = arith.addi %[[SCALED]], %c0
// CHECK: memref.view %[[WS]][%[[OFF]]][%{{.*}}] : memref<?xi8> to memref<?x4xf32>
func.func private @rows(%x: memref<?x4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
  memref.copy %x, %a : memref<?x4xf32> to memref<?x4xf32>
  %b = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
  memref.copy %a, %b : memref<?x4xf32> to memref<?x4xf32>
  %v = memref.load %b[%c0, %c0] : memref<?x4xf32>
  memref.dealloc %a : memref<?x4xf32>
  memref.dealloc %b : memref<?x4xf32>
  return %v : f32
}

// A returned buffer leaves the function: it stays on the heap, and with
// nothing to plan the signature stays as it was. So does a buffer
// allocated inside a loop. A stack buffer is not planned; the largest
// (8 x 32 floats here) is recorded beside the plan.
// CHECK-LABEL: func.func private @escapes(%{{.*}}: memref<16xf32>) -> memref<16xf32>
// CHECK: memref.alloc()
// CHECK-LABEL: func.func private @in_loop(%{{.*}}: memref<16xf32>) {
// CHECK: scf.for
// CHECK-NEXT: memref.alloc()
func.func private @escapes(%x: memref<16xf32>) -> memref<16xf32> {
  %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %x, %a : memref<16xf32> to memref<16xf32>
  return %a : memref<16xf32>
}
func.func private @in_loop(%x: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    %panel = memref.alloca() {alignment = 64 : i64} : memref<8x32xf32>
    %small = memref.alloca() : memref<4xf32>
    memref.copy %x, %a : memref<16xf32> to memref<16xf32>
    memref.copy %a, %x : memref<16xf32> to memref<16xf32>
    memref.dealloc %a : memref<16xf32>
  }
  return
}

// An entry point of the trainer ABI takes the workspace last. Its rows are
// x.size / row size; the call to @rows is a buffer of @rows' workspace
// (128 bytes a row of x: @rows' two buffers of its expanded rows), live at
// the call only. The scratch buffer %t is dead by then, but it is not the
// same size: it sits above the call's bytes instead of inside them.
// CHECK-LABEL: func.func @sinter_predict(
// CHECK-SAME: %[[X:.*]]: memref<?xf32>, %{{.*}}: memref<?xf32>, %[[WS:.*]]: memref<?xi8>)
// CHECK: %[[D:.*]] = memref.dim %[[X]], %c0
// CHECK: %[[N:.*]] = arith.divui %[[D]], %c4
// CHECK: %[[ABOVE:.*]] = arith.muli %[[N]], %c128
// CHECK: %[[T:.*]] = arith.addi %[[ABOVE]], %c0
// CHECK: memref.view %[[WS]][%[[T]]][] : memref<?xi8> to memref<16xf32>
// CHECK: %[[SCALED:.*]] = arith.muli %[[N]], %c128
// CHECK: %[[SIZE:.*]] = arith.addi %[[SCALED]], %c0
// CHECK: %[[SUB:.*]] = memref.view %[[WS]][%c0{{.*}}][%[[SIZE]]] : memref<?xi8> to memref<?xi8>
// CHECK: call @rows(%{{.*}}, %[[SUB]])
func.func @sinter_predict(%x: memref<?xf32>, %out: memref<?xf32>) attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %d = memref.dim %x, %c0 : memref<?xf32>
  %n = arith.divui %d, %c4 : index
  %t = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  %first = memref.subview %x[0] [16] [1] : memref<?xf32> to memref<16xf32, strided<[1]>>
  memref.copy %first, %t : memref<16xf32, strided<[1]>> to memref<16xf32>
  %rows = memref.expand_shape %x [[0, 1]] output_shape [%n, 4] : memref<?xf32> into memref<?x4xf32>
  %r = call @rows(%rows) : (memref<?x4xf32>) -> f32
  memref.store %r, %out[%c0] : memref<?xf32>
  memref.dealloc %t : memref<16xf32>
  return
}

// Another public function allocates its workspace on entry and frees it
// on return.
// CHECK-LABEL: func.func @standalone(%{{.*}}: memref<16xf32>, %{{.*}}: memref<16xf32>) {
// CHECK: %[[WS:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?xi8>
// CHECK: call @chain(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK: memref.dealloc %[[WS]]
// CHECK-NEXT: return
func.func @standalone(%x: memref<16xf32>, %out: memref<16xf32>) {
  call @chain(%x, %out) : (memref<16xf32>, memref<16xf32>) -> ()
  return
}

// An entry point with nothing to plan still takes the workspace: the
// runtime passes one to every entry point.
// CHECK-LABEL: func.func @sinter_gradients(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xi8>)
func.func @sinter_gradients(%x: memref<?xf32>) attributes {llvm.emit_c_interface} {
  return
}

// A call whose callee's workspace is not linear in this function's leaf
// (its rows come from another call) gets a heap scratch buffer of the
// size the callee's formula gives at run time, even when nothing else
// here is planned.
// CHECK-LABEL: func.func private @unknown_rows() -> f32 {
// CHECK: %[[M:.*]] = call @make_rows()
// CHECK: %[[N:.*]] = memref.dim %[[M]], %c0
// CHECK: %[[SCALED:.*]] = arith.muli %[[N]], %c128
// CHECK: %[[SIZE:.*]] = arith.addi %[[SCALED]], %c0
// CHECK: %[[SCRATCH:.*]] = memref.alloc(%[[SIZE]]) {alignment = 64 : i64} : memref<?xi8>
// CHECK: call @rows(%[[M]], %[[SCRATCH]])
// CHECK: memref.dealloc %[[SCRATCH]]
func.func private @make_rows() -> memref<?x4xf32>
func.func private @unknown_rows() -> f32 {
  %m = call @make_rows() : () -> memref<?x4xf32>
  %r = call @rows(%m) : (memref<?x4xf32>) -> f32
  return %r : f32
}
