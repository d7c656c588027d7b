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
/// linalg -> LLVM dialect: bufferization (parameters in place), loops
/// (the outer loops of ops with at least `minParallelIterations` points
/// parallel), and conversion to LLVM.
void addLLVMPasses(mlir::OpPassManager &pm,
                   int64_t minParallelIterations = kMinParallelIterations);

} // namespace sinter

#endif // SINTER_DRIVER_PIPELINE_H
