/* network_internal.h — access to a network's insides for tests, the cost model
 * and checkpoints.  Not part of the public API. */
#ifndef MT_NET_NETWORK_INTERNAL_H
#define MT_NET_NETWORK_INTERNAL_H

#include <stdatomic.h>

#include "array/tile.h"
#include "memtrain.h"

/* Tile of layer l. */
tile *network_tile(mt_network *net, int l);

/* How the last run of training (inference = 0) or of inference went: "team" (its threads
 * shared the first layer's rows), "one thread", or "steps" (one thread, each tile
 * operation splitting itself where that pays; with one thread, one thread).  For
 * `memtrain bench`: train.layer_split = auto chooses at run time. */
const char *network_last_way(const mt_network *net, int inference);

/* Cross-entropy loss of example (x, label) at the current weights (forward only,
 * evaluation noise stream eval_key). */
double network_loss(mt_network *net, const float *x, int label, uint64_t eval_key);

/* mt_network_train_examples that stops early, before the first example that finds
 * *stop set (stop may be NULL); *reached: the first example not trained (k1 when all
 * were).  For a caller whose other thread decides when this one should stop. */
int network_train_until(mt_network *net, const mt_dataset *data, const long *order, long k0, long k1,
                        double lr, uint64_t first_index, long *correct, const atomic_int *stop, long *reached,
                        mt_error *err);

#endif
