// Raw text as byte tokens, for language models: windows of the model's
// context and their next-byte targets.
#include "dataset.h"

#include "error.h"

#include <algorithm>

namespace sinter {

namespace {
// The context length of a model that reads one [T] token sequence and
// predicts a label per token, or an error naming the mismatch.
int64_t contextOf(const Manifest &m, const std::string &path) {
  if (!m.labels || m.inputs.size() != 1 || m.inputs[0].shape.size() != 1 ||
      m.labelCount != m.inputs[0].size)
    fail(path, "", "--text needs a language model: one [T] token input and "
                   "a label per token (sparse categorical cross-entropy over "
                   "[T, vocabulary])");
  int64_t vocabulary = m.inputs[0].vocabulary > 0
                           ? std::min(m.inputs[0].vocabulary, m.classes())
                           : m.classes();
  if (vocabulary < 256)
    fail(path, "",
         "byte tokens need a vocabulary of at least 256, the "
         "model has " +
             std::to_string(vocabulary));
  return m.inputs[0].size;
}
} // namespace

Dataset loadText(const Manifest &m, const std::string &path,
                 int64_t stride) {
  int64_t context = contextOf(m, path);
  std::string bytes = readFile(path); // gunzipped if need be
  if (int64_t(bytes.size()) < context + 1)
    fail(path, "", "too short: " + std::to_string(bytes.size()) +
                       " bytes, a window needs " +
                       std::to_string(context + 1));
  if (stride <= 0)
    stride = context;
  Dataset d;
  for (int64_t start = 0; start + context + 1 <= int64_t(bytes.size());
       start += stride)
    d.starts.push_back(start);
  d.rows = int64_t(d.starts.size());
  d.text = std::make_shared<const std::string>(std::move(bytes));
  return d;
}

} // namespace sinter
