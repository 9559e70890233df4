/* params.h — the parameter table behind mt_params (see params.c). */
#ifndef MT_UTIL_PARAMS_H
#define MT_UTIL_PARAMS_H

#include <stddef.h>

#include "memtrain.h"

typedef enum param_type { P_DOUBLE, P_INT, P_LONG, P_U64, P_BOOL, P_ENUM, P_STRING } param_type;

/* One documented parameter: where it lives in mt_params and what it means. */
typedef struct param_def {
    const char *key;      /* "section.name" */
    param_type type;
    size_t offset;        /* into mt_params */
    size_t size;          /* capacity of P_STRING fields */
    const char *def;      /* default, as text */
    double min, max;      /* inclusive range of numeric types */
    const char *unit;
    const char *source;   /* paper | patent | literature | chosen | - */
    const char *help;
    const char *const *enum_names; /* P_ENUM: NULL-terminated names, index = value */
} param_def;

/* Every parameter: params_entry(0 .. params_count() - 1), in documentation order. */
size_t params_count(void);
const param_def *params_entry(size_t i);
const param_def *params_find(const char *key);
int params_set_def(mt_params *p, const param_def *d, const char *value, const char *origin,
                   mt_error *err);
void params_format_value(const mt_params *p, const param_def *d, char *buf, size_t n);
const char *params_preset_doc(const char *name);

/* Apply configuration text in libconfig syntax (as mt_params_write writes it);
 * `origin` names it in messages. */
int params_load_string(mt_params *p, const char *text, const char *origin, mt_error *err);

/* Parse "500,250" into sizes[]; "" gives *count = 0. */
int params_parse_hidden(const char *text, int *sizes, int max_layers, int *count, mt_error *err);

#endif
