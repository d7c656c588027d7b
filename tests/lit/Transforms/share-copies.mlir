// RUN: sinter-opt %s --split-input-file --sinter-share-copies | FileCheck %s
// RUN: sinter-opt %s --split-input-file --sinter-share-copies --canonicalize | FileCheck %s --check-prefix=DEAD

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#gather = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d3, d2 * 2 + d4, d5)>
#cols = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>

// The backward pass pads %x and gathers its columns again as the forward
// pass did: its reader reads the forward's gather, and the second pad and
// gather go.
// CHECK-LABEL: func.func @gather_again(
// CHECK: %[[G1:.*]] = linalg.generic {{.*}} ins(%[[P1:.*]] : tensor<?x5x5x2xf32>)
// CHECK: %[[G2:.*]] = linalg.generic {{.*}} ins(%[[P2:.*]] : tensor<?x5x5x2xf32>)
// CHECK: return %[[G1]], %[[G1]]
// DEAD-LABEL: func.func @gather_again(
// DEAD-COUNT-1: tensor.insert_slice %arg0
// DEAD-NOT: tensor.insert_slice %arg0
// DEAD-COUNT-1: linalg.generic
// DEAD-NOT: linalg.generic
func.func @gather_again(%x: tensor<?x4x4x2xf32>) -> (tensor<?x2x2x3x3x2xf32>, tensor<?x2x2x3x3x2xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n1 = tensor.dim %x, %c0 : tensor<?x4x4x2xf32>
  %e1 = tensor.empty(%n1) : tensor<?x5x5x2xf32>
  %r1 = tensor.extract_slice %e1[0, 4, 0, 0] [%n1, 1, 5, 2] [1, 1, 1, 1] : tensor<?x5x5x2xf32> to tensor<?x1x5x2xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%r1 : tensor<?x1x5x2xf32>) -> tensor<?x1x5x2xf32>
  %b1 = tensor.insert_slice %f1 into %e1[0, 4, 0, 0] [%n1, 1, 5, 2] [1, 1, 1, 1] : tensor<?x1x5x2xf32> into tensor<?x5x5x2xf32>
  %p1 = tensor.insert_slice %x into %b1[0, 0, 0, 0] [%n1, 4, 4, 2] [1, 1, 1, 1] : tensor<?x4x4x2xf32> into tensor<?x5x5x2xf32>
  %c1 = tensor.empty(%n1) : tensor<?x2x2x3x3x2xf32>
  %g1 = linalg.generic {indexing_maps = [#gather, #cols], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%p1 : tensor<?x5x5x2xf32>) outs(%c1 : tensor<?x2x2x3x3x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?x2x2x3x3x2xf32>
  %n2 = tensor.dim %x, %c0 : tensor<?x4x4x2xf32>
  %e2 = tensor.empty(%n2) : tensor<?x5x5x2xf32>
  %r2 = tensor.extract_slice %e2[0, 4, 0, 0] [%n2, 1, 5, 2] [1, 1, 1, 1] : tensor<?x5x5x2xf32> to tensor<?x1x5x2xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%r2 : tensor<?x1x5x2xf32>) -> tensor<?x1x5x2xf32>
  %b2 = tensor.insert_slice %f2 into %e2[0, 4, 0, 0] [%n2, 1, 5, 2] [1, 1, 1, 1] : tensor<?x1x5x2xf32> into tensor<?x5x5x2xf32>
  %p2 = tensor.insert_slice %x into %b2[0, 0, 0, 0] [%n2, 4, 4, 2] [1, 1, 1, 1] : tensor<?x4x4x2xf32> into tensor<?x5x5x2xf32>
  %c2 = tensor.empty(%n2) : tensor<?x2x2x3x3x2xf32>
  %g2 = linalg.generic {indexing_maps = [#gather, #cols], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%p2 : tensor<?x5x5x2xf32>) outs(%c2 : tensor<?x2x2x3x3x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?x2x2x3x3x2xf32>
  return %g1, %g2 : tensor<?x2x2x3x3x2xf32>, tensor<?x2x2x3x3x2xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// Pads that differ (another border value; another value padded) stay
// apart, and so does a pad that its reader writes into.
// CHECK-LABEL: func.func @pads_apart(
// DEAD-LABEL: func.func @pads_apart(
// CHECK: %[[P1:.*]] = tensor.insert_slice %arg0 into
// CHECK: %[[P2:.*]] = tensor.insert_slice %arg0 into
// CHECK: %[[P3:.*]] = tensor.insert_slice %arg1 into
// CHECK: %[[P4:.*]] = tensor.insert_slice %arg0 into
// CHECK: %[[W:.*]] = linalg.generic {{.*}} outs(%[[P4]] :
// CHECK: return %[[P1]], %[[P2]], %[[P3]], %[[W]]
func.func @pads_apart(%x: tensor<4x4xf32>, %y: tensor<4x4xf32>) -> (tensor<5x5xf32>, tensor<5x5xf32>, tensor<5x5xf32>, tensor<5x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %e1 = tensor.empty() : tensor<5x5xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<5x5xf32>) -> tensor<5x5xf32>
  %p1 = tensor.insert_slice %x into %f1[1, 1] [4, 4] [1, 1] : tensor<4x4xf32> into tensor<5x5xf32>
  %e2 = tensor.empty() : tensor<5x5xf32>
  %f2 = linalg.fill ins(%one : f32) outs(%e2 : tensor<5x5xf32>) -> tensor<5x5xf32>
  %p2 = tensor.insert_slice %x into %f2[1, 1] [4, 4] [1, 1] : tensor<4x4xf32> into tensor<5x5xf32>
  %e3 = tensor.empty() : tensor<5x5xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<5x5xf32>) -> tensor<5x5xf32>
  %p3 = tensor.insert_slice %y into %f3[1, 1] [4, 4] [1, 1] : tensor<4x4xf32> into tensor<5x5xf32>
  %e4 = tensor.empty() : tensor<5x5xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<5x5xf32>) -> tensor<5x5xf32>
  %p4 = tensor.insert_slice %x into %f4[1, 1] [4, 4] [1, 1] : tensor<4x4xf32> into tensor<5x5xf32>
  %w = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      outs(%p4 : tensor<5x5xf32>) {
  ^bb0(%out: f32):
    %d = arith.addf %out, %one : f32
    linalg.yield %d : f32
  } -> tensor<5x5xf32>
  return %p1, %p2, %p3, %w : tensor<5x5xf32>, tensor<5x5xf32>, tensor<5x5xf32>, tensor<5x5xf32>
}

// -----

// A pad equal to an earlier one is read from it, whichever insert_slice
// the chain ends in.
// CHECK-LABEL: func.func @pad_again(
// CHECK: %[[P1:.*]] = tensor.insert_slice %arg0 into
// CHECK: tensor.insert_slice %arg0 into
// CHECK: return %[[P1]], %[[P1]]
func.func @pad_again(%x: tensor<4x4xf32>) -> (tensor<5x5xf32>, tensor<5x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %zero2 = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<5x5xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<5x5xf32>) -> tensor<5x5xf32>
  %p1 = tensor.insert_slice %x into %f1[1, 1] [4, 4] [1, 1] : tensor<4x4xf32> into tensor<5x5xf32>
  %e2 = tensor.empty() : tensor<5x5xf32>
  %f2 = linalg.fill ins(%zero2 : f32) outs(%e2 : tensor<5x5xf32>) -> tensor<5x5xf32>
  %p2 = tensor.insert_slice %x into %f2[1, 1] [4, 4] [1, 1] : tensor<4x4xf32> into tensor<5x5xf32>
  return %p1, %p2 : tensor<5x5xf32>, tensor<5x5xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// Two two-result generics over the same operands with different bodies:
// none of their results' pads is shared, whichever result is compared
// first.
// CHECK-LABEL: func.func @results_of_unequal_ops(
// CHECK: return %inserted_slice, %inserted_slice_1, %inserted_slice_2, %inserted_slice_3 :
func.func @results_of_unequal_ops(%x: tensor<4x4xf32>) -> (tensor<5x5xf32>, tensor<5x5xf32>, tensor<5x5xf32>, tensor<5x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %o = tensor.empty() : tensor<4x4xf32>
  %a:2 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x4xf32>) outs(%o, %o : tensor<4x4xf32>, tensor<4x4xf32>) {
  ^bb0(%in: f32, %p: f32, %q: f32):
    %s = arith.addf %in, %one : f32
    linalg.yield %in, %s : f32, f32
  } -> (tensor<4x4xf32>, tensor<4x4xf32>)
  %b:2 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x4xf32>) outs(%o, %o : tensor<4x4xf32>, tensor<4x4xf32>) {
  ^bb0(%in: f32, %p: f32, %q: f32):
    %s = arith.mulf %in, %one : f32
    linalg.yield %s, %s : f32, f32
  } -> (tensor<4x4xf32>, tensor<4x4xf32>)
  %e = tensor.empty() : tensor<5x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<5x5xf32>) -> tensor<5x5xf32>
  %pa1 = tensor.insert_slice %a#1 into %f[1, 1] [4, 4] [1, 1] : tensor<4x4xf32> into tensor<5x5xf32>
  %pb1 = tensor.insert_slice %b#1 into %f[1, 1] [4, 4] [1, 1] : tensor<4x4xf32> into tensor<5x5xf32>
  %pa0 = tensor.insert_slice %a#0 into %f[1, 1] [4, 4] [1, 1] : tensor<4x4xf32> into tensor<5x5xf32>
  %pb0 = tensor.insert_slice %b#0 into %f[1, 1] [4, 4] [1, 1] : tensor<4x4xf32> into tensor<5x5xf32>
  return %pa1, %pb1, %pa0, %pb0 : tensor<5x5xf32>, tensor<5x5xf32>, tensor<5x5xf32>, tensor<5x5xf32>
}
