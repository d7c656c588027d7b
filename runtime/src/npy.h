// NumPy .npy files (format versions 1-3), C order, little-endian.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sinter {

// Every element, converted: float32 data (and IDX pixels and floats) in
// `floats`, integers and float64 in `values` (labels and ids exact). A copy
// of a data set's float32 pixels as doubles would double the memory and
// the time its loading takes.
struct NpyArray {
  std::vector<int64_t> shape;
  bool isInteger = false; // kind 'i', 'u' or 'b'
  std::vector<float> floats;
  std::vector<double> values;

  size_t size() const { return floats.size() + values.size(); }
  double operator[](size_t i) const {
    return floats.empty() ? values[i] : double(floats[i]);
  }
};

// Reads a .npy file (or an IDX file: its unsigned-byte images are scaled
// to [0, 1]), gzipped or not; throws Error naming the file and the problem.
NpyArray readNpy(const std::string &path);
// The .npy bytes of `where` (a file, or an archive member).
NpyArray parseNpy(const std::string &where, std::string bytes);
// Every array of a NumPy .npz archive (np.savez, stored or deflated), by
// name without the ".npy"; throws Error naming the archive and member.
std::map<std::string, NpyArray> readNpz(const std::string &path);

// Writes float32 data of `shape` atomically.
void writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const std::vector<float> &data);

} // namespace sinter
