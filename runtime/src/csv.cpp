#include "csv.h"

#include "error.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace sinter {

namespace {
bool parseNumber(const std::string &field, double &out) {
  size_t b = field.find_first_not_of(" \t\r");
  size_t e = field.find_last_not_of(" \t\r");
  if (b == std::string::npos)
    return false;
  std::string f = field.substr(b, e - b + 1);
  char *end = nullptr;
  errno = 0;
  out = std::strtod(f.c_str(), &end);
  return end == f.c_str() + f.size() && errno == 0 && std::isfinite(out);
}

std::vector<std::string> split(const std::string &line) {
  std::vector<std::string> fields;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, ','))
    fields.push_back(f);
  if (!line.empty() && line.back() == ',')
    fields.push_back("");
  return fields;
}
} // namespace

CsvTable readCsv(const std::string &path) {
  std::string text = readFile(path);
  std::istringstream in(text);
  CsvTable t;
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos)
      continue;
    std::vector<std::string> fields = split(line);
    std::vector<double> row(fields.size());
    bool numeric = true;
    size_t bad = 0;
    for (size_t i = 0; i < fields.size() && numeric; ++i)
      if (!parseNumber(fields[i], row[i])) {
        numeric = false;
        bad = i;
      }
    if (!numeric) {
      if (t.cols == 0 && t.values.empty() && lineNo == 1)
        continue; // a header line
      fail(path, "line " + std::to_string(lineNo) + ", column " +
                     std::to_string(bad + 1),
           "expected a number, got '" + fields[bad] + "'");
    }
    if (t.cols == 0)
      t.cols = fields.size();
    else if (fields.size() != t.cols)
      fail(path, "line " + std::to_string(lineNo),
           "expected " + std::to_string(t.cols) + " columns, got " +
               std::to_string(fields.size()));
    t.values.insert(t.values.end(), row.begin(), row.end());
    t.lines.push_back(lineNo);
  }
  if (t.values.empty())
    fail(path, "", "no data rows");
  return t;
}

} // namespace sinter
