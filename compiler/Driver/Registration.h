//===- Registration.h - every dialect and pass the Sinter tools use -------===//
#ifndef SINTER_DRIVER_REGISTRATION_H
#define SINTER_DRIVER_REGISTRATION_H

#include "mlir/IR/DialectRegistry.h"

namespace sinter {
/// The dialects that appear at any stage, with the external interface
/// models (bufferization, deallocation, LLVM translation) they need.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Sinter's passes, the upstream passes of its pipeline, and the pipelines
/// `sinter-to-linalg` and `sinter-linalg-to-llvm`.
void registerAllPasses();
} // namespace sinter

#endif // SINTER_DRIVER_REGISTRATION_H
