#include "dataset.h"

#include "csv.h"
#include "error.h"
#include "init.h"
#include "npy.h"
#include "threads.h"

#include <algorithm>
#include <cmath>

namespace sinter {

namespace {
void checkLabel(const Manifest &m, double v, const std::string &file,
                const std::string &where) {
  if (v != std::floor(v) || v < 0 || v >= double(m.classes()))
    fail(file, where,
         "expected an integer class label in [0, " +
             std::to_string(m.classes()) + "), got " + std::to_string(v));
}

// Whether `v` is a value of input `in`: a token id in [0, vocabulary) for
// an input that indexes an embedding table (which the compiled lookup
// would clamp, silently training another token), else any finite float
// (one NaN in the data spreads through the weights it meets and stops the
// training).
bool validInput(const InputInfo &in, double v) {
  return in.vocabulary > 0
             ? v == std::floor(v) && v >= 0 && v < double(in.vocabulary)
             : std::isfinite(v);
}

// What is wrong with `v`, a value validInput refused (the message is built
// only then: checking every value of a data set must not build strings).
std::string inputProblem(const InputInfo &in, double v) {
  return in.vocabulary > 0
             ? "expected a token id of input '" + in.name + "' in [0, " +
                   std::to_string(in.vocabulary) + "), got " + std::to_string(v)
             : "expected a finite number for input '" + in.name + "', got " +
                   std::to_string(v);
}

std::string targetProblem(double v) {
  return "expected a finite target, got " + std::to_string(v);
}

std::string rowValue(int64_t row, int64_t value) {
  return "row " + std::to_string(row) + ", value " + std::to_string(value);
}
} // namespace

Dataset loadCsv(const Manifest &m, const std::string &path) {
  CsvTable t = readCsv(path);
  size_t want = size_t(m.inputSize + m.targetCols());
  if (t.cols != want)
    fail(path, "line " + std::to_string(t.lines[0]),
         "expected " + std::to_string(want) + " columns (" +
             std::to_string(m.inputSize) + " inputs + " +
             std::to_string(m.targetCols()) +
             (m.labels ? " class label" : " targets") + "), got " +
             std::to_string(t.cols));
  Dataset d;
  d.rows = t.rows();
  d.x.reserve(d.rows * m.inputSize);
  if (m.labels)
    d.labels.reserve(d.rows * m.labelCount);
  else
    d.y.reserve(d.rows * m.outputSize);
  for (int64_t r = 0; r < d.rows; ++r) {
    const double *row = &t.values[r * t.cols];
    std::string line = "line " + std::to_string(t.lines[r]);
    auto column = [&](int64_t i) {
      return line + ", column " + std::to_string(i + 1);
    };
    for (const InputInfo &in : m.inputs)
      for (int64_t i = in.offset; i < in.offset + in.size; ++i)
        if (!validInput(in, row[i]))
          fail(path, column(i), inputProblem(in, row[i]));
    for (int64_t i = 0; i < m.inputSize; ++i)
      d.x.push_back(float(row[i]));
    if (m.labels) {
      for (int64_t k = 0; k < m.labelCount; ++k) {
        checkLabel(m, row[m.inputSize + k], path, line);
        d.labels.push_back(int32_t(row[m.inputSize + k]));
      }
    } else {
      for (int64_t i = 0; i < m.outputSize; ++i) {
        if (!std::isfinite(row[m.inputSize + i]))
          fail(path, column(m.inputSize + i),
               targetProblem(row[m.inputSize + i]));
        d.y.push_back(float(row[m.inputSize + i]));
      }
    }
  }
  return d;
}

Dataset loadNpy(const Manifest &m, const std::vector<std::string> &xs,
                const std::string &yPath) {
  // Which file feeds which input.
  std::vector<std::string> files(m.inputs.size());
  for (const std::string &spec : xs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos) {
      if (m.inputs.size() != 1 || xs.size() != 1)
        fail("--x", "", "this model has " + std::to_string(m.inputs.size()) +
                            " inputs: give each as --x NAME=FILE.npy");
      files[0] = spec;
      continue;
    }
    std::string name = spec.substr(0, eq);
    auto it = std::find_if(m.inputs.begin(), m.inputs.end(),
                           [&](const InputInfo &in) { return in.name == name; });
    if (it == m.inputs.end()) {
      std::string names;
      for (const InputInfo &in : m.inputs)
        names += (names.empty() ? "" : ", ") + in.name;
      fail("--x", "", "the model has no input '" + name + "' (inputs: " +
                          names + ")");
    }
    files[it - m.inputs.begin()] = spec.substr(eq + 1);
  }
  std::vector<Named> xArrays;
  for (size_t k = 0; k < m.inputs.size(); ++k) {
    if (files[k].empty())
      fail("--x", "", "missing input '" + m.inputs[k].name + "' (--x " +
                          m.inputs[k].name + "=FILE.npy)");
    xArrays.push_back({files[k], readNpy(files[k])});
  }
  if (yPath.empty())
    return fromArrays(m, std::move(xArrays), nullptr);
  Named y{yPath, readNpy(yPath)};
  return fromArrays(m, std::move(xArrays), &y);
}

Dataset loadNpz(const Manifest &m, const std::string &path, bool withY) {
  std::map<std::string, NpyArray> arrays = readNpz(path);
  auto take = [&](const std::string &name,
                  const std::string &alias) -> Named {
    auto it = arrays.find(name);
    if (it == arrays.end() && !alias.empty())
      it = arrays.find(alias);
    if (it == arrays.end()) {
      std::string have;
      for (const auto &kv : arrays)
        have += (have.empty() ? "" : ", ") + kv.first;
      fail(path, "", "no array '" + name + "'" +
                         (alias.empty() ? "" : " or '" + alias + "'") +
                         " (it has: " + have + ")");
    }
    return {path + ": " + it->first, std::move(it->second)};
  };
  std::vector<Named> xArrays;
  for (const InputInfo &in : m.inputs)
    xArrays.push_back(take(in.name, m.inputs.size() == 1 ? "x" : ""));
  if (!withY)
    return fromArrays(m, std::move(xArrays), nullptr);
  Named y = take("y", "labels");
  return fromArrays(m, std::move(xArrays), &y);
}

Dataset fromArrays(const Manifest &m, std::vector<Named> xs,
                   const Named *yArray) {
  Dataset d;
  d.rows = -1;
  std::string firstFile;
  std::vector<std::string> files;
  for (const Named &x : xs)
    files.push_back(x.where);
  for (size_t k = 0; k < m.inputs.size(); ++k) {
    const InputInfo &in = m.inputs[k];
    NpyArray &x = xs[k].array;
    std::vector<int64_t> shape = x.shape;
    // A single feature may come as a vector [N].
    if (shape.size() == 1 && in.size == 1)
      shape.push_back(1);
    int64_t per = 1;
    for (size_t i = 1; i < shape.size(); ++i)
      per *= shape[i];
    if (shape.size() < 2 || per != in.size)
      fail(files[k], "shape",
           "expected [N, " + std::to_string(in.size) + "] inputs for input '" +
               in.name + "'");
    if (shape[0] == 0)
      fail(files[k], "shape", "no examples (the first dimension is 0)");
    if (d.rows < 0) {
      d.rows = shape[0];
      firstFile = files[k];
    } else if (shape[0] != d.rows) {
      fail(files[k], "shape", std::to_string(shape[0]) + " rows, but " +
                                  firstFile + " has " +
                                  std::to_string(d.rows));
    }
    for (int64_t r = 0; r < d.rows; ++r)
      for (int64_t i = 0; i < in.size; ++i)
        if (double v = x[r * in.size + i]; !validInput(in, v))
          fail(files[k], rowValue(r, i), inputProblem(in, v));
    // One input's floats are the data set's inputs as they are: taken, not
    // copied (a copy would be the largest allocation of the trainer's
    // start: mnist-mlp's 40 MB of pixels held twice).
    if (m.inputs.size() == 1 && !x.floats.empty()) {
      d.x = std::move(x.floats);
      continue;
    }
    d.x.resize(d.rows * m.inputSize);
    for (int64_t r = 0; r < d.rows; ++r)
      for (int64_t i = 0; i < in.size; ++i)
        d.x[r * m.inputSize + in.offset + i] = float(x[r * in.size + i]);
  }
  const std::string &xPath = firstFile;
  if (!yArray)
    return d;
  const std::string &yPath = yArray->where;
  const NpyArray &y = yArray->array;
  std::vector<int64_t> shape = y.shape;
  if (shape.empty() || shape[0] != d.rows)
    fail(yPath, "shape", "expected " + std::to_string(d.rows) +
                             " rows to match " + xPath);
  if (m.labels) {
    int64_t per = 1;
    for (size_t i = 1; i < shape.size(); ++i)
      per *= shape[i];
    if (per != m.labelCount)
      fail(yPath, "shape",
           m.labelCount == 1
               ? std::string("expected [N] integer class labels")
               : "expected [N, " + std::to_string(m.labelCount) +
                     "] integer class labels (one per token)");
    for (int64_t i = 0; i < d.rows * per; ++i) {
      checkLabel(m, y[i], yPath, "row " + std::to_string(i / per));
      d.labels.push_back(int32_t(y[i]));
    }
  } else {
    if (shape.size() == 1 && m.outputSize == 1)
      shape.push_back(1);
    if (shape.size() != 2 || shape[1] != m.outputSize)
      fail(yPath, "shape", "expected [N, " + std::to_string(m.outputSize) +
                               "] float targets");
    d.y.resize(y.size());
    for (size_t i = 0; i < y.size(); ++i) {
      if (!std::isfinite(y[i]))
        fail(yPath,
             rowValue(int64_t(i) / m.outputSize, int64_t(i) % m.outputSize),
             targetProblem(y[i]));
      d.y[i] = float(y[i]);
    }
  }
  return d;
}

Dataset loadDefault(const Manifest &m, const float *data) {
  Dataset d;
  d.rows = m.defaultRows;
  int64_t cols = m.defaultXCols + m.defaultYCols;
  for (int64_t r = 0; r < d.rows; ++r) {
    const float *row = data + r * cols;
    d.x.insert(d.x.end(), row, row + m.inputSize);
    if (m.labels)
      for (int64_t k = 0; k < m.labelCount; ++k)
        d.labels.push_back(int32_t(row[m.inputSize + k]));
    else
      d.y.insert(d.y.end(), row + m.inputSize,
                 row + m.inputSize + m.outputSize);
  }
  return d;
}

void shuffleRows(Dataset &d, uint64_t seed) {
  std::vector<int64_t> order(d.rows);
  for (int64_t i = 0; i < d.rows; ++i)
    order[i] = i;
  Rng rng(seed ^ 0x53504c4954ull); // the split's own stream
  for (int64_t i = d.rows - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(uint64_t(i + 1))]);
  int64_t xWidth = d.rows ? int64_t(d.x.size()) / d.rows : 0;
  int64_t yWidth = d.rows ? int64_t(d.y.size()) / d.rows : 0;
  // Row i becomes row order[i], in place, cycle by cycle (a copy of the
  // data set would double the trainer's memory while it splits).
  auto permute = [&](auto &v, int64_t width) {
    auto row = [&](int64_t r) { return v.begin() + r * width; };
    std::vector<bool> placed(d.rows);
    std::vector<typename std::decay_t<decltype(v)>::value_type> first(width);
    for (int64_t s = 0; s < d.rows; ++s) {
      if (placed[s])
        continue;
      std::copy(row(s), row(s + 1), first.begin());
      int64_t i = s;
      for (; order[i] != s; i = order[i]) {
        std::copy(row(order[i]), row(order[i] + 1), row(i));
        placed[i] = true;
      }
      std::copy(first.begin(), first.end(), row(i));
      placed[i] = true;
    }
  };
  permute(d.x, xWidth);
  if (!d.y.empty())
    permute(d.y, yWidth);
  if (!d.labels.empty())
    permute(d.labels, int64_t(d.labels.size()) / d.rows);
  if (!d.starts.empty())
    permute(d.starts, 1);
}

Dataset splitTail(Dataset &d, int64_t rows) {
  Dataset tail;
  tail.rows = rows;
  int64_t keep = d.rows - rows;
  auto move = [&](auto &from, auto &to, int64_t width) {
    to.assign(from.begin() + keep * width, from.end());
    from.resize(keep * width);
  };
  int64_t xWidth = d.rows ? int64_t(d.x.size()) / d.rows : 0;
  int64_t yWidth = d.rows ? int64_t(d.y.size()) / d.rows : 0;
  int64_t labelWidth = d.rows ? int64_t(d.labels.size()) / d.rows : 0;
  move(d.x, tail.x, xWidth);
  if (!d.y.empty())
    move(d.y, tail.y, yWidth);
  if (!d.labels.empty())
    move(d.labels, tail.labels, labelWidth);
  if (!d.starts.empty())
    move(d.starts, tail.starts, 1);
  tail.text = d.text;
  d.rows = keep;
  return tail;
}

void gatherBatch(const Manifest &m, const Dataset &d,
                 const std::vector<int64_t> &order, int64_t begin, int64_t end,
                 std::vector<float> &x, std::vector<float> &y,
                 std::vector<int32_t> &labels) {
  y.clear();
  labels.clear();
  int64_t rows = end - begin;
  if (d.text) {
    // x: [rows, T] bytes from each window's start; labels: [rows, T] the
    // bytes one further on.
    int64_t t = m.inputSize;
    x.resize(size_t(rows * t));
    labels.resize(size_t(rows * t));
    for (int64_t i = 0; i < rows; ++i) {
      const char *window = d.text->data() + d.starts[order[begin + i]];
      for (int64_t k = 0; k < t; ++k) {
        x[i * t + k] = float(uint8_t(window[k]));
        labels[i * t + k] = int32_t(uint8_t(window[k + 1]));
      }
    }
    return;
  }
  // x: [inputs][rows, in.size], every element written below. Each thread
  // copies the rows its share of the step's per-example loops reads; a
  // small batch (the seed network's 32 floats) is copied here, where
  // waking the team would cost more than the copy.
  constexpr int64_t kParallelCopyFloats = 16384;
  x.resize(size_t(rows * m.inputSize));
  float *out = x.data();
  for (const InputInfo &in : m.inputs) {
    auto copy = [&](int64_t first, int64_t last) {
      for (int64_t i = first; i < last; ++i) {
        auto row = d.x.begin() + order[begin + i] * m.inputSize + in.offset;
        std::copy(row, row + in.size, out + i * in.size);
      }
    };
    if (rows * m.inputSize >= kParallelCopyFloats)
      parallelBlocks(rows, copy);
    else
      copy(0, rows);
    out += rows * in.size;
  }
  for (int64_t i = begin; i < end; ++i) {
    int64_t r = order[i];
    if (!d.labels.empty())
      labels.insert(labels.end(), d.labels.begin() + r * m.labelCount,
                    d.labels.begin() + (r + 1) * m.labelCount);
    else if (!d.y.empty())
      y.insert(y.end(), d.y.begin() + r * m.outputSize,
               d.y.begin() + (r + 1) * m.outputSize);
  }
}

} // namespace sinter
