/* network.c — a fully connected network whose layers are crossbar tiles.
 *
 * Layer l maps sizes[l] inputs to sizes[l+1] outputs through tile l
 * ((sizes[l] + 1) x sizes[l+1]: the extra row is the bias).  Hidden layers use
 * net.activation, the output layer softmax + cross-entropy.  Batch-1 SGD:
 *     forward   z_l = W_l^T [a_l; 1],  a_{l+1} = f(z_l)
 *     error     e_L = onehot(label) - softmax(z_L)          (= -dLoss/dz_L)
 *     backward  e_{l-1} = (W_l e_l) * f'(z_{l-1})          (transpose read)
 *     update    W_l += lr [a_l; 1] e_l^T                    (pulses in analogue cells)
 * and every transfer.interval examples the 2PCM+3T1C tiles transfer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "array/tile.h"
#include "net/activation.h"
#include "net/loss.h"
#include "net/network_internal.h"
#include "net/split_choice.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/params.h"
#include "util/rng.h"
#include "util/team_barrier.h"

#define MAX_LAYERS 9

/* The ways a run of examples can go (results are the same every way). */
typedef enum run_way {
    WAY_STEPS,      /* step by step; each tile operation splits itself where that pays (tile.c) */
    WAY_ONE_THREAD, /* step by step on this thread alone */
    WAY_TEAM        /* one team of threads sharing the first layer's rows (train_in_one_team) */
} run_way;

struct mt_network {
    mt_params params;
    mt_cell_kind kind;
    int n_layers;
    int sizes[MAX_LAYERS + 1];
    tile *tiles[MAX_LAYERS];
    float *pre[MAX_LAYERS];      /* z_l: sizes[l+1] */
    float *act[MAX_LAYERS + 1];  /* a_l: sizes[l] (act[0] unused: the input) */
    float *err[MAX_LAYERS];      /* e_l: sizes[l+1] */
    float *back;                 /* scratch for transpose reads */
    float *probs;
    /* rng_key_start of each layer's read-noise streams (training, evaluation) */
    uint64_t start_output_noise[MAX_LAYERS], start_eval_noise[MAX_LAYERS];
    /* whether runs of training and of inference split the first layer (split_choice.h) */
    split_choice train_split, eval_split;
    run_way last_way[2];         /* the way of the last run of training [0], inference [1] */
};

void mt_network_free(mt_network *net)
{
    if (!net) return;
    for (int l = 0; l < net->n_layers; l++) {
        tile_free(net->tiles[l]);
        free(net->pre[l]);
        free(net->err[l]);
        free(net->act[l + 1]);
    }
    free(net->back);
    free(net->probs);
    free(net);
}

/* Software initial weights of layer l: U(-s, s)/sqrt(fan_in), bias row 0.  They
 * depend only on the seed and the shape, so every cell kind starts from them. */
static void initial_weights(const mt_params *p, int l, int rows, int cols, float *w)
{
    const uint64_t key = rng_key(p->train.seed, (uint64_t)l, RNG_INIT_WEIGHTS, 0);
    const double s = p->net.init_scale / sqrt((double)(rows - 1));
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            size_t k = (size_t)i * cols + j;
            w[k] = i == rows - 1 ? 0.0f : (float)(s * (2.0 * rng_uniform(key, k) - 1.0));
        }
}

int mt_network_create(const mt_params *p, mt_cell_kind kind, int n_in, int n_out,
                      mt_network **out, mt_error *err)
{
    *out = NULL;
    int hidden[MAX_LAYERS - 1], n_hidden;
    int rc = params_parse_hidden(p->net.hidden, hidden, MAX_LAYERS - 1, &n_hidden, err);
    if (rc) return rc;
    if (n_in < 1 || n_out < 2)
        return mt_fail(err, MT_EINPUT, "network needs at least 1 input and 2 classes (have %d, %d)",
                       n_in, n_out);
    mt_network *net = calloc(1, sizeof *net);
    if (!net) return mt_fail(err, MT_ENOMEM, "out of memory allocating the network");
    net->params = *p;
    net->kind = kind;
    net->train_split = net->eval_split = split_choice_start();
    net->n_layers = n_hidden + 1;
    net->sizes[0] = n_in;
    for (int l = 0; l < n_hidden; l++) net->sizes[l + 1] = hidden[l];
    net->sizes[net->n_layers] = n_out;
    int widest = 0;
    for (int l = 0; l <= net->n_layers; l++) widest = net->sizes[l] > widest ? net->sizes[l] : widest;
    net->back = calloc((size_t)widest + 1, sizeof *net->back);
    net->probs = calloc((size_t)n_out, sizeof *net->probs);
    rc = (net->back && net->probs) ? MT_OK : MT_ENOMEM;
    for (int l = 0; rc == MT_OK && l < net->n_layers; l++) {
        int rows = net->sizes[l] + 1, cols = net->sizes[l + 1];
        net->start_output_noise[l] = rng_key_start(p->train.seed, (uint64_t)l, RNG_OUTPUT_NOISE);
        net->start_eval_noise[l] = rng_key_start(p->train.seed, (uint64_t)l, RNG_EVAL_NOISE);
        rc = tile_create(&net->tiles[l], p, kind, rows, cols, l, err);
        if (rc) break;
        net->pre[l] = calloc((size_t)cols, sizeof(float));
        net->err[l] = calloc((size_t)cols, sizeof(float));
        net->act[l + 1] = calloc((size_t)cols, sizeof(float));
        float *w = malloc((size_t)rows * cols * sizeof *w);
        if (!net->pre[l] || !net->err[l] || !net->act[l + 1] || !w) {
            free(w);
            rc = MT_ENOMEM;
            break;
        }
        initial_weights(p, l, rows, cols, w);
        tile_set_time(net->tiles[l], 0, 0.0);
        tile_program_weights(net->tiles[l], w);
        free(w);
    }
    if (rc) {
        mt_network_free(net);
        if (rc == MT_ENOMEM) mt_fail(err, rc, "out of memory allocating the network");
        return rc;
    }
    *out = net;
    return MT_OK;
}

/* Key of layer l's read-noise stream for a read numbered `index`: rng_key(seed, l,
 * purpose, index), from its start made once (purpose: training or evaluation reads). */
static uint64_t noise_key(const mt_network *net, int l, int purpose, uint64_t index)
{
    return rng_key_finish(purpose == RNG_EVAL_NOISE ? net->start_eval_noise[l] : net->start_output_noise[l], index);
}

/* Layer l's forward read (and activation below the output layer); x is the network's
 * input.  split: tile_forward_rows was already run by every thread of a team
 * (train_in_one_team, evaluate_in_one_team), only the finish is left. */
static void forward_layer(mt_network *net, int l, const float *x, int noise_purpose, uint64_t noise_index,
                          int split)
{
    const int last = net->n_layers - 1;
    const uint64_t key = noise_key(net, l, noise_purpose, noise_index);
    if (split) tile_forward_finish(net->tiles[l], net->pre[l], key);
    else tile_forward(net->tiles[l], l == 0 ? x : net->act[l], net->pre[l], key);
    if (l < last)
        activation_forward(net->params.net.activation, net->pre[l], net->act[l + 1], net->sizes[l + 1]);
}

/* Forward pass; returns the predicted class.  noise_purpose and noise_index key the
 * output-noise streams of every layer; split: as for forward_layer, for layer 0. */
static int forward(mt_network *net, const float *x, int noise_purpose, uint64_t noise_index, int split)
{
    for (int l = 0; l < net->n_layers; l++) forward_layer(net, l, x, noise_purpose, noise_index, split && l == 0);
    return softmax(net->pre[net->n_layers - 1], net->probs, net->sizes[net->n_layers]);
}

/* Whether v[0 .. n) are all finite: branch-free, so that it vectorises (a loop that
 * returns at the first fault does not; it took ~2 cycles a value in a step's serial
 * middle).  An infinity or a NaN is a float whose exponent bits are all ones. */
static int all_finite(const float *v, int n)
{
    uint32_t faults = 0;
    for (int i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        faults |= (bits & 0x7F800000u) == 0x7F800000u;
    }
    return !faults;
}

/* The step from the first layer's forward read to the update: the forward pass, the
 * output error and the backward pass, with their checks.  split: see forward_layer. */
static int forward_and_backward(mt_network *net, const float *x, int label, uint64_t example_index,
                                int split, int *predicted, mt_error *err)
{
    const int last = net->n_layers - 1;
    *predicted = forward(net, x, RNG_OUTPUT_NOISE, 2 * example_index, split);
    for (int l = 0; l <= last; l++)
        if (!all_finite(net->pre[l], net->sizes[l + 1]))
            return mt_fail(err, MT_ENUMERIC,
                           "numerical fault: non-finite pre-activation in layer %d at example %llu",
                           l + 1, (unsigned long long)example_index);

    cross_entropy_error(net->probs, label, net->err[last], net->sizes[net->n_layers]);
    for (int l = last; l >= 1; l--) {
        const uint64_t key = noise_key(net, l, RNG_OUTPUT_NOISE, 2 * example_index + 1);
        tile_backward(net->tiles[l], net->err[l], net->back, key);
        memcpy(net->err[l - 1], net->back, (size_t)net->sizes[l] * sizeof(float));
        activation_backward(net->params.net.activation, net->pre[l - 1], net->act[l],
                            net->err[l - 1], net->sizes[l]);
        if (!all_finite(net->err[l - 1], net->sizes[l]))
            return mt_fail(err, MT_ENUMERIC,
                           "numerical fault: non-finite error in layer %d at example %llu", l,
                           (unsigned long long)example_index);
    }
    return MT_OK;
}

/* Simulated time at the start of example `example_index` (s). */
static double example_time(const mt_network *net, uint64_t example_index)
{
    return (double)example_index * net->params.train.example_time_s;
}

/* Layers first_layer .. to the start of example `example_index`. */
static void set_time(mt_network *net, int first_layer, uint64_t example_index)
{
    const double now = example_time(net, example_index);
    for (int l = first_layer; l < net->n_layers; l++) tile_set_time(net->tiles[l], example_index, now);
}

static int transfer_due(const mt_network *net, uint64_t example_index)
{
    return net->kind == MT_CELL_2PCM3T1C && (example_index + 1) % (uint64_t)net->params.transfer.interval == 0;
}

/* A training step by one thread (or with each tile's own parallel regions, where a
 * tile splits but the step as a whole does not: a one-layer network). */
static int train_step(mt_network *net, const float *x, int label, double lr, uint64_t example_index,
                      int *predicted, mt_error *err)
{
    set_time(net, 0, example_index);
    int rc = forward_and_backward(net, x, label, example_index, 0, predicted, err);
    if (rc) return rc;
    tile_update_all(net->tiles, (const float *const *)net->err, net->n_layers, (float)lr);
    if (transfer_due(net, example_index))
        for (int l = 0; l < net->n_layers; l++) tile_transfer(net->tiles[l]);
    return MT_OK;
}

/* Where a run of training examples comes from: example k is row order[k] of x (order
 * NULL: row k mod n), its label y[row]; or, for a single example (y NULL), x itself
 * with `label`. */
typedef struct example_feed {
    const float *x;
    const uint8_t *y;
    const long *order;
    long n;
    int dim, label;
} example_feed;

static const float *feed_example(const example_feed *f, long k, int *label)
{
    if (!f->y) {
        *label = f->label;
        return f->x;
    }
    const long row = f->order ? f->order[k] : k % f->n;
    *label = f->y[row];
    return f->x + (size_t)row * (size_t)f->dim;
}

/* Ask for the inputs of the run's next example, if there is one (thread `first` of
 * `step` ask for its rows' part): the dataset is far larger than the caches. */
static void prefetch_next(const mt_network *net, const example_feed *feed, long k, long k1, int first, int step)
{
    int label;
    if (k + 1 < k1) tile_prefetch_inputs(net->tiles[0], feed_example(feed, k + 1, &label), first, step);
}

/* A team thread's part of example k's first-layer read (its rows), then its part of
 * asking for the next example's inputs.  Returns the example's input. */
static const float *read_first_layer_rows(mt_network *net, const example_feed *feed, long k, long k1, int tid,
                                          int nth, int *label)
{
    const float *x = feed_example(feed, k, label);
    tile_forward_rows(net->tiles[0], x, tid, nth);
    prefetch_next(net, feed, k, k1, tid, nth);
    return x;
}

/* Whether a team of omp_get_max_threads() threads has a core (or hardware thread) for each. */
static int threads_fit(void)
{
#ifdef _OPENMP
    return omp_get_max_threads() <= omp_get_num_procs();
#else
    return 1;
#endif
}

/* What the threads of a team training a run of examples share. */
typedef struct team_run {
    team_barrier meet;
    int go;                   /* thread 0's: whether the team trains the next example */
    int meet_after;           /* thread 0's: whether the team meets after this step's update */
    int rc;                   /* set by thread 0 in the middle of a step, if not MT_OK */
    atomic_int drawn_enough;  /* thread 0's go-ahead after the middle; tile_draw_rounding_ahead's stop */
    uint64_t up[MAX_LAYERS], down[MAX_LAYERS];
} team_run;

/* Training steps k0, k0 + 1, ... on a network whose first layer splits between
 * threads, all in one parallel region (a spinning team_barrier, cheaper than OpenMP's
 * and than a region per step).  A step:
 *   1. every thread reads its rows of the first layer; they meet, and the last to
 *      arrive sets the first layer's time for updates to this example (every other
 *      thread held: all have finished the previous update);
 *   2. thread 0 runs the rest of the forward and the backward pass (small layers:
 *      serial) and moves the first layer's reads to the next example (no thread reads
 *      it meanwhile), while the others draw the first layer's rounding uniforms for
 *      the rows they will count in the update (which they would otherwise draw then;
 *      analogue cells only), then wait for thread 0's go-ahead;
 *   3. every thread updates its rows; in a team of 2, thread 1 first counts the
 *      pulses of some of thread 0's rows for thread 0 to apply (tile_update_rows_team:
 *      thread 0 also updates the small layers whole).  Then each goes on to the next
 *      example's read without waiting for the others (its rows are its own, and the
 *      first layer keeps the two examples' times apart: tile_set_read_time), except
 *      after a transfer or where the next time rewrites the state (a leak frame
 *      renormalised): then all meet, share the transfer out, and meet again for the
 *      leader to set the next time.
 * The same work, split the same way, as the step-by-step path: results are identical.
 * Stops before example k1, at the first error, or (stop not NULL) before the first
 * example that finds *stop set; *reached: the first example not trained. */
static int train_in_one_team(mt_network *net, const example_feed *feed, long k0, long k1, double lr,
                             uint64_t first_index, long *right, const atomic_int *stop, long *reached,
                             mt_error *err)
{
    team_run s;
    memset(&s, 0, sizeof s);
    team_barrier_init(&s.meet, threads_fit());
    atomic_init(&s.drawn_enough, 0);
    long reached_here = k0; /* thread 0's */
#ifdef _OPENMP
    #pragma omp parallel
    {
        const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        uint64_t up[MAX_LAYERS] = {0}, down[MAX_LAYERS] = {0};
        long right_here = 0; /* thread 0's: *right may share a cache line with what the others read */
        if (team_barrier_wait_or_lead(&s.meet, nth)) {
            for (int l = 0; l < net->n_layers; l++) tile_team_prepare(net->tiles[l]);
            s.go = k0 < k1 && !(stop && atomic_load_explicit(stop, memory_order_relaxed));
            if (s.go) set_time(net, 0, first_index + (uint64_t)k0);
            team_barrier_release(&s.meet);
        }
        for (long k = k0; s.go; k++) {
            const uint64_t index = first_index + (uint64_t)k;
            int label;
            const float *x = read_first_layer_rows(net, feed, k, k1, tid, nth, &label);
            if (team_barrier_wait_or_lead(&s.meet, nth)) {
                /* every other thread is held here, past the previous step's update */
                tile_set_update_time(net->tiles[0], index);
                atomic_store_explicit(&s.drawn_enough, 0, memory_order_relaxed);
                if (nth == 2) tile_team_balance(net->tiles[0], tid);
                team_barrier_release(&s.meet);
            }
            if (tid == 0) {
                set_time(net, 1, index); /* the layers only this thread reads and updates whole */
                int predicted = -1;
                const int rc = forward_and_backward(net, x, label, index, 1, &predicted, err);
                if (rc) s.rc = rc;
                right_here += rc == MT_OK && predicted == label;
                /* what follows this step */
                const double next = example_time(net, index + 1);
                s.go = rc == MT_OK && k + 1 < k1 && !(stop && atomic_load_explicit(stop, memory_order_relaxed));
                s.meet_after = s.go && (transfer_due(net, index) || tile_time_rewrites_state(net->tiles[0], next));
                if (s.go && !s.meet_after) tile_set_read_time(net->tiles[0], index + 1, next);
                /* the others' go-ahead (a release: the errors, s.rc and the times are written) */
                atomic_store_explicit(&s.drawn_enough, 1, memory_order_release);
            } else { /* each other thread: the uniforms of the rows it will count */
                tile_draw_rounding_ahead(net->tiles[0], tid, nth, &s.drawn_enough);
                for (int checks = 0; !atomic_load_explicit(&s.drawn_enough, memory_order_acquire);
                     checks += checks < s.meet.spins)
                    team_wait_step(checks, s.meet.spins);
            }
            if (s.rc) break;
            tile_update_rows_team(net->tiles, (const float *const *)net->err, net->n_layers, (float)lr, tid,
                                  nth, s.meet.spins, up, down);
            if (tid == 0) {
                tile_count_update(net->tiles, net->n_layers);
                reached_here = k + 1;
            }
            if (transfer_due(net, index)) { /* every thread: the transfer shares out its synapses */
                team_barrier_wait(&s.meet, nth);
                for (int l = 0; l < net->n_layers; l++) tile_transfer_shared(net->tiles[l]);
            }
            if (s.meet_after && team_barrier_wait_or_lead(&s.meet, nth)) {
                tile_set_read_time(net->tiles[0], index + 1, example_time(net, index + 1));
                team_barrier_release(&s.meet);
            }
        }
        if (tid == 0) *right += right_here;
        for (int l = 0; l < net->n_layers; l++) {
            #pragma omp atomic
            s.up[l] += up[l];
            #pragma omp atomic
            s.down[l] += down[l];
        }
    }
#else
    (void)feed, (void)k1, (void)lr, (void)first_index, (void)right, (void)stop, (void)err;
#endif
    tile_count_pulses(net->tiles, net->n_layers, s.up, s.down);
    *reached = reached_here;
    return s.rc;
}

/* Examples k0 .. k1-1 of feed, in turn, step by step (see train_in_one_team for stop and
 * reached). */
static int train_steps(mt_network *net, const example_feed *feed, long k0, long k1, double lr,
                       uint64_t first_index, long *right, const atomic_int *stop, long *reached, mt_error *err)
{
    for (long k = k0; k < k1; k++) {
        *reached = k;
        if (stop && atomic_load_explicit(stop, memory_order_relaxed)) return MT_OK;
        int label, predicted = -1;
        const float *x = feed_example(feed, k, &label);
        prefetch_next(net, feed, k, k1, 0, 1);
        const int rc = train_step(net, x, label, lr, first_index + (uint64_t)k, &predicted, err);
        if (rc) return rc;
        *right += predicted == label;
    }
    *reached = k1;
    return MT_OK;
}

/* train_steps, or train_in_one_team, the given way. */
static int train_way(mt_network *net, const example_feed *feed, long k0, long k1, run_way way, double lr,
                     uint64_t first_index, long *right, const atomic_int *stop, long *reached, mt_error *err)
{
    net->last_way[0] = way;
    if (way == WAY_TEAM) return train_in_one_team(net, feed, k0, k1, lr, first_index, right, stop, reached, err);
    if (way == WAY_STEPS) return train_steps(net, feed, k0, k1, lr, first_index, right, stop, reached, err);
    int rc = MT_OK;
    /* inside a region the tiles open none of their own (tile.c, can_fork): one thread does all */
    #pragma omp parallel num_threads(1)
    rc = train_steps(net, feed, k0, k1, lr, first_index, right, stop, reached, err);
    return rc;
}

/* How a network runs examples outside any timing: the way train.layer_split asks for,
 * where the first layer may split between threads (a team needs min_layers or more
 * layers), with *timed set where the way is left to timing (split_choice.h). */
static run_way fixed_way(const mt_network *net, int min_layers, int *timed)
{
    *timed = 0;
    if (net->params.train.layer_split == MT_SPLIT_NEVER) return WAY_ONE_THREAD;
    if (net->n_layers < min_layers || !tile_splits(net->tiles[0])) return WAY_STEPS;
    *timed = net->params.train.layer_split == MT_SPLIT_AUTO;
    return WAY_TEAM;
}

/* The way a timing chose. */
static run_way chosen_way(const split_choice *c)
{
    return c->team ? WAY_TEAM : WAY_ONE_THREAD;
}

/* The first example at or after k whose step ends with a transfer, if one does before
 * k + span; else -1.  A timing window must not hold one: a transfer takes as long as
 * hundreds of steps, and would decide the timing.  (Where transfers come more often
 * than every 4 windows, every window holds some: they are left in.) */
static long transfer_within(const mt_network *net, uint64_t first_index, long k, long span)
{
    const long interval = net->params.transfer.interval;
    if (net->kind != MT_CELL_2PCM3T1C || interval < 4 * span) return -1;
    const long done = (long)((first_index + (uint64_t)k + 1u) % (uint64_t)interval);
    const long at = k + (interval - done) % interval;
    return at < k + span ? at : -1;
}

/* Examples k0 .. k1-1 of feed, in turn (see train_in_one_team for stop and reached),
 * each run of them the way net->train_split chose (split_choice.h). */
static int train_run(mt_network *net, const example_feed *feed, long k0, long k1, double lr,
                     uint64_t first_index, long *right, const atomic_int *stop, long *reached, mt_error *err)
{
    int timed;
    const run_way way = fixed_way(net, 2, &timed);
    if (!timed) return train_way(net, feed, k0, k1, way, lr, first_index, right, stop, reached, err);
    split_choice *c = &net->train_split;
    *reached = k0;
    for (long k = k0, end; k < k1; k = end) {
        int rc;
        if (split_choice_next(c, k, k1, transfer_within(net, first_index, k, 2 * SPLIT_PROBE_EXAMPLES), &end)) {
            /* time each way on a window of its own */
            const long mid = k + SPLIT_PROBE_EXAMPLES;
            const double t0 = clock_seconds();
            rc = train_way(net, feed, k, mid, WAY_ONE_THREAD, lr, first_index, right, stop, reached, err);
            if (rc || *reached < mid) return rc;
            const double t1 = clock_seconds();
            rc = train_way(net, feed, mid, end, WAY_TEAM, lr, first_index, right, stop, reached, err);
            if (rc || *reached < end) return rc;
            split_choice_timed(c, t1 - t0, clock_seconds() - t1);
        } else {
            /* the chosen way, up to the next timing (or past a transfer that is in its way) */
            rc = train_way(net, feed, k, end, chosen_way(c), lr, first_index, right, stop, reached, err);
            split_choice_ran(c, *reached - k);
            if (rc || *reached < end) return rc;
        }
    }
    return MT_OK;
}

int mt_network_train_example(mt_network *net, const float *x, int label, double lr,
                             uint64_t example_index, int *correct, mt_error *err)
{
    const example_feed one = {x, NULL, NULL, 1, net->sizes[0], label};
    long right = 0, reached;
    const int rc = train_run(net, &one, 0, 1, lr, example_index, &right, NULL, &reached, err);
    if (correct) *correct = right == 1;
    return rc;
}

/* Whether examples k0 .. k1-1 of data, in `order` (NULL: rows k mod n), fit the network. */
static int check_run(const mt_network *net, const mt_dataset *data, const long *order, long k0, long k1,
                     mt_error *err)
{
    if (data->dim != net->sizes[0] || data->classes != net->sizes[net->n_layers])
        return mt_fail(err, MT_EINPUT, "%s: %d features and %d classes, the network takes %d and %d",
                       data->name, data->dim, data->classes, net->sizes[0], net->sizes[net->n_layers]);
    if (k0 < 0 || k1 < k0 || (!order && data->n < 1))
        return mt_fail(err, MT_EINPUT, "%s: examples %ld .. %ld is not a run of examples", data->name, k0, k1);
    for (long k = k0; order && k < k1; k++)
        if (order[k] < 0 || order[k] >= data->n)
            return mt_fail(err, MT_EINPUT, "%s: example %ld is row %ld, outside 0 .. %ld", data->name, k,
                           order[k], data->n - 1);
    return MT_OK;
}

int network_train_until(mt_network *net, const mt_dataset *data, const long *order, long k0, long k1,
                        double lr, uint64_t first_index, long *correct, const atomic_int *stop, long *reached,
                        mt_error *err)
{
    *reached = k0;
    const int checked = check_run(net, data, order, k0, k1, err);
    if (checked) return checked;
    const example_feed feed = {data->x, data->y, order, data->n, data->dim, 0};
    long right = 0;
    const int rc = train_run(net, &feed, k0, k1, lr, first_index, &right, stop, reached, err);
    if (correct) *correct += right;
    return rc;
}

int mt_network_train_examples(mt_network *net, const mt_dataset *data, const long *order, long k0, long k1,
                              double lr, uint64_t first_index, long *correct, mt_error *err)
{
    long reached;
    return network_train_until(net, data, order, k0, k1, lr, first_index, correct, NULL, &reached, err);
}

int mt_network_predict(mt_network *net, const float *x, uint64_t eval_key)
{
    return forward(net, x, RNG_EVAL_NOISE, eval_key, 0);
}

/* Predictions of examples k0 .. k1-1 on a network whose first layer splits, in one
 * parallel region: every thread reads its rows of the first layer, and the last to
 * finish runs the rest of the forward pass while the others are held (they would
 * otherwise overwrite the partial sums it reads).  One meeting per example. */
static long evaluate_in_one_team(mt_network *net, const example_feed *feed, long k0, long k1, uint64_t first_key,
                                 int *predicted)
{
    team_barrier meet;
    team_barrier_init(&meet, threads_fit());
    long right = 0;
#ifdef _OPENMP
    #pragma omp parallel
    {
        const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
        for (long k = k0; k < k1; k++) {
            int label;
            const float *x = read_first_layer_rows(net, feed, k, k1, tid, nth, &label);
            if (team_barrier_wait_or_lead(&meet, nth)) {
                const int p = forward(net, x, RNG_EVAL_NOISE, first_key + (uint64_t)k, 1);
                right += p == label;
                if (predicted) predicted[k - k0] = p;
                team_barrier_release(&meet);
            }
        }
    }
#else
    (void)feed, (void)k0, (void)k1, (void)first_key, (void)predicted;
#endif
    return right;
}

/* Predictions of examples k0 .. k1-1 step by step; returns how many are right,
 * predicted[k - k0] the prediction of example k (predicted may be NULL). */
static long evaluate_steps(mt_network *net, const example_feed *feed, long k0, long k1, uint64_t first_key,
                           int *predicted)
{
    long right = 0;
    for (long k = k0; k < k1; k++) {
        int label;
        const float *x = feed_example(feed, k, &label);
        const int p = forward(net, x, RNG_EVAL_NOISE, first_key + (uint64_t)k, 0);
        right += p == label;
        if (predicted) predicted[k - k0] = p;
    }
    return right;
}

/* evaluate_steps, or evaluate_in_one_team, the given way (as train_way). */
static long evaluate_way(mt_network *net, const example_feed *feed, long k0, long k1, run_way way,
                         uint64_t first_key, int *predicted)
{
    net->last_way[1] = way;
    if (way == WAY_TEAM) return evaluate_in_one_team(net, feed, k0, k1, first_key, predicted);
    if (way == WAY_STEPS) return evaluate_steps(net, feed, k0, k1, first_key, predicted);
    long right = 0;
    #pragma omp parallel num_threads(1)
    right = evaluate_steps(net, feed, k0, k1, first_key, predicted);
    return right;
}

int mt_network_evaluate(mt_network *net, const mt_dataset *data, long k0, long k1, uint64_t first_key,
                        long *correct, int *predicted, mt_error *err)
{
    *correct = 0;
    const int checked = check_run(net, data, NULL, k0, k1, err);
    if (checked) return checked;
    const example_feed feed = {data->x, data->y, NULL, data->n, data->dim, 0};
    int timed;
    const run_way way = fixed_way(net, 1, &timed);
    if (!timed) {
        *correct = evaluate_way(net, &feed, k0, k1, way, first_key, predicted);
        return MT_OK;
    }
    /* as train_run: each way timed now and then, the faster run in between */
    split_choice *c = &net->eval_split;
    for (long k = k0, end; k < k1; k = end) {
        int *out = predicted ? predicted + (k - k0) : NULL;
        if (split_choice_next(c, k, k1, -1, &end)) {
            const long mid = k + SPLIT_PROBE_EXAMPLES;
            const double t0 = clock_seconds();
            *correct += evaluate_way(net, &feed, k, mid, WAY_ONE_THREAD, first_key, out);
            const double t1 = clock_seconds();
            *correct += evaluate_way(net, &feed, mid, end, WAY_TEAM, first_key, out ? out + (mid - k) : NULL);
            split_choice_timed(c, t1 - t0, clock_seconds() - t1);
        } else {
            *correct += evaluate_way(net, &feed, k, end, chosen_way(c), first_key, out);
            split_choice_ran(c, end - k);
        }
    }
    return MT_OK;
}

size_t mt_network_state_bytes(const mt_network *net)
{
    size_t b = 0;
    for (int l = 0; l < net->n_layers; l++) b += tile_state_bytes(net->tiles[l]);
    return b;
}

mt_counters mt_network_counters(const mt_network *net)
{
    mt_counters sum;
    memset(&sum, 0, sizeof sum);
    uint64_t *s = (uint64_t *)&sum;
    const size_t n = sizeof sum / sizeof(uint64_t);
    for (int l = 0; l < net->n_layers; l++) {
        const uint64_t *c = (const uint64_t *)&net->tiles[l]->counters;
        for (size_t k = 0; k < n; k++) s[k] += c[k];
    }
    /* A transfer moves the whole network: count it once, not once per tile. */
    sum.transfers = net->n_layers ? net->tiles[0]->counters.transfers : 0;
    return sum;
}

int mt_network_layers(const mt_network *net) { return net->n_layers; }

void mt_network_layer_shape(const mt_network *net, int l, int *rows, int *cols)
{
    *rows = net->tiles[l]->rows;
    *cols = net->tiles[l]->cols;
}

void mt_network_layer_weights(mt_network *net, int l, float *w)
{
    tile_read_weights(net->tiles[l], w);
}

int mt_network_pulse_stats(const mt_network *net, int l, const int32_t **total,
                           const int32_t **net_pulses)
{
    const tile *t = net->tiles[l];
    *total = t->pulse_total;
    *net_pulses = t->pulse_net;
    return t->pulse_total != NULL;
}

tile *network_tile(mt_network *net, int l) { return net->tiles[l]; }

const char *network_last_way(const mt_network *net, int inference)
{
    static const char *const names[] = {"steps", "one thread", "team"};
    return names[net->last_way[inference != 0]];
}

double network_loss(mt_network *net, const float *x, int label, uint64_t eval_key)
{
    forward(net, x, RNG_EVAL_NOISE, eval_key, 0);
    /* log-sum-exp in double: finite-difference checks need the precision */
    const float *z = net->pre[net->n_layers - 1];
    const int n = net->sizes[net->n_layers];
    double zmax = z[0], sum = 0.0;
    for (int k = 1; k < n; k++) zmax = fmax(zmax, (double)z[k]);
    for (int k = 0; k < n; k++) sum += exp((double)z[k] - zmax);
    return zmax + log(sum) - (double)z[label];
}
