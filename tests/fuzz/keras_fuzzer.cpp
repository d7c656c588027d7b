// libFuzzer target: any bytes as a Keras model file (JSON or .keras zip)
// must give a module or one error message, never a crash.
#include "compiler/Driver/Registration.h"
#include "compiler/Frontend/Keras/KerasImporter.h"

#include "mlir/IR/MLIRContext.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  sinter::registerAllDialects(registry);
  mlir::MLIRContext ctx(registry);
  std::string error;
  llvm::StringRef contents(reinterpret_cast<const char *>(data), size);
  auto module = sinter::importKerasBuffer(&ctx, contents, "fuzz.json", {}, error);
  if (!module && error.empty())
    __builtin_trap(); // failures must say why
  return 0;
}
