"""How close to the machine's limit: its fp32 FMA peak, measured in the
same run (bench/fma_peak.cpp), and the multiply-add work of a training
step, counted on PyTorch's side of the same step.

The issue's targets are fractions of the peak (GEMMs at 80 % on large
shapes, mnist-mlp's step at 60 %, gpt-mini's at 45 %). On a shared
virtual machine the peak itself moves by the minute (docs/performance.md:
121-266 GFLOP/s on two threads between sessions), so it is measured
beside the numbers it divides.
"""
import os
import subprocess
import tempfile

import torch
from torch.utils._python_dispatch import TorchDispatchMode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fma_peak(threads, march="native", tries=3):
    """GFLOP/s of `threads` threads of FMAs at `march`'s vector width: the
    best of `tries` runs (the host only ever slows it down)."""
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "fma_peak")
        subprocess.run(["c++", "-O2", f"-march={march}", "-ffp-contract=fast",
                        "-std=c++17", "-pthread",
                        os.path.join(ROOT, "bench", "fma_peak.cpp"), "-o", exe],
                       check=True)
        return max(float(subprocess.run([exe, str(threads)], check=True,
                                        capture_output=True, text=True).stdout)
                   for _ in range(tries))


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class MultiplyAdds(TorchDispatchMode):
    """Counts the floating-point operations (two per multiply-add) of the
    matrix products and convolutions PyTorch runs, forward and backward,
    while active. Elementwise work (activations, norms, the optimizer) is
    not counted: the peak is that of the FMA units."""

    def __init__(self):
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        aten = torch.ops.aten
        if func is aten.mm.default:
            a, b = args
            self.flops += 2 * a.shape[0] * a.shape[1] * b.shape[1]
        elif func is aten.addmm.default:
            a, b = args[1], args[2]
            self.flops += 2 * a.shape[0] * a.shape[1] * b.shape[1]
        elif func is aten.bmm.default:
            a, b = args
            self.flops += 2 * a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]
        elif func is aten.baddbmm.default:
            a, b = args[1], args[2]
            self.flops += 2 * a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]
        elif func is aten.convolution.default:
            weight = args[1]
            self.flops += 2 * _numel(out.shape) * _numel(weight.shape[1:])
        elif func is aten.convolution_backward.default:
            grad_out, weight, mask = args[0], args[2], args[-1]
            # The input gradient and the filter gradient each cost a
            # forward pass; the bias gradient is a sum.
            self.flops += (2 * _numel(grad_out.shape) * _numel(weight.shape[1:])
                           * (int(mask[0]) + int(mask[1])))
        return out


def step_flops(step):
    """The multiply-add flops of one call of `step` (a training step)."""
    with MultiplyAdds() as count:
        step()
    return count.flops
