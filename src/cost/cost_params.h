/* cost_params.h — the cost model's parameter table (section "cost."), kept beside
 * the model it documents and merged into the parameter list by src/util/params.c. */
#ifndef MT_COST_COST_PARAMS_H
#define MT_COST_COST_PARAMS_H

#include <stddef.h>

#include "util/params.h"

extern const param_def cost_param_table[];
extern const size_t cost_param_count;

/* Cost presets (e.g. "ambrogio2018"): set cost.* parameters.  Returns MT_EINPUT with
 * no message change when `name` is not a cost preset (the caller reports it). */
int cost_apply_preset(mt_params *p, const char *name, mt_error *err);

/* Names of the cost presets, NULL-terminated, and a one-line description of each. */
const char *const *cost_preset_names(void);
const char *cost_preset_doc(const char *name);

#endif
