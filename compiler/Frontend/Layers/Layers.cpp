//===- Layers.cpp - every layer Sinter compiles ---------------------------===//
#include "compiler/Frontend/Layers/Layers.h"
#include "compiler/Frontend/Layers/LayerKit.h"

#include "dialects/Sinter/IR/SinterDialect.h"
#include "dialects/Sinter/IR/WindowGeometry.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>

using namespace mlir;
using namespace sinter;
using namespace sinter::layers;

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
    {"RandomUniform", "uniform", {"seed", "minval", "maxval"}}, // Keras alias
    {"RandomNormal", "normal", {"seed", "mean", "stddev"}},     // Keras alias
    {"TruncatedNormal", "truncated_normal", {"seed", "mean", "stddev"}},
    {"Zeros", "zeros", {}},
    {"Ones", "ones", {}},
    {"Constant", "constant", {"value"}},
    {"VarianceScaling", "variance_scaling",
     {"seed", "scale", "mode", "distribution"}},
};

// gelu is Keras' exact form; gelu_tanh (Sinter's name) the tanh
// approximation; swish is Keras' alias of silu; leaky_relu has Keras'
// default slope, 0.2.
constexpr llvm::StringLiteral kActivations[] = {
    "linear", "relu",      "sigmoid", "tanh",  "softmax",
    "gelu",   "gelu_tanh", "silu",    "swish", "leaky_relu"};
constexpr double kLeakyReluSlope = 0.2;


//===----------------------------------------------------------------------===//
// Shape rules shared by several layers
//===----------------------------------------------------------------------===//



//===----------------------------------------------------------------------===//
// dense
//===----------------------------------------------------------------------===//

const ArgSpec kDenseArgs[] = {
    {"units", ArgKind::Int, nullptr, /*minInt=*/1},
    {"activation", ArgKind::Activation, "linear"},
    {"use_bias", ArgKind::Bool, "true"},
    {"kernel_initializer", ArgKind::Initializer, "glorot_uniform"},
    {"bias_initializer", ArgKind::Initializer, "zeros"},
    {"kernel_regularizer", ArgKind::Regularizer, "none"},
    {"bias_regularizer", ArgKind::Regularizer, "none"},
};

// Like Keras, Dense maps the last dimension and keeps the others.
FailureOr<Shape> denseInfer(ArrayRef<Shape> in, const LayerArgs &args,
                            std::string &) {
  Shape out = in[0];
  out.back() = args.at("units").i;
  return out;
}

SmallVector<WeightSpec> denseWeights(ArrayRef<Shape> in,
                                     const LayerArgs &args) {
  int64_t units = args.at("units").i;
  return kernelAndBias(args, {in[0].back(), units}, units);
}


Value denseEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange w,
                const LayerArgs &args, Type type) {
  return biasAndActivation(b, loc, applyKernel(b, loc, in[0], w[0], type), w,
                           args);
}

//===----------------------------------------------------------------------===//
// Activations as layers
//===----------------------------------------------------------------------===//

const ArgSpec kActivationArgs[] = {{"activation", ArgKind::Activation, nullptr}};

Value activationEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                     const LayerArgs &args, Type) {
  return activate(b, loc, args.at("activation").name, in[0]);
}

const ArgSpec kLeakyReluArgs[] = {{"negative_slope", ArgKind::Float, "0.3"}};

Value leakyReluEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                    const LayerArgs &args, Type) {
  return leakyRelu(b, loc, in[0], args.at("negative_slope").f);
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

// Keras counts axes over the batched tensor: 0 is the batch, -1 the last.
// Ops that work along the last dimension reach another axis by swapping it
// with the last (a transpose, its own inverse) before and after.

/// Keras' `axis` for inputs of per-example rank `rank` as a batched
/// dimension (1..rank), or failure with `error` (the batch is not an axis
/// these layers take).
FailureOr<int64_t> batchedAxis(const LayerArgs &args, int64_t rank,
                               std::string &error) {
  int64_t axis = args.at("axis").i;
  int64_t a = axis < 0 ? axis + rank + 1 : axis;
  if (a >= 1 && a <= rank)
    return a;
  error = "axis " + std::to_string(axis) + " is not an axis of the input " +
          "(1.." + std::to_string(rank) + ", or -" + std::to_string(rank) +
          "..-1 from the end; 0 is the batch)";
  return failure();
}

int64_t batchedAxisOf(const LayerArgs &args, Value x) {
  std::string unused; // the shape rule checked the axis
  return *batchedAxis(args, cast<RankedTensorType>(x.getType()).getRank() - 1,
                      unused);
}

/// `type` with dimension `axis` swapped with the last, and the permutation.
RankedTensorType swappedType(RankedTensorType type, int64_t axis,
                             SmallVectorImpl<int64_t> *perm = nullptr) {
  int64_t last = type.getRank() - 1;
  SmallVector<int64_t> shape(type.getShape());
  std::swap(shape[axis], shape[last]);
  if (perm) {
    perm->assign(llvm::to_vector(llvm::seq<int64_t>(0, last + 1)));
    std::swap((*perm)[axis], (*perm)[last]);
  }
  return RankedTensorType::get(shape, type.getElementType());
}

/// `x` with batched dimension `axis` swapped with the last.
Value swapWithLast(OpBuilder &b, Location loc, Value x, int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  if (axis == type.getRank() - 1)
    return x;
  SmallVector<int64_t> perm;
  RankedTensorType swapped = swappedType(type, axis, &perm);
  return b.create<TransposeOp>(loc, swapped, x, b.getDenseI64ArrayAttr(perm));
}

const ArgSpec kAxisArgs[] = {{"axis", ArgKind::Int, "-1"}};

FailureOr<Shape> softmaxInfer(ArrayRef<Shape> in, const LayerArgs &args,
                              std::string &error) {
  if (failed(batchedAxis(args, in[0].size(), error)))
    return failure();
  return in[0];
}

Value softmaxEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                  const LayerArgs &args, Type) {
  int64_t axis = batchedAxisOf(args, in[0]);
  Value y = b.create<SoftmaxOp>(loc, swapWithLast(b, loc, in[0], axis));
  return swapWithLast(b, loc, y, axis);
}

FailureOr<Shape> concatInfer(ArrayRef<Shape> in, const LayerArgs &args,
                             std::string &error) {
  FailureOr<int64_t> axis = batchedAxis(args, in[0].size(), error);
  if (failed(axis))
    return failure();
  size_t k = *axis - 1; // in the per-example shape
  Shape out = in[0];
  for (const Shape &s : in.drop_front()) {
    bool agree = s.size() == in[0].size();
    for (size_t d = 0; agree && d < s.size(); ++d)
      agree = d == k || s[d] == in[0][d];
    if (!agree) {
      error = "inputs must agree on all but axis " +
              std::to_string(args.at("axis").i) + ", got " +
              shapeString(in[0]) + " and " + shapeString(s);
      return failure();
    }
    out[k] += s[k];
  }
  return out;
}

Value concatEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                 const LayerArgs &args, Type type) {
  int64_t axis = batchedAxisOf(args, in[0]);
  SmallVector<Value> swapped;
  for (Value v : in)
    swapped.push_back(swapWithLast(b, loc, v, axis));
  Value joined = b.create<ConcatOp>(
      loc, swappedType(cast<RankedTensorType>(type), axis), swapped);
  return swapWithLast(b, loc, joined, axis);
}

//===----------------------------------------------------------------------===//
// Shape and value preprocessing
//===----------------------------------------------------------------------===//


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

// Keras counts the per-example dimensions from 1.
const ArgSpec kPermuteArgs[] = {{"dims", ArgKind::IntList, nullptr}};

FailureOr<Shape> permuteInfer(ArrayRef<Shape> in, const LayerArgs &args,
                              std::string &error) {
  const std::vector<int64_t> &dims = args.at("dims").ints;
  std::vector<int64_t> sorted(dims);
  std::sort(sorted.begin(), sorted.end());
  bool ok = dims.size() == in[0].size();
  for (size_t i = 0; ok && i < sorted.size(); ++i)
    ok = sorted[i] == int64_t(i + 1);
  if (!ok) {
    error = "dims must be a permutation of 1.." +
            std::to_string(in[0].size()) + ", got " + shapeString(dims);
    return failure();
  }
  Shape out;
  for (int64_t d : dims)
    out.push_back(in[0][d - 1]);
  return out;
}

Value permuteEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                  const LayerArgs &args, Type type) {
  SmallVector<int64_t> perm = {0};
  for (int64_t d : args.at("dims").ints)
    perm.push_back(d);
  return b.create<TransposeOp>(loc, type, in[0], b.getDenseI64ArrayAttr(perm));
}

const ArgSpec kRescalingArgs[] = {{"scale", ArgKind::Float, nullptr},
                                  {"offset", ArgKind::Float, "0"}};

Value rescalingEmit(OpBuilder &b, Location loc, ValueRange in, ValueRange,
                    const LayerArgs &args, Type) {
  return b.create<ScaleOp>(loc, in[0], b.getF32FloatAttr(args.at("scale").f),
                           b.getF32FloatAttr(args.at("offset").f));
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
  if (seed < 0)
    seed = nameSeed(loc, "dropout", 2166136261u);
  return b.create<DropoutOp>(loc, in[0], b.getF32FloatAttr(args.at("rate").f),
                             b.getI64IntegerAttr(seed));
}

constexpr unsigned kMany = ~0u;

const LayerDef kLayers[] = {
    {"dense", "Dense", 1, 1, kDenseArgs, denseInfer, denseWeights, denseEmit},
    {"activation", "Activation", 1, 1, kActivationArgs, sameShape, noWeights,
     activationEmit},
    {"relu", "ReLU", 1, 1, {}, sameShape, noWeights, unaryEmit<ReluOp>},
    {"leaky_relu", "LeakyReLU", 1, 1, kLeakyReluArgs, sameShape, noWeights,
     leakyReluEmit},
    {"sigmoid", "", 1, 1, {}, sameShape, noWeights, unaryEmit<SigmoidOp>},
    {"tanh", "", 1, 1, {}, sameShape, noWeights, unaryEmit<TanhOp>},
    {"softmax", "Softmax", 1, 1, kAxisArgs, softmaxInfer, noWeights,
     softmaxEmit},
    {"add", "Add", 2, kMany, {}, sameShape, noWeights, foldEmit<AddOp>},
    {"subtract", "Subtract", 2, 2, {}, sameShape, noWeights, foldEmit<SubOp>},
    {"multiply", "Multiply", 2, kMany, {}, sameShape, noWeights,
     foldEmit<MulOp>},
    {"average", "Average", 2, kMany, {}, sameShape, noWeights, averageEmit},
    {"concatenate", "Concatenate", 2, kMany, kAxisArgs, concatInfer,
     noWeights, concatEmit},
    {"flatten", "Flatten", 1, 1, {}, flattenInfer, noWeights, reshapeEmit},
    {"reshape", "Reshape", 1, 1, kReshapeArgs, reshapeInfer, noWeights,
     reshapeEmit},
    {"rescaling", "Rescaling", 1, 1, kRescalingArgs, sameShape, noWeights,
     rescalingEmit},
    {"permute", "Permute", 1, 1, kPermuteArgs, permuteInfer, noWeights,
     permuteEmit},
    {"dropout", "Dropout", 1, 1, kDropoutArgs, dropoutInfer, noWeights,
     dropoutEmit},
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
  case ArgKind::Regularizer: {
    std::string error;
    FailureOr<DictionaryAttr> reg = makeRegularizer(ctx, text, {}, error);
    if (failed(reg))
      return failure();
    v.init = *reg;
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

/// Every layer: the core table, then each family's.
static SmallVector<const LayerDef *> allLayers() {
  SmallVector<const LayerDef *> all;
  for (ArrayRef<LayerDef> family :
       {ArrayRef<LayerDef>(kLayers), imageLayers(), sequenceLayers(),
        normalizationLayers()})
    for (const LayerDef &d : family)
      all.push_back(&d);
  return all;
}

const LayerDef *sinter::findLayer(StringRef name) {
  for (const LayerDef *d : allLayers())
    if (d->name == name)
      return d;
  return nullptr;
}

const LayerDef *sinter::findKerasLayer(StringRef kerasClass) {
  for (const LayerDef *d : allLayers())
    if (!d->kerasClass.empty() && d->kerasClass == kerasClass)
      return d;
  return nullptr;
}

SmallVector<StringRef> sinter::layerNames() {
  SmallVector<StringRef> names;
  for (const LayerDef *d : allLayers())
    names.push_back(d->name);
  return names;
}

SmallVector<StringRef> sinter::kerasLayerClasses() {
  SmallVector<StringRef> names;
  for (const LayerDef *d : allLayers())
    if (!d->kerasClass.empty())
      names.push_back(d->kerasClass);
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

FailureOr<DictionaryAttr> sinter::makeRegularizer(
    MLIRContext *ctx, StringRef name,
    ArrayRef<std::pair<std::string, double>> options, std::string &error) {
  std::string n = name.lower();
  if (n == "none")
    return DictionaryAttr();
  bool l1 = n == "l1" || n == "l1l2" || n == "l1_l2";
  bool l2 = n == "l2" || n == "l1l2" || n == "l1_l2";
  if (!l1 && !l2) {
    error = "unknown regularizer '" + name.str() +
            "' (supported: l1, l2, l1_l2, none)";
    return failure();
  }
  // Keras: L1(l1=0.01), L2(l2=0.01), L1L2(l1=0.0, l2=0.0).
  bool both = l1 && l2;
  double v1 = l1 && !both ? 0.01 : 0.0, v2 = l2 && !both ? 0.01 : 0.0;
  for (const auto &[key, value] : options) {
    if ((key == "l1" && l1) || (key == "l2" && l2)) {
      (key == "l1" ? v1 : v2) = value;
      continue;
    }
    error = "regularizer " + name.str() + " has no option '" + key + "'";
    return failure();
  }
  if (v1 < 0 || v2 < 0) {
    error = "regularization factors must be >= 0";
    return failure();
  }
  Builder b(ctx);
  return b.getDictionaryAttr({b.getNamedAttr("l1", b.getF32FloatAttr(v1)),
                              b.getNamedAttr("l2", b.getF32FloatAttr(v2))});
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

//===----------------------------------------------------------------------===//
// Shared with the other layer files (LayerKit.h)
//===----------------------------------------------------------------------===//

Value sinter::layers::activate(OpBuilder &b, Location loc, StringRef name, Value x) {
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
  if (name == "leaky_relu")
    return leakyRelu(b, loc, x, kLeakyReluSlope);
  return x; // linear
}

// relu(x) - slope * relu(-x): x itself where x > 0, one rounding of
// slope * x elsewhere, from ops that carry their own VJPs.
Value sinter::layers::leakyRelu(OpBuilder &b, Location loc, Value x,
                                double slope) {
  auto scaled = [&](Value v, double factor) -> Value {
    return b.create<ScaleOp>(loc, v, b.getF32FloatAttr(factor),
                             b.getF32FloatAttr(0.0f));
  };
  Value negativePart = b.create<ReluOp>(loc, scaled(x, -1.0));
  return b.create<SubOp>(loc, b.create<ReluOp>(loc, x),
                         scaled(negativePart, slope));
}

FailureOr<Shape> sinter::layers::sameShape(ArrayRef<Shape> in, const LayerArgs &,
                           std::string &error) {
  for (const Shape &s : in.drop_front())
    if (s != in[0]) {
      error = "inputs must have one shape, got " + shapeString(in[0]) +
              " and " + shapeString(s);
      return failure();
    }
  return in[0];
}

SmallVector<WeightSpec> sinter::layers::noWeights(ArrayRef<Shape>, const LayerArgs &) {
  return {};
}

int64_t sinter::layers::elements(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : s)
    n *= d;
  return n;
}

/// `x · kernel` over x's last dimension: a matmul for [batch, in], else a
/// contraction ("abc,cz->abz").
Value sinter::layers::applyKernel(OpBuilder &b, Location loc, Value x, Value kernel,
                  Type type) {
  int64_t r = cast<RankedTensorType>(x.getType()).getRank();
  if (r == 2)
    return b.create<MatmulOp>(loc, type, x, kernel);
  std::string in = std::string("abcdefgh").substr(0, r);
  std::string spec =
      in + "," + in.back() + "z->" + in.substr(0, r - 1) + "z";
  return b.create<ContractOp>(loc, type, x, kernel, b.getStringAttr(spec));
}

SmallVector<WeightSpec> sinter::layers::kernelAndBias(const LayerArgs &args,
                                                      Shape kernel,
                                                      int64_t units) {
  SmallVector<WeightSpec> w = {{"kernel", kernel,
                                args.at("kernel_initializer").init,
                                args.at("kernel_regularizer").init}};
  if (args.at("use_bias").b)
    w.push_back({"bias", {units}, args.at("bias_initializer").init,
                 args.at("bias_regularizer").init});
  return w;
}

Value sinter::layers::biasAndActivation(OpBuilder &b, Location loc, Value h,
                                        ValueRange weights,
                                        const LayerArgs &args) {
  if (args.at("use_bias").b)
    h = b.create<BiasAddOp>(loc, h, weights[1]);
  return activate(b, loc, args.at("activation").name, h);
}

uint32_t sinter::layers::nameSeed(Location loc, StringRef unnamed,
                                  uint32_t basis) {
  StringRef name = unnamed;
  if (auto named = dyn_cast<NameLoc>(loc))
    name = named.getName().getValue();
  uint32_t h = basis;
  for (char c : name)
    h = (h ^ uint8_t(c)) * 16777619u;
  return h;
}
