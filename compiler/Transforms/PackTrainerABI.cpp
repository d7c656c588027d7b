//===- PackTrainerABI.cpp - flat-buffer signatures for the entry points ---===//
//
// Expects the entry points of sinter-build-train-step (any dialect mix on
// tensors, with their `sinter.*` argument attributes). Produces, for each,
// the signature of runtime/include/sinter/abi.h, on 1-D memrefs:
//
//   sinter_predict(x, params, out)
//   sinter_evaluate(x, target, params, out) -> f32
//   sinter_gradients(x, target, params, grads) -> f32
//   sinter_train_step(x, target, params, slots, lr, iteration) -> f32
//
// `x` holds every input, one after the other, each a row-major
// [batch * per-example] block; inputs and dense targets are reshaped with
// memref.expand_shape; parameters and slots are disjoint
// memref.subview windows of one buffer at the layout's offsets. Each window
// enters the tensor world through `bufferization.to_tensor restrict` and
// every result leaves through `bufferization.materialize_in_destination`
// into its window, so One-Shot Bufferize updates parameters and slots in
// place: no copy, no allocation for them.
// The private functions the entry points call (the shared inference and
// training passes) then take those windows as memrefs of the same layout.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/TrainerLayout.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

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
    int64_t dyn = ShapedType::kDynamic;
    auto flatF32 = MemRefType::get({dyn}, f32);
    auto paramBuf = MemRefType::get({layout.paramElems}, f32);
    size_t numParams = layout.params.size();
    if (!numParams)
      return fn.emitError("entry point has no parameters");

    // New arguments in the order of the old ones, the parameter and slot
    // groups collapsed to one buffer each, then the output buffer.
    SmallVector<Type> newArgs;
    SmallVector<int> newIndexOf(fn.getNumArguments(), -1);
    int paramsArg = -1, slotsArg = -1, inputsArg = -1;
    unsigned numSlotArgs = 0;
    SmallVector<int64_t> inputSizes;
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
      Type t = fn.getArgument(i).getType();
      switch (roleOf(fn, i)) {
      case Role::Input:
        // Every input lives in the one `x` buffer.
        if (inputsArg < 0) {
          inputsArg = newArgs.size();
          newArgs.push_back(flatF32);
        }
        newIndexOf[i] = inputsArg;
        inputSizes.push_back(perExample(cast<RankedTensorType>(t)));
        break;
      case Role::Target:
        newIndexOf[i] = newArgs.size();
        newArgs.push_back(MemRefType::get({dyn}, getElementTypeOrSelf(t)));
        break;
      case Role::Param:
        if (paramsArg < 0) {
          paramsArg = newArgs.size();
          newArgs.push_back(paramBuf);
        }
        break;
      case Role::Slot:
        ++numSlotArgs;
        break;
      case Role::Hyper:
        // The slot buffer precedes the hyperparameters even when the
        // optimizer keeps no slots (plain SGD): the ABI is fixed.
        if (slotsArg < 0) {
          slotsArg = newArgs.size();
          newArgs.push_back(Type()); // sized below
        }
        newIndexOf[i] = newArgs.size();
        newArgs.push_back(t);
        break;
      }
    }
    int64_t slotKinds = numSlotArgs / numParams;
    if (slotsArg >= 0)
      newArgs[slotsArg] = MemRefType::get({slotKinds * layout.paramElems}, f32);

    StringRef name = fn.getSymName();
    bool outputsPrediction = name == kPredictFn || name == kEvaluateFn;
    bool outputsGradients = name == kGradientsFn;
    int outArg = -1;
    if (outputsPrediction || outputsGradients) {
      outArg = newArgs.size();
      newArgs.push_back(outputsGradients ? Type(paramBuf) : Type(flatF32));
    }

    // The new entry block: a tensor view of every old argument.
    Block &oldBlock = fn.getBody().front();
    auto *block = new Block();
    for (Type t : newArgs)
      block->addArgument(t, loc);
    b.setInsertionPointToStart(block);

    // batch = x.size / (sum of the inputs' per-example sizes).
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
      auto type = cast<RankedTensorType>(fn.getArgument(i).getType());
      if (roleOf(fn, i) == Role::Input || roleOf(fn, i) == Role::Target)
        for (int64_t d : type.getShape().drop_front())
          if (ShapedType::isDynamic(d))
            return fn.emitError("argument ")
                   << i << " has a dynamic non-batch dimension: " << type;
    }
    int64_t perBatchRow = 0;
    for (int64_t n : inputSizes)
      perBatchRow += n;
    Value x = block->getArgument(inputsArg);
    batch = b.create<arith::DivUIOp>(
        loc, b.create<memref::DimOp>(loc, x, 0),
        b.create<arith::ConstantIndexOp>(loc, perBatchRow));

    unsigned paramIdx = 0, slotIdx = 0, inputIdx = 0;
    int64_t inputPrefix = 0; // per-example floats of the inputs before
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
      auto type = dyn_cast<RankedTensorType>(fn.getArgument(i).getType());
      Value repl;
      switch (roleOf(fn, i)) {
      case Role::Input: {
        // Input k is the block [batch * prefix, batch * (prefix + size_k)).
        int64_t size = inputSizes[inputIdx++];
        Value arg = x;
        if (inputSizes.size() > 1) {
          Value off = b.create<arith::MulIOp>(
              loc, batch, b.create<arith::ConstantIndexOp>(loc, inputPrefix));
          Value len = b.create<arith::MulIOp>(
              loc, batch, b.create<arith::ConstantIndexOp>(loc, size));
          arg = b.create<memref::SubViewOp>(
              loc, x, ArrayRef<OpFoldResult>{off}, ArrayRef<OpFoldResult>{len},
              ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
        }
        inputPrefix += size;
        repl = b.create<bufferization::ToTensorOp>(
            loc, type, expand(arg, type.getShape()), /*restrict=*/true);
        break;
      }
      case Role::Target:
        repl = b.create<bufferization::ToTensorOp>(
            loc, type,
            expand(block->getArgument(newIndexOf[i]), type.getShape()),
            /*restrict=*/true);
        break;
      case Role::Param:
        repl = tensorView(windows.emplace_back(window(
            block->getArgument(paramsArg), layout.params[paramIdx].offset,
            type)));
        ++paramIdx;
        break;
      case Role::Slot: {
        unsigned kind = slotIdx / numParams, p = slotIdx % numParams;
        ++slotIdx;
        repl = tensorView(windows.emplace_back(
            window(block->getArgument(slotsArg),
                   kind * layout.paramElems + layout.params[p].offset, type)));
        break;
      }
      case Role::Hyper:
        repl = block->getArgument(newIndexOf[i]);
        break;
      }
      oldBlock.getArgument(i).replaceAllUsesWith(repl);
    }
    block->getOperations().splice(block->end(), oldBlock.getOperations());

    // Results: scalars stay; tensors are materialized into their windows.
    auto ret = cast<func::ReturnOp>(block->getTerminator());
    b.setInsertionPoint(ret);
    SmallVector<Value> scalars, tensors;
    for (Value v : ret.getOperands())
      (isa<RankedTensorType>(v.getType()) ? tensors : scalars).push_back(v);
    SmallVector<Value> dests;
    if (outputsPrediction) {
      auto predType = cast<RankedTensorType>(tensors[0].getType());
      dests.push_back(expand(block->getArgument(outArg), predType.getShape()));
    } else if (outputsGradients) {
      for (auto [p, g] : llvm::zip(layout.params, tensors))
        dests.push_back(window(block->getArgument(outArg), p.offset,
                               cast<RankedTensorType>(g.getType())));
    } else {
      dests = windows; // parameters, then slots: the order of the results
    }
    for (auto [t, d] : llvm::zip_equal(tensors, dests))
      b.create<bufferization::MaterializeInDestinationOp>(
          loc, TypeRange{}, t, d, /*restrict=*/true, /*writable=*/true);
    b.create<func::ReturnOp>(loc, scalars);
    ret.erase();

    // Swap the body and the type; argument attributes no longer apply.
    fn.getBody().front().erase();
    fn.getBody().push_back(block);
    fn.setFunctionType(
        b.getFunctionType(newArgs, TypeRange(ValueRange(scalars))));
    fn.removeArgAttrsAttr();
    fn->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    return success();
  }

private:
  static int64_t perExample(RankedTensorType type) {
    int64_t n = 1;
    for (int64_t d : type.getShape().drop_front())
      n *= d;
    return n;
  }

  /// The flat [batch * ...] memref `flat` viewed as [batch, ...].
  Value expand(Value flat, ArrayRef<int64_t> shape) {
    if (shape.size() == 1)
      return flat;
    SmallVector<OpFoldResult> sizes = {batch};
    for (int64_t d : shape.drop_front())
      sizes.push_back(b.getIndexAttr(d));
    SmallVector<ReassociationIndices> re = {
        llvm::to_vector(llvm::seq<int64_t>(0, shape.size()))};
    return b.create<memref::ExpandShapeOp>(loc, shape, flat, re, sizes);
  }

  /// The window of `buffer` at `offset` holding a tensor of `type`.
  Value window(Value buffer, int64_t offset, RankedTensorType type) {
    return flatWindow(b, loc, buffer, offset, type.getShape());
  }

  Value tensorView(Value window) {
    auto mt = cast<MemRefType>(window.getType());
    return b.create<bufferization::ToTensorOp>(
        loc, RankedTensorType::get(mt.getShape(), mt.getElementType()), window,
        /*restrict=*/true, /*writable=*/true);
  }

  func::FuncOp fn;
  OpBuilder b;
  Location loc;
  TrainerLayout layout;
  Value batch;                  // examples in this call
  SmallVector<Value> windows;   // parameter then slot windows, in order
};

/// Passes the entry points' buffers on to the private functions they call
/// (the shared inference and training passes): where every call gives an
/// argument as a tensor view of buffers of one type (a parameter's window,
/// the inputs), the callee takes that buffer type and views it itself.
/// Bufferized as tensors, the callee's arguments would take an identity
/// layout, and each call would copy every parameter window into one.
void passBuffersToCallees(ModuleOp module) {
  DenseMap<func::FuncOp, SmallVector<func::CallOp>> callsOf;
  module.walk([&](func::CallOp call) {
    if (auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee()))
      callsOf[callee].push_back(call);
  });
  for (auto &[callee, calls] : callsOf) {
    if (!callee.isPrivate())
      continue;
    OpBuilder b = OpBuilder::atBlockBegin(&callee.front());
    SmallVector<Type> argTypes(callee.getArgumentTypes());
    for (unsigned i = 0; i < argTypes.size(); ++i) {
      auto view = [&](func::CallOp call) {
        return call.getOperand(i).getDefiningOp<bufferization::ToTensorOp>();
      };
      if (!view(calls.front()) ||
          llvm::any_of(calls, [&](func::CallOp call) {
            return !view(call) || view(call).getMemref().getType() !=
                                      view(calls.front()).getMemref().getType();
          }))
        continue;
      BlockArgument arg = callee.getArgument(i);
      argTypes[i] = view(calls.front()).getMemref().getType();
      arg.setType(argTypes[i]);
      auto tensor = b.create<bufferization::ToTensorOp>(
          arg.getLoc(), view(calls.front()).getType(), arg, /*restrict=*/true);
      arg.replaceAllUsesExcept(tensor, tensor);
      for (func::CallOp call : calls)
        call.setOperand(i, view(call).getMemref());
    }
    callee.setFunctionType(FunctionType::get(
        module.getContext(), argTypes, callee.getResultTypes()));
  }
}

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
    passBuffersToCallees(getOperation());
  }
};

} // namespace
