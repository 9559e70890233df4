/* test_data_more.c — tests of the second set of dataset readers (src/data): NumPy
 * .npy files, feature scaling, CIFAR binary files, MNIST-backrand and the IDX
 * writer behind its cache.
 *
 * Expectations come from outside the code under test: .npy files written by
 * numpy.save itself (tests/fixtures/npy, made by make_fixtures.py there) and
 * headers spelled out byte by byte here; the published first labels, pixels and
 * class counts of CIFAR-10's data_batch_1 (data/cifar10-sample/PROVENANCE.txt);
 * order statistics computed here by sorting; the uniform distribution's mean and
 * a chi-square test.  Every malformed input must be rejected with MT_EINPUT and a
 * message that starts with the file's path. */
#include <dirent.h>
#include <math.h>
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

static void fixture_path(char *dst, size_t size, const char *name)
{
    snprintf(dst, size, "%s/tests/fixtures/npy/%s", test_source_dir(), name);
}

static int write_gz(const char *path, const void *data, size_t len)
{
    gzFile f = gzopen(path, "wb");
    if (!f) return -1;
    int w = gzwrite(f, data, (unsigned)len);
    return (gzclose(f) == Z_OK && w == (int)len) ? 0 : -1;
}

/* The whole of a file in a new buffer (NULL on failure). */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!buf || got != (size_t)n) {
        free(buf);
        return NULL;
    }
    *len = got;
    return buf;
}

/* Entries of a directory other than . and .. (-1 if it cannot be read). */
static int dir_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* ----------------------------------------------------------- .npy builders */

/* A .npy file as numpy.save writes it: magic, version major.0, the header
 * length (2 bytes in 1.0, 4 in 2.0/3.0), the dict padded with spaces and a final
 * newline so that the data starts at a multiple of 64, then the payload. */
static size_t npy_file(uint8_t *buf, int major, const char *dict, const void *payload, size_t len)
{
    size_t pre = major == 1 ? 10 : 12, dlen = strlen(dict);
    size_t start = (pre + dlen + 1 + 63) / 64 * 64;
    size_t hlen = start - pre;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (uint8_t)major;
    buf[7] = 0;
    buf[8] = (uint8_t)hlen;
    buf[9] = (uint8_t)(hlen >> 8);
    if (major != 1) {
        buf[10] = (uint8_t)(hlen >> 16);
        buf[11] = (uint8_t)(hlen >> 24);
    }
    memcpy(buf + pre, dict, dlen);
    memset(buf + pre + dlen, ' ', hlen - dlen - 1);
    buf[start - 1] = '\n';
    if (len) memcpy(buf + start, payload, len);
    return start + len;
}

static void put_f32(uint8_t *p, float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(b >> (8 * i));
}

static void put_f64(uint8_t *p, double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(b >> (8 * i));
}

/* The valid 2 x 3 float32 matrix used as the base of the defect tests. */
static const float small_f4[6] = {0.5f, -1.25f, 3.0f, 1e-7f, -0.0f, 1e30f};
#define SMALL_DICT "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"

static size_t small_npy(uint8_t *buf, const char *dict)
{
    uint8_t payload[24];
    for (int i = 0; i < 6; i++) put_f32(payload + 4 * i, small_f4[i]);
    return npy_file(buf, 1, dict, payload, sizeof payload);
}

enum { AS_MATRIX = 0, AS_LABELS = 1 };

/* Write bytes to a temporary file, read it as a matrix or as labels (10
 * classes), and expect MT_EINPUT, a message starting with the path and holding
 * `needle`, and nothing handed back. */
static void expect_npy_rejected(const void *bytes, size_t len, int as, const char *needle, int line)
{
    char path[600];
    tmp_path(path, sizeof path, "bad.npy");
    if (test_write_file(path, bytes, len) != 0) {
        test_fail(__FILE__, line, "cannot write %s", path);
        return;
    }
    mt_error err = {0};
    int status;
    if (as == AS_MATRIX) {
        float *data = (float *)1;
        long rows = -1;
        int cols = -1;
        status = mt_npy_read_matrix(path, &data, &rows, &cols, &err);
        if (status == MT_OK) free(data);
        else if (data != NULL || rows != 0 || cols != 0)
            test_fail(__FILE__, line, "outputs not cleared on error");
    } else {
        uint8_t *labels = (uint8_t *)1;
        long n = -1;
        status = mt_npy_read_labels(path, &labels, &n, 10, &err);
        if (status == MT_OK) free(labels);
        else if (labels != NULL || n != 0) test_fail(__FILE__, line, "outputs not cleared on error");
    }
    if (status != MT_EINPUT)
        test_fail(__FILE__, line, "status %d (%s), expected MT_EINPUT", status, err.message);
    if (strncmp(err.message, path, strlen(path)) != 0)
        test_fail(__FILE__, line, "message \"%s\" does not start with the path", err.message);
    if (!strstr(err.message, needle)) test_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", err.message, needle);
}

#define EXPECT_NPY_REJECTED(bytes, len, as, needle) expect_npy_rejected(bytes, len, as, needle, __LINE__)

/* A small .npy file from a dict and a payload, rejected as `as`. */
static void expect_dict_rejected(const char *dict, const void *payload, size_t len, int as, const char *needle,
                                 int line)
{
    uint8_t buf[1024];
    size_t n = npy_file(buf, 1, dict, payload, len);
    expect_npy_rejected(buf, n, as, needle, line);
}

#define EXPECT_DICT_REJECTED(dict, payload, len, as, needle) \
    expect_dict_rejected(dict, payload, len, as, needle, __LINE__)

/* Read a file that must be a valid matrix. */
static float *read_matrix_ok(const char *path, long *rows, int *cols, int line)
{
    float *data = NULL;
    mt_error err = {0};
    int status = mt_npy_read_matrix(path, &data, rows, cols, &err);
    if (status) test_fail(__FILE__, line, "%s: status %d: %s", path, status, err.message);
    return data;
}

/* ------------------------------------------------------------ .npy: valid */

TEST(npy_helper_writes_numpys_exact_header_bytes)
{
    /* numpy.save(f, np.zeros((2, 3), np.float32)), byte for byte: 10 bytes of
     * magic, version and length 118, the dict, spaces up to byte 127, '\n'. */
    static const char expected[] =
        "\x93NUMPY\x01\x00\x76\x00"
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        "                                                          \n";
    CHECK_INT(sizeof expected - 1, 128);
    uint8_t buf[256];
    size_t len = npy_file(buf, 1, SMALL_DICT, NULL, 0);
    CHECK_INT(len, 128);
    CHECK(memcmp(buf, expected, 128) == 0);

    /* And the fixture numpy wrote for a 3 x 4 float32 matrix has the same layout. */
    char path[600];
    fixture_path(path, sizeof path, "f4_3x4.npy");
    size_t flen = 0;
    uint8_t *file = slurp(path, &flen);
    CHECK(file != NULL);
    if (!file) return;
    len = npy_file(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", NULL, 0);
    CHECK_INT(flen, len + 48);
    CHECK(memcmp(file, buf, len) == 0);
    free(file);
}

TEST(npy_float32_round_trips_exactly)
{
    uint8_t buf[256];
    size_t len = small_npy(buf, SMALL_DICT);
    char path[600];
    tmp_path(path, sizeof path, "small.npy");
    CHECK(test_write_file(path, buf, len) == 0);
    long rows = 0;
    int cols = 0;
    float *x = read_matrix_ok(path, &rows, &cols, __LINE__);
    if (!x) return;
    CHECK_INT(rows, 2);
    CHECK_INT(cols, 3);
    CHECK(memcmp(x, small_f4, sizeof small_f4) == 0); /* bit for bit, -0.0 included */
    CHECK(signbit(x[4]));
    free(x);
}

TEST(npy_float64_rounds_to_nearest_float32)
{
    static const double v[6] = {0.1, -1.0 / 3.0, 1e10, 2.0, -0.0, 3.4028234663852886e38};
    uint8_t payload[48], buf[256];
    for (int i = 0; i < 6; i++) put_f64(payload + 8 * i, v[i]);
    size_t len = npy_file(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", payload, 48);
    char path[600];
    tmp_path(path, sizeof path, "f8.npy");
    CHECK(test_write_file(path, buf, len) == 0);
    long rows = 0;
    int cols = 0;
    float *x = read_matrix_ok(path, &rows, &cols, __LINE__);
    if (!x) return;
    CHECK_INT(rows, 3);
    CHECK_INT(cols, 2);
    for (int i = 0; i < 6; i++) CHECK_MSG(x[i] == (float)v[i], "x[%d] = %.9g, expected %.9g", i, x[i], (float)v[i]);
    CHECK(signbit(x[4]));
    free(x);
}

TEST(npy_versions_2_and_3_read_like_version_1)
{
    uint8_t payload[24], buf[256];
    for (int i = 0; i < 6; i++) put_f32(payload + 4 * i, small_f4[i]);
    for (int major = 2; major <= 3; major++) {
        size_t len = npy_file(buf, major, SMALL_DICT, payload, sizeof payload);
        CHECK_INT(buf[6], major);
        CHECK_INT(buf[8] | buf[9] << 8 | buf[10] << 16 | buf[11] << 24, 116);
        char path[600];
        tmp_path(path, sizeof path, "v2.npy");
        CHECK(test_write_file(path, buf, len) == 0);
        long rows = 0;
        int cols = 0;
        float *x = read_matrix_ok(path, &rows, &cols, __LINE__);
        if (!x) continue;
        CHECK_INT(rows, 2);
        CHECK_INT(cols, 3);
        CHECK(memcmp(x, small_f4, sizeof small_f4) == 0);
        free(x);
    }
}

TEST(npy_header_syntax_variants_python_accepts)
{
    /* Double quotes, other key order, no trailing comma, extra spaces and
     * newlines, a trailing comma inside the shape, Python 2's long suffix. */
    static const char *const dicts[] = {
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}",
        "{'shape': (2,3,), 'fortran_order':False,'descr':'<f4'}",
        "{ 'descr' : '<f4' ,\n 'fortran_order' : False ,\n 'shape' : ( 2 , 3 ) , }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
    };
    for (size_t k = 0; k < sizeof dicts / sizeof dicts[0]; k++) {
        uint8_t buf[512];
        size_t len = small_npy(buf, dicts[k]);
        char path[600];
        tmp_path(path, sizeof path, "variant.npy");
        CHECK(test_write_file(path, buf, len) == 0);
        long rows = 0;
        int cols = 0;
        float *x = read_matrix_ok(path, &rows, &cols, __LINE__);
        CHECK_MSG(x && rows == 2 && cols == 3, "dict %zu: %ld x %d", k, rows, cols);
        if (x) CHECK(memcmp(x, small_f4, sizeof small_f4) == 0);
        free(x);
    }
}

TEST(npy_gzip_compressed_file_reads_too)
{
    uint8_t buf[256];
    size_t len = small_npy(buf, SMALL_DICT);
    char path[600];
    tmp_path(path, sizeof path, "small.npy.gz");
    CHECK(write_gz(path, buf, len) == 0);
    long rows = 0;
    int cols = 0;
    float *x = read_matrix_ok(path, &rows, &cols, __LINE__);
    if (!x) return;
    CHECK_INT(rows, 2);
    CHECK(memcmp(x, small_f4, sizeof small_f4) == 0);
    free(x);
}

TEST(npy_labels_from_integer_and_integral_float_types)
{
    static const struct {
        const char *descr;
        int size;
    } types[] = {{"|u1", 1}, {"|i1", 1}, {"<i2", 2}, {"<u2", 2}, {"<i4", 4},
                 {"<u4", 4}, {"<i8", 8}, {"<u8", 8}, {"<f4", 4}, {"<f8", 8}};
    static const int values[5] = {9, 0, 3, 3, 7};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        uint8_t payload[40] = {0}, buf[256];
        int size = types[t].size;
        for (int i = 0; i < 5; i++) {
            if (!strcmp(types[t].descr, "<f4")) put_f32(payload + 4 * i, (float)values[i]);
            else if (!strcmp(types[t].descr, "<f8")) put_f64(payload + 8 * i, values[i]);
            else payload[size * i] = (uint8_t)values[i]; /* little-endian: low byte first */
        }
        char dict[128];
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (5,), }", types[t].descr);
        size_t len = npy_file(buf, 1, dict, payload, 5 * (size_t)size);
        char path[600];
        tmp_path(path, sizeof path, "labels.npy");
        CHECK(test_write_file(path, buf, len) == 0);
        uint8_t *y = NULL;
        long n = 0;
        mt_error err = {0};
        int status = mt_npy_read_labels(path, &y, &n, 10, &err);
        CHECK_MSG(status == MT_OK, "%s: %s", types[t].descr, err.message);
        if (status) continue;
        CHECK_INT(n, 5);
        for (int i = 0; i < 5; i++) CHECK_MSG(y[i] == values[i], "%s: label %d = %d", types[t].descr, i, y[i]);
        free(y);
    }
}

TEST(npy_files_written_by_numpy_read_exactly)
{
    char path[600];
    static const float f4[12] = {0.1f, -2.5f, 1e-3f, 3e7f, 0.0f, -0.0f, 1.0f, -1e-30f, 255.0f, 0.5f, -7.25f, 65504.0f};
    static const char *const f4_files[3] = {"f4_3x4.npy", "f4_3x4_v2.npy", "f4_3x4_v3.npy"};
    for (int k = 0; k < 3; k++) {
        fixture_path(path, sizeof path, f4_files[k]);
        long rows = 0;
        int cols = 0;
        float *x = read_matrix_ok(path, &rows, &cols, __LINE__);
        if (!x) continue;
        CHECK_INT(rows, 3);
        CHECK_INT(cols, 4);
        CHECK_MSG(memcmp(x, f4, sizeof f4) == 0, "%s differs", f4_files[k]);
        free(x);
    }
    static const double f8[6] = {0.1, -1.0 / 3.0, 1e10, 2.0, -0.0, 123456.789};
    fixture_path(path, sizeof path, "f8_2x3.npy");
    long rows = 0;
    int cols = 0;
    float *x = read_matrix_ok(path, &rows, &cols, __LINE__);
    if (x) {
        CHECK_INT(rows, 2);
        CHECK_INT(cols, 3);
        for (int i = 0; i < 6; i++) CHECK(x[i] == (float)f8[i]);
        free(x);
    }
    static const char *const label_files[4] = {"labels_u1.npy", "labels_i4.npy", "labels_i8.npy", "labels_f8.npy"};
    static const uint8_t labels[5] = {3, 1, 4, 1, 5};
    for (int k = 0; k < 4; k++) {
        fixture_path(path, sizeof path, label_files[k]);
        uint8_t *y = NULL;
        long n = 0;
        mt_error err = {0};
        int status = mt_npy_read_labels(path, &y, &n, 6, &err);
        CHECK_MSG(status == MT_OK, "%s", err.message);
        if (status) continue;
        CHECK_INT(n, 5);
        CHECK(memcmp(y, labels, 5) == 0);
        free(y);
    }
}

TEST(npy_files_numpy_writes_that_memtrain_refuses)
{
    static const struct {
        const char *file, *needle;
    } cases[] = {
        {"fortran_2x3.npy", "Fortran order not supported"},
        {"bigendian_3x4.npy", "big-endian dtype '>f4' not supported"},
        {"complex_2x2.npy", "unsupported dtype '<c8' for a feature matrix: expected '<f4' or '<f8'"},
        {"cube_2x2x2.npy", "shape (2, 2, 2) has 3 dimensions: expected 2"},
        {"labels_u1.npy", "unsupported dtype '|u1' for a feature matrix"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[600];
        fixture_path(path, sizeof path, cases[k].file);
        float *x = NULL;
        long rows = 0;
        int cols = 0;
        mt_error err = {0};
        CHECK_ERROR(mt_npy_read_matrix(path, &x, &rows, &cols, &err), err, MT_EINPUT, cases[k].needle);
        CHECK(strncmp(err.message, path, strlen(path)) == 0);
        CHECK(x == NULL);
    }
    /* A feature matrix is not a label vector. */
    char path[600];
    fixture_path(path, sizeof path, "f4_3x4.npy");
    uint8_t *y = NULL;
    long n = 0;
    mt_error err = {0};
    CHECK_ERROR(mt_npy_read_labels(path, &y, &n, 10, &err), err, MT_EINPUT,
                "shape (3, 4) has 2 dimensions: expected 1 (a vector of labels)");
}

/* --------------------------------------------------------- .npy: malformed */

TEST(npy_rejects_bad_magic_and_empty_file)
{
    uint8_t buf[256];
    size_t len = small_npy(buf, SMALL_DICT);
    buf[1] = 'X';
    EXPECT_NPY_REJECTED(buf, len, AS_MATRIX,
                        "not a .npy file: expected the magic string 93 4E 55 4D 50 59 (\\x93NUMPY), "
                        "found 93 58 55 4D 50 59");
    EXPECT_NPY_REJECTED("PK\x03\x04", 4, AS_MATRIX, "found 50 4B 03 04 (file too short)");
    EXPECT_NPY_REJECTED("", 0, AS_MATRIX, "empty file: expected a .npy header");
}

TEST(npy_rejects_bad_version)
{
    uint8_t buf[256];
    size_t len = small_npy(buf, SMALL_DICT);
    buf[6] = 4;
    EXPECT_NPY_REJECTED(buf, len, AS_MATRIX, "unsupported .npy format version 4.0: expected 1.0, 2.0 or 3.0");
    buf[6] = 1;
    buf[7] = 1;
    EXPECT_NPY_REJECTED(buf, len, AS_MATRIX, "unsupported .npy format version 1.1");
    buf[6] = 0;
    buf[7] = 0;
    EXPECT_NPY_REJECTED(buf, len, AS_MATRIX, "unsupported .npy format version 0.0");
    EXPECT_NPY_REJECTED(buf, 7, AS_MATRIX, "truncated .npy header: the file ends inside the version");
}

TEST(npy_rejects_header_length_beyond_file)
{
    uint8_t buf[256];
    size_t len = small_npy(buf, SMALL_DICT);
    buf[8] = 0x00;
    buf[9] = 0x02; /* 512 */
    EXPECT_NPY_REJECTED(buf, len, AS_MATRIX, "header length 512 exceeds the file: only 142 bytes follow");
    buf[8] = 0;
    buf[9] = 0;
    EXPECT_NPY_REJECTED(buf, len, AS_MATRIX, "header length is 0");
    EXPECT_NPY_REJECTED(buf, 9, AS_MATRIX, "the file ends inside the header length");
    /* Version 2.0 allows 4 GiB headers: far beyond any file, refused before reading. */
    size_t len2 = small_npy(buf, SMALL_DICT);
    buf[6] = 2;
    buf[8] = buf[9] = buf[10] = buf[11] = 0xFF;
    EXPECT_NPY_REJECTED(buf, len2, AS_MATRIX, "header length 4294967295 exceeds the limit of 1048576 bytes");
}

TEST(npy_rejects_missing_unexpected_and_repeated_keys)
{
    uint8_t payload[24] = {0};
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': False, }", payload, 24, AS_MATRIX,
                         ".npy header lacks the key 'shape'");
    EXPECT_DICT_REJECTED("{'fortran_order': False, 'shape': (2, 3), }", payload, 24, AS_MATRIX,
                         ".npy header lacks the key 'descr'");
    EXPECT_DICT_REJECTED("{}", payload, 24, AS_MATRIX, "lacks the key 'descr'");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'order': 'C'}", payload, 24,
                         AS_MATRIX, "unexpected key 'order' at offset 58");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", payload, 24,
                         AS_MATRIX, "repeats the key 'descr'");
}

TEST(npy_rejects_malformed_dict_syntax)
{
    uint8_t payload[24] = {0};
    EXPECT_DICT_REJECTED("'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", payload, 24, AS_MATRIX,
                         "malformed .npy header at offset 0: expected '{' (the header is a Python dict), found '''");
    EXPECT_DICT_REJECTED("{'descr' '<f4', 'fortran_order': False, 'shape': (2, 3)}", payload, 24, AS_MATRIX,
                         "at offset 9: expected ':' after a key, found '''");
    EXPECT_DICT_REJECTED("{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}", payload, 24, AS_MATRIX,
                         "expected ',' or '}'");
    EXPECT_DICT_REJECTED("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}", payload, 24, AS_MATRIX,
                         "malformed .npy header");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", payload, 24, AS_MATRIX,
                         "expected ',' or '}'");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x", payload, 24, AS_MATRIX,
                         "expected the end of the header after '}', found 'x'");
    EXPECT_DICT_REJECTED("{'descr': '<\\x66\\x34', 'fortran_order': False, 'shape': (2, 3)}", payload, 24,
                         AS_MATRIX, "escape sequences are not supported");
    EXPECT_DICT_REJECTED("{descr: '<f4', 'fortran_order': False, 'shape': (2, 3)}", payload, 24, AS_MATRIX,
                         "expected a quoted key, found 'd'");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}", payload, 24, AS_MATRIX,
                         "expected True or False for 'fortran_order', found '0'");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2, 3)}", payload, 24, AS_MATRIX,
                         "expected True or False");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", payload, 24, AS_MATRIX,
                         "expected a tuple '(' for 'shape', found '['");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3.0)}", payload, 24, AS_MATRIX,
                         "expected ',' or ')' in 'shape', found '.'");
    EXPECT_DICT_REJECTED("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", payload, 24,
                         AS_LABELS, "structured dtypes are not supported");
    /* A NUL inside the header is named as a byte. */
    uint8_t buf[256];
    size_t len = small_npy(buf, SMALL_DICT);
    buf[10 + 5] = 0;
    EXPECT_NPY_REJECTED(buf, len, AS_MATRIX, "byte 0x00 in a string");
}

TEST(npy_rejects_fortran_order)
{
    uint8_t payload[24] = {0};
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", payload, 24, AS_MATRIX,
                         "Fortran order not supported");
    EXPECT_DICT_REJECTED("{'descr': '|u1', 'fortran_order': True, 'shape': (24,), }", payload, 24, AS_LABELS,
                         "Fortran order not supported");
}

TEST(npy_rejects_big_endian_and_unsupported_dtypes)
{
    uint8_t payload[48] = {0};
    EXPECT_DICT_REJECTED("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", payload, 24, AS_MATRIX,
                         "big-endian dtype '>f4' not supported");
    EXPECT_DICT_REJECTED("{'descr': '>i8', 'fortran_order': False, 'shape': (3,), }", payload, 24, AS_LABELS,
                         "big-endian dtype '>i8' not supported");
    EXPECT_DICT_REJECTED("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3), }", payload, 48, AS_MATRIX,
                         "unsupported dtype '<c8' for a feature matrix: expected '<f4' or '<f8'");
    EXPECT_DICT_REJECTED("{'descr': '<c8', 'fortran_order': False, 'shape': (6,), }", payload, 48, AS_LABELS,
                         "unsupported dtype '<c8' for labels");
    EXPECT_DICT_REJECTED("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", payload, 24, AS_MATRIX,
                         "unsupported dtype '<i4' for a feature matrix");
    EXPECT_DICT_REJECTED("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", payload, 12, AS_MATRIX,
                         "unsupported dtype '<f2'");
    EXPECT_DICT_REJECTED("{'descr': '=f4', 'fortran_order': False, 'shape': (2, 3), }", payload, 24, AS_MATRIX,
                         "unsupported dtype '=f4'");
    EXPECT_DICT_REJECTED("{'descr': '|b1', 'fortran_order': False, 'shape': (6,), }", payload, 6, AS_LABELS,
                         "unsupported dtype '|b1' for labels");
}

TEST(npy_rejects_shapes_other_than_one_or_two_positive_dimensions)
{
    uint8_t payload[32] = {0};
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", payload, 32, AS_MATRIX,
                         "shape (2, 2, 2) has 3 dimensions: expected 2 (a matrix of examples x features)");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", payload, 4, AS_MATRIX,
                         "shape () has 0 dimensions");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': False, 'shape': (8,), }", payload, 32, AS_MATRIX,
                         "shape (8,) has 1 dimension: expected 2");
    EXPECT_DICT_REJECTED("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", payload, 6, AS_LABELS,
                         "shape (2, 3) has 2 dimensions: expected 1 (a vector of labels)");
    EXPECT_DICT_REJECTED("{'descr': '|u1', 'fortran_order': False, 'shape': (6), }", payload, 6, AS_LABELS,
                         "'shape' is not a tuple (a 1-tuple needs a comma: (N,))");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", payload, 0, AS_MATRIX,
                         "shape (0, 3): dimension 1 is 0, expected at least 1");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", payload, 24, AS_MATRIX,
                         "shape (2, -3): dimension 2 is -3");
    EXPECT_DICT_REJECTED("{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 65536), }", payload, 32,
                         AS_MATRIX, "shape (65536, 65536) of '<f8' exceeds the limit of 2147483648 bytes");
    EXPECT_DICT_REJECTED("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 1), }",
                         payload, 32, AS_MATRIX, "dimension too large");
}

TEST(npy_rejects_truncated_and_trailing_payload)
{
    uint8_t buf[256];
    size_t len = small_npy(buf, SMALL_DICT);
    CHECK_INT(len, 128 + 24);
    EXPECT_NPY_REJECTED(buf, len - 4, AS_MATRIX, "truncated: expected 24 bytes, found 20 (shape (2, 3) of '<f4')");
    EXPECT_NPY_REJECTED(buf, 128, AS_MATRIX, "truncated: expected 24 bytes, found 0");
    buf[len] = 0;
    EXPECT_NPY_REJECTED(buf, len + 1, AS_MATRIX, "trailing data after the 24 bytes of shape (2, 3) of '<f4'");
    /* The header itself cut short. */
    EXPECT_NPY_REJECTED(buf, 60, AS_MATRIX, "header length 118 exceeds the file: only 50 bytes follow");
}

TEST(npy_rejects_non_finite_features_naming_the_row)
{
    uint8_t buf[256];
    small_npy(buf, SMALL_DICT);
    put_f32(buf + 128 + 4 * 5, NAN); /* row 1, column 2 */
    EXPECT_NPY_REJECTED(buf, 152, AS_MATRIX, "row 1 column 2 is NaN: features must be finite");
    put_f32(buf + 128 + 4 * 5, 1.0f);
    put_f32(buf + 128 + 4 * 1, -INFINITY);
    EXPECT_NPY_REJECTED(buf, 152, AS_MATRIX, "row 0 column 1 is -Inf");

    uint8_t payload[16], big[256];
    put_f64(payload, 1.0);
    put_f64(payload + 8, 1e300);
    size_t len = npy_file(big, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", payload, 16);
    EXPECT_NPY_REJECTED(big, len, AS_MATRIX, "row 1 column 0: value 1e+300 overflows float32");
    put_f64(payload + 8, INFINITY);
    len = npy_file(big, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", payload, 16);
    EXPECT_NPY_REJECTED(big, len, AS_MATRIX, "row 1 column 0 is +Inf");
}

TEST(npy_rejects_bad_labels)
{
    uint8_t payload[40] = {0};
    put_f64(payload, 1.0);
    put_f64(payload + 8, 0.0);
    put_f64(payload + 16, 2.5);
    EXPECT_DICT_REJECTED("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", payload, 24, AS_LABELS,
                         "example 2 has label 2.5, which is not an integer");
    put_f64(payload + 16, NAN);
    EXPECT_DICT_REJECTED("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", payload, 24, AS_LABELS,
                         "example 2 has label nan, which is not an integer");
    put_f64(payload + 16, 10.0);
    EXPECT_DICT_REJECTED("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", payload, 24, AS_LABELS,
                         "example 2 has label 10, expected 0 to 9");
    static const uint8_t bytes[3] = {9, 10, 0};
    EXPECT_DICT_REJECTED("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", bytes, 3, AS_LABELS,
                         "example 1 has label 10, expected 0 to 9");
    static const uint8_t minus_one[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};
    EXPECT_DICT_REJECTED("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", minus_one, 8, AS_LABELS,
                         "example 0 has label -1, expected 0 to 9");
    EXPECT_DICT_REJECTED("{'descr': '<u4', 'fortran_order': False, 'shape': (2,), }", minus_one, 8, AS_LABELS,
                         "example 0 has label 4294967295, expected 0 to 9");

    /* max_classes bounds the labels and must itself be sensible. */
    char path[600];
    tmp_path(path, sizeof path, "labels.npy");
    uint8_t buf[256];
    size_t len = npy_file(buf, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", bytes, 3);
    CHECK(test_write_file(path, buf, len) == 0);
    uint8_t *y = NULL;
    long n = 0;
    mt_error err = {0};
    CHECK_ERROR(mt_npy_read_labels(path, &y, &n, 0, &err), err, MT_EINPUT, "classes = 0: expected 1 to 256");
    CHECK_INT(mt_npy_read_labels(path, &y, &n, 11, &err), MT_OK);
    CHECK_INT(n, 3);
    if (y) CHECK_INT(y[1], 10);
    free(y);
}

TEST(npy_rejects_gzip_stream_cut_short_and_missing_file)
{
    uint8_t buf[256];
    size_t len = small_npy(buf, SMALL_DICT);
    char path[600], want[700];
    tmp_path(path, sizeof path, "cut.npy.gz");
    CHECK(write_gz(path, buf, len) == 0);
    size_t packed_len = 0;
    uint8_t *packed = slurp(path, &packed_len);
    CHECK(packed != NULL);
    if (!packed) return;
    CHECK(test_write_file(path, packed, packed_len - 4) == 0);
    free(packed);
    float *x = NULL;
    long rows = 0;
    int cols = 0;
    mt_error err = {0};
    snprintf(want, sizeof want, "%s: truncated gzip data", path);
    CHECK_ERROR(mt_npy_read_matrix(path, &x, &rows, &cols, &err), err, MT_EINPUT, want);
    tmp_path(path, sizeof path, "absent.npy");
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    CHECK_ERROR(mt_npy_read_matrix(path, &x, &rows, &cols, &err), err, MT_EINPUT, want);
    CHECK(x == NULL);
}

/* ------------------------------------------------------- npy -> dataset */

/* Write a rows x cols float32 matrix (value r * 10 + c) and `n` uint8 labels. */
static void write_npy_pair(const char *features, const char *labels, int rows, int cols, int n)
{
    static uint8_t buf[4096];
    uint8_t payload[1024];
    char dict[128];
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) put_f32(payload + 4 * (r * cols + c), (float)(r * 10 + c));
    snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols);
    CHECK(test_write_file(features, buf, npy_file(buf, 1, dict, payload, 4 * (size_t)(rows * cols))) == 0);
    for (int i = 0; i < n; i++) payload[i] = (uint8_t)(i % 3);
    snprintf(dict, sizeof dict, "{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }", n);
    CHECK(test_write_file(labels, buf, npy_file(buf, 1, dict, payload, (size_t)n)) == 0);
}

TEST(dataset_npy_pairs_features_with_labels_and_applies_limit)
{
    char features[600], labels[600];
    tmp_path(features, sizeof features, "train_features.npy");
    tmp_path(labels, sizeof labels, "train_labels.npy");
    write_npy_pair(features, labels, 7, 5, 7);
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_npy(features, labels, 3, 0, "feat/train", &d, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (!status) {
        CHECK_INT(d.n, 7);
        CHECK_INT(d.dim, 5);
        CHECK_INT(d.classes, 3);
        CHECK(strcmp(d.name, "feat/train") == 0);
        CHECK(d.x[6 * 5 + 4] == 64.0f);
        CHECK_INT(d.y[5], 2);
    }
    mt_dataset_free(&d);
    status = mt_dataset_load_npy(features, labels, 3, 4, NULL, &d, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (!status) {
        CHECK_INT(d.n, 4);
        CHECK(d.x[3 * 5 + 1] == 31.0f);
        CHECK(strncmp(d.name, features, sizeof d.name - 1) == 0); /* the path, maybe cut */
    }
    mt_dataset_free(&d);
}

TEST(dataset_npy_rejects_row_label_mismatch_naming_both_files)
{
    char features[600], labels[600], want[1400];
    tmp_path(features, sizeof features, "f.npy");
    tmp_path(labels, sizeof labels, "l.npy");
    write_npy_pair(features, labels, 4, 2, 5);
    mt_dataset d;
    mt_error err = {0};
    snprintf(want, sizeof want, "%s holds 4 rows but %s holds 5 labels", features, labels);
    CHECK_ERROR(mt_dataset_load_npy(features, labels, 3, 0, NULL, &d, &err), err, MT_EINPUT, want);
    CHECK(d.x == NULL && d.y == NULL && d.n == 0);
    /* Labels beyond the classes, and a bad classes count. */
    write_npy_pair(features, labels, 4, 2, 4);
    snprintf(want, sizeof want, "%s: example 2 has label 2, expected 0 to 1", labels);
    CHECK_ERROR(mt_dataset_load_npy(features, labels, 2, 0, NULL, &d, &err), err, MT_EINPUT, want);
    CHECK_ERROR(mt_dataset_load_npy(features, labels, 300, 0, NULL, &d, &err), err, MT_EINPUT,
                "classes = 300: expected 1 to 256");
    /* Swapped files. */
    CHECK_ERROR(mt_dataset_load_npy(labels, features, 3, 0, NULL, &d, &err), err, MT_EINPUT,
                "unsupported dtype '|u1' for a feature matrix");
}

/* --------------------------------------------------------------- scaling */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

TEST(abs_quantile_matches_order_statistics_with_interpolation)
{
    float v[5] = {3, -1, 0, -4, 2};
    mt_dataset d = {.n = 1, .dim = 5, .classes = 2, .x = v};
    CHECK(mt_dataset_abs_quantile(&d, 0.0) == 0.0f);
    CHECK(mt_dataset_abs_quantile(&d, 1.0) == 4.0f);
    CHECK(mt_dataset_abs_quantile(&d, 0.5) == 2.0f);
    CHECK(mt_dataset_abs_quantile(&d, 0.25) == 1.0f);
    CHECK_NEAR(mt_dataset_abs_quantile(&d, 0.1), 0.4, 1e-6);
    CHECK_NEAR(mt_dataset_abs_quantile(&d, 0.9), 3.6, 1e-6);
    /* Ties: |x| = 1, 1, 1, 5. */
    float t[4] = {1, -1, 5, 1};
    mt_dataset td = {.n = 2, .dim = 2, .classes = 2, .x = t};
    CHECK(mt_dataset_abs_quantile(&td, 0.5) == 1.0f);
    CHECK(mt_dataset_abs_quantile(&td, 2.0 / 3.0) == 1.0f);
    CHECK_NEAR(mt_dataset_abs_quantile(&td, 0.9), 1.0 + 0.7 * 4.0, 1e-6);
    /* Bad arguments. */
    CHECK(isnan(mt_dataset_abs_quantile(&d, -0.1)));
    CHECK(isnan(mt_dataset_abs_quantile(&d, 1.5)));
    CHECK(isnan(mt_dataset_abs_quantile(&d, NAN)));
    mt_dataset empty = {0};
    CHECK(isnan(mt_dataset_abs_quantile(&empty, 0.5)));
    CHECK(isnan(mt_dataset_abs_quantile(NULL, 0.5)));
}

TEST(abs_quantile_agrees_with_sorting_on_random_data)
{
    /* 3 x 4003 values of both signs spanning many binades, with repeats. */
    enum { N = 3 * 4003 };
    float *x = malloc(N * sizeof *x), *sorted = malloc(N * sizeof *sorted);
    CHECK(x && sorted);
    if (!x || !sorted) return;
    uint64_t s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) * 0x1p-53;
        float v = (float)(exp(20.0 * u - 10.0) * ((s >> 7) & 1 ? 1 : -1));
        if (i % 17 == 0) v = 2.5f; /* repeats */
        if (i % 101 == 0) v = 0.0f;
        x[i] = v;
        sorted[i] = fabsf(v);
    }
    qsort(sorted, N, sizeof *sorted, cmp_float);
    mt_dataset d = {.n = 3, .dim = 4003, .classes = 2, .x = x};
    static const double qs[] = {0.0, 0.001, 0.0587, 0.37, 0.5, 0.77, 0.999, 1.0};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        double pos = qs[k] * (N - 1);
        size_t lo = (size_t)floor(pos);
        size_t hi = lo + 1 < N ? lo + 1 : lo;
        double frac = pos - (double)lo;
        float want = (float)((double)sorted[lo] + frac * ((double)sorted[hi] - (double)sorted[lo]));
        float got = mt_dataset_abs_quantile(&d, qs[k]);
        CHECK_MSG(got == want, "q = %g: %.9g, expected %.9g", qs[k], got, want);
    }
    free(x);
    free(sorted);
}

TEST(scale_multiplies_every_feature_as_documented)
{
    /* The documented recipe: scale from the training set, applied to both splits. */
    float a[6] = {2, -8, 0.5f, 4, -1, 0}, b[3] = {16, -2, 1};
    mt_dataset train = {.n = 2, .dim = 3, .classes = 2, .x = a};
    mt_dataset test = {.n = 1, .dim = 3, .classes = 2, .x = b};
    float s = mt_dataset_abs_quantile(&train, 1.0);
    CHECK(s == 8.0f);
    mt_dataset_scale(&train, 1.0f / s);
    mt_dataset_scale(&test, 1.0f / s);
    static const float want_a[6] = {0.25f, -1.0f, 0.0625f, 0.5f, -0.125f, 0.0f};
    static const float want_b[3] = {2.0f, -0.25f, 0.125f}; /* the test split may exceed 1: the DAC clips */
    CHECK(memcmp(a, want_a, sizeof a) == 0);
    CHECK(memcmp(b, want_b, sizeof b) == 0);
    mt_dataset_scale(NULL, 2.0f); /* harmless */
    mt_dataset empty = {0};
    mt_dataset_scale(&empty, 2.0f);
}

/* ------------------------------------------------------------------ CIFAR */

static void cifar_sample(char *dst, size_t size)
{
    source_path(dst, size, "data/cifar10-sample/cifar10_train_first200.bin");
}

TEST(cifar10_sample_has_published_labels_pixels_and_class_counts)
{
    char path[600];
    cifar_sample(path, sizeof path);
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_cifar_bin(path, 10, 0, "cifar10/sample", &d, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (status) return;
    CHECK_INT(d.n, 200);
    CHECK_INT(d.dim, 3072);
    CHECK_INT(d.classes, 10);
    CHECK(strcmp(d.name, "cifar10/sample") == 0);
    static const int first_labels[10] = {6, 9, 9, 4, 1, 1, 2, 7, 8, 3};
    for (int i = 0; i < 10; i++) CHECK_INT(d.y[i], first_labels[i]);
    /* Image 0: the first red values and the last blue values. */
    CHECK(d.x[0] == 59 / 255.0f);
    CHECK(d.x[1] == 43 / 255.0f);
    CHECK(d.x[2] == 50 / 255.0f);
    CHECK(d.x[3069] == 140 / 255.0f);
    CHECK(d.x[3070] == 84 / 255.0f);
    CHECK(d.x[3071] == 72 / 255.0f);
    static const long class_counts[10] = {14, 28, 22, 21, 19, 19, 18, 21, 15, 23};
    long counts[10] = {0};
    for (long i = 0; i < d.n; i++) counts[d.y[i] < 10 ? d.y[i] : 0]++;
    for (int c = 0; c < 10; c++) CHECK_INT(counts[c], class_counts[c]);
    float lo = 1, hi = 0;
    for (size_t i = 0; i < (size_t)d.n * 3072; i++) {
        if (d.x[i] < lo) lo = d.x[i];
        if (d.x[i] > hi) hi = d.x[i];
    }
    CHECK(lo >= 0.0f && hi <= 1.0f && hi > 0.9f);
    mt_dataset_free(&d);
}

TEST(cifar10_limit_and_gzip_read_the_same_records)
{
    char path[600], gz[600];
    cifar_sample(path, sizeof path);
    size_t len = 0;
    uint8_t *raw = slurp(path, &len);
    CHECK(raw != NULL && len == 614600);
    if (!raw) return;
    tmp_path(gz, sizeof gz, "sample.bin.gz");
    CHECK(write_gz(gz, raw, len) == 0);
    mt_dataset all, part;
    mt_error err = {0};
    CHECK_INT(mt_dataset_load_cifar_bin(path, 10, 0, NULL, &all, &err), MT_OK);
    int status = mt_dataset_load_cifar_bin(gz, 10, 37, NULL, &part, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (!status && all.x) {
        CHECK_INT(part.n, 37);
        CHECK(memcmp(part.x, all.x, 37 * 3072 * sizeof(float)) == 0);
        CHECK(memcmp(part.y, all.y, 37) == 0);
        /* Record 36 as its raw bytes. */
        for (int i = 0; i < 3072; i += 511) CHECK(part.x[36 * 3072 + i] == raw[36 * 3073 + 1 + i] / 255.0f);
        CHECK(strncmp(part.name, gz, sizeof part.name - 1) == 0);
    }
    mt_dataset_free(&all);
    mt_dataset_free(&part);
    free(raw);
}

TEST(cifar_rejects_truncated_empty_and_wrong_kind_files)
{
    char src[600], path[600], want[800];
    cifar_sample(src, sizeof src);
    size_t len = 0;
    uint8_t *raw = slurp(src, &len);
    CHECK(raw != NULL);
    if (!raw) return;
    tmp_path(path, sizeof path, "cut.bin");
    mt_dataset d;
    mt_error err = {0};
    CHECK(test_write_file(path, raw, len - 1) == 0);
    snprintf(want, sizeof want,
             "%s: truncated record: 614599 bytes are 199 whole 3073-byte CIFAR-10 records and 3072 bytes more", path);
    CHECK_ERROR(mt_dataset_load_cifar_bin(path, 10, 0, NULL, &d, &err), err, MT_EINPUT, want);
    /* The limit does not hide a defect further on. */
    CHECK_ERROR(mt_dataset_load_cifar_bin(path, 10, 5, NULL, &d, &err), err, MT_EINPUT, "truncated record");
    CHECK(d.x == NULL && d.y == NULL && d.n == 0);

    CHECK(test_write_file(path, "", 0) == 0);
    CHECK_ERROR(mt_dataset_load_cifar_bin(path, 10, 0, NULL, &d, &err), err, MT_EINPUT,
                "empty file: not a CIFAR-10 file");

    /* Two CIFAR-100 records read as CIFAR-10, and the sample read as CIFAR-100. */
    CHECK(test_write_file(path, raw, 2 * 3074) == 0);
    CHECK_ERROR(mt_dataset_load_cifar_bin(path, 10, 0, NULL, &d, &err), err, MT_EINPUT,
                "not a CIFAR-10 file: its 6148 bytes are 2 records of 3074 bytes (CIFAR-100?)");
    CHECK_ERROR(mt_dataset_load_cifar_bin(src, 100, 0, NULL, &d, &err), err, MT_EINPUT,
                "not a CIFAR-100 file: its 614600 bytes are 200 records of 3073 bytes (CIFAR-10?), "
                "not a multiple of 3074");
    CHECK(test_write_file(path, raw, len - 1) == 0);
    CHECK_ERROR(mt_dataset_load_cifar_bin(path, 100, 0, NULL, &d, &err), err, MT_EINPUT,
                "truncated record: 614599 bytes are 199 whole 3074-byte CIFAR-100 records and 2873 bytes more");

    CHECK_ERROR(mt_dataset_load_cifar_bin(src, 20, 0, NULL, &d, &err), err, MT_EINPUT,
                "classes = 20: expected 10 (CIFAR-10) or 100 (CIFAR-100)");
    tmp_path(path, sizeof path, "absent.bin");
    CHECK_ERROR(mt_dataset_load_cifar_bin(path, 10, 0, NULL, &d, &err), err, MT_EINPUT,
                "absent.bin: cannot open: No such file or directory");
    free(raw);
}

TEST(cifar_rejects_label_not_below_classes_with_record_index)
{
    char src[600], path[600], want[800];
    cifar_sample(src, sizeof src);
    size_t len = 0;
    uint8_t *raw = slurp(src, &len);
    CHECK(raw != NULL);
    if (!raw) return;
    raw[150 * 3073] = 10;
    tmp_path(path, sizeof path, "bad-label.bin");
    CHECK(test_write_file(path, raw, len) == 0);
    mt_dataset d;
    mt_error err = {0};
    snprintf(want, sizeof want, "%s: record 150 has label 10, expected 0 to 9", path);
    CHECK_ERROR(mt_dataset_load_cifar_bin(path, 10, 0, NULL, &d, &err), err, MT_EINPUT, want);
    CHECK_ERROR(mt_dataset_load_cifar_bin(path, 10, 3, NULL, &d, &err), err, MT_EINPUT, want);
    CHECK(d.x == NULL && d.n == 0);
    free(raw);
}

TEST(cifar100_reads_the_fine_label)
{
    static uint8_t rec[2 * 3074];
    rec[0] = 3;  /* coarse */
    rec[1] = 42; /* fine */
    rec[3074] = 19;
    rec[3075] = 99;
    for (int i = 0; i < 3072; i++) {
        rec[2 + i] = (uint8_t)(i % 256);
        rec[3074 + 2 + i] = (uint8_t)(255 - i % 256);
    }
    char path[600], want[800];
    tmp_path(path, sizeof path, "c100.bin");
    CHECK(test_write_file(path, rec, sizeof rec) == 0);
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_cifar_bin(path, 100, 0, "c100", &d, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (!status) {
        CHECK_INT(d.n, 2);
        CHECK_INT(d.dim, 3072);
        CHECK_INT(d.classes, 100);
        CHECK_INT(d.y[0], 42);
        CHECK_INT(d.y[1], 99);
        CHECK(d.x[0] == 0.0f && d.x[255] == 1.0f && d.x[1024 + 7] == 7 / 255.0f);
        CHECK(d.x[3072] == 1.0f && d.x[3072 + 3071] == (255 - 3071 % 256) / 255.0f);
    }
    mt_dataset_free(&d);

    rec[3075] = 100;
    CHECK(test_write_file(path, rec, sizeof rec) == 0);
    snprintf(want, sizeof want, "%s: record 1 has fine label 100, expected 0 to 99", path);
    CHECK_ERROR(mt_dataset_load_cifar_bin(path, 100, 0, NULL, &d, &err), err, MT_EINPUT, want);
    rec[3075] = 99;
    rec[0] = 20;
    CHECK(test_write_file(path, rec, sizeof rec) == 0);
    snprintf(want, sizeof want, "%s: record 0 has coarse label 20, expected 0 to 19", path);
    CHECK_ERROR(mt_dataset_load_cifar_bin(path, 100, 0, NULL, &d, &err), err, MT_EINPUT, want);
}

/* ---------------------------------------------------------- MNIST-backrand */

static int load_mnist_test(mt_dataset *d, long limit)
{
    char dir[600];
    source_path(dir, sizeof dir, "data/mnist");
    mt_error err = {0};
    int status = mt_dataset_load_mnist_dir(dir, 0, limit, NULL, d, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    return status;
}

TEST(backrand_is_deterministic_per_seed_and_keeps_the_digits)
{
    mt_dataset m;
    if (load_mnist_test(&m, 500)) return;
    mt_dataset a, b, c;
    mt_error err = {0};
    CHECK_INT(mt_backrand_generate(&m, 7, 1, &a, &err), MT_OK);
    CHECK_INT(mt_backrand_generate(&m, 7, 1, &b, &err), MT_OK);
    CHECK_INT(mt_backrand_generate(&m, 8, 1, &c, &err), MT_OK);
    if (a.x && b.x && c.x) {
        size_t count = (size_t)m.n * 784;
        CHECK_INT(a.n, 500);
        CHECK_INT(a.dim, 784);
        CHECK_INT(a.classes, 10);
        CHECK(strcmp(a.name, "mnist-backrand/test") == 0);
        CHECK(memcmp(a.y, m.y, 500) == 0);
        CHECK(memcmp(a.x, b.x, count * sizeof(float)) == 0);
        long kept = 0, digit_changed = 0, off_grid = 0, background = 0, same_as_c = 0;
        for (size_t i = 0; i < count; i++) {
            if (m.x[i] > 0) {
                kept++;
                digit_changed += a.x[i] != m.x[i];
                same_as_c += c.x[i] == a.x[i];
            } else {
                background++;
                same_as_c += c.x[i] == a.x[i];
                off_grid += lrintf(a.x[i] * 255.0f) / 255.0f != a.x[i];
            }
        }
        CHECK_INT(digit_changed, 0);
        CHECK_INT(off_grid, 0);
        CHECK(kept > 0 && background > kept);
        /* Another seed: the same digits, different noise (equal bytes by chance 1/256). */
        double coincide = (double)(same_as_c - kept) / (double)background;
        CHECK_MSG(coincide < 0.01, "seeds 7 and 8 agree on %.4f of the background", coincide);
    }
    mt_dataset_free(&a);
    mt_dataset_free(&b);
    mt_dataset_free(&c);
    mt_dataset_free(&m);
}

TEST(backrand_background_is_uniform_over_0_to_255)
{
    mt_dataset m, a;
    if (load_mnist_test(&m, 2000)) return;
    mt_error err = {0};
    CHECK_INT(mt_backrand_generate(&m, 2018, 0, &a, &err), MT_OK);
    if (!a.x) {
        mt_dataset_free(&m);
        return;
    }
    long bins[16] = {0}, values[256] = {0}, n = 0;
    double sum = 0;
    for (size_t i = 0; i < (size_t)m.n * 784; i++) {
        if (m.x[i] > 0) continue;
        long v = lrintf(a.x[i] * 255.0f);
        if (v < 0 || v > 255) continue;
        bins[v / 16]++;
        values[v]++;
        sum += (double)v;
        n++;
    }
    CHECK(n > 1000000);
    /* Mean of uniform 0..255 is 127.5, sd 73.9: the mean of n draws is within
     * 0.4 (over 5 standard errors). */
    CHECK_NEAR(sum / (double)n, 127.5, 0.4);
    /* Chi-square over 16 bins (15 degrees of freedom): 37.7 is the 0.1% point. */
    double expected = (double)n / 16.0, chi2 = 0;
    for (int k = 0; k < 16; k++) chi2 += (bins[k] - expected) * (bins[k] - expected) / expected;
    CHECK_MSG(chi2 < 37.7, "chi-square %.2f over 16 bins", chi2);
    long missing = 0;
    for (int v = 0; v < 256; v++) missing += values[v] == 0;
    CHECK_INT(missing, 0);
    mt_dataset_free(&a);
    mt_dataset_free(&m);
}

TEST(backrand_train_and_test_noise_differ_and_prefixes_agree)
{
    mt_dataset m, small, train, test, prefix;
    if (load_mnist_test(&m, 300)) return;
    if (load_mnist_test(&small, 50)) {
        mt_dataset_free(&m);
        return;
    }
    mt_error err = {0};
    CHECK_INT(mt_backrand_generate(&m, 1, 0, &train, &err), MT_OK);
    CHECK_INT(mt_backrand_generate(&m, 1, 1, &test, &err), MT_OK);
    CHECK_INT(mt_backrand_generate(&small, 1, 1, &prefix, &err), MT_OK);
    if (train.x && test.x && prefix.x) {
        long background = 0, equal = 0;
        for (size_t i = 0; i < (size_t)m.n * 784; i++)
            if (m.x[i] == 0) {
                background++;
                equal += train.x[i] == test.x[i];
            }
        CHECK_MSG((double)equal / (double)background < 0.01, "train and test noise agree on %ld of %ld", equal,
                  background);
        CHECK(strcmp(train.name, "mnist-backrand/train") == 0);
        /* The first 50 examples get the same noise whether or not more follow. */
        CHECK(memcmp(prefix.x, test.x, 50 * 784 * sizeof(float)) == 0);
    }
    mt_dataset_free(&prefix);
    CHECK_ERROR(mt_backrand_generate(&m, 1, 2, &prefix, &err), err, MT_EINPUT, "split = 2: expected 0 (train) or 1");
    m.x[5 * 784 + 3] = 1.5f;
    CHECK_ERROR(mt_backrand_generate(&m, 1, 0, &prefix, &err), err, MT_EINPUT,
                "example 5 pixel 3 is 1.5: expected a value in [0, 1]");
    CHECK(prefix.x == NULL && prefix.n == 0);
    mt_dataset_free(&train);
    mt_dataset_free(&test);
    mt_dataset_free(&m);
    mt_dataset_free(&small);
}

TEST(backrand_cache_is_written_once_and_read_back)
{
    char mnist_dir[600], cache_dir[600], cache[800];
    source_path(mnist_dir, sizeof mnist_dir, "data/mnist");
    tmp_path(cache_dir, sizeof cache_dir, "cache/backrand"); /* neither exists yet */
    snprintf(cache, sizeof cache, "%s/mnist-backrand-seed42-t10k-images-idx3-ubyte.gz", cache_dir);
    mt_dataset first, again, m, direct;
    mt_error err = {0};
    int status = mt_dataset_load_backrand(mnist_dir, cache_dir, 42, 0, 100, &first, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (status) return;
    CHECK_INT(first.n, 100);
    CHECK_INT(first.dim, 784);
    CHECK(strcmp(first.name, "mnist-backrand/test") == 0);
    CHECK_INT(dir_entries(cache_dir), 1); /* the cache and no temporary file */

    /* The cache holds the whole split, exactly the generated bytes. */
    uint8_t *bytes = NULL;
    int ndims = 0;
    uint32_t dims[4];
    CHECK_INT(mt_idx_read(cache, &bytes, &ndims, dims, &err), MT_OK);
    CHECK_INT(ndims, 3);
    CHECK_INT(dims[0], 10000);
    CHECK_INT(dims[1], 28);
    CHECK_INT(dims[2], 28);
    if (load_mnist_test(&m, 0) == MT_OK && bytes) {
        CHECK_INT(mt_backrand_generate(&m, 42, 1, &direct, &err), MT_OK);
        long mismatches = 0;
        for (size_t i = 0; direct.x && i < 10000u * 784u; i++) mismatches += bytes[i] / 255.0f != direct.x[i];
        CHECK_INT(mismatches, 0);
        if (direct.x) CHECK(memcmp(first.x, direct.x, 100 * 784 * sizeof(float)) == 0);
        CHECK(memcmp(first.y, m.y, 100) == 0);
        mt_dataset_free(&direct);
        mt_dataset_free(&m);
    }
    free(bytes);

    /* A second call reads the file instead of writing it again. */
    struct stat before, after;
    CHECK(stat(cache, &before) == 0);
    status = mt_dataset_load_backrand(mnist_dir, cache_dir, 42, 0, 0, &again, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    CHECK(stat(cache, &after) == 0);
    CHECK(before.st_ino == after.st_ino);
    CHECK(before.st_mtim.tv_sec == after.st_mtim.tv_sec && before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    if (!status) {
        CHECK_INT(again.n, 10000);
        CHECK(memcmp(again.x, first.x, 100 * 784 * sizeof(float)) == 0);
    }
    mt_dataset_free(&again);

    /* What is read is the cache: replace it with a recognisable one. */
    static uint8_t sevens[10000 * 784];
    memset(sevens, 7, sizeof sevens);
    static const uint32_t shape[3] = {10000, 28, 28};
    CHECK_INT(mt_idx_write(cache, sevens, 3, shape, &err), MT_OK);
    status = mt_dataset_load_backrand(mnist_dir, cache_dir, 42, 0, 10, &again, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (!status) {
        CHECK_INT(again.n, 10);
        CHECK(again.x[0] == 7 / 255.0f && again.x[10 * 784 - 1] == 7 / 255.0f);
        CHECK(memcmp(again.y, first.y, 10) == 0); /* labels still MNIST's */
    }
    mt_dataset_free(&again);

    /* A cache that does not fit MNIST's labels is an error that says what to do. */
    static const uint32_t short_shape[3] = {5, 28, 28};
    CHECK_INT(mt_idx_write(cache, sevens, 3, short_shape, &err), MT_OK);
    CHECK_ERROR(mt_dataset_load_backrand(mnist_dir, cache_dir, 42, 0, 10, &again, &err), err, MT_EINPUT,
                "holds 5 images but");
    CHECK(strstr(err.message, "(a backrand cache file: delete it to regenerate)") != NULL);
    CHECK(strncmp(err.message, cache, strlen(cache)) == 0);
    mt_dataset_free(&first);
}

TEST(backrand_without_cache_dir_and_with_unwritable_cache)
{
    char mnist_dir[600], blocker[600], cache_dir[700], want[800];
    source_path(mnist_dir, sizeof mnist_dir, "data/mnist");
    mt_dataset d, m, direct;
    mt_error err = {0};
    int status = mt_dataset_load_backrand(mnist_dir, NULL, 5, 0, 20, &d, &err);
    CHECK_MSG(status == MT_OK, "%s", err.message);
    if (!status && load_mnist_test(&m, 20) == MT_OK) {
        CHECK_INT(mt_backrand_generate(&m, 5, 1, &direct, &err), MT_OK);
        if (direct.x) CHECK(memcmp(d.x, direct.x, 20 * 784 * sizeof(float)) == 0);
        mt_dataset_free(&direct);
        mt_dataset_free(&m);
    }
    mt_dataset_free(&d);
    CHECK_INT(dir_entries(test_tmpdir()), 0);

    /* A cache directory below a regular file cannot be created (even as root). */
    tmp_path(blocker, sizeof blocker, "a-file");
    CHECK(test_write_file(blocker, "x", 1) == 0);
    snprintf(cache_dir, sizeof cache_dir, "%s/cache", blocker);
    snprintf(want, sizeof want, "%s: cannot create directory", cache_dir);
    CHECK_ERROR(mt_dataset_load_backrand(mnist_dir, cache_dir, 5, 0, 20, &d, &err), err, MT_EOUTPUT, want);
    CHECK(strstr(err.message, "Not a directory") != NULL);
    CHECK(d.x == NULL && d.n == 0);

    tmp_path(cache_dir, sizeof cache_dir, "no-mnist");
    snprintf(want, sizeof want, "%s: no t10k-labels-idx1-ubyte[.gz] (no such directory)", cache_dir);
    CHECK_ERROR(mt_dataset_load_backrand(cache_dir, NULL, 5, 0, 20, &d, &err), err, MT_EINPUT, want);
}

/* -------------------------------------------------------------- IDX writer */

TEST(idx_write_round_trips_plain_and_gzip)
{
    uint8_t data[2 * 3 * 5];
    for (int i = 0; i < 30; i++) data[i] = (uint8_t)(i * 9 + 1);
    static const uint32_t dims[3] = {2, 3, 5};
    char plain[600], gz[600];
    tmp_path(plain, sizeof plain, "w.idx");
    tmp_path(gz, sizeof gz, "w.idx.gz");
    mt_error err = {0};
    CHECK_INT(mt_idx_write(plain, data, 3, dims, &err), MT_OK);
    CHECK_INT(mt_idx_write(gz, data, 3, dims, &err), MT_OK);
    CHECK_INT(dir_entries(test_tmpdir()), 2); /* no temporary files left */

    size_t len = 0;
    uint8_t *raw = slurp(plain, &len);
    static const uint8_t header[16] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 5};
    CHECK(raw && len == 16 + 30 && memcmp(raw, header, 16) == 0 && memcmp(raw + 16, data, 30) == 0);
    free(raw);
    raw = slurp(gz, &len);
    CHECK(raw && len > 2 && raw[0] == 0x1f && raw[1] == 0x8b); /* gzip magic */
    free(raw);
    struct stat st;
    CHECK(stat(plain, &st) == 0 && (st.st_mode & 0777) == 0644);

    const char *paths[2] = {plain, gz};
    for (int k = 0; k < 2; k++) {
        uint8_t *back = NULL;
        int ndims = 0;
        uint32_t got[4];
        CHECK_INT(mt_idx_read(paths[k], &back, &ndims, got, &err), MT_OK);
        CHECK_INT(ndims, 3);
        CHECK(memcmp(got, dims, sizeof dims) == 0);
        CHECK(back && memcmp(back, data, 30) == 0);
        free(back);
    }
    /* Overwriting replaces the file. */
    static const uint32_t one[1] = {4};
    CHECK_INT(mt_idx_write(gz, data + 10, 1, one, &err), MT_OK);
    uint8_t *back = NULL;
    int ndims = 0;
    uint32_t got[4];
    CHECK_INT(mt_idx_read(gz, &back, &ndims, got, &err), MT_OK);
    CHECK(ndims == 1 && got[0] == 4 && back && memcmp(back, data + 10, 4) == 0);
    free(back);
}

TEST(idx_write_reports_unwritable_paths_and_bad_dimensions)
{
    uint8_t data[4] = {1, 2, 3, 4};
    static const uint32_t dims[1] = {4};
    char path[700], want[800], blocker[600];
    mt_error err = {0};
    tmp_path(path, sizeof path, "no-such-dir/x.idx.gz");
    snprintf(want, sizeof want, "%s: cannot write: No such file or directory", path);
    CHECK_ERROR(mt_idx_write(path, data, 1, dims, &err), err, MT_EOUTPUT, want);
    tmp_path(blocker, sizeof blocker, "plain-file");
    CHECK(test_write_file(blocker, "x", 1) == 0);
    snprintf(path, sizeof path, "%s/x.idx", blocker);
    snprintf(want, sizeof want, "%s: cannot write: Not a directory", path);
    CHECK_ERROR(mt_idx_write(path, data, 1, dims, &err), err, MT_EOUTPUT, want);
    /* The target is a directory: the rename fails and the temporary file goes. */
    tmp_path(path, sizeof path, "a-dir");
    CHECK(mkdir(path, 0700) == 0);
    snprintf(want, sizeof want, "%s: write failed: Is a directory", path);
    CHECK_ERROR(mt_idx_write(path, data, 1, dims, &err), err, MT_EOUTPUT, want);
    CHECK_INT(dir_entries(test_tmpdir()), 2);

    tmp_path(path, sizeof path, "ok.idx");
    static const uint32_t zero[2] = {4, 0}, huge[3] = {65536, 65536, 2};
    CHECK_ERROR(mt_idx_write(path, data, 0, dims, &err), err, MT_EINPUT, "IDX dimension count 0");
    CHECK_ERROR(mt_idx_write(path, data, 5, dims, &err), err, MT_EINPUT, "IDX dimension count 5");
    CHECK_ERROR(mt_idx_write(path, data, 2, zero, &err), err, MT_EINPUT, "dimension 2 of 2 is 0");
    CHECK_ERROR(mt_idx_write(path, data, 3, huge, &err), err, MT_EINPUT, "exceed the limit of 2147483648 bytes");
    CHECK(!test_write_file(path, "", 0) && dir_entries(test_tmpdir()) == 3);
}
