//===- BuildTrainStep.cpp - forward + loss + VJP + optimizer --------------===//
//
// Expects: `func.func @forward` in the Sinter dialect (one block, one
// result: the prediction), arguments marked `sinter.input` / `sinter.param`,
// and the module attributes `sinter.loss` and `sinter.optimizer`.
// Produces: @sinter_predict, @sinter_evaluate, @sinter_gradients and
// @sinter_train_step (see Passes.td), still in the Sinter dialect; @forward
// is erased.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/TrainerLayout.h"
#include "compiler/Transforms/TrainingConfig.h"
#include "dialects/Sinter/IR/SinterDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"

namespace sinter {
#define GEN_PASS_DEF_BUILDTRAINSTEP
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

/// What the entry points share: the forward function split into its inputs
/// and parameters, and the training configuration.
struct Model {
  func::FuncOp forward;
  SmallVector<unsigned> inputs, params; // forward argument indices
  StringRef loss;
  DictionaryAttr optimizer;
  RankedTensorType predictionType, targetType;
};

/// Reverse-mode autodiff over the ops already in `block`: returns the
/// cotangent of each of `wrt` (null where the loss does not depend on it).
/// New ops go to `b`'s insertion point, after the forward ops.
FailureOr<SmallVector<Value>> differentiate(OpBuilder &b, Block &block,
                                            Value loss, ValueRange wrt) {
  // Activity: only values that depend on a parameter get cotangents.
  llvm::DenseSet<Value> active(wrt.begin(), wrt.end());
  SmallVector<Operation *> forwardOps;
  for (Operation &op : block) {
    forwardOps.push_back(&op);
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return active.contains(v); }))
      active.insert(op.result_begin(), op.result_end());
  }

  DenseMap<Value, Value> grads;
  auto scalar = cast<RankedTensorType>(loss.getType());
  grads[loss] = b.create<arith::ConstantOp>(
      loss.getLoc(), DenseElementsAttr::get(scalar, 1.0f));

  for (Operation *op : llvm::reverse(forwardOps)) {
    SmallVector<Value> resultGrads;
    for (Value r : op->getResults())
      resultGrads.push_back(grads.lookup(r));
    if (llvm::all_of(resultGrads, [](Value g) { return !g; }) ||
        llvm::none_of(op->getOperands(),
                      [&](Value v) { return active.contains(v); }))
      continue;
    auto vjp = dyn_cast<VJPOpInterface>(op);
    if (!vjp)
      return op->emitOpError("has no VJP rule, so Sinter cannot train "
                             "through it");
    SmallVector<Value> operandGrads(op->getNumOperands());
    if (failed(vjp.buildVJP(b, resultGrads, operandGrads)))
      return failure();
    for (auto [i, g] : llvm::enumerate(operandGrads)) {
      Value operand = op->getOperand(i);
      if (!g || !active.contains(operand) || !vjp.isDifferentiableOperand(i))
        continue;
      if (g.getType() != operand.getType())
        return op->emitOpError("VJP rule gave operand ")
               << i << " a cotangent of type " << g.getType() << " instead of "
               << operand.getType();
      // A value used more than once sums the cotangents of its uses.
      Value &acc = grads[operand];
      acc = acc ? b.create<AddOp>(op->getLoc(), acc, g).getResult() : g;
    }
  }

  SmallVector<Value> out;
  for (Value v : wrt)
    out.push_back(grads.lookup(v));
  return out;
}

class EntryPointBuilder {
public:
  EntryPointBuilder(ModuleOp module, Model model)
      : module(module), model(model), b(module.getContext()) {}

  /// @sinter_inference(inputs..., params...) -> prediction, private: the
  /// inference pass that predict and evaluate both call, so that its code
  /// is compiled once.
  void buildInference() {
    auto fn = startFunction(kInferenceFn, false, false, 0,
                            {model.predictionType}, /*withArgAttrs=*/false);
    fn.setPrivate();
    IRMapping map = mapArgs(fn, /*withTarget=*/false);
    b.create<func::ReturnOp>(loc(), cloneForward(map, Mode::Inference));
    inference = fn;
  }

  void buildPredict() {
    auto fn = startFunction(kPredictFn, /*withTarget=*/false, false, 0,
                            {model.predictionType});
    b.create<func::ReturnOp>(loc(), callInference(fn, false));
  }

  void buildEvaluate() {
    auto fn = startFunction(kEvaluateFn, true, false, 0,
                            {b.getF32Type(), model.predictionType});
    IRMapping map = mapArgs(fn, true);
    Value pred = callInference(fn, true);
    Value loss = withPenalties(
        buildLoss(b, loc(), model.loss, pred, target(fn)), map);
    b.create<func::ReturnOp>(loc(), ValueRange{extract(loss), pred});
  }

  /// @sinter_training_pass(inputs..., target, params...) -> (loss, grads...,
  /// new states...), private: the forward pass in training form, the loss
  /// and the gradients, which @sinter_gradients and the train step both
  /// call, so that the largest part of a trainer is compiled once. Only for
  /// models without random ops: those key on the train step's iteration,
  /// which @sinter_gradients does not have (it stays deterministic), so
  /// each entry point then keeps its own copy.
  LogicalResult buildSharedTrainingPass() {
    SmallVector<Type> results = {b.getF32Type()};
    for (unsigned p : model.params)
      results.push_back(model.forward.getArgument(p).getType());
    auto fn = startFunction(kTrainingPassFn, true, false, 0, results,
                            /*withArgAttrs=*/false);
    fn.setPrivate();
    BlockArgument step = fn.front().addArgument(b.getF32Type(), loc());
    IRMapping map = mapArgs(fn, true);
    FailureOr<TrainingPass> pass = buildTrainingPass(fn, map, step);
    if (failed(pass))
      return failure();
    if (!step.use_empty()) {
      fn.erase();
      return success();
    }
    fn.front().eraseArgument(step.getArgNumber());
    // The new moving statistics follow the gradients, in parameter order.
    SmallVector<Value> rets = {pass->loss};
    rets.append(pass->grads);
    for (unsigned p : model.params)
      if (Value state = pass->stateUpdates.lookup(
              map.lookup(model.forward.getArgument(p)))) {
        rets.push_back(state);
        results.push_back(state.getType());
        statefulParams.push_back(p);
      }
    b.create<func::ReturnOp>(loc(), rets);
    fn.setFunctionType(
        b.getFunctionType(fn.front().getArgumentTypes(), results));
    trainingPass = fn;
    return success();
  }

  LogicalResult buildGradients() {
    SmallVector<Type> results = {b.getF32Type()};
    for (unsigned p : model.params)
      results.push_back(model.forward.getArgument(p).getType());
    auto fn = startFunction(kGradientsFn, true, false, 0, results);
    IRMapping map = mapArgs(fn, true);
    FailureOr<TrainingPass> pass = trainingPassIn(fn, map, /*step=*/nullptr);
    if (failed(pass))
      return failure();
    SmallVector<Value> rets = {pass->loss};
    rets.append(pass->grads);
    b.create<func::ReturnOp>(loc(), rets);
    return success();
  }

  LogicalResult buildTrainStep() {
    SmallVector<StringRef> slotNames = optimizerSlotNames(model.optimizer);
    SmallVector<Type> results = {b.getF32Type()};
    for (unsigned p : model.params)
      results.push_back(model.forward.getArgument(p).getType());
    for (size_t k = 0; k < slotNames.size(); ++k)
      for (unsigned p : model.params)
        results.push_back(model.forward.getArgument(p).getType());
    auto fn = startFunction(kTrainStepFn, true, true, slotNames.size(), results);
    IRMapping map = mapArgs(fn, true);

    // Slots follow the parameters: all of slot 0, then all of slot 1, ...
    unsigned firstSlot = fn.getNumArguments() - 2 -
                         slotNames.size() * model.params.size();
    for (auto [k, slot] : llvm::enumerate(slotNames))
      for (auto [j, p] : llvm::enumerate(model.params))
        fn.setArgAttr(firstSlot + k * model.params.size() + j, attrs::kSlot,
                      b.getStringAttr(paramName(p) + "/" + slot));
    Value lr = fn.getArgument(fn.getNumArguments() - 2);
    Value iteration = fn.getArgument(fn.getNumArguments() - 1);
    fn.setArgAttr(fn.getNumArguments() - 2, attrs::kHyper,
                  b.getStringAttr("learning_rate"));
    fn.setArgAttr(fn.getNumArguments() - 1, attrs::kHyper,
                  b.getStringAttr("iteration"));

    FailureOr<TrainingPass> pass = trainingPassIn(fn, map, iteration);
    if (failed(pass))
      return failure();
    SmallVector<Value> grads =
        clipGradients(b, loc(), model.optimizer, pass->grads);

    // Updates come last: every backward read of a parameter precedes them.
    SmallVector<Value> newParams;
    SmallVector<SmallVector<Value>> newSlots(slotNames.size());
    for (auto [j, p] : llvm::enumerate(model.params)) {
      SmallVector<Value> slots;
      for (size_t k = 0; k < slotNames.size(); ++k)
        slots.push_back(
            fn.getArgument(firstSlot + k * model.params.size() + j));
      Value param = map.lookup(model.forward.getArgument(p));
      if (isFrozen(p)) { // no optimizer update; state takes its new value
        Value state = pass->stateUpdates.lookup(param);
        newParams.push_back(state ? state : param);
        for (size_t k = 0; k < slotNames.size(); ++k)
          newSlots[k].push_back(slots[k]);
        continue;
      }
      SmallVector<Value> updated = buildOptimizerUpdate(
          b, loc(), model.optimizer, param, grads[j], slots, lr, iteration);
      newParams.push_back(updated[0]);
      for (size_t k = 0; k < slotNames.size(); ++k)
        newSlots[k].push_back(updated[k + 1]);
    }
    SmallVector<Value> rets = {pass->loss};
    rets.append(newParams);
    for (auto &s : newSlots)
      rets.append(s);
    b.create<func::ReturnOp>(loc(), rets);
    return success();
  }

private:
  /// The loss (f32), one gradient per parameter, and the new value of each
  /// state parameter (moving statistics) that has one, keyed by the
  /// parameter.
  struct TrainingPass {
    Value loss;
    SmallVector<Value> grads;
    DenseMap<Value, Value> stateUpdates;
  };

  /// The training pass in `fn`: forward (random ops keyed by `step`), loss
  /// and gradients, emitted in place.
  FailureOr<TrainingPass> buildTrainingPass(func::FuncOp fn, IRMapping &map,
                                            Value step) {
    SmallVector<std::pair<Value, Value>> updates;
    Value pred = cloneForward(map, Mode::Training, step, &updates);
    TrainingPass pass;
    for (auto [state, value] : updates)
      if (!pass.stateUpdates.try_emplace(state, value).second)
        return model.forward.emitError(
            "a layer with moving statistics is called more than once; "
            "each call would update them (call it once)");
    Value loss = withPenalties(
        buildLoss(b, loc(), model.loss, pred, target(fn)), map);
    FailureOr<SmallVector<Value>> grads = gradientsOf(fn, loss, map);
    if (failed(grads))
      return failure();
    pass.loss = extract(loss);
    pass.grads = std::move(*grads);
    return pass;
  }

  /// The training pass for entry point `fn`: a call of the shared
  /// @sinter_training_pass where there is one, else emitted in place.
  FailureOr<TrainingPass> trainingPassIn(func::FuncOp fn, IRMapping &map,
                                         Value step) {
    if (!trainingPass)
      return buildTrainingPass(fn, map, step);
    ValueRange results =
        b.create<func::CallOp>(loc(), trainingPass,
                               fn.getArguments().take_front(
                                   trainingPass.getNumArguments()))
            .getResults();
    TrainingPass pass;
    pass.loss = results.front();
    pass.grads.assign(results.begin() + 1,
                      results.begin() + 1 + model.params.size());
    for (auto [p, state] : llvm::zip(
             statefulParams, results.drop_front(1 + model.params.size())))
      pass.stateUpdates[map.lookup(model.forward.getArgument(p))] = state;
    return pass;
  }

  /// The prediction of @sinter_inference for entry point `fn`'s inputs and
  /// parameters (after its target, if `withTarget`).
  Value callInference(func::FuncOp fn, bool withTarget) {
    SmallVector<Value> args(fn.getArguments().take_front(model.inputs.size()));
    ValueRange params = fn.getArguments().slice(
        model.inputs.size() + withTarget, model.params.size());
    args.append(params.begin(), params.end());
    return b.create<func::CallOp>(loc(), inference, args).getResult(0);
  }

  Location loc() { return model.forward.getLoc(); }

  std::string paramName(unsigned forwardArg) {
    return argAttrString(model.forward, forwardArg, attrs::kParam).str();
  }

  /// A function (inputs..., [target], params..., [slots..., lr, iteration])
  /// with its entry block, the builder at its start. The slots and the two
  /// hyperparameters come with `withHypers` (the train step).
  func::FuncOp startFunction(StringRef name, bool withTarget, bool withHypers,
                             size_t numSlots, TypeRange results,
                             bool withArgAttrs = true) {
    SmallVector<Type> args;
    SmallVector<DictionaryAttr> argAttrs;
    for (unsigned i : model.inputs) {
      args.push_back(model.forward.getArgument(i).getType());
      argAttrs.push_back(model.forward.getArgAttrDict(i));
    }
    if (withTarget) {
      args.push_back(model.targetType);
      argAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
          attrs::kTarget,
          b.getStringAttr(lossTakesLabels(model.loss) ? "labels" : "dense"))));
    }
    for (unsigned i : model.params) {
      args.push_back(model.forward.getArgument(i).getType());
      argAttrs.push_back(model.forward.getArgAttrDict(i));
    }
    if (withHypers) {
      for (size_t k = 0; k < numSlots; ++k)
        for (unsigned i : model.params) {
          args.push_back(model.forward.getArgument(i).getType());
          argAttrs.push_back(b.getDictionaryAttr({}));
        }
      args.append({b.getF32Type(), b.getF32Type()});
      argAttrs.append({b.getDictionaryAttr({}), b.getDictionaryAttr({})});
    }
    b.setInsertionPointToEnd(module.getBody());
    auto fn = b.create<func::FuncOp>(loc(), name,
                                     b.getFunctionType(args, results));
    if (withArgAttrs)
      fn.setAllArgAttrs(argAttrs);
    b.setInsertionPointToStart(fn.addEntryBlock());
    return fn;
  }

  IRMapping mapArgs(func::FuncOp fn, bool withTarget) {
    IRMapping map;
    unsigned next = 0;
    for (unsigned i : model.inputs)
      map.map(model.forward.getArgument(i), fn.getArgument(next++));
    next += withTarget;
    for (unsigned i : model.params)
      map.map(model.forward.getArgument(i), fn.getArgument(next++));
    return map;
  }

  Value target(func::FuncOp fn) {
    return fn.getArgument(model.inputs.size());
  }

  enum class Mode { Inference, Training };

  /// Clones @forward's ops; ops that train differently take the form of
  /// `mode`. `step` (the train step's iteration) keys random ops; without
  /// it they are the identity. New values of state parameters (moving
  /// statistics) are appended to `stateUpdates` as (parameter, value).
  Value cloneForward(
      IRMapping &map, Mode mode, Value step = nullptr,
      SmallVectorImpl<std::pair<Value, Value>> *stateUpdates = nullptr) {
    Block &body = model.forward.getBody().front();
    SmallVector<std::pair<Value, Value>> ignored;
    for (Operation &op : body.without_terminator()) {
      Operation *clone = b.clone(op, map);
      if (auto moded = dyn_cast<TrainingModeOpInterface>(clone)) {
        map.map(op.getResult(0),
                moded.buildForMode(b, mode == Mode::Training, step,
                                   stateUpdates ? *stateUpdates : ignored));
        clone->erase();
      }
    }
    return map.lookup(body.getTerminator()->getOperand(0));
  }

  /// The loss plus Keras' regularization losses: each trained weight's
  /// L1/L2 penalty (sinter.regularizer), in evaluate, gradients and the
  /// train step alike, as Keras adds them.
  Value withPenalties(Value loss, IRMapping &map) {
    for (unsigned p : model.params) {
      auto reg = model.forward.getArgAttrOfType<DictionaryAttr>(
          p, attrs::kRegularizer);
      if (!reg || isFrozen(p))
        continue;
      Value penalty = b.create<RegularizationOp>(
          loc(), map.lookup(model.forward.getArgument(p)),
          reg.getAs<FloatAttr>("l1"), reg.getAs<FloatAttr>("l2"));
      loss = b.create<AddOp>(loc(), loss, penalty);
    }
    return loss;
  }

  bool isFrozen(unsigned forwardArg) {
    return model.forward.getArgAttr(forwardArg, attrs::kFrozen) != nullptr;
  }

  /// One gradient per parameter; frozen parameters are not differentiated
  /// (their gradient is zero).
  FailureOr<SmallVector<Value>> gradientsOf(func::FuncOp fn, Value loss,
                                            IRMapping &map) {
    SmallVector<Value> params, trainable;
    for (unsigned p : model.params) {
      params.push_back(map.lookup(model.forward.getArgument(p)));
      if (!isFrozen(p))
        trainable.push_back(params.back());
    }
    auto trainableGrads =
        differentiate(b, fn.getBody().front(), loss, trainable);
    if (failed(trainableGrads))
      return failure();
    FailureOr<SmallVector<Value>> grads = SmallVector<Value>();
    size_t next = 0;
    for (unsigned p : model.params)
      grads->push_back(isFrozen(p) ? Value() : (*trainableGrads)[next++]);
    // A parameter the loss does not reach has a zero gradient.
    for (auto [g, p] : llvm::zip(*grads, params))
      if (!g)
        g = b.create<arith::ConstantOp>(
            loc(), DenseElementsAttr::get(cast<ShapedType>(p.getType()), 0.0f));
    return grads;
  }

  Value extract(Value scalarTensor) {
    return b.create<tensor::ExtractOp>(loc(), scalarTensor, ValueRange{});
  }

  ModuleOp module;
  Model model;
  OpBuilder b;
  func::FuncOp inference, trainingPass; // the shared, private functions
  SmallVector<unsigned> statefulParams; // trainingPass's state results
};

struct BuildTrainStepPass
    : public sinter::impl::BuildTrainStepBase<BuildTrainStepPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<Model> model = readModel(module);
    if (failed(model))
      return signalPassFailure();
    EntryPointBuilder builder(module, *model);
    builder.buildInference();
    builder.buildPredict();
    builder.buildEvaluate();
    if (failed(builder.buildSharedTrainingPass()) ||
        failed(builder.buildGradients()) || failed(builder.buildTrainStep()))
      return signalPassFailure();
    model->forward.erase();
  }

  FailureOr<Model> readModel(ModuleOp module) {
    Model m;
    m.forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!m.forward)
      return module.emitError("expected a func.func @forward to train");
    if (!m.forward.getBody().hasOneBlock() ||
        m.forward.getFunctionType().getNumResults() != 1)
      return m.forward.emitError(
          "@forward must have one block and one result (the prediction)");
    m.predictionType =
        dyn_cast<RankedTensorType>(m.forward.getResultTypes()[0]);
    if (!m.predictionType || m.predictionType.getRank() < 2)
      return m.forward.emitError("the prediction must be a [batch, outputs] "
                                 "tensor");
    for (unsigned i = 0, e = m.forward.getNumArguments(); i < e; ++i) {
      if (!argAttrString(m.forward, i, attrs::kParam).empty())
        m.params.push_back(i);
      else if (!argAttrString(m.forward, i, attrs::kInput).empty())
        m.inputs.push_back(i);
      else
        return m.forward.emitError("argument ")
               << i << " is marked neither 'sinter.input' nor 'sinter.param'";
    }
    auto loss = module->getAttrOfType<StringAttr>(attrs::kLoss);
    if (!loss)
      return module.emitError("no loss: set the 'sinter.loss' attribute");
    std::optional<StringRef> canonical = canonicalLossName(loss.getValue());
    if (!canonical)
      return module.emitError("unknown loss '")
             << loss.getValue() << "' (supported: " << supportedLosses() << ")";
    m.loss = *canonical;
    auto opt = module->getAttrOfType<DictionaryAttr>(attrs::kOptimizer);
    if (!opt)
      return module.emitError(
          "no optimizer: set the 'sinter.optimizer' attribute");
    std::string error;
    auto name = opt.getAs<StringAttr>("name");
    FailureOr<DictionaryAttr> complete = completeOptimizer(
        module.getContext(), name ? name.getValue() : "", opt.getValue(),
        error);
    if (failed(complete))
      return module.emitError(error);
    m.optimizer = *complete;
    module->setAttr(attrs::kOptimizer, m.optimizer);
    // Labels: one per prediction vector ([batch] or [batch, tokens]).
    if (lossTakesLabels(m.loss)) {
      m.targetType = RankedTensorType::get(
          m.predictionType.getShape().drop_back(),
          IntegerType::get(module.getContext(), 32));
    } else if (m.predictionType.getRank() != 2) {
      return m.forward.emitError("loss '")
             << m.loss << "' needs a [batch, outputs] prediction, got "
             << m.predictionType
             << " (only sparse categorical cross-entropy takes sequences)";
    } else {
      m.targetType = m.predictionType;
    }
    return m;
  }
};

} // namespace
