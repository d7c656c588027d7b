//===- Diagnostics.cpp - C-compiler-style errors for .sinter files --------===//
#include "compiler/Frontend/Language/Diagnostics.h"

#include <algorithm>

using namespace sinter::lang;

// Stops a runaway file (say, binary data) from printing thousands of lines.
static constexpr unsigned kMaxErrors = 20;

void Diagnostics::error(SrcLoc at, const std::string &message) {
  ++errors;
  if (errors <= kMaxErrors)
    entries.push_back({at, true, message});
}

void Diagnostics::note(SrcLoc at, const std::string &message) {
  if (errors <= kMaxErrors)
    entries.push_back({at, false, message});
}

void Diagnostics::print(llvm::raw_ostream &os) const {
  // In source order, as a compiler reports: each error with its notes (the
  // lexer's errors were found before the parser's).
  std::vector<std::vector<const Entry *>> groups;
  for (const Entry &e : entries) {
    if (e.isError || groups.empty())
      groups.emplace_back();
    groups.back().push_back(&e);
  }
  std::stable_sort(groups.begin(), groups.end(), [](auto &a, auto &b) {
    return std::make_pair(a[0]->at.line, a[0]->at.col) <
           std::make_pair(b[0]->at.line, b[0]->at.col);
  });
  for (auto &group : groups)
    for (const Entry *entry : group) {
      const Entry &e = *entry;
    os << file << ":" << e.at.line << ":" << e.at.col << ": "
       << (e.isError ? "error: " : "note: ") << e.message << "\n";
    // The source line and a caret under the column.
    llvm::StringRef rest = source;
    for (unsigned l = 1; l < e.at.line && !rest.empty(); ++l)
      rest = rest.split('\n').second;
    llvm::StringRef line = rest.split('\n').first.rtrim("\r");
    if (e.at.line == 0)
      continue;
    os << "  " << line << "\n  ";
    for (unsigned c = 1; c < e.at.col && c <= line.size(); ++c)
      os << (line[c - 1] == '\t' ? '\t' : ' ');
    os << "^\n";
    }
  if (errors > kMaxErrors)
    os << file << ": " << errors - kMaxErrors
       << " more errors not shown\n";
  if (errors)
    os << errors << (errors == 1 ? " error" : " errors") << " generated.\n";
}
