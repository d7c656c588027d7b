//===- SinterLanguage.h - .sinter files to the Sinter dialect -------------===//
#ifndef SINTER_FRONTEND_LANGUAGE_SINTERLANGUAGE_H
#define SINTER_FRONTEND_LANGUAGE_SINTERLANGUAGE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace sinter {

struct SinterImportOptions {
  std::string loss, optimizer; // override the train section (Keras names)
  std::string model;           // which model, when the file has several
};

/// Compiles a .sinter file into the graph stage. On errors returns null
/// after printing every diagnostic (file:line:col, source line, caret) to
/// `errs`.
mlir::OwningOpRef<mlir::ModuleOp>
importSinterModel(mlir::MLIRContext *ctx, const std::string &path,
                  const SinterImportOptions &options, llvm::raw_ostream &errs);

/// The same from source text (`path` names it in messages and anchors
/// relative data paths).
mlir::OwningOpRef<mlir::ModuleOp>
importSinterSource(mlir::MLIRContext *ctx, llvm::StringRef source,
                   const std::string &path, const SinterImportOptions &options,
                   llvm::raw_ostream &errs);

} // namespace sinter

#endif // SINTER_FRONTEND_LANGUAGE_SINTERLANGUAGE_H
