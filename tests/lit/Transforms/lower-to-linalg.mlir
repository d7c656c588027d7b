// RUN: sinter-opt %s --split-input-file --sinter-lower-to-linalg | FileCheck %s
// RUN: sinter-opt %s --split-input-file --sinter-lower-to-linalg=lanes=8 | FileCheck %s --check-prefix=LANES8

// Iteration order (m, k, n): the innermost loop runs along the output's
// contiguous dimension.
// CHECK-DAG: #[[MK:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[KN:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[MN:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @matmul
// CHECK: %[[B:.*]] = tensor.dim %arg0, %c0
// CHECK: %[[E:.*]] = tensor.empty(%[[B]]) : tensor<?x3xf32>
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<?x3xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[MK]], #[[KN]], #[[MN]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%arg0, %arg1 : tensor<?x4xf32>, tensor<4x3xf32>) outs(%[[Z]] : tensor<?x3xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: sinter.
func.func @matmul(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>) -> tensor<?x3xf32> {
  %0 = sinter.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// dW = xᵀ g contracts over the dynamic batch into a static result; the
// batch loop is outermost: (k, m, n).
// CHECK-DAG: #[[KM:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_transpose_lhs
// CHECK: tensor.empty() : tensor<4x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[KM]], {{.*}}], iterator_types = ["reduction", "parallel", "parallel"]}
func.func @matmul_transpose_lhs(%x: tensor<?x4xf32>, %g: tensor<?x3xf32>) -> tensor<4x3xf32> {
  %0 = sinter.matmul %x, %g {transpose_lhs} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// dx = g Wᵀ transposes W once, then multiplies as A·B.
// CHECK-DAG: #[[SWAP:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @matmul_transpose_rhs
// CHECK: %[[T:.*]] = linalg.generic {indexing_maps = [#[[SWAP]], {{.*}}]} ins(%arg1 : tensor<3x4xf32>) outs(%{{.*}} : tensor<4x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[T]] : tensor<?x4xf32>, tensor<4x3xf32>)
func.func @matmul_transpose_rhs(%g: tensor<?x4xf32>, %w: tensor<3x4xf32>) -> tensor<?x3xf32> {
  %0 = sinter.matmul %g, %w {transpose_rhs} : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @bias
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg1 : tensor<?x3xf32>, tensor<3xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%arg0 : tensor<?x3xf32>) outs(%{{.*}} : tensor<3xf32>)
func.func @bias(%x: tensor<?x3xf32>, %b: tensor<3xf32>) -> (tensor<?x3xf32>, tensor<3xf32>) {
  %0 = sinter.bias_add %x, %b : tensor<?x3xf32>, tensor<3xf32>
  %1 = sinter.bias_add_grad %x : tensor<?x3xf32> -> tensor<3xf32>
  return %0, %1 : tensor<?x3xf32>, tensor<3xf32>
}

// -----

// Softmax in three passes over x: the max (from -inf), the sum of
// exp(x - max) (no tensor of exponentials), and exp(x - max) times the
// sum's reciprocal, a map over the vectors (no division per element).
// CHECK-LABEL: func.func @softmax
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<?x3xf32>)
// CHECK-NOT: linalg.index
// CHECK: arith.maximumf
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%arg0, %[[MAX]] : tensor<?x3xf32>, tensor<?xf32>)
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: %[[INV:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[SUM]] : tensor<?xf32>)
// CHECK: arith.divf %cst{{.*}}, %in : f32
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%arg0, %[[MAX]], %[[INV]] : tensor<?x3xf32>, tensor<?xf32>, tensor<?xf32>)
// CHECK: arith.subf
// CHECK: math.exp
// CHECK-NOT: arith.divf
// CHECK: arith.mulf
// CHECK-NOT: linalg.generic
func.func @softmax(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = sinter.softmax %x : tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Attention's softmax over causally masked scores: each pass reads the
// scores themselves; the max and the sum hide the future (key s > query
// t) as -inf, the last pass selects its weights zero there; the masked
// scores are never written.
// CHECK-LABEL: func.func @causal_softmax
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<?x2x5x5xf32>)
// CHECK: %[[T:.*]] = linalg.index 2 : index
// CHECK: %[[S:.*]] = linalg.index 3 : index
// CHECK: %[[FUTURE:.*]] = arith.cmpi ugt, %[[S]], %[[T]] : index
// CHECK: %[[X:.*]] = arith.select %[[FUTURE]], %{{.*}}, %in : f32
// CHECK: arith.maximumf %out, %[[X]] : f32
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%arg0, %[[MAX]] : tensor<?x2x5x5xf32>, tensor<?x2x5xf32>)
// CHECK: arith.cmpi ugt
// CHECK: math.exp
// CHECK: %[[INV:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<?x2x5xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[MAX]], %[[INV]] : tensor<?x2x5x5xf32>, tensor<?x2x5xf32>, tensor<?x2x5xf32>)
// CHECK: math.exp
// CHECK: arith.mulf
// CHECK: arith.cmpi ugt
// CHECK: arith.select
// CHECK-NOT: linalg.generic
func.func @causal_softmax(%x: tensor<?x2x5x5xf32>) -> tensor<?x2x5x5xf32> {
  %0 = sinter.causal_mask %x {value = 0xFF800000 : f32} : tensor<?x2x5x5xf32>
  %1 = sinter.softmax %0 : tensor<?x2x5x5xf32>
  return %1 : tensor<?x2x5x5xf32>
}

// -----

// With another value (the mask's gradient, 0) the mask is its own pass.
// CHECK-LABEL: func.func @zero_mask_softmax
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0 : tensor<?x2x5x5xf32>)
// CHECK: arith.cmpi ugt
// CHECK: arith.select
func.func @zero_mask_softmax(%x: tensor<?x2x5x5xf32>) -> tensor<?x2x5x5xf32> {
  %0 = sinter.causal_mask %x {value = 0.0 : f32} : tensor<?x2x5x5xf32>
  %1 = sinter.softmax %0 : tensor<?x2x5x5xf32>
  return %1 : tensor<?x2x5x5xf32>
}

// -----

// The mean divides by batch * outputs, with the batch read at run time.
// CHECK-LABEL: func.func @mse
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} {{.*}} outs(%{{.*}} : tensor<f32>)
// CHECK: tensor.dim %arg0, %c0
// CHECK: arith.sitofp
// CHECK: arith.divf
// CHECK: tensor.from_elements
func.func @mse(%p: tensor<?x3xf32>, %t: tensor<?x3xf32>) -> tensor<f32> {
  %0 = sinter.mean_squared_error %p, %t : tensor<?x3xf32>, tensor<?x3xf32>
  return %0 : tensor<f32>
}

// -----

// The loss reads each row's labelled probability (tensor.extract at the
// label, guarded to [0, classes)) in one sum over the rows, not a log of
// every class: the iteration space is the labels'.
// CHECK-LABEL: func.func @sparse
// CHECK: %[[CLASSES:.*]] = tensor.dim %arg0, %c1
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%arg1, %{{.*}} : tensor<?xi32>, tensor<?xf32>)
// CHECK: arith.cmpi slt, %{{.*}}, %[[CLASSES]]
// CHECK: %[[ROW:.*]] = linalg.index 0
// CHECK: tensor.extract %arg0[%[[ROW]], %{{.*}}] : tensor<?x3xf32>
// CHECK: math.log
func.func @sparse(%p: tensor<?x3xf32>, %l: tensor<?xi32>) -> tensor<f32> {
  %0 = sinter.sparse_categorical_crossentropy %p, %l : tensor<?x3xf32>, tensor<?xi32>
  return %0 : tensor<f32>
}

// -----

// Softmax and cross-entropy's gradient: the row sums, then per row whether
// the labelled probability is unclipped (its one read by label), then one
// map over the classes that reads no probability but its own.
// CHECK-LABEL: func.func @softmax_crossentropy_grad
// CHECK: %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0 : tensor<?x4x7xf32>)
// CHECK: %[[T:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%arg1, %[[S]] : tensor<?x4xi32>, tensor<?x4xf32>)
// CHECK: tensor.extract %arg0
// CHECK: arith.cmpf ogt
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %arg1, %[[S]], %[[T]] :
// CHECK-NOT: tensor.extract
// CHECK: linalg.yield
func.func @softmax_crossentropy_grad(%y: tensor<?x4x7xf32>, %l: tensor<?x4xi32>, %s: tensor<f32>) -> tensor<?x4x7xf32> {
  %0 = sinter.softmax_crossentropy_grad %y, %l, %s : tensor<?x4x7xf32>, tensor<?x4xi32>
  return %0 : tensor<?x4x7xf32>
}

// -----

// One generic updates the parameter and both slots: they are its outputs,
// the parameter first (marked for sinter-parallelize-loops).
// CHECK-LABEL: func.func @adam
// CHECK: math.powf
// CHECK: math.powf
// CHECK: %[[R:.*]]:3 = linalg.generic {{.*}} ins(%arg1 : tensor<4x3xf32>) outs(%arg0, %arg2, %arg3 : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) attrs = {sinter.updates_parameters}
// CHECK: math.sqrt
// CHECK: linalg.yield
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @adam(%p: tensor<4x3xf32>, %g: tensor<4x3xf32>, %m: tensor<4x3xf32>, %v: tensor<4x3xf32>,
                %lr: f32, %it: f32) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %0:3 = sinter.adam_update %p, %g slots(%m, %v : tensor<4x3xf32>, tensor<4x3xf32>) lr %lr iteration %it
      {beta_1 = 0.9 : f32, beta_2 = 0.999 : f32, epsilon = 1.0e-07 : f32} : tensor<4x3xf32>
  return %0#0, %0#1, %0#2 : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>
}

// -----

// CHECK-LABEL: func.func @sgd
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<3xf32>) outs(%arg0 : tensor<3xf32>) attrs = {sinter.updates_parameters}
// CHECK: arith.mulf
// CHECK: arith.subf
func.func @sgd(%p: tensor<3xf32>, %g: tensor<3xf32>, %lr: f32) -> tensor<3xf32> {
  %0 = sinter.sgd_update %p, %g lr %lr {momentum = 0.0 : f32} : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// A fused update (sinter-fuse-optimizer-updates) keeps where its parameters
// start on its generic, for sinter-parallelize-loops.
// CHECK-LABEL: func.func @fused_sgd
// CHECK: linalg.generic {{.*}} attrs = {sinter.parameter_starts = array<i64: 0, 16>, sinter.updates_parameters}
func.func @fused_sgd(%p: tensor<20xf32>, %g: tensor<20xf32>, %lr: f32) -> tensor<20xf32> {
  %0 = sinter.sgd_update %p, %g lr %lr {momentum = 0.0 : f32, sinter.parameter_starts = array<i64: 0, 16>} : tensor<20xf32>
  return %0 : tensor<20xf32>
}

// -----

// Grouped convolution: the input is padded by copying it into a zero
// tensor, the channels split into [groups, channels per group], and the
// output channel is the innermost loop, (n, oh, ow, g, kh, kw, c, o).
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1 * 2 + d4, d2 * 2 + d5, d3, d6)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d4, d5, d6, d3, d7)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d7)>
// CHECK-LABEL: func.func @conv
// CHECK: %[[P:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 0, 0] [%{{.*}}, 8, 8, 2] [1, 1, 1, 1] : tensor<?x8x8x2xf32> into tensor<?x9x9x2xf32>
// CHECK: %[[XG:.*]] = tensor.expand_shape %[[P]] {{\[\[}}0], [1], [2], [3, 4]] {{.*}} into tensor<?x9x9x2x1xf32>
// CHECK: %[[WG:.*]] = tensor.expand_shape %arg1 {{.*}} into tensor<3x3x1x2x2xf32>
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]}
// CHECK-SAME: ins(%[[XG]], %[[WG]]
// CHECK: tensor.collapse_shape {{.*}} into tensor<?x4x4x4xf32>
func.func @conv(%x: tensor<?x8x8x2xf32>, %w: tensor<3x3x1x4xf32>) -> tensor<?x4x4x4xf32> {
  %0 = sinter.conv2d %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 2}
      : tensor<?x8x8x2xf32>, tensor<3x3x1x4xf32> -> tensor<?x4x4x4xf32>
  return %0 : tensor<?x4x4x4xf32>
}

// -----

// Ungrouped and strided with a filter whose gradient would not sum the
// batch in parts (16 partial results of 1152 x 256 floats, over 16 MiB):
// the windows become the rows of a matrix (im2col, [N*OH*OW, KH*KW*C]) and
// the convolution one matmul with the filter viewed as [KH*KW*C, O]; the
// filter gradient is windowsᵀ · grad.
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d3, d2 * 2 + d4, d5)>
// CHECK-DAG: #[[ID6:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-LABEL: func.func @conv_as_matmul
// CHECK: %[[P:.*]] = tensor.insert_slice %arg0 into {{.*}} : tensor<?x8x8x128xf32> into tensor<?x9x9x128xf32>
// CHECK: %[[W:.*]] = linalg.generic {indexing_maps = [#[[WIN]], #[[ID6]]], {{.*}}} ins(%[[P]] : tensor<?x9x9x128xf32>) outs(%{{.*}} : tensor<?x4x4x3x3x128xf32>)
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %[[W]] {{\[\[}}0, 1, 2], [3, 4, 5]] : tensor<?x4x4x3x3x128xf32> into tensor<?x1152xf32>
// CHECK: %[[F:.*]] = tensor.collapse_shape %arg1 {{\[\[}}0, 1, 2], [3]] : tensor<3x3x128x256xf32> into tensor<1152x256xf32>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[ROWS]], %[[F]] : tensor<?x1152xf32>, tensor<1152x256xf32>)
// CHECK: tensor.expand_shape %[[Y]] {{\[\[}}0, 1, 2], [3]] {{.*}} : tensor<?x256xf32> into tensor<?x4x4x256xf32>
// CHECK-LABEL: func.func @conv_filter_grad_as_matmul
// CHECK: %[[ROWS2:.*]] = tensor.collapse_shape {{.*}} into tensor<?x1152xf32>
// CHECK: %[[G:.*]] = tensor.collapse_shape %arg1 {{\[\[}}0, 1, 2], [3]] : tensor<?x4x4x256xf32> into tensor<?x256xf32>
// CHECK: %[[DW:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[ROWS2]], %[[G]] : tensor<?x1152xf32>, tensor<?x256xf32>)
// CHECK: tensor.expand_shape %[[DW]] {{\[\[}}0, 1, 2], [3]] {{.*}} : tensor<1152x256xf32> into tensor<3x3x128x256xf32>
func.func @conv_as_matmul(%x: tensor<?x8x8x128xf32>, %w: tensor<3x3x128x256xf32>) -> tensor<?x4x4x256xf32> {
  %0 = sinter.conv2d %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 1}
      : tensor<?x8x8x128xf32>, tensor<3x3x128x256xf32> -> tensor<?x4x4x256xf32>
  return %0 : tensor<?x4x4x256xf32>
}
func.func @conv_filter_grad_as_matmul(%x: tensor<?x8x8x128xf32>, %g: tensor<?x4x4x256xf32>) -> tensor<3x3x128x256xf32> {
  %0 = sinter.conv2d_filter_grad %x, %g {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 1}
      : tensor<?x8x8x128xf32>, tensor<?x4x4x256xf32> -> tensor<3x3x128x256xf32>
  return %0 : tensor<3x3x128x256xf32>
}

// -----

// At stride 1 the windows are not copied, whatever the channels. The
// padded copy of the input zeroes only its border: the rows above and
// below, the columns beside.
// CHECK-LABEL: func.func @unstrided_conv
// CHECK-NOT: linalg.fill {{.*}} -> tensor<?x10x10x32xf32>
// CHECK: linalg.fill {{.*}} -> tensor<?x1x10x32xf32>
// CHECK: linalg.fill {{.*}} -> tensor<?x1x10x32xf32>
// CHECK: linalg.fill {{.*}} -> tensor<?x8x1x32xf32>
// CHECK: linalg.fill {{.*}} -> tensor<?x8x1x32xf32>
// CHECK: tensor.insert_slice %arg0 into %{{.*}}[0, 1, 1, 0] [%{{.*}}, 8, 8, 32] [1, 1, 1, 1]
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x10x10x1x32xf32>, tensor<3x3x32x1x64xf32>)
// CHECK-LABEL: func.func @unstrided_filter_grad
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x10x10x1x32xf32>, tensor<?x8x8x1x64xf32>)
// CHECK-LABEL: func.func @large_filter_conv
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x10x10x1x256xf32>, tensor<3x3x256x1x256xf32>)
func.func @unstrided_conv(%x: tensor<?x8x8x32xf32>, %w: tensor<3x3x32x64xf32>) -> tensor<?x8x8x64xf32> {
  %0 = sinter.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 1}
      : tensor<?x8x8x32xf32>, tensor<3x3x32x64xf32> -> tensor<?x8x8x64xf32>
  return %0 : tensor<?x8x8x64xf32>
}
func.func @unstrided_filter_grad(%x: tensor<?x8x8x32xf32>, %g: tensor<?x8x8x64xf32>) -> tensor<3x3x32x64xf32> {
  %0 = sinter.conv2d_filter_grad %x, %g {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 1}
      : tensor<?x8x8x32xf32>, tensor<?x8x8x64xf32> -> tensor<3x3x32x64xf32>
  return %0 : tensor<3x3x32x64xf32>
}
func.func @large_filter_conv(%x: tensor<?x8x8x256xf32>, %w: tensor<3x3x256x256xf32>) -> tensor<?x8x8x256xf32> {
  %0 = sinter.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 1}
      : tensor<?x8x8x256xf32>, tensor<3x3x256x256xf32> -> tensor<?x8x8x256xf32>
  return %0 : tensor<?x8x8x256xf32>
}

// -----

// A 1x1 window at stride 1 without pads (a pointwise convolution): its
// rows are the input's positions as they are, no copy, for the
// convolution and its filter gradient alike.
// CHECK-LABEL: func.func @pointwise_conv
// CHECK-NOT: linalg.generic
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1, 2], [3]] : tensor<?x6x6x32xf32> into tensor<?x32xf32>
// CHECK-NOT: linalg.generic
// CHECK: linalg.generic {{.*}} ins(%[[ROWS]], %{{.*}} : tensor<?x32xf32>, tensor<32x8xf32>)
// CHECK-LABEL: func.func @pointwise_filter_grad
// CHECK-NOT: linalg.generic
// CHECK: %[[ROWS2:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1, 2], [3]] : tensor<?x6x6x32xf32> into tensor<?x32xf32>
// CHECK-NOT: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x6x6x1x1x32xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[ROWS2]], %{{.*}} : tensor<?x32xf32>, tensor<?x8xf32>)
func.func @pointwise_conv(%x: tensor<?x6x6x32xf32>, %w: tensor<1x1x32x8xf32>) -> tensor<?x6x6x8xf32> {
  %0 = sinter.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1}
      : tensor<?x6x6x32xf32>, tensor<1x1x32x8xf32> -> tensor<?x6x6x8xf32>
  return %0 : tensor<?x6x6x8xf32>
}
func.func @pointwise_filter_grad(%x: tensor<?x6x6x32xf32>, %g: tensor<?x6x6x8xf32>) -> tensor<1x1x32x8xf32> {
  %0 = sinter.conv2d_filter_grad %x, %g {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1}
      : tensor<?x6x6x32xf32>, tensor<?x6x6x8xf32> -> tensor<1x1x32x8xf32>
  return %0 : tensor<1x1x32x8xf32>
}

// -----

// Strided with a smaller filter: window maps at the stride, channels last
// (a tile broadcasts its rows' values from every other position), the
// filter gradient likewise; no im2col copy.
// CHECK-DAG: #[[XS:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1 * 2 + d4, d2 * 2 + d5, d3, d6)>
// CHECK-DAG: #[[XG:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1 * 2 + d3, d2 * 2 + d4, d5, d6)>
// CHECK-LABEL: func.func @conv_few_channels
// CHECK-NOT: tensor.collapse_shape {{.*}}x18xf32>
// CHECK: linalg.generic {indexing_maps = [#[[XS]], {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x9x9x1x2xf32>, tensor<3x3x2x1x4xf32>) outs(%{{.*}} : tensor<?x4x4x1x4xf32>)
// CHECK-LABEL: func.func @conv_filter_grad_few_channels
// CHECK-NOT: tensor.collapse_shape {{.*}}x18xf32>
// CHECK: linalg.generic {indexing_maps = [#[[XG]], {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x9x9x1x2xf32>, tensor<?x4x4x1x4xf32>) outs(%{{.*}} : tensor<3x3x2x1x4xf32>)
func.func @conv_few_channels(%x: tensor<?x8x8x2xf32>, %w: tensor<3x3x2x4xf32>) -> tensor<?x4x4x4xf32> {
  %0 = sinter.conv2d %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 1}
      : tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32> -> tensor<?x4x4x4xf32>
  return %0 : tensor<?x4x4x4xf32>
}
func.func @conv_filter_grad_few_channels(%x: tensor<?x8x8x2xf32>, %g: tensor<?x4x4x4xf32>) -> tensor<3x3x2x4xf32> {
  %0 = sinter.conv2d_filter_grad %x, %g {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 1}
      : tensor<?x8x8x2xf32>, tensor<?x4x4x4xf32> -> tensor<3x3x2x4xf32>
  return %0 : tensor<3x3x2x4xf32>
}

// -----

// At stride 1 with fewer output channels than output columns the
// convolution runs channels first, the rows along the vectors: the input
// transposed to [N, G, C/G, H, W] with its pads and rows padded to whole
// vectors of 8 (12 -> 16, + 3 - 1 = 18 columns), the sum into [N, G, O/G,
// OH, 16], its first 12 columns transposed back. Only the pads are zeroed
// (the rows above and below, the columns left and right); the transpose
// writes into the window between them (one copy), and reads a single
// channel as rows of [N, H, W].
// CHECK-DAG: #[[TOCF:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4)>
// CHECK-DAG: #[[WINDOW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d7, d3 + d5, d4 + d6)>
// CHECK-DAG: #[[FILTER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d5, d6, d7, d1, d2)>
// CHECK-DAG: #[[BACK:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4, d1, d2)>
// CHECK-LABEL: func.func @conv_rows
// CHECK: %[[X:.*]] = tensor.collapse_shape %arg0 {{\[}}[0], [1], [2, 3]] : tensor<?x12x12x1xf32> into tensor<?x12x12xf32>
// CHECK: tensor.empty(%{{.*}}) : tensor<?x1x1x14x18xf32>
// CHECK: linalg.fill {{.*}} -> tensor<?x1x1x1x18xf32>
// CHECK: tensor.insert_slice {{.*}}[0, 0, 0, 0, 0] [%{{.*}}, 1, 1, 1, 18]
// CHECK: linalg.fill {{.*}} -> tensor<?x1x1x1x18xf32>
// CHECK: tensor.insert_slice {{.*}}[0, 0, 0, 13, 0] [%{{.*}}, 1, 1, 1, 18]
// CHECK: linalg.fill {{.*}} -> tensor<?x1x1x12x1xf32>
// CHECK: tensor.insert_slice {{.*}}[0, 0, 0, 1, 0] [%{{.*}}, 1, 1, 12, 1]
// CHECK: linalg.fill {{.*}} -> tensor<?x1x1x12x5xf32>
// CHECK: %[[ZEROS:.*]] = tensor.insert_slice {{.*}}[0, 0, 0, 1, 13] [%{{.*}}, 1, 1, 12, 5]
// CHECK-NOT: linalg.fill
// CHECK: %[[WIN:.*]] = tensor.extract_slice %[[ZEROS]][0, 0, 0, 1, 1] [%{{.*}}, 1, 1, 12, 12] [1, 1, 1, 1, 1]
// CHECK: %[[XT:.*]] = linalg.generic {indexing_maps = [#[[TOCF]], {{.*}}]} ins(%[[X]] : tensor<?x12x12xf32>) outs(%[[WIN]] : tensor<?x1x1x12x12xf32>)
// CHECK: %[[PAD:.*]] = tensor.insert_slice %[[XT]] into %[[ZEROS]][0, 0, 0, 1, 1] [%{{.*}}, 1, 1, 12, 12] [1, 1, 1, 1, 1] : tensor<?x1x1x12x12xf32> into tensor<?x1x1x14x18xf32>
// CHECK: %[[YT:.*]] = linalg.generic {indexing_maps = [#[[WINDOW]], #[[FILTER]], {{.*}}]{{.*}} ins(%[[PAD]], %{{.*}} : tensor<?x1x1x14x18xf32>, tensor<3x3x1x1x4xf32>) outs(%{{.*}} : tensor<?x1x4x12x16xf32>)
// CHECK: %[[CUT:.*]] = tensor.extract_slice %[[YT]][0, 0, 0, 0, 0] [%{{.*}}, 1, 4, 12, 12]
// CHECK: linalg.generic {indexing_maps = [#[[BACK]], {{.*}}]} ins(%[[CUT]] : tensor<?x1x4x12x12xf32>) outs(%{{.*}} : tensor<?x12x12x1x4xf32>)
// CHECK: tensor.collapse_shape {{.*}} into tensor<?x12x12x4xf32>
func.func @conv_rows(%x: tensor<?x12x12x1xf32>, %w: tensor<3x3x1x4xf32>) -> tensor<?x12x12x4xf32> {
  %0 = sinter.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 1}
      : tensor<?x12x12x1xf32>, tensor<3x3x1x4xf32> -> tensor<?x12x12x4xf32>
  return %0 : tensor<?x12x12x4xf32>
}

// -----

// Its filter gradient likewise, with the positions along the vectors
// (sinter-tile-contractions would fill 4 lanes of 16 with the channels):
// the padded input and the cotangent channels first, the cotangent's rows
// padded to whole vectors of 16 lanes (20 -> 32, read as 2 x 16), lane l
// of partial[b, g, c, o, a, l] summing the positions 16 * jb + l of the
// batch and rows, the input read at column 16 * jb + l + b * dilation
// (32 + 5 - 1 = 36 columns), only their pads zeroed; then the 16 lanes
// summed into [a, b, c, g, o].
// CHECK-DAG: #[[GLANES:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d6, d1, d3, d7, d8, d5)>
// CHECK-DAG: #[[XLANES:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d6, d1, d2, d7 + d4, d8 * 16 + d5 + d0 * 2)>
// CHECK-DAG: #[[PARTIAL:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-DAG: #[[LANESUM:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d3, d2, d4, d0, d5)>
// CHECK-LABEL: func.func @conv_filter_grad_rows
// CHECK: linalg.fill {{.*}} -> tensor<?x2x1x1x36xf32>
// CHECK: linalg.fill {{.*}} -> tensor<?x2x1x1x36xf32>
// CHECK: linalg.fill {{.*}} -> tensor<?x2x1x12x2xf32>
// CHECK: linalg.fill {{.*}} -> tensor<?x2x1x12x14xf32>
// CHECK: %[[XZ:.*]] = tensor.insert_slice {{.*}}[0, 0, 0, 1, 22] [%{{.*}}, 2, 1, 12, 14]
// CHECK: %[[XW:.*]] = tensor.extract_slice %[[XZ]][0, 0, 0, 1, 2] [%{{.*}}, 2, 1, 12, 20]
// CHECK: %[[XT:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<?x12x20x2xf32>) outs(%[[XW]] : tensor<?x2x1x12x20xf32>)
// CHECK: %[[X:.*]] = tensor.insert_slice %[[XT]] into %[[XZ]]
// CHECK: linalg.fill {{.*}} -> tensor<?x2x2x12x12xf32>
// CHECK: %[[GZ:.*]] = tensor.insert_slice {{.*}}[0, 0, 0, 0, 20] [%{{.*}}, 2, 2, 12, 12]
// CHECK: %[[GW:.*]] = tensor.extract_slice %[[GZ]][0, 0, 0, 0, 0] [%{{.*}}, 2, 2, 12, 20]
// CHECK: %[[GT:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<?x12x20x4xf32>) outs(%[[GW]] : tensor<?x2x2x12x20xf32>)
// CHECK: %[[GP:.*]] = tensor.insert_slice %[[GT]] into %[[GZ]]
// CHECK: %[[G:.*]] = tensor.expand_shape %[[GP]] {{\[\[}}0], [1], [2], [3], [4, 5]] {{.*}} into tensor<?x2x2x12x2x16xf32>
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[GLANES]], #[[XLANES]], #[[PARTIAL]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[G]], %[[X]] : tensor<?x2x2x12x2x16xf32>, tensor<?x2x1x14x36xf32>) outs(%{{.*}} : tensor<3x2x1x2x3x16xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[DW:.*]] = linalg.generic {indexing_maps = [#[[LANESUM]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[P]] : tensor<3x2x1x2x3x16xf32>) outs(%{{.*}} : tensor<3x3x1x2x2xf32>)
// CHECK: tensor.collapse_shape %[[DW]] {{\[\[}}0], [1], [2], [3, 4]] : tensor<3x3x1x2x2xf32> into tensor<3x3x1x4xf32>
func.func @conv_filter_grad_rows(%x: tensor<?x12x20x2xf32>, %g: tensor<?x12x20x4xf32>) -> tensor<3x3x1x4xf32> {
  %0 = sinter.conv2d_filter_grad %x, %g {strides = array<i64: 1, 1>, dilations = array<i64: 1, 2>, padding = array<i64: 1, 1, 2, 2>, groups = 2}
      : tensor<?x12x20x2xf32>, tensor<?x12x20x4xf32> -> tensor<3x3x1x4xf32>
  return %0 : tensor<3x3x1x4xf32>
}

// -----

// 6 output channels fill at most half of a 16-lane vector: along the
// positions. With vectors of 8 lanes (AVX2) they fill 6 of 8 channels
// last, and the filter gradient keeps the window maps (no transposes).
// CHECK-LABEL: func.func @conv_filter_grad_six_channels
// CHECK: tensor.expand_shape {{.*}} into tensor<?x1x6x12x2x16xf32>
// LANES8-LABEL: func.func @conv_filter_grad_six_channels
// LANES8-NOT: tensor.expand_shape {{.*}} into tensor<?x1x6x12x2x16xf32>
// LANES8: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x14x22x1x1xf32>, tensor<?x12x20x1x6xf32>) outs(%{{.*}} : tensor<3x3x1x1x6xf32>)
// LANES8-NOT: linalg.generic
// LANES8: return
func.func @conv_filter_grad_six_channels(%x: tensor<?x12x20x1xf32>, %g: tensor<?x12x20x6xf32>) -> tensor<3x3x1x6xf32> {
  %0 = sinter.conv2d_filter_grad %x, %g {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 1}
      : tensor<?x12x20x1xf32>, tensor<?x12x20x6xf32> -> tensor<3x3x1x6xf32>
  return %0 : tensor<3x3x1x6xf32>
}

// -----

// The input gradient is a gather: the cotangent, spread at stride steps
// after extent - 1 - pad zeros, read through the flipped filter. With at
// least as many channels as the input has columns it stays channels last
// (the channels along the vectors), and at stride 2 runs as one window sum
// per phase of the input's rows and columns over the cotangent itself,
// copied once after a row and a column of zeros: even rows take taps 0 and
// 2 of the flipped filter from its first row, odd rows tap 1 from its
// second (the cotangent as it is), columns likewise; the phases are
// written at stride steps into a result none leaves unwritten.
// CHECK-DAG: #[[FLIP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (-d0 + 2, -d1 + 2, d4, d2, d3)>
// CHECK-DAG: #[[G:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1 + d4, d2 + d5, d3, d6)>
// CHECK-LABEL: func.func @conv_input_grad
// CHECK: %[[F:.*]] = linalg.generic {indexing_maps = [#[[FLIP]], {{.*}}]} ins(%{{.*}} : tensor<3x3x8x1x4xf32>) outs(%{{.*}} : tensor<3x3x1x4x8xf32>)
// CHECK: %[[DX:.*]] = tensor.empty(%{{.*}}) : tensor<?x4x4x8xf32>
// CHECK: %[[PAD:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 1, 1, 0] [%{{.*}}, 2, 2, 4] [1, 1, 1, 1] : tensor<?x2x2x4xf32> into tensor<?x3x3x4xf32>
// CHECK-NOT: tensor.insert_slice {{.*}} into tensor<?x3x
// CHECK: tensor.extract_slice %[[PAD]][0, 0, 0, 0] [%{{.*}}, 3, 3, 4] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[F]][0, 0, 0, 0, 0] [2, 2, 1, 4, 8] [2, 2, 1, 1, 1]
// CHECK: linalg.generic {indexing_maps = [#[[G]], {{.*}}]} ins(%{{.*}}, %{{.*}} : tensor<?x3x3x1x4xf32>, tensor<2x2x1x4x8xf32>)
// CHECK: %[[P00:.*]] = tensor.insert_slice %{{.*}} into %[[DX]][0, 0, 0, 0] [%{{.*}}, 2, 2, 8] [1, 2, 2, 1]
// CHECK: tensor.extract_slice %[[PAD]][0, 0, 1, 0] [%{{.*}}, 3, 2, 4] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[F]][0, 1, 0, 0, 0] [2, 1, 1, 4, 8] [2, 2, 1, 1, 1]
// CHECK: %[[P01:.*]] = tensor.insert_slice %{{.*}} into %[[P00]][0, 0, 1, 0] [%{{.*}}, 2, 2, 8] [1, 2, 2, 1]
// CHECK: tensor.extract_slice %[[PAD]][0, 1, 0, 0] [%{{.*}}, 2, 3, 4] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[F]][1, 0, 0, 0, 0] [1, 2, 1, 4, 8] [2, 2, 1, 1, 1]
// CHECK: %[[P10:.*]] = tensor.insert_slice %{{.*}} into %[[P01]][0, 1, 0, 0] [%{{.*}}, 2, 2, 8] [1, 2, 2, 1]
// CHECK: tensor.extract_slice %[[PAD]][0, 1, 1, 0] [%{{.*}}, 2, 2, 4] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[F]][1, 1, 0, 0, 0] [1, 1, 1, 4, 8] [2, 2, 1, 1, 1]
// CHECK: linalg.generic {indexing_maps = [#[[G]], {{.*}}]} ins(%{{.*}}, %{{.*}} : tensor<?x2x2x1x4xf32>, tensor<1x1x1x4x8xf32>)
// CHECK: tensor.insert_slice %{{.*}} into %[[P10]][0, 1, 1, 0] [%{{.*}}, 2, 2, 8] [1, 2, 2, 1]
func.func @conv_input_grad(%g: tensor<?x2x2x4xf32>, %w: tensor<3x3x8x4xf32>) -> tensor<?x4x4x8xf32> {
  %1 = sinter.conv2d_input_grad %g, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 1}
      : tensor<?x2x2x4xf32>, tensor<3x3x8x4xf32> -> tensor<?x4x4x8xf32>
  return %1 : tensor<?x4x4x8xf32>
}

// -----

// At stride 1, where the gather over the padded cotangent would sum
// mostly zeros (3x3 valid from 4x4: the 2x2 cotangent padded to 6x6, 4
// terms per useful one), one product per tap instead, over the cotangent
// positions whose input lies inside it: tap (a, b) (flipped[2 - a, 2 - b])
// adds g · filter into dx's 2x2 window at (a, b). Each window starts from
// the sum so far, its taps in increasing order.
// CHECK-DAG: #[[TFLIP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (-d0 + 2, -d1 + 2, d4, d2, d3)>
// CHECK-DAG: #[[TG:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>
// CHECK-DAG: #[[TF:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d5, d4)>
// CHECK-LABEL: func.func @conv_input_grad_taps
// CHECK: %[[F:.*]] = linalg.generic {indexing_maps = [#[[TFLIP]], {{.*}}]} ins(%{{.*}} : tensor<3x3x8x1x4xf32>) outs(%{{.*}} : tensor<3x3x1x4x8xf32>)
// CHECK: %[[DX0:.*]] = linalg.fill {{.*}} -> tensor<?x4x4x1x8xf32>
// CHECK: %[[F22:.*]] = tensor.extract_slice %[[F]][2, 2, 0, 0, 0] [1, 1, 1, 4, 8] [1, 1, 1, 1, 1] : tensor<3x3x1x4x8xf32> to tensor<1x4x8xf32>
// CHECK: %[[W00:.*]] = tensor.extract_slice %[[DX0]][0, 0, 0, 0, 0] [%{{.*}}, 2, 2, 1, 8]
// CHECK: %[[S00:.*]] = linalg.generic {indexing_maps = [#[[TG]], #[[TF]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[F22]] : tensor<?x2x2x1x4xf32>, tensor<1x4x8xf32>) outs(%[[W00]] : tensor<?x2x2x1x8xf32>)
// CHECK: %[[DX1:.*]] = tensor.insert_slice %[[S00]] into %[[DX0]][0, 0, 0, 0, 0] [%{{.*}}, 2, 2, 1, 8]
// CHECK: tensor.extract_slice %[[F]][2, 1, 0, 0, 0]
// CHECK: tensor.extract_slice %[[DX1]][0, 0, 1, 0, 0] [%{{.*}}, 2, 2, 1, 8]
// CHECK-COUNT-6: linalg.generic {indexing_maps = [#[[TG]], #[[TF]]
// CHECK: tensor.extract_slice %[[F]][0, 0, 0, 0, 0] [1, 1, 1, 4, 8]
// CHECK: %[[W22:.*]] = tensor.extract_slice %{{.*}}[0, 2, 2, 0, 0] [%{{.*}}, 2, 2, 1, 8]
// CHECK: linalg.generic {indexing_maps = [#[[TG]], #[[TF]], {{.*}}]{{.*}} outs(%[[W22]] : tensor<?x2x2x1x8xf32>)
// CHECK: %[[DX:.*]] = tensor.insert_slice %{{.*}}[0, 2, 2, 0, 0] [%{{.*}}, 2, 2, 1, 8]
// CHECK-NOT: linalg.generic
// CHECK: tensor.collapse_shape %[[DX]] {{.*}} into tensor<?x4x4x8xf32>
func.func @conv_input_grad_taps(%g: tensor<?x2x2x4xf32>, %w: tensor<3x3x8x4xf32>) -> tensor<?x4x4x8xf32> {
  %1 = sinter.conv2d_input_grad %g, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1}
      : tensor<?x2x2x4xf32>, tensor<3x3x8x4xf32> -> tensor<?x4x4x8xf32>
  return %1 : tensor<?x4x4x8xf32>
}

// -----

// With fewer channels per group than columns, the same gather runs with
// the rows along the vectors: the cotangent transposed to [N, G, O/G, OH,
// OW] and spread over the rows it covers (0 to 6 at stride 2; columns
// padded to whole vectors of 8: 8 + 3 - 1 = 10), the sum into [N, G, C/G,
// H, W] in bands of rows by the taps that land on the spread rows (the
// others would add zeros): row 0 tap 2, row 1 taps 1-2, rows 2-6 all three,
// row 7 taps 0-1; then transposed back to channels last.
// CHECK-DAG: #[[GT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4, d1 * 2 + d2)>
// CHECK-DAG: #[[ROWS:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d7, d3 + d5, d4 + d6)>
// CHECK-DAG: #[[BACK:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
// CHECK-LABEL: func.func @conv_input_grad_rows
// CHECK: %[[ZEROS:.*]] = linalg.fill {{.*}} -> tensor<?x2x2x7x10xf32>
// CHECK: %[[WIN:.*]] = tensor.extract_slice %[[ZEROS]][0, 0, 0, 0, 2] [%{{.*}}, 2, 2, 4, 4] [1, 1, 1, 2, 2]
// CHECK: %[[T:.*]] = linalg.generic {indexing_maps = [#[[GT]], {{.*}}]} ins(%arg0 : tensor<?x4x4x4xf32>) outs(%[[WIN]] : tensor<?x2x2x4x4xf32>)
// CHECK: %[[SPREAD:.*]] = tensor.insert_slice %[[T]] into %[[ZEROS]][0, 0, 0, 0, 2] [%{{.*}}, 2, 2, 4, 4] [1, 1, 1, 2, 2] : tensor<?x2x2x4x4xf32> into tensor<?x2x2x7x10xf32>
// CHECK: tensor.extract_slice %[[SPREAD]][0, 0, 0, 0, 0] [%{{.*}}, 2, 2, 1, 10]
// CHECK: tensor.extract_slice %{{.*}}[2, 0, 0, 0, 0] [1, 3, 2, 2, 1]
// CHECK: linalg.generic {indexing_maps = [#[[ROWS]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}{{.*}} outs(%{{.*}} : tensor<?x2x1x1x8xf32>)
// CHECK: tensor.insert_slice {{.*}}[0, 0, 0, 0, 0] [%{{.*}}, 2, 1, 1, 8]
// CHECK: tensor.extract_slice %[[SPREAD]][0, 0, 0, 0, 0] [%{{.*}}, 2, 2, 2, 10]
// CHECK: tensor.extract_slice %{{.*}}[1, 0, 0, 0, 0] [2, 3, 2, 2, 1]
// CHECK: tensor.insert_slice {{.*}}[0, 0, 0, 1, 0] [%{{.*}}, 2, 1, 1, 8]
// CHECK: tensor.extract_slice %[[SPREAD]][0, 0, 0, 0, 0] [%{{.*}}, 2, 2, 7, 10]
// CHECK: tensor.insert_slice {{.*}}[0, 0, 0, 2, 0] [%{{.*}}, 2, 1, 5, 8]
// CHECK: tensor.extract_slice %[[SPREAD]][0, 0, 0, 5, 0] [%{{.*}}, 2, 2, 2, 10]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0, 0] [2, 3, 2, 2, 1]
// CHECK: %[[DXT:.*]] = tensor.insert_slice {{.*}}[0, 0, 0, 7, 0] [%{{.*}}, 2, 1, 1, 8] [1, 1, 1, 1, 1] : tensor<?x2x1x1x8xf32> into tensor<?x2x1x8x8xf32>
// CHECK-NOT: linalg.generic {indexing_maps = [#[[ROWS]]
// CHECK: %[[G:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4]] : tensor<?x2x1x8x8xf32> into tensor<?x2x8x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[BACK]], {{.*}}]} ins(%[[G]] : tensor<?x2x8x8xf32>) outs(%{{.*}} : tensor<?x8x8x2xf32>)
func.func @conv_input_grad_rows(%g: tensor<?x4x4x4xf32>, %w: tensor<3x3x1x4xf32>) -> tensor<?x8x8x2xf32> {
  %1 = sinter.conv2d_input_grad %g, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 2}
      : tensor<?x4x4x4xf32>, tensor<3x3x1x4xf32> -> tensor<?x8x8x2xf32>
  return %1 : tensor<?x8x8x2xf32>
}

// -----

// Max pooling's gradient: an argmax pass (strictly greater: the first
// maximum wins) records each window's tap; the gather sends the cotangent
// to the input element whose flipped tap number matches. Windows of more
// than 16 taps (5x5 here, overlapping at stride 2) keep the window form:
// an unread [5, 5] operand sizes the window loops.
// CHECK-LABEL: func.func @max_pool_grad
// CHECK: %[[WIN:.*]] = tensor.empty() : tensor<5x5xf32>
// CHECK: %[[ARG:.*]]:2 = linalg.generic {{.*}} ins(%{{.*}}, %[[WIN]] : tensor<?x11x11x2xf32>, tensor<5x5xf32>)
// CHECK: arith.cmpf ogt
// CHECK: tensor.insert_slice %arg1 into {{.*}}[0, 3, 3, 0] [%{{.*}}, 4, 4, 2] [1, 2, 2, 1]
// CHECK: tensor.insert_slice %[[ARG]]#1 into
// CHECK: linalg.generic
// CHECK: arith.cmpf oeq
func.func @max_pool_grad(%x: tensor<?x8x8x2xf32>, %p: tensor<?x4x4x2xf32>) -> tensor<?x8x8x2xf32> {
  %4 = sinter.max_pool2d_grad %x, %p {window = array<i64: 5, 5>, strides = array<i64: 2, 2>, padding = array<i64: 1, 2, 1, 2>} : tensor<?x8x8x2xf32>, tensor<?x4x4x2xf32>
  return %4 : tensor<?x8x8x2xf32>
}

// Up to 16 taps (3x3 at stride 2): the argmax over the nine taps, each a
// strided view of the padded input of the result's shape, in one
// elementwise body; the cotangent and the winners spread as above, and
// each input element sums over unit-stride views of both, tap by tap,
// the cotangent whose winner is the tap's flipped number (8 - t).
// CHECK-LABEL: func.func @max_pool_grad_overlapping
// CHECK-COUNT-9: tensor.extract_slice %{{.*}} [%{{.*}}, 4, 4, 2] [1, 2, 2, 1] : tensor<?x9x9x2xf32> to tensor<?x4x4x2xf32>
// CHECK: %[[WON:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-COUNT-9: arith.cmpf ogt
// CHECK: tensor.insert_slice %arg1 into {{.*}}[0, 2, 2, 0] [%{{.*}}, 4, 4, 2] [1, 2, 2, 1]
// CHECK: tensor.insert_slice %[[WON]] into
// CHECK-COUNT-18: tensor.extract_slice %{{.*}} [%{{.*}}, 8, 8, 2] [1, 1, 1, 1] : tensor<?x10x10x2xf32> to tensor<?x8x8x2xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-COUNT-9: arith.cmpf oeq
// CHECK: return
func.func @max_pool_grad_overlapping(%x: tensor<?x8x8x2xf32>, %p: tensor<?x4x4x2xf32>) -> tensor<?x8x8x2xf32> {
  %4 = sinter.max_pool2d_grad %x, %p {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 0, 1, 0, 1>} : tensor<?x8x8x2xf32>, tensor<?x4x4x2xf32>
  return %4 : tensor<?x8x8x2xf32>
}

// -----

// Windows that tile the input (stride = window, no pads) read it as
// [N, OH, ph, OW, pw, C] without a copy, one view per tap: the pool is
// elementwise over the taps (a NaN wins, else the strictly greater), its
// gradient elementwise over the input (the cotangent where the window's
// first maximum was), with no spread copies and no gather.
// CHECK-DAG: #[[T00:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, d2, 0, d3)>
// CHECK-DAG: #[[T01:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, d2, 1, d3)>
// CHECK-DAG: #[[T10:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 1, d2, 0, d3)>
// CHECK-DAG: #[[T11:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 1, d2, 1, d3)>
// CHECK-DAG: #[[WINDOW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d3, d5)>
// CHECK-LABEL: func.func @max_pool_tiling
// CHECK: %[[B:.*]] = tensor.expand_shape %arg0 {{\[\[}}0], [1, 2], [3, 4], [5]] {{.*}} into tensor<?x4x2x4x2x2xf32>
// CHECK: linalg.generic {indexing_maps = [#[[T00]], #[[T01]], #[[T10]], #[[T11]], {{.*}}]{{.*}} ins(%[[B]], %[[B]], %[[B]], %[[B]] :
// CHECK-COUNT-4: arith.cmpf uno
// CHECK-NOT: tensor.insert_slice
// CHECK: return
func.func @max_pool_tiling(%x: tensor<?x8x8x2xf32>) -> tensor<?x4x4x2xf32> {
  %0 = sinter.max_pool2d %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x8x2xf32> -> tensor<?x4x4x2xf32>
  return %0 : tensor<?x4x4x2xf32>
}
// CHECK-LABEL: func.func @max_pool_grad_tiling
// CHECK: %[[B:.*]] = tensor.expand_shape %arg0
// CHECK: %[[TAP:.*]] = linalg.generic {{.*}} ins(%[[B]], %[[B]], %[[B]], %[[B]] :
// CHECK-COUNT-4: arith.cmpf ogt
// CHECK: %[[DX:.*]] = linalg.generic {indexing_maps = [#[[WINDOW]], #[[WINDOW]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%arg1, %[[TAP]] :
// CHECK: linalg.index 2
// CHECK: linalg.index 4
// CHECK: arith.cmpf oeq
// CHECK: tensor.collapse_shape %[[DX]] {{\[\[}}0], [1, 2], [3, 4], [5]] : tensor<?x4x2x4x2x2xf32> into tensor<?x8x8x2xf32>
// CHECK-NOT: tensor.insert_slice
// CHECK: return
func.func @max_pool_grad_tiling(%x: tensor<?x8x8x2xf32>, %p: tensor<?x4x4x2xf32>) -> tensor<?x8x8x2xf32> {
  %0 = sinter.max_pool2d_grad %x, %p {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x8x2xf32>, tensor<?x4x4x2xf32>
  return %0 : tensor<?x8x8x2xf32>
}
// CHECK-LABEL: func.func @avg_pool_grad_tiling
// CHECK: arith.divf
// CHECK: linalg.generic {indexing_maps = [#[[WINDOW]], {{.*}}]
// CHECK: tensor.collapse_shape
// CHECK-NOT: tensor.insert_slice
// CHECK: return
func.func @avg_pool_grad_tiling(%p: tensor<?x4x4x2xf32>) -> tensor<?x8x8x2xf32> {
  %0 = sinter.avg_pool2d_grad %p {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x4x4x2xf32> -> tensor<?x8x8x2xf32>
  return %0 : tensor<?x8x8x2xf32>
}

// -----

// Tiling windows of more than 16 taps (a global pool over 6 x 6) fold
// their taps in loops over the blocks, (n, i, j, a, b, c) in the same
// row-major order, not in a body reading 36 views; the max pool's argmax
// likewise (two results, the tap number from the loops' indices).
// CHECK-DAG: #[[BLOCKS:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d3, d2, d4, d5)>
// CHECK-DAG: #[[POOLED:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>
// CHECK-LABEL: func.func @global_avg_pool_loops
// CHECK: %[[B:.*]] = tensor.expand_shape %arg0 {{.*}} into tensor<?x1x6x1x6x3xf32>
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} -> tensor<?x1x1x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[BLOCKS]], #[[POOLED]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]} ins(%[[B]] : tensor<?x1x6x1x6x3xf32>) outs(%[[Z]] : tensor<?x1x1x3xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: arith.addf %[[ACC]], %[[IN]]
// CHECK: arith.divf
func.func @global_avg_pool_loops(%x: tensor<?x6x6x3xf32>) -> tensor<?x1x1x3xf32> {
  %0 = sinter.avg_pool2d %x {window = array<i64: 6, 6>, strides = array<i64: 6, 6>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x6x6x3xf32> -> tensor<?x1x1x3xf32>
  return %0 : tensor<?x1x1x3xf32>
}
// CHECK-LABEL: func.func @global_max_pool_grad_loops
// CHECK: %[[B:.*]] = tensor.expand_shape %arg0 {{.*}} into tensor<?x1x6x1x6x3xf32>
// CHECK: %[[ARG:.*]]:2 = linalg.generic {indexing_maps = [#[[BLOCKS]], #[[POOLED]], #[[POOLED]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]} ins(%[[B]] : tensor<?x1x6x1x6x3xf32>)
// CHECK: arith.cmpf ogt
// CHECK: linalg.generic {{.*}} ins(%arg1, %[[ARG]]#1 :
// CHECK: arith.cmpf oeq
func.func @global_max_pool_grad_loops(%x: tensor<?x6x6x3xf32>, %p: tensor<?x1x1x3xf32>) -> tensor<?x6x6x3xf32> {
  %0 = sinter.max_pool2d_grad %x, %p {window = array<i64: 6, 6>, strides = array<i64: 6, 6>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x6x6x3xf32>, tensor<?x1x1x3xf32>
  return %0 : tensor<?x6x6x3xf32>
}

// -----

// Overlapping windows of up to 16 taps (3x3 at stride 2 with pads) read
// each tap as a strided view of the padded input, of the result's shape:
// one elementwise generic whose body folds the taps in row-major order in
// registers (the window form kept each sum in memory). The average pool's
// gradient gathers over the spread cotangent the same way, at stride 1.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @avg_pool_overlapping
// CHECK: %[[X:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 0, 0] [%{{.*}}, 8, 8, 2] [1, 1, 1, 1] : tensor<?x8x8x2xf32> into tensor<?x9x9x2xf32>
// CHECK: %[[T00:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [%{{.*}}, 4, 4, 2] [1, 2, 2, 1]
// CHECK: %[[T01:.*]] = tensor.extract_slice %[[X]][0, 0, 1, 0] [%{{.*}}, 4, 4, 2] [1, 2, 2, 1]
// CHECK-COUNT-6: tensor.extract_slice %[[X]]
// CHECK: %[[T22:.*]] = tensor.extract_slice %[[X]][0, 2, 2, 0] [%{{.*}}, 4, 4, 2] [1, 2, 2, 1]
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[T00]], %[[T01]], {{.*}}, %[[T22]] : {{.*}}) outs(%{{.*}} : tensor<?x4x4x2xf32>)
// CHECK-COUNT-9: arith.addf
// CHECK: arith.divf
func.func @avg_pool_overlapping(%x: tensor<?x8x8x2xf32>) -> tensor<?x4x4x2xf32> {
  %0 = sinter.avg_pool2d %x {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 0, 1, 0, 1>} : tensor<?x8x8x2xf32> -> tensor<?x4x4x2xf32>
  return %0 : tensor<?x4x4x2xf32>
}
// CHECK-LABEL: func.func @avg_pool_grad_overlapping
// CHECK: arith.divf
// CHECK-COUNT-9: tensor.extract_slice %{{.*}}[0, {{[0-2]}}, {{[0-2]}}, 0] [%{{.*}}, 8, 8, 2] [1, 1, 1, 1]
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-COUNT-9: arith.addf
// CHECK: return
func.func @avg_pool_grad_overlapping(%p: tensor<?x4x4x2xf32>) -> tensor<?x8x8x2xf32> {
  %0 = sinter.avg_pool2d_grad %p {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 0, 1, 0, 1>} : tensor<?x4x4x2xf32> -> tensor<?x8x8x2xf32>
  return %0 : tensor<?x8x8x2xf32>
}

// -----

// A depthwise convolution (one channel per group) runs channels first and
// comes back to channels last as [N, G, H, W] -> [N, H, W, G]: no unit
// dimension innermost, whose rows of one float were copied a float at a
// time.
// CHECK-DAG: #[[DWBACK:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
// CHECK-LABEL: func.func @depthwise_back_to_channels_last
// CHECK: %[[G:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4]] : tensor<?x4x1x8x8xf32> into tensor<?x4x8x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[DWBACK]], {{.*}}]{{.*}} ins(%[[G]] : tensor<?x4x8x8xf32>) outs(%{{.*}} : tensor<?x8x8x4xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @depthwise_back_to_channels_last(%x: tensor<?x8x8x4xf32>, %w: tensor<3x3x1x4xf32>) -> tensor<?x8x8x4xf32> {
  %0 = sinter.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 4}
      : tensor<?x8x8x4xf32>, tensor<3x3x1x4xf32> -> tensor<?x8x8x4xf32>
  return %0 : tensor<?x8x8x4xf32>
}

// -----

// A pointwise convolution of 32 channels or more runs as a product, and
// so does its input gradient: the cotangent's positions as rows times the
// filter transposed ([N*H*W, 40] x [40, 32]).
// CHECK-LABEL: func.func @pointwise_input_grad_product
// CHECK: %[[FT:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3], [4]] : tensor<1x1x1x40x32xf32> into tensor<40x32xf32>
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1, 2], [3]] : tensor<?x4x4x40xf32> into tensor<?x40xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[ROWS]], %[[FT]] : tensor<?x40xf32>, tensor<40x32xf32>)
// CHECK: tensor.expand_shape {{.*}} into tensor<?x4x4x32xf32>
func.func @pointwise_input_grad_product(%g: tensor<?x4x4x40xf32>, %w: tensor<1x1x32x40xf32>) -> tensor<?x4x4x32xf32> {
  %0 = sinter.conv2d_input_grad %g, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1}
      : tensor<?x4x4x40xf32>, tensor<1x1x32x40xf32> -> tensor<?x4x4x32xf32>
  return %0 : tensor<?x4x4x32xf32>
}

// -----

// Dropout's mask: a hash of the row-major element number (batch included)
// and a per-step key; kept elements are divided by 1 - rate.
// CHECK-LABEL: func.func @dropout_mask
// CHECK: arith.fptoui %arg1 : f32 to i32
// CHECK: linalg.generic
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: arith.index_cast %{{.*}} : index to i32
// CHECK: arith.shrui
// CHECK: arith.uitofp
// CHECK: arith.cmpf oge
// CHECK: arith.divf
// CHECK: arith.select
func.func @dropout_mask(%x: tensor<?x4xf32>, %step: f32) -> tensor<?x4xf32> {
  %0 = sinter.dropout_mask %x, %step {rate = 0.5 : f32, seed = 7} : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Batch statistics: channel_mean sums over the leading dimensions (each
// batch row's sum first, a loop the threads can share, then those),
// then divides by their element count, known at run time (batch x 3);
// channel_mean_grad spreads the cotangent back over them; rsqrt is 1/sqrt.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[C2:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @channel_stats
// CHECK: %[[ROWS:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg0 : tensor<?x3x4xf32>) outs(%{{.*}} : tensor<?x4xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[C2]]], iterator_types = ["reduction", "parallel"]} ins(%[[ROWS]] : tensor<?x4xf32>)
// CHECK: tensor.dim %arg0, %c0
// CHECK: tensor.dim %arg0, %c1
// CHECK: %[[N:.*]] = arith.mulf {{.*}} : f32
// CHECK-NEXT: tensor.empty() : tensor<4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[SUM]] : tensor<4xf32>)
// CHECK: arith.divf %{{.*}}, %[[N]]
// CHECK: linalg.generic {indexing_maps = [#[[C]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg1 : tensor<4xf32>) outs(%{{.*}} : tensor<?x3x4xf32>)
// CHECK: arith.divf
// CHECK: math.sqrt
// CHECK: arith.divf %cst
// CHECK-NOT: sinter.
func.func @channel_stats(%x: tensor<?x3x4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32>, tensor<?x3x4xf32>, tensor<4xf32>) {
  %m = sinter.channel_mean %x : tensor<?x3x4xf32> -> tensor<4xf32>
  %d = sinter.channel_mean_grad %x, %g : tensor<?x3x4xf32>, tensor<4xf32>
  %r = sinter.rsqrt %g : tensor<4xf32>
  return %m, %d, %r : tensor<4xf32>, tensor<?x3x4xf32>, tensor<4xf32>
}

// -----

// Attention scores: the inner loop runs along s, the result's last letter;
// the keys hold s second, so they are first copied to [b, h, k, s] and the
// contraction reads them contiguously.
// CHECK-DAG: #[[KEYS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
// CHECK-DAG: #[[KEYST:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
// CHECK-LABEL: func.func @attention_scores
// CHECK: %[[T:.*]] = linalg.generic {indexing_maps = [#[[KEYS]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg1 : tensor<?x6x2x4xf32>) outs(%{{.*}} : tensor<?x2x4x6xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[KEYST]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%arg0, %[[T]] : tensor<?x8x2x4xf32>, tensor<?x2x4x6xf32>)
func.func @attention_scores(%q: tensor<?x8x2x4xf32>, %k: tensor<?x6x2x4xf32>) -> tensor<?x2x8x6xf32> {
  %0 = sinter.contract %q, %k {spec = "bthk,bshk->bhts"} : tensor<?x8x2x4xf32>, tensor<?x6x2x4xf32> -> tensor<?x2x8x6xf32>
  return %0 : tensor<?x2x8x6xf32>
}

// -----

// Causal attention: the scores feed the mask, so only their lower
// triangle is read (skip s > t: loops 2, 4 of b, h, t, k, s); the
// softmax's max and sum skip the masked keys (loops 2, 3); the weights are
// zero above the diagonal, so P·V skips those terms (t, s: loops 1, 3 of
// b, t, h, s, e), and so do the gradient's products reading the mask's
// gradient, dQ (loops 1, 3) and dK (t, s: loops 3, 1 of b, s, h, t, k).
// CHECK-LABEL: func.func @causal_attention
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} {{.*}} attrs =  {sinter.skip_above = array<i64: 2, 4>}
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction"]} {{.*}} attrs =  {sinter.skip_above = array<i64: 2, 3>}
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction"]} {{.*}} attrs =  {sinter.skip_above = array<i64: 2, 3>}
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} {{.*}} attrs =  {sinter.skip_above = array<i64: 1, 3>}
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} {{.*}} attrs =  {sinter.skip_above = array<i64: 1, 3>}
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} {{.*}} attrs =  {sinter.skip_above = array<i64: 3, 1>}
// CHECK-NOT: sinter.skip_above
// CHECK-NOT: sinter.causal_letters
func.func @causal_attention(%q: tensor<?x8x2x4xf32>, %k: tensor<?x8x2x4xf32>, %v: tensor<?x8x2x4xf32>, %g: tensor<?x2x8x8xf32>) -> (tensor<?x8x2x4xf32>, tensor<?x8x2x4xf32>, tensor<?x8x2x4xf32>) {
  %s = sinter.contract %q, %k {spec = "bthk,bshk->bhts"} : tensor<?x8x2x4xf32>, tensor<?x8x2x4xf32> -> tensor<?x2x8x8xf32>
  %m = sinter.causal_mask %s {value = 0xFF800000 : f32} : tensor<?x2x8x8xf32>
  %p = sinter.softmax %m : tensor<?x2x8x8xf32>
  %o = sinter.contract %p, %v {spec = "bhts,bshe->bthe"} : tensor<?x2x8x8xf32>, tensor<?x8x2x4xf32> -> tensor<?x8x2x4xf32>
  %ds = sinter.causal_mask %g {value = 0.0 : f32} : tensor<?x2x8x8xf32>
  %dq = sinter.contract %ds, %k {spec = "bhts,bshk->bthk"} : tensor<?x2x8x8xf32>, tensor<?x8x2x4xf32> -> tensor<?x8x2x4xf32>
  %dk = sinter.contract %ds, %q {spec = "bhts,bthk->bshk"} : tensor<?x2x8x8xf32>, tensor<?x8x2x4xf32> -> tensor<?x8x2x4xf32>
  return %o, %dq, %dk : tensor<?x8x2x4xf32>, tensor<?x8x2x4xf32>, tensor<?x8x2x4xf32>
}

// -----

// Causal attention's softmax and its gradient. The weights past each query
// are selected zero (sinter-bound-skipped-loops then stores zeros there
// without the exp and the multiply). The gradient dP = dO·Vᵀ is read only by
// the softmax gradient, which selects zero past the query in its sum
// (ending there) and in its result: dP's product skips its upper triangle
// like the scores' (t, s: loops 2, 4 of b, h, t, e, s).
// CHECK-LABEL: func.func @causal_softmax_gradient
// CHECK: %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-NOT: attrs
// CHECK: math.exp
// CHECK-NEXT: %[[W:.*]] = arith.mulf
// CHECK-NEXT: %[[T:.*]] = linalg.index 2
// CHECK-NEXT: %[[S:.*]] = linalg.index 3
// CHECK-NEXT: %[[PAST:.*]] = arith.cmpi ugt, %[[S]], %[[T]]
// CHECK-NEXT: %[[Y:.*]] = arith.select %[[PAST]], %[[ZERO:.*]], %[[W]]
// CHECK-NEXT: linalg.yield %[[Y]]
// CHECK: %[[DP:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} {{.*}} attrs =  {sinter.skip_above = array<i64: 2, 4>}
// CHECK: linalg.generic {{.*}} ins(%[[P]], %[[DP]] : {{.*}} attrs =  {sinter.skip_above = array<i64: 2, 3>}
// CHECK: %[[YG:.*]] = arith.mulf
// CHECK: arith.select %{{.*}}, %[[ZERO]], %[[YG]]
// CHECK: linalg.generic {{.*}} ins(%[[P]], %[[DP]], %{{.*}} : {{.*}} {
// CHECK: %[[DX:.*]] = arith.mulf
// CHECK: %[[DY:.*]] = arith.select %{{.*}}, %[[ZERO]], %[[DX]]
// CHECK-NEXT: linalg.yield %[[DY]]
// CHECK-NOT: sinter.zero_above
func.func @causal_softmax_gradient(%s: tensor<?x2x8x8xf32>, %go: tensor<?x8x2x4xf32>, %v: tensor<?x8x2x4xf32>) -> (tensor<?x2x8x8xf32>, tensor<?x2x8x8xf32>) {
  %m = sinter.causal_mask %s {value = 0xFF800000 : f32} : tensor<?x2x8x8xf32>
  %p = sinter.softmax %m : tensor<?x2x8x8xf32>
  %dp = sinter.contract %go, %v {spec = "bthe,bshe->bhts"} : tensor<?x8x2x4xf32>, tensor<?x8x2x4xf32> -> tensor<?x2x8x8xf32>
  %d = sinter.softmax_grad %p, %dp : tensor<?x2x8x8xf32>
  %dm = sinter.causal_mask %d {value = 0.0 : f32} : tensor<?x2x8x8xf32>
  return %p, %dm : tensor<?x2x8x8xf32>, tensor<?x2x8x8xf32>
}

// -----

// The gradient through attention's output projection, btd,hed->bthe: the
// weight is copied with its summed letter first (dhe), so that h and e
// merge into the columns of one matmul [b*t, d] x [d, h*e] (copied as
// hde, the product had 4 heads of one row a tile).
// CHECK-LABEL: func.func @output_projection_gradient
// CHECK: %[[W:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<2x4x16xf32>) outs(%{{.*}} : tensor<16x2x4xf32>)
// CHECK: %[[X:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : tensor<?x8x16xf32> into tensor<?x16xf32>
// CHECK: %[[WM:.*]] = tensor.collapse_shape %[[W]] {{\[\[}}0], [1, 2]] : tensor<16x2x4xf32> into tensor<16x8xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]], %[[WM]] : tensor<?x16xf32>, tensor<16x8xf32>)
func.func @output_projection_gradient(%g: tensor<?x8x16xf32>, %w: tensor<2x4x16xf32>) -> tensor<?x8x2x4xf32> {
  %0 = sinter.contract %g, %w {spec = "btd,hed->bthe"} : tensor<?x8x16xf32>, tensor<2x4x16xf32> -> tensor<?x8x2x4xf32>
  return %0 : tensor<?x8x2x4xf32>
}

// -----

// A projection onto heads, btd,dhk->bthk: b and t always go together, and
// so do h and k: the contraction is the matmul [b*t, d] x [d, h*k], whose
// register tiles are rows of b*t by columns of h*k (the product unmerged
// had tiles of 2 heads by 4 of one position). The result is a view of it.
// CHECK-LABEL: func.func @head_projection
// CHECK-DAG: %[[X:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : tensor<?x8x16xf32> into tensor<?x16xf32>
// CHECK-DAG: %[[W:.*]] = tensor.collapse_shape %arg1 {{\[\[}}0], [1, 2]] : tensor<16x2x4xf32> into tensor<16x8xf32>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]], %[[W]] : tensor<?x16xf32>, tensor<16x8xf32>) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK: tensor.expand_shape %[[Y]] {{\[\[}}0, 1], [2, 3]] output_shape [%{{.*}}, 8, 2, 4] : tensor<?x8xf32> into tensor<?x8x2x4xf32>
func.func @head_projection(%x: tensor<?x8x16xf32>, %w: tensor<16x2x4xf32>) -> tensor<?x8x2x4xf32> {
  %0 = sinter.contract %x, %w {spec = "btd,dhk->bthk"} : tensor<?x8x16xf32>, tensor<16x2x4xf32> -> tensor<?x8x2x4xf32>
  return %0 : tensor<?x8x2x4xf32>
}

// -----

// A layer norm's statistics are per vector: the mean, then 1 / sqrt(mean
// of squares + epsilon), each in a map over the vectors; the map over the
// elements subtracts and multiplies (no square root or division there).
// CHECK-LABEL: func.func @layer_norm
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0 : tensor<?x6x8xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[SUM]] : tensor<?x6xf32>)
// CHECK: arith.divf
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %[[MEAN]] :
// CHECK: %[[RSTD:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[SQ]] : tensor<?x6xf32>)
// CHECK: math.sqrt
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %[[MEAN]], %[[RSTD]] :
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.subf
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: linalg.yield
func.func @layer_norm(%x: tensor<?x6x8xf32>) -> tensor<?x6x8xf32> {
  %0 = sinter.normalize %x {center, epsilon = 1.0e-3 : f32} : tensor<?x6x8xf32>
  return %0 : tensor<?x6x8xf32>
}

// -----

// Its gradient multiplies by the same per-vector reciprocal: in y, and
// in dx.
// CHECK-LABEL: func.func @layer_norm_grad
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]}
// CHECK: %[[RSTD:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]}
// CHECK: math.sqrt
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %arg1, %[[MEAN]], %[[RSTD]],
// CHECK-NEXT: ^bb0(%{{[a-z0-9_]+}}: f32, %{{[a-z0-9_]+}}: f32, %{{[a-z0-9_]+}}: f32, %[[R:[a-z0-9_]+]]: f32
// CHECK-NOT: math.sqrt
// CHECK: arith.mulf %{{.*}}, %[[R]]
// CHECK-NOT: math.sqrt
// CHECK: arith.mulf %{{.*}}, %[[R]]
// CHECK-NEXT: linalg.yield
func.func @layer_norm_grad(%x: tensor<?x6x8xf32>, %g: tensor<?x6x8xf32>) -> tensor<?x6x8xf32> {
  %0 = sinter.normalize_grad %x, %g {center, epsilon = 1.0e-3 : f32} : tensor<?x6x8xf32>
  return %0 : tensor<?x6x8xf32>
}
