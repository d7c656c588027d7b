//===- ZipWriter.cpp - a zip archive of stored members --------------------===//
//
// Local header + data per member, then the central directory and the
// end-of-central-directory record (APPNOTE 4.3); times are the DOS epoch so
// equal inputs give equal archives.
//
//===----------------------------------------------------------------------===//
#include "compiler/Weights/ZipWriter.h"

#include <cstdint>
#include <zlib.h>

using namespace sinter;

namespace {
void le(std::string &out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(char((v >> (8 * i)) & 0xff));
}

/// The fields local and central headers share, from "version needed" on.
void common(std::string &out, const std::string &name, uint32_t crc,
            uint32_t size) {
  le(out, 20, 2);         // version needed to extract: 2.0
  le(out, 0, 2);          // flags
  le(out, 0, 2);          // method: stored
  le(out, 0, 2);          // time
  le(out, (0 << 9) | (1 << 5) | 1, 2); // date: 1980-01-01
  le(out, crc, 4);
  le(out, size, 4);       // compressed size
  le(out, size, 4);       // uncompressed size
  le(out, uint32_t(name.size()), 2);
  le(out, 0, 2);          // extra field length
}
} // namespace

std::string sinter::zipArchive(
    const std::vector<std::pair<std::string, std::string>> &members) {
  std::string out, central;
  for (const auto &[name, data] : members) {
    uint32_t crc = uint32_t(
        crc32(0, reinterpret_cast<const Bytef *>(data.data()), data.size()));
    uint32_t offset = uint32_t(out.size());
    out += "PK\x03\x04";
    common(out, name, crc, uint32_t(data.size()));
    out += name;
    out += data;

    central += "PK\x01\x02";
    le(central, 20, 2); // version made by
    common(central, name, crc, uint32_t(data.size()));
    le(central, 0, 2); // comment length
    le(central, 0, 2); // disk number
    le(central, 0, 2); // internal attributes
    le(central, 0, 4); // external attributes
    le(central, offset, 4);
    central += name;
  }
  uint32_t start = uint32_t(out.size());
  out += central;
  out += "PK\x05\x06";
  le(out, 0, 2); // this disk
  le(out, 0, 2); // disk with the directory
  le(out, uint32_t(members.size()), 2);
  le(out, uint32_t(members.size()), 2);
  le(out, uint32_t(central.size()), 4);
  le(out, start, 4);
  le(out, 0, 2); // comment length
  return out;
}
