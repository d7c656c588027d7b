//===- RowLoops.h - a row's loop on registers and vectors -----*- C++ -*-===//
//
// The innermost loop of a row as linalg's loops leave it (the rows of
// causal attention's softmax, bounded at their query by sinter::loopsOf):
// its running sums and maxima carried in registers, then the loop run on
// vectors.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_ROWLOOPS_H
#define SINTER_TRANSFORMS_ROWLOOPS_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace sinter {

/// `loop` with each value it accumulates into memory (a load and a store of
/// one element, at indices from outside the loop, that nothing else in the
/// loop reads or writes) carried in an iteration argument instead, loaded
/// before the loop and stored after it. In memory, every term waited for
/// the last one's store to reach the next load, and LLVM kept the sum
/// scalar (it cannot tell the accumulator from the operands apart);
/// carried, it is a reduction (gpt-mini's causal softmax max and sum of
/// exponentials). For the output of a reduction, a buffer of its own: its
/// operands, live across it, never share its memory.
mlir::scf::ForOp carryAccumulators(mlir::scf::ForOp loop,
                                   mlir::RewriterBase &rewriter);

/// Rewrites `loop`, an innermost scf.for from 0 by 1 to at most `extent`
/// (a multiple of `lanes`), as a loop over vectors of `lanes` up to its
/// bound rounded up to a multiple of `lanes`, and returns that loop; or
/// fails, the loop's meaning unchanged, when its body is not of the kind
/// vectorized here: loads and stores with the loop's index as their last
/// index (contiguous) or not depending on it, a buffer stored only where
/// it is read, elementwise arith and math, and iteration arguments that
/// are sums, maxima or minima (carryAccumulators), which run in `lanes`
/// partial results reduced after the loop. The iterations past the bound
/// are masked out of those; a store past it stores what the body computes
/// there (a causal softmax's weights: zeros). LLVM's own vectorization of
/// such rows (1 to 128 keys of causal attention) ran their last terms as
/// scalar remainders, up to 31 of them a row, after checking the buffers
/// for overlap.
mlir::FailureOr<mlir::scf::ForOp> vectorizeRow(mlir::scf::ForOp loop,
                                               int64_t lanes, int64_t extent,
                                               mlir::RewriterBase &rewriter);

} // namespace sinter

#endif // SINTER_TRANSFORMS_ROWLOOPS_H
