//===- ZipReader.cpp - one member out of a zip archive --------------------===//
//
// Enough of the zip format for `.keras` files: the end-of-central-directory
// record, central directory entries, and local headers; members stored or
// deflated (raw DEFLATE through zlib). No ZIP64: a model's config.json is
// small.
//
//===----------------------------------------------------------------------===//
#include "compiler/Frontend/Keras/ZipReader.h"

#include <cstdint>
#include <cstring>
#include <zlib.h>

using namespace sinter;

static uint32_t le(llvm::StringRef s, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | uint8_t(s[at + i]);
  return v;
}

std::optional<std::string> sinter::readZipMember(llvm::StringRef zip,
                                                 llvm::StringRef name,
                                                 std::string &error) {
  // The end-of-central-directory record: signature PK\5\6, within the last
  // 64 KiB + 22 bytes.
  size_t eocd = llvm::StringRef::npos;
  size_t lowest = zip.size() > 65557 ? zip.size() - 65557 : 0;
  for (size_t i = zip.size() >= 22 ? zip.size() - 22 : 0; i + 1 > lowest; --i) {
    if (zip.substr(i, 4) == "PK\x05\x06") {
      eocd = i;
      break;
    }
    if (i == 0)
      break;
  }
  if (eocd == llvm::StringRef::npos) {
    error = "not a complete zip archive (no end-of-central-directory record)";
    return std::nullopt;
  }
  uint32_t entries = le(zip, eocd + 10, 2);
  size_t at = le(zip, eocd + 16, 4);
  for (uint32_t e = 0; e < entries; ++e) {
    if (at + 46 > zip.size() || zip.substr(at, 4) != "PK\x01\x02") {
      error = "damaged zip central directory";
      return std::nullopt;
    }
    uint32_t method = le(zip, at + 10, 2), compressed = le(zip, at + 20, 4),
             size = le(zip, at + 24, 4), nameLen = le(zip, at + 28, 2),
             extraLen = le(zip, at + 30, 2), commentLen = le(zip, at + 32, 2),
             local = le(zip, at + 42, 4);
    llvm::StringRef member = zip.substr(at + 46, nameLen);
    at += 46 + nameLen + extraLen + commentLen;
    if (member != name)
      continue;
    if (local + 30 > zip.size() || zip.substr(local, 4) != "PK\x03\x04") {
      error = "damaged zip entry for " + name.str();
      return std::nullopt;
    }
    size_t data = local + 30 + le(zip, local + 26, 2) + le(zip, local + 28, 2);
    if (data + compressed > zip.size()) {
      error = "truncated zip entry for " + name.str();
      return std::nullopt;
    }
    llvm::StringRef bytes = zip.substr(data, compressed);
    if (method == 0)
      return bytes.str();
    if (method != 8) {
      error = "zip entry " + name.str() + " uses unsupported compression " +
              std::to_string(method);
      return std::nullopt;
    }
    std::string out(size, '\0');
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
      error = "zlib initialization failed";
      return std::nullopt;
    }
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.data()));
    zs.avail_in = bytes.size();
    zs.next_out = reinterpret_cast<Bytef *>(out.data());
    zs.avail_out = out.size();
    int rc = inflate(&zs, Z_FINISH);
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || zs.total_out != size) {
      error = "zip entry " + name.str() + " does not inflate";
      return std::nullopt;
    }
    return out;
  }
  error = "the archive has no " + name.str();
  return std::nullopt;
}
