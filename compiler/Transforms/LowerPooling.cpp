//===- LowerPooling.cpp - max and average pooling to linalg ---------------===//
//
// Part of sinter-lower-to-linalg. Pooling reads its input with the pads
// filled in (-inf for max pooling, zeros for average pooling); its
// gradients are gathers: the output cotangent spread into a zero tensor
// at stride steps and padded by the window, each input element summing
// the windows over it, in one fixed order. Windows that tile the input
// (stride = window, no pads) take blocks of it instead. Windows of up to
// 16 taps fold them in one elementwise body, each tap a view of the
// (padded or spread) input; larger ones fold them in loops.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/WindowLowering.h"
#include "dialects/Sinter/IR/SinterDialect.h"

#include <limits>

using namespace mlir;
using namespace sinter;
using namespace sinter::lowering;

namespace {

//===----------------------------------------------------------------------===//
// Pooling. Iteration (n, oh, ow, a, b, c) over windows of `input`.
//===----------------------------------------------------------------------===//

SmallVector<IteratorType> poolIterators() {
  return {IteratorType::parallel,  IteratorType::parallel,
          IteratorType::parallel,  IteratorType::reduction,
          IteratorType::reduction, IteratorType::parallel};
}

AffineMap windowMap(OpBuilder &b, const Sweep &s) {
  auto d = [&](unsigned i) { return dimExpr(b, i); };
  return AffineMap::get(6, 0,
                        {d(0), d(1) * s.dim[0].stride + d(3),
                         d(2) * s.dim[1].stride + d(4), d(5)},
                        b.getContext());
}

AffineMap pooledMap(OpBuilder &b) {
  auto d = [&](unsigned i) { return dimExpr(b, i); };
  return AffineMap::get(6, 0, {d(0), d(1), d(2), d(5)}, b.getContext());
}

/// The window taps appear in the input map only inside `o * stride + a`,
/// from which linalg cannot size the loops over (a, b); an unread [ph, pw]
/// operand, as linalg's named pooling ops take, gives their sizes. It goes
/// after the real inputs, so bodies see (inputs..., window, output).
struct WindowOperand {
  Value value;
  AffineMap map;

  WindowOperand(Emitter &e, int64_t ph, int64_t pw)
      : value(e.b.create<tensor::EmptyOp>(e.loc, ArrayRef<int64_t>{ph, pw},
                                          e.b.getF32Type())),
        map(AffineMap::get(6, 0, {dimExpr(e.b, 3), dimExpr(e.b, 4)},
                           e.b.getContext())) {}
};

/// One pooling-shaped generic: `ins` indexed by `inMaps` plus the window
/// operand, reducing over the taps into `init` at (n, oh, ow, c).
Value poolGeneric(Emitter &e, ValueRange ins, ArrayRef<AffineMap> inMaps,
                  const Sweep &s, Value init, BodyFn body) {
  WindowOperand w(e, s.dim[0].window, s.dim[1].window);
  SmallVector<Value> all(ins);
  all.push_back(w.value);
  SmallVector<AffineMap> maps(inMaps);
  maps.push_back(w.map);
  return e.generic(all, maps, init, pooledMap(e.b), poolIterators(), body);
}

/// The windows a gradient's gather sums over spread values (see
/// spreadForGather): `s`'s window at unit stride, no pads.
Sweep gatherSweep(const Sweep &s) {
  return Sweep({s.dim[0].window, s.dim[1].window}, {1, 1}, {}, {0, 0, 0, 0});
}

/// The gather over an input [N, H, W, C] of `spread` values (see
/// spreadForGather): out[n, i, j, c] accumulates body(spread[n, i + a,
/// j + b, c]..., window, acc) over the taps (a, b) of `s`'s window.
Value gatherWindows(Emitter &e, ValueRange spread, RankedTensorType input,
                    const Sweep &s, BodyFn body) {
  SmallVector<OpFoldResult> sizes = e.sizes(spread[0]);
  sizes[1] = e.b.getIndexAttr(input.getDimSize(1));
  sizes[2] = e.b.getIndexAttr(input.getDimSize(2));
  SmallVector<AffineMap> maps(spread.size(), windowMap(e.b, gatherSweep(s)));
  return poolGeneric(e, spread, maps, s, e.filled(sizes, 0.0), body);
}

/// max(acc, x) for max pooling: x where greater or NaN (a NaN in the
/// window is the result, as with maximumf), else acc. A compare and a
/// select: maximumf's signed-zero order costs a branchy sequence per tap on
/// x86 (lenet's first pool spent 3x its argmax's time in it).
Value poolMax(Ar &ar, Value acc, Value x) {
  Value nan = ar.b.create<arith::CmpFOp>(ar.l, arith::CmpFPredicate::UNO, x, x);
  Value take = ar.b.create<arith::OrIOp>(ar.l, ar.gt(x, acc), nan);
  return ar.select(take, x, acc);
}

Sweep poolSweep(ArrayRef<int64_t> window, ArrayRef<int64_t> strides,
                ArrayRef<int64_t> padding) {
  return Sweep(window, strides, {}, padding);
}

/// [N, OH, OW, C] zeros (or `fill`) for a pooling result like `like`.
Value pooledInit(Emitter &e, Value input, RankedTensorType like, double fill) {
  return e.filled({e.sizes(input)[0], e.b.getIndexAttr(like.getDimSize(1)),
                   e.b.getIndexAttr(like.getDimSize(2)),
                   e.b.getIndexAttr(like.getDimSize(3))},
                  fill);
}

//===----------------------------------------------------------------------===//
// Pooling over windows that tile the input (stride = window, no pads, whole
// windows): the input viewed as [N, OH, ph, OW, pw, C] without a copy, each
// tap of every window a plain view of it. Pooling is then elementwise over
// the taps and its gradient elementwise over the input: no spread copies,
// no gather, no accumulator in memory (lenet's pools and their gradients
// took a quarter of its step as windows). Same sums and comparisons, in
// the same tap order, as the window form.
//===----------------------------------------------------------------------===//

bool windowsTileInput(const Sweep &s, RankedTensorType input) {
  for (int d = 0; d < 2; ++d) {
    const WindowDim &w = s.dim[d];
    int64_t size = input.getDimSize(1 + d);
    if (w.stride != w.window || w.dilation != 1 || w.padBefore || w.padAfter ||
        ShapedType::isDynamic(size) || size % w.window)
      return false;
  }
  return true;
}

/// [N, H, W, C] as [N, H/ph, ph, W/pw, pw, C] (and back).
SmallVector<ReassociationIndices> blockDims() {
  return {{0}, {1, 2}, {3, 4}, {5}};
}
/// The sizes of `input` [N, H, W, C] as blocks, with `n` rows.
SmallVector<OpFoldResult> blockSizes(Emitter &e, OpFoldResult n,
                                     RankedTensorType input, const Sweep &s) {
  int64_t ph = s.dim[0].window, pw = s.dim[1].window;
  SmallVector<OpFoldResult> sizes = {n};
  for (int64_t size : {input.getDimSize(1) / ph, ph, input.getDimSize(2) / pw,
                       pw, input.getDimSize(3)})
    sizes.push_back(e.b.getIndexAttr(size));
  return sizes;
}
Value windowBlocks(Emitter &e, Value x, const Sweep &s) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> sizes = blockSizes(e, e.sizes(x)[0], type, s);
  SmallVector<int64_t> shape = {type.getDimSize(0)};
  for (OpFoldResult size : ArrayRef(sizes).drop_front())
    shape.push_back(*getConstantIntValue(size));
  return e.b.create<tensor::ExpandShapeOp>(
      e.loc, RankedTensorType::get(shape, type.getElementType()), x,
      blockDims(), sizes);
}

/// The blocks once per window tap, row-major, each read at pooled position
/// (n, i, j, c) through its tap: (n, i, a, j, b, c).
struct Taps {
  SmallVector<Value> views;
  SmallVector<AffineMap> maps;

  /// The taps of windows that overlap or skip: for each, the view of `x`
  /// [N, H, W, C] (padded) it reads at every pooled position (n, i, j, c),
  /// x[n, i * sh + a * dh, j * sw + b * dw, c], of `pooled`'s [OH, OW]
  /// positions. Read through offset maps instead, the first tap's map
  /// would be the identity on x, and linalg takes the loops' sizes from
  /// the first operand that has a dimension plainly: x's H, past the
  /// result's OH rows.
  static Taps strided(Emitter &e, Value x, const Sweep &s,
                      RankedTensorType pooled) {
    const WindowDim &h = s.dim[0], &w = s.dim[1];
    auto idx = [&](int64_t v) -> OpFoldResult { return e.b.getIndexAttr(v); };
    auto type = cast<RankedTensorType>(x.getType());
    SmallVector<OpFoldResult> sizes = {e.sizes(x)[0], idx(pooled.getDimSize(1)),
                                       idx(pooled.getDimSize(2)),
                                       idx(type.getDimSize(3))};
    SmallVector<OpFoldResult> strides = {idx(1), idx(h.stride), idx(w.stride),
                                         idx(1)};
    Taps taps;
    for (int64_t a = 0; a < h.window; ++a)
      for (int64_t b = 0; b < w.window; ++b) {
        SmallVector<OpFoldResult> offsets = {idx(0), idx(a * h.dilation),
                                             idx(b * w.dilation), idx(0)};
        taps.views.push_back(e.b.create<tensor::ExtractSliceOp>(
            e.loc, x, offsets, sizes, strides));
        taps.maps.push_back(e.id(4));
      }
    return taps;
  }

  Taps() = default;
  Taps(Emitter &e, Value blocks, const Sweep &s) {
    auto d = [&](unsigned i) { return dimExpr(e.b, i); };
    for (int64_t a = 0; a < s.dim[0].window; ++a)
      for (int64_t b = 0; b < s.dim[1].window; ++b) {
        views.push_back(blocks);
        maps.push_back(
            AffineMap::get(4, 0,
                           {d(0), d(1), e.b.getAffineConstantExpr(a), d(2),
                            e.b.getAffineConstantExpr(b), d(3)},
                           e.b.getContext()));
      }
  }
};

/// Windows of more taps than this are folded by loops over (a, b), not by
/// a body reading each tap: a global pool over 32 x 32 positions had a body
/// of 1024 reads and adds, unrolled into straight-line scalar code that
/// ran on one thread (dw-sep's global average pool, 9 % of its step).
constexpr int64_t kMostUnrolledTaps = 16;

bool unrolledTaps(const Sweep &s) {
  return s.dim[0].window * s.dim[1].window <= kMostUnrolledTaps;
}

/// The blocks of `x` (windowBlocks) read at pooling iteration (n, i, j, a,
/// b, c): the taps as loops, in the unrolled body's row-major order.
AffineMap blocksMap(OpBuilder &b) {
  auto d = [&](unsigned i) { return dimExpr(b, i); };
  return AffineMap::get(6, 0, {d(0), d(1), d(3), d(2), d(4), d(5)},
                        b.getContext());
}

/// `fold(acc, tap)` over `taps` (read at (n, i, j, c)) from `init`, in
/// their order: a tensor of `n` rows shaped like `like` [N, OH, OW, C].
/// Each element's taps are values in registers, its sum one vector per
/// position (the window form kept it in memory, loaded and stored at
/// every tap).
Value foldViews(Emitter &e, const Taps &taps, OpFoldResult n,
                RankedTensorType like, double init,
                function_ref<Value(Ar &, Value acc, Value tap)> fold) {
  Value out = e.b.create<tensor::EmptyOp>(
      e.loc,
      SmallVector<OpFoldResult>{n, e.b.getIndexAttr(like.getDimSize(1)),
                                e.b.getIndexAttr(like.getDimSize(2)),
                                e.b.getIndexAttr(like.getDimSize(3))},
      e.b.getF32Type());
  return e.generic(taps.views, taps.maps, out, e.id(4), e.parallel(4),
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     Ar ar{nb, l};
                     Value acc = ar.c(init);
                     for (Value tap : a.drop_back())
                       acc = fold(ar, acc, tap);
                     return acc;
                   });
}

/// `fold(acc, tap)` over the taps of each window of `x`, from `init`: a
/// tensor shaped like the pooled `like` [N, OH, OW, C].
Value foldTaps(Emitter &e, Value x, const Sweep &s, RankedTensorType like,
               double init,
               function_ref<Value(Ar &, Value acc, Value tap)> fold) {
  Value blocks = windowBlocks(e, x, s);
  if (!unrolledTaps(s))
    return e.generic(blocks, blocksMap(e.b), pooledInit(e, x, like, init),
                     pooledMap(e.b), poolIterators(),
                     [&](OpBuilder &nb, Location l, ValueRange a) {
                       Ar ar{nb, l};
                       return fold(ar, a[1], a[0]);
                     });
  return foldViews(e, Taps(e, blocks, s), e.sizes(x)[0], like, init, fold);
}

/// `body(pooled..., out)` at every input element (n, i, a, j, b, c) of the
/// blocks, each of `pooled` [N, OH, OW, C] read at its window: the input's
/// [N, H, W, C] shape.
Value perInputElement(Emitter &e, ValueRange pooled, RankedTensorType input,
                      const Sweep &s, BodyFn body) {
  auto d = [&](unsigned i) { return dimExpr(e.b, i); };
  Value init = e.b.create<tensor::EmptyOp>(
      e.loc, blockSizes(e, e.sizes(pooled[0])[0], input, s), e.b.getF32Type());
  SmallVector<AffineMap> maps(
      pooled.size(),
      AffineMap::get(6, 0, {d(0), d(1), d(3), d(5)}, e.b.getContext()));
  Value blocks = e.generic(pooled, maps, init, e.id(6), e.parallel(6), body);
  return e.b.create<tensor::CollapseShapeOp>(e.loc, blocks, blockDims());
}

SmallVector<Value> lower(MaxPool2DOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Sweep s = poolSweep(op.getWindow(), op.getStrides(), op.getPadding());
  double ninf = -std::numeric_limits<double>::infinity();
  if (windowsTileInput(s, op.getInput().getType()))
    return {castTo(b, op.getLoc(),
                   foldTaps(e, op.getInput(), s, op.getType(), ninf, poolMax),
                   op.getType())};
  Value x = padInput(e, op.getInput(), s, ninf);
  if (unrolledTaps(s))
    return {castTo(b, op.getLoc(),
                   foldViews(e, Taps::strided(e, x, s, op.getType()),
                             e.sizes(x)[0], op.getType(), ninf, poolMax),
                   op.getType())};
  Value y = poolGeneric(e, x, windowMap(b, s), s,
                        pooledInit(e, op.getInput(), op.getType(), ninf),
                        [](OpBuilder &nb, Location l, ValueRange a) {
                          Ar ar{nb, l};
                          return poolMax(ar, a[2], a[0]);
                        });
  return {castTo(b, op.getLoc(), y, op.getType())};
}

/// The window tap (a, b) at iteration dims `dimA` and `dimB` numbered
/// row-major, a * pw + b, as f32 (exact: windows are far below 2^24 taps).
/// `flip` numbers from the window's far corner, as the gather sees taps.
Value tapNumber(OpBuilder &nb, Location l, unsigned dimA, unsigned dimB,
                int64_t ph, int64_t pw, bool flip) {
  auto cst = [&](int64_t v) {
    return nb.create<arith::ConstantIndexOp>(l, v).getResult();
  };
  Value a = nb.create<linalg::IndexOp>(l, dimA);
  Value b = nb.create<linalg::IndexOp>(l, dimB);
  if (flip) {
    a = nb.create<arith::SubIOp>(l, cst(ph - 1), a);
    b = nb.create<arith::SubIOp>(l, cst(pw - 1), b);
  }
  Value n =
      nb.create<arith::AddIOp>(l, nb.create<arith::MulIOp>(l, a, cst(pw)), b);
  Value i64 = nb.create<arith::IndexCastOp>(l, nb.getI64Type(), n);
  return nb.create<arith::SIToFPOp>(l, nb.getF32Type(), i64);
}

/// The winning tap of each window of a max pool's input, numbered as
/// tapNumber does: the first strict maximum of `ins[0]`, read at pooling
/// iteration (n, i, j, a, b, c) through `maps[0]` (further inputs only
/// size the loops), into a tensor shaped like `pooled` [N, OH, OW, C].
Value windowArgmax(Emitter &e, ValueRange ins, ArrayRef<AffineMap> maps,
                   Value input, RankedTensorType pooled, const Sweep &s) {
  int64_t ph = s.dim[0].window, pw = s.dim[1].window;
  double ninf = -std::numeric_limits<double>::infinity();
  Value best = pooledInit(e, input, pooled, ninf);
  Value tap = pooledInit(e, input, pooled, 0.0);
  SmallVector<AffineMap> all(maps);
  all.append({pooledMap(e.b), pooledMap(e.b)});
  unsigned n = ins.size();
  auto argmax = e.b.create<linalg::GenericOp>(
      e.loc, TypeRange{best.getType(), tap.getType()}, ins,
      ValueRange{best, tap}, all, poolIterators(),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Ar ar{nb, l};
        Value wins = ar.gt(a[0], a[n]); // strictly: the first maximum stays
        Value here = tapNumber(nb, l, 3, 4, ph, pw, /*flip=*/false);
        nb.create<linalg::YieldOp>(l,
                                   ValueRange{ar.select(wins, a[0], a[n]),
                                              ar.select(wins, here, a[n + 1])});
      });
  return argmax.getResult(1);
}

/// The winning tap of each window (numbered row-major, as tapNumber
/// does): the first strict maximum over `taps` (read at (n, i, j, c)),
/// into a tensor shaped like `pooled` [N, OH, OW, C].
Value argmaxOfTaps(Emitter &e, const Taps &taps, Value pooled) {
  Value winners =
      e.b.create<tensor::EmptyOp>(e.loc, e.sizes(pooled), e.b.getF32Type());
  double ninf = -std::numeric_limits<double>::infinity();
  return e.generic(taps.views, taps.maps, winners, e.id(4), e.parallel(4),
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     Ar ar{nb, l};
                     Value best = ar.c(ninf), tap = ar.c(0);
                     for (auto [t, x] : llvm::enumerate(a.drop_back())) {
                       Value wins = ar.gt(x, best);
                       best = ar.select(wins, x, best);
                       tap = ar.select(wins, ar.c(double(t)), tap);
                     }
                     return tap;
                   });
}

/// Max pooling's gradient over tiling windows: the winning tap of each
/// window (strictly greater: the first maximum), then at every input
/// element the cotangent where its tap won, else zero.
Value tiledMaxPoolGrad(Emitter &e, MaxPool2DGradOp op, const Sweep &s) {
  int64_t ph = s.dim[0].window, pw = s.dim[1].window;
  Value blocks = windowBlocks(e, op.getInput(), s);
  Value won;
  if (unrolledTaps(s)) {
    won = argmaxOfTaps(e, Taps(e, blocks, s), op.getGrad());
  } else {
    won = windowArgmax(e, blocks, blocksMap(e.b), op.getInput(),
                       op.getGrad().getType(), s);
  }
  return perInputElement(e, {op.getGrad(), won}, op.getType(), s,
                         [&](OpBuilder &nb, Location l, ValueRange a) {
                           Ar ar{nb, l};
                           Value mine = nb.create<arith::CmpFOp>(
                               l, arith::CmpFPredicate::OEQ, a[1],
                               tapNumber(nb, l, 2, 4, ph, pw, false));
                           return ar.select(mine, a[0], ar.c(0));
                         });
}

/// Max pooling's gradient over windows of up to 16 taps that overlap or
/// skip, `x` the padded input: the argmax over strided views of `x`; the
/// cotangent and the winners spread as for the gather, and each input
/// element sums, tap by tap over unit-stride views of both, the cotangent
/// whose winner is the tap's flipped number. The window form's sums in
/// registers, in its order.
Value unrolledMaxPoolGrad(Emitter &e, MaxPool2DGradOp op, const Sweep &s,
                          Value x) {
  auto in = op.getType();
  Value argmax = argmaxOfTaps(e, Taps::strided(e, x, s, op.getGrad().getType()),
                              op.getGrad());
  Value g = spreadForGather(e, op.getGrad(), in, s, 0.0);
  Value winners = spreadForGather(e, argmax, in, s, -1.0);
  Taps taps = Taps::strided(e, g, gatherSweep(s), in);
  Taps won = Taps::strided(e, winners, gatherSweep(s), in);
  taps.views.append(won.views);
  taps.maps.append(won.maps);
  Value init = e.b.create<tensor::EmptyOp>(
      e.loc,
      SmallVector<OpFoldResult>{e.sizes(g)[0],
                                e.b.getIndexAttr(in.getDimSize(1)),
                                e.b.getIndexAttr(in.getDimSize(2)),
                                e.b.getIndexAttr(in.getDimSize(3))},
      e.b.getF32Type());
  int64_t count = s.dim[0].window * s.dim[1].window;
  return e.generic(taps.views, taps.maps, init, e.id(4), e.parallel(4),
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     Ar ar{nb, l};
                     Value acc = ar.c(0);
                     // Gather tap t = a * pw + b reads the winner numbered (ph
                     // - 1 - a)
                     // * pw + (pw - 1 - b), that is count - 1 - t (tapNumber,
                     // flipped).
                     for (int64_t t = 0; t < count; ++t) {
                       Value mine = nb.create<arith::CmpFOp>(
                           l, arith::CmpFPredicate::OEQ, a[count + t],
                           ar.c(double(count - 1 - t)));
                       acc = ar.add(acc, ar.select(mine, a[t], ar.c(0)));
                     }
                     return acc;
                   });
}

// The first (row-major) maximum of each window gets its cotangent: an
// argmax pass records the winning tap, and the gather compares against it.
SmallVector<Value> lower(MaxPool2DGradOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Location loc = op.getLoc();
  Sweep s = poolSweep(op.getWindow(), op.getStrides(), op.getPadding());
  int64_t ph = s.dim[0].window, pw = s.dim[1].window;
  double ninf = -std::numeric_limits<double>::infinity();
  if (windowsTileInput(s, op.getInput().getType()))
    return {castTo(b, loc, tiledMaxPoolGrad(e, op, s), op.getType())};
  Value x = padInput(e, op.getInput(), s, ninf);
  auto in = op.getType();
  if (unrolledTaps(s))
    return {castTo(b, loc, unrolledMaxPoolGrad(e, op, s, x), in)};
  WindowOperand window(e, ph, pw);
  Value argmax =
      windowArgmax(e, {x, window.value}, {windowMap(b, s), window.map},
                   op.getInput(), op.getGrad().getType(), s);
  Value g = spreadForGather(e, op.getGrad(), in, s, 0.0);
  Value taps = spreadForGather(e, argmax, in, s, -1.0);
  Value dx = gatherWindows(
      e, {g, taps}, in, s, [&](OpBuilder &nb, Location l, ValueRange a) {
        Ar ar{nb, l};
        Value mine = nb.create<arith::CmpFOp>(
            l, arith::CmpFPredicate::OEQ, a[1],
            tapNumber(nb, l, 3, 4, ph, pw, /*flip=*/true));
        return ar.add(a[3], ar.select(mine, a[0], ar.c(0)));
      });
  return {castTo(b, loc, dx, in)};
}

/// `t` [N, OH, OW, C] divided by the number of input elements (pads not
/// counted) in each window, as Keras' average pooling does.
Value divideByWindowCount(Emitter &e, Value t, const Sweep &s,
                          RankedTensorType input) {
  int64_t sizes[2] = {input.getDimSize(1), input.getDimSize(2)};
  return e.map(t, t, [&](OpBuilder &nb, Location l, ValueRange a) {
    Value count;
    for (int d = 0; d < 2; ++d) {
      const WindowDim &w = s.dim[d];
      auto cst = [&](int64_t v) {
        return nb.create<arith::ConstantIndexOp>(l, v).getResult();
      };
      Value o = nb.create<linalg::IndexOp>(l, 1 + d);
      Value start = nb.create<arith::SubIOp>(
          l, nb.create<arith::MulIOp>(l, o, cst(w.stride)), cst(w.padBefore));
      Value end = nb.create<arith::AddIOp>(l, start, cst(w.window));
      Value lo = nb.create<arith::MaxSIOp>(l, start, cst(0));
      Value hi = nb.create<arith::MinSIOp>(l, end, cst(sizes[d]));
      Value n = nb.create<arith::SubIOp>(l, hi, lo);
      count = count ? nb.create<arith::MulIOp>(l, count, n).getResult() : n;
    }
    Value i64 = nb.create<arith::IndexCastOp>(l, nb.getI64Type(), count);
    Value f = nb.create<arith::SIToFPOp>(l, nb.getF32Type(), i64);
    return Ar{nb, l}.div(a[0], f);
  });
}

SmallVector<Value> lower(AvgPool2DOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Sweep s = poolSweep(op.getWindow(), op.getStrides(), op.getPadding());
  Value sum;
  if (windowsTileInput(s, op.getInput().getType())) {
    sum =
        foldTaps(e, op.getInput(), s, op.getType(), 0.0,
                 [](Ar &ar, Value acc, Value tap) { return ar.add(acc, tap); });
  } else if (unrolledTaps(s)) {
    Value x = padInput(e, op.getInput(), s, 0.0);
    sum = foldViews(
        e, Taps::strided(e, x, s, op.getType()), e.sizes(x)[0], op.getType(),
        0.0, [](Ar &ar, Value acc, Value tap) { return ar.add(acc, tap); });
  } else {
    Value x = padInput(e, op.getInput(), s, 0.0);
    sum = poolGeneric(e, x, windowMap(b, s), s,
                      pooledInit(e, op.getInput(), op.getType(), 0.0),
                      [](OpBuilder &nb, Location l, ValueRange a) {
                        return Ar{nb, l}.add(a[2], a[0]);
                      });
  }
  Value y = divideByWindowCount(e, sum, s, op.getInput().getType());
  return {castTo(b, op.getLoc(), y, op.getType())};
}

SmallVector<Value> lower(AvgPool2DGradOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Sweep s = poolSweep(op.getWindow(), op.getStrides(), op.getPadding());
  auto in = op.getType();
  Value share = divideByWindowCount(e, op.getGrad(), s, in);
  if (windowsTileInput(s, in))
    return {castTo(b, op.getLoc(),
                   perInputElement(e, share, in, s,
                                   [](OpBuilder &, Location, ValueRange a) {
                                     return a[0];
                                   }),
                   in)};
  Value g = spreadForGather(e, share, in, s, 0.0);
  Value dx;
  if (unrolledTaps(s)) {
    dx = foldViews(
        e, Taps::strided(e, g, gatherSweep(s), in), e.sizes(g)[0], in, 0.0,
        [](Ar &ar, Value acc, Value tap) { return ar.add(acc, tap); });
  } else {
    dx =
        gatherWindows(e, g, in, s, [](OpBuilder &nb, Location l, ValueRange a) {
          return Ar{nb, l}.add(a[2], a[0]);
        });
  }
  return {castTo(b, op.getLoc(), dx, in)};
}

template <typename... Ops> void addPatterns(RewritePatternSet &patterns) {
  (patterns.add<LowerPattern<Ops, &lower>>(patterns.getContext()), ...);
}

} // namespace

void sinter::lowering::populatePoolingLowerings(RewritePatternSet &patterns) {
  addPatterns<MaxPool2DOp, MaxPool2DGradOp, AvgPool2DOp, AvgPool2DGradOp>(
      patterns);
}
