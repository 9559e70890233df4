/* csv.c — reader for datasets stored as CSV lines of integers (mt_dataset_load_csv).
 *
 * Each non-blank line holds `dim` features and then the label, all non-negative
 * integers (UCI optdigits: 64 block counts 0..16, then the digit).  The whole
 * file is validated even when only a slice is kept, so a file is either good or
 * rejected the same way whichever split is asked for; errors name the file and
 * the physical line ("PATH:LINE: ...").  Lines come through zlib's gzgets, which
 * reads plain and gzip files alike. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "data/data_internal.h"

/* Largest value a field may spell out: larger numbers are rejected while
 * parsing, before they could overflow (no sane feature_max comes near). */
#define CSV_VALUE_CAP 1000000000L
/* A line longer than this is not a CSV of small integers (a binary file, say):
 * stop before buffering all of it. */
#define CSV_MIN_LINE_LIMIT ((size_t)1 << 20)
/* ... unless `dim` is so large that lines of this many bytes per field need more. */
#define CSV_BYTES_PER_FIELD ((size_t)64)

/* Most bytes handed to one gzgets call, so the pre-fill each call does (see
 * csv_next_line) stays small even after one long line has grown the buffer. */
#define CSV_READ_CHUNK ((size_t)4096)

/* A growing line buffer over an open gz stream. */
typedef struct csv_reader {
    gzFile f;
    const char *path;
    char *buf;
    size_t capacity;
    size_t limit;  /* longest line accepted, in bytes */
    long line;     /* physical line number of the line in buf (1-based) */
} csv_reader;

/* Read the next physical line into r->buf without its line ending.  Returns 1 for
 * a line, 0 at end of file, or an mt_status (negated) on error. */
static int csv_next_line(csv_reader *r, mt_error *err)
{
    size_t len = 0;
    for (;;) {
        if (r->capacity - len < 2) {
            if (r->capacity >= r->limit)
                return -mt_fail(err, MT_EINPUT, "%s:%ld: line longer than %zu bytes", r->path,
                                r->line + 1, r->limit);
            size_t grown = r->capacity * 2 < r->limit ? r->capacity * 2 : r->limit;
            char *bigger = realloc(r->buf, grown);
            if (!bigger) return -mt_fail(err, MT_ENOMEM, "%s:%ld: out of memory", r->path, r->line + 1);
            r->buf = bigger;
            r->capacity = grown;
        }
        /* gzgets does not say how much it stored, and a NUL byte in the data would
         * hide the rest of the line from strlen.  Pre-filling with a non-zero
         * byte makes the terminator gzgets writes the last NUL in the buffer. */
        size_t room = r->capacity - len < CSV_READ_CHUNK ? r->capacity - len : CSV_READ_CHUNK;
        memset(r->buf + len, 1, room);
        if (!gzgets(r->f, r->buf + len, (int)room)) {
            int code = Z_OK;
            gzerror(r->f, &code);
            if (code != Z_OK) return -mt_data_gzfail(r->f, r->path, err);
            if (len == 0) return 0;
            r->buf[len] = '\0'; /* the pre-fill is still there */
            break;               /* last line has no newline */
        }
        size_t end = len + room - 1;
        while (r->buf[end] != '\0') end--;
        if (strlen(r->buf + len) != end - len)
            return -mt_fail(err, MT_EINPUT, "%s:%ld: NUL byte in line: not a text CSV file",
                            r->path, r->line + 1);
        len = end;
        if (len > 0 && r->buf[len - 1] == '\n') break;
    }
    /* zlib hands out whatever it decoded before a gzip stream broke off: make sure
     * an unterminated last line is really the end of the file. */
    if (len == 0 || r->buf[len - 1] != '\n') {
        int code = Z_OK;
        gzerror(r->f, &code);
        if (code != Z_OK) return -mt_data_gzfail(r->f, r->path, err);
    }
    while (len > 0 && (r->buf[len - 1] == '\n' || r->buf[len - 1] == '\r')) r->buf[--len] = '\0';
    r->line++;
    return 1;
}

static int csv_is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t') return 0;
    return 1;
}

/* Parse one field s[0..len) (already trimmed) as a non-negative integer. */
static int csv_parse_value(const csv_reader *r, int field, const char *s, size_t len, long *value,
                           mt_error *err)
{
    if (len == 0) return mt_fail(err, MT_EINPUT, "%s:%ld: field %d is empty", r->path, r->line, field);
    int shown = len > 40 ? 40 : (int)len;
    size_t i = 0;
    int negative = 0;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        i = 1;
    }
    if (i == len)
        return mt_fail(err, MT_EINPUT, "%s:%ld: field %d: '%.*s' is not an integer", r->path,
                       r->line, field, shown, s);
    size_t digits = i;
    int nonzero = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return mt_fail(err, MT_EINPUT, "%s:%ld: field %d: '%.*s' is not an integer", r->path,
                           r->line, field, shown, s);
        nonzero |= s[i] != '0';
    }
    if (negative && nonzero)
        return mt_fail(err, MT_EINPUT, "%s:%ld: field %d: negative value %.*s, expected >= 0",
                       r->path, r->line, field, shown, s);
    long v = 0;
    for (i = digits; i < len; i++) {
        v = v * 10 + (s[i] - '0');
        if (v > CSV_VALUE_CAP)
            return mt_fail(err, MT_EINPUT, "%s:%ld: field %d: value %.*s is too large", r->path,
                           r->line, field, shown, s);
    }
    *value = v;
    return MT_OK;
}

/* Split a line into exactly `fields` values.  Spaces and tabs around commas are
 * tolerated (hand-edited files have them); anything else is an error. */
static int csv_parse_line(const csv_reader *r, int fields, long *values, mt_error *err)
{
    int found = 1;
    for (const char *c = r->buf; *c; c++) found += *c == ',';
    if (found != fields)
        return mt_fail(err, MT_EINPUT,
                       "%s:%ld: expected %d comma-separated fields (%d features and a label), found %d",
                       r->path, r->line, fields, fields - 1, found);
    const char *s = r->buf;
    for (int k = 0; k < fields; k++) {
        while (*s == ' ' || *s == '\t') s++;
        const char *end = strchr(s, ',');
        if (!end) end = s + strlen(s);
        const char *next = *end ? end + 1 : end;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t')) end--;
        int status = csv_parse_value(r, k + 1, s, (size_t)(end - s), &values[k], err);
        if (status) return status;
        s = next;
    }
    return MT_OK;
}

/* Check one parsed line's ranges: features <= feature_max, label < classes. */
static int csv_check_ranges(const csv_reader *r, int dim, const long *values, double feature_max,
                            int classes, mt_error *err)
{
    for (int k = 0; k < dim; k++)
        if ((double)values[k] > feature_max)
            return mt_fail(err, MT_EINPUT, "%s:%ld: field %d: feature value %ld exceeds feature_max %g",
                           r->path, r->line, k + 1, values[k], feature_max);
    if (values[dim] >= classes)
        return mt_fail(err, MT_EINPUT, "%s:%ld: field %d: label %ld out of range, expected 0 to %d",
                       r->path, r->line, dim + 1, values[dim], classes - 1);
    return MT_OK;
}

/* Make room for one more kept example in *x / *y. */
static int csv_reserve(mt_dataset *d, long *capacity, int dim, const char *path, mt_error *err)
{
    if (d->n < *capacity) return MT_OK;
    long grown = *capacity ? *capacity * 2 : 256;
    float *x = realloc(d->x, (size_t)grown * (size_t)dim * sizeof *x);
    if (!x) return mt_fail(err, MT_ENOMEM, "%s: out of memory for %ld examples", path, grown);
    d->x = x;
    uint8_t *y = realloc(d->y, (size_t)grown);
    if (!y) return mt_fail(err, MT_ENOMEM, "%s: out of memory for %ld examples", path, grown);
    d->y = y;
    *capacity = grown;
    return MT_OK;
}

int mt_dataset_load_csv(const char *path, int dim, double feature_max, int classes,
                        long first, long count, const char *name, mt_dataset *out, mt_error *err)
{
    if (!path || !out) return mt_fail(err, MT_EINTERNAL, "mt_dataset_load_csv: NULL argument");
    memset(out, 0, sizeof *out);
    if (dim < 1 || dim > (1 << 20))
        return mt_fail(err, MT_EINPUT, "%s: dim = %d: expected 1 to %d features", path, dim, 1 << 20);
    if (!(feature_max > 0) || !isfinite(feature_max))
        return mt_fail(err, MT_EINPUT, "%s: feature_max = %g: expected a positive number", path,
                       feature_max);
    if (classes < 1 || classes > 256)
        return mt_fail(err, MT_EINPUT, "%s: classes = %d: expected 1 to 256 (labels are bytes)",
                       path, classes);
    if (first < 0 || (count > 0 && count > LONG_MAX - first))
        return mt_fail(err, MT_EINPUT, "%s: slice of %ld lines from line %ld is out of range",
                       path, count, first);

    csv_reader r = {.path = path, .capacity = 256};
    size_t wide_line = (size_t)(dim + 1) * CSV_BYTES_PER_FIELD;
    r.limit = wide_line > CSV_MIN_LINE_LIMIT ? wide_line : CSV_MIN_LINE_LIMIT;
    long *values = malloc((size_t)(dim + 1) * sizeof *values);
    r.buf = malloc(r.capacity);
    if (!values || !r.buf) {
        free(values);
        free(r.buf);
        return mt_fail(err, MT_ENOMEM, "%s: out of memory", path);
    }
    int status = mt_data_gzopen(path, &r.f, err);
    if (status) {
        free(values);
        free(r.buf);
        return status;
    }

    mt_dataset d = {.dim = dim, .classes = classes};
    long capacity = 0, data_lines = 0;
    for (;;) {
        int got = csv_next_line(&r, err);
        if (got < 0) {
            status = -got;
            break;
        }
        if (got == 0) break;
        if (csv_is_blank(r.buf)) continue;
        status = csv_parse_line(&r, dim + 1, values, err);
        if (!status) status = csv_check_ranges(&r, dim, values, feature_max, classes, err);
        if (status) break;
        long index = data_lines++;
        if (index < first || (count > 0 && index - first >= count)) continue;
        status = csv_reserve(&d, &capacity, dim, path, err);
        if (status) break;
        float *row = d.x + (size_t)d.n * (size_t)dim;
        for (int k = 0; k < dim; k++) row[k] = (float)(values[k] / feature_max);
        d.y[d.n++] = (uint8_t)values[dim];
    }
    gzclose(r.f);
    free(values);
    free(r.buf);

    if (!status) {
        long needed = count > 0 ? first + count : first + 1;
        if (data_lines < needed) {
            char wanted[96];
            if (count > 0)
                snprintf(wanted, sizeof wanted, "%ld (data lines %ld to %ld)", needed, first + 1, needed);
            else
                snprintf(wanted, sizeof wanted, "more than %ld", first);
            status = mt_fail(err, MT_EINPUT, "%s:%ld: file ends after %ld data lines, expected %s",
                             path, r.line > 0 ? r.line : 1, data_lines, wanted);
        }
    }
    if (status) {
        mt_dataset_free(&d);
        return status;
    }
    mt_data_settle_features(&d);
    mt_data_set_name(&d, name, path);
    *out = d;
    return MT_OK;
}
