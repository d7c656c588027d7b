#include "json.h"

#include "error.h"

#include <cstdlib>

namespace sinter::json {

const Value *Value::find(const std::string &key) const {
  for (const auto &kv : object)
    if (kv.first == key)
      return &kv.second;
  return nullptr;
}

namespace {
struct Parser {
  const std::string &s;
  size_t i = 0;
  int depth = 0;

  [[noreturn]] void error(const std::string &what) {
    fail("", "", what + " at byte " + std::to_string(i));
  }
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' ||
                            s[i] == '\r'))
      ++i;
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c))
      error(std::string("expected '") + c + "'");
  }
  std::string str() {
    ws();
    if (i >= s.size() || s[i] != '"')
      error("expected a string");
    ++i;
    std::string out;
    while (true) {
      if (i >= s.size())
        error("unterminated string");
      char c = s[i++];
      if (c == '"')
        return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= s.size())
        error("unterminated string");
      char e = s[i++];
      switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        if (i + 4 > s.size())
          error("bad \\u escape");
        unsigned code = std::strtoul(s.substr(i, 4).c_str(), nullptr, 16);
        i += 4;
        if (code < 0x80) {
          out += char(code);
        } else if (code < 0x800) {
          out += char(0xC0 | (code >> 6));
          out += char(0x80 | (code & 0x3F));
        } else {
          out += char(0xE0 | (code >> 12));
          out += char(0x80 | ((code >> 6) & 0x3F));
          out += char(0x80 | (code & 0x3F));
        }
        break;
      }
      default: out += e;
      }
    }
  }
  Value value() {
    if (++depth > 64)
      error("nesting too deep");
    ws();
    if (i >= s.size())
      error("unexpected end of input");
    Value v;
    char c = s[i];
    if (c == '{') {
      ++i;
      v.kind = Value::Object;
      if (!eat('}')) {
        do {
          std::string key = str();
          if (v.find(key))
            error("duplicate key \"" + key + "\"");
          expect(':');
          v.object.emplace_back(key, value());
        } while (eat(','));
        expect('}');
      }
    } else if (c == '[') {
      ++i;
      v.kind = Value::Array;
      if (!eat(']')) {
        do
          v.array.push_back(value());
        while (eat(','));
        expect(']');
      }
    } else if (c == '"') {
      v.kind = Value::String;
      v.string = str();
    } else if (s.compare(i, 4, "true") == 0) {
      v.kind = Value::Bool;
      v.boolean = true;
      i += 4;
    } else if (s.compare(i, 5, "false") == 0) {
      v.kind = Value::Bool;
      i += 5;
    } else if (s.compare(i, 4, "null") == 0) {
      i += 4;
    } else {
      const char *begin = s.c_str() + i;
      char *end = nullptr;
      v.number = std::strtod(begin, &end);
      if (end == begin)
        error("unexpected character");
      v.kind = Value::Number;
      i += end - begin;
    }
    --depth;
    return v;
  }
};
} // namespace

Value parse(const std::string &text) {
  Parser p{text};
  Value v = p.value();
  p.ws();
  if (p.i != text.size())
    p.error("trailing characters");
  return v;
}

std::string quote(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

} // namespace sinter::json
