/* firing.h — the synapses an update fires, listed for the device equations.
 *
 * Late in training ~2 % of an active row's synapses get a pulse, about two in each
 * 16-synapse group that has any, and which ones is random.  Running the device
 * equations on whole groups wastes seven lanes in eight; testing each synapse
 * mispredicts a branch at every firing one.  So the update controller's counts
 * (rounding.h) are scanned a vector at a time and the firing synapses appended to a
 * list — index, pulse count, requested change — branch-free; the cells then apply the
 * device equations to the list (2pcm3t1c: full vectors of it, gathering each synapse's
 * state by index).  Every synapse's equations and draws are its own and no synapse
 * appears twice in an update, so the order changes no result.
 *
 * Synapse indices are int32 (AVX-512 gathers take 32-bit signed offsets): a tile holds
 * at most FIRING_MAX_SYNAPSES synapses (network creation enforces it). */
#ifndef MT_ARRAY_FIRING_H
#define MT_ARRAY_FIRING_H

#include <stddef.h>
#include <stdint.h>
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#include "array/compress_table.h"
#include "array/rounding.h"
#include "array/tile.h"

#ifdef __AVX2__
/* AVX2 has no compress instruction: the permute indices that pack the lanes of an 8-bit
 * mask to the front (compress_table.h), for _mm256_permutevar8x32_*. */
static inline __m256i firing_to_front(int mask)
{
    return _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)COMPRESS_LANES[mask]));
}
#endif

/* Counts are scanned this many at a time (one AVX-512 register of int32). */
#define FIRING_GROUP 16

/* Most synapses one firing_append hands in: a narrow tile's block of rows (16 lanes a
 * row), or a rounding block of a wide row. */
#define FIRING_MAX_APPEND (ROW_BLOCK * FIRING_GROUP > ROUNDING_BLOCK ? ROW_BLOCK * FIRING_GROUP : ROUNDING_BLOCK)

/* A list holds this many before its owner must apply some (firing_append needs room
 * for FIRING_MAX_APPEND more, plus a whole group stored past the last one kept). */
#define FIRING_FLUSH 256
#define FIRING_CAPACITY (FIRING_FLUSH + FIRING_MAX_APPEND + FIRING_GROUP)

/* Largest tile the list's int32 indices can address. */
#define FIRING_MAX_SYNAPSES ((size_t)INT32_MAX)

typedef struct firing_list {
    int count;
    int32_t s[FIRING_CAPACITY]; /* synapse index row * cols + column */
    int32_t n[FIRING_CAPACITY]; /* pulse count, > 0 */
    float ae[FIRING_CAPACITY];  /* requested change a e_j: its sign is the direction */
} firing_list;

/* Append the firing ones among synapses first .. first+len-1 (len <= FIRING_GROUP). */
static inline void firing_keep(firing_list *restrict f, int32_t first, const int32_t *restrict n,
                               const float *restrict ae, int len)
{
    int c = f->count;
#ifdef __AVX512F__
    if (len == FIRING_GROUP) {
        /* one compress per array, register form (the store form is slow on AMD) */
        const __m512i nv = _mm512_loadu_si512(n);
        const __mmask16 fire = _mm512_test_epi32_mask(nv, nv);
        const __m512i sv = _mm512_add_epi32(_mm512_set1_epi32(first),
                                            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
        _mm512_storeu_si512(f->s + c, _mm512_maskz_compress_epi32(fire, sv));
        _mm512_storeu_si512(f->n + c, _mm512_maskz_compress_epi32(fire, nv));
        _mm512_storeu_ps(f->ae + c, _mm512_maskz_compress_ps(fire, _mm512_loadu_ps(ae)));
        f->count = c + __builtin_popcount(fire);
        return;
    }
#elif defined(__AVX2__)
    if (len == FIRING_GROUP) {
        /* Each half of 8 lanes packed by a permute (firing_to_front), stored whole,
         * and the next half stored after its firing lanes.  The scalar loop below took ~4 cycles a
         * lane, a quarter of the update on a Zen 3 core. */
        for (int h = 0; h < FIRING_GROUP; h += 8) {
            const __m256i nv = _mm256_loadu_si256((const __m256i *)(const void *)(n + h));
            const int fire =
                ~_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(nv, _mm256_setzero_si256()))) & 0xFF;
            const __m256i to_front = firing_to_front(fire);
            const __m256i sv = _mm256_add_epi32(_mm256_set1_epi32(first + h), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            _mm256_storeu_si256((__m256i *)(void *)(f->s + c), _mm256_permutevar8x32_epi32(sv, to_front));
            _mm256_storeu_si256((__m256i *)(void *)(f->n + c), _mm256_permutevar8x32_epi32(nv, to_front));
            _mm256_storeu_ps(f->ae + c, _mm256_permutevar8x32_ps(_mm256_loadu_ps(ae + h), to_front));
            c += __builtin_popcount((unsigned)fire);
        }
        f->count = c;
        return;
    }
#endif
    /* every lane is written, only the firing ones are kept */
    for (int j = 0; j < len; j++) {
        f->s[c] = first + j;
        f->n[c] = n[j];
        f->ae[c] = ae[j];
        c += n[j] != 0;
    }
    f->count = c;
}

/* Append the firing synapses among s0 .. s0+len-1 (len <= FIRING_MAX_APPEND; pulse
 * counts n[0..len), requested changes ae[0..len)); the list must hold at most
 * FIRING_FLUSH. */
static inline void firing_append(firing_list *restrict f, size_t s0, const int32_t *restrict n,
                                 const float *restrict ae, int len)
{
    /* The groups in which any synapse fires, listed first, branch-free: about a
     * quarter of them fire, at random, and a branch per group would mispredict. */
    int groups[FIRING_MAX_APPEND / FIRING_GROUP];
    int n_groups = 0, k0 = 0;
#ifdef __AVX512F__
    /* a whole group tested in one instruction: the portable loop below compiles to an
     * OR across the vector, lane halves folded one by one (~8 instructions a group) */
    for (; k0 + FIRING_GROUP <= len; k0 += FIRING_GROUP) {
        const __m512i nv = _mm512_loadu_si512(n + k0);
        groups[n_groups] = k0;
        n_groups += _mm512_test_epi32_mask(nv, nv) != 0;
    }
#elif defined(__AVX2__)
    for (; k0 + FIRING_GROUP <= len; k0 += FIRING_GROUP) {
        const __m256i nv = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)(n + k0)),
                                           _mm256_loadu_si256((const __m256i *)(const void *)(n + k0 + 8)));
        groups[n_groups] = k0;
        n_groups += !_mm256_testz_si256(nv, nv);
    }
#endif
    for (; k0 < len; k0 += FIRING_GROUP) {
        const int glen = len - k0 < FIRING_GROUP ? len - k0 : FIRING_GROUP;
        int32_t any = 0;
        for (int j = 0; j < glen; j++) any |= n[k0 + j];
        groups[n_groups] = k0;
        n_groups += any != 0;
    }
    for (int q = 0; q < n_groups; q++) {
        const int g0 = groups[q];
        const int glen = len - g0 < FIRING_GROUP ? len - g0 : FIRING_GROUP;
        firing_keep(f, (int32_t)(s0 + (size_t)g0), n + g0, ae + g0, glen);
    }
}

/* Pulses per unit error of a row driven with lr x (its signed request is a e_j):
 * polarity -1 turns a weight increase into down pulses (2pcm3t1c); 2pcm passes +1. */
static inline float firing_pulses_per_error(const tile *t, float lr_x, float polarity)
{
    return lr_x * polarity / t->quantum;
}

/* What a cell does with its list once it holds FIRING_FLUSH or more: apply some or all
 * of it (leaving at most FIRING_FLUSH), counting the pulses sent into *sent. */
typedef void firing_apply_fn(tile *t, firing_list *f, void *sent);

/* The pulse counts of the rows[0 .. n_rows-1] an update drives (row i asks for
 * lr x_i e_j, x_i in t->x_in), their firing synapses appended to f, apply called
 * whenever f holds FIRING_FLUSH or more.  f may hold entries already; what is left in
 * it at the end is the caller's to apply. */
void firing_collect(tile *t, const int *rows, int n_rows, float lr, float polarity, const float *e,
                    firing_list *f, firing_apply_fn *apply, void *sent);

/* A longer list, collected by one thread of a team for another to apply (tile.c's
 * hand-over): the firing synapses of the first rows_done rows of a run of rows. */
#define FIRING_HANDOFF 8192
typedef struct firing_handoff {
    int count, rows_done;
    int32_t s[FIRING_HANDOFF];
    int32_t n[FIRING_HANDOFF];
    float ae[FIRING_HANDOFF];
} firing_handoff;

/* firing_collect of rows[0 .. n_rows) into h (emptied first), applying nothing, row by
 * row while h has room for a whole row more; sets and returns h->rows_done, the rows
 * collected (the rest are the caller's).  Only for tiles of FIRING_GROUP columns or
 * more. */
int firing_collect_handoff(tile *t, const int *rows, int n_rows, float lr, float polarity, const float *e,
                           firing_handoff *h);

/* Drop the first `len` entries of the list. */
static inline void firing_drop(firing_list *f, int len)
{
    const int rest = f->count - len;
    for (int j = 0; j < rest; j++) {
        f->s[j] = f->s[len + j];
        f->n[j] = f->n[len + j];
        f->ae[j] = f->ae[len + j];
    }
    f->count = rest;
}

#endif
