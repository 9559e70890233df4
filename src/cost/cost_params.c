/* cost_params.c — assumptions of the energy, area and throughput model.
 * (Filled in with the cost model: docs/cost.md.) */
#include "cost/cost_params.h"

#include <stddef.h>

#define OFF(field) offsetof(mt_params, field)

const param_def cost_param_table[] = {
    {"cost.gpu_tops", P_DOUBLE, OFF(cost.gpu_tops), 0, "14", 1e-6, 1e9, "TOPS", "literature",
     "throughput of the GPU compared against (NVIDIA V100 FP32 peak, 2018)", NULL},
};
const size_t cost_param_count = sizeof cost_param_table / sizeof cost_param_table[0];

int cost_apply_preset(mt_params *p, const char *name, mt_error *err)
{
    (void)p;
    (void)name;
    (void)err;
    return MT_EINPUT;
}

const char *const *cost_preset_names(void)
{
    static const char *const none[] = {NULL};
    return none;
}

const char *cost_preset_doc(const char *name)
{
    (void)name;
    return NULL;
}
