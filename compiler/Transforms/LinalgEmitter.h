//===- LinalgEmitter.h - helpers for lowering Sinter ops to linalg --------===//
//
// The shared shapes of computation the lowerings are built from: elementwise
// maps, reductions over the last dimension or over everything, each a
// `linalg.generic` in destination-passing style, plus arithmetic shorthands
// for region bodies and the one-pattern-per-op rewrite.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_LINALGEMITTER_H
#define SINTER_TRANSFORMS_LINALGEMITTER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace sinter::lowering {

using namespace mlir;
using utils::IteratorType;
using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// Emits linalg ops at one location; every helper returns a tensor.
class Emitter {
public:
  Emitter(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value f32(double v) {
    return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(v));
  }

  /// A fresh tensor of `sizes`, filled with `init`.
  Value filled(ArrayRef<OpFoldResult> sizes, double init) {
    Value e = b.create<tensor::EmptyOp>(loc, sizes, b.getF32Type());
    return b.create<linalg::FillOp>(loc, f32(init), e).getResult(0);
  }

  SmallVector<OpFoldResult> sizes(Value v) {
    return tensor::getMixedSizes(b, loc, v);
  }

  /// Dimension `d` of `v` as an f32 value.
  Value dimF32(Value v, int64_t d) {
    Value i = b.create<tensor::DimOp>(loc, v, d);
    Value i64 = b.create<arith::IndexCastOp>(loc, b.getI64Type(), i);
    return b.create<arith::SIToFPOp>(loc, b.getF32Type(), i64);
  }

  /// The scalar in a tensor<f32>.
  Value scalar(Value t) {
    return b.create<tensor::ExtractOp>(loc, t, ValueRange{});
  }
  Value scalarTensor(Value s) {
    return b.create<tensor::FromElementsOp>(
        loc, RankedTensorType::get({}, b.getF32Type()), s);
  }

  /// One linalg.generic with a single output `init` and a body computing
  /// the yielded value from (inputs..., output).
  Value generic(ValueRange ins, ArrayRef<AffineMap> inMaps, Value init,
                AffineMap outMap, ArrayRef<IteratorType> iters, BodyFn body) {
    SmallVector<AffineMap> maps(inMaps.begin(), inMaps.end());
    maps.push_back(outMap);
    auto op = b.create<linalg::GenericOp>(
        loc, init.getType(), ins, init, maps, iters,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          nb.create<linalg::YieldOp>(nl, body(nb, nl, args));
        });
    return op.getResult(0);
  }

  /// lhs · rhs (lhsᵀ · rhs when `transposeLhs`) of 2-D tensors, into a
  /// fresh zero-filled result. Iteration (m, k, n), or (k, m, n) for lhsᵀ:
  /// the innermost loop runs along the result's contiguous columns, and
  /// each result element sums over k in increasing order.
  Value matmul(Value lhs, Value rhs, bool transposeLhs) {
    Value init = filled({sizes(lhs)[transposeLhs ? 1 : 0], sizes(rhs)[1]}, 0.0);
    AffineExpr d0 = b.getAffineDimExpr(0), d1 = b.getAffineDimExpr(1),
               n = b.getAffineDimExpr(2);
    AffineExpr m = transposeLhs ? d1 : d0, k = transposeLhs ? d0 : d1;
    MLIRContext *ctx = b.getContext();
    AffineMap lhsMap = AffineMap::get(
        3, 0, transposeLhs ? ArrayRef{k, m} : ArrayRef{m, k}, ctx);
    SmallVector<IteratorType> iters = {IteratorType::parallel,
                                       IteratorType::reduction,
                                       IteratorType::parallel};
    if (transposeLhs)
      std::swap(iters[0], iters[1]);
    return generic({lhs, rhs}, {lhsMap, AffineMap::get(3, 0, {k, n}, ctx)},
                   init, AffineMap::get(3, 0, {m, n}, ctx), iters,
                   [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                     Value product = nb.create<arith::MulFOp>(l, a[0], a[1]);
                     return nb.create<arith::AddFOp>(l, a[2], product);
                   });
  }

  /// `body(x_i...)` at every element of `ins` (all of `like`'s shape).
  Value map(ValueRange ins, Value like, BodyFn body) {
    SmallVector<AffineMap> inMaps(ins.size(), id(rankOf(like)));
    return mapWith(ins, inMaps, like, body);
  }

  /// Reduces `ins` (all of rank r, `extra` of rank r-1 broadcast along the
  /// last dimension) over the last dimension: result rank r-1.
  Value reduceLast(ValueRange ins, ValueRange extra, double init,
                   BodyFn body) {
    int64_t r = rankOf(ins[0]);
    SmallVector<AffineMap> inMaps(ins.size(), b.getMultiDimIdentityMap(r));
    inMaps.append(extra.size(), dropLast(r));
    SmallVector<Value> all(ins);
    all.append(extra.begin(), extra.end());
    SmallVector<OpFoldResult> s = sizes(ins[0]);
    s.pop_back();
    SmallVector<IteratorType> iters = parallel(r);
    iters.back() = IteratorType::reduction;
    return generic(all, inMaps, filled(s, init), dropLast(r), iters, body);
  }

  /// Sums `x` over all but its last `k` dimensions: a tensor of x's
  /// trailing `k` dimensions. Over more than one leading dimension, the
  /// sum of each batch row first (their loop runs on the threads), then of
  /// those: one loop summing a [N, 28, 28, 6] convolution gradient for its
  /// bias had to run serially (its only parallel loop, the 6 channels,
  /// innermost), 6 % of lenet's step.
  Value sumLeading(Value x, int64_t k) {
    int64_t r = rankOf(x);
    if (r - k >= 2) {
      SmallVector<IteratorType> iters(r, IteratorType::reduction);
      iters.front() = IteratorType::parallel;
      std::fill(iters.end() - k, iters.end(), IteratorType::parallel);
      SmallVector<AffineExpr> kept = {b.getAffineDimExpr(0)};
      for (int64_t d = r - k; d < r; ++d)
        kept.push_back(b.getAffineDimExpr(d));
      SmallVector<OpFoldResult> s = sizes(x);
      SmallVector<OpFoldResult> rowSizes = {s.front()};
      rowSizes.append(s.end() - k, s.end());
      Value rows = generic(x, id(r), filled(rowSizes, 0.0),
                           AffineMap::get(r, 0, kept, b.getContext()), iters,
                           [](OpBuilder &nb, Location l, ValueRange a) {
                             return nb.create<arith::AddFOp>(l, a[1], a[0]);
                           });
      return sumLeading(rows, k);
    }
    SmallVector<IteratorType> iters(r - k, IteratorType::reduction);
    iters.append(k, IteratorType::parallel);
    Value init = filled(ArrayRef(sizes(x)).take_back(k), 0.0);
    return generic(x, id(r), init, trailing(r, k), iters,
                   [](OpBuilder &nb, Location l, ValueRange a) {
                     return nb.create<arith::AddFOp>(l, a[1], a[0]);
                   });
  }

  /// The number of elements of `x`'s leading `r - k` dimensions, as f32.
  Value leadingCount(Value x, int64_t k) {
    Value n = f32(1.0);
    for (int64_t d = 0; d < rankOf(x) - k; ++d)
      n = b.create<arith::MulFOp>(loc, n, dimF32(x, d));
    return n;
  }

  /// Reduces over every dimension to a tensor<f32>; `maps` give each input's
  /// indexing in the iteration space of `space`.
  Value reduceAll(ValueRange ins, ArrayRef<AffineMap> maps, Value space,
                  BodyFn body) {
    int64_t r = rankOf(space);
    SmallVector<IteratorType> iters(r, IteratorType::reduction);
    return generic(ins, maps, filled({}, 0.0), AffineMap::get(r, 0, b.getContext()),
                   iters, body);
  }

  /// `body` over the iteration space of `like` with inputs indexed by
  /// `maps`, producing `like`'s shape.
  Value mapWith(ValueRange ins, ArrayRef<AffineMap> maps, Value like,
                BodyFn body) {
    int64_t r = rankOf(like);
    Value init = b.create<tensor::EmptyOp>(loc, sizes(like), b.getF32Type());
    return generic(ins, maps, init, b.getMultiDimIdentityMap(r), parallel(r),
                   body);
  }

  SmallVector<IteratorType> parallel(int64_t r) {
    return SmallVector<IteratorType>(r, IteratorType::parallel);
  }
  AffineMap id(int64_t r) { return b.getMultiDimIdentityMap(r); }
  AffineMap dropLast(int64_t r) {
    return AffineMap::getMultiDimIdentityMap(r, b.getContext())
        .getMajorSubMap(r - 1);
  }
  /// An operand shaped like the last `k` of `r` dimensions.
  AffineMap trailing(int64_t r, int64_t k) {
    return AffineMap::getMultiDimIdentityMap(r, b.getContext())
        .getMinorSubMap(k);
  }
  static int64_t rankOf(Value v) {
    return cast<RankedTensorType>(v.getType()).getRank();
  }

  OpBuilder &b;
  Location loc;
};

// Arithmetic shorthands for region bodies.
struct Ar {
  OpBuilder &b;
  Location l;
  Value add(Value x, Value y) { return b.create<arith::AddFOp>(l, x, y); }
  Value sub(Value x, Value y) { return b.create<arith::SubFOp>(l, x, y); }
  Value mul(Value x, Value y) { return b.create<arith::MulFOp>(l, x, y); }
  Value div(Value x, Value y) { return b.create<arith::DivFOp>(l, x, y); }
  Value neg(Value x) { return b.create<arith::NegFOp>(l, x); }
  Value c(double v) {
    return b.create<arith::ConstantOp>(l, b.getF32FloatAttr(v));
  }
  Value exp(Value x) { return b.create<math::ExpOp>(l, x); }
  Value log(Value x) { return b.create<math::LogOp>(l, x); }
  Value sqrt(Value x) { return b.create<math::SqrtOp>(l, x); }
  Value max(Value x, Value y) { return b.create<arith::MaximumFOp>(l, x, y); }
  Value min(Value x, Value y) { return b.create<arith::MinimumFOp>(l, x, y); }
  Value gt(Value x, Value y) {
    return b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, x, y);
  }
  Value lt(Value x, Value y) {
    return b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLT, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return b.create<arith::SelectOp>(l, c, x, y);
  }
  Value andi(Value x, Value y) { return b.create<arith::AndIOp>(l, x, y); }
  /// In a rank-`r` body: `value` where the last loop's index exceeds the
  /// index of the loop before it (a key past its query), else `v`. The
  /// form zeroedAbove (ParallelLoopUtils) recognizes for a value of 0.
  Value pastQuery(int64_t r, double value, Value v) {
    Value t = b.create<linalg::IndexOp>(l, r - 2);
    Value s = b.create<linalg::IndexOp>(l, r - 1);
    return select(b.create<arith::CmpIOp>(l, arith::CmpIPredicate::ugt, s, t),
                  c(value), v);
  }
};
/// Replaces an op by the values `Lower` gives for it.
template <typename OpTy, SmallVector<Value> (*Lower)(OpTy, OpBuilder &)>
struct LowerPattern : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, Lower(op, rewriter));
    return success();
  }
};

/// Contractions whose terms (or results) where one letter exceeds another
/// are zero (or unused) carry those two letters: `sinter.causal_letters`
/// "ts" on a contraction means that where s > t a term is zero or a result
/// element is not read. Its lowering passes the fact on to its generic as
/// kSkipAboveAttr. On a sinter op whose loops are its result's dimensions
/// (an activation's gradient), `sinter.zero_above = [a, b]`: its result is
/// zero where dimension b's index exceeds a's, and so is an operand that
/// the lowering may then leave unwritten there (the softmax gradient of
/// causal attention's weights, and dP = dO·Vᵀ that it reads). Both set on
/// the sinter ops before lowering (their producers and users are lowered
/// in no fixed order).
constexpr llvm::StringLiteral kCausalLettersAttr = "sinter.causal_letters";
constexpr llvm::StringLiteral kZeroAboveAttr = "sinter.zero_above";
void markCausalOps(Operation *root);

/// Lowerings kept in their own files.
void populateActivationLowerings(RewritePatternSet &patterns);
void populateLossLowerings(RewritePatternSet &patterns);
void populateNormalizeLowerings(RewritePatternSet &patterns);
void populateSequenceLowerings(RewritePatternSet &patterns);
/// `lanes`: floats in a vector register of the target (the filter
/// gradient's layout depends on it).
void populateConvolutionLowerings(RewritePatternSet &patterns, int64_t lanes);
void populatePoolingLowerings(RewritePatternSet &patterns);

} // namespace sinter::lowering

#endif // SINTER_TRANSFORMS_LINALGEMITTER_H
