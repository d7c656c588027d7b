// Every Sinter op prints and parses back to itself.
// RUN: sinter-opt %s | sinter-opt | FileCheck %s

// CHECK-LABEL: func.func @layers
func.func @layers(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>,
                  %g: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // CHECK: sinter.matmul %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %0 = sinter.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  // CHECK: sinter.matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
  %1 = sinter.matmul %x, %g {transpose_lhs} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
  // CHECK: sinter.matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
  %2 = sinter.matmul %g, %w {transpose_rhs} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
  // CHECK: sinter.bias_add %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<3xf32>
  %3 = sinter.bias_add %0, %b : tensor<?x3xf32>, tensor<3xf32>
  // CHECK: sinter.bias_add_grad %{{.*}} : tensor<?x3xf32> -> tensor<3xf32>
  %4 = sinter.bias_add_grad %g : tensor<?x3xf32> -> tensor<3xf32>
  // CHECK: sinter.add %{{.*}}, %{{.*}} : tensor<?x3xf32>
  %5 = sinter.add %3, %g : tensor<?x3xf32>
  // CHECK: sinter.relu
  %6 = sinter.relu %5 : tensor<?x3xf32>
  // CHECK: sinter.sigmoid
  %7 = sinter.sigmoid %6 : tensor<?x3xf32>
  // CHECK: sinter.tanh
  %8 = sinter.tanh %7 : tensor<?x3xf32>
  // CHECK: sinter.softmax
  %9 = sinter.softmax %8 : tensor<?x3xf32>
  // CHECK: sinter.relu_grad %{{.*}}, %{{.*}} : tensor<?x3xf32>
  %10 = sinter.relu_grad %6, %g : tensor<?x3xf32>
  // CHECK: sinter.sigmoid_grad
  %11 = sinter.sigmoid_grad %7, %10 : tensor<?x3xf32>
  // CHECK: sinter.tanh_grad
  %12 = sinter.tanh_grad %8, %11 : tensor<?x3xf32>
  // CHECK: sinter.softmax_grad
  %13 = sinter.softmax_grad %9, %12 : tensor<?x3xf32>
  return %13 : tensor<?x3xf32>
}

// CHECK-LABEL: func.func @shapes
func.func @shapes(%x: tensor<?x28x28xf32>, %a: tensor<?x3xf32>, %b: tensor<?x4xf32>) -> tensor<?x7xf32> {
  // CHECK: sinter.reshape %{{.*}} : tensor<?x28x28xf32> -> tensor<?x784xf32>
  %0 = sinter.reshape %x : tensor<?x28x28xf32> -> tensor<?x784xf32>
  // CHECK: sinter.scale %{{.*}} {factor = 5.000000e-01 : f32, offset = 1.000000e+00 : f32} : tensor<?x784xf32>
  %1 = sinter.scale %0 {factor = 0.5 : f32, offset = 1.0 : f32} : tensor<?x784xf32>
  // CHECK: sinter.scale %{{.*}} {factor = 2.000000e+00 : f32} : tensor<?x3xf32>
  %2 = sinter.scale %a {factor = 2.0 : f32} : tensor<?x3xf32>
  // CHECK: sinter.sub
  %3 = sinter.sub %2, %a : tensor<?x3xf32>
  // CHECK: sinter.mul
  %4 = sinter.mul %3, %a : tensor<?x3xf32>
  // CHECK: sinter.concat %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<?x4xf32> -> tensor<?x7xf32>
  %5 = sinter.concat %4, %b : tensor<?x3xf32>, tensor<?x4xf32> -> tensor<?x7xf32>
  // CHECK: sinter.slice_last %{{.*}} {offset = 3 : i64} : tensor<?x7xf32> -> tensor<?x4xf32>
  %6 = sinter.slice_last %5 {offset = 3 : i64} : tensor<?x7xf32> -> tensor<?x4xf32>
  return %5 : tensor<?x7xf32>
}

// CHECK-LABEL: func.func @losses
func.func @losses(%p: tensor<?x3xf32>, %t: tensor<?x3xf32>, %l: tensor<?xi32>,
                  %s: tensor<f32>) -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) {
  // CHECK: sinter.mean_squared_error %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<?x3xf32>
  %0 = sinter.mean_squared_error %p, %t : tensor<?x3xf32>, tensor<?x3xf32>
  // CHECK: sinter.binary_crossentropy
  %1 = sinter.binary_crossentropy %p, %t : tensor<?x3xf32>, tensor<?x3xf32>
  // CHECK: sinter.categorical_crossentropy
  %2 = sinter.categorical_crossentropy %p, %t : tensor<?x3xf32>, tensor<?x3xf32>
  // CHECK: sinter.sparse_categorical_crossentropy %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<?xi32>
  %3 = sinter.sparse_categorical_crossentropy %p, %l : tensor<?x3xf32>, tensor<?xi32>
  // CHECK: sinter.mean_squared_error_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<?x3xf32>
  %4 = sinter.mean_squared_error_grad %p, %t, %s : tensor<?x3xf32>, tensor<?x3xf32>
  // CHECK: sinter.binary_crossentropy_grad
  %5 = sinter.binary_crossentropy_grad %p, %t, %s : tensor<?x3xf32>, tensor<?x3xf32>
  // CHECK: sinter.categorical_crossentropy_grad
  %6 = sinter.categorical_crossentropy_grad %p, %t, %s : tensor<?x3xf32>, tensor<?x3xf32>
  // CHECK: sinter.sparse_categorical_crossentropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<?xi32>
  %7 = sinter.sparse_categorical_crossentropy_grad %p, %l, %s : tensor<?x3xf32>, tensor<?xi32>
  // CHECK: sinter.softmax_crossentropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<?x3xf32>
  %8 = sinter.softmax_crossentropy_grad %p, %t, %s : tensor<?x3xf32>, tensor<?x3xf32>
  // CHECK: sinter.softmax_crossentropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<?xi32>
  %9 = sinter.softmax_crossentropy_grad %p, %l, %s : tensor<?x3xf32>, tensor<?xi32>
  return %0, %1, %2, %3 : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @updates
func.func @updates(%p: tensor<4x3xf32>, %g: tensor<4x3xf32>, %m: tensor<4x3xf32>,
                   %v: tensor<4x3xf32>, %a: tensor<4x3xf32>, %lr: f32, %it: f32) {
  // CHECK: sinter.sgd_update %{{.*}}, %{{.*}} lr %{{.*}} {momentum = 0.000000e+00 : f32} : tensor<4x3xf32>
  %0 = sinter.sgd_update %p, %g lr %lr {momentum = 0.0 : f32} : tensor<4x3xf32>
  // CHECK: sinter.sgd_update %{{.*}}, %{{.*}} slots(%{{.*}} : tensor<4x3xf32>) lr %{{.*}} {momentum = 0.899999976 : f32, nesterov} : tensor<4x3xf32>
  %1:2 = sinter.sgd_update %p, %g slots(%m : tensor<4x3xf32>) lr %lr {momentum = 0.9 : f32, nesterov} : tensor<4x3xf32>
  // CHECK: sinter.adam_update %{{.*}}, %{{.*}} slots(%{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<4x3xf32>) lr %{{.*}} iteration %{{.*}}
  %2:3 = sinter.adam_update %p, %g slots(%m, %v : tensor<4x3xf32>, tensor<4x3xf32>) lr %lr iteration %it
      {beta_1 = 0.9 : f32, beta_2 = 0.999 : f32, epsilon = 1.0e-07 : f32} : tensor<4x3xf32>
  // CHECK: sinter.adam_update {{.*}} {amsgrad,
  %3:4 = sinter.adam_update %p, %g slots(%m, %v, %a : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) lr %lr iteration %it
      {beta_1 = 0.9 : f32, beta_2 = 0.999 : f32, epsilon = 1.0e-07 : f32, amsgrad} : tensor<4x3xf32>
  // CHECK: sinter.rmsprop_update %{{.*}}, %{{.*}} slots(%{{.*}}, %{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) lr %{{.*}} {centered
  %4:4 = sinter.rmsprop_update %p, %g slots(%v, %m, %a : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) lr %lr
      {rho = 0.9 : f32, momentum = 0.5 : f32, epsilon = 1.0e-07 : f32, centered} : tensor<4x3xf32>
  return
}

// CHECK-LABEL: func.func @windows
func.func @windows(%x: tensor<?x8x8x2xf32>, %w: tensor<3x3x1x4xf32>,
                   %g: tensor<?x4x4x4xf32>, %p: tensor<?x4x4x2xf32>) {
  // CHECK: sinter.conv2d %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 0, 1, 0, 1>, strides = array<i64: 2, 2>} : tensor<?x8x8x2xf32>, tensor<3x3x1x4xf32> -> tensor<?x4x4x4xf32>
  %0 = sinter.conv2d %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 2}
      : tensor<?x8x8x2xf32>, tensor<3x3x1x4xf32> -> tensor<?x4x4x4xf32>
  // CHECK: sinter.conv2d_input_grad %{{.*}}, %{{.*}} {{{.*}}} : tensor<?x4x4x4xf32>, tensor<3x3x1x4xf32> -> tensor<?x8x8x2xf32>
  %1 = sinter.conv2d_input_grad %g, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 2}
      : tensor<?x4x4x4xf32>, tensor<3x3x1x4xf32> -> tensor<?x8x8x2xf32>
  // CHECK: sinter.conv2d_filter_grad %{{.*}}, %{{.*}} {{{.*}}} : tensor<?x8x8x2xf32>, tensor<?x4x4x4xf32> -> tensor<3x3x1x4xf32>
  %2 = sinter.conv2d_filter_grad %x, %g {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 2}
      : tensor<?x8x8x2xf32>, tensor<?x4x4x4xf32> -> tensor<3x3x1x4xf32>
  // CHECK: sinter.max_pool2d %{{.*}} {padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x8x8x2xf32> -> tensor<?x4x4x2xf32>
  %3 = sinter.max_pool2d %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x8x2xf32> -> tensor<?x4x4x2xf32>
  // CHECK: sinter.max_pool2d_grad %{{.*}}, %{{.*}} {{{.*}}} : tensor<?x8x8x2xf32>, tensor<?x4x4x2xf32>
  %4 = sinter.max_pool2d_grad %x, %p {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x8x2xf32>, tensor<?x4x4x2xf32>
  // CHECK: sinter.avg_pool2d %{{.*}} {{{.*}}} : tensor<?x8x8x2xf32> -> tensor<?x4x4x2xf32>
  %5 = sinter.avg_pool2d %x {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 0, 1, 0, 1>} : tensor<?x8x8x2xf32> -> tensor<?x4x4x2xf32>
  // CHECK: sinter.avg_pool2d_grad %{{.*}} {{{.*}}} : tensor<?x4x4x2xf32> -> tensor<?x8x8x2xf32>
  %6 = sinter.avg_pool2d_grad %p {window = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 0, 1, 0, 1>} : tensor<?x4x4x2xf32> -> tensor<?x8x8x2xf32>
  return
}

// CHECK-LABEL: func.func @dropout
func.func @dropout(%x: tensor<?x4xf32>, %step: f32) {
  // CHECK: sinter.dropout %{{.*}} {rate = 5.000000e-01 : f32, seed = 7 : i64} : tensor<?x4xf32>
  %0 = sinter.dropout %x {rate = 0.5 : f32, seed = 7} : tensor<?x4xf32>
  // CHECK: sinter.dropout_mask %{{.*}}, %{{.*}} {rate = 5.000000e-01 : f32, seed = 7 : i64} : tensor<?x4xf32>
  %1 = sinter.dropout_mask %x, %step {rate = 0.5 : f32, seed = 7} : tensor<?x4xf32>
  return
}

// CHECK-LABEL: func.func @batch_norm
func.func @batch_norm(%x: tensor<?x8x8x4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) {
  // CHECK: sinter.batch_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 1.000000e-03 : f32, momentum = 9.900000e-01 : f32} : tensor<?x8x8x4xf32>, tensor<4xf32>
  %0 = sinter.batch_norm %x, %m, %v {epsilon = 0.001 : f32, momentum = 0.99 : f32} : tensor<?x8x8x4xf32>, tensor<4xf32>
  // CHECK: sinter.channel_mean %{{.*}} : tensor<?x8x8x4xf32> -> tensor<4xf32>
  %1 = sinter.channel_mean %x : tensor<?x8x8x4xf32> -> tensor<4xf32>
  // CHECK: sinter.channel_mean_grad %{{.*}}, %{{.*}} : tensor<?x8x8x4xf32>, tensor<4xf32>
  %2 = sinter.channel_mean_grad %x, %1 : tensor<?x8x8x4xf32>, tensor<4xf32>
  // CHECK: sinter.channel_mean %{{.*}} : tensor<?x8x8x4xf32> -> tensor<8x4xf32>
  %3 = sinter.channel_mean %x : tensor<?x8x8x4xf32> -> tensor<8x4xf32>
  // CHECK: sinter.rsqrt %{{.*}} : tensor<4xf32>
  %4 = sinter.rsqrt %v : tensor<4xf32>
  return
}

// CHECK-LABEL: func.func @gelu_silu
func.func @gelu_silu(%x: tensor<?x4xf32>, %g: tensor<?x4xf32>) {
  // CHECK: sinter.gelu %{{.*}} : tensor<?x4xf32>
  %0 = sinter.gelu %x : tensor<?x4xf32>
  // CHECK: sinter.gelu %{{.*}} {approximate} : tensor<?x4xf32>
  %1 = sinter.gelu %x {approximate} : tensor<?x4xf32>
  // CHECK: sinter.gelu_grad %{{.*}}, %{{.*}} {approximate} : tensor<?x4xf32>
  %2 = sinter.gelu_grad %x, %g {approximate} : tensor<?x4xf32>
  // CHECK: sinter.silu %{{.*}} : tensor<?x4xf32>
  %3 = sinter.silu %x : tensor<?x4xf32>
  // CHECK: sinter.silu_grad %{{.*}}, %{{.*}} : tensor<?x4xf32>
  %4 = sinter.silu_grad %x, %g : tensor<?x4xf32>
  return
}

// CHECK-LABEL: func.func @sequences
func.func @sequences(%ids: tensor<?x6xf32>, %table: tensor<11x8xf32>, %x: tensor<?x6x8xf32>,
                     %wq: tensor<8x2x4xf32>, %bq: tensor<2x4xf32>, %gamma: tensor<8xf32>,
                     %s: tensor<?x2x6x6xf32>) {
  // CHECK: sinter.embedding %{{.*}}, %{{.*}} : tensor<?x6xf32>, tensor<11x8xf32> -> tensor<?x6x8xf32>
  %0 = sinter.embedding %ids, %table : tensor<?x6xf32>, tensor<11x8xf32> -> tensor<?x6x8xf32>
  // CHECK: sinter.embedding_grad %{{.*}}, %{{.*}} : tensor<?x6xf32>, tensor<?x6x8xf32> -> tensor<11x8xf32>
  %1 = sinter.embedding_grad %ids, %x : tensor<?x6xf32>, tensor<?x6x8xf32> -> tensor<11x8xf32>
  // CHECK: sinter.contract %{{.*}}, %{{.*}} {spec = "btd,dhk->bthk"} : tensor<?x6x8xf32>, tensor<8x2x4xf32> -> tensor<?x6x2x4xf32>
  %2 = sinter.contract %x, %wq {spec = "btd,dhk->bthk"} : tensor<?x6x8xf32>, tensor<8x2x4xf32> -> tensor<?x6x2x4xf32>
  // CHECK: sinter.bias_add %{{.*}}, %{{.*}} : tensor<?x6x2x4xf32>, tensor<2x4xf32>
  %3 = sinter.bias_add %2, %bq : tensor<?x6x2x4xf32>, tensor<2x4xf32>
  // CHECK: sinter.bias_add_grad %{{.*}} : tensor<?x6x2x4xf32> -> tensor<2x4xf32>
  %4 = sinter.bias_add_grad %3 : tensor<?x6x2x4xf32> -> tensor<2x4xf32>
  // CHECK: sinter.normalize %{{.*}} {center, epsilon = 1.000000e-03 : f32} : tensor<?x6x8xf32>
  %5 = sinter.normalize %x {center, epsilon = 1.0e-3 : f32} : tensor<?x6x8xf32>
  // CHECK: sinter.normalize_grad %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32} : tensor<?x6x8xf32>
  %6 = sinter.normalize_grad %x, %5 {epsilon = 1.0e-6 : f32} : tensor<?x6x8xf32>
  // CHECK: sinter.scale_channels %{{.*}}, %{{.*}} : tensor<?x6x8xf32>, tensor<8xf32>
  %7 = sinter.scale_channels %x, %gamma : tensor<?x6x8xf32>, tensor<8xf32>
  // CHECK: sinter.causal_mask %{{.*}} {value = 0xFF800000 : f32} : tensor<?x2x6x6xf32>
  %8 = sinter.causal_mask %s {value = 0xFF800000 : f32} : tensor<?x2x6x6xf32>
  return
}

// CHECK-LABEL: func.func @clipping
func.func @clipping(%g: tensor<4x2xf32>) {
  // CHECK: %[[N:.*]] = sinter.squared_norm %{{.*}} : tensor<4x2xf32>
  %0 = sinter.squared_norm %g : tensor<4x2xf32>
  // CHECK: sinter.clip_by_norm %{{.*}}, %[[N]] {max_norm = 5.000000e-01 : f32} : tensor<4x2xf32>
  %1 = sinter.clip_by_norm %g, %0 {max_norm = 0.5 : f32} : tensor<4x2xf32>
  return
}

// CHECK-LABEL: func.func @transpose
func.func @transpose(%x: tensor<?x8x3xf32>) {
  // CHECK: sinter.transpose %{{.*}} {permutation = array<i64: 0, 2, 1>} : tensor<?x8x3xf32> -> tensor<?x3x8xf32>
  %0 = sinter.transpose %x {permutation = array<i64: 0, 2, 1>} : tensor<?x8x3xf32> -> tensor<?x3x8xf32>
  return
}
