//===- ParallelLoopUtils.cpp - what the threading passes share -------------===//
#include "compiler/Transforms/ParallelLoopUtils.h"

#include "mlir/IR/IRMapping.h"

using namespace mlir;

/// A guess at the batch for dynamic sizes, to judge the work of an op.
constexpr int64_t kDynamicSizeGuess = 32;

int64_t sinter::iterationCount(linalg::LinalgOp op) {
  int64_t n = 1;
  for (int64_t size : op.getStaticLoopRanges())
    n *= ShapedType::isDynamic(size) ? kDynamicSizeGuess : size;
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
