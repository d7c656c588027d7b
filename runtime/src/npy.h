// NumPy .npy files (format versions 1-3), C order, little-endian.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sinter {

struct NpyArray {
  std::vector<int64_t> shape;
  bool isInteger = false;     // kind 'i', 'u' or 'b'
  std::vector<double> values; // every element, converted
};

// Reads a .npy file (or an IDX file: its unsigned-byte images are scaled
// to [0, 1]), gzipped or not; throws Error naming the file and the problem.
NpyArray readNpy(const std::string &path);
// The .npy bytes of `where` (a file, or an archive member).
NpyArray parseNpy(const std::string &where, const std::string &bytes);
// Every array of a NumPy .npz archive (np.savez, stored or deflated), by
// name without the ".npy"; throws Error naming the archive and member.
std::map<std::string, NpyArray> readNpz(const std::string &path);

// Writes float32 data of `shape` atomically.
void writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const std::vector<float> &data);

} // namespace sinter
