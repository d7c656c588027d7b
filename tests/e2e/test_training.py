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
  * a fixed seed gives a bit-identical run, with one thread or two.

usage: test_training.py --sinterc PATH --workdir DIR [-k NAME]
"""
import argparse
import copy
import json
import re
import os
import subprocess
import sys
import unittest
import zipfile
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_reference  # noqa: E402
import safetensors_io  # noqa: E402

ARGS = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

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
                "AdamW": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
                          "amsgrad": False, "weight_decay": 0.004},
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


def conv(name, filters, kernel, activation=None, strides=(1, 1), padding="valid",
         dilation=(1, 1), groups=1):
    """Keras 3 Conv2D config, as get_config writes it."""
    layer = dense(name, filters, activation)
    cfg = layer["config"]
    del cfg["units"]
    cfg.update({"filters": filters, "kernel_size": list(kernel), "strides": list(strides),
                "padding": padding, "data_format": "channels_last",
                "dilation_rate": list(dilation), "groups": groups,
                "activity_regularizer": None})
    layer["class_name"] = "Conv2D"
    return layer


def pool(cls, name, size=(2, 2), strides=None, padding="valid"):
    return simple(cls, name, pool_size=list(size), strides=list(strides or size),
                  padding=padding, data_format="channels_last")


def activation(name, act):
    return {"module": "keras.layers", "class_name": "Activation",
            "config": {"name": name, "trainable": True, "dtype": "float32",
                       "activation": act}, "registered_name": None}


def simple(cls, name, **config):
    return {"module": "keras.layers", "class_name": cls,
            "config": {"name": name, "trainable": True, "dtype": "float32", **config},
            "registered_name": None}


def batchnorm(name, **config):
    """Keras 3 BatchNormalization config, as get_config writes it."""
    init = lambda c: {"module": "keras.initializers", "class_name": c, "config": {},
                      "registered_name": None}
    base = {"axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
            "beta_initializer": init("Zeros"), "gamma_initializer": init("Ones"),
            "moving_mean_initializer": init("Zeros"),
            "moving_variance_initializer": init("Ones"), "beta_regularizer": None,
            "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None,
            "synchronized": False}
    return simple("BatchNormalization", name, **{**base, **config})


def keras3(inputs, layers, loss, opt):
    shape = list(inputs) if isinstance(inputs, tuple) else [inputs]
    return {"module": "keras", "class_name": "Sequential", "config": {
        "name": "sequential", "trainable": True, "dtype": "float32",
        "layers": [{"module": "keras.layers", "class_name": "InputLayer",
                    "config": {"batch_shape": [None, *shape], "dtype": "float32",
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


def kt(layer, node=0):
    """A Keras 3 reference to the `node`-th call of `layer`."""
    return {"class_name": "__keras_tensor__",
            "config": {"shape": None, "dtype": "float32",
                       "keras_history": [layer, node, 0]}}


def called(layer, *calls, **kwargs):
    """A Keras 3 functional layer entry called on each of `calls` (a tensor,
    a list of tensors for merge layers, or a tuple of positional tensors),
    with the call keyword arguments `kwargs`."""
    layer = copy.deepcopy(layer)
    layer["name"] = layer["config"]["name"]
    layer["inbound_nodes"] = [
        {"args": list(c) if isinstance(c, tuple) else [c],
         "kwargs": {"training": False, **kwargs}} for c in calls]
    return layer


def merge(cls, name):
    return {"module": "keras.layers", "class_name": cls,
            "config": {"name": name, "trainable": True, "dtype": "float32"},
            "registered_name": None}


def functional3(inputs, layers, output, loss, opt):
    """`inputs`: (name, shape) or (name, shape, dtype) per input layer; a
    shape is a width or a list of dimensions."""
    dims = lambda shape: list(shape) if isinstance(shape, (list, tuple)) else [shape]
    ins = [{"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": [None, *dims(spec[1])],
                       "dtype": spec[2] if len(spec) > 2 else "float32",
                       "sparse": False, "ragged": False, "name": spec[0]},
            "registered_name": None, "name": spec[0], "inbound_nodes": []}
           for spec in inputs]
    inputs = [spec[:2] for spec in inputs]
    refs = [[n, 0, 0] for n, _ in inputs]
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": {"name": "functional", "trainable": True, "layers": ins + layers,
                       "input_layers": refs[0] if len(refs) == 1 else refs,
                       "output_layers": [output, 0, 0]},
            "registered_name": "Functional",
            "compile_config": {"optimizer": opt, "loss": loss, "metrics": None,
                               "loss_weights": None, "jit_compile": False}}


def functional2(inputs, layers, output):
    """Keras 2 'Model': nested-list inbound nodes, no module keys."""
    model = {"class_name": "Model", "config": {"name": "model", "layers": [],
             "input_layers": [[n, 0, 0] for n, _ in inputs],
             "output_layers": [[output, 0, 0]]},
             "keras_version": "2.15.0", "backend": "tensorflow"}
    for n, w in inputs:
        model["config"]["layers"].append(
            {"class_name": "InputLayer", "name": n, "inbound_nodes": [],
             "config": {"batch_input_shape": [None, w], "dtype": "float32", "name": n}})
    for layer, calls in layers:
        layer = copy.deepcopy(layer)
        layer.pop("module"), layer.pop("registered_name")
        layer["name"] = layer["config"]["name"]
        layer["inbound_nodes"] = [[[r[0], r[1], 0, {}] for r in call] for call in calls]
        model["config"]["layers"].append(layer)
    return model


LANGUAGE_SOURCE = """
# functional3_shared_merges_adam, in the Sinter language.
model functional(a: f32[3], b: f32[2]) {
  layer da = dense(4, activation = tanh)
  layer db = dense(4, activation = relu)
  layer shared = dense(4, activation = sigmoid)
  layer out = dense(3, activation = softmax)
  ha = da(a)
  hb = db(b)
  s = ha + hb
  avg = average(shared(s), shared(ha))
  return out(concatenate((avg - s) * ha, hb))
}
train functional { loss = categorical_crossentropy  optimizer = adam(lr = 0.01) }
"""


def gpt_mini_twin():
    """gpt.sinter as a Keras functional model, its layers named as the
    language names them (repeat blocks scoped block0..block3)."""
    eps = {"epsilon": 1e-5}
    layers = [called(simple("Embedding", "embedding", input_dim=256, output_dim=128),
                     kt("tokens")),
              called(simple("PositionEmbedding", "position_embedding", sequence_length=128),
                     kt("embedding"))]
    h = "position_embedding"
    for i in range(4):
        p = f"block{i}."
        layers += [
            called(simple("LayerNormalization", p + "layer_normalization", **eps), kt(h)),
            called(simple("MultiHeadAttention", p + "multi_head_attention", num_heads=4,
                          key_dim=32), (kt(p + "layer_normalization"),
                                        kt(p + "layer_normalization")), use_causal_mask=True),
            called(merge("Add", p + "res1"), [kt(h), kt(p + "multi_head_attention")]),
            called(simple("LayerNormalization", p + "layer_normalization_1", **eps),
                   kt(p + "res1")),
            called(dense(p + "dense", 512, "gelu"), kt(p + "layer_normalization_1")),
            called(dense(p + "dense_1", 128, None), kt(p + "dense")),
            called(merge("Add", p + "res2"), [kt(p + "res1"), kt(p + "dense_1")])]
        h = p + "res2"
    layers += [called(simple("LayerNormalization", "layer_normalization", **eps), kt(h)),
               called(dense("dense", 256, "softmax"), kt("layer_normalization"))]
    return functional3([("tokens", 128, "int32")], layers, "dense",
                       "sparse_categorical_crossentropy",
                       optimizer("AdamW", learning_rate=0.0003, weight_decay=0.01))


# name: (model json, extra sinterc flags[, "archive" to compile a .keras zip,
# "language" to compile LANGUAGE_SOURCE, or a .sinter file of the repository,
# instead of the JSON, which the reference then follows])
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
    frozen = dense("frozen", 6, "tanh")
    frozen["config"]["trainable"] = False
    c["frozen_layer_adamw"] = (
        keras3(3, [frozen, dense("trained", 2, None)], "mse",
               optimizer("AdamW", learning_rate=0.01)), [])
    c["adamw_weight_decay_mse"] = (
        keras3(3, [dense("h", 6, "tanh"), dense("out", 2, None)], "mse",
               optimizer("AdamW", learning_rate=0.01, weight_decay=0.05)), [])
    c["sgd_momentum_weight_decay_bce"] = (
        keras3(3, [dense("h", 5, "sigmoid"), dense("p", 1, "sigmoid")], "binary_crossentropy",
               optimizer("SGD", learning_rate=0.3, momentum=0.5, weight_decay=0.1)), [])
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

    # Per-example tensors of rank 2 and 3: Rescaling, Reshape, Flatten.
    c["reshape_permute_flatten_rescaling_sce_adam"] = (
        keras3((4, 3), [simple("Rescaling", "rescale", scale=0.5, offset=-0.25),
                        simple("Reshape", "reshape", target_shape=[2, -1, 3]),
                        simple("Permute", "permute", dims=[3, 1, 2]),
                        simple("Flatten", "flat", data_format="channels_last"),
                        dense("h", 5, "relu"), dense("probs", 4, "softmax")],
               "sparse_categorical_crossentropy", optimizer("Adam", learning_rate=0.01)), [])
    # Images: convolutions ("same" and "valid", strides, dilation, groups)
    # and every pooling, with overlapping and partial windows.
    c["conv_maxpool_sce_sgd_momentum"] = (
        keras3((8, 8, 2), [conv("c1", 3, (3, 3), "relu", padding="same"),
                           pool("MaxPooling2D", "p1"),
                           simple("Dropout", "drop_images", rate=0.3, seed=None,
                                  noise_shape=None),
                           conv("c2", 4, (3, 3), "tanh"),
                           simple("Flatten", "flat", data_format="channels_last"),
                           dense("probs", 3, "softmax")],
               "sparse_categorical_crossentropy",
               optimizer("SGD", learning_rate=0.05, momentum=0.9)), [])
    # Pools whose windows tile their input (stride = window, no pads) are
    # elementwise over the taps: average and a non-square max.
    c["conv_tiling_pools_mse_sgd"] = (
        keras3((6, 4, 2), [conv("c", 3, (3, 3), "tanh", padding="same"),
                           pool("AveragePooling2D", "avg", (2, 2)),
                           pool("MaxPooling2D", "max", (3, 2)),
                           simple("Flatten", "flat", data_format="channels_last"),
                           dense("out", 2, None)],
               "mse", optimizer("SGD", learning_rate=0.05)), [])
    c["conv_strided_dilated_groups_pools_adam"] = (
        keras3((9, 7, 4), [conv("strided", 6, (3, 3), "relu", strides=(2, 2), padding="same",
                                groups=2),
                           conv("dilated", 4, (2, 2), "sigmoid", dilation=(2, 2)),
                           pool("MaxPooling2D", "overlap", (3, 3), (1, 1), "same"),
                           pool("AveragePooling2D", "partial", (3, 3), (2, 2), "same"),
                           simple("GlobalAveragePooling2D", "gap",
                                  data_format="channels_last", keepdims=False),
                           dense("out", 2, None)],
               "mse", optimizer("Adam", learning_rate=0.01)), [])
    # LeakyReLU as a layer and as an activation, GlobalMaxPooling2D.
    c["leaky_relu_global_max_pool_adam"] = (
        keras3((6, 6, 2), [conv("c", 4, (3, 3), None, padding="same"),
                           simple("LeakyReLU", "leaky", negative_slope=0.1),
                           simple("GlobalMaxPooling2D", "gmp",
                                  data_format="channels_last", keepdims=False),
                           dense("h", 5, "leaky_relu"), dense("out", 2, None)],
               "mse", optimizer("Adam", learning_rate=0.01)), [])
    c["gelu_silu_mse_rmsprop"] = (
        keras3(4, [dense("g", 6, "gelu"), dense("gt", 5, "gelu_tanh"),
                   dense("s", 4, "silu"), activation("sw", "swish"), dense("out", 2, None)],
               "mse", optimizer("RMSprop", learning_rate=0.01)), [])
    # Kernel regularizers (L1, L2, L1L2; a frozen layer's is not added).
    def regularized(layer, cls, **config):
        layer = copy.deepcopy(layer)
        layer["config"]["kernel_regularizer"] = {
            "module": "keras.regularizers", "class_name": cls, "config": config,
            "registered_name": None}
        return layer
    frozen_reg = regularized(frozen, "L2", l2=0.5)
    bias_reg = regularized(dense("h", 5, "tanh"), "L2", l2=0.05)
    bias_reg["config"]["bias_regularizer"] = {
        "module": "keras.regularizers", "class_name": "L1", "config": {"l1": 0.2},
        "registered_name": None}
    c["kernel_regularizers_sgd"] = (
        keras3(3, [frozen_reg, bias_reg,
                   regularized(dense("h2", 4, "relu"), "L1", l1=0.02),
                   regularized(dense("out", 2, None), "L1L2", l1=0.01, l2=0.03)],
               "mse", optimizer("SGD", learning_rate=0.1)), [])
    c["conv_l2_regularizer_adam"] = (
        keras3((5, 5, 1), [regularized(conv("c", 2, (3, 3), "tanh"), "L2", l2=0.1),
                           simple("Flatten", "flat", data_format="channels_last"),
                           dense("out", 2, None)],
               "mse", optimizer("Adam", learning_rate=0.01)), [])
    # Gradient clipping: small norms, so every step clips.
    c["clipnorm_sgd_momentum"] = (
        keras3(3, [dense("h", 6, "tanh"), dense("out", 2, None)], "mse",
               optimizer("SGD", learning_rate=0.1, momentum=0.5, clipnorm=0.05)), [])
    c["global_clipnorm_adam_frozen"] = (
        keras3(3, [frozen, dense("h", 5, "relu"), dense("out", 2, None)], "mse",
               optimizer("Adam", learning_rate=0.01, global_clipnorm=0.1)), [])
    # Learning-rate schedules (Keras objects in the optimizer config): each
    # changes the rate within the 15 steps of a test.
    def schedule(cls, **config):
        return {"module": "keras.optimizers.schedules", "class_name": cls,
                "config": {"name": cls, **config}, "registered_name": None}
    net = [dense("h", 6, "tanh"), dense("out", 2, None)]
    c["cosine_warmup_schedule_adamw"] = (
        keras3(3, net, "mse", optimizer("AdamW", learning_rate=schedule(
            "CosineDecay", initial_learning_rate=0.001, decay_steps=8, alpha=0.1,
            warmup_target=0.02, warmup_steps=4))), [])
    c["exponential_staircase_schedule_sgd"] = (
        keras3(3, net, "mse", optimizer("SGD", learning_rate=schedule(
            "ExponentialDecay", initial_learning_rate=0.2, decay_steps=3,
            decay_rate=0.5, staircase=True))), [])
    c["piecewise_schedule_rmsprop"] = (
        keras3(3, net, "mse", optimizer("RMSprop", learning_rate=schedule(
            "PiecewiseConstantDecay", boundaries=[2, 6], values=[0.01, 0.003, 0.001]))), [])
    # BatchNormalization: batch statistics while training (gradients
    # through them), moving statistics updated each step and compared at
    # the end, on images and on vectors; a frozen one runs in inference mode.
    # A bias right before BatchNormalization has a zero gradient (the
    # batch mean cancels it): Adam would amplify rounding noise, so the
    # layers before one go without, as in Keras models.
    l2 = {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.1},
          "registered_name": None}
    unbiased_conv = conv("c1", 3, (3, 3), None, padding="same")
    unbiased_conv["config"]["use_bias"] = False
    c["conv_batchnorm_sce_sgd_momentum"] = (
        keras3((6, 6, 2), [unbiased_conv,
                           batchnorm("bn1", momentum=0.9, gamma_regularizer=l2),
                           activation("r1", "relu"),
                           pool("MaxPooling2D", "p1"),
                           simple("Flatten", "flat", data_format="channels_last"),
                           dense("h", 5, None, use_bias=False),
                           batchnorm("bn2", center=False, epsilon=0.01, momentum=0.5),
                           activation("t", "tanh"),
                           dense("probs", 3, "softmax")],
               "sparse_categorical_crossentropy",
               optimizer("SGD", learning_rate=0.1, momentum=0.9)), [])
    frozen_bn = batchnorm("frozen_bn")
    frozen_bn["config"]["trainable"] = False
    c["frozen_batchnorm_mse_sgd"] = (
        keras3(4, [dense("h", 6, None), frozen_bn, activation("r", "relu"),
                   batchnorm("bn", scale=False, momentum=0.8), dense("out", 2, None)],
               "mse", optimizer("SGD", learning_rate=0.05, momentum=0.5)), [])
    # The lenet example network at full size (28x28 images).
    c["lenet_example_network"] = (
        keras3((28, 28, 1), [conv("conv1", 6, (5, 5), "relu", padding="same"),
                             pool("MaxPooling2D", "pool1"),
                             conv("conv2", 16, (5, 5), "relu"),
                             pool("MaxPooling2D", "pool2"),
                             simple("Flatten", "flat", data_format="channels_last"),
                             dense("fc1", 120, "relu"), dense("fc2", 84, "relu"),
                             dense("probs", 10, "softmax")],
               "sparse_categorical_crossentropy",
               optimizer("SGD", learning_rate=0.01, momentum=0.9)), [])
    # Dropout: a seeded and a name-seeded layer, masks checked step by step.
    c["dropout_cce_adam"] = (
        keras3(6, [dense("h", 8, "relu"),
                   simple("Dropout", "drop", rate=0.5, seed=None, noise_shape=None),
                   dense("h2", 6, "tanh"),
                   simple("Dropout", "drop2", rate=0.25, seed=3, noise_shape=None),
                   dense("probs", 3, "softmax")],
               "categorical_crossentropy", optimizer("Adam", learning_rate=0.01)), [])
    # A pre-norm transformer block on token ids: embeddings, causal
    # multi-head attention, LayerNorm / RMS norms, a GELU MLP on sequences.
    c["transformer_block_adamw"] = (
        functional3(
            [("tokens", 6, "int32")],
            [called(simple("Embedding", "embed", input_dim=11, output_dim=8,
                           embeddings_initializer="uniform", mask_zero=False),
                    kt("tokens")),
             called(simple("PositionEmbedding", "pos", sequence_length=6,
                           initializer="glorot_uniform"), kt("embed")),
             called(simple("LayerNormalization", "ln1", axis=-1, epsilon=0.001,
                           center=True, scale=True), kt("pos")),
             called(simple("MultiHeadAttention", "mha", num_heads=2, key_dim=4,
                           value_dim=3, dropout=0.0, use_bias=True,
                           output_shape=None, attention_axes=None),
                    (kt("ln1"), kt("ln1")), use_causal_mask=True),
             called(merge("Add", "res1"), [kt("pos"), kt("mha")]),
             called(simple("RMSNormalization", "rms", axis=-1, epsilon=1e-6),
                    kt("res1")),
             called(dense("ff1", 12, "gelu"), kt("rms")),
             called(dense("ff2", 8, None), kt("ff1")),
             called(merge("Add", "res2"), [kt("res1"), kt("ff2")]),
             called(simple("LayerNormalization", "lnf", axis=-1, epsilon=0.001,
                           rms_scaling=True), kt("res2")),
             called(simple("GlobalAveragePooling1D", "gap",
                           data_format="channels_last", keepdims=False), kt("lnf")),
             called(dense("probs", 3, "softmax"), kt("gap"))],
            "probs", "sparse_categorical_crossentropy",
            optimizer("AdamW", learning_rate=0.01)), [])
    # A causal language model: one label per token, the loss the mean over
    # every token.
    c["causal_lm_per_token_sce_adam"] = (
        functional3(
            [("tokens", 5, "int32")],
            [called(simple("Embedding", "embed", input_dim=10, output_dim=6), kt("tokens")),
             called(simple("PositionEmbedding", "pos", sequence_length=5), kt("embed")),
             called(simple("MultiHeadAttention", "mha", num_heads=3, key_dim=2),
                    (kt("pos"), kt("pos")), use_causal_mask=True),
             called(merge("Add", "res"), [kt("pos"), kt("mha")]),
             called(simple("LayerNormalization", "ln", epsilon=1e-5), kt("res")),
             called(dense("next", 10, "softmax"), kt("ln"))],
            "next", "sparse_categorical_crossentropy",
            optimizer("Adam", learning_rate=0.01)), [])
    # Softmax and Concatenate along axes other than the last (Keras counts
    # the batch as axis 0): tokens joined, then attention-like weights over
    # the tokens.
    tokens = merge("Concatenate", "tokens")
    tokens["config"]["axis"] = 1
    c["axis_softmax_concat_mse_adam"] = (
        functional3(
            [("a", [3, 4]), ("b", [2, 4])],
            [called(dense("pa", 4, "tanh"), kt("a")),
             called(tokens, [kt("pa"), kt("b")]),
             # No bias: the softmax over tokens cancels a bias shared by all
             # tokens, so its exact gradient is 0 and Adam would turn the
             # rounding noise in its place into +-lr steps.
             called(dense("score", 5, None, use_bias=False), kt("tokens")),
             called(simple("Softmax", "over_tokens", axis=1), kt("score")),
             called(merge("Concatenate", "features"), [kt("over_tokens"), kt("tokens")]),
             called(simple("Softmax", "over_features", axis=-1), kt("features")),
             called(simple("Flatten", "flat"), kt("over_features")),
             called(dense("out", 2, None), kt("flat"))],
            "out", "mse", optimizer("Adam", learning_rate=0.01)), [])
    # The MLP examples' networks, compiled from their .sinter files.
    c["digits_example_network"] = (
        keras3(64, [simple("Rescaling", "rescaling", scale=0.0625, offset=0.0),
                    dense("dense", 64, "relu"), dense("dense_1", 64, "relu"),
                    dense("dense_2", 10, "softmax")],
               "sparse_categorical_crossentropy", optimizer("Adam", learning_rate=0.002)),
        [], "examples/digits-mlp/digits.sinter")
    c["fashion_example_network"] = (
        keras3((28, 28), [simple("Flatten", "flatten", data_format="channels_last"),
                          dense("dense", 512, "relu"), dense("dense_1", 512, "relu"),
                          dense("dense_2", 10, "softmax")],
               "sparse_categorical_crossentropy", optimizer("Adam", learning_rate=0.001)),
        [], "examples/fashion-mlp/fashion.sinter")
    # The char-gpt example network (gpt-mini) at full size, compiled from
    # examples/char-gpt/gpt.sinter and checked against its Keras twin.
    c["gpt_mini_example_network"] = (gpt_mini_twin(), [], "examples/char-gpt/gpt.sinter")
    # Two inputs, a layer called twice (shared weights), every merge.
    shared = dense("shared", 4, "sigmoid")
    graph = functional3(
        [("a", 3), ("b", 2)],
        [called(dense("da", 4, "tanh"), kt("a")),
         called(dense("db", 4, "relu"), kt("b")),
         called(merge("Add", "sum"), [kt("da"), kt("db")]),
         called(shared, kt("sum"), kt("da")),
         called(merge("Average", "avg"), [kt("shared", 0), kt("shared", 1)]),
         called(merge("Subtract", "diff"), [kt("avg"), kt("sum")]),
         called(merge("Multiply", "prod"), [kt("diff"), kt("da")]),
         called(merge("Concatenate", "cat"), [kt("prod"), kt("db")]),
         called(dense("out", 3, "softmax"), kt("cat"))],
        "out", "categorical_crossentropy", optimizer("Adam", learning_rate=0.01))
    c["functional3_shared_merges_adam"] = (graph, [])
    c["functional3_keras_archive"] = (graph, [], "archive")
    # The same network written in the Sinter language, checked against the
    # reference built from the Keras file.
    c["language_shared_merges_adam"] = (graph, [], "language")
    # Keras 2 Model: residual connection, nested-list nodes.
    c["functional2_residual_sgd"] = (
        functional2([("x", 4)],
                    [(dense("h", 4, "tanh"), [[("x", 0)]]),
                     (merge("Add", "res"), [[("h", 0), ("x", 0)]]),
                     (dense("o", 2, None), [[("res", 0)]])], "o"),
        ["--loss", "mse", "--optimizer", "sgd"])
    return c


# Extra gradcheck flags per case. The lenet network has 61k weights (probe
# 24 evenly spaced elements of each) and, in its first convolution, every
# weight feeds thousands of ReLUs and max-pool windows, so a finite
# difference step crosses kinks the one-sided test cannot all isolate: its
# first layer agrees to about 1.3e-2, not 1e-2. Its analytic gradients are
# held to 1e-4 against PyTorch above, like every case's.
# The full gpt-mini is the one network gradcheck cannot judge: most of its
# gradients (1e-6 and below at these weights) lie under what float32
# differences of a loss near 5.5 resolve. Its gradients are held to the
# float64 reference like every case's, and the reduced transformer cases
# (transformer_block_adamw, causal_lm_per_token_sce_adam) pass gradcheck.
GRADCHECK_ARGS = {"lenet_example_network": ["--max-elements", "24", "--tolerance", "3e-2"],
                  "fashion_example_network": ["--max-elements", "24"],
                  "gpt_mini_example_network": None}


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

    def __init__(self, name, model_json, flags, source=None, rows=37):
        self.name, self.model, self.flags = name, model_json, flags
        self.dir = os.path.join(ARGS.workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.loss = loss_name(model_json, flags)
        self.opt = reference_optimizer(model_json, flags)
        path = self.path("model.json")
        with open(path, "w") as f:
            json.dump(model_json, f)
        if source == "language":
            path = self.path("model.sinter")
            with open(path, "w") as f:
                f.write(LANGUAGE_SOURCE)
        elif source and source.endswith(".sinter"):  # a file of the repository
            path = os.path.join(ROOT, source)
        if source == "archive":  # a .keras file: config.json deflated in a zip
            path = self.path("model.keras")
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("metadata.json", json.dumps({"keras_version": "3.10.0"}))
                z.writestr("config.json", json.dumps(model_json))
        self.trainer = self.path("trainer")
        # Every loop nest with a parallel loop runs it on threads (the
        # default leaves small ones serial), so the thread-count check
        # below covers every op; and every pass's output is verified.
        subprocess.run([ARGS.sinterc, path, "-o", self.trainer, "--min-parallel-iterations=1",
                        "--verify-each"] + flags, check=True)

        rng = np.random.default_rng(zlib.crc32(name.encode()))
        # Parameter shapes as the compiled graph declares them; a wrong one
        # would break the reference's matmuls, so this trusts nothing.
        graph = subprocess.run([ARGS.sinterc, path, "--emit=graph"] + flags, check=True,
                               capture_output=True, text=True).stdout
        self.params = {}
        for dims, pname in re.findall(
                r"tensor<([0-9x]+)xf32> \{(?:[^{}]|\{[^{}]*\})*sinter\.param = \"([^\"]+)\"",
                graph):
            shape = [int(d) for d in dims.split("x")]
            scale = 1 / np.sqrt(shape[0]) if len(shape) == 2 else 0.1
            self.params[pname] = rng.normal(0, scale, shape).astype(np.float32)
            if pname.endswith("moving_variance"):  # variances are positive
                self.params[pname] = rng.uniform(0.5, 2, shape).astype(np.float32)
        self.inputs = {}
        for layer in model_json["config"]["layers"]:
            cfg = layer["config"]
            shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
            if shape:
                key = "input" if model_json["class_name"] == "Sequential" else cfg["name"]
                if cfg.get("dtype") == "int32":  # token ids, below every vocabulary
                    self.inputs[key] = rng.integers(0, 10, (rows, *shape[1:])).astype(np.float32)
                else:
                    self.inputs[key] = rng.uniform(-1, 1, (rows, *shape[1:])).astype(np.float32)
        out_shape = [int(d) for d in re.search(
            r"func.func @forward\(.*\) -> tensor<\?x([0-9x]+)xf32>", graph).group(1).split("x")]
        outputs = out_shape[-1]
        if self.loss == "mean_squared_error":
            self.y = rng.normal(0, 1, (rows, outputs)).astype(np.float32)
        elif self.loss == "binary_crossentropy":
            self.y = (rng.uniform(size=(rows, outputs)) > 0.5).astype(np.float32)
        elif self.loss == "categorical_crossentropy":
            self.y = np.eye(outputs, dtype=np.float32)[rng.integers(0, outputs, rows)]
        else:  # one label per prediction vector (per token of a sequence)
            self.y = rng.integers(0, outputs, (rows, *out_shape[:-1])).astype(np.int32)
        for key, x in self.inputs.items():
            np.save(self.path(f"x-{key}.npy"), x)
        np.save(self.path("y.npy"), self.y)
        safetensors_io.write(self.path("w0.safetensors"), self.params)

    def path(self, f):
        return os.path.join(self.dir, f)

    def run(self, *args):
        return subprocess.run([self.trainer, *args], check=True, capture_output=True,
                              text=True).stdout

    def data(self):
        args = []
        for key in self.inputs:
            spec = self.path(f"x-{key}.npy")
            args += ["--x", spec if key == "input" else f"{key}={spec}"]
        return args + ["--y", self.path("y.npy")]


def make_test(name, model_json, flags, source=None):
    def test(self):
        case = Case(name, model_json, flags, source)

        # Gradients against autograd, on the whole data set.
        case.run("gradients", "--weights", case.path("w0.safetensors"), *case.data(),
                 "--out", case.path("g.safetensors"))
        got = safetensors_io.read(case.path("g.safetensors"))
        ref_loss, ref = keras_reference.gradients(case.model, case.loss, case.params,
                                                  case.inputs, case.y)
        self.assertEqual(sorted(got), sorted(ref))
        for k in ref:
            scale = max(np.abs(ref[k]).max(), 1e-3)
            err = np.abs(got[k] - ref[k]).max() / scale
            self.assertLess(err, 1e-4, f"gradient of {k}: relative error {err:.2e}")

        # Gradients against finite differences of the compiled loss.
        if GRADCHECK_ARGS.get(name, []) is not None:
            out = subprocess.run([case.trainer, "gradcheck", "--weights",
                                  case.path("w0.safetensors"), *case.data(), "--rows", "12",
                                  *GRADCHECK_ARGS.get(name, [])],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertIn("PASS", out.stdout)
        else:
            print(f"\n  {name}: no gradcheck (see GRADCHECK_ARGS)", end=" ")

        # Training, step by step: 37 rows, batch 8 -> 5 steps per epoch, the
        # last one on 5 rows.
        epochs, batch = 3, 8
        case.run("train", "--init", case.path("w0.safetensors"), *case.data(),
                 "--epochs", str(epochs), "--batch-size", str(batch), "--no-shuffle",
                 "--log-csv", case.path("log.csv"), "--save", case.path("w1.safetensors"),
                 "--quiet")
        log = np.loadtxt(case.path("log.csv"), delimiter=",", skiprows=1)
        ref_losses, ref_params = keras_reference.train(
            case.model, case.loss, self_opt(case), case.params, case.inputs, case.y, epochs, batch)
        self.assertEqual(len(log), len(ref_losses))
        np.testing.assert_array_equal(log[:, 0], np.arange(1, len(ref_losses) + 1))
        np.testing.assert_allclose(log[:, 2], ref_losses, rtol=2e-5, atol=1e-6,
                                   err_msg="per-step loss")
        got = safetensors_io.read(case.path("w1.safetensors"))
        for k, v in ref_params.items():
            np.testing.assert_allclose(got[k], v, rtol=1e-4, atol=2e-5,
                                       err_msg=f"final {k}")

        # Determinism: the same seed (shuffled) gives a bit-identical run,
        # on one thread or two.
        for run, threads in (("a", "1"), ("b", "2")):
            case.run("train", "--seed", "7", *case.data(), "--epochs", "2",
                     "--log-csv", case.path(f"seeded-{run}.csv"), "--threads", threads,
                     "--save", case.path(f"seeded-{run}.safetensors"), "--quiet")
        for ext in ("csv", "safetensors"):
            with open(case.path(f"seeded-a.{ext}"), "rb") as a, \
                    open(case.path(f"seeded-b.{ext}"), "rb") as b:
                self.assertEqual(a.read(), b.read(), f"seeded runs differ ({ext})")
    return test


def self_opt(case):
    opt = dict(case.opt)
    opt["name"] = opt["name"].lower()
    opt["weight_decay"] = opt.get("weight_decay") or 0.0
    return opt


class Training(unittest.TestCase):
    pass


class Checkpoints(unittest.TestCase):
    """train --checkpoint / --resume continue a run bit-identically."""

    def test_resume_is_bit_identical(self):
        # Dropout (masks keyed on the step), Adam slots, shuffling, a
        # validation split and early stopping's state all cross the restart.
        case = Case("resume", *cases()["dropout_cce_adam"])
        common = ["train", "--seed", "3", *case.data(), "--batch-size", "8",
                  "--validation-split", "0.2", "--early-stopping", "9", "--quiet"]
        case.run(*common, "--epochs", "4", "--save", case.path("full.safetensors"))
        case.run(*common, "--epochs", "2", "--checkpoint", case.path("ckpt.safetensors"))
        case.run(*common, "--epochs", "4", "--resume", case.path("ckpt.safetensors"),
                 "--save", case.path("resumed.safetensors"))
        with open(case.path("full.safetensors"), "rb") as a, \
                open(case.path("resumed.safetensors"), "rb") as b:
            self.assertEqual(a.read(), b.read(), "the resumed run differs")
        # Mid-epoch: 30 training rows in batches of 8 are 4 steps an epoch,
        # so every second step alternates between the middle and the end
        # of an epoch; resume from the middle of epoch 2.
        case.run(*common, "--epochs", "3", "--checkpoint",
                 case.path("ckpt-{step}.safetensors"), "--checkpoint-steps", "2")
        written = sorted(int(f[5:-12]) for f in os.listdir(case.dir)
                         if re.fullmatch(r"ckpt-\d+\.safetensors", f))
        self.assertEqual(written, [2, 4, 6, 8, 10, 12])
        case.run(*common, "--epochs", "4", "--resume", case.path("ckpt-6.safetensors"),
                 "--save", case.path("resumed-mid.safetensors"))
        with open(case.path("full.safetensors"), "rb") as a, \
                open(case.path("resumed-mid.safetensors"), "rb") as b:
            self.assertEqual(a.read(), b.read(), "the run resumed mid-epoch differs")
        other = subprocess.run([case.trainer, *common[:-1], "--batch-size", "5", "--epochs", "4",
                                "--resume", case.path("ckpt.safetensors")],
                               capture_output=True, text=True)
        self.assertEqual(other.returncode, 1)
        self.assertIn("resume with the same data and flags", other.stderr)


class Metrics(unittest.TestCase):
    """eval's top-k accuracy (Keras' SparseTopKCategoricalAccuracy from the
    compile_config) equals numpy's on the trainer's own predictions, for a
    classifier and per token for a sequence model."""

    def check(self, name, k):
        model = copy.deepcopy(cases()[name][0])
        model["compile_config"]["metrics"] = [
            "accuracy", {"module": "keras.metrics", "class_name": "SparseTopKCategoricalAccuracy",
                         "config": {"name": "top", "k": k}, "registered_name": None}]
        case = Case("topk_" + name, model, [])
        out = case.run("eval", "--weights", case.path("w0.safetensors"), *case.data())
        got = float(re.search(rf"top{k}_accuracy ([0-9.]+)", out).group(1))
        x = [a for a in case.data() if a != "--y" and not a.endswith("y.npy")]
        case.run("predict", "--weights", case.path("w0.safetensors"), *x,
                 "--out", case.path("p.npy"))
        p = np.load(case.path("p.npy"))
        label_p = np.take_along_axis(p, case.y[..., None].astype(np.int64), -1)
        ranked_above = (p > label_p).sum(-1)
        self.assertAlmostEqual(got, float((ranked_above < k).mean()), places=4, msg=out)

    def test_top_k_classifier(self):
        self.check("tanh_sce_adam_amsgrad", 2)

    def test_top_k_per_token(self):
        self.check("causal_lm_per_token_sce_adam", 3)


class DataFiles(unittest.TestCase):
    """--npz (np.savez and np.savez_compressed) reads what --x/--y read."""

    def test_npz_matches_npy(self):
        case = Case("npz", *cases()["functional3_shared_merges_adam"])
        want = case.run("eval", "--weights", case.path("w0.safetensors"), *case.data())
        for save in (np.savez, np.savez_compressed):
            path = case.path(f"{save.__name__}.npz")
            save(path, y=case.y, **case.inputs)
            got = case.run("eval", "--weights", case.path("w0.safetensors"), "--npz", path)
            self.assertEqual(got, want, save.__name__)
        bad = subprocess.run([case.trainer, "eval", "--weights", case.path("w0.safetensors"),
                              "--npz", path.replace("savez_compressed", "missing")],
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 1)
        np.savez(case.path("no-y.npz"), **case.inputs)
        bad = subprocess.run([case.trainer, "eval", "--weights", case.path("w0.safetensors"),
                              "--npz", case.path("no-y.npz")], capture_output=True, text=True)
        self.assertIn("no array 'y' or 'labels' (it has: a, b)", bad.stderr)


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


class CodegenChoices(unittest.TestCase):
    """The register tiles change only rounding: a network with matmuls,
    convolutions (im2col and window tiles) and their gradients trains to
    the same losses and weights, within float32 tolerance, with the tiles
    for this host, for AVX2 and SSE targets, and with plain loops."""

    SOURCE = """model net(image: f32[12, 12]) {
  return image
    |> reshape([12, 12, 1])
    |> conv2d(4, 3, padding = same, activation = relu)
    |> max_pool2d(2)
    |> conv2d(6, 3, activation = relu)
    |> flatten
    |> dense(20, activation = relu)
    |> dense(10, activation = softmax)
}
train net {
  loss = sparse_categorical_crossentropy
  optimizer = sgd(lr = 0.05, momentum = 0.9)
}
"""

    def test_tiles_keep_results(self):
        workdir = os.path.join(ARGS.workdir, "codegen_choices")
        os.makedirs(workdir, exist_ok=True)
        source = os.path.join(workdir, "net.sinter")
        with open(source, "w") as f:
            f.write(self.SOURCE)
        rng = np.random.default_rng(5)
        np.save(os.path.join(workdir, "x.npy"), rng.uniform(0, 1, (45, 12, 12)).astype(np.float32))
        np.save(os.path.join(workdir, "y.npy"), rng.integers(0, 10, 45).astype(np.int32))
        runs = {}
        for name, flags in (("host", []), ("plain", ["--register-tiles=false"]),
                            ("avx2", ["--target-cpu=haswell"]),
                            ("sse", ["--target-cpu=x86-64"])):
            trainer = os.path.join(workdir, name)
            subprocess.run([ARGS.sinterc, source, "-o", trainer, *flags], check=True)
            log = os.path.join(workdir, name + ".csv")
            weights = os.path.join(workdir, name + ".safetensors")
            subprocess.run([trainer, "train", "--x", os.path.join(workdir, "x.npy"),
                            "--y", os.path.join(workdir, "y.npy"), "--epochs", "3",
                            "--batch-size", "8", "--seed", "3", "--log-csv", log,
                            "--save", weights, "--quiet"], check=True)
            runs[name] = (np.loadtxt(log, delimiter=",", skiprows=1)[:, 2],
                          safetensors_io.read(weights))
        losses, params = runs.pop("host")
        for name, (other_losses, other_params) in runs.items():
            np.testing.assert_allclose(other_losses, losses, rtol=1e-4,
                                       err_msg=f"{name}: per-step loss")
            for k, v in params.items():
                np.testing.assert_allclose(other_params[k], v, rtol=1e-3, atol=1e-5,
                                           err_msg=f"{name}: final {k}")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--sinterc", required=True)
    parser.add_argument("--workdir", required=True)
    ARGS, rest = parser.parse_known_args()
    for name, spec in cases().items():
        setattr(Training, "test_" + name, make_test(name, *spec))
    run_unittests(rest)


def run_unittests(rest):
    """Runs the module's unittest classes (`rest`: unittest's arguments)
    and exits with the closing line CI reads."""
    result = unittest.main(argv=[sys.argv[0], "-v"] + rest, exit=False).result
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed or not result.testsRun else 0)


if __name__ == "__main__":
    main()
