// RUN: sinter-opt %s --split-input-file --sinter-tile-contractions=min-parallel-iterations=1000 | FileCheck %s
// RUN: sinter-opt %s --split-input-file --sinter-tile-contractions | FileCheck %s --check-prefix=SMALL
// RUN: sinter-opt %s --split-input-file --sinter-tile-contractions="min-parallel-iterations=1000 tile-m=6 tile-n=16 registers=16" | FileCheck %s --check-prefix=AVX2
// RUN: sinter-opt %s --split-input-file --sinter-tile-contractions="min-parallel-iterations=1000 tile-m=4 tile-n=8 registers=16" | FileCheck %s --check-prefix=SSE

// Y[?, 128] += X[?, 64] W[64, 128]: 8-row blocks on threads, 32 columns,
// the sum over 64 innermost carrying the 8x32 accumulator in registers
// (loaded once before it, stored once after it) as 8 vector FMAs a step.
// The last batch rows (batch mod 8) are the parallel loop's last
// iteration, in vectorized tiles: at most one of 4 rows, one of 2 and one
// of 1.
// CHECK: #[[FLOOR8:.*]] = affine_map<()[s0] -> ((s0 floordiv 8) * 8)>
// CHECK: #[[FOURS:.*]] = affine_map<()[s0] -> (((s0 mod 8) floordiv 4) * 4)>
// CHECK: #[[TWOS:.*]] = affine_map<()[s0] -> (((s0 mod 4) floordiv 2) * 2)>
// CHECK: #[[ONES:.*]] = affine_map<()[s0] -> (s0 mod 2)>
// CHECK-LABEL: func.func @forward
// CHECK: %[[ROWS:.*]] = memref.dim %arg0, %c0
// CHECK: %[[FULL:.*]] = affine.apply #[[FLOOR8]]()[%[[ROWS]]]
// CHECK: %[[FOUR:.*]] = affine.apply #[[FOURS]]()[%[[ROWS]]]
// CHECK: %[[TWO:.*]] = affine.apply #[[TWOS]]()[%[[ROWS]]]
// CHECK: %[[ONE:.*]] = affine.apply #[[ONES]]()[%[[ROWS]]]
// CHECK: scf.parallel (%[[M:.*]]) = (%c0) to (%[[ROWS]]) step (%c8) {
// CHECK-NEXT: %[[WHOLE:.*]] = arith.cmpi slt, %[[M]], %[[FULL]]
// CHECK-NEXT: scf.if %[[WHOLE]] {
// CHECK-NEXT: scf.for %[[N:.*]] = %c0 to %c128 step %c32 {
// CHECK-NEXT: %[[ACC:.*]] = vector.transfer_read %arg2[%[[M]], %[[N]]]{{.*}} vector<8x32xf32>
// CHECK-NEXT: %[[SUM:.*]] = scf.for %[[K:.*]] = %c0 to %c64 step %c1 iter_args(%{{.*}} = %[[ACC]]) -> (vector<8x32xf32>) {
// CHECK: vector.transfer_read %arg1[%[[K]], %[[N]]]{{.*}} vector<32xf32>
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.transfer_write %[[SUM]], %arg2[%[[M]], %[[N]]]
// CHECK: } else {
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %[[FOUR]] step %c4 {
// CHECK: iter_args({{.*}}) -> (vector<4x32xf32>)
// CHECK-COUNT-4: vector.fma {{.*}} : vector<32xf32>
// CHECK: scf.for %{{.*}} = %c0 to %[[TWO]] step %c2 {
// CHECK: iter_args({{.*}}) -> (vector<2x32xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %[[ONE]] step %c1 {
// CHECK: iter_args({{.*}}) -> (vector<1x32xf32>)
// CHECK-NOT: linalg.generic
// CHECK: scf.reduce
#mk = affine_map<(m, k, n) -> (m, k)>
#kn = affine_map<(m, k, n) -> (k, n)>
#mn = affine_map<(m, k, n) -> (m, n)>
func.func @forward(%x: memref<?x64xf32>, %w: memref<64x128xf32>, %y: memref<?x128xf32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x64xf32>, memref<64x128xf32>) outs(%y : memref<?x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}


// -----

// A static product of few row blocks (64 rows: 8 blocks of 8) shares the
// tiles of both outer loops between the threads (8 x 4 blocks): with one
// loop of 8 an odd thread count, or a 5-tap filter gradient's loop, leaves
// a thread idle for a share of the region.
// CHECK-LABEL: func.func @few_row_blocks
// CHECK: scf.parallel (%[[M:.*]], %[[N:.*]]) = (%c0, %c0) to (%c64, %c128) step (%c8, %c32) {
// CHECK-NEXT: vector.transfer_read %arg2[%[[M]], %[[N]]]{{.*}} vector<8x32xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args
#fmk = affine_map<(m, k, n) -> (m, k)>
#fkn = affine_map<(m, k, n) -> (k, n)>
#fmn = affine_map<(m, k, n) -> (m, n)>
func.func @few_row_blocks(%x: memref<64x64xf32>, %w: memref<64x128xf32>, %y: memref<64x128xf32>) {
  linalg.generic {indexing_maps = [#fmk, #fkn, #fmn], iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<64x64xf32>, memref<64x128xf32>) outs(%y : memref<64x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// 144 columns, not a multiple of 32 but four tiles or more: tiles of 32
// and a vectorized edge tile of 16 (16 columns throughout had half the
// accumulators).
// CHECK-LABEL: func.func @wide_edge
// CHECK: scf.parallel (%[[M:.*]]) =
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c32 {
// CHECK: scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK: scf.for {{.*}} -> (vector<8x16xf32>)
// CHECK: vector.transfer_write %{{.*}}, %arg2[%[[M]], %c128] {{.*}} : vector<8x16xf32>
func.func @wide_edge(%x: memref<?x64xf32>, %w: memref<64x144xf32>, %y: memref<?x144xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>], iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x64xf32>, memref<64x144xf32>) outs(%y : memref<?x144xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// 28 columns in all: not one tile of 28 (LLVM built its rows from single
// floats, 3 % of peak) but one of 16 and an edge of 12.
// CHECK-LABEL: func.func @narrow_odd
// CHECK-NOT: vector<8x28xf32>
// CHECK: scf.for {{.*}} -> (vector<8x16xf32>)
// CHECK: vector.transfer_write %{{.*}}, %arg2[%{{.*}}, %c0] {{.*}} : vector<8x16xf32>
// CHECK: scf.for {{.*}} -> (vector<8x12xf32>)
// CHECK: vector.transfer_write %{{.*}}, %arg2[%{{.*}}, %c16] {{.*}} : vector<8x12xf32>
func.func @narrow_odd(%x: memref<?x64xf32>, %w: memref<64x28xf32>, %y: memref<?x28xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>], iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x64xf32>, memref<64x28xf32>) outs(%y : memref<?x28xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// 156 columns: tiles of 32 leave an edge of 28, no register width (LLVM
// built it from single floats): it is split into a tile of 16 and one of
// 12, each summing in its own loop (in one, neither accumulator stayed in
// registers). The operand's rows, 156 floats, are not whole vectors
// apart: line panels, whose last tile holds the 28 columns.
// CHECK-LABEL: func.func @odd_wide_edge
// CHECK-NOT: vector<8x28xf32>
// Few rows: a column tile a thread, each copying its own panel.
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c5) step (%c1)
// CHECK: linalg.copy ins(%{{.*}} : memref<64x28xf32, {{.*}}>)
// CHECK: scf.for {{.*}} -> (vector<8x16xf32>)
// CHECK: vector.transfer_write {{.*}} : vector<8x16xf32>, memref<?x156xf32>
// CHECK: scf.for {{.*}} -> (vector<8x12xf32>)
// CHECK: vector.transfer_write {{.*}} : vector<8x12xf32>, memref<?x156xf32>
// CHECK-NOT: vector<8x28xf32>
// Many rows: one panel, its last tile partly filled.
// CHECK: } else {
// CHECK: linalg.copy ins(%{{.*}} : memref<64x28xf32, strided<[156, 1], offset: 128>>) outs(%{{.*}} : memref<64x28xf32, strided<[32, 1], offset: 8192>>)
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c32 {
// CHECK: scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK: scf.for {{.*}} -> (vector<8x16xf32>)
// CHECK: vector.transfer_write %{{.*}}, %arg2[%{{.*}}, %c128] {{.*}} : vector<8x16xf32>
// CHECK: scf.for {{.*}} -> (vector<8x12xf32>)
// CHECK: vector.transfer_write %{{.*}}, %arg2[%{{.*}}, %c144] {{.*}} : vector<8x12xf32>
// CHECK-NOT: vector<8x28xf32>
func.func @odd_wide_edge(%x: memref<?x64xf32>, %w: memref<64x156xf32>, %y: memref<?x156xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>], iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x64xf32>, memref<64x156xf32>) outs(%y : memref<?x156xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// The same product with its accumulator zeroed by a fill just before: no
// memset of Y; each full tile's sum starts from zero in registers (the
// fill forwarded into the loop's initial value, Y read never), the tiles
// of the last rows too.
// CHECK-LABEL: func.func @zeroed
// CHECK-DAG: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-DAG: %[[ZERO4:.*]] = arith.constant dense<0.000000e+00> : vector<4x32xf32>
// CHECK-NOT: linalg.fill
// CHECK: scf.parallel
// CHECK-NOT: vector.transfer_read %arg2
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args(%{{.*}} = %[[ZERO]]) -> (vector<8x32xf32>) {
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.transfer_write %{{.*}}, %arg2
// CHECK: } else {
// CHECK-NOT: vector.transfer_read %arg2
// CHECK: iter_args(%{{.*}} = %[[ZERO4]]) -> (vector<4x32xf32>)
// CHECK-NOT: vector.transfer_read %arg2
// CHECK: scf.reduce
#mk = affine_map<(m, k, n) -> (m, k)>
#kn = affine_map<(m, k, n) -> (k, n)>
#mn = affine_map<(m, k, n) -> (m, n)>
func.func @zeroed(%x: memref<?x64xf32>, %w: memref<64x128xf32>, %y: memref<?x128xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<?x128xf32>)
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x64xf32>, memref<64x128xf32>) outs(%y : memref<?x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// dW[16, 10] += X[?, 16]ᵀ dY[?, 10]: rows of dW read contiguously from X,
// one load per value, each broadcast (with AVX, a broadcast from memory;
// SSE has none: one vector read, its values shuffled out);
// 10 columns is one tile (no divisor of 32 fits); the batch sum innermost,
// in blocks of 256 rows: the first block, then a loop over the others
// that adds to dW, each element's terms still in order.
// SSE-LABEL: func.func @weight_gradient
// SSE: vector.transfer_read %arg0{{.*}} vector<4xf32>
// SSE-NOT: memref.load %arg0
// SSE: return
// CHECK-LABEL: func.func @weight_gradient
// CHECK: %[[FIRST:.*]] = arith.minsi %dim, %c256
// CHECK: scf.parallel (%[[M:.*]]) = (%c0) to (%c16) step (%c8) {
// CHECK: scf.for %[[K:.*]] = %c0 to %[[FIRST]] step %c1 iter_args({{.*}}) -> (vector<8x10xf32>)
// CHECK: memref.load %arg0[%[[K]], %[[M]]]
// CHECK-COUNT-8: vector.fma {{.*}} : vector<10xf32>
// CHECK: scf.for %[[B:.*]] = %c256 to %dim step %c256 {
// CHECK: %[[LEFT:.*]] = arith.subi %dim, %[[B]]
// CHECK: %[[COUNT:.*]] = arith.minsi %[[LEFT]], %c256
// CHECK: scf.parallel (%[[M2:.*]]) = (%c0) to (%c16) step (%c8) {
// CHECK: %[[ACC:.*]] = vector.transfer_read %arg2[%[[M2]], %c0]
// CHECK: scf.for %[[K2:.*]] = %c0 to %[[COUNT]] step %c1 iter_args(%{{.*}} = %[[ACC]])
// CHECK: %[[ROW:.*]] = affine.apply #{{.*}}()[%[[B]], %[[K2]]]
// CHECK: memref.load %arg0[%[[ROW]], %[[M2]]]
// CHECK-COUNT-8: vector.fma {{.*}} : vector<10xf32>
// CHECK-NOT: linalg.generic
// Below the default min-parallel-iterations (16*10*32 with a batch guess of
// 32), the same tiles in sequential loops.
// SMALL-LABEL: func.func @weight_gradient
// SMALL-NOT: scf.parallel
// SMALL: scf.for
// SMALL: vector.fma
#km = affine_map<(k, m, n) -> (k, m)>
#kn2 = affine_map<(k, m, n) -> (k, n)>
#mn2 = affine_map<(k, m, n) -> (m, n)>
func.func @weight_gradient(%x: memref<?x16xf32>, %dy: memref<?x10xf32>, %dw: memref<16x10xf32>) {
  linalg.generic {indexing_maps = [#km, #kn2, #mn2], iterator_types = ["reduction", "parallel", "parallel"]}
    ins(%x, %dy : memref<?x16xf32>, memref<?x10xf32>) outs(%dw : memref<16x10xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}


// -----

// Attention's P·V per batch item: the batch loop outermost (parallel), then
// 8 query rows by the 16 features, the sum over keys innermost.
// CHECK-LABEL: func.func @attention_values
// CHECK: scf.parallel (%[[B:.*]]) = (%c0) to (%dim) step (%c1) {
// CHECK-NEXT: scf.for %[[T:.*]] = %c0 to %c24 step %c8 {
// CHECK: scf.for %[[S:.*]] = %c0 to %c24 step %c1
// CHECK-COUNT-8: vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT: linalg.generic
#p = affine_map<(b, t, s, k) -> (b, t, s)>
#v = affine_map<(b, t, s, k) -> (b, s, k)>
#o = affine_map<(b, t, s, k) -> (b, t, k)>
func.func @attention_values(%p: memref<?x24x24xf32>, %v: memref<?x24x16xf32>, %o: memref<?x24x16xf32>) {
  linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
    ins(%p, %v : memref<?x24x24xf32>, memref<?x24x16xf32>) outs(%o : memref<?x24x16xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}


// -----

// W read along its rows ([n, k]): the tile could not load columns as
// vectors, so the op is left alone (LowerToLinalg transposes such operands).
// CHECK-LABEL: func.func @strided_columns
// CHECK-NOT: vector.
// CHECK: linalg.generic
// CHECK-NOT: vector.
#mk4 = affine_map<(m, k, n) -> (m, k)>
#nk = affine_map<(m, k, n) -> (n, k)>
#mn4 = affine_map<(m, k, n) -> (m, n)>
func.func @strided_columns(%x: memref<?x64xf32>, %w: memref<128x64xf32>, %y: memref<?x128xf32>) {
  linalg.generic {indexing_maps = [#mk4, #nk, #mn4], iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x64xf32>, memref<128x64xf32>) outs(%y : memref<?x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A Dense on sequences: dW sums over batch and position. The two summed
// loops merge into one (same order) so each tile is a single-index sum.
// CHECK-LABEL: func.func @sequence_weight_gradient
// CHECK-DAG: %[[X:.*]] = memref.collapse_shape %arg0 {{\[\[}}0, 1], [2]]
// CHECK-DAG: %[[DY:.*]] = memref.collapse_shape %arg1 {{\[\[}}0, 1], [2]]
// CHECK: scf.parallel (%[[M:.*]]) = (%c0) to (%c64) step (%c8) {
// CHECK: scf.for %[[K:.*]] = %c0 to %{{.*}} step %c1 iter_args({{.*}}) -> (vector<8x32xf32>)
// CHECK: vector.transfer_read %[[DY]][%[[K]], %c0]{{.*}} vector<32xf32>
// CHECK: memref.load %[[X]][%[[K]], %[[M]]]
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK-NOT: linalg.generic
#x = affine_map<(m, b, t, n) -> (b, t, m)>
#dy = affine_map<(m, b, t, n) -> (b, t, n)>
#dw = affine_map<(m, b, t, n) -> (m, n)>
func.func @sequence_weight_gradient(%x: memref<?x16x64xf32>, %dy: memref<?x16x32xf32>, %dw: memref<64x32xf32>) {
  linalg.generic {indexing_maps = [#x, #dy, #dw], iterator_types = ["parallel", "reduction", "reduction", "parallel"]}
    ins(%x, %dy : memref<?x16x64xf32>, memref<?x16x32xf32>) outs(%dw : memref<64x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// The product names the column operand first (dW = dyᵀ·x written as
// dy·x): the tile multiplies rows · columns instead, so the FMAs run along
// the 32 columns (and not along 8 rows with the accumulator transposed).
// CHECK-LABEL: func.func @columns_first
// CHECK-DAG: memref.load %arg1
// CHECK-DAG: vector.transfer_read %arg0{{.*}} vector<32xf32>
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK-NOT: vector.fma {{.*}} : vector<8xf32>
// CHECK: return
#dy = affine_map<(m, k, n) -> (k, n)>
#x = affine_map<(m, k, n) -> (k, m)>
#dw = affine_map<(m, k, n) -> (m, n)>
func.func @columns_first(%dy: memref<?x64xf32>, %x: memref<?x16xf32>, %dw: memref<16x64xf32>) {
  linalg.generic {indexing_maps = [#dy, #x, #dw], iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%dy, %x : memref<?x64xf32>, memref<?x16xf32>) outs(%dw : memref<16x64xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A window contraction (a convolution's input gradient over a spread,
// padded cotangent): tiles of 7 positions (14 = 2 x 7) by the 6 channels,
// fanned out over 2 rows of positions (no input with the channels reads
// them: each filter row loaded feeds 14 accumulators), the sums innermost
// around a register-held 2x7x6 accumulator: the row taps, the output
// channels, and innermost, unrolled, the 5 column taps, which read the
// cotangent at `j + b` with the 7 positions (its 2 x 11 values a step,
// each loaded once, not 2 x 35). Without its unit loops a tile is an
// elementwise fused multiply-add of 2x7 strided cotangent values (each
// broadcast over the channels) and a filter row.
// CHECK-LABEL: func.func @conv_input_grad
// CHECK: scf.parallel (%[[N:.*]]) = (%c0) to (%{{.*}}) step (%c1) {
// CHECK: scf.for %[[I:.*]] = %c0 to %c14 step %c2 {
// CHECK: scf.for %[[J:.*]] = %c0 to %c14 step %c7 {
// CHECK: %[[ACC:.*]] = vector.transfer_read %arg2[%[[N]], %[[I]], %[[J]], %c0]{{.*}} vector<2x7x6xf32>
// CHECK: scf.for %[[A:.*]] = %c0 to %c5 step %c1 iter_args(%{{.*}} = %[[ACC]]) -> (vector<2x7x6xf32>)
// CHECK: scf.for %[[O:.*]] = %c0 to %c16 step %c1
// CHECK-NOT: scf.for
// CHECK: vector.transfer_read %arg0[%[[N]], %{{.*}}, %[[J]], %[[O]]]{{.*}} vector<2x7x6xf32>
// CHECK: vector.transfer_read %arg1[%[[A]], %c0, %[[O]], %c0]{{.*}} vector<6xf32>
// CHECK-NOT: arith.mulf
// CHECK: vector.fma {{.*}} : vector<2x7x6xf32>
// CHECK-NOT: scf.for
// CHECK: vector.transfer_read %arg1[%[[A]], %c1, %[[O]], %c0]
// CHECK: vector.fma
// CHECK-NOT: scf.for
// CHECK: vector.transfer_read %arg1[%[[A]], %c4, %[[O]], %c0]
// CHECK: vector.fma
// CHECK: scf.yield
// CHECK: vector.transfer_write {{.*}}, %arg2[%[[N]], %[[I]], %[[J]], %c0]
// CHECK-NOT: linalg.generic
#g = affine_map<(n, i, j, a, b, o, c) -> (n, i + a, j + b, o)>
#f = affine_map<(n, i, j, a, b, o, c) -> (a, b, o, c)>
#dx = affine_map<(n, i, j, a, b, o, c) -> (n, i, j, c)>
func.func @conv_input_grad(%g: memref<?x18x18x16xf32>, %f: memref<5x5x16x6xf32>, %dx: memref<?x14x14x6xf32>) {
  linalg.generic {indexing_maps = [#g, #f, #dx], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
    ins(%g, %f : memref<?x18x18x16xf32>, memref<5x5x16x6xf32>) outs(%dx : memref<?x14x14x6xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
// -----

// The input gradient of a 3x3 convolution into 100 channels (k1-mix's):
// three window tiles of two registers and an edge of 4, not six tiles of
// one register: one register of columns costs a broadcast load per FMA.
// CHECK-LABEL: func.func @window_wide_columns
// CHECK: scf.for %{{.*}} = %c0 to %c96 step %c32
// CHECK: vector.fma {{.*}}x32xf32>
// CHECK: vector.fma {{.*}}x4xf32>
// CHECK-NOT: x16xf32>
#g2 = affine_map<(n, i, j, a, b, o, c) -> (n, i + a, j + b, o)>
#f2 = affine_map<(n, i, j, a, b, o, c) -> (a, b, o, c)>
#dx2 = affine_map<(n, i, j, a, b, o, c) -> (n, i, j, c)>
func.func @window_wide_columns(%g: memref<?x22x22x60xf32>, %f: memref<3x3x60x100xf32>, %dx: memref<?x20x20x100xf32>) {
  linalg.generic {indexing_maps = [#g2, #f2, #dx2], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
    ins(%g, %f : memref<?x22x22x60xf32>, memref<3x3x60x100xf32>) outs(%dx : memref<?x20x20x100xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A window contraction into 60 columns (k1-mix's forward convolution):
// split by its columns into 32, in tiles of two registers, and 28, in
// tiles of one (16 and 12), each part shaped on its own. Over 40 channels
// its taps stay inside the tiles; over 1200 (a filter part over 1 MiB)
// they run outside the image's tiles, each part zeroed just before them.
// CHECK-LABEL: func.func @window_wide_edge(
// CHECK-NOT: linalg.fill
// CHECK: vector.fma {{.*}} : vector<8x32xf32>
// CHECK: vector.fma {{.*}} : vector<2x8x16xf32>
// CHECK: vector.fma {{.*}} : vector<2x8x12xf32>
// CHECK-LABEL: func.func @window_wide_edge_taps_outside(
// CHECK: memref.subview %arg2[%{{.*}}, 0, 0, 0] [1, 8, 8, 32]
// CHECK-NEXT: linalg.fill
// CHECK: vector.fma {{.*}} : vector<8x32xf32>
// CHECK: memref.subview %arg2[%{{.*}}, 0, 0, 32] [1, 8, 8, 28]
// CHECK-NEXT: linalg.fill
// CHECK: vector.fma {{.*}} : vector<2x8x16xf32>
// CHECK: vector.fma {{.*}} : vector<2x8x12xf32>
// CHECK-NOT: x32xf32>
#we_g = affine_map<(n, i, j, a, b, o, c) -> (n, i + a, j + b, o)>
#we_f = affine_map<(n, i, j, a, b, o, c) -> (a, b, o, c)>
#we_dx = affine_map<(n, i, j, a, b, o, c) -> (n, i, j, c)>
func.func @window_wide_edge(%g: memref<?x10x10x40xf32>, %f: memref<3x3x40x60xf32>, %dx: memref<?x8x8x60xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dx : memref<?x8x8x60xf32>)
  linalg.generic {indexing_maps = [#we_g, #we_f, #we_dx], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
    ins(%g, %f : memref<?x10x10x40xf32>, memref<3x3x40x60xf32>) outs(%dx : memref<?x8x8x60xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
func.func @window_wide_edge_taps_outside(%g: memref<?x10x10x1200xf32>, %f: memref<3x3x1200x60xf32>, %dx: memref<?x8x8x60xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dx : memref<?x8x8x60xf32>)
  linalg.generic {indexing_maps = [#we_g, #we_f, #we_dx], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
    ins(%g, %f : memref<?x10x10x1200xf32>, memref<3x3x1200x60xf32>) outs(%dx : memref<?x8x8x60xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A window contraction over images whose filter does not stay in L2 (3x3
// taps of 512 channels into 64: 1.1 MiB): the taps run outside the
// image's tiles, each tile summing one tap's 512 channels, the filter rows
// of a tap for a column tile (64 KiB) staying in cache across the tiles;
// each image's result is zeroed just before its taps.
// CHECK-LABEL: func.func @taps_outside
// CHECK-NOT: linalg.fill
// CHECK: scf.parallel (%[[N:.*]]) =
// CHECK: %[[IMAGE:.*]] = memref.subview %arg2[%[[N]], 0, 0, 0] [1, 8, 8, 64]
// CHECK: linalg.fill {{.*}} outs(%[[IMAGE]]
// CHECK: scf.for %[[A:.*]] = %c0 to %c3 step %c1 {
// CHECK: scf.for %[[B:.*]] = %c0 to %c3 step %c1 {
// CHECK: scf.for %[[I:.*]] = %c0 to %c8 step %c1 {
// CHECK: scf.for %[[J:.*]] = %c0 to %c64 step %c32 {
// CHECK: %[[ACC:.*]] = vector.transfer_read %arg2[%[[N]], %[[I]], %c0, %[[J]]]{{.*}} vector<8x32xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c512 step %c1 iter_args(%{{.*}} = %[[ACC]])
// CHECK: vector.fma {{.*}} : vector<8x32xf32>
// CHECK: vector.transfer_write {{.*}}, %arg2[%[[N]], %[[I]], %c0, %[[J]]]
#tg = affine_map<(n, i, j, a, b, o, c) -> (n, i + a, j + b, o)>
#tf = affine_map<(n, i, j, a, b, o, c) -> (a, b, o, c)>
#tdx = affine_map<(n, i, j, a, b, o, c) -> (n, i, j, c)>
func.func @taps_outside(%g: memref<?x10x10x512xf32>, %f: memref<3x3x512x64xf32>, %dx: memref<?x8x8x64xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dx : memref<?x8x8x64xf32>)
  linalg.generic {indexing_maps = [#tg, #tf, #tdx], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
    ins(%g, %f : memref<?x10x10x512xf32>, memref<3x3x512x64xf32>) outs(%dx : memref<?x8x8x64xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// The same input gradient in a grouped convolution's layout (a unit group
// dimension in the result) and zeroed by a fill just before: the
// accumulator's write drops the unit dimension as its read does, so the
// 2x7x6 accumulator still stays in registers across the sums (the row
// taps, the output channels and the unrolled column taps), and it starts
// from zero there (no memset, no read of dx).
// CHECK-LABEL: func.func @grouped_input_grad
// CHECK-DAG: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<2x7x6xf32>
// CHECK-NOT: linalg.fill
// CHECK-NOT: vector.transfer_read %arg2
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]]) -> (vector<2x7x6xf32>)
// CHECK: scf.for {{.*}} -> (vector<2x7x6xf32>)
// CHECK-NOT: scf.for
// CHECK-NOT: vector.transfer_write
// CHECK: vector.fma {{.*}} : vector<2x7x6xf32>
// CHECK: vector.transfer_write {{.*}}, %arg2
#gg = affine_map<(n, i, j, a, b, g, o, c) -> (n, i + a, j + b, g, o)>
#gf = affine_map<(n, i, j, a, b, g, o, c) -> (a, b, g, o, c)>
#gdx = affine_map<(n, i, j, a, b, g, o, c) -> (n, i, j, g, c)>
func.func @grouped_input_grad(%g: memref<?x18x18x1x16xf32>, %f: memref<5x5x1x16x6xf32>, %dx: memref<?x14x14x1x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dx : memref<?x14x14x1x6xf32>)
  linalg.generic {indexing_maps = [#gg, #gf, #gdx], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel", "reduction", "parallel"]}
    ins(%g, %f : memref<?x18x18x1x16xf32>, memref<5x5x1x16x6xf32>) outs(%dx : memref<?x14x14x1x6xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A channels-last forward convolution (lenet's second: 6 -> 16 channels,
// 5x5 taps): tiles of 2 rows x 5 columns of one register of channels, the
// column taps innermost and unrolled. Each step over a row tap and an
// input channel loads the 5 taps' filter rows and each input value once
// (2 rows x 9 columns) for 50 FMAs; in turn, a step over all three sums
// loaded 10 values and a filter row for 10 FMAs.
// CHECK-LABEL: func.func @conv_taps_unrolled
// CHECK: scf.for %[[A:.*]] = %c0 to %c5 step %c1 iter_args({{.*}}) -> (vector<2x5x16xf32>)
// CHECK: scf.for %[[C:.*]] = %c0 to %c6 step %c1 iter_args({{.*}}) -> (vector<2x5x16xf32>)
// CHECK-NOT: scf.for
// CHECK: vector.transfer_read %arg1[%[[A]], %c0, %[[C]], %c0]
// CHECK: vector.fma {{.*}} : vector<2x5x16xf32>
// CHECK: vector.transfer_read %arg1[%[[A]], %c4, %[[C]], %c0]
// CHECK: vector.fma {{.*}} : vector<2x5x16xf32>
// CHECK-NEXT: scf.yield
// The same into 32 channels: a tile two registers wide already shares each
// broadcast value between two FMAs, and keeps its taps a loop.
// CHECK-LABEL: func.func @conv_taps_wide
// CHECK: scf.for {{.*}} -> (vector<{{.*}}x32xf32>)
// CHECK: scf.for {{.*}} -> (vector<{{.*}}x32xf32>)
// CHECK: scf.for {{.*}} -> (vector<{{.*}}x32xf32>)
// CHECK: vector.fma
// CHECK-NEXT: scf.yield
#cx = affine_map<(n, i, j, a, b, c, o) -> (n, i + a, j + b, c)>
#cw = affine_map<(n, i, j, a, b, c, o) -> (a, b, c, o)>
#cy = affine_map<(n, i, j, a, b, c, o) -> (n, i, j, o)>
func.func @conv_taps_unrolled(%x: memref<?x14x14x6xf32>, %w: memref<5x5x6x16xf32>, %y: memref<?x10x10x16xf32>) {
  linalg.generic {indexing_maps = [#cx, #cw, #cy], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
    ins(%x, %w : memref<?x14x14x6xf32>, memref<5x5x6x16xf32>) outs(%y : memref<?x10x10x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
func.func @conv_taps_wide(%x: memref<?x14x14x6xf32>, %w: memref<5x5x6x32xf32>, %y: memref<?x10x10x32xf32>) {
  linalg.generic {indexing_maps = [#cx, #cw, #cy], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
    ins(%x, %w : memref<?x14x14x6xf32>, memref<5x5x6x32xf32>) outs(%y : memref<?x10x10x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// The input gradient with the positions along the vectors (channels first,
// rows padded to 16): 7 rows of 16 columns, fanned out over 2 of the 6
// channels, which only the filter reads. Each 7x16 window of the cotangent
// is loaded once for both channels; the filter's two values are two
// splats, each loaded on its own (a broadcast from memory), not one insert
// per element. The row taps, which read the cotangent at `i + a` with the
// 7 rows, run innermost and unrolled: a step over the column taps and the
// output channels reads its 11 rows once for 5 taps, where each tap read 7.
// AVX2's 16 registers hold 12 accumulators (two ymm a row
// of 16) beside the 2 row vectors a step loads: 1 row x 6 channels (2
// rows x 3 channels held 4 loaded vectors, and LLVM spilled).
// CHECK-LABEL: func.func @rows_input_grad
// CHECK: scf.for %[[C:.*]] = %c0 to %c6 step %c2 {
// CHECK: %[[C1:.*]] = arith.addi %[[C]], %c1
// CHECK: scf.for %{{.*}} = %c0 to %c14 step %c7 {
// CHECK: vector.transfer_read %arg2{{.*}} vector<2x7x16xf32>
// CHECK: scf.for %[[B:.*]] = %c0 to %c5 step %c1 iter_args({{.*}}) -> (vector<2x7x16xf32>)
// CHECK: scf.for %[[O:.*]] = %c0 to %c16 step %c1 iter_args({{.*}}) -> (vector<2x7x16xf32>)
// CHECK-NOT: scf.for
// CHECK: %[[G:.*]] = vector.transfer_read %arg0{{.*}} vector<7x16xf32>
// CHECK: %[[GG:.*]] = vector.broadcast %[[G]] : vector<7x16xf32> to vector<2x7x16xf32>
// CHECK: %[[W0:.*]] = memref.load %arg1[%c0, %[[B]], %[[O]], %[[C]]]
// CHECK: vector.broadcast %[[W0]] : f32 to vector<7x16xf32>
// CHECK: %[[W1:.*]] = memref.load %arg1[%c0, %[[B]], %[[O]], %[[C1]]]
// CHECK: vector.broadcast %[[W1]] : f32 to vector<7x16xf32>
// CHECK-NOT: vector.insert {{.*}} : f32 into
// CHECK: vector.fma %[[GG]], {{.*}} : vector<2x7x16xf32>
// CHECK-NOT: scf.for
// CHECK: memref.load %arg1[%c4, %[[B]], %[[O]], %[[C]]]
// CHECK: vector.fma
// CHECK-NEXT: scf.yield
// AVX2-LABEL: func.func @rows_input_grad
// AVX2: scf.for %{{.*}} = %c0 to %c14 step %c1 {
// AVX2: vector.transfer_read %arg2{{.*}} vector<6x16xf32>
// AVX2: scf.for {{.*}} -> (vector<6x16xf32>)
// AVX2: scf.for {{.*}} -> (vector<6x16xf32>)
// AVX2: scf.for {{.*}} -> (vector<6x16xf32>)
// AVX2-COUNT-6: memref.load %arg1
// AVX2: vector.fma {{.*}} : vector<6x16xf32>
#rg = affine_map<(n, c, i, j, a, b, o) -> (n, o, i + a, j + b)>
#rf = affine_map<(n, c, i, j, a, b, o) -> (a, b, o, c)>
#rdx = affine_map<(n, c, i, j, a, b, o) -> (n, c, i, j)>
func.func @rows_input_grad(%g: memref<?x16x18x20xf32>, %f: memref<5x5x16x6xf32>, %dx: memref<?x6x14x16xf32>) {
  linalg.generic {indexing_maps = [#rg, #rf, #rdx], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
    ins(%g, %f : memref<?x16x18x20xf32>, memref<5x5x16x6xf32>) outs(%dx : memref<?x6x14x16xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// The middle band of rows of lenet's second input gradient, a view 4 rows
// into its result. AVX2's tiles of one row by all 6 channels loop over
// the rows; the view folds into a row index the accumulator's read and
// write compute apart, merged so that the pair is hoisted out of the sums
// (not read and written at every step).
// AVX2-LABEL: func.func @band_input_grad
// AVX2: scf.for %[[I:.*]] = %c0 to %c6 step %c1 {
// AVX2: %[[ROW:.*]] = affine.apply #{{.*}}()[%[[I]]]
// AVX2: vector.transfer_read %arg2[%{{.*}}, %c0, %c0, %[[ROW]], %c0]{{.*}} vector<6x16xf32>
// AVX2: scf.for {{.*}} -> (vector<6x16xf32>)
// AVX2: scf.for {{.*}} -> (vector<6x16xf32>)
// AVX2: scf.for {{.*}} -> (vector<6x16xf32>)
// AVX2-NOT: vector.transfer_write
// AVX2: scf.yield
// AVX2: vector.transfer_write {{.*}}, %arg2[%{{.*}}, %c0, %c0, %[[ROW]], %c0]
#bg = affine_map<(n, g, c, i, j, a, b, o) -> (n, g, o, i + a, j + b)>
#bf = affine_map<(n, g, c, i, j, a, b, o) -> (a, b, g, o, c)>
#bdx = affine_map<(n, g, c, i, j, a, b, o) -> (n, g, c, i, j)>
func.func @band_input_grad(%g: memref<?x1x16x10x20xf32>, %f: memref<5x5x1x16x6xf32>, %all: memref<?x1x6x14x16xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %g, %c0 : memref<?x1x16x10x20xf32>
  %dx = memref.subview %all[0, 0, 0, 4, 0] [%n, 1, 6, 6, 16] [1, 1, 1, 1, 1] : memref<?x1x6x14x16xf32> to memref<?x1x6x6x16xf32, strided<[1344, 1344, 224, 16, 1], offset: 64>>
  linalg.generic {indexing_maps = [#bg, #bf, #bdx], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
    ins(%g, %f : memref<?x1x16x10x20xf32>, memref<5x5x1x16x6xf32>) outs(%dx : memref<?x1x6x6x16xf32, strided<[1344, 1344, 224, 16, 1], offset: 64>>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A filter gradient with the positions along the vectors
// (sinter-lower-to-linalg): both inputs are read as vectors along the
// lanes l, the cotangent for each output channel o, the input for each
// row of taps a (its column `16 * jb + l + b` holds the column tap b, one
// per tile). The tile's rows are the taps a and its fan the channels o:
// 3 x 4 accumulators from 3 + 4 vector loads a step.
// CHECK-LABEL: func.func @filter_grad_lanes
// CHECK: scf.parallel (%[[B:.*]]) = (%c0) to (%c3) step (%c1)
// CHECK: vector.transfer_read %arg2{{.*}} vector<4x3x16xf32>
// CHECK: scf.for {{.*}} -> (vector<4x3x16xf32>)
// CHECK: scf.for {{.*}} -> (vector<4x3x16xf32>)
// CHECK: scf.for %[[JB:.*]] = %c0 to %c2 step %c1 {{.*}} -> (vector<4x3x16xf32>)
// CHECK: %[[G:.*]] = vector.transfer_read %arg0{{.*}} : memref<?x1x4x10x2x16xf32>, vector<4x3x16xf32>
// CHECK: %[[COL:.*]] = affine.apply #{{.*}}(%[[B]], %[[JB]])
// CHECK: %[[X:.*]] = vector.transfer_read %arg1[{{.*}}, %[[COL]]]{{.*}} : memref<?x1x1x12x34xf32>, vector<3x16xf32>
// CHECK: %[[XX:.*]] = vector.broadcast %[[X]] : vector<3x16xf32> to vector<4x3x16xf32>
// CHECK: vector.fma %[[G]], %[[XX]], %{{.*}} : vector<4x3x16xf32>
// With AVX2's tiles (6 rows of two 8-lane vectors) each tile takes one
// vector of the 16 lanes: 4 x 3 accumulators of 8 lanes again, not 2 rows
// of 2 vectors.
// AVX2-LABEL: func.func @filter_grad_lanes
// AVX2: scf.parallel (%{{.*}}, %[[L:.*]]) = (%c0, %c0) to (%c3, %c16) step (%c1, %c8)
// AVX2: vector.transfer_read %arg0[{{.*}}, %[[L]]]{{.*}} vector<4x3x8xf32>
// AVX2: vector.fma {{.*}} : vector<4x3x8xf32>
#fg = affine_map<(b, g, c, o, a, l, n, i, jb) -> (n, g, o, i, jb, l)>
#fx = affine_map<(b, g, c, o, a, l, n, i, jb) -> (n, g, c, i + a, jb * 16 + l + b)>
#fp = affine_map<(b, g, c, o, a, l, n, i, jb) -> (b, g, c, o, a, l)>
func.func @filter_grad_lanes(%g: memref<?x1x4x10x2x16xf32>, %x: memref<?x1x1x12x34xf32>, %p: memref<3x1x1x4x3x16xf32>) {
  linalg.generic {indexing_maps = [#fg, #fx, #fp], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
    ins(%g, %x : memref<?x1x4x10x2x16xf32>, memref<?x1x1x12x34xf32>) outs(%p : memref<3x1x1x4x3x16xf32>) {
  ^bb0(%u: f32, %v: f32, %acc: f32):
    %0 = arith.mulf %u, %v : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A channels-last filter gradient sums over the batch outermost: its sum
// runs in blocks of images (3 here: 80 KiB an image of both inputs, 256
// KiB a block), each block's tiles reading the result and adding to it, so
// that a block's images stay in L2 for all 54 tiles. (Its result is not
// zeroed just before: no parts, see @filter_grad_parts.)
// CHECK-LABEL: func.func @filter_grad_blocks
// CHECK: %[[N:.*]] = memref.dim %arg0, %c0
// CHECK: scf.for %[[S:.*]] = %c0 to %[[N]] step %c3 {
// CHECK: %[[COUNT:.*]] = arith.minsi %{{.*}}, %c3
// CHECK: scf.parallel
// CHECK: %[[ACC:.*]] = vector.transfer_read %arg2{{.*}} vector<3x4x16xf32>
// CHECK: scf.for %[[I:.*]] = %c0 to %[[COUNT]] step %c1 iter_args(%{{.*}} = %[[ACC]])
// CHECK: %[[IMAGE:.*]] = affine.apply #{{.*}}()[%[[S]], %[[I]]]
// CHECK: vector.transfer_read %arg0[%[[IMAGE]],
// CHECK: vector.transfer_write {{.*}}, %arg2
// A filter gradient of 3 tiles keeps its sum whole: the threads split it
// in parts (sinter-split-batch-sums), each tile streaming the batch once.
// CHECK-LABEL: func.func @filter_grad_few_tiles
// CHECK-NOT: step %c3
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c3) step (%c1)
// CHECK: scf.for %{{.*}} = %c0 to %dim step %c1
#wx = affine_map<(n, i, j, a, b, g, c, o) -> (n, i + a, j + b, g, c)>
#wg = affine_map<(n, i, j, a, b, g, c, o) -> (n, i, j, g, o)>
#wp = affine_map<(n, i, j, a, b, g, c, o) -> (a, b, c, g, o)>
func.func @filter_grad_blocks(%x: memref<?x18x18x1x24xf32>, %g: memref<?x16x16x1x48xf32>, %dw: memref<3x3x24x1x48xf32>) {
  linalg.generic {indexing_maps = [#wx, #wg, #wp], iterator_types = ["reduction", "reduction", "reduction", "parallel", "parallel", "parallel", "parallel", "parallel"]}
    ins(%x, %g : memref<?x18x18x1x24xf32>, memref<?x16x16x1x48xf32>) outs(%dw : memref<3x3x24x1x48xf32>) {
  ^bb0(%u: f32, %v: f32, %acc: f32):
    %0 = arith.mulf %u, %v : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
func.func @filter_grad_few_tiles(%x: memref<?x18x18x1x3xf32>, %g: memref<?x16x16x1x16xf32>, %dw: memref<3x3x3x1x16xf32>) {
  linalg.generic {indexing_maps = [#wx, #wg, #wp], iterator_types = ["reduction", "reduction", "reduction", "parallel", "parallel", "parallel", "parallel", "parallel"]}
    ins(%x, %g : memref<?x18x18x1x3xf32>, memref<?x16x16x1x16xf32>) outs(%dw : memref<3x3x3x1x16xf32>) {
  ^bb0(%u: f32, %v: f32, %acc: f32):
    %0 = arith.mulf %u, %v : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A zeroed filter gradient whose 16 partial results fit in 16 MiB (41 KiB
// each) sums the batch in 16 parts side by side, one parallel region in
// all: part p sums images [p * n / 16, (p + 1) * n / 16) in blocks of 3
// into its partial result (its first block's tiles start from zeros in
// registers; an empty part, fewer images than parts, zeroes it whole),
// then the parts are added in order. One of 2.25 MiB stays in blocks of
// images.
// CHECK-LABEL: func.func @filter_grad_parts
// CHECK: %[[N:.*]] = memref.dim %arg0, %c0
// CHECK: %[[PARTIAL:.*]] = memref.alloc() {{.*}} : memref<16x3x3x24x1x48xf32>
// CHECK: scf.parallel (%[[P:.*]]) = (%c0) to (%c16) step (%c1) {
// CHECK: %[[FROM:.*]] = arith.muli %[[P]], %[[N]]
// CHECK: %[[BEGIN:.*]] = arith.divui %[[FROM]], %c16
// CHECK: %[[NEXT:.*]] = arith.addi %[[P]], %c1
// CHECK: %[[TO:.*]] = arith.muli %[[NEXT]], %[[N]]
// CHECK: %[[END:.*]] = arith.divui %[[TO]], %c16
// CHECK: %[[MINE:.*]] = memref.subview %[[PARTIAL]][%[[P]], 0, 0, 0, 0, 0]
// CHECK: %[[EMPTY:.*]] = arith.cmpi eq, %[[BEGIN]], %[[END]]
// CHECK: scf.if %[[EMPTY]] {
// CHECK-NEXT: linalg.fill {{.*}} outs(%[[MINE]]
// CHECK: scf.for %[[S:.*]] = %[[BEGIN]] to %[[END]] step %c3 {
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[S]], %[[BEGIN]]
// CHECK: %[[ACC:.*]] = scf.if %[[FIRST]] -> (vector<3x4x16xf32>) {
// CHECK-NEXT: %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<3x4x16xf32>
// CHECK-NEXT: scf.yield %[[ZEROS]]
// CHECK-NEXT: } else {
// CHECK-NEXT: vector.transfer_read %[[PARTIAL]][%[[P]],
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[ACC]])
// CHECK: affine.apply #{{.*}}()[%[[S]],
// CHECK: vector.transfer_write {{.*}}, %[[PARTIAL]][%[[P]],
// CHECK: scf.reduce
// CHECK: linalg.generic {{.*}} outs(%arg2 : memref<3x3x24x1x48xf32>)
// CHECK-LABEL: func.func @filter_grad_large
// CHECK-NOT: memref<16x
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// CHECK-NOT: memref<16x
// CHECK: return
#wx = affine_map<(n, i, j, a, b, g, c, o) -> (n, i + a, j + b, g, c)>
#wg = affine_map<(n, i, j, a, b, g, c, o) -> (n, i, j, g, o)>
#wp = affine_map<(n, i, j, a, b, g, c, o) -> (a, b, c, g, o)>
func.func @filter_grad_parts(%x: memref<?x18x18x1x24xf32>, %g: memref<?x16x16x1x48xf32>, %dw: memref<3x3x24x1x48xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dw : memref<3x3x24x1x48xf32>)
  linalg.generic {indexing_maps = [#wx, #wg, #wp], iterator_types = ["reduction", "reduction", "reduction", "parallel", "parallel", "parallel", "parallel", "parallel"]}
    ins(%x, %g : memref<?x18x18x1x24xf32>, memref<?x16x16x1x48xf32>) outs(%dw : memref<3x3x24x1x48xf32>) {
  ^bb0(%u: f32, %v: f32, %acc: f32):
    %0 = arith.mulf %u, %v : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
func.func @filter_grad_large(%x: memref<?x10x10x1x256xf32>, %g: memref<?x8x8x1x256xf32>, %dw: memref<3x3x256x1x256xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dw : memref<3x3x256x1x256xf32>)
  linalg.generic {indexing_maps = [#wx, #wg, #wp], iterator_types = ["reduction", "reduction", "reduction", "parallel", "parallel", "parallel", "parallel", "parallel"]}
    ins(%x, %g : memref<?x10x10x1x256xf32>, memref<?x8x8x1x256xf32>) outs(%dw : memref<3x3x256x1x256xf32>) {
  ^bb0(%u: f32, %v: f32, %acc: f32):
    %0 = arith.mulf %u, %v : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A 1x1 window over 57 output channels with AVX2's tiles: split into 48
// columns in tiles of 16 and 9 in a tile of 8 and an edge of one, whose
// tile, its unit loops dropped, has the 11 positions innermost: no vector
// width on AVX2 (LLVM built it float by float through the stack), so it
// stays a scalar linalg op.
// AVX2-LABEL: func.func @one_column_edge
// AVX2: scf.for %{{.*}} = %c0 to %c48 step %c16
// AVX2: vector.fma {{.*}} : vector<6x16xf32>
// AVX2: vector.fma {{.*}} : vector<11x8xf32>
// AVX2-NOT: vector<11xf32>
// AVX2: linalg.generic {{.*}} outs(%{{.*}} : memref<11xf32, strided<[627], offset: ?>>)
// AVX2-NOT: vector<11xf32>
// AVX2: return
#ex = affine_map<(n, i, j, a, b, k, c) -> (n, i + a, j + b, k)>
#ef = affine_map<(n, i, j, a, b, k, c) -> (a, b, k, c)>
#ey = affine_map<(n, i, j, a, b, k, c) -> (n, i, j, c)>
func.func @one_column_edge(%x: memref<?x11x11x26xf32>, %f: memref<1x1x26x57xf32>, %y: memref<?x11x11x57xf32>) {
  linalg.generic {indexing_maps = [#ex, #ef, #ey], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
    ins(%x, %f : memref<?x11x11x26xf32>, memref<1x1x26x57xf32>) outs(%y : memref<?x11x11x57xf32>) {
  ^bb0(%u: f32, %v: f32, %acc: f32):
    %0 = arith.mulf %u, %v : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A window read at stride 2 along its rows (a strided convolution,
// channels last): each row is a broadcast value, at any step. The tile
// reads its rows' values at every other position (its taps unrolled: the
// third reads the first's positions a row on), as one FMA of 8 x 16.
// CHECK-DAG: #[[STEP:.*]] = affine_map<(d0) -> (d0 * 2 + 2)>
// CHECK-LABEL: func.func @strided_window
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args
// CHECK: %[[ROW:.*]] = affine.apply #[[STEP]](%{{.*}})
// CHECK: memref.load %arg0[%{{.*}}, %[[ROW]], %{{.*}}] : memref<?x33x4xf32>
// CHECK: vector.fma {{.*}} : vector<8x16xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
#x = affine_map<(n, j, b, o, c) -> (n, j * 2 + b, o)>
#f = affine_map<(n, j, b, o, c) -> (b, o, c)>
#y = affine_map<(n, j, b, o, c) -> (n, j, c)>
func.func @strided_window(%x: memref<?x33x4xf32>, %f: memref<3x4x16xf32>, %y: memref<?x16x16xf32>) {
  linalg.generic {indexing_maps = [#x, #f, #y], iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel"]}
    ins(%x, %f : memref<?x33x4xf32>, memref<3x4x16xf32>) outs(%y : memref<?x16x16xf32>) {
  ^bb0(%a: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %a, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A channels-last convolution into 17 channels on 4x4 positions: tiles of
// 4 x 4 positions by 16 channels, and an edge of one channel, whose
// positions the input holds 47 floats apart. Vectorized along them, each
// vector would be built value by value (and in a trainer's large nest LLVM
// spilled one of those values): the edge stays a scalar tile.
// CHECK-LABEL: func.func @one_column_edge
// CHECK: vector.fma {{.*}} : vector<4x4x16xf32>
// CHECK-NOT: vector<4x4xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : memref<4x4xf32, strided<[376, 47], offset: ?>>, memref<f32, {{.*}}>)
// CHECK-NOT: vector<4x4xf32>
#ex = affine_map<(n, i, j, a, b, c, o) -> (n, i + a, j + b, c)>
#ew = affine_map<(n, i, j, a, b, c, o) -> (a, b, c, o)>
#ey = affine_map<(n, i, j, a, b, c, o) -> (n, i, j, o)>
func.func @one_column_edge(%x: memref<?x8x8x47xf32>, %w: memref<5x5x47x17xf32>, %y: memref<?x4x4x17xf32>) {
  linalg.generic {indexing_maps = [#ex, #ew, #ey], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
    ins(%x, %w : memref<?x8x8x47xf32>, memref<5x5x47x17xf32>) outs(%y : memref<?x4x4x17xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// One input channel, channels first (lenet-caffe's first convolution): 24
// columns as a window tile of 16 and a peeled edge of 8. The edge's input
// view came sized for 16 columns and clamped at the image's end (12 - kw
// columns, dynamic); it is read through a static view of the 8 + 4 it
// reaches, so the edge vectorizes too (it stayed a scalar loop nest).
// CHECK-LABEL: func.func @window_edge
// CHECK: vector.fma {{.*}} : vector<4x4x16xf32>
// CHECK: vector.fma {{.*}} : vector<4x4x8xf32>
// CHECK-NOT: arith.mulf
// CHECK: return
#in = affine_map<(n, g, f, i, j, kh, kw, c) -> (n, g, c, i + kh, j + kw)>
#w = affine_map<(n, g, f, i, j, kh, kw, c) -> (kh, kw, c, g, f)>
#out = affine_map<(n, g, f, i, j, kh, kw, c) -> (n, g, f, i, j)>
func.func @window_edge(%x: memref<?x1x1x28x28xf32>, %w: memref<5x5x1x1x20xf32>, %y: memref<?x1x20x24x24xf32>) {
  linalg.generic {indexing_maps = [#in, #w, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
    ins(%x, %w : memref<?x1x1x28x28xf32>, memref<5x5x1x1x20xf32>) outs(%y : memref<?x1x20x24x24xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A transposing copy (LowerToLinalg's Wᵀ for an input gradient): 16x16
// tiles read as rows, transposed by AVX-512 shuffles, written as rows;
// the 8 rows past the last full tile are one 8x16 tile.
// CHECK-LABEL: func.func @transposed
// CHECK: scf.parallel (%[[J:.*]]) = (%c0) to (%c32) step (%c16) {
// CHECK: scf.for %[[I:.*]] = %c0 to %c32 step %c16 {
// CHECK: vector.transfer_read %arg0[%[[I]], %[[J]]]{{.*}} : memref<40x32xf32>, vector<16x16xf32>
// CHECK-COUNT-64: vector.shuffle {{.*}} : vector<16xf32>, vector<16xf32>
// CHECK: vector.transfer_write %{{.*}}, %arg1[%[[J]], %[[I]]]{{.*}} : vector<16x16xf32>, memref<32x40xf32>
// CHECK: vector.transfer_read %arg0[%c32, %[[J]]]{{.*}} : memref<40x32xf32>, vector<8x16xf32>
// CHECK: vector.transfer_write %{{.*}}, %arg1[%[[J]], %c32]{{.*}} : vector<16x8xf32>, memref<32x40xf32>
// CHECK-NOT: linalg.generic
#ji = affine_map<(i, j) -> (j, i)>
#ij = affine_map<(i, j) -> (i, j)>
func.func @transposed(%w: memref<40x32xf32>, %wt: memref<32x40xf32>) {
  linalg.generic {indexing_maps = [#ji, #ij], iterator_types = ["parallel", "parallel"]}
    ins(%w : memref<40x32xf32>) outs(%wt : memref<32x40xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// Its edges are vectorized up to 160 elements (10 x 16): a 45 x 33
// weight's 13-row edge, a shuffle of 208 lanes, was built partly through
// the stack. That edge stays a copy (for sinter-vectorize-narrow-ops);
// the one-column edges are vectorized.
// CHECK-LABEL: func.func @transposed_wide_edge
// CHECK: vector.transfer_read %arg0[%{{.*}}, %{{.*}}]{{.*}} : memref<45x33xf32>, vector<16x16xf32>
// CHECK-NOT: vector<13x16xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}} : memref<13x16xf32, {{.*}}>) outs(%{{.*}} : memref<16x13xf32, {{.*}}>)
// CHECK-NOT: vector<13x16xf32>
func.func @transposed_wide_edge(%w: memref<45x33xf32>, %wt: memref<33x45xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
    ins(%w : memref<45x33xf32>) outs(%wt : memref<33x45xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// A filter gradient over 6 channels and 5 taps: 5 accumulator registers,
// fewer than cover the FMA's latency. The sum over the row's positions
// takes two a trip into two sets of accumulators, added after the loop.
// (Small: the default threshold keeps it serial.)
// SMALL-LABEL: func.func @split_accumulators
// SMALL:       %[[INIT:.*]] = vector.transfer_read %arg2
// SMALL:       scf.for %[[H:.*]] = %c0 to %c4 step %c1 iter_args(%[[ACC:.*]] = %[[INIT]])
// SMALL:         %[[SUMS:.*]]:2 = scf.for %[[W:.*]] = %c0 to %c28 step %{{.*}} iter_args(%[[EVEN:.*]] = %[[ACC]], %[[ODD:.*]] = %[[ZERO:.*]]) -> (vector<5x6xf32>, vector<5x6xf32>)
// SMALL:           %[[W1:.*]] = arith.addi %[[W]], %c1
// SMALL:           %[[A:.*]] = vector.fma %{{.*}}, %{{.*}}, %[[EVEN]] : vector<5x6xf32>
// SMALL:           vector.transfer_read %arg1[%[[H]], %[[W1]], %c0]
// SMALL:           %[[B:.*]] = vector.fma %{{.*}}, %{{.*}}, %[[ODD]] : vector<5x6xf32>
// SMALL:           scf.yield %[[A]], %[[B]]
// SMALL:         %[[T:.*]] = arith.addf %[[SUMS]]#0, %[[SUMS]]#1 : vector<5x6xf32>
// SMALL:         scf.yield %[[T]]
func.func @split_accumulators(%x: memref<4x32xf32>, %dy: memref<4x28x6xf32>, %dw: memref<5x6xf32>) {
  linalg.generic {indexing_maps = [affine_map<(kw, c, h, w) -> (h, w + kw)>, affine_map<(kw, c, h, w) -> (h, w, c)>, affine_map<(kw, c, h, w) -> (kw, c)>],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %dy : memref<4x32xf32>, memref<4x28x6xf32>) outs(%dw : memref<5x6xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Attention's P·V into [b, t, heads, d]: the heads (4) are fewer than a
// tile's rows, so the rows are 8 positions t of one head, each step's
// broadcast values a column of P, the row of V one vector.
// CHECK-LABEL: func.func @attention_values
// CHECK:       scf.parallel (%[[B:.*]], %[[H:.*]], %[[T:.*]]) = (%c0, %c0, %c0) to (%c2, %c4, %c16) step (%c1, %c1, %c8)
// CHECK:         scf.for %[[S:.*]] = %c0 to %c16 step %c1 iter_args(%{{.*}}) -> (vector<1x8x1x32xf32>)
// CHECK:           memref.load %arg0[%[[B]], %[[H]], %[[T]], %[[S]]] : memref<2x4x16x16xf32>
// CHECK:         vector.transfer_write %{{.*}}, %arg2[%[[B]], %[[T]], %[[H]], %c0]{{.*}} : vector<8x1x32xf32>, memref<2x16x4x32xf32>
// AVX2's tiles of 6 rows divide no 16: still 6 positions (12
// accumulators), not the 4 heads, and an edge tile of the last 4.
// AVX2-LABEL: func.func @attention_values(%arg0: memref<2x4x16x16xf32>
// AVX2: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c2, %c4) step (%c1, %c1)
// AVX2: scf.for %{{.*}} = %c0 to %c12 step %c6
// AVX2: -> (vector<1x6x1x16xf32>)
// AVX2: vector.transfer_write {{.*}} : vector<6x1x16xf32>, memref<2x16x4x32xf32>
// AVX2: -> (vector<1x4x1x16xf32>)
// AVX2: vector.transfer_write %{{.*}}, %arg2[%{{.*}}, %c12, %{{.*}}, %{{.*}}]{{.*}} : vector<4x1x16xf32>
func.func @attention_values(%p: memref<2x4x16x16xf32>, %v: memref<2x16x4x32xf32>, %o: memref<2x16x4x32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(b, t, h, d, s) -> (b, h, t, s)>, affine_map<(b, t, h, d, s) -> (b, s, h, d)>, affine_map<(b, t, h, d, s) -> (b, t, h, d)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : memref<2x4x16x16xf32>, memref<2x16x4x32xf32>) outs(%o : memref<2x16x4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// 20 rows: tiles of 8 and a peeled edge of 4, not 4 tiles of 5 (a divisor
// under three quarters of the tile: 555 rows of a weight gradient ran at
// 61 % of a core in tiles of 5, 85 % in tiles of 8 and an edge of 3). Two
// row tiles are few for threads, but the sum's loop stays out of the
// parallel band (its terms would race on one tile). The edge is the
// parallel loop's last iteration, not a loop on one thread after it.
// CHECK-LABEL: func.func @rows_not_divisible
// CHECK: scf.parallel (%[[M:.*]]) = (%c0) to (%c20) step (%c8) {
// CHECK-NEXT: %[[WHOLE:.*]] = arith.cmpi slt, %[[M]], %c16
// CHECK-NEXT: scf.if %[[WHOLE]] {
// CHECK-NEXT: vector.transfer_read %arg2[%[[M]], %c0]{{.*}} vector<8x32xf32>
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK: } else {
// CHECK-NEXT: vector.transfer_read %arg2[%c16, %c0]{{.*}} vector<4x32xf32>
// CHECK-COUNT-4: vector.fma {{.*}} : vector<32xf32>
// CHECK: scf.reduce
#rmk = affine_map<(m, k, n) -> (m, k)>
#rkn = affine_map<(m, k, n) -> (k, n)>
#rmn = affine_map<(m, k, n) -> (m, n)>
func.func @rows_not_divisible(%x: memref<20x64xf32>, %w: memref<64x32xf32>, %y: memref<20x32xf32>) {
  linalg.generic {indexing_maps = [#rmk, #rkn, #rmn], iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<20x64xf32>, memref<64x32xf32>) outs(%y : memref<20x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// 120 columns (lenet's first dense layer): 32 does not divide them, so
// three tiles of two registers and an edge of 24, split into a tile of one
// register and one of 8, each summing on its own (not tiles of 16
// throughout: 8 accumulators, a load for each FMA; nor 8-column tiles,
// each FMA half a register).
// CHECK-LABEL: func.func @columns_not_divisible
// CHECK: scf.for %[[N:.*]] = %c0 to %c96 step %c32 {
// CHECK: vector.transfer_read %arg2[%{{.*}}, %[[N]]]{{.*}} vector<8x32xf32>
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.transfer_read %arg2[%{{.*}}, %c96]{{.*}} vector<8x16xf32>
// CHECK-NEXT: scf.for {{.*}} -> (vector<8x16xf32>)
// CHECK-COUNT-8: vector.fma {{.*}} : vector<16xf32>
// CHECK: vector.transfer_read %arg2[%{{.*}}, %c112]{{.*}} vector<8x8xf32>
// CHECK-NEXT: scf.for {{.*}} -> (vector<8x8xf32>)
// CHECK-COUNT-8: vector.fma {{.*}} : vector<8xf32>
#cmk = affine_map<(m, k, n) -> (m, k)>
#ckn = affine_map<(m, k, n) -> (k, n)>
#cmn = affine_map<(m, k, n) -> (m, n)>
func.func @columns_not_divisible(%x: memref<64x400xf32>, %w: memref<400x120xf32>, %y: memref<64x120xf32>) {
  linalg.generic {indexing_maps = [#cmk, #ckn, #cmn], iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<64x400xf32>, memref<400x120xf32>) outs(%y : memref<64x120xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A right operand beyond the L2 cache (1024 x 640 floats): the static sum
// of 1024 terms in blocks of 256, and each block's result columns in
// blocks of 256 (the last, 128 wide, peeled): a block's 256 x 256 panel of
// W stays in L2 while every row tile passes over it, and a thread's rows
// of X for the sum block while it passes the column blocks. The first sum
// block fills each column block's result (its tiles start from zeros in
// registers); the later ones add to the partial sums, every element's
// terms still in order. The accumulator is read and written at one index
// value (one affine.apply for the block's offset plus the tile's): it
// stays in registers for the whole block of the sum. With 26 rows or more
// (a result of 16 Ki elements: W's rows are 512 floats or more, which
// AVX-512's tiles take as line panels) each column block first copies its
// panel of W into column tiles (8 tiles of [256, 32], shared among the
// threads, in one [2048, 32] buffer) and the tiles read their 32 columns of
// each term from there; with fewer, from W.
// With fewer rows than W's 1024 x 640 / (1024 + 640) = 393 (X and Y
// smaller than W) the product runs by column tiles on threads instead,
// each tile copying its 32 columns of W into a [1024, 32] panel of its
// own, on its thread's stack (the same lines for every tile a thread runs,
// hot in its caches; 128 KiB at most, @panels_beyond_the_stack), and
// running every row tile over it (as @input_gradient_by_columns):
// row tiles on threads each read all of a panel the two threads packed,
// half of it from the other core (mnist-mlp's forward products on
// AVX-512, 128 x 784 -> 512: 235 -> 333 GFLOP/s).
// CHECK-LABEL: func.func @large
// CHECK-DAG: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK: %[[FEW:.*]] = arith.cmpi slt, %{{.*}}, %c393 : index
// CHECK-NOT: memref<655360xf32>
// CHECK: %[[PANEL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2048x32xf32>
// CHECK: scf.if %[[FEW]] {
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c20) step (%c1) {
// CHECK: %[[TILEPANEL:.*]] = memref.alloca() {alignment = 64 : i64} : memref<1024x32xf32>
// CHECK: linalg.copy ins(%{{.*}} : memref<1024x32xf32, strided<[640, 1], offset: ?>>) outs(%[[TILEPANEL]]
// CHECK-NOT: scf.parallel
// CHECK: vector.transfer_read %[[TILEPANEL]]
// CHECK-NOT: scf.parallel
// CHECK: } else {
// CHECK: %[[MANY:.*]] = arith.cmpi sge, %{{.*}}, %c26 : index
// CHECK: scf.if %[[MANY]] {
// CHECK: %[[TILES:.*]] = memref.expand_shape %[[PANEL]] {{\[\[}}0, 1], [2]] output_shape [8, 256, 32]
// CHECK: scf.for %{{.*}} = %c0 to %c512 step %c256 {
// CHECK: %[[SPLIT:.*]] = memref.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [%c256, 8, 32] : memref<?x256xf32, strided<[640, 1], offset: ?>> into memref<?x8x32xf32, strided<[640, 32, 1], offset: ?>>
// CHECK: scf.parallel (%[[T:.*]]) = (%c0) to (%c8) step (%c1) {
// CHECK: %[[FROM:.*]] = memref.subview %[[SPLIT]][0, %[[T]], 0]
// CHECK: %[[TO:.*]] = memref.subview %[[TILES]][%[[T]], 0, 0] [1, 256, 32]
// CHECK: linalg.generic {{.*}} ins(%[[FROM]] {{.*}} outs(%[[TO]]
// CHECK: scf.parallel
// CHECK: scf.for %[[PN:.*]] = %c0 to %c256 step %c32 {
// CHECK: scf.for %[[PK:.*]] = %c0 to %c256 step %c1 iter_args(%{{.*}} = %[[ZERO]]) -> (vector<8x32xf32>)
// CHECK: %[[ROW:.*]] = affine.apply #{{.*}}(%[[PN]], %[[PK]])
// CHECK: vector.transfer_read %[[PANEL]][%[[ROW]], %c0]
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK: } else {
// CHECK: scf.for %[[CB:.*]] = %c0 to %c512 step %c256 {
// CHECK: scf.parallel (%[[M:.*]]) =
// CHECK: scf.for %[[N:.*]] = %c0 to %c256 step %c32 {
// CHECK: %[[COL:.*]] = affine.apply #{{.*}}()[%[[CB]], %[[N]]]
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} = %c0 to %c256 step %c1 iter_args(%{{.*}} = %[[ZERO]]) -> (vector<8x32xf32>)
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.transfer_write %[[SUM]], %arg2[%[[M]], %[[COL]]]
// The first sum block's last column block: columns 512 to 640.
// CHECK: scf.parallel
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c32 {
// CHECK: scf.for %[[KB:.*]] = %c256 to %c1024 step %c256 {
// CHECK: scf.for %[[CB2:.*]] = %c0 to %c512 step %c256 {
// CHECK: scf.parallel
// CHECK: %[[COL2:.*]] = affine.apply #{{.*}}()[%[[CB2]], %{{.*}}]
// CHECK: %[[ACC:.*]] = vector.transfer_read %arg2[%{{.*}}, %[[COL2]]]
// CHECK: %[[SUM2:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ACC]]) -> (vector<8x32xf32>)
// CHECK: vector.transfer_write %[[SUM2]], %arg2[%{{.*}}, %[[COL2]]]
func.func @large(%x: memref<?x1024xf32>, %w: memref<1024x640xf32>, %y: memref<?x640xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<?x640xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x1024xf32>, memref<1024x640xf32>) outs(%y : memref<?x640xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Few terms (a classifier head's input gradient, dX = dY W^T through 10
// classes): however wide, the product is not blocked nor packed. A tile
// reads 10 rows of W^T, 20 lines, which the L1 cache holds wherever they
// fall, and all of W^T (320 KiB here) stays in L2 for every row tile: one
// parallel loop over the row tiles, not one per block of 256 columns with
// another packing each block's panel (wide-early's head: 64 regions a
// step, 134 -> 56 us).
// CHECK-LABEL: func.func @few_terms
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%{{.*}}) step (%c8) {
// CHECK: scf.for %[[N:.*]] = %c0 to %c8192 step %c32 {
// CHECK: scf.for %[[K:.*]] = %c0 to %c10 step %c1 iter_args
// CHECK: vector.transfer_read %arg1[%[[K]], %[[N]]]
// CHECK-NOT: memref.alloc
// CHECK: return
func.func @few_terms(%dy: memref<?x10xf32>, %wt: memref<10x8192xf32>, %dx: memref<?x8192xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dx : memref<?x8192xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%dy, %wt : memref<?x10xf32>, memref<10x8192xf32>) outs(%dx : memref<?x8192xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A long static sum into one tile of columns (a classifier head's forward,
// 8192 features -> 10 classes): not blocked. Each row tile reads its rows
// of X once either way and all of W (320 KiB) stays in L2, so one parallel
// loop over the row tiles sums all 8192 terms in registers; in blocks of
// 256 terms each block was a parallel region of its own (strided's head:
// 32 regions a step, 130 -> 83 us on two threads).
// CHECK-LABEL: func.func @head
// CHECK-NOT: step %c256
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%{{.*}}) step (%c8) {
// CHECK: scf.for %[[K:.*]] = %c0 to %c8192 step %c1 iter_args({{.*}}) -> (vector<8x10xf32>)
// CHECK: vector.transfer_read %arg1[%[[K]], %c0]
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @head(%x: memref<?x8192xf32>, %w: memref<8192x10xf32>, %y: memref<?x10xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<?x10xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x8192xf32>, memref<8192x10xf32>) outs(%y : memref<?x10xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// The same head over 16384 features: W (640 KiB) no longer stays in L2
// for every row tile, and the sum runs in blocks of 256 terms, each
// block's rows of W in L1 while the row tiles pass over them.
// CHECK-LABEL: func.func @long_head
// CHECK: scf.for %{{.*}} = %c256 to %c16384 step %c256 {
// CHECK: scf.parallel
// CHECK: iter_args({{.*}}) -> (vector<8x10xf32>)
func.func @long_head(%x: memref<?x16384xf32>, %w: memref<16384x10xf32>, %y: memref<?x10xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<?x10xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x16384xf32>, memref<16384x10xf32>) outs(%y : memref<?x10xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A weight gradient beyond the L2 cache (1024 x 640, summed over the
// batch): its 1024 rows make a result of 640 Ki elements, so it packs
// without a test. The result is zeroed first, then one loop runs the
// blocks of the sum (the first one too: the code of its column blocks and
// their packing once). Each sum block copies the block of X it reads
// transposed into row tiles (128 tiles of [256, 8] in one [32768, 8]
// buffer), once for all its column blocks, and each column block its panel
// of dY; a tile reads its 8 rows and its 32 columns of each term from
// consecutive addresses (in X, 4 KiB apart).
// The result's fill is for an empty batch only: each tile starts its sum
// from zeros in registers in the first block (an scf.if yielding them),
// else from its result read back; only its write after the sum touches the
// result. A block of fewer than 256 terms (a batch under 256, or the
// last block) reads dY's columns where they are, not from copied panels.
// From 2048 rows (kParts x kPartTerms) the same runs as two parts side by
// side, an scf.parallel over them: part p takes half of the sum's terms,
// one loop over their blocks as above, on no further threads, into its own
// partial result (its tiles zero it in its first block); then the result is
// part 0 + part 1. Each part runs as four groups of 256 result rows side by
// side (the loop is over parts and groups: a machine of more than two cores
// runs it on up to eight), each group with its own row tiles and panels
// (each buffer eight times the rows, the iteration's share of it).
// Every group sums its part's terms in the same order as one would.
// CHECK: #[[GROUPROW:.*]] = affine_map<(d0) -> (d0 * 256)>
// CHECK: #[[ITERROWS:.*]] = affine_map<(d0, d1) -> (d0 * 32768 + d1 * 8192)>
// CHECK-LABEL: func.func @weight_gradient
// CHECK: %[[BATCH:.*]] = memref.dim %arg0, %c0
// CHECK: %[[MANY:.*]] = arith.cmpi sge, %[[BATCH]], %c2048
// CHECK: %[[PARTIALS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x1024x640xf32>
// CHECK: %[[PARTROWS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<65536x8xf32>
// CHECK: %[[ROWS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<32768x8xf32>
// CHECK: %[[PARTCOLS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16384x32xf32>
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<8192x32xf32>
// CHECK: %[[COLS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2048x32xf32>
// CHECK-NEXT: memref.alloc() {alignment = 64 : i64} : memref<1024x32xf32>
// CHECK-NEXT: scf.if %[[MANY]] {
// CHECK: scf.parallel (%[[P:.*]], %[[G:.*]]) = (%c0, %c0) to (%c2, %c4) step (%c1, %c1) {
// CHECK: affine.apply #[[GROUPROW]](%[[G]])
// CHECK: %[[MYROWS:.*]] = affine.apply #[[ITERROWS]](%[[P]], %[[G]])
// CHECK: memref.subview %[[PARTROWS]][%[[MYROWS]], 0] [8192, 8]
// CHECK: scf.for %[[PKB:.*]] = %[[BEGIN:.*]] to %{{.*}} step %c256 {
// CHECK: %[[PFIRST:.*]] = arith.cmpi eq, %[[PKB]], %[[BEGIN]]
// CHECK: %[[PFULL:.*]] = arith.cmpi sge, %{{.*}}, %c256
// CHECK-NOT: scf.parallel
// CHECK: scf.if %[[PFULL]] {
// CHECK-NOT: scf.parallel
// CHECK: scf.if %[[PFIRST]] -> (vector<8x32xf32>) {
// CHECK-NEXT: arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-NEXT: scf.yield
// CHECK-NEXT: } else {
// CHECK-NEXT: vector.transfer_read %[[PARTIALS]][%[[P]], {{.*}} : memref<2x1024x640xf32>, vector<8x32xf32>
// CHECK-NOT: scf.parallel
// CHECK: vector.transfer_read %[[PARTCOLS]]
// CHECK-NOT: scf.parallel
// CHECK: scf.reduce
// CHECK: %[[PART0:.*]] = memref.subview %[[PARTIALS]][0, 0, 0] [1, 1024, 640]
// CHECK: %[[PART1:.*]] = memref.subview %[[PARTIALS]][1, 0, 0] [1, 1024, 640]
// CHECK: linalg.generic {{.*}} ins(%[[PART0]], %[[PART1]] : {{.*}}) outs(%arg2 : memref<1024x640xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.addf %[[A]], %[[B]] : f32
// CHECK: } else {
// CHECK: %[[EMPTY:.*]] = arith.cmpi eq, %[[BATCH]], %c0
// CHECK: scf.if %[[EMPTY]] {
// CHECK-NEXT: linalg.fill {{.*}} outs(%arg2 : memref<1024x640xf32>)
// CHECK-NEXT: }
// CHECK: %[[ROWTILES:.*]] = memref.expand_shape %[[ROWS]] {{\[\[}}0, 1], [2]] output_shape [128, 256, 8]
// CHECK-NOT: linalg.fill
// CHECK: scf.for %[[KB:.*]] = %c0 to %{{.*}} step %c256 {
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[KB]], %c0
// CHECK: scf.parallel (%[[T:.*]]) = (%c0) to (%c128) step (%c1) {
// CHECK: memref.subview %[[ROWTILES]][%[[T]], 0, 0] [1, %{{.*}}, 8]
// CHECK: %[[FULL:.*]] = arith.cmpi sge, %{{.*}}, %c256
// CHECK: scf.if %[[FULL]] {
// CHECK: scf.for %{{.*}} = %c0 to %c512 step %c256 {
// CHECK: memref.subview %arg1[%[[KB]], %{{.*}}]
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c8) step (%c1) {
// CHECK: scf.parallel (%[[M:.*]]) = (%c0) to (%c1024) step (%c8) {
// CHECK: scf.for %[[N:.*]] = %c0 to %c256 step %c32 {
// CHECK-NOT: vector.transfer_write
// CHECK: %[[START:.*]] = scf.if %[[FIRST]] -> (vector<8x32xf32>) {
// CHECK-NEXT: %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-NEXT: scf.yield %[[ZEROS]]
// CHECK-NEXT: } else {
// CHECK-NEXT: %[[BACK:.*]] = vector.transfer_read %arg2[%[[M]], %{{.*}}], {{.*}} : memref<1024x640xf32>, vector<8x32xf32>
// CHECK-NEXT: scf.yield %[[BACK]]
// CHECK-NEXT: }
// CHECK: scf.for %[[K:.*]] = %c0 to %{{.*}} step %c1 iter_args(%{{.*}} = %[[START]]) -> (vector<8x32xf32>)
// CHECK: %[[R:.*]] = affine.apply #{{.*}}(%[[M]], %[[K]])
// CHECK: %[[C:.*]] = affine.apply #{{.*}}(%[[N]], %[[K]])
// CHECK: vector.transfer_read %[[COLS]][%[[C]], %c0]{{.*}} : memref<2048x32xf32>, vector<32xf32>
// CHECK: memref.load %[[ROWS]][%[[R]], %c0] : memref<32768x8xf32>
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// The short block: no panel copies, dY's rows read in place.
// CHECK: } else {
// CHECK-NOT: scf.parallel (%{{.*}}) = (%c0) to (%c8)
// CHECK: scf.for %[[SCB:.*]] = %c0 to %c512 step %c256 {
// CHECK-NEXT: scf.parallel (%[[SM:.*]]) = (%c0) to (%c1024) step (%c8) {
// CHECK: scf.for %[[SK:.*]] = %c0 to %{{.*}} step %c1 iter_args(
// CHECK: %[[SROW:.*]] = affine.apply #{{.*}}()[%[[KB]], %[[SK]]]
// CHECK: vector.transfer_read %arg1[%[[SROW]], %{{.*}}], {{.*}} : memref<?x640xf32>, vector<32xf32>
// CHECK: memref.load %[[ROWS]]
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// With AVX2's tiles of 6 rows, which do not divide 1024, the row tiles
// still pack: 170 whole tiles and a last one holding the 4 rows left
// ([171 x 256, 6]), copied on their own; the edge tile of 4 rows reads
// its 4 floats of each term from that last tile.
// AVX2-LABEL: func.func @weight_gradient(%arg0: memref<?x1024xf32>
// AVX2: %[[ROWS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<43776x6xf32>
// AVX2: linalg.copy ins(%{{.*}} : memref<?x4xf32, strided<[1024, 1], offset: ?>>) outs(%{{.*}} : memref<?x4xf32, strided<[6, 1], offset: 261120>>)
// AVX2: scf.parallel (%{{.*}}) = (%c0) to (%c170) step (%c1)
// AVX2: -> (vector<6x16xf32>)
// AVX2: memref.load %[[ROWS]][%{{.*}}, %c5] : memref<43776x6xf32>
// AVX2: -> (vector<4x16xf32>)
// AVX2: memref.load %[[ROWS]][%{{.*}}, %c3] : memref<43776x6xf32>
// AVX2-NOT: memref.load %[[ROWS]][%{{.*}}, %c4]
// AVX2: scf.yield
func.func @weight_gradient(%x: memref<?x1024xf32>, %dy: memref<?x640xf32>, %dw: memref<1024x640xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dw : memref<1024x640xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%x, %dy : memref<?x1024xf32>, memref<?x640xf32>) outs(%dw : memref<1024x640xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A weight gradient of few row tiles (96 rows: 12 tiles of 8) runs in
// parts from 512 rows (kParts x kSumBlock): its row tiles alone would split
// the work between threads in small pieces, once for each block of the
// sum and of the columns. Part p sums the terms from p x batch / 2 on, in
// blocks of 256. With fewer rows than columns, its groups are of columns:
// four of 64.
// CHECK-LABEL: func.func @weight_gradient_few_rows
// CHECK: %[[BATCH:.*]] = memref.dim %arg0, %c0
// CHECK: %[[MANY:.*]] = arith.cmpi sge, %[[BATCH]], %c512
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<2x96x256xf32>
// CHECK: scf.if %[[MANY]] {
// CHECK: scf.parallel (%[[P:.*]], %[[G:.*]]) = (%c0, %c0) to (%c2, %c4) step (%c1, %c1) {
// CHECK: %[[FROM:.*]] = arith.muli %[[P]], %[[BATCH]]
// CHECK: %[[BEGIN:.*]] = arith.divui %[[FROM]], %c2
// CHECK: scf.for %{{.*}} = %[[BEGIN]] to %{{.*}} step %c256 {
// CHECK: scf.for %{{.*}} = %c0 to %c96 step %c8 {
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c64 step %c32 {
func.func @weight_gradient_few_rows(%x: memref<?x96xf32>, %dy: memref<?x256xf32>, %dw: memref<96x256xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dw : memref<96x256xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%x, %dy : memref<?x96xf32>, memref<?x256xf32>) outs(%dw : memref<96x256xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A smaller weight gradient (512 x 520, 260 Ki elements). With SSE's
// tiles (8 floats a row: no line panels) it packs X's rows only: each
// tile still reads dY's columns where they are, but its 4 rows of a term
// from consecutive addresses, not one cache line of X each. AVX-512's
// tiles take dY's rows of 520 floats as line panels and pack both (below).
// SSE-LABEL: func.func @weight_gradient_rows
// SSE: memref.alloc() {alignment = 64 : i64} : memref<2x512x520xf32>
// SSE: memref.alloc() {alignment = 64 : i64} : memref<65536x4xf32>
// SSE: %[[ROWS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<32768x4xf32>
// SSE-NOT: memref.alloc
// SSE: } else {
// SSE: scf.for %[[KB:.*]] = %c0 to %{{.*}} step %c256 {
// SSE: scf.parallel (%[[M:.*]]) = (%c0) to (%c512) step (%c4) {
// SSE: scf.for %[[K:.*]] = %c0 to %{{.*}} step %c1 iter_args(%{{.*}}) -> (vector<4x8xf32>)
// SSE: %[[R:.*]] = affine.apply #{{.*}}(%[[M]], %[[K]])
// SSE: vector.transfer_read %[[ROWS]][%[[R]], %c0]{{.*}} vector<4xf32>
// SSE: %[[TERM:.*]] = affine.apply #{{.*}}()[%[[KB]], %[[K]]]
// SSE: vector.transfer_read %arg1[%[[TERM]], %{{.*}}]{{.*}} vector<8xf32>
// CHECK-LABEL: func.func @weight_gradient_rows
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<16384x8xf32>
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<2048x32xf32>
func.func @weight_gradient_rows(%x: memref<?x512xf32>, %dy: memref<?x520xf32>, %dw: memref<512x520xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dw : memref<512x520xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%x, %dy : memref<?x512xf32>, memref<?x520xf32>) outs(%dw : memref<512x520xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// The same weight gradient as the backward writes it, dY first (dW[m, n]
// += dY[k, n] * x[k, m]): its inputs are swapped so that X's rows pack
// as above (unpacked, a tile's 8 rows of each term were a cache line of X
// 2 KiB from the last), and dY's panels pack too (line panels: its rows
// are 520 floats).
// CHECK-LABEL: func.func @weight_gradient_columns_first
// CHECK: %[[ROWS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16384x8xf32>
// CHECK: %[[PANEL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2048x32xf32>
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c256 {
// CHECK: scf.parallel (%[[M:.*]]) = (%c0) to (%c512) step (%c8) {
// CHECK: scf.for %[[N:.*]] = %c0 to %c256 step %c32 {
// CHECK: scf.for %[[K:.*]] = %c0 to %{{.*}} step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK: %[[R:.*]] = affine.apply #{{.*}}(%[[M]], %[[K]])
// CHECK: %[[TERM:.*]] = affine.apply #{{.*}}(%[[N]], %[[K]])
// CHECK: vector.transfer_read %[[PANEL]][%[[TERM]], %c0]{{.*}} vector<32xf32>
// CHECK: memref.load %[[ROWS]][%[[R]], %c0] : memref<16384x8xf32>
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
func.func @weight_gradient_columns_first(%dy: memref<?x520xf32>, %x: memref<?x512xf32>, %dw: memref<512x520xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dw : memref<512x520xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (k, m)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%dy, %x : memref<?x520xf32>, memref<?x512xf32>) outs(%dw : memref<512x520xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// An input gradient beyond L2: dY[?, 1024] times Wᵀ, which a transposing
// copy of W wrote. Under 512 rows the product runs by blocks of 32 columns
// on threads, each block transposing its 32 rows of W into its own panel
// (on its thread's stack, as @large) and running every row tile over it, not on threads
// again. From 512 rows, row tiles on threads: the copy runs only when the
// product does not pack (under 16 rows: W's rows of 1024 floats take line
// panels); when it packs, each column block's panel comes straight from W,
// transposed in 16 x 16 register blocks, each thread some of the 8 column
// tiles.
// CHECK-LABEL: func.func @input_gradient
// CHECK: %[[WT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1024x1024xf32>
// CHECK: %[[BYCOLS:.*]] = arith.cmpi slt, %{{.*}}, %c512 : index
// CHECK: %[[PANEL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2048x32xf32>
// CHECK: scf.if %[[BYCOLS]] {
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c32) step (%c1) {
// CHECK: %[[OWN:.*]] = memref.alloca() {alignment = 64 : i64} : memref<1024x32xf32>
// CHECK: vector.transfer_read %arg1{{.*}} vector<16x16xf32>
// CHECK: vector.transfer_write %{{.*}}, %[[OWN]]
// CHECK-NOT: scf.parallel
// CHECK: vector.transfer_read %[[OWN]]
// CHECK-NOT: scf.parallel
// CHECK: } else {
// CHECK: %[[ROWS:.*]] = memref.dim %arg0, %c0
// CHECK: %[[FEW:.*]] = arith.cmpi slt, %[[ROWS]], %c16 : index
// CHECK: scf.if %[[FEW]] {
// CHECK: vector.transfer_read %arg1{{.*}} vector<16x16xf32>
// CHECK: vector.transfer_write %{{.*}}, %[[WT]]
// CHECK: %[[MANY:.*]] = arith.cmpi sge, %{{.*}}, %c16 : index
// CHECK: scf.if %[[MANY]] {
// CHECK-NOT: %[[WT]]{{[^_]}}
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c8) step (%c1) {
// CHECK: vector.transfer_read %arg1{{.*}} vector<16x16xf32>
// CHECK: vector.transfer_write %{{.*}}, %[[PANEL]]
// CHECK-NOT: %[[WT]]{{[^_]}}
// CHECK: vector.transfer_read %[[PANEL]]
// CHECK-NOT: %[[WT]]{{[^_]}}
// The last rows' tiles read the panel too: Wᵀ was never written.
// CHECK: } else {
// CHECK-NOT: %[[WT]]{{[^_]}}
// CHECK: -> (vector<4x32xf32>)
// CHECK-NEXT: affine.apply
// CHECK-NEXT: vector.transfer_read %[[PANEL]]
// CHECK-NEXT: memref.load %arg0
// CHECK-NOT: %[[WT]]{{[^_]}}
// CHECK: -> (vector<1x32xf32>)
// CHECK-NOT: %[[WT]]{{[^_]}}
// CHECK: vector.transfer_read %[[PANEL]]
// CHECK-NOT: %[[WT]]{{[^_]}}
// CHECK: } else {
// CHECK: vector.transfer_read %[[WT]]
func.func @input_gradient(%dy: memref<?x1024xf32>, %w: memref<1024x1024xf32>, %dx: memref<?x1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %wt = memref.alloc() {alignment = 64 : i64} : memref<1024x1024xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%w : memref<1024x1024xf32>) outs(%wt : memref<1024x1024xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  linalg.fill ins(%zero : f32) outs(%dx : memref<?x1024xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%dy, %wt : memref<?x1024xf32>, memref<1024x1024xf32>) outs(%dx : memref<?x1024xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  memref.dealloc %wt : memref<1024x1024xf32>
  return
}

// -----

// An input gradient whose result columns (300, W's rows) end in a partial
// tile: from 55 rows (line panels: W's rows are not whole vectors apart)
// each block's panel comes straight from W, the last block's (44 columns:
// a tile of 32, then 12) with its last tile holding W's last 12 rows,
// transposed; Wᵀ is not written.
// CHECK-LABEL: func.func @input_gradient_partial_tile
// CHECK: %[[PANEL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1024x32xf32>
// CHECK: %[[MANY:.*]] = arith.cmpi sge, %{{.*}}, %c55 : index
// CHECK: scf.if %[[MANY]] {
// CHECK: memref.subview %arg1[288, %{{.*}}] [12, 16] [1, 1]
// CHECK: memref.subview %[[PANEL]][%{{.*}}, 0] [16, 12] [1, 1]
// CHECK: vector.transfer_write %{{.*}}, %[[PANEL]]
// CHECK: vector.transfer_read %[[PANEL]]{{.*}} vector<12xf32>
func.func @input_gradient_partial_tile(%dy: memref<?x512xf32>, %w: memref<300x512xf32>, %dx: memref<?x300xf32>) {
  %zero = arith.constant 0.0 : f32
  %wt = memref.alloc() {alignment = 64 : i64} : memref<512x300xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%w : memref<300x512xf32>) outs(%wt : memref<512x300xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  linalg.fill ins(%zero : f32) outs(%dx : memref<?x300xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%dy, %wt : memref<?x512xf32>, memref<512x300xf32>) outs(%dx : memref<?x300xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  memref.dealloc %wt : memref<512x300xf32>
  return
}

// -----

// dX[?, 80] = dY[?, 64] Wᵀ with few rows (under 512 Ki / 64): three
// blocks of columns (32, 32 and the 16-wide edge, the last iteration) on
// threads, each writing its rows of W transposed into its own panel on
// its thread's stack and running all the row tiles over it. From 8192 rows, Wᵀ
// is copied and the row tiles run on threads.
// SMALL-LABEL: func.func @input_gradient_by_columns
// SMALL: %[[WT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64x80xf32>
// SMALL: %[[FEW:.*]] = arith.cmpi slt, %{{.*}}, %c8192 : index
// SMALL: scf.if %[[FEW]] {
// SMALL: scf.parallel (%[[T:.*]]) = (%c0) to (%c3) step (%c1) {
// SMALL: %[[WHOLE:.*]] = arith.cmpi slt, %[[T]], %c2 : index
// SMALL: scf.if %[[WHOLE]] {
// SMALL: %[[OWN:.*]] = memref.alloca() {alignment = 64 : i64} : memref<64x32xf32>
// SMALL: vector.transfer_write %{{.*}}, %[[OWN]]
// SMALL-NOT: scf.parallel
// SMALL: vector.transfer_read %[[OWN]][%{{.*}}, %c0]{{.*}} vector<32xf32>
// SMALL-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// SMALL: } else {
// SMALL: %[[OWNEDGE:.*]] = memref.alloca() {alignment = 64 : i64} : memref<64x16xf32>
// SMALL: vector.transfer_write %{{.*}}, %[[OWNEDGE]]
// SMALL-NOT: scf.parallel
// SMALL: vector.transfer_read %[[OWNEDGE]][%{{.*}}, %c0]{{.*}} vector<16xf32>
// SMALL-COUNT-8: vector.fma {{.*}} : vector<16xf32>
// SMALL: scf.reduce
// SMALL: } else {
// SMALL: vector.transfer_write %{{.*}}, %[[WT]]
// SMALL: scf.parallel
// SMALL: vector.transfer_read %[[WT]]
func.func @input_gradient_by_columns(%dy: memref<?x64xf32>, %w: memref<80x64xf32>, %dx: memref<?x80xf32>) {
  %zero = arith.constant 0.0 : f32
  %wt = memref.alloc() {alignment = 64 : i64} : memref<64x80xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
    ins(%w : memref<80x64xf32>) outs(%wt : memref<64x80xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  linalg.fill ins(%zero : f32) outs(%dx : memref<?x80xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%dy, %wt : memref<?x64xf32>, memref<64x80xf32>) outs(%dx : memref<?x80xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  memref.dealloc %wt : memref<64x80xf32>
  return
}

// -----

// X[?, 600] W[600, 520] in blocks of the sum (256 terms, then the rest: a
// block of dynamic size) and of columns (256, 256 and 8 wide): every block
// runs its row tiles on threads like the whole product, the later sum
// blocks' 8 last columns too (alone, a block of a dynamic number of terms
// looked too small for threads: counted as a guess of 32 terms). Under
// 278 rows (600 x 520 / (600 + 520)) by column tiles on threads (@large),
// 16 of 32 columns and one of 8.
// SMALL-LABEL: func.func @edge_block
// SMALL: %[[FEW:.*]] = arith.cmpi slt, %{{.*}}, %c278 : index
// SMALL: scf.if %[[FEW]] {
// SMALL: scf.parallel (%{{.*}}) = (%c0) to (%c17) step (%c1) {
// SMALL: arith.cmpi sge, %{{.*}}, %c32 : index
// SMALL: scf.for %[[K:.*]] = %c256 to %c600 step %c256 {
// SMALL: %[[TERMS:.*]] = arith.minsi
// SMALL: } else {
// SMALL: scf.parallel (%[[M:.*]]) = (%c0) to (%{{.*}}) step (%c8) {
// SMALL-NEXT: arith.cmpi slt, %[[M]]
// SMALL-NEXT: scf.if
// SMALL-NEXT: vector.transfer_read %arg2[%[[M]], %c512]{{.*}} vector<8x8xf32>
// SMALL-NEXT: scf.for %{{.*}} = %c0 to %[[TERMS]] step %c1 iter_args(%{{.*}}) -> (vector<8x8xf32>) {
#mk = affine_map<(m, k, n) -> (m, k)>
#kn = affine_map<(m, k, n) -> (k, n)>
#mn = affine_map<(m, k, n) -> (m, n)>
func.func @edge_block(%x: memref<?x600xf32>, %w: memref<600x520xf32>, %y: memref<?x520xf32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x600xf32>, memref<600x520xf32>) outs(%y : memref<?x520xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Rows of the batch merged with 16 positions (a sequence model's products)
// fill whole tiles of 8 whatever the batch: no partial tile, nor its code.
// CHECK-LABEL: func.func @positions
// CHECK: scf.parallel (%[[M:.*]]) = (%c0) to (%{{.*}}) step (%c8) {
// CHECK-NEXT: scf.for %[[N:.*]] = %c0 to %c128 step %c32 {
// CHECK-NOT: scf.if
// CHECK-NOT: vector<4x32xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
#mk = affine_map<(m, k, n) -> (m, k)>
#kn = affine_map<(m, k, n) -> (k, n)>
#mn = affine_map<(m, k, n) -> (m, n)>
func.func @positions(%x: memref<?x16x64xf32>, %w: memref<64x128xf32>, %y: memref<?x128xf32>) {
  %xs = memref.collapse_shape %x [[0, 1], [2]] : memref<?x16x64xf32> into memref<?x64xf32>
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%xs, %w : memref<?x64xf32>, memref<64x128xf32>) outs(%y : memref<?x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// mnist-mlp's first layer. On AVX2 a tile's row of a panel is one cache
// line, and W's rows (2 KiB apart) would put a tile's 256 terms in 2 of
// L1's 64 sets: a product of 64 columns or more is blocked and, from
// 32 rows (16 Ki result elements), packs its panels (16 tiles of
// [256, 16] in one [4096, 16] buffer) like @large. AVX-512's tiles are two
// lines a row: the same from 512 columns (kWideLineColumns), in 8 tiles
// of [256, 32]. Under 309 rows (784 x 512 / (784 + 512): X and Y smaller
// than W) either runs by column tiles on threads, each with a panel of
// its own (@large), whose tiles sum all 784 terms at once: the panel is
// in the thread's caches whatever the sum's length, and each tile is
// written once, finished (in blocks of 256 terms it was written four
// times and read back three).
// CHECK-LABEL: func.func @line_panels
// CHECK: %[[FEW:.*]] = arith.cmpi slt, %{{.*}}, %c309 : index
// CHECK: %[[PANEL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2048x32xf32>
// CHECK: scf.if %[[FEW]] {
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c16) step (%c1) {
// CHECK: %[[OWN:.*]] = memref.alloca() {alignment = 64 : i64} : memref<784x32xf32>
// CHECK: linalg.copy
// CHECK-NOT: step %c256
// CHECK: scf.for %{{.*}} = %c0 to %c784 step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK: vector.transfer_read %[[OWN]]
// CHECK-NOT: step %c256
// CHECK: } else {
// CHECK: %[[MANY:.*]] = arith.cmpi sge, %{{.*}}, %c32 : index
// CHECK: scf.if %[[MANY]] {
// CHECK: scf.for %{{.*}} = %c0 to %c512 step %c256 {
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// CHECK: vector.transfer_read %[[PANEL]]
// CHECK: } else {
// CHECK: vector.transfer_read %arg1
// AVX2-LABEL: func.func @line_panels
// AVX2: %[[FEW:.*]] = arith.cmpi slt, %{{.*}}, %c309 : index
// AVX2: %[[PANEL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4096x16xf32>
// AVX2: scf.if %[[FEW]] {
// AVX2: scf.parallel (%{{.*}}) = (%c0) to (%c32) step (%c1) {
// AVX2: memref.alloca() {alignment = 64 : i64} : memref<784x16xf32>
// AVX2: } else {
// AVX2: %[[MANY:.*]] = arith.cmpi sge, %{{.*}}, %c32 : index
// AVX2: scf.if %[[MANY]] {
// AVX2: scf.for %{{.*}} = %c0 to %c512 step %c256 {
// AVX2: scf.parallel
// AVX2: linalg.generic
// AVX2: scf.for %{{.*}} = %c0 to %c256 step %c1 iter_args(%{{.*}}) -> (vector<6x16xf32>)
// AVX2: vector.transfer_read %[[PANEL]]
// AVX2: } else {
// AVX2: vector.transfer_read %arg1
func.func @line_panels(%x: memref<?x784xf32>, %w: memref<784x512xf32>, %y: memref<?x512xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<?x512xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x784xf32>, memref<784x512xf32>) outs(%y : memref<?x512xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// gpt-mini's FFN down-projection, 128 columns: on AVX2 W's rows are 512
// bytes apart (a 512-term panel in 8 of L1's 64 sets), so from 64 columns
// a product is blocked, here in one block of all 128 columns, and packs
// from 128 rows (16 Ki result elements): 8 tiles of [512, 16]; under 102
// rows by column tiles on threads (@large). AVX-512 keeps it unblocked.
// CHECK-LABEL: func.func @narrow_line_panels
// CHECK-NOT: memref.alloc
// CHECK: vector.transfer_read %arg1
// CHECK: return
// AVX2-LABEL: func.func @narrow_line_panels
// AVX2: %[[FEW:.*]] = arith.cmpi slt, %{{.*}}, %c102 : index
// AVX2: %[[PANEL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4096x16xf32>
// AVX2: scf.if %[[FEW]] {
// AVX2: scf.parallel (%{{.*}}) = (%c0) to (%c8) step (%c1) {
// AVX2: memref.alloca() {alignment = 64 : i64} : memref<512x16xf32>
// AVX2: linalg.copy
// AVX2: } else {
// AVX2: %[[MANY:.*]] = arith.cmpi sge, %{{.*}}, %c128 : index
// AVX2: scf.if %[[MANY]] {
// AVX2-NOT: scf.for %{{.*}} step %c256
// AVX2: scf.parallel (%{{.*}}) = (%c0) to (%c8) step (%c1)
// AVX2: linalg.generic
// AVX2: scf.for %{{.*}} = %c0 to %c512 step %c1 iter_args(%{{.*}}) -> (vector<6x16xf32>)
// AVX2: vector.transfer_read %[[PANEL]]
// AVX2: } else {
// AVX2: vector.transfer_read %arg1
func.func @narrow_line_panels(%x: memref<?x512xf32>, %w: memref<512x128xf32>, %y: memref<?x128xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<?x128xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x512xf32>, memref<512x128xf32>) outs(%y : memref<?x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// gpt-mini's attention output projection's weight gradient, 128 x 128 over
// the batch: on AVX2 each block of 256 terms packs x's rows into tiles of
// 6 (22 tiles, the last holding rows 126-127) from 16 Ki result elements,
// and dY's columns into 8 panels of [256, 16]; a tile reads both from
// consecutive addresses. AVX-512 reads both operands where they are; its
// only buffer holds the partial results of the two parts from 2048 rows
// (@weight_gradient).
// CHECK-LABEL: func.func @line_panel_rows
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<2x128x128xf32>
// CHECK-NOT: memref.alloc
// CHECK: memref.load %arg0
// CHECK: return
// AVX2-LABEL: func.func @line_panel_rows
// AVX2: %[[ROWS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<5632x6xf32>
// AVX2: %[[PANEL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2048x16xf32>
// AVX2: linalg.copy
// AVX2: scf.parallel (%{{.*}}) = (%c0) to (%c21) step (%c1)
// AVX2: scf.parallel (%{{.*}}) = (%c0) to (%c8) step (%c1)
// AVX2: scf.parallel (%{{.*}}) = (%c0) to (%c128) step (%c6)
// AVX2: vector.transfer_read %[[PANEL]]
// AVX2: memref.load %[[ROWS]]
func.func @line_panel_rows(%x: memref<?x128xf32>, %dy: memref<?x128xf32>, %dw: memref<128x128xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dw : memref<128x128xf32>)
  linalg.generic {indexing_maps = [affine_map<(k, m, n) -> (k, m)>, affine_map<(k, m, n) -> (k, n)>,
                                   affine_map<(k, m, n) -> (m, n)>],
                  iterator_types = ["reduction", "parallel", "parallel"]}
    ins(%x, %dy : memref<?x128xf32>, memref<?x128xf32>) outs(%dw : memref<128x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// The same product on gpt-mini's rows, the batch merged with 128
// positions: any batch makes at least the 128 rows from which it packs,
// so on AVX2 only the packed form is made (no test of the rows, no
// unpacked copy of the tiles to compile).
// AVX2-LABEL: func.func @positions_pack
// AVX2-NOT: arith.cmpi sge
// AVX2-NOT: vector.transfer_read %arg1
// AVX2: %[[PANEL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4096x16xf32>
// AVX2-NOT: arith.cmpi sge
// AVX2-NOT: vector.transfer_read %arg1
// AVX2: vector.transfer_read %[[PANEL]]
// AVX2-NOT: vector.transfer_read %arg1
// AVX2: return
func.func @positions_pack(%h: memref<?x128x512xf32>, %w: memref<512x128xf32>, %y: memref<?x128xf32>) {
  %zero = arith.constant 0.0 : f32
  %x = memref.collapse_shape %h [[0, 1], [2]] : memref<?x128x512xf32> into memref<?x512xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<?x128xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x512xf32>, memref<512x128xf32>) outs(%y : memref<?x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Causal attention's products (sinter.skip_above from
// sinter-lower-to-linalg), loops in (m, n, k) order. Scores: the column
// tiles stop at the first past the row tile (whole tiles of 16, not
// peeled). P·V: the sum over keys stops at the row tile's end. dV = Pᵀ·dO:
// the sum over queries starts at the row tile.
// AVX2-LABEL: func.func @causal_scores
// AVX2: scf.parallel (%[[T:.*]]) = (%c0) to (%c128) step (%c6)
// AVX2: %[[END:.*]] = affine.min #{{.*}}(%[[T]])
// AVX2-NEXT: scf.for %{{.*}} = %c0 to %[[END]] step %c16
// AVX2-NOT: sinter.skip_above
// AVX2-LABEL: func.func @causal_mix
// AVX2: scf.parallel (%[[T:.*]]) = (%c0) to (%c128) step (%c6)
// AVX2: %[[END:.*]] = affine.{{min|apply}} #{{.*}}(%[[T]])
// AVX2: scf.for %{{.*}} = %c0 to %[[END]] step %c1 iter_args
// AVX2-LABEL: func.func @causal_values_gradient
// AVX2: scf.parallel (%[[S:.*]]) = (%c0) to (%c128) step (%c6)
// AVX2: scf.for %{{.*}} = %[[S]] to %c128 step %c1 iter_args
func.func @causal_scores(%q: memref<128x32xf32>, %kt: memref<32x128xf32>, %s: memref<128x128xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%q, %kt : memref<128x32xf32>, memref<32x128xf32>) outs(%s : memref<128x128xf32>) attrs = {sinter.skip_above = array<i64: 0, 1>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
func.func @causal_mix(%p: memref<128x128xf32>, %v: memref<128x32xf32>, %o: memref<128x32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%p, %v : memref<128x128xf32>, memref<128x32xf32>) outs(%o : memref<128x32xf32>) attrs = {sinter.skip_above = array<i64: 0, 2>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
func.func @causal_values_gradient(%pt: memref<128x128xf32>, %do: memref<128x32xf32>, %dv: memref<128x32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%pt, %do : memref<128x128xf32>, memref<128x32xf32>) outs(%dv : memref<128x32xf32>) attrs = {sinter.skip_above = array<i64: 2, 0>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// @large's form with panels beyond a thread's stack (1100 terms of 32
// columns: 137.5 KiB, over kMostStackPanelBytes): the column tiles' panels
// lie one after another in one buffer of all 16, each tile's its own part.
// CHECK-LABEL: func.func @panels_beyond_the_stack
// CHECK: %[[FEW:.*]] = arith.cmpi slt, %{{.*}}, %c349 : index
// CHECK: %[[ALL:.*]] = memref.alloc() {alignment = 64 : i64} : memref<563200xf32>
// CHECK: scf.if %[[FEW]] {
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c16) step (%c1) {
// CHECK-NOT: memref.alloca
// CHECK: %[[MINE:.*]] = memref.subview %[[ALL]]
// CHECK: %[[TILEPANEL:.*]] = memref.expand_shape %[[MINE]] {{.*}} output_shape [1100, 32]
// CHECK: linalg.copy ins(%{{.*}} : memref<1100x32xf32, strided<[512, 1], offset: ?>>) outs(%[[TILEPANEL]]
// CHECK: vector.transfer_read %[[TILEPANEL]]
// CHECK: } else {
func.func @panels_beyond_the_stack(%x: memref<?x1100xf32>, %w: memref<1100x512xf32>, %y: memref<?x512xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<?x512xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, k, n) -> (m, k)>, affine_map<(m, k, n) -> (k, n)>,
                                   affine_map<(m, k, n) -> (m, n)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
    ins(%x, %w : memref<?x1100xf32>, memref<1100x512xf32>) outs(%y : memref<?x512xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Rows of 8 under an outer loop, 20 columns, in AVX2's tiles of 6 x 16: a
// tile of 6 x 16, its column edge of 6 x 4, and the row edge of 2 rows in
// tiles of 2 x 16 and 2 x 4. The columns are peeled before the rows, so
// the row edge holds the whole and the partial column tile both,
// vectorized (peeled after, its columns stayed one loop of dynamic tiles:
// scalar code, most of lenet-caffe's input gradient on AVX2).
// AVX2-LABEL: func.func @row_and_column_edges
// AVX2: vector.transfer_read %arg2[%{{.*}}, %c0, %c0]{{.*}} vector<6x16xf32>
// AVX2: vector.transfer_read %arg2[%{{.*}}, %c0, %c16]{{.*}} vector<6x4xf32>
// AVX2: vector.transfer_read %arg2[%{{.*}}, %c6, %c0]{{.*}} vector<2x16xf32>
// AVX2: vector.transfer_read %arg2[%{{.*}}, %c6, %c16]{{.*}} vector<2x4xf32>
// AVX2-NOT: linalg.generic
// AVX2: return
func.func @row_and_column_edges(%x: memref<3x8x50xf32>, %w: memref<50x20xf32>, %y: memref<3x8x20xf32>) {
  linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (k, n)>,
                                   affine_map<(b, m, n, k) -> (b, m, n)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
    ins(%x, %w : memref<3x8x50xf32>, memref<50x20xf32>) outs(%y : memref<3x8x20xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %c, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A filter gradient's window tile (taps x channels x output channels) reads
// the input's taps x channels with a broadcast along the output channels'
// lanes. With AVX2's 16 registers each value is its own load (a broadcast
// from memory): LLVM's pair loads and permutes took one register more and
// ran deep-256's filter gradients at half of AVX2's peak. AVX-512 keeps the
// read (k1-mix ran 3-5 % slower with the loads).
// AVX2-LABEL: func.func @filter_grad_broadcast_reads
// AVX2-NOT: vector.transfer_read %arg0
// AVX2: memref.load %arg0[%{{.*}}, %{{.*}}, %{{.*}}, %c0, %{{.*}}] : memref<?x6x6x1x8xf32>
// AVX2-NOT: vector.transfer_read %arg0
// AVX2: return
// CHECK-LABEL: func.func @filter_grad_broadcast_reads
// CHECK: vector.transfer_read %arg0{{.*}}permutation_map
func.func @filter_grad_broadcast_reads(%x: memref<?x6x6x1x8xf32>, %g: memref<?x4x4x1x16xf32>, %dw: memref<3x3x8x1x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dw : memref<3x3x8x1x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, i, j, a, b, g, c, o) -> (n, i + a, j + b, g, c)>,
                                   affine_map<(n, i, j, a, b, g, c, o) -> (n, i, j, g, o)>,
                                   affine_map<(n, i, j, a, b, g, c, o) -> (a, b, c, g, o)>],
                  iterator_types = ["reduction", "reduction", "reduction", "parallel", "parallel", "parallel", "parallel", "parallel"]}
    ins(%x, %g : memref<?x6x6x1x8xf32>, memref<?x4x4x1x16xf32>) outs(%dw : memref<3x3x8x1x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %0 = arith.mulf %p, %q : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Rows that an input loads with the columns (as vectors) at stride 2 are
// left to plain loops.
// CHECK-LABEL: func.func @strided_rows_with_columns
// CHECK-NOT: scf.for
// CHECK-NOT: vector.
// CHECK: linalg.generic
#x = affine_map<(n, j, b, c) -> (n, j * 2 + b, c)>
#f = affine_map<(n, j, b, c) -> (b, c)>
#y = affine_map<(n, j, b, c) -> (n, j, c)>
func.func @strided_rows_with_columns(%x: memref<?x33x16xf32>, %f: memref<3x16xf32>, %y: memref<?x16x16xf32>) {
  linalg.generic {indexing_maps = [#x, #f, #y], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
    ins(%x, %f : memref<?x33x16xf32>, memref<3x16xf32>) outs(%y : memref<?x16x16xf32>) {
  ^bb0(%a: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %a, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
