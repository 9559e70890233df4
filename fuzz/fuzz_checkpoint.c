/* fuzz_checkpoint.c — libFuzzer harness for the checkpoint reader
 * (src/train/checkpoint.c: checkpoint_read_params, checkpoint_read).
 *
 * The input is a checkpoint file.  A CRC-32 guards every checkpoint, so nearly
 * every mutation would stop at the checksum test; to let the fuzzer reach the
 * record parser, the harness recomputes the CRC of the "end" record before
 * writing the file (when the input ends in a well-formed end record), except for
 * inputs whose length is 15 mod 16, which keep their CRC as given so the
 * mismatch path stays covered.
 * Then: checkpoint_read_params; if it succeeds and net.hidden describes a small
 * network (every layer <= 64 units), the analogue network (cell.kind) and, when
 * train.twin is set and the cell is not float, its float twin are built for a
 * 64-input, 10-class dataset (the digits shape) and checkpoint_read restores
 * them.  Everything is freed (LeakSanitizer checks). */
#include <zlib.h>

#include "fuzz_common.h"
#include "train/checkpoint.h"
#include "util/params.h"

#define N_IN 64
#define N_OUT 10
#define MAX_UNITS 64
#define MAX_HIDDEN 8

/* Trailer: u32 name length 3, "end", u64 length 4, u32 CRC. */
#define TRAILER (4 + 3 + 8 + 4)

static int small_network(const mt_params *p)
{
    int sizes[MAX_HIDDEN], n = 0;
    if (params_parse_hidden(p->net.hidden, sizes, MAX_HIDDEN, &n, NULL) != MT_OK) return 0;
    for (int i = 0; i < n; i++)
        if (sizes[i] > MAX_UNITS) return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_temp_path("checkpoint", 0, NULL);
    static const unsigned char end_record[15] = {3, 0, 0, 0, 'e', 'n', 'd', 4, 0, 0, 0, 0, 0, 0, 0};
    if (size >= TRAILER && size % 16 != 15 &&
        memcmp(data + size - TRAILER, end_record, sizeof end_record) == 0) {
        unsigned char *copy = malloc(size);
        if (!copy) return 0;
        memcpy(copy, data, size);
        uint32_t crc = (uint32_t)crc32(0L, copy, (uInt)(size - TRAILER));
        for (int i = 0; i < 4; i++) copy[size - 4 + i] = (unsigned char)(crc >> (8 * i));
        fuzz_write_file(path, copy, size);
        free(copy);
    } else {
        fuzz_write_file(path, data, size);
    }

    mt_params p;
    mt_error err;
    int rc = checkpoint_read_params(path, &p, &err);
    if (rc != MT_OK) {
        FUZZ_ASSERT(err.message[0] != '\0', "error %d without a message", rc);
        return 0;
    }
    if (!small_network(&p)) return 0;

    mt_network *net = NULL, *twin = NULL;
    rc = mt_network_create(&p, p.cell.kind, N_IN, N_OUT, &net, &err);
    if (rc == MT_OK && p.train.twin && p.cell.kind != MT_CELL_FLOAT)
        rc = mt_network_create(&p, MT_CELL_FLOAT, N_IN, N_OUT, &twin, &err);
    if (rc == MT_OK) {
        run_progress progress;
        memset(&progress, 0, sizeof progress);
        rc = checkpoint_read(path, &progress, net, twin, &err);
        if (rc == MT_OK) {
            FUZZ_ASSERT(progress.epoch >= 0 && progress.k >= 0 && progress.n_results >= 0 &&
                            progress.n_results <= CHECKPOINT_MAX_EPOCHS,
                        "progress epoch %d k %ld results %d", progress.epoch, progress.k,
                        progress.n_results);
            FUZZ_ASSERT(progress.results != NULL, "no results array");
            fuzz_touch(progress.results, (size_t)progress.n_results * sizeof *progress.results);
        } else {
            FUZZ_ASSERT(progress.results == NULL, "results left allocated after error %d", rc);
            FUZZ_ASSERT(err.message[0] != '\0', "error %d without a message", rc);
        }
        free(progress.results);
    }
    mt_network_free(twin);
    mt_network_free(net);
    return 0;
}
