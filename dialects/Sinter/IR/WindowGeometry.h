//===- WindowGeometry.h - sizes of sliding-window ops ---------------------===//
//
// One place for the arithmetic of convolution and pooling windows along one
// spatial dimension, shared by the verifiers, the frontends (Keras "same" and
// "valid") and the lowering.
//
//===----------------------------------------------------------------------===//
#ifndef SINTER_WINDOW_GEOMETRY_H
#define SINTER_WINDOW_GEOMETRY_H

#include <algorithm>
#include <cstdint>
#include <utility>

namespace sinter {

/// One spatial dimension of a window sweep.
struct WindowDim {
  int64_t window, stride, dilation, padBefore, padAfter;

  /// The window's extent once dilated.
  int64_t extent() const { return (window - 1) * dilation + 1; }
  /// The output size for an input of `in` elements; <= 0 when the window
  /// does not fit.
  int64_t outSize(int64_t in) const {
    int64_t span = in + padBefore + padAfter - extent();
    return span < 0 ? 0 : span / stride + 1;
  }
  /// Pads are smaller than the window, so every window overlaps the input.
  bool padsFit() const {
    return padBefore >= 0 && padAfter >= 0 && padBefore < extent() &&
           padAfter < extent();
  }
};

/// Keras' (TensorFlow's) "same" padding: the output has ceil(in / stride)
/// elements; the odd pad element goes after.
inline std::pair<int64_t, int64_t> samePadding(int64_t in, int64_t window,
                                               int64_t stride,
                                               int64_t dilation) {
  int64_t out = (in + stride - 1) / stride;
  int64_t extent = (window - 1) * dilation + 1;
  int64_t total = std::max<int64_t>((out - 1) * stride + extent - in, 0);
  return {total / 2, total - total / 2};
}

} // namespace sinter

#endif // SINTER_WINDOW_GEOMETRY_H
