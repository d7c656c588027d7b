//===- GraphBuilder.cpp - builds @forward from layer calls ----------------===//
#include "compiler/Frontend/Layers/GraphBuilder.h"

#include "compiler/Transforms/TrainerLayout.h"
#include "dialects/Sinter/IR/SinterDialect.h"

using namespace mlir;
using namespace sinter;

GraphBuilder::GraphBuilder(MLIRContext *ctx, Location loc)
    : ctx(ctx), b(ctx), module(ModuleOp::create(loc)) {
  ctx->loadDialect<SinterDialect, func::FuncDialect>();
  b.setInsertionPointToEnd(module->getBody());
  fn = b.create<func::FuncOp>(loc, "forward", b.getFunctionType({}, {}));
  body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
}

static RankedTensorType batchedType(MLIRContext *ctx, const Shape &shape) {
  SmallVector<int64_t> dims = {ShapedType::kDynamic};
  dims.append(shape.begin(), shape.end());
  return RankedTensorType::get(dims, Float32Type::get(ctx));
}

Value GraphBuilder::addInput(StringRef name, const Shape &shape,
                             Location loc) {
  argAttrs.push_back(b.getDictionaryAttr(
      b.getNamedAttr(attrs::kInput, b.getStringAttr(name))));
  return body->addArgument(batchedType(ctx, shape), loc);
}

LogicalResult GraphBuilder::declare(StringRef name, const LayerDef &def,
                                    LayerArgs args, std::string &error,
                                    bool frozen) {
  if (instances.count(name)) {
    error = "a layer named '" + name.str() + "' already exists";
    return failure();
  }
  if (failed(completeArgs(ctx, def, args, error)))
    return failure();
  ArgValue trainable;
  trainable.kind = ArgKind::Bool;
  trainable.b = !frozen;
  args["trainable"] = trainable;
  instances[name] = Instance{&def, std::move(args), {}, {}, frozen};
  return success();
}

const LayerDef *GraphBuilder::defOf(StringRef name) const {
  auto it = instances.find(name);
  return it == instances.end() ? nullptr : it->second.def;
}

std::string GraphBuilder::uniqueName(StringRef scope, StringRef base) {
  std::string prefix = scope.empty() ? "" : scope.str() + ".";
  while (true) {
    unsigned &n = nameCounts[prefix + base.str()];
    std::string name =
        prefix + base.str() + (n ? "_" + std::to_string(n) : std::string());
    ++n;
    if (!instances.count(name))
      return name;
  }
}

Shape GraphBuilder::shapeOf(Value v) const {
  auto shape = cast<RankedTensorType>(v.getType()).getShape().drop_front();
  return Shape(shape.begin(), shape.end());
}

FailureOr<Value> GraphBuilder::call(StringRef name, ValueRange inputs,
                                    Location loc, std::string &error) {
  Instance &inst = instances[name];
  const LayerDef &def = *inst.def;
  if (inputs.size() < def.minInputs || inputs.size() > def.maxInputs) {
    error = def.name.str() + " takes " +
            (def.minInputs == def.maxInputs
                 ? std::to_string(def.minInputs)
                 : "at least " + std::to_string(def.minInputs)) +
            " input" + (def.minInputs == 1 && def.maxInputs == 1 ? "" : "s") +
            ", got " + std::to_string(inputs.size());
    return failure();
  }
  SmallVector<Shape> shapes;
  for (Value v : inputs)
    shapes.push_back(shapeOf(v));
  FailureOr<Shape> out = def.infer(shapes, inst.args, error);
  if (failed(out))
    return failure();

  if (inst.weights.empty() && inst.inputShapes.empty()) {
    int64_t count = 0;
    for (const WeightSpec &w : def.weights(shapes, inst.args)) {
      SmallVector<NamedAttribute> attrList = {
          b.getNamedAttr(attrs::kParam,
                         b.getStringAttr(name.str() + "." + w.name)),
          b.getNamedAttr(attrs::kInit, w.init)};
      if (inst.frozen || !w.trainable)
        attrList.push_back(b.getNamedAttr(attrs::kFrozen, b.getUnitAttr()));
      if (w.regularizer)
        attrList.push_back(b.getNamedAttr(attrs::kRegularizer, w.regularizer));
      argAttrs.push_back(b.getDictionaryAttr(attrList));
      inst.weights.push_back(body->addArgument(
          RankedTensorType::get(w.shape, b.getF32Type()), loc));
      int64_t n = 1;
      for (int64_t d : w.shape)
        n *= d;
      count += n;
    }
    inst.inputShapes = shapes;
    StringRef cls = def.kerasClass.empty() ? def.name : def.kerasClass;
    summary.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("name", b.getStringAttr(name)),
         b.getNamedAttr("class", b.getStringAttr(cls)),
         b.getNamedAttr("shape", b.getDenseI64ArrayAttr(*out)),
         b.getNamedAttr("params", b.getI64IntegerAttr(count))}));
  } else if (shapes != inst.inputShapes) {
    // Shared weights were built for the first call's shapes.
    SmallVector<WeightSpec> want = def.weights(shapes, inst.args);
    for (auto [w, have] : llvm::zip(want, inst.weights)) {
      auto haveShape = cast<RankedTensorType>(have.getType()).getShape();
      if (ArrayRef<int64_t>(w.shape) != haveShape) {
        error = "layer '" + name.str() + "' was built for input " +
                shapeString(inst.inputShapes[0]) + " (its " + w.name +
                " is " + shapeString(haveShape) + "); it cannot take " +
                shapeString(shapes[0]);
        return failure();
      }
    }
  }
  Location named = NameLoc::get(b.getStringAttr(name), loc);
  return def.emit(b, named, inputs, inst.weights, inst.args,
                  batchedType(ctx, *out));
}

OwningOpRef<ModuleOp> GraphBuilder::finish(Value output, StringRef modelName,
                                           StringRef loss,
                                           DictionaryAttr optimizer) {
  b.create<func::ReturnOp>(fn.getLoc(), output);
  fn.setFunctionType(
      b.getFunctionType(body->getArgumentTypes(), output.getType()));
  fn.setAllArgAttrs(argAttrs);
  (*module)->setAttr(attrs::kModelName, b.getStringAttr(modelName));
  (*module)->setAttr(attrs::kLoss, b.getStringAttr(loss));
  (*module)->setAttr(attrs::kOptimizer, optimizer);
  (*module)->setAttr(attrs::kLayers, b.getArrayAttr(summary));
  return std::move(module);
}
