//===- ParallelizeLoops.cpp - outer parallel loops of large linalg ops ----===//
//
// Expects: bufferized linalg ops in a func.func. Produces: for each large op
// whose first loop is parallel, its loop nest with the outermost loop an
// `scf.parallel` and every inner loop a sequential `scf.for`; for one whose
// first loops are sums, an `scf.parallel` over blocks of its first parallel
// loop around the op on each block; for an optimizer update, rows of a
// vector each with the parameters prefetched for writing. One dimension
// only: a collapsed multi-dimensional space would cost a division per
// element and keep LLVM from vectorizing the inner loops. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/NarrowOps.h"
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
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

/// How far ahead an optimizer update asks for the parameters it will
/// write: 256 floats (1 KiB). On mnist-mlp (Zen 5 VM, two threads) 128 to
/// 512 made the step 6 % faster, 64 4 %; prefetching the gradients or the
/// slots as well gained nothing more.
constexpr int64_t kPrefetchAheadFloats = 256;

/// A fused optimizer update (kParameterStartsAttr) runs its rows in this
/// many parts of every group of parameters (updateGroups), part-major:
/// the first part of each group, then the second... The threads split
/// that order evenly (or by their speeds, runtime/src/threads.cpp), so with
/// 2, 4 or 8 of them each updates about the same fraction of every group,
/// the rows of the weight gradients its own products wrote (they split a
/// gradient's rows the same way). In one order over all parameters a
/// thread read and wrote rows the other core had: on a Zen 5 VM, where a
/// core reads what another wrote at 30-35 GB/s against 45-90 for its own,
/// mnist-mlp's update region (~170-190 us on two threads) took 4-14 us
/// longer (randomized A/B, docs/performance.md).
constexpr int64_t kUpdateParts = 8;

/// The iterations of that parallel loop: runs of at most this many floats
/// within one part of one group, so that the threads' split stays fine.
constexpr int64_t kUpdateChunkFloats = 1024;

/// A parameter of fewer floats than this (a bias) joins the group of the
/// one before it: its parts alone would be a few lines each.
constexpr int64_t kMinGroupFloats = 16384;

/// Where the groups of an update's parameters start in its first `head`
/// elements, from the parameters' starts (kParameterStartsAttr, increasing
/// from 0 as the dialect verifies): each large parameter starts one. Empty
/// (one run over all) for fewer than two groups, or starts not on rows of
/// `lanes`.
SmallVector<int64_t> updateGroups(linalg::GenericOp op, int64_t head,
                                  int64_t lanes) {
  auto starts = op->getAttrOfType<DenseI64ArrayAttr>(kParameterStartsAttr);
  if (!starts)
    return {};
  ArrayRef<int64_t> all = starts.asArrayRef();
  SmallVector<int64_t> groups;
  for (auto [k, start] : llvm::enumerate(all)) {
    if (start >= head)
      break; // in the last group (or the scalar tail)
    if (start % lanes != 0)
      return {};
    int64_t end = k + 1 < all.size() ? std::min(all[k + 1], head) : head;
    if (groups.empty() || end - start >= kMinGroupFloats)
      groups.push_back(start);
  }
  if (groups.size() < 2)
    return {};
  return groups;
}

/// Replaces `op`, a 1-D update of parameters in place
/// (kUpdatesParametersAttr) over contiguous buffers, by a parallel loop
/// over rows of `lanes` elements (in parts of its groups of parameters,
/// see kUpdateParts) computed a vector at a time whose body first
/// prefetches, for writing, the parameters kPrefetchAheadFloats on (the
/// last row's where that is past the end), and a generic over the last
/// n % lanes elements. Each element is computed by the same
/// operations as before. Fails, changing nothing, when `op` is not such
/// an update.
LogicalResult rowsOfUpdate(linalg::GenericOp op, int64_t lanes,
                           RewriterBase &rewriter) {
  if (op.getNumLoops() != 1 || lanes < 2 ||
      llvm::any_of(op.getBody()->without_terminator(), [](Operation &inner) {
        // Constants (no operands) stay scalars; the rest maps to vectors.
        return isa<linalg::IndexOp>(inner) || inner.getNumRegions() != 0 ||
               (inner.getNumOperands() != 0 &&
                !OpTrait::hasElementwiseMappableTraits(&inner));
      }))
    return failure();
  int64_t n = op.getStaticLoopRanges()[0];
  if (ShapedType::isDynamic(n) || n < lanes)
    return failure();
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || type.getRank() != 1 || !type.getElementType().isF32() ||
        !isLastMemrefDimUnitStride(type) ||
        !op.getMatchingIndexingMap(&operand).isIdentity())
      return failure();
  }
  int64_t head = n / lanes * lanes;
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto index = [&](int64_t i) -> Value {
    return rewriter.create<arith::ConstantIndexOp>(loc, i);
  };
  // The loop over the rows: one run over all, or parts of each group.
  SmallVector<int64_t> groups = updateGroups(op, head, lanes);
  scf::ForOp loop;
  Value at;
  if (groups.empty()) {
    loop =
        rewriter.create<scf::ForOp>(loc, index(0), index(head), index(lanes));
    rewriter.setInsertionPointToStart(loop.getBody());
    at = loop.getInductionVar();
  } else {
    // Iteration i: the rows from i * C + delta to min(that + C, end), C =
    // kUpdateChunkFloats, delta and end those of the run i falls in.
    struct Run {
      int64_t firstIteration, delta, end;
    };
    SmallVector<Run> runs;
    int64_t iterations = 0;
    for (int64_t part = 0; part < kUpdateParts; ++part) {
      for (auto [k, start] : llvm::enumerate(groups)) {
        int64_t size = (k + 1 < groups.size() ? groups[k + 1] : head) - start;
        auto bound = [&](int64_t p) {
          return start + p * size / (kUpdateParts * lanes) * lanes;
        };
        int64_t lo = bound(part), hi = bound(part + 1);
        if (lo == hi)
          continue;
        runs.push_back({iterations, lo - iterations * kUpdateChunkFloats, hi});
        iterations += llvm::divideCeil(hi - lo, kUpdateChunkFloats);
      }
    }
    loop =
        rewriter.create<scf::ForOp>(loc, index(0), index(iterations), index(1));
    rewriter.setInsertionPointToStart(loop.getBody());
    Value i = loop.getInductionVar();
    Value delta = index(runs.front().delta), end = index(runs.front().end);
    for (const Run &run : ArrayRef(runs).drop_front()) {
      Value in = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::uge,
                                                i, index(run.firstIteration));
      delta =
          rewriter.create<arith::SelectOp>(loc, in, index(run.delta), delta);
      end = rewriter.create<arith::SelectOp>(loc, in, index(run.end), end);
    }
    Value first = rewriter.create<arith::AddIOp>(
        loc, rewriter.create<arith::MulIOp>(loc, i, index(kUpdateChunkFloats)),
        delta);
    Value last = rewriter.create<arith::MinUIOp>(
        loc,
        rewriter.create<arith::AddIOp>(loc, first, index(kUpdateChunkFloats)),
        end);
    auto rows = rewriter.create<scf::ForOp>(loc, first, last, index(lanes));
    rewriter.setInsertionPointToStart(rows.getBody());
    at = rows.getInductionVar();
  }
  // The row at `at`.
  AffineExpr d = rewriter.getAffineDimExpr(0);
  Value ahead = affine::makeComposedAffineMin(
      rewriter, loc,
      AffineMap::get(1, 0,
                     {d + kPrefetchAheadFloats,
                      rewriter.getAffineConstantExpr(head - lanes)},
                     rewriter.getContext()),
      {at});
  Value params = op.getDpsInits().front();
  rewriter.create<memref::PrefetchOp>(loc, params, ahead, /*isWrite=*/true,
                                      /*localityHint=*/3,
                                      /*isDataCache=*/true);
  auto row = VectorType::get({lanes}, rewriter.getF32Type());
  IRMapping values;
  for (OpOperand &operand : op->getOpOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(&operand);
    if (!arg.use_empty())
      values.map(arg,
                 rewriter.create<vector::LoadOp>(loc, row, operand.get(), at));
  }
  SmallVector<Value> results =
      vectorizedBody(rewriter, loc, op, values, at, lanes);
  for (auto [value, init] : llvm::zip(results, op.getDpsInits()))
    rewriter.create<vector::StoreOp>(loc, value, init, at);
  // The last n % lanes elements, after the loop: the op on their windows
  // (scalar loops).
  if (head < n) {
    rewriter.setInsertionPoint(op);
    auto tail = [&](Value v) -> Value {
      return rewriter.create<memref::SubViewOp>(loc, v, ArrayRef<int64_t>{head},
                                                ArrayRef<int64_t>{n - head},
                                                ArrayRef<int64_t>{1});
    };
    auto rest = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{}, llvm::map_to_vector(op.getDpsInputs(), tail),
        llvm::map_to_vector(op.getDpsInits(), tail), op.getIndexingMapsArray(),
        op.getIteratorTypesArray());
    IRMapping body;
    op.getRegion().cloneInto(&rest.getRegion(), body);
  }
  rewriter.eraseOp(op);
  parallelize(loop, rewriter, /*parallelLoops=*/1);
  return success();
}

struct ParallelizeLoopsPass
    : public sinter::impl::ParallelizeLoopsBase<ParallelizeLoopsPass> {
  using ParallelizeLoopsBase::ParallelizeLoopsBase;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // A copy into or out of a window of a wider buffer (a pad's interior;
    // contiguous ones are memcpy calls) takes the narrow path as a generic,
    // here or in sinter-vectorize-narrow-ops. As linalg.copy it became a
    // loop per row that LLVM left scalar (wide-early's 16 channels into
    // their pad: a move per float), or gathered and scattered where both
    // sides are windows. (Copies in loops are a tile's packed panels.)
    SmallVector<linalg::CopyOp> copies;
    getOperation().walk([&](linalg::CopyOp op) {
      if (op.hasPureBufferSemantics() &&
          !op->getParentOfType<LoopLikeOpInterface>())
        copies.push_back(op);
    });
    for (linalg::CopyOp op : copies) {
      rewriter.setInsertionPoint(op);
      if (failed(linalg::generalizeNamedOp(rewriter, op)))
        return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> large;
    getOperation().walk([&](linalg::LinalgOp op) {
      // Ops inside loops are tiles of an op sinter-tile-contractions
      // already spread over the threads (or its small edges).
      if (op.hasPureBufferSemantics() &&
          !op->getParentOfType<LoopLikeOpInterface>() &&
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
      if (generic && generic->hasAttr(kUpdatesParametersAttr) &&
          succeeded(rowsOfUpdate(generic, lanes, rewriter)))
        continue;
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
