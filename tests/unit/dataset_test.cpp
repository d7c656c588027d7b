// What the data loaders accept: inputs that index an embedding table must
// be token ids of its vocabulary, every other input and target a finite
// number; a bad value is named by file, row (or line) and place.
#include "dataset.h"
#include "test_util.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace sinter;
using sinter::test::errorOf;
using sinter::test::scratch;
using sinter::test::writeText;

namespace {

// Two inputs: 2 token ids of a vocabulary of 5, then 1 float; one label.
const char *kTokensManifest = "sinter-manifest 6\n"
                              "model m\n"
                              "loss sparse_categorical_crossentropy\n"
                              "optimizer sgd learning_rate=0.1\n"
                              "input ids 2\n"
                              "tokens ids 5\n"
                              "input scale 1\n"
                              "output 3\n"
                              "target labels 1\n"
                              "param_elems 0\n"
                              "default_data 1 3 1\n"
                              "end\n";

// One float input of 2 values, 2 float targets.
const char *kDenseManifest = "sinter-manifest 6\n"
                             "model m\n"
                             "loss mean_squared_error\n"
                             "optimizer sgd learning_rate=0.1\n"
                             "input x 2\n"
                             "output 2\n"
                             "target dense 2\n"
                             "param_elems 0\n"
                             "default_data 1 2 2\n"
                             "end\n";

NpyArray array(std::vector<int64_t> shape, std::vector<double> values) {
  NpyArray a;
  a.shape = std::move(shape);
  a.values = std::move(values);
  return a;
}

// Rows of token pairs, each with scale 0.5 and label 1.
std::string loadTokens(const Manifest &m, std::vector<double> ids) {
  int64_t rows = int64_t(ids.size()) / 2;
  Named x{"ids.npy", array({rows, 2}, ids)};
  Named scale{"scale.npy", array({rows, 1}, std::vector<double>(rows, 0.5))};
  Named y{"y.npy", array({rows}, std::vector<double>(rows, 1))};
  return errorOf([&] { fromArrays(m, {x, scale}, &y); });
}

} // namespace

TEST(Dataset, TakesTokenIdsOfTheVocabulary) {
  Manifest m = parseManifest(kTokensManifest);
  EXPECT_EQ(loadTokens(m, {0, 4, 3, 1}), "");
  Named x{"ids.npy", array({1, 2}, {2, 4})};
  Named scale{"scale.npy", array({1, 1}, {-3})};
  Dataset d = fromArrays(m, {x, scale}, nullptr);
  EXPECT_EQ(d.x, (std::vector<float>{2, 4, -3}));
}

TEST(Dataset, RefusesIdsOutsideTheVocabulary) {
  Manifest m = parseManifest(kTokensManifest);
  EXPECT_EQ(loadTokens(m, {0, 4, 3, 5}),
            "ids.npy: row 1, value 1: expected a token id of input 'ids' in "
            "[0, 5), got 5.000000");
  EXPECT_EQ(loadTokens(m, {-1, 0}),
            "ids.npy: row 0, value 0: expected a token id of input 'ids' in "
            "[0, 5), got -1.000000");
  EXPECT_EQ(loadTokens(m, {1, 2.5}),
            "ids.npy: row 0, value 1: expected a token id of input 'ids' in "
            "[0, 5), got 2.500000");
  EXPECT_EQ(loadTokens(m, {std::nan(""), 1}),
            "ids.npy: row 0, value 0: expected a token id of input 'ids' in "
            "[0, 5), got nan");
}

TEST(Dataset, RefusesNonFiniteInputsAndTargets) {
  Manifest m = parseManifest(kDenseManifest);
  double inf = std::numeric_limits<double>::infinity();
  Named good{"x.npy", array({2, 2}, {1, 2, 3, 4})};
  Named y{"y.npy", array({2, 2}, {0, 1, 2, 3})};
  EXPECT_EQ(errorOf([&] { fromArrays(m, {good}, &y); }), "");
  Named nan{"x.npy", array({2, 2}, {1, 2, 3, std::nan("")})};
  EXPECT_EQ(errorOf([&] { fromArrays(m, {nan}, &y); }),
            "x.npy: row 1, value 1: expected a finite number for input 'x', "
            "got nan");
  Named badY{"y.npy", array({2, 2}, {0, 1, -inf, 3})};
  EXPECT_EQ(errorOf([&] { fromArrays(m, {good}, &badY); }),
            "y.npy: row 1, value 0: expected a finite target, got -inf");
}

TEST(Dataset, NamesTheLineAndColumnOfABadTokenInCsv) {
  Manifest m = parseManifest(kTokensManifest);
  std::string path = scratch("tokens.csv");
  writeText(path, "a,b,scale,label\n1,2,0.5,0\n3,7,0.5,1\n");
  EXPECT_EQ(errorOf([&] { loadCsv(m, path); }),
            path + ": line 3, column 2: expected a token id of input 'ids' in "
                   "[0, 5), got 7.000000");
  writeText(path, "1,2,0.5,0\n3,4,-2,1\n");
  EXPECT_EQ(loadCsv(m, path).x, (std::vector<float>{1, 2, 0.5, 3, 4, -2}));
}

// A byte-level language model of context 4: its text is kept once, each
// batch gathering the windows' tokens and next-byte labels.
TEST(Dataset, GathersTextWindowsByStride) {
  Manifest m = parseManifest("sinter-manifest 6\n"
                             "model lm\n"
                             "loss sparse_categorical_crossentropy\n"
                             "optimizer sgd learning_rate=0.1\n"
                             "input tokens 4\n"
                             "tokens tokens 256\n"
                             "output 4,256\n"
                             "target labels 4\n"
                             "param_elems 0\n"
                             "default_data 1 4 4\n"
                             "end\n");
  std::string path = scratch("text.txt");
  writeText(path, "abcdefghij"); // windows of 4 + 1 from 0, 3 (6 is past)
  Dataset d = loadText(m, path, 3);
  ASSERT_EQ(d.rows, 2);
  EXPECT_TRUE(d.x.empty());
  std::vector<float> x, y;
  std::vector<int32_t> labels;
  gatherBatch(m, d, {1, 0}, 0, 2, x, y, labels);
  EXPECT_EQ(x, (std::vector<float>{'d', 'e', 'f', 'g', 'a', 'b', 'c', 'd'}));
  EXPECT_EQ(labels,
            (std::vector<int32_t>{'e', 'f', 'g', 'h', 'b', 'c', 'd', 'e'}));
  // Stride 1 (6 windows) split: the tail keeps the text and its windows.
  d = loadText(m, path, 1);
  Dataset tail = splitTail(d, 2);
  ASSERT_EQ(tail.rows, 2);
  ASSERT_EQ(d.rows, 4);
  gatherBatch(m, tail, {0, 1}, 1, 2, x, y, labels);
  EXPECT_EQ(x, (std::vector<float>{'f', 'g', 'h', 'i'}));
  EXPECT_EQ(labels, (std::vector<int32_t>{'g', 'h', 'i', 'j'}));
  // Shuffled by the split's seed: rows are whole windows, each once.
  shuffleRows(d, 7);
  std::vector<int64_t> starts = d.starts;
  std::sort(starts.begin(), starts.end());
  EXPECT_EQ(starts, (std::vector<int64_t>{0, 1, 2, 3}));
}

// The validation split's shuffle moves whole rows of every array by one
// permutation, in place.
TEST(Dataset, ShufflesWholeRowsInPlace) {
  Dataset d;
  d.rows = 50;
  for (int64_t r = 0; r < d.rows; ++r) {
    d.x.insert(d.x.end(), {float(r), r + 0.5f, r + 0.25f});
    d.y.insert(d.y.end(), {-float(r), 2.0f * r});
    d.starts.push_back(7 * r);
  }
  Dataset again = d;
  shuffleRows(d, 3);
  shuffleRows(again, 3);
  EXPECT_EQ(d.x, again.x);
  std::vector<bool> seen(d.rows);
  int64_t moved = 0;
  for (int64_t i = 0; i < d.rows; ++i) {
    int64_t k = int64_t(d.x[3 * i]);
    ASSERT_TRUE(k >= 0 && k < d.rows && !seen[k]);
    seen[k] = true;
    moved += k != i;
    EXPECT_EQ(d.x[3 * i + 1], k + 0.5f);
    EXPECT_EQ(d.x[3 * i + 2], k + 0.25f);
    EXPECT_EQ(d.y[2 * i], -float(k));
    EXPECT_EQ(d.y[2 * i + 1], 2.0f * k);
    EXPECT_EQ(d.starts[i], 7 * k);
  }
  EXPECT_GT(moved, 40);
}
