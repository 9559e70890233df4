/* snapshot.c — the device state of one layer just before and just after a transfer.
 *
 * What the paper's Extended Data Fig. 9 shows: how well a transfer carries the weight
 * the capacitors held into the PCM pair.  A 2PCM+3T1C network is trained on the
 * examples in file order until just before transfer number `which`; the layer's G+,
 * G-, g and W are recorded, every tile transfers, and they are recorded again. */
#include "experiment/snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "array/tile.h"
#include "net/network_internal.h"
#include "util/error.h"

void snapshot_free(transfer_snapshot *s)
{
    for (int k = 0; k < SNAPSHOT_FIELDS; k++) free(s->field[k]);
    memset(s, 0, sizeof *s);
}

/* G+, G-, g (µS) and W (µS) of every synapse of tile t into fields[base ... base+3]. */
static void record(tile *t, transfer_snapshot *s, int base, float *scratch)
{
    const size_t n = (size_t)t->rows * (size_t)t->cols;
    const float ws = (float)t->params.cell.uS_per_weight;
    tile_read_weights(t, scratch);
    for (size_t i = 0; i < n; i++) {
        float v = t->cap.v_leak + t->cap_z[i] * (float)t->decay;
        s->field[base + 0][i] = t->g_plus[i];
        s->field[base + 1][i] = t->g_minus[i];
        s->field[base + 2][i] = cap3t1c_conductance(&t->cap, v, t->cap_vt[i]);
        s->field[base + 3][i] = scratch[i] * ws;
    }
}

int snapshot_transfer(const mt_params *params, const mt_dataset *train, int which, int layer,
                      transfer_snapshot *out, mt_error *err)
{
    memset(out, 0, sizeof *out);
    mt_params p = *params;
    p.cell.kind = MT_CELL_2PCM3T1C;
    p.train.pulse_stats = 0;
    mt_network *net = NULL;
    int rc = mt_network_create(&p, MT_CELL_2PCM3T1C, train->dim, train->classes, &net, err);
    if (rc) return rc;
    if (layer < 0 || layer >= mt_network_layers(net)) layer = 0;
    /* up to and including the example before the one that would transfer */
    const uint64_t last = (uint64_t)which * (uint64_t)p.transfer.interval - 1;
    rc = mt_network_train_examples(net, train, NULL, 0, (long)last, p.train.lr, 0, NULL, err);
    tile *t = network_tile(net, layer);
    const size_t n = (size_t)t->rows * (size_t)t->cols;
    float *scratch = malloc(n * sizeof *scratch);
    for (int k = 0; rc == MT_OK && k < SNAPSHOT_FIELDS; k++)
        if (!(out->field[k] = malloc(n * sizeof(float)))) rc = MT_ENOMEM;
    if (rc == MT_OK && !scratch) rc = MT_ENOMEM;
    if (rc == MT_ENOMEM) mt_fail(err, rc, "out of memory taking a transfer snapshot");
    if (rc == MT_OK) {
        out->n = n;
        out->layer = layer;
        out->transfer = which;
        out->polarity_before = t->polarity;
        record(t, out, 0, scratch);
        for (int l = 0; l < mt_network_layers(net); l++) tile_transfer(network_tile(net, l));
        out->polarity_after = t->polarity;
        record(t, out, 4, scratch);
    }
    free(scratch);
    mt_network_free(net);
    if (rc) snapshot_free(out);
    return rc;
}
