/* cap3t1c.c — see cap3t1c.h for the equations. */
#include "device/cap3t1c.h"

#include <math.h>

#include "util/rng.h"

void cap3t1c_model_init(cap3t1c_model *m, const mt_cap3t1c_params *p, int variability)
{
    m->v_min = (float)p->v_min_V;
    m->v_max = (float)p->v_max_V;
    m->v_init = (float)p->v_init_V;
    m->v_leak = (float)p->v_leak_V;
    m->tau_s = p->tau_s;
    m->vt_nominal = (float)p->vt_V;
    double overdrive = p->v_init_V - p->vt_V; /* > 0 by mt_params_validate */
    m->k = (float)(p->g_at_init_uS / (overdrive * overdrive));
    m->dv_up = (float)p->dv_up_V;
    m->dv_down = (float)p->dv_down_V;
    m->lambda = (float)p->step_slope_per_V;
    /* dg/dV_T = -2 k (V - V_T): a V_T spread σ_VT gives σ_g = 2 k overdrive σ_VT. */
    m->sigma_vt = variability ? (float)(p->sigma_g_uS / (2.0 * m->k * overdrive)) : 0.0f;
    m->sigma_up_rel = variability ? (float)p->sigma_dv_up_rel : 0.0f;
    m->sigma_down_rel = variability ? (float)p->sigma_dv_down_rel : 0.0f;
    m->pulse_noise_rel = (float)p->pulse_noise_rel;
    double g0 = (double)m->k * overdrive * overdrive;
    double up = overdrive + p->dv_up_V, down = overdrive - p->dv_down_V;
    m->dg_up_uS = (float)(m->k * up * up - g0);
    m->dg_down_uS = (float)(g0 - m->k * down * down);
}

void cap3t1c_sample_device(const cap3t1c_model *m, uint64_t key, uint64_t index, float *vt,
                           float *dv_up, float *dv_down)
{
    /* Three independent normals per device: indices 3i, 3i+1, 3i+2. */
    double n_vt = rng_normal(key, 3 * index);
    double n_up = rng_normal(key, 3 * index + 1);
    double n_down = rng_normal(key, 3 * index + 2);
    *vt = m->vt_nominal + m->sigma_vt * (float)n_vt;
    /* A step stays positive: clip the Gaussian's far tails at 5 % of nominal. */
    *dv_up = (float)(m->dv_up * fmax(1.0 + m->sigma_up_rel * n_up, 0.05));
    *dv_down = (float)(m->dv_down * fmax(1.0 + m->sigma_down_rel * n_down, 0.05));
}

int cap3t1c_pulses_for(const cap3t1c_model *m, double dg_uS)
{
    double per = dg_uS >= 0 ? m->dg_up_uS : -(double)m->dg_down_uS;
    double n = floor(dg_uS / per + 0.5);
    return n > 1e6 ? 1000000 : (int)n;
}
