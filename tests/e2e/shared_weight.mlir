// A graph-stage model no Keras Sequential file can express: the kernel %w is
// used twice, so its gradient is the sum of two cotangents (sinter.add).
// test_training.py compiles it and checks the gradients by finite
// differences.
module attributes {sinter.loss = "sparse_categorical_crossentropy",
                   sinter.model_name = "shared",
                   sinter.optimizer = {name = "adam"}} {
  func.func @forward(%x: tensor<?x4xf32> {sinter.input = "x"},
                     %w: tensor<4x4xf32> {sinter.param = "d.kernel", sinter.init = {class = "GlorotUniform"}},
                     %b: tensor<4xf32> {sinter.param = "d.bias", sinter.init = {class = "RandomNormal", stddev = 0.1 : f32}},
                     %v: tensor<4x3xf32> {sinter.param = "out.kernel", sinter.init = {class = "GlorotNormal"}}) -> tensor<?x3xf32> {
    %0 = sinter.matmul %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %h = sinter.bias_add %0, %b : tensor<?x4xf32>, tensor<4xf32>
    %1 = sinter.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %2 = sinter.tanh %1 : tensor<?x4xf32>
    %3 = sinter.add %2, %h : tensor<?x4xf32>
    %4 = sinter.matmul %3, %v : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %5 = sinter.softmax %4 : tensor<?x3xf32>
    return %5 : tensor<?x3xf32>
  }
}
