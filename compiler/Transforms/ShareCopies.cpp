//===- ShareCopies.cpp - a copy made again reads the one made before ------===//
//
// Expects: linalg on tensors, as sinter-lower-to-linalg makes it (before
// bufferization). Produces: the same function where a copy that computes
// what an earlier copy in its block already computed is read from the
// earlier one, and the later copy is left for the canonicalizer to erase.
// A copy is a padded tensor (the last of a chain of tensor.insert_slice)
// or a gather (a linalg.generic whose loops are all parallel and whose
// body only yields inputs: a strided convolution's columns). Each
// convolution's gradient rule pads its input again for the filter
// gradient, and gathers its columns again where it has them: the forward
// pass made the same copies of the same values, and the backward pass
// spent a fifth of a stride-2 convolution's input-gradient region making
// them again. Equal means the same ops, attributes and types over equal
// operands, down to values both use (tensor.dim of the same argument, the
// same activation); only ops without memory effects are compared. See
// Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace sinter {
#define GEN_PASS_DEF_SHARECOPIES
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;

namespace {

/// Whether `op` copies: a gather over its inputs, or a pad complete (its
/// result not the destination of the next insert_slice of the chain).
bool isCopy(Operation *op) {
  if (auto insert = dyn_cast<tensor::InsertSliceOp>(op))
    return llvm::none_of(insert->getUsers(), [&](Operation *user) {
      auto next = dyn_cast<tensor::InsertSliceOp>(user);
      return next && next.getDest() == insert.getResult();
    });
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || !generic.hasPureTensorSemantics() ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return false;
  Block *body = generic.getBody();
  return body->getOperations().size() == 1 &&
         llvm::all_of(body->getTerminator()->getOperands(), [&](Value v) {
           auto arg = dyn_cast<BlockArgument>(v);
           return arg && arg.getOwner() == body &&
                  arg.getArgNumber() < generic.getNumDpsInputs();
         });
}

/// Whether some use of `op`'s result writes into it (an op's
/// destination): reading it from the earlier copy would then cost a copy
/// in bufferization.
bool isWrittenInto(Operation *op) {
  return llvm::any_of(op->getUses(), [](OpOperand &use) {
    auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
    return dps && dps.isDpsInit(&use);
  });
}

/// Structural equality of values, remembered across queries.
class Equality {
public:
  bool equal(Value a, Value b) {
    if (a == b)
      return true;
    if (auto it = known.find({a, b}); it != known.end())
      return it->second;
    if (marked.lookup(a) == b)
      return true;
    auto ra = dyn_cast<OpResult>(a), rb = dyn_cast<OpResult>(b);
    if (!ra || !rb || a.getType() != b.getType() ||
        ra.getResultNumber() != rb.getResultNumber())
      return false;
    auto [it, inserted] = known.try_emplace({a, b}, false);
    if (!inserted)
      return it->second;
    Operation *x = ra.getOwner(), *y = rb.getOwner();
    // The marks of a comparison that fails go with it: it marks results
    // (of a multi-result op too) before it compares regions.
    SmallVector<Value> marks;
    bool same =
        isMemoryEffectFree(x) && isMemoryEffectFree(y) &&
        OperationEquivalence::isEquivalentTo(
            x, y, [&](Value l, Value r) { return success(equal(l, r)); },
            [&](Value l, Value r) {
              marked[l] = r;
              marks.push_back(l);
            },
            OperationEquivalence::IgnoreLocations);
    if (!same)
      for (Value l : marks)
        marked.erase(l);
    known[{a, b}] = same;
    return same;
  }

private:
  DenseMap<std::pair<Value, Value>, bool> known;
  // Values inside regions being compared (block arguments, results) that
  // correspond.
  DenseMap<Value, Value> marked;
};

struct ShareCopiesPass : public sinter::impl::ShareCopiesBase<ShareCopiesPass> {
  void runOnOperation() override {
    Equality equality;
    getOperation().walk([&](Block *block) {
      SmallVector<Operation *> copies;
      for (Operation &op : *block) {
        if (op.getNumResults() != 1 || !isCopy(&op) || isWrittenInto(&op))
          continue;
        Value later = op.getResult(0);
        auto earlier = llvm::find_if(copies, [&](Operation *copy) {
          return copy->getName() == op.getName() &&
                 equality.equal(copy->getResult(0), later);
        });
        if (earlier == copies.end())
          copies.push_back(&op);
        else
          later.replaceAllUsesWith((*earlier)->getResult(0));
      }
    });
  }
};

} // namespace
