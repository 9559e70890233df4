/* checkpoint.h — the complete state of a training run, saved atomically.
 *
 * A checkpoint holds the parameters (as libconfig text), the position in the data
 * stream (epoch, example), the results of finished epochs, and every tile of the
 * analogue network and its twin: device states, device-to-device parameters,
 * polarity, leak frame, counters, pulse statistics.  Random draws are pure functions
 * of (seed, tile, purpose, example, index), so the example index *is* the position
 * of every random stream: nothing else needs saving for a resumed run to continue
 * bit for bit.
 *
 * Format (all integers little-endian):
 *   "MTCKPT\r\n" (8 bytes), u32 version, then records {u32 name length, name,
 *   u64 byte length, bytes}, then the record "end" whose payload is the CRC-32 (zlib)
 *   of every byte before it.  Records are read back by name and length, so a field
 *   that changes size is detected, never misread.
 * Writing goes to PATH.tmp, is fsync'd, then renamed over PATH (and the directory
 * fsync'd): a crash leaves either the old checkpoint or the new one, never half. */
#ifndef MT_TRAIN_CHECKPOINT_H
#define MT_TRAIN_CHECKPOINT_H

#include <stdint.h>

#include "memtrain.h"

#define CHECKPOINT_VERSION 3u /* 2: counters gained bound_retries; 3: G_max recomputed, not stored */
#define CHECKPOINT_MAX_EPOCHS 100000

/* Where a run is. */
typedef struct run_progress {
    int epoch;             /* current epoch, 0-based */
    long k;                /* examples of this epoch already trained */
    uint64_t example;      /* global example index of the next training example */
    long online_right;     /* correct predictions so far in this epoch */
    int n_results;         /* finished epochs */
    mt_epoch_result *results; /* n_results entries (cell names are not stored) */
} run_progress;

/* Write the run's state to `path` atomically.  twin may be NULL. */
int checkpoint_write(const char *path, const mt_params *p, const run_progress *progress,
                     mt_network *net, mt_network *twin, mt_error *err);

/* Read only the parameters of a checkpoint (to rebuild the networks and data). */
int checkpoint_read_params(const char *path, mt_params *p, mt_error *err);

/* Restore progress and network states from `path` into networks built from the
 * checkpoint's parameters.  progress->results is allocated (caller frees). */
int checkpoint_read(const char *path, run_progress *progress, mt_network *net, mt_network *twin,
                    mt_error *err);

#endif
