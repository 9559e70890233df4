/* dataset.c — turning dataset files into an mt_dataset, and choosing the files.
 *
 * mt_dataset_load_idx pairs an IDX image file with its label file and checks that
 * they belong together; mt_dataset_load_mnist_dir knows the MNIST file names (also
 * used by Fashion-MNIST); mt_dataset_load_for maps the data.* parameters onto the
 * right files and split, so the CLI and the tests pick datasets the same way. */
#include <stdint.h>
#include <math.h>
#include <stdlib.h>

#include "data/data_internal.h"

/* Where the repository's bundled datasets live; the Makefile sets it to the
 * absolute path of data/ so the binary works from any directory. */
#ifndef MT_DATA_DIR
#define MT_DATA_DIR "data"
#endif

/* Default location of the Debian package dataset-fashion-mnist. */
#define FASHION_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

/* UCI optdigits as shipped by scikit-learn: 1797 examples of 8x8 counts 0..16.
 * The first 1437 lines train, the last 360 test (an 80/20 split). */
#define DIGITS_FILE "digits.csv.gz"
#define DIGITS_SUBDIR "uci-optdigits-8x8"
#define DIGITS_DIM 64
#define DIGITS_FEATURE_MAX 16.0
#define DIGITS_TRAIN_LINES 1437
#define DIGITS_TEST_LINES 360

#define MNIST_CLASSES 10

void mt_dataset_free(mt_dataset *d)
{
    if (!d) return;
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

int mt_dataset_load_idx(const char *images_path, const char *labels_path, int classes,
                        long limit, const char *name, mt_dataset *out, mt_error *err)
{
    if (!images_path || !labels_path || !out)
        return mt_fail(err, MT_EINTERNAL, "mt_dataset_load_idx: NULL argument");
    memset(out, 0, sizeof *out);
    if (classes < 1 || classes > 256)
        return mt_fail(err, MT_EINPUT, "%s: classes = %d: expected 1 to 256 (labels are bytes)",
                       labels_path, classes);

    uint8_t *pixels = NULL, *labels = NULL;
    int image_dims = 0, label_dims = 0;
    uint32_t ishape[4], lshape[4];
    int status = mt_idx_read(images_path, &pixels, &image_dims, ishape, err);
    if (status) return status;
    status = mt_idx_read(labels_path, &labels, &label_dims, lshape, err);
    if (status) goto done;

    if (image_dims != 3) {
        status = mt_fail(err, MT_EINPUT,
                         "%s: expected 3 dimensions (images x rows x cols), found %d",
                         images_path, image_dims);
        goto done;
    }
    if (label_dims != 1) {
        status = mt_fail(err, MT_EINPUT, "%s: expected 1 dimension (labels), found %d",
                         labels_path, label_dims);
        goto done;
    }
    if (ishape[0] != lshape[0]) {
        status = mt_fail(err, MT_EINPUT, "%s holds %lu images but %s holds %lu labels",
                         images_path, (unsigned long)ishape[0], labels_path,
                         (unsigned long)lshape[0]);
        goto done;
    }
    /* mt_idx_read caps the payload at 2^31 bytes, so only rows x cols == 2^31
     * (a single image) could exceed an int. */
    uint64_t dim = (uint64_t)ishape[1] * ishape[2];
    if (dim > INT32_MAX) {
        status = mt_fail(err, MT_EINPUT, "%s: images of %llu pixels are too large", images_path,
                         (unsigned long long)dim);
        goto done;
    }
    long n = (long)ishape[0];
    for (long i = 0; i < n; i++) {
        if (labels[i] >= classes) {
            status = mt_fail(err, MT_EINPUT, "%s: example %ld has label %d, expected 0 to %d",
                             labels_path, i, labels[i], classes - 1);
            goto done;
        }
    }
    if (limit > 0 && limit < n) n = limit;

    float *x = big_array_alloc((size_t)n * (size_t)dim * sizeof *x);
    uint8_t *y = malloc((size_t)n);
    if (!x || !y) {
        free(x);
        free(y);
        status = mt_fail(err, MT_ENOMEM, "%s: out of memory for %ld images", images_path, n);
        goto done;
    }
    size_t count = (size_t)n * (size_t)dim;
    for (size_t i = 0; i < count; i++) x[i] = pixels[i] / 255.0f;
    memcpy(y, labels, (size_t)n);

    out->n = n;
    out->dim = (int)dim;
    out->classes = classes;
    out->x = x;
    out->y = y;
    mt_data_set_name(out, name, images_path);

done:
    free(pixels);
    free(labels);
    return status;
}

int mt_dataset_load_mnist_dir(const char *dir, int train, long limit, const char *name,
                              mt_dataset *out, mt_error *err)
{
    if (!dir || !out) return mt_fail(err, MT_EINTERNAL, "mt_dataset_load_mnist_dir: NULL argument");
    memset(out, 0, sizeof *out);
    const char *split = train ? "train" : "t10k";
    char stem[64], images[MT_DATA_PATH_MAX], labels[MT_DATA_PATH_MAX];

    snprintf(stem, sizeof stem, "%s-images-idx3-ubyte", split);
    int status = mt_data_find_file(dir, stem, images, sizeof images, err);
    if (status) return status;
    snprintf(stem, sizeof stem, "%s-labels-idx1-ubyte", split);
    status = mt_data_find_file(dir, stem, labels, sizeof labels, err);
    if (status) return status;

    return mt_dataset_load_idx(images, labels, MNIST_CLASSES, limit,
                               name ? name : (train ? "train" : "test"), out, err);
}

/* Where a bundled dataset lives: $MEMTRAIN_DATA/<subdir> when that is set
 * (an installed binary, or data kept elsewhere), else the repository's data/. */
static int bundled_data_dir(const char *subdir, char *dir, size_t size, mt_error *err)
{
    const char *root = getenv("MEMTRAIN_DATA");
    if (!root || !root[0]) root = MT_DATA_DIR;
    if (mt_data_path_join(dir, size, root, subdir) != 0)
        return mt_fail(err, MT_EINPUT, "MEMTRAIN_DATA: directory name too long");
    return MT_OK;
}

int mt_dataset_shape(const char *dataset, int *inputs, int *classes, mt_error *err)
{
    static const struct { const char *name; int inputs, classes; } known[] = {
        {"mnist", 784, 10},   {"mnist-backrand", 784, 10}, {"fashion", 784, 10},
        {"digits", 64, 10},   {"cifar10", 2048, 10},       {"cifar100", 2048, 100},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(dataset, known[i].name) == 0) {
            *inputs = known[i].inputs;
            *classes = known[i].classes;
            return MT_OK;
        }
    return mt_fail(err, MT_EINPUT,
                   "data.dataset: unknown dataset '%s' (known: mnist, mnist-backrand, fashion, "
                   "digits, cifar10, cifar100)", dataset);
}

/* Where generated MNIST-backrand images are cached. */
static void backrand_cache_dir(const mt_params *p, char *dir, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (p->data.cache_dir[0]) snprintf(dir, size, "%s", p->data.cache_dir);
    else if (xdg && xdg[0]) snprintf(dir, size, "%s/memtrain", xdg);
    else if (home && home[0]) snprintf(dir, size, "%s/.cache/memtrain", home);
    else snprintf(dir, size, "/tmp/memtrain-cache");
}

/* A cifar feature or label file: the parameter if set, else DIR/<split>_<what>.npy. */
static int cifar_path(const char *param, const char *dir, const char *split, const char *what,
                      char *path, size_t size, mt_error *err)
{
    if (param[0]) {
        snprintf(path, size, "%s", param);
        return MT_OK;
    }
    if ((size_t)snprintf(path, size, "%s/%s_%s.npy", dir, split, what) >= size)
        return mt_fail(err, MT_EINPUT, "%s: directory name too long", dir);
    return MT_OK;
}

/* CIFAR-10/100 features (tools/extract_features.py), scaled by the training set's
 * |feature| quantile so that the DAC's [-1, 1] range is used. */
static int load_cifar(const mt_params *p, const char *dataset, int classes, int train, long limit,
                      const char *name, mt_dataset *out, mt_error *err)
{
    char dir[MT_DATA_PATH_MAX], features[MT_DATA_PATH_MAX], labels[MT_DATA_PATH_MAX];
    if (p->data.dir[0]) snprintf(dir, sizeof dir, "%s", p->data.dir);
    else {
        char sub[64];
        snprintf(sub, sizeof sub, "%s-features", dataset);
        int status = bundled_data_dir(sub, dir, sizeof dir, err);
        if (status) return status;
    }
    char train_features[MT_DATA_PATH_MAX], train_labels[MT_DATA_PATH_MAX];
    int rc = cifar_path(p->data.features, dir, "train", "features", train_features, sizeof train_features, err);
    if (!rc) rc = cifar_path(p->data.labels, dir, "train", "labels", train_labels, sizeof train_labels, err);
    if (!rc) rc = cifar_path(train ? p->data.features : p->data.test_features, dir, train ? "train" : "test",
                             "features", features, sizeof features, err);
    if (!rc) rc = cifar_path(train ? p->data.labels : p->data.test_labels, dir, train ? "train" : "test",
                             "labels", labels, sizeof labels, err);
    if (rc) return rc;
    if (!mt_data_path_exists(features))
        return mt_fail(err, MT_EINPUT,
                       "%s: %s not found: extract features with tools/extract_features.py "
                       "(docs/cifar.md) and pass --data DIR or --features/--labels", dataset, features);
    /* the scale comes from the training set only (at most 10,000 examples of it) */
    mt_dataset ref;
    rc = mt_dataset_load_npy(train_features, train_labels, classes, 10000, "scale", &ref, err);
    if (rc) return rc;
    float scale = mt_dataset_abs_quantile(&ref, p->data.feature_quantile);
    mt_dataset_free(&ref);
    rc = mt_dataset_load_npy(features, labels, classes, limit, name, out, err);
    if (rc) return rc;
    if (scale > 0.0f && isfinite(scale)) mt_dataset_scale(out, 1.0f / scale);
    return MT_OK;
}

int mt_dataset_load_for(const mt_params *p, int train, mt_dataset *out, mt_error *err)
{
    if (!p || !out) return mt_fail(err, MT_EINTERNAL, "mt_dataset_load_for: NULL argument");
    memset(out, 0, sizeof *out);

    /* The fixed-size fields may lack a terminator if filled to the brim. */
    char dataset[sizeof p->data.dataset + 1], user_dir[sizeof p->data.dir + 1];
    snprintf(dataset, sizeof dataset, "%.*s", (int)sizeof p->data.dataset, p->data.dataset);
    snprintf(user_dir, sizeof user_dir, "%.*s", (int)sizeof p->data.dir, p->data.dir);

    long limit = train ? p->data.train_limit : p->data.test_limit;
    const char *split = train ? "train" : "test";
    char name[sizeof out->name], dir[MT_DATA_PATH_MAX];
    snprintf(name, sizeof name, "%s/%s", dataset, split);

    if (strcmp(dataset, "mnist") == 0) {
        if (user_dir[0]) snprintf(dir, sizeof dir, "%s", user_dir);
        else {
            int status = bundled_data_dir("mnist", dir, sizeof dir, err);
            if (status) return status;
        }
        return mt_dataset_load_mnist_dir(dir, train, limit, name, out, err);
    }

    if (strcmp(dataset, "fashion") == 0) {
        if (user_dir[0]) return mt_dataset_load_mnist_dir(user_dir, train, limit, name, out, err);
        if (!mt_data_is_dir(FASHION_DEFAULT_DIR))
            return mt_fail(err, MT_EINPUT,
                           "fashion: %s not found: install the Debian package "
                           "dataset-fashion-mnist (make deps) or pass --data DIR",
                           FASHION_DEFAULT_DIR);
        return mt_dataset_load_mnist_dir(FASHION_DEFAULT_DIR, train, limit, name, out, err);
    }

    if (strcmp(dataset, "digits") == 0) {
        if (user_dir[0]) snprintf(dir, sizeof dir, "%s", user_dir);
        else {
            int status = bundled_data_dir(DIGITS_SUBDIR, dir, sizeof dir, err);
            if (status) return status;
        }
        char path[MT_DATA_PATH_MAX];
        if (mt_data_path_join(path, sizeof path, dir, DIGITS_FILE) != 0)
            return mt_fail(err, MT_EINPUT, "%s: directory name too long", dir);
        long first = train ? 0 : DIGITS_TRAIN_LINES;
        long count = train ? DIGITS_TRAIN_LINES : DIGITS_TEST_LINES;
        if (limit > 0 && limit < count) count = limit;
        return mt_dataset_load_csv(path, DIGITS_DIM, DIGITS_FEATURE_MAX, MNIST_CLASSES, first,
                                   count, name, out, err);
    }

    if (strcmp(dataset, "mnist-backrand") == 0) {
        if (user_dir[0]) snprintf(dir, sizeof dir, "%s", user_dir);
        else {
            int status = bundled_data_dir("mnist", dir, sizeof dir, err);
            if (status) return status;
        }
        char cache[MT_DATA_PATH_MAX];
        backrand_cache_dir(p, cache, sizeof cache);
        return mt_dataset_load_backrand(dir, cache, p->data.backrand_seed, train, limit, out, err);
    }

    if (strcmp(dataset, "cifar10") == 0) return load_cifar(p, dataset, 10, train, limit, name, out, err);
    if (strcmp(dataset, "cifar100") == 0) return load_cifar(p, dataset, 100, train, limit, name, out, err);

    int inputs, classes;
    return mt_dataset_shape(dataset, &inputs, &classes, err);
}
