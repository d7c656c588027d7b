//===- ParallelizeLoops.cpp - outer parallel loops of large linalg ops ----===//
//
// Expects: bufferized linalg ops in a func.func. Produces: for each large op
// whose first loop is parallel, its loop nest with the outermost loop an
// `scf.parallel` and every inner loop a sequential `scf.for`; for one whose
// first loops are sums, an `scf.parallel` over blocks of its first parallel
// loop around the op on each block. One dimension only: a collapsed
// multi-dimensional space would cost a division per element and keep LLVM
// from vectorizing the inner loops. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/NarrowOps.h"
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

/// The block of results each thread's iteration computes when the sums run
/// outside the parallel loop: at least a vector of 16 floats, at most 64,
/// so that a loop of n has about 8 blocks (some for every thread).
int64_t blockSize(int64_t n) {
  if (ShapedType::isDynamic(n))
    return 64;
  return std::clamp<int64_t>(llvm::divideCeil(n, 8 * 16) * 16, 16, 64);
}

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
        // Sums run outside (a column sum, dW = xᵀ·dy over the batch): the
        // first parallel loop is split into blocks, and the loop over the
        // blocks runs outermost, on threads. Inside a block the loops keep
        // their order, so the innermost stays contiguous (vectorizable)
        // and each result sums its terms in the order it always did.
        unsigned first = parallel - iters.begin();
        FailureOr<scf::ForOp> blocks = blocksOf(
            op, first, blockSize(op.getStaticLoopRanges()[first]), rewriter);
        if (failed(blocks))
          return signalPassFailure();
        parallelize(*blocks, rewriter, /*parallelLoops=*/1);
        continue;
      }
      // The loops follow the iterators: the outermost is the first, parallel,
      // and the band of threads takes no sum's loop (its trips would race
      // on one result: 4 rows of a row sum).
      unsigned leading =
          std::find(parallel, iters.end(), utils::IteratorType::reduction) -
          parallel;
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (generic && isNarrowOp(generic, lanes)) {
        // A transposing copy of one block (a 5 x 6 kernel, large enough
        // with a small min-iterations) has no loop.
        SmallVector<scf::ForOp> loops =
            lowerNarrowOpToLoops(rewriter, generic, lanes);
        if (!loops.empty())
          parallelize(loops.front(), rewriter, leading);
        continue;
      }
      FailureOr<linalg::LinalgLoops> loops = loopsOf(op, rewriter, lanes);
      if (failed(loops))
        return signalPassFailure();
      parallelize(cast<scf::ForOp>(loops->front()), rewriter, leading);
    }
  }
};

} // namespace
