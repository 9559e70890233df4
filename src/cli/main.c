/* main.c — the `memtrain` command: parse arguments, call the library, report.
 *
 * No physics lives here.  Exit status: 0 success, 2 bad input, 3 output not
 * writable, 4 numerical fault, 5 out of memory, 1 internal error (docs/errors.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memtrain.h"
#include "cli/commands.h"
#include "cost/cost_params.h"
#include "train/results.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/params.h"

static const char *const main_help =
    "memtrain " MT_VERSION " - in-situ training of neural networks on analogue memory\n"
    "\n"
    "Simulates backpropagation performed inside crossbar arrays of phase-change memory\n"
    "(PCM) pairs and 3T1C capacitor cells (Ambrogio et al., Nature 558, 60-67, 2018),\n"
    "always beside a floating-point software twin with the same initial weights, data\n"
    "order and learning rate.\n"
    "\n"
    "usage: memtrain <command> [options]\n"
    "\n"
    "commands:\n"
    "  train     train a network on analogue cells beside its software twin\n"
    "  params    list every parameter (key, default, unit, source) or write a config\n"
    "  reproduce the paper's claim and its ablations on every dataset present, with plots\n"
    "  bench     training and inference throughput of each cell kind (examples/s)\n"
    "  cost      energy, area and throughput of the simulated hardware\n"
    "  version   print the version\n"
    "  help      this text; `memtrain <command> --help` explains a command\n"
    "\n"
    "examples:\n"
    "  memtrain train --preset mnist                  # the paper's MNIST network, 20 epochs\n"
    "  memtrain train --preset digits --cell 2pcm     # a seconds-long PCM-only run\n"
    "  memtrain train --set transfer.polarity_inversion=false --json run.jsonl\n"
    "  memtrain params --markdown                     # the parameter table (docs/parameters.md)\n";

static const char *const train_help =
    "usage: memtrain train [options]\n"
    "\n"
    "Trains the network of the chosen preset on analogue cells and, beside it, its\n"
    "float software twin (same initial weights, data order, learning rate).  Prints\n"
    "one line per epoch: analogue and twin accuracy on the training and test sets,\n"
    "their difference, transfers so far and wall-clock seconds.\n"
    "\n"
    "Parameters are applied in this order, later ones winning:\n"
    "  built-in defaults < --preset < --config FILE < the flags below < --set\n"
    "\n"
    "options:\n"
    "  --preset NAME       mnist (default: 784-250-10, 20 epochs, the paper's run),\n"
    "                      mnist-backrand (MNIST on random backgrounds, generated),\n"
    "                      fashion (Fashion-MNIST, Debian dataset-fashion-mnist),\n"
    "                      cifar10, cifar100 (2,048 conv features -> 10 / 100 classes),\n"
    "                      digits (UCI 8x8 digits, 64-32-10: seconds)\n"
    "  --config FILE       libconfig file, e.g.  cap = { tau_s = 0.5; };\n"
    "                      (memtrain params --config writes a complete one)\n"
    "  --cell KIND         float | 2pcm | 2pcm3t1c (default 2pcm3t1c)\n"
    "                        float     the software twin alone\n"
    "                        2pcm      PCM pair only, W = G+ - G- (Burr et al. 2015)\n"
    "                        2pcm3t1c  W = F(G+ - G-) + p(g - g_shared) (the paper)\n"
    "  --epochs N          passes over the training set\n"
    "  --train-limit N     use the first N training examples (0 = all)\n"
    "  --test-limit N      use the first N test examples (0 = all)\n"
    "  --seed N            seed of every random stream (same seed = same result)\n"
    "  --threads N         OpenMP threads (results do not depend on it)\n"
    "  --data DIR          directory with the dataset's files\n"
    "  --features FILE     cifar10/cifar100: training features (.npy, N x 2048, from\n"
    "  --labels FILE         tools/extract_features.py) and labels; default DIR/train_*.npy\n"
    "  --test-features FILE, --test-labels FILE   the test split (default DIR/test_*.npy)\n"
    "  --set KEY=VALUE     set any parameter (repeatable), e.g. --set cap.tau_s=0.1\n"
    "                      `memtrain params` lists every key with unit and default\n"
    "  --no-twin           do not train the software twin\n"
    "  --pulse-stats       count pulses per synapse over the first 16,000 examples\n"
    "                      (train.pulse_window) and report their distribution\n"
    "  --json FILE         write one JSON object per epoch, then one with \"final\": true\n"
    "                      (fields: epoch, cell, train_acc, test_acc, twin_train_acc,\n"
    "                      twin_test_acc, transfers, seconds, counters, ...)\n"
    "  --quiet             no per-epoch lines on stdout\n"
    "  --checkpoint FILE   save the complete state to FILE (atomically: a crash leaves the\n"
    "                      previous checkpoint intact) at the end of every epoch and, with\n"
    "  --checkpoint-every N  also every N training examples\n"
    "  --resume FILE       continue a run from its checkpoint: parameters come from the\n"
    "                      checkpoint (only --threads, --json, --quiet and --checkpoint*\n"
    "                      may be given); the --json file is rewritten from the start and\n"
    "                      ends identical to an uninterrupted run's (apart from seconds)\n"
    "\n"
    "exit status: 0 ok, 2 bad input, 3 output not writable, 4 numerical fault, 5 out of memory\n";

static const char *const params_help =
    "usage: memtrain params [--markdown | --config] [--preset NAME] [--set KEY=VALUE]...\n"
    "\n"
    "Without options: every parameter with its default, unit and source (paper, patent,\n"
    "literature, chosen).  --markdown writes the table of docs/parameters.md.  --config\n"
    "writes a complete libconfig file of the resulting parameters, which --config reads.\n";

int cli_fail(const mt_error *err)
{
    fprintf(stderr, "memtrain: %s\n", err->message);
    return err->code ? err->code : MT_EINTERNAL;
}

int cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "memtrain: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see memtrain --help)\n");
    return MT_EINPUT;
}

int cli_parse_count(const char *opt, const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s expects a whole number %ld..%ld, got '%%s'", opt, lo, hi);
        return cli_usage_error(msg, v);
    }
    *out = x;
    return MT_OK;
}

int cli_split_setting(const char *arg, char *key, size_t key_size, const char **value)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return cli_usage_error("--set expects KEY=VALUE, got '%s'", arg);
    size_t klen = (size_t)(eq - arg);
    if (klen >= key_size) return cli_usage_error("--set key too long: '%s'", arg);
    memcpy(key, arg, klen);
    key[klen] = '\0';
    *value = eq + 1;
    return MT_OK;
}

/* Options shared by train and params: everything that sets parameters. */
#define MAX_SETTINGS 256

typedef struct options {
    const char *preset, *config, *json;
    const char *checkpoint, *resume;
    long checkpoint_every;
    const char *sets[MAX_SETTINGS][3]; /* key, value, where it came from (--set or a flag) */
    int n_sets;
    int quiet, markdown, write_config;
} options;

static int add_setting(options *o, const char *key, const char *value, const char *origin)
{
    if (o->n_sets >= MAX_SETTINGS)
        return cli_usage_error("too many settings (at most %s)", "256");
    o->sets[o->n_sets][0] = key;
    o->sets[o->n_sets][1] = value;
    o->sets[o->n_sets][2] = origin;
    o->n_sets++;
    return MT_OK;
}

/* Parse argv into o; returns -1 when help was printed, else a status. */
static int parse_options(int argc, char **argv, options *o, const char *help, int is_train)
{
    static char set_buf[MAX_SETTINGS][512];
    int rc;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE() do { if (!next) return cli_usage_error("option %s needs a value", a); i++; } while (0)
#define SET(key) do { NEED_VALUE(); if ((rc = add_setting(o, key, next, a))) return rc; } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(help, stdout); return -1; }
        else if (!strcmp(a, "--preset")) { NEED_VALUE(); o->preset = next; }
        else if (!strcmp(a, "--config")) {
            if (!is_train && (!next || next[0] == '-')) { o->write_config = 1; continue; }
            NEED_VALUE();
            o->config = next;
        }
        else if (!strcmp(a, "--set")) {
            NEED_VALUE();
            if (o->n_sets >= MAX_SETTINGS) return cli_usage_error("too many settings (at most %s)", "256");
            const char *value;
            if ((rc = cli_split_setting(next, set_buf[o->n_sets], sizeof set_buf[0], &value))) return rc;
            if ((rc = add_setting(o, set_buf[o->n_sets], value, "--set"))) return rc;
        }
        else if (is_train && !strcmp(a, "--cell")) SET("cell.kind");
        else if (is_train && !strcmp(a, "--epochs")) SET("train.epochs");
        else if (is_train && !strcmp(a, "--train-limit")) SET("data.train_limit");
        else if (is_train && !strcmp(a, "--test-limit")) SET("data.test_limit");
        else if (is_train && !strcmp(a, "--seed")) SET("train.seed");
        else if (is_train && !strcmp(a, "--threads")) SET("train.threads");
        else if (is_train && !strcmp(a, "--data")) SET("data.dir");
        else if (is_train && !strcmp(a, "--features")) SET("data.features");
        else if (is_train && !strcmp(a, "--labels")) SET("data.labels");
        else if (is_train && !strcmp(a, "--test-features")) SET("data.test_features");
        else if (is_train && !strcmp(a, "--test-labels")) SET("data.test_labels");
        else if (is_train && !strcmp(a, "--json")) { NEED_VALUE(); o->json = next; }
        else if (is_train && !strcmp(a, "--checkpoint")) { NEED_VALUE(); o->checkpoint = next; }
        else if (is_train && !strcmp(a, "--resume")) { NEED_VALUE(); o->resume = next; }
        else if (is_train && !strcmp(a, "--checkpoint-every")) {
            NEED_VALUE();
            char *end;
            o->checkpoint_every = strtol(next, &end, 10);
            if (*next == '\0' || *end != '\0' || o->checkpoint_every < 0)
                return cli_usage_error("--checkpoint-every expects a number of examples >= 0, got '%s'", next);
        }
        else if (is_train && !strcmp(a, "--quiet")) o->quiet = 1;
        else if (is_train && !strcmp(a, "--no-twin")) {
            if ((rc = add_setting(o, "train.twin", "false", a))) return rc;
        }
        else if (is_train && !strcmp(a, "--pulse-stats")) {
            if ((rc = add_setting(o, "train.pulse_stats", "true", a))) return rc;
        }
        else if (!is_train && !strcmp(a, "--markdown")) o->markdown = 1;
        else return cli_usage_error("unknown option '%s'", a);
#undef SET
#undef NEED_VALUE
    }
    return MT_OK;
}

static int build_params(const options *o, mt_params *p, mt_error *err)
{
    mt_params_default(p);
    int rc;
    if (o->preset && (rc = mt_params_apply_preset(p, o->preset, err)))
        return mt_error_prefix(err, "--preset");
    if (o->config && (rc = mt_params_load_file(p, o->config, err))) return rc;
    for (int k = 0; k < o->n_sets; k++)
        if ((rc = mt_params_set(p, o->sets[k][0], o->sets[k][1], o->sets[k][2], err)))
            return rc;
    return mt_params_validate(p, err);
}

typedef struct train_output {
    FILE *json;
    int quiet, epochs;
    int write_failed;
} train_output;

static void on_epoch(const mt_epoch_result *r, void *user)
{
    train_output *out = user;
    if (!out->quiet) results_print_epoch(stdout, r, out->epochs);
    if (out->json) {
        results_json_epoch(out->json, r);
        if (ferror(out->json)) out->write_failed = 1;
    }
}

static int cmd_train(int argc, char **argv)
{
    options o;
    memset(&o, 0, sizeof o);
    int rc = parse_options(argc, argv, &o, train_help, 1);
    if (rc < 0) return MT_OK;
    if (rc) return rc;
    mt_params p;
    mt_error err = {0, ""};
    if (o.resume) {
        /* The checkpoint's parameters, not the command line's, define the run. */
        if (o.preset || o.config)
            return cli_usage_error("--resume takes the parameters from the checkpoint; %s cannot be combined with it",
                                   o.preset ? "--preset" : "--config");
        for (int k = 0; k < o.n_sets; k++)
            if (strcmp(o.sets[k][0], "train.threads") != 0)
                return cli_usage_error("--resume takes the parameters from the checkpoint; %s cannot be combined with it",
                                       o.sets[k][2]);
        if ((rc = mt_checkpoint_params(o.resume, &p, &err))) return cli_fail(&err);
        for (int k = 0; k < o.n_sets; k++)
            if ((rc = mt_params_set(&p, o.sets[k][0], o.sets[k][1], o.sets[k][2], &err)))
                return cli_fail(&err);
    } else if ((rc = build_params(&o, &p, &err))) {
        return cli_fail(&err);
    }

    train_output out = {NULL, o.quiet, p.train.epochs, 0};
    if (o.json) {
        out.json = fopen(o.json, "w");
        if (!out.json) {
            fprintf(stderr, "memtrain: --json %s: cannot write: %s\n", o.json, strerror(errno));
            return MT_EOUTPUT;
        }
    }
    mt_dataset train = {0}, test = {0};
    if ((rc = mt_dataset_load_for(&p, 1, &train, &err)) ||
        (rc = mt_dataset_load_for(&p, 0, &test, &err))) {
        mt_dataset_free(&train);
        if (out.json) fclose(out.json);
        return cli_fail(&err);
    }
    if (!o.quiet) {
        static const char *const kinds[] = {"float", "2pcm", "2pcm3t1c"};
        char hidden[sizeof p.net.hidden + 2] = "";
        if (p.net.hidden[0]) snprintf(hidden, sizeof hidden, "%s-", p.net.hidden);
        for (char *c = hidden; *c; c++) *c = *c == ',' ? '-' : *c;
        printf("memtrain %s: %s %d-%s%d (%ld train / %ld test), cell %s, %d epochs, seed %llu\n",
               MT_VERSION, p.data.dataset, train.dim, hidden, train.classes,
               train.n, test.n, kinds[p.cell.kind], p.train.epochs, (unsigned long long)p.train.seed);
        fflush(stdout);
    }
    const double start = clock_seconds();
    mt_epoch_result final;
    mt_network *net = NULL;
    const mt_run_options run = {o.checkpoint, o.checkpoint_every, o.resume};
    rc = mt_train_run(&p, &train, &test, &run, on_epoch, &out, &final, &net, &err);
    if (rc == MT_OK) {
        pulse_summary ps[16];
        int n_ps = 0;
        for (int l = 0; net && l < mt_network_layers(net) && n_ps < 16; l++)
            if (results_pulse_summary(net, l,
                                      final.examples < (uint64_t)p.train.pulse_window
                                          ? (long)final.examples : p.train.pulse_window,
                                      &ps[n_ps])) {
                if (!o.quiet) results_print_pulse_summary(stdout, &ps[n_ps]);
                n_ps++;
            }
        if (out.json) results_json_final(out.json, &final, net, &p, clock_seconds() - start, ps, n_ps);
    }
    mt_network_free(net);
    mt_dataset_free(&train);
    mt_dataset_free(&test);
    if (out.json) {
        if (fclose(out.json) != 0 || out.write_failed) {
            fprintf(stderr, "memtrain: --json %s: write failed: %s\n", o.json, strerror(errno));
            return rc ? rc : MT_EOUTPUT;
        }
    }
    return rc ? cli_fail(&err) : MT_OK;
}

static int cmd_params(int argc, char **argv)
{
    options o;
    memset(&o, 0, sizeof o);
    int rc = parse_options(argc, argv, &o, params_help, 0);
    if (rc < 0) return MT_OK;
    if (rc) return rc;
    if (o.markdown) {
        mt_params_write_markdown(stdout);
        return MT_OK;
    }
    mt_params p;
    mt_error err = {0, ""};
    if ((rc = build_params(&o, &p, &err))) return cli_fail(&err);
    if (o.write_config) {
        mt_params_write(&p, stdout);
        return MT_OK;
    }
    for (size_t i = 0; i < params_count(); i++) {
        const param_def *d = params_entry(i);
        char value[600];
        params_format_value(&p, d, value, sizeof value);
        printf("%-30s %-12s %-8s %-10s %s\n", d->key, value[0] ? value : "\"\"", d->unit,
               d->source, d->help);
    }
    printf("\npresets:");
    for (const char *const *name = mt_preset_names(); *name; name++)
        printf("\n  %-14s %s", *name, params_preset_doc(*name));
    for (const char *const *name = cost_preset_names(); *name; name++)
        printf("\n  %-14s %s", *name, cost_preset_doc(*name));
    printf("\n");
    return MT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(main_help, stdout);
        return argc < 2 ? MT_EINPUT : MT_OK;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("memtrain %s\n", MT_VERSION);
        return MT_OK;
    }
    if (!strcmp(argv[1], "train")) return cmd_train(argc - 2, argv + 2);
    if (!strcmp(argv[1], "params")) return cmd_params(argc - 2, argv + 2);
    if (!strcmp(argv[1], "bench")) return cmd_bench(argc - 2, argv + 2);
    if (!strcmp(argv[1], "cost")) return cmd_cost(argc - 2, argv + 2);
    if (!strcmp(argv[1], "reproduce")) return cmd_reproduce(argc - 2, argv + 2);
    return cli_usage_error("unknown command '%s'", argv[1]);
}
