//===- TransposedCopies.cpp - copies transposing rows, in blocks ----------===//
//
// Part of sinter-vectorize-narrow-ops (and of sinter-parallelize-loops'
// large narrow ops): a copy transposing rows narrower than four vectors
// (a channels-first convolution's output back to channels last, with the
// bias and activation merged into it; the mirror, channels last into
// channels-first rows of positions) runs in blocks of positions: one load
// per row or column, one shuffle, the merged ops on the shuffled rows, one
// store per row. As loops, LLVM vectorized such copies with a gather or
// scatter per position (wide-early's 16-channel rows: a fifth of its
// forward pass).
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/NarrowOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace sinter;

namespace {

/// The loops of a transposing copy outside its blocks: all but the
/// innermost and `d`.
SmallVector<int64_t> loopsOutside(linalg::GenericOp op, int64_t d) {
  SmallVector<int64_t> outer;
  for (int64_t l = 0; l + 1 < op.getNumLoops(); ++l)
    if (l != d)
      outer.push_back(l);
  return outer;
}

/// `first` and `second` end to end, as one vector.
Value concatenate(OpBuilder &b, Location loc, Value first, Value second) {
  int64_t n = cast<VectorType>(first.getType()).getNumElements() +
              cast<VectorType>(second.getType()).getNumElements();
  return b.create<vector::ShuffleOp>(loc, first, second,
                                     llvm::to_vector(llvm::seq<int64_t>(0, n)));
}

/// Positions a block of a transposing copy takes: a block is one shuffle
/// of its positions x the row's floats, up to kMostShuffleLanes (rows of
/// more than 10 floats take half a vector's positions).
int64_t blockPositions(int64_t rowSize, int64_t lanes) {
  return rowSize * lanes > kMostShuffleLanes ? std::max<int64_t>(lanes / 2, 1)
                                             : lanes;
}

/// The lanes each row of a transposed block takes in its shuffle's result
/// when the rows are stored one by one: rows of `rowSize` floats padded to
/// a power of two, so that each starts a register or an aligned half or
/// quarter of one. Rows of 12 at lanes 12, 36 and 60 of one 72-lane result
/// (a 12 x 6 corner transposed into a weight's packed panel) were each
/// pieced together across registers, with so many live that LLVM built
/// one float through the stack. A padding lane repeats the row's first.
int64_t storedRowLanes(int64_t rowSize, bool contiguous) {
  return contiguous ? rowSize : int64_t(llvm::PowerOf2Ceil(rowSize));
}

/// A transposing copy's `op` replaced by loops over its `outer` dimensions
/// (`iv[d]` set to their indices) around `block(b, start, count)` over its
/// innermost loop's `span` positions: a loop over the whole blocks of
/// `positions`, then the rest in blocks of falling powers of two (15 = 8 +
/// 4 + 2 + 1). A rest of 15 positions as one block read, shuffled and
/// stored vectors of 15 lanes, pieced together by LLVM from so many
/// registers that it spilled them (a transformer's [47, 5, 5] keys
/// transposed). Returns the loops, outermost first.
SmallVector<scf::ForOp>
replaceByBlocks(RewriterBase &rewriter, linalg::GenericOp op,
                ArrayRef<int64_t> outer, MutableArrayRef<Value> iv,
                int64_t span, int64_t positions,
                function_ref<void(OpBuilder &, Value, int64_t)> block) {
  Location loc = op.getLoc();
  SmallVector<Range, 4> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rewriter, loc);
  SmallVector<scf::ForOp> loops;
  scf::LoopNest nest = loopsOver(
      rewriter, loc, ranges, outer, iv, {},
      [&](OpBuilder &b, ValueRange) -> scf::ValueVector {
        int64_t whole = span / positions * positions;
        if (whole > 0) {
          auto blocks = b.create<scf::ForOp>(
              loc, b.create<arith::ConstantIndexOp>(loc, 0),
              b.create<arith::ConstantIndexOp>(loc, whole),
              b.create<arith::ConstantIndexOp>(loc, positions));
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(blocks.getBody()->getTerminator());
          block(b, blocks.getInductionVar(), positions);
          loops.push_back(blocks);
        }
        for (int64_t start = whole; start < span;) {
          int64_t count = int64_t(llvm::bit_floor(uint64_t(span - start)));
          block(b, b.create<arith::ConstantIndexOp>(loc, start), count);
          start += count;
        }
        return {};
      });
  loops.insert(loops.begin(), nest.loops.begin(), nest.loops.end());
  rewriter.eraseOp(op);
  return loops;
}

/// Whether a transposing copy's rows of `size` floats go in blocks: up to
/// four vectors (wider plain copies are sinter-tile-contractions' square
/// tiles). As loops, LLVM vectorized such copies with a gather or scatter
/// per position (wide-early's 16-channel rows: a fifth of its forward
/// pass).
bool transposableRows(int64_t size, int64_t lanes) {
  return !ShapedType::isDynamic(size) && size >= 2 && size <= 4 * lanes;
}

/// A part of a transposing copy's rows that one shuffle of a block moves.
struct RowChunk {
  int64_t offset, width;
};

/// A row of `size` floats a vector at a time (the last part what is left:
/// 20 channels as 16 + 4); a block of whole wide rows would be one shuffle
/// of hundreds of lanes.
SmallVector<RowChunk> rowChunks(int64_t size, int64_t lanes) {
  SmallVector<RowChunk> chunks;
  for (int64_t offset = 0; offset < size; offset += lanes)
    chunks.push_back({offset, std::min(lanes, size - offset)});
  return chunks;
}

/// Whether every operand of `op` is a buffer of vector-loadable elements
/// indexed by dimensions and constants, at unit stride along its last
/// result, a dimension.
bool rowsOfDims(linalg::GenericOp op) {
  return llvm::all_of(op->getOpOperands(), [&](OpOperand &operand) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    return type && loadsAsVector(type.getElementType()) &&
           map.getNumResults() != 0 &&
           isa<AffineDimExpr>(map.getResults().back()) &&
           isLastMemrefDimUnitStride(type) &&
           llvm::all_of(map.getResults(), [](AffineExpr e) {
             return isa<AffineDimExpr, AffineConstantExpr>(e);
           });
  });
}

/// Whether `op` could be a transposing copy: on rows of dimensions
/// (rowsOfDims), one result it does not read (unless `resultRead`), no
/// sums, and a body of elementwise ops (a bias, an activation or its
/// gradient merged into it).
bool copiesElementwise(linalg::GenericOp op, bool resultRead = false) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 0 || op.getNumLoops() < 2 ||
      !rowsOfDims(op) ||
      (!resultRead &&
       !op.getMatchingBlockArgument(op.getDpsInitOperand(0)).use_empty()))
    return false;
  return llvm::all_of(op.getBody()->without_terminator(), [](Operation &o) {
    return o.getNumRegions() == 0 && o.getNumResults() == 1 &&
           OpTrait::hasElementwiseMappableTraits(&o);
  });
}

/// A transposing copy whose output's rows (up to four vectors) one input
/// strides through (lenet's [N, 6, 28, 28] into [N, 28, 28, 6]): that
/// input, and the dimension it is contiguous along.
struct TransposedCopy {
  OpOperand *input;
  int64_t along;
};

/// The transposing copy `op` is, if any: the output's rows up to four
/// vectors wide (transposableRows); one input read along another dimension
/// than the row (the transposed one); the body elementwise ops, whose
/// further inputs either do not vary along that dimension (a bias along the
/// channels: FuseElementwise merges the bias and activation that follow the
/// copy into it) or are read as the output is written (a ReLU's gradient: the
/// forward output that masks the transposed input gradient, also when the
/// copy writes into it: sinter-elementwise-in-place).
std::optional<TransposedCopy> transposedAlong(linalg::GenericOp op,
                                              int64_t lanes) {
  if (!copiesElementwise(op, /*resultRead=*/true))
    return std::nullopt;
  int64_t inner = op.getNumLoops() - 1;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (!transposableRows(ranges[inner], lanes))
    return std::nullopt;
  auto lastDim = [&](AffineMap map) {
    return cast<AffineDimExpr>(map.getResults().back()).getPosition();
  };
  OpOperand *transposed = nullptr;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (lastDim(map) == inner || !map.isFunctionOfDim(inner))
      continue;
    if (transposed)
      return std::nullopt;
    transposed = input;
  }
  if (!transposed)
    return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  int64_t along = lastDim(op.getMatchingIndexingMap(transposed));
  if (ShapedType::isDynamic(ranges[along]) || !out.isFunctionOfDim(along) ||
      lastDim(out) != inner)
    return std::nullopt;
  // The other inputs: rows along the output's (their last dimension the
  // row's), or constant along `along`.
  for (OpOperand *extra : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(extra);
    if (extra != transposed && map.isFunctionOfDim(along) &&
        !map.isFunctionOfDim(inner))
      return std::nullopt;
  }
  return TransposedCopy{transposed, along};
}

/// Replaces the transposing copy `op` (transposedAlong) by loops over its
/// other dimensions around blocks of positions along `copy.along`: one
/// vector read along it per position of the output's row, each chunk of
/// the block's rows (rowChunks) transposed by one shuffle, written as
/// whole rows (one store where the block's rows are contiguous in the
/// output).
SmallVector<scf::ForOp> lowerTranspose(RewriterBase &rewriter,
                                       linalg::GenericOp op,
                                       TransposedCopy copy, int64_t lanes) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  int64_t inner = op.getNumLoops() - 1;
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  int64_t along = copy.along;
  int64_t rowSize = sizes[inner], span = sizes[along];
  OpOperand *in = copy.input, *out = op.getDpsInitOperand(0);
  SmallVector<RowChunk> chunks = rowChunks(rowSize, lanes);
  // The block's rows are one contiguous run of the output.
  bool contiguous = chunks.size() == 1 && rowsFollow(op, *out, along, rowSize);
  // Lanes a row (a chunk of it) takes in the block's shuffled result.
  auto strideOf = [&](const RowChunk &chunk) {
    return storedRowLanes(chunk.width, contiguous);
  };
  SmallVector<int64_t> outer = loopsOutside(op, along);
  SmallVector<Value> iv(op.getNumLoops());
  auto indices = [&](OpBuilder &b, OpOperand &operand) {
    return indicesAt(b, loc, op, operand, iv);
  };
  Type element = getElementTypeOrSelf(in->get().getType());
  // An input's chunk of a row at the block's current position, padded to
  // its stride (a padding lane repeats the row's first).
  auto rowAt = [&](OpBuilder &b, OpOperand &input,
                   const RowChunk &chunk) -> Value {
    int64_t width = chunk.width, stride = strideOf(chunk);
    Type t = getElementTypeOrSelf(input.get().getType());
    Value row = b.create<vector::LoadOp>(loc, VectorType::get({width}, t),
                                         input.get(), indices(b, input));
    if (stride == width)
      return row;
    SmallVector<int64_t> pad;
    for (int64_t c = 0; c < stride; ++c)
      pad.push_back(c < width ? c : 0);
    return b.create<vector::ShuffleOp>(loc, row, row, pad).getResult();
  };
  // The body on the block's rows (`rows`, count x stride lanes, row by
  // row, from position `start`, a chunk of each): the other operands' rows
  // (the result's too where the body reads it), read at each position
  // where they vary along `along` (one load where the block's rows follow
  // each other), else repeated for each; or their scalar broadcast. The
  // block reads the result's rows before it writes them.
  auto applyBody = [&](OpBuilder &b, Value rows, Value start, int64_t count,
                       const RowChunk &chunk) -> Value {
    int64_t stride = strideOf(chunk);
    IRMapping values;
    values.map(op.getMatchingBlockArgument(in), rows);
    for (OpOperand &operand : op->getOpOperands()) {
      OpOperand *extra = &operand;
      BlockArgument arg = op.getMatchingBlockArgument(extra);
      if (extra == in || arg.use_empty())
        continue;
      AffineMap map = op.getMatchingIndexingMap(extra);
      Type t = getElementTypeOrSelf(extra->get().getType());
      if (!map.isFunctionOfDim(inner)) {
        values.map(arg, b.create<memref::LoadOp>(loc, extra->get(),
                                                 indices(b, *extra)));
      } else if (!map.isFunctionOfDim(along)) {
        Value row = rowAt(b, *extra, chunk);
        SmallVector<int64_t> repeat;
        for (int64_t k = 0; k < count * stride; ++k)
          repeat.push_back(k % stride);
        values.map(arg, b.create<vector::ShuffleOp>(loc, row, row, repeat));
      } else if (chunks.size() == 1 && stride == rowSize &&
                 rowsFollow(op, *extra, along, rowSize)) {
        values.map(arg, b.create<vector::LoadOp>(
                            loc, VectorType::get({count * rowSize}, t),
                            extra->get(), indices(b, *extra)));
      } else {
        Value all;
        for (int64_t k = 0; k < count; ++k) {
          iv[along] = b.create<arith::AddIOp>(
              loc, start, b.create<arith::ConstantIndexOp>(loc, k));
          Value row = rowAt(b, *extra, chunk);
          all = all ? concatenate(b, loc, all, row) : row;
        }
        iv[along] = start;
        values.map(arg, all);
      }
    }
    return vectorizedBody(b, loc, op, values, iv, count * stride).front();
  };
  // `count` positions along `along` from `start`, a chunk of each row at
  // a time.
  auto block = [&](OpBuilder &b, Value start, int64_t count) {
    for (const RowChunk &chunk : chunks) {
      int64_t width = chunk.width, stride = strideOf(chunk);
      iv[along] = start;
      Value all;
      for (int64_t c = 0; c < width; ++c) {
        iv[inner] = b.create<arith::ConstantIndexOp>(loc, chunk.offset + c);
        Value column = b.create<vector::LoadOp>(
            loc, VectorType::get({count}, element), in->get(), indices(b, *in));
        all = all ? concatenate(b, loc, all, column) : column;
      }
      // Row k of the block is lane k of every column.
      SmallVector<int64_t> transpose;
      for (int64_t k = 0; k < count; ++k)
        for (int64_t c = 0; c < stride; ++c)
          transpose.push_back((c < width ? c : 0) * count + k);
      Value rows = b.create<vector::ShuffleOp>(loc, all, all, transpose);
      iv[inner] = b.create<arith::ConstantIndexOp>(loc, chunk.offset);
      rows = applyBody(b, rows, start, count, chunk);
      if (contiguous) {
        b.create<vector::StoreOp>(loc, rows, out->get(), indices(b, *out));
        continue;
      }
      for (int64_t k = 0; k < count; ++k) {
        iv[along] = b.create<arith::AddIOp>(
            loc, start, b.create<arith::ConstantIndexOp>(loc, k));
        Value row = b.create<vector::ExtractStridedSliceOp>(
            loc, rows, ArrayRef<int64_t>{k * stride}, ArrayRef<int64_t>{width},
            ArrayRef<int64_t>{1});
        b.create<vector::StoreOp>(loc, row, out->get(), indices(b, *out));
      }
    }
  };
  return replaceByBlocks(rewriter, op, outer, iv, span,
                         blockPositions(chunks.front().width, lanes), block);
}

/// The dimension a transposing copy's output rows run along, where its
/// input has an innermost dimension of up to four vectors (`narrow`,
/// returned with it)
/// that the output strides through: the mirror of transposedAlong
/// (lenet's [N, 28, 28, 6] gradient into the [N, 6, 28, 32] rows of a
/// filter gradient along the positions); or nothing. One input, its body
/// elementwise ops on it.
struct RowsOutOf {
  int64_t inner, narrow;
};
std::optional<RowsOutOf> transposedOutOfRows(linalg::GenericOp op,
                                             int64_t lanes) {
  if (op.getNumDpsInputs() != 1 || !copiesElementwise(op))
    return std::nullopt;
  AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  int64_t inner = op.getNumLoops() - 1;
  int64_t narrow = cast<AffineDimExpr>(in.getResults().back()).getPosition();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (narrow == inner || !transposableRows(ranges[narrow], lanes) ||
      ShapedType::isDynamic(ranges[inner]) || !in.isFunctionOfDim(inner) ||
      !out.isFunctionOfDim(narrow) ||
      cast<AffineDimExpr>(out.getResults().back()).getPosition() != inner)
    return std::nullopt;
  return RowsOutOf{inner, narrow};
}

/// Replaces the transposing copy `op` (transposedOutOfRows) by loops over
/// its other dimensions around blocks of positions along the output's
/// rows: the block's input rows read a chunk at a time (rowChunks; one
/// load where whole rows follow each other), each chunk transposed by one
/// shuffle and written as one vector per output row.
SmallVector<scf::ForOp> lowerTransposeOutOfRows(RewriterBase &rewriter,
                                                linalg::GenericOp op,
                                                RowsOutOf dims, int64_t lanes) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  int64_t rowSize = sizes[dims.narrow], span = sizes[dims.inner];
  OpOperand *in = op.getDpsInputOperand(0), *out = op.getDpsInitOperand(0);
  SmallVector<RowChunk> chunks = rowChunks(rowSize, lanes);
  // The input rows of the block's positions are one contiguous run.
  bool contiguous =
      chunks.size() == 1 && rowsFollow(op, *in, dims.inner, rowSize);
  SmallVector<int64_t> outer = loopsOutside(op, dims.narrow);
  SmallVector<Value> iv(op.getNumLoops());
  auto indices = [&](OpBuilder &b, OpOperand &operand) {
    return indicesAt(b, loc, op, operand, iv);
  };
  Type element = getElementTypeOrSelf(in->get().getType());
  auto at = [&](OpBuilder &b, Value start, int64_t k) -> Value {
    if (k == 0)
      return start;
    return b.create<arith::AddIOp>(loc, start,
                                   b.create<arith::ConstantIndexOp>(loc, k));
  };
  // `count` positions from `start`, a chunk of their rows at a time.
  auto block = [&](OpBuilder &b, Value start, int64_t count) {
    for (const RowChunk &chunk : chunks) {
      int64_t width = chunk.width;
      iv[dims.narrow] = b.create<arith::ConstantIndexOp>(loc, chunk.offset);
      Value all;
      if (contiguous) {
        iv[dims.inner] = start;
        all = b.create<vector::LoadOp>(
            loc, VectorType::get({count * width}, element), in->get(),
            indices(b, *in));
      } else {
        for (int64_t k = 0; k < count; ++k) {
          iv[dims.inner] = at(b, start, k);
          Value row =
              b.create<vector::LoadOp>(loc, VectorType::get({width}, element),
                                       in->get(), indices(b, *in));
          all = all ? concatenate(b, loc, all, row) : row;
        }
      }
      // Output row c is lane c of every position's row (`count`, a power
      // of two: each row starts a register or an aligned part of one).
      SmallVector<int64_t> transpose;
      for (int64_t c = 0; c < width; ++c)
        for (int64_t k = 0; k < count; ++k)
          transpose.push_back(k * width + c);
      Value rows = b.create<vector::ShuffleOp>(loc, all, all, transpose);
      IRMapping values;
      values.map(op.getMatchingBlockArgument(in), rows);
      iv[dims.inner] = start;
      rows = vectorizedBody(b, loc, op, values, iv, width * count).front();
      for (int64_t c = 0; c < width; ++c) {
        iv[dims.narrow] =
            b.create<arith::ConstantIndexOp>(loc, chunk.offset + c);
        Value row = b.create<vector::ExtractStridedSliceOp>(
            loc, rows, ArrayRef<int64_t>{c * count}, ArrayRef<int64_t>{count},
            ArrayRef<int64_t>{1});
        b.create<vector::StoreOp>(loc, row, out->get(), indices(b, *out));
      }
    }
  };
  return replaceByBlocks(rewriter, op, outer, iv, span,
                         blockPositions(chunks.front().width, lanes), block);
}

} // namespace

bool sinter::transposesNarrowRows(linalg::GenericOp op, int64_t lanes) {
  return transposedAlong(op, lanes) || transposedOutOfRows(op, lanes);
}

std::optional<SmallVector<scf::ForOp>>
sinter::lowerNarrowRowsTranspose(RewriterBase &rewriter, linalg::GenericOp op,
                                 int64_t lanes) {
  std::optional<TransposedCopy> copy = transposedAlong(op, lanes);
  std::optional<RowsOutOf> dims = transposedOutOfRows(op, lanes);
  // Where both forms apply, the one moving rows of at most a vector:
  // lenet's 6-channel rows into channels first are read whole, 16
  // positions at a time, not as 6 positions of a 20-wide output row.
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  if (copy && dims && sizes.back() > lanes && sizes[dims->narrow] <= lanes)
    copy.reset();
  if (copy)
    return lowerTranspose(rewriter, op, *copy, lanes);
  if (dims)
    return lowerTransposeOutOfRows(rewriter, op, *dims, lanes);
  return std::nullopt;
}
