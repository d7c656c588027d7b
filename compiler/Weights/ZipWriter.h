//===- ZipWriter.h - a zip archive of stored members ----------------------===//
#ifndef SINTER_WEIGHTS_ZIPWRITER_H
#define SINTER_WEIGHTS_ZIPWRITER_H

#include <string>
#include <utility>
#include <vector>

namespace sinter {

/// A zip archive holding `members` (name, contents) uncompressed, as
/// Keras writes `.keras` files. No ZIP64: each member and the whole archive
/// must stay below 4 GiB.
std::string zipArchive(
    const std::vector<std::pair<std::string, std::string>> &members);

} // namespace sinter

#endif // SINTER_WEIGHTS_ZIPWRITER_H
