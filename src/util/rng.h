/* rng.h — counter-based random streams.
 *
 * Every random number in memtrain is a pure function of
 *     (seed, tile, purpose, example, index)
 * so a simulation gives the same result whatever the thread count or loop order,
 * and any draw can be recomputed without replaying the ones before it.
 *
 * The generator is SplitMix64's output function applied to a Weyl sequence:
 *     bits(key, i) = mix64(key + (i + 1) * 0x9E3779B97F4A7C15)
 * which passes BigCrush for consecutive i (Steele, Lea & Flood, OOPSLA 2014).
 * Keys are themselves mix64 hashes of the stream coordinates, so distinct streams
 * start at independent points of the 2^64 sequence.  It is branch-free 64-bit
 * integer arithmetic, which compilers vectorise (AVX-512DQ has a 64-bit multiply). */
#ifndef MT_UTIL_RNG_H
#define MT_UTIL_RNG_H

#include <math.h>
#include <stdint.h>

#include "util/ziggurat_tables.h"

/* What a stream is for: part of every key, so streams of different purposes never
 * coincide even with equal other coordinates. */
enum rng_purpose {
    RNG_INIT_WEIGHTS = 1,  /* software initial weights */
    RNG_SHUFFLE,           /* data order per epoch */
    RNG_CAP_MISMATCH,      /* 3T1C device-to-device parameters */
    RNG_PCM_MISMATCH,      /* PCM device-to-device parameters, stuck devices */
    RNG_UPDATE_ROUNDING,   /* stochastic rounding of pulse counts */
    RNG_CAP_PULSE_NOISE,   /* cycle-to-cycle noise of capacitor pulses */
    RNG_PCM_SET_NOISE,     /* cycle-to-cycle noise of PCM SET increments */
    RNG_PCM_READ_NOISE,    /* read noise during verify reads */
    RNG_OUTPUT_NOISE,      /* array output (column current) noise */
    RNG_TRANSFER,          /* closed-loop programming during transfers */
    RNG_EVAL_NOISE,        /* output noise during evaluation passes */
    RNG_TEST = 100         /* reserved for tests */
};

#define RNG_GOLDEN 0x9E3779B97F4A7C15ULL

static inline uint64_t rng_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* rng_key in two parts, for keys made every example from a fixed (seed, a, b):
 * rng_key(seed, a, b, c) == rng_key_finish(rng_key_start(seed, a, b), c), the start
 * computed once (three of the four hashes). */
static inline uint64_t rng_key_start(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t k = rng_mix64(seed ^ 0x6A09E667F3BCC909ULL);
    k = rng_mix64(k + a * RNG_GOLDEN + 0x3C6EF372FE94F82BULL);
    return rng_mix64(k + b * RNG_GOLDEN + 0xA54FF53A5F1D36F1ULL);
}

static inline uint64_t rng_key_finish(uint64_t start, uint64_t c)
{
    return rng_mix64(start + c * RNG_GOLDEN + 0x510E527FADE682D1ULL);
}

/* Key of the stream (seed, a, b, c): e.g. (seed, tile, purpose, example). */
static inline uint64_t rng_key(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    return rng_key_finish(rng_key_start(seed, a, b), c);
}

/* 64 random bits: draw number `index` of stream `key`. */
static inline uint64_t rng_bits(uint64_t key, uint64_t index)
{
    return rng_mix64(key + (index + 1) * RNG_GOLDEN);
}

/* Uniform in [0, 1) with 24 bits (float) — for comparisons in hot loops. */
static inline float rng_uniform_f(uint64_t key, uint64_t index)
{
    return (float)(int32_t)(rng_bits(key, index) >> 40) * 0x1p-24f;
}

/* Uniform in (0, 1) from 64 bits already drawn (53 of them): never exactly 0, so
 * log() is safe. */
static inline double rng_open01(uint64_t bits)
{
    return ((double)(bits >> 11) + 0.5) * 0x1p-53;
}

/* Uniform in (0, 1) with 53 bits: draw number `index` of stream `key`. */
static inline double rng_uniform(uint64_t key, uint64_t index)
{
    return rng_open01(rng_bits(key, index));
}

/* Next 64 bits of a draw that needs more than one: a rejection step continues the
 * draw's own chain, so every draw stays a pure function of (key, index). */
static inline uint64_t rng_chain(uint64_t bits)
{
    return rng_mix64(bits + RNG_GOLDEN);
}

/* The far tail |x| > ZIG_TAIL_START (Marsaglia 1964), for rng_normal's base layer. */
static inline double rng_normal_tail(uint64_t bits, int negative)
{
    double x, y;
    do {
        bits = rng_chain(bits);
        x = log(rng_open01(bits)) / ZIG_TAIL_START;
        bits = rng_chain(bits);
        y = log(rng_open01(bits));
    } while (-2.0 * y < x * x);
    return negative ? x - ZIG_TAIL_START : ZIG_TAIL_START - x;
}

/* Standard normal, exactly (to double precision), by the 256-layer ziggurat
 * (Marsaglia & Tsang 2000, Doornik 2005): one 64-bit draw picks a layer (8 bits) and a
 * position in it (53 other bits), accepted at once 99 % of the time — a table look-up
 * and a multiply instead of Box-Muller's log, sqrt and cos, which made the transfer's
 * closed-loop programming (~10 normals per synapse) cost 5x more (docs/performance.md).
 * The rare rejections continue with rng_chain. */
static inline double rng_normal(uint64_t key, uint64_t index)
{
    uint64_t b = rng_bits(key, index);
    for (;;) {
        const int i = (int)(b & 0xFF);
        const double u = ((double)(b >> 11) + 0.5) * 0x1p-52 - 1.0; /* (-1, 1) */
        const double x = u * ZIG_X[i];
        if (fabs(u) < ZIG_R[i]) return x;
        if (i == 0) return rng_normal_tail(b, u < 0.0);
        /* the wedge between the layer's rectangle and the curve */
        b = rng_chain(b);
        const double f0 = exp(-0.5 * (ZIG_X[i] * ZIG_X[i] - x * x));
        const double f1 = exp(-0.5 * (ZIG_X[i + 1] * ZIG_X[i + 1] - x * x));
        if (f1 + rng_open01(b) * (f0 - f1) < 1.0) return x;
        b = rng_chain(b);
    }
}

/* Approximately standard normal, cheaply: the Irwin-Hall sum of four 16-bit
 * uniforms, centred and scaled to unit variance.  Mean and variance are exact, the
 * kurtosis is 2.7 instead of 3 and the tails stop at ±3.46.  For cycle-to-cycle and
 * output noise, drawn millions of times per second, where the shape of the far tails
 * is not the physics being studied; device-to-device mismatch uses rng_normal. */
static inline float rng_normal_fast(uint64_t key, uint64_t index)
{
    uint64_t b = rng_bits(key, index);
    uint32_t sum = (uint32_t)(b & 0xFFFF) + (uint32_t)((b >> 16) & 0xFFFF) +
                   (uint32_t)((b >> 32) & 0xFFFF) + (uint32_t)(b >> 48);
    return ((float)sum * (1.0f / 65536.0f) + (2.0f / 65536.0f) - 2.0f) * 1.7320508f;
}

#endif
