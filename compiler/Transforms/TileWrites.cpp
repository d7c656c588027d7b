//===- TileWrites.cpp - where a register-tiled nest writes its result -----===//
//
// See TileWrites.h.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/TileWrites.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;
using namespace sinter;

/// The buffer `view` is a unit-stride window of, through subviews (defined
/// inside `nest`) and casts, with the windows' offsets added to `offsets`
/// when a builder is given (else `offsets` is left alone and the windows'
/// offset values are appended to `moving`); null for another op, a stride,
/// or a window defined outside `nest` (the tiled op must have written the
/// whole buffer).
static Value rootOf(Value view, Operation *nest,
                    SmallVector<OpFoldResult> &offsets,
                    SmallVector<Value> *moving, OpBuilder *b, Location loc) {
  while (Operation *def = view.getDefiningOp()) {
    if (auto cast = dyn_cast<memref::CastOp>(def)) {
      view = cast.getSource();
      continue;
    }
    auto sub = dyn_cast<memref::SubViewOp>(def);
    if (!sub)
      break;
    if (!nest->isAncestor(sub) ||
        !llvm::all_of(
            sub.getMixedStrides(),
            [](OpFoldResult s) { return isConstantIntValue(s, 1); }) ||
        sub.getSourceType().getRank() != sub.getType().getRank())
      return {};
    for (auto [offset, add] : llvm::zip(offsets, sub.getMixedOffsets())) {
      if (isConstantIntValue(add, 0))
        continue;
      if (auto value = dyn_cast<Value>(add); value && moving)
        moving->push_back(value);
      if (b)
        offset = b->createOrFold<arith::AddIOp>(
            loc, getValueOrCreateConstantIndexOp(*b, loc, offset),
            getValueOrCreateConstantIndexOp(*b, loc, add));
    }
    view = sub.getSource();
  }
  return view;
}

/// A vector write's region has size 1 along the leading dimensions its
/// vector lacks; a linalg op's is its whole output window.
std::optional<TileRegion> sinter::regionOf(Operation *write, Value root,
                                           Operation *nest, OpBuilder &b,
                                           SmallVector<Value> *moving) {
  Location loc = write->getLoc();
  TileRegion region;
  Value view;
  if (auto vec = dyn_cast<vector::TransferWriteOp>(write)) {
    if (!vec.getPermutationMap().isMinorIdentity() || vec.hasOutOfBoundsDim() ||
        vec.getMask())
      return std::nullopt;
    view = vec.getSource();
    auto type = cast<MemRefType>(view.getType());
    ArrayRef<int64_t> shape = vec.getVectorType().getShape();
    int64_t lead = type.getRank() - int64_t(shape.size());
    for (auto [d, index] : llvm::enumerate(vec.getIndices())) {
      region.offsets.push_back(index);
      region.sizes.push_back(
          b.getIndexAttr(int64_t(d) < lead ? 1 : shape[d - lead]));
      if (moving)
        moving->push_back(index);
    }
  } else if (auto op = dyn_cast<linalg::LinalgOp>(write)) {
    if (op.getNumDpsInits() != 1)
      return std::nullopt;
    view = op.getDpsInits().front();
    auto type = cast<MemRefType>(view.getType());
    for (int64_t d = 0; d < type.getRank(); ++d) {
      region.offsets.push_back(b.getIndexAttr(0));
      if (!moving)
        region.sizes.push_back(memref::getMixedSize(b, loc, view, d));
      else if (!type.isDynamicDim(d))
        region.sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
      else {
        region.sizes.push_back(b.getIndexAttr(0));
        region.knownSizes = false;
      }
    }
  } else {
    return std::nullopt;
  }
  if (rootOf(view, nest, region.offsets, moving, moving ? nullptr : &b, loc) !=
      root)
    return std::nullopt;
  return region;
}

/// Whether `value` depends on `iv` through index arithmetic.
static bool dependsOn(Value value, Value iv) {
  if (value == iv)
    return true;
  SetVector<Operation *> slice;
  BackwardSliceOptions options;
  options.inclusive = true;
  options.omitBlockArguments = true;
  getBackwardSlice(value, &slice, options);
  return llvm::any_of(slice, [&](Operation *op) {
    return llvm::is_contained(op->getOperands(), iv);
  });
}

/// Whether `op` (or an op nested in it) writes into a view of `root`
/// other than at constant offsets clear of `region` (a tile beside it).
static bool writesInto(Operation *op, Value root, const TileRegion &region,
                       Operation *nest);

/// Whether `write` runs in one iteration of `loop` at most: it sits in the
/// else branch of an `scf.if (iv < (ub floordiv step) * step)` inside the
/// loop from 0 (the partial row tile sinter-tile-contractions runs as the
/// last iteration of a row loop).
static bool inLastIterationOnly(Operation *write, scf::ForOp loop) {
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!step || !isConstantIntValue(loop.getLowerBound(), 0))
    return false;
  for (Operation *op = write->getParentOp(); op != loop;
       op = op->getParentOp()) {
    auto branch = dyn_cast<scf::IfOp>(op);
    if (!branch || !branch.getElseRegion().isAncestor(write->getParentRegion()))
      continue;
    auto cmp = branch.getCondition().getDefiningOp<arith::CmpIOp>();
    if (!cmp || cmp.getPredicate() != arith::CmpIPredicate::slt ||
        cmp.getLhs() != loop.getInductionVar())
      continue;
    auto whole = cmp.getRhs().getDefiningOp<affine::AffineApplyOp>();
    if (!whole || whole.getMapOperands().size() != 1 ||
        whole.getMapOperands().front() != loop.getUpperBound())
      continue;
    AffineExpr s0 = getAffineSymbolExpr(0, loop.getContext());
    AffineMap rounded = AffineMap::get(0, 1, s0.floorDiv(*step) * *step);
    if (whole.getAffineMap() == rounded)
      return true;
  }
  return false;
}

/// Whether no later write inside `nest` writes the region of `write`
/// again: no op after it in its block writes there, and every `scf.for`
/// between it and `nest` (both included) moves the region with its indices
/// (a sum's loop would not). An `scf.parallel`'s iterations write disjoint
/// elements by its semantics (a partial row tile is its last iteration's,
/// at offsets that do not depend on its index).
bool sinter::isFinalWrite(Operation *write, Value root,
                          const TileRegion &region, ArrayRef<Value> moving,
                          Operation *nest) {
  for (Operation *after = write->getNextNode(); after;
       after = after->getNextNode())
    if (writesInto(after, root, region, nest))
      return false;
  for (Operation *op = write->getParentOp(); op;
       op = op == nest ? nullptr : op->getParentOp()) {
    if (isa<scf::IfOp, scf::ParallelOp>(op))
      continue;
    auto loop = dyn_cast<scf::ForOp>(op);
    if (!loop || (llvm::none_of(moving,
                                [&](Value index) {
                                  return dependsOn(index,
                                                   loop.getInductionVar());
                                }) &&
                  !inLastIterationOnly(write, loop)))
      return false;
  }
  return true;
}

/// The buffer a memref value is a view of (through views of any kind).
Value sinter::bufferOf(Value view) {
  while (Operation *def = view.getDefiningOp()) {
    auto viewLike = dyn_cast<ViewLikeOpInterface>(def);
    if (!viewLike)
      break;
    view = viewLike.getViewSource();
  }
  return view;
}

/// The buffers `op` writes into: a vector write's, a store's, a linalg
/// op's outputs; nullopt for a write of another kind.
std::optional<SmallVector<Value>> sinter::buffersWrittenBy(Operation *op) {
  if (auto vec = dyn_cast<vector::TransferWriteOp>(op))
    return SmallVector<Value>{vec.getSource()};
  if (auto store = dyn_cast<memref::StoreOp>(op))
    return SmallVector<Value>{store.getMemRef()};
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return SmallVector<Value>(linalgOp.getDpsInits());
  return std::nullopt;
}

/// Whether `op` itself may write memory (its nested ops aside).
bool sinter::mayWrite(Operation *op) {
  if (auto effects = dyn_cast<MemoryEffectOpInterface>(op))
    return effects.hasEffect<MemoryEffects::Write>();
  return !op->hasTrait<OpTrait::HasRecursiveMemoryEffects>();
}

/// Whether two regions provably do not overlap: along some dimension both
/// offsets and sizes are constants and the ranges are apart.
static bool disjoint(const TileRegion &a, const TileRegion &b) {
  if (!a.knownSizes || !b.knownSizes)
    return false;
  for (unsigned d = 0; d < a.offsets.size(); ++d) {
    std::optional<int64_t> ao = getConstantIntValue(a.offsets[d]),
                           as = getConstantIntValue(a.sizes[d]),
                           bo = getConstantIntValue(b.offsets[d]),
                           bs = getConstantIntValue(b.sizes[d]);
    if (ao && as && bo && bs && (*ao + *as <= *bo || *bo + *bs <= *ao))
      return true;
  }
  return false;
}

static bool writesInto(Operation *op, Value root, const TileRegion &region,
                       Operation *nest) {
  WalkResult walk = op->walk([&](Operation *inner) {
    if (!mayWrite(inner))
      return WalkResult::advance();
    std::optional<SmallVector<Value>> dests = buffersWrittenBy(inner);
    if (!dests)
      return WalkResult::interrupt();
    for (Value dest : *dests) {
      if (bufferOf(dest) != root)
        continue;
      // Beside the tile (the 2 columns after a tile of 8)?
      OpBuilder b(inner->getContext());
      SmallVector<Value> moving;
      std::optional<TileRegion> other = regionOf(inner, root, nest, b, &moving);
      if (!other || !disjoint(region, *other))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return walk.wasInterrupted();
}
