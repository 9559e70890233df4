#!/usr/bin/env bash
# run.sh — the whole test suite: the C unit tests (build/test_memtrain) and the
# command-line tests (tests/cli_test.sh).  Ends with one line "N passed, N failed".
# Called by `make check`; MEMTRAIN and TESTBIN name the binaries under test.
set -u
here=$(cd "$(dirname "$0")" && pwd)
MEMTRAIN=${MEMTRAIN:-$here/../build/memtrain}
TESTBIN=${TESTBIN:-$here/../build/test_memtrain}
export MEMTRAIN

passed=0 failed=0
tally() { # read a "N passed, N failed" summary from the last line of $1
    local line p f
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
    if [ -z "$line" ]; then failed=$((failed + 1)); echo "FAIL $2 (no summary line: crashed?)"; return; fi
    p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
    passed=$((passed + p)); failed=$((failed + f))
}

out=$(mktemp); trap 'rm -f "$out"' EXIT
echo "== unit tests ($TESTBIN)"
"$TESTBIN" "$@" 2>&1 | tee "$out"
tally "$out" "unit tests"
if [ $# -eq 0 ]; then
    echo "== command-line tests (tests/cli_test.sh)"
    bash "$here/cli_test.sh" 2>&1 | tee "$out"
    tally "$out" "command-line tests"
    echo "== crash and resume tests (tests/kill_test.sh)"
    bash "$here/kill_test.sh" 2>&1 | tee "$out"
    tally "$out" "crash and resume tests"
fi
echo "== total"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
