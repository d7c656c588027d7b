//===- SplitBatchSums.cpp - parallel parts of short loops' batch sums -----===//
//
// Expects: the register-tiled loops of sinter-tile-contractions, before
// sinter-parallelize-loops. Produces: for each top-level `scf.parallel` of
// fewer than kSplitBelow iterations whose body sums over the batch (one
// `scf.for` from 0 to a run-time bound, its accumulators starting at zero)
// and writes each result tile once, the same loop over (part, iterations):
// the batch in a fixed number of contiguous parts, each part's sums into a
// buffer of its own, then the parts added in order into the result. See
// Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

namespace sinter {
#define GEN_PASS_DEF_SPLITBATCHSUMS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

/// Parallel loops with fewer iterations get parts: lenet's first filter
/// gradient (5 rows of taps) ran 3 rows on one thread and 2 on the other.
/// (sinter-tile-contractions leaves the sums of such loops whole for this.)
constexpr int64_t kSplitBelow = kMinParallelTrips;

/// The loop's one sum over the batch, or null.
scf::ForOp batchSum(scf::ParallelOp par) {
  scf::ForOp sum;
  for (Operation &op : par.getBody()->without_terminator()) {
    auto loop = dyn_cast<scf::ForOp>(op);
    if (!loop) {
      // Around the sum: index arithmetic, reshaping the tile, its writes.
      if (!isPure(&op) && !isa<vector::TransferWriteOp>(op))
        return {};
      continue;
    }
    // From 0 by 1 to a bound known at run time only, defined outside.
    if (sum || !matchPattern(loop.getLowerBound(), m_Zero()) ||
        !matchPattern(loop.getStep(), m_One()) ||
        getConstantIntValue(loop.getUpperBound()) ||
        par.getRegion().isAncestor(loop.getUpperBound().getParentRegion()))
      return {};
    for (Value init : loop.getInitArgs())
      if (!matchPattern(init, m_AnyZeroFloat()))
        return {};
    // Only reads inside: the sum's terms.
    WalkResult writes = loop.getBody()->walk([](Operation *inner) {
      auto effects = dyn_cast<MemoryEffectOpInterface>(inner);
      if (effects ? effects.hasEffect<MemoryEffects::Write>()
                  : !inner->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (writes.wasInterrupted())
      return {};
    sum = loop;
  }
  return sum;
}

/// Whether the loop's writes into `out` (static, identity layout) cover it
/// exactly once: each write a minor-identity, in-bounds tile at indices
/// that are either 0 (the tile spans the dimension) or a loop index
/// stepping by the tile's extent from 0 to the dimension's size.
bool coversOnce(scf::ParallelOp par, vector::TransferWriteOp write) {
  auto out = dyn_cast<MemRefType>(write.getSource().getType());
  if (!out || !out.hasStaticShape() || !out.getLayout().isIdentity() ||
      !write.getPermutationMap().isMinorIdentity() || write.hasOutOfBoundsDim())
    return false;
  ArrayRef<int64_t> vec = write.getVectorType().getShape();
  int64_t lead = out.getRank() - int64_t(vec.size());
  SmallVector<bool> used(par.getNumLoops(), false);
  for (auto [d, index] : llvm::enumerate(write.getIndices())) {
    int64_t extent = int64_t(d) < lead ? 1 : vec[d - lead];
    if (matchPattern(index, m_Zero()) && extent == out.getDimSize(d))
      continue;
    auto iv = dyn_cast<BlockArgument>(index);
    if (!iv || iv.getOwner() != par.getBody())
      return false;
    unsigned k = iv.getArgNumber();
    std::optional<int64_t> lb = getConstantIntValue(par.getLowerBound()[k]),
                           ub = getConstantIntValue(par.getUpperBound()[k]),
                           step = getConstantIntValue(par.getStep()[k]);
    if (used[k] || lb != 0 || step != extent || ub != out.getDimSize(d))
      return false;
    used[k] = true;
  }
  return llvm::all_of(used, [](bool u) { return u; });
}

/// `par` over (part, its iterations), its batch sum `sum` over the part's
/// rows and its tile write `write` into the part's slice of a new buffer;
/// then the parts added in order into the result.
void split(scf::ParallelOp par, scf::ForOp sum, vector::TransferWriteOp write,
           int64_t parts, OpBuilder &b) {
  Location loc = par.getLoc();
  Value out = write.getSource();
  auto outType = cast<MemRefType>(out.getType());
  b.setInsertionPoint(par);
  SmallVector<int64_t> partialShape{parts};
  llvm::append_range(partialShape, outType.getShape());
  Value partial = b.create<memref::AllocOp>(
      loc, MemRefType::get(partialShape, outType.getElementType()));
  // Part p sums rows [p * chunk, min((p + 1) * chunk, n)).
  Value n = sum.getUpperBound();
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  Value count = b.create<arith::ConstantIndexOp>(loc, parts);
  Value chunk = b.create<arith::DivUIOp>(
      loc,
      b.create<arith::AddIOp>(loc, n,
                              b.create<arith::ConstantIndexOp>(loc, parts - 1)),
      count);
  SmallVector<Value> lbs{zero}, ubs{count}, steps{one};
  llvm::append_range(lbs, par.getLowerBound());
  llvm::append_range(ubs, par.getUpperBound());
  llvm::append_range(steps, par.getStep());
  auto byPart = b.create<scf::ParallelOp>(loc, lbs, ubs, steps);
  IRMapping map;
  SmallVector<Value> from = par.getInductionVars(),
                     to = byPart.getInductionVars();
  map.map(from, ArrayRef<Value>(to).drop_front());
  b.setInsertionPointToStart(byPart.getBody());
  Value part = byPart.getInductionVars().front();
  Value begin = b.create<arith::MulIOp>(loc, part, chunk);
  Value end = b.create<arith::MinSIOp>(
      loc, n, b.create<arith::AddIOp>(loc, begin, chunk));
  map.map(out, partOf(b, loc, partial, part));
  for (Operation &op : par.getBody()->without_terminator()) {
    Operation *copy = b.clone(op, map);
    if (&op == sum.getOperation()) {
      auto loop = cast<scf::ForOp>(copy);
      loop.setLowerBound(begin);
      loop.setUpperBound(end);
    }
  }
  // result = part 0 + part 1 + ..., in that order.
  b.setInsertionPointAfter(par);
  addPartsInOrder(b, loc, partial, out);
  b.create<memref::DeallocOp>(loc, partial);
  par.erase();
}

struct SplitBatchSumsPass
    : public sinter::impl::SplitBatchSumsBase<SplitBatchSumsPass> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    for (Operation &op : getOperation().getBody().getOps())
      if (auto par = dyn_cast<scf::ParallelOp>(op))
        loops.push_back(par);
    OpBuilder b(&getContext());
    for (scf::ParallelOp par : loops) {
      // Iterations; a bound known at run time only counts as many.
      int64_t total = 1;
      for (auto [lb, ub, step] :
           llvm::zip(par.getLowerBound(), par.getUpperBound(), par.getStep()))
        total *= constantTripCount(lb, ub, step).value_or(kSplitBelow);
      if (total >= kSplitBelow || total < 1)
        continue;
      scf::ForOp sum = batchSum(par);
      auto writes =
          llvm::to_vector(par.getBody()->getOps<vector::TransferWriteOp>());
      if (!sum || writes.size() != 1 ||
          !coversOnce(par, writes.front()))
        continue;
      split(par, sum, writes.front(), llvm::divideCeil(kSplitBelow, total), b);
    }
  }
};

} // namespace
