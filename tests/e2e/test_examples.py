"""Runs each example the way its README says and checks what it reaches.

usage: test_examples.py BUILD_DIR
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# example: (command, metric on the final line, minimum)
EXAMPLES = {
    "digits-mlp": (["examples/digits-mlp/run"], "val_accuracy", 0.95),
}


def main():
    passed = failed = 0
    for name, (command, metric, minimum) in EXAMPLES.items():
        out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        final = [l for l in out.stdout.splitlines() if l.startswith("final loss")]
        match = re.search(metric + r" ([0-9.]+)", final[-1]) if final else None
        value = float(match.group(1)) if match else None
        ok = out.returncode == 0 and value is not None and value >= minimum
        print(f"{name}: {metric} {value} (needs >= {minimum}): {'ok' if ok else 'FAIL'}")
        if not ok:
            print(out.stdout[-2000:], out.stderr[-2000:])
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
