//===- SinterOps.td - the Sinter network dialect ------------*- tablegen -*-===//
//
// Network-level ops on ranked tensors. The batch dimension is the leading one
// and may be dynamic. Three families:
//   * forward ops (matmul, bias_add, activations, losses): each implements
//     VJPOpInterface, so autodiff can differentiate it;
//   * gradient ops (`*_grad`): emitted by VJP rules, never differentiated;
//   * optimizer updates: emitted by the train-step pass, one per parameter.
//
//===----------------------------------------------------------------------===//

#ifndef SINTER_OPS
#define SINTER_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinTypes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "dialects/Sinter/IR/SinterInterfaces.td"

def Sinter_Dialect : Dialect {
  let name = "sinter";
  let summary = "Network-level ops for compiling training steps";
  let description = [{
    Sinter's network dialect: the layers of a model as ops on tensors, the
    losses, the gradient ops their VJP rules emit and the optimizer updates.
    A model arrives as `func.func @forward`; the train-step pass turns it
    into `@sinter_train_step`, `@sinter_gradients`, `@sinter_evaluate` and
    `@sinter_predict`.
  }];
  let cppNamespace = "::sinter";
  // Module attributes `sinter.loss` and `sinter.optimizer` are checked here.
  let hasOperationAttrVerify = 1;
}

class Sinter_Op<string mnemonic, list<Trait> traits = []>
    : Op<Sinter_Dialect, mnemonic, !listconcat([Pure], traits)>;

def F32RankedTensor : RankedTensorOf<[F32]>;
def F32Scalar : 0DTensorOf<[F32]> {
  let builderCall = "::mlir::RankedTensorType::get({}, $_builder.getF32Type())";
}
// Class labels: the prediction's shape without its last (class) dimension.
def I32Labels : RankedTensorOf<[I32]>;

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def Sinter_MatmulOp : Sinter_Op<"matmul",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>]> {
  let summary = "2-D matrix product, optionally transposing either side";
  let description = [{
    `result = op(lhs) · op(rhs)` where `op` transposes the operand when its
    `transpose_*` flag is set. Dense layers use it as `x · kernel`; its own
    VJP uses the transposed forms for `dx = g · kernelᵀ` and `dW = xᵀ · g`.

    ```mlir
    %y = sinter.matmul %x, %w : tensor<?x784xf32>, tensor<784x10xf32> -> tensor<?x10xf32>
    %dw = sinter.matmul %x, %g {transpose_lhs} : tensor<?x784xf32>, tensor<?x10xf32> -> tensor<784x10xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$lhs, F32RankedTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  // Ranks and contraction/result sizes must agree.
  let hasVerifier = 1;
}

def Sinter_ContractOp : Sinter_Op<"contract",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>]> {
  let summary = "a tensor contraction written as an einsum";
  let description = [{
    `spec` names each dimension of `lhs`, `rhs` and the result with a letter
    (`"btd,dhk->bthk"`); letters of the result are kept, the others are
    summed over. Every letter of an operand appears in the other operand or
    in the result, so the VJP is two more contractions:
    `dlhs = contract(g, rhs, "c,b->a")`, `drhs = contract(g, lhs, "c,a->b")`
    for `spec = "a,b->c"`. Dense layers on sequences and attention use it.

    ```mlir
    %q = sinter.contract %x, %w {spec = "btd,dhk->bthk"}
        : tensor<?x8x16xf32>, tensor<16x4x4xf32> -> tensor<?x8x4x4xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$lhs, F32RankedTensor:$rhs,
                       StrAttr:$spec);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  // The spec must parse, match the ranks, agree on each letter's size and
  // keep every operand letter in the other operand or the result.
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The spec's three letter strings: lhs, rhs, result.
    std::array<::llvm::StringRef, 3> getTerms();
  }];
}

def Sinter_BiasAddOp : Sinter_Op<"bias_add",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>,
     AllTypesMatch<["input", "result"]>]> {
  let summary = "adds a bias over the trailing dimensions";
  let description = [{
    `result[..., i, j] = input[..., i, j] + bias[i, j]`: the bias has the
    shape of the input's trailing dimensions (a Dense bias `[units]`, a
    positional embedding `[length, dim]`, attention biases `[heads, dim]`).

    ```mlir
    %y = sinter.bias_add %x, %b : tensor<?x10xf32>, tensor<10xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32RankedTensor:$bias);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input `,` $bias attr-dict `:` type($input) `,` type($bias)";
  // The bias shape must equal the input's trailing dimensions.
  let hasVerifier = 1;
}

def Sinter_BiasAddGradOp : Sinter_Op<"bias_add_grad"> {
  let summary = "sums a cotangent over its leading dimensions";
  let description = [{
    The bias gradient of `sinter.bias_add` (and of `sinter.scale_channels`'
    scale): reduces `grad` to the shape of its trailing dimensions.

    ```mlir
    %db = sinter.bias_add_grad %g : tensor<?x10xf32> -> tensor<10xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$grad);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$grad attr-dict `:` type($grad) `->` type($result)";
  // The result shape must equal the cotangent's trailing dimensions.
  let hasVerifier = 1;
}

def Sinter_ScaleChannelsOp : Sinter_Op<"scale_channels",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>,
     AllTypesMatch<["input", "result"]>]> {
  let summary = "multiplies by a scale over the trailing dimensions";
  let description = [{
    `result[..., i] = input[..., i] * scale[i]`, the scale shaped like the
    input's trailing dimensions (a normalization's gamma).

    ```mlir
    %y = sinter.scale_channels %x, %gamma : tensor<?x8x16xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32RankedTensor:$scale);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input `,` $scale attr-dict `:` type($input) `,` type($scale)";
  // The scale shape must equal the input's trailing dimensions.
  let hasVerifier = 1;
}

def Sinter_AddOp : Sinter_Op<"add",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>, Commutative,
     SameOperandsAndResultType]> {
  let summary = "elementwise sum of two tensors of one type";
  let description = [{
    Also accumulates the gradients of a value used more than once.

    ```mlir
    %z = sinter.add %x, %y : tensor<?x4xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$lhs, F32RankedTensor:$rhs);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Sinter_SubOp : Sinter_Op<"sub",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>,
     SameOperandsAndResultType]> {
  let summary = "elementwise difference of two tensors of one type";
  let description = [{
    ```mlir
    %z = sinter.sub %x, %y : tensor<?x4xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$lhs, F32RankedTensor:$rhs);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Sinter_MulOp : Sinter_Op<"mul",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>, Commutative,
     SameOperandsAndResultType]> {
  let summary = "elementwise product of two tensors of one type";
  let description = [{
    ```mlir
    %z = sinter.mul %x, %y : tensor<?x4xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$lhs, F32RankedTensor:$rhs);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Sinter_ScaleOp : Sinter_Op<"scale",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>,
     SameOperandsAndResultType]> {
  let summary = "an affine map of every element: factor * x + offset";
  let description = [{
    Keras' Rescaling layer; Average is a sum scaled by 1/n, and a
    difference's second cotangent is a scale by -1.

    ```mlir
    %h = sinter.scale %x {factor = 3.921569e-03 : f32, offset = -5.000000e-01 : f32} : tensor<?x784xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32Attr:$factor,
                       DefaultValuedAttr<F32Attr, "0.0f">:$offset);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Sinter_ReshapeOp : Sinter_Op<"reshape",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>]> {
  let summary = "gives each example a new shape with the same elements";
  let description = [{
    The batch dimension stays; the per-example elements are reread in
    row-major order (Keras Flatten and Reshape).

    ```mlir
    %f = sinter.reshape %x : tensor<?x28x28xf32> -> tensor<?x784xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  // Batches agree; per-example element counts are static and equal.
  let hasVerifier = 1;
}

def Sinter_TransposeOp : Sinter_Op<"transpose",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>]> {
  let summary = "permutes the dimensions of each example";
  let description = [{
    `result` dimension `j` is `input` dimension `permutation[j]`; the batch
    stays first (`permutation[0] = 0`). Keras' Permute; the VJP is the
    inverse permutation.

    ```mlir
    %t = sinter.transpose %x {permutation = array<i64: 0, 2, 1>} : tensor<?x8x3xf32> -> tensor<?x3x8xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  // A permutation of the dimensions keeping the batch first, and the
  // result shape it implies.
  let hasVerifier = 1;
}

def Sinter_ConcatOp : Sinter_Op<"concat",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>]> {
  let summary = "joins tensors along their last dimension";
  let description = [{
    All inputs have the same leading dimensions; the result's last dimension
    is the sum of theirs.

    ```mlir
    %c = sinter.concat %a, %b : tensor<?x3xf32>, tensor<?x4xf32> -> tensor<?x7xf32>
    ```
  }];
  let arguments = (ins Variadic<F32RankedTensor>:$inputs);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs) `->` type($result)";
  // Leading dimensions must agree and the last ones add up.
  let hasVerifier = 1;
}

def Sinter_SliceLastOp : Sinter_Op<"slice_last"> {
  let summary = "a window of the last dimension";
  let description = [{
    `result[..., i] = input[..., offset + i]` for `i < size`; the cotangent
    of one input of `sinter.concat`.

    ```mlir
    %s = sinter.slice_last %c {offset = 3 : i64} : tensor<?x7xf32> -> tensor<?x4xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, I64Attr:$offset);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  // The window must fit and the leading dimensions agree.
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Convolution and pooling: channels-last images [batch, height, width,
// channels], as Keras stores them. `padding` is explicit, [top, bottom,
// left, right] (the frontends turn Keras' "same"/"valid" into numbers); each
// pad is smaller than the (dilated) window, so every output window holds at
// least one input element.
//===----------------------------------------------------------------------===//

def Sinter_Conv2DOp : Sinter_Op<"conv2d",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>]> {
  let summary = "2-D convolution, NHWC input and [kh, kw, in/groups, out] filter";
  let description = [{
    `result[n, i, j, o] = sum_{a, b, c} xpad[n, i*sh + a*dh, j*sw + b*dw,
    g*Cg + c] * filter[a, b, c, o]`, where `xpad` is the input with zero
    padding, `g = o / (out / groups)` and `Cg = in / groups` (Keras Conv2D,
    without bias or activation: those are separate ops).

    ```mlir
    %y = sinter.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
                               padding = array<i64: 2, 2, 2, 2>}
        : tensor<?x28x28x1xf32>, tensor<5x5x1x6xf32> -> tensor<?x28x28x6xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32RankedTensor:$filter,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$padding,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter attr-dict `:` type($input) `,` type($filter) `->` type($result)
  }];
  // Ranks, channel counts, groups and the output size must agree.
  let hasVerifier = 1;
}

def Sinter_Conv2DInputGradOp : Sinter_Op<"conv2d_input_grad"> {
  let summary = "cotangent of a convolution's input";
  let description = [{
    The transposed convolution of the output cotangent `grad` with `filter`,
    for the `sinter.conv2d` with the same attributes whose input has the
    result's type.

    ```mlir
    %dx = sinter.conv2d_input_grad %g, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
                                           padding = array<i64: 2, 2, 2, 2>}
        : tensor<?x28x28x6xf32>, tensor<5x5x1x6xf32> -> tensor<?x28x28x1xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$grad, F32RankedTensor:$filter,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$padding,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = [{
    $grad `,` $filter attr-dict `:` type($grad) `,` type($filter) `->` type($result)
  }];
  // As for conv2d, reading the result as the forward input.
  let hasVerifier = 1;
}

def Sinter_Conv2DFilterGradOp : Sinter_Op<"conv2d_filter_grad"> {
  let summary = "cotangent of a convolution's filter";
  let description = [{
    `result[a, b, c, o] = sum_{n, i, j} xpad[n, i*sh + a*dh, j*sw + b*dw,
    g*Cg + c] * grad[n, i, j, o]` for the `sinter.conv2d` with the same
    attributes.

    ```mlir
    %dw = sinter.conv2d_filter_grad %x, %g {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
                                            padding = array<i64: 2, 2, 2, 2>}
        : tensor<?x28x28x1xf32>, tensor<?x28x28x6xf32> -> tensor<5x5x1x6xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32RankedTensor:$grad,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$padding,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad attr-dict `:` type($input) `,` type($grad) `->` type($result)
  }];
  // As for conv2d, reading the result as the filter.
  let hasVerifier = 1;
}

class Sinter_PoolOp<string mnemonic, string formula>
    : Sinter_Op<mnemonic, [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>]> {
  let summary = "2-D " # !subst("_pool2d", "", mnemonic) # " pooling per channel";
  let description = "`result[n, i, j, c] = " # formula # "` over the window "
      # "rows `i*sh - top ...` and columns `j*sw - left ...`.\n\n```mlir\n"
      # "%y = sinter." # mnemonic # " %x {window = array<i64: 2, 2>, strides = "
      # "array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : "
      # "tensor<?x28x28x6xf32> -> tensor<?x14x14x6xf32>\n```";
  let arguments = (ins F32RankedTensor:$input, DenseI64ArrayAttr:$window,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  // Ranks, channels and the output size must agree.
  let hasVerifier = 1;
}

def Sinter_MaxPool2DOp : Sinter_PoolOp<"max_pool2d",
    "max of the input elements in the window (padding never wins)">;
def Sinter_AvgPool2DOp : Sinter_PoolOp<"avg_pool2d",
    "mean of the input elements in the window, padding not counted">;

def Sinter_MaxPool2DGradOp : Sinter_Op<"max_pool2d_grad",
    [AllTypesMatch<["input", "result"]>]> {
  let summary = "cotangent of a max pooling's input";
  let description = [{
    Each window's cotangent goes to the first (row-major) position holding
    the window's maximum, as PyTorch and TensorFlow route it; overlapping
    windows add up.

    ```mlir
    %dx = sinter.max_pool2d_grad %x, %g {window = array<i64: 2, 2>, strides = array<i64: 2, 2>,
                                         padding = array<i64: 0, 0, 0, 0>}
        : tensor<?x28x28x6xf32>, tensor<?x14x14x6xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32RankedTensor:$grad,
                       DenseI64ArrayAttr:$window, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input `,` $grad attr-dict `:` type($input) `,` type($grad)";
  // As for max_pool2d.
  let hasVerifier = 1;
}

def Sinter_AvgPool2DGradOp : Sinter_Op<"avg_pool2d_grad"> {
  let summary = "cotangent of an average pooling's input";
  let description = [{
    Each window's cotangent, divided by the number of input elements the
    window averaged, goes to each of them.

    ```mlir
    %dx = sinter.avg_pool2d_grad %g {window = array<i64: 2, 2>, strides = array<i64: 2, 2>,
                                     padding = array<i64: 0, 0, 0, 0>}
        : tensor<?x14x14x6xf32> -> tensor<?x28x28x6xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$grad, DenseI64ArrayAttr:$window,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$grad attr-dict `:` type($grad) `->` type($result)";
  // As for avg_pool2d, reading the result as the forward input.
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Sequences
//===----------------------------------------------------------------------===//

def Sinter_EmbeddingOp : Sinter_Op<"embedding",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>]> {
  let summary = "looks up one table row per token id";
  let description = [{
    `result[..., :] = table[ids[...], :]`. Token ids arrive as f32 (the
    trainer's input buffer is float; ids are exact below 2^24) and are
    clamped to the table.

    ```mlir
    %e = sinter.embedding %ids, %table : tensor<?x128xf32>, tensor<256x64xf32> -> tensor<?x128x64xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$ids, F32RankedTensor:$table);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = [{
    $ids `,` $table attr-dict `:` type($ids) `,` type($table) `->` type($result)
  }];
  // The table is a static [vocabulary, dim]; the result is ids' shape + dim.
  let hasVerifier = 1;
}

def Sinter_EmbeddingGradOp : Sinter_Op<"embedding_grad"> {
  let summary = "cotangent of an embedding table";
  let description = [{
    Adds each token's cotangent row into its table row (tokens in row-major
    order, so the sums have one fixed order).

    ```mlir
    %dt = sinter.embedding_grad %ids, %g : tensor<?x128xf32>, tensor<?x128x64xf32> -> tensor<256x64xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$ids, F32RankedTensor:$grad);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = [{
    $ids `,` $grad attr-dict `:` type($ids) `,` type($grad) `->` type($result)
  }];
  // As for embedding, reading the result as the table.
  let hasVerifier = 1;
}

def Sinter_CausalMaskOp : Sinter_Op<"causal_mask",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>,
     SameOperandsAndResultType]> {
  let summary = "replaces the future positions of attention scores";
  let description = [{
    Over the last two dimensions `[..., t, s]`: `result = s > t ? value : x`.
    With `value = -inf` before a softmax, a query attends to keys at or
    before its position; the VJP masks the cotangent with `value = 0`.

    ```mlir
    %m = sinter.causal_mask %scores {value = 0xFF800000 : f32} : tensor<?x4x8x8xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32Attr:$value);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  // Rank >= 2.
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization over the last dimension
//===----------------------------------------------------------------------===//

def Sinter_NormalizeOp : Sinter_Op<"normalize",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>,
     SameOperandsAndResultType]> {
  let summary = "standardizes each vector along the last dimension";
  let description = [{
    With `center` (LayerNormalization): `y = (x - mean) / sqrt(var + eps)`,
    `var = mean((x - mean)^2)`. Without (RMSNormalization):
    `y = x / sqrt(mean(x^2) + eps)`. Means run over the last dimension; the
    layers' scale and offset are `sinter.scale_channels` and
    `sinter.bias_add`.

    ```mlir
    %y = sinter.normalize %x {center, epsilon = 1.000000e-03 : f32} : tensor<?x8x16xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32Attr:$epsilon,
                       UnitAttr:$center);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  // Epsilon must be positive.
  let hasVerifier = 1;
}

def Sinter_NormalizeGradOp : Sinter_Op<"normalize_grad",
    [SameOperandsAndResultType]> {
  let summary = "cotangent of sinter.normalize's input";
  let description = [{
    From the forward input `x` and the cotangent `g`, with `y` and the
    divisor `s` recomputed: `dx = (g - mean(g) - y mean(g y)) / s` with
    `center`, `dx = (g - y mean(g y)) / s` without.

    ```mlir
    %dx = sinter.normalize_grad %x, %g {center, epsilon = 1.000000e-03 : f32} : tensor<?x8x16xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32RankedTensor:$grad,
                       F32Attr:$epsilon, UnitAttr:$center);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input `,` $grad attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Batch normalization: statistics per channel (the last dimension) over
// every other dimension, batch included
//===----------------------------------------------------------------------===//

def Sinter_ChannelMeanOp : Sinter_Op<"channel_mean",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>]> {
  let summary = "mean over the leading dimensions";
  let description = [{
    Reduces `input` to the shape of its trailing dimensions:
    `result[c] = sum(input[..., c]) / n`, `n` the number of elements of the
    leading dimensions, batch included, so it is known at run time only.
    BatchNormalization's batch statistics.

    ```mlir
    %m = sinter.channel_mean %x : tensor<?x8x8x16xf32> -> tensor<16xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  // The result shape must equal the input's trailing dimensions.
  let hasVerifier = 1;
}

def Sinter_ChannelMeanGradOp : Sinter_Op<"channel_mean_grad",
    [AllTypesMatch<["input", "result"]>]> {
  let summary = "cotangent of sinter.channel_mean's input";
  let description = [{
    Spreads `grad` evenly over the leading dimensions of `input` (whose
    shape the result takes): `result[..., c] = grad[c] / n`.

    ```mlir
    %dx = sinter.channel_mean_grad %x, %g : tensor<?x8x8x16xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32RankedTensor:$grad);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input `,` $grad attr-dict `:` type($input) `,` type($grad)";
  // The cotangent shape must equal the input's trailing dimensions.
  let hasVerifier = 1;
}

def Sinter_RsqrtOp : Sinter_Op<"rsqrt",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>,
     SameOperandsAndResultType]> {
  let summary = "elementwise reciprocal square root";
  let description = [{
    `result = 1 / sqrt(input)`; its VJP is `-g * result^3 / 2`.

    ```mlir
    %s = sinter.rsqrt %v : tensor<16xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Sinter_BatchNormOp : Sinter_Op<"batch_norm",
    [DeclareOpInterfaceMethods<Sinter_TrainingModeOpInterface>,
     AllTypesMatch<["input", "result"]>,
     AllTypesMatch<["moving_mean", "moving_variance"]>]> {
  let summary = "Keras BatchNormalization, before its scale and offset";
  let description = [{
    Normalizes each channel `c` (the last dimension). While training, by the
    batch's statistics over every other dimension,
    `y = (x - mean) / sqrt(var + epsilon)` with the biased variance, and
    the moving statistics move towards them:
    `moving = momentum * moving + (1 - momentum) * batch`. At inference,
    by the moving statistics. A forward-graph op with no lowering:
    sinter-build-train-step replaces it by channel_mean, rsqrt and
    per-channel ops, and returns the new moving statistics from the train
    step in place of the old; gamma and beta are `sinter.scale_channels`
    and `sinter.bias_add` after it.

    ```mlir
    %y = sinter.batch_norm %x, %mean, %var {epsilon = 1.000000e-03 : f32, momentum = 9.900000e-01 : f32} : tensor<?x8x8x16xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32RankedTensor:$moving_mean,
                       F32RankedTensor:$moving_variance, F32Attr:$epsilon,
                       F32Attr:$momentum);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input `,` $moving_mean `,` $moving_variance attr-dict `:` type($input) `,` type($moving_mean)";
  // The statistics are [channels]; epsilon is positive, momentum in [0, 1].
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The inference form, `(x - mean) * rsqrt(variance + epsilon)` per
    /// channel; also what a frozen layer emits directly.
    static ::mlir::Value buildInference(::mlir::OpBuilder &b,
                                        ::mlir::Location loc,
                                        ::mlir::Value x, ::mlir::Value mean,
                                        ::mlir::Value variance,
                                        double epsilon);
  }];
}

//===----------------------------------------------------------------------===//
// Regularization
//===----------------------------------------------------------------------===//

def Sinter_DropoutOp : Sinter_Op<"dropout",
    [DeclareOpInterfaceMethods<Sinter_TrainingModeOpInterface>,
     SameOperandsAndResultType]> {
  let summary = "Keras Dropout: random zeroing while training, identity otherwise";
  let description = [{
    A forward-graph op with no lowering of its own: sinter-build-train-step
    replaces it by `sinter.dropout_mask` (keyed on the training step) in
    the train step and by its input everywhere else.

    ```mlir
    %h = sinter.dropout %x {rate = 5.000000e-01 : f32, seed = 7 : i64} : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32Attr:$rate, I64Attr:$seed);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  // The rate must lie in [0, 1).
  let hasVerifier = 1;
}

def Sinter_DropoutMaskOp : Sinter_Op<"dropout_mask",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>,
     AllTypesMatch<["input", "result"]>]> {
  let summary = "zeroes elements by a counter-based hash, scales the rest";
  let description = [{
    Element `i` (row-major over the whole tensor, batch included) is kept
    when `u >= rate`, with `u = (h >> 8) * 2^-24` and
    `h = fmix32(i * 0x9E3779B1 + fmix32(seed ^ fmix32(step)))` (MurmurHash3's
    finalizer, 32-bit wrapping arithmetic); kept elements are scaled by
    `1 / (1 - rate)`. The mask depends only on (seed, step, i), so a run is
    reproducible with any thread count and the VJP applies the same op to
    the cotangent.

    ```mlir
    %h = sinter.dropout_mask %x, %step {rate = 5.000000e-01 : f32, seed = 7 : i64} : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32:$step, F32Attr:$rate,
                       I64Attr:$seed);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input `,` $step attr-dict `:` type($result)";
  // The rate must lie in [0, 1).
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

class Sinter_ActivationOp<string mnemonic, string formula>
    : Sinter_Op<mnemonic, [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>,
                           SameOperandsAndResultType]> {
  let summary = "elementwise " # mnemonic # " activation";
  let description = "`result = " # formula # "`.\n\n```mlir\n%y = sinter."
      # mnemonic # " %x : tensor<?x16xf32>\n```";
  let arguments = (ins F32RankedTensor:$input);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Sinter_ReluOp : Sinter_ActivationOp<"relu", "max(x, 0)">;
def Sinter_SigmoidOp : Sinter_ActivationOp<"sigmoid", "1 / (1 + exp(-x))">;
def Sinter_TanhOp : Sinter_ActivationOp<"tanh", "tanh(x)">;
def Sinter_SoftmaxOp : Sinter_ActivationOp<"softmax",
    "exp(x - max(x)) / sum(exp(x - max(x))) over the last dimension">;

def Sinter_GeluOp : Sinter_Op<"gelu",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>,
     SameOperandsAndResultType]> {
  let summary = "elementwise GELU activation, exact or tanh-approximated";
  let description = [{
    `result = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))`, or with
    `approximate` `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`
    (Keras `gelu(x, approximate)`).

    ```mlir
    %y = sinter.gelu %x {approximate} : tensor<?x16xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, UnitAttr:$approximate);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Sinter_SiluOp
    : Sinter_ActivationOp<"silu", "x * sigmoid(x) (Keras silu, or swish)">;

// Gradient of an activation that needs its forward input `x`.
class Sinter_InputGradOp<string mnemonic, string formula, dag extraArgs = (ins)>
    : Sinter_Op<mnemonic, [SameOperandsAndResultType]> {
  let summary = "cotangent of an activation's input, from the input";
  let description = "`result = g * " # formula # "`, where `x` is the forward "
      # "input and `g` the output's cotangent.\n\n```mlir\n%dx = sinter."
      # mnemonic # " %x, %g : tensor<?x16xf32>\n```";
  let arguments = !con((ins F32RankedTensor:$input, F32RankedTensor:$grad),
                       extraArgs);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input `,` $grad attr-dict `:` type($result)";
}

def Sinter_GeluGradOp : Sinter_InputGradOp<"gelu_grad",
    "gelu'(x) (exact, or of the tanh form with `approximate`)",
    (ins UnitAttr:$approximate)>;
def Sinter_SiluGradOp : Sinter_InputGradOp<"silu_grad",
    "sigmoid(x) (1 + x (1 - sigmoid(x)))">;

// Gradient of an activation, written in terms of its forward output `y`
// so that the forward input need not stay alive.
class Sinter_ActivationGradOp<string mnemonic, string formula>
    : Sinter_Op<mnemonic, [SameOperandsAndResultType]> {
  let summary = "cotangent of an activation's input";
  let description = "`result = " # formula # "`, where `y` is the forward "
      # "output and `g` its cotangent.\n\n```mlir\n%dx = sinter." # mnemonic
      # " %y, %g : tensor<?x16xf32>\n```";
  let arguments = (ins F32RankedTensor:$output, F32RankedTensor:$grad);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$output `,` $grad attr-dict `:` type($result)";
}

def Sinter_ReluGradOp : Sinter_ActivationGradOp<"relu_grad", "y > 0 ? g : 0">;
def Sinter_SigmoidGradOp
    : Sinter_ActivationGradOp<"sigmoid_grad", "g * y * (1 - y)">;
def Sinter_TanhGradOp : Sinter_ActivationGradOp<"tanh_grad", "g * (1 - y * y)">;
def Sinter_SoftmaxGradOp : Sinter_ActivationGradOp<"softmax_grad",
    "y * (g - sum(g * y)) over the last dimension">;

//===----------------------------------------------------------------------===//
// Losses: (prediction, target) -> mean over the batch, as Keras reduces.
//===----------------------------------------------------------------------===//

class Sinter_LossOp<string mnemonic, string formula, Type targetType>
    : Sinter_Op<mnemonic, [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>]> {
  let summary = "Keras `" # mnemonic # "`, averaged over the batch";
  let description = "Per example: `" # formula # "`; the result is the mean "
      # "over the (dynamic) batch.\n\n```mlir\n%l = sinter." # mnemonic
      # " %pred, %target : tensor<?x3xf32>, " # !if(!eq(mnemonic,
      "sparse_categorical_crossentropy"), "tensor<?xi32>",
      "tensor<?x3xf32>") # "\n```";
  let arguments = (ins F32RankedTensor:$prediction, targetType:$target);
  let results = (outs F32Scalar:$loss);
  let assemblyFormat = [{
    $prediction `,` $target attr-dict `:` type($prediction) `,` type($target)
  }];
  let builders = [OpBuilder<(ins "::mlir::Value":$prediction,
                                 "::mlir::Value":$target), [{
    build($_builder, $_state,
          ::mlir::RankedTensorType::get({}, $_builder.getF32Type()),
          prediction, target);
  }]>];
  // Prediction must be [batch, classes]; the target must match it.
  let hasVerifier = 1;
}

class Sinter_LossGradOp<string mnemonic, Type targetType>
    : Sinter_Op<mnemonic, [AllTypesMatch<["prediction", "result"]>]> {
  let summary = "cotangent of a loss with respect to the prediction";
  let description = "The VJP of `sinter." # !substr(mnemonic, 0,
      !sub(!size(mnemonic), 5)) # "`: `seed` is the loss's cotangent.\n\n"
      # "```mlir\n%d = sinter." # mnemonic # " %pred, %target, %seed : "
      # "tensor<?x3xf32>, " # !if(!eq(mnemonic,
      "sparse_categorical_crossentropy_grad"), "tensor<?xi32>",
      "tensor<?x3xf32>") # "\n```";
  let arguments = (ins F32RankedTensor:$prediction, targetType:$target,
                       F32Scalar:$seed);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = [{
    $prediction `,` $target `,` $seed attr-dict `:` type($prediction) `,` type($target)
  }];
}

def Sinter_MeanSquaredErrorOp : Sinter_LossOp<"mean_squared_error",
    "mean_c (p - t)^2", F32RankedTensor>;
def Sinter_BinaryCrossentropyOp : Sinter_LossOp<"binary_crossentropy",
    "mean_c -(t log p' + (1 - t) log(1 - p')), p' = clip(p, 1e-7, 1 - 1e-7)",
    F32RankedTensor>;
def Sinter_CategoricalCrossentropyOp : Sinter_LossOp<"categorical_crossentropy",
    "-sum_c t log p', p' = clip(p / sum(p), 1e-7, 1 - 1e-7)", F32RankedTensor>;
def Sinter_SparseCategoricalCrossentropyOp
    : Sinter_LossOp<"sparse_categorical_crossentropy",
    "-log p'[label], p' = clip(p / sum(p), 1e-7, 1 - 1e-7); over sequences "
    "([batch, tokens, classes] with [batch, tokens] labels) the mean runs "
    "over every token", I32Labels>;

def Sinter_MeanSquaredErrorGradOp
    : Sinter_LossGradOp<"mean_squared_error_grad", F32RankedTensor>;
def Sinter_BinaryCrossentropyGradOp
    : Sinter_LossGradOp<"binary_crossentropy_grad", F32RankedTensor>;
def Sinter_CategoricalCrossentropyGradOp
    : Sinter_LossGradOp<"categorical_crossentropy_grad", F32RankedTensor>;
def Sinter_SparseCategoricalCrossentropyGradOp
    : Sinter_LossGradOp<"sparse_categorical_crossentropy_grad", I32Labels>;

def Sinter_SoftmaxCrossentropyGradOp
    : Sinter_Op<"softmax_crossentropy_grad",
                [AllTypesMatch<["probabilities", "result"]>]> {
  let summary = "cotangent of a softmax's input under a cross-entropy loss";
  let description = [{
    `softmax_grad(y, categorical_crossentropy_grad(y, t, seed))` in one op
    (`sparse_categorical_crossentropy_grad` with i32 labels as `t`), which
    sinter-fuse-softmax-crossentropy writes: `y` is the softmax's output
    (`probabilities`), the result the cotangent of its input. With
    `q = y / sum(y)` over the last dimension, `in_j = 1e-7 < q_j < 1 - 1e-7`
    (the range Keras' clip leaves alone), `T = sum_j t_j in_j` and
    `n` the number of prediction vectors (all dimensions but the last):

    `result_i = seed / n * (q_i T - t_i in_i)`

    the composition's value: the softmax's Jacobian cancels the loss
    gradient's division by `q`, and its row sum `sum_k dp_k y_k` is zero.
    Labels are one-hot rows; a label outside `[0, classes)` contributes
    nothing.

    ```mlir
    %dz = sinter.softmax_crossentropy_grad %y, %labels, %seed : tensor<?x10xf32>, tensor<?xi32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$probabilities,
                       AnyTypeOf<[F32RankedTensor, I32Labels]>:$target,
                       F32Scalar:$seed);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = [{
    $probabilities `,` $target `,` $seed attr-dict `:` type($probabilities) `,` type($target)
  }];
  // f32 targets as categorical_crossentropy's, labels as the sparse one's.
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Weight regularization (Keras kernel_regularizer)
//===----------------------------------------------------------------------===//

def Sinter_RegularizationOp : Sinter_Op<"regularization",
    [DeclareOpInterfaceMethods<Sinter_VJPOpInterface>]> {
  let summary = "Keras' L1/L2 penalty of a weight";
  let description = [{
    `result = l1 * sum(|w|) + l2 * sum(w^2)`, added to the loss by the
    train-step pass for each regularized, trained weight.

    ```mlir
    %r = sinter.regularization %w {l1 = 0.0 : f32, l2 = 0.01 : f32} : tensor<784x512xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32Attr:$l1, F32Attr:$l2);
  let results = (outs F32Scalar:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let builders = [OpBuilder<(ins "::mlir::Value":$input,
                                 "::mlir::FloatAttr":$l1,
                                 "::mlir::FloatAttr":$l2), [{
    build($_builder, $_state,
          ::mlir::RankedTensorType::get({}, $_builder.getF32Type()), input,
          l1, l2);
  }]>];
}

def Sinter_RegularizationGradOp : Sinter_Op<"regularization_grad",
    [AllTypesMatch<["input", "result"]>]> {
  let summary = "cotangent of a weight through its L1/L2 penalty";
  let description = [{
    `result = g * (l1 * sign(w) + 2 * l2 * w)`, `g` the penalty's cotangent
    (sign(0) = 0, as Keras' gradient of |w| at 0).

    ```mlir
    %d = sinter.regularization_grad %w, %g {l1 = 0.0 : f32, l2 = 0.01 : f32} : tensor<784x512xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32Scalar:$grad, F32Attr:$l1,
                       F32Attr:$l2);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input `,` $grad attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Gradient clipping (before the optimizer updates; never differentiated)
//===----------------------------------------------------------------------===//

def Sinter_SquaredNormOp : Sinter_Op<"squared_norm"> {
  let summary = "the sum of the squares of every element";
  let description = [{
    ```mlir
    %n = sinter.squared_norm %g : tensor<784x512xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input);
  let results = (outs F32Scalar:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let builders = [OpBuilder<(ins "::mlir::Value":$input), [{
    build($_builder, $_state,
          ::mlir::RankedTensorType::get({}, $_builder.getF32Type()), input);
  }]>];
}

def Sinter_ClipByNormOp : Sinter_Op<"clip_by_norm",
    [AllTypesMatch<["input", "result"]>]> {
  let summary = "scales a gradient down to a maximum norm";
  let description = [{
    `result = input * max_norm / max(sqrt(squared_norm), max_norm)`: Keras'
    `clipnorm` when `squared_norm` is the input's own, `global_clipnorm`
    when it is the sum over every gradient.

    ```mlir
    %c = sinter.clip_by_norm %g, %n {max_norm = 1.000000e+00 : f32} : tensor<784x512xf32>
    ```
  }];
  let arguments = (ins F32RankedTensor:$input, F32Scalar:$squared_norm,
                       F32Attr:$max_norm);
  let results = (outs F32RankedTensor:$result);
  let assemblyFormat = "$input `,` $squared_norm attr-dict `:` type($input)";
  // max_norm must be positive.
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Optimizer updates (Keras 3 formulas). Destination-passing: each result
// replaces the parameter or slot at the same position, so bufferization
// updates them in place.
//===----------------------------------------------------------------------===//

class Sinter_UpdateOp<string mnemonic, dag extraArgs>
    : Sinter_Op<mnemonic, [DeclareOpInterfaceMethods<InferTypeOpInterface>,
                           Sinter_ElementwiseUpdateOpInterface,
                           AllTypesMatch<["param", "grad", "new_param"]>]> {
  // weight_decay: Keras' decoupled decay, p -= p * weight_decay * lr,
  // applied before the update (AdamW; any optimizer's `weight_decay`).
  let arguments = !con((ins F32RankedTensor:$param, F32RankedTensor:$grad,
                            Variadic<F32RankedTensor>:$slots, F32:$lr),
                       extraArgs,
                       (ins DefaultValuedAttr<F32Attr, "0.0f">:$weight_decay));
  let results = (outs F32RankedTensor:$new_param,
                      Variadic<F32RankedTensor>:$new_slots);
  // Slot count and types must follow from the hyperparameters.
  let hasVerifier = 1;
}

def Sinter_SgdUpdateOp : Sinter_UpdateOp<"sgd_update",
    (ins F32Attr:$momentum, UnitAttr:$nesterov)> {
  let summary = "Keras SGD step, with optional (Nesterov) momentum";
  let description = [{
    Without momentum: `p -= lr * g`. With momentum (one slot `m`):
    `m = momentum * m - lr * g`, then `p += m`, or with `nesterov`
    `p += momentum * m - lr * g`.

    ```mlir
    %p2, %m2 = sinter.sgd_update %p, %g slots(%m : tensor<4x2xf32>) lr %lr {momentum = 0.9 : f32} : tensor<4x2xf32>
    ```
  }];
  let assemblyFormat = [{
    $param `,` $grad (`slots` `(` $slots^ `:` type($slots) `)`)? `lr` $lr attr-dict `:` type($param)
  }];
}

def Sinter_AdamUpdateOp : Sinter_UpdateOp<"adam_update",
    (ins F32:$iteration, F32Attr:$beta_1, F32Attr:$beta_2, F32Attr:$epsilon,
         UnitAttr:$amsgrad)> {
  let summary = "Keras Adam step (epsilon-hat form, optional AMSGrad)";
  let description = [{
    Slots `m`, `v` (and `v_hat` with `amsgrad`). With `t = iteration + 1`:
    `alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)`,
    `m += (g - m) * (1 - beta_1)`, `v += (g^2 - v) * (1 - beta_2)`,
    `p -= alpha * m / (sqrt(v) + epsilon)`.

    ```mlir
    %p2, %m2, %v2 = sinter.adam_update %p, %g slots(%m, %v : tensor<2xf32>, tensor<2xf32>) lr %lr iteration %it
        {beta_1 = 0.9 : f32, beta_2 = 0.999 : f32, epsilon = 1.0e-07 : f32} : tensor<2xf32>
    ```
  }];
  let assemblyFormat = [{
    $param `,` $grad `slots` `(` $slots `:` type($slots) `)` `lr` $lr `iteration` $iteration
    attr-dict `:` type($param)
  }];
}

def Sinter_RmspropUpdateOp : Sinter_UpdateOp<"rmsprop_update",
    (ins F32Attr:$rho, F32Attr:$momentum, F32Attr:$epsilon, UnitAttr:$centered)> {
  let summary = "Keras RMSprop step (optional momentum and centering)";
  let description = [{
    Slots: `velocity`, then `momentum` if momentum > 0, then
    `average_gradient` if centered.
    `v = rho v + (1 - rho) g^2`; centered: `a = rho a + (1 - rho) g`,
    `den = v - a^2 + epsilon`, else `den = v + epsilon`;
    `inc = lr g / sqrt(den)`; with momentum `mom = momentum mom + inc`,
    `p -= mom`, else `p -= inc`.

    ```mlir
    %p2, %v2 = sinter.rmsprop_update %p, %g slots(%v : tensor<2xf32>) lr %lr
        {rho = 0.9 : f32, momentum = 0.0 : f32, epsilon = 1.0e-07 : f32} : tensor<2xf32>
    ```
  }];
  let assemblyFormat = [{
    $param `,` $grad `slots` `(` $slots `:` type($slots) `)` `lr` $lr attr-dict `:` type($param)
  }];
  let extraClassDeclaration = [{
    /// Slot positions: velocity first, then the optional ones in Keras order.
    static unsigned numSlots(bool hasMomentum, bool centered) {
      return 1 + hasMomentum + centered;
    }
  }];
}

#endif // SINTER_OPS
