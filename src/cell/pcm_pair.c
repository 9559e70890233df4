/* pcm_pair.c — closed-loop programming of a PCM pair, and the PCM arrays of a tile. */
#include "cell/pcm_pair.h"

#include <stdlib.h>

#include "array/tile.h"
#include "util/rng.h"

float pcm_pair_read(const pcm_model *m, float g_plus, float g_minus, uint64_t key, uint64_t i)
{
    return pcm_read(m, g_plus, (float)rng_normal(key, 2 * i)) -
           pcm_read(m, g_minus, (float)rng_normal(key, 2 * i + 1));
}

static void reset_pair(float *g_plus, float *g_minus, unsigned stuck, pair_program_result *r)
{
    if (!(stuck & 1u)) { *g_plus = 0.0f; r->resets++; }
    if (!(stuck & 2u)) { *g_minus = 0.0f; r->resets++; }
}

pair_program_result pcm_pair_program(const pcm_model *m, float *g_plus, float *g_minus,
                                     uint64_t g_max_key, unsigned stuck,
                                     float target_uS, const pair_program_options *o,
                                     const float *first_read, uint64_t key, uint64_t index)
{
    pair_program_result r = {0, 0, 0, 0, 0.0f};
    const uint64_t base = index << 20;
    const uint64_t pulse_base = base + (1u << 19); /* reads use base/2 + k: below 1 << 19 */
    if (o->reset_first) reset_pair(g_plus, g_minus, stuck, &r);
    for (int k = 0;; k++) {
        if (k == 0 && first_read && !o->reset_first) {
            r.read_diff_uS = *first_read;
        } else {
            r.read_diff_uS = pcm_pair_read(m, *g_plus, *g_minus, key, (base >> 1) + (unsigned)k);
            r.reads++;
        }
        float error = r.read_diff_uS - target_uS;
        if (error <= o->tol_uS && error >= -o->tol_uS) { r.success = 1; break; }
        if (r.set_pulses >= o->budget) break;
        /* Raise D with G+, lower it with G-; a stuck device cannot help. */
        int raise = error < 0.0f;
        float *g = raise ? g_plus : g_minus;
        if (stuck & (raise ? 1u : 2u)) break;
        /* only a pair that needs a SET pays for recomputing its device's G_max */
        const float g_max = pcm_device_g_max(m, g_max_key, 2 * index + (raise ? 0u : 1u));
        if (*g > 0.0f && (*g >= o->reset_above_uS || *g >= 0.98f * g_max)) {
            reset_pair(g_plus, g_minus, stuck, &r);
            continue;
        }
        *g = pcm_set_ramp(m, *g, g_max, raise ? -error : error,
                          (float)rng_normal(key, pulse_base + (unsigned)k));
        r.set_pulses++;
    }
    return r;
}

int pcm_pair_array_create(tile *t)
{
    size_t n = (size_t)t->rows * (size_t)t->cols;
    t->g_plus = tile_alloc_lines(n, sizeof *t->g_plus);
    t->g_minus = tile_alloc_lines(n, sizeof *t->g_minus);
    t->stuck = tile_alloc_lines(n, sizeof *t->stuck);
    if (!t->g_plus || !t->g_minus || !t->stuck)
        return MT_ENOMEM;
    pcm_model_init(&t->pcm, &t->params.pcm, t->params.cell.variability);
    const uint64_t key = rng_key(t->seed, (uint64_t)t->index, RNG_PCM_MISMATCH, 0);
    t->pcm_mismatch_key = key;
    #pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t s = 0; s < n; s++) {
        int stuck_plus, stuck_minus;
        float g_stuck_plus, g_stuck_minus;
        pcm_sample_stuck(&t->pcm, key, 2 * s, &stuck_plus, &g_stuck_plus);
        pcm_sample_stuck(&t->pcm, key, 2 * s + 1, &stuck_minus, &g_stuck_minus);
        t->stuck[s] = (uint8_t)(stuck_plus | (stuck_minus << 1));
        t->g_plus[s] = g_stuck_plus;
        t->g_minus[s] = g_stuck_minus;
    }
    return MT_OK;
}
