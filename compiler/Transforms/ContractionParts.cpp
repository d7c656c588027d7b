//===- ContractionParts.cpp - a contraction cut along one of its loops ----===//
//
// The pieces sinter-tile-contractions cuts a contraction into (blocks of a
// sum, blocks of columns, rows of whole tiles): clones of the op over a
// range of one loop, each after its own fill of its result when the op had
// one. Each piece sums its terms in the op's order.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ContractionTiler.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
namespace sinter {

linalg::FillOp ResultFill::createFor(Value out, RewriterBase &rewriter) {
  OpBuilder::InsertionGuard keep(rewriter);
  if (guard) {
    auto inner =
        rewriter.create<scf::IfOp>(guard.getLoc(), guard.getCondition());
    rewriter.setInsertionPoint(inner.thenBlock()->getTerminator());
  }
  return rewriter.create<linalg::FillOp>(fill.getLoc(), fill.getInputs(), out);
}

/// A clone of `op` over [start, start + count) of its loop `loop`: every
/// operand indexed by that loop read through a subview of that range,
/// created before the clone.
linalg::GenericOp onRange(linalg::GenericOp op, unsigned loop,
                          OpFoldResult start, OpFoldResult count,
                          RewriterBase &rewriter) {
  Location loc = op.getLoc();
  AffineExpr along = rewriter.getAffineDimExpr(loop);
  SmallVector<Value> views;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!llvm::is_contained(map.getResults(), along)) {
      views.push_back(operand.get());
      continue;
    }
    auto type = cast<MemRefType>(operand.get().getType());
    SmallVector<OpFoldResult> offsets, sizes,
        strides(type.getRank(), rewriter.getIndexAttr(1));
    for (unsigned d = 0; d < type.getRank(); ++d) {
      bool cut = map.getResult(d) == along;
      offsets.push_back(cut ? start : rewriter.getIndexAttr(0));
      sizes.push_back(
          cut ? count : memref::getMixedSize(rewriter, loc, operand.get(), d));
    }
    views.push_back(rewriter.create<memref::SubViewOp>(
        loc, operand.get(), offsets, sizes, strides));
  }
  auto clone = cast<linalg::GenericOp>(rewriter.clone(*op));
  for (auto [operand, view] : llvm::zip(clone->getOpOperands(), views))
    operand.set(view);
  // A block's loops count from its start: a skip fact along the cut loop
  // holds only for a block starting at 0.
  if (auto skip = clone->getAttrOfType<DenseI64ArrayAttr>(kSkipAboveAttr);
      skip && llvm::is_contained(skip.asArrayRef(), int64_t(loop)) &&
      !isConstantIntValue(start, 0))
    clone->removeAttr(kSkipAboveAttr);
  return clone;
}

/// onRange, the clone after a fill of its result like `fill` if given
/// (a split contraction's parts each zero their own result). Leaves the
/// insertion point after the clone.
linalg::GenericOp onRangeFilled(linalg::GenericOp op, unsigned loop,
                                OpFoldResult start, OpFoldResult count,
                                ResultFill fill, RewriterBase &rewriter) {
  linalg::GenericOp part = onRange(op, loop, start, count, rewriter);
  if (fill) {
    rewriter.setInsertionPoint(part);
    fill.createFor(part.getDpsInitOperand(0)->get(), rewriter);
    rewriter.setInsertionPointAfter(part);
  }
  return part;
}

/// An scf.for from `first` to `end` by `block` at the insertion point,
/// and in it `op` over that block of its loop `loop` (the last block cut
/// at `end`: onRange); the insertion point is left after that op.
std::pair<scf::ForOp, linalg::GenericOp> onEachBlock(linalg::GenericOp op,
                                                     unsigned loop, Value first,
                                                     Value end, Value block,
                                                     RewriterBase &rewriter) {
  Location loc = op.getLoc();
  auto blocks = rewriter.create<scf::ForOp>(loc, first, end, block);
  rewriter.setInsertionPointToStart(blocks.getBody());
  Value start = blocks.getInductionVar();
  Value count = rewriter.create<arith::MinSIOp>(
      loc, block, rewriter.create<arith::SubIOp>(loc, end, start));
  return {blocks, onRange(op, loop, start, count, rewriter)};
}

/// The products of the static sizes an operand of `op` merges with its
/// loop `dim` (through a memref.collapse_shape), one per such operand
/// dimension: what the batch's rows are a multiple of (gpt-mini's
/// products: batch x 128 positions).
SmallVector<int64_t> mergedRowFactors(linalg::GenericOp op, unsigned dim) {
  SmallVector<int64_t> factors;
  for (OpOperand &operand : op->getOpOperands()) {
    auto collapse = operand.get().getDefiningOp<memref::CollapseShapeOp>();
    if (!collapse)
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [i, e] : llvm::enumerate(map.getResults())) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d || d.getPosition() != dim)
        continue;
      int64_t merged = 1;
      // A copy: a range-for over an element of the temporary read freed
      // memory (a crash in the e2e suite).
      SmallVector<ReassociationIndices> groups =
          collapse.getReassociationIndices();
      for (int64_t src : groups[i])
        if (int64_t n = collapse.getSrcType().getDimSize(src);
            !ShapedType::isDynamic(n))
          merged *= n;
      factors.push_back(merged);
    }
  }
  return factors;
}

/// The fill of `op`'s result just before it (a matmul's zeroed
/// accumulator), if nothing else reads or writes that buffer in between;
/// alone or the one op of an scf.if without results or else.
ResultFill fillOfResult(linalg::GenericOp op) {
  ResultFill found;
  Operation *prev = op->getPrevNode();
  if (auto guard = dyn_cast_or_null<scf::IfOp>(prev);
      guard && guard->getNumResults() == 0 && guard.getElseRegion().empty() &&
      guard.thenBlock()->getOperations().size() == 2) {
    found.guard = guard;
    prev = &guard.thenBlock()->front();
  }
  found.fill = dyn_cast_or_null<linalg::FillOp>(prev);
  Value out = op.getDpsInitOperand(0)->get();
  if (!found.fill || found.fill.getDpsInitOperand(0)->get() != out ||
      llvm::is_contained(op.getDpsInputs(), out))
    return {};
  return found;
}

} // namespace sinter
