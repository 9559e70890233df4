/* reproduce.c — `memtrain reproduce`: parse arguments, call the experiment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "experiment/reproduce.h"

static const char *const reproduce_help =
    "usage: memtrain reproduce [--quick] [--out DIR] [--threads N] [--datasets LIST]\n"
    "                          [--seed N] [--cifar10 DIR] [--cifar100 DIR]\n"
    "\n"
    "Checks the paper's claim - accuracy equivalent to software training - and shows\n"
    "why it holds.  For every dataset whose data is present (mnist, mnist-backrand,\n"
    "fashion, cifar10, cifar100; others are listed as skipped, with where to get them)\n"
    "it trains: the 2PCM+3T1C cell beside its software twin, the PCM-only cell, and\n"
    "the ablations: polarity inversion off, device variability off (with and without\n"
    "inversion), transfer interval 1k and 32k, significance F = 1, 2, 4, 8, leakage\n"
    "tau 0.1 s and 10 s, and ideal devices (every noise, spread and nonlinearity off:\n"
    "what is left of the gap belongs to the cell's arithmetic, not its devices).\n"
    "Then it takes a snapshot of one transfer and writes to DIR:\n"
    "  REPORT.md      the tables, the paper's claim beside ours, the figures\n"
    "  results.csv    one row per run;  results.jsonl  every epoch of every run\n"
    "  runs/          each run's epochs, written as it finishes\n"
    "  plots/         PNG figures (gnuplot), with the .dat data and .gp script of each\n"
    "Runs execute in parallel, one per thread; results do not depend on --threads.\n"
    "\n"
    "options:\n"
    "  --quick           5 epochs on 20,000 examples per run (about 5 minutes on 2 cores)\n"
    "                    instead of the paper's 20 epochs on 60,000 (about an hour)\n"
    "  --out DIR         output directory (default results/reproduce or results/reproduce-quick)\n"
    "  --threads N       runs executed at once (default: all cores)\n"
    "  --datasets LIST   comma-separated subset, e.g. mnist,fashion\n"
    "  --seed N          seed of every run (default 1)\n"
    "  --cifar10 DIR     directory of CIFAR-10 feature files (tools/extract_features.py)\n"
    "  --cifar100 DIR    directory of CIFAR-100 feature files\n";

int cmd_reproduce(int argc, char **argv)
{
    reproduce_options o = {0, NULL, 0, NULL, NULL, NULL, 1};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(reproduce_help, stdout);
            return MT_OK;
        }
        if (!strcmp(a, "--quick")) {
            o.quick = 1;
            continue;
        }
        if (!v) return cli_usage_error("option %s needs a value", a);
        i++;
        char *end;
        if (!strcmp(a, "--out")) o.out_dir = v;
        else if (!strcmp(a, "--datasets")) o.datasets = v;
        else if (!strcmp(a, "--cifar10")) o.cifar10_dir = v;
        else if (!strcmp(a, "--cifar100")) o.cifar100_dir = v;
        else if (!strcmp(a, "--threads")) {
            o.threads = (int)strtol(v, &end, 10);
            if (*end || o.threads < 1 || o.threads > 1024)
                return cli_usage_error("--threads expects a number 1..1024, got '%s'", v);
        } else if (!strcmp(a, "--seed")) {
            o.seed = strtoull(v, &end, 10);
            if (*end || *v == '-' || !*v) return cli_usage_error("--seed expects a non-negative integer, got '%s'", v);
        } else {
            return cli_usage_error("unknown option '%s'", a);
        }
    }
    if (!o.out_dir) o.out_dir = o.quick ? "results/reproduce-quick" : "results/reproduce";
    if (!strncmp(o.out_dir, "results/", 8)) {
        mt_error e;
        (void)e;
        /* the default lives under results/: create it */
        if (system("mkdir -p results") != 0) return cli_usage_error("%s", "cannot create results/");
    }
    mt_error err = {0, ""};
    int rc = reproduce_run(&o, stdout, &err);
    if (rc) return cli_fail(&err);
    printf("wrote %s/REPORT.md, results.csv, results.jsonl, plots/\n", o.out_dir);
    return MT_OK;
}
