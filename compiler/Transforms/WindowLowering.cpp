//===- WindowLowering.cpp - what convolutions and pooling lower with ------===//
//
// See WindowLowering.h.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/WindowLowering.h"

using namespace mlir;
using namespace sinter;
using namespace sinter::lowering;

/// `sizes` of `type`'s element type, filled with `fill` around the box of
/// rows [top, top + height) and columns [left, left + width) (dimensions
/// `rowDim` and `rowDim + 1`), the box itself left for the caller to write:
/// zeroing a whole padded copy first was 5-8 % of a training step of CNNs
/// with padded 3x3 convolutions.
Value sinter::lowering::filledAround(Emitter &e, ArrayRef<OpFoldResult> sizes,
                                     Type type, unsigned rowDim, double fill,
                                     int64_t top, int64_t height, int64_t left,
                                     int64_t width) {
  OpBuilder &b = e.b;
  int64_t rows = *getConstantIntValue(sizes[rowDim]),
          cols = *getConstantIntValue(sizes[rowDim + 1]);
  Value dest = b.create<tensor::EmptyOp>(e.loc, sizes, type);
  auto fillBox = [&](int64_t row, int64_t boxRows, int64_t col,
                     int64_t boxCols) {
    if (boxRows <= 0 || boxCols <= 0)
      return;
    SmallVector<OpFoldResult> at(sizes.size(), b.getIndexAttr(0)), size(sizes),
        ones(sizes.size(), b.getIndexAttr(1));
    at[rowDim] = b.getIndexAttr(row);
    at[rowDim + 1] = b.getIndexAttr(col);
    size[rowDim] = b.getIndexAttr(boxRows);
    size[rowDim + 1] = b.getIndexAttr(boxCols);
    Value box = b.create<tensor::ExtractSliceOp>(e.loc, dest, at, size, ones);
    Value filled =
        b.create<linalg::FillOp>(e.loc, e.f32(fill), box).getResult(0);
    dest = b.create<tensor::InsertSliceOp>(e.loc, filled, dest, at, size, ones);
  };
  // Rows above and below the box, then the columns beside it.
  fillBox(0, top, 0, cols);
  fillBox(top + height, rows - top - height, 0, cols);
  fillBox(top, height, 0, left);
  fillBox(top, height, left + width, cols - left - width);
  return dest;
}

/// A fresh [N, h, w, C] tensor (N and C those of `src`) filled with `fill`,
/// with `src` written at rows `top + i * rowStep` and columns
/// `left + j * colStep`. Placed whole (steps of one), only the border
/// around `src` is filled.
Value sinter::lowering::placed(Emitter &e, Value src, int64_t h, int64_t w,
                               double fill, int64_t top, int64_t left,
                               int64_t rowStep, int64_t colStep) {
  SmallVector<OpFoldResult> srcSizes = e.sizes(src);
  SmallVector<OpFoldResult> sizes = {srcSizes[0], e.b.getIndexAttr(h),
                                     e.b.getIndexAttr(w), srcSizes[3]};
  auto idx = [&](ArrayRef<int64_t> v) {
    return getAsIndexOpFoldResult(e.b.getContext(), v);
  };
  auto srcType = cast<RankedTensorType>(src.getType());
  int64_t sh = srcType.getDimSize(1), sw = srcType.getDimSize(2);
  Value dest = rowStep == 1 && colStep == 1 && !ShapedType::isDynamic(sh) &&
                       !ShapedType::isDynamic(sw)
                   ? filledAround(e, sizes, srcType.getElementType(), 1, fill,
                                  top, sh, left, sw)
                   : e.filled(sizes, fill);
  return e.b.create<tensor::InsertSliceOp>(e.loc, src, dest,
                                           idx({0, top, left, 0}), srcSizes,
                                           idx({1, rowStep, colStep, 1}));
}

/// `x` [N, H, W, C] with the sweep's pads around it, filled with `fill`.
Value sinter::lowering::padInput(Emitter &e, Value x, const Sweep &s,
                                 double fill) {
  if (!s.padded())
    return x;
  auto t = cast<RankedTensorType>(x.getType());
  return placed(e, x, t.getDimSize(1) + s.dim[0].padBefore + s.dim[0].padAfter,
                t.getDimSize(2) + s.dim[1].padBefore + s.dim[1].padAfter, fill,
                s.dim[0].padBefore, s.dim[1].padBefore);
}

/// The output cotangent `g` [N, OH, OW, C] spread for a gather over the
/// input [N, H, W, C]: at (Q + oh * stride) with Q = extent - 1 - padBefore,
/// in a zero tensor of H + extent - 1 rows (likewise columns). Input row i
/// then reads window tap t (flipped) at row i + t * dilation.
Value sinter::lowering::spreadForGather(Emitter &e, Value g,
                                        RankedTensorType input, const Sweep &s,
                                        double fill) {
  const WindowDim &h = s.dim[0], &w = s.dim[1];
  return placed(e, g, input.getDimSize(1) + h.extent() - 1,
                input.getDimSize(2) + w.extent() - 1, fill,
                h.extent() - 1 - h.padBefore, w.extent() - 1 - w.padBefore,
                h.stride, w.stride);
}
