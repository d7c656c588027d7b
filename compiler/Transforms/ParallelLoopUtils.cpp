//===- ParallelLoopUtils.cpp - what the threading passes share -------------===//
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RowLoops.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

/// A guess at the batch for dynamic sizes, to judge the work of an op.
constexpr int64_t kDynamicSizeGuess = 32;

/// A guess at dimension `dim` of the shaped value `v`: its static size, or,
/// where `v` merges dimensions (the batch with the positions of a
/// convolution, say), the product of the merged ones' guesses; else the
/// batch guess.
static int64_t sizeGuess(Value v, int64_t dim) {
  int64_t size = cast<ShapedType>(v.getType()).getDimSize(dim);
  if (!ShapedType::isDynamic(size))
    return size;
  auto merged = [&](Value src, ArrayRef<ReassociationIndices> groups) {
    int64_t n = 1;
    for (int64_t d : groups[dim])
      n *= sizeGuess(src, d);
    return n;
  };
  if (auto c = v.getDefiningOp<tensor::CollapseShapeOp>())
    return merged(c.getSrc(), c.getReassociationIndices());
  if (auto c = v.getDefiningOp<memref::CollapseShapeOp>())
    return merged(c.getSrc(), c.getReassociationIndices());
  return kDynamicSizeGuess;
}

int64_t sinter::iterationCount(linalg::LinalgOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> guesses(ranges.size(), kDynamicSizeGuess);
  // A loop's guess from the largest operand dimension it indexes directly.
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<ShapedType>(operand.get().getType()))
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [i, expr] : llvm::enumerate(map.getResults()))
      if (auto d = dyn_cast<AffineDimExpr>(expr))
        guesses[d.getPosition()] = std::max(
            guesses[d.getPosition()], sizeGuess(operand.get(), i));
  }
  int64_t n = 1;
  for (auto [size, guess] : llvm::zip(ranges, guesses))
    n *= ShapedType::isDynamic(size) ? guess : size;
  return n;
}

/// The trip count of `loop` if its bounds are constants.
static std::optional<int64_t> tripCount(scf::ForOp loop) {
  return constantTripCount(loop.getLowerBound(), loop.getUpperBound(),
                           loop.getStep());
}

std::pair<Value, Value> sinter::partBounds(OpBuilder &b, Location loc,
                                           Value part, Value total,
                                           Value parts) {
  auto firstOf = [&](Value p) -> Value {
    return b.create<arith::DivUIOp>(loc, b.create<arith::MulIOp>(loc, p, total),
                                    parts);
  };
  Value begin = firstOf(part);
  Value next = b.create<arith::AddIOp>(
      loc, part, b.create<arith::ConstantIndexOp>(loc, 1));
  return {begin, firstOf(next)};
}

Value sinter::partOf(OpBuilder &b, Location loc, Value partials,
                     OpFoldResult part) {
  auto type = cast<MemRefType>(partials.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)), sizes,
      strides(type.getRank(), b.getIndexAttr(1));
  offsets[0] = part;
  sizes.push_back(b.getIndexAttr(1));
  for (int64_t s : type.getShape().drop_front())
    sizes.push_back(b.getIndexAttr(s));
  auto partType =
      cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
          type.getShape().drop_front(), type, offsets, sizes, strides));
  return b.create<memref::SubViewOp>(loc, partType, partials, offsets, sizes,
                                     strides);
}

void sinter::addPartsInOrder(OpBuilder &b, Location loc, Value partials,
                             Value out) {
  int64_t parts = cast<MemRefType>(partials.getType()).getDimSize(0);
  int64_t rank = cast<MemRefType>(out.getType()).getRank();
  SmallVector<Value> terms;
  for (int64_t p = 0; p < parts; ++p)
    terms.push_back(partOf(b, loc, partials, b.getIndexAttr(p)));
  b.create<linalg::GenericOp>(
      loc, terms, ValueRange{out},
      SmallVector<AffineMap>(parts + 1, b.getMultiDimIdentityMap(rank)),
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [](OpBuilder &nb, Location nl, ValueRange args) {
        Value total = args.front();
        for (Value term : args.drop_front().drop_back())
          total = nb.create<arith::AddFOp>(nl, total, term);
        nb.create<linalg::YieldOp>(nl, total);
      });
}

void sinter::parallelize(scf::ForOp loop, RewriterBase &rewriter,
                         unsigned parallelLoops) {
  // A loop carrying values is a sum (a narrow op whose only other loops
  // are its sums): it stays sequential. So does a loop inside a parallel
  // one, whose thread runs it (a part of a weight gradient's sum).
  if (loop.getNumResults() != 0 || loop->getParentOfType<scf::ParallelOp>())
    return;
  // The band: `loop` and the loops nested alone in it, while few.
  SmallVector<scf::ForOp> band = {loop};
  int64_t trips = tripCount(loop).value_or(kMinParallelTrips);
  while (trips < kMinParallelTrips && band.size() < parallelLoops) {
    Block *body = band.back().getBody();
    auto inner = dyn_cast<scf::ForOp>(&body->front());
    if (!inner || body->getOperations().size() != 2 || inner.getNumResults() ||
        !tripCount(inner) ||
        llvm::any_of(band, [&](scf::ForOp outer) {
          return inner.getLowerBound().getParentBlock() == outer.getBody() ||
                 inner.getUpperBound().getParentBlock() == outer.getBody() ||
                 inner.getStep().getParentBlock() == outer.getBody();
        }))
      break;
    band.push_back(inner);
    trips *= *tripCount(inner);
  }
  SmallVector<Value> lbs, ubs, steps;
  for (scf::ForOp l : band) {
    lbs.push_back(l.getLowerBound());
    ubs.push_back(l.getUpperBound());
    steps.push_back(l.getStep());
  }
  rewriter.setInsertionPoint(loop);
  rewriter.create<scf::ParallelOp>(
      loop.getLoc(), lbs, ubs, steps,
      [&](OpBuilder &b, Location, ValueRange ivs) {
        IRMapping map;
        for (auto [l, iv] : llvm::zip(band, ivs))
          map.map(l.getInductionVar(), iv);
        for (Operation &op : band.back().getBody()->without_terminator())
          b.clone(op, map);
      });
  rewriter.eraseOp(loop);
}

std::optional<std::pair<int64_t, int64_t>>
sinter::skippedReduction(linalg::LinalgOp op) {
  auto skip = op->getAttrOfType<DenseI64ArrayAttr>(kSkipAboveAttr);
  if (!skip || skip[0] >= skip[1] || skip[1] >= int64_t(op.getNumLoops()) ||
      !linalg::isReductionIterator(op.getIteratorTypesArray()[skip[1]]))
    return std::nullopt;
  return std::make_pair(skip[0], skip[1]);
}

std::optional<std::pair<int64_t, int64_t>>
sinter::zeroedAbove(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumParallelLoops() != op.getNumLoops())
    return std::nullopt;
  auto yield = cast<linalg::YieldOp>(op.getBlock()->getTerminator());
  auto select = yield.getOperand(0).getDefiningOp<arith::SelectOp>();
  auto past =
      select ? select.getCondition().getDefiningOp<arith::CmpIOp>() : nullptr;
  if (!past || past.getPredicate() != arith::CmpIPredicate::ugt ||
      !matchPattern(select.getTrueValue(), m_PosZeroFloat()))
    return std::nullopt;
  auto b = past.getLhs().getDefiningOp<linalg::IndexOp>();
  auto a = past.getRhs().getDefiningOp<linalg::IndexOp>();
  if (!a || !b || a.getDim() >= b.getDim())
    return std::nullopt;
  return std::make_pair(int64_t(a.getDim()), int64_t(b.getDim()));
}

FailureOr<linalg::LinalgLoops>
sinter::loopsOf(linalg::LinalgOp op, RewriterBase &rewriter, int64_t lanes) {
  // Read before `op` is erased.
  std::optional<std::pair<int64_t, int64_t>> zeros = zeroedAbove(op),
                                             pair = skippedReduction(op);
  if (!pair)
    pair = zeros;
  Value out = zeros ? op.getDpsInits()[0] : Value();
  size_t count = op.getNumLoops();
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::LinalgLoops> loops = linalg::linalgOpToLoops(rewriter, op);
  if (failed(loops))
    return failure();
  rewriter.eraseOp(op);
  if (!pair || loops->size() != count)
    return loops;
  auto outer = cast<scf::ForOp>((*loops)[pair->first]);
  auto inner = cast<scf::ForOp>((*loops)[pair->second]);
  rewriter.setInsertionPoint(inner);
  Location loc = inner.getLoc();
  Value end = rewriter.create<arith::MinSIOp>(
      loc, inner.getUpperBound(),
      rewriter.create<arith::AddIOp>(
          loc, outer.getInductionVar(),
          rewriter.create<arith::ConstantIndexOp>(loc, 1)));
  std::optional<int64_t> extent = getConstantIntValue(inner.getUpperBound());
  scf::ForOp rest;
  if (zeros) {
    // Past a's index the same loop stores zeros (its other work is dead).
    rewriter.setInsertionPointAfter(inner);
    rest = cast<scf::ForOp>(rewriter.clone(*inner));
    rewriter.modifyOpInPlace(rest, [&] { rest.setLowerBound(end); });
    rewriter.setInsertionPointToStart(rest.getBody());
    Type element = cast<MemRefType>(out.getType()).getElementType();
    Value zero = rewriter.create<arith::ConstantOp>(
        loc, element, rewriter.getZeroAttr(element));
    rest.walk([&](memref::StoreOp store) {
      if (store.getMemRef() == out)
        rewriter.modifyOpInPlace(store,
                                 [&] { store.getValueMutable().assign(zero); });
    });
  }
  rewriter.modifyOpInPlace(inner, [&] { inner.setUpperBound(end); });
  if (inner != loops->back())
    return loops;
  scf::ForOp row = zeros ? inner : carryAccumulators(inner, rewriter);
  loops->back() = row;
  if (lanes > 1 && extent)
    if (FailureOr<scf::ForOp> vectors =
            vectorizeRow(row, lanes, *extent, rewriter);
        succeeded(vectors)) {
      loops->back() = *vectors;
      if (rest)
        rewriter.modifyOpInPlace(
            rest, [&] { rest.setLowerBound(vectors->getUpperBound()); });
    }
  return loops;
}

FailureOr<scf::ForOp> sinter::blocksOf(linalg::LinalgOp op, unsigned dim,
                                       int64_t size, RewriterBase &rewriter) {
  SmallVector<int64_t> sizes(op.getNumLoops(), 0);
  sizes[dim] = size;
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::TiledLinalgOp> tiled = linalg::tileLinalgOp(
      rewriter, op, linalg::LinalgTilingOptions().setTileSizes(sizes));
  if (failed(tiled))
    return failure();
  // A block's loop `dim` counts from the block's start: a skip fact holds
  // in the block when it does not involve that loop.
  auto skip = op->getAttrOfType<DenseI64ArrayAttr>(kSkipAboveAttr);
  if (skip && !llvm::is_contained(skip.asArrayRef(), int64_t(dim)))
    tiled->op->setAttr(kSkipAboveAttr, skip);
  else
    tiled->op->removeAttr(kSkipAboveAttr);
  rewriter.eraseOp(op);
  return cast<scf::ForOp>(tiled->loops.front());
}
