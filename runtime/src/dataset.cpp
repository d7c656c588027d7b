#include "dataset.h"

#include "csv.h"
#include "error.h"
#include "npy.h"

#include <cmath>

namespace sinter {

namespace {
void checkLabel(const Manifest &m, double v, const std::string &file,
                const std::string &where) {
  if (v != std::floor(v) || v < 0 || v >= double(m.outputSize))
    fail(file, where,
         "expected an integer class label in [0, " +
             std::to_string(m.outputSize) + "), got " + std::to_string(v));
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
  for (int64_t r = 0; r < d.rows; ++r) {
    const double *row = &t.values[r * t.cols];
    for (int64_t i = 0; i < m.inputSize; ++i)
      d.x.push_back(float(row[i]));
    if (m.labels) {
      checkLabel(m, row[m.inputSize], path,
                 "line " + std::to_string(t.lines[r]));
      d.labels.push_back(int32_t(row[m.inputSize]));
    } else {
      for (int64_t i = 0; i < m.outputSize; ++i)
        d.y.push_back(float(row[m.inputSize + i]));
    }
  }
  return d;
}

Dataset loadNpy(const Manifest &m, const std::string &xPath,
                const std::string &yPath) {
  NpyArray x = readNpy(xPath);
  // A single feature may come as a vector [N].
  if (x.shape.size() == 1 && m.inputSize == 1)
    x.shape.push_back(1);
  int64_t per = 1;
  for (size_t i = 1; i < x.shape.size(); ++i)
    per *= x.shape[i];
  if (x.shape.size() < 2 || per != m.inputSize)
    fail(xPath, "shape", "expected [N, " + std::to_string(m.inputSize) +
                             "] inputs for input '" + m.inputName + "'");
  if (x.shape[0] == 0)
    fail(xPath, "shape", "no examples (the first dimension is 0)");
  Dataset d;
  d.rows = x.shape[0];
  d.x.assign(x.values.begin(), x.values.end());
  if (yPath.empty())
    return d;
  NpyArray y = readNpy(yPath);
  if (y.shape.empty() || y.shape[0] != d.rows)
    fail(yPath, "shape", "expected " + std::to_string(d.rows) +
                             " rows to match " + xPath);
  if (m.labels) {
    if (!(y.shape.size() == 1 || (y.shape.size() == 2 && y.shape[1] == 1)))
      fail(yPath, "shape", "expected [N] integer class labels");
    for (int64_t r = 0; r < d.rows; ++r) {
      checkLabel(m, y.values[r], yPath, "row " + std::to_string(r));
      d.labels.push_back(int32_t(y.values[r]));
    }
  } else {
    if (y.shape.size() == 1 && m.outputSize == 1)
      y.shape.push_back(1);
    if (y.shape.size() != 2 || y.shape[1] != m.outputSize)
      fail(yPath, "shape", "expected [N, " + std::to_string(m.outputSize) +
                               "] float targets");
    d.y.assign(y.values.begin(), y.values.end());
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
      d.labels.push_back(int32_t(row[m.inputSize]));
    else
      d.y.insert(d.y.end(), row + m.inputSize,
                 row + m.inputSize + m.outputSize);
  }
  return d;
}

void gatherBatch(const Manifest &m, const Dataset &d,
                 const std::vector<int64_t> &order, int64_t begin, int64_t end,
                 std::vector<float> &x, std::vector<float> &y,
                 std::vector<int32_t> &labels) {
  x.clear();
  y.clear();
  labels.clear();
  for (int64_t i = begin; i < end; ++i) {
    int64_t r = order[i];
    x.insert(x.end(), d.x.begin() + r * m.inputSize,
             d.x.begin() + (r + 1) * m.inputSize);
    if (!d.labels.empty())
      labels.push_back(d.labels[r]);
    else if (!d.y.empty())
      y.insert(y.end(), d.y.begin() + r * m.outputSize,
               d.y.begin() + (r + 1) * m.outputSize);
  }
}

} // namespace sinter
