//===- TrainerLayout.h - attribute names and the flat-buffer layout -------===//
//
// The entry points carry `sinter.*` argument attributes naming what each
// argument is. From them follows the layout of the trainer ABI's flat
// buffers (runtime/include/sinter/abi.h): every parameter at an offset
// aligned to kAlignElems floats in the parameter buffer, and slot k of
// parameter i at k * paramElems + offset(i) in the slot buffer.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_TRANSFORMS_TRAINERLAYOUT_H
#define SINTER_TRANSFORMS_TRAINERLAYOUT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace sinter {

namespace attrs {
constexpr llvm::StringLiteral kInput = "sinter.input";   // input layer name
constexpr llvm::StringLiteral kTarget = "sinter.target"; // "labels"|"dense"
constexpr llvm::StringLiteral kParam = "sinter.param";   // "layer.variable"
constexpr llvm::StringLiteral kInit = "sinter.init";     // initializer dict
constexpr llvm::StringLiteral kFrozen = "sinter.frozen"; // not trained
constexpr llvm::StringLiteral kSlot = "sinter.slot";     // "param/slot"
constexpr llvm::StringLiteral kHyper = "sinter.hyper";   // scalar's name
constexpr llvm::StringLiteral kLoss = "sinter.loss";
constexpr llvm::StringLiteral kOptimizer = "sinter.optimizer";
constexpr llvm::StringLiteral kLayers = "sinter.layers";
constexpr llvm::StringLiteral kModelName = "sinter.model_name";
constexpr llvm::StringLiteral kLrSchedule = "sinter.lr_schedule";
constexpr llvm::StringLiteral kTopK = "sinter.top_k"; // top-k accuracy's k
constexpr llvm::StringLiteral kRegularizer = "sinter.regularizer"; // {l1, l2}
} // namespace attrs

/// Entry point names (C symbols get the `_mlir_ciface_` prefix).
constexpr llvm::StringLiteral kPredictFn = "sinter_predict";
constexpr llvm::StringLiteral kEvaluateFn = "sinter_evaluate";
constexpr llvm::StringLiteral kGradientsFn = "sinter_gradients";
constexpr llvm::StringLiteral kTrainStepFn = "sinter_train_step";

/// Private functions the entry points call (sinter-build-train-step): the
/// inference pass (predict, evaluate) and the training pass (gradients,
/// train step).
constexpr llvm::StringLiteral kInferenceFn = "sinter_inference";
constexpr llvm::StringLiteral kTrainingPassFn = "sinter_training_pass";

/// The global holding the entry points' workspace size, {bytes per batch
/// row, fixed bytes} (sinter-plan-memory), and the module attribute with
/// each function's memory plan (`sinterc --report`).
constexpr llvm::StringLiteral kWorkspaceGlobal = "sinter_workspace";
constexpr llvm::StringLiteral kMemoryPlanAttr = "sinter.memory_plan";

/// Offsets are multiples of 16 floats (64 bytes, one cache line).
constexpr int64_t kAlignElems = 16;

struct ParamLayout {
  std::string name;
  llvm::SmallVector<int64_t> shape;
  int64_t offset = 0; // in floats, into the parameter buffer
  int64_t size = 0;   // elements
  unsigned arg = 0;   // the function argument it came from
};

struct TrainerLayout {
  llvm::SmallVector<ParamLayout> params;
  int64_t paramElems = 0; // length of the parameter buffer
};

/// The layout of the parameters marked `sinter.param` on `fn`'s arguments,
/// in argument order.
TrainerLayout computeLayout(mlir::func::FuncOp fn);

/// Floats [offset, offset + product(shape)) of the flat 1-D memref
/// `buffer` as a memref of `shape`: a `memref.subview`, reshaped by
/// `memref.expand_shape` unless `shape` is 1-D.
mlir::Value flatWindow(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value buffer, int64_t offset,
                       llvm::ArrayRef<int64_t> shape);

/// The string value of argument attribute `name` of argument `i`, or "".
llvm::StringRef argAttrString(mlir::func::FuncOp fn, unsigned i,
                              llvm::StringRef name);

} // namespace sinter

#endif // SINTER_TRANSFORMS_TRAINERLAYOUT_H
