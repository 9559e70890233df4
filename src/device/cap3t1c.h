/* cap3t1c.h — the 3T1C capacitor cell: a volatile, near-linear analogue weight.
 *
 * Physics (docs/model.md §2; defaults in docs/parameters.md):
 *   state         capacitor voltage V_C (V), bounded by the rails [v_min, v_max]
 *   conductance   g(V_C) = k (V_C - V_T)^2 for V_C > V_T, else 0            (µS)
 *                 read-transistor square law; k fixed by g(v_init) = g_at_init for
 *                 the nominal V_T; per-device V_T mismatch gives the spread of g.
 *   pulse steps   the pull-up PMOS / pull-down NMOS deliver a charge packet per pulse; in
 *                 saturation their current falls (up) or rises (down) mildly with V_C
 *                 (channel-length modulation), so the step is affine in V_C:
 *                   up:   dV = dv_up   (1 - lambda (V_C - v_init))
 *                   down: dV = dv_down (1 + lambda (V_C - v_init))
 *                 i.e. each pulse moves V_C a fraction a = dv * lambda of the way to a
 *                 virtual target v_init ± 1/lambda; n pulses act in closed form with
 *                 (1 - a)^n.  V_C is clipped to the rails.  dv_up and dv_down vary per
 *                 device (threshold mismatch) -> up/down asymmetry.  lambda = 0 gives
 *                 constant steps; lambda = 1/(v_max - v_init) gives full "soft bounds".
 *   leakage       dV_C/dt = (v_leak - V_C)/tau  ->  V_C(t) = v_leak + (V_C(0) - v_leak) e^{-t/tau}
 */
#ifndef MT_DEVICE_CAP3T1C_H
#define MT_DEVICE_CAP3T1C_H

#include <math.h>
#include <stdint.h>

#include "memtrain.h"

/* Constants derived once from mt_cap3t1c_params. */
typedef struct cap3t1c_model {
    float v_min, v_max, v_init, v_leak; /* V */
    double tau_s;
    float vt_nominal;                   /* V */
    float k;                            /* µS/V^2 */
    float dv_up, dv_down;               /* nominal steps at v_init (V) */
    float lambda;                       /* 1/V: relative change of a step per volt */
    float sigma_vt;                     /* V: σ of V_T giving sigma_g_uS at v_init */
    float sigma_up_rel, sigma_down_rel; /* device-to-device */
    float pulse_noise_rel;              /* cycle-to-cycle */
    float dg_up_uS, dg_down_uS;         /* nominal |Δg| of one pulse at v_init */
} cap3t1c_model;

/* Derive the model; variability = 0 zeroes the device-to-device spreads. */
void cap3t1c_model_init(cap3t1c_model *m, const mt_cap3t1c_params *p, int variability);

/* One device's mismatch parameters, drawn from stream `key` at `index`: its read
 * threshold and its up/down steps at v_init (V). */
void cap3t1c_sample_device(const cap3t1c_model *m, uint64_t key, uint64_t index, float *vt,
                           float *dv_up, float *dv_down);

/* g(V) of a device with threshold vt (µS). */
static inline float cap3t1c_conductance(const cap3t1c_model *m, float v, float vt)
{
    float d = v - vt;
    return d > 0.0f ? m->k * d * d : 0.0f;
}

/* V after n pulses of a device whose step at v_init is dv (signed: > 0 up, < 0 down).
 * `noise` is a standard normal scaling the cycle-to-cycle spread (the sum of n
 * independent relative errors has σ/sqrt(n) relative to the total step). */
static inline float cap3t1c_pulse(const cap3t1c_model *m, float v, float dv, int n, float noise)
{
    float step;
    if (m->lambda == 0.0f) {
        step = dv * (float)n;
    } else {
        /* Fixed point of the affine step map and the fraction of the way per pulse. */
        float a = fabsf(dv) * m->lambda;
        float target = m->v_init + (dv > 0.0f ? 1.0f : -1.0f) / m->lambda;
        /* fraction of the way moved by n pulses: 1 - (1 - a)^n, by repeated squaring;
         * each bit of n picks its factor from a table (1 or the power) rather than
         * branching: the bits are data, and the branch mispredicted often enough to
         * be a fifth of the transfer's write-back (a product by 1 is exact) */
        float keep = 1.0f, factor[2] = {1.0f, 1.0f - a};
        for (unsigned k = (unsigned)n; k; k >>= 1, factor[1] *= factor[1]) keep *= factor[k & 1u];
        float moved = 1.0f - keep;
        step = (target - v) * moved;
    }
    step *= 1.0f + m->pulse_noise_rel * noise / sqrtf((float)n);
    float out = v + step;
    return out > m->v_max ? m->v_max : (out < m->v_min ? m->v_min : out);
}

/* Decay factor of (V_C - v_leak) after dt seconds: e^{-dt/tau}. */
static inline double cap3t1c_leak_factor(const cap3t1c_model *m, double dt_s)
{
    return exp(-dt_s / m->tau_s);
}

/* Pulses needed to change g by dg_uS (> 0 up, < 0 down) on the nominal device at
 * v_init: how a controller that knows only nominal values converts a request. */
int cap3t1c_pulses_for(const cap3t1c_model *m, double dg_uS);

#endif
