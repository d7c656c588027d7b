//===- SinterInterfaces.td - interfaces the Sinter passes use -*- tablegen -*-===//
//
// VJPOpInterface is how autodiff learns an op's gradient: every differentiable
// op implements buildVJP itself, so the autodiff pass never switches over op
// kinds and a new op brings its own rule. TrainingModeOpInterface is how the
// train-step pass learns which ops behave differently while training.
// ElementwiseUpdateOpInterface is how the optimizer fusion learns which
// operands of an optimizer step it may concatenate.
//
//===----------------------------------------------------------------------===//

#ifndef SINTER_INTERFACES
#define SINTER_INTERFACES

include "mlir/IR/OpBase.td"

def Sinter_VJPOpInterface : OpInterface<"VJPOpInterface"> {
  let description = [{
    An op with a vector-Jacobian product rule. Given the cotangent of each
    result, the op emits (at the builder's insertion point, after all forward
    ops) the IR that computes the cotangent of each operand.
  }];
  let cppNamespace = "::sinter";
  let methods = [
    InterfaceMethod<[{
        True if operand `index` carries a gradient: a float tensor, not integer
        labels.
      }],
      "bool", "isDifferentiableOperand", (ins "unsigned":$index), [{}],
      [{ return ::llvm::isa<::mlir::FloatType>(::mlir::getElementTypeOrSelf(
             $_op->getOperand(index).getType())); }]>,
    InterfaceMethod<[{
        Emits the operand cotangents given the result cotangents. A null
        entry in `resultGrads` is a symbolic zero. `operandGrads` arrives
        sized to the operand count and filled with nulls; the rule sets the
        entries it computes, each with exactly its operand's type.
      }],
      "::mlir::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::ValueRange":$resultGrads,
           "::llvm::MutableArrayRef<::mlir::Value>":$operandGrads)>,
  ];
}

def Sinter_TrainingModeOpInterface : OpInterface<"TrainingModeOpInterface"> {
  let description = [{
    A layer that computes something else while training than at inference
    (Dropout, BatchNormalization). @forward holds the op itself;
    sinter-build-train-step replaces it, in each entry point, by what
    `buildForMode` emits: the training form in the train step and in
    @sinter_gradients, the inference form in @sinter_predict and
    @sinter_evaluate.
  }];
  let cppNamespace = "::sinter";
  let methods = [
    InterfaceMethod<[{
        Emits the op's meaning at the builder's insertion point and returns
        the value that replaces its result. `training` selects the form.
        `step` (the f32 count of finished training steps) is given in the
        train step only: random ops (Dropout) key on it and are the
        identity without it, so @sinter_gradients stays deterministic.
        An op with state (moving statistics, held in parameters of
        non-trainable layers' kind) appends (state operand, new value)
        pairs to `stateUpdates` in its training form.
      }],
      "::mlir::Value", "buildForMode",
      (ins "::mlir::OpBuilder &":$builder, "bool":$training,
           "::mlir::Value":$step,
           "::llvm::SmallVectorImpl<std::pair<::mlir::Value, ::mlir::Value>> &":$stateUpdates)>,
  ];
}

def Sinter_ElementwiseUpdateOpInterface
    : OpInterface<"ElementwiseUpdateOpInterface"> {
  let description = [{
    An optimizer step that updates a parameter and its slots element by
    element: element i of every result depends on element i of the
    parameter, the gradient and the slots, and on the op's scalar operands
    and attributes only. Results are the new parameter, then the new slots
    in slot order; other operands are scalars. So the steps of parameters
    that lie side by side in memory are one step over their concatenation
    (sinter-fuse-optimizer-updates).
  }];
  let cppNamespace = "::sinter";
  let methods = [
    InterfaceMethod<"The parameter the step updates.", "::mlir::Value",
                    "getParam">,
    InterfaceMethod<"Its gradient.", "::mlir::Value", "getGrad">,
    InterfaceMethod<"Its optimizer slots (moments), each shaped like it.",
                    "::mlir::OperandRange", "getSlots">,
  ];
}

#endif // SINTER_INTERFACES
