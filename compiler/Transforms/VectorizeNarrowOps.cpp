//===- VectorizeNarrowOps.cpp - one vector per innermost row --------------===//
//
// Expects: linalg generics on buffers (after bufferization; large ones
// reach here through sinter-parallelize-loops). Produces: for each generic
// whose innermost dimension is parallel, static and at most two vector
// registers wide (lenet's 6 or 16 channels), and which LLVM could not
// vectorize on its own (operands read through broadcasts, a pool's taps,
// sums over outer dimensions), loops over its other dimensions whose body
// reads each operand's innermost row as one vector (a scalar, broadcast,
// where the operand does not vary along it), applies the generic's body to
// whole vectors and writes one vector. A row narrower than a power of two
// is read and written masked (6 floats as one masked 8-lane operation).
// Sums over outer dimensions run inside the parallel loops in their order,
// the row of partial sums in a register: every result sums its terms in
// the order it did, so results are bit-identical.
//
// Why: LLVM vectorizes innermost loops only. A 6-trip loop stays scalar,
// and a 16-trip one is unrolled before the vectorizer sees it; the bias +
// ReLU, the pools' taps, the pool gradient's argmax and spread and the bias
// gradient over a few channels then cost a scalar load, op and store per
// element: a fifth of lenet's step. Generics whose operands all use the
// identity map on contiguous buffers are left to LLVM, which merges their
// loops into one long one and vectorizes that at full width.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/NarrowOps.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

namespace sinter {
#define GEN_PASS_DEF_VECTORIZENARROWOPS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;

namespace {

/// Whether the innermost dimensions of `type` are one contiguous run: LLVM
/// then sees one long innermost loop once the loops are merged.
bool trailingContiguous(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(getStridesAndOffset(type, strides, offset)) || strides.empty())
    return false;
  int64_t rank = type.getRank();
  if (strides.back() != 1)
    return false;
  return rank < 2 || (!type.isDynamicDim(rank - 1) &&
                      strides[rank - 2] == type.getDimSize(rank - 1));
}

/// `v` as a vector of `width` lanes: unchanged if it is one.
Value asVector(OpBuilder &b, Location loc, Value v, int64_t width) {
  if (isa<VectorType>(v.getType()))
    return v;
  return b.create<vector::BroadcastOp>(
      loc, VectorType::get({width}, v.getType()), v);
}

} // namespace

// The checks, in order: buffers, a parallel innermost dimension, static
// and at most two registers wide, maps of dimensions and constants with
// the innermost dimension last and at unit stride where it is used, a body
// of elementwise ops, and not already vectorizable by LLVM.
bool sinter::isNarrowOp(linalg::GenericOp op, int64_t lanes) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() < 2 ||
      op.getIteratorTypesArray().back() != utils::IteratorType::parallel)
    return false;
  int64_t inner = op.getNumLoops() - 1;
  int64_t width = op.getStaticLoopRanges().back();
  if (ShapedType::isDynamic(width) || width < 2 || width > 2 * lanes)
    return false;
  bool allIdentity = true;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.getElementType().isIntOrIndexOrFloat())
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    allIdentity &= map.isIdentity() && trailingContiguous(type);
    for (auto [i, result] : llvm::enumerate(map.getResults())) {
      if (isa<AffineConstantExpr>(result))
        continue;
      auto dim = dyn_cast<AffineDimExpr>(result);
      if (!dim)
        return false;
      if (dim.getPosition() != inner)
        continue;
      SmallVector<int64_t> strides;
      int64_t offset;
      if (i + 1 != map.getNumResults() ||
          failed(getStridesAndOffset(type, strides, offset)) ||
          strides.back() != 1)
        return false;
    }
  }
  // The output is written a row at a time: it must vary along the row.
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!out.isFunctionOfDim(inner))
    return false;
  if (allIdentity && op.getNumReductionLoops() == 0)
    return false;
  for (Operation &bodyOp : op.getBody()->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(bodyOp)) {
      if (int64_t(index.getDim()) == inner)
        return false;
      continue;
    }
    if (bodyOp.getNumRegions() != 0 ||
        !OpTrait::hasElementwiseMappableTraits(&bodyOp))
      return false;
  }
  return true;
}

SmallVector<scf::ForOp> sinter::lowerNarrowOpToLoops(RewriterBase &rewriter,
                                                     linalg::GenericOp op) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  int64_t inner = op.getNumLoops() - 1;
  int64_t channels = op.getStaticLoopRanges().back();
  // A whole register of lanes, the ones past the row masked off: 6 floats
  // in one masked ymm operation rather than an xmm and a pair.
  int64_t width = llvm::PowerOf2Ceil(channels);
  SmallVector<Range, 4> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rewriter, loc);
  // Loops: the parallel dimensions, then the reductions (each result sums
  // its terms in the order it did), the row's vector carried through them.
  SmallVector<int64_t> parallelDims, reductionDims;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (int64_t(d) != inner)
      (it == utils::IteratorType::parallel ? parallelDims : reductionDims)
          .push_back(d);
  auto bounds = [&](ArrayRef<int64_t> dims, SmallVector<Value> &lbs,
                    SmallVector<Value> &ubs, SmallVector<Value> &steps) {
    for (int64_t d : dims) {
      const Range &r = ranges[d];
      lbs.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, r.offset));
      ubs.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, r.size));
      steps.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, r.stride));
    }
  };
  Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
  Value mask;
  if (width != channels)
    mask = rewriter.create<vector::CreateMaskOp>(
        loc, VectorType::get({width}, rewriter.getI1Type()),
        ValueRange{rewriter.create<arith::ConstantIndexOp>(loc, channels)});
  SmallVector<Value> iv(op.getNumLoops(), zero); // the innermost stays 0
  auto indices = [&](OpBuilder &b, OpOperand &operand) {
    SmallVector<Value> idx;
    for (AffineExpr e : op.getMatchingIndexingMap(&operand).getResults()) {
      if (auto c = dyn_cast<AffineConstantExpr>(e))
        idx.push_back(b.create<arith::ConstantIndexOp>(loc, c.getValue()));
      else
        idx.push_back(iv[cast<AffineDimExpr>(e).getPosition()]);
    }
    return idx;
  };
  // An operand's row as a vector, or its value (a scalar, broadcast when
  // it meets a vector) where it does not vary along the row.
  auto read = [&](OpBuilder &b, OpOperand &operand) -> Value {
    if (!op.getMatchingIndexingMap(&operand).isFunctionOfDim(inner))
      return b.create<memref::LoadOp>(loc, operand.get(), indices(b, operand));
    Type element = getElementTypeOrSelf(operand.get().getType());
    auto type = VectorType::get({width}, element);
    Value pad = b.create<arith::ConstantOp>(loc, b.getZeroAttr(type));
    if (mask)
      return b.create<vector::MaskedLoadOp>(loc, type, operand.get(),
                                            indices(b, operand), mask, pad);
    return b.create<vector::LoadOp>(loc, type, operand.get(),
                                    indices(b, operand));
  };
  OpOperand *init = op.getDpsInitOperand(0);
  BlockArgument acc = op.getMatchingBlockArgument(init);
  // The body on whole rows, `accRow` standing for the output's value.
  auto row = [&](OpBuilder &b, Value accRow) {
    IRMapping values;
    for (OpOperand *input : op.getDpsInputOperands()) {
      BlockArgument arg = op.getMatchingBlockArgument(input);
      if (!arg.use_empty())
        values.map(arg, read(b, *input));
    }
    if (!acc.use_empty())
      values.map(acc, accRow ? accRow : read(b, *init));
    for (Operation &bodyOp : op.getBody()->without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(bodyOp)) {
        values.map(index.getResult(), iv[index.getDim()]);
        continue;
      }
      SmallVector<Value> operands =
          llvm::map_to_vector(bodyOp.getOperands(), [&](Value v) {
            return values.lookupOrDefault(v);
          });
      bool anyVector = llvm::any_of(
          operands, [](Value v) { return isa<VectorType>(v.getType()); });
      if (!anyVector) { // scalar work, e.g. on a tap's index
        values.map(bodyOp.getResults(), b.clone(bodyOp, values)->getResults());
        continue;
      }
      for (Value &v : operands)
        v = asVector(b, loc, v, width);
      OperationState state(loc, bodyOp.getName());
      state.addOperands(operands);
      state.addAttributes(bodyOp.getAttrs());
      for (Type t : bodyOp.getResultTypes())
        state.addTypes(VectorType::get({width}, t));
      values.map(bodyOp.getResults(), b.create(state)->getResults());
    }
    auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
    return asVector(b, loc, values.lookupOrDefault(yield.getOperand(0)), width);
  };
  auto write = [&](OpBuilder &b, Value value) {
    if (mask)
      b.create<vector::MaskedStoreOp>(loc, init->get(), indices(b, *init), mask,
                                      value);
    else
      b.create<vector::StoreOp>(loc, value, init->get(), indices(b, *init));
  };
  SmallVector<Value> lbs, ubs, steps, redLbs, redUbs, redSteps;
  bounds(parallelDims, lbs, ubs, steps);
  bounds(reductionDims, redLbs, redUbs, redSteps);
  SmallVector<scf::ForOp> loops;
  scf::LoopNest nest = scf::buildLoopNest(
      rewriter, loc, lbs, ubs, steps,
      [&](OpBuilder &b, Location loc, ValueRange ivs) {
        for (auto [d, v] : llvm::zip(parallelDims, ivs))
          iv[d] = v;
        if (reductionDims.empty())
          return write(b, row(b, nullptr));
        scf::LoopNest sums = scf::buildLoopNest(
            b, loc, redLbs, redUbs, redSteps, ValueRange{read(b, *init)},
            [&](OpBuilder &b, Location loc, ValueRange ivs,
                ValueRange sum) -> scf::ValueVector {
              for (auto [d, v] : llvm::zip(reductionDims, ivs))
                iv[d] = v;
              return {row(b, sum.front())};
            });
        write(b, sums.results.front());
        loops.append(sums.loops.begin(), sums.loops.end());
      });
  loops.insert(loops.begin(), nest.loops.begin(), nest.loops.end());
  rewriter.eraseOp(op);
  return loops;
}

namespace {

struct VectorizeNarrowOpsPass
    : public sinter::impl::VectorizeNarrowOpsBase<VectorizeNarrowOpsPass> {
  using VectorizeNarrowOpsBase::VectorizeNarrowOpsBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> narrow;
    getOperation().walk([&](linalg::GenericOp op) {
      if (sinter::isNarrowOp(op, lanes))
        narrow.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : narrow)
      sinter::lowerNarrowOpToLoops(rewriter, op);
  }
};

} // namespace
