// RUN: sinter-opt %s --sinter-build-train-step --sinter-pack-trainer-abi | FileCheck %s
// Parameters and slots must be updated in place: after One-Shot Bufferize
// (and the canonicalizer's removal of the self-copies it leaves) the train
// step copies nothing: the updates write into the parameter buffer.
// RUN: sinter-opt %s --sinter-build-train-step --sinter-lower-to-linalg \
// RUN:   --sinter-pack-trainer-abi --canonicalize \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   --canonicalize | FileCheck %s --check-prefix=INPLACE

module attributes {sinter.loss = "mse", sinter.optimizer = {name = "adam"}} {
  func.func @forward(%x: tensor<?x3xf32> {sinter.input = "x"},
                     %w: tensor<3x2xf32> {sinter.param = "d.kernel"},
                     %b: tensor<2xf32> {sinter.param = "d.bias"}) -> tensor<?x2xf32> {
    %0 = sinter.matmul %x, %w : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
    %1 = sinter.bias_add %0, %b : tensor<?x2xf32>, tensor<2xf32>
    %2 = sinter.sigmoid %1 : tensor<?x2xf32>
    return %2 : tensor<?x2xf32>
  }
}

// The shared passes take the entry points' windows as they are (d.bias at
// offset 16), so that no call copies a parameter into a fresh buffer.
// CHECK-LABEL: func.func private @sinter_inference(
// CHECK-SAME: %{{.*}}: memref<?x3xf32>, %{{.*}}: memref<3x2xf32>, %{{.*}}: memref<2xf32, strided<[1], offset: 16>>) -> tensor<?x2xf32>
// CHECK: bufferization.to_tensor %arg2 restrict : memref<2xf32, strided<[1], offset: 16>>

// Layout: d.kernel (6 floats) at 0, d.bias at 16 (64-byte aligned): 32.
// CHECK-LABEL: func.func @sinter_predict(
// CHECK-SAME: %[[X:.*]]: memref<?xf32>, %[[P:.*]]: memref<32xf32>, %[[OUT:.*]]: memref<?xf32>)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK: %[[B:.*]] = arith.divui
// CHECK: memref.expand_shape %[[X]] {{\[\[}}0, 1]] output_shape [%[[B]], 3]
// CHECK: bufferization.to_tensor %{{.*}} restrict : memref<?x3xf32>
// CHECK: memref.subview %[[P]][0] [6] [1]
// CHECK: %[[BIAS:.*]] = memref.subview %[[P]][16] [2] [1]
// CHECK: call @sinter_inference(%{{.*}}, %{{.*}}, %[[BIAS]]) : (memref<?x3xf32>, memref<3x2xf32>, memref<2xf32, strided<[1], offset: 16>>)
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable
// CHECK-NEXT: return{{$}}

// CHECK-LABEL: func.func @sinter_evaluate(
// CHECK-SAME: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<32xf32>, %{{.*}}: memref<?xf32>) -> f32

// CHECK-LABEL: func.func private @sinter_training_pass(
// CHECK-SAME: memref<?x3xf32>, %{{.*}}: memref<?x2xf32>, %{{.*}}: memref<3x2xf32>, %{{.*}}: memref<2xf32, strided<[1], offset: 16>>) -> (f32, tensor<3x2xf32>, tensor<2xf32>)

// CHECK-LABEL: func.func @sinter_gradients(
// CHECK-SAME: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<32xf32>, %[[G:.*]]: memref<32xf32>) -> f32
// CHECK: memref.subview %[[G]][0] [6] [1]
// CHECK: memref.subview %[[G]][16] [2] [1]

// Slot k of parameter p sits at k * 32 + offset(p).
// CHECK-LABEL: func.func @sinter_train_step(
// CHECK-SAME: %{{.*}}: memref<32xf32>, %[[S:.*]]: memref<64xf32>, %{{.*}}: f32, %{{.*}}: f32) -> f32
// CHECK-DAG: memref.subview %[[S]][0] [6] [1]
// CHECK-DAG: memref.subview %[[S]][16] [2] [1]
// CHECK-DAG: memref.subview %[[S]][32] [6] [1]
// CHECK-DAG: memref.subview %[[S]][48] [2] [1]
// CHECK-COUNT-4: bufferization.materialize_in_destination

// INPLACE-LABEL: func.func @sinter_train_step(
// INPLACE-NOT: memref.copy
// INPLACE: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}}, %{{.*}} : memref<3x2xf32>, memref<3x2xf32>, memref<3x2xf32, strided<[2, 1], offset: 32>>)
// INPLACE-NOT: memref.copy
// INPLACE: return
