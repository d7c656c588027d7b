// A learning-rate schedule from the manifest's `schedule` line.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sinter {

struct Schedule {
  std::string kind; // cosine_decay, exponential_decay, piecewise_constant_decay
  std::map<std::string, double> params;
  std::vector<double> boundaries, values; // piecewise_constant_decay
};

// Parses "<kind> key=value ..." (lists comma-separated); throws Error.
Schedule parseSchedule(const std::string &line);

// The learning rate after `iteration` finished steps.
double learningRateAt(const Schedule &s, int64_t iteration);

} // namespace sinter
