//===- ReassociateSums.cpp - sums along the innermost loop, vectorizable --===//
//
// Expects: linalg generics (on tensors). Produces: the same ops, where the
// innermost loop of a generic is a reduction, its accumulating `arith.addf`
// marked `fastmath<reassoc>`. LLVM keeps a float sum in program order
// unless told it may reorder it, so every row sum (LayerNorm's mean and
// variance, softmax's denominator, their gradients) ran as a scalar chain,
// one add per 4 cycles. Reassociated, the loop vectorizer splits the sum
// into vector partial sums. The order is still fixed at compile time: a
// trainer stays bit-identical run to run and for any thread count; builds
// for different vector widths round differently. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace sinter {
#define GEN_PASS_DEF_REASSOCIATESUMS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;

namespace {

struct ReassociateSumsPass
    : public sinter::impl::ReassociateSumsBase<ReassociateSumsPass> {
  void runOnOperation() override {
    getOperation().walk([](linalg::GenericOp op) {
      if (op.getNumLoops() == 0 ||
          op.getIteratorTypesArray().back() != utils::IteratorType::reduction)
        return;
      Block *body = op.getBody();
      auto yield = cast<linalg::YieldOp>(body->getTerminator());
      for (OpOperand &init : op.getDpsInitsMutable()) {
        Value acc = op.getMatchingBlockArgument(&init);
        Value result = yield.getOperand(init.getOperandNumber() -
                                        op.getNumDpsInputs());
        auto add = result.getDefiningOp<arith::AddFOp>();
        if (add && llvm::is_contained(add->getOperands(), acc))
          add.setFastmath(add.getFastmath() | arith::FastMathFlags::reassoc);
      }
    });
  }
};

} // namespace
