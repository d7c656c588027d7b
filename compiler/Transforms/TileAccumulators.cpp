//===- TileAccumulators.cpp - register tiles' sums, once lowered ----------===//
//
// Rewrites of the lowered register tiles of sinter-tile-contractions (FMAs
// on accumulators carried through their sum loops): a first block's tile
// starts from zeros in registers, marked taps loops unroll, and a tile with
// too few accumulators for the FMA's latency sums in two sets.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/TileAccumulators.h"
#include "compiler/Transforms/ContractionTiler.h"
#include "compiler/Transforms/TileLowering.h"
#include "compiler/Transforms/TileWrites.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace sinter;

namespace {

/// Accumulator registers that cover the FMA's latency: 4 cycles on two
/// ports. A tile with fewer waits on its sums.
constexpr int64_t kFmaLatencyRegisters = 8;

/// Whether two indices are the same: one value, or equal affine.apply of
/// the same indices (a guard's and the code after it compute theirs
/// apart).
bool sameIndex(Value a, Value b) {
  if (a == b)
    return true;
  auto x = a.getDefiningOp<affine::AffineApplyOp>();
  auto y = b.getDefiningOp<affine::AffineApplyOp>();
  return x && y && x.getAffineMap() == y.getAffineMap() &&
         llvm::equal(x.getMapOperands(), y.getMapOperands(), sameIndex);
}

/// The extent of a transfer along each dimension of its buffer (1 where
/// its permutation map skips one), when the map keeps the buffer's order
/// and does not broadcast: its vector then holds a box of the buffer in
/// row-major order, whatever unit dimensions its shape drops.
std::optional<SmallVector<int64_t>> boxOf(VectorTransferOpInterface t) {
  SmallVector<int64_t> box(t.getShapedType().getRank(), 1);
  int64_t last = -1;
  for (auto [i, result] : llvm::enumerate(t.getPermutationMap().getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(result);
    if (!dim || int64_t(dim.getPosition()) <= last)
      return std::nullopt;
    last = dim.getPosition();
    box[last] = t.getVectorType().getDimSize(i);
  }
  return box;
}

/// Whether two transfers move the same elements in the same order: one
/// buffer, equal indices and boxes, all in bounds and unmasked (a tile's
/// guarded zeros are written as its result, 3x4x1x16, and read back as
/// its accumulator, 3x4x16).
bool samePlace(VectorTransferOpInterface a, VectorTransferOpInterface b) {
  std::optional<SmallVector<int64_t>> box = boxOf(a);
  return a.getSource() == b.getSource() && box && box == boxOf(b) &&
         !a.getMask() && !b.getMask() && !a.hasOutOfBoundsDim() &&
         !b.hasOutOfBoundsDim() &&
         llvm::equal(a.getIndices(), b.getIndices(), sameIndex);
}

/// Whether `root` or an op in it may read or write `buffer`: it uses a
/// view of it, or has effects it does not declare (a call).
bool mayAccess(Operation *root, Value buffer) {
  Value base = bufferOf(buffer);
  return root
      ->walk([&](Operation *op) {
        if (!isa<MemoryEffectOpInterface>(op) &&
            !op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
          return WalkResult::interrupt();
        for (Value operand : op->getOperands())
          if (isa<BaseMemRefType>(operand.getType()) &&
              bufferOf(operand) == base)
            return WalkResult::interrupt();
        return WalkResult::advance();
      })
      .wasInterrupted();
}

/// A tile of a sum's first block whose guard zeroes its result, which the
/// tile then reads back as its accumulator (fillInFirstBlock: the guard
/// holds on the first block only), and writes after its sum: the
/// accumulator becomes `guard ? zeros : the read`, and the guarded write
/// goes, as the tile's own write covers it with nothing touching the
/// buffer in between. The first block's tiles then start in registers
/// instead of waiting on their result's lines, fetched from beyond the
/// caches for the zeros' write (mnist-mlp's weight gradients, 1.6 MiB
/// each, come back from where the last step's update left them).
void startFromGuardedFill(scf::IfOp guard) {
  if (guard.getNumResults() != 0 || !guard.getElseRegion().empty())
    return;
  vector::TransferWriteOp zeros;
  for (Operation &op : guard.thenBlock()->without_terminator()) {
    auto write = dyn_cast<vector::TransferWriteOp>(op);
    if ((write && zeros) || (!write && !isPure(&op)))
      return;
    if (write)
      zeros = write;
  }
  DenseElementsAttr value;
  if (!zeros || !matchPattern(zeros.getVector(), m_Constant(&value)) ||
      !value.isSplat())
    return;
  // After the guard: the tile's read of its result, its sum, its write.
  vector::TransferReadOp read;
  vector::TransferWriteOp result;
  for (Operation *op = guard->getNextNode(); op; op = op->getNextNode()) {
    auto asRead = dyn_cast<vector::TransferReadOp>(op);
    auto asWrite = dyn_cast<vector::TransferWriteOp>(op);
    if (!read && asRead && samePlace(zeros, asRead)) {
      read = asRead;
    } else if (read && asWrite && samePlace(zeros, asWrite)) {
      result = asWrite;
      break;
    } else if (mayAccess(op, zeros.getSource())) {
      return;
    }
  }
  if (!result)
    return;
  OpBuilder builder(read);
  Location loc = read.getLoc();
  auto start = builder.create<scf::IfOp>(
      loc, guard.getCondition(),
      [&](OpBuilder &b, Location at) {
        b.create<scf::YieldOp>(at,
                               b.create<arith::ConstantOp>(
                                    at, value.resizeSplat(read.getVectorType()))
                                   .getResult());
      },
      [&](OpBuilder &b, Location at) {
        b.create<scf::YieldOp>(at, read.getResult());
      });
  read->moveBefore(start.elseBlock()->getTerminator());
  read.getResult().replaceAllUsesExcept(start.getResult(0),
                                        start.elseBlock()->getTerminator());
  guard.erase();
}

/// The vector.fma a tile's sum loop accumulates into its one iteration
/// argument with, when it yields that fma's result (directly, or rebuilt
/// element by element, as the lowering of a unit-dimension shape_cast
/// leaves it); else null.
vector::FMAOp accumulation(scf::ForOp loop) {
  if (loop.getNumRegionIterArgs() != 1)
    return nullptr;
  BlockArgument acc = loop.getRegionIterArgs().front();
  auto type = dyn_cast<VectorType>(acc.getType());
  if (!type || !acc.hasOneUse())
    return nullptr;
  auto fma = dyn_cast<vector::FMAOp>(*acc.getUsers().begin());
  if (!fma || fma.getAcc() != acc)
    return nullptr;
  Value yielded = loop.getBody()->getTerminator()->getOperand(0);
  if (yielded == fma.getResult())
    return fma;
  // A rebuild: each element inserted is the fma's at the same place.
  int64_t inserted = 0;
  while (auto insert = yielded.getDefiningOp<vector::InsertOp>()) {
    auto extract = insert.getSource().getDefiningOp<vector::ExtractOp>();
    if (!extract || extract.getVector() != fma.getResult() ||
        extract.getMixedPosition() != insert.getMixedPosition() ||
        !isa<FloatType>(insert.getSourceType()))
      return nullptr;
    ++inserted;
    yielded = insert.getDest();
  }
  return inserted == type.getNumElements() ? fma : nullptr;
}

/// Splits the sum of a tile with fewer accumulator registers than the
/// FMA latency covers (lenet's first filter gradient: 5 vectors of 6
/// channels, each FMA waiting 4 cycles on the last) between two sets:
/// the loop takes two steps a trip, the even steps into the carried sum
/// and the odd ones into a second, which is added after the loop. Twice
/// the independent chains. The order of the terms changes, the same for
/// every run and thread count.
void splitAccumulator(scf::ForOp loop, int64_t lanes, RewriterBase &rewriter) {
  vector::FMAOp fma = accumulation(loop);
  std::optional<int64_t> trips = constantTripCount(
      loop.getLowerBound(), loop.getUpperBound(), loop.getStep());
  if (!fma || !trips || *trips < 4 || *trips % 2 != 0)
    return;
  auto type = cast<VectorType>(fma.getType());
  int64_t registers = type.getNumElements() / type.getShape().back() *
                      llvm::divideCeil(type.getShape().back(), lanes);
  if (registers >= kFmaLatencyRegisters)
    return;
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  Value step2 = rewriter.create<arith::MulIOp>(
      loc, loop.getStep(), rewriter.create<arith::ConstantIndexOp>(loc, 2));
  Value zero =
      rewriter.create<arith::ConstantOp>(loc, type, rewriter.getZeroAttr(type));
  auto split = rewriter.create<scf::ForOp>(
      loc, loop.getLowerBound(), loop.getUpperBound(), step2,
      ValueRange{loop.getInitArgs().front(), zero});
  rewriter.setInsertionPointToStart(split.getBody());
  Value odd = rewriter.create<arith::AddIOp>(loc, split.getInductionVar(),
                                             loop.getStep());
  SmallVector<Value> sums;
  Value ivs[] = {split.getInductionVar(), odd};
  for (auto [iv, sum] : llvm::zip(ivs, split.getRegionIterArgs())) {
    IRMapping map;
    map.map(loop.getInductionVar(), iv);
    map.map(loop.getRegionIterArgs().front(), sum);
    for (Operation &op : loop.getBody()->without_terminator())
      rewriter.clone(op, map);
    sums.push_back(map.lookup(loop.getBody()->getTerminator()->getOperand(0)));
  }
  rewriter.create<scf::YieldOp>(loc, sums);
  rewriter.setInsertionPointAfter(split);
  Value total = rewriter.create<arith::AddFOp>(loc, split.getResult(0),
                                               split.getResult(1));
  rewriter.replaceOp(loop, total);
}

} // namespace

void sinter::startFromGuardedFills(func::FuncOp func) {
  SmallVector<scf::IfOp> guards;
  func.walk([&](scf::IfOp guard) { guards.push_back(guard); });
  for (scf::IfOp guard : guards)
    startFromGuardedFill(guard);
}

/// Unrolls each sum loop marked kUnrollMarker, now that its tile is
/// FMAs on carried accumulators: the loads its steps share are then
/// one value (TilePlan::unrollInnerSum).
LogicalResult sinter::unrollMarkedSums(func::FuncOp func) {
  SmallVector<scf::ForOp> marked;
  func.walk([&](scf::ForOp loop) {
    if (loop->removeAttr(kUnrollMarker))
      marked.push_back(loop);
  });
  for (scf::ForOp loop : marked) {
    std::optional<int64_t> trips = constantTripCount(
        loop.getLowerBound(), loop.getUpperBound(), loop.getStep());
    if (!trips)
      return loop.emitError("a window tile's taps loop of unknown length");
    if (*trips > 1 && failed(loopUnrollByFactor(loop, *trips)))
      return loop.emitError("could not unroll a window tile's taps loop");
  }
  // The steps' indices, computed from the loop's constants, fold.
  if (marked.empty())
    return success();
  return applyPatterns(func, addCanonicalization);
}

void sinter::splitAccumulators(func::FuncOp func, int64_t lanes,
                               RewriterBase &rewriter) {
  func.walk([&](scf::ForOp loop) { splitAccumulator(loop, lanes, rewriter); });
}
