// Keras initializers: distributions, bounds, determinism.
#include "init.h"
#include "test_util.h"

#include <cmath>
#include <numeric>

using namespace sinter;

static ParamInfo param(const std::string &init, std::vector<int64_t> shape,
                       std::map<std::string, std::string> args = {}) {
  ParamInfo p;
  p.name = "layer.kernel";
  p.shape = shape;
  p.size = std::accumulate(shape.begin(), shape.end(), int64_t(1),
                           std::multiplies<int64_t>());
  p.init = init;
  p.initArgs = args;
  return p;
}

static void stats(const std::vector<float> &v, double &mean, double &sd,
                  double &maxAbs) {
  mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double ss = 0;
  maxAbs = 0;
  for (float x : v) {
    ss += (x - mean) * (x - mean);
    maxAbs = std::max(maxAbs, std::fabs(double(x)));
  }
  sd = std::sqrt(ss / v.size());
}

TEST(Init, GlorotUniformStaysInItsLimit) {
  ParamInfo p = param("GlorotUniform", {200, 300});
  std::vector<float> w(p.size);
  initializeParam(p, 1, w.data());
  double mean, sd, maxAbs, limit = std::sqrt(6.0 / 500);
  stats(w, mean, sd, maxAbs);
  EXPECT_LE(maxAbs, limit);
  EXPECT_GT(maxAbs, 0.99 * limit);
  EXPECT_NEAR(sd, limit / std::sqrt(3.0), 0.01 * limit);
  EXPECT_NEAR(mean, 0, 0.01 * limit);
}

TEST(Init, HeNormalIsTruncatedWithTheRightSpread) {
  ParamInfo p = param("HeNormal", {400, 100});
  std::vector<float> w(p.size);
  initializeParam(p, 2, w.data());
  double mean, sd, maxAbs;
  stats(w, mean, sd, maxAbs);
  double target = std::sqrt(2.0 / 400); // Keras' stddev after truncation
  EXPECT_NEAR(sd, target, 0.03 * target);
  EXPECT_LE(maxAbs, 2 * target / .87962566103423978 + 1e-6);
}

TEST(Init, ConstantsAndRandomUniformArguments) {
  std::vector<float> w(6);
  initializeParam(param("Ones", {6}), 0, w.data());
  EXPECT_EQ(w, std::vector<float>(6, 1.0f));
  initializeParam(param("Constant", {6}, {{"value", "0.25"}}), 0, w.data());
  EXPECT_EQ(w, std::vector<float>(6, 0.25f));
  std::vector<float> u(1000);
  initializeParam(param("RandomUniform", {1000}, {{"minval", "2"}, {"maxval", "3"}}),
                  0, u.data());
  for (float x : u) {
    EXPECT_GE(x, 2.0f);
    EXPECT_LT(x, 3.0f);
  }
}

TEST(Init, SeedsAreDeterministicAndDistinct) {
  ParamInfo p = param("GlorotNormal", {10, 10});
  std::vector<float> a(p.size), b(p.size), c(p.size);
  initializeParam(p, 5, a.data());
  initializeParam(p, 5, b.data());
  initializeParam(p, 6, c.data());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // An initializer's own seed wins over the run's.
  ParamInfo fixed = param("GlorotNormal", {10, 10}, {{"seed", "42"}});
  initializeParam(fixed, 5, a.data());
  initializeParam(fixed, 6, b.data());
  EXPECT_EQ(a, b);
}

TEST(Init, UnknownInitializerIsAnError) {
  std::vector<float> w(4);
  EXPECT_EQ(test::errorOf([&] { initializeParam(param("Orthogonal", {2, 2}), 0, w.data()); }),
            "parameter 'layer.kernel': unknown initializer Orthogonal");
}
