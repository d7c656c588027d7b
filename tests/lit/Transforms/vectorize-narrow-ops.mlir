// RUN: sinter-opt %s --split-input-file --sinter-vectorize-narrow-ops --canonicalize | FileCheck %s
// RUN: sinter-opt %s --split-input-file --sinter-vectorize-narrow-ops=lanes=2 | FileCheck %s --check-prefix=TWO
// RUN: sinter-opt %s --split-input-file --sinter-vectorize-narrow-ops=lanes=8 --canonicalize | FileCheck %s --check-prefix=AVX2

// Bias + ReLU over 6 channels: a loop over the positions; x and the bias
// read as rows of 8 lanes, the 2 past the row masked off; the body on
// vectors; one masked write. With 2 lanes to a register, 6 channels are
// not narrow and the generic stays.
// CHECK-LABEL: func.func @bias_relu
// CHECK:       %[[M:.*]] = vector.constant_mask [6] : vector<8xi1>
// CHECK:       scf.for %[[P:.*]] = %c0 to %c28
// CHECK-NEXT:    %[[X:.*]] = vector.maskedload %arg0[%[[P]], %c0], %[[M]], %[[Z:.*]] : memref<28x6xf32>, vector<8xi1>, vector<8xf32> into vector<8xf32>
// CHECK-NEXT:    %[[B:.*]] = vector.maskedload %arg1[%c0], %[[M]], %[[Z]] : memref<6xf32>
// CHECK-NEXT:    %[[S:.*]] = arith.addf %[[X]], %[[B]] : vector<8xf32>
// CHECK-NEXT:    %[[C:.*]] = arith.cmpf ogt, %[[S]], %[[Z]] : vector<8xf32>
// CHECK-NEXT:    %[[R:.*]] = arith.select %[[C]], %[[S]], %[[Z]] : vector<8xi1>, vector<8xf32>
// CHECK-NEXT:    vector.maskedstore %arg2[%[[P]], %c0], %[[M]], %[[R]] : memref<28x6xf32>, vector<8xi1>, vector<8xf32>
// CHECK-NOT:   linalg.generic
// TWO-LABEL:   func.func @bias_relu
// TWO:         linalg.generic
// AVX2's masked stores are slow (microcoded on AMD): rows of 4 + 2 floats.
// AVX2-LABEL:  func.func @bias_relu
// AVX2:        scf.for %[[P:.*]] = %c0 to %c28
// AVX2-NEXT:     %[[X0:.*]] = vector.load %arg0[%[[P]], %c0] : memref<28x6xf32>, vector<4xf32>
// AVX2-NEXT:     %[[XA:.*]] = vector.insert_strided_slice %[[X0]], %[[Z:.*]] {offsets = [0], strides = [1]} : vector<4xf32> into vector<8xf32>
// AVX2-NEXT:     %[[X1:.*]] = vector.load %arg0[%[[P]], %c4] : memref<28x6xf32>, vector<2xf32>
// AVX2-NEXT:     %[[X:.*]] = vector.insert_strided_slice %[[X1]], %[[XA]] {offsets = [4], strides = [1]} : vector<2xf32> into vector<8xf32>
// AVX2:          %[[R:.*]] = arith.select
// AVX2-NEXT:     %[[R0:.*]] = vector.extract_strided_slice %[[R]] {offsets = [0], sizes = [4], strides = [1]} : vector<8xf32> to vector<4xf32>
// AVX2-NEXT:     vector.store %[[R0]], %arg2[%[[P]], %c0] : memref<28x6xf32>, vector<4xf32>
// AVX2-NEXT:     %[[R1:.*]] = vector.extract_strided_slice %[[R]] {offsets = [4], sizes = [2], strides = [1]} : vector<8xf32> to vector<2xf32>
// AVX2-NEXT:     vector.store %[[R1]], %arg2[%[[P]], %c4] : memref<28x6xf32>, vector<2xf32>
// AVX2-NOT:    vector.masked
func.func @bias_relu(%x: memref<28x6xf32>, %b: memref<6xf32>, %y: memref<28x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(p, c) -> (p, c)>, affine_map<(p, c) -> (c)>, affine_map<(p, c) -> (p, c)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<28x6xf32>, memref<6xf32>) outs(%y : memref<28x6xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %pos = arith.cmpf ogt, %s, %zero : f32
    %r = arith.select %pos, %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A pool's taps: reads at constant offsets of the window dims, each a
// row. 16 channels fill a register: plain loads and stores, no mask.
// CHECK-LABEL: func.func @pool_taps
// CHECK:       scf.for %[[I:.*]] = %c0 to %c2
// CHECK-NEXT:    scf.for %[[J:.*]] = %c0 to %c2
// CHECK-NEXT:      %[[A:.*]] = vector.load %arg0[%[[I]], %c0, %[[J]], %c0, %c0] : memref<2x2x2x2x16xf32>, vector<16xf32>
// CHECK-NEXT:      %[[B:.*]] = vector.load %arg0[%[[I]], %c1, %[[J]], %c1, %c0] : memref<2x2x2x2x16xf32>, vector<16xf32>
// CHECK-NEXT:      %[[MAX:.*]] = arith.maximumf %[[A]], %[[B]] : vector<16xf32>
// CHECK-NEXT:      vector.store %[[MAX]], %arg1[%[[I]], %[[J]], %c0] : memref<2x2x16xf32>, vector<16xf32>
func.func @pool_taps(%x: memref<2x2x2x2x16xf32>, %y: memref<2x2x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, c) -> (i, 0, j, 0, c)>, affine_map<(i, j, c) -> (i, 1, j, 1, c)>, affine_map<(i, j, c) -> (i, j, c)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %x : memref<2x2x2x2x16xf32>, memref<2x2x2x2x16xf32>) outs(%y : memref<2x2x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.maximumf %a, %b : f32
    linalg.yield %m : f32
  }
  return
}

// Identity maps over 16 channels: whole registers, so the generic is ours
// (LLVM unrolls a 16-trip loop before its vectorizer sees it).
// CHECK-LABEL: func.func @relu_gradient
// CHECK:       scf.for %[[P:.*]] = %c0 to %c10
// CHECK-NEXT:    %[[Y:.*]] = vector.load %arg0[%[[P]], %c0] : memref<10x16xf32>, vector<16xf32>
// CHECK-NEXT:    %[[G:.*]] = vector.load %arg1[%[[P]], %c0] : memref<10x16xf32>, vector<16xf32>
// CHECK-NEXT:    %[[C:.*]] = arith.cmpf ogt, %[[Y]], %{{.*}} : vector<16xf32>
// CHECK-NEXT:    %[[R:.*]] = arith.select %[[C]], %[[G]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK-NEXT:    vector.store %[[R]], %arg2[%[[P]], %c0] : memref<10x16xf32>, vector<16xf32>
func.func @relu_gradient(%y: memref<10x16xf32>, %g: memref<10x16xf32>, %dx: memref<10x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(p, c) -> (p, c)>, affine_map<(p, c) -> (p, c)>, affine_map<(p, c) -> (p, c)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%y, %g : memref<10x16xf32>, memref<10x16xf32>) outs(%dx : memref<10x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %pos = arith.cmpf ogt, %a, %zero : f32
    %r = arith.select %pos, %b, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// A spread: the tap's index stays scalar (linalg.index of an outer dim)
// and is broadcast where it meets a row.
// CHECK-LABEL: func.func @spread
// CHECK:       scf.for %[[I:.*]] = %c0 to %c2
// CHECK-NEXT:    scf.for %[[T:.*]] = %c0 to %c4
// CHECK-NEXT:      %[[G:.*]] = vector.maskedload %arg0[%[[I]], %c0]
// CHECK-NEXT:      %[[A:.*]] = vector.maskedload %arg1[%[[I]], %c0]
// CHECK-NEXT:      %[[TI:.*]] = arith.index_cast %[[T]] : index to i64
// CHECK-NEXT:      %[[TF:.*]] = arith.sitofp %[[TI]] : i64 to f32
// CHECK-NEXT:      %[[TV:.*]] = vector.broadcast %[[TF]] : f32 to vector<8xf32>
// CHECK-NEXT:      %[[EQ:.*]] = arith.cmpf oeq, %[[A]], %[[TV]] : vector<8xf32>
// CHECK-NEXT:      %[[R:.*]] = arith.select %[[EQ]], %[[G]], %{{.*}} : vector<8xi1>, vector<8xf32>
// CHECK-NEXT:      vector.maskedstore %arg2[%[[I]], %[[T]], %c0], %{{.*}}, %[[R]]
func.func @spread(%g: memref<2x6xf32>, %arg: memref<2x6xf32>, %dx: memref<2x4x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(i, t, c) -> (i, c)>, affine_map<(i, t, c) -> (i, c)>, affine_map<(i, t, c) -> (i, t, c)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%g, %arg : memref<2x6xf32>, memref<2x6xf32>) outs(%dx : memref<2x4x6xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %t = linalg.index 1 : index
    %ti = arith.index_cast %t : index to i64
    %tf = arith.sitofp %ti : i64 to f32
    %eq = arith.cmpf oeq, %m, %tf : f32
    %r = arith.select %eq, %a, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A pool gradient's spread over 2 column taps of 6 channels (lenet's): the
// taps' rows follow each other in the output, so both run in one masked
// vector of 16 lanes (12 used); g and the argmax, the same for each tap,
// are read once and repeated; the tap's index is each lane's.
// CHECK-LABEL: func.func @spread_taps
// CHECK-DAG:   %[[TAPS:.*]] = arith.constant dense<[0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]> : vector<16xf32>
// CHECK-DAG:   %[[M12:.*]] = vector.constant_mask [12] : vector<16xi1>
// CHECK-DAG:   %[[M6:.*]] = vector.constant_mask [6] : vector<8xi1>
// CHECK:       scf.for %[[I:.*]] = %c0 to %c2
// CHECK-NEXT:    %[[G8:.*]] = vector.maskedload %arg0[%[[I]], %c0], %[[M6]]
// CHECK-NEXT:    %[[G:.*]] = vector.shuffle %[[G8]], %[[G8]] [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0]
// CHECK-NEXT:    %[[A8:.*]] = vector.maskedload %arg1[%[[I]], %c0], %[[M6]]
// CHECK-NEXT:    %[[A:.*]] = vector.shuffle %[[A8]], %[[A8]] [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0]
// CHECK-NEXT:    %[[Y:.*]] = vector.maskedload %arg2[%[[I]], %c0, %c0], %[[M12]], %{{.*}} : memref<2x2x6xf32>, vector<16xi1>, vector<16xf32>
// CHECK-NEXT:    %[[EQ:.*]] = arith.cmpf oeq, %[[A]], %[[TAPS]] : vector<16xf32>
// CHECK-NEXT:    %[[R:.*]] = arith.select %[[EQ]], %[[G]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK-NEXT:    %[[POS:.*]] = arith.cmpf ogt, %[[Y]], %{{.*}} : vector<16xf32>
// CHECK-NEXT:    %[[S:.*]] = arith.select %[[POS]], %[[R]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK-NEXT:    vector.maskedstore %arg3[%[[I]], %c0, %c0], %[[M12]], %[[S]] : memref<2x2x6xf32>, vector<16xi1>, vector<16xf32>
// CHECK-NEXT:  }
// Where masks are not cheap (AVX2), a loop over the taps, rows in pieces.
// AVX2-LABEL: func.func @spread_taps
// AVX2:       scf.for %{{.*}} = %c0 to %c2
// AVX2-NEXT:    scf.for %{{.*}} = %c0 to %c2
// AVX2:           vector.store %{{.*}} : memref<2x2x6xf32>, vector<4xf32>
func.func @spread_taps(%g: memref<2x6xf32>, %arg: memref<2x6xf32>, %y: memref<2x2x6xf32>, %dx: memref<2x2x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(i, t, c) -> (i, c)>, affine_map<(i, t, c) -> (i, c)>, affine_map<(i, t, c) -> (i, t, c)>, affine_map<(i, t, c) -> (i, t, c)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%g, %arg, %y : memref<2x6xf32>, memref<2x6xf32>, memref<2x2x6xf32>) outs(%dx : memref<2x2x6xf32>) {
  ^bb0(%a: f32, %m: f32, %v: f32, %o: f32):
    %t = linalg.index 1 : index
    %ti = arith.index_cast %t : index to i64
    %tf = arith.sitofp %ti : i64 to f32
    %eq = arith.cmpf oeq, %m, %tf : f32
    %r = arith.select %eq, %a, %zero : f32
    %pos = arith.cmpf ogt, %v, %zero : f32
    %s = arith.select %pos, %r, %zero : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The same with an input whose tap rows lie apart (8 floats): a row at a
// time, over a loop of the taps.
// CHECK-LABEL: func.func @spread_spaced_taps
// CHECK:       scf.for %{{.*}} = %c0 to %c2
// CHECK-NEXT:    scf.for %{{.*}} = %c0 to %c2
// CHECK:           vector.maskedstore %arg2[%{{.*}}, %{{.*}}, %c0], %{{.*}}, %{{.*}} : memref<2x2x6xf32>, vector<8xi1>, vector<8xf32>
func.func @spread_spaced_taps(%g: memref<2x6xf32>, %y: memref<2x2x6xf32, strided<[16, 8, 1]>>, %dx: memref<2x2x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(i, t, c) -> (i, c)>, affine_map<(i, t, c) -> (i, t, c)>, affine_map<(i, t, c) -> (i, t, c)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%g, %y : memref<2x6xf32>, memref<2x2x6xf32, strided<[16, 8, 1]>>) outs(%dx : memref<2x2x6xf32>) {
  ^bb0(%a: f32, %v: f32, %o: f32):
    %pos = arith.cmpf ogt, %v, %zero : f32
    %s = arith.select %pos, %a, %zero : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A bias gradient: per image, a sum over the positions. The parallel
// loop first, the sums inside it in their order: three rows of partial
// sums (the innermost sum's 3 trips), term w into row w, the first row
// starting from the output's value, the others from zero, added in order
// before the one write.
// CHECK-LABEL: func.func @bias_gradient
// CHECK:       %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8xf32>
// CHECK:       scf.for %[[N:.*]] = %c0 to %c2
// CHECK-NEXT:    %[[INIT:.*]] = vector.maskedload %arg1[%[[N]], %c0]
// CHECK-NEXT:    %[[SUM:.*]]:3 = scf.for %[[H:.*]] = %c0 to %c4 step %c1 iter_args(%[[A0:.*]] = %[[INIT]], %[[A1:.*]] = %[[ZERO]], %[[A2:.*]] = %[[ZERO]]) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK-NEXT:      %[[X0:.*]] = vector.maskedload %arg0[%[[N]], %[[H]], %c0, %c0]
// CHECK-NEXT:      %[[S0:.*]] = arith.addf %[[A0]], %[[X0]] : vector<8xf32>
// CHECK-NEXT:      %[[X1:.*]] = vector.maskedload %arg0[%[[N]], %[[H]], %c1, %c0]
// CHECK-NEXT:      %[[S1:.*]] = arith.addf %[[A1]], %[[X1]] : vector<8xf32>
// CHECK-NEXT:      %[[X2:.*]] = vector.maskedload %arg0[%[[N]], %[[H]], %c2, %c0]
// CHECK-NEXT:      %[[S2:.*]] = arith.addf %[[A2]], %[[X2]] : vector<8xf32>
// CHECK-NEXT:      scf.yield %[[S0]], %[[S1]], %[[S2]]
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[T:.*]] = arith.addf %[[SUM]]#0, %[[SUM]]#1
// CHECK-NEXT:    %[[TOTAL:.*]] = arith.addf %[[T]], %[[SUM]]#2
// CHECK-NEXT:    vector.maskedstore %arg1[%[[N]], %c0], %{{.*}}, %[[TOTAL]]
func.func @bias_gradient(%dy: memref<2x4x3x6xf32>, %db: memref<2x6xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, c)>],
                  iterator_types = ["parallel", "reduction", "reduction", "parallel"]}
      ins(%dy : memref<2x4x3x6xf32>) outs(%db : memref<2x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A dense layer's bias gradient over 72 features: the columns in blocks of
// two registers (32), each a row of sums carried over the batch, the last
// 8 columns a block of one 8-lane vector peeled after them.
// CHECK-LABEL: func.func @wide_bias_gradient
// CHECK:       scf.for %[[C:.*]] = %c0 to %c64 step %c32 {
// CHECK:         %[[DY:.*]] = memref.subview %arg0[0, %[[C]]] [%{{.*}}, 32]
// CHECK:         %[[DB:.*]] = memref.subview %arg1[%[[C]]] [32]
// CHECK-NEXT:    %[[INIT:.*]] = vector.load %[[DB]][%c0] : {{.*}}, vector<32xf32>
// CHECK-NEXT:    %[[SUM:.*]] = scf.for %[[N:.*]] = %c0 to %{{.*}} step %c1 iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<32xf32>) {
// CHECK-NEXT:      %[[X:.*]] = vector.load %[[DY]][%[[N]], %c0] {{.*}} vector<32xf32>
// CHECK-NEXT:      arith.addf %[[ACC]], %[[X]] : vector<32xf32>
// CHECK:         vector.store %[[SUM]], %[[DB]][%c0]
// CHECK:       %[[EDGE:.*]] = memref.subview %arg1[64] [8]
// CHECK:       vector.load %[[EDGE]][%c0] {{.*}}, vector<8xf32>
// CHECK:       scf.for {{.*}} -> (vector<8xf32>)
// CHECK:       vector.store %{{.*}}, %[[EDGE]][%c0]
func.func @wide_bias_gradient(%dy: memref<?x72xf32>, %db: memref<72xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c) -> (n, c)>, affine_map<(n, c) -> (c)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%dy : memref<?x72xf32>) outs(%db : memref<72xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A matmul's peeled 20-column edge sums innermost; its rows still run
// along the output's columns: per output row, four rows of partial sums
// (32 lanes, 20 used) carried through the sum over k in steps of 4, A's
// element broadcast.
// CHECK-LABEL: func.func @matmul_edge
// CHECK:       scf.for %[[M:.*]] = %c0 to %c8
// CHECK-NEXT:    %[[INIT:.*]] = vector.maskedload %arg2[%[[M]], %c0]{{.*}} into vector<32xf32>
// CHECK-NEXT:    %[[SUM:.*]]:4 = scf.for %[[K:.*]] = %c0 to %c120 step %c4 iter_args(%[[ACC:.*]] = %[[INIT]], {{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK-NEXT:      %[[A:.*]] = memref.load %arg0[%[[M]], %[[K]]]
// CHECK-NEXT:      %[[B:.*]] = vector.maskedload %arg1[%[[K]], %c0]
// CHECK-NEXT:      %[[AV:.*]] = vector.broadcast %[[A]] : f32 to vector<32xf32>
// CHECK-NEXT:      %[[P:.*]] = arith.mulf %[[AV]], %[[B]] : vector<32xf32>
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : vector<32xf32>
// CHECK-NEXT:      %[[K1:.*]] = arith.addi %[[K]], %c1
// CHECK-NEXT:      memref.load %arg0[%[[M]], %[[K1]]]
// CHECK:         scf.yield %[[S]], %{{.*}}, %{{.*}}, %{{.*}}
// CHECK:         %[[T1:.*]] = arith.addf %[[SUM]]#0, %[[SUM]]#1
// CHECK-NEXT:    %[[T2:.*]] = arith.addf %[[T1]], %[[SUM]]#2
// CHECK-NEXT:    %[[T3:.*]] = arith.addf %[[T2]], %[[SUM]]#3
// CHECK-NEXT:    vector.maskedstore %arg2[%[[M]], %c0], %{{.*}}, %[[T3]]
func.func @matmul_edge(%a: memref<8x120xf32>, %b: memref<120x20xf32, strided<[84, 1], offset: 64>>,
                       %c: memref<8x20xf32, strided<[84, 1], offset: 64>>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x120xf32>, memref<120x20xf32, strided<[84, 1], offset: 64>>)
      outs(%c : memref<8x20xf32, strided<[84, 1], offset: 64>>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A transposing copy into 6-float rows: blocks of 16 positions along the
// input's contiguous dimension (20 = 16 + 4; the loop over whole blocks
// has one trip here, and goes), a load per channel, one shuffle into
// rows, one store of the block's contiguous rows.
// CHECK-LABEL: func.func @transpose_into_rows
// CHECK:       scf.for %[[N:.*]] = %c0 to %c2
// CHECK-NEXT:    %[[A:.*]] = vector.load %arg0[%[[N]], %c0, %c0] : memref<2x6x20xf32>, vector<16xf32>
// CHECK-NEXT:    %[[B:.*]] = vector.load %arg0[%[[N]], %c1, %c0] : memref<2x6x20xf32>, vector<16xf32>
// CHECK-NEXT:    %[[AB:.*]] = vector.shuffle %[[A]], %[[B]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31] : vector<16xf32>, vector<16xf32>
// CHECK:         %[[ROWS:.*]] = vector.shuffle %[[ALL:.*]], %[[ALL]] [0, 16, 32, 48, 64, 80, 1, 17,
// CHECK-SAME:      : vector<96xf32>, vector<96xf32>
// CHECK-NEXT:    vector.store %[[ROWS]], %arg1[%[[N]], %c0, %c0] : memref<2x20x6xf32>, vector<96xf32>
// CHECK:         vector.load %arg0[%[[N]], %c5, %c16] : memref<2x6x20xf32>, vector<4xf32>
// CHECK:         vector.shuffle {{.*}} : vector<24xf32>, vector<24xf32>
// CHECK-NEXT:    vector.store %{{.*}}, %arg1[%[[N]], %c16, %c0] : memref<2x20x6xf32>, vector<24xf32>
func.func @transpose_into_rows(%x: memref<2x6x20xf32>, %y: memref<2x20x6xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, w, c) -> (n, c, w)>, affine_map<(n, w, c) -> (n, w, c)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<2x6x20xf32>) outs(%y : memref<2x20x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// Rows of 13 floats: a block of 16 would be a shuffle of 208 lanes
// (built partly through the stack); blocks of 8 positions are 104.
// CHECK-LABEL: func.func @transpose_into_wide_rows
// CHECK:       scf.for %[[N:.*]] = %c0 to %c2
// CHECK-NEXT:    scf.for %[[W:.*]] = %c0 to %c16 step %c8
// CHECK-NEXT:      vector.load %arg0[%[[N]], %c0, %[[W]]] : memref<2x13x20xf32>, vector<8xf32>
// CHECK:           vector.shuffle {{.*}} : vector<104xf32>, vector<104xf32>
// CHECK-NEXT:      vector.store %{{.*}}, %arg1[%[[N]], %[[W]], %c0] : memref<2x20x13xf32>, vector<104xf32>
// CHECK:         vector.load %arg0[%[[N]], %c0, %c16] : memref<2x13x20xf32>, vector<4xf32>
// CHECK:         vector.store %{{.*}}, %arg1[%[[N]], %c16, %c0] : memref<2x20x13xf32>, vector<52xf32>
func.func @transpose_into_wide_rows(%x: memref<2x13x20xf32>, %y: memref<2x20x13xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, w, c) -> (n, c, w)>, affine_map<(n, w, c) -> (n, w, c)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<2x13x20xf32>) outs(%y : memref<2x20x13xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// The mirror copy: rows of 6 channels into channels first, each output
// row (a channel) along the positions, in rows of 32 (the filter gradient
// along the positions pads them to whole vectors). Blocks of 16 positions
// along the output rows: the block's 16 input rows, contiguous, one load;
// one shuffle; one store a channel. The last 4 positions are one block.
// CHECK-LABEL: func.func @transpose_out_of_rows
// CHECK:       scf.for %[[N:.*]] = %c0 to %c2
// CHECK-NEXT:    %[[ALL:.*]] = vector.load %arg0[%[[N]], %c0, %c0] : memref<2x20x6xf32>, vector<96xf32>
// CHECK-NEXT:    %[[ROWS:.*]] = vector.shuffle %[[ALL]], %[[ALL]] [0, 6, 12, 18, 24, 30, 36, 42, 48, 54, 60, 66, 72, 78, 84, 90, 1, 7,
// CHECK-NEXT:    %[[C0:.*]] = vector.extract_strided_slice %[[ROWS]] {offsets = [0], sizes = [16], strides = [1]}
// CHECK-NEXT:    vector.store %[[C0]], %arg1[%[[N]], %c0, %c0] : memref<2x6x20xf32, strided<[192, 32, 1]>>, vector<16xf32>
// CHECK:         %[[C5:.*]] = vector.extract_strided_slice %[[ROWS]] {offsets = [80], sizes = [16], strides = [1]}
// CHECK-NEXT:    vector.store %[[C5]], %arg1[%[[N]], %c5, %c0] : memref<2x6x20xf32, strided<[192, 32, 1]>>, vector<16xf32>
// CHECK-NEXT:    %[[REST:.*]] = vector.load %arg0[%[[N]], %c16, %c0] : memref<2x20x6xf32>, vector<24xf32>
// CHECK-NEXT:    vector.shuffle %[[REST]], %[[REST]] [0, 6, 12, 18, 1, 7, 13, 19, 2, 8, 14, 20, 3, 9, 15, 21, 4, 10, 16, 22, 5, 11, 17, 23]
// CHECK:         vector.store %{{.*}}, %arg1[%[[N]], %c5, %c16] : memref<2x6x20xf32, strided<[192, 32, 1]>>, vector<4xf32>
// CHECK-NOT:     memref.load
func.func @transpose_out_of_rows(%x: memref<2x20x6xf32>, %y: memref<2x6x20xf32, strided<[192, 32, 1]>>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, w) -> (n, w, c)>, affine_map<(n, c, w) -> (n, c, w)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<2x20x6xf32>) outs(%y : memref<2x6x20xf32, strided<[192, 32, 1]>>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// 22 positions: a block of 16, then blocks of 4 and 2 (the rest in powers
// of two, so each output row of a block starts a register or an aligned
// part of one).
// CHECK-LABEL: func.func @transpose_out_of_rows_rest
// CHECK:       vector.load %arg0[%{{.*}}, %c16, %c0] : memref<2x22x6xf32>, vector<24xf32>
// CHECK-NEXT:  %[[ROWS:.*]] = vector.shuffle %[[REST:.*]], %[[REST]] [0, 6, 12, 18, 1, 7, 13, 19, 2,
// CHECK-SAME:    : vector<24xf32>, vector<24xf32>
// CHECK-NEXT:  %[[C0:.*]] = vector.extract_strided_slice %[[ROWS]] {offsets = [0], sizes = [4], strides = [1]} : vector<24xf32> to vector<4xf32>
// CHECK-NEXT:  vector.store %[[C0]], %arg1[%{{.*}}, %c0, %c16]
// CHECK-NEXT:  %[[C1:.*]] = vector.extract_strided_slice %[[ROWS]] {offsets = [4], sizes = [4], strides = [1]} : vector<24xf32> to vector<4xf32>
// CHECK-NEXT:  vector.store %[[C1]], %arg1[%{{.*}}, %c1, %c16]
// CHECK:       vector.load %arg0[%{{.*}}, %c20, %c0] : memref<2x22x6xf32>, vector<12xf32>
// CHECK-NEXT:  %[[LAST:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11]
// CHECK-NEXT:  %[[L0:.*]] = vector.extract_strided_slice %[[LAST]] {offsets = [0], sizes = [2], strides = [1]} : vector<12xf32> to vector<2xf32>
// CHECK-NEXT:  vector.store %[[L0]], %arg1[%{{.*}}, %c0, %c20]
func.func @transpose_out_of_rows_rest(%x: memref<2x22x6xf32>, %y: memref<2x6x22xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, w) -> (n, w, c)>, affine_map<(n, c, w) -> (n, c, w)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<2x22x6xf32>) outs(%y : memref<2x6x22xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// Input rows apart (6 channels of rows of 8): one load a position,
// joined; the body (a ReLU) on the whole transposed block.
// CHECK-LABEL: func.func @transpose_out_of_spaced_rows
// CHECK:       %[[R0:.*]] = vector.load %arg0[%[[N:.*]], %c0, %c0] : memref<2x20x6xf32, strided<[160, 8, 1]>>, vector<6xf32>
// CHECK-NEXT:  %[[R1:.*]] = vector.load %arg0[%[[N]], %c1, %c0] : memref<2x20x6xf32, strided<[160, 8, 1]>>, vector<6xf32>
// CHECK-NEXT:  vector.shuffle %[[R0]], %[[R1]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] : vector<6xf32>, vector<6xf32>
// CHECK:       %[[T:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 6, 12, 18, 24, 30, 36, 42, 48, 54, 60, 66, 72, 78, 84, 90, 1, 7,
// CHECK-NEXT:  %[[RELU:.*]] = arith.maximumf %[[T]], %{{.*}} : vector<96xf32>
// CHECK-NEXT:  vector.extract_strided_slice %[[RELU]] {offsets = [0], sizes = [16], strides = [1]}
func.func @transpose_out_of_spaced_rows(%x: memref<2x20x6xf32, strided<[160, 8, 1]>>, %y: memref<2x6x20xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, c, w) -> (n, w, c)>, affine_map<(n, c, w) -> (n, c, w)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<2x20x6xf32, strided<[160, 8, 1]>>) outs(%y : memref<2x6x20xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// The same copy carrying a bias over the channels and a ReLU (what
// sinter-fuse-elementwise merges into it): the bias read once a block as a
// row and repeated for each of the block's 16 rows, the body applied to
// the whole block.
// CHECK-LABEL: func.func @transpose_bias_relu
// CHECK:       scf.for %[[N:.*]] = %c0 to %c2
// CHECK:         %[[ROWS:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 16, 32, 48, 64, 80, 1, 17,
// CHECK-SAME:      : vector<96xf32>, vector<96xf32>
// CHECK-NEXT:    %[[BIAS:.*]] = vector.load %arg1[%c0] : memref<6xf32>, vector<6xf32>
// CHECK-NEXT:    %[[BIASES:.*]] = vector.shuffle %[[BIAS]], %[[BIAS]] [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5,
// CHECK-SAME:      : vector<6xf32>, vector<6xf32>
// CHECK-NEXT:    %[[SUM:.*]] = arith.addf %[[ROWS]], %[[BIASES]] : vector<96xf32>
// CHECK-NEXT:    %[[RELU:.*]] = arith.maximumf %[[SUM]], %{{.*}} : vector<96xf32>
// CHECK-NEXT:    vector.store %[[RELU]], %arg2[%[[N]], %c0, %c0] : memref<2x20x6xf32>, vector<96xf32>
// CHECK:         arith.addf %{{.*}} : vector<24xf32>
// CHECK:         vector.store %{{.*}}, %arg2[%[[N]], %c16, %c0] : memref<2x20x6xf32>, vector<24xf32>
func.func @transpose_bias_relu(%x: memref<2x6x20xf32>, %b: memref<6xf32>, %y: memref<2x20x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, w, c) -> (n, c, w)>, affine_map<(n, w, c) -> (c)>,
                                   affine_map<(n, w, c) -> (n, w, c)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %b : memref<2x6x20xf32>, memref<6xf32>) outs(%y : memref<2x20x6xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// Rows of a whole vector (16 channels, wide-early's convolutions): blocks
// of 8 positions, a shuffle of 128 lanes (LLVM vectorized the copy with a
// gather per position).
// CHECK-LABEL: func.func @transpose_into_vector_rows
// CHECK:       scf.for %[[N:.*]] = %c0 to %c2
// CHECK-NEXT:    scf.for %[[W:.*]] = %c0 to %c16 step %c8
// CHECK-NEXT:      vector.load %arg0[%[[N]], %c0, %[[W]]] : memref<2x16x16xf32>, vector<8xf32>
// CHECK:           %[[ROWS:.*]] = vector.shuffle {{.*}} [0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 1, 9,
// CHECK-SAME:        : vector<128xf32>, vector<128xf32>
// CHECK-NEXT:      %[[BIAS:.*]] = vector.load %arg1[%c0] : memref<16xf32>, vector<16xf32>
// CHECK-NEXT:      %[[BIASES:.*]] = vector.shuffle %[[BIAS]], %[[BIAS]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1,
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[ROWS]], %[[BIASES]] : vector<128xf32>
// CHECK-NEXT:      %[[RELU:.*]] = arith.maximumf %[[SUM]], %{{.*}} : vector<128xf32>
// CHECK-NEXT:      vector.store %[[RELU]], %arg2[%[[N]], %[[W]], %c0] : memref<2x16x16xf32>, vector<128xf32>
// CHECK-NOT:   memref.load
func.func @transpose_into_vector_rows(%x: memref<2x16x16xf32>, %b: memref<16xf32>, %y: memref<2x16x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, w, c) -> (n, c, w)>, affine_map<(n, w, c) -> (c)>,
                                   affine_map<(n, w, c) -> (n, w, c)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %b : memref<2x16x16xf32>, memref<16xf32>) outs(%y : memref<2x16x16xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// Rows of two vectors (32 channels) go a vector of channels at a time:
// each block of 8 positions is two shuffles of 128 lanes, each row stored
// in two halves; the last 4 positions a block of their own.
// CHECK-LABEL: func.func @transpose_into_two_vector_rows
// CHECK:       scf.for %[[N:.*]] = %c0 to %c2
// CHECK-NEXT:    scf.for %[[W:.*]] = %c0 to %c16 step %c8
// CHECK-NEXT:      vector.load %arg0[%[[N]], %c0, %[[W]]] : memref<2x32x20xf32>, vector<8xf32>
// CHECK:           vector.shuffle {{.*}} : vector<128xf32>, vector<128xf32>
// CHECK:           vector.store %{{.*}}, %arg1[%[[N]], %[[W]], %c0] : memref<2x20x32xf32>, vector<16xf32>
// CHECK:           vector.load %arg0[%[[N]], %c16, %[[W]]] : memref<2x32x20xf32>, vector<8xf32>
// CHECK:           vector.shuffle {{.*}} : vector<128xf32>, vector<128xf32>
// CHECK:           vector.store %{{.*}}, %arg1[%[[N]], %[[W]], %c16] : memref<2x20x32xf32>, vector<16xf32>
// CHECK:         vector.load %arg0[%[[N]], %c0, %c16] : memref<2x32x20xf32>, vector<4xf32>
// CHECK:         vector.store %{{.*}}, %arg1[%[[N]], %c19, %c16] : memref<2x20x32xf32>, vector<16xf32>
func.func @transpose_into_two_vector_rows(%x: memref<2x32x20xf32>, %y: memref<2x20x32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, w, c) -> (n, c, w)>, affine_map<(n, w, c) -> (n, w, c)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<2x32x20xf32>) outs(%y : memref<2x20x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// A ReLU's gradient on a transposed input gradient: the forward output
// that masks it (the first input here) is read as the output is written,
// a block of rows at a time (one load: they follow each other); the
// transposed input, the second, in blocks as above.
// CHECK-LABEL: func.func @transpose_relu_grad
// CHECK:       scf.for %[[N:.*]] = %c0 to %c2
// CHECK:         %[[ROWS:.*]] = vector.shuffle {{.*}} [0, 16, 32, 48, 64, 80, 1, 17,
// CHECK-SAME:      : vector<96xf32>, vector<96xf32>
// CHECK-NEXT:    %[[X:.*]] = vector.load %arg0[%[[N]], %c0, %c0] : memref<2x20x6xf32>, vector<96xf32>
// CHECK-NEXT:    %[[POS:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : vector<96xf32>
// CHECK-NEXT:    %[[G:.*]] = arith.select %[[POS]], %[[ROWS]], %{{.*}} : vector<96xi1>, vector<96xf32>
// CHECK-NEXT:    vector.store %[[G]], %arg2[%[[N]], %c0, %c0] : memref<2x20x6xf32>, vector<96xf32>
// CHECK:         vector.load %arg0[%[[N]], %c16, %c0] : memref<2x20x6xf32>, vector<24xf32>
// CHECK:         vector.store %{{.*}}, %arg2[%[[N]], %c16, %c0] : memref<2x20x6xf32>, vector<24xf32>
func.func @transpose_relu_grad(%x: memref<2x20x6xf32>, %g: memref<2x6x20xf32>, %y: memref<2x20x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, w, c) -> (n, w, c)>, affine_map<(n, w, c) -> (n, c, w)>,
                                   affine_map<(n, w, c) -> (n, w, c)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %g : memref<2x20x6xf32>, memref<2x6x20xf32>) outs(%y : memref<2x20x6xf32>) {
  ^bb0(%a: f32, %d: f32, %o: f32):
    %p = arith.cmpf ogt, %a, %zero : f32
    %r = arith.select %p, %d, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// The same written into the forward output it reads (sinter-elementwise-
// in-place: the mask is the op's result buffer): the block reads the
// result's rows before it stores them.
// CHECK-LABEL: func.func @transpose_relu_grad_in_place
// CHECK:       scf.for %[[N:.*]] = %c0 to %c2
// CHECK:         %[[ROWS:.*]] = vector.shuffle {{.*}} [0, 16, 32, 48, 64, 80, 1, 17,
// CHECK-NEXT:    %[[X:.*]] = vector.load %arg1[%[[N]], %c0, %c0] : memref<2x20x6xf32>, vector<96xf32>
// CHECK-NEXT:    %[[POS:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : vector<96xf32>
// CHECK-NEXT:    %[[G:.*]] = arith.select %[[POS]], %[[ROWS]], %{{.*}} : vector<96xi1>, vector<96xf32>
// CHECK-NEXT:    vector.store %[[G]], %arg1[%[[N]], %c0, %c0] : memref<2x20x6xf32>, vector<96xf32>
func.func @transpose_relu_grad_in_place(%g: memref<2x6x20xf32>, %y: memref<2x20x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, w, c) -> (n, c, w)>, affine_map<(n, w, c) -> (n, w, c)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%g : memref<2x6x20xf32>) outs(%y : memref<2x20x6xf32>) {
  ^bb0(%d: f32, %o: f32):
    %p = arith.cmpf ogt, %o, %zero : f32
    %r = arith.select %p, %d, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// Two per-channel inputs (a batch normalization's shift and scale over a
// grouped [N, G, C/G, H, W] tensor), a compare and a select: each input's
// row repeated, the compare a mask of the block's lanes. 6 positions: a
// block of 4, then one of 2.
// CHECK-LABEL: func.func @transpose_normalize
// CHECK:         %[[ROWS:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 4, 8, 1, 5, 9,
// CHECK:         %[[SHIFT:.*]] = vector.load %arg1[%{{.*}}, %c0] : memref<1x3xf32>, vector<3xf32>
// CHECK:         %[[SHIFTS:.*]] = vector.shuffle %[[SHIFT]], %[[SHIFT]] [0, 1, 2, 0, 1, 2,
// CHECK:         %[[SCALE:.*]] = vector.load %arg2[%{{.*}}, %c0] : memref<1x3xf32>, vector<3xf32>
// CHECK:         %[[SCALES:.*]] = vector.shuffle %[[SCALE]], %[[SCALE]]
// CHECK:         %[[S:.*]] = arith.addf %[[ROWS]], %[[SHIFTS]] : vector<12xf32>
// CHECK:         %[[M:.*]] = arith.mulf %[[S]], %[[SCALES]] : vector<12xf32>
// CHECK:         %[[C:.*]] = arith.cmpf ogt, %[[M]], %{{.*}} : vector<12xf32>
// CHECK:         %[[R:.*]] = arith.select %[[C]], %[[M]], %{{.*}} : vector<12xi1>, vector<12xf32>
// CHECK:         vector.store %[[R]], %arg3[{{.*}}] : memref<2x6x6x1x3xf32>, vector<12xf32>
// CHECK:         vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 1, 3, 5] : vector<6xf32>, vector<6xf32>
// CHECK:         vector.store %{{.*}}, %arg3[{{.*}}, %c4, %c0, %c0] : memref<2x6x6x1x3xf32>, vector<6xf32>
func.func @transpose_normalize(%x: memref<2x1x3x6x6xf32>, %a: memref<1x3xf32>, %b: memref<1x3xf32>, %y: memref<2x6x6x1x3xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, i, j, g, c) -> (n, g, c, i, j)>, affine_map<(n, i, j, g, c) -> (g, c)>,
                                   affine_map<(n, i, j, g, c) -> (g, c)>, affine_map<(n, i, j, g, c) -> (n, i, j, g, c)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %a, %b : memref<2x1x3x6x6xf32>, memref<1x3xf32>, memref<1x3xf32>) outs(%y : memref<2x6x6x1x3xf32>) {
  ^bb0(%v: f32, %p: f32, %q: f32, %o: f32):
    %s = arith.addf %v, %p : f32
    %m = arith.mulf %s, %q : f32
    %c = arith.cmpf ogt, %m, %zero : f32
    %r = arith.select %c, %m, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// Rows of 20 channels: a vector of them, then the 4 left (16 + 4), each
// part of a block its own shuffle.
// CHECK-LABEL: func.func @transpose_into_uneven_rows
// CHECK:       scf.for %[[N:.*]] = %c0 to %c2
// CHECK-NEXT:    scf.for %[[W:.*]] = %c0 to %c16 step %c8
// CHECK:           vector.shuffle {{.*}} : vector<128xf32>, vector<128xf32>
// CHECK:           vector.store %{{.*}}, %arg1[%[[N]], %[[W]], %c0] : memref<2x20x20xf32>, vector<16xf32>
// CHECK:           vector.load %arg0[%[[N]], %c16, %[[W]]] : memref<2x20x20xf32>, vector<8xf32>
// CHECK:           vector.shuffle {{.*}} : vector<32xf32>, vector<32xf32>
// CHECK:           vector.store %{{.*}}, %arg1[%[[N]], %[[W]], %c16] : memref<2x20x20xf32>, vector<4xf32>
func.func @transpose_into_uneven_rows(%x: memref<2x20x20xf32>, %y: memref<2x20x20xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, w, c) -> (n, c, w)>, affine_map<(n, w, c) -> (n, w, c)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<2x20x20xf32>) outs(%y : memref<2x20x20xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// The mirror, 32-channel rows into channels first, when the output's
// rows are too long for the other form (80 positions): blocks of 8
// positions, 16 channels of each at a time, each channel's 8 positions
// stored as one vector.
// CHECK-LABEL: func.func @transpose_out_of_two_vector_rows
// CHECK:       scf.for %[[N:.*]] = %c0 to %c2
// CHECK-NEXT:    scf.for %[[W:.*]] = %c0 to %c80 step %c8
// CHECK-NEXT:      vector.load %arg0[%[[N]], %[[W]], %c0] : memref<2x80x32xf32>, vector<16xf32>
// CHECK:           vector.shuffle {{.*}} : vector<128xf32>, vector<128xf32>
// CHECK:           vector.store %{{.*}}, %arg1[%[[N]], %c0, %[[W]]] : memref<2x32x80xf32>, vector<8xf32>
// CHECK:           vector.store %{{.*}}, %arg1[%[[N]], %c15, %[[W]]] : memref<2x32x80xf32>, vector<8xf32>
// CHECK:           vector.load %arg0[%[[N]], %[[W]], %c16] : memref<2x80x32xf32>, vector<16xf32>
// CHECK:           vector.store %{{.*}}, %arg1[%[[N]], %c16, %[[W]]] : memref<2x32x80xf32>, vector<8xf32>
// CHECK:           vector.store %{{.*}}, %arg1[%[[N]], %c31, %[[W]]] : memref<2x32x80xf32>, vector<8xf32>
func.func @transpose_out_of_two_vector_rows(%x: memref<2x80x32xf32>, %y: memref<2x32x80xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, c, w) -> (n, w, c)>, affine_map<(n, c, w) -> (n, c, w)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<2x80x32xf32>) outs(%y : memref<2x32x80xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// Rows of 3 whose block is not contiguous in the output (4 rows of h lie
// between two channels): one store a row, each row 4 lanes of the
// shuffle's result (a power of two, so that a row starts a register or an
// aligned part of one; the padding repeats the row's first lane).
// CHECK-LABEL: func.func @transpose_apart
// CHECK:       scf.for %[[H:.*]] = %c0 to %c4
// CHECK:         vector.load %arg0[%[[H]], %c2, %c0] : memref<4x3x16xf32>, vector<16xf32>
// CHECK:         %[[ROWS:.*]] = vector.shuffle %[[ALL:.*]], %[[ALL]] [0, 16, 32, 0, 1, 17, 33, 1, 2, 18, 34, 2,
// CHECK-SAME:      : vector<48xf32>, vector<48xf32>
// CHECK:         %[[R0:.*]] = vector.extract_strided_slice %[[ROWS]] {offsets = [0], sizes = [3], strides = [1]} : vector<64xf32> to vector<3xf32>
// CHECK-NEXT:    vector.store %[[R0]], %arg1[%c0, %[[H]], %c0] : memref<16x4x3xf32>, vector<3xf32>
// CHECK:         %[[R1:.*]] = vector.extract_strided_slice %[[ROWS]] {offsets = [4], sizes = [3], strides = [1]} : vector<64xf32> to vector<3xf32>
// CHECK-NEXT:    vector.store %[[R1]], %arg1[%c1, %[[H]], %c0] : memref<16x4x3xf32>, vector<3xf32>
// CHECK-COUNT-14: vector.store
func.func @transpose_apart(%x: memref<4x3x16xf32>, %y: memref<16x4x3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(c, h, w) -> (h, w, c)>, affine_map<(c, h, w) -> (c, h, w)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<4x3x16xf32>) outs(%y : memref<16x4x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// Two results written alike (a layer norm over 7 features in training:
// the output and the normalized input its backward pass keeps): both
// rows from one vectorized body, each stored where its output is. LLVM's
// SLP vectorizer spilled this one to the stack (AVX2). With different
// maps for the two results, the generic stays.
// CHECK-LABEL: func.func @two_results
// CHECK:       %[[M:.*]] = vector.constant_mask [7] : vector<8xi1>
// CHECK:       scf.for %[[P:.*]] = %c0 to %c29
// CHECK:         %[[XHAT:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK-NEXT:    %[[G:.*]] = arith.mulf %[[XHAT]], %{{.*}} : vector<8xf32>
// CHECK-NEXT:    %[[Y:.*]] = arith.addf %[[G]], %{{.*}} : vector<8xf32>
// CHECK-NEXT:    vector.maskedstore %arg5[%[[P]], %c0], %[[M]], %[[Y]]
// CHECK-NEXT:    vector.maskedstore %arg6[%[[P]], %c0], %[[M]], %[[XHAT]]
// CHECK-NOT:   linalg.generic
// AVX2-LABEL:  func.func @two_results
// AVX2:          vector.store %{{.*}}, %arg5[%{{.*}}, %c0] : memref<29x7xf32>, vector<4xf32>
// AVX2:          vector.store %{{.*}}, %arg5[%{{.*}}, %c6] : memref<29x7xf32>, vector<1xf32>
// AVX2:          vector.store %{{.*}}, %arg6[%{{.*}}, %c0] : memref<29x7xf32>, vector<4xf32>
// AVX2:          vector.store %{{.*}}, %arg6[%{{.*}}, %c6] : memref<29x7xf32>, vector<1xf32>
// CHECK-LABEL: func.func @two_results_apart
// CHECK:       linalg.generic
func.func @two_results(%x: memref<29x7xf32>, %mean: memref<29xf32>, %rstd: memref<29xf32>,
                       %gamma: memref<7xf32>, %beta: memref<7xf32>,
                       %y: memref<29x7xf32>, %xhat: memref<29x7xf32>) {
  linalg.generic {indexing_maps = [affine_map<(p, c) -> (p, c)>, affine_map<(p, c) -> (p)>, affine_map<(p, c) -> (p)>,
                                   affine_map<(p, c) -> (c)>, affine_map<(p, c) -> (c)>,
                                   affine_map<(p, c) -> (p, c)>, affine_map<(p, c) -> (p, c)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %mean, %rstd, %gamma, %beta : memref<29x7xf32>, memref<29xf32>, memref<29xf32>, memref<7xf32>, memref<7xf32>)
      outs(%y, %xhat : memref<29x7xf32>, memref<29x7xf32>) {
  ^bb0(%a: f32, %m: f32, %r: f32, %g: f32, %b: f32, %o: f32, %o2: f32):
    %d = arith.subf %a, %m : f32
    %n = arith.mulf %d, %r : f32
    %s = arith.mulf %n, %g : f32
    %t = arith.addf %s, %b : f32
    linalg.yield %t, %n : f32, f32
  }
  return
}
func.func @two_results_apart(%x: memref<29x7xf32>, %b: memref<7xf32>, %y: memref<29x7xf32>, %yt: memref<7x29xf32>) {
  linalg.generic {indexing_maps = [affine_map<(p, c) -> (p, c)>, affine_map<(p, c) -> (c)>,
                                   affine_map<(p, c) -> (p, c)>, affine_map<(p, c) -> (c, p)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<29x7xf32>, memref<7xf32>) outs(%y, %yt : memref<29x7xf32>, memref<7x29xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32, %o2: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s, %s : f32, f32
  }
  return
}

// -----

// Left to LLVM: identity maps on contiguous buffers with rows of part of
// a register (merged into one long loop there), an innermost dimension
// wider than two registers, a body using the innermost index, a sum along
// the innermost dimension, and rows of i1 (not whole bytes a lane).
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT:   vector.
func.func @left_alone(%x: memref<28x6xf32>, %y: memref<28x6xf32>, %s: memref<6xf32>,
                      %w: memref<4x40xf32>, %v: memref<4x40xf32>,
                      %wb: memref<40xf32>, %rows: memref<28xf32>,
                      %flags: memref<6xi1>, %masks: memref<28x6xi1>) {
  linalg.generic {indexing_maps = [affine_map<(p, c) -> (p, c)>, affine_map<(p, c) -> (p, c)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<28x6xf32>) outs(%y : memref<28x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [affine_map<(p, c) -> (p, c)>, affine_map<(p, c) -> (c)>, affine_map<(p, c) -> (p, c)>], iterator_types = ["parallel", "parallel"]}
      ins(%w, %wb : memref<4x40xf32>, memref<40xf32>) outs(%v : memref<4x40xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [affine_map<(p, c) -> (c)>, affine_map<(p, c) -> (p, c)>], iterator_types = ["parallel", "parallel"]}
      ins(%s : memref<6xf32>) outs(%y : memref<28x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = linalg.index 1 : index
    %ci = arith.index_cast %c : index to i64
    %cf = arith.sitofp %ci : i64 to f32
    %r = arith.addf %a, %cf : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [affine_map<(p, c) -> (p, c)>, affine_map<(p, c) -> (p)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<28x6xf32>) outs(%rows : memref<28xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %o, %a : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [affine_map<(p, c) -> (c)>, affine_map<(p, c) -> (p, c)>], iterator_types = ["parallel", "parallel"]}
      ins(%flags : memref<6xi1>) outs(%masks : memref<28x6xi1>) {
  ^bb0(%a: i1, %o: i1):
    linalg.yield %a : i1
  }
  return
}
