//===- ApproximateMath.cpp - transcendental functions as polynomials ------===//
//
// Expects: math dialect ops on f32 anywhere in a func.func (linalg bodies).
// Produces: exp, log, tanh, erf and the other functions MLIR approximates
// as inline polynomials of arith ops instead of libm calls. A libm call
// per element keeps LLVM from vectorizing the loop around it (GELU's erf
// was 8% of a gpt-mini step); the polynomials vectorize and are accurate
// to a few units in the last place. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace sinter {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;

namespace {

struct ApproximateMathPass
    : public sinter::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
