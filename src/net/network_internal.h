/* network_internal.h — access to a network's insides for tests, the cost model
 * and checkpoints.  Not part of the public API. */
#ifndef MT_NET_NETWORK_INTERNAL_H
#define MT_NET_NETWORK_INTERNAL_H

#include "array/tile.h"
#include "memtrain.h"

/* Tile of layer l. */
tile *network_tile(mt_network *net, int l);

/* Cross-entropy loss of example (x, label) at the current weights (forward only,
 * evaluation noise stream eval_key). */
double network_loss(mt_network *net, const float *x, int label, uint64_t eval_key);

#endif
