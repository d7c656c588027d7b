//===- Codegen.h - LLVM IR, native objects and the trainer executable -----===//
#ifndef SINTER_DRIVER_CODEGEN_H
#define SINTER_DRIVER_CODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>

namespace sinter {

/// Translates an LLVM-dialect module to LLVM IR for the host CPU (or
/// `cpu`, when non-empty), optimized at -O`optLevel` unless `optimize` is
/// false. Returns null and sets `error` on failure.
std::unique_ptr<llvm::Module>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &ctx,
                  const std::string &cpu, unsigned optLevel,
                  std::string &error, bool optimize = true);

/// Whether `cpu` (empty or "native": the host) names a CPU of the host's
/// target; else `error` says what was expected.
bool checkTargetCpu(const std::string &cpu, std::string &error);

/// The width of the vector registers of the host CPU (or `cpu`, when
/// non-empty), in bits: 512 with AVX-512, 256 with AVX, else 128 (SSE2,
/// which every x86-64 CPU has). 0 when there is no such target.
unsigned vectorRegisterBits(const std::string &cpu);

/// Writes `module` as a native object file to `path` (atomically).
bool emitObject(llvm::Module &module, const std::string &cpu,
                const std::string &path, std::string &error);

/// Optimizes and compiles the unoptimized `module` as up to `parts`
/// objects at once, one thread each (the entry points are independent, so
/// a split loses no inlining that matters); returns their paths, temporary
/// files the caller removes.
bool emitObjectsInParallel(llvm::Module &module, const std::string &cpu,
                           unsigned optLevel, unsigned parts,
                           std::vector<std::string> &paths,
                           std::string &error);

/// Links `objects` with the runtime into the executable `exePath`
/// (atomically) with the system C++ driver (`$SINTER_CXX`, else `c++`).
bool linkTrainer(const std::vector<std::string> &objects,
                 const std::string &exePath, const std::string &runtimeLib,
                 std::string &error);

/// The runtime archive next to the running tool (`<bin>/../lib/`), unless
/// `$SINTER_RUNTIME_LIB` names one.
std::string defaultRuntimeLibrary(const char *argv0);

} // namespace sinter

#endif // SINTER_DRIVER_CODEGEN_H
