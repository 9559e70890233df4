/* results.c — see results.h. */
#include "train/results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cost/cost.h"
#include "util/params.h"

void json_number(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "%.17g", v);
    else fputs("null", f);
}

static void field(FILE *f, const char *name, double v)
{
    fprintf(f, ",\"%s\":", name);
    json_number(f, v);
}

void results_json_counters(FILE *f, const mt_counters *c)
{
#define C(name) fprintf(f, "%s\"" #name "\":%llu", first ? "" : ",", (unsigned long long)c->name), first = 0
    int first = 1;
    fputc('{', f);
    C(forward_passes); C(backward_passes); C(forward_macs); C(backward_macs);
    C(dac_conversions); C(adc_conversions); C(update_rows); C(cap_pulses_up);
    C(cap_pulses_down); C(pcm_set_pulses_update); C(pcm_set_pulses_program); C(pcm_resets);
    C(verify_reads); C(program_failures); C(cap_reinits); C(writeback_pulses); C(writeback_reads); C(refreshes);
    C(transfers); C(saturations); C(bound_retries);
    fputc('}', f);
#undef C
}

static void epoch_fields(FILE *f, const mt_epoch_result *r)
{
    fprintf(f, "\"epoch\":%d,\"cell\":\"%s\"", r->epoch, r->cell);
    field(f, "lr", r->lr);
    field(f, "train_acc", r->train_acc);
    field(f, "test_acc", r->test_acc);
    field(f, "twin_train_acc", r->twin_train_acc);
    field(f, "twin_test_acc", r->twin_test_acc);
    field(f, "online_acc", r->online_acc);
    fprintf(f, ",\"examples\":%llu,\"transfers\":%llu", (unsigned long long)r->examples,
            (unsigned long long)r->transfers);
    field(f, "sim_time_s", r->sim_time_s);
    fputs(",\"counters\":", f);
    results_json_counters(f, &r->counters);
}

void results_json_epoch(FILE *f, const mt_epoch_result *r)
{
    results_json_epoch_tagged(f, "", r);
}

void results_json_epoch_tagged(FILE *f, const char *tags, const mt_epoch_result *r)
{
    fputc('{', f);
    fputs(tags, f);
    epoch_fields(f, r);
    field(f, "seconds", r->seconds);
    fputs("}\n", f);
    fflush(f);
}

void results_print_epoch(FILE *f, const mt_epoch_result *r, int epochs)
{
    fprintf(f, "epoch %2d/%d  %-8s  train %6.2f%%  test %6.2f%%", r->epoch, epochs, r->cell,
            100 * r->train_acc, 100 * r->test_acc);
    if (isfinite(r->twin_test_acc))
        fprintf(f, "  |  twin train %6.2f%%  test %6.2f%%  |  diff %+.2f pp", 100 * r->twin_train_acc,
                100 * r->twin_test_acc, 100 * (r->test_acc - r->twin_test_acc));
    fprintf(f, "  |  transfers %llu  %.1f s\n", (unsigned long long)r->transfers, r->seconds);
    fflush(f);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(const double *sorted, size_t n, double q)
{
    if (n == 0) return NAN;
    size_t k = (size_t)floor(q * (double)(n - 1) + 0.5);
    return sorted[k];
}

int results_pulse_summary(const mt_network *net, int layer, long window, pulse_summary *out)
{
    const int32_t *total, *netp;
    memset(out, 0, sizeof *out);
    if (!mt_network_pulse_stats(net, layer, &total, &netp)) return 0;
    int rows, cols;
    mt_network_layer_shape(net, layer, &rows, &cols);
    size_t n = (size_t)rows * (size_t)cols;
    double *t = malloc(n * sizeof *t), *a = malloc(n * sizeof *a);
    if (!t || !a) {
        free(t);
        free(a);
        return 0;
    }
    double sum_t = 0, sum_a = 0, sum_tp = 0, sum_ap = 0;
    size_t pulsed = 0;
    for (size_t s = 0; s < n; s++) {
        t[s] = total[s];
        a[s] = abs(netp[s]);
        sum_t += t[s];
        sum_a += a[s];
        if (total[s] > 0) {
            pulsed++;
            sum_tp += t[s];
            sum_ap += a[s];
        }
    }
    qsort(t, n, sizeof *t, cmp_double);
    qsort(a, n, sizeof *a, cmp_double);
    out->layer = layer + 1;
    out->rows = rows;
    out->cols = cols;
    out->window = window;
    out->mean_total = sum_t / (double)n;
    out->median_total = quantile(t, n, 0.5);
    out->p90_total = quantile(t, n, 0.9);
    out->mean_abs_net = sum_a / (double)n;
    out->median_abs_net = quantile(a, n, 0.5);
    out->p90_abs_net = quantile(a, n, 0.9);
    out->fraction_pulsed = (double)pulsed / (double)n;
    out->mean_total_pulsed = pulsed ? sum_tp / (double)pulsed : 0;
    out->mean_abs_net_pulsed = pulsed ? sum_ap / (double)pulsed : 0;
    free(t);
    free(a);
    return 1;
}

void results_print_pulse_summary(FILE *f, const pulse_summary *s)
{
    fprintf(f,
            "pulses per synapse, layer %d (%dx%d) over %ld examples: total mean %.1f median %.0f "
            "p90 %.0f | |net| mean %.1f median %.0f p90 %.0f | %.1f%% of synapses pulsed "
            "(their mean total %.1f, |net| %.1f)\n",
            s->layer, s->rows, s->cols, s->window, s->mean_total, s->median_total, s->p90_total,
            s->mean_abs_net, s->median_abs_net, s->p90_abs_net, 100 * s->fraction_pulsed,
            s->mean_total_pulsed, s->mean_abs_net_pulsed);
}

void results_json_final(FILE *f, const mt_epoch_result *r, const mt_network *net,
                        const mt_params *p, double seconds_total, const pulse_summary *pulses,
                        int n_pulses)
{
    fputs("{\"final\":true,", f);
    epoch_fields(f, r);
    field(f, "test_diff_pp", 100 * (r->test_acc - r->twin_test_acc));
    fputs(",\"layers\":[", f);
    for (int l = 0; net && l < mt_network_layers(net); l++) {
        int rows, cols;
        mt_network_layer_shape(net, l, &rows, &cols);
        fprintf(f, "%s[%d,%d]", l ? "," : "", rows, cols);
    }
    fputc(']', f);
    fputs(",\"pulse_stats\":[", f);
    for (int k = 0; k < n_pulses; k++) {
        const pulse_summary *s = &pulses[k];
        fprintf(f, "%s{\"layer\":%d,\"rows\":%d,\"cols\":%d,\"window\":%ld", k ? "," : "", s->layer,
                s->rows, s->cols, s->window);
        field(f, "mean_total", s->mean_total);
        field(f, "median_total", s->median_total);
        field(f, "p90_total", s->p90_total);
        field(f, "mean_abs_net", s->mean_abs_net);
        field(f, "median_abs_net", s->median_abs_net);
        field(f, "p90_abs_net", s->p90_abs_net);
        field(f, "fraction_pulsed", s->fraction_pulsed);
        field(f, "mean_total_pulsed", s->mean_total_pulsed);
        field(f, "mean_abs_net_pulsed", s->mean_abs_net_pulsed);
        fputc('}', f);
    }
    fputc(']', f);
    fputs(",\"hardware\":", f);
    results_json_hardware(f, r, net, p);
    field(f, "seconds_total", seconds_total);
    fputs("}\n", f);
    fflush(f);
}

/* ------------------------------------------------------------------ cost reports */

/* A JSON string of plain text (names and messages written by memtrain). */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

void results_json_hardware(FILE *f, const mt_epoch_result *r, const mt_network *net,
                           const mt_params *p)
{
    mt_cost_run run;
    memset(&run, 0, sizeof run);
    mt_cost_report c;
    int ok = p && net && p->cell.kind != MT_CELL_FLOAT &&
             mt_network_layers(net) <= MT_COST_MAX_LAYERS;
    if (ok) {
        run.kind = p->cell.kind;
        run.layers = mt_network_layers(net);
        for (int l = 0; l < run.layers; l++)
            mt_network_layer_shape(net, l, &run.rows[l], &run.cols[l]);
        run.examples = r->examples;
        run.sim_time_s = r->sim_time_s;
        run.counters = r->counters;
        ok = mt_cost_of_run(p, &run, &c, NULL) == MT_OK;
    }
    if (!ok) {
        fputs("null", f);
        return;
    }
    fputs("{\"energy_j\":", f);
    json_number(f, c.energy_J);
    field(f, "time_s", c.time_s);
    field(f, "ops", c.ops);
    field(f, "energy_per_example_j", c.energy_per_example_J);
    field(f, "time_per_example_s", c.time_per_example_s);
    field(f, "gops_per_watt", c.gops_per_watt);
    field(f, "tops_per_mm2", c.tops_per_mm2);
    field(f, "area_mm2", c.area_mm2);
    fputs(",\"components\":{", f);
    for (int k = 0; k < MT_COST_COMPONENTS; k++) {
        fprintf(f, "%s\"%s\":", k ? "," : "", c.item[k].name);
        json_number(f, c.item[k].energy_J);
    }
    fputs("}}", f);
}

void results_json_cost(FILE *f, const mt_cost_report *c, const mt_params *p, const char *from)
{
    fprintf(f, "{\"mode\":\"%s\",\"cell\":\"%s\"", c->steady_state ? "steady_state" : "run",
            cost_cell_name(c->kind));
    if (from) {
        fputs(",\"from\":", f);
        json_string(f, from);
    }
    fputs(",\"ops_definition\":", f);
    json_string(f, cost_ops_definition);
    field(f, "gops_per_watt", c->gops_per_watt);
    field(f, "tops_per_mm2", c->tops_per_mm2);
    field(f, "energy_per_example_j", c->energy_per_example_J);
    field(f, "time_per_example_s", c->time_per_example_s);
    field(f, "ops_per_example", c->ops_per_example);
    field(f, "fj_per_op", c->fJ_per_op);
    field(f, "examples", c->examples);
    field(f, "ops", c->ops);
    field(f, "energy_j", c->energy_J);
    field(f, "time_s", c->time_s);
    fputs(",\"time_breakdown_s\":{\"forward\":", f);
    json_number(f, c->time_forward_s);
    field(f, "backward", c->time_backward_s);
    field(f, "update", c->time_update_s);
    field(f, "transfer", c->time_transfer_s);
    fputc('}', f);
    field(f, "static_time_s", c->static_time_s);
    field(f, "area_mm2", c->area_mm2);
    field(f, "cell_area_mm2", c->cell_area_mm2);
    field(f, "periphery_area_mm2", c->periphery_area_mm2);
    fputs(",\"tiles\":[", f);
    for (int l = 0; l < c->tiles; l++) {
        const mt_cost_tile *t = &c->tile[l];
        fprintf(f, "%s{\"rows\":%d,\"cols\":%d,\"adcs\":%d,\"lines\":%d", l ? "," : "", t->rows,
                t->cols, t->adcs, t->lines);
        field(f, "cell_area_mm2", t->cell_area_mm2);
        field(f, "periphery_area_mm2", t->periphery_area_mm2);
        fputc('}', f);
    }
    fputs("],\"components\":[", f);
    for (int k = 0; k < MT_COST_COMPONENTS; k++) {
        const mt_cost_item *it = &c->item[k];
        fprintf(f, "%s{\"name\":\"%s\",\"phase\":\"%s\",\"unit\":\"%s\"", k ? "," : "", it->name,
                it->phase, it->unit);
        field(f, "count", it->count);
        field(f, "energy_per_event_j", it->energy_per_event_J);
        field(f, "energy_j", it->energy_J);
        field(f, "share", it->share);
        fputc('}', f);
    }
    fputs("],\"gpu\":{\"tops\":", f);
    json_number(f, p->cost.gpu_tops);
    field(f, "watts", p->cost.gpu_watts);
    field(f, "area_mm2", p->cost.gpu_area_mm2);
    field(f, "gops_per_watt", c->gpu_gops_per_watt);
    field(f, "tops_per_mm2", c->gpu_tops_per_mm2);
    field(f, "energy_ratio", c->energy_ratio_vs_gpu);
    field(f, "density_ratio", c->density_ratio_vs_gpu);
    fputs("},\"note\":", f);
    if (c->note[0]) json_string(f, c->note);
    else fputs("null", f);
    /* Every assumption: the cost.* table and the device parameters the model reads. */
    static const char *const device_keys[] = {"cap.dv_up_V", "cap.dv_down_V", "periph.adc_bits",
                                              "cell.max_pulses_per_update", "transfer.interval",
                                              "transfer.writeback", "train.example_time_s",
                                              "data.dataset", "net.hidden"};
    fputs(",\"assumptions\":{", f);
    int first = 1;
    for (size_t i = 0; i < params_count(); i++) {
        const param_def *d = params_entry(i);
        int used = strncmp(d->key, "cost.", 5) == 0;
        for (size_t k = 0; !used && k < sizeof device_keys / sizeof device_keys[0]; k++)
            used = strcmp(d->key, device_keys[k]) == 0;
        if (!used) continue;
        char value[600];
        params_format_value(p, d, value, sizeof value);
        fprintf(f, "%s\"%s\":{\"value\":", first ? "" : ",", d->key);
        if (d->type == P_STRING || d->type == P_ENUM) json_string(f, value);
        else if (d->type == P_BOOL) fputs(value, f);
        else json_number(f, strtod(value, NULL));
        fprintf(f, ",\"unit\":\"%s\",\"source\":\"%s\"}", d->unit, d->source);
        first = 0;
    }
    fputs("}}", f);
}
