/* fuzz_csv.c — libFuzzer harness for the CSV dataset reader (src/data/csv.c:
 * mt_dataset_load_csv), with the UCI optdigits shape: 64 features in 0..16, then
 * a label in 0..9.  The input is the file itself (plain or gzip: the reader
 * detects gzip by content).
 * Checked on success: n >= 1, features in [0, 1], labels < 10; then the last
 * example alone is read again as a slice (first = n-1, count = 1) and must match,
 * and a slice one line past the end must fail. */
#include "fuzz_common.h"

#define DIM 64
#define FEATURE_MAX 16.0
#define CLASSES 10

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_temp_path("csv", 0, NULL);
    fuzz_write_file(path, data, size);
    mt_dataset d;
    mt_error err;
    int rc = mt_dataset_load_csv(path, DIM, FEATURE_MAX, CLASSES, 0, 0, "fuzz", &d, &err);
    if (rc != MT_OK) {
        FUZZ_ASSERT(d.x == NULL && d.y == NULL, "arrays left allocated after error %d", rc);
        FUZZ_ASSERT(err.message[0] != '\0', "error %d without a message", rc);
        return 0;
    }
    FUZZ_ASSERT(d.n >= 1 && d.dim == DIM && d.classes == CLASSES, "n %ld dim %d classes %d", d.n,
                d.dim, d.classes);
    for (long i = 0; i < d.n; i++) FUZZ_ASSERT(d.y[i] < CLASSES, "label %d", d.y[i]);
    for (size_t i = 0; i < (size_t)d.n * DIM; i++)
        FUZZ_ASSERT(d.x[i] >= 0.0f && d.x[i] <= 1.0f, "feature %g", (double)d.x[i]);

    mt_dataset last;
    rc = mt_dataset_load_csv(path, DIM, FEATURE_MAX, CLASSES, d.n - 1, 1, "fuzz", &last, &err);
    FUZZ_ASSERT(rc == MT_OK, "slice of the last line failed: %s", err.message);
    FUZZ_ASSERT(last.n == 1 && last.y[0] == d.y[d.n - 1] &&
                    memcmp(last.x, d.x + (size_t)(d.n - 1) * DIM, DIM * sizeof(float)) == 0,
                "slice of the last line differs from the full read");
    mt_dataset_free(&last);

    mt_dataset beyond;
    rc = mt_dataset_load_csv(path, DIM, FEATURE_MAX, CLASSES, d.n, 1, "fuzz", &beyond, &err);
    FUZZ_ASSERT(rc == MT_EINPUT, "slice beyond the end returned %d", rc);
    mt_dataset_free(&beyond);
    mt_dataset_free(&d);
    return 0;
}
