"""Reads and writes float32 safetensors files for the tests, independently of
the runtime's C++ implementation.

As a script: safetensors_io.py PATH NAME=DIMS... writes tensors whose values
are 0.1 * index (for shape and name error tests).
"""
import json
import struct
import sys

import numpy as np


def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(np.shape(tensors[name])),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(blob[8 + n + b:8 + n + end], "<f4").reshape(e["shape"])
    return out


if __name__ == "__main__":
    tensors = {}
    for spec in sys.argv[2:]:
        name, dims = spec.split("=")
        shape = [int(d) for d in dims.split(",")]
        tensors[name] = (0.1 * np.arange(np.prod(shape))).reshape(shape)
    write(sys.argv[1], tensors)
