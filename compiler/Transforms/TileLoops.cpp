//===- TileLoops.cpp - contractions as loops of register tiles ------------===//
//
// sinter-tile-contractions' tiling proper: a contraction (or a block of
// one) becomes its loop nest of register tiles, marked for vectorization,
// each tile after its own fill of its result; a batch of rows that leaves
// a partial tile runs it in tiles of 4, 2 and 1 rows as the last iteration
// of the row loop; causal attention's skipped half bounds the tile loops;
// transposing copies become square tiles of one vector.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ContractionTiler.h"
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;
using namespace sinter;

namespace {

/// Whether `op`'s rows are the batch (a number known at run time only) in
/// the outermost tile loop, in tiles of several rows.
bool batchRows(linalg::GenericOp op, const TilePlan &plan) {
  if (plan.rowLoop != 0 || plan.window)
    return false;
  unsigned dim = plan.order[plan.rowLoop];
  return plan.sizes[dim] > 1 &&
         ShapedType::isDynamic(op.getStaticLoopRanges()[dim]);
}

/// Whether `op`'s rows of the batch fill whole tiles whatever the batch:
/// an operand reads them from the batch merged with static dimensions
/// whose sizes multiply to a multiple of the tile's rows. No partial tile
/// then, nor its code (splitRows's made gpt-mini compile 1.4 s longer).
bool rowsOfWholeTiles(linalg::GenericOp op, const TilePlan &plan) {
  unsigned dim = plan.order[plan.rowLoop];
  return llvm::any_of(mergedRowFactors(op, dim), [&](int64_t merged) {
    return merged % plan.sizes[dim] == 0;
  });
}

/// The tile loop over loop `dim` of `op` tiled by `plan`, and its tile
/// size; null where that loop is not tiled.
std::pair<scf::ForOp, int64_t> tileLoopOf(const linalg::TiledLinalgOp &tiled,
                                          const TilePlan &plan, int64_t dim) {
  size_t at = 0;
  for (unsigned d : plan.order) {
    if (plan.sizes[d] == 0)
      continue;
    if (int64_t(d) == dim)
      return {dyn_cast<scf::ForOp>(tiled.loops[at]), plan.sizes[d]};
    ++at;
  }
  return {nullptr, 0};
}

/// Skips what `op`'s kSkipAboveAttr [a, b] allows (iterations where loop
/// b exceeds loop a: causal attention's masked half) by bounding its tile
/// loops, before any peeling; whole tiles stay whole. With `a` a result
/// loop tiled by `ta` around the sum: the sum stops at a's tile end
/// (P·V, dQ = dS·K sum their keys up to the query); with the sum as `a`
/// and `b` a result loop: the sum starts at b's tile (dK = dSᵀ·Q, dV =
/// Pᵀ·dO sum queries from the key). With `b` the result's columns and
/// `a` its rows (QKᵀ feeding the mask): the column tiles stop at the
/// first one past the row tile's end, when the columns fill whole tiles.
/// Returns whether it bounded the column loop (which is then not
/// peeled). A skipped term is zero, so each result changes at most in
/// the sign of a zero; skipped results are never read.
bool skipAbove(linalg::GenericOp op, const linalg::TiledLinalgOp &tiled,
               const TilePlan &plan, RewriterBase &rewriter) {
  auto skip = op->getAttrOfType<DenseI64ArrayAttr>(kSkipAboveAttr);
  if (!skip || plan.window)
    return false;
  int64_t sum = op.getNumLoops() - 1, columns = op.getNumLoops() - 2;
  if (op.getNumReductionLoops() != 1 ||
      !linalg::isReductionIterator(op.getIteratorTypesArray()[sum]))
    return false;
  auto [outer, outerTile] = tileLoopOf(tiled, plan, skip[0]);
  auto [inner, innerTile] = tileLoopOf(tiled, plan, skip[1]);
  if (!outer || !inner)
    return false;
  // `loop`'s new bound, computed just before it: the max (`lower`) or
  // min of `old` and `bound` of the index of `by`, a loop around it.
  auto boundOf = [&](scf::ForOp loop, scf::ForOp by, AffineExpr bound,
                     Value old, bool lower) -> Value {
    rewriter.setInsertionPoint(loop);
    AffineMap map = AffineMap::get(2, 0, {bound, rewriter.getAffineDimExpr(1)},
                                   rewriter.getContext());
    SmallVector<OpFoldResult> operands = {by.getInductionVar(), old};
    return getValueOrCreateConstantIndexOp(
        rewriter, loop.getLoc(),
        lower ? affine::makeComposedFoldedAffineMax(rewriter, loop.getLoc(),
                                                    map, operands)
              : affine::makeComposedFoldedAffineMin(rewriter, loop.getLoc(),
                                                    map, operands));
  };
  AffineExpr d0 = rewriter.getAffineDimExpr(0);
  // The sum's tiles are single terms: its loop may start and end anywhere.
  if (skip[1] == sum && skip[0] != sum && innerTile == 1 &&
      outer->isAncestor(inner)) {
    Value end = boundOf(inner, outer, d0 + outerTile, inner.getUpperBound(),
                        /*lower=*/false);
    rewriter.modifyOpInPlace(inner, [&] { inner.setUpperBound(end); });
    return false;
  }
  if (skip[0] == sum && skip[1] != sum && outerTile == 1 &&
      inner->isAncestor(outer)) {
    Value start = boundOf(outer, inner, d0, outer.getLowerBound(),
                          /*lower=*/true);
    rewriter.modifyOpInPlace(outer, [&] { outer.setLowerBound(start); });
    return false;
  }
  std::optional<int64_t> width = getConstantIntValue(inner.getUpperBound());
  if (skip[1] == columns && skip[0] != sum && outer->isAncestor(inner) &&
      width && isConstantIntValue(inner.getLowerBound(), 0) &&
      *width % innerTile == 0) {
    Value end =
        boundOf(inner, outer, (d0 + outerTile).ceilDiv(innerTile) * innerTile,
                inner.getUpperBound(), /*lower=*/false);
    rewriter.modifyOpInPlace(inner, [&] { inner.setUpperBound(end); });
    return true;
  }
  return false;
}

/// Gives the tiles of `rows`, a loop over rows that fill whole tiles of
/// `size`, that static size (tiling left min(size, rows - i)).
void wholeRowTiles(scf::ForOp rows, int64_t size, RewriterBase &rewriter) {
  Value row = rows.getInductionVar();
  SmallVector<affine::AffineMinOp> mins;
  rows.walk([&](affine::AffineMinOp min) {
    if (llvm::is_contained(min.getOperands(), row) &&
        llvm::any_of(min.getMap().getResults(), [&](AffineExpr e) {
          auto c = dyn_cast<AffineConstantExpr>(e);
          return c && c.getValue() == size;
        }))
      mins.push_back(min);
  });
  for (affine::AffineMinOp min : mins) {
    rewriter.setInsertionPoint(min);
    rewriter.replaceOpWithNewOp<arith::ConstantIndexOp>(min, size);
  }
}

/// One loop over the row tiles of `whole` whose last iteration, when
/// `rows` leave a partial tile, runs the loop nests `rest` of its rows.
scf::ForOp withRest(scf::ForOp whole, ArrayRef<scf::ForOp> rest, Value rows,
                    RewriterBase &rewriter) {
  Location loc = whole.getLoc();
  rewriter.setInsertionPoint(rest.back()); // after every view they read
  auto loop = rewriter.create<scf::ForOp>(loc, whole.getLowerBound(), rows,
                                          whole.getStep());
  rewriter.setInsertionPointToStart(loop.getBody());
  Value iv = loop.getInductionVar();
  Value isWhole = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt,
                                                 iv, whole.getUpperBound());
  auto choice = rewriter.create<scf::IfOp>(loc, isWhole, /*withElse=*/true);
  IRMapping map;
  map.map(whole.getInductionVar(), iv);
  rewriter.setInsertionPoint(choice.thenBlock()->getTerminator());
  for (Operation &op : whole.getBody()->without_terminator())
    rewriter.clone(op, map);
  rewriter.eraseOp(whole);
  for (scf::ForOp nest : rest)
    rewriter.moveOpBefore(nest, choice.elseBlock()->getTerminator());
  return loop;
}

/// Moves `fill` into the loop over the images of a window contraction
/// whose taps run outside its tiles (tapsOutsideTheImage): each image's
/// result is filled just before its taps, and stays in cache for them.
void fillEachImage(ResultFill fill, linalg::TiledLinalgOp &tiled,
                   const TilePlan &plan, RewriterBase &rewriter) {
  auto images = dyn_cast<scf::ForOp>(tiled.loops.front());
  Value out = fill.fill.getDpsInitOperand(0)->get();
  auto type = cast<MemRefType>(out.getType());
  AffineMap map =
      tiled.op.getMatchingIndexingMap(tiled.op.getDpsInitOperand(0));
  AffineExpr batch = rewriter.getAffineDimExpr(plan.order.front());
  if (!images || !llvm::is_contained(map.getResults(), batch))
    return;
  rewriter.setInsertionPointToStart(images.getBody());
  Location loc = fill.fill.getLoc();
  SmallVector<OpFoldResult> offsets, sizes,
      strides(type.getRank(), rewriter.getIndexAttr(1));
  for (unsigned d = 0; d < type.getRank(); ++d) {
    bool image = map.getResult(d) == batch;
    offsets.push_back(image ? OpFoldResult(images.getInductionVar())
                            : rewriter.getIndexAttr(0));
    sizes.push_back(image ? rewriter.getIndexAttr(1)
                          : memref::getMixedSize(rewriter, loc, out, d));
  }
  Value slice =
      rewriter.create<memref::SubViewOp>(loc, out, offsets, sizes, strides);
  fill.createFor(slice, rewriter);
  rewriter.eraseOp(fill.op());
}

/// Moves `fill` into the tile loops: each tile fills its own result just
/// before its sum. Tiles partition the result, so every element is still
/// filled once before it is summed into; once vectorized, the tile's
/// accumulator starts as the fill value in registers instead of being
/// loaded from memory a memset wrote (transferOpflowOpt forwards it).
void fillEachTile(ResultFill fill, linalg::TiledLinalgOp &tiled,
                  const TilePlan &plan, RewriterBase &rewriter) {
  SmallVector<utils::IteratorType> iters = tiled.op.getIteratorTypesArray();
  size_t firstSum = llvm::count_if(plan.order, [&](unsigned d) {
    return iters[d] == utils::IteratorType::parallel;
  });
  if (plan.tapsOutside)
    return fillEachImage(fill, tiled, plan, rewriter);
  if (firstSum == 0 || firstSum >= tiled.loops.size())
    return;
  // The tile's result window depends on the tile loops only: hoist it
  // out of the sums.
  for (size_t i = tiled.loops.size(); i-- > firstSum;)
    moveLoopInvariantCode(cast<LoopLikeOpInterface>(tiled.loops[i]));
  Operation *sums = tiled.loops[firstSum];
  Value window = tiled.op.getDpsInitOperand(0)->get();
  if (!DominanceInfo().properlyDominates(window, sums))
    return;
  rewriter.setInsertionPoint(sums);
  linalg::FillOp tileFill = fill.createFor(window, rewriter);
  // Vectorized with the tile, so that its write can be forwarded (from a
  // guarded fill by startFromGuardedFill).
  tileFill->setAttr(kTileMarker, rewriter.getUnitAttr());
  rewriter.eraseOp(fill.op());
}

} // namespace

/// Replaces `op` by its loop nest of register tiles (marked), the row and
/// column loops peeled so that all but the last tiles are full; a large
/// op's outermost loop parallel. Rows of a dynamic number (the batch)
/// outermost are split first: the rows that fill whole tiles, and the
/// rest (a batch of 100 in tiles of 8: 4 rows) in at most one tile each
/// of 4, 2 and 1 rows, which have static shapes and vectorize. One loop runs
/// them all, the rest as its last iteration: on threads, one more
/// iteration of the parallel loop. (Peeled, the rest was one scalar nest
/// run on one thread after the parallel loop: a batch of 100 ran the
/// forward product at 68 % of a batch of 96's speed.)
LogicalResult ContractionTiler::tile(linalg::GenericOp op, const TilePlan &plan,
                                     RewriterBase &rewriter) {
  // A block on threads already (columnsOnThreads) runs its tiles in turn.
  bool large =
      !op->getParentOfType<scf::ParallelOp>() &&
      (largeBlocks.contains(op) || iterationCount(op) >= minParallelIterations);
  // The band of threads may take the tile loops of the result (they come
  // first), never a sum's (a 16 x 32 result summing 64 terms ran its
  // terms on threads).
  unsigned resultLoops = op.getNumParallelLoops();
  FailureOr<scf::ForOp> outer = failure();
  Value panel;
  bool batch = batchRows(op, plan);
  bool rowsDivide = batch && rowsOfWholeTiles(op, plan);
  if (batch && !rowsDivide) {
    RowSplit split = splitRows(op, plan, rewriter);
    outer = tileLoops(split.whole, plan, rewriter, panel,
                      /*rowsDivide=*/true);
    SmallVector<scf::ForOp> rest;
    for (auto [part, rows] : split.rest) {
      TilePlan fewer = plan;
      fewer.sizes[plan.order[plan.rowLoop]] = rows;
      FailureOr<scf::ForOp> loop =
          tileLoops(part, fewer, rewriter, panel, /*rowsDivide=*/true);
      if (failed(loop))
        return failure();
      rest.push_back(*loop);
    }
    if (failed(outer))
      return failure();
    outer = withRest(*outer, rest, split.rows, rewriter);
  } else {
    // A large op's partial row tile (a weight gradient's 128 rows in 21
    // tiles of 6 and one of 2) runs as the parallel loop's last
    // iteration; peeled, it ran on one thread after the loop (with the
    // sum blocks' serial code, 10 % of a 128 x 128 weight gradient over
    // 2048 rows on Zen 3).
    scf::ForOp rest;
    outer = tileLoops(op, plan, rewriter, panel, rowsDivide,
                      large ? &rest : nullptr);
    if (failed(outer))
      return failure();
    if (rest)
      outer = withRest(*outer, rest, rest.getUpperBound(), rewriter);
  }
  if (large)
    parallelize(*outer, rewriter, resultLoops);
  return success();
}

/// Splits `op` by its rows (RowSplit, ContractionTiler.h); `op`'s rows
/// are the batch (batchRows).
ContractionTiler::RowSplit ContractionTiler::splitRows(linalg::GenericOp op,
                                                       const TilePlan &plan,
                                                       RewriterBase &rewriter) {
  unsigned dim = plan.order[plan.rowLoop];
  int64_t size = plan.sizes[dim];
  Location loc = op.getLoc();
  ResultFill fill = fillOfResult(op);
  rewriter.setInsertionPoint(fill ? fill.op() : op.getOperation());
  Value rows =
      getValueOrCreateConstantIndexOp(rewriter, loc,
                                      cast<linalg::LinalgOp>(op.getOperation())
                                          .createLoopRanges(rewriter, loc)[dim]
                                          .size);
  AffineExpr n = rewriter.getAffineSymbolExpr(0);
  auto apply = [&](AffineExpr e) {
    return affine::makeComposedFoldedAffineApply(rewriter, loc, e, {rows});
  };
  auto part = [&](AffineExpr start, AffineExpr count) {
    OpFoldResult from = apply(start), to = apply(count);
    rewriter.setInsertionPoint(op);
    linalg::GenericOp clone = onRangeFilled(op, dim, from, to, fill, rewriter);
    if (largeBlocks.contains(op))
      largeBlocks.insert(clone);
    rewriter.setInsertionPoint(fill ? fill.op() : op.getOperation());
    return clone;
  };
  AffineExpr start = n.floorDiv(size) * size;
  RowSplit split{part(rewriter.getAffineConstantExpr(0), start), {}, rows};
  // The rest (n mod size) in at most one tile of each power of two under
  // `size` rows: 4, 2 and 1. (Tiles of 4 and then of one row ran a batch
  // of 128 in AVX2's tiles of 6 as 21 tiles and 2 of one row: its forward
  // product 8 % slower than 126 rows.)
  AffineExpr from = start, left = n % size;
  for (int64_t rows = llvm::PowerOf2Ceil(size) / 2; rows >= 1; rows /= 2) {
    AffineExpr count = left.floorDiv(rows) * rows;
    split.rest.push_back({part(from, count), rows});
    from = from + count;
    left = left % rows;
  }
  if (auto block = packedBlocks.find(op); block != packedBlocks.end())
    packedBlocks[split.whole] = block->second;
  if (fill)
    rewriter.eraseOp(fill.op());
  forget(op, rewriter);
  return split;
}

/// Erases `op` and what is known of it: an op created later may take its
/// address.
void ContractionTiler::forget(linalg::GenericOp op, RewriterBase &rewriter) {
  packedBlocks.erase(op);
  largeBlocks.erase(op);
  rewriter.eraseOp(op);
}

/// Tiles `op` (see tile()) and returns its outermost tile loop. `panel`:
/// the panel of the right operand its tiles read, packed here for a block
/// packedBlocks holds (and returned), or one packed for other rows of the
/// same block (which may be all there is of a transposed operand:
/// conditionalTranspose). `rowsDivide`: its rows fill whole tiles.
/// `rowRest`, if given, receives the loop over the last, partial row tile
/// of an outermost row loop (null if the rows fill whole tiles), peeled
/// apart from the column edges.
FailureOr<scf::ForOp> ContractionTiler::tileLoops(linalg::GenericOp op,
                                                  const TilePlan &plan,
                                                  RewriterBase &rewriter,
                                                  Value &panel, bool rowsDivide,
                                                  scf::ForOp *rowRest) {
  ResultFill fill = fillOfResult(op);
  Value rowPanel;
  if (auto block = packedBlocks.find(op); block != packedBlocks.end()) {
    if (block->second.columns) {
      FailureOr<Value> packed = packPanel(op, plan, rewriter);
      if (failed(packed))
        return op.emitError("could not pack the transposed right operand");
      panel = *packed;
    }
    rowPanel = block->second.rows;
  }
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::TiledLinalgOp> tiled =
      linalg::tileLinalgOp(rewriter, op,
                           linalg::LinalgTilingOptions()
                               .setTileSizes(plan.sizes)
                               .setInterchange(plan.order));
  if (failed(tiled))
    return op.emitError("could not tile this contraction");
  int64_t terms = mostTerms(op.getStaticLoopRanges().back());
  if ((panel && failed(readPanel(tiled->op, 1, panel, terms, rewriter))) ||
      (rowPanel && failed(readPanel(tiled->op, 0, rowPanel, terms, rewriter))))
    return op.emitError("could not read the packed panel in a tile");
  tiled->op->setAttr(plan.window ? kWindowTileMarker : kTileMarker,
                     rewriter.getUnitAttr());
  if (plan.unrollInnerSum)
    if (scf::ForOp taps = tileLoopOf(*tiled, plan, plan.order.back()).first)
      taps->setAttr(kUnrollMarker, rewriter.getUnitAttr());
  bool columnsBounded = skipAbove(op, *tiled, plan, rewriter);
  forget(op, rewriter);
  if (fill)
    fillEachTile(fill, *tiled, plan, rewriter);
  if (rowsDivide)
    wholeRowTiles(cast<scf::ForOp>(tiled->loops[plan.rowLoop]),
                  plan.sizes[plan.order[plan.rowLoop]], rewriter);
  bool restApart = rowRest && plan.rowLoop == 0 && !rowsDivide;
  // Columns first: the row edge peeled after them holds the whole and the
  // partial column tiles both, at static sizes that vectorize (peeled
  // before them, its columns stayed one loop of dynamic tiles, scalar
  // code: AVX2's 8 rows of 20 columns in tiles of 6 x 16).
  SmallVector<scf::ForOp> edges;
  for (int loop : {plan.colLoop, plan.rowLoop})
    if (loop >= 0 && !(loop == plan.rowLoop && (rowsDivide || restApart)) &&
        !(loop == plan.colLoop && columnsBounded))
      edges.push_back(cast<scf::ForOp>(tiled->loops[loop]));
  auto outer = cast<scf::ForOp>(tiled->loops.front());
  linalg::peelLoops(rewriter, edges);
  if (restApart) {
    // After the column edges: the row rest's columns peeled too.
    *rowRest = nullptr;
    scf::ForOp rest;
    if (succeeded(scf::peelForLoopAndSimplifyBounds(rewriter, outer, rest)))
      *rowRest = rest;
  }
  return outer;
}

/// Replaces the transposing copy `op` by square tiles of one vector's
/// width (marked), the edges peeled: each tile reads whole rows, swaps
/// them in registers (16x16 shuffles with AVX-512) and writes whole
/// rows. As loops, LLVM vectorized the copy with gathers along columns
/// (mnist-mlp's Wᵀ for its input gradient: 7 % of a step).
LogicalResult ContractionTiler::tileTranspose(linalg::GenericOp op,
                                              RewriterBase &rewriter,
                                              bool mayParallelize) {
  int64_t width = std::max<int64_t>(tileN / 2, 1);
  bool large = mayParallelize && iterationCount(op) >= minParallelIterations;
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::TiledLinalgOp> tiled = linalg::tileLinalgOp(
      rewriter, op, linalg::LinalgTilingOptions().setTileSizes({width, width}));
  if (failed(tiled))
    return op.emitError("could not tile this transpose");
  tiled->op->setAttr(kTransposeTileMarker, rewriter.getUnitAttr());
  rewriter.eraseOp(op);
  SmallVector<scf::ForOp> edges;
  for (Operation *loop : tiled->loops)
    edges.push_back(cast<scf::ForOp>(loop));
  linalg::peelLoops(rewriter, edges);
  if (large)
    parallelize(edges.front(), rewriter, /*parallelLoops=*/2);
  return success();
}
