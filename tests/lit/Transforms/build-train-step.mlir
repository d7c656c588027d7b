// RUN: sinter-opt %s --split-input-file --sinter-build-train-step --verify-diagnostics | FileCheck %s

// A value used twice (%h feeds both matmuls) gets one sinter.add of its
// cotangents; bias gradients reduce over the batch; updates come after every
// backward op and the labels get no gradient.
module attributes {sinter.loss = "sparse_categorical_crossentropy",
                   sinter.optimizer = {name = "SGD", momentum = 0.9 : f32}} {
  func.func @forward(%x: tensor<?x4xf32> {sinter.input = "x"},
                     %w: tensor<4x4xf32> {sinter.param = "d.kernel"},
                     %b: tensor<4xf32> {sinter.param = "d.bias"},
                     %v: tensor<4x3xf32> {sinter.param = "out.kernel"}) -> tensor<?x3xf32> {
    %0 = sinter.matmul %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %h = sinter.bias_add %0, %b : tensor<?x4xf32>, tensor<4xf32>
    %1 = sinter.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %2 = sinter.tanh %1 : tensor<?x4xf32>
    %3 = sinter.matmul %2, %v : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %4 = sinter.softmax %3 : tensor<?x3xf32>
    return %4 : tensor<?x3xf32>
  }
}

// The inference pass exists once, private, and predict and evaluate call
// it; so does the training pass (forward, loss, gradients), which
// gradients and the train step call.
// CHECK-NOT: func.func @forward
// CHECK-LABEL: func.func private @sinter_inference(
// CHECK-SAME: -> tensor<?x3xf32>
// CHECK: sinter.softmax
// CHECK-NOT: _grad
// CHECK: return

// CHECK-LABEL: func.func @sinter_predict(
// CHECK-SAME: {sinter.input = "x"}
// CHECK-SAME: -> tensor<?x3xf32>
// CHECK-NEXT: %[[P:.*]] = call @sinter_inference(%arg0, %arg1, %arg2, %arg3)
// CHECK-NEXT: return %[[P]]

// CHECK-LABEL: func.func @sinter_evaluate(
// CHECK-SAME: %{{.*}}: tensor<?xi32> {sinter.target = "labels"}
// CHECK-SAME: -> (f32, tensor<?x3xf32>)
// CHECK: call @sinter_inference(%arg0, %arg2, %arg3, %arg4)
// CHECK: sinter.sparse_categorical_crossentropy
// CHECK-NOT: _grad
// CHECK: return

// CHECK-LABEL: func.func private @sinter_training_pass(
// CHECK-SAME: -> (f32, tensor<4x4xf32>, tensor<4xf32>, tensor<4x3xf32>)
// CHECK: %[[SEED:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DP:.*]] = sinter.sparse_categorical_crossentropy_grad %{{.*}}, %{{.*}}, %[[SEED]]
// CHECK: sinter.softmax_grad
// CHECK: sinter.tanh_grad
// Second use of %w first (reverse order), then the first use; summed once.
// CHECK: %[[DW2:.*]] = sinter.matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<4x4xf32>
// CHECK: sinter.bias_add_grad %{{.*}} : tensor<?x4xf32> -> tensor<4xf32>
// CHECK: %[[DW1:.*]] = sinter.matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<4x4xf32>
// CHECK: %[[DW:.*]] = sinter.add %[[DW2]], %[[DW1]] : tensor<4x4xf32>
// CHECK-NOT: sinter.add
// CHECK: return %{{.*}}, %[[DW]]

// CHECK-LABEL: func.func @sinter_gradients(
// CHECK-SAME: -> (f32, tensor<4x4xf32>, tensor<4xf32>, tensor<4x3xf32>)
// CHECK-NEXT: %[[G:.*]]:4 = call @sinter_training_pass(%arg0, %arg1, %arg2, %arg3, %arg4)
// CHECK-NEXT: return %[[G]]#0, %[[G]]#1, %[[G]]#2, %[[G]]#3

// CHECK-LABEL: func.func @sinter_train_step(
// CHECK-SAME: {sinter.slot = "d.kernel/momentum"}
// CHECK-SAME: {sinter.hyper = "learning_rate"}
// CHECK-SAME: {sinter.hyper = "iteration"}
// CHECK-NEXT: %[[T:.*]]:4 = call @sinter_training_pass(%arg0, %arg1, %arg2, %arg3, %arg4)
// CHECK-NEXT: sinter.sgd_update %arg2, %[[T]]#1 slots({{.*}}) lr {{.*}} {momentum = 0.899999976 : f32}
// CHECK-NOT: sinter.matmul
// CHECK: sinter.sgd_update
// CHECK: sinter.sgd_update
// CHECK: return

// -----

// A parameter the loss does not reach gets a zero gradient, not an error.
module attributes {sinter.loss = "mse", sinter.optimizer = {name = "adam"}} {
  func.func @forward(%x: tensor<?x2xf32> {sinter.input = "x"},
                     %w: tensor<2x2xf32> {sinter.param = "a.kernel"},
                     %unused: tensor<2xf32> {sinter.param = "b.bias"}) -> tensor<?x2xf32> {
    %0 = sinter.matmul %x, %w : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
    return %0 : tensor<?x2xf32>
  }
}
// CHECK-LABEL: func.func private @sinter_training_pass(
// CHECK: sinter.mean_squared_error_grad
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[ZERO]]
// The optimizer dictionary is completed with the Keras defaults.
// CHECK-LABEL: func.func @sinter_train_step(
// CHECK: sinter.adam_update {{.*}} {beta_1 = 0.899999976 : f32, beta_2 = 9.990000e-01 : f32, epsilon = 1.000000e-07 : f32}

// -----

module attributes {sinter.loss = "mse", sinter.optimizer = {name = "adam"}} {
  func.func @forward(%x: tensor<?x2xf32> {sinter.input = "x"},
                     %w: tensor<2x2xf32> {sinter.param = "a.kernel"}) -> tensor<?x2xf32> {
    %0 = sinter.matmul %x, %w : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
    // expected-error @+1 {{'sinter.relu_grad' op has no VJP rule, so Sinter cannot train through it}}
    %1 = sinter.relu_grad %0, %0 : tensor<?x2xf32>
    return %1 : tensor<?x2xf32>
  }
}

// -----

// expected-error @+1 {{unknown loss 'hinge' (supported: mean_squared_error, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy)}}
module attributes {sinter.loss = "hinge", sinter.optimizer = {name = "adam"}} {
  func.func @forward(%x: tensor<?x2xf32> {sinter.input = "x"}) -> tensor<?x2xf32> {
    return %x : tensor<?x2xf32>
  }
}

// -----

// expected-error @+1 {{optimizer Adam has no hyperparameter 'momentum'}}
module attributes {sinter.loss = "mse", sinter.optimizer = {name = "adam", momentum = 0.5 : f32}} {
  func.func @forward(%x: tensor<?x2xf32> {sinter.input = "x"}) -> tensor<?x2xf32> {
    return %x : tensor<?x2xf32>
  }
}

// -----

// expected-error @+1 {{no loss: set the 'sinter.loss' attribute}}
module attributes {sinter.optimizer = {name = "adam"}} {
  func.func @forward(%x: tensor<?x2xf32> {sinter.input = "x"}) -> tensor<?x2xf32> {
    return %x : tensor<?x2xf32>
  }
}

// -----

// expected-error @+1 {{expected a func.func @forward to train}}
module attributes {sinter.loss = "mse", sinter.optimizer = {name = "adam"}} {
}

// -----

module attributes {sinter.loss = "mse", sinter.optimizer = {name = "adam"}} {
  // expected-error @+1 {{argument 1 is marked neither 'sinter.input' nor 'sinter.param'}}
  func.func @forward(%x: tensor<?x2xf32> {sinter.input = "x"}, %y: tensor<2xf32>) -> tensor<?x2xf32> {
    return %x : tensor<?x2xf32>
  }
}

// -----

// Dropout trains only in the train step: there it becomes a dropout_mask
// keyed on the iteration, applied again to the cotangent; predict, evaluate
// and gradients use the identity.
module attributes {sinter.loss = "mse", sinter.optimizer = {name = "sgd"}} {
  func.func @forward(%x: tensor<?x4xf32> {sinter.input = "x"},
                     %w: tensor<4x2xf32> {sinter.param = "d.kernel"}) -> tensor<?x2xf32> {
    %0 = sinter.dropout %x {rate = 0.5 : f32, seed = 7} : tensor<?x4xf32>
    %1 = sinter.matmul %0, %w : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
    %2 = sinter.dropout %1 {rate = 0.25 : f32, seed = 8} : tensor<?x2xf32>
    return %2 : tensor<?x2xf32>
  }
}

// Random ops differ between gradients and the train step, so each keeps
// its own training pass: there is no shared one.
// CHECK-LABEL: func.func private @sinter_inference(
// CHECK-NOT: sinter.dropout
// CHECK: return
// CHECK-NOT: @sinter_training_pass
// CHECK-LABEL: func.func @sinter_gradients(
// CHECK-NOT: sinter.dropout
// CHECK: return
// CHECK-LABEL: func.func @sinter_train_step(
// CHECK-SAME: %[[IT:[a-z0-9]+]]: f32 {sinter.hyper = "iteration"}
// CHECK: %[[D0:.*]] = sinter.dropout_mask %arg0, %[[IT]] {rate = 5.000000e-01 : f32, seed = 7 : i64}
// CHECK: %[[MM:.*]] = sinter.matmul %[[D0]], %arg2
// CHECK: %[[D1:.*]] = sinter.dropout_mask %[[MM]], %[[IT]] {rate = 2.500000e-01 : f32, seed = 8 : i64}
// CHECK: %[[G:.*]] = sinter.mean_squared_error_grad %[[D1]]
// CHECK: %[[GM:.*]] = sinter.dropout_mask %[[G]], %[[IT]] {rate = 2.500000e-01 : f32, seed = 8 : i64}
// CHECK: sinter.matmul %[[D0]], %[[GM]] {transpose_lhs}
// CHECK-NOT: sinter.dropout
// CHECK: return

// -----

// BatchNormalization: predict and evaluate normalize by the moving
// statistics; gradients and the train step by the batch's (channel_mean),
// differentiated through; the train step returns the moved statistics in
// place of the old and gives them no optimizer update.
module attributes {sinter.loss = "mse", sinter.optimizer = {name = "sgd"}} {
  func.func @forward(%x: tensor<?x2xf32> {sinter.input = "x"},
                     %mean: tensor<2xf32> {sinter.param = "bn.moving_mean", sinter.frozen},
                     %var: tensor<2xf32> {sinter.param = "bn.moving_variance", sinter.frozen},
                     %gamma: tensor<2xf32> {sinter.param = "d.gamma"}) -> tensor<?x2xf32> {
    %0 = sinter.scale_channels %x, %gamma : tensor<?x2xf32>, tensor<2xf32>
    %1 = sinter.batch_norm %0, %mean, %var {epsilon = 0.001 : f32, momentum = 0.75 : f32} : tensor<?x2xf32>, tensor<2xf32>
    return %1 : tensor<?x2xf32>
  }
}

// CHECK-LABEL: func.func private @sinter_inference(
// CHECK: %[[H:.*]] = sinter.scale_channels %arg0, %arg3
// CHECK: %[[NEG:.*]] = sinter.scale %arg1 {factor = -1.000000e+00 : f32}
// CHECK: %[[C:.*]] = sinter.bias_add %[[H]], %[[NEG]]
// CHECK: %[[VE:.*]] = sinter.scale %arg2 {factor = 1.000000e+00 : f32, offset = 1.000000e-03 : f32}
// CHECK: %[[INV:.*]] = sinter.rsqrt %[[VE]]
// CHECK: sinter.scale_channels %[[C]], %[[INV]]
// CHECK-NOT: sinter.channel_mean
// CHECK: return
// The training pass returns the moved statistics after the gradients.
// CHECK-LABEL: func.func private @sinter_training_pass(
// CHECK-SAME: -> (f32, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
// CHECK: %[[H:.*]] = sinter.scale_channels %arg0, %arg4
// CHECK: %[[MEAN:.*]] = sinter.channel_mean %[[H]] : tensor<?x2xf32> -> tensor<2xf32>
// CHECK: %[[MC:.*]] = sinter.scale %[[MEAN]] {factor = -1.000000e+00 : f32}
// CHECK: %[[XC:.*]] = sinter.bias_add %[[H]], %[[MC]]
// CHECK: %[[SQ:.*]] = sinter.mul %[[XC]], %[[XC]]
// CHECK: %[[VAR:.*]] = sinter.channel_mean %[[SQ]]
// CHECK: %[[OLDM:.*]] = sinter.scale %arg2 {factor = 7.500000e-01 : f32}
// CHECK: %[[NEWM:.*]] = sinter.scale %[[MEAN]] {factor = 2.500000e-01 : f32}
// CHECK: %[[MOVEDM:.*]] = sinter.add %[[OLDM]], %[[NEWM]]
// CHECK: %[[OLDV:.*]] = sinter.scale %arg3 {factor = 7.500000e-01 : f32}
// CHECK: %[[NEWV:.*]] = sinter.scale %[[VAR]] {factor = 2.500000e-01 : f32}
// CHECK: %[[MOVEDV:.*]] = sinter.add %[[OLDV]], %[[NEWV]]
// CHECK: sinter.rsqrt
// CHECK: sinter.channel_mean_grad
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[MOVEDM]], %[[MOVEDV]] :
// CHECK-LABEL: func.func @sinter_gradients(
// CHECK-NEXT: %[[GR:.*]]:6 = call @sinter_training_pass
// CHECK-NEXT: return %[[GR]]#0, %[[GR]]#1, %[[GR]]#2, %[[GR]]#3 :
// CHECK-LABEL: func.func @sinter_train_step(
// CHECK-NEXT: %[[T:.*]]:6 = call @sinter_training_pass
// CHECK-NEXT: %[[G:.*]] = sinter.sgd_update %arg4, %[[T]]#3
// CHECK-NOT: sinter.sgd_update
// CHECK: return %[[T]]#0, %[[T]]#4, %[[T]]#5, %[[G]] :

// -----

// A layer with moving statistics called twice would update them twice.
module attributes {sinter.loss = "mse", sinter.optimizer = {name = "sgd"}} {
  // expected-error @+1 {{a layer with moving statistics is called more than once}}
  func.func @forward(%x: tensor<?x2xf32> {sinter.input = "x"},
                     %mean: tensor<2xf32> {sinter.param = "bn.moving_mean", sinter.frozen},
                     %var: tensor<2xf32> {sinter.param = "bn.moving_variance", sinter.frozen}) -> tensor<?x2xf32> {
    %0 = sinter.batch_norm %x, %mean, %var {epsilon = 0.001 : f32, momentum = 0.75 : f32} : tensor<?x2xf32>, tensor<2xf32>
    %1 = sinter.batch_norm %0, %mean, %var {epsilon = 0.001 : f32, momentum = 0.75 : f32} : tensor<?x2xf32>, tensor<2xf32>
    return %1 : tensor<?x2xf32>
  }
}

// -----

// global_clipnorm: every trained gradient is scaled by one factor from the
// sum of their squared norms, before the updates.
module attributes {sinter.loss = "mse", sinter.optimizer = {name = "sgd", global_clipnorm = 1.0 : f32}} {
  func.func @forward(%x: tensor<?x4xf32> {sinter.input = "x"},
                     %w: tensor<4x2xf32> {sinter.param = "d.kernel"},
                     %b: tensor<2xf32> {sinter.param = "d.bias"}) -> tensor<?x2xf32> {
    %0 = sinter.matmul %x, %w : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
    %1 = sinter.bias_add %0, %b : tensor<?x2xf32>, tensor<2xf32>
    return %1 : tensor<?x2xf32>
  }
}

// CHECK-LABEL: func.func private @sinter_training_pass(
// CHECK: %[[GB:.*]] = sinter.bias_add_grad
// CHECK: %[[GW:.*]] = sinter.matmul %arg0, %{{.*}} {transpose_lhs}
// CHECK: return %{{.*}}, %[[GW]], %[[GB]]
// CHECK-LABEL: func.func @sinter_gradients(
// CHECK-NOT: clip_by_norm
// CHECK: return
// CHECK-LABEL: func.func @sinter_train_step(
// CHECK: %[[T:.*]]:3 = call @sinter_training_pass
// CHECK: %[[NW:.*]] = sinter.squared_norm %[[T]]#1 : tensor<4x2xf32>
// CHECK: %[[NB:.*]] = sinter.squared_norm %[[T]]#2 : tensor<2xf32>
// CHECK: %[[N:.*]] = sinter.add %[[NW]], %[[NB]] : tensor<f32>
// CHECK: %[[CW:.*]] = sinter.clip_by_norm %[[T]]#1, %[[N]] {max_norm = 1.000000e+00 : f32}
// CHECK: %[[CB:.*]] = sinter.clip_by_norm %[[T]]#2, %[[N]] {max_norm = 1.000000e+00 : f32}
// CHECK: sinter.sgd_update %arg2, %[[CW]]
// CHECK: sinter.sgd_update %arg3, %[[CB]]
