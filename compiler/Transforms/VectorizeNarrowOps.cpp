//===- VectorizeNarrowOps.cpp - one vector per innermost row --------------===//
//
// Expects: linalg generics on buffers (after bufferization; large ones
// reach here through sinter-parallelize-loops). Produces: for each generic
// whose output's innermost dimension is a parallel loop, static and at
// most two vector registers wide (lenet's 6 or 16 channels, a matmul's
// peeled 20-column edge), and which LLVM could not vectorize on its own
// (operands read through broadcasts, a pool's taps, sums), loops over its
// other dimensions whose body
// reads each operand's innermost row as one vector (a scalar, broadcast,
// where the operand does not vary along it), applies the generic's body to
// whole vectors and writes one vector (one for each result of a generic
// with several, written alike: a layer norm's output and normalized
// input). A row narrower than a power of two is read and written masked
// (6 floats as one masked 8-lane operation) on AVX-512, in power-of-two
// pieces (4 + 2) elsewhere. On AVX-512, rows that follow each other along
// the loop outside them and fit one vector together take that loop into
// the vector (a pool gradient's 2 column taps of 6 channels: 12 lanes).
// Sums over outer dimensions run inside the parallel loops, rows of
// partial sums in registers (up to four: see sumChains), in an order fixed
// at compile time, so results are the same for any thread count. A sum
// into wider rows
// (a bias gradient over 120 or 512 features) is cut into such blocks of
// two registers first. A copy transposing rows of up to four vectors runs
// in shuffled blocks of positions (TransposedCopies.cpp).
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
#include "compiler/Transforms/ParallelLoopUtils.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/bit.h"

namespace sinter {
#define GEN_PASS_DEF_VECTORIZENARROWOPS
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

/// Targets with this many lanes or more (AVX-512) have masked loads and
/// stores as cheap as plain ones.
constexpr int64_t kCheapMaskLanes = 16;

/// Whether the innermost dimensions of `type` are one contiguous run: LLVM
/// then sees one long innermost loop once the loops are merged. (MLIR's
/// trailingNDimsContiguous wants static sizes all along.)
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

/// The loop a generic's rows run along: its output's innermost dimension,
/// if that is a parallel loop (a peeled matmul edge sums innermost; its
/// rows still run along the output's columns).
std::optional<int64_t> rowLoop(linalg::GenericOp op) {
  if (op.getNumDpsInits() == 0)
    return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  // Several results (a layer norm's output and the normalized input the
  // backward pass keeps): written row by row alike, so no sums, the same
  // map for each, none read.
  if (op.getNumDpsInits() > 1 &&
      (op.getNumReductionLoops() != 0 ||
       llvm::any_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
         return op.getMatchingIndexingMap(&init) != out ||
                !op.getMatchingBlockArgument(&init).use_empty();
       })))
    return std::nullopt;
  if (out.getNumResults() == 0)
    return std::nullopt;
  auto dim = dyn_cast<AffineDimExpr>(out.getResults().back());
  if (!dim || op.getIteratorTypesArray()[dim.getPosition()] !=
                  utils::IteratorType::parallel)
    return std::nullopt;
  return dim.getPosition();
}

/// A loop whose steps a narrow op's rows follow, run inside its vectors:
/// lenet's pool gradient writes rows of 6 channels for each of a window's
/// 2 column taps, 12 floats one after another, which run as one masked
/// vector of 16 lanes instead of two of 8 with 6 used.
struct MergedLoop {
  int64_t loop;  // merged into the row: all its steps in one vector
  int64_t steps; // its trip count
};

/// The loop whose steps `op`'s rows (along loop `inner`, of `channels`
/// floats) follow in its output, when all its steps fit `lanes` with
/// masks (AVX-512): no sums, and every input either reads those rows the
/// same way or does not vary along that loop.
std::optional<MergedLoop> mergedLoop(linalg::GenericOp op, int64_t inner,
                                     int64_t lanes) {
  if (lanes < kCheapMaskLanes || op.getNumReductionLoops() != 0 ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  int64_t channels = sizes[inner];
  // The output's dimension outside the row, past single ones.
  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap out = op.getMatchingIndexingMap(init);
  auto type = cast<MemRefType>(init->get().getType());
  std::optional<int64_t> loop;
  for (int64_t p = int64_t(out.getNumResults()) - 2; p >= 0 && !loop; --p) {
    auto dim = dyn_cast<AffineDimExpr>(out.getResult(p));
    if (dim && sizes[dim.getPosition()] != 1)
      loop = dim.getPosition();
    else if (type.getDimSize(p) != 1)
      return std::nullopt;
  }
  if (!loop || ShapedType::isDynamic(sizes[*loop]) ||
      sizes[*loop] * channels > lanes ||
      op.getIteratorTypesArray()[*loop] != utils::IteratorType::parallel ||
      !rowsFollow(op, *init, *loop, channels))
    return std::nullopt;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.isFunctionOfDim(*loop) &&
        (!map.isFunctionOfDim(inner) ||
         !rowsFollow(op, *input, *loop, channels)))
      return std::nullopt;
  }
  return MergedLoop{*loop, sizes[*loop]};
}

/// How many rows of partial sums a narrow op's sum carries: where its body
/// adds each term into the output (`out + term`, nothing else reading
/// `out`) and the innermost sum's trip count is static, the largest of 4,
/// 3 and 2 that divides it; else 1. One row makes every add wait for the
/// one before (lenet's conv1 bias gradient: 784 dependent adds an image,
/// a quarter of its backward chain). The order stays fixed at compile
/// time, for any thread count.
int64_t sumChains(linalg::GenericOp op, int64_t innermost) {
  BlockArgument acc = op.getMatchingBlockArgument(op.getDpsInitOperand(0));
  auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || !acc.hasOneUse() || (add.getLhs() != acc && add.getRhs() != acc))
    return 1;
  int64_t trips = op.getStaticLoopRanges()[innermost];
  if (ShapedType::isDynamic(trips))
    return 1;
  for (int64_t chains : {4, 3, 2})
    if (trips % chains == 0)
      return chains;
  return 1;
}

} // namespace

bool sinter::loadsAsVector(Type element) {
  return isa<FloatType>(element) ||
         (element.isSignlessInteger() && element.getIntOrFloatBitWidth() >= 8);
}

scf::LoopNest sinter::loopsOver(
    OpBuilder &b, Location loc, ArrayRef<Range> ranges, ArrayRef<int64_t> dims,
    MutableArrayRef<Value> iv, ValueRange iterArgs,
    function_ref<scf::ValueVector(OpBuilder &, ValueRange)> body) {
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d : dims) {
    lbs.push_back(getValueOrCreateConstantIndexOp(b, loc, ranges[d].offset));
    ubs.push_back(getValueOrCreateConstantIndexOp(b, loc, ranges[d].size));
    steps.push_back(getValueOrCreateConstantIndexOp(b, loc, ranges[d].stride));
  }
  return scf::buildLoopNest(
      b, loc, lbs, ubs, steps, iterArgs,
      [&](OpBuilder &nb, Location, ValueRange ivs, ValueRange args) {
        for (auto [d, v] : llvm::zip(dims, ivs))
          iv[d] = v;
        return body(nb, args);
      });
}

SmallVector<Value> sinter::indicesAt(OpBuilder &b, Location loc,
                                     linalg::GenericOp op, OpOperand &operand,
                                     ArrayRef<Value> iv) {
  SmallVector<Value> idx;
  for (AffineExpr e : op.getMatchingIndexingMap(&operand).getResults()) {
    if (auto c = dyn_cast<AffineConstantExpr>(e))
      idx.push_back(b.create<arith::ConstantIndexOp>(loc, c.getValue()));
    else
      idx.push_back(iv[cast<AffineDimExpr>(e).getPosition()]);
  }
  return idx;
}

bool sinter::rowsFollow(linalg::GenericOp op, OpOperand &operand, int64_t d,
                        int64_t rowSize) {
  auto type = cast<MemRefType>(operand.get().getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  (void)getStridesAndOffset(type, strides, offset);
  AffineMap map = op.getMatchingIndexingMap(&operand);
  int64_t pos = *map.getResultPosition(getAffineDimExpr(d, op.getContext()));
  bool follow = strides[pos] == rowSize;
  for (int64_t p = pos + 1; p + 1 < map.getNumResults(); ++p)
    follow &= type.getDimSize(p) == 1;
  return follow;
}

SmallVector<Value> sinter::vectorizedBody(OpBuilder &b, Location loc,
                                          linalg::GenericOp op,
                                          IRMapping &values, ArrayRef<Value> iv,
                                          int64_t width) {
  for (Operation &bodyOp : op.getBody()->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(bodyOp)) {
      values.map(index.getResult(), iv[index.getDim()]);
      continue;
    }
    SmallVector<Value> operands =
        llvm::map_to_vector(bodyOp.getOperands(),
                            [&](Value v) { return values.lookupOrDefault(v); });
    bool anyVector = llvm::any_of(
        operands, [](Value v) { return isa<VectorType>(v.getType()); });
    if (!anyVector) {
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
  return llvm::map_to_vector(yield.getOperands(), [&](Value v) {
    return asVector(b, loc, values.lookupOrDefault(v), width);
  });
}

// The checks, in order: buffers, the output's innermost dimension a
// parallel loop, static and at most two registers wide, maps of dimensions and
// constants with the innermost dimension last and at unit stride where it is
// used, a body of elementwise ops, and not already vectorizable by LLVM.
bool sinter::isNarrowOp(linalg::GenericOp op, int64_t lanes, bool wide) {
  if (!wide && transposesNarrowRows(op, lanes))
    return true;
  std::optional<int64_t> row = rowLoop(op);
  if (!op.hasPureBufferSemantics() || op.getNumLoops() < 2 || !row)
    return false;
  int64_t inner = *row;
  int64_t width = op.getStaticLoopRanges()[inner];
  if (ShapedType::isDynamic(width) || width < 2 ||
      (wide ? width <= 2 * lanes || op.getNumReductionLoops() == 0
            : width > 2 * lanes))
    return false;
  bool allIdentity = true;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !loadsAsVector(type.getElementType()))
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
      if (i + 1 != map.getNumResults() || !isLastMemrefDimUnitStride(type))
        return false;
    }
  }
  // The output is written a row at a time: it must vary along the row.
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!out.isFunctionOfDim(inner))
    return false;
  // Whole registers a row are ours too: LLVM unrolls a 16-trip loop
  // before its vectorizer sees it, and its SLP vectorizer left lenet's
  // ReLU gradient over 16 channels scalar.
  if (allIdentity && op.getNumReductionLoops() == 0 && width % lanes != 0)
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
                                                     linalg::GenericOp op,
                                                     int64_t lanes) {
  if (std::optional<SmallVector<scf::ForOp>> loops =
          lowerNarrowRowsTranspose(rewriter, op, lanes))
    return *loops;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  int64_t inner = *rowLoop(op);
  int64_t channels = op.getStaticLoopRanges()[inner];
  std::optional<MergedLoop> merged = mergedLoop(op, inner, lanes);
  // The floats a vector takes: a row, or with a merged loop a row for each
  // of its steps.
  int64_t rowFloats = merged ? channels * merged->steps : channels;
  // A whole register of lanes, the ones past the row masked off: 6 floats
  // in one masked ymm operation rather than an xmm and a pair, where
  // masks are cheap (AVX-512). AVX2's masked store is microcoded on AMD
  // (a 6-float one took ~12 cycles on Zen 3, two thirds of a weight
  // gradient's packing) and SSE has none: there the row is read and
  // written in power-of-two pieces (6 floats: 4 + 2).
  int64_t width = llvm::PowerOf2Ceil(rowFloats);
  bool pieces = width != rowFloats && lanes < kCheapMaskLanes;
  SmallVector<Range, 4> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rewriter, loc);
  // Loops: the parallel dimensions, then the reductions (each result sums
  // its terms in the order it did), the row's vector carried through them.
  SmallVector<int64_t> parallelDims, reductionDims;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (int64_t(d) != inner && (!merged || int64_t(d) != merged->loop))
      (it == utils::IteratorType::parallel ? parallelDims : reductionDims)
          .push_back(d);
  Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
  auto maskOf = [&](int64_t size, int64_t set) -> Value {
    if (size == set)
      return nullptr;
    return rewriter.create<vector::CreateMaskOp>(
        loc, VectorType::get({size}, rewriter.getI1Type()),
        ValueRange{rewriter.create<arith::ConstantIndexOp>(loc, set)});
  };
  Value mask = pieces ? nullptr : maskOf(width, rowFloats);
  // With a merged loop: an input that does not vary along it reads its
  // row once (masked to the row's floats) and repeats it for each step;
  // the body's index along it is each lane's step.
  int64_t rowWidth = llvm::PowerOf2Ceil(channels);
  Value rowMask, laneSteps;
  SmallVector<int64_t> repeatRow;
  if (merged) {
    rowMask = maskOf(rowWidth, channels);
    SmallVector<APInt> steps;
    for (int64_t lane = 0; lane < width; ++lane) {
      bool used = lane < rowFloats;
      repeatRow.push_back(used ? lane % channels : 0);
      steps.push_back(APInt(64, used ? lane / channels : 0));
    }
    auto stepsOnLoop = [&](linalg::IndexOp index) {
      return int64_t(index.getDim()) == merged->loop;
    };
    if (llvm::any_of(op.getBody()->getOps<linalg::IndexOp>(), stepsOnLoop)) {
      auto type = VectorType::get({width}, rewriter.getIndexType());
      laneSteps = rewriter.create<arith::ConstantOp>(
          loc, type, DenseElementsAttr::get(type, steps));
    }
  }
  SmallVector<Value> iv(op.getNumLoops(), zero); // the innermost stays 0
  auto indices = [&](OpBuilder &b, OpOperand &operand) {
    return indicesAt(b, loc, op, operand, iv);
  };
  // Calls `piece(at, offset, size)` for the row's power-of-two pieces,
  // largest first: `at` the indices of `size` floats `offset` into the row
  // that starts at `row` (the row is the innermost, last index).
  auto forEachPiece = [&](OpBuilder &b, SmallVector<Value> row, auto piece) {
    Value start = row.back();
    for (int64_t offset = 0; offset < channels;) {
      int64_t size = int64_t(llvm::bit_floor(uint64_t(channels - offset)));
      row.back() = b.create<arith::AddIOp>(
          loc, start, b.create<arith::ConstantIndexOp>(loc, offset));
      piece(ValueRange(row), offset, size);
      offset += size;
    }
  };
  // `type`'s floats of an operand's row, the lanes off `mask` (if any)
  // read as zeros.
  auto load = [&](OpBuilder &b, OpOperand &operand, VectorType type,
                  Value mask) -> Value {
    if (!mask)
      return b.create<vector::LoadOp>(loc, type, operand.get(),
                                      indices(b, operand));
    Value pad = b.create<arith::ConstantOp>(loc, b.getZeroAttr(type));
    return b.create<vector::MaskedLoadOp>(loc, type, operand.get(),
                                          indices(b, operand), mask, pad);
  };
  // An operand's row as a vector, or its value (a scalar, broadcast when
  // it meets a vector) where it does not vary along the row.
  auto read = [&](OpBuilder &b, OpOperand &operand) -> Value {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isFunctionOfDim(inner))
      return b.create<memref::LoadOp>(loc, operand.get(), indices(b, operand));
    Type element = getElementTypeOrSelf(operand.get().getType());
    if (merged && !map.isFunctionOfDim(merged->loop)) {
      Value rowVector =
          load(b, operand, VectorType::get({rowWidth}, element), rowMask);
      return b.create<vector::ShuffleOp>(loc, rowVector, rowVector, repeatRow);
    }
    auto type = VectorType::get({width}, element);
    if (!pieces)
      return load(b, operand, type, mask);
    Value rowVector = b.create<arith::ConstantOp>(loc, b.getZeroAttr(type));
    forEachPiece(b, indices(b, operand),
                 [&](ValueRange at, int64_t offset, int64_t size) {
                   Value piece = b.create<vector::LoadOp>(
                       loc, VectorType::get({size}, element), operand.get(),
                       at);
                   rowVector = b.create<vector::InsertStridedSliceOp>(
                       loc, piece, rowVector, offset, 1);
                 });
    return rowVector;
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
    SmallVector<Value> at(iv);
    if (merged)
      at[merged->loop] = laneSteps;
    return sinter::vectorizedBody(b, loc, op, values, at, width);
  };
  // `value`, a row of result `init`, into its output.
  auto write = [&](OpBuilder &b, OpOperand *init, Value value) {
    if (mask)
      b.create<vector::MaskedStoreOp>(loc, init->get(), indices(b, *init), mask,
                                      value);
    else if (!pieces)
      b.create<vector::StoreOp>(loc, value, init->get(), indices(b, *init));
    else
      forEachPiece(b, indices(b, *init),
                   [&](ValueRange at, int64_t offset, int64_t size) {
                     Value piece = b.create<vector::ExtractStridedSliceOp>(
                         loc, value, offset, size, 1);
                     b.create<vector::StoreOp>(loc, piece, init->get(), at);
                   });
  };
  SmallVector<scf::ForOp> loops;
  scf::LoopNest nest = loopsOver(
      rewriter, loc, ranges, parallelDims, iv, {},
      [&](OpBuilder &b, ValueRange) -> scf::ValueVector {
        if (reductionDims.empty()) {
          for (auto [out, value] :
               llvm::zip_equal(op.getDpsInitsMutable(), row(b, nullptr)))
            write(b, &out, value);
          return {};
        }
        int64_t chains = sumChains(op, reductionDims.back());
        // `chains` rows of partial sums (often one), the first starting
        // from the output's value, the others from zero; the innermost sum
        // steps by `chains`, term k going to row k; the rows added in order
        // at the end.
        SmallVector<Value> start = {read(b, *init)};
        if (chains > 1)
          start.append(
              chains - 1,
              b.create<arith::ConstantOp>(
                  loc, b.getZeroAttr(VectorType::get({width}, acc.getType()))));
        int64_t innermost = reductionDims.back();
        Value first =
            getValueOrCreateConstantIndexOp(b, loc, ranges[innermost].offset);
        Value last =
            getValueOrCreateConstantIndexOp(b, loc, ranges[innermost].size);
        scf::LoopNest sums = loopsOver(
            b, loc, ranges, ArrayRef<int64_t>(reductionDims).drop_back(), iv,
            start, [&](OpBuilder &b, ValueRange outer) -> scf::ValueVector {
              auto terms = b.create<scf::ForOp>(
                  loc, first, last,
                  b.create<arith::ConstantIndexOp>(loc, chains), outer,
                  [&](OpBuilder &b, Location, Value at, ValueRange rows) {
                    SmallVector<Value> next;
                    for (int64_t k = 0; k < chains; ++k) {
                      iv[innermost] = at;
                      if (k > 0)
                        iv[innermost] = b.create<arith::AddIOp>(
                            loc, at, b.create<arith::ConstantIndexOp>(loc, k));
                      next.push_back(row(b, rows[k]).front());
                    }
                    b.create<scf::YieldOp>(loc, next);
                  });
              loops.push_back(terms);
              return terms.getResults();
            });
        Value total = sums.results.front();
        for (Value partial : llvm::drop_begin(sums.results))
          total = b.create<arith::AddFOp>(loc, total, partial);
        write(b, init, total);
        loops.insert(loops.end() - 1, sums.loops.begin(), sums.loops.end());
        return {};
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
    IRRewriter rewriter(&getContext());
    // A sum into rows wider than two registers (a bias gradient's column
    // sums over 120 or 512 features): its rows cut into blocks of two
    // registers, the last one peeled; each block is a narrow op. LLVM left
    // these scalar (the result is read and written every step of the sum).
    SmallVector<linalg::GenericOp> wide;
    getOperation().walk([&](linalg::GenericOp op) {
      if (sinter::isNarrowOp(op, lanes, /*wide=*/true))
        wide.push_back(op);
    });
    for (linalg::GenericOp op : wide) {
      FailureOr<scf::ForOp> blocks =
          sinter::blocksOf(op, *rowLoop(op), 2 * lanes, rewriter);
      if (failed(blocks))
        return signalPassFailure();
      linalg::peelLoops(rewriter, {*blocks});
    }
    if (!wide.empty()) {
      RewritePatternSet patterns(&getContext());
      scf::populateSCFForLoopCanonicalizationPatterns(patterns);
      // The peeled block's loop runs once: its size folds to a constant.
      scf::ForOp::getCanonicalizationPatterns(patterns, &getContext());
      affine::AffineApplyOp::getCanonicalizationPatterns(patterns,
                                                         &getContext());
      memref::SubViewOp::getCanonicalizationPatterns(patterns, &getContext());
      linalg::GenericOp::getCanonicalizationPatterns(patterns, &getContext());
      if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                              std::move(patterns))))
        return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> narrow;
    getOperation().walk([&](linalg::GenericOp op) {
      if (sinter::isNarrowOp(op, lanes))
        narrow.push_back(op);
    });
    for (linalg::GenericOp op : narrow)
      sinter::lowerNarrowOpToLoops(rewriter, op, lanes);
  }
};

} // namespace
