//===- sinter-opt.cpp - MlirOptMain with every Sinter dialect and pass ----===//
#include "compiler/Driver/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  sinter::registerAllDialects(registry);
  sinter::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Sinter optimizer: runs Sinter and upstream passes\n",
      registry));
}
