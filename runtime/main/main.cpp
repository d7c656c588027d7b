// The trainer's entry point: binds the compiled model's symbols (from the
// object sinterc emits) to the runtime.
#include "sinter/abi.h"

int main(int argc, char **argv) {
  const sinter_model model = {
      _mlir_ciface_sinter_train_step, _mlir_ciface_sinter_gradients,
      _mlir_ciface_sinter_evaluate,   _mlir_ciface_sinter_predict,
      sinter_manifest,                sinter_default_data,
      sinter_workspace};
  return sinter_trainer_main(&model, argc, argv);
}
