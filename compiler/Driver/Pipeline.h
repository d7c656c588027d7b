//===- Pipeline.h - the stages of the Sinter compiler ---------------------===//
#ifndef SINTER_DRIVER_PIPELINE_H
#define SINTER_DRIVER_PIPELINE_H

#include "compiler/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"

#include <algorithm>

namespace sinter {

/// Stages in pipeline order; `sinterc --emit=` stops after one.
enum class Stage { Graph, Train, Linalg, LLVM, LLVMIR, Obj, Exe };

/// graph -> train: forward + loss + gradients + optimizer updates.
void addTrainPasses(mlir::OpPassManager &pm);
/// train -> linalg: linalg on tensors with the flat trainer ABI and the
/// embedded manifest; `lanes`, floats in a vector register of the target,
/// picks the layouts that depend on it.
void addLinalgPasses(mlir::OpPassManager &pm, int64_t lanes = 16);
/// How linalg becomes loops.
struct LoopOptions {
  /// Ops with at least this many points run their outer loop on threads.
  int64_t minParallelIterations = kMinParallelIterations;
  /// Contractions as vectorized register tiles (sinter-tile-contractions);
  /// off, they are plain loops like every other op.
  bool registerTiles = true;
  /// A register tile: rows by columns (floats) of the result held in
  /// vector registers during a sum.
  int64_t tileRows = 8, tileColumns = 32;
  /// Vector registers of the target.
  int64_t registers = 32;

  /// The register tile for vector registers of `bits` (x86): at most
  /// half the register file as accumulators, two registers a row (AVX-512:
  /// 8 x 32 in 16 of 32 zmm; AVX2: 6 x 16 in 12 of 16 ymm; SSE: 4 x 8 in
  /// 8 of 16 xmm).
  void fitRegisters(unsigned bits) {
    tileColumns = 2 * std::max(bits, 128u) / 32;
    tileRows = bits >= 512 ? 8 : bits >= 256 ? 6 : 4;
    registers = bits >= 512 ? 32 : 16;
  }
};
/// linalg -> LLVM dialect: bufferization (parameters in place), loops
/// (`options`), and conversion to LLVM.
void addLLVMPasses(mlir::OpPassManager &pm, const LoopOptions &options = {});

} // namespace sinter

#endif // SINTER_DRIVER_PIPELINE_H
