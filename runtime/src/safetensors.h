// safetensors files: an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the data.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sinter {

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data; // converted to float32
};

using Metadata = std::map<std::string, std::string>;

// Reads every tensor (F32, F64, F16, BF16 converted to float32), and the
// string entries of __metadata__ into `metadata` when given. Throws an
// Error naming the file and the tensor on any inconsistency.
std::map<std::string, Tensor> readSafetensors(const std::string &path,
                                              Metadata *metadata = nullptr);

// Throws an Error naming the file, the tensor and the element when one of
// `t`'s values is NaN or infinite: weights that would make every loss NaN.
void requireFinite(const std::string &path, const std::string &name,
                   const Tensor &t);

// Writes float32 tensors, sorted by name, atomically; __metadata__ holds
// "format": "sinter" and `metadata`.
void writeSafetensors(const std::string &path,
                      const std::map<std::string, Tensor> &tensors,
                      const Metadata &metadata = {});

} // namespace sinter
