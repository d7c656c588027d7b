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
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ContractionForms.h"
#include "compiler/Transforms/NarrowOps.h"
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/TileLowering.h"
#include "compiler/Transforms/TilePlan.h"
#include "compiler/Transforms/TileWrites.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/VectorTransforms.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace sinter {
#define GEN_PASS_DEF_TILECONTRACTIONS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

/// Accumulator registers that cover the FMA's latency: 4 cycles on two
/// ports. A tile with fewer waits on its sums.
constexpr int64_t kFmaLatencyRegisters = 8;

/// Terms of a sum a block of it takes (blockTheBatchSum): their rows of
/// both operands stay in the L2 cache.
constexpr int64_t kSumBlock = 256;

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
/// Marks the scf.parallel over the parts (and their groups) while their
/// blocks are tiled: buffers allocated in it are one per iteration
/// (allocInEntry).
constexpr StringLiteral kPartsMarker = "sinter.parts";

/// Whether a sum of `terms` (dynamic: the batch) runs in blocks.
bool sumInBlocks(int64_t terms) {
  return ShapedType::isDynamic(terms) || terms > 2 * kSumBlock;
}

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

/// Whether a product of `columns` summing `terms` runs in blocks of columns
/// (and may pack): its right operand's rows for a block of the sum exceed
/// 512 KiB, or, with `linePanels`, it has kLineBlockColumns or more.
bool blocksColumns(int64_t columns, int64_t terms, bool linePanels) {
  constexpr int64_t kPanelBytes = 512 * 1024;
  if (sumInBlocks(terms))
    terms = kSumBlock;
  if (ShapedType::isDynamic(columns))
    return false;
  if (linePanels)
    return columns >= kLineBlockColumns;
  return columns > kColumnBlock && terms * columns * 4 > kPanelBytes;
}

/// Marks the tiles to vectorize until the loops around them settle.
constexpr StringLiteral kTileMarker = "sinter.register_tile";
constexpr StringLiteral kWindowTileMarker = "sinter.window_tile";
/// A transpose's tile: vectorized if a whole square or a small edge.
constexpr StringLiteral kTransposeTileMarker = "sinter.transpose_tile";
/// Marks a window tile's innermost sum loop to unroll once its tile is
/// lowered (TilePlan::unrollInnerSum).
constexpr StringLiteral kUnrollMarker = "sinter.unroll";
/// Marks the two parts of a split column edge while their sum loop is
/// split in two (splitWideEdges).
constexpr StringLiteral kEdgePart = "sinter.edge_part";
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

/// Collects the linalg.generic ops a rewrite creates.
struct NewGenerics : public RewriterBase::Listener {
  SmallVector<linalg::LinalgOp> ops;
  void notifyOperationInserted(Operation *op,
                               OpBuilder::InsertPoint) override {
    if (auto generic = dyn_cast<linalg::GenericOp>(op))
      ops.push_back(generic);
  }
};

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

/// The fill of a contraction's result just before it (its zeroed
/// accumulator): a linalg.fill, or one an scf.if holds (a block of a sum
/// over the batch run in a loop over the blocks fills only in the loop's
/// first iteration: blockTheBatchSum). The rewrites that split the
/// contraction give each part the same fill of its own result.
struct ResultFill {
  linalg::FillOp fill;
  scf::IfOp guard; // null: unconditional

  explicit operator bool() const { return bool(fill); }
  /// The op in the contraction's block: the guard, else the fill.
  Operation *op() { return guard ? guard.getOperation() : fill.getOperation(); }
  /// The same fill of `out` at the insertion point (after which the
  /// insertion point stays), under the same condition; returns the
  /// linalg.fill.
  linalg::FillOp createFor(Value out, RewriterBase &rewriter) {
    OpBuilder::InsertionGuard keep(rewriter);
    if (guard) {
      auto inner =
          rewriter.create<scf::IfOp>(guard.getLoc(), guard.getCondition());
      rewriter.setInsertionPoint(inner.thenBlock()->getTerminator());
    }
    return rewriter.create<linalg::FillOp>(fill.getLoc(), fill.getInputs(),
                                           out);
  }
};

struct TileContractionsPass
    : public sinter::impl::TileContractionsBase<TileContractionsPass> {
  using TileContractionsBase::TileContractionsBase;

  /// Blocks of columns that read a packed panel: whether tile() packs the
  /// right operand's, and the panel of row tiles they read the left
  /// operand from (packRows), or null.
  struct Packing {
    bool columns;
    Value rows;
  };
  DenseMap<Operation *, Packing> packedBlocks;
  /// Blocks of a contraction large enough for threads: each block runs its
  /// tiles on threads too, though its own ranges may judge it small (a
  /// block of a sum of dynamic size counts as the batch guess; 333 x 555 x
  /// 777's edge of 9 columns ran on one thread).
  DenseSet<Operation *> largeBlocks;
  /// Buffers whose transposing copy runs only when their product does not
  /// pack, with the copy's source (conditionalTranspose).
  DenseMap<Value, Value> transposedFrom;

  /// Whether a product of `columns` takes line panels: a tile's row of a
  /// panel is one cache line (AVX2), or two of a wide operand (AVX-512,
  /// kWideLineColumns) or of one whose rows are not whole vectors apart
  /// (500 columns: every row of the operand starts elsewhere in a line, and
  /// a tile's loads of it cross lines). Such products pack from
  /// kLinePackElements. Blocked and packed, on two threads: X·W of 2000 x
  /// 1024 -> 500 329 -> 362 GFLOP/s, -> 120 249 -> 295; their weight
  /// gradients over 2048 rows 242 -> 357 and 164 -> 247.
  bool linePanels(int64_t columns) const {
    return tileN == 16 || (tileN == 32 && !ShapedType::isDynamic(columns) &&
                           (columns >= kWideLineColumns || columns % 16 != 0));
  }
  int64_t packElements(int64_t columns) const {
    return linePanels(columns) ? kLinePackElements : kPackElements;
  }
  int64_t packRowElements(int64_t columns) const {
    return linePanels(columns) ? kLinePackRowElements : kPackRowElements;
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    packedBlocks.clear();
    transposedFrom.clear();
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
          return signalPassFailure();
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
          return signalPassFailure();
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
      return;
    for (auto &[op, plan] : work)
      if (failed(tile(op, plan, rewriter)))
        return signalPassFailure();
    for (linalg::GenericOp op : transposes)
      if (failed(tileTranspose(op, rewriter)))
        return signalPassFailure();

    // Peeling left the full tiles' sizes as constants, and a window's reads
    // have sizes bounded through the loops' ranges (min(18 - j - b, 7) is 7
    // for j < 8, b < 5): fold them into static shapes, which vectorize
    // without masks.
    if (failed(applyPatterns(func, [](RewritePatternSet &p) {
          scf::populateSCFForLoopCanonicalizationPatterns(p);
          addCanonicalization(p);
        })))
      return signalPassFailure();
    if (failed(splitWideEdges(func, rewriter)))
      return signalPassFailure();
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
    IRRewriter dropper(&getContext(), &created);
    int64_t lanes = std::max<int64_t>(tileN / 2, 1);
    for (linalg::LinalgOp op : windowTiles) {
      AffineMap result = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
      bool oneColumn = op.getStaticLoopRanges()[result.getDimPosition(
                           result.getNumResults() - 1)] == 1;
      dropper.setInsertionPoint(op);
      created.ops.clear();
      if (failed(linalg::dropUnitDims(
              dropper, cast<linalg::GenericOp>(op.getOperation()),
              linalg::ControlDropUnitDims())) ||
          created.ops.size() != 1)
        continue; // stays a scalar tile
      linalg::GenericOp tile = withoutUnitOperandDims(
          cast<linalg::GenericOp>(created.ops.front().getOperation()),
          rewriter);
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
          return signalPassFailure();
        }
    }
    if (failed(lowerTiles(func, tileN, registers)))
      return signalPassFailure();
    if (failed(unrollMarkedSums(func)))
      return signalPassFailure();
    func.walk([](scf::ParallelOp loop) { loop->removeAttr(kPartsMarker); });
    func.walk([&](scf::ForOp loop) { splitAccumulator(loop, rewriter); });
    SmallVector<scf::IfOp> guards;
    func.walk([&](scf::IfOp guard) { guards.push_back(guard); });
    for (scf::IfOp guard : guards)
      startFromGuardedFill(guard);
  }

  /// Whether two indices are the same: one value, or equal affine.apply of
  /// the same indices (a guard's and the code after it compute theirs
  /// apart).
  static bool sameIndex(Value a, Value b) {
    if (a == b)
      return true;
    auto x = a.getDefiningOp<affine::AffineApplyOp>();
    auto y = b.getDefiningOp<affine::AffineApplyOp>();
    return x && y && x.getAffineMap() == y.getAffineMap() &&
           llvm::equal(x.getMapOperands(), y.getMapOperands(), sameIndex);
  }

  /// Whether two transfers move the same elements: one buffer, vector
  /// shape and order, equal indices, all in bounds and unmasked.
  static bool samePlace(VectorTransferOpInterface a,
                        VectorTransferOpInterface b) {
    return a.getSource() == b.getSource() &&
           a.getVectorType() == b.getVectorType() &&
           a.getPermutationMap() == b.getPermutationMap() && !a.getMask() &&
           !b.getMask() && !a.hasOutOfBoundsDim() && !b.hasOutOfBoundsDim() &&
           llvm::equal(a.getIndices(), b.getIndices(), sameIndex);
  }

  /// Whether `root` or an op in it may read or write `buffer`: it uses a
  /// view of it, or has effects it does not declare (a call).
  static bool mayAccess(Operation *root, Value buffer) {
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
  static void startFromGuardedFill(scf::IfOp guard) {
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
    if (!zeros || !zeros.getVector().getDefiningOp<arith::ConstantOp>())
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
          b.create<scf::YieldOp>(
              at, b.clone(*zeros.getVector().getDefiningOp())->getResults());
        },
        [&](OpBuilder &b, Location at) {
          b.create<scf::YieldOp>(at, read.getResult());
        });
    read->moveBefore(start.elseBlock()->getTerminator());
    read.getResult().replaceAllUsesExcept(start.getResult(0),
                                          start.elseBlock()->getTerminator());
    guard.erase();
  }

  /// Splits each contraction tile (and its fill) whose columns are more
  /// than one register but not two (the edge of 500 columns in tiles of
  /// 32: 20) into a tile of one register and the rest, 16 and 4: 20
  /// floats are no vector width (see tileSize). Expects the tiles' shapes
  /// static (canonicalized); leaves them so.
  LogicalResult splitWideEdges(func::FuncOp func, RewriterBase &rewriter) {
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

  /// Whether an input of `tile` reads along its innermost loop where its
  /// elements are not contiguous (each vector a gather).
  static bool gathersRows(linalg::GenericOp tile) {
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

  /// Unrolls each sum loop marked kUnrollMarker, now that its tile is
  /// FMAs on carried accumulators: the loads its steps share are then
  /// one value (TilePlan::unrollInnerSum).
  static LogicalResult unrollMarkedSums(func::FuncOp func) {
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

  /// The vector.fma a tile's sum loop accumulates into its one iteration
  /// argument with, when it yields that fma's result (directly, or rebuilt
  /// element by element, as the lowering of a unit-dimension shape_cast
  /// leaves it); else null.
  static vector::FMAOp accumulation(scf::ForOp loop) {
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
  void splitAccumulator(scf::ForOp loop, RewriterBase &rewriter) {
    vector::FMAOp fma = accumulation(loop);
    std::optional<int64_t> trips = constantTripCount(
        loop.getLowerBound(), loop.getUpperBound(), loop.getStep());
    if (!fma || !trips || *trips < 4 || *trips % 2 != 0)
      return;
    auto type = cast<VectorType>(fma.getType());
    int64_t lanes = std::max<int64_t>(tileN / 2, 1);
    int64_t registers = type.getNumElements() / type.getShape().back() *
                        llvm::divideCeil(type.getShape().back(), lanes);
    if (registers >= kFmaLatencyRegisters)
      return;
    Location loc = loop.getLoc();
    rewriter.setInsertionPoint(loop);
    Value step2 = rewriter.create<arith::MulIOp>(
        loc, loop.getStep(), rewriter.create<arith::ConstantIndexOp>(loc, 2));
    Value zero = rewriter.create<arith::ConstantOp>(
        loc, type, rewriter.getZeroAttr(type));
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
      sums.push_back(
          map.lookup(loop.getBody()->getTerminator()->getOperand(0)));
    }
    rewriter.create<scf::YieldOp>(loc, sums);
    rewriter.setInsertionPointAfter(split);
    Value total = rewriter.create<arith::AddFOp>(loc, split.getResult(0),
                                                 split.getResult(1));
    rewriter.replaceOp(loop, total);
  }

  /// A clone of `op` over [start, start + count) of its loop `loop`: every
  /// operand indexed by that loop read through a subview of that range,
  /// created before the clone.
  static linalg::GenericOp onRange(linalg::GenericOp op, unsigned loop,
                                   OpFoldResult start, OpFoldResult count,
                                   RewriterBase &rewriter) {
    Location loc = op.getLoc();
    AffineExpr along = rewriter.getAffineDimExpr(loop);
    SmallVector<Value> views;
    for (OpOperand &operand : op->getOpOperands()) {
      AffineMap map = op.getMatchingIndexingMap(&operand);
      if (!llvm::is_contained(map.getResults(), along)) {
        views.push_back(operand.get());
        continue;
      }
      auto type = cast<MemRefType>(operand.get().getType());
      SmallVector<OpFoldResult> offsets, sizes,
          strides(type.getRank(), rewriter.getIndexAttr(1));
      for (unsigned d = 0; d < type.getRank(); ++d) {
        bool cut = map.getResult(d) == along;
        offsets.push_back(cut ? start : rewriter.getIndexAttr(0));
        sizes.push_back(cut ? count
                            : memref::getMixedSize(rewriter, loc,
                                                   operand.get(), d));
      }
      views.push_back(rewriter.create<memref::SubViewOp>(
          loc, operand.get(), offsets, sizes, strides));
    }
    auto clone = cast<linalg::GenericOp>(rewriter.clone(*op));
    for (auto [operand, view] : llvm::zip(clone->getOpOperands(), views))
      operand.set(view);
    // A block's loops count from its start: a skip fact along the cut loop
    // holds only for a block starting at 0.
    if (auto skip = clone->getAttrOfType<DenseI64ArrayAttr>(kSkipAboveAttr);
        skip && llvm::is_contained(skip.asArrayRef(), int64_t(loop)) &&
        !isConstantIntValue(start, 0))
      clone->removeAttr(kSkipAboveAttr);
    return clone;
  }

  /// onRange, the clone after a fill of its result like `fill` if given
  /// (a split contraction's parts each zero their own result). Leaves the
  /// insertion point after the clone.
  static linalg::GenericOp onRangeFilled(linalg::GenericOp op, unsigned loop,
                                         OpFoldResult start, OpFoldResult count,
                                         ResultFill fill,
                                         RewriterBase &rewriter) {
    linalg::GenericOp part = onRange(op, loop, start, count, rewriter);
    if (fill) {
      rewriter.setInsertionPoint(part);
      fill.createFor(part.getDpsInitOperand(0)->get(), rewriter);
      rewriter.setInsertionPointAfter(part);
    }
    return part;
  }

  /// An scf.for from `first` to `end` by `block` at the insertion point,
  /// and in it `op` over that block of its loop `loop` (the last block cut
  /// at `end`: onRange); the insertion point is left after that op.
  static std::pair<scf::ForOp, linalg::GenericOp>
  onEachBlock(linalg::GenericOp op, unsigned loop, Value first, Value end,
              Value block, RewriterBase &rewriter) {
    Location loc = op.getLoc();
    auto blocks = rewriter.create<scf::ForOp>(loc, first, end, block);
    rewriter.setInsertionPointToStart(blocks.getBody());
    Value start = blocks.getInductionVar();
    Value count = rewriter.create<arith::MinSIOp>(
        loc, block, rewriter.create<arith::SubIOp>(loc, end, start));
    return {blocks, onRange(op, loop, start, count, rewriter)};
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
  SmallVector<linalg::GenericOp> blockTheColumns(linalg::GenericOp op,
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
  SmallVector<linalg::GenericOp> blockTheBatchSum(linalg::GenericOp op,
                                                  RewriterBase &rewriter) {
    unsigned sum = op.getNumLoops() - 1; // canonical (.., m, n, k) order
    SmallVector<int64_t> sizes = op.getStaticLoopRanges();
    int64_t terms = sizes[sum];
    if (!sumInBlocks(terms))
      return {op};
    bool oneLoop =
        ShapedType::isDynamic(terms) &&
        blocksColumns(sizes[sum - 1], terms, linePanels(sizes[sum - 1]));
    Location loc = op.getLoc();
    ResultFill fill = fillOfResult(op);
    rewriter.setInsertionPoint(op);
    SmallVector<Range> ranges =
        cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rewriter,
                                                                   loc);
    Value total = getValueOrCreateConstantIndexOp(rewriter, loc,
                                                  ranges[sum].size);
    Value block = rewriter.create<arith::ConstantIndexOp>(loc, kSumBlock);
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    bool zeroed = fill && !fill.guard; // the result's fill, unconditional
    SmallVector<linalg::GenericOp> blocks;
    if (ShapedType::isDynamic(terms) && zeroed) {
      // From kParts * kPartTerms terms (kParts * kSumBlock with few row
      // tiles), the parts form (inParts); else the one loop below.
      int64_t rows = sizes[0];
      int64_t fromTerms = !ShapedType::isDynamic(rows) &&
                                  op.getNumLoops() == 3 &&
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
      first = onRange(
          op, sum, zero,
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
  /// its terms in the same order. With fewer result tiles than a parallel
  /// loop wants (kMinParallelTrips) the sum stays whole: the threads take
  /// parts of it instead (sinter-split-batch-sums, which needs the sum
  /// from the batch's start), and each of the few tiles streams the batch
  /// once. Returns the blocks (or `op`).
  SmallVector<linalg::GenericOp> blockTheWindowSum(linalg::GenericOp op,
                                                   const TilePlan &plan,
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
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    SmallVector<Range> ranges =
        cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rewriter,
                                                                   loc);
    Value total =
        getValueOrCreateConstantIndexOp(rewriter, loc, ranges[0].size);
    Value block = rewriter.create<arith::ConstantIndexOp>(loc, images);
    linalg::GenericOp blocked =
        onEachBlock(op, 0, rewriter.create<arith::ConstantIndexOp>(loc, 0),
                    total, block, rewriter)
            .second;
    if (largeBlocks.contains(op) ||
        iterationCount(op) >= minParallelIterations)
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
  /// Not where the wider tiles would move the taps outside
  /// (tapsOutsideTheImage): lenet-caffe's 50 channels, whose tiles of 16
  /// keep their 25 taps of 20 channels inside, ran its forward region 3-4 %
  /// slower as 32 + 18, the tiles of 32 summing 20 terms a tap. Each part
  /// after a fill of its result if the op had one. Returns the parts with
  /// their plans, or `op` with `plan` when it is not split (also in a loop:
  /// a block of a sum over the batch).
  SmallVector<std::pair<linalg::GenericOp, TilePlan>>
  splitWideWindowEdge(linalg::GenericOp op, const TilePlan &plan,
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
    if (!planned || (parts.front().second.tapsOutside && !plan.tapsOutside)) {
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

  /// Fills `block`'s result (with `fill`'s value) when `start`, its first
  /// term, is `first`: the first block of a loop over the sum's blocks.
  static void fillInFirstBlock(linalg::GenericOp block, ResultFill fill,
                               Value start, Value first,
                               RewriterBase &rewriter) {
    rewriter.setInsertionPoint(block);
    auto isFirst = rewriter.create<scf::IfOp>(
        block.getLoc(),
        rewriter.create<arith::CmpIOp>(block.getLoc(), arith::CmpIPredicate::eq,
                                       start, first));
    rewriter.setInsertionPoint(isFirst.thenBlock()->getTerminator());
    rewriter.create<linalg::FillOp>(fill.fill.getLoc(), fill.fill.getInputs(),
                                    block.getDpsInitOperand(0)->get());
  }

  /// Groups each part of `op`'s sum runs in side by side (inParts): of its
  /// result's columns when it has fewer rows than columns, else of its rows
  /// (each group reads all of the other operand's block of terms: the
  /// smaller one), kPartGroups when they divide into that many of whole
  /// register tiles, at least two each; {0, 1} for none. Every group sums
  /// the part's terms in the same order: the results do not depend on the
  /// groups, only the number of threads a part can run on does.
  std::pair<unsigned, int64_t> partGroups(linalg::GenericOp op) const {
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
  linalg::GenericOp inParts(linalg::GenericOp op, ResultFill fill, Value total,
                            RewriterBase &rewriter) {
    Location loc = op.getLoc();
    unsigned sum = op.getNumLoops() - 1;
    Value result = op.getDpsInitOperand(0)->get();
    auto resultType = cast<MemRefType>(result.getType());
    SmallVector<int64_t> partialShape{kParts};
    llvm::append_range(partialShape, resultType.getShape());
    Value partials =
        allocInEntry(MemRefType::get(partialShape, resultType.getElementType()),
                     loc, rewriter);
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
    // blocks of kSumBlock from its first (600 terms as 300 and 300, not
    // 256 and 344).
    auto firstTerm = [&](Value part) {
      return rewriter.create<arith::DivUIOp>(
          loc, rewriter.create<arith::MulIOp>(loc, part, total), parts);
    };
    Value begin = firstTerm(p);
    Value end = rewriter.create<arith::MinSIOp>(
        loc, total, firstTerm(rewriter.create<arith::AddIOp>(loc, p, one)));
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

  /// The panel of `terms` x `count` floats at element `start` of `panels`,
  /// a 1-D buffer of panels one after another.
  static FailureOr<Value> panelIn(Value panels, OpFoldResult start,
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

  /// The constant trip counts of `loop`, the parts of a sum (and their
  /// groups).
  static SmallVector<int64_t> tripCounts(scf::ParallelOp loop) {
    return llvm::map_to_vector(loop.getUpperBound(), [](Value bound) {
      return *getConstantIntValue(bound);
    });
  }

  /// A buffer of `type` in the function's entry block before the op holding
  /// the insertion point (sinter-plan-memory places it), freed at the
  /// block's end; the insertion point is kept. Null when the insertion
  /// point is at a block's end. Inside the parts of a sum (inParts), each
  /// iteration's own (a part's, or a part's group's): one buffer of that
  /// many times the rows, the iteration's rows of it.
  static Value allocInEntry(MemRefType type, Location loc,
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

  /// A buffer for the tiles of `width` of the `columns` of a 2-D source,
  /// each [mostTerms, width] floats, one after another (allocInEntry); the
  /// last tile partly used when the columns do not divide.
  static Value allocTiles(Location loc, int64_t columns, int64_t width,
                          int64_t mostTerms, RewriterBase &rewriter) {
    int64_t tiles = llvm::divideCeilSigned(columns, width);
    return allocInEntry(
        MemRefType::get({tiles * mostTerms, width}, rewriter.getF32Type()),
        loc, rewriter);
  }

  /// The first `rest` columns of the partial last tile of `tiles`
  /// (allocTiles), which starts at row `firstRow`, for `count` terms.
  static Value lastTile(Location loc, Value tiles, int64_t firstRow,
                        OpFoldResult count, int64_t rest,
                        RewriterBase &rewriter) {
    return rewriter.create<memref::SubViewOp>(
        loc, tiles,
        SmallVector<OpFoldResult>{rewriter.getIndexAttr(firstRow),
                                  rewriter.getIndexAttr(0)},
        SmallVector<OpFoldResult>{count, rewriter.getIndexAttr(rest)},
        SmallVector<OpFoldResult>(2, rewriter.getIndexAttr(1)));
  }

  /// Copies `from` ([n, k]) into its transpose `to` ([k, n]) in square
  /// register blocks (tileTranspose), on threads when `mayParallelize`
  /// and large; the insertion point is kept.
  LogicalResult copyTransposed(Value from, Value to, RewriterBase &rewriter,
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
  Value copyTransposeIntoTiles(Value source, int64_t width, int64_t mostTerms,
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
          SmallVector<OpFoldResult>{rewriter.getIndexAttr(rows - columns),
                                    count},
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
    OpFoldResult firstRow = affine::makeComposedFoldedAffineApply(
        rewriter, loc, d * mostTerms, {t});
    Value from = rewriter.create<memref::SubViewOp>(
        loc, source,
        SmallVector<OpFoldResult>{firstColumn, rewriter.getIndexAttr(0)},
        SmallVector<OpFoldResult>{rewriter.getIndexAttr(width), count}, ones);
    Value to = rewriter.create<memref::SubViewOp>(
        loc, tiles,
        SmallVector<OpFoldResult>{firstRow, rewriter.getIndexAttr(0)},
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
  Value copyIntoTiles(Value source, int64_t width, int64_t mostTerms,
                      RewriterBase &rewriter, bool partialTile = false) {
    auto type = cast<MemRefType>(source.getType());
    int64_t columns = type.getDimSize(1);
    if (ShapedType::isDynamic(columns) ||
        (columns % width != 0 && !partialTile))
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
    FailureOr<MemRefType> splitType =
        memref::ExpandShapeOp::computeExpandedType(
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
    FailureOr<MemRefType> tilesType =
        memref::ExpandShapeOp::computeExpandedType(
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
  FailureOr<Value> packPanel(linalg::GenericOp op, const TilePlan &plan,
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
    Value panel = *transposed ? copyTransposeIntoTiles(
                                    *transposed, plan.sizes[1], terms, rewriter)
                              : nullptr;
    if (!panel)
      return failure();
    return panel;
  }

  /// The transposing copy among `copies` whose result `op` reads as its
  /// right operand and nothing else does, when `op` is a product in (m, n,
  /// k) order whose rows are the batch and the copy could run anywhere
  /// from its place to `op`: in `op`'s block before it, after `op`'s left
  /// operand, with nothing between but allocations, fills of other buffers
  /// and pure ops. Null otherwise.
  static linalg::GenericOp
  transposingCopyFor(linalg::GenericOp op, ArrayRef<linalg::GenericOp> copies) {
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
        def && def->getBlock() == copy->getBlock() &&
        !def->isBeforeInBlock(copy))
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

  /// Whether `op`, a product in (m, n, k) order whose rows are the batch,
  /// reads a static right operand rhs[k, n] whose panels it would pack
  /// (line panels) for all the threads' row tiles: like Wᵀ's
  /// (columnsOnThreads), half of each panel would come from the other
  /// core.
  bool packsSharedPanels(linalg::GenericOp op) const {
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
  columnsOnThreads(linalg::GenericOp op, ArrayRef<linalg::GenericOp> copies,
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
      if (copy &&
          cast<MemRefType>(transposed.getType()).getLayout().isIdentity())
        panels = rewriter.create<memref::CollapseShapeOp>(
            loc, transposed, SmallVector<ReassociationIndices>{{0, 1}});
      else
        panels = allocInEntry(MemRefType::get({columns * terms}, f32), loc,
                              rewriter);
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
      linalg::GenericOp part =
          onRangeFilled(op, 1, first, size, fill, rewriter);
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
  void conditionalTranspose(linalg::GenericOp op,
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
  std::optional<Value> viewOfTransposed(Value view, RewriterBase &rewriter) {
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

  /// The most terms a sum of `terms` takes in one block: a dynamic sum is a
  /// block of one (blockTheBatchSum).
  static int64_t mostTerms(int64_t terms) {
    return ShapedType::isDynamic(terms) ? kSumBlock : terms;
  }

  /// Copies the left operand of the blocks of columns of `op` into a panel
  /// of row tiles when it is read transposed (lhs[k, m]: a weight
  /// gradient's inputs, each term of a tile's 8 rows 4 KiB from the last
  /// at 1024 rows), once for all the blocks; nothing for other forms.
  /// 1024^3 dW on two threads: 76 -> 86 % of peak.
  Value packRows(linalg::GenericOp op, RewriterBase &rewriter) {
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

  /// Makes the register tile `tile` read its operand `number` (a view [k,
  /// x] of an operand copyIntoTiles copied, for sums of up to `mostTerms`)
  /// from the tiles instead: the view's terms of the view's tile, a 2-D view
  /// like the one it replaces (the transposed reads of a weight gradient's
  /// left operand lower to broadcasts only from a 2-D buffer).
  static LogicalResult readPanel(linalg::LinalgOp tile, unsigned number,
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
    AffineExpr x = rewriter.getAffineDimExpr(0),
               k = rewriter.getAffineDimExpr(1);
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
  LogicalResult tile(linalg::GenericOp op, const TilePlan &plan,
                     RewriterBase &rewriter) {
    // A block on threads already (columnsOnThreads) runs its tiles in turn.
    bool large = !op->getParentOfType<scf::ParallelOp>() &&
                 (largeBlocks.contains(op) ||
                  iterationCount(op) >= minParallelIterations);
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

  /// Whether `op`'s rows are the batch (a number known at run time only) in
  /// the outermost tile loop, in tiles of several rows.
  static bool batchRows(linalg::GenericOp op, const TilePlan &plan) {
    if (plan.rowLoop != 0 || plan.window)
      return false;
    unsigned dim = plan.order[plan.rowLoop];
    return plan.sizes[dim] > 1 &&
           ShapedType::isDynamic(op.getStaticLoopRanges()[dim]);
  }

  /// The products of the static sizes an operand of `op` merges with its
  /// loop `dim` (through a memref.collapse_shape), one per such operand
  /// dimension: what the batch's rows are a multiple of (gpt-mini's
  /// products: batch x 128 positions).
  static SmallVector<int64_t> mergedRowFactors(linalg::GenericOp op,
                                               unsigned dim) {
    SmallVector<int64_t> factors;
    for (OpOperand &operand : op->getOpOperands()) {
      auto collapse = operand.get().getDefiningOp<memref::CollapseShapeOp>();
      if (!collapse)
        continue;
      AffineMap map = op.getMatchingIndexingMap(&operand);
      for (auto [i, e] : llvm::enumerate(map.getResults())) {
        auto d = dyn_cast<AffineDimExpr>(e);
        if (!d || d.getPosition() != dim)
          continue;
        int64_t merged = 1;
        // A copy: a range-for over an element of the temporary read freed
        // memory (a crash in the e2e suite).
        SmallVector<ReassociationIndices> groups =
            collapse.getReassociationIndices();
        for (int64_t src : groups[i])
          if (int64_t n = collapse.getSrcType().getDimSize(src);
              !ShapedType::isDynamic(n))
            merged *= n;
        factors.push_back(merged);
      }
    }
    return factors;
  }

  /// Whether `op`'s rows of the batch fill whole tiles whatever the batch:
  /// an operand reads them from the batch merged with static dimensions
  /// whose sizes multiply to a multiple of the tile's rows. No partial tile
  /// then, nor its code (splitRows's made gpt-mini compile 1.4 s longer).
  static bool rowsOfWholeTiles(linalg::GenericOp op, const TilePlan &plan) {
    unsigned dim = plan.order[plan.rowLoop];
    return llvm::any_of(mergedRowFactors(op, dim), [&](int64_t merged) {
      return merged % plan.sizes[dim] == 0;
    });
  }

  /// A contraction split by its rows: those that fill whole tiles, and the
  /// rest in parts of tiles of fewer rows, each with the rows of its tiles
  /// (when tiles take 8: 0 or 1 tile of 4, of 2 and of 1). Each op after
  /// a fill of its result if the contraction had one.
  struct RowSplit {
    linalg::GenericOp whole;
    SmallVector<std::pair<linalg::GenericOp, int64_t>> rest;
    Value rows;
  };
  /// `op`'s rows are the batch (batchRows).
  RowSplit splitRows(linalg::GenericOp op, const TilePlan &plan,
                     RewriterBase &rewriter) {
    unsigned dim = plan.order[plan.rowLoop];
    int64_t size = plan.sizes[dim];
    Location loc = op.getLoc();
    ResultFill fill = fillOfResult(op);
    rewriter.setInsertionPoint(fill ? fill.op() : op.getOperation());
    Value rows = getValueOrCreateConstantIndexOp(
        rewriter, loc,
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
      linalg::GenericOp clone =
          onRangeFilled(op, dim, from, to, fill, rewriter);
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
  void forget(linalg::GenericOp op, RewriterBase &rewriter) {
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
  FailureOr<scf::ForOp> tileLoops(linalg::GenericOp op, const TilePlan &plan,
                                  RewriterBase &rewriter, Value &panel,
                                  bool rowsDivide = false,
                                  scf::ForOp *rowRest = nullptr) {
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
    FailureOr<linalg::TiledLinalgOp> tiled = linalg::tileLinalgOp(
        rewriter, op,
        linalg::LinalgTilingOptions().setTileSizes(plan.sizes).setInterchange(
            plan.order));
    if (failed(tiled))
      return op.emitError("could not tile this contraction");
    int64_t terms = mostTerms(op.getStaticLoopRanges().back());
    if ((panel && failed(readPanel(tiled->op, 1, panel, terms, rewriter))) ||
        (rowPanel &&
         failed(readPanel(tiled->op, 0, rowPanel, terms, rewriter))))
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

  /// The tile loop over loop `dim` of `op` tiled by `plan`, and its tile
  /// size; null where that loop is not tiled.
  static std::pair<scf::ForOp, int64_t>
  tileLoopOf(const linalg::TiledLinalgOp &tiled, const TilePlan &plan,
             int64_t dim) {
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
  static bool skipAbove(linalg::GenericOp op,
                        const linalg::TiledLinalgOp &tiled,
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
      AffineMap map = AffineMap::get(
          2, 0, {bound, rewriter.getAffineDimExpr(1)}, rewriter.getContext());
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
  static void wholeRowTiles(scf::ForOp rows, int64_t size,
                            RewriterBase &rewriter) {
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
  static scf::ForOp withRest(scf::ForOp whole, ArrayRef<scf::ForOp> rest,
                             Value rows, RewriterBase &rewriter) {
    Location loc = whole.getLoc();
    rewriter.setInsertionPoint(rest.back()); // after every view they read
    auto loop = rewriter.create<scf::ForOp>(loc, whole.getLowerBound(), rows,
                                            whole.getStep());
    rewriter.setInsertionPointToStart(loop.getBody());
    Value iv = loop.getInductionVar();
    Value isWhole = rewriter.create<arith::CmpIOp>(
        loc, arith::CmpIPredicate::slt, iv, whole.getUpperBound());
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

  /// Replaces the transposing copy `op` by square tiles of one vector's
  /// width (marked), the edges peeled: each tile reads whole rows, swaps
  /// them in registers (16x16 shuffles with AVX-512) and writes whole
  /// rows. As loops, LLVM vectorized the copy with gathers along columns
  /// (mnist-mlp's Wᵀ for its input gradient: 7 % of a step).
  LogicalResult tileTranspose(linalg::GenericOp op, RewriterBase &rewriter,
                              bool mayParallelize = true) {
    int64_t width = std::max<int64_t>(tileN / 2, 1);
    bool large = mayParallelize && iterationCount(op) >= minParallelIterations;
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::TiledLinalgOp> tiled = linalg::tileLinalgOp(
        rewriter, op,
        linalg::LinalgTilingOptions().setTileSizes({width, width}));
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

  /// The fill of `op`'s result just before it (a matmul's zeroed
  /// accumulator), if nothing else reads or writes that buffer in between;
  /// alone or the one op of an scf.if without results or else.
  static ResultFill fillOfResult(linalg::GenericOp op) {
    ResultFill found;
    Operation *prev = op->getPrevNode();
    if (auto guard = dyn_cast_or_null<scf::IfOp>(prev);
        guard && guard->getNumResults() == 0 && guard.getElseRegion().empty() &&
        guard.thenBlock()->getOperations().size() == 2) {
      found.guard = guard;
      prev = &guard.thenBlock()->front();
    }
    found.fill = dyn_cast_or_null<linalg::FillOp>(prev);
    Value out = op.getDpsInitOperand(0)->get();
    if (!found.fill || found.fill.getDpsInitOperand(0)->get() != out ||
        llvm::is_contained(op.getDpsInputs(), out))
      return {};
    return found;
  }

  /// Moves `fill` into the tile loops: each tile fills its own result just
  /// before its sum. Tiles partition the result, so every element is still
  /// filled once before it is summed into; once vectorized, the tile's
  /// accumulator starts as the fill value in registers instead of being
  /// loaded from memory a memset wrote (transferOpflowOpt forwards it).
  static void fillEachTile(ResultFill fill, linalg::TiledLinalgOp &tiled,
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

  /// Moves `fill` into the loop over the images of a window contraction
  /// whose taps run outside its tiles (tapsOutsideTheImage): each image's
  /// result is filled just before its taps, and stays in cache for them.
  static void fillEachImage(ResultFill fill, linalg::TiledLinalgOp &tiled,
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
};

} // namespace
