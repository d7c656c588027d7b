//===- ElementwiseInPlace.cpp - elementwise ops over their dead inputs ----===//
//
// Expects: linalg on tensors, right before One-Shot Bufferize. Produces:
// an elementwise `linalg.generic` that writes a new tensor (its init a
// `tensor.empty` its body does not read) of whole vectors along its rows
// and is the last reader of an input of the result's type, read at each
// element's own index, writes into that input instead: the input moves from
// `ins` to `outs` and the body reads it as the output's element. One-Shot
// Bufferize then computes the result in the input's buffer.
//
// Why: into a new buffer, each line of the result is first read from
// memory (the write allocates it in the cache) and later written back
// there; in the input's lines, which the op has just read, only the write
// back is left. A ReLU's gradient mask over a convolution's output
// gradient (strided: 8 MiB a step in each of three buffers) moves a
// quarter less data, and the step needs one buffer less at that point.
//
// Left alone: an op reading what a contraction, window op or reduction
// computed, element for element (directly or reshaped):
// sinter-fuse-epilogues runs it on the contraction's tiles and stores its
// result once; a result written into a destination
// (`materialize_in_destination`, or inserted into a larger tensor such as
// a convolution's pad): empty-tensor elimination computes it there, which
// writing into the input would undo.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

namespace sinter {
#define GEN_PASS_DEF_ELEMENTWISEINPLACE
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;

namespace {

/// Whether every use of `v` but by `except` is an input of a linalg op
/// before `op` in its block, or a reshape whose result only such ops read:
/// then nothing reads `v` after `op` (a linalg op's results never alias
/// its inputs).
bool readOnlyBefore(Value v, Operation *op, Operation *except) {
  return llvm::all_of(v.getUses(), [&](OpOperand &use) {
    Operation *user = use.getOwner();
    if (user == except)
      return true;
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(user))
      return readOnlyBefore(user->getResult(0), op, nullptr);
    auto linalgOp = dyn_cast<linalg::LinalgOp>(user);
    return linalgOp && linalgOp.isDpsInput(&use) &&
           user->getBlock() == op->getBlock() && user->isBeforeInBlock(op);
  });
}

/// Whether `op` is the last reader of its input `v`, and of the tensors `v`
/// is a reshape of (readOnlyBefore), and what they start from is a new
/// tensor: an insert_slice's or a linalg op's (not a slice of a tensor
/// that may live on). A forward activation that the backward pass reads
/// last, through a reshape of its own, is taken.
bool lastReader(Value v, linalg::GenericOp op) {
  Operation *reader = op;
  while (readOnlyBefore(v, op, reader)) {
    Operation *def = v.getDefiningOp();
    if (isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def)) {
      reader = def;
      v = def->getOperand(0);
      continue;
    }
    return isa_and_nonnull<linalg::LinalgOp, tensor::InsertSliceOp>(def);
  }
  return false;
}

/// Whether `input` reads, element for element and through reshapes, what
/// a linalg op that sums computed: sinter-fuse-epilogues can then run the
/// op on that op's tiles. Read broadcast (a max pool's gradient reading its
/// output gradient once for each of a window's taps), it cannot.
bool readsSumElementwise(linalg::GenericOp op, OpOperand *input) {
  if (!op.getMatchingIndexingMap(input).isIdentity())
    return false;
  Operation *def = input->get().getDefiningOp();
  while (isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
    def = def->getOperand(0).getDefiningOp();
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(def);
  return linalgOp && linalgOp.getNumReductionLoops() > 0;
}

/// Whether a result of `type` is whole vectors along its rows: 16 floats,
/// an AVX-512 register and two of AVX2. An op over rows of 6 (lenet's
/// first convolution) reads and writes them with masked vectors, and a
/// masked read of the bytes the last row's masked write just ended beside
/// waits for that write to leave the core: lenet's first max-pool
/// gradient, written into its input, ran 65 -> 185 us a step.
bool wholeVectorRows(RankedTensorType type) {
  if (type.getRank() == 0)
    return false;
  int64_t row = type.getShape().back();
  return !ShapedType::isDynamic(row) && row % 16 == 0;
}

/// Whether `result` is written into a destination by empty-tensor
/// elimination's anchors.
bool writtenIntoDestination(Value result) {
  return llvm::any_of(result.getUsers(), [&](Operation *user) {
    if (isa<bufferization::MaterializeInDestinationOp>(user))
      return true;
    auto insert = dyn_cast<tensor::InsertSliceOp>(user);
    return insert && insert.getSource() == result;
  });
}

/// The input `op` can write its result into, or null.
OpOperand *deadInput(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 0 ||
      !op.hasPureTensorSemantics())
    return nullptr;
  OpOperand *init = op.getDpsInitOperand(0);
  if (!init->get().getDefiningOp<tensor::EmptyOp>() ||
      op.payloadUsesValueFromOperand(init) ||
      !op.getMatchingIndexingMap(init).isIdentity() ||
      writtenIntoDestination(op->getResult(0)))
    return nullptr;
  auto type = cast<RankedTensorType>(init->get().getType());
  if (!wholeVectorRows(type) ||
      llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *input) {
        return readsSumElementwise(op, input);
      }))
    return nullptr;
  for (OpOperand *input : op.getDpsInputOperands()) {
    Value v = input->get();
    if (v.getType() == type && op.getMatchingIndexingMap(input).isIdentity() &&
        llvm::count(op->getOperands(), v) == 1 && lastReader(v, op))
      return input;
  }
  return nullptr;
}

/// `op` with `input` as its init, read through the output's element.
void writeIntoInput(linalg::GenericOp op, OpOperand *input,
                    RewriterBase &rewriter) {
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *other : op.getDpsInputOperands())
    if (other != input) {
      inputs.push_back(other->get());
      maps.push_back(op.getMatchingIndexingMap(other));
    }
  maps.push_back(op.getMatchingIndexingMap(op.getDpsInitOperand(0)));
  rewriter.setInsertionPoint(op);
  auto inPlace = rewriter.create<linalg::GenericOp>(
      op.getLoc(), op->getResultTypes(), inputs, ValueRange{input->get()}, maps,
      op.getIteratorTypesArray(),
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Block &body = op.getRegion().front();
        IRMapping map;
        unsigned next = 0;
        for (OpOperand *other : op.getDpsInputOperands())
          map.map(body.getArgument(other->getOperandNumber()),
                  other == input ? args.back() : args[next++]);
        for (Operation &nested : body)
          b.clone(nested, map);
      });
  inPlace->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  Operation *empty = op.getDpsInitOperand(0)->get().getDefiningOp();
  rewriter.replaceOp(op, inPlace->getResults());
  if (empty->use_empty())
    rewriter.eraseOp(empty);
}

struct ElementwiseInPlacePass
    : public sinter::impl::ElementwiseInPlaceBase<ElementwiseInPlacePass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> ops;
    getOperation().walk([&](linalg::GenericOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : ops)
      if (OpOperand *input = deadInput(op))
        writeIntoInput(op, input, rewriter);
  }
};

} // namespace
