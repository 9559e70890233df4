/* test_rng.c — the counter-based streams: reproducible, independent, right moments. */
#include <string.h>

#include "test.h"
#include "util/rng.h"

TEST(rng_same_coordinates_give_same_draws)
{
    uint64_t k1 = rng_key(42, 3, RNG_UPDATE_ROUNDING, 1000);
    uint64_t k2 = rng_key(42, 3, RNG_UPDATE_ROUNDING, 1000);
    CHECK(k1 == k2);
    for (uint64_t i = 0; i < 100; i++) CHECK(rng_bits(k1, i) == rng_bits(k2, i));
}

TEST(rng_each_coordinate_changes_the_stream)
{
    uint64_t base = rng_key(42, 3, RNG_UPDATE_ROUNDING, 1000);
    CHECK(base != rng_key(43, 3, RNG_UPDATE_ROUNDING, 1000));
    CHECK(base != rng_key(42, 4, RNG_UPDATE_ROUNDING, 1000));
    CHECK(base != rng_key(42, 3, RNG_CAP_PULSE_NOISE, 1000));
    CHECK(base != rng_key(42, 3, RNG_UPDATE_ROUNDING, 1001));
    /* swapping coordinates must not collide either */
    CHECK(rng_key(1, 2, 3, 4) != rng_key(1, 3, 2, 4));
}

TEST(rng_uniform_has_uniform_moments)
{
    const int n = 1000000;
    uint64_t key = rng_key(7, 0, RNG_TEST, 0);
    double sum = 0, sum2 = 0, sumf = 0;
    int bins[10] = {0};
    for (int i = 0; i < n; i++) {
        double u = rng_uniform(key, (uint64_t)i);
        CHECK(u > 0.0 && u < 1.0);
        sum += u;
        sum2 += u * u;
        bins[(int)(u * 10)]++;
        float uf = rng_uniform_f(key, (uint64_t)i);
        CHECK(uf >= 0.0f && uf < 1.0f);
        sumf += uf;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    /* standard error of the mean: sqrt(1/12/n) = 2.9e-4; allow 5 sigma */
    CHECK_NEAR(mean, 0.5, 5 * 2.9e-4);
    CHECK_NEAR(var, 1.0 / 12.0, 1e-3);
    CHECK_NEAR(sumf / n, 0.5, 5 * 2.9e-4);
    /* chi-square with 9 degrees of freedom: 99.9 % quantile is 27.9 */
    double chi2 = 0;
    for (int b = 0; b < 10; b++) chi2 += (bins[b] - n / 10.0) * (bins[b] - n / 10.0) / (n / 10.0);
    CHECK_MSG(chi2 < 27.9, "chi2 = %g", chi2);
}

TEST(rng_normal_has_normal_moments)
{
    const int n = 1000000;
    uint64_t key = rng_key(9, 1, RNG_TEST, 0);
    double sum = 0, sum2 = 0, sum4 = 0;
    int within1 = 0;
    for (int i = 0; i < n; i++) {
        double z = rng_normal(key, (uint64_t)i);
        sum += z;
        sum2 += z * z;
        sum4 += z * z * z * z;
        within1 += fabs(z) < 1.0;
    }
    CHECK_NEAR(sum / n, 0.0, 5e-3);
    CHECK_NEAR(sum2 / n, 1.0, 5e-3);
    CHECK_NEAR(sum4 / n, 3.0, 3e-2); /* kurtosis of a Gaussian */
    CHECK_NEAR((double)within1 / n, 0.682689, 3e-3);
}

TEST(rng_normal_matches_the_gaussian_cdf_into_the_tail)
{
    /* The ziggurat's layers, wedges and its tail beyond 3.654 each cover part of the
     * range: the fraction below each threshold must match Phi to 5 binomial sigmas. */
    const double at[] = {-4.5, -3.8, -3.0, -2.0, -1.0, -0.3, 0.0, 0.7, 1.5, 2.5, 3.7, 4.2};
    enum { T = sizeof at / sizeof at[0] };
    long below[T] = {0};
    const int n = 4000000;
    uint64_t key = rng_key(10, 0, RNG_TEST, 0);
    for (int i = 0; i < n; i++) {
        double z = rng_normal(key, (uint64_t)i);
        for (int k = 0; k < T; k++) below[k] += z < at[k];
    }
    for (int k = 0; k < T; k++) {
        double phi = 0.5 * erfc(-at[k] / sqrt(2.0));
        CHECK_NEAR((double)below[k] / n, phi, 5 * sqrt(phi * (1 - phi) / n) + 1e-7);
    }
}

TEST(rng_neighbouring_streams_are_uncorrelated)
{
    /* Rows of one update use keys differing only in the example index. */
    const int n = 200000;
    uint64_t a = rng_key(1, 0, RNG_UPDATE_ROUNDING, 10);
    uint64_t b = rng_key(1, 0, RNG_UPDATE_ROUNDING, 11);
    double sab = 0;
    for (int i = 0; i < n; i++) sab += (rng_uniform(a, i) - 0.5) * (rng_uniform(b, i) - 0.5);
    /* correlation coefficient = 12 * E[(ua-.5)(ub-.5)]; its standard error is 1/sqrt(n) */
    CHECK_NEAR(12 * sab / n, 0.0, 5.0 / sqrt(n));
}

/* rng_key against its definition (four SplitMix64 hashes, src/util/rng.h), computed
 * independently in Python's integers: every stream of every run depends on it, and
 * its two-part form (the start made once per tile or layer) must give the same keys. */
TEST(rng_key_matches_its_definition_in_one_part_or_two)
{
    const uint64_t args[3][4] = {{1, 0, 5, 0}, {42, 1, 6, 123456789}, {7, 3, 9, UINT64_MAX}};
    const uint64_t want[3] = {0x0ee6ce25d56fe3faULL, 0x0ead5ad24b434568ULL, 0xf05e68221b4e9edbULL};
    for (int k = 0; k < 3; k++) {
        const uint64_t *a = args[k];
        CHECK_MSG(rng_key(a[0], a[1], a[2], a[3]) == want[k], "rng_key case %d", k);
        CHECK_MSG(rng_key_finish(rng_key_start(a[0], a[1], a[2]), a[3]) == want[k], "two-part key case %d", k);
    }
}
