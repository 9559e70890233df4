#!/usr/bin/env bash
# cli_test.sh — command-line tests of the `memtrain` executable.
#
# Covers, through the binary only (no library calls):
#   - help, version and the parameter listings (`params`, `params --markdown`);
#   - bad input of every kind (missing/truncated/corrupt data, unknown or
#     out-of-range or non-numeric parameters, presets, options, commands, cell
#     kinds, missing or broken config files, inconsistent parameters): exit 2
#     and ONE stderr line "memtrain: ..." naming the file, field or option;
#   - unwritable output (--json into a missing directory, /dev/full): exit 3;
#   - the config file written by `memtrain params --config` read back by
#     `params --config FILE` and `train --config FILE` (identical results);
#   - the --json format (one object per epoch, then a "final" one);
#   - determinism (same seed: same results with 1 or 2 threads; other seed:
#     other results) for every cell kind;
#   - training quality of every cell kind on UCI digits, --no-twin, --pulse-stats;
#   - the Fashion-MNIST preset (skipped when the dataset is not installed);
#   - `reproduce`: option errors, and a tiny run of the whole plan whose CSV,
#     JSONL, report and PNG figures agree and do not depend on --threads.
# Everything that trains uses --preset digits (a few hundredths of a second per
# epoch) or MNIST/Fashion-MNIST with a few hundred examples.
#
# Usage: bash tests/cli_test.sh      (MEMTRAIN=path/to/memtrain to test another binary)
# Prints "PASS name", "SKIP name: why" or "FAIL name: why" per test and ends with
# exactly one line "N passed, M failed" (tests/run.sh parses it; skips count as
# passed).  Exit status 0 iff nothing failed.
set -u
export LC_ALL=C # stable strerror texts and number formats

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
MEMTRAIN=${MEMTRAIN:-$root/build/memtrain}
case $MEMTRAIN in /*) ;; */*) MEMTRAIN=$PWD/$MEMTRAIN ;; esac # tests run in $work
MNIST_DIR=$root/data/mnist
FASHION_DIR=/usr/share/datasets/fashion-mnist
PER_COMMAND_TIMEOUT=120 # seconds; a hung command fails its test instead of the suite

work=$(mktemp -d "${TMPDIR:-/tmp}/memtrain-cli.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# Arguments that make a `train` run that should fail early cheap if it does not.
QUICK=(--preset digits --epochs 1 --quiet)

# ============================================================== helpers
# Every assertion returns 1 and sets $why on failure; tests chain them with
# `|| return`.  The runner prints the first reason.

why=""     # why the current test failed
json=""    # the file digits_json wrote
skipped="" # why the current test was skipped
status=0   # exit status of the last `mt` run
OUT=$work/stdout
ERR=$work/stderr

# mt ARGS...: run memtrain; stdout -> $OUT, stderr -> $ERR, exit status -> $status.
# (The extra subshell keeps bash's own "Segmentation fault" report off our output.)
mt() {
    status=$( (timeout "$PER_COMMAND_TIMEOUT" "$MEMTRAIN" "$@" >"$OUT" 2>"$ERR"; echo $?) 2>/dev/null)
}

# A short, one-line rendering of the last run's stderr for failure messages.
stderr_summary() {
    local s
    s=$(head -c 400 "$ERR" | tr '\n' '|')
    printf '%s' "${s:-<empty>}"
}

# expect_exit CODE ARGS...: run memtrain with ARGS and check its exit status.
expect_exit() {
    local want=$1
    shift
    mt "$@"
    expect_status "$want" "$*"
}

# expect_status CODE [WHAT]: check the exit status of the last run.
expect_status() {
    local want=$1 what=${2:-the command}
    if [ "$status" -eq 124 ]; then
        why="'memtrain $what' timed out after ${PER_COMMAND_TIMEOUT}s"
        return 1
    fi
    if [ "$status" -ge 128 ]; then
        why="'memtrain $what' crashed: exit $status (signal $((status - 128))); stderr: $(stderr_summary)"
        return 1
    fi
    if [ "$status" -ne "$want" ]; then
        why="'memtrain $what': exit $status, expected $want; stderr: $(stderr_summary)"
        return 1
    fi
}

# expect_no_crash: the last run ended by itself (no signal, no timeout).
expect_no_crash() {
    if [ "$status" -eq 124 ] || [ "$status" -ge 128 ]; then
        why="crashed or timed out: exit $status; stderr: $(stderr_summary)"
        return 1
    fi
}

# expect_stderr_contains TEXT...: the last run's stderr contains every TEXT.
expect_stderr_contains() {
    local text
    for text in "$@"; do
        if ! grep -qF -- "$text" "$ERR"; then
            why="stderr lacks '$text' (exit $status); stderr: $(stderr_summary)"
            return 1
        fi
    done
}

# expect_stderr_lacks TEXT: the last run's stderr does not contain TEXT.
expect_stderr_lacks() {
    if grep -qF -- "$1" "$ERR"; then
        why="stderr should not mention '$1' (exit $status); stderr: $(stderr_summary)"
        return 1
    fi
}

# expect_error_message TEXT...: stderr is exactly one line, starting with
# "memtrain: " and containing every TEXT.
expect_error_message() {
    local lines
    lines=$(grep -c '' "$ERR")
    if [ "$lines" -ne 1 ]; then
        why="expected one line on stderr, got $lines (exit $status): $(stderr_summary)"
        return 1
    fi
    if ! head -n 1 "$ERR" | grep -q '^memtrain: '; then
        why="stderr does not start with 'memtrain: ' (exit $status): $(stderr_summary)"
        return 1
    fi
    expect_stderr_contains "$@"
}

# expect_bad_input TEXT... -- ARGS...: exit 2 with a one-line message containing every TEXT.
expect_bad_input() {
    local texts=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do texts+=("$1"); shift; done
    shift
    expect_exit 2 "$@" || return
    expect_error_message "${texts[@]}"
}

# expect_stdout_contains TEXT...: the last run's stdout contains every TEXT.
expect_stdout_contains() {
    local text
    for text in "$@"; do
        if ! grep -qF -- "$text" "$OUT"; then
            why="stdout lacks '$text'; stdout starts: $(head -c 300 "$OUT" | tr '\n' '|')"
            return 1
        fi
    done
}

# expect_same_files A B [WHAT]: byte-identical files.
expect_same_files() {
    if ! cmp -s "$1" "$2"; then
        why="${3:-files} differ: $(diff "$1" "$2" | head -n 4 | cut -c1-160 | tr '\n' '|')"
        return 1
    fi
}

# json_assert FILE PYTHON: parse FILE as JSON lines into `objs` (a list) and run
# PYTHON (assert statements) on it; a failed assertion becomes $why.
json_assert() {
    local msg
    msg=$(python3 - "$1" "$2" 2>&1 <<'EOF'
import json, math, sys
path, code = sys.argv[1], sys.argv[2]
try:
    with open(path) as f:
        objs = [json.loads(line) for line in f]
except Exception as e:
    print("%s is not JSON lines: %s" % (path, e))
    sys.exit(1)
try:
    exec(code, {"objs": objs, "math": math})
except AssertionError as e:
    print(str(e) or "assertion failed: %s" % code)
    sys.exit(1)
except Exception as e:
    print("%s: %s: %r" % (path, type(e).__name__, e))
    sys.exit(1)
EOF
    ) || { why="$msg"; return 1; }
}

# strip_timing IN OUT: IN's JSON lines without wall-clock fields, keys sorted.
strip_timing() {
    python3 - "$1" >"$2" 2>"$work/strip.err" <<'EOF' && return
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    o.pop("seconds", None)
    o.pop("seconds_total", None)
    print(json.dumps(o, sort_keys=True))
EOF
    why="$1: not JSON lines: $(tail -n 1 "$work/strip.err")"
    return 1
}

# digits_json CELL EPOCHS [ARGS...]: train on digits (memoised per arguments);
# sets $json to the --json file ($json.stdout holds stdout).  Sets $why and
# returns 1 on failure.
digits_json() {
    local cell=$1 epochs=$2
    shift 2
    local tag file
    tag=$(printf '%s_' "$cell" "$epochs" "$@" | tr -c 'A-Za-z0-9_.-' '_')
    file=$work/digits-$tag.jsonl
    if [ ! -s "$file" ]; then
        mt train --preset digits --cell "$cell" --epochs "$epochs" "$@" --json "$file.tmp"
        expect_status 0 "train --preset digits --cell $cell --epochs $epochs $*" || return
        [ -s "$file.tmp" ] || { why="--json $file.tmp was not written"; return 1; }
        mv "$file.tmp" "$file"
        cp "$OUT" "$file.stdout"
    fi
    json=$file
}

skip() { skipped=$1; }

# A minimal MNIST-layout directory with valid label files; the caller writes
# train-images-idx3-ubyte[.gz].  Prints its path.
make_mnist_dir() {
    local dir=$work/$1
    mkdir -p "$dir"
    python3 - "$dir" <<'EOF'
import struct, sys
d = sys.argv[1]
for split, n in (("train", 10000), ("t10k", 10000)):
    with open("%s/%s-labels-idx1-ubyte" % (d, split), "wb") as f:
        f.write(b"\x00\x00\x08\x01" + struct.pack(">I", n) + bytes(i % 10 for i in range(n)))
EOF
    printf '%s\n' "$dir"
}

# ============================================================== tests: help and listings

test_main_help_lists_commands() {
    expect_exit 0 --help || return
    expect_stdout_contains "usage: memtrain" train params version || return
    expect_exit 0 help || return
    expect_stdout_contains "usage: memtrain"
}

test_no_command_prints_usage_and_fails() {
    mt
    expect_status 2 "(no arguments)" || return
    if ! grep -q "usage" "$OUT" "$ERR"; then why="no usage text"; return 1; fi
}

test_train_help_mentions_every_option() {
    expect_exit 0 train --help || return
    local opt
    for opt in --config --preset --cell --epochs --train-limit --test-limit --seed --threads \
        --data --set --json --no-twin --pulse-stats --quiet; do
        expect_stdout_contains "$opt" || return
    done
}

test_params_help() {
    expect_exit 0 params --help || return
    expect_stdout_contains "usage: memtrain params" --markdown --config
}

test_version_matches_header() {
    local want
    want=$(sed -n 's/^#define MT_VERSION "\(.*\)"$/\1/p' "$root/include/memtrain.h")
    expect_exit 0 version || return
    if [ "$(cat "$OUT")" != "memtrain ${want:-?}" ]; then
        why="'memtrain version' printed '$(cat "$OUT")', expected 'memtrain $want' (include/memtrain.h)"
        return 1
    fi
    expect_exit 0 --version || return
    expect_stdout_contains "memtrain $want"
}

test_params_lists_keys_and_presets() {
    expect_exit 0 params || return
    expect_stdout_contains cap.tau_s transfer.interval cell.kind train.seed data.dataset \
        presets mnist fashion digits || return
    if ! grep -qE '^cap\.tau_s +1 +s ' "$OUT"; then
        why="no line 'cap.tau_s 1 s ...' in the listing: $(grep tau_s "$OUT")"
        return 1
    fi
}

test_params_markdown_prints_table() {
    expect_exit 0 params --markdown || return
    if [ "$(head -n 1 "$OUT")" != "| parameter | default | unit | range | source | meaning |" ] ||
        ! sed -n 2p "$OUT" | grep -q '^|---|'; then
        why="no Markdown table header; got: $(head -n 2 "$OUT" | tr '\n' '|')"
        return 1
    fi
    expect_stdout_contains '| `cap.tau_s` |' '| `transfer.interval` |'
}

# ============================================================== tests: bad data

test_missing_data_dir_is_rejected() {
    expect_bad_input /nonexistent -- train --data /nonexistent --epochs 1 --quiet
}

test_missing_digits_dir_is_rejected() {
    expect_bad_input /nonexistent -- train "${QUICK[@]}" --data /nonexistent
}

test_truncated_idx_file_is_rejected() {
    local dir
    dir=$(make_mnist_dir truncated-plain)
    # A valid header for 10000 images of 28x28, then 1000 of the 7,840,000 pixels.
    python3 - "$dir/train-images-idx3-ubyte" <<'EOF'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(b"\x00\x00\x08\x03" + struct.pack(">III", 10000, 28, 28) + bytes(1000))
EOF
    expect_bad_input "$dir/train-images-idx3-ubyte" truncated -- \
        train --data "$dir" --epochs 1 --train-limit 100 --test-limit 100 --quiet
}

test_truncated_gzip_file_is_rejected() {
    [ -f "$MNIST_DIR/train-images-idx3-ubyte.gz" ] || { skip "no $MNIST_DIR"; return 0; }
    local dir
    dir=$(make_mnist_dir truncated-gzip)
    head -c 5000 "$MNIST_DIR/train-images-idx3-ubyte.gz" >"$dir/train-images-idx3-ubyte.gz"
    expect_bad_input "$dir/train-images-idx3-ubyte.gz" truncated -- \
        train --data "$dir" --epochs 1 --train-limit 100 --test-limit 100 --quiet
}

test_corrupt_idx_magic_is_rejected() {
    local dir
    dir=$(make_mnist_dir bad-magic)
    python3 - "$dir/train-images-idx3-ubyte" <<'EOF'
import struct, sys
with open(sys.argv[1], "wb") as f:  # the magic number's bytes in the wrong order
    f.write(b"\x08\x03\x00\x00" + struct.pack(">III", 10, 28, 28) + bytes(10 * 784))
EOF
    expect_bad_input "$dir/train-images-idx3-ubyte" magic -- \
        train --data "$dir" --epochs 1 --train-limit 100 --test-limit 100 --quiet
}

test_empty_idx_file_is_rejected() {
    local dir
    dir=$(make_mnist_dir empty)
    : >"$dir/train-images-idx3-ubyte"
    expect_bad_input "$dir/train-images-idx3-ubyte" empty -- \
        train --data "$dir" --epochs 1 --train-limit 100 --test-limit 100 --quiet
}

# ============================================================== tests: bad parameters

test_unknown_parameter_is_rejected() {
    expect_bad_input foo.bar --set -- train "${QUICK[@]}" --set foo.bar=1
}

test_out_of_range_value_is_rejected() {
    expect_bad_input cap.tau_s range -- train "${QUICK[@]}" --set cap.tau_s=-1
}

test_non_numeric_value_is_rejected() {
    expect_bad_input train.epochs abc -- train "${QUICK[@]}" --set train.epochs=abc || return
    expect_bad_input --epochs train.epochs xyz -- train --preset digits --epochs xyz --quiet
}

# An error in `--set KEY=VALUE` must name --set, not a flag the user never typed.
test_set_error_names_set_not_an_unused_flag() {
    expect_bad_input --set train.epochs -- train "${QUICK[@]}" --set train.epochs=abc || return
    expect_stderr_lacks "--epochs"
}

test_nan_value_is_rejected() {
    expect_bad_input cap.tau_s nan -- train "${QUICK[@]}" --set cap.tau_s=nan || return
    expect_bad_input cap.tau_s inf -- train "${QUICK[@]}" --set cap.tau_s=inf
}

test_empty_value_is_rejected() {
    expect_bad_input cap.tau_s -- train "${QUICK[@]}" --set cap.tau_s=
}

test_unknown_preset_is_rejected() {
    expect_bad_input nope preset -- train --preset nope --epochs 1 --quiet || return
    expect_bad_input nope preset -- params --preset nope
}

test_unknown_option_is_rejected() {
    expect_bad_input --bogus -- train "${QUICK[@]}" --bogus || return
    expect_bad_input --cell -- params --cell float
}

test_option_without_value_is_rejected() {
    expect_bad_input --epochs -- train --preset digits --quiet --epochs
}

test_unknown_command_is_rejected() {
    expect_bad_input frobnicate -- frobnicate
}

test_unknown_cell_kind_is_rejected() {
    expect_bad_input --cell foo 2pcm3t1c -- train "${QUICK[@]}" --cell foo
}

test_set_without_equals_is_rejected() {
    expect_bad_input --set foo -- train "${QUICK[@]}" --set foo || return
    expect_bad_input --set -- train "${QUICK[@]}" --set =1
}

test_inconsistent_parameters_are_rejected() {
    # vt_V must lie below v_init_V (0.5 V).
    expect_bad_input vt_V -- train "${QUICK[@]}" --set cap.vt_V=0.9 || return
    expect_bad_input g_target_max_uS -- train "${QUICK[@]}" --set transfer.g_target_max_uS=30 --set pcm.g_max_uS=25
}

test_bad_integer_values_are_rejected() {
    expect_bad_input --epochs range -- train --preset digits --quiet --epochs 0 || return
    expect_bad_input --threads range -- train "${QUICK[@]}" --threads -1 || return
    expect_bad_input --seed -- train "${QUICK[@]}" --seed -5 || return
    expect_bad_input train.epochs 2.5 -- train "${QUICK[@]}" --set train.epochs=2.5
}

# A decimal seed with a leading zero is a decimal seed (not octal, not an error).
test_seed_is_read_as_decimal() {
    expect_exit 0 params --set train.seed=08 || return
    grep -qE '^train\.seed +8 ' "$OUT" || { why="train.seed=08 not listed as 8"; return 1; }
    expect_exit 0 params --set train.seed=010 || return
    grep -qE '^train\.seed +10 ' "$OUT" ||
        { why="train.seed=010 listed as $(awk '$1 == "train.seed" {print $2}' "$OUT"), expected 10"; return 1; }
}

# Flags that add a setting (--no-twin, --pulse-stats) repeated many times must
# not overflow the settings list.
test_many_repeated_flags_do_not_crash() {
    local args=() i
    for ((i = 0; i < 300; i++)); do args+=(--no-twin); done
    mt train "${QUICK[@]}" "${args[@]}"
    expect_no_crash || return
    if [ "$status" -ne 0 ]; then
        expect_status 2 "train ... 300 x --no-twin" || return
        expect_error_message "memtrain: " || return
    fi
}

# ============================================================== tests: config files

test_missing_config_file_is_rejected() {
    expect_bad_input "$work/missing.cfg" -- train "${QUICK[@]}" --config "$work/missing.cfg"
}

test_config_syntax_error_names_file_and_line() {
    printf '# a broken config\ncap = {\n  tau_s = 0.5;\n  vt_V = ;\n};\n' >syntax.cfg
    expect_bad_input syntax.cfg:4 -- train "${QUICK[@]}" --config syntax.cfg || return
    expect_bad_input syntax.cfg:4 -- params --config syntax.cfg
}

test_config_unknown_key_names_file_line_and_key() {
    printf '# a typo\ncap = {\n  tau_s = 0.5;\n  tau_z = 0.1;\n};\n' >unknown.cfg
    expect_bad_input unknown.cfg:4 cap.tau_z -- train "${QUICK[@]}" --config unknown.cfg || return
    printf 'foo = 1;\n' >toplevel.cfg
    expect_bad_input toplevel.cfg:1 foo -- train "${QUICK[@]}" --config toplevel.cfg
}

test_config_out_of_range_value_names_file_line_and_key() {
    printf 'cap = {\n  tau_s = -1.0;\n};\n' >range.cfg
    expect_bad_input range.cfg:2 cap.tau_s range -- train "${QUICK[@]}" --config range.cfg
}

test_config_that_is_a_directory_is_rejected() {
    mkdir -p cfgdir
    expect_bad_input cfgdir -- train "${QUICK[@]}" --config cfgdir
}

# params --config [--preset ...] [--set ...] writes a file that reads back to
# exactly the same parameters.  $1.. are the settings.
round_trip() {
    expect_exit 0 params "$@" || return
    cp "$OUT" direct.txt
    grep -q '^cap\.tau_s ' direct.txt || { why="'params $*' lists no cap.tau_s"; return 1; }
    expect_exit 0 params --config "$@" || return
    cp "$OUT" written.cfg
    grep -q '^cap = {' written.cfg || { why="'params --config $*' wrote no 'cap = {' section"; return 1; }
    expect_exit 0 params --config written.cfg || return
    expect_same_files direct.txt "$OUT" "'params $*' and 'params --config FILE' listings" || return
    expect_exit 0 params --config written.cfg --config || return
    expect_same_files written.cfg "$OUT" "config written twice"
}

test_config_round_trip_gives_identical_params() {
    round_trip || return
    round_trip --preset digits --set cap.tau_s=0.25 --set net.hidden=16,8 \
        --set transfer.polarity_inversion=false --set train.seed=18446744073709551615 \
        --set "data.dir=/tmp/a dir" --set cell.kind=2pcm
}

test_config_round_trip_keeps_large_integers() {
    round_trip --set transfer.interval=3000000000 --set data.train_limit=1e15
}

test_config_round_trip_keeps_quotes_and_backslashes() {
    round_trip --set 'data.dir=/tmp/it is "quoted"\and\tback\\slashed'
}

test_train_reads_written_config() {
    expect_exit 0 params --config --preset digits --set cap.tau_s=0.25 --set train.epochs=2 || return
    cp "$OUT" digits.cfg
    expect_exit 0 train --config digits.cfg --quiet --json from-config.jsonl || return
    expect_exit 0 train --preset digits --set cap.tau_s=0.25 --epochs 2 --quiet --json from-flags.jsonl || return
    strip_timing from-config.jsonl a.json && strip_timing from-flags.jsonl b.json || return
    expect_same_files a.json b.json "results from --config and from flags"
}

# ============================================================== tests: output

test_unwritable_json_path_is_rejected() {
    expect_exit 3 train "${QUICK[@]}" --json /nonexistent-dir/x.json || return
    expect_error_message /nonexistent-dir/x.json
}

test_json_to_full_disk_fails() {
    [ -w /dev/full ] || { skip "no /dev/full"; return 0; }
    expect_exit 3 train "${QUICK[@]}" --json /dev/full || return
    expect_error_message /dev/full write
}

test_json_output_format() {
    local f
    digits_json 2pcm3t1c 2 || return
    f=$json
    json_assert "$f" '
keys = ["epoch", "cell", "train_acc", "test_acc", "twin_train_acc", "twin_test_acc", "transfers", "seconds"]
assert len(objs) == 3, "expected 2 epoch lines and a final one, got %d lines" % len(objs)
for i, o in enumerate(objs[:2]):
    missing = [k for k in keys if k not in o]
    assert not missing, "epoch line %d lacks %s" % (i + 1, missing)
    assert o["epoch"] == i + 1, "line %d has epoch %r" % (i + 1, o["epoch"])
    assert o["cell"] == "2pcm3t1c", "cell %r" % o["cell"]
    assert "final" not in o, "epoch line %d is marked final" % (i + 1)
    for k in ("train_acc", "test_acc", "twin_train_acc", "twin_test_acc"):
        assert isinstance(o[k], float) and 0 <= o[k] <= 1, "%s = %r not in [0, 1]" % (k, o[k])
    assert isinstance(o["transfers"], int) and o["transfers"] >= 0, "transfers %r" % o["transfers"]
    assert o["seconds"] >= 0, "seconds %r" % o["seconds"]
assert objs[0]["transfers"] <= objs[1]["transfers"], "transfers decrease"
final = objs[-1]
assert final.get("final") is True, "last line lacks \"final\": true"
assert final["epoch"] == 2, "final epoch %r" % final["epoch"]
assert final["test_acc"] == objs[1]["test_acc"], "final test_acc differs from epoch 2"
assert final["seconds_total"] >= 0, "seconds_total %r" % final.get("seconds_total")
'
}

test_quiet_prints_nothing() {
    expect_exit 0 train "${QUICK[@]}" || return
    if [ -s "$OUT" ] || [ -s "$ERR" ]; then
        why="--quiet printed: $(head -c 200 "$OUT" "$ERR" | tr '\n' '|')"
        return 1
    fi
}

# ============================================================== tests: determinism

# Same seed, 1 or 2 threads: identical results (wall-clock fields aside).
thread_independence() {
    local cell=$1 a b
    digits_json "$cell" 3 --seed 7 --threads 1 --quiet || return
    a=$json
    digits_json "$cell" 3 --seed 7 --threads 2 --quiet || return
    b=$json
    strip_timing "$a" t1.json && strip_timing "$b" t2.json || return
    expect_same_files t1.json t2.json "$cell results with --threads 1 and --threads 2"
}

test_results_do_not_depend_on_threads_2pcm3t1c() { thread_independence 2pcm3t1c; }
test_results_do_not_depend_on_threads_2pcm() { thread_independence 2pcm; }
test_results_do_not_depend_on_threads_float() { thread_independence float; }

test_different_seeds_give_different_results() {
    local a b
    digits_json 2pcm3t1c 3 --seed 7 --threads 1 --quiet || return
    a=$json
    digits_json 2pcm3t1c 3 --seed 8 --threads 1 --quiet || return
    b=$json
    strip_timing "$a" s7.json && strip_timing "$b" s8.json || return
    if cmp -s s7.json s8.json; then why="--seed 7 and --seed 8 gave identical results"; return 1; fi
}

# ============================================================== tests: training

# 10 epochs on digits: test accuracy > 0.8 (twin > 0.85), one "epoch" line each.
trains_well() {
    local cell=$1 f
    digits_json "$cell" 10 || return
    f=$json
    local lines
    lines=$(grep -c '^epoch ' "$f.stdout")
    if [ "$lines" -ne 10 ]; then
        why="$lines lines starting 'epoch' on stdout, expected 10"
        return 1
    fi
    json_assert "$f" '
final = objs[-1]
assert final["test_acc"] > 0.8, "'"$cell"' test accuracy %.3f <= 0.8" % final["test_acc"]
twin = final["twin_test_acc"]
if "'"$cell"'" != "float":
    assert twin is not None and twin > 0.85, "twin test accuracy %r <= 0.85" % twin
'
}

test_float_cell_trains() { trains_well float; }
test_2pcm_cell_trains() { trains_well 2pcm; }
test_2pcm3t1c_cell_trains() { trains_well 2pcm3t1c; }

# The twin of an analogue run is the float network of the same seed.
test_twin_equals_float_cell_run() {
    local fl pc
    digits_json float 10 || return
    fl=$json
    digits_json 2pcm3t1c 10 || return
    pc=$json
    python3 - "$fl" "$pc" >twin.txt 2>&1 <<'EOF' || { why=$(cat twin.txt); return 1; }
import json, sys
fl = [json.loads(l) for l in open(sys.argv[1])]
pc = [json.loads(l) for l in open(sys.argv[2])]
for a, b in zip(fl, pc):
    if (a["train_acc"], a["test_acc"]) != (b["twin_train_acc"], b["twin_test_acc"]):
        print("epoch %d: float cell %r/%r, twin %r/%r" % (a["epoch"], a["train_acc"], a["test_acc"],
              b["twin_train_acc"], b["twin_test_acc"]))
        sys.exit(1)
EOF
}

test_no_twin_gives_null_twin_accuracy() {
    local f
    digits_json 2pcm3t1c 1 --no-twin || return
    f=$json
    if grep -q twin "$f.stdout"; then why="human output mentions the twin"; return 1; fi
    json_assert "$f" '
for o in objs:
    assert o["twin_test_acc"] is None, "twin_test_acc = %r, expected null" % o["twin_test_acc"]
    assert o["twin_train_acc"] is None, "twin_train_acc = %r, expected null" % o["twin_train_acc"]
    assert o["test_acc"] is not None, "test_acc is null"
'
}

test_pulse_stats_are_reported() {
    local f
    digits_json 2pcm3t1c 1 --pulse-stats || return
    f=$json
    if ! grep -q "pulses per synapse" "$f.stdout"; then
        why="no 'pulses per synapse' line on stdout"
        return 1
    fi
    json_assert "$f" '
ps = objs[-1].get("pulse_stats")
assert ps, "final pulse_stats is %r" % ps
for s in ps:
    assert s["mean_total"] > 0, "layer %r mean_total %r" % (s.get("layer"), s["mean_total"])
'
}

# Pulse counts cover min(train.pulse_window, examples trained): after one epoch
# of 1437 digits the reported window must be 1437, not the 16,000 asked for.
test_pulse_stats_window_counts_examples_seen() {
    local f
    digits_json 2pcm3t1c 1 --pulse-stats || return
    f=$json
    json_assert "$f" '
final = objs[-1]
for s in final["pulse_stats"]:
    assert s["window"] == min(16000, final["examples"]), \
        "layer %d: window %d but only %d examples were trained" % (s["layer"], s["window"], final["examples"])
' || return
    if ! grep -q "over 1437 examples" "$f.stdout"; then
        why="stdout says '$(grep -o 'over [0-9]* examples' "$f.stdout" | head -n 1)', expected 'over 1437 examples'"
        return 1
    fi
}

test_mnist_preset_runs_on_a_few_examples() {
    [ -f "$MNIST_DIR/train-images-idx3-ubyte.gz" ] || { skip "no $MNIST_DIR"; return 0; }
    expect_exit 0 train --preset mnist --epochs 1 --train-limit 300 --test-limit 100 --threads 1 \
        --json mnist.jsonl || return
    expect_stdout_contains "784-250-10" "(300 train / 100 test)" || return
    json_assert mnist.jsonl 'assert objs[-1]["examples"] == 300, "examples %r" % objs[-1]["examples"]'
}

test_fashion_preset() {
    expect_bad_input /nonexistent -- train --preset fashion --data /nonexistent --epochs 1 --quiet || return
    [ -d "$FASHION_DIR" ] || { skip "$FASHION_DIR not installed (dataset-fashion-mnist)"; return 0; }
    # --threads 1: the float cell is very slow with 2 threads on a busy 2-core machine.
    expect_exit 0 train --preset fashion --epochs 1 --train-limit 500 --test-limit 200 --cell float \
        --threads 1 || return
    expect_stdout_contains "fashion" "(500 train / 200 test)"
}

test_numerical_fault_exits_4_with_epoch_and_example() {
    # ReLU with a huge initial scale and learning rate overflows within a few examples
    expect_exit 4 train --preset digits --cell float --set net.activation=relu --set train.lr=100 \
        --set net.init_scale=100 --set net.hidden=32,32,32 --epochs 3 --quiet || return
    expect_error_message "numerical fault" || return
    expect_stderr_contains "epoch 1" || return
    expect_stderr_contains "at example"
}

test_out_of_memory_exits_5() {
    # a layer of 2 x 10^9 synapses (8 GB per state array) in a process allowed 4 GB of
    # address space: a clean error, not a crash.  AddressSanitizer needs terabytes of
    # address space for its shadow, so under it the cap is its own allocation limit.
    local args=(train --preset digits --set net.hidden=100000,20000 --epochs 1 --quiet)
    (
        if [ -n "${ASAN_OPTIONS:-}" ]; then export ASAN_OPTIONS="$ASAN_OPTIONS:max_allocation_size_mb=4000"
        else ulimit -v 4000000; fi
        mt "${args[@]}"
        exit "$status"
    )
    status=$?
    expect_status 5 "${args[*]}" || return
    expect_error_message "out of memory"
}

test_a_layer_past_the_index_limit_is_bad_input() {
    # 10^12 synapses in one layer: refused before anything is allocated, naming the field
    expect_exit 2 train --preset digits --set net.hidden=1000000,1000000 --epochs 1 --quiet || return
    expect_error_message "net.hidden: layer 2 would have 1000001 x 1000000 synapses"
}

test_mnist_backrand_is_generated_cached_and_deterministic() {
    local cache=$work/backrand-cache
    expect_exit 0 train --preset mnist-backrand --epochs 1 --train-limit 300 --test-limit 100 \
        --set data.cache_dir="$cache" --cell float --quiet --json a.jsonl || return
    [ -f "$cache/mnist-backrand-seed1-train-images-idx3-ubyte.gz" ] || { why="no cache file written"; return 1; }
    expect_exit 0 train --preset mnist-backrand --epochs 1 --train-limit 300 --test-limit 100 \
        --set data.cache_dir="$cache" --cell float --quiet --json b.jsonl || return
    strip_timing a.jsonl a.txt && strip_timing b.jsonl b.txt || return
    cmp -s a.txt b.txt || { why="the cached dataset trains differently from the generated one"; return 1; }
}

test_cifar10_pipeline_from_sample_images() {
    # tools/extract_features.py on 16 sample images with untrained ResNet-50 weights,
    # then memtrain reads the .npy files through the cifar10 preset
    if ! /usr/bin/python3 -c 'import torch, torchvision, numpy' 2>/dev/null; then
        skip "python3-torch/torchvision not installed (make deps)"; return 0
    fi
    /usr/bin/python3 "$root/tools/extract_features.py" --train "$root/data/cifar10-sample/cifar10_train_first200.bin" \
        --test "$root/data/cifar10-sample/cifar10_train_first200.bin" --out feat --limit 16 --threads 2 \
        >/dev/null 2>&1 || { why="extract_features.py failed"; return 1; }
    expect_exit 0 train --preset cifar10 --data feat --epochs 2 --json c.jsonl || return
    expect_stdout_contains "cifar10 2048-10 (16 train / 16 test)" || return
    json_assert c.jsonl 'assert objs[-1]["final"] is True and objs[-1]["examples"] == 32, objs[-1]["examples"]' || return
    expect_exit 2 train --preset cifar10 --data "$work/nowhere" --epochs 1 --quiet || return
    expect_error_message "extract_features.py"
}

test_cost_preset_lands_near_the_paper() {
    expect_exit 0 cost --preset ambrogio2018 --json cost.json || return
    json_assert cost.json 'assert abs(objs[0]["gops_per_watt"] / 28065 - 1) < 0.1 and abs(objs[0]["tops_per_mm2"] / 3.6 - 1) < 0.1, objs[0]["gops_per_watt"]' || return
    printf 'not json\n' > bad.jsonl
    expect_exit 2 cost --from bad.jsonl || return
    expect_error_message bad.jsonl
}

# ============================================================== runner

test_reproduce_rejects_bad_options() {
    expect_bad_input "--datasets" "mnsit" -- reproduce --datasets mnist,mnsit --out r || return
    expect_bad_input "cell.kind" -- reproduce --set cell.kind=float --out r || return
    expect_bad_input "cap.tau_s" -- reproduce --datasets mnist --set cap.tau_s=-1 --out r || return
    expect_bad_input "--epochs" -- reproduce --epochs 0 --out r || return
    expect_bad_input "--threads" -- reproduce --threads x --out r || return
    [ ! -e r/results.csv ] || { why="a rejected reproduce wrote results"; return 1; }
}

test_bench_rejects_bad_counts() {
    expect_bad_input "--examples" "5x" -- bench --examples 5x || return
    expect_bad_input "--warmup" "abc" -- bench --warmup abc || return
    expect_bad_input "--repeats" "17" -- bench --repeats 17 || return
    expect_bad_input "--threads" -- bench --threads 0 || return
    expect_bad_input "--cells" -- bench --cells float,pcm || return
    expect_bad_input "--pairs" "1001" -- bench --pairs 1001 || return
    expect_bad_input "--stretch" "0" -- bench --stretch 0 || return
}

# A tiny bench: a row and two JSON objects (train, inference) per cell and thread
# count, and the ratio lines computed from the same medians as the JSON; then the
# paired ratios, each the median of its pairs' ratios, printed as in the JSON.
test_bench_reports_rates_and_ratios() {
    [ -f "$MNIST_DIR/train-images-idx3-ubyte.gz" ] || { skip "no $MNIST_DIR"; return 0; }
    mt bench --examples 300 --warmup 0 --repeats 1 --cells float,2pcm3t1c --threads 1,2 --pairs 3 --stretch 100 \
        --json b.jsonl
    [ "$status" -eq 0 ] || { why="exit $status: $(head -c 300 "$ERR")"; return 1; }
    cp "$OUT" bench.txt
    json_assert b.jsonl '
paired = [o for o in objs if o["mode"].startswith("paired")]
objs = [o for o in objs if not o["mode"].startswith("paired")]
assert len(objs) == 8, "%d objects, want 8" % len(objs)
# speed-ups of both cells at 2 threads; the analogue cell over the twin at 1 and 2
assert sorted((o["mode"], o["cell"], o["threads"]) for o in paired) == [
    ("paired_speedup", "2pcm3t1c", 2), ("paired_speedup", "float", 2),
    ("paired_time_over_float", "2pcm3t1c", 1), ("paired_time_over_float", "2pcm3t1c", 2)], paired
for o in paired:
    assert o["stretch"] == 100 and len(o["pairs"]) == 3 and min(o["pairs"]) > 0, o
    assert o["ratio"] == sorted(o["pairs"])[1], o  # the median of three
    assert o["way"] in (("one thread",) if o["threads"] == 1 else ("team", "one thread")), o
rate = {(o["mode"], o["cell"], o["threads"]): o["examples_per_s"] for o in objs}
assert all(v > 0 for v in rate.values()), rate
trips = set(o["core_round_trip_ns"] for o in objs)
assert len(trips) == 1 and min(trips) >= 0, trips
text = open("bench.txt").read()
if min(trips) > 0:  # measured (2+ cores): printed with the same value
    line = [l for l in text.splitlines() if l.startswith("a cache line\x27s round trip")]
    assert len(line) == 1 and abs(float(line[0].split(":")[1].split()[0]) - min(trips)) <= 0.5, (line, trips)
def shown(prefix, cell):
    line = [l for l in text.splitlines() if l.startswith(prefix)]
    assert len(line) == 1, "no line %r in:\n%s" % (prefix, text)
    part = [p for p in line[0].rsplit(":", 1)[1].split(",") if p.split()[0] == cell]
    assert len(part) == 1, "no %s in %r" % (cell, line[0])
    return float(part[0].split()[1].rstrip("x"))
for cell in ("float", "2pcm3t1c"):
    want = rate[("train", cell, 2)] / rate[("train", cell, 1)]
    got = shown("training, 2 threads / 1 thread:", cell)
    assert abs(got - want) <= 0.006, (cell, got, want)
for t in (1, 2):
    want = rate[("train", "float", t)] / rate[("train", "2pcm3t1c", t)]
    got = shown("training time per example / float twin\x27s, %d thread" % t, "2pcm3t1c")
    assert abs(got - want) <= 0.006 * want, (t, got, want)
assert all(o["layer_split"] == "auto" for o in objs), objs
assert "train.layer_split = auto" in text.splitlines()[0], text
# how the threads shared each network: one thread at 1; at 2, what auto chose
assert all(o["way"] == "one thread" for o in objs if o["threads"] == 1), objs
assert all(o["way"] in ("team", "one thread") for o in objs if o["threads"] == 2), objs
for o in paired:
    prefix = ("paired: training, 2 threads / 1 thread:" if o["mode"] == "paired_speedup" else
              "paired: training time per example / float twin\x27s, %d thread" % o["threads"])
    assert abs(shown(prefix, o["cell"]) - o["ratio"]) <= 0.006, (o, text)
' || return
    # the way threads share a network is a parameter, recorded with each measurement
    mt bench --examples 100 --warmup 0 --repeats 1 --cells float --threads 2 --set train.layer_split=always \
        --json a.jsonl
    [ "$status" -eq 0 ] || { why="exit $status: $(head -c 300 "$ERR")"; return 1; }
    json_assert a.jsonl '
assert len(objs) == 2 and all(o["layer_split"] == "always" for o in objs), objs
assert all(o["way"] == "team" for o in objs), objs  # 785 x 250 synapses: the first layer splits
' || return
    mt bench --examples 100 --warmup 0 --repeats 1 --cells 2pcm --threads 2 --set train.layer_split=never \
        --json n.jsonl
    [ "$status" -eq 0 ] || { why="exit $status: $(head -c 300 "$ERR")"; return 1; }
    json_assert n.jsonl '
assert len(objs) == 2 and all(o["way"] == "one thread" for o in objs), objs
' || return
}

# A tiny reproduce: every run of the plan on 300 MNIST examples, CIFAR-10 skipped
# (no features), outputs consistent with each other and independent of --threads.
test_reproduce_small_run_writes_consistent_outputs() {
    [ -f "$MNIST_DIR/train-images-idx3-ubyte.gz" ] || { skip "no $MNIST_DIR"; return 0; }
    local args=(reproduce --datasets mnist,cifar10 --cifar10 "$work/no-features" --epochs 2
                --train-limit 300 --test-limit 100 --set transfer.interval=100)
    expect_exit 0 "${args[@]}" --threads 2 --out r2 || return
    expect_stdout_contains "cifar10" "skipped" "wrote r2/REPORT.md" || return
    grep -qF "| CIFAR-10 (transfer learning) | | | | | | skipped: " r2/REPORT.md ||
        { why="REPORT.md does not list CIFAR-10 as skipped"; return 1; }
    grep -qF "# memtrain reproduce: custom run" r2/REPORT.md || { why="REPORT.md title"; return 1; }
    local msg
    msg=$(python3 - r2 <<'EOF'
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/results.csv")))
runs = [r["run"] for r in rows]
assert len(rows) == 14 and len(set(runs)) == 14, "results.csv: %d rows %r" % (len(rows), runs)
assert all(r["dataset"] == "mnist" and r["status"] == "ok" for r in rows), "status"
by = {r["run"]: r for r in rows}
# 2 epochs x 300 examples, a transfer every 100: 6 (hand count); PCM-only: none
assert int(by["2pcm3t1c"]["transfers"]) == 6, by["2pcm3t1c"]["transfers"]
assert int(by["2pcm"]["transfers"]) == 0 and int(by["2pcm"]["cap_pulses"]) == 0, "2pcm row"
assert int(by["2pcm"]["pcm_update_pulses"]) > 0, "2pcm pulses"
# the ablation's own setting wins over --set: 600 examples, interval 1,000
assert int(by["transfer-1k"]["transfers"]) == 0, by["transfer-1k"]["transfers"]
lines = [json.loads(l) for l in open(d + "/results.jsonl")]
assert len(lines) == 28, "results.jsonl: %d lines" % len(lines)
for r in rows:
    last = [o for o in lines if o["run"] == r["run"]][-1]
    assert last["epoch"] == 2 and abs(last["test_acc"] - float(r["test_acc"])) < 1e-4, r["run"]
ref = [o for o in lines if o["run"] == "2pcm3t1c"][-1]
assert abs(ref["twin_test_acc"] - float(by["2pcm3t1c"]["twin_test_acc"])) < 1e-4, "twin"
EOF
    ) || { why="$msg"; return 1; }
    if command -v gnuplot >/dev/null; then
        local f
        for f in accuracy ablations pulses transfer-conductances transfer-weights; do
            [ "$(head -c 4 "r2/plots/$f-mnist.png" | od -An -c | tr -d ' ')" = "211PNG" ] ||
                { why="r2/plots/$f-mnist.png is not a PNG"; return 1; }
        done
    fi
    expect_exit 0 "${args[@]}" --threads 1 --out r1 || return
    strip_timing r1/results.jsonl r1.json || return
    strip_timing r2/results.jsonl r2.json || return
    expect_same_files r1.json r2.json "results.jsonl with --threads 1 and 2"
}

tests=(
    test_main_help_lists_commands
    test_no_command_prints_usage_and_fails
    test_train_help_mentions_every_option
    test_params_help
    test_version_matches_header
    test_params_lists_keys_and_presets
    test_params_markdown_prints_table
    test_missing_data_dir_is_rejected
    test_missing_digits_dir_is_rejected
    test_truncated_idx_file_is_rejected
    test_truncated_gzip_file_is_rejected
    test_corrupt_idx_magic_is_rejected
    test_empty_idx_file_is_rejected
    test_unknown_parameter_is_rejected
    test_out_of_range_value_is_rejected
    test_non_numeric_value_is_rejected
    test_set_error_names_set_not_an_unused_flag
    test_nan_value_is_rejected
    test_empty_value_is_rejected
    test_unknown_preset_is_rejected
    test_unknown_option_is_rejected
    test_option_without_value_is_rejected
    test_unknown_command_is_rejected
    test_unknown_cell_kind_is_rejected
    test_set_without_equals_is_rejected
    test_inconsistent_parameters_are_rejected
    test_bad_integer_values_are_rejected
    test_seed_is_read_as_decimal
    test_many_repeated_flags_do_not_crash
    test_missing_config_file_is_rejected
    test_config_syntax_error_names_file_and_line
    test_config_unknown_key_names_file_line_and_key
    test_config_out_of_range_value_names_file_line_and_key
    test_config_that_is_a_directory_is_rejected
    test_config_round_trip_gives_identical_params
    test_config_round_trip_keeps_large_integers
    test_config_round_trip_keeps_quotes_and_backslashes
    test_train_reads_written_config
    test_unwritable_json_path_is_rejected
    test_json_to_full_disk_fails
    test_json_output_format
    test_quiet_prints_nothing
    test_results_do_not_depend_on_threads_2pcm3t1c
    test_results_do_not_depend_on_threads_2pcm
    test_results_do_not_depend_on_threads_float
    test_different_seeds_give_different_results
    test_float_cell_trains
    test_2pcm_cell_trains
    test_2pcm3t1c_cell_trains
    test_twin_equals_float_cell_run
    test_no_twin_gives_null_twin_accuracy
    test_pulse_stats_are_reported
    test_pulse_stats_window_counts_examples_seen
    test_mnist_preset_runs_on_a_few_examples
    test_fashion_preset
    test_numerical_fault_exits_4_with_epoch_and_example
    test_out_of_memory_exits_5
    test_a_layer_past_the_index_limit_is_bad_input
    test_mnist_backrand_is_generated_cached_and_deterministic
    test_cifar10_pipeline_from_sample_images
    test_cost_preset_lands_near_the_paper
    test_reproduce_rejects_bad_options
    test_reproduce_small_run_writes_consistent_outputs
    test_bench_rejects_bad_counts
    test_bench_reports_rates_and_ratios
)

passed=0 failed=0
if [ ! -x "$MEMTRAIN" ]; then
    echo "FAIL binary: $MEMTRAIN is not an executable (run make build/memtrain)"
    echo "0 passed, 1 failed"
    exit 1
fi
for t in "${tests[@]}"; do
    why="" skipped=""
    "$t"
    rc=$?
    if [ "$rc" -eq 0 ] && [ -z "$why" ]; then
        passed=$((passed + 1))
        if [ -n "$skipped" ]; then echo "SKIP ${t#test_}: $skipped"; else echo "PASS ${t#test_}"; fi
    else
        failed=$((failed + 1))
        echo "FAIL ${t#test_}: ${why:-returned $rc}"
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
