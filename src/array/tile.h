/* tile.h — one crossbar array: a rows x cols grid of unit cells plus its periphery.
 *
 * Rows carry the layer's inputs (the last row is the bias, driven with 1), columns
 * its outputs.  The tile performs the three steps of backpropagation in place:
 *   forward   y_j = sum_i x_i W_ij          (DAC -> array -> noise -> ADC)
 *   backward  d_i = sum_j W_ij e_j          (transpose read, same periphery)
 *   update    W_ij += lr x_i e_j            (as pulses: cell-specific)
 * and, for the 2PCM+3T1C cell, the periodic transfer of g into the PCM pair.
 *
 * State is structure-of-arrays, row-major (index i*cols + j): one contiguous array
 * per state variable and per device-to-device parameter.  `w` caches every cell's
 * effective weight in weight units so reads cost what a float matrix costs; the cell
 * code keeps it exact after every pulse and re-derives it for leakage at least every
 * train.leak_sync_examples examples (docs/model.md §5). */
#ifndef MT_ARRAY_TILE_H
#define MT_ARRAY_TILE_H

#include <stdatomic.h>
#include <stdint.h>

#include "array/rounding.h"
#include "device/cap3t1c.h"
#include "device/pcm.h"
#include "memtrain.h"

/* Rows are split into this many chunks, the unit of work of each thread (tile.c): a
 * forward read adds the chunks' sums in order, so its result does not depend on the
 * thread count (up to ROW_CHUNKS threads share the work).  Chunk c holds the blocks of
 * ROW_BLOCK consecutive rows numbered c, c + ROW_CHUNKS, c + 2 ROW_CHUNKS, ... */
#define ROW_CHUNKS 8
#define ROW_BLOCK 32

/* Per-row state arrays start on a cache line (tile_alloc_lines): a block of ROW_BLOCK
 * rows is then 128 x cols bytes of floats, whole lines, so two threads never write
 * the same line. */
#define CACHE_LINE 64

typedef struct tile {
    int rows, cols;             /* rows = inputs + 1 (bias) */
    int index;                  /* position in the network; part of every random key */
    mt_cell_kind kind;
    mt_params params;           /* a copy: the tile owns its configuration */
    uint64_t seed;

    float *w;                   /* rows x cols effective weights (weight units) */

    /* ---- PCM pair (2pcm, 2pcm3t1c) ---- */
    float *g_plus, *g_minus;          /* µS */
    uint64_t pcm_mismatch_key;        /* stream of per-device G_max: tile_g_max() */
    uint8_t *stuck;                   /* bit 0: G+ stuck, bit 1: G- stuck */
    pcm_model pcm;

    /* ---- 3T1C (2pcm3t1c) ---- */
    float *cap_z;               /* V_C = v_leak + cap_z * decay (leak frame, see pcm2cap.c) */
    float *cap_vt;              /* per-device read-transistor threshold (V) */
    float *cap_dv_up, *cap_dv_down;   /* per-device steps at v_init (V) */
    float *shared_vt;           /* cols: threshold of each column's g_shared cell */
    float *shared_g;            /* cols: g_shared now (µS), refreshed with the frame */
    int polarity;               /* p = +1 or -1 */
    double programmed_time_s;   /* last transfer (drift reference) */
    cap3t1c_model cap;
    int dense_pulses_exact;     /* the vectorised pulse kernel applies (see pcm2cap.c) */
    uint64_t *row_sync_example; /* rows: example index at which w was last re-derived */
    uint64_t start_rounding, start_pulse_noise; /* rng_key_start of the keys below, made once */

    /* ---- derived constants ---- */
    float quantum;              /* nominal weight change of one update pulse (weight units) */

    /* ---- per-example scratch (no allocation in the training loop) ---- */
    float *x_in;                /* rows: inputs as the array saw them (after the DAC) */
    int *active;                /* rows with x_in != 0: those of row chunk c (tile.c),
                                   in row order, chunk_active[c] of them, from
                                   active[c * chunk_cap] on */
    int chunk_cap;              /* most rows a chunk holds (bias included) */
    int *chunk_active;          /* chunk c's count at [c * CHUNK_COUNT_STRIDE]: one line each */
    /* rounding uniforms of the active rows, drawn ahead by an otherwise idle thread
     * (tile_draw_rounding_ahead; allocated by tile_team_prepare): row i's 16-bit fields at
     * [i * ahead_ld], valid for the example e where ahead_example[i] == e + 1 */
    uint16_t *ahead_fields;
    uint64_t *ahead_example;
    int ahead_ld;
    /* a 2-thread team's hand-over of one of thread 0's chunks to thread 1
     * (tile_update_rows_team; allocated by tile_team_prepare) */
    struct firing_handoff *handoff;
    float *err_pad;             /* ROW_CHUNKS x chunk_ld: each updating thread's copy of the
                                   column errors, zero from cols on: the errors an analogue
                                   tile's cells get from tile_update_rows */
    float *col_tmp;             /* cols */
    float *chunk_sums;          /* ROW_CHUNKS x chunk_ld: each chunk's part of a forward read */
    size_t chunk_ld;            /* cols rounded up to a cache line of floats */
    float *row_tmp;             /* rows */

    /* ---- statistics ---- */
    int32_t *pulse_total, *pulse_net; /* rows x cols, NULL unless train.pulse_stats */
    uint64_t pulse_window_end;        /* examples counted: [0, pulse_window_end) */

    /* The fields written at every example, each group on cache lines of its own: the
     * rest of the tile is read by every thread of a team at every example, and a line
     * written by one thread is taken from the other's cache, to be fetched back at its
     * next read (a round trip between cores, ~100-500 ns, in the middle of the step).
     * (tile_create allocates the tile on a cache line.) */

    /* ---- the present as reads see it (tile_set_read_time: set once per example,
     * before any thread reads the tile) ---- */
    _Alignas(CACHE_LINE) uint64_t read_example; /* the reads' example index (leak sync) */
    double now_s;               /* simulated time (s) */
    double frame_time_s;        /* 3T1C: decay = exp(-(now - frame_time)/tau) */
    double read_decay;          /* 3T1C: decay at now_s */
    float shared_z;             /* 3T1C: g_shared cells' V_C in the leak frame (all equal) */

    /* ---- the present as updates (and transfers) see it (tile_set_update_time: set
     * once per example, before any thread updates the tile).  A team's thread may
     * read the next example while another still updates this one (network.c), so the
     * two are apart; outside a team they are always the same example. ---- */
    _Alignas(CACHE_LINE) uint64_t example; /* the update's example index */
    uint64_t key_rounding;      /* this example's stream for stochastic rounding */
    uint64_t key_pulse_noise;   /* ... and for cycle-to-cycle pulse noise */
    double decay, inv_decay;    /* 3T1C: at the update's time */

    /* ---- set by thread 1 of a 2-thread team once its hand-over is collected, reset by
     * thread 0 once applied; and how many rows of the hand-over's chunk thread 1
     * collects, set at the team's meeting (tile_team_balance) ---- */
    _Alignas(CACHE_LINE) atomic_int handoff_ready;
    int handoff_rows;

    /* ---- written by the thread that finishes a forward read (thread 0 in a team) ---- */
    _Alignas(CACHE_LINE) int n_active; /* active rows of the last forward read, in all */
    mt_counters counters;
} tile;

/* count zeroed elements of `size` bytes starting on a cache line (NULL if out of
 * memory); free with free(). */
void *tile_alloc_lines(size_t count, size_t size);

/* Ints between two chunks' counts in chunk_active: one cache line. */
#define CHUNK_COUNT_STRIDE (CACHE_LINE / (int)sizeof(int))

/* Allocate a tile of `kind` and draw its devices.  Weights start at zero until
 * tile_program_weights.  Returns MT_ENOMEM on allocation failure. */
int tile_create(tile **out, const mt_params *p, mt_cell_kind kind, int rows, int cols, int index,
                mt_error *err);
void tile_free(tile *t);

/* The state arrays of a tile (everything but per-example scratch), in checkpoint
 * file order: one list serves the checkpoint writer and reader and the memory count,
 * so they cannot drift apart.  Arrays a cell kind does not use are NULL. */
typedef struct tile_field {
    const char *name;
    void *data;
    size_t bytes;
} tile_field;
enum { TILE_FIELDS = 13 };
void tile_state_fields(const tile *t, tile_field f[TILE_FIELDS]);

/* Bytes of the tile's state: its struct, the state arrays of its cell kind and its
 * per-example scratch vectors (docs/performance.md, memory per synapse). */
size_t tile_state_bytes(const tile *t);

/* Program target weights (weight units, rows x cols) into the cells — the initial
 * state of training: analogue cells reach it only as well as their programming allows. */
void tile_program_weights(tile *t, const float *w_target);

/* Move simulated time to the start of example `example` (leakage): for reads and for
 * updates. */
void tile_set_time(tile *t, uint64_t example, double now_s);

/* The two halves of tile_set_time, for a team whose threads are at different examples
 * (network.c): the time reads see (no thread may be reading t), then the time updates
 * see, the reads' (no thread may be updating t). */
void tile_set_read_time(tile *t, uint64_t example, double now_s);
void tile_set_update_time(tile *t, uint64_t example);

/* Whether moving t's reads to time now_s rewrites its state (a 3T1C tile's leak frame
 * renormalised), so that no thread may be updating it either. */
int tile_time_rewrites_state(const tile *t, double now_s);

/* Forward read.  x has rows-1 inputs (the bias is added); y receives cols outputs.
 * noise_key selects the output-noise stream.  Remembers the DAC'd inputs for
 * tile_update. */
void tile_forward(tile *t, const float *x, float *y, uint64_t noise_key);

/* Transpose read: out[i] = sum_j W_ij e_j for the rows-1 non-bias rows. */
void tile_backward(tile *t, const float *e, float *out, uint64_t noise_key);

/* Apply W_ij += lr x_i e_j with the inputs of the last tile_forward: exactly for
 * the float cell, as stochastically rounded pulse counts for analogue cells. */
void tile_update(tile *t, const float *e, float lr);

/* tile_update of n_tiles tiles (at most 16), errors[k] for tiles[k], in one parallel
 * region: a network's layers cost one fork/join per example, not one each. */
void tile_update_all(tile *const *tiles, const float *const *errors, int n_tiles, float lr);

/* ---- steps inside a team of threads (network.c: train_in_one_team) ----
 * The steps above each open their own parallel region.  A network can instead run
 * whole training steps, or a whole run of them, in one region, its threads calling
 * these pieces with their thread number `first` and count `step` (results are the
 * same): */

/* Whether a step of this tile splits between threads here (enough work, at least two
 * threads available and no parallel region running). */
int tile_splits(const tile *t);

/* tile_forward in two parts: the row chunks first, first + step, ... (each thread),
 * then, once every thread is done, the sum over chunks and the periphery (one thread). */
void tile_forward_rows(tile *t, const float *x, int first, int step);

/* Ask the memory system for the inputs x of row chunks first, first + step, ... of a
 * coming forward read (a training run asks for the next example's during this one's
 * step: examples are read from a dataset far larger than the caches). */
void tile_prefetch_inputs(const tile *t, const float *x, int first, int step);
void tile_forward_finish(tile *t, float *y, uint64_t noise_key);

/* tile_update_all in parts: each thread's chunks of every tile that splits (a tile too
 * small to split, such as the output layer, is updated whole by thread 0, the one
 * that reads it next), counting pulses into up[k], down[k] (per thread, summed by
 * the caller); then, once per update, the
 * counters of the rows updated (the active rows of the last forward read); and the
 * pulses, summed over threads (and over updates, if the caller wishes). */
void tile_update_rows(tile *const *tiles, const float *const *errors, int n_tiles, float lr,
                      int first, int step, uint64_t *up, uint64_t *down);
void tile_count_update(tile *const *tiles, int n_tiles);
void tile_count_pulses(tile *const *tiles, int n_tiles, const uint64_t *up, const uint64_t *down);

/* tile_update_rows for thread tid of a team of nth that meets around it, with the
 * work shared more evenly in a team of 2: thread 0 also updates the layers too small
 * to split, so thread 1 first collects the pulse counts of one of thread 0's chunks
 * (a short list of firing synapses, collected where the rounding uniforms were drawn
 * ahead) and thread 0 applies the list to its devices, whose state stays in its
 * cache.  The same pulses as tile_update_rows: every synapse's are its own.  Thread 0
 * waits for the list spinning `spins` checks, then yielding its core (team_barrier's
 * policy: 0 when the team has more threads than cores). */
void tile_update_rows_team(tile *const *tiles, const float *const *errors, int n_tiles, float lr,
                           int tid, int nth, int spins, uint64_t *up, uint64_t *down);

/* Thread 0's chunk whose rows thread 1 of a 2-thread team collects (some or all): its
 * last. */
#define HANDOFF_CHUNK (ROW_CHUNKS - 2)

/* A 2-thread team's balance of its update, kept by the thread that arrives last at the
 * meeting after the first layer's read (`leader`; the other is held meanwhile): if
 * thread 0 (it had more to do), thread 1 collects one row more of thread 0's hand-over
 * chunk in the next update, else one fewer (at most the chunk's active rows of this
 * example).  Who computes which pulse changes no result. */
void tile_team_balance(tile *t, int leader);

/* Scratch a team needs (the hand-over, the uniforms drawn ahead); called by one thread
 * while the others wait.  Without memory for it a team updates as tile_update_rows
 * does, drawing every uniform in the update. */
void tile_team_prepare(tile *t);

/* Draw the stochastic-rounding uniforms of this example's active rows (those of the
 * last forward read) that thread tid of a team of nth counts in the update
 * (tile_update_rows_team) ahead of the update, row by row, until *stop becomes
 * non-zero: for a thread that would otherwise wait.  Results do not depend on how far
 * it gets: the update draws the rest itself, and every uniform is a function of
 * (example, row, column) alone.  Analogue tiles after tile_team_prepare only (others
 * ignore it). */
void tile_draw_rounding_ahead(tile *t, int tid, int nth, atomic_int *stop);

/* Pulse counts of columns j0 .. j0+width-1 of `row` (as rounding_pulse_counts: a is the
 * row's signed pulses per unit error, e the tile's column errors), from the uniforms
 * tile_draw_rounding_ahead drew when it got to this row, else drawn here.  width:
 * rounding_padded(len), over the zero-padded errors tile_update_rows hands an analogue
 * tile's cells; lanes from len on count 0.  Returns whether any count is non-zero. */
static inline int tile_row_pulse_counts(const tile *t, int row, float a, const float *e, int j0, int width,
                                        int32_t *n)
{
    const float max_pulses = (float)t->params.cell.max_pulses_per_update;
    if (t->ahead_example && t->ahead_example[row] == t->example + 1)
        return rounding_counts(a, e + j0, t->ahead_fields + (size_t)row * (size_t)t->ahead_ld + j0, width,
                               max_pulses, n);
    return rounding_pulse_counts(a, e + j0, row, j0, width, t->cols, t->key_rounding, max_pulses, n);
}

/* ---- narrow tiles (fewer columns than a vector: the output layer) ----
 * The analogue cells update a narrow tile a block of ROW_BLOCK rows at a time: the
 * block's rounding uniforms are one run of draws (row i's, draws i ceil(cols/4) + 1 ...,
 * follow the previous row's), drawn in one vectorised loop, and each row's counts are
 * taken chunk_ld (one vector) wide over the zero-padded errors tile_update_rows hands
 * the cells: the lanes past the row count 0. */

/* The end of the run of listed rows, rows[k] on, that lies in rows[k]'s block. */
static inline int tile_block_end(const int *rows, int k, int n_rows)
{
    const int block = rows[k] / ROW_BLOCK;
    int end = k;
    while (end < n_rows && rows[end] / ROW_BLOCK == block) end++;
    return end;
}

/* Uniforms per row of a narrow tile in a block's run: 12 for 10 columns. */
static inline int tile_narrow_row_fields(const tile *t)
{
    return (t->cols + 3) / 4 * 4;
}

/* Room for a block's uniforms (tile_narrow_fields). */
#define TILE_NARROW_FIELDS (ROW_BLOCK * ROUNDING_LANES + ROUNDING_LANES)

/* The uniforms of rows first .. first+span-1 of a narrow tile, and one vector past the
 * last row's, into field (TILE_NARROW_FIELDS): row i's start at
 * field + (i - first) * tile_narrow_row_fields(t). */
static inline void tile_narrow_fields(const tile *t, int first, int span, uint16_t *field)
{
    rounding_fields(first, 0, span * tile_narrow_row_fields(t) + (int)t->chunk_ld, t->cols, t->key_rounding,
                    field);
}

/* Transfer every cell's capacitor weight into its PCM pair (2pcm3t1c only), in a
 * parallel region of its own. */
void tile_transfer(tile *t);
/* tile_transfer called by every thread of the parallel region running (each does its
 * share of the synapses), or by one thread outside any. */
void tile_transfer_shared(tile *t);

/* Exact current weights (weight units) into w (rows x cols). */
void tile_read_weights(tile *t, float *w);

/* Scans w for NaN/Inf; returns the flat index of the first, or -1. */
long tile_find_nonfinite(const tile *t);

/* ---- cell implementations (src/cell/) ---------------------------------------- */

/* Pulses one row update applied, in the device's direction (up = conductance up). */
typedef struct row_pulses {
    uint64_t up, down;
} row_pulses;

int cell_float_create(tile *t);
void cell_float_program(tile *t, const float *w_target);
/* The update of rows[0..n_rows) (increasing, owned by the calling thread), row i with
 * lr * x_in[i]: w_ij += lr x_i e_j. */
row_pulses cell_float_update_rows(tile *t, const int *rows, int n_rows, float lr, const float *e);

int cell_pcm2_create(tile *t);
void cell_pcm2_program(tile *t, const float *w_target);
/* The update of rows[0..n_rows) (increasing, owned by the calling thread), row i with
 * lr * x_in[i]. */
row_pulses cell_pcm2_update_rows(tile *t, const int *rows, int n_rows, float lr, const float *e);
/* The device side of an update for a list of len firing synapses that firing_collect
 * found (index, pulse count, requested change: firing.h), collected by another thread. */
row_pulses cell_pcm2_apply_list(tile *t, const int32_t *at, const int32_t *n, const float *ae, int len);
void cell_pcm2_read_row(tile *t, int row, float *w);

int cell_pcm2cap_create(tile *t);
void cell_pcm2cap_program(tile *t, const float *w_target);
void cell_pcm2cap_set_read_time(tile *t, double now_s); /* read_decay, shared_g */
int cell_pcm2cap_renormalises_at(const tile *t, double now_s);
void cell_pcm2cap_refresh_row(tile *t, int row); /* the caller records the row as synced */
/* The update of rows[0..n_rows) (increasing, owned by the calling thread), row i with
 * lr * x_in[i]. */
row_pulses cell_pcm2cap_update_rows(tile *t, const int *rows, int n_rows, float lr, const float *e);
row_pulses cell_pcm2cap_apply_list(tile *t, const int32_t *at, const int32_t *n, const float *ae, int len);
void cell_pcm2cap_transfer_shared(tile *t); /* as tile_transfer_shared */
void cell_pcm2cap_read_row(tile *t, int row, float *w);
/* A transfer's write-back into the re-initialised capacitors of synapses s0 .. s0 +
 * len - 1 (len <= CAP_WRITE_BACK_LANES): synapse s0 + l aims to change g by needed[l]
 * µS from g0[l], g at v_init; the capacitor's voltage after it goes to v_out[l], its
 * pulses and reads into c.  needed, g0 and v_out hold CAP_WRITE_BACK_LANES values
 * (those past len are ignored and unspecified).  Random draws: stream key at (s << 20)
 * + TRANSFER_DRAW_WRITEBACK + iteration. */
#define CAP_WRITE_BACK_LANES 16
/* Random draws of a transfer beyond those of pcm_pair_program (indices of synapse s
 * are [s << 20, (s + 1) << 20); programming uses up to (1 << 19) + budget). */
#define TRANSFER_DRAW_PRE_READ ((1u << 19) + (1u << 18)) /* two draws: the pre-transfer read */
#define TRANSFER_DRAW_WRITEBACK (TRANSFER_DRAW_PRE_READ + 2u) /* one per write-back iteration */
void cell_pcm2cap_write_back(const tile *t, size_t s0, int len, const float *needed, const float *g0,
                             uint64_t key, float *v_out, mt_counters *c);

/* Draw the PCM devices of a tile (shared by both PCM cells). */
int pcm_pair_array_create(tile *t);

/* Saturation conductance G_max (µS) of G+ (minus = 0) or G- (minus = 1) of pair s:
 * recomputed from the mismatch stream, not stored (docs/performance.md, memory). */
static inline float tile_g_max(const tile *t, size_t s, int minus)
{
    return pcm_device_g_max(&t->pcm, t->pcm_mismatch_key, 2 * (uint64_t)s + (uint64_t)minus);
}

#endif
