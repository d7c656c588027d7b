//===- TilePlan.cpp - the register tile of one contraction ----------------===//
//
// Sizes and orders the tile loops of sinter-tile-contractions (TilePlan.h):
// rows and columns fitted to the target's registers, window tiles shaped
// with their fan, a convolution's taps moved outside its images.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/TilePlan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"

#include <limits>

using namespace mlir;
using namespace sinter;

namespace {

/// Whether `op` computes out += lhs * rhs over two inputs: a contraction,
/// or a window contraction like a convolution's input gradient, whose input
/// maps add loops (dx[n,i,j,c] += g[n,i+a,j+b,o] * f[a,b,o,c]).
bool isMultiplyAccumulate(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0))
           .isProjectedPermutation())
    return false;
  Block *body = op.getBody();
  auto sum = dyn_cast_or_null<arith::AddFOp>(
      body->getTerminator()->getOperand(0).getDefiningOp());
  if (!sum || body->getOperations().size() != 3)
    return false;
  Value acc = body->getArgument(2);
  Value product = sum.getLhs() == acc ? sum.getRhs() : sum.getLhs();
  auto mul = dyn_cast_or_null<arith::MulFOp>(product.getDefiningOp());
  if (!mul || (sum.getLhs() != acc && sum.getRhs() != acc))
    return false;
  auto isInput = [&](Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && arg.getOwner() == body && arg.getArgNumber() < 2;
  };
  return isInput(mul.getLhs()) && isInput(mul.getRhs());
}

/// Whether every input map reads loop `d` at a step of one (`i + a`, not
/// `2 * i + a`): a tile then reads along it as one strided vector.
bool unitStepIn(linalg::GenericOp op, unsigned d) {
  AffineExpr dim = getAffineDimExpr(d, op.getContext());
  for (OpOperand *in : op.getDpsInputOperands())
    for (AffineExpr e : op.getMatchingIndexingMap(in).getResults())
      if (e.isFunctionOfDim(d) &&
          simplifyAffineExpr(e - dim, op.getNumLoops(), 0).isFunctionOfDim(d))
        return false;
  return true;
}

/// Whether an input of `op` reads loop `d` together with the column loop.
bool readWithColumns(linalg::GenericOp op, unsigned d, unsigned col) {
  return llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *in) {
    AffineMap map = op.getMatchingIndexingMap(in);
    return map.isFunctionOfDim(d) && map.isFunctionOfDim(col);
  });
}

/// Whether an input of `op` indexes one dimension by both loop `d` and the
/// column loop (`j + b`): a tile can then not read it as rows of vectors.
bool indexedWithColumns(linalg::GenericOp op, unsigned d, unsigned col) {
  return llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *in) {
    return llvm::any_of(op.getMatchingIndexingMap(in).getResults(),
                        [&](AffineExpr e) {
                          return e.isFunctionOfDim(d) && e.isFunctionOfDim(col);
                        });
  });
}

/// Shapes a window tile: its rows and its fan, the innermost other result
/// dimension that no input indexes together with the columns (the
/// channels of a channels-first convolution, whose filter is broadcast;
/// the output channels of a filter gradient with its lanes along the
/// positions, read as rows of vectors). Each vector
/// loaded from the operand with the columns feeds the fan's accumulators,
/// each broadcast value the rows'. Of the sizes that divide their
/// dimensions (no edge tiles) and keep the accumulators within 2 * tile-m
/// vectors of tile-n / 2 lanes and, with the values a step holds, within
/// the `registers`, the one with the most FMAs per load (then
/// the most accumulators, to cover the FMA latency): lenet's first
/// convolution, 32 columns by 7 rows (14 FMAs for 15 loads a step), is 2
/// rows by 3 channels (12 for 7); its input gradient 7 rows by 2 channels.
void shapeWindowTile(linalg::GenericOp op, TilePlan &plan, unsigned row,
                     unsigned col, int64_t tileM, int64_t tileN,
                     int64_t registers) {
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ShapedType::isDynamic(ranges[row]))
    return;
  std::optional<unsigned> fan;
  for (AffineExpr e : llvm::reverse(out.getResults())) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    if (d == row || d == col || ShapedType::isDynamic(ranges[d]) ||
        ranges[d] == 1)
      continue;
    if (!indexedWithColumns(op, d, col) && unitStepIn(op, d))
      fan = d;
    break;
  }
  int64_t lanes = std::max<int64_t>(tileN / 2, 1);
  // Where the fan is loaded as vectors too (a filter gradient along the
  // positions), each accumulator costs two vector loads per column
  // vector, with no broadcast shared along the columns: one vector of
  // columns a tile leaves the accumulators to rows and fan. (AVX2, 16
  // columns of lenet's first filter gradient: 6 channels x 2 vectors, one
  // row of taps, read all 6 channels' rows once per tap; 2.1x the time of
  // 5 rows x 2 channels x 1 vector.)
  if (fan && readWithColumns(op, *fan, col) && plan.sizes[col] % lanes == 0)
    plan.sizes[col] = lanes;
  int64_t vectors = llvm::divideCeil(plan.sizes[col], lanes);
  int64_t budget = 2 * tileM;
  // Loads a step: per input, the vectors (with the columns) or values it
  // reads for the tile's rows and fan.
  auto loadsOf = [&](OpOperand *in, int64_t r, int64_t f) {
    AffineMap map = op.getMatchingIndexingMap(in);
    int64_t k = map.isFunctionOfDim(col) ? vectors : 1;
    if (map.isFunctionOfDim(row))
      k *= r;
    if (fan && map.isFunctionOfDim(*fan))
      k *= f;
    return k;
  };
  auto loads = [&](int64_t r, int64_t f) {
    int64_t n = 0;
    for (OpOperand *in : op.getDpsInputOperands())
      n += loadsOf(in, r, f);
    return n;
  };
  // Registers a step needs: the accumulators; the vectors of an input
  // read with the columns, which LLVM loads first and keeps while the
  // other input's values stream past (of two such inputs, the one with
  // fewer: an FMA reads the other from memory); one for a broadcast value
  // (AVX2 has no broadcast operand); and one spare. Over the register
  // file, LLVM spills accumulators inside the sum: AVX2's 2 rows x 3
  // channels x 2 vectors (12 + 4 + 2 on 16 ymm) stored and reloaded an
  // accumulator every step, 47 % of lenet's second input gradient, and so
  // did 3 rows x 2 channels (12 + 6 + 2); 1 row x 6 channels (12 + 2 + 2)
  // did not.
  auto fits = [&](int64_t r, int64_t f) {
    int64_t held = std::numeric_limits<int64_t>::max(), broadcasts = 0;
    for (OpOperand *in : op.getDpsInputOperands()) {
      if (op.getMatchingIndexingMap(in).isFunctionOfDim(col))
        held = std::min(held, loadsOf(in, r, f));
      else
        broadcasts = 1;
    }
    int64_t accumulators = r * f * vectors;
    return accumulators <= budget &&
           accumulators + held + broadcasts + 1 <= registers;
  };

  auto divisors = [](int64_t n, int64_t limit) {
    SmallVector<int64_t> ds;
    for (int64_t d = 1; d <= std::min(n, limit); ++d)
      if (n % d == 0)
        ds.push_back(d);
    return ds;
  };
  // Where the vectors are loaded along the rows (a channels-first window)
  // rows and fan trade loads; else (channels last, each row a broadcast
  // value) only the accumulators count, and the rows may only shrink, to
  // make room for the fan. Larger rows first: they win ties.
  bool rowsLoaded = readWithColumns(op, row, col);
  SmallVector<int64_t> rowSizes =
      divisors(ranges[row], rowsLoaded ? budget : plan.sizes[row]);
  if (!llvm::is_contained(rowSizes, plan.sizes[row]))
    rowSizes.push_back(plan.sizes[row]);
  llvm::sort(rowSizes, std::greater<int64_t>());
  SmallVector<int64_t> fanSizes =
      fan ? divisors(ranges[*fan], budget) : SmallVector<int64_t>{1};
  // None yet. A tile of one row and fan fits the register files sinterc
  // sets; with fewer `registers` (sinter-opt) nothing may fit, and the
  // plan keeps its sizes.
  int64_t bestR = 0, bestF = 1;
  auto better = [&](int64_t r, int64_t f) {
    if (bestR == 0)
      return true;
    // a / b > c / d without division.
    int64_t fmas = r * f * vectors, best = bestR * bestF * vectors;
    int64_t lhs = fmas * loads(bestR, bestF), rhs = best * loads(r, f);
    // Channels last only the accumulators count (FMA latency).
    if (!rowsLoaded || lhs == rhs)
      return fmas > best;
    return lhs > rhs;
  };
  for (int64_t r : rowSizes)
    for (int64_t f : fanSizes)
      if (fits(r, f) && better(r, f)) {
        bestR = r;
        bestF = f;
      }
  if (bestR == 0)
    return;
  plan.sizes[row] = bestR;
  if (fan)
    plan.sizes[*fan] = bestF;
}

/// Bytes of a window contraction's filter up to which its taps stay
/// inside its tiles (tapsOutsideTheImage): the whole filter stays in L2
/// while an image's tiles each read their rows of it. Each tap outside
/// runs the tiles' accumulators through memory, and with few channels a
/// tap sums few terms between. On the Zen 5 (1 MiB of L2, two threads),
/// the taps back inside 3x3 filters of 72 KiB to 590 KiB (the bound was
/// 32 KiB of the rows a tile reads, 3x3 of 28 channels for 32 columns):
/// strided's forward region 8.8 -> 7.0 ms on one thread, its step 0.95;
/// cifar-small 0.96, vgg-cifar 0.95-0.97, k1-mix 1.00. deep-256's filters
/// of 1.1 and 2.3 MiB inside: 1.10, so outside.
constexpr int64_t kInsideFilterBytes = 1024 * 1024;

/// Moves a window contraction's summed loops but the innermost (its taps;
/// the channels stay inside the tiles) just inside its first loop when
/// that is over the batch (parallel, of dynamic size) and the operand the
/// batch does not index (the filter) is over kInsideFilterBytes: for each
/// tap, every tile of an image adds that tap's terms. The filter's rows of
/// one tap for a column tile (256 channels x
/// 32 columns: 32 KiB) then stay in L1 across the image's tiles, where
/// each tile read all taps' rows from L2 (3x3 of 256 channels: 288 KiB).
/// Each element sums its terms in the same order. A 3x3 convolution of
/// 256 -> 256 channels at 8x8 over 32 images: 36 -> 25 ms a training step
/// (two threads), the backward chain of its input gradient 165 -> about
/// 390 GFLOP/s. (Column tiles outside the rows too, so that one tap's
/// rows for one column tile stay in L1 across the whole image: within
/// noise.)
void tapsOutsideTheImage(linalg::GenericOp op, TilePlan &plan,
                         ArrayRef<utils::IteratorType> iters,
                         ArrayRef<int64_t> ranges) {
  unsigned batch = plan.order[0];
  if (iters[batch] != utils::IteratorType::parallel ||
      !ShapedType::isDynamic(ranges[batch]))
    return;
  SmallVector<unsigned> taps;
  for (unsigned d : plan.order)
    if (iters[d] == utils::IteratorType::reduction)
      taps.push_back(d);
  if (taps.size() < 2)
    return;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    if (map.isFunctionOfDim(batch))
      continue;
    auto type = dyn_cast<MemRefType>(in->get().getType());
    if (!type || !type.hasStaticShape() ||
        type.getNumElements() * int64_t(sizeof(float)) <= kInsideFilterBytes)
      return;
  }
  taps.pop_back();
  SmallVector<unsigned> order = {batch};
  order.append(taps);
  for (unsigned d : ArrayRef<unsigned>(plan.order).drop_front())
    if (!llvm::is_contained(taps, d))
      order.push_back(d);
  plan.order = order;
  plan.rowLoop += taps.size();
  plan.colLoop += taps.size();
  plan.tapsOutside = true;
}

/// The most steps of a summed loop shareBroadcastsAcrossTaps unrolls.
constexpr int64_t kMostUnrolledTaps = 8;

/// Moves innermost, to run unrolled, the summed loop that an input reads
/// together with the tile's widest loop but the columns (`j + b`: a
/// channels-last convolution's column taps, read with its fan of output
/// columns; `i + a`: channels first, the row taps read with the tile's
/// rows). A step of the loops inside the taps loads an input value (or
/// row vector) per row of the tile; unrolled over t taps, a tile of f rows
/// (or fan) reads the f + t - 1 values the taps share once (LLVM merges
/// the equal loads). lenet's second convolution, 2 x 5 positions of 16
/// channels, 5 taps: 23 loads for 50 FMAs, where a step loaded 11 for 10;
/// its input gradient, 6 rows x 2 channels: 20 for 60, where 8 for 12.
/// Those two regions ran 7 and 11 % faster on one core, lenet-caffe's
/// step 4 %, deep-narrow's 7.5 % (3.7 % with AVX2). The taps' filter
/// vectors are held beside the accumulators. Each element sums its terms
/// in a new order, the same for every run and thread count.
void shareBroadcastsAcrossTaps(linalg::GenericOp op, TilePlan &plan,
                               ArrayRef<utils::IteratorType> iters,
                               ArrayRef<int64_t> ranges, unsigned col,
                               int64_t tileN, int64_t registers) {
  // Only tiles one register wide, which load a broadcast value for every
  // FMA. Two registers wide, a step's broadcast already served two FMAs
  // (cifar-small's, wide-early's and vgg-cifar's 8 x 32 tiles unrolled
  // over 3 taps: within noise, their steps up to 1 % slower).
  if (plan.sizes[col] > std::max<int64_t>(tileN / 2, 1))
    return;
  std::optional<unsigned> taps;
  int64_t widest = 1;
  for (OpOperand *in : op.getDpsInputOperands())
    for (AffineExpr e : op.getMatchingIndexingMap(in).getResults()) {
      if (e.isFunctionOfDim(col))
        continue;
      for (unsigned r = 0; r < ranges.size(); ++r) {
        if (iters[r] != utils::IteratorType::reduction ||
            !e.isFunctionOfDim(r) || ShapedType::isDynamic(ranges[r]) ||
            ranges[r] < 2 || ranges[r] > kMostUnrolledTaps)
          continue;
        for (unsigned p = 0; p < ranges.size(); ++p)
          if (iters[p] == utils::IteratorType::parallel &&
              e.isFunctionOfDim(p) && plan.sizes[p] > widest) {
            taps = r;
            widest = plan.sizes[p];
          }
      }
    }
  if (!taps)
    return;
  // Registers: the accumulators, a filter vector per tap, one broadcast.
  int64_t accumulators = 1;
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (iters[d] == utils::IteratorType::parallel && d != col)
      accumulators *= plan.sizes[d];
  if (accumulators + ranges[*taps] + 1 > registers)
    return;
  llvm::erase(plan.order, *taps);
  plan.order.push_back(*taps);
  plan.unrollInnerSum = true;
}

} // namespace

/// The tile size along a dimension of `size` (dynamic or static) for a
/// register tile of up to `preferred`: the whole of a small static size
/// (of columns, one that fits one register or is two).
/// Rows of a larger one: a divisor from preferred down to half of it (rows
/// are separate registers), else `preferred`, its edge peeled; in a
/// `contraction` down to three quarters: 555 rows of a weight gradient in
/// tiles of 5 (10 accumulators, 5 broadcasts and two loads of dY's rows
/// for 10 FMAs) ran at 61 % of a core, as 69 tiles of 8 and an edge of 3
/// at 85 % (a window tile's rows are shaped with its fan:
/// shapeWindowTile). Columns (the vector lanes, `preferred` two
/// registers): `preferred` if it divides the size, else one register, its
/// edge peeled (8 throughout wasted half of every FMA of lenet's 120
/// columns: 9 % of a step). A contraction's columns a whole tile wide or
/// more take `preferred` and a vectorized edge tile of one register, or of
/// one register and the rest when it is wider (splitWideEdges): 1000
/// columns as 31 tiles of 32 and one of 8 (62 of 16 had half the
/// accumulators: 1000^3 4-8 % slower), 500 as 15 of 32, one of 16 and one
/// of 4 (in 31 of 16 and one of 4, with its right operand unpacked, 2000 x
/// 1024 -> 500 ran at 44 % of a core's peak; 700 and 1500 columns 13-18 %
/// slower than 704 and 1504), 60 as 32, 16 and 12 (25600 x 900 -> 60, 40,
/// 100, 120 on two threads: 9-25 % faster than in tiles of 16; AVX2's
/// tiles of 16 and 8: 17-33 %). lenet's window tiles lost 30 % with wide
/// tiles and edges; a window's columns take `preferred` only from two
/// tiles wide with an edge of at most one register (k1-mix's input
/// gradient into 100 channels as 32, 32, 32 and 4, not 16s: a tile of one
/// register loads a broadcast value per FMA; 9-12 % faster, 3-4 % a step;
/// lenet-caffe's 50 channels on AVX2 within noise); a window whose edge is
/// wider than a register is split by its columns (splitWideWindowEdge).
int64_t sinter::tileSize(int64_t size, int64_t preferred, bool rows,
                         bool contraction) {
  if (ShapedType::isDynamic(size))
    return preferred;
  if (!rows) {
    // No tile or edge wider than one register but not two: 28 floats are
    // no vector width, and LLVM built them from single floats through the
    // stack (one such edge tile in 22 halved dX of a 1500 x 700 x 900
    // layer; a Dense of 28 outputs ran at 3 % of peak).
    if (size <= preferred / 2)
      return size;
    int64_t edge = size % preferred;
    return edge == 0 || (contraction && size >= preferred) ||
                   (size >= 2 * preferred && edge <= preferred / 2)
               ? preferred
               : std::max<int64_t>(preferred / 2, 1);
  }
  if (size <= preferred)
    return size;
  int64_t least = contraction ? llvm::divideCeil(3 * preferred, 4)
                              : std::max<int64_t>(preferred / 2, 1);
  for (int64_t t = preferred; t >= least; --t)
    if (size % t == 0)
      return t;
  return preferred;
}

/// The plan for `op`, or nothing when it is not a (window) contraction
/// whose result is contiguous along a loop that no operand strides through.
std::optional<TilePlan> sinter::planFor(linalg::GenericOp op, int64_t tileM,
                                        int64_t tileN, int64_t registers) {
  if (!op.hasPureBufferSemantics() || !isMultiplyAccumulate(op))
    return std::nullopt;
  auto resultType = cast<MemRefType>(op.getDpsInitOperand(0)->get().getType());
  // Contiguous along the columns: a buffer of its own, a parameter-shaped
  // window of a flat one (a gradient written into its caller's buffer), or
  // a band of rows of a buffer (a window sum's bands, sinter-lower-to-linalg).
  if (!resultType.getElementType().isF32() || resultType.getRank() == 0 ||
      !isLastMemrefDimUnitStride(resultType))
    return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto col = dyn_cast<AffineDimExpr>(out.getResults().back());
  if (!col)
    return std::nullopt;
  // Every operand that has the column loop must be contiguous along it:
  // the tile reads it as whole vectors.
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    for (unsigned r = 0; r + 1 < map.getNumResults(); ++r)
      if (map.getResult(r) == col)
        return std::nullopt;
  }
  // Rows: the result dimension nearest the columns that is not of size 1
  // (a grouped convolution's [n, oh, ow, groups=1, o] tiles ow); for a
  // contraction, one further out if that one is shorter than a tile and
  // another fills tiles (attention's P·V into [b, t, heads=4, d] tiles t:
  // 8 rows of 32, not 4 heads, each broadcast value 64 KiB from the next),
  // the nearest that divides into whole tiles, else the nearest with a
  // peeled edge (AVX2's 6-row tiles divide no 128: 4 heads of 2 vectors
  // were 8 FMAs for 12 loads, 6 positions 12 for 8).
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  std::optional<unsigned> row;
  for (AffineExpr e : llvm::reverse(out.getResults().drop_back()))
    if (unsigned d = cast<AffineDimExpr>(e).getPosition(); ranges[d] != 1) {
      row = d;
      break;
    }
  if (row && linalg::isaContractionOpInterface(op) &&
      !ShapedType::isDynamic(ranges[*row]) && ranges[*row] < tileM) {
    std::optional<unsigned> fills, divides;
    for (AffineExpr e : llvm::reverse(out.getResults().drop_back())) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      if (ShapedType::isDynamic(ranges[d]) || ranges[d] < tileM)
        continue;
      if (!fills)
        fills = d;
      if (ranges[d] % tileM == 0) {
        divides = d;
        break;
      }
    }
    if (divides || fills)
      row = divides ? divides : fills;
  }

  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  TilePlan plan;
  plan.window = !linalg::isaContractionOpInterface(op);
  // A window tile that loads its rows as vectors (channels first) needs a
  // row step of one in every input; channels last, each row is a
  // broadcast value, at any step (a strided convolution's forward
  // windows: withoutUnitOperandDims).
  if (plan.window && row && !unitStepIn(op, *row) &&
      readWithColumns(op, *row, col.getPosition()))
    return std::nullopt;
  plan.sizes.assign(ranges.size(), 1);
  // Outer loops over the other result dimensions, then rows, columns, and
  // the sums innermost.
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (iters[d] == utils::IteratorType::parallel && d != row &&
        d != col.getPosition())
      plan.order.push_back(d);
  if (row) {
    plan.rowLoop = plan.order.size();
    plan.order.push_back(*row);
    plan.sizes[*row] =
        tileSize(ranges[*row], tileM, /*rows=*/true, !plan.window);
  }
  plan.colLoop = plan.order.size();
  plan.order.push_back(col.getPosition());
  plan.sizes[col.getPosition()] =
      tileSize(ranges[col.getPosition()], tileN, /*rows=*/false, !plan.window);
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (iters[d] == utils::IteratorType::reduction)
      plan.order.push_back(d);
  if (plan.window && row)
    shapeWindowTile(op, plan, *row, col.getPosition(), tileM, tileN, registers);
  if (plan.window)
    tapsOutsideTheImage(op, plan, iters, ranges);
  if (plan.window && !plan.tapsOutside)
    shareBroadcastsAcrossTaps(op, plan, iters, ranges, col.getPosition(), tileN,
                              registers);
  return plan;
}
