"""The activations' polynomial math (sinter-approximate-math: erf, exp,
tanh) against float64 PyTorch, value by value, with bounds of a few units in
the last place; test_ops.py's tolerance (1e-4 of the largest value) would
let a wrong coefficient through.

Each activation runs in a dense layer whose kernel is the identity and whose
bias is zero: x * 1 and the sums of zeros are exact, so the layer's output
is the activation of the input as computed. The inputs: a dense grid over
[-10, 10], the extremes, and +-0.

usage: test_math_accuracy.py --sinterc PATH --workdir DIR
"""
import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

WIDTH = 256

# activation: (float64 reference, relative bound in units of f32's epsilon
# (2^-23), absolute bound in the same units times |x| (functions of the
# form x * f(x) whose f is near 1 + erf(...) or 1 + tanh(...): the sum
# cancels for negative x, so the error is a few ulps of 1 times x)).
def _reference(torch):
    return {
        "gelu": (lambda x: torch.nn.functional.gelu(x), 4, 4),
        "gelu_tanh": (lambda x: torch.nn.functional.gelu(x, approximate="tanh"), 4, 4),
        "sigmoid": (torch.sigmoid, 4, 0),
        "tanh": (torch.tanh, 4, 0),
        "silu": (torch.nn.functional.silu, 4, 0),
    }


def inputs():
    grid = np.linspace(-10, 10, 200001, dtype=np.float32)
    small = np.float32(2.0) ** -np.arange(1, 126, dtype=np.float32)
    extremes = np.array([0.0, -0.0, 1e-30, -1e-30, 3.9999, 4.0, 4.0001, 30, -30,
                         np.finfo(np.float32).max, -np.finfo(np.float32).max],
                        dtype=np.float32)
    x = np.concatenate([grid, small, -small, extremes])
    rows = -(-len(x) // WIDTH)
    return np.resize(x, rows * WIDTH).reshape(rows, WIDTH)


def check(args, name, reference, rel, per_x):
    import torch
    work = os.path.join(args.workdir, name)
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "model.sinter")
    with open(model, "w") as f:
        f.write(f"model m(x: f32[{WIDTH}]) {{\n"
                f"  return x |> dense({WIDTH}, activation = {name})\n}}\n")
    trainer = os.path.join(work, "trainer")
    subprocess.run([args.sinterc, model, "--loss", "mean_squared_error",
                    "--optimizer", "sgd", "-o", trainer], check=True)
    weights = os.path.join(work, "w.safetensors")
    safetensors_io.write(weights, {"dense.kernel": np.eye(WIDTH, dtype=np.float32),
                                   "dense.bias": np.zeros(WIDTH, np.float32)})
    x = inputs()
    np.save(os.path.join(work, "x.npy"), x)
    out = os.path.join(work, "p.npy")
    subprocess.run([trainer, "predict", "--weights", weights, "--x",
                    os.path.join(work, "x.npy"), "--out", out], check=True)
    got = np.load(out).astype(np.float64)
    ref = reference(torch.tensor(x, dtype=torch.float64)).numpy()
    eps = float(np.finfo(np.float32).eps)
    bound = rel * eps * np.abs(ref) + per_x * eps * np.abs(x) + np.finfo(np.float32).tiny
    bad = ~(np.abs(got - ref) <= bound)  # NaN counts as bad
    share = np.where(bad, np.inf, np.abs(got - ref) / bound)
    worst = np.unravel_index(np.argmax(share), x.shape)
    summary = (f"{name}: closest to the bound at x = {x[worst]!r}: {got[worst]!r} "
               f"against {ref[worst]!r} ({share[worst]:.2f} of it)")
    if bad.any():
        at = np.unravel_index(np.argmax(bad), x.shape)
        return f"{summary}; {bad.sum()} values out of bounds, first at x = " \
               f"{x[at]!r}: {got[at]!r} against {ref[at]!r}"
    print(f"ok   {summary}")
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sinterc", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    import torch
    references = _reference(torch)
    failed = 0
    for name, (reference, rel, per_x) in references.items():
        problem = check(args, name, reference, rel, per_x)
        if problem:
            failed += 1
            print(f"FAIL {problem}")
    print(f"{len(references) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
