//===- TilePlan.h - the register tile of one contraction ------------------===//
//
// How sinter-tile-contractions shapes the register tile of a contraction
// or window contraction: a tile size per loop and the order of the tile
// loops, chosen from the op's maps, its static sizes and the target's
// tile-m, tile-n and vector registers.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_TILEPLAN_H
#define SINTER_TRANSFORMS_TILEPLAN_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace sinter {

/// How one contraction is tiled: a size per loop (in the op's loop order)
/// and the order of the tile loops.
struct TilePlan {
  llvm::SmallVector<int64_t> sizes;
  llvm::SmallVector<unsigned> order;
  /// Positions in `order` of the row and column loops, which may need their
  /// partial tiles peeled (-1: none).
  int rowLoop = -1, colLoop = -1;
  /// A window contraction: its tiles keep several unit-size summed loops
  /// in maps like `i + a`, which vectorize once those are dropped.
  bool window = false;
  /// Summed loops run outside the tile loops (tapsOutsideTheImage): the
  /// result is filled before them, not by each tile.
  bool tapsOutside = false;
  /// The innermost summed loop (taps read with the tile's rows or fan:
  /// `i + a`, `j + b`) runs unrolled, so that each input value the taps
  /// share is loaded once (shareBroadcastsAcrossTaps).
  bool unrollInnerSum = false;
};

/// The tile size along a dimension of `size` (dynamic or static) for a
/// register tile of up to `preferred` rows (`rows`) or columns, of a
/// contraction or a window contraction (see TilePlan.cpp).
int64_t tileSize(int64_t size, int64_t preferred, bool rows, bool contraction);

/// The plan for `op`, or nothing when it is not a (window) contraction
/// whose result is contiguous along a loop that no operand strides through.
std::optional<TilePlan> planFor(mlir::linalg::GenericOp op, int64_t tileM,
                                int64_t tileN, int64_t registers);

} // namespace sinter

#endif // SINTER_TRANSFORMS_TILEPLAN_H
