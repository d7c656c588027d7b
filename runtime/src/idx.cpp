#include "idx.h"

#include "error.h"

#include <cstring>

namespace sinter {

namespace {
uint32_t be32(const std::string &b, size_t at) {
  return (uint32_t(uint8_t(b[at])) << 24) | (uint32_t(uint8_t(b[at + 1])) << 16) |
         (uint32_t(uint8_t(b[at + 2])) << 8) | uint32_t(uint8_t(b[at + 3]));
}
} // namespace

bool looksLikeIdx(const std::string &b) {
  return b.size() >= 4 && b[0] == 0 && b[1] == 0 &&
         (uint8_t(b[2]) == 0x08 || uint8_t(b[2]) == 0x09 ||
          uint8_t(b[2]) == 0x0B || uint8_t(b[2]) == 0x0C ||
          uint8_t(b[2]) == 0x0D || uint8_t(b[2]) == 0x0E) &&
         b[3] >= 1 && b[3] <= 8;
}

NpyArray readIdx(const std::string &path, const std::string &b) {
  int type = uint8_t(b[2]), rank = b[3];
  size_t header = 4 + 4 * size_t(rank);
  if (b.size() < header)
    fail(path, "header", "truncated IDX header");
  NpyArray a;
  size_t count = 1;
  for (int i = 0; i < rank; ++i) {
    a.shape.push_back(be32(b, 4 + 4 * i));
    count *= a.shape.back();
  }
  size_t size = type == 0x08 || type == 0x09 ? 1
                : type == 0x0B               ? 2
                : type == 0x0E               ? 8
                                             : 4;
  if (b.size() - header != count * size)
    fail(path, "data", "expected " + std::to_string(count * size) +
                           " bytes of elements, found " +
                           std::to_string(b.size() - header));
  a.isInteger = type != 0x0D && type != 0x0E;
  // Bytes (images) and float32 as floats, exactly; the rest as doubles.
  bool asFloats = type == 0x08 || type == 0x0D;
  if (asFloats)
    a.floats.resize(count);
  else
    a.values.resize(count);
  const char *p = b.data() + header;
  for (size_t i = 0; i < count; ++i, p += size) {
    uint64_t raw = 0;
    for (size_t k = 0; k < size; ++k) // big-endian
      raw = (raw << 8) | uint8_t(p[k]);
    switch (type) {
    case 0x08: a.floats[i] = uint8_t(raw); break;
    case 0x09: a.values[i] = int8_t(raw); break;
    case 0x0B: a.values[i] = int16_t(raw); break;
    case 0x0C: a.values[i] = int32_t(raw); break;
    case 0x0D: {
      uint32_t bits = uint32_t(raw);
      std::memcpy(&a.floats[i], &bits, 4);
      break;
    }
    default: {
      double d;
      std::memcpy(&d, &raw, 8);
      a.values[i] = d;
    }
    }
  }
  return a;
}

} // namespace sinter
