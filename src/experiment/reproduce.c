/* reproduce.c — see reproduce.h.  The plan (datasets x runs) is a table; everything
 * else is bookkeeping: load the data once, run every (dataset, run) pair on its own
 * thread, then write the results in plan order so the outputs are deterministic. */
#include "experiment/reproduce.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "experiment/plots.h"
#include "train/results.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/params.h"

/* ------------------------------------------------------------------ the plan */

typedef struct dataset_spec {
    const char *name;       /* preset name */
    const char *title;
    const char *paper;      /* what the paper claims for it */
} dataset_spec;

static const dataset_spec datasets[] = {
    {"mnist", "MNIST", "equivalent to software training (paper)"},
    {"mnist-backrand", "MNIST-backrand", "equivalent to software training (paper)"},
    {"fashion", "Fashion-MNIST", "not in the paper"},
    {"cifar10", "CIFAR-10 (transfer learning)", "equivalent to software training (paper)"},
    {"cifar100", "CIFAR-100 (transfer learning)", "equivalent to software training (paper)"},
};
enum { N_DATASETS = sizeof datasets / sizeof datasets[0] };

enum { MAX_SETS = 14 };

typedef struct run_spec {
    const char *name;       /* short, file-name safe */
    const char *what;       /* for the report */
    const char *sets[MAX_SETS][2]; /* parameters changed from the dataset's preset */
    int twin;               /* the reference run trains the twin and counts pulses */
} run_spec;

static const run_spec runs[] = {
    {"2pcm3t1c", "2PCM+3T1C, defaults (the paper's cell)", {{NULL, NULL}}, 1},
    {"2pcm", "PCM pair only (Burr et al. 2015)", {{"cell.kind", "2pcm"}}, 0},
    {"no-inversion", "polarity inversion off", {{"transfer.polarity_inversion", "false"}}, 0},
    {"no-variability", "device-to-device variability off", {{"cell.variability", "false"}}, 0},
    {"no-variability-no-inversion", "variability off and polarity inversion off",
     {{"cell.variability", "false"}, {"transfer.polarity_inversion", "false"}}, 0},
    {"transfer-1k", "transfer every 1,000 examples", {{"transfer.interval", "1000"}}, 0},
    {"transfer-32k", "transfer every 32,000 examples", {{"transfer.interval", "32000"}}, 0},
    {"F1", "significance F = 1", {{"cell.significance_F", "1"}}, 0},
    {"F2", "significance F = 2", {{"cell.significance_F", "2"}}, 0},
    {"F4", "significance F = 4", {{"cell.significance_F", "4"}}, 0},
    {"F8", "significance F = 8", {{"cell.significance_F", "8"}}, 0},
    {"tau-0.1s", "leakage tau = 0.1 s", {{"cap.tau_s", "0.1"}}, 0},
    {"tau-10s", "leakage tau = 10 s", {{"cap.tau_s", "10"}}, 0},
    /* The architecture with its device physics removed: what is left of the gap
     * to the twin is the cell's arithmetic (transfer, F, ADC/DAC at 16 bits). */
    {"ideal-devices", "ideal devices: no spread or noise, linear 10x finer capacitor steps, 16-bit ADC/DAC",
     {{"cell.variability", "false"}, {"cap.pulse_noise_rel", "0"}, {"cap.step_slope_per_V", "0"},
      {"cap.dv_up_V", "0.00015"}, {"cap.dv_down_V", "0.00015"}, {"pcm.set_noise_rel", "0"},
      {"pcm.program_noise_rel", "0"}, {"pcm.read_noise_rel", "0"}, {"pcm.stuck_fraction", "0"},
      {"periph.out_noise", "0"}, {"periph.adc_bits", "16"}, {"periph.dac_bits", "16"},
      /* 10x finer steps need 10x the pulses for the same largest update */
      {"cell.max_pulses_per_update", "630"}}, 0},
};
enum { N_RUNS = sizeof runs / sizeof runs[0] };

/* What the paper argues each ablation does, for the report. */
static const char *expectation(const char *run)
{
    if (!strcmp(run, "2pcm")) return "worse (the paper's motivation)";
    if (!strcmp(run, "no-inversion")) return "worse: asymmetry accumulates";
    if (!strcmp(run, "no-variability")) return "no worse (nothing left to cancel)";
    if (!strcmp(run, "no-variability-no-inversion")) return "no worse: inversion only matters with variability";
    if (!strcmp(run, "F1")) return "worse: less dynamic range, coarser PCM";
    if (!strcmp(run, "tau-0.1s")) return "worse: faster leakage";
    if (!strcmp(run, "ideal-devices")) return "equal to the twin: the cell itself is exact";
    return "-";
}

/* ------------------------------------------------------------------ state */

typedef struct loaded {
    int present;
    char skipped[600];      /* why not, and where to get it */
    mt_params params;       /* the dataset's preset (+ quick settings) */
    mt_dataset train, test;
    long synapses;
} loaded;

typedef struct outcome {
    int rc;
    mt_error err;
    mt_epoch_result *epochs; /* per epoch */
    int n_epochs;
    mt_epoch_result final;
    double seconds;
    int32_t *pulse_total, *pulse_net; /* layer 1, reference run */
    size_t pulse_n;
    long pulse_window;
} outcome;

typedef struct collector {
    outcome *o;
    int capacity;
} collector;

static void collect(const mt_epoch_result *r, void *user)
{
    collector *c = user;
    if (c->o->n_epochs < c->capacity) c->o->epochs[c->o->n_epochs++] = *r;
}

static int make_dir(const char *path, mt_error *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return mt_fail(err, MT_EOUTPUT, "%s: cannot create directory: %s", path, strerror(errno));
    return MT_OK;
}

static int selected(const char *list, const char *name)
{
    if (!list || !*list) return 1;
    size_t len = strlen(name);
    for (const char *s = list; *s;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (n == len && !strncmp(s, name, n)) return 1;
        s += n + (comma ? 1 : 0);
    }
    return 0;
}

/* The dataset's parameters: its preset, the seed, and in quick mode shorter runs. */
static int dataset_params(const reproduce_options *o, const dataset_spec *d, mt_params *p,
                          mt_error *err)
{
    mt_params_default(p);
    int rc = mt_params_apply_preset(p, d->name, err);
    if (rc) return rc;
    p->train.seed = o->seed;
    /* Parallelism is across runs.  A run's own regions are too fine-grained to gain
     * from threads on a machine already busy with other runs (and with --threads 1 a
     * run would otherwise open teams of every core: 7x slower, measured). */
    p->train.threads = 1;
    if (!strcmp(d->name, "cifar10") && o->cifar10_dir) snprintf(p->data.dir, sizeof p->data.dir, "%s", o->cifar10_dir);
    if (!strcmp(d->name, "cifar100") && o->cifar100_dir) snprintf(p->data.dir, sizeof p->data.dir, "%s", o->cifar100_dir);
    if (o->quick) {
        /* ~10^5 examples per run: the ablations' directions, not final accuracies */
        p->train.epochs = 5;
        p->train.lr_step_epochs = 2;
        p->data.train_limit = 20000;
        p->data.test_limit = 5000;
    }
    if (o->epochs > 0) {
        p->train.epochs = o->epochs;
        if (p->train.lr_step_epochs > o->epochs) p->train.lr_step_epochs = o->epochs;
    }
    if (o->train_limit >= 0) p->data.train_limit = o->train_limit;
    if (o->test_limit >= 0) p->data.test_limit = o->test_limit;
    for (int k = 0; k < o->n_sets; k++) {
        int rc2 = mt_params_set(p, o->set_keys[k], o->set_values[k], "--set", err);
        if (rc2) return rc2;
    }
    return mt_params_validate(p, err);
}

static long synapse_count(const mt_params *p, const mt_dataset *d)
{
    int sizes[8], n = 0;
    mt_error err;
    if (params_parse_hidden(p->net.hidden, sizes, 8, &n, &err)) return 0;
    long total = 0, in = d->dim;
    for (int l = 0; l <= n; l++) {
        long out = l < n ? sizes[l] : d->classes;
        total += (in + 1) * out;
        in = out;
    }
    return total;
}

/* One (dataset, run): train, keep the epochs and (reference run) the pulse counts. */
static void execute(const loaded *ds, const run_spec *run, const char *runs_dir,
                    const char *dataset_name, outcome *out)
{
    mt_params p = ds->params;
    memset(out, 0, sizeof *out);
    for (int k = 0; k < MAX_SETS && run->sets[k][0]; k++)
        if ((out->rc = mt_params_set(&p, run->sets[k][0], run->sets[k][1], run->name, &out->err)))
            return;
    p.train.twin = run->twin;
    p.train.pulse_stats = run->twin;
    out->epochs = calloc((size_t)p.train.epochs, sizeof *out->epochs);
    if (!out->epochs) {
        out->rc = mt_fail(&out->err, MT_ENOMEM, "out of memory");
        return;
    }
    collector c = {out, p.train.epochs};
    mt_network *net = NULL;
    const double start = clock_seconds();
    out->rc = mt_train_run(&p, &ds->train, &ds->test, NULL, collect, &c, &out->final, &net, &out->err);
    out->seconds = clock_seconds() - start;
    if (out->rc == MT_OK && run->twin) {
        const int32_t *total, *netp;
        if (mt_network_pulse_stats(net, 0, &total, &netp)) {
            int rows, cols;
            mt_network_layer_shape(net, 0, &rows, &cols);
            out->pulse_n = (size_t)rows * (size_t)cols;
            out->pulse_total = malloc(out->pulse_n * sizeof *out->pulse_total);
            out->pulse_net = malloc(out->pulse_n * sizeof *out->pulse_net);
            if (out->pulse_total && out->pulse_net) {
                memcpy(out->pulse_total, total, out->pulse_n * sizeof *total);
                memcpy(out->pulse_net, netp, out->pulse_n * sizeof *netp);
            } else {
                out->pulse_n = 0;
            }
            long seen = (long)out->final.examples;
            out->pulse_window = seen < p.train.pulse_window ? seen : p.train.pulse_window;
        }
    }
    mt_network_free(net);
    /* this run's epochs, on disk as soon as it finishes */
    char path[4200], tags[300];
    snprintf(path, sizeof path, "%s/%s-%s.jsonl", runs_dir, dataset_name, run->name);
    snprintf(tags, sizeof tags, "\"dataset\":\"%s\",\"run\":\"%s\",", dataset_name, run->name);
    FILE *f = fopen(path, "w");
    if (f) {
        for (int e = 0; e < out->n_epochs; e++) results_json_epoch_tagged(f, tags, &out->epochs[e]);
        fclose(f);
    }
}

/* ------------------------------------------------------------------ outputs */

static double final_acc(const outcome *o) { return o->rc == MT_OK ? o->final.test_acc : NAN; }

static void write_csv(FILE *f, const loaded *ds, outcome (*res)[N_RUNS])
{
    fprintf(f, "dataset,run,what,synapses,epochs,train_examples,test_acc,twin_test_acc,diff_pp,"
               "train_acc,transfers,cap_pulses,pcm_update_pulses,program_failures,seconds,status\n");
    for (int d = 0; d < N_DATASETS; d++) {
        if (!ds[d].present) continue;
        const double twin = res[d][0].final.twin_test_acc;
        for (int r = 0; r < N_RUNS; r++) {
            const outcome *o = &res[d][r];
            const mt_counters *c = &o->final.counters;
            fprintf(f, "%s,%s,\"%s\",%ld,%d,%ld,%.4f,%.4f,%.2f,%.4f,%llu,%llu,%llu,%llu,%.1f,%s\n",
                    datasets[d].name, runs[r].name, runs[r].what, ds[d].synapses, o->n_epochs,
                    ds[d].train.n, final_acc(o), twin, 100 * (final_acc(o) - twin), o->final.train_acc,
                    (unsigned long long)o->final.transfers,
                    (unsigned long long)(c->cap_pulses_up + c->cap_pulses_down),
                    (unsigned long long)c->pcm_set_pulses_update, (unsigned long long)c->program_failures,
                    o->seconds, o->rc == MT_OK ? "ok" : o->err.message);
        }
    }
}

static void write_report(FILE *f, const reproduce_options *o, const loaded *ds,
                         outcome (*res)[N_RUNS], const char *plots_note, double seconds)
{
    const int custom = o->epochs > 0 || o->train_limit >= 0 || o->test_limit >= 0 || o->n_sets > 0;
    fprintf(f, "# memtrain reproduce: %s\n\n", custom ? "custom run" : o->quick ? "quick run" : "full run");
    fprintf(f, "Ambrogio et al., *Nature* 558, 60-67 (2018), claim accuracy **equivalent to software "
               "training** with 2PCM+3T1C cells, polarity inversion and transfers.  Each dataset below "
               "was trained with the paper's cell beside its software twin (same initial weights, data "
               "order and learning rate), with the PCM-only cell, and with one change at a time.\n\n");
    fprintf(f, "Generated by `%s` (seed %llu) in %.0f s.  %s\n\n",
            o->command ? o->command : (o->quick ? "memtrain reproduce --quick" : "memtrain reproduce"),
            (unsigned long long)o->seed, seconds,
            o->quick ? "Quick mode trains 5 epochs on 20,000 examples and tests on 5,000: it shows the "
                       "direction of each effect, not final accuracies." : "");
    fprintf(f, "## Summary\n\n| dataset | synapses | twin (float) | 2PCM+3T1C | difference | 2PCM only | paper |\n"
               "|---|---|---|---|---|---|---|\n");
    for (int d = 0; d < N_DATASETS; d++) {
        if (!ds[d].present) {
            fprintf(f, "| %s | | | | | | skipped: %s |\n", datasets[d].title, ds[d].skipped);
            continue;
        }
        const outcome *ref = &res[d][0], *pcm = &res[d][1];
        fprintf(f, "| %s | %ld | %.2f %% | %.2f %% | %+.2f pp | %.2f %% | %s |\n", datasets[d].title,
                ds[d].synapses, 100 * ref->final.twin_test_acc, 100 * final_acc(ref),
                100 * (final_acc(ref) - ref->final.twin_test_acc), 100 * final_acc(pcm), datasets[d].paper);
    }
    for (int d = 0; d < N_DATASETS; d++) {
        if (!ds[d].present) continue;
        const outcome *ref = &res[d][0];
        const double base = final_acc(ref);
        fprintf(f, "\n## %s\n\n", datasets[d].title);
        fprintf(f, "%ld training / %ld test examples, network %d-%s-%d (%ld synapses), %d epochs.\n\n",
                ds[d].train.n, ds[d].test.n, ds[d].train.dim, ds[d].params.net.hidden,
                ds[d].train.classes, ds[d].synapses, ref->n_epochs);
        fprintf(f, "| run | test accuracy | vs 2PCM+3T1C | vs twin | the paper's argument | transfers | seconds |\n"
                   "|---|---|---|---|---|---|---|\n");
        fprintf(f, "| software twin (float) | %.2f %% | | | | | |\n", 100 * ref->final.twin_test_acc);
        for (int r = 0; r < N_RUNS; r++) {
            const outcome *x = &res[d][r];
            if (x->rc != MT_OK) {
                fprintf(f, "| %s | failed: %s | | | | | |\n", runs[r].what, x->err.message);
                continue;
            }
            fprintf(f, "| %s | %.2f %% | %+.2f pp | %+.2f pp | %s | %llu | %.0f |\n", runs[r].what,
                    100 * final_acc(x), 100 * (final_acc(x) - base),
                    100 * (final_acc(x) - ref->final.twin_test_acc), r ? expectation(runs[r].name) : "equivalent",
                    (unsigned long long)x->final.transfers, x->seconds);
        }
        fprintf(f, "\n![test accuracy per epoch](plots/accuracy-%s.png)\n", datasets[d].name);
        fprintf(f, "![ablations](plots/ablations-%s.png)\n", datasets[d].name);
        fprintf(f, "![conductances before and after a transfer](plots/transfer-conductances-%s.png)\n", datasets[d].name);
        fprintf(f, "![desired vs achieved weight at a transfer](plots/transfer-weights-%s.png)\n", datasets[d].name);
        fprintf(f, "![pulses per synapse](plots/pulses-%s.png)\n", datasets[d].name);
    }
    fprintf(f, "\n## Files\n\n`results.csv` (one row per run), `results.jsonl` (every epoch of every run), "
               "`runs/` (the same, one file per run, written as each run finished), `plots/` (PNG, with the "
               "data `.dat` and gnuplot `.gp` behind each figure).  %s\n", plots_note);
}

/* ------------------------------------------------------------------ the run */

/* Every name in the --datasets list must be a dataset of the plan: a typo must not
 * silently skip one. */
static int check_selection(const char *list, mt_error *err)
{
    for (const char *s = list; s && *s;) {
        size_t n = strcspn(s, ",");
        int known = 0;
        for (int d = 0; d < N_DATASETS; d++)
            known |= strlen(datasets[d].name) == n && !strncmp(datasets[d].name, s, n);
        if (!known) {
            char names[200] = "";
            for (int d = 0; d < N_DATASETS; d++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", d ? ", " : "",
                         datasets[d].name);
            return mt_fail(err, MT_EINPUT, "--datasets: unknown dataset '%.*s' in '%s' (known: %s)",
                           (int)n, s, list, names);
        }
        s += n + (s[n] == ',');
    }
    return MT_OK;
}

int reproduce_run(const reproduce_options *o, FILE *log, mt_error *err)
{
    const double start = clock_seconds();
    if (check_selection(o->datasets, err)) return MT_EINPUT;
    char runs_dir[4200], plots_dir[4200];
    int rc = make_dir(o->out_dir, err);
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", o->out_dir);
    snprintf(plots_dir, sizeof plots_dir, "%s/plots", o->out_dir);
    if (rc == MT_OK) rc = make_dir(runs_dir, err);
    if (rc == MT_OK) rc = make_dir(plots_dir, err);
    if (rc) return rc;

    static loaded ds[N_DATASETS];
    memset(ds, 0, sizeof ds);
    int n_present = 0;
    for (int d = 0; d < N_DATASETS; d++) {
        if (!selected(o->datasets, datasets[d].name)) {
            snprintf(ds[d].skipped, sizeof ds[d].skipped, "not selected (--datasets)");
            continue;
        }
        mt_error e = {0, ""};
        /* a bad parameter is the user's error, not a missing dataset: stop */
        int r = dataset_params(o, &datasets[d], &ds[d].params, err);
        if (r != MT_OK) {
            for (int k = 0; k < d; k++) {
                mt_dataset_free(&ds[k].train);
                mt_dataset_free(&ds[k].test);
            }
            return r;
        }
        r = mt_dataset_load_for(&ds[d].params, 1, &ds[d].train, &e);
        if (r == MT_OK) r = mt_dataset_load_for(&ds[d].params, 0, &ds[d].test, &e);
        if (r != MT_OK) {
            mt_dataset_free(&ds[d].train);
            snprintf(ds[d].skipped, sizeof ds[d].skipped, "%s", e.message);
            if (log) fprintf(log, "%-15s skipped: %s\n", datasets[d].name, e.message);
            continue;
        }
        ds[d].present = 1;
        ds[d].synapses = synapse_count(&ds[d].params, &ds[d].train);
        n_present++;
        if (log) fprintf(log, "%-15s %ld train / %ld test examples, %ld synapses\n", datasets[d].name,
                         ds[d].train.n, ds[d].test.n, ds[d].synapses);
    }
    if (n_present == 0) return mt_fail(err, MT_EINPUT, "reproduce: no dataset is available");

    /* every (dataset, run) pair, plus one transfer snapshot per dataset */
    outcome (*res)[N_RUNS] = calloc(N_DATASETS, sizeof *res);
    transfer_snapshot *snaps = calloc(N_DATASETS, sizeof *snaps);
    int *snap_rc = calloc(N_DATASETS, sizeof *snap_rc);
    if (!res || !snaps || !snap_rc) {
        free(res);
        free(snaps);
        free(snap_rc);
        return mt_fail(err, MT_ENOMEM, "out of memory");
    }
    int n_tasks = N_DATASETS * (N_RUNS + 1);
    int threads = o->threads;
#ifdef _OPENMP
    if (threads <= 0) threads = omp_get_max_threads();
#endif
    if (log) fprintf(log, "%d runs on %d thread(s)...\n", n_present * N_RUNS, threads);
    int done = 0;
    #pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int task = 0; task < n_tasks; task++) {
        const int d = task % N_DATASETS, r = task / N_DATASETS; /* reference runs first */
        if (!ds[d].present) continue;
        if (r < N_RUNS) {
            execute(&ds[d], &runs[r], runs_dir, datasets[d].name, &res[d][r]);
        } else {
            mt_error e;
            /* the 4th transfer (2nd in quick mode): past the first, well into training */
            snap_rc[d] = snapshot_transfer(&ds[d].params, &ds[d].train, o->quick ? 2 : 4, 0, &snaps[d], &e);
        }
        #pragma omp critical
        {
            done++;
            if (log && r < N_RUNS) {
                const outcome *x = &res[d][r];
                if (x->rc == MT_OK)
                    fprintf(log, "[%3d/%d] %-15s %-28s test %6.2f %%  (%.0f s)\n", done, n_present * (N_RUNS + 1),
                            datasets[d].name, runs[r].name, 100 * x->final.test_acc, x->seconds);
                else
                    fprintf(log, "[%3d/%d] %-15s %-28s failed: %s\n", done, n_present * (N_RUNS + 1),
                            datasets[d].name, runs[r].name, x->err.message);
                fflush(log);
            }
        }
    }

    /* results in plan order */
    char path[4200];
    snprintf(path, sizeof path, "%s/results.jsonl", o->out_dir);
    FILE *jsonl = fopen(path, "w");
    if (!jsonl) rc = mt_fail(err, MT_EOUTPUT, "%s: cannot write: %s", path, strerror(errno));
    for (int d = 0; jsonl && d < N_DATASETS; d++)
        for (int r = 0; ds[d].present && r < N_RUNS; r++) {
            char tags[300];
            snprintf(tags, sizeof tags, "\"dataset\":\"%s\",\"run\":\"%s\",", datasets[d].name, runs[r].name);
            for (int e = 0; e < res[d][r].n_epochs; e++) results_json_epoch_tagged(jsonl, tags, &res[d][r].epochs[e]);
        }
    if (jsonl && fclose(jsonl) != 0) rc = mt_fail(err, MT_EOUTPUT, "%s: write failed", path);
    snprintf(path, sizeof path, "%s/results.csv", o->out_dir);
    FILE *csv = fopen(path, "w");
    if (csv) {
        write_csv(csv, ds, res);
        if (fclose(csv) != 0) rc = mt_fail(err, MT_EOUTPUT, "%s: write failed", path);
    } else if (rc == MT_OK) {
        rc = mt_fail(err, MT_EOUTPUT, "%s: cannot write: %s", path, strerror(errno));
    }

    /* figures */
    for (int d = 0; d < N_DATASETS; d++) {
        if (!ds[d].present) continue;
        char name[200], title[300];
        const outcome *ref = &res[d][0], *pcm = &res[d][1], *noinv = &res[d][2];
        double *twin_curve = calloc((size_t)ref->n_epochs + 1, sizeof *twin_curve);
        double *c[3] = {calloc((size_t)ref->n_epochs + 1, sizeof(double)),
                        calloc((size_t)pcm->n_epochs + 1, sizeof(double)),
                        calloc((size_t)noinv->n_epochs + 1, sizeof(double))};
        if (twin_curve && c[0] && c[1] && c[2]) {
            for (int e = 0; e < ref->n_epochs; e++) {
                twin_curve[e] = ref->epochs[e].twin_test_acc;
                c[0][e] = ref->epochs[e].test_acc;
            }
            for (int e = 0; e < pcm->n_epochs; e++) c[1][e] = pcm->epochs[e].test_acc;
            for (int e = 0; e < noinv->n_epochs; e++) c[2][e] = noinv->epochs[e].test_acc;
            accuracy_curve curves[4] = {{"software twin", twin_curve, ref->n_epochs},
                                        {"2PCM+3T1C", c[0], ref->n_epochs},
                                        {"2PCM only", c[1], pcm->n_epochs},
                                        {"2PCM+3T1C, no polarity inversion", c[2], noinv->n_epochs}};
            snprintf(name, sizeof name, "accuracy-%s", datasets[d].name);
            snprintf(title, sizeof title, "%s: test accuracy, analogue vs software twin", datasets[d].title);
            plot_accuracy(plots_dir, name, title, curves, 4);
        }
        free(twin_curve);
        for (int k = 0; k < 3; k++) free(c[k]);

        const char *labels[N_RUNS];
        double acc[N_RUNS];
        for (int r = 0; r < N_RUNS; r++) {
            labels[r] = runs[r].name;
            acc[r] = final_acc(&res[d][r]);
        }
        snprintf(name, sizeof name, "ablations-%s", datasets[d].name);
        snprintf(title, sizeof title, "%s: final test accuracy of each run", datasets[d].title);
        plot_ablations(plots_dir, name, title, labels, acc, N_RUNS, ref->final.twin_test_acc);

        if (snap_rc[d] == MT_OK && snaps[d].n) {
            snprintf(name, sizeof name, "transfer-conductances-%s", datasets[d].name);
            snprintf(title, sizeof title, "%s, layer 1: conductances before and after transfer %d (polarity %+d -> %+d)",
                     datasets[d].title, snaps[d].transfer, snaps[d].polarity_before, snaps[d].polarity_after);
            plot_transfer_conductances(plots_dir, name, title, &snaps[d]);
            snprintf(name, sizeof name, "transfer-weights-%s", datasets[d].name);
            snprintf(title, sizeof title, "%s, layer 1: weight at transfer %d", datasets[d].title, snaps[d].transfer);
            plot_transfer_weights(plots_dir, name, title, &snaps[d]);
        }
        if (ref->pulse_n) {
            snprintf(name, sizeof name, "pulses-%s", datasets[d].name);
            snprintf(title, sizeof title, "%s, layer 1: 3T1C pulses per synapse over the first %ld examples",
                     datasets[d].title, ref->pulse_window);
            plot_pulses(plots_dir, name, title, ref->pulse_total, ref->pulse_net, ref->pulse_n, ref->pulse_window);
        }
    }
    char why[600] = "";
    int plot_failures = plots_render(plots_dir, why, sizeof why);
    char note[700];
    if (plot_failures == 0) snprintf(note, sizeof note, "All figures rendered with gnuplot.");
    else snprintf(note, sizeof note, "Figures not rendered: %s.", why);
    if (log) fprintf(log, "%s\n", note);

    snprintf(path, sizeof path, "%s/REPORT.md", o->out_dir);
    FILE *report = fopen(path, "w");
    if (report) {
        write_report(report, o, ds, res, note, clock_seconds() - start);
        if (fclose(report) != 0 && rc == MT_OK) rc = mt_fail(err, MT_EOUTPUT, "%s: write failed", path);
    } else if (rc == MT_OK) {
        rc = mt_fail(err, MT_EOUTPUT, "%s: cannot write: %s", path, strerror(errno));
    }
    for (int d = 0; d < N_DATASETS; d++) {
        for (int r = 0; r < N_RUNS; r++) {
            free(res[d][r].epochs);
            free(res[d][r].pulse_total);
            free(res[d][r].pulse_net);
        }
        snapshot_free(&snaps[d]);
        mt_dataset_free(&ds[d].train);
        mt_dataset_free(&ds[d].test);
    }
    free(res);
    free(snaps);
    free(snap_rc);
    (void)done;
    return rc;
}
