//===- ImageLayers.cpp - convolution and pooling layers -------------------===//
//
// Channels-last images, [height, width, channels] per example, as Keras
// stores them. Keras' "same"/"valid" padding becomes explicit pads here
// (WindowGeometry.h); the ops take numbers only.
//
//===----------------------------------------------------------------------===//
#include "compiler/Frontend/Layers/LayerKit.h"

#include "dialects/Sinter/IR/SinterDialect.h"
#include "dialects/Sinter/IR/WindowGeometry.h"

using namespace mlir;
using namespace sinter;
using namespace sinter::layers;

namespace {

constexpr llvm::StringLiteral kPaddings[] = {"valid", "same"};

/// A two-element window argument; one number n means [n, n].
FailureOr<std::pair<int64_t, int64_t>>
pairArg(const LayerArgs &args, StringRef name, std::string &error) {
  const std::vector<int64_t> &v = args.at(name.str()).ints;
  if ((v.size() == 1 || v.size() == 2) && v.front() > 0 && v.back() > 0)
    return std::make_pair(v.front(), v.back());
  error = "argument '" + name.str() +
          "' expects one or two positive integers, got " + shapeString(v);
  return failure();
}

/// The attributes of one window op over `image` [H, W, C], or failure.
struct WindowAttrs {
  int64_t window[2], strides[2], dilations[2], padding[4], out[2];
};

FailureOr<WindowAttrs> windowAttrs(const Shape &image, const LayerArgs &args,
                                   StringRef windowArg, StringRef stridesArg,
                                   StringRef dilationArg, std::string &error) {
  if (image.size() != 3) {
    error = "expects images [height, width, channels] per example, got " +
            shapeString(image);
    return failure();
  }
  FailureOr<std::pair<int64_t, int64_t>> window =
      pairArg(args, windowArg, error);
  if (failed(window))
    return failure();
  std::pair<int64_t, int64_t> strides = *window, dilations = {1, 1};
  if (!args.at(stridesArg.str()).ints.empty()) {
    auto s = pairArg(args, stridesArg, error);
    if (failed(s))
      return failure();
    strides = *s;
  }
  if (!dilationArg.empty()) {
    auto d = pairArg(args, dilationArg, error);
    if (failed(d))
      return failure();
    dilations = *d;
  }
  WindowAttrs w;
  bool same = args.at("padding").name == "same";
  int64_t win[2] = {window->first, window->second};
  int64_t str[2] = {strides.first, strides.second};
  int64_t dil[2] = {dilations.first, dilations.second};
  for (int d = 0; d < 2; ++d) {
    w.window[d] = win[d];
    w.strides[d] = str[d];
    w.dilations[d] = dil[d];
    auto [before, after] = same ? samePadding(image[d], win[d], str[d], dil[d])
                                : std::pair<int64_t, int64_t>{0, 0};
    w.padding[2 * d] = before;
    w.padding[2 * d + 1] = after;
    WindowDim dim{win[d], str[d], dil[d], before, after};
    w.out[d] = dim.outSize(image[d]);
    if (w.out[d] < 1) {
      error = "a window of extent " + std::to_string(dim.extent()) +
              " does not fit the " + (d == 0 ? "height " : "width ") +
              std::to_string(image[d]) + " of " + shapeString(image) +
              " (padding = valid)";
      return failure();
    }
  }
  return w;
}

const ArgSpec kConvArgs[] = {
    {"filters", ArgKind::Int, nullptr, /*minInt=*/1},
    {"kernel_size", ArgKind::IntList, nullptr},
    {"strides", ArgKind::IntList, "1, 1"},
    {"padding", ArgKind::Choice, "valid", INT64_MIN, kPaddings},
    {"dilation_rate", ArgKind::IntList, "1, 1"},
    {"groups", ArgKind::Int, "1", /*minInt=*/1},
    {"activation", ArgKind::Activation, "linear"},
    {"use_bias", ArgKind::Bool, "true"},
    {"kernel_initializer", ArgKind::Initializer, "glorot_uniform"},
    {"bias_initializer", ArgKind::Initializer, "zeros"},
    {"kernel_regularizer", ArgKind::Regularizer, "none"},
    {"bias_regularizer", ArgKind::Regularizer, "none"},
};

FailureOr<WindowAttrs> convAttrs(const Shape &image, const LayerArgs &args,
                                 std::string &error) {
  return windowAttrs(image, args, "kernel_size", "strides", "dilation_rate",
                     error);
}

FailureOr<Shape> convInfer(ArrayRef<Shape> in, const LayerArgs &args,
                           std::string &error) {
  FailureOr<WindowAttrs> w = convAttrs(in[0], args, error);
  if (failed(w))
    return failure();
  int64_t groups = args.at("groups").i, filters = args.at("filters").i;
  if (in[0][2] % groups || filters % groups) {
    error = "groups (" + std::to_string(groups) + ") must divide both the " +
            std::to_string(in[0][2]) + " input channels and the " +
            std::to_string(filters) + " filters";
    return failure();
  }
  return Shape{w->out[0], w->out[1], filters};
}

SmallVector<WeightSpec> convWeights(ArrayRef<Shape> in, const LayerArgs &args) {
  std::string error;
  WindowAttrs w = *convAttrs(in[0], args, error); // checked by convInfer
  int64_t filters = args.at("filters").i;
  return kernelAndBias(
      args, {w.window[0], w.window[1], in[0][2] / args.at("groups").i, filters},
      filters);
}

Value convEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange weights,
               const LayerArgs &args, Type type) {
  auto image = cast<RankedTensorType>(in[0].getType()).getShape().drop_front();
  std::string error;
  WindowAttrs w = *convAttrs(Shape(image), args, error);
  Value h = b.create<Conv2DOp>(
      loc, type, in[0], weights[0], b.getDenseI64ArrayAttr(w.strides),
      b.getDenseI64ArrayAttr(w.dilations), b.getDenseI64ArrayAttr(w.padding),
      b.getI64IntegerAttr(args.at("groups").i));
  return biasAndActivation(b, loc, h, weights, args);
}

// strides "" means the pool size, as in Keras.
const ArgSpec kPoolArgs[] = {
    {"pool_size", ArgKind::IntList, "2, 2"},
    {"strides", ArgKind::IntList, ""},
    {"padding", ArgKind::Choice, "valid", INT64_MIN, kPaddings},
};

FailureOr<WindowAttrs> poolAttrs(const Shape &image, const LayerArgs &args,
                                 std::string &error) {
  return windowAttrs(image, args, "pool_size", "strides", "", error);
}

FailureOr<Shape> poolInfer(ArrayRef<Shape> in, const LayerArgs &args,
                           std::string &error) {
  FailureOr<WindowAttrs> w = poolAttrs(in[0], args, error);
  if (failed(w))
    return failure();
  return Shape{w->out[0], w->out[1], in[0][2]};
}

template <typename PoolOp>
Value poolEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
               const LayerArgs &args, Type type) {
  auto image = cast<RankedTensorType>(in[0].getType()).getShape().drop_front();
  std::string error;
  WindowAttrs w = *poolAttrs(Shape(image), args, error);
  return b.create<PoolOp>(loc, type, in[0], b.getDenseI64ArrayAttr(w.window),
                          b.getDenseI64ArrayAttr(w.strides),
                          b.getDenseI64ArrayAttr(w.padding));
}

const ArgSpec kGlobalPoolArgs[] = {{"keepdims", ArgKind::Bool, "false"}};

FailureOr<Shape> globalPoolInfer(ArrayRef<Shape> in, const LayerArgs &args,
                                 std::string &error) {
  if (in[0].size() != 3) {
    error = "expects images [height, width, channels] per example, got " +
            shapeString(in[0]);
    return failure();
  }
  if (args.at("keepdims").b)
    return Shape{1, 1, in[0][2]};
  return Shape{in[0][2]};
}

// One window covering the whole image, then the [1, 1, C] result flattened.
template <typename PoolOp>
Value globalPoolEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                     const LayerArgs &args, Type type) {
  auto t = cast<RankedTensorType>(in[0].getType());
  auto pooled = RankedTensorType::get({t.getDimSize(0), 1, 1, t.getDimSize(3)},
                                      t.getElementType());
  int64_t hw[2] = {t.getDimSize(1), t.getDimSize(2)};
  int64_t pads[4] = {0, 0, 0, 0};
  Value p = b.create<PoolOp>(loc, pooled, in[0], b.getDenseI64ArrayAttr(hw),
                             b.getDenseI64ArrayAttr(hw),
                             b.getDenseI64ArrayAttr(pads));
  if (args.at("keepdims").b)
    return p;
  return b.create<ReshapeOp>(loc, type, p);
}

const LayerDef kImageLayers[] = {
    {"conv2d", "Conv2D", 1, 1, kConvArgs, convInfer, convWeights, convEmit},
    {"max_pool2d", "MaxPooling2D", 1, 1, kPoolArgs, poolInfer, noWeights,
     poolEmit<MaxPool2DOp>},
    {"avg_pool2d", "AveragePooling2D", 1, 1, kPoolArgs, poolInfer, noWeights,
     poolEmit<AvgPool2DOp>},
    {"global_avg_pool2d", "GlobalAveragePooling2D", 1, 1, kGlobalPoolArgs,
     globalPoolInfer, noWeights, globalPoolEmit<AvgPool2DOp>},
    {"global_max_pool2d", "GlobalMaxPooling2D", 1, 1, kGlobalPoolArgs,
     globalPoolInfer, noWeights, globalPoolEmit<MaxPool2DOp>},
};

} // namespace

ArrayRef<LayerDef> sinter::layers::imageLayers() { return kImageLayers; }
