//===- TileContractions.cpp - register-tiled, vectorized contractions -----===//
//
// Expects: bufferized linalg ops in a func.func. Produces: each generic
// computing out += lhs * rhs (a contraction, or a window contraction such
// as a convolution's input gradient) as loops over register tiles of its
// result, up to `tile-m` rows by `tile-n` contiguous columns, with every
// summed loop innermost. A full contraction tile is one vector.contract
// lowered to FMAs, a window tile an elementwise vector multiply-add; either
// way the accumulator stays in registers for the whole sum (its load and
// store hoisted out of the summed loops). Tiles cut by the edge of the
// result are peeled off: vectorized at their size when it is static, else
// scalar linalg ops (which LLVM vectorizes along the columns); the rows of
// a batch that leave a partial tile run in tiles of 4, 2 and 1 rows
// instead (splitRows), and need none when the batch is merged
// with positions that make whole tiles (rowsOfWholeTiles). The outermost
// tile loop of a large op is an scf.parallel, a partial row tile its last
// iteration. A sum over the batch runs in
// blocks of rows that stay in the L2 cache (blockTheBatchSum). Transposing
// copies become square register tiles too (tileTranspose).
//
// Every result element still sums its terms in increasing order of the
// summed loops, in one loop iteration: the result does not depend on the
// thread count. See Passes.td.
//
// This file is the driver (ContractionTiler::run). The forms a contraction
// is brought into first are ContractionForms', its tile sizes TilePlan's;
// the blocking, packing and tiling steps are the ContractionTiler's
// (ContractionTiler.h names their files); the vectorized tiles become FMAs
// in TileLowering, and their sums are rewritten in TileAccumulators.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ContractionForms.h"
#include "compiler/Transforms/ContractionTiler.h"
#include "compiler/Transforms/NarrowOps.h"
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/TileAccumulators.h"
#include "compiler/Transforms/TileLowering.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

namespace sinter {
#define GEN_PASS_DEF_TILECONTRACTIONS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

/// Marks the two parts of a split column edge while their sum loop is
/// split in two (splitWideEdges).
constexpr StringLiteral kEdgePart = "sinter.edge_part";

/// Collects the linalg.generic ops a rewrite creates.
struct NewGenerics : public RewriterBase::Listener {
  SmallVector<linalg::LinalgOp> ops;
  void notifyOperationInserted(Operation *op, OpBuilder::InsertPoint) override {
    if (auto generic = dyn_cast<linalg::GenericOp>(op))
      ops.push_back(generic);
  }
};

/// Whether an input of `tile` reads along its innermost loop where its
/// elements are not contiguous (each vector a gather).
bool gathersRows(linalg::GenericOp tile) {
  unsigned innermost = tile.getNumLoops() - 1;
  return llvm::any_of(tile.getDpsInputOperands(), [&](OpOperand *in) {
    AffineMap map = tile.getMatchingIndexingMap(in);
    if (!map.isFunctionOfDim(innermost))
      return false;
    auto type = dyn_cast<MemRefType>(in->get().getType());
    return !type || !isLastMemrefDimUnitStride(type) ||
           llvm::any_of(map.getResults().drop_back(), [&](AffineExpr e) {
             return e.isFunctionOfDim(innermost);
           });
  });
}

} // namespace

LogicalResult ContractionTiler::run(func::FuncOp func) {
  IRRewriter rewriter(func.getContext());
  SmallVector<std::pair<linalg::GenericOp, TilePlan>> candidates, work;
  SmallVector<linalg::GenericOp> transposes;
  func.walk([&](linalg::GenericOp op) {
    if (op->getParentOfType<LoopLikeOpInterface>())
      return;
    if (isTransposingCopy(op))
      transposes.push_back(op);
    else if (std::optional<TilePlan> plan =
                 planFor(op, tileM, tileN, registers))
      candidates.push_back({op, std::move(*plan)});
  });
  for (auto &[op, plan] : candidates)
    if (plan.window)
      for (linalg::GenericOp block : blockTheWindowSum(op, plan, rewriter))
        work.append(splitWideWindowEdge(block, plan, rewriter));
    else if (std::optional<linalg::GenericOp> merged =
                 withOneSum(op, rewriter)) {
      // Loops in tile order (other result dimensions, rows, columns, the
      // sum): vector.contract lowers to FMAs along the columns only from
      // this (m, n, k) form.
      linalg::GenericOp ordered = inputsRowsFirst(*merged, rewriter);
      rowsFirst(ordered, rewriter);
      rewriter.setInsertionPoint(ordered);
      SmallVector<unsigned> order =
          planFor(ordered, tileM, tileN, registers)->order;
      auto skip = ordered->getAttrOfType<DenseI64ArrayAttr>(kSkipAboveAttr);
      FailureOr<linalg::GenericOp> canonical =
          linalg::interchangeGenericOp(rewriter, ordered, order);
      if (failed(canonical))
        return failure();
      // Loop i of the interchanged op is loop order[i] of the old one.
      if (skip) {
        auto at = [&](int64_t loop) {
          return int64_t(llvm::find(order, loop) - order.begin());
        };
        (*canonical)
            ->setAttr(kSkipAboveAttr, rewriter.getDenseI64ArrayAttr(
                                          {at(skip[0]), at(skip[1])}));
      }
      FailureOr<SmallVector<linalg::GenericOp>> forms =
          columnsOnThreads(*canonical, transposes, rewriter);
      if (failed(forms))
        return failure();
      for (linalg::GenericOp form : *forms) {
        conditionalTranspose(form, transposes, rewriter);
        bool large = iterationCount(form) >= minParallelIterations;
        // A block on threads with its panel on the stack sums all its
        // terms at once: the panel stays in its thread's caches, and each
        // tile is written once (mnist-mlp's first product, 784 terms: in
        // blocks of 256 its tiles were written four times, read back
        // three; the step 1-2 % faster).
        bool ownPanel =
            form->getParentOfType<scf::ParallelOp>() &&
            form.getDpsInputs()[1].getDefiningOp<memref::AllocaOp>();
        SmallVector<linalg::GenericOp> whole{form};
        for (linalg::GenericOp sums :
             ownPanel ? whole : blockTheBatchSum(form, rewriter))
          for (linalg::GenericOp block : blockTheColumns(sums, rewriter)) {
            if (large)
              largeBlocks.insert(block);
            work.push_back({block, *planFor(block, tileM, tileN, registers)});
          }
      }
    }
  if (work.empty() && transposes.empty())
    return success();
  for (auto &[op, plan] : work)
    if (failed(tile(op, plan, rewriter)))
      return failure();
  for (linalg::GenericOp op : transposes)
    if (failed(tileTranspose(op, rewriter)))
      return failure();

  // Peeling left the full tiles' sizes as constants, and a window's reads
  // have sizes bounded through the loops' ranges (min(18 - j - b, 7) is 7
  // for j < 8, b < 5): fold them into static shapes, which vectorize
  // without masks.
  if (failed(applyPatterns(func, [](RewritePatternSet &p) {
        scf::populateSCFForLoopCanonicalizationPatterns(p);
        addCanonicalization(p);
      })))
    return failure();
  if (failed(splitWideEdges(func, rewriter)))
    return failure();
  SmallVector<linalg::LinalgOp> tiles, windowTiles;
  func.walk([&](linalg::LinalgOp op) {
    // A transpose's tile is one shuffle of its elements: whole squares
    // have AVX-512's shuffle network, edges up to 10 x 16 lowered fine,
    // a 13 x 16 edge (of a 45 x 33 weight) was built partly through the
    // stack, and so was a 9 x 13 corner (of a 365 x 601 weight, in a
    // trainer: its values spilled and reloaded one by one). Larger edges
    // and the corners stay copies (sinter-vectorize-narrow-ops' blocks
    // of 8 rows): a transpose has one corner.
    if (op->removeAttr(kTransposeTileMarker)) {
      int64_t width = std::max<int64_t>(tileN / 2, 1);
      SmallVector<int64_t> sizes = op.getStaticLoopRanges();
      if (!ShapedType::isDynamicShape(sizes) &&
          llvm::is_contained(sizes, width) &&
          (sizes[0] == sizes[1] ||
           sizes[0] * sizes[1] <= sinter::kMostShuffleLanes))
        tiles.push_back(op);
      return;
    }
    bool window = bool(op->removeAttr(kWindowTileMarker));
    if (window)
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
        staticWindowInputs(generic, rewriter);
    if ((bool(op->removeAttr(kTileMarker)) || window) &&
        op.hasPureBufferSemantics() && !op.hasDynamicShape())
      (window ? windowTiles : tiles).push_back(op);
  });
  // A window tile's unit loops (the taps, the summed channel) go: what
  // is left is an elementwise multiply-add of a strided column of the
  // input and a row of the filter, which vectorizes.
  // On buffers linalg::dropUnitDims drops the loops only (its operand
  // rewriting is for tensors); withoutUnitOperandDims does the operands.
  NewGenerics created;
  IRRewriter dropper(func.getContext(), &created);
  int64_t lanes = std::max<int64_t>(tileN / 2, 1);
  for (linalg::LinalgOp op : windowTiles) {
    AffineMap result = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    bool oneColumn = op.getStaticLoopRanges()[result.getDimPosition(
                         result.getNumResults() - 1)] == 1;
    dropper.setInsertionPoint(op);
    created.ops.clear();
    if (failed(linalg::dropUnitDims(dropper,
                                    cast<linalg::GenericOp>(op.getOperation()),
                                    linalg::ControlDropUnitDims())) ||
        created.ops.size() != 1)
      continue; // stays a scalar tile
    linalg::GenericOp tile = withoutUnitOperandDims(
        cast<linalg::GenericOp>(created.ops.front().getOperation()), rewriter);
    // An edge of one column leaves the rows innermost: 11 of them on
    // AVX2 are no vector width (LLVM built them float by float through
    // the stack). Such a tile stays scalar.
    int64_t inner = tile.getStaticLoopRanges().back();
    if (inner > lanes && inner % lanes != 0)
      continue;
    // So does one whose rows an input holds apart (a channels-last
    // input's positions, a row of channels apart): each vector would be
    // built value by value, one insert each, and in a large nest LLVM
    // spilled one of the values (a 5x5 convolution into 17 channels on
    // 4x4 images: its edge of one channel as 4 x 4 positions).
    if (oneColumn && gathersRows(tile))
      continue;
    tiles.push_back(tile);
  }
  // A tile the vectorizer does not take (a window read at a stride along
  // the rows, say) stays a scalar linalg op: slower, never wrong.
  for (linalg::LinalgOp op : tiles) {
    rewriter.setInsertionPoint(op);
    if (succeeded(linalg::vectorizeOpPrecondition(op)))
      if (failed(linalg::vectorize(rewriter, op))) {
        op.emitError("could not vectorize this register tile");
        return failure();
      }
  }
  if (failed(lowerTiles(func, tileN, registers)))
    return failure();
  if (failed(unrollMarkedSums(func)))
    return failure();
  func.walk([](scf::ParallelOp loop) { loop->removeAttr(kPartsMarker); });
  splitAccumulators(func, lanes, rewriter);
  startFromGuardedFills(func);
  return success();
}

/// Splits each contraction tile (and its fill) whose columns are more
/// than one register but not two (the edge of 500 columns in tiles of
/// 32: 20) into a tile of one register and the rest, 16 and 4: 20
/// floats are no vector width (see tileSize). Expects the tiles' shapes
/// static (canonicalized); leaves them so.
LogicalResult ContractionTiler::splitWideEdges(func::FuncOp func,
                                               RewriterBase &rewriter) {
  int64_t lanes = std::max<int64_t>(tileN / 2, 1);
  // The loop of `op` along its result's columns, if it is wider than
  // `lanes` and narrower than two registers.
  auto wideColumns = [&](linalg::LinalgOp op) -> std::optional<unsigned> {
    if (op.getNumDpsInits() != 1 || op.hasDynamicShape())
      return std::nullopt;
    AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    auto col = dyn_cast<AffineDimExpr>(out.getResults().back());
    if (!col)
      return std::nullopt;
    int64_t width = op.getStaticLoopRanges()[col.getPosition()];
    if (width <= lanes || width >= 2 * lanes)
      return std::nullopt;
    return col.getPosition();
  };
  SmallVector<std::pair<linalg::LinalgOp, unsigned>> edges;
  func.walk([&](linalg::LinalgOp op) {
    if (!op->hasAttr(kTileMarker) || !op.hasPureBufferSemantics())
      return;
    if (std::optional<unsigned> col = wideColumns(op))
      edges.push_back({op, *col});
  });
  if (edges.empty())
    return success();
  for (auto [op, col] : edges) {
    // The tile's own sum loop (its terms one a step), if it is in one.
    auto sum = dyn_cast<scf::ForOp>(op->getParentOp());
    if (sum && (sum.getNumResults() != 0 ||
                !llvm::all_of(sum.getBody()->without_terminator(),
                              [&](Operation &inside) {
                                return &inside == op || isPure(&inside);
                              })))
      sum = nullptr;
    // The tile's clones keep its marker.
    FailureOr<scf::ForOp> whole = blocksOf(op, col, lanes, rewriter);
    if (failed(whole))
      return op->emitError("could not split this tile's column edge");
    scf::ForOp rest;
    if (failed(scf::peelForLoopAndSimplifyBounds(rewriter, *whole, rest)) ||
        !sum)
      continue;
    // Each part its own sum loop: in one, neither's accumulator would
    // stay in registers (linalg's hoisting proves two transfers of a
    // buffer apart only when their vectors have the same shape).
    (*whole)->setAttr(kEdgePart, rewriter.getI64IntegerAttr(0));
    rest->setAttr(kEdgePart, rewriter.getI64IntegerAttr(1));
    rewriter.setInsertionPointAfter(sum);
    Operation *second = rewriter.clone(*sum);
    for (auto [loop, keep] :
         {std::pair(sum.getOperation(), 0), std::pair(second, 1)})
      loop->walk([&, keep = keep](scf::ForOp part) {
        auto number = part->getAttrOfType<IntegerAttr>(kEdgePart);
        if (!number)
          return;
        if (number.getInt() != keep)
          rewriter.eraseOp(part);
        else
          part->removeAttr(kEdgePart);
      });
  }
  return applyPatterns(func, [](RewritePatternSet &p) {
    scf::populateSCFForLoopCanonicalizationPatterns(p);
    addCanonicalization(p);
  });
}

namespace {

struct TileContractionsPass
    : public sinter::impl::TileContractionsBase<TileContractionsPass> {
  using TileContractionsBase::TileContractionsBase;

  void runOnOperation() override {
    ContractionTiler tiler(tileM, tileN, registers, minParallelIterations);
    if (failed(tiler.run(getOperation())))
      signalPassFailure();
  }
};

} // namespace
