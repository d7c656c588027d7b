#include "trainer.h"

#include "error.h"
#include "init.h"
#include "safetensors.h"
#include "symbols.h"
#include "threads.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <new>
#include <numeric>
#include <sstream>

namespace sinter {

namespace {
template <typename T> sinter_buffer buffer(std::vector<T> &v) {
  return {v.data(), v.data(), 0, int64_t(v.size()), 1};
}

std::string shapeStr(const std::vector<int64_t> &s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i)
    out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Accuracy of one batch, in examples: label losses compare each
// prediction vector's argmax with its label (a sequence's tokens count as
// fractions of the example), categorical ones the argmaxes, binary ones the
// 0.5 thresholds.
double correctCount(const Manifest &m, const std::vector<float> &pred,
                    const std::vector<float> &y,
                    const std::vector<int32_t> &labels, int64_t rows) {
  double correct = 0;
  if (m.labels) {
    int64_t c = m.classes();
    for (int64_t v = 0; v < rows * m.labelCount; ++v) {
      const float *p = &pred[v * c];
      correct += (std::max_element(p, p + c) - p == labels[v]) /
                 double(m.labelCount);
    }
    return correct;
  }
  int64_t k = m.outputSize;
  for (int64_t r = 0; r < rows; ++r) {
    const float *p = &pred[r * k];
    int64_t arg = std::max_element(p, p + k) - p;
    if (m.loss == "categorical_crossentropy") {
      const float *t = &y[r * k];
      correct += arg == std::max_element(t, t + k) - t;
    } else {
      for (int64_t j = 0; j < k; ++j)
        correct += ((p[j] > 0.5f) == (y[r * k + j] > 0.5f)) / double(k);
    }
  }
  return correct;
}

bool hasAccuracy(const Manifest &m) { return m.loss != "mean_squared_error"; }

// Rows in file order: 0, 1, ..., rows - 1.
std::vector<int64_t> fileOrder(int64_t rows) {
  std::vector<int64_t> order(rows);
  std::iota(order.begin(), order.end(), 0);
  return order;
}

/// The parallel regions timed during `steps` training steps (evaluations
/// between epochs included), the longest first: their time a step, runs a
/// step, and each thread's work a run outside barrier waits.
void printRegionProfile(std::ostream &log, int64_t steps) {
  std::vector<RegionTimes> regions = regionTimes();
  double perStep = 1.0 / double(std::max<int64_t>(steps, 1));
  int64_t total = 0;
  for (const RegionTimes &r : regions)
    total += r.wallNs;
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "profile: %zu parallel regions, %.1f us a step over %lld "
                "steps\n  us/step  runs/step    us/run  work us/run by thread"
                "  region\n",
                regions.size(), 1e-3 * double(total) * perStep,
                (long long)steps);
  log << buf;
  for (const RegionTimes &r : regions) {
    double runs = double(r.runs);
    std::snprintf(buf, sizeof buf, "  %7.1f  %9.2f  %8.1f ",
                  1e-3 * double(r.wallNs) * perStep, runs * perStep,
                  1e-3 * double(r.wallNs) / runs);
    std::string line = buf;
    for (int64_t ns : r.workNs) {
      std::snprintf(buf, sizeof buf, " %7.1f", 1e-3 * double(ns) / runs);
      line += buf;
    }
    log << line << "  " << functionName(r.code) << "\n";
  }
}

} // namespace

Trainer::Trainer(const sinter_model &model, Manifest manifest)
    : model(model), m(std::move(manifest)), workspace(model.workspace_size) {
  try {
    paramBuf.assign(m.paramElems, 0.0f);
    slotBuf.assign(m.slots.size() * m.paramElems, 0.0f);
  } catch (const std::bad_alloc &) {
    throw Error("out of memory: model '" + m.model + "' has " +
                std::to_string(m.paramElems) + " parameter floats (and " +
                std::to_string(m.slots.size()) +
                " optimizer slots of as many), more than this machine can "
                "allocate");
  }
}

void Trainer::initialize(uint64_t seed) {
  for (const ParamInfo &p : m.params)
    initializeParam(p, seed, &paramBuf[p.offset]);
}

void Trainer::loadWeights(const std::string &path) {
  std::map<std::string, Tensor> tensors = readSafetensors(path);
  for (const ParamInfo &p : m.params) {
    auto it = tensors.find(p.name);
    if (it == tensors.end())
      fail(path, "tensor '" + p.name + "'",
           "missing (the model needs it with shape " + shapeStr(p.shape) + ")");
    if (it->second.shape != p.shape)
      fail(path, "tensor '" + p.name + "'",
           "expected shape " + shapeStr(p.shape) + ", got " +
               shapeStr(it->second.shape));
    requireFinite(path, p.name, it->second);
    std::copy(it->second.data.begin(), it->second.data.end(),
              paramBuf.begin() + p.offset);
    tensors.erase(it);
  }
  if (!tensors.empty())
    fail(path, "tensor '" + tensors.begin()->first + "'",
         "not a parameter of this model");
}

void Trainer::saveWeights(const std::string &path) const {
  std::map<std::string, Tensor> tensors;
  for (const ParamInfo &p : m.params)
    tensors[p.name] = {p.shape,
                       std::vector<float>(paramBuf.begin() + p.offset,
                                          paramBuf.begin() + p.offset + p.size)};
  writeSafetensors(path, tensors);
}

// The process's peak resident memory (Linux's VmHWM, which belongs to
// this program's address space alone; getrusage's maxrss can inherit the
// parent's), or -1 where /proc does not say.
static double peakResidentMiB() {
  FILE *f = std::fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  double kib = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmHWM: %lf kB", &kib) == 1)
      break;
  std::fclose(f);
  return kib < 0 ? -1 : kib / 1024;
}

// `path` with "{step}" replaced by the step count, so that each checkpoint
// can have a file of its own (the last one otherwise overwrites).
static std::string checkpointFile(const std::string &path, int64_t step) {
  std::string out = path;
  for (size_t at = out.find("{step}"); at != std::string::npos;
       at = out.find("{step}", at))
    out.replace(at, 6, std::to_string(step));
  return out;
}

void Trainer::train(const Dataset &data, const Dataset &validation,
                    const TrainOptions &opts, std::ostream &log) {
  // --lr fixes the rate; otherwise the compiled one, or its schedule.
  auto lrAt = [&](int64_t iteration) {
    if (opts.lr >= 0)
      return float(opts.lr);
    if (m.scheduled)
      return float(learningRateAt(m.schedule, iteration));
    return float(m.learningRate());
  };
  std::vector<int64_t> order = fileOrder(data.rows);
  Rng rng(opts.seed ^ 0x5348554646ull); // the shuffle stream
  FILE *csv = nullptr;
  std::string csvTmp = opts.logCsvPath + ".tmp";
  if (!opts.logCsvPath.empty()) {
    csv = std::fopen(csvTmp.c_str(), "w");
    if (!csv)
      fail(opts.logCsvPath, "", "cannot write");
    std::fprintf(csv, "step,epoch,loss\n");
  }
  auto finishLog = [&] {
    if (!csv)
      return;
    bool ok = std::fclose(csv) == 0;
    csv = nullptr;
    if (!ok || std::rename(csvTmp.c_str(), opts.logCsvPath.c_str()) != 0) {
      std::remove(csvTmp.c_str());
      fail(opts.logCsvPath, "", "cannot write");
    }
  };
  std::vector<float> x, y;
  std::vector<int32_t> labels;
  std::vector<double> stepSeconds;
  auto shuffle = [&] {
    if (opts.shuffle)
      for (int64_t i = data.rows - 1; i > 0; --i)
        std::swap(order[i], order[rng.below(uint64_t(i + 1))]);
  };
  // What a resumed run must share with the run that wrote the checkpoint.
  std::string run = "rows=" + std::to_string(data.rows) +
                    ",validation_rows=" + std::to_string(validation.rows) +
                    ",batch_size=" + std::to_string(opts.batchSize) +
                    ",seed=" + std::to_string(opts.seed) +
                    ",shuffle=" + std::to_string(opts.shuffle) +
                    ",early_stopping=" + std::to_string(opts.patience);
  TrainingState st;
  if (!opts.resumePath.empty()) {
    st = loadCheckpoint(opts.resumePath, run);
    // The data order it had reached: one shuffle per epoch begun.
    for (int64_t e = 0; e < st.epoch + (st.epochRows > 0); ++e)
      shuffle();
    if (!opts.quiet)
      log << "resuming after epoch " << st.epoch
          << (st.epochRows ? " and " + std::to_string(st.epochRows) +
                                 " rows of the next"
                           : std::string())
          << " (step " << st.step << ")\n";
  }
  int64_t &step = st.step;
  int64_t width = std::to_string(opts.epochs).size();
  if (opts.profile)
    profileRegions(true);
  for (int64_t epoch = st.epoch + 1; epoch <= opts.epochs; ++epoch) {
    if (st.epochRows == 0)
      shuffle();
    double sum = st.epochLossSum;
    for (int64_t b = st.epochRows; b < data.rows; b += opts.batchSize) {
      int64_t e = std::min(data.rows, b + opts.batchSize);
      gatherBatch(m, data, order, b, e, x, y, labels);
      sinter_buffer xb = buffer(x), pb = buffer(paramBuf),
                    sb = buffer(slotBuf);
      sinter_buffer yb = m.labels ? buffer(labels) : buffer(y);
      sinter_buffer wb = workspace.forRows(e - b);
      auto t0 = std::chrono::steady_clock::now();
      float loss = model.train_step(&xb, &yb, &pb, &sb, lrAt(step),
                                    float(step), &wb);
      stepSeconds.push_back(std::chrono::duration<double>(
                                std::chrono::steady_clock::now() - t0)
                                .count());
      ++step;
      sum += double(loss) * (e - b);
      if (csv)
        std::fprintf(csv, "%lld,%lld,%.9g\n", (long long)step,
                     (long long)epoch, loss);
      // The updated weights are not finite either: stop before anything
      // is saved, keeping the log (it shows the loss leading up to this).
      if (!std::isfinite(loss)) {
        finishLog();
        throw Error("step " + std::to_string(step) + " (epoch " +
                    std::to_string(epoch) + "): the loss is " +
                    (std::isnan(loss) ? "nan" : "inf") +
                    ": training diverged and stops, saving nothing (try a "
                    "lower --lr, or --resume an earlier checkpoint)");
      }
      if (opts.checkpointSteps > 0 && step % opts.checkpointSteps == 0 &&
          e < data.rows) { // the epoch's end writes its own
        st.epochRows = e;
        st.epochLossSum = sum;
        saveCheckpoint(checkpointFile(opts.checkpointPath, step), st, run);
      }
    }
    st.epochRows = 0;
    st.epochLossSum = 0;
    double trainLoss = sum / double(data.rows), monitored = trainLoss;
    std::string line;
    char buf[160];
    std::snprintf(buf, sizeof buf, "epoch %*lld/%lld  loss %.6f", int(width),
                  (long long)epoch, (long long)opts.epochs, trainLoss);
    line = buf;
    if (validation.rows > 0) {
      EvalResult v = evaluate(validation, opts.batchSize);
      monitored = v.loss;
      std::snprintf(buf, sizeof buf, "  val_loss %.6f", v.loss);
      line += buf;
      if (v.accuracy >= 0) {
        std::snprintf(buf, sizeof buf, "  val_accuracy %.4f", v.accuracy);
        line += buf;
      }
    }
    if (!opts.quiet)
      log << line << "\n" << std::flush;
    if (opts.patience > 0) {
      if (monitored < st.bestLoss) {
        st.bestLoss = monitored;
        st.bestEpoch = epoch;
        st.best = paramBuf;
      } else if (epoch - st.bestEpoch >= opts.patience) {
        if (!opts.quiet)
          log << "early stopping: no better " << (validation.rows ? "val_loss" : "loss")
              << " since epoch " << st.bestEpoch << "; restoring its weights\n";
        paramBuf = st.best;
        break;
      }
    }
    st.epoch = epoch;
    if (!opts.checkpointPath.empty())
      saveCheckpoint(checkpointFile(opts.checkpointPath, step), st, run);
  }
  if (opts.patience > 0 && st.bestEpoch > 0 && paramBuf != st.best)
    paramBuf = st.best; // the best epoch's weights, also when epochs ran out
  if (opts.reportTime && !stepSeconds.empty()) {
    std::sort(stepSeconds.begin(), stepSeconds.end());
    char buf[128];
    std::snprintf(
        buf, sizeof buf, "time: %zu steps on %d thread%s, median %.6f ms/step",
        stepSeconds.size(), threadCount(), threadCount() == 1 ? "" : "s",
        1000 * stepSeconds[stepSeconds.size() / 2]);
    log << buf;
    if (double mib = peakResidentMiB(); mib >= 0) {
      std::snprintf(buf, sizeof buf, ", peak memory %.1f MiB", mib);
      log << buf;
    }
    log << "\n";
  }
  if (opts.profile) {
    profileRegions(false);
    printRegionProfile(log, int64_t(stepSeconds.size()));
  }
  finishLog();
}

// Top-k accuracy of one batch, in examples: a prediction vector counts
// when its label (or the argmax of its one-hot target) is among its k
// largest entries.
double topKCount(const Manifest &m, const std::vector<float> &pred,
                 const std::vector<float> &y,
                 const std::vector<int32_t> &labels, int64_t rows) {
  int64_t c = m.classes(), perRow = m.outputSize / c;
  double hits = 0;
  for (int64_t v = 0; v < rows * perRow; ++v) {
    const float *p = &pred[v * c];
    int64_t label = m.labels ? labels[v]
                             : std::max_element(&y[v * c], &y[v * c] + c) -
                                   &y[v * c];
    int64_t above = 0; // entries ranked before the label's
    for (int64_t j = 0; j < c; ++j)
      above += p[j] > p[label] || (p[j] == p[label] && j < label);
    hits += (above < m.topK) / double(perRow);
  }
  return hits;
}

EvalResult Trainer::evaluate(const Dataset &data, int64_t batchSize) {
  std::vector<int64_t> order = fileOrder(data.rows);
  std::vector<float> x, y, out;
  std::vector<int32_t> labels;
  double lossSum = 0, correct = 0, topK = 0;
  for (int64_t b = 0; b < data.rows; b += batchSize) {
    int64_t e = std::min(data.rows, b + batchSize);
    gatherBatch(m, data, order, b, e, x, y, labels);
    out.assign((e - b) * m.outputSize, 0.0f);
    sinter_buffer xb = buffer(x), pb = buffer(paramBuf), ob = buffer(out);
    sinter_buffer yb = m.labels ? buffer(labels) : buffer(y);
    sinter_buffer wb = workspace.forRows(e - b);
    lossSum += double(model.evaluate(&xb, &yb, &pb, &ob, &wb)) * (e - b);
    correct += correctCount(m, out, y, labels, e - b);
    if (m.topK > 0)
      topK += topKCount(m, out, y, labels, e - b);
  }
  EvalResult r;
  r.loss = lossSum / double(data.rows);
  if (hasAccuracy(m))
    r.accuracy = correct / double(data.rows);
  if (m.topK > 0)
    r.topKAccuracy = topK / double(data.rows);
  return r;
}

std::vector<float> Trainer::predict(const Dataset &data, int64_t batchSize) {
  std::vector<int64_t> order = fileOrder(data.rows);
  std::vector<float> all(data.rows * m.outputSize), x, y, out;
  std::vector<int32_t> labels;
  for (int64_t b = 0; b < data.rows; b += batchSize) {
    int64_t e = std::min(data.rows, b + batchSize);
    gatherBatch(m, data, order, b, e, x, y, labels);
    out.assign((e - b) * m.outputSize, 0.0f);
    sinter_buffer xb = buffer(x), pb = buffer(paramBuf), ob = buffer(out);
    sinter_buffer wb = workspace.forRows(e - b);
    model.predict(&xb, &pb, &ob, &wb);
    std::copy(out.begin(), out.end(), all.begin() + b * m.outputSize);
  }
  return all;
}

Trainer::Batch Trainer::firstRows(const Dataset &data, int64_t rows) const {
  Batch b;
  b.rows = std::min(rows, data.rows);
  std::vector<int64_t> order = fileOrder(data.rows);
  gatherBatch(m, data, order, 0, b.rows, b.x, b.y, b.labels);
  return b;
}

// The loss of the gradients entry point (training mode without dropout),
// the function whose derivative `gradients` computes; evaluate's loss is
// the inference mode's, which differs with BatchNormalization.
float Trainer::lossOn(Batch &b) {
  std::vector<float> scratch;
  return gradientsOn(b, scratch);
}

float Trainer::gradientsOn(Batch &b, std::vector<float> &g) {
  g.assign(paramBuf.size(), 0.0f);
  sinter_buffer xb = buffer(b.x), pb = buffer(paramBuf), gb = buffer(g);
  sinter_buffer yb = m.labels ? buffer(b.labels) : buffer(b.y);
  sinter_buffer wb = workspace.forRows(b.rows);
  return model.gradients(&xb, &yb, &pb, &gb, &wb);
}

float Trainer::saveGradients(const Dataset &data, int64_t rows,
                             const std::string &path) {
  Batch b = firstRows(data, rows);
  std::vector<float> g;
  float loss = gradientsOn(b, g);
  std::map<std::string, Tensor> tensors;
  for (const ParamInfo &p : m.params)
    tensors[p.name] = {p.shape, std::vector<float>(g.begin() + p.offset,
                                                   g.begin() + p.offset + p.size)};
  writeSafetensors(path, tensors);
  return loss;
}

double Trainer::lossNoise(Batch &b, double base) {
  // The loss moves by float32 rounding when a weight moves by a unit in its
  // last place (the smooth change is ~1e-7 of a slope: nothing). Nudging a
  // few weights measures how far; at least 4 units of the loss' own
  // rounding (6e-8 relative).
  double spread = 4 * 6e-8 * std::max(1.0, std::fabs(base));
  for (const ParamInfo &p : m.params)
    for (int64_t i = 0; i < std::min<int64_t>(p.size, 4); ++i) {
      float &w = paramBuf[p.offset + i];
      float saved = w;
      for (float to : {std::nextafter(saved, 1e30f),
                       std::nextafter(saved, -1e30f)}) {
        w = to;
        spread = std::max(spread, 2 * std::fabs(lossOn(b) - base));
      }
      w = saved;
    }
  return spread;
}

double Trainer::gradcheck(const Dataset &data, int64_t rows, double eps,
                          int64_t maxElements, std::ostream &out) {
  Batch b = firstRows(data, rows);
  std::vector<float> g;
  gradientsOn(b, g);
  // Per parameter: max |fd - analytic| over its elements, less what float32
  // rounding of the loss explains, relative to the tensor's largest analytic
  // gradient (the scale of the whole tensor is the yardstick: tiny
  // components are all noise).
  // Elements where the one-sided slopes disagree sit at a kink (a ReLU at 0,
  // say): no single derivative exists there, so they are counted and
  // reported, not compared.
  double worst = 0;
  double base = lossOn(b);
  double noise = lossNoise(b, base);
  for (const ParamInfo &p : m.params) {
    if (p.frozen) {
      out << p.name << std::string(p.name.size() < 33 ? 33 - p.name.size() : 1, ' ')
          << "not trained: no gradient to check\n";
      continue;
    }
    double maxDiff = 0, scale = 1e-6;
    for (int64_t i = 0; i < p.size; ++i)
      scale = std::max(scale, std::fabs(double(g[p.offset + i])));
    struct Probe {
      double central, forward, backward, analytic, h;
    };
    std::vector<Probe> probes;
    // Large tensors: `maxElements` evenly spaced elements.
    int64_t every = maxElements > 0 && p.size > maxElements
                        ? (p.size + maxElements - 1) / maxElements
                        : 1;
    for (int64_t i = 0; i < p.size; i += every) {
      float &w = paramBuf[p.offset + i];
      float saved = w;
      float h = float(eps * std::max(1.0, std::fabs(double(saved))));
      float hi = saved + h, lo = saved - h;
      w = hi;
      double up = lossOn(b);
      w = lo;
      double down = lossOn(b);
      w = saved;
      probes.push_back({(up - down) / (double(hi) - double(lo)),
                        (up - base) / (double(hi) - saved),
                        (base - down) / (double(saved) - lo),
                        double(g[p.offset + i]), double(h)});
    }
    // One-sided slopes of a smooth loss differ by about h * f'' plus float32
    // rounding of the loss; a kink makes them differ by a jump in slope.
    int64_t skipped = 0;
    for (const Probe &q : probes) {
      double rounding = noise / q.h;
      if (std::fabs(q.forward - q.backward) > 1e-2 * scale + rounding) {
        ++skipped;
        continue;
      }
      // What float32 rounding of the loss alone can explain is not an error.
      maxDiff = std::max(
          maxDiff, std::max(0.0, std::fabs(q.central - q.analytic) - rounding));
    }
    double err = maxDiff / scale;
    char line[256];
    std::snprintf(line, sizeof line,
                  "%-32s max |fd - analytic| %.3e  max |analytic| %.3e  "
                  "relative %.3e",
                  p.name.c_str(), maxDiff, scale, err);
    out << line;
    if (skipped)
      out << "  (" << skipped << " of " << p.size
          << " elements at a kink, not compared)";
    out << "\n";
    worst = std::max(worst, err);
  }
  return worst;
}

void Trainer::summary(std::ostream &out) const {
  out << "Model: \"" << m.model << "\"\n";
  // Columns as Keras prints them, the first widened to the longest name.
  std::vector<std::string> names, shapes;
  size_t nameWidth = 36, shapeWidth = 22;
  for (const LayerInfo &l : m.layers) {
    names.push_back(l.name + " (" + l.className + ")");
    std::string dims = l.shape;
    for (size_t i = dims.find(','); i != std::string::npos;
         i = dims.find(',', i + 2))
      dims.insert(i + 1, " ");
    shapes.push_back("(None, " + dims + ")");
    nameWidth = std::max(nameWidth, names.back().size());
    shapeWidth = std::max(shapeWidth, shapes.back().size());
  }
  auto row = [&](const std::string &name, const std::string &shape,
                 const std::string &params) {
    out << name << std::string(nameWidth + 1 - name.size(), ' ') << shape
        << std::string(shapeWidth + 1 - shape.size(), ' ')
        << std::string(params.size() < 12 ? 12 - params.size() : 0, ' ')
        << params << "\n";
  };
  size_t width = nameWidth + shapeWidth + 14;
  out << std::string(width, '-') << "\n";
  row("Layer (type)", "Output Shape", "Param #");
  out << std::string(width, '=') << "\n";
  int64_t total = 0;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    row(names[i], shapes[i], std::to_string(m.layers[i].params));
    total += m.layers[i].params;
  }
  out << std::string(width, '-') << "\n";
  int64_t frozen = 0;
  for (const ParamInfo &p : m.params)
    frozen += p.frozen ? p.size : 0;
  out << "Total params: " << total << " (" << total * 4 << " bytes)\n";
  if (frozen)
    out << "Trainable params: " << total - frozen
        << "\nNon-trainable params: " << frozen << "\n";
  out << "Loss: " << m.loss << "   Optimizer: " << m.optimizer
      << " (learning_rate " << m.learningRate() << ")\n";
}

std::string Trainer::sample(const std::string &prompt, int64_t length,
                            double temperature, uint64_t seed) {
  if (!m.labels || m.inputs.size() != 1 || m.inputs[0].shape.size() != 1 ||
      m.labelCount != m.inputs[0].size || m.classes() < 256 ||
      (m.inputs[0].vocabulary > 0 && m.inputs[0].vocabulary < 256))
    throw Error("sample needs a byte-level language model: one [T] token "
                "input of 256+ ids and [T, 256+] next-token probabilities");
  int64_t context = m.inputs[0].size, vocab = m.classes();
  std::vector<int32_t> tokens;
  for (char c : prompt)
    tokens.push_back(uint8_t(c));
  Rng rng(seed ^ 0x53414d504c45ull); // sampling's own stream
  std::vector<float> x(context), out(m.outputSize), weights(vocab);
  std::string generated;
  for (int64_t step = 0; step < length; ++step) {
    // The last `context` tokens at positions 0..k-1; causal attention makes
    // the zero padding after them irrelevant to position k-1.
    int64_t k = std::min<int64_t>(context, tokens.size());
    std::fill(x.begin(), x.end(), 0.0f);
    for (int64_t i = 0; i < k; ++i)
      x[i] = float(tokens[tokens.size() - k + i]);
    sinter_buffer xb = buffer(x), pb = buffer(paramBuf), ob = buffer(out);
    sinter_buffer wb = workspace.forRows(1);
    model.predict(&xb, &pb, &ob, &wb);
    const float *p = &out[(k - 1) * vocab];
    int64_t next = std::max_element(p, p + 256) - p;
    if (temperature > 0) {
      double total = 0;
      for (int64_t v = 0; v < 256; ++v)
        total += weights[v] = std::pow(std::max(p[v], 0.0f), 1.0 / temperature);
      double u = rng.uniform() * total;
      for (next = 0; next < 255 && (u -= weights[next]) >= 0; ++next) {
      }
    }
    tokens.push_back(int32_t(next));
    generated.push_back(char(next));
  }
  return generated;
}

} // namespace sinter
