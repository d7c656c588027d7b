//===- Passes.h - Sinter's compiler passes --------------------------------===//
#ifndef SINTER_TRANSFORMS_PASSES_H
#define SINTER_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace sinter {
/// sinter-parallelize-loops' default: below this many loop iterations a
/// parallel region costs more than it saves. Measured with the runtime's
/// spinning workers: 16384 made lenet 12 % and mnist-mlp 5 % faster than
/// 65536, gpt-mini the same; 32768 was in between for lenet and slower
/// for mnist-mlp.
constexpr int64_t kMinParallelIterations = 16384;

/// On a linalg.generic, `[a, b]`: its iterations where loop b's index
/// exceeds loop a's contribute nothing that is read (their terms are zero,
/// or their result elements are replaced before any read), so a pass may
/// skip them. sinter-lower-to-linalg sets it on causal attention's
/// products and softmax sums; sinter-tile-contractions bounds the
/// products' tile loops by it, loopsOf the sums' loops.
constexpr llvm::StringLiteral kSkipAboveAttr = "sinter.skip_above";

/// On an optimizer update's linalg.generic: its first output is the
/// parameters, updated in place. Both threads' forward products read every
/// parameter, so each one the update writes is still in the other core's
/// cache and must be taken from there before the write; on a Zen 5 VM that
/// made mnist-mlp's Adam step 1.45x slower on two threads than on one.
/// sinter-parallelize-loops runs such an update a vector row at a time and
/// asks for the parameters a row will write some rows ahead (a prefetch for
/// writing), so the transfers overlap.
constexpr llvm::StringLiteral kUpdatesParametersAttr =
    "sinter.updates_parameters";

/// On a fused optimizer update (sinter-fuse-optimizer-updates), and on the
/// linalg.generic it lowers to: where each parameter starts in the fused
/// window (array<i64>, the first 0), so that sinter-parallelize-loops can
/// give each thread the rows of every parameter it computed the gradient of.
constexpr llvm::StringLiteral kParameterStartsAttr = "sinter.parameter_starts";

#define GEN_PASS_DECL
#include "compiler/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

#endif // SINTER_TRANSFORMS_PASSES_H
