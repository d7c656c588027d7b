#include "npy.h"

#include "error.h"
#include "idx.h"

#include <algorithm>
#include <cstring>
#include <regex>

namespace sinter {

namespace {
template <typename T> T load(const char *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
// Column-major (Fortran order, as np.save writes a transposed array) to
// row-major.
template <typename T>
std::vector<T> toRowMajor(const std::vector<T> &col,
                          const std::vector<int64_t> &shape) {
  std::vector<T> row(col.size());
  std::vector<int64_t> index(shape.size(), 0);
  for (size_t r = 0; r < row.size(); ++r) {
    // `index` is the multi-index of row-major position r.
    int64_t c = 0, stride = 1;
    for (size_t d = 0; d < shape.size(); ++d) {
      c += index[d] * stride;
      stride *= shape[d];
    }
    row[r] = col[c];
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return row;
}

// A .npy array from `bytes` already read (at least its first 12, or all the
// source has) and `read(out, n)`, which reads up to n more (fewer only at
// the end) of the `left` bytes the source still holds: the header, then
// the data straight into the array's storage, once their size is known to
// be the header's (a damaged shape must not allocate what it promises).
template <typename Read>
NpyArray parseNpyFrom(const std::string &path, std::string bytes, Read &&read,
                      size_t left) {
  // Makes `bytes` hold its first n (or all there are).
  auto need = [&](size_t n) {
    if (size_t have = bytes.size(); have < n) {
      bytes.resize(n);
      size_t got = read(&bytes[have], n - have);
      bytes.resize(have + got);
      left -= got;
    }
  };
  need(12);
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    fail(path, "", "not a .npy array (missing the \\x93NUMPY magic)");
  uint8_t major = uint8_t(bytes[6]);
  size_t headerLen, start;
  if (major == 1) {
    headerLen = load<uint16_t>(&bytes[8]);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      fail(path, "header", "truncated");
    headerLen = load<uint32_t>(&bytes[8]);
    start = 12;
  } else {
    fail(path, "header", "unsupported .npy version " + std::to_string(major));
  }
  need(start + headerLen);
  if (start + headerLen > bytes.size())
    fail(path, "header", "truncated");
  std::string header = bytes.substr(start, headerLen);

  std::smatch m;
  if (!std::regex_search(header, m,
                         std::regex("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'")))
    fail(path, "header", "missing 'descr'");
  char order = m[1].str()[0], kind = m[2].str()[0];
  int size = std::stoi(m[3].str());
  bool fortran =
      std::regex_search(header, std::regex("'fortran_order'\\s*:\\s*True"));
  if (!std::regex_search(header, m,
                         std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")))
    fail(path, "header", "missing 'shape'");
  NpyArray a;
  std::string dims = m[1].str();
  int64_t count = 1;
  const std::regex number("\\d+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end;
       it != end; ++it) {
    a.shape.push_back(std::stoll(it->str()));
    count *= a.shape.back();
  }
  if (order == '>' && size > 1)
    fail(path, "header", "big-endian data is not supported");
  bool ok = (kind == 'f' && (size == 4 || size == 8)) ||
            ((kind == 'i' || kind == 'u') &&
             (size == 1 || size == 2 || size == 4 || size == 8)) ||
            (kind == 'b' && size == 1);
  if (!ok)
    fail(path, "header",
         "unsupported dtype '" + std::string(1, kind) + std::to_string(size) +
             "' (expected float32/float64 or an integer type)");
  a.isInteger = kind != 'f';

  // The data: the bytes read with the header, then the rest.
  size_t want = size_t(count) * size, data = start + headerLen;
  if (size_t found = bytes.size() - data + left; found != want)
    fail(path, "data",
         "expected " + std::to_string(want) + " bytes for shape (" + dims +
             "), found " + std::to_string(found));
  auto readData = [&](char *out) {
    size_t early = bytes.size() - data;
    std::memcpy(out, bytes.data() + data, early);
    read(out + early, want - early);
  };
  if (kind == 'f' && size == 4) { // little-endian, as the floats are
    a.floats.resize(count);
    readData(reinterpret_cast<char *>(a.floats.data()));
    if (fortran && a.shape.size() > 1)
      a.floats = toRowMajor(a.floats, a.shape);
    return a;
  }
  std::string raw(want, '\0');
  readData(raw.data());
  const char *p = raw.data();
  a.values.resize(count);
  for (int64_t i = 0; i < count; ++i, p += size) {
    double v = 0;
    if (kind == 'f')
      v = load<double>(p);
    else if (kind == 'i')
      v = size == 1 ? load<int8_t>(p)
          : size == 2 ? load<int16_t>(p)
          : size == 4 ? load<int32_t>(p)
                      : double(load<int64_t>(p));
    else
      v = size == 1 ? load<uint8_t>(p)
          : size == 2 ? load<uint16_t>(p)
          : size == 4 ? load<uint32_t>(p)
                      : double(load<uint64_t>(p));
    a.values[i] = v;
  }
  if (fortran && a.shape.size() > 1)
    a.values = toRowMajor(a.values, a.shape);
  return a;
}
} // namespace

NpyArray readNpy(const std::string &path) {
  FileReader f(path);
  std::string first(12, '\0');
  first.resize(f.read(first.data(), first.size()));
  if (looksLikeIdx(first)) {
    // IDX images of unsigned bytes are pixels: scaled to [0, 1].
    std::string bytes = f.readRest(std::move(first));
    NpyArray a = readIdx(path, bytes);
    if (uint8_t(bytes[2]) == 0x08 && a.shape.size() > 1) {
      for (float &v : a.floats)
        v = float(double(v) / 255.0);
      a.isInteger = false;
    }
    return a;
  }
  if (first.size() < 10 || first.compare(0, 6, "\x93NUMPY") != 0)
    fail(path, "", "not a .npy or IDX file (missing the \\x93NUMPY magic)");
  // A gzipped (or piped) file's size is known only once it is read.
  std::optional<size_t> left = f.bytesLeft();
  if (!left)
    return parseNpy(path, f.readRest(std::move(first)));
  return parseNpyFrom(
      path, std::move(first),
      [&](void *out, size_t n) { return f.read(out, n); }, *left);
}

NpyArray parseNpy(const std::string &path, std::string bytes) {
  return parseNpyFrom(
      path, std::move(bytes), [](void *, size_t) { return size_t(0); }, 0);
}

void writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const std::vector<float> &data) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i)
    dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       dims + "), }";
  // Pad so the data starts on a 64-byte boundary; the header ends in '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  uint16_t len = uint16_t(header.size());
  out.append(reinterpret_cast<const char *>(&len), 2);
  out += header;
  out.append(reinterpret_cast<const char *>(data.data()),
             data.size() * sizeof(float));
  writeFileAtomically(path, out);
}

} // namespace sinter
