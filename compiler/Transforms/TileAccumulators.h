//===- TileAccumulators.h - register tiles' sums, once lowered ------------===//
//
// The steps sinter-tile-contractions takes after its tiles are FMAs on
// accumulators carried through their sum loops (TileLowering).
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_TILEACCUMULATORS_H
#define SINTER_TRANSFORMS_TILEACCUMULATORS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"

namespace sinter {

/// Starts each first block's tile whose guarded fill zeroes its result
/// from zeros in registers instead of reading the zeros back.
void startFromGuardedFills(mlir::func::FuncOp func);

/// Unrolls the taps loops marked kUnrollMarker: the loads their steps
/// share become one value.
mlir::LogicalResult unrollMarkedSums(mlir::func::FuncOp func);

/// Splits the sum of each tile with fewer accumulator registers (of
/// `lanes` floats) than the FMA latency covers between two sets.
void splitAccumulators(mlir::func::FuncOp func, int64_t lanes,
                       mlir::RewriterBase &rewriter);

} // namespace sinter

#endif // SINTER_TRANSFORMS_TILEACCUMULATORS_H
