"""bench/peak.py, the denominator and numerator of bench/run's "% peak":
the multiply-add count of a training step against closed forms (dense,
convolution, attention), and the FMA peak program's output. No timing is
asserted: only that it measures something and reports it.

usage: test_bench_peak.py   (Debian's python3)
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bench"))
from peak import fma_peak, step_flops  # noqa: E402


def training_step(model, x, target):
    def step():
        model.zero_grad()
        out = model(x)
        torch.nn.functional.mse_loss(out, target).backward()
    return step


def check(what, got, want):
    status = "ok  " if got == want else "FAIL"
    print(f"{status} {what}: {got} flops, expected {want}")
    return got == want


def main():
    torch.manual_seed(0)
    ok = True
    # Dense: forward and the weight gradients of both layers, the input
    # gradient of the second only (the input needs none).
    rows, n_in, hidden, n_out = 7, 13, 11, 5
    mlp = torch.nn.Sequential(torch.nn.Linear(n_in, hidden), torch.nn.Tanh(),
                              torch.nn.Linear(hidden, n_out))
    products = n_in * hidden + hidden * n_out
    ok &= check("dense", step_flops(training_step(
        mlp, torch.randn(rows, n_in), torch.randn(rows, n_out))),
        2 * rows * (2 * products + hidden * n_out))
    # Convolution: forward and the filter gradient (the input needs no
    # gradient), each output position times the filter's taps.
    conv = torch.nn.Conv2d(3, 4, 3)
    x = torch.randn(2, 3, 8, 8)
    taps = 3 * 3 * 3
    ok &= check("conv", step_flops(training_step(conv, x, torch.randn(2, 4, 6, 6))),
                2 * 2 * (2 * 4 * 6 * 6 * taps))
    # A second convolution needs its input's gradient as well.
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Conv2d(4, 2, 1))
    second = 2 * 2 * 6 * 6 * 4
    ok &= check("conv input gradient", step_flops(training_step(
        net, x, torch.randn(2, 2, 6, 6))), 2 * (2 * (2 * 4 * 6 * 6 * taps) + 3 * second))
    # Batched products (attention's scores and weighted values).
    a = torch.randn(3, 4, 5, requires_grad=True)
    b = torch.randn(3, 5, 6, requires_grad=True)
    ok &= check("bmm", step_flops(lambda: torch.bmm(a, b).sum().backward()),
                3 * 2 * 3 * 4 * 5 * 6)
    peak = fma_peak(1, tries=1)
    print(f"{'ok  ' if peak > 0 else 'FAIL'} fma_peak: {peak} GFLOP/s on one thread")
    ok &= peak > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
