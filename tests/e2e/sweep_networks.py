"""Random networks of odd sizes, each built for every target CPU and checked
against the float64 PyTorch reference (test_ops.check: forward and every
gradient), and for vectors of no register width built through the stack.

Each network (seeded by its number, so a failure reproduces) is a stack of
Dense layers 9-70 wide (--big: 65-700) or of convolutions of 1-40 channels
into 9-63 filters (--big: 1-90 into 60-140), kernels 1, 3 or 5, same or
valid, some followed by a 2x2 max pool, at a batch of 1, 5, 13, 37 or 70
rows (--big Dense: also 129, 333, 600). Odd sizes make edge tiles of every
width; the register tiles differ by target (AVX-512, AVX2, SSE).
--transformers: pre-norm transformer blocks instead (see transformer()).

A vector wider than a register but not a multiple of one (28 floats, say)
is assembled by LLVM through the stack, one `vinsertps` from `%rsp` per
float: a network at 3 % of peak. Any such instruction in a trainer fails.

usage: sweep_networks.py --sinterc PATH --workdir DIR [--first N] [--count N]
                         [--big] [--transformers]
"""
import argparse
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_ops  # noqa: E402
import test_training  # noqa: E402
from test_training import called, conv, dense, functional3, kt, merge, optimizer, pool, simple  # noqa: E402,E501

TARGETS = [None, "haswell", "x86-64"]


def network(number, big):
    """(input shape, layers, rows, description) of network `number`."""
    r = random.Random(5000 + number)
    if r.random() < 1 / 3:
        widths = [r.randint(65, 700) if big else r.randint(9, 70)
                  for _ in range(r.randint(1, 3))]
        layers = [dense(f"d{i}", w, r.choice(["tanh", None])) for i, w in enumerate(widths)]
        fan_in = r.randint(3, 900 if big else 80)
        rows = r.choice([1, 5, 13, 37, 70] + ([129, 333, 600] if big else []))
        return fan_in, layers, rows, f"dense {fan_in} -> {widths}"
    size, channels = r.randint(6, 20 if big else 14), r.randint(1, 90 if big else 40)
    layers, parts, side = [], [], size
    for i in range(r.randint(1, 2)):
        filters = r.randint(60, 140) if big else r.randint(9, 63)
        kernel = r.choice([1, 3, 5])
        padding = r.choice(["same", "valid"]) if side >= kernel else "same"
        layers.append(conv(f"c{i}", filters, (kernel, kernel), "tanh", padding=padding))
        parts.append(f"{filters} filters {kernel}x{kernel} {padding}")
        if padding == "valid":
            side -= kernel - 1
        if r.random() < 0.4 and side >= 2:
            layers.append(pool("MaxPooling2D", f"p{i}", (2, 2), (2, 2), "valid"))
            parts.append("pool")
            side //= 2
    rows = r.choice([1, 5, 13, 37, 70])
    return (size, size, channels), layers, rows, \
        f"conv {size}x{size}x{channels}: " + ", ".join(parts)


def transformer(number, big):
    """(model, rows, description) of transformer network `number`: a
    pre-norm block (LayerNorm, multi-head attention, residual, LayerNorm,
    GELU MLP, residual) of odd sizes on float positions or on token
    embeddings, flattened into a Dense(2) head. Sequences of 3-70
    positions (--big: 65-200, d_model 65-300, an MLP up to 1200 wide)
    make edge tiles in every product of the attention."""
    r = random.Random((9500 if big else 9000) + number)
    t, d = (r.randint(65, 200), r.randint(65, 300)) if big else \
        (r.randint(3, 70), r.randint(5, 100))
    heads, key_dim = r.randint(1, 6), r.randint(3, 64 if big else 40)
    value_dim = r.choice([None, r.randint(3, 40)])
    ff = r.randint(65, 1200) if big else r.randint(7, 300)
    causal, tokens = r.random() < 0.5, r.random() < 0.4
    eps = {"epsilon": 1e-5}
    if tokens:
        vocab = r.randint(10, 300)
        inputs = [("x", t, "int32")]
        layers = [called(simple("Embedding", "embed", input_dim=vocab, output_dim=d), kt("x")),
                  called(simple("PositionEmbedding", "pos", sequence_length=t), kt("embed"))]
        h = "pos"
    else:
        inputs, layers, h = [("x", [t, d])], [], "x"
    layers += [
        called(simple("LayerNormalization", "ln1", **eps), kt(h)),
        called(simple("MultiHeadAttention", "mha", num_heads=heads, key_dim=key_dim,
                      value_dim=value_dim), (kt("ln1"), kt("ln1")), use_causal_mask=causal),
        called(merge("Add", "res1"), [kt(h), kt("mha")]),
        called(simple("LayerNormalization", "ln2", **eps), kt("res1")),
        called(dense("ff1", ff, "gelu"), kt("ln2")),
        called(dense("ff2", d, None), kt("ff1")),
        called(merge("Add", "res2"), [kt("res1"), kt("ff2")]),
        called(simple("Flatten", "flat"), kt("res2")),
        called(dense("head", 2, None), kt("flat"))]
    model = functional3(inputs, layers, "head", "mse", optimizer("SGD"))
    rows = r.choice([1, 2, 5, 13] if big else [1, 2, 5, 13, 37])
    what = (f"transformer t={t} d={d} heads={heads} key_dim={key_dim} "
            f"value_dim={value_dim} ff={ff} causal={causal} "
            f"{'tokens of ' + str(vocab) if tokens else 'floats'}")
    return model, rows, what


def stack_built_vectors(trainer):
    """How many floats the trainer inserts into vectors from the stack."""
    code = subprocess.run(["objdump", "-d", trainer], check=True, capture_output=True,
                          text=True).stdout
    return sum("insertps" in line and "(%rsp)" in line for line in code.splitlines())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sinterc", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--big", action="store_true")
    parser.add_argument("--transformers", action="store_true")
    args = parser.parse_args()
    test_training.ARGS = args
    passed = failed = 0
    for number in range(args.first, args.first + args.count):
        if args.transformers:
            model, rows, what = transformer(number, args.big)
            kind = "big_transformer" if args.big else "transformer"
        else:
            shape, layers, rows, what = network(number, args.big)
            model, kind = test_ops.sequential(shape, layers), "big" if args.big else "net"
        for cpu in TARGETS:
            flags = [f"--target-cpu={cpu}"] if cpu else []
            name = f"{kind}{number}_{cpu or 'host'}"
            what_here = " ".join([what, f"on {rows} rows", *flags])
            try:
                problem = test_ops.check(name, model, what_here, 1, rows, flags)
            except (subprocess.CalledProcessError, RuntimeError, ValueError) as e:
                problem = f"{what_here}: {e}"
            if not problem:
                built = stack_built_vectors(os.path.join(args.workdir, name, "trainer"))
                if built:
                    problem = f"{what_here}: {built} floats put into vectors from the stack"
            if problem:
                failed += 1
                print(f"FAIL {name}: {problem}", flush=True)
            else:
                passed += 1
                print(f"ok   {name}: {what_here}", flush=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
