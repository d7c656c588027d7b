//===- TileLowering.cpp - vectorized tiles into FMAs ----------------------===//
//
// See TileLowering.h. Expects the vectorized tiles of
// sinter-tile-contractions (vector.contract, or elementwise multiplies and
// adds for window tiles, between transfers of their accumulator); produces
// FMAs whose accumulator's read and write are hoisted out of the sums.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/TileLowering.h"
#include "compiler/Transforms/HoistTransfers.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorTransforms.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;
using namespace sinter;

/// Applies `populate`'s patterns to `root` until they settle. Without the
/// driver's region simplification after each round: its liveness walks of
/// the whole function were a third of the pass (gpt-mini with AVX2 tiles,
/// 0.69 -> 0.49 s), and the loops it sees have one block and no dead
/// arguments; the canonicalization after the pass still runs it.
LogicalResult
sinter::applyPatterns(Operation *root,
                      function_ref<void(RewritePatternSet &)> populate) {
  RewritePatternSet patterns(root->getContext());
  populate(patterns);
  GreedyRewriteConfig config;
  config.enableRegionSimplification = GreedySimplifyRegionLevel::Disabled;
  return applyPatternsAndFoldGreedily(root, std::move(patterns), config);
}

/// Every op's and dialect's canonicalization patterns.
void sinter::addCanonicalization(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
}

namespace {

/// x * y + acc on vectors as one fused multiply-add: a window tile
/// vectorizes to elementwise multiplies and adds, which LLVM keeps apart
/// (two roundings), while contraction tiles lower to FMAs.
struct MultiplyAddToFMA : public OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::AddFOp add,
                                PatternRewriter &rewriter) const override {
    if (!isa<VectorType>(add.getType()))
      return failure();
    for (int i = 0; i < 2; ++i) {
      auto mul = add->getOperand(i).getDefiningOp<arith::MulFOp>();
      if (!mul || !mul->hasOneUse())
        continue;
      rewriter.replaceOpWithNewOp<vector::FMAOp>(
          add, mul.getLhs(), mul.getRhs(), add->getOperand(1 - i));
      return success();
    }
    return failure();
  }
};

/// A window tile's accumulator is read as vector<7x6> (the output's unit
/// group dimension dropped by the read's permutation map) but written as
/// vector<7x1x6>: the pair does not match, and the accumulator went to
/// memory at every step of the sum. Writing the unit dimensions away the
/// same way makes read and write one hoistable pair.
struct DropUnitDimsOfWrite : public OpRewritePattern<vector::TransferWriteOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferWriteOp write,
                                PatternRewriter &rewriter) const override {
    VectorType type = write.getVectorType();
    if (write.getMask() || type.getRank() < 2 || type.isScalable() ||
        !isa<MemRefType>(write.getShapedType()))
      return failure();
    SmallVector<int64_t> shape;
    SmallVector<AffineExpr> results;
    SmallVector<bool> inBounds;
    AffineMap map = write.getPermutationMap();
    for (int64_t i = 0; i < type.getRank(); ++i) {
      if (type.getDimSize(i) == 1 && write.isDimInBounds(i))
        continue;
      shape.push_back(type.getDimSize(i));
      results.push_back(map.getResult(i));
      inBounds.push_back(write.isDimInBounds(i));
    }
    if (shape.size() == size_t(type.getRank()) || shape.empty())
      return failure();
    auto narrow = VectorType::get(shape, type.getElementType());
    AffineMap narrowMap =
        AffineMap::get(map.getNumDims(), 0, results, write.getContext());
    // Only to match the accumulator's read in the same loop (the tile's
    // fill: in the loop around the sums).
    bool matchesRead = false;
    write->getParentOp()->walk([&](vector::TransferReadOp read) {
      matchesRead |= read.getSource() == write.getSource() &&
                     read.getIndices() == write.getIndices() &&
                     read.getVectorType() == narrow &&
                     read.getPermutationMap() == narrowMap;
    });
    if (!matchesRead)
      return failure();
    Value value = rewriter.create<vector::ShapeCastOp>(write.getLoc(), narrow,
                                                       write.getVector());
    rewriter.replaceOpWithNewOp<vector::TransferWriteOp>(
        write, value, write.getSource(), write.getIndices(), narrowMap,
        ArrayRef<bool>(inBounds));
    return success();
  }
};

/// A fan tile's filter values, read as vector<f> and broadcast over the
/// tile's rows and columns, come out of the transfer permutation lowering
/// as transpose(broadcast(v) : [rows, cols, f]) to [f, rows, cols]; the
/// transpose lowering makes that one extract and insert per element. It is
/// f splats: one broadcast of each v[i], inserted at [i].
struct SplatsForLeadingBroadcast
    : public OpRewritePattern<vector::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransposeOp transpose,
                                PatternRewriter &rewriter) const override {
    auto broadcast = transpose.getVector().getDefiningOp<vector::BroadcastOp>();
    auto source = broadcast ? dyn_cast<VectorType>(broadcast.getSourceType())
                            : VectorType();
    VectorType type = transpose.getResultVectorType();
    ArrayRef<int64_t> perm = transpose.getPermutation();
    int64_t rank = type.getRank();
    if (!source || source.getRank() != 1 || type.isScalable() || rank < 2 ||
        perm.front() != rank - 1)
      return failure();
    for (int64_t i = 1; i < rank; ++i)
      if (perm[i] != i - 1)
        return failure();
    Location loc = transpose.getLoc();
    auto row =
        VectorType::get(type.getShape().drop_front(), type.getElementType());
    Value result = rewriter.create<arith::ConstantOp>(
        loc, type, rewriter.getZeroAttr(type));
    for (int64_t i = 0; i < type.getDimSize(0); ++i) {
      Value v = rewriter.create<vector::ExtractOp>(loc, broadcast.getSource(),
                                                   ArrayRef<int64_t>{i});
      Value splat = rewriter.create<vector::BroadcastOp>(loc, row, v);
      result = rewriter.create<vector::InsertOp>(loc, splat, result,
                                                 ArrayRef<int64_t>{i});
    }
    rewriter.replaceOp(transpose, result);
    return success();
  }
};

/// A read whose values are only extracted one by one, to be broadcast (a
/// row tile's column of the left operand, a fan tile's filter values, a
/// filter gradient's taps x channels of the input read with a broadcast
/// along the lanes), as one load per value: with AVX, a broadcast from
/// memory. LLVM made a read of 6 values 4 broadcasts, a pair load and a
/// permute with an index vector: one register more than AVX2's 16 ymm
/// held beside 12 accumulators, and an accumulator went to the stack every
/// step (a quarter of gpt-mini's step on AVX2; lenet's second input
/// gradient; deep-256's filter gradients, 3 taps x 2 channels, at half of
/// AVX2's peak). Not for SSE, which has no broadcast load: a load and a
/// shuffle each (lenet 9 % slower). Reads with a broadcast only with 16
/// registers: on AVX2 deep-256's step ran 65 -> 50 ms, cifar-small's 17.0
/// -> 14.2; on AVX-512, whose 32 registers hold the index vector too,
/// k1-mix's ran 3-5 % slower.
struct ElementLoads : public OpRewritePattern<vector::ExtractOp> {
  ElementLoads(MLIRContext *ctx, bool broadcastReads)
      : OpRewritePattern(ctx), broadcastReads(broadcastReads) {}
  bool broadcastReads;

  LogicalResult matchAndRewrite(vector::ExtractOp extract,
                                PatternRewriter &rewriter) const override {
    auto read = extract.getVector().getDefiningOp<vector::TransferReadOp>();
    if (!read || read.getMask() || read.hasOutOfBoundsDim() ||
        !isa<MemRefType>(read.getShapedType()) ||
        isa<VectorType>(extract.getResult().getType()) ||
        extract.hasDynamicPosition())
      return failure();
    // Each vector dimension reads along its own memref dimension, or is a
    // broadcast (a zero result: every position there the same element).
    AffineMap map = read.getPermutationMap();
    if (!map.isMinorIdentity() &&
        !(broadcastReads &&
          map.isProjectedPermutation(/*allowZeroInResults=*/true)))
      return failure();
    if (!llvm::all_of(read->getUsers(), [](Operation *user) {
          auto other = dyn_cast<vector::ExtractOp>(user);
          return other && !other.hasDynamicPosition() &&
                 !isa<VectorType>(other.getResult().getType());
        }))
      return failure();
    SmallVector<Value> at(read.getIndices());
    Location loc = extract.getLoc();
    for (auto [i, offset] : llvm::enumerate(extract.getStaticPosition()))
      if (auto dim = dyn_cast<AffineDimExpr>(map.getResult(i)); dim && offset)
        at[dim.getPosition()] = rewriter.create<arith::AddIOp>(
            loc, at[dim.getPosition()],
            rewriter.create<arith::ConstantIndexOp>(loc, offset));
    rewriter.replaceOpWithNewOp<memref::LoadOp>(extract, read.getSource(), at);
    return success();
  }
};

/// Replaces each affine.apply by an equal one earlier in its block (same
/// map, same operands).
void mergeEqualAffineApplies(func::FuncOp func) {
  DenseMap<Block *, SmallVector<affine::AffineApplyOp>> seen;
  SmallVector<affine::AffineApplyOp> repeated;
  func.walk([&](affine::AffineApplyOp apply) {
    SmallVector<affine::AffineApplyOp> &earlier = seen[apply->getBlock()];
    for (affine::AffineApplyOp other : earlier)
      if (other.getAffineMap() == apply.getAffineMap() &&
          other.getOperands() == apply.getOperands()) {
        apply.replaceAllUsesWith(other.getResult());
        repeated.push_back(apply);
        return;
      }
    earlier.push_back(apply);
  });
  for (affine::AffineApplyOp apply : repeated)
    apply.erase();
}

} // namespace

/// Turns the vectorized tiles into FMAs on a register-held accumulator:
/// the recipe of ../shared/notes/cpu-codegen-mlir19.md §2.2 on buffers.
LogicalResult sinter::lowerTiles(func::FuncOp func, int64_t tileN,
                                 int64_t registers) {
  // Reads and writes address the whole buffers, so the accumulator's are
  // the same at every step of the sum, and hoistable.
  if (failed(applyPatterns(func, [&](RewritePatternSet &p) {
        memref::populateFoldMemRefAliasOpPatterns(p);
        vector::populateVectorReductionToContractPatterns(p);
        vector::populateVectorTransferPermutationMapLoweringPatterns(p);
        p.add<SplatsForLeadingBroadcast>(p.getContext(), /*benefit=*/2);
        if (tileN / 2 >= 8)
          p.add<ElementLoads>(p.getContext(), registers <= 16);
        addCanonicalization(p);
      })))
    return failure();
  // Apart: the permutation lowering above would put the unit dimensions
  // back. After merging the indices that folded views computed for the
  // read and the write apart (a window tile of one row in a band of a
  // larger result: its accumulator went to memory at every step).
  mergeEqualAffineApplies(func);
  if (failed(applyPatterns(func, [](RewritePatternSet &p) {
        p.add<DropUnitDimsOfWrite>(p.getContext());
      })))
    return failure();
  // A tile of a block of columns reads and writes its accumulator at
  // indices each folded view computed anew (the block's offset plus the
  // tile's): one value each, or the pair is not seen as the same place.
  // Again once loop-invariant indices left their loops: the zeros a tile
  // starts from are written at the hoisted index of its first read.
  mergeEqualAffineApplies(func);
  func.walk([](LoopLikeOpInterface loop) { moveLoopInvariantCode(loop); });
  mergeEqualAffineApplies(func);
  hoistTransferPairs(func);
  IRRewriter rewriter(func.getContext());
  vector::transferOpflowOpt(rewriter, func);
  if (failed(applyPatterns(func, [](RewritePatternSet &p) {
        vector::populateVectorReductionToContractPatterns(p);
        vector::populateCastAwayVectorLeadingOneDimPatterns(p);
        addCanonicalization(p);
      })))
    return failure();
  vector::VectorTransformsOptions outerProducts;
  outerProducts.setVectorTransformsOptions(
      vector::VectorContractLowering::OuterProduct);
  // Transposed tiles of 16x16 floats: AVX-512's shuffle network; others
  // one shuffle each, LLVM's to lower.
  outerProducts.setVectorTransposeLowering(
      tileN == 32 ? vector::VectorTransposeLowering::Shuffle16x16
                  : vector::VectorTransposeLowering::Shuffle1D);
  return applyPatterns(func, [&](RewritePatternSet &p) {
    vector::populateVectorContractLoweringPatterns(p, outerProducts);
    vector::populateVectorOuterProductLoweringPatterns(p);
    vector::populateVectorTransferPermutationMapLoweringPatterns(p);
    vector::populateVectorTransposeLoweringPatterns(p, outerProducts);
    vector::populateVectorShapeCastLoweringPatterns(p);
    p.add<MultiplyAddToFMA>(p.getContext());
    if (tileN / 2 >= 8)
      p.add<ElementLoads>(p.getContext(), registers <= 16);
    addCanonicalization(p);
  });
}
