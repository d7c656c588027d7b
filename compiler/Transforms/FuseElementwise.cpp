//===- FuseElementwise.cpp - elementwise chains into one loop nest --------===//
//
// Expects: linalg on tensors (sinter-lower-to-linalg's output). Produces:
// each chain of elementwise `linalg.generic`s merged into its consumer, so
// a bias add, its activation and the activation's gradient mask run as one
// loop nest over the data instead of one pass (and one buffer) each.
//
// A producer merges only into its one user, and only where that user is
// elementwise and reads each element once (through a permutation of its
// loops). A result with other users too is first yielded by its first
// user, when that one reads it in its own order and comes before the
// others (YieldForLaterUsers): then it has one user. Anything else
// computes elements twice: a contraction or window op reads each element
// many times; a user before the consumer would need its own copy of the
// producer (the residual stream of a transformer, feeding every block,
// became one op recomputing all blocks' sums); a reduction keeps its loop
// scalar (LLVM does not reorder float sums), and the merged elementwise
// work with it. A collapse_shape between an elementwise
// producer and its consumer is folded into the consumer first, so the two
// merge (a convolution's output back to channels last with its bias and
// ReLU; a pool's gradient with the ReLU's gradient mask). See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace sinter {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;

namespace {

/// Whether `operand`'s owner is an elementwise generic that reads each of
/// its elements once (through a permutation of its loops).
bool readsEachElementOnce(OpOperand *operand) {
  auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
  return consumer && consumer.getNumParallelLoops() == consumer.getNumLoops() &&
         consumer.getMatchingIndexingMap(operand).isPermutation();
}

/// Whether `operand`'s producer can merge into its consumer without any
/// element computed twice: the consumer is elementwise, reads each element
/// of the operand once, and is the only user of every result of the
/// producer (one that yields a result for later users too, merged into
/// one of those, stayed for the others and was merged back: no end).
bool mergesWithoutRecomputing(OpOperand *operand) {
  Operation *producer = operand->get().getDefiningOp();
  return readsEachElementOnce(operand) && producer &&
         llvm::all_of(producer->getUsers(), [&](Operation *user) {
           return user == operand->getOwner();
         });
}

/// Whether the collapse_shape that `operand` reads may fold into its
/// consumer (the consumer's loops expanded to the collapse's source shape):
/// where it collapses an elementwise generic used nowhere else, which then
/// merges with the consumer. A channels-first convolution's output goes
/// back to channels last and is collapsed to [N, H, W, C] before its bias
/// and activation; folded, those run in the copy's loop (lenet: one pass
/// over conv1's output, not two). A pool's gradient, spread over the
/// window's taps and collapsed to [N, H, W, C], merges with the
/// activation's gradient mask that follows it (lenet: one pass over
/// conv1's 1.2 MB gradient, not a write and a read more).
bool foldsCollapsedProducer(OpOperand *operand) {
  auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
  auto collapse = operand->get().getDefiningOp<tensor::CollapseShapeOp>();
  if (!consumer || !collapse || !collapse->hasOneUse() ||
      consumer.getNumParallelLoops() != consumer.getNumLoops())
    return false;
  auto producer = collapse.getSrc().getDefiningOp<linalg::GenericOp>();
  return producer && producer->hasOneUse() && producer.getNumDpsInits() == 1 &&
         producer.getNumParallelLoops() == producer.getNumLoops();
}

/// Makes the first user of an elementwise result with several users also
/// yield that result, for the others, when it is elementwise, reads the
/// result in its own order, and can take the result's producer in (the
/// producer then has one user, and merges): a Dense layer's pre-activation
/// x·W + b, which the activation's gradient reads again, is written by the
/// activation's loop, not in a pass of its own. Only when every other user
/// comes after that first one: the residual stream of a transformer (its
/// next layer norm, a reduction, reads it first) stays apart.
struct YieldForLaterUsers : public OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp producer,
                                PatternRewriter &rewriter) const override {
    if (producer->getNumResults() != 1 || producer->hasOneUse() ||
        producer->use_empty())
      return failure();
    Value result = producer->getResult(0);
    Block *block = producer->getBlock();
    SmallVector<Operation *> users;
    for (Operation *user : result.getUsers()) {
      Operation *at = block->findAncestorOpInBlock(*user);
      if (!at)
        return failure();
      users.push_back(at);
    }
    llvm::sort(users, [](Operation *a, Operation *b) {
      return a != b && a->isBeforeInBlock(b);
    });
    auto consumer = dyn_cast<linalg::GenericOp>(users.front());
    if (!consumer || users[1] == consumer)
      return failure();
    OpOperand *read = nullptr;
    for (OpOperand &operand : consumer->getOpOperands())
      if (operand.get() == result) {
        // Read in its own order: the loop stores it along its rows. (A
        // transposing consumer, attention's Kᵀ, would store it across
        // them, 512 bytes apart: slower than the pass it saves.)
        if (read || !linalg::areElementwiseOpsFusable(&operand) ||
            !readsEachElementOnce(&operand) ||
            !consumer.getMatchingIndexingMap(&operand).isIdentity())
          return failure();
        read = &operand;
      }
    if (!read)
      return failure();

    // The consumer with one more output, the value it read.
    SmallVector<Value> inits = consumer.getDpsInits();
    inits.push_back(producer.getDpsInits()[0]);
    SmallVector<AffineMap> maps = consumer.getIndexingMapsArray();
    maps.push_back(consumer.getMatchingIndexingMap(read));
    SmallVector<Type> types(consumer->getResultTypes());
    types.push_back(result.getType());
    rewriter.setInsertionPoint(consumer);
    auto yielding = rewriter.create<linalg::GenericOp>(
        consumer.getLoc(), types, consumer.getDpsInputs(), inits, maps,
        consumer.getIteratorTypesArray());
    yielding->setDiscardableAttrs(consumer->getDiscardableAttrDictionary());
    rewriter.inlineRegionBefore(consumer.getRegion(), yielding.getRegion(),
                                yielding.getRegion().begin());
    Block &body = yielding.getRegion().front();
    body.addArgument(getElementTypeOrSelf(result.getType()), result.getLoc());
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    rewriter.modifyOpInPlace(yield, [&] {
      yield->insertOperands(yield->getNumOperands(),
                            body.getArgument(read->getOperandNumber()));
    });
    rewriter.replaceAllUsesExcept(result, yielding->getResults().back(),
                                  yielding);
    rewriter.replaceOp(consumer, yielding->getResults().drop_back());
    return success();
  }
};

struct FuseElementwisePass
    : public sinter::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<YieldForLaterUsers>(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns,
                                                 mergesWithoutRecomputing);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns,
                                                      foldsCollapsedProducer);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns)))) {
      getOperation().emitError("elementwise fusion did not converge");
      signalPassFailure();
    }
  }
};

} // namespace
