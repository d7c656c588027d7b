#include "init.h"

#include "error.h"

#include <cmath>

namespace sinter {

uint64_t Rng::next() {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double Rng::uniform() { return (next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  double u1 = uniform(), u2 = uniform();
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t Rng::below(uint64_t n) {
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t r;
  do
    r = next();
  while (r >= limit);
  return r % n;
}

namespace {
uint64_t hashName(const std::string &s) {
  uint64_t h = 1469598103934665603ull; // FNV-1a
  for (unsigned char c : s)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

double arg(const ParamInfo &p, const std::string &key, double dflt) {
  auto it = p.initArgs.find(key);
  return it == p.initArgs.end() ? dflt : std::stod(it->second);
}
std::string sarg(const ParamInfo &p, const std::string &key,
                 const std::string &dflt) {
  auto it = p.initArgs.find(key);
  return it == p.initArgs.end() ? dflt : it->second;
}

// Keras' fans: the last two dimensions are (in, out), the rest the
// receptive field; a vector has fan_in = fan_out = its length.
void fans(const std::vector<int64_t> &shape, double &in, double &out) {
  if (shape.size() < 2) {
    in = out = shape.empty() ? 1 : double(shape[0]);
    return;
  }
  double field = 1;
  for (size_t i = 0; i + 2 < shape.size(); ++i)
    field *= shape[i];
  in = shape[shape.size() - 2] * field;
  out = shape[shape.size() - 1] * field;
}

// Normal truncated at two standard deviations (redraw outside).
double truncated(Rng &rng) {
  double v;
  do
    v = rng.normal();
  while (std::fabs(v) > 2.0);
  return v;
}
} // namespace

void initializeParam(const ParamInfo &p, uint64_t seed, float *out) {
  // An initializer's own seed makes it reproducible across run seeds, as
  // in Keras.
  uint64_t s = p.initArgs.count("seed")
                   ? uint64_t(std::stoll(p.initArgs.at("seed")))
                   : seed;
  Rng rng(s ^ hashName(p.name));
  const std::string &c = p.init;
  int64_t n = p.size;
  if (c == "Zeros" || c == "Ones" || c == "Constant") {
    float v = c == "Ones" ? 1.0f : c == "Zeros" ? 0.0f : float(arg(p, "value", 0));
    for (int64_t i = 0; i < n; ++i)
      out[i] = v;
    return;
  }
  if (c == "RandomUniform") {
    double lo = arg(p, "minval", -0.05), hi = arg(p, "maxval", 0.05);
    for (int64_t i = 0; i < n; ++i)
      out[i] = float(lo + (hi - lo) * rng.uniform());
    return;
  }
  if (c == "RandomNormal" || c == "TruncatedNormal") {
    double mean = arg(p, "mean", 0), sd = arg(p, "stddev", 0.05);
    bool trunc = c == "TruncatedNormal";
    for (int64_t i = 0; i < n; ++i)
      out[i] = float(mean + sd * (trunc ? truncated(rng) : rng.normal()));
    return;
  }
  // The variance-scaling family.
  double scale = 1.0;
  std::string mode = "fan_in", dist = "truncated_normal";
  if (c == "GlorotUniform" || c == "GlorotNormal") {
    mode = "fan_avg";
    dist = c == "GlorotUniform" ? "uniform" : "truncated_normal";
  } else if (c == "HeUniform" || c == "HeNormal") {
    scale = 2.0;
    dist = c == "HeUniform" ? "uniform" : "truncated_normal";
  } else if (c == "LecunUniform" || c == "LecunNormal") {
    dist = c == "LecunUniform" ? "uniform" : "truncated_normal";
  } else if (c == "VarianceScaling") {
    scale = arg(p, "scale", 1.0);
    mode = sarg(p, "mode", "fan_in");
    dist = sarg(p, "distribution", "truncated_normal");
  } else {
    fail("", "parameter '" + p.name + "'", "unknown initializer " + c);
  }
  double fanIn, fanOut;
  fans(p.shape, fanIn, fanOut);
  double fan = mode == "fan_in" ? fanIn : mode == "fan_out" ? fanOut
                                                            : (fanIn + fanOut) / 2;
  scale /= std::max(1.0, fan);
  for (int64_t i = 0; i < n; ++i) {
    if (dist == "uniform") {
      double limit = std::sqrt(3.0 * scale);
      out[i] = float(-limit + 2 * limit * rng.uniform());
    } else if (dist == "untruncated_normal" || dist == "normal") {
      out[i] = float(std::sqrt(scale) * rng.normal());
    } else {
      // Keras divides by the stddev of a unit normal truncated at 2.
      out[i] = float(std::sqrt(scale) / .87962566103423978 * truncated(rng));
    }
  }
}

} // namespace sinter
