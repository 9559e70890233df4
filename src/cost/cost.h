/* cost.h — internals of the energy, area and throughput model shared with the CLI
 * and the results writer.  The model itself is public (memtrain.h, "cost model");
 * docs/cost.md has its equations and the reasoning behind every assumption. */
#ifndef MT_COST_COST_H
#define MT_COST_COST_H

#include "memtrain.h"

/* "float", "2pcm" or "2pcm3t1c". */
const char *cost_cell_name(mt_cell_kind kind);

/* The definition of an operation, as written into reports. */
extern const char cost_ops_definition[];

/* Parse a cell name; returns 1 and sets *kind when known. */
int cost_cell_from_name(const char *name, mt_cell_kind *kind);

#endif
