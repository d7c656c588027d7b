//===- Pipeline.cpp - the pass pipelines between stages -------------------===//
#include "compiler/Driver/Pipeline.h"

#include "compiler/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void sinter::addTrainPasses(OpPassManager &pm) {
  pm.addPass(createBuildTrainStep());
  pm.addNestedPass<func::FuncOp>(createFuseSoftmaxCrossentropy());
}

void sinter::addLinalgPasses(OpPassManager &pm, int64_t lanes) {
  // The manifest reads the argument attributes that packing removes.
  pm.addPass(createEmbedManifest());
  pm.addPass(createPackTrainerABI());
  // On Sinter ops still: the optimizer steps are found by their interface.
  pm.addNestedPass<func::FuncOp>(createFuseOptimizerUpdates());
  pm.addPass(createResultsIntoDestinations());
  pm.addPass(createLowerToLinalg({lanes}));
  pm.addNestedPass<func::FuncOp>(createShareCopies());
  // No CSE here: it would merge the zero-filled accumulators of different
  // matmuls, and each merged use then costs a copy in bufferization.
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createFuseElementwise());
  pm.addNestedPass<func::FuncOp>(createReassociateSums());
  pm.addPass(createCanonicalizerPass());
}

void sinter::addLLVMPasses(OpPassManager &pm, const LoopOptions &options) {
  // Floats in a vector register: a register tile's row is two.
  int64_t lanes = options.tileColumns / 2;
  bufferization::OneShotBufferizationOptions opts;
  opts.bufferizeFunctionBoundaries = true;
  // Plain row-major memrefs at the ABI: the runtime passes contiguous
  // buffers.
  opts.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  // Copies between contiguous buffers become memref.copy, which lowers to
  // memcpy (a gradient copied into its window of the output: a call, not
  // an unrolled loop per parameter). Other copies become linalg.copy,
  // lowered to loops with everything else: memref.copy of a strided window
  // would call MLIR's C runner library, which a trainer does not link.
  opts.memCpyFn = [](OpBuilder &b, Location loc, Value from, Value to) {
    auto contiguous = [](Value v) {
      auto type = cast<MemRefType>(v.getType());
      return type.getLayout().isIdentity() ||
             memref::isStaticShapeAndContiguousRowMajor(type);
    };
    if (contiguous(from) && contiguous(to))
      b.create<memref::CopyOp>(loc, from, to);
    else
      b.create<linalg::CopyOp>(loc, from, to);
    return success();
  };
  pm.addNestedPass<func::FuncOp>(createApproximateMath());
  pm.addNestedPass<func::FuncOp>(createElementwiseInPlace());
  // Results written into a caller's buffer are computed there (see
  // sinter-results-into-destinations).
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createOneShotBufferizePass(opts));
  // Returned parameters/slots/outputs are their arguments: drop them, so
  // entry points return only the scalar loss (see docs/abi.md).
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  if (options.registerTiles) {
    TileContractionsOptions tiles;
    tiles.minParallelIterations = options.minParallelIterations;
    tiles.tileM = options.tileRows;
    tiles.tileN = options.tileColumns;
    tiles.registers = options.registers;
    pm.addNestedPass<func::FuncOp>(createTileContractions(tiles));
    pm.addNestedPass<func::FuncOp>(createSplitBatchSums());
    pm.addNestedPass<func::FuncOp>(createFuseEpilogues());
  }
  pm.addNestedPass<func::FuncOp>(createWriteIntoPads());
  pm.addNestedPass<func::FuncOp>(
      createParallelizeLoops({options.minParallelIterations, lanes}));
  // One value per loop bound, so that loops over the batch compare equal.
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createFuseParallelLoops());
  // After the register tiles: their accumulators stay in registers only
  // where the tile provably does not alias its operands, which buffers
  // sharing one workspace no longer show.
  pm.addPass(createPlanMemory());
  pm.addNestedPass<func::FuncOp>(
      createVectorizeNarrowOps({lanes}));
  pm.addNestedPass<func::FuncOp>(createBoundSkippedLoops({lanes}));
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // The register tiles' vector transfers, unrolled to 1-D vectors.
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll().setTargetRank(1)));
  // Large nests into functions of their own: LLVM compiles them on
  // separate cores and merges the ones that repeat.
  pm.addPass(createOutlineLoopNests());
  pm.addPass(createBufferizationToMemRefPass());
  // Parallel loops become OpenMP regions (outlined by the translation to
  // LLVM IR); memref lowering precedes SCF's, whose OpenMP scopes it needs.
  // The conversions that touch nothing outside a function run nested, one
  // function per thread (the outlined nests are many); those that declare
  // functions (malloc, libm) or convert the functions themselves run on
  // the module.
  pm.addPass(createConvertSCFToOpenMPPass());
  pm.addNestedPass<func::FuncOp>(memref::createExpandStridedMetadataPass());
  pm.addNestedPass<func::FuncOp>(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addNestedPass<func::FuncOp>(createLowerScfToCf());
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  // Instructions first (the polynomials' fma must not become libm's fmaf),
  // libm for what has none.
  pm.addNestedPass<func::FuncOp>(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addNestedPass<func::FuncOp>(createConvertVectorToLLVMPass());
  pm.addNestedPass<func::FuncOp>(createArithToLLVMConversionPass());
  pm.addNestedPass<func::FuncOp>(createConvertIndexToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}
