// NumPy .npz archives: a zip file of .npy members, stored (np.savez) or
// deflated (np.savez_compressed). Only what numpy writes is read: no
// encryption, no multi-disk archives; ZIP64 sizes are not needed below 4 GB.
#include "npy.h"

#include "error.h"

#include <cstring>
#include <zlib.h>

namespace sinter {

namespace {
uint32_t u32(const std::string &b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}
uint16_t u16(const std::string &b, size_t at) {
  uint16_t v;
  std::memcpy(&v, b.data() + at, 2);
  return v;
}

std::string inflateRaw(const std::string &where, const char *data,
                       size_t size, size_t expected) {
  std::string out(expected, '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
    fail(where, "", "cannot start zlib");
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data));
  z.avail_in = uInt(size);
  z.next_out = reinterpret_cast<Bytef *>(out.data());
  z.avail_out = uInt(expected);
  int rc = inflate(&z, Z_FINISH);
  size_t produced = z.total_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || produced != expected)
    fail(where, "", "corrupt deflate data");
  return out;
}
} // namespace

std::map<std::string, NpyArray> readNpz(const std::string &path) {
  std::string b = readFile(path);
  // The end-of-central-directory record: the last "PK\5\6" with room for
  // its 22 bytes.
  size_t eocd = std::string::npos;
  for (size_t i = b.size() >= 22 ? b.size() - 22 : 0;; --i) {
    if (b.compare(i, 4, "PK\x05\x06") == 0) {
      eocd = i;
      break;
    }
    if (i == 0 || b.size() - i > 22 + 65535)
      break;
  }
  if (b.size() < 22 || eocd == std::string::npos)
    fail(path, "", "not a .npz (zip) archive");
  uint16_t count = u16(b, eocd + 10);
  size_t at = u32(b, eocd + 16);
  std::map<std::string, NpyArray> arrays;
  for (uint16_t i = 0; i < count; ++i) {
    if (at + 46 > b.size() || b.compare(at, 4, "PK\x01\x02") != 0)
      fail(path, "central directory", "entry " + std::to_string(i) +
                                          " is damaged");
    uint16_t method = u16(b, at + 10);
    uint32_t packed = u32(b, at + 20), size = u32(b, at + 24);
    uint16_t nameLen = u16(b, at + 28), extraLen = u16(b, at + 30),
             commentLen = u16(b, at + 32);
    uint32_t local = u32(b, at + 42);
    std::string name = b.substr(at + 46, nameLen);
    at += 46 + nameLen + extraLen + commentLen;
    std::string where = path + ": " + name;
    if (local + 30 > b.size() || b.compare(local, 4, "PK\x03\x04") != 0)
      fail(where, "", "local header is damaged");
    size_t data = local + 30 + u16(b, local + 26) + u16(b, local + 28);
    if (data + packed > b.size())
      fail(where, "", "truncated");
    std::string bytes;
    if (method == 0)
      bytes = b.substr(data, packed);
    else if (method == 8)
      bytes = inflateRaw(where, b.data() + data, packed, size);
    else
      fail(where, "", "compression method " + std::to_string(method) +
                          " (numpy writes stored or deflate)");
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0)
      name.resize(name.size() - 4);
    arrays[name] = parseNpy(where, std::move(bytes));
  }
  return arrays;
}

} // namespace sinter
