// Learning-rate schedules: Keras' keras.optimizers.schedules formulas, in
// double precision, at the count of finished steps (Keras'
// optimizer.iterations).
#include "schedule.h"

#include "error.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace sinter {

namespace {
std::vector<double> parseList(const std::string &text) {
  std::vector<double> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    out.push_back(std::stod(item));
  return out;
}

double param(const Schedule &s, const std::string &key) {
  auto it = s.params.find(key);
  if (it == s.params.end())
    throw Error("schedule " + s.kind + " needs " + key);
  return it->second;
}
} // namespace

Schedule parseSchedule(const std::string &line) {
  std::stringstream words(line);
  Schedule s;
  words >> s.kind;
  if (s.kind != "cosine_decay" && s.kind != "exponential_decay" &&
      s.kind != "piecewise_constant_decay")
    throw Error("unknown schedule '" + s.kind + "'");
  for (std::string w; words >> w;) {
    size_t eq = w.find('=');
    if (eq == std::string::npos)
      throw Error("expected key=value, got '" + w + "'");
    std::string key = w.substr(0, eq), value = w.substr(eq + 1);
    if (key == "boundaries")
      s.boundaries = parseList(value);
    else if (key == "values")
      s.values = parseList(value);
    else
      s.params[key] = std::stod(value);
  }
  if (s.kind == "piecewise_constant_decay" &&
      s.values.size() != s.boundaries.size() + 1)
    throw Error("piecewise_constant_decay needs one more value than "
                "boundaries");
  return s;
}

double learningRateAt(const Schedule &s, int64_t iteration) {
  double step = double(iteration);
  if (s.kind == "piecewise_constant_decay") {
    size_t i = 0;
    while (i < s.boundaries.size() && step > s.boundaries[i])
      ++i;
    return s.values[i];
  }
  double initial = param(s, "initial_learning_rate");
  double decaySteps = param(s, "decay_steps");
  if (s.kind == "exponential_decay") {
    double p = step / decaySteps;
    if (param(s, "staircase") != 0)
      p = std::floor(p);
    return initial * std::pow(param(s, "decay_rate"), p);
  }
  // cosine_decay, with an optional linear warmup to warmup_target.
  double alpha = param(s, "alpha");
  auto decay = [&](double t, double from) {
    double cosine = 0.5 * (1.0 + std::cos(M_PI * t / decaySteps));
    return from * ((1.0 - alpha) * cosine + alpha);
  };
  double target = param(s, "warmup_target");
  if (target < 0)
    return decay(std::min(step, decaySteps), initial);
  double warmup = param(s, "warmup_steps");
  step = std::min(step, decaySteps + warmup);
  if (step < warmup)
    return (target - initial) * (step / warmup) + initial;
  return decay(step - warmup, target);
}

} // namespace sinter
