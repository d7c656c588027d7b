//===- ColumnsOnThreads.cpp - products with few rows by their columns -----===//
//
// sinter-tile-contractions' forms for a product whose right operand is a
// weight read transposed (an input gradient dY · Wᵀ, through the
// transposing copy sinter-lower-to-linalg made) or packed by every
// thread: with few rows, blocks of columns on threads, each packing its
// own panel; else the transposing copy runs only when the product will
// not pack (packPanel then reads the copy's source, transposed).
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ContractionTiler.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace sinter;

namespace {

/// Elements of an input gradient's left operand (dY: rows x terms) under
/// which its product runs by columns on threads (columnsOnThreads): each
/// block of columns reads all of dY, from L2 when it is up to 2 MiB (dX of
/// 1024 x 512 x 512: 1.01x the row tiles' speed, 1024^3: 0.93x).
constexpr int64_t kColumnsOnThreadsElements = 512 * 1024;

/// Bytes up to which a block of columns on threads (columnsOnThreads) packs
/// its panel on its thread's stack, the same addresses for each block a
/// thread runs, hot in its caches. In a buffer of all the blocks' panels,
/// each block wrote lines the rest of the step had evicted (mnist-mlp's
/// first product: its panel copies, whose stores waited for those lines,
/// were 21 % of the product's samples, 3 % on the stack; the product 9 %
/// faster on one thread). Bounded so that a thread's stack (glibc's
/// default is 8 MiB) holds it: 1024 terms of a tile of 32 columns.
constexpr int64_t kMostStackPanelBytes = 128 * 1024;

/// The transposing copy among `copies` whose result `op` reads as its
/// right operand and nothing else does, when `op` is a product in (m, n,
/// k) order whose rows are the batch and the copy could run anywhere
/// from its place to `op`: in `op`'s block before it, after `op`'s left
/// operand, with nothing between but allocations, fills of other buffers
/// and pure ops. Null otherwise.
linalg::GenericOp transposingCopyFor(linalg::GenericOp op,
                                     ArrayRef<linalg::GenericOp> copies) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  MLIRContext *ctx = op.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  if (op.getNumLoops() != 3 || !ShapedType::isDynamic(ranges[0]) ||
      op.getMatchingIndexingMap(op.getDpsInputOperand(1)) !=
          AffineMap::get(3, 0, {k, n}, ctx) ||
      op.getMatchingIndexingMap(op.getDpsInputOperand(0)) !=
          AffineMap::get(3, 0, {m, k}, ctx))
    return nullptr;
  Value transposed = op.getDpsInputs()[1];
  auto found = llvm::find_if(copies, [&](linalg::GenericOp c) {
    return c.getDpsInits()[0] == transposed;
  });
  if (found == copies.end())
    return nullptr;
  linalg::GenericOp copy = *found;
  if (copy->getBlock() != op->getBlock() || !copy->isBeforeInBlock(op))
    return nullptr;
  for (Operation *user : transposed.getUsers())
    if (user != copy && user != op && !isa<memref::DeallocOp>(user))
      return nullptr;
  // The batch's rows are read before the copy.
  Value lhs = op.getDpsInputs()[0];
  if (Operation *def = lhs.getDefiningOp();
      def && def->getBlock() == copy->getBlock() && !def->isBeforeInBlock(copy))
    return nullptr;
  for (Operation *between = copy->getNextNode(); between != op;
       between = between->getNextNode()) {
    auto fill = dyn_cast<linalg::FillOp>(between);
    if (fill && fill.getDpsInits()[0] == copy.getDpsInputs()[0])
      return nullptr;
    if (!isa<memref::AllocOp>(between) && !fill && !isPure(between))
      return nullptr;
  }
  return copy;
}

} // namespace

/// Whether `op`, a product in (m, n, k) order whose rows are the batch,
/// reads a static right operand rhs[k, n] whose panels it would pack
/// (line panels) for all the threads' row tiles: like Wᵀ's
/// (columnsOnThreads), half of each panel would come from the other
/// core.
bool ContractionTiler::packsSharedPanels(linalg::GenericOp op) const {
  if (op.getNumLoops() != 3)
    return false;
  MLIRContext *ctx = op.getContext();
  AffineExpr n = getAffineDimExpr(1, ctx), k = getAffineDimExpr(2, ctx);
  auto rhs = dyn_cast<MemRefType>(op.getDpsInputs()[1].getType());
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  return rhs && rhs.getRank() == 2 && rhs.hasStaticShape() &&
         op.getMatchingIndexingMap(op.getDpsInputOperand(1)) ==
             AffineMap::get(3, 0, {k, n}, ctx) &&
         ShapedType::isDynamic(ranges[0]) && linePanels(ranges[1]);
}

/// Runs the product `op`, an input gradient dX = dY · Wᵀ whose right
/// operand is W's transposing copy (transposingCopyFor), in blocks of
/// tileN columns on threads when its rows are few: each block copies its
/// rows of W, transposed, into a panel of its own (on its thread's stack
/// up to kMostStackPanelBytes, else in Wᵀ's buffer) and
/// runs all the rows' tiles over it. Row tiles on threads each read all
/// of Wᵀ, half of it written by the other core just before (two threads,
/// 37 x 512 x 512: 96 GFLOP/s, slower than one; 128 x 512 x 512: 240); by
/// columns, a core reads its own rows of W, writes and reads its own
/// panels and shares only dY and dX (282 and 395). Few: dY within
/// kColumnsOnThreadsElements, or rows x (terms + columns) under Wᵀ's
/// terms x columns. Not for sums shorter than a tile's width (dX of a
/// 10-wide layer: 0.86x), nor where the batch is merged with positions
/// that make enough rows. A product that would pack its right operand's
/// panels (packsSharedPanels: mnist-mlp's X · W) runs so too, each block
/// copying its columns of that operand into its panel, when rows x
/// (terms + columns) is under terms x columns (128 x 784 -> 512 on
/// AVX-512, 2 threads: 235 -> 333 GFLOP/s; mnist-mlp's step 1.89 -> 1.69
/// ms); past that, sharing the panels costs less than every block
/// reading all of X (gpt-mini's 2048 x 128 -> 512 ran 4 % slower). An
/// scf.if on the rows holds both forms, the other `op` after its copy as
/// before. Returns the blocks and `op`; each result element sums its
/// terms in the same order in either form.
FailureOr<SmallVector<linalg::GenericOp>>
ContractionTiler::columnsOnThreads(linalg::GenericOp op,
                                   ArrayRef<linalg::GenericOp> copies,
                                   RewriterBase &rewriter) {
  SmallVector<linalg::GenericOp> blocks = {op};
  linalg::GenericOp copy = transposingCopyFor(op, copies);
  if (!copy && !packsSharedPanels(op))
    return blocks;
  // Wᵀ is static (isTransposingCopy), and so is a right operand that
  // packs: so are the columns and terms.
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t columns = ranges[1], terms = ranges[2], width = tileN;
  if (columns < 2 * width || terms < width)
    return blocks;
  int64_t fewRows = columns * terms / (columns + terms);
  if (copy)
    fewRows = std::max(fewRows, kColumnsOnThreadsElements / terms);
  if (llvm::any_of(mergedRowFactors(op, 0),
                   [&](int64_t least) { return least >= fewRows; }))
    return blocks;
  Location loc = op.getLoc();
  ResultFill fill = fillOfResult(op);
  rewriter.setInsertionPoint(fill ? fill.op() : op.getOperation());
  auto constant = [&](int64_t v) {
    return rewriter.create<arith::ConstantIndexOp>(loc, v);
  };
  Value rows = rewriter.create<memref::DimOp>(loc, op.getDpsInputs()[0], 0);
  Value few = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt,
                                             rows, constant(fewRows));
  auto choice = rewriter.create<scf::IfOp>(loc, few, /*withElse=*/true);
  for (Operation *kept : {copy ? copy.getOperation() : nullptr,
                          fill ? fill.op() : nullptr, op.getOperation()})
    if (kept)
      rewriter.moveOpBefore(kept, choice.elseBlock()->getTerminator());
  // Before the panels take Wᵀ's buffer (a use the copy may not have).
  if (copy)
    conditionalTranspose(op, copies, rewriter);
  rewriter.setInsertionPoint(choice.thenBlock()->getTerminator());
  // Each block's panel on its thread's stack (kMostStackPanelBytes), or
  // the panels one after another (the last `columns - whole * width`
  // wide) in Wᵀ's place: this form does not write it.
  int64_t whole = columns / width, all = llvm::divideCeil(columns, width);
  Type f32 = rewriter.getF32Type();
  bool onStack = terms * width * 4 <= kMostStackPanelBytes;
  Value transposed = copy ? copy.getDpsInits()[0] : nullptr, panels;
  if (!onStack) {
    if (copy && cast<MemRefType>(transposed.getType()).getLayout().isIdentity())
      panels = rewriter.create<memref::CollapseShapeOp>(
          loc, transposed, SmallVector<ReassociationIndices>{{0, 1}});
    else
      panels =
          allocInEntry(MemRefType::get({columns * terms}, f32), loc, rewriter);
    if (!panels)
      return failure();
  }
  // W ([columns, terms], transposed into the panels) or the right
  // operand itself ([terms, columns]).
  Value weight = copy ? copy.getDpsInputs()[0] : op.getDpsInputs()[1];
  auto loop = rewriter.create<scf::ParallelOp>(loc, ValueRange{constant(0)},
                                               ValueRange{constant(all)},
                                               ValueRange{constant(1)});
  rewriter.setInsertionPoint(loop.getBody()->getTerminator());
  Value t = loop.getInductionVars()[0];
  AffineExpr d = rewriter.getAffineDimExpr(0);
  OpFoldResult first =
      affine::makeComposedFoldedAffineApply(rewriter, loc, d * width, {t});
  // A block's first element in the shared panels (none on the stack).
  OpFoldResult start = onStack ? OpFoldResult()
                               : affine::makeComposedFoldedAffineApply(
                                     rewriter, loc, d * (terms * width), {t});
  SmallVector<OpFoldResult> ones(2, rewriter.getIndexAttr(1));
  // The block of `count` columns from `first`.
  auto block = [&](int64_t count) -> LogicalResult {
    OpFoldResult size = rewriter.getIndexAttr(count),
                 sum = rewriter.getIndexAttr(terms);
    SmallVector<OpFoldResult> at{first, rewriter.getIndexAttr(0)},
        extent{size, sum};
    if (!copy) {
      std::swap(at[0], at[1]);
      std::swap(extent[0], extent[1]);
    }
    Value from =
        rewriter.create<memref::SubViewOp>(loc, weight, at, extent, ones);
    FailureOr<Value> panel =
        onStack ? rewriter
                      .create<memref::AllocaOp>(
                          loc, MemRefType::get({terms, count}, f32),
                          rewriter.getI64IntegerAttr(64))
                      .getResult()
                : panelIn(panels, start, terms, count, rewriter);
    if (failed(panel))
      return failure();
    if (!copy)
      rewriter.create<linalg::CopyOp>(loc, from, *panel);
    else if (failed(copyTransposed(from, *panel, rewriter,
                                   /*mayParallelize=*/false)))
      return failure();
    linalg::GenericOp part = onRangeFilled(op, 1, first, size, fill, rewriter);
    OpOperand &rhs = *part.getDpsInputOperand(1);
    Value view = rhs.get();
    rhs.set(*panel);
    rewriter.eraseOp(view.getDefiningOp());
    blocks.push_back(part);
    return success();
  };
  if (whole == all) {
    if (failed(block(width)))
      return failure();
    return blocks;
  }
  // The edge block, the last iteration.
  auto edge = rewriter.create<scf::IfOp>(
      loc,
      rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, t,
                                     constant(whole)),
      /*withElse=*/true);
  rewriter.setInsertionPoint(edge.thenBlock()->getTerminator());
  if (failed(block(width)))
    return failure();
  rewriter.setInsertionPoint(edge.elseBlock()->getTerminator());
  if (failed(block(columns - whole * width)))
    return failure();
  return blocks;
}

/// Makes the transposing copy `copy`, whose result only `op` (a product
/// in (m, n, k) order whose rows are the batch, rhs[k, n] the copy)
/// reads, run only when `op` will not pack its panels: when it packs,
/// packPanel copies the copy's source straight into the panels,
/// transposed (1024^3 dX: the copy was 4 MiB each way besides the
/// panels). Only where every block of columns packs (columns a multiple
/// of the block) and the copy may move (transposingCopyFor).
void ContractionTiler::conditionalTranspose(linalg::GenericOp op,
                                            ArrayRef<linalg::GenericOp> copies,
                                            RewriterBase &rewriter) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (op.getNumLoops() != 3 ||
      !blocksColumns(ranges[1], ranges[2], linePanels(ranges[1])))
    return;
  linalg::GenericOp copy = transposingCopyFor(op, copies);
  if (!copy)
    return;
  Value transposed = copy.getDpsInits()[0];
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(copy);
  Value rows = rewriter.create<memref::DimOp>(loc, op.getDpsInputs()[0], 0);
  Value few = rewriter.create<arith::CmpIOp>(
      loc, arith::CmpIPredicate::slt, rows,
      rewriter.create<arith::ConstantIndexOp>(
          loc, llvm::divideCeil(packElements(ranges[1]), ranges[1])));
  auto onlyThen = rewriter.create<scf::IfOp>(loc, few);
  rewriter.moveOpBefore(copy, onlyThen.thenBlock()->getTerminator());
  transposedFrom[transposed] = copy.getDpsInputs()[0];
}

/// When `view` (a right operand's block) is a window of a buffer whose
/// transposing copy runs only when the product does not pack
/// (conditionalTranspose): the same window of the copy's source,
/// transposed, made at the insertion point (null when the window is not
/// of unit strides). Nothing for other views.
std::optional<Value>
ContractionTiler::viewOfTransposed(Value view, RewriterBase &rewriter) {
  Location loc = view.getLoc();
  SmallVector<OpFoldResult> offsets(2, rewriter.getIndexAttr(0));
  Value root = view;
  bool unitStrides = true;
  while (true) {
    if (auto cast = root.getDefiningOp<memref::CastOp>()) {
      root = cast.getSource();
    } else if (auto sub = root.getDefiningOp<memref::SubViewOp>()) {
      if (sub.getSourceType().getRank() != 2 ||
          !llvm::all_of(sub.getStaticStrides(),
                        [](int64_t s) { return s == 1; }))
        unitStrides = false;
      for (auto [offset, more] : llvm::zip(offsets, sub.getMixedOffsets()))
        offset = affine::makeComposedFoldedAffineApply(
            rewriter, loc,
            rewriter.getAffineDimExpr(0) + rewriter.getAffineDimExpr(1),
            {offset, more});
      root = sub.getSource();
    } else {
      break;
    }
  }
  auto source = transposedFrom.find(root);
  if (source == transposedFrom.end())
    return std::nullopt;
  if (!unitStrides)
    return Value();
  SmallVector<OpFoldResult> sizes = {
      memref::getMixedSize(rewriter, loc, view, 1),
      memref::getMixedSize(rewriter, loc, view, 0)};
  return rewriter
      .create<memref::SubViewOp>(
          loc, source->second,
          SmallVector<OpFoldResult>{offsets[1], offsets[0]}, sizes,
          SmallVector<OpFoldResult>(2, rewriter.getIndexAttr(1)))
      .getResult();
}
