//===- KerasImporter.cpp - Keras model JSON to the Sinter dialect ---------===//
//
// Reads Keras models: Sequential and Functional, in the Keras 3
// `config.json` form (bare, or inside a `.keras` zip archive) and the Keras 2
// `to_json()` form (Sequential, Model and Functional with nested-list
// inbound nodes). Layers resolve through the shared layer library
// (compiler/Frontend/Layers), whose argument names are the Keras config
// keys; the graph is built by GraphBuilder. Errors name the file and the
// JSON path, e.g.
//   model.json: $.config.layers[2].config.units: expected a positive integer
//
//===----------------------------------------------------------------------===//
#include "compiler/Frontend/Keras/KerasImporter.h"

#include "compiler/Frontend/Keras/ZipReader.h"
#include "compiler/Frontend/Layers/GraphBuilder.h"
#include "compiler/Transforms/TrainerLayout.h"
#include "compiler/Transforms/TrainingConfig.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace sinter;
namespace json = llvm::json;

namespace {

/// A reference to a tensor in a functional graph: the `node`-th call of
/// layer `layer`, output `tensor`.
struct TensorRef {
  std::string layer;
  int64_t node = 0, tensor = 0;
};

// Config keys that never change what a layer computes.
constexpr llvm::StringLiteral kNeutralKeys[] = {
    "name", "trainable", "dtype", "batch_input_shape", "batch_shape",
    "input_shape", "input_dim", "sparse", "ragged", "optional"};

// Option values that are the only ones Sinter implements.
const std::pair<llvm::StringLiteral, llvm::StringLiteral> kOnlyValue[] = {
    {"data_format", "channels_last"}};

// Options whose Keras default Sinter implements; other values are rejected.
const std::pair<llvm::StringLiteral, double> kDefaultOnly[] = {
    {"negative_slope", 0.0}, {"threshold", 0.0}};

class Importer {
public:
  Importer(MLIRContext *ctx, std::string path, const KerasImportOptions &opts)
      : ctx(ctx), b(ctx), path(std::move(path)), opts(opts),
        graph(ctx, FileLineColLoc::get(ctx, this->path, 1, 1)) {}

  OwningOpRef<ModuleOp> run(std::optional<StringRef> contents,
                            std::string &error) {
    OwningOpRef<ModuleOp> module = import(contents);
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

  Location loc() { return FileLineColLoc::get(ctx, path, 1, 1); }

  OwningOpRef<ModuleOp> import(std::optional<StringRef> contents) {
    std::string text;
    if (contents) {
      text = contents->str();
    } else {
      auto buffer = llvm::MemoryBuffer::getFile(path);
      if (!buffer) {
        (void)fail("", "cannot read: " + buffer.getError().message());
        return nullptr;
      }
      text = (*buffer)->getBuffer().str();
    }
    if (llvm::StringRef(text).starts_with("PK\x03\x04")) {
      std::string error;
      std::optional<std::string> config =
          readZipMember(text, "config.json", error);
      if (!config) {
        (void)fail("", ".keras archive: " + error);
        return nullptr;
      }
      path += ":config.json";
      text = std::move(*config);
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
      (void)fail("$.class_name", "missing (expected \"Sequential\" or "
                                 "\"Functional\")");
      return nullptr;
    }
    const json::Object *config = object(top->get("config"), "$.config");
    if (!config)
      return nullptr;
    modelName = config->getString("name").value_or("model").str();
    FailureOr<Value> output = failure();
    if (*cls == "Sequential")
      output = importSequential(*config, "$.config");
    else if (*cls == "Functional" || *cls == "Model")
      output = importFunctional(*config, "$.config");
    else
      (void)fail("$.class_name",
                 "unsupported model class '" + cls->str() +
                     "' (supported: Sequential, Functional, Model; "
                     "subclassed models are Python code)");
    if (failed(output) || failed(readTraining(*top)))
      return nullptr;
    OwningOpRef<ModuleOp> module =
        graph.finish(*output, modelName, loss, optimizer);
    if (module && schedule)
      (*module)->setAttr(attrs::kLrSchedule, schedule);
    if (module && topK)
      (*module)->setAttr(attrs::kTopK, b.getI64IntegerAttr(topK));
    return module;
  }

  //===--------------------------------------------------------------------===//
  // Layers
  //===--------------------------------------------------------------------===//

  /// Per-example shape from `[null, d1, ...]`.
  FailureOr<Shape> batchShape(const json::Value *v, const std::string &p) {
    const json::Array *dims = v ? v->getAsArray() : nullptr;
    if (!dims || dims->size() < 2 || (*dims)[0].kind() != json::Value::Null)
      return fail(p, "expected [null, d1, ...] (a batch of examples)");
    Shape shape;
    for (size_t i = 1; i < dims->size(); ++i) {
      FailureOr<int64_t> d = positiveInt(&(*dims)[i], at(p, i));
      if (failed(d))
        return failure();
      shape.push_back(*d);
    }
    return shape;
  }

  /// The shape an InputLayer (or a first layer) declares, if any.
  FailureOr<std::optional<Shape>> declaredShape(const json::Object &cfg,
                                                const std::string &cp) {
    for (llvm::StringRef key : {"batch_shape", "batch_input_shape"})
      if (const json::Value *s = cfg.get(key);
          s && s->kind() != json::Value::Null) {
        FailureOr<Shape> shape = batchShape(s, at(cp, key));
        if (failed(shape))
          return failure();
        return std::optional<Shape>(*shape);
      }
    return std::optional<Shape>();
  }

  LogicalResult checkInputDtype(const json::Object &cfg,
                                const std::string &cp) {
    const json::Value *dtype = cfg.get("dtype");
    std::optional<llvm::StringRef> name =
        dtype ? dtype->getAsString() : std::nullopt;
    if (dtype && dtype->getAsObject())
      if (const json::Object *c = dtype->getAsObject()->getObject("config"))
        name = c->getString("name");
    // Integer inputs (token ids) travel as floats, exact below 2^24.
    if (name && *name != "float32" && *name != "int32" && *name != "int64")
      return fail(at(cp, "dtype"), "inputs must be float32, int32 or int64, "
                                   "got " + name->str());
    return success();
  }

  /// Declares the layer described by `layer` (not an InputLayer) in the
  /// graph; returns its name.
  FailureOr<std::string> declareLayer(const json::Object &layer,
                                      const std::string &p) {
    std::optional<llvm::StringRef> cls = layer.getString("class_name");
    if (!cls)
      return fail(at(p, "class_name"), "missing (expected a layer class)");
    const json::Object *cfg = object(layer.get("config"), at(p, "config"));
    if (!cfg)
      return failure();
    std::string cp = at(p, "config");
    const LayerDef *def = findKerasLayer(*cls);
    if (!def) {
      SmallVector<StringRef> known = kerasLayerClasses();
      known.push_back("InputLayer");
      std::optional<std::string> near = closestName(*cls, known);
      return fail(at(p, "class_name"),
                  "unknown layer class '" + cls->str() + "'" +
                      (near ? " (did you mean '" + *near + "'?)" : "") +
                      " (supported: " + llvm::join(known, ", ") + ")");
    }
    bool frozen = cfg->getBoolean("trainable") == std::optional<bool>(false);

    LayerArgs args;
    for (const auto &kv : *cfg) {
      llvm::StringRef key = kv.first;
      const json::Value &val = kv.second;
      std::string kp = at(cp, key);
      const ArgSpec *spec = llvm::find_if(
          def->args, [&](const ArgSpec &a) { return a.name == key; });
      if (spec != def->args.end()) {
        if (val.kind() == json::Value::Null)
          continue;
        FailureOr<ArgValue> v = argValue(*spec, val, kp);
        if (failed(v))
          return failure();
        args[key.str()] = *v;
        continue;
      }
      if (llvm::is_contained(kNeutralKeys, key) ||
          val.kind() == json::Value::Null ||
          val.getAsBoolean() == std::optional<bool>(false))
        continue;
      auto only = llvm::find_if(kOnlyValue,
                                [&](auto &o) { return o.first == key; });
      if (only != std::end(kOnlyValue)) {
        if (val.getAsString() == std::optional<llvm::StringRef>(only->second))
          continue;
        return fail(kp, "only '" + only->second.str() + "' is supported");
      }
      auto dflt = llvm::find_if(kDefaultOnly,
                                [&](auto &d) { return d.first == key; });
      if (dflt != std::end(kDefaultOnly) &&
          val.getAsNumber() == std::optional<double>(dflt->second))
        continue;
      llvm::StringRef why =
          key.ends_with("regularizer") || key.ends_with("constraint")
              ? "regularizers and constraints are not supported yet"
              : "this option is not supported";
      return fail(kp, why.str() + " (expected null)");
    }
    if (failed(readCallArgs(layer, *def, args, p)))
      return failure();
    std::string name =
        layer.getString("name")
            .value_or(cfg->getString("name").value_or(""))
            .str();
    if (name.empty())
      name = graph.uniqueName("", def->name);
    std::string error;
    if (failed(graph.declare(name, *def, std::move(args), error, frozen)))
      return fail(cp, error);
    return name;
  }

  /// Call options a layer takes as arguments (MultiHeadAttention's
  /// use_causal_mask): read from the kwargs of its calls, which must agree.
  LogicalResult readCallArgs(const json::Object &layer, const LayerDef &def,
                             LayerArgs &args, const std::string &p) {
    const json::Array *nodes = layer.getArray("inbound_nodes");
    if (!nodes)
      return success();
    for (size_t n = 0; n < nodes->size(); ++n) {
      const json::Object *node = (*nodes)[n].getAsObject();
      const json::Object *kw = node ? node->getObject("kwargs") : nullptr;
      if (!kw)
        continue;
      for (const ArgSpec &spec : def.args) {
        const json::Value *val = kw->get(spec.name);
        if (!val || val->kind() == json::Value::Null)
          continue;
        std::string kp =
            at(at(at(at(p, "inbound_nodes"), n), "kwargs"), spec.name);
        FailureOr<ArgValue> v = argValue(spec, *val, kp);
        if (failed(v))
          return failure();
        auto [it, first] = args.try_emplace(spec.name.str(), *v);
        if (!first && (it->second.b != v->b || it->second.i != v->i))
          return fail(kp, "every call of a layer must pass the same value");
      }
    }
    return success();
  }

  FailureOr<ArgValue> argValue(const ArgSpec &spec, const json::Value &val,
                               const std::string &p) {
    ArgValue v;
    v.kind = spec.kind;
    switch (spec.kind) {
    case ArgKind::Int:
      if (std::optional<int64_t> i = val.getAsInteger();
          i && *i >= spec.minInt) {
        v.i = *i;
        return v;
      }
      return fail(p, spec.minInt == INT64_MIN
                         ? std::string("expected an integer")
                         : "expected an integer >= " +
                               std::to_string(spec.minInt));
    case ArgKind::Float:
      if (std::optional<double> d = val.getAsNumber()) {
        v.f = *d;
        return v;
      }
      return fail(p, "expected a number");
    case ArgKind::Bool:
      if (std::optional<bool> bv = val.getAsBoolean()) {
        v.b = *bv;
        return v;
      }
      return fail(p, "expected true or false");
    case ArgKind::Activation: {
      FailureOr<std::string> name = nameOption(&val, p, "linear");
      if (failed(name))
        return failure();
      v.name = *name;
      if (!llvm::is_contained(activationNames(), v.name))
        return fail(p, "unknown activation '" + v.name + "' (supported: " +
                           llvm::join(activationNames(), ", ") + ")");
      return v;
    }
    case ArgKind::Choice: {
      std::optional<llvm::StringRef> name = val.getAsString();
      if (!name || !llvm::is_contained(spec.choices, *name))
        return fail(p, "expected one of " + llvm::join(spec.choices, ", ") +
                           (name ? ", got '" + name->str() + "'" : ""));
      v.name = name->str();
      return v;
    }
    case ArgKind::IntList: {
      if (std::optional<int64_t> one = val.getAsInteger()) {
        v.ints.push_back(*one); // Keras accepts kernel_size = 3
        return v;
      }
      const json::Array *list = val.getAsArray();
      if (!list)
        return fail(p, "expected a list of integers");
      for (size_t i = 0; i < list->size(); ++i) {
        std::optional<int64_t> d = (*list)[i].getAsInteger();
        if (!d)
          return fail(at(p, i), "expected an integer");
        v.ints.push_back(*d);
      }
      return v;
    }
    case ArgKind::Regularizer: {
      // "l2", or {"class_name": "L2", "config": {"l2": 0.01}}.
      std::string cls;
      SmallVector<std::pair<std::string, double>> options;
      if (std::optional<llvm::StringRef> s = val.getAsString()) {
        cls = s->str();
      } else if (const json::Object *o = val.getAsObject()) {
        cls = o->getString("class_name").value_or("").str();
        if (const json::Object *cfg = o->getObject("config"))
          for (const auto &kv : *cfg) {
            std::optional<double> d = kv.second.getAsNumber();
            if (!d)
              return fail(at(at(p, "config"), kv.first), "expected a number");
            options.push_back({kv.first.str(), *d});
          }
      }
      std::string error;
      FailureOr<DictionaryAttr> reg =
          makeRegularizer(ctx, cls, options, error);
      if (failed(reg))
        return fail(p, error);
      v.init = *reg;
      return v;
    }
    case ArgKind::Initializer: {
      FailureOr<DictionaryAttr> init = readInitializer(val, p);
      if (failed(init))
        return failure();
      v.init = *init;
      return v;
    }
    }
    return failure();
  }

  /// An initializer as a string ("glorot_uniform") or a serialized object
  /// (`{"class_name": "GlorotUniform", "config": {"seed": null}}`).
  FailureOr<DictionaryAttr> readInitializer(const json::Value &v,
                                            const std::string &p) {
    std::string cls;
    SmallVector<std::pair<std::string, Attribute>> options;
    if (std::optional<llvm::StringRef> s = v.getAsString()) {
      cls = s->str();
    } else if (const json::Object *o = v.getAsObject()) {
      std::optional<llvm::StringRef> c = o->getString("class_name");
      if (!c)
        return fail(at(p, "class_name"), "missing (expected an initializer "
                                         "class)");
      cls = c->str();
      if (const json::Object *cfg = o->getObject("config"))
        for (const auto &kv : *cfg) {
          const json::Value &val = kv.second;
          std::string kp = at(at(p, "config"), kv.first);
          if (val.kind() == json::Value::Null)
            continue;
          Attribute a;
          if (kv.first == "seed") {
            std::optional<int64_t> seed = val.getAsInteger();
            if (!seed)
              return fail(kp, "expected an integer seed or null");
            a = b.getI64IntegerAttr(*seed);
          } else if (std::optional<llvm::StringRef> str = val.getAsString()) {
            a = b.getStringAttr(*str);
          } else if (std::optional<double> d = val.getAsNumber()) {
            a = b.getF32FloatAttr(*d);
          } else {
            return fail(kp, "expected a number");
          }
          options.push_back({kv.first.str(), a});
        }
    } else {
      return fail(p, "expected an initializer name or object");
    }
    std::string error;
    FailureOr<DictionaryAttr> init =
        makeInitializer(ctx, cls, options, error);
    if (failed(init))
      return fail(p, error);
    return init;
  }

  FailureOr<Value> callLayer(StringRef name, ValueRange inputs,
                             const std::string &p) {
    std::string error;
    FailureOr<Value> out = graph.call(name, inputs, loc(), error);
    if (failed(out))
      return fail(p, "layer '" + name.str() + "': " + error);
    return out;
  }

  //===--------------------------------------------------------------------===//
  // Sequential
  //===--------------------------------------------------------------------===//

  FailureOr<Value> importSequential(const json::Object &config,
                                    const std::string &p) {
    const json::Array *layers = config.getArray("layers");
    if (!layers)
      return fail(at(p, "layers"), "missing (expected an array of layers)");
    std::optional<Shape> shape;
    std::string inputName = "input_layer";
    // Keras 3 records the input shape on the Sequential config too.
    if (const json::Value *bis = config.get("build_input_shape");
        bis && bis->kind() != json::Value::Null) {
      FailureOr<Shape> s = batchShape(bis, at(p, "build_input_shape"));
      if (failed(s))
        return failure();
      shape = *s;
    }
    Value h;
    for (size_t i = 0; i < layers->size(); ++i) {
      std::string lp = at(at(p, "layers"), i);
      const json::Object *layer = object(&(*layers)[i], lp);
      if (!layer)
        return failure();
      const json::Object *cfg =
          object(layer->get("config"), at(lp, "config"));
      if (!cfg)
        return failure();
      FailureOr<std::optional<Shape>> declared =
          declaredShape(*cfg, at(lp, "config"));
      if (failed(declared))
        return failure();
      if (*declared) {
        if (h)
          return fail(at(lp, "config"), "an input shape after the first "
                                        "layer");
        shape = *declared;
      }
      if (layer->getString("class_name") == "InputLayer") {
        if (failed(checkInputDtype(*cfg, at(lp, "config"))))
          return failure();
        inputName = cfg->getString("name").value_or("input_layer").str();
        continue;
      }
      if (!h && !shape)
        if (const json::Object *bc = layer->getObject("build_config")) {
          FailureOr<Shape> s = batchShape(
              bc->get("input_shape"), at(at(lp, "build_config"), "input_shape"));
          if (failed(s))
            return failure();
          shape = *s;
        }
      if (!h) {
        if (!shape)
          return fail(lp, "the input shape is unknown: expected an "
                          "InputLayer, a batch_input_shape or "
                          "build_input_shape");
        h = graph.addInput(inputName, *shape, loc());
      }
      FailureOr<std::string> name = declareLayer(*layer, lp);
      if (failed(name))
        return failure();
      FailureOr<Value> out = callLayer(*name, h, lp);
      if (failed(out))
        return failure();
      h = *out;
    }
    if (!h)
      return fail(at(p, "layers"), "the model has no layers to train");
    return h;
  }

  //===--------------------------------------------------------------------===//
  // Functional
  //===--------------------------------------------------------------------===//

  /// `["name", node, tensor]` (Keras 2 may add a kwargs object).
  FailureOr<TensorRef> tensorRef(const json::Value &v, const std::string &p) {
    const json::Array *a = v.getAsArray();
    if (!a || a->size() < 3 || !(*a)[0].getAsString() ||
        !(*a)[1].getAsInteger() || !(*a)[2].getAsInteger())
      return fail(p, "expected [layer name, node index, tensor index]");
    return TensorRef{(*a)[0].getAsString()->str(), *(*a)[1].getAsInteger(),
                     *(*a)[2].getAsInteger()};
  }

  /// The layers a model's input_layers / output_layers name, in order: one
  /// triple or a list of triples.
  FailureOr<SmallVector<TensorRef>> refList(const json::Value *v,
                                            const std::string &p) {
    const json::Array *a = v ? v->getAsArray() : nullptr;
    if (!a || a->empty())
      return fail(p, "expected [layer, node, tensor] or a list of them");
    SmallVector<TensorRef> refs;
    if ((*a)[0].getAsString()) {
      FailureOr<TensorRef> r = tensorRef(*v, p);
      if (failed(r))
        return failure();
      refs.push_back(*r);
      return refs;
    }
    for (size_t i = 0; i < a->size(); ++i) {
      FailureOr<TensorRef> r = tensorRef((*a)[i], at(p, i));
      if (failed(r))
        return failure();
      refs.push_back(*r);
    }
    return refs;
  }

  /// The input tensors of one inbound node, Keras 3 (`{"args": ...}` with
  /// `__keras_tensor__` entries) or Keras 2 (a list of references).
  /// Positional tensors come first (a merge layer's one list of tensors
  /// counts as its inputs), then the tensors passed as `value` and `key`;
  /// other kwargs must be null unless the layer (`def`) takes them as
  /// arguments.
  FailureOr<SmallVector<TensorRef>> nodeInputs(const json::Value &node,
                                               const LayerDef &def,
                                               const std::string &p) {
    SmallVector<TensorRef> refs;
    if (const json::Object *o = node.getAsObject()) {
      auto one = [&](const json::Value &t,
                     const std::string &tp) -> LogicalResult {
        const json::Object *kt = t.getAsObject();
        const json::Object *cfg = kt ? kt->getObject("config") : nullptr;
        if (!kt || kt->getString("class_name") != "__keras_tensor__" || !cfg)
          return fail(tp, "expected a __keras_tensor__");
        FailureOr<TensorRef> r = tensorRef(
            cfg->get("keras_history") ? *cfg->get("keras_history")
                                      : json::Value(nullptr),
            at(at(tp, "config"), "keras_history"));
        if (failed(r))
          return failure();
        refs.push_back(*r);
        return success();
      };
      const json::Array *args = o->getArray("args");
      if (!args || args->empty())
        return fail(at(p, "args"), "expected the call's input tensors");
      for (size_t a = 0; a < args->size(); ++a) {
        std::string ap = at(at(p, "args"), a);
        if (const json::Array *list = (*args)[a].getAsArray()) {
          for (size_t i = 0; i < list->size(); ++i)
            if (failed(one((*list)[i], at(ap, i))))
              return failure();
        } else if (failed(one((*args)[a], ap))) {
          return failure();
        }
      }
      if (const json::Object *kw = o->getObject("kwargs")) {
        for (llvm::StringRef tensorArg : {"value", "key"})
          if (const json::Value *t = kw->get(tensorArg))
            if (t->kind() != json::Value::Null &&
                failed(one(*t, at(at(p, "kwargs"), tensorArg))))
              return failure();
        for (const auto &kv : *kw) {
          llvm::StringRef key = kv.first;
          bool layerArg = llvm::any_of(
              def.args, [&](const ArgSpec &a) { return a.name == key; });
          if (key != "training" && key != "mask" && key != "value" &&
              key != "key" && !layerArg &&
              kv.second.kind() != json::Value::Null)
            return fail(at(at(p, "kwargs"), key),
                        "call arguments are not supported (expected null)");
        }
      }
      return refs;
    }
    const json::Array *entries = node.getAsArray();
    if (!entries)
      return fail(p, "expected an inbound node");
    for (size_t i = 0; i < entries->size(); ++i) {
      FailureOr<TensorRef> r = tensorRef((*entries)[i], at(p, i));
      if (failed(r))
        return failure();
      refs.push_back(*r);
    }
    return refs;
  }

  FailureOr<Value> importFunctional(const json::Object &config,
                                    const std::string &p) {
    const json::Array *layers = config.getArray("layers");
    if (!layers)
      return fail(at(p, "layers"), "missing (expected an array of layers)");
    FailureOr<SmallVector<TensorRef>> inputs =
        refList(config.get("input_layers"), at(p, "input_layers"));
    FailureOr<SmallVector<TensorRef>> outputs =
        refList(config.get("output_layers"), at(p, "output_layers"));
    if (failed(inputs) || failed(outputs))
      return failure();
    if (outputs->size() != 1)
      return fail(at(p, "output_layers"),
                  "models with several outputs are not supported yet");

    // Index the layers by name.
    llvm::StringMap<size_t> byName;
    for (size_t i = 0; i < layers->size(); ++i) {
      std::string lp = at(at(p, "layers"), i);
      const json::Object *layer = object(&(*layers)[i], lp);
      if (!layer)
        return failure();
      std::optional<llvm::StringRef> name = layer->getString("name");
      if (!name)
        if (const json::Object *cfg = layer->getObject("config"))
          name = cfg->getString("name");
      if (!name)
        return fail(at(lp, "name"), "missing (functional layers are named)");
      if (!byName.try_emplace(*name, i).second)
        return fail(at(lp, "name"), "duplicate layer name '" + name->str() +
                                        "'");
    }

    // Inputs, in input_layers order.
    llvm::StringMap<SmallVector<Value>> produced; // layer -> one per call
    for (auto [k, ref] : llvm::enumerate(*inputs)) {
      std::string ip = at(at(p, "input_layers"), k);
      auto it = byName.find(ref.layer);
      if (it == byName.end())
        return fail(ip, "no layer named '" + ref.layer + "'");
      std::string lp = at(at(p, "layers"), it->second);
      const json::Object &layer = *(*layers)[it->second].getAsObject();
      const json::Object *cfg = object(layer.get("config"), at(lp, "config"));
      if (!cfg)
        return failure();
      if (layer.getString("class_name") != "InputLayer")
        return fail(ip, "'" + ref.layer + "' is not an InputLayer");
      FailureOr<std::optional<Shape>> shape =
          declaredShape(*cfg, at(lp, "config"));
      if (failed(shape) || failed(checkInputDtype(*cfg, at(lp, "config"))))
        return failure();
      if (!*shape)
        return fail(at(lp, "config"), "expected batch_shape");
      produced[ref.layer].push_back(graph.addInput(ref.layer, **shape, loc()));
    }

    // Declare every other layer, then call nodes until all are resolved:
    // a node runs once the tensors it reads exist.
    struct Pending {
      size_t layer, node;
      std::string name;
    };
    std::vector<Pending> pending;
    for (size_t i = 0; i < layers->size(); ++i) {
      std::string lp = at(at(p, "layers"), i);
      const json::Object &layer = *(*layers)[i].getAsObject();
      if (layer.getString("class_name") == "InputLayer")
        continue;
      FailureOr<std::string> name = declareLayer(layer, lp);
      if (failed(name))
        return failure();
      const json::Array *nodes = layer.getArray("inbound_nodes");
      if (!nodes)
        return fail(at(lp, "inbound_nodes"), "missing (expected the calls "
                                             "of this layer)");
      for (size_t n = 0; n < nodes->size(); ++n)
        pending.push_back({i, n, *name});
    }
    while (!pending.empty()) {
      bool progress = false;
      for (auto it = pending.begin(); it != pending.end();) {
        std::string np = at(at(at(at(p, "layers"), it->layer), "inbound_nodes"),
                            it->node);
        const json::Array &nodes =
            *(*layers)[it->layer].getAsObject()->getArray("inbound_nodes");
        const LayerDef &def = *findKerasLayer(
            *(*layers)[it->layer].getAsObject()->getString("class_name"));
        FailureOr<SmallVector<TensorRef>> refs =
            nodeInputs(nodes[it->node], def, np);
        if (failed(refs))
          return failure();
        SmallVector<Value> args;
        bool ready = true;
        for (const TensorRef &r : *refs) {
          if (!byName.count(r.layer))
            return fail(np, "refers to no layer named '" + r.layer + "'");
          if (r.tensor != 0)
            return fail(np, "layers with several outputs are not supported");
          auto &calls = produced[r.layer];
          if (r.node >= int64_t(calls.size())) {
            ready = false;
            break;
          }
          args.push_back(calls[r.node]);
        }
        // Calls of one layer happen in node order.
        if (!ready || int64_t(produced[it->name].size()) != int64_t(it->node)) {
          ++it;
          continue;
        }
        FailureOr<Value> out = callLayer(it->name, args, np);
        if (failed(out))
          return failure();
        produced[it->name].push_back(*out);
        it = pending.erase(it);
        progress = true;
      }
      if (!progress)
        return fail(at(p, "layers"),
                    "the graph has a cycle or refers to a node that never "
                    "runs (first waiting: layer '" +
                        pending.front().name + "')");
    }
    const TensorRef &out = (*outputs)[0];
    auto calls = produced.find(out.layer);
    if (calls == produced.end() || out.node >= int64_t(calls->second.size()))
      return fail(at(p, "output_layers"), "names no computed tensor ('" +
                                              out.layer + "')");
    return calls->second[out.node];
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
    return cc ? readMetrics(cc->get("metrics"), at(p, "metrics")) : success();
  }

  /// compile_config.metrics: accuracy is always reported; top-k accuracy is
  /// a manifest entry; other metrics are not computed, so they are errors.
  LogicalResult readMetrics(const json::Value *v, const std::string &p) {
    if (!v || v->kind() == json::Value::Null)
      return success();
    const json::Array *list = v->getAsArray();
    if (!list)
      return fail(p, "expected a list of metrics");
    for (size_t i = 0; i < list->size(); ++i) {
      const json::Value &m = (*list)[i];
      std::string mp = at(p, i);
      std::optional<llvm::StringRef> name = m.getAsString();
      int64_t k = 5;
      if (const json::Object *o = m.getAsObject()) {
        name = o->getString("class_name");
        if (const json::Object *cfg = o->getObject("config"))
          if (std::optional<int64_t> given = cfg->getInteger("k"))
            k = *given;
      }
      if (!name)
        return fail(mp, "expected a metric name or object");
      static constexpr llvm::StringLiteral kAccuracy[] = {
          "accuracy", "acc", "sparse_categorical_accuracy",
          "categorical_accuracy", "binary_accuracy"};
      if (llvm::is_contained(kAccuracy, *name))
        continue;
      if (!isTopK(*name) || k < 1)
        return fail(mp, "unsupported metric '" + name->str() +
                            "' (supported: accuracy, "
                            "sparse_top_k_categorical_accuracy, "
                            "top_k_categorical_accuracy)");
      topK = k;
    }
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
        "clipvalue", "use_ema",
        "loss_scale_factor", "gradient_accumulation_steps", "decay"};
    for (const auto &kv : *cfg) {
      llvm::StringRef key = kv.first;
      const json::Value &val = kv.second;
      if (llvm::is_contained(kIgnored, key) ||
          val.kind() == json::Value::Null) // None: the default
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
      else if (key == "learning_rate" && val.getAsObject()) {
        if (failed(readSchedule(*val.getAsObject(), at(cp, key))))
          return failure();
        hypers.push_back(b.getNamedAttr(
            hk, b.getF32FloatAttr(scheduleInitialRate(schedule))));
      }
      else
        return fail(at(cp, key), "expected a number or a bool");
    }
    return success();
  }

  /// A serialized keras.optimizers.schedules object.
  LogicalResult readSchedule(const json::Object &o, const std::string &p) {
    std::optional<llvm::StringRef> cls = o.getString("class_name");
    const json::Object *cfg = o.getObject("config");
    if (!cls || !cfg)
      return fail(p, "expected a number or a schedule {class_name, config}");
    SmallVector<NamedAttribute> given;
    for (const auto &kv : *cfg) {
      llvm::StringRef key = kv.first;
      const json::Value &val = kv.second;
      if (key == "name" || val.kind() == json::Value::Null)
        continue;
      if (std::optional<bool> bv = val.getAsBoolean()) {
        given.push_back(b.getNamedAttr(key, b.getBoolAttr(*bv)));
      } else if (std::optional<double> d = val.getAsNumber()) {
        given.push_back(b.getNamedAttr(key, b.getF32FloatAttr(*d)));
      } else if (const json::Array *list = val.getAsArray()) {
        SmallVector<Attribute> items;
        for (size_t i = 0; i < list->size(); ++i) {
          std::optional<double> d = (*list)[i].getAsNumber();
          if (!d)
            return fail(at(at(at(p, "config"), key), i), "expected a number");
          items.push_back(b.getF32FloatAttr(*d));
        }
        given.push_back(b.getNamedAttr(key, b.getArrayAttr(items)));
      } else {
        return fail(at(at(p, "config"), key), "expected a number, a bool or "
                                              "a list of numbers");
      }
    }
    std::string error;
    FailureOr<DictionaryAttr> d = completeSchedule(ctx, *cls, given, error);
    if (failed(d))
      return fail(p, error);
    schedule = *d;
    return success();
  }

  MLIRContext *ctx;
  OpBuilder b;
  std::string path;
  const KerasImportOptions &opts;
  GraphBuilder graph;
  std::string message;

  std::string modelName, loss;
  DictionaryAttr optimizer;
  DictionaryAttr schedule; // null: a constant learning rate
  int64_t topK = 0;        // top-k accuracy's k; 0: not requested
};

} // namespace

OwningOpRef<ModuleOp>
sinter::importKerasModel(MLIRContext *ctx, const std::string &path,
                         const KerasImportOptions &options,
                         std::string &error) {
  return Importer(ctx, path, options).run(std::nullopt, error);
}

OwningOpRef<ModuleOp>
sinter::importKerasBuffer(MLIRContext *ctx, StringRef contents,
                          const std::string &path,
                          const KerasImportOptions &options,
                          std::string &error) {
  return Importer(ctx, path, options).run(contents, error);
}
