//===- KerasImporter.h - Keras model JSON to the Sinter dialect -----------===//
#ifndef SINTER_FRONTEND_KERAS_KERASIMPORTER_H
#define SINTER_FRONTEND_KERAS_KERASIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace sinter {

struct KerasImportOptions {
  /// Keras loss / optimizer names that replace (or supply) what the file's
  /// compile_config says; empty to keep the file's.
  std::string loss;
  std::string optimizer;
};

/// Reads a Keras 3 `config.json` (with compile_config) or a Keras 2
/// `model.to_json()` file and builds the graph-stage module: `@forward` in
/// the Sinter dialect plus the training configuration as module attributes.
/// On bad input returns null and sets `error` to one line naming the file,
/// the JSON path and what was expected.
mlir::OwningOpRef<mlir::ModuleOp>
importKerasModel(mlir::MLIRContext *ctx, const std::string &path,
                 const KerasImportOptions &options, std::string &error);

/// The same from the file's contents; `path` names it in messages.
mlir::OwningOpRef<mlir::ModuleOp>
importKerasBuffer(mlir::MLIRContext *ctx, llvm::StringRef contents,
                  const std::string &path, const KerasImportOptions &options,
                  std::string &error);

} // namespace sinter

#endif // SINTER_FRONTEND_KERAS_KERASIMPORTER_H
