//===- OutlineLoopNests.cpp - each large loop nest its own function -------===//
//
// Expects: bufferized func.funcs whose loops are scf loops (after linalg and
// vector transfers are lowered to loops, before SCF and OpenMP lowering).
// Produces: every op at a function's top level that holds regions and at
// least `min-ops` ops moves into a new private function
// `@<function>_nest<i>` (noinline, internal linkage) and is replaced by a
// call; the values it uses from above become arguments, except constants,
// which are cloned into the callee so that its loops keep their static
// bounds, and windows of a buffer at constant offsets (a layer's weights
// in the parameters), which are passed with the offset dynamic so that
// repeated blocks' nests are one function. Results of the op become the
// callee's results.
//
// Why: LLVM's optimization and code generation cost grows faster than a
// function's size, and sinterc compiles a module's functions on all cores
// by whole functions. gpt-mini's training pass was one function of 18000
// instructions outside its parallel regions; it alone took one core most
// of the compile. Outlined, its nests spread over the cores, and nests
// that repeat (the blocks of a network, the forward pass in training and
// inference) are merged by LLVM's MergeFunctions before being compiled
// once. Results do not change: the same ops run in the same order.
// See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace sinter {
#define GEN_PASS_DEF_OUTLINELOOPNESTS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

int64_t nestedOpCount(Operation *op) {
  int64_t count = 0;
  op->walk([&](Operation *) { ++count; });
  return count;
}

/// `type` with its static offset made dynamic, when it is a strided memref
/// with a static offset; else null.
MemRefType withDynamicOffset(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  auto layout =
      memref ? dyn_cast<StridedLayoutAttr>(memref.getLayout()) : nullptr;
  if (!layout || ShapedType::isDynamic(layout.getOffset()))
    return nullptr;
  return MemRefType::get(memref.getShape(), memref.getElementType(),
                         StridedLayoutAttr::get(type.getContext(),
                                                ShapedType::kDynamic,
                                                layout.getStrides()),
                         memref.getMemorySpace());
}

/// The type of the view `user` (subview, collapse_shape, expand_shape)
/// makes of a memref of `type`, whose offset is dynamic; null when `user`
/// is not such a view or its result cannot take that.
MemRefType viewType(Operation *user, MemRefType type) {
  if (auto subview = dyn_cast<memref::SubViewOp>(user))
    return dyn_cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
        subview.getType().getShape(), type, subview.getMixedOffsets(),
        subview.getMixedSizes(), subview.getMixedStrides()));
  if (auto collapse = dyn_cast<memref::CollapseShapeOp>(user))
    return memref::CollapseShapeOp::computeCollapsedType(
        type, collapse.getReassociationIndices());
  if (auto expand = dyn_cast<memref::ExpandShapeOp>(user)) {
    FailureOr<MemRefType> expanded = memref::ExpandShapeOp::computeExpandedType(
        type, expand.getType().getShape(), expand.getReassociationIndices());
    return succeeded(expanded) ? *expanded : nullptr;
  }
  return nullptr;
}

/// Whether every use of the memref `v` still verifies with its type
/// `type` (offset dynamic): uses whose results do not carry the layout
/// (loads, stores, vector transfers), and views whose own uses do.
bool offsetMayBeDynamic(Value v, MemRefType type) {
  return llvm::all_of(v.getUsers(), [&](Operation *user) {
    if (MemRefType view = viewType(user, type))
      return offsetMayBeDynamic(user->getResult(0), view);
    return isa<memref::LoadOp, memref::StoreOp, memref::DimOp, vector::LoadOp,
               vector::StoreOp, vector::MaskedLoadOp, vector::MaskedStoreOp,
               vector::TransferReadOp, vector::TransferWriteOp>(user);
  });
}

/// Gives the memref `v` the type `type` (its offset made dynamic) and the
/// views made of it the types that follow (offsetMayBeDynamic holds).
void setOffsetDynamic(Value v, MemRefType type) {
  v.setType(type);
  for (Operation *user : v.getUsers())
    if (MemRefType view = viewType(user, type))
      setOffsetDynamic(user->getResult(0), view);
}

/// Moves `op` (at the top level of `caller`) into a new private function
/// placed after `last` (which becomes it) and named in `symbols`, and calls
/// it in its place.
void outline(Operation *op, func::FuncOp caller, Operation *&last,
             SymbolTable &symbols) {
  SetVector<Value> used(op->getOperands().begin(), op->getOperands().end());
  getUsedValuesDefinedAbove(op->getRegions(), used);
  SmallVector<Value> arguments;
  SmallVector<Operation *> constants;
  for (Value v : used) {
    Operation *def = v.getDefiningOp();
    if (def && def->hasTrait<OpTrait::ConstantLike>())
      constants.push_back(def);
    else
      arguments.push_back(v);
  }

  OpBuilder b(caller.getContext());
  b.setInsertionPointAfter(last);
  auto type =
      b.getFunctionType(ValueRange(arguments).getTypes(), op->getResultTypes());
  auto callee = b.create<func::FuncOp>(
      op->getLoc(), (caller.getSymName() + "_nest").str(), type);
  callee.setPrivate();
  // Kept a function of its own: LLVM's inliner would fold a callee with
  // one call site back into its caller.
  callee->setAttr("passthrough", b.getStrArrayAttr({"noinline"}));
  callee->setAttr("llvm.linkage", LLVM::LinkageAttr::get(
                                      b.getContext(), LLVM::Linkage::Internal));
  symbols.insert(callee); // renamed if the name is taken
  last = callee;

  Block *body = callee.addEntryBlock();
  IRMapping map;
  map.map(arguments, body->getArguments());
  b.setInsertionPointToStart(body);
  for (Operation *c : constants)
    b.clone(*c, map);
  Operation *moved = b.clone(*op, map);
  b.create<func::ReturnOp>(op->getLoc(), moved->getResults());

  // Windows of one buffer at constant offsets (each block's weights in
  // the parameters) are passed with the offset in the descriptor, not in
  // the type: the nests of repeated blocks are then the same function,
  // which LLVM merges and compiles once (gpt-mini's four blocks).
  b.setInsertionPoint(op);
  for (auto [i, argument] : llvm::enumerate(arguments)) {
    MemRefType dynamic = withDynamicOffset(argument.getType());
    if (!dynamic || !offsetMayBeDynamic(body->getArgument(i), dynamic))
      continue;
    setOffsetDynamic(body->getArgument(i), dynamic);
    argument = b.create<memref::CastOp>(op->getLoc(), dynamic, argument);
  }
  callee.setFunctionType(
      b.getFunctionType(body->getArgumentTypes(), op->getResultTypes()));
  auto call = b.create<func::CallOp>(op->getLoc(), callee, arguments);
  op->replaceAllUsesWith(call.getResults());
  op->erase();
}

struct OutlineLoopNestsPass
    : public sinter::impl::OutlineLoopNestsBase<OutlineLoopNestsPass> {
  using OutlineLoopNestsBase::OutlineLoopNestsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    // Only the functions there were: the new ones hold one nest each.
    for (func::FuncOp func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal())
        continue;
      Operation *last = func;
      for (Operation &op : llvm::make_early_inc_range(func.getBody().front()))
        if (op.getNumRegions() > 0 && nestedOpCount(&op) >= minOps)
          outline(&op, func, last, symbols);
    }
  }
};

} // namespace
