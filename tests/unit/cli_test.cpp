// The trainer's command line over a hand-written model (linear regression,
// MSE, SGD) standing in for compiled code: flag parsing, error paths,
// batching, shuffling and outputs, without the compiler.
#include "sinter/abi.h"
#include "npy.h"
#include "safetensors.h"
#include "test_util.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

using sinter::test::scratch;
using sinter::test::writeText;

namespace {

// pred = x · kernel + bias; kernel [2, 1] at 0, bias [1] at 16.
const char *kManifest = "sinter-manifest 6\n"
                        "model linear\n"
                        "loss mean_squared_error\n"
                        "optimizer sgd learning_rate=0.5 momentum=0 nesterov=0\n"
                        "input x 2\n"
                        "output 1\n"
                        "target dense 1\n"
                        "param lin.kernel 2,1 0 Zeros\n"
                        "param lin.bias 1 16 Ones\n"
                        "param_elems 32\n"
                        "layer lin Dense 1 3\n"
                        "default_data 5 2 1\n"
                        "end\n";
// y = x0 - x1 (+ 0 bias); 5 rows.
const float kDefaultData[] = {1, 0, 1,  0, 1, -1, 1,  1,  0,
                              2, 1, 1,  -1, 1, -2};

struct Call {
  int64_t rows;
  float lr, iteration;
  float firstX;
};
std::vector<Call> calls;

float *f(sinter_buffer *b) { return static_cast<float *>(b->aligned); }

// The stand-in's workspace: 4 bytes per row and 64 more, each byte written
// so that a runtime passing too little shows up (under ASan, or as a
// corrupted heap).
const int64_t kWorkspace[2] = {4, 64};
void useWorkspace(sinter_buffer *x, sinter_buffer *ws) {
  int64_t need = kWorkspace[0] * (x->size / 2) + kWorkspace[1];
  if (ws->size < need || ws->stride != 1 || ws->offset != 0)
    std::abort();
  std::fill_n(static_cast<char *>(ws->aligned), need, 0x5a);
}

float predictInto(sinter_buffer *x, sinter_buffer *p, std::vector<float> &out) {
  int64_t rows = x->size / 2;
  out.resize(rows);
  for (int64_t r = 0; r < rows; ++r)
    out[r] = f(x)[2 * r] * f(p)[0] + f(x)[2 * r + 1] * f(p)[1] + f(p)[16];
  return float(rows);
}

float lossAndGrad(sinter_buffer *x, sinter_buffer *y, sinter_buffer *p,
                  float *g) {
  std::vector<float> pred;
  int64_t rows = int64_t(predictInto(x, p, pred));
  float loss = 0;
  if (g)
    g[0] = g[1] = g[16] = 0;
  for (int64_t r = 0; r < rows; ++r) {
    float d = pred[r] - f(y)[r];
    loss += d * d / rows;
    if (g) {
      g[0] += 2 * d * f(x)[2 * r] / rows;
      g[1] += 2 * d * f(x)[2 * r + 1] / rows;
      g[16] += 2 * d / rows;
    }
  }
  return loss;
}

float trainStep(sinter_buffer *x, sinter_buffer *y, sinter_buffer *p,
                sinter_buffer *, float lr, float iteration, sinter_buffer *ws) {
  useWorkspace(x, ws);
  calls.push_back({x->size / 2, lr, iteration, f(x)[0]});
  float g[32];
  float loss = lossAndGrad(x, y, p, g);
  for (int i : {0, 1, 16})
    f(p)[i] -= lr * g[i];
  return loss;
}
// A wrong gradient rule, to show that gradcheck catches one: scales dL/dw1.
float wrongGradientFactor = 1;

float gradients(sinter_buffer *x, sinter_buffer *y, sinter_buffer *p,
                sinter_buffer *g, sinter_buffer *ws) {
  useWorkspace(x, ws);
  float loss = lossAndGrad(x, y, p, f(g));
  f(g)[1] *= wrongGradientFactor;
  return loss;
}
float evaluate(sinter_buffer *x, sinter_buffer *y, sinter_buffer *p,
               sinter_buffer *out, sinter_buffer *ws) {
  useWorkspace(x, ws);
  std::vector<float> pred;
  predictInto(x, p, pred);
  std::copy(pred.begin(), pred.end(), f(out));
  return lossAndGrad(x, y, p, nullptr);
}
void predict(sinter_buffer *x, sinter_buffer *p, sinter_buffer *out,
             sinter_buffer *ws) {
  useWorkspace(x, ws);
  std::vector<float> pred;
  predictInto(x, p, pred);
  std::copy(pred.begin(), pred.end(), f(out));
}

const sinter_model kModel = {trainStep, gradients,    evaluate,  predict,
                             kManifest, kDefaultData, kWorkspace};

// Runs the CLI; returns the exit status, stdout and stderr.
struct Result {
  int status;
  std::string out, err;
};
Result run(std::vector<std::string> args,
           const sinter_model &model = kModel) {
  args.insert(args.begin(), "trainer");
  std::vector<char *> argv;
  for (auto &a : args)
    argv.push_back(a.data());
  calls.clear();
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int status = sinter_trainer_main(&model, int(argv.size()), argv.data());
  return {status, testing::internal::GetCapturedStdout(),
          testing::internal::GetCapturedStderr()};
}

} // namespace

TEST(Cli, TrainsInBatchesWithASmallerLastBatch) {
  std::string log = scratch("log.csv");
  Result r = run({"train", "--epochs", "2", "--batch-size", "2", "--no-shuffle",
                  "--log-csv", log, "--lr", "0.1"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(calls.size(), 6u); // 5 rows: batches of 2, 2, 1 per epoch
  EXPECT_EQ(calls[2].rows, 1);
  EXPECT_EQ(calls[0].firstX, 1.0f); // file order
  EXPECT_EQ(calls[1].firstX, 1.0f);
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_FLOAT_EQ(calls[i].lr, 0.1f);       // --lr overrides 0.5
    EXPECT_EQ(calls[i].iteration, float(i)); // steps done before this one
  }
  std::ifstream in(log);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header, "step,epoch,loss");
  int rows = 0;
  while (std::getline(in, line))
    ++rows;
  EXPECT_EQ(rows, 6);
  EXPECT_NE(r.out.find("epoch 2/2"), std::string::npos);
  EXPECT_NE(r.out.find("final loss"), std::string::npos);
}

TEST(Cli, ShufflesDeterministicallyBySeed) {
  auto order = [](const std::string &seed) {
    run({"train", "--epochs", "3", "--batch-size", "1", "--seed", seed, "--quiet"});
    std::vector<float> xs;
    for (const Call &c : calls)
      xs.push_back(c.firstX);
    return xs;
  };
  std::vector<float> a = order("3"), b = order("3"), c = order("4");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<float> fileOrder = {1, 0, 1, 2, -1};
  EXPECT_NE(std::vector<float>(a.begin(), a.begin() + 5), fileOrder);
}

TEST(Cli, LearnsAndRoundTripsWeights) {
  std::string w = scratch("w.safetensors");
  Result r = run({"train", "--epochs", "300", "--batch-size", "5", "--lr",
                  "0.1", "--save", w, "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string csv = scratch("d.csv");
  writeText(csv, "x0,x1,y\n3,1,2\n0,2,-2\n");
  r = run({"eval", "--weights", w, "--data", csv});
  ASSERT_EQ(r.status, 0) << r.err;
  float loss = std::stof(r.out.substr(r.out.find("loss ") + 5));
  EXPECT_LT(loss, 1e-3); // the model found y = x0 - x1
  EXPECT_EQ(r.out.find("accuracy"), std::string::npos);
}

TEST(Cli, InitMustMatchEveryParameter) {
  std::string w = scratch("w.safetensors");
  ASSERT_EQ(run({"train", "--save", w, "--quiet"}).status, 0);
  EXPECT_EQ(run({"train", "--init", w, "--quiet"}).status, 0);
  Result r = run({"train", "--init", scratch("none.safetensors")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("none.safetensors: cannot open"), std::string::npos)
      << r.err;
}

TEST(Cli, RefusesWeightsThatAreNotFinite) {
  std::string w = scratch("nan.safetensors");
  sinter::writeSafetensors(w, {{"lin.kernel", {{2, 1}, {0.5f, NAN}}},
                               {"lin.bias", {{1}, {0}}}});
  std::string data = scratch("d.csv");
  writeText(data, "1,2,3\n");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"train", "--init", w},
        std::vector<std::string>{"eval", "--weights", w, "--data", data}}) {
    Result r = run(args);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("nan.safetensors: tensor 'lin.kernel', element 1: "
                         "expected a finite value, got nan"),
              std::string::npos)
        << r.err;
  }
}

TEST(Cli, ReportsBadFlagsAndData) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::string labels = scratch("l.csv");
  writeText(labels, "1,2\n");
  std::vector<Case> cases = {
      {{}, "trainer: error: missing command"},
      {{"train", "--batch-size", "0"},
       "trainer: error: --batch-size: expected an integer >= 1, got '0'"},
      {{"train", "--lr", "-1"},
       "trainer: error: --lr: expected a finite non-negative number, got "
       "'-1'"},
      {{"train", "--lr", "inf"},
       "trainer: error: --lr: expected a finite non-negative number, got "
       "'inf'"},
      {{"train", "--seed", "99999999999999999999"},
       "trainer: error: --seed: expected an integer >= 0, got "
       "'99999999999999999999'"},
      {{"train", "--stride", "3"}, "trainer: error: --stride goes with --text"},
      {{"train", "--epochs"}, "trainer: error: option '--epochs' needs a value"},
      {{"train", "extra"}, "trainer: error: unexpected argument 'extra'"},
      {{"predict", "--weights", "w"}, "trainer: error: 'predict' needs --out"},
      {{"train", "--x", "a.npy"}, "trainer: error: --x and --y go together"},
      {{"train", "--data", "a.csv", "--x", "b.npy"},
       "trainer: error: give one of --data, --x/--y, --npz or --text"},
      {{"train", "--data", labels},
       "l.csv: line 1: expected 3 columns (2 inputs + 1 targets), got 2"},
      {{"summary", "--seed", "1"},
       "trainer: error: unknown option '--seed' for 'summary'"},
  };
  for (const Case &c : cases) {
    Result r = run(c.args);
    EXPECT_EQ(r.status, 1) << c.message;
    EXPECT_NE(r.err.find(c.message), std::string::npos)
        << "got: " << r.err << "want: " << c.message;
  }
}

TEST(Cli, StopsWhenTheLossIsNoLongerFinite) {
  // SGD at a rate of 1e20 diverges: the loss overflows within a few steps.
  std::string w = scratch("w.safetensors"), log = scratch("log.csv");
  Result r = run({"train", "--lr", "1e20", "--epochs", "20", "--batch-size",
                  "1", "--no-shuffle", "--save", w, "--log-csv", log});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("trainer: error: step "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(": training diverged and stops, saving nothing"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(sinter::test::exists(w));
  // The log ends with the step that stopped the run.
  std::ifstream in(log);
  std::string line, last;
  int lines = 0;
  while (std::getline(in, line))
    last = line, ++lines;
  EXPECT_GT(lines, 2);
  EXPECT_TRUE(last.find("inf") != std::string::npos ||
              last.find("nan") != std::string::npos)
      << last;
}

TEST(Cli, ChecksOutputsCanBeWrittenBeforeTraining) {
  std::string dir = scratch("missing") + "/";
  for (const char *flag : {"--save", "--checkpoint"}) {
    Result r = run({"train", "--epochs", "3", flag, dir + "w.safetensors"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find(dir + "w.safetensors: cannot write: No such file or "
                               "directory"),
              std::string::npos)
        << r.err;
    EXPECT_TRUE(calls.empty()) << flag << ": trained before failing";
  }
}

TEST(Cli, NamesAModelTooLargeToAllocate) {
  // 2^60 parameter floats (4 EiB): the allocation fails, not the process.
  std::string manifest = kManifest;
  manifest.replace(manifest.find("param_elems 32"), 14,
                   "param_elems 1152921504606846976");
  sinter_model huge = kModel;
  huge.manifest = manifest.c_str();
  Result r = run({"summary"}, huge);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("trainer: error: out of memory: model 'linear' has "
                       "1152921504606846976 parameter floats"),
            std::string::npos)
      << r.err;
}

TEST(Cli, PredictWritesAllRowsAtomically) {
  std::string w = scratch("w.safetensors"), x = scratch("x.npy"),
              out = scratch("p.npy");
  ASSERT_EQ(run({"train", "--save", w, "--quiet"}).status, 0);
  std::vector<float> rows(2 * 70, 0.5f); // more rows than one batch
  sinter::writeNpy(x, {70, 2}, rows);
  Result r = run({"predict", "--weights", w, "--x", x, "--out", out});
  ASSERT_EQ(r.status, 0) << r.err;
  sinter::NpyArray p = sinter::readNpy(out);
  EXPECT_EQ(p.shape, (std::vector<int64_t>{70, 1}));
  EXPECT_FALSE(sinter::test::exists(out + ".tmp"));
}

TEST(Cli, GradcheckPassesOnCorrectGradients) {
  Result r = run({"gradcheck", "--seed", "1"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS"), std::string::npos);
}

TEST(Cli, GradcheckFailsOnAWrongGradient) {
  wrongGradientFactor = 1.05f;
  Result r = run({"gradcheck", "--seed", "1"});
  wrongGradientFactor = 1;
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("FAIL"), std::string::npos) << r.out;
}

TEST(Cli, ValidationSplitAndEarlyStopping) {
  // 5 rows, 40%: the last 2 are validation, the first 3 train.
  std::string w = scratch("w.safetensors");
  Result r = run({"train", "--epochs", "50", "--batch-size", "8", "--lr", "2",
                  "--validation-split", "0.4", "--early-stopping", "2",
                  "--no-shuffle", "--save", w});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("training linear on 3 examples, validating on 2"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("val_loss"), std::string::npos);
  // lr 2 diverges: the validation loss rises, so training stops early and
  // keeps the best epoch's weights.
  EXPECT_NE(r.out.find("early stopping: no better val_loss since epoch"),
            std::string::npos)
      << r.out;
  EXPECT_LT(calls.size(), 50u);
  Result bad = run({"train", "--validation-split", "0.1"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("leaves no training or no validation examples of 5"),
            std::string::npos)
      << bad.err;
}

TEST(Cli, SplitSeedShufflesBeforeHoldingOut) {
  // The validation rows differ with the split seed, so the losses do.
  auto valLoss = [](const std::string &seed) {
    Result r = run({"train", "--epochs", "1", "--validation-split", "0.4",
                    "--split-seed", seed, "--quiet"});
    return r.out.substr(r.out.find("val_loss"));
  };
  EXPECT_EQ(valLoss("1"), valLoss("1"));
  EXPECT_NE(valLoss("1"), valLoss("2"));
}

TEST(Cli, ReportsTheMedianStepTime) {
  Result r = run({"train", "--epochs", "3", "--batch-size", "2", "--time",
                  "--quiet", "--threads", "3"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("time: 9 steps on 3 threads, median "),
            std::string::npos)
      << r.out;
}

TEST(Cli, RunsOnTheCpusOfItsAffinityMaskByDefault) {
  // Under taskset (or a container's cpuset) a team of all the machine's
  // hardware threads would spin for threads that are not running.
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  cpu_set_t one = sinter::test::firstCpuOf(all);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  Result r =
      run({"train", "--epochs", "1", "--batch-size", "2", "--time", "--quiet"});
  ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(" steps on 1 thread, median "), std::string::npos)
      << r.out;
}
