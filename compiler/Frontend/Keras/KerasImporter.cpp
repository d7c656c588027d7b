//===- KerasImporter.cpp - Keras model JSON to the Sinter dialect ---------===//
//
// Reads Sequential models in the Keras 3 `config.json` form (as inside a
// `.keras` archive, with `compile_config`) and the Keras 2 `to_json()` form.
// Each layer becomes Sinter ops in `@forward`: Dense is matmul + bias_add +
// activation, Activation is its activation op. Parameters become arguments
// named `<layer>.kernel` / `<layer>.bias` carrying their initializer.
// Errors name the file and the JSON path, e.g.
//   model.json: $.config.layers[2].config.units: expected a positive integer
//
//===----------------------------------------------------------------------===//
#include "compiler/Frontend/Keras/KerasImporter.h"

#include "compiler/Transforms/TrainerLayout.h"
#include "compiler/Transforms/TrainingConfig.h"
#include "dialects/Sinter/IR/SinterDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace sinter;
namespace json = llvm::json;

namespace {

/// One parameter of the model: its name, shape and initializer.
struct ParamSpec {
  std::string name;
  SmallVector<int64_t> shape;
  DictionaryAttr init;
};

/// One layer after reading: what to emit and what it produced.
struct LayerSpec {
  std::string name, className;
  std::string activation; // "linear" for none
  int64_t units = 0;      // Dense
  bool useBias = true;    // Dense
  int64_t outWidth = 0;   // per-example output size
  unsigned firstParam = 0, numParams = 0;
};

constexpr llvm::StringLiteral kActivations[] = {"linear", "relu", "sigmoid",
                                                "tanh", "softmax"};

/// Keras initializer names as strings map to these class names.
constexpr std::pair<llvm::StringLiteral, llvm::StringLiteral> kInitAliases[] = {
    {"glorot_uniform", "GlorotUniform"},
    {"glorot_normal", "GlorotNormal"},
    {"he_uniform", "HeUniform"},
    {"he_normal", "HeNormal"},
    {"lecun_uniform", "LecunUniform"},
    {"lecun_normal", "LecunNormal"},
    {"random_uniform", "RandomUniform"},
    {"random_normal", "RandomNormal"},
    {"truncated_normal", "TruncatedNormal"},
    {"zeros", "Zeros"},
    {"ones", "Ones"},
    {"constant", "Constant"},
    {"variance_scaling", "VarianceScaling"},
};

/// Initializer classes and the numeric/string options each may carry.
struct InitKind {
  llvm::StringLiteral name;
  std::initializer_list<llvm::StringLiteral> keys;
};
const InitKind kInitKinds[] = {
    {"GlorotUniform", {"seed"}},
    {"GlorotNormal", {"seed"}},
    {"HeUniform", {"seed"}},
    {"HeNormal", {"seed"}},
    {"LecunUniform", {"seed"}},
    {"LecunNormal", {"seed"}},
    {"RandomUniform", {"seed", "minval", "maxval"}},
    {"RandomNormal", {"seed", "mean", "stddev"}},
    {"TruncatedNormal", {"seed", "mean", "stddev"}},
    {"Zeros", {}},
    {"Ones", {}},
    {"Constant", {"value"}},
    {"VarianceScaling", {"seed", "scale", "mode", "distribution"}},
};

class Importer {
public:
  Importer(MLIRContext *ctx, std::string path, const KerasImportOptions &opts)
      : ctx(ctx), b(ctx), path(std::move(path)), opts(opts) {}

  OwningOpRef<ModuleOp> run(std::string &error) {
    OwningOpRef<ModuleOp> module = import();
    if (!module)
      error = message;
    return module;
  }

private:
  //===--------------------------------------------------------------------===//
  // Error reporting: the first error wins; every reader returns failure.
  //===--------------------------------------------------------------------===//

  LogicalResult fail(const std::string &where, const std::string &what) {
    if (message.empty())
      message = path + ": " + (where.empty() ? "" : where + ": ") + what;
    return failure();
  }

  static std::string at(const std::string &p, llvm::StringRef key) {
    return p + "." + key.str();
  }
  static std::string at(const std::string &p, size_t index) {
    return p + "[" + std::to_string(index) + "]";
  }

  const json::Object *object(const json::Value *v, const std::string &p) {
    if (!v) {
      (void)fail(p, "missing (expected an object)");
      return nullptr;
    }
    if (const json::Object *o = v->getAsObject())
      return o;
    (void)fail(p, "expected an object");
    return nullptr;
  }

  FailureOr<int64_t> positiveInt(const json::Value *v, const std::string &p) {
    if (v)
      if (std::optional<int64_t> i = v->getAsInteger(); i && *i > 0)
        return *i;
    return fail(p, "expected a positive integer");
  }

  /// A layer's string option that may also be a serialized function object
  /// (`{"class_name": "function", "config": "relu"}`); null is `dflt`.
  FailureOr<std::string> nameOption(const json::Value *v, const std::string &p,
                                    llvm::StringRef dflt) {
    if (!v || v->kind() == json::Value::Null)
      return dflt.str();
    if (std::optional<llvm::StringRef> s = v->getAsString())
      return s->str();
    if (const json::Object *o = v->getAsObject())
      if (std::optional<llvm::StringRef> s = o->getString("config"))
        return s->str();
    return fail(p, "expected a name");
  }

  //===--------------------------------------------------------------------===//
  // The model
  //===--------------------------------------------------------------------===//

  OwningOpRef<ModuleOp> import() {
    auto buffer = llvm::MemoryBuffer::getFile(path);
    if (!buffer) {
      (void)fail("", "cannot read: " + buffer.getError().message());
      return nullptr;
    }
    llvm::StringRef text = (*buffer)->getBuffer();
    if (text.starts_with("PK\x03\x04")) {
      (void)fail("", "this is a .keras archive; pass its config.json (unzip "
                     "it first)");
      return nullptr;
    }
    llvm::Expected<json::Value> root = json::parse(text);
    if (!root) {
      (void)fail("", "malformed JSON: " + llvm::toString(root.takeError()));
      return nullptr;
    }
    const json::Object *top = object(&*root, "$");
    if (!top)
      return nullptr;
    std::optional<llvm::StringRef> cls = top->getString("class_name");
    if (!cls) {
      (void)fail("$.class_name", "missing (expected \"Sequential\")");
      return nullptr;
    }
    if (*cls != "Sequential") {
      (void)fail("$.class_name",
                 "unsupported model class '" + cls->str() +
                     "' (supported: Sequential; functional graphs are not "
                     "compiled yet)");
      return nullptr;
    }
    const json::Object *config = object(top->get("config"), "$.config");
    if (!config)
      return nullptr;
    modelName = config->getString("name").value_or("sequential").str();
    if (failed(readLayers(*config, "$.config")) ||
        failed(readTraining(*top)))
      return nullptr;
    return emit();
  }

  /// Reads `config.layers`, fixing the input width and every layer's spec.
  LogicalResult readLayers(const json::Object &config, const std::string &p) {
    const json::Array *layers = config.getArray("layers");
    if (!layers)
      return fail(at(p, "layers"), "missing (expected an array of layers)");
    // Keras 3 records the input shape on the Sequential config too.
    if (const json::Value *bis = config.get("build_input_shape"))
      if (bis->kind() != json::Value::Null &&
          failed(readBatchShape(bis, at(p, "build_input_shape"))))
        return failure();
    for (size_t i = 0; i < layers->size(); ++i)
      if (failed(readLayer((*layers)[i], at(at(p, "layers"), i))))
        return failure();
    if (!inputWidth)
      return fail(at(p, "layers"),
                  "no input shape: expected an InputLayer with batch_shape, "
                  "a batch_input_shape on the first layer, or "
                  "build_input_shape");
    if (specs.empty())
      return fail(at(p, "layers"), "the model has no layers to train");
    return success();
  }

  /// `[null, n]`: sets the input width (the batch dimension is dynamic).
  LogicalResult readBatchShape(const json::Value *v, const std::string &p) {
    const json::Array *dims = v ? v->getAsArray() : nullptr;
    if (!dims || dims->size() != 2 || (*dims)[0].kind() != json::Value::Null)
      return fail(p, "expected [null, features] (Dense networks take "
                     "rank-2 inputs)");
    FailureOr<int64_t> width = positiveInt(&(*dims)[1], at(p, 1));
    if (failed(width))
      return failure();
    if (inputWidth && inputWidth != *width)
      return fail(p, "input shape disagrees with the one given earlier (" +
                         std::to_string(inputWidth) + " features)");
    inputWidth = *width;
    return success();
  }

  LogicalResult readLayer(const json::Value &v, const std::string &p) {
    const json::Object *layer = object(&v, p);
    if (!layer)
      return failure();
    std::optional<llvm::StringRef> cls = layer->getString("class_name");
    if (!cls)
      return fail(at(p, "class_name"), "missing (expected a layer class)");
    const json::Object *cfg = object(layer->get("config"), at(p, "config"));
    if (!cfg)
      return failure();
    std::string cp = at(p, "config");
    for (llvm::StringRef key : {"batch_input_shape", "batch_shape"})
      if (const json::Value *s = cfg->get(key))
        if (s->kind() != json::Value::Null &&
            failed(readBatchShape(s, at(cp, key))))
          return failure();
    if (*cls == "InputLayer") {
      inputName = cfg->getString("name").value_or("input_layer").str();
      return success();
    }
    if (!inputWidth)
      if (const json::Object *bc = layer->getObject("build_config"))
        if (failed(readBatchShape(bc->get("input_shape"),
                                  at(at(p, "build_config"), "input_shape"))))
          return failure();
    if (std::optional<bool> trainable = cfg->getBoolean("trainable");
        trainable && !*trainable)
      return fail(at(cp, "trainable"),
                  "frozen layers (trainable: false) are not supported yet");

    LayerSpec spec;
    spec.className = cls->str();
    spec.name = cfg->getString("name")
                    .value_or(defaultName(*cls))
                    .str();
    if (!layerNames.insert(spec.name).second)
      return fail(at(cp, "name"), "duplicate layer name '" + spec.name + "'");
    int64_t in = specs.empty() ? inputWidth : specs.back().outWidth;
    if (!in)
      return fail(p, "the input shape is unknown at this layer: expected an "
                     "InputLayer or batch_input_shape before it");

    if (*cls == "Dense") {
      FailureOr<int64_t> units = positiveInt(cfg->get("units"), at(cp, "units"));
      if (failed(units) || failed(readActivation(*cfg, cp, spec)))
        return failure();
      spec.units = spec.outWidth = *units;
      spec.useBias = cfg->getBoolean("use_bias").value_or(true);
      for (llvm::StringRef key :
           {"kernel_regularizer", "bias_regularizer", "activity_regularizer",
            "kernel_constraint", "bias_constraint"})
        if (const json::Value *r = cfg->get(key);
            r && r->kind() != json::Value::Null)
          return fail(at(cp, key), "regularizers and constraints are not "
                                   "supported yet (expected null)");
      spec.firstParam = params.size();
      FailureOr<DictionaryAttr> kinit = readInitializer(
          cfg->get("kernel_initializer"), at(cp, "kernel_initializer"),
          "GlorotUniform");
      if (failed(kinit))
        return failure();
      params.push_back({spec.name + ".kernel", {in, *units}, *kinit});
      if (spec.useBias) {
        FailureOr<DictionaryAttr> binit = readInitializer(
            cfg->get("bias_initializer"), at(cp, "bias_initializer"), "Zeros");
        if (failed(binit))
          return failure();
        params.push_back({spec.name + ".bias", {*units}, *binit});
      }
      spec.numParams = params.size() - spec.firstParam;
    } else if (*cls == "Activation") {
      if (!cfg->get("activation"))
        return fail(at(cp, "activation"), "missing (expected an activation)");
      if (failed(readActivation(*cfg, cp, spec)))
        return failure();
      spec.outWidth = in;
      spec.firstParam = params.size();
    } else {
      return fail(at(p, "class_name"),
                  "unknown layer class '" + cls->str() +
                      "' (supported: InputLayer, Dense, Activation)");
    }
    specs.push_back(std::move(spec));
    return success();
  }

  LogicalResult readActivation(const json::Object &cfg, const std::string &cp,
                               LayerSpec &spec) {
    FailureOr<std::string> act =
        nameOption(cfg.get("activation"), at(cp, "activation"), "linear");
    if (failed(act))
      return failure();
    if (!llvm::is_contained(kActivations, *act))
      return fail(at(cp, "activation"),
                  "unknown activation '" + *act +
                      "' (supported: linear, relu, sigmoid, tanh, softmax)");
    spec.activation = *act;
    return success();
  }

  std::string defaultName(llvm::StringRef cls) {
    std::string base = cls == "Dense" ? "dense" : "activation";
    unsigned &n = nameCounts[base];
    return n++ ? base + "_" + std::to_string(n - 1) : base;
  }

  /// An initializer as a string ("glorot_uniform") or a serialized object
  /// (`{"class_name": "GlorotUniform", "config": {"seed": null}}`).
  FailureOr<DictionaryAttr> readInitializer(const json::Value *v,
                                            const std::string &p,
                                            llvm::StringRef dflt) {
    std::string cls = dflt.str();
    const json::Object *cfg = nullptr;
    if (v && v->kind() != json::Value::Null) {
      if (std::optional<llvm::StringRef> s = v->getAsString()) {
        cls = s->str();
      } else if (const json::Object *o = v->getAsObject()) {
        std::optional<llvm::StringRef> c = o->getString("class_name");
        if (!c)
          return fail(at(p, "class_name"), "missing (expected an "
                                           "initializer class)");
        cls = c->str();
        cfg = o->getObject("config");
      } else {
        return fail(p, "expected an initializer name or object");
      }
    }
    for (auto &[alias, name] : kInitAliases)
      if (cls == alias)
        cls = name.str();
    const InitKind *kind = nullptr;
    for (const InitKind &k : kInitKinds)
      if (cls == k.name)
        kind = &k;
    if (!kind) {
      std::string names = llvm::join(
          llvm::map_range(kInitKinds, [](const InitKind &k) {
            return k.name.str();
          }),
          ", ");
      return fail(p, "unknown initializer '" + cls + "' (supported: " +
                         names + ")");
    }
    SmallVector<NamedAttribute> entries = {
        b.getNamedAttr("class", b.getStringAttr(cls))};
    if (cfg)
      for (const auto &kv : *cfg) {
        llvm::StringRef key = kv.first;
        const json::Value &val = kv.second;
        std::string kp = at(at(p, "config"), key);
        if (val.kind() == json::Value::Null)
          continue;
        if (!llvm::is_contained(kind->keys, key))
          return fail(kp, "unknown option for " + cls);
        if (key == "seed") {
          std::optional<int64_t> seed = val.getAsInteger();
          if (!seed)
            return fail(kp, "expected an integer seed or null");
          entries.push_back(b.getNamedAttr(key, b.getI64IntegerAttr(*seed)));
        } else if (std::optional<llvm::StringRef> s = val.getAsString()) {
          entries.push_back(b.getNamedAttr(key, b.getStringAttr(*s)));
        } else if (std::optional<double> d = val.getAsNumber()) {
          entries.push_back(b.getNamedAttr(key, b.getF32FloatAttr(*d)));
        } else {
          return fail(kp, "expected a number");
        }
      }
    return b.getDictionaryAttr(entries);
  }

  //===--------------------------------------------------------------------===//
  // Training configuration: compile_config (Keras 3) or the flags.
  //===--------------------------------------------------------------------===//

  LogicalResult readTraining(const json::Object &top) {
    const json::Object *cc = top.getObject("compile_config");
    std::string p = "$.compile_config";
    // Loss.
    if (!opts.loss.empty()) {
      std::optional<llvm::StringRef> c = canonicalLossName(opts.loss);
      if (!c)
        return fail("--loss", "unknown loss '" + opts.loss +
                                  "' (supported: " + supportedLosses() + ")");
      loss = c->str();
    } else if (cc && cc->get("loss") &&
               cc->get("loss")->kind() != json::Value::Null) {
      if (failed(readLoss(cc->get("loss"), at(p, "loss"))))
        return failure();
    } else {
      return fail("", "no loss: the file has no compile_config.loss; pass "
                      "--loss NAME");
    }
    // Optimizer.
    std::string optName;
    SmallVector<NamedAttribute> hypers;
    if (!opts.optimizer.empty()) {
      optName = opts.optimizer;
      if (!canonicalOptimizerName(optName))
        return fail("--optimizer", "unknown optimizer '" + optName +
                                       "' (supported: " +
                                       supportedOptimizers() + ")");
    } else if (cc && cc->get("optimizer") &&
               cc->get("optimizer")->kind() != json::Value::Null) {
      if (failed(readOptimizer(cc->get("optimizer"), at(p, "optimizer"),
                               optName, hypers)))
        return failure();
    } else {
      return fail("", "no optimizer: the file has no "
                      "compile_config.optimizer; pass --optimizer NAME");
    }
    std::string error;
    FailureOr<DictionaryAttr> opt =
        completeOptimizer(ctx, optName, hypers, error);
    if (failed(opt))
      return fail(opts.optimizer.empty() ? at(p, "optimizer") : "--optimizer",
                  error);
    optimizer = *opt;
    return success();
  }

  LogicalResult readLoss(const json::Value *v, const std::string &p) {
    std::string name;
    if (std::optional<llvm::StringRef> s = v->getAsString()) {
      name = s->str();
    } else if (const json::Object *o = v->getAsObject()) {
      // Either {"class_name": "function", "config": "mse"} or a loss class.
      std::optional<llvm::StringRef> cls = o->getString("class_name");
      if (const json::Value *c = o->get("config"); c && c->getAsString()) {
        name = c->getAsString()->str();
      } else if (cls) {
        name = cls->str();
        if (const json::Object *cfg = o->getObject("config")) {
          if (cfg->getBoolean("from_logits").value_or(false))
            return fail(at(at(p, "config"), "from_logits"),
                        "losses on logits are not supported yet (expected "
                        "false)");
          if (std::optional<double> ls = cfg->getNumber("label_smoothing");
              ls && *ls != 0)
            return fail(at(at(p, "config"), "label_smoothing"),
                        "label smoothing is not supported yet (expected 0)");
          if (std::optional<llvm::StringRef> red = cfg->getString("reduction");
              red && *red != "sum_over_batch_size" && *red != "auto")
            return fail(at(at(p, "config"), "reduction"),
                        "unsupported reduction '" + red->str() +
                            "' (expected sum_over_batch_size)");
        }
      } else {
        return fail(p, "expected a loss name or a serialized loss");
      }
    } else {
      return fail(p, "expected one loss (a name or a serialized loss); "
                     "models with several outputs are not supported yet");
    }
    std::optional<llvm::StringRef> c = canonicalLossName(name);
    if (!c)
      return fail(p, "unknown loss '" + name + "' (supported: " +
                         supportedLosses() + ")");
    loss = c->str();
    return success();
  }

  LogicalResult readOptimizer(const json::Value *v, const std::string &p,
                              std::string &name,
                              SmallVectorImpl<NamedAttribute> &hypers) {
    if (std::optional<llvm::StringRef> s = v->getAsString()) {
      name = s->str();
      if (!canonicalOptimizerName(name))
        return fail(p, "unknown optimizer '" + name + "' (supported: " +
                           supportedOptimizers() + ")");
      return success();
    }
    const json::Object *o = object(v, p);
    if (!o)
      return failure();
    std::optional<llvm::StringRef> cls = o->getString("class_name");
    if (!cls)
      return fail(at(p, "class_name"), "missing (expected an optimizer class)");
    name = cls->str();
    if (!canonicalOptimizerName(name))
      return fail(at(p, "class_name"),
                  "unknown optimizer '" + name + "' (supported: " +
                      supportedOptimizers() + ")");
    const json::Object *cfg = o->getObject("config");
    if (!cfg)
      return success();
    std::string cp = at(p, "config");
    // Keys that do not change the update, and features that must be off.
    static constexpr llvm::StringLiteral kIgnored[] = {
        "name", "ema_momentum", "ema_overwrite_frequency", "jit_compile",
        "is_legacy_optimizer"};
    static constexpr llvm::StringLiteral kMustBeOff[] = {
        "weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema",
        "loss_scale_factor", "gradient_accumulation_steps", "decay"};
    for (const auto &kv : *cfg) {
      llvm::StringRef key = kv.first;
      const json::Value &val = kv.second;
      if (llvm::is_contained(kIgnored, key))
        continue;
      if (llvm::is_contained(kMustBeOff, key)) {
        bool off = val.kind() == json::Value::Null ||
                   val.getAsBoolean() == std::optional<bool>(false) ||
                   val.getAsNumber() == std::optional<double>(0.0);
        if (!off)
          return fail(at(cp, key), "'" + key.str() +
                                       "' is not supported yet (expected "
                                       "null, 0 or false)");
        continue;
      }
      llvm::StringRef hk = key == "lr" ? "learning_rate" : key; // Keras 2
      if (std::optional<bool> bv = val.getAsBoolean())
        hypers.push_back(b.getNamedAttr(hk, b.getBoolAttr(*bv)));
      else if (std::optional<double> d = val.getAsNumber())
        hypers.push_back(b.getNamedAttr(hk, b.getF32FloatAttr(*d)));
      else if (key == "learning_rate" && val.getAsObject())
        return fail(at(cp, key), "learning-rate schedules are not supported "
                                 "yet (expected a number)");
      else
        return fail(at(cp, key), "expected a number or a bool");
    }
    return success();
  }

  //===--------------------------------------------------------------------===//
  // Emission
  //===--------------------------------------------------------------------===//

  OwningOpRef<ModuleOp> emit() {
    Location fileLoc = FileLineColLoc::get(ctx, path, 1, 1);
    OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
    auto f32 = b.getF32Type();
    int64_t dyn = ShapedType::kDynamic;

    SmallVector<Type> argTypes = {RankedTensorType::get({dyn, inputWidth}, f32)};
    for (const ParamSpec &p : params)
      argTypes.push_back(RankedTensorType::get(p.shape, f32));
    int64_t outWidth = specs.back().outWidth;
    auto fnType = b.getFunctionType(
        argTypes, RankedTensorType::get({dyn, outWidth}, f32));

    b.setInsertionPointToEnd(module->getBody());
    auto fn = b.create<func::FuncOp>(fileLoc, "forward", fnType);
    fn.setArgAttr(0, attrs::kInput, b.getStringAttr(inputName));
    for (auto [i, p] : llvm::enumerate(params)) {
      fn.setArgAttr(i + 1, attrs::kParam, b.getStringAttr(p.name));
      fn.setArgAttr(i + 1, attrs::kInit, p.init);
    }
    Block *body = fn.addEntryBlock();
    b.setInsertionPointToStart(body);

    Value h = body->getArgument(0);
    SmallVector<Attribute> layerAttrs;
    for (const LayerSpec &s : specs) {
      Location loc = NameLoc::get(b.getStringAttr(s.name), fileLoc);
      auto type = RankedTensorType::get({dyn, s.outWidth}, f32);
      if (s.className == "Dense") {
        h = b.create<MatmulOp>(loc, type, h,
                               body->getArgument(1 + s.firstParam));
        if (s.useBias)
          h = b.create<BiasAddOp>(loc, h,
                                  body->getArgument(2 + s.firstParam));
      }
      h = activation(loc, s.activation, h);
      int64_t count = 0;
      for (unsigned i = 0; i < s.numParams; ++i) {
        int64_t n = 1;
        for (int64_t d : params[s.firstParam + i].shape)
          n *= d;
        count += n;
      }
      layerAttrs.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("name", b.getStringAttr(s.name)),
           b.getNamedAttr("class", b.getStringAttr(s.className)),
           b.getNamedAttr("shape", b.getDenseI64ArrayAttr({s.outWidth})),
           b.getNamedAttr("params", b.getI64IntegerAttr(count))}));
    }
    b.create<func::ReturnOp>(fileLoc, h);

    (*module)->setAttr(attrs::kModelName, b.getStringAttr(modelName));
    (*module)->setAttr(attrs::kLoss, b.getStringAttr(loss));
    (*module)->setAttr(attrs::kOptimizer, optimizer);
    (*module)->setAttr(attrs::kLayers, b.getArrayAttr(layerAttrs));
    return module;
  }

  Value activation(Location loc, llvm::StringRef name, Value x) {
    if (name == "relu")
      return b.create<ReluOp>(loc, x);
    if (name == "sigmoid")
      return b.create<SigmoidOp>(loc, x);
    if (name == "tanh")
      return b.create<TanhOp>(loc, x);
    if (name == "softmax")
      return b.create<SoftmaxOp>(loc, x);
    return x; // linear
  }

  MLIRContext *ctx;
  OpBuilder b;
  std::string path;
  const KerasImportOptions &opts;
  std::string message;

  std::string modelName, inputName = "input_layer", loss;
  DictionaryAttr optimizer;
  int64_t inputWidth = 0;
  SmallVector<LayerSpec> specs;
  SmallVector<ParamSpec> params;
  llvm::StringSet<> layerNames;
  llvm::StringMap<unsigned> nameCounts;
};

} // namespace

OwningOpRef<ModuleOp>
sinter::importKerasModel(MLIRContext *ctx, const std::string &path,
                         const KerasImportOptions &options,
                         std::string &error) {
  ctx->loadDialect<SinterDialect, func::FuncDialect>();
  return Importer(ctx, path, options).run(error);
}
