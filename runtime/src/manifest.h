// The model description a compiled trainer carries (docs/abi.md).
#pragma once

#include "schedule.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sinter {

struct ParamInfo {
  std::string name;            // "<layer>.<variable>", e.g. "dense.kernel"
  std::vector<int64_t> shape;  // Keras layout, e.g. kernel [in, units]
  int64_t offset = 0, size = 0; // in floats, into the parameter buffer
  std::string init;            // Keras initializer class
  std::map<std::string, std::string> initArgs;
  bool frozen = false; // not trained (Keras trainable=False)
};

struct InputInfo {
  std::string name;           // the input layer's name
  std::vector<int64_t> shape; // per example
  int64_t size = 1;           // floats per example
  int64_t offset = 0;         // floats before it in an example's row
  // Token ids in [0, vocabulary) when the input indexes an embedding table
  // (the manifest's `tokens` line), else 0: any finite float.
  int64_t vocabulary = 0;
};

struct LayerInfo {
  std::string name, className, shape; // shape: per-example output dims
  int64_t params = 0;
};

struct Manifest {
  std::string model, loss, optimizer;
  std::map<std::string, double> hypers; // optimizer hyperparameters
  bool scheduled = false;               // the learning rate follows...
  Schedule schedule;                    // ...this schedule
  std::vector<InputInfo> inputs; // in the model's order
  int64_t inputSize = 0;          // floats per example, all inputs
  std::vector<int64_t> outputShape; // prediction per example: [classes]
                                    // or a sequence's [tokens, classes]
  int64_t outputSize = 0;           // prediction floats per example
  bool labels = false;              // targets are int class labels
  int64_t topK = 0;                 // the top-k accuracy metric's k (0: none)
  int64_t labelCount = 0;           // labels per example (tokens), or the
                                    // dense targets' width
  std::vector<ParamInfo> params;
  int64_t paramElems = 0;
  std::vector<std::string> slots;
  std::vector<LayerInfo> layers;
  int64_t defaultRows = 0, defaultXCols = 0, defaultYCols = 0;

  int64_t targetCols() const { return labels ? labelCount : outputSize; }
  // Width of one prediction vector: the classes of a label loss.
  int64_t classes() const { return outputShape.back(); }
  double learningRate() const { return hypers.at("learning_rate"); }
};

// Parses the manifest text; throws Error naming the line on bad input or a
// manifest of another ABI version.
Manifest parseManifest(const std::string &text);

} // namespace sinter
