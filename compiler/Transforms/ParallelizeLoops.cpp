//===- ParallelizeLoops.cpp - outer parallel loops of large linalg ops ----===//
//
// Expects: bufferized linalg ops in a func.func. Produces: for each large op
// whose first loop is parallel, its loop nest with the outermost loop an
// `scf.parallel` and every inner loop a sequential `scf.for`. One dimension
// only: a collapsed multi-dimensional space would cost a division per
// element and keep LLVM from vectorizing the inner loops. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace sinter {
#define GEN_PASS_DEF_PARALLELIZELOOPS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

struct ParallelizeLoopsPass
    : public sinter::impl::ParallelizeLoopsBase<ParallelizeLoopsPass> {
  using ParallelizeLoopsBase::ParallelizeLoopsBase;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> large;
    getOperation().walk([&](linalg::LinalgOp op) {
      // Ops inside loops are tiles of an op sinter-tile-contractions
      // already spread over the threads (or its small edges).
      if (op.hasPureBufferSemantics() && !op->getParentOfType<LoopLikeOpInterface>() &&
          iterationCount(op) >= minIterations)
        large.push_back(op);
    });
    for (linalg::LinalgOp op : large) {
      SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
      auto parallel = llvm::find(iters, utils::IteratorType::parallel);
      if (parallel == iters.end())
        continue; // a full reduction: one sum, never split
      if (parallel != iters.begin()) {
        // Move the first parallel loop outermost (a generic whose sums run
        // outside, like dW = xᵀ·dy over the batch). Each result still sums
        // its terms in the same order: only the loop over distinct results
        // moved.
        auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
        if (!generic)
          continue;
        unsigned first = parallel - iters.begin();
        SmallVector<unsigned> order = {first};
        for (unsigned i = 0; i < iters.size(); ++i)
          if (i != first)
            order.push_back(i);
        rewriter.setInsertionPoint(generic);
        FailureOr<linalg::GenericOp> moved =
            linalg::interchangeGenericOp(rewriter, generic, order);
        if (failed(moved))
          return signalPassFailure();
        op = *moved;
      }
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::LinalgLoops> loops =
          linalg::linalgOpToLoops(rewriter, op);
      if (failed(loops))
        return signalPassFailure();
      rewriter.eraseOp(op);
      // The loops follow the iterators: the outermost is the first, parallel.
      parallelize(cast<scf::ForOp>(loops->front()), rewriter);
    }
  }
};

} // namespace
