//===- Registration.cpp - dialects, interfaces and passes -----------------===//
#include "compiler/Driver/Registration.h"

#include "compiler/Driver/Pipeline.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/Sinter/IR/SinterDialect.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void sinter::registerAllDialects(DialectRegistry &registry) {
  registry.insert<SinterDialect, affine::AffineDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  func::FuncDialect, linalg::LinalgDialect, LLVM::LLVMDialect,
                  math::MathDialect, memref::MemRefDialect,
                  omp::OpenMPDialect, scf::SCFDialect, tensor::TensorDialect,
                  vector::VectorDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  cf::registerBufferizableOpInterfaceExternalModels(registry);
  cf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  memref::registerAllocationOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

namespace {
/// sinter-linalg-to-llvm's options: the target's vector width, as
/// sinterc's --target-cpu sets it (replaying an AVX2 or SSE compile), and
/// sinterc's --min-parallel-iterations (replaying a test's compile).
struct LinalgToLLVMOptions : public PassPipelineOptions<LinalgToLLVMOptions> {
  Option<unsigned> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("Bits of a vector register: 512 (AVX-512), 256 (AVX2), "
                     "128 (SSE)"),
      llvm::cl::init(512)};
  Option<int64_t> minParallelIterations{
      *this, "min-parallel-iterations",
      llvm::cl::desc("Run the outer loop of ops with at least this many "
                     "iterations on threads"),
      llvm::cl::init(sinter::kMinParallelIterations)};
};
} // namespace

void sinter::registerAllPasses() {
  registerSinterPasses();
  // The upstream passes of the pipeline, so sinter-opt can replay any step.
  registerTransformsPasses();
  bufferization::registerBufferizationPasses();
  bufferization::registerBufferizationPipelines();
  registerLinalgPasses();
  memref::registerMemRefPasses();
  registerConvertBufferizationToMemRef();
  registerConvertAffineToStandard();
  registerSCFToControlFlowPass();
  registerConvertSCFToOpenMPPass();
  registerConvertOpenMPToLLVMPass();
  registerConvertMathToLibm();
  registerConvertMathToLLVMPass();
  registerConvertVectorToSCF();
  registerConvertVectorToLLVMPass();
  registerArithToLLVMConversionPass();
  registerConvertIndexToLLVMPass();
  registerFinalizeMemRefToLLVMConversionPass();
  registerConvertControlFlowToLLVMPass();
  registerConvertFuncToLLVMPass();
  registerReconcileUnrealizedCasts();

  PassPipelineRegistration<>(
      "sinter-to-linalg",
      "graph -> train -> linalg: what sinterc --emit=linalg runs",
      [](OpPassManager &pm) {
        addTrainPasses(pm);
        addLinalgPasses(pm);
      });
  PassPipelineRegistration<LinalgToLLVMOptions>(
      "sinter-linalg-to-llvm",
      "linalg -> LLVM dialect: what sinterc --emit=llvm runs after linalg",
      [](OpPassManager &pm, const LinalgToLLVMOptions &options) {
        LoopOptions loops;
        loops.minParallelIterations = options.minParallelIterations;
        loops.fitRegisters(options.vectorBits);
        addLLVMPasses(pm, loops);
      });
}
