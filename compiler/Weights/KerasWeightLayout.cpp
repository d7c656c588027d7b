//===- KerasWeightLayout.cpp - where Keras 3 stores each parameter --------===//
//
// Follows keras/src/saving/saving_lib.py (_save_container_state for the
// layer keys, Layer.save_own_variables for the indices).
//
//===----------------------------------------------------------------------===//
#include "compiler/Weights/KerasWeightLayout.h"

#include "compiler/Transforms/TrainerLayout.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

#include <regex>

using namespace mlir;
using namespace sinter;

std::string sinter::kerasSnakeCase(llvm::StringRef className) {
  std::string s = std::regex_replace(className.str(), std::regex("\\W+"), "");
  s = std::regex_replace(s, std::regex("(.)([A-Z][a-z]+)"), "$1_$2");
  s = std::regex_replace(s, std::regex("([a-z])([A-Z])"), "$1_$2");
  return llvm::StringRef(s).lower();
}

namespace {

/// The attribute names Keras saves a layer's sub-layers under, for the
/// sub-layer prefixes of Sinter parameter names ("query" in
/// "mha.query.kernel"): the public property first, then the private
/// attribute older Keras 3 versions walked.
std::vector<std::string> subLayerGroups(llvm::StringRef sub) {
  static const llvm::StringMap<std::string> kAttention = {
      {"query", "query_dense"},
      {"key", "key_dense"},
      {"value", "value_dense"},
      {"attention_output", "output_dense"}};
  auto it = kAttention.find(sub);
  std::string attr = it == kAttention.end() ? sub.str() : it->second;
  return {attr, "_" + attr};
}

struct LayerEntry {
  std::string className, name;
};

FailureOr<std::vector<LayerEntry>> modelLayers(llvm::StringRef configJson,
                                               std::string &error) {
  llvm::Expected<llvm::json::Value> root = llvm::json::parse(configJson);
  if (!root) {
    error = "malformed JSON: " + llvm::toString(root.takeError());
    return failure();
  }
  const llvm::json::Object *model = root->getAsObject();
  if (model && model->getString("keras_version").value_or("3").starts_with("2")) {
    error = "Keras 2 models keep weights in the legacy HDF5 layout, which "
            "is not supported: re-save the model with Keras 3";
    return failure();
  }
  const llvm::json::Object *config = model ? model->getObject("config") : nullptr;
  const llvm::json::Array *layers = config ? config->getArray("layers") : nullptr;
  if (!layers) {
    error = "expected config.layers";
    return failure();
  }
  // Sequential's `layers` leaves out its InputLayer; Functional's keeps it.
  bool sequential = model->getString("class_name") == "Sequential";
  std::vector<LayerEntry> out;
  for (const llvm::json::Value &v : *layers) {
    const llvm::json::Object *layer = v.getAsObject();
    const llvm::json::Object *cfg = layer ? layer->getObject("config") : nullptr;
    std::optional<llvm::StringRef> cls =
        layer ? layer->getString("class_name") : std::nullopt;
    if (!cls || !cfg) {
      error = "expected every layer to have class_name and config";
      return failure();
    }
    if (sequential && *cls == "InputLayer")
      continue;
    std::string name =
        layer->getString("name").value_or(cfg->getString("name").value_or(""))
            .str();
    out.push_back({cls->str(), name});
  }
  return out;
}

} // namespace

FailureOr<KerasWeightLayout>
sinter::kerasWeightLayout(llvm::StringRef configJson, ModuleOp graph,
                          std::string &error) {
  FailureOr<std::vector<LayerEntry>> layers = modelLayers(configJson, error);
  if (failed(layers))
    return failure();
  auto forward = graph.lookupSymbol<func::FuncOp>("forward");
  if (!forward) {
    error = "the graph has no @forward";
    return failure();
  }
  struct Param {
    std::string name;
    std::vector<int64_t> shape;
    bool placed = false;
  };
  std::vector<Param> params;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    llvm::StringRef name = argAttrString(forward, i, attrs::kParam);
    if (name.empty())
      continue;
    auto shape = cast<RankedTensorType>(forward.getArgument(i).getType())
                     .getShape();
    params.push_back({name.str(), {shape.begin(), shape.end()}});
  }

  KerasWeightLayout layout;
  llvm::StringMap<int> used; // snake_case key -> times seen
  for (const LayerEntry &layer : *layers) {
    std::string key = kerasSnakeCase(layer.className);
    int &n = used[key];
    std::string group = "layers/" + (n ? key + "_" + std::to_string(n) : key);
    ++n;
    layout.groups.push_back(group + "/vars");
    llvm::StringMap<int> index; // per (sub-)group: the next variable index
    for (Param &p : params) {
      llvm::StringRef rest(p.name);
      if (!rest.consume_front(layer.name + "."))
        continue;
      p.placed = true;
      auto [sub, var] = rest.split('.');
      std::vector<std::string> groups = {group};
      if (!var.empty()) {
        groups.clear();
        for (const std::string &attr : subLayerGroups(sub))
          groups.push_back(group + "/" + attr);
        if (!index.count(sub))
          layout.groups.push_back(groups[0] + "/vars");
      }
      int i = index[var.empty() ? "" : sub]++;
      KerasVariable v{p.name, {}, p.shape};
      for (const std::string &g : groups)
        v.paths.push_back(g + "/vars/" + std::to_string(i));
      layout.variables.push_back(std::move(v));
    }
  }
  for (const Param &p : params)
    if (!p.placed) {
      error = "parameter '" + p.name + "' belongs to no layer of the config";
      return failure();
    }
  return layout;
}
