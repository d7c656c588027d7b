//===- Parser.h - .sinter source to its syntax tree -----------------------===//
#ifndef SINTER_FRONTEND_LANGUAGE_PARSER_H
#define SINTER_FRONTEND_LANGUAGE_PARSER_H

#include "compiler/Frontend/Language/AST.h"
#include "compiler/Frontend/Language/Diagnostics.h"

namespace sinter::lang {

/// Parses a whole file. Syntax errors go to `diags`; the parser skips to
/// the next line and goes on, so one run reports several.
Program parse(llvm::StringRef source, Diagnostics &diags);

} // namespace sinter::lang

#endif // SINTER_FRONTEND_LANGUAGE_PARSER_H
