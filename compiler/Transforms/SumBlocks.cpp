//===- SumBlocks.cpp - contractions in blocks that stay in the caches -----===//
//
// sinter-tile-contractions' blocking of a contraction before it is tiled:
// a sum over the batch in blocks of kSumBlock terms (or in parts side by
// side on threads), a window contraction's sum in blocks of images, a
// product beyond L2 in blocks of columns (marked to pack: PackPanels.cpp),
// and a window's column edge wider than a register split off. Every
// result element still sums its terms in order.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ContractionTiler.h"
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

using namespace mlir;
using namespace sinter;

namespace {

/// Parts a long sum over the batch runs in side by side (blockTheBatchSum),
/// each on one thread with a partial result of its own, and the terms from
/// which it does: kPartTerms a part or more, or kSumBlock when the result
/// has at most kFewRowTiles row tiles. With few row tiles the threads split
/// little work many times (a block of the sum is a pack and a product for
/// each block of columns, each a parallel region): on two threads, weight
/// gradients over 1000 rows of 100 x 1000 ran 205 -> 323 GFLOP/s in parts,
/// 128 x 512 245 -> 320-358, 256 x 1000 295 -> 358 (over 520 rows: 300 ->
/// 347); 512 x 512 (64 row tiles) 344 -> 357 over 1000 rows but 353 -> 320
/// over 600.
constexpr int64_t kParts = 2;
constexpr int64_t kPartTerms = 1024;
constexpr int64_t kFewRowTiles = 32;
/// Groups of its result each part runs in (inParts), side by side: two
/// parts alone would leave all but two cores of a larger machine idle
/// while the weight gradients run.
constexpr int64_t kPartGroups = 4;

/// Whether a sum of `terms` (dynamic: the batch) runs in blocks.
bool sumInBlocks(int64_t terms) {
  return ShapedType::isDynamic(terms) || terms > 2 * kSumBlock;
}

/// Bytes of a product's right operand (its panel for a block of the sum)
/// that stay in the L2 cache while every row tile passes over them.
constexpr int64_t kPanelBytes = 512 * 1024;

/// Bytes of its inputs a block of a window contraction's sum over the
/// batch reads (blockTheWindowSum): they stay in the L2 cache for all the
/// block's tiles, half of a Zen 3 core's (blocks of 256 KiB, 512 KiB and
/// 1 MiB ran alike on the Xeon's 2 MiB).
constexpr int64_t kWindowBlockBytes = 256 * 1024;

/// Result columns a block of a product beyond L2 takes (blockTheColumns).
constexpr int64_t kColumnBlock = 256;

/// Columns from which a product with line panels (AVX2) is blocked, though
/// one block may take them all: unpacked, its panel's terms lie 256 bytes
/// or more apart, in at most 16 of the L1 cache's 64 sets, 128 lines for a
/// block's 256 terms (see kLinePackElements).
constexpr int64_t kLineBlockColumns = 64;

/// Terms up to which a product is not blocked: a tile's rows of its right
/// operand are then at most 32 lines (two a row), which the L1 cache holds
/// even when they all fall in the same 16 of its sets, and the whole
/// operand, within 512 KiB, stays in L2 for every row tile.
constexpr int64_t kFewTerms = 16;

/// Collects the ops a rewrite creates in `block` (not those inside them).
struct NewOpsIn : public RewriterBase::Listener {
  explicit NewOpsIn(Block *block) : block(block) {}
  Block *block;
  SmallVector<Operation *> ops;
  void notifyOperationInserted(Operation *op, OpBuilder::InsertPoint) override {
    if (op->getBlock() == block)
      ops.push_back(op);
  }
};

/// Fills `block`'s result (with `fill`'s value) when `start`, its first
/// term, is `first`: the first block of a loop over the sum's blocks.
void fillInFirstBlock(linalg::GenericOp block, ResultFill fill, Value start,
                      Value first, RewriterBase &rewriter) {
  rewriter.setInsertionPoint(block);
  auto isFirst = rewriter.create<scf::IfOp>(
      block.getLoc(),
      rewriter.create<arith::CmpIOp>(block.getLoc(), arith::CmpIPredicate::eq,
                                     start, first));
  rewriter.setInsertionPoint(isFirst.thenBlock()->getTerminator());
  rewriter.create<linalg::FillOp>(fill.fill.getLoc(), fill.fill.getInputs(),
                                  block.getDpsInitOperand(0)->get());
}

/// `parts` copies of `result`'s buffer type, side by side: the partial
/// results of a sum in parts.
Value partialsOf(Value result, int64_t parts, Location loc,
                 RewriterBase &rewriter) {
  auto resultType = cast<MemRefType>(result.getType());
  SmallVector<int64_t> shape{parts};
  llvm::append_range(shape, resultType.getShape());
  return allocInEntry(MemRefType::get(shape, resultType.getElementType()), loc,
                      rewriter);
}

/// `op`, a window contraction summing over the batch (its loop 0, `total`
/// images) into a static result that `fill` zeroes, as kBatchParts parts
/// side by side: an scf.parallel over the parts, part p summing images
/// [p * total / parts, (p + 1) * total / parts) in blocks of `block`
/// images into its own partial result (zeroed by its first block's tiles,
/// or whole when the part is empty: fewer images than parts); then the
/// result is the partials added in part order. Returns the part's block.
linalg::GenericOp windowSumInParts(linalg::GenericOp op, ResultFill fill,
                                   Value total, Value block,
                                   RewriterBase &rewriter) {
  Location loc = op.getLoc();
  Value result = op.getDpsInitOperand(0)->get();
  Value partials = partialsOf(result, kBatchParts, loc, rewriter);
  auto index = [&](int64_t v) {
    return rewriter.create<arith::ConstantIndexOp>(loc, v);
  };
  Value parts = index(kBatchParts), zero = index(0), one = index(1);
  auto byPart = rewriter.create<scf::ParallelOp>(
      loc, ValueRange{zero}, ValueRange{parts}, ValueRange{one});
  rewriter.setInsertionPointToStart(byPart.getBody());
  Value p = byPart.getInductionVars().front();
  auto [begin, end] = partBounds(rewriter, loc, p, total, parts);
  Value partial = partOf(rewriter, loc, partials, p);
  auto empty = rewriter.create<scf::IfOp>(
      loc, rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, begin,
                                          end));
  rewriter.setInsertionPoint(empty.thenBlock()->getTerminator());
  fill.createFor(partial, rewriter);
  rewriter.setInsertionPointAfter(empty);
  auto [loop, mine] = onEachBlock(op, 0, begin, end, block, rewriter);
  rewriter.modifyOpInPlace(mine,
                           [&] { mine.getDpsInitOperand(0)->set(partial); });
  fillInFirstBlock(mine, fill, loop.getInductionVar(), begin, rewriter);
  // result = part 0 + part 1 + ..., in that order.
  rewriter.setInsertionPointAfter(byPart);
  addPartsInOrder(rewriter, loc, partials, result);
  return mine;
}

} // namespace

/// Whether a product of `columns` summing `terms` runs in blocks of columns
/// (and may pack): its right operand's rows for a block of the sum exceed
/// 512 KiB, or, with `linePanels`, it has kLineBlockColumns or more, unless
/// it sums at most kFewTerms terms from an operand within 512 KiB.
bool sinter::blocksColumns(int64_t columns, int64_t terms, bool linePanels) {
  if (sumInBlocks(terms))
    terms = kSumBlock;
  if (ShapedType::isDynamic(columns))
    return false;
  if (terms <= kFewTerms && terms * columns * 4 <= kPanelBytes)
    return false;
  if (linePanels)
    return columns >= kLineBlockColumns;
  return columns > kColumnBlock && terms * columns * 4 > kPanelBytes;
}

/// Splits a block of a sum (blockTheBatchSum) whose right operand does
/// not fit the L2 cache (over kPanelBytes for the block's terms; with
/// line panels, of kLineBlockColumns or more, which one block may take
/// whole) into blocks of kColumnBlock result columns, an scf.for over
/// them, the last block peeled when the columns do not divide: a block's
/// panel of the operand (256 x 256 floats) stays in L2 while every row tile
/// passes over it, and each thread's rows of the left operand for the sum
/// block stay there while it passes the column blocks. Unsplit, each tile of
/// 8 rows streamed the whole operand from beyond L2 (1024 x 1024 x 1024: 53 %
/// of peak, 70 % blocked; columns outside the sum blocks, 65 %). Each result
/// element sums the same terms in the same order. The result's fill moves
/// into the blocks, each filling its columns just before its sum (its tiles
/// then start in registers). Blocks of a result of at least packElements()
/// are marked for packPanel (and packRows), of packRowElements() for packRows
/// only; when its rows are the batch, an scf.if on their number holds both
/// forms, unless the batch is merged with enough static rows to pack; when
/// its terms are (a weight gradient), an scf.if on the block's terms: a
/// short block does not pack its panels.
SmallVector<linalg::GenericOp>
ContractionTiler::blockTheColumns(linalg::GenericOp op,
                                  RewriterBase &rewriter) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t columns = ranges[op.getNumLoops() - 2];
  if (!blocksColumns(columns, ranges.back(), linePanels(columns)))
    return {op};
  Location loc = op.getLoc();
  ResultFill fill = fillOfResult(op);
  rewriter.setInsertionPoint(op);
  SmallVector<linalg::GenericOp> blocks;
  Value rowPanel;
  auto block = [&](OpFoldResult start, int64_t count, bool pack) {
    linalg::GenericOp part =
        onRangeFilled(op, op.getNumLoops() - 2, start,
                      rewriter.getIndexAttr(count), fill, rewriter);
    if (pack || rowPanel)
      packedBlocks[part] = {pack, rowPanel};
    blocks.push_back(part);
  };
  auto allBlocks = [&](bool pack, Value rows) {
    rowPanel = rows;
    int64_t whole = columns / kColumnBlock * kColumnBlock;
    // No whole block with line panels under kColumnBlock columns: then
    // the peeled block below takes them all.
    if (whole > 0) {
      auto loop = rewriter.create<scf::ForOp>(
          loc, rewriter.create<arith::ConstantIndexOp>(loc, 0),
          rewriter.create<arith::ConstantIndexOp>(loc, whole),
          rewriter.create<arith::ConstantIndexOp>(loc, kColumnBlock));
      rewriter.setInsertionPoint(loop.getBody()->getTerminator());
      block(loop.getInductionVar(), kColumnBlock, pack);
      rewriter.setInsertionPointAfter(loop);
    }
    if (whole < columns)
      block(rewriter.getIndexAttr(whole), columns - whole, pack);
  };
  // Rows in canonical (m, n, k) order; packPanel takes no other.
  int64_t rows = op.getNumLoops() == 3 ? ranges[0] : 0;
  int64_t fewestRows = llvm::divideCeil(packElements(columns), columns);
  auto sizeOf = [&](unsigned loop) {
    return getValueOrCreateConstantIndexOp(
        rewriter, loc,
        cast<linalg::LinalgOp>(op.getOperation())
            .createLoopRanges(rewriter, loc)[loop]
            .size);
  };
  if (!ShapedType::isDynamic(rows)) {
    bool pack = rows >= fewestRows;
    bool packTheRows = rows * columns >= packRowElements(columns);
    Value rowTiles = packTheRows ? packRows(op, rewriter) : nullptr;
    if (!pack || !ShapedType::isDynamic(ranges.back())) {
      allBlocks(pack, rowTiles);
    } else {
      // A weight gradient's block of the batch: a short one (a batch
      // under kSumBlock) reads its panels where they are. Its rows of
      // the output gradient were just written, half by the other core,
      // and its panels' copy, a parallel region of its own for each
      // block of columns, took 4 x 11 us of mnist-mlp's step (batch
      // 128) on two threads; unpacked, its tiles ran as fast.
      Value many = rewriter.create<arith::CmpIOp>(
          loc, arith::CmpIPredicate::sge, sizeOf(op.getNumLoops() - 1),
          rewriter.create<arith::ConstantIndexOp>(loc, kSumBlock));
      auto choice = rewriter.create<scf::IfOp>(loc, many, /*withElse=*/true);
      rewriter.setInsertionPoint(choice.thenBlock()->getTerminator());
      allBlocks(true, rowTiles);
      rewriter.setInsertionPoint(choice.elseBlock()->getTerminator());
      allBlocks(false, rowTiles);
    }
  } else if (llvm::any_of(mergedRowFactors(op, 0), [&](int64_t merged) {
               return merged >= fewestRows;
             })) {
    // The batch merged with static dimensions (gpt-mini's 128 positions):
    // any batch makes enough rows, and the few rows' form is dead code.
    allBlocks(true, packRows(op, rewriter));
  } else {
    Value many = rewriter.create<arith::CmpIOp>(
        loc, arith::CmpIPredicate::sge, sizeOf(0),
        rewriter.create<arith::ConstantIndexOp>(loc, fewestRows));
    auto choice = rewriter.create<scf::IfOp>(loc, many, /*withElse=*/true);
    rewriter.setInsertionPoint(choice.thenBlock()->getTerminator());
    allBlocks(true, packRows(op, rewriter));
    rewriter.setInsertionPoint(choice.elseBlock()->getTerminator());
    allBlocks(false, nullptr);
  }
  if (fill)
    rewriter.eraseOp(fill.op());
  rewriter.eraseOp(op);
  return blocks;
}

/// Splits a contraction that sums over the batch (a weight gradient: its
/// sum's trip count is only known at run time) into blocks of
/// kSumBlock terms. Unsplit, every tile streamed its rows of both
/// operands over the whole batch (gpt-mini: 2048 rows, 4 MiB for the
/// MLP's output gradient) from beyond the L2 cache, once per tile; a
/// block's rows (256 x 640 floats there) stay in L2 for all its tiles.
/// Every result element still sums its terms in order: its blocks follow
/// each other, the partial sum kept in the result. A sum over the batch
/// (dynamic) whose product blockTheColumns splits further is one scf.for
/// over all the blocks: its blocks of columns, their packing and their
/// tiles are code once, not twice (with packing, gpt-mini compiled 20 %
/// slower as two copies); the first block's tiles
/// each zero their result just before their sum (an scf.if on the
/// block's start; startFromGuardedFill then starts them from zeros in
/// registers). Others are the first block, which keeps
/// the fill just before it (its tiles start in registers, and
/// sinter-split-batch-sums finds its sum), and an scf.for over the rest,
/// whose tiles add to the result. A dynamic sum whose result is zeroed
/// first runs, from kParts * kPartTerms terms, as parts side by side
/// instead (inParts; an scf.if on the terms holds both forms). Returns
/// the blocks, each for blockTheColumns.
SmallVector<linalg::GenericOp>
ContractionTiler::blockTheBatchSum(linalg::GenericOp op,
                                   RewriterBase &rewriter) {
  unsigned sum = op.getNumLoops() - 1; // canonical (.., m, n, k) order
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  int64_t terms = sizes[sum], columns = sizes[sum - 1];
  if (!sumInBlocks(terms))
    return {op};
  // A static sum into one tile of columns whose right operand stays in L2:
  // each row tile reads its rows of the left operand once, blocks or not,
  // and the blocks only made a parallel region each (strided's classifier,
  // 64 x 8192 -> 10: 32 regions of 4 us, 130-169 us on two threads, 83
  // whole).
  if (!ShapedType::isDynamic(terms) && !ShapedType::isDynamic(columns) &&
      tileSize(columns, tileN, /*rows=*/false, /*contraction=*/true) >=
          columns &&
      terms * columns * 4 <= kPanelBytes)
    return {op};
  bool oneLoop = ShapedType::isDynamic(terms) &&
                 blocksColumns(columns, terms, linePanels(columns));
  Location loc = op.getLoc();
  ResultFill fill = fillOfResult(op);
  rewriter.setInsertionPoint(op);
  SmallVector<Range> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rewriter, loc);
  Value total =
      getValueOrCreateConstantIndexOp(rewriter, loc, ranges[sum].size);
  Value block = rewriter.create<arith::ConstantIndexOp>(loc, kSumBlock);
  Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
  bool zeroed = fill && !fill.guard; // the result's fill, unconditional
  SmallVector<linalg::GenericOp> blocks;
  if (ShapedType::isDynamic(terms) && zeroed) {
    // From kParts * kPartTerms terms (kParts * kSumBlock with few row
    // tiles), the parts form (inParts); else the one loop below.
    int64_t rows = sizes[0];
    int64_t fromTerms = !ShapedType::isDynamic(rows) && op.getNumLoops() == 3 &&
                                llvm::divideCeil(rows, tileM) <= kFewRowTiles
                            ? kParts * kSumBlock
                            : kParts * kPartTerms;
    auto many = rewriter.create<scf::IfOp>(
        loc,
        rewriter.create<arith::CmpIOp>(
            loc, arith::CmpIPredicate::sge, total,
            rewriter.create<arith::ConstantIndexOp>(loc, fromTerms)),
        /*withElse=*/true);
    rewriter.setInsertionPoint(many.thenBlock()->getTerminator());
    blocks.push_back(inParts(op, fill, total, rewriter));
    rewriter.setInsertionPoint(many.elseBlock()->getTerminator());
  }
  linalg::GenericOp first;
  if (!oneLoop)
    first =
        onRange(op, sum, zero,
                rewriter.create<arith::MinSIOp>(loc, block, total).getResult(),
                rewriter);
  auto [rest, later] =
      onEachBlock(op, sum, oneLoop ? zero : block, total, block, rewriter);
  Value start = rest.getInductionVar();
  rewriter.eraseOp(op);
  if (oneLoop && zeroed) {
    // The loop's first block fills the result, its tiles each their own
    // (fillEachTile, startFromGuardedFill), not a memset of the whole
    // result that the tiles read back (mnist-mlp's weight gradients:
    // 2.6 MiB a step); the fill itself is for an empty batch only.
    fillInFirstBlock(later, fill, start, zero, rewriter);
    rewriter.setInsertionPoint(rest);
    auto noBlock = rewriter.create<scf::IfOp>(
        loc, rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                            total, zero));
    rewriter.moveOpBefore(fill.fill, noBlock.thenBlock()->getTerminator());
  }
  if (oneLoop) {
    blocks.push_back(later);
    return blocks;
  }
  // The result's fill goes just before the first block, whose tiles
  // then take it over (fillEachTile).
  if (fill)
    fill.op()->moveBefore(first);
  blocks.append({first, later});
  return blocks;
}

/// Splits a window contraction that sums over the batch (a
/// convolution's filter gradient in window form) into one scf.for over
/// blocks of images whose rows of every input take at most
/// kWindowBlockBytes, each block's tiles adding to the result. Unsplit,
/// each tile (a few taps, channels and output channels) streamed the
/// whole batch's input and output gradient from memory: 54 passes over
/// 10 MiB for a 3x3 filter gradient of 24 -> 48 channels at 16x16 over
/// 128 images, at 97 GFLOP/s on two threads. Every result element sums
/// its terms in the same order. A result zeroed just before, small enough
/// for kBatchParts partial results, runs as parts of the batch instead
/// (windowSumInParts): in blocks, one parallel region for all of them
/// (deep-narrow's 24 -> 48 filter gradient ran 43 regions a step, both
/// threads reading every block) and each thread reading only its parts'
/// images: that gradient 2.75 -> 2.13 ms a step, 24 -> 24's 1.67 -> 1.37.
/// With fewer result tiles than a parallel
/// loop wants (kMinParallelTrips) the sum stays whole: the threads take
/// parts of it instead (sinter-split-batch-sums, which needs the sum
/// from the batch's start), and each of the few tiles streams the batch
/// once. Returns the blocks (or `op`).
SmallVector<linalg::GenericOp>
ContractionTiler::blockTheWindowSum(linalg::GenericOp op, const TilePlan &plan,
                                    RewriterBase &rewriter) {
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  if (sizes.empty() || iters[0] != utils::IteratorType::reduction ||
      !ShapedType::isDynamic(sizes[0]))
    return {op};
  int64_t tiles = 1;
  for (auto [size, tile, iter] : llvm::zip(sizes, plan.sizes, iters))
    if (iter == utils::IteratorType::parallel)
      tiles *= ShapedType::isDynamic(size) ? kMinParallelTrips
                                           : llvm::divideCeil(size, tile);
  if (tiles < kMinParallelTrips)
    return {op};
  // Bytes an image takes in the inputs it indexes (their other
  // dimensions static).
  AffineExpr batch = rewriter.getAffineDimExpr(0);
  int64_t imageBytes = 0;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    if (map.getNumResults() == 0 || map.getResult(0) != batch)
      continue;
    auto shape = cast<MemRefType>(in->get().getType()).getShape();
    if (ShapedType::isDynamicShape(shape.drop_front()))
      return {op};
    int64_t bytes = 4;
    for (int64_t size : shape.drop_front())
      bytes *= size;
    imageBytes += bytes;
  }
  if (imageBytes == 0)
    return {op};
  int64_t images = std::max<int64_t>(1, kWindowBlockBytes / imageBytes);
  // Before anything is inserted between them.
  ResultFill fill = fillOfResult(op);
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Range> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rewriter, loc);
  Value total = getValueOrCreateConstantIndexOp(rewriter, loc, ranges[0].size);
  Value block = rewriter.create<arith::ConstantIndexOp>(loc, images);
  auto resultType = cast<MemRefType>(op.getDpsInitOperand(0)->get().getType());
  if (fill && !fill.guard && resultType.hasStaticShape() &&
      batchSumFitsParts(resultType.getNumElements() *
                        (resultType.getElementTypeBitWidth() / 8))) {
    linalg::GenericOp mine = windowSumInParts(op, fill, total, block, rewriter);
    rewriter.eraseOp(fill.op());
    rewriter.eraseOp(op);
    return {mine};
  }
  linalg::GenericOp blocked =
      onEachBlock(op, 0, rewriter.create<arith::ConstantIndexOp>(loc, 0), total,
                  block, rewriter)
          .second;
  if (largeBlocks.contains(op) || iterationCount(op) >= minParallelIterations)
    largeBlocks.insert(blocked);
  rewriter.eraseOp(op);
  return {blocked};
}

/// A window contraction whose columns take one-register tiles for an
/// edge wider than a register (tileSize: 60 channels on AVX-512 as 16,
/// 16, 16, 12), split by its columns: the tiles of two registers (32)
/// and the rest (28, which takes 16 and 12), each planned on its own so
/// that each tile's rows and fan fit its width (shapeWindowTile). A 3x3
/// convolution into 60 channels ran its forward region 7-10 % faster:
/// k1-mix's (AVX-512, taps outside the image's tiles) and one from 48
/// channels at 16x16 (AVX2, 48 + 12, taps inside); their steps 2-4 %.
/// lenet-caffe's 50 channels as 32 + 18: its step within 1-2 % of tiles
/// of 16 (its forward region was 3-4 % slower when tiles of 32 ran their
/// taps outside the image, each summing a tap's 20 terms). Each part
/// after a fill of its result if the op had one. Returns the parts with
/// their plans, or `op` with `plan` when it is not split (also in a loop:
/// a block of a sum over the batch).
SmallVector<std::pair<linalg::GenericOp, TilePlan>>
ContractionTiler::splitWideWindowEdge(linalg::GenericOp op,
                                      const TilePlan &plan,
                                      RewriterBase &rewriter) {
  unsigned col = plan.order[plan.colLoop];
  int64_t size = op.getStaticLoopRanges()[col];
  int64_t lanes = std::max<int64_t>(tileN / 2, 1);
  int64_t edge = ShapedType::isDynamic(size) ? 0 : size % tileN;
  if (plan.sizes[col] != lanes || size < tileN || edge <= lanes ||
      op->getParentOfType<LoopLikeOpInterface>())
    return {{op, plan}};
  ResultFill fill = fillOfResult(op);
  NewOpsIn created(op->getBlock());
  IRRewriter splitter(op->getContext(), &created);
  SmallVector<std::pair<linalg::GenericOp, TilePlan>> parts;
  bool planned = true;
  for (auto [start, count] :
       {std::pair(int64_t(0), size - edge), std::pair(size - edge, edge)}) {
    splitter.setInsertionPoint(op);
    linalg::GenericOp part =
        onRangeFilled(op, col, splitter.getIndexAttr(start),
                      splitter.getIndexAttr(count), fill, splitter);
    std::optional<TilePlan> partPlan = planFor(part, tileM, tileN, registers);
    planned = planned && partPlan;
    parts.push_back({part, partPlan ? *partPlan : plan});
  }
  if (!planned) {
    // Users were created after what they use.
    for (Operation *made : llvm::reverse(created.ops))
      rewriter.eraseOp(made);
    return {{op, plan}};
  }
  if (largeBlocks.contains(op) || iterationCount(op) >= minParallelIterations)
    for (auto &[part, partPlan] : parts)
      largeBlocks.insert(part);
  if (fill)
    rewriter.eraseOp(fill.op());
  forget(op, rewriter);
  return parts;
}

/// Groups each part of `op`'s sum runs in side by side (inParts): of its
/// result's columns when it has fewer rows than columns, else of its rows
/// (each group reads all of the other operand's block of terms: the
/// smaller one), kPartGroups when they divide into that many of whole
/// register tiles, at least two each; {0, 1} for none. Every group sums
/// the part's terms in the same order: the results do not depend on the
/// groups, only the number of threads a part can run on does.
std::pair<unsigned, int64_t>
ContractionTiler::partGroups(linalg::GenericOp op) const {
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  if (op.getNumLoops() != 3 || ShapedType::isDynamic(sizes[0]) ||
      ShapedType::isDynamic(sizes[1]))
    return {0, 1};
  unsigned dim = sizes[0] < sizes[1] ? 1 : 0;
  int64_t tile = dim == 0 ? tileM : tileN;
  for (int64_t groups = kPartGroups; groups > 1; groups /= 2)
    if (sizes[dim] % (groups * tile) == 0 && sizes[dim] / groups >= 2 * tile)
      return {dim, groups};
  return {0, 1};
}

/// `op`, a sum of `total` terms (the batch, at least kParts * kPartTerms,
/// or kParts * kSumBlock for few row tiles) whose result `fill` zeroes,
/// as kParts parts side by side: an scf.parallel over the parts (and their
/// groups, partGroups; marked kPartsMarker), part p summing its share of
/// the terms (contiguous, in order, in blocks of kSumBlock) into its own
/// partial result, one loop over its blocks as in the one-loop form; then
/// the result is the partials added in part order. Returns the part's (or
/// group's) block of the sum. In one product on two
/// threads, each block of gpt-mini's weight gradients over 2048 rows took ~40
/// parallel regions, its threads waiting at each; two independent halves ran
/// 1.4-1.6x as fast (docs/performance.md). The parts do not depend on
/// the thread count.
linalg::GenericOp ContractionTiler::inParts(linalg::GenericOp op,
                                            ResultFill fill, Value total,
                                            RewriterBase &rewriter) {
  Location loc = op.getLoc();
  unsigned sum = op.getNumLoops() - 1;
  Value result = op.getDpsInitOperand(0)->get();
  Value partials = partialsOf(result, kParts, loc, rewriter);
  auto index = [&](int64_t v) {
    return rewriter.create<arith::ConstantIndexOp>(loc, v);
  };
  Value block = index(kSumBlock), parts = index(kParts);
  Value zero = index(0), one = index(1);
  auto [groupDim, groups] = partGroups(op);
  SmallVector<Value> bounds{parts};
  if (groups > 1)
    bounds.push_back(index(groups));
  auto byPart = rewriter.create<scf::ParallelOp>(
      loc, SmallVector<Value>(bounds.size(), zero), bounds,
      SmallVector<Value>(bounds.size(), one));
  byPart->setAttr(kPartsMarker, rewriter.getUnitAttr());
  rewriter.setInsertionPointToStart(byPart.getBody());
  Value p = byPart.getInductionVars().front();
  // Part p: terms [p * total / kParts, (p + 1) * total / kParts), in
  // blocks of kSumBlock from its first.
  auto [begin, end] = partBounds(rewriter, loc, p, total, parts);
  Value partial = partOf(rewriter, loc, partials, p);
  auto [loop, mine] = onEachBlock(op, sum, begin, end, block, rewriter);
  Value start = loop.getInductionVar();
  rewriter.modifyOpInPlace(mine,
                           [&] { mine.getDpsInitOperand(0)->set(partial); });
  if (groups > 1) {
    // Group g: the part's result [g * size, (g + 1) * size) along groupDim.
    int64_t size = op.getStaticLoopRanges()[groupDim] / groups;
    OpFoldResult first = affine::makeComposedFoldedAffineApply(
        rewriter, loc, rewriter.getAffineDimExpr(0) * size,
        {OpFoldResult(byPart.getInductionVars()[1])});
    linalg::GenericOp group =
        onRange(mine, groupDim, first, rewriter.getIndexAttr(size), rewriter);
    rewriter.eraseOp(mine);
    mine = group;
  }
  fillInFirstBlock(mine, fill, start, begin, rewriter);
  // result = part 0 + part 1 + ..., in that order.
  rewriter.setInsertionPointAfter(byPart);
  addPartsInOrder(rewriter, loc, partials, result);
  return mine;
}
