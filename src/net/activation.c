/* activation.c — see activation.h. */
#include "net/activation.h"

#include <stdint.h>
#include <string.h>

/* e^x for x in [-87, 88] (clamped outside it), within 2 ulp of expf, in a form the
 * compiler vectorises: libm's expf is a call per element, and the hidden layer's
 * sigmoid then cost ~0.9 µs of serial time per example (as much as the output
 * layer's whole read).  Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2 (ln2_hi
 * has 8 significant bits, so n ln2_hi is exact for |n| < 2^16), Cephes' minimax
 * polynomial for e^r, and 2^n built in the exponent field. */
static inline float exp_vectorisable(float x)
{
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x); /* (NaN passes, and stays NaN) */
    /* n = round(x / ln2): adding 1.5 * 2^23 rounds to an integer, which then sits in
     * the low mantissa bits (no float-to-int conversion, undefined for NaN) */
    const float shifted = x * 1.44269504088896341f + 0x1.8p23f;
    const float n = shifted - 0x1.8p23f;
    uint32_t shifted_bits;
    memcpy(&shifted_bits, &shifted, sizeof shifted_bits);
    const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    const uint32_t bits = (shifted_bits - 0x4B400000u + 127u) << 23; /* 2^n */
    float two_n;
    memcpy(&two_n, &bits, sizeof two_n);
    return p * two_n;
}

float activation_exp(float x)
{
    return exp_vectorisable(x);
}

void activation_forward(mt_activation f, const float *z, float *a, int n)
{
    switch (f) {
    case MT_ACT_SIGMOID:
        for (int i = 0; i < n; i++) a[i] = 1.0f / (1.0f + exp_vectorisable(-z[i]));
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
