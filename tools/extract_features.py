#!/usr/bin/python3
"""Extract 2,048-d ResNet-50 features from CIFAR-10/100 for memtrain's transfer-learning presets.

The paper trains CIFAR-10 and CIFAR-100 as transfer learning: the fully connected layer
runs on analogue memory, on features of a convolutional network pre-trained elsewhere.
This script produces those features: it reads the CIFAR binary files, upsamples each
32x32 image to 224x224, normalises it with the ImageNet statistics and keeps the output
of ResNet-50's global average pool (2,048 values per image).  It writes, into --out:

    train_features.npy  float32, N_train x 2048      train_labels.npy  uint8, N_train
    test_features.npy   float32, N_test x 2048       test_labels.npy   uint8, N_test

which `memtrain train --preset cifar10 --data DIR` (or cifar100) reads.

Pre-trained weights cannot be downloaded by this script (memtrain never downloads at run
time): pass the file torchvision would download, e.g.
    --weights resnet50-0676ba61.pth      (ResNet50_Weights.IMAGENET1K_V1)
Without --weights the network keeps its random initialisation: the pipeline works, but the
features are not meaningful (accuracies will be near chance); a warning says so.

Usage:
    tools/extract_features.py --cifar DIR --classes 10 --out data/cifar10-features \\
        --weights resnet50-0676ba61.pth [--batch 64] [--threads 2] [--limit N]
DIR holds the CIFAR binary version: data_batch_1.bin ... data_batch_5.bin and
test_batch.bin (CIFAR-10) or train.bin and test.bin (CIFAR-100).  --train FILE/--test FILE
name other files (e.g. data/cifar10-sample/cifar10_train_first200.bin for a smoke test).
Needs Debian's python3-torch and python3-torchvision (make deps); runs on the CPU.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torchvision


def read_cifar(paths, classes, limit):
    """Images (N, 3, 32, 32) uint8 and labels (N,) from CIFAR binary files."""
    record = 3073 if classes == 10 else 3074
    images, labels = [], []
    for path in paths:
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size == 0 or raw.size % record:
            sys.exit(f"{path}: not a CIFAR-{classes} binary file ({raw.size} bytes is not a multiple of {record})")
        rows = raw.reshape(-1, record)
        labels.append(rows[:, record - 3073])  # CIFAR-100: the fine label is the second byte
        images.append(rows[:, record - 3072:].reshape(-1, 3, 32, 32))
    x, y = np.concatenate(images), np.concatenate(labels)
    if y.max() >= classes:
        sys.exit(f"{paths[0]}: label {int(y.max())} is not below {classes}")
    if limit:
        x, y = x[:limit], y[:limit]
    return x, y


def build_model(weights):
    model = torchvision.models.resnet50(weights=None)
    if weights:
        state = torch.load(weights, map_location="cpu")
        model.load_state_dict(state)
    else:
        print("warning: no --weights: ResNet-50 keeps its random initialisation; the features "
              "exercise the pipeline but carry no pre-trained knowledge", file=sys.stderr)
    model.fc = torch.nn.Identity()  # the 2,048-d global-average-pool output
    return model.eval()


def features(model, images, batch):
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    out = np.empty((len(images), 2048), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(images), batch):
            x = torch.from_numpy(images[start:start + batch]).float() / 255.0
            x = torch.nn.functional.interpolate(x, size=224, mode="bilinear", align_corners=False)
            out[start:start + batch] = model((x - mean) / std).numpy()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cifar", help="directory of the CIFAR binary files")
    ap.add_argument("--train", nargs="*", help="training files (default: the standard names in --cifar)")
    ap.add_argument("--test", nargs="*", help="test files (default: the standard names in --cifar)")
    ap.add_argument("--classes", type=int, choices=(10, 100), default=10)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--weights", help="torchvision ResNet-50 state dict (.pth)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--limit", type=int, default=0, help="use the first N images of each split")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.classes == 10:
        train = args.train or [os.path.join(args.cifar, f"data_batch_{i}.bin") for i in range(1, 6)]
        test = args.test or [os.path.join(args.cifar, "test_batch.bin")]
    else:
        train = args.train or [os.path.join(args.cifar, "train.bin")]
        test = args.test or [os.path.join(args.cifar, "test.bin")]
    for path in train + test:
        if not os.path.isfile(path):
            sys.exit(f"{path}: no such file (download the CIFAR-{args.classes} binary version)")
    os.makedirs(args.out, exist_ok=True)
    model = build_model(args.weights)
    for split, paths in (("train", train), ("test", test)):
        x, y = read_cifar(paths, args.classes, args.limit)
        start = time.time()
        f = features(model, x, args.batch)
        np.save(os.path.join(args.out, f"{split}_features.npy"), f)
        np.save(os.path.join(args.out, f"{split}_labels.npy"), y.astype(np.uint8))
        print(f"{split}: {len(y)} images -> {f.shape[1]} features each ({time.time() - start:.1f} s)")


if __name__ == "__main__":
    main()
