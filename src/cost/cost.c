/* cost.c — energy, area and throughput of the simulated hardware, from counted
 * operations.
 *
 * One concept: counts x (energy, time) per event + tile shapes -> a report.
 *
 *   energy   E = sum_k count_k e_k                       (J)
 *   time     T = T_forward + T_backward + T_update + T_transfer   (s, busy time)
 *   area     A = sum over tiles (cells + periphery)      (mm^2)
 *   ops      2 x (forward + backward + update MACs over the full arrays)
 *   GOP/s/W  = ops / E / 1e9        TOPS/mm^2 = ops / T / A / 1e12
 *
 * Energy per event (symbols are cost.* parameters, docs/cost.md):
 *   read MAC         V_read^2 (G_cell t_int + c_line)
 *   DAC conversion   e_dac
 *   ADC conversion   FoM 2^bits (Walden)
 *   neuron           e_neuron per converted output
 *   3T1C pulse       C dV vdd + c_gate vdd^2, dV = mean nominal step (cap.dv_up_V, dv_down_V)
 *   update drive     e_line per row or column line driven through an update
 *   PCM SET / RESET  e_set / e_reset
 *   verify read      V_read^2 G_cell t_int + e_dac + e_adc (one cell through the periphery)
 *   re-init          C vdd^2 (upper bound: a full charge through the reset transistor)
 *   write-back       as a 3T1C pulse / a verify read
 *   static           P_cell per cell and P_tile per tile, over max(simulated time, T)
 *
 * Time: tiles work in sequence (no pipelining).  A read pass of a tile integrates
 * for t_int, then each of its ADCs converts its share of the outputs in sequence,
 * then the neuron stage runs.  An update lasts cell.max_pulses_per_update pulse
 * slots.  Programming (transfers, refreshes, initial programming) proceeds one row
 * per tile at a time, all columns in parallel: device time / (cells per row).
 *
 * The first layer's backward pass is not computed (its input error is not needed;
 * the simulator skips it), so backward passes belong to layers 2..L. */
#include "cost/cost.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/params.h"

const char cost_ops_definition[] =
    "1 MAC = 2 operations; per training example the forward (rows x cols per layer), backward "
    "((rows-1) x cols, layers 2..L) and update (rows x cols per layer) MACs over the full arrays; "
    "evaluation passes count as forward MACs";

const char *cost_cell_name(mt_cell_kind kind)
{
    switch (kind) {
    case MT_CELL_FLOAT: return "float";
    case MT_CELL_2PCM: return "2pcm";
    case MT_CELL_2PCM3T1C: return "2pcm3t1c";
    }
    return "?";
}

int cost_cell_from_name(const char *name, mt_cell_kind *kind)
{
    static const mt_cell_kind kinds[] = {MT_CELL_FLOAT, MT_CELL_2PCM, MT_CELL_2PCM3T1C};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(name, cost_cell_name(kinds[i])) == 0) {
            *kind = kinds[i];
            return 1;
        }
    return 0;
}

static const struct {
    const char *name, *phase, *unit;
} component_info[MT_COST_COMPONENTS] = {
    [MT_COST_FORWARD_READ] = {"forward_read", "read", "MAC"},
    [MT_COST_BACKWARD_READ] = {"backward_read", "read", "MAC"},
    [MT_COST_DAC] = {"dac", "read", "conversion"},
    [MT_COST_ADC] = {"adc", "read", "conversion"},
    [MT_COST_NEURON] = {"neuron", "read", "output"},
    [MT_COST_CAP_PULSE] = {"cap_pulse", "update", "pulse"},
    [MT_COST_PCM_SET_UPDATE] = {"pcm_set_update", "update", "pulse"},
    [MT_COST_UPDATE_DRIVE] = {"update_drive", "update", "line"},
    [MT_COST_PCM_SET_PROGRAM] = {"pcm_set_program", "transfer", "pulse"},
    [MT_COST_PCM_RESET] = {"pcm_reset", "transfer", "pulse"},
    [MT_COST_VERIFY_READ] = {"verify_read", "transfer", "read"},
    [MT_COST_CAP_REINIT] = {"cap_reinit", "transfer", "cell"},
    [MT_COST_WRITEBACK_PULSE] = {"writeback_pulse", "transfer", "pulse"},
    [MT_COST_WRITEBACK_READ] = {"writeback_read", "transfer", "read"},
    [MT_COST_CELL_LEAKAGE] = {"cell_leakage", "static", "cell s"},
    [MT_COST_PERIPHERY_STATIC] = {"periphery_static", "static", "tile s"},
};

/* ------------------------------------------------------------------ per event */

/* Energy (J) and duration (s) of one event of each component; durations only for
 * the programming events (reads and updates are timed per pass, below). */
typedef struct event_costs {
    double energy_J[MT_COST_COMPONENTS];
    double program_time_s[MT_COST_COMPONENTS];
    double t_int_s, t_adc_s, t_neuron_s, t_update_slot_s;
} event_costs;

static int event_costs_of(const mt_params *p, mt_cell_kind kind, event_costs *ec, mt_error *err)
{
    const mt_cost_params *c = &p->cost;
    const int bits = c->adc_bits > 0 ? c->adc_bits : p->periph.adc_bits;
    if (bits <= 0)
        return mt_fail(err, MT_EINPUT,
                       "cost.adc_bits: the simulated ADC is ideal (periph.adc_bits = 0); set the "
                       "resolution to cost with cost.adc_bits");
    memset(ec, 0, sizeof *ec);
    const double vr2 = c->read_voltage_V * c->read_voltage_V;
    const double vdd = c->vdd_V;
    const double G = c->cell_read_conductance_uS * 1e-6;     /* S */
    const double t_int = c->integration_time_ns * 1e-9;      /* s */
    const double C = c->cap_capacitance_fF * 1e-15;          /* F */
    const double dv = 0.5 * (p->cap.dv_up_V + p->cap.dv_down_V);
    const double e_cell_read = vr2 * G * t_int;
    const double e_dac = c->dac_energy_fJ * 1e-15;
    const double e_adc = c->adc_fom_fJ_per_step * 1e-15 * ldexp(1.0, bits);
    const double e_cap_pulse = C * dv * vdd + c->cap_pulse_gate_fF * 1e-15 * vdd * vdd;
    const double e_verify = e_cell_read + e_dac + e_adc;
    double *e = ec->energy_J;
    e[MT_COST_FORWARD_READ] = e[MT_COST_BACKWARD_READ] =
        vr2 * (G * t_int + c->line_cap_per_cell_fF * 1e-15);
    e[MT_COST_DAC] = e_dac;
    e[MT_COST_ADC] = e_adc;
    e[MT_COST_NEURON] = c->neuron_energy_fJ * 1e-15;
    e[MT_COST_CAP_PULSE] = e_cap_pulse;
    e[MT_COST_PCM_SET_UPDATE] = c->pcm_set_energy_pJ * 1e-12;
    e[MT_COST_UPDATE_DRIVE] = c->update_line_energy_fJ * 1e-15;
    e[MT_COST_PCM_SET_PROGRAM] = c->pcm_set_energy_pJ * 1e-12;
    e[MT_COST_PCM_RESET] = c->pcm_reset_energy_pJ * 1e-12;
    e[MT_COST_VERIFY_READ] = e_verify;
    e[MT_COST_CAP_REINIT] = C * vdd * vdd;
    e[MT_COST_WRITEBACK_PULSE] = e_cap_pulse;
    e[MT_COST_WRITEBACK_READ] = e_verify;
    e[MT_COST_CELL_LEAKAGE] = c->cell_leakage_pW * 1e-12;   /* J per cell and second */
    e[MT_COST_PERIPHERY_STATIC] = c->tile_static_uW * 1e-6; /* J per tile and second */

    ec->t_int_s = t_int;
    ec->t_adc_s = c->adc_conversion_ns * 1e-9;
    ec->t_neuron_s = c->neuron_time_ns * 1e-9;
    ec->t_update_slot_s = (kind == MT_CELL_2PCM ? c->pcm_set_ns : c->update_pulse_ns) * 1e-9;
    double *t = ec->program_time_s;
    const double t_read = t_int + ec->t_adc_s;
    t[MT_COST_PCM_SET_PROGRAM] = c->pcm_set_ns * 1e-9;
    t[MT_COST_PCM_RESET] = c->pcm_reset_ns * 1e-9;
    t[MT_COST_VERIFY_READ] = t_read;
    t[MT_COST_CAP_REINIT] = c->update_pulse_ns * 1e-9;
    t[MT_COST_WRITEBACK_PULSE] = c->update_pulse_ns * 1e-9;
    t[MT_COST_WRITEBACK_READ] = t_read;
    return MT_OK;
}

/* ------------------------------------------------------------------ shapes */

static int check_run(const mt_cost_run *run, mt_error *err)
{
    if (run->kind == MT_CELL_FLOAT)
        return mt_fail(err, MT_EINPUT, "cell float is the software twin: it has no analogue "
                                       "hardware to cost (use 2pcm or 2pcm3t1c)");
    if (run->kind != MT_CELL_2PCM && run->kind != MT_CELL_2PCM3T1C)
        return mt_fail(err, MT_EINPUT, "unknown cell kind %d", (int)run->kind);
    if (run->layers < 1 || run->layers > MT_COST_MAX_LAYERS)
        return mt_fail(err, MT_EINPUT, "network of %d layers: the cost model takes 1 to %d",
                       run->layers, MT_COST_MAX_LAYERS);
    for (int l = 0; l < run->layers; l++)
        if (run->rows[l] < 2 || run->cols[l] < 1)
            return mt_fail(err, MT_EINPUT, "layer %d is %d x %d: a tile needs at least 2 rows "
                                           "(inputs + bias) and 1 column",
                           l + 1, run->rows[l], run->cols[l]);
    return MT_OK;
}

static double ceil_div(double a, double b) { return ceil(a / b); }

/* Area of one tile (mm^2). */
static mt_cost_tile tile_area(const mt_params *p, mt_cell_kind kind, int rows, int cols)
{
    const mt_cost_params *c = &p->cost;
    const double F2_um2 = (c->node_nm * 1e-3) * (c->node_nm * 1e-3);
    const int k = c->outputs_per_adc;
    mt_cost_tile t;
    t.rows = rows;
    t.cols = cols;
    t.adcs = (int)ceil_div(cols, k) + (int)ceil_div(rows - 1, k);
    t.lines = rows + cols;
    double cell_um2 = 2 * c->pcm_area_F2 * F2_um2;
    double shared_um2 = 0; /* one g_shared 3T1C cell per column */
    if (kind == MT_CELL_2PCM3T1C) {
        cell_um2 += c->cap3t1c_area_F2 * F2_um2;
        shared_um2 = c->cap3t1c_area_F2 * F2_um2;
    }
    t.cell_area_mm2 = ((double)rows * cols * cell_um2 + cols * shared_um2) * 1e-6;
    t.periphery_area_mm2 = (t.adcs * (c->adc_area_um2 + c->neuron_area_um2) +
                            t.lines * c->line_area_um2 + c->tile_overhead_area_um2) * 1e-6;
    return t;
}

/* Duration of one read pass producing `outputs` values on a tile edge with
 * ceil(outputs / k) ADCs: integrate, convert in sequence, activate. */
static double pass_time(const event_costs *ec, int outputs, int k)
{
    const double adcs = ceil_div(outputs, k);
    return ec->t_int_s + ceil_div(outputs, adcs) * ec->t_adc_s + ec->t_neuron_s;
}

/* ------------------------------------------------------------------ the report */

/* Passes each tile made: forward (all tiles), backward (tiles 2..L), updates. */
typedef struct passes {
    double forward, backward, update;
} passes;

static int evaluate(const mt_params *p, const mt_cost_run *run, const double count_in[],
                    const passes *n, double ops, double examples, double sim_time_s, int steady,
                    mt_cost_report *out, mt_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = check_run(run, err);
    if (rc) return rc;
    event_costs ec;
    if ((rc = event_costs_of(p, run->kind, &ec, err))) return rc;

    out->kind = run->kind;
    out->steady_state = steady;
    out->examples = examples;
    out->ops = ops;
    out->tiles = run->layers;

    /* Area and per-pass times, tile by tile. */
    double cells = 0, rows_total = 0, t_fwd = 0, t_bwd = 0, t_upd = 0;
    const int k = p->cost.outputs_per_adc;
    const double slots = p->cell.max_pulses_per_update;
    for (int l = 0; l < run->layers; l++) {
        const int rows = run->rows[l], cols = run->cols[l];
        out->tile[l] = tile_area(p, run->kind, rows, cols);
        out->cell_area_mm2 += out->tile[l].cell_area_mm2;
        out->periphery_area_mm2 += out->tile[l].periphery_area_mm2;
        cells += (double)rows * cols;
        rows_total += rows;
        t_fwd += pass_time(&ec, cols, k);
        if (l > 0) t_bwd += pass_time(&ec, rows - 1, k);
        t_upd += slots * ec.t_update_slot_s;
    }
    out->area_mm2 = out->cell_area_mm2 + out->periphery_area_mm2;

    double count[MT_COST_COMPONENTS];
    memcpy(count, count_in, sizeof count);
    out->time_forward_s = n->forward * t_fwd;
    out->time_backward_s = n->backward * t_bwd;
    out->time_update_s = n->update * t_upd;
    double program_s = 0;
    for (int c = 0; c < MT_COST_COMPONENTS; c++) program_s += count[c] * ec.program_time_s[c];
    out->time_transfer_s = program_s * rows_total / cells; /* one row per tile at a time */
    out->time_s = out->time_forward_s + out->time_backward_s + out->time_update_s +
                  out->time_transfer_s;

    /* Static power is drawn for as long as the run lasts: its simulated time, or the
     * hardware's busy time when that is longer. */
    out->static_time_s = sim_time_s > out->time_s ? sim_time_s : out->time_s;
    count[MT_COST_CELL_LEAKAGE] = cells * out->static_time_s;
    count[MT_COST_PERIPHERY_STATIC] = run->layers * out->static_time_s;
    if (sim_time_s > 0 && out->time_s > sim_time_s * (1 + 1e-12))
        snprintf(out->note, sizeof out->note,
                 "hardware busy time %.3g s exceeds the simulated time %.3g s "
                 "(train.example_time_s): the simulation assumed a faster pace than this "
                 "hardware allows",
                 out->time_s, sim_time_s);

    for (int c = 0; c < MT_COST_COMPONENTS; c++) {
        mt_cost_item *it = &out->item[c];
        it->name = component_info[c].name;
        it->phase = component_info[c].phase;
        it->unit = component_info[c].unit;
        it->count = count[c];
        it->energy_per_event_J = ec.energy_J[c];
        it->energy_J = count[c] * ec.energy_J[c];
        out->energy_J += it->energy_J;
    }
    for (int c = 0; c < MT_COST_COMPONENTS; c++)
        out->item[c].share = out->energy_J > 0 ? out->item[c].energy_J / out->energy_J : 0;

    const double per = examples > 0 ? 1.0 / examples : NAN;
    out->energy_per_example_J = out->energy_J * per;
    out->time_per_example_s = out->time_s * per;
    out->ops_per_example = ops * per;
    out->gops_per_watt = out->energy_J > 0 ? ops / out->energy_J * 1e-9 : NAN;
    out->fJ_per_op = ops > 0 ? out->energy_J / ops * 1e15 : NAN;
    out->tops_per_mm2 = out->time_s > 0 ? ops / out->time_s / out->area_mm2 * 1e-12 : NAN;
    out->gpu_gops_per_watt = p->cost.gpu_tops * 1e3 / p->cost.gpu_watts;
    out->gpu_tops_per_mm2 = p->cost.gpu_tops / p->cost.gpu_area_mm2;
    out->energy_ratio_vs_gpu = out->gops_per_watt / out->gpu_gops_per_watt;
    out->density_ratio_vs_gpu = out->tops_per_mm2 / out->gpu_tops_per_mm2;
    return MT_OK;
}

int mt_cost_run_from_params(const mt_params *p, mt_cost_run *run, mt_error *err)
{
    memset(run, 0, sizeof *run);
    int n_in, n_out;
    int shape_rc = mt_dataset_shape(p->data.dataset, &n_in, &n_out, err);
    if (shape_rc) return shape_rc;
    int hidden[MT_COST_MAX_LAYERS], n_hidden;
    int rc = params_parse_hidden(p->net.hidden, hidden, MT_COST_MAX_LAYERS - 1, &n_hidden, err);
    if (rc) return rc;
    run->kind = p->cell.kind;
    run->layers = n_hidden + 1;
    int fan_in = n_in;
    for (int l = 0; l < run->layers; l++) {
        run->rows[l] = fan_in + 1;
        run->cols[l] = l < n_hidden ? hidden[l] : n_out;
        fan_in = run->cols[l];
    }
    return MT_OK;
}

int mt_cost_steady_state(const mt_params *p, mt_cost_report *out, mt_error *err)
{
    memset(out, 0, sizeof *out);
    mt_cost_run run;
    int rc = mt_cost_run_from_params(p, &run, err);
    if (rc) return rc;
    if ((rc = check_run(&run, err))) return rc;
    const mt_cost_params *c = &p->cost;
    double count[MT_COST_COMPONENTS] = {0};
    double cells = 0, rows = 0, cols = 0;
    for (int l = 0; l < run.layers; l++) {
        const double r = run.rows[l], n = run.cols[l];
        cells += r * n;
        rows += r;
        cols += n;
        count[MT_COST_FORWARD_READ] += r * n;
        count[MT_COST_DAC] += r;
        count[MT_COST_ADC] += n;
        if (l > 0) {
            count[MT_COST_BACKWARD_READ] += (r - 1) * n;
            count[MT_COST_DAC] += n;
            count[MT_COST_ADC] += r - 1;
        }
    }
    count[MT_COST_NEURON] = count[MT_COST_ADC];
    count[MT_COST_UPDATE_DRIVE] = rows + cols; /* every line of every tile */
    if (run.kind == MT_CELL_2PCM3T1C) {
        count[MT_COST_CAP_PULSE] = cells * c->cap_pulses_per_synapse_per_example;
        /* A transfer every transfer.interval examples, amortised per example. */
        const double pairs = cells / (double)p->transfer.interval;
        count[MT_COST_PCM_SET_PROGRAM] = pairs * c->transfer_set_pulses_per_pair;
        count[MT_COST_PCM_RESET] = pairs * c->transfer_resets_per_pair;
        count[MT_COST_VERIFY_READ] = pairs * c->transfer_reads_per_pair;
        count[MT_COST_CAP_REINIT] = pairs;
        if (p->transfer.writeback) {
            count[MT_COST_WRITEBACK_PULSE] = pairs * c->writeback_pulses_per_cell;
            count[MT_COST_WRITEBACK_READ] = pairs * c->writeback_reads_per_cell;
        }
    } else {
        count[MT_COST_PCM_SET_UPDATE] = cells * c->pcm_pulses_per_synapse_per_example;
    }
    const double update_macs = cells; /* every synapse, in parallel */
    const double macs = count[MT_COST_FORWARD_READ] + count[MT_COST_BACKWARD_READ] + update_macs;
    const passes n = {1, run.layers > 1 ? 1 : 0, 1};
    rc = evaluate(p, &run, count, &n, 2 * macs, 1, p->train.example_time_s, 1, out, err);
    if (rc == MT_OK && run.kind == MT_CELL_2PCM) {
        size_t len = strlen(out->note);
        snprintf(out->note + len, sizeof out->note - len,
                 "%s2pcm steady state leaves out occasional-RESET refreshes: cost a run to "
                 "include them", len ? "; " : "");
    }
    return rc;
}

int mt_cost_of_run(const mt_params *p, const mt_cost_run *run, mt_cost_report *out, mt_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = check_run(run, err);
    if (rc) return rc;
    const mt_counters *k = &run->counters;
    double count[MT_COST_COMPONENTS] = {0};
    double cells = 0, cols = 0;
    for (int l = 0; l < run->layers; l++) {
        cells += (double)run->rows[l] * run->cols[l];
        cols += run->cols[l];
    }
    const double examples = (double)run->examples;
    count[MT_COST_FORWARD_READ] = (double)k->forward_macs;
    count[MT_COST_BACKWARD_READ] = (double)k->backward_macs;
    count[MT_COST_DAC] = (double)k->dac_conversions;
    count[MT_COST_ADC] = (double)k->adc_conversions;
    count[MT_COST_NEURON] = (double)k->adc_conversions;
    count[MT_COST_CAP_PULSE] = (double)k->cap_pulses_up + (double)k->cap_pulses_down;
    count[MT_COST_PCM_SET_UPDATE] = (double)k->pcm_set_pulses_update;
    /* Rows with a non-zero input are driven; every column of every tile is. */
    count[MT_COST_UPDATE_DRIVE] = (double)k->update_rows + examples * cols;
    /* Refreshes (2pcm) are counted in the programming counters they caused. */
    count[MT_COST_PCM_SET_PROGRAM] = (double)k->pcm_set_pulses_program;
    count[MT_COST_PCM_RESET] = (double)k->pcm_resets;
    count[MT_COST_VERIFY_READ] = (double)k->verify_reads;
    count[MT_COST_CAP_REINIT] = (double)k->cap_reinits;
    count[MT_COST_WRITEBACK_PULSE] = (double)k->writeback_pulses;
    count[MT_COST_WRITEBACK_READ] = (double)k->writeback_reads;
    const passes n = {(double)k->forward_passes / run->layers,
                      run->layers > 1 ? (double)k->backward_passes / (run->layers - 1) : 0,
                      examples};
    const double ops = 2 * ((double)k->forward_macs + (double)k->backward_macs + examples * cells);
    return evaluate(p, run, count, &n, ops, examples, run->sim_time_s, 0, out, err);
}

/* ------------------------------------------------------------------ run files */

/* A strict reader for exactly the JSON `memtrain train --json` writes: objects,
 * arrays, strings, numbers, true/false/null (RFC 8259 syntax).  Fields the cost
 * model does not use are checked for syntax and skipped. */
typedef struct jreader {
    const char *s, *end, *start;
    const char *path;
    int line;                  /* line of the file the text starts on */
    mt_error *err;
} jreader;

#define JSON_MAX_DEPTH 64

static int jfail(jreader *j, const char *what)
{
    return mt_fail(j->err, MT_EINPUT, "%s: line %d, column %ld: %s", j->path, j->line,
                   (long)(j->s - j->start) + 1, what);
}

static void jspace(jreader *j)
{
    while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' || *j->s == '\n' || *j->s == '\r')) {
        if (*j->s == '\n') {
            j->line++;
            j->start = j->s + 1;
        }
        j->s++;
    }
}

static int jchar(jreader *j, char c)
{
    jspace(j);
    if (j->s >= j->end || *j->s != c) {
        char what[32];
        snprintf(what, sizeof what, "expected '%c'", c);
        return jfail(j, what);
    }
    j->s++;
    return MT_OK;
}

/* A string into buf (escapes decoded; \u escapes outside ASCII become '?'). */
static int jstring(jreader *j, char *buf, size_t n)
{
    int rc = jchar(j, '"');
    if (rc) return rc;
    size_t len = 0;
    for (;;) {
        if (j->s >= j->end) return jfail(j, "unterminated string");
        char ch = *j->s++;
        if (ch == '"') break;
        if ((unsigned char)ch < 0x20) return jfail(j, "control character in a string");
        if (ch == '\\') {
            if (j->s >= j->end) return jfail(j, "unterminated string");
            char esc = *j->s++;
            switch (esc) {
            case '"': case '\\': case '/': break;
            case 'b': esc = '\b'; break;
            case 'f': esc = '\f'; break;
            case 'n': esc = '\n'; break;
            case 'r': esc = '\r'; break;
            case 't': esc = '\t'; break;
            case 'u': {
                unsigned v = 0;
                for (int d = 0; d < 4; d++) {
                    if (j->s >= j->end) return jfail(j, "bad \\u escape");
                    char h = *j->s++;
                    int x = h >= '0' && h <= '9'   ? h - '0'
                            : h >= 'a' && h <= 'f' ? h - 'a' + 10
                            : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                   : -1;
                    if (x < 0) return jfail(j, "bad \\u escape");
                    v = v * 16 + (unsigned)x;
                }
                esc = v < 0x80 ? (char)v : '?';
                break;
            }
            default: return jfail(j, "bad escape in a string");
            }
            ch = esc;
        }
        if (buf && len + 1 < n) buf[len++] = ch;
    }
    if (buf && n) buf[len] = '\0';
    return MT_OK;
}

/* A number; *is_uint and *u are set when it is a plain non-negative integer. */
static int jnumber(jreader *j, double *v, int *is_uint, uint64_t *u)
{
    jspace(j);
    const char *p = j->s;
    if (p < j->end && *p == '-') p++;
    if (p >= j->end || !(*p >= '0' && *p <= '9')) return jfail(j, "expected a number");
    if (*p == '0' && p + 1 < j->end && p[1] >= '0' && p[1] <= '9')
        return jfail(j, "leading zero in a number");
    int integer = 1;
    while (p < j->end && *p >= '0' && *p <= '9') p++;
    if (p < j->end && *p == '.') {
        integer = 0;
        p++;
        if (p >= j->end || !(*p >= '0' && *p <= '9')) return jfail(j, "bad number");
        while (p < j->end && *p >= '0' && *p <= '9') p++;
    }
    if (p < j->end && (*p == 'e' || *p == 'E')) {
        integer = 0;
        p++;
        if (p < j->end && (*p == '+' || *p == '-')) p++;
        if (p >= j->end || !(*p >= '0' && *p <= '9')) return jfail(j, "bad number");
        while (p < j->end && *p >= '0' && *p <= '9') p++;
    }
    char text[64];
    size_t len = (size_t)(p - j->s);
    if (len >= sizeof text) return jfail(j, "number too long");
    memcpy(text, j->s, len);
    text[len] = '\0';
    *v = strtod(text, NULL);
    *is_uint = integer && text[0] != '-';
    if (*is_uint) {
        errno = 0;
        unsigned long long x = strtoull(text, NULL, 10);
        if (errno == ERANGE) *is_uint = 0;
        else *u = (uint64_t)x;
    }
    j->s = p;
    return MT_OK;
}

static int jliteral(jreader *j, const char *word)
{
    size_t len = strlen(word);
    if ((size_t)(j->end - j->s) < len || memcmp(j->s, word, len) != 0)
        return jfail(j, "unexpected character");
    j->s += len;
    return MT_OK;
}

/* Skip one value of any kind, checking its syntax. */
static int jskip(jreader *j, int depth)
{
    if (depth > JSON_MAX_DEPTH) return jfail(j, "nested too deeply");
    jspace(j);
    if (j->s >= j->end) return jfail(j, "unexpected end of input");
    int rc;
    switch (*j->s) {
    case '"': return jstring(j, NULL, 0);
    case '{':
        j->s++;
        jspace(j);
        if (j->s < j->end && *j->s == '}') return j->s++, MT_OK;
        for (;;) {
            if ((rc = jstring(j, NULL, 0)) || (rc = jchar(j, ':')) || (rc = jskip(j, depth + 1)))
                return rc;
            jspace(j);
            if (j->s < j->end && *j->s == ',') { j->s++; continue; }
            return jchar(j, '}');
        }
    case '[':
        j->s++;
        jspace(j);
        if (j->s < j->end && *j->s == ']') return j->s++, MT_OK;
        for (;;) {
            if ((rc = jskip(j, depth + 1))) return rc;
            jspace(j);
            if (j->s < j->end && *j->s == ',') { j->s++; continue; }
            return jchar(j, ']');
        }
    case 't': return jliteral(j, "true");
    case 'f': return jliteral(j, "false");
    case 'n': return jliteral(j, "null");
    default: {
        double v;
        int is_uint;
        uint64_t u;
        return jnumber(j, &v, &is_uint, &u);
    }
    }
}

static int juint(jreader *j, const char *key, uint64_t *out)
{
    double v;
    int is_uint;
    int rc = jnumber(j, &v, &is_uint, out);
    if (rc) return rc;
    if (!is_uint) {
        char what[128];
        snprintf(what, sizeof what, "\"%s\" must be a non-negative integer", key);
        return jfail(j, what);
    }
    return MT_OK;
}

static const struct {
    const char *name;
    size_t offset;
} counter_fields[] = {
#define F(x) {#x, offsetof(mt_counters, x)}
    F(forward_passes), F(backward_passes), F(forward_macs), F(backward_macs),
    F(dac_conversions), F(adc_conversions), F(update_rows), F(cap_pulses_up),
    F(cap_pulses_down), F(pcm_set_pulses_update), F(pcm_set_pulses_program), F(pcm_resets),
    F(verify_reads), F(program_failures), F(cap_reinits), F(writeback_pulses),
    F(writeback_reads), F(refreshes), F(transfers), F(saturations),
#undef F
};
#define N_COUNTERS (sizeof counter_fields / sizeof counter_fields[0])

static int jcounters(jreader *j, mt_counters *c)
{
    int seen[N_COUNTERS] = {0};
    int rc = jchar(j, '{');
    if (rc) return rc;
    jspace(j);
    if (j->s < j->end && *j->s == '}') j->s++;
    else
        for (;;) {
            char key[64];
            if ((rc = jstring(j, key, sizeof key)) || (rc = jchar(j, ':'))) return rc;
            size_t f = 0;
            while (f < N_COUNTERS && strcmp(counter_fields[f].name, key) != 0) f++;
            if (f < N_COUNTERS) {
                if ((rc = juint(j, key, (uint64_t *)((char *)c + counter_fields[f].offset))))
                    return rc;
                seen[f] = 1;
            } else if ((rc = jskip(j, 1))) {
                return rc; /* a counter of a later version: not used here */
            }
            jspace(j);
            if (j->s < j->end && *j->s == ',') { j->s++; continue; }
            if ((rc = jchar(j, '}'))) return rc;
            break;
        }
    for (size_t f = 0; f < N_COUNTERS; f++)
        if (!seen[f])
            return mt_fail(j->err, MT_EINPUT, "%s: line %d: \"counters\" lacks \"%s\"", j->path,
                           j->line, counter_fields[f].name);
    return MT_OK;
}

static int jlayers(jreader *j, mt_cost_run *run)
{
    int rc = jchar(j, '[');
    if (rc) return rc;
    run->layers = 0;
    jspace(j);
    if (j->s < j->end && *j->s == ']') return j->s++, MT_OK;
    for (;;) {
        if (run->layers >= MT_COST_MAX_LAYERS) return jfail(j, "more layers than the cost model takes");
        uint64_t rows, cols;
        if ((rc = jchar(j, '[')) || (rc = juint(j, "layers", &rows)) || (rc = jchar(j, ',')) ||
            (rc = juint(j, "layers", &cols)) || (rc = jchar(j, ']')))
            return rc;
        if (rows > 100000000 || cols > 100000000) return jfail(j, "implausible layer shape");
        run->rows[run->layers] = (int)rows;
        run->cols[run->layers] = (int)cols;
        run->layers++;
        jspace(j);
        if (j->s < j->end && *j->s == ',') { j->s++; continue; }
        return jchar(j, ']');
    }
}

/* The top-level object of a final results line. */
static int jrun(jreader *j, mt_cost_run *run)
{
    enum { FINAL, CELL, EXAMPLES, SIM_TIME, COUNTERS, LAYERS, N_FIELDS };
    static const char *const names[N_FIELDS] = {"final", "cell", "examples", "sim_time_s",
                                                "counters", "layers"};
    int seen[N_FIELDS] = {0}, final = 0, rc;
    if ((rc = jchar(j, '{'))) return rc;
    jspace(j);
    if (j->s < j->end && *j->s == '}') j->s++;
    else
        for (;;) {
            char key[64];
            if ((rc = jstring(j, key, sizeof key)) || (rc = jchar(j, ':'))) return rc;
            int f = 0;
            while (f < N_FIELDS && strcmp(names[f], key) != 0) f++;
            if (f < N_FIELDS && seen[f]) {
                char what[96];
                snprintf(what, sizeof what, "\"%s\" appears twice", key);
                return jfail(j, what);
            }
            jspace(j);
            switch (f) {
            case FINAL:
                if (j->s < j->end && *j->s == 't') rc = jliteral(j, "true"), final = 1;
                else if (j->s < j->end && *j->s == 'f') rc = jliteral(j, "false");
                else rc = jfail(j, "\"final\" must be true or false");
                break;
            case CELL: {
                char cell[32];
                if ((rc = jstring(j, cell, sizeof cell))) break;
                if (!cost_cell_from_name(cell, &run->kind)) {
                    char what[96];
                    snprintf(what, sizeof what, "unknown cell \"%s\"", cell);
                    rc = jfail(j, what);
                }
                break;
            }
            case EXAMPLES: rc = juint(j, "examples", &run->examples); break;
            case SIM_TIME: {
                int is_uint;
                uint64_t u;
                if ((rc = jnumber(j, &run->sim_time_s, &is_uint, &u))) break;
                if (!(run->sim_time_s >= 0) || !isfinite(run->sim_time_s))
                    rc = jfail(j, "\"sim_time_s\" must be a non-negative number");
                break;
            }
            case COUNTERS: rc = jcounters(j, &run->counters); break;
            case LAYERS: rc = jlayers(j, run); break;
            default: rc = jskip(j, 1); break;
            }
            if (rc) return rc;
            if (f < N_FIELDS) seen[f] = 1;
            jspace(j);
            if (j->s < j->end && *j->s == ',') { j->s++; continue; }
            if ((rc = jchar(j, '}'))) return rc;
            break;
        }
    jspace(j);
    if (j->s != j->end) return jfail(j, "text after the object");
    for (int f = 0; f < N_FIELDS; f++)
        if (!seen[f])
            return mt_fail(j->err, MT_EINPUT,
                           "%s: line %d: no \"%s\" field: not the final object of "
                           "`memtrain train --json` output",
                           j->path, j->line, names[f]);
    if (!final)
        return mt_fail(j->err, MT_EINPUT,
                       "%s: line %d: the last object is not \"final\": true (did the run finish?)",
                       j->path, j->line);
    if (run->layers < 1) return mt_fail(j->err, MT_EINPUT, "%s: \"layers\" is empty", j->path);
    return MT_OK;
}

int mt_cost_run_read_json(const char *path, mt_cost_run *run, mt_error *err)
{
    memset(run, 0, sizeof *run);
    FILE *f = fopen(path, "rb");
    if (!f) return mt_fail(err, MT_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    const size_t limit = (size_t)1 << 28;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap || cap >= limit) break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int read_error = ferror(f);
    fclose(f);
    if (!buf) return mt_fail(err, MT_ENOMEM, "%s: out of memory reading the file", path);
    if (read_error) {
        free(buf);
        return mt_fail(err, MT_EINPUT, "%s: read error", path);
    }
    if (len == cap) {
        free(buf);
        return mt_fail(err, MT_EINPUT, "%s: larger than %zu bytes: not a results file", path, limit);
    }
    /* The last non-empty line holds the final object (JSON lines); a file whose last
     * line does not open an object is read as one JSON document instead. */
    size_t e = len;
    while (e > 0 && (buf[e - 1] == '\n' || buf[e - 1] == '\r' || buf[e - 1] == ' ' ||
                     buf[e - 1] == '\t'))
        e--;
    if (e == 0) {
        free(buf);
        return mt_fail(err, MT_EINPUT, "%s: empty file: expected `memtrain train --json` output",
                       path);
    }
    size_t b = e;
    while (b > 0 && buf[b - 1] != '\n') b--;
    size_t first = b;
    while (first < e && (buf[first] == ' ' || buf[first] == '\t')) first++;
    if (buf[first] != '{') b = 0;
    int line = 1;
    for (size_t i = 0; i < b; i++) line += buf[i] == '\n';
    jreader j = {buf + b, buf + e, buf + b, path, line, err};
    int rc = jrun(&j, run);
    free(buf);
    return rc;
}
