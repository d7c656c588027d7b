"""The differential tier: every layer family at random shapes and settings,
forward (predict) and every gradient (gradients) against the float64
PyTorch reference of keras_reference.py.

Each trial draws a small Keras model around one layer (seeded by the trial
number, so a failure reproduces), compiles it with sinterc, and compares.

usage: test_ops.py --sinterc PATH --workdir DIR [--trials N]
"""
import argparse
import itertools
import os
import random
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_reference  # noqa: E402
import safetensors_io  # noqa: E402
from test_training import (Case, batchnorm, called, conv, dense, functional3,  # noqa: E402
                           keras3, kt, optimizer, pool, simple)
import test_training  # noqa: E402


def conv_trial(r):
    h, w, c = r.randint(4, 9), r.randint(4, 9), r.randint(1, 4)
    groups = r.choice([g for g in (1, 2, 3) if c % g == 0])
    filters = groups * r.randint(1, 3)
    kernel = (r.randint(1, 3), r.randint(1, 3))
    strides, dilation = (1, 1), (1, 1)
    if r.random() < 0.5:  # Keras: strides > 1 or dilation > 1, not both
        strides = (r.randint(1, 3), r.randint(1, 3))
    else:
        dilation = (r.randint(1, 2), r.randint(1, 2))
    fits = all(size >= (k - 1) * dl + 1 for size, k, dl in zip((h, w), kernel, dilation))
    padding = r.choice(["same", "valid"]) if fits else "same"
    layer = conv("conv", filters, kernel, r.choice([None, "relu", "tanh"]), strides,
                 padding, dilation, groups)
    layer["config"]["use_bias"] = r.random() < 0.7
    # A 1x1 convolution first: the trial's input gradient is then computed
    # and checked too (a model's first layer needs none).
    return (h, w, c), [conv("pre", c, (1, 1), "tanh"), layer], (
        f"conv {h}x{w}x{c} filters={filters} kernel={kernel} strides={strides} "
        f"dilation={dilation} groups={groups} padding={padding}")


def pool_trial(r):
    h, w, c = r.randint(3, 9), r.randint(3, 9), r.randint(1, 3)
    size = (r.randint(1, 3), r.randint(1, 3))
    strides = (r.randint(1, 3), r.randint(1, 3))
    cls = r.choice(["MaxPooling2D", "AveragePooling2D"])
    padding = r.choice(["same", "valid"])
    layer = pool(cls, "pool", size, strides, padding)
    # A convolution first, so the pooled values depend on weights.
    return (h, w, c), [conv("pre", 2, (1, 1), "tanh"), layer], \
        f"{cls} on {h}x{w}x{c} pool={size} strides={strides} padding={padding}"


def attention_trial(r):
    t, d = r.randint(2, 6), r.randint(2, 8)
    mha = simple("MultiHeadAttention", "mha", num_heads=r.randint(1, 3),
                 key_dim=r.randint(1, 4), value_dim=r.choice([None, r.randint(1, 4)]),
                 use_bias=r.random() < 0.7)
    causal = r.random() < 0.5
    layers = [called(mha, (kt("x"), kt("x")), use_causal_mask=causal)]
    cfg = mha["config"]
    return t, d, layers, (f"attention t={t} d={d} heads={cfg['num_heads']} "
                          f"key_dim={cfg['key_dim']} value_dim={cfg['value_dim']} "
                          f"bias={cfg['use_bias']} causal={causal}")


def norm_trial(r):
    t, d = r.randint(1, 5), r.randint(2, 8)
    kind = r.random()
    if kind < 0.4:
        layer = simple("LayerNormalization", "norm", epsilon=r.choice([1e-3, 1e-5]),
                       center=r.random() < 0.7, scale=r.random() < 0.7,
                       rms_scaling=r.random() < 0.3)
    elif kind < 0.7:
        layer = simple("RMSNormalization", "norm", epsilon=1e-6)
    else:  # predict: the moving statistics; gradients: the batch's
        layer = batchnorm("norm", epsilon=r.choice([1e-3, 1e-2]),
                          momentum=r.choice([0.99, 0.5]), center=r.random() < 0.7,
                          scale=r.random() < 0.7)
    settings = {k: v for k, v in layer["config"].items()
                if k not in ("name", "trainable", "dtype", "synchronized")
                and not isinstance(v, dict) and v is not None}
    return (t, d), [dense("pre", d, "tanh"), layer], \
        f"{layer['class_name']} on [{t}, {d}] {settings}"


def activation_trial(r):
    t, d = r.randint(1, 4), r.randint(1, 6)
    act = r.choice(["gelu", "gelu_tanh", "silu", "relu", "sigmoid", "tanh", "softmax"])
    return (t, d), [dense("pre", d + 1, act)], f"dense on [{t}, {d}] with {act}"


def embedding_trial(r):
    t, vocab, dim = r.randint(1, 6), r.randint(10, 20), r.randint(1, 6)
    layers = [simple("Embedding", "embed", input_dim=vocab, output_dim=dim)]
    if r.random() < 0.5:
        layers.append(simple("PositionEmbedding", "pos", sequence_length=t))
    return t, layers, f"embedding vocab={vocab} dim={dim} t={t}"


def loss_trial(r):
    """A softmax head under a cross-entropy, whose gradients
    sinter-fuse-softmax-crossentropy computes in one op. Each is also tried
    sharp: the head's kernel scaled up until probabilities clip at Keras'
    1e-7 (and 1 - 1e-7), where the gradient is zero."""
    loss = r.choice(["categorical_crossentropy", "sparse_categorical_crossentropy"])
    classes, d = r.randint(2, 7), r.randint(2, 6)
    shape = (d,)
    if loss.startswith("sparse") and r.random() < 0.5:  # labels per token
        shape = (r.randint(2, 4), d)
    layers = [dense("pre", d, "tanh"), dense("head", classes, "softmax")]
    return shape, layers, loss, f"softmax {classes} classes on {list(shape)} with {loss}"


def sequential(shape, layers):
    """The layers, flattened into a Dense(2) head, trained with MSE."""
    head = [simple("Flatten", "flat", data_format="channels_last"), dense("head", 2, None)]
    return keras3(shape, layers + head, "mse", optimizer("SGD"))


def trials(n):
    for i in range(n):
        r = random.Random(1000 + i)
        shape, layers, what = conv_trial(r)
        yield f"conv_{i}", sequential(shape, layers), what
        shape, layers, what = pool_trial(r)
        yield f"pool_{i}", sequential(shape, layers), what
        shape, layers, what = norm_trial(r)
        yield f"norm_{i}", sequential(shape, layers), what
        shape, layers, what = activation_trial(r)
        yield f"activation_{i}", sequential(shape, layers), what
        t, d, layers, what = attention_trial(r)
        yield f"attention_{i}", functional3(
            [("x", [t, d])], layers + [called(simple("Flatten", "flat"), kt("mha")),
                                       called(dense("head", 2, None), kt("flat"))],
            "head", "mse", optimizer("SGD")), what
        t, layers, what = embedding_trial(r)
        calls = [called(layers[0], kt("tokens"))]
        if len(layers) > 1:
            calls.append(called(layers[1], kt("embed")))
        calls += [called(simple("Flatten", "flat"), kt(calls[-1]["name"])),
                  called(dense("head", 2, None), kt("flat"))]
        yield f"embedding_{i}", functional3([("tokens", t, "int32")], calls, "head", "mse",
                                            optimizer("SGD")), what
        shape, layers, loss, what = loss_trial(r)
        yield f"loss_{i}", keras3(shape, layers, loss, optimizer("SGD")), what
        yield f"loss_{i}_sharp", keras3(shape, layers, loss, optimizer("SGD")), \
            f"{what}, logits x100", 100
    # Products beyond the L2 cache (sinter-tile-contractions: sums and
    # columns in blocks), at a batch whose forward and input-gradient
    # products copy their panels of the right operand into column tiles
    # (900 x 1056 and 900 x 600 results) and at one whose do not; the
    # weight gradients (600 or 512 x 1056) pack at both. The forward sum
    # over 600 terms runs in blocks, the one over 512 in one. tanh: a ReLU
    # kink within rounding of zero would flip a gradient (seen at 900 rows).
    # The AVX2 and SSE tiles (16 and 8 columns, 6 and 4 rows) pack too.
    # 768 -> 1056: the input gradient's panels come straight from the
    # kernel, transposed (its transposing copy runs only at 5 rows). 700:
    # 700-column results (the input gradient's, the first layer's) in
    # tiles of 32 and an edge of 28 split into tiles of 16 and 12.
    narrow = [dense("pre", 64, "tanh"), dense("narrow", 28, "tanh")]
    yield "dense_28_900", sequential(8, narrow), \
        "dense 64 -> 28 on 900 rows (a tile of 16 and one of 12)", 1, 900, []
    # 24 and 28 filters on 3 input channels: window tiles; 28 filters on
    # 24 channels: window tiles too (im2col from 32 channels at stride 2
    # only), on 32 at stride 2: an im2col product whose 28 columns take a
    # tile of 16 and an edge of 12.
    for first, strides in ((24, 1), (32, 2)):
        convs = [conv("pre", 3, (1, 1), "tanh"),
                 conv(f"c{first}", first, (3, 3), "tanh", padding="same"),
                 conv("c28", 28, (3, 3), "tanh", strides=(strides, strides))]
        yield f"conv_{first}_28_filters", sequential((10, 10, 3), convs), \
            f"conv 10x10x3 -> {first} filters (same) -> 28 filters (valid, " \
            f"stride {strides}), 3x3", 1, 5, []
    # The same at 23x23: the 28-filter gradient's sum over the batch runs
    # in blocks of 2 images (98 KiB an image), 2 + 2 + 1 over 5 rows.
    convs = [conv("pre", 3, (1, 1), "tanh"),
             conv("c24", 24, (3, 3), "tanh", padding="same"),
             conv("c28", 28, (3, 3), "tanh")]
    yield "conv_24_28_image_blocks", sequential((23, 23, 3), convs), \
        "conv 23x23x3 -> 24 filters (same) -> 28 filters (valid), 3x3", 1, 5, []
    # One input channel into 24 columns (lenet-caffe's first convolution):
    # a window tile of 16 columns and an edge of 8 read through a static
    # view of the input (lit: tile-contractions.mlir @window_edge); then
    # 20 channels at stride 2 (window tiles reading 2 * j + kw).
    convs = [conv("c20", 20, (5, 5), "tanh"), conv("c7", 7, (5, 5), "tanh", strides=(2, 2))]
    yield "conv_window_edge", sequential((28, 28, 1), convs), \
        "conv 28x28x1 -> 20 filters 5x5 (valid) -> 7 filters 5x5 (stride 2)", 1, 5, []
    # A first layer's filter gradient of few tiles with an edge (8 channels
    # into 24 filters, deep-narrow's: 3 rows of taps x 2 channel groups,
    # each a tile of 16 filters and an edge of 8): the batch in 16 parts,
    # 7 of one row and 9 empty, the tile and its edge summing each part.
    first = [conv("c24", 24, (3, 3), "relu", padding="same")]
    yield "conv_8_to_24_filter_parts", sequential((6, 6, 8), first), \
        "conv 6x6x8 -> 24 filters 3x3 same, on 7 rows", 1, 7, []
    # A filter gradient of many tiles whose 16 partial results fit 1 MiB
    # (24 channels into 48 filters): the batch in 16 parts of 6 or 7 of the
    # 100 rows, each in blocks of 5 images (46 KiB an image), the last cut
    # (5 + 1 or 5 + 2).
    first = [conv("c48", 48, (3, 3), "tanh", padding="same")]
    yield "conv_24_to_48_parts_in_blocks", sequential((12, 12, 24), first), \
        "conv 12x12x24 -> 48 filters 3x3 same, on 100 rows", 1, 100, []
    # Stride-1 input gradients, channels last, whose gather over the padded
    # cotangent would sum mostly zeros: one product per tap instead
    # (inputGradByTaps). lenet-caffe's second convolution (5x5 valid, 8x8
    # into 12x12: 2.25 terms per useful one), 3x3 valid of 16 channels,
    # and 5x5 "same" on 4x4 in 2 groups of 12 channels.
    taps = [conv("pre", 20, (1, 1), "tanh"), conv("c50", 50, (5, 5), "tanh")]
    yield "conv_input_grad_taps", sequential((12, 12, 3), taps), \
        "conv 12x12x3 -> 20 filters 1x1 -> 50 filters 5x5 (valid)", 1, 5, []
    taps = [conv("pre", 16, (1, 1), "tanh"), conv("c12", 12, (3, 3), "tanh")]
    yield "conv_input_grad_taps_3x3", sequential((10, 10, 2), taps), \
        "conv 10x10x2 -> 16 filters 1x1 -> 12 filters 3x3 (valid)", 1, 5, []
    taps = [conv("pre", 24, (1, 1), "tanh"),
            conv("g2", 10, (5, 5), "tanh", padding="same", groups=2)]
    yield "conv_input_grad_taps_groups", sequential((4, 4, 3), taps), \
        "conv 4x4x3 -> 24 filters 1x1 -> 10 filters 5x5 (same, 2 groups)", 1, 5, []
    # 16 channels on 20-column rows: the first two convolutions run
    # channels first, their outputs (with the bias and ReLU) copied back to
    # channels last in rows of a whole AVX-512 vector (two of AVX2's), the
    # second's input gradient copied back masked by the first's ReLU; the
    # third's 32-channel cotangent copied into channels first for its
    # input gradient, 16 channels at a time (sinter-vectorize-narrow-ops'
    # transposing copies: @transpose_into_vector_rows, @transpose_relu_grad,
    # @transpose_out_of_two_vector_rows).
    rows16 = [conv("pre", 3, (1, 1), "tanh"),
              conv("c16", 16, (3, 3), "relu", padding="same"),
              conv("c16b", 16, (3, 3), "relu", padding="same"),
              conv("c32", 32, (3, 3), "tanh", padding="same")]
    # 24 and 20 channels on 28-column rows: rows of a vector and what is
    # left (16 + 8, 16 + 4; @transpose_into_uneven_rows).
    uneven = [conv("pre", 3, (1, 1), "tanh"),
              conv("c24", 24, (3, 3), "relu", padding="same"),
              conv("c20", 20, (3, 3), "relu", padding="same")]
    for flags in ([], ["--target-cpu=haswell"]):
        yield "conv_16_channel_rows" + ("_avx2" if flags else ""), \
            sequential((12, 20, 3), rows16), \
            " ".join(["conv 12x20x3 -> 16 -> 16 -> 32 filters 3x3 (same)", *flags]), \
            1, 5, flags
        yield "conv_uneven_channel_rows" + ("_avx2" if flags else ""), \
            sequential((6, 28, 3), uneven), \
            " ".join(["conv 6x28x3 -> 24 -> 20 filters 3x3 (same)", *flags]), 1, 5, flags
    # A depthwise-separable block (dw-sep's shapes, small): a depthwise 3x3
    # (one channel per group) runs channels first and its output comes
    # back to channels last as a plain [N, G, H, W] transpose; its input
    # gradient comes back masked by the first convolution's ReLU, written
    # into that ReLU's output (an in-place transposing copy); the pointwise
    # 1x1 of 32 channels takes its input gradient as one product; global
    # pools over 6 x 20 = 120 taps fold them in loops (lit:
    # lower-to-linalg.mlir @global_avg_pool_loops).
    for gpool in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        separable = [conv("pre", 32, (1, 1), "relu"),
                     conv("dw", 32, (3, 3), "relu", padding="same", groups=32),
                     conv("pw", 40, (1, 1), "tanh"),
                     simple(gpool, "gpool", data_format="channels_last", keepdims=False)]
        yield f"depthwise_separable_{gpool}", \
            keras3((6, 20, 3), separable + [dense("head", 2, None)], "mse",
                   optimizer("SGD")), \
            f"conv 6x20x3 -> 32 (1x1 relu) -> depthwise 3x3 (relu) -> 40 (1x1) -> {gpool}", \
            1, 5, []
    # AVX2 window tiles of 6 columns over 14: the edge of 2 read a view of
    # the input sized for 6, and its one-channel edge (41 = 5 x 8 + 1
    # filters) became an identity map on views of 2 x 6 and 2 x 2, which
    # the verifier rejects and whose loops ran over 6 columns (sweep
    # network 1053; the cases compile with --verify-each).
    edge = [conv("pre", 4, (1, 1), "tanh"),
            conv("c41", 41, (5, 5), "tanh", padding="same")]
    yield "conv_41_filters_column_edge_avx2", sequential((14, 14, 4), edge), \
        "conv 14x14x4 -> 41 filters 5x5 (same) --target-cpu=haswell", 1, 5, \
        ["--target-cpu=haswell"]
    # Max pools of a few channels whose window's column taps write rows
    # that follow each other: the pool's gradient (with the ReLU's before
    # it) for all of a window's column taps in one masked vector on
    # AVX-512 (sinter-vectorize-narrow-ops, @spread_taps): 2 taps x 6
    # channels (lenet's first pool) in 12 of 16 lanes, 2 x 8 in all 16,
    # and 3 x 3 in 9; with AVX2 a row at a time.
    few = [conv("pre", 3, (1, 1), "tanh"),
           conv("c6", 6, (3, 3), "relu", padding="same"),
           pool("MaxPooling2D", "p6"),
           conv("c8", 8, (3, 3), "relu", padding="same"),
           pool("MaxPooling2D", "p8")]
    three = [conv("pre", 3, (1, 1), "tanh"), pool("MaxPooling2D", "p3", (3, 3))]
    for flags in ([], ["--target-cpu=haswell"]):
        suffix = "_avx2" if flags else ""
        yield "pool_few_channel_taps" + suffix, sequential((12, 12, 1), few), \
            " ".join(["conv 12x12x1 -> 6 (relu), max pool 2x2 -> 8 (relu), "
                      "max pool 2x2", *flags]), 1, 5, flags
        yield "pool_three_channel_taps" + suffix, sequential((9, 9, 2), three), \
            " ".join(["conv 9x9x2 -> 3, max pool 3x3", *flags]), 1, 5, flags
    # 3x3 at stride 1 on 3 to 256 channels: window tiles, those reading
    # over 32 KiB of filter rows (from 40 channels) with their taps outside
    # an image's tiles, each image's result zeroed before its taps.
    wide = [conv("pre", 3, (1, 1), "tanh"),
            conv("c48", 48, (3, 3), "tanh", padding="same"),
            conv("c40", 40, (3, 3), "tanh", padding="same"),
            conv("c256", 256, (3, 3), "tanh", padding="same"),
            conv("c256b", 256, (3, 3), "tanh")]
    yield "conv_wide_channels", sequential((6, 6, 3), wide), \
        "conv 6x6x3 -> 48 -> 40 -> 256 filters (same) -> 256 filters (valid), 3x3", 1, 5, []
    # Strided input gradients with the channels last (8 channels, rows of
    # 6 or 7): one stride-1 window sum per phase of the input's rows and
    # columns. Phases no tap reaches (1x1 at stride 2), uneven phases (7
    # rows at stride 2 and 3), pads cutting the cotangent.
    for kernel, strides, padding in (((3, 3), (2, 2), "same"), ((3, 3), (3, 3), "valid"),
                                     ((1, 1), (2, 2), "valid"), ((2, 3), (2, 1), "same"),
                                     ((5, 4), (3, 2), "same")):
        phased = [conv("pre", 8, (1, 1), "tanh"),
                  conv("c", 5, kernel, "tanh", strides=strides, padding=padding)]
        name = "x".join(map(str, kernel)) + "_s" + "x".join(map(str, strides)) + "_" + padding
        yield f"conv_phases_{name}", sequential((7, 6, 8), phased), \
            f"conv 7x6x8 -> 5 filters {kernel} strides={strides} {padding}", 1, 5, []
    # Strided on more columns than channels: by phases from 8 channels (12
    # columns), along the rows over the spread cotangent with 4; the
    # forward products im2col at any channels.
    for channels in (8, 4):
        strided = [conv("pre", channels, (1, 1), "tanh"),
                   conv("c", 6, (3, 3), "tanh", strides=(2, 2), padding="same")]
        yield f"conv_strided_12x12x{channels}", sequential((12, 12, channels), strided), \
            f"conv 12x12x{channels} -> 6 filters 3x3 strides=2 same", 1, 5, []
    # A pointwise (1x1) convolution of 40 channels: its im2col rows are
    # the input's positions themselves, then a 3x3 one of 24 (window tiles).
    pointwise = [conv("pre", 40, (3, 3), "tanh", padding="same"),
                 conv("pw", 24, (1, 1), "tanh"), conv("c3", 12, (3, 3), "tanh")]
    yield "conv_pointwise_40", sequential((7, 7, 2), pointwise), \
        "conv 7x7x2 -> 40 filters 3x3 same -> 24 filters 1x1 -> 12 filters 3x3", 1, 5, []
    # 60 filters: their windows' column edge split off and tiled on its own
    # (sinter-tile-contractions, splitWideWindowEdge), in the forward
    # convolution and the input gradient into 60 channels. On AVX-512 (the
    # host) 32 + 28 from 64 channels (taps outside the tiles); on AVX2
    # 48 + 12 from 40 channels (taps inside).
    wide = [conv("c60", 60, (3, 3), "tanh", padding="same"),
            conv("c8", 8, (3, 3), "tanh")]
    yield "conv_64_to_60_filters", sequential((8, 8, 64), wide), \
        "conv 8x8x64 -> 60 filters 3x3 same -> 8 filters 3x3", 1, 5, []
    yield "conv_40_to_60_filters_haswell", sequential((8, 8, 40), wide), \
        "conv 8x8x40 -> 60 filters 3x3 same -> 8 filters 3x3 --target-cpu=haswell", \
        1, 5, ["--target-cpu=haswell"]
    # The filter gradient of one input channel into 8 filters with SSE's
    # 8-column tiles (the compiler crashed on it once).
    first = [conv("c8", 8, (5, 5), "tanh", padding="same")]
    yield "conv_1_to_8_filters_x86-64", sequential((12, 12, 1), first), \
        "conv 12x12x1 -> 8 filters 5x5 same --target-cpu=x86-64", 1, 5, \
        ["--target-cpu=x86-64"]
    # lenet's second convolution on AVX2: its input gradient's window
    # tiles of one row by 6 channels, in bands of rows (the middle band's
    # tile loops over rows), the filter values loaded one by one.
    second = [conv("c16", 16, (5, 5), "tanh")]
    yield "conv_6_to_16_haswell", sequential((14, 14, 6), second), \
        "conv 14x14x6 -> 16 filters 5x5 valid --target-cpu=haswell", 1, 5, \
        ["--target-cpu=haswell"]
    # Attention's products on AVX2 with 4 heads, fewer than a tile's 6
    # rows: the rows are 6 positions of 16 and an edge tile of 4.
    mha = simple("MultiHeadAttention", "mha", num_heads=4, key_dim=4, use_bias=True)
    yield "attention_4_heads_haswell", functional3(
        [("x", [16, 8])], [called(mha, (kt("x"), kt("x")), use_causal_mask=True),
                           called(simple("Flatten", "flat"), kt("mha")),
                           called(dense("head", 2, None), kt("flat"))],
        "head", "mse", optimizer("SGD")), \
        "attention t=16 d=8 heads=4 key_dim=4 causal --target-cpu=haswell", 1, 5, \
        ["--target-cpu=haswell"]
    # A weight gradient of 260 Ki elements: with SSE's tiles it packs its
    # left operand's rows but not its right operand's panels; AVX-512 packs
    # both (520 columns: line panels). 300 rows leave 4 past the last whole
    # tile of 8 (tiles of 4 rows) in the other products.
    mid = [dense("pre", 520, "tanh"), dense("mid", 520, "tanh")]
    for cpu in (None, "x86-64"):
        flags = [f"--target-cpu={cpu}"] if cpu else []
        yield f"dense_row_panel_520_300{'_' + cpu if cpu else ''}", sequential(8, mid), \
            " ".join(["dense 520 -> 520 on 300 rows (dW packs X's rows)", *flags]), \
            1, 300, flags
    # Weight gradients over 2100 rows (9 blocks of 256, the last of 52):
    # from 2048 they run in two parts, 4 and 5 blocks, each into its own
    # partial result, then added. 160 columns: unblocked on AVX-512,
    # blocked and packed on AVX2; 520: blocked and packed (the parts' own
    # panels and row tiles) on AVX-512.
    for width, cpu in ((160, None), (160, "haswell"), (520, None)):
        parts = [dense("pre", 96, "tanh"), dense("parts", width, "tanh")]
        flags = [f"--target-cpu={cpu}"] if cpu else []
        yield f"dense_parts_{width}_2100{'_' + cpu if cpu else ''}", sequential(8, parts), \
            " ".join([f"dense 96 -> {width} on 2100 rows (dW in two parts)", *flags]), \
            1, 2100, flags
    # Column edges more than one register wide but not two, split into a
    # register's tile and the rest, each its own sum: 500 columns on
    # AVX-512 (15 tiles of 32, then 16 and 4), 460 on AVX2 (28 of 16, then
    # 8 and 4). Rows of 500 or 460 floats are no whole vectors apart: the
    # products take line panels, the panels' last tile partly filled; at
    # 300 rows every product packs, at 5 the forward one runs by column
    # tiles on threads.
    for width, rows, cpu in ((500, 300, None), (500, 5, None), (460, 300, "haswell")):
        edge = [dense("pre", 136, "tanh"), dense("edge", width, "tanh")]
        flags = [f"--target-cpu={cpu}"] if cpu else []
        yield f"dense_wide_edge_{width}_{rows}{'_' + cpu if cpu else ''}", \
            sequential(8, edge), \
            " ".join([f"dense 136 -> {width} on {rows} rows (split column edge)", *flags]), \
            1, rows, flags
    # Each part runs as groups side by side (up to eight threads): 128 x 512
    # as four groups of 128 columns (fewer rows than columns), 480 x 64 as
    # four groups of 120 rows, each group with its own packed panels; the
    # first layers' 8 x 128 (AVX-512) and 8 x 480 (AVX2) as two groups of
    # columns.
    for shape, cpu in (((128, 512), None), ((128, 512), "haswell"),
                       ((480, 64), None), ((480, 64), "haswell")):
        groups = [dense("pre", shape[0], "tanh"), dense("groups", shape[1], "tanh")]
        flags = [f"--target-cpu={cpu}"] if cpu else []
        yield f"dense_part_groups_{shape[0]}x{shape[1]}{'_' + cpu if cpu else ''}", \
            sequential(8, groups), \
            " ".join([f"dense {shape[0]} -> {shape[1]} on 2100 rows (dW's parts in groups)",
                      *flags]), 1, 2100, flags
    # Weight gradients of few row tiles (96 x 300, 8 x 96) run in parts
    # from 512 rows: over 600 rows each part sums 300 terms (256 and 44).
    few = [dense("pre", 96, "tanh"), dense("few", 300, "tanh")]
    yield "dense_parts_few_rows_600", sequential(8, few), \
        "dense 96 -> 300 on 600 rows (dW of 12 row tiles in two parts)", 1, 600, []
    # A weight gradient of 1024 x 600 (its columns in blocks, its panels
    # and rows packed) with AVX2's and SSE's row tiles: 1024 rows are 170
    # tiles of 6 and a partial last tile of 4 (AVX2), 256 tiles of 4 (SSE).
    deep = [dense("pre", 1024, "tanh"), dense("deep", 600, "tanh")]
    for cpu in ("haswell", "x86-64"):
        yield f"dense_partial_row_tile_{cpu}", sequential(8, deep), \
            f"dense 1024 -> 600 on 40 rows --target-cpu={cpu}", 1, 40, \
            [f"--target-cpu={cpu}"]
    # 103 rows past the last whole row tile: 7 of 8 (AVX-512: tiles of 4,
    # 2 and 1 rows), 1 of 6 (AVX2), 3 of 4 (SSE: 2 and 1).
    odd = [dense("pre", 200, "tanh"), dense("odd", 77, "tanh")]
    for cpu in (None, "haswell", "x86-64"):
        flags = [f"--target-cpu={cpu}"] if cpu else []
        yield f"dense_rest_103{'_' + cpu if cpu else ''}", sequential(8, odd), \
            " ".join(["dense 200 -> 77 on 103 rows", *flags]), 1, 103, flags
    for fan_in, rows, cpu in ((600, 900, None), (600, 5, None), (512, 900, None),
                              (768, 900, None), (768, 5, None),
                              (700, 900, None), (700, 5, None),
                              (768, 900, "haswell"), (600, 900, "x86-64")):
        wide = [dense("pre", fan_in, "tanh"), dense("wide", 1056, "tanh")]
        flags = [f"--target-cpu={cpu}"] if cpu else []
        yield f"dense_blocks_{fan_in}_{rows}{'_' + cpu if cpu else ''}", \
            sequential(8, wide), \
            " ".join([f"dense {fan_in} -> 1056 on {rows} rows", *flags]), 1, rows, flags
    # mnist-mlp's first layer: bias + ReLU on the product's tiles below 309
    # rows, a pass at the end of the schedule that sums 784 terms in blocks
    # from 309 rows (sinter-fuse-epilogues, one nest for both).
    for rows in (128, 400):
        first = [dense("pre", 784, "tanh"), dense("first", 512, "relu")]
        yield f"dense_bias_relu_784_{rows}", sequential(8, first), \
            f"dense 784 -> 512 relu on {rows} rows", 1, rows, []


def check(name, model, what, sharp=1, rows=5, flags=()):
    """Returns None, or what went wrong. `sharp` scales the kernel of a
    layer named "head"; `rows` is the batch; `flags` go to sinterc."""
    case = Case(name, model, list(flags), rows=rows)
    if sharp != 1:
        case.params["head.kernel"] *= sharp
        safetensors_io.write(case.path("w0.safetensors"), case.params)
    # Forward: predictions of the compiled model vs the reference.
    args = []
    for key in case.inputs:
        spec = case.path(f"x-{key}.npy")
        args += ["--x", spec if key == "input" else f"{key}={spec}"]
    case.run("predict", "--weights", case.path("w0.safetensors"), *args,
             "--out", case.path("p.npy"))
    got = np.load(case.path("p.npy"))
    import torch
    params = {k: torch.tensor(v, dtype=torch.float64) for k, v in case.params.items()}
    inputs = {k: torch.tensor(v, dtype=torch.float64) for k, v in case.inputs.items()}
    ref = keras_reference.forward(model, params, inputs).detach().numpy()
    err = relative_error(got, ref)
    if err > 1e-4:
        return f"{what}: forward relative error {err:.2e}"
    # Every gradient.
    case.run("gradients", "--weights", case.path("w0.safetensors"), *case.data(),
             "--out", case.path("g.safetensors"))
    grads = safetensors_io.read(case.path("g.safetensors"))
    seen = keras_reference.PoolRouting()
    _, ref_grads = keras_reference.gradients(model, case.loss, case.params,
                                             case.inputs, case.y, routing=seen)
    if sorted(grads) != sorted(ref_grads):
        return f"{what}: parameters {sorted(grads)} vs {sorted(ref_grads)}"
    if any(relative_error(grads[k], g) > 1e-4 for k, g in ref_grads.items()):
        flips = pool_ties_taken(case, model, grads, seen)
        if flips:
            print(f"note {name}: max-pool windows {flips} tie within float32's "
                  "rounding; Sinter's gradients are float64's with those windows' "
                  "gradient sent to their runner-up", flush=True)
            return None
    float32_grads = None
    for k, g in ref_grads.items():
        err = relative_error(grads[k], g)
        if err <= 1e-4:
            continue
        # Two values of a max pool's window that tie in float32 but not in
        # float64 (tanh saturated, say) send the gradient to another input
        # in float32. Then float32 PyTorch is as far from float64 as Sinter
        # is: the network is ill-conditioned, and Sinter must match float32
        # PyTorch instead (said on stdout, not passed silently).
        if float32_grads is None:
            _, float32_grads = keras_reference.gradients(
                model, case.loss, case.params, case.inputs, case.y, torch.float32)
        torch_err = relative_error(float32_grads[k], g)
        ours = relative_error(grads[k], float32_grads[k])
        if torch_err <= 1e-4 or ours > 1e-4:
            return (f"{what}: gradient of {k} relative error {err:.2e} (float32 PyTorch "
                    f"{torch_err:.2e} from float64, Sinter {ours:.2e} from float32 PyTorch)")
        print(f"note {name}: gradient of {k} ill-conditioned: float32 PyTorch is "
              f"{torch_err:.2e} from float64; Sinter {ours:.2e} from float32 PyTorch",
              flush=True)
    return None


def pool_ties_taken(case, model, grads, seen):
    """The max-pool windows whose two largest values float32 cannot tell
    apart (keras_reference.near_ties of `seen`, the PoolRouting the float64
    reference ran through) such that float64's gradients with those
    windows' gradient sent to their runner-up are within 1e-4 of Sinter's
    `grads`: Sinter's float32 forward took the other value as the max,
    which no summation order can be held to. None when no choice of them
    explains the gradients."""
    ties = keras_reference.near_ties(
        seen, keras_reference.pool_motion(model, case.params, case.inputs))
    for count in range(1, len(ties) + 1):
        for chosen in itertools.combinations(ties, count):
            flips = {}
            for layer, at in chosen:
                flips.setdefault(layer, []).append(at)
            _, ref = keras_reference.gradients(
                model, case.loss, case.params, case.inputs, case.y,
                routing=keras_reference.PoolRouting(flips))
            if all(relative_error(grads[k], g) <= 1e-4 for k, g in ref.items()):
                return list(chosen)
    return None


def relative_error(got, want):
    """Largest difference over the reference's largest magnitude."""
    return np.abs(got - want).max() / max(np.abs(want).max(), 1e-3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sinterc", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--trials", type=int, default=6)
    args = parser.parse_args()
    test_training.ARGS = args
    passed = failed = 0
    for name, model, what, *options in trials(args.trials):
        try:
            problem = check(name, model, what, *options)
        except (subprocess.CalledProcessError, RuntimeError, ValueError) as e:
            problem = f"{what}: {e}"
        if problem:
            failed += 1
            print(f"FAIL {name}: {problem}")
        else:
            passed += 1
            print(f"ok   {name}: {what}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
