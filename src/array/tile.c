/* tile.c — a crossbar tile: forward, backward and update through the periphery,
 * dispatching the cell-specific work to src/cell/. */
#include "array/tile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#include "array/firing.h"
#include "array/periphery.h"
#include "array/rounding.h"
#include "util/error.h"
#include "util/rng.h"
#include "util/team_barrier.h"

/* Work is split between threads only where each gets well over a parallel region's
 * cost (~0.4 µs of fork/join on this 2-vCPU VM, more with data to share): reads and
 * float updates cost ~0.03 ns per synapse (vectorised multiply-adds), an analogue
 * update or refresh ~0.5 ns.  A float network whose first layer splits runs each
 * training step as one parallel region (network.c), which pays off from MNIST's
 * 785 x 250 on: 2 threads 1.1-1.2x one.  Measured with `memtrain bench`
 * (docs/performance.md). */
#define PARALLEL_MIN_FLOAT_SYNAPSES 65536
#define PARALLEL_MIN_ANALOGUE_SYNAPSES 16384

/* Padding of the weight array: a forward read sums whole vectors of this many floats
 * per row (sum_rows), the last row's reaching past the end. */
#define READ_LANES 16

static int worth_parallel(const tile *t, long synapses)
{
    return synapses > (t->kind == MT_CELL_FLOAT ? PARALLEL_MIN_FLOAT_SYNAPSES : PARALLEL_MIN_ANALOGUE_SYNAPSES);
}

/* Whether a step may split itself between threads: only outside any parallel region.
 * Steps that do not are called directly, not through a region with an if clause:
 * libgomp builds and frees a one-thread team for every such region (a malloc and a
 * free per step, ~1 % of a 1-thread run in `perf`).  Inside another region (the
 * network and its twin training side by side, `reproduce` running one training per
 * thread, even a one-thread team) a step's region would be a nested one, for which
 * libgomp starts and stops threads every time (an MNIST epoch took 18 s, not 2). */
static int can_fork(void)
{
#ifdef _OPENMP
    return omp_get_max_threads() > 1 && omp_get_level() == 0;
#else
    return 0;
#endif
}

int tile_splits(const tile *t)
{
    return worth_parallel(t, (long)t->rows * t->cols) && can_fork();
}

/* Threads split a tile by rows, in ROW_CHUNKS fixed chunks (tile.h), dealt out in
 * turn: thread tid of nth owns chunks tid, tid + nth, ... in every step of an example
 * (refresh, forward read, backward read, update), so each thread keeps working on the
 * rows already in its own cache.  A chunk is every ROW_CHUNKS-th block of ROW_BLOCK
 * rows, so with 2 threads each takes alternate runs of 32 rows: an MNIST digit's ink
 * is not spread evenly between the top and the bottom of the image (split into
 * halves, the busier thread has 8.8 % more active rows than the mean, on average; in
 * alternate runs of 32 rows, 3.8 %).  The state arrays start on a cache line
 * (tile_alloc_lines), so a run of 32 rows is whole lines and two threads never write
 * the same line.  (Splitting the read by columns and the update by rows moved the
 * weights between the cores' caches at every example; and with 250 columns a column
 * split puts a shared cache line in every row.)  A forward read sums each chunk's rows
 * and then the chunks in order, the same whatever the thread count, and every random
 * draw is keyed by synapse, so results do not depend on the split. */
static void thread_chunks(int *first, int *step) /* inside a step's own parallel region */
{
    int nth = 1, tid = 0;
#ifdef _OPENMP
    nth = omp_get_num_threads();
    tid = omp_get_thread_num();
#endif
    *first = tid;
    *step = nth;
}

/* The rows of chunk c below `end`, block by block: [*i0, *i1) is block b's part. */
static int chunk_block(int c, int b, int end, int *i0, int *i1)
{
    *i0 = (c + b * ROW_CHUNKS) * ROW_BLOCK;
    *i1 = *i0 + ROW_BLOCK < end ? *i0 + ROW_BLOCK : end;
    return *i0 < end;
}

/* The chunk that holds row i. */
static int chunk_of_row(int i)
{
    return (i / ROW_BLOCK) % ROW_CHUNKS;
}

/* Chunk c's list of active rows. */
static int *chunk_list(const tile *t, int c)
{
    return t->active + (size_t)c * (size_t)t->chunk_cap;
}

void *tile_alloc_lines(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size - CACHE_LINE) return NULL;
    const size_t bytes = (count * size + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    void *p = aligned_alloc(CACHE_LINE, bytes ? bytes : CACHE_LINE);
    if (p) memset(p, 0, bytes);
    return p;
}

int tile_create(tile **out, const mt_params *p, mt_cell_kind kind, int rows, int cols, int index,
                mt_error *err)
{
    *out = NULL;
    if ((size_t)rows * (size_t)cols > FIRING_MAX_SYNAPSES)
        return mt_fail(err, MT_EINPUT,
                       "net.hidden: layer %d would have %d x %d synapses (inputs and bias x outputs), "
                       "more than the %zu a layer may have",
                       index + 1, rows, cols, FIRING_MAX_SYNAPSES);
    tile *t = tile_alloc_lines(1, sizeof *t); /* on a cache line: the struct's groups are */
    if (!t) return MT_ENOMEM;
    t->rows = rows;
    t->cols = cols;
    t->index = index;
    t->kind = kind;
    t->params = *p;
    t->seed = p->train.seed;
    t->start_rounding = rng_key_start(t->seed, (uint64_t)index, RNG_UPDATE_ROUNDING);
    t->start_pulse_noise = rng_key_start(t->seed, (uint64_t)index,
                                         kind == MT_CELL_2PCM ? RNG_PCM_SET_NOISE : RNG_CAP_PULSE_NOISE);
    t->polarity = 1;
    size_t n = (size_t)rows * (size_t)cols;
    /* padded: a forward read sums whole vectors per row, the last row's past the end (sum_rows) */
    t->w = tile_alloc_lines(n + READ_LANES, sizeof *t->w);
    t->x_in = tile_alloc_lines((size_t)rows, sizeof *t->x_in);
    /* each chunk's list: its blocks' rows and the bias row */
    t->chunk_cap = (rows + ROW_BLOCK * ROW_CHUNKS - 1) / (ROW_BLOCK * ROW_CHUNKS) * ROW_BLOCK + 1;
    t->chunk_cap = (t->chunk_cap + CHUNK_COUNT_STRIDE - 1) / CHUNK_COUNT_STRIDE * CHUNK_COUNT_STRIDE;
    t->active = tile_alloc_lines((size_t)ROW_CHUNKS * (size_t)t->chunk_cap, sizeof *t->active);
    t->chunk_active = tile_alloc_lines((size_t)ROW_CHUNKS * CHUNK_COUNT_STRIDE, sizeof *t->chunk_active);
    t->row_tmp = calloc((size_t)rows, sizeof *t->row_tmp);
    t->col_tmp = calloc((size_t)cols, sizeof *t->col_tmp);
    /* chunk sums on their own cache lines: written by different threads */
    t->chunk_ld = (size_t)(cols + 15) & ~(size_t)15;
    t->chunk_sums = aligned_alloc(64, (size_t)ROW_CHUNKS * t->chunk_ld * sizeof *t->chunk_sums);
    t->err_pad = tile_alloc_lines((size_t)ROW_CHUNKS * t->chunk_ld, sizeof *t->err_pad);
    int rc = (t->w && t->x_in && t->active && t->chunk_active && t->row_tmp && t->col_tmp && t->chunk_sums &&
              t->err_pad)
                 ? MT_OK : MT_ENOMEM;
    if (rc == MT_OK && p->train.pulse_stats && kind != MT_CELL_FLOAT) {
        t->pulse_total = tile_alloc_lines(n, sizeof *t->pulse_total);
        t->pulse_net = tile_alloc_lines(n, sizeof *t->pulse_net);
        t->pulse_window_end = (uint64_t)p->train.pulse_window;
        if (!t->pulse_total || !t->pulse_net) rc = MT_ENOMEM;
    }
    if (rc == MT_OK) {
        switch (kind) {
        case MT_CELL_FLOAT: rc = cell_float_create(t); break;
        case MT_CELL_2PCM: rc = cell_pcm2_create(t); break;
        case MT_CELL_2PCM3T1C: rc = cell_pcm2cap_create(t); break;
        }
    }
    if (rc != MT_OK) {
        tile_free(t);
        if (err) {
            err->code = rc;
            snprintf(err->message, sizeof err->message,
                     "out of memory allocating a %d x %d tile", rows, cols);
        }
        return rc;
    }
    *out = t;
    return MT_OK;
}

void tile_state_fields(const tile *t, tile_field f[TILE_FIELDS])
{
    const size_t n = (size_t)t->rows * (size_t)t->cols, rows = (size_t)t->rows, cols = (size_t)t->cols;
    const tile_field all[TILE_FIELDS] = {
        {"w", t->w, n * sizeof *t->w},
        {"g_plus", t->g_plus, n * sizeof *t->g_plus},
        {"g_minus", t->g_minus, n * sizeof *t->g_minus},
        {"stuck", t->stuck, n * sizeof *t->stuck},
        {"cap_z", t->cap_z, n * sizeof *t->cap_z},
        {"cap_vt", t->cap_vt, n * sizeof *t->cap_vt},
        {"cap_dv_up", t->cap_dv_up, n * sizeof *t->cap_dv_up},
        {"cap_dv_down", t->cap_dv_down, n * sizeof *t->cap_dv_down},
        {"shared_vt", t->shared_vt, cols * sizeof *t->shared_vt},
        {"shared_g", t->shared_g, cols * sizeof *t->shared_g},
        {"row_sync", t->row_sync_example, rows * sizeof *t->row_sync_example},
        {"pulse_total", t->pulse_total, n * sizeof *t->pulse_total},
        {"pulse_net", t->pulse_net, n * sizeof *t->pulse_net},
    };
    memcpy(f, all, sizeof all);
}

size_t tile_state_bytes(const tile *t)
{
    tile_field f[TILE_FIELDS];
    tile_state_fields(t, f);
    size_t b = sizeof *t;
    for (int k = 0; k < TILE_FIELDS; k++)
        if (f[k].data) b += f[k].bytes;
    /* per-example scratch, allocated for every kind (tile_create) */
    const size_t rows = (size_t)t->rows, cols = (size_t)t->cols;
    b += rows * (sizeof *t->x_in + sizeof *t->row_tmp) + cols * sizeof *t->col_tmp +
         (size_t)ROW_CHUNKS * ((size_t)t->chunk_cap * sizeof *t->active +
                               CHUNK_COUNT_STRIDE * sizeof *t->chunk_active) +
         ROW_CHUNKS * t->chunk_ld * (sizeof *t->chunk_sums + sizeof *t->err_pad);
    if (t->ahead_fields)
        b += rows * ((size_t)t->ahead_ld * sizeof *t->ahead_fields + sizeof *t->ahead_example);
    if (t->handoff) b += sizeof *t->handoff;
    return b;
}

void tile_free(tile *t)
{
    if (!t) return;
    free(t->w);
    free(t->g_plus);
    free(t->g_minus);
    free(t->stuck);
    free(t->cap_z);
    free(t->cap_vt);
    free(t->cap_dv_up);
    free(t->cap_dv_down);
    free(t->shared_vt);
    free(t->shared_g);
    free(t->row_sync_example);
    free(t->x_in);
    free(t->active);
    free(t->chunk_active);
    free(t->ahead_fields);
    free(t->ahead_example);
    free(t->handoff);
    free(t->col_tmp);
    free(t->row_tmp);
    free(t->chunk_sums);
    free(t->err_pad);
    free(t->pulse_total);
    free(t->pulse_net);
    free(t);
}

void tile_program_weights(tile *t, const float *w_target)
{
    switch (t->kind) {
    case MT_CELL_FLOAT: cell_float_program(t, w_target); break;
    case MT_CELL_2PCM: cell_pcm2_program(t, w_target); break;
    case MT_CELL_2PCM3T1C: cell_pcm2cap_program(t, w_target); break;
    }
}

void tile_set_read_time(tile *t, uint64_t example, double now_s)
{
    t->read_example = example;
    t->now_s = now_s;
    if (t->kind == MT_CELL_2PCM3T1C) cell_pcm2cap_set_read_time(t, now_s);
}

void tile_set_update_time(tile *t, uint64_t example)
{
    t->example = example;
    /* per-example keys, computed once here rather than once per updated row */
    t->key_rounding = rng_key_finish(t->start_rounding, example);
    t->key_pulse_noise = rng_key_finish(t->start_pulse_noise, example);
    if (t->kind == MT_CELL_2PCM3T1C) { /* the others have no leak frame */
        t->decay = t->read_decay;
        t->inv_decay = 1.0 / t->read_decay;
    }
}

void tile_set_time(tile *t, uint64_t example, double now_s)
{
    tile_set_read_time(t, example, now_s);
    tile_set_update_time(t, example);
}

int tile_time_rewrites_state(const tile *t, double now_s)
{
    return t->kind == MT_CELL_2PCM3T1C && cell_pcm2cap_renormalises_at(t, now_s);
}

/* Leaked weights are re-derived per row when a read finds them older than
 * train.leak_sync_examples: the stale rows among rows[0..n_rows-1] (rows = NULL: rows
 * first .. first+n_rows-1).  Only the thread that owns a row reads or writes its
 * record. */
static void refresh_stale(tile *t, const int *rows, int first, int n_rows)
{
    if (t->kind != MT_CELL_2PCM3T1C) return;
    const uint64_t example = t->read_example, sync = (uint64_t)t->params.train.leak_sync_examples;
    uint64_t *restrict synced = t->row_sync_example;
    for (int a = 0; a < n_rows; a++) {
        const int i = rows ? rows[a] : first + a;
        if (example - synced[i] >= sync) {
            cell_pcm2cap_refresh_row(t, i);
            synced[i] = example;
        }
    }
}

/* Whether any of rows [i0, i1) is due to be re-derived (2pcm3t1c tiles; the others
 * never are): branch-free, it vectorises. */
static int any_stale(const tile *t, int i0, int i1)
{
    if (t->kind != MT_CELL_2PCM3T1C) return 0;
    const uint64_t example = t->read_example, sync = (uint64_t)t->params.train.leak_sync_examples;
    const uint64_t *restrict synced = t->row_sync_example;
    int stale = 0;
    for (int i = i0; i < i1; i++) stale |= example - synced[i] >= sync;
    return stale;
}

/* refresh_stale of chunk c's active rows (n_c of them, listed in rows_c).  Rows
 * re-derived together stay in step (a hidden layer's rows are all driven every
 * example), so most reads find none of the chunk's rows stale: a branch-free pass over
 * its blocks says so before the row-by-row look-up. */
static void refresh_stale_chunk(tile *t, int c, const int *rows_c, int n_c)
{
    int i0, i1, stale = 0;
    for (int b = 0; !stale && chunk_block(c, b, t->rows, &i0, &i1); b++) stale = any_stale(t, i0, i1);
    if (stale) refresh_stale(t, rows_c, 0, n_c);
}

/* Periphery of one read: output noise, saturation and ADC on every output of the
 * ideal array sums in[0..n-1], written to out.  With bound management, a read in
 * which any output saturates is repeated with half the integration time (so half
 * the signal, fresh noise) up to periph.bound_iterations times, and the result
 * scaled back: the ADC's range follows the signal instead of clipping it, at the
 * cost of extra reads (counted).  Returns the number of reads performed. */
static int read_outputs(tile *t, float *sums, int n, float scale, float *scratch, uint64_t noise_key)
{
    /* sums holds the ideal array outputs and receives the read; scratch keeps them
     * for repeated reads */
    memcpy(scratch, sums, (size_t)n * sizeof *scratch);
    const float *in = scratch;
    float *out = sums;
    const mt_periphery_params *pp = &t->params.periph;
    const float bound = (float)pp->out_bound, noise = (float)pp->out_noise;
    const int tries = pp->bound_management ? pp->bound_iterations + 1 : 1;
    int k = 0;
    const int bits = pp->adc_bits;
    for (;; k++) {
        const float gain = ldexpf(1.0f, -k); /* 2^-k */
        const uint64_t first = (uint64_t)k * (uint64_t)n;
        int saturated = 0;
        /* branch-free, so that it vectorises: noise = 0 adds exactly 0 */
        for (int i = 0; i < n; i++) {
            const float v = in[i] * gain + noise * rng_normal_fast(noise_key, first + (uint64_t)i);
            saturated |= fabsf(v) > bound;
            out[i] = v;
        }
        /* / gain as a product by 2^k: exact, k <= periph.bound_iterations <= 20 */
        const float inv_bound = periphery_exact_reciprocal(bound), inv_gain = ldexpf(1.0f, k);
        if (inv_bound != 0.0f) /* the default: a division by a power of two */
            for (int i = 0; i < n; i++)
                out[i] = periphery_quantize_pow2(out[i], bound, inv_bound, bits) * scale * inv_gain;
        else
            for (int i = 0; i < n; i++) out[i] = periphery_quantize(out[i], bound, bits) * scale * inv_gain;
        if (!saturated || k + 1 >= tries) {
            if (saturated) t->counters.saturations++;
            break;
        }
        t->counters.bound_retries++;
    }
    return k + 1;
}

/* One vector register of floats, in GNU C's vector extension (gcc and clang): a
 * forward read's accumulators are declared as registers rather than left to the
 * auto-vectoriser, which kept them in memory (a store and a reload in every chain of
 * additions) and, for the narrow output layer, vectorised across rows with gathers.
 * Elementwise arithmetic on it is the scalar arithmetic lane by lane.  It is the
 * target's own register width: a vector of 16 floats on an AVX2 core (Zen 3) is
 * lowered piecewise through the stack, and the forward read ran at a third of its
 * speed.  The width changes no sum: each output is its rows' sum in row order. */
#if defined(__AVX512F__)
#define READ_VECTOR_LANES 16
#elif defined(__AVX__)
#define READ_VECTOR_LANES 8
#else
#define READ_VECTOR_LANES 4
#endif
typedef float read_vector __attribute__((vector_size(READ_VECTOR_LANES * sizeof(float))));
_Static_assert(READ_LANES % READ_VECTOR_LANES == 0, "a padded row is whole vectors");

/* Vectors summed per pass over the rows: their accumulators fit in registers (half the
 * register file with AVX2 and SSE, a quarter with AVX-512). */
#define READ_PASS 8

/* Vectors in a narrow tile's padded row (the output layer: 10 columns, padded to
 * READ_LANES), and its chunks summed side by side (forward_narrow_chunks): READ_PASS
 * accumulators. */
#define NARROW_ROW_VECTORS (READ_LANES / READ_VECTOR_LANES)
#define NARROW_PASS_CHUNKS (READ_PASS / NARROW_ROW_VECTORS)
_Static_assert(ROW_CHUNKS % NARROW_PASS_CHUNKS == 0, "forward_narrow_chunks takes whole passes of chunks");

/* out[j] = sum over the listed rows of x_i W_ij for j < width (a chunk's part of a
 * forward read; row i's weights start at w + i * cols), made one row at a time, in row
 * order (no contraction into FMA under -std=c11): the same sums whatever the vector
 * width.  width is cols rounded up to whole READ_LANES (chunk_ld): the lanes from cols
 * on read into the next row (the weight array is padded for the last row) and are
 * never used, and there is no scalar tail (the output layer's 10 columns: one padded
 * row).  Passes of READ_PASS vectors, then one vector at a time for the rest. */
static void sum_rows(float *restrict out, const float *restrict w, const float *restrict x,
                     const int *restrict rows, int n_rows, int cols, int width)
{
    int j0 = 0;
    for (; j0 + READ_PASS * READ_VECTOR_LANES <= width; j0 += READ_PASS * READ_VECTOR_LANES) {
        read_vector acc[READ_PASS];
        memset(acc, 0, sizeof acc);
        for (int a = 0; a < n_rows; a++) {
            const float xi = x[rows[a]];
            const float *wr = w + (size_t)rows[a] * (size_t)cols + j0;
            for (int v = 0; v < READ_PASS; v++) {
                read_vector wv;
                memcpy(&wv, wr + v * READ_VECTOR_LANES, sizeof wv);
                acc[v] += xi * wv;
            }
        }
        memcpy(out + j0, acc, sizeof acc);
    }
    for (; j0 < width; j0 += READ_VECTOR_LANES) {
        read_vector acc;
        memset(&acc, 0, sizeof acc);
        for (int a = 0; a < n_rows; a++) {
            read_vector wv;
            memcpy(&wv, w + (size_t)rows[a] * (size_t)cols + j0, sizeof wv);
            acc += x[rows[a]] * wv;
        }
        memcpy(out + j0, &acc, sizeof acc);
    }
}

/* out[i] = sum over j of w[i][j] e[j] for rows [i0, i1), each a sum in column order.
 * Four rows at a time: a row's sum is a chain of dependent additions (no
 * reassociation under -std=c11), and four chains side by side keep the adder busy
 * (the output layer's transpose read is 250 rows of only 10). */
static void dot_rows(float *restrict out, const float *restrict w, const float *restrict e,
                     int i0, int i1, int cols)
{
    int i = i0;
#ifdef __AVX512F__
    /* A narrow tile (the output layer: 250 rows of 10): 16 rows side by side, one lane
     * each, every column's weights gathered (stride cols) — each lane's sum is its
     * row's, in column order, a product then an addition as below.  Four scalar chains
     * took ~2,500 cycles for 250 x 10, bound by the adder's latency. */
    if (cols < 16) {
        const __m512i at = _mm512_mullo_epi32(_mm512_set1_epi32(cols),
                                              _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
        for (; i + 16 <= i1; i += 16) {
            const float *base = w + (size_t)i * cols;
            __m512 acc = _mm512_setzero_ps();
            for (int j = 0; j < cols; j++)
                acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_i32gather_ps(at, base + j, 4), _mm512_set1_ps(e[j])));
            _mm512_storeu_ps(out + i, acc);
        }
    }
#endif
    for (; i + 4 <= i1; i += 4) {
        const float *restrict w0 = w + (size_t)i * cols, *restrict w1 = w0 + cols;
        const float *restrict w2 = w1 + cols, *restrict w3 = w2 + cols;
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        for (int j = 0; j < cols; j++) {
            const float ej = e[j];
            s0 += w0[j] * ej;
            s1 += w1[j] * ej;
            s2 += w2[j] * ej;
            s3 += w3[j] * ej;
        }
        out[i] = s0;
        out[i + 1] = s1;
        out[i + 2] = s2;
        out[i + 3] = s3;
    }
    for (; i < i1; i++) {
        const float *restrict wr = w + (size_t)i * cols;
        float s = 0.0f;
        for (int j = 0; j < cols; j++) s += wr[j] * e[j];
        out[i] = s;
    }
}

static void add_into(float *restrict y, const float *restrict part, int cols)
{
    for (int j = 0; j < cols; j++) y[j] += part[j];
}

/* Append the rows among i0 .. i1-1 that are driven (x_in[i] != 0) to active[n ..];
 * returns the new count.  The list has room for every row of the chunk, so a whole
 * vector of 16 (8 with AVX2) may be stored at active[n] while rows i .. i+15 are still
 * to come. */
static int list_driven(const float *restrict x_in, int i0, int i1, int *restrict active, int n)
{
    int i = i0;
#ifdef __AVX512F__
    /* 16 rows per compress (register form: the store form is microcoded on AMD); the
     * scalar loop below is a compare, a store and an add per row */
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (; i + 16 <= i1; i += 16) {
        /* not-equal, unordered: true for NaN, as C's != (a NaN input is caught later) */
        const __mmask16 driven = _mm512_cmp_ps_mask(_mm512_loadu_ps(x_in + i), _mm512_setzero_ps(), _CMP_NEQ_UQ);
        const __m512i rows = _mm512_add_epi32(_mm512_set1_epi32(i), lane);
        _mm512_storeu_si512(active + n, _mm512_maskz_compress_epi32(driven, rows));
        n += __builtin_popcount(driven);
    }
#elif defined(__AVX2__)
    /* 8 rows per permute (firing_to_front: AVX2 has no compress) */
    for (; i + 8 <= i1; i += 8) {
        const int driven = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x_in + i), _mm256_setzero_ps(), _CMP_NEQ_UQ));
        const __m256i to_front = firing_to_front(driven);
        const __m256i rows = _mm256_add_epi32(_mm256_set1_epi32(i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        _mm256_storeu_si256((__m256i *)(void *)(active + n), _mm256_permutevar8x32_epi32(rows, to_front));
        n += __builtin_popcount((unsigned)driven);
    }
#endif
    for (; i < i1; i++) {
        active[n] = i;
        n += x_in[i] != 0.0f;
    }
    return n;
}

/* The inputs of chunk c: through the DAC (analogue cells) into x_in, and the rows
 * they drive (x_in != 0, and the bias row, driven with 1) listed in chunk_list(c).
 * Returns their number.  The compaction is branch-free: MNIST pixels are ~20 %
 * non-zero, in runs that a branch would mispredict at every edge. */
static int chunk_inputs(tile *t, const float *x, int c)
{
    const int bias = t->rows - 1;
    float *restrict x_in = t->x_in;
    int *restrict active = chunk_list(t, c);
    const float full_scale = (float)t->params.periph.input_max;
    const float inv_full_scale = periphery_exact_reciprocal(full_scale);
    const int bits = t->params.periph.dac_bits;
    int n = 0, i0, i1;
    for (int b = 0; chunk_block(c, b, bias, &i0, &i1); b++) {
        if (t->kind != MT_CELL_FLOAT && inv_full_scale != 0.0f)
            for (int i = i0; i < i1; i++) x_in[i] = periphery_quantize_pow2(x[i], full_scale, inv_full_scale, bits);
        else if (t->kind != MT_CELL_FLOAT)
            for (int i = i0; i < i1; i++) x_in[i] = periphery_quantize(x[i], full_scale, bits);
        else
            for (int i = i0; i < i1; i++) x_in[i] = x[i];
        /* Hidden layers' inputs (sigmoid outputs) are all driven: count first (a
         * vectorised reduction) and list a full block without the serial compaction. */
        int driven = 0;
        for (int i = i0; i < i1; i++) driven += x_in[i] != 0.0f;
        if (driven == i1 - i0) {
            for (int i = i0; i < i1; i++) active[n + i - i0] = i;
            n += driven;
        } else if (driven > 0) {
            n = list_driven(x_in, i0, i1, active, n);
        }
    }
    if (chunk_of_row(bias) == c) {
        x_in[bias] = 1.0f;
        active[n++] = bias;
    }
    t->chunk_active[c * CHUNK_COUNT_STRIDE] = n;
    return n;
}

void tile_prefetch_inputs(const tile *t, const float *x, int first, int step)
{
    int i0, i1;
    for (int c = first; c < ROW_CHUNKS; c += step)
        for (int b = 0; chunk_block(c, b, t->rows - 1, &i0, &i1); b++) {
            for (int i = i0; i < i1; i += 16) __builtin_prefetch(x + i);
            __builtin_prefetch(x + i1 - 1); /* a block's last line, when x is not line-aligned */
        }
}

/* forward_chunks of a tile one vector wide (the output layer: 10 columns): the chunks'
 * sums side by side, one accumulator each.  Each chunk's sum is a chain of dependent
 * vector additions (~4 cycles each): chunk after chunk, ~32 rows each, the core waited
 * out 8 such chains, ~1,300 cycles of a read that does 2,510 multiply-adds.  Every
 * chunk still sums its rows in order, so the sums are the same. */
static void forward_narrow_chunks(tile *t, const float *x, int first, int step)
{
    int n[ROW_CHUNKS] = {0};
    for (int c = first; c < ROW_CHUNKS; c += step) {
        n[c] = chunk_inputs(t, x, c);
        if (n[c] == 0) continue;
        refresh_stale_chunk(t, c, chunk_list(t, c), n[c]);
    }
    const float *restrict w = t->w, *restrict x_in = t->x_in;
    const int cols = t->cols;
    /* NARROW_PASS_CHUNKS chunks side by side (all 8 with AVX-512; 4 with AVX2, a row
     * two vectors): as many accumulators as the registers hold */
    for (int c0 = 0; c0 < ROW_CHUNKS; c0 += NARROW_PASS_CHUNKS) {
        read_vector acc[NARROW_PASS_CHUNKS][NARROW_ROW_VECTORS];
        memset(acc, 0, sizeof acc);
        int most = 0;
        for (int c = c0; c < c0 + NARROW_PASS_CHUNKS; c++) most = n[c] > most ? n[c] : most;
        for (int a = 0; a < most; a++)
            for (int q = 0; q < NARROW_PASS_CHUNKS; q++) /* unrolled: the accumulators stay in registers */
                if (a < n[c0 + q]) {
                    const int i = chunk_list(t, c0 + q)[a];
                    for (int v = 0; v < NARROW_ROW_VECTORS; v++) {
                        read_vector wv;
                        memcpy(&wv, w + (size_t)i * (size_t)cols + v * READ_VECTOR_LANES, sizeof wv);
                        acc[q][v] += x_in[i] * wv;
                    }
                }
        for (int q = 0; q < NARROW_PASS_CHUNKS; q++)
            if (n[c0 + q] > 0) memcpy(t->chunk_sums + (size_t)(c0 + q) * t->chunk_ld, acc[q], sizeof acc[q]);
    }
}

/* Row chunks first, first + step, ... of a forward read: through the DAC and the array, each
 * chunk's active rows x_i W_ij summed into its chunk_sums. */
static inline void forward_chunks(tile *t, const float *x, int first, int step)
{
    const int cols = t->cols;
    /* A new example's inputs are often not in cache yet, and a thread's blocks are too
     * short for the hardware prefetcher: ask for all of them at once. */
    tile_prefetch_inputs(t, x, first, step);
    if (t->chunk_ld == READ_LANES) {
        forward_narrow_chunks(t, x, first, step);
        return;
    }
    for (int c = first; c < ROW_CHUNKS; c += step) {
        const int n_c = chunk_inputs(t, x, c), *rows_c = chunk_list(t, c);
        if (n_c == 0) continue;
        refresh_stale_chunk(t, c, rows_c, n_c);
        /* chunk_ld: whole vectors (a run-time value, so that the compiler vectorises the
         * column loop, not the row loop) */
        sum_rows(t->chunk_sums + (size_t)c * t->chunk_ld, t->w, t->x_in, rows_c, n_c, cols, (int)t->chunk_ld);
    }
}

void tile_forward_rows(tile *t, const float *x, int first, int step)
{
    forward_chunks(t, x, first, step);
}

/* The sum over chunks and the periphery of a forward read. */
static inline void forward_finish(tile *t, float *y, uint64_t noise_key)
{
    const int rows = t->rows, cols = t->cols;
    int n = 0;
    memset(y, 0, (size_t)cols * sizeof *y);
    for (int c = 0; c < ROW_CHUNKS; c++) {
        const int n_c = t->chunk_active[c * CHUNK_COUNT_STRIDE];
        if (n_c == 0) continue;
        add_into(y, t->chunk_sums + (size_t)c * t->chunk_ld, cols);
        n += n_c;
    }
    t->n_active = n;
    int reads = 1;
    if (t->kind != MT_CELL_FLOAT) {
        reads = read_outputs(t, y, cols, 1.0f, t->col_tmp, noise_key);
        t->counters.dac_conversions += (uint64_t)rows;
        t->counters.adc_conversions += (uint64_t)cols * (uint64_t)reads;
    }
    t->counters.forward_passes++;
    t->counters.forward_macs += (uint64_t)rows * (uint64_t)cols * (uint64_t)reads;
}

void tile_forward_finish(tile *t, float *y, uint64_t noise_key)
{
    forward_finish(t, y, noise_key);
}

void tile_forward(tile *t, const float *x, float *y, uint64_t noise_key)
{
    /* y_j = sum over chunks (in order) of the chunk's active rows x_i W_ij */
    if (tile_splits(t)) {
        #pragma omp parallel
        {
            int first, step;
            thread_chunks(&first, &step);
            forward_chunks(t, x, first, step);
        }
    } else {
        forward_chunks(t, x, 0, 1);
    }
    forward_finish(t, y, noise_key);
}

/* Rows of chunks first, first + step, ... of a transpose read: re-derive the stale ones (analogue), then
 * each out[i] as one sum over all columns, so the result cannot depend on the split. */
static void backward_chunks(tile *t, const float *eq, float *out, int first, int step)
{
    int i0, i1;
    for (int c = first; c < ROW_CHUNKS; c += step)
        for (int b = 0; chunk_block(c, b, t->rows - 1, &i0, &i1); b++) {
            if (any_stale(t, i0, i1)) refresh_stale(t, NULL, i0, i1 - i0);
            dot_rows(out, t->w, eq, i0, i1, t->cols);
        }
}

void tile_backward(tile *t, const float *e, float *out, uint64_t noise_key)
{
    const int rows = t->rows, cols = t->cols;
    const int analogue = t->kind != MT_CELL_FLOAT;
    const mt_periphery_params *pp = &t->params.periph;
    float *eq = t->col_tmp;
    /* Digital normalisation by the largest error keeps the DAC's range used. */
    float scale = 1.0f;
    if (analogue) {
        scale = 0.0f;
        for (int j = 0; j < cols; j++) scale = fmaxf(scale, fabsf(e[j]));
        if (scale == 0.0f) {
            memset(out, 0, (size_t)(rows - 1) * sizeof *out);
            return;
        }
        const float full_scale = (float)pp->input_max, inv_full_scale = periphery_exact_reciprocal(full_scale);
        if (inv_full_scale != 0.0f)
            for (int j = 0; j < cols; j++)
                eq[j] = periphery_quantize_pow2(e[j] / scale, full_scale, inv_full_scale, pp->dac_bits);
        else
            for (int j = 0; j < cols; j++) eq[j] = periphery_quantize(e[j] / scale, full_scale, pp->dac_bits);
    } else {
        memcpy(eq, e, (size_t)cols * sizeof *eq);
    }
    if (tile_splits(t)) {
        #pragma omp parallel
        {
            int first, step;
            thread_chunks(&first, &step);
            backward_chunks(t, eq, out, first, step);
        }
    } else {
        backward_chunks(t, eq, out, 0, 1);
    }
    int reads = 1;
    if (analogue) {
        reads = read_outputs(t, out, rows - 1, scale, t->row_tmp, noise_key);
        t->counters.dac_conversions += (uint64_t)cols;
        t->counters.adc_conversions += (uint64_t)(rows - 1) * (uint64_t)reads;
    }
    t->counters.backward_passes++;
    t->counters.backward_macs += (uint64_t)(rows - 1) * (uint64_t)cols * (uint64_t)reads;
}

/* The column errors an update at learning rate lr by the thread owning chunk `first`
 * hands the cells: an analogue tile's count loops run over whole vectors
 * (rounding_padded), so they get a copy padded with zeros, the thread's own.
 *
 * In it, an error too small to fire any synapse is 0: a saturated sigmoid's derivative
 * makes errors (and their products) subnormal, and each subnormal operand or result
 * of a float operation costs Intel cores a microcode assist of ~100 cycles — the
 * rounding took 60 % of a run without polarity inversion late in training, 3x its
 * usual time.  Row i requests |a_i e_j| pulses with |a_i| = |lr x_i| / quantum <= A,
 * x_i clipped to the DAC's full scale (or 1, the bias); where A |e_j| < 2^-18 (each
 * float step rounds monotonically, so |a_i e_j| is below too), n = (int)(|a_i e_j| + u)
 * is 0 for every u <= 1 - 2^-17, as it is for e_j = 0.  The counts are unchanged. */
static const float *update_errors(tile *t, const float *e, float lr, int first)
{
    if (t->kind == MT_CELL_FLOAT) return e;
    float *pad = t->err_pad + (size_t)first * t->chunk_ld;
    const float x_max = fmaxf((float)t->params.periph.input_max, 1.0f);
    const float a_max = fabsf(lr * x_max) / t->quantum;
    for (int j = 0; j < t->cols; j++) pad[j] = a_max * fabsf(e[j]) < 0x1p-18f ? 0.0f : e[j];
    return pad;
}

/* The update of rows[0 .. n_rows) of t (e from update_errors), pulses added to *up, *down. */
static void update_listed_rows(tile *t, const int *rows, int n_rows, const float *e, float lr, uint64_t *up,
                               uint64_t *down)
{
    row_pulses r = {0, 0};
    switch (t->kind) {
    case MT_CELL_FLOAT: r = cell_float_update_rows(t, rows, n_rows, lr, e); break;
    case MT_CELL_2PCM: r = cell_pcm2_update_rows(t, rows, n_rows, lr, e); break;
    case MT_CELL_2PCM3T1C: r = cell_pcm2cap_update_rows(t, rows, n_rows, lr, e); break;
    }
    *up += r.up;
    *down += r.down;
}

/* The active rows of chunks first, first + step, ... of t but chunk `skip` (-1: none):
 * their updates, pulses added to *up, *down. */
static void update_chunks(tile *t, const float *e, float lr, int first, int step, int skip, uint64_t *up,
                          uint64_t *down)
{
    if (first >= ROW_CHUNKS) return;
    e = update_errors(t, e, lr, first);
    for (int c = first; c < ROW_CHUNKS; c += step)
        if (c != skip)
            update_listed_rows(t, chunk_list(t, c), t->chunk_active[c * CHUNK_COUNT_STRIDE], e, lr, up, down);
}

void tile_update_rows(tile *const *tiles, const float *const *errors, int n_tiles, float lr,
                      int first, int step, uint64_t *up, uint64_t *down)
{
    for (int k = 0; k < n_tiles; k++) {
        tile *t = tiles[k];
        if (worth_parallel(t, (long)t->rows * t->cols))
            update_chunks(t, errors[k], lr, first, step, -1, &up[k], &down[k]);
        else if (first == 0)
            /* Split, the output layer's rows moved between the cores' caches at every
             * example, for thread 0 alone reads it (network.c's serial forward and
             * backward): ~2,500 synapses' state, ~100 cache lines each way and each
             * state array; on a VM whose round trip between cores is ~470 ns, float
             * twin 2 threads x1.22, 2pcm x1.05.  Its update is ~6 % of the step's. */
            update_chunks(t, errors[k], lr, 0, 1, -1, &up[k], &down[k]);
    }
}

/* Whether a 2-thread team may hand one of t's chunks over: an analogue tile that splits. */
static int may_hand_over(const tile *t)
{
    return t->kind != MT_CELL_FLOAT && worth_parallel(t, (long)t->rows * t->cols);
}

/* ... and does: with the scratch for it. */
static int hands_over(const tile *t)
{
    return t->handoff && may_hand_over(t);
}

void tile_team_balance(tile *t, int leader)
{
    if (!hands_over(t)) return;
    /* Thread 0 owns the hand-over chunk: its count of this example is written by now.
     * Held to it, the count never winds up past what a change of one row can move. */
    const int n_c = t->chunk_active[HANDOFF_CHUNK * CHUNK_COUNT_STRIDE];
    const int rows = (t->handoff_rows < n_c ? t->handoff_rows : n_c) + (leader == 0 ? 1 : -1);
    t->handoff_rows = rows < 0 ? 0 : (rows > n_c ? n_c : rows);
}

void tile_team_prepare(tile *t)
{
    if (t->kind == MT_CELL_FLOAT) return;
    if (!t->handoff && may_hand_over(t)) {
        t->handoff = malloc(sizeof *t->handoff);
        t->handoff_rows = t->chunk_cap; /* the whole chunk, until the team finds its balance */
    }
    /* Before the team's first step, not at the first drawing ahead: the thread that
     * draws and the thread that counts look at the pointers without meeting between. */
    if (!t->ahead_fields) {
        t->ahead_ld = (int)t->chunk_ld; /* whole vectors: rounding_padded */
        t->ahead_fields = tile_alloc_lines((size_t)t->rows * (size_t)t->ahead_ld, sizeof *t->ahead_fields);
        t->ahead_example = tile_alloc_lines((size_t)t->rows, sizeof *t->ahead_example);
        if (!t->ahead_fields || !t->ahead_example) { /* then each update draws its own */
            free(t->ahead_fields);
            free(t->ahead_example);
            t->ahead_fields = NULL;
            t->ahead_example = NULL;
        }
    }
}

void tile_update_rows_team(tile *const *tiles, const float *const *errors, int n_tiles, float lr, int tid,
                           int nth, int spins, uint64_t *up, uint64_t *down)
{
    if (nth != 2) {
        tile_update_rows(tiles, errors, n_tiles, lr, tid, nth, up, down);
        return;
    }
    if (tid == 1) {
        /* the hand-overs first: thread 0 applies them last */
        for (int k = 0; k < n_tiles; k++) {
            tile *t = tiles[k];
            if (!hands_over(t)) continue;
            const float polarity = t->kind == MT_CELL_2PCM3T1C ? (float)t->polarity : 1.0f;
            const int n_c = t->chunk_active[HANDOFF_CHUNK * CHUNK_COUNT_STRIDE];
            firing_collect_handoff(t, chunk_list(t, HANDOFF_CHUNK), n_c < t->handoff_rows ? n_c : t->handoff_rows,
                                   lr, polarity, update_errors(t, errors[k], lr, 1), t->handoff);
            atomic_store_explicit(&t->handoff_ready, 1, memory_order_release);
        }
        for (int k = 0; k < n_tiles; k++)
            if (worth_parallel(tiles[k], (long)tiles[k]->rows * tiles[k]->cols))
                update_chunks(tiles[k], errors[k], lr, 1, 2, -1, &up[k], &down[k]);
        return;
    }
    for (int k = 0; k < n_tiles; k++) {
        tile *t = tiles[k];
        if (worth_parallel(t, (long)t->rows * t->cols))
            update_chunks(t, errors[k], lr, 0, 2, hands_over(t) ? HANDOFF_CHUNK : -1, &up[k], &down[k]);
        else
            update_chunks(t, errors[k], lr, 0, 1, -1, &up[k], &down[k]);
    }
    for (int k = 0; k < n_tiles; k++) {
        tile *t = tiles[k];
        if (!hands_over(t)) continue;
        for (int checks = 0; !atomic_load_explicit(&t->handoff_ready, memory_order_acquire); checks += checks < spins)
            team_wait_step(checks, spins);
        /* reset for the next update: thread 1 collects its hand-over only after the
         * team's next meeting, which this thread reaches after this update */
        atomic_store_explicit(&t->handoff_ready, 0, memory_order_relaxed);
        const firing_handoff *h = t->handoff;
        row_pulses r = t->kind == MT_CELL_2PCM3T1C ? cell_pcm2cap_apply_list(t, h->s, h->n, h->ae, h->count)
                                                   : cell_pcm2_apply_list(t, h->s, h->n, h->ae, h->count);
        up[k] += r.up;
        down[k] += r.down;
        /* the rows the hand-over had no room for */
        const int n_c = t->chunk_active[HANDOFF_CHUNK * CHUNK_COUNT_STRIDE];
        if (h->rows_done < n_c)
            update_listed_rows(t, chunk_list(t, HANDOFF_CHUNK) + h->rows_done, n_c - h->rows_done,
                               update_errors(t, errors[k], lr, 0), lr, &up[k], &down[k]);
    }
}

void tile_count_update(tile *const *tiles, int n_tiles)
{
    for (int k = 0; k < n_tiles; k++) tiles[k]->counters.update_rows += (uint64_t)tiles[k]->n_active;
}

void tile_count_pulses(tile *const *tiles, int n_tiles, const uint64_t *up, const uint64_t *down)
{
    for (int k = 0; k < n_tiles; k++) {
        tile *t = tiles[k];
        if (t->kind == MT_CELL_2PCM) {
            t->counters.pcm_set_pulses_update += up[k] + down[k];
        } else {
            t->counters.cap_pulses_up += up[k];
            t->counters.cap_pulses_down += down[k];
        }
    }
}

void tile_update_all(tile *const *tiles, const float *const *errors, int n_tiles, float lr)
{
    enum { MAX_TILES = 16 };
    uint64_t up[MAX_TILES] = {0}, down[MAX_TILES] = {0};
    if (n_tiles > MAX_TILES) n_tiles = MAX_TILES;
    int parallel = 0;
    for (int k = 0; k < n_tiles; k++) parallel |= worth_parallel(tiles[k], (long)tiles[k]->rows * tiles[k]->cols);
    if (parallel && can_fork()) {
        #pragma omp parallel reduction(+ : up[:MAX_TILES], down[:MAX_TILES])
        {
            int first, step;
            thread_chunks(&first, &step);
            tile_update_rows(tiles, errors, n_tiles, lr, first, step, up, down);
        }
    } else {
        tile_update_rows(tiles, errors, n_tiles, lr, 0, 1, up, down);
    }
    tile_count_update(tiles, n_tiles);
    tile_count_pulses(tiles, n_tiles, up, down);
}

/* Draw the uniforms of row `i` ahead. */
static void draw_row_ahead(tile *t, int i)
{
    uint16_t *field = t->ahead_fields + (size_t)i * (size_t)t->ahead_ld;
    for (int j0 = 0; j0 < t->cols; j0 += ROUNDING_BLOCK) {
        const int len = t->cols - j0 < ROUNDING_BLOCK ? t->cols - j0 : ROUNDING_BLOCK;
        rounding_fields(i, j0, len, t->cols, t->key_rounding, field + j0);
    }
    t->ahead_example[i] = t->example + 1;
}

void tile_draw_rounding_ahead(tile *t, int tid, int nth, atomic_int *stop)
{
    if (!t->ahead_fields) return; /* a float tile, or no room (tile_team_prepare) */
    /* Only the rows this thread counts in the update (tile_update_rows_team): the
     * hand-over first, which thread 0 waits for, then its own.  Drawing thread 0's
     * rows too saved thread 0 their hashes but cost it as much in fetching the
     * uniforms from this thread's cache (2 threads, 4 rounds: 0.98x). */
    if (nth == 2 && tid == 1 && hands_over(t))
        for (int a = 0; a < t->chunk_active[HANDOFF_CHUNK * CHUNK_COUNT_STRIDE] && a < t->handoff_rows; a++) {
            if (atomic_load_explicit(stop, memory_order_relaxed)) return;
            draw_row_ahead(t, chunk_list(t, HANDOFF_CHUNK)[a]);
        }
    for (int c = tid; c < ROW_CHUNKS; c += nth)
        for (int a = 0; a < t->chunk_active[c * CHUNK_COUNT_STRIDE]; a++) {
            if (atomic_load_explicit(stop, memory_order_relaxed)) return;
            draw_row_ahead(t, chunk_list(t, c)[a]);
        }
}

void tile_update(tile *t, const float *e, float lr)
{
    tile_update_all(&t, &e, 1, lr);
}

void tile_transfer(tile *t)
{
    if (t->kind != MT_CELL_2PCM3T1C) return;
    #pragma omp parallel
    cell_pcm2cap_transfer_shared(t);
}

void tile_transfer_shared(tile *t)
{
    if (t->kind == MT_CELL_2PCM3T1C) cell_pcm2cap_transfer_shared(t);
}

void tile_read_weights(tile *t, float *w)
{
    for (int i = 0; i < t->rows; i++) {
        float *row = w + (size_t)i * t->cols;
        switch (t->kind) {
        case MT_CELL_FLOAT: memcpy(row, t->w + (size_t)i * t->cols, (size_t)t->cols * sizeof *row); break;
        case MT_CELL_2PCM: cell_pcm2_read_row(t, i, row); break;
        case MT_CELL_2PCM3T1C: cell_pcm2cap_read_row(t, i, row); break;
        }
    }
}

long tile_find_nonfinite(const tile *t)
{
    size_t n = (size_t)t->rows * (size_t)t->cols;
    for (size_t s = 0; s < n; s++)
        if (!isfinite(t->w[s])) return (long)s;
    return -1;
}
