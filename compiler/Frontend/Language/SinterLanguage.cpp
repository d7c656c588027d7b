//===- SinterLanguage.cpp - .sinter files to the Sinter dialect -----------===//
//
// Executes a model's statements over compile-time values: integers (model
// parameters and their arithmetic), tensors (SSA values with per-example
// shapes, built through GraphBuilder and the shared layer library) and named
// layers. `repeat` unrolls its body, each repetition in its own name scope
// (`block0.`, `block1.`, ...), so repetitions get their own weights. Errors
// are reported with their source position and evaluation goes on with a
// poison value, so one run reports every independent error.
//
//===----------------------------------------------------------------------===//
#include "compiler/Frontend/Language/SinterLanguage.h"

#include "compiler/Frontend/Language/Parser.h"
#include "compiler/Frontend/Layers/GraphBuilder.h"
#include "compiler/Transforms/TrainerLayout.h"
#include "compiler/Transforms/TrainingConfig.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <map>

using namespace mlir;
using namespace sinter;
using namespace sinter::lang;

namespace {

/// A compile-time value.
struct Val {
  enum Kind { Poison, Int, Float, Tensor, Layer, List } kind = Poison;
  int64_t i = 0;
  double f = 0;
  Value tensor;
  std::string origin; // tensors: where it was made, for notes
  SrcLoc originLoc;
  std::string layer; // Layer: the instance name
  std::vector<Val> items;

  static Val poison() { return {}; }
  static Val integer(int64_t v) {
    Val r;
    r.kind = Int;
    r.i = v;
    return r;
  }
  std::string describe() const {
    switch (kind) {
    case Poison: return "an erroneous value";
    case Int: return "an integer";
    case Float: return "a number";
    case Tensor: return "a tensor";
    case Layer: return "a layer";
    case List: return "a list";
    }
    return "?";
  }
};

class ModelBuilder {
public:
  ModelBuilder(MLIRContext *ctx, Diagnostics &diags, std::string path,
               const SinterImportOptions &opts)
      : ctx(ctx), diags(diags), path(std::move(path)), opts(opts),
        graph(ctx, FileLineColLoc::get(ctx, this->path, 1, 1)) {}

  OwningOpRef<ModuleOp> build(const Program &program) {
    const ModelDecl *model = chooseModel(program);
    if (!model)
      return nullptr;
    const TrainDecl *train = nullptr;
    for (const TrainDecl &t : program.trains)
      if (t.model == model->name)
        train = &t;

    for (const Param &p : model->params)
      declareParam(p);
    Val out = run(model->body);
    readTraining(train, model->loc);
    if (diags.errorCount())
      return nullptr;
    if (out.kind != Val::Tensor) {
      if (!returned)
        diags.error(model->loc, "model '" + model->name +
                                    "' has no return statement");
      return nullptr;
    }
    // Sequences ([tokens, classes]) need a loss with one label per vector.
    size_t rank = graph.shapeOf(out.tensor).size();
    if (rank != 1 && !(rank == 2 && !loss.empty() && lossTakesLabels(loss))) {
      diags.error(returnLoc, "the model must return one vector per example "
                             "(or one per token with "
                             "sparse_categorical_crossentropy), got shape " +
                                 shapeStr(out.tensor));
      return nullptr;
    }
    OwningOpRef<ModuleOp> module =
        graph.finish(out.tensor, model->name, loss, optimizer);
    if (defaultData)
      (*module)->setAttr("sinter.default_data", defaultData);
    if (schedule)
      (*module)->setAttr(attrs::kLrSchedule, schedule);
    if (topK)
      (*module)->setAttr(attrs::kTopK,
                         Builder(ctx).getI64IntegerAttr(topK));
    return module;
  }

private:
  //===--------------------------------------------------------------------===//
  // Which model
  //===--------------------------------------------------------------------===//

  const ModelDecl *chooseModel(const Program &program) {
    std::map<std::string, const ModelDecl *> byName;
    for (const ModelDecl &m : program.models)
      if (!byName.emplace(m.name, &m).second)
        diags.error(m.loc, "model '" + m.name + "' is defined twice");
    for (const TrainDecl &t : program.trains)
      if (!byName.count(t.model))
        diags.error(t.loc, "train section for unknown model '" + t.model +
                               "'" + suggest(t.model, keys(byName)));
    if (diags.errorCount())
      return nullptr;
    std::string name = opts.model;
    if (name.empty()) {
      if (program.trains.size() == 1)
        name = program.trains[0].model;
      else if (program.trains.empty() && program.models.size() == 1)
        name = program.models[0].name;
    }
    if (name.empty()) {
      diags.error(SrcLoc{1, 1},
                  program.models.empty()
                      ? "the file defines no model"
                      : "several models or train sections: choose one with "
                        "--model NAME");
      return nullptr;
    }
    if (!byName.count(name)) {
      diags.error(SrcLoc{1, 1}, "no model named '" + name + "'" +
                                    suggest(name, keys(byName)));
      return nullptr;
    }
    return byName[name];
  }

  template <typename M> static std::vector<std::string> keys(const M &m) {
    std::vector<std::string> k;
    for (const auto &kv : m)
      k.push_back(kv.first);
    return k;
  }

  static std::string suggest(const std::string &name,
                             const std::vector<std::string> &candidates) {
    SmallVector<StringRef> refs(candidates.begin(), candidates.end());
    if (std::optional<std::string> near = closestName(name, refs))
      return "; did you mean '" + *near + "'?";
    return "";
  }

  //===--------------------------------------------------------------------===//
  // Parameters and statements
  //===--------------------------------------------------------------------===//

  void declareParam(const Param &p) {
    if (env.count(p.name)) {
      diags.error(p.loc, "parameter '" + p.name + "' is declared twice");
      return;
    }
    if (!p.isInput) {
      Val v = eval(*p.defaultValue);
      if (v.kind != Val::Int && v.kind != Val::Poison) {
        diags.error(p.defaultValue->loc, "parameter '" + p.name +
                                             "' must be an integer, got " +
                                             v.describe());
        v = Val::poison();
      }
      env[p.name] = v;
      return;
    }
    if (p.elementType != "f32") {
      diags.error(p.typeLoc,
                  p.elementType == "i32"
                      ? "integer inputs (i32) are not supported yet: inputs "
                        "are f32"
                      : "unknown element type '" + p.elementType +
                            "' (expected f32)");
      env[p.name] = Val::poison();
      return;
    }
    Shape shape;
    bool ok = true;
    for (const ExprPtr &d : p.dims) {
      Val v = eval(*d);
      if (v.kind == Val::Int && v.i > 0) {
        shape.push_back(v.i);
      } else {
        if (v.kind != Val::Poison)
          diags.error(d->loc, "a dimension must be a positive integer, got " +
                                  (v.kind == Val::Int ? std::to_string(v.i)
                                                      : v.describe()));
        ok = false;
      }
    }
    if (!ok) {
      env[p.name] = Val::poison();
      return;
    }
    Val t;
    t.kind = Val::Tensor;
    t.tensor = graph.addInput(p.name, shape, loc(p.loc));
    t.origin = "input '" + p.name + "'";
    t.originLoc = p.loc;
    env[p.name] = t;
  }

  Location loc(SrcLoc l) {
    return FileLineColLoc::get(ctx, path, l.line, l.col);
  }

  /// Runs statements; returns the value of a `return` among them.
  Val run(const std::vector<Stmt> &body) {
    Val result;
    for (const Stmt &s : body) {
      if (returned) {
        diags.error(s.loc, "statement after return");
        break;
      }
      switch (s.kind) {
      case Stmt::Assign:
        env[s.name] = eval(*s.value);
        break;
      case Stmt::LayerDecl:
        env[s.name] = declareNamedLayer(s);
        break;
      case Stmt::Repeat:
        repeat(s);
        break;
      case Stmt::Return:
        if (!scope.empty()) {
          diags.error(s.loc, "return inside repeat");
          break;
        }
        result = eval(*s.value);
        returned = true;
        returnLoc = s.value->loc;
        break;
      }
    }
    return result;
  }

  void repeat(const Stmt &s) {
    Val n = eval(*s.value);
    if (n.kind == Val::Poison)
      return;
    if (n.kind != Val::Int || n.i < 0) {
      diags.error(s.value->loc, "repeat needs a non-negative integer count, "
                                "got " +
                                    (n.kind == Val::Int ? std::to_string(n.i)
                                                        : n.describe()));
      return;
    }
    std::string outer = scope;
    unsigned before = diags.errorCount();
    for (int64_t i = 0; i < n.i; ++i) {
      scope = (outer.empty() ? "" : outer + ".") + s.name + std::to_string(i);
      run(s.body);
      // The same mistake in every repetition is one mistake.
      if (diags.errorCount() != before)
        break;
    }
    scope = outer;
  }

  std::string scoped(const std::string &name) const {
    return scope.empty() ? name : scope + "." + name;
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  Val eval(const Expr &e) {
    switch (e.kind) {
    case Expr::Int:
      return Val::integer(e.intValue);
    case Expr::Float: {
      Val v;
      v.kind = Val::Float;
      v.f = e.floatValue;
      return v;
    }
    case Expr::String:
      diags.error(e.loc, "a string is not a value here");
      return Val::poison();
    case Expr::Name: {
      auto it = env.find(e.text);
      if (it != env.end())
        return it->second;
      std::string extra;
      if (findLayer(e.text))
        extra = " ('" + e.text + "' is a layer: call it, as " + e.text +
                "(...))";
      diags.error(e.loc, "use of undefined name '" + e.text + "'" +
                             (extra.empty() ? suggest(e.text, keys(env))
                                            : extra));
      return Val::poison();
    }
    case Expr::Negate: {
      Val v = eval(*e.args[0]);
      if (v.kind == Val::Int)
        return Val::integer(-v.i);
      if (v.kind == Val::Float) {
        v.f = -v.f;
        return v;
      }
      if (v.kind != Val::Poison)
        diags.error(e.loc, "cannot negate " + v.describe());
      return Val::poison();
    }
    case Expr::List: {
      Val list;
      list.kind = Val::List;
      for (const ExprPtr &item : e.args)
        list.items.push_back(eval(*item));
      return list;
    }
    case Expr::Binary:
      return binary(e);
    case Expr::Call:
      return call(e, /*declaration=*/"");
    }
    return Val::poison();
  }

  Val binary(const Expr &e) {
    Val l = eval(*e.args[0]), r = eval(*e.args[1]);
    if (l.kind == Val::Poison || r.kind == Val::Poison)
      return Val::poison();
    if ((l.kind == Val::Int || l.kind == Val::Float) &&
        (r.kind == Val::Int || r.kind == Val::Float)) {
      if (l.kind == Val::Int && r.kind == Val::Int) {
        if ((e.op == '/' || e.op == '%') && r.i == 0) {
          diags.error(e.loc, "division by zero");
          return Val::poison();
        }
        switch (e.op) {
        case '+': return Val::integer(l.i + r.i);
        case '-': return Val::integer(l.i - r.i);
        case '*': return Val::integer(l.i * r.i);
        case '/': return Val::integer(l.i / r.i);
        case '%': return Val::integer(l.i % r.i);
        }
      }
      double a = l.kind == Val::Int ? double(l.i) : l.f;
      double b = r.kind == Val::Int ? double(r.i) : r.f;
      Val v;
      v.kind = Val::Float;
      switch (e.op) {
      case '+': v.f = a + b; break;
      case '-': v.f = a - b; break;
      case '*': v.f = a * b; break;
      case '/': v.f = a / b; break;
      default:
        diags.error(e.loc, "'%' needs integers");
        return Val::poison();
      }
      return v;
    }
    static const std::map<char, std::pair<const char *, const char *>> kOps = {
        {'+', {"add", "add"}},
        {'-', {"subtract", "subtract"}},
        {'*', {"multiply", "multiply"}}};
    auto op = kOps.find(e.op);
    if (l.kind != Val::Tensor || r.kind != Val::Tensor || op == kOps.end()) {
      diags.error(e.loc, std::string("cannot apply '") + e.op + "' to " +
                             l.describe() + " and " + r.describe());
      return Val::poison();
    }
    if (graph.shapeOf(l.tensor) != graph.shapeOf(r.tensor)) {
      diags.error(e.loc, std::string("cannot ") + op->second.first + " " +
                             shapeStr(l.tensor) + " and " + shapeStr(r.tensor) +
                             ": the shapes differ");
      diags.note(l.originLoc, "the left operand, " + shapeStr(l.tensor) +
                                  ", is " + l.origin);
      diags.note(r.originLoc, "the right operand, " + shapeStr(r.tensor) +
                                  ", is " + r.origin);
      return Val::poison();
    }
    const LayerDef *def = findLayer(op->second.second);
    std::string name = graph.uniqueName(scope, def->name);
    std::string error;
    if (failed(graph.declare(name, *def, {}, error)))
      return report(e.loc, error);
    return apply(name, {l.tensor, r.tensor}, e.loc, def->name);
  }

  std::string shapeStr(Value t) const {
    return "f32" + shapeString(graph.shapeOf(t));
  }

  Val report(SrcLoc l, const std::string &error) {
    diags.error(l, error);
    return Val::poison();
  }

  /// Calls instance `name` on `inputs`; the result remembers where it came
  /// from.
  Val apply(const std::string &name, ArrayRef<Value> inputs, SrcLoc l,
            StringRef kind) {
    std::string error;
    FailureOr<Value> out = graph.call(name, inputs, loc(l), error);
    if (failed(out))
      return report(l, error);
    Val v;
    v.kind = Val::Tensor;
    v.tensor = *out;
    v.origin = "the result of " + kind.str() + " ('" + name + "')";
    v.originLoc = l;
    return v;
  }

  /// `layer NAME = kind(args)`: a named instance, shared by every call.
  Val declareNamedLayer(const Stmt &s) {
    if (s.value->kind != Expr::Call)
      return report(s.value->loc, "expected a layer, as " + s.name +
                                      " = dense(64)");
    return call(*s.value, s.name);
  }

  /// A call: of a named layer, or of a layer kind (creating an instance).
  /// With `declaration` set, creates the instance named so without calling
  /// it.
  Val call(const Expr &e, const std::string &declaration) {
    auto bound = env.find(e.text);
    if (bound != env.end() && bound->second.kind == Val::Layer) {
      if (!e.kwargs.empty())
        return report(e.kwargs[0].loc, "'" + e.text +
                                           "' is a named layer: call it "
                                           "with inputs only");
      SmallVector<Value> inputs;
      bool poisoned = false;
      for (const ExprPtr &a : e.args)
        if (!collectInputs(eval(*a), a->loc, inputs, poisoned))
          return Val::poison();
      if (poisoned)
        return Val::poison();
      return apply(bound->second.layer, inputs, e.loc, e.text);
    }
    const LayerDef *def = findLayer(e.text);
    if (!def) {
      if (bound != env.end())
        return report(e.loc, "'" + e.text + "' is " +
                                 bound->second.describe() + ", not a layer");
      std::vector<std::string> candidates;
      for (StringRef n : layerNames())
        candidates.push_back(n.str());
      for (const auto &kv : env)
        if (kv.second.kind == Val::Layer)
          candidates.push_back(kv.first);
      return report(e.loc, "unknown layer '" + e.text + "'" +
                               suggest(e.text, candidates));
    }

    // Leading positional arguments that are tensors are the inputs; the
    // rest fill the layer's arguments in order.
    SmallVector<Value> inputs;
    bool poisoned = false;
    size_t next = 0;
    std::optional<Val> firstArg; // the argument that ended the inputs
    for (; next < e.args.size(); ++next) {
      const Expr &a = *e.args[next];
      if (!mayBeTensor(a) || inputs.size() >= def->maxInputs)
        break;
      if (a.kind == Expr::List && !a.args.empty() &&
          (a.args[0]->kind == Expr::Int || a.args[0]->kind == Expr::Negate))
        break; // a list of sizes, as reshape's [7, 7, 16]
      Val v = eval(a);
      if (v.kind == Val::Int || v.kind == Val::Float) {
        firstArg = v; // an integer expression over parameters: an argument
        break;
      }
      if (!collectInputs(v, a.loc, inputs, poisoned))
        return Val::poison();
    }
    LayerArgs args;
    std::map<std::string, SrcLoc> given;
    bool frozen = false; // `trainable = false`, on any layer
    for (size_t k = 0; next < e.args.size(); ++next, ++k) {
      const Expr &a = *e.args[next];
      if (k >= def->args.size())
        return report(a.loc, "too many arguments to " + def->name.str() +
                                 argumentList(*def));
      if (!bindArg(*def, def->args[k], a, args,
                   k == 0 ? firstArg : std::nullopt))
        poisoned = true;
      given[def->args[k].name.str()] = a.loc;
    }
    for (const KeywordArg &kw : e.kwargs) {
      if (kw.name == "trainable") {
        const Expr &v = *kw.value;
        if (v.kind != Expr::Name || (v.text != "true" && v.text != "false")) {
          diags.error(v.loc, "trainable expects true or false");
          poisoned = true;
        }
        frozen = v.text == "false";
        continue;
      }
      const ArgSpec *spec = llvm::find_if(
          def->args, [&](const ArgSpec &s) { return s.name == kw.name; });
      if (spec == def->args.end()) {
        std::vector<std::string> names;
        for (const ArgSpec &s : def->args)
          names.push_back(s.name.str());
        diags.error(kw.loc, def->name.str() + " has no argument '" + kw.name +
                                "'" +
                                (names.empty() ? std::string(" (it takes none)")
                                               : suggest(kw.name, names)));
        poisoned = true;
        continue;
      }
      if (given.count(kw.name)) {
        diags.error(kw.loc, "argument '" + kw.name + "' is given twice");
        poisoned = true;
        continue;
      }
      given[kw.name] = kw.loc;
      if (!bindArg(*def, *spec, *kw.value, args))
        poisoned = true;
    }
    if (poisoned)
      return Val::poison();
    for (const ArgSpec &spec : def->args)
      if (!spec.defaultValue && !given.count(spec.name.str()))
        return report(e.loc, def->name.str() + " needs argument '" +
                                 spec.name.str() + "'" + argumentList(*def));

    std::string name = declaration.empty()
                           ? graph.uniqueName(scope, def->name)
                           : scoped(declaration);
    std::string error;
    if (failed(graph.declare(name, *def, std::move(args), error, frozen)))
      return report(e.loc, error);
    if (!declaration.empty()) {
      if (!inputs.empty())
        return report(e.args[0]->loc,
                      "a layer declaration takes no inputs: declare it, "
                      "then call it as " +
                          declaration + "(x)");
      Val layer;
      layer.kind = Val::Layer;
      layer.layer = name;
      return layer;
    }
    if (inputs.size() < def->minInputs) {
      std::string msg = def->name.str() + " takes " +
                        (def->maxInputs > def->minInputs ? "at least " : "") +
                        std::to_string(def->minInputs) + " input" +
                        (def->minInputs == 1 ? "" : "s") + ", got " +
                        std::to_string(inputs.size());
      return report(e.loc, msg);
    }
    Val out = apply(name, inputs, e.loc, def->name);
    if (out.kind == Val::Poison)
      for (auto [k, in] : llvm::enumerate(inputs))
        diags.note(e.args[std::min(k, e.args.size() - 1)]->loc,
                   "input " + std::to_string(k + 1) + " has shape " +
                       shapeStr(in));
    return out;
  }

  static std::string argumentList(const LayerDef &def) {
    if (def.args.empty())
      return " (it takes no arguments)";
    std::string s = " (arguments: ";
    for (size_t i = 0; i < def.args.size(); ++i)
      s += (i ? ", " : "") + def.args[i].name.str();
    return s + ")";
  }

  /// Whether a positional argument could be an input: not a literal, not a
  /// bare name that means an activation/initializer/bool.
  bool mayBeTensor(const Expr &a) const {
    if (a.kind == Expr::Int || a.kind == Expr::Float ||
        a.kind == Expr::String)
      return false;
    if (a.kind == Expr::Name && !env.count(a.text))
      return false;
    if (a.kind == Expr::Call && !findLayer(a.text) && !env.count(a.text))
      return false; // an initializer call
    return true;
  }

  bool collectInputs(const Val &v, SrcLoc l, SmallVectorImpl<Value> &inputs,
                     bool &poisoned) {
    if (v.kind == Val::Poison) {
      poisoned = true;
      return true;
    }
    if (v.kind == Val::Tensor) {
      inputs.push_back(v.tensor);
      return true;
    }
    if (v.kind == Val::List) {
      for (const Val &item : v.items)
        if (!collectInputs(item, l, inputs, poisoned))
          return false;
      return true;
    }
    diags.error(l, "expected a tensor input, got " + v.describe());
    return false;
  }

  /// An integer or float value as a double; nullopt for anything else.
  static std::optional<double> numberOf(const Val &v) {
    if (v.kind == Val::Int)
      return double(v.i);
    if (v.kind == Val::Float)
      return v.f;
    return std::nullopt;
  }

  /// A name argument that must be one of `names`; the error reads
  /// `before` + the names + `after`, then what was given.
  bool bindName(const Expr &a, const std::string &before,
                ArrayRef<llvm::StringLiteral> names, StringRef after,
                ArgValue &v) {
    std::vector<std::string> all(names.begin(), names.end());
    if (a.kind != Expr::Name || !llvm::is_contained(names, a.text)) {
      diags.error(a.loc, before + llvm::join(all, ", ") + after.str() +
                             (a.kind == Expr::Name
                                  ? ", got '" + a.text + "'" +
                                        suggest(a.text, all)
                                  : ""));
      return false;
    }
    v.name = a.text;
    return true;
  }

  /// Binds `a` to `spec`; `evaluated` is its value when the caller already
  /// computed it.
  bool bindArg(const LayerDef &def, const ArgSpec &spec, const Expr &a,
               LayerArgs &args, std::optional<Val> evaluated = std::nullopt) {
    std::string what = "argument '" + spec.name.str() + "' of " +
                       def.name.str();
    ArgValue v;
    v.kind = spec.kind;
    switch (spec.kind) {
    case ArgKind::Int:
    case ArgKind::Float: {
      Val x = evaluated ? *evaluated : eval(a);
      if (x.kind == Val::Poison)
        return false;
      bool isInt = x.kind == Val::Int;
      if (spec.kind == ArgKind::Int ? !isInt
                                    : !(isInt || x.kind == Val::Float)) {
        diags.error(a.loc, what + " expects " +
                               (spec.kind == ArgKind::Int ? "an integer"
                                                          : "a number") +
                               ", got " + x.describe());
        return false;
      }
      if (isInt && x.i < spec.minInt) {
        diags.error(a.loc, what + " must be >= " +
                               std::to_string(spec.minInt) + ", got " +
                               std::to_string(x.i));
        return false;
      }
      v.i = x.i;
      v.f = isInt ? double(x.i) : x.f;
      break;
    }
    case ArgKind::IntList: {
      Val x = eval(a);
      if (x.kind == Val::Poison)
        return false;
      if (x.kind == Val::Int) { // kernel_size = 5 is [5]
        v.ints.push_back(x.i);
        break;
      }
      bool ok = x.kind == Val::List;
      for (const Val &item : x.items)
        ok = ok && item.kind == Val::Int;
      if (!ok) {
        diags.error(a.loc, what + " expects an integer or a list of "
                                  "integers, as [7, 7, 16]");
        return false;
      }
      for (const Val &item : x.items)
        v.ints.push_back(item.i);
      break;
    }
    case ArgKind::Choice:
      if (!bindName(a, what + " expects one of ", spec.choices, "", v))
        return false;
      break;
    case ArgKind::Bool:
      if (a.kind != Expr::Name || (a.text != "true" && a.text != "false")) {
        diags.error(a.loc, what + " expects true or false");
        return false;
      }
      v.b = a.text == "true";
      break;
    case ArgKind::Activation:
      if (!bindName(a, what + " expects an activation (", activationNames(),
                    ")", v))
        return false;
      break;
    case ArgKind::Regularizer: {
      // l2, l2(0.001), l1_l2(l1 = 0.01, l2 = 0.01), none
      if (a.kind != Expr::Name && a.kind != Expr::Call) {
        diags.error(a.loc, what + " expects a regularizer, as l2(0.01)");
        return false;
      }
      SmallVector<std::pair<std::string, double>> options;
      std::string n = StringRef(a.text).lower();
      // Positional factors in Keras' order: l1 then l2 (l2(0.01) is l2).
      auto factor = [&](std::string key, const Expr &e, SrcLoc where) {
        std::optional<double> d = numberOf(eval(e));
        if (!d)
          diags.error(where, "expected a number");
        else
          options.push_back({key, *d});
        return d.has_value();
      };
      for (auto [i, positional] : llvm::enumerate(a.args)) {
        bool first = n == "l1" || ((n == "l1_l2" || n == "l1l2") && i == 0);
        if (!factor(first ? "l1" : "l2", *positional, positional->loc))
          return false;
      }
      for (const KeywordArg &kw : a.kwargs)
        if (!factor(kw.name, *kw.value, kw.loc))
          return false;
      std::string error;
      FailureOr<DictionaryAttr> reg =
          makeRegularizer(ctx, a.text, options, error);
      if (failed(reg)) {
        diags.error(a.loc, what + ": " + error);
        return false;
      }
      v.init = *reg;
      break;
    }
    case ArgKind::Initializer: {
      if (a.kind != Expr::Name && a.kind != Expr::Call) {
        diags.error(a.loc, what + " expects an initializer, as "
                                  "glorot_uniform or random_normal(stddev = "
                                  "0.05)");
        return false;
      }
      SmallVector<std::pair<std::string, Attribute>> options;
      Builder b(ctx);
      if (a.kind == Expr::Call) {
        if (!a.args.empty()) {
          diags.error(a.args[0]->loc, "initializer options are named, as "
                                      "stddev = 0.05");
          return false;
        }
        for (const KeywordArg &kw : a.kwargs) {
          Val x = eval(*kw.value);
          if (x.kind == Val::Int && kw.name == "seed")
            options.push_back({kw.name, b.getI64IntegerAttr(x.i)});
          else if (x.kind == Val::Int || x.kind == Val::Float)
            options.push_back(
                {kw.name,
                 b.getF32FloatAttr(x.kind == Val::Int ? double(x.i) : x.f)});
          else if (kw.value->kind == Expr::Name)
            options.push_back({kw.name, b.getStringAttr(kw.value->text)});
          else {
            diags.error(kw.loc, "expected a number");
            return false;
          }
        }
      }
      std::string error;
      FailureOr<DictionaryAttr> init =
          makeInitializer(ctx, a.text, options, error);
      if (failed(init)) {
        diags.error(a.loc, what + ": " + error);
        return false;
      }
      v.init = *init;
      break;
    }
    }
    args[spec.name.str()] = v;
    return true;
  }

  //===--------------------------------------------------------------------===//
  // The train section
  //===--------------------------------------------------------------------===//

  void readTraining(const TrainDecl *train, SrcLoc modelLoc) {
    SrcLoc where = train ? train->loc : modelLoc;
    const Expr *lossExpr = nullptr, *optExpr = nullptr;
    if (train)
      for (const TrainEntry &e : train->entries) {
        if (e.key == "loss")
          lossExpr = e.value.get();
        else if (e.key == "optimizer")
          optExpr = e.value.get();
        else if (e.key == "metrics")
          readMetrics(*e.value);
        else if (e.key == "data")
          readData(*e.value);
        else
          diags.error(e.loc, "unknown setting '" + e.key + "'" +
                                 suggest(e.key, {"loss", "optimizer",
                                                 "metrics", "data"}));
      }
    // Loss.
    std::string lossName = opts.loss;
    SrcLoc lossLoc = where;
    if (lossName.empty() && lossExpr) {
      lossLoc = lossExpr->loc;
      if (lossExpr->kind == Expr::Name || lossExpr->kind == Expr::String)
        lossName = lossExpr->text;
      else
        diags.error(lossExpr->loc, "expected a loss name");
    }
    if (lossName.empty()) {
      if (!lossExpr)
        diags.error(where, "no loss: add 'loss = NAME' to the train section "
                           "or pass --loss");
    } else if (std::optional<StringRef> c = canonicalLossName(lossName)) {
      loss = c->str();
    } else {
      std::vector<std::string> names;
      std::string all = supportedLosses();
      for (StringRef n : llvm::split(all, ", "))
        names.push_back(n.str());
      diags.error(lossLoc, "unknown loss '" + lossName + "'" +
                               suggest(lossName, names) + " (supported: " +
                               supportedLosses() + ")");
    }
    // Optimizer.
    std::string optName = opts.optimizer;
    SrcLoc optLoc = where;
    SmallVector<NamedAttribute> hypers;
    Builder b(ctx);
    if (optName.empty() && optExpr) {
      optLoc = optExpr->loc;
      if (optExpr->kind == Expr::Name || optExpr->kind == Expr::Call) {
        optName = optExpr->text;
        for (const KeywordArg &kw : optExpr->kwargs) {
          std::string key = kw.name == "lr" ? "learning_rate" : kw.name;
          if (key == "learning_rate" && kw.value->kind == Expr::Call) {
            if (readSchedule(*kw.value))
              hypers.push_back(b.getNamedAttr(
                  key, b.getF32FloatAttr(scheduleInitialRate(schedule))));
            continue;
          }
          if (kw.value->kind == Expr::Name &&
              (kw.value->text == "true" || kw.value->text == "false")) {
            hypers.push_back(
                b.getNamedAttr(key, b.getBoolAttr(kw.value->text == "true")));
            continue;
          }
          Val x = eval(*kw.value);
          if (x.kind == Val::Int || x.kind == Val::Float)
            hypers.push_back(b.getNamedAttr(
                key, b.getF32FloatAttr(x.kind == Val::Int ? double(x.i)
                                                          : x.f)));
          else if (x.kind != Val::Poison)
            diags.error(kw.value->loc, "expected a number or true/false");
        }
        if (optExpr->kind == Expr::Call && !optExpr->args.empty())
          diags.error(optExpr->args[0]->loc,
                      "optimizer settings are named, as adam(lr = 1e-3)");
      } else {
        diags.error(optExpr->loc, "expected an optimizer, as adam or "
                                  "sgd(lr = 0.1, momentum = 0.9)");
      }
    }
    if (optName.empty()) {
      if (!optExpr)
        diags.error(where, "no optimizer: add 'optimizer = NAME' to the "
                           "train section or pass --optimizer");
      return;
    }
    std::string error;
    FailureOr<DictionaryAttr> opt = completeOptimizer(
        ctx, canonicalOptimizerName(optName).value_or(optName), hypers, error);
    if (failed(opt)) {
      diags.error(optLoc, error);
      return;
    }
    optimizer = *opt;
  }

  /// `cosine_decay(initial_learning_rate = 1e-3, decay_steps = 1000, ...)`:
  /// a Keras schedule by its function or class name, named numbers, bools
  /// and lists of numbers.
  bool readSchedule(const Expr &call) {
    Builder b(ctx);
    SmallVector<NamedAttribute> given;
    bool ok = true;
    for (const KeywordArg &kw : call.kwargs) {
      const Expr &v = *kw.value;
      if (v.kind == Expr::Name && (v.text == "true" || v.text == "false")) {
        given.push_back(b.getNamedAttr(kw.name, b.getBoolAttr(v.text == "true")));
        continue;
      }
      Val x = eval(v);
      if (std::optional<double> d = numberOf(x)) {
        given.push_back(b.getNamedAttr(kw.name, b.getF32FloatAttr(*d)));
      } else if (x.kind == Val::List &&
                 llvm::all_of(x.items, [](const Val &i) { return numberOf(i).has_value(); })) {
        SmallVector<Attribute> items;
        for (const Val &i : x.items)
          items.push_back(b.getF32FloatAttr(*numberOf(i)));
        given.push_back(b.getNamedAttr(kw.name, b.getArrayAttr(items)));
      } else {
        if (x.kind != Val::Poison)
          diags.error(v.loc, "expected a number, true/false or a list of "
                             "numbers");
        ok = false;
      }
    }
    if (!call.args.empty()) {
      diags.error(call.args[0]->loc, "schedule settings are named, as "
                                     "cosine_decay(decay_steps = 1000)");
      return false;
    }
    std::string error;
    FailureOr<DictionaryAttr> d = completeSchedule(ctx, call.text, given, error);
    if (failed(d)) {
      diags.error(call.loc, error);
      return false;
    }
    schedule = *d;
    return ok;
  }

  /// `metrics = [accuracy, top_k_accuracy(k = 3)]`: accuracy is always
  /// reported for classification losses; top-k accuracy (k = 5 unless
  /// given) on request.
  void readMetrics(const Expr &e) {
    std::vector<const Expr *> items;
    if (e.kind == Expr::List)
      for (const ExprPtr &i : e.args)
        items.push_back(i.get());
    else
      items.push_back(&e);
    for (const Expr *i : items) {
      if (i->kind == Expr::Name && i->text == "accuracy")
        continue;
      if ((i->kind == Expr::Name || i->kind == Expr::Call) &&
          isTopK(i->text)) {
        int64_t k = 5;
        for (const KeywordArg &kw : i->kwargs) {
          Val v = eval(*kw.value);
          if (kw.name != "k" || v.kind != Val::Int || v.i < 1) {
            diags.error(kw.loc, "top-k accuracy takes k = a positive integer");
            return;
          }
          k = v.i;
        }
        topK = k;
        continue;
      }
      diags.error(i->loc, "unknown metric" +
                              (i->kind == Expr::Name ? " '" + i->text + "'"
                                                     : std::string()) +
                              " (supported: accuracy, top_k_accuracy)");
    }
  }

  /// `data = "file.csv"`: rows of input features then targets, read now and
  /// embedded in the trainer as its default data.
  void readData(const Expr &e) {
    if (e.kind != Expr::String) {
      diags.error(e.loc, "expected a CSV file name, as \"data.csv\"");
      return;
    }
    SmallString<256> file(e.text);
    if (!llvm::sys::path::is_absolute(file)) {
      file = llvm::sys::path::parent_path(path);
      llvm::sys::path::append(file, e.text);
    }
    auto buffer = llvm::MemoryBuffer::getFile(file);
    if (!buffer) {
      diags.error(e.loc, "cannot read " + std::string(file) + ": " +
                             buffer.getError().message());
      return;
    }
    std::vector<float> values;
    int64_t cols = -1, rows = 0, lineNo = 0;
    for (StringRef line : llvm::split((*buffer)->getBuffer(), '\n')) {
      ++lineNo;
      line = line.trim();
      if (line.empty())
        continue;
      SmallVector<StringRef> fields;
      line.split(fields, ',');
      std::vector<float> row;
      bool numeric = true;
      for (StringRef f : fields) {
        double d;
        if (f.trim().getAsDouble(d) || !std::isfinite(d)) {
          numeric = false;
          break;
        }
        row.push_back(float(d));
      }
      if (!numeric) {
        if (rows == 0 && lineNo == 1)
          continue; // a header
        diags.error(e.loc, std::string(file) + ": line " +
                               std::to_string(lineNo) +
                               ": expected comma-separated numbers");
        return;
      }
      if (cols >= 0 && int64_t(row.size()) != cols) {
        diags.error(e.loc, std::string(file) + ": line " +
                               std::to_string(lineNo) + ": expected " +
                               std::to_string(cols) + " columns, got " +
                               std::to_string(row.size()));
        return;
      }
      cols = row.size();
      values.insert(values.end(), row.begin(), row.end());
      ++rows;
    }
    if (!rows) {
      diags.error(e.loc, std::string(file) + ": no data rows");
      return;
    }
    defaultData = DenseElementsAttr::get(
        RankedTensorType::get({rows, cols}, Float32Type::get(ctx)),
        ArrayRef<float>(values));
  }

  MLIRContext *ctx;
  Diagnostics &diags;
  std::string path;
  const SinterImportOptions &opts;
  GraphBuilder graph;
  std::map<std::string, Val> env;
  std::string scope;
  bool returned = false;
  SrcLoc returnLoc;
  std::string loss;
  DictionaryAttr schedule; // the optimizer's learning-rate schedule, if any
  int64_t topK = 0;        // the top-k accuracy metric's k, if requested
  DictionaryAttr optimizer;
  DenseElementsAttr defaultData;
};

} // namespace

OwningOpRef<ModuleOp> sinter::importSinterSource(
    MLIRContext *ctx, StringRef source, const std::string &path,
    const SinterImportOptions &options, llvm::raw_ostream &errs) {
  Diagnostics diags(path, source);
  Program program = parse(source, diags);
  OwningOpRef<ModuleOp> module;
  if (!diags.errorCount())
    module = ModelBuilder(ctx, diags, path, options).build(program);
  if (diags.errorCount()) {
    diags.print(errs);
    return nullptr;
  }
  return module;
}

OwningOpRef<ModuleOp>
sinter::importSinterModel(MLIRContext *ctx, const std::string &path,
                          const SinterImportOptions &options,
                          llvm::raw_ostream &errs) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    errs << path << ": error: cannot read: " << buffer.getError().message()
         << "\n";
    return nullptr;
  }
  return importSinterSource(ctx, (*buffer)->getBuffer(), path, options, errs);
}
