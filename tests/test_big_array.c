/* test_big_array.c — memory for large arrays read at scattered places
 * (src/util/big_array.h), and the datasets that live in it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memtrain.h"
#include "test.h"
#include "util/big_array.h"

static int on_huge_page_boundary(const void *p)
{
    return (uintptr_t)p % BIG_ARRAY_PAGE == 0;
}

/* A big array starts on a 2 MiB boundary and every byte asked for is usable (ASan and
 * valgrind check the writes and the release with free()); small ones are plain
 * memory, and nothing is no memory. */
TEST(a_big_array_starts_on_a_huge_page_and_is_usable_to_its_last_byte)
{
    const size_t bytes = 5 * BIG_ARRAY_PAGE / 2 + 1;
    unsigned char *p = big_array_alloc(bytes);
    CHECK(p != NULL);
    if (!p) return;
    CHECK(on_huge_page_boundary(p));
    memset(p, 0xA5, bytes);
    CHECK_INT(p[0], 0xA5);
    CHECK_INT(p[bytes - 1], 0xA5);
    free(p);
    unsigned char *small = big_array_alloc(1000);
    CHECK(small != NULL);
    if (small) memset(small, 1, 1000);
    free(small);
    CHECK(big_array_alloc(0) == NULL);
    CHECK(big_array_alloc(SIZE_MAX) == NULL);
}

/* The MNIST test split (31 MB of features, read into its array directly) and a CSV
 * of 2.4 MB of features (grown while read, then moved) both hold their features in
 * big arrays, with every value intact after the move. */
TEST(loaded_datasets_hold_their_features_in_big_arrays)
{
    char path[600];
    snprintf(path, sizeof path, "%s/data/mnist", test_source_dir());
    mt_dataset d;
    mt_error err = {0};
    int status = mt_dataset_load_mnist_dir(path, 0, 0, "mnist/test", &d, &err);
    CHECK_MSG(status == MT_OK, "load failed: %s", err.message);
    if (status == MT_OK) {
        CHECK(on_huge_page_boundary(d.x));
        mt_dataset_free(&d);
    }

    enum { ROWS = 1000, DIM = 600 }; /* 600,000 floats = 2.4 MB */
    snprintf(path, sizeof path, "%s/big.csv", test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    for (int i = 0; i < ROWS; i++) {
        for (int k = 0; k < DIM; k++) fprintf(f, "%d,", (i * 7 + k * 3) % 256);
        fprintf(f, "%d\n", i % 10);
    }
    fclose(f);
    status = mt_dataset_load_csv(path, DIM, 255.0, 10, 0, 0, "big", &d, &err);
    CHECK_MSG(status == MT_OK, "load failed: %s", err.message);
    if (status) return;
    CHECK_INT(d.n, ROWS);
    CHECK(on_huge_page_boundary(d.x));
    long wrong = 0;
    for (int i = 0; i < ROWS; i++) {
        for (int k = 0; k < DIM; k++)
            wrong += d.x[(size_t)i * DIM + (size_t)k] != (float)((i * 7 + k * 3) % 256 / 255.0);
        wrong += d.y[i] != i % 10;
    }
    CHECK_INT(wrong, 0);
    mt_dataset_free(&d);
}
