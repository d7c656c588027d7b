//===- WindowLowering.h - what convolutions and pooling lower with --------===//
//
// Shared by LowerConvolutions.cpp and LowerPooling.cpp (parts of
// sinter-lower-to-linalg): a window op's two spatial dimensions, and the
// padded copies its forward reads and its gradient gathers from.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_WINDOWLOWERING_H
#define SINTER_TRANSFORMS_WINDOWLOWERING_H

#include "compiler/Transforms/LinalgEmitter.h"
#include "dialects/Sinter/IR/WindowGeometry.h"

namespace sinter::lowering {

/// The two spatial dimensions of a window op.
struct Sweep {
  WindowDim dim[2];

  Sweep(ArrayRef<int64_t> window, ArrayRef<int64_t> strides,
        ArrayRef<int64_t> dilations, ArrayRef<int64_t> padding) {
    for (int d = 0; d < 2; ++d)
      dim[d] = {window[d], strides[d], dilations.empty() ? 1 : dilations[d],
                padding[2 * d], padding[2 * d + 1]};
  }
  bool padded() const {
    return dim[0].padBefore || dim[0].padAfter || dim[1].padBefore ||
           dim[1].padAfter;
  }
};

inline AffineExpr dimExpr(OpBuilder &b, unsigned i) {
  return b.getAffineDimExpr(i);
}

/// A fresh tensor of `sizes` (rows and columns static at `rowDim` and
/// `rowDim + 1`) filled with `fill` but in the box of `height` rows from
/// `top` and `width` columns from `left`, which the caller writes.
Value filledAround(Emitter &e, ArrayRef<OpFoldResult> sizes, Type type,
                   unsigned rowDim, double fill, int64_t top, int64_t height,
                   int64_t left, int64_t width);

/// A fresh [N, h, w, C] tensor filled with `fill` with `src` written at
/// rows `top + i * rowStep` and columns `left + j * colStep`.
Value placed(Emitter &e, Value src, int64_t h, int64_t w, double fill,
             int64_t top, int64_t left, int64_t rowStep = 1,
             int64_t colStep = 1);

/// `x` [N, H, W, C] with the sweep's pads around it, filled with `fill`.
Value padInput(Emitter &e, Value x, const Sweep &s, double fill);

/// The output cotangent `g` [N, OH, OW, C] spread for a gather over the
/// input [N, H, W, C] (see WindowLowering.cpp).
Value spreadForGather(Emitter &e, Value g, RankedTensorType input,
                      const Sweep &s, double fill);

/// `v` as `type` (a cast from the static shape lowering found).
inline Value castTo(OpBuilder &b, Location loc, Value v, Type type) {
  return v.getType() == type ? v : b.create<tensor::CastOp>(loc, type, v);
}

} // namespace sinter::lowering

#endif // SINTER_TRANSFORMS_WINDOWLOWERING_H
