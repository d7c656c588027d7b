// The compiled code's scratch memory: the intermediates of its static
// memory plan (`workspace` in sinter/abi.h).
#pragma once

#include "sinter/abi.h"

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace sinter {

// Sized by the model's {bytes per batch row, fixed bytes}; grows to the
// largest batch asked for and is reused by every later call, so a training
// step allocates nothing.
class Workspace {
public:
  explicit Workspace(const int64_t *size) : size(size) {}
  // A buffer for one call on `rows` rows.
  sinter_buffer forRows(int64_t rows);

private:
  struct Free {
    void operator()(void *p) const { std::free(p); }
  };
  const int64_t *size; // {bytes per row, fixed bytes}
  std::unique_ptr<void, Free> memory;
  int64_t capacity = 0;
};

} // namespace sinter
