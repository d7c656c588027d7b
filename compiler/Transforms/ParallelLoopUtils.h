//===- ParallelLoopUtils.h - what the threading passes share ---------------===//
//
// How big an op must be to run on threads, how one sequential loop
// becomes a parallel one, an op cut into blocks along one loop, and the
// partial results of a sum in parts: used by sinter-parallelize-loops
// (plain linalg ops), sinter-tile-contractions (the tile loops of
// contractions), sinter-split-batch-sums and sinter-vectorize-narrow-ops.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_PARALLELLOOPUTILS_H
#define SINTER_TRANSFORMS_PARALLELLOOPUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace sinter {

/// A parallel loop with fewer iterations than this takes in the loops
/// nested directly in it: a convolution's filter gradient tiled over 5 taps
/// split 3 / 2 between two threads (a fifth of it idle), over 5 x 5 taps
/// 13 / 12.
constexpr int64_t kMinParallelTrips = 16;

/// The parts of the batch a sum over it runs in side by side
/// (sinter-split-batch-sums, and the window filter gradients of
/// sinter-tile-contractions): fixed, so that results do not depend on the
/// thread count; a thread then runs consecutive parts, each over a few
/// images that stay in L2 (cifar-small's step 4.5 % faster than with
/// parts = 16 / iterations).
constexpr int64_t kBatchParts = 16;

/// A window contraction's sum over the batch (a convolution's filter
/// gradient) runs in kBatchParts parts side by side when that many partial
/// results take at most this: each thread then reads only its parts'
/// images, and the parts run in one parallel region, not one per block of
/// images (a region each ran 64 times a step for cifar-small's 32 -> 64
/// gradient of 72 KiB under the 1 MiB this was: its step 0.93-1.00 of that
/// on two threads; a strided 3x3 of 128 -> 128, 590 KiB, 0.93).
constexpr int64_t kWindowPartialBytes = 16 * 1024 * 1024;

/// Whether a window sum over the batch whose result takes `resultBytes`
/// runs in kBatchParts parts (kWindowPartialBytes): sinter-tile-contractions
/// sums it so, and sinter-lower-to-linalg keeps a strided convolution as
/// im2col where its filter gradient would not.
inline bool batchSumFitsParts(int64_t resultBytes) {
  return kBatchParts * resultBytes <= kWindowPartialBytes;
}

/// The terms [begin, end) of `total` that part `part` of `parts` sums,
/// from part * total / parts to (part + 1) * total / parts: parts differ
/// by at most one term (600 as 300 and 300, not 256 and 344), and the last
/// ends at `total`.
std::pair<mlir::Value, mlir::Value>
partBounds(mlir::OpBuilder &b, mlir::Location loc, mlir::Value part,
           mlir::Value total, mlir::Value parts);

/// Part `part` of `partials` [parts, ...], shaped as one part (a rank-
/// reduced subview): the partial result of one part of a sum split into
/// parts run side by side (sinter-split-batch-sums, and the weight
/// gradients' parts of sinter-tile-contractions).
mlir::Value partOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Value partials,
                   mlir::OpFoldResult part);

/// `out` = part 0 + part 1 + ... of `partials` [parts, ...], in that order
/// (a linalg.generic at the insertion point): each element sums its parts
/// in one fixed order, whatever ran them.
void addPartsInOrder(mlir::OpBuilder &b, mlir::Location loc,
                     mlir::Value partials, mlir::Value out);

/// The points in `op`'s iteration space, a dynamic size counted as a guess
/// at the batch (32), times the static sizes merged with it (a convolution's
/// positions collapsed into its batch).
int64_t iterationCount(mlir::linalg::LinalgOp op);

/// Replaces `loop` by an scf.parallel over its induction variable with the
/// same body (a loop with loop-carried values, a sum, or one inside a
/// parallel loop is left as it is);
/// a loop of few trips takes in the
/// loops nested alone in it, up to `parallelLoops` in all: the nest's outer
/// loops that write disjoint results (a sum's loop below them would race).
void parallelize(mlir::scf::ForOp loop, mlir::RewriterBase &rewriter,
                 unsigned parallelLoops);

/// The loops [a, b] of `op`, when it is marked kSkipAboveAttr [a, b] with
/// loop b a reduction inside loop a: the terms of b past a's index are the
/// reduction's identity and its loop may end early (causal attention's
/// softmax).
std::optional<std::pair<int64_t, int64_t>>
skippedReduction(mlir::linalg::LinalgOp op);

/// The loops [a, b] of `op`, elementwise on buffers with one result, when
/// its body yields `select(index b > index a, 0.0, v)` (b inside a): past
/// a's index, loop b may store zeros instead of running the body (causal
/// attention's softmax weights and their gradient, a causal mask of 0).
std::optional<std::pair<int64_t, int64_t>>
zeroedAbove(mlir::linalg::LinalgOp op);

/// Replaces `op` by scf.for loops, one a loop of it, outermost first (as
/// convert-linalg-to-loops makes them); where skippedReduction(op), loop b
/// ends after a's index (the softmax sums keys up to the query), its
/// running values in registers; where zeroedAbove(op), it does too, and a
/// copy of it from there on stores zeros. Such a loop b, when innermost and
/// of a static length that `lanes` (> 1) divides, runs on vectors of
/// `lanes` to a's index rounded up (the sums' terms past it masked).
mlir::FailureOr<mlir::linalg::LinalgLoops>
loopsOf(mlir::linalg::LinalgOp op, mlir::RewriterBase &rewriter, int64_t lanes);

/// Replaces `op` by a loop over blocks of `size` of its loop `dim`, the op
/// on each block inside (its other loops in their order); returns the loop.
mlir::FailureOr<mlir::scf::ForOp> blocksOf(mlir::linalg::LinalgOp op,
                                           unsigned dim, int64_t size,
                                           mlir::RewriterBase &rewriter);

} // namespace sinter

#endif // SINTER_TRANSFORMS_PARALLELLOOPUTILS_H
