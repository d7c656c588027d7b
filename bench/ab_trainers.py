#!/usr/bin/python3
"""Compares two compiled trainers of one network on a noisy host: both run at
once, one thread each, each pinned to its own CPU, and the CPUs swap every
round, so both see the same phase of the host (this VM's speed moves by 15 %
from minute to minute; runs one after the other could not tell 3 % apart).
Prints each region's median us/step (of --profile) for A and B and B/A as the
geometric mean over the rounds, which cancels what one CPU is faster than
the other. No PyTorch here: bench/run compares against it.

usage: ab_trainers.py A B --x X.npy --y Y.npy --batch-size N
                      [--epochs E] [--rounds R]
"""
import argparse
import collections
import re
import statistics
import subprocess


def run(trainer, cpu, args):
    return subprocess.Popen(
        ["taskset", "-c", str(cpu), trainer, "train", "--x", args.x, "--y", args.y,
         "--batch-size", str(args.batch_size), "--epochs", str(args.epochs),
         "--no-shuffle", "--quiet", "--time", "--threads", "1", "--profile"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def regions(out):
    """us/step of each region of a --profile output, and of the whole step."""
    found = {}
    for line in out.splitlines():
        m = re.match(r"\s+([0-9.]+)\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+(\S+)$", line)
        if m:
            found[m.group(2)] = float(m.group(1))
    step = re.search(r"median ([0-9.]+) ms/step", out)
    if not step:
        raise SystemExit(f"no timing in the trainer's output:\n{out}")
    found["(step)"] = float(step.group(1)) * 1000
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--x", required=True)
    parser.add_argument("--y", required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    times = collections.defaultdict(list)
    for r in range(args.rounds):
        cpu_a, cpu_b = (0, 1) if r % 2 == 0 else (1, 0)
        pa, pb = run(args.a, cpu_a, args), run(args.b, cpu_b, args)
        ta, tb = regions(pa.communicate()[0]), regions(pb.communicate()[0])
        for name in ta.keys() & tb.keys():
            times[name].append((ta[name], tb[name]))
    print(f"{'region':60s} {'A us':>9s} {'B us':>9s} {'B/A':>6s}")
    for name, pairs in sorted(times.items(), key=lambda kv: -statistics.median(a for a, _ in kv[1])):
        a = statistics.median(x for x, _ in pairs)
        if a < 5:
            continue
        ratio = statistics.geometric_mean([y / x for x, y in pairs])
        print(f"{name[:60]:60s} {a:9.1f} {statistics.median(y for _, y in pairs):9.1f} "
              f"{ratio:6.3f}")


if __name__ == "__main__":
    main()
