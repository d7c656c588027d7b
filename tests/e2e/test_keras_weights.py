"""Keras 3 weights files: sinter-weights import / export against files laid
out as Keras' saving code lays them out, written and read here with h5py.

The layout (keras/src/saving/saving_lib.py): `layers/<key>/vars/<i>`, the
key the snake_case class name numbered over model.layers in order (the
layer's own name plays no part), `i` the index in the layer's trainable
then non-trainable variables, sub-layers (MultiHeadAttention's projections)
in groups named after their attribute.

usage: test_keras_weights.py --sinterc PATH --weights-tool PATH --workdir DIR
"""
import argparse
import io
import json
import os
import re
import subprocess
import sys
import unittest
import zipfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from test_training import (batchnorm, called, conv, dense, functional3, keras3,  # noqa: E402
                           kt, optimizer, pool, run_unittests, simple)

ARGS = None


def snake_case(name):
    """keras/src/utils/naming.py to_snake_case."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def variables(cls, cfg):
    """A Keras layer's variables in save order, by Sinter's names."""
    if cls in ("Conv2D", "Dense"):
        return ["kernel"] + (["bias"] if cfg.get("use_bias", True) else [])
    if cls in ("BatchNormalization", "LayerNormalization"):
        out = (["gamma"] if cfg.get("scale", True) else []) + \
            (["beta"] if cfg.get("center", True) else [])
        return out + (["moving_mean", "moving_variance"]
                      if cls == "BatchNormalization" else [])
    if cls == "Embedding":
        return ["embeddings"]
    if cls == "MultiHeadAttention":
        return [f"{p}.{v}" for p in ("query", "key", "value", "attention_output")
                for v in ("kernel", "bias")]
    return []


SUBGROUPS = {"query": "query_dense", "key": "key_dense", "value": "value_dense",
             "attention_output": "output_dense"}


def keras_paths(model):
    """{Sinter parameter name: h5 path}, and every layer's vars group."""
    sequential = model["class_name"] == "Sequential"
    used, paths, groups = {}, {}, []
    for layer in model["config"]["layers"]:
        cls = layer["class_name"]
        if sequential and cls == "InputLayer":
            continue
        key = snake_case(cls)  # as _save_container_state numbers them
        if key in used:
            used[key] += 1
            key = f"{key}_{used[key]}"
        else:
            used[key] = 0
        name = layer.get("name") or layer["config"]["name"]
        groups.append(f"layers/{key}/vars")
        counters = {}
        for var in variables(cls, layer["config"]):
            sub, _, _ = var.rpartition(".")
            group = f"layers/{key}/{SUBGROUPS[sub]}" if sub else f"layers/{key}"
            i = counters.get(group, 0)
            counters[group] = i + 1
            paths[f"{name}.{var}"] = f"{group}/vars/{i}"
    return paths, groups


def write_keras(path, model, weights):
    """A .keras archive as Keras writes one, with an optimizer group too."""
    paths, groups = keras_paths(model)
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.create_group("vars")
        for g in groups:
            f.require_group(g)
        for name, p in paths.items():
            f[p] = weights[name]
        f["optimizer/vars/0"] = np.int64(3)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.10.0"}))
        z.writestr("config.json", json.dumps(model))
        z.writestr("model.weights.h5", buf.getvalue())


def read_h5(data):
    out = {}
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, np.array(obj))
                     if isinstance(obj, h5py.Dataset) else None)
    return out


def cnn():
    # User names that are not Keras' keys: the keys come from the classes.
    c1 = conv("features", 4, (3, 3), None, padding="same")
    c1["config"]["use_bias"] = False
    return keras3((6, 6, 1), [c1, batchnorm("norm"), simple("ReLU", "act"),
                              pool("MaxPooling2D", "pool"),
                              simple("Flatten", "flat", data_format="channels_last"),
                              dense("hidden", 8, "relu"), batchnorm("norm2", center=False),
                              dense("probs", 3, "softmax")],
                  "sparse_categorical_crossentropy", optimizer("Adam"))


def transformer():
    return functional3(
        [("tokens", 5, "int32")],
        [called(simple("Embedding", "embed", input_dim=9, output_dim=6), kt("tokens")),
         called(simple("MultiHeadAttention", "attn", num_heads=2, key_dim=3),
                (kt("embed"), kt("embed")), use_causal_mask=True),
         called(simple("LayerNormalization", "ln", epsilon=1e-5), kt("attn")),
         called(dense("next", 9, "softmax"), kt("ln"))],
        "next", "sparse_categorical_crossentropy", optimizer("Adam"))


class KerasWeights(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.join(ARGS.workdir, self._testMethodName)
        os.makedirs(self.dir, exist_ok=True)

    def path(self, f):
        return os.path.join(self.dir, f)

    def tool(self, *args, ok=True):
        out = subprocess.run([ARGS.weights_tool, *args], capture_output=True, text=True)
        if ok:
            self.assertEqual(out.returncode, 0, out.stderr)
        return out

    def shapes(self, model):
        """Parameter shapes from the compiled graph."""
        with open(self.path("model.json"), "w") as f:
            json.dump(model, f)
        graph = subprocess.run([ARGS.sinterc, self.path("model.json"), "--emit=graph"],
                               check=True, capture_output=True, text=True).stdout
        return {name: [int(d) for d in dims.split("x")] for dims, name in re.findall(
            r"tensor<([0-9x]+)xf32> \{(?:[^{}]|\{[^{}]*\})*sinter\.param = \"([^\"]+)\"", graph)}

    def round_trip(self, model):
        rng = np.random.default_rng(5)
        weights = {k: rng.normal(size=s).astype(np.float32)
                   for k, s in self.shapes(model).items()}
        for k in weights:
            if k.endswith("moving_variance"):
                weights[k] = np.abs(weights[k]) + 0.5
        self.assertEqual(sorted(weights), sorted(keras_paths(model)[0]))
        write_keras(self.path("base.keras"), model, weights)

        # Import: every tensor under its Sinter name, bit-exact.
        self.tool("import", self.path("base.keras"), "-o", self.path("w0.safetensors"))
        got = safetensors_io.read(self.path("w0.safetensors"))
        self.assertEqual(sorted(got), sorted(weights))
        for k, v in weights.items():
            np.testing.assert_array_equal(got[k], v, err_msg=k)

        # Fine-tune from them, then export: a .keras archive with the same
        # config and the trained values at Keras' paths.
        trainer = self.path("trainer")
        subprocess.run([ARGS.sinterc, self.path("base.keras"), "-o", trainer], check=True)
        subprocess.run([trainer, "train", "--init", self.path("w0.safetensors"), "--epochs", "2",
                        "--save", self.path("w1.safetensors"), "--quiet"], check=True)
        trained = safetensors_io.read(self.path("w1.safetensors"))
        self.assertTrue(any(not np.array_equal(trained[k], weights[k]) for k in weights))
        self.tool("export", self.path("base.keras"), self.path("w1.safetensors"),
                  "-o", self.path("tuned.keras"))
        with zipfile.ZipFile(self.path("tuned.keras")) as z:
            self.assertEqual(json.loads(z.read("config.json")), model)
            self.assertIn("keras_version", json.loads(z.read("metadata.json")))
            stored = read_h5(z.read("model.weights.h5"))
            with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
                for g in keras_paths(model)[1]:
                    self.assertIn(g, f, "every layer has its vars group")
        paths = keras_paths(model)[0]
        self.assertEqual(sorted(stored), sorted(paths.values()))
        for k, p in paths.items():
            self.assertEqual(stored[p].dtype, np.float32)
            np.testing.assert_array_equal(stored[p], trained[k], err_msg=k)

        # A bare .weights.h5 too, and it imports back to the same values.
        self.tool("export", self.path("model.json"), self.path("w1.safetensors"),
                  "-o", self.path("tuned.weights.h5"))
        self.tool("import", self.path("model.json"), "--weights", self.path("tuned.weights.h5"),
                  "-o", self.path("w2.safetensors"))
        again = safetensors_io.read(self.path("w2.safetensors"))
        for k in trained:
            np.testing.assert_array_equal(again[k], trained[k], err_msg=k)
        return weights

    def test_cnn_with_batchnorm(self):
        self.round_trip(cnn())

    def test_transformer_with_attention(self):
        self.round_trip(transformer())

    def test_errors_name_the_file_and_place(self):
        model = cnn()
        weights = self.round_trip(model)
        # A file of another model: the variable's shape differs.
        wrong = dict(weights, **{"hidden.kernel": np.zeros((3, 8), np.float32)})
        write_keras(self.path("wrong.keras"), model, wrong)
        out = self.tool("import", self.path("wrong.keras"), "-o", self.path("x.safetensors"),
                        ok=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn("wrong.keras: model.weights.h5: layers/dense/vars/0: expected "
                      "hidden.kernel [36, 8], got [3, 8]", out.stderr)
        self.assertFalse(os.path.exists(self.path("x.safetensors")))
        # An extra variable in a layer's group.
        buf = io.BytesIO()
        with zipfile.ZipFile(self.path("base.keras")) as z:
            buf.write(z.read("model.weights.h5"))
        with h5py.File(buf, "a") as f:
            f["layers/dense_1/vars/2"] = np.zeros(3, np.float32)
        with zipfile.ZipFile(self.path("extra.keras"), "w") as z:
            z.writestr("config.json", json.dumps(model))
            z.writestr("model.weights.h5", buf.getvalue())
        out = self.tool("import", self.path("extra.keras"), "-o", self.path("x.safetensors"),
                        ok=False)
        self.assertIn("layers/dense_1/vars: holds 3 variables, the model's layer 2", out.stderr)
        # A config alone holds no weights; a safetensors file of another model.
        out = self.tool("import", self.path("model.json"), "-o", self.path("x.safetensors"),
                        ok=False)
        self.assertIn("a config.json holds no weights", out.stderr)
        safetensors_io.write(self.path("other.safetensors"), {"a.kernel": np.zeros(2, np.float32)})
        out = self.tool("export", self.path("base.keras"), self.path("other.safetensors"),
                        "-o", self.path("x.weights.h5"), ok=False)
        self.assertIn("other.safetensors: features.kernel: missing", out.stderr)
        self.assertFalse(os.path.exists(self.path("x.weights.h5")))
        self.assertFalse(os.path.exists(self.path("x.weights.h5.h5tmp")))
        # Not an HDF5 file.
        with open(self.path("junk.weights.h5"), "wb") as f:
            f.write(b"not hdf5")
        out = self.tool("import", self.path("model.json"), "--weights",
                        self.path("junk.weights.h5"), "-o", self.path("x.safetensors"), ok=False)
        self.assertIn("junk.weights.h5: not a readable HDF5 file", out.stderr)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--sinterc", required=True)
    parser.add_argument("--weights-tool", required=True)
    parser.add_argument("--workdir", required=True)
    ARGS, rest = parser.parse_known_args()
    run_unittests(rest)


if __name__ == "__main__":
    main()
