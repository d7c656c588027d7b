//===- FuseElementwise.cpp - elementwise chains into one loop nest --------===//
//
// Expects: linalg on tensors (sinter-lower-to-linalg's output). Produces:
// each chain of elementwise `linalg.generic`s merged into its consumer, so
// a bias add, its activation and the activation's gradient mask run as one
// loop nest over the data instead of one pass (and one buffer) each.
//
// A producer merges only into its one user, and only where that user is
// elementwise and reads each element once (through a permutation of its
// loops). Anything else computes elements twice: a contraction or window
// op reads each element many times; a second user would need its own copy
// of the producer (the residual stream of a transformer, feeding every
// block, became one op recomputing all blocks' sums); a reduction keeps
// its loop scalar (LLVM does not reorder float sums), and the merged
// elementwise work with it. A collapse_shape between an elementwise
// producer and its consumer is folded into the consumer first, so the two
// merge (a convolution's output back to channels last with its bias and
// ReLU; a pool's gradient with the ReLU's gradient mask). See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace sinter {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;

namespace {

/// Whether `operand`'s producer can merge into its consumer without any
/// element computed twice: the consumer is elementwise, reads each element
/// of the operand once, and is its only user.
bool mergesWithoutRecomputing(OpOperand *operand) {
  auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
  return consumer &&
         consumer.getNumParallelLoops() == consumer.getNumLoops() &&
         consumer.getMatchingIndexingMap(operand).isPermutation() &&
         llvm::all_of(operand->get().getUsers(),
                      [&](Operation *user) { return user == consumer; });
}

/// Whether the collapse_shape that `operand` reads may fold into its
/// consumer (the consumer's loops expanded to the collapse's source shape):
/// where it collapses an elementwise generic used nowhere else, which then
/// merges with the consumer. A channels-first convolution's output goes
/// back to channels last and is collapsed to [N, H, W, C] before its bias
/// and activation; folded, those run in the copy's loop (lenet: one pass
/// over conv1's output, not two). A pool's gradient, spread over the
/// window's taps and collapsed to [N, H, W, C], merges with the
/// activation's gradient mask that follows it (lenet: one pass over
/// conv1's 1.2 MB gradient, not a write and a read more).
bool foldsCollapsedProducer(OpOperand *operand) {
  auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
  auto collapse = operand->get().getDefiningOp<tensor::CollapseShapeOp>();
  if (!consumer || !collapse || !collapse->hasOneUse() ||
      consumer.getNumParallelLoops() != consumer.getNumLoops())
    return false;
  auto producer = collapse.getSrc().getDefiningOp<linalg::GenericOp>();
  return producer && producer->hasOneUse() && producer.getNumDpsInits() == 1 &&
         producer.getNumParallelLoops() == producer.getNumLoops();
}

struct FuseElementwisePass
    : public sinter::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns,
                                                 mergesWithoutRecomputing);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns,
                                                      foldsCollapsedProducer);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
