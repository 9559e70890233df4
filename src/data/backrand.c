/* backrand.c — MNIST-backrand (Larochelle et al., "An empirical evaluation of deep
 * architectures on problems with many factors of variation", ICML 2007): MNIST
 * digits on a background of uniform noise.  Also the IDX writer its cache uses
 * (mt_idx_write).
 *
 * Every pixel of value 0 becomes a uniform random byte 0..255; every other pixel
 * (the digit, including its anti-aliased edge) is kept.  The byte of pixel j of
 * example i is the top 8 bits of rng_bits(rng_key(seed, split, 'BACK', i), j):
 * a pure function of its position, so the noise is the same whatever the thread
 * count or the order of generation, and the first N examples of a split get the
 * same noise as in the whole split.  (It runs serially: the 47 million draws of
 * the training split take well under 0.1 s, next to a second for reading MNIST
 * and compressing the cache.)  Generation works on the IDX bytes, so the
 * cached file holds exactly the bytes that were generated, and the float
 * version (mt_backrand_generate) gives the same values divided by 255. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "data/data_internal.h"
#include "util/rng.h"

/* 'BACK': the purpose coordinate of the noise streams (not in rng.h's list, which
 * names the training streams; no value there comes near it). */
#define BACKRAND_PURPOSE 0x4241434BULL
#define MNIST_CLASSES 10
/* As mt_idx_read: files larger than this could not be read back. */
#define IDX_WRITE_MAX_PAYLOAD ((uint64_t)1 << 31)

/* The noise byte of pixel `pixel` in the stream `key`. */
static inline uint8_t backrand_noise(uint64_t key, uint64_t pixel)
{
    return (uint8_t)(rng_bits(key, pixel) >> 56);
}

static inline uint64_t backrand_key(uint64_t seed, int split, long example)
{
    return rng_key(seed, (uint64_t)split, BACKRAND_PURPOSE, (uint64_t)example);
}

/* Replace the zero bytes of n images of dim pixels with noise, in place. */
static void backrand_bytes(uint8_t *pixels, long n, int dim, uint64_t seed, int split)
{
    for (long i = 0; i < n; i++) {
        uint64_t key = backrand_key(seed, split, i);
        uint8_t *img = pixels + (size_t)i * (size_t)dim;
        for (int j = 0; j < dim; j++)
            if (img[j] == 0) img[j] = backrand_noise(key, (uint64_t)j);
    }
}

int mt_backrand_generate(const mt_dataset *mnist, uint64_t seed, int split, mt_dataset *out, mt_error *err)
{
    if (!mnist || !out) return mt_fail(err, MT_EINTERNAL, "mt_backrand_generate: NULL argument");
    memset(out, 0, sizeof *out);
    if (split != 0 && split != 1)
        return mt_fail(err, MT_EINPUT, "%s: backrand split = %d: expected 0 (train) or 1 (test)", mnist->name,
                       split);
    if (mnist->n <= 0 || mnist->dim <= 0 || !mnist->x || !mnist->y)
        return mt_fail(err, MT_EINPUT, "%s: empty dataset: nothing to add a background to", mnist->name);
    size_t count = (size_t)mnist->n * (size_t)mnist->dim;
    for (size_t i = 0; i < count; i++) {
        float v = mnist->x[i];
        if (!(v >= 0.0f && v <= 1.0f))
            return mt_fail(err, MT_EINPUT, "%s: example %zu pixel %zu is %g: expected a value in [0, 1]",
                           mnist->name, i / (size_t)mnist->dim, i % (size_t)mnist->dim, (double)v);
    }
    float *x = big_array_alloc(count * sizeof *x);
    uint8_t *y = malloc((size_t)mnist->n);
    if (!x || !y) {
        free(x);
        free(y);
        return mt_fail(err, MT_ENOMEM, "%s: out of memory for %ld backrand images", mnist->name, mnist->n);
    }
    const long n = mnist->n;
    const int dim = mnist->dim;
    const float *src = mnist->x;
    for (long i = 0; i < n; i++) {
        uint64_t key = backrand_key(seed, split, i);
        const float *in = src + (size_t)i * (size_t)dim;
        float *o = x + (size_t)i * (size_t)dim;
        for (int j = 0; j < dim; j++)
            o[j] = in[j] > 0.0f ? in[j] : backrand_noise(key, (uint64_t)j) / 255.0f;
    }
    memcpy(y, mnist->y, (size_t)n);
    out->n = n;
    out->dim = dim;
    out->classes = mnist->classes;
    out->x = x;
    out->y = y;
    mt_data_set_name(out, split ? "mnist-backrand/test" : "mnist-backrand/train", NULL);
    return MT_OK;
}

/* -------------------------------------------------------------- IDX writer */

/* write(2) all of buf, retrying after interruptions; 0 or an errno value. */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return w < 0 ? errno : ENOSPC;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Write header and payload through zlib onto a duplicate of fd (gzclose closes
 * the duplicate; fd stays open for fsync).  0 or an errno value (EIO when zlib
 * does not say). */
static int write_gzip(int fd, const uint8_t *header, size_t header_len, const uint8_t *data, size_t len)
{
    int dup_fd = dup(fd);
    if (dup_fd < 0) return errno;
    gzFile g = gzdopen(dup_fd, "wb6");
    if (!g) {
        close(dup_fd);
        return ENOMEM;
    }
    gzbuffer(g, 1 << 17);
    int e = 0;
    errno = 0;
    if (gzwrite(g, header, (unsigned)header_len) != (int)header_len) e = errno ? errno : EIO;
    for (size_t done = 0; !e && done < len;) {
        size_t piece = len - done < ((size_t)1 << 30) ? len - done : ((size_t)1 << 30);
        errno = 0;
        int w = gzwrite(g, data + done, (unsigned)piece);
        if (w <= 0) e = errno ? errno : EIO;
        else done += (size_t)w;
    }
    errno = 0;
    int rc = gzclose(g);
    if (!e && rc != Z_OK) e = errno ? errno : EIO;
    return e;
}

/* fsync the directory holding path, so a rename into it is durable (best effort). */
static void sync_parent_dir(const char *path)
{
    char dir[MT_DATA_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == dir) dir[1] = '\0';
    else *slash = '\0';
    int dfd = open(dir, O_RDONLY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

int mt_idx_write(const char *path, const uint8_t *data, int ndims, const uint32_t *dims, mt_error *err)
{
    if (!path || !data || !dims) return mt_fail(err, MT_EINTERNAL, "mt_idx_write: NULL argument");
    if (ndims < 1 || ndims > 4)
        return mt_fail(err, MT_EINPUT, "%s: IDX dimension count %d: expected 1 to 4", path, ndims);
    uint8_t header[4 + 4 * 4] = {0, 0, 0x08, (uint8_t)ndims};
    uint64_t total = 1;
    for (int i = 0; i < ndims; i++) {
        if (dims[i] == 0)
            return mt_fail(err, MT_EINPUT, "%s: dimension %d of %d is 0: expected at least 1", path, i + 1, ndims);
        if (total > IDX_WRITE_MAX_PAYLOAD / dims[i])
            return mt_fail(err, MT_EINPUT, "%s: dimensions exceed the limit of %llu bytes", path,
                           (unsigned long long)IDX_WRITE_MAX_PAYLOAD);
        total *= dims[i];
        header[4 + 4 * i] = (uint8_t)(dims[i] >> 24);
        header[5 + 4 * i] = (uint8_t)(dims[i] >> 16);
        header[6 + 4 * i] = (uint8_t)(dims[i] >> 8);
        header[7 + 4 * i] = (uint8_t)dims[i];
    }
    size_t header_len = 4 + 4 * (size_t)ndims;
    size_t plen = strlen(path);
    int gz = plen >= 3 && strcmp(path + plen - 3, ".gz") == 0;

    char tmp[MT_DATA_PATH_MAX + 16];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return mt_fail(err, MT_EOUTPUT, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0) return mt_fail(err, MT_EOUTPUT, "%s: cannot write: %s", path, strerror(errno));
    /* mkstemp makes the file 0600; a cache is for every user of the directory. */
    int e = fchmod(fd, 0644) == 0 ? 0 : errno;
    if (!e) {
        if (gz) e = write_gzip(fd, header, header_len, data, (size_t)total);
        else if (!(e = write_all(fd, header, header_len))) e = write_all(fd, data, (size_t)total);
    }
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        unlink(tmp);
        return mt_fail(err, MT_EOUTPUT, "%s: write failed: %s", path, strerror(e));
    }
    sync_parent_dir(path);
    return MT_OK;
}

/* ------------------------------------------------------------ cached loader */

/* mkdir -p: create dir and any missing parents. */
static int make_dirs(const char *dir, mt_error *err)
{
    char path[MT_DATA_PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return mt_fail(err, MT_EOUTPUT, "%s: directory name too long", dir);
    size_t len = strlen(path);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            return mt_fail(err, MT_EOUTPUT, "%s: cannot create directory %s: %s", dir, path, strerror(e));
        }
        path[i] = saved;
    }
    if (!mt_data_is_dir(dir))
        return mt_fail(err, MT_EOUTPUT, "%s: cannot create directory: %s", dir, strerror(ENOTDIR));
    return MT_OK;
}

/* Append a hint to a message about the cache file, if there is room. */
static int cache_hint(mt_error *err, const char *cache, int status)
{
    if (err && strncmp(err->message, cache, strlen(cache)) == 0) {
        size_t used = strlen(err->message);
        snprintf(err->message + used, sizeof err->message - used, " (a backrand cache file: delete it to regenerate)");
    }
    return status;
}

/* Read MNIST's images and labels of one split as bytes and check that they go
 * together (as mt_dataset_load_idx does). */
static int read_mnist_bytes(const char *images, const char *labels, uint8_t **pixels, uint32_t ishape[4],
                            uint8_t **label_bytes, uint32_t lshape[4], mt_error *err)
{
    int ind = 0, lnd = 0;
    *pixels = *label_bytes = NULL;
    int status = mt_idx_read(images, pixels, &ind, ishape, err);
    if (!status) status = mt_idx_read(labels, label_bytes, &lnd, lshape, err);
    if (!status && ind != 3)
        status = mt_fail(err, MT_EINPUT, "%s: expected 3 dimensions (images x rows x cols), found %d", images, ind);
    if (!status && lnd != 1)
        status = mt_fail(err, MT_EINPUT, "%s: expected 1 dimension (labels), found %d", labels, lnd);
    if (!status && ishape[0] != lshape[0])
        status = mt_fail(err, MT_EINPUT, "%s holds %lu images but %s holds %lu labels", images,
                         (unsigned long)ishape[0], labels, (unsigned long)lshape[0]);
    for (uint32_t i = 0; !status && i < lshape[0]; i++)
        if ((*label_bytes)[i] >= MNIST_CLASSES)
            status = mt_fail(err, MT_EINPUT, "%s: example %lu has label %d, expected 0 to %d", labels,
                             (unsigned long)i, (*label_bytes)[i], MNIST_CLASSES - 1);
    if (!status && (uint64_t)ishape[1] * ishape[2] > INT32_MAX)
        status = mt_fail(err, MT_EINPUT, "%s: images of %llu pixels are too large", images,
                         (unsigned long long)ishape[1] * ishape[2]);
    if (status) {
        free(*pixels);
        free(*label_bytes);
        *pixels = *label_bytes = NULL;
    }
    return status;
}

int mt_dataset_load_backrand(const char *mnist_dir, const char *cache_dir, uint64_t seed, int train,
                             long limit, mt_dataset *out, mt_error *err)
{
    if (!mnist_dir || !out) return mt_fail(err, MT_EINTERNAL, "mt_dataset_load_backrand: NULL argument");
    memset(out, 0, sizeof *out);
    const char *split = train ? "train" : "t10k";
    const char *name = train ? "mnist-backrand/train" : "mnist-backrand/test";
    char stem[64], images[MT_DATA_PATH_MAX], labels[MT_DATA_PATH_MAX], cache[MT_DATA_PATH_MAX];

    snprintf(stem, sizeof stem, "%s-labels-idx1-ubyte", split);
    int status = mt_data_find_file(mnist_dir, stem, labels, sizeof labels, err);
    if (status) return status;

    if (cache_dir) {
        char file[128];
        snprintf(file, sizeof file, "mnist-backrand-seed%llu-%s-images-idx3-ubyte.gz", (unsigned long long)seed,
                 split);
        if (mt_data_path_join(cache, sizeof cache, cache_dir, file) != 0)
            return mt_fail(err, MT_EOUTPUT, "%s: directory name too long", cache_dir);
        if (mt_data_path_exists(cache))
            return cache_hint(err, cache, mt_dataset_load_idx(cache, labels, MNIST_CLASSES, limit, name, out, err));
    }

    snprintf(stem, sizeof stem, "%s-images-idx3-ubyte", split);
    status = mt_data_find_file(mnist_dir, stem, images, sizeof images, err);
    if (status) return status;
    uint8_t *pixels = NULL, *label_bytes = NULL;
    uint32_t ishape[4], lshape[4];
    status = read_mnist_bytes(images, labels, &pixels, ishape, &label_bytes, lshape, err);
    if (status) return status;

    long n = (long)ishape[0];
    int dim = (int)(ishape[1] * ishape[2]);
    backrand_bytes(pixels, n, dim, seed, train ? 0 : 1);
    if (cache_dir) {
        status = make_dirs(cache_dir, err);
        if (!status) status = mt_idx_write(cache, pixels, 3, ishape, err);
    }
    if (!status) {
        if (limit > 0 && limit < n) n = limit;
        float *x = big_array_alloc((size_t)n * (size_t)dim * sizeof *x);
        uint8_t *y = malloc((size_t)n);
        if (!x || !y) {
            free(x);
            free(y);
            status = mt_fail(err, MT_ENOMEM, "%s: out of memory for %ld backrand images", images, n);
        } else {
            size_t count = (size_t)n * (size_t)dim;
            for (size_t i = 0; i < count; i++) x[i] = pixels[i] / 255.0f;
            memcpy(y, label_bytes, (size_t)n);
            out->n = n;
            out->dim = dim;
            out->classes = MNIST_CLASSES;
            out->x = x;
            out->y = y;
            mt_data_set_name(out, name, NULL);
        }
    }
    free(pixels);
    free(label_bytes);
    return status;
}
