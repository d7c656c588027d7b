//===- TileContractions.cpp - register-tiled, vectorized contractions -----===//
//
// Expects: bufferized linalg ops in a func.func. Produces: each contraction
// (a generic computing out += lhs * rhs, summed over its reduction loops)
// as loops over register tiles of its result, `tile-m` rows by `tile-n`
// contiguous columns, with every summed loop innermost. Each full tile is
// one vector.contract lowered to FMAs whose accumulator stays in registers
// for the whole sum (its load and store hoisted out of the summed loops);
// tiles cut by the edge of the result are peeled off and stay scalar linalg
// ops. The outermost tile loop of a large contraction is an scf.parallel.
//
// Every result element still sums its terms in increasing order of the
// summed loops, in one loop iteration: the result does not depend on the
// thread count. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace sinter {
#define GEN_PASS_DEF_TILECONTRACTIONS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

/// Marks the tiles to vectorize until the loops around them settle.
constexpr StringLiteral kTileMarker = "sinter.register_tile";

/// How one contraction is tiled: a size per loop (in the op's loop order)
/// and the order of the tile loops.
struct TilePlan {
  SmallVector<int64_t> sizes;
  SmallVector<unsigned> order;
  /// Positions in `order` of the row and column loops, which may need their
  /// partial tiles peeled (-1: none).
  int rowLoop = -1, colLoop = -1;
};

/// The tile size along a dimension of `size` (dynamic or static) for a
/// register tile of `preferred`: a divisor of a static size if one of
/// preferred, preferred/2, preferred/4 divides it, the whole of a small
/// static size, else `preferred` (the edge gets peeled).
int64_t tileSize(int64_t size, int64_t preferred) {
  if (ShapedType::isDynamic(size))
    return preferred;
  for (int64_t t = preferred; t >= preferred / 4 && t >= 1; t /= 2)
    if (size % t == 0)
      return t;
  return size < preferred ? size : preferred;
}

/// The plan for `op`, or nothing when it is not a contraction whose result
/// is contiguous along a loop that no operand strides through.
std::optional<TilePlan> planFor(linalg::GenericOp op, int64_t tileM,
                                int64_t tileN) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op) ||
      !op.getDpsInitOperand(0)->get().getType().isa<MemRefType>())
    return std::nullopt;
  auto resultType = cast<MemRefType>(op.getDpsInitOperand(0)->get().getType());
  if (!resultType.getElementType().isF32() || resultType.getRank() == 0 ||
      !resultType.getLayout().isIdentity())
    return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto col = dyn_cast<AffineDimExpr>(out.getResults().back());
  if (!col)
    return std::nullopt;
  // Every operand that has the column loop must be contiguous along it:
  // the tile reads it as whole vectors.
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    for (unsigned r = 0; r + 1 < map.getNumResults(); ++r)
      if (map.getResult(r) == col)
        return std::nullopt;
  }
  std::optional<unsigned> row;
  if (out.getNumResults() >= 2)
    if (auto d = dyn_cast<AffineDimExpr>(out.getResults().drop_back().back()))
      row = d.getPosition();

  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  TilePlan plan;
  plan.sizes.assign(ranges.size(), 1);
  // Outer loops over the other result dimensions, then rows, columns, and
  // the sums innermost.
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (iters[d] == utils::IteratorType::parallel && d != row &&
        d != col.getPosition())
      plan.order.push_back(d);
  if (row) {
    plan.rowLoop = plan.order.size();
    plan.order.push_back(*row);
    plan.sizes[*row] = tileSize(ranges[*row], tileM);
  }
  plan.colLoop = plan.order.size();
  plan.order.push_back(col.getPosition());
  plan.sizes[col.getPosition()] = tileSize(ranges[col.getPosition()], tileN);
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (iters[d] == utils::IteratorType::reduction)
      plan.order.push_back(d);
  return plan;
}

/// `op` with its summed loops merged into one, so that a register tile is
/// a contraction over a single index (vector.contract lowers to FMAs only
/// then): dW = Σ_b Σ_t x[b,t,m]·dy[b,t,n] sums over bt. The sum runs in the
/// same order. Nothing when there is one summed loop, or when the summed
/// loops are not adjacent and contiguous in every operand (the op is then
/// left to plain loops).
std::optional<linalg::GenericOp> withOneSum(linalg::GenericOp op,
                                            RewriterBase &rewriter) {
  ReassociationIndices sums;
  for (auto [d, iter] : llvm::enumerate(op.getIteratorTypesArray()))
    if (iter == utils::IteratorType::reduction)
      sums.push_back(d);
  if (sums.size() == 1)
    return op;
  if (sums.empty() || sums.back() - sums.front() + 1 != int64_t(sums.size()) ||
      !linalg::areDimSequencesPreserved(op.getIndexingMapsArray(), {sums}))
    return std::nullopt;
  for (Value operand : op->getOperands())
    if (!cast<MemRefType>(operand.getType()).getLayout().isIdentity())
      return std::nullopt;
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::CollapseResult> merged =
      linalg::collapseOpIterationDims(op, {sums}, rewriter);
  if (failed(merged))
    return std::nullopt;
  rewriter.eraseOp(op);
  return cast<linalg::GenericOp>(merged->collapsedOp.getOperation());
}

/// Makes the product in `op`'s body read rows · columns: the operand that
/// has the result's column loop second. vector.contract takes its operands
/// in the product's order and lowers only rows · columns to FMAs along the
/// columns (the other order transposes the accumulator every step).
/// Products commute exactly: the result is unchanged.
void rowsFirst(linalg::GenericOp op, RewriterBase &rewriter) {
  AffineExpr col =
      op.getMatchingIndexingMap(op.getDpsInitOperand(0)).getResults().back();
  auto hasColumns = [&](Value factor) {
    auto arg = dyn_cast<BlockArgument>(factor);
    return arg && arg.getOwner() == op.getBody() &&
           arg.getArgNumber() < op.getNumDpsInputs() &&
           llvm::is_contained(
               op.getMatchingIndexingMap(op.getDpsInputOperand(
                                             arg.getArgNumber()))
                   .getResults(),
               col);
  };
  op.getBody()->walk([&](arith::MulFOp product) {
    if (hasColumns(product.getLhs()) && !hasColumns(product.getRhs()))
      rewriter.modifyOpInPlace(product, [&] {
        product->setOperands({product.getRhs(), product.getLhs()});
      });
  });
}

/// Applies `populate`'s patterns to `root` until they settle.
LogicalResult
applyPatterns(Operation *root,
              function_ref<void(RewritePatternSet &)> populate) {
  RewritePatternSet patterns(root->getContext());
  populate(patterns);
  return applyPatternsAndFoldGreedily(root, std::move(patterns));
}

/// Every op's and dialect's canonicalization patterns.
void addCanonicalization(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
}

struct TileContractionsPass
    : public sinter::impl::TileContractionsBase<TileContractionsPass> {
  using TileContractionsBase::TileContractionsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<std::pair<linalg::GenericOp, TilePlan>> work;
    SmallVector<linalg::GenericOp> candidates;
    func.walk([&](linalg::GenericOp op) {
      if (!op->getParentOfType<LoopLikeOpInterface>() &&
          planFor(op, tileM, tileN))
        candidates.push_back(op);
    });
    for (linalg::GenericOp op : candidates)
      if (std::optional<linalg::GenericOp> merged = withOneSum(op, rewriter)) {
        // Loops in tile order (other result dimensions, rows, columns, the
        // sum): vector.contract lowers to FMAs along the columns only from
        // this (m, n, k) form.
        linalg::GenericOp ordered = *merged;
        rowsFirst(ordered, rewriter);
        rewriter.setInsertionPoint(ordered);
        FailureOr<linalg::GenericOp> canonical = linalg::interchangeGenericOp(
            rewriter, ordered, planFor(ordered, tileM, tileN)->order);
        if (failed(canonical))
          return signalPassFailure();
        work.push_back({*canonical, *planFor(*canonical, tileM, tileN)});
      }
    if (work.empty())
      return;
    for (auto &[op, plan] : work)
      if (failed(tile(op, plan, rewriter)))
        return signalPassFailure();

    // Peeling left the full tiles' sizes as constants: fold them into
    // static shapes, which vectorize without masks.
    if (failed(applyPatterns(func, addCanonicalization)))
      return signalPassFailure();
    SmallVector<linalg::LinalgOp> tiles;
    func.walk([&](linalg::LinalgOp op) {
      if (op->removeAttr(kTileMarker) && op.hasPureBufferSemantics() &&
          !op.hasDynamicShape())
        tiles.push_back(op);
    });
    for (linalg::LinalgOp op : tiles) {
      rewriter.setInsertionPoint(op);
      if (failed(linalg::vectorize(rewriter, op)))
        return signalPassFailure();
    }
    if (failed(lowerTiles(func)))
      return signalPassFailure();
  }

  /// Replaces `op` by its loop nest of register tiles (marked), the row and
  /// column loops peeled so that all but the last tiles are full; a large
  /// op's outermost loop parallel.
  LogicalResult tile(linalg::GenericOp op, const TilePlan &plan,
                     RewriterBase &rewriter) {
    bool large = iterationCount(op) >= minParallelIterations;
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::TiledLinalgOp> tiled = linalg::tileLinalgOp(
        rewriter, op,
        linalg::LinalgTilingOptions().setTileSizes(plan.sizes).setInterchange(
            plan.order));
    if (failed(tiled))
      return op.emitError("could not tile this contraction");
    tiled->op->setAttr(kTileMarker, rewriter.getUnitAttr());
    rewriter.eraseOp(op);
    SmallVector<scf::ForOp> edges;
    for (int loop : {plan.rowLoop, plan.colLoop})
      if (loop >= 0)
        edges.push_back(cast<scf::ForOp>(tiled->loops[loop]));
    scf::ForOp outer = cast<scf::ForOp>(tiled->loops.front());
    linalg::peelLoops(rewriter, edges);
    if (large)
      parallelize(outer, rewriter);
    return success();
  }

  /// Turns the vectorized tiles into FMAs on a register-held accumulator:
  /// the recipe of ../shared/notes/cpu-codegen-mlir19.md §2.2 on buffers.
  LogicalResult lowerTiles(func::FuncOp func) {
    // Reads and writes address the whole buffers, so the accumulator's are
    // the same at every step of the sum, and hoistable.
    if (failed(applyPatterns(func, [](RewritePatternSet &p) {
          memref::populateFoldMemRefAliasOpPatterns(p);
          vector::populateVectorReductionToContractPatterns(p);
          vector::populateVectorTransferPermutationMapLoweringPatterns(p);
          addCanonicalization(p);
        })))
      return failure();
    func.walk([](LoopLikeOpInterface loop) { moveLoopInvariantCode(loop); });
    linalg::hoistRedundantVectorTransfers(func);
    if (failed(applyPatterns(func, [](RewritePatternSet &p) {
          vector::populateVectorReductionToContractPatterns(p);
          vector::populateCastAwayVectorLeadingOneDimPatterns(p);
          addCanonicalization(p);
        })))
      return failure();
    vector::VectorTransformsOptions outerProducts;
    outerProducts.setVectorTransformsOptions(
        vector::VectorContractLowering::OuterProduct);
    return applyPatterns(func, [&](RewritePatternSet &p) {
      vector::populateVectorContractLoweringPatterns(p, outerProducts);
      vector::populateVectorOuterProductLoweringPatterns(p);
      vector::populateVectorTransferPermutationMapLoweringPatterns(p);
      vector::populateVectorTransposeLoweringPatterns(p, outerProducts);
      vector::populateVectorShapeCastLoweringPatterns(p);
      addCanonicalization(p);
    });
  }
};

} // namespace
