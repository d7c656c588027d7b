//===- TrainingConfig.cpp - loss and optimizer tables ---------------------===//
#include "compiler/Transforms/TrainingConfig.h"

#include "dialects/Sinter/IR/SinterDialect.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace sinter;

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

namespace {
struct LossKind {
  llvm::StringRef name;      // Keras function name, canonical
  llvm::StringRef className; // Keras class name
  llvm::StringRef alias;     // Keras short alias, if any
  bool takesLabels;
  Value (*build)(OpBuilder &, Location, Value, Value);
};

template <typename Op>
Value buildLossOp(OpBuilder &b, Location loc, Value pred, Value target) {
  return b.create<Op>(loc, pred, target);
}

const LossKind kLosses[] = {
    {"mean_squared_error", "MeanSquaredError", "mse", false,
     buildLossOp<MeanSquaredErrorOp>},
    {"binary_crossentropy", "BinaryCrossentropy", "", false,
     buildLossOp<BinaryCrossentropyOp>},
    {"categorical_crossentropy", "CategoricalCrossentropy", "", false,
     buildLossOp<CategoricalCrossentropyOp>},
    {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", "",
     true, buildLossOp<SparseCategoricalCrossentropyOp>},
};

const LossKind *findLoss(llvm::StringRef name) {
  for (const LossKind &k : kLosses)
    if (name == k.name || name == k.className ||
        (!k.alias.empty() && name == k.alias))
      return &k;
  return nullptr;
}
} // namespace

std::optional<llvm::StringRef> sinter::canonicalLossName(llvm::StringRef name) {
  if (const LossKind *k = findLoss(name))
    return k->name;
  return std::nullopt;
}

std::string sinter::supportedLosses() {
  return llvm::join(llvm::map_range(kLosses, [](const LossKind &k) {
                      return k.name;
                    }),
                    ", ");
}

bool sinter::lossTakesLabels(llvm::StringRef canonical) {
  const LossKind *k = findLoss(canonical);
  return k && k->takesLabels;
}

Value sinter::buildLoss(OpBuilder &b, Location loc, llvm::StringRef canonical,
                        Value prediction, Value target) {
  return findLoss(canonical)->build(b, loc, prediction, target);
}

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

namespace {
struct Hyper {
  llvm::StringRef name;
  double floatDefault; // used when !isBool
  bool isBool;
};

struct OptimizerKind {
  llvm::StringRef name;      // canonical: Keras' lower-case string name
  llvm::StringRef className; // Keras class name
  llvm::ArrayRef<Hyper> hypers;
  llvm::SmallVector<llvm::StringRef> (*slots)(DictionaryAttr);
  SmallVector<Value> (*build)(OpBuilder &, Location, DictionaryAttr, Value,
                              Value, ValueRange, Value, Value);
};

float getF(DictionaryAttr d, llvm::StringRef k) {
  return cast<FloatAttr>(d.get(k)).getValueAsDouble();
}
bool getB(DictionaryAttr d, llvm::StringRef k) {
  return cast<BoolAttr>(d.get(k)).getValue();
}

// Keras 3 defaults (keras/src/optimizers/{sgd,adam,rmsprop}.py).
// Every Keras 3 optimizer takes weight_decay (decoupled, default None = 0;
// AdamW's default is 0.004) and the gradient clipping norms (0: off).
const Hyper kSgdHypers[] = {{"learning_rate", 0.01, false},
                            {"momentum", 0.0, false},
                            {"nesterov", 0, true},
                            {"weight_decay", 0.0, false}};
const Hyper kAdamHypers[] = {{"learning_rate", 0.001, false},
                             {"beta_1", 0.9, false},
                             {"beta_2", 0.999, false},
                             {"epsilon", 1e-7, false},
                             {"amsgrad", 0, true},
                             {"weight_decay", 0.0, false}};
const Hyper kAdamWHypers[] = {{"learning_rate", 0.001, false},
                              {"beta_1", 0.9, false},
                              {"beta_2", 0.999, false},
                              {"epsilon", 1e-7, false},
                              {"amsgrad", 0, true},
                              {"weight_decay", 0.004, false}};
const Hyper kRmspropHypers[] = {{"learning_rate", 0.001, false},
                                {"rho", 0.9, false},
                                {"momentum", 0.0, false},
                                {"epsilon", 1e-7, false},
                                {"centered", 0, true},
                                {"weight_decay", 0.0, false}};

// Every optimizer's gradient clipping norms (0: off).
const Hyper kClipHypers[] = {{"clipnorm", 0.0, false},
                             {"global_clipnorm", 0.0, false}};

/// An optimizer's own hyperparameters, then the clipping ones.
SmallVector<Hyper> allHypers(const OptimizerKind &kind) {
  SmallVector<Hyper> all(kind.hypers.begin(), kind.hypers.end());
  all.append(std::begin(kClipHypers), std::end(kClipHypers));
  return all;
}

UnitAttr unit(OpBuilder &b, bool set) { return set ? b.getUnitAttr() : UnitAttr(); }

SmallVector<Value> results(Operation *op) {
  return SmallVector<Value>(op->getResults());
}

llvm::SmallVector<llvm::StringRef> adamSlots(DictionaryAttr d) {
  llvm::SmallVector<llvm::StringRef> s = {"momentum", "velocity"};
  if (getB(d, "amsgrad"))
    s.push_back("velocity_hat");
  return s;
}

SmallVector<Value> buildAdam(OpBuilder &b, Location loc, DictionaryAttr d,
                             Value p, Value g, ValueRange slots, Value lr,
                             Value it) {
  return results(b.create<AdamUpdateOp>(
      loc, p, g, slots, lr, it, b.getF32FloatAttr(getF(d, "beta_1")),
      b.getF32FloatAttr(getF(d, "beta_2")),
      b.getF32FloatAttr(getF(d, "epsilon")), unit(b, getB(d, "amsgrad")),
      b.getF32FloatAttr(getF(d, "weight_decay"))));
}

const OptimizerKind kOptimizers[] = {
    {"sgd", "SGD", kSgdHypers,
     [](DictionaryAttr d) {
       llvm::SmallVector<llvm::StringRef> s;
       if (getF(d, "momentum") != 0.0f)
         s.push_back("momentum");
       return s;
     },
     [](OpBuilder &b, Location loc, DictionaryAttr d, Value p, Value g,
        ValueRange slots, Value lr, Value) {
       return results(b.create<SgdUpdateOp>(
           loc, p, g, slots, lr, b.getF32FloatAttr(getF(d, "momentum")),
           unit(b, getB(d, "nesterov")),
           b.getF32FloatAttr(getF(d, "weight_decay"))));
     }},
    {"adam", "Adam", kAdamHypers, adamSlots, buildAdam},
    {"adamw", "AdamW", kAdamWHypers, adamSlots, buildAdam},
    {"rmsprop", "RMSprop", kRmspropHypers,
     [](DictionaryAttr d) {
       llvm::SmallVector<llvm::StringRef> s = {"velocity"};
       if (getF(d, "momentum") > 0.0f)
         s.push_back("momentum");
       if (getB(d, "centered"))
         s.push_back("average_gradient");
       return s;
     },
     [](OpBuilder &b, Location loc, DictionaryAttr d, Value p, Value g,
        ValueRange slots, Value lr, Value) {
       return results(b.create<RmspropUpdateOp>(
           loc, p, g, slots, lr, b.getF32FloatAttr(getF(d, "rho")),
           b.getF32FloatAttr(getF(d, "momentum")),
           b.getF32FloatAttr(getF(d, "epsilon")), unit(b, getB(d, "centered")),
           b.getF32FloatAttr(getF(d, "weight_decay"))));
     }},
};

const OptimizerKind *findOptimizer(llvm::StringRef name) {
  for (const OptimizerKind &k : kOptimizers)
    if (name == k.name || name == k.className)
      return &k;
  return nullptr;
}
} // namespace

std::optional<llvm::StringRef>
sinter::canonicalOptimizerName(llvm::StringRef name) {
  if (const OptimizerKind *k = findOptimizer(name))
    return k->name;
  return std::nullopt;
}

std::string sinter::supportedOptimizers() {
  return llvm::join(llvm::map_range(kOptimizers, [](const OptimizerKind &k) {
                      return k.className;
                    }),
                    ", ");
}

FailureOr<DictionaryAttr>
sinter::completeOptimizer(MLIRContext *ctx, llvm::StringRef name,
                          llvm::ArrayRef<NamedAttribute> given,
                          std::string &error) {
  const OptimizerKind *kind = findOptimizer(name);
  if (!kind) {
    error = "unknown optimizer '" + name.str() +
            "' (supported: " + supportedOptimizers() + ")";
    return failure();
  }
  Builder b(ctx);
  SmallVector<Hyper> hypers = allHypers(*kind);
  SmallVector<NamedAttribute> entries = {
      b.getNamedAttr("name", b.getStringAttr(kind->name))};
  for (const NamedAttribute &g : given)
    if (g.getName() != "name" &&
        llvm::none_of(hypers,
                      [&](const Hyper &h) { return h.name == g.getName(); })) {
      error = "optimizer " + kind->className.str() +
              " has no hyperparameter '" + g.getName().str() + "'";
      return failure();
    }
  for (const Hyper &h : hypers) {
    auto it = llvm::find_if(
        given, [&](const NamedAttribute &g) { return g.getName() == h.name; });
    Attribute value;
    if (it == given.end())
      value = h.isBool ? Attribute(b.getBoolAttr(h.floatDefault != 0))
                       : Attribute(b.getF32FloatAttr(h.floatDefault));
    else if (h.isBool ? isa<BoolAttr>(it->getValue())
                      : isa<FloatAttr>(it->getValue()))
      value = it->getValue();
    else {
      error = "optimizer hyperparameter '" + h.name.str() + "' must be a " +
              (h.isBool ? "bool" : "number");
      return failure();
    }
    if (!h.isBool)
      value = b.getF32FloatAttr(cast<FloatAttr>(value).getValueAsDouble());
    entries.push_back(b.getNamedAttr(h.name, value));
  }
  DictionaryAttr d = b.getDictionaryAttr(entries);
  if (getF(d, "clipnorm") < 0 || getF(d, "global_clipnorm") < 0 ||
      (getF(d, "clipnorm") > 0 && getF(d, "global_clipnorm") > 0)) {
    error = "set at most one of clipnorm and global_clipnorm, as a positive "
            "number";
    return failure();
  }
  return d;
}

SmallVector<Value> sinter::clipGradients(OpBuilder &b, Location loc,
                                         DictionaryAttr opt,
                                         ArrayRef<Value> grads) {
  SmallVector<Value> out(grads);
  float each = getF(opt, "clipnorm"), global = getF(opt, "global_clipnorm");
  if (each > 0)
    for (Value &g : out)
      g = b.create<ClipByNormOp>(loc, g, b.create<SquaredNormOp>(loc, g),
                                 b.getF32FloatAttr(each));
  if (global > 0) {
    Value total;
    for (Value g : grads) {
      Value n = b.create<SquaredNormOp>(loc, g);
      total = total ? b.create<AddOp>(loc, total, n).getResult() : n;
    }
    for (Value &g : out)
      g = b.create<ClipByNormOp>(loc, g, total, b.getF32FloatAttr(global));
  }
  return out;
}

llvm::SmallVector<llvm::StringRef>
sinter::optimizerSlotNames(DictionaryAttr opt) {
  auto name = cast<StringAttr>(opt.get("name")).getValue();
  return findOptimizer(name)->slots(opt);
}

SmallVector<Value> sinter::buildOptimizerUpdate(OpBuilder &b, Location loc,
                                                DictionaryAttr opt, Value param,
                                                Value grad, ValueRange slots,
                                                Value lr, Value iteration) {
  auto name = cast<StringAttr>(opt.get("name")).getValue();
  return findOptimizer(name)->build(b, loc, opt, param, grad, slots, lr,
                                    iteration);
}

float sinter::optimizerLearningRate(DictionaryAttr opt) {
  return getF(opt, "learning_rate");
}

//===----------------------------------------------------------------------===//
// Learning-rate schedules (keras.optimizers.schedules), evaluated by the
// runtime at each step from the manifest's `schedule` line.
//===----------------------------------------------------------------------===//

namespace {
struct ScheduleParam {
  llvm::StringRef name;
  enum Kind { Number, Bool, List } kind;
  std::optional<double> dflt; // nullopt: required
};

struct ScheduleKind {
  llvm::StringRef name, className;
  llvm::ArrayRef<ScheduleParam> params;
};

// warmup_target < 0 stands for Keras' None (no warmup target).
const ScheduleParam kCosineParams[] = {
    {"initial_learning_rate", ScheduleParam::Number, std::nullopt},
    {"decay_steps", ScheduleParam::Number, std::nullopt},
    {"alpha", ScheduleParam::Number, 0.0},
    {"warmup_target", ScheduleParam::Number, -1.0},
    {"warmup_steps", ScheduleParam::Number, 0.0}};
const ScheduleParam kExponentialParams[] = {
    {"initial_learning_rate", ScheduleParam::Number, std::nullopt},
    {"decay_steps", ScheduleParam::Number, std::nullopt},
    {"decay_rate", ScheduleParam::Number, std::nullopt},
    {"staircase", ScheduleParam::Bool, 0.0}};
const ScheduleParam kPiecewiseParams[] = {
    {"boundaries", ScheduleParam::List, std::nullopt},
    {"values", ScheduleParam::List, std::nullopt}};

const ScheduleKind kSchedules[] = {
    {"cosine_decay", "CosineDecay", kCosineParams},
    {"exponential_decay", "ExponentialDecay", kExponentialParams},
    {"piecewise_constant_decay", "PiecewiseConstantDecay", kPiecewiseParams},
};
} // namespace

FailureOr<DictionaryAttr>
sinter::completeSchedule(MLIRContext *ctx, llvm::StringRef name,
                         llvm::ArrayRef<NamedAttribute> given,
                         std::string &error) {
  const ScheduleKind *kind = nullptr;
  for (const ScheduleKind &k : kSchedules)
    if (name == k.name || name == k.className)
      kind = &k;
  if (!kind) {
    error = "unknown learning-rate schedule '" + name.str() +
            "' (supported: " +
            llvm::join(llvm::map_range(kSchedules,
                                       [](const ScheduleKind &k) {
                                         return k.className;
                                       }),
                       ", ") +
            ")";
    return failure();
  }
  Builder b(ctx);
  SmallVector<NamedAttribute> entries = {
      b.getNamedAttr("class", b.getStringAttr(kind->name))};
  for (const NamedAttribute &g : given)
    if (llvm::none_of(kind->params, [&](const ScheduleParam &p) {
          return p.name == g.getName();
        })) {
      error = "schedule " + kind->className.str() + " has no parameter '" +
              g.getName().str() + "'";
      return failure();
    }
  for (const ScheduleParam &p : kind->params) {
    auto it = llvm::find_if(
        given, [&](const NamedAttribute &g) { return g.getName() == p.name; });
    Attribute value;
    if (it == given.end()) {
      if (!p.dflt) {
        error = "schedule " + kind->className.str() + " needs '" +
                p.name.str() + "'";
        return failure();
      }
      value = p.kind == ScheduleParam::Bool
                  ? Attribute(b.getBoolAttr(*p.dflt != 0))
                  : Attribute(b.getF32FloatAttr(*p.dflt));
    } else {
      value = it->getValue();
      bool ok = p.kind == ScheduleParam::Bool     ? isa<BoolAttr>(value)
                : p.kind == ScheduleParam::Number ? isa<FloatAttr>(value)
                                                  : isa<ArrayAttr>(value);
      if (!ok) {
        error = "schedule parameter '" + p.name.str() + "' must be " +
                (p.kind == ScheduleParam::List ? "a list of numbers"
                 : p.kind == ScheduleParam::Bool ? "a bool"
                                                 : "a number");
        return failure();
      }
    }
    entries.push_back(b.getNamedAttr(p.name, value));
  }
  DictionaryAttr d = b.getDictionaryAttr(entries);
  if (auto values = d.getAs<ArrayAttr>("values")) {
    auto bounds = d.getAs<ArrayAttr>("boundaries");
    if (values.size() != bounds.size() + 1) {
      error = "PiecewiseConstantDecay needs one more value than boundaries";
      return failure();
    }
  } else if (cast<FloatAttr>(d.get("decay_steps")).getValueAsDouble() <= 0) {
    error = "schedule parameter 'decay_steps' must be positive";
    return failure();
  }
  return d;
}

float sinter::scheduleInitialRate(DictionaryAttr schedule) {
  if (auto values = schedule.getAs<ArrayAttr>("values"))
    return cast<FloatAttr>(values[0]).getValueAsDouble();
  return getF(schedule, "initial_learning_rate");
}

bool sinter::isTopK(llvm::StringRef name) {
  static constexpr llvm::StringLiteral kNames[] = {
      "top_k_accuracy", "top_k_categorical_accuracy",
      "sparse_top_k_categorical_accuracy", "TopKCategoricalAccuracy",
      "SparseTopKCategoricalAccuracy"};
  return llvm::is_contained(kNames, name);
}
