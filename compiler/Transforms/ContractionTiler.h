//===- ContractionTiler.h - sinter-tile-contractions' state and steps -----===//
//
// What sinter-tile-contractions knows while it tiles one function, and the
// steps it takes, each defined in the file named after what it does:
//   TileContractions.cpp  the pass: which ops, in what order (run)
//   SumBlocks.cpp         sums over the batch in blocks or parts, products
//                         in blocks of columns
//   PackPanels.cpp        operands copied into panels of register tiles
//   ColumnsOnThreads.cpp  input gradients (dY · Wᵀ) by blocks of columns on
//                         threads, and transposing copies run only when
//                         their product does not pack
//   TileLoops.cpp         a contraction or transpose as its loops of
//                         register tiles
//   ContractionParts.cpp  a contraction cut along one loop, and its fill
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_CONTRACTIONTILER_H
#define SINTER_TRANSFORMS_CONTRACTIONTILER_H

#include "compiler/Transforms/TilePlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace sinter {

/// Terms of a sum a block of it takes (blockTheBatchSum): their rows of
/// both operands stay in the L2 cache.
constexpr int64_t kSumBlock = 256;

/// Marks the scf.parallel over the parts (and their groups) while their
/// blocks are tiled: buffers allocated in it are one per iteration
/// (allocInEntry).
constexpr llvm::StringLiteral kPartsMarker = "sinter.parts";
/// Marks the tiles to vectorize until the loops around them settle.
constexpr llvm::StringLiteral kTileMarker = "sinter.register_tile";
constexpr llvm::StringLiteral kWindowTileMarker = "sinter.window_tile";
/// A transpose's tile: vectorized if a whole square or a small edge.
constexpr llvm::StringLiteral kTransposeTileMarker = "sinter.transpose_tile";
/// Marks a window tile's innermost sum loop to unroll once its tile is
/// lowered (TilePlan::unrollInnerSum).
constexpr llvm::StringLiteral kUnrollMarker = "sinter.unroll";

/// Whether a product of `columns` summing `terms` runs in blocks of columns
/// (and may pack): see SumBlocks.cpp.
bool blocksColumns(int64_t columns, int64_t terms, bool linePanels);

/// The fill of a contraction's result just before it (its zeroed
/// accumulator): a linalg.fill, or one an scf.if holds (a block of a sum
/// over the batch run in a loop over the blocks fills only in the loop's
/// first iteration: blockTheBatchSum). The rewrites that split the
/// contraction give each part the same fill of its own result.
struct ResultFill {
  mlir::linalg::FillOp fill;
  mlir::scf::IfOp guard; // null: unconditional

  explicit operator bool() const { return bool(fill); }
  /// The op in the contraction's block: the guard, else the fill.
  mlir::Operation *op() {
    return guard ? guard.getOperation() : fill.getOperation();
  }
  /// The same fill of `out` at the insertion point (after which the
  /// insertion point stays), under the same condition; returns the
  /// linalg.fill.
  mlir::linalg::FillOp createFor(mlir::Value out, mlir::RewriterBase &rewriter);
};

/// The fill of `op`'s result just before it, if nothing else reads or
/// writes that buffer in between (ContractionParts.cpp).
ResultFill fillOfResult(mlir::linalg::GenericOp op);

/// A clone of `op` over [start, start + count) of its loop `loop`, its
/// operands read through subviews of that range (ContractionParts.cpp).
mlir::linalg::GenericOp onRange(mlir::linalg::GenericOp op, unsigned loop,
                                mlir::OpFoldResult start,
                                mlir::OpFoldResult count,
                                mlir::RewriterBase &rewriter);

/// onRange, the clone after a fill of its result like `fill` if given.
mlir::linalg::GenericOp onRangeFilled(mlir::linalg::GenericOp op, unsigned loop,
                                      mlir::OpFoldResult start,
                                      mlir::OpFoldResult count, ResultFill fill,
                                      mlir::RewriterBase &rewriter);

/// An scf.for from `first` to `end` by `block`, and in it `op` over that
/// block of its loop `loop` (ContractionParts.cpp).
std::pair<mlir::scf::ForOp, mlir::linalg::GenericOp>
onEachBlock(mlir::linalg::GenericOp op, unsigned loop, mlir::Value first,
            mlir::Value end, mlir::Value block, mlir::RewriterBase &rewriter);

/// The products of the static sizes an operand of `op` merges with its
/// loop `dim` (ContractionParts.cpp).
llvm::SmallVector<int64_t> mergedRowFactors(mlir::linalg::GenericOp op,
                                            unsigned dim);

/// A buffer of `type` in the function's entry block, one per iteration
/// inside the parts of a sum (PackPanels.cpp).
mlir::Value allocInEntry(mlir::MemRefType type, mlir::Location loc,
                         mlir::RewriterBase &rewriter);

/// The panel of `terms` x `count` floats at element `start` of `panels`
/// (PackPanels.cpp).
mlir::FailureOr<mlir::Value> panelIn(mlir::Value panels,
                                     mlir::OpFoldResult start, int64_t terms,
                                     int64_t count,
                                     mlir::RewriterBase &rewriter);

/// The most terms a sum of `terms` takes in one block (PackPanels.cpp).
int64_t mostTerms(int64_t terms);

/// Makes the register tile `tile` read its operand `number` from `panel`
/// (PackPanels.cpp).
mlir::LogicalResult readPanel(mlir::linalg::LinalgOp tile, unsigned number,
                              mlir::Value panel, int64_t mostTerms,
                              mlir::RewriterBase &rewriter);

/// sinter-tile-contractions over one function: its options and what it
/// learns of the ops it creates.
class ContractionTiler {
public:
  ContractionTiler(int64_t tileM, int64_t tileN, int64_t registers,
                   int64_t minParallelIterations)
      : tileM(tileM), tileN(tileN), registers(registers),
        minParallelIterations(minParallelIterations) {}

  /// Tiles and vectorizes the contractions and transposing copies of
  /// `func` (see TileContractions.cpp).
  mlir::LogicalResult run(mlir::func::FuncOp func);

private:
  const int64_t tileM, tileN, registers, minParallelIterations;

  /// Blocks of columns that read a packed panel: whether tile() packs the
  /// right operand's, and the panel of row tiles they read the left
  /// operand from (packRows), or null.
  struct Packing {
    bool columns;
    mlir::Value rows;
  };
  llvm::DenseMap<mlir::Operation *, Packing> packedBlocks;
  /// Blocks of a contraction large enough for threads: each block runs its
  /// tiles on threads too, though its own ranges may judge it small (a
  /// block of a sum of dynamic size counts as the batch guess; 333 x 555 x
  /// 777's edge of 9 columns ran on one thread).
  llvm::DenseSet<mlir::Operation *> largeBlocks;
  /// Buffers whose transposing copy runs only when their product does not
  /// pack, with the copy's source (conditionalTranspose).
  llvm::DenseMap<mlir::Value, mlir::Value> transposedFrom;

  // TileContractions.cpp
  mlir::LogicalResult splitWideEdges(mlir::func::FuncOp func,
                                     mlir::RewriterBase &rewriter);

  // PackPanels.cpp
  bool linePanels(int64_t columns) const;
  int64_t packElements(int64_t columns) const;
  int64_t packRowElements(int64_t columns) const;
  mlir::LogicalResult copyTransposed(mlir::Value from, mlir::Value to,
                                     mlir::RewriterBase &rewriter,
                                     bool mayParallelize);
  mlir::Value copyTransposeIntoTiles(mlir::Value source, int64_t width,
                                     int64_t mostTerms,
                                     mlir::RewriterBase &rewriter);
  mlir::Value copyIntoTiles(mlir::Value source, int64_t width,
                            int64_t mostTerms, mlir::RewriterBase &rewriter,
                            bool partialTile = false);
  mlir::FailureOr<mlir::Value> packPanel(mlir::linalg::GenericOp op,
                                         const TilePlan &plan,
                                         mlir::RewriterBase &rewriter);
  mlir::Value packRows(mlir::linalg::GenericOp op,
                       mlir::RewriterBase &rewriter);

  // SumBlocks.cpp
  llvm::SmallVector<mlir::linalg::GenericOp>
  blockTheColumns(mlir::linalg::GenericOp op, mlir::RewriterBase &rewriter);
  llvm::SmallVector<mlir::linalg::GenericOp>
  blockTheBatchSum(mlir::linalg::GenericOp op, mlir::RewriterBase &rewriter);
  llvm::SmallVector<mlir::linalg::GenericOp>
  blockTheWindowSum(mlir::linalg::GenericOp op, const TilePlan &plan,
                    mlir::RewriterBase &rewriter);
  llvm::SmallVector<std::pair<mlir::linalg::GenericOp, TilePlan>>
  splitWideWindowEdge(mlir::linalg::GenericOp op, const TilePlan &plan,
                      mlir::RewriterBase &rewriter);
  std::pair<unsigned, int64_t> partGroups(mlir::linalg::GenericOp op) const;
  mlir::linalg::GenericOp inParts(mlir::linalg::GenericOp op, ResultFill fill,
                                  mlir::Value total,
                                  mlir::RewriterBase &rewriter);

  // ColumnsOnThreads.cpp
  bool packsSharedPanels(mlir::linalg::GenericOp op) const;
  mlir::FailureOr<llvm::SmallVector<mlir::linalg::GenericOp>>
  columnsOnThreads(mlir::linalg::GenericOp op,
                   llvm::ArrayRef<mlir::linalg::GenericOp> copies,
                   mlir::RewriterBase &rewriter);
  void conditionalTranspose(mlir::linalg::GenericOp op,
                            llvm::ArrayRef<mlir::linalg::GenericOp> copies,
                            mlir::RewriterBase &rewriter);
  std::optional<mlir::Value> viewOfTransposed(mlir::Value view,
                                              mlir::RewriterBase &rewriter);

  // TileLoops.cpp
  /// A contraction split by its rows: those that fill whole tiles, and the
  /// rest in parts of tiles of fewer rows, each with the rows of its tiles
  /// (when tiles take 8: 0 or 1 tile of 4, of 2 and of 1). Each op after
  /// a fill of its result if the contraction had one.
  struct RowSplit {
    mlir::linalg::GenericOp whole;
    llvm::SmallVector<std::pair<mlir::linalg::GenericOp, int64_t>> rest;
    mlir::Value rows;
  };
  mlir::LogicalResult tile(mlir::linalg::GenericOp op, const TilePlan &plan,
                           mlir::RewriterBase &rewriter);
  RowSplit splitRows(mlir::linalg::GenericOp op, const TilePlan &plan,
                     mlir::RewriterBase &rewriter);
  void forget(mlir::linalg::GenericOp op, mlir::RewriterBase &rewriter);
  mlir::FailureOr<mlir::scf::ForOp>
  tileLoops(mlir::linalg::GenericOp op, const TilePlan &plan,
            mlir::RewriterBase &rewriter, mlir::Value &panel,
            bool rowsDivide = false, mlir::scf::ForOp *rowRest = nullptr);
  mlir::LogicalResult tileTranspose(mlir::linalg::GenericOp op,
                                    mlir::RewriterBase &rewriter,
                                    bool mayParallelize = true);
};

} // namespace sinter

#endif // SINTER_TRANSFORMS_CONTRACTIONTILER_H
