//===- Codegen.cpp - from the LLVM dialect to a linked trainer ------------===//
#include "compiler/Driver/Codegen.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace sinter;

static std::unique_ptr<llvm::TargetMachine>
hostTargetMachine(const std::string &cpu, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::string triple = llvm::sys::getDefaultTargetTriple();
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpuName = cpu.empty() ? llvm::sys::getHostCPUName().str() : cpu;
  std::string features;
  if (cpu.empty()) {
    llvm::SubtargetFeatures f;
    for (auto &kv : llvm::sys::getHostCPUFeatures())
      f.AddFeature(kv.first(), kv.second);
    features = f.getString();
  }
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpuName, features, llvm::TargetOptions(), llvm::Reloc::PIC_));
}

std::unique_ptr<llvm::Module>
sinter::translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &ctx,
                          const std::string &cpu, unsigned optLevel,
                          std::string &error) {
  auto tm = hostTargetMachine(cpu, error);
  if (!tm)
    return nullptr;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, ctx, "sinter");
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return nullptr;
  }
  llvmModule->setTargetTriple(tm->getTargetTriple().str());
  llvmModule->setDataLayout(tm->createDataLayout());
  auto optimize = mlir::makeOptimizingTransformer(optLevel, 0, tm.get());
  if (llvm::Error err = optimize(llvmModule.get())) {
    error = llvm::toString(std::move(err));
    return nullptr;
  }
  return llvmModule;
}

bool sinter::emitObject(llvm::Module &module, const std::string &cpu,
                        const std::string &path, std::string &error) {
  auto tm = hostTargetMachine(cpu, error);
  if (!tm)
    return false;
  std::error_code ec;
  auto out = std::make_unique<llvm::ToolOutputFile>(path, ec,
                                                    llvm::sys::fs::OF_None);
  if (ec) {
    error = path + ": " + ec.message();
    return false;
  }
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, out->os(), nullptr,
                              llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return false;
  }
  pm.run(module);
  out->keep();
  return true;
}

std::string sinter::defaultRuntimeLibrary(const char *argv0) {
  if (const char *env = std::getenv("SINTER_RUNTIME_LIB"))
    return env;
  std::string self = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&defaultRuntimeLibrary));
  llvm::SmallString<256> lib(llvm::sys::path::parent_path(
      llvm::sys::path::parent_path(self)));
  llvm::sys::path::append(lib, "lib", "libsinter_runtime.a");
  return std::string(lib);
}

bool sinter::linkTrainer(const std::string &objectPath,
                         const std::string &exePath,
                         const std::string &runtimeLib, std::string &error) {
  if (!llvm::sys::fs::exists(runtimeLib)) {
    error = "runtime library not found: " + runtimeLib +
            " (build it, or set SINTER_RUNTIME_LIB)";
    return false;
  }
  const char *cxxEnv = std::getenv("SINTER_CXX");
  std::string cxxName = cxxEnv ? cxxEnv : "c++";
  auto cxx = llvm::sys::findProgramByName(cxxName);
  if (!cxx) {
    error = "cannot find the C++ linker driver '" + cxxName +
            "' (install g++, or set SINTER_CXX)";
    return false;
  }
  // Link to a temporary name, then rename: no half-written trainer.
  std::string tmp = exePath + ".tmp-link";
  // The runtime reads gzipped data through zlib.
  llvm::SmallVector<llvm::StringRef> args = {*cxx, objectPath, runtimeLib,
                                             "-lz", "-lm", "-o", tmp};
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(*cxx, args, std::nullopt, {}, 0, 0, &msg);
  if (rc != 0) {
    llvm::sys::fs::remove(tmp);
    error = "linking failed (" + *cxx + " exited with " + std::to_string(rc) +
            (msg.empty() ? "" : ": " + msg) + ")";
    return false;
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, exePath)) {
    llvm::sys::fs::remove(tmp);
    error = exePath + ": " + ec.message();
    return false;
  }
  return true;
}
