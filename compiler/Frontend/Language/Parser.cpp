//===- Parser.cpp - .sinter source to its syntax tree ---------------------===//
//
//   program  := (model | train)*
//   model    := 'model' NAME '(' [param (',' param)*] ')' '{' stmt* '}'
//   param    := NAME ':' TYPE '[' expr (',' expr)* ']'  |  NAME '=' expr
//   stmt     := NAME '=' expr | 'layer' NAME '=' call | 'return' expr
//             | 'repeat' expr ['as' NAME] '{' stmt* '}'
//   train    := 'train' NAME '{' (NAME '=' expr)* '}'
//   expr     := sum ('|>' (call | NAME))*            a |> f(b) is f(a, b)
//   sum      := product (('+' | '-') product)*
//   product  := unary (('*' | '/' | '%') unary)*
//   unary    := '-' unary | primary
//   primary  := INT | FLOAT | STRING | NAME | call | '(' expr ')'
//             | '[' [expr (',' expr)*] ']'
//   call     := NAME '(' [arg (',' arg)*] ')',  arg := expr | NAME '=' expr
//
// Statements need no separator (';' is allowed). After a syntax error the
// parser skips to the next line, so one run reports several errors.
//
//===----------------------------------------------------------------------===//
#include "compiler/Frontend/Language/Parser.h"

#include "compiler/Frontend/Language/Lexer.h"

#include <cerrno>
#include <cstdlib>
#include <optional>

using namespace sinter::lang;

namespace {

class Parser {
public:
  Parser(std::vector<Token> toks, Diagnostics &diags)
      : toks(std::move(toks)), diags(diags) {}

  Program program() {
    Program p;
    while (!at(Tok::Eof)) {
      if (at(Tok::KwModel)) {
        if (auto m = model())
          p.models.push_back(std::move(*m));
      } else if (at(Tok::KwTrain)) {
        if (auto t = train())
          p.trains.push_back(std::move(*t));
      } else {
        error("expected 'model' or 'train', got " + describe(peek()));
        size_t before = pos;
        skipLine();
        if (pos == before)
          take(); // a stray '}'
        while (!at(Tok::Eof) && !at(Tok::KwModel) && !at(Tok::KwTrain))
          take(); // the rest of whatever this was
      }
    }
    return p;
  }

private:
  const Token &peek(size_t ahead = 0) const {
    return toks[std::min(pos + ahead, toks.size() - 1)];
  }
  bool at(Tok k) const { return peek().kind == k; }
  Token take() {
    Token t = peek();
    if (pos < toks.size() - 1)
      ++pos;
    return t;
  }
  bool accept(Tok k) {
    if (!at(k))
      return false;
    take();
    return true;
  }
  static std::string describe(const Token &t) {
    if (t.kind == Tok::Eof)
      return "the end of the file";
    return "'" + t.text.str() + "'";
  }
  void error(const std::string &message) { diags.error(peek().loc, message); }
  bool expect(Tok k, const char *context) {
    if (accept(k))
      return true;
    error(std::string("expected ") + tokName(k) + " " + context + ", got " +
          describe(peek()));
    return false;
  }
  /// Skips to the first token of a later line (or a closing brace).
  void skipLine() {
    unsigned line = peek().loc.line;
    while (!at(Tok::Eof) && !at(Tok::RBrace) && peek().loc.line == line)
      take();
  }

  std::optional<ModelDecl> model() {
    ModelDecl m;
    m.loc = take().loc;
    if (!at(Tok::Ident)) {
      error("expected the model's name after 'model'");
      skipLine();
      return std::nullopt;
    }
    m.name = take().text.str();
    if (expect(Tok::LParen, "after the model's name")) {
      if (!at(Tok::RParen)) {
        do {
          if (auto p = param())
            m.params.push_back(std::move(*p));
          else
            while (!at(Tok::Comma) && !at(Tok::RParen) && !at(Tok::Eof) &&
                   !at(Tok::LBrace))
              take();
        } while (accept(Tok::Comma));
      }
      expect(Tok::RParen, "after the model's parameters");
    }
    if (!expect(Tok::LBrace, "to open the model's body")) {
      skipLine();
      return m;
    }
    m.body = block();
    return m;
  }

  std::optional<Param> param() {
    Param p;
    if (!at(Tok::Ident)) {
      error("expected a parameter name, got " + describe(peek()));
      return std::nullopt;
    }
    Token name = take();
    p.name = name.text.str();
    p.loc = name.loc;
    if (accept(Tok::Equal)) {
      p.defaultValue = expr();
      return p.defaultValue ? std::optional<Param>(std::move(p)) : std::nullopt;
    }
    if (!expect(Tok::Colon, "after an input's name (or '=' for a parameter)"))
      return std::nullopt;
    p.isInput = true;
    if (!at(Tok::Ident)) {
      error("expected an element type (f32) after ':'");
      return std::nullopt;
    }
    Token type = take();
    p.elementType = type.text.str();
    p.typeLoc = type.loc;
    if (!expect(Tok::LBracket, "before the input's shape"))
      return std::nullopt;
    do {
      ExprPtr d = expr();
      if (!d)
        return std::nullopt;
      p.dims.push_back(std::move(d));
    } while (accept(Tok::Comma));
    if (!expect(Tok::RBracket, "after the input's shape"))
      return std::nullopt;
    return p;
  }

  /// Statements up to the matching '}'.
  std::vector<Stmt> block() {
    std::vector<Stmt> body;
    while (!at(Tok::RBrace) && !at(Tok::Eof)) {
      if (accept(Tok::Semicolon))
        continue;
      size_t before = pos;
      if (auto s = stmt())
        body.push_back(std::move(*s));
      else if (pos == before || peek().loc.line == toks[before].loc.line)
        skipLine();
    }
    expect(Tok::RBrace, "to close the block");
    return body;
  }

  std::optional<Stmt> stmt() {
    Stmt s;
    s.loc = peek().loc;
    if (accept(Tok::KwReturn)) {
      s.kind = Stmt::Return;
      s.value = expr();
      return s.value ? std::optional<Stmt>(std::move(s)) : std::nullopt;
    }
    if (accept(Tok::KwRepeat)) {
      s.kind = Stmt::Repeat;
      s.value = expr();
      if (!s.value)
        return std::nullopt;
      s.name = "block";
      if (accept(Tok::KwAs)) {
        if (!at(Tok::Ident)) {
          error("expected a name after 'as'");
          return std::nullopt;
        }
        s.nameLoc = peek().loc;
        s.name = take().text.str();
      }
      if (!expect(Tok::LBrace, "to open the repeated block"))
        return std::nullopt;
      s.body = block();
      return s;
    }
    bool isLayer = accept(Tok::KwLayer);
    if (!at(Tok::Ident)) {
      error(std::string("expected ") +
            (isLayer ? "the layer's name" : "a statement") + ", got " +
            describe(peek()));
      return std::nullopt;
    }
    s.kind = isLayer ? Stmt::LayerDecl : Stmt::Assign;
    s.nameLoc = peek().loc;
    s.name = take().text.str();
    if (!expect(Tok::Equal, isLayer ? "after the layer's name"
                                    : "after the name (an assignment)"))
      return std::nullopt;
    s.value = expr();
    return s.value ? std::optional<Stmt>(std::move(s)) : std::nullopt;
  }

  std::optional<TrainDecl> train() {
    TrainDecl t;
    t.loc = take().loc;
    if (!at(Tok::Ident)) {
      error("expected the name of the model to train after 'train'");
      skipLine();
      return std::nullopt;
    }
    t.model = take().text.str();
    if (!expect(Tok::LBrace, "to open the train section")) {
      skipLine();
      return t;
    }
    while (!at(Tok::RBrace) && !at(Tok::Eof)) {
      if (accept(Tok::Semicolon))
        continue;
      if (!at(Tok::Ident)) {
        error("expected a setting (loss, optimizer, metrics, data), got " +
              describe(peek()));
        skipLine();
        continue;
      }
      TrainEntry e;
      e.loc = peek().loc;
      e.key = take().text.str();
      if (!expect(Tok::Equal, "after the setting's name")) {
        skipLine();
        continue;
      }
      e.value = expr();
      if (e.value)
        t.entries.push_back(std::move(e));
      else
        skipLine();
    }
    expect(Tok::RBrace, "to close the train section");
    return t;
  }

  ExprPtr expr() {
    ExprPtr lhs = sum();
    while (lhs && at(Tok::Pipe)) {
      SrcLoc loc = take().loc;
      if (!at(Tok::Ident)) {
        error("expected a layer after '|>'");
        return nullptr;
      }
      ExprPtr rhs = primary();
      if (!rhs)
        return nullptr;
      if (rhs->kind == Expr::Name) { // x |> relu  ==  relu(x)
        rhs->kind = Expr::Call;
      } else if (rhs->kind != Expr::Call) {
        diags.error(loc, "expected a layer call after '|>'");
        return nullptr;
      }
      rhs->args.insert(rhs->args.begin(), std::move(lhs));
      lhs = std::move(rhs);
    }
    return lhs;
  }

  ExprPtr binary(ExprPtr lhs, char op, ExprPtr rhs, SrcLoc loc) {
    if (!lhs || !rhs)
      return nullptr;
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Binary;
    e->op = op;
    e->loc = loc;
    e->args.push_back(std::move(lhs));
    e->args.push_back(std::move(rhs));
    return e;
  }

  ExprPtr sum() {
    ExprPtr lhs = product();
    while (lhs && (at(Tok::Plus) || at(Tok::Minus))) {
      Token op = take();
      lhs = binary(std::move(lhs), op.text[0], product(), op.loc);
    }
    return lhs;
  }

  ExprPtr product() {
    ExprPtr lhs = unary();
    while (lhs && (at(Tok::Star) || at(Tok::Slash) || at(Tok::Percent))) {
      Token op = take();
      lhs = binary(std::move(lhs), op.text[0], unary(), op.loc);
    }
    return lhs;
  }

  ExprPtr unary() {
    if (at(Tok::Minus)) {
      SrcLoc loc = take().loc;
      ExprPtr operand = unary();
      if (!operand)
        return nullptr;
      auto e = std::make_unique<Expr>();
      e->kind = Expr::Negate;
      e->loc = loc;
      e->args.push_back(std::move(operand));
      return e;
    }
    return primary();
  }

  ExprPtr primary() {
    auto e = std::make_unique<Expr>();
    e->loc = peek().loc;
    Token t = peek();
    switch (t.kind) {
    case Tok::Int: {
      take();
      e->kind = Expr::Int;
      errno = 0;
      e->intValue = std::strtoll(t.text.str().c_str(), nullptr, 10);
      if (errno == ERANGE) {
        diags.error(t.loc, "integer " + t.text.str() + " is too large");
        return nullptr;
      }
      return e;
    }
    case Tok::Float:
      take();
      e->kind = Expr::Float;
      e->floatValue = std::strtod(t.text.str().c_str(), nullptr);
      return e;
    case Tok::String:
      take();
      e->kind = Expr::String;
      e->text = t.text.str();
      return e;
    case Tok::LParen: {
      take();
      ExprPtr inner = expr();
      if (!inner || !expect(Tok::RParen, "to close the parenthesis"))
        return nullptr;
      return inner;
    }
    case Tok::LBracket:
      take();
      e->kind = Expr::List;
      if (!at(Tok::RBracket)) {
        do {
          ExprPtr item = expr();
          if (!item)
            return nullptr;
          e->args.push_back(std::move(item));
        } while (accept(Tok::Comma));
      }
      if (!expect(Tok::RBracket, "to close the list"))
        return nullptr;
      return e;
    case Tok::Ident:
      take();
      e->text = t.text.str();
      if (!accept(Tok::LParen)) {
        e->kind = Expr::Name;
        return e;
      }
      e->kind = Expr::Call;
      if (!at(Tok::RParen)) {
        do {
          if (at(Tok::Ident) && peek(1).kind == Tok::Equal) {
            KeywordArg kw;
            kw.loc = peek().loc;
            kw.name = take().text.str();
            take();
            kw.value = expr();
            if (!kw.value)
              return nullptr;
            e->kwargs.push_back(std::move(kw));
            continue;
          }
          if (!e->kwargs.empty()) {
            error("positional argument after keyword arguments");
            return nullptr;
          }
          ExprPtr arg = expr();
          if (!arg)
            return nullptr;
          e->args.push_back(std::move(arg));
        } while (accept(Tok::Comma));
      }
      if (!expect(Tok::RParen, "after the arguments"))
        return nullptr;
      return e;
    default:
      error("expected an expression, got " + describe(t));
      return nullptr;
    }
  }

  std::vector<Token> toks;
  size_t pos = 0;
  Diagnostics &diags;
};

} // namespace

Program sinter::lang::parse(llvm::StringRef source, Diagnostics &diags) {
  return Parser(lex(source, diags), diags).program();
}
