// Checkpoints: safetensors holding the weights under their names, the
// optimizer slots as "<param>/<slot>", early stopping's best weights as
// "best/<param>", and the rest of the training state in __metadata__.
#include "trainer.h"

#include "error.h"
#include "safetensors.h"

#include <cstdio>
#include <cstdlib>

namespace sinter {

namespace {
constexpr const char *kVersion = "2"; // 2: the position within an epoch

// Doubles in C's hex format: exact both ways.
std::string hexDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

const std::string &entry(const Metadata &meta, const std::string &path,
                         const std::string &key) {
  auto it = meta.find(key);
  if (it == meta.end())
    fail(path, "metadata", "missing '" + key + "' (not a Sinter checkpoint)");
  return it->second;
}

int64_t integer(const Metadata &meta, const std::string &path,
                const std::string &key) {
  const std::string &v = entry(meta, path, key);
  char *end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || n < 0)
    fail(path, "metadata '" + key + "'", "expected a count, got '" + v + "'");
  return n;
}
} // namespace

void Trainer::saveCheckpoint(const std::string &path,
                             const TrainingState &state,
                             const std::string &run) const {
  std::map<std::string, Tensor> tensors;
  auto slice = [&](const std::vector<float> &buf, int64_t base,
                   const ParamInfo &p) {
    return Tensor{p.shape, std::vector<float>(buf.begin() + base + p.offset,
                                              buf.begin() + base + p.offset +
                                                  p.size)};
  };
  for (const ParamInfo &p : m.params) {
    tensors[p.name] = slice(paramBuf, 0, p);
    for (size_t k = 0; k < m.slots.size(); ++k)
      tensors[p.name + "/" + m.slots[k]] =
          slice(slotBuf, int64_t(k) * m.paramElems, p);
    if (!state.best.empty())
      tensors["best/" + p.name] = slice(state.best, 0, p);
  }
  writeSafetensors(path, tensors,
                   {{"checkpoint", kVersion},
                    {"model", m.model},
                    {"run", run},
                    {"step", std::to_string(state.step)},
                    {"epoch", std::to_string(state.epoch)},
                    {"epoch_rows", std::to_string(state.epochRows)},
                    {"epoch_loss_sum", hexDouble(state.epochLossSum)},
                    {"best_loss", hexDouble(state.bestLoss)},
                    {"best_epoch", std::to_string(state.bestEpoch)}});
}

TrainingState Trainer::loadCheckpoint(const std::string &path,
                                      const std::string &run) {
  Metadata meta;
  std::map<std::string, Tensor> tensors = readSafetensors(path, &meta);
  if (entry(meta, path, "checkpoint") != kVersion)
    fail(path, "metadata 'checkpoint'",
         "version " + meta["checkpoint"] + ", this trainer reads " + kVersion);
  if (entry(meta, path, "model") != m.model)
    fail(path, "metadata 'model'", "a checkpoint of model '" + meta["model"] +
                                       "', not '" + m.model + "'");
  if (entry(meta, path, "run") != run)
    fail(path, "metadata 'run'",
         "the run had " + meta["run"] + "; this one has " + run +
             " (resume with the same data and flags)");
  TrainingState state;
  state.step = integer(meta, path, "step");
  state.epoch = integer(meta, path, "epoch");
  state.epochRows = integer(meta, path, "epoch_rows");
  state.epochLossSum =
      std::strtod(entry(meta, path, "epoch_loss_sum").c_str(), nullptr);
  state.bestEpoch = integer(meta, path, "best_epoch");
  state.bestLoss = std::strtod(entry(meta, path, "best_loss").c_str(), nullptr);
  auto take = [&](const std::string &name, const ParamInfo &p,
                  std::vector<float> &buf, int64_t base) {
    auto it = tensors.find(name);
    if (it == tensors.end() || it->second.shape != p.shape)
      fail(path, "tensor '" + name + "'",
           it == tensors.end() ? "missing" : "has the wrong shape");
    requireFinite(path, name, it->second);
    std::copy(it->second.data.begin(), it->second.data.end(),
              buf.begin() + base + p.offset);
    tensors.erase(it);
  };
  if (state.bestEpoch > 0)
    state.best.assign(m.paramElems, 0.0f);
  for (const ParamInfo &p : m.params) {
    take(p.name, p, paramBuf, 0);
    for (size_t k = 0; k < m.slots.size(); ++k)
      take(p.name + "/" + m.slots[k], p, slotBuf, int64_t(k) * m.paramElems);
    if (state.bestEpoch > 0)
      take("best/" + p.name, p, state.best, 0);
  }
  if (!tensors.empty())
    fail(path, "tensor '" + tensors.begin()->first + "'",
         "not part of this model's training state");
  return state;
}

} // namespace sinter
