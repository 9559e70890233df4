/* fuzz_npy.c — libFuzzer harness for the NumPy .npy readers (src/data/npy.c:
 * mt_npy_read_matrix, mt_npy_read_labels, mt_dataset_load_npy).  The input is one
 * .npy file (plain or gzip), read both as a feature matrix and as a label vector.
 * Checked on success: shapes positive, every feature finite, every label below
 * the class count; on failure: outputs cleared and a message given. */
#include <math.h>

#include "fuzz_common.h"

#define CLASSES 100

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_temp_path("npy", 0, NULL);
    fuzz_write_file(path, data, size);
    mt_error err;
    float *x = NULL;
    long rows = -1;
    int cols = -1;
    int rc = mt_npy_read_matrix(path, &x, &rows, &cols, &err);
    if (rc != MT_OK) {
        FUZZ_ASSERT(x == NULL, "matrix left allocated after error %d", rc);
        FUZZ_ASSERT(err.message[0] != '\0', "error %d without a message", rc);
    } else {
        FUZZ_ASSERT(rows >= 1 && cols >= 1, "shape %ld x %d", rows, cols);
        for (size_t i = 0; i < (size_t)rows * (size_t)cols; i++)
            FUZZ_ASSERT(isfinite(x[i]), "non-finite feature %zu accepted", i);
        free(x);
    }
    uint8_t *labels = NULL;
    long n = -1;
    rc = mt_npy_read_labels(path, &labels, &n, CLASSES, &err);
    if (rc != MT_OK) {
        FUZZ_ASSERT(labels == NULL, "labels left allocated after error %d", rc);
        FUZZ_ASSERT(err.message[0] != '\0', "error %d without a message", rc);
    } else {
        FUZZ_ASSERT(n >= 1, "%ld labels", n);
        for (long i = 0; i < n; i++) FUZZ_ASSERT(labels[i] < CLASSES, "label %d accepted", labels[i]);
        free(labels);
    }
    return 0;
}
