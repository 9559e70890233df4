/* pcm.c — see pcm.h for the equations. */
#include "device/pcm.h"

#include "util/rng.h"

void pcm_model_init(pcm_model *m, const mt_pcm_params *p, int variability)
{
    m->g_max = (float)p->g_max_uS;
    m->g_max_sigma_rel = variability ? (float)p->g_max_sigma_rel : 0.0f;
    m->set_step = (float)p->set_step_uS;
    m->set_noise_rel = (float)p->set_noise_rel;
    m->read_noise_rel = (float)p->read_noise_rel;
    m->program_noise_rel = (float)p->program_noise_rel;
    m->drift = p->drift;
    m->drift_nu = (float)p->drift_nu;
    m->drift_nu_sigma = variability ? (float)p->drift_nu_sigma : 0.0f;
    m->drift_t0_s = p->drift_t0_s;
    m->stuck_fraction = variability ? (float)p->stuck_fraction : 0.0f;
}

float pcm_device_g_max(const pcm_model *m, uint64_t key, uint64_t index)
{
    double spread = 1.0 + m->g_max_sigma_rel * rng_normal(key, 4 * index);
    /* A device with (far-tail) G_max below 10 % of nominal is still a device. */
    return (float)(m->g_max * fmax(spread, 0.1));
}

void pcm_sample_stuck(const pcm_model *m, uint64_t key, uint64_t index, int *stuck, float *g_stuck)
{
    *stuck = rng_uniform(key, 4 * index + 1) < m->stuck_fraction;
    *g_stuck = *stuck ? (float)(rng_uniform(key, 4 * index + 2) * pcm_device_g_max(m, key, index)) : 0.0f;
}
