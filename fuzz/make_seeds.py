#!/usr/bin/env python3
"""make_seeds.py — write the hand-made seed inputs of every harness into
fuzz/corpus/<harness>/ (files named seed-*) and the libFuzzer dictionaries
fuzz/<harness>.dict.  The committed corpora are these seeds merged with what
fuzzing found (make fuzz FUZZ_MERGE=1), so after a merge most seeds carry
libFuzzer's hash names instead.

usage: python3 fuzz/make_seeds.py [path/to/memtrain]   (default build/memtrain)
The memtrain binary writes the configuration and checkpoint seeds."""
import gzip
import os
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
CHECKPOINT_VERSION = 3  # src/train/checkpoint.c
MEMTRAIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "memtrain")


def put(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def idx(dims, payload=None, type_code=0x08):
    n = 1
    for x in dims:
        n *= x
    if payload is None:
        payload = bytes((i * 37) % 256 for i in range(n))
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", x) for x in dims) + payload


def gz(data):
    return gzip.compress(data, mtime=0)


def idx_seeds():
    labels = idx([6], bytes([0, 1, 2, 9, 3, 7]))
    images = idx([6, 2, 3])
    put("fuzz_idx", "seed-labels", b"\x00" + labels)
    put("fuzz_idx", "seed-images", b"\x00" + images)
    put("fuzz_idx", "seed-4dims", b"\x00" + idx([2, 1, 2, 3]))
    put("fuzz_idx", "seed-harness-gzip", b"\x01" + images)
    put("fuzz_idx", "seed-harness-gzip-cut", b"\x13" + images)
    put("fuzz_idx", "seed-file-gzip", b"\x00" + gz(labels))
    put("fuzz_idx", "seed-truncated", b"\x00" + idx([10], bytes(5)))
    put("fuzz_idx", "seed-trailing", b"\x00" + idx([3], bytes(5)))
    put("fuzz_idx", "seed-int32-type", b"\x00" + idx([2], bytes(8), 0x0C))
    put("fuzz_idx", "seed-huge-dims", b"\x00" + bytes([0, 0, 8, 3]) + struct.pack(">III", 60000, 60000, 60000))
    put("fuzz_idx", "seed-empty", b"\x00")
    # dataset mode: u16 length of the image file, image file, label file
    pair = struct.pack("<H", len(images)) + images + labels
    put("fuzz_idx", "seed-dataset", b"\x04" + pair)
    put("fuzz_idx", "seed-dataset-gzip-limit3", b"\x35" + pair)
    bad_label = idx([6], bytes([0, 1, 2, 10, 3, 7]))
    put("fuzz_idx", "seed-dataset-bad-label", b"\x04" + struct.pack("<H", len(images)) + images + bad_label)
    # a 1.2 MB payload in 1.2 KB of gzip: the payload buffer grows past its first 1 MiB chunk
    put("fuzz_idx", "seed-gzip-1.2MB-payload", b"\x00" + gz(idx([1200000], bytes(1200000))))
    mnist_labels = os.path.join(ROOT, "data", "mnist", "t10k-labels-idx1-ubyte.gz")
    if os.path.exists(mnist_labels):
        with open(mnist_labels, "rb") as f:
            put("fuzz_idx", "seed-mnist-t10k-labels-gz", b"\x00" + f.read())


def csv_seeds():
    with gzip.open(os.path.join(ROOT, "data", "uci-optdigits-8x8", "digits.csv.gz"), "rt") as f:
        lines = [next(f) for _ in range(5)]
    put("fuzz_csv", "seed-1-line", lines[0])
    put("fuzz_csv", "seed-3-lines", "".join(lines[:3]))
    put("fuzz_csv", "seed-gzip-5-lines", gz("".join(lines).encode()))
    put("fuzz_csv", "seed-crlf-blank-spaces",
        lines[0].rstrip("\n") + "\r\n\r\n  \n" + lines[1].rstrip("\n").replace(",", " , ") + "\r\n")
    put("fuzz_csv", "seed-no-final-newline", lines[0] + lines[1].rstrip("\n"))
    put("fuzz_csv", "seed-label-10", lines[0].rsplit(",", 1)[0] + ",10\n")
    put("fuzz_csv", "seed-feature-17", "17" + lines[0][lines[0].index(","):])
    put("fuzz_csv", "seed-signs", "+0,-0," + lines[0].split(",", 2)[2])
    put("fuzz_csv", "seed-short-line", "1,2,3\n")
    put("fuzz_csv", "seed-empty", "")
    # one 1.1 MB line in 1 KB of gzip: the line-length limit (1 MiB for 64 features)
    put("fuzz_csv", "seed-gzip-1.1MB-line", gz(b"0," * 550000 + b"0\n"))


def run(args):
    return subprocess.run([MEMTRAIN] + args, check=True, capture_output=True, text=True).stdout


def config_seeds():
    put("fuzz_config", "seed-defaults.cfg", run(["params", "--config"]))
    put("fuzz_config", "seed-digits-2pcm.cfg",
        run(["params", "--config", "--preset", "digits", "--set", "cell.kind=2pcm"]))
    put("fuzz_config", "seed-preset.cfg", 'preset = "digits";\nnet = { hidden = "16,8"; activation = "relu"; };\n')
    put("fuzz_config", "seed-small.cfg",
        "# comment\ncap = { tau_s = 0.5; sigma_g_uS = 1.0; };\n"
        "transfer = { polarity_inversion = false; interval = 4000L; };\n"
        'train = { seed = "18446744073709551615"; lr = 1e-2; };\n')
    put("fuzz_config", "seed-errors.cfg", "cap = { tau_s = -1.0; };\n")
    put("fuzz_config", "seed-unknown.cfg", "cap = { nope = 1; };\nfoo = 3;\n")
    put("fuzz_config", "seed-types.cfg",
        'pcm = { drift = true; g_max_uS = 25; };\ndata = { dataset = "mnist"; dir = "a\\"b\\\\c"; };\n'
        "periph = { adc_bits = 8; out_bound = 1.5e1; };\nlist = ( 1, 2 );\narr = [ 1, 2 ];\n")
    put("fuzz_config", "seed-invalid-cross.cfg", "cap = { v_min_V = 0.9; };\n")


def checkpoint_seeds():
    with tempfile.TemporaryDirectory() as tmp:
        runs = {
            "seed-digits-h8.ckpt": ["--set", "net.hidden=8"],
            "seed-digits-2pcm-notwin.ckpt": ["--set", "net.hidden=4", "--cell", "2pcm", "--no-twin"],
            "seed-digits-float-2layers.ckpt": ["--set", "net.hidden=4,3", "--cell", "float"],
            "seed-digits-nohidden-pulse.ckpt": ["--set", "net.hidden=", "--pulse-stats", "--no-twin"],
        }
        for name, extra in runs.items():
            path = os.path.join(tmp, name)
            run(["train", "--preset", "digits", "--epochs", "1", "--quiet", "--checkpoint", path] + extra)
            with open(path, "rb") as f:
                put("fuzz_checkpoint", name, f.read())


def with_crc(ckpt):
    """ckpt with the CRC in its "end" record (u32 name length, "end", u64 length 4,
    u32 CRC: src/train/checkpoint.c) recomputed over everything before that record."""
    trailer = 4 + 3 + 8 + 4
    body = ckpt[:-trailer]
    return body + ckpt[-trailer:-4] + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def patch_tile_scalar(ckpt, index, value):
    """Set scalars[index] of the first tile record of a checkpoint and
    recompute the CRC, so the reader gets past the checksum to the field."""
    name = b"scalars"
    at = ckpt.index(struct.pack("<I", len(name)) + name) + 4 + len(name)
    (n,) = struct.unpack_from("<Q", ckpt, at)
    assert n == 7 * 8
    data = bytearray(ckpt)
    struct.pack_into("<d", data, at + 8 + 8 * index, value)
    return with_crc(bytes(data))


def with_version(ckpt, version):
    """The same checkpoint records under another format version, CRC recomputed:
    keeps a reproducer that is about the records, not the version, reaching them."""
    return with_crc(ckpt[:8] + struct.pack("<I", version) + ckpt[12:])


def regression_inputs():
    """Rebuild the hand-made reproducers under fuzz/regressions/ that depend on
    the checkpoint format (rerun after CHECKPOINT_VERSION changes)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "float.ckpt")
        run(["train", "--preset", "digits", "--epochs", "1", "--quiet", "--cell", "float",
             "--set", "net.hidden=", "--no-twin", "--checkpoint", path])
        with open(path, "rb") as f:
            ckpt = f.read()
    d = os.path.join(ROOT, "fuzz", "regressions", "fuzz_checkpoint")
    os.makedirs(d, exist_ok=True)
    # scalars[6] is the tile's polarity: 1e300 once made (int) conversion UB
    with open(os.path.join(d, "polarity-float-cast-overflow.ckpt"), "wb") as f:
        f.write(patch_tile_scalar(ckpt, 6, 1e300))
    # the parameter-record reproducers: only their version field needs updating
    for name in ("include-directory-exits.ckpt", "libconfig-string-token-leak.ckpt"):
        with open(os.path.join(d, name), "rb") as f:
            old = f.read()
        with open(os.path.join(d, name), "wb") as f:
            f.write(with_version(old, CHECKPOINT_VERSION))


def dict_entry(data):
    if isinstance(data, str):
        data = data.encode()
    out = '"'
    for c in data:
        if c == 0x5C:
            out += "\\\\"
        elif c == 0x22:
            out += '\\"'
        elif 32 <= c < 127:
            out += chr(c)
        else:
            out += "\\x%02X" % c
    return out + '"'


def write_dict(harness, comment, entries):
    with open(os.path.join(ROOT, "fuzz", harness + ".dict"), "w") as f:
        f.write(comment)
        for e in entries:
            f.write(dict_entry(e) + "\n")


def dicts():
    keys = [line.split()[0] for line in run(["params"]).splitlines()
            if line.strip() and "." in line.split()[0]]
    parts = sorted(set(p for k in keys for p in k.split(".")))
    syntax = ["=", ":", ";", ",", "{", "}", "(", ")", "[", "]", '"', '\\"', "\\\\", "\\n", "\\x41",
              "#", "//", "/*", "*/", "true", "false", "TRUE", "L", "LL", "0x", "0x7fffffffffffffff",
              "1e300", "-1e-300", ".5", "nan", "inf", "@include", "preset", "mnist", "fashion",
              "digits", "float", "2pcm", "2pcm3t1c", "sigmoid", "tanh", "relu", "constant", "step",
              "exp", "18446744073709551615", "2147483648", "9223372036854775807", "500,250"]
    write_dict("fuzz_config", "# fuzz_config.dict: libconfig syntax and every memtrain parameter name\n"
               "# (from `memtrain params`; fuzz/make_seeds.py regenerates it).\n", syntax + parts)
    names = ["params", "progress", "result", "network", "twin", "tile", "w", "g_plus", "g_minus",
             "stuck", "cap_z", "cap_vt", "cap_dv_up", "cap_dv_down",
             "shared_vt", "shared_g", "row_sync", "pulse_total", "pulse_net", "scalars", "example",
             "counters", "end"]
    entries = [b"MTCKPT\r\n" + struct.pack("<I", CHECKPOINT_VERSION)]
    entries += [struct.pack("<I", len(n)) + n.encode() for n in names]
    entries += [struct.pack("<Q", v) for v in (0, 1, 4, 8, 12, 40, 56, 0xFFFFFFFF)]
    entries += [struct.pack("<d", v) for v in (float("nan"), float("inf"), -1e300, 2147483648.0, -2147483649.0)]
    entries += ['hidden = "', 'kind = "float";', 'kind = "2pcm";', "twin = false;", "pulse_stats = true;", '";', b"\x00"]
    write_dict("fuzz_checkpoint", "# fuzz_checkpoint.dict: checkpoint magic, record headers (u32 name length +\n"
               "# name), lengths and values (src/train/checkpoint.c; fuzz/make_seeds.py).\n", entries)
    write_dict("fuzz_idx", "# fuzz_idx.dict: IDX magic numbers and dimensions, gzip header (src/data/idx.c).\n",
               [b"\x00\x00\x08\x01", b"\x00\x00\x08\x03", b"\x00\x00\x08\x04", b"\x00\x00\x0D\x02",
                b"\x00\x00\x00\x0A", b"\x00\x00\x00\x01", b"\x7F\xFF\xFF\xFF", b"\x80\x00\x00\x00",
                b"\x00\x00\x27\x10", b"\x1F\x8B\x08\x00"])
    write_dict("fuzz_csv", "# fuzz_csv.dict: CSV separators and boundary values (src/data/csv.c).\n",
               [",", " , ", "\r\n", "\n", "\t", "16", "17", "9", "10", "-0", "+0", "1000000000",
                "1000000001", "99999999999999999999", b"\x00", b"\x1F\x8B\x08\x00"])


if __name__ == "__main__":
    dicts()
    idx_seeds()
    csv_seeds()
    config_seeds()
    checkpoint_seeds()
    regression_inputs()
