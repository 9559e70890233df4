/* test_firing.c — the list of firing synapses the pulse kernels run on
 * (src/array/firing.h), against a plain loop over the counts. */
#include <string.h>

#include "array/firing.h"
#include "test.h"
#include "util/rng.h"

/* Counts with a firing pattern drawn from `seed`: about one synapse in `one_in` fires,
 * with 1 .. 3 pulses; requested changes of either sign. */
static void pattern(uint64_t seed, int len, int one_in, int32_t *n, float *ae)
{
    for (int j = 0; j < len; j++) {
        const uint64_t h = rng_bits(seed, (uint64_t)j);
        n[j] = h % (uint64_t)one_in == 0 ? 1 + (int32_t)((h >> 20) % 3u) : 0;
        ae[j] = ((h >> 40) & 1u) ? 0.25f * (float)(j + 1) : -0.5f * (float)(j + 1);
    }
}

/* Every firing synapse is listed once, in order, with its own index, count and
 * requested change, and nothing else: for lengths that are and are not whole groups,
 * for sparse and dense patterns, appended after entries already waiting. */
TEST(the_firing_list_holds_exactly_the_synapses_with_pulses)
{
    static firing_list f;
    int32_t n[FIRING_MAX_APPEND];
    float ae[FIRING_MAX_APPEND];
    const int lens[] = {1, 10, 15, 16, 17, 100, 250, 256, FIRING_MAX_APPEND};
    const int sparsity[] = {1, 2, 50, 1000000};
    int cases = 0;
    for (size_t a = 0; a < sizeof lens / sizeof *lens; a++)
        for (size_t b = 0; b < sizeof sparsity / sizeof *sparsity; b++) {
            const int len = lens[a];
            pattern(1000 * a + b, len, sparsity[b], n, ae);
            /* entries already waiting stay in front, untouched */
            f.count = 3;
            for (int k = 0; k < 3; k++) {
                f.s[k] = -1 - k;
                f.n[k] = 7;
                f.ae[k] = 9.0f;
            }
            const size_t s0 = 123456;
            firing_append(&f, s0, n, ae, len);
            int expect = 3, wrong = 0;
            for (int k = 0; k < 3; k++) wrong += f.s[k] != -1 - k || f.n[k] != 7 || f.ae[k] != 9.0f;
            for (int j = 0; j < len; j++) {
                if (!n[j]) continue;
                if (expect < f.count)
                    wrong += f.s[expect] != (int32_t)(s0 + (size_t)j) || f.n[expect] != n[j] ||
                             f.ae[expect] != ae[j];
                expect++;
            }
            CHECK_INT(f.count, expect);
            CHECK_INT(wrong, 0);
            cases++;
        }
    CHECK_INT(cases, 36);
}

/* Dropping applied entries keeps the rest, in order, at the front. */
TEST(dropping_from_the_firing_list_keeps_the_rest_in_order)
{
    static firing_list f;
    f.count = 20;
    for (int k = 0; k < 20; k++) {
        f.s[k] = 100 + k;
        f.n[k] = 1 + k % 3;
        f.ae[k] = (float)k;
    }
    firing_drop(&f, 16);
    CHECK_INT(f.count, 4);
    for (int k = 0; k < 4; k++) {
        CHECK_INT(f.s[k], 116 + k);
        CHECK_INT(f.n[k], 1 + (16 + k) % 3);
        CHECK(f.ae[k] == (float)(16 + k));
    }
}
