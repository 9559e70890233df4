/* rounding.h — the update controller's stochastic rounding of pulse counts.
 *
 * For synapse (i, j) of an update the controller wants |a e_j| pulses (a: the row's
 * pulses per unit error, e_j: the column's error) and sends
 *     n_ij = floor( min(|a e_j|, cap) + u_ij )
 * with u_ij uniform: E[n] = min(|a e_j|, cap), unbiased below the cap (docs/model.md §3).
 *
 * This loop touches every synapse of every active row of every update, so its cost is
 * the random draw.  One 64-bit counter-based draw serves four neighbouring synapses: its
 * four 16-bit fields, each taken at the midpoint of its bin, u = (k + 1/2) 2^-16.  The
 * rounding is then unbiased to within 2^-17 pulse per synapse and update (far below a
 * pulse's cycle-to-cycle noise), a synapse whose request is below 2^-17 pulse (or zero)
 * never fires, and the draws cost a quarter of one per synapse
 * (docs/performance.md).  Draw number of the four columns 4g .. 4g+3 of row i:
 * i * ceil(cols / 4) + g, so each synapse's uniform depends on (key, i, j) only, never on
 * blocking or threads. */
#ifndef MT_ARRAY_ROUNDING_H
#define MT_ARRAY_ROUNDING_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "util/rng.h"

/* Most columns rounding_pulse_counts handles per call. */
#define ROUNDING_BLOCK 256

/* Count loops run over a multiple of this many lanes where the caller pads the errors
 * with zeros (a zero error never fires, whatever its uniform): no scalar tail. */
#define ROUNDING_LANES 16

/* The lanes to count for len columns: len rounded up to whole vectors, except that a
 * row shorter than one vector stays as it is (widening it costs more than its tail). */
static inline int rounding_padded(int len)
{
    return len < ROUNDING_LANES ? len : (len + ROUNDING_LANES - 1) / ROUNDING_LANES * ROUNDING_LANES;
}

/* The 16-bit uniforms of columns j0 .. j0+len-1 of `row` (j0 a multiple of 4, len <=
 * ROUNDING_BLOCK) of a tile with `cols` columns, into field[0 .. 4 ceil(len / 4) - 1]. */
static inline void rounding_fields(int row, int j0, int len, int cols, uint64_t key,
                                   uint16_t *restrict field)
{
    const uint64_t first = (uint64_t)row * (uint64_t)((cols + 3) / 4) + (uint64_t)(j0 / 4) + 1u;
    const int groups = (len + 3) / 4;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Little-endian: the four fields in column order are h's bytes as they lie in
     * memory, so a vector of hashes is stored as it is.  Written field by field, gcc
     * assembled them with two word shuffles per vector (vpermt2w), a fifth of the loop. */
    for (int g = 0; g < groups; g++) {
        const uint64_t h = rng_mix64(key + (first + (uint64_t)g) * RNG_GOLDEN);
        memcpy(field + 4 * g, &h, sizeof h);
    }
#else
    for (int g = 0; g < groups; g++) {
        const uint64_t h = rng_mix64(key + (first + (uint64_t)g) * RNG_GOLDEN);
        field[4 * g] = (uint16_t)h;
        field[4 * g + 1] = (uint16_t)(h >> 16);
        field[4 * g + 2] = (uint16_t)(h >> 32);
        field[4 * g + 3] = (uint16_t)(h >> 48);
    }
#endif
}

/* Pulse counts n[0 .. len-1] of the columns whose errors start at e and whose uniforms
 * start at field.  Returns whether any count is non-zero.  Branch-free: it vectorises. */
static inline int rounding_counts(float a, const float *restrict e, const uint16_t *restrict field,
                                  int len, float cap, int32_t *restrict n)
{
    int32_t any = 0;
    for (int j = 0; j < len; j++) {
        const float u = ((float)field[j] + 0.5f) * 0x1p-16f;
        float mag = fabsf(a * e[j]);
        mag = mag < cap ? mag : cap;
        const int32_t c = (int32_t)(mag + u);
        n[j] = c;
        any |= c;
    }
    return any != 0;
}

/* Pulse counts of columns j0 .. j0+len-1 of `row` (j0 a multiple of 4, len <=
 * ROUNDING_BLOCK) of a tile with `cols` columns, into n[0 .. len-1]; e points at column
 * j0's error.  Returns whether any count is non-zero. */
static inline int rounding_pulse_counts(float a, const float *restrict e, int row, int j0, int len,
                                        int cols, uint64_t key, float cap, int32_t *restrict n)
{
    uint16_t field[ROUNDING_BLOCK];
    rounding_fields(row, j0, len, cols, key, field);
    return rounding_counts(a, e, field, len, cap, n);
}

#endif
