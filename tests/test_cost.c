/* test_cost.c — the energy, area and throughput model (src/cost): arithmetic on a
 * hand-computed tile, the additivity of components, the ambrogio2018 preset against
 * the paper's headline figures, the steady-state shape, and the reader of run files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost/cost.h"
#include "cost/cost_params.h"
#include "memtrain.h"
#include "test.h"
#include "train/results.h"
#include "util/params.h"

/* Relative closeness for sums of products (a few roundings). */
#define CHECK_REL(a, b) CHECK_NEAR(a, b, 1e-12 * fabs((double)(b)) + 1e-300)

static void set(mt_params *p, const char *key, const char *value)
{
    mt_error err;
    int rc = mt_params_set(p, key, value, "test", &err);
    CHECK_MSG(rc == MT_OK, "%s = %s: %s", key, value, err.message);
}

/* Round-number assumptions for hand computation (comments give each event's energy). */
static void round_numbers(mt_params *p)
{
    mt_params_default(p);
    set(p, "cost.read_voltage_V", "1");
    set(p, "cost.cell_read_conductance_uS", "1");  /* 1 V^2 x 1 uS x 1 ns = 1 fJ */
    set(p, "cost.integration_time_ns", "1");
    set(p, "cost.line_cap_per_cell_fF", "1");      /* + 1 fF x 1 V^2: 2 fJ per MAC */
    set(p, "cost.dac_energy_fJ", "10");
    set(p, "cost.adc_bits", "4");
    set(p, "cost.adc_fom_fJ_per_step", "1");       /* 16 fJ per conversion */
    set(p, "cost.neuron_energy_fJ", "5");
    set(p, "cost.vdd_V", "1");
    set(p, "cost.cap_capacitance_fF", "10");
    set(p, "cap.dv_up_V", "0.002");
    set(p, "cap.dv_down_V", "0.002");             /* 10 fF x 2 mV x 1 V = 0.02 fJ */
    set(p, "cost.cap_pulse_gate_fF", "1");         /* + 1 fJ: 1.02 fJ per pulse */
    set(p, "cost.update_line_energy_fJ", "100");
    set(p, "cost.pcm_set_energy_pJ", "1");
    set(p, "cost.pcm_reset_energy_pJ", "2");
    set(p, "cost.cell_leakage_pW", "1");
    set(p, "cost.tile_static_uW", "0.001");
    /* times */
    set(p, "cost.adc_conversion_ns", "2");
    set(p, "cost.outputs_per_adc", "1");
    set(p, "cost.neuron_time_ns", "1");
    set(p, "cost.update_pulse_ns", "1");
    set(p, "cell.max_pulses_per_update", "3");
    set(p, "cost.pcm_set_ns", "10");
    set(p, "cost.pcm_reset_ns", "5");
    /* areas: F = 1 um */
    set(p, "cost.node_nm", "1000");
    set(p, "cost.pcm_area_F2", "1");
    set(p, "cost.cap3t1c_area_F2", "2");
    set(p, "cost.adc_area_um2", "10");
    set(p, "cost.neuron_area_um2", "5");
    set(p, "cost.line_area_um2", "1");
    set(p, "cost.tile_overhead_area_um2", "100");
}

static mt_cost_run small_run(void)
{
    mt_cost_run run;
    memset(&run, 0, sizeof run);
    run.kind = MT_CELL_2PCM3T1C;
    run.layers = 1;
    run.rows[0] = 3; /* 2 inputs + bias */
    run.cols[0] = 2;
    run.examples = 5;
    run.sim_time_s = 1e-3;
    mt_counters *c = &run.counters;
    c->forward_passes = 10;
    c->forward_macs = 60;
    c->dac_conversions = 30;
    c->adc_conversions = 20;
    c->update_rows = 12;
    c->cap_pulses_up = 7;
    c->cap_pulses_down = 5;
    c->pcm_set_pulses_program = 4;
    c->pcm_resets = 6;
    c->verify_reads = 8;
    c->cap_reinits = 6;
    c->writeback_pulses = 9;
    c->writeback_reads = 3;
    return run;
}

TEST(cost_of_a_3x2_tile_by_hand)
{
    mt_params p;
    round_numbers(&p);
    mt_cost_run run = small_run();
    mt_cost_report r;
    mt_error err;
    CHECK_INT(mt_cost_of_run(&p, &run, &r, &err), MT_OK);
    const double verify = 1e-15 + 10e-15 + 16e-15; /* cell read + DAC + ADC */
    const double want[MT_COST_COMPONENTS] = {
        [MT_COST_FORWARD_READ] = 60 * 2e-15,
        [MT_COST_BACKWARD_READ] = 0,
        [MT_COST_DAC] = 30 * 10e-15,
        [MT_COST_ADC] = 20 * 16e-15,
        [MT_COST_NEURON] = 20 * 5e-15,
        [MT_COST_CAP_PULSE] = 12 * 1.02e-15,
        [MT_COST_PCM_SET_UPDATE] = 0,
        [MT_COST_UPDATE_DRIVE] = (12 + 5 * 2) * 100e-15, /* active rows + every column per example */
        [MT_COST_PCM_SET_PROGRAM] = 4 * 1e-12,
        [MT_COST_PCM_RESET] = 6 * 2e-12,
        [MT_COST_VERIFY_READ] = 8 * verify,
        [MT_COST_CAP_REINIT] = 6 * 10e-15,                /* C vdd^2 */
        [MT_COST_WRITEBACK_PULSE] = 9 * 1.02e-15,
        [MT_COST_WRITEBACK_READ] = 3 * verify,
        [MT_COST_CELL_LEAKAGE] = 6 * 1e-3 * 1e-12,        /* 6 cells over the simulated 1 ms */
        [MT_COST_PERIPHERY_STATIC] = 1 * 1e-3 * 1e-9,
    };
    double total = 0;
    for (int k = 0; k < MT_COST_COMPONENTS; k++) {
        CHECK_MSG(fabs(r.item[k].energy_J - want[k]) <= 1e-12 * want[k], "%s: %.17g J, expected %.17g J",
                  r.item[k].name, r.item[k].energy_J, want[k]);
        total += want[k];
    }
    CHECK_REL(r.energy_J, total);
    double shares = 0;
    for (int k = 0; k < MT_COST_COMPONENTS; k++) shares += r.item[k].share;
    CHECK_NEAR(shares, 1, 1e-12);

    /* ops: 2 x (60 forward + 0 backward + 5 examples x 6 synapses updated) */
    CHECK_REL(r.ops, 180);
    CHECK_REL(r.gops_per_watt, 180 / total * 1e-9);
    CHECK_REL(r.energy_per_example_J, total / 5);

    /* time: a forward pass = 1 ns integration + 1 conversion of 2 ns (one ADC per
     * output) + 1 ns neuron = 4 ns, 10 passes; an update = 3 slots of 1 ns, 5 of them;
     * programming = (4x10 + 6x5 + 8x3 + 6x1 + 9x1 + 3x3) ns device time over 2 columns. */
    CHECK_REL(r.time_forward_s, 40e-9);
    CHECK_REL(r.time_backward_s, 0);
    CHECK_REL(r.time_update_s, 15e-9);
    CHECK_REL(r.time_transfer_s, 118e-9 / 2);
    CHECK_REL(r.time_s, 114e-9);
    CHECK_REL(r.static_time_s, 1e-3); /* the simulated time is the longer */

    /* area (F = 1 um): cells 6 x (2x1 + 2) F^2 + 2 shared 3T1C x 2 F^2 = 28 um^2;
     * periphery 4 ADCs x (10 + 5) + 5 lines x 1 + 100 = 165 um^2 */
    CHECK_INT(r.tile[0].adcs, 4);
    CHECK_INT(r.tile[0].lines, 5);
    CHECK_REL(r.cell_area_mm2, 28e-6);
    CHECK_REL(r.periphery_area_mm2, 165e-6);
    CHECK_REL(r.area_mm2, 193e-6);
    CHECK_REL(r.tops_per_mm2, 180 / 114e-9 / 193e-6 * 1e-12);

    /* GPU: 14 TOPS / 300 W = 46.7 GOP/s/W */
    CHECK_REL(r.gpu_gops_per_watt, 14e3 / 300);
    CHECK_REL(r.energy_ratio_vs_gpu, r.gops_per_watt / (14e3 / 300));
}

TEST(cost_of_a_2pcm_tile_by_hand)
{
    mt_params p;
    round_numbers(&p);
    mt_cost_run run = small_run();
    run.kind = MT_CELL_2PCM;
    memset(&run.counters, 0, sizeof run.counters);
    run.counters.pcm_set_pulses_update = 11;
    run.counters.update_rows = 4;
    mt_cost_report r;
    mt_error err;
    CHECK_INT(mt_cost_of_run(&p, &run, &r, &err), MT_OK);
    CHECK_REL(r.item[MT_COST_PCM_SET_UPDATE].energy_J, 11e-12);
    CHECK_REL(r.item[MT_COST_CAP_PULSE].energy_J, 0);
    /* an update slot is a SET pulse (10 ns), 3 slots, 5 examples */
    CHECK_REL(r.time_update_s, 150e-9);
    /* no 3T1C: cells 6 x 2 F^2 */
    CHECK_REL(r.cell_area_mm2, 12e-6);
}

TEST(cost_zero_counts_give_zero_dynamic_energy)
{
    mt_params p;
    mt_params_default(&p);
    mt_cost_run run = small_run();
    memset(&run.counters, 0, sizeof run.counters);
    run.examples = 0;
    run.sim_time_s = 0;
    mt_cost_report r;
    mt_error err;
    CHECK_INT(mt_cost_of_run(&p, &run, &r, &err), MT_OK);
    for (int k = 0; k < MT_COST_COMPONENTS; k++)
        CHECK_MSG(r.item[k].energy_J == 0, "%s: %g J from zero counts", r.item[k].name,
                  r.item[k].energy_J);
    CHECK(r.energy_J == 0);
    CHECK(r.time_s == 0);
    CHECK(r.area_mm2 > 0); /* the hardware exists even when idle */

    /* Idle for a second: only static energy. */
    run.sim_time_s = 1;
    CHECK_INT(mt_cost_of_run(&p, &run, &r, &err), MT_OK);
    for (int k = 0; k < MT_COST_COMPONENTS; k++)
        if (strcmp(r.item[k].phase, "static") != 0) CHECK(r.item[k].energy_J == 0);
    CHECK_REL(r.energy_J, 6 * p.cost.cell_leakage_pW * 1e-12 + p.cost.tile_static_uW * 1e-6);
}

/* Doubling one component's energy per event raises the total by exactly that
 * component's energy: the model is additive, with no hidden coupling.  The
 * parameters below each set the energy of exactly one component (the DAC and ADC
 * energies also enter the verify and write-back reads, so they are not here). */
TEST(cost_doubling_a_component_adds_exactly_its_energy)
{
    static const struct { const char *key; mt_cost_component c; } one_to_one[] = {
        {"cost.neuron_energy_fJ", MT_COST_NEURON},
        {"cost.update_line_energy_fJ", MT_COST_UPDATE_DRIVE},
        {"cost.pcm_set_energy_pJ", MT_COST_PCM_SET_PROGRAM}, /* no SET updates in 2pcm3t1c */
        {"cost.pcm_reset_energy_pJ", MT_COST_PCM_RESET},
        {"cost.cell_leakage_pW", MT_COST_CELL_LEAKAGE},
        {"cost.tile_static_uW", MT_COST_PERIPHERY_STATIC},
    };
    mt_params p;
    mt_params_default(&p);
    mt_error err;
    CHECK_INT(mt_params_apply_preset(&p, "ambrogio2018", &err), MT_OK);
    mt_cost_report base;
    CHECK_INT(mt_cost_steady_state(&p, &base, &err), MT_OK);
    for (size_t i = 0; i < sizeof one_to_one / sizeof one_to_one[0]; i++) {
        mt_params q = p;
        const param_def *d = params_find(one_to_one[i].key);
        CHECK(d != NULL);
        if (!d) continue;
        double *v = (double *)((char *)&q + d->offset);
        *v *= 2;
        mt_cost_report r;
        CHECK_INT(mt_cost_steady_state(&q, &r, &err), MT_OK);
        const double component = base.item[one_to_one[i].c].energy_J;
        CHECK_MSG(component > 0, "%s: zero in the preset", one_to_one[i].key);
        CHECK_MSG(fabs((r.energy_J - base.energy_J) - component) <= 1e-12 * base.energy_J,
                  "doubling %s moved the total by %.17g J, its component is %.17g J",
                  one_to_one[i].key, r.energy_J - base.energy_J, component);
        for (int k = 0; k < MT_COST_COMPONENTS; k++)
            if (k != (int)one_to_one[i].c) CHECK(r.item[k].energy_J == base.item[k].energy_J);
        CHECK_REL(r.item[one_to_one[i].c].share, 2 * component / r.energy_J);
    }
    /* The ADC's figure of merit enters three components, each through its count of
     * conversions: doubling it adds exactly those conversions' energy. */
    {
        mt_params q = p;
        q.cost.adc_fom_fJ_per_step *= 2;
        mt_cost_report r;
        CHECK_INT(mt_cost_steady_state(&q, &r, &err), MT_OK);
        const double conversions = base.item[MT_COST_ADC].count +
                                   base.item[MT_COST_VERIFY_READ].count +
                                   base.item[MT_COST_WRITEBACK_READ].count;
        const double e_adc = base.item[MT_COST_ADC].energy_per_event_J;
        CHECK_NEAR(r.energy_J - base.energy_J, conversions * e_adc, 1e-12 * base.energy_J);
    }
    /* The general statement, for every component at once: the total is the sum. */
    double sum = 0;
    for (int k = 0; k < MT_COST_COMPONENTS; k++) sum += base.item[k].energy_J;
    CHECK_REL(base.energy_J, sum);
}

TEST(cost_ambrogio2018_lands_within_10_percent_of_the_paper)
{
    mt_params p;
    mt_params_default(&p);
    mt_error err;
    CHECK_INT(mt_params_apply_preset(&p, "ambrogio2018", &err), MT_OK);
    CHECK_INT(mt_params_validate(&p, &err), MT_OK);
    mt_cost_report r;
    CHECK_INT(mt_cost_steady_state(&p, &r, &err), MT_OK);
    CHECK_MSG(fabs(r.gops_per_watt / 28065 - 1) <= 0.10, "%.1f GOP/s/W, paper 28,065",
              r.gops_per_watt);
    CHECK_MSG(fabs(r.tops_per_mm2 / 3.6 - 1) <= 0.10, "%.3f TOPS/mm^2, paper 3.6", r.tops_per_mm2);
    /* The preset is independent of the defaults it overrides, and is listed. */
    int listed = 0;
    for (const char *const *n = cost_preset_names(); *n; n++) listed |= !strcmp(*n, "ambrogio2018");
    CHECK(listed);
    CHECK(cost_preset_doc("ambrogio2018") != NULL);
    CHECK_INT(cost_apply_preset(&p, "no-such-preset", &err), MT_EINPUT);
}

TEST(cost_steady_state_counts_follow_the_network_shape)
{
    mt_params p;
    mt_params_default(&p); /* mnist 784-250-10, 2pcm3t1c */
    mt_cost_run run;
    mt_error err;
    CHECK_INT(mt_cost_run_from_params(&p, &run, &err), MT_OK);
    CHECK_INT(run.layers, 2);
    CHECK_INT(run.rows[0], 785);
    CHECK_INT(run.cols[0], 250);
    CHECK_INT(run.rows[1], 251);
    CHECK_INT(run.cols[1], 10);
    mt_cost_report r;
    CHECK_INT(mt_cost_steady_state(&p, &r, &err), MT_OK);
    const double cells = 785.0 * 250 + 251.0 * 10;
    CHECK_REL(r.item[MT_COST_FORWARD_READ].count, cells);
    CHECK_REL(r.item[MT_COST_BACKWARD_READ].count, 250.0 * 10); /* layer 2 only */
    CHECK_REL(r.item[MT_COST_DAC].count, 785 + 251 + 10);
    CHECK_REL(r.item[MT_COST_ADC].count, 250 + 10 + 250);
    CHECK_REL(r.item[MT_COST_UPDATE_DRIVE].count, 785 + 251 + 250 + 10);
    CHECK_REL(r.item[MT_COST_CAP_PULSE].count, cells * p.cost.cap_pulses_per_synapse_per_example);
    CHECK_REL(r.item[MT_COST_CAP_REINIT].count, cells / 8000);
    CHECK_REL(r.item[MT_COST_PCM_RESET].count, cells / 8000 * p.cost.transfer_resets_per_pair);
    CHECK_REL(r.ops, 2 * (cells + 2500 + cells));
    CHECK_REL(r.examples, 1);

    strcpy(p.data.dataset, "digits");
    strcpy(p.net.hidden, "");
    CHECK_INT(mt_cost_run_from_params(&p, &run, &err), MT_OK);
    CHECK_INT(run.layers, 1);
    CHECK_INT(run.rows[0], 65);
    CHECK_INT(run.cols[0], 10);
    CHECK_INT(mt_cost_steady_state(&p, &r, &err), MT_OK);
    CHECK(r.item[MT_COST_BACKWARD_READ].count == 0);
}

TEST(cost_rejects_what_it_cannot_cost)
{
    mt_params p;
    mt_params_default(&p);
    mt_cost_report r;
    mt_error err;
    p.cell.kind = MT_CELL_FLOAT;
    CHECK_ERROR(mt_cost_steady_state(&p, &r, &err), err, MT_EINPUT, "software twin");
    p.cell.kind = MT_CELL_2PCM3T1C;
    p.periph.adc_bits = 0;
    p.cost.adc_bits = 0;
    CHECK_ERROR(mt_cost_steady_state(&p, &r, &err), err, MT_EINPUT, "cost.adc_bits");
    p.cost.adc_bits = 8;
    CHECK_INT(mt_cost_steady_state(&p, &r, &err), MT_OK);
    strcpy(p.data.dataset, "cifar");
    CHECK_ERROR(mt_cost_steady_state(&p, &r, &err), err, MT_EINPUT, "cifar");
}

/* ------------------------------------------------------------------ run files */

static const char final_line[] =
    "{\"final\":true,\"epoch\":1,\"cell\":\"2pcm3t1c\",\"lr\":0.1,\"train_acc\":0.5,"
    "\"twin_test_acc\":null,\"examples\":1437,\"transfers\":1,\"sim_time_s\":0.01437,"
    "\"counters\":{\"forward_passes\":6468,\"backward_passes\":1437,\"forward_macs\":1793040,"
    "\"backward_macs\":459840,\"dac_conversions\":1,\"adc_conversions\":2,\"update_rows\":3,"
    "\"cap_pulses_up\":4,\"cap_pulses_down\":5,\"pcm_set_pulses_update\":0,"
    "\"pcm_set_pulses_program\":6,\"pcm_resets\":7,\"verify_reads\":8,\"program_failures\":0,"
    "\"cap_reinits\":9,\"writeback_pulses\":10,\"writeback_reads\":11,\"refreshes\":0,"
    "\"transfers\":1,\"saturations\":12},\"test_diff_pp\":null,\"layers\":[[65,32],[33,10]],"
    "\"pulse_stats\":[{\"layer\":1,\"mean_total\":1.5e-3}],\"name\":\"a \\\"quoted\\\" \\u00e9\","
    "\"seconds_total\":1.25}\n";

static const char *write_tmp(const char *name, const char *text)
{
    static char path[8][1024];
    static int k;
    char *out = path[k++ % 8];
    snprintf(out, 1024, "%s/%s", test_tmpdir(), name);
    CHECK_INT(test_write_file(out, text, strlen(text)), 0);
    return out;
}

TEST(cost_reads_the_final_object_of_a_results_file)
{
    char text[4096];
    snprintf(text, sizeof text, "{\"epoch\":1,\"cell\":\"2pcm3t1c\",\"examples\":5}\n%s\n", final_line);
    const char *path = write_tmp("run.jsonl", text);
    mt_cost_run run;
    mt_error err;
    CHECK_INT(mt_cost_run_read_json(path, &run, &err), MT_OK);
    CHECK_INT(run.kind, MT_CELL_2PCM3T1C);
    CHECK_INT(run.examples, 1437);
    CHECK_NEAR(run.sim_time_s, 0.01437, 0);
    CHECK_INT(run.layers, 2);
    CHECK_INT(run.rows[0], 65);
    CHECK_INT(run.cols[0], 32);
    CHECK_INT(run.rows[1], 33);
    CHECK_INT(run.cols[1], 10);
    CHECK_INT(run.counters.forward_macs, 1793040);
    CHECK_INT(run.counters.backward_macs, 459840);
    CHECK_INT(run.counters.writeback_reads, 11);
    CHECK_INT(run.counters.saturations, 12);
    mt_params p;
    mt_params_default(&p);
    mt_cost_report r;
    CHECK_INT(mt_cost_of_run(&p, &run, &r, &err), MT_OK);
    CHECK_REL(r.ops, 2 * (1793040.0 + 459840.0 + 1437.0 * (65 * 32 + 33 * 10)));

    /* One object spread over several lines is read as a whole. */
    char spread[8192];
    size_t n = 0;
    for (const char *c = final_line; *c && n + 2 < sizeof spread; c++) {
        spread[n++] = *c;
        if (*c == ',') spread[n++] = '\n';
    }
    spread[n] = '\0';
    mt_cost_run again;
    CHECK_INT(mt_cost_run_read_json(write_tmp("spread.json", spread), &again, &err), MT_OK);
    CHECK(memcmp(&again, &run, sizeof run) == 0);

    /* A 64-bit counter survives exactly. */
    char big[4096];
    snprintf(big, sizeof big, "%s", final_line);
    char *at = strstr(big, "\"forward_macs\":1793040");
    CHECK(at != NULL);
    if (at) {
        char rest[4096];
        snprintf(rest, sizeof rest, "%s", at + strlen("\"forward_macs\":1793040"));
        snprintf(at, sizeof big - (size_t)(at - big), "\"forward_macs\":18446744073709551615%s", rest);
        CHECK_INT(mt_cost_run_read_json(write_tmp("big.jsonl", big), &run, &err), MT_OK);
        CHECK(run.counters.forward_macs == UINT64_MAX);
    }
}

/* Replace the first occurrence of `from` in final_line by `to`. */
static const char *variant(const char *name, const char *from, const char *to)
{
    static char text[4096];
    const char *at = strstr(final_line, from);
    CHECK_MSG(at != NULL, "fixture lacks %s", from);
    if (!at) return write_tmp(name, final_line);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - final_line), final_line, to, at + strlen(from));
    return write_tmp(name, text);
}

TEST(cost_rejects_malformed_results_files)
{
    mt_cost_run run;
    mt_error err;
    const char *path;
    CHECK_ERROR(mt_cost_run_read_json("/nonexistent/run.jsonl", &run, &err), err, MT_EINPUT,
                "/nonexistent/run.jsonl: cannot open");
    path = write_tmp("empty.jsonl", "\n\n");
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "empty.jsonl: empty file");
    char truncated[4096];
    snprintf(truncated, sizeof truncated, "%.*s", 200, final_line);
    path = write_tmp("truncated.jsonl", truncated);
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "truncated.jsonl: line 1");
    path = variant("notfinal.jsonl", "\"final\":true", "\"final\":false");
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "not \"final\"");
    path = variant("nocounters.jsonl", "\"counters\"", "\"counterz\"");
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "no \"counters\"");
    path = variant("missing.jsonl", "\"verify_reads\":8,", "");
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "lacks \"verify_reads\"");
    path = variant("negative.jsonl", "\"pcm_resets\":7", "\"pcm_resets\":-7");
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "non-negative integer");
    path = variant("fraction.jsonl", "\"examples\":1437", "\"examples\":14.5");
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "\"examples\"");
    path = variant("cell.jsonl", "\"2pcm3t1c\"", "\"3pcm\"");
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "unknown cell \"3pcm\"");
    path = variant("comma.jsonl", "\"lr\":0.1,", "\"lr\":0.1,,");
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "comma.jsonl: line 1, column");
    path = variant("layers.jsonl", "[[65,32],[33,10]]", "[[65,32],[33]]");
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "expected ','");
    path = variant("twice.jsonl", "\"examples\":1437", "\"examples\":1437,\"examples\":1");
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "twice");
    path = variant("nan.jsonl", "\"lr\":0.1", "\"lr\":NaN");
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "nan.jsonl");
    char trailing[4096];
    snprintf(trailing, sizeof trailing, "%.*s} x\n", (int)strlen(final_line) - 2, final_line);
    path = write_tmp("trailing.jsonl", trailing);
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "text after the object");
    path = write_tmp("binary.jsonl", "\x7f" "ELF\x02\x01");
    CHECK_ERROR(mt_cost_run_read_json(path, &run, &err), err, MT_EINPUT, "binary.jsonl");
}

/* The final object `memtrain train --json` writes is what `memtrain cost --from` reads,
 * and its "hardware" member is the cost of the same run. */
TEST(cost_of_a_trained_network_round_trips_through_the_final_object)
{
    mt_params p;
    mt_params_default(&p);
    strcpy(p.net.hidden, "8");
    p.transfer.interval = 20;
    mt_network *net = NULL;
    mt_error err;
    CHECK_INT(mt_network_create(&p, MT_CELL_2PCM3T1C, 6, 3, &net, &err), MT_OK);
    if (!net) return;
    float x[6] = {0.9f, 0, 0.5f, 0.2f, 0, 1};
    for (uint64_t k = 0; k < 50; k++)
        CHECK_INT(mt_network_train_example(net, x, (int)(k % 3), 0.1, k, NULL, &err), MT_OK);
    mt_epoch_result r;
    memset(&r, 0, sizeof r);
    r.epoch = 1;
    r.cell = "2pcm3t1c";
    r.twin_train_acc = r.twin_test_acc = NAN;
    r.examples = 50;
    r.sim_time_s = 50 * p.train.example_time_s;
    r.counters = mt_network_counters(net);
    char path[1024];
    snprintf(path, sizeof path, "%s/final.jsonl", test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    results_json_final(f, &r, net, &p, 1.0, NULL, 0);
    fclose(f);

    mt_cost_run run;
    CHECK_INT(mt_cost_run_read_json(path, &run, &err), MT_OK);
    CHECK_INT(run.layers, 2);
    CHECK_INT(run.rows[0], 7);
    CHECK_INT(run.cols[1], 3);
    CHECK(memcmp(&run.counters, &r.counters, sizeof r.counters) == 0);
    CHECK(run.counters.cap_pulses_up + run.counters.cap_pulses_down > 0);
    CHECK(run.counters.transfers == 2);
    mt_cost_report c;
    CHECK_INT(mt_cost_of_run(&p, &run, &c, &err), MT_OK);
    CHECK(c.energy_J > 0 && c.time_s > 0);

    /* The "hardware" member carries the same energy. */
    FILE *g = fopen(path, "r");
    char line[16384] = "";
    CHECK(g && fgets(line, sizeof line, g));
    if (g) fclose(g);
    const char *hw = strstr(line, "\"hardware\":{\"energy_j\":");
    CHECK(hw != NULL);
    if (hw) CHECK_REL(strtod(hw + strlen("\"hardware\":{\"energy_j\":"), NULL), c.energy_J);
    mt_network_free(net);

    /* A float run has no hardware. */
    p.cell.kind = MT_CELL_FLOAT;
    f = fopen(path, "w");
    if (f) {
        results_json_final(f, &r, NULL, &p, 1.0, NULL, 0);
        fclose(f);
    }
    g = fopen(path, "r");
    CHECK(g && fgets(line, sizeof line, g));
    if (g) fclose(g);
    CHECK(strstr(line, "\"hardware\":null") != NULL);
}
