// Names of the trainer's own functions, for reports (the region profile of
// `train --profile`): the compiled loop nests are internal symbols, which
// only the executable's symbol table names.
#pragma once

#include <string>

namespace sinter {

// The name of the function whose code holds `code`, from the symbol table
// of the file it was loaded from; its offset in that file ("+0x1a2b") when
// the file has no symbol for it (stripped).
std::string functionName(const void *code);

} // namespace sinter
