//===- Layers.h - the layer library both frontends share ------------------===//
//
// Every layer Sinter compiles is one LayerDef in Layers.cpp: its name in the
// Sinter language, its Keras class, the arguments it takes (named as in the
// Keras config, in positional order), how it infers its output shape, which
// weights it creates, and the Sinter ops it emits. The Keras importer and the
// language frontend both resolve layers here, so adding a layer is one
// entry, available to both.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_FRONTEND_LAYERS_LAYERS_H
#define SINTER_FRONTEND_LAYERS_LAYERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sinter {

/// A per-example shape (the batch dimension is implicit).
using Shape = llvm::SmallVector<int64_t, 4>;

std::string shapeString(llvm::ArrayRef<int64_t> shape); // "[28, 28, 1]"

/// The kinds of layer arguments.
enum class ArgKind {
  Int,         // units = 64
  Float,       // factor = 0.5
  Bool,        // use_bias = false
  Activation,  // activation = relu (a name)
  Initializer, // kernel_initializer = he_normal | random_normal(stddev = .1)
  IntList,     // target_shape = [7, 7, 16]; kernel_size = 5 is [5]
  Choice,      // padding = same (one of ArgSpec::choices)
  Regularizer, // kernel_regularizer = l2(0.01) | none
};

/// One argument value after binding.
struct ArgValue {
  ArgKind kind = ArgKind::Int;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string name;           // Activation, Choice
  mlir::DictionaryAttr init;  // Initializer: {class = "...", options...};
                              // Regularizer: {l1 = f32, l2 = f32} or null
  std::vector<int64_t> ints;  // IntList
};

using LayerArgs = std::map<std::string, ArgValue>;

struct ArgSpec {
  llvm::StringLiteral name;
  ArgKind kind;
  const char *defaultValue; // nullptr: required; parsed like a user value
                            // (IntList: "1, 1", or "" for none given)
  int64_t minInt = INT64_MIN; // Int arguments: the smallest allowed value
  llvm::ArrayRef<llvm::StringLiteral> choices = {}; // Choice arguments
};

/// A weight a layer call creates: `<layer name>.<name>`.
struct WeightSpec {
  std::string name;
  Shape shape;
  mlir::DictionaryAttr init;
  mlir::DictionaryAttr regularizer = {}; // {l1, l2}: a penalty on the loss
  bool trainable = true; // false: state the train step updates itself
                         // (BatchNormalization's moving statistics)
};

struct LayerDef {
  llvm::StringLiteral name;       // in the Sinter language
  llvm::StringLiteral kerasClass; // "" when Keras has no such layer
  unsigned minInputs, maxInputs;  // tensor inputs
  llvm::ArrayRef<ArgSpec> args;   // in positional order
  /// The output shape, or failure with `error` set.
  mlir::FailureOr<Shape> (*infer)(llvm::ArrayRef<Shape> inputs,
                                  const LayerArgs &args, std::string &error);
  /// The weights of one instance (may be empty).
  llvm::SmallVector<WeightSpec> (*weights)(llvm::ArrayRef<Shape> inputs,
                                           const LayerArgs &args);
  /// Emits the layer's ops; `weights` follow the order of `weights()`.
  /// `args` also holds `trainable` (Bool): false for a frozen instance
  /// (Keras trainable=False).
  mlir::Value (*emit)(mlir::OpBuilder &b, mlir::Location loc,
                      mlir::ValueRange inputs, mlir::ValueRange weights,
                      const LayerArgs &args, mlir::Type resultType);
};

/// The layer called `name` in the Sinter language, or null.
const LayerDef *findLayer(llvm::StringRef name);
/// The layer for a Keras class name, or null.
const LayerDef *findKerasLayer(llvm::StringRef kerasClass);
/// Every layer's language name / Keras class, for messages and suggestions.
llvm::SmallVector<llvm::StringRef> layerNames();
llvm::SmallVector<llvm::StringRef> kerasLayerClasses();

/// The activation names layers accept.
llvm::ArrayRef<llvm::StringLiteral> activationNames();

/// An initializer dictionary from a Keras class or function name
/// ("GlorotUniform", "glorot_uniform") and its options; failure with
/// `error` naming the problem (the option keys are checked).
mlir::FailureOr<mlir::DictionaryAttr>
makeInitializer(mlir::MLIRContext *ctx, llvm::StringRef name,
                llvm::ArrayRef<std::pair<std::string, mlir::Attribute>> options,
                std::string &error);

/// A regularizer dictionary {l1, l2} from a Keras class or function name
/// ("L2", "l2", "L1L2", "l1_l2") and its options (`l1`, `l2`; Keras'
/// defaults 0.01 for the named one); null for "none".
mlir::FailureOr<mlir::DictionaryAttr>
makeRegularizer(mlir::MLIRContext *ctx, llvm::StringRef name,
                llvm::ArrayRef<std::pair<std::string, double>> options,
                std::string &error);

/// Fills the defaults of `def`'s arguments into `args` (parsing each default
/// like a user value). Fails, with `error`, on a missing required argument.
mlir::LogicalResult completeArgs(mlir::MLIRContext *ctx, const LayerDef &def,
                                 LayerArgs &args, std::string &error);

/// The closest of `candidates` to `name` by edit distance, if close enough
/// to suggest ("did you mean ...?").
std::optional<std::string>
closestName(llvm::StringRef name, llvm::ArrayRef<llvm::StringRef> candidates);

} // namespace sinter

#endif // SINTER_FRONTEND_LAYERS_LAYERS_H
