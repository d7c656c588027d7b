// RUN: sinter-opt %s --split-input-file --sinter-fuse-softmax-crossentropy | FileCheck %s

// Sparse labels over a sequence: the loss gradient and the softmax gradient
// become one op; the forward ops stay.
// CHECK-LABEL: func.func @sparse
// CHECK: %[[Y:.*]] = sinter.softmax %arg0
// CHECK: sinter.sparse_categorical_crossentropy %[[Y]], %arg1
// CHECK-NOT: sinter.sparse_categorical_crossentropy_grad
// CHECK-NOT: sinter.softmax_grad
// CHECK: %[[D:.*]] = sinter.softmax_crossentropy_grad %[[Y]], %arg1, %arg2 : tensor<?x4x7xf32>, tensor<?x4xi32>
// CHECK: return %{{.*}}, %[[D]]
func.func @sparse(%z: tensor<?x4x7xf32>, %l: tensor<?x4xi32>, %s: tensor<f32>)
    -> (tensor<f32>, tensor<?x4x7xf32>) {
  %y = sinter.softmax %z : tensor<?x4x7xf32>
  %loss = sinter.sparse_categorical_crossentropy %y, %l : tensor<?x4x7xf32>, tensor<?x4xi32>
  %g = sinter.sparse_categorical_crossentropy_grad %y, %l, %s : tensor<?x4x7xf32>, tensor<?x4xi32>
  %dz = sinter.softmax_grad %y, %g : tensor<?x4x7xf32>
  return %loss, %dz : tensor<f32>, tensor<?x4x7xf32>
}

// -----

// CHECK-LABEL: func.func @dense
// CHECK: %[[D:.*]] = sinter.softmax_crossentropy_grad %arg0, %arg1, %arg2 : tensor<?x3xf32>, tensor<?x3xf32>
// CHECK-NEXT: return %[[D]]
func.func @dense(%y: tensor<?x3xf32>, %t: tensor<?x3xf32>, %s: tensor<f32>) -> tensor<?x3xf32> {
  %g = sinter.categorical_crossentropy_grad %y, %t, %s : tensor<?x3xf32>, tensor<?x3xf32>
  %dz = sinter.softmax_grad %y, %g : tensor<?x3xf32>
  return %dz : tensor<?x3xf32>
}

// -----

// The loss gradient is also returned: it stays, and so does the pair.
// CHECK-LABEL: func.func @gradient_used_elsewhere
// CHECK: sinter.categorical_crossentropy_grad
// CHECK: sinter.softmax_grad
// CHECK-NOT: sinter.softmax_crossentropy_grad
func.func @gradient_used_elsewhere(%y: tensor<?x3xf32>, %t: tensor<?x3xf32>, %s: tensor<f32>)
    -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %g = sinter.categorical_crossentropy_grad %y, %t, %s : tensor<?x3xf32>, tensor<?x3xf32>
  %dz = sinter.softmax_grad %y, %g : tensor<?x3xf32>
  return %dz, %g : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// The loss is taken of other probabilities than the softmax's output.
// CHECK-LABEL: func.func @other_probabilities
// CHECK: sinter.categorical_crossentropy_grad %arg1
// CHECK: sinter.softmax_grad %arg0
// CHECK-NOT: sinter.softmax_crossentropy_grad
func.func @other_probabilities(%y: tensor<?x3xf32>, %p: tensor<?x3xf32>, %t: tensor<?x3xf32>,
                               %s: tensor<f32>) -> tensor<?x3xf32> {
  %g = sinter.categorical_crossentropy_grad %p, %t, %s : tensor<?x3xf32>, tensor<?x3xf32>
  %dz = sinter.softmax_grad %y, %g : tensor<?x3xf32>
  return %dz : tensor<?x3xf32>
}

// -----

// Not a cross-entropy: mean squared error under a softmax stays as it is.
// CHECK-LABEL: func.func @not_crossentropy
// CHECK: sinter.mean_squared_error_grad
// CHECK: sinter.softmax_grad
// CHECK-NOT: sinter.softmax_crossentropy_grad
func.func @not_crossentropy(%y: tensor<?x3xf32>, %t: tensor<?x3xf32>, %s: tensor<f32>) -> tensor<?x3xf32> {
  %g = sinter.mean_squared_error_grad %y, %t, %s : tensor<?x3xf32>, tensor<?x3xf32>
  %dz = sinter.softmax_grad %y, %g : tensor<?x3xf32>
  return %dz : tensor<?x3xf32>
}
