/* cost_params.h — the cost model's parameter table (section "cost."), kept beside
 * the model it documents and merged into the parameter list by src/util/params.c. */
#ifndef MT_COST_COST_PARAMS_H
#define MT_COST_COST_PARAMS_H

#include <stddef.h>

#include "util/params.h"

extern const param_def cost_param_table[];
extern const size_t cost_param_count;

#endif
