/* activation.c — see activation.h. */
#include "net/activation.h"

void activation_forward(mt_activation f, const float *z, float *a, int n)
{
    switch (f) {
    case MT_ACT_SIGMOID:
        for (int i = 0; i < n; i++) a[i] = 1.0f / (1.0f + expf(-z[i]));
        break;
    case MT_ACT_TANH:
        for (int i = 0; i < n; i++) a[i] = tanhf(z[i]);
        break;
    case MT_ACT_RELU:
        for (int i = 0; i < n; i++) a[i] = z[i] > 0.0f ? z[i] : 0.0f;
        break;
    }
}

void activation_backward(mt_activation f, const float *z, const float *a, float *d, int n)
{
    switch (f) {
    case MT_ACT_SIGMOID:
        for (int i = 0; i < n; i++) d[i] *= a[i] * (1.0f - a[i]);
        break;
    case MT_ACT_TANH:
        for (int i = 0; i < n; i++) d[i] *= 1.0f - a[i] * a[i];
        break;
    case MT_ACT_RELU:
        for (int i = 0; i < n; i++) d[i] = z[i] > 0.0f ? d[i] : 0.0f;
        break;
    }
}
