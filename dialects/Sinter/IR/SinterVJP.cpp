//===- SinterVJP.cpp - one vector-Jacobian product rule per forward op ----===//
//
// Each rule reads the forward values it needs directly (forward and backward
// share one block) and emits Sinter gradient ops. A null result cotangent is
// a symbolic zero: the rule then leaves its operand cotangents null.
//
//===----------------------------------------------------------------------===//
#include "dialects/Sinter/IR/SinterDialect.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace sinter;

//===----------------------------------------------------------------------===//
// matmul: C = op(A) · op(B)
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                 MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  Value A = getLhs(), B = getRhs();
  Location loc = getLoc();
  auto mm = [&](Value lhs, Value rhs, bool tl, bool tr, Type type) -> Value {
    auto op = b.create<MatmulOp>(loc, type, lhs, rhs);
    op.setTransposeLhs(tl);
    op.setTransposeRhs(tr);
    return op;
  };
  Type tA = A.getType(), tB = B.getType();
  bool tl = getTransposeLhs(), tr = getTransposeRhs();
  if (!tl && !tr) {        // C = A B:    dA = G Bᵀ,   dB = Aᵀ G
    operandGrads[0] = mm(g, B, false, true, tA);
    operandGrads[1] = mm(A, g, true, false, tB);
  } else if (tl && !tr) {  // C = Aᵀ B:   dA = B Gᵀ,   dB = A G
    operandGrads[0] = mm(B, g, false, true, tA);
    operandGrads[1] = mm(A, g, false, false, tB);
  } else if (!tl && tr) {  // C = A Bᵀ:   dA = G B,    dB = Gᵀ A
    operandGrads[0] = mm(g, B, false, false, tA);
    operandGrads[1] = mm(g, A, true, false, tB);
  } else {                 // C = Aᵀ Bᵀ:  dA = Bᵀ Gᵀ,  dB = Gᵀ Aᵀ
    operandGrads[0] = mm(B, g, true, true, tA);
    operandGrads[1] = mm(g, A, true, true, tB);
  }
  return success();
}

// C = contract(A, B, "a,b->c"): dA = contract(G, B, "c,b->a"),
// dB = contract(G, A, "c,a->b").
LogicalResult ContractOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                   MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  auto [a, bt, c] = getTerms();
  auto spec = [&](StringRef x, StringRef y, StringRef z) {
    return b.getStringAttr(x + "," + y + "->" + z);
  };
  operandGrads[0] = b.create<ContractOp>(getLoc(), getLhs().getType(), g,
                                         getRhs(), spec(c, bt, a));
  operandGrads[1] = b.create<ContractOp>(getLoc(), getRhs().getType(), g,
                                         getLhs(), spec(c, a, bt));
  return success();
}

//===----------------------------------------------------------------------===//
// bias_add and add: linear, so the cotangent passes through (and reduces
// over the broadcast dimensions for the bias).
//===----------------------------------------------------------------------===//

LogicalResult BiasAddOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                  MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  operandGrads[0] = g;
  operandGrads[1] =
      b.create<BiasAddGradOp>(getLoc(), getBias().getType(), g);
  return success();
}

LogicalResult ScaleChannelsOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                        MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  operandGrads[0] = b.create<ScaleChannelsOp>(getLoc(), g, getScale());
  Value gx = b.create<MulOp>(getLoc(), g, getInput());
  operandGrads[1] =
      b.create<BiasAddGradOp>(getLoc(), getScale().getType(), gx);
  return success();
}

// mean over the leading dimensions: the cotangent spreads back evenly.
LogicalResult ChannelMeanOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                      MutableArrayRef<Value> operandGrads) {
  if (Value g = resultGrads[0])
    operandGrads[0] = b.create<ChannelMeanGradOp>(getLoc(), getInput(), g);
  return success();
}

// y = x^(-1/2): dx = g * (-1/2) x^(-3/2) = -g * y^3 / 2.
LogicalResult RsqrtOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  Value y = getResult();
  Value cube = b.create<MulOp>(getLoc(), y, b.create<MulOp>(getLoc(), y, y));
  operandGrads[0] = b.create<ScaleOp>(
      getLoc(), b.create<MulOp>(getLoc(), g, cube), b.getF32FloatAttr(-0.5f),
      b.getF32FloatAttr(0.0f));
  return success();
}

LogicalResult AddOp::buildVJP(OpBuilder &, ValueRange resultGrads,
                              MutableArrayRef<Value> operandGrads) {
  operandGrads[0] = operandGrads[1] = resultGrads[0];
  return success();
}

LogicalResult SubOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  operandGrads[0] = g;
  operandGrads[1] = b.create<ScaleOp>(getLoc(), g, b.getF32FloatAttr(-1.0f),
                                     b.getF32FloatAttr(0.0f));
  return success();
}

LogicalResult MulOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  operandGrads[0] = b.create<MulOp>(getLoc(), g, getRhs());
  operandGrads[1] = b.create<MulOp>(getLoc(), g, getLhs());
  return success();
}

LogicalResult ScaleOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                MutableArrayRef<Value> operandGrads) {
  if (Value g = resultGrads[0])
    operandGrads[0] = b.create<ScaleOp>(getLoc(), g, getFactorAttr(),
                                       b.getF32FloatAttr(0.0f));
  return success();
}

LogicalResult ReshapeOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                  MutableArrayRef<Value> operandGrads) {
  if (Value g = resultGrads[0])
    operandGrads[0] =
        b.create<ReshapeOp>(getLoc(), getInput().getType(), g);
  return success();
}

LogicalResult TransposeOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [j, p] : llvm::enumerate(perm))
    inverse[p] = j;
  operandGrads[0] = b.create<TransposeOp>(getLoc(), getInput().getType(), g,
                                          b.getDenseI64ArrayAttr(inverse));
  return success();
}

// Each input's cotangent is its window of the result's cotangent.
LogicalResult ConcatOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                 MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  int64_t offset = 0;
  for (auto [i, input] : llvm::enumerate(getInputs())) {
    auto t = cast<RankedTensorType>(input.getType());
    operandGrads[i] = b.create<SliceLastOp>(getLoc(), t, g, offset);
    offset += t.getDimSize(t.getRank() - 1);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling: the gradient ops carry the forward attributes.
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                 MutableArrayRef<Value> operandGrads) {
  Value g = resultGrads[0];
  if (!g)
    return success();
  operandGrads[0] = b.create<Conv2DInputGradOp>(
      getLoc(), getInput().getType(), g, getFilter(), getStridesAttr(),
      getDilationsAttr(), getPaddingAttr(), getGroupsAttr());
  operandGrads[1] = b.create<Conv2DFilterGradOp>(
      getLoc(), getFilter().getType(), getInput(), g, getStridesAttr(),
      getDilationsAttr(), getPaddingAttr(), getGroupsAttr());
  return success();
}

LogicalResult MaxPool2DOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    MutableArrayRef<Value> operandGrads) {
  if (Value g = resultGrads[0])
    operandGrads[0] = b.create<MaxPool2DGradOp>(
        getLoc(), getInput().getType(), getInput(), g, getWindowAttr(),
        getStridesAttr(), getPaddingAttr());
  return success();
}

LogicalResult AvgPool2DOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    MutableArrayRef<Value> operandGrads) {
  if (Value g = resultGrads[0])
    operandGrads[0] = b.create<AvgPool2DGradOp>(
        getLoc(), getInput().getType(), g, getWindowAttr(), getStridesAttr(),
        getPaddingAttr());
  return success();
}

// The mask is fixed by (seed, step), so the op is linear in its input.
LogicalResult DropoutMaskOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                      MutableArrayRef<Value> operandGrads) {
  if (Value g = resultGrads[0])
    operandGrads[0] = b.create<DropoutMaskOp>(getLoc(), g, getStep(),
                                              getRateAttr(), getSeedAttr());
  return success();
}

LogicalResult RegularizationOp::buildVJP(OpBuilder &b, ValueRange rg,
                                         MutableArrayRef<Value> og) {
  if (Value g = rg[0])
    og[0] = b.create<RegularizationGradOp>(getLoc(), getInput(), g,
                                           getL1Attr(), getL2Attr());
  return success();
}

//===----------------------------------------------------------------------===//
// Activations: the gradient ops read the forward output y.
//===----------------------------------------------------------------------===//

template <typename GradOp, typename FwdOp>
static LogicalResult activationVJP(FwdOp op, OpBuilder &b,
                                   ValueRange resultGrads,
                                   MutableArrayRef<Value> operandGrads) {
  if (Value g = resultGrads[0])
    operandGrads[0] = b.create<GradOp>(op.getLoc(), op.getResult(), g);
  return success();
}

LogicalResult ReluOp::buildVJP(OpBuilder &b, ValueRange rg,
                               MutableArrayRef<Value> og) {
  return activationVJP<ReluGradOp>(*this, b, rg, og);
}
LogicalResult SigmoidOp::buildVJP(OpBuilder &b, ValueRange rg,
                                  MutableArrayRef<Value> og) {
  return activationVJP<SigmoidGradOp>(*this, b, rg, og);
}
LogicalResult TanhOp::buildVJP(OpBuilder &b, ValueRange rg,
                               MutableArrayRef<Value> og) {
  return activationVJP<TanhGradOp>(*this, b, rg, og);
}
LogicalResult SoftmaxOp::buildVJP(OpBuilder &b, ValueRange rg,
                                  MutableArrayRef<Value> og) {
  return activationVJP<SoftmaxGradOp>(*this, b, rg, og);
}

// Token ids are data: only the table gets a cotangent.
LogicalResult EmbeddingOp::buildVJP(OpBuilder &b, ValueRange rg,
                                    MutableArrayRef<Value> og) {
  if (Value g = rg[0])
    og[1] = b.create<EmbeddingGradOp>(getLoc(), getTable().getType(), getIds(),
                                      g);
  return success();
}

LogicalResult CausalMaskOp::buildVJP(OpBuilder &b, ValueRange rg,
                                     MutableArrayRef<Value> og) {
  if (Value g = rg[0])
    og[0] = b.create<CausalMaskOp>(getLoc(), g, b.getF32FloatAttr(0.0f));
  return success();
}

LogicalResult NormalizeOp::buildVJP(OpBuilder &b, ValueRange rg,
                                    MutableArrayRef<Value> og) {
  if (Value g = rg[0])
    og[0] = b.create<NormalizeGradOp>(getLoc(), getInput(), g,
                                      getEpsilonAttr(), getCenterAttr());
  return success();
}

// GELU and SiLU: the gradient ops read the forward input.
LogicalResult GeluOp::buildVJP(OpBuilder &b, ValueRange rg,
                               MutableArrayRef<Value> og) {
  if (Value g = rg[0])
    og[0] = b.create<GeluGradOp>(getLoc(), getInput(), g, getApproximate());
  return success();
}
LogicalResult SiluOp::buildVJP(OpBuilder &b, ValueRange rg,
                               MutableArrayRef<Value> og) {
  if (Value g = rg[0])
    og[0] = b.create<SiluGradOp>(getLoc(), getInput(), g);
  return success();
}

//===----------------------------------------------------------------------===//
// Losses: only the prediction gets a cotangent; targets are data.
//===----------------------------------------------------------------------===//

template <typename GradOp, typename LossOp>
static LogicalResult lossVJP(LossOp op, OpBuilder &b, ValueRange resultGrads,
                             MutableArrayRef<Value> operandGrads) {
  if (Value seed = resultGrads[0])
    operandGrads[0] = b.create<GradOp>(op.getLoc(), op.getPrediction(),
                                       op.getTarget(), seed);
  return success();
}

LogicalResult MeanSquaredErrorOp::buildVJP(OpBuilder &b, ValueRange rg,
                                           MutableArrayRef<Value> og) {
  return lossVJP<MeanSquaredErrorGradOp>(*this, b, rg, og);
}
LogicalResult BinaryCrossentropyOp::buildVJP(OpBuilder &b, ValueRange rg,
                                             MutableArrayRef<Value> og) {
  return lossVJP<BinaryCrossentropyGradOp>(*this, b, rg, og);
}
LogicalResult CategoricalCrossentropyOp::buildVJP(OpBuilder &b, ValueRange rg,
                                                  MutableArrayRef<Value> og) {
  return lossVJP<CategoricalCrossentropyGradOp>(*this, b, rg, og);
}
LogicalResult
SparseCategoricalCrossentropyOp::buildVJP(OpBuilder &b, ValueRange rg,
                                          MutableArrayRef<Value> og) {
  return lossVJP<SparseCategoricalCrossentropyGradOp>(*this, b, rg, og);
}
