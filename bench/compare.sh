#!/usr/bin/env bash
# compare.sh — memtrain's throughput beside PyTorch's on the same batch-1 MLP.
#
# Runs `memtrain bench` (float twin, 2pcm, 2pcm3t1c; 1 and 2 threads; training and
# inference) and bench/pytorch_mlp.py (the same 784-250-10 network, batch-1 SGD, on
# the CPU), then prints the ratios the performance goals are stated in.  JSON lines of
# both go to bench/results/ (one file per run, named by date).
# usage: bench/compare.sh [--examples N] [--repeats N]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
memtrain=${MEMTRAIN:-$here/../build/memtrain}
examples=20000 repeats=5
while [ $# -gt 0 ]; do
    case $1 in
    --examples) examples=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    *) echo "usage: $0 [--examples N] [--repeats N]" >&2; exit 2 ;;
    esac
done
mkdir -p "$here/results"
stamp=$(date +%Y%m%d-%H%M%S)
mt_json=$here/results/memtrain-$stamp.jsonl
pt_json=$here/results/pytorch-$stamp.jsonl
"$memtrain" bench --examples "$examples" --warmup 40000 --repeats "$repeats" --json "$mt_json"
/usr/bin/python3 "$here/pytorch_mlp.py" --examples "$examples" --repeats "$repeats" > "$pt_json"
/usr/bin/python3 - "$mt_json" "$pt_json" <<'PY'
import json, sys
mt = [json.loads(l) for l in open(sys.argv[1])]
pt = {r["threads"]: r["examples_per_s"] for r in map(json.loads, open(sys.argv[2]))}
rate = {(r["mode"], r["cell"], r["threads"]): r["examples_per_s"] for r in mt}
print("\nPyTorch %s batch-1 training: %s" % (json.loads(open(sys.argv[2]).readline())["version"],
      ", ".join("%d thread(s) %.0f ex/s" % (t, v) for t, v in sorted(pt.items()))))
for t in (1, 2):
    f, a = rate[("train", "float", t)], rate[("train", "2pcm3t1c", t)]
    print("%d thread(s): float twin / PyTorch = %.1fx;  2pcm3t1c time / float time = %.2fx" % (t, f / pt[min(pt, key=lambda k: abs(k - t))], f / a))
for cell in ("float", "2pcm", "2pcm3t1c"):
    print("%-9s 2 threads / 1 thread = %.2fx" % (cell, rate[("train", cell, 2)] / rate[("train", cell, 1)]))
PY
