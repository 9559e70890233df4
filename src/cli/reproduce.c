/* reproduce.c — `memtrain reproduce`: parse arguments, call the experiment. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "experiment/reproduce.h"

static const char *const reproduce_help =
    "usage: memtrain reproduce [--quick] [--out DIR] [--threads N] [--datasets LIST]\n"
    "                          [--seed N] [--cifar10 DIR] [--cifar100 DIR]\n"
    "                          [--epochs N] [--train-limit N] [--test-limit N] [--set KEY=VALUE]...\n"
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
    "  --quick           5 epochs on 20,000 examples per run (about 4 minutes on 2 cores)\n"
    "                    instead of the paper's 20 epochs on 60,000 (about an hour)\n"
    "  --out DIR         output directory (default results/reproduce or results/reproduce-quick)\n"
    "  --threads N       runs executed at once (default: all cores)\n"
    "  --datasets LIST   comma-separated subset, e.g. mnist,fashion\n"
    "  --seed N          seed of every run (default 1)\n"
    "  --cifar10 DIR     directory of CIFAR-10 feature files (tools/extract_features.py)\n"
    "  --cifar100 DIR    directory of CIFAR-100 feature files\n"
    "  --epochs N        epochs per run, instead of the preset's 20 (or --quick's 5)\n"
    "  --train-limit N   train on the first N examples (0 = all); --test-limit N likewise\n"
    "  --set KEY=VALUE   change a parameter of every run (repeatable; `memtrain params`),\n"
    "                    e.g. --set cap.tau_s=0.3 to ask the paper's question of your\n"
    "                    devices; each ablation then changes one thing from there\n"
    "\n"
    "exit status: 0 done (a dataset whose data is missing is skipped, not an error),\n"
    "2 bad option or no dataset available, 3 output not writable.\n";

enum { MAX_SETS = 64 };

int cmd_reproduce(int argc, char **argv)
{
    reproduce_options o = {0};
    o.seed = 1;
    o.train_limit = o.test_limit = -1;
    static char keys[MAX_SETS][128];
    static const char *key_ptr[MAX_SETS], *value_ptr[MAX_SETS];
    o.set_keys = key_ptr;
    o.set_values = value_ptr;
    static char command[2048];
    size_t used = (size_t)snprintf(command, sizeof command, "memtrain reproduce");
    for (int i = 0; i < argc && used < sizeof command; i++)
        used += (size_t)snprintf(command + used, sizeof command - used, " %s", argv[i]);
    o.command = used < sizeof command ? command : NULL;
    long x = 0;
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
        if (!strcmp(a, "--out")) o.out_dir = v;
        else if (!strcmp(a, "--datasets")) o.datasets = v;
        else if (!strcmp(a, "--cifar10")) o.cifar10_dir = v;
        else if (!strcmp(a, "--cifar100")) o.cifar100_dir = v;
        else if (!strcmp(a, "--threads")) {
            if (cli_parse_count(a, v, 1, 1024, &x)) return MT_EINPUT;
            o.threads = (int)x;
        } else if (!strcmp(a, "--epochs")) {
            if (cli_parse_count(a, v, 1, 100000, &x)) return MT_EINPUT;
            o.epochs = (int)x;
        } else if (!strcmp(a, "--train-limit")) {
            if (cli_parse_count(a, v, 0, 1000000000, &o.train_limit)) return MT_EINPUT;
        } else if (!strcmp(a, "--test-limit")) {
            if (cli_parse_count(a, v, 0, 1000000000, &o.test_limit)) return MT_EINPUT;
        } else if (!strcmp(a, "--seed")) {
            char *end;
            errno = 0;
            o.seed = strtoull(v, &end, 10);
            if (*end || *v == '-' || !*v || errno)
                return cli_usage_error("--seed expects a non-negative integer, got '%s'", v);
        } else if (!strcmp(a, "--set")) {
            if (o.n_sets >= MAX_SETS) return cli_usage_error("too many --set (at most %s)", "64");
            if (cli_split_setting(v, keys[o.n_sets], sizeof keys[0], &value_ptr[o.n_sets])) return MT_EINPUT;
            /* the plan chooses these itself, per dataset and per run */
            if (!strcmp(keys[o.n_sets], "cell.kind") || !strcmp(keys[o.n_sets], "data.dataset"))
                return cli_usage_error("--set %s: reproduce chooses the cell and the dataset itself", keys[o.n_sets]);
            key_ptr[o.n_sets] = keys[o.n_sets];
            o.n_sets++;
        } else {
            return cli_usage_error("unknown option '%s'", a);
        }
    }
    if (!o.out_dir) o.out_dir = o.quick ? "results/reproduce-quick" : "results/reproduce";
    if (!strncmp(o.out_dir, "results/", 8) && mkdir("results", 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "memtrain: results: cannot create directory: %s\n", strerror(errno));
        return MT_EOUTPUT;
    }
    mt_error err = {0, ""};
    int rc = reproduce_run(&o, stdout, &err);
    if (rc) return cli_fail(&err);
    printf("wrote %s/REPORT.md, results.csv, results.jsonl, plots/\n", o.out_dir);
    return MT_OK;
}
