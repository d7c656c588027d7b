//===- KerasWeightLayout.h - where Keras 3 stores each parameter ----------===//
//
// Keras 3 saves a model's variables (`model.weights.h5`, also inside a
// `.keras` archive) by position, not by name: `layers/<key>/vars/<i>`, the
// key being the snake_case class name numbered over `model.layers` in
// order (dense, dense_1, ...), `i` the variable's index in the layer's
// trainable-then-non-trainable list, and sub-layers in groups named after
// their attribute (MultiHeadAttention's query_dense, ...). This maps each
// Sinter parameter (`<layer>.<variable>`) to its path.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_WEIGHTS_KERASWEIGHTLAYOUT_H
#define SINTER_WEIGHTS_KERASWEIGHTLAYOUT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace sinter {

struct KerasVariable {
  std::string param;              // "dense.kernel"
  std::vector<std::string> paths; // "layers/dense/vars/0", then the
                                  // spellings older Keras 3 versions used
  std::vector<int64_t> shape;
};

struct KerasWeightLayout {
  std::vector<KerasVariable> variables; // in Keras' saving order
  std::vector<std::string> groups;      // every layer's `vars` group
};

/// The layout of the model in `configJson` (a Keras 3 config.json), whose
/// parameters are those of @forward in `graph` (the module the Keras
/// importer built from it). Fails, with `error`, for Keras 2 files and
/// parameters that belong to no layer.
mlir::FailureOr<KerasWeightLayout>
kerasWeightLayout(llvm::StringRef configJson, mlir::ModuleOp graph,
                  std::string &error);

/// Keras' naming.to_snake_case: "MultiHeadAttention" -> "multi_head_attention".
std::string kerasSnakeCase(llvm::StringRef className);

} // namespace sinter

#endif // SINTER_WEIGHTS_KERASWEIGHTLAYOUT_H
