/* idx.c — reader for the IDX format of LeCun's MNIST files (mt_idx_read).
 *
 * Layout: two zero bytes, a type byte, a dimension count, one big-endian uint32
 * per dimension, then prod(dims) items.  The reader is deliberately strict: a
 * dataset that is silently short, long or of another type would train on the
 * wrong data without anyone noticing, so every deviation is an error naming the
 * file.  Input goes through zlib's gz* calls, which read plain and gzip files
 * alike (detected by content, not by name). */
#include <stdint.h>
#include <stdlib.h>

#include "data/data_internal.h"

#define IDX_TYPE_UBYTE 0x08
#define IDX_MAX_DIMS 4
/* Largest payload accepted: beyond it a single malloc and int-sized index math
 * elsewhere in memtrain stop being safe, and no real dataset file comes close. */
#define IDX_MAX_PAYLOAD ((uint64_t)1 << 31)
/* The payload buffer grows toward its final size instead of being allocated from
 * the header at once, so a corrupt header claiming 2 GiB costs nothing before the
 * short file is discovered. */
#define IDX_FIRST_CHUNK ((uint64_t)1 << 20)
/* gzread takes an unsigned and returns an int: read in pieces below INT_MAX. */
#define IDX_MAX_READ ((uint64_t)1 << 30)

/* The IDX type codes, named for error messages. */
static const char *idx_type_name(int type)
{
    switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "not an IDX type";
    }
}

static uint32_t idx_big_endian_u32(const uint8_t b[4])
{
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | (uint32_t)b[3];
}

/* Read up to len bytes into buf; returns how many arrived before end of file or
 * error.  The caller tells those apart with gzerror: zlib reports a gzip stream
 * that stops early as Z_BUF_ERROR, not as a failed read. */
static uint64_t idx_read_bytes(gzFile f, uint8_t *buf, uint64_t len)
{
    uint64_t have = 0;
    while (have < len) {
        uint64_t want = len - have < IDX_MAX_READ ? len - have : IDX_MAX_READ;
        int got = gzread(f, buf + have, (unsigned)want);
        if (got <= 0) break;
        have += (uint64_t)got;
    }
    return have;
}

/* zlib's status after a short read: Z_OK (plain end of file), Z_BUF_ERROR (gzip
 * stream ends early) or a real error. */
static int idx_gz_status(gzFile f)
{
    int code = Z_OK;
    gzerror(f, &code);
    return code;
}

/* Explain a short read of `what`: a zlib error if there was one, else truncation. */
static int idx_fail_short(gzFile f, const char *path, const char *what, uint64_t expected,
                          uint64_t found, mt_error *err)
{
    int code = idx_gz_status(f);
    if (code != Z_OK && code != Z_BUF_ERROR) return mt_data_gzfail(f, path, err);
    return mt_fail(err, MT_EINPUT, "%s: truncated%s: expected %llu %s bytes, found %llu%s", path,
                   strcmp(what, "payload") == 0 ? "" : " header", (unsigned long long)expected,
                   what, (unsigned long long)found,
                   code == Z_BUF_ERROR ? " (gzip stream ends early)" : "");
}

/* Read and check the magic number and dimensions; on success *total is the
 * payload size in bytes. */
static int idx_read_header(gzFile f, const char *path, int *ndims, uint32_t dims[IDX_MAX_DIMS],
                           uint64_t *total, mt_error *err)
{
    uint8_t magic[4];
    uint64_t got = idx_read_bytes(f, magic, sizeof magic);
    if (got == 0 && idx_gz_status(f) == Z_OK)
        return mt_fail(err, MT_EINPUT, "%s: empty file: expected an IDX header", path);
    if (got < sizeof magic) return idx_fail_short(f, path, "magic-number", sizeof magic, got, err);
    if (magic[0] != 0 || magic[1] != 0)
        return mt_fail(err, MT_EINPUT,
                       "%s: not an IDX file: magic number starts 0x%02X 0x%02X, expected 0x00 0x00",
                       path, magic[0], magic[1]);
    if (magic[2] != IDX_TYPE_UBYTE)
        return mt_fail(err, MT_EINPUT,
                       "%s: unsupported IDX data type 0x%02X (%s): only 0x08 (unsigned byte) is supported",
                       path, magic[2], idx_type_name(magic[2]));
    int nd = magic[3];
    if (nd < 1 || nd > IDX_MAX_DIMS)
        return mt_fail(err, MT_EINPUT, "%s: unsupported IDX dimension count %d: expected 1 to %d",
                       path, nd, IDX_MAX_DIMS);

    uint8_t raw[4 * IDX_MAX_DIMS];
    uint64_t want = 4 * (uint64_t)nd;
    got = idx_read_bytes(f, raw, want);
    if (got < want) return idx_fail_short(f, path, "dimension", want, got, err);

    uint64_t product = 1;
    for (int i = 0; i < nd; i++) {
        dims[i] = idx_big_endian_u32(raw + 4 * i);
        if (dims[i] == 0)
            return mt_fail(err, MT_EINPUT, "%s: dimension %d of %d is 0: expected at least 1",
                           path, i + 1, nd);
        /* Dividing first keeps the check itself from overflowing. */
        if (product > IDX_MAX_PAYLOAD / dims[i]) {
            char shape[64] = "";
            for (int j = 0; j < nd; j++) {
                size_t used = strlen(shape);
                snprintf(shape + used, sizeof shape - used, "%s%lu", j ? " x " : "",
                         (unsigned long)idx_big_endian_u32(raw + 4 * j));
            }
            return mt_fail(err, MT_EINPUT, "%s: dimensions %s exceed the limit of %llu bytes", path,
                           shape, (unsigned long long)IDX_MAX_PAYLOAD);
        }
        product *= dims[i];
    }
    *ndims = nd;
    *total = product;
    return MT_OK;
}

/* Read exactly `total` payload bytes into a new buffer, then make sure nothing
 * follows them (reading on also makes zlib verify the gzip CRC and length). */
static int idx_read_payload(gzFile f, const char *path, uint64_t total, uint8_t **out, mt_error *err)
{
    uint64_t capacity = total < IDX_FIRST_CHUNK ? total : IDX_FIRST_CHUNK;
    uint8_t *buf = malloc(capacity);
    if (!buf) return mt_fail(err, MT_ENOMEM, "%s: out of memory for %llu payload bytes", path,
                             (unsigned long long)total);
    uint64_t have = 0;
    for (;;) {
        uint64_t got = idx_read_bytes(f, buf + have, capacity - have);
        have += got;
        if (have < capacity || capacity == total) break;
        uint64_t grown = capacity * 2 < total ? capacity * 2 : total;
        uint8_t *bigger = realloc(buf, grown);
        if (!bigger) {
            free(buf);
            return mt_fail(err, MT_ENOMEM, "%s: out of memory for %llu payload bytes", path,
                           (unsigned long long)total);
        }
        buf = bigger;
        capacity = grown;
    }
    if (have < total) {
        free(buf);
        return idx_fail_short(f, path, "payload", total, have, err);
    }

    uint8_t extra;
    int got = gzread(f, &extra, 1);
    if (got > 0) {
        free(buf);
        return mt_fail(err, MT_EINPUT, "%s: trailing data after %llu payload bytes", path,
                       (unsigned long long)total);
    }
    if (idx_gz_status(f) != Z_OK) {
        /* Includes a gzip stream cut off after the payload but before its
         * checksum: the data may be intact, but nothing vouches for it. */
        free(buf);
        return mt_data_gzfail(f, path, err);
    }
    *out = buf;
    return MT_OK;
}

int mt_idx_read(const char *path, uint8_t **data, int *ndims, uint32_t dims[4], mt_error *err)
{
    if (!path || !data || !ndims || !dims)
        return mt_fail(err, MT_EINTERNAL, "mt_idx_read: NULL argument");
    *data = NULL;
    *ndims = 0;
    memset(dims, 0, IDX_MAX_DIMS * sizeof dims[0]);

    gzFile f;
    int status = mt_data_gzopen(path, &f, err);
    if (status) return status;

    int nd = 0;
    uint32_t shape[IDX_MAX_DIMS] = {0};
    uint64_t total = 0;
    uint8_t *payload = NULL;
    status = idx_read_header(f, path, &nd, shape, &total, err);
    if (!status) status = idx_read_payload(f, path, total, &payload, err);
    gzclose(f);
    if (status) return status;

    *data = payload;
    *ndims = nd;
    memcpy(dims, shape, sizeof shape);
    return MT_OK;
}
