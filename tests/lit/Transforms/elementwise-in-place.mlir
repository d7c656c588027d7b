// RUN: sinter-opt %s --split-input-file --sinter-elementwise-in-place | FileCheck %s

// A ReLU's gradient mask over an output gradient assembled by
// insert_slices (a strided convolution's input gradient by phases), the
// gradient's last reader: the mask writes into the gradient, reading it
// as its output's element, and its tensor.empty goes.
// CHECK-LABEL: func.func @relu_mask
// CHECK-SAME: (%[[Y:.*]]: tensor<4x16xf32>, %[[PHASE:.*]]: tensor<4x8xf32>)
// CHECK: %[[G:.*]] = tensor.insert_slice %[[PHASE]]
// CHECK-NOT: tensor.empty
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<4x16xf32>) outs(%[[G]] : tensor<4x16xf32>)
// CHECK-NEXT: ^bb0(%[[YI:.*]]: f32, %[[GI:.*]]: f32):
// CHECK-NEXT: %[[POS:.*]] = arith.cmpf ogt, %[[YI]]
// CHECK-NEXT: arith.select %[[POS]], %[[GI]]
#id = affine_map<(i, j) -> (i, j)>
func.func @relu_mask(%y: tensor<4x16xf32>, %phase: tensor<4x8xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %all = tensor.empty() : tensor<4x16xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%all : tensor<4x16xf32>) -> tensor<4x16xf32>
  %g = tensor.insert_slice %phase into %zeros[0, 0] [4, 8] [1, 2] : tensor<4x8xf32> into tensor<4x16xf32>
  %new = tensor.empty() : tensor<4x16xf32>
  %dy = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
    ins(%y, %g : tensor<4x16xf32>, tensor<4x16xf32>) outs(%new : tensor<4x16xf32>) {
  ^bb0(%yi: f32, %gi: f32, %out: f32):
    %pos = arith.cmpf ogt, %yi, %zero : f32
    %m = arith.select %pos, %gi, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x16xf32>
  return %dy : tensor<4x16xf32>
}

// -----

// An input an elementwise op computed, reshaped, which another elementwise
// op read before (a forward activation the backward pass reads last,
// through a view of its own): in place as well.
// CHECK-LABEL: func.func @through_reshape
// CHECK: %[[T:.*]] = linalg.generic
// CHECK: linalg.generic {{.*}} ins(%[[T]] : tensor<2x16xf32>)
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[T]]
// CHECK: linalg.generic {{.*}} outs(%[[R]] : tensor<32xf32>)
#id1 = affine_map<(i) -> (i)>
#id2 = affine_map<(i, j) -> (i, j)>
func.func @through_reshape(%x: tensor<2x16xf32>) -> (tensor<2x16xf32>, tensor<32xf32>) {
  %e = tensor.empty() : tensor<2x16xf32>
  %t = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
    ins(%x : tensor<2x16xf32>) outs(%e : tensor<2x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = math.tanh %a : f32
    linalg.yield %s : f32
  } -> tensor<2x16xf32>
  %e1 = tensor.empty() : tensor<2x16xf32>
  %before = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
    ins(%t : tensor<2x16xf32>) outs(%e1 : tensor<2x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<2x16xf32>
  %r = tensor.collapse_shape %t [[0, 1]] : tensor<2x16xf32> into tensor<32xf32>
  %new = tensor.empty() : tensor<32xf32>
  %sq = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
    ins(%r : tensor<32xf32>) outs(%new : tensor<32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  return %before, %sq : tensor<2x16xf32>, tensor<32xf32>
}

// -----

// Left alone: an op reading a contraction's result (sinter-fuse-epilogues
// runs it on the product's tiles), an input read again later, an input
// that is a function argument, a result inserted into a larger tensor
// (empty-tensor elimination computes it there), and rows of 6 floats,
// which take masked vectors (a masked read beside the last masked write
// waits for it).
// CHECK-LABEL: func.func @left_alone
// CHECK: "reduction"
// CHECK: %[[E1:.*]] = tensor.empty
// CHECK: %[[RELU:.*]] = linalg.generic {{.*}} outs(%[[E1]] :
// CHECK: %[[E2:.*]] = tensor.empty
// CHECK: linalg.generic {{.*}} ins(%[[RELU]] : tensor<4x16xf32>) outs(%[[E2]] :
// CHECK: %[[E3:.*]] = tensor.empty
// CHECK: %[[NEG:.*]] = linalg.generic {{.*}} outs(%[[E3]] :
// CHECK: %[[E4:.*]] = tensor.empty
// CHECK: linalg.generic {{.*}} ins(%[[NEG]] : tensor<4x16xf32>) outs(%[[E4]] :
// CHECK: %[[E5:.*]] = tensor.empty
// CHECK: %[[T6:.*]] = linalg.generic {{.*}} outs(%[[E5]] :
// CHECK: %[[E6:.*]] = tensor.empty
// CHECK: linalg.generic {{.*}} ins(%[[T6]] : tensor<4x6xf32>) outs(%[[E6]] :
// CHECK: %[[H:.*]] = linalg.generic
// CHECK: %[[E7:.*]] = tensor.empty
// CHECK: linalg.generic {{.*}} ins(%[[H]], %{{.*}} : tensor<4x16xf32>, tensor<4x16xf32>) outs(%[[E7]] :
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(i, j) -> (i, j)>
func.func @left_alone(%a: tensor<4x3xf32>, %b: tensor<3x16xf32>, %x: tensor<4x16xf32>,
                      %pad: tensor<6x18xf32>, %x6: tensor<4x6xf32>)
    -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<6x18xf32>, tensor<4x6xf32>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %p = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%a, %b : tensor<4x3xf32>, tensor<3x16xf32>) outs(%z : tensor<4x16xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %m = arith.mulf %u, %v : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  %e1 = tensor.empty() : tensor<4x16xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
    ins(%p : tensor<4x16xf32>) outs(%e1 : tensor<4x16xf32>) {
  ^bb0(%u: f32, %o: f32):
    %r = arith.maximumf %u, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  %e2 = tensor.empty() : tensor<4x16xf32>
  %twice = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
    ins(%relu : tensor<4x16xf32>) outs(%e2 : tensor<4x16xf32>) {
  ^bb0(%u: f32, %o: f32):
    %r = arith.addf %u, %u : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  %e3 = tensor.empty() : tensor<4x16xf32>
  %neg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
    ins(%x : tensor<4x16xf32>) outs(%e3 : tensor<4x16xf32>) {
  ^bb0(%u: f32, %o: f32):
    %r = arith.negf %u : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  %e4 = tensor.empty() : tensor<4x16xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
    ins(%neg : tensor<4x16xf32>) outs(%e4 : tensor<4x16xf32>) {
  ^bb0(%u: f32, %o: f32):
    %r = arith.mulf %u, %u : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  %padded = tensor.insert_slice %sq into %pad[1, 1] [4, 16] [1, 1] : tensor<4x16xf32> into tensor<6x18xf32>
  %e5 = tensor.empty() : tensor<4x6xf32>
  %t6 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
    ins(%x6 : tensor<4x6xf32>) outs(%e5 : tensor<4x6xf32>) {
  ^bb0(%u: f32, %o: f32):
    %r = math.tanh %u : f32
    linalg.yield %r : f32
  } -> tensor<4x6xf32>
  %e6 = tensor.empty() : tensor<4x6xf32>
  %sq6 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
    ins(%t6 : tensor<4x6xf32>) outs(%e6 : tensor<4x6xf32>) {
  ^bb0(%u: f32, %o: f32):
    %r = arith.mulf %u, %u : f32
    linalg.yield %r : f32
  } -> tensor<4x6xf32>
  %e8 = tensor.empty() : tensor<4x16xf32>
  %h = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
    ins(%x : tensor<4x16xf32>) outs(%e8 : tensor<4x16xf32>) {
  ^bb0(%u: f32, %o: f32):
    %r = math.tanh %u : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  %e7 = tensor.empty() : tensor<4x16xf32>
  %mask = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
    ins(%h, %p : tensor<4x16xf32>, tensor<4x16xf32>) outs(%e7 : tensor<4x16xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %pos = arith.cmpf ogt, %u, %zero : f32
    %r = arith.select %pos, %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %relu, %twice, %padded, %sq6, %mask : tensor<4x16xf32>, tensor<4x16xf32>, tensor<6x18xf32>, tensor<4x6xf32>, tensor<4x16xf32>
}

// -----

// An op that reads a contraction's result broadcast (a 2 x 1 max pool's
// gradient: the output gradient, a dense layer's input gradient, once for
// each of a window's two taps) cannot run on the product's tiles: it
// writes into the forward activation it reads last.
// CHECK-LABEL: func.func @broadcast_product
// CHECK: %[[P:.*]] = linalg.generic {{.*}} "reduction"
// CHECK: %[[A:.*]] = linalg.generic
// CHECK-NOT: tensor.empty
// CHECK: linalg.generic {{.*}} ins(%[[P]] : tensor<2x16xf32>) outs(%[[A]] : tensor<2x2x16xf32>)
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id3 = affine_map<(i, t, j) -> (i, t, j)>
#row = affine_map<(i, t, j) -> (i, j)>
func.func @broadcast_product(%g: tensor<2x3xf32>, %w: tensor<3x16xf32>, %x: tensor<2x2x16xf32>)
    -> tensor<2x2x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<2x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x16xf32>) -> tensor<2x16xf32>
  %p = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%g, %w : tensor<2x3xf32>, tensor<3x16xf32>) outs(%z : tensor<2x16xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %m = arith.mulf %u, %v : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x16xf32>
  %e1 = tensor.empty() : tensor<2x2x16xf32>
  %a = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
    ins(%x : tensor<2x2x16xf32>) outs(%e1 : tensor<2x2x16xf32>) {
  ^bb0(%u: f32, %o: f32):
    %r = arith.maximumf %u, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x2x16xf32>
  %e2 = tensor.empty() : tensor<2x2x16xf32>
  %dx = linalg.generic {indexing_maps = [#id3, #row, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
    ins(%a, %p : tensor<2x2x16xf32>, tensor<2x16xf32>) outs(%e2 : tensor<2x2x16xf32>) {
  ^bb0(%u: f32, %d: f32, %o: f32):
    %pos = arith.cmpf ogt, %u, %zero : f32
    %r = arith.select %pos, %d, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x2x16xf32>
  return %dx : tensor<2x2x16xf32>
}
