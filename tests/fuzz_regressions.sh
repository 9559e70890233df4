#!/usr/bin/env bash
# fuzz_regressions.sh — replay every input saved under fuzz/regressions/<harness>/
# (inputs with which a fuzzer once found a crash, leak, hang or UBSan error; see
# fuzz/README.md) through its libFuzzer harness, once each, without fuzzing.
# Needs the harnesses: `make fuzz-build` (or run `make fuzz-regressions`).
# Prints PASS/FAIL per input and ends with "N passed, N failed".
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/../fuzz/fuzz.sh" regress
