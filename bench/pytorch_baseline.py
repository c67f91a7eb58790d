#!/usr/bin/env python3
"""PyTorch baseline for the training issue's speed targets, measured on this machine beside Anvil.

Needs Debian's python3-torch (PyTorch 1.13 on OpenBLAS) and dataset-fashion-mnist; run by bench/compare-pytorch,
which runs `anvil bench` on the same cases right after and prints the ratios. Same recipes as Anvil's bench:
MLP 784-256-128-10 and the CNN (conv 3x3 32, ReLU, max-pool 2, conv 3x3 64, ReLU, max-pool 2, dense 128, 10),
Adam 1e-3, batch 128, cross-entropy; inference of the MLP under no_grad at batch 1 and 256.
Prints one JSON document.
"""
import gzip, json, struct, sys, time
import numpy as np
import torch
import torch.nn as nn

DATA = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        magic, = struct.unpack(">I", f.read(4))
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def train_epoch(model, x, y, batch, max_seconds):
    """Samples/s of one shuffled epoch (cut short after max_seconds: the rate so far)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    perm = torch.randperm(x.shape[0])
    t0 = time.perf_counter()
    done = 0
    for i in range(0, x.shape[0], batch):
        idx_ = perm[i:i + batch]
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x[idx_]), y[idx_]).backward()
        opt.step()
        done += len(idx_)
        if time.perf_counter() - t0 > max_seconds:
            break
    return done / (time.perf_counter() - t0)


def infer(model, batch, seconds=3.0):
    x = torch.rand(batch, 784)
    times = []
    with torch.no_grad():
        end = time.perf_counter() + 0.5
        while time.perf_counter() < end:
            model(x).argmax(1)
        end = time.perf_counter() + seconds
        while time.perf_counter() < end or len(times) < 100:
            t0 = time.perf_counter_ns()
            model(x).argmax(1)
            times.append(time.perf_counter_ns() - t0)
    times.sort()
    p50 = times[len(times) // 2] / 1e3
    p99 = times[min(len(times) - 1, int(np.ceil(len(times) * 0.99)) - 1)] / 1e3
    return {"batch": batch, "p50_us": p50, "p99_us": p99, "samples_per_second": batch / (p50 / 1e6)}


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x = torch.from_numpy(idx(f"{DATA}/train-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    y = torch.from_numpy(idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int64))
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "examples": int(x.shape[0])}
    m = mlp()
    train_epoch(m, x, y, 128, 5.0)  # warm-up
    out["mlp_train_epoch"] = max(train_epoch(m, x, y, 128, 1e9) for _ in range(2))
    c = cnn()
    xc = x.reshape(-1, 1, 28, 28)
    train_epoch(c, xc, y, 128, 3.0)  # warm-up
    out["cnn_train_epoch"] = train_epoch(c, xc, y, 128, 30.0)  # 30 s of the epoch: the rate is steady by then
    m.eval()
    out["mlp_infer"] = [infer(m, 1), infer(m, 256)]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
