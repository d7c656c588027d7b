// Numeric CSV: one example per row; an optional first line of column names.
#pragma once

#include <string>
#include <vector>

namespace sinter {

struct CsvTable {
  size_t cols = 0;
  std::vector<double> values; // rows * cols, row-major
  std::vector<int> lines;     // source line of each row, for messages
  size_t rows() const { return cols ? values.size() / cols : 0; }
};

// Reads `path`; throws Error naming the line and column of a bad field or a
// row with the wrong number of columns.
CsvTable readCsv(const std::string &path);

} // namespace sinter
