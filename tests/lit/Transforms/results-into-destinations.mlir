// RUN: sinter-opt %s --sinter-build-train-step --sinter-pack-trainer-abi \
// RUN:   --sinter-fuse-optimizer-updates --sinter-results-into-destinations \
// RUN:   | FileCheck %s
// After empty-tensor elimination the training pass computes the moved
// gradients in its new arguments: no allocation, no copy for them.
// RUN: sinter-opt %s --sinter-build-train-step --sinter-pack-trainer-abi \
// RUN:   --sinter-fuse-optimizer-updates --sinter-results-into-destinations \
// RUN:   --sinter-lower-to-linalg --eliminate-empty-tensors \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   --canonicalize | FileCheck %s --check-prefix=INPLACE

// As in fuse-optimizer-updates.mlir: e.kernel's and e.bias's steps fuse,
// so both callers of the training pass (the gradients entry point and the
// train step) write those two gradients straight into a buffer; d.kernel's
// gradient feeds a step of its own in the train step and stays a result.
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

// The destinations take any offset: one type for every caller's window.
// CHECK-LABEL: func.func private @sinter_training_pass(
// CHECK-SAME: %[[GK:[^:]*]]: memref<2x2xf32, strided<[2, 1], offset: ?>>, %[[GB:[^:]*]]: memref<2xf32, strided<[1], offset: ?>>)
// CHECK-SAME: -> (f32, tensor<3x2xf32>, tensor<2xf32>)
// CHECK-DAG: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[GK]]
// CHECK-DAG: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[GB]]
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}} : f32, tensor<3x2xf32>, tensor<2xf32>

// The gradients entry point passes windows of its output buffer.
// CHECK-LABEL: func.func @sinter_gradients(
// CHECK-SAME: %[[OUT:[^:]*]]: memref<64xf32>) -> f32
// CHECK: %[[W:.*]] = memref.subview %[[OUT]][32] [4] [1]
// CHECK: %[[WK:.*]] = memref.expand_shape %[[W]]
// CHECK: %[[WB:.*]] = memref.subview %[[OUT]][48] [2] [1]
// CHECK: %[[CK:.*]] = memref.cast %[[WK]] : memref<2x2xf32, strided<[2, 1], offset: 32>> to memref<2x2xf32, strided<[2, 1], offset: ?>>
// CHECK: %[[CB:.*]] = memref.cast %[[WB]]
// CHECK: %[[R:.*]]:3 = call @sinter_training_pass({{.*}}, %[[CK]], %[[CB]])
// CHECK-NOT: materialize_in_destination %[[R]]#3
// CHECK: return %[[R]]#0

// The train step passes windows of its gradient buffer.
// CHECK-LABEL: func.func @sinter_train_step(
// CHECK: %[[G:.*]] = memref.alloc() : memref<64xf32>
// CHECK: %[[GW:.*]] = memref.subview %[[G]][32] [4] [1]
// CHECK: call @sinter_training_pass({{.*}}, %{{.*}}, %{{.*}}) : ({{.*}}, memref<2x2xf32, strided<[2, 1], offset: ?>>, memref<2xf32, strided<[1], offset: ?>>) -> (f32, tensor<3x2xf32>, tensor<2xf32>)

// INPLACE-LABEL: func.func private @sinter_training_pass(
// INPLACE-SAME: %[[GK:[^:]*]]: memref<2x2xf32, strided<[2, 1], offset: ?>>, %[[GB:[^:]*]]: memref<2xf32, strided<[1], offset: ?>>)
// INPLACE-NOT: memref.copy
// INPLACE: linalg.fill ins(%{{.*}} : f32) outs(%[[GB]] :
// INPLACE-NEXT: linalg.generic {{.*}} outs(%[[GB]] :
// INPLACE-NOT: memref.copy
// INPLACE: linalg.fill ins(%{{.*}} : f32) outs(%[[GK]] :
// INPLACE-NEXT: linalg.generic {{.*}} outs(%[[GK]] :
// INPLACE-NOT: memref.copy
// INPLACE: return
