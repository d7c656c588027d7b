"""Writes a float32 safetensors file: NAME=DIMS arguments, values 0.1 * i."""
import json
import struct
import sys

path, specs = sys.argv[1], sys.argv[2:]
header, blobs, offset = {}, [], 0
for spec in specs:
    name, dims = spec.split("=")
    shape = [int(d) for d in dims.split(",")]
    count = 1
    for d in shape:
        count *= d
    data = struct.pack("<%df" % count, *[0.1 * i for i in range(count)])
    header[name] = {"dtype": "F32", "shape": shape,
                    "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
