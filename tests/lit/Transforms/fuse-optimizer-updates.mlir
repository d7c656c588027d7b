// RUN: sinter-opt %s --sinter-build-train-step --sinter-pack-trainer-abi \
// RUN:   --sinter-fuse-optimizer-updates | FileCheck %s

// Layout (16-float alignment): d.kernel [0, 6), d.bias [16, 18) frozen,
// e.kernel [32, 36), e.bias [48, 50); Adam's m at +0, v at +64 in the
// slot buffer. The frozen bias has no step, so d.kernel's step stands
// alone; e.kernel and e.bias, apart only by padding, become one step over
// [32, 50), which records where each starts in it (0 and 16).
module attributes {sinter.loss = "mse", sinter.optimizer = {name = "adam"}} {
  func.func @forward(%x: tensor<?x3xf32> {sinter.input = "x"},
                     %w: tensor<3x2xf32> {sinter.param = "d.kernel"},
                     %b: tensor<2xf32> {sinter.param = "d.bias", sinter.frozen},
                     %w2: tensor<2x2xf32> {sinter.param = "e.kernel"},
                     %b2: tensor<2xf32> {sinter.param = "e.bias"}) -> tensor<?x2xf32> {
    %0 = sinter.matmul %x, %w : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
    %1 = sinter.bias_add %0, %b : tensor<?x2xf32>, tensor<2xf32>
    %2 = sinter.matmul %1, %w2 : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
    %3 = sinter.bias_add %2, %b2 : tensor<?x2xf32>, tensor<2xf32>
    return %3 : tensor<?x2xf32>
  }
}

// CHECK-LABEL: func.func @sinter_train_step(
// CHECK-SAME: %[[X:[^:]*]]: memref<?xf32>, %[[Y:[^:]*]]: memref<?xf32>, %[[P:[^:]*]]: memref<64xf32>, %[[S:[^:]*]]: memref<128xf32>, %[[LR:[^:]*]]: f32, %[[IT:[^:]*]]: f32)
// The gradient buffer, laid out like the parameters.
// CHECK: %[[G:.*]] = memref.alloc() : memref<64xf32>
// CHECK: %[[GRADS:.*]]:5 = call @sinter_training_pass
// CHECK: sinter.adam_update %{{.*}}, %[[GRADS]]#1 slots({{.*}} : tensor<3x2xf32>, tensor<3x2xf32>) lr %[[LR]] iteration %[[IT]]
// Each gradient into its window, zeros into the padding between them.
// CHECK: %[[GW:.*]] = memref.subview %[[G]][32] [4] [1]
// CHECK: %[[GW2:.*]] = memref.expand_shape %[[GW]] {{\[\[}}0, 1]] output_shape [2, 2]
// CHECK: bufferization.materialize_in_destination %[[GRADS]]#3 in restrict writable %[[GW2]]
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<12xf32>
// CHECK: %[[PAD:.*]] = memref.subview %[[G]][36] [12] [1]
// CHECK: bufferization.materialize_in_destination %[[ZERO]] in restrict writable %[[PAD]]
// CHECK: %[[GB:.*]] = memref.subview %[[G]][48] [2] [1]
// CHECK: bufferization.materialize_in_destination %[[GRADS]]#4 in restrict writable %[[GB]]
// One step over the run's windows, written back into them.
// CHECK: %[[PW:.*]] = memref.subview %[[P]][32] [18] [1]
// CHECK: %[[MW:.*]] = memref.subview %[[S]][32] [18] [1]
// CHECK: %[[VW:.*]] = memref.subview %[[S]][96] [18] [1]
// CHECK: %[[PT:.*]] = bufferization.to_tensor %[[PW]] restrict writable
// CHECK: %[[GALL:.*]] = memref.subview %[[G]][32] [18] [1]
// CHECK: %[[GT:.*]] = bufferization.to_tensor %[[GALL]] restrict :
// CHECK: %[[MT:.*]] = bufferization.to_tensor %[[MW]] restrict writable
// CHECK: %[[VT:.*]] = bufferization.to_tensor %[[VW]] restrict writable
// CHECK: %[[NP:.*]], %[[NS:.*]]:2 = sinter.adam_update %[[PT]], %[[GT]] slots(%[[MT]], %[[VT]] : tensor<18xf32>, tensor<18xf32>) lr %[[LR]] iteration %[[IT]] {beta_1 = 0.899999976 : f32, beta_2 = 9.990000e-01 : f32, epsilon = 1.000000e-07 : f32, sinter.parameter_starts = array<i64: 0, 16>} : tensor<18xf32>
// CHECK: bufferization.materialize_in_destination %[[NP]] in restrict writable %[[PW]]
// CHECK: bufferization.materialize_in_destination %[[NS]]#0 in restrict writable %[[MW]]
// CHECK: bufferization.materialize_in_destination %[[NS]]#1 in restrict writable %[[VW]]
// CHECK-NOT: sinter.adam_update
// CHECK: return
