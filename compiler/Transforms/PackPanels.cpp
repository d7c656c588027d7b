//===- PackPanels.cpp - operands copied into panels of register tiles -----===//
//
// sinter-tile-contractions' packing: a block of a product copies its right
// operand's columns (or its transposing copy's source, transposed) into
// panels of one column tile each, and a weight gradient's left operand
// into panels of row tiles, so that a tile reads each term's values from
// consecutive addresses; and the buffers these panels take. Whether a
// product packs: packElements, packRowElements, linePanels.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ContractionTiler.h"
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace sinter;

namespace {

/// Result elements from which a blocked product packs its panels: the copy
/// pays when many row tiles pass a panel, and costs most where the operand's
/// rows alias in the caches (measured at 2 threads, B/A packed/unpacked:
/// 128 x 512 x 512 0.62, 512 x 512 x 512 0.90, 256 x 1024 x 1024 1.0,
/// 512 x 1024 x 1024 1.2, 1024 x 1024 x 1024 1.3).
constexpr int64_t kPackElements = 512 * 1024;
/// The same for tiles whose row is one cache line (AVX2's 16 floats; every
/// product of kLineBlockColumns or more is then blocked): unpacked, a
/// tile's terms lie a row of the operand apart, 2 KiB for 512 columns,
/// which puts a 256-term panel in 2 of the L1 cache's 64 sets and 32 of
/// L2's 1024 (Zen 3) and every term comes from L2 or beyond. Packed, at 2
/// threads on Zen 3: X·W of 128 x 784 -> 512 102 -> 112-144 GFLOP/s,
/// 128 x 512 -> 512 93 -> 152, 2048 x 128 -> 512 75 -> 164; the weight
/// gradient 128 x 512 over 2048 rows 74 -> 104; none slower. Blocked and
/// packed from 64 columns (it was from 257): 2048 x 512 -> 128 133 -> 148,
/// 2048 x 128 -> 128 137 -> 150-160, 2048 x 128 -> 256 135 -> 161, their
/// input gradients 154 -> 166 (-> 128), 147 -> 158 (-> 256).
constexpr int64_t kLinePackElements = 16 * 1024;
/// Result elements from which a blocked product with its left operand read
/// transposed (a weight gradient) packs that operand's rows (packRows)
/// even when its right operand's panels are not packed: a term of a tile's
/// rows then takes consecutive addresses, not a cache line each (dW of
/// 555 x 777 over 333 terms, 431 Ki elements: 59 -> 74 % of peak).
constexpr int64_t kPackRowElements = 256 * 1024;
/// The same with line panels: a tile's 6 rows are 24 bytes of a line, the
/// next term's a row of the operand away (512 bytes for gpt-mini's 128
/// inputs, 8 L1 sets). At 2 threads on Zen 3, the weight gradients over
/// 2048 rows: 128 x 512 114 -> 122-138 GFLOP/s, 128 x 256 95 -> 115,
/// 128 x 128 59-105 -> 74-119 (with the blocks from 64 columns).
constexpr int64_t kLinePackRowElements = 16 * 1024;
/// Columns from which a product with tiles of two cache lines a row
/// (AVX-512's 32 floats) follows the line panels' rules too: its operand's
/// rows are 2 KiB or more apart, and a tile's 256 terms fall in as few L1
/// sets. Measured on a Xeon with AVX-512 (48 KiB L1D, 2 MiB L2 a core), 2
/// threads: mnist-mlp's step 2.06-2.13 -> 1.82-1.93 ms (its products of
/// 512 columns, batch 128, blocked and packed); bench/gemm's 1024^3 and
/// 333 x 555 x 777 shapes gained 5-25 %. From 64 columns (as on AVX2)
/// gpt-mini's step, all of 128-512 columns, ran 3 % slower (one thread, both
/// binaries at once); from 512 it is unchanged within 1-2 %.
constexpr int64_t kWideLineColumns = 512;

/// The constant trip counts of `loop`, the parts of a sum (and their
/// groups).
SmallVector<int64_t> tripCounts(scf::ParallelOp loop) {
  return llvm::map_to_vector(loop.getUpperBound(), [](Value bound) {
    return *getConstantIntValue(bound);
  });
}

/// A buffer for the tiles of `width` of the `columns` of a 2-D source,
/// each [mostTerms, width] floats, one after another (allocInEntry); the
/// last tile partly used when the columns do not divide.
Value allocTiles(Location loc, int64_t columns, int64_t width,
                 int64_t mostTerms, RewriterBase &rewriter) {
  int64_t tiles = llvm::divideCeilSigned(columns, width);
  return allocInEntry(
      MemRefType::get({tiles * mostTerms, width}, rewriter.getF32Type()), loc,
      rewriter);
}

/// The first `rest` columns of the partial last tile of `tiles`
/// (allocTiles), which starts at row `firstRow`, for `count` terms.
Value lastTile(Location loc, Value tiles, int64_t firstRow, OpFoldResult count,
               int64_t rest, RewriterBase &rewriter) {
  return rewriter.create<memref::SubViewOp>(
      loc, tiles,
      SmallVector<OpFoldResult>{rewriter.getIndexAttr(firstRow),
                                rewriter.getIndexAttr(0)},
      SmallVector<OpFoldResult>{count, rewriter.getIndexAttr(rest)},
      SmallVector<OpFoldResult>(2, rewriter.getIndexAttr(1)));
}

} // namespace

/// Whether a product of `columns` takes line panels: a tile's row of a
/// panel is one cache line (AVX2), or two of a wide operand (AVX-512,
/// kWideLineColumns) or of one whose rows are not whole vectors apart
/// (500 columns: every row of the operand starts elsewhere in a line, and
/// a tile's loads of it cross lines). Such products pack from
/// kLinePackElements. Blocked and packed, on two threads: X·W of 2000 x
/// 1024 -> 500 329 -> 362 GFLOP/s, -> 120 249 -> 295; their weight
/// gradients over 2048 rows 242 -> 357 and 164 -> 247.
bool ContractionTiler::linePanels(int64_t columns) const {
  return tileN == 16 || (tileN == 32 && !ShapedType::isDynamic(columns) &&
                         (columns >= kWideLineColumns || columns % 16 != 0));
}
int64_t ContractionTiler::packElements(int64_t columns) const {
  return linePanels(columns) ? kLinePackElements : kPackElements;
}
int64_t ContractionTiler::packRowElements(int64_t columns) const {
  return linePanels(columns) ? kLinePackRowElements : kPackRowElements;
}

/// The panel of `terms` x `count` floats at element `start` of `panels`,
/// a 1-D buffer of panels one after another.
FailureOr<Value> sinter::panelIn(Value panels, OpFoldResult start,
                                 int64_t terms, int64_t count,
                                 RewriterBase &rewriter) {
  Location loc = panels.getLoc();
  Value span = rewriter.create<memref::SubViewOp>(
      loc, panels, ArrayRef<OpFoldResult>{start},
      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(terms * count)},
      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)});
  SmallVector<ReassociationIndices> split = {{0, 1}};
  FailureOr<MemRefType> type = memref::ExpandShapeOp::computeExpandedType(
      cast<MemRefType>(span.getType()), {terms, count}, split);
  if (failed(type))
    return failure();
  return rewriter
      .create<memref::ExpandShapeOp>(
          loc, *type, span, split,
          SmallVector<OpFoldResult>{rewriter.getIndexAttr(terms),
                                    rewriter.getIndexAttr(count)})
      .getResult();
}

/// A buffer of `type` in the function's entry block before the op holding
/// the insertion point (sinter-plan-memory places it), freed at the
/// block's end; the insertion point is kept. Null when the insertion
/// point is at a block's end. Inside the parts of a sum (inParts), each
/// iteration's own (a part's, or a part's group's): one buffer of that
/// many times the rows, the iteration's rows of it.
Value sinter::allocInEntry(MemRefType type, Location loc,
                           RewriterBase &rewriter) {
  OpBuilder::InsertPoint here = rewriter.saveInsertionPoint();
  Block &entry = here.getBlock()
                     ->getParent()
                     ->getParentOfType<func::FuncOp>()
                     .getBody()
                     .front();
  Operation *top = here.getPoint() == here.getBlock()->end()
                       ? nullptr
                       : entry.findAncestorOpInBlock(*here.getPoint());
  if (!top)
    return nullptr;
  scf::ParallelOp parts;
  for (Operation *parent = here.getBlock()->getParentOp();
       parent && !parts && !isa<func::FuncOp>(parent);
       parent = parent->getParentOp())
    if (parent->hasAttr(kPartsMarker))
      parts = cast<scf::ParallelOp>(parent);
  SmallVector<int64_t> shape(type.getShape());
  if (parts)
    shape.front() *= computeProduct(tripCounts(parts));
  rewriter.setInsertionPoint(top);
  Value buffer = rewriter.create<memref::AllocOp>(
      loc, MemRefType::get(shape, type.getElementType()),
      rewriter.getI64IntegerAttr(64));
  rewriter.setInsertionPoint(entry.getTerminator());
  rewriter.create<memref::DeallocOp>(loc, buffer);
  rewriter.restoreInsertionPoint(here);
  if (!parts)
    return buffer;
  // The iteration's rows: [i * rows, (i + 1) * rows), i its number in
  // the loop over the parts (and their groups).
  SmallVector<OpFoldResult> offsets(shape.size(), rewriter.getIndexAttr(0)),
      sizes, strides(shape.size(), rewriter.getIndexAttr(1));
  SmallVector<AffineExpr> ivs = llvm::map_to_vector(
      llvm::seq<unsigned>(0, parts.getNumLoops()),
      [&](unsigned d) { return rewriter.getAffineDimExpr(d); });
  AffineExpr iteration = linearize(rewriter.getContext(), ivs,
                                   computeSuffixProduct(tripCounts(parts)));
  offsets.front() = affine::makeComposedFoldedAffineApply(
      rewriter, loc, iteration * type.getDimSize(0),
      getAsOpFoldResult(parts.getInductionVars()));
  for (int64_t size : type.getShape())
    sizes.push_back(rewriter.getIndexAttr(size));
  return rewriter.create<memref::SubViewOp>(loc, buffer, offsets, sizes,
                                            strides);
}

/// The most terms a sum of `terms` takes in one block: a dynamic sum is a
/// block of one (blockTheBatchSum).
int64_t sinter::mostTerms(int64_t terms) {
  return ShapedType::isDynamic(terms) ? kSumBlock : terms;
}

/// Makes the register tile `tile` read its operand `number` (a view [k,
/// x] of an operand copyIntoTiles copied, for sums of up to `mostTerms`)
/// from the tiles instead: the view's terms of the view's tile, a 2-D view
/// like the one it replaces (the transposed reads of a weight gradient's
/// left operand lower to broadcasts only from a 2-D buffer).
LogicalResult sinter::readPanel(linalg::LinalgOp tile, unsigned number,
                                Value panel, int64_t mostTerms,
                                RewriterBase &rewriter) {
  OpOperand &operand = tile->getOpOperand(number);
  auto view = operand.get().getDefiningOp<memref::SubViewOp>();
  if (!view || view.getSourceType().getRank() != 2)
    return failure();
  int64_t width = cast<MemRefType>(panel.getType()).getDimSize(1);
  SmallVector<OpFoldResult> offsets = view.getMixedOffsets(),
                            sizes = view.getMixedSizes();
  // A whole tile, or the edge tile of a panel with a partial last one.
  std::optional<int64_t> columns = getConstantIntValue(sizes[1]);
  if (columns && *columns > width)
    return failure();
  rewriter.setInsertionPoint(view);
  AffineExpr x = rewriter.getAffineDimExpr(0), k = rewriter.getAffineDimExpr(1);
  OpFoldResult row = affine::makeComposedFoldedAffineApply(
      rewriter, view.getLoc(), x.floorDiv(width) * mostTerms + k,
      {offsets[1], offsets[0]});
  Value read = rewriter.create<memref::SubViewOp>(
      view.getLoc(), panel,
      SmallVector<OpFoldResult>{row, rewriter.getIndexAttr(0)}, sizes,
      SmallVector<OpFoldResult>(2, rewriter.getIndexAttr(1)));
  rewriter.modifyOpInPlace(tile, [&] { operand.set(read); });
  return success();
}
/// Copies `from` ([n, k]) into its transpose `to` ([k, n]) in square
/// register blocks (tileTranspose), on threads when `mayParallelize`
/// and large; the insertion point is kept.
LogicalResult ContractionTiler::copyTransposed(Value from, Value to,
                                               RewriterBase &rewriter,
                                               bool mayParallelize) {
  OpBuilder::InsertionGuard keep(rewriter);
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx);
  auto copy = rewriter.create<linalg::GenericOp>(
      from.getLoc(), TypeRange{}, ValueRange{from}, ValueRange{to},
      SmallVector<AffineMap>{AffineMap::get(2, 0, {j, i}, ctx),
                             AffineMap::get(2, 0, {i, j}, ctx)},
      SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
      [](OpBuilder &b, Location loc, ValueRange args) {
        b.create<linalg::YieldOp>(loc, args[0]);
      });
  return tileTranspose(copy, rewriter, mayParallelize);
}

/// Copies the transpose of `source` ([n, terms]: the right operand
/// [terms, n] is its transpose) into tiles of `width` columns like
/// copyIntoTiles (a last tile partly filled when the columns do not
/// divide), each tile a transposing copy in square register blocks
/// (tileTranspose), each thread copying some of the tiles.
Value ContractionTiler::copyTransposeIntoTiles(Value source, int64_t width,
                                               int64_t mostTerms,
                                               RewriterBase &rewriter) {
  int64_t rows = cast<MemRefType>(source.getType()).getDimSize(0);
  if (ShapedType::isDynamic(rows))
    return nullptr;
  Value tiles = allocTiles(source.getLoc(), rows, width, mostTerms, rewriter);
  if (!tiles)
    return nullptr;
  Location loc = source.getLoc();
  int64_t columns = rows / width * width;
  OpFoldResult count = memref::getMixedSize(rewriter, loc, source, 1);
  SmallVector<OpFoldResult> ones(2, rewriter.getIndexAttr(1));
  if (columns < rows) {
    // The rest, source[columns:, :] transposed, into the last tile's
    // first columns (1500 rows in tiles of 32: 28).
    Value from = rewriter.create<memref::SubViewOp>(
        loc, source,
        SmallVector<OpFoldResult>{rewriter.getIndexAttr(columns),
                                  rewriter.getIndexAttr(0)},
        SmallVector<OpFoldResult>{rewriter.getIndexAttr(rows - columns), count},
        ones);
    Value to = lastTile(loc, tiles, rows / width * mostTerms, count,
                        rows - columns, rewriter);
    if (failed(copyTransposed(from, to, rewriter, /*mayParallelize=*/false)))
      return nullptr;
    if (columns == 0)
      return tiles;
  }
  auto eachTile = rewriter.create<scf::ForOp>(
      loc, rewriter.create<arith::ConstantIndexOp>(loc, 0),
      rewriter.create<arith::ConstantIndexOp>(loc, columns / width),
      rewriter.create<arith::ConstantIndexOp>(loc, 1));
  OpBuilder::InsertPoint after = rewriter.saveInsertionPoint();
  rewriter.setInsertionPoint(eachTile.getBody()->getTerminator());
  Value t = eachTile.getInductionVar();
  AffineExpr d = rewriter.getAffineDimExpr(0);
  OpFoldResult firstColumn =
      affine::makeComposedFoldedAffineApply(rewriter, loc, d * width, {t});
  OpFoldResult firstRow =
      affine::makeComposedFoldedAffineApply(rewriter, loc, d * mostTerms, {t});
  Value from = rewriter.create<memref::SubViewOp>(
      loc, source,
      SmallVector<OpFoldResult>{firstColumn, rewriter.getIndexAttr(0)},
      SmallVector<OpFoldResult>{rewriter.getIndexAttr(width), count}, ones);
  Value to = rewriter.create<memref::SubViewOp>(
      loc, tiles, SmallVector<OpFoldResult>{firstRow, rewriter.getIndexAttr(0)},
      SmallVector<OpFoldResult>{count, rewriter.getIndexAttr(width)}, ones);
  if (failed(copyTransposed(from, to, rewriter, /*mayParallelize=*/false)))
    return nullptr;
  parallelize(eachTile, rewriter, /*parallelLoops=*/3);
  rewriter.restoreInsertionPoint(after);
  return tiles;
}

/// Copies `source` ([terms, n], contiguous along n) into tiles of
/// `width` of its columns, [n / width, terms, width], just before the
/// current insertion point, each thread copying some of the tiles; returns
/// the tiles. They are a buffer of the function's entry block
/// (sinter-plan-memory places it) sized for `mostTerms`. When the columns
/// do not divide, nothing, or with `partialTile` a last tile holding the
/// rest (AVX2's row tiles of 6 in 1024 rows).
Value ContractionTiler::copyIntoTiles(Value source, int64_t width,
                                      int64_t mostTerms, RewriterBase &rewriter,
                                      bool partialTile) {
  auto type = cast<MemRefType>(source.getType());
  int64_t columns = type.getDimSize(1);
  if (ShapedType::isDynamic(columns) || (columns % width != 0 && !partialTile))
    return nullptr;
  Location loc = source.getLoc();
  Value tiles = allocTiles(loc, columns, width, mostTerms, rewriter);
  if (!tiles)
    return nullptr;
  OpBuilder::InsertPoint here = rewriter.saveInsertionPoint();
  OpFoldResult count = memref::getMixedSize(rewriter, loc, source, 0);
  int64_t whole = columns / width * width;
  if (whole < columns) {
    // The rest: source[:, whole:] into the last tile's first columns.
    auto ones = SmallVector<OpFoldResult>(2, rewriter.getIndexAttr(1));
    Value rest = rewriter.create<memref::SubViewOp>(
        loc, source,
        SmallVector<OpFoldResult>{rewriter.getIndexAttr(0),
                                  rewriter.getIndexAttr(whole)},
        SmallVector<OpFoldResult>{count,
                                  rewriter.getIndexAttr(columns - whole)},
        ones);
    Value last = lastTile(loc, tiles, columns / width * mostTerms, count,
                          columns - whole, rewriter);
    // A loop nest, not memref.copy: strided, that would call MLIR's C
    // runner library.
    rewriter.create<linalg::CopyOp>(loc, rest, last);
    if (whole == 0) {
      rewriter.restoreInsertionPoint(here);
      return tiles;
    }
    source = rewriter.create<memref::SubViewOp>(
        loc, source, SmallVector<OpFoldResult>(2, rewriter.getIndexAttr(0)),
        SmallVector<OpFoldResult>{count, rewriter.getIndexAttr(whole)}, ones);
    type = cast<MemRefType>(source.getType());
    columns = whole;
  }
  SmallVector<OpFoldResult> shape = {count,
                                     rewriter.getIndexAttr(columns / width),
                                     rewriter.getIndexAttr(width)};
  SmallVector<ReassociationIndices> split = {{0}, {1, 2}};
  FailureOr<MemRefType> splitType = memref::ExpandShapeOp::computeExpandedType(
      type, {type.getDimSize(0), columns / width, width}, split);
  if (failed(splitType))
    return nullptr;
  Value from = rewriter.create<memref::ExpandShapeOp>(loc, *splitType, source,
                                                      split, shape);
  SmallVector<ReassociationIndices> perTile = {{0, 1}, {2}};
  Value wholeTiles = tiles;
  if (cast<MemRefType>(tiles.getType()).getDimSize(0) !=
      columns / width * mostTerms)
    wholeTiles = rewriter.create<memref::SubViewOp>(
        loc, tiles, SmallVector<OpFoldResult>(2, rewriter.getIndexAttr(0)),
        SmallVector<OpFoldResult>{
            rewriter.getIndexAttr(columns / width * mostTerms),
            rewriter.getIndexAttr(width)},
        SmallVector<OpFoldResult>(2, rewriter.getIndexAttr(1)));
  auto wholeType = cast<MemRefType>(wholeTiles.getType());
  FailureOr<MemRefType> tilesType = memref::ExpandShapeOp::computeExpandedType(
      wholeType, {columns / width, mostTerms, width}, perTile);
  if (failed(tilesType))
    return nullptr;
  Value tiles3 = rewriter.create<memref::ExpandShapeOp>(loc, *tilesType,
                                                        wholeTiles, perTile);
  Value to = rewriter.create<memref::SubViewOp>(
      loc, tiles3, SmallVector<OpFoldResult>(3, rewriter.getIndexAttr(0)),
      SmallVector<OpFoldResult>{shape[1], count, shape[2]},
      SmallVector<OpFoldResult>(3, rewriter.getIndexAttr(1)));
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr t = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx),
             l = getAffineDimExpr(2, ctx);
  auto copy = rewriter.create<linalg::GenericOp>(
      loc, TypeRange{}, ValueRange{from}, ValueRange{to},
      SmallVector<AffineMap>{AffineMap::get(3, 0, {j, t, l}, ctx),
                             AffineMap::get(3, 0, {t, j, l}, ctx)},
      SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
      [](OpBuilder &b, Location loc, ValueRange args) {
        b.create<linalg::YieldOp>(loc, args[0]);
      });
  FailureOr<scf::ForOp> eachTile = blocksOf(copy, 0, 1, rewriter);
  if (succeeded(eachTile))
    parallelize(*eachTile, rewriter, /*parallelLoops=*/1);
  rewriter.restoreInsertionPoint(here);
  return tiles;
}

/// Copies the right operand of the block of columns `op` (canonical
/// (m, n, k) order, rhs[k, n]) into a panel of column tiles (
/// copyIntoTiles) just before it; returns the panel, or nothing when `op`
/// is of another form. A tile then reads its columns of each term from
/// consecutive addresses: a right operand 1024 floats wide put each term
/// of a tile 4 KiB from the last, all in the same sets of the L1 and L2
/// caches, and the 256 x 256 panel filled a quarter of L2's sets (1024^3
/// on two threads: 70 / 78 / 64 % of peak, packed 87 / 84 / 78 %).
/// Failure when the operand is a buffer whose transposing copy does not
/// run here (conditionalTranspose) and no panel could be made.
FailureOr<Value> ContractionTiler::packPanel(linalg::GenericOp op,
                                             const TilePlan &plan,
                                             RewriterBase &rewriter) {
  if (plan.window || op.getNumLoops() != 3)
    return Value();
  MLIRContext *ctx = op.getContext();
  AffineExpr n = getAffineDimExpr(1, ctx), k = getAffineDimExpr(2, ctx);
  if (op.getMatchingIndexingMap(op.getDpsInputOperand(1)) !=
      AffineMap::get(3, 0, {k, n}, ctx))
    return Value();
  rewriter.setInsertionPoint(op);
  Value rhs = op.getDpsInputs()[1];
  int64_t terms = mostTerms(op.getStaticLoopRanges()[2]);
  std::optional<Value> transposed = viewOfTransposed(rhs, rewriter);
  if (!transposed)
    // The panel may end in a partial tile (the block of 244 of 500
    // columns in tiles of 32), else that block read the operand in place.
    return copyIntoTiles(rhs, plan.sizes[1], terms, rewriter,
                         /*partialTile=*/true);
  Value panel = *transposed ? copyTransposeIntoTiles(*transposed, plan.sizes[1],
                                                     terms, rewriter)
                            : nullptr;
  if (!panel)
    return failure();
  return panel;
}

/// Copies the left operand of the blocks of columns of `op` into a panel
/// of row tiles when it is read transposed (lhs[k, m]: a weight
/// gradient's inputs, each term of a tile's 8 rows 4 KiB from the last
/// at 1024 rows), once for all the blocks; nothing for other forms.
/// 1024^3 dW on two threads: 76 -> 86 % of peak.
Value ContractionTiler::packRows(linalg::GenericOp op, RewriterBase &rewriter) {
  MLIRContext *ctx = op.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), k = getAffineDimExpr(2, ctx);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (op.getNumLoops() != 3 || ShapedType::isDynamic(ranges[0]) ||
      op.getMatchingIndexingMap(op.getDpsInputOperand(0)) !=
          AffineMap::get(3, 0, {k, m}, ctx))
    return nullptr;
  return copyIntoTiles(op.getDpsInputs()[0],
                       tileSize(ranges[0], tileM, /*rows=*/true,
                                /*contraction=*/true),
                       mostTerms(ranges[2]), rewriter, /*partialTile=*/true);
}
