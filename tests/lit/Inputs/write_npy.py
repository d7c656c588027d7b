"""Writes a float32 .npy of the given shape (DIMS as 4,3) with values in [-1, 1]."""
import sys

import numpy

path, dims = sys.argv[1], [int(d) for d in sys.argv[2].split(",")]
rng = numpy.random.default_rng(0)
numpy.save(path, rng.uniform(-1, 1, size=dims).astype(numpy.float32))
