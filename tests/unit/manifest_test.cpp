// The manifest grammar (docs/abi.md) and its version check.
#include "manifest.h"
#include "test_util.h"

using namespace sinter;
using sinter::test::errorOf;

static const char *kManifest =
    "sinter-manifest 6\n"
    "model m\n"
    "loss sparse_categorical_crossentropy\n"
    "optimizer adam amsgrad=0 beta_1=0.9 learning_rate=0.01\n"
    "input pixels 2,3\n"
    "input extra 1\n"
    "output 4\n"
    "target labels 1\n"
    "param d.kernel 6,4 0 RandomUniform minval=-1 seed=3\n"
    "param d.bias 4 32 Zeros\n"
    "param_elems 48\n"
    "slot momentum\n"
    "slot velocity\n"
    "layer d Dense 4 28\n"
    "default_data 10 7 1\n"
    "end\n";

TEST(Manifest, ParsesEveryEntry) {
  Manifest m = parseManifest(kManifest);
  EXPECT_EQ(m.model, "m");
  EXPECT_EQ(m.loss, "sparse_categorical_crossentropy");
  EXPECT_EQ(m.optimizer, "adam");
  EXPECT_DOUBLE_EQ(m.learningRate(), 0.01);
  ASSERT_EQ(m.inputs.size(), 2u);
  EXPECT_EQ(m.inputs[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(m.inputs[1].name, "extra");
  EXPECT_EQ(m.inputs[1].offset, 6);
  EXPECT_EQ(m.inputSize, 7);
  EXPECT_EQ(m.outputSize, 4);
  EXPECT_TRUE(m.labels);
  EXPECT_EQ(m.targetCols(), 1);
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0].shape, (std::vector<int64_t>{6, 4}));
  EXPECT_EQ(m.params[0].size, 24);
  EXPECT_EQ(m.params[0].initArgs.at("minval"), "-1");
  EXPECT_EQ(m.params[1].offset, 32);
  EXPECT_EQ(m.paramElems, 48);
  EXPECT_EQ(m.slots, (std::vector<std::string>{"momentum", "velocity"}));
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.layers[0].params, 28);
  EXPECT_EQ(m.defaultRows, 10);
}

TEST(Manifest, ReadsTheVocabularyOfTokenInputs) {
  std::string text = kManifest;
  text.insert(text.find("output 4"), "tokens extra 50\n");
  Manifest m = parseManifest(text);
  EXPECT_EQ(m.inputs[0].vocabulary, 0);
  EXPECT_EQ(m.inputs[1].vocabulary, 50);
  std::string unknown = kManifest;
  unknown.insert(unknown.find("output 4"), "tokens words 50\n");
  EXPECT_EQ(errorOf([&] { parseManifest(unknown); }),
            "manifest: line 7: expected 'tokens <input> <vocabulary>' after "
            "the input's line, got 'tokens words 50'");
}

TEST(Manifest, RefusesOtherVersionsAndDamage) {
  std::string v2 = kManifest;
  v2.replace(0, 17, "sinter-manifest 1");
  EXPECT_EQ(errorOf([&] { parseManifest(v2); }),
            "manifest: line 1: expected 'sinter-manifest 6', got "
            "'sinter-manifest 1' (recompile the model with this runtime's "
            "sinterc)");
  std::string bad = kManifest;
  bad.replace(bad.find("output 4"), 8, "output x");
  EXPECT_NE(errorOf([&] { parseManifest(bad); }).find("manifest"),
            std::string::npos);
  std::string cut = std::string(kManifest).substr(0, 60);
  EXPECT_EQ(errorOf([&] { parseManifest(cut); }),
            "manifest: incomplete (the trainer binary is damaged)");
}
