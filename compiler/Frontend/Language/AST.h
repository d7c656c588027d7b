//===- AST.h - the syntax tree of a .sinter file --------------------------===//
#ifndef SINTER_FRONTEND_LANGUAGE_AST_H
#define SINTER_FRONTEND_LANGUAGE_AST_H

#include "compiler/Frontend/Language/Diagnostics.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sinter::lang {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct KeywordArg {
  std::string name;
  SrcLoc loc;
  ExprPtr value;
};

struct Expr {
  enum Kind { Name, Int, Float, String, Call, Binary, Negate, List } kind;
  SrcLoc loc;
  std::string text;          // Name, String, Call's callee
  int64_t intValue = 0;      // Int
  double floatValue = 0;     // Float
  char op = 0;               // Binary: + - * / %
  std::vector<ExprPtr> args; // Call positional, Binary lhs/rhs, List, Negate
  std::vector<KeywordArg> kwargs; // Call
};

struct Stmt {
  enum Kind { Assign, LayerDecl, Repeat, Return } kind;
  SrcLoc loc;
  std::string name;   // Assign / LayerDecl target, Repeat prefix
  SrcLoc nameLoc;
  ExprPtr value;      // Assign / LayerDecl / Return value, Repeat count
  std::vector<Stmt> body; // Repeat
};

/// `x: f32[784]` (an input) or `hidden = 128` (an integer parameter).
struct Param {
  std::string name;
  SrcLoc loc;
  bool isInput = false;
  std::string elementType; // inputs: "f32" / "i32"
  SrcLoc typeLoc;
  std::vector<ExprPtr> dims; // inputs
  ExprPtr defaultValue;      // integer parameters
};

struct ModelDecl {
  std::string name;
  SrcLoc loc;
  std::vector<Param> params;
  std::vector<Stmt> body;
};

struct TrainEntry {
  std::string key;
  SrcLoc loc;
  ExprPtr value;
};

struct TrainDecl {
  std::string model;
  SrcLoc loc;
  std::vector<TrainEntry> entries;
};

struct Program {
  std::vector<ModelDecl> models;
  std::vector<TrainDecl> trains;
};

} // namespace sinter::lang

#endif // SINTER_FRONTEND_LANGUAGE_AST_H
