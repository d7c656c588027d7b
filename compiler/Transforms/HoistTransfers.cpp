//===- HoistTransfers.cpp - register tiles' accumulators out of loops -----===//
//
// See HoistTransfers.h.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/HoistTransfers.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;

namespace {

struct TransferPair {
  vector::TransferReadOp read;
  vector::TransferWriteOp write;
};

/// The write that makes `read`, an op of `loop`'s body, a hoistable pair.
vector::TransferWriteOp pairedWrite(vector::TransferReadOp read,
                                    scf::ForOp loop) {
  if (!isa<MemRefType>(read.getShapedType()) ||
      !llvm::all_of(read->getOperands(), [&](Value operand) {
        return loop.isDefinedOutsideOfLoop(operand);
      }))
    return {};
  // The first write of the buffer that the value reaches.
  SetVector<Operation *> slice;
  getForwardSlice(read.getOperation(), &slice);
  vector::TransferWriteOp write;
  for (Operation *op : slice) {
    auto candidate = dyn_cast<vector::TransferWriteOp>(op);
    if (candidate && candidate.getSource() == read.getSource()) {
      write = candidate;
      break;
    }
  }
  // In the loop's body itself: moved after the loop, it runs once, as it
  // did in the last iteration.
  if (!write || write->getBlock() != read->getBlock() ||
      write.getIndices() != read.getIndices() ||
      write.getVectorType() != read.getVectorType() ||
      write.getPermutationMap() != read.getPermutationMap() ||
      isa_and_nonnull<ViewLikeOpInterface>(read.getSource().getDefiningOp()))
    return {};
  for (OpOperand &use : read.getSource().getUses()) {
    Operation *user = use.getOwner();
    if (user == read || user == write || !loop->isAncestor(user))
      continue;
    auto transfer = dyn_cast<VectorTransferOpInterface>(user);
    if (!transfer ||
        !vector::isDisjointTransferSet(
            cast<VectorTransferOpInterface>(write.getOperation()), transfer,
            /*testDynamicValueUsingBounds=*/true))
      return {};
  }
  return write;
}

/// Hoists every pair of `loop`'s body; returns the loop that replaces it,
/// or `loop` when there was none.
scf::ForOp hoistPairsOf(scf::ForOp loop, RewriterBase &rewriter) {
  SmallVector<TransferPair> pairs;
  for (auto read : loop.getBody()->getOps<vector::TransferReadOp>())
    if (vector::TransferWriteOp write = pairedWrite(read, loop))
      pairs.push_back({read, write});
  if (pairs.empty())
    return loop;
  SmallVector<Value> inits;
  for (TransferPair &pair : pairs) {
    loop.moveOutOfLoop(pair.read);
    pair.write->moveAfter(loop);
    inits.push_back(pair.read.getVector());
  }
  NewYieldValuesFn yields = [&](OpBuilder &, Location,
                                ArrayRef<BlockArgument>) {
    SmallVector<Value> written;
    for (TransferPair &pair : pairs)
      written.push_back(pair.write.getVector());
    return written;
  };
  // Markers the loop carried (sinter-tile-contractions') stay on it.
  DictionaryAttr markers = loop->getDiscardableAttrDictionary();
  auto carried =
      cast<scf::ForOp>(*cast<LoopLikeOpInterface>(loop.getOperation())
                            .replaceWithAdditionalYields(
                                rewriter, inits,
                                /*replaceInitOperandUsesInLoop=*/true, yields));
  carried->setDiscardableAttrs(markers);
  auto results = carried.getResults().take_back(pairs.size());
  for (auto [pair, result] : llvm::zip_equal(pairs, results))
    pair.write.getVectorMutable().assign(result);
  return carried;
}

} // namespace

void sinter::hoistTransferPairs(Operation *root) {
  SmallVector<LoopLikeOpInterface> innermostFirst;
  root->walk([&](LoopLikeOpInterface loop) { innermostFirst.push_back(loop); });
  IRRewriter rewriter(root->getContext());
  for (LoopLikeOpInterface loop : innermostFirst) {
    moveLoopInvariantCode(loop);
    auto forOp = dyn_cast<scf::ForOp>(loop.getOperation());
    while (forOp) {
      scf::ForOp carried = hoistPairsOf(forOp, rewriter);
      if (carried == forOp)
        break;
      forOp = carried;
      moveLoopInvariantCode(cast<LoopLikeOpInterface>(forOp.getOperation()));
    }
  }
}
