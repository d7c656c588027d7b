//===- LowerLosses.cpp - losses and their gradients to linalg -------------===//
//
// Part of sinter-lower-to-linalg: each loss is a reduction to a
// tensor<f32> (Keras averages per example over the outputs for MSE and BCE,
// sums over the classes for the cross-entropies, then averages over the
// prediction vectors), each loss gradient a map over the prediction.
// Probabilities are clipped to [1e-7, 1 - 1e-7] as Keras clips them, and
// the gradient is zero where the clip holds.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/LinalgEmitter.h"
#include "dialects/Sinter/IR/SinterDialect.h"

using namespace mlir;
using namespace sinter;
using namespace sinter::lowering;

namespace {

/// Keras' fuzz factor for clipping probabilities.
constexpr double kEpsilon = 1e-7;

/// Number of prediction elements as f32 (batch * outputs).
Value numElements(Emitter &e, Value pred) {
  return Ar{e.b, e.loc}.mul(e.dimF32(pred, 0), e.dimF32(pred, 1));
}

/// The mean over every element of `body(p, t, acc)` accumulated over the
/// prediction `p` and a target `t` of its shape.
Value elementMean(OpBuilder &b, Location loc, Value p, Value t, BodyFn body) {
  Emitter e(b, loc);
  Value sum = e.reduceAll({p, t}, {e.id(2), e.id(2)}, p, body);
  return e.scalarTensor(Ar{b, loc}.div(e.scalar(sum), numElements(e, p)));
}

SmallVector<Value> lower(MeanSquaredErrorOp op, OpBuilder &b) {
  return {elementMean(b, op.getLoc(), op.getPrediction(), op.getTarget(),
                      [](OpBuilder &nb, Location l, ValueRange a) {
                        Ar ar{nb, l};
                        Value d = ar.sub(a[0], a[1]);
                        return ar.add(a[2], ar.mul(d, d));
                      })};
}
SmallVector<Value> lower(MeanSquaredErrorGradOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Ar ar{b, op.getLoc()};
  Value p = op.getPrediction();
  Value scale =
      ar.div(ar.mul(ar.c(2), e.scalar(op.getSeed())), numElements(e, p));
  return {e.map({p, op.getTarget()}, p,
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  Ar r{nb, l};
                  return r.mul(scale, r.sub(a[0], a[1]));
                })};
}

SmallVector<Value> lower(BinaryCrossentropyOp op, OpBuilder &b) {
  return {elementMean(
      b, op.getLoc(), op.getPrediction(), op.getTarget(),
      [](OpBuilder &nb, Location l, ValueRange a) {
        Ar ar{nb, l};
        Value pc = ar.min(ar.max(a[0], ar.c(kEpsilon)), ar.c(1 - kEpsilon));
        Value t = a[1];
        Value ll =
            ar.add(ar.mul(t, ar.log(pc)),
                   ar.mul(ar.sub(ar.c(1), t), ar.log(ar.sub(ar.c(1), pc))));
        return ar.sub(a[2], ll);
      })};
}
SmallVector<Value> lower(BinaryCrossentropyGradOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Ar ar{b, op.getLoc()};
  Value p = op.getPrediction();
  Value scale = ar.div(e.scalar(op.getSeed()), numElements(e, p));
  return {e.map({p, op.getTarget()}, p,
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  Ar r{nb, l};
                  Value lo = r.c(kEpsilon), hi = r.c(1 - kEpsilon);
                  Value inside = r.andi(r.gt(a[0], lo), r.lt(a[0], hi));
                  Value t = a[1];
                  // d/dp of -(t log p + (1-t) log(1-p)); zero where clipped.
                  Value d = r.add(r.neg(r.div(t, a[0])),
                                  r.div(r.sub(r.c(1), t), r.sub(r.c(1), a[0])));
                  return r.select(inside, r.mul(scale, d), r.c(0));
                })};
}

// Categorical cross-entropy on probabilities, Keras style: q = p / sum(p)
// over the last dimension, clipped to [eps, 1 - eps], loss = -sum t log q,
// averaged over every prediction vector (the batch, and the tokens of a
// sequence). Sparse targets hold class indices, the prediction's shape
// without its last dimension: one-hot rows made on the fly.

Value clipped(Ar &ar, Value q) {
  return ar.min(ar.max(q, ar.c(kEpsilon)), ar.c(1 - kEpsilon));
}
/// Whether the clip leaves `q` as it is (its gradient passes).
Value unclipped(Ar &ar, Value q) {
  return ar.andi(ar.gt(q, ar.c(kEpsilon)), ar.lt(q, ar.c(1 - kEpsilon)));
}

/// sum(p) over the last dimension.
Value rowSums(Emitter &e, Value p) {
  return e.reduceLast(p, {}, 0.0, [](OpBuilder &nb, Location l, ValueRange a) {
    return Ar{nb, l}.add(a[1], a[0]);
  });
}

/// The one-hot target's value at the current (..., j) of a generic over a
/// rank-r prediction, from the vector's `label`.
Value oneHotAt(OpBuilder &nb, Location l, Value label, int64_t r) {
  Ar ar{nb, l};
  Value j = nb.create<linalg::IndexOp>(l, r - 1);
  Value ji = nb.create<arith::IndexCastOp>(l, nb.getI32Type(), j);
  Value hit = nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, ji, label);
  return ar.select(hit, ar.c(1), ar.c(0));
}

/// In a generic over the prediction vectors of `p` (rank r, `classes` its
/// last dimension): whether the i32 `label` names a class, and p's value at
/// it (at class 0 if not).
std::pair<Value, Value> labelled(OpBuilder &nb, Location l, Value p,
                                 Value classes, Value label, int64_t r) {
  Ar ar{nb, l};
  Value at = nb.create<arith::IndexCastOp>(l, nb.getIndexType(), label);
  Value zero = nb.create<arith::ConstantIndexOp>(l, 0);
  Value valid = ar.andi(
      nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, at, zero),
      nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, at, classes));
  SmallVector<Value> index;
  for (int64_t d = 0; d + 1 < r; ++d)
    index.push_back(nb.create<linalg::IndexOp>(l, d));
  index.push_back(ar.select(valid, at, zero));
  return {valid, nb.create<tensor::ExtractOp>(l, p, index)};
}

/// The loss of `p` against `target` (class indices when `labels`).
Value crossentropy(OpBuilder &b, Location loc, Value p, Value target,
                   bool labels) {
  Emitter e(b, loc);
  int64_t r = Emitter::rankOf(p);
  Value sums = rowSums(e, p);
  Value sum;
  if (labels) {
    // Only each vector's labelled probability contributes: read it rather
    // than a one-hot row (a pass over all classes, a log each, in one
    // serial sum). The terms and their order are the one-hot sum's, whose
    // other terms were zeros; a label outside [0, classes) adds nothing.
    Value classes = b.create<tensor::DimOp>(loc, p, r - 1);
    sum =
        e.reduceAll({target, sums}, {e.id(r - 1), e.id(r - 1)}, target,
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      Ar ar{nb, l};
                      auto [valid, pl] = labelled(nb, l, p, classes, a[0], r);
                      Value q = clipped(ar, ar.div(pl, a[1]));
                      return ar.sub(a[2], ar.select(valid, ar.log(q), ar.c(0)));
                    });
  } else {
    sum = e.reduceAll({p, target, sums}, {e.id(r), e.id(r), e.dropLast(r)}, p,
                      [&](OpBuilder &nb, Location l, ValueRange a) {
                        Ar ar{nb, l};
                        Value q = clipped(ar, ar.div(a[0], a[2]));
                        return ar.sub(a[3], ar.mul(a[1], ar.log(q)));
                      });
  }
  return e.scalarTensor(Ar{b, loc}.div(e.scalar(sum), e.leadingCount(p, 1)));
}

/// The loss's cotangent of the prediction, from the loss's `seed`.
Value crossentropyGrad(OpBuilder &b, Location loc, Value p, Value target,
                       bool labels, Value seed) {
  Emitter e(b, loc);
  int64_t r = Emitter::rankOf(p);
  AffineMap tMap = labels ? e.dropLast(r) : e.id(r);
  // The target's value at (..., j) inside a body; `a` holds (p, target, ...).
  auto targetAt = [labels, r](OpBuilder &nb, Location l, ValueRange a) {
    return labels ? oneHotAt(nb, l, a[1], r) : a[1];
  };
  Value sums = rowSums(e, p);
  // dq_j = -t_j / q_j inside the clip range, else 0;
  // dp_i = (dq_i - sum_j dq_j q_j) / S, scaled by seed / vectors.
  auto dq = [&](Ar &ar, OpBuilder &nb, Location l, ValueRange a) {
    Value q = ar.div(a[0], a[2]);
    Value d = ar.neg(ar.div(targetAt(nb, l, a), clipped(ar, q)));
    return std::make_pair(ar.select(unclipped(ar, q), d, ar.c(0)), q);
  };
  SmallVector<OpFoldResult> rows = e.sizes(p);
  rows.pop_back();
  SmallVector<IteratorType> iters = e.parallel(r);
  iters.back() = IteratorType::reduction;
  Value dot = e.generic({p, target, sums}, {e.id(r), tMap, e.dropLast(r)},
                        e.filled(rows, 0.0), e.dropLast(r), iters,
                        [&](OpBuilder &nb, Location l, ValueRange a) {
                          Ar ar{nb, l};
                          auto [d, q] = dq(ar, nb, l, a);
                          return ar.add(a[3], ar.mul(d, q));
                        });
  Value scale = Ar{b, loc}.div(e.scalar(seed), e.leadingCount(p, 1));
  return e.mapWith({p, target, sums, dot},
                   {e.id(r), tMap, e.dropLast(r), e.dropLast(r)}, p,
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     Ar ar{nb, l};
                     Value d = dq(ar, nb, l, a).first;
                     return ar.mul(scale, ar.div(ar.sub(d, a[3]), a[2]));
                   });
}

SmallVector<Value> lower(CategoricalCrossentropyOp op, OpBuilder &b) {
  return {
      crossentropy(b, op.getLoc(), op.getPrediction(), op.getTarget(), false)};
}
SmallVector<Value> lower(CategoricalCrossentropyGradOp op, OpBuilder &b) {
  return {crossentropyGrad(b, op.getLoc(), op.getPrediction(), op.getTarget(),
                           false, op.getSeed())};
}
SmallVector<Value> lower(SparseCategoricalCrossentropyOp op, OpBuilder &b) {
  return {
      crossentropy(b, op.getLoc(), op.getPrediction(), op.getTarget(), true)};
}
SmallVector<Value> lower(SparseCategoricalCrossentropyGradOp op, OpBuilder &b) {
  return {crossentropyGrad(b, op.getLoc(), op.getPrediction(), op.getTarget(),
                           true, op.getSeed())};
}

/// Softmax and cross-entropy's gradient in one: with q = y / sum(y) and
/// T = sum_j t_j over the unclipped q_j, dz_i = scale (q_i T - t_i) where
/// q_i is unclipped, scale q_i T where it is clipped (see the op). One
/// reduction gives each vector's T (sparse targets: whether the labelled
/// q is unclipped), then one map; the composition took three reductions
/// and two maps.
SmallVector<Value> lower(SoftmaxCrossentropyGradOp op, OpBuilder &b) {
  Location loc = op.getLoc();
  Emitter e(b, loc);
  Value y = op.getProbabilities(), target = op.getTarget();
  int64_t r = Emitter::rankOf(y);
  bool labels = isa<IntegerType>(
      cast<RankedTensorType>(target.getType()).getElementType());
  Value sums = rowSums(e, y);
  Value kept; // T, per vector
  if (labels) {
    Value classes = b.create<tensor::DimOp>(loc, y, r - 1);
    kept = e.mapWith({target, sums}, {e.id(r - 1), e.id(r - 1)}, sums,
                     [&](OpBuilder &nb, Location l, ValueRange a) {
                       Ar ar{nb, l};
                       auto [valid, yl] = labelled(nb, l, y, classes, a[0], r);
                       Value in =
                           ar.andi(valid, unclipped(ar, ar.div(yl, a[1])));
                       return ar.select(in, ar.c(1), ar.c(0));
                     });
  } else {
    kept = e.reduceLast({y, target}, sums, 0.0,
                        [&](OpBuilder &nb, Location l, ValueRange a) {
                          Ar ar{nb, l};
                          Value in = unclipped(ar, ar.div(a[0], a[2]));
                          return ar.add(a[3], ar.select(in, a[1], ar.c(0)));
                        });
  }
  Value scale = Ar{b, loc}.div(e.scalar(op.getSeed()), e.leadingCount(y, 1));
  AffineMap rowMap = e.dropLast(r);
  return {e.mapWith({y, target, sums, kept},
                    {e.id(r), labels ? rowMap : e.id(r), rowMap, rowMap}, y,
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      Ar ar{nb, l};
                      Value q = ar.div(a[0], a[2]);
                      // t_i where q_i is unclipped: a label's one-hot entry is
                      // unclipped exactly when T is 1.
                      Value t =
                          labels ? ar.mul(oneHotAt(nb, l, a[1], r), a[3])
                                 : ar.select(unclipped(ar, q), a[1], ar.c(0));
                      return ar.mul(scale, ar.sub(ar.mul(q, a[3]), t));
                    })};
}

template <typename... Ops> void addPatterns(RewritePatternSet &patterns) {
  (patterns.add<LowerPattern<Ops, &lower>>(patterns.getContext()), ...);
}

} // namespace

void sinter::lowering::populateLossLowerings(RewritePatternSet &patterns) {
  addPatterns<MeanSquaredErrorOp, MeanSquaredErrorGradOp, BinaryCrossentropyOp,
              BinaryCrossentropyGradOp, CategoricalCrossentropyOp,
              CategoricalCrossentropyGradOp, SparseCategoricalCrossentropyOp,
              SparseCategoricalCrossentropyGradOp, SoftmaxCrossentropyGradOp>(
      patterns);
}
