/* test_tile.c — the crossbar tile and its cells against hand-computed values and the
 * model's equations: reads, periphery, pulse counting, leakage, transfer, polarity. */
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "array/periphery.h"
#include "array/rounding.h"
#include "array/tile.h"
#include "memtrain.h"
#include "test.h"
#include "util/rng.h"

/* Parameters with every non-ideality of the periphery off. */
static mt_params ideal_params(void)
{
    mt_params p;
    mt_params_default(&p);
    p.periph.dac_bits = 0;
    p.periph.adc_bits = 0;
    p.periph.out_noise = 0;
    p.periph.input_max = 1e6;
    p.periph.out_bound = 1e6;
    return p;
}

/* ... and every device non-ideality off too. */
static mt_params ideal_device_params(void)
{
    mt_params p = ideal_params();
    p.cell.variability = 0;
    p.cap.pulse_noise_rel = 0;
    p.pcm.read_noise_rel = 0;
    p.pcm.stuck_fraction = 0;
    return p;
}

static tile *make_tile(const mt_params *p, mt_cell_kind kind, int rows, int cols)
{
    tile *t = NULL;
    mt_error err;
    CHECK_INT(tile_create(&t, p, kind, rows, cols, 0, &err), MT_OK);
    return t;
}

TEST(float_tile_reads_and_updates_exactly)
{
    mt_params p = ideal_params();
    tile *t = make_tile(&p, MT_CELL_FLOAT, 4, 2); /* 3 inputs + bias */
    const float w[8] = {1, 2, -1, 0.5f, 3, -2, 0.25f, 0.125f};
    tile_program_weights(t, w);
    const float x[3] = {0.5f, 0.0f, -1.0f};
    float y[2];
    tile_forward(t, x, y, 0);
    CHECK_NEAR(y[0], 0.5 * 1 + 0 * -1 + -1 * 3 + 0.25, 1e-6);    /* -2.25 */
    CHECK_NEAR(y[1], 0.5 * 2 + 0 * 0.5 + -1 * -2 + 0.125, 1e-6); /* 3.125 */
    CHECK_INT(t->n_active, 3); /* the zero input is skipped; the bias is not */
    const float e[2] = {1.0f, -2.0f};
    float back[3];
    tile_backward(t, e, back, 0);
    CHECK_NEAR(back[0], 1 * 1 + 2 * -2, 1e-6);
    CHECK_NEAR(back[1], -1 * 1 + 0.5 * -2, 1e-6);
    CHECK_NEAR(back[2], 3 * 1 + -2 * -2, 1e-6);
    tile_update(t, e, 0.1f);
    const float want[8] = {1 + 0.05f, 2 - 0.1f, -1, 0.5f, 3 - 0.1f, -2 + 0.2f, 0.25f + 0.1f, 0.125f - 0.2f};
    for (int k = 0; k < 8; k++) CHECK_NEAR(t->w[k], want[k], 1e-6);
    tile_free(t);
}

/* Every cell kind, wide and narrow (fewer columns than a vector: read a vector wide,
 * into the next row), many chunks and a single row: the forward read equals the
 * double-precision sum over the cells' exact weights. */
TEST(tile_with_ideal_periphery_reads_its_exact_weights)
{
    mt_params p = ideal_params();
    const int shapes[][2] = {{31, 17}, {301, 10}, {70, 1}, {45, 15}};
    for (int sh = 0; sh < 4; sh++)
        for (int kind = MT_CELL_FLOAT; kind <= MT_CELL_2PCM3T1C; kind++) {
            const int rows = shapes[sh][0], cols = shapes[sh][1];
            tile *t = make_tile(&p, (mt_cell_kind)kind, rows, cols);
            float *target = malloc(sizeof(float) * rows * cols), *w = malloc(sizeof(float) * rows * cols);
            float *x = malloc(sizeof(float) * rows), y[17];
            for (int k = 0; k < rows * cols; k++) target[k] = (float)(rng_uniform(1, k) - 0.5);
            tile_set_time(t, 0, 0.0);
            tile_program_weights(t, target);
            tile_read_weights(t, w);
            for (int i = 0; i < rows - 1; i++) x[i] = i % 3 ? (float)rng_uniform(2, i) : 0.0f;
            tile_forward(t, x, y, 0);
            for (int j = 0; j < cols; j++) {
                double want = w[(rows - 1) * cols + j];
                for (int i = 0; i < rows - 1; i++) want += (double)x[i] * w[i * cols + j];
                CHECK_MSG(fabs(y[j] - want) < 1e-4, "kind %d, %d x %d: y[%d] = %g, want %g", kind, rows,
                          cols, j, y[j], want);
            }
            /* programming reaches the targets within the closed-loop tolerance (×F);
             * (larger tiles hold stuck devices, which miss their targets) */
            double worst = 0;
            for (int k = 0; k < rows * cols; k++) worst = fmax(worst, fabs(w[k] - target[k]));
            if (sh == 0)
                CHECK_MSG(worst * p.cell.uS_per_weight < 3.0, "kind %d: worst programming error %g uS", kind,
                          worst * p.cell.uS_per_weight);
            free(target);
            free(w);
            free(x);
            tile_free(t);
        }
}

/* A forward read lists exactly the driven rows (input != 0; NaN counts, -0 does not)
 * and the bias row, each in its row chunk's list in row order: chunk c holds the blocks
 * of ROW_BLOCK rows numbered c, c + ROW_CHUNKS, ...  Patterns: runs of ink with edges
 * at every offset, empty and full blocks, isolated pixels; a compaction that lists a
 * wrong row, drops one, or mis-orders a 16-row group fails it. */
TEST(forward_read_lists_exactly_the_driven_rows)
{
    mt_params p = ideal_params();
    enum { IN = 784 };
    tile *t = make_tile(&p, MT_CELL_FLOAT, IN + 1, 16);
    float *x = calloc(IN, sizeof *x), y[16];
    for (int pattern = 0; pattern < 6; pattern++) {
        for (int i = 0; i < IN; i++) {
            const uint64_t h = rng_bits(rng_key(5, 0, RNG_TEST, (uint64_t)pattern), (uint64_t)i);
            switch (pattern) {
            case 0: x[i] = (i / 7) % 3 == 0 ? 0.5f : 0.0f; break;        /* runs of 7 */
            case 1: x[i] = (h & 15) == 0 ? 1.0f : 0.0f; break;           /* ~6 % */
            case 2: x[i] = (h & 1) ? 0.25f : 0.0f; break;                /* ~50 % */
            case 3: x[i] = (i / 32) % 3 == 1 ? 0.75f : 0.0f; break;      /* whole blocks */
            case 4: x[i] = i % 17 == 3 ? -0.5f : (i % 13 == 0 ? -0.0f : 0.0f); break;
            default: x[i] = (h % 5 == 0) ? 0.1f : 0.0f; break;
            }
        }
        if (pattern == 4) x[100] = NAN;
        tile_forward(t, x, y, 0);
        int total = 0;
        for (int c = 0; c < ROW_CHUNKS; c++) {
            const int *list = t->active + (size_t)c * (size_t)t->chunk_cap;
            int want = 0;
            for (int i = 0; i <= IN; i++) {
                if ((i / ROW_BLOCK) % ROW_CHUNKS != c) continue;
                const int driven = i == IN || x[i] != 0.0f; /* the bias row is always driven */
                if (!driven) continue;
                CHECK_MSG(want < t->chunk_active[c * CHUNK_COUNT_STRIDE] && list[want] == i,
                          "pattern %d chunk %d: entry %d should be row %d", pattern, c, want, i);
                want++;
            }
            CHECK_INT(t->chunk_active[c * CHUNK_COUNT_STRIDE], want);
            total += want;
        }
        CHECK_INT(t->n_active, total);
    }
    free(x);
    tile_free(t);
}

/* A float tile's forward read is, column by column, the float sum of each chunk's
 * driven rows in row order (each term a product, then an addition), then of the chunks
 * in order (tile.c): narrow tiles (one vector wide, whose chunks are summed side by
 * side), wide ones, and chunks left empty by the inputs. */
TEST(forward_read_sums_each_chunk_in_row_order_then_the_chunks)
{
    mt_params p = ideal_params();
    const int shapes[4][2] = {{301, 10}, {70, 3}, {300, 40}, {1000, 16}};
    for (int k = 0; k < 4; k++) {
        const int rows = shapes[k][0], cols = shapes[k][1];
        tile *t = make_tile(&p, MT_CELL_FLOAT, rows, cols);
        float *w = malloc(sizeof(float) * rows * cols), *x = malloc(sizeof(float) * rows);
        float *y = malloc(sizeof(float) * cols);
        const uint64_t key = rng_key(9, 0, RNG_TEST, (uint64_t)k);
        for (int s = 0; s < rows * cols; s++) w[s] = (float)(rng_uniform(key, (uint64_t)s) - 0.5);
        tile_program_weights(t, w);
        for (int i = 0; i < rows - 1; i++) {
            const double u = rng_uniform(key, 1000000u + (uint64_t)i);
            /* ~60 % driven; rows 32-63 never (chunk 1 empty in the 70-row tile) */
            x[i] = u < 0.4 || (i >= 32 && i < 64) ? 0.0f : (float)(u * 3.0 - 1.0);
        }
        tile_forward(t, x, y, 0);
        for (int j = 0; j < cols; j++) {
            float want = 0.0f;
            for (int c = 0; c < ROW_CHUNKS; c++) {
                float part = 0.0f;
                int any = 0;
                for (int i = 0; i < rows; i++) {
                    if ((i / ROW_BLOCK) % ROW_CHUNKS != c) continue;
                    const float xi = i == rows - 1 ? 1.0f : x[i]; /* the bias row */
                    if (xi == 0.0f) continue;
                    part += xi * w[(size_t)i * cols + j];
                    any = 1;
                }
                if (any) want += part;
            }
            CHECK_MSG(memcmp(&want, &y[j], sizeof want) == 0, "%dx%d column %d: %.9g, expected %.9g", rows,
                      cols, j, y[j], want);
        }
        free(w);
        free(x);
        free(y);
        tile_free(t);
    }
}

/* A float tile's transpose read is, row by row, the float sum over columns in column
 * order (each term a product, then an addition): narrow tiles (fewer columns than a
 * vector, read 16 rows at a time) and wide ones, row counts with and without a tail. */
TEST(transpose_read_sums_each_row_in_column_order)
{
    mt_params p = ideal_params();
    const int shapes[][2] = {{251, 10}, {40, 7}, {17, 15}, {33, 1}, {20, 16}, {70, 3}};
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        const int rows = shapes[k][0], cols = shapes[k][1];
        tile *t = make_tile(&p, MT_CELL_FLOAT, rows, cols);
        float *w = malloc((size_t)rows * cols * sizeof *w), *e = malloc((size_t)cols * sizeof *e);
        float *back = malloc((size_t)rows * sizeof *back);
        for (int q = 0; q < rows * cols; q++) w[q] = (float)(rng_uniform(11, (uint64_t)q) - 0.5) * 3.0f;
        for (int j = 0; j < cols; j++) e[j] = (float)(rng_uniform(12, (uint64_t)j) - 0.5);
        tile_program_weights(t, w);
        tile_backward(t, e, back, 0);
        int wrong = 0;
        for (int i = 0; i < rows - 1; i++) {
            float want = 0.0f;
            for (int j = 0; j < cols; j++) want += w[(size_t)i * cols + j] * e[j];
            if (memcmp(&want, &back[i], sizeof want) != 0 && wrong++ < 3)
                CHECK_MSG(0, "%dx%d row %d: %a, expected %a", rows, cols, i, back[i], want);
        }
        free(w);
        free(e);
        free(back);
        tile_free(t);
    }
}

TEST(periphery_quantises_inputs_and_saturates_outputs)
{
    mt_params p = ideal_params();
    p.periph.dac_bits = 3; /* 3 levels per sign */
    p.periph.input_max = 1.0;
    p.periph.out_bound = 1.0;
    p.periph.bound_management = 0;
    tile *t = make_tile(&p, MT_CELL_2PCM, 3, 2);
    const float x[2] = {0.4f, -2.0f};
    float y[2];
    tile_forward(t, x, y, 0);
    CHECK_NEAR(t->x_in[0], 1.0 / 3.0, 1e-7);  /* round(0.4 * 3) / 3 */
    CHECK_NEAR(t->x_in[1], -1.0, 0);          /* clipped to full scale */
    /* a large weight saturates the output at the bound */
    t->w[0] = 10.0f;
    tile_forward(t, x, y, 0);
    CHECK_NEAR(y[0], 1.0, 1e-6);
    CHECK(t->counters.saturations >= 1);
    tile_free(t);
}

/* The converters' division by a power-of-two full scale is made as a product by its
 * reciprocal: bit for bit the same as the division, whatever the value (clipped,
 * tiny, subnormal, rounding ties); other full scales keep the division. */
TEST(quantising_by_a_power_of_two_full_scale_equals_the_division)
{
    CHECK(periphery_exact_reciprocal(1.0f) == 1.0f);
    CHECK(periphery_exact_reciprocal(16.0f) == 0.0625f);
    CHECK(periphery_exact_reciprocal(0x1p-20f) == 0x1p20f);
    CHECK(periphery_exact_reciprocal(0x1p-126f) == 0x1p126f);
    CHECK(periphery_exact_reciprocal(0x1p127f) == 0.0f);   /* 2^-127 would be subnormal */
    CHECK(periphery_exact_reciprocal(0x1p-149f) == 0.0f);  /* subnormal itself */
    const float not_pow2[] = {3.0f, 12.0f, 0.3f, 1.5f, -2.0f, 0.0f, -0.0f, INFINITY, NAN};
    for (size_t k = 0; k < sizeof not_pow2 / sizeof *not_pow2; k++)
        CHECK_MSG(periphery_exact_reciprocal(not_pow2[k]) == 0.0f, "full scale %g", not_pow2[k]);
    const float scales[] = {1.0f, 16.0f, 0.5f, 0x1p-10f, 1024.0f};
    const int bit_counts[] = {0, 2, 8, 9, 12};
    int checked = 0;
    for (size_t f = 0; f < sizeof scales / sizeof *scales; f++)
        for (size_t b = 0; b < sizeof bit_counts / sizeof *bit_counts; b++) {
            const float fs = scales[f], inv = periphery_exact_reciprocal(fs);
            CHECK(inv != 0.0f);
            for (int i = 0; i < 20000; i++) {
                const uint64_t h = rng_bits(rng_key(9, f, RNG_TEST, b), (uint64_t)i);
                uint32_t u = (uint32_t)h; /* any float but NaN: exponents of every size */
                float v;
                memcpy(&v, &u, sizeof v);
                if (isnan(v)) continue;
                if (i % 4 == 0) v = fs * (float)((int32_t)(h >> 40) % 600) / 256.0f; /* near levels, ties */
                const float want = periphery_quantize(v, fs, bit_counts[b]);
                const float got = periphery_quantize_pow2(v, fs, inv, bit_counts[b]);
                if (memcmp(&want, &got, sizeof want) != 0) {
                    CHECK_MSG(0, "v %a full scale %g bits %d: %a, division %a", v, fs, bit_counts[b], got, want);
                    break;
                }
                checked++;
            }
        }
    CHECK(checked > 400000);
}

TEST(bound_management_extends_the_adc_range_by_halving_reads)
{
    mt_params p = ideal_params();
    p.periph.out_bound = 1.0;
    p.periph.adc_bits = 0;  /* ideal ADC: only clipping */
    p.periph.bound_iterations = 3; /* range up to 8 */
    tile *t = make_tile(&p, MT_CELL_2PCM, 2, 3);
    const float x[1] = {1.0f};
    float y[3];
    t->w[0] = 0.5f;  /* fits: one read */
    t->w[1] = 5.0f;  /* needs three halvings: 5 -> 2.5 -> 1.25 -> 0.625 */
    t->w[2] = 0.0f;
    t->w[3] = t->w[4] = t->w[5] = 0.0f; /* bias row */
    tile_forward(t, x, y, 0);
    CHECK_NEAR(y[0], 0.5, 1e-6);
    CHECK_NEAR(y[1], 5.0, 1e-6);  /* exact: the halving is undone after the ADC */
    CHECK_INT(t->counters.bound_retries, 3);
    CHECK_INT(t->counters.saturations, 0);
    CHECK_INT(t->counters.adc_conversions, 3 * 4); /* four reads of three columns */
    t->w[1] = 20.0f; /* beyond 2^3: clipped at the widest range */
    tile_forward(t, x, y, 0);
    CHECK_NEAR(y[1], 8.0, 1e-6);
    CHECK_INT(t->counters.saturations, 1);
    tile_free(t);
}

TEST(output_noise_has_the_configured_sigma)
{
    mt_params p = ideal_params();
    p.periph.out_noise = 0.1;
    tile *t = make_tile(&p, MT_CELL_2PCM, 2, 1);
    const float x[1] = {0.0f};
    const int n = 20000;
    double s = 0, s2 = 0;
    for (int k = 0; k < n; k++) {
        float y;
        tile_forward(t, x, &y, rng_key(1, 0, RNG_OUTPUT_NOISE, (uint64_t)k));
        s += y - t->w[0];
        s2 += (y - t->w[0]) * (y - t->w[0]);
    }
    CHECK_NEAR(s / n, 0.0, 5 * 0.1 / sqrt(n));
    CHECK_NEAR(sqrt(s2 / n), 0.1, 0.003);
    tile_free(t);
}

/* One synapse (input row 0, column 0) of a 2pcm3t1c tile; returns pulses applied. */
static uint64_t pulses(const tile *t) { return t->counters.cap_pulses_up + t->counters.cap_pulses_down; }

TEST(update_pulse_count_is_stochastically_rounded_and_unbiased)
{
    mt_params p = ideal_device_params();
    tile *t = make_tile(&p, MT_CELL_2PCM3T1C, 2, 1);
    const float x[1] = {1.0f};
    float y;
    /* exactly 5 quanta: always 5 pulses on the synapse (and 5 on the bias) */
    tile_set_time(t, 0, 0.0);
    tile_forward(t, x, &y, 0);
    float e = 5.0f * t->quantum;
    tile_update(t, &e, 1.0f);
    CHECK_INT(pulses(t), 10);
    /* 0.3 quanta: a pulse with probability 0.3 */
    const int n = 20000;
    uint64_t before = pulses(t);
    for (int k = 1; k <= n; k++) {
        tile_set_time(t, (uint64_t)k, 0.0);
        tile_forward(t, x, &y, 0);
        e = (k % 2 ? 0.3f : -0.3f) * t->quantum; /* alternate so V_C stays put */
        tile_update(t, &e, 1.0f);
    }
    double mean = (double)(pulses(t) - before) / (2.0 * n);
    CHECK_NEAR(mean, 0.3, 5 * sqrt(0.21 / (2.0 * n)));
    tile_free(t);
}

/* Weight of synapse s from the raw device state, by the cell equation. */
static double cell_equation_weight(const tile *t, size_t s)
{
    const int j = (int)(s % (size_t)t->cols);
    double v = t->cap.v_leak + t->cap_z[s] * t->decay;
    double v_shared = t->cap.v_leak + t->shared_z * t->decay;
    double g = v > t->cap_vt[s] ? t->cap.k * (v - t->cap_vt[s]) * (v - t->cap_vt[s]) : 0;
    double gs = v_shared > t->shared_vt[j] ? t->cap.k * (v_shared - t->shared_vt[j]) * (v_shared - t->shared_vt[j]) : 0;
    return (t->params.cell.significance_F * (t->g_plus[s] - t->g_minus[s]) + t->polarity * (g - gs)) /
           t->params.cell.uS_per_weight;
}

TEST(cached_weights_follow_the_cell_equation)
{
    mt_params p;
    mt_params_default(&p); /* all non-idealities on */
    p.train.leak_sync_examples = 1;
    const int rows = 21, cols = 9;
    tile *t = make_tile(&p, MT_CELL_2PCM3T1C, rows, cols);
    float *target = calloc((size_t)rows * cols, sizeof(float));
    for (int k = 0; k < rows * cols; k++) target[k] = (float)(rng_uniform(3, k) - 0.5);
    tile_set_time(t, 0, 0.0);
    tile_program_weights(t, target);
    float x[20], e[9], y[9];
    for (int k = 1; k < 3000; k++) {
        tile_set_time(t, (uint64_t)k, k * 1e-4);
        for (int i = 0; i < rows - 1; i++) x[i] = (float)rng_uniform(4, (uint64_t)(k * 100 + i));
        for (int j = 0; j < cols; j++) e[j] = (float)(rng_uniform(5, (uint64_t)(k * 100 + j)) - 0.5);
        tile_forward(t, x, y, 0);
        tile_update(t, e, 0.05f);
        if (k % 1000 == 0) {
            tile_transfer(t);
            CHECK_INT(t->polarity, (k / 1000) % 2 ? -1 : 1);
        }
    }
    tile_set_time(t, 3000, 0.3);
    tile_forward(t, x, y, 0); /* every row is active: all re-derived */
    for (size_t s = 0; s < (size_t)rows * cols; s++)
        CHECK_NEAR(t->w[s], cell_equation_weight(t, s), 2e-5);
    CHECK(t->counters.cap_pulses_up > 1000 && t->counters.cap_pulses_down > 1000);
    CHECK_INT(t->counters.transfers, 2);
    free(target);
    tile_free(t);
}

TEST(leakage_follows_the_exponential)
{
    mt_params p = ideal_device_params();
    p.cap.tau_s = 0.5;
    tile *t = make_tile(&p, MT_CELL_2PCM3T1C, 3, 2);
    float target[6] = {0};
    tile_set_time(t, 0, 0.0);
    tile_program_weights(t, target);
    /* write-back may have moved V_C off v_init: record the start */
    double v0 = t->cap.v_leak + t->cap_z[0] * t->decay;
    const double times[] = {0.01, 0.1, 0.5, 0.9, 1.5, 2.0, 5.0};
    for (size_t k = 0; k < sizeof times / sizeof times[0]; k++) {
        tile_set_time(t, k + 1, times[k]);
        double v = t->cap.v_leak + t->cap_z[0] * t->decay;
        double want = 0.8 + (v0 - 0.8) * exp(-times[k] / 0.5);
        CHECK_MSG(fabs(v - want) < 1e-6, "t = %g s: V_C = %.9f, expected %.9f", times[k], v, want);
        double v_shared = t->cap.v_leak + t->shared_z * t->decay;
        CHECK_NEAR(v_shared, 0.8 + (0.5 - 0.8) * exp(-times[k] / 0.5), 1e-6);
    }
    /* 10 tau: the frame was renormalised several times; V_C is at v_leak */
    tile_set_time(t, 100, 5.0);
    CHECK(t->decay >= 0.25);
    tile_free(t);
}

TEST(transfer_preserves_the_weight_when_devices_are_ideal)
{
    mt_params p = ideal_device_params();
    const int rows = 41, cols = 13;
    tile *t = make_tile(&p, MT_CELL_2PCM3T1C, rows, cols);
    float *target = malloc(sizeof(float) * rows * cols), *before = malloc(sizeof(float) * rows * cols),
          *after = malloc(sizeof(float) * rows * cols);
    for (int k = 0; k < rows * cols; k++) target[k] = (float)(4.0 * (rng_uniform(6, k) - 0.5));
    tile_set_time(t, 0, 0.0);
    tile_program_weights(t, target);
    for (int round = 0; round < 4; round++) {
        /* move the capacitors with some updates, then transfer */
        float x[40], e[13], y[13];
        for (int k = 0; k < 50; k++) {
            tile_set_time(t, (uint64_t)(round * 100 + k), (round * 100 + k) * 1e-5);
            for (int i = 0; i < rows - 1; i++) x[i] = (float)rng_uniform(7, (uint64_t)(k * 100 + i));
            for (int j = 0; j < cols; j++) e[j] = (float)(rng_uniform(8, (uint64_t)(k * 100 + j)) - 0.5);
            tile_forward(t, x, y, 0);
            tile_update(t, e, 0.1f);
        }
        tile_read_weights(t, before);
        tile_transfer(t);
        tile_read_weights(t, after);
        double worst = 0;
        for (int k = 0; k < rows * cols; k++) worst = fmax(worst, fabs(after[k] - before[k]));
        /* a pulse quantum is 0.026 µS; the secant write-back lands within about one */
        CHECK_MSG(worst * p.cell.uS_per_weight < 0.06, "round %d: worst transfer error %g uS", round,
                  worst * p.cell.uS_per_weight);
        CHECK_INT(t->counters.program_failures, 0);
    }
    free(target);
    free(before);
    free(after);
    tile_free(t);
}

/* The write-back of one synapse as the device equations state it, one iteration at a
 * time (the reference for the lane-by-lane write-back). */
static float write_back_one(const tile *t, size_t s, float needed, uint64_t key, uint64_t *pulses,
                            uint64_t *reads)
{
    const cap3t1c_model *m = &t->cap;
    const float g0 = cap3t1c_conductance(m, m->v_init, t->cap_vt[s]);
    float v = m->v_init, g = g0, step_up = m->dg_up_uS, step_down = m->dg_down_uS;
    for (int it = 0; it < t->params.transfer.writeback_iterations; it++) {
        const float missing = needed - (g - g0);
        const int up = missing > 0.0f;
        const float n_real = fabsf(missing) / (up ? step_up : step_down);
        const int n = n_real > 1e6f ? 1000000 : (int)(n_real + 0.5f);
        if (n == 0) break;
        const float noise = m->pulse_noise_rel > 0.0f
                                ? (float)rng_normal(key, (s << 20) + TRANSFER_DRAW_WRITEBACK + (unsigned)it)
                                : 0.0f;
        v = cap3t1c_pulse(m, v, up ? t->cap_dv_up[s] : -t->cap_dv_down[s], n, noise);
        const float g_new = cap3t1c_conductance(m, v, t->cap_vt[s]);
        const float seen = fabsf(g_new - g) / (float)n;
        if (seen > 0.0f) *(up ? &step_up : &step_down) = seen;
        g = g_new;
        *pulses += (uint64_t)n;
        *reads += 1;
    }
    return v;
}

TEST(transfer_write_back_lane_by_lane_equals_one_synapse_at_a_time)
{
    /* every device non-ideality on (mismatch, pulse noise, soft bounds), then constant
     * steps; requests from none to past the rails and past the 10^6-pulse cap, in a
     * full block and a partial one */
    for (int variant = 0; variant < 3; variant++) {
        mt_params p;
        mt_params_default(&p);
        if (variant == 1) p.cap.step_slope_per_V = 0.0;
        if (variant == 2) p.transfer.writeback_iterations = 9;
        const int rows = 5, cols = 27; /* 135 synapses: 8 blocks of 16, then 7 */
        tile *t = make_tile(&p, MT_CELL_2PCM3T1C, rows, cols);
        const uint64_t key = rng_key(5, 0, RNG_TEST, (uint64_t)variant);
        uint64_t want_pulses = 0, want_reads = 0;
        mt_counters got = {0};
        for (size_t s0 = 0; s0 < (size_t)(rows * cols); s0 += CAP_WRITE_BACK_LANES) {
            const int len = rows * cols - (int)s0 < CAP_WRITE_BACK_LANES ? rows * cols - (int)s0
                                                                          : CAP_WRITE_BACK_LANES;
            float needed[CAP_WRITE_BACK_LANES], g0[CAP_WRITE_BACK_LANES], v[CAP_WRITE_BACK_LANES];
            for (int l = 0; l < CAP_WRITE_BACK_LANES; l++) {
                const size_t s = s0 + (size_t)(l < len ? l : 0);
                const int kind = (int)((s0 + (size_t)l) % 6);
                const float u = (float)rng_uniform(key, s0 + (size_t)l) - 0.5f;
                /* µS: 0, under half a pulse, a few pulses, a typical residual, past the rails, 10^6+ pulses */
                const float scale[6] = {0.0f, 0.02f, 0.2f, 2.0f, 40.0f, 1e6f};
                needed[l] = kind == 0 ? 0.0f : 2.0f * u * scale[kind];
                g0[l] = cap3t1c_conductance(&t->cap, t->cap.v_init, t->cap_vt[s]);
            }
            cell_pcm2cap_write_back(t, s0, len, needed, g0, key, v, &got);
            for (int l = 0; l < len; l++) {
                const float want = write_back_one(t, s0 + (size_t)l, needed[l], key, &want_pulses, &want_reads);
                CHECK_MSG(memcmp(&want, &v[l], sizeof want) == 0, "variant %d synapse %zu: V_C %.9g, expected %.9g",
                          variant, s0 + (size_t)l, v[l], want);
            }
        }
        CHECK(want_reads > (uint64_t)(rows * cols)); /* most synapses took more than one iteration */
        CHECK_INT(got.writeback_pulses, want_pulses);
        CHECK_INT(got.writeback_reads, want_reads);
        tile_free(t);
    }
}

TEST(transfer_resets_both_devices_for_small_positive_targets)
{
    /* W_transfer = W - p'(offset + bracket) in (0, offset) * p': g carries the weight. */
    mt_params p = ideal_device_params();
    p.transfer.polarity_inversion = 0; /* p' = +1 */
    tile *t = make_tile(&p, MT_CELL_2PCM3T1C, 2, 1);
    /* W = 3 µS: W_transfer = 3 - 2 = 1 µS, inside (0, 2) */
    float target[2] = {0.3f, 1.0f};
    tile_set_time(t, 0, 0.0);
    tile_program_weights(t, target);
    float w[2];
    tile_read_weights(t, w);
    CHECK(t->g_plus[0] == 0.0f && t->g_minus[0] == 0.0f);
    CHECK_NEAR(w[0] * p.cell.uS_per_weight, 3.0, 0.05); /* all of it in g - g_shared */
    /* W = 10 µS (the bias row): W_transfer = 8 µS, programmed as G+ - G- = 8/3 */
    CHECK_NEAR(t->g_plus[1] - t->g_minus[1], 8.0 / 3.0, p.transfer.tolerance_uS);
    CHECK_NEAR(w[1] * p.cell.uS_per_weight, 10.0, 0.05);
    tile_free(t);
}

/* Drift of the weight of a cell with a fixed up/down asymmetry, over two transfer
 * intervals of balanced requests (as many "increase" as "decrease"). */
static double asymmetry_drift(int polarity_inversion, double *after_first)
{
    mt_params p = ideal_device_params();
    p.transfer.polarity_inversion = polarity_inversion;
    p.cap.step_slope_per_V = 0.0; /* constant steps: the asymmetry is the only effect */
    tile *t = make_tile(&p, MT_CELL_2PCM3T1C, 2, 1);
    float target[2] = {0.5f, 0.0f};
    tile_set_time(t, 0, 0.0);
    tile_program_weights(t, target);
    t->cap_dv_up[0] = 1.3f * t->cap.dv_up; /* this device's pull-up is 30 % stronger */
    t->cap_dv_down[0] = t->cap.dv_down;
    float w0[2], w[2];
    tile_read_weights(t, w0);
    const float x[1] = {1.0f};
    float y;
    uint64_t k = 0;
    for (int interval = 0; interval < 2; interval++) {
        for (int i = 0; i < 400; i++, k++) {
            tile_set_time(t, k, 0.0);
            tile_forward(t, x, &y, 0);
            float e = (i % 2 ? 1.0f : -1.0f) * t->quantum; /* exactly one pulse each */
            tile_update(t, &e, 1.0f);
        }
        tile_transfer(t);
        if (interval == 0) {
            tile_read_weights(t, w);
            *after_first = (w[0] - w0[0]) * p.cell.uS_per_weight;
        }
    }
    tile_read_weights(t, w);
    tile_free(t);
    return (w[0] - w0[0]) * p.cell.uS_per_weight;
}

TEST(polarity_inversion_cancels_a_fixed_asymmetry_over_two_intervals)
{
    double first_on, first_off;
    double on = asymmetry_drift(1, &first_on);
    double off = asymmetry_drift(0, &first_off);
    /* 200 up and 200 down pulses: V_C drifts by 200 (1.3 - 1) 1.5 mV = 90 mV, which is
     * about 1.7 µS of g at the operating point */
    CHECK_MSG(first_on > 1.0 && first_off > 1.0, "first interval drift %g / %g uS", first_on, first_off);
    CHECK_NEAR(first_on, first_off, 0.05); /* the same until the first inversion */
    printf("    asymmetry drift: first interval %.3f uS; after two: %.3f uS with inversion, %.3f without\n",
           first_on, on, off);
    CHECK_MSG(fabs(on) < 0.15 * first_on, "with inversion the drift should cancel: %g uS", on);
    CHECK_MSG(off > 1.8 * first_off, "without inversion it should accumulate: %g uS", off);
}

TEST(pcm_only_cell_pulses_the_right_device_and_refreshes)
{
    mt_params p = ideal_device_params();
    tile *t = make_tile(&p, MT_CELL_2PCM, 2, 1);
    float target[2] = {0, 0};
    tile_set_time(t, 0, 0.0);
    tile_program_weights(t, target);
    const float x[1] = {1.0f};
    float y, e = 3.0f * t->quantum; /* three SET pulses on G+ */
    tile_set_time(t, 1, 0.0);
    tile_forward(t, x, &y, 0);
    float gp = t->g_plus[0], gm = t->g_minus[0];
    tile_update(t, &e, 1.0f);
    CHECK(t->g_plus[0] > gp);
    CHECK(t->g_minus[0] == gm);
    CHECK_INT(t->counters.pcm_set_pulses_update, 6); /* synapse and bias */
    e = -3.0f * t->quantum;
    gp = t->g_plus[0];
    tile_update(t, &e, 1.0f);
    CHECK(t->g_minus[0] > gm && t->g_plus[0] == gp);
    /* keep raising: the pair is RESET and reprogrammed before G+ passes refresh_uS + a step */
    e = 10.0f * t->quantum;
    for (int k = 0; k < 40; k++) {
        tile_update(t, &e, 1.0f);
        CHECK(t->g_plus[0] <= p.cell.refresh_uS + 2 * p.pcm.set_step_uS * 10);
    }
    CHECK(t->counters.refreshes > 0);
    CHECK_NEAR(t->w[0], (t->g_plus[0] - t->g_minus[0]) / p.cell.uS_per_weight, 1e-6);
    tile_free(t);
}

/* G_max is recomputed from the mismatch stream, not stored: it must be the same
 * value every time, spread as pcm.g_max_sigma_rel says, and bound the devices. */
TEST(recomputed_g_max_is_stable_spread_as_configured_and_bounds_the_device)
{
    mt_params p = ideal_params();
    p.pcm.g_max_sigma_rel = 0.1;
    p.pcm.stuck_fraction = 0;
    tile *t = make_tile(&p, MT_CELL_2PCM, 100, 100);
    double sum = 0, sum2 = 0;
    const size_t n = 100 * 100;
    for (size_t s = 0; s < n; s++)
        for (int minus = 0; minus < 2; minus++) {
            float g_max = tile_g_max(t, s, minus);
            CHECK(g_max == tile_g_max(t, s, minus));
            sum += g_max;
            sum2 += (double)g_max * g_max;
        }
    double mean = sum / (2.0 * n), sd = sqrt(sum2 / (2.0 * n) - mean * mean);
    /* 20,000 devices: the sample mean is within 4 standard errors (0.07 µS) */
    CHECK_NEAR(mean, p.pcm.g_max_uS, 4 * 0.1 * p.pcm.g_max_uS / sqrt(2.0 * n));
    CHECK_NEAR(sd / p.pcm.g_max_uS, 0.1, 0.005);
    /* a device SET many times saturates at its own G_max, never above it */
    float g = 0;
    const float g_max = tile_g_max(t, 7, 0);
    for (int k = 0; k < 2000; k++) g = pcm_set_pulse(&t->pcm, g, g_max, 0.0f);
    CHECK(g <= g_max && g > 0.99f * g_max);
    tile_free(t);
}

/* A tile narrower than a pulse group is updated 16 synapses at a time across rows:
 * rows that were not driven keep their state bit for bit, driven rows (in two blocks
 * of rows, with gaps) get exactly their pulses, in the direction of x e. */
TEST(narrow_tile_update_touches_exactly_the_driven_rows)
{
    mt_params p = ideal_device_params();
    const int rows = 41, cols = 5; /* 40 inputs + bias: rows 0-31 and 32-40 are two blocks */
    tile *t = make_tile(&p, MT_CELL_2PCM3T1C, rows, cols);
    float x[40], y[5];
    int driven = 1; /* the bias row */
    for (int i = 0; i < 40; i++) {
        x[i] = (i % 3 == 1 || i == 33) ? 1.0f : 0.0f;
        driven += x[i] != 0.0f;
    }
    tile_set_time(t, 1, 0.0);
    tile_forward(t, x, y, 0);
    const size_t n = (size_t)rows * cols;
    float *z0 = malloc(n * sizeof *z0), *w0 = malloc(n * sizeof *w0);
    memcpy(z0, t->cap_z, n * sizeof *z0);
    memcpy(w0, t->w, n * sizeof *w0);
    /* whole quanta: the rounding is exact (3 up on column 0, 2 down on column 3) */
    const float e[5] = {3.0f * t->quantum, 0.0f, 0.0f, -2.0f * t->quantum, 0.0f};
    tile_update(t, e, 1.0f);
    CHECK_INT(t->counters.cap_pulses_up, 3 * driven);
    CHECK_INT(t->counters.cap_pulses_down, 2 * driven);
    for (int i = 0; i < rows; i++) {
        const int on = i == rows - 1 || x[i] != 0.0f;
        for (int j = 0; j < cols; j++) {
            const size_t s = (size_t)i * cols + (size_t)j;
            if (!on || (j != 0 && j != 3)) {
                CHECK_MSG(t->cap_z[s] == z0[s] && t->w[s] == w0[s], "row %d col %d changed", i, j);
            } else {
                const float dw = t->w[s] - w0[s];
                CHECK_MSG(j == 0 ? dw > 2.0f * t->quantum : dw < -1.0f * t->quantum,
                          "row %d col %d: weight change %g quanta", i, j, (double)(dw / t->quantum));
            }
        }
    }
    free(z0);
    free(w0);
    tile_free(t);
}

/* Every synapse of every driven row gets the pulse count its own uniform gives
 * (rounding.h: n = floor(min(|a e_j|, cap) + u_ij), u_ij the fields of row i's draws),
 * computed here row by row with rounding_pulse_counts, whatever path the cell takes:
 * narrow tiles (10 and 3 columns) round a block of rows at a time, wide ones row by
 * row.  Counted through the per-synapse pulse statistics; both analogue cells. */
TEST(every_synapse_gets_the_pulse_count_of_its_own_uniform)
{
    mt_params p;
    mt_params_default(&p);
    p.train.pulse_stats = 1;
    const int shapes[3][2] = {{45, 10}, {70, 3}, {45, 40}};
    for (int kind = MT_CELL_2PCM; kind <= MT_CELL_2PCM3T1C; kind++)
        for (int q = 0; q < 3; q++) {
            const int rows = shapes[q][0], cols = shapes[q][1];
            tile *t = make_tile(&p, (mt_cell_kind)kind, rows, cols);
            float x[70], y[40], e[40];
            for (int i = 0; i < rows - 1; i++) x[i] = i % 4 == 2 ? 0.0f : (float)rng_uniform(9, (uint64_t)i);
            /* errors of a few pulses' worth: counts of 0, 1, 2, ... with random rounding */
            for (int j = 0; j < cols; j++) e[j] = (float)(rng_uniform(10, (uint64_t)j) - 0.5) * 5.0f * t->quantum;
            tile_set_time(t, 3, 3e-5);
            tile_forward(t, x, y, 0);
            tile_update(t, e, 1.0f);
            const float cap = (float)p.cell.max_pulses_per_update;
            long fired = 0;
            for (int i = 0; i < rows; i++) {
                const int driven = i == rows - 1 || x[i] != 0.0f;
                const float a = (i == rows - 1 ? 1.0f : t->x_in[i]) * (float)t->polarity / t->quantum;
                int32_t n[40];
                rounding_pulse_counts(a, e, i, 0, cols, cols, t->key_rounding, cap, n);
                for (int j = 0; j < cols; j++) {
                    const int32_t want = driven ? n[j] : 0;
                    fired += want;
                    CHECK_MSG(t->pulse_total[(size_t)i * cols + (size_t)j] == want,
                              "cell kind %d, %dx%d, row %d col %d: %d pulses, its uniform gives %d", kind, rows,
                              cols, i, j, t->pulse_total[(size_t)i * cols + (size_t)j], want);
                }
            }
            CHECK(fired > rows); /* the rounding went both ways somewhere */
            tile_free(t);
        }
}

/* Errors too small to fire any synapse are zeroed before the rounding (tile.c,
 * update_errors: subnormal arithmetic is slow) without changing a single count: errors
 * from subnormal to a few pulses' worth, in particular just above and below the bound
 * (|a e| = 2^-18 at the largest row factor a), over 20 updates of a wide and a narrow
 * tile of both analogue cells, every synapse's pulses against its own uniform.  Requests
 * of 2^-16.5 .. 2^-15 pulse fire only for the largest uniforms: that some do shows
 * the test would see a bound set too high. */
TEST(errors_too_small_to_fire_are_dropped_without_changing_a_count)
{
    mt_params p;
    mt_params_default(&p);
    p.train.pulse_stats = 1;
    const int shapes[2][2] = {{401, 250}, {251, 10}};
    const float scale[8] = {0x1p-149f * 3, 0x1p-130f, 0x1p-19f, 0x1p-18f, 0x1.6ap-17f, 0x1.6ap-16f, 0x1p-15f, 0.7f} /* 2^-16.5, 2^-15.5 ~ 0x1.6ap-17, -16 */;
    for (int kind = MT_CELL_2PCM; kind <= MT_CELL_2PCM3T1C; kind++)
        for (int q = 0; q < 2; q++) {
            const int rows = shapes[q][0], cols = shapes[q][1];
            tile *t = make_tile(&p, (mt_cell_kind)kind, rows, cols);
            float *x = malloc((size_t)rows * sizeof *x), *y = malloc((size_t)cols * sizeof *y);
            float *e = malloc((size_t)cols * sizeof *e);
            int32_t *want = calloc((size_t)rows * cols, sizeof *want), *n = malloc((size_t)cols * sizeof *n);
            for (int i = 0; i < rows - 1; i++) x[i] = i % 5 == 1 ? 0.0f : (i % 3 ? 1.0f : 0.5f);
            const float cap = (float)p.cell.max_pulses_per_update, lr = 0.25f;
            /* the largest row factor: x at the DAC's full scale (1), |a| = lr / quantum */
            const float a_max = lr / t->quantum;
            long small_fired = 0;
            for (int k = 1; k <= 20; k++) {
                for (int j = 0; j < cols; j++) {
                    const float sign = rng_uniform(13, (uint64_t)(k * cols + j)) < 0.5 ? -1.0f : 1.0f;
                    e[j] = sign * scale[(j + k) % 8] / a_max;
                }
                tile_set_time(t, (uint64_t)k, k * 1e-5);
                tile_forward(t, x, y, 0);
                tile_update(t, e, lr);
                for (int i = 0; i < rows; i++) {
                    if (i < rows - 1 && x[i] == 0.0f) continue;
                    const float a = lr * (i == rows - 1 ? 1.0f : t->x_in[i]) * (float)t->polarity / t->quantum;
                    rounding_pulse_counts(a, e, i, 0, cols, cols, t->key_rounding, cap, n);
                    for (int j = 0; j < cols; j++) {
                        want[(size_t)i * cols + j] += n[j];
                        if ((j + k) % 8 >= 4 && (j + k) % 8 <= 6) small_fired += n[j];
                    }
                }
            }
            int wrong = 0;
            for (size_t s = 0; s < (size_t)rows * cols; s++)
                if (t->pulse_total[s] != want[s] && wrong++ < 3)
                    CHECK_MSG(0, "cell kind %d, %dx%d, synapse %zu: %d pulses, its uniforms give %d", kind, rows, cols,
                              s, t->pulse_total[s], want[s]);
            if (q == 0) CHECK_MSG(small_fired > 0, "cell kind %d: no request below 2^-15 pulse fired", kind);
            free(x);
            free(y);
            free(e);
            free(want);
            free(n);
            tile_free(t);
        }
}

/* A 2-thread team's update (tile_update_rows_team) in which thread 1 collects none, a
 * few or all of the rows of thread 0's hand-over chunk (tile_team_balance moves the
 * share a row at a time, between 0 and the chunk's active rows) gives the weights and
 * pulses of one thread's update, bit for bit, in both analogue cells. */
TEST(a_team_update_equals_one_thread_whatever_the_hand_over_share)
{
#ifdef _OPENMP
    mt_params p;
    mt_params_default(&p);
    const int rows = 301, cols = 80; /* 24,080 synapses: the tile splits */
    float x[300], e[80], y[80];
    for (int i = 0; i < rows - 1; i++) x[i] = i % 4 ? (float)rng_uniform(17, (uint64_t)i) : 0.0f;
    for (int j = 0; j < cols; j++) e[j] = (float)(rng_uniform(18, (uint64_t)j) - 0.5) * 0.5f;
    for (int kind = MT_CELL_2PCM; kind <= MT_CELL_2PCM3T1C; kind++)
        for (int share = 0; share < 3; share++) {
            tile *one = make_tile(&p, (mt_cell_kind)kind, rows, cols);
            tile *team = make_tile(&p, (mt_cell_kind)kind, rows, cols);
            tile_team_prepare(team);
            CHECK(team->handoff != NULL);
            uint64_t up[2] = {0, 0}, down[2] = {0, 0};
            int team_size = 0;
            for (int k = 1; k <= 3; k++) {
                tile_set_time(one, (uint64_t)k, k * 1e-5);
                tile_set_time(team, (uint64_t)k, k * 1e-5);
                tile_forward(one, x, y, 0);
                tile_forward(team, x, y, 0);
                const int n_c = team->chunk_active[HANDOFF_CHUNK * CHUNK_COUNT_STRIDE];
                CHECK(n_c > 6);
                /* share 0: thread 1 was always the later; 2: thread 0; 1: three rows */
                for (int b = 0; b < n_c + 2; b++) tile_team_balance(team, share == 2 ? 0 : 1);
                CHECK_INT(team->handoff_rows, share == 2 ? n_c : 0);
                if (share == 1)
                    for (int b = 0; b < 3; b++) tile_team_balance(team, 0);
                CHECK_INT(team->handoff_rows, share == 0 ? 0 : share == 1 ? 3 : n_c);
                tile_update(one, e, 0.5f);
                #pragma omp parallel num_threads(2)
                {
                    const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
                    if (tid == 0) team_size = nth;
                    tile_update_rows_team(&team, (const float *const *)&(const float *){e}, 1, 0.5f, tid, nth, 256,
                                          &up[tid], &down[tid]);
                }
            }
            CHECK_INT(team_size, 2);
            const uint64_t sent = up[0] + up[1] + down[0] + down[1];
            const size_t n = (size_t)rows * cols;
            if (kind == MT_CELL_2PCM3T1C) {
                CHECK(one->counters.cap_pulses_up + one->counters.cap_pulses_down > 100);
                CHECK_INT(sent, one->counters.cap_pulses_up + one->counters.cap_pulses_down);
                CHECK(memcmp(team->cap_z, one->cap_z, n * sizeof *one->cap_z) == 0);
            } else {
                CHECK(one->counters.pcm_set_pulses_update > 20);
                CHECK_INT(sent, one->counters.pcm_set_pulses_update);
                CHECK(memcmp(team->g_plus, one->g_plus, n * sizeof *one->g_plus) == 0);
                CHECK(memcmp(team->g_minus, one->g_minus, n * sizeof *one->g_minus) == 0);
            }
            CHECK_MSG(memcmp(team->w, one->w, n * sizeof *one->w) == 0, "cell kind %d, share %d: weights differ",
                      kind, share);
            tile_free(one);
            tile_free(team);
        }
#endif
}

/* Rounding uniforms drawn ahead by an idle thread (all of them, or only the first
 * rows) give the update exactly the pulses it would have drawn itself, in both analogue
 * cells (2pcm fires PCM SET pulses, 2pcm3t1c capacitor pulses). */
TEST(rounding_drawn_ahead_gives_the_same_update)
{
    mt_params p;
    mt_params_default(&p); /* every non-ideality on */
    const int rows = 101, cols = 40;
    float x[100], e[40], y[40];
    for (int i = 0; i < rows - 1; i++) x[i] = i % 3 ? (float)rng_uniform(7, (uint64_t)i) : 0.0f;
    for (int j = 0; j < cols; j++) e[j] = (float)(rng_uniform(8, (uint64_t)j) - 0.5) * 0.5f;
    for (int variant = 0; variant < 4; variant++) {
        const mt_cell_kind kind = variant < 2 ? MT_CELL_2PCM3T1C : MT_CELL_2PCM;
        tile *own = make_tile(&p, kind, rows, cols);
        tile *ahead = make_tile(&p, kind, rows, cols);
        tile_team_prepare(ahead);
        for (int k = 1; k <= 3; k++) {
            tile_set_time(own, (uint64_t)k, k * 1e-5);
            tile_set_time(ahead, (uint64_t)k, k * 1e-5);
            tile_forward(own, x, y, 0);
            tile_forward(ahead, x, y, 0);
            atomic_int stop;
            atomic_init(&stop, 0);
            tile_draw_rounding_ahead(ahead, k % 2, 1 + k, &stop); /* (1, 2), (0, 3), (1, 4): some chunks */
            if (variant % 2 == 1) /* forget the second half, as if stopped there */
                for (int i = rows / 2; i < rows; i++) ahead->ahead_example[i] = 0;
            tile_update(own, e, 0.5f);
            tile_update(ahead, e, 0.5f);
        }
        CHECK(ahead->ahead_fields != NULL);
        const size_t n = (size_t)rows * cols;
        if (kind == MT_CELL_2PCM3T1C) {
            CHECK(own->counters.cap_pulses_up + own->counters.cap_pulses_down > 100);
            CHECK_INT(ahead->counters.cap_pulses_up, own->counters.cap_pulses_up);
            CHECK_INT(ahead->counters.cap_pulses_down, own->counters.cap_pulses_down);
            CHECK(memcmp(ahead->cap_z, own->cap_z, n * sizeof *own->cap_z) == 0);
        } else {
            CHECK(own->counters.pcm_set_pulses_update > 20);
            CHECK_INT(ahead->counters.pcm_set_pulses_update, own->counters.pcm_set_pulses_update);
            CHECK(memcmp(ahead->g_plus, own->g_plus, n * sizeof *own->g_plus) == 0);
            CHECK(memcmp(ahead->g_minus, own->g_minus, n * sizeof *own->g_minus) == 0);
        }
        CHECK(memcmp(ahead->w, own->w, n * sizeof *own->w) == 0);
        tile_free(own);
        tile_free(ahead);
    }
}
