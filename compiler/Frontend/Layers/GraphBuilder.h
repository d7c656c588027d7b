//===- GraphBuilder.h - builds @forward from layer calls ------------------===//
//
// The frontends' common back half: they declare layer instances and call
// them on values; the builder creates the weights (as @forward arguments
// named `<instance>.<weight>`), infers shapes through the layer library,
// emits the Sinter ops and records the summary. Calling an instance again
// shares its weights.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_FRONTEND_LAYERS_GRAPHBUILDER_H
#define SINTER_FRONTEND_LAYERS_GRAPHBUILDER_H

#include "compiler/Frontend/Layers/Layers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"

namespace sinter {

class GraphBuilder {
public:
  GraphBuilder(mlir::MLIRContext *ctx, mlir::Location loc);

  /// A model input of per-example `shape` (float32), named for the trainer.
  mlir::Value addInput(llvm::StringRef name, const Shape &shape,
                       mlir::Location loc);

  /// Declares instance `name` of `def` with `args` (defaults filled in).
  /// Fails if the name is taken or an argument is missing or invalid.
  /// A `frozen` instance's weights are not trained (Keras trainable=False).
  mlir::LogicalResult declare(llvm::StringRef name, const LayerDef &def,
                              LayerArgs args, std::string &error,
                              bool frozen = false);
  bool isDeclared(llvm::StringRef name) const {
    return instances.count(name);
  }
  const LayerDef *defOf(llvm::StringRef name) const;

  /// Applies instance `name` to `inputs`. The first call creates the
  /// weights; later calls share them and must fit them.
  mlir::FailureOr<mlir::Value> call(llvm::StringRef name,
                                    mlir::ValueRange inputs,
                                    mlir::Location loc, std::string &error);

  /// A fresh instance name for `def` in `scope` ("dense", "dense_1", ...;
  /// "block0.dense" in scope "block0").
  std::string uniqueName(llvm::StringRef scope, llvm::StringRef base);

  Shape shapeOf(mlir::Value v) const;

  /// Returns `output` from @forward and attaches the training configuration
  /// (module attributes `sinter.loss`, `sinter.optimizer`, `sinter.layers`).
  mlir::OwningOpRef<mlir::ModuleOp> finish(mlir::Value output,
                                           llvm::StringRef modelName,
                                           llvm::StringRef loss,
                                           mlir::DictionaryAttr optimizer);

private:
  struct Instance {
    const LayerDef *def;
    LayerArgs args;
    llvm::SmallVector<mlir::Value> weights; // empty until the first call
    llvm::SmallVector<Shape> inputShapes;
    bool frozen = false;
  };

  mlir::MLIRContext *ctx;
  mlir::OpBuilder b;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp fn;
  mlir::Block *body;
  llvm::SmallVector<mlir::DictionaryAttr> argAttrs;
  llvm::StringMap<Instance> instances;
  llvm::StringMap<unsigned> nameCounts;
  llvm::SmallVector<mlir::Attribute> summary;
};

} // namespace sinter

#endif // SINTER_FRONTEND_LAYERS_GRAPHBUILDER_H
