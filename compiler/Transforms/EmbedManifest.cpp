//===- EmbedManifest.cpp - what the runtime needs to know, as globals -----===//
//
// Expects @sinter_train_step with its `sinter.*` argument attributes (the
// output of sinter-build-train-step, before sinter-pack-trainer-abi) and the
// module attributes `sinter.loss`, `sinter.optimizer` and optionally
// `sinter.layers` and `sinter.model_name`.
// Produces two constant LLVM globals (format: docs/abi.md):
//   @sinter_manifest      NUL-terminated text, "sinter-manifest N" first;
//   @sinter_default_data  rows x (input + target columns) floats, a
//                         synthetic task the model can fit, used when the
//                         trainer is given no data.
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/TrainerLayout.h"
#include "compiler/Transforms/TrainingConfig.h"
#include "dialects/Sinter/IR/SinterDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace sinter {
#define GEN_PASS_DEF_EMBEDMANIFEST
#include "compiler/Transforms/Passes.h.inc"
} // namespace sinter

using namespace mlir;
using namespace sinter;

namespace {

/// Must equal SINTER_ABI_VERSION in runtime/include/sinter/abi.h.
constexpr int kManifestVersion = 6;

std::string joinDims(ArrayRef<int64_t> dims) {
  return llvm::join(llvm::map_range(dims, [](int64_t d) {
                      return std::to_string(d);
                    }),
                    ",");
}

/// Prints an attribute value as the manifest writes it: floats with full
/// float precision, bools as 0/1, integers and strings as they are.
std::string attrValue(Attribute a) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (auto f = dyn_cast<FloatAttr>(a))
    os << llvm::format("%.9g", f.getValueAsDouble());
  else if (auto b = dyn_cast<BoolAttr>(a))
    os << (b.getValue() ? 1 : 0);
  else if (auto i = dyn_cast<IntegerAttr>(a))
    os << i.getInt();
  else if (auto str = dyn_cast<StringAttr>(a))
    os << str.getValue();
  return s;
}

/// The name of the model input that `ids` is, through the calls between
/// the function holding it and an entry point, or "" when `ids` is
/// computed.
StringRef inputNamed(ModuleOp module, Value ids) {
  // Entry points call the training pass, which calls nothing deeper: a
  // few steps up suffice, and a (malformed) cycle of calls ends.
  for (int depth = 0; depth < 8; ++depth) {
    auto arg = dyn_cast<BlockArgument>(ids);
    if (!arg)
      return "";
    auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    if (!fn)
      return "";
    if (StringRef in = argAttrString(fn, arg.getArgNumber(), attrs::kInput);
        !in.empty())
      return in;
    std::optional<SymbolTable::UseRange> uses = fn.getSymbolUses(module);
    auto call = uses && !uses->empty()
                    ? dyn_cast<func::CallOp>(uses->begin()->getUser())
                    : func::CallOp();
    if (!call)
      return "";
    ids = call.getOperand(arg.getArgNumber());
  }
  return "";
}

/// Each input whose values index embedding tables, with the rows of the
/// smallest: the runtime rejects data whose ids fall outside, which the
/// compiled lookup would clamp.
llvm::StringMap<int64_t> tokenVocabularies(ModuleOp module) {
  llvm::StringMap<int64_t> vocabularies;
  module.walk([&](EmbeddingOp op) {
    StringRef in = inputNamed(module, op.getIds());
    if (in.empty())
      return;
    int64_t rows = op.getTable().getType().getDimSize(0);
    auto [it, inserted] = vocabularies.try_emplace(in, rows);
    if (!inserted)
      it->second = std::min(it->second, rows);
  });
  return vocabularies;
}

/// Inputs each synthetic target is a projection of, at most: the
/// teacher costs rows x targets x taps (with every input, a model reading
/// 82 k floats into 16 k targets took 10 GB and minutes to compile).
constexpr int64_t kTeacherTaps = 64;

/// Floats of synthetic default data to embed, at most (fewer rows for a
/// model with very many inputs and targets): 4 MiB in the trainer.
constexpr int64_t kMostDefaultFloats = int64_t(1) << 20;

/// splitmix64: a tiny, well-mixed generator for the synthetic data.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [-1, 1).
  float uniform() { return float((next() >> 40) * 0x1.0p-24 * 2.0 - 1.0); }
};

/// A teacher the model can learn: random projections of x; regression gets
/// |a.x| + 0.5 b.x (piecewise linear, so ReLU networks fit it), binary
/// targets threshold a.x, classes take the argmax of the projections.
/// Sequence labels (`labelCount` > 1) bucket the input element at the
/// token's position into the `out` classes. Columns with a vocabulary
/// (`columnVocab` non-zero) then become the token id of their bucket.
std::vector<float> syntheticData(int64_t rows, int64_t in, int64_t out,
                                 int64_t labelCount, StringRef loss,
                                 ArrayRef<int64_t> columnVocab) {
  Rng rng{0x5eed};
  // Each target projects `taps` inputs: all of them, in order, when few;
  // else a fixed random choice (from a stream of its own).
  int64_t taps = std::min(in, kTeacherTaps);
  std::vector<int64_t> tap(out * taps);
  Rng pick{0x7a95};
  for (int64_t k = 0; k < out; ++k)
    for (int64_t t = 0; t < taps; ++t)
      tap[k * taps + t] = taps == in ? t : int64_t(pick.next() % uint64_t(in));
  std::vector<float> a(out * taps), bvec(out * taps);
  for (float &v : a)
    v = rng.uniform();
  for (float &v : bvec)
    v = rng.uniform();
  bool labels = lossTakesLabels(loss);
  int64_t cols = in + (labels ? labelCount : out);
  std::vector<float> data(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    float *x = &data[r * cols], *y = x + in;
    for (int64_t i = 0; i < in; ++i)
      x[i] = rng.uniform();
    std::vector<float> proj(out), lin(out);
    for (int64_t k = 0; k < out; ++k)
      for (int64_t t = 0; t < taps; ++t) {
        float xi = x[tap[k * taps + t]];
        proj[k] += a[k * taps + t] * xi;
        lin[k] += bvec[k * taps + t] * xi;
      }
    int64_t best = 0;
    for (int64_t k = 1; k < out; ++k)
      if (proj[k] > proj[best])
        best = k;
    for (int64_t k = 0; k < out; ++k) {
      if (loss == "mean_squared_error")
        y[k] = std::fabs(proj[k]) + 0.5f * lin[k];
      else if (loss == "binary_crossentropy")
        y[k] = proj[k] > 0 ? 1.0f : 0.0f;
      else if (!labels)
        y[k] = k == best ? 1.0f : 0.0f;
    }
    if (labels && labelCount == 1)
      y[0] = float(best);
    for (int64_t k = 0; labels && labelCount > 1 && k < labelCount; ++k)
      y[k] = std::min<float>(out - 1, std::floor((x[k % in] + 1) / 2 * out));
    for (int64_t i = 0; i < in; ++i)
      if (int64_t v = columnVocab[i])
        x[i] = std::min<float>(v - 1, std::floor((x[i] + 1) / 2 * v));
  }
  return data;
}

struct EmbedManifestPass
    : public sinter::impl::EmbedManifestBase<EmbedManifestPass> {
  using EmbedManifestBase::EmbedManifestBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fn = module.lookupSymbol<func::FuncOp>(kTrainStepFn);
    if (!fn || fn.getNumArguments() == 0 ||
        !fn.getArgAttr(0, attrs::kInput)) {
      module.emitError("sinter-embed-manifest expects @")
          << kTrainStepFn << " with its sinter.* argument attributes";
      return signalPassFailure();
    }
    auto loss = module->getAttrOfType<StringAttr>(attrs::kLoss);
    auto opt = module->getAttrOfType<DictionaryAttr>(attrs::kOptimizer);
    if (!loss || !opt) {
      module.emitError("missing 'sinter.loss' or 'sinter.optimizer'");
      return signalPassFailure();
    }

    std::string text;
    llvm::raw_string_ostream os(text);
    os << "sinter-manifest " << kManifestVersion << "\n";
    auto modelName = module->getAttrOfType<StringAttr>(attrs::kModelName);
    os << "model " << (modelName ? modelName.getValue() : "model") << "\n";
    os << "loss " << loss.getValue() << "\n";
    os << "optimizer " << attrValue(opt.get("name"));
    for (NamedAttribute e : opt)
      if (e.getName() != "name")
        os << " " << e.getName().strref() << "=" << attrValue(e.getValue());
    os << "\n";

    if (auto k = module->getAttrOfType<IntegerAttr>(attrs::kTopK))
      os << "metric top_k " << k.getInt() << "\n";
    if (auto schedule =
            module->getAttrOfType<DictionaryAttr>(attrs::kLrSchedule)) {
      os << "schedule " << attrValue(schedule.get("class"));
      for (NamedAttribute e : schedule) {
        if (e.getName() == "class")
          continue;
        os << " " << e.getName().strref() << "=";
        if (auto list = dyn_cast<ArrayAttr>(e.getValue()))
          os << llvm::join(llvm::map_range(list,
                                           [&](Attribute a) {
                                             return attrValue(a);
                                           }),
                           ",");
        else
          os << attrValue(e.getValue());
      }
      os << "\n";
    }

    int64_t inCols = 0, outCols = 0;
    llvm::StringMap<int64_t> vocabularies = tokenVocabularies(module);
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
      auto type = dyn_cast<RankedTensorType>(fn.getArgument(i).getType());
      if (StringRef in = argAttrString(fn, i, attrs::kInput); !in.empty()) {
        os << "input " << in << " " << joinDims(type.getShape().drop_front())
           << "\n";
        if (int64_t v = vocabularies.lookup(in))
          os << "tokens " << in << " " << v << "\n";
      }
    }
    // Per-example sizes: product of the static non-batch dimensions.
    // columnVocab: each input column's vocabulary (0: floats).
    std::vector<int64_t> columnVocab;
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
      if (StringRef in = argAttrString(fn, i, attrs::kInput); !in.empty()) {
        int64_t n = 1;
        for (int64_t d :
             cast<RankedTensorType>(fn.getArgument(i).getType())
                 .getShape()
                 .drop_front())
          n *= d;
        inCols += n;
        columnVocab.resize(inCols, vocabularies.lookup(in));
      }
    auto predType = cast<RankedTensorType>(
        module.lookupSymbol<func::FuncOp>(kPredictFn).getResultTypes()[0]);
    ArrayRef<int64_t> outShape = predType.getShape().drop_front();
    int64_t classes = outShape.back();
    outCols = 1;
    for (int64_t d : outShape)
      outCols *= d;
    os << "output " << joinDims(outShape) << "\n";
    bool labels = lossTakesLabels(loss.getValue());
    // Labels: one per prediction vector (1, or a sequence's tokens).
    int64_t yCols = labels ? outCols / classes : outCols;
    os << "target " << (labels ? "labels" : "dense") << " " << yCols << "\n";

    TrainerLayout layout = computeLayout(fn);
    for (auto [i, p] : llvm::enumerate(layout.params)) {
      os << "param " << p.name << " " << joinDims(p.shape) << " " << p.offset;
      unsigned arg = p.arg;
      auto init = fn.getArgAttrOfType<DictionaryAttr>(arg, attrs::kInit);
      os << " " << (init && init.get("class") ? attrValue(init.get("class"))
                                              : std::string("Zeros"));
      if (init)
        for (NamedAttribute e : init)
          if (e.getName() != "class")
            os << " " << e.getName().strref() << "=" << attrValue(e.getValue());
      os << "\n";
      if (fn.getArgAttr(arg, attrs::kFrozen))
        os << "frozen " << p.name << "\n";
    }
    os << "param_elems " << layout.paramElems << "\n";
    for (StringRef slot : optimizerSlotNames(opt))
      os << "slot " << slot << "\n";

    if (auto layers = module->getAttrOfType<ArrayAttr>(attrs::kLayers))
      for (auto layer : layers.getAsRange<DictionaryAttr>()) {
        auto shape = layer.getAs<DenseI64ArrayAttr>("shape");
        os << "layer " << attrValue(layer.get("name")) << " "
           << attrValue(layer.get("class")) << " "
           << (shape ? joinDims(shape.asArrayRef()) : "-") << " "
           << (layer.get("params") ? attrValue(layer.get("params")) : "0")
           << "\n";
      }

    int64_t rows = defaultRows;
    std::vector<float> data;
    // Data the frontend read (a .sinter train section's `data`), or a
    // synthetic task.
    if (auto given =
            module->getAttrOfType<DenseElementsAttr>("sinter.default_data")) {
      rows = given.getType().getDimSize(0);
      int64_t cols = given.getType().getDimSize(1);
      if (cols != inCols + yCols) {
        module.emitError("default data has ")
            << cols << " columns, the model needs " << inCols + yCols << " ("
            << inCols << " inputs + " << yCols
            << (labels ? " class label)" : " targets)");
        return signalPassFailure();
      }
      data.assign(given.getValues<float>().begin(),
                  given.getValues<float>().end());
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < inCols; ++i) {
          float id = data[r * cols + i];
          int64_t v = columnVocab[i];
          if (v && (id != std::floor(id) || id < 0 || id >= v)) {
            module.emitError("default data row ")
                << r + 1 << ", column " << i + 1 << ": token id " << id
                << " is not in [0, " << v << ")";
            return signalPassFailure();
          }
        }
      if (labels)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t k = 0; k < yCols; ++k) {
            float label = data[r * cols + inCols + k];
            if (label != std::floor(label) || label < 0 || label >= classes) {
              module.emitError("default data row ")
                  << r + 1 << ": class label " << label << " is not in [0, "
                  << classes << ")";
              return signalPassFailure();
            }
          }
    } else {
      rows = std::max<int64_t>(
          1, std::min(rows, kMostDefaultFloats / (inCols + yCols)));
      data = syntheticData(rows, inCols, classes, yCols, loss.getValue(),
                           columnVocab);
    }
    os << "default_data " << rows << " " << inCols << " " << yCols << "\n";
    os << "end\n";
    text.push_back('\0');


    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToStart(module.getBody());
    Location loc = module.getLoc();
    auto i8 = b.getI8Type();
    b.create<LLVM::GlobalOp>(loc, LLVM::LLVMArrayType::get(i8, text.size()),
                             /*isConstant=*/true, LLVM::Linkage::External,
                             "sinter_manifest", b.getStringAttr(text),
                             /*alignment=*/0);
    auto dataType =
        RankedTensorType::get({int64_t(data.size())}, b.getF32Type());
    b.create<LLVM::GlobalOp>(
        loc, LLVM::LLVMArrayType::get(b.getF32Type(), data.size()),
        /*isConstant=*/true, LLVM::Linkage::External, "sinter_default_data",
        DenseElementsAttr::get(dataType, ArrayRef<float>(data)),
        /*alignment=*/64);
  }
};

} // namespace
