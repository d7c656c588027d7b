//===- Lexer.h - tokens of the Sinter model language ----------------------===//
#ifndef SINTER_FRONTEND_LANGUAGE_LEXER_H
#define SINTER_FRONTEND_LANGUAGE_LEXER_H

#include "compiler/Frontend/Language/Diagnostics.h"

#include "llvm/ADT/StringRef.h"

#include <vector>

namespace sinter::lang {

enum class Tok {
  Ident, Int, Float, String,
  LParen, RParen, LBrace, RBrace, LBracket, RBracket,
  Comma, Colon, Semicolon, Equal, Plus, Minus, Star, Slash, Percent, Pipe,
  // Keywords.
  KwModel, KwTrain, KwLayer, KwRepeat, KwAs, KwReturn,
  Eof,
};

const char *tokName(Tok t);

struct Token {
  Tok kind;
  llvm::StringRef text;
  SrcLoc loc;
};

/// Splits `source` into tokens; `#` starts a comment to the end of the line.
/// Bad characters are reported to `diags` and skipped.
std::vector<Token> lex(llvm::StringRef source, Diagnostics &diags);

} // namespace sinter::lang

#endif // SINTER_FRONTEND_LANGUAGE_LEXER_H
