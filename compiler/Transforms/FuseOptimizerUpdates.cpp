//===- FuseOptimizerUpdates.cpp - one optimizer step for all parameters ---===//
//
// Expects: a function packed by sinter-pack-trainer-abi, its optimizer
// steps still Sinter ops (ElementwiseUpdateOpInterface), each reading its
// parameter and slots as `to_tensor` of windows of flat buffers and writing
// every result back into the window it read. Produces: one step over the
// whole window of each run of steps that agree in everything but their
// tensors and whose parameters lie back to back (but for the padding that
// aligns each). gpt-mini's 70 steps were
// 70 loops (the small ones serial, a quarter of the train step's LLVM IR);
// fused, they are one loop over 875k elements, split across the threads.
//
// The fused step needs the gradients side by side too: they are written
// into a new buffer laid out like the parameter buffer, each into the
// window at its parameter's offset. Written straight from the call that
// computes them, sinter-results-into-destinations then moves the write
// into the callee, which computes each gradient in place.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/TrainerLayout.h"

#include "dialects/Sinter/IR/SinterDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"

namespace sinter {
#define GEN_PASS_DEF_FUSEOPTIMIZERUPDATES
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;
using bufferization::MaterializeInDestinationOp;
using bufferization::ToTensorOp;

namespace {

/// [offset, offset + size) of the 1-D buffer `base`.
struct Window {
  Value base;
  int64_t offset, size;
};

/// The window `view` shows: a static unit-stride `memref.subview` of a 1-D
/// buffer, possibly reshaped by `memref.expand_shape`.
std::optional<Window> windowOf(Value view) {
  if (auto expand = view.getDefiningOp<memref::ExpandShapeOp>())
    view = expand.getSrc();
  auto sub = view.getDefiningOp<memref::SubViewOp>();
  if (!sub || sub.getSourceType().getRank() != 1 ||
      sub.getType().getRank() != 1)
    return std::nullopt;
  int64_t offset = sub.getStaticOffsets()[0], size = sub.getStaticSizes()[0];
  if (ShapedType::isDynamic(offset) || ShapedType::isDynamic(size) ||
      sub.getStaticStrides()[0] != 1)
    return std::nullopt;
  return Window{sub.getSource(), offset, size};
}

/// An optimizer step that updates its windows in place.
struct Step {
  mutable ElementwiseUpdateOpInterface op; // its accessors are not const
  SmallVector<Window> windows;             // the parameter's, then each slot's
  SmallVector<ToTensorOp> reads;
  SmallVector<MaterializeInDestinationOp> writes; // one per result

  Window param() const { return windows.front(); }
  bool isTensorOperand(Value v) const {
    return v == op.getGrad() || llvm::any_of(reads, [&](ToTensorOp r) {
             return r == v.getDefiningOp();
           });
  }
};

std::optional<Step> matchStep(ElementwiseUpdateOpInterface op) {
  Step step{op, {}, {}, {}};
  SmallVector<Value> state = {op.getParam()};
  llvm::append_range(state, op.getSlots());
  if (state.size() != op->getNumResults())
    return std::nullopt;
  for (auto [value, result] : llvm::zip(state, op->getResults())) {
    auto read = value.getDefiningOp<ToTensorOp>();
    std::optional<Window> window =
        read ? windowOf(read.getMemref()) : std::nullopt;
    if (!window || !result.hasOneUse())
      return std::nullopt;
    auto write = dyn_cast<MaterializeInDestinationOp>(*result.user_begin());
    if (!write || write.getDest() != read.getMemref())
      return std::nullopt;
    step.windows.push_back(*window);
    step.reads.push_back(read);
    step.writes.push_back(write);
  }
  return step;
}

/// True if `b` continues `a`'s run: the same op but for its tensors, in the
/// same block, its parameter next after `a`'s (past the padding that aligns
/// each parameter, TrainerLayout's kAlignElems), its slots at the same
/// distance from it in the same buffers.
bool continues(const Step &a, const Step &b) {
  int64_t end = a.param().offset + a.param().size;
  Operation *x = a.op, *y = b.op;
  if (x->getName() != y->getName() || x->getBlock() != y->getBlock() ||
      x->getPropertiesAsAttribute() != y->getPropertiesAsAttribute() ||
      x->getDiscardableAttrDictionary() != y->getDiscardableAttrDictionary() ||
      x->getNumOperands() != y->getNumOperands() ||
      a.windows.size() != b.windows.size() || b.param().offset < end ||
      b.param().offset - end >= kAlignElems)
    return false;
  for (auto [va, vb] : llvm::zip(x->getOperands(), y->getOperands()))
    if (!a.isTensorOperand(va) && va != vb)
      return false;
  for (auto [wa, wb] : llvm::zip(a.windows, b.windows))
    if (wa.base != wb.base ||
        wa.offset - a.param().offset != wb.offset - b.param().offset)
      return false;
  return true;
}

class Fuser {
public:
  explicit Fuser(func::FuncOp fn) : fn(fn), b(fn.getContext()) {}

  void fuse(ArrayRef<Step> run) {
    Location loc = run.front().op.getLoc();
    Window first = run.front().param();
    int64_t size =
        run.back().param().offset + run.back().param().size - first.offset;
    // Each gradient into its parameter's window of the gradient buffer,
    // right where its step read it; zeros into the padding between them,
    // so the step leaves the padding (zero, like the runtime made it)
    // alone: every optimizer maps zero parameter, slots and gradient to
    // zero.
    Value grads = gradientBuffer(cast<MemRefType>(first.base.getType()));
    for (auto [prev, next] : llvm::zip(run.drop_back(), run.drop_front())) {
      int64_t end = prev.param().offset + prev.param().size;
      int64_t gap = next.param().offset - end;
      if (gap == 0)
        continue;
      b.setInsertionPoint(next.op);
      auto type = RankedTensorType::get({gap}, b.getF32Type());
      Value zeros = b.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(type, b.getF32FloatAttr(0.0f)));
      b.create<MaterializeInDestinationOp>(loc, TypeRange{}, zeros,
                                           view(grads, end, {gap}),
                                           /*restrict=*/true,
                                           /*writable=*/true);
    }
    for (const Step &step : run) {
      b.setInsertionPoint(step.op);
      Value grad = step.op.getGrad();
      b.create<MaterializeInDestinationOp>(
          loc, TypeRange{}, grad,
          view(grads, step.param().offset,
               cast<RankedTensorType>(grad.getType()).getShape()),
          /*restrict=*/true, /*writable=*/true);
    }
    // The fused step after the last of the run, over the run's windows.
    Operation *last = run.front().op;
    for (const Step &step : run)
      if (last->isBeforeInBlock(step.op))
        last = step.op;
    b.setInsertionPointAfter(last);
    auto flatType = RankedTensorType::get({size}, b.getF32Type());
    SmallVector<Value> windows;
    for (const Window &w : run.front().windows)
      windows.push_back(view(w.base, w.offset, {size}));
    const Step &model = run.front();
    SmallVector<Value> operands;
    for (Value v : model.op->getOperands()) {
      if (v == model.op.getGrad()) {
        operands.push_back(b.create<ToTensorOp>(
            loc, flatType, view(grads, first.offset, {size}),
            /*restrict=*/true));
        continue;
      }
      auto *it = llvm::find_if(
          model.reads, [&](ToTensorOp r) { return r == v.getDefiningOp(); });
      if (it == model.reads.end()) {
        operands.push_back(v); // a scalar, the same for the whole run
        continue;
      }
      operands.push_back(
          b.create<ToTensorOp>(loc, flatType, windows[it - model.reads.begin()],
                               /*restrict=*/true, /*writable=*/true));
    }
    OperationState state(loc, model.op->getName());
    state.addOperands(operands);
    state.addTypes(SmallVector<Type>(windows.size(), flatType));
    state.propertiesAttr = model.op->getPropertiesAsAttribute();
    state.addAttributes(model.op->getDiscardableAttrDictionary().getValue());
    Operation *fused = b.create(state);
    fused->setAttr(
        kParameterStartsAttr,
        b.getDenseI64ArrayAttr(llvm::map_to_vector(run, [&](const Step &step) {
          return step.param().offset - first.offset;
        })));
    for (auto [result, window] : llvm::zip(fused->getResults(), windows))
      b.create<MaterializeInDestinationOp>(loc, TypeRange{}, result, window,
                                           /*restrict=*/true,
                                           /*writable=*/true);
    for (const Step &step : run) {
      for (MaterializeInDestinationOp write : step.writes)
        write.erase();
      step.op->erase();
      for (ToTensorOp read : step.reads)
        if (read->use_empty())
          read.erase();
    }
  }

private:
  /// One gradient buffer per parameter buffer, allocated on entry (the
  /// deallocation pipeline frees it, memory planning places it).
  Value gradientBuffer(MemRefType paramBuffer) {
    Value &buffer = gradientBuffers[paramBuffer];
    if (!buffer) {
      b.setInsertionPointToStart(&fn.getBody().front());
      buffer = b.create<memref::AllocOp>(fn.getLoc(), paramBuffer);
    }
    return buffer;
  }

  Value view(Value buffer, int64_t offset, ArrayRef<int64_t> shape) {
    return flatWindow(b, buffer.getLoc(), buffer, offset, shape);
  }

  func::FuncOp fn;
  OpBuilder b;
  DenseMap<Type, Value> gradientBuffers;
};

struct FuseOptimizerUpdatesPass
    : public sinter::impl::FuseOptimizerUpdatesBase<FuseOptimizerUpdatesPass> {
  void runOnOperation() override {
    // Steps by the buffer their parameter lives in, in offset order.
    llvm::MapVector<Value, SmallVector<Step>> byBuffer;
    getOperation().walk([&](ElementwiseUpdateOpInterface op) {
      if (std::optional<Step> step = matchStep(op))
        byBuffer[step->param().base].push_back(*step);
    });
    SmallVector<SmallVector<Step>> runs;
    for (auto &[buffer, steps] : byBuffer) {
      llvm::stable_sort(steps, [](const Step &a, const Step &b) {
        return a.param().offset < b.param().offset;
      });
      runs.emplace_back();
      for (Step &step : steps) {
        if (!runs.back().empty() && !continues(runs.back().back(), step))
          runs.emplace_back();
        runs.back().push_back(step);
      }
    }
    Fuser fuser(getOperation());
    for (ArrayRef<Step> run : runs)
      if (run.size() > 1)
        fuser.fuse(run);
  }
};

} // namespace
