// libFuzzer target: any bytes as a .sinter file must give a module or
// diagnostics, never a crash, a hang or a sanitizer report.
#include "compiler/Driver/Registration.h"
#include "compiler/Frontend/Language/SinterLanguage.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  sinter::registerAllDialects(registry);
  mlir::MLIRContext ctx(registry);
  std::string errors;
  llvm::raw_string_ostream os(errors);
  llvm::StringRef source(reinterpret_cast<const char *>(data), size);
  (void)sinter::importSinterSource(&ctx, source, "fuzz.sinter", {}, os);
  return 0;
}
