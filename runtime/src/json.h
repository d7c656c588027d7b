// A small JSON reader for safetensors headers: objects, arrays, strings,
// numbers, true/false/null. Errors carry the byte offset.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sinter::json {

struct Value {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Value> array;
  // Keys in file order (duplicates are rejected by the parser).
  std::vector<std::pair<std::string, Value>> object;

  const Value *find(const std::string &key) const;
};

// Parses `text`; on malformed input throws Error("<what> at byte N").
Value parse(const std::string &text);

// `s` as a JSON string literal.
std::string quote(const std::string &s);

} // namespace sinter::json
