/* periphery.h — the converters at the edge of a crossbar.
 *
 * DAC: an input is clipped to ±full_scale and rounded to one of 2^(bits-1) - 1
 *      levels per sign (bits = 0: ideal, clipping only).
 * ADC: an output is read with additive Gaussian noise (the array's read noise
 *      referred to the output), saturates at ±bound and is rounded like the DAC.
 * Rounding is to nearest (ties to even), so a value on a level is unchanged. */
#ifndef MT_ARRAY_PERIPHERY_H
#define MT_ARRAY_PERIPHERY_H

#include <math.h>

static inline float periphery_quantize(float v, float full_scale, int bits)
{
    if (v > full_scale) v = full_scale;
    if (v < -full_scale) v = -full_scale;
    if (bits <= 0) return v;
    float levels = (float)((1u << (bits - 1)) - 1u);
    return rintf(v / full_scale * levels) / levels * full_scale;
}

#endif
