//===- FuseSoftmaxCrossentropy.cpp - a softmax's loss gradient in one op -===//
//
// Expects Sinter ops with their gradients (after sinter-build-train-step).
// Produces one sinter.softmax_crossentropy_grad for every sinter.softmax_grad
// whose cotangent is the gradient of a categorical cross-entropy (dense or
// sparse) of the same probabilities, that gradient used nowhere else. The
// pair took three reductions over the classes and two maps, and divided by
// each probability only to multiply by it again; the fused op is one
// reduction and one map, its formula the pair's (see the op's description).
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"

#include "dialects/Sinter/IR/SinterDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace sinter {
#define GEN_PASS_DEF_FUSESOFTMAXCROSSENTROPY
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

/// The fused op for `grad` if its cotangent is a `LossGrad` of its
/// probabilities, else null.
template <typename LossGrad> Value fused(SoftmaxGradOp grad, OpBuilder &b) {
  auto loss = grad.getGrad().getDefiningOp<LossGrad>();
  if (!loss || loss.getPrediction() != grad.getOutput() || !loss->hasOneUse())
    return {};
  b.setInsertionPoint(grad);
  return b.create<SoftmaxCrossentropyGradOp>(grad.getLoc(), grad.getType(),
                                             grad.getOutput(), loss.getTarget(),
                                             loss.getSeed());
}

struct FuseSoftmaxCrossentropyPass
    : public sinter::impl::FuseSoftmaxCrossentropyBase<
          FuseSoftmaxCrossentropyPass> {
  void runOnOperation() override {
    OpBuilder b(&getContext());
    getOperation().walk([&](SoftmaxGradOp grad) {
      Value result = fused<CategoricalCrossentropyGradOp>(grad, b);
      if (!result)
        result = fused<SparseCategoricalCrossentropyGradOp>(grad, b);
      if (!result)
        return;
      Operation *loss = grad.getGrad().getDefiningOp();
      grad.replaceAllUsesWith(result);
      grad.erase();
      loss->erase();
    });
  }
};

} // namespace
