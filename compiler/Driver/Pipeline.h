//===- Pipeline.h - the stages of the Sinter compiler ---------------------===//
#ifndef SINTER_DRIVER_PIPELINE_H
#define SINTER_DRIVER_PIPELINE_H

#include "compiler/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"

namespace sinter {

/// Stages in pipeline order; `sinterc --emit=` stops after one.
enum class Stage { Graph, Train, Linalg, LLVM, LLVMIR, Obj, Exe };

/// graph -> train: forward + loss + gradients + optimizer updates.
void addTrainPasses(mlir::OpPassManager &pm);
/// train -> linalg: linalg on tensors with the flat trainer ABI and the
/// embedded manifest.
void addLinalgPasses(mlir::OpPassManager &pm);
/// How linalg becomes loops.
struct LoopOptions {
  /// Ops with at least this many points run their outer loop on threads.
  int64_t minParallelIterations = kMinParallelIterations;
  /// Contractions as vectorized register tiles (sinter-tile-contractions);
  /// off, they are plain loops like every other op.
  bool registerTiles = true;
};
/// linalg -> LLVM dialect: bufferization (parameters in place), loops
/// (`options`), and conversion to LLVM.
void addLLVMPasses(mlir::OpPassManager &pm, const LoopOptions &options = {});

} // namespace sinter

#endif // SINTER_DRIVER_PIPELINE_H
