/* bench.c — `memtrain bench`: training and inference throughput of each cell kind.
 *
 * Trains the paper's 784-250-10 network batch-1 on real MNIST images for each cell
 * kind at 1 and 2 threads, in one process, and reports examples per second (the
 * median of --repeats timed runs, each after --warmup untimed examples so the
 * network is past its noisy first steps).  Timing lives here, never in the tests. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli/commands.h"
#include "memtrain.h"
#include "net/network_internal.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/params.h"

static const char *const bench_help =
    "usage: memtrain bench [--json FILE] [--examples N] [--warmup N] [--repeats N]\n"
    "                      [--threads LIST] [--cells LIST] [--pairs N] [--stretch N]\n"
    "                      [--set KEY=VALUE]...\n"
    "\n"
    "Measures training throughput (batch-1 SGD examples per second) of the paper's\n"
    "784-250-10 network on MNIST for each cell kind and thread count, and inference\n"
    "throughput (forward passes per second), all in one process.  Every default\n"
    "non-ideality is on.  Reports the median of --repeats runs, then each cell's\n"
    "training speed-up over its 1-thread run and each analogue cell's time per\n"
    "example relative to the float twin's.\n"
    "\n"
    "Those two ratios are then measured again in pairs, which a host whose speed\n"
    "drifts between runs (a VM's often moves by 1.5x within minutes) cannot skew:\n"
    "the two ways compared (one network on 1 thread and on N, or the float twin and\n"
    "an analogue network on N) train alternate stretches of --stretch examples, each\n"
    "pair's ratio of times is taken, and the median over --pairs pairs reported.\n"
    "A network's results do not depend on its thread count, so one network can\n"
    "alternate its threads.\n"
    "\n"
    "options:\n"
    "  --examples N    timed training examples per run (default 20000)\n"
    "  --warmup N      untimed examples before timing (default 40000: the first\n"
    "                  epoch fires far more pulses than the rest of training)\n"
    "  --repeats N     timed runs per configuration (default 3)\n"
    "  --threads LIST  comma-separated thread counts (default 1,2)\n"
    "  --cells LIST    comma-separated cell kinds (default float,2pcm,2pcm3t1c)\n"
    "  --pairs N       pairs of stretches per paired ratio (default 9; 0: none)\n"
    "  --stretch N     training examples per stretch (default transfer.interval,\n"
    "                  8000, so that each stretch of an analogue network holds one\n"
    "                  transfer; 8000 where the interval is over 50000)\n"
    "  --set KEY=VALUE any parameter, as for train\n"
    "  --json FILE     one JSON object per measurement: mode, cell, threads,\n"
    "                  examples_per_s, runs (all timings), state_bytes_per_synapse,\n"
    "                  core_round_trip_ns, layer_split, way (how the last run's\n"
    "                  threads shared the network: team, one thread, steps);\n"
    "                  paired ratios as mode paired_speedup (cell, threads: time\n"
    "                  on 1 thread over time on threads) and paired_time_over_float\n"
    "                  (cell's time over the float twin's on threads), with ratio\n"
    "                  (the median), pairs (every pair's ratio), stretch and way\n"
    "\n"
    "Two threads share a network's first layer as a team that meets once per training\n"
    "example and hands partial sums and errors across, each costing about one round\n"
    "trip of a cache line between their cores, which bench measures first: ~90 ns\n"
    "between two cores of one chip, ~500 ns on some VMs, where a team trains this\n"
    "small network no faster than one thread.  By default (train.layer_split = auto)\n"
    "a network times both ways now and then and runs the faster, so '2 threads' is\n"
    "what a user gets; to time the team itself, add --set train.layer_split=always.\n";

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Most pairs of a paired ratio (--pairs), and most values median() takes. */
#define MAX_PAIRS 1000

/* The median of v[0 .. n) (0 < n <= MAX_PAIRS; of an even count the upper of the two
 * middle values), v left as it is. */
static double median(const double *v, int n)
{
    double sorted[MAX_PAIRS];
    memcpy(sorted, v, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
    return sorted[n / 2];
}

/* Nanoseconds for a cache line to go from one thread to another and back (the median
 * of 5 runs of 5,000 round trips), or 0 with fewer than 2 cores.  Every meeting of a
 * 2-thread training team costs about one: ~90 ns between two cores of one chip, ~500
 * ns on VMs whose two vCPUs sit far apart, where batch-1 training of a network this
 * small gains little or nothing from a second thread (docs/performance.md). */
static double core_round_trip_ns(void)
{
#ifdef _OPENMP
    enum { TRIPS = 5000, RUNS = 5 };
    if (omp_get_num_procs() < 2) return 0.0;
    static _Alignas(64) atomic_int ball;
    double runs[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = 0.0, t1 = 0.0;
        int team = 0;
        atomic_store(&ball, 0);
        #pragma omp parallel num_threads(2)
        {
            const int me = omp_get_thread_num();
            if (me == 0) team = omp_get_num_threads();
            #pragma omp barrier
            if (team == 2) {
                if (me == 0) t0 = clock_seconds();
                for (int i = 0; i < TRIPS; i++) {
                    if (me == 0) {
                        atomic_store_explicit(&ball, 1, memory_order_release);
                        while (atomic_load_explicit(&ball, memory_order_acquire) != 0) {}
                    } else {
                        while (atomic_load_explicit(&ball, memory_order_acquire) != 1) {}
                        atomic_store_explicit(&ball, 0, memory_order_release);
                    }
                }
                if (me == 0) t1 = clock_seconds();
            }
        }
        if (team != 2) return 0.0;
        runs[r] = (t1 - t0) / TRIPS * 1e9;
    }
    return median(runs, RUNS);
#else
    return 0.0;
#endif
}

typedef struct measurement {
    double train_rate[16], infer_rate[16];
    const char *train_way, *infer_way; /* of the last run (network_last_way) */
} measurement;

/* One run: warm up, time `examples` training steps and as many forward passes. */
static int run_once(const mt_params *p, mt_cell_kind kind, const mt_dataset *d, long warmup,
                    long examples, double *train_rate, double *infer_rate,
                    double *bytes_per_synapse, const char **train_way, const char **infer_way, mt_error *err)
{
    mt_network *net = NULL;
    int rc = mt_network_create(p, kind, d->dim, d->classes, &net, err);
    if (rc) return rc;
    /* examples k are rows k mod n, with example_index k */
    rc = mt_network_train_examples(net, d, NULL, 0, warmup, p->train.lr, 0, NULL, err);
    double t0 = clock_seconds();
    if (rc == MT_OK) rc = mt_network_train_examples(net, d, NULL, warmup, warmup + examples, p->train.lr, 0, NULL, err);
    double t1 = clock_seconds();
    long right = 0;
    if (rc == MT_OK) rc = mt_network_evaluate(net, d, 0, examples, 0, &right, NULL, err);
    double t2 = clock_seconds();
    /* after training: scratch allocated on first use (the rounding uniforms drawn
     * ahead on 2 threads) counts too */
    long synapses = 0;
    for (int l = 0; l < mt_network_layers(net); l++) {
        int rows, cols;
        mt_network_layer_shape(net, l, &rows, &cols);
        synapses += (long)rows * cols;
    }
    *bytes_per_synapse = (double)mt_network_state_bytes(net) / (double)synapses;
    *train_rate = (double)examples / (t1 - t0);
    *infer_rate = (double)examples / (t2 - t1);
    *train_way = network_last_way(net, 0);
    *infer_way = network_last_way(net, 1);
    mt_network_free(net);
    (void)right;
    return rc;
}

/* The ratios issue 5's goals are stated in, from the training medians: each cell's
 * speed-up over its 1-thread run, and each analogue cell's time per example over the
 * float twin's at the same thread count (where both were measured). */
static void print_ratios(double train_at[3][8], const int *threads, int n_threads,
                         const char *const *kind_names)
{
    int one = -1;
    for (int ti = 0; ti < n_threads; ti++)
        if (threads[ti] == 1) one = ti;
    for (int ti = 0; ti < n_threads; ti++) {
        if (ti == one) continue;
        int any = 0;
        for (int k = 0; k < 3; k++) {
            if (one < 0 || train_at[k][ti] <= 0 || train_at[k][one] <= 0) continue;
            if (!any) printf("training, %d threads / 1 thread:", threads[ti]);
            printf("%s %s %.2fx", any ? "," : "", kind_names[k], train_at[k][ti] / train_at[k][one]);
            any = 1;
        }
        if (any) printf("\n");
    }
    for (int ti = 0; ti < n_threads; ti++) {
        int any = 0;
        for (int k = 1; k < 3; k++) {
            if (train_at[0][ti] <= 0 || train_at[k][ti] <= 0) continue;
            if (!any) printf("training time per example / float twin's, %d thread%s:", threads[ti],
                             threads[ti] == 1 ? "" : "s");
            printf("%s %s %.2fx", any ? "," : "", kind_names[k], train_at[0][ti] / train_at[k][ti]);
            any = 1;
        }
        if (any) printf("\n");
    }
}

/* ---- paired ratios ----
 * Timed runs of the table follow one another over minutes, and a VM's speed drifts by
 * more than the ratios being measured (docs/performance.md): a 2-thread / 1-thread
 * ratio taken from two medians ranged 1.32-1.94x over four runs on one host.  Here
 * the two ways compared train alternate stretches of examples, a fraction of a second
 * each, and each pair gives one ratio of times; a drift slower than a pair moves both
 * alike, and the median over pairs drops the pairs a burst of noise hit.  Which way
 * runs first alternates from pair to pair, so a trend within pairs cancels too.
 *
 * A stretch is a transfer interval long by default: a 2pcm3t1c network transfers once
 * in every stretch, so every pair holds the same work.  With 1,000-example stretches
 * one pair in eight held a transfer, always on the same side (the order's period and
 * the interval's are commensurate), and the median then left transfers out. */

/* One way of training: a network, its next example, its thread count; and how its
 * threads shared the network in its last stretch. */
typedef struct contender {
    mt_network *net;
    long *next;
    int threads;
    const char *way;
} contender;

static int time_stretch(contender *c, const mt_dataset *d, long stretch, double lr, double *seconds, mt_error *err)
{
#ifdef _OPENMP
    omp_set_num_threads(c->threads);
#endif
    const double t0 = clock_seconds();
    const int rc = mt_network_train_examples(c->net, d, NULL, *c->next, *c->next + stretch, lr, 0, NULL, err);
    *seconds = clock_seconds() - t0;
    *c->next += stretch;
    c->way = c->threads == 1 ? "one thread" : network_last_way(c->net, 0);
    return rc;
}

/* ratio[p] = a's time over b's for the same number of examples, p < pairs; *middle:
 * their median. */
static int paired_ratio(contender *a, contender *b, const mt_dataset *d, long stretch, int pairs, double lr,
                        double *ratio, double *middle, mt_error *err)
{
    for (int p = 0; p < pairs; p++) {
        double ta = 0.0, tb = 0.0;
        contender *first = p % 2 ? b : a, *second = p % 2 ? a : b;
        int rc = time_stretch(first, d, stretch, lr, first == a ? &ta : &tb, err);
        if (rc == MT_OK) rc = time_stretch(second, d, stretch, lr, second == a ? &ta : &tb, err);
        if (rc) return rc;
        ratio[p] = tb > 0.0 ? ta / tb : 0.0;
    }
    *middle = median(ratio, pairs);
    return MT_OK;
}

/* One paired ratio of `cell` at `threads`, a's time over b's: measured, appended to the
 * line being printed (any: not its first) and written as a JSON object of `mode`. */
static int report_paired(contender *a, contender *b, const char *mode, const char *cell, int threads, int any,
                         const mt_dataset *d, long stretch, int pairs, double lr, FILE *json, mt_error *err)
{
    double ratio[MAX_PAIRS], middle;
    const int rc = paired_ratio(a, b, d, stretch, pairs, lr, ratio, &middle, err);
    if (rc) return rc;
    printf("%s %s %.2fx", any ? "," : "", cell, middle);
    if (json) {
        fprintf(json, "{\"mode\":\"%s\",\"cell\":\"%s\",\"threads\":%d,\"ratio\":%.4f,\"pairs\":[", mode, cell,
                threads, middle);
        for (int p = 0; p < pairs; p++) fprintf(json, "%s%.4f", p ? "," : "", ratio[p]);
        /* how the stretches on more threads ran, or (the same threads) a's */
        fprintf(json, "],\"stretch\":%ld,\"way\":\"%s\"}\n", stretch, b->threads > a->threads ? b->way : a->way);
    }
    return MT_OK;
}

/* The paired ratios of the cells kinds[0 .. n_kinds) at the thread counts listed: each
 * cell's time on 1 thread over its time on t (where 1 is listed), and each analogue
 * cell's time over the float twin's on t (where float is listed).  One network per
 * cell, warmed up by `warmup` examples, trains every stretch. */
static int paired_ratios(const mt_params *p, const mt_dataset *d, const int *kinds, int n_kinds,
                         const int *threads, int n_threads, long warmup, long stretch, int pairs,
                         const char *const *kind_names, FILE *json, mt_error *err)
{
    int listed[3] = {0, 0, 0}, one = 0, most = 1;
    for (int ki = 0; ki < n_kinds; ki++) listed[kinds[ki]] = 1;
    for (int ti = 0; ti < n_threads; ti++) {
        one |= threads[ti] == 1;
        most = threads[ti] > most ? threads[ti] : most;
    }
    const int speedups = one && most > 1, over_float = listed[0] && (listed[1] || listed[2]);
    if (!speedups && !over_float) return MT_OK;
    mt_network *net[3] = {NULL, NULL, NULL};
    long next[3] = {warmup, warmup, warmup};
    int rc = MT_OK;
#ifdef _OPENMP
    omp_set_num_threads(most);
#endif
    for (int k = 0; k < 3 && rc == MT_OK; k++)
        if (listed[k] && (rc = mt_network_create(p, (mt_cell_kind)k, d->dim, d->classes, &net[k], err)) == MT_OK)
            rc = mt_network_train_examples(net[k], d, NULL, 0, warmup, p->train.lr, 0, NULL, err);
    if (rc == MT_OK)
        printf("paired: alternate stretches of %ld examples, median over %d pairs of the ratio of their times\n",
               stretch, pairs);
    for (int ti = 0; ti < n_threads && rc == MT_OK && speedups; ti++) {
        if (threads[ti] == 1) continue;
        printf("paired: training, %d threads / 1 thread:", threads[ti]);
        for (int k = 0, any = 0; k < 3 && rc == MT_OK; k++) {
            if (!net[k]) continue;
            contender a = {net[k], &next[k], 1, ""}, b = {net[k], &next[k], threads[ti], ""};
            rc = report_paired(&a, &b, "paired_speedup", kind_names[k], threads[ti], any++, d, stretch, pairs,
                               p->train.lr, json, err);
        }
        printf("\n");
        fflush(stdout);
    }
    for (int ti = 0; ti < n_threads && rc == MT_OK && over_float; ti++) {
        printf("paired: training time per example / float twin's, %d thread%s:", threads[ti],
               threads[ti] == 1 ? "" : "s");
        for (int k = 1, any = 0; k < 3 && rc == MT_OK; k++) {
            if (!net[k]) continue;
            contender a = {net[k], &next[k], threads[ti], ""}, b = {net[0], &next[0], threads[ti], ""};
            rc = report_paired(&a, &b, "paired_time_over_float", kind_names[k], threads[ti], any++, d, stretch,
                               pairs, p->train.lr, json, err);
        }
        printf("\n");
        fflush(stdout);
    }
    for (int k = 0; k < 3; k++) mt_network_free(net[k]);
    return rc;
}

static int parse_list(const char *text, int *out, int max, const char *const *names)
{
    int n = 0;
    const char *s = text;
    while (*s && n < max) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (names) {
            int found = -1;
            for (int k = 0; names[k]; k++)
                if (strlen(names[k]) == len && !strncmp(names[k], s, len)) found = k;
            if (found < 0) return -1;
            out[n++] = found;
        } else {
            char *end;
            long v = strtol(s, &end, 10);
            if (end != s + len || v < 1 || v > 1024) return -1;
            out[n++] = (int)v;
        }
        s += len + (comma ? 1 : 0);
    }
    return n;
}

int cmd_bench(int argc, char **argv)
{
    static const char *const kind_names[] = {"float", "2pcm", "2pcm3t1c", NULL};
    long examples = 20000, warmup = 40000;
    int repeats = 3, pairs = 9;
    long stretch = 0; /* 0: from transfer.interval, once the parameters are known */
    int threads[8] = {1, 2}, n_threads = 2;
    int kinds[3] = {0, 1, 2}, n_kinds = 3;
    const char *json_path = NULL;
    mt_params p;
    mt_params_default(&p);
    mt_error err = {0, ""};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(bench_help, stdout);
            return MT_OK;
        }
        if (!v) return cli_usage_error("option %s needs a value", a);
        i++;
        if (!strcmp(a, "--json")) json_path = v;
        else if (!strcmp(a, "--examples")) {
            if (cli_parse_count(a, v, 1, 100000000, &examples)) return MT_EINPUT;
        } else if (!strcmp(a, "--warmup")) {
            if (cli_parse_count(a, v, 0, 100000000, &warmup)) return MT_EINPUT;
        } else if (!strcmp(a, "--repeats")) {
            long r;
            if (cli_parse_count(a, v, 1, 16, &r)) return MT_EINPUT;
            repeats = (int)r;
        } else if (!strcmp(a, "--pairs")) {
            long n;
            if (cli_parse_count(a, v, 0, MAX_PAIRS, &n)) return MT_EINPUT;
            pairs = (int)n;
        } else if (!strcmp(a, "--stretch")) {
            if (cli_parse_count(a, v, 1, 10000000, &stretch)) return MT_EINPUT;
        } else if (!strcmp(a, "--threads")) {
            if ((n_threads = parse_list(v, threads, 8, NULL)) < 1)
                return cli_usage_error("--threads: expected a list like 1,2, got '%s'", v);
        } else if (!strcmp(a, "--cells")) {
            if ((n_kinds = parse_list(v, kinds, 3, kind_names)) < 1)
                return cli_usage_error("--cells: expected kinds among float,2pcm,2pcm3t1c, got '%s'", v);
        } else if (!strcmp(a, "--set")) {
            char key[256];
            const char *value;
            if (cli_split_setting(v, key, sizeof key, &value)) return MT_EINPUT;
            if (mt_params_set(&p, key, value, "--set", &err)) return cli_fail(&err);
        } else return cli_usage_error("unknown option '%s'", a);
    }
    if (mt_params_validate(&p, &err)) return cli_fail(&err);
    if (stretch == 0) stretch = p.transfer.interval <= 50000 ? p.transfer.interval : 8000;
    FILE *json = NULL;
    if (json_path && !(json = fopen(json_path, "w"))) {
        fprintf(stderr, "memtrain: --json %s: cannot write\n", json_path);
        return MT_EOUTPUT;
    }
    mt_dataset d = {0};
    p.data.train_limit = warmup + examples < 60000 ? warmup + examples : 60000;
    if (mt_dataset_load_for(&p, 1, &d, &err)) {
        if (json) fclose(json);
        return cli_fail(&err);
    }
    char split[16];
    params_format_value(&p, params_find("train.layer_split"), split, sizeof split);
    printf("memtrain bench: %s %d-%s-%d, batch 1, %ld timed examples after %ld warm-up, median of %d, "
           "train.layer_split = %s\n",
           p.data.dataset, d.dim, p.net.hidden, d.classes, examples, warmup, repeats, split);
    const double round_trip_ns = core_round_trip_ns();
    if (round_trip_ns > 0)
        printf("a cache line's round trip between two threads: %.0f ns (each meeting of a thread team costs about one)\n",
               round_trip_ns);
    printf("%-9s %7s %16s %16s %16s  %s\n", "cell", "threads", "train ex/s", "inference ex/s",
           "state B/synapse", "threads shared as (train, inference)");
    int rc = MT_OK;
    double train_at[3][8] = {{0}}; /* medians by cell kind and thread-list position */
    for (int ki = 0; ki < n_kinds && rc == MT_OK; ki++)
        for (int ti = 0; ti < n_threads && rc == MT_OK; ti++) {
#ifdef _OPENMP
            omp_set_num_threads(threads[ti]);
#endif
            measurement m = {{0}, {0}, "steps", "steps"};
            double bytes_per_synapse = 0;
            for (int r = 0; r < repeats && rc == MT_OK; r++)
                rc = run_once(&p, (mt_cell_kind)kinds[ki], &d, warmup, examples, &m.train_rate[r],
                              &m.infer_rate[r], &bytes_per_synapse, &m.train_way, &m.infer_way, &err);
            if (rc) break;
            const double train_median = median(m.train_rate, repeats), infer_median = median(m.infer_rate, repeats);
            train_at[kinds[ki]][ti] = train_median;
            /* (of the last repeat: auto may choose differently from one to the next) */
            if (threads[ti] == 1) m.train_way = m.infer_way = "one thread";
            printf("%-9s %7d %16.0f %16.0f %16.1f  %s, %s\n", kind_names[kinds[ki]], threads[ti], train_median,
                   infer_median, bytes_per_synapse, m.train_way, m.infer_way);
            fflush(stdout);
            for (int mode = 0; json && mode < 2; mode++) {
                fprintf(json, "{\"mode\":\"%s\",\"cell\":\"%s\",\"threads\":%d,\"examples_per_s\":%.1f,\"runs\":[",
                        mode ? "inference" : "train", kind_names[kinds[ki]], threads[ti],
                        mode ? infer_median : train_median);
                for (int r = 0; r < repeats; r++)
                    fprintf(json, "%s%.1f", r ? "," : "", mode ? m.infer_rate[r] : m.train_rate[r]);
                fprintf(json, "],\"examples\":%ld,\"warmup\":%ld,\"network\":\"%d-%s-%d\","
                              "\"state_bytes_per_synapse\":%.2f,\"core_round_trip_ns\":%.1f,\"layer_split\":\"%s\","
                              "\"way\":\"%s\"}\n",
                        examples, warmup, d.dim, p.net.hidden, d.classes, bytes_per_synapse, round_trip_ns, split,
                        mode ? m.infer_way : m.train_way);
            }
        }
    if (rc == MT_OK) print_ratios(train_at, threads, n_threads, kind_names);
    if (rc == MT_OK && pairs > 0)
        rc = paired_ratios(&p, &d, kinds, n_kinds, threads, n_threads, warmup, stretch, pairs, kind_names, json, &err);
    mt_dataset_free(&d);
    if (json && fclose(json) != 0) {
        fprintf(stderr, "memtrain: --json %s: write failed\n", json_path);
        return MT_EOUTPUT;
    }
    return rc ? cli_fail(&err) : MT_OK;
}
