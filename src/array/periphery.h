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
#include <stdint.h>
#include <string.h>

static inline float periphery_quantize(float v, float full_scale, int bits)
{
    if (v > full_scale) v = full_scale;
    if (v < -full_scale) v = -full_scale;
    if (bits <= 0) return v;
    float levels = (float)((1u << (bits - 1)) - 1u);
    return rintf(v / full_scale * levels) / levels * full_scale;
}

/* 1/x if x is a power of two whose reciprocal is a normal float, else 0.  Then v / x and
 * v * (1/x) are the same real number, hence the same float for every v (overflow and
 * underflow included): a division (~10 cycles a vector) can be a product (~0.5). */
static inline float periphery_exact_reciprocal(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    const uint32_t exponent = (bits >> 23) & 0xFFu;
    return (bits & 0x807FFFFFu) == 0 && exponent >= 1u && exponent <= 253u ? 1.0f / x : 0.0f;
}

/* periphery_quantize(v, full_scale, bits) exactly, for a full_scale whose
 * periphery_exact_reciprocal, inv_full_scale, is not 0.  Callers choose between the
 * two outside their loops: a choice inside one is made by computing both. */
static inline float periphery_quantize_pow2(float v, float full_scale, float inv_full_scale, int bits)
{
    if (v > full_scale) v = full_scale;
    if (v < -full_scale) v = -full_scale;
    if (bits <= 0) return v;
    float levels = (float)((1u << (bits - 1)) - 1u);
    return rintf(v * inv_full_scale * levels) / levels * full_scale;
}

#endif
