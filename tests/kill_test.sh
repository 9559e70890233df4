#!/usr/bin/env bash
# kill_test.sh — nothing is lost on a crash.
#
# Trains the digits preset with checkpoints, kills the process with SIGKILL at random
# moments, resumes from the checkpoint (with a different thread count), and checks
# that the results file is identical, apart from timing fields, to an uninterrupted
# run.  Also checks that a corrupted checkpoint is refused and the previous one is
# not damaged by a failed write.  Ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
MEMTRAIN=${MEMTRAIN:-$here/../build/memtrain}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }

run_args=(train --preset digits --epochs 15 --seed 11 --quiet)
same_results() { # file file: equal after dropping wall-clock fields
    python3 - "$1" "$2" <<'PY'
import json, sys
def load(p):
    rows = [json.loads(l) for l in open(p)]
    for r in rows:
        r.pop("seconds", None); r.pop("seconds_total", None)
    return rows
sys.exit(0 if load(sys.argv[1]) == load(sys.argv[2]) else 1)
PY
}

start=$(date +%s.%N)
"$MEMTRAIN" "${run_args[@]}" --threads 1 --json "$work/reference.jsonl" || { fail reference_run "exit $?"; }
duration=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')

interrupted=0
for trial in 1 2 3 4 5 6; do
    rm -f "$work/ck" "$work/run.jsonl"
    # a random moment within the run (RANDOM: 0..32767)
    delay=$(awk -v d="$duration" -v r="$RANDOM" 'BEGIN { printf "%.3f", d * r / 32768 }')
    "$MEMTRAIN" "${run_args[@]}" --threads 1 --json "$work/run.jsonl" --checkpoint "$work/ck" \
        --checkpoint-every 250 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null && interrupted=$((interrupted + 1))
    wait "$pid" 2>/dev/null
    if [ -f "$work/ck" ]; then
        "$MEMTRAIN" train --resume "$work/ck" --threads 2 --quiet --json "$work/run.jsonl" \
            --checkpoint "$work/ck" --checkpoint-every 250
        rc=$?
    else # killed before the first checkpoint: start again
        "$MEMTRAIN" "${run_args[@]}" --threads 2 --json "$work/run.jsonl"; rc=$?
    fi
    if [ $rc -ne 0 ]; then fail "kill_and_resume_$trial" "resume exited $rc (killed after ${delay}s)"
    elif same_results "$work/reference.jsonl" "$work/run.jsonl"; then pass "kill_and_resume_$trial (killed after ${delay}s)"
    else fail "kill_and_resume_$trial" "results differ from the uninterrupted run (killed after ${delay}s)"; fi
done
if [ $interrupted -ge 3 ]; then pass at_least_three_runs_were_really_interrupted
else fail at_least_three_runs_were_really_interrupted "only $interrupted of 6"; fi

# A corrupt checkpoint is refused with a clear message (exit 2).
"$MEMTRAIN" "${run_args[@]}" --epochs 2 --checkpoint "$work/good" >/dev/null || fail write_checkpoint "exit $?"
cp "$work/good" "$work/bad"
python3 - "$work/bad" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0x40; open(p, "wb").write(b)
PY
err=$("$MEMTRAIN" train --resume "$work/bad" --quiet 2>&1); rc=$?
if [ $rc -eq 2 ] && [[ "$err" == *"checksum mismatch"* ]]; then pass corrupt_checkpoint_is_refused
else fail corrupt_checkpoint_is_refused "exit $rc: $err"; fi
head -c 1000 "$work/good" > "$work/short"
err=$("$MEMTRAIN" train --resume "$work/short" --quiet 2>&1); rc=$?
if [ $rc -eq 2 ] && [[ "$err" == *"$work/short"* ]]; then pass truncated_checkpoint_is_refused
else fail truncated_checkpoint_is_refused "exit $rc: $err"; fi
err=$("$MEMTRAIN" train --resume "$work/good" --set cap.tau_s=2 --quiet 2>&1); rc=$?
if [ $rc -eq 2 ] && [[ "$err" == *"--resume"* ]]; then pass resume_refuses_new_parameters
else fail resume_refuses_new_parameters "exit $rc: $err"; fi

# A checkpoint write that fails (full disk) leaves the previous checkpoint intact.
if [ -w /dev/full ]; then
    cp "$work/good" "$work/keep"
    before=$(md5sum < "$work/keep")
    ln -sf /dev/full "$work/keep.tmp"   # the temporary file the writer opens
    err=$("$MEMTRAIN" "${run_args[@]}" --epochs 1 --checkpoint "$work/keep" 2>&1); rc=$?
    after=$(md5sum < "$work/keep")
    if [ $rc -eq 3 ] && [ "$before" = "$after" ] && [[ "$err" == *"intact"* ]]; then
        pass failed_checkpoint_write_keeps_the_previous_one
    else fail failed_checkpoint_write_keeps_the_previous_one "exit $rc, unchanged=$([ "$before" = "$after" ] && echo yes || echo no): $err"; fi
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
