// RUN: sinter-opt %s --split-input-file --sinter-build-train-step --sinter-embed-manifest="default-rows=4" | FileCheck %s

module attributes {sinter.loss = "sparse_categorical_crossentropy",
                   sinter.model_name = "tiny",
                   sinter.optimizer = {name = "rmsprop", centered = true},
                   sinter.layers = [{name = "d", class = "Dense", shape = array<i64: 3>, params = 9 : i64}]} {
  func.func @forward(%x: tensor<?x2xf32> {sinter.input = "pixels"},
                     %w: tensor<2x3xf32> {sinter.param = "d.kernel", sinter.init = {class = "RandomUniform", minval = -1.0 : f32, seed = 7 : i64}},
                     %b: tensor<3xf32> {sinter.param = "d.bias"}) -> tensor<?x3xf32> {
    %0 = sinter.matmul %x, %w : tensor<?x2xf32>, tensor<2x3xf32> -> tensor<?x3xf32>
    %1 = sinter.bias_add %0, %b : tensor<?x3xf32>, tensor<3xf32>
    %2 = sinter.softmax %1 : tensor<?x3xf32>
    return %2 : tensor<?x3xf32>
  }
}

// CHECK-DAG: llvm.mlir.global external constant @sinter_default_data(dense<{{.*}}> : tensor<12xf32>) {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<12 x f32>
// CHECK-DAG: llvm.mlir.global external constant @sinter_manifest("sinter-manifest 6\0Amodel tiny\0Aloss sparse_categorical_crossentropy\0Aoptimizer rmsprop centered=1 clipnorm=0 epsilon=1.00000001e-07 global_clipnorm=0 learning_rate=0.00100000005 momentum=0 rho=0.899999976 weight_decay=0\0Ainput pixels 2\0Aoutput 3\0Atarget labels 1\0Aparam d.kernel 2,3 0 RandomUniform minval=-1 seed=7\0Aparam d.bias 3 16 Zeros\0Aparam_elems 32\0Aslot velocity\0Aslot average_gradient\0Alayer d Dense 3 9\0Adefault_data 4 2 1\0Aend\0A\00")

// -----

// An input that indexes embedding tables gets a `tokens` line with the
// smallest table's rows, here also through the call into the training pass;
// its synthetic default data are ids of that vocabulary.
module attributes {sinter.loss = "sparse_categorical_crossentropy",
                   sinter.optimizer = {name = "sgd"}} {
  func.func @forward(%ids: tensor<?x3xf32> {sinter.input = "ids"},
                     %other: tensor<?x3xf32> {sinter.input = "other"},
                     %big: tensor<9x2xf32> {sinter.param = "big.embeddings"},
                     %small: tensor<7x2xf32> {sinter.param = "small.embeddings"}) -> tensor<?x3x2xf32> {
    %0 = sinter.embedding %ids, %big : tensor<?x3xf32>, tensor<9x2xf32> -> tensor<?x3x2xf32>
    %1 = sinter.embedding %ids, %small : tensor<?x3xf32>, tensor<7x2xf32> -> tensor<?x3x2xf32>
    %2 = sinter.add %0, %1 : tensor<?x3x2xf32>
    %3 = sinter.softmax %2 : tensor<?x3x2xf32>
    return %3 : tensor<?x3x2xf32>
  }
}

// CHECK: @sinter_manifest("sinter-manifest 6\0Amodel model\0Aloss sparse_categorical_crossentropy\0Aoptimizer sgd {{[^"]*}}\0Ainput ids 3\0Atokens ids 7\0Ainput other 3\0Aoutput 3,2\0A
// The first row's ids, then its floats.
// CHECK: @sinter_default_data(dense<[0.000000e+00, 4.000000e+00, 6.000000e+00, -0.703088283,
