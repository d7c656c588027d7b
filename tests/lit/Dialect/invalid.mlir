// Every Sinter verifier rejects what it should, with its message.
// RUN: sinter-opt %s --split-input-file --verify-diagnostics

func.func @matmul_contraction(%x: tensor<?x4xf32>, %w: tensor<5x3xf32>) {
  // expected-error @+1 {{contraction sizes differ: 4 vs 5}}
  %0 = sinter.matmul %x, %w : tensor<?x4xf32>, tensor<5x3xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @matmul_result(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>) {
  // expected-error @+1 {{result shape should be ?x3}}
  %0 = sinter.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x2xf32>
  return
}

// -----

func.func @matmul_transposed(%x: tensor<?x4xf32>, %g: tensor<?x3xf32>) {
  // expected-error @+1 {{result shape should be 4x3}}
  %0 = sinter.matmul %x, %g {transpose_lhs} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<3x4xf32>
  return
}

// -----

func.func @matmul_rank(%x: tensor<?x4x2xf32>, %w: tensor<4x3xf32>) {
  // expected-error @+1 {{expects rank-2 operands and result}}
  %0 = sinter.matmul %x, %w : tensor<?x4x2xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @bias(%x: tensor<?x4xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{bias 'tensor<3xf32>' must have the shape of the trailing dimensions of 'tensor<?x4xf32>'}}
  %0 = sinter.bias_add %x, %b : tensor<?x4xf32>, tensor<3xf32>
  return
}

// -----

func.func @bias_grad(%g: tensor<?x4xf32>) {
  // expected-error @+1 {{result 'tensor<3xf32>' must have the shape of the trailing dimensions of 'tensor<?x4xf32>'}}
  %0 = sinter.bias_add_grad %g : tensor<?x4xf32> -> tensor<3xf32>
  return
}

// -----

// expected-note @+1 {{prior use here}}
func.func @add_types(%a: tensor<?x4xf32>, %b: tensor<?x3xf32>) {
  // expected-error @+1 {{use of value '%b' expects different type than prior uses}}
  %0 = sinter.add %a, %b : tensor<?x4xf32>
  return
}

// -----

func.func @loss_target(%p: tensor<?x3xf32>, %t: tensor<?x2xf32>) {
  // expected-error @+1 {{target 'tensor<?x2xf32>' does not match prediction 'tensor<?x3xf32>'}}
  %0 = sinter.mean_squared_error %p, %t : tensor<?x3xf32>, tensor<?x2xf32>
  return
}

// -----

func.func @loss_rank(%p: tensor<?xf32>, %t: tensor<?xf32>) {
  // expected-error @+1 {{expects a [batch, outputs] prediction}}
  %0 = sinter.binary_crossentropy %p, %t : tensor<?xf32>, tensor<?xf32>
  return
}

// -----

func.func @labels_batch(%p: tensor<8x3xf32>, %l: tensor<4xi32>) {
  // expected-error @+1 {{labels 'tensor<4xi32>' should have the shape of 'tensor<8x3xf32>' without its class dimension}}
  %0 = sinter.sparse_categorical_crossentropy %p, %l : tensor<8x3xf32>, tensor<4xi32>
  return
}

// -----

func.func @labels_type(%p: tensor<?x3xf32>, %l: tensor<?xf32>) {
  // expected-error @+1 {{must be ranked tensor of 32-bit signless integer values}}
  %0 = sinter.sparse_categorical_crossentropy %p, %l : tensor<?x3xf32>, tensor<?xf32>
  return
}

// -----

func.func @fused_labels(%y: tensor<?x5x3xf32>, %l: tensor<?x4xi32>, %s: tensor<f32>) {
  // expected-error @+1 {{labels 'tensor<?x4xi32>' should have the shape of 'tensor<?x5x3xf32>' without its class dimension}}
  %0 = sinter.softmax_crossentropy_grad %y, %l, %s : tensor<?x5x3xf32>, tensor<?x4xi32>
  return
}

// -----

func.func @fused_target(%y: tensor<?x3xf32>, %t: tensor<?x4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{target 'tensor<?x4xf32>' does not match prediction 'tensor<?x3xf32>'}}
  %0 = sinter.softmax_crossentropy_grad %y, %t, %s : tensor<?x3xf32>, tensor<?x4xf32>
  return
}

// -----

func.func @fused_target_type(%y: tensor<?x3xf32>, %t: tensor<?x3xf16>, %s: tensor<f32>) {
  // expected-error @+1 {{must be ranked tensor of 32-bit float values or ranked tensor of 32-bit signless integer values}}
  %0 = sinter.softmax_crossentropy_grad %y, %t, %s : tensor<?x3xf32>, tensor<?x3xf16>
  return
}

// -----

func.func @sgd_slots(%p: tensor<3xf32>, %g: tensor<3xf32>, %lr: f32) {
  // expected-error @+1 {{expects 1 optimizer slot(s) for these hyperparameters, got 0}}
  %0 = sinter.sgd_update %p, %g lr %lr {momentum = 0.9 : f32} : tensor<3xf32>
  return
}

// -----

func.func @sgd_nesterov(%p: tensor<3xf32>, %g: tensor<3xf32>, %lr: f32) {
  // expected-error @+1 {{nesterov needs a non-zero momentum}}
  %0 = sinter.sgd_update %p, %g lr %lr {momentum = 0.0 : f32, nesterov} : tensor<3xf32>
  return
}

// -----

func.func @adam_slots(%p: tensor<3xf32>, %g: tensor<3xf32>, %m: tensor<3xf32>, %lr: f32, %it: f32) {
  // expected-error @+1 {{expects 2 optimizer slot(s) for these hyperparameters, got 1}}
  %0:2 = sinter.adam_update %p, %g slots(%m : tensor<3xf32>) lr %lr iteration %it
      {beta_1 = 0.9 : f32, beta_2 = 0.999 : f32, epsilon = 1.0e-07 : f32} : tensor<3xf32>
  return
}

// -----

func.func @adam_slot_type(%p: tensor<3xf32>, %g: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<4xf32>, %lr: f32, %it: f32) {
  // expected-error @+1 {{slot type 'tensor<4xf32>' differs from parameter type 'tensor<3xf32>'}}
  %0:3 = sinter.adam_update %p, %g slots(%m, %v : tensor<3xf32>, tensor<4xf32>) lr %lr iteration %it
      {beta_1 = 0.9 : f32, beta_2 = 0.999 : f32, epsilon = 1.0e-07 : f32} : tensor<3xf32>
  return
}

// -----

func.func @rmsprop_slots(%p: tensor<3xf32>, %g: tensor<3xf32>, %v: tensor<3xf32>, %lr: f32) {
  // expected-error @+1 {{expects 2 optimizer slot(s) for these hyperparameters, got 1}}
  %0:2 = sinter.rmsprop_update %p, %g slots(%v : tensor<3xf32>) lr %lr
      {rho = 0.9 : f32, momentum = 0.0 : f32, epsilon = 1.0e-07 : f32, centered} : tensor<3xf32>
  return
}

// -----

func.func @rmsprop_momentum(%p: tensor<3xf32>, %g: tensor<3xf32>, %v: tensor<3xf32>, %lr: f32) {
  // expected-error @+1 {{momentum must be >= 0}}
  %0:2 = sinter.rmsprop_update %p, %g slots(%v : tensor<3xf32>) lr %lr
      {rho = 0.9 : f32, momentum = -1.0 : f32, epsilon = 1.0e-07 : f32} : tensor<3xf32>
  return
}

// -----

// expected-error @+1 {{'sinter.optimizer' must be a dictionary with a string 'name'}}
module attributes {sinter.optimizer = {learning_rate = 1.0 : f32}} {}

// -----

// expected-error @+1 {{'sinter.loss' must be a string (a Keras loss name)}}
module attributes {sinter.loss = 3 : i32} {}

// -----

// expected-error @+1 {{unknown Sinter attribute 'sinter.bogus'}}
module attributes {sinter.bogus} {}

// -----

func.func @reshape_size(%x: tensor<?x28x28xf32>) {
  // expected-error @+1 {{per-example sizes differ: 784 vs 780}}
  %0 = sinter.reshape %x : tensor<?x28x28xf32> -> tensor<?x780xf32>
  return
}

// -----

func.func @reshape_batch(%x: tensor<8x4xf32>) {
  // expected-error @+1 {{keeps the batch dimension}}
  %0 = sinter.reshape %x : tensor<8x4xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @concat_last(%a: tensor<?x3xf32>, %b: tensor<?x4xf32>) {
  // expected-error @+1 {{result's last dimension should be 7}}
  %0 = sinter.concat %a, %b : tensor<?x3xf32>, tensor<?x4xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @concat_leading(%a: tensor<?x2x3xf32>, %b: tensor<?x5x4xf32>) {
  // expected-error @+1 {{does not match the leading dimensions}}
  %0 = sinter.concat %a, %b : tensor<?x2x3xf32>, tensor<?x5x4xf32> -> tensor<?x2x7xf32>
  return
}

// -----

func.func @slice_window(%a: tensor<?x7xf32>) {
  // expected-error @+1 {{window [5, 9) does not fit in 7}}
  %0 = sinter.slice_last %a {offset = 5 : i64} : tensor<?x7xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @conv_output_size(%x: tensor<?x8x8x1xf32>, %w: tensor<3x3x1x4xf32>) {
  // expected-error @+1 {{output height should be 6, got 8}}
  %0 = sinter.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x8x8x1xf32>, tensor<3x3x1x4xf32> -> tensor<?x8x8x4xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<?x8x8x3xf32>, %w: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{input has 3 channels; the filter expects 2 x 1 groups}}
  %0 = sinter.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
      : tensor<?x8x8x3xf32>, tensor<3x3x2x4xf32> -> tensor<?x8x8x4xf32>
  return
}

// -----

func.func @conv_groups(%x: tensor<?x8x8x2xf32>, %w: tensor<3x3x1x3xf32>) {
  // expected-error @+1 {{groups (2) must divide the 3 output channels}}
  %0 = sinter.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 2}
      : tensor<?x8x8x2xf32>, tensor<3x3x1x3xf32> -> tensor<?x8x8x3xf32>
  return
}

// -----

func.func @conv_pad_too_large(%x: tensor<?x8x8x1xf32>, %w: tensor<3x3x1x4xf32>) {
  // expected-error @+1 {{pads must be >= 0 and smaller than the window extent 3}}
  %0 = sinter.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 3, 3, 1, 1>}
      : tensor<?x8x8x1xf32>, tensor<3x3x1x4xf32> -> tensor<?x10x8x4xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<?x8x1xf32>, %w: tensor<3x3x1x4xf32>) {
  // expected-error @+1 {{expects [batch, height, width, channels] images}}
  %0 = sinter.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x8x1xf32>, tensor<3x3x1x4xf32> -> tensor<?x6x6x4xf32>
  return
}

// -----

func.func @conv_attr_lengths(%x: tensor<?x8x8x1xf32>, %w: tensor<3x3x1x4xf32>) {
  // expected-error @+1 {{expects 2 window sizes, strides and dilations and 4 pads}}
  %0 = sinter.conv2d %x, %w {strides = array<i64: 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x8x8x1xf32>, tensor<3x3x1x4xf32> -> tensor<?x6x6x4xf32>
  return
}

// -----

func.func @conv_filter_grad_type(%x: tensor<?x8x8x1xf32>, %g: tensor<?x6x6x4xf32>) {
  // expected-error @+1 {{output should have 5 channels, got 4}}
  %0 = sinter.conv2d_filter_grad %x, %g {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x8x8x1xf32>, tensor<?x6x6x4xf32> -> tensor<3x3x1x5xf32>
  return
}

// -----

func.func @conv_input_grad_size(%g: tensor<?x6x6x4xf32>, %w: tensor<3x3x1x4xf32>) {
  // expected-error @+1 {{output width should be 5, got 6}}
  %0 = sinter.conv2d_input_grad %g, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x6x6x4xf32>, tensor<3x3x1x4xf32> -> tensor<?x8x7x1xf32>
  return
}

// -----

func.func @pool_channels(%x: tensor<?x8x8x2xf32>) {
  // expected-error @+1 {{pooling keeps the channels: 2 vs 3}}
  %0 = sinter.max_pool2d %x {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x8x2xf32> -> tensor<?x4x4x3xf32>
  return
}

// -----

func.func @pool_window(%x: tensor<?x8x8x2xf32>) {
  // expected-error @+1 {{window sizes, strides and dilations must be positive}}
  %0 = sinter.avg_pool2d %x {window = array<i64: 0, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x8x2xf32> -> tensor<?x4x4x2xf32>
  return
}

// -----

func.func @pool_too_big(%x: tensor<?x2x8x2xf32>) {
  // expected-error @+1 {{window extent 3 does not fit in 2 padded by 0+0}}
  %0 = sinter.max_pool2d %x {window = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x2x8x2xf32> -> tensor<?x1x6x2xf32>
  return
}

// -----

func.func @pool_grad_size(%x: tensor<?x8x8x2xf32>, %g: tensor<?x3x4x2xf32>) {
  // expected-error @+1 {{output height should be 4, got 3}}
  %0 = sinter.max_pool2d_grad %x, %g {window = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x8x8x2xf32>, tensor<?x3x4x2xf32>
  return
}

// -----

func.func @batch_norm_channels(%x: tensor<?x8x8x4xf32>, %m: tensor<3xf32>) {
  // expected-error @+1 {{moving statistics 'tensor<3xf32>' must be [channels], the last dimension of 'tensor<?x8x8x4xf32>'}}
  %0 = sinter.batch_norm %x, %m, %m {epsilon = 0.001 : f32, momentum = 0.99 : f32} : tensor<?x8x8x4xf32>, tensor<3xf32>
  return
}

// -----

func.func @batch_norm_momentum(%x: tensor<?x4xf32>, %m: tensor<4xf32>) {
  // expected-error @+1 {{momentum must lie in [0, 1], got 1.500000e+00}}
  %0 = sinter.batch_norm %x, %m, %m {epsilon = 0.001 : f32, momentum = 1.5 : f32} : tensor<?x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @batch_norm_epsilon(%x: tensor<?x4xf32>, %m: tensor<4xf32>) {
  // expected-error @+1 {{epsilon must be positive}}
  %0 = sinter.batch_norm %x, %m, %m {epsilon = 0.0 : f32, momentum = 0.9 : f32} : tensor<?x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @channel_mean_shape(%x: tensor<?x8x4xf32>) {
  // expected-error @+1 {{result 'tensor<8xf32>' must have the shape of the trailing dimensions of 'tensor<?x8x4xf32>'}}
  %0 = sinter.channel_mean %x : tensor<?x8x4xf32> -> tensor<8xf32>
  return
}

// -----

func.func @channel_mean_grad_shape(%x: tensor<?x8x4xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{cotangent 'tensor<3xf32>' must have the shape of the trailing dimensions of 'tensor<?x8x4xf32>'}}
  %0 = sinter.channel_mean_grad %x, %g : tensor<?x8x4xf32>, tensor<3xf32>
  return
}

// -----

func.func @dropout_rate(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{rate must lie in [0, 1), got 1.000000e+00}}
  %0 = sinter.dropout %x {rate = 1.0 : f32, seed = 1} : tensor<?x4xf32>
  return
}

// -----

func.func @dropout_mask_rate(%x: tensor<?x4xf32>, %step: f32) {
  // expected-error @+1 {{rate must lie in [0, 1), got -5.000000e-01}}
  %0 = sinter.dropout_mask %x, %step {rate = -0.5 : f32, seed = 1} : tensor<?x4xf32>
  return
}

// -----

func.func @contract_rank(%x: tensor<?x6x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{lhs term 'bd' has 2 letters for rank 3}}
  %0 = sinter.contract %x, %w {spec = "bd,dk->bk"} : tensor<?x6x8xf32>, tensor<8x4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @contract_sizes(%x: tensor<?x6x8xf32>, %w: tensor<7x4xf32>) {
  // expected-error @+1 {{letter 'd' has sizes 8 and 7}}
  %0 = sinter.contract %x, %w {spec = "btd,dk->btk"} : tensor<?x6x8xf32>, tensor<7x4xf32> -> tensor<?x6x4xf32>
  return
}

// -----

func.func @contract_dangling(%x: tensor<?x6x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{letter 't' of lhs appears in neither the other operand nor the result}}
  %0 = sinter.contract %x, %w {spec = "btd,dk->bk"} : tensor<?x6x8xf32>, tensor<8x4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @contract_spec(%x: tensor<?x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{spec must read "lhs,rhs->result"}}
  %0 = sinter.contract %x, %w {spec = "bd dk bk"} : tensor<?x8xf32>, tensor<8x4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @bias_trailing(%x: tensor<?x6x8xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{bias 'tensor<6xf32>' must have the shape of the trailing dimensions of 'tensor<?x6x8xf32>'}}
  %0 = sinter.bias_add %x, %b : tensor<?x6x8xf32>, tensor<6xf32>
  return
}

// -----

func.func @embedding_shape(%ids: tensor<?x6xf32>, %t: tensor<11x8xf32>) {
  // expected-error @+1 {{should have the shape of ids}}
  %0 = sinter.embedding %ids, %t : tensor<?x6xf32>, tensor<11x8xf32> -> tensor<?x6x9xf32>
  return
}

// -----

func.func @normalize_epsilon(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{epsilon must be positive}}
  %0 = sinter.normalize %x {epsilon = 0.0 : f32} : tensor<?x8xf32>
  return
}

// -----

func.func @causal_rank(%x: tensor<?xf32>) {
  // expected-error @+1 {{expects [..., queries, keys] scores}}
  %0 = sinter.causal_mask %x {value = 0.0 : f32} : tensor<?xf32>
  return
}

// -----

func.func @clip_norm(%g: tensor<4xf32>, %n: tensor<f32>) {
  // expected-error @+1 {{max_norm must be positive}}
  %0 = sinter.clip_by_norm %g, %n {max_norm = 0.0 : f32} : tensor<4xf32>
  return
}

// -----

func.func @transpose_batch(%x: tensor<?x8x3xf32>) {
  // expected-error @+1 {{expects a permutation of the 3 dimensions with the batch (0) first}}
  %0 = sinter.transpose %x {permutation = array<i64: 1, 0, 2>} : tensor<?x8x3xf32> -> tensor<8x?x3xf32>
  return
}

// -----

func.func @transpose_shape(%x: tensor<?x8x3xf32>) {
  // expected-error @+1 {{result dimension 1 should be input dimension 2 (3)}}
  %0 = sinter.transpose %x {permutation = array<i64: 0, 2, 1>} : tensor<?x8x3xf32> -> tensor<?x8x3xf32>
  return
}

// -----

func.func @skip_above_not_a_pair(%x: tensor<8xf32>) {
  // expected-error @+1 {{'sinter.skip_above' must be an array of two loop indices}}
  %0 = sinter.relu %x {sinter.skip_above = array<i64: 1>} : tensor<8xf32>
  return
}

// -----

func.func @zero_above_not_a_pair(%x: tensor<8x8xf32>) {
  // expected-error @+1 {{'sinter.zero_above' must be an array of two loop indices}}
  %0 = sinter.relu %x {sinter.zero_above = "ts"} : tensor<8x8xf32>
  return
}

// -----

func.func @updates_parameters_not_unit(%x: tensor<8xf32>) {
  // expected-error @+1 {{'sinter.updates_parameters' must be a unit attribute}}
  %0 = sinter.relu %x {sinter.updates_parameters = 1 : i64} : tensor<8xf32>
  return
}

// -----

func.func @parameter_starts_not_from_zero(%x: tensor<8xf32>) {
  // expected-error @+1 {{'sinter.parameter_starts' must be an array of increasing offsets from 0}}
  %0 = sinter.relu %x {sinter.parameter_starts = array<i64: 16, 32>} : tensor<8xf32>
  return
}

// -----

func.func @parameter_starts_not_increasing(%x: tensor<8xf32>) {
  // expected-error @+1 {{'sinter.parameter_starts' must be an array of increasing offsets from 0}}
  %0 = sinter.relu %x {sinter.parameter_starts = array<i64: 0, 32, 32>} : tensor<8xf32>
  return
}

// -----

func.func @causal_letters_not_two(%x: tensor<8xf32>) {
  // expected-error @+1 {{'sinter.causal_letters' must be a string of two letters of the contraction's terms}}
  %0 = sinter.relu %x {sinter.causal_letters = "t"} : tensor<8xf32>
  return
}
