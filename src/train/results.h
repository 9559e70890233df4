/* results.h — what a run reports: one human line and one JSON object per epoch.
 *
 * JSON lines are flushed as they are written, so a run that dies keeps every
 * finished epoch.  Numbers are printed with round-trip precision; NaN becomes
 * null; wall-clock fields are named "seconds"/"seconds_total" so tools that
 * compare runs can ignore exactly those. */
#ifndef MT_TRAIN_RESULTS_H
#define MT_TRAIN_RESULTS_H

#include <stdio.h>

#include "memtrain.h"

void results_print_epoch(FILE *f, const mt_epoch_result *r, int epochs);
void results_json_epoch(FILE *f, const mt_epoch_result *r);
/* The same object with `tags` (JSON members ending in a comma, e.g.
 * "\"dataset\":\"mnist\",") first. */
void results_json_epoch_tagged(FILE *f, const char *tags, const mt_epoch_result *r);

/* Summary of per-synapse pulse counts of one layer (pulse_stats on). */
typedef struct pulse_summary {
    int layer, rows, cols;
    long window;               /* examples counted */
    double mean_total, median_total, p90_total;
    double mean_abs_net, median_abs_net, p90_abs_net;
    double fraction_pulsed;    /* synapses with at least one pulse */
    double mean_total_pulsed, mean_abs_net_pulsed;  /* over those synapses */
} pulse_summary;

int results_pulse_summary(const mt_network *net, int layer, long window, pulse_summary *out);
void results_print_pulse_summary(FILE *f, const pulse_summary *s);

/* The final object: the last epoch's numbers plus "final": true, the network's
 * layer shapes ("layers": [[rows, cols], ...]), the run's totals and the pulse
 * summaries.  net may be NULL. */
void results_json_final(FILE *f, const mt_epoch_result *r, const mt_network *net,
                        const mt_params *p, double seconds_total, const pulse_summary *pulses,
                        int n_pulses);

/* The final object's "hardware" member, the simulated hardware's cost of the run
 * under p's cost.* assumptions (docs/cost.md): {"energy_j", "time_s", "ops",
 * "energy_per_example_j", "time_per_example_s", "gops_per_watt", "tops_per_mm2",
 * "area_mm2", "components": {name: energy_j, ...}}; null for the float cell, or
 * when the cost model rejects p (e.g. an ideal ADC without cost.adc_bits). */
void results_json_hardware(FILE *f, const mt_epoch_result *r, const mt_network *net,
                           const mt_params *p);

/* A cost report (memtrain cost --json) as one JSON object, no trailing newline:
 * the figures, the per-component breakdown, the tiles, the GPU comparison and
 * every assumption (cost.* and the device parameters the model reads).  `from`
 * names the run file costed, NULL for the steady state. */
void results_json_cost(FILE *f, const mt_cost_report *c, const mt_params *p, const char *from);

/* Write counters as a JSON object (no trailing newline). */
void results_json_counters(FILE *f, const mt_counters *c);

/* Print a double as JSON (null for NaN/Inf). */
void json_number(FILE *f, double v);

#endif
