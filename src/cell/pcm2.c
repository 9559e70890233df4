/* pcm2.c — the PCM-only cell "2PCM": W = (G+ - G-) / uS_per_weight.
 *
 * This is the cell of Burr et al. (2015) that the paper improves on.  Training
 * pulses go straight into the non-volatile devices: a weight increase is a train
 * of partial-SET pulses on G+, a decrease one on G-.  Because SET only ever raises
 * conductance, both devices climb toward saturation; when one exceeds
 * cell.refresh_uS the pair is RESET and its current difference reprogrammed
 * closed-loop ("occasional RESET").  Each SET step is coarse (~0.75 µS) and
 * state-dependent, which is why this cell trains worse than 2PCM+3T1C. */
#include <math.h>

#include "array/firing.h"
#include "array/tile.h"
#include "cell/pcm_pair.h"
#include "util/rng.h"

int cell_pcm2_create(tile *t)
{
    int rc = pcm_pair_array_create(t);
    if (rc) return rc;
    /* The controller sizes pulse trains by the nominal step at G = 0. */
    t->quantum = (float)(t->params.pcm.set_step_uS / t->params.cell.uS_per_weight);
    return MT_OK;
}

static float clamp_target(const tile *t, float target_uS)
{
    float lim = (float)t->params.transfer.g_target_max_uS;
    return target_uS > lim ? lim : (target_uS < -lim ? -lim : target_uS);
}

/* Closed-loop programming of pair s to target_uS, from scratch (RESET first). */
static void program_pair(tile *t, size_t s, float target_uS, uint64_t key, mt_counters *c)
{
    const pair_program_options o = {(float)t->params.transfer.tolerance_uS,
                                    t->params.transfer.max_pulses, 1,
                                    (float)t->params.cell.refresh_uS};
    pair_program_result r = pcm_pair_program(&t->pcm, &t->g_plus[s], &t->g_minus[s],
                                              t->pcm_mismatch_key, t->stuck[s],
                                              clamp_target(t, target_uS), &o, NULL, key, s);
    c->pcm_set_pulses_program += (uint64_t)r.set_pulses;
    c->pcm_resets += (uint64_t)r.resets;
    c->verify_reads += (uint64_t)r.reads;
    c->program_failures += (uint64_t)!r.success;
}

static void add_counters(mt_counters *to, const mt_counters *c)
{
    #pragma omp atomic
    to->pcm_set_pulses_program += c->pcm_set_pulses_program;
    #pragma omp atomic
    to->pcm_resets += c->pcm_resets;
    #pragma omp atomic
    to->verify_reads += c->verify_reads;
    #pragma omp atomic
    to->program_failures += c->program_failures;
    #pragma omp atomic
    to->refreshes += c->refreshes;
}

void cell_pcm2_program(tile *t, const float *w_target)
{
    const size_t n = (size_t)t->rows * (size_t)t->cols;
    const float ws = (float)t->params.cell.uS_per_weight;
    const uint64_t key = rng_key(t->seed, (uint64_t)t->index, RNG_TRANSFER, UINT64_MAX);
    mt_counters total = {0};
    #pragma omp parallel
    {
        mt_counters c = {0};
        #pragma omp for schedule(static)
        for (size_t s = 0; s < n; s++) {
            program_pair(t, s, w_target[s] * ws, key, &c);
            t->w[s] = (t->g_plus[s] - t->g_minus[s]) / ws;
        }
        add_counters(&total, &c);
    }
    add_counters(&t->counters, &total);
}

/* Apply n > 0 pulses in direction `up` to pair s. */
static void pulse_pair(tile *t, size_t s, int n, int up, row_pulses *r, mt_counters *c)
{
    const float ws = (float)t->params.cell.uS_per_weight;
    const float refresh = (float)t->params.cell.refresh_uS;
    const uint64_t noise_key = t->key_pulse_noise;
    float *g = up ? &t->g_plus[s] : &t->g_minus[s];
    if (!(t->stuck[s] & (up ? 1u : 2u))) {
        const float g_max = tile_g_max(t, s, !up);
        for (int k = 0; k < n; k++)
            *g = pcm_set_pulse(&t->pcm, *g, g_max, (float)rng_normal(noise_key, (s << 20) + (uint64_t)k));
    }
    if (up) r->up += (uint64_t)n;
    else r->down += (uint64_t)n;
    if (t->pulse_total && t->example < t->pulse_window_end) {
        t->pulse_total[s] += n;
        t->pulse_net[s] += up ? n : -n;
    }
    /* Occasional RESET: a device nearing saturation no longer responds to SET. */
    int over_plus = t->g_plus[s] > refresh && !(t->stuck[s] & 1u);
    int over_minus = t->g_minus[s] > refresh && !(t->stuck[s] & 2u);
    if (over_plus || over_minus) {
        const uint64_t key = rng_key(t->seed, (uint64_t)t->index, RNG_TRANSFER, t->example);
        float read = pcm_pair_read(&t->pcm, t->g_plus[s], t->g_minus[s], noise_key,
                                   (s << 19) | 0x40000u);
        program_pair(t, s, read, key, c);
        c->verify_reads++;
        c->refreshes++;
    }
    t->w[s] = (t->g_plus[s] - t->g_minus[s]) / ws;
}

/* What an update sent: pulses, and rare events (refreshes). */
typedef struct update_sent {
    row_pulses r;
    mt_counters c;
} update_sent;

/* Pulse the listed synapses and empty the list (firing_collect's apply). */
static void update_apply(tile *t, firing_list *f, void *sent)
{
    update_sent *u = sent;
    for (int k = 0; k < f->count; k++) pulse_pair(t, (size_t)f->s[k], f->n[k], f->ae[k] > 0.0f, &u->r, &u->c);
    f->count = 0;
}

row_pulses cell_pcm2_apply_list(tile *t, const int32_t *at, const int32_t *n, const float *ae, int len)
{
    update_sent u = {{0, 0}, {0}};
    for (int k = 0; k < len; k++) pulse_pair(t, (size_t)at[k], n[k], ae[k] > 0.0f, &u.r, &u.c);
    if (u.c.refreshes) add_counters(&t->counters, &u.c);
    return u.r;
}

row_pulses cell_pcm2_update_rows(tile *t, const int *rows, int n_rows, float lr, const float *e)
{
    update_sent u = {{0, 0}, {0}};
    firing_list f;
    f.count = 0;
    firing_collect(t, rows, n_rows, lr, 1.0f, e, &f, update_apply, &u);
    update_apply(t, &f, &u);
    if (u.c.refreshes) add_counters(&t->counters, &u.c); /* rare: atomics cost */
    return u.r;
}

void cell_pcm2_read_row(tile *t, int row, float *w)
{
    const float ws = (float)t->params.cell.uS_per_weight;
    for (int j = 0; j < t->cols; j++) {
        size_t s = (size_t)row * t->cols + j;
        w[j] = (t->g_plus[s] - t->g_minus[s]) / ws;
    }
}
