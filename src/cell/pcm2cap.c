/* pcm2cap.c — the paper's unit cell "2PCM + 3T1C" (Ambrogio et al. 2018).
 *
 *     W = [ F (G+ - G-) + p (g - g_shared) ] / uS_per_weight        (weight units)
 *
 * G+, G-    PCM pair, higher significance F; changed only at transfers.
 * g         this synapse's 3T1C capacitor cell; every training update goes here.
 * g_shared  one reference 3T1C cell per column, re-initialised with g; its leakage
 *           is common-mode with g's.
 * p = ±1    polarity of the capacitor pair, flipped at each transfer when polarity
 *           inversion is on: while p = -1 a weight increase is a *down* pulse, so a
 *           device's fixed up/down asymmetry enters W with alternating sign.
 *
 * Transfer (every transfer.interval examples), per synapse:
 *     W_transfer = W - p' (offset + [g(v_init) - g_shared(v_init)])       (µS)
 * programmed closed-loop into F (G+ - G-), where p' is the polarity after the
 * transfer.  The paper states the rule for p' = +1; we mirror it for p' = -1 so the
 * capacitor always corrects the remaining error by *increasing* g, the direction it
 * has room for (docs/model.md §4).  If 0 < p' W_transfer < offset both devices are
 * RESET and g carries the whole weight.  Then g and g_shared are re-initialised to
 * v_init and the residual (W - what the verify read says was programmed) is written
 * back into g as nominal-size pulses.
 *
 * Leakage frame: every capacitor leaks toward v_leak with the same tau, so instead
 * of decaying 200,000 voltages per example we store z with
 *     V_C(t) = v_leak + z * decay(t),   decay(t) = exp(-(t - frame_time)/tau)
 * and advancing time is O(1) per tile.  A pulse at time t reads V_C exactly, applies
 * the device equations and stores z' = (V_C' - v_leak)/decay.  The cached weights
 * `w` are re-derived per row when a read finds them older than
 * train.leak_sync_examples (and exactly at every transfer). */
#include <math.h>
#include <stdlib.h>

#include "array/firing.h"
#include "array/tile.h"
#include "cell/pcm_pair.h"
#include "util/rng.h"

/* Renormalise the frame before decay gets small enough to cost precision. */
#define FRAME_RENORMALISE_BELOW 0.25

int cell_pcm2cap_create(tile *t)
{
    int rc = pcm_pair_array_create(t);
    if (rc) return rc;
    const size_t n = (size_t)t->rows * (size_t)t->cols;
    const int cols = t->cols;
    t->cap_z = tile_alloc_lines(n, sizeof *t->cap_z);
    t->cap_vt = tile_alloc_lines(n, sizeof *t->cap_vt);
    t->cap_dv_up = tile_alloc_lines(n, sizeof *t->cap_dv_up);
    t->cap_dv_down = tile_alloc_lines(n, sizeof *t->cap_dv_down);
    t->shared_vt = malloc((size_t)cols * sizeof *t->shared_vt);
    t->shared_g = malloc((size_t)cols * sizeof *t->shared_g);
    t->row_sync_example = tile_alloc_lines((size_t)t->rows, sizeof *t->row_sync_example);
    if (!t->cap_z || !t->cap_vt || !t->cap_dv_up || !t->cap_dv_down || !t->shared_vt ||
        !t->shared_g || !t->row_sync_example)
        return MT_ENOMEM;
    cap3t1c_model_init(&t->cap, &t->params.cap, t->params.cell.variability);
    const cap3t1c_model *m = &t->cap;
    const uint64_t key = rng_key(t->seed, (uint64_t)t->index, RNG_CAP_MISMATCH, 0);
    #pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t s = 0; s < n; s++) {
        cap3t1c_sample_device(m, key, s, &t->cap_vt[s], &t->cap_dv_up[s], &t->cap_dv_down[s]);
        t->cap_z[s] = m->v_init - m->v_leak;
    }
    /* The shared cells draw from indices after the synapses'. */
    for (int j = 0; j < cols; j++) {
        float dv_up, dv_down; /* a reference cell is never pulsed */
        cap3t1c_sample_device(m, key, n + (size_t)j, &t->shared_vt[j], &dv_up, &dv_down);
        t->shared_g[j] = cap3t1c_conductance(m, m->v_init, t->shared_vt[j]);
    }
    t->shared_z = m->v_init - m->v_leak;
    t->frame_time_s = 0.0;
    t->decay = t->inv_decay = t->read_decay = 1.0;
    t->polarity = 1;
    /* The vectorised pulse kernel sums a series valid while a whole pulse train moves
     * V_C less than 10 % of the way to its fixed point. */
    float dv_max = 0.0f;
    for (size_t s = 0; s < n; s++) dv_max = fmaxf(dv_max, fmaxf(t->cap_dv_up[s], t->cap_dv_down[s]));
    t->dense_pulses_exact = (double)t->params.cell.max_pulses_per_update * dv_max * m->lambda <= 0.1;
    /* The update quantum: nominal weight change of one up pulse at v_init. */
    t->quantum = (float)(m->dg_up_uS / t->params.cell.uS_per_weight);
    return MT_OK;
}

/* ------------------------------------------------------------------ time */

/* Whether a leak frame decayed to `decay` is renormalised. */
static int frame_worn(double decay)
{
    return decay < FRAME_RENORMALISE_BELOW;
}

int cell_pcm2cap_renormalises_at(const tile *t, double now_s)
{
    return frame_worn(cap3t1c_leak_factor(&t->cap, now_s - t->frame_time_s));
}

void cell_pcm2cap_set_read_time(tile *t, double now_s)
{
    const cap3t1c_model *m = &t->cap;
    double decay = cap3t1c_leak_factor(m, now_s - t->frame_time_s);
    if (frame_worn(decay)) {
        /* Fold the decay into z: physically nothing happens. */
        const size_t n = (size_t)t->rows * (size_t)t->cols;
        const float d = (float)decay;
        #pragma omp parallel for schedule(static) if (n > 65536)
        for (size_t s = 0; s < n; s++) t->cap_z[s] *= d;
        t->shared_z *= d;
        t->frame_time_s = now_s;
        decay = 1.0;
    }
    t->read_decay = decay;
    const float v_shared = m->v_leak + t->shared_z * (float)decay;
    for (int j = 0; j < t->cols; j++)
        t->shared_g[j] = cap3t1c_conductance(m, v_shared, t->shared_vt[j]);
}

/* V_C of synapse s at the update's time (a transfer's). */
static inline float cap_voltage(const tile *t, size_t s)
{
    return t->cap.v_leak + t->cap_z[s] * (float)t->decay;
}

/* The pair's conductances now, with drift when it applies (drift_log != 0). */
static inline void pair_now(const tile *t, size_t s, float drift_log, float *gp, float *gm)
{
    *gp = t->g_plus[s];
    *gm = t->g_minus[s];
    if (drift_log != 0.0f) {
        /* Per-device nu, recomputed from its stream rather than stored. */
        const uint64_t key = rng_key(t->seed, (uint64_t)t->index, RNG_PCM_MISMATCH, 1);
        float nu_p = t->pcm.drift_nu + t->pcm.drift_nu_sigma * (float)rng_normal(key, 2 * s);
        float nu_m = t->pcm.drift_nu + t->pcm.drift_nu_sigma * (float)rng_normal(key, 2 * s + 1);
        *gp *= expf(-fmaxf(nu_p, 0.0f) * drift_log);
        *gm *= expf(-fmaxf(nu_m, 0.0f) * drift_log);
    }
}

/* F (G+ - G-) now, in µS. */
static inline float pcm_part(const tile *t, size_t s, float drift_log)
{
    float gp, gm;
    pair_now(t, s, drift_log, &gp, &gm);
    return (float)t->params.cell.significance_F * (gp - gm);
}

/* log(t_since_program / t0) if drift applies now, else 0. */
static float drift_log_now(const tile *t)
{
    if (!t->pcm.drift) return 0.0f;
    double since = t->now_s - t->programmed_time_s;
    return since > t->pcm.drift_t0_s ? (float)log(since / t->pcm.drift_t0_s) : 0.0f;
}

static void weights_of_row(tile *t, int row, float *restrict w)
{
    const int cols = t->cols;
    const float inv_ws = (float)(1.0 / t->params.cell.uS_per_weight);
    const float p = (float)t->polarity, F = (float)t->params.cell.significance_F;
    const float drift_log = drift_log_now(t);
    const size_t s0 = (size_t)row * cols;
    const float *restrict z = t->cap_z + s0, *restrict vt = t->cap_vt + s0;
    const float *restrict gp = t->g_plus + s0, *restrict gm = t->g_minus + s0;
    const float *restrict shared = t->shared_g;
    const float v_leak = t->cap.v_leak, decay = (float)t->read_decay, k = t->cap.k;
    if (drift_log == 0.0f) {
        /* the common case, written to vectorise: g = k (V - V_T)^2 above threshold */
        for (int j = 0; j < cols; j++) {
            float d = v_leak + z[j] * decay - vt[j];
            float g = d > 0.0f ? k * d * d : 0.0f;
            w[j] = (F * (gp[j] - gm[j]) + p * (g - shared[j])) * inv_ws;
        }
        return;
    }
    for (int j = 0; j < cols; j++) {
        size_t s = s0 + (size_t)j;
        float g = cap3t1c_conductance(&t->cap, v_leak + z[j] * decay, vt[j]);
        w[j] = (pcm_part(t, s, drift_log) + p * (g - shared[j])) * inv_ws;
    }
}

void cell_pcm2cap_refresh_row(tile *t, int row)
{
    weights_of_row(t, row, t->w + (size_t)row * t->cols);
}

void cell_pcm2cap_read_row(tile *t, int row, float *w)
{
    weights_of_row(t, row, w);
}

/* ------------------------------------------------------------------ update */

/* What apply_pulses needs of the tile, read once per call. */
typedef struct pulse_consts {
    float p, inv_ws, decay, inv_decay, v_leak, v_init, v_min, v_max, k, lambda, inv_lambda, sigma;
    uint64_t key;
} pulse_consts;

static pulse_consts pulse_consts_of(const tile *t)
{
    const cap3t1c_model *m = &t->cap;
    pulse_consts c;
    c.p = (float)t->polarity;
    c.inv_ws = (float)(1.0 / t->params.cell.uS_per_weight);
    c.decay = (float)t->decay;
    c.inv_decay = (float)t->inv_decay;
    c.v_leak = m->v_leak, c.v_init = m->v_init, c.v_min = m->v_min, c.v_max = m->v_max;
    /* lambda = 0 (constant steps) is the limit of a tiny slope: 1e-6 /V changes a step
     * by one part in a million per volt, below float resolution of the result. */
    c.k = m->k;
    c.lambda = m->lambda > 1e-6f ? m->lambda : 1e-6f;
    c.inv_lambda = 1.0f / c.lambda;
    c.sigma = m->pulse_noise_rel;
    c.key = t->key_pulse_noise;
    return c;
}

/* nj pulses (up: ae > 0) on synapse s, whose capacitor holds z (leak frame), threshold
 * vt and steps dv_up, dv_down: its new z into *z_new, the change of its cached weight
 * into *dw.  Branch-free, for the vectoriser.  The equations are cap3t1c_pulse's
 * (tests/test_tile.c checks they agree). */
static inline void pulse_lane(const pulse_consts *c, int32_t s, int32_t nj, float ae, float z, float vt,
                              float dv_up, float dv_down, float *z_new, float *dw)
{
    const int up = ae > 0.0f;
    const float v = c->v_leak + z * c->decay;
    const float d_old = v - vt;
    const float g_old = d_old > 0.0f ? c->k * d_old * d_old : 0.0f;
    const float dv = up ? dv_up : -dv_down;
    /* nj pulses move the fraction 1 - (1 - a)^nj of the way to the step map's fixed
     * point; with x = nj ln(1 - a) that is -expm1(x), summed as series (|x| <= 0.1 is
     * guaranteed by the caller: error < 2e-9). */
    const float a_dev = (up ? dv : -dv) * c->lambda;
    const float x = (float)nj * -a_dev * (1.0f + a_dev * (0.5f + a_dev * (1.0f / 3.0f)));
    const float moved = -x * (1.0f + x * (0.5f + x * (1.0f / 6.0f + x * (1.0f / 24.0f + x * (1.0f / 120.0f)))));
    const float target = c->v_init + (up ? c->inv_lambda : -c->inv_lambda);
    float step = (target - v) * moved;
    /* cycle-to-cycle noise: rng_normal_fast(key, s), inlined:
     * rng_bits(key, s) = mix64(key + (s + 1) G) */
    const uint64_t h = rng_mix64(c->key + ((uint64_t)s + 1u) * RNG_GOLDEN);
    const uint32_t sum = (uint32_t)(h & 0xFFFF) + (uint32_t)((h >> 16) & 0xFFFF) + (uint32_t)((h >> 32) & 0xFFFF) +
                         (uint32_t)(h >> 48);
    const float noise = ((float)sum * (1.0f / 65536.0f) + (2.0f / 65536.0f) - 2.0f) * 1.7320508f;
    step *= 1.0f + c->sigma * noise / sqrtf((float)(nj > 1 ? nj : 1));
    float v_new = v + step;
    v_new = v_new > c->v_max ? c->v_max : (v_new < c->v_min ? c->v_min : v_new);
    const float d_new = v_new - vt;
    const float g_new = d_new > 0.0f ? c->k * d_new * d_new : 0.0f;
    *dw = c->p * (g_new - g_old) * c->inv_ws;
    *z_new = (v_new - c->v_leak) * c->inv_decay;
}

/* Apply the pulse counts of the listed synapses to their capacitors and cached
 * weights (no synapse listed twice).  With AVX-512 one loop gathers each lane's state
 * and scatters its results.  AVX2 has gathers but no scatter, and gcc left the fused
 * loop scalar and branchy (a quarter of a 2pcm3t1c run on a Zen 3 core): there the
 * lanes are computed a block at a time by a loop that only gathers, then stored one by
 * one.  The same operations either way, so the same results. */
static void apply_pulses(tile *t, const int32_t *restrict at, const int32_t *restrict n,
                         const float *restrict ae, int len)
{
    const pulse_consts c = pulse_consts_of(t);
    const float *restrict vt = t->cap_vt, *restrict dv_up = t->cap_dv_up, *restrict dv_down = t->cap_dv_down;
    float *restrict z = t->cap_z, *restrict w = t->w;
#ifdef __AVX512F__
    #pragma omp simd
    for (int j = 0; j < len; j++) {
        const int32_t s = at[j];
        float z_new, dw;
        pulse_lane(&c, s, n[j], ae[j], z[s], vt[s], dv_up[s], dv_down[s], &z_new, &dw);
        w[s] += dw;
        z[s] = z_new;
    }
#else
    enum { BLOCK = 64 };
    for (int j0 = 0; j0 < len; j0 += BLOCK) {
        const int m = len - j0 < BLOCK ? len - j0 : BLOCK;
        float z_new[BLOCK], dw[BLOCK];
        #pragma omp simd
        for (int j = 0; j < m; j++) {
            const int32_t s = at[j0 + j];
            pulse_lane(&c, s, n[j0 + j], ae[j0 + j], z[s], vt[s], dv_up[s], dv_down[s], &z_new[j], &dw[j]);
        }
        for (int j = 0; j < m; j++) {
            const int32_t s = at[j0 + j];
            w[s] += dw[j];
            z[s] = z_new[j];
        }
    }
#endif
}

/* The device function itself, pulse train by pulse train: for trains too long for
 * apply_pulses's series. */
static void apply_pulses_exact(tile *t, const int32_t *at, const int32_t *n, const float *ae, int len)
{
    const cap3t1c_model *m = &t->cap;
    const float p = (float)t->polarity;
    for (int j = 0; j < len; j++) {
        const size_t s = at[j];
        const float v = m->v_leak + t->cap_z[s] * (float)t->decay;
        const float g_old = cap3t1c_conductance(m, v, t->cap_vt[s]);
        const float noise = m->pulse_noise_rel > 0.0f ? rng_normal_fast(t->key_pulse_noise, s) : 0.0f;
        const int up = ae[j] > 0.0f;
        const float v_new = cap3t1c_pulse(m, v, up ? t->cap_dv_up[s] : -t->cap_dv_down[s], n[j], noise);
        t->cap_z[s] = (v_new - m->v_leak) * (float)t->inv_decay;
        t->w[s] += p * (cap3t1c_conductance(m, v_new, t->cap_vt[s]) - g_old) *
                   (float)(1.0 / t->params.cell.uS_per_weight);
    }
}

/* Run the device equations on len listed synapses (index at, count n, requested
 * change ae) and count their pulses into r. */
static void apply_entries(tile *t, const int32_t *at, const int32_t *n, const float *ae, int len, row_pulses *r)
{
    if (len == 0) return;
    if (!t->dense_pulses_exact) apply_pulses_exact(t, at, n, ae, len);
    else apply_pulses(t, at, n, ae, len);
    const float p = (float)t->polarity;
    const int count_stats = t->pulse_total && t->example < t->pulse_window_end;
    uint64_t up = 0, down = 0;
    for (int j = 0; j < len; j++) {
        const uint64_t nj = (uint64_t)n[j];
        const int is_up = ae[j] > 0.0f;
        up += is_up ? nj : 0;
        down += is_up ? 0 : nj;
    }
    r->up += up;
    r->down += down;
    if (count_stats)
        for (int j = 0; j < len; j++) {
            const int nj = n[j];
            const size_t s = at[j];
            /* net counts in the weight's direction, whatever the polarity */
            t->pulse_total[s] += nj;
            t->pulse_net[s] += ((ae[j] > 0.0f) == (p > 0.0f)) ? nj : -nj;
        }
}

/* apply_entries on the first `len` listed synapses, then dropped from the list. */
static void update_apply(tile *t, firing_list *b, int len, row_pulses *r)
{
    apply_entries(t, b->s, b->n, b->ae, len, r);
    firing_drop(b, len);
}

row_pulses cell_pcm2cap_apply_list(tile *t, const int32_t *at, const int32_t *n, const float *ae, int len)
{
    row_pulses r = {0, 0};
    apply_entries(t, at, n, ae, len, &r);
    return r;
}

/* firing_collect's apply: whole vectors of the list, the rest left for later. */
static void apply_vectors(tile *t, firing_list *f, void *sent)
{
    update_apply(t, f, f->count / FIRING_GROUP * FIRING_GROUP, sent);
}

row_pulses cell_pcm2cap_update_rows(tile *t, const int *rows, int n_rows, float lr, const float *e)
{
    row_pulses r = {0, 0};
    firing_list f;
    f.count = 0;
    firing_collect(t, rows, n_rows, lr, (float)t->polarity, e, &f, apply_vectors, &r);
    update_apply(t, &f, f.count, &r);
    return r;
}

/* ------------------------------------------------------------------ transfer */


/* Synapses committed together: the pair's programming is branchy and scalar, one
 * synapse at a time, but the write-back (~3 iterations per synapse, each a chain of
 * divisions, a square root and a pulse train's repeated squaring) runs lane by lane
 * over the block, so the core overlaps the lanes' latencies instead of waiting out
 * each synapse's chain behind its mispredicted exits (transfer x1.5, docs/performance.md). */
#define COMMIT_LANES CAP_WRITE_BACK_LANES

/* What programming a block's pairs leaves for the write-back and the final store
 * (lane l is synapse s0 + l; lanes len .. COMMIT_LANES - 1 are idle). */
typedef struct commit_block {
    size_t s0;
    int len;
    float needed[COMMIT_LANES];    /* µS: the change of g the write-back aims for */
    float g0[COMMIT_LANES];        /* µS: g at v_init */
    float g_shared0[COMMIT_LANES]; /* µS: the column's reference cell at v_init */
    float v[COMMIT_LANES];         /* V: the capacitor after the write-back */
} commit_block;

/* Program weight W_uS into the pair of synapse s, lane l of block b (column j),
 * closed-loop, and leave the capacitor's write-back request in the block.  p_new is
 * the polarity after.  pre_read is the read of G+ - G- that W_uS came from (NULL
 * when programming from scratch). */
static void commit_pair(tile *t, commit_block *b, int l, int j, float W_uS, float p_new,
                        const float *pre_read, uint64_t key, mt_counters *c)
{
    const size_t s = b->s0 + (size_t)l;
    const cap3t1c_model *m = &t->cap;
    const mt_transfer_params *tp = &t->params.transfer;
    const float F = (float)t->params.cell.significance_F;
    const float offset = (float)tp->offset_uS;
    const float g0 = cap3t1c_conductance(m, m->v_init, t->cap_vt[s]);
    const float g_shared0 = cap3t1c_conductance(m, m->v_init, t->shared_vt[j]);
    const float bracket = g0 - g_shared0; /* the cell's own mismatch at v_init */
    const float w_transfer = W_uS - p_new * (offset + bracket);
    const float signed_transfer = p_new * w_transfer;
    float target = 0.0f;
    pair_program_options o = {(float)tp->tolerance_uS, tp->max_pulses,
                              pre_read == NULL || tp->reset_before_program,
                              (float)t->params.cell.refresh_uS};
    if (signed_transfer > 0.0f && signed_transfer < offset) {
        o.reset_first = 1; /* the paper's rule: both RESET, g carries the weight */
    } else {
        const float lim = (float)tp->g_target_max_uS;
        target = w_transfer / F;
        target = target > lim ? lim : (target < -lim ? -lim : target);
    }
    pair_program_result r = pcm_pair_program(&t->pcm, &t->g_plus[s], &t->g_minus[s],
                                              t->pcm_mismatch_key, t->stuck[s],
                                              target, &o, pre_read, key, s);
    c->pcm_set_pulses_program += (uint64_t)r.set_pulses;
    c->pcm_resets += (uint64_t)r.resets;
    c->verify_reads += (uint64_t)r.reads;
    c->program_failures += (uint64_t)!r.success;

    /* What the controller believes is still missing after programming, as a change
     * of g */
    b->needed[l] = p_new * (W_uS - F * r.read_diff_uS - p_new * bracket);
    b->g0[l] = g0;
    b->g_shared0[l] = g_shared0;
}

/* Each synapse's residual written back into its capacitor, re-initialised at v_init:
 * the controller writes it with pulses sized by the nominal step, reads g back, and
 * sizes the next correction by the step this device actually showed (a secant closed
 * loop: the device's own step differs from nominal by mismatch and by g's slope).
 * Lane by lane, the operations of cap3t1c_pulse and cap3t1c_conductance in their
 * order, so bit for bit what one synapse at a time would give (tests/test_tile.c); a
 * lane stops at its first iteration that asks for no pulse. */
void cell_pcm2cap_write_back(const tile *t, size_t s0, int len, const float *needed, const float *g0,
                             uint64_t key, float *v_out, mt_counters *c)
{
    enum { L = COMMIT_LANES };
    const cap3t1c_model *m = &t->cap;
    const float v_init = m->v_init, v_min = m->v_min, v_max = m->v_max, k = m->k, lambda = m->lambda;
    const float sigma = m->pulse_noise_rel;
    float v[L], g[L], step_up[L], step_down[L], noise[L], pulsed[L], dv[L], vt[L], dv_up[L], dv_down[L];
    int n[L], up[L], live[L];
    for (int l = 0; l < L; l++) {
        const size_t s = s0 + (size_t)(l < len ? l : 0); /* idle lanes: a copy of the first */
        vt[l] = t->cap_vt[s];
        dv_up[l] = t->cap_dv_up[s];
        dv_down[l] = t->cap_dv_down[s];
        v[l] = v_init;
        g[l] = g0[l];
        step_up[l] = m->dg_up_uS; /* µS per pulse */
        step_down[l] = m->dg_down_uS;
        live[l] = l < len;
    }
    uint64_t pulses = 0, reads = 0;
    for (int it = 0; it < t->params.transfer.writeback_iterations; it++) {
        int any = 0;
        unsigned most = 0;
        #pragma omp simd reduction(| : any, most)
        for (int l = 0; l < L; l++) {
            const float missing = needed[l] - (g[l] - g0[l]);
            up[l] = missing > 0.0f;
            const float n_real = fabsf(missing) / (up[l] ? step_up[l] : step_down[l]);
            const int nl = n_real > 1e6f ? 1000000 : (int)(n_real + 0.5f);
            live[l] = live[l] && nl != 0;
            n[l] = live[l] ? nl : 1; /* an idle lane computes with 1 pulse, then is ignored */
            any |= live[l];
            most |= live[l] ? (unsigned)nl : 0u;
        }
        if (!any) break;
        for (int l = 0; l < L; l++) /* scalar: the ziggurat's rare rejections loop */
            noise[l] = sigma > 0.0f && live[l] ? (float)rng_normal(key, ((s0 + (size_t)l) << 20) +
                                                                         TRANSFER_DRAW_WRITEBACK + (unsigned)it)
                                               : 0.0f;
        /* cap3t1c_pulse, lane by lane */
        #pragma omp simd
        for (int l = 0; l < L; l++) dv[l] = up[l] ? dv_up[l] : -dv_down[l];
        if (lambda == 0.0f) {
            #pragma omp simd
            for (int l = 0; l < L; l++) pulsed[l] = dv[l] * (float)n[l];
        } else {
            float keep[L], factor[L];
            #pragma omp simd
            for (int l = 0; l < L; l++) {
                keep[l] = 1.0f;
                factor[l] = 1.0f - fabsf(dv[l]) * lambda;
            }
            /* the repeated squaring over the bits of the longest train (a factor of 1
             * for a shorter train's missing bits is exact) */
            for (unsigned bit = 0; most >> bit; bit++)
                #pragma omp simd
                for (int l = 0; l < L; l++) {
                    keep[l] *= ((unsigned)n[l] >> bit) & 1u ? factor[l] : 1.0f;
                    factor[l] *= factor[l];
                }
            #pragma omp simd
            for (int l = 0; l < L; l++) {
                const float target = v_init + (dv[l] > 0.0f ? 1.0f : -1.0f) / lambda;
                pulsed[l] = (target - v[l]) * (1.0f - keep[l]);
            }
        }
        #pragma omp simd reduction(+ : pulses, reads)
        for (int l = 0; l < L; l++) {
            const float step = pulsed[l] * (1.0f + sigma * noise[l] / sqrtf((float)n[l]));
            const float out = v[l] + step;
            const float v_new = out > v_max ? v_max : (out < v_min ? v_min : out);
            const float d = v_new - vt[l];
            const float g_new = d > 0.0f ? k * d * d : 0.0f;
            const float seen = fabsf(g_new - g[l]) / (float)n[l];
            if (live[l] && seen > 0.0f) {
                if (up[l]) step_up[l] = seen;
                else step_down[l] = seen;
            }
            v[l] = live[l] ? v_new : v[l];
            g[l] = live[l] ? g_new : g[l];
            pulses += live[l] ? (uint64_t)n[l] : 0u;
            reads += (uint64_t)live[l];
        }
    }
    for (int l = 0; l < L; l++) v_out[l] = v[l];
    c->writeback_pulses += pulses;
    c->writeback_reads += reads;
}

/* Commit the block's synapses, their pairs programmed (commit_pair): the capacitors'
 * write-back, then the cells' state and cached weights.  p_new: the polarity after. */
static void commit_block_finish(tile *t, commit_block *b, float p_new, uint64_t key, mt_counters *c)
{
    const cap3t1c_model *m = &t->cap;
    const float F = (float)t->params.cell.significance_F;
    if (t->params.transfer.writeback) cell_pcm2cap_write_back(t, b->s0, b->len, b->needed, b->g0, key, b->v, c);
    else
        for (int l = 0; l < COMMIT_LANES; l++) b->v[l] = m->v_init;
    c->cap_reinits += (uint64_t)b->len;
    for (int l = 0; l < b->len; l++) {
        const size_t s = b->s0 + (size_t)l;
        const float v = b->v[l];
        t->cap_z[s] = v - m->v_leak; /* the frame restarts at decay = 1 */
        const float g = cap3t1c_conductance(m, v, t->cap_vt[s]);
        t->w[s] = (F * (t->g_plus[s] - t->g_minus[s]) + p_new * (g - b->g_shared0[l])) /
                  (float)t->params.cell.uS_per_weight;
    }
}

/* Block `k` of a tile of n synapses, its lanes' requests cleared (idle lanes ask for
 * nothing). */
static void commit_block_start(commit_block *b, size_t k, size_t n)
{
    b->s0 = k * COMMIT_LANES;
    b->len = n - b->s0 < COMMIT_LANES ? (int)(n - b->s0) : COMMIT_LANES;
    for (int l = 0; l < COMMIT_LANES; l++) b->needed[l] = b->g0[l] = b->g_shared0[l] = 0.0f;
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
    to->cap_reinits += c->cap_reinits;
    #pragma omp atomic
    to->writeback_pulses += c->writeback_pulses;
    #pragma omp atomic
    to->writeback_reads += c->writeback_reads;
}

/* Restart the leak frame and the shared cells at v_init after a commit of all cells. */
static void restart_frame(tile *t, double now_s)
{
    const cap3t1c_model *m = &t->cap;
    t->frame_time_s = now_s;
    t->programmed_time_s = now_s;
    t->decay = t->inv_decay = t->read_decay = 1.0;
    t->shared_z = m->v_init - m->v_leak;
    for (int j = 0; j < t->cols; j++)
        t->shared_g[j] = cap3t1c_conductance(m, m->v_init, t->shared_vt[j]);
    for (int i = 0; i < t->rows; i++) t->row_sync_example[i] = t->example;
}

void cell_pcm2cap_program(tile *t, const float *w_target)
{
    const size_t n = (size_t)t->rows * (size_t)t->cols;
    const int cols = t->cols;
    const float ws = (float)t->params.cell.uS_per_weight;
    const uint64_t key = rng_key(t->seed, (uint64_t)t->index, RNG_TRANSFER, UINT64_MAX);
    restart_frame(t, t->now_s);
    mt_counters total = {0};
    #pragma omp parallel
    {
        mt_counters c = {0};
        #pragma omp for schedule(static)
        for (size_t k = 0; k < (n + COMMIT_LANES - 1) / COMMIT_LANES; k++) {
            commit_block b;
            commit_block_start(&b, k, n);
            for (int l = 0; l < b.len; l++) {
                const size_t s = b.s0 + (size_t)l;
                commit_pair(t, &b, l, (int)(s % (size_t)cols), w_target[s] * ws, (float)t->polarity, NULL, key,
                            &c);
            }
            commit_block_finish(t, &b, (float)t->polarity, key, &c);
        }
        add_counters(&total, &c);
    }
    add_counters(&t->counters, &total);
}

void cell_pcm2cap_transfer_shared(tile *t)
{
    const size_t n = (size_t)t->rows * (size_t)t->cols;
    const int cols = t->cols;
    const float F = (float)t->params.cell.significance_F;
    const float p_old = (float)t->polarity;
    const float p_new = t->params.transfer.polarity_inversion ? -p_old : p_old;
    const uint64_t key = rng_key(t->seed, (uint64_t)t->index, RNG_TRANSFER, t->counters.transfers);
    const float drift_log = drift_log_now(t);
    mt_counters c = {0};
    #pragma omp for schedule(static)
    for (size_t k = 0; k < (n + COMMIT_LANES - 1) / COMMIT_LANES; k++) {
        commit_block b;
        commit_block_start(&b, k, n);
        for (int l = 0; l < b.len; l++) {
            const size_t s = b.s0 + (size_t)l;
            const int j = (int)(s % (size_t)cols);
            /* Read the whole cell: the PCM pair with read noise, the capacitors. */
            const float g = cap3t1c_conductance(&t->cap, cap_voltage(t, s), t->cap_vt[s]);
            float gp, gm;
            pair_now(t, s, drift_log, &gp, &gm);
            const float pair = pcm_pair_read(&t->pcm, gp, gm, key, ((s << 20) + TRANSFER_DRAW_PRE_READ) >> 1);
            const float W_uS = F * pair + p_old * (g - t->shared_g[j]);
            commit_pair(t, &b, l, j, W_uS, p_new, &pair, key, &c);
        }
        commit_block_finish(t, &b, p_new, key, &c);
    }
    /* (every thread has read the polarity and the transfer count: the loop ends in a barrier) */
    add_counters(&t->counters, &c);
    #pragma omp single
    {
        #pragma omp atomic
        t->counters.verify_reads += n; /* the pre-transfer read of every pair */
        t->polarity = (int)p_new;
        restart_frame(t, t->now_s);
        t->counters.transfers++;
    }
}
