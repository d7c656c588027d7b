// RUN: sinter-opt %s --split-input-file --sinter-fuse-elementwise | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// Bias add then ReLU: one generic computing max(x + b, 0), no tensor for
// the sum.
// CHECK-LABEL: func.func @bias_relu
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0, %arg1 : tensor<?x8xf32>, tensor<8xf32>)
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
func.func @bias_relu(%x: tensor<?x8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e0 = tensor.empty(%n) : tensor<?x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<?x8xf32>, tensor<8xf32>) outs(%e0 : tensor<?x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<?x8xf32>
  %e1 = tensor.empty(%n) : tensor<?x8xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sum : tensor<?x8xf32>) outs(%e1 : tensor<?x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x8xf32>
  return %relu : tensor<?x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// The sum has a second user after its consumer (a Dense layer's
// pre-activation, read again by the activation's gradient): one generic
// computes both, yielding the sum for that user.
// CHECK-LABEL: func.func @second_user_after
// CHECK: %[[BOTH:.*]]:2 = linalg.generic
// CHECK: %[[S:.*]] = arith.addf
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[S]], %[[S]]
// CHECK-NEXT: linalg.yield %[[M]], %[[S]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[BOTH]]#1, %[[BOTH]]#0
func.func @second_user_after(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %e0 = tensor.empty() : tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e0 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %e1 = tensor.empty() : tensor<4x8xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sum : tensor<4x8xf32>) outs(%e1 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %sum, %sq : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// The sum has a user before its elementwise consumer (a transformer's
// residual stream: the next layer norm's row sum, then the next block's
// sum): merged, the sum would be defined after that user, or computed
// twice, so both generics stay.
// CHECK-LABEL: func.func @second_user_before
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[SUM]] :
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[SUM]], %{{.*}} :
// CHECK: arith.mulf
func.func @second_user_before(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
  %e0 = tensor.empty() : tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e0 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %rows = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%sum : tensor<4x8xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %o, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %next = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sum, %y : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %rows, %next : tensor<4xf32>, tensor<4x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
#sumrow = affine_map<(d0, d1) -> (d0)>

// A matmul reads each element of its operand N times, a row sum would
// leave the merged loop scalar: the ReLUs feeding them stay on their own.
// CHECK-LABEL: func.func @contraction_and_reduction
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT: linalg.generic
func.func @contraction_and_reduction(%x: tensor<4x8xf32>, %w: tensor<8x3xf32>) -> (tensor<4x3xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x8xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e0 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %e1 = tensor.empty() : tensor<4x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %y = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%relu, %w : tensor<4x8xf32>, tensor<8x3xf32>) outs(%acc : tensor<4x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %relu2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %e3 = tensor.empty() : tensor<4xf32>
  %acc2 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<4xf32>) -> tensor<4xf32>
  %rows = linalg.generic {indexing_maps = [#id, #sumrow], iterator_types = ["parallel", "reduction"]}
      ins(%relu2 : tensor<4x8xf32>) outs(%acc2 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %y, %rows : tensor<4x3xf32>, tensor<4xf32>
}

// -----

// A channels-first convolution's output back to channels last ([N, 1, 6,
// 28, 28] to [N, 28, 28, 1, 6]), collapsed to [N, 28, 28, 6] for its bias
// and ReLU: the collapse folds into the bias's generic (its loops expanded
// to the copy's shape), which then takes in the copy: one generic reading
// the channels-first tensor, adding the bias and taking the ReLU, its
// result collapsed afterwards.
// CHECK-DAG: #[[FROMCF:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4, d1, d2)>
// CHECK-LABEL: func.func @transposed_bias_relu
// CHECK: %[[B:.*]] = tensor.expand_shape %arg1 {{\[}}[0, 1]] output_shape [1, 6] : tensor<6xf32> into tensor<1x6xf32>
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[FROMCF]], {{.*}}]{{.*}} ins(%arg0, %[[B]] : tensor<?x1x6x28x28xf32>, tensor<1x6xf32>) outs(%{{.*}} : tensor<?x28x28x1x6xf32>)
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
// CHECK: tensor.collapse_shape %[[Y]] {{\[}}[0], [1], [2], [3, 4]] : tensor<?x28x28x1x6xf32> into tensor<?x28x28x6xf32>
func.func @transposed_bias_relu(%x: tensor<?x1x6x28x28xf32>, %b: tensor<6xf32>) -> tensor<?x28x28x6xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x1x6x28x28xf32>
  %e0 = tensor.empty(%n) : tensor<?x28x28x1x6xf32>
  %last = linalg.generic {indexing_maps = [affine_map<(n, i, j, g, c) -> (n, g, c, i, j)>,
                                           affine_map<(n, i, j, g, c) -> (n, i, j, g, c)>],
                          iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<?x1x6x28x28xf32>) outs(%e0 : tensor<?x28x28x1x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<?x28x28x1x6xf32>
  %merged = tensor.collapse_shape %last [[0], [1], [2], [3, 4]] : tensor<?x28x28x1x6xf32> into tensor<?x28x28x6xf32>
  %e1 = tensor.empty(%n) : tensor<?x28x28x6xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, i, j, c) -> (n, i, j, c)>, affine_map<(n, i, j, c) -> (c)>,
                                        affine_map<(n, i, j, c) -> (n, i, j, c)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%merged, %b : tensor<?x28x28x6xf32>, tensor<6xf32>) outs(%e1 : tensor<?x28x28x6xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x28x28x6xf32>
  return %y : tensor<?x28x28x6xf32>
}

// -----

// Any elementwise producer's collapse folds the same way: the bias add's
// loops expand to [N, 1, 6] and the scaling merges into it (a pool's
// gradient spread over its taps merges so with the ReLU's gradient mask),
// one result collapsed afterwards.
// CHECK-LABEL: func.func @collapsed_producer
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: ins(%arg0, %{{.*}} : tensor<?x1x6xf32>, tensor<1x6xf32>)
// CHECK: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK-NOT: linalg.generic
// CHECK: tensor.collapse_shape %[[Y]] {{\[}}[0], [1, 2]] : tensor<?x1x6xf32> into tensor<?x6xf32>
func.func @collapsed_producer(%x: tensor<?x1x6xf32>, %b: tensor<6xf32>) -> tensor<?x6xf32> {
  %c0 = arith.constant 0 : index
  %two = arith.constant 2.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x1x6xf32>
  %e0 = tensor.empty(%n) : tensor<?x1x6xf32>
  %scaled = linalg.generic {indexing_maps = [affine_map<(n, g, c) -> (n, g, c)>, affine_map<(n, g, c) -> (n, g, c)>],
                            iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<?x1x6xf32>) outs(%e0 : tensor<?x1x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %two : f32
    linalg.yield %m : f32
  } -> tensor<?x1x6xf32>
  %merged = tensor.collapse_shape %scaled [[0], [1, 2]] : tensor<?x1x6xf32> into tensor<?x6xf32>
  %e1 = tensor.empty(%n) : tensor<?x6xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, c) -> (n, c)>, affine_map<(n, c) -> (c)>, affine_map<(n, c) -> (n, c)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%merged, %b : tensor<?x6xf32>, tensor<6xf32>) outs(%e1 : tensor<?x6xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// -----

// A producer with a second user does not fold: merged, it would be
// computed twice (once for each).
// CHECK-LABEL: func.func @collapsed_producer_used_twice
// CHECK: %[[S:.*]] = linalg.generic
// CHECK: arith.mulf
// CHECK: tensor.collapse_shape %[[S]]
// CHECK: linalg.generic
// CHECK: arith.addf
func.func @collapsed_producer_used_twice(%x: tensor<?x1x6xf32>, %b: tensor<6xf32>) -> (tensor<?x6xf32>, tensor<?x1x6xf32>) {
  %c0 = arith.constant 0 : index
  %two = arith.constant 2.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x1x6xf32>
  %e0 = tensor.empty(%n) : tensor<?x1x6xf32>
  %scaled = linalg.generic {indexing_maps = [affine_map<(n, g, c) -> (n, g, c)>, affine_map<(n, g, c) -> (n, g, c)>],
                            iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<?x1x6xf32>) outs(%e0 : tensor<?x1x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %two : f32
    linalg.yield %m : f32
  } -> tensor<?x1x6xf32>
  %merged = tensor.collapse_shape %scaled [[0], [1, 2]] : tensor<?x1x6xf32> into tensor<?x6xf32>
  %e1 = tensor.empty(%n) : tensor<?x6xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, c) -> (n, c)>, affine_map<(n, c) -> (c)>, affine_map<(n, c) -> (n, c)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%merged, %b : tensor<?x6xf32>, tensor<6xf32>) outs(%e1 : tensor<?x6xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<?x6xf32>
  return %y, %scaled : tensor<?x6xf32>, tensor<?x1x6xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>

// The first user reads the sum transposed (attention's Kᵀ): yielding the
// sum from its loop would store it across rows, so nothing merges.
// CHECK-LABEL: func.func @second_user_after_transposed
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK: arith.addf
// CHECK: %[[T:.*]] = linalg.generic
// CHECK-SAME: ins(%[[SUM]] :
// CHECK: return %[[SUM]], %[[T]]
func.func @second_user_after_transposed(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<8x4xf32>) {
  %e0 = tensor.empty() : tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e0 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %e1 = tensor.empty() : tensor<8x4xf32>
  %tr = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sum : tensor<4x8xf32>) outs(%e1 : tensor<8x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<8x4xf32>
  return %sum, %tr : tensor<4x8xf32>, tensor<8x4xf32>
}
