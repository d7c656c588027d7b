//===- TileWrites.h - where a register-tiled nest writes its result -------===//
//
// What the passes after sinter-tile-contractions ask of a tiled nest: which
// buffer a memref is a view of, which buffers an op writes, what region of
// its result a tile write covers, and whether that write is the region's
// last (the tile's sum is finished there).
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_TILEWRITES_H
#define SINTER_TRANSFORMS_TILEWRITES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"

#include <optional>

namespace sinter {

/// A box of a buffer: where a tile write puts its values.
struct TileRegion {
  llvm::SmallVector<mlir::OpFoldResult> offsets, sizes;
  /// False when a size is known at run time only and was not built.
  bool knownSizes = true;
};

/// The buffer a memref value is a view of (through views of any kind).
mlir::Value bufferOf(mlir::Value view);

/// The buffers `op` writes into: a vector write's, a store's, a linalg
/// op's outputs; nullopt for a write of another kind.
std::optional<llvm::SmallVector<mlir::Value>>
buffersWrittenBy(mlir::Operation *op);

/// Whether `op` itself may write memory (its nested ops aside).
bool mayWrite(mlir::Operation *op);

/// The region of `root` a tile write inside `nest` covers: a
/// minor-identity, in-bounds vector write, or a linalg op's whole output
/// window, through windows of `root` made inside `nest`. Without `moving`,
/// the offsets and sizes are built at `b`'s insertion point; with it, only
/// checked, and the index values that move the region are appended there.
std::optional<TileRegion> regionOf(mlir::Operation *write, mlir::Value root,
                                   mlir::Operation *nest, mlir::OpBuilder &b,
                                   llvm::SmallVector<mlir::Value> *moving);

/// Whether no later write inside `nest` writes `region` of `root` again
/// (see TileWrites.cpp); `moving` as from regionOf.
bool isFinalWrite(mlir::Operation *write, mlir::Value root,
                  const TileRegion &region, llvm::ArrayRef<mlir::Value> moving,
                  mlir::Operation *nest);

} // namespace sinter

#endif // SINTER_TRANSFORMS_TILEWRITES_H
