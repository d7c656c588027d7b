// The trainer's command line: parses flags, loads data and weights, runs a
// command. Every user error becomes one "<prog>: error: ..." line, exit 1.
#include "cpus.h"
#include "error.h"
#include "npy.h"
#include "threads.h"
#include "trainer.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <malloc.h>
#include <map>
#include <set>

namespace sinter {
namespace {

const char *kUsage =
    "usage:\n"
    "  %s train [--data F.csv | --x X.npy --y Y.npy] [--epochs N]\n"
    "           [--batch-size B] [--lr LR] [--seed S] [--no-shuffle]\n"
    "           [--init W.safetensors] [--save W.safetensors] [--log-csv F]\n"
    "           [--validation-split F [--split-seed S]]\n"
    "           [--early-stopping PATIENCE] [--quiet] [--time] [--profile]\n"
    "           [--checkpoint CKPT [--checkpoint-steps N]] [--resume CKPT]\n"
    "  %s eval --weights W.safetensors (--data F.csv | --x X.npy --y Y.npy)\n"
    "          [--batch-size B]\n"
    "  %s predict --weights W.safetensors --x X.npy --out P.npy\n"
    "  (several inputs: one --x NAME=FILE.npy per input layer)\n"
    "  %s gradients --weights W.safetensors (--data F.csv | --x X.npy --y Y.npy)\n"
    "            --out G.safetensors [--rows N]\n"
    "  %s summary\n"
    "  %s gradcheck [--weights W.safetensors | --seed S] [--data F.csv |\n"
    "               --x X.npy --y Y.npy] [--rows N] [--eps E] [--tolerance T]\n"
    "               [--max-elements N]\n"
    "  %s sample --weights W.safetensors [--prompt TEXT] [--length N]\n"
    "            [--temperature T] [--seed S]\n"
    "  (--npz F.npz: arrays named after the inputs, or x, and y;\n"
    "   language models: --text FILE [--stride S] instead of --x/--y;\n"
    "   every command takes --threads N, default: the CPUs it may use)\n";

struct Args {
  std::string command;
  std::map<std::string, std::string> values; // --flag value (the last)
  std::vector<std::string> xs;               // every --x, in order
  std::set<std::string> switches;            // --flag
};

// Flags that take a value, and switches, per command.
const std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>>
    kFlags = {
        {"train",
         {{"data", "x", "y", "npz", "text", "stride", "epochs", "batch-size", "lr",
           "seed", "init", "save", "log-csv", "validation-split",
           "split-seed", "early-stopping", "checkpoint", "checkpoint-steps",
           "resume"},
          {"no-shuffle", "quiet", "time", "profile"}}},
        {"eval",
         {{"weights", "data", "x", "y", "npz", "text", "stride", "batch-size"},
          {}}},
        {"predict", {{"weights", "x", "npz", "out", "batch-size"}, {}}},
        {"summary", {{}, {}}},
        {"gradients",
         {{"weights", "data", "x", "y", "npz", "text", "stride", "out", "rows"},
          {}}},
        {"gradcheck",
         {{"weights", "seed", "data", "x", "y", "npz", "text", "stride", "rows", "eps",
           "tolerance", "max-elements"},
          {}}},
        {"sample",
         {{"weights", "prompt", "length", "temperature", "seed"}, {}}},
};

Args parseArgs(int argc, char **argv) {
  if (argc < 2)
    throw Error("missing command (train, eval, predict, gradients, summary, "
                "gradcheck, sample)");
  Args a;
  a.command = argv[1];
  auto spec = kFlags.find(a.command);
  if (spec == kFlags.end())
    throw Error("unknown command '" + a.command +
                "' (expected train, eval, predict, gradients, summary, "
                "gradcheck or sample)");
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0)
      throw Error("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2), value;
    size_t eq = name.find('=');
    bool inlineValue = eq != std::string::npos;
    if (inlineValue) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (spec->second.second.count(name) && !inlineValue) {
      a.switches.insert(name);
      continue;
    }
    if (!spec->second.first.count(name) && name != "threads")
      throw Error("unknown option '--" + name + "' for '" + a.command + "'");
    if (!inlineValue) {
      if (i + 1 >= argc)
        throw Error("option '--" + name + "' needs a value");
      value = argv[++i];
    }
    a.values[name] = value;
    if (name == "x")
      a.xs.push_back(value);
  }
  return a;
}

int64_t intFlag(const Args &a, const std::string &name, int64_t dflt,
                int64_t min) {
  auto it = a.values.find(name);
  if (it == a.values.end())
    return dflt;
  char *end = nullptr;
  errno = 0; // strtoll saturates out-of-range values and says so here
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end || errno == ERANGE || v < min)
    throw Error("--" + name + ": expected an integer >= " +
                std::to_string(min) + ", got '" + it->second + "'");
  return v;
}

double floatFlag(const Args &a, const std::string &name, double dflt) {
  auto it = a.values.find(name);
  if (it == a.values.end())
    return dflt;
  char *end = nullptr;
  double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end || !(v >= 0) || std::isinf(v))
    throw Error("--" + name + ": expected a finite non-negative number, got '" +
                it->second + "'");
  return v;
}

std::string flag(const Args &a, const std::string &name) {
  auto it = a.values.find(name);
  return it == a.values.end() ? "" : it->second;
}

std::string required(const Args &a, const std::string &name) {
  std::string v = flag(a, name);
  if (v.empty())
    throw Error("'" + a.command + "' needs --" + name);
  return v;
}

// --data, --x with --y, --text, or (when allowed) the embedded default
// data.
Dataset loadData(const Manifest &m, const sinter_model &model, const Args &a,
                 bool allowDefault) {
  std::string data = flag(a, "data"), x = flag(a, "x"), y = flag(a, "y"),
              text = flag(a, "text"), npz = flag(a, "npz");
  if (int(!data.empty()) + int(!x.empty() || !y.empty()) +
          int(!text.empty()) + int(!npz.empty()) > 1)
    throw Error("give one of --data, --x/--y, --npz or --text");
  if (!data.empty())
    return loadCsv(m, data);
  if (!npz.empty())
    return loadNpz(m, npz, /*withY=*/true);
  if (!text.empty())
    return loadText(m, text, intFlag(a, "stride", 0, 1));
  if (!flag(a, "stride").empty())
    throw Error("--stride goes with --text");
  if (!x.empty() || !y.empty()) {
    if (x.empty() || y.empty())
      throw Error("--x and --y go together");
    return loadNpy(m, a.xs, y);
  }
  if (!allowDefault)
    throw Error("'" + a.command + "' needs --data F.csv or --x X.npy --y Y.npy");
  return loadDefault(m, model.default_data);
}

// A model with a label per token: its loss gets a perplexity.
bool isLanguageModel(const Manifest &m) {
  return m.labels && m.labelCount > 1;
}

// "loss L  accuracy A  perplexity P", the keys prefixed by `prefix`.
void printResult(const Manifest &m, const EvalResult &r, const char *prefix) {
  std::printf("%sloss %.6f", prefix, r.loss);
  if (r.accuracy >= 0)
    std::printf("  %saccuracy %.4f", prefix, r.accuracy);
  if (r.topKAccuracy >= 0)
    std::printf("  %stop%lld_accuracy %.4f", prefix, (long long)m.topK,
                r.topKAccuracy);
  if (isLanguageModel(m))
    std::printf("  %sperplexity %.4f", prefix, std::exp(r.loss));
}

// The compiled step allocates its intermediates and frees them before it
// returns. By default glibc serves large blocks with mmap and unmaps them
// on free, so every step would fault its working set in afresh (a quarter
// of a gpt-mini step); keeping freed memory in the heap lets the next step
// reuse it.
void keepFreedMemory() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20); // glibc's largest
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

int run(const sinter_model &model, const Args &a) {
  // Every command takes --threads; results do not depend on it.
  setThreadCount(int(intFlag(a, "threads", usableCpus(), 1)));
  Trainer t(model, parseManifest(model.manifest));
  const Manifest &m = t.manifest();
  if (a.command == "summary") {
    t.summary(std::cout);
    return 0;
  }
  if (a.command == "train") {
    TrainOptions o;
    o.epochs = intFlag(a, "epochs", 1, 1);
    o.batchSize = intFlag(a, "batch-size", 32, 1);
    o.lr = floatFlag(a, "lr", -1);
    o.seed = uint64_t(intFlag(a, "seed", 0, 0));
    o.shuffle = !a.switches.count("no-shuffle");
    o.quiet = a.switches.count("quiet");
    o.reportTime = a.switches.count("time");
    o.profile = a.switches.count("profile");
    o.savePath = flag(a, "save");
    o.logCsvPath = flag(a, "log-csv");
    o.patience = intFlag(a, "early-stopping", 0, 1);
    o.checkpointPath = flag(a, "checkpoint");
    o.resumePath = flag(a, "resume");
    o.checkpointSteps = intFlag(a, "checkpoint-steps", 0, 1);
    if (o.checkpointSteps && o.checkpointPath.empty())
      throw Error("--checkpoint-steps needs --checkpoint CKPT to write to");
    for (const std::string &path : {o.savePath, o.checkpointPath})
      if (!path.empty())
        requireWritable(path);
    double split = floatFlag(a, "validation-split", 0);
    if (split >= 1)
      throw Error("--validation-split: expected a fraction below 1, got '" +
                  flag(a, "validation-split") + "'");
    Dataset d = loadData(m, model, a, /*allowDefault=*/true);
    Dataset validation;
    if (split > 0) {
      int64_t rows = int64_t(std::floor(split * double(d.rows)));
      if (rows < 1 || rows >= d.rows)
        throw Error("--validation-split " + flag(a, "validation-split") +
                    " leaves no training or no validation examples of " +
                    std::to_string(d.rows));
      // Keras holds out the tail; --split-seed first shuffles the rows.
      if (!flag(a, "split-seed").empty())
        shuffleRows(d, uint64_t(intFlag(a, "split-seed", 0, 0)));
      validation = splitTail(d, rows);
    }
    if (!flag(a, "init").empty() && !o.resumePath.empty())
      throw Error("give either --init or --resume (a checkpoint holds the "
                  "weights)");
    if (!flag(a, "init").empty())
      t.loadWeights(flag(a, "init"));
    else if (o.resumePath.empty())
      t.initialize(o.seed);
    if (!o.quiet)
      std::cout << "training " << m.model << " on " << d.rows
                << " examples" << (validation.rows
                                       ? ", validating on " +
                                             std::to_string(validation.rows)
                                       : std::string())
                << " (" << m.loss << ", " << m.optimizer << ")\n";
    t.train(d, validation, o, std::cout);
    std::printf("final ");
    printResult(m, t.evaluate(d, o.batchSize), "");
    if (validation.rows) {
      std::printf("  ");
      printResult(m, t.evaluate(validation, o.batchSize), "val_");
    }
    std::printf("\n");
    if (!o.savePath.empty())
      t.saveWeights(o.savePath);
    return 0;
  }
  if (a.command == "eval") {
    t.loadWeights(required(a, "weights"));
    Dataset d = loadData(m, model, a, false);
    EvalResult r = t.evaluate(d, intFlag(a, "batch-size", 32, 1));
    printResult(m, r, "");
    std::printf("\n");
    return 0;
  }
  if (a.command == "sample") {
    t.loadWeights(required(a, "weights"));
    std::string prompt = flag(a, "prompt");
    std::cout << prompt
              << t.sample(prompt.empty() ? "\n" : prompt,
                          intFlag(a, "length", 200, 1),
                          floatFlag(a, "temperature", 1.0),
                          uint64_t(intFlag(a, "seed", 0, 0)))
              << "\n";
    return 0;
  }
  if (a.command == "predict") {
    std::string out = required(a, "out");
    requireWritable(out);
    if (flag(a, "npz").empty())
      required(a, "x");
    t.loadWeights(required(a, "weights"));
    Dataset d = flag(a, "npz").empty()
                    ? loadNpy(m, a.xs, "")
                    : loadNpz(m, flag(a, "npz"), /*withY=*/false);
    std::vector<float> p = t.predict(d, intFlag(a, "batch-size", 32, 1));
    std::vector<int64_t> shape = {d.rows};
    shape.insert(shape.end(), m.outputShape.begin(), m.outputShape.end());
    writeNpy(out, shape, p);
    return 0;
  }
  if (a.command == "gradients") {
    std::string out = required(a, "out");
    requireWritable(out);
    t.loadWeights(required(a, "weights"));
    Dataset d = loadData(m, model, a, false);
    float loss = t.saveGradients(d, intFlag(a, "rows", d.rows, 1), out);
    std::printf("loss %.9g\n", loss);
    return 0;
  }
  // gradcheck
  if (!flag(a, "weights").empty())
    t.loadWeights(flag(a, "weights"));
  else
    t.initialize(uint64_t(intFlag(a, "seed", 0, 0)));
  Dataset d = loadData(m, model, a, true);
  double tol = floatFlag(a, "tolerance", 1e-2);
  double worst = t.gradcheck(d, intFlag(a, "rows", 16, 1),
                             floatFlag(a, "eps", 1e-3),
                             intFlag(a, "max-elements", 0, 0), std::cout);
  std::printf("worst relative error %.3e (tolerance %.1e): %s\n", worst, tol,
              worst <= tol ? "PASS" : "FAIL");
  return worst <= tol ? 0 : 1;
}

} // namespace
} // namespace sinter

extern "C" int sinter_trainer_main(const sinter_model *model, int argc,
                                   char **argv) {
  sinter::keepFreedMemory();
  const char *prog = argc > 0 ? argv[0] : "trainer";
  if (argc >= 2 && (!std::strcmp(argv[1], "--help") ||
                    !std::strcmp(argv[1], "-h") ||
                    !std::strcmp(argv[1], "help"))) {
    std::printf(sinter::kUsage, prog, prog, prog, prog, prog, prog, prog);
    return 0;
  }
  try {
    return sinter::run(*model, sinter::parseArgs(argc, argv));
  } catch (const sinter::Error &e) {
    std::fprintf(stderr, "%s: error: %s\n", prog, e.what());
    return 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s: error: %s\n", prog, e.what());
    return 1;
  }
}
