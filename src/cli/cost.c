/* cost.c — `memtrain cost`: energy, area and throughput of the simulated hardware.
 *
 * Without --from: the steady-state figures of one training example of the
 * network the parameters describe.  With --from RESULTS.json: the totals of that
 * run, from its counters.  The model is in src/cost/cost.c; this file only
 * parses arguments and prints (docs/cost.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cost/cost.h"
#include "memtrain.h"
#include "train/results.h"
#include "util/error.h"
#include "util/params.h"

static const char *const cost_help =
    "usage: memtrain cost [--preset NAME]... [--config FILE] [--set KEY=VALUE]...\n"
    "                     [--from RESULTS.json] [--json FILE]\n"
    "\n"
    "Energy, area and throughput of the simulated hardware, from counted operations:\n"
    "energy = sum over components of count x energy per event (array reads, DAC, ADC,\n"
    "neuron circuits, 3T1C and PCM pulses, verify reads, re-initialisations, static\n"
    "power); area of the unit cells and of each tile's periphery; time of reads,\n"
    "updates and programming.  One operation = half a MAC; a training example counts\n"
    "its forward, backward and update MACs over the full arrays.  Every assumption is\n"
    "a cost.* parameter (memtrain params; docs/cost.md).\n"
    "\n"
    "options:\n"
    "  --preset NAME     ambrogio2018: the assumptions under which the paper's network\n"
    "                    lands near its 28,065 GOP/s/W and 3.6 TOPS/mm^2; or a training\n"
    "                    preset (mnist, fashion, digits) for the network shape.\n"
    "                    Repeatable, applied in order.\n"
    "  --config FILE     libconfig file, e.g.  cost = { integration_time_ns = 20.0; };\n"
    "  --set KEY=VALUE   set any parameter (repeatable), e.g. --set cost.node_nm=28\n"
    "  --from FILE       cost a finished run: the output of `memtrain train --json FILE`\n"
    "                    (its last line, \"final\": true); without it, the steady state of\n"
    "                    one training example of the network data.dataset + net.hidden\n"
    "  --json FILE       also write one JSON object: gops_per_watt, tops_per_mm2,\n"
    "                    energy_per_example_j, time_per_example_s, area_mm2, components\n"
    "                    [{name, count, energy_j, share}], tiles, gpu, assumptions\n"
    "\n"
    "exit status: 0 ok, 2 bad input, 3 output not writable\n";

/* v in SI units: "28.5 nJ". */
static const char *si(double v, const char *unit, char *buf, size_t n)
{
    static const struct { double scale; const char *prefix; } p[] = {
        {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""},
        {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}, {1e-12, "p"}, {1e-15, "f"}, {1e-18, "a"}};
    if (v == 0 || !isfinite(v)) {
        snprintf(buf, n, "%g %s", v, unit);
        return buf;
    }
    size_t k = 0;
    while (k + 1 < sizeof p / sizeof p[0] && fabs(v) < p[k].scale * 0.9995) k++;
    snprintf(buf, n, "%.4g %s%s", v / p[k].scale, p[k].prefix, unit);
    return buf;
}

/* A parameter's value with 6 significant digits for doubles. */
static void format_short(const mt_params *p, const param_def *e, char *buf, size_t n)
{
    if (e->type == P_DOUBLE) snprintf(buf, n, "%g", *(const double *)((const char *)p + e->offset));
    else params_format_value(p, e, buf, n);
}

static void print_report(const mt_cost_report *r, const mt_params *p, const char *from)
{
    char a[32], b[32], c[32], d[32];
    if (r->steady_state) {
        printf("memtrain cost: steady state of one training example, cell %s, %s network %d",
               cost_cell_name(r->kind), p->data.dataset, r->tile[0].rows - 1);
        for (int l = 0; l < r->tiles; l++) printf("-%d", r->tile[l].cols);
    } else
        printf("memtrain cost: run %s, cell %s, %.0f training examples", from,
               cost_cell_name(r->kind), r->examples);
    printf(" (tiles");
    for (int l = 0; l < r->tiles; l++) printf(" %dx%d", r->tile[l].rows, r->tile[l].cols);
    printf(")\n\n");

    printf("%-18s %-8s %14s %-10s %13s %13s %7s\n", "component", "phase", "count", "unit",
           "energy/event", "energy", "share");
    for (int k = 0; k < MT_COST_COMPONENTS; k++) {
        const mt_cost_item *it = &r->item[k];
        const char *ev_unit = !strcmp(it->phase, "static") ? "W" : "J";
        printf("%-18s %-8s %14.6g %-10s %13s %13s %6.2f%%\n", it->name, it->phase, it->count,
               it->unit, si(it->energy_per_event_J, ev_unit, a, sizeof a),
               si(it->energy_J, "J", b, sizeof b), 100 * it->share);
    }
    printf("%-18s %-8s %14s %-10s %13s %13s %6.2f%%\n\n", "total", "", "", "", "",
           si(r->energy_J, "J", b, sizeof b), 100.0);

    if (r->steady_state) {
        printf("operations          %.6g per training example\n", r->ops);
        printf("energy              %s per training example, %.4g fJ per operation\n",
               si(r->energy_J, "J", a, sizeof a), r->fJ_per_op);
        printf("time (busy)         %s per training example\n", si(r->time_s, "s", a, sizeof a));
    } else {
        printf("operations          %.6g (%.6g per training example)\n", r->ops, r->ops_per_example);
        printf("energy              %s, %s per training example, %.4g fJ per operation\n",
               si(r->energy_J, "J", a, sizeof a), si(r->energy_per_example_J, "J", b, sizeof b),
               r->fJ_per_op);
        printf("time (busy)         %s, %s per training example\n", si(r->time_s, "s", a, sizeof a),
               si(r->time_per_example_s, "s", b, sizeof b));
    }
    printf("  forward %s, backward %s, update %s, transfer %s\n",
           si(r->time_forward_s, "s", a, sizeof a), si(r->time_backward_s, "s", b, sizeof b),
           si(r->time_update_s, "s", c, sizeof c), si(r->time_transfer_s, "s", d, sizeof d));
    printf("area                %.6g mm^2: cells %.6g mm^2, periphery %.6g mm^2\n", r->area_mm2,
           r->cell_area_mm2, r->periphery_area_mm2);
    for (int l = 0; l < r->tiles; l++) {
        const mt_cost_tile *t = &r->tile[l];
        printf("  tile %d (%dx%d): cells %.6g mm^2, periphery %.6g mm^2 (%d ADCs, %d lines)\n",
               l + 1, t->rows, t->cols, t->cell_area_mm2, t->periphery_area_mm2, t->adcs, t->lines);
    }
    printf("\nenergy efficiency   %.6g GOP/s/W\n", r->gops_per_watt);
    printf("throughput density  %.6g TOPS/mm^2\n", r->tops_per_mm2);
    printf("GPU: %.4g GOP/s/W, %.4g TOPS/mm^2 (%g TOPS, %g W, %g mm^2): memtrain hardware is "
           "%.0fx more energy efficient and %.0fx denser\n",
           r->gpu_gops_per_watt, r->gpu_tops_per_mm2, p->cost.gpu_tops, p->cost.gpu_watts,
           p->cost.gpu_area_mm2, r->energy_ratio_vs_gpu, r->density_ratio_vs_gpu);
    if (r->note[0]) printf("note: %s\n", r->note);
    printf("operations: %s\n", cost_ops_definition);

    printf("\nassumptions (memtrain params lists the meaning of each; docs/cost.md the reasons):\n");
    mt_params defaults;
    mt_params_default(&defaults);
    for (size_t i = 0; i < params_count(); i++) {
        const param_def *e = params_entry(i);
        if (strncmp(e->key, "cost.", 5) != 0) continue;
        char value[64], def[64];
        format_short(p, e, value, sizeof value);
        format_short(&defaults, e, def, sizeof def);
        if (strcmp(value, def) != 0)
            printf("  %-40s %-10s %-8s %-10s (default %s)\n", e->key, value, e->unit, e->source, def);
        else printf("  %-40s %-10s %-8s %s\n", e->key, value, e->unit, e->source);
    }
}

int cmd_cost(int argc, char **argv)
{
    const char *presets[16], *config = NULL, *from = NULL, *json = NULL;
    int n_presets = 0, n_sets = 0;
    static char set_key[64][256];
    const char *set_value[64];
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(cost_help, stdout);
            return MT_OK;
        }
        int takes_value = !strcmp(arg, "--preset") || !strcmp(arg, "--config") ||
                          !strcmp(arg, "--from") || !strcmp(arg, "--json") || !strcmp(arg, "--set");
        if (!takes_value) return cli_usage_error("unknown option '%s'", arg);
        if (!next) return cli_usage_error("option %s needs a value", arg);
        i++;
        if (!strcmp(arg, "--preset")) {
            if (n_presets >= 16) return cli_usage_error("too many presets at '%s'", next);
            presets[n_presets++] = next;
        } else if (!strcmp(arg, "--config")) config = next;
        else if (!strcmp(arg, "--from")) from = next;
        else if (!strcmp(arg, "--json")) json = next;
        else {
            if (n_sets >= 64) return cli_usage_error("too many settings at '%s'", next);
            if (cli_split_setting(next, set_key[n_sets], sizeof set_key[0], &set_value[n_sets]))
                return MT_EINPUT;
            n_sets++;
        }
    }

    mt_params p;
    mt_error err = {0, ""};
    mt_params_default(&p);
    int rc;
    for (int k = 0; k < n_presets; k++)
        if ((rc = mt_params_apply_preset(&p, presets[k], &err))) {
            mt_error_prefix(&err, "--preset");
            return cli_fail(&err);
        }
    if (config && (rc = mt_params_load_file(&p, config, &err))) return cli_fail(&err);
    for (int k = 0; k < n_sets; k++)
        if ((rc = mt_params_set(&p, set_key[k], set_value[k], "--set", &err))) return cli_fail(&err);
    if ((rc = mt_params_validate(&p, &err))) return cli_fail(&err);

    mt_cost_report report;
    if (from) {
        mt_cost_run run;
        if ((rc = mt_cost_run_read_json(from, &run, &err))) return cli_fail(&err);
        if ((rc = mt_cost_of_run(&p, &run, &report, &err))) {
            mt_error_prefix(&err, from);
            return cli_fail(&err);
        }
    } else if ((rc = mt_cost_steady_state(&p, &report, &err))) {
        return cli_fail(&err);
    }

    if (json) {
        FILE *f = fopen(json, "w");
        if (!f) {
            fprintf(stderr, "memtrain: --json %s: cannot write: %s\n", json, strerror(errno));
            return MT_EOUTPUT;
        }
        results_json_cost(f, &report, &p, from);
        fputc('\n', f);
        int bad = ferror(f);
        if (fclose(f) != 0 || bad) {
            fprintf(stderr, "memtrain: --json %s: write failed: %s\n", json, strerror(errno));
            return MT_EOUTPUT;
        }
    }
    print_report(&report, &p, from);
    return MT_OK;
}
