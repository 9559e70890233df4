/* test_network.c — backpropagation against finite differences, determinism across
 * thread counts, numerical-fault detection, shared initial weights. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "array/firing.h"
#include "memtrain.h"
#include "net/network_internal.h"
#include "test.h"
#include "util/rng.h"

static mt_network *make_net(mt_params *p, mt_cell_kind kind, int n_in, int n_out)
{
    mt_network *net = NULL;
    mt_error err;
    int rc = mt_network_create(p, kind, n_in, n_out, &net, &err);
    CHECK_MSG(rc == MT_OK, "mt_network_create: %s", err.message);
    return net;
}

/* The float network's update must be -lr * dLoss/dW, for every activation. */
TEST(float_network_gradients_match_finite_differences)
{
    for (int act = MT_ACT_SIGMOID; act <= MT_ACT_RELU; act++) {
        mt_params p;
        mt_params_default(&p);
        strcpy(p.net.hidden, "4,3");
        p.net.activation = (mt_activation)act;
        p.net.init_scale = 2.0;
        const int n_in = 5, n_out = 3, label = 1;
        mt_network *net = make_net(&p, MT_CELL_FLOAT, n_in, n_out);
        float x[5] = {0.9f, -0.3f, 0.0f, 0.5f, 0.7f};
        const int L = mt_network_layers(net);
        float *before[3], *numeric[3];
        /* bias rows start at 0; give them values so their gradients are tested too */
        for (int l = 0; l < L; l++) {
            tile *t = network_tile(net, l);
            for (int j = 0; j < t->cols; j++) t->w[(size_t)(t->rows - 1) * t->cols + j] = 0.1f * (j + 1);
        }
        for (int l = 0; l < L; l++) {
            tile *t = network_tile(net, l);
            size_t n = (size_t)t->rows * t->cols;
            before[l] = malloc(n * sizeof(float));
            numeric[l] = malloc(n * sizeof(float));
            memcpy(before[l], t->w, n * sizeof(float));
            for (size_t k = 0; k < n; k++) {
                const float h = 1e-2f, w0 = t->w[k];
                t->w[k] = w0 + h;
                double up = network_loss(net, x, label, 0);
                t->w[k] = w0 - h;
                double down = network_loss(net, x, label, 0);
                t->w[k] = w0;
                numeric[l][k] = (float)((up - down) / (2 * h));
            }
        }
        const float lr = 0.5f;
        mt_error err;
        CHECK_INT(mt_network_train_example(net, x, label, lr, 0, NULL, &err), MT_OK);
        for (int l = 0; l < L; l++) {
            tile *t = network_tile(net, l);
            for (size_t k = 0; k < (size_t)t->rows * t->cols; k++) {
                double analytic = -(t->w[k] - before[l][k]) / lr; /* dLoss/dW */
                CHECK_MSG(fabs(analytic - numeric[l][k]) < 2e-3 + 1e-2 * fabs(numeric[l][k]),
                          "activation %d layer %d weight %zu: backprop %g, finite difference %g", act,
                          l, k, analytic, numeric[l][k]);
            }
            free(before[l]);
            free(numeric[l]);
        }
        mt_network_free(net);
    }
}

/* Synthetic example k of stream `seed` into x[0..n_in): 60 % zeros, the rest uniform in
 * (0.6, 1), sparse like MNIST.  Returns its label, 0..9, from stream seed + 1. */
static int synthetic_example(uint64_t seed, uint64_t k, int n_in, float *x)
{
    for (int i = 0; i < n_in; i++) {
        double u = rng_uniform(rng_key(seed, 0, RNG_TEST, k), (uint64_t)i);
        x[i] = u < 0.6 ? 0.0f : (float)u;
    }
    return (int)(rng_uniform(seed + 1, k) * 10);
}

/* A dataset of n synthetic examples of stream `seed` (synthetic_example), labels into
 * y[0..n); its features are allocated here, the caller's to free. */
static mt_dataset synthetic_dataset(uint64_t seed, long n, int n_in, uint8_t *y)
{
    float *x = malloc(sizeof(float) * (size_t)n_in * (size_t)n);
    for (long k = 0; k < n; k++) y[k] = (uint8_t)synthetic_example(seed, (uint64_t)k, n_in, x + (size_t)k * n_in);
    mt_dataset d = {n, n_in, 10, x, y, "synthetic"};
    return d;
}

/* Every layer's weights of net, one after another, into out; returns how many. */
static size_t network_weights(mt_network *net, float *out)
{
    size_t n = 0;
    for (int l = 0; l < mt_network_layers(net); l++) {
        int rows, cols;
        mt_network_layer_shape(net, l, &rows, &cols);
        mt_network_layer_weights(net, l, out + n);
        n += (size_t)rows * cols;
    }
    return n;
}

/* Train on synthetic data with 1 and 2 threads; the weights must be bit-identical. */
static void train_synthetic(mt_cell_kind kind, int threads, float *out, size_t *out_n)
{
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    mt_params p;
    mt_params_default(&p);
    strcpy(p.net.hidden, "700,400");
    p.transfer.interval = 150;
    /* large enough for every parallel path of src/array/tile.c: ~440 active rows x 700
     * columns in forward reads, 700 x 400 in a transpose read */
    const int n_in = 1100;
    mt_network *net = make_net(&p, kind, n_in, 10);
    static float x[1100];
    mt_error err;
    for (uint64_t k = 0; k < 300; k++) {
        const int label = synthetic_example(1, k, n_in, x);
        CHECK_INT(mt_network_train_example(net, x, label, 0.1, k, NULL, &err), MT_OK);
    }
    *out_n = network_weights(net, out);
    mt_network_free(net);
}

TEST(training_is_identical_with_one_and_two_threads)
{
    const size_t cap = 1101 * 700 + 701 * 400 + 401 * 10;
    float *a = malloc(cap * sizeof(float)), *b = malloc(cap * sizeof(float));
    for (int kind = MT_CELL_FLOAT; kind <= MT_CELL_2PCM3T1C; kind++) {
        size_t na, nb;
        train_synthetic((mt_cell_kind)kind, 1, a, &na);
        train_synthetic((mt_cell_kind)kind, 2, b, &nb);
        CHECK_INT(na, cap);
        CHECK_INT(nb, cap);
        CHECK_MSG(memcmp(a, b, cap * sizeof(float)) == 0, "cell kind %d differs between 1 and 2 threads",
                  kind);
    }
    free(a);
    free(b);
}

/* A network of `kind` trained on 1 thread one call per example: rows order[k] of d
 * (order NULL: row k) as examples first + k, k < n; *right (if not NULL) counts its
 * right predictions. */
static mt_network *train_example_by_example(mt_params *p, mt_cell_kind kind, const mt_dataset *d,
                                            const uint8_t *y, const long *order, long n, uint64_t first,
                                            long *right)
{
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    mt_network *net = make_net(p, kind, d->dim, 10);
    mt_error err;
    for (long k = 0; k < n; k++) {
        const long row = order ? order[k] : k;
        int correct = 0;
        CHECK_INT(mt_network_train_example(net, d->x + (size_t)row * (size_t)d->dim, y[row], 0.1, first + (uint64_t)k,
                                           &correct, &err),
                  MT_OK);
        if (right) *right += correct;
    }
    return net;
}

/* Whether networks a and b hold the same weights bit for bit (cap of them, copied into
 * wa and wb) and the same counters. */
static void check_same_networks(mt_network *a, mt_network *b, size_t cap, float *wa, float *wb, const char *what)
{
    CHECK_INT(network_weights(a, wa), cap);
    CHECK_INT(network_weights(b, wb), cap);
    CHECK_MSG(memcmp(wa, wb, cap * sizeof(float)) == 0, "%s: the weights differ", what);
    const mt_counters ca = mt_network_counters(a), cb = mt_network_counters(b);
    CHECK_MSG(memcmp(&ca, &cb, sizeof ca) == 0, "%s: the counters differ", what);
}

/* A run of examples trained by one call (on 2 threads: one team through all of them,
 * transfers included) against the same examples one call each on 1 thread: the same
 * weights bit for bit, the same counters, the same count of right predictions; and
 * a fault inside a run stops it with the failing example's index. */
TEST(training_a_run_equals_training_example_by_example)
{
    enum { N_IN = 1100, N = 300 };
    mt_params p;
    mt_params_default(&p);
    strcpy(p.net.hidden, "700,400");
    p.transfer.interval = 150;
    uint8_t y[N];
    long order[N];
    mt_dataset d = synthetic_dataset(1, N, N_IN, y); /* train_synthetic's examples */
    for (int k = 0; k < N; k++) order[k] = (k * 7) % N; /* a permutation: 7 and 300 are coprime */
    const uint64_t first = 1000; /* examples 1000 .. 1299: transfers after 1049, 1199 */
    const size_t cap = 1101 * 700 + 701 * 400 + 401 * 10;
    float *a = malloc(cap * sizeof(float)), *b = malloc(cap * sizeof(float));
    for (int kind = MT_CELL_FLOAT; kind <= MT_CELL_2PCM3T1C; kind++) {
        mt_error err;
        long right_one = 0;
        mt_network *one = train_example_by_example(&p, (mt_cell_kind)kind, &d, y, order, N, first, &right_one);
#ifdef _OPENMP
        omp_set_num_threads(2);
#endif
        mt_network *run = make_net(&p, (mt_cell_kind)kind, N_IN, 10);
        long right_run = 0;
        /* in two calls: a run picks up where the last one stopped */
        CHECK_INT(mt_network_train_examples(run, &d, order, 0, 120, 0.1, first, &right_run, &err), MT_OK);
        CHECK_INT(mt_network_train_examples(run, &d, order, 120, N, 0.1, first, &right_run, &err), MT_OK);
        CHECK_INT(right_run, right_one);
        CHECK(right_one > 0);
        char what[64];
        snprintf(what, sizeof what, "cell kind %d: a run against its examples", kind);
        check_same_networks(one, run, cap, a, b, what);
        CHECK_INT(mt_network_counters(run).transfers, kind == MT_CELL_2PCM3T1C ? 2 : 0);

        /* a weight gone NaN (in the bias row: driven by every example) stops the next run at
         * its first example */
        tile *t0 = network_tile(run, 0);
        t0->w[(size_t)(t0->rows - 1) * (size_t)t0->cols + 5] = NAN;
        CHECK_ERROR(mt_network_train_examples(run, &d, order, 10, 20, 0.1, first + N, NULL, &err), err,
                    MT_ENUMERIC, "example 1310");
        mt_network_free(one);
        mt_network_free(run);
    }
    free(a);
    free(b);
    free(d.x);
}

/* Predictions of a run of examples by one call on 2 threads (one team) against
 * mt_network_predict on each on 1 thread: the same predictions, the same count of right
 * ones, the same counters (reads, conversions). */
TEST(evaluating_a_run_equals_predicting_example_by_example)
{
    enum { N_IN = 1100, N = 60 };
    mt_params p;
    mt_params_default(&p);
    strcpy(p.net.hidden, "700,400");
    uint8_t y[N];
    mt_dataset d = synthetic_dataset(3, N, N_IN, y);
    /* read noise large enough that an analogue network's predictions depend on each
     * example's noise key */
    p.periph.out_noise = 2.0;
    for (int kind = MT_CELL_FLOAT; kind <= MT_CELL_2PCM3T1C; kind++) {
        mt_error err;
        mt_network *one = make_net(&p, (mt_cell_kind)kind, N_IN, 10);
        mt_network *run = make_net(&p, (mt_cell_kind)kind, N_IN, 10);
        /* some training first, the same on both */
        CHECK_INT(mt_network_train_examples(one, &d, NULL, 0, N / 2, 0.02, 0, NULL, &err), MT_OK);
        CHECK_INT(mt_network_train_examples(run, &d, NULL, 0, N / 2, 0.02, 0, NULL, &err), MT_OK);
#ifdef _OPENMP
        omp_set_num_threads(1);
#endif
        const uint64_t first_key = 77;
        int expect[2 * N], got[2 * N];
        long right_one = 0, right_run = -1;
        for (int k = 0; k < 2 * N; k++) { /* rows k mod N: the second pass, other noise keys */
            expect[k] = mt_network_predict(one, d.x + (size_t)(k % N) * N_IN, first_key + (uint64_t)k);
            right_one += expect[k] == y[k % N];
        }
#ifdef _OPENMP
        omp_set_num_threads(2);
#endif
        CHECK_INT(mt_network_evaluate(run, &d, 0, 2 * N, first_key, &right_run, got, &err), MT_OK);
        CHECK_INT(right_run, right_one);
        CHECK_MSG(memcmp(expect, got, sizeof got) == 0, "cell kind %d: predictions differ", kind);
        int classes = 0;
        for (int c = 0; c < 10; c++)
            for (int k = 0; k < 2 * N; k++)
                if (got[k] == c) {
                    classes++;
                    break;
                }
        /* (a float network has no read noise: its predictions do not depend on the keys) */
        CHECK_MSG(kind == MT_CELL_FLOAT || classes >= 2, "cell kind %d: every prediction is class %d", kind,
                  got[0]);
        const mt_counters c_one = mt_network_counters(one), c_run = mt_network_counters(run);
        CHECK_MSG(memcmp(&c_one, &c_run, sizeof c_one) == 0, "cell kind %d: counters differ", kind);
        d.dim = N_IN - 1;
        CHECK_ERROR(mt_network_evaluate(run, &d, 0, N, 0, &right_run, NULL, &err), err, MT_EINPUT, "1099 features");
        d.dim = N_IN;
        mt_network_free(one);
        mt_network_free(run);
    }
    free(d.x);
}

/* A team's thread reads the next example while the other still updates this one, so
 * where moving on rewrites the state — a 3T1C leak frame renormalised, every ~70
 * examples with tau = 0.5 ms — the team meets first: a team run still equals the same
 * examples one by one on 1 thread, bit for bit. */
TEST(a_team_run_through_leak_frame_renormalisations_equals_example_by_example)
{
    enum { N_IN = 1100, N = 300 };
    mt_params p;
    mt_params_default(&p);
    strcpy(p.net.hidden, "700,400");
    p.transfer.interval = 150;
    p.cap.tau_s = 5e-4; /* decay < 1/4 after ln 4 tau = 69 examples of 10 us */
    p.train.layer_split = MT_SPLIT_ALWAYS;
    uint8_t y[N];
    mt_dataset d = synthetic_dataset(1, N, N_IN, y);
    const size_t cap = 1101 * 700 + 701 * 400 + 401 * 10;
    float *a = malloc(cap * sizeof(float)), *b = malloc(cap * sizeof(float));
    mt_error err;
    mt_network *one = train_example_by_example(&p, MT_CELL_2PCM3T1C, &d, y, NULL, N, 0, NULL);
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    mt_network *run = make_net(&p, MT_CELL_2PCM3T1C, N_IN, 10);
    long right = 0;
    CHECK_INT(mt_network_train_examples(run, &d, NULL, 0, N, 0.1, 0, &right, &err), MT_OK);
    check_same_networks(one, run, cap, a, b, "a team run through renormalisations");
    CHECK_INT(mt_network_counters(run).transfers, 2);
    mt_network_free(one);
    mt_network_free(run);
    free(a);
    free(b);
    free(d.x);
}

/* train.layer_split = always (a team of 2 threads through every run), never (one
 * thread) and auto (both timed on windows of examples, then the faster): the same
 * weights bit for bit, counters, right answers and predictions.  Runs long enough for
 * auto to time both ways: a transfer every 150 examples (inside the timing windows) and
 * every 2,100 (the first one due inside the first windows, which then start after it). */
TEST(every_way_of_sharing_a_run_between_threads_gives_the_same_results)
{
    enum { N_IN = 300, N = 2600, WAYS = 3 };
    const mt_layer_split ways[WAYS] = {MT_SPLIT_ALWAYS, MT_SPLIT_NEVER, MT_SPLIT_AUTO};
    uint8_t y[N];
    mt_dataset d = synthetic_dataset(5, N, N_IN, y);
    /* 301 x 250 synapses: a team splits the first layer of every cell kind (tile.c) */
    const size_t cap = 301 * 250 + 251 * 10;
    float *w[WAYS];
    for (int v = 0; v < WAYS; v++) w[v] = malloc(cap * sizeof(float));
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    const long intervals[2] = {150, 2100};
    for (int kind = MT_CELL_FLOAT; kind <= MT_CELL_2PCM3T1C; kind++)
        for (int i = 0; i < (kind == MT_CELL_2PCM3T1C ? 2 : 1); i++) {
            long right[WAYS], eval_right[WAYS];
            mt_counters c[WAYS];
            static int predicted[WAYS][N];
            for (int v = 0; v < WAYS; v++) {
                mt_params p;
                mt_params_default(&p);
                strcpy(p.net.hidden, "250");
                p.transfer.interval = intervals[i];
                p.train.layer_split = ways[v];
                mt_network *net = make_net(&p, (mt_cell_kind)kind, N_IN, 10);
                mt_error err;
                right[v] = 0;
                /* examples 1500 ..: with transfers every 2,100, the first is after example 599 */
                CHECK_INT(mt_network_train_examples(net, &d, NULL, 0, N, 0.05, 1500, &right[v], &err), MT_OK);
                CHECK_INT(mt_network_evaluate(net, &d, 0, N, 9, &eval_right[v], predicted[v], &err), MT_OK);
                CHECK_INT(network_weights(net, w[v]), cap);
                c[v] = mt_network_counters(net);
                mt_network_free(net);
            }
            CHECK(right[0] > N / 10);
            CHECK_INT(c[0].transfers, kind == MT_CELL_2PCM3T1C ? (i == 0 ? 17 : 1) : 0);
            for (int v = 1; v < WAYS; v++) {
                CHECK_INT(right[v], right[0]);
                CHECK_INT(eval_right[v], eval_right[0]);
                CHECK_MSG(memcmp(w[v], w[0], cap * sizeof(float)) == 0, "cell kind %d, way %d: weights differ", kind,
                          v);
                CHECK_MSG(memcmp(&c[v], &c[0], sizeof c[0]) == 0, "cell kind %d, way %d: counters differ", kind, v);
                CHECK_MSG(memcmp(predicted[v], predicted[0], sizeof predicted[0]) == 0,
                          "cell kind %d, way %d: predictions differ", kind, v);
            }
        }
    for (int v = 0; v < WAYS; v++) free(w[v]);
    free(d.x);
}

/* In a team of 2 thread 1 counts the pulses of one of thread 0's chunks and hands the
 * list over (tile_update_rows_team); with a learning rate so large that most synapses
 * fire, the list runs out of room and thread 0 updates the rest of the chunk itself.
 * Both analogue cells: the same weights and counters as one thread, bit for bit. */
TEST(a_team_update_with_an_overflowing_hand_over_equals_one_thread)
{
    enum { N_IN = 1100, N = 12, WAYS = 2 };
    uint8_t y[N];
    mt_dataset d = synthetic_dataset(7, N, N_IN, y);
    const size_t cap = 1101 * 700 + 701 * 10;
    float *w[WAYS];
    for (int v = 0; v < WAYS; v++) w[v] = malloc(cap * sizeof(float));
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    for (int kind = MT_CELL_2PCM; kind <= MT_CELL_2PCM3T1C; kind++) {
        mt_counters c[WAYS];
        long right[WAYS];
        for (int v = 0; v < WAYS; v++) {
            mt_params p;
            mt_params_default(&p);
            strcpy(p.net.hidden, "700");
            p.train.layer_split = v == 0 ? MT_SPLIT_ALWAYS : MT_SPLIT_NEVER;
            mt_network *net = make_net(&p, (mt_cell_kind)kind, N_IN, 10);
            mt_error err;
            right[v] = 0;
            CHECK_INT(mt_network_train_examples(net, &d, NULL, 0, N, 20.0, 0, &right[v], &err), MT_OK);
            CHECK_INT(network_weights(net, w[v]), cap);
            c[v] = mt_network_counters(net);
            mt_network_free(net);
        }
        /* most of ~64 x 700 synapses of the handed-over chunk fire: far more than a
         * hand-over holds (FIRING_HANDOFF) */
        const uint64_t pulses = kind == MT_CELL_2PCM3T1C ? c[0].cap_pulses_up + c[0].cap_pulses_down
                                                          : c[0].pcm_set_pulses_update;
        CHECK_MSG(pulses > (uint64_t)N * 8 * FIRING_HANDOFF, "cell kind %d: only %llu pulses", kind,
                  (unsigned long long)pulses);
        CHECK_INT(right[1], right[0]);
        CHECK_MSG(memcmp(w[1], w[0], cap * sizeof(float)) == 0, "cell kind %d: weights differ", kind);
        CHECK_MSG(memcmp(&c[1], &c[0], sizeof c[0]) == 0, "cell kind %d: counters differ", kind);
    }
    for (int v = 0; v < WAYS; v++) free(w[v]);
    free(d.x);
}

TEST(a_run_rejects_a_dataset_or_order_that_does_not_fit)
{
    mt_params p;
    mt_params_default(&p);
    strcpy(p.net.hidden, "8");
    mt_network *net = make_net(&p, MT_CELL_2PCM3T1C, 6, 3);
    float x[2 * 6] = {0};
    uint8_t y[2] = {0, 1};
    mt_dataset d = {2, 6, 3, x, y, "tiny"};
    long order[2] = {1, 2};
    mt_error err;
    CHECK_ERROR(mt_network_train_examples(net, &d, order, 0, 2, 0.1, 0, NULL, &err), err, MT_EINPUT,
                "tiny: example 1 is row 2");
    d.dim = 5;
    CHECK_ERROR(mt_network_train_examples(net, &d, NULL, 0, 2, 0.1, 0, NULL, &err), err, MT_EINPUT,
                "tiny: 5 features");
    d.dim = 6;
    CHECK_ERROR(mt_network_train_examples(net, &d, NULL, 2, 1, 0.1, 0, NULL, &err), err, MT_EINPUT, "tiny");
    long right = 0;
    CHECK_INT(mt_network_train_examples(net, &d, NULL, 0, 5, 0.1, 0, &right, &err), MT_OK); /* rows k mod 2 */
    CHECK(right >= 0 && right <= 5);
    mt_network_free(net);
}

TEST(a_layer_too_large_to_index_is_refused_before_any_allocation)
{
    /* 3001 x 1,000,000 synapses: past int32 indices (2^31 - 1 = 2,147,483,647); the
     * refusal must come before the cell state (~90 GB) is asked for */
    mt_params p;
    mt_params_default(&p);
    strcpy(p.net.hidden, "1000000");
    mt_network *net = NULL;
    mt_error err;
    CHECK_ERROR(mt_network_create(&p, MT_CELL_2PCM3T1C, 3000, 10, &net, &err), err, MT_EINPUT,
                "net.hidden: layer 1 would have 3001 x 1000000 synapses");
    CHECK(net == NULL);
}

TEST(a_nan_weight_is_reported_with_the_example_index)
{
    mt_params p;
    mt_params_default(&p);
    strcpy(p.net.hidden, "8");
    mt_network *net = make_net(&p, MT_CELL_2PCM3T1C, 6, 3);
    float x[6] = {1, 1, 1, 1, 1, 1};
    mt_error err;
    CHECK_INT(mt_network_train_example(net, x, 0, 0.1, 0, NULL, &err), MT_OK);
    network_tile(net, 0)->w[3] = NAN;
    CHECK_ERROR(mt_network_train_example(net, x, 0, 0.1, 1, NULL, &err), err, MT_ENUMERIC,
                "example 1");
    CHECK(strstr(err.message, "non-finite") != NULL);
    CHECK(tile_find_nonfinite(network_tile(net, 0)) == 3);
    mt_network_free(net);
}

TEST(every_cell_kind_starts_from_the_same_software_weights)
{
    mt_params p;
    mt_params_default(&p);
    strcpy(p.net.hidden, "40");
    mt_network *twin = make_net(&p, MT_CELL_FLOAT, 100, 10);
    mt_network *analogue = make_net(&p, MT_CELL_2PCM3T1C, 100, 10);
    int rows, cols;
    mt_network_layer_shape(twin, 0, &rows, &cols);
    float *a = malloc(sizeof(float) * rows * cols), *b = malloc(sizeof(float) * rows * cols);
    mt_network_layer_weights(twin, 0, a);
    mt_network_layer_weights(analogue, 0, b);
    double err2 = 0, w2 = 0;
    for (int k = 0; k < rows * cols; k++) {
        err2 += (a[k] - b[k]) * (a[k] - b[k]);
        w2 += a[k] * a[k];
        /* U(-1, 1)/sqrt(100), bias row 0 */
        CHECK(fabsf(a[k]) <= 0.1f);
        if (k >= (rows - 1) * cols) CHECK(a[k] == 0.0f);
    }
    /* the analogue copy is the same target, programmed with realistic errors */
    CHECK_MSG(sqrt(err2 / w2) < 0.5, "programmed weights are %g (relative rms) off", sqrt(err2 / w2));
    free(a);
    free(b);
    mt_network_free(twin);
    mt_network_free(analogue);
}

/* The state a network holds is what docs/performance.md documents per synapse:
 * float W (4 B); 2pcm W, G+, G-, stuck (13 B); 2pcm3t1c those + z, V_T, dv_up,
 * dv_down (29 B); pulse statistics add two int32 counts (8 B).  Per-row and
 * per-column vectors add well under 1 B per synapse on 784-250-10. */
TEST(state_bytes_per_synapse_match_the_documented_layout)
{
    const struct { mt_cell_kind kind; int stats; double bytes; } cases[] = {
        {MT_CELL_FLOAT, 0, 4}, {MT_CELL_2PCM, 0, 13}, {MT_CELL_2PCM3T1C, 0, 29},
        {MT_CELL_2PCM3T1C, 1, 37}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        mt_params p;
        mt_params_default(&p);
        p.train.pulse_stats = cases[c].stats;
        mt_network *net = make_net(&p, cases[c].kind, 784, 10);
        const double synapses = 785.0 * 250 + 251.0 * 10;
        const double per = (double)mt_network_state_bytes(net) / synapses;
        CHECK_MSG(per >= cases[c].bytes && per < cases[c].bytes + 0.5, "case %zu: %.3f bytes/synapse, documented %.0f",
                  c, per, cases[c].bytes);
        mt_network_free(net);
    }
}
