#!/usr/bin/env python3
"""Builds the stratified Fashion-MNIST subset embedded in runtime-api (600 training and 100 test images
per class: the first ones of each class in file order), from the files Debian's dataset-fashion-mnist
package installs. Deterministic: running it again gives the same bytes.

    python3 tools/make-fashion-subset.py [/usr/share/datasets/fashion-mnist]
"""
import gzip, struct, sys, os

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
DST = os.path.join(os.path.dirname(__file__), "..", "runtime-api", "src", "main", "resources",
                   "dev", "anvil", "data", "fashion-mnist-subset")

def read(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    rank = magic & 0xFF
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return dims, data[4 + 4 * rank:]

def write(path, dims, payload):
    header = struct.pack(">I", 0x0800 | len(dims)) + struct.pack(">" + "I" * len(dims), *dims)
    # mtime=0 so the file is byte-identical on every run
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
        f.write(header + payload)

for split, per_class in (("train", 600), ("t10k", 100)):
    (n, h, w), pixels = read(os.path.join(SRC, split + "-images-idx3-ubyte.gz"))
    _, labels = read(os.path.join(SRC, split + "-labels-idx1-ubyte.gz"))
    taken = {c: 0 for c in range(10)}
    keep = []
    for i in range(n):
        c = labels[i]
        if taken[c] < per_class:
            taken[c] += 1
            keep.append(i)
    size = h * w
    name = "train" if split == "train" else "test"
    write(os.path.join(DST, name + "-images-idx3-ubyte.gz"), (len(keep), h, w),
          b"".join(pixels[i * size:(i + 1) * size] for i in keep))
    write(os.path.join(DST, name + "-labels-idx1-ubyte.gz"), (len(keep),), bytes(labels[i] for i in keep))
    print(name, len(keep), "images")
