/* fuzz_cifar.c — libFuzzer harness for the CIFAR binary reader (src/data/cifar.c:
 * mt_dataset_load_cifar_bin).  The input is the file (plain or gzip), read as
 * CIFAR-10 (3,073-byte records) and as CIFAR-100 (3,074-byte records).
 * Checked on success: 3,072 features in [0, 1] and a label below the class count
 * per record; on failure: arrays cleared and a message given. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_temp_path("cifar", 0, NULL);
    fuzz_write_file(path, data, size);
    for (int classes = 10; classes <= 100; classes += 90) {
        mt_dataset d;
        mt_error err;
        long limit = size > 0 ? (long)(data[0] % 4) : 0; /* 0 = all */
        int rc = mt_dataset_load_cifar_bin(path, classes, limit, "fuzz", &d, &err);
        if (rc != MT_OK) {
            FUZZ_ASSERT(d.x == NULL && d.y == NULL, "arrays left allocated after error %d", rc);
            FUZZ_ASSERT(err.message[0] != '\0', "error %d without a message", rc);
            continue;
        }
        FUZZ_ASSERT(d.n >= 1 && d.dim == 3072 && d.classes == classes, "n %ld dim %d classes %d",
                    d.n, d.dim, d.classes);
        FUZZ_ASSERT(limit == 0 || d.n <= limit, "limit %ld gave %ld records", limit, d.n);
        for (long i = 0; i < d.n; i++) FUZZ_ASSERT(d.y[i] < classes, "label %d", d.y[i]);
        for (size_t i = 0; i < (size_t)d.n * 3072; i++)
            FUZZ_ASSERT(d.x[i] >= 0.0f && d.x[i] <= 1.0f, "pixel %g", (double)d.x[i]);
        mt_dataset_free(&d);
    }
    return 0;
}
