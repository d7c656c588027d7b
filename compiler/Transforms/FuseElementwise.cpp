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
// elementwise work with it. See Passes.td.
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

struct FuseElementwisePass
    : public sinter::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns,
                                                 mergesWithoutRecomputing);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
