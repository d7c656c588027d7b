//===- SplitBatchSums.cpp - parallel parts of short loops' batch sums -----===//
//
// Expects: the register-tiled loops of sinter-tile-contractions, before
// sinter-parallelize-loops. Produces: for each top-level `scf.parallel` of
// fewer than kSplitBelow iterations whose body sums over the batch
// (`scf.for`s from 0 to one run-time bound, their accumulators starting at
// zero: a tile's and its column edge's) and whose tile writes cover their
// result once, the same loop over (part, iterations):
// the batch in a fixed number of contiguous parts, each part's sums into a
// buffer of its own, then the parts added in order into the result. See
// Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
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

/// The loop's sums over the batch (a tile's, and its column edge's where
/// its columns do not divide into registers: lenet-caffe's 20 filters as
/// 16 + 4), all to the same bound; empty if anything else in its body is a
/// loop or has effects other than writing the tiles.
SmallVector<scf::ForOp> batchSums(scf::ParallelOp par) {
  SmallVector<scf::ForOp> sums;
  for (Operation &op : par.getBody()->without_terminator()) {
    auto loop = dyn_cast<scf::ForOp>(op);
    if (!loop) {
      // Around the sums: index arithmetic, reshaping the tiles, their writes.
      if (!isPure(&op) && !isa<vector::TransferWriteOp>(op))
        return {};
      continue;
    }
    // From 0 by 1 to a bound known at run time only, defined outside.
    if (!matchPattern(loop.getLowerBound(), m_Zero()) ||
        !matchPattern(loop.getStep(), m_One()) ||
        getConstantIntValue(loop.getUpperBound()) ||
        par.getRegion().isAncestor(loop.getUpperBound().getParentRegion()) ||
        (!sums.empty() && loop.getUpperBound() != sums.front().getUpperBound()))
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
    sums.push_back(loop);
  }
  return sums;
}

/// Elements of a result beyond which coversOnce does not count its writes.
constexpr int64_t kMaxCoveredElements = int64_t(1) << 20;

/// Whether the loop's tile writes cover their result (one buffer, static,
/// identity layout) exactly once over all its iterations: each write
/// in-bounds and minor-identity, at indices that are constants or the
/// loop's indices (static bounds). Counted element by element.
bool coversOnce(scf::ParallelOp par, ArrayRef<vector::TransferWriteOp> writes) {
  if (writes.empty())
    return false;
  Value out = vector::TransferWriteOp(writes.front()).getSource();
  auto type = dyn_cast<MemRefType>(out.getType());
  if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getNumElements() > kMaxCoveredElements)
    return false;
  // The loop's iteration points.
  SmallVector<SmallVector<int64_t>> points = {{}};
  for (auto [lb, ub, step] :
       llvm::zip(par.getLowerBound(), par.getUpperBound(), par.getStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb),
                           u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return false;
    SmallVector<SmallVector<int64_t>> next;
    for (const SmallVector<int64_t> &point : points)
      for (int64_t i = *l; i < *u; i += *s) {
        next.push_back(point);
        next.back().push_back(i);
      }
    points = std::move(next);
  }
  SmallVector<int64_t> strides = computeStrides(type.getShape());
  SmallVector<int8_t> count(type.getNumElements(), 0);
  for (vector::TransferWriteOp write : writes) {
    if (write.getSource() != out ||
        !write.getPermutationMap().isMinorIdentity() ||
        write.hasOutOfBoundsDim() || write.getMask())
      return false;
    ArrayRef<int64_t> vec = write.getVectorType().getShape();
    int64_t lead = type.getRank() - int64_t(vec.size());
    // The vector's elements as offsets in the result from its first one.
    SmallVector<int64_t> elements = {0};
    for (auto [k, size] : llvm::enumerate(vec)) {
      SmallVector<int64_t> next;
      for (int64_t element : elements)
        for (int64_t i = 0; i < size; ++i)
          next.push_back(element + strides[lead + k] * i);
      elements = std::move(next);
    }
    // Each index: a constant, or which of the loop's indices.
    SmallVector<std::pair<int64_t, int64_t>> at; // (constant, iv or -1)
    for (Value index : write.getIndices()) {
      if (std::optional<int64_t> c = getConstantIntValue(index)) {
        at.push_back({*c, -1});
        continue;
      }
      auto iv = dyn_cast<BlockArgument>(index);
      if (!iv || iv.getOwner() != par.getBody())
        return false;
      at.push_back({0, iv.getArgNumber()});
    }
    for (const SmallVector<int64_t> &point : points) {
      // The tile's first element (the tile inside the result).
      int64_t first = 0;
      for (auto [d, index] : llvm::enumerate(at)) {
        int64_t i = index.second < 0 ? index.first : point[index.second];
        int64_t extent = int64_t(d) < lead ? 1 : vec[d - lead];
        if (i < 0 || i + extent > type.getDimSize(d))
          return false;
        first += strides[d] * i;
      }
      for (int64_t element : elements)
        if (count[first + element]++ != 0)
          return false;
    }
  }
  return llvm::all_of(count, [](int8_t c) { return c == 1; });
}

/// `par` over (part, its iterations), its batch sums `sums` (over rows
/// [0, n)) over the part's rows and its tile writes into `out` into the
/// part's slice of a new buffer; then the parts added in order into the
/// result.
void split(scf::ParallelOp par, const SmallPtrSetImpl<Operation *> &sums,
           Value n, Value out, OpBuilder &b) {
  Location loc = par.getLoc();
  auto outType = cast<MemRefType>(out.getType());
  b.setInsertionPoint(par);
  SmallVector<int64_t> partialShape{kBatchParts};
  llvm::append_range(partialShape, outType.getShape());
  Value partial = b.create<memref::AllocOp>(
      loc, MemRefType::get(partialShape, outType.getElementType()));
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  Value count = b.create<arith::ConstantIndexOp>(loc, kBatchParts);
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
  // Part p sums rows [p * n / parts, (p + 1) * n / parts).
  auto [begin, end] = partBounds(b, loc, part, n, count);
  map.map(out, partOf(b, loc, partial, part));
  for (Operation &op : par.getBody()->without_terminator()) {
    Operation *copy = b.clone(op, map);
    if (sums.contains(&op)) {
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
      SmallVector<scf::ForOp> sums = batchSums(par);
      auto writes =
          llvm::to_vector(par.getBody()->getOps<vector::TransferWriteOp>());
      if (sums.empty() || !coversOnce(par, writes))
        continue;
      SmallPtrSet<Operation *, 2> sumOps(sums.begin(), sums.end());
      split(par, sumOps, sums.front().getUpperBound(),
            writes.front().getSource(), b);
    }
  }
};

} // namespace
