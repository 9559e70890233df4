/* snapshot.h — device state of one layer around a transfer (see snapshot.c). */
#ifndef MT_EXPERIMENT_SNAPSHOT_H
#define MT_EXPERIMENT_SNAPSHOT_H

#include <stddef.h>

#include "memtrain.h"

enum {
    SNAP_GP_BEFORE, SNAP_GM_BEFORE, SNAP_G_BEFORE, SNAP_W_BEFORE, /* µS */
    SNAP_GP_AFTER, SNAP_GM_AFTER, SNAP_G_AFTER, SNAP_W_AFTER,
    SNAPSHOT_FIELDS
};

typedef struct transfer_snapshot {
    size_t n;                       /* synapses of the layer */
    int layer, transfer;            /* which layer, which transfer (1-based) */
    int polarity_before, polarity_after;
    float *field[SNAPSHOT_FIELDS];  /* per synapse, µS */
} transfer_snapshot;

/* Train a 2PCM+3T1C network (parameters p) on `train` in file order until just
 * before transfer number `which`, and record layer `layer` around that transfer. */
int snapshot_transfer(const mt_params *p, const mt_dataset *train, int which, int layer,
                      transfer_snapshot *out, mt_error *err);
void snapshot_free(transfer_snapshot *s);

#endif
