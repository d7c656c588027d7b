//===- NormalizationLayers.cpp - layer, RMS and batch normalization -------===//
//
// Normalization over the last axis (LayerNormalization, RMSNormalization:
// sinter.normalize per vector) and per channel over the batch
// (BatchNormalization: sinter.batch_norm, whose moving statistics are
// non-trainable weights the train step updates). Scale and offset are
// sinter.scale_channels and sinter.bias_add after the normalization.
//
//===----------------------------------------------------------------------===//
#include "compiler/Frontend/Layers/LayerKit.h"

#include "dialects/Sinter/IR/SinterDialect.h"

using namespace mlir;
using namespace sinter;
using namespace sinter::layers;

namespace {

//===----------------------------------------------------------------------===//
// Normalization over the last axis
//===----------------------------------------------------------------------===//

const ArgSpec kLayerNormArgs[] = {
    {"axis", ArgKind::Int, "-1"},
    {"epsilon", ArgKind::Float, "0.001"},
    {"center", ArgKind::Bool, "true"},
    {"scale", ArgKind::Bool, "true"},
    {"rms_scaling", ArgKind::Bool, "false"},
    {"beta_initializer", ArgKind::Initializer, "zeros"},
    {"gamma_initializer", ArgKind::Initializer, "ones"},
};

const ArgSpec kRmsNormArgs[] = {
    {"axis", ArgKind::Int, "-1"},
    {"epsilon", ArgKind::Float, "0.000001"},
    {"scale_initializer", ArgKind::Initializer, "ones"},
};

// Keras counts the batch axis: the last axis of [batch, t, d] is 2.
FailureOr<Shape> lastAxisInfer(ArrayRef<Shape> in, const LayerArgs &args,
                               std::string &error) {
  int64_t axis = args.at("axis").i;
  if (axis != -1 && axis != int64_t(in[0].size())) {
    error = "only the last axis can be normalized (-1 or " +
            std::to_string(in[0].size()) + "), got " + std::to_string(axis);
    return failure();
  }
  if (!(args.at("epsilon").f > 0)) {
    error = "argument 'epsilon' must be positive";
    return failure();
  }
  if (args.count("momentum") &&
      !(args.at("momentum").f >= 0 && args.at("momentum").f <= 1)) {
    error = "argument 'momentum' must lie in [0, 1]";
    return failure();
  }
  return in[0];
}

/// `y * gamma + beta` with the weights that exist: gamma is weights[0]
/// when `scale`, beta follows it when `center`.
Value scaleAndCenter(OpBuilder &b, Location loc, Value y, ValueRange w,
                     bool scale, bool center) {
  if (scale)
    y = b.create<ScaleChannelsOp>(loc, y, w[0]);
  if (center)
    y = b.create<BiasAddOp>(loc, y, w[scale ? 1 : 0]);
  return y;
}

Value normalize(OpBuilder &b, Location loc, Value x, const LayerArgs &args,
                bool center) {
  return b.create<NormalizeOp>(loc, x.getType(), x,
                               b.getF32FloatAttr(args.at("epsilon").f),
                               center ? b.getUnitAttr() : UnitAttr());
}

// rms_scaling: no centering and no beta, as in Keras.
SmallVector<WeightSpec> layerNormWeights(ArrayRef<Shape> in,
                                         const LayerArgs &args) {
  Shape channels = {in[0].back()};
  bool rms = args.at("rms_scaling").b;
  SmallVector<WeightSpec> w;
  if (args.at("scale").b || rms)
    w.push_back({"gamma", channels, args.at("gamma_initializer").init});
  if (args.at("center").b && !rms)
    w.push_back({"beta", channels, args.at("beta_initializer").init});
  return w;
}

Value layerNormEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange w,
                    const LayerArgs &args, Type) {
  bool rms = args.at("rms_scaling").b;
  bool scale = args.at("scale").b || rms, center = args.at("center").b && !rms;
  Value y = normalize(b, loc, in[0], args, /*center=*/!rms);
  return scaleAndCenter(b, loc, y, w, scale, center);
}

SmallVector<WeightSpec> rmsNormWeights(ArrayRef<Shape> in,
                                       const LayerArgs &args) {
  return {{"scale", {in[0].back()}, args.at("scale_initializer").init}};
}

Value rmsNormEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange w,
                  const LayerArgs &args, Type) {
  Value y = normalize(b, loc, in[0], args, /*center=*/false);
  return b.create<ScaleChannelsOp>(loc, y, w[0]);
}

//===----------------------------------------------------------------------===//
// Batch normalization per channel (the last axis)
//===----------------------------------------------------------------------===//

const ArgSpec kBatchNormArgs[] = {
    {"axis", ArgKind::Int, "-1"},
    {"momentum", ArgKind::Float, "0.99"},
    {"epsilon", ArgKind::Float, "0.001"},
    {"center", ArgKind::Bool, "true"},
    {"scale", ArgKind::Bool, "true"},
    {"beta_initializer", ArgKind::Initializer, "zeros"},
    {"gamma_initializer", ArgKind::Initializer, "ones"},
    {"moving_mean_initializer", ArgKind::Initializer, "zeros"},
    {"moving_variance_initializer", ArgKind::Initializer, "ones"},
    {"beta_regularizer", ArgKind::Regularizer, "none"},
    {"gamma_regularizer", ArgKind::Regularizer, "none"},
};

// Keras' order: gamma, beta, then the moving statistics (not trained).
SmallVector<WeightSpec> batchNormWeights(ArrayRef<Shape> in,
                                         const LayerArgs &args) {
  Shape channels = {in[0].back()};
  SmallVector<WeightSpec> w;
  if (args.at("scale").b)
    w.push_back({"gamma", channels, args.at("gamma_initializer").init,
                 args.at("gamma_regularizer").init});
  if (args.at("center").b)
    w.push_back({"beta", channels, args.at("beta_initializer").init,
                 args.at("beta_regularizer").init});
  w.push_back({"moving_mean", channels,
               args.at("moving_mean_initializer").init, {}, false});
  w.push_back({"moving_variance", channels,
               args.at("moving_variance_initializer").init, {}, false});
  return w;
}

// A frozen layer (trainable=False) runs in inference mode, as in Keras:
// its moving statistics stay put while the rest of the model trains.
Value batchNormEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange w,
                    const LayerArgs &args, Type) {
  bool scale = args.at("scale").b, center = args.at("center").b;
  Value mean = w[scale + center], var = w[scale + center + 1];
  double eps = args.at("epsilon").f;
  Value y = args.at("trainable").b
                ? b.create<BatchNormOp>(loc, in[0], mean, var,
                                        b.getF32FloatAttr(eps),
                                        b.getF32FloatAttr(args.at("momentum").f))
                      .getResult()
                : BatchNormOp::buildInference(b, loc, in[0], mean, var, eps);
  return scaleAndCenter(b, loc, y, w, scale, center);
}

const LayerDef kNormalizationLayers[] = {
    {"layer_normalization", "LayerNormalization", 1, 1, kLayerNormArgs,
     lastAxisInfer, layerNormWeights, layerNormEmit},
    {"rms_normalization", "RMSNormalization", 1, 1, kRmsNormArgs,
     lastAxisInfer, rmsNormWeights, rmsNormEmit},
    {"batch_normalization", "BatchNormalization", 1, 1, kBatchNormArgs,
     lastAxisInfer, batchNormWeights, batchNormEmit},
};

} // namespace

ArrayRef<LayerDef> sinter::layers::normalizationLayers() {
  return kNormalizationLayers;
}
