//===- LowerSequenceOps.cpp - embedding and causal masking to linalg ------===//
//
// Part of sinter-lower-to-linalg. The embedding lookup is a map whose body
// reads the table with tensor.extract; its gradient is a scatter-add, so it
// is an scf.for over the tokens in row-major order that updates one table
// row per token through extract_slice / insert_slice on the loop-carried
// table (bufferized in place). The causal mask is a map comparing
// linalg.index of the last two dimensions.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/LinalgEmitter.h"
#include "dialects/Sinter/IR/SinterDialect.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace sinter;
using namespace sinter::lowering;

namespace {

/// The table row of the f32 token id `id`, clamped to [0, rows - 1].
Value rowIndex(OpBuilder &b, Location l, Value id, int64_t rows) {
  Value i = b.create<arith::FPToSIOp>(l, b.getI64Type(), id);
  Value lo = b.create<arith::ConstantOp>(l, b.getI64IntegerAttr(0));
  Value hi = b.create<arith::ConstantOp>(l, b.getI64IntegerAttr(rows - 1));
  i = b.create<arith::MinSIOp>(l, b.create<arith::MaxSIOp>(l, i, lo), hi);
  return b.create<arith::IndexCastOp>(l, b.getIndexType(), i);
}

SmallVector<Value> lower(EmbeddingOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  auto table = op.getTable();
  int64_t rows = table.getType().getDimSize(0);
  int64_t r = op.getType().getRank();
  SmallVector<OpFoldResult> sizes = e.sizes(op.getIds());
  sizes.push_back(b.getIndexAttr(table.getType().getDimSize(1)));
  Value init = b.create<tensor::EmptyOp>(op.getLoc(), sizes, b.getF32Type());
  return {e.generic(op.getIds(), e.dropLast(r), init, e.id(r), e.parallel(r),
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      Value row = rowIndex(nb, l, a[0], rows);
                      Value col = nb.create<linalg::IndexOp>(l, r - 1);
                      return nb.create<tensor::ExtractOp>(
                          l, table, ValueRange{row, col});
                    })};
}

SmallVector<Value> lower(EmbeddingGradOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Location loc = op.getLoc();
  auto tableType = op.getType();
  int64_t rows = tableType.getDimSize(0), dim = tableType.getDimSize(1);
  // Tokens flattened: ids [n], cotangent rows [n, dim].
  int64_t idsRank = op.getIds().getType().getRank();
  SmallVector<ReassociationIndices> all = {
      llvm::to_vector(llvm::seq<int64_t>(0, idsRank))};
  SmallVector<ReassociationIndices> rowsOf = {
      llvm::to_vector(llvm::seq<int64_t>(0, idsRank)), {idsRank}};
  Value ids = b.create<tensor::CollapseShapeOp>(loc, op.getIds(), all);
  Value g = b.create<tensor::CollapseShapeOp>(loc, op.getGrad(), rowsOf);
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  Value n = b.create<tensor::DimOp>(loc, ids, 0);
  Value table = e.filled({b.getIndexAttr(rows), b.getIndexAttr(dim)}, 0.0);
  auto loop = b.create<scf::ForOp>(
      loc, zero, n, one, ValueRange{table},
      [&](OpBuilder &lb, Location l, Value i, ValueRange carried) {
        Value id = lb.create<tensor::ExtractOp>(l, ids, i);
        Value row = rowIndex(lb, l, id, rows);
        SmallVector<OpFoldResult> size = {lb.getIndexAttr(1),
                                          lb.getIndexAttr(dim)};
        SmallVector<OpFoldResult> unit = {lb.getIndexAttr(1),
                                          lb.getIndexAttr(1)};
        auto rowType = RankedTensorType::get({dim}, lb.getF32Type());
        Value gRow = lb.create<tensor::ExtractSliceOp>(
            l, rowType, g, ArrayRef<OpFoldResult>{i, lb.getIndexAttr(0)},
            size, unit);
        Value tRow = lb.create<tensor::ExtractSliceOp>(
            l, rowType, carried[0],
            ArrayRef<OpFoldResult>{row, lb.getIndexAttr(0)}, size, unit);
        Emitter le(lb, l);
        Value sum = le.generic(gRow, le.id(1), tRow, le.id(1), le.parallel(1),
                               [](OpBuilder &nb, Location bl, ValueRange a) {
                                 return Ar{nb, bl}.add(a[1], a[0]);
                               });
        Value updated = lb.create<tensor::InsertSliceOp>(
            l, sum, carried[0], ArrayRef<OpFoldResult>{row, lb.getIndexAttr(0)},
            size, unit);
        lb.create<scf::YieldOp>(l, updated);
      });
  return {loop.getResult(0)};
}

SmallVector<Value> lower(CausalMaskOp op, OpBuilder &b) {
  int64_t r = op.getType().getRank();
  double value = op.getValue().convertToDouble();
  return {Emitter(b, op.getLoc())
              .map(op.getInput(), op.getInput(),
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     return Ar{nb, l}.pastQuery(r, value, a[0]);
                   })};
}

/// Whether `v` is zero wherever its last dimension's index exceeds the one
/// before it: the mask's gradient (value 0), the softmax of a causal mask
/// of -inf (exp(-inf) is 0), and the softmax gradient, dropout mask of
/// such (they multiply it).
bool zeroAboveDiagonal(Value v) {
  Operation *def = v.getDefiningOp();
  if (auto mask = dyn_cast_or_null<CausalMaskOp>(def))
    return mask.getValue().isZero();
  if (auto softmax = dyn_cast_or_null<SoftmaxOp>(def)) {
    auto mask = softmax.getInput().getDefiningOp<CausalMaskOp>();
    return mask && mask.getValue().isInfinity() && mask.getValue().isNegative();
  }
  if (auto grad = dyn_cast_or_null<SoftmaxGradOp>(def))
    return zeroAboveDiagonal(grad.getOutput());
  if (auto dropout = dyn_cast_or_null<DropoutMaskOp>(def))
    return zeroAboveDiagonal(dropout.getInput());
  return false;
}

template <typename... Ops>
void addPatterns(RewritePatternSet &patterns) {
  (patterns.add<LowerPattern<Ops, &lower>>(patterns.getContext()), ...);
}

} // namespace

// Attention's products: the scores feed a causal mask, which replaces
// their upper triangle; the weights and the scores' gradient are zero
// there, so products reading them along a summed letter skip those terms.
// The weights' gradient dP = dO·Vᵀ is read only by softmax gradients of
// such weights, which select zero there (marked here: by the time they
// are lowered, the softmax they read may be a generic already), so its
// upper triangle need not be computed either.
void sinter::lowering::markCausalOps(Operation *root) {
  root->walk([](SoftmaxGradOp op) {
    if (zeroAboveDiagonal(op.getOutput())) {
      int64_t r = cast<ShapedType>(op.getGrad().getType()).getRank();
      op->setAttr(
          kZeroAboveAttr,
          Builder(op.getContext()).getDenseI64ArrayAttr({r - 2, r - 1}));
    }
  });
  auto causalGradient = [](OpOperand &use) {
    auto grad = dyn_cast<SoftmaxGradOp>(use.getOwner());
    return grad && &use == &grad.getGradMutable() &&
           grad.getOutput() != use.get() && grad->hasAttr(kZeroAboveAttr);
  };
  root->walk([&](ContractOp op) {
    auto [lhs, rhs, res] = op.getTerms();
    auto mark = [&](StringRef term) {
      op->setAttr(kCausalLettersAttr,
                  StringAttr::get(op.getContext(), term.take_back(2)));
    };
    if (zeroAboveDiagonal(op.getLhs()))
      return mark(lhs);
    if (zeroAboveDiagonal(op.getRhs()))
      return mark(rhs);
    Value result = op.getResult();
    if (!result.use_empty() && (llvm::all_of(result.getUsers(),
                                             [](Operation *user) {
                                               return isa<CausalMaskOp>(user);
                                             }) ||
                                llvm::all_of(result.getUses(), causalGradient)))
      mark(res);
  });
}

void sinter::lowering::populateSequenceLowerings(RewritePatternSet &patterns) {
  addPatterns<EmbeddingOp, EmbeddingGradOp, CausalMaskOp>(patterns);
}
