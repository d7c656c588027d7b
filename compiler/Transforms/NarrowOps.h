//===- NarrowOps.h - generics computed a row-vector at a time ---*- C++ -*-===//
//
// Shared by sinter-vectorize-narrow-ops (small ops) and
// sinter-parallelize-loops (large ones, whose outer loop it runs on
// threads). See VectorizeNarrowOps.cpp (rows) and TransposedCopies.cpp
// (copies transposing rows, in blocks), which share the pieces below.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_NARROWOPS_H
#define SINTER_TRANSFORMS_NARROWOPS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace sinter {

/// The most lanes one shuffle of a transposing copy may move: 160 (16 rows
/// of 10 floats) lowered well, 208 (16 rows of 13) was built partly
/// through the stack. Both sinter-tile-contractions' transpose tiles and
/// sinter-vectorize-narrow-ops' blocks keep within it.
constexpr int64_t kMostShuffleLanes = 160;

/// Whether `op` is a generic on buffers whose innermost dimension is
/// parallel, static, at most 2 * `lanes` floats wide (any width with
/// `wide`, for a sum: sinter-vectorize-narrow-ops cuts it into narrow
/// ones) and read and written at unit stride (or a copy transposing it),
/// and which LLVM would leave scalar.
bool isNarrowOp(mlir::linalg::GenericOp op, int64_t lanes, bool wide = false);

/// `op`'s body applied to vectors of `width` lanes: `values` maps its
/// block arguments (to vectors, or to scalars that stay the same along the
/// lanes), `iv` its loops' indices at the row. Ops on scalars only (work on
/// a tap's index) stay scalar; the others take their scalar operands
/// broadcast. Returns the yielded values, as vectors.
llvm::SmallVector<mlir::Value>
vectorizedBody(mlir::OpBuilder &b, mlir::Location loc,
               mlir::linalg::GenericOp op, mlir::IRMapping &values,
               llvm::ArrayRef<mlir::Value> iv, int64_t width);

/// Replaces `op` (isNarrowOp) by loops over its other dimensions (parallel
/// ones, then sums) whose body computes one innermost row as one vector (a
/// transposing copy: blocks of `lanes` rows, transposed by a shuffle);
/// returns them, outermost first.
llvm::SmallVector<mlir::scf::ForOp>
lowerNarrowOpToLoops(mlir::RewriterBase &rewriter, mlir::linalg::GenericOp op,
                     int64_t lanes);

/// Whether `op` is a copy transposing rows of up to four vectors (with
/// elementwise ops merged into it) that runs in shuffled blocks.
bool transposesNarrowRows(mlir::linalg::GenericOp op, int64_t lanes);

/// Replaces the transposing copy `op` by loops around its shuffled blocks
/// and returns them, outermost first; nothing if it is not one.
std::optional<llvm::SmallVector<mlir::scf::ForOp>>
lowerNarrowRowsTranspose(mlir::RewriterBase &rewriter,
                         mlir::linalg::GenericOp op, int64_t lanes);

/// Whether rows of `element` load as vectors: whole bytes a lane (not i1,
/// not index).
bool loadsAsVector(mlir::Type element);

/// Loops over dimensions `dims` of `ranges`, outermost first, `iterArgs`
/// carried through them; `body` builds inside, `iv[d]` set to each loop's
/// index.
mlir::scf::LoopNest
loopsOver(mlir::OpBuilder &b, mlir::Location loc,
          llvm::ArrayRef<mlir::Range> ranges, llvm::ArrayRef<int64_t> dims,
          llvm::MutableArrayRef<mlir::Value> iv, mlir::ValueRange iterArgs,
          llvm::function_ref<mlir::scf::ValueVector(mlir::OpBuilder &,
                                                    mlir::ValueRange)>
              body);

/// The indices `operand` of `op` is read or written at when its loops are
/// at `iv`.
llvm::SmallVector<mlir::Value> indicesAt(mlir::OpBuilder &b, mlir::Location loc,
                                         mlir::linalg::GenericOp op,
                                         mlir::OpOperand &operand,
                                         llvm::ArrayRef<mlir::Value> iv);

/// Whether `operand`'s rows of `rowSize` elements at consecutive
/// positions of loop `d` are one contiguous run: d's stride is a row and
/// the dimensions between it and the row are single.
bool rowsFollow(mlir::linalg::GenericOp op, mlir::OpOperand &operand, int64_t d,
                int64_t rowSize);

} // namespace sinter

#endif // SINTER_TRANSFORMS_NARROWOPS_H
