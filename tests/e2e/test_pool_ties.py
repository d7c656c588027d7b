"""The reference's max-pool near ties (keras_reference.near_ties,
pool_motion, PoolRouting, test_ops.pool_ties_taken), which let
test_ops.check accept a gradient that went to the other of two window
values float32 cannot tell apart, and nothing else. No compiler is
involved: the "Sinter" gradients here are the reference's own, with the
tie taken either way or disturbed.

A 1x1 convolution of two channels (kernel [1, 1], so its output is
x0 + x1) into a 2x2 max pool and test_ops' Dense head: window (0, 0) of
the pool holds 0.5 (0.3 + 0.2) and 0.5 + 1e-9 (0.1 + 0.4 + 1e-9), so
float64 sends the gradient to the second, float32 may send it to either,
and the convolution's kernel gradient tells which: taking the first adds
g * ((0.3, 0.2) - (0.1, 0.4)) to it, g the window's gradient. Window
(0, 2) ties exactly (0.75 from the same inputs twice), closer than (0, 0),
but its two values move alike with the kernel: near_ties leaves it out
(taking either moves nothing), while it ranked first when ties were
ranked by their gap alone.

usage: test_pool_ties.py   (Debian's python3)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_reference  # noqa: E402
import test_ops  # noqa: E402
import test_training  # noqa: E402
from test_training import conv, pool  # noqa: E402


class Case:
    """What test_ops.pool_ties_taken reads of a compiled case."""


def check(what, ok):
    print(f"{'ok  ' if ok else 'FAIL'} {what}", flush=True)
    return ok


def main():
    model = test_ops.sequential((2, 6, 2), [conv("c", 1, (1, 1)), pool("MaxPooling2D", "p")])
    case = Case()
    case.loss = test_training.loss_name(model, [])
    case.params = {"c.kernel": np.ones((1, 1, 2, 1), np.float32),
                   "c.bias": np.zeros(1, np.float32),
                   "head.kernel": np.array([[1.0, 0.5], [-2.0, 0.3], [0.7, -0.4]],
                                           np.float32),
                   "head.bias": np.zeros(2, np.float32)}
    x = np.zeros((1, 2, 6, 2))
    x[0, 0, 0] = [0.3, 0.2]
    x[0, 0, 1] = [0.1, 0.4 + 1e-9]
    x[0, 1, 2:4] = [[0.9, 0.0], [0.1, 0.1]]  # window (0, 1): 0.9 against 0.2, no tie
    x[0, 0, 4:] = [[0.5, 0.25], [0.5, 0.25]]  # window (0, 2): an exact tie that moves alike
    case.inputs = {"input": x}
    case.y = np.array([[1.0, 0.0]])

    seen = keras_reference.PoolRouting()
    _, plain = keras_reference.gradients(model, case.loss, case.params, case.inputs, case.y,
                                         routing=seen)
    tie = [("p", (0, 0, 0, 0))]
    motion = keras_reference.pool_motion(model, case.params, case.inputs)
    ties = keras_reference.near_ties(seen, motion)
    ok = check(f"near_ties finds the one tie whose choice moves the gradients: {ties}",
               ties == tie)
    _, flipped = keras_reference.gradients(model, case.loss, case.params, case.inputs,
                                           case.y, routing=keras_reference.PoolRouting(
                                               {"p": [(0, 0, 0, 0)]}))
    moved = (flipped["c.kernel"] - plain["c.kernel"]).flatten()
    ok &= check(f"the flip moves the kernel's gradient by g * (0.2, -0.2): {moved}",
                abs(moved[0]) > 1e-3 and np.isclose(moved[0], -moved[1]))
    ok &= check("the plain gradients need no flip",
                test_ops.pool_ties_taken(case, model, plain, seen) is None)
    ok &= check("the flipped gradients are explained by the tie",
                test_ops.pool_ties_taken(case, model, flipped, seen) == tie)
    disturbed = dict(flipped, **{"head.bias": flipped["head.bias"] * 1.01})
    ok &= check("a gradient off elsewhere is not",
                test_ops.pool_ties_taken(case, model, disturbed, seen) is None)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
