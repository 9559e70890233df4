/* plots.c — see plots.h.  The gnuplot scripts set every axis label with its unit. */
#include "experiment/plots.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static FILE *open_in(const char *dir, const char *name, const char *ext)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    return fopen(path, "w");
}

static int close_ok(FILE *f)
{
    int bad = ferror(f);
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

/* Common preamble: PNG output, readable fonts, a light grid. */
static void preamble(FILE *gp, const char *name, const char *title, int width, int height)
{
    fprintf(gp, "# rendered by memtrain (plots.c); rerun with: gnuplot %s.gp\n", name);
    fprintf(gp, "set terminal pngcairo size %d,%d font 'DejaVu Sans,11' noenhanced\n", width, height);
    fprintf(gp, "set output '%s.png'\n", name);
    fprintf(gp, "set title \"%s\"\nset grid lc rgb '#dddddd'\nset key outside right top\n", title);
}

int plot_accuracy(const char *dir, const char *name, const char *title,
                  const accuracy_curve *curves, int n_curves)
{
    FILE *dat = open_in(dir, name, "dat");
    if (!dat) return -1;
    int epochs = 0;
    fprintf(dat, "# epoch");
    for (int c = 0; c < n_curves; c++) {
        fprintf(dat, "  test_%%_%s", curves[c].label);
        if (curves[c].epochs > epochs) epochs = curves[c].epochs;
    }
    fputc('\n', dat);
    for (int e = 0; e < epochs; e++) {
        fprintf(dat, "%d", e + 1);
        for (int c = 0; c < n_curves; c++) {
            if (e < curves[c].epochs && isfinite(curves[c].test_acc[e]))
                fprintf(dat, " %.4f", 100 * curves[c].test_acc[e]);
            else fputs(" NaN", dat);
        }
        fputc('\n', dat);
    }
    if (close_ok(dat)) return -1;
    FILE *gp = open_in(dir, name, "gp");
    if (!gp) return -1;
    preamble(gp, name, title, 1000, 600);
    fprintf(gp, "set xlabel 'epoch'\nset ylabel 'test accuracy (%%)'\nset xrange [0.5:%d.5]\n", epochs);
    fprintf(gp, "set key below horizontal box\nset bmargin 7\nplot ");
    static const char *const styles[] = {"lw 3 lc rgb '#000000' dt 2", "lw 3 lc rgb '#d62728'",
                                         "lw 2 lc rgb '#1f77b4'", "lw 2 lc rgb '#2ca02c'",
                                         "lw 2 lc rgb '#9467bd'"};
    for (int c = 0; c < n_curves; c++)
        fprintf(gp, "%s'%s.dat' using 1:%d with linespoints pt 7 ps 0.8 %s title '%s'", c ? ", \\\n     " : "",
                name, c + 2, styles[c % 5], curves[c].label);
    fputc('\n', gp);
    return close_ok(gp);
}

/* Histogram of values in [lo, hi) with `bins` bins into counts (caller zeroes). */
static void histogram(const float *v, size_t n, double lo, double hi, int bins, double *counts)
{
    for (size_t i = 0; i < n; i++) {
        int b = (int)floor((v[i] - lo) / (hi - lo) * bins);
        if (b < 0) b = 0;
        if (b >= bins) b = bins - 1;
        counts[b] += 1;
    }
}

int plot_transfer_conductances(const char *dir, const char *name, const char *title,
                               const transfer_snapshot *s)
{
    enum { BINS = 100 };
    const double hi = 25.0; /* µS: PCM G_max; g stays below g(1 V) ~ 18 µS */
    double counts[6][BINS];
    memset(counts, 0, sizeof counts);
    const int fields[6] = {SNAP_GP_BEFORE, SNAP_GP_AFTER, SNAP_GM_BEFORE, SNAP_GM_AFTER, SNAP_G_BEFORE, SNAP_G_AFTER};
    for (int k = 0; k < 6; k++) histogram(s->field[fields[k]], s->n, 0.0, hi, BINS, counts[k]);
    FILE *dat = open_in(dir, name, "dat");
    if (!dat) return -1;
    fprintf(dat, "# layer %d, transfer %d: synapses per %.2f uS bin (log-scale friendly)\n", s->layer + 1,
            s->transfer, hi / BINS);
    fprintf(dat, "# bin_centre_uS Gplus_before Gplus_after Gminus_before Gminus_after g_before g_after\n");
    for (int b = 0; b < BINS; b++) {
        fprintf(dat, "%.4f", (b + 0.5) * hi / BINS);
        for (int k = 0; k < 6; k++) fprintf(dat, " %.0f", counts[k][b]);
        fputc('\n', dat);
    }
    if (close_ok(dat)) return -1;
    FILE *gp = open_in(dir, name, "gp");
    if (!gp) return -1;
    preamble(gp, name, title, 1400, 450);
    fprintf(gp, "set multiplot layout 1,3\nset logscale y\nset yrange [0.8:*]\nset xrange [0:%g]\n", hi);
    fprintf(gp, "set xlabel 'conductance (uS)'\nset ylabel 'synapses'\nset key inside right top\n");
    static const char *const what[3] = {"G+ (PCM)", "G- (PCM)", "g (3T1C)"};
    for (int k = 0; k < 3; k++)
        fprintf(gp, "set title '%s'\nplot '%s.dat' using 1:%d with steps lw 2 lc rgb '#1f77b4' title 'before', "
                    "'' using 1:%d with steps lw 2 lc rgb '#d62728' title 'after'\n",
                what[k], name, 2 + 2 * k, 3 + 2 * k);
    fprintf(gp, "unset multiplot\n");
    return close_ok(gp);
}

int plot_transfer_weights(const char *dir, const char *name, const char *title,
                          const transfer_snapshot *s)
{
    FILE *dat = open_in(dir, name, "dat");
    if (!dat) return -1;
    fprintf(dat, "# layer %d, transfer %d: desired weight (before) vs achieved weight (after), uS\n",
            s->layer + 1, s->transfer);
    fprintf(dat, "# W_before_uS W_after_uS\n");
    /* at most 20,000 points, evenly spread: readable and small */
    size_t stride = s->n > 20000 ? s->n / 20000 : 1;
    double lo = 0, hi = 0, err2 = 0;
    for (size_t i = 0; i < s->n; i++) {
        double a = s->field[SNAP_W_BEFORE][i], b = s->field[SNAP_W_AFTER][i];
        err2 += (b - a) * (b - a);
        if (i % stride == 0) {
            fprintf(dat, "%.5f %.5f\n", a, b);
            lo = fmin(lo, fmin(a, b));
            hi = fmax(hi, fmax(a, b));
        }
    }
    if (close_ok(dat)) return -1;
    FILE *gp = open_in(dir, name, "gp");
    if (!gp) return -1;
    char full_title[600];
    snprintf(full_title, sizeof full_title, "%s (rms error %.3f uS)", title, sqrt(err2 / (double)s->n));
    preamble(gp, name, full_title, 800, 750);
    fprintf(gp, "set size square\nset xrange [%g:%g]\nset yrange [%g:%g]\n", lo, hi, lo, hi);
    fprintf(gp, "set xlabel 'desired weight W before the transfer (uS)'\n"
                "set ylabel 'achieved weight W after the transfer (uS)'\nset key inside left top\n");
    fprintf(gp, "plot '%s.dat' using 1:2 with points pt 7 ps 0.3 lc rgb '#801f77b4' title 'synapses', "
                "x with lines lw 1 lc rgb '#000000' title 'ideal'\n", name);
    return close_ok(gp);
}

int plot_pulses(const char *dir, const char *name, const char *title, const int32_t *total,
                const int32_t *net, size_t n, long window)
{
    /* logarithmic bins: 0, then 1, 2, 3-4, 5-8, ... */
    enum { BINS = 24 };
    double t_counts[BINS] = {0}, n_counts[BINS] = {0};
    for (size_t i = 0; i < n; i++) {
        int32_t a = total[i], b = net[i] < 0 ? -net[i] : net[i];
        int ba = a == 0 ? 0 : 1 + (int)floor(log2((double)a));
        int bb = b == 0 ? 0 : 1 + (int)floor(log2((double)b));
        t_counts[ba < BINS ? ba : BINS - 1]++;
        n_counts[bb < BINS ? bb : BINS - 1]++;
    }
    FILE *dat = open_in(dir, name, "dat");
    if (!dat) return -1;
    fprintf(dat, "# pulses per synapse over %ld training examples; bin k >= 1 holds 2^(k-1) .. 2^k - 1\n", window);
    fprintf(dat, "# bin_lower_edge total_pulses |net_pulses|\n");
    int used = 1; /* up to the last populated bin, plus one empty for the step's edge */
    for (int b = 0; b < BINS; b++)
        if (t_counts[b] > 0 || n_counts[b] > 0) used = b + 2 < BINS ? b + 2 : BINS;
    for (int b = 0; b < used; b++)
        fprintf(dat, "%ld %.0f %.0f\n", b == 0 ? 0L : 1L << (b - 1), t_counts[b], n_counts[b]);
    if (close_ok(dat)) return -1;
    FILE *gp = open_in(dir, name, "gp");
    if (!gp) return -1;
    preamble(gp, name, title, 1000, 600);
    fprintf(gp, "set logscale x 2\nset xrange [0.5:*]\nset style fill transparent solid 0.5\n");
    fprintf(gp, "set xlabel 'pulses per synapse over %ld examples (bins double in width; 0 shown at 0.7)'\n"
                "set ylabel 'synapses'\nset key inside right top\n", window);
    fprintf(gp, "plot '%s.dat' using ($1 == 0 ? 0.7 : $1):2 with steps lw 2 lc rgb '#d62728' title 'total (up + down)', "
                "'' using ($1 == 0 ? 0.7 : $1):3 with steps lw 2 lc rgb '#1f77b4' title '|net| (up - down)'\n", name);
    return close_ok(gp);
}

int plot_ablations(const char *dir, const char *name, const char *title, const char *const *labels,
                   const double *test_acc, int n, double twin_acc)
{
    FILE *dat = open_in(dir, name, "dat");
    if (!dat) return -1;
    fprintf(dat, "# index run test_accuracy_%%\n");
    double lo = 100;
    for (int i = 0; i < n; i++) {
        fprintf(dat, "%d \"%s\" %.4f\n", i, labels[i], 100 * test_acc[i]);
        if (isfinite(test_acc[i])) lo = fmin(lo, 100 * test_acc[i]);
    }
    if (close_ok(dat)) return -1;
    FILE *gp = open_in(dir, name, "gp");
    if (!gp) return -1;
    preamble(gp, name, title, 1200, 600);
    double floor_ = floor(fmin(lo, 100 * twin_acc) - 1);
    fprintf(gp, "set style fill solid 0.7\nset boxwidth 0.7\nset xtics rotate by -35\nset rmargin 8\n");
    fprintf(gp, "set ylabel 'test accuracy (%%)'\nset yrange [%g:100]\nset key inside right top\n", floor_ < 0 ? 0 : floor_);
    fprintf(gp, "plot '%s.dat' using 1:3:xtic(2) with boxes lc rgb '#1f77b4' title 'analogue run', "
                "%g with lines lw 2 dt 2 lc rgb '#000000' title 'software twin'\n", name, 100 * twin_acc);
    return close_ok(gp);
}

int plots_render(const char *dir, char *why, size_t why_len)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        snprintf(why, why_len, "gnuplot is not installed (make deps installs gnuplot-nox)");
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(why, why_len, "%s: %s", dir, strerror(errno));
        return -1;
    }
    int failed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".gp") != 0) continue;
        char cmd[8600];
        snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot '%s' 2>>gnuplot.log", dir, e->d_name);
        if (system(cmd) != 0) failed++;
    }
    closedir(d);
    if (failed) snprintf(why, why_len, "%d gnuplot script(s) failed: see %s/gnuplot.log", failed, dir);
    return failed;
}
