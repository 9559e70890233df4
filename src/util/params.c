/* params.c — every run-time parameter of memtrain, in one table.
 *
 * The table is the single source of truth: defaults, ranges, units, the source of
 * each default value (paper / patent / literature / chosen) and its meaning.  From
 * it come mt_params_default, the --set and config-file parsers, the written config
 * (mt_params_write) and docs/parameters.md (mt_params_write_markdown).  A default
 * is stored as text and goes through the same parser as user input, so the
 * documented default and the real one cannot disagree.
 *
 * Config files are parsed by libconfig (Debian libconfig-dev): groups name the
 * section, e.g.
 *     cap = { tau_s = 0.5; sigma_g_uS = 1.0; };
 *     transfer = { polarity_inversion = false; };
 * A top-level `preset = "mnist";` applies that preset before anything else. */
#include "util/params.h"

#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cost/cost_params.h"
#include "util/error.h"

static const char *const cell_kind_names[] = {"float", "2pcm", "2pcm3t1c", NULL};
static const char *const activation_names[] = {"sigmoid", "tanh", "relu", NULL};
static const char *const lr_schedule_names[] = {"constant", "step", "exp", NULL};
static const char *const layer_split_names[] = {"auto", "always", "never", NULL};

#define OFF(field) offsetof(mt_params, field)
#define SIZE(field) sizeof(((mt_params *)0)->field)
#define BIG 1e300

/* clang-format off */
static const param_def table[] = {
/* ---- 3T1C capacitor cell ------------------------------------------------------------- */
{"cap.v_min_V", P_DOUBLE, OFF(cap.v_min_V), 0, "0", -10, 10, "V", "paper",
 "lower rail of the capacitor voltage V_C", NULL},
{"cap.v_max_V", P_DOUBLE, OFF(cap.v_max_V), 0, "1", -10, 10, "V", "paper",
 "upper rail of V_C", NULL},
{"cap.v_init_V", P_DOUBLE, OFF(cap.v_init_V), 0, "0.5", -10, 10, "V", "paper",
 "V_C after (re)initialisation; chosen to leave room for g to grow", NULL},
{"cap.v_leak_V", P_DOUBLE, OFF(cap.v_leak_V), 0, "0.8", -10, 10, "V", "paper",
 "voltage that leakage pulls V_C toward", NULL},
{"cap.tau_s", P_DOUBLE, OFF(cap.tau_s), 0, "1", 1e-9, 1e12, "s", "chosen",
 "leakage time constant: dV_C/dt = (v_leak - V_C)/tau (8 % decay per 8,000 examples at 10 us each)", NULL},
{"cap.vt_V", P_DOUBLE, OFF(cap.vt_V), 0, "0.15", -10, 10, "V", "chosen",
 "read-transistor threshold: g = k (V_C - V_T)^2 above it, 0 below", NULL},
{"cap.g_at_init_uS", P_DOUBLE, OFF(cap.g_at_init_uS), 0, "3", 1e-6, 1e4, "uS", "chosen",
 "g at v_init for the nominal device (PAPER.md: 2-4 uS, 'small at 0.5 V'); sets k", NULL},
{"cap.dv_up_V", P_DOUBLE, OFF(cap.dv_up_V), 0, "0.0015", 1e-7, 1, "V", "chosen",
 "V_C step of one up pulse at v_init (a few hundred steps across the range)", NULL},
{"cap.dv_down_V", P_DOUBLE, OFF(cap.dv_down_V), 0, "0.0015", 1e-7, 1, "V", "chosen",
 "V_C step of one down pulse at v_init", NULL},
{"cap.step_slope_per_V", P_DOUBLE, OFF(cap.step_slope_per_V), 0, "0.5", 0, 100, "1/V", "chosen",
 "lambda: up step dv_up (1 - lambda (V_C - v_init)), down step dv_down (1 + lambda (V_C - v_init)); channel-length modulation, 'near-linear'", NULL},
{"cap.sigma_g_uS", P_DOUBLE, OFF(cap.sigma_g_uS), 0, "0.75", 0, 1e3, "uS", "chosen",
 "device-to-device sigma of g at v_init, from read-transistor V_T mismatch", NULL},
{"cap.sigma_dv_up_rel", P_DOUBLE, OFF(cap.sigma_dv_up_rel), 0, "0.15", 0, 0.5, "1", "chosen",
 "device-to-device sigma of the up step (pull-up V_T mismatch), relative", NULL},
{"cap.sigma_dv_down_rel", P_DOUBLE, OFF(cap.sigma_dv_down_rel), 0, "0.15", 0, 0.5, "1", "chosen",
 "device-to-device sigma of the down step (pull-down V_T mismatch), relative, independent of up", NULL},
{"cap.pulse_noise_rel", P_DOUBLE, OFF(cap.pulse_noise_rel), 0, "0.05", 0, 0.5, "1", "chosen",
 "cycle-to-cycle sigma of one pulse's step (charge injection, kT/C), relative", NULL},
/* ---- PCM ------------------------------------------------------------------------------ */
{"pcm.g_max_uS", P_DOUBLE, OFF(pcm.g_max_uS), 0, "25", 1e-3, 1e4, "uS", "paper",
 "mean saturation conductance of a PCM device", NULL},
{"pcm.g_max_sigma_rel", P_DOUBLE, OFF(pcm.g_max_sigma_rel), 0, "0.1", 0, 0.5, "1", "chosen",
 "device-to-device sigma of G_max, relative", NULL},
{"pcm.set_step_uS", P_DOUBLE, OFF(pcm.set_step_uS), 0, "0.75", 1e-4, 1e3, "uS", "chosen",
 "mean conductance increment of one partial-SET pulse at G = 0 (shrinks linearly to 0 at G_max)", NULL},
{"pcm.set_noise_rel", P_DOUBLE, OFF(pcm.set_noise_rel), 0, "1", 0, 10, "1", "literature",
 "cycle-to-cycle sigma of a SET increment relative to its mean (jump tables, Burr 2015)", NULL},
{"pcm.program_noise_rel", P_DOUBLE, OFF(pcm.program_noise_rel), 0, "0.3", 0, 10, "1", "chosen",
 "sigma of the increment of a SET ramp aimed at the remaining error during closed-loop programming, relative to the aim", NULL},
{"pcm.read_noise_rel", P_DOUBLE, OFF(pcm.read_noise_rel), 0, "0.02", 0, 1, "1", "chosen",
 "sigma of one read relative to G (verify reads of closed-loop programming)", NULL},
{"pcm.drift", P_BOOL, OFF(pcm.drift), 0, "false", 0, 1, "bool", "chosen",
 "apply conductance drift; off in training because transfers reprogram every device long before t0", NULL},
{"pcm.drift_nu", P_DOUBLE, OFF(pcm.drift_nu), 0, "0.05", 0, 1, "1", "literature",
 "mean drift exponent nu in G(t) = G(t0) (t/t0)^-nu (GST)", NULL},
{"pcm.drift_nu_sigma", P_DOUBLE, OFF(pcm.drift_nu_sigma), 0, "0.02", 0, 1, "1", "literature",
 "device-to-device sigma of nu", NULL},
{"pcm.drift_t0_s", P_DOUBLE, OFF(pcm.drift_t0_s), 0, "1", 1e-9, 1e9, "s", "chosen",
 "drift reference time after programming", NULL},
{"pcm.stuck_fraction", P_DOUBLE, OFF(pcm.stuck_fraction), 0, "0.001", 0, 1, "1", "chosen",
 "fraction of PCM devices stuck at a random conductance in [0, G_max]", NULL},
/* ---- periphery ------------------------------------------------------------------------ */
{"periph.dac_bits", P_INT, OFF(periph.dac_bits), 0, "8", 0, 24, "bit", "chosen",
 "input DAC resolution, signed (0 = ideal)", NULL},
{"periph.adc_bits", P_INT, OFF(periph.adc_bits), 0, "9", 0, 24, "bit", "chosen",
 "output ADC resolution, signed (0 = ideal)", NULL},
{"periph.input_max", P_DOUBLE, OFF(periph.input_max), 0, "1", 1e-6, 1e6, "input", "chosen",
 "DAC full scale; inputs are clipped to +-input_max", NULL},
{"periph.out_bound", P_DOUBLE, OFF(periph.out_bound), 0, "16", 1e-6, 1e6, "weight x input", "chosen",
 "ADC full scale: outputs saturate at +-out_bound", NULL},
{"periph.out_noise", P_DOUBLE, OFF(periph.out_noise), 0, "0.02", 0, 1e3, "weight x input", "chosen",
 "sigma of Gaussian noise on each column output (array read noise referred to the output)", NULL},
/* ---- cell ----------------------------------------------------------------------------- */
{"periph.bound_management", P_BOOL, OFF(periph.bound_management), 0, "true", 0, 1, "bool", "literature",
 "repeat a read whose output saturates with half the integration time, so the ADC range follows the signal (aihwkit's iterative bound management); without it, clipped logits make the output weights grow without bound", NULL},
{"periph.bound_iterations", P_INT, OFF(periph.bound_iterations), 0, "4", 0, 20, "reads",
 "chosen", "most repeated reads: the range extends to out_bound x 2^iterations", NULL},
{"cell.kind", P_ENUM, OFF(cell.kind), 0, "2pcm3t1c", 0, 0, "-", "paper",
 "unit cell: float (software twin), 2pcm (PCM pair only), 2pcm3t1c (PCM pair + 3T1C)",
 cell_kind_names},
{"cell.uS_per_weight", P_DOUBLE, OFF(cell.uS_per_weight), 0, "10", 1e-6, 1e6, "uS", "chosen",
 "cell conductance representing one software weight unit", NULL},
{"cell.significance_F", P_DOUBLE, OFF(cell.significance_F), 0, "3", 1, 1000, "1", "chosen",
 "significance factor F of the PCM pair over the 3T1C pair (paper: F > 1; NeuroSim uses 4)", NULL},
{"cell.variability", P_BOOL, OFF(cell.variability), 0, "true", 0, 1, "bool", "paper",
 "device-to-device variability on; false zeroes every d2d sigma and stuck devices (ablation)", NULL},
{"cell.refresh_uS", P_DOUBLE, OFF(cell.refresh_uS), 0, "20", 0, 1e4, "uS", "literature",
 "RESET and reprogram a pair when a device that must be SET is above this (2pcm: checked after every update; Burr 2015 occasional RESET)", NULL},
{"cell.max_pulses_per_update", P_INT, OFF(cell.max_pulses_per_update), 0, "63", 1, 100000, "pulses",
 "chosen", "most pulses a synapse receives from one example (pulse-train length)", NULL},
/* ---- transfer ------------------------------------------------------------------------- */
{"transfer.interval", P_LONG, OFF(transfer.interval), 0, "8000", 1, 1e15, "examples", "paper",
 "training examples between transfers of g into the PCM pair", NULL},
{"transfer.offset_uS", P_DOUBLE, OFF(transfer.offset_uS), 0, "2", 0, 1e3, "uS", "paper",
 "offset left for g to correct by increasing: W_transfer = W - offset - [g(0.5 V) - g_shared(0.5 V)]", NULL},
{"transfer.polarity_inversion", P_BOOL, OFF(transfer.polarity_inversion), 0, "true", 0, 1, "bool",
 "patent", "flip the polarity p of (g - g_shared) at every transfer", NULL},
{"transfer.tolerance_uS", P_DOUBLE, OFF(transfer.tolerance_uS), 0, "0.5", 0, 1e3, "uS", "chosen",
 "closed-loop programming stops when |(G+ - G-) read - target| <= tolerance", NULL},
{"transfer.max_pulses", P_INT, OFF(transfer.max_pulses), 0, "20", 0, 50000, "pulses", "chosen",
 "closed-loop SET-pulse budget per pair and transfer", NULL},
{"transfer.writeback_iterations", P_INT, OFF(transfer.writeback_iterations), 0, "4", 1, 100, "iterations",
 "chosen", "write-back rounds: nominal pulses, read g, correct the device's own step error (1 = open loop)", NULL},
{"transfer.reset_before_program", P_BOOL, OFF(transfer.reset_before_program), 0, "true", 0, 1, "bool",
 "chosen", "RESET both PCM devices before programming at every transfer (false: program-and-verify from the current state, RESET only when a device must exceed cell.refresh_uS)", NULL},
{"transfer.g_target_max_uS", P_DOUBLE, OFF(transfer.g_target_max_uS), 0, "20", 0, 1e4, "uS", "paper",
 "largest |G+ - G-| programmed; control degrades above ~20 uS", NULL},
{"transfer.writeback", P_BOOL, OFF(transfer.writeback), 0, "true", 0, 1, "bool", "patent",
 "write the residual programming error back into g", NULL},
/* ---- network -------------------------------------------------------------------------- */
{"net.hidden", P_STRING, OFF(net.hidden), SIZE(net.hidden), "250", 0, 0, "units", "chosen",
 "hidden layer sizes, comma separated (\"\" = no hidden layer)", NULL},
{"net.activation", P_ENUM, OFF(net.activation), 0, "sigmoid", 0, 0, "-", "chosen",
 "activation of hidden layers (output: softmax + cross-entropy)", activation_names},
{"net.init_scale", P_DOUBLE, OFF(net.init_scale), 0, "1", 0, 100, "1", "chosen",
 "initial weights uniform in +-init_scale/sqrt(fan_in)", NULL},
/* ---- data ----------------------------------------------------------------------------- */
{"data.dataset", P_STRING, OFF(data.dataset), SIZE(data.dataset), "mnist", 0, 0, "-", "paper",
 "dataset: mnist, mnist-backrand, fashion, digits, cifar10, cifar100", NULL},
{"data.dir", P_STRING, OFF(data.dir), SIZE(data.dir), "", 0, 0, "path", "-",
 "directory of the dataset files (\"\" = the dataset's default place)", NULL},
{"data.train_limit", P_LONG, OFF(data.train_limit), 0, "0", 0, 1e15, "examples", "-",
 "use only the first N training examples (0 = all)", NULL},
{"data.features", P_STRING, OFF(data.features), SIZE(data.features), "", 0, 0, "path", "-",
 "cifar10/100: training features, float32/64 N x 2048 .npy (\"\" = DIR/train_features.npy)", NULL},
{"data.labels", P_STRING, OFF(data.labels), SIZE(data.labels), "", 0, 0, "path", "-",
 "cifar10/100: training labels .npy (\"\" = DIR/train_labels.npy)", NULL},
{"data.test_features", P_STRING, OFF(data.test_features), SIZE(data.test_features), "", 0, 0, "path", "-",
 "cifar10/100: test features .npy (\"\" = DIR/test_features.npy)", NULL},
{"data.test_labels", P_STRING, OFF(data.test_labels), SIZE(data.test_labels), "", 0, 0, "path", "-",
 "cifar10/100: test labels .npy (\"\" = DIR/test_labels.npy)", NULL},
{"data.feature_quantile", P_DOUBLE, OFF(data.feature_quantile), 0, "0.999", 0.5, 1, "1", "chosen",
 "cifar10/100: both splits are divided by this quantile of |feature| over (up to 10,000 examples of) the training set, so the DAC's range is used", NULL},
{"data.cache_dir", P_STRING, OFF(data.cache_dir), SIZE(data.cache_dir), "", 0, 0, "path", "-",
 "mnist-backrand: cache of the generated images (\"\" = $XDG_CACHE_HOME/memtrain or ~/.cache/memtrain)", NULL},
{"data.backrand_seed", P_U64, OFF(data.backrand_seed), 0, "1", 0, 0, "-", "chosen",
 "mnist-backrand: seed of the uniform background noise (a dataset, fixed across training seeds)", NULL},
{"data.test_limit", P_LONG, OFF(data.test_limit), 0, "0", 0, 1e15, "examples", "-",
 "use only the first N test examples (0 = all)", NULL},
/* ---- training ------------------------------------------------------------------------- */
{"train.epochs", P_INT, OFF(train.epochs), 0, "20", 1, 100000, "epochs", "paper",
 "passes over the training set", NULL},
{"train.lr", P_DOUBLE, OFF(train.lr), 0, "0.1", 0, 100, "1", "chosen",
 "learning rate of batch-1 SGD", NULL},
{"train.lr_schedule", P_ENUM, OFF(train.lr_schedule), 0, "step", 0, 0, "-", "chosen",
 "constant, step (lr * decay^floor(epoch/step_epochs)) or exp (lr * decay^epoch)",
 lr_schedule_names},
{"train.lr_decay", P_DOUBLE, OFF(train.lr_decay), 0, "0.5", 0, 1, "1", "chosen",
 "learning-rate decay factor", NULL},
{"train.lr_step_epochs", P_INT, OFF(train.lr_step_epochs), 0, "5", 1, 100000, "epochs", "chosen",
 "epochs per learning-rate step", NULL},
{"train.seed", P_U64, OFF(train.seed), 0, "1", 0, 0, "-", "-",
 "seed of every random stream", NULL},
{"train.example_time_s", P_DOUBLE, OFF(train.example_time_s), 0, "1e-5", 0, 1e6, "s", "chosen",
 "simulated time per training example (drives leakage)", NULL},
{"train.leak_sync_examples", P_INT, OFF(train.leak_sync_examples), 0, "16", 1, 1000000, "examples",
 "chosen", "leaked capacitor weights are re-read at least every N examples (1 = exact)", NULL},
{"train.threads", P_INT, OFF(train.threads), 0, "0", 0, 4096, "threads", "-",
 "OpenMP threads (0 = OpenMP default); results do not depend on it", NULL},
{"train.layer_split", P_ENUM, OFF(train.layer_split), 0, "auto", 0, 0, "-", "-",
 "auto, always or never: whether a step splits the first layer between threads (auto: "
 "both ways timed now and then, the faster run); results do not depend on it",
 layer_split_names},
{"train.pulse_stats", P_BOOL, OFF(train.pulse_stats), 0, "false", 0, 1, "bool", "-",
 "record total and net pulses per synapse over the pulse window", NULL},
{"train.pulse_window", P_LONG, OFF(train.pulse_window), 0, "16000", 1, 1e15, "examples", "paper",
 "examples over which pulse statistics are counted (paper: 16,000 images)", NULL},
{"train.twin", P_BOOL, OFF(train.twin), 0, "true", 0, 1, "bool", "paper",
 "train the float software twin beside the analogue network", NULL},
};
/* clang-format on */

static const size_t core_len = sizeof table / sizeof table[0];

/* The cost model keeps its assumptions in its own table (src/cost/cost_params.c);
 * together they are one parameter list. */
size_t params_count(void) { return core_len + cost_param_count; }

const param_def *params_entry(size_t i)
{
    return i < core_len ? &table[i] : &cost_param_table[i - core_len];
}

const param_def *params_find(const char *key)
{
    for (size_t i = 0; i < params_count(); i++)
        if (strcmp(params_entry(i)->key, key) == 0) return params_entry(i);
    return NULL;
}

/* ------------------------------------------------------------------ parsing */

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "on", "yes", "1"};
    static const char *const no[] = {"false", "off", "no", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) { *out = 1; return 1; }
        if (strcasecmp(s, no[i]) == 0) { *out = 0; return 1; }
    }
    return 0;
}

static void list_enum(const param_def *d, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; d->enum_names[i]; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? ", " : "", d->enum_names[i]);
    }
}

int params_set_def(mt_params *p, const param_def *d, const char *value, const char *origin,
                   mt_error *err)
{
    char *base = (char *)p + d->offset;
    char *end = NULL;
    const char *o = origin ? origin : "parameter";
    while (*value == ' ' || *value == '\t') value++;
    switch (d->type) {
    case P_DOUBLE: {
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end != '\0' || errno == ERANGE)
            return mt_fail(err, MT_EINPUT, "%s: %s = '%s' is not a number (unit %s)", o, d->key,
                           value, d->unit);
        if (!isfinite(v))
            return mt_fail(err, MT_EINPUT, "%s: %s = '%s' is not a finite number", o, d->key, value);
        if (v < d->min || v > d->max)
            return mt_fail(err, MT_EINPUT, "%s: %s = %g is out of range [%g, %g] %s", o, d->key, v,
                           d->min, d->max, d->unit);
        *(double *)base = v;
        return MT_OK;
    }
    case P_INT:
    case P_LONG: {
        errno = 0;
        double v = strtod(value, &end); /* accepts 8e3 for 8000 */
        if (end == value || *end != '\0' || errno == ERANGE || !isfinite(v) || v != floor(v))
            return mt_fail(err, MT_EINPUT, "%s: %s = '%s' is not an integer", o, d->key, value);
        if (v < d->min || v > d->max)
            return mt_fail(err, MT_EINPUT, "%s: %s = %.0f is out of range [%.0f, %.0f] %s", o,
                           d->key, v, d->min, d->max, d->unit);
        if (d->type == P_INT) *(int *)base = (int)v;
        else *(long *)base = (long)v;
        return MT_OK;
    }
    case P_U64: {
        if (*value == '-' || *value == '\0')
            return mt_fail(err, MT_EINPUT, "%s: %s = '%s' is not a non-negative integer", o, d->key,
                           value);
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (*end != '\0' || errno == ERANGE)
            return mt_fail(err, MT_EINPUT, "%s: %s = '%s' is not a non-negative integer", o, d->key,
                           value);
        *(uint64_t *)base = (uint64_t)v;
        return MT_OK;
    }
    case P_BOOL: {
        int v;
        if (!parse_bool(value, &v))
            return mt_fail(err, MT_EINPUT, "%s: %s = '%s' is not a boolean (true/false)", o, d->key,
                           value);
        *(int *)base = v;
        return MT_OK;
    }
    case P_ENUM: {
        for (int i = 0; d->enum_names[i]; i++)
            if (strcmp(value, d->enum_names[i]) == 0) {
                *(int *)base = i;
                return MT_OK;
            }
        char names[256];
        list_enum(d, names, sizeof names);
        return mt_fail(err, MT_EINPUT, "%s: %s = '%s' is not one of: %s", o, d->key, value, names);
    }
    case P_STRING: {
        size_t len = strlen(value);
        if (len >= d->size)
            return mt_fail(err, MT_EINPUT, "%s: %s is too long (%zu characters, at most %zu)", o,
                           d->key, len, d->size - 1);
        memcpy(base, value, len + 1);
        return MT_OK;
    }
    }
    return mt_fail(err, MT_EINTERNAL, "%s: parameter type of %s", o, d->key);
}

int mt_params_set(mt_params *p, const char *key, const char *value, const char *origin, mt_error *err)
{
    const param_def *d = params_find(key);
    if (!d) {
        /* Suggest the closest key sharing the section, the most common typo. */
        const char *dot = strchr(key, '.');
        size_t sec = dot ? (size_t)(dot - key) : 0;
        for (size_t i = 0; sec && i < params_count(); i++)
            if (strncmp(params_entry(i)->key, key, sec + 1) == 0 && strcasecmp(params_entry(i)->key, key) == 0)
                return mt_fail(err, MT_EINPUT, "%s: unknown parameter '%s' (did you mean '%s'?)",
                               origin ? origin : "parameter", key, params_entry(i)->key);
        return mt_fail(err, MT_EINPUT,
                       "%s: unknown parameter '%s' (memtrain params lists them all)",
                       origin ? origin : "parameter", key);
    }
    return params_set_def(p, d, value, origin, err);
}

void mt_params_default(mt_params *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < params_count(); i++) {
        mt_error err;
        if (params_set_def(p, params_entry(i), params_entry(i)->def, "default", &err) != MT_OK) abort();
    }
}

void params_format_value(const mt_params *p, const param_def *d, char *buf, size_t n)
{
    const char *base = (const char *)p + d->offset;
    switch (d->type) {
    case P_DOUBLE: snprintf(buf, n, "%.17g", *(const double *)base); break;
    case P_INT: snprintf(buf, n, "%d", *(const int *)base); break;
    case P_LONG: snprintf(buf, n, "%ld", *(const long *)base); break;
    case P_U64: snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)base); break;
    case P_BOOL: snprintf(buf, n, "%s", *(const int *)base ? "true" : "false"); break;
    case P_ENUM: snprintf(buf, n, "%s", d->enum_names[*(const int *)base]); break;
    case P_STRING: snprintf(buf, n, "%s", base); break;
    }
}

/* ------------------------------------------------------------------ config files */

static int apply_setting(mt_params *p, config_setting_t *s, const char *prefix, const char *path,
                         mt_error *err)
{
    const char *name = config_setting_name(s);
    char key[256], origin[600], text[128];
    snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "", name ? name : "?");
    snprintf(origin, sizeof origin, "%s:%d", path, config_setting_source_line(s));
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP: {
        if (prefix[0])
            return mt_fail(err, MT_EINPUT, "%s: '%s' is nested too deeply (sections are one level)",
                           origin, key);
        for (int i = 0; i < config_setting_length(s); i++) {
            int rc = apply_setting(p, config_setting_get_elem(s, (unsigned)i), key, path, err);
            if (rc) return rc;
        }
        return MT_OK;
    }
    case CONFIG_TYPE_INT: snprintf(text, sizeof text, "%d", config_setting_get_int(s)); break;
    case CONFIG_TYPE_INT64:
        snprintf(text, sizeof text, "%lld", config_setting_get_int64(s));
        break;
    case CONFIG_TYPE_FLOAT: snprintf(text, sizeof text, "%.17g", config_setting_get_float(s)); break;
    case CONFIG_TYPE_BOOL:
        snprintf(text, sizeof text, "%s", config_setting_get_bool(s) ? "true" : "false");
        break;
    case CONFIG_TYPE_STRING: return mt_params_set(p, key, config_setting_get_string(s), origin, err);
    default:
        return mt_fail(err, MT_EINPUT, "%s: '%s' must be a number, boolean or string", origin, key);
    }
    if (!prefix[0] && strcmp(key, "preset") != 0 && !params_find(key))
        return mt_fail(err, MT_EINPUT, "%s: unknown parameter '%s' (settings live in sections, e.g. cap = { tau_s = 1.0; };)",
                       origin, key);
    return mt_params_set(p, key, text, origin, err);
}

/* Apply a parsed configuration; `path` names it in messages. */
static int load_config(mt_params *p, config_t *cfg, const char *path, mt_error *err)
{
    config_setting_t *root = config_root_setting(cfg);
    int rc = MT_OK;
    /* A preset comes first so that the file's own settings override it. */
    config_setting_t *preset = config_setting_get_member(root, "preset");
    if (preset) {
        const char *name = config_setting_get_string(preset);
        char origin[600];
        snprintf(origin, sizeof origin, "%s:%d", path, config_setting_source_line(preset));
        if (!name) rc = mt_fail(err, MT_EINPUT, "%s: preset must be a string", origin);
        else if ((rc = mt_params_apply_preset(p, name, err)) != MT_OK)
            mt_error_prefix(err, origin);
    }
    for (int i = 0; rc == MT_OK && i < config_setting_length(root); i++) {
        config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        if (s == preset) continue;
        rc = apply_setting(p, s, "", path, err);
    }
    return rc;
}

int mt_params_load_file(mt_params *p, const char *path, mt_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return mt_fail(err, MT_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    /* libconfig's scanner exits the process on a read error (e.g. a directory), so
     * the file is read here and handed over as text */
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return mt_fail(err, MT_EINPUT, "%s: not a regular file", path);
    }
    if (st.st_size > (1 << 24)) {
        fclose(f);
        return mt_fail(err, MT_EINPUT, "%s: %lld bytes is too large for a configuration file",
                       path, (long long)st.st_size);
    }
    char *text = malloc((size_t)st.st_size + 1);
    size_t len = text ? fread(text, 1, (size_t)st.st_size, f) : 0;
    int read_error = ferror(f);
    fclose(f);
    if (!text) return mt_fail(err, MT_ENOMEM, "%s: out of memory", path);
    if (read_error) {
        free(text);
        return mt_fail(err, MT_EINPUT, "%s: read error", path);
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        free(text);
        return mt_fail(err, MT_EINPUT, "%s: contains a NUL byte: not a configuration file", path);
    }
    int rc = params_load_string(p, text, path, err);
    free(text);
    return rc;
}

int params_load_string(mt_params *p, const char *text, const char *origin, mt_error *err)
{
    /* @include would let a file (or a checkpoint) pull in any other file, and libconfig
     * exits the process when the included path is a directory: a configuration is one
     * self-contained file. */
    const char *inc = strstr(text, "@include");
    if (inc) {
        int line = 1;
        for (const char *c = text; c < inc; c++) line += *c == '\n';
        return mt_fail(err, MT_EINPUT, "%s:%d: @include is not supported (put every setting in one file)",
                       origin, line);
    }
    config_t cfg;
    config_init(&cfg);
    int rc = config_read_string(&cfg, text)
                 ? load_config(p, &cfg, origin, err)
                 : mt_fail(err, MT_EINPUT, "%s:%d: %s", origin, config_error_line(&cfg),
                           config_error_text(&cfg));
    config_destroy(&cfg);
    return rc;
}

/* ------------------------------------------------------------------ presets */

typedef struct preset {
    const char *name;
    const char *doc;
    const char *settings[16][2];
} preset;

static const preset presets[] = {
    {"mnist", "the paper's MNIST network 784-250-10, 20 epochs, transfer every 8,000 images",
     {{"data.dataset", "mnist"}, {"net.hidden", "250"}, {"train.epochs", "20"},
      {"transfer.interval", "8000"}}},
    {"fashion", "Fashion-MNIST (Debian dataset-fashion-mnist), the mnist network; lr 0.03 (denser images: 0.1 is unstable)",
     {{"data.dataset", "fashion"}, {"net.hidden", "250"}, {"train.epochs", "20"},
      {"transfer.interval", "8000"}, {"train.lr", "0.03"}}},
    {"mnist-backrand", "MNIST on uniform random backgrounds (Larochelle et al. 2007), generated from MNIST; 784-250-10, lr 0.01",
     {{"data.dataset", "mnist-backrand"}, {"net.hidden", "250"}, {"train.epochs", "20"},
      {"transfer.interval", "8000"}, {"train.lr", "0.01"}}},
    {"cifar10", "CIFAR-10 as transfer learning: 2,048 ResNet-50 features -> 10 (tools/extract_features.py)",
     {{"data.dataset", "cifar10"}, {"net.hidden", ""}, {"train.epochs", "20"},
      {"transfer.interval", "8000"}, {"train.lr", "0.05"}}},
    {"cifar100", "CIFAR-100 as transfer learning: 2,048 -> 100 with bias = the paper's 204,900 synapses",
     {{"data.dataset", "cifar100"}, {"net.hidden", ""}, {"train.epochs", "20"},
      {"transfer.interval", "8000"}, {"train.lr", "0.05"}}},
    {"digits", "UCI 8x8 digits (1,437 train / 360 test), 64-32-10: a seconds-long run for tests",
     {{"data.dataset", "digits"}, {"net.hidden", "32"}, {"train.epochs", "30"},
      {"transfer.interval", "1000"}, {"train.lr_step_epochs", "10"}}},
};

const char *const *mt_preset_names(void)
{
    static const char *names[sizeof presets / sizeof presets[0] + 1];
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) names[i] = presets[i].name;
    return names;
}

const char *params_preset_doc(const char *name)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0) return presets[i].doc;
    return NULL;
}

int mt_params_apply_preset(mt_params *p, const char *name, mt_error *err)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        if (strcmp(presets[i].name, name) != 0) continue;
        for (int k = 0; k < 16 && presets[i].settings[k][0]; k++) {
            int rc = mt_params_set(p, presets[i].settings[k][0], presets[i].settings[k][1],
                                   "preset", err);
            if (rc) return rc;
        }
        return MT_OK;
    }
    for (const char *const *c = cost_preset_names(); *c; c++)
        if (strcmp(*c, name) == 0) return cost_apply_preset(p, name, err);
    char names[256] = "";
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        size_t len = strlen(names);
        snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", presets[i].name);
    }
    for (const char *const *c = cost_preset_names(); *c; c++) {
        size_t len = strlen(names);
        snprintf(names + len, sizeof names - len, ", %s", *c);
    }
    return mt_fail(err, MT_EINPUT, "unknown preset '%s' (known: %s)", name, names);
}

/* ------------------------------------------------------------------ validation */

int params_parse_hidden(const char *text, int *sizes, int max_layers, int *count, mt_error *err)
{
    *count = 0;
    const char *s = text;
    while (*s == ' ') s++;
    if (*s == '\0') return MT_OK;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno || v < 1 || v > 1000000)
            return mt_fail(err, MT_EINPUT,
                           "net.hidden = '%s': expected comma-separated layer sizes in 1..1000000",
                           text);
        if (*count >= max_layers)
            return mt_fail(err, MT_EINPUT, "net.hidden = '%s': at most %d hidden layers", text,
                           max_layers);
        sizes[(*count)++] = (int)v;
        s = end;
        while (*s == ' ') s++;
        if (*s == '\0') return MT_OK;
        if (*s != ',')
            return mt_fail(err, MT_EINPUT,
                           "net.hidden = '%s': expected comma-separated layer sizes", text);
        s++;
    }
}

int mt_params_validate(const mt_params *p, mt_error *err)
{
    const mt_cap3t1c_params *c = &p->cap;
    if (!(c->v_min_V < c->vt_V && c->vt_V < c->v_init_V && c->v_init_V < c->v_max_V))
        return mt_fail(err, MT_EINPUT,
                       "cap: need v_min_V < vt_V < v_init_V < v_max_V (have %g, %g, %g, %g)",
                       c->v_min_V, c->vt_V, c->v_init_V, c->v_max_V);
    if (!(c->v_min_V <= c->v_leak_V && c->v_leak_V <= c->v_max_V))
        return mt_fail(err, MT_EINPUT, "cap.v_leak_V = %g must lie between the rails [%g, %g]",
                       c->v_leak_V, c->v_min_V, c->v_max_V);
    if (c->dv_up_V >= c->v_max_V - c->v_init_V || c->dv_down_V >= c->v_init_V - c->v_min_V)
        return mt_fail(err, MT_EINPUT, "cap.dv_up_V/dv_down_V must be smaller than the distance "
                                       "from v_init_V to the rails");
    if (p->transfer.g_target_max_uS > p->pcm.g_max_uS)
        return mt_fail(err, MT_EINPUT,
                       "transfer.g_target_max_uS = %g exceeds pcm.g_max_uS = %g",
                       p->transfer.g_target_max_uS, p->pcm.g_max_uS);
    if (p->periph.dac_bits == 1 || p->periph.adc_bits == 1)
        return mt_fail(err, MT_EINPUT, "periph.dac_bits/adc_bits = 1: a signed converter needs "
                                       "at least 2 bits (0 = ideal)");
    int sizes[8], n;
    int rc = params_parse_hidden(p->net.hidden, sizes, 8, &n, err);
    if (rc) return rc;
    int inputs, classes;
    if ((rc = mt_dataset_shape(p->data.dataset, &inputs, &classes, err))) return rc;
    return MT_OK;
}

/* ------------------------------------------------------------------ writing */

void mt_params_write(const mt_params *p, FILE *f)
{
    fprintf(f, "# memtrain parameters (libconfig syntax); memtrain params --markdown documents each.\n");
    const char *section = "";
    size_t section_len = 0;
    for (size_t i = 0; i < params_count(); i++) {
        const param_def *d = params_entry(i);
        const char *dot = strchr(d->key, '.');
        size_t len = (size_t)(dot - d->key);
        if (len != section_len || strncmp(section, d->key, len) != 0) {
            if (section_len) fprintf(f, "};\n");
            section = d->key;
            section_len = len;
            fprintf(f, "%.*s = {\n", (int)len, section);
        }
        char value[600];
        params_format_value(p, d, value, sizeof value);
        /* libconfig needs a decimal point or exponent to read a float as float, an L
         * suffix for integers beyond 32 bits, and escapes for quote and backslash. */
        if (d->type == P_DOUBLE && !strpbrk(value, ".eEn")) strcat(value, ".0");
        if (d->type == P_LONG) strcat(value, "L");
        fprintf(f, "  %-26s = ", dot + 1);
        if (d->type == P_STRING || d->type == P_ENUM || d->type == P_U64) {
            fputc('"', f);
            for (const char *c = value; *c; c++) {
                if (*c == '"' || *c == '\\') fputc('\\', f);
                if (*c == '\n') fputs("\\n", f);
                else if (*c == '\t') fputs("\\t", f);
                else fputc(*c, f);
            }
            fputc('"', f);
        } else {
            fputs(value, f);
        }
        fprintf(f, ";  # %s\n", d->unit);
    }
    if (section_len) fprintf(f, "};\n");
}

void mt_params_write_markdown(FILE *f)
{
    fprintf(f, "| parameter | default | unit | range | source | meaning |\n");
    fprintf(f, "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < params_count(); i++) {
        const param_def *d = params_entry(i);
        char range[128] = "";
        if (d->type == P_DOUBLE) snprintf(range, sizeof range, "%g … %g", d->min, d->max);
        else if (d->type == P_INT || d->type == P_LONG)
            snprintf(range, sizeof range, "%.0f … %.0f", d->min, d->max);
        else if (d->type == P_ENUM) list_enum(d, range, sizeof range);
        else if (d->type == P_BOOL) snprintf(range, sizeof range, "true, false");
        fprintf(f, "| `%s` | %s%s%s | %s | %s | %s | %s |\n", d->key, d->def[0] ? "`" : "",
                d->def[0] ? d->def : "\"\"", d->def[0] ? "`" : "", d->unit, range, d->source,
                d->help);
    }
}
