/* npy.c — reader for NumPy's .npy files (mt_npy_read_matrix, mt_npy_read_labels,
 * mt_dataset_load_npy) and the feature scaling that goes with them
 * (mt_dataset_abs_quantile, mt_dataset_scale).
 *
 * Layout (numpy/lib/format.py): the magic string "\x93NUMPY", a major and a minor
 * version byte, the header length (little-endian uint16 in version 1.0, uint32 in
 * 2.0 and 3.0), then the header: a Python dict literal such as
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (200, 2048), }
 * padded with spaces and a newline, then the array's bytes.  The header is parsed
 * here by a small recursive-descent reader that knows exactly this grammar:
 * nothing is evaluated, and anything else (other keys, other value types, text
 * after the dict) is an error.  Like the IDX reader this one is strict, because
 * features silently read with the wrong shape or type would train on garbage;
 * every message starts with the file's path.  Input goes through zlib's gz*
 * calls, so a gzip-compressed .npy reads too. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "data/data_internal.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* NumPy's own reader refuses headers over 10,000 bytes unless told otherwise; a
 * generous cap still keeps a corrupt length field from costing 4 GiB. */
#define NPY_MAX_HEADER ((uint32_t)1 << 20)
/* Largest payload accepted, as for IDX files. */
#define NPY_MAX_PAYLOAD ((uint64_t)1 << 31)
/* The payload buffer grows toward its final size (see idx.c). */
#define NPY_FIRST_CHUNK ((uint64_t)1 << 20)
/* More dimensions than this are refused while parsing (NumPy allows 32 or 64). */
#define NPY_MAX_DIMS 64
#define NPY_DESCR_MAX 32

/* ------------------------------------------------------------------ dtypes */

typedef enum npy_kind { NPY_UINT, NPY_INT, NPY_FLOAT } npy_kind;

/* The dtypes memtrain reads.  One-byte types have no byte order: NumPy writes
 * '|', and '<' means the same. */
static const struct npy_dtype {
    const char *descr;
    npy_kind kind;
    int size;
} npy_dtypes[] = {
    {"|u1", NPY_UINT, 1}, {"<u1", NPY_UINT, 1}, {"|i1", NPY_INT, 1},   {"<i1", NPY_INT, 1},
    {"<u2", NPY_UINT, 2}, {"<i2", NPY_INT, 2},  {"<u4", NPY_UINT, 4},  {"<i4", NPY_INT, 4},
    {"<u8", NPY_UINT, 8}, {"<i8", NPY_INT, 8},  {"<f4", NPY_FLOAT, 4}, {"<f8", NPY_FLOAT, 8},
};

static const struct npy_dtype *npy_find_dtype(const char *descr)
{
    for (size_t i = 0; i < sizeof npy_dtypes / sizeof npy_dtypes[0]; i++)
        if (strcmp(npy_dtypes[i].descr, descr) == 0) return &npy_dtypes[i];
    return NULL;
}

/* ------------------------------------------------------------------ header */

typedef struct npy_header {
    int major, minor;
    uint32_t header_len;
    char descr[NPY_DESCR_MAX + 1];
    int fortran_order;
    int ndims;
    uint64_t shape[NPY_MAX_DIMS];
    char shape_text[96]; /* "(200, 2048)" for messages, shortened if long */
} npy_header;

/* A cursor over the header text. */
typedef struct npy_parser {
    const char *s;
    size_t len, pos;
    const char *path;
    mt_error *err;
} npy_parser;

static int npy_syntax(npy_parser *p, const char *expected)
{
    if (p->pos >= p->len)
        return mt_fail(p->err, MT_EINPUT, "%s: malformed .npy header: expected %s, found the end of the header",
                       p->path, expected);
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c >= 0x20 && c < 0x7F)
        return mt_fail(p->err, MT_EINPUT, "%s: malformed .npy header at offset %zu: expected %s, found '%c'",
                       p->path, p->pos, expected, c);
    return mt_fail(p->err, MT_EINPUT, "%s: malformed .npy header at offset %zu: expected %s, found byte 0x%02X",
                   p->path, p->pos, expected, c);
}

static void npy_skip_space(npy_parser *p)
{
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

/* Skip white space, then consume `c` if it is next; returns 1 if it was. */
static int npy_accept(npy_parser *p, char c)
{
    npy_skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == c) {
        p->pos++;
        return 1;
    }
    return 0;
}

static int npy_expect(npy_parser *p, char c, const char *what)
{
    return npy_accept(p, c) ? MT_OK : npy_syntax(p, what);
}

/* A string literal in single or double quotes, without escapes, into dst.
 * Longer strings than dst holds are an error (no key or descr is long). */
static int npy_parse_string(npy_parser *p, char *dst, size_t size, const char *what)
{
    npy_skip_space(p);
    if (p->pos >= p->len || (p->s[p->pos] != '\'' && p->s[p->pos] != '"')) return npy_syntax(p, what);
    char quote = p->s[p->pos++];
    size_t start = p->pos, n = 0;
    for (;;) {
        if (p->pos >= p->len || p->s[p->pos] == '\n')
            return mt_fail(p->err, MT_EINPUT, "%s: malformed .npy header at offset %zu: unterminated string",
                           p->path, start - 1);
        char c = p->s[p->pos];
        if (c == quote) break;
        if (c == '\\')
            return mt_fail(p->err, MT_EINPUT,
                           "%s: malformed .npy header at offset %zu: escape sequences are not supported",
                           p->path, p->pos);
        if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7F)
            return mt_fail(p->err, MT_EINPUT,
                           "%s: malformed .npy header at offset %zu: byte 0x%02X in a string", p->path,
                           p->pos, (unsigned char)c);
        if (n + 1 >= size)
            return mt_fail(p->err, MT_EINPUT, "%s: malformed .npy header at offset %zu: string longer than %zu characters",
                           p->path, start - 1, size - 1);
        dst[n++] = c;
        p->pos++;
    }
    dst[n] = '\0';
    p->pos++; /* the closing quote */
    return MT_OK;
}

/* True or False. */
static int npy_parse_bool(npy_parser *p, int *value)
{
    npy_skip_space(p);
    const char *rest = p->s + p->pos;
    size_t left = p->len - p->pos;
    size_t n = 0;
    if (left >= 4 && memcmp(rest, "True", 4) == 0) n = 4, *value = 1;
    else if (left >= 5 && memcmp(rest, "False", 5) == 0) n = 5, *value = 0;
    /* "Truex" is an identifier, not True. */
    if (n == 0 || (n < left && (rest[n] == '_' || (rest[n] >= 'a' && rest[n] <= 'z') ||
                                (rest[n] >= 'A' && rest[n] <= 'Z') || (rest[n] >= '0' && rest[n] <= '9'))))
        return npy_syntax(p, "True or False for 'fortran_order'");
    p->pos += n;
    return MT_OK;
}

/* A tuple of integers: "()", "(3,)", "(2, 3)" or "(2, 3,)".  "(3)" is not a
 * tuple in Python and is refused.  Python 2's long suffix 'L' (NumPy wrote it
 * under Python 2) is accepted.  Signs are parsed so that a negative dimension is
 * reported as such; sizes are checked by the caller. */
static int npy_parse_shape(npy_parser *p, int64_t *sdims, int *ndims)
{
    int status = npy_expect(p, '(', "a tuple '(' for 'shape'");
    if (status) return status;
    int n = 0;
    if (npy_accept(p, ')')) {
        *ndims = 0;
        return MT_OK;
    }
    for (;;) {
        npy_skip_space(p);
        int negative = 0;
        if (p->pos < p->len && (p->s[p->pos] == '-' || p->s[p->pos] == '+')) {
            negative = p->s[p->pos] == '-';
            p->pos++;
        }
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return npy_syntax(p, "an integer in 'shape'");
        int64_t v = 0;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return mt_fail(p->err, MT_EINPUT, "%s: .npy shape has a dimension too large to represent",
                               p->path);
            v = v * 10 + (p->s[p->pos++] - '0');
        }
        if (p->pos < p->len && (p->s[p->pos] == 'L' || p->s[p->pos] == 'l')) p->pos++;
        if (n == NPY_MAX_DIMS)
            return mt_fail(p->err, MT_EINPUT, "%s: .npy shape has more than %d dimensions", p->path,
                           NPY_MAX_DIMS);
        sdims[n++] = negative ? -v : v;
        int comma = npy_accept(p, ',');
        if (npy_accept(p, ')')) {
            if (n == 1 && !comma)
                return mt_fail(p->err, MT_EINPUT,
                               "%s: malformed .npy header: 'shape' is not a tuple (a 1-tuple needs a comma: (N,))",
                               p->path);
            break;
        }
        if (!comma) return npy_syntax(p, "',' or ')' in 'shape'");
    }
    *ndims = n;
    return MT_OK;
}

/* "(2, 3)" / "(5,)" / "()" into h->shape_text, shortened with "..." if long. */
static void npy_format_shape(npy_header *h, const int64_t *sdims, int ndims)
{
    char *t = h->shape_text;
    size_t size = sizeof h->shape_text, used = 0;
    used += (size_t)snprintf(t, size, "(");
    for (int i = 0; i < ndims && used < size; i++) {
        if (used > size - 28) {
            snprintf(t + used, size - used, "...");
            used = strlen(t);
            break;
        }
        used += (size_t)snprintf(t + used, size - used, "%s%lld", i ? ", " : "", (long long)sdims[i]);
    }
    if (used < size) snprintf(t + used, size - used, "%s)", ndims == 1 ? "," : "");
}

static const char *const npy_keys[3] = {"descr", "fortran_order", "shape"};

/* Parse the dict and check its values; fills h. */
static int npy_parse_header(const char *text, size_t len, const char *path, npy_header *h, mt_error *err)
{
    npy_parser p = {text, len, 0, path, err};
    int64_t sdims[NPY_MAX_DIMS];
    int seen[3] = {0, 0, 0};
    int status = npy_expect(&p, '{', "'{' (the header is a Python dict)");
    if (status) return status;
    if (!npy_accept(&p, '}')) {
        for (;;) {
            char key[32];
            size_t key_pos;
            npy_skip_space(&p);
            key_pos = p.pos;
            status = npy_parse_string(&p, key, sizeof key, "a quoted key");
            if (status) return status;
            int k = -1;
            for (int i = 0; i < 3; i++)
                if (strcmp(key, npy_keys[i]) == 0) k = i;
            if (k < 0)
                return mt_fail(err, MT_EINPUT,
                               "%s: .npy header has the unexpected key '%s' at offset %zu "
                               "(expected 'descr', 'fortran_order' and 'shape')",
                               path, key, key_pos);
            if (seen[k])
                return mt_fail(err, MT_EINPUT, "%s: .npy header repeats the key '%s'", path, key);
            seen[k] = 1;
            status = npy_expect(&p, ':', "':' after a key");
            if (status) return status;
            if (k == 0) {
                npy_skip_space(&p);
                if (p.pos < p.len && (p.s[p.pos] == '[' || p.s[p.pos] == '{'))
                    return mt_fail(err, MT_EINPUT,
                                   "%s: structured dtypes are not supported: 'descr' must be a string such as '<f4'",
                                   path);
                status = npy_parse_string(&p, h->descr, sizeof h->descr, "a quoted string for 'descr'");
            } else if (k == 1) {
                status = npy_parse_bool(&p, &h->fortran_order);
            } else {
                status = npy_parse_shape(&p, sdims, &h->ndims);
            }
            if (status) return status;
            int comma = npy_accept(&p, ',');
            if (npy_accept(&p, '}')) break;
            if (!comma) return npy_syntax(&p, "',' or '}'");
        }
    }
    npy_skip_space(&p);
    if (p.pos < p.len) return npy_syntax(&p, "the end of the header after '}'");
    for (int i = 0; i < 3; i++)
        if (!seen[i]) return mt_fail(err, MT_EINPUT, "%s: .npy header lacks the key '%s'", path, npy_keys[i]);

    npy_format_shape(h, sdims, h->ndims);
    for (int i = 0; i < h->ndims; i++) {
        if (sdims[i] <= 0)
            return mt_fail(err, MT_EINPUT, "%s: .npy shape %s: dimension %d is %lld, expected at least 1",
                           path, h->shape_text, i + 1, (long long)sdims[i]);
        h->shape[i] = (uint64_t)sdims[i];
    }
    return MT_OK;
}

/* Read the magic string, the version, the header length and the header. */
static int npy_read_header(gzFile f, const char *path, npy_header *h, mt_error *err)
{
    uint8_t pre[NPY_MAGIC_LEN + 2 + 4];
    size_t got = mt_data_gzread_full(f, pre, NPY_MAGIC_LEN + 2);
    int code = mt_data_gzstatus(f);
    /* A broken gzip stream that yields too little to judge the magic by. */
    if (code != Z_OK && got < NPY_MAGIC_LEN + 2) return mt_data_gzfail(f, path, err);
    if (got == 0) return mt_fail(err, MT_EINPUT, "%s: empty file: expected a .npy header", path);
    if (got < NPY_MAGIC_LEN || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        char shown[3 * NPY_MAGIC_LEN + 1] = "";
        for (size_t i = 0; i < got && i < NPY_MAGIC_LEN; i++)
            snprintf(shown + strlen(shown), sizeof shown - strlen(shown), "%s%02X", i ? " " : "", pre[i]);
        return mt_fail(err, MT_EINPUT, "%s: not a .npy file: expected the magic string 93 4E 55 4D 50 59 "
                       "(\\x93NUMPY), found %s%s", path, shown,
                       got < NPY_MAGIC_LEN ? " (file too short)" : "");
    }
    if (got < NPY_MAGIC_LEN + 2)
        return mt_fail(err, MT_EINPUT, "%s: truncated .npy header: the file ends inside the version", path);
    h->major = pre[6];
    h->minor = pre[7];
    if (h->minor != 0 || h->major < 1 || h->major > 3)
        return mt_fail(err, MT_EINPUT, "%s: unsupported .npy format version %d.%d: expected 1.0, 2.0 or 3.0",
                       path, h->major, h->minor);
    size_t len_bytes = h->major == 1 ? 2 : 4;
    got = mt_data_gzread_full(f, pre + 8, len_bytes);
    if (got < len_bytes) {
        if (mt_data_gzstatus(f) != Z_OK) return mt_data_gzfail(f, path, err);
        return mt_fail(err, MT_EINPUT, "%s: truncated .npy header: the file ends inside the header length", path);
    }
    uint32_t hl = (uint32_t)pre[8] | (uint32_t)pre[9] << 8;
    if (len_bytes == 4) hl |= (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
    h->header_len = hl;
    if (hl > NPY_MAX_HEADER)
        return mt_fail(err, MT_EINPUT, "%s: .npy header length %lu exceeds the limit of %lu bytes", path,
                       (unsigned long)hl, (unsigned long)NPY_MAX_HEADER);
    if (hl == 0) return mt_fail(err, MT_EINPUT, "%s: .npy header length is 0: expected a dict", path);

    char *text = malloc(hl);
    if (!text) return mt_fail(err, MT_ENOMEM, "%s: out of memory for a %lu-byte .npy header", path, (unsigned long)hl);
    got = mt_data_gzread_full(f, text, hl);
    int status;
    if (got < hl) {
        if (mt_data_gzstatus(f) != Z_OK) status = mt_data_gzfail(f, path, err);
        else
            status = mt_fail(err, MT_EINPUT,
                             "%s: .npy header length %lu exceeds the file: only %zu bytes follow the length field",
                             path, (unsigned long)hl, got);
    } else {
        status = npy_parse_header(text, hl, path, h, err);
    }
    free(text);
    return status;
}

/* ----------------------------------------------------------------- payload */

/* Read exactly `total` bytes into a new buffer, then make sure nothing follows
 * (reading on also makes zlib verify a gzip stream's CRC and length). */
static int npy_read_payload(gzFile f, const char *path, const npy_header *h, uint64_t total, uint8_t **out,
                            mt_error *err)
{
    uint64_t capacity = total < NPY_FIRST_CHUNK ? total : NPY_FIRST_CHUNK;
    uint8_t *buf = malloc((size_t)capacity);
    if (!buf)
        return mt_fail(err, MT_ENOMEM, "%s: out of memory for %llu bytes of data", path, (unsigned long long)total);
    uint64_t have = 0;
    for (;;) {
        have += mt_data_gzread_full(f, buf + have, (size_t)(capacity - have));
        if (have < capacity || capacity == total) break;
        uint64_t grown = capacity * 2 < total ? capacity * 2 : total;
        uint8_t *bigger = realloc(buf, (size_t)grown);
        if (!bigger) {
            free(buf);
            return mt_fail(err, MT_ENOMEM, "%s: out of memory for %llu bytes of data", path,
                           (unsigned long long)total);
        }
        buf = bigger;
        capacity = grown;
    }
    int code = mt_data_gzstatus(f);
    if (have < total) {
        free(buf);
        if (code != Z_OK && code != Z_BUF_ERROR) return mt_data_gzfail(f, path, err);
        return mt_fail(err, MT_EINPUT, "%s: truncated: expected %llu bytes, found %llu (shape %s of '%s')%s", path,
                       (unsigned long long)total, (unsigned long long)have, h->shape_text, h->descr,
                       code == Z_BUF_ERROR ? " (gzip stream ends early)" : "");
    }
    uint8_t extra;
    if (gzread(f, &extra, 1) > 0) {
        free(buf);
        return mt_fail(err, MT_EINPUT, "%s: trailing data after the %llu bytes of shape %s of '%s'", path,
                       (unsigned long long)total, h->shape_text, h->descr);
    }
    if (mt_data_gzstatus(f) != Z_OK) {
        free(buf);
        return mt_data_gzfail(f, path, err);
    }
    *out = buf;
    return MT_OK;
}

/* Open, read the header, check the dtype's byte order and the shape's rank, and
 * read the payload.  want_dims 2 reads a feature matrix, 1 a label vector. */
static int npy_load(const char *path, int want_dims, npy_header *h, const struct npy_dtype **dtype,
                    uint8_t **payload, mt_error *err)
{
    memset(h, 0, sizeof *h);
    gzFile f;
    int status = mt_data_gzopen(path, &f, err);
    if (status) return status;
    status = npy_read_header(f, path, h, err);
    if (status) goto done;

    if (h->fortran_order) {
        status = mt_fail(err, MT_EINPUT,
                         "%s: Fortran order not supported: expected fortran_order False (C order; "
                         "numpy.ascontiguousarray before numpy.save)", path);
        goto done;
    }
    if (h->descr[0] == '>') {
        status = mt_fail(err, MT_EINPUT,
                         "%s: big-endian dtype '%s' not supported: only little-endian ('<') files are read "
                         "(numpy: a.astype(a.dtype.newbyteorder('<')))", path, h->descr);
        goto done;
    }
    const int features = want_dims == 2;
    *dtype = npy_find_dtype(h->descr);
    if (!*dtype || (features && (*dtype)->kind != NPY_FLOAT)) {
        status = features
            ? mt_fail(err, MT_EINPUT, "%s: unsupported dtype '%s' for a feature matrix: expected '<f4' or '<f8'",
                      path, h->descr)
            : mt_fail(err, MT_EINPUT, "%s: unsupported dtype '%s' for labels: expected an integer "
                      "('|u1', '<i4', '<i8', ...) or float ('<f4', '<f8') type", path, h->descr);
        goto done;
    }
    if (h->ndims != want_dims) {
        status = mt_fail(err, MT_EINPUT, "%s: shape %s has %d dimension%s: expected %s", path, h->shape_text,
                         h->ndims, h->ndims == 1 ? "" : "s",
                         features ? "2 (a matrix of examples x features)" : "1 (a vector of labels)");
        goto done;
    }
    uint64_t total = (uint64_t)(*dtype)->size;
    for (int i = 0; i < h->ndims; i++) {
        if (total > NPY_MAX_PAYLOAD / h->shape[i]) {
            status = mt_fail(err, MT_EINPUT, "%s: shape %s of '%s' exceeds the limit of %llu bytes", path,
                             h->shape_text, h->descr, (unsigned long long)NPY_MAX_PAYLOAD);
            goto done;
        }
        total *= h->shape[i];
    }
    status = npy_read_payload(f, path, h, total, payload, err);
done:
    gzclose(f);
    return status;
}

static uint64_t npy_le(const uint8_t *b, int size)
{
    uint64_t v = 0;
    for (int i = size - 1; i >= 0; i--) v = v << 8 | b[i];
    return v;
}

/* ------------------------------------------------------------ public readers */

int mt_npy_read_matrix(const char *path, float **data, long *rows, int *cols, mt_error *err)
{
    if (!path || !data || !rows || !cols) return mt_fail(err, MT_EINTERNAL, "mt_npy_read_matrix: NULL argument");
    *data = NULL;
    *rows = 0;
    *cols = 0;
    npy_header h;
    const struct npy_dtype *dtype = NULL;
    uint8_t *raw = NULL;
    int status = npy_load(path, 2, &h, &dtype, &raw, err);
    if (status) return status;
    /* The payload cap keeps both within long and int. */
    long n = (long)h.shape[0];
    int dim = (int)h.shape[1];
    size_t count = (size_t)n * (size_t)dim;

    /* Convert in place: element i's float32 lands at byte 4i, at or before
     * where element i of the file starts, and after every element before it. */
    float *x = (float *)(void *)raw;
    for (size_t i = 0; i < count; i++) {
        float v;
        if (dtype->size == 4) {
            uint32_t bits = (uint32_t)npy_le(raw + 4 * i, 4);
            memcpy(&v, &bits, sizeof v);
        } else {
            uint64_t bits = npy_le(raw + 8 * i, 8);
            double d;
            memcpy(&d, &bits, sizeof d);
            /* At or beyond FLT_MAX + half an ulp a double rounds to Inf; checked
             * before converting (out-of-range conversion is undefined in C). */
            if (isfinite(d) && fabs(d) >= 0x1.ffffffp127) {
                status = mt_fail(err, MT_EINPUT, "%s: row %zu column %zu: value %g overflows float32", path,
                                 i / (size_t)dim, i % (size_t)dim, d);
                break;
            }
            v = (float)d;
        }
        if (!isfinite(v)) {
            status = mt_fail(err, MT_EINPUT, "%s: row %zu column %zu is %s: features must be finite", path,
                             i / (size_t)dim, i % (size_t)dim, isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf"));
            break;
        }
        memcpy(x + i, &v, sizeof v);
    }
    if (status) {
        free(raw);
        return status;
    }
    if (dtype->size == 8) {
        float *smaller = realloc(raw, count * sizeof *x);
        if (smaller) x = smaller; /* else keep the larger block */
    }
    *data = x;
    *rows = n;
    *cols = dim;
    return MT_OK;
}

int mt_npy_read_labels(const char *path, uint8_t **labels, long *n, int max_classes, mt_error *err)
{
    if (!path || !labels || !n) return mt_fail(err, MT_EINTERNAL, "mt_npy_read_labels: NULL argument");
    *labels = NULL;
    *n = 0;
    if (max_classes < 1 || max_classes > 256)
        return mt_fail(err, MT_EINPUT, "%s: classes = %d: expected 1 to 256 (labels are bytes)", path,
                       max_classes);
    npy_header h;
    const struct npy_dtype *dtype = NULL;
    uint8_t *raw = NULL;
    int status = npy_load(path, 1, &h, &dtype, &raw, err);
    if (status) return status;
    long count = (long)h.shape[0];
    const int size = dtype->size;
    /* In place again: label i (1 byte) lands at or before element i's bytes. */
    for (long i = 0; i < count && !status; i++) {
        uint64_t bits = npy_le(raw + (size_t)i * (size_t)size, size);
        if (dtype->kind == NPY_FLOAT) {
            double v;
            if (size == 4) {
                float fv;
                uint32_t b32 = (uint32_t)bits;
                memcpy(&fv, &b32, sizeof fv);
                v = fv;
            } else {
                memcpy(&v, &bits, sizeof v);
            }
            if (!isfinite(v) || v != floor(v))
                status = mt_fail(err, MT_EINPUT, "%s: example %ld has label %g, which is not an integer", path, i, v);
            else if (v < 0 || v >= max_classes)
                status = mt_fail(err, MT_EINPUT, "%s: example %ld has label %.0f, expected 0 to %d", path, i, v,
                                 max_classes - 1);
            else
                raw[i] = (uint8_t)v;
        } else if (dtype->kind == NPY_INT) {
            /* Sign-extend from `size` bytes. */
            int shift = 64 - 8 * size;
            int64_t v = (int64_t)(bits << shift) >> shift;
            if (v < 0 || v >= max_classes)
                status = mt_fail(err, MT_EINPUT, "%s: example %ld has label %lld, expected 0 to %d", path, i,
                                 (long long)v, max_classes - 1);
            else
                raw[i] = (uint8_t)v;
        } else {
            if (bits >= (uint64_t)max_classes)
                status = mt_fail(err, MT_EINPUT, "%s: example %ld has label %llu, expected 0 to %d", path, i,
                                 (unsigned long long)bits, max_classes - 1);
            else
                raw[i] = (uint8_t)bits;
        }
    }
    if (status) {
        free(raw);
        return status;
    }
    if (size > 1) {
        uint8_t *smaller = realloc(raw, (size_t)count);
        if (smaller) raw = smaller;
    }
    *labels = raw;
    *n = count;
    return MT_OK;
}

int mt_dataset_load_npy(const char *features, const char *labels, int classes, long limit,
                        const char *name, mt_dataset *out, mt_error *err)
{
    if (!features || !labels || !out) return mt_fail(err, MT_EINTERNAL, "mt_dataset_load_npy: NULL argument");
    memset(out, 0, sizeof *out);
    if (classes < 1 || classes > 256)
        return mt_fail(err, MT_EINPUT, "%s: classes = %d: expected 1 to 256 (labels are bytes)", labels, classes);
    float *x = NULL;
    uint8_t *y = NULL;
    long rows = 0, n_labels = 0;
    int cols = 0;
    int status = mt_npy_read_matrix(features, &x, &rows, &cols, err);
    if (status) return status;
    status = mt_npy_read_labels(labels, &y, &n_labels, classes, err);
    if (status) {
        free(x);
        return status;
    }
    if (rows != n_labels) {
        free(x);
        free(y);
        return mt_fail(err, MT_EINPUT, "%s holds %ld rows but %s holds %ld labels", features, rows, labels,
                       n_labels);
    }
    long n = rows;
    if (limit > 0 && limit < n) {
        n = limit;
        /* Shrinking cannot fail in practice; if it does, the larger blocks serve. */
        float *sx = realloc(x, (size_t)n * (size_t)cols * sizeof *x);
        if (sx) x = sx;
        uint8_t *sy = realloc(y, (size_t)n);
        if (sy) y = sy;
    }
    out->n = n;
    out->dim = cols;
    out->classes = classes;
    out->x = x;
    out->y = y;
    mt_data_settle_features(out);
    mt_data_set_name(out, name, features);
    return MT_OK;
}

/* ------------------------------------------------------------------ scaling */

/* The k-th smallest (0-based) of the bit patterns of |x| over d, by a two-pass
 * radix select on 16-bit halves.  For non-negative IEEE floats the bit pattern
 * orders like the value (NaN, which loaded datasets never hold, above +Inf).
 * *below and *equal receive how many patterns are smaller than and equal to the
 * result. */
static uint32_t abs_select(const float *x, size_t count, size_t k, size_t *below, size_t *equal)
{
    size_t *hist = calloc(65536, sizeof *hist);
    if (!hist) return UINT32_MAX;
    for (size_t i = 0; i < count; i++) {
        uint32_t b;
        memcpy(&b, x + i, sizeof b);
        hist[(b & 0x7FFFFFFFu) >> 16]++;
    }
    size_t before = 0;
    uint32_t high = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        if (before + hist[h] > k) {
            high = h;
            break;
        }
        before += hist[h];
    }
    memset(hist, 0, 65536 * sizeof *hist);
    for (size_t i = 0; i < count; i++) {
        uint32_t b;
        memcpy(&b, x + i, sizeof b);
        b &= 0x7FFFFFFFu;
        if (b >> 16 == high) hist[b & 0xFFFFu]++;
    }
    uint32_t low = 0;
    for (uint32_t l = 0; l < 65536; l++) {
        if (before + hist[l] > k) {
            low = l;
            break;
        }
        before += hist[l];
    }
    *below = before;
    *equal = hist[low];
    free(hist);
    return high << 16 | low;
}

float mt_dataset_abs_quantile(const mt_dataset *d, double q)
{
    if (!d || !d->x || d->n <= 0 || d->dim <= 0 || !(q >= 0.0 && q <= 1.0)) return NAN;
    size_t count = (size_t)d->n * (size_t)d->dim;
    double pos = q * (double)(count - 1);
    size_t k = (size_t)floor(pos);
    if (k > count - 1) k = count - 1;
    double frac = pos - (double)k;
    size_t below = 0, equal = 0;
    uint32_t bits = abs_select(d->x, count, k, &below, &equal);
    if (bits == UINT32_MAX) return NAN; /* out of memory for the histogram */
    float lo;
    memcpy(&lo, &bits, sizeof lo);
    if (frac == 0.0 || k + 1 >= count) return lo;
    /* The next order statistic: lo again if lo repeats past rank k, else the
     * smallest |x| above lo. */
    float hi = lo;
    if (below + equal <= k + 1) {
        uint32_t next = UINT32_MAX;
        for (size_t i = 0; i < count; i++) {
            uint32_t b;
            memcpy(&b, d->x + i, sizeof b);
            b &= 0x7FFFFFFFu;
            if (b > bits && b < next) next = b;
        }
        memcpy(&hi, &next, sizeof hi);
    }
    return (float)((double)lo + frac * ((double)hi - (double)lo));
}

void mt_dataset_scale(mt_dataset *d, float factor)
{
    if (!d || !d->x || d->n <= 0 || d->dim <= 0) return;
    size_t count = (size_t)d->n * (size_t)d->dim;
    for (size_t i = 0; i < count; i++) d->x[i] *= factor;
}
