//===- ZipReader.h - one member out of a .keras (zip) archive -------------===//
#ifndef SINTER_FRONTEND_KERAS_ZIPREADER_H
#define SINTER_FRONTEND_KERAS_ZIPREADER_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace sinter {

/// The contents of member `name` of the zip archive in `archive` (stored or
/// deflated); nullopt with `error` set if it is missing or damaged.
std::optional<std::string> readZipMember(llvm::StringRef archive,
                                         llvm::StringRef name,
                                         std::string &error);

} // namespace sinter

#endif // SINTER_FRONTEND_KERAS_ZIPREADER_H
