/* firing.c — the update controller's pass over the rows an update drives: pulse
 * counts (rounding.h), and the firing synapses appended to a list (firing.h) that the
 * cell applies whenever it grows long.  Both analogue cells update through it. */
#include "array/firing.h"

#include <string.h>

_Static_assert(ROUNDING_LANES == FIRING_GROUP, "a narrow tile's rows are counted chunk_ld (16) lanes wide");

/* One row of a wide tile, a rounding block at a time (a: the row's pulses per unit error). */
static void collect_row(tile *t, int row, float a, const float *e, firing_list *f, firing_apply_fn *apply,
                        void *sent)
{
    const int cols = t->cols;
    int32_t n[ROUNDING_BLOCK];
    float ae[ROUNDING_BLOCK];
    for (int j0 = 0; j0 < cols; j0 += ROUNDING_BLOCK) {
        const int len = cols - j0 < ROUNDING_BLOCK ? cols - j0 : ROUNDING_BLOCK;
        if (!tile_row_pulse_counts(t, row, a, e, j0, rounding_padded(len), n)) continue;
        for (int j = 0; j < len; j++) ae[j] = a * e[j0 + j];
        firing_append(f, (size_t)row * (size_t)cols + (size_t)j0, n, ae, len);
        if (f->count >= FIRING_FLUSH) apply(t, f, sent);
    }
}

/* Rows [first, first + span) of a tile narrower than a vector (the output layer: 10
 * columns), of which the `n_rows` listed in `rows` are updated: their synapses are
 * consecutive in memory, so their counts are scanned for firing synapses FIRING_GROUP
 * at a time across rows, not one short row at a time.  The rounding works a whole
 * vector per row (tile.h, narrow tiles): the lanes past a row count 0 and are stored
 * over the next row's first counts before that row is taken (rows are listed in
 * order), or leave a row that is not driven at 0. */
static void collect_narrow_rows(tile *t, int first, int span, const int *rows, int n_rows, float lr,
                                float polarity, const float *e, firing_list *f)
{
    enum { MAX_SYNAPSES = ROW_BLOCK * FIRING_GROUP };
    const int cols = t->cols, len = span * cols;
    const int row_fields = tile_narrow_row_fields(t);
    const int lanes = (int)t->chunk_ld;               /* FIRING_GROUP; run-time: the lane loop vectorises */
    const float max_pulses = (float)t->params.cell.max_pulses_per_update;
    int32_t n[MAX_SYNAPSES + FIRING_GROUP];
    float ae[MAX_SYNAPSES + FIRING_GROUP];
    uint16_t field[TILE_NARROW_FIELDS];
    memset(n, 0, (size_t)(len + lanes) * sizeof *n);
    memset(ae, 0, (size_t)(len + lanes) * sizeof *ae); /* rows not driven: read, never used */
    tile_narrow_fields(t, first, span, field);
#ifdef __AVX512F__
    if (lanes == 16) {
        /* rounding_counts and a e_j for one 16-lane row, written out in intrinsics: as a
         * loop of run-time length 16 gcc made a generic loop (set-up, checks, 8-lane
         * halves) per row.  The same operations in the same order, lane by lane:
         * u = (field + 1/2) 2^-16, mag = min(|a e|, cap) (min_ps(x, y) is x < y ? x : y),
         * n = (int)(mag + u), truncated. */
        const __m512 ev = _mm512_loadu_ps(e), cap = _mm512_set1_ps(max_pulses);
        for (int k = 0; k < n_rows; k++) {
            const int r = rows[k] - first;
            const float a = firing_pulses_per_error(t, lr * t->x_in[rows[k]], polarity);
            const __m512 u = _mm512_mul_ps(
                _mm512_add_ps(_mm512_cvtepi32_ps(_mm512_cvtepu16_epi32(
                                  _mm256_loadu_si256((const __m256i *)(const void *)(field + r * row_fields)))),
                              _mm512_set1_ps(0.5f)),
                _mm512_set1_ps(0x1p-16f));
            const __m512 request = _mm512_mul_ps(_mm512_set1_ps(a), ev);
            const __m512 mag = _mm512_min_ps(_mm512_abs_ps(request), cap);
            _mm512_storeu_si512(n + r * cols, _mm512_cvttps_epi32(_mm512_add_ps(mag, u)));
            _mm512_storeu_ps(ae + r * cols, request);
        }
        firing_append(f, (size_t)first * (size_t)cols, n, ae, len);
        return;
    }
#elif defined(__AVX2__)
    if (lanes == 16) {
        /* the same, each row in two halves of 8 lanes */
        const __m256 cap = _mm256_set1_ps(max_pulses), half = _mm256_set1_ps(0.5f), bin = _mm256_set1_ps(0x1p-16f);
        const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
        const __m256 ev[2] = {_mm256_loadu_ps(e), _mm256_loadu_ps(e + 8)};
        for (int k = 0; k < n_rows; k++) {
            const int r = rows[k] - first;
            const __m256 a = _mm256_set1_ps(firing_pulses_per_error(t, lr * t->x_in[rows[k]], polarity));
            for (int h = 0; h < 2; h++) {
                const __m256 u = _mm256_mul_ps(
                    _mm256_add_ps(_mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(
                                      _mm_loadu_si128((const __m128i *)(const void *)(field + r * row_fields + 8 * h)))),
                                  half),
                    bin);
                const __m256 request = _mm256_mul_ps(a, ev[h]);
                const __m256 mag = _mm256_min_ps(_mm256_and_ps(request, magnitude), cap);
                _mm256_storeu_si256((__m256i *)(void *)(n + r * cols + 8 * h), _mm256_cvttps_epi32(_mm256_add_ps(mag, u)));
                _mm256_storeu_ps(ae + r * cols + 8 * h, request);
            }
        }
        firing_append(f, (size_t)first * (size_t)cols, n, ae, len);
        return;
    }
#endif
    for (int k = 0; k < n_rows; k++) {
        const int r = rows[k] - first;
        const float a = firing_pulses_per_error(t, lr * t->x_in[rows[k]], polarity);
        /* whether any fires is left to the append's scan: an OR across each row's 16
         * lanes cost more than the block's append (the output layer fires in most blocks) */
        (void)rounding_counts(a, e, field + r * row_fields, lanes, max_pulses, n + r * cols);
        for (int j = 0; j < lanes; j++) ae[r * cols + j] = a * e[j];
    }
    firing_append(f, (size_t)first * (size_t)cols, n, ae, len);
}

void firing_collect(tile *t, const int *rows, int n_rows, float lr, float polarity, const float *e,
                    firing_list *f, firing_apply_fn *apply, void *sent)
{
    if (t->cols >= FIRING_GROUP) {
        for (int k = 0; k < n_rows; k++)
            collect_row(t, rows[k], firing_pulses_per_error(t, lr * t->x_in[rows[k]], polarity), e, f, apply,
                        sent);
        return;
    }
    /* narrow tile: one block of ROW_BLOCK rows at a time (a thread owns whole blocks) */
    for (int k = 0, end; k < n_rows; k = end) {
        end = tile_block_end(rows, k, n_rows);
        collect_narrow_rows(t, rows[k], rows[end - 1] - rows[k] + 1, rows + k, end - k, lr, polarity, e, f);
        if (f->count >= FIRING_FLUSH) apply(t, f, sent);
    }
}

/* firing_collect's apply for a hand-over: the list's entries moved to the hand-over. */
static void move_to_handoff(tile *t, firing_list *f, void *handoff)
{
    (void)t;
    firing_handoff *h = handoff;
    memcpy(h->s + h->count, f->s, (size_t)f->count * sizeof *f->s);
    memcpy(h->n + h->count, f->n, (size_t)f->count * sizeof *f->n);
    memcpy(h->ae + h->count, f->ae, (size_t)f->count * sizeof *f->ae);
    h->count += f->count;
    f->count = 0;
}

int firing_collect_handoff(tile *t, const int *rows, int n_rows, float lr, float polarity, const float *e,
                           firing_handoff *h)
{
    firing_list f;
    f.count = 0;
    h->count = 0;
    int k = 0;
    /* a row appends at most cols entries, to a list that holds fewer than FIRING_FLUSH */
    for (; k < n_rows && h->count + f.count + t->cols <= FIRING_HANDOFF; k++)
        firing_collect(t, rows + k, 1, lr, polarity, e, &f, move_to_handoff, h);
    move_to_handoff(t, &f, h);
    h->rows_done = k;
    return k;
}
