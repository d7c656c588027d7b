//===- RowLoops.cpp - a row's loop on registers and vectors ---------------===//
//
// The innermost loop of a row, as linalg's loops leave it (the bounded
// rows of causal attention's softmax: sinter::loopsOf): its running sums
// carried in registers, then run on vectors. See RowLoops.h.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/RowLoops.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;

scf::ForOp sinter::carryAccumulators(scf::ForOp loop, RewriterBase &rewriter) {
  // The indices (affine.apply of the outer loops' indices) leave first.
  moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
  auto sameIndex = [](Value a, Value b) {
    if (a == b)
      return true;
    auto x = a.getDefiningOp<affine::AffineApplyOp>(),
         y = b.getDefiningOp<affine::AffineApplyOp>();
    return x && y && x.getAffineMap() == y.getAffineMap() &&
           x.getMapOperands() == y.getMapOperands();
  };
  while (true) {
    memref::LoadOp load;
    memref::StoreOp store;
    for (auto candidate : loop.getBody()->getOps<memref::StoreOp>()) {
      Value buffer = candidate.getMemRef();
      if (!llvm::all_of(candidate.getIndices(), [&](Value index) {
            return loop.isDefinedOutsideOfLoop(index);
          }))
        continue;
      SmallVector<Operation *> inLoop;
      for (Operation *user : buffer.getUsers())
        if (loop->isAncestor(user))
          inLoop.push_back(user);
      auto read = inLoop.size() == 2
                      ? dyn_cast<memref::LoadOp>(
                            inLoop[0] == candidate ? inLoop[1] : inLoop[0])
                      : nullptr;
      if (read && read->getBlock() == loop.getBody() &&
          llvm::all_of_zip(read.getIndices(), candidate.getIndices(),
                           sameIndex) &&
          read->isBeforeInBlock(candidate)) {
        load = read;
        store = candidate;
        break;
      }
    }
    if (!store)
      return loop;
    Location loc = store.getLoc();
    rewriter.setInsertionPoint(loop);
    Value init = rewriter.create<memref::LoadOp>(loc, store.getMemRef(),
                                                 store.getIndices());
    Value next = store.getValue();
    auto carried = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
        rewriter, init, /*replaceInitOperandUsesInLoop=*/false,
        [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
          return SmallVector<Value>{next};
        }));
    rewriter.replaceOp(load, carried.getRegionIterArgs().back());
    rewriter.setInsertionPointAfter(carried);
    rewriter.create<memref::StoreOp>(loc, carried.getResults().back(),
                                     store.getMemRef(), store.getIndices());
    rewriter.eraseOp(store);
    loop = carried;
  }
}

/// The vector combining kind of a reduction step `combine` (its result the
/// next value of the running one) and that kind's identity: -0.0 for a sum
/// (-0.0 + x is x, -0.0 too), -inf for a max, +inf for a min.
static std::optional<std::pair<vector::CombiningKind, TypedAttr>>
reductionOf(Operation *combine) {
  auto type = dyn_cast<FloatType>(combine->getResult(0).getType());
  if (!type)
    return std::nullopt;
  const llvm::fltSemantics &semantics = type.getFloatSemantics();
  auto with = [&](vector::CombiningKind kind, const APFloat &identity) {
    return std::make_pair(kind, TypedAttr(FloatAttr::get(type, identity)));
  };
  if (isa<arith::AddFOp>(combine))
    return with(vector::CombiningKind::ADD, APFloat::getZero(semantics, true));
  if (isa<arith::MaximumFOp>(combine))
    return with(vector::CombiningKind::MAXIMUMF,
                APFloat::getInf(semantics, true));
  if (isa<arith::MinimumFOp>(combine))
    return with(vector::CombiningKind::MINIMUMF,
                APFloat::getInf(semantics, false));
  return std::nullopt;
}

/// `predicate` comparing two indices, in signed order (the same for values
/// that are never negative), with its operands swapped if `swap`.
static arith::CmpIPredicate signedLaneOrder(arith::CmpIPredicate predicate,
                                            bool swap) {
  using P = arith::CmpIPredicate;
  switch (predicate) {
  case P::ult:
  case P::slt:
    return swap ? P::sgt : P::slt;
  case P::ule:
  case P::sle:
    return swap ? P::sge : P::sle;
  case P::ugt:
  case P::sgt:
    return swap ? P::slt : P::sgt;
  case P::uge:
  case P::sge:
    return swap ? P::sle : P::sge;
  default:
    return predicate; // eq, ne
  }
}

FailureOr<scf::ForOp> sinter::vectorizeRow(scf::ForOp loop, int64_t lanes,
                                           int64_t extent,
                                           RewriterBase &rewriter) {
  Value iv = loop.getInductionVar();
  if (!isConstantIntValue(loop.getLowerBound(), 0) ||
      !isConstantIntValue(loop.getStep(), 1) || extent % lanes != 0)
    return failure();
  // linalg's loops index through identity affine.apply ops: their operand.
  for (auto apply : llvm::make_early_inc_range(
           loop.getBody()->getOps<affine::AffineApplyOp>()))
    if (apply.getAffineMap().isIdentity())
      rewriter.replaceOp(apply, apply.getMapOperands().front());
  // The reductions: each iteration argument's one user combines it with
  // the iteration's term, and that is what the loop yields for it.
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  DenseMap<Operation *, unsigned> combines;
  for (auto [i, arg] : llvm::enumerate(loop.getRegionIterArgs())) {
    Operation *combine = yield.getOperand(i).getDefiningOp();
    if (!arg.hasOneUse() || !combine || *arg.getUsers().begin() != combine ||
        !combine->getResult(0).hasOneUse() || !reductionOf(combine))
      return failure();
    combines[combine] = i;
  }
  // The loop may read a buffer it stores to only where it stores (an
  // elementwise op in place): its lanes run side by side, not in turn.
  DenseMap<Value, memref::StoreOp> stores;
  for (auto store : loop.getBody()->getOps<memref::StoreOp>())
    if (!stores.try_emplace(store.getMemRef(), store).second)
      return failure();
  // Which values vary along the loop: the index and what depends on it.
  DenseSet<Value> varying = {iv};
  auto isVarying = [&](Value v) { return varying.contains(v); };
  auto contiguous = [&](Value memref, ValueRange indices) {
    auto type = cast<MemRefType>(memref.getType());
    return !indices.empty() && indices.back() == iv &&
           isLastMemrefDimUnitStride(type) &&
           llvm::none_of(indices.drop_back(), isVarying);
  };
  for (Operation &op : loop.getBody()->without_terminator()) {
    bool depends = llvm::any_of(op.getOperands(), isVarying);
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      auto store = stores.lookup(load.getMemRef());
      if ((depends && !contiguous(load.getMemRef(), load.getIndices())) ||
          (store && load.getIndices() != store.getIndices()))
        return failure();
    } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
      if (!contiguous(store.getMemRef(), store.getIndices()))
        return failure();
    } else if (combines.contains(&op)) {
    } else if (op.getNumRegions() != 0 ||
               (depends ? !OpTrait::hasElementwiseMappableTraits(&op)
                        : !isPure(&op))) {
      return failure();
    } else if (depends && llvm::any_of(op.getResultTypes(), [](Type t) {
                 return !t.isIntOrIndexOrFloat();
               })) {
      return failure();
    }
    if (depends || combines.contains(&op))
      varying.insert(op.getResults().begin(), op.getResults().end());
  }

  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  AffineExpr d0 = rewriter.getAffineDimExpr(0);
  Value bound = affine::makeComposedAffineApply(
      rewriter, loc, (d0 + lanes - 1).floorDiv(lanes) * lanes,
      {loop.getUpperBound()});
  SmallVector<Value> inits;
  for (auto [i, init] : llvm::enumerate(loop.getInitArgs())) {
    Operation *combine = yield.getOperand(i).getDefiningOp();
    inits.push_back(rewriter.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(VectorType::get({lanes}, init.getType()),
                                    reductionOf(combine)->second)));
  }
  auto vectorLoop = rewriter.create<scf::ForOp>(
      loc, loop.getLowerBound(), bound,
      rewriter.create<arith::ConstantIndexOp>(loc, lanes), inits);
  // Without iteration arguments the builder gave the body its yield.
  if (!vectorLoop.getBody()->empty())
    rewriter.eraseOp(vectorLoop.getBody()->getTerminator());
  rewriter.setInsertionPointToStart(vectorLoop.getBody());
  Value start = vectorLoop.getInductionVar();
  IRMapping map; // uniform values: the same scalar in the new loop
  DenseMap<Value, Value> vectors;
  map.map(iv, start);
  SmallVector<int64_t> steps = llvm::to_vector(llvm::seq<int64_t>(0, lanes));
  auto vectorOf = [&](Value v) -> Value {
    if (Value vector = vectors.lookup(v))
      return vector;
    Value splat = rewriter.create<vector::BroadcastOp>(
        loc, VectorType::get({lanes}, v.getType()), map.lookupOrDefault(v));
    if (v != iv)
      return splat;
    // The index itself (compareLanes covers comparisons): start + lane.
    return vectors[iv] = rewriter.create<arith::AddIOp>(
               loc, splat,
               rewriter.create<arith::ConstantOp>(
                   loc,
                   DenseElementsAttr::get(cast<VectorType>(splat.getType()),
                                          ArrayRef(steps))));
  };
  // Lane l is iteration start + l: comparing the index with v is comparing
  // l with v - start, clamped to [-1, lanes] (the same answer in every
  // lane) and narrowed to i32. As 64-bit indices the comparisons took two
  // registers a vector, and AVX2 has no unsigned compare of them.
  Value laneNumbers = rewriter.create<arith::ConstantOp>(
      loc,
      DenseElementsAttr::get(VectorType::get({lanes}, rewriter.getI32Type()),
                             ArrayRef(llvm::map_to_vector(steps, [](int64_t l) {
                               return int32_t(l);
                             }))));
  auto compareLanes = [&](arith::CmpIPredicate predicate, Value v) -> Value {
    auto constant = [&](int64_t c) {
      return rewriter.create<arith::ConstantIndexOp>(loc, c);
    };
    Value offset = rewriter.create<arith::MaxSIOp>(
        loc,
        rewriter.create<arith::MinSIOp>(
            loc,
            rewriter.create<arith::SubIOp>(loc, map.lookupOrDefault(v), start),
            constant(lanes)),
        constant(-1));
    Value narrow =
        rewriter.create<arith::IndexCastOp>(loc, rewriter.getI32Type(), offset);
    return rewriter.create<arith::CmpIOp>(
        loc, predicate, laneNumbers,
        rewriter.create<vector::BroadcastOp>(loc, laneNumbers.getType(),
                                             narrow));
  };
  // The lanes up to the row's end, for the reductions' terms.
  Value inRow = combines.empty() ? Value()
                                 : compareLanes(arith::CmpIPredicate::slt,
                                                loop.getUpperBound());
  auto indices = [&](ValueRange old) {
    return llvm::map_to_vector(old,
                               [&](Value v) { return map.lookupOrDefault(v); });
  };
  SmallVector<Value> accumulators(loop.getNumRegionIterArgs());
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (!llvm::any_of(op.getResults(), isVarying) &&
        !isa<memref::StoreOp>(op)) {
      rewriter.clone(op, map);
      continue;
    }
    Type vectorType = op.getNumResults()
                          ? VectorType::get({lanes}, op.getResultTypes()[0])
                          : Type();
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      vectors[load] = rewriter.create<vector::LoadOp>(
          loc, vectorType, load.getMemRef(), indices(load.getIndices()));
    } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
      rewriter.create<vector::StoreOp>(loc, vectorOf(store.getValue()),
                                       store.getMemRef(),
                                       indices(store.getIndices()));
    } else if (auto compare = dyn_cast<arith::CmpIOp>(op);
               compare &&
               (compare.getLhs() == iv) != (compare.getRhs() == iv) &&
               !isVarying(compare.getLhs() == iv ? compare.getRhs()
                                                 : compare.getLhs())) {
      // Indices are never negative: unsigned order is signed order.
      bool ivFirst = compare.getLhs() == iv;
      vectors[compare] = compareLanes(
          signedLaneOrder(compare.getPredicate(), /*swap=*/!ivFirst),
          ivFirst ? compare.getRhs() : compare.getLhs());
    } else if (auto found = combines.find(&op); found != combines.end()) {
      unsigned i = found->second;
      Value acc = vectorLoop.getRegionIterArgs()[i];
      Value term = op.getOperand(0) == loop.getRegionIterArgs()[i]
                       ? op.getOperand(1)
                       : op.getOperand(0);
      Value masked = rewriter.create<arith::SelectOp>(loc, inRow,
                                                      vectorOf(term), inits[i]);
      Operation *step = rewriter.clone(op);
      step->setOperands({acc, masked});
      step->getResult(0).setType(vectorType);
      accumulators[i] = step->getResult(0);
    } else {
      SmallVector<Value> operands =
          llvm::map_to_vector(op.getOperands(), vectorOf);
      Operation *vector = rewriter.create(
          loc, op.getName().getIdentifier(), operands,
          llvm::map_to_vector(
              op.getResultTypes(),
              [&](Type t) -> Type { return VectorType::get({lanes}, t); }),
          op.getAttrs());
      for (auto [old, result] :
           llvm::zip(op.getResults(), vector->getResults()))
        vectors[old] = result;
    }
  }
  rewriter.create<scf::YieldOp>(loc, accumulators);
  rewriter.setInsertionPointAfter(vectorLoop);
  for (auto [i, result] : llvm::enumerate(loop.getResults())) {
    Operation *combine = yield.getOperand(i).getDefiningOp();
    auto reduced = rewriter.create<vector::ReductionOp>(
        loc, reductionOf(combine)->first, vectorLoop.getResult(i),
        loop.getInitArgs()[i]);
    if (auto fastMath = dyn_cast<arith::ArithFastMathInterface>(combine))
      reduced.setFastmathAttr(fastMath.getFastMathFlagsAttr());
    rewriter.replaceAllUsesWith(result, reduced);
  }
  rewriter.eraseOp(loop);
  return vectorLoop;
}
