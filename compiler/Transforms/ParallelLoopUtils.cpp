//===- ParallelLoopUtils.cpp - what the threading passes share -------------===//
#include "compiler/Transforms/ParallelLoopUtils.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

/// A guess at the batch for dynamic sizes, to judge the work of an op.
constexpr int64_t kDynamicSizeGuess = 32;

/// A guess at dimension `dim` of the shaped value `v`: its static size, or,
/// where `v` merges dimensions (the batch with the positions of a
/// convolution, say), the product of the merged ones' guesses; else the
/// batch guess.
static int64_t sizeGuess(Value v, int64_t dim) {
  int64_t size = cast<ShapedType>(v.getType()).getDimSize(dim);
  if (!ShapedType::isDynamic(size))
    return size;
  auto merged = [&](Value src, ArrayRef<ReassociationIndices> groups) {
    int64_t n = 1;
    for (int64_t d : groups[dim])
      n *= sizeGuess(src, d);
    return n;
  };
  if (auto c = v.getDefiningOp<tensor::CollapseShapeOp>())
    return merged(c.getSrc(), c.getReassociationIndices());
  if (auto c = v.getDefiningOp<memref::CollapseShapeOp>())
    return merged(c.getSrc(), c.getReassociationIndices());
  return kDynamicSizeGuess;
}

int64_t sinter::iterationCount(linalg::LinalgOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> guesses(ranges.size(), kDynamicSizeGuess);
  // A loop's guess from the largest operand dimension it indexes directly.
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<ShapedType>(operand.get().getType()))
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [i, expr] : llvm::enumerate(map.getResults()))
      if (auto d = dyn_cast<AffineDimExpr>(expr))
        guesses[d.getPosition()] = std::max(
            guesses[d.getPosition()], sizeGuess(operand.get(), i));
  }
  int64_t n = 1;
  for (auto [size, guess] : llvm::zip(ranges, guesses))
    n *= ShapedType::isDynamic(size) ? guess : size;
  return n;
}

void sinter::parallelize(scf::ForOp loop, RewriterBase &rewriter) {
  rewriter.setInsertionPoint(loop);
  rewriter.create<scf::ParallelOp>(
      loop.getLoc(), ValueRange{loop.getLowerBound()},
      ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()},
      [&](OpBuilder &b, Location, ValueRange ivs) {
        IRMapping map;
        map.map(loop.getInductionVar(), ivs[0]);
        for (Operation &op : loop.getBody()->without_terminator())
          b.clone(op, map);
      });
  rewriter.eraseOp(loop);
}
