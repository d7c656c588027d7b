"""End-to-end numerical tests: Keras JSON -> sinterc -> native trainer,
checked against the float64 PyTorch reference in keras_reference.py.

For every network (all four losses, all three optimizers with their
variants, every activation, Keras 3 and Keras 2 files):
  * the compiled gradients equal the reference's autograd gradients;
  * the compiled gradients equal central finite differences of the compiled
    loss (the trainer's own `gradcheck`);
  * training from the same weights and data, without shuffling, gives the
    same loss at every step and the same final weights, with the last batch
    of each epoch smaller than the others;
  * a fixed seed gives a bit-identical run.

usage: test_training.py --sinterc PATH --workdir DIR [-k NAME]
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import unittest
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_reference  # noqa: E402
import safetensors_io  # noqa: E402

ARGS = None

# Keras 3 optimizer configs as compile_config writes them (learning rates
# are float32 round-trips, as Keras saves them).
def optimizer(cls, **hypers):
    base = {"name": cls.lower(), "learning_rate": 0.0010000000474974513,
            "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
            "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
            "ema_overwrite_frequency": None, "loss_scale_factor": None,
            "gradient_accumulation_steps": None}
    defaults = {"SGD": {"learning_rate": 0.009999999776482582, "momentum": 0.0,
                        "nesterov": False},
                "Adam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
                         "amsgrad": False},
                "RMSprop": {"rho": 0.9, "momentum": 0.0, "epsilon": 1e-07,
                            "centered": False}}[cls]
    base.update(defaults)
    base.update(hypers)
    return {"module": "keras.optimizers", "class_name": cls, "config": base,
            "registered_name": None}


def dense(name, units, activation, use_bias=True):
    init = lambda c: {"module": "keras.initializers", "class_name": c,
                      "config": {"seed": None} if c != "Zeros" else {},
                      "registered_name": None}
    return {"module": "keras.layers", "class_name": "Dense", "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units,
        "activation": activation, "use_bias": use_bias,
        "kernel_initializer": init("GlorotUniform"),
        "bias_initializer": init("Zeros"), "kernel_regularizer": None,
        "bias_regularizer": None, "kernel_constraint": None,
        "bias_constraint": None}, "registered_name": None}


def activation(name, act):
    return {"module": "keras.layers", "class_name": "Activation",
            "config": {"name": name, "trainable": True, "dtype": "float32",
                       "activation": act}, "registered_name": None}


def keras3(inputs, layers, loss, opt):
    return {"module": "keras", "class_name": "Sequential", "config": {
        "name": "sequential", "trainable": True, "dtype": "float32",
        "layers": [{"module": "keras.layers", "class_name": "InputLayer",
                    "config": {"batch_shape": [None, inputs], "dtype": "float32",
                               "sparse": False, "ragged": False,
                               "name": "input_layer"}, "registered_name": None}]
        + layers}, "registered_name": None,
        "compile_config": {"optimizer": opt, "loss": loss, "metrics": None,
                           "loss_weights": None, "jit_compile": False}}


def keras2(inputs, layers):
    """Keras 2 to_json(): no module keys, batch_input_shape on layer 0."""
    model = {"class_name": "Sequential", "config": {"name": "k2", "layers": []},
             "keras_version": "2.15.0", "backend": "tensorflow"}
    for i, layer in enumerate(copy.deepcopy(layers)):
        layer.pop("module"), layer.pop("registered_name")
        if i == 0:
            layer["config"]["batch_input_shape"] = [None, inputs]
        model["config"]["layers"].append(layer)
    return model


# name: (model json, extra sinterc flags, loss, optimizer dict for the
# reference, outputs)
def cases():
    c = {}
    c["seed_mse_adam"] = (keras3(1, [dense("dense", 2, "relu"), dense("dense_1", 1, "linear")],
                                 "mean_squared_error", optimizer("Adam")), [])
    c["tanh_sigmoid_mse_sgd_nesterov"] = (
        keras3(3, [dense("h1", 8, "tanh"), dense("h2", 4, "sigmoid"), dense("out", 2, None)],
               "mse", optimizer("SGD", momentum=0.9, nesterov=True)), [])
    c["softmax_cce_rmsprop_centered_momentum"] = (
        keras3(4, [dense("h", 6, "relu"), dense("probs", 3, "softmax")],
               "categorical_crossentropy",
               optimizer("RMSprop", momentum=0.5, centered=True, learning_rate=0.01)), [])
    c["sigmoid_bce_sgd"] = (
        keras3(5, [dense("h", 7, "sigmoid"), dense("p", 1, "sigmoid")],
               {"module": "keras.losses", "class_name": "BinaryCrossentropy",
                "config": {"name": "binary_crossentropy", "reduction": "sum_over_batch_size",
                           "from_logits": False, "label_smoothing": 0.0}},
               optimizer("SGD", learning_rate=0.5)), [])
    c["multi_bce_rmsprop_momentum"] = (
        keras3(4, [dense("h", 5, "tanh"), dense("p", 3, "sigmoid")],
               "binary_crossentropy", optimizer("RMSprop", momentum=0.9)), [])
    c["tanh_sce_adam_amsgrad"] = (
        keras3(4, [dense("h", 8, "tanh"), dense("probs", 5, "softmax")],
               "sparse_categorical_crossentropy",
               optimizer("Adam", amsgrad=True, learning_rate=0.01)), [])
    c["activation_layers_sce_sgd_momentum"] = (
        keras3(3, [dense("lin", 4, None), activation("act", "relu"),
                   dense("out", 3, None, use_bias=False), activation("soft", "softmax")],
               "sparse_categorical_crossentropy", optimizer("SGD", momentum=0.8, learning_rate=0.1)), [])
    layers = [dense("hidden", 6, "tanh"), dense("out", 3, "linear", use_bias=False),
              activation("probs", "softmax")]
    c["keras2_flags_cce_rmsprop"] = (keras2(4, layers),
                                     ["--loss", "CategoricalCrossentropy", "--optimizer", "RMSprop"])
    return c


def reference_optimizer(model_json, flags):
    """The optimizer as the reference sees it: the file's, or the flag's
    with Keras defaults."""
    if "--optimizer" in flags:
        name = flags[flags.index("--optimizer") + 1]
        opt = optimizer({"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}
                        .get(name.lower(), name))["config"]
        return {**opt, "name": opt["name"]}
    cfg = dict(model_json["compile_config"]["optimizer"]["config"])
    return cfg


def loss_name(model_json, flags):
    if "--loss" in flags:
        raw = flags[flags.index("--loss") + 1]
    else:
        raw = model_json["compile_config"]["loss"]
        if isinstance(raw, dict):
            raw = raw["config"]["name"]
    return {"mse": "mean_squared_error", "CategoricalCrossentropy":
            "categorical_crossentropy"}.get(raw, raw)


class Case:
    """One compiled network with its data and initial weights."""

    def __init__(self, name, model_json, flags, rows=37):
        self.name, self.model, self.flags = name, model_json, flags
        self.dir = os.path.join(ARGS.workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.loss = loss_name(model_json, flags)
        self.opt = reference_optimizer(model_json, flags)
        path = self.path("model.json")
        with open(path, "w") as f:
            json.dump(model_json, f)
        self.trainer = self.path("trainer")
        subprocess.run([ARGS.sinterc, path, "-o", self.trainer] + flags, check=True)

        rng = np.random.default_rng(zlib.crc32(name.encode()))
        layers = keras_reference.layers_of(model_json)
        width = model_json["config"]["layers"][0]["config"].get("batch_shape") or \
            model_json["config"]["layers"][0]["config"]["batch_input_shape"]
        width = width[1]
        self.params, fan_in = {}, width
        for lname, cls, units, _, use_bias in layers:
            if cls != "Dense":
                continue
            self.params[lname + ".kernel"] = rng.normal(0, 1 / np.sqrt(fan_in), (fan_in, units)).astype(np.float32)
            if use_bias:
                self.params[lname + ".bias"] = rng.normal(0, 0.1, (units,)).astype(np.float32)
            fan_in = units
        outputs = fan_in
        self.x = rng.uniform(-1, 1, (rows, width)).astype(np.float32)
        if self.loss == "mean_squared_error":
            self.y = rng.normal(0, 1, (rows, outputs)).astype(np.float32)
        elif self.loss == "binary_crossentropy":
            self.y = (rng.uniform(size=(rows, outputs)) > 0.5).astype(np.float32)
        elif self.loss == "categorical_crossentropy":
            self.y = np.eye(outputs, dtype=np.float32)[rng.integers(0, outputs, rows)]
        else:
            self.y = rng.integers(0, outputs, rows).astype(np.int32)
        np.save(self.path("x.npy"), self.x)
        np.save(self.path("y.npy"), self.y)
        safetensors_io.write(self.path("w0.safetensors"), self.params)

    def path(self, f):
        return os.path.join(self.dir, f)

    def run(self, *args):
        return subprocess.run([self.trainer, *args], check=True, capture_output=True,
                              text=True).stdout

    def data(self):
        return ["--x", self.path("x.npy"), "--y", self.path("y.npy")]


def make_test(name, model_json, flags):
    def test(self):
        case = Case(name, model_json, flags)

        # Gradients against autograd, on the whole data set.
        case.run("gradients", "--weights", case.path("w0.safetensors"), *case.data(),
                 "--out", case.path("g.safetensors"))
        got = safetensors_io.read(case.path("g.safetensors"))
        ref_loss, ref = keras_reference.gradients(case.model, case.loss, case.params,
                                                  case.x, case.y)
        self.assertEqual(sorted(got), sorted(ref))
        for k in ref:
            scale = max(np.abs(ref[k]).max(), 1e-3)
            err = np.abs(got[k] - ref[k]).max() / scale
            self.assertLess(err, 1e-4, f"gradient of {k}: relative error {err:.2e}")

        # Gradients against finite differences of the compiled loss.
        out = subprocess.run([case.trainer, "gradcheck", "--weights", case.path("w0.safetensors"),
                              *case.data(), "--rows", "12"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("PASS", out.stdout)

        # Training, step by step: 37 rows, batch 8 -> 5 steps per epoch, the
        # last one on 5 rows.
        epochs, batch = 3, 8
        case.run("train", "--init", case.path("w0.safetensors"), *case.data(),
                 "--epochs", str(epochs), "--batch-size", str(batch), "--no-shuffle",
                 "--log-csv", case.path("log.csv"), "--save", case.path("w1.safetensors"),
                 "--quiet")
        log = np.loadtxt(case.path("log.csv"), delimiter=",", skiprows=1)
        ref_losses, ref_params = keras_reference.train(
            case.model, case.loss, self_opt(case), case.params, case.x, case.y, epochs, batch)
        self.assertEqual(len(log), len(ref_losses))
        np.testing.assert_array_equal(log[:, 0], np.arange(1, len(ref_losses) + 1))
        np.testing.assert_allclose(log[:, 2], ref_losses, rtol=2e-5, atol=1e-6,
                                   err_msg="per-step loss")
        got = safetensors_io.read(case.path("w1.safetensors"))
        for k, v in ref_params.items():
            np.testing.assert_allclose(got[k], v, rtol=1e-4, atol=2e-5,
                                       err_msg=f"final {k}")

        # Determinism: the same seed (shuffled) gives a bit-identical run.
        for run in ("a", "b"):
            case.run("train", "--seed", "7", *case.data(), "--epochs", "2",
                     "--log-csv", case.path(f"seeded-{run}.csv"),
                     "--save", case.path(f"seeded-{run}.safetensors"), "--quiet")
        for ext in ("csv", "safetensors"):
            with open(case.path(f"seeded-a.{ext}"), "rb") as a, \
                    open(case.path(f"seeded-b.{ext}"), "rb") as b:
                self.assertEqual(a.read(), b.read(), f"seeded runs differ ({ext})")
    return test


def self_opt(case):
    opt = dict(case.opt)
    opt["name"] = opt["name"].lower()
    return opt


class Training(unittest.TestCase):
    pass


class GraphModels(unittest.TestCase):
    """Models written in the graph dialect directly (sinterc takes .mlir)."""

    def test_shared_weight_gradcheck(self):
        workdir = os.path.join(ARGS.workdir, "shared_weight")
        os.makedirs(workdir, exist_ok=True)
        trainer = os.path.join(workdir, "trainer")
        source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shared_weight.mlir")
        subprocess.run([ARGS.sinterc, source, "-o", trainer], check=True)
        for seed in ("1", "2", "3"):
            out = subprocess.run([trainer, "gradcheck", "--seed", seed, "--rows", "16"],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertIn("PASS", out.stdout)
        # And it trains: the loss on the embedded data goes down.
        out = subprocess.run([trainer, "train", "--epochs", "30", "--seed", "1"],
                             capture_output=True, text=True, check=True).stdout
        losses = [float(l.split()[-1]) for l in out.splitlines() if l.startswith("epoch")]
        self.assertLess(losses[-1], 0.8 * losses[0], out)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--sinterc", required=True)
    parser.add_argument("--workdir", required=True)
    ARGS, rest = parser.parse_known_args()
    for name, (model_json, flags) in cases().items():
        setattr(Training, "test_" + name, make_test(name, model_json, flags))
    result = unittest.main(argv=[sys.argv[0], "-v"] + rest, exit=False).result
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed or not result.testsRun else 0)


if __name__ == "__main__":
    main()
