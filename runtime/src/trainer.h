// The trainer's commands over a compiled model.
#pragma once

#include "dataset.h"
#include "manifest.h"
#include "sinter/abi.h"
#include "workspace.h"

#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace sinter {

struct TrainOptions {
  int64_t epochs = 1, batchSize = 32;
  double lr = -1; // < 0: the compiled learning rate
  uint64_t seed = 0;
  bool shuffle = true;
  std::string initPath, savePath, logCsvPath;
  bool quiet = false;
  // Early stopping: stop after `patience` epochs without a better
  // monitored loss (validation loss if there is validation data, else the
  // training loss) and restore the best weights; 0 = off.
  int64_t patience = 0;
  bool reportTime = false; // print the median time of one step at the end
  bool profile = false;    // print the time of each parallel region at the end
  // Written after every epoch (the full training state), and every
  // `checkpointSteps` optimizer steps when not 0; read to continue a run
  // from where it was written, ending as the uninterrupted run.
  std::string checkpointPath, resumePath;
  int64_t checkpointSteps = 0;
};

// Where a run stands: after an epoch, or within one.
struct TrainingState {
  int64_t step = 0, epoch = 0; // finished optimizer steps and epochs
  int64_t epochRows = 0;       // rows of the next epoch already trained on
  double epochLossSum = 0;     // and the sum of their losses (its report)
  double bestLoss = INFINITY;  // early stopping: the best monitored loss,
  int64_t bestEpoch = 0;       // its epoch,
  std::vector<float> best;     // and its weights (empty until one)
};

struct EvalResult {
  double loss = 0;
  double accuracy = -1;     // < 0: the loss has no accuracy
  double topKAccuracy = -1; // < 0: the model asks for no top-k metric
};

class Trainer {
public:
  Trainer(const sinter_model &model, Manifest manifest);

  // Parameters from the Keras initializers (seeded) or a safetensors file.
  void initialize(uint64_t seed);
  void loadWeights(const std::string &path);
  void saveWeights(const std::string &path) const;

  // Trains for opts.epochs, printing one progress line per epoch, with the
  // loss (and accuracy) on `validation` after each epoch when it has rows.
  void train(const Dataset &data, const Dataset &validation,
             const TrainOptions &opts, std::ostream &log);
  EvalResult evaluate(const Dataset &data, int64_t batchSize);
  std::vector<float> predict(const Dataset &data, int64_t batchSize);
  // The mean loss of the first `rows` examples and its gradient with
  // respect to every parameter, saved as safetensors named like the weights.
  float saveGradients(const Dataset &data, int64_t rows,
                      const std::string &path);
  // Compiled gradients vs central finite differences of the compiled loss
  // (at most `maxElements` evenly spaced elements per parameter, 0: all);
  // prints the worst relative error per parameter; returns the worst.
  double gradcheck(const Dataset &data, int64_t rows, double eps,
                   int64_t maxElements, std::ostream &out);
  void summary(std::ostream &out) const;
  // Checkpoints: weights, optimizer slots and `state`, with `run` (the
  // settings a resumed run must share) in the metadata.
  void saveCheckpoint(const std::string &path, const TrainingState &state,
                      const std::string &run) const;
  TrainingState loadCheckpoint(const std::string &path, const std::string &run);
  // Generates `length` byte tokens after `prompt` with a causal language
  // model ([T] input, [T, vocabulary] output): each step predicts from the
  // last T tokens and draws from the distribution at the last position,
  // sharpened by `temperature` (0: the most likely byte).
  std::string sample(const std::string &prompt, int64_t length,
                     double temperature, uint64_t seed);

  const Manifest &manifest() const { return m; }
  std::vector<float> &params() { return paramBuf; }

private:
  // One batch gathered into contiguous buffers.
  struct Batch {
    int64_t rows = 0;
    std::vector<float> x, y;     // x: [rows, in], y: [rows, out]
    std::vector<int32_t> labels; // labels: [rows]
  };
  Batch firstRows(const Dataset &data, int64_t rows) const;
  float lossOn(Batch &b);
  // How far float32 rounding moves the loss `base` on `b` (gradcheck).
  double lossNoise(Batch &b, double base);
  // g: [param_elems], the layout of the parameter buffer.
  float gradientsOn(Batch &b, std::vector<float> &g);

  const sinter_model &model;
  Manifest m;
  std::vector<float> paramBuf, slotBuf;
  Workspace workspace;
};

} // namespace sinter
