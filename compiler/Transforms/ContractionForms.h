//===- ContractionForms.h - contractions in the form tiles take -----------===//
//
// Rewrites sinter-tile-contractions applies to a contraction before it
// tiles it: one summed loop, the rows' operand first, no unit dimensions
// in the operands, static views of a window's input. Each keeps the
// result bit for bit (the same products summed in the same order).
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_CONTRACTIONFORMS_H
#define SINTER_TRANSFORMS_CONTRACTIONFORMS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace sinter {

/// Whether `op` copies a static 2-D f32 buffer into its transpose (what
/// LowerToLinalg makes of an operand a tile would read along columns).
bool isTransposingCopy(mlir::linalg::GenericOp op);

/// `op` with its summed loops merged into one; nothing when they are not
/// adjacent and contiguous in every operand.
std::optional<mlir::linalg::GenericOp> withOneSum(mlir::linalg::GenericOp op,
                                                  mlir::RewriterBase &rewriter);

/// Makes the product in `op`'s body read rows · columns.
void rowsFirst(mlir::linalg::GenericOp op, mlir::RewriterBase &rewriter);

/// `op` with its two inputs swapped when the first reads the result's
/// column loop and the second does not.
mlir::linalg::GenericOp inputsRowsFirst(mlir::linalg::GenericOp op,
                                        mlir::RewriterBase &rewriter);

/// `op` reading each operand through a rank-reducing subview without the
/// dimensions its maps index at constant 0 (and a dimension read at a
/// step through a strided one), or `op` itself.
mlir::linalg::GenericOp withoutUnitOperandDims(mlir::linalg::GenericOp op,
                                               mlir::RewriterBase &rewriter);

/// Makes a window tile of static loops read its dynamic input views, and
/// static ones larger than its maps reach, through views of the static
/// extent its maps reach.
void staticWindowInputs(mlir::linalg::GenericOp op,
                        mlir::RewriterBase &rewriter);

} // namespace sinter

#endif // SINTER_TRANSFORMS_CONTRACTIONFORMS_H
