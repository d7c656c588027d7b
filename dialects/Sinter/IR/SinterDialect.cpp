//===- SinterDialect.cpp - dialect registration and attribute checks ------===//
#include "dialects/Sinter/IR/SinterDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace sinter;

#include "dialects/Sinter/IR/SinterOpsDialect.cpp.inc"
#include "dialects/Sinter/IR/SinterInterfaces.cpp.inc"

void SinterDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Sinter/IR/SinterOps.cpp.inc"
      >();
}

// The frontends record the training configuration on the module: the loss by
// its Keras name and the optimizer as a dictionary of hyperparameters whose
// `name` is the Keras class name in lower case. The train-step pass checks
// the names against what it can build; here only the shape is checked.
LogicalResult SinterDialect::verifyOperationAttribute(Operation *op,
                                                      NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  if (name == "sinter.loss") {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError("'sinter.loss' must be a string (a Keras loss name)");
    return success();
  }
  if (name == "sinter.optimizer") {
    auto dict = dyn_cast<DictionaryAttr>(attr.getValue());
    if (!dict || !isa_and_nonnull<StringAttr>(dict.get("name")))
      return op->emitError(
          "'sinter.optimizer' must be a dictionary with a string 'name'");
    for (NamedAttribute entry : dict)
      if (entry.getName() != "name" &&
          !isa<FloatAttr, BoolAttr>(entry.getValue()))
        return op->emitError("'sinter.optimizer' entry '")
               << entry.getName().strref() << "' must be a float or a bool";
    return success();
  }
  if (name == "sinter.default_data") {
    auto data = dyn_cast<DenseElementsAttr>(attr.getValue());
    if (!data || data.getType().getRank() != 2 ||
        !data.getElementType().isF32())
      return op->emitError("'sinter.default_data' must be a 2-D f32 dense "
                           "array (rows x columns)");
    return success();
  }
  if (name == "sinter.lr_schedule") {
    auto dict = dyn_cast<DictionaryAttr>(attr.getValue());
    if (!dict || !isa_and_nonnull<StringAttr>(dict.get("class")))
      return op->emitError(
          "'sinter.lr_schedule' must be a dictionary with a string 'class'");
    return success();
  }
  if (name == "sinter.top_k") {
    auto k = dyn_cast<IntegerAttr>(attr.getValue());
    if (!k || k.getInt() < 1)
      return op->emitError("'sinter.top_k' must be a positive integer");
    return success();
  }
  if (name == "sinter.memory_plan") {
    if (!isa<DictionaryAttr>(attr.getValue()))
      return op->emitError("'sinter.memory_plan' must be a dictionary of "
                           "function plans");
    return success();
  }
  if (name == "sinter.causal_letters") {
    auto letters = dyn_cast<StringAttr>(attr.getValue());
    if (!letters || letters.size() != 2)
      return op->emitError("'sinter.causal_letters' must be a string of two "
                           "letters of the contraction's terms");
    return success();
  }
  if (name == "sinter.skip_above" || name == "sinter.zero_above") {
    auto loops = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    if (!loops || loops.size() != 2)
      return op->emitError("'") << name
                                << "' must be an array of two loop "
                                   "indices";
    return success();
  }
  if (name == "sinter.updates_parameters") {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError("'sinter.updates_parameters' must be a unit "
                           "attribute");
    return success();
  }
  if (name == "sinter.parameter_starts") {
    auto starts = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    if (!starts || starts.empty() || starts[0] != 0 ||
        !llvm::all_of(
            llvm::zip(starts.asArrayRef().drop_back(),
                      starts.asArrayRef().drop_front()),
            [](auto pair) { return std::get<0>(pair) < std::get<1>(pair); }))
      return op->emitError("'sinter.parameter_starts' must be an array of "
                           "increasing offsets from 0");
    return success();
  }
  if (name == "sinter.layers" || name == "sinter.model_name")
    return success();
  return op->emitError("unknown Sinter attribute '") << name << "'";
}
