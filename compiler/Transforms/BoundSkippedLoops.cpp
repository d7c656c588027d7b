//===- BoundSkippedLoops.cpp - loops of a masked row end early ------------===//
//
// Expects: linalg generics on buffers, some marked kSkipAboveAttr [a, b]
// (causal attention's softmax: its row max and its sum of exponentials
// over the keys s of each query t, [t, s]; the softmax gradient's sum),
// and elementwise ones that yield zero where loop b exceeds loop a
// (zeroedAbove: the softmax's weights, its gradient). Produces: each such
// generic whose loop b is inside loop a as scf.for loops, loop b ending
// after a's index (loopsOf): the terms past it are the max's and the
// sum's identities (-inf, exp(-inf) = 0), half of the softmax's
// exponentials; the zeros past it are stored by a copy of loop b from
// there, which stores only zeros. A reduction's running value is carried
// in a register; with `lanes`, loop b runs on vectors of them up to its
// bound rounded up (the terms past it masked). Large ones were made loops
// so by sinter-parallelize-loops already; other generics are left to
// convert-linalg-to-loops. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

namespace sinter {
#define GEN_PASS_DEF_BOUNDSKIPPEDLOOPS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;

namespace {

struct BoundSkippedLoopsPass
    : public sinter::impl::BoundSkippedLoopsBase<BoundSkippedLoopsPass> {
  using BoundSkippedLoopsBase::BoundSkippedLoopsBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> marked;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.hasPureBufferSemantics() &&
          (sinter::skippedReduction(op) || sinter::zeroedAbove(op)))
        marked.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : marked)
      if (failed(sinter::loopsOf(op, rewriter, lanes)))
        return signalPassFailure();
  }
};

} // namespace
