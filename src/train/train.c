/* train.c — the training loop: the analogue network and its software twin, side by side.
 *
 * Both networks start from the same software weights (drawn from the seed), see
 * the same examples in the same order with the same learning rate; after every
 * epoch both are evaluated on the training and test sets.  The analogue network
 * sees simulated time advance by train.example_time_s per training example;
 * evaluation is instantaneous in simulated time (it reads the state training left). */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "array/tile.h"
#include "net/network_internal.h"
#include "train/checkpoint.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/params.h"
#include "util/rng.h"

static const char *cell_name(mt_cell_kind k)
{
    switch (k) {
    case MT_CELL_FLOAT: return "float";
    case MT_CELL_2PCM: return "2pcm";
    case MT_CELL_2PCM3T1C: return "2pcm3t1c";
    }
    return "?";
}

double train_learning_rate(const mt_train_params *t, int epoch);
double train_learning_rate(const mt_train_params *t, int epoch)
{
    switch (t->lr_schedule) {
    case MT_LR_CONSTANT: return t->lr;
    case MT_LR_STEP: return t->lr * pow(t->lr_decay, (double)(epoch / t->lr_step_epochs));
    case MT_LR_EXP: return t->lr * pow(t->lr_decay, (double)epoch);
    }
    return t->lr;
}

/* The epoch's data order: a Fisher-Yates shuffle keyed by (seed, epoch). */
static void shuffle(long *order, long n, uint64_t seed, int epoch)
{
    const uint64_t key = rng_key(seed, 0, RNG_SHUFFLE, (uint64_t)epoch);
    for (long i = 0; i < n; i++) order[i] = i;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(rng_uniform(key, (uint64_t)i) * (double)(i + 1));
        if (j > i) j = i;
        long tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
}

/* Fraction of `d` classified correctly.  split/epoch key the evaluation noise. */
static double accuracy(mt_network *net, const mt_dataset *d, int epoch, int split)
{
    /* example i's evaluation key: epoch, split and i in bits of their own */
    const uint64_t first_key = ((uint64_t)epoch << 40) | ((uint64_t)split << 39);
    long right = 0;
    mt_error err;
    if (mt_network_evaluate(net, d, 0, d->n, first_key, &right, NULL, &err)) return NAN; /* no examples */
    return (double)right / (double)d->n;
}

/* A NaN/Inf that reached a weight without reaching an output is still a fault. */
static int check_weights(mt_network *net, const char *which, uint64_t example, mt_error *err)
{
    for (int l = 0; net && l < mt_network_layers(net); l++) {
        long at = tile_find_nonfinite(network_tile(net, l));
        if (at >= 0)
            return mt_fail(err, MT_ENUMERIC,
                           "numerical fault: non-finite weight in layer %d of the %s (synapse %ld) "
                           "by example %llu",
                           l + 1, which, at, (unsigned long long)example);
    }
    return MT_OK;
}

int mt_checkpoint_params(const char *path, mt_params *p, mt_error *err)
{
    return checkpoint_read_params(path, p, err);
}

int mt_train_run(const mt_params *p, const mt_dataset *train, const mt_dataset *test,
                 const mt_run_options *opt, mt_epoch_callback cb, void *user,
                 mt_epoch_result *final, mt_network **analogue_out, mt_error *err)
{
    static const mt_run_options none = {NULL, 0, NULL};
    if (!opt) opt = &none;
    if (analogue_out) *analogue_out = NULL;
    int rc = mt_params_validate(p, err);
    if (rc) return rc;
    if (train->n < 1) return mt_fail(err, MT_EINPUT, "%s: no training examples", train->name);
    if (test->dim != train->dim || test->classes != train->classes)
        return mt_fail(err, MT_EINPUT, "%s and %s differ in shape (%d/%d features, %d/%d classes)",
                       train->name, test->name, train->dim, test->dim, train->classes,
                       test->classes);
    if (opt->checkpoint_every < 0)
        return mt_fail(err, MT_EINPUT, "--checkpoint-every must be >= 0 (0: every epoch)");
    int threads = 1;
#ifdef _OPENMP
    if (p->train.threads > 0) omp_set_num_threads(p->train.threads);
    threads = omp_get_max_threads();
#endif
    const mt_cell_kind kind = p->cell.kind;
    const int with_twin = p->train.twin && kind != MT_CELL_FLOAT;
    mt_network *net = NULL, *twin = NULL;
    run_progress progress = {0, 0, 0, 0, 0, NULL};
    long *order = malloc((size_t)train->n * sizeof *order);
    if (!order) return mt_fail(err, MT_ENOMEM, "out of memory");
    rc = mt_network_create(p, kind, train->dim, train->classes, &net, err);
    if (rc == MT_OK && with_twin)
        rc = mt_network_create(p, MT_CELL_FLOAT, train->dim, train->classes, &twin, err);
    if (rc == MT_OK && opt->resume_path) {
        rc = checkpoint_read(opt->resume_path, &progress, net, twin, err);
        if (rc == MT_OK && (progress.epoch > p->train.epochs || progress.k > train->n ||
                            progress.example != (uint64_t)progress.epoch * (uint64_t)train->n +
                                                    (uint64_t)progress.k))
            rc = mt_fail(err, MT_EINPUT, "%s: checkpoint position (epoch %d, example %ld) does not fit "
                         "this run (%d epochs of %ld examples)", opt->resume_path, progress.epoch + 1,
                         progress.k, p->train.epochs, train->n);
    }
    if (rc == MT_OK) {
        mt_epoch_result *results = realloc(progress.results, ((size_t)p->train.epochs + 1) * sizeof *results);
        if (!results) rc = mt_fail(err, MT_ENOMEM, "out of memory");
        else progress.results = results;
    }
    mt_epoch_result r;
    memset(&r, 0, sizeof r);
    for (int e = 0; rc == MT_OK && e < progress.n_results; e++) {
        /* replay finished epochs so the caller's results file is rewritten identically */
        progress.results[e].cell = cell_name(kind);
        if (cb) cb(&progress.results[e], user);
        r = progress.results[e];
    }

    /* With two or more threads the analogue network and its twin train side by side,
     * each on its own thread: they share nothing but the read-only data, so the
     * results are those of training them one after the other. */
    const int side_by_side = twin && threads >= 2;
    const long every = opt->checkpoint_path && opt->checkpoint_every > 0 ? opt->checkpoint_every : train->n;
    for (int epoch = progress.epoch; rc == MT_OK && epoch < p->train.epochs; epoch++) {
        double start = clock_seconds();
        const double lr = train_learning_rate(&p->train, epoch);
        const uint64_t epoch_start = (uint64_t)epoch * (uint64_t)train->n;
        shuffle(order, train->n, p->train.seed, epoch);
        long k = epoch == progress.epoch ? progress.k : 0;
        long online_right = epoch == progress.epoch ? progress.online_right : 0;
        while (rc == MT_OK && k < train->n) {
            const long k1 = k + every < train->n ? k + every : train->n;
            long twin_right = 0;
            int twin_rc = MT_OK;
            mt_error twin_err = {0, ""};
            /* (not a sections construct with an if clause: inside even an inactive
             * region, every step's own parallel region is a nested one, for which
             * libgomp starts and stops threads each time: a 1-epoch run took 18 s
             * instead of 2) */
            if (side_by_side) {
                /* The twin is several times faster: once it is done, the analogue network
                 * stops at the next example and trains the rest of the segment with every
                 * thread (same results: they do not depend on the thread count). */
                atomic_int twin_done;
                atomic_init(&twin_done, 0);
                long reached = k;
                #pragma omp parallel sections num_threads(2)
                {
                    #pragma omp section
                    rc = network_train_until(net, train, order, k, k1, lr, epoch_start, &online_right,
                                             &twin_done, &reached, err);
                    #pragma omp section
                    {
                        twin_rc = mt_network_train_examples(twin, train, order, k, k1, lr, epoch_start,
                                                            &twin_right, &twin_err);
                        atomic_store_explicit(&twin_done, 1, memory_order_relaxed);
                    }
                }
                if (rc == MT_OK && twin_rc == MT_OK && reached < k1)
                    rc = mt_network_train_examples(net, train, order, reached, k1, lr, epoch_start,
                                                   &online_right, err);
            } else {
                rc = mt_network_train_examples(net, train, order, k, k1, lr, epoch_start, &online_right, err);
                if (twin && rc == MT_OK)
                    twin_rc = mt_network_train_examples(twin, train, order, k, k1, lr, epoch_start,
                                                        &twin_right, &twin_err);
            }
            if (rc == MT_OK && twin_rc != MT_OK) {
                *err = twin_err;
                rc = twin_rc;
                mt_error_prefix(err, "software twin");
            }
            if (rc == MT_OK) rc = check_weights(net, "analogue network", epoch_start + (uint64_t)k1 - 1, err);
            if (rc == MT_OK) rc = check_weights(twin, "software twin", epoch_start + (uint64_t)k1 - 1, err);
            k = k1;
            if (rc == MT_OK && k < train->n && opt->checkpoint_path) {
                progress.epoch = epoch;
                progress.k = k;
                progress.example = epoch_start + (uint64_t)k;
                progress.online_right = online_right;
                rc = checkpoint_write(opt->checkpoint_path, p, &progress, net, twin, err);
            }
        }
        if (rc) {
            char where[32];
            snprintf(where, sizeof where, "epoch %d", epoch + 1);
            mt_error_prefix(err, where);
            break;
        }
        r.twin_train_acc = r.twin_test_acc = NAN;
        if (side_by_side) {
            #pragma omp parallel sections num_threads(2)
            {
                #pragma omp section
                {
                    r.train_acc = accuracy(net, train, epoch, 0);
                    r.test_acc = accuracy(net, test, epoch, 1);
                }
                #pragma omp section
                {
                    r.twin_train_acc = accuracy(twin, train, epoch, 0);
                    r.twin_test_acc = accuracy(twin, test, epoch, 1);
                }
            }
        } else {
            r.train_acc = accuracy(net, train, epoch, 0);
            r.test_acc = accuracy(net, test, epoch, 1);
            if (twin) {
                r.twin_train_acc = accuracy(twin, train, epoch, 0);
                r.twin_test_acc = accuracy(twin, test, epoch, 1);
            }
        }
        const uint64_t examples = epoch_start + (uint64_t)train->n;
        r.epoch = epoch + 1;
        r.cell = cell_name(kind);
        r.lr = lr;
        r.online_acc = (double)online_right / (double)train->n;
        r.examples = examples;
        r.counters = mt_network_counters(net);
        r.transfers = r.counters.transfers;
        r.sim_time_s = (double)examples * p->train.example_time_s;
        r.seconds = clock_seconds() - start;
        progress.results[progress.n_results++] = r;
        if (cb) cb(&r, user);
        if (opt->checkpoint_path) {
            progress.epoch = epoch + 1;
            progress.k = 0;
            progress.example = examples;
            progress.online_right = 0;
            rc = checkpoint_write(opt->checkpoint_path, p, &progress, net, twin, err);
        }
    }
    if (final) *final = r;
    free(order);
    free(progress.results);
    mt_network_free(twin);
    if (rc == MT_OK && analogue_out) *analogue_out = net;
    else mt_network_free(net);
    return rc;
}
