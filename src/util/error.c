/* error.c — see error.h. */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int mt_fail(mt_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

const char *mt_status_name(int code)
{
    switch (code) {
    case MT_OK: return "ok";
    case MT_EINPUT: return "bad input";
    case MT_EOUTPUT: return "cannot write output";
    case MT_ENUMERIC: return "numerical fault";
    case MT_ENOMEM: return "out of memory";
    default: return "internal error";
    }
}

int mt_error_prefix(mt_error *err, const char *prefix)
{
    if (!err) return MT_EINTERNAL;
    char old[sizeof err->message];
    memcpy(old, err->message, sizeof old);
    int room = (int)(sizeof err->message) - (int)strlen(prefix) - 3;
    snprintf(err->message, sizeof err->message, "%s: %.*s", prefix, room > 0 ? room : 0, old);
    return err->code;
}
