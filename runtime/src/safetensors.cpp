#include "safetensors.h"

#include "error.h"
#include "json.h"

#include <cmath>
#include <cstring>

namespace sinter {

namespace {
float halfToFloat(uint16_t h) {
  int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v = exp == 0    ? std::ldexp(float(mant), -24)
            : exp == 31 ? (mant ? NAN : INFINITY)
                        : std::ldexp(float(mant | 0x400), exp - 25);
  return (h & 0x8000) ? -v : v;
}
float bf16ToFloat(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
} // namespace

std::map<std::string, Tensor> readSafetensors(const std::string &path,
                                              Metadata *metadata) {
  std::string bytes = readFile(path);
  if (bytes.size() < 8)
    fail(path, "", "too short for a safetensors file");
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  if (n > 100000000 || 8 + n > bytes.size())
    fail(path, "header", "header length " + std::to_string(n) +
                             " exceeds the file size");
  json::Value header;
  try {
    header = json::parse(bytes.substr(8, n));
  } catch (const Error &e) {
    fail(path, "header", std::string("malformed JSON: ") + e.what());
  }
  if (header.kind != json::Value::Object)
    fail(path, "header", "expected a JSON object");
  size_t dataStart = 8 + n, dataLen = bytes.size() - dataStart;
  std::map<std::string, Tensor> out;
  size_t covered = 0;
  for (const auto &[name, entry] : header.object) {
    if (name == "__metadata__") {
      if (metadata)
        for (const auto &[key, value] : entry.object)
          if (value.kind == json::Value::String)
            (*metadata)[key] = value.string;
      continue;
    }
    std::string where = "tensor '" + name + "'";
    const json::Value *dtype = entry.find("dtype");
    const json::Value *shape = entry.find("shape");
    const json::Value *offs = entry.find("data_offsets");
    if (!dtype || dtype->kind != json::Value::String || !shape ||
        shape->kind != json::Value::Array || !offs ||
        offs->kind != json::Value::Array || offs->array.size() != 2)
      fail(path, where, "expected dtype, shape and data_offsets [begin, end]");
    size_t elemSize = dtype->string == "F32"   ? 4
                      : dtype->string == "F64" ? 8
                      : (dtype->string == "F16" || dtype->string == "BF16")
                          ? 2
                          : 0;
    if (!elemSize)
      fail(path, where, "unsupported dtype " + dtype->string +
                            " (expected F32, F64, F16 or BF16)");
    Tensor t;
    size_t count = 1;
    for (const json::Value &d : shape->array) {
      if (d.kind != json::Value::Number || d.number < 0 ||
          d.number != std::floor(d.number))
        fail(path, where, "shape entries must be non-negative integers");
      t.shape.push_back(int64_t(d.number));
      count *= size_t(d.number);
    }
    double b = offs->array[0].number, e = offs->array[1].number;
    if (b < 0 || e < b || e > double(dataLen) || (e - b) != count * elemSize)
      fail(path, where,
           "data_offsets [" + std::to_string(int64_t(b)) + ", " +
               std::to_string(int64_t(e)) + "] do not hold " +
               std::to_string(count) + " " + dtype->string +
               " values inside the " + std::to_string(dataLen) +
               "-byte buffer");
    covered += size_t(e - b);
    const char *p = bytes.data() + dataStart + size_t(b);
    t.data.resize(count);
    for (size_t i = 0; i < count; ++i, p += elemSize) {
      if (elemSize == 4) {
        std::memcpy(&t.data[i], p, 4);
      } else if (elemSize == 8) {
        double d;
        std::memcpy(&d, p, 8);
        t.data[i] = float(d);
      } else {
        uint16_t h;
        std::memcpy(&h, p, 2);
        t.data[i] = dtype->string == "F16" ? halfToFloat(h) : bf16ToFloat(h);
      }
    }
    out[name] = std::move(t);
  }
  if (covered != dataLen)
    fail(path, "", "the tensors cover " + std::to_string(covered) + " of " +
                       std::to_string(dataLen) + " data bytes");
  return out;
}

void writeSafetensors(const std::string &path,
                      const std::map<std::string, Tensor> &tensors,
                      const Metadata &metadata) {
  std::string header = "{\"__metadata__\":{\"format\":\"sinter\"";
  for (const auto &[key, value] : metadata)
    header += "," + json::quote(key) + ":" + json::quote(value);
  header += "}";
  size_t offset = 0;
  for (const auto &[name, t] : tensors) {
    std::string dims;
    for (size_t i = 0; i < t.shape.size(); ++i)
      dims += (i ? "," : "") + std::to_string(t.shape[i]);
    size_t bytes = t.data.size() * 4;
    header += "," + json::quote(name) + ":{\"dtype\":\"F32\",\"shape\":[" +
              dims + "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  uint64_t n = header.size();
  std::string out(reinterpret_cast<const char *>(&n), 8);
  out += header;
  for (const auto &kv : tensors)
    out.append(reinterpret_cast<const char *>(kv.second.data.data()),
               kv.second.data.size() * 4);
  writeFileAtomically(path, out);
}

void requireFinite(const std::string &path, const std::string &name,
                   const Tensor &t) {
  for (size_t i = 0; i < t.data.size(); ++i)
    if (!std::isfinite(t.data[i]))
      fail(path, "tensor '" + name + "', element " + std::to_string(i),
           "expected a finite value, got " + std::to_string(t.data[i]));
}

} // namespace sinter
