//===- MemoryReport.h - `sinterc --report`: the static memory plan --------===//
#ifndef SINTER_DRIVER_MEMORYREPORT_H
#define SINTER_DRIVER_MEMORYREPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace sinter {

/// Prints the plan sinter-plan-memory recorded on `module` (its
/// `sinter.memory_plan` attribute), evaluated for batches of `batch` rows.
/// False if the module has no plan (the pipeline stopped before it).
bool printMemoryReport(mlir::ModuleOp module, int64_t batch,
                       llvm::raw_ostream &os);

} // namespace sinter

#endif // SINTER_DRIVER_MEMORYREPORT_H
