//===- LowerConvolutions.cpp - convolutions to linalg ---------------------===//
//
// Part of sinter-lower-to-linalg; pooling is LowerPooling.cpp. Every op here
// becomes `linalg.generic`s whose indexing maps read the (padded) input at `out
// * stride + tap * dilation`, so no op indexes out of bounds:
//   * forward ops read a copy of the input with its pads filled in (zeros,
//     or -inf for max pooling);
//   * gradients that scatter back to the input (conv input, pooling) are
//     gathers instead: the output cotangent is spread into a zero tensor at
//     stride steps and padded by the window, and each input element sums
//     the flipped window over it. No atomics, and each sum has one fixed
//     order.
// Ungrouped pointwise convolutions with at least kIm2colMinChannels input
// channels, and strided ones with filters too large for their gradient's
// partial sums (asProduct), and their filter gradients, copy the windows
// into the rows of a matrix (im2col; a pointwise one's rows are its input)
// and become one matmul each, which sinter-tile-contractions
// register-tiles. The others keep the window maps:
// groups become an explicit dimension, channels [.., C] viewed as [.., G, C/G]
// with tensor.expand_shape. With fewer channels than positions in a row, the
// convolution, its input gradient and its filter gradient run channels
// first, the vectors along the rows of positions.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/WindowLowering.h"
#include "dialects/Sinter/IR/SinterDialect.h"

using namespace mlir;
using namespace sinter;
using namespace sinter::lowering;

using namespace sinter;
using namespace sinter::lowering;

/// Input channels from which a convolution copied its windows into rows
/// (im2col) and ran as a matmul, and from which a pointwise one still does
/// (asProduct). With fewer, the copy
/// (KH*KW*C floats per output position, written for the whole batch and
/// read back by the product and the filter gradient) costs more than the
/// matmul's better tiles save: lenet (1 and 6 input channels) ran 20-25 %
/// faster per step with window tiles. From 8 (it was), on a Xeon with
/// AVX-512 at two threads (bench/run --convs): 3x3 convolutions of 16
/// channels at 64x64 (wide-early) 38.5 -> 19.4 ms a step with window tiles,
/// of 24 channels at 16x16 (deep-narrow) 30-31 -> 27 ms, 5x5 of 20 channels
/// (lenet-caffe) 7.6-8.1 -> 7.2 ms; of 32 channels (cifar-small) 11.4 ->
/// 15.6 ms, so im2col from 32.
constexpr int64_t kIm2colMinChannels = 32;

namespace {

/// [d0, d1, d2, C] viewed as [d0, d1, d2, groups, C / groups].
Value splitChannels(Emitter &e, Value t, int64_t groups) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<int64_t> shape(type.getShape());
  int64_t c = shape.back();
  shape.back() = groups;
  shape.push_back(c / groups);
  SmallVector<OpFoldResult> sizes = e.sizes(t);
  sizes.back() = e.b.getIndexAttr(groups);
  sizes.push_back(e.b.getIndexAttr(c / groups));
  return e.b.create<tensor::ExpandShapeOp>(
      e.loc, RankedTensorType::get(shape, type.getElementType()), t,
      SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3, 4}}, sizes);
}

/// The inverse of splitChannels.
Value mergeChannels(Emitter &e, Value t) {
  return e.b.create<tensor::CollapseShapeOp>(
      e.loc, t, SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
}

/// A zero [d0, d1, d2, groups, C / groups] accumulator.
Value zeros5(Emitter &e, OpFoldResult d0, int64_t d1, int64_t d2,
             int64_t groups, int64_t perGroup) {
  return e.filled({d0, e.b.getIndexAttr(d1), e.b.getIndexAttr(d2),
                   e.b.getIndexAttr(groups), e.b.getIndexAttr(perGroup)},
                  0.0);
}

AffineMap map8(OpBuilder &b, ArrayRef<AffineExpr> exprs) {
  return AffineMap::get(8, 0, exprs, b.getContext());
}

Value multiplyAdd(OpBuilder &nb, Location l, ValueRange a) {
  Ar ar{nb, l};
  return ar.add(a[2], ar.mul(a[0], a[1]));
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

/// What every conv op shares: the sweep and the filter's shape.
struct Conv {
  Sweep sweep;
  int64_t kh, kw, inPerGroup, groups, outPerGroup;

  template <typename OpTy>
  Conv(OpTy op, RankedTensorType filter)
      : sweep(filter.getShape().take_front(2), op.getStrides(),
              op.getDilations(), op.getPadding()),
        kh(filter.getDimSize(0)), kw(filter.getDimSize(1)),
        inPerGroup(filter.getDimSize(2)), groups(op.getGroups()),
        outPerGroup(filter.getDimSize(3) / op.getGroups()) {}
};

/// Whether `c` runs as im2col rows · filter: ungrouped, and pointwise of
/// kIm2colMinChannels or more (a 1x1 window without pads: the rows are the
/// input's positions, no copy), or strided with a filter whose gradient
/// would not sum the batch in parts (batchSumFitsParts): window tiles
/// then sum it a parallel region per block of images, and a 3x3 at stride
/// 2 of 128 -> 256 channels at 16x16 ran 4 % slower a step than im2col on
/// two threads. Other windows take window tiles at any channels and
/// stride, faster than the copy and the product since
/// sinter-tile-contractions sums their filter gradients over blocks of
/// images and runs a large filter's taps outside an image's tiles. 3x3 at two
/// threads, im2col -> window tiles: 64 -> 64 channels at 32x32 49 -> 28 ms
/// a step, 128 at 16x16 31 -> 24, 5x5 of 48 -> 64 at 24x24 37 -> 22, 40 at
/// 20x20 17 -> 12, 96 at 14x14 31 -> 21, 192 at 12x12 40 -> 30, 256 at
/// 16x16 76 -> 48, 256 at 8x8 36 -> 25; bench/run --convs k1-mix (60 of
/// 100 channels) 62 -> 39. Strided (a channels-last tile broadcasts its
/// rows' values at any step; the im2col copy of every window was written
/// for the whole batch and read back twice), a step's time over im2col's
/// on two threads: 3x3 at stride 2, 3 -> 32 channels at 32x32 0.94, 16 ->
/// 16 0.81, 8 -> 24 -> 24 0.72, 64 -> 128 0.89, 128 -> 128 at 16x16
/// 0.98-1.00; 7x7 of 3 -> 64 at 64x64 0.73; 5x5 of 32 -> 48 at 28x28 0.95;
/// 1x1 of 64 -> 128 0.96; bench/run --convs strided 0.92-0.94.
bool asProduct(const Conv &c) {
  const WindowDim &h = c.sweep.dim[0], &w = c.sweep.dim[1];
  bool strided = h.stride > 1 || w.stride > 1;
  bool pointwise = c.kh == 1 && c.kw == 1 && !c.sweep.padded();
  int64_t filterBytes =
      c.kh * c.kw * c.inPerGroup * c.groups * c.outPerGroup * sizeof(float);
  if (c.groups != 1)
    return false;
  if (strided)
    return !batchSumFitsParts(filterBytes);
  return pointwise && c.inPerGroup >= kIm2colMinChannels;
}

/// The nest conv2d and its input gradient share: iteration (n, i, j, g, a,
/// b, k, c), summing in[inMap] * f[fMap] over (a, b, k) into
/// init[n, i, j, g, c].
Value windowContraction(Emitter &e, Value in, AffineMap inMap, Value f,
                        AffineMap fMap, Value init) {
  auto d = [&](unsigned i) { return dimExpr(e.b, i); };
  return e.generic(
      {in, f}, {inMap, fMap}, init, map8(e.b, {d(0), d(1), d(2), d(3), d(7)}),
      {IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
       IteratorType::parallel, IteratorType::reduction, IteratorType::reduction,
       IteratorType::reduction, IteratorType::parallel},
      multiplyAdd);
}

/// The windows of `x` [N, H, W, C] (padded) as the rows of a matrix: im2col
/// [N*OH*OW, KH*KW*C], row (n, oh, ow) holding the taps (a, b, c) that
/// output position reads. A convolution is then one matmul with the filter
/// viewed as [KH*KW*C, O], which sinter-tile-contractions turns into
/// register tiles; the filter gradient is the transposed product.
Value windowRows(Emitter &e, Value x, const Conv &c, int64_t oh, int64_t ow) {
  const WindowDim &h = c.sweep.dim[0], &w = c.sweep.dim[1];
  auto type = cast<RankedTensorType>(x.getType());
  int64_t ch = type.getDimSize(3);
  // A 1x1 window over every position (stride 1, no pads): the rows are
  // x's positions as they are, no copy (a pointwise convolution's im2col
  // was a copy of its whole input).
  if (c.kh == 1 && c.kw == 1 && type.getDimSize(1) == oh &&
      type.getDimSize(2) == ow)
    return e.b.create<tensor::CollapseShapeOp>(
        e.loc, x, SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});
  Value init = e.b.create<tensor::EmptyOp>(
      e.loc,
      SmallVector<OpFoldResult>{e.sizes(x)[0], e.b.getIndexAttr(oh),
                                e.b.getIndexAttr(ow), e.b.getIndexAttr(c.kh),
                                e.b.getIndexAttr(c.kw), e.b.getIndexAttr(ch)},
      e.b.getF32Type());
  auto d = [&](unsigned i) { return dimExpr(e.b, i); };
  Value windows =
      e.generic(x,
                AffineMap::get(6, 0,
                               {d(0), d(1) * h.stride + d(3) * h.dilation,
                                d(2) * w.stride + d(4) * w.dilation, d(5)},
                               e.b.getContext()),
                init, e.id(6), e.parallel(6),
                [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  return e.b.create<tensor::CollapseShapeOp>(
      e.loc, windows, SmallVector<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
}

/// [N, OH, OW, C] as [N*OH*OW, C], and back.
Value positionRows(Emitter &e, Value t) {
  return e.b.create<tensor::CollapseShapeOp>(
      e.loc, t, SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});
}
Value positionsOf(Emitter &e, Value rows, Value batchLike,
                  RankedTensorType type) {
  SmallVector<OpFoldResult> sizes = {e.sizes(batchLike)[0]};
  for (int64_t i = 1; i < 4; ++i)
    sizes.push_back(e.b.getIndexAttr(type.getDimSize(i)));
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = ShapedType::kDynamic;
  if (!cast<RankedTensorType>(rows.getType()).isDynamicDim(0))
    shape[0] = type.getDimSize(0);
  return e.b.create<tensor::ExpandShapeOp>(
      e.loc, RankedTensorType::get(shape, e.b.getF32Type()), rows,
      SmallVector<ReassociationIndices>{{0, 1, 2}, {3}}, sizes);
}

/// A [KH, KW, C, O] filter as [KH*KW*C, O], and back.
Value filterRows(Emitter &e, Value f) {
  return e.b.create<tensor::CollapseShapeOp>(
      e.loc, f, SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});
}

//===----------------------------------------------------------------------===//
// Convolutions with the rows along the vectors. With few channels per group
// (lenet's 1, 6 and 16) a channels-last tile fills a few lanes of a vector
// (6 of 16); with the tensors channels first ([N, G, C/G, H, W]) a tile's
// vectors run along a row of positions and the few channels are its fan
// (see sinter-tile-contractions). The operand is transposed into a
// zero-padded buffer whose rows are whole vectors (a multiple of 8 plus
// the window: one 16-lane load, not 8 + 4 + 2), the result computed on
// padded rows, its pad columns dropped, and transposed back.
//===----------------------------------------------------------------------===//

/// Rows of `width` padded to whole vectors of every target (8 lanes).
int64_t paddedRow(int64_t width) { return llvm::alignTo(width, 8); }

/// `t` [N, H, W, G * C/G] channels first, [N, G, C/G, rows, cols] of zeros
/// with `t` at rows top + i * rowStep, columns left + j * colStep. The
/// transposing copy writes into the zeros' window itself (bufferized in
/// place: one pass, not a copy and a second copy into the pads), and its
/// maps index plain dimensions, so that sinter-vectorize-narrow-ops takes
/// it: a single channel is read as rows of [N, H, W] (lenet's images were
/// copied a float at a time, twice).
Value channelsFirst(Emitter &e, Value t, int64_t groups, int64_t rows,
                    int64_t cols, int64_t top, int64_t left,
                    int64_t rowStep = 1, int64_t colStep = 1) {
  OpBuilder &b = e.b;
  auto type = cast<RankedTensorType>(t.getType());
  int64_t perGroup = type.getDimSize(3) / groups;
  auto d = [&](unsigned i) { return dimExpr(b, i); };
  auto idx = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  OpFoldResult n = e.sizes(t)[0];
  SmallVector<OpFoldResult> sizes = {n, idx(groups), idx(perGroup),
                                     idx(type.getDimSize(1)),
                                     idx(type.getDimSize(2))};
  SmallVector<AffineExpr> read = {d(0), d(3), d(4)};
  if (type.getDimSize(3) == 1)
    t = b.create<tensor::CollapseShapeOp>(
        e.loc, t, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  else
    read.push_back(groups == 1     ? d(2)
                   : perGroup == 1 ? d(1)
                                   : d(1) * perGroup + d(2));
  SmallVector<OpFoldResult> padded = {n, idx(groups), idx(perGroup), idx(rows),
                                      idx(cols)};
  // Written whole (steps of one), only the pads around `t` need the zeros.
  Value zeros =
      rowStep == 1 && colStep == 1
          ? filledAround(e, padded, type.getElementType(), 3, 0.0, top,
                         type.getDimSize(1), left, type.getDimSize(2))
          : e.filled(padded, 0.0);
  SmallVector<OpFoldResult> offsets = {idx(0), idx(0), idx(0), idx(top),
                                       idx(left)};
  SmallVector<OpFoldResult> strides = {idx(1), idx(1), idx(1), idx(rowStep),
                                       idx(colStep)};
  Value window =
      b.create<tensor::ExtractSliceOp>(e.loc, zeros, offsets, sizes, strides);
  Value transposed = e.generic(
      t, AffineMap::get(5, 0, read, b.getContext()), window, e.id(5),
      e.parallel(5), [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  return b.create<tensor::InsertSliceOp>(e.loc, transposed, zeros, offsets,
                                         sizes, strides);
}

/// `t` [N, G, C/G, H, W'] back to channels last, [N, H, W, G * C/G]: its
/// first `width` columns.
Value channelsLast(Emitter &e, Value t, int64_t width) {
  OpBuilder &b = e.b;
  auto idx = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  auto d = [&](unsigned i) { return dimExpr(b, i); };
  SmallVector<OpFoldResult> sizes = e.sizes(t);
  sizes.back() = idx(width);
  Value cut = b.create<tensor::ExtractSliceOp>(
      e.loc, t, SmallVector<OpFoldResult>(5, idx(0)), sizes,
      SmallVector<OpFoldResult>(5, idx(1)));
  // One channel per group (a depthwise convolution): result (n, i, j, g)
  // reads t[n, g, i, j]. With the unit dimension innermost, the copy's
  // rows were one float each, and it ran as a scalar gather (dw-sep's
  // forward depthwise convolutions, most of their time).
  if (getConstantIntValue(sizes[2]) == 1) {
    Value groups = b.create<tensor::CollapseShapeOp>(
        e.loc, cut, SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
    Value init = b.create<tensor::EmptyOp>(
        e.loc,
        SmallVector<OpFoldResult>{sizes[0], sizes[3], sizes[4], sizes[1]},
        b.getF32Type());
    return e.generic(
        groups, AffineMap::get(4, 0, {d(0), d(3), d(1), d(2)}, b.getContext()),
        init, e.id(4), e.parallel(4),
        [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  }
  // Result (n, i, j, g, c) reads t[n, g, c, i, j].
  Value init = b.create<tensor::EmptyOp>(
      e.loc,
      SmallVector<OpFoldResult>{sizes[0], sizes[3], sizes[4], sizes[1],
                                sizes[2]},
      b.getF32Type());
  Value last = e.generic(
      cut, AffineMap::get(5, 0, {d(0), d(3), d(4), d(1), d(2)}, b.getContext()),
      init, e.id(5), e.parallel(5),
      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  return mergeChannels(e, last);
}

/// Output rows [begin, end) that read the same window taps [tapBegin,
/// tapEnd) of the data's rows.
struct Band {
  int64_t begin, end, tapBegin, tapEnd;
};

/// The output rows split by the taps that land on the data: output row i
/// reads tap a at data row i + a * dilation - offset, which the data holds
/// when it is in [0, dataRows). Rows above and below read the pads, zeros
/// that add nothing to the sum: each band sums only its taps (conv2d's
/// input gradient spreads a 10-row cotangent over 18 rows for lenet's
/// second convolution, so whole-window sums are half zeros). Rows with no
/// tap on the data stay zero.
SmallVector<Band> bandsOf(int64_t rows, int64_t taps, int64_t dilation,
                          int64_t offset, int64_t dataRows) {
  SmallVector<Band> bands;
  for (int64_t i = 0; i < rows; ++i) {
    int64_t lo =
        std::max<int64_t>(0, llvm::divideCeilSigned(offset - i, dilation));
    int64_t hi = std::min<int64_t>(
        taps, llvm::divideFloorSigned(dataRows - 1 + offset - i, dilation) + 1);
    if (lo >= hi)
      continue;
    if (!bands.empty() && bands.back().end == i &&
        bands.back().tapBegin == lo && bands.back().tapEnd == hi)
      bands.back().end = i + 1;
    else
      bands.push_back({i, i + 1, lo, hi});
  }
  return bands;
}

/// The channels-first window sum out[n, g, c, i, j] = sum_{a, b, o}
/// data[n, g, o, i + a*dh - rowOffset, j + b*dw] * filter[filterMap(a, b,
/// g, o, c)], over `rows` x `cols` positions (rows padded to whole
/// vectors), channels last again: [N, rows, cols, G * C/G]. `data` holds
/// only the rows that are not pads; each band of output rows sums the taps
/// that read them (bandsOf).
Value channelsFirstWindowSum(Emitter &e, Value data, int64_t rowOffset,
                             Value filter, ArrayRef<unsigned> filterDims,
                             const Sweep &s, int64_t groups, int64_t channels,
                             int64_t rows, int64_t cols) {
  OpBuilder &b = e.b;
  auto d = [&](unsigned i) { return dimExpr(b, i); };
  auto idx = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  // Iteration (n, g, c, i, j, a, b, o).
  SmallVector<AffineExpr> filterExprs;
  for (unsigned dim : filterDims)
    filterExprs.push_back(d(dim));
  unsigned tapDim = llvm::find(filterDims, 5u) - filterDims.begin();
  auto filterType = cast<RankedTensorType>(filter.getType());
  int64_t dh = s.dim[0].dilation;
  SmallVector<OpFoldResult> dataSizes = e.sizes(data);
  Value acc = e.filled({dataSizes[0], idx(groups), idx(channels), idx(rows),
                        idx(paddedRow(cols))},
                       0.0);
  auto slice = [&](Value t, unsigned dim, int64_t offset, int64_t size) {
    SmallVector<OpFoldResult> offsets(e.sizes(t).size(), idx(0));
    SmallVector<OpFoldResult> sizes = e.sizes(t);
    offsets[dim] = idx(offset);
    sizes[dim] = idx(size);
    return std::make_pair(offsets, sizes);
  };
  auto ones = SmallVector<OpFoldResult>(5, idx(1));
  int64_t allTaps = filterType.getDimSize(tapDim);
  SmallVector<Band> bands =
      bandsOf(rows, allTaps, dh, rowOffset,
              cast<RankedTensorType>(data.getType()).getDimSize(3));
  AffineMap dataMap = map8(
      b, {d(0), d(1), d(7), d(3) + d(5) * dh, d(4) + d(6) * s.dim[1].dilation});
  AffineMap outMap = map8(b, {d(0), d(1), d(2), d(3), d(4)});
  SmallVector<IteratorType> iterators(5, IteratorType::parallel);
  iterators.append(3, IteratorType::reduction);
  // Every output row sums every tap (the data holds its pads, if any): one
  // sum over the whole tensors, whose tiles start from zero registers
  // (a band's tile reads its accumulator in).
  if (rowOffset == 0 && bands.size() == 1 && bands[0].begin == 0 &&
      bands[0].end == rows && bands[0].tapEnd - bands[0].tapBegin == allTaps)
    return channelsLast(e,
                        e.generic({data, filter},
                                  {dataMap, map8(b, filterExprs)}, acc, outMap,
                                  iterators, multiplyAdd),
                        cols);
  for (const Band &band : bands) {
    int64_t height = band.end - band.begin, taps = band.tapEnd - band.tapBegin;
    auto [dOff, dSize] =
        slice(data, 3, band.begin + band.tapBegin * dh - rowOffset,
              (height - 1) + (taps - 1) * dh + 1);
    auto [fOff, fSize] = slice(filter, tapDim, band.tapBegin, taps);
    auto [oOff, oSize] = slice(acc, 3, band.begin, height);
    Value sum = e.generic(
        {b.create<tensor::ExtractSliceOp>(e.loc, data, dOff, dSize, ones),
         b.create<tensor::ExtractSliceOp>(e.loc, filter, fOff, fSize, ones)},
        {dataMap, map8(b, filterExprs)},
        b.create<tensor::ExtractSliceOp>(e.loc, acc, oOff, oSize, ones), outMap,
        iterators, multiplyAdd);
    acc = b.create<tensor::InsertSliceOp>(e.loc, sum, acc, oOff, oSize, ones);
  }
  return channelsLast(e, acc, cols);
}

/// Whether a convolution producing `channels` per group on rows of
/// `width` positions runs channels first: more positions in a row than
/// channels, and a unit stride (a tile reads its rows and columns as
/// whole vectors).
bool alongRows(const Conv &c, int64_t channels, int64_t width) {
  return width > channels && c.sweep.dim[0].stride == 1 &&
         c.sweep.dim[1].stride == 1;
}

// yᵀ[n, g, o, i, j] = sum_{a, b, c} xᵀ[n, g, c, i + a*dh, j + b*dw] *
// filter[a, b, c, g, o], the input padded channels first.
Value convAlongRows(Emitter &e, Conv2DOp op, const Conv &c) {
  const WindowDim &h = c.sweep.dim[0], &w = c.sweep.dim[1];
  auto in = op.getInput().getType();
  auto out = op.getType();
  int64_t ow = out.getDimSize(2);
  // The pads stay in: "same" padding reads them in a few border rows only
  // (lenet's first convolution: 6 of 140 row taps), and the window sum
  // would cut its tiles into bands for them.
  Value x = channelsFirst(
      e, op.getInput(), c.groups, in.getDimSize(1) + h.padBefore + h.padAfter,
      paddedRow(ow) + w.extent() - 1, h.padBefore, w.padBefore);
  // filter[a, b, c, g, o] at iteration (n, g, o, i, j, a, b, c).
  return channelsFirstWindowSum(
      e, x, 0, splitChannels(e, op.getFilter(), c.groups), {5, 6, 7, 1, 2},
      c.sweep, c.groups, c.outPerGroup, out.getDimSize(1), ow);
}

// dxᵀ[n, g, c, i, j] = sum_{a, b, o} spreadᵀ[n, g, o, i + a*dh, j + b*dw] *
// flipped[a, b, g, o, c]: the gather below, channels first.
Value inputGradAlongRows(Emitter &e, Conv2DInputGradOp op, const Conv &c,
                         Value flipped) {
  const WindowDim &h = c.sweep.dim[0], &w = c.sweep.dim[1];
  auto in = op.getType();
  int64_t height = in.getDimSize(1), width = in.getDimSize(2);
  int64_t gradRows = op.getGrad().getType().getDimSize(1);
  // Columns placed as spreadForGather places them; the rows only from the
  // first to the last cotangent row (the window sum's bands skip the rest).
  Value spread =
      channelsFirst(e, op.getGrad(), c.groups, (gradRows - 1) * h.stride + 1,
                    paddedRow(width) + w.extent() - 1, 0,
                    w.extent() - 1 - w.padBefore, h.stride, w.stride);
  return channelsFirstWindowSum(e, spread, h.extent() - 1 - h.padBefore,
                                flipped, {5, 6, 1, 7, 2}, c.sweep, c.groups,
                                c.inPerGroup, height, width);
}

/// Lanes of a filter gradient's partial sums along a row of positions
/// (filterGradAlongRows): one vector of AVX-512, two of AVX2.
constexpr int64_t kPositionLanes = 16;

// A filter gradient with the positions along the vectors, for few output
// channels (lenet's first convolution: channels last, each FMA filled 6
// lanes of 16; 34 % of peak). Channels first, with each row of positions
// zero-padded to whole vectors of L lanes, lane l of a vector sums the
// positions j = jb * L + l:
//   partial[b, g, c, o, a, l] = sum_{n, i, jb} gᵀ[n, g, o, i, jb, l] *
//                               xᵀ[n, g, c, i + a*dh, jb*L + l + b*dw]
// (a window contraction whose tiles hold rows of taps a by a fan of output
// channels o, both loaded as vectors), then dW[a, b, c, g, o] = sum_l
// partial[b, g, c, o, a, l]: every element sums its terms in one fixed
// order, whatever the threads.
Value filterGradAlongRows(Emitter &e, Conv2DFilterGradOp op, const Conv &c) {
  OpBuilder &b = e.b;
  const WindowDim &h = c.sweep.dim[0], &w = c.sweep.dim[1];
  auto in = op.getInput().getType();
  auto grad = op.getGrad().getType();
  int64_t oh = grad.getDimSize(1), ow = grad.getDimSize(2);
  int64_t cols = llvm::alignTo(ow, kPositionLanes);
  int64_t blocks = cols / kPositionLanes;
  auto idx = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  auto d = [&](unsigned i) { return dimExpr(b, i); };
  // The input padded as convAlongRows pads it, in a copy of its own (no
  // CSE runs before bufferization: merged fills would cost copies).
  Value x = channelsFirst(e, op.getInput(), c.groups,
                          in.getDimSize(1) + h.padBefore + h.padAfter,
                          cols + w.extent() - 1, h.padBefore, w.padBefore);
  Value g = channelsFirst(e, op.getGrad(), c.groups, oh, cols, 0, 0);
  SmallVector<OpFoldResult> gSizes = e.sizes(g);
  gSizes.back() = idx(blocks);
  gSizes.push_back(idx(kPositionLanes));
  SmallVector<int64_t> gShape = {
      ShapedType::kDynamic, c.groups, c.outPerGroup, oh, blocks,
      kPositionLanes};
  if (!cast<RankedTensorType>(g.getType()).isDynamicDim(0))
    gShape[0] = cast<RankedTensorType>(g.getType()).getDimSize(0);
  g = b.create<tensor::ExpandShapeOp>(
      e.loc, RankedTensorType::get(gShape, b.getF32Type()), g,
      SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3}, {4, 5}}, gSizes);
  // Iteration (b, g, c, o, a, l, n, i, jb).
  auto map9 = [&](ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(9, 0, exprs, b.getContext());
  };
  SmallVector<IteratorType> iterators(6, IteratorType::parallel);
  iterators.append(3, IteratorType::reduction);
  Value partial = e.generic(
      {g, x},
      {map9({d(6), d(1), d(3), d(7), d(8), d(5)}),
       map9({d(6), d(1), d(2), d(7) + d(4) * h.dilation,
             d(8) * kPositionLanes + d(5) + d(0) * w.dilation})},
      e.filled({idx(c.kw), idx(c.groups), idx(c.inPerGroup), idx(c.outPerGroup),
                idx(c.kh), idx(kPositionLanes)},
               0.0),
      map9({d(0), d(1), d(2), d(3), d(4), d(5)}), iterators, multiplyAdd);
  // Iteration (a, b, c, g, o, l).
  SmallVector<IteratorType> lanes(5, IteratorType::parallel);
  lanes.push_back(IteratorType::reduction);
  Value dw = e.generic(
      partial,
      AffineMap::get(6, 0, {d(1), d(3), d(2), d(4), d(0), d(5)},
                     b.getContext()),
      zeros5(e, idx(c.kh), c.kw, c.inPerGroup, c.groups, c.outPerGroup),
      AffineMap::get(6, 0, {d(0), d(1), d(2), d(3), d(4)}, b.getContext()),
      lanes, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return nb.create<arith::AddFOp>(l, a[1], a[0]);
      });
  return mergeChannels(e, dw);
}

// Ungrouped with enough channels: windowRows · filter. Else: iteration
// (n, oh, ow, g, kh, kw, c, o), the output channel innermost, where both
// the result and the filter are contiguous.
SmallVector<Value> lower(Conv2DOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Conv c(op, op.getFilter().getType());
  if (asProduct(c)) {
    Value rows =
        windowRows(e, padInput(e, op.getInput(), c.sweep, 0.0), c,
                   op.getType().getDimSize(1), op.getType().getDimSize(2));
    Value y = e.matmul(rows, filterRows(e, op.getFilter()), false);
    return {castTo(b, op.getLoc(),
                   positionsOf(e, y, op.getInput(), op.getType()),
                   op.getType())};
  }
  auto out = op.getType();
  if (alongRows(c, c.outPerGroup, out.getDimSize(2)))
    return {castTo(b, op.getLoc(), convAlongRows(e, op, c), out)};
  const WindowDim &h = c.sweep.dim[0], &w = c.sweep.dim[1];
  Value x =
      splitChannels(e, padInput(e, op.getInput(), c.sweep, 0.0), c.groups);
  Value f = splitChannels(e, op.getFilter(), c.groups);
  Value init = zeros5(e, e.sizes(op.getInput())[0], out.getDimSize(1),
                      out.getDimSize(2), c.groups, c.outPerGroup);
  auto d = [&](unsigned i) { return dimExpr(b, i); };
  Value y = windowContraction(
      e, x,
      map8(b, {d(0), d(1) * h.stride + d(4) * h.dilation,
               d(2) * w.stride + d(5) * w.dilation, d(3), d(6)}),
      f, map8(b, {d(4), d(5), d(6), d(3), d(7)}), init);
  return {castTo(b, op.getLoc(), mergeChannels(e, y), out)};
}

/// Input channels from which a strided input gradient with more columns
/// than channels runs by phases, channels last (half of AVX-512's lanes),
/// not along the rows over the spread cotangent (half of whose columns are
/// zeros at stride 2): a 3x3 at stride 2 of 8 channels at 32x32 into 24,
/// then of 24 at 16x16, ran 3.36 -> 3.19 ms a step.
constexpr int64_t kPhaseMinChannels = 8;

/// Where one phase of a strided input gradient reads, along one spatial
/// dimension (stride s, dilation 1): the spread cotangent S (g[o] at row
/// Q + o * s, Q = K - 1 - padBefore) is non-zero at input row s * q + p
/// plus tap a only for a = first + s * u, u < taps, where it holds
/// g[q + u + shift]; the phase has `rows` input rows (p, p + s, ...) and
/// reads the cotangent's rows [from, to), at o - shift in a zero tensor of
/// rows + taps - 1 (empty when no tap reaches the phase).
struct Phase {
  int64_t first, taps, shift, rows, from = 0, to = 0;

  Phase(const WindowDim &d, int64_t p, int64_t inputSize, int64_t gradSize) {
    int64_t s = d.stride, q0 = d.window - 1 - d.padBefore;
    first = ((q0 - p) % s + s) % s;
    taps = first < d.window ? llvm::divideCeil(d.window - first, s) : 0;
    shift = (p + first - q0) / s;
    rows = p < inputSize ? llvm::divideCeil(inputSize - p, s) : 0;
    if (taps && rows) {
      from = std::max<int64_t>(0, shift);
      to = std::max(from, std::min(gradSize, rows + taps - 1 + shift));
    }
  }
  bool reads() const { return to > from; }
  /// Rows of the zero tensor the phase gathers the cotangent into.
  int64_t gathered() const { return rows + taps - 1; }
};

/// A strided convolution's input gradient (dilation 1) as one stride-1
/// window sum per phase of the input (its rows p, p + s, ... and columns
/// likewise): each phase gathers the cotangent itself, not the spread one
/// (s_h * s_w times its size, all but one in s_h * s_w zeros), with the
/// taps of the flipped filter that land on it; the phases are written
/// into the result at stride steps. Each input element sums the same
/// non-zero terms in the same order as through the spread.
Value inputGradByPhases(Emitter &e, Conv2DInputGradOp op, const Conv &c,
                        Value flipped) {
  auto in = op.getType();
  Value g = op.getGrad();
  auto gType = cast<RankedTensorType>(g.getType());
  OpFoldResult batch = e.sizes(g)[0];
  const WindowDim &h = c.sweep.dim[0], &w = c.sweep.dim[1];
  struct Live {
    int64_t ph, pw;
    Phase y, x;
  };
  SmallVector<Live> live;
  for (int64_t ph = 0; ph < h.stride; ++ph)
    for (int64_t pw = 0; pw < w.stride; ++pw) {
      Phase y(h, ph, in.getDimSize(1), gType.getDimSize(1)),
          x(w, pw, in.getDimSize(2), gType.getDimSize(2));
      // No tap reaches the others' input elements: they stay zeros.
      if (y.reads() && x.reads())
        live.push_back({ph, pw, y, x});
    }
  // Zeros first only where some phase reads nothing: else the phases
  // write every element.
  SmallVector<OpFoldResult> dxSizes = {
      batch, e.b.getIndexAttr(in.getDimSize(1)),
      e.b.getIndexAttr(in.getDimSize(2)), e.b.getIndexAttr(in.getDimSize(3))};
  Value dx = int64_t(live.size()) == h.stride * w.stride
                 ? e.b.create<tensor::EmptyOp>(e.loc, dxSizes, e.b.getF32Type())
                 : e.filled(dxSizes, 0.0);
  if (live.empty())
    return dx;
  MLIRContext *ctx = e.b.getContext();
  auto idx = [&](ArrayRef<int64_t> v) {
    return getAsIndexOpFoldResult(ctx, v);
  };
  auto d = [&](unsigned i) { return dimExpr(e.b, i); };
  // One zero-padded cotangent for all phases, each phase a window of it:
  // the phases of a 3x3 at stride 2 read it shifted by a row and a column
  // or not, and padded with copies of their own they copied the cotangent
  // three times an image (a tenth of the input gradient's region).
  // The span's rows [lo, hi) at o - lo, of which the cotangent's rows
  // [from, to) (the phases' own, together) are not zeros.
  struct Span {
    int64_t lo, hi, from, to;
  };
  auto spanOf = [&](Phase Live::*dim) {
    const Phase &first = live.front().*dim;
    Span span{first.shift, first.shift + first.gathered(), first.from,
              first.to};
    for (const Live &l : live) {
      const Phase &p = l.*dim;
      span = {std::min(span.lo, p.shift),
              std::max(span.hi, p.shift + p.gathered()),
              std::min(span.from, p.from), std::max(span.to, p.to)};
    }
    return span;
  };
  auto [rowLo, rowHi, rowFrom, rowTo] = spanOf(&Live::y);
  auto [colLo, colHi, colFrom, colTo] = spanOf(&Live::x);
  Value cut = e.b.create<tensor::ExtractSliceOp>(
      e.loc, g, idx({0, rowFrom, colFrom, 0}),
      SmallVector<OpFoldResult>{batch, e.b.getIndexAttr(rowTo - rowFrom),
                                e.b.getIndexAttr(colTo - colFrom),
                                e.b.getIndexAttr(gType.getDimSize(3))},
      idx({1, 1, 1, 1}));
  // Cut to exactly the span: no zeros around it, no copy.
  bool exact =
      rowFrom == rowLo && rowTo == rowHi && colFrom == colLo && colTo == colHi;
  Value padded = exact ? cut
                       : placed(e, cut, rowHi - rowLo, colHi - colLo, 0.0,
                                rowFrom - rowLo, colFrom - colLo);
  auto fType = cast<RankedTensorType>(flipped.getType());
  for (const auto &[ph, pw, y, x] : live) {
    Value window = e.b.create<tensor::ExtractSliceOp>(
        e.loc, padded, idx({0, y.shift - rowLo, x.shift - colLo, 0}),
        SmallVector<OpFoldResult>{batch, e.b.getIndexAttr(y.gathered()),
                                  e.b.getIndexAttr(x.gathered()),
                                  e.b.getIndexAttr(gType.getDimSize(3))},
        idx({1, 1, 1, 1}));
    Value gathered = splitChannels(e, window, c.groups);
    Value taps = e.b.create<tensor::ExtractSliceOp>(
        e.loc, flipped, idx({y.first, x.first, 0, 0, 0}),
        idx({y.taps, x.taps, fType.getDimSize(2), fType.getDimSize(3),
             fType.getDimSize(4)}),
        idx({h.stride, w.stride, 1, 1, 1}));
    Value sum = windowContraction(
        e, gathered, map8(e.b, {d(0), d(1) + d(4), d(2) + d(5), d(3), d(6)}),
        taps, map8(e.b, {d(4), d(5), d(3), d(6), d(7)}),
        zeros5(e, batch, y.rows, x.rows, c.groups, c.inPerGroup));
    Value phase = mergeChannels(e, sum);
    dx = e.b.create<tensor::InsertSliceOp>(e.loc, phase, dx,
                                           idx({0, ph, pw, 0}), e.sizes(phase),
                                           idx({1, h.stride, w.stride, 1}));
  }
  return dx;
}

/// Where a stride-1 convolution's cotangent row o meets input row
/// o + tap - padBefore: for `tap`, the cotangent rows [from, to) whose input
/// rows lie inside the input (empty when none does).
struct TapRange {
  int64_t from, to;

  TapRange(const WindowDim &d, int64_t tap, int64_t inputSize, int64_t gradSize)
      : from(std::max<int64_t>(0, d.padBefore - tap)),
        to(std::min(gradSize, inputSize + d.padBefore - tap)) {}
  int64_t size() const { return std::max<int64_t>(0, to - from); }
};

/// Terms the gather over the padded cotangent sums, over those that are
/// not zeros, along one dimension (stride and dilation 1): each of the
/// `inputSize` rows sums every tap.
double padWaste(const WindowDim &d, int64_t inputSize, int64_t gradSize) {
  int64_t useful = 0;
  for (int64_t a = 0; a < d.window; ++a)
    useful += TapRange(d, a, inputSize, gradSize).size();
  return useful ? double(inputSize * d.window) / useful : 1.0;
}

/// Padded terms per useful one from which a stride-1 input gradient that
/// runs channels last sums tap by tap (inputGradByTaps).
constexpr double kTapsMinWaste = 1.5;

/// A stride-1 convolution's input gradient as one product per tap (a, b)
/// of the filter: dx[n, o + a - pt, p + b - pl, g, c] += sum_k g[n, o, p,
/// g, k] * filter[a, b, c, g, k] over the cotangent positions (o, p) whose
/// input lies inside it, no zeros summed. The gather over the padded
/// cotangent sums the taps past its edges too: for lenet-caffe's second
/// convolution (5x5 valid, 8x8 cotangent into 12x12), 2.25 terms for each
/// that is not zero. Each element sums the taps in increasing order, each
/// tap's channels in increasing order.
Value inputGradByTaps(Emitter &e, Conv2DInputGradOp op, const Conv &c,
                      Value flipped) {
  auto in = op.getType();
  auto gType = cast<RankedTensorType>(op.getGrad().getType());
  const WindowDim &h = c.sweep.dim[0], &w = c.sweep.dim[1];
  MLIRContext *ctx = e.b.getContext();
  auto idx = [&](ArrayRef<int64_t> v) {
    return getAsIndexOpFoldResult(ctx, v);
  };
  auto one = [&](int64_t v) -> OpFoldResult { return e.b.getIndexAttr(v); };
  OpFoldResult batch = e.sizes(op.getGrad())[0];
  Value g = splitChannels(e, op.getGrad(), c.groups);
  Value dx = zeros5(e, batch, in.getDimSize(1), in.getDimSize(2), c.groups,
                    c.inPerGroup);
  auto d = [&](unsigned i) { return dimExpr(e.b, i); };
  // Iteration (n, o, p, g, c, k).
  auto map6 = [&](ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(6, 0, exprs, ctx);
  };
  SmallVector<AffineMap> maps = {map6({d(0), d(1), d(2), d(3), d(5)}),
                                 map6({d(3), d(5), d(4)})};
  AffineMap outMap = map6({d(0), d(1), d(2), d(3), d(4)});
  SmallVector<IteratorType> iterators(5, IteratorType::parallel);
  iterators.push_back(IteratorType::reduction);
  auto tapType = RankedTensorType::get({c.groups, c.outPerGroup, c.inPerGroup},
                                       e.b.getF32Type());
  for (int64_t a = 0; a < c.kh; ++a)
    for (int64_t b = 0; b < c.kw; ++b) {
      TapRange y(h, a, in.getDimSize(1), gType.getDimSize(1)),
          x(w, b, in.getDimSize(2), gType.getDimSize(2));
      if (!y.size() || !x.size())
        continue;
      SmallVector<OpFoldResult> gSizes = {batch, one(y.size()), one(x.size()),
                                          one(c.groups)};
      SmallVector<OpFoldResult> dxSizes(gSizes);
      gSizes.push_back(one(c.outPerGroup));
      dxSizes.push_back(one(c.inPerGroup));
      Value cut = e.b.create<tensor::ExtractSliceOp>(
          e.loc, g, idx({0, y.from, x.from, 0, 0}), gSizes,
          idx({1, 1, 1, 1, 1}));
      // flipped[kh-1-a, kw-1-b, g, k, c] = filter[a, b, c, g, k].
      Value tap = e.b.create<tensor::ExtractSliceOp>(
          e.loc, tapType, flipped, idx({c.kh - 1 - a, c.kw - 1 - b, 0, 0, 0}),
          idx({1, 1, c.groups, c.outPerGroup, c.inPerGroup}),
          idx({1, 1, 1, 1, 1}));
      SmallVector<OpFoldResult> at =
          idx({0, y.from + a - h.padBefore, x.from + b - w.padBefore, 0, 0});
      Value window = e.b.create<tensor::ExtractSliceOp>(e.loc, dx, at, dxSizes,
                                                        idx({1, 1, 1, 1, 1}));
      Value sum =
          e.generic({cut, tap}, maps, window, outMap, iterators, multiplyAdd);
      dx = e.b.create<tensor::InsertSliceOp>(e.loc, sum, dx, at, dxSizes,
                                             idx({1, 1, 1, 1, 1}));
    }
  return mergeChannels(e, dx);
}

// dx[n, i, j, g, c] = sum_{a, b, o} spread(g)[n, i + a*dh, j + b*dw, g, o] *
// flipped[a, b, g, o, c], where flipped[a, b, g, o, c] = filter[kh-1-a,
// kw-1-b, c, g, o] is built once so the inner loop (over c) is contiguous.
SmallVector<Value> lower(Conv2DInputGradOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Conv c(op, op.getFilter().getType());
  const WindowDim &h = c.sweep.dim[0], &w = c.sweep.dim[1];
  auto in = op.getType();
  Value f = splitChannels(e, op.getFilter(), c.groups);
  auto d = [&](unsigned i) { return dimExpr(b, i); };
  MLIRContext *ctx = b.getContext();
  Value flippedInit = b.create<tensor::EmptyOp>(
      op.getLoc(),
      ArrayRef<int64_t>{c.kh, c.kw, c.groups, c.outPerGroup, c.inPerGroup},
      b.getF32Type());
  Value flipped = e.generic(
      f,
      AffineMap::get(5, 0,
                     {-d(0) + (c.kh - 1), -d(1) + (c.kw - 1), d(4), d(2), d(3)},
                     ctx),
      flippedInit, e.id(5), e.parallel(5),
      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  // A pointwise convolution run as a product: the cotangent's positions as
  // rows times the filter transposed, [N*H*W, O] · [O, C]. Its window form
  // broadcast each cotangent value into a tile's vector a lane at a time
  // (dw-sep's 1x1 input gradients).
  if (asProduct(c) && c.kh == 1 && c.kw == 1 && h.stride == 1 &&
      w.stride == 1) {
    Value filterT = b.create<tensor::CollapseShapeOp>(
        op.getLoc(), flipped,
        SmallVector<ReassociationIndices>{{0, 1, 2, 3}, {4}});
    Value dx = e.matmul(positionRows(e, op.getGrad()), filterT, false);
    return {castTo(b, op.getLoc(), positionsOf(e, dx, op.getGrad(), in), in)};
  }
  // Strided, by phases (channels last) from kPhaseMinChannels: along the
  // rows the spread's zero columns are summed too.
  if ((h.stride > 1 || w.stride > 1) && h.dilation == 1 && w.dilation == 1 &&
      (in.getDimSize(2) <= c.inPerGroup || c.inPerGroup >= kPhaseMinChannels))
    return {castTo(b, op.getLoc(), inputGradByPhases(e, op, c, flipped), in)};
  // As alongRows, at any stride: the gather reads the spread cotangent at
  // unit steps.
  if (in.getDimSize(2) > c.inPerGroup)
    return {castTo(b, op.getLoc(), inputGradAlongRows(e, op, c, flipped), in)};
  auto gType = cast<RankedTensorType>(op.getGrad().getType());
  if (h.stride == 1 && w.stride == 1 && h.dilation == 1 && w.dilation == 1 &&
      padWaste(h, in.getDimSize(1), gType.getDimSize(1)) *
              padWaste(w, in.getDimSize(2), gType.getDimSize(2)) >=
          kTapsMinWaste)
    return {castTo(b, op.getLoc(), inputGradByTaps(e, op, c, flipped), in)};
  Value g = splitChannels(e, spreadForGather(e, op.getGrad(), in, c.sweep, 0.0),
                          c.groups);
  Value init = zeros5(e, e.sizes(op.getGrad())[0], in.getDimSize(1),
                      in.getDimSize(2), c.groups, c.inPerGroup);
  Value dx =
      windowContraction(e, g,
                        map8(b, {d(0), d(1) + d(4) * h.dilation,
                                 d(2) + d(5) * w.dilation, d(3), d(6)}),
                        flipped, map8(b, {d(4), d(5), d(3), d(6), d(7)}), init);
  return {castTo(b, op.getLoc(), mergeChannels(e, dx), in)};
}

// Ungrouped with enough channels: windowRowsᵀ · grad. With output
// channels filling at most half of a vector of `lanes`: along the
// positions (filterGradAlongRows; on AVX2 lenet's 6 channels fill 6 of 8
// lanes channels last, and the transposes along the positions cost more
// than they save). Else: iteration (n, oh, ow, a, b, g, c, o), the batch
// and output positions outermost, so each step sweeps the small filter
// gradient contiguously.
SmallVector<Value> lower(Conv2DFilterGradOp op, OpBuilder &b, int64_t lanes) {
  Emitter e(b, op.getLoc());
  Conv c(op, op.getType());
  if (asProduct(c)) {
    auto grad = cast<RankedTensorType>(op.getGrad().getType());
    Value rows = windowRows(e, padInput(e, op.getInput(), c.sweep, 0.0), c,
                            grad.getDimSize(1), grad.getDimSize(2));
    Value dw = e.matmul(rows, positionRows(e, op.getGrad()), true);
    auto type = op.getType();
    Value shaped = b.create<tensor::ExpandShapeOp>(
        op.getLoc(), RankedTensorType::get(type.getShape(), b.getF32Type()), dw,
        SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});
    return {castTo(b, op.getLoc(), shaped, type)};
  }
  if (2 * c.outPerGroup <= lanes &&
      alongRows(c, c.outPerGroup, op.getGrad().getType().getDimSize(2)))
    return {
        castTo(b, op.getLoc(), filterGradAlongRows(e, op, c), op.getType())};
  const WindowDim &h = c.sweep.dim[0], &w = c.sweep.dim[1];
  Value x =
      splitChannels(e, padInput(e, op.getInput(), c.sweep, 0.0), c.groups);
  Value g = splitChannels(e, op.getGrad(), c.groups);
  Value init = zeros5(e, b.getIndexAttr(c.kh), c.kw, c.inPerGroup, c.groups,
                      c.outPerGroup);
  auto d = [&](unsigned i) { return dimExpr(b, i); };
  Value dw = e.generic(
      {x, g},
      {map8(b, {d(0), d(1) * h.stride + d(3) * h.dilation,
                d(2) * w.stride + d(4) * w.dilation, d(5), d(6)}),
       map8(b, {d(0), d(1), d(2), d(5), d(7)})},
      init, map8(b, {d(3), d(4), d(6), d(5), d(7)}),
      {IteratorType::reduction, IteratorType::reduction,
       IteratorType::reduction, IteratorType::parallel, IteratorType::parallel,
       IteratorType::parallel, IteratorType::parallel, IteratorType::parallel},
      multiplyAdd);
  return {castTo(b, op.getLoc(), mergeChannels(e, dw), op.getType())};
}

template <typename... Ops> void addPatterns(RewritePatternSet &patterns) {
  (patterns.add<LowerPattern<Ops, &lower>>(patterns.getContext()), ...);
}

/// The filter gradient, whose layout depends on the vector width.
struct LowerFilterGrad : public OpRewritePattern<Conv2DFilterGradOp> {
  LowerFilterGrad(MLIRContext *ctx, int64_t lanes)
      : OpRewritePattern(ctx), lanes(lanes) {}
  LogicalResult matchAndRewrite(Conv2DFilterGradOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, lower(op, rewriter, lanes));
    return success();
  }
  int64_t lanes;
};

} // namespace

void sinter::lowering::populateConvolutionLowerings(RewritePatternSet &patterns,
                                                    int64_t lanes) {
  addPatterns<Conv2DOp, Conv2DInputGradOp>(patterns);
  patterns.add<LowerFilterGrad>(patterns.getContext(), lanes);
}
