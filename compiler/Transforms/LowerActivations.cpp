//===- LowerActivations.cpp - activations and their gradients to linalg ---===//
//
// Part of sinter-lower-to-linalg: each activation and each gradient op is
// one elementwise linalg.generic (softmax: reductions over the last
// dimension, then a map). Gradient ops read the forward output y where the
// derivative is a function of it (relu, sigmoid, tanh, softmax), else the
// forward input x (gelu, silu).
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/LinalgEmitter.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/Sinter/IR/SinterDialect.h"

#include <limits>

using namespace mlir;
using namespace sinter;
using namespace sinter::lowering;

namespace {

using Formula = function_ref<Value(Ar &, Value)>;
using GradFormula = function_ref<Value(Ar &, Value, Value)>;

/// f(x) at every element of `x`.
SmallVector<Value> elementwise(OpBuilder &b, Location loc, Value x,
                               Formula f) {
  return {Emitter(b, loc).map(x, x,
                              [&](OpBuilder &nb, Location l, ValueRange a) {
                                Ar ar{nb, l};
                                return f(ar, a[0]);
                              })};
}

/// f(v, g) at every element of the forward value `v` and cotangent `g`.
SmallVector<Value> elementwise(OpBuilder &b, Location loc, Value v, Value g,
                               GradFormula f) {
  return {Emitter(b, loc).map({v, g}, v,
                              [&](OpBuilder &nb, Location l, ValueRange a) {
                                Ar ar{nb, l};
                                return f(ar, a[0], a[1]);
                              })};
}

Value sigmoidOf(Ar &ar, Value x) {
  return ar.div(ar.c(1), ar.add(ar.c(1), ar.exp(ar.neg(x))));
}

SmallVector<Value> lower(ReluOp op, OpBuilder &b) {
  return elementwise(b, op.getLoc(), op.getInput(), [](Ar &ar, Value x) {
    return ar.select(ar.gt(x, ar.c(0)), x, ar.c(0));
  });
}
SmallVector<Value> lower(ReluGradOp op, OpBuilder &b) {
  return elementwise(b, op.getLoc(), op.getOutput(), op.getGrad(),
                     [](Ar &ar, Value y, Value g) {
                       return ar.select(ar.gt(y, ar.c(0)), g, ar.c(0));
                     });
}

SmallVector<Value> lower(SigmoidOp op, OpBuilder &b) {
  return elementwise(b, op.getLoc(), op.getInput(), sigmoidOf);
}
SmallVector<Value> lower(SigmoidGradOp op, OpBuilder &b) {
  return elementwise(b, op.getLoc(), op.getOutput(), op.getGrad(),
                     [](Ar &ar, Value y, Value g) {
                       return ar.mul(g, ar.mul(y, ar.sub(ar.c(1), y)));
                     });
}

SmallVector<Value> lower(TanhOp op, OpBuilder &b) {
  return elementwise(b, op.getLoc(), op.getInput(), [](Ar &ar, Value x) {
    return ar.b.create<math::TanhOp>(ar.l, x).getResult();
  });
}
SmallVector<Value> lower(TanhGradOp op, OpBuilder &b) {
  return elementwise(b, op.getLoc(), op.getOutput(), op.getGrad(),
                     [](Ar &ar, Value y, Value g) {
                       return ar.mul(g, ar.sub(ar.c(1), ar.mul(y, y)));
                     });
}

// softmax(x) over the last dimension in three passes over x: its max m,
// the sum z of exp(x - m), and exp(x - m) * (1 / z), the reciprocal a map
// over the vectors (as PyTorch computes it): a division per element was a
// vdivps per 16 weights in attention's last pass. The exponentials are
// computed twice rather than written out and read back twice (gpt-mini's
// attention weights, [16, 4, 128, 128] a layer: stores of such tensors
// were a third of the samples of attention's forward region). A causal
// mask of -inf in front (attention's scores) is applied in each pass, its
// masked scores not written at all. The values are those of the four-pass form
// (exp of the same arguments, summed in the same order).
SmallVector<Value> lower(SoftmaxOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Value x = op.getInput();
  int64_t r = Emitter::rankOf(x);
  constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
  auto mask = x.getDefiningOp<CausalMaskOp>();
  bool causal =
      mask && mask.getValue().isInfinity() && mask.getValue().isNegative();
  if (causal)
    x = mask.getInput();
  // `v` at the body's element, `masked` past the query of a causal mask.
  auto element = [&](OpBuilder &nb, Location l, Value v,
                     double masked) -> Value {
    return causal ? Ar{nb, l}.pastQuery(r, masked, v) : v;
  };
  Value mx = e.reduceLast(
      x, {}, kMinusInf, [&](OpBuilder &nb, Location l, ValueRange a) {
        return Ar{nb, l}.max(a[1], element(nb, l, a[0], kMinusInf));
      });
  Value sum =
      e.reduceLast(x, mx, 0.0, [&](OpBuilder &nb, Location l, ValueRange a) {
        Ar ar{nb, l};
        return ar.add(a[2],
                      ar.exp(ar.sub(element(nb, l, a[0], kMinusInf), a[1])));
      });
  // Masked keys add the max's and the sum's identities (-inf, 0): their
  // loops may end at the query (sinter-bound-skipped-loops).
  if (causal)
    for (Value reduced : {mx, sum})
      reduced.getDefiningOp()->setAttr(kSkipAboveAttr,
                                       b.getDenseI64ArrayAttr({r - 2, r - 1}));
  Value inverse = e.map(sum, sum, [](OpBuilder &nb, Location l, ValueRange a) {
    Ar ar{nb, l};
    return ar.div(ar.c(1.0), a[0]);
  });
  // The weights past the query, exp(-inf) / z, are zero: selected, so
  // that their loop stores zeros there without computing (zeroedAbove).
  return {e.mapWith({x, mx, inverse}, {e.id(r), e.dropLast(r), e.dropLast(r)},
                    x, [&](OpBuilder &nb, Location l, ValueRange a) {
                      Ar ar{nb, l};
                      return element(
                          nb, l, ar.mul(ar.exp(ar.sub(a[0], a[1])), a[2]), 0.0);
                    })};
}
// dx = y (g - sum(y g)) over the last dimension. Of causal attention's
// weights (marked kZeroAboveAttr by markCausalOps), y is zero past each
// query and g, dP = dO·Vᵀ, not computed there: both passes select zero
// instead of multiplying (0 x an unwritten g may be NaN), the sum ends at
// the query, and the result's zeros there are stored without computing
// (zeroedAbove).
SmallVector<Value> lower(SoftmaxGradOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Value y = op.getOutput(), g = op.getGrad();
  int64_t r = Emitter::rankOf(y);
  auto zeroAbove = op->getAttrOfType<DenseI64ArrayAttr>(kZeroAboveAttr);
  // `v` at the body's element, zero past the query.
  auto element = [&](OpBuilder &nb, Location l, Value v) -> Value {
    return zeroAbove ? Ar{nb, l}.pastQuery(r, 0.0, v) : v;
  };
  Value dot = e.reduceLast(
      {y, g}, {}, 0.0, [&](OpBuilder &nb, Location l, ValueRange a) {
        Ar ar{nb, l};
        return ar.add(a[2], element(nb, l, ar.mul(a[0], a[1])));
      });
  if (zeroAbove)
    dot.getDefiningOp()->setAttr(kSkipAboveAttr, zeroAbove);
  return {e.mapWith({y, g, dot}, {e.id(r), e.id(r), e.dropLast(r)}, y,
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      Ar ar{nb, l};
                      return element(nb, l, ar.mul(a[0], ar.sub(a[1], a[2])));
                    })};
}

// GELU: 0.5 x (1 + erf(x / sqrt 2)), or the tanh form.
constexpr double kSqrt2OverPi = 0.7978845608028654;   // sqrt(2 / pi)
constexpr double kInvSqrt2 = 0.7071067811865476;      // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.3989422804014327;    // 1 / sqrt(2 pi)
constexpr double kGeluCubic = 0.044715;

/// tanh(sqrt(2/pi) (x + 0.044715 x^3)) of the approximate form.
Value geluTanh(Ar &ar, Value x) {
  Value cube = ar.mul(x, ar.mul(x, x));
  Value inner =
      ar.mul(ar.c(kSqrt2OverPi), ar.add(x, ar.mul(ar.c(kGeluCubic), cube)));
  return ar.b.create<math::TanhOp>(ar.l, inner);
}

/// Phi(x) = 0.5 (1 + erf(x / sqrt 2)).
Value normalCdf(Ar &ar, Value x) {
  Value erf = ar.b.create<math::ErfOp>(ar.l, ar.mul(x, ar.c(kInvSqrt2)));
  return ar.mul(ar.c(0.5), ar.add(ar.c(1), erf));
}

SmallVector<Value> lower(GeluOp op, OpBuilder &b) {
  if (op.getApproximate())
    return elementwise(b, op.getLoc(), op.getInput(), [](Ar &ar, Value x) {
      return ar.mul(ar.mul(ar.c(0.5), x), ar.add(ar.c(1), geluTanh(ar, x)));
    });
  return elementwise(b, op.getLoc(), op.getInput(), [](Ar &ar, Value x) {
    return ar.mul(x, normalCdf(ar, x));
  });
}
SmallVector<Value> lower(GeluGradOp op, OpBuilder &b) {
  if (op.getApproximate()) // 0.5 (1 + t) + 0.5 x (1 - t^2) u'(x)
    return elementwise(
        b, op.getLoc(), op.getInput(), op.getGrad(),
        [](Ar &ar, Value x, Value g) {
          Value t = geluTanh(ar, x);
          Value du = ar.mul(ar.c(kSqrt2OverPi),
                            ar.add(ar.c(1), ar.mul(ar.c(3 * kGeluCubic),
                                                   ar.mul(x, x))));
          Value d = ar.add(ar.mul(ar.c(0.5), ar.add(ar.c(1), t)),
                           ar.mul(ar.mul(ar.c(0.5), x),
                                  ar.mul(ar.sub(ar.c(1), ar.mul(t, t)), du)));
          return ar.mul(g, d);
        });
  return elementwise(b, op.getLoc(), op.getInput(), op.getGrad(),
                     [](Ar &ar, Value x, Value g) { // Phi(x) + x phi(x)
                       Value pdf = ar.mul(
                           ar.c(kInvSqrt2Pi),
                           ar.exp(ar.mul(ar.c(-0.5), ar.mul(x, x))));
                       return ar.mul(g, ar.add(normalCdf(ar, x),
                                               ar.mul(x, pdf)));
                     });
}

SmallVector<Value> lower(SiluOp op, OpBuilder &b) {
  return elementwise(b, op.getLoc(), op.getInput(), [](Ar &ar, Value x) {
    return ar.mul(x, sigmoidOf(ar, x));
  });
}
SmallVector<Value> lower(SiluGradOp op, OpBuilder &b) {
  return elementwise(b, op.getLoc(), op.getInput(), op.getGrad(),
                     [](Ar &ar, Value x, Value g) {
                       Value s = sigmoidOf(ar, x);
                       Value d = ar.mul(
                           s, ar.add(ar.c(1), ar.mul(x, ar.sub(ar.c(1), s))));
                       return ar.mul(g, d);
                     });
}

template <typename... Ops>
void addPatterns(RewritePatternSet &patterns) {
  (patterns.add<LowerPattern<Ops, &lower>>(patterns.getContext()), ...);
}

} // namespace

void sinter::lowering::populateActivationLowerings(
    RewritePatternSet &patterns) {
  addPatterns<ReluOp, ReluGradOp, SigmoidOp, SigmoidGradOp, TanhOp, TanhGradOp,
              SoftmaxOp, SoftmaxGradOp, GeluOp, GeluGradOp, SiluOp,
              SiluGradOp>(patterns);
}
