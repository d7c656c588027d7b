//===- SinterOps.cpp - verifiers and type inference of Sinter ops ---------===//
#include "dialects/Sinter/IR/SinterDialect.h"
#include "dialects/Sinter/IR/WindowGeometry.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace sinter;

#define GET_OP_CLASSES
#include "dialects/Sinter/IR/SinterOps.cpp.inc"

/// Two sizes agree when either is dynamic or both are equal.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? "?" : std::to_string(d);
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  auto lhs = getLhs().getType(), rhs = getRhs().getType();
  auto res = getResult().getType();
  if (lhs.getRank() != 2 || rhs.getRank() != 2 || res.getRank() != 2)
    return emitOpError("expects rank-2 operands and result");
  int64_t m = lhs.getDimSize(getTransposeLhs() ? 1 : 0);
  int64_t k = lhs.getDimSize(getTransposeLhs() ? 0 : 1);
  int64_t k2 = rhs.getDimSize(getTransposeRhs() ? 1 : 0);
  int64_t n = rhs.getDimSize(getTransposeRhs() ? 0 : 1);
  if (!compatible(k, k2))
    return emitOpError("contraction sizes differ: ")
           << dimStr(k) << " vs " << dimStr(k2);
  if (!compatible(m, res.getDimSize(0)) || !compatible(n, res.getDimSize(1)))
    return emitOpError("result shape should be ")
           << dimStr(m) << "x" << dimStr(n) << ", got " << res;
  return success();
}

//===----------------------------------------------------------------------===//
// ContractOp
//===----------------------------------------------------------------------===//

std::array<StringRef, 3> ContractOp::getTerms() {
  auto [inputs, result] = getSpec().split("->");
  auto [lhs, rhs] = inputs.split(',');
  return {lhs, rhs, result};
}

LogicalResult ContractOp::verify() {
  if (!getSpec().contains("->") || !getSpec().contains(','))
    return emitOpError("spec must read \"lhs,rhs->result\", got '")
           << getSpec() << "'";
  std::array<StringRef, 3> terms = getTerms();
  std::array<RankedTensorType, 3> types = {
      getLhs().getType(), getRhs().getType(), getType()};
  const char *what[] = {"lhs", "rhs", "result"};
  llvm::SmallDenseMap<char, int64_t> size; // the first static size seen
  for (int t = 0; t < 3; ++t) {
    if ((int64_t)terms[t].size() != types[t].getRank())
      return emitOpError(what[t]) << " term '" << terms[t] << "' has "
                                  << terms[t].size() << " letters for rank "
                                  << types[t].getRank();
    for (auto [i, c] : llvm::enumerate(terms[t])) {
      if (c < 'a' || c > 'z')
        return emitOpError("spec letters must be a-z, got '") << c << "'";
      if (terms[t].find(c, i + 1) != StringRef::npos)
        return emitOpError("letter '") << c << "' repeats in " << what[t];
      int64_t d = types[t].getDimSize(i);
      auto [it, first] = size.try_emplace(c, d);
      int64_t &known = it->second;
      if (first || ShapedType::isDynamic(known))
        known = d;
      else if (!compatible(known, d))
        return emitOpError("letter '") << c << "' has sizes " << known
                                       << " and " << dimStr(d);
    }
  }
  for (int t = 0; t < 2; ++t)
    for (char c : terms[t])
      if (!terms[1 - t].contains(c) && !terms[2].contains(c))
        return emitOpError("letter '")
               << c << "' of " << what[t]
               << " appears in neither the other operand nor the result";
  for (char c : terms[2])
    if (!terms[0].contains(c) && !terms[1].contains(c))
      return emitOpError("result letter '") << c << "' is in no operand";
  return success();
}

//===----------------------------------------------------------------------===//
// Bias
//===----------------------------------------------------------------------===//

/// `trailing` has the shape of `full`'s last dimensions (and fewer of them).
static LogicalResult verifyTrailing(Operation *op, RankedTensorType full,
                                    RankedTensorType trailing,
                                    StringRef what) {
  int64_t k = trailing.getRank(), r = full.getRank();
  bool ok = k >= 1 && k < r;
  for (int64_t i = 0; ok && i < k; ++i)
    ok = compatible(trailing.getDimSize(i), full.getDimSize(r - k + i));
  if (!ok)
    return op->emitOpError() << what << " " << trailing
                             << " must have the shape of the trailing "
                                "dimensions of "
                             << full;
  return success();
}

LogicalResult BiasAddOp::verify() {
  return verifyTrailing(*this, getInput().getType(), getBias().getType(),
                        "bias");
}
LogicalResult BiasAddGradOp::verify() {
  return verifyTrailing(*this, getGrad().getType(), getType(), "result");
}
LogicalResult ScaleChannelsOp::verify() {
  return verifyTrailing(*this, getInput().getType(), getScale().getType(),
                        "scale");
}

//===----------------------------------------------------------------------===//
// Concatenation and slicing along the last dimension
//===----------------------------------------------------------------------===//

/// The leading dimensions of `a` and `b` agree (same rank, compatible sizes).
static bool sameLeading(RankedTensorType a, RankedTensorType b) {
  if (a.getRank() != b.getRank())
    return false;
  for (int64_t i = 0; i + 1 < a.getRank(); ++i)
    if (!compatible(a.getDimSize(i), b.getDimSize(i)))
      return false;
  return true;
}

LogicalResult ConcatOp::verify() {
  auto res = getResult().getType();
  if (getInputs().empty() || res.getRank() < 1)
    return emitOpError("expects at least one input of rank >= 1");
  int64_t total = 0;
  for (Value v : getInputs()) {
    auto t = cast<RankedTensorType>(v.getType());
    if (!sameLeading(t, res))
      return emitOpError("input ") << t << " does not match the leading "
                                   << "dimensions of " << res;
    int64_t last = t.getDimSize(t.getRank() - 1);
    if (ShapedType::isDynamic(last))
      return emitOpError("inputs need a static last dimension");
    total += last;
  }
  if (!compatible(total, res.getDimSize(res.getRank() - 1)))
    return emitOpError("result's last dimension should be ") << total;
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), res = getResult().getType();
  if (in.getRank() < 1 || res.getRank() < 1 ||
      !compatible(in.getDimSize(0), res.getDimSize(0)))
    return emitOpError("keeps the batch dimension: ")
           << in << " vs " << res;
  auto perExample = [](RankedTensorType t) -> int64_t {
    int64_t n = 1;
    for (int64_t d : t.getShape().drop_front()) {
      if (ShapedType::isDynamic(d))
        return ShapedType::kDynamic;
      n *= d;
    }
    return n;
  };
  int64_t a = perExample(in), b = perExample(res);
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a != b)
    return emitOpError("per-example sizes differ: ")
           << dimStr(a) << " vs " << dimStr(b);
  return success();
}

LogicalResult TransposeOp::verify() {
  ArrayRef<int64_t> perm = getPermutation();
  auto in = getInput().getType(), res = getType();
  SmallVector<bool> seen(in.getRank(), false);
  bool ok = int64_t(perm.size()) == in.getRank() &&
            res.getRank() == in.getRank() && !perm.empty() && perm[0] == 0;
  for (int64_t p : perm) {
    ok = ok && p >= 0 && p < in.getRank() && !seen[p];
    if (ok)
      seen[p] = true;
  }
  if (!ok)
    return emitOpError("expects a permutation of the ")
           << in.getRank() << " dimensions with the batch (0) first";
  for (auto [j, p] : llvm::enumerate(perm))
    if (!compatible(res.getDimSize(j), in.getDimSize(p)))
      return emitOpError("result dimension ")
             << j << " should be input dimension " << p << " ("
             << dimStr(in.getDimSize(p)) << ")";
  return success();
}

LogicalResult SliceLastOp::verify() {
  auto in = getInput().getType(), res = getResult().getType();
  if (!sameLeading(in, res))
    return emitOpError("result ") << res << " does not match the leading "
                                  << "dimensions of " << in;
  int64_t size = res.getDimSize(res.getRank() - 1);
  int64_t have = in.getDimSize(in.getRank() - 1);
  if (ShapedType::isDynamic(size) || getOffset() < 0 ||
      (!ShapedType::isDynamic(have) && getOffset() + size > have))
    return emitOpError("window [") << getOffset() << ", " << getOffset() + size
                                   << ") does not fit in " << dimStr(have);
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

/// Checks a sweep of `window` over the images `in` [N, H, W, C] giving
/// `out` [N, OH, OW, C']: attribute lengths, positive sizes, pads smaller
/// than the window, and OH/OW. Channels are the caller's business.
static LogicalResult verifySweep(Operation *op, RankedTensorType in,
                                 RankedTensorType out,
                                 ArrayRef<int64_t> window,
                                 ArrayRef<int64_t> strides,
                                 ArrayRef<int64_t> dilations,
                                 ArrayRef<int64_t> padding) {
  if (in.getRank() != 4 || out.getRank() != 4)
    return op->emitOpError("expects [batch, height, width, channels] images, "
                           "got ")
           << in << " and " << out;
  if (window.size() != 2 || strides.size() != 2 || dilations.size() != 2 ||
      padding.size() != 4)
    return op->emitOpError("expects 2 window sizes, strides and dilations "
                           "and 4 pads [top, bottom, left, right]");
  if (!compatible(in.getDimSize(0), out.getDimSize(0)))
    return op->emitOpError("batch sizes differ: ")
           << dimStr(in.getDimSize(0)) << " vs " << dimStr(out.getDimSize(0));
  for (int d = 0; d < 2; ++d) {
    WindowDim w{window[d], strides[d], dilations[d], padding[2 * d],
                padding[2 * d + 1]};
    if (w.window < 1 || w.stride < 1 || w.dilation < 1)
      return op->emitOpError("window sizes, strides and dilations must be "
                             "positive");
    if (!w.padsFit())
      return op->emitOpError("pads must be >= 0 and smaller than the "
                             "window extent ")
             << w.extent();
    int64_t size = in.getDimSize(1 + d);
    if (ShapedType::isDynamic(size))
      return op->emitOpError("expects static image sizes");
    if (w.outSize(size) < 1)
      return op->emitOpError("window extent ")
             << w.extent() << " does not fit in " << size << " padded by "
             << w.padBefore << "+" << w.padAfter;
    if (out.getDimSize(1 + d) != w.outSize(size))
      return op->emitOpError(d == 0 ? "output height" : "output width")
             << " should be " << w.outSize(size) << ", got "
             << dimStr(out.getDimSize(1 + d));
  }
  return success();
}

/// conv2d's shapes, whichever op carries them: `in` the forward input,
/// `filter` [kh, kw, in/groups, out], `out` the forward result.
static LogicalResult verifyConv(Operation *op, RankedTensorType in,
                                RankedTensorType filter, RankedTensorType out,
                                ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> dilations,
                                ArrayRef<int64_t> padding, int64_t groups) {
  if (filter.getRank() != 4 || !filter.hasStaticShape())
    return op->emitOpError("expects a static [kh, kw, in/groups, out] "
                           "filter, got ")
           << filter;
  if (failed(verifySweep(op, in, out, filter.getShape().take_front(2),
                         strides, dilations, padding)))
    return failure();
  int64_t c = in.getDimSize(3), o = filter.getDimSize(3);
  if (groups < 1 || o % groups != 0)
    return op->emitOpError("groups (")
           << groups << ") must divide the " << o << " output channels";
  if (c != filter.getDimSize(2) * groups)
    return op->emitOpError("input has ")
           << dimStr(c) << " channels; the filter expects "
           << filter.getDimSize(2) << " x " << groups << " groups";
  if (out.getDimSize(3) != o)
    return op->emitOpError("output should have ")
           << o << " channels, got " << dimStr(out.getDimSize(3));
  return success();
}

LogicalResult Conv2DOp::verify() {
  return verifyConv(*this, getInput().getType(), getFilter().getType(),
                    getType(), getStrides(), getDilations(), getPadding(),
                    getGroups());
}
LogicalResult Conv2DInputGradOp::verify() {
  return verifyConv(*this, getType(), getFilter().getType(),
                    getGrad().getType(), getStrides(), getDilations(),
                    getPadding(), getGroups());
}
LogicalResult Conv2DFilterGradOp::verify() {
  return verifyConv(*this, getInput().getType(), getType(),
                    getGrad().getType(), getStrides(), getDilations(),
                    getPadding(), getGroups());
}

/// Pooling keeps the channels.
static LogicalResult verifyPool(Operation *op, RankedTensorType in,
                                RankedTensorType out, ArrayRef<int64_t> window,
                                ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> padding) {
  const int64_t unit[] = {1, 1};
  if (failed(verifySweep(op, in, out, window, strides, unit, padding)))
    return failure();
  if (!compatible(in.getDimSize(3), out.getDimSize(3)))
    return op->emitOpError("pooling keeps the channels: ")
           << dimStr(in.getDimSize(3)) << " vs " << dimStr(out.getDimSize(3));
  return success();
}

LogicalResult MaxPool2DOp::verify() {
  return verifyPool(*this, getInput().getType(), getType(), getWindow(),
                    getStrides(), getPadding());
}
LogicalResult AvgPool2DOp::verify() {
  return verifyPool(*this, getInput().getType(), getType(), getWindow(),
                    getStrides(), getPadding());
}
LogicalResult MaxPool2DGradOp::verify() {
  return verifyPool(*this, getInput().getType(), getGrad().getType(),
                    getWindow(), getStrides(), getPadding());
}
LogicalResult AvgPool2DGradOp::verify() {
  return verifyPool(*this, getType(), getGrad().getType(), getWindow(),
                    getStrides(), getPadding());
}

//===----------------------------------------------------------------------===//
// Sequences
//===----------------------------------------------------------------------===//

static LogicalResult verifyEmbedding(Operation *op, RankedTensorType ids,
                                     RankedTensorType table,
                                     RankedTensorType embedded) {
  if (table.getRank() != 2 || !table.hasStaticShape())
    return op->emitOpError("expects a static [vocabulary, dim] table, got ")
           << table;
  bool ok = embedded.getRank() == ids.getRank() + 1 &&
            embedded.getShape().back() == table.getDimSize(1);
  for (int64_t i = 0; ok && i < ids.getRank(); ++i)
    ok = compatible(ids.getDimSize(i), embedded.getDimSize(i));
  if (!ok)
    return op->emitOpError("embedded ")
           << embedded << " should have the shape of ids " << ids
           << " plus the table's " << table.getDimSize(1);
  return success();
}

LogicalResult EmbeddingOp::verify() {
  return verifyEmbedding(*this, getIds().getType(), getTable().getType(),
                         getType());
}
LogicalResult EmbeddingGradOp::verify() {
  return verifyEmbedding(*this, getIds().getType(), getType(),
                         getGrad().getType());
}

LogicalResult CausalMaskOp::verify() {
  if (getType().getRank() < 2)
    return emitOpError("expects [..., queries, keys] scores");
  return success();
}

LogicalResult NormalizeOp::verify() {
  if (!(getEpsilon().convertToFloat() > 0.0f))
    return emitOpError("epsilon must be positive");
  return success();
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

static LogicalResult verifyRate(Operation *op, float rate) {
  if (!(rate >= 0.0f && rate < 1.0f))
    return op->emitOpError("rate must lie in [0, 1), got ") << rate;
  return success();
}

LogicalResult DropoutOp::verify() {
  return verifyRate(*this, getRate().convertToFloat());
}
LogicalResult DropoutMaskOp::verify() {
  return verifyRate(*this, getRate().convertToFloat());
}

Value DropoutOp::buildForMode(OpBuilder &b, bool, Value step,
                              SmallVectorImpl<std::pair<Value, Value>> &) {
  if (!step)
    return getInput();
  return b.create<DropoutMaskOp>(getLoc(), getInput(), step, getRateAttr(),
                                 getSeedAttr());
}

//===----------------------------------------------------------------------===//
// Batch normalization
//===----------------------------------------------------------------------===//

LogicalResult ChannelMeanOp::verify() {
  return verifyTrailing(*this, getInput().getType(), getType(), "result");
}
LogicalResult ChannelMeanGradOp::verify() {
  return verifyTrailing(*this, getInput().getType(), getGrad().getType(),
                        "cotangent");
}

LogicalResult BatchNormOp::verify() {
  RankedTensorType stats = getMovingMean().getType();
  if (stats.getRank() != 1 || getInput().getType().getRank() < 2 ||
      !compatible(stats.getDimSize(0), getInput().getType().getDimSize(
                                           getInput().getType().getRank() - 1)))
    return emitOpError("moving statistics ")
           << stats << " must be [channels], the last dimension of "
           << getInput().getType();
  if (!(getEpsilon().convertToFloat() > 0.0f))
    return emitOpError("epsilon must be positive");
  float m = getMomentum().convertToFloat();
  if (!(m >= 0.0f && m <= 1.0f))
    return emitOpError("momentum must lie in [0, 1], got ") << m;
  return success();
}

static Value affine(OpBuilder &b, Location loc, Value v, double factor,
                    double offset) {
  return b.create<ScaleOp>(loc, v, b.getF32FloatAttr(factor),
                           b.getF32FloatAttr(offset));
}

// (x - mean) * rsqrt(var + eps), with `centered` = x - mean.
static Value standardized(OpBuilder &b, Location loc, Value centered,
                          Value var, double epsilon) {
  Value inv = b.create<RsqrtOp>(loc, affine(b, loc, var, 1.0, epsilon));
  return b.create<ScaleChannelsOp>(loc, centered, inv);
}

Value BatchNormOp::buildInference(OpBuilder &b, Location loc, Value x,
                                  Value mean, Value variance, double epsilon) {
  Value centered =
      b.create<BiasAddOp>(loc, x, affine(b, loc, mean, -1.0, 0.0));
  return standardized(b, loc, centered, variance, epsilon);
}

// Training: the batch statistics from per-channel primitives, so autodiff
// differentiates through them; the moving statistics take
// `momentum * moving + (1 - momentum) * batch`.
Value BatchNormOp::buildForMode(
    OpBuilder &b, bool training, Value,
    SmallVectorImpl<std::pair<Value, Value>> &stateUpdates) {
  Location loc = getLoc();
  double eps = getEpsilon().convertToDouble();
  if (!training)
    return buildInference(b, loc, getInput(), getMovingMean(),
                          getMovingVariance(), eps);
  Type stats = getMovingMean().getType();
  Value mean = b.create<ChannelMeanOp>(loc, stats, getInput());
  Value centered =
      b.create<BiasAddOp>(loc, getInput(), affine(b, loc, mean, -1.0, 0.0));
  Value var = b.create<ChannelMeanOp>(
      loc, stats, b.create<MulOp>(loc, centered, centered));
  double m = getMomentum().convertToDouble();
  auto moved = [&](Value moving, Value batch) -> Value {
    Value kept = affine(b, loc, moving, m, 0.0);
    return b.create<AddOp>(loc, kept, affine(b, loc, batch, 1.0 - m, 0.0));
  };
  stateUpdates.push_back({getMovingMean(), moved(getMovingMean(), mean)});
  stateUpdates.push_back(
      {getMovingVariance(), moved(getMovingVariance(), var)});
  return standardized(b, loc, centered, var, eps);
}

LogicalResult ClipByNormOp::verify() {
  if (!(getMaxNorm().convertToFloat() > 0.0f))
    return emitOpError("max_norm must be positive");
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

/// Dense targets: [batch, classes], the prediction's shape.
static LogicalResult verifyDenseLoss(Operation *op, RankedTensorType pred,
                                     RankedTensorType target) {
  if (pred.getRank() != 2)
    return op->emitOpError("expects a [batch, outputs] prediction, got ")
           << pred;
  if (target.getRank() != 2 ||
      !compatible(pred.getDimSize(0), target.getDimSize(0)) ||
      !compatible(pred.getDimSize(1), target.getDimSize(1)))
    return op->emitOpError("target ")
           << target << " does not match prediction " << pred;
  return success();
}

LogicalResult MeanSquaredErrorOp::verify() {
  return verifyDenseLoss(*this, getPrediction().getType(),
                         getTarget().getType());
}
LogicalResult BinaryCrossentropyOp::verify() {
  return verifyDenseLoss(*this, getPrediction().getType(),
                         getTarget().getType());
}
LogicalResult CategoricalCrossentropyOp::verify() {
  return verifyDenseLoss(*this, getPrediction().getType(),
                         getTarget().getType());
}
/// Labels: one per prediction vector, the prediction's shape without its
/// class dimension.
static LogicalResult verifyLabels(Operation *op, RankedTensorType pred,
                                  RankedTensorType labels) {
  if (pred.getRank() < 2)
    return op->emitOpError("expects a [batch, ..., classes] prediction, got ")
           << pred;
  bool ok = labels.getRank() == pred.getRank() - 1;
  for (int64_t i = 0; ok && i < labels.getRank(); ++i)
    ok = compatible(pred.getDimSize(i), labels.getDimSize(i));
  if (!ok)
    return op->emitOpError("labels ") << labels << " should have the shape of "
                                      << pred << " without its class dimension";
  return success();
}

LogicalResult SparseCategoricalCrossentropyOp::verify() {
  return verifyLabels(*this, getPrediction().getType(), getTarget().getType());
}
LogicalResult SoftmaxCrossentropyGradOp::verify() {
  auto target = cast<RankedTensorType>(getTarget().getType());
  if (isa<IntegerType>(target.getElementType()))
    return verifyLabels(*this, getProbabilities().getType(), target);
  return verifyDenseLoss(*this, getProbabilities().getType(), target);
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

/// Results: the parameter's type, then one per slot (each the parameter's
/// type too). `fixedOperands` counts the non-slot operands.
static LogicalResult inferUpdateTypes(ValueRange operands,
                                      unsigned fixedOperands,
                                      SmallVectorImpl<Type> &types) {
  if (operands.size() < fixedOperands)
    return failure();
  types.append(operands.size() - fixedOperands + 1, operands[0].getType());
  return success();
}

static LogicalResult verifySlots(Operation *op, Value param, ValueRange slots,
                                 unsigned expected) {
  if (slots.size() != expected)
    return op->emitOpError("expects ")
           << expected << " optimizer slot(s) for these hyperparameters, got "
           << slots.size();
  for (Value s : slots)
    if (s.getType() != param.getType())
      return op->emitOpError("slot type ")
             << s.getType() << " differs from parameter type "
             << param.getType();
  return success();
}

LogicalResult SgdUpdateOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &types) {
  return inferUpdateTypes(operands, /*param, grad, lr=*/3, types);
}
LogicalResult SgdUpdateOp::verify() {
  unsigned slots = getMomentum().convertToFloat() != 0.0f ? 1 : 0;
  if (getNesterov() && !slots)
    return emitOpError("nesterov needs a non-zero momentum");
  return verifySlots(*this, getParam(), getSlots(), slots);
}

LogicalResult AdamUpdateOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &types) {
  return inferUpdateTypes(operands, /*param, grad, lr, iteration=*/4, types);
}
LogicalResult AdamUpdateOp::verify() {
  return verifySlots(*this, getParam(), getSlots(), getAmsgrad() ? 3 : 2);
}

LogicalResult RmspropUpdateOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &types) {
  return inferUpdateTypes(operands, /*param, grad, lr=*/3, types);
}
LogicalResult RmspropUpdateOp::verify() {
  if (getMomentum().convertToFloat() < 0.0f)
    return emitOpError("momentum must be >= 0");
  return verifySlots(
      *this, getParam(), getSlots(),
      numSlots(getMomentum().convertToFloat() > 0.0f, getCentered()));
}
