/* float.c — the software twin's cell: an exact float32 weight.
 *
 * It is what every analogue cell is measured against: same initial weights, same
 * data, same learning rate, no devices and no periphery. */
#include "array/tile.h"

#include <string.h>

int cell_float_create(tile *t)
{
    t->quantum = 0.0f;
    return MT_OK;
}

void cell_float_program(tile *t, const float *w_target)
{
    memcpy(t->w, w_target, (size_t)t->rows * (size_t)t->cols * sizeof *t->w);
}

/* Lanes of one vector of floats (AVX-512): a narrower tile is updated flat. */
#define FLOAT_LANES 16

/* w[s] += a[s] e[s] for s < n: the flat update of a run of a narrow tile's rows. */
static void add_products(float *restrict w, const float *restrict a, const float *restrict e, int n)
{
    for (int s = 0; s < n; s++) w[s] += a[s] * e[s];
}

row_pulses cell_float_update_rows(tile *t, const int *rows, int n_rows, float lr, const float *e)
{
    const int cols = t->cols;
    if (cols >= FLOAT_LANES) {
        for (int k = 0; k < n_rows; k++) {
            const float lr_x = lr * t->x_in[rows[k]];
            float *restrict w = t->w + (size_t)rows[k] * cols;
            for (int j = 0; j < cols; j++) w[j] += lr_x * e[j];
        }
        return (row_pulses){0, 0};
    }
    /* A narrow tile (the output layer: 10 columns): row by row, a 10-column update left
     * 6 lanes of a vector idle and cost a call per row (~14 % of a float twin's step).
     * Consecutive rows are one stretch of memory, w[i cols + j] += a_i e_j, so a run of
     * them is one flat loop over a_i and e_j laid out beside it: e repeated once per
     * call, a_i broadcast over its row (each 16-lane store spills into the next row,
     * which overwrites it).  The same products and sums as row by row. */
    float e16[FLOAT_LANES] = {0};
    float e_rep[ROW_BLOCK * FLOAT_LANES + FLOAT_LANES], a_rep[ROW_BLOCK * FLOAT_LANES + FLOAT_LANES];
    memcpy(e16, e, (size_t)cols * sizeof *e);
    for (int r = 0; r < ROW_BLOCK; r++) memcpy(e_rep + r * cols, e16, sizeof e16);
    for (int k = 0, len; k < n_rows; k += len) {
        for (len = 1; k + len < n_rows && len < ROW_BLOCK && rows[k + len] == rows[k] + len;) len++;
        for (int r = 0; r < len; r++) {
            const float a = lr * t->x_in[rows[k + r]];
            for (int j = 0; j < FLOAT_LANES; j++) a_rep[r * cols + j] = a;
        }
        add_products(t->w + (size_t)rows[k] * cols, a_rep, e_rep, len * cols);
    }
    return (row_pulses){0, 0};
}
