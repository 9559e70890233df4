/* pcm.h — a phase-change-memory device: non-volatile, abrupt RESET, stochastic partial SET.
 *
 * Physics (docs/model.md §3; defaults in docs/parameters.md):
 *   state       conductance G in [0, G_max] (µS); G_max varies device to device
 *   SET pulse   G <- clip(G + s (1 - G/G_max)(1 + c N), 0, G_max)
 *               a state-dependent "jump model": mean increment s at G = 0 shrinking
 *               linearly to 0 at G_max, cycle-to-cycle spread c relative to the mean
 *               (Burr et al. 2015 jump tables show σ comparable to the mean)
 *   SET ramp    closed-loop programming uses a SET ramp-down pulse whose duration the
 *               controller picks to aim at an increment d (the paper's 8-step ramp,
 *               13.6 ns - 4.4 µs): G <- clip(G + d (1 + q N), 0, G_max), q = program_noise_rel
 *   RESET       G <- 0 (melt-quench: abrupt and complete)
 *   read        G (1 + r N)
 *   drift       G(t) = G(t_p + t0) ((t - t_p)/t0)^(-nu) for t - t_p > t0
 *   stuck       a fraction of devices ignore SET and RESET and keep one conductance
 */
#ifndef MT_DEVICE_PCM_H
#define MT_DEVICE_PCM_H

#include <math.h>
#include <stdint.h>

#include "memtrain.h"

typedef struct pcm_model {
    float g_max;            /* µS, mean */
    float g_max_sigma_rel;  /* device-to-device (0 without variability) */
    float set_step;         /* µS at G = 0 */
    float set_noise_rel;    /* cycle-to-cycle */
    float program_noise_rel; /* relative error of an aimed SET ramp */
    float read_noise_rel;
    int drift;
    float drift_nu, drift_nu_sigma;
    double drift_t0_s;
    float stuck_fraction;   /* 0 without variability */
} pcm_model;

void pcm_model_init(pcm_model *m, const mt_pcm_params *p, int variability);

/* Device `index` of stream `key` (indices 4i .. 4i+3) is described by two draws:
 *   pcm_device_g_max   its saturation conductance G_max (µS); recomputing it when a
 *                      device is SET costs less than storing 4 bytes per device
 *   pcm_sample_stuck   whether it is stuck (*stuck = 1) and, if so, at which
 *                      conductance in [0, G_max] (*g_stuck; 0 otherwise) */
float pcm_device_g_max(const pcm_model *m, uint64_t key, uint64_t index);
void pcm_sample_stuck(const pcm_model *m, uint64_t key, uint64_t index, int *stuck, float *g_stuck);

/* Conductance after one SET pulse; `normal` is the pulse's standard normal draw. */
static inline float pcm_set_pulse(const pcm_model *m, float g, float g_max, float normal)
{
    float mean = m->set_step * (1.0f - g / g_max);
    float out = g + mean * (1.0f + m->set_noise_rel * normal);
    return out < 0.0f ? 0.0f : (out > g_max ? g_max : out);
}

/* Conductance after a SET ramp aimed at increment `aim` (µS, >= 0). */
static inline float pcm_set_ramp(const pcm_model *m, float g, float g_max, float aim, float normal)
{
    float out = g + aim * (1.0f + m->program_noise_rel * normal);
    return out < 0.0f ? 0.0f : (out > g_max ? g_max : out);
}

/* A noisy read of conductance g. */
static inline float pcm_read(const pcm_model *m, float g, float normal)
{
    return g * (1.0f + m->read_noise_rel * normal);
}

/* Multiplicative drift factor ((t/t0)^-nu, or 1 before t0) t_s after programming. */
static inline float pcm_drift_factor(double t_s, double t0_s, double nu)
{
    return t_s > t0_s ? (float)pow(t_s / t0_s, -nu) : 1.0f;
}

#endif
