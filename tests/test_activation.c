/* test_activation.c — the vectorisable e^x and the sigmoid built on it, against
 * double-precision references. */
#include <math.h>

#include "net/activation.h"
#include "test.h"

/* Within 2 ulp of the true value on the whole unclamped range (a float ulp near y is
 * at most 2^-23 y; 4 million points, every exponent of the result). */
TEST(exp_within_two_ulp_of_double_reference)
{
    double worst = 0.0;
    float worst_x = 0.0f;
    const int points = 4000000;
    for (int k = 0; k <= points; k++) {
        const float x = -87.0f + 175.0f * (float)k / (float)points;
        const double ref = exp((double)x);
        const double rel = fabs((double)activation_exp(x) - ref) / ref;
        if (rel > worst) {
            worst = rel;
            worst_x = x;
        }
    }
    CHECK_MSG(worst <= 2.0 * 0x1p-23, "worst relative error %.3g at x = %.9g (> 2 ulp)", worst,
              (double)worst_x);
    /* exact where the reduction leaves r = 0 */
    CHECK(activation_exp(0.0f) == 1.0f);
    CHECK_NEAR(activation_exp(1.0f), 2.718281828459045, 2 * 0x1p-23 * 2.72);
}

/* Outside [-87, 88] it clamps (finite and positive, so 1 / (1 + e^-z) is defined);
 * NaN stays NaN, so the network's fault check still sees it. */
TEST(exp_clamps_and_keeps_nan)
{
    const float lo = activation_exp(-1000.0f), hi = activation_exp(1000.0f);
    CHECK(lo > 0.0f && isfinite(lo));
    CHECK(hi > 1e38f && isfinite(hi));
    CHECK_NEAR(lo, exp(-87.0), 1e-44);
    CHECK(isnan(activation_exp(NAN)));
}

/* sigmoid: 1/2 at 0, symmetric (s(z) + s(-z) = 1), its limits, and within a few
 * float rounding errors of the double formula. */
TEST(sigmoid_matches_double_reference)
{
    enum { N = 2001 };
    float z[N], a[N], za[N], aa[N];
    for (int i = 0; i < N; i++) {
        z[i] = -40.0f + 80.0f * (float)i / (float)(N - 1);
        za[i] = -z[i];
    }
    activation_forward(MT_ACT_SIGMOID, z, a, N);
    activation_forward(MT_ACT_SIGMOID, za, aa, N);
    CHECK(a[N / 2] == 0.5f);
    for (int i = 0; i < N; i++) {
        const double ref = 1.0 / (1.0 + exp(-(double)z[i]));
        CHECK_MSG(fabs(a[i] - ref) <= 4 * 0x1p-24 * ref, "sigmoid(%g) = %.9g, expected %.9g",
                  (double)z[i], (double)a[i], ref);
        CHECK_NEAR(a[i] + aa[i], 1.0, 3 * 0x1p-24);
    }
    CHECK(a[0] > 0.0f && a[0] < 1e-17f);
    CHECK(a[N - 1] == 1.0f);
}
