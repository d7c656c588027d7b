//===- SinterDialect.h - the Sinter dialect's C++ declarations ------------===//
#ifndef SINTER_DIALECT_H
#define SINTER_DIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/Sinter/IR/SinterOpsDialect.h.inc"
#include "dialects/Sinter/IR/SinterInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/Sinter/IR/SinterOps.h.inc"

#endif // SINTER_DIALECT_H
