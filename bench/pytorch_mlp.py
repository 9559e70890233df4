#!/usr/bin/python3
"""PyTorch (CPU) reference for `memtrain bench`: the same batch-1 SGD on the same MLP.

784-250-10, sigmoid hidden layer, softmax + cross-entropy, plain SGD with lr 0.1, one
example per step, real MNIST images from data/mnist.  Written the way a PyTorch user
would write it (nn.Linear, CrossEntropyLoss, optim.SGD), which is what memtrain's float
twin is compared against.  Prints one JSON object per thread count:
    {"framework": "pytorch", "threads": N, "examples_per_s": ..., "runs": [...]}

usage: bench/pytorch_mlp.py [--examples N] [--warmup N] [--repeats N] [--threads 1,2]
Needs Debian's python3-torch (make deps installs it) and runs with /usr/bin/python3.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch


def load_mnist(directory, limit):
    with gzip.open(os.path.join(directory, "train-images-idx3-ubyte.gz"), "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803, "not an IDX image file"
        n = min(n, limit)
        x = np.frombuffer(f.read(n * rows * cols), dtype=np.uint8).reshape(n, rows * cols)
    with gzip.open(os.path.join(directory, "train-labels-idx1-ubyte.gz"), "rb") as f:
        magic, count = struct.unpack(">II", f.read(8))
        assert magic == 0x801, "not an IDX label file"
        y = np.frombuffer(f.read(n), dtype=np.uint8)
    return torch.from_numpy(x.astype(np.float32) / 255.0), torch.from_numpy(y.astype(np.int64))


def run_once(x, y, warmup, examples):
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(784, 250), torch.nn.Sigmoid(), torch.nn.Linear(250, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    n = x.shape[0]
    rows = [x[i:i + 1] for i in range(n)]  # batch-1 views, made before timing
    labels = [y[i:i + 1] for i in range(n)]

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(rows[i % n]), labels[i % n])
        loss.backward()
        opt.step()

    for i in range(warmup):
        step(i)
    start = time.perf_counter()
    for i in range(warmup, warmup + examples):
        step(i)
    return examples / (time.perf_counter() - start)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=20000)
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--data", default=os.path.join(here, "..", "data", "mnist"))
    args = ap.parse_args()
    x, y = load_mnist(args.data, args.warmup + args.examples)
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        runs = [run_once(x, y, args.warmup, args.examples) for _ in range(args.repeats)]
        print(json.dumps({"framework": "pytorch", "version": torch.__version__, "threads": threads,
                          "examples_per_s": sorted(runs)[len(runs) // 2], "runs": runs,
                          "network": "784-250-10", "batch": 1}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
