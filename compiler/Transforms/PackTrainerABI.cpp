//===- PackTrainerABI.cpp - flat-buffer signatures for the entry points ---===//
//
// Expects the entry points of sinter-build-train-step (any dialect mix on
// tensors, with their `sinter.*` argument attributes). Produces, for each,
// the signature of runtime/include/sinter/abi.h:
//
//   sinter_predict(inputs..., params, out) -> out
//   sinter_evaluate(inputs..., target, params, out) -> (f32, out)
//   sinter_gradients(inputs..., target, params, grads) -> (f32, grads)
//   sinter_train_step(inputs..., target, params, slots, lr, iteration)
//       -> (f32, params, slots)
//
// Every tensor argument is 1-D: inputs and dense targets are row-major
// [batch * per-example] buffers reshaped with tensor.expand_shape; parameters
// and slots are tensor.extract_slice views at the layout's offsets, and
// results go back with tensor.insert_slice into the argument they came from,
// so after One-Shot Bufferize each returned buffer is its argument and
// drop-equivalent-buffer-results leaves only the scalar loss.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/TrainerLayout.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

namespace sinter {
#define GEN_PASS_DEF_PACKTRAINERABI
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

/// The argument roles of an entry point, from its attributes.
enum class Role { Input, Target, Param, Slot, Hyper };

Role roleOf(func::FuncOp fn, unsigned i) {
  if (fn.getArgAttr(i, attrs::kInput))
    return Role::Input;
  if (fn.getArgAttr(i, attrs::kTarget))
    return Role::Target;
  if (fn.getArgAttr(i, attrs::kParam))
    return Role::Param;
  if (fn.getArgAttr(i, attrs::kSlot))
    return Role::Slot;
  return Role::Hyper;
}

class Packer {
public:
  Packer(func::FuncOp fn) : fn(fn), b(fn.getContext()), loc(fn.getLoc()) {}

  LogicalResult run() {
    layout = computeLayout(fn);
    auto f32 = b.getF32Type();
    auto flat = RankedTensorType::get({ShapedType::kDynamic}, f32);
    auto paramBuf = RankedTensorType::get({layout.paramElems}, f32);

    // New argument list, in the order of the old one with the parameter and
    // slot groups collapsed to one buffer each, then the output buffer.
    SmallVector<Type> newArgs;
    SmallVector<int> newIndexOf(fn.getNumArguments(), -1);
    int paramsArg = -1, slotsArg = -1;
    unsigned numSlotArgs = 0;
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
      Type t = fn.getArgument(i).getType();
      switch (roleOf(fn, i)) {
      case Role::Input:
      case Role::Target:
        newIndexOf[i] = newArgs.size();
        newArgs.push_back(cast<RankedTensorType>(t).getRank() == 1
                              ? t
                              : Type(RankedTensorType::get(
                                    {ShapedType::kDynamic},
                                    getElementTypeOrSelf(t))));
        break;
      case Role::Param:
        if (paramsArg < 0) {
          paramsArg = newArgs.size();
          newArgs.push_back(paramBuf);
        }
        break;
      case Role::Slot:
        if (slotsArg < 0) {
          slotsArg = newArgs.size();
          newArgs.push_back(Type()); // sized below
        }
        ++numSlotArgs;
        break;
      case Role::Hyper:
        // The slot buffer precedes the hyperparameters even when the
        // optimizer keeps no slots (plain SGD): the ABI is fixed.
        if (slotsArg < 0) {
          slotsArg = newArgs.size();
          newArgs.push_back(Type());
        }
        newIndexOf[i] = newArgs.size();
        newArgs.push_back(t);
        break;
      }
    }
    size_t numParams = layout.params.size();
    int64_t slotKinds = numParams ? numSlotArgs / numParams : 0;
    if (slotsArg >= 0)
      newArgs[slotsArg] =
          RankedTensorType::get({slotKinds * layout.paramElems}, f32);
    if (paramsArg < 0)
      return fn.emitError("entry point has no parameters");

    StringRef name = fn.getSymName();
    bool outputsPrediction = name == kPredictFn || name == kEvaluateFn;
    bool outputsGradients = name == kGradientsFn;
    int outArg = -1;
    if (outputsPrediction) {
      outArg = newArgs.size();
      newArgs.push_back(flat);
    } else if (outputsGradients) {
      outArg = newArgs.size();
      newArgs.push_back(paramBuf);
    }

    // Build the new entry block and the views of the old arguments.
    Block &oldBlock = fn.getBody().front();
    auto *block = new Block();
    for (Type t : newArgs)
      block->addArgument(t, loc);
    b.setInsertionPointToStart(block);

    Value batch; // from the first input
    unsigned paramIdx = 0, slotIdx = 0;
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
      BlockArgument old = oldBlock.getArgument(i);
      auto type = dyn_cast<RankedTensorType>(old.getType());
      Value repl;
      switch (roleOf(fn, i)) {
      case Role::Input:
      case Role::Target: {
        Value arg = block->getArgument(newIndexOf[i]);
        if (type.getRank() == 1) {
          repl = arg;
          break;
        }
        int64_t perExample = 1;
        for (int64_t d : type.getShape().drop_front()) {
          if (ShapedType::isDynamic(d))
            return fn.emitError("argument ")
                   << i << " has a dynamic non-batch dimension: " << type;
          perExample *= d;
        }
        Value total = b.create<tensor::DimOp>(loc, arg, 0);
        if (!batch)
          batch = b.create<arith::DivUIOp>(
              loc, total, b.create<arith::ConstantIndexOp>(loc, perExample));
        repl = expand(arg, type, batch);
        break;
      }
      case Role::Param:
        repl = view(block->getArgument(paramsArg),
                    layout.params[paramIdx++].offset, type);
        break;
      case Role::Slot: {
        unsigned kind = slotIdx / numParams, p = slotIdx % numParams;
        ++slotIdx;
        repl = view(block->getArgument(slotsArg),
                    kind * layout.paramElems + layout.params[p].offset, type);
        break;
      }
      case Role::Hyper:
        repl = block->getArgument(newIndexOf[i]);
        break;
      }
      old.replaceAllUsesWith(repl);
    }
    block->getOperations().splice(block->end(), oldBlock.getOperations());

    // Results: scalars stay; tensors go into their destination buffers.
    auto ret = cast<func::ReturnOp>(block->getTerminator());
    b.setInsertionPoint(ret);
    SmallVector<Value> rets;
    SmallVector<Value> tensors;
    for (Value v : ret.getOperands()) {
      if (isa<RankedTensorType>(v.getType()))
        tensors.push_back(v);
      else
        rets.push_back(v);
    }
    if (outputsPrediction) {
      rets.push_back(store(block->getArgument(outArg), tensors[0]));
    } else if (outputsGradients) {
      Value dst = block->getArgument(outArg);
      for (auto [p, g] : llvm::zip(layout.params, tensors))
        dst = insert(dst, p.offset, g);
      rets.push_back(dst);
    } else {
      Value params = block->getArgument(paramsArg);
      for (size_t p = 0; p < numParams; ++p)
        params = insert(params, layout.params[p].offset, tensors[p]);
      rets.push_back(params);
      if (slotsArg >= 0) {
        Value slots = block->getArgument(slotsArg);
        for (size_t s = 0; s < numSlotArgs; ++s)
          slots = insert(slots,
                         (s / numParams) * layout.paramElems +
                             layout.params[s % numParams].offset,
                         tensors[numParams + s]);
        rets.push_back(slots);
      }
    }
    b.create<func::ReturnOp>(loc, rets);
    ret.erase();

    // Swap the body and the type; argument attributes no longer apply.
    fn.getBody().front().erase();
    fn.getBody().push_back(block);
    fn.setFunctionType(
        b.getFunctionType(newArgs, TypeRange(ValueRange(rets))));
    fn.removeArgAttrsAttr();
    fn->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    return success();
  }

private:
  /// `flat` ([batch * per-example]) as `type` ([batch, ...]).
  Value expand(Value flat, RankedTensorType type, Value batch) {
    SmallVector<OpFoldResult> sizes = {batch};
    for (int64_t d : type.getShape().drop_front())
      sizes.push_back(b.getIndexAttr(d));
    SmallVector<ReassociationIndices> re = {
        llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()))};
    return b.create<tensor::ExpandShapeOp>(loc, type, flat, re, sizes);
  }

  /// The parameter-shaped view at `offset` of a flat buffer.
  Value view(Value buffer, int64_t offset, RankedTensorType type) {
    int64_t n = type.getNumElements();
    auto slice = b.create<tensor::ExtractSliceOp>(
        loc, RankedTensorType::get({n}, type.getElementType()), buffer,
        ValueRange{}, ValueRange{}, ValueRange{}, b.getDenseI64ArrayAttr(offset),
        b.getDenseI64ArrayAttr(n), b.getDenseI64ArrayAttr(1));
    if (type.getRank() == 1)
      return slice;
    SmallVector<ReassociationIndices> re = {
        llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()))};
    return b.create<tensor::ExpandShapeOp>(loc, type, slice, re);
  }

  /// Flattens `value` to 1-D.
  Value collapse(Value value) {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getRank() == 1)
      return value;
    SmallVector<ReassociationIndices> re = {
        llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()))};
    return b.create<tensor::CollapseShapeOp>(loc, value, re);
  }

  /// `value` (static shape) written into `buffer` at `offset`.
  Value insert(Value buffer, int64_t offset, Value value) {
    Value flat = collapse(value);
    int64_t n = cast<RankedTensorType>(flat.getType()).getDimSize(0);
    return b.create<tensor::InsertSliceOp>(
        loc, flat, buffer, ValueRange{}, ValueRange{}, ValueRange{},
        b.getDenseI64ArrayAttr(offset), b.getDenseI64ArrayAttr(n),
        b.getDenseI64ArrayAttr(1));
  }

  /// `value` (dynamic batch) written into the whole of `buffer`.
  Value store(Value buffer, Value value) {
    Value flat = collapse(value);
    Value n = b.create<tensor::DimOp>(loc, flat, 0);
    SmallVector<OpFoldResult> off = {b.getIndexAttr(0)}, size = {n},
                              stride = {b.getIndexAttr(1)};
    return b.create<tensor::InsertSliceOp>(loc, flat, buffer, off, size,
                                           stride);
  }

  func::FuncOp fn;
  OpBuilder b;
  Location loc;
  TrainerLayout layout;
};

struct PackTrainerABIPass
    : public sinter::impl::PackTrainerABIBase<PackTrainerABIPass> {
  void runOnOperation() override {
    for (StringRef name :
         {kPredictFn, kEvaluateFn, kGradientsFn, kTrainStepFn}) {
      auto fn = getOperation().lookupSymbol<func::FuncOp>(name);
      if (!fn) {
        getOperation().emitError("missing entry point @") << name;
        return signalPassFailure();
      }
      if (failed(Packer(fn).run()))
        return signalPassFailure();
    }
  }
};

} // namespace
