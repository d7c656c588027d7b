//===- sinterc.cpp - the Sinter compiler driver ---------------------------===//
//
//   sinterc MODEL -o TRAINER [--emit=graph|train|linalg|llvm|llvm-ir|obj|exe]
//
// MODEL is a Sinter language file (`.sinter`), a Keras model (`.json`
// config or `.keras` archive), or MLIR (`.mlir`) at any stage, which
// resumes from that stage.
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/Codegen.h"
#include "compiler/Driver/MemoryReport.h"
#include "compiler/Driver/Pipeline.h"
#include "compiler/Driver/Registration.h"
#include "compiler/Frontend/Keras/KerasImporter.h"
#include "compiler/Frontend/Language/SinterLanguage.h"
#include "compiler/Transforms/TrainerLayout.h"
#include "compiler/Transforms/TrainingConfig.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace sinter;
namespace cl = llvm::cl;

// --help lists these; LLVM's own options still work but stay out of it.
static cl::OptionCategory sintercOptions("sinterc options");

static cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model>"),
                                      cl::Required, cl::cat(sintercOptions));
static cl::opt<std::string> outputPath("o", cl::desc("Output file"),
                                       cl::value_desc("path"),
                                       cl::cat(sintercOptions));
static cl::opt<Stage> emit(
    "emit", cl::desc("Stop after this stage"), cl::init(Stage::Exe),
    cl::values(clEnumValN(Stage::Graph, "graph", "the imported network"),
               clEnumValN(Stage::Train, "train", "with gradients and updates"),
               clEnumValN(Stage::Linalg, "linalg", "linalg on tensors"),
               clEnumValN(Stage::LLVM, "llvm", "the LLVM dialect"),
               clEnumValN(Stage::LLVMIR, "llvm-ir", "LLVM IR"),
               clEnumValN(Stage::Obj, "obj", "a native object file"),
               clEnumValN(Stage::Exe, "exe", "the trainer executable")),
    cl::cat(sintercOptions));
static cl::opt<std::string> lossFlag("loss",
                                     cl::desc("Keras loss (overrides file)"),
                                     cl::cat(sintercOptions));
static cl::opt<std::string>
    optimizerFlag("optimizer",
                  cl::desc("Keras optimizer with its defaults "
                           "(overrides file)"),
                  cl::cat(sintercOptions));
static cl::opt<std::string>
    modelFlag("model",
              cl::desc("The model to compile from a .sinter file "
                       "with several"),
              cl::cat(sintercOptions));
static cl::opt<std::string> targetCpu("target-cpu",
                                      cl::desc("CPU to compile for "
                                               "(default: this host)"),
                                      cl::cat(sintercOptions));
static cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level"),
                                  cl::init(2), cl::Prefix,
                                  cl::cat(sintercOptions));
static cl::opt<std::string> runtimeLib("runtime-lib",
                                       cl::desc("The runtime archive to link"),
                                       cl::cat(sintercOptions));
static cl::opt<int64_t> minParallelIterations(
    "min-parallel-iterations",
    cl::desc("Run the outer loop of ops with at least this many iterations "
             "on threads (tests use 1 to make every such loop parallel)"),
    cl::init(kMinParallelIterations), cl::cat(sintercOptions));
static cl::opt<bool> registerTiles(
    "register-tiles",
    cl::desc("Compute matmuls and other contractions as vectorized register "
             "tiles (=false: plain loops, to compare against)"),
    cl::init(true), cl::cat(sintercOptions));

static cl::opt<bool> report(
    "report",
    cl::desc("Print the static memory plan (needs the llvm stage or later)"),
    cl::cat(sintercOptions));
static cl::opt<int64_t>
    reportBatch("report-batch",
                cl::desc("The batch size --report evaluates the plan at"),
                cl::init(32), cl::cat(sintercOptions));

static cl::opt<bool> verifyEach(
    "verify-each",
    cl::desc("Verify the IR after every pass (sinter-opt does by default; "
             "off here, it is a tenth of the MLIR stages' time)"),
    cl::init(false), cl::cat(sintercOptions));

static int fail(const std::string &msg) {
  llvm::errs() << "sinterc: error: " << msg << "\n";
  return 1;
}

/// Writes text atomically to `path` ("-" is stdout).
static int writeText(const std::string &path,
                     llvm::function_ref<void(llvm::raw_ostream &)> print) {
  if (path.empty() || path == "-") {
    print(llvm::outs());
    return 0;
  }
  std::string tmp = path + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec)
      return fail(path + ": " + ec.message());
    print(os);
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    return fail(path + ": " + ec.message());
  }
  return 0;
}

/// Which stage a parsed .mlir module is in.
static Stage stageOf(ModuleOp module) {
  if (module.lookupSymbol("forward"))
    return Stage::Graph;
  bool sinterOps = false, llvmOnly = true;
  module.walk([&](Operation *op) {
    StringRef ns = op->getDialect() ? op->getDialect()->getNamespace() : "";
    sinterOps |= ns == "sinter";
    if (!isa<ModuleOp>(op) && ns != "llvm")
      llvmOnly = false;
  });
  if (sinterOps)
    return Stage::Train;
  return llvmOnly ? Stage::LLVM : Stage::Linalg;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // MLIR's pass-manager options stay usable (--mlir-timing shows where
  // the MLIR stages' time goes), out of --help like LLVM's.
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::HideUnrelatedOptions(sintercOptions);
  cl::ParseCommandLineOptions(argc, argv,
                              "Sinter: compiles a network into "
                              "a native trainer\n");
  if (std::string error; !checkTargetCpu(targetCpu, error))
    return fail("--target-cpu: " + error);
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext ctx(registry);

  OwningOpRef<ModuleOp> module;
  Stage at;
  if (llvm::StringRef(inputPath).ends_with(".mlir")) {
    llvm::SourceMgr sm;
    SourceMgrDiagnosticHandler handler(sm, &ctx);
    module = parseSourceFile<ModuleOp>(inputPath, sm, &ctx);
    if (!module)
      return 1;
    at = stageOf(*module);
    if (!lossFlag.empty() || !optimizerFlag.empty())
      return fail("--loss/--optimizer apply to model files, not MLIR input");
  } else if (llvm::StringRef(inputPath).ends_with(".sinter")) {
    module = importSinterModel(
        &ctx, inputPath, {lossFlag, optimizerFlag, modelFlag}, llvm::errs());
    if (!module)
      return 1;
    at = Stage::Graph;
  } else {
    std::string error;
    module =
        importKerasModel(&ctx, inputPath, {lossFlag, optimizerFlag}, error);
    if (!module)
      return fail(error);
    at = Stage::Graph;
  }
  if (failed(verify(*module)))
    return 1;

  if (report && emit < Stage::LLVM)
    return fail("--report needs --emit=llvm or a later stage");

  // MLIR stages.
  PassManager pm(&ctx);
  if (failed(applyPassManagerCLOptions(pm)))
    return 1;
  applyDefaultTimingPassManagerCLOptions(pm);
  pm.enableVerifier(verifyEach);
  if (at < Stage::Train && emit >= Stage::Train)
    addTrainPasses(pm);
  // Layouts and tiles fit the target's vector registers (--target-cpu, or
  // this host).
  unsigned vectorBits = vectorRegisterBits(targetCpu);
  if (at < Stage::Linalg && emit >= Stage::Linalg)
    addLinalgPasses(pm, std::max(vectorBits, 128u) / 32);
  if (at < Stage::LLVM && emit >= Stage::LLVM) {
    LoopOptions loops;
    loops.minParallelIterations = minParallelIterations;
    loops.registerTiles = registerTiles;
    loops.fitRegisters(vectorBits);
    addLLVMPasses(pm, loops);
  }
  if (failed(pm.run(*module)))
    return 1;
  if (report) {
    // Beside an output on stdout, the report goes to stderr.
    bool toStdout =
        emit > Stage::LLVMIR || (!outputPath.empty() && outputPath != "-");
    if (!printMemoryReport(*module, reportBatch,
                           toStdout ? llvm::outs() : llvm::errs()))
      return fail("--report: the module holds no memory plan (resumed "
                  "from MLIR written without one?)");
  }
  if (emit <= Stage::LLVM)
    return writeText(outputPath, [&](llvm::raw_ostream &os) {
      module->print(os);
      os << "\n";
    });

  // LLVM stages.
  std::string error;
  llvm::LLVMContext llctx;
  // A trainer's parts are optimized and compiled on all cores.
  bool parallel = emit == Stage::Exe;
  auto llvmModule = translateToLLVMIR(*module, llctx, targetCpu, optLevel,
                                      error, /*optimize=*/!parallel);
  if (!llvmModule)
    return fail(error);
  if (emit == Stage::LLVMIR)
    return writeText(outputPath, [&](llvm::raw_ostream &os) {
      llvmModule->print(os, nullptr);
    });

  std::string out = outputPath;
  if (out.empty() || out == "-") {
    if (emit == Stage::Obj)
      return fail("--emit=obj needs -o FILE");
    out = llvm::sys::path::stem(inputPath).str();
  }
  if (emit == Stage::Obj) {
    std::string tmp = out + ".tmp";
    if (!emitObject(*llvmModule, targetCpu, tmp, error))
      return fail(error);
    if (std::error_code ec = llvm::sys::fs::rename(tmp, out))
      return fail(out + ": " + ec.message());
    return 0;
  }
  std::vector<std::string> objects;
  bool ok =
      emitObjectsInParallel(*llvmModule, targetCpu, optLevel,
                            // The CPUs of sinterc's affinity mask.
                            llvm::hardware_concurrency().compute_thread_count(),
                            objects, error) &&
      linkTrainer(objects, out,
                  runtimeLib.empty() ? defaultRuntimeLibrary(argv[0])
                                     : runtimeLib,
                  error);
  for (const std::string &obj : objects)
    llvm::sys::fs::remove(obj);
  return ok ? 0 : fail(error);
}
