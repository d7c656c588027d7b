/*===- sinter/abi.h - the ABI between a compiled model and the runtime -----===*
 *
 * This header is the whole contract between the object file `sinterc` emits
 * and the runtime it is linked with. It is versioned like a schema: any
 * change to a signature, a buffer layout or the manifest grammar bumps
 * SINTER_ABI_VERSION, and the runtime refuses a manifest of another version.
 * It is plain C and includes nothing from LLVM or MLIR.
 *
 * Buffers. Every array crosses as a 1-D strided descriptor (MLIR's memref
 * descriptor of rank 1). The runtime always passes contiguous buffers:
 * offset 0, stride 1, allocated == aligned.
 *   x       every input, one after the other: input k is a row-major
 *           [batch * size_k] float block at batch * (size_0 + ... + size_k-1)
 *   y       [batch * outputs]  dense float targets, or [batch] int32 labels
 *   params  [param_elems]      every parameter, at the manifest's offsets
 *   slots   [slots * param_elems]  optimizer slot k of parameter p at
 *                              k * param_elems + offset(p)
 *   grads   [param_elems]      same layout as params
 *   out     [batch * outputs]  predictions
 *   workspace  [sinter_workspace[0] * batch + sinter_workspace[1]] bytes,
 *           the compiled code's intermediates (its static memory plan);
 *           contents undefined between calls, ideally 64-byte aligned
 * The batch size is x.size / (size_0 + size_1 + ...); it may differ from
 * call to call.
 *
 * Entry points (C symbols of the emitted object):
 *   train_step: one optimizer step, parameters and slots updated in place
 *               (non-trainable state such as BatchNormalization's moving
 *               statistics takes its new value); returns the batch's mean
 *               loss before the update. `iteration` counts steps done
 *               before this one (Keras `iterations`).
 *   gradients:  writes d(loss)/d(params) into grads; returns the loss, in
 *               training mode (batch statistics) without dropout.
 *   evaluate:   writes predictions into out; returns the loss.
 *   predict:    writes predictions into out.
 *
 * Parallel loops in the object call the OpenMP entry points
 * __kmpc_fork_call, __kmpc_global_thread_num, __kmpc_for_static_init_8u,
 * __kmpc_for_static_fini and __kmpc_barrier, which the runtime provides
 * (runtime/src/threads.cpp).
 *
 * Globals: `sinter_manifest`, NUL-terminated text (grammar in docs/abi.md),
 * `sinter_default_data`, default_data rows of (x columns, y columns)
 * floats (labels stored as floats), and `sinter_workspace`, {bytes per
 * batch row, fixed bytes} of the workspace every entry point takes.
 *===----------------------------------------------------------------------===*/
#ifndef SINTER_ABI_H
#define SINTER_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SINTER_ABI_VERSION 6

typedef struct sinter_buffer {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t size;
  int64_t stride;
} sinter_buffer;

float _mlir_ciface_sinter_train_step(sinter_buffer *x, sinter_buffer *y,
                                     sinter_buffer *params,
                                     sinter_buffer *slots, float lr,
                                     float iteration,
                                     sinter_buffer *workspace);
float _mlir_ciface_sinter_gradients(sinter_buffer *x, sinter_buffer *y,
                                    sinter_buffer *params,
                                    sinter_buffer *grads,
                                    sinter_buffer *workspace);
float _mlir_ciface_sinter_evaluate(sinter_buffer *x, sinter_buffer *y,
                                   sinter_buffer *params, sinter_buffer *out,
                                   sinter_buffer *workspace);
void _mlir_ciface_sinter_predict(sinter_buffer *x, sinter_buffer *params,
                                 sinter_buffer *out, sinter_buffer *workspace);

extern const char sinter_manifest[];
extern const float sinter_default_data[];
extern const int64_t sinter_workspace[2];

/* The compiled model as the runtime sees it: main() fills this from the
 * symbols above, tests may fill it from elsewhere. */
typedef struct sinter_model {
  float (*train_step)(sinter_buffer *x, sinter_buffer *y,
                      sinter_buffer *params, sinter_buffer *slots, float lr,
                      float iteration, sinter_buffer *workspace);
  float (*gradients)(sinter_buffer *x, sinter_buffer *y, sinter_buffer *params,
                     sinter_buffer *grads, sinter_buffer *workspace);
  float (*evaluate)(sinter_buffer *x, sinter_buffer *y, sinter_buffer *params,
                    sinter_buffer *out, sinter_buffer *workspace);
  void (*predict)(sinter_buffer *x, sinter_buffer *params, sinter_buffer *out,
                  sinter_buffer *workspace);
  const char *manifest;
  const float *default_data;
  const int64_t *workspace_size; /* sinter_workspace */
} sinter_model;

/* Runs the trainer's command line (train, eval, predict, summary,
 * gradcheck) on `model`; returns the process exit status. */
int sinter_trainer_main(const sinter_model *model, int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* SINTER_ABI_H */
