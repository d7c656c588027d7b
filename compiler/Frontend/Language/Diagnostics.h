//===- Diagnostics.h - C-compiler-style errors for .sinter files ----------===//
#ifndef SINTER_FRONTEND_LANGUAGE_DIAGNOSTICS_H
#define SINTER_FRONTEND_LANGUAGE_DIAGNOSTICS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace sinter::lang {

/// A position in the source: 1-based line and column.
struct SrcLoc {
  unsigned line = 0, col = 0;
};

/// Collects and prints diagnostics as
///   file:line:col: error: message
///     <the source line>
///           ^
class Diagnostics {
public:
  Diagnostics(std::string file, llvm::StringRef source)
      : file(std::move(file)), source(source) {}

  void error(SrcLoc at, const std::string &message);
  void note(SrcLoc at, const std::string &message);
  unsigned errorCount() const { return errors; }
  const std::string &fileName() const { return file; }

  /// Writes every diagnostic, in order.
  void print(llvm::raw_ostream &os) const;

private:
  struct Entry {
    SrcLoc at;
    bool isError;
    std::string message;
  };
  std::string file;
  llvm::StringRef source;
  std::vector<Entry> entries;
  unsigned errors = 0;
};

} // namespace sinter::lang

#endif // SINTER_FRONTEND_LANGUAGE_DIAGNOSTICS_H
