/* plots.h — figures of a reproduce run, drawn by gnuplot (Debian gnuplot-nox).
 *
 * Each figure is a data file (.dat, plain columns with a commented header, usable by
 * any other tool) plus a gnuplot script (.gp) rendering it to PNG; both are kept in
 * the plots directory so a user can restyle a figure without rerunning anything. */
#ifndef MT_EXPERIMENT_PLOTS_H
#define MT_EXPERIMENT_PLOTS_H

#include <stdint.h>
#include <stdio.h>

#include "experiment/snapshot.h"
#include "memtrain.h"

/* One curve of test accuracy per epoch. */
typedef struct accuracy_curve {
    const char *label;
    const double *test_acc;   /* per epoch, fractions */
    int epochs;
} accuracy_curve;

/* Each function writes DIR/NAME.dat and DIR/NAME.gp and returns 0, or -1 with errno. */
int plot_accuracy(const char *dir, const char *name, const char *title,
                  const accuracy_curve *curves, int n_curves);
int plot_transfer_conductances(const char *dir, const char *name, const char *title,
                               const transfer_snapshot *s);
int plot_transfer_weights(const char *dir, const char *name, const char *title,
                          const transfer_snapshot *s);
int plot_pulses(const char *dir, const char *name, const char *title, const int32_t *total,
                const int32_t *net, size_t n, long window);
int plot_ablations(const char *dir, const char *name, const char *title, const char *const *labels,
                   const double *test_acc, int n, double twin_acc);

/* Render every .gp script in dir to PNG.  Returns the number of scripts that failed, or -1 if
 * gnuplot is not installed (message in `why`). */
int plots_render(const char *dir, char *why, size_t why_len);

#endif
