//===- ApproximateMath.cpp - transcendental functions as polynomials ------===//
//
// Expects: math dialect ops on f32 anywhere in a func.func (linalg bodies).
// Produces: exp, log, tanh, erf and the other functions MLIR approximates
// as inline polynomials of arith ops instead of libm calls. A libm call
// per element keeps LLVM from vectorizing the loop around it (GELU's erf
// was 8% of a gpt-mini step); the polynomials vectorize and are accurate
// to a few units in the last place. erf is Sinter's own rational (below),
// not MLIR's. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace sinter {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;

namespace {

/// erf(x) = x P(x^2) / Q(x^2) on x clamped to [-4, 4] (beyond, erf rounds
/// to +-1 in f32), coefficients fitted by scripts/fit-erf: relative error
/// 2e-9 in exact arithmetic; evaluated in f32 with FMAs, at most 4.7 units
/// in the last place and 0.66 on average over (0, 4.5] (the same script
/// checks). MLIR's approximation picks one of three rationals per element:
/// 21 selects and 36 constants in GELU's body, its coefficients spilled
/// from the vector registers; this is 13 FMAs or multiplies and one
/// division. NaN stays NaN (arith.maximumf propagates it), -0 stays -0.
struct ErfAsRational : public OpRewritePattern<math::ErfOp> {
  static constexpr float kClamp = 4.0f;
  static constexpr float kP[] = {
      1.12837923f,     0.185205534f,    0.0543170236f,   0.00384968193f,
      0.000379602192f, 4.68453709e-06f, -1.32011246e-08f};
  static constexpr float kQ[] = {1.0f,          0.497467548f,  0.113959193f,
                                 0.0154622057f, 0.0013075755f, 6.31083385e-05f};

  ErfAsRational(MLIRContext *ctx)
      : OpRewritePattern(ctx, /*benefit=*/2) {} // before MLIR's

  LogicalResult matchAndRewrite(math::ErfOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return failure();
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto constant = [&](float v) -> Value {
      auto attr = b.getF32FloatAttr(v);
      if (auto shaped = dyn_cast<ShapedType>(type))
        return b.create<arith::ConstantOp>(
            DenseElementsAttr::get(shaped, attr.getValue()));
      return b.create<arith::ConstantOp>(attr);
    };
    // Horner's rule in t.
    auto polynomial = [&](ArrayRef<float> coefficients, Value t) {
      Value sum = constant(coefficients.back());
      for (float c : llvm::reverse(coefficients.drop_back()))
        sum = b.create<math::FmaOp>(sum, t, constant(c));
      return sum;
    };
    Value x = b.create<arith::MinimumFOp>(
        b.create<arith::MaximumFOp>(op.getOperand(), constant(-kClamp)),
        constant(kClamp));
    Value t = b.create<arith::MulFOp>(x, x);
    Value p = b.create<arith::MulFOp>(x, polynomial(kP, t));
    rewriter.replaceOpWithNewOp<arith::DivFOp>(op, p, polynomial(kQ, t));
    return success();
  }
};

struct ApproximateMathPass
    : public sinter::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ErfAsRational>(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
