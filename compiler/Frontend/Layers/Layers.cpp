//===- Layers.cpp - every layer Sinter compiles ---------------------------===//
#include "compiler/Frontend/Layers/Layers.h"

#include "dialects/Sinter/IR/SinterDialect.h"
#include "dialects/Sinter/IR/WindowGeometry.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace sinter;

std::string sinter::shapeString(ArrayRef<int64_t> shape) {
  return "[" +
         llvm::join(llvm::map_range(shape,
                                    [](int64_t d) { return std::to_string(d); }),
                    ", ") +
         "]";
}

namespace {

//===----------------------------------------------------------------------===//
// Initializers and activations
//===----------------------------------------------------------------------===//

struct InitKind {
  llvm::StringLiteral cls, alias;
  std::initializer_list<llvm::StringLiteral> keys;
};
const InitKind kInits[] = {
    {"GlorotUniform", "glorot_uniform", {"seed"}},
    {"GlorotNormal", "glorot_normal", {"seed"}},
    {"HeUniform", "he_uniform", {"seed"}},
    {"HeNormal", "he_normal", {"seed"}},
    {"LecunUniform", "lecun_uniform", {"seed"}},
    {"LecunNormal", "lecun_normal", {"seed"}},
    {"RandomUniform", "random_uniform", {"seed", "minval", "maxval"}},
    {"RandomNormal", "random_normal", {"seed", "mean", "stddev"}},
    {"TruncatedNormal", "truncated_normal", {"seed", "mean", "stddev"}},
    {"Zeros", "zeros", {}},
    {"Ones", "ones", {}},
    {"Constant", "constant", {"value"}},
    {"VarianceScaling", "variance_scaling",
     {"seed", "scale", "mode", "distribution"}},
};

// gelu is Keras' exact form; gelu_tanh (Sinter's name) the tanh
// approximation; swish is Keras' alias of silu.
constexpr llvm::StringLiteral kActivations[] = {
    "linear", "relu", "sigmoid", "tanh", "softmax",
    "gelu",   "gelu_tanh", "silu", "swish"};

Value activate(OpBuilder &b, Location loc, StringRef name, Value x) {
  if (name == "relu")
    return b.create<ReluOp>(loc, x);
  if (name == "sigmoid")
    return b.create<SigmoidOp>(loc, x);
  if (name == "tanh")
    return b.create<TanhOp>(loc, x);
  if (name == "softmax")
    return b.create<SoftmaxOp>(loc, x);
  if (name == "gelu" || name == "gelu_tanh")
    return b.create<GeluOp>(loc, x, name == "gelu_tanh");
  if (name == "silu" || name == "swish")
    return b.create<SiluOp>(loc, x);
  return x; // linear
}

//===----------------------------------------------------------------------===//
// Shape rules shared by several layers
//===----------------------------------------------------------------------===//

FailureOr<Shape> sameShape(ArrayRef<Shape> in, const LayerArgs &,
                           std::string &error) {
  for (const Shape &s : in.drop_front())
    if (s != in[0]) {
      error = "inputs must have one shape, got " + shapeString(in[0]) +
              " and " + shapeString(s);
      return failure();
    }
  return in[0];
}

SmallVector<WeightSpec> noWeights(ArrayRef<Shape>, const LayerArgs &) {
  return {};
}

//===----------------------------------------------------------------------===//
// dense
//===----------------------------------------------------------------------===//

const ArgSpec kDenseArgs[] = {
    {"units", ArgKind::Int, nullptr, /*minInt=*/1},
    {"activation", ArgKind::Activation, "linear"},
    {"use_bias", ArgKind::Bool, "true"},
    {"kernel_initializer", ArgKind::Initializer, "glorot_uniform"},
    {"bias_initializer", ArgKind::Initializer, "zeros"},
};

FailureOr<Shape> denseInfer(ArrayRef<Shape> in, const LayerArgs &args,
                            std::string &error) {
  if (in[0].size() != 1) {
    error = "dense takes one feature dimension per example, got " +
            shapeString(in[0]) + " (flatten it first)";
    return failure();
  }
  return Shape{args.at("units").i};
}

SmallVector<WeightSpec> denseWeights(ArrayRef<Shape> in,
                                     const LayerArgs &args) {
  int64_t units = args.at("units").i;
  SmallVector<WeightSpec> w = {
      {"kernel", {in[0][0], units}, args.at("kernel_initializer").init}};
  if (args.at("use_bias").b)
    w.push_back({"bias", {units}, args.at("bias_initializer").init});
  return w;
}

Value denseEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange w,
                const LayerArgs &args, Type type) {
  Value h = b.create<MatmulOp>(loc, type, in[0], w[0]);
  if (args.at("use_bias").b)
    h = b.create<BiasAddOp>(loc, h, w[1]);
  return activate(b, loc, args.at("activation").name, h);
}

//===----------------------------------------------------------------------===//
// Activations as layers
//===----------------------------------------------------------------------===//

const ArgSpec kActivationArgs[] = {{"activation", ArgKind::Activation, nullptr}};

Value activationEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                     const LayerArgs &args, Type) {
  return activate(b, loc, args.at("activation").name, in[0]);
}

template <typename Op>
Value unaryEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                const LayerArgs &, Type) {
  return b.create<Op>(loc, in[0]);
}

//===----------------------------------------------------------------------===//
// Merges
//===----------------------------------------------------------------------===//

template <typename Op>
Value foldEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
               const LayerArgs &, Type) {
  Value acc = in[0];
  for (Value v : in.drop_front())
    acc = b.create<Op>(loc, acc, v);
  return acc;
}

Value averageEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange w,
                  const LayerArgs &args, Type t) {
  Value sum = foldEmit<AddOp>(b, loc, in, w, args, t);
  return b.create<ScaleOp>(loc, sum, b.getF32FloatAttr(1.0f / in.size()),
                          b.getF32FloatAttr(0.0f));
}

const ArgSpec kConcatArgs[] = {{"axis", ArgKind::Int, "-1"}};

FailureOr<Shape> concatInfer(ArrayRef<Shape> in, const LayerArgs &args,
                             std::string &error) {
  int64_t rank = in[0].size(), axis = args.at("axis").i;
  if (axis != -1 && axis != rank) {
    error = "only the last axis (-1) can be concatenated, got axis " +
            std::to_string(axis);
    return failure();
  }
  Shape out = in[0];
  for (const Shape &s : in.drop_front()) {
    if (s.size() != in[0].size() ||
        !std::equal(s.begin(), s.end() - 1, in[0].begin())) {
      error = "inputs must agree on all but the last dimension, got " +
              shapeString(in[0]) + " and " + shapeString(s);
      return failure();
    }
    out.back() += s.back();
  }
  return out;
}

Value concatEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                 const LayerArgs &, Type type) {
  return b.create<ConcatOp>(loc, type, in);
}

//===----------------------------------------------------------------------===//
// Shape and value preprocessing
//===----------------------------------------------------------------------===//

int64_t elements(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : s)
    n *= d;
  return n;
}

FailureOr<Shape> flattenInfer(ArrayRef<Shape> in, const LayerArgs &,
                              std::string &) {
  return Shape{elements(in[0])};
}

const ArgSpec kReshapeArgs[] = {{"target_shape", ArgKind::IntList, nullptr}};

// One entry may be -1: whatever the others leave.
FailureOr<Shape> reshapeInfer(ArrayRef<Shape> in, const LayerArgs &args,
                              std::string &error) {
  Shape out(args.at("target_shape").ints.begin(),
            args.at("target_shape").ints.end());
  int64_t known = 1, unknown = -1;
  for (auto [i, d] : llvm::enumerate(out)) {
    if (d == -1 && unknown < 0) {
      unknown = i;
      continue;
    }
    if (d <= 0) {
      error = "target_shape entries must be positive (one may be -1), got " +
              shapeString(out);
      return failure();
    }
    known *= d;
  }
  int64_t n = elements(in[0]);
  if (unknown >= 0 && known > 0 && n % known == 0)
    out[unknown] = n / known;
  if (out.empty() || elements(out) != n) {
    error = "cannot reshape " + shapeString(in[0]) + " (" +
            std::to_string(n) + " elements) to " +
            shapeString(args.at("target_shape").ints);
    return failure();
  }
  return out;
}

Value reshapeEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                  const LayerArgs &, Type type) {
  return b.create<ReshapeOp>(loc, type, in[0]);
}

const ArgSpec kRescalingArgs[] = {{"scale", ArgKind::Float, nullptr},
                                  {"offset", ArgKind::Float, "0"}};

Value rescalingEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                    const LayerArgs &args, Type) {
  return b.create<ScaleOp>(loc, in[0], b.getF32FloatAttr(args.at("scale").f),
                           b.getF32FloatAttr(args.at("offset").f));
}

//===----------------------------------------------------------------------===//
// Convolution and pooling (channels-last images [height, width, channels])
//===----------------------------------------------------------------------===//

constexpr llvm::StringLiteral kPaddings[] = {"valid", "same"};

/// A two-element window argument; one number n means [n, n].
FailureOr<std::pair<int64_t, int64_t>> pairArg(const LayerArgs &args,
                                               StringRef name,
                                               std::string &error) {
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
  SmallVector<WeightSpec> specs = {
      {"kernel",
       {w.window[0], w.window[1], in[0][2] / args.at("groups").i, filters},
       args.at("kernel_initializer").init}};
  if (args.at("use_bias").b)
    specs.push_back({"bias", {filters}, args.at("bias_initializer").init});
  return specs;
}

Value convEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange weights,
               const LayerArgs &args, Type type) {
  auto image = cast<RankedTensorType>(in[0].getType()).getShape().drop_front();
  std::string error;
  WindowAttrs w = *convAttrs(Shape(image), args, error);
  Value h = b.create<Conv2DOp>(loc, type, in[0], weights[0],
                               b.getDenseI64ArrayAttr(w.strides),
                               b.getDenseI64ArrayAttr(w.dilations),
                               b.getDenseI64ArrayAttr(w.padding),
                               b.getI64IntegerAttr(args.at("groups").i));
  if (args.at("use_bias").b)
    h = b.create<BiasAddOp>(loc, h, weights[1]);
  return activate(b, loc, args.at("activation").name, h);
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
Value globalPoolEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                     const LayerArgs &args, Type type) {
  auto t = cast<RankedTensorType>(in[0].getType());
  auto pooled = RankedTensorType::get(
      {t.getDimSize(0), 1, 1, t.getDimSize(3)}, t.getElementType());
  int64_t hw[2] = {t.getDimSize(1), t.getDimSize(2)};
  int64_t pads[4] = {0, 0, 0, 0};
  Value p = b.create<AvgPool2DOp>(loc, pooled, in[0],
                                  b.getDenseI64ArrayAttr(hw),
                                  b.getDenseI64ArrayAttr(hw),
                                  b.getDenseI64ArrayAttr(pads));
  if (args.at("keepdims").b)
    return p;
  return b.create<ReshapeOp>(loc, type, p);
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

// A negative seed (the default, Keras' null) derives one from the layer
// name, so two dropout layers never share a mask.
const ArgSpec kDropoutArgs[] = {{"rate", ArgKind::Float, nullptr},
                                {"seed", ArgKind::Int, "-1"}};

FailureOr<Shape> dropoutInfer(ArrayRef<Shape> in, const LayerArgs &args,
                              std::string &error) {
  double rate = args.at("rate").f;
  if (!(rate >= 0.0 && rate < 1.0)) {
    error = "argument 'rate' must lie in [0, 1), got " + std::to_string(rate);
    return failure();
  }
  return in[0];
}

Value dropoutEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                  const LayerArgs &args, Type) {
  int64_t seed = args.at("seed").i;
  if (seed < 0) { // FNV-1a of the layer name, which the location carries
    StringRef name = "dropout";
    if (auto named = dyn_cast<NameLoc>(loc))
      name = named.getName().getValue();
    uint32_t h = 2166136261u;
    for (char c : name)
      h = (h ^ uint8_t(c)) * 16777619u;
    seed = h;
  }
  return b.create<DropoutOp>(loc, in[0], b.getF32FloatAttr(args.at("rate").f),
                             b.getI64IntegerAttr(seed));
}

constexpr unsigned kMany = ~0u;

const LayerDef kLayers[] = {
    {"dense", "Dense", 1, 1, kDenseArgs, denseInfer, denseWeights, denseEmit},
    {"activation", "Activation", 1, 1, kActivationArgs, sameShape, noWeights,
     activationEmit},
    {"relu", "ReLU", 1, 1, {}, sameShape, noWeights, unaryEmit<ReluOp>},
    {"sigmoid", "", 1, 1, {}, sameShape, noWeights, unaryEmit<SigmoidOp>},
    {"tanh", "", 1, 1, {}, sameShape, noWeights, unaryEmit<TanhOp>},
    {"softmax", "Softmax", 1, 1, {}, sameShape, noWeights,
     unaryEmit<SoftmaxOp>},
    {"add", "Add", 2, kMany, {}, sameShape, noWeights, foldEmit<AddOp>},
    {"subtract", "Subtract", 2, 2, {}, sameShape, noWeights, foldEmit<SubOp>},
    {"multiply", "Multiply", 2, kMany, {}, sameShape, noWeights,
     foldEmit<MulOp>},
    {"average", "Average", 2, kMany, {}, sameShape, noWeights, averageEmit},
    {"concatenate", "Concatenate", 2, kMany, kConcatArgs, concatInfer,
     noWeights, concatEmit},
    {"flatten", "Flatten", 1, 1, {}, flattenInfer, noWeights, reshapeEmit},
    {"reshape", "Reshape", 1, 1, kReshapeArgs, reshapeInfer, noWeights,
     reshapeEmit},
    {"rescaling", "Rescaling", 1, 1, kRescalingArgs, sameShape, noWeights,
     rescalingEmit},
    {"dropout", "Dropout", 1, 1, kDropoutArgs, dropoutInfer, noWeights,
     dropoutEmit},
    {"conv2d", "Conv2D", 1, 1, kConvArgs, convInfer, convWeights, convEmit},
    {"max_pool2d", "MaxPooling2D", 1, 1, kPoolArgs, poolInfer, noWeights,
     poolEmit<MaxPool2DOp>},
    {"avg_pool2d", "AveragePooling2D", 1, 1, kPoolArgs, poolInfer, noWeights,
     poolEmit<AvgPool2DOp>},
    {"global_avg_pool2d", "GlobalAveragePooling2D", 1, 1, kGlobalPoolArgs,
     globalPoolInfer, noWeights, globalPoolEmit},
};

/// Parses a default value written like a user value of `kind`.
FailureOr<ArgValue> parseDefault(MLIRContext *ctx, ArgKind kind,
                                 StringRef text) {
  ArgValue v;
  v.kind = kind;
  switch (kind) {
  case ArgKind::Int:
    if (text.getAsInteger(10, v.i))
      return failure();
    return v;
  case ArgKind::Float:
    if (text.getAsDouble(v.f))
      return failure();
    return v;
  case ArgKind::Bool:
    v.b = text == "true";
    return v;
  case ArgKind::Activation:
  case ArgKind::Choice:
    v.name = text.str();
    return v;
  case ArgKind::IntList: {
    SmallVector<StringRef> items;
    text.split(items, ',', -1, /*KeepEmpty=*/false);
    for (StringRef item : items) {
      int64_t n;
      if (item.trim().getAsInteger(10, n))
        return failure();
      v.ints.push_back(n);
    }
    return v;
  }
  case ArgKind::Initializer: {
    std::string error;
    FailureOr<DictionaryAttr> init = makeInitializer(ctx, text, {}, error);
    if (failed(init))
      return failure();
    v.init = *init;
    return v;
  }
  }
  return failure();
}

} // namespace

const LayerDef *sinter::findLayer(StringRef name) {
  for (const LayerDef &d : kLayers)
    if (d.name == name)
      return &d;
  return nullptr;
}

const LayerDef *sinter::findKerasLayer(StringRef kerasClass) {
  for (const LayerDef &d : kLayers)
    if (!d.kerasClass.empty() && d.kerasClass == kerasClass)
      return &d;
  return nullptr;
}

SmallVector<StringRef> sinter::layerNames() {
  SmallVector<StringRef> names;
  for (const LayerDef &d : kLayers)
    names.push_back(d.name);
  return names;
}

SmallVector<StringRef> sinter::kerasLayerClasses() {
  SmallVector<StringRef> names;
  for (const LayerDef &d : kLayers)
    if (!d.kerasClass.empty())
      names.push_back(d.kerasClass);
  return names;
}

ArrayRef<llvm::StringLiteral> sinter::activationNames() {
  return kActivations;
}

FailureOr<DictionaryAttr> sinter::makeInitializer(
    MLIRContext *ctx, StringRef name,
    ArrayRef<std::pair<std::string, Attribute>> options, std::string &error) {
  const InitKind *kind = nullptr;
  for (const InitKind &k : kInits)
    if (name == k.cls || name == k.alias)
      kind = &k;
  if (!kind) {
    error = "unknown initializer '" + name.str() + "' (supported: " +
            llvm::join(llvm::map_range(kInits,
                                       [](const InitKind &k) {
                                         return k.alias.str();
                                       }),
                       ", ") +
            ")";
    return failure();
  }
  Builder b(ctx);
  SmallVector<NamedAttribute> entries = {
      b.getNamedAttr("class", b.getStringAttr(kind->cls))};
  for (const auto &[key, value] : options) {
    if (!llvm::is_contained(kind->keys, key)) {
      error = "initializer " + kind->cls.str() + " has no option '" + key + "'";
      return failure();
    }
    entries.push_back(b.getNamedAttr(key, value));
  }
  return b.getDictionaryAttr(entries);
}

LogicalResult sinter::completeArgs(MLIRContext *ctx, const LayerDef &def,
                                   LayerArgs &args, std::string &error) {
  for (const ArgSpec &spec : def.args) {
    auto it = args.find(spec.name.str());
    if (it == args.end()) {
      if (!spec.defaultValue) {
        error = "missing argument '" + spec.name.str() + "'";
        return failure();
      }
      FailureOr<ArgValue> v = parseDefault(ctx, spec.kind, spec.defaultValue);
      if (failed(v)) {
        error = "internal: bad default for " + spec.name.str();
        return failure();
      }
      it = args.emplace(spec.name.str(), *v).first;
    }
    if (spec.kind == ArgKind::Int && it->second.i < spec.minInt) {
      error = "argument '" + spec.name.str() + "' must be >= " +
              std::to_string(spec.minInt) + ", got " +
              std::to_string(it->second.i);
      return failure();
    }
    if (spec.kind == ArgKind::Choice &&
        !llvm::is_contained(spec.choices, it->second.name)) {
      error = "argument '" + spec.name.str() + "' must be one of " +
              llvm::join(spec.choices, ", ") + ", got '" + it->second.name +
              "'";
      return failure();
    }
    if (spec.kind == ArgKind::Activation &&
        !llvm::is_contained(kActivations, it->second.name)) {
      error = "unknown activation '" + it->second.name +
              "' (supported: " + llvm::join(ArrayRef<llvm::StringLiteral>(kActivations), ", ") + ")";
      return failure();
    }
  }
  return success();
}

std::optional<std::string>
sinter::closestName(StringRef name, ArrayRef<StringRef> candidates) {
  std::optional<std::string> best;
  unsigned bestDistance = std::max<unsigned>(2, name.size() / 3) + 1;
  for (StringRef c : candidates) {
    unsigned d = name.edit_distance(c, /*AllowReplacements=*/true,
                                    bestDistance);
    if (d < bestDistance) {
      bestDistance = d;
      best = c.str();
    }
  }
  return best;
}
