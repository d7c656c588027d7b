// IDX files (MNIST, Fashion-MNIST), gzipped or not: big-endian sizes, then
// row-major elements.
#pragma once

#include "npy.h"

#include <string>

namespace sinter {

// True if `bytes` start like an IDX file (two zero bytes, a type, a rank).
bool looksLikeIdx(const std::string &bytes);

// Reads an IDX file into the loaders' array form: unsigned bytes and
// float32 as floats, the rest as doubles; unsigned-byte data marked as
// integer.
NpyArray readIdx(const std::string &path, const std::string &bytes);

} // namespace sinter
