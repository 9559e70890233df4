/* test_devices.c — the 3T1C and PCM device equations against hand-computed values. */
#include <string.h>

#include "cell/pcm_pair.h"
#include "device/cap3t1c.h"
#include "device/pcm.h"
#include "memtrain.h"
#include "test.h"
#include "util/rng.h"

static cap3t1c_model default_cap(int variability)
{
    mt_params p;
    mt_params_default(&p);
    cap3t1c_model m;
    cap3t1c_model_init(&m, &p.cap, variability);
    return m;
}

TEST(cap_conductance_is_square_law_above_threshold)
{
    cap3t1c_model m = default_cap(0);
    /* g(0.5 V) = 3 µS by construction; k = 3 / 0.35^2 µS/V^2 */
    CHECK_NEAR(cap3t1c_conductance(&m, 0.5f, 0.15f), 3.0, 1e-5);
    CHECK_NEAR(cap3t1c_conductance(&m, 0.8f, 0.15f), 3.0 / (0.35 * 0.35) * 0.65 * 0.65, 1e-4);
    CHECK_NEAR(cap3t1c_conductance(&m, 1.0f, 0.15f), 3.0 / (0.35 * 0.35) * 0.85 * 0.85, 1e-4);
    CHECK(cap3t1c_conductance(&m, 0.15f, 0.15f) == 0.0f);
    CHECK(cap3t1c_conductance(&m, 0.05f, 0.15f) == 0.0f);
    /* a device with a 50 mV higher threshold conducts less at the same V_C */
    CHECK_NEAR(cap3t1c_conductance(&m, 0.5f, 0.20f), 3.0 / (0.35 * 0.35) * 0.30 * 0.30, 1e-5);
}

TEST(cap_pulse_steps_follow_the_affine_law)
{
    cap3t1c_model m = default_cap(0);
    const float dv = 1.5e-3f, lambda = m.lambda; /* 0.5 /V */
    /* at v_init a pulse moves exactly dv either way */
    CHECK_NEAR(cap3t1c_pulse(&m, 0.5f, dv, 1, 0) - 0.5f, dv, 1e-7);
    CHECK_NEAR(cap3t1c_pulse(&m, 0.5f, -dv, 1, 0) - 0.5f, -dv, 1e-7);
    /* 0.2 V higher: up step shrinks by lambda*0.2, down step grows by it */
    CHECK_NEAR(cap3t1c_pulse(&m, 0.7f, dv, 1, 0) - 0.7f, dv * (1 - lambda * 0.2f), 2e-7);
    CHECK_NEAR(cap3t1c_pulse(&m, 0.7f, -dv, 1, 0) - 0.7f, -dv * (1 + lambda * 0.2f), 2e-7);
    /* n pulses in closed form equal n single pulses */
    float v = 0.42f;
    for (int k = 0; k < 37; k++) v = cap3t1c_pulse(&m, v, dv, 1, 0);
    CHECK_NEAR(cap3t1c_pulse(&m, 0.42f, dv, 37, 0), v, 2e-6);
    v = 0.9f;
    for (int k = 0; k < 200; k++) v = cap3t1c_pulse(&m, v, -dv, 1, 0);
    CHECK_NEAR(cap3t1c_pulse(&m, 0.9f, -dv, 200, 0), v, 1e-5);
}

TEST(cap_pulses_stay_within_the_rails)
{
    cap3t1c_model m = default_cap(0);
    CHECK(cap3t1c_pulse(&m, 0.999f, 0.01f, 100, 0) == m.v_max);
    CHECK(cap3t1c_pulse(&m, 0.001f, -0.01f, 100, 0) == m.v_min);
    m.lambda = 0.0f; /* constant steps: n pulses add exactly n dv */
    CHECK_NEAR(cap3t1c_pulse(&m, 0.3f, 1e-3f, 25, 0), 0.325, 1e-6);
    CHECK(cap3t1c_pulse(&m, 0.99f, 1e-3f, 25, 0) == m.v_max);
}

TEST(cap_pulse_noise_scales_the_step)
{
    cap3t1c_model m = default_cap(0);
    m.pulse_noise_rel = 0.1f;
    /* +2 sigma on a single pulse: 20 % larger step */
    CHECK_NEAR(cap3t1c_pulse(&m, 0.5f, 1e-3f, 1, 2.0f) - 0.5f, 1.2e-3, 1e-7);
    /* over 4 pulses the relative spread is sigma/sqrt(4) */
    float clean = cap3t1c_pulse(&m, 0.5f, 1e-3f, 4, 0.0f) - 0.5f;
    CHECK_NEAR(cap3t1c_pulse(&m, 0.5f, 1e-3f, 4, 2.0f) - 0.5f, clean * 1.1f, 1e-7);
}

TEST(cap_mismatch_has_the_configured_spread)
{
    cap3t1c_model m = default_cap(1);
    const int n = 200000;
    uint64_t key = rng_key(5, 0, RNG_TEST, 0);
    double sg = 0, sg2 = 0, su = 0, su2 = 0, sd = 0, sd2 = 0, sud = 0;
    for (int i = 0; i < n; i++) {
        float vt, up, down;
        cap3t1c_sample_device(&m, key, (uint64_t)i, &vt, &up, &down);
        double g = cap3t1c_conductance(&m, m.v_init, vt);
        sg += g; sg2 += g * g;
        su += up; su2 += (double)up * up;
        sd += down; sd2 += (double)down * down;
        sud += (double)up * down;
    }
    double mg = sg / n, mu = su / n, md = sd / n;
    double sdg = sqrt(sg2 / n - mg * mg);
    double sdu = sqrt(su2 / n - mu * mu), sdd = sqrt(sd2 / n - md * md);
    /* sigma_g_uS = 0.75 at v_init (first order in V_T; the square law adds < 2 %) */
    CHECK_NEAR(sdg, 0.75, 0.75 * 0.03);
    CHECK_NEAR(mg, 3.0, 0.05);
    CHECK_NEAR(mu, 1.5e-3, 1.5e-3 * 0.005);
    CHECK_NEAR(sdu / mu, 0.15, 0.005);
    CHECK_NEAR(sdd / md, 0.15, 0.005);
    /* up and down mismatch are independent */
    CHECK_NEAR((sud / n - mu * md) / (sdu * sdd), 0.0, 0.01);
}

TEST(cap_variability_off_means_identical_devices)
{
    cap3t1c_model m = default_cap(0);
    for (int i = 0; i < 100; i++) {
        float vt, up, down;
        cap3t1c_sample_device(&m, 77, (uint64_t)i, &vt, &up, &down);
        CHECK(vt == m.vt_nominal && up == m.dv_up && down == m.dv_down);
    }
}

TEST(cap_pulses_for_converts_nominal_conductance)
{
    cap3t1c_model m = default_cap(0);
    CHECK_INT(cap3t1c_pulses_for(&m, 10 * m.dg_up_uS), 10);
    CHECK_INT(cap3t1c_pulses_for(&m, -7 * m.dg_down_uS), 7);
    CHECK_INT(cap3t1c_pulses_for(&m, 0.4 * m.dg_up_uS), 0);
    /* nominal Δg at v_init: k((0.35 + 1.5 mV)^2 - 0.35^2) */
    double k = 3.0 / (0.35 * 0.35);
    CHECK_NEAR(m.dg_up_uS, k * (0.3515 * 0.3515 - 0.35 * 0.35), 1e-6);
}

/* ------------------------------------------------------------------ PCM */

static pcm_model default_pcm(int variability)
{
    mt_params p;
    mt_params_default(&p);
    pcm_model m;
    pcm_model_init(&m, &p.pcm, variability);
    return m;
}

TEST(pcm_set_increment_is_state_dependent_with_jump_noise)
{
    pcm_model m = default_pcm(0);
    m.set_noise_rel = 0.3f; /* small enough that clipping at 0 never happens (3.3 sigma) */
    const int n = 100000;
    uint64_t key = rng_key(3, 0, RNG_TEST, 0);
    for (int half = 0; half < 2; half++) {
        float g0 = half ? 12.5f : 0.0f; /* mean step 0.75 at G = 0, 0.375 at G_max/2 */
        double sum = 0, sum2 = 0;
        for (int i = 0; i < n; i++) {
            double d = pcm_set_pulse(&m, g0, 25.0f, (float)rng_normal(key, (uint64_t)(i + half * n))) - g0;
            sum += d;
            sum2 += d * d;
        }
        double mean = sum / n, sd = sqrt(sum2 / n - mean * mean);
        double want = 0.75 * (1 - g0 / 25.0);
        CHECK_NEAR(mean, want, want * 0.01);
        CHECK_NEAR(sd, 0.3 * want, 0.3 * want * 0.02);
    }
}

TEST(pcm_conductance_stays_in_range)
{
    pcm_model m = default_pcm(0);
    float g = 0;
    for (int i = 0; i < 10000; i++) {
        g = pcm_set_pulse(&m, g, 25.0f, (float)rng_normal(11, (uint64_t)i));
        CHECK(g >= 0.0f && g <= 25.0f);
    }
    CHECK(g > 24.0f); /* many pulses approach G_max */
    CHECK(pcm_set_pulse(&m, 25.0f, 25.0f, 3.0f) == 25.0f);
}

TEST(pcm_read_noise_is_relative)
{
    pcm_model m = default_pcm(0);
    const int n = 100000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; i++) {
        double r = pcm_read(&m, 10.0f, (float)rng_normal(12, (uint64_t)i));
        sum += r;
        sum2 += r * r;
    }
    double mean = sum / n;
    CHECK_NEAR(mean, 10.0, 0.01);
    CHECK_NEAR(sqrt(sum2 / n - mean * mean), 0.2, 0.004); /* 2 % of 10 µS */
}

TEST(pcm_drift_follows_the_power_law)
{
    CHECK_NEAR(pcm_drift_factor(0.5, 1.0, 0.05), 1.0, 0);     /* before t0: none */
    CHECK_NEAR(pcm_drift_factor(10.0, 1.0, 0.05), pow(10.0, -0.05), 1e-6);
    CHECK_NEAR(pcm_drift_factor(86400.0, 1.0, 0.1), pow(86400.0, -0.1), 1e-6);
}

TEST(pcm_devices_have_spread_and_stuck_fraction)
{
    pcm_model m = default_pcm(1);
    m.stuck_fraction = 0.01f;
    const int n = 200000;
    double s = 0, s2 = 0;
    int stuck_count = 0;
    for (int i = 0; i < n; i++) {
        float gmax, gstuck;
        int stuck;
        gmax = pcm_device_g_max(&m, 99, (uint64_t)i);
        pcm_sample_stuck(&m, 99, (uint64_t)i, &stuck, &gstuck);
        s += gmax;
        s2 += (double)gmax * gmax;
        stuck_count += stuck;
        if (stuck) CHECK(gstuck >= 0.0f && gstuck <= gmax);
    }
    double mean = s / n;
    CHECK_NEAR(mean, 25.0, 0.05);
    CHECK_NEAR(sqrt(s2 / n - mean * mean), 2.5, 0.05);
    /* binomial: sd = sqrt(n p (1-p)) = 44.5 */
    CHECK_NEAR(stuck_count, 0.01 * n, 5 * 44.5);
}

TEST(pcm_pair_closed_loop_lands_within_tolerance_or_reports_failure)
{
    pcm_model m = default_pcm(0);
    const float tol = 0.5f;
    int successes = 0;
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        float target = -18.0f + 36.0f * (float)rng_uniform(21, (uint64_t)i);
        float gp = 5.0f, gm = 7.0f; /* programming starts with RESET */
        const pair_program_options o = {tol, 20, 1, 20.0f};
        pair_program_result r = pcm_pair_program(&m, &gp, &gm, 0, 0, target, &o, NULL, 22, (uint64_t)i);
        if (r.success) {
            successes++;
            /* the verify read is within tolerance; the truth within tolerance + read noise */
            CHECK(fabsf(r.read_diff_uS - target) <= tol);
            float read_sigma = 0.02f * sqrtf(gp * gp + gm * gm);
            CHECK_MSG(fabsf((gp - gm) - target) <= tol + 5 * read_sigma,
                      "target %g, programmed %g", target, gp - gm);
        } else {
            CHECK_INT(r.set_pulses, 20); /* only a spent budget ends without success */
        }
        CHECK(r.resets >= 2 && r.resets % 2 == 0);
        CHECK(r.reads >= r.set_pulses + 1);
    }
    CHECK_MSG(successes > 0.99 * n, "only %d of %d pairs programmed", successes, n);
}

TEST(pcm_pair_without_read_noise_is_exactly_within_tolerance)
{
    pcm_model m = default_pcm(0);
    m.read_noise_rel = 0.0f;
    for (int i = 0; i < 2000; i++) {
        float target = -15.0f + 30.0f * (float)rng_uniform(23, (uint64_t)i);
        float gp = 0, gm = 0;
        const pair_program_options o = {0.3f, 100, 1, 20.0f};
        pair_program_result r = pcm_pair_program(&m, &gp, &gm, 0, 0, target, &o, NULL, 24, (uint64_t)i);
        CHECK(r.success);
        CHECK(fabsf((gp - gm) - target) <= 0.3f);
    }
}

TEST(pcm_pair_with_a_stuck_device_compensates_or_fails)
{
    pcm_model m = default_pcm(0);
    m.read_noise_rel = 0.0f;
    float gp = 10.0f, gm = 0.0f; /* G+ stuck at 10 µS */
    const pair_program_options o = {0.5f, 50, 1, 20.0f};
    pair_program_result r = pcm_pair_program(&m, &gp, &gm, 0, 1u, 4.0f, &o, NULL, 25, 1);
    CHECK(r.success);          /* reached by raising G- to ~6 µS */
    CHECK(gp == 10.0f);
    CHECK_NEAR(gp - gm, 4.0, 0.5);
    CHECK_INT(r.resets, 1);    /* the stuck device ignores RESET */
    gp = 10.0f, gm = 0.0f;
    r = pcm_pair_program(&m, &gp, &gm, 0, 1u, 15.0f, &o, NULL, 25, 2);
    CHECK(!r.success);         /* G+ cannot rise: reported, not hidden */
    CHECK_INT(r.set_pulses, 0);
}

TEST(pcm_pair_incremental_programming_keeps_a_pair_already_in_tolerance)
{
    pcm_model m = default_pcm(0);
    const pair_program_options o = {0.5f, 20, 0, 20.0f};
    float gp = 8.0f, gm = 3.0f, read = 5.2f;
    pair_program_result r = pcm_pair_program(&m, &gp, &gm, 0, 0, 5.0f, &o, &read, 26, 1);
    CHECK(r.success);
    CHECK_INT(r.set_pulses + r.resets + r.reads, 0); /* the caller's read sufficed */
    CHECK(gp == 8.0f && gm == 3.0f);
    /* lowering D without RESET raises G- */
    r = pcm_pair_program(&m, &gp, &gm, 0, 0, 2.0f, &o, NULL, 26, 2);
    CHECK(r.success && r.resets == 0);
    CHECK(gp == 8.0f && gm > 3.0f);
}

TEST(pcm_pair_resets_when_the_device_to_set_is_above_the_limit)
{
    pcm_model m = default_pcm(0);
    m.read_noise_rel = 0.0f;
    const pair_program_options o = {0.3f, 50, 0, 20.0f};
    float gp = 21.0f, gm = 15.0f; /* D = 6, raising it needs G+ above the 20 µS limit */
    pair_program_result r = pcm_pair_program(&m, &gp, &gm, 0, 0, 9.0f, &o, NULL, 27, 1);
    CHECK(r.success);
    CHECK_INT(r.resets, 2);
    CHECK_NEAR(gp - gm, 9.0, 0.3); /* reprogrammed from scratch */
    CHECK(gp < 15.0f && gm < 15.0f);
}
