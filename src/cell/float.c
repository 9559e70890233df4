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

row_pulses cell_float_update_row(tile *t, int row, float lr_x, const float *e)
{
    float *restrict w = t->w + (size_t)row * t->cols;
    for (int j = 0; j < t->cols; j++) w[j] += lr_x * e[j];
    return (row_pulses){0, 0};
}
