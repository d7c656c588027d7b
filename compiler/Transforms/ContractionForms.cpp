//===- ContractionForms.cpp - contractions in the form tiles take ---------===//
//
// See ContractionForms.h.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/ContractionForms.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace sinter;

/// Whether `op` copies a static 2-D f32 buffer into its transpose (what
/// LowerToLinalg makes of an operand a tile would read along columns).
bool sinter::isTransposingCopy(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 2 ||
      op.getNumReductionLoops() != 0 || op.hasDynamicShape())
    return false;
  MLIRContext *ctx = op.getContext();
  AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx);
  auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
  return op.getIndexingMapsArray() ==
             SmallVector<AffineMap>{AffineMap::get(2, 0, {j, i}, ctx),
                                    AffineMap::get(2, 0, {i, j}, ctx)} &&
         yield.getValues().size() == 1 &&
         yield.getValues()[0] == op.getBody()->getArgument(0) &&
         getElementTypeOrSelf(op.getDpsInitOperand(0)->get().getType()).isF32();
}

/// `op` with its summed loops merged into one, so that a register tile is
/// a contraction over a single index (vector.contract lowers to FMAs only
/// then): dW = Σ_b Σ_t x[b,t,m]·dy[b,t,n] sums over bt. The sum runs in the
/// same order. Nothing when there is one summed loop, or when the summed
/// loops are not adjacent and contiguous in every operand (the op is then
/// left to plain loops).
std::optional<linalg::GenericOp> sinter::withOneSum(linalg::GenericOp op,
                                                    RewriterBase &rewriter) {
  ReassociationIndices sums;
  for (auto [d, iter] : llvm::enumerate(op.getIteratorTypesArray()))
    if (iter == utils::IteratorType::reduction)
      sums.push_back(d);
  if (sums.size() == 1)
    return op;
  if (sums.empty() || sums.back() - sums.front() + 1 != int64_t(sums.size()) ||
      !linalg::areDimSequencesPreserved(op.getIndexingMapsArray(), {sums}))
    return std::nullopt;
  for (Value operand : op->getOperands())
    if (!cast<MemRefType>(operand.getType()).getLayout().isIdentity())
      return std::nullopt;
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::CollapseResult> merged =
      linalg::collapseOpIterationDims(op, {sums}, rewriter);
  if (failed(merged))
    return std::nullopt;
  rewriter.eraseOp(op);
  // Merged loops are renumbered: a skip fact is dropped.
  merged->collapsedOp->removeAttr(kSkipAboveAttr);
  return cast<linalg::GenericOp>(merged->collapsedOp.getOperation());
}

/// Makes the product in `op`'s body read rows · columns: the operand that
/// has the result's column loop second. vector.contract takes its operands
/// in the product's order and lowers only rows · columns to FMAs along the
/// columns (the other order transposes the accumulator every step).
/// Products commute exactly: the result is unchanged.
void sinter::rowsFirst(linalg::GenericOp op, RewriterBase &rewriter) {
  AffineExpr col =
      op.getMatchingIndexingMap(op.getDpsInitOperand(0)).getResults().back();
  auto hasColumns = [&](Value factor) {
    auto arg = dyn_cast<BlockArgument>(factor);
    return arg && arg.getOwner() == op.getBody() &&
           arg.getArgNumber() < op.getNumDpsInputs() &&
           llvm::is_contained(op.getMatchingIndexingMap(
                                    op.getDpsInputOperand(arg.getArgNumber()))
                                  .getResults(),
                              col);
  };
  op.getBody()->walk([&](arith::MulFOp product) {
    if (hasColumns(product.getLhs()) && !hasColumns(product.getRhs()))
      rewriter.modifyOpInPlace(product, [&] {
        product->setOperands({product.getRhs(), product.getLhs()});
      });
  });
}

/// `op` with its two inputs swapped when the first reads the result's
/// column loop and the second does not (a weight gradient as the backward
/// makes it, dW[m, n] += dY[k, n] * x[k, m]): packRows and packPanel take
/// the rows' operand first. The product in the body keeps its order.
linalg::GenericOp sinter::inputsRowsFirst(linalg::GenericOp op,
                                          RewriterBase &rewriter) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return op;
  AffineExpr col =
      op.getMatchingIndexingMap(op.getDpsInitOperand(0)).getResults().back();
  auto readsColumns = [&](unsigned input) {
    return llvm::is_contained(
        op.getMatchingIndexingMap(op.getDpsInputOperand(input)).getResults(),
        col);
  };
  if (!readsColumns(0) || readsColumns(1))
    return op;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  std::swap(maps[0], maps[1]);
  Block *body = op.getBody();
  rewriter.setInsertionPoint(op);
  auto swapped = rewriter.create<linalg::GenericOp>(
      op.getLoc(), op->getResultTypes(),
      ValueRange{op.getDpsInputs()[1], op.getDpsInputs()[0]}, op.getDpsInits(),
      maps, op.getIteratorTypesArray(),
      [&](OpBuilder &b, Location, ValueRange args) {
        IRMapping map;
        map.map(body->getArgument(0), args[1]);
        map.map(body->getArgument(1), args[0]);
        map.map(body->getArgument(2), args[2]);
        for (Operation &inner : *body)
          b.clone(inner, map);
      });
  swapped->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  rewriter.replaceOp(op, swapped->getResults());
  return swapped;
}

/// The loop and the step of a map result `d * k` (k > 1) that reads a
/// dimension of `size` within it over the loop's static range: a window
/// tile's rows read at a convolution's stride (`j * 2 + b` once its tap
/// loop is dropped).
static std::optional<std::pair<unsigned, int64_t>>
stepOf(AffineExpr e, ArrayRef<int64_t> ranges, int64_t size) {
  auto mul = dyn_cast<AffineBinaryOpExpr>(e);
  if (!mul || mul.getKind() != AffineExprKind::Mul)
    return std::nullopt;
  auto dim = dyn_cast<AffineDimExpr>(mul.getLHS());
  auto k = dyn_cast<AffineConstantExpr>(mul.getRHS());
  if (!dim || !k || k.getValue() < 2 ||
      ShapedType::isDynamic(ranges[dim.getPosition()]) ||
      (ranges[dim.getPosition()] - 1) * k.getValue() >= size)
    return std::nullopt;
  return std::make_pair(dim.getPosition(), k.getValue());
}

/// `op` reading each operand through a rank-reducing subview without the
/// dimensions its maps index at constant 0 (what linalg::dropUnitDims
/// leaves of a buffer's unit dimensions), and with a dimension read at a
/// step (`d * 2`) as a strided one (`d`): maps of plain loops, which the
/// vectorizer takes. A strided convolution's channels-last tile then
/// broadcasts its rows' values from every other position. `op` itself when an
/// operand is not static or a dimension indexed at a constant is not of size 1
/// (an SSE filter gradient's tile once crashed the compiler here).
linalg::GenericOp sinter::withoutUnitOperandDims(linalg::GenericOp op,
                                                 RewriterBase &rewriter) {
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = cast<MemRefType>(operand.get().getType());
    if (!type.hasStaticShape())
      return op;
    for (auto [r, e] :
         llvm::enumerate(op.getMatchingIndexingMap(&operand).getResults()))
      if (isa<AffineConstantExpr>(e) && type.getDimSize(r) != 1)
        return op;
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  rewriter.setInsertionPoint(op);
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    auto type = cast<MemRefType>(operand.get().getType());
    SmallVector<AffineExpr> kept;
    SmallVector<int64_t> shape;
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (auto [r, e] : llvm::enumerate(map.getResults())) {
      offsets.push_back(rewriter.getIndexAttr(0));
      if (auto step = stepOf(e, ranges, type.getDimSize(r))) {
        strides.push_back(rewriter.getIndexAttr(step->second));
        sizes.push_back(rewriter.getIndexAttr(ranges[step->first]));
        kept.push_back(getAffineDimExpr(step->first, op.getContext()));
        shape.push_back(ranges[step->first]);
        continue;
      }
      strides.push_back(rewriter.getIndexAttr(1));
      sizes.push_back(rewriter.getIndexAttr(type.getDimSize(r)));
      if (isa<AffineConstantExpr>(e))
        continue;
      kept.push_back(e);
      shape.push_back(type.getDimSize(r));
    }
    auto reduced =
        cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
            shape, type, offsets, sizes, strides));
    operands.push_back(rewriter.create<memref::SubViewOp>(
        op.getLoc(), reduced, operand.get(), offsets, sizes, strides));
    maps.push_back(AffineMap::get(map.getNumDims(), 0, kept, op.getContext()));
  }
  auto reduced = rewriter.create<linalg::GenericOp>(
      op.getLoc(), TypeRange{},
      ValueRange(operands).take_front(op.getNumDpsInputs()),
      ValueRange(operands).drop_front(op.getNumDpsInputs()), maps,
      op.getIteratorTypesArray());
  rewriter.inlineRegionBefore(op.getRegion(), reduced.getRegion(),
                              reduced.getRegion().begin());
  rewriter.eraseOp(op);
  return reduced;
}

/// A window tile of static loops whose input is a view of dynamic size, or
/// of a static size beyond what its map reaches, reads it through a view
/// of the static extent its map reaches. A peeled edge tile of a
/// convolution's columns had its input view sized for the whole tile and
/// clamped at the input's end (12 - kw columns where the edge of 8 reads
/// 8): dynamic, so the tile stayed scalar (lenet-caffe's first
/// convolution: its edge of 8 of 24 columns was 1.4 ms of a 6.6 ms step).
/// Or static: an AVX2 tile of 6 columns whose edge of 2 read a view of 6
/// (a 5x5 convolution into 41 channels on 14x14 images); once its taps had
/// gone, the one-channel edge's map was the identity on views of 2 x 6
/// and 2 x 2, an op the verifier rejects and whose loops would run over
/// the input's 6.
void sinter::staticWindowInputs(linalg::GenericOp op, RewriterBase &rewriter) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ShapedType::isDynamicShape(ranges))
    return;
  SmallVector<std::optional<int64_t>> first(ranges.size(), 0), last;
  for (int64_t range : ranges)
    last.push_back(range - 1);
  rewriter.setInsertionPoint(op);
  for (OpOperand *operand : op.getDpsInputOperands()) {
    auto type = dyn_cast<MemRefType>(operand->get().getType());
    if (!type)
      continue;
    AffineMap map = op.getMatchingIndexingMap(operand);
    if (map.getNumSymbols() != 0)
      return;
    SmallVector<OpFoldResult> offsets, sizes, strides;
    bool beyond = !type.hasStaticShape();
    for (auto [r, e] : llvm::enumerate(map.getResults())) {
      std::optional<int64_t> largest = getBoundForAffineExpr(
          e, map.getNumDims(), map.getNumSymbols(), first, last,
          /*isUpper=*/true);
      if (!largest)
        return;
      beyond |= *largest + 1 < type.getDimSize(r);
      offsets.push_back(rewriter.getIndexAttr(0));
      strides.push_back(rewriter.getIndexAttr(1));
      sizes.push_back(rewriter.getIndexAttr(*largest + 1));
    }
    if (beyond)
      operand->set(rewriter.create<memref::SubViewOp>(
          op.getLoc(), operand->get(), offsets, sizes, strides));
  }
}
