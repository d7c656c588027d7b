//===- Codegen.cpp - from the LLVM dialect to a linked trainer ------------===//
#include "compiler/Driver/Codegen.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
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
#include "llvm/Transforms/IPO/MergeFunctions.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <algorithm>
#include <thread>

using namespace sinter;

static std::unique_ptr<llvm::TargetMachine>
hostTargetMachine(const std::string &cpu, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::string triple = llvm::sys::getDefaultTargetTriple();
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  // "native" is the host, as for clang's -march (LLVM itself takes it for
  // an unknown CPU without 64-bit code and aborts).
  bool host = cpu.empty() || cpu == "native";
  std::string cpuName = host ? llvm::sys::getHostCPUName().str() : cpu;
  std::string features;
  if (host) {
    llvm::SubtargetFeatures f;
    for (auto &kv : llvm::sys::getHostCPUFeatures())
      f.AddFeature(kv.first(), kv.second);
    features = f.getString();
  }
  // Checked before the target machine, which warns of an unknown CPU on
  // stderr (twice) and goes on.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!generic || !generic->isCPUStringValid(cpuName)) {
    error = "unknown CPU '" + cpuName + "' for " + triple +
            ": expected a CPU name LLVM knows (such as haswell, "
            "skylake-avx512, znver4) or native";
    return nullptr;
  }
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpuName, features, llvm::TargetOptions(), llvm::Reloc::PIC_));
}

bool sinter::checkTargetCpu(const std::string &cpu, std::string &error) {
  return hostTargetMachine(cpu, error) != nullptr;
}

static unsigned registerBits(const llvm::TargetMachine &tm) {
  const llvm::MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  if (sti->checkFeatures("+avx512f"))
    return 512;
  return sti->checkFeatures("+avx") ? 256 : 128;
}

unsigned sinter::vectorRegisterBits(const std::string &cpu) {
  std::string error;
  auto tm = hostTargetMachine(cpu, error);
  return tm ? registerBits(*tm) : 0;
}

/// Runs LLVM's -O`optLevel` pipeline on `module`.
static bool optimizeModule(llvm::Module &module, llvm::TargetMachine &tm,
                           unsigned optLevel, std::string &error) {
  auto optimize = mlir::makeOptimizingTransformer(optLevel, 0, &tm);
  if (llvm::Error err = optimize(&module)) {
    error = llvm::toString(std::move(err));
    return false;
  }
  return true;
}

std::unique_ptr<llvm::Module>
sinter::translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &ctx,
                          const std::string &cpu, unsigned optLevel,
                          std::string &error, bool optimize) {
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
  // The blocks of a network repeat the same loop nests (gpt-mini's four
  // blocks, the forward pass in both training and inference): their
  // outlined parallel bodies are identical but for names. Merged before
  // optimization, LLVM optimizes and compiles each once: half the IR and
  // half the compile time for gpt-mini. Their addresses mean nothing (no
  // code compares them), so a duplicate is replaced outright, not by a
  // thunk: a parallel body is passed by address to the OpenMP runtime, and
  // nests calling different thunks of one body would not merge.
  for (llvm::Function &f : *llvmModule)
    if (f.hasLocalLinkage())
      f.setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  // LLVM's vectorizers fill the registers the tiles were fitted to: its
  // tuning for most AVX-512 CPUs prefers 256-bit vectors (to spare the
  // clock, which the register tiles' 512-bit FMAs lower anyway), which ran
  // the loops LLVM vectorizes itself (GELU, the layer norms' rows) at half
  // width: gpt-mini's GELU gradient took 45 % longer.
  std::string width = std::to_string(registerBits(*tm));
  for (llvm::Function &f : *llvmModule)
    if (!f.isDeclaration())
      f.addFnAttr("prefer-vector-width", width);
  llvm::ModuleAnalysisManager analyses;
  llvm::MergeFunctionsPass().run(*llvmModule, analyses);
  if (optimize && !optimizeModule(*llvmModule, *tm, optLevel, error))
    return nullptr;
  return llvmModule;
}

/// Splits `module` into `parts` modules with about equal instructions
/// (largest function first, each into the lightest part): SplitModule's
/// round robin over sorted sizes gave gpt-mini's first part a quarter more
/// work than its second. Local symbols become hidden externals, so parts
/// can call each other; variables (the manifest, the data) go to part 0.
static void
splitBySize(llvm::Module &module, unsigned parts,
            llvm::function_ref<void(std::unique_ptr<llvm::Module>)> take) {
  for (llvm::GlobalValue &gv : module.global_values()) {
    if (gv.hasLocalLinkage()) {
      gv.setLinkage(llvm::GlobalValue::ExternalLinkage);
      gv.setVisibility(llvm::GlobalValue::HiddenVisibility);
    }
    if (!gv.hasName())
      gv.setName("sinter_part_symbol"); // made unique by a suffix
  }
  std::vector<std::pair<unsigned, const llvm::Function *>> bySize;
  for (const llvm::Function &f : module)
    if (!f.isDeclaration())
      bySize.push_back({f.getInstructionCount(), &f});
  std::stable_sort(bySize.begin(), bySize.end(),
                   [](const auto &a, const auto &b) { return a.first > b.first; });
  std::vector<uint64_t> load(parts, 0);
  llvm::DenseMap<const llvm::GlobalValue *, unsigned> partOf;
  for (auto [size, f] : bySize) {
    unsigned lightest = std::min_element(load.begin(), load.end()) - load.begin();
    partOf[f] = lightest;
    load[lightest] += size;
  }
  for (unsigned p = 0; p < parts; ++p) {
    llvm::ValueToValueMapTy map;
    take(llvm::CloneModule(module, map, [&](const llvm::GlobalValue *gv) {
      auto it = partOf.find(gv);
      return it != partOf.end() ? it->second == p : p == 0;
    }));
  }
}

bool sinter::emitObjectsInParallel(llvm::Module &module,
                                   const std::string &cpu, unsigned optLevel,
                                   unsigned parts,
                                   std::vector<std::string> &paths,
                                   std::string &error) {
  // Each part crosses to its thread as bitcode: an LLVMContext belongs to
  // one thread.
  std::vector<llvm::SmallString<0>> bitcode;
  splitBySize(module, std::max(parts, 1u),
              [&](std::unique_ptr<llvm::Module> part) {
                bitcode.emplace_back();
                llvm::raw_svector_ostream os(bitcode.back());
                llvm::WriteBitcodeToFile(*part, os);
              });
  paths.clear();
  for (size_t i = 0; i < bitcode.size(); ++i) {
    llvm::SmallString<128> path;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("sinter", "o", path)) {
      error = "cannot create a temporary file: " + ec.message();
      return false;
    }
    paths.push_back(std::string(path));
  }
  std::vector<std::string> errors(bitcode.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < bitcode.size(); ++i)
    threads.emplace_back([&, i] {
      llvm::LLVMContext ctx;
      auto part = llvm::parseBitcodeFile(
          llvm::MemoryBufferRef(bitcode[i].str(), "part"), ctx);
      if (!part) {
        errors[i] = llvm::toString(part.takeError());
        return;
      }
      auto tm = hostTargetMachine(cpu, errors[i]);
      if (tm && optimizeModule(**part, *tm, optLevel, errors[i]))
        emitObject(**part, cpu, paths[i], errors[i]);
    });
  for (std::thread &t : threads)
    t.join();
  for (const std::string &e : errors)
    if (!e.empty()) {
      error = e;
      return false;
    }
  return true;
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

bool sinter::linkTrainer(const std::vector<std::string> &objects,
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
  llvm::SmallVector<llvm::StringRef> args = {*cxx};
  args.append(objects.begin(), objects.end());
  args.append({runtimeLib, "-lz", "-lm", "-o", tmp});
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
