/* tile.c — a crossbar tile: forward, backward and update through the periphery,
 * dispatching the cell-specific work to src/cell/. */
#include "array/tile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "array/periphery.h"
#include "util/rng.h"

/* A parallel region costs ~1-2 µs of fork/join on 2 threads, so work is split only
 * when each thread gets well over that: reads and float updates cost ~0.1 ns per
 * synapse (vectorised multiply-adds), an analogue update ~1 ns (a random draw and
 * the device equations).  Measured with `memtrain bench` (docs/performance.md). */
#define PARALLEL_MIN_READ_SYNAPSES 262144
#define PARALLEL_MIN_UPDATE_SYNAPSES 16384

int tile_create(tile **out, const mt_params *p, mt_cell_kind kind, int rows, int cols, int index,
                mt_error *err)
{
    *out = NULL;
    tile *t = calloc(1, sizeof *t);
    if (!t) return MT_ENOMEM;
    t->rows = rows;
    t->cols = cols;
    t->index = index;
    t->kind = kind;
    t->params = *p;
    t->seed = p->train.seed;
    t->polarity = 1;
    size_t n = (size_t)rows * (size_t)cols;
    t->w = calloc(n, sizeof *t->w);
    t->x_in = calloc((size_t)rows, sizeof *t->x_in);
    t->active = calloc((size_t)rows, sizeof *t->active);
    t->row_tmp = calloc((size_t)rows, sizeof *t->row_tmp);
    t->col_tmp = calloc((size_t)cols, sizeof *t->col_tmp);
    int rc = (t->w && t->x_in && t->active && t->row_tmp && t->col_tmp) ? MT_OK : MT_ENOMEM;
    if (rc == MT_OK && p->train.pulse_stats && kind != MT_CELL_FLOAT) {
        t->pulse_total = calloc(n, sizeof *t->pulse_total);
        t->pulse_net = calloc(n, sizeof *t->pulse_net);
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
    b += rows * (sizeof *t->x_in + sizeof *t->active + sizeof *t->row_tmp) + cols * sizeof *t->col_tmp;
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
    free(t->col_tmp);
    free(t->row_tmp);
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

void tile_set_time(tile *t, uint64_t example, double now_s)
{
    t->example = example;
    t->now_s = now_s;
    /* per-example keys, computed once here rather than once per updated row */
    t->key_rounding = rng_key(t->seed, (uint64_t)t->index, RNG_UPDATE_ROUNDING, example);
    t->key_pulse_noise = rng_key(t->seed, (uint64_t)t->index,
                                 t->kind == MT_CELL_2PCM ? RNG_PCM_SET_NOISE : RNG_CAP_PULSE_NOISE, example);
    if (t->kind == MT_CELL_2PCM3T1C) cell_pcm2cap_set_time(t, now_s);
}

/* Re-derive leaked weights of the rows a read is about to use. */
static void refresh_stale_rows(tile *t, const int *rows, int n_rows)
{
    if (t->kind != MT_CELL_2PCM3T1C) return;
    const uint64_t every = (uint64_t)t->params.train.leak_sync_examples;
    #pragma omp parallel for schedule(static) if ((long)n_rows * t->cols > PARALLEL_MIN_READ_SYNAPSES)
    for (int a = 0; a < n_rows; a++) {
        int i = rows ? rows[a] : a;
        if (t->example - t->row_sync_example[i] >= every) cell_pcm2cap_refresh_row(t, i);
    }
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
        for (int i = 0; i < n; i++) out[i] = periphery_quantize(out[i], bound, bits) * scale / gain;
        if (!saturated || k + 1 >= tries) {
            if (saturated) t->counters.saturations++;
            break;
        }
        t->counters.bound_retries++;
    }
    return k + 1;
}

void tile_forward(tile *t, const float *x, float *y, uint64_t noise_key)
{
    const int rows = t->rows, cols = t->cols;
    const int analogue = t->kind != MT_CELL_FLOAT;
    const mt_periphery_params *pp = &t->params.periph;
    float *restrict x_in = t->x_in;
    if (analogue) {
        const float full_scale = (float)pp->input_max;
        const int bits = pp->dac_bits;
        for (int i = 0; i < rows - 1; i++) x_in[i] = periphery_quantize(x[i], full_scale, bits);
    } else {
        memcpy(x_in, x, (size_t)(rows - 1) * sizeof *x_in);
    }
    /* Branch-free compaction of the active rows (MNIST: ~20 % of pixels, in runs
     * that a branch would mispredict at every edge). */
    int *restrict active = t->active;
    int n = 0;
    for (int i = 0; i < rows - 1; i++) {
        active[n] = i;
        n += x_in[i] != 0.0f;
    }
    x_in[rows - 1] = 1.0f; /* bias */
    t->active[n++] = rows - 1;
    t->n_active = n;
    refresh_stale_rows(t, t->active, n);

    /* y_j = sum over active rows; each thread owns a block of columns, so every
     * y_j is summed in the same order whatever the thread count. */
    #pragma omp parallel if ((long)n * cols > PARALLEL_MIN_READ_SYNAPSES)
    {
        int nth = 1, tid = 0;
#ifdef _OPENMP
        nth = omp_get_num_threads();
        tid = omp_get_thread_num();
#endif
        int block = ((cols + nth - 1) / nth + 15) & ~15;
        int j0 = tid * block, j1 = j0 + block < cols ? j0 + block : cols;
        if (j0 < j1) {
            float *restrict out = y + j0;
            memset(out, 0, (size_t)(j1 - j0) * sizeof *out);
            for (int a = 0; a < n; a++) {
                int i = t->active[a];
                const float xi = t->x_in[i];
                const float *restrict wr = t->w + (size_t)i * cols + j0;
                for (int j = 0; j < j1 - j0; j++) out[j] += xi * wr[j];
            }
        }
    }
    int reads = 1;
    if (analogue) {
        reads = read_outputs(t, y, cols, 1.0f, t->col_tmp, noise_key);
        t->counters.dac_conversions += (uint64_t)rows;
        t->counters.adc_conversions += (uint64_t)cols * (uint64_t)reads;
    }
    t->counters.forward_passes++;
    t->counters.forward_macs += (uint64_t)rows * (uint64_t)cols * (uint64_t)reads;
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
        for (int j = 0; j < cols; j++)
            eq[j] = periphery_quantize(e[j] / scale, (float)pp->input_max, pp->dac_bits);
        refresh_stale_rows(t, NULL, rows - 1);
    } else {
        memcpy(eq, e, (size_t)cols * sizeof *eq);
    }
    #pragma omp parallel for schedule(static) if ((long)rows * cols > PARALLEL_MIN_READ_SYNAPSES)
    for (int i = 0; i < rows - 1; i++) {
        const float *restrict wr = t->w + (size_t)i * cols;
        float s = 0.0f;
        for (int j = 0; j < cols; j++) s += wr[j] * eq[j];
        out[i] = s;
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

void tile_update(tile *t, const float *e, float lr)
{
    const int n = t->n_active;
    uint64_t up = 0, down = 0;
    #pragma omp parallel for schedule(static) reduction(+ : up, down) \
        if ((long)n * t->cols > (t->kind == MT_CELL_FLOAT ? PARALLEL_MIN_READ_SYNAPSES \
                                                          : PARALLEL_MIN_UPDATE_SYNAPSES))
    for (int a = 0; a < n; a++) {
        int i = t->active[a];
        float lr_x = lr * t->x_in[i];
        row_pulses r = {0, 0};
        switch (t->kind) {
        case MT_CELL_FLOAT: r = cell_float_update_row(t, i, lr_x, e); break;
        case MT_CELL_2PCM: r = cell_pcm2_update_row(t, i, lr_x, e); break;
        case MT_CELL_2PCM3T1C: r = cell_pcm2cap_update_row(t, i, lr_x, e); break;
        }
        up += r.up;
        down += r.down;
    }
    t->counters.update_rows += (uint64_t)n;
    if (t->kind == MT_CELL_2PCM) {
        t->counters.pcm_set_pulses_update += up + down;
    } else {
        t->counters.cap_pulses_up += up;
        t->counters.cap_pulses_down += down;
    }
}

void tile_transfer(tile *t)
{
    if (t->kind == MT_CELL_2PCM3T1C) cell_pcm2cap_transfer(t);
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
