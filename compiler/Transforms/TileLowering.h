//===- TileLowering.h - vectorized tiles into FMAs ------------------------===//
//
// The last step of sinter-tile-contractions: its vectorized register tiles
// become FMAs on accumulators held in registers for the whole sum; and the
// pattern driver the pass runs its rewrites with.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_TILELOWERING_H
#define SINTER_TRANSFORMS_TILELOWERING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"

namespace sinter {

/// Applies `populate`'s patterns to `root` until they settle (without the
/// driver's region simplification: see TileLowering.cpp).
mlir::LogicalResult
applyPatterns(mlir::Operation *root,
              llvm::function_ref<void(mlir::RewritePatternSet &)> populate);

/// Adds every op's and dialect's canonicalization patterns.
void addCanonicalization(mlir::RewritePatternSet &patterns);

/// Turns the vectorized tiles of `func` (tiles of up to `tileN` columns,
/// for a target with `registers` vector registers) into FMAs on a
/// register-held accumulator.
mlir::LogicalResult lowerTiles(mlir::func::FuncOp func, int64_t tileN,
                               int64_t registers);

} // namespace sinter

#endif // SINTER_TRANSFORMS_TILELOWERING_H
