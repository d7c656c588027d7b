#include "manifest.h"

#include "error.h"
#include "sinter/abi.h"

#include <algorithm>
#include <sstream>

namespace sinter {

namespace {
std::vector<int64_t> parseDims(const std::string &s) {
  std::vector<int64_t> dims;
  if (s.empty() || s == "-")
    return dims;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ','))
    dims.push_back(std::stoll(part));
  return dims;
}

std::pair<std::string, std::string> keyValue(const std::string &word) {
  size_t eq = word.find('=');
  if (eq == std::string::npos)
    throw Error("expected key=value, got '" + word + "'");
  return {word.substr(0, eq), word.substr(eq + 1)};
}
} // namespace

Manifest parseManifest(const std::string &text) {
  Manifest m;
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  bool ended = false;
  while (std::getline(in, line)) {
    ++lineNo;
    std::istringstream words(line);
    std::string key;
    words >> key;
    try {
      if (lineNo == 1) {
        int version = 0;
        words >> version;
        if (key != "sinter-manifest" || version != SINTER_ABI_VERSION)
          throw Error("expected 'sinter-manifest " +
                      std::to_string(SINTER_ABI_VERSION) + "', got '" + line +
                      "' (recompile the model with this runtime's sinterc)");
      } else if (key == "model") {
        words >> m.model;
      } else if (key == "loss") {
        words >> m.loss;
      } else if (key == "optimizer") {
        words >> m.optimizer;
        for (std::string w; words >> w;) {
          auto [k, v] = keyValue(w);
          m.hypers[k] = std::stod(v);
        }
      } else if (key == "metric") {
        std::string name;
        words >> name >> m.topK;
        if (name != "top_k" || m.topK < 1)
          throw Error("unknown metric '" + line + "'");
      } else if (key == "schedule") {
        std::string rest;
        std::getline(words, rest);
        m.schedule = parseSchedule(rest);
        m.scheduled = true;
      } else if (key == "input") {
        InputInfo input;
        std::string dims;
        words >> input.name >> dims;
        input.shape = parseDims(dims);
        for (int64_t d : input.shape)
          input.size *= d;
        input.offset = m.inputSize;
        m.inputSize += input.size;
        m.inputs.push_back(input);
      } else if (key == "tokens") {
        std::string name;
        int64_t vocabulary = 0;
        words >> name >> vocabulary;
        auto it =
            std::find_if(m.inputs.begin(), m.inputs.end(),
                         [&](const InputInfo &in) { return in.name == name; });
        if (it == m.inputs.end() || vocabulary < 1)
          throw Error("expected 'tokens <input> <vocabulary>' after the "
                      "input's line, got '" +
                      line + "'");
        it->vocabulary = vocabulary;
      } else if (key == "output") {
        std::string dims;
        words >> dims;
        m.outputShape = parseDims(dims);
        m.outputSize = 1;
        for (int64_t d : m.outputShape)
          m.outputSize *= d;
      } else if (key == "target") {
        std::string kind;
        words >> kind >> m.labelCount;
        m.labels = kind == "labels";
      } else if (key == "param") {
        ParamInfo p;
        std::string dims;
        words >> p.name >> dims >> p.offset >> p.init;
        p.shape = parseDims(dims);
        p.size = 1;
        for (int64_t d : p.shape)
          p.size *= d;
        for (std::string w; words >> w;)
          p.initArgs.insert(keyValue(w));
        m.params.push_back(p);
      } else if (key == "frozen") {
        std::string name;
        words >> name;
        for (ParamInfo &p : m.params)
          if (p.name == name)
            p.frozen = true;
      } else if (key == "param_elems") {
        words >> m.paramElems;
      } else if (key == "slot") {
        std::string s;
        words >> s;
        m.slots.push_back(s);
      } else if (key == "layer") {
        LayerInfo l;
        words >> l.name >> l.className >> l.shape >> l.params;
        m.layers.push_back(l);
      } else if (key == "default_data") {
        words >> m.defaultRows >> m.defaultXCols >> m.defaultYCols;
      } else if (key == "end") {
        ended = true;
        break;
      } else if (!key.empty()) {
        throw Error("unknown entry '" + key + "'");
      }
      if (words.fail() && !words.eof())
        throw Error("malformed line '" + line + "'");
    } catch (const std::logic_error &e) { // std::stod/stoll
      fail("manifest", "line " + std::to_string(lineNo),
           "malformed number in '" + line + "'");
    } catch (const Error &e) {
      fail("manifest", "line " + std::to_string(lineNo), e.what());
    }
  }
  if (!ended || !m.hypers.count("learning_rate") || m.inputSize <= 0 ||
      m.outputShape.empty() || m.outputSize <= 0 ||
      (m.labels && m.labelCount * m.classes() != m.outputSize))
    fail("manifest", "", "incomplete (the trainer binary is damaged)");
  return m;
}

} // namespace sinter
