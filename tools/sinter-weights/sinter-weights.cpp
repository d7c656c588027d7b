//===- sinter-weights.cpp - Keras weights files to and from safetensors ---===//
//
//   sinter-weights import MODEL [--weights FILE.weights.h5] -o W.safetensors
//   sinter-weights export MODEL W.safetensors -o OUT.weights.h5|OUT.keras
//
// MODEL is a Keras 3 `.keras` archive or its `config.json`. `import` reads
// the archive's model.weights.h5 (or --weights) into a safetensors file a
// trainer takes with --init; `export` writes trained weights back in Keras'
// layout: a `.weights.h5` for model.load_weights(), or, from a `.keras`
// MODEL, a new `.keras` archive with the same config.
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/Registration.h"
#include "compiler/Frontend/Keras/KerasImporter.h"
#include "compiler/Frontend/Keras/ZipReader.h"
#include "compiler/Weights/Hdf5File.h"
#include "compiler/Weights/KerasWeightLayout.h"
#include "compiler/Weights/ZipWriter.h"

#include "error.h"
#include "safetensors.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace sinter;

namespace {

constexpr const char *kUsage =
    "usage: sinter-weights import MODEL [--weights FILE.weights.h5] -o "
    "W.safetensors\n"
    "       sinter-weights export MODEL W.safetensors -o "
    "OUT.weights.h5|OUT.keras\n"
    "MODEL: a Keras 3 .keras archive or its config.json\n";

bool endsWith(const std::string &s, const std::string &tail) {
  return s.size() >= tail.size() &&
         s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

/// The model: its config text, the archive it came from, and where each
/// parameter lives in a Keras weights file.
struct Model {
  std::string path, archive, config;
  KerasWeightLayout layout;
};

Model loadModel(const std::string &path) {
  Model m{path, "", "", {}};
  std::string bytes = readFile(path), error;
  if (endsWith(path, ".keras")) {
    m.archive = bytes;
    std::optional<std::string> config = readZipMember(bytes, "config.json", error);
    if (!config)
      fail(path, "", error);
    m.config = *config;
  } else {
    m.config = bytes;
  }
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext ctx(registry);
  mlir::OwningOpRef<mlir::ModuleOp> graph =
      importKerasModel(&ctx, path, {}, error);
  if (!graph)
    throw Error(error);
  mlir::FailureOr<KerasWeightLayout> layout =
      kerasWeightLayout(m.config, *graph, error);
  if (failed(layout))
    fail(path, "", error);
  m.layout = std::move(*layout);
  return m;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void importWeights(const Model &m, const std::string &weightsPath,
                   const std::string &out) {
  // The weights: a file of their own, or the archive's member.
  std::string name = weightsPath, image, error;
  if (weightsPath.empty()) {
    if (m.archive.empty())
      fail(m.path, "", "a config.json holds no weights: pass --weights "
                       "FILE.weights.h5");
    std::optional<std::string> member =
        readZipMember(m.archive, "model.weights.h5", error);
    if (!member)
      fail(m.path, "model.weights.h5",
           error + " (a .keras file saved with weights_format=\"npz\" "
                   "is not supported)");
    image = *member;
    name = m.path + ": model.weights.h5";
  }
  std::optional<Hdf5File> file =
      Hdf5File::open(weightsPath.empty() ? "model.weights.h5" : weightsPath,
                     weightsPath.empty() ? &image : nullptr, error);
  if (!file)
    fail(name, "", error);
  std::map<std::string, Tensor> tensors;
  for (const KerasVariable &v : m.layout.variables) {
    const std::string *found = nullptr;
    for (const std::string &p : v.paths)
      if (!found && file->exists(p))
        found = &p;
    if (!found)
      fail(name, v.paths[0],
           "missing: expected " + v.param + " " + shapeText(v.shape));
    Tensor t;
    if (!file->read(*found, t.shape, t.data, error))
      fail(name, *found, error);
    if (t.shape != v.shape)
      fail(name, *found,
           "expected " + v.param + " " + shapeText(v.shape) + ", got " +
               shapeText(t.shape));
    tensors[v.param] = std::move(t);
  }
  // Extra variables mean the file is of another model.
  for (const std::string &group : m.layout.groups) {
    int64_t expected = 0;
    for (const KerasVariable &v : m.layout.variables)
      expected += v.paths[0].rfind(group + "/", 0) == 0 &&
                  v.paths[0].find('/', group.size() + 1) == std::string::npos;
    std::optional<int64_t> have = file->members(group);
    if (have && *have != expected)
      fail(name, group,
           "holds " + std::to_string(*have) + " variables, the model's layer " +
               std::to_string(expected));
  }
  writeSafetensors(out, tensors);
}

/// Writes `tensors` in Keras' layout to an HDF5 file at `path`.
void writeKerasWeights(const Model &m, std::map<std::string, Tensor> &tensors,
                       const std::string &weightsPath,
                       const std::string &path) {
  std::string error;
  for (const KerasVariable &v : m.layout.variables) {
    auto it = tensors.find(v.param);
    if (it == tensors.end())
      fail(weightsPath, v.param, "missing: expected " + shapeText(v.shape));
    if (it->second.shape != v.shape)
      fail(weightsPath, v.param,
           "expected " + shapeText(v.shape) + ", got " +
               shapeText(it->second.shape));
  }
  if (tensors.size() != m.layout.variables.size())
    for (const auto &[name, t] : tensors)
      if (std::none_of(m.layout.variables.begin(), m.layout.variables.end(),
                       [&](const KerasVariable &v) { return v.param == name; }))
        fail(weightsPath, name, "not a parameter of " + m.path);

  std::optional<Hdf5File> file = Hdf5File::create(path, error);
  if (!file)
    fail(path, "", error);
  // Empty groups as Keras writes them: the model's own `vars`, and one per
  // layer, weights or not.
  bool ok = file->makeGroup("vars", error);
  for (const std::string &group : m.layout.groups)
    ok = ok && (file->exists(group) || file->makeGroup(group, error));
  for (const KerasVariable &v : m.layout.variables)
    ok = ok && file->write(v.paths[0], v.shape, tensors[v.param].data.data(),
                           error);
  if (!file->close(error) || !ok)
    fail(path, "", error);
}

void exportWeights(const Model &m, const std::string &weightsPath,
                   const std::string &out) {
  std::map<std::string, Tensor> tensors = readSafetensors(weightsPath);
  bool archive = endsWith(out, ".keras");
  if (!archive && !endsWith(out, ".h5"))
    fail(out, "", "expected a .weights.h5 or .keras output");
  if (archive && m.archive.empty())
    fail(out, "", "a .keras output needs a .keras MODEL to copy from");
  // libhdf5 writes to a path: a temporary one beside the output, renamed
  // (or zipped) only when complete.
  std::string tmp = out + ".h5tmp";
  try {
    writeKerasWeights(m, tensors, weightsPath, tmp);
    if (!archive) {
      if (std::rename(tmp.c_str(), out.c_str()) != 0)
        fail(out, "", "cannot write the file");
      return;
    }
    std::string error;
    std::vector<std::pair<std::string, std::string>> members;
    for (const char *name : {"metadata.json", "config.json"}) {
      std::optional<std::string> member = readZipMember(m.archive, name, error);
      if (!member)
        fail(m.path, name, error);
      members.push_back({name, *member});
    }
    members.push_back({"model.weights.h5", readFile(tmp)});
    std::remove(tmp.c_str());
    writeFileAtomically(out, zipArchive(members));
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  std::vector<std::string> positional;
  std::string out, weights;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-o" || a == "--weights") && i + 1 < argc)
      (a == "-o" ? out : weights) = argv[++i];
    else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "sinter-weights: error: unknown flag '" << a << "'\n"
                << kUsage;
      return 1;
    } else
      positional.push_back(a);
  }
  std::string command = positional.empty() ? "" : positional[0];
  bool isImport = command == "import" && positional.size() == 2;
  bool isExport = command == "export" && positional.size() == 3 &&
                  weights.empty();
  if ((!isImport && !isExport) || out.empty()) {
    std::cerr << "sinter-weights: error: expected import or export with "
                 "their arguments and -o\n"
              << kUsage;
    return 1;
  }
  try {
    Model m = loadModel(positional[1]);
    if (isImport)
      importWeights(m, weights, out);
    else
      exportWeights(m, positional[2], out);
  } catch (const Error &e) {
    std::cerr << "sinter-weights: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
