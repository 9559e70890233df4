/* memtrain.h — in-situ training of neural networks on analogue memory.
 *
 * memtrain simulates backpropagation performed *inside* crossbar arrays whose
 * synapses are phase-change-memory (PCM) pairs plus a volatile 3T1C capacitor
 * cell, as in S. Ambrogio et al., "Equivalent-accuracy accelerated
 * neural-network training using analogue memory", Nature 558, 60-67 (2018).
 * Every analogue run trains a floating-point "software twin" beside it: same
 * initial weights, same data order, same learning rate, so the paper's claim
 * (equivalence with software training) can be checked directly.
 *
 * This header is the documentation a user reads first.  Conventions:
 *   - Every function that can fail returns an mt_status code (0 = MT_OK) and, if
 *     given a non-NULL mt_error, fills it with one line naming the file, field or
 *     parameter at fault.  Nothing in the library prints or exits.
 *   - Objects returned through `**out` are owned by the caller and released with
 *     the matching _free function (which accepts NULL).
 *   - Units are in the names: _uS microsiemens, _V volts, _s seconds, _J joules.
 *   - "weight units" are the software network's units; the crossbar maps one
 *     weight unit onto cell.uS_per_weight microsiemens of cell conductance.
 *   - Every random draw comes from counter-based streams keyed by
 *     (seed, tile, purpose, example, index): results never depend on the thread
 *     count or on loop order.
 */
#ifndef MEMTRAIN_H
#define MEMTRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MT_VERSION "0.1.0"

/* ===================================================================== status */

/* Status codes.  The CLI uses them as exit statuses (docs/errors.md). */
enum mt_status {
    MT_OK = 0,
    MT_EINTERNAL = 1, /* a bug in memtrain: please report it */
    MT_EINPUT = 2,    /* bad input: missing/corrupt file, unknown or out-of-range parameter */
    MT_EOUTPUT = 3,   /* an output file could not be written (permissions, disk full) */
    MT_ENUMERIC = 4,  /* NaN or Inf appeared in activations, errors or conductances */
    MT_ENOMEM = 5     /* an allocation failed */
};

/* One line describing what went wrong, e.g.
 * "data/mnist/train-images-idx3-ubyte.gz: truncated: expected 47040016 bytes, found 1000". */
typedef struct mt_error {
    int code;
    char message[512];
} mt_error;

/* Short name of a status code ("bad input", ...). */
const char *mt_status_name(int code);

/* ================================================================= parameters */

/* Which unit cell the crossbar is built from. */
typedef enum mt_cell_kind {
    MT_CELL_FLOAT = 0,    /* the software twin: exact float32 weights, no periphery */
    MT_CELL_2PCM = 1,     /* PCM pair only, W = (G+ - G-): Burr et al. 2015 */
    MT_CELL_2PCM3T1C = 2  /* W = F (G+ - G-) + p (g - g_shared): Ambrogio et al. 2018 */
} mt_cell_kind;

typedef enum mt_activation { MT_ACT_SIGMOID = 0, MT_ACT_TANH = 1, MT_ACT_RELU = 2 } mt_activation;

typedef enum mt_lr_schedule {
    MT_LR_CONSTANT = 0, /* lr every epoch */
    MT_LR_STEP = 1,     /* lr * decay^floor(epoch / step_epochs) */
    MT_LR_EXP = 2       /* lr * decay^epoch */
} mt_lr_schedule;

/* Whether a training or inference step splits the first layer between threads
 * (train.layer_split).  Results never depend on it. */
typedef enum mt_layer_split {
    MT_SPLIT_AUTO = 0,   /* time both ways now and then, run the faster (net/split_choice.h) */
    MT_SPLIT_ALWAYS = 1, /* whenever the layer is large enough and threads are free */
    MT_SPLIT_NEVER = 2   /* one thread per network */
} mt_layer_split;

/* 3T1C capacitor cell (PAPER.md §2-3).  The capacitor voltage V_C (V) drives the
 * gate of a read transistor whose conductance is the cell's weight:
 *     g(V_C) = k (V_C - V_T)^2 for V_C > V_T, else 0        (µS)
 * with k set so that g(v_init_V) = g_at_init_uS for the nominal V_T.  An up
 * (pull-up) pulse adds dv_up (1 - lambda (V_C - v_init)) to V_C, a down pulse
 * subtracts dv_down (1 + lambda (V_C - v_init)): the charging transistors'
 * currents depend mildly on V_C (lambda = step_slope_per_V); V_C stays within the rails.
 * Leakage: dV_C/dt = (v_leak_V - V_C) / tau_s. */
typedef struct mt_cap3t1c_params {
    double v_min_V, v_max_V;   /* rails */
    double v_init_V;           /* re-initialisation voltage after each transfer (paper: 0.5 V) */
    double v_leak_V;           /* voltage leakage drifts toward (paper: ~0.8 V) */
    double tau_s;              /* leakage time constant */
    double vt_V;               /* read-transistor threshold voltage V_T (nominal) */
    double g_at_init_uS;       /* g(v_init_V) for the nominal device */
    double dv_up_V;            /* voltage step of one up pulse at v_init_V (nominal) */
    double dv_down_V;          /* voltage step of one down pulse at v_init_V (nominal) */
    double step_slope_per_V;   /* lambda: relative change of a step per volt of V_C */
    double sigma_g_uS;         /* device-to-device σ of g at v_init_V (via V_T mismatch) */
    double sigma_dv_up_rel;    /* device-to-device σ of the up step, relative */
    double sigma_dv_down_rel;  /* device-to-device σ of the down step, relative */
    double pulse_noise_rel;    /* cycle-to-cycle σ of each pulse's step, relative */
} mt_cap3t1c_params;

/* Phase-change memory device (PAPER.md §3).  Conductance G in [0, G_max] (µS).
 * A SET pulse adds a stochastic, state-dependent increment ("jump model"):
 *     dG = set_step_uS (1 - G/G_max) (1 + set_noise_rel N(0,1)),  G clipped to [0, G_max]
 * Closed-loop programming uses SET ramps aimed at an increment d, which land at
 * d (1 + program_noise_rel N(0,1)).  RESET returns G to 0.  A read returns
 * G (1 + read_noise_rel N(0,1)).
 * Drift after programming at t_p: G(t) = G (( t - t_p) / drift_t0_s)^(-nu) for
 * t - t_p > drift_t0_s, nu ~ N(drift_nu, drift_nu_sigma) per device. */
typedef struct mt_pcm_params {
    double g_max_uS;           /* mean saturation conductance */
    double g_max_sigma_rel;    /* device-to-device σ of G_max, relative */
    double set_step_uS;        /* mean SET increment at G = 0 */
    double set_noise_rel;      /* cycle-to-cycle σ of a SET increment, relative to its mean */
    double program_noise_rel;  /* σ of an aimed SET ramp's increment, relative to the aim */
    double read_noise_rel;     /* σ of one read, relative to G */
    int drift;                 /* apply drift (off during training by default: see docs/model.md) */
    double drift_nu, drift_nu_sigma, drift_t0_s;
    double stuck_fraction;     /* fraction of devices stuck at a random conductance in [0, G_max] */
} mt_pcm_params;

/* Array periphery.  Forward: inputs are quantised by a DAC over [-input_max, input_max];
 * column currents get Gaussian noise (out_noise, in weight units x input units), are
 * clipped to ±out_bound and quantised by an ADC.  Backward: the error vector is first
 * normalised by its largest magnitude (digital scaling), then goes through the same chain.
 * Bound management: a read with a saturated output is repeated with half the
 * integration time (half the signal, fresh noise), up to bound_iterations times. */
typedef struct mt_periphery_params {
    int dac_bits;              /* 0 = ideal (no quantisation) */
    int adc_bits;              /* 0 = ideal */
    double input_max;          /* DAC full scale */
    double out_bound;          /* ADC full scale = saturation bound */
    double out_noise;          /* σ of the output noise */
    int bound_management;      /* repeat a saturated read with halved integration time */
    int bound_iterations;      /* ... at most this many times (range x 2^iterations) */
} mt_periphery_params;

/* The unit cell and the mapping of software weights onto it. */
typedef struct mt_cell_params {
    mt_cell_kind kind;
    double uS_per_weight;      /* µS of cell weight per software weight unit */
    double significance_F;     /* F in W = F (G+ - G-) + p (g - g_shared) */
    int variability;           /* 0 switches every device-to-device σ off (ablation) */
    double refresh_uS;         /* 2pcm: RESET-and-reprogram a pair when a device exceeds this */
    int max_pulses_per_update; /* most pulses one synapse receives from one example */
} mt_cell_params;

/* Transfer of the capacitor's weight into the PCM pair (PAPER.md §4). */
typedef struct mt_transfer_params {
    long interval;             /* training examples between transfers (paper: 8000) */
    double offset_uS;          /* positive offset left for g to correct by increasing (paper: 2 µS) */
    int polarity_inversion;    /* flip p at every transfer */
    double tolerance_uS;       /* closed-loop target tolerance on G+ - G- */
    int max_pulses;            /* closed-loop SET-pulse budget per pair */
    double g_target_max_uS;    /* largest |G+ - G-| programmed (control degrades above) */
    int writeback;             /* write the residual programming error back into g */
    int writeback_iterations;  /* closed-loop write-back: pulse, read g, correct (1 = open loop) */
    int reset_before_program;  /* RESET both PCM devices before every transfer's programming */
} mt_transfer_params;

/* Network shape and data. */
typedef struct mt_net_params {
    char hidden[128];          /* hidden layer sizes, e.g. "250" or "500,250" ("" = none) */
    mt_activation activation;  /* of hidden layers; the output is softmax + cross-entropy */
    double init_scale;         /* initial weights U(-s, s) / sqrt(fan_in) */
} mt_net_params;

typedef struct mt_data_params {
    char dataset[32];          /* mnist | mnist-backrand | fashion | digits | cifar10 | cifar100 */
    char dir[512];             /* directory holding the files ("" = the default for the dataset) */
    long train_limit;          /* use only the first N training examples (0 = all) */
    long test_limit;           /* use only the first N test examples (0 = all) */
    char features[512], labels[512];           /* cifar: training .npy files ("" = in dir) */
    char test_features[512], test_labels[512]; /* cifar: test .npy files ("" = in dir) */
    double feature_quantile;   /* cifar: features are divided by this quantile of |x| (train set) */
    char cache_dir[512];       /* mnist-backrand: where generated images are cached */
    uint64_t backrand_seed;    /* mnist-backrand: seed of the background noise */
} mt_data_params;

typedef struct mt_train_params {
    int epochs;
    double lr;                 /* learning rate of batch-1 SGD (weight units) */
    mt_lr_schedule lr_schedule;
    double lr_decay;
    int lr_step_epochs;
    uint64_t seed;             /* every random stream derives from this */
    double example_time_s;     /* simulated time per training example (drives leakage) */
    int leak_sync_examples;    /* refresh leaked weights at least every N examples (1 = exact) */
    int threads;               /* 0 = OpenMP default */
    mt_layer_split layer_split; /* how threads share one network's steps */
    int pulse_stats;           /* record per-synapse pulse counts */
    long pulse_window;         /* ... over the first N training examples */
    int twin;                  /* also train the float twin */
} mt_train_params;

/* Assumptions of the energy, area and throughput model (src/cost, docs/cost.md).
 * Every field is a cost.* parameter with its unit and source in docs/parameters.md. */
typedef struct mt_cost_params {
    /* technology and area */
    double node_nm;                  /* CMOS feature size F (nm): sets F^2 of the cell areas */
    double pcm_area_F2;              /* one PCM device with its access transistor (F^2) */
    double cap3t1c_area_F2;          /* one 3T1C cell: three transistors and the capacitor (F^2) */
    double line_area_um2;            /* periphery of one row or column line: driver, integrator (µm^2) */
    double adc_area_um2;             /* one ADC (µm^2) */
    double neuron_area_um2;          /* activation / scaling circuit of one ADC channel (µm^2) */
    double tile_overhead_area_um2;   /* control, buffers and routing of one tile (µm^2) */
    /* array reads (forward and backward) */
    double vdd_V;                    /* supply of the 3T1C pulses and update lines (V) */
    double read_voltage_V;           /* read voltage across a cell during integration (V) */
    double cell_read_conductance_uS; /* mean conductance a cell conducts in a read, G+ + G- + g (µS) */
    double integration_time_ns;      /* full-scale current integration window of one read (ns) */
    double line_cap_per_cell_fF;     /* line capacitance charged per cell and read (fF) */
    double dac_energy_fJ;            /* one input conversion: pulse-width generator and line driver (fJ) */
    int adc_bits;                    /* ADC resolution costed (bit; 0 = periph.adc_bits) */
    double adc_fom_fJ_per_step;      /* Walden figure of merit: E_conversion = FoM 2^bits (fJ/step) */
    double adc_conversion_ns;        /* time of one conversion (ns) */
    int outputs_per_adc;             /* lines time-multiplexed onto one ADC */
    double neuron_energy_fJ;         /* activation / derivative / scaling of one output (fJ) */
    double neuron_time_ns;           /* activation stage after the last conversion of a pass (ns) */
    /* updates */
    double cap_capacitance_fF;       /* 3T1C capacitor C: a pulse draws C dV from vdd (fF) */
    double cap_pulse_gate_fF;        /* gate and wire capacitance switched by one pulse (fF) */
    double update_pulse_ns;          /* one 3T1C update pulse slot (ns) */
    double update_line_energy_fJ;    /* driving one row or column line through an update (fJ) */
    /* PCM programming (transfers, 2pcm updates and refreshes) */
    double pcm_set_energy_pJ;        /* one SET pulse or ramp (pJ) */
    double pcm_set_ns;               /* one SET pulse or ramp (ns) */
    double pcm_reset_energy_pJ;      /* one RESET pulse (pJ) */
    double pcm_reset_ns;             /* one RESET pulse (ns) */
    /* static power */
    double cell_leakage_pW;          /* static power of one unit cell (pW) */
    double tile_static_uW;           /* static power of one tile's periphery (µW) */
    /* steady-state activity (memtrain cost without --from), per synapse */
    double cap_pulses_per_synapse_per_example;  /* 3T1C update pulses per training example */
    double pcm_pulses_per_synapse_per_example;  /* 2pcm SET update pulses per training example */
    double transfer_set_pulses_per_pair;        /* SET pulses per pair and transfer */
    double transfer_resets_per_pair;            /* RESETs per pair and transfer */
    double transfer_reads_per_pair;             /* verify reads per pair and transfer */
    double writeback_pulses_per_cell;           /* write-back pulses per 3T1C cell and transfer */
    double writeback_reads_per_cell;            /* write-back reads per 3T1C cell and transfer */
    /* the GPU compared against */
    double gpu_tops;                 /* throughput (TOPS) */
    double gpu_watts;                /* power (W) */
    double gpu_area_mm2;             /* die area (mm^2) */
} mt_cost_params;

typedef struct mt_params {
    mt_cap3t1c_params cap;
    mt_pcm_params pcm;
    mt_periphery_params periph;
    mt_cell_params cell;
    mt_transfer_params transfer;
    mt_net_params net;
    mt_data_params data;
    mt_train_params train;
    mt_cost_params cost;
} mt_params;

/* Fill p with every documented default (docs/parameters.md). */
void mt_params_default(mt_params *p);

/* Apply a named preset ("mnist", "fashion", "digits") on top of p. */
int mt_params_apply_preset(mt_params *p, const char *preset, mt_error *err);

/* Set one parameter from text: key is "section.name" (e.g. "cap.tau_s"),
 * value is parsed per the parameter's type and range-checked.  `origin` names
 * where the assignment came from for error messages (e.g. "--set"). */
int mt_params_set(mt_params *p, const char *key, const char *value, const char *origin, mt_error *err);

/* Read a libconfig file ("cap = { tau_s = 0.5; };") and apply every setting.
 * Unknown keys and out-of-range values are errors that name the file and line. */
int mt_params_load_file(mt_params *p, const char *path, mt_error *err);

/* Check cross-parameter consistency (e.g. v_min < v_init < v_max). */
int mt_params_validate(const mt_params *p, mt_error *err);

/* Write p as a libconfig file that mt_params_load_file reads back identically. */
void mt_params_write(const mt_params *p, FILE *f);

/* Write the parameter table (key, default, unit, range, source, meaning) as Markdown. */
void mt_params_write_markdown(FILE *f);

/* Names of built-in presets, NULL-terminated. */
const char *const *mt_preset_names(void);

/* ==================================================================== datasets */

/* A labelled dataset held in memory: n examples of dim features in [0, 1]. */
typedef struct mt_dataset {
    long n;                /* examples */
    int dim;               /* features per example */
    int classes;           /* labels are 0 .. classes-1 */
    float *x;              /* n x dim, row-major */
    uint8_t *y;            /* n labels */
    char name[64];         /* e.g. "mnist/train" */
} mt_dataset;

/* Read an IDX file (LeCun's MNIST format), plain or gzip-compressed (detected by
 * content).  Only unsigned-byte data (type 0x08) is accepted.  The header, the
 * dimensions and the exact payload length are checked; a truncated, oversized or
 * corrupt file is rejected with a message naming the file.  On success *data
 * holds prod(dims) bytes (caller frees), dims[0..*ndims-1] the dimensions. */
int mt_idx_read(const char *path, uint8_t **data, int *ndims, uint32_t dims[4], mt_error *err);

/* Load an IDX image file and its label file into a dataset (pixels scaled by 1/255).
 * limit > 0 keeps the first `limit` examples.  Labels must be < classes. */
int mt_dataset_load_idx(const char *images_path, const char *labels_path, int classes,
                        long limit, const char *name, mt_dataset *out, mt_error *err);

/* Load an MNIST-layout directory: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. */
int mt_dataset_load_mnist_dir(const char *dir, int train, long limit, const char *name,
                              mt_dataset *out, mt_error *err);

/* Load a CSV of integers: `dim` features then the label per line (UCI optdigits:
 * 64 values 0..16 then the label).  Features are divided by feature_max.  Plain or
 * gzip-compressed.  first/count select a contiguous slice of the lines
 * (count <= 0 = to the end). */
int mt_dataset_load_csv(const char *path, int dim, double feature_max, int classes,
                        long first, long count, const char *name, mt_dataset *out, mt_error *err);

/* Release the arrays of a dataset (the struct itself is the caller's). */
void mt_dataset_free(mt_dataset *d);

/* Inputs per example and classes of a known dataset name; MT_EINPUT if unknown. */
int mt_dataset_shape(const char *dataset, int *inputs, int *classes, mt_error *err);

/* Load the training or test split named by p->data (dataset, dir, limits).
 * Default directories: mnist -> data/mnist (beside the executable's repository,
 * or MEMTRAIN_DATA), fashion -> /usr/share/datasets/fashion-mnist,
 * digits -> data/uci-optdigits-8x8 (first 1437 lines train, last 360 test). */
int mt_dataset_load_for(const mt_params *p, int train, mt_dataset *out, mt_error *err);

/* --- NumPy .npy files (transfer-learning features, tools/extract_features.py) ---
 *
 * .npy versions 1.0, 2.0 and 3.0 are read, plain or gzip-compressed (detected by
 * content).  The header must be NumPy's dict literal with exactly the keys
 * 'descr', 'fortran_order' and 'shape' (parsed, never evaluated); fortran_order
 * must be False (C order), the dtype little-endian ('<'; a '>' descr is refused)
 * and the payload exactly shape x itemsize bytes (at most 2^31).  Every
 * deviation is an MT_EINPUT error whose message starts with the file's path. */

/* Read a 2-D float32 ('<f4') or float64 ('<f8') array as float32: *data holds
 * rows x cols floats, row-major (caller frees).  float64 values are rounded to
 * the nearest float32.  A NaN or Inf (or a float64 beyond float32's range) is an
 * error naming the row and column. */
int mt_npy_read_matrix(const char *path, float **data, long *rows, int *cols, mt_error *err);

/* Read a 1-D label vector: integers ('|u1', '|i1', '<i2', '<u2', '<i4', '<u4',
 * '<i8', '<u8') or integral floats ('<f4', '<f8'), each in [0, max_classes)
 * (max_classes 1 to 256).  *labels holds *n bytes (caller frees). */
int mt_npy_read_labels(const char *path, uint8_t **labels, long *n, int max_classes, mt_error *err);

/* Load a feature matrix and its label vector (both .npy) into a dataset: dim is
 * the matrix's column count, and its row count must equal the label count (the
 * message names both files).  limit > 0 keeps the first `limit` examples; name
 * NULL uses the features path.  Unlike the image loaders, the features are not
 * in [0, 1]: they are whatever the feature extractor produced (ResNet-50's
 * pooled activations are >= 0 and unbounded); scale them with
 * mt_dataset_abs_quantile and mt_dataset_scale before training. */
int mt_dataset_load_npy(const char *features, const char *labels, int classes, long limit,
                        const char *name, mt_dataset *out, mt_error *err);

/* --- Feature scaling ---
 *
 * The crossbar's DAC takes inputs in [-periph.input_max, +periph.input_max] and
 * clips anything beyond, so unbounded features must be scaled first.  Compute the
 * factor on the TRAINING set only and apply the same factor to both splits (the
 * test set must not influence preprocessing):
 *     float s = mt_dataset_abs_quantile(&train, 0.999);
 *     if (s > 0 && isfinite(s)) { mt_dataset_scale(&train, 1.0f / s); mt_dataset_scale(&test, 1.0f / s); }
 * A quantile q < 1 leaves the few largest features (fraction 1 - q) beyond 1; the
 * DAC clips them. */

/* The q-quantile (q in [0, 1]) of |x| over all n x dim features of d, with
 * linear interpolation between order statistics (numpy.quantile's default):
 * q = 0 is the smallest |x|, q = 1 the largest, q = 0.5 the median.  Exact, in
 * three passes over the data and no copy.  Returns NaN when d holds no features
 * or q is outside [0, 1] or NaN. */
float mt_dataset_abs_quantile(const mt_dataset *d, double q);

/* Multiply every feature of d by factor. */
void mt_dataset_scale(mt_dataset *d, float factor);

/* --- CIFAR binary files (Krizhevsky 2009: data_batch_N.bin, test_batch.bin,
 * train.bin, test.bin) ---
 *
 * classes 10: records of 1 label byte + 3072 pixel bytes; classes 100: coarse
 * label (0..19) + fine label + 3072 pixel bytes, and the fine label is kept.  The
 * pixels are the R, G and B planes of a 32 x 32 image, each row-major; the
 * dataset keeps that order with dim 3072 and pixel / 255.  Plain or gzip.  The
 * file must be a positive multiple of the record size ("truncated record", or
 * "not a CIFAR-10 file" when it is a whole number of the other kind's records)
 * and every label below `classes` (the message names the record, counted from
 * 0); all records are checked even when limit > 0 keeps only the first ones.
 * name NULL uses the path. */
int mt_dataset_load_cifar_bin(const char *path, int classes, long limit, const char *name,
                              mt_dataset *out, mt_error *err);

/* --- MNIST-backrand (Larochelle et al., ICML 2007) ---
 *
 * MNIST digits whose background is noise: every pixel of value 0 is replaced by
 * a uniform random byte 0..255 (/255), every other (digit) pixel is kept.  The
 * byte for pixel j of example i is the top 8 bits of
 *     rng_bits(rng_key(seed, split, 0x4241434B ('BACK'), i), j)
 * (src/util/rng.h), so the noise depends only on the seed, the split and the
 * position: deterministic, independent of thread count and loop order, and a
 * prefix of a split (limit) gets the same noise as the whole split. */

/* Make the backrand version of `mnist` (pixels in [0, 1], e.g. from
 * mt_dataset_load_mnist_dir) into *out (labels copied; name
 * "mnist-backrand/train" or "mnist-backrand/test").  split 0 = train, 1 = test:
 * part of the key, so the two splits get different noise.  A pixel outside
 * [0, 1] is an MT_EINPUT error. */
int mt_backrand_generate(const mt_dataset *mnist, uint64_t seed, int split, mt_dataset *out,
                         mt_error *err);

/* Write an IDX file of unsigned bytes (type 0x08): ndims 1 to 4 dimensions, each
 * at least 1, prod(dims) <= 2^31 bytes of data (what mt_idx_read accepts).
 * gzip-compressed when the path ends in ".gz".  Written atomically: to a
 * temporary file in the same directory, fsync'd, then renamed over `path`, so
 * readers never see half a file.  An unwritable path fails with MT_EOUTPUT and a
 * message naming it. */
int mt_idx_write(const char *path, const uint8_t *data, int ndims, const uint32_t *dims,
                 mt_error *err);

/* Load the MNIST-backrand training (train != 0) or test split with the given
 * seed.  The images are cached as
 *     cache_dir/mnist-backrand-seed<SEED>-{train,t10k}-images-idx3-ubyte.gz
 * (SEED in decimal); the labels are MNIST's, read from mnist_dir.  If the cache
 * file exists it is read (and must match MNIST's label count); otherwise the
 * whole split is generated from mnist_dir, written to the cache (cache_dir is
 * created if missing; a failure to write it is an MT_EOUTPUT error) and
 * returned.  cache_dir NULL generates without caching.  limit > 0 then keeps the
 * first `limit` examples.  The cache belongs to mnist_dir's files: delete it if
 * they change.  Name: "mnist-backrand/train" or "mnist-backrand/test". */
int mt_dataset_load_backrand(const char *mnist_dir, const char *cache_dir, uint64_t seed, int train,
                             long limit, mt_dataset *out, mt_error *err);

/* ============================================================= operation counts */

/* What the arrays did: the cost model (src/cost) turns these into energy and time. */
typedef struct mt_counters {
    uint64_t forward_passes, backward_passes;
    uint64_t forward_macs, backward_macs;     /* rows x cols per pass (the array computes all) */
    uint64_t dac_conversions, adc_conversions;
    uint64_t update_rows;                     /* rows that received an update */
    uint64_t cap_pulses_up, cap_pulses_down;  /* 3T1C update pulses */
    uint64_t pcm_set_pulses_update;           /* 2pcm: SET pulses during training */
    uint64_t pcm_set_pulses_program;          /* SET pulses during closed-loop programming */
    uint64_t pcm_resets;
    uint64_t verify_reads;                    /* pair reads during closed-loop programming */
    uint64_t program_failures;                /* pairs not within tolerance when the budget ran out */
    uint64_t cap_reinits;                     /* capacitor re-initialisations */
    uint64_t writeback_pulses;                /* capacitor pulses writing residuals back */
    uint64_t writeback_reads;                 /* capacitor verify reads during write-back */
    uint64_t refreshes;                       /* 2pcm RESET-and-reprogram events */
    uint64_t transfers;                       /* tile transfers */
    uint64_t saturations;                     /* reads left with a clipped output */
    uint64_t bound_retries;                   /* reads repeated by bound management */
} mt_counters;

/* ==================================================================== network */

typedef struct mt_network mt_network;

/* Build a fully connected network n_in -> hidden... -> n_out (each layer with a
 * bias row) from cells of the given kind.  Initial software weights are drawn from
 * `seed` alone, so networks of different kinds built with the same seed start
 * from the same target weights; analogue cells are programmed to them. */
int mt_network_create(const mt_params *p, mt_cell_kind kind, int n_in, int n_out,
                      mt_network **out, mt_error *err);
void mt_network_free(mt_network *net);

/* One batch-1 SGD step on example x (n_in floats) with label `label`.
 * example_index is the global position in the training stream: it keys every
 * random draw and advances simulated time.  Transfers happen inside, every
 * transfer.interval examples.  *correct is set to whether the prediction before
 * the update was right.  Returns MT_ENUMERIC if a NaN/Inf appears. */
int mt_network_train_example(mt_network *net, const float *x, int label, double lr,
                             uint64_t example_index, int *correct, mt_error *err);

/* Batch-1 SGD on examples k0 .. k1-1 of `data` in turn: example k is row order[k]
 * (order NULL: row k mod data->n) with example_index first_index + k.  The same
 * steps, with the same results, as mt_network_train_example on each; but on more
 * than one thread the threads stay together from one example to the next rather
 * than meeting in a new parallel region for each (faster: docs/performance.md).
 * Adds the number of right predictions (made before each update) to *correct (may
 * be NULL).  Stops at the first error (MT_ENUMERIC, or MT_EINPUT for a dataset whose
 * shape does not fit the network or an order entry outside the dataset). */
int mt_network_train_examples(mt_network *net, const mt_dataset *data, const long *order, long k0,
                              long k1, double lr, uint64_t first_index, long *correct, mt_error *err);

/* Predicted class of x (forward pass only; does not change state or time).
 * eval_key distinguishes evaluation passes in the noise streams. */
int mt_network_predict(mt_network *net, const float *x, uint64_t eval_key);

/* Predictions of examples k0 .. k1-1 of `data` (example k: row k mod data->n, with
 * eval_key first_key + k): the same as mt_network_predict on each, but on more than
 * one thread one team of threads works through all of them.  *correct: how many equal
 * their labels; predicted (may be NULL): predicted[k - k0] for each.  MT_EINPUT for a
 * dataset whose shape does not fit the network. */
int mt_network_evaluate(mt_network *net, const mt_dataset *data, long k0, long k1, uint64_t first_key,
                        long *correct, int *predicted, mt_error *err);

/* Sum of every tile's counters. */
mt_counters mt_network_counters(const mt_network *net);

/* Bytes of simulated state held by the network's tiles (device states, mismatch
 * parameters, cached weights, per-row/column vectors); divide by the synapse count
 * for bytes per synapse (2pcm3t1c: 29, docs/performance.md). */
size_t mt_network_state_bytes(const mt_network *net);

int mt_network_layers(const mt_network *net);
/* Shape of layer l: rows (inputs + 1 bias row) and cols (outputs). */
void mt_network_layer_shape(const mt_network *net, int l, int *rows, int *cols);
/* Current effective weights of layer l in weight units (rows x cols, bias row last),
 * computed exactly from the device state at the current simulated time. */
void mt_network_layer_weights(mt_network *net, int l, float *w);
/* Per-synapse pulse statistics of layer l over the pulse window (NULL when
 * pulse_stats is off): total pulses and net (up minus down, in weight direction). */
int mt_network_pulse_stats(const mt_network *net, int l, const int32_t **total, const int32_t **net_pulses);

/* ==================================================================== training */

/* One epoch's results, as printed and written to --json. */
typedef struct mt_epoch_result {
    int epoch;                 /* 1-based */
    const char *cell;          /* "float", "2pcm", "2pcm3t1c" */
    double lr;
    double train_acc, test_acc;           /* analogue network, fractions in [0, 1] */
    double twin_train_acc, twin_test_acc; /* software twin (NaN when not trained) */
    double online_acc;                    /* analogue accuracy during the epoch's updates */
    uint64_t examples;                    /* training examples seen so far */
    uint64_t transfers;                   /* transfers so far (per network, not per tile) */
    double sim_time_s;                    /* simulated time so far */
    double seconds;                       /* wall-clock seconds of this epoch */
    mt_counters counters;                 /* cumulative */
} mt_epoch_result;

typedef void (*mt_epoch_callback)(const mt_epoch_result *r, void *user);

/* Crash safety of a run.  Checkpoints hold the complete state (docs/errors.md,
 * src/train/checkpoint.h): a run resumed from one continues bit for bit. */
typedef struct mt_run_options {
    const char *checkpoint_path;  /* write checkpoints here (NULL: none) */
    long checkpoint_every;        /* ... every N training examples (0: at the end of each epoch) */
    const char *resume_path;      /* resume from this checkpoint (NULL: start afresh) */
} mt_run_options;

/* Train the network of p (cell kind p->cell.kind) and, if p->train.twin, its float
 * twin, on `train`; evaluate both on `train` and `test` after every epoch and call
 * `cb`.  *final receives the last epoch's result.  With opt->resume_path the run
 * continues from that checkpoint, whose parameters must equal p (read them with
 * mt_checkpoint_params); `cb` is first called again for every epoch the checkpoint
 * had finished, so a results file can be rewritten identically.  opt may be NULL.
 * A NaN or Inf in any weight is reported (MT_ENUMERIC) with epoch and example. */
int mt_train_run(const mt_params *p, const mt_dataset *train, const mt_dataset *test,
                 const mt_run_options *opt, mt_epoch_callback cb, void *user,
                 mt_epoch_result *final, mt_network **analogue_out, mt_error *err);

/* The parameters a checkpoint was written with. */
int mt_checkpoint_params(const char *path, mt_params *p, mt_error *err);

/* === cost model === */

/* Energy, area and throughput of the simulated hardware (src/cost, docs/cost.md).
 *
 *     energy = sum over components of count x energy per event
 *
 * Counts come from the arrays' operation counters (a run) or from the network
 * shape and the cost.* activity assumptions (steady state: one training example).
 * Energies per event, times and areas come from the cost.* parameters (and a few
 * device parameters: cap.dv_up_V/dv_down_V, periph.adc_bits,
 * cell.max_pulses_per_update, transfer.interval, transfer.writeback).
 *
 * Operations: one MAC (multiply-accumulate) = 2 operations; a training example
 * performs, over the FULL arrays, the forward MACs (rows x cols per layer), the
 * backward MACs ((rows - 1) x cols for layers 2..L) and the update MACs
 * (rows x cols per layer: every synapse's x_i delta_j, applied in parallel).
 * Evaluation passes of a run count as forward MACs.
 *     GOP/s/W = operations / energy,   TOPS/mm^2 = operations / time / area. */

#define MT_COST_MAX_LAYERS 16

/* The components of the energy, in report order. */
typedef enum mt_cost_component {
    MT_COST_FORWARD_READ = 0, /* array current integration, forward (per MAC) */
    MT_COST_BACKWARD_READ,    /* array current integration, backward (per MAC) */
    MT_COST_DAC,              /* input conversions, both directions */
    MT_COST_ADC,              /* output conversions, both directions */
    MT_COST_NEURON,           /* activation / derivative / scaling per converted output */
    MT_COST_CAP_PULSE,        /* 3T1C update pulses */
    MT_COST_PCM_SET_UPDATE,   /* 2pcm: SET pulses of training updates */
    MT_COST_UPDATE_DRIVE,     /* row and column lines driven through an update */
    MT_COST_PCM_SET_PROGRAM,  /* SET pulses of closed-loop programming (transfers, refreshes) */
    MT_COST_PCM_RESET,        /* RESET pulses */
    MT_COST_VERIFY_READ,      /* verify reads of closed-loop programming */
    MT_COST_CAP_REINIT,       /* 3T1C re-initialisations */
    MT_COST_WRITEBACK_PULSE,  /* 3T1C pulses writing the programming residual back */
    MT_COST_WRITEBACK_READ,   /* 3T1C reads during write-back */
    MT_COST_CELL_LEAKAGE,     /* static power of the cells */
    MT_COST_PERIPHERY_STATIC, /* static power of the tiles' periphery */
    MT_COST_COMPONENTS
} mt_cost_component;

/* One line of the energy breakdown. */
typedef struct mt_cost_item {
    const char *name;          /* e.g. "forward_read" */
    const char *phase;         /* "read", "update", "transfer" or "static" */
    const char *unit;          /* what one event is: "MAC", "conversion", "pulse", "cell s", ... */
    double count;              /* events (steady state: per training example) */
    double energy_per_event_J;
    double energy_J;           /* count x energy_per_event_J */
    double share;              /* energy_J / total, in [0, 1] */
} mt_cost_item;

/* What a run did, as the cost model needs it: the final JSON object of
 * `memtrain train --json`, or a live network (results_json_final). */
typedef struct mt_cost_run {
    mt_cell_kind kind;
    int layers;
    int rows[MT_COST_MAX_LAYERS], cols[MT_COST_MAX_LAYERS]; /* tile shapes (rows include bias) */
    uint64_t examples;         /* training examples */
    double sim_time_s;         /* simulated time of the run */
    mt_counters counters;      /* summed over tiles (transfers: per network) */
} mt_cost_run;

/* Area of one tile. */
typedef struct mt_cost_tile {
    int rows, cols;
    int adcs;                  /* ceil(cols / k) + ceil((rows - 1) / k), k = cost.outputs_per_adc */
    int lines;                 /* rows + cols */
    double cell_area_mm2;      /* unit cells (+ one g_shared 3T1C per column) */
    double periphery_area_mm2; /* ADCs, neuron circuits, line periphery, tile overhead */
} mt_cost_tile;

typedef struct mt_cost_report {
    mt_cell_kind kind;
    int steady_state;          /* 1: one training example from assumptions; 0: a run's totals */
    double examples;           /* training examples covered (1 in steady state) */
    double ops;                /* operations: 2 x (forward + backward + update MACs) */
    double energy_J;           /* total, all components */
    double time_s;             /* hardware busy time: forward + backward + update + transfer */
    double time_forward_s, time_backward_s, time_update_s, time_transfer_s;
    double static_time_s;      /* time static power is drawn: max(simulated time, time_s) */
    double energy_per_example_J, time_per_example_s, ops_per_example;
    double gops_per_watt;      /* ops / energy / 1e9 */
    double fJ_per_op;
    double tops_per_mm2;       /* ops / time_s / area / 1e12 */
    double area_mm2, cell_area_mm2, periphery_area_mm2;
    int tiles;
    mt_cost_tile tile[MT_COST_MAX_LAYERS];
    mt_cost_item item[MT_COST_COMPONENTS];
    double gpu_gops_per_watt, gpu_tops_per_mm2;
    double energy_ratio_vs_gpu;  /* gops_per_watt / gpu_gops_per_watt */
    double density_ratio_vs_gpu; /* tops_per_mm2 / gpu_tops_per_mm2 */
    char note[512];            /* "" or caveats (e.g. busy time exceeds the simulated time) */
} mt_cost_report;

/* The network shape p describes: data.dataset's input and class counts (mnist,
 * fashion: 784 -> 10; digits: 64 -> 10) with net.hidden, one tile per layer, and
 * cell.kind.  examples = 0, counters zero.  MT_EINPUT on an unknown dataset. */
int mt_cost_run_from_params(const mt_params *p, mt_cost_run *run, mt_error *err);

/* Steady-state figures of one training example of p's network (batch 1, every
 * row and column of every tile driven), with the update and transfer activity of
 * the cost.*_per_* assumptions.  MT_EINPUT for the float cell (no hardware) or an
 * ADC of unknown resolution (cost.adc_bits = periph.adc_bits = 0). */
int mt_cost_steady_state(const mt_params *p, mt_cost_report *out, mt_error *err);

/* Totals of a run from its counters and shapes under p's cost assumptions.
 * MT_EINPUT for the float cell, a shape outside 1..MT_COST_MAX_LAYERS tiles of at
 * least 2 x 1, or an ADC of unknown resolution. */
int mt_cost_of_run(const mt_params *p, const mt_cost_run *run, mt_cost_report *out, mt_error *err);

/* Read a run from the final object of `memtrain train --json` output: the last
 * non-empty line of the file (or the whole file, when that line does not open an
 * object).  The object must have "final": true, "cell", "examples", "sim_time_s",
 * "counters" (every mt_counters field) and "layers"; other members are checked for
 * JSON syntax and ignored.  MT_EINPUT with a message naming the file (and line and
 * column) when it is missing, malformed or not a finished run. */
int mt_cost_run_read_json(const char *path, mt_cost_run *run, mt_error *err);

#ifdef __cplusplus
}
#endif
#endif /* MEMTRAIN_H */
