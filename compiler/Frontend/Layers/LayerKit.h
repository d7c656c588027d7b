//===- LayerKit.h - what the layer files share ----------------------------===//
//
// Internal to compiler/Frontend/Layers: shape rules and emit helpers used by
// more than one layer family, and each family's table. Layers.cpp holds the
// core layers and the lookups over every family.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_FRONTEND_LAYERS_LAYERKIT_H
#define SINTER_FRONTEND_LAYERS_LAYERKIT_H

#include "compiler/Frontend/Layers/Layers.h"

namespace sinter::layers {

/// The named activation applied to `x` ("linear": x itself).
mlir::Value activate(mlir::OpBuilder &b, mlir::Location loc,
                     llvm::StringRef name, mlir::Value x);
/// Keras' leaky ReLU: x where x > 0, slope * x elsewhere.
mlir::Value leakyRelu(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                      double slope);
/// `x · kernel` over x's last dimension (matmul or contraction).
mlir::Value applyKernel(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                        mlir::Value kernel, mlir::Type type);

/// Weights of layers with a kernel and an optional bias of `units`
/// (arguments kernel_initializer, kernel_regularizer, use_bias,
/// bias_initializer, bias_regularizer).
llvm::SmallVector<WeightSpec> kernelAndBias(const LayerArgs &args,
                                            Shape kernel, int64_t units);
/// `h` plus the bias (weights[1], if use_bias), then the activation.
mlir::Value biasAndActivation(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value h, mlir::ValueRange weights,
                              const LayerArgs &args);

/// Shape rule: every input has one shape, which the output keeps.
mlir::FailureOr<Shape> sameShape(llvm::ArrayRef<Shape> in,
                                 const LayerArgs &args, std::string &error);
/// Weight rule of layers without weights.
llvm::SmallVector<WeightSpec> noWeights(llvm::ArrayRef<Shape> in,
                                        const LayerArgs &args);
/// The number of elements of a shape.
int64_t elements(const Shape &s);

/// A seed from the layer name the location carries (`unnamed` without
/// one): FNV-1a from `basis`, so different bases give unrelated seeds.
uint32_t nameSeed(mlir::Location loc, llvm::StringRef unnamed,
                  uint32_t basis);

/// The layer families outside Layers.cpp.
llvm::ArrayRef<LayerDef> imageLayers();    // ImageLayers.cpp
llvm::ArrayRef<LayerDef> sequenceLayers(); // SequenceLayers.cpp
llvm::ArrayRef<LayerDef> normalizationLayers(); // NormalizationLayers.cpp

} // namespace sinter::layers

#endif // SINTER_FRONTEND_LAYERS_LAYERKIT_H
