/* loss.c — see loss.h. */
#include "net/loss.h"

#include <math.h>

int softmax(const float *z, float *p, int n)
{
    int best = 0;
    for (int k = 1; k < n; k++)
        if (z[k] > z[best]) best = k;
    double sum = 0.0;
    for (int k = 0; k < n; k++) {
        p[k] = expf(z[k] - z[best]);
        sum += p[k];
    }
    for (int k = 0; k < n; k++) p[k] = (float)(p[k] / sum);
    return best;
}

double cross_entropy_error(const float *p, int label, float *e, int n)
{
    for (int k = 0; k < n; k++) e[k] = (k == label ? 1.0f : 0.0f) - p[k];
    return -log(fmax(p[label], 1e-30));
}
