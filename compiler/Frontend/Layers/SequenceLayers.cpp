//===- SequenceLayers.cpp - embeddings, normalization, attention ----------===//
//
// Layers of sequence models, [tokens, features] per example. Each becomes
// primitives (contractions, bias_add, softmax, causal_mask), so autodiff
// never sees a composite layer.
//
//===----------------------------------------------------------------------===//
#include "compiler/Frontend/Layers/LayerKit.h"

#include "dialects/Sinter/IR/SinterDialect.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace sinter;
using namespace sinter::layers;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// [batch] + `shape`, the batch taken from `like`.
RankedTensorType batched(Value like, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> dims = {typeOf(like).getDimSize(0)};
  dims.append(shape.begin(), shape.end());
  return RankedTensorType::get(dims, typeOf(like).getElementType());
}

Value contract(OpBuilder &b, Location loc, Value lhs, Value rhs,
               StringRef spec, RankedTensorType type) {
  return b.create<ContractOp>(loc, type, lhs, rhs, b.getStringAttr(spec));
}

//===----------------------------------------------------------------------===//
// Embeddings
//===----------------------------------------------------------------------===//

const ArgSpec kEmbeddingArgs[] = {
    {"input_dim", ArgKind::Int, nullptr, /*minInt=*/1},
    {"output_dim", ArgKind::Int, nullptr, /*minInt=*/1},
    {"embeddings_initializer", ArgKind::Initializer, "random_uniform"},
};

FailureOr<Shape> embeddingInfer(ArrayRef<Shape> in, const LayerArgs &args,
                                std::string &) {
  Shape out = in[0];
  out.push_back(args.at("output_dim").i);
  return out;
}

SmallVector<WeightSpec> embeddingWeights(ArrayRef<Shape>,
                                         const LayerArgs &args) {
  return {{"embeddings",
           {args.at("input_dim").i, args.at("output_dim").i},
           args.at("embeddings_initializer").init}};
}

Value embeddingEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange w,
                    const LayerArgs &, Type type) {
  return b.create<EmbeddingOp>(loc, type, in[0], w[0]);
}

// A learned [sequence_length, dim] table added to every example
// (keras_hub's PositionEmbedding, with the whole length used).
const ArgSpec kPositionArgs[] = {
    {"sequence_length", ArgKind::Int, nullptr, /*minInt=*/1},
    {"initializer", ArgKind::Initializer, "glorot_uniform"},
};

FailureOr<Shape> positionInfer(ArrayRef<Shape> in, const LayerArgs &args,
                               std::string &error) {
  if (in[0].size() != 2 || in[0][0] != args.at("sequence_length").i) {
    error = "expects [sequence_length, dim] = [" +
            std::to_string(args.at("sequence_length").i) +
            ", dim] per example, got " + shapeString(in[0]);
    return failure();
  }
  return in[0];
}

SmallVector<WeightSpec> positionWeights(ArrayRef<Shape> in,
                                        const LayerArgs &args) {
  return {{"embeddings", in[0], args.at("initializer").init}};
}

Value positionEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange w,
                   const LayerArgs &, Type) {
  return b.create<BiasAddOp>(loc, in[0], w[0]);
}

//===----------------------------------------------------------------------===//
// Pooling over tokens
//===----------------------------------------------------------------------===//

const ArgSpec kGlobalPool1DArgs[] = {{"keepdims", ArgKind::Bool, "false"}};

FailureOr<Shape> globalPool1DInfer(ArrayRef<Shape> in, const LayerArgs &args,
                                   std::string &error) {
  if (in[0].size() != 2) {
    error = "expects [steps, features] per example, got " + shapeString(in[0]);
    return failure();
  }
  if (args.at("keepdims").b)
    return Shape{1, in[0][1]};
  return Shape{in[0][1]};
}

// [t, d] viewed as a [t, 1, d] image, averaged by one window.
Value globalPool1DEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                       const LayerArgs &, Type type) {
  auto t = typeOf(in[0]);
  int64_t steps = t.getDimSize(1), dim = t.getDimSize(2);
  Value image = b.create<ReshapeOp>(loc, batched(in[0], {steps, 1, dim}), in[0]);
  int64_t window[2] = {steps, 1}, pads[4] = {0, 0, 0, 0};
  Value pooled = b.create<AvgPool2DOp>(
      loc, batched(in[0], {1, 1, dim}), image, b.getDenseI64ArrayAttr(window),
      b.getDenseI64ArrayAttr(window), b.getDenseI64ArrayAttr(pads));
  return b.create<ReshapeOp>(loc, type, pooled);
}

//===----------------------------------------------------------------------===//
// Multi-head attention (Keras semantics and weight layout)
//===----------------------------------------------------------------------===//

// value_dim 0 means key_dim (Keras: null). use_causal_mask is a call
// argument in Keras; the importer reads it from the layer's calls.
const ArgSpec kAttentionArgs[] = {
    {"num_heads", ArgKind::Int, nullptr, /*minInt=*/1},
    {"key_dim", ArgKind::Int, nullptr, /*minInt=*/1},
    {"value_dim", ArgKind::Int, "0", /*minInt=*/0},
    {"dropout", ArgKind::Float, "0"},
    {"use_bias", ArgKind::Bool, "true"},
    {"kernel_initializer", ArgKind::Initializer, "glorot_uniform"},
    {"bias_initializer", ArgKind::Initializer, "zeros"},
    {"use_causal_mask", ArgKind::Bool, "false"},
};

struct Heads {
  int64_t heads, keyDim, valueDim;
  explicit Heads(const LayerArgs &args)
      : heads(args.at("num_heads").i), keyDim(args.at("key_dim").i),
        valueDim(args.at("value_dim").i ? args.at("value_dim").i
                                        : args.at("key_dim").i) {}
};

/// Inputs: query, then value (default: the query), then key (default: the
/// value).
const Shape &valueShape(ArrayRef<Shape> in) { return in.size() > 1 ? in[1] : in[0]; }
const Shape &keyShape(ArrayRef<Shape> in) {
  return in.size() > 2 ? in[2] : valueShape(in);
}

FailureOr<Shape> attentionInfer(ArrayRef<Shape> in, const LayerArgs &args,
                                std::string &error) {
  for (const Shape &s : in)
    if (s.size() != 2) {
      error = "expects [tokens, features] per example, got " + shapeString(s);
      return failure();
    }
  if (keyShape(in)[0] != valueShape(in)[0]) {
    error = "key and value must have as many tokens, got " +
            shapeString(keyShape(in)) + " and " + shapeString(valueShape(in));
    return failure();
  }
  double rate = args.at("dropout").f;
  if (!(rate >= 0 && rate < 1)) {
    error = "argument 'dropout' must lie in [0, 1)";
    return failure();
  }
  if (args.at("use_causal_mask").b && in[0][0] != keyShape(in)[0]) {
    error = "a causal mask needs as many queries as keys";
    return failure();
  }
  return in[0];
}

SmallVector<WeightSpec> attentionWeights(ArrayRef<Shape> in,
                                         const LayerArgs &args) {
  Heads h(args);
  DictionaryAttr k = args.at("kernel_initializer").init,
                 bias = args.at("bias_initializer").init;
  bool useBias = args.at("use_bias").b;
  SmallVector<WeightSpec> w;
  auto add = [&](StringRef name, Shape kernel, Shape b) {
    w.push_back({(name + ".kernel").str(), kernel, k});
    if (useBias)
      w.push_back({(name + ".bias").str(), b, bias});
  };
  add("query", {in[0][1], h.heads, h.keyDim}, {h.heads, h.keyDim});
  add("key", {keyShape(in)[1], h.heads, h.keyDim}, {h.heads, h.keyDim});
  add("value", {valueShape(in)[1], h.heads, h.valueDim},
      {h.heads, h.valueDim});
  add("attention_output", {h.heads, h.valueDim, in[0][1]}, {in[0][1]});
  return w;
}

// Keras' order of operations: project, scale the query by 1/sqrt(key_dim),
// scores [b, h, t, s], (causal mask,) softmax over keys, (dropout,) mix the
// values, project back.
Value attentionEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange w,
                    const LayerArgs &args, Type type) {
  Heads h(args);
  bool useBias = args.at("use_bias").b;
  Value query = in[0];
  Value value = in.size() > 1 ? in[1] : query;
  Value key = in.size() > 2 ? in[2] : value;
  int64_t t = typeOf(query).getDimSize(1), s = typeOf(key).getDimSize(1);
  unsigned next = 0;
  auto project = [&](Value x, StringRef spec, ArrayRef<int64_t> shape) {
    Value y = contract(b, loc, x, w[next++], spec, batched(x, shape));
    if (useBias)
      y = b.create<BiasAddOp>(loc, y, w[next++]);
    return y;
  };
  Value q = project(query, "btd,dhk->bthk", {t, h.heads, h.keyDim});
  Value k = project(key, "bsd,dhk->bshk", {s, h.heads, h.keyDim});
  Value v = project(value, "bsd,dhe->bshe", {s, h.heads, h.valueDim});
  q = b.create<ScaleOp>(loc, q, b.getF32FloatAttr(1.0 / std::sqrt(h.keyDim)),
                        b.getF32FloatAttr(0.0f));
  Value scores = contract(b, loc, q, k, "bthk,bshk->bhts",
                          batched(query, {h.heads, t, s}));
  if (args.at("use_causal_mask").b)
    scores = b.create<CausalMaskOp>(
        loc, scores,
        b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
  Value probs = b.create<SoftmaxOp>(loc, scores);
  if (double rate = args.at("dropout").f) {
    // Its own seed: the layer name's, offset so it differs from a Dropout
    // layer of the same name.
    uint32_t seed = nameSeed(loc, "", 0x5eed);
    probs = b.create<DropoutOp>(loc, probs, b.getF32FloatAttr(rate),
                                b.getI64IntegerAttr(seed));
  }
  Value mixed = contract(b, loc, probs, v, "bhts,bshe->bthe",
                         batched(query, {t, h.heads, h.valueDim}));
  return project(mixed, "bthe,hed->btd",
                 cast<RankedTensorType>(type).getShape().drop_front());
}

const LayerDef kSequenceLayers[] = {
    {"embedding", "Embedding", 1, 1, kEmbeddingArgs, embeddingInfer,
     embeddingWeights, embeddingEmit},
    {"position_embedding", "PositionEmbedding", 1, 1, kPositionArgs,
     positionInfer, positionWeights, positionEmit},
    {"global_avg_pool1d", "GlobalAveragePooling1D", 1, 1, kGlobalPool1DArgs,
     globalPool1DInfer, noWeights, globalPool1DEmit},
    {"multi_head_attention", "MultiHeadAttention", 1, 3, kAttentionArgs,
     attentionInfer, attentionWeights, attentionEmit},
};

} // namespace

ArrayRef<LayerDef> sinter::layers::sequenceLayers() { return kSequenceLayers; }
