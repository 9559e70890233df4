/* reproduce.h — `memtrain reproduce`: the paper's claim and its ablations, in one command.
 *
 * For every dataset whose data is present (MNIST, MNIST-backrand, Fashion-MNIST,
 * CIFAR-10/100 features) it trains the paper's cell beside its software twin, the
 * PCM-only cell, and the ablations — polarity inversion off, device variability off
 * (with and without inversion), transfer interval 1k/32k, significance F = 1, 2, 4, 8,
 * leakage tau 0.1 s / 10 s — then takes a snapshot of one transfer, and writes
 *   results.jsonl   every epoch of every run (also per run in runs/, as each finishes)
 *   results.csv     one row per run
 *   REPORT.md       per dataset: synapses, twin vs analogue, the paper's claim, ablations
 *   plots/NAME.png  accuracy vs epoch, conductances before/after a transfer, desired vs
 *                   achieved weight at a transfer, pulses per synapse, ablations
 * Runs are independent and execute in parallel, one per thread; each is deterministic,
 * so the outputs do not depend on the thread count. */
#ifndef MT_EXPERIMENT_REPRODUCE_H
#define MT_EXPERIMENT_REPRODUCE_H

#include <stdio.h>

#include "memtrain.h"

typedef struct reproduce_options {
    int quick;             /* short runs: minutes in all instead of an hour */
    const char *out_dir;   /* where everything is written (created if missing) */
    int threads;           /* runs executed at once (0: OpenMP default) */
    const char *datasets;  /* comma-separated subset, NULL: all; an unknown name is an error */
    const char *cifar10_dir, *cifar100_dir; /* feature files (tools/extract_features.py) */
    uint64_t seed;
    int epochs;            /* > 0: overrides the preset (and --quick) */
    long train_limit, test_limit; /* >= 0: override; -1: keep */
    const char *const *set_keys, *const *set_values; /* --set KEY=VALUE, applied last */
    int n_sets;
    const char *command;   /* the command line, for the report (may be NULL) */
} reproduce_options;

/* Run everything; progress lines go to `log` (may be NULL). */
int reproduce_run(const reproduce_options *o, FILE *log, mt_error *err);

#endif
