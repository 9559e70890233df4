/* error.h — how memtrain reports failure.
 *
 * Library functions never print and never exit: they return a status code and,
 * when given a non-NULL mt_error, fill it with one human-readable line that names
 * the file, field or parameter at fault.  The CLI prints that line and exits with
 * the code, so the codes double as process exit statuses (documented in
 * docs/errors.md). */
#ifndef MT_UTIL_ERROR_H
#define MT_UTIL_ERROR_H

#include "memtrain.h"

/* Fill err (if not NULL) with a printf-style message; returns code so callers can
 * write `return mt_fail(err, MT_EINPUT, "...")`. */
int mt_fail(mt_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend "prefix: " to err's message (keeps the code); returns the code. */
int mt_error_prefix(mt_error *err, const char *prefix);

#endif
