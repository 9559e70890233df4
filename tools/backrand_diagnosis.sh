#!/usr/bin/env bash
# backrand_diagnosis.sh [MEMTRAIN] > table.md
# The MNIST-backrand diagnosis of docs/reproduce.md: 2PCM+3T1C beside its twin for
# 2 epochs (preset mnist-backrand: lr 0.01, seed 1), one change at a time, as a
# markdown table.  About 25 s per row on 2 cores (11 rows).
set -eu
memtrain=${1:-build/memtrain}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

noise="--set cap.pulse_noise_rel=0 --set pcm.set_noise_rel=0 --set pcm.program_noise_rel=0 --set pcm.read_noise_rel=0"
fine="--set cap.dv_up_V=0.00015 --set cap.dv_down_V=0.00015 --set cell.max_pulses_per_update=630"
rows=(
    "defaults|"
    "periphery ideal (no ADC/DAC rounding, no output noise, no saturation)|--set periph.adc_bits=0 --set periph.dac_bits=0 --set periph.out_noise=0 --set periph.out_bound=1000000"
    "no leakage (τ = 10⁹ s)|--set cap.tau_s=1e9"
    "no device-to-device variability|--set cell.variability=false"
    "no cycle-to-cycle, read or programming noise|$noise"
    "capacitor steps 10× finer (0.15 mV)|$fine"
    "all device noise and variability off, 10× finer steps|--set cell.variability=false $noise $fine"
    "… and linear capacitor steps (\`cap.step_slope_per_V = 0\`)|--set cell.variability=false $noise $fine --set cap.step_slope_per_V=0"
    "transfer every 1,000 examples (defaults otherwise)|--set transfer.interval=1000"
    "no transfer at all (capacitor only)|--set transfer.interval=1000000000"
    "PCM pair only (\`2pcm\`)|--cell 2pcm"
)

field() { # field NAME FILE: a number from the last (final) JSON line
    tail -n 1 "$2" | tr ',{}' '\n\n\n' | sed -n "s/^\"$1\":\\(.*\\)$/\\1/p"
}

echo "| run (2 epochs) | 2PCM+3T1C test accuracy | gap to twin | twin |"
echo "|---|---|---|---|"
for k in "${!rows[@]}"; do
    name=${rows[$k]%%|*}
    args=${rows[$k]#*|}
    # shellcheck disable=SC2086  # args are words on purpose
    "$memtrain" train --preset mnist-backrand --epochs 2 --quiet --json "$work/$k.jsonl" $args
    acc=$(field test_acc "$work/$k.jsonl")
    twin=$(field twin_test_acc "$work/$k.jsonl")
    awk -v n="$name" -v a="$acc" -v t="$twin" \
        'BEGIN { printf "| %s | %.2f %% | %+.1f pp | %.2f %% |\n", n, 100 * a, 100 * (a - t), 100 * t }'
done
