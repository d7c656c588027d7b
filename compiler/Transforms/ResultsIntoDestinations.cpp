//===- ResultsIntoDestinations.cpp - callees write into callers' buffers --===//
//
// Expects: private functions on tensors whose callers write some result
// straight into a buffer (the result's one use is a restrict, writable
// `bufferization.materialize_in_destination` into a memref, of the same
// type at every call). Produces: callees that take that memref as a new
// last argument and write the result into it themselves; each call passes
// its buffer (the view ops that make it move before the call) and loses
// the result.
//
// Why: a function result bufferizes to an allocation in the callee, which
// the caller then copies and frees. Written inside the callee, the value
// is computed in the caller's buffer once eliminate-empty-tensors has
// replaced the `tensor.empty` it starts from with that buffer. For the
// training pass these are the gradients: 70 allocations and copies a step
// in gpt-mini, now none.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/MapVector.h"

namespace sinter {
#define GEN_PASS_DEF_RESULTSINTODESTINATIONS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using bufferization::MaterializeInDestinationOp;

namespace {

/// The write of `result` into a buffer, if that is its one use.
MaterializeInDestinationOp writeOf(Value result) {
  if (!result.hasOneUse())
    return {};
  auto write = dyn_cast<MaterializeInDestinationOp>(*result.user_begin());
  if (!write || write.getSource() != result ||
      !isa<MemRefType>(write.getDest().getType()) || !write.getRestrict() ||
      !write.getWritable())
    return {};
  return write;
}

/// Makes `value` available before `point` by moving the pure, region-free
/// ops that compute it (views of a buffer) there; false if it cannot.
bool hoistBefore(Value value, Operation *point, DominanceInfo &dom) {
  if (dom.properlyDominates(value, point))
    return true;
  Operation *def = value.getDefiningOp();
  if (!def || def->getNumRegions() || !isPure(def) ||
      def->getBlock() != point->getBlock())
    return false;
  for (Value operand : def->getOperands())
    if (!hoistBefore(operand, point, dom))
      return false;
  def->moveBefore(point);
  return true;
}

/// `type` with a dynamic offset: the windows of different parameters then
/// have one type, and the repeated blocks of a network (whose gradients
/// lie at different offsets) compile to identical code that LLVM merges.
Type anyOffset(Type type) {
  auto memref = cast<MemRefType>(type);
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(getStridesAndOffset(memref, strides, offset)))
    return type;
  return MemRefType::get(
      memref.getShape(), memref.getElementType(),
      StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic, strides));
}

void moveResultsIntoDestinations(func::FuncOp callee,
                                 MutableArrayRef<func::CallOp> calls,
                                 DominanceInfo &dom) {
  // Results every call writes into a buffer of one type.
  SmallVector<unsigned> moved;
  for (unsigned r = 0, e = callee.getNumResults(); r < e; ++r) {
    MaterializeInDestinationOp first = writeOf(calls.front().getResult(r));
    if (first && llvm::all_of(calls, [&](func::CallOp call) {
          MaterializeInDestinationOp write = writeOf(call.getResult(r));
          return write &&
                 write.getDest().getType() == first.getDest().getType() &&
                 hoistBefore(write.getDest(), call, dom);
        }))
      moved.push_back(r);
  }
  if (moved.empty())
    return;

  // The callee writes them into new arguments.
  llvm::BitVector drop(callee.getNumResults());
  for (unsigned r : moved) {
    drop.set(r);
    callee.front().addArgument(
        anyOffset(writeOf(calls.front().getResult(r)).getDest().getType()),
        callee.getLoc());
  }
  callee.walk([&](func::ReturnOp ret) {
    OpBuilder b(ret);
    unsigned arg = callee.getNumArguments();
    for (unsigned r : moved)
      b.create<MaterializeInDestinationOp>(
          ret.getLoc(), TypeRange{}, ret.getOperand(r),
          callee.front().getArgument(arg++), /*restrict=*/true,
          /*writable=*/true);
    ret->eraseOperands(drop);
  });
  SmallVector<Type> results;
  for (unsigned r = 0, e = callee.getNumResults(); r < e; ++r)
    if (!drop.test(r))
      results.push_back(callee.getResultTypes()[r]);
  callee.setFunctionType(FunctionType::get(
      callee.getContext(), callee.front().getArgumentTypes(), results));

  // Each call passes its buffers instead.
  for (func::CallOp call : calls) {
    SmallVector<Value> operands(call.getOperands());
    OpBuilder b(call);
    for (unsigned r : moved) {
      MaterializeInDestinationOp write = writeOf(call.getResult(r));
      operands.push_back(b.create<memref::CastOp>(
          call.getLoc(), anyOffset(write.getDest().getType()),
          write.getDest()));
      write.erase();
    }
    auto newCall = b.create<func::CallOp>(call.getLoc(), callee, operands);
    unsigned next = 0;
    for (unsigned r = 0, e = call.getNumResults(); r < e; ++r)
      if (!drop.test(r))
        call.getResult(r).replaceAllUsesWith(newCall.getResult(next++));
    call.erase();
  }
}

struct ResultsIntoDestinationsPass
    : public sinter::impl::ResultsIntoDestinationsBase<
          ResultsIntoDestinationsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::MapVector<func::FuncOp, SmallVector<func::CallOp>> callsOf;
    module.walk([&](func::CallOp call) {
      if (auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee()))
        callsOf[callee].push_back(call);
    });
    DominanceInfo dom(module);
    for (auto &[callee, calls] : callsOf) {
      // Only functions whose every use is one of these calls change type.
      auto uses = SymbolTable::getSymbolUses(callee, module);
      if (!callee.isPrivate() || callee.isExternal() || !uses ||
          llvm::any_of(*uses, [](const SymbolTable::SymbolUse &use) {
            return !isa<func::CallOp>(use.getUser());
          }))
        continue;
      moveResultsIntoDestinations(callee, calls, dom);
    }
  }
};

} // namespace
