// Parameter initialization following the Keras initializer classes, from a
// seeded generator (the values are Sinter's own: Keras' random streams are
// not reproduced, the distributions are).
#pragma once

#include "manifest.h"

#include <cstdint>
#include <vector>

namespace sinter {

// splitmix64: small, fast, and the same on every platform.
struct Rng {
  uint64_t state;
  explicit Rng(uint64_t seed) : state(seed) {}
  uint64_t next();
  double uniform();  // [0, 1)
  double normal();   // standard normal (Box-Muller)
  uint64_t below(uint64_t n); // [0, n), unbiased
};

// Fills `out` ([p.size] floats) for parameter `p`. The stream depends on the
// run seed and the parameter's name (or the initializer's own `seed`).
void initializeParam(const ParamInfo &p, uint64_t seed, float *out);

} // namespace sinter
