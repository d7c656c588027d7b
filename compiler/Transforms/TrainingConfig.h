//===- TrainingConfig.h - the losses and optimizers Sinter compiles -------===//
//
// One table of Keras losses and one of Keras optimizers, shared by the
// frontends (to validate names and fill in Keras defaults) and by the
// train-step pass (to build the loss op and the update ops).
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_TRAININGCONFIG_H
#define SINTER_TRANSFORMS_TRAININGCONFIG_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace sinter {

/// The canonical Keras function name of a loss given as a function name,
/// an alias ("mse") or a class name ("MeanSquaredError"); nullopt if Sinter
/// does not compile it.
std::optional<llvm::StringRef> canonicalLossName(llvm::StringRef name);

/// Every canonical loss name, for error messages.
std::string supportedLosses();

/// True if the loss takes integer class labels instead of dense targets.
bool lossTakesLabels(llvm::StringRef canonical);

/// Builds the loss op (mean over the batch, a tensor<f32>).
mlir::Value buildLoss(mlir::OpBuilder &b, mlir::Location loc,
                      llvm::StringRef canonical, mlir::Value prediction,
                      mlir::Value target);

/// The canonical (lower-case) optimizer name for a Keras class or string
/// name ("Adam", "adam", "RMSprop"); nullopt if unsupported.
std::optional<llvm::StringRef> canonicalOptimizerName(llvm::StringRef name);

/// Every canonical optimizer name, for error messages.
std::string supportedOptimizers();

/// The optimizer dictionary for `name` with every hyperparameter present:
/// values from `given` (floats or bools), Keras defaults for the rest.
/// Fails with `error` set on an unknown hyperparameter or a bad value.
mlir::FailureOr<mlir::DictionaryAttr>
completeOptimizer(mlir::MLIRContext *ctx, llvm::StringRef name,
                  llvm::ArrayRef<mlir::NamedAttribute> given,
                  std::string &error);

/// Slot names of one parameter's optimizer state, in update-op order.
llvm::SmallVector<llvm::StringRef> optimizerSlotNames(mlir::DictionaryAttr opt);

/// Builds one parameter's update; returns the new parameter then the new
/// slots.
llvm::SmallVector<mlir::Value>
buildOptimizerUpdate(mlir::OpBuilder &b, mlir::Location loc,
                     mlir::DictionaryAttr opt, mlir::Value param,
                     mlir::Value grad, mlir::ValueRange slots, mlir::Value lr,
                     mlir::Value iteration);

/// The gradients after the optimizer's clipping: each to `clipnorm`, or all
/// together to `global_clipnorm` (Keras' order: before weight decay and the
/// update); unchanged when neither is set.
llvm::SmallVector<mlir::Value> clipGradients(mlir::OpBuilder &b,
                                             mlir::Location loc,
                                             mlir::DictionaryAttr opt,
                                             llvm::ArrayRef<mlir::Value> grads);

/// The schedule dictionary (`class` = the Keras function name, then every
/// parameter) for a Keras schedule class or name ("CosineDecay",
/// "cosine_decay") and its given parameters (floats, bools, or arrays of
/// floats); fails with `error` on unknown, missing or bad parameters.
mlir::FailureOr<mlir::DictionaryAttr>
completeSchedule(mlir::MLIRContext *ctx, llvm::StringRef name,
                 llvm::ArrayRef<mlir::NamedAttribute> given,
                 std::string &error);

/// Whether `name` is a top-k accuracy metric (Keras' function or class
/// names, or Sinter's top_k_accuracy).
bool isTopK(llvm::StringRef name);

/// The learning rate a completed schedule starts from.
float scheduleInitialRate(mlir::DictionaryAttr schedule);

/// The default learning rate recorded in a completed optimizer dictionary.
float optimizerLearningRate(mlir::DictionaryAttr opt);

} // namespace sinter

#endif // SINTER_TRANSFORMS_TRAININGCONFIG_H
