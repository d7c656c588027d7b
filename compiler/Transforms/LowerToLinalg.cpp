//===- LowerToLinalg.cpp - Sinter ops to linalg on tensors ----------------===//
//
// Expects Sinter ops on ranked tensors. Produces destination-passing linalg
// (`linalg.generic`, `linalg.fill` over `tensor.empty`), tensor, arith and
// math ops; no Sinter op remains. One rewrite pattern per op, built from the
// helpers of LinalgEmitter.h; activations are lowered in
// LowerActivations.cpp, losses in LowerLosses.cpp, convolution and pooling
// in LowerConvolutions.cpp and LowerPooling.cpp.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/LinalgEmitter.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/Sinter/IR/SinterDialect.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace sinter {
#define GEN_PASS_DEF_LOWERTOLINALG
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;
using namespace sinter::lowering;

namespace {

//===----------------------------------------------------------------------===//
// Per-op lowerings
//===----------------------------------------------------------------------===//

/// `t` ([r, c], static) transposed into a fresh [c, r] tensor.
Value transposed(Emitter &e, Value t) {
  SmallVector<OpFoldResult> sizes = e.sizes(t);
  std::swap(sizes[0], sizes[1]);
  Value init = e.b.create<tensor::EmptyOp>(e.loc, sizes, e.b.getF32Type());
  AffineExpr i = e.b.getAffineDimExpr(0), j = e.b.getAffineDimExpr(1);
  AffineMap swap = AffineMap::get(2, 0, {j, i}, e.b.getContext());
  return e.generic(t, swap, init, e.id(2), e.parallel(2),
                   [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

// A transposed right operand is transposed once up front ([n, k] would make
// the inner loop strided); Emitter::matmul orders the loops.
SmallVector<Value> lower(MatmulOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Value rhs = op.getRhs();
  if (op.getTransposeRhs())
    rhs = transposed(e, rhs);
  Value out = e.matmul(op.getLhs(), rhs, op.getTransposeLhs());
  if (out.getType() != op.getType())
    out = b.create<tensor::CastOp>(op.getLoc(), op.getType(), out);
  return {out};
}

/// `t`, whose dimensions the letters of `term` name, copied with the
/// letters of `group` moved last, in its order; `term` becomes the copy's.
Value withLettersLast(Emitter &e, Value t, std::string &term, StringRef group) {
  std::string moved;
  for (char l : term)
    if (!group.contains(l))
      moved.push_back(l);
  moved += group.str();
  SmallVector<OpFoldResult> from = e.sizes(t), sizes;
  SmallVector<AffineExpr> read;
  for (char l : moved)
    sizes.push_back(from[term.find(l)]);
  for (char l : term)
    read.push_back(e.b.getAffineDimExpr(moved.find(l)));
  int64_t r = term.size();
  Value init = e.b.create<tensor::EmptyOp>(e.loc, sizes, e.b.getF32Type());
  term = moved;
  return e.generic(t, AffineMap::get(r, 0, read, e.b.getContext()), init,
                   e.id(r), e.parallel(r),
                   [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

/// The result's last letter and the letters before it in `res` that
/// `term` holds and `other` does not: the columns an operand's copy keeps
/// last, in the result's order, so that they merge into one loop (the
/// gradient through attention's output projection, `btd,hed->bthe`: its
/// weight copied as `dhe`, not `hde`, is the matmul [b*t, d] x [d, h*e],
/// not 4 heads of one row a tile).
std::string trailingColumns(StringRef res, StringRef term, StringRef other) {
  size_t start = res.size() - 1;
  while (start > 0 && term.contains(res[start - 1]) &&
         !other.contains(res[start - 1]))
    --start;
  return res.drop_front(start).str();
}

/// `op` with each chain of loops of one kind that every operand indexes
/// together, adjacent and in order, merged into one loop: a projection onto
/// heads, `btd,dhk->bthk`, becomes the matmul `Md,dN->MN` (M = b*t,
/// N = h*k), whose register tiles are 8 rows of M by 32 columns of N
/// rather than 4 heads of one position. Each sum keeps its order.
Value withMergedLoops(linalg::GenericOp op, OpBuilder &b) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<IteratorType> iters = op.getIteratorTypesArray();
  int64_t n = iters.size();
  // next[d]: the loop every operand indexing d indexes right after it.
  SmallVector<int64_t> next(n, -1), prev(n, -1);
  for (int64_t d = 0; d < n; ++d) {
    std::optional<int64_t> follower;
    bool consistent = true;
    for (AffineMap map : maps) {
      std::optional<unsigned> at = map.getResultPosition(b.getAffineDimExpr(d));
      if (!at)
        continue;
      int64_t f = *at + 1 < map.getNumResults()
                      ? int64_t(cast<AffineDimExpr>(map.getResult(*at + 1))
                                    .getPosition())
                      : -1;
      if (follower && *follower != f)
        consistent = false;
      follower = f;
    }
    if (!consistent || !follower || *follower < 0 ||
        iters[*follower] != iters[d] || prev[*follower] >= 0)
      continue;
    // The follower must appear exactly where d does.
    bool together = llvm::all_of(maps, [&](AffineMap map) {
      return map.getResultPosition(b.getAffineDimExpr(d)).has_value() ==
             map.getResultPosition(b.getAffineDimExpr(*follower)).has_value();
    });
    if (together) {
      next[d] = *follower;
      prev[*follower] = d;
    }
  }
  // New loop order: each chain where its last loop was (the result's
  // contiguous loop stays innermost); runs to merge.
  SmallVector<unsigned> order;
  SmallVector<ReassociationIndices> runs;
  for (int64_t d = 0; d < n; ++d) {
    if (next[d] >= 0)
      continue;
    SmallVector<unsigned> chain;
    for (int64_t c = d; c >= 0; c = prev[c])
      chain.insert(chain.begin(), c);
    ReassociationIndices run;
    for (unsigned c : chain) {
      run.push_back(order.size());
      order.push_back(c);
    }
    if (run.size() > 1)
      runs.push_back(run);
  }
  if (runs.empty() || order.size() != size_t(n))
    return op.getResult(0);
  IRRewriter rewriter(b);
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::GenericOp> ordered =
      linalg::interchangeGenericOp(rewriter, op, order);
  if (failed(ordered))
    return op.getResult(0);
  FailureOr<linalg::CollapseResult> merged =
      linalg::collapseOpIterationDims(*ordered, runs, rewriter);
  if (failed(merged))
    return ordered->getResult(0);
  rewriter.eraseOp(*ordered);
  // A fresh zeroed accumulator of the merged shape rather than a merged
  // view of one: the register tiles keep an accumulator in registers only
  // when it is a buffer of its own.
  OpOperand *init = merged->collapsedOp.getDpsInitOperand(0);
  auto view = init->get().getDefiningOp<tensor::CollapseShapeOp>();
  auto fill = view ? view.getSrc().getDefiningOp<linalg::FillOp>() : nullptr;
  if (fill) {
    rewriter.setInsertionPoint(merged->collapsedOp);
    Location loc = fill.getLoc();
    Value empty = rewriter.create<tensor::EmptyOp>(
        loc, tensor::getMixedSizes(rewriter, loc, view.getResult()),
        view.getResultType().getElementType());
    init->set(rewriter.create<linalg::FillOp>(loc, fill.getInputs(), empty)
                  .getResult(0));
  }
  return merged->results.front();
}

// Iteration order, as for matmul: the result's letters but its last, the
// summed letters (in order of appearance), then the result's last letter,
// which the result is contiguous along. An operand with that letter
// elsewhere than last is copied with it last first (attention's
// `bthk,bshk->bhts` would otherwise stride through keys in its inner loop),
// together with the result letters before it that only that operand has
// (trailingColumns): a copy of an operand costs far less than strided
// reads in every multiply-add.
SmallVector<Value> lower(ContractOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  auto [lhsTerm, rhsTerm, res] = op.getTerms();
  std::string lhs = lhsTerm.str(), rhs = rhsTerm.str();
  Value lhsValue = op.getLhs(), rhsValue = op.getRhs();
  char inner = res.back();
  std::string lhsColumns = trailingColumns(res, lhs, rhs),
              rhsColumns = trailingColumns(res, rhs, lhs);
  if (lhs.find(inner) != std::string::npos &&
      !StringRef(lhs).ends_with(lhsColumns))
    lhsValue = withLettersLast(e, lhsValue, lhs, lhsColumns);
  if (rhs.find(inner) != std::string::npos &&
      !StringRef(rhs).ends_with(rhsColumns))
    rhsValue = withLettersLast(e, rhsValue, rhs, rhsColumns);
  std::string order(res.drop_back());
  for (char c : lhs + rhs)
    if (!res.contains(c) && order.find(c) == std::string::npos)
      order.push_back(c);
  order.push_back(inner);
  auto map = [&](StringRef term) {
    SmallVector<AffineExpr> exprs;
    for (char c : term)
      exprs.push_back(b.getAffineDimExpr(order.find(c)));
    return AffineMap::get(order.size(), 0, exprs, b.getContext());
  };
  SmallVector<IteratorType> iters;
  for (char c : order)
    iters.push_back(res.contains(c) ? IteratorType::parallel
                                    : IteratorType::reduction);
  SmallVector<OpFoldResult> sizes;
  for (char c : res) {
    bool inLhs = lhs.find(c) != std::string::npos;
    sizes.push_back(e.sizes(inLhs ? lhsValue : rhsValue)[(
        inLhs ? lhs : rhs).find(c)]);
  }
  Value init = e.filled(sizes, 0.0);
  Value out = e.generic({lhsValue, rhsValue}, {map(lhs), map(rhs)}, init,
                        map(res), iters,
                        [](OpBuilder &nb, Location l, ValueRange a) {
                          Ar ar{nb, l};
                          return ar.add(a[2], ar.mul(a[0], a[1]));
                        });
  auto generic = out.getDefiningOp<linalg::GenericOp>();
  if (auto letters = op->getAttrOfType<StringAttr>(kCausalLettersAttr))
    generic->setAttr(
        kSkipAboveAttr,
        b.getDenseI64ArrayAttr({int64_t(order.find(letters.getValue()[0])),
                                int64_t(order.find(letters.getValue()[1]))}));
  out = withMergedLoops(generic, b);
  // Merged loops are renumbered: the fact is dropped then.
  if (auto merged = out.getDefiningOp<linalg::GenericOp>();
      merged && merged.getNumLoops() != order.size())
    merged->removeAttr(kSkipAboveAttr);
  if (out.getType() != op.getType())
    out = b.create<tensor::CastOp>(op.getLoc(), op.getType(), out);
  return {out};
}

SmallVector<Value> lower(BiasAddOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  int64_t r = Emitter::rankOf(op.getInput());
  return {e.mapWith({op.getInput(), op.getBias()},
                    {e.id(r), e.trailing(r, Emitter::rankOf(op.getBias()))},
                    op.getInput(), [](OpBuilder &nb, Location l, ValueRange a) {
                      return Ar{nb, l}.add(a[0], a[1]);
                    })};
}

SmallVector<Value> lower(ScaleChannelsOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  int64_t r = Emitter::rankOf(op.getInput());
  return {e.mapWith({op.getInput(), op.getScale()},
                    {e.id(r), e.trailing(r, Emitter::rankOf(op.getScale()))},
                    op.getInput(), [](OpBuilder &nb, Location l, ValueRange a) {
                      return Ar{nb, l}.mul(a[0], a[1]);
                    })};
}

SmallVector<Value> lower(BiasAddGradOp op, OpBuilder &b) {
  return {Emitter(b, op.getLoc())
              .sumLeading(op.getGrad(), op.getType().getRank())};
}

SmallVector<Value> lower(AddOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  return {e.map({op.getLhs(), op.getRhs()}, op.getLhs(),
                [](OpBuilder &nb, Location l, ValueRange a) {
                  return Ar{nb, l}.add(a[0], a[1]);
                })};
}

SmallVector<Value> lower(SubOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  return {e.map({op.getLhs(), op.getRhs()}, op.getLhs(),
                [](OpBuilder &nb, Location l, ValueRange a) {
                  return Ar{nb, l}.sub(a[0], a[1]);
                })};
}

SmallVector<Value> lower(MulOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  return {e.map({op.getLhs(), op.getRhs()}, op.getLhs(),
                [](OpBuilder &nb, Location l, ValueRange a) {
                  return Ar{nb, l}.mul(a[0], a[1]);
                })};
}

SmallVector<Value> lower(ScaleOp op, OpBuilder &b) {
  double factor = op.getFactor().convertToFloat();
  double offset = op.getOffset().convertToFloat();
  return {Emitter(b, op.getLoc())
              .map(op.getInput(), op.getInput(),
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     Ar ar{nb, l};
                     Value v = ar.mul(a[0], ar.c(factor));
                     return offset == 0.0 ? v : ar.add(v, ar.c(offset));
                   })};
}

// Per-example reshape: collapse the example to one dimension, then expand
// it into the new shape; the dynamic batch rides along.
SmallVector<Value> lower(ReshapeOp op, OpBuilder &b) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto in = op.getInput().getType(), out = op.getType();
  int64_t n = 1;
  for (int64_t d : in.getShape().drop_front())
    n *= d;
  if (in.getRank() != 2) {
    SmallVector<ReassociationIndices> re = {
        {0}, llvm::to_vector(llvm::seq<int64_t>(1, in.getRank()))};
    if (in.getRank() == 1)
      re = {{0}};
    x = b.create<tensor::CollapseShapeOp>(loc, x, re);
  }
  if (out.getRank() == 2) {
    if (x.getType() != out)
      x = b.create<tensor::CastOp>(loc, out, x);
    return {x};
  }
  SmallVector<ReassociationIndices> re = {
      {0}, llvm::to_vector(llvm::seq<int64_t>(1, out.getRank()))};
  SmallVector<OpFoldResult> sizes = {
      b.create<tensor::DimOp>(loc, op.getInput(), 0).getResult()};
  for (int64_t d : out.getShape().drop_front())
    sizes.push_back(b.getIndexAttr(d));
  Value r = b.create<tensor::ExpandShapeOp>(loc, out, x, re, sizes);
  return {r};
}

// Concatenation writes each input into its window of one fresh tensor.
SmallVector<Value> lower(ConcatOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  auto type = op.getType();
  int64_t r = type.getRank();
  SmallVector<OpFoldResult> sizes = e.sizes(op.getInputs()[0]);
  sizes.back() = b.getIndexAttr(type.getDimSize(r - 1));
  Value acc = b.create<tensor::EmptyOp>(op.getLoc(), sizes, b.getF32Type());
  int64_t offset = 0;
  for (Value in : op.getInputs()) {
    SmallVector<OpFoldResult> offs(r, b.getIndexAttr(0)),
        strides(r, b.getIndexAttr(1));
    offs.back() = b.getIndexAttr(offset);
    acc = b.create<tensor::InsertSliceOp>(op.getLoc(), in, acc, offs,
                                          e.sizes(in), strides);
    offset += cast<RankedTensorType>(in.getType()).getDimSize(r - 1);
  }
  if (acc.getType() != type)
    acc = b.create<tensor::CastOp>(op.getLoc(), type, acc);
  return {acc};
}

// Iterates over the result; the input is read at the permuted indices.
SmallVector<Value> lower(TransposeOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  ArrayRef<int64_t> perm = op.getPermutation();
  SmallVector<AffineExpr> read(perm.size());
  for (auto [j, p] : llvm::enumerate(perm))
    read[p] = b.getAffineDimExpr(j);
  int64_t r = perm.size();
  SmallVector<OpFoldResult> sizes, in = e.sizes(op.getInput());
  for (int64_t p : perm)
    sizes.push_back(in[p]);
  Value init = b.create<tensor::EmptyOp>(op.getLoc(), sizes, b.getF32Type());
  Value out = e.generic(op.getInput(),
                        AffineMap::get(r, 0, read, b.getContext()), init,
                        e.id(r), e.parallel(r),
                        [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  if (out.getType() != op.getType())
    out = b.create<tensor::CastOp>(op.getLoc(), op.getType(), out);
  return {out};
}

SmallVector<Value> lower(SliceLastOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  auto type = op.getType();
  int64_t r = type.getRank();
  SmallVector<OpFoldResult> offs(r, b.getIndexAttr(0)),
      strides(r, b.getIndexAttr(1)), sizes = e.sizes(op.getInput());
  offs.back() = b.getIndexAttr(op.getOffset());
  sizes.back() = b.getIndexAttr(type.getDimSize(r - 1));
  Value s = b.create<tensor::ExtractSliceOp>(op.getLoc(), op.getInput(), offs,
                                             sizes, strides);
  if (s.getType() != type)
    s = b.create<tensor::CastOp>(op.getLoc(), type, s);
  return {s};
}

// Dropout's mask: 32-bit integer hashing, described in SinterOps.td.

/// MurmurHash3's 32-bit finalizer.
Value fmix32(OpBuilder &b, Location l, Value h) {
  auto c = [&](uint32_t v) {
    return b.create<arith::ConstantOp>(l, b.getI32IntegerAttr(int32_t(v)));
  };
  auto mixShift = [&](Value x, uint32_t s) {
    return b.create<arith::XOrIOp>(l, x, b.create<arith::ShRUIOp>(l, x, c(s)));
  };
  h = mixShift(h, 16);
  h = b.create<arith::MulIOp>(l, h, c(0x85ebca6bu));
  h = mixShift(h, 13);
  h = b.create<arith::MulIOp>(l, h, c(0xc2b2ae35u));
  return mixShift(h, 16);
}

SmallVector<Value> lower(DropoutMaskOp op, OpBuilder &b) {
  Location loc = op.getLoc();
  auto type = op.getType();
  Value step = b.create<arith::FPToUIOp>(loc, b.getI32Type(), op.getStep());
  Value seed = b.create<arith::ConstantOp>(
      loc, b.getI32IntegerAttr(int32_t(uint32_t(op.getSeed()))));
  Value key = fmix32(
      b, loc, b.create<arith::XOrIOp>(loc, seed, fmix32(b, loc, step)));
  float rate = op.getRate().convertToFloat();
  return {Emitter(b, loc).map(
      op.getInput(), op.getInput(),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        // Row-major element number over the whole tensor, batch included.
        Value i = nb.create<linalg::IndexOp>(l, 0);
        for (int64_t d = 1; d < type.getRank(); ++d) {
          Value size = nb.create<arith::ConstantIndexOp>(l, type.getDimSize(d));
          i = nb.create<arith::AddIOp>(
              l, nb.create<arith::MulIOp>(l, i, size),
              nb.create<linalg::IndexOp>(l, d));
        }
        Value i32 = nb.create<arith::IndexCastOp>(l, nb.getI32Type(), i);
        Value golden = nb.create<arith::ConstantOp>(
            l, nb.getI32IntegerAttr(int32_t(0x9E3779B1u)));
        Value h = fmix32(nb, l,
                         nb.create<arith::AddIOp>(
                             l, nb.create<arith::MulIOp>(l, i32, golden), key));
        Value top24 = nb.create<arith::ShRUIOp>(
            l, h, nb.create<arith::ConstantOp>(l, nb.getI32IntegerAttr(8)));
        Ar ar{nb, l};
        Value u = ar.mul(nb.create<arith::UIToFPOp>(l, nb.getF32Type(), top24),
                         ar.c(1.0 / (1 << 24)));
        Value keep =
            nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGE, u, ar.c(rate));
        return ar.select(keep, ar.div(a[0], ar.c(1.0 - rate)), ar.c(0));
      })};
}

// Weight regularization.

SmallVector<Value> lower(RegularizationOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Value w = op.getInput();
  double l1 = op.getL1().convertToFloat(), l2 = op.getL2().convertToFloat();
  int64_t r = Emitter::rankOf(w);
  return {e.reduceAll(w, e.id(r), w,
                      [&](OpBuilder &nb, Location l, ValueRange a) {
                        Ar ar{nb, l};
                        Value abs = nb.create<math::AbsFOp>(l, a[0]);
                        Value term = ar.add(ar.mul(ar.c(l1), abs),
                                            ar.mul(ar.c(l2), ar.mul(a[0], a[0])));
                        return ar.add(a[1], term);
                      })};
}

SmallVector<Value> lower(RegularizationGradOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  double l1 = op.getL1().convertToFloat(), l2 = op.getL2().convertToFloat();
  Value g = e.scalar(op.getGrad());
  return {e.map(op.getInput(), op.getInput(),
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  Ar ar{nb, l};
                  Value w = a[0];
                  Value sign = ar.select(ar.gt(w, ar.c(0)), ar.c(1),
                                         ar.select(ar.lt(w, ar.c(0)), ar.c(-1),
                                                   ar.c(0)));
                  Value d = ar.add(ar.mul(ar.c(l1), sign),
                                   ar.mul(ar.c(2 * l2), w));
                  return ar.mul(g, d);
                })};
}

// Gradient clipping.

SmallVector<Value> lower(SquaredNormOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Value g = op.getInput();
  int64_t r = Emitter::rankOf(g);
  return {e.reduceAll(g, e.id(r), g,
                      [](OpBuilder &nb, Location l, ValueRange a) {
                        Ar ar{nb, l};
                        return ar.add(a[1], ar.mul(a[0], a[0]));
                      })};
}

SmallVector<Value> lower(ClipByNormOp op, OpBuilder &b) {
  Emitter e(b, op.getLoc());
  Ar ar{b, op.getLoc()};
  Value c = ar.c(op.getMaxNorm().convertToFloat());
  Value norm = ar.sqrt(e.scalar(op.getSquaredNorm()));
  Value denominator = ar.max(norm, c);
  return {e.map(op.getInput(), op.getInput(),
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  Ar r{nb, l};
                  return r.div(r.mul(a[0], c), denominator);
                })};
}

// Optimizer updates: one linalg.generic, ins(grad) outs(param, slots...),
// so the parameter and slots are the destinations (updated in place).

/// `body` sees the parameter after Keras' decoupled weight decay,
/// p - p * weight_decay * lr (skipped when the decay is 0). The generic
/// keeps `update`'s kParameterStartsAttr (a fused update's parameters).
SmallVector<Value> updateGeneric(
    OpBuilder &b, Operation *update, Value param, Value grad, ValueRange slots,
    float weightDecay, Value lr,
    function_ref<SmallVector<Value>(Ar &, Value g, Value p, ValueRange s)>
        body) {
  Location loc = update->getLoc();
  int64_t r = Emitter::rankOf(param);
  SmallVector<Value> outs = {param};
  outs.append(slots.begin(), slots.end());
  SmallVector<AffineMap> maps(outs.size() + 1, b.getMultiDimIdentityMap(r));
  auto op = b.create<linalg::GenericOp>(
      loc, TypeRange(ValueRange(outs)), grad, outs, maps,
      SmallVector<IteratorType>(r, IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Ar ar{nb, l};
        Value p = a[1];
        if (weightDecay != 0.0f)
          p = ar.sub(p, ar.mul(ar.mul(p, ar.c(weightDecay)), lr));
        nb.create<linalg::YieldOp>(l, body(ar, a[0], p, a.drop_front(2)));
      });
  op->setAttr(kUpdatesParametersAttr, b.getUnitAttr());
  if (Attribute starts = update->getAttr(kParameterStartsAttr))
    op->setAttr(kParameterStartsAttr, starts);
  return SmallVector<Value>(op.getResults());
}

SmallVector<Value> lower(SgdUpdateOp op, OpBuilder &b) {
  float momentum = op.getMomentum().convertToFloat();
  bool nesterov = op.getNesterov();
  Value lr = op.getLr();
  return updateGeneric(
      b, op, op.getParam(), op.getGrad(), op.getSlots(),
      op.getWeightDecay().convertToFloat(), lr,
      [&](Ar &ar, Value g, Value p, ValueRange s) -> SmallVector<Value> {
        if (s.empty())
          return {ar.sub(p, ar.mul(g, lr))};
        Value mom = ar.c(momentum);
        Value m = ar.sub(ar.mul(s[0], mom), ar.mul(g, lr));
        Value step = nesterov ? ar.sub(ar.mul(m, mom), ar.mul(g, lr)) : m;
        return {ar.add(p, step), m};
      });
}

SmallVector<Value> lower(AdamUpdateOp op, OpBuilder &b) {
  Ar ar{b, op.getLoc()};
  Value t = ar.add(op.getIteration(), ar.c(1));
  Value b1 = ar.c(op.getBeta_1().convertToFloat());
  Value b2 = ar.c(op.getBeta_2().convertToFloat());
  Value b1p = b.create<math::PowFOp>(op.getLoc(), b1, t);
  Value b2p = b.create<math::PowFOp>(op.getLoc(), b2, t);
  Value alpha = ar.div(ar.mul(op.getLr(), ar.sqrt(ar.sub(ar.c(1), b2p))),
                       ar.sub(ar.c(1), b1p));
  float beta1 = op.getBeta_1().convertToFloat();
  float beta2 = op.getBeta_2().convertToFloat();
  float eps = op.getEpsilon().convertToFloat();
  bool amsgrad = op.getAmsgrad();
  return updateGeneric(
      b, op, op.getParam(), op.getGrad(), op.getSlots(),
      op.getWeightDecay().convertToFloat(), op.getLr(),
      [&](Ar &r, Value g, Value p, ValueRange s) -> SmallVector<Value> {
        Value m = r.add(s[0], r.mul(r.sub(g, s[0]), r.c(1 - beta1)));
        Value v = r.add(s[1], r.mul(r.sub(r.mul(g, g), s[1]), r.c(1 - beta2)));
        Value vUsed = amsgrad ? r.max(s[2], v) : v;
        Value np =
            r.sub(p, r.div(r.mul(m, alpha), r.add(r.sqrt(vUsed), r.c(eps))));
        if (amsgrad)
          return {np, m, v, vUsed};
        return {np, m, v};
      });
}

SmallVector<Value> lower(RmspropUpdateOp op, OpBuilder &b) {
  float rho = op.getRho().convertToFloat();
  float momentum = op.getMomentum().convertToFloat();
  float eps = op.getEpsilon().convertToFloat();
  bool centered = op.getCentered();
  Value lr = op.getLr();
  return updateGeneric(
      b, op, op.getParam(), op.getGrad(), op.getSlots(),
      op.getWeightDecay().convertToFloat(), lr,
      [&](Ar &r, Value g, Value p, ValueRange s) -> SmallVector<Value> {
        SmallVector<Value> out = {Value()};
        Value v = r.add(r.mul(r.c(rho), s[0]), r.mul(r.c(1 - rho), r.mul(g, g)));
        out.push_back(v);
        Value den;
        Value avg;
        if (centered) {
          Value a0 = s[momentum > 0 ? 2 : 1];
          avg = r.add(r.mul(r.c(rho), a0), r.mul(r.c(1 - rho), g));
          den = r.add(r.sub(v, r.mul(avg, avg)), r.c(eps));
        } else {
          den = r.add(v, r.c(eps));
        }
        Value inc = r.div(r.mul(lr, g), r.sqrt(den));
        if (momentum > 0) {
          Value mom = r.add(r.mul(r.c(momentum), s[1]), inc);
          out.push_back(mom);
          out[0] = r.sub(p, mom);
        } else {
          out[0] = r.sub(p, inc);
        }
        if (centered)
          out.push_back(avg);
        return out;
      });
}

template <typename... Ops>
void addPatterns(RewritePatternSet &patterns) {
  (patterns.add<LowerPattern<Ops, &lower>>(patterns.getContext()), ...);
}

struct LowerToLinalgPass
    : public sinter::impl::LowerToLinalgBase<LowerToLinalgPass> {
  using LowerToLinalgBase::LowerToLinalgBase;
  void runOnOperation() override {
    markCausalOps(getOperation());
    RewritePatternSet patterns(&getContext());
    addPatterns<RegularizationOp, RegularizationGradOp, SquaredNormOp,
                ClipByNormOp, MatmulOp, ContractOp, BiasAddOp, ScaleChannelsOp,
                BiasAddGradOp, AddOp, SubOp, MulOp, ScaleOp, DropoutMaskOp,
                ReshapeOp, TransposeOp, ConcatOp, SliceLastOp, SgdUpdateOp,
                AdamUpdateOp, RmspropUpdateOp>(patterns);
    populateActivationLowerings(patterns);
    populateLossLowerings(patterns);
    populateNormalizeLowerings(patterns);
    populateSequenceLowerings(patterns);
    populateConvolutionLowerings(patterns, lanes);
    populatePoolingLowerings(patterns);
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingOps;
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns),
                                            config)))
      return signalPassFailure();
    WalkResult left = getOperation().walk([](Operation *op) {
      if (isa<SinterDialect>(op->getDialect())) {
        op->emitOpError("has no lowering to linalg");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
