#!/usr/bin/env bash
# fuzz.sh — run the libFuzzer harnesses built by `make fuzz-build` (fuzz/README.md).
#
#   bash fuzz/fuzz.sh run SECONDS     fuzz every harness for SECONDS each, one after
#                                     the other; new inputs go to $FUZZ_BUILD/corpus/NAME,
#                                     crashes to $FUZZ_BUILD/artifacts/NAME/; prints the
#                                     executions of each harness and the total.  With
#                                     FUZZ_MERGE=1, afterwards merges and minimises
#                                     fuzz/corpus/NAME + the new inputs into fuzz/corpus/NAME.
#   bash fuzz/fuzz.sh smoke SECONDS   every harness over its committed corpus, then
#                                     SECONDS of fuzzing (FUZZ_SMOKE_RUNS=N: N runs
#                                     instead); one PASS/FAIL line per harness and a
#                                     final "N passed, N failed".
#   bash fuzz/fuzz.sh merge           only the merge step of FUZZ_MERGE=1 (no fuzzing)
#   bash fuzz/fuzz.sh regress         replay fuzz/regressions/NAME/* through each
#                                     harness (no fuzzing); "N passed, N failed".
#
# Environment: FUZZ_BUILD (default build-fuzz), FUZZ_HARNESSES (default: every
# $FUZZ_BUILD/fuzz_* binary), FUZZ_ARGS (extra libFuzzer flags), FUZZ_SKIP_KNOWN=1
# (run mode: suppress the open findings of fuzz/ubsan-known.supp).
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root" || exit 1
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_ARGS=${FUZZ_ARGS:-}
# One thread per process: the harnesses' networks are tiny and libFuzzer is
# fastest single-threaded (run several harnesses, not several threads).
export OMP_NUM_THREADS=1
# Sanitizer settings of every run: any finding is fatal and leaves a stack trace.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# Known leaks of libconfig itself (not memtrain): see fuzz/lsan.supp.
export LSAN_OPTIONS=suppressions=$root/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
# FUZZ_SKIP_KNOWN=1 (long runs only): step over the reported, still open bugs
# listed in fuzz/ubsan-known.supp so that fuzzing goes on to find others.
if [ "${FUZZ_SKIP_KNOWN:-0}" = 1 ]; then
    UBSAN_OPTIONS=$UBSAN_OPTIONS:suppressions=$root/fuzz/ubsan-known.supp
fi

# A harness process that dies (a finding, a timeout, merge's crash-resistant
# restarts) leaves its scratch files behind: memtrain-fuzz-NAME-PID-SLOT (see
# fuzz/fuzz_common.h) and the OpenMP runtime's /dev/shm/__KMP_REGISTERED_LIB_PID_UID.
# Remove those created since this script started whose process is gone.
marker=$(mktemp) && touch -d "@$(( $(date +%s) - 1 ))" "$marker"
cleanup_stale() {
    local f base pid
    for f in /dev/shm/__KMP_REGISTERED_LIB_* /dev/shm/memtrain-fuzz-* /tmp/memtrain-fuzz-* \
             ${TMPDIR:+"$TMPDIR"/memtrain-fuzz-*}; do
        [ -f "$f" ] && [ "$f" -nt "$marker" ] || continue
        base=${f##*/}
        case $base in
        __KMP_REGISTERED_LIB_*) pid=${base#__KMP_REGISTERED_LIB_}; pid=${pid%%_*} ;;
        *) pid=$(echo "$base" | awk -F- '{print $4}') ;;
        esac
        case $pid in ''|*[!0-9]*) continue ;; esac
        kill -0 "$pid" 2>/dev/null || rm -f "$f"
    done
}
trap 'cleanup_stale; rm -f "$marker"' EXIT

mode=${1:-}
arg=${2:-}
if [ -n "${FUZZ_HARNESSES:-}" ]; then
    harnesses=$FUZZ_HARNESSES
else
    harnesses=$(cd "$FUZZ_BUILD" 2>/dev/null && ls fuzz_* 2>/dev/null | grep -v '\.' )
fi
if [ -z "$harnesses" ]; then
    echo "fuzz.sh: no harnesses in $FUZZ_BUILD (run make fuzz-build)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

# libFuzzer flags every mode shares: hang = 10 s, 2 GB RSS, the harness's dictionary
# and options file (fuzz/NAME.dict, fuzz/NAME.options) if any.
# Crash files go to $FUZZ_BUILD/artifacts/NAME/, never into the working directory.
common_flags() { # NAME
    mkdir -p "$FUZZ_BUILD/artifacts/$1"
    local flags="-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$FUZZ_BUILD/artifacts/$1/"
    [ -f "fuzz/$1.dict" ] && flags="$flags -dict=fuzz/$1.dict"
    [ -f "fuzz/$1.options" ] && flags="$flags $(cat "fuzz/$1.options")"
    echo "$flags $FUZZ_ARGS"
}

# Executions a libFuzzer log reports ("stat::number_of_executed_units: N", else "Done N runs").
executions() { # LOG
    local n
    n=$(grep -E '^stat::number_of_executed_units:' "$1" | tail -n 1 | awk '{print $2}')
    [ -z "$n" ] && n=$(grep -oE 'Done [0-9]+ runs' "$1" | tail -n 1 | awk '{print $2}')
    echo "${n:-0}"
}

# Merge fuzz/corpus/NAME and $FUZZ_BUILD/corpus/NAME into a minimal set that
# keeps their coverage, and make it the new fuzz/corpus/NAME.  Should that set
# exceed FUZZ_CORPUS_MAX_KB (default 1024) bytes, the merge is redone keeping
# every covered edge but not every hit-count bucket (-use_counters=0): smaller.
merge_corpus() { # NAME
    local name=$1 merged=$FUZZ_BUILD/merged/$1 log=$FUZZ_BUILD/logs/$1.merge.log extra="" kb
    mkdir -p "$FUZZ_BUILD/corpus/$name" "$(dirname "$log")"
    for extra in "" "-use_counters=0"; do
        rm -rf "$merged" && mkdir -p "$merged"
        # shellcheck disable=SC2046
        if ! "$FUZZ_BUILD/$name" $(common_flags "$name") $extra -merge=1 "$merged" "fuzz/corpus/$name" \
            "$FUZZ_BUILD/corpus/$name" >"$log" 2>&1; then
            echo "$name: merge failed (see $log); fuzz/corpus/$name unchanged"
            return 1
        fi
        kb=$(( $(cat "$merged"/* 2>/dev/null | wc -c) / 1024 ))
        [ "$kb" -le "${FUZZ_CORPUS_MAX_KB:-1024}" ] && break
    done
    rm -rf "fuzz/corpus/$name" && mv "$merged" "fuzz/corpus/$name"
    echo "$name: merged corpus: $(ls "fuzz/corpus/$name" | wc -l) files, $kb KiB${extra:+ ($extra)}"
}

passed=0 failed=0
case $mode in
merge)
    for name in $harnesses; do
        if merge_corpus "$name"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done
    ;;
run)
    seconds=${arg:-600}
    total=0
    summary=""
    for name in $harnesses; do
        bin=$FUZZ_BUILD/$name
        scratch=$FUZZ_BUILD/corpus/$name
        artifacts=$FUZZ_BUILD/artifacts/$name/
        log=$FUZZ_BUILD/logs/$name.log
        mkdir -p "$scratch" "$artifacts" "$(dirname "$log")" "fuzz/corpus/$name"
        echo "== $name: fuzzing for $seconds s (log: $log)"
        # shellcheck disable=SC2046
        "$bin" $(common_flags "$name") -max_total_time="$seconds" \
            "$scratch" "fuzz/corpus/$name" >"$log" 2>&1
        rc=$?
        n=$(executions "$log")
        total=$((total + n))
        if [ $rc -eq 0 ]; then
            result="ok"
            passed=$((passed + 1))
        else
            result="FINDING (exit $rc): $(grep -m1 -E 'ERROR: |runtime error|fuzz invariant' "$log")"
            failed=$((failed + 1))
            tail -n 40 "$log"
        fi
        echo "$name: $n executions, $result"
        summary="$summary$name: $n executions, $result"$'\n'
        [ "${FUZZ_MERGE:-0}" = 1 ] && merge_corpus "$name"
    done
    echo "== executions"
    printf '%s' "$summary"
    echo "total: $total executions"
    ;;
smoke)
    seconds=${arg:-10}
    for name in $harnesses; do
        bin=$FUZZ_BUILD/$name
        scratch=$FUZZ_BUILD/smoke/$name
        log=$FUZZ_BUILD/logs/$name.smoke.log
        rm -rf "$scratch" && mkdir -p "$scratch" "fuzz/corpus/$name" "$(dirname "$log")"
        if [ -n "${FUZZ_SMOKE_RUNS:-}" ]; then limit="-runs=$FUZZ_SMOKE_RUNS"; else limit="-max_total_time=$seconds"; fi
        # shellcheck disable=SC2046
        "$bin" $(common_flags "$name") $limit \
            "$scratch" "fuzz/corpus/$name" >"$log" 2>&1
        rc=$?
        n=$(executions "$log")
        if [ $rc -eq 0 ]; then
            echo "PASS $name ($(ls "fuzz/corpus/$name" | wc -l) corpus files, $n executions)"
            passed=$((passed + 1))
        else
            echo "FAIL $name (exit $rc, log $log): $(grep -m1 -E 'ERROR: |runtime error|fuzz invariant' "$log")"
            tail -n 40 "$log" | sed 's/^/    /'
            failed=$((failed + 1))
        fi
    done
    ;;
regress)
    for name in $harnesses; do
        dir=fuzz/regressions/$name
        [ -d "$dir" ] || continue
        for input in "$dir"/*; do
            [ -f "$input" ] || continue
            case $input in *.txt|*.md) continue ;; esac
            log=$FUZZ_BUILD/logs/regress-$name-$(basename "$input").log
            mkdir -p "$(dirname "$log")"
            # shellcheck disable=SC2046
            if "$FUZZ_BUILD/$name" $(common_flags "$name") -runs=1 "$input" >"$log" 2>&1; then
                echo "PASS $name/$(basename "$input")"
                passed=$((passed + 1))
            else
                echo "FAIL $name/$(basename "$input") (log $log): $(grep -m1 -E 'ERROR: |runtime error|fuzz invariant' "$log")"
                failed=$((failed + 1))
            fi
        done
    done
    ;;
*)
    echo "usage: bash fuzz/fuzz.sh run SECONDS | smoke SECONDS | merge | regress" >&2
    exit 2
    ;;
esac
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
