//===- MemoryReport.cpp - `sinterc --report`: the static memory plan ------===//
#include "compiler/Driver/MemoryReport.h"

#include "compiler/Transforms/TrainerLayout.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Format.h"

using namespace mlir;

namespace {

std::string mib(int64_t bytes) {
  if (bytes < 1024)
    return std::to_string(bytes) + " B";
  std::string s;
  llvm::raw_string_ostream os(s);
  if (bytes < (1 << 20))
    os << llvm::format("%.1f KiB", double(bytes) / 1024);
  else
    os << llvm::format("%.2f MiB", double(bytes) / (1 << 20));
  return s;
}

std::string formula(ArrayRef<int64_t> linear) {
  return std::to_string(linear[0]) + " * B + " + std::to_string(linear[1]);
}

} // namespace

bool sinter::printMemoryReport(ModuleOp module, int64_t batch,
                               llvm::raw_ostream &os) {
  auto plans = module->getAttrOfType<DictionaryAttr>(kMemoryPlanAttr);
  if (!plans)
    return false;
  auto at = [&](ArrayRef<int64_t> linear) {
    return linear[0] * batch + linear[1];
  };
  os << "memory plan (bytes; B = rows of a batch, here " << batch << ")\n";
  const char *kRow = "  %-22s %8s %8s  %-34s %s\n";
  os << llvm::format(kRow, (const char *)"function", (const char *)"buffers",
                     (const char *)"on heap",
                     (const char *)"workspace (buffers shared)",
                     (const char *)"without sharing");
  for (NamedAttribute fn : plans) {
    auto plan = cast<DictionaryAttr>(fn.getValue());
    auto workspace = cast<DenseI64ArrayAttr>(plan.get("workspace"));
    auto unshared = cast<DenseI64ArrayAttr>(plan.get("unshared"));
    std::string planned =
        std::to_string(cast<IntegerAttr>(plan.get("planned")).getInt());
    std::string heap =
        std::to_string(cast<IntegerAttr>(plan.get("heap")).getInt());
    os << llvm::format(kRow, fn.getName().str().c_str(), planned.c_str(),
                       heap.c_str(),
                       (formula(workspace.asArrayRef()) + " = " +
                        mib(at(workspace.asArrayRef())))
                           .c_str(),
                       mib(at(unshared.asArrayRef())).c_str());
  }
  // The train step's peak: what it is passed (parameters and slots) and
  // its workspace; the batch's data and buffers left on the heap add to it.
  if (auto step = plans.getAs<DictionaryAttr>(kTrainStepFn)) {
    int64_t args = cast<IntegerAttr>(step.get("arguments")).getInt();
    int64_t workspace =
        at(cast<DenseI64ArrayAttr>(step.get("workspace")).asArrayRef());
    os << "train step: parameters and optimizer slots " << mib(args)
       << " + workspace " << mib(workspace) << " = planned peak "
       << mib(args + workspace) << "\n";
  }
  int64_t stack = 0;
  for (NamedAttribute fn : plans)
    stack = std::max<int64_t>(stack, cast<DictionaryAttr>(fn.getValue())
                                         .getAs<IntegerAttr>("stack")
                                         .getInt());
  if (stack > 0)
    os << "stack: up to " << mib(stack)
       << " a thread (a block's packed panel, outside the plan)\n";
  os << "(buffers on the heap: what a shared pass returns to its entry "
        "point, such as the predictions, and any buffer the plan could not "
        "size)\n";
  return true;
}
