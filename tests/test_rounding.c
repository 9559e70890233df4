/* test_rounding.c — the controller's stochastic rounding of pulse counts
 * (src/array/rounding.h): unbiased, independent between synapses, capped, and a
 * pure function of (key, row, column). */
#include <math.h>
#include <string.h>

#include "array/rounding.h"
#include "test.h"

TEST(rounding_counts_are_unbiased_with_bernoulli_variance)
{
    /* 16 columns with requests from 0 to 3.2 pulses (and one negative), over many
     * examples (keys): mean = request, variance = frac (1 - frac). */
    enum { COLS = 16 };
    float e[COLS];
    for (int j = 0; j < COLS; j++) e[j] = 0.2f * (float)j;
    e[5] = -e[5];
    const int n = 200000;
    double sum[COLS] = {0}, sum2[COLS] = {0};
    int32_t c[COLS];
    for (int k = 0; k < n; k++) {
        rounding_pulse_counts(1.0f, e, 3, 0, COLS, COLS, rng_key(1, 0, RNG_TEST, (uint64_t)k), 63.0f, c);
        for (int j = 0; j < COLS; j++) {
            sum[j] += c[j];
            sum2[j] += (double)c[j] * c[j];
        }
    }
    for (int j = 0; j < COLS; j++) {
        const double m = fabs((double)e[j]), frac = m - floor(m);
        const double mean = sum[j] / n, var = sum2[j] / n - mean * mean;
        const double sd = sqrt(frac * (1 - frac) / n);
        CHECK_NEAR(mean, m, 5 * sd + 2e-5); /* 2^-17 bias bound of 16-bit uniforms */
        CHECK_NEAR(var, frac * (1 - frac), 5 * sqrt(frac * (1 - frac) / n) + 1e-4);
    }
    /* a request of zero never fires; an integer request always gives exactly it */
    CHECK(sum[0] == 0.0);
    CHECK(sum[10] == 2.0 * n && sum2[10] == 4.0 * n);
}

TEST(rounding_counts_are_capped_and_tiny_requests_never_fire)
{
    float e[8] = {100.0f, -100.0f, 63.0f, 62.5f, 1e-7f, -1e-7f, 0.0f, 7.0f};
    int32_t c[8];
    for (int k = 0; k < 2000; k++) {
        rounding_pulse_counts(1.0f, e, 0, 0, 8, 8, rng_key(2, 0, RNG_TEST, (uint64_t)k), 63.0f, c);
        CHECK_INT(c[0], 63);
        CHECK_INT(c[1], 63);
        CHECK_INT(c[2], 63);
        CHECK(c[3] == 62 || c[3] == 63);
        CHECK_INT(c[4], 0); /* below 2^-17 pulse */
        CHECK_INT(c[5], 0);
        CHECK_INT(c[6], 0);
        CHECK_INT(c[7], 7);
    }
}

TEST(rounding_neighbours_sharing_a_draw_are_independent)
{
    /* Columns 0..3 share one 64-bit draw: their pulses must still be independent.
     * With request 0.5 each, P(all four fire) = 1/16 and pairwise covariance 0. */
    float e[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    int32_t c[4];
    const int n = 200000;
    long all = 0, both01 = 0, both23 = 0, both03 = 0;
    for (int k = 0; k < n; k++) {
        rounding_pulse_counts(1.0f, e, 0, 0, 4, 4, rng_key(3, 0, RNG_TEST, (uint64_t)k), 63.0f, c);
        all += c[0] & c[1] & c[2] & c[3];
        both01 += c[0] & c[1];
        both23 += c[2] & c[3];
        both03 += c[0] & c[3];
    }
    CHECK_NEAR((double)all / n, 1.0 / 16, 5 * sqrt(1.0 / 16 * 15 / 16 / n));
    CHECK_NEAR((double)both01 / n, 0.25, 5 * sqrt(0.25 * 0.75 / n));
    CHECK_NEAR((double)both23 / n, 0.25, 5 * sqrt(0.25 * 0.75 / n));
    CHECK_NEAR((double)both03 / n, 0.25, 5 * sqrt(0.25 * 0.75 / n));
}

TEST(rounding_counts_depend_only_on_key_row_and_column)
{
    /* The same synapses rounded whole-row, in blocks, or from another block start give
     * the same counts: the blocking (and so the thread split) cannot change a result. */
    enum { COLS = 250 };
    float e[COLS];
    for (int j = 0; j < COLS; j++) e[j] = (float)(rng_uniform(4, (uint64_t)j) * 2.0 - 1.0);
    const uint64_t key = rng_key(5, 1, RNG_TEST, 9);
    int32_t whole[COLS], part[COLS];
    rounding_pulse_counts(1.3f, e, 7, 0, COLS, COLS, key, 63.0f, whole);
    for (int j0 = 0; j0 < COLS; j0 += 12) {
        const int len = COLS - j0 < 12 ? COLS - j0 : 12;
        rounding_pulse_counts(1.3f, e + j0, 7, j0, len, COLS, key, 63.0f, part + j0);
    }
    CHECK(memcmp(whole, part, sizeof whole) == 0);
    /* another row of the same example draws differently */
    int32_t other[COLS];
    rounding_pulse_counts(1.3f, e, 8, 0, COLS, COLS, key, 63.0f, other);
    CHECK(memcmp(whole, other, sizeof whole) != 0);
}
