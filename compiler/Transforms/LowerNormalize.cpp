//===- LowerNormalize.cpp - normalization statistics to linalg ------------===//
//
// Part of sinter-lower-to-linalg. sinter.normalize: statistics are
// reductions over the last dimension (rank r - 1 tensors); the results are
// maps that broadcast them back. The gradient recomputes the statistics
// from the forward input instead of keeping them alive from the forward
// pass. Batch normalization's per-channel statistics (channel_mean, rsqrt)
// reduce over the leading dimensions instead.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/LinalgEmitter.h"
#include "dialects/Sinter/IR/SinterDialect.h"

using namespace mlir;
using namespace sinter;
using namespace sinter::lowering;

namespace {

/// Per-vector statistics of `x` (rank r - 1 tensors): the mean (with
/// centering) and the reciprocal of sqrt(mean of squares + epsilon) of the
/// (centered) elements. The maps over x multiply by it: a square root and
/// a division per vector, not per element (PyTorch computes rstd so too).
struct Stats {
  Value mean, rstd;
  int64_t n;
  bool center;

  Stats(Emitter &e, Value x, double epsilon, bool center)
      : n(cast<RankedTensorType>(x.getType()).getShape().back()),
        center(center) {
    SmallVector<Value> extra;
    if (center) {
      Value sum =
          e.reduceLast(x, {}, 0.0, [](OpBuilder &nb, Location l, ValueRange a) {
            return Ar{nb, l}.add(a[1], a[0]);
          });
      mean = e.map(sum, sum, [&](OpBuilder &nb, Location l, ValueRange a) {
        Ar ar{nb, l};
        return ar.div(a[0], ar.c(n));
      });
      extra.push_back(mean);
    }
    Value squares = e.reduceLast(x, extra, 0.0,
                                 [&](OpBuilder &nb, Location l, ValueRange a) {
                                   Ar ar{nb, l};
                                   Value d = centered(ar, a[0], a.drop_front());
                                   return ar.add(a.back(), ar.mul(d, d));
                                 });
    rstd =
        e.map(squares, squares, [&](OpBuilder &nb, Location l, ValueRange a) {
          Ar ar{nb, l};
          Value variance = ar.add(ar.div(a[0], ar.c(n)), ar.c(epsilon));
          return ar.div(ar.c(1.0), ar.sqrt(variance));
        });
  }

  /// The statistics as extra operands of a map over x, in this order.
  SmallVector<Value> operands() const {
    if (center)
      return {mean, rstd};
    return {rstd};
  }
  /// x minus the mean; `stats` are the bound operands() (first the mean).
  Value centered(Ar &ar, Value x, ValueRange stats) const {
    return center ? ar.sub(x, stats[0]) : x;
  }
  /// 1 / sqrt(mean of squares + epsilon), of the bound operands().
  Value reciprocal(ValueRange stats) const { return stats[center ? 1 : 0]; }
  /// y = centered x / sqrt(mean of squares + epsilon).
  Value normalized(Ar &ar, Value x, ValueRange stats) const {
    return ar.mul(centered(ar, x, stats), reciprocal(stats));
  }
};

/// Maps over `ins` (rank r) plus `extra` (rank r - 1, broadcast along the
/// last dimension), producing the shape of ins[0].
Value mapBroadcast(Emitter &e, ValueRange ins, ValueRange extra, BodyFn body) {
  int64_t r = Emitter::rankOf(ins[0]);
  SmallVector<Value> all(ins);
  all.append(extra.begin(), extra.end());
  SmallVector<AffineMap> maps(ins.size(), e.id(r));
  maps.append(extra.size(), e.dropLast(r));
  return e.mapWith(all, maps, ins[0], body);
}

SmallVector<Value> lower(NormalizeOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Stats s(e, op.getInput(), op.getEpsilon().convertToFloat(), op.getCenter());
  return {mapBroadcast(e, op.getInput(), s.operands(),
                       [&](OpBuilder &nb, Location l, ValueRange a) {
                         Ar ar{nb, l};
                         return s.normalized(ar, a[0], a.drop_front());
                       })};
}

// dx = (g - mean(g) - y mean(g y)) / s; without centering no mean(g) term.
SmallVector<Value> lower(NormalizeGradOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Value x = op.getInput(), g = op.getGrad();
  Stats s(e, x, op.getEpsilon().convertToFloat(), op.getCenter());
  SmallVector<Value> stats = s.operands();
  Value gy = e.reduceLast({x, g}, stats, 0.0,
                          [&](OpBuilder &nb, Location l, ValueRange a) {
                            Ar ar{nb, l};
                            Value y = s.normalized(ar, a[0], a.slice(2, stats.size()));
                            return ar.add(a.back(), ar.mul(a[1], y));
                          });
  Value gsum;
  if (s.center)
    gsum = e.reduceLast(g, {}, 0.0, [](OpBuilder &nb, Location l,
                                       ValueRange a) {
      return Ar{nb, l}.add(a[1], a[0]);
    });
  SmallVector<Value> extra(stats);
  extra.push_back(gy);
  if (gsum)
    extra.push_back(gsum);
  size_t k = stats.size();
  return {mapBroadcast(
      e, {x, g}, extra, [&](OpBuilder &nb, Location l, ValueRange a) {
        Ar ar{nb, l};
        ValueRange st = a.slice(2, k);
        Value y = s.normalized(ar, a[0], st);
        Value n = ar.c(s.n);
        Value d = ar.sub(a[1], ar.mul(y, ar.div(a[2 + k], n)));
        if (s.center)
          d = ar.sub(d, ar.div(a[3 + k], n));
        return ar.mul(d, s.reciprocal(st));
      })};
}

// The count of leading elements is known at run time only (the batch).
SmallVector<Value> lower(ChannelMeanOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  int64_t k = op.getType().getRank();
  Value sum = e.sumLeading(op.getInput(), k);
  Value n = e.leadingCount(op.getInput(), k);
  return {e.map(sum, sum, [&](OpBuilder &nb, Location l, ValueRange a) {
    return Ar{nb, l}.div(a[0], n);
  })};
}

SmallVector<Value> lower(ChannelMeanGradOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Value x = op.getInput();
  int64_t r = Emitter::rankOf(x), k = Emitter::rankOf(op.getGrad());
  Value n = e.leadingCount(x, k);
  return {e.mapWith(op.getGrad(), e.trailing(r, k), x,
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      return Ar{nb, l}.div(a[0], n);
                    })};
}

SmallVector<Value> lower(RsqrtOp op, OpBuilder &b) {
  return {Emitter(b, op.getLoc())
              .map(op.getInput(), op.getInput(),
                   [](OpBuilder &nb, Location l, ValueRange a) {
                     Ar ar{nb, l};
                     return ar.div(ar.c(1.0), ar.sqrt(a[0]));
                   })};
}

template <typename... Ops>
void addPatterns(RewritePatternSet &patterns) {
  (patterns.add<LowerPattern<Ops, &lower>>(patterns.getContext()), ...);
}

} // namespace

void sinter::lowering::populateNormalizeLowerings(RewritePatternSet &patterns) {
  addPatterns<NormalizeOp, NormalizeGradOp, ChannelMeanOp, ChannelMeanGradOp,
              RsqrtOp>(patterns);
}
