/* test_data.c — tests of the dataset readers (src/data): IDX, MNIST directories,
 * CSV and the data.* parameter mapping.
 *
 * Expectations come from outside the code under test: published facts about
 * MNIST and UCI optdigits (sizes, first labels, class counts), bytes decoded here
 * with zlib's inflate (not the gzread path the loader uses), and tiny files whose
 * every byte the test writes itself.  Every malformed input must be rejected with
 * MT_EINPUT and a message that starts with the file's path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "memtrain.h"
#include "test.h"

/* ------------------------------------------------------------------ helpers */

static void tmp_path(char *dst, size_t size, const char *name)
{
    snprintf(dst, size, "%s/%s", test_tmpdir(), name);
}

static void source_path(char *dst, size_t size, const char *name)
{
    snprintf(dst, size, "%s/%s", test_source_dir(), name);
}

/* Decode a whole gzip file with inflate(): an independent path to the bytes the
 * loader (which uses gzread) should produce.  Returns NULL on any failure. */
static uint8_t *inflate_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long packed_len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *packed = malloc((size_t)packed_len);
    size_t got = packed ? fread(packed, 1, (size_t)packed_len, f) : 0;
    fclose(f);
    if (!packed || got != (size_t)packed_len) {
        free(packed);
        return NULL;
    }
    size_t capacity = (size_t)packed_len * 4 + 1024, len = 0;
    uint8_t *out = malloc(capacity);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (!out || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        free(packed);
        free(out);
        return NULL;
    }
    z.next_in = packed;
    z.avail_in = (uInt)packed_len;
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (len == capacity) {
            capacity *= 2;
            uint8_t *bigger = realloc(out, capacity);
            if (!bigger) break;
            out = bigger;
        }
        z.next_out = out + len;
        z.avail_out = (uInt)(capacity - len);
        rc = inflate(&z, Z_NO_FLUSH);
        len = capacity - z.avail_out;
    }
    inflateEnd(&z);
    free(packed);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *out_len = len;
    return out;
}

static int write_gz(const char *path, const void *data, size_t len)
{
    gzFile f = gzopen(path, "wb");
    if (!f) return -1;
    int w = gzwrite(f, data, (unsigned)len);
    return (gzclose(f) == Z_OK && w == (int)len) ? 0 : -1;
}

/* Build an IDX file in buf: type, dims (at most 4), then payload.  Returns its
 * length.  Tests of other dimension counts patch byte 3 afterwards. */
static size_t idx_bytes(uint8_t *buf, uint8_t type, int ndims, const uint32_t *dims,
                        const uint8_t *payload, size_t payload_len)
{
    size_t n = 0;
    buf[n++] = 0;
    buf[n++] = 0;
    buf[n++] = type;
    buf[n++] = (uint8_t)ndims;
    for (int i = 0; i < ndims && i < 4; i++) {
        buf[n++] = (uint8_t)(dims[i] >> 24);
        buf[n++] = (uint8_t)(dims[i] >> 16);
        buf[n++] = (uint8_t)(dims[i] >> 8);
        buf[n++] = (uint8_t)dims[i];
    }
    memcpy(buf + n, payload, payload_len);
    return n + payload_len;
}

/* The valid 2 x 2 x 3 file used as the base of the defect tests. */
static const uint8_t small_payload[12] = {0, 1, 2, 50, 100, 127, 128, 200, 254, 255, 7, 9};
static const uint32_t small_dims[3] = {2, 2, 3};

static size_t small_idx(uint8_t *buf)
{
    return idx_bytes(buf, 0x08, 3, small_dims, small_payload, sizeof small_payload);
}

/* Write `bytes` to a temporary file, read it with mt_idx_read and expect
 * MT_EINPUT, a message starting with the path and containing `needle`, and
 * nothing handed back. */
static void expect_idx_rejected(const void *bytes, size_t len, const char *needle, int line)
{
    char path[600];
    tmp_path(path, sizeof path, "bad.idx");
    if (test_write_file(path, bytes, len) != 0) {
        test_fail(__FILE__, line, "cannot write %s", path);
        return;
    }
    uint8_t *data = (uint8_t *)1;
    int ndims = -1;
    uint32_t dims[4];
    mt_error err = {0};
    int status = mt_idx_read(path, &data, &ndims, dims, &err);
    if (status != MT_EINPUT) test_fail(__FILE__, line, "status %d (%s), expected MT_EINPUT", status, err.message);
    if (strncmp(err.message, path, strlen(path)) != 0)
        test_fail(__FILE__, line, "message \"%s\" does not start with the path", err.message);
    if (!strstr(err.message, needle))
        test_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", err.message, needle);
    if (data != NULL || ndims != 0) test_fail(__FILE__, line, "outputs not cleared on error");
    if (status == MT_OK) free(data);
}

/* Write a tiny image/label IDX pair: n images of rows x cols, given labels. */
static void write_idx_pair(const char *images, const char *labels, uint32_t n_images,
                           uint32_t n_labels, const uint8_t *label_bytes, int gz)
{
    uint8_t pixels[64], buf[256];
    for (int i = 0; i < 64; i++) pixels[i] = (uint8_t)(i * 4);
    uint32_t idims[3] = {n_images, 2, 2};
    size_t len = idx_bytes(buf, 0x08, 3, idims, pixels, 4 * n_images);
    CHECK(gz ? write_gz(images, buf, len) == 0 : test_write_file(images, buf, len) == 0);
    uint32_t ldims[1] = {n_labels};
    len = idx_bytes(buf, 0x08, 1, ldims, label_bytes, n_labels);
    CHECK(gz ? write_gz(labels, buf, len) == 0 : test_write_file(labels, buf, len) == 0);
}

/* Write CSV text, load it, and expect MT_EINPUT with "PATH:LINE:" and `needle`. */
static void expect_csv_rejected(const char *text, int dim, double feature_max, int classes,
                                long first, long count, long bad_line, const char *needle, int line)
{
    char path[600], prefix[700];
    tmp_path(path, sizeof path, "bad.csv");
    if (test_write_file(path, text, strlen(text)) != 0) {
        test_fail(__FILE__, line, "cannot write %s", path);
        return;
    }
    snprintf(prefix, sizeof prefix, "%s:%ld: ", path, bad_line);
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_csv(path, dim, feature_max, classes, first, count, "bad", &d, &err);
    if (status != MT_EINPUT) test_fail(__FILE__, line, "status %d (%s), expected MT_EINPUT", status, err.message);
    if (strncmp(err.message, prefix, strlen(prefix)) != 0)
        test_fail(__FILE__, line, "message \"%s\" does not start with \"%s\"", err.message, prefix);
    if (!strstr(err.message, needle))
        test_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", err.message, needle);
    if (d.x || d.y || d.n) test_fail(__FILE__, line, "dataset not left empty on error");
    mt_dataset_free(&d);
}

#define EXPECT_IDX_REJECTED(bytes, len, needle) expect_idx_rejected(bytes, len, needle, __LINE__)
#define EXPECT_CSV_REJECTED(text, dim, fmax, classes, first, count, bad_line, needle)              \
    expect_csv_rejected(text, dim, fmax, classes, first, count, bad_line, needle, __LINE__)

/* Pixel i of d exactly as the byte it came from. */
static int pixel_byte(const mt_dataset *d, size_t i)
{
    return (int)lrintf(d->x[i] * 255.0f);
}

/* ------------------------------------------------------------- real MNIST */

TEST(mnist_train_has_published_shape_labels_and_class_counts)
{
    char dir[600];
    source_path(dir, sizeof dir, "data/mnist");
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_mnist_dir(dir, 1, 0, "mnist/train", &d, &err);
    CHECK_MSG(status == MT_OK, "load failed: %s", err.message);
    if (status) return;
    CHECK_INT(d.n, 60000);
    CHECK_INT(d.dim, 784);
    CHECK_INT(d.classes, 10);
    CHECK(strcmp(d.name, "mnist/train") == 0);
    static const int first_labels[10] = {5, 0, 4, 1, 9, 2, 1, 3, 1, 4};
    for (int i = 0; i < 10; i++) CHECK_INT(d.y[i], first_labels[i]);
    static const long class_counts[10] = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
    long counts[10] = {0};
    for (long i = 0; i < d.n; i++) counts[d.y[i] < 10 ? d.y[i] : 0]++;
    for (int c = 0; c < 10; c++) CHECK_INT(counts[c], class_counts[c]);
    float lo = 1, hi = 0;
    for (size_t i = 0; i < (size_t)d.n * 784; i++) {
        if (d.x[i] < lo) lo = d.x[i];
        if (d.x[i] > hi) hi = d.x[i];
    }
    CHECK(lo == 0.0f);
    CHECK(hi == 1.0f);
    mt_dataset_free(&d);
}

TEST(mnist_train_pixels_match_independently_inflated_bytes)
{
    char dir[600], images[700];
    source_path(dir, sizeof dir, "data/mnist");
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte.gz", dir);
    size_t raw_len = 0;
    uint8_t *raw = inflate_file(images, &raw_len);
    CHECK(raw != NULL);
    if (!raw) return;
    CHECK_INT(raw_len, 16 + 60000 * 784);
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_mnist_dir(dir, 1, 0, NULL, &d, &err);
    CHECK_MSG(status == MT_OK, "load failed: %s", err.message);
    if (status) {
        free(raw);
        return;
    }
    /* The first image (a 5) sums to 27525 over 166 inked pixels. */
    long sum = 0, inked = 0, mismatches = 0;
    for (size_t i = 0; i < 784; i++) {
        sum += pixel_byte(&d, i);
        inked += d.x[i] > 0;
    }
    CHECK_INT(sum, 27525);
    CHECK_INT(inked, 166);
    /* Every pixel of the whole set is byte / 255 of the inflated file. */
    for (size_t i = 0; i < raw_len - 16; i++) {
        if (d.x[i] != raw[16 + i] / 255.0f) mismatches++;
    }
    CHECK_INT(mismatches, 0);
    free(raw);
    mt_dataset_free(&d);
}

TEST(mnist_test_split_has_10000_images_and_published_labels)
{
    char dir[600];
    source_path(dir, sizeof dir, "data/mnist");
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_mnist_dir(dir, 0, 0, "mnist/test", &d, &err);
    CHECK_MSG(status == MT_OK, "load failed: %s", err.message);
    if (status) return;
    CHECK_INT(d.n, 10000);
    CHECK_INT(d.dim, 784);
    static const int first_labels[10] = {7, 2, 1, 0, 4, 1, 4, 9, 5, 9};
    for (int i = 0; i < 10; i++) CHECK_INT(d.y[i], first_labels[i]);
    long sum = 0;
    for (size_t i = 0; i < 784; i++) sum += pixel_byte(&d, i);
    CHECK_INT(sum, 18454); /* the first test image, a 7 */
    mt_dataset_free(&d);
}

TEST(mnist_limit_keeps_the_first_examples)
{
    char dir[600];
    source_path(dir, sizeof dir, "data/mnist");
    mt_dataset full, part;
    mt_error err = {0};
    CHECK_INT(mt_dataset_load_mnist_dir(dir, 0, 0, NULL, &full, &err), MT_OK);
    CHECK_INT(mt_dataset_load_mnist_dir(dir, 0, 100, NULL, &part, &err), MT_OK);
    if (!full.x || !part.x) return;
    CHECK_INT(part.n, 100);
    CHECK(memcmp(part.x, full.x, 100 * 784 * sizeof(float)) == 0);
    CHECK(memcmp(part.y, full.y, 100) == 0);
    mt_dataset_free(&part);
    /* A limit beyond the size keeps everything. */
    CHECK_INT(mt_dataset_load_mnist_dir(dir, 0, 20000, NULL, &part, &err), MT_OK);
    CHECK_INT(part.n, 10000);
    mt_dataset_free(&part);
    mt_dataset_free(&full);
}

TEST(mnist_plain_and_gzip_files_read_identically)
{
    char src[600], plain_dir[600], path[700], gz_path[700];
    source_path(src, sizeof src, "data/mnist");
    tmp_path(plain_dir, sizeof plain_dir, "plain");
    CHECK(mkdir(plain_dir, 0700) == 0);
    static const char *const stems[2] = {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    for (int k = 0; k < 2; k++) {
        snprintf(gz_path, sizeof gz_path, "%s/%s.gz", src, stems[k]);
        snprintf(path, sizeof path, "%s/%s", plain_dir, stems[k]);
        size_t len = 0;
        uint8_t *raw = inflate_file(gz_path, &len);
        CHECK(raw != NULL);
        if (!raw) return;
        CHECK(test_write_file(path, raw, len) == 0);
        free(raw);

        uint8_t *a = NULL, *b = NULL;
        int nd_a = 0, nd_b = 0;
        uint32_t dims_a[4], dims_b[4];
        mt_error err = {0};
        CHECK_INT(mt_idx_read(gz_path, &a, &nd_a, dims_a, &err), MT_OK);
        CHECK_INT(mt_idx_read(path, &b, &nd_b, dims_b, &err), MT_OK);
        CHECK_INT(nd_a, k == 0 ? 3 : 1);
        CHECK_INT(nd_b, nd_a);
        CHECK_INT(dims_a[0], 10000);
        CHECK(memcmp(dims_a, dims_b, (size_t)nd_a * sizeof dims_a[0]) == 0);
        size_t bytes = k == 0 ? 10000u * 784u : 10000u;
        CHECK(a && b && memcmp(a, b, bytes) == 0);
        free(a);
        free(b);
    }
    /* The directory loader falls back to the plain names. */
    mt_dataset from_gz, from_plain;
    mt_error err = {0};
    CHECK_INT(mt_dataset_load_mnist_dir(src, 0, 0, NULL, &from_gz, &err), MT_OK);
    int status = mt_dataset_load_mnist_dir(plain_dir, 0, 0, NULL, &from_plain, &err);
    CHECK_MSG(status == MT_OK, "plain load failed: %s", err.message);
    if (!status && from_gz.x) {
        CHECK_INT(from_plain.n, from_gz.n);
        CHECK(memcmp(from_plain.x, from_gz.x, (size_t)from_gz.n * 784 * sizeof(float)) == 0);
        CHECK(memcmp(from_plain.y, from_gz.y, (size_t)from_gz.n) == 0);
    }
    mt_dataset_free(&from_gz);
    mt_dataset_free(&from_plain);
}

/* ------------------------------------------------------------ MNIST layout */

TEST(mnist_dir_prefers_the_gz_name_over_the_plain_one)
{
    char dir[600], images[700], labels[700];
    tmp_path(dir, sizeof dir, "both");
    CHECK(mkdir(dir, 0700) == 0);
    static const uint8_t labels3[3] = {3, 1, 4};
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte.gz", dir);
    write_idx_pair(images, labels, 3, 3, labels3, 1);
    /* Garbage under the plain names: loading must not look at it. */
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte", dir);
    snprintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte", dir);
    CHECK(test_write_file(images, "garbage", 7) == 0);
    CHECK(test_write_file(labels, "garbage", 7) == 0);
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_mnist_dir(dir, 1, 0, "tiny", &d, &err);
    CHECK_MSG(status == MT_OK, "load failed: %s", err.message);
    if (status) return;
    CHECK_INT(d.n, 3);
    CHECK_INT(d.dim, 4);
    CHECK_INT(d.y[0], 3);
    CHECK_INT(d.y[2], 4);
    CHECK_INT(pixel_byte(&d, 11), 44);
    CHECK(strcmp(d.name, "tiny") == 0);
    mt_dataset_free(&d);
}

TEST(mnist_dir_without_the_files_is_rejected)
{
    char dir[600], images[700], labels[700], want[800];
    tmp_path(dir, sizeof dir, "empty");
    CHECK(mkdir(dir, 0700) == 0);
    mt_dataset d;
    mt_error err = {0};
    snprintf(want, sizeof want, "%s: no train-images-idx3-ubyte[.gz]", dir);
    CHECK_ERROR(mt_dataset_load_mnist_dir(dir, 1, 0, NULL, &d, &err), err, MT_EINPUT, want);
    snprintf(want, sizeof want, "%s: no t10k-images-idx3-ubyte[.gz]", dir);
    CHECK_ERROR(mt_dataset_load_mnist_dir(dir, 0, 0, NULL, &d, &err), err, MT_EINPUT, want);

    /* Images alone: the labels are named. */
    static const uint8_t labels2[2] = {0, 1};
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte", dir);
    snprintf(labels, sizeof labels, "%s/unused-labels", dir);
    write_idx_pair(images, labels, 2, 2, labels2, 0);
    snprintf(want, sizeof want, "%s: no train-labels-idx1-ubyte[.gz]", dir);
    CHECK_ERROR(mt_dataset_load_mnist_dir(dir, 1, 0, NULL, &d, &err), err, MT_EINPUT, want);

    tmp_path(dir, sizeof dir, "no-such-dir");
    snprintf(want, sizeof want, "%s: no train-images-idx3-ubyte[.gz] (no such directory)", dir);
    CHECK_ERROR(mt_dataset_load_mnist_dir(dir, 1, 0, NULL, &d, &err), err, MT_EINPUT, want);
    CHECK(d.x == NULL && d.y == NULL && d.n == 0);
}

/* --------------------------------------------------------------- IDX files */

TEST(idx_valid_file_round_trips_plain_and_gzipped)
{
    uint8_t buf[64];
    size_t len = small_idx(buf);
    CHECK_INT(len, 16 + 12);
    char plain[600], gz[600];
    tmp_path(plain, sizeof plain, "small.idx");
    tmp_path(gz, sizeof gz, "small.idx.gz");
    CHECK(test_write_file(plain, buf, len) == 0);
    CHECK(write_gz(gz, buf, len) == 0);
    const char *paths[2] = {plain, gz};
    for (int k = 0; k < 2; k++) {
        uint8_t *data = NULL;
        int ndims = 0;
        uint32_t dims[4];
        mt_error err = {0};
        int status = mt_idx_read(paths[k], &data, &ndims, dims, &err);
        CHECK_MSG(status == MT_OK, "%s: %s", paths[k], err.message);
        if (status) continue;
        CHECK_INT(ndims, 3);
        CHECK_INT(dims[0], 2);
        CHECK_INT(dims[1], 2);
        CHECK_INT(dims[2], 3);
        CHECK(memcmp(data, small_payload, sizeof small_payload) == 0);
        free(data);
    }
}

TEST(idx_accepts_one_and_four_dimensions)
{
    uint8_t buf[64], payload[16];
    for (int i = 0; i < 16; i++) payload[i] = (uint8_t)(255 - i);
    char path[600];
    tmp_path(path, sizeof path, "shapes.idx");
    static const uint32_t one[1] = {16}, four[4] = {2, 2, 2, 2};
    const uint32_t *shapes[2] = {one, four};
    int nds[2] = {1, 4};
    for (int k = 0; k < 2; k++) {
        size_t len = idx_bytes(buf, 0x08, nds[k], shapes[k], payload, 16);
        CHECK(test_write_file(path, buf, len) == 0);
        uint8_t *data = NULL;
        int ndims = 0;
        uint32_t dims[4];
        mt_error err = {0};
        CHECK_INT(mt_idx_read(path, &data, &ndims, dims, &err), MT_OK);
        CHECK_INT(ndims, nds[k]);
        for (int i = 0; i < nds[k]; i++) CHECK_INT(dims[i], shapes[k][i]);
        CHECK(data && memcmp(data, payload, 16) == 0);
        free(data);
    }
}

TEST(idx_rejects_wrong_magic)
{
    uint8_t buf[64];
    size_t len = small_idx(buf);
    buf[1] = 0x01;
    EXPECT_IDX_REJECTED(buf, len, "not an IDX file: magic number starts 0x00 0x01");
}

TEST(idx_rejects_non_byte_type)
{
    uint8_t buf[64];
    size_t len = small_idx(buf);
    buf[2] = 0x0D;
    EXPECT_IDX_REJECTED(buf, len, "unsupported IDX data type 0x0D (float32)");
}

TEST(idx_rejects_zero_and_five_dimensions)
{
    uint8_t buf[64];
    size_t len = small_idx(buf);
    buf[3] = 0;
    EXPECT_IDX_REJECTED(buf, len, "dimension count 0");
    buf[3] = 5;
    EXPECT_IDX_REJECTED(buf, len, "dimension count 5");
}

TEST(idx_rejects_zero_dimension)
{
    uint8_t buf[64];
    static const uint32_t dims[3] = {2, 0, 3};
    size_t len = idx_bytes(buf, 0x08, 3, dims, small_payload, 0);
    EXPECT_IDX_REJECTED(buf, len, "dimension 2 of 3 is 0");
}

TEST(idx_rejects_truncated_payload)
{
    uint8_t buf[64];
    size_t len = small_idx(buf);
    EXPECT_IDX_REJECTED(buf, len - 1, "truncated: expected 12 payload bytes, found 11");
    EXPECT_IDX_REJECTED(buf, 16, "truncated: expected 12 payload bytes, found 0");
}

TEST(idx_rejects_trailing_bytes)
{
    uint8_t buf[64];
    size_t len = small_idx(buf);
    buf[len++] = 0;
    EXPECT_IDX_REJECTED(buf, len, "trailing data after 12 payload bytes");
}

TEST(idx_rejects_truncated_header)
{
    uint8_t buf[64];
    small_idx(buf);
    EXPECT_IDX_REJECTED(buf, 2, "truncated header: expected 4 magic-number bytes, found 2");
    EXPECT_IDX_REJECTED(buf, 10, "truncated header: expected 12 dimension bytes, found 6");
}

TEST(idx_rejects_empty_file)
{
    EXPECT_IDX_REJECTED("", 0, "empty file");
}

TEST(idx_rejects_dimensions_over_two_gib)
{
    uint8_t buf[64];
    static const uint32_t dims[3] = {65536, 65536, 2}; /* exactly 2^33 */
    size_t len = idx_bytes(buf, 0x08, 3, dims, small_payload, 12);
    EXPECT_IDX_REJECTED(buf, len, "dimensions 65536 x 65536 x 2 exceed the limit");
    static const uint32_t huge[4] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    len = idx_bytes(buf, 0x08, 4, huge, small_payload, 12);
    EXPECT_IDX_REJECTED(buf, len, "exceed the limit");
}

TEST(idx_rejects_corrupt_gzip_with_zlib_message)
{
    /* A valid gzip member header (magic, deflate, no flags) then garbage. */
    uint8_t buf[64] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03};
    for (int i = 10; i < 40; i++) buf[i] = 0xFF;
    EXPECT_IDX_REJECTED(buf, 40, "corrupt gzip data: invalid block type");
}

TEST(idx_rejects_gzip_stream_cut_short)
{
    char path[600];
    tmp_path(path, sizeof path, "whole.idx.gz");
    uint8_t raw[4096], payload[4000];
    for (int i = 0; i < 4000; i++) payload[i] = (uint8_t)((i * 37) ^ (i >> 3));
    static const uint32_t dims[1] = {4000};
    size_t len = idx_bytes(raw, 0x08, 1, dims, payload, 4000);
    CHECK(write_gz(path, raw, len) == 0);
    FILE *f = fopen(path, "rb");
    uint8_t packed[8192];
    size_t packed_len = f ? fread(packed, 1, sizeof packed, f) : 0;
    if (f) fclose(f);
    CHECK(packed_len > 100);
    /* Cut inside the deflate data, and cut only the 8-byte CRC/length trailer. */
    EXPECT_IDX_REJECTED(packed, packed_len / 2, "truncated");
    EXPECT_IDX_REJECTED(packed, packed_len - 4, "truncated gzip data: unexpected end of file");
    /* A flipped payload byte fails the CRC (or the deflate decoding). */
    packed[packed_len - 8] ^= 0xFF;
    EXPECT_IDX_REJECTED(packed, packed_len, "corrupt gzip data: incorrect data check");
}

TEST(idx_rejects_missing_file_and_directory)
{
    char path[600];
    tmp_path(path, sizeof path, "does-not-exist.idx");
    uint8_t *data = NULL;
    int ndims = 0;
    uint32_t dims[4];
    mt_error err = {0};
    char want[700];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    CHECK_ERROR(mt_idx_read(path, &data, &ndims, dims, &err), err, MT_EINPUT, want);
    CHECK(data == NULL);
    snprintf(want, sizeof want, "%s: cannot open: Is a directory", test_tmpdir());
    CHECK_ERROR(mt_idx_read(test_tmpdir(), &data, &ndims, dims, &err), err, MT_EINPUT, want);
}

/* ------------------------------------------------------ IDX pair -> dataset */

TEST(dataset_idx_scales_pixels_by_1_over_255)
{
    char images[600], labels[600];
    tmp_path(images, sizeof images, "img.idx");
    tmp_path(labels, sizeof labels, "lab.idx");
    uint8_t buf[64];
    static const uint8_t pixels[6] = {0, 255, 51, 102, 1, 254};
    static const uint32_t idims[3] = {2, 1, 3};
    CHECK(test_write_file(images, buf, idx_bytes(buf, 0x08, 3, idims, pixels, 6)) == 0);
    static const uint8_t label_bytes[2] = {9, 0};
    static const uint32_t ldims[1] = {2};
    CHECK(test_write_file(labels, buf, idx_bytes(buf, 0x08, 1, ldims, label_bytes, 2)) == 0);
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_idx(images, labels, 10, 0, "pair", &d, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (status) return;
    CHECK_INT(d.n, 2);
    CHECK_INT(d.dim, 3);
    CHECK_INT(d.classes, 10);
    CHECK(d.x[0] == 0.0f);
    CHECK(d.x[1] == 1.0f);
    CHECK_NEAR(d.x[2], 0.2, 1e-7);
    CHECK_NEAR(d.x[3], 0.4, 1e-7);
    CHECK_NEAR(d.x[4], 1.0 / 255.0, 1e-9);
    CHECK_NEAR(d.x[5], 254.0 / 255.0, 1e-7);
    CHECK_INT(d.y[0], 9);
    CHECK_INT(d.y[1], 0);
    CHECK(strcmp(d.name, "pair") == 0);
    mt_dataset_free(&d);
    CHECK(d.x == NULL && d.y == NULL && d.n == 0 && d.dim == 0);
    mt_dataset_free(&d); /* a zeroed struct is fine */
    mt_dataset_free(NULL);
}

TEST(dataset_idx_rejects_count_mismatch_naming_both_files)
{
    char images[600], labels[600], want[1400];
    tmp_path(images, sizeof images, "img.idx");
    tmp_path(labels, sizeof labels, "lab.idx.gz");
    static const uint8_t label_bytes[3] = {1, 2, 3};
    write_idx_pair(images, labels, 3, 2, label_bytes, 1);
    snprintf(want, sizeof want, "%s holds 3 images but %s holds 2 labels", images, labels);
    mt_dataset d;
    mt_error err = {0};
    CHECK_ERROR(mt_dataset_load_idx(images, labels, 10, 0, NULL, &d, &err), err, MT_EINPUT, want);
    CHECK(d.x == NULL && d.y == NULL && d.n == 0);
}

TEST(dataset_idx_rejects_wrong_ranks)
{
    char images[600], labels[600], want[800];
    tmp_path(images, sizeof images, "img.idx");
    tmp_path(labels, sizeof labels, "lab.idx");
    static const uint8_t label_bytes[2] = {1, 2};
    write_idx_pair(images, labels, 2, 2, label_bytes, 0);
    mt_dataset d;
    mt_error err = {0};
    /* Swapped: the label file is 1-D where images are expected. */
    snprintf(want, sizeof want, "%s: expected 3 dimensions (images x rows x cols), found 1", labels);
    CHECK_ERROR(mt_dataset_load_idx(labels, labels, 10, 0, NULL, &d, &err), err, MT_EINPUT, want);
    snprintf(want, sizeof want, "%s: expected 1 dimension (labels), found 3", images);
    CHECK_ERROR(mt_dataset_load_idx(images, images, 10, 0, NULL, &d, &err), err, MT_EINPUT, want);
}

TEST(dataset_idx_rejects_label_not_below_classes)
{
    char images[600], labels[600], want[800];
    tmp_path(images, sizeof images, "img.idx");
    tmp_path(labels, sizeof labels, "lab.idx");
    static const uint8_t label_bytes[3] = {9, 10, 0};
    write_idx_pair(images, labels, 3, 3, label_bytes, 0);
    mt_dataset d;
    mt_error err = {0};
    snprintf(want, sizeof want, "%s: example 1 has label 10, expected 0 to 9", labels);
    CHECK_ERROR(mt_dataset_load_idx(images, labels, 10, 0, NULL, &d, &err), err, MT_EINPUT, want);
    /* With 11 classes the same files are fine. */
    CHECK_INT(mt_dataset_load_idx(images, labels, 11, 0, NULL, &d, &err), MT_OK);
    CHECK_INT(d.n, 3);
    mt_dataset_free(&d);
}

TEST(dataset_idx_passes_on_file_errors)
{
    char images[600], labels[600];
    tmp_path(images, sizeof images, "img.idx");
    tmp_path(labels, sizeof labels, "missing-labels.idx");
    uint8_t buf[64];
    CHECK(test_write_file(images, buf, small_idx(buf)) == 0);
    mt_dataset d;
    mt_error err = {0};
    CHECK_ERROR(mt_dataset_load_idx(images, labels, 10, 0, NULL, &d, &err), err, MT_EINPUT,
                "missing-labels.idx: cannot open");
}

/* ---------------------------------------------------------------- CSV files */

TEST(digits_csv_has_published_size_first_row_and_class_counts)
{
    char path[600];
    source_path(path, sizeof path, "data/uci-optdigits-8x8/digits.csv.gz");
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_csv(path, 64, 16.0, 10, 0, 0, "digits", &d, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (status) return;
    CHECK_INT(d.n, 1797);
    CHECK_INT(d.dim, 64);
    CHECK_INT(d.classes, 10);
    static const int first_row[8] = {0, 0, 5, 13, 9, 1, 0, 0};
    for (int i = 0; i < 8; i++) CHECK(d.x[i] == first_row[i] / 16.0f);
    CHECK_INT(d.y[0], 0);
    static const long class_counts[10] = {178, 182, 177, 183, 181, 182, 181, 179, 174, 180};
    long counts[10] = {0};
    for (long i = 0; i < d.n; i++) counts[d.y[i] < 10 ? d.y[i] : 0]++;
    for (int c = 0; c < 10; c++) CHECK_INT(counts[c], class_counts[c]);
    float hi = 0;
    for (size_t i = 0; i < (size_t)d.n * 64; i++)
        if (d.x[i] > hi) hi = d.x[i];
    CHECK(hi == 1.0f);
    mt_dataset_free(&d);
}

TEST(digits_split_via_load_for_is_first_1437_and_last_360)
{
    char path[600];
    source_path(path, sizeof path, "data/uci-optdigits-8x8/digits.csv.gz");
    mt_dataset all, train, test;
    mt_error err = {0};
    CHECK_INT(mt_dataset_load_csv(path, 64, 16.0, 10, 0, 0, NULL, &all, &err), MT_OK);

    mt_params p;
    memset(&p, 0, sizeof p);
    strcpy(p.data.dataset, "digits");
    int s1 = mt_dataset_load_for(&p, 1, &train, &err);
    CHECK_MSG(s1 == MT_OK, "%s", err.message);
    int s2 = mt_dataset_load_for(&p, 0, &test, &err);
    CHECK_MSG(s2 == MT_OK, "%s", err.message);
    if (!s1 && !s2 && all.x) {
        CHECK_INT(train.n, 1437);
        CHECK_INT(test.n, 360);
        CHECK_INT(train.n + test.n, all.n);
        CHECK(strcmp(train.name, "digits/train") == 0);
        CHECK(strcmp(test.name, "digits/test") == 0);
        CHECK(memcmp(train.x, all.x, 1437 * 64 * sizeof(float)) == 0);
        CHECK(memcmp(test.x, all.x + 1437 * 64, 360 * 64 * sizeof(float)) == 0);
        CHECK(memcmp(train.y, all.y, 1437) == 0);
        CHECK(memcmp(test.y, all.y + 1437, 360) == 0);
        CHECK_INT(train.y[1436], 1); /* line 1437 */
        CHECK_INT(test.y[0], 2);     /* line 1438 */
        CHECK_INT(test.y[359], 8);   /* the last line */
    }
    mt_dataset_free(&all);
    mt_dataset_free(&train);
    mt_dataset_free(&test);

    p.data.train_limit = 100;
    p.data.test_limit = 7;
    CHECK_INT(mt_dataset_load_for(&p, 1, &train, &err), MT_OK);
    CHECK_INT(mt_dataset_load_for(&p, 0, &test, &err), MT_OK);
    CHECK_INT(train.n, 100);
    CHECK_INT(test.n, 7);
    if (test.y) CHECK_INT(test.y[0], 2);
    mt_dataset_free(&train);
    mt_dataset_free(&test);
}

TEST(csv_plain_and_gzip_read_identically_with_slices)
{
    const char *text = "1,2,0\n3,4,1\n5,6,2\n7,8,1\n";
    char plain[600], gz[600];
    tmp_path(plain, sizeof plain, "t.csv");
    tmp_path(gz, sizeof gz, "t.csv.gz");
    CHECK(test_write_file(plain, text, strlen(text)) == 0);
    CHECK(write_gz(gz, text, strlen(text)) == 0);
    mt_dataset a, b;
    mt_error err = {0};
    CHECK_INT(mt_dataset_load_csv(plain, 2, 8.0, 3, 1, 2, "a", &a, &err), MT_OK);
    CHECK_INT(mt_dataset_load_csv(gz, 2, 8.0, 3, 1, 2, "b", &b, &err), MT_OK);
    if (a.x && b.x) {
        CHECK_INT(a.n, 2);
        CHECK_INT(b.n, 2);
        CHECK(memcmp(a.x, b.x, 4 * sizeof(float)) == 0);
        CHECK(a.x[0] == 3 / 8.0f && a.x[1] == 0.5f && a.x[2] == 5 / 8.0f && a.x[3] == 6 / 8.0f);
        CHECK(a.y[0] == 1 && a.y[1] == 2 && b.y[0] == 1 && b.y[1] == 2);
    }
    mt_dataset_free(&a);
    mt_dataset_free(&b);
    /* count <= 0 runs to the end of the file. */
    CHECK_INT(mt_dataset_load_csv(gz, 2, 8.0, 3, 3, 0, "c", &a, &err), MT_OK);
    CHECK_INT(a.n, 1);
    if (a.y) CHECK_INT(a.y[0], 1);
    mt_dataset_free(&a);
}

TEST(csv_tolerates_spaces_crlf_and_blank_lines)
{
    const char *text = "\n 1 , 2,\t0 \r\n\r\n   \n3,4 ,1";
    char path[600];
    tmp_path(path, sizeof path, "loose.csv");
    CHECK(test_write_file(path, text, strlen(text)) == 0);
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_csv(path, 2, 4.0, 2, 0, 0, NULL, &d, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (status) return;
    CHECK_INT(d.n, 2);
    CHECK(d.x[0] == 0.25f && d.x[1] == 0.5f && d.x[2] == 0.75f && d.x[3] == 1.0f);
    CHECK(d.y[0] == 0 && d.y[1] == 1);
    mt_dataset_free(&d);
}

TEST(csv_rejects_wrong_field_count)
{
    EXPECT_CSV_REJECTED("1,2,0\n1,2\n", 2, 8, 3, 0, 0, 2,
                        "expected 3 comma-separated fields (2 features and a label), found 2");
    EXPECT_CSV_REJECTED("1,2,0\n\n1,2,0,4\n", 2, 8, 3, 0, 0, 3, "found 4");
    EXPECT_CSV_REJECTED("1,,0\n", 2, 8, 3, 0, 0, 1, "field 2 is empty");
}

TEST(csv_rejects_non_integers)
{
    EXPECT_CSV_REJECTED("1,2,0\n1,x2,0\n", 2, 8, 3, 0, 0, 2, "field 2: 'x2' is not an integer");
    EXPECT_CSV_REJECTED("1.5,2,0\n", 2, 8, 3, 0, 0, 1, "field 1: '1.5' is not an integer");
    EXPECT_CSV_REJECTED("1,2,zero\n", 2, 8, 3, 0, 0, 1, "field 3: 'zero' is not an integer");
    EXPECT_CSV_REJECTED("1,2 3,0\n", 2, 8, 3, 0, 0, 1, "field 2: '2 3' is not an integer");
    EXPECT_CSV_REJECTED("1,-,0\n", 2, 8, 3, 0, 0, 1, "field 2: '-' is not an integer");
}

TEST(csv_rejects_negative_and_out_of_range_values)
{
    EXPECT_CSV_REJECTED("1,2,0\n1,2,0\n-1,2,0\n", 2, 8, 3, 0, 0, 3, "field 1: negative value -1");
    EXPECT_CSV_REJECTED("1,9,0\n", 2, 8, 3, 0, 0, 1, "field 2: feature value 9 exceeds feature_max 8");
    EXPECT_CSV_REJECTED("1,2,3\n", 2, 8, 3, 0, 0, 1, "field 3: label 3 out of range, expected 0 to 2");
    EXPECT_CSV_REJECTED("1,2,-2\n", 2, 8, 3, 0, 0, 1, "field 3: negative value -2");
    EXPECT_CSV_REJECTED("1,99999999999999999999,0\n", 2, 8, 3, 0, 0, 1, "is too large");
    /* Lines outside the requested slice are checked too. */
    EXPECT_CSV_REJECTED("1,2,0\n1,2,0\n1,2,7\n", 2, 8, 3, 0, 1, 3, "label 7 out of range");
}

TEST(csv_rejects_too_few_lines)
{
    EXPECT_CSV_REJECTED("1,2,0\n1,2,1\n", 2, 8, 3, 1, 2, 2,
                        "file ends after 2 data lines, expected 3 (data lines 2 to 3)");
    EXPECT_CSV_REJECTED("1,2,0\n1,2,1\n\n", 2, 8, 3, 2, 0, 3, "expected more than 2");
    EXPECT_CSV_REJECTED("", 2, 8, 3, 0, 0, 1, "file ends after 0 data lines");
}

TEST(csv_rejects_binary_and_overlong_lines)
{
    static const char nul_line[] = "1,2,0\n1,\0002,0\n";
    char path[600], want[700];
    tmp_path(path, sizeof path, "nul.csv");
    CHECK(test_write_file(path, nul_line, sizeof nul_line - 1) == 0);
    mt_dataset d;
    mt_error err = {0};
    snprintf(want, sizeof want, "%s:2: NUL byte in line", path);
    CHECK_ERROR(mt_dataset_load_csv(path, 2, 8, 3, 0, 0, NULL, &d, &err), err, MT_EINPUT, want);

    /* 2 MiB without a newline: refused once past the 1 MiB line limit. */
    size_t len = (size_t)2 << 20;
    char *big = malloc(len);
    CHECK(big != NULL);
    if (!big) return;
    memset(big, '1', len);
    CHECK(test_write_file(path, big, len) == 0);
    free(big);
    snprintf(want, sizeof want, "%s:1: line longer than 1048576 bytes", path);
    CHECK_ERROR(mt_dataset_load_csv(path, 2, 8, 3, 0, 0, NULL, &d, &err), err, MT_EINPUT, want);

    /* Long lines within the limit are fine: 3000 features of "0". */
    char *wide = malloc(3001 * 2 + 1);
    CHECK(wide != NULL);
    if (!wide) return;
    for (int i = 0; i < 3001; i++) {
        wide[2 * i] = i == 3000 ? '1' : '0';
        wide[2 * i + 1] = i == 3000 ? '\n' : ',';
    }
    CHECK(test_write_file(path, wide, 3001 * 2) == 0);
    free(wide);
    int status = mt_dataset_load_csv(path, 3000, 1, 2, 0, 0, NULL, &d, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    CHECK_INT(d.n, 1);
    CHECK_INT(d.dim, 3000);
    if (d.y) CHECK_INT(d.y[0], 1);
    mt_dataset_free(&d);
}

TEST(csv_rejects_gzip_cut_short)
{
    char src[600], path[600], want[700];
    source_path(src, sizeof src, "data/uci-optdigits-8x8/digits.csv.gz");
    tmp_path(path, sizeof path, "cut.csv.gz");
    FILE *f = fopen(src, "rb");
    CHECK(f != NULL);
    if (!f) return;
    static uint8_t packed[20000];
    size_t got = fread(packed, 1, sizeof packed, f);
    fclose(f);
    CHECK(got == sizeof packed);
    CHECK(test_write_file(path, packed, got) == 0);
    mt_dataset d;
    mt_error err = {0};
    snprintf(want, sizeof want, "%s: truncated gzip data: unexpected end of file", path);
    CHECK_ERROR(mt_dataset_load_csv(path, 64, 16, 10, 0, 10, NULL, &d, &err), err, MT_EINPUT, want);
}

TEST(csv_rejects_missing_file_and_corrupt_gzip)
{
    char path[600], want[700];
    tmp_path(path, sizeof path, "absent.csv.gz");
    mt_dataset d;
    mt_error err = {0};
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    CHECK_ERROR(mt_dataset_load_csv(path, 64, 16, 10, 0, 0, NULL, &d, &err), err, MT_EINPUT, want);

    uint8_t garbage[40] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03};
    for (int i = 10; i < 40; i++) garbage[i] = 0xFF;
    CHECK(test_write_file(path, garbage, sizeof garbage) == 0);
    snprintf(want, sizeof want, "%s: corrupt gzip data", path);
    CHECK_ERROR(mt_dataset_load_csv(path, 64, 16, 10, 0, 0, NULL, &d, &err), err, MT_EINPUT, want);
}

/* ------------------------------------------------------ mt_dataset_load_for */

TEST(load_for_rejects_unknown_dataset)
{
    mt_params p;
    memset(&p, 0, sizeof p);
    strcpy(p.data.dataset, "cifar");
    mt_dataset d;
    mt_error err = {0};
    CHECK_ERROR(mt_dataset_load_for(&p, 1, &d, &err), err, MT_EINPUT,
                "data.dataset: unknown dataset 'cifar' (known: mnist, mnist-backrand, fashion, digits, cifar10, cifar100)");
    p.data.dataset[0] = '\0';
    CHECK_ERROR(mt_dataset_load_for(&p, 1, &d, &err), err, MT_EINPUT, "unknown dataset ''");
}

TEST(load_for_mnist_uses_data_dir_and_limits)
{
    mt_params p;
    memset(&p, 0, sizeof p);
    strcpy(p.data.dataset, "mnist");
    source_path(p.data.dir, sizeof p.data.dir, "data/mnist");
    p.data.test_limit = 5;
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_for(&p, 0, &d, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (status) return;
    CHECK_INT(d.n, 5);
    CHECK_INT(d.dim, 784);
    CHECK(strcmp(d.name, "mnist/test") == 0);
    static const int first_labels[5] = {7, 2, 1, 0, 4};
    for (int i = 0; i < 5; i++) CHECK_INT(d.y[i], first_labels[i]);
    mt_dataset_free(&d);
}

TEST(load_for_honours_memtrain_data)
{
    /* A stand-in optdigits file under $MEMTRAIN_DATA: 1797 lines, label = line % 10. */
    char dir[600], path[700], want[800];
    tmp_path(dir, sizeof dir, "uci-optdigits-8x8");
    CHECK(mkdir(dir, 0700) == 0);
    snprintf(path, sizeof path, "%s/digits.csv.gz", dir);
    gzFile f = gzopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    for (int line = 0; line < 1797; line++) {
        for (int k = 0; k < 64; k++) gzprintf(f, "%d,", (line + k) % 17);
        gzprintf(f, "%d\n", line % 10);
    }
    CHECK(gzclose(f) == Z_OK);
    CHECK(setenv("MEMTRAIN_DATA", test_tmpdir(), 1) == 0);

    mt_params p;
    memset(&p, 0, sizeof p);
    strcpy(p.data.dataset, "digits");
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_for(&p, 0, &d, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (!status) {
        CHECK_INT(d.n, 360);
        CHECK_INT(d.y[0], 1437 % 10);
        CHECK(d.x[0] == (1437 % 17) / 16.0f);
    }
    mt_dataset_free(&d);

    /* mnist now looks in $MEMTRAIN_DATA/mnist, which does not exist. */
    strcpy(p.data.dataset, "mnist");
    snprintf(want, sizeof want, "%s/mnist: no train-images-idx3-ubyte[.gz]", test_tmpdir());
    CHECK_ERROR(mt_dataset_load_for(&p, 1, &d, &err), err, MT_EINPUT, want);
}

TEST(load_for_fashion_reads_the_debian_package_or_says_how_to_get_it)
{
    mt_params p;
    memset(&p, 0, sizeof p);
    strcpy(p.data.dataset, "fashion");
    p.data.train_limit = 10;
    mt_dataset d;
    mt_error err = {0};
    struct stat st;
    if (stat("/usr/share/datasets/fashion-mnist", &st) == 0) {
        int status = mt_dataset_load_for(&p, 1, &d, &err);
        CHECK_MSG(status == MT_OK, "%s", err.message);
        if (!status) {
            CHECK_INT(d.n, 10);
            CHECK_INT(d.dim, 784);
            CHECK(strcmp(d.name, "fashion/train") == 0);
            /* Fashion-MNIST's first training labels: ankle boot, T-shirt, ... */
            static const int first_labels[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
            for (int i = 0; i < 10; i++) CHECK_INT(d.y[i], first_labels[i]);
            long sum = 0;
            for (size_t i = 0; i < 784; i++) sum += pixel_byte(&d, i);
            CHECK_INT(sum, 76247);
        }
        mt_dataset_free(&d);
    } else {
        CHECK_ERROR(mt_dataset_load_for(&p, 1, &d, &err), err, MT_EINPUT,
                    "fashion: /usr/share/datasets/fashion-mnist not found: install the Debian "
                    "package dataset-fashion-mnist (make deps) or pass --data DIR");
    }
    /* An explicit directory is used as given. */
    tmp_path(p.data.dir, sizeof p.data.dir, "no-fashion-here");
    CHECK_ERROR(mt_dataset_load_for(&p, 1, &d, &err), err, MT_EINPUT,
                "no-fashion-here: no train-images-idx3-ubyte[.gz]");
}
