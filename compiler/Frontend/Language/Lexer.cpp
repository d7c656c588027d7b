//===- Lexer.cpp - tokens of the Sinter model language --------------------===//
#include "compiler/Frontend/Language/Lexer.h"

#include "llvm/ADT/StringSwitch.h"

#include <cctype>

using namespace sinter::lang;

const char *sinter::lang::tokName(Tok t) {
  switch (t) {
  case Tok::Ident: return "a name";
  case Tok::Int: return "an integer";
  case Tok::Float: return "a number";
  case Tok::String: return "a string";
  case Tok::LParen: return "'('";
  case Tok::RParen: return "')'";
  case Tok::LBrace: return "'{'";
  case Tok::RBrace: return "'}'";
  case Tok::LBracket: return "'['";
  case Tok::RBracket: return "']'";
  case Tok::Comma: return "','";
  case Tok::Colon: return "':'";
  case Tok::Semicolon: return "';'";
  case Tok::Equal: return "'='";
  case Tok::Plus: return "'+'";
  case Tok::Minus: return "'-'";
  case Tok::Star: return "'*'";
  case Tok::Slash: return "'/'";
  case Tok::Percent: return "'%'";
  case Tok::Pipe: return "'|>'";
  case Tok::KwModel: return "'model'";
  case Tok::KwTrain: return "'train'";
  case Tok::KwLayer: return "'layer'";
  case Tok::KwRepeat: return "'repeat'";
  case Tok::KwAs: return "'as'";
  case Tok::KwReturn: return "'return'";
  case Tok::Eof: return "the end of the file";
  }
  return "?";
}

std::vector<Token> sinter::lang::lex(llvm::StringRef s, Diagnostics &diags) {
  std::vector<Token> out;
  unsigned line = 1, col = 1;
  size_t i = 0;
  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n && i < s.size(); ++k, ++i) {
      if (s[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == '\n' || c == ' ' || c == '\t' || c == '\r') {
      advance(1);
      continue;
    }
    if (c == '#') {
      while (i < s.size() && s[i] != '\n')
        advance(1);
      continue;
    }
    SrcLoc loc{line, col};
    size_t start = i;
    if (std::isalpha(uint8_t(c)) || c == '_') {
      size_t n = 1;
      while (start + n < s.size() &&
             (std::isalnum(uint8_t(s[start + n])) || s[start + n] == '_'))
        ++n;
      llvm::StringRef word = s.substr(start, n);
      Tok kind = llvm::StringSwitch<Tok>(word)
                     .Case("model", Tok::KwModel)
                     .Case("train", Tok::KwTrain)
                     .Case("layer", Tok::KwLayer)
                     .Case("repeat", Tok::KwRepeat)
                     .Case("as", Tok::KwAs)
                     .Case("return", Tok::KwReturn)
                     .Default(Tok::Ident);
      out.push_back({kind, word, loc});
      advance(n);
      continue;
    }
    if (std::isdigit(uint8_t(c)) ||
        (c == '.' && i + 1 < s.size() && std::isdigit(uint8_t(s[i + 1])))) {
      size_t n = 0;
      bool isFloat = false;
      while (start + n < s.size() && std::isdigit(uint8_t(s[start + n])))
        ++n;
      if (start + n < s.size() && s[start + n] == '.') {
        isFloat = true;
        ++n;
        while (start + n < s.size() && std::isdigit(uint8_t(s[start + n])))
          ++n;
      }
      if (start + n < s.size() && (s[start + n] == 'e' || s[start + n] == 'E')) {
        size_t m = n + 1;
        if (start + m < s.size() && (s[start + m] == '+' || s[start + m] == '-'))
          ++m;
        if (start + m < s.size() && std::isdigit(uint8_t(s[start + m]))) {
          isFloat = true;
          n = m;
          while (start + n < s.size() && std::isdigit(uint8_t(s[start + n])))
            ++n;
        }
      }
      out.push_back({isFloat ? Tok::Float : Tok::Int, s.substr(start, n), loc});
      advance(n);
      continue;
    }
    if (c == '"') {
      size_t n = 1;
      while (start + n < s.size() && s[start + n] != '"' && s[start + n] != '\n')
        ++n;
      if (start + n >= s.size() || s[start + n] != '"') {
        diags.error(loc, "unterminated string");
        advance(n);
        continue;
      }
      out.push_back({Tok::String, s.substr(start + 1, n - 1), loc});
      advance(n + 1);
      continue;
    }
    if (c == '|' && i + 1 < s.size() && s[i + 1] == '>') {
      out.push_back({Tok::Pipe, s.substr(start, 2), loc});
      advance(2);
      continue;
    }
    Tok kind;
    switch (c) {
    case '(': kind = Tok::LParen; break;
    case ')': kind = Tok::RParen; break;
    case '{': kind = Tok::LBrace; break;
    case '}': kind = Tok::RBrace; break;
    case '[': kind = Tok::LBracket; break;
    case ']': kind = Tok::RBracket; break;
    case ',': kind = Tok::Comma; break;
    case ':': kind = Tok::Colon; break;
    case ';': kind = Tok::Semicolon; break;
    case '=': kind = Tok::Equal; break;
    case '+': kind = Tok::Plus; break;
    case '-': kind = Tok::Minus; break;
    case '*': kind = Tok::Star; break;
    case '/': kind = Tok::Slash; break;
    case '%': kind = Tok::Percent; break;
    default:
      diags.error(loc, std::string("unexpected character '") +
                           (std::isprint(uint8_t(c)) ? std::string(1, c)
                                                     : std::string("\\x?")) +
                           "'");
      advance(1);
      continue;
    }
    out.push_back({kind, s.substr(start, 1), loc});
    advance(1);
  }
  out.push_back({Tok::Eof, "", SrcLoc{line, col}});
  return out;
}
