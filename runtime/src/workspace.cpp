#include "workspace.h"

#include "error.h"

#include <string>

namespace sinter {

sinter_buffer Workspace::forRows(int64_t rows) {
  int64_t bytes = size[0] * rows + size[1];
  if (bytes > capacity) {
    // Cache-line aligned: the plan's offsets are multiples of 64.
    size_t rounded = (size_t(bytes) + 63) / 64 * 64;
    memory.reset(std::aligned_alloc(64, rounded));
    if (!memory)
      throw Error("out of memory: the model's workspace for " +
                  std::to_string(rows) + " rows takes " +
                  std::to_string(rounded) + " bytes");
    capacity = int64_t(rounded);
  }
  return {memory.get(), memory.get(), 0, capacity, 1};
}

} // namespace sinter
