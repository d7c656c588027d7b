// A training set in memory: inputs and targets as the compiled model takes
// them, from CSV, NPY or the model's embedded default data.
#pragma once

#include "manifest.h"
#include "npy.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sinter {

struct Dataset {
  int64_t rows = 0;
  std::vector<float> x;        // x: [rows, inputSize], inputs side by side
  std::vector<float> y;      // y: [rows, outputs] (dense targets)
  std::vector<int32_t> labels; // labels: [rows] (class indices)
  // A language model's text (loadText), x and labels left empty: row r's
  // tokens are the inputSize bytes from starts[r], its labels the bytes one
  // further on. As windows of floats and labels, a text read at a stride
  // of 1 would take 8 x inputSize bytes for each of its own.
  std::shared_ptr<const std::string> text;
  std::vector<int64_t> starts;
};

// CSV rows: input features, then the targets (one column per output, or one
// integer class for label losses).
Dataset loadCsv(const Manifest &m, const std::string &path);
// One .npy per input: `xs` holds NAME=FILE, or a plain FILE when the model
// has one input; each is float [N, ...] matching its input's shape. y:
// [N, out] float or [N] integer classes; `yPath` may be empty (predict).
Dataset loadNpy(const Manifest &m, const std::vector<std::string> &xs,
                const std::string &yPath);
// A .npz archive: one array per input (named after the input, or "x" for
// a single input) and, with `withY`, the targets "y" (or "labels").
Dataset loadNpz(const Manifest &m, const std::string &path, bool withY);
// Arrays already read, each with where it came from (for messages).
struct Named {
  std::string where;
  NpyArray array;
};
Dataset fromArrays(const Manifest &m, std::vector<Named> xs, const Named *y);
Dataset loadDefault(const Manifest &m, const float *data);
// A text file (gzipped or not) as byte tokens for a language model with a
// [T] input: row i is bytes [i*stride, i*stride + T), its labels the bytes
// one further on. `stride` <= 0 means T (windows side by side).
Dataset loadText(const Manifest &m, const std::string &path, int64_t stride);

// Reorders the examples of `d` by a seeded permutation.
void shuffleRows(Dataset &d, uint64_t seed);

// Moves the last `rows` examples of `d` into a new data set (Keras'
// validation_split: the tail, before any shuffling).
Dataset splitTail(Dataset &d, int64_t rows);

// Rows [begin, end) of `order` gathered into contiguous batch buffers; x in
// the ABI's layout (one block per input).
void gatherBatch(const Manifest &m, const Dataset &d,
                 const std::vector<int64_t> &order, int64_t begin, int64_t end,
                 std::vector<float> &x, std::vector<float> &y,
                 std::vector<int32_t> &labels);

} // namespace sinter
