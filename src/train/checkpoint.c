/* checkpoint.c — see checkpoint.h for the format and the guarantees. */
#include "train/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "array/tile.h"
#include "net/network_internal.h"
#include "util/error.h"
#include "util/params.h"

static const char MAGIC[8] = {'M', 'T', 'C', 'K', 'P', 'T', '\r', '\n'};

/* ------------------------------------------------------------------ writing */

typedef struct buffer {
    unsigned char *data;
    size_t len, cap;
    int failed;
} buffer;

static void put(buffer *b, const void *src, size_t n)
{
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 20;
        while (cap < b->len + n) cap *= 2;
        unsigned char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

static void put_u32(buffer *b, uint32_t v)
{
    unsigned char le[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 24)};
    put(b, le, 4);
}

static void put_u64(buffer *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

/* One record: name, length, bytes.  Numbers are stored in the machine's
 * representation (IEEE floats, little-endian on every platform memtrain builds on). */
static void record(buffer *b, const char *name, const void *data, size_t n)
{
    put_u32(b, (uint32_t)strlen(name));
    put(b, name, strlen(name));
    put_u64(b, (uint64_t)n);
    put(b, data, n);
}

static void put_tile(buffer *b, const tile *t)
{
    int32_t shape[3] = {(int32_t)t->kind, t->rows, t->cols};
    record(b, "tile", shape, sizeof shape);
    tile_field fields[TILE_FIELDS];
    tile_state_fields(t, fields);
    for (int k = 0; k < TILE_FIELDS; k++)
        if (fields[k].data) record(b, fields[k].name, fields[k].data, fields[k].bytes);
    double scalars[7] = {t->shared_z, t->frame_time_s, t->decay, t->inv_decay,
                         t->programmed_time_s, t->now_s, (double)t->polarity};
    record(b, "scalars", scalars, sizeof scalars);
    record(b, "example", &t->example, sizeof t->example);
    record(b, "counters", &t->counters, sizeof t->counters);
}

static void put_network(buffer *b, const char *name, mt_network *net)
{
    int32_t layers = net ? mt_network_layers(net) : 0;
    record(b, name, &layers, sizeof layers);
    for (int l = 0; l < layers; l++) put_tile(b, network_tile(net, l));
}

/* Results are stored field by field (the struct holds a pointer). */
typedef struct stored_result {
    int32_t epoch, pad;
    double lr, train_acc, test_acc, twin_train_acc, twin_test_acc, online_acc;
    uint64_t examples, transfers;
    double sim_time_s, seconds;
    mt_counters counters;
} stored_result;

static int write_all(const char *path, const buffer *b, mt_error *err)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return mt_fail(err, MT_EOUTPUT, "%s: checkpoint path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return mt_fail(err, MT_EOUTPUT, "%s: cannot write checkpoint: %s", tmp, strerror(errno));
    size_t done = 0;
    while (done < b->len) {
        ssize_t w = write(fd, b->data + done, b->len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            close(fd);
            unlink(tmp);
            return mt_fail(err, MT_EOUTPUT, "%s: checkpoint write failed: %s (the previous checkpoint is intact)",
                           path, strerror(e));
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return mt_fail(err, MT_EOUTPUT, "%s: checkpoint write failed: %s (the previous checkpoint is intact)",
                       path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return mt_fail(err, MT_EOUTPUT, "%s: cannot replace checkpoint: %s", path, strerror(e));
    }
    /* Make the rename itself durable. */
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return MT_OK;
}

int checkpoint_write(const char *path, const mt_params *p, const run_progress *progress,
                     mt_network *net, mt_network *twin, mt_error *err)
{
    buffer b = {NULL, 0, 0, 0};
    put(&b, MAGIC, sizeof MAGIC);
    put_u32(&b, CHECKPOINT_VERSION);

    char *text = NULL;
    size_t text_len = 0;
    FILE *mem = open_memstream(&text, &text_len);
    if (!mem) return mt_fail(err, MT_ENOMEM, "out of memory writing a checkpoint");
    mt_params_write(p, mem);
    fclose(mem);
    record(&b, "params", text, text_len + 1);
    free(text);

    int64_t pos[5] = {progress->epoch, progress->k, (int64_t)progress->example,
                      progress->online_right, progress->n_results};
    record(&b, "progress", pos, sizeof pos);
    for (int e = 0; e < progress->n_results; e++) {
        const mt_epoch_result *r = &progress->results[e];
        stored_result s = {r->epoch, 0, r->lr, r->train_acc, r->test_acc, r->twin_train_acc,
                           r->twin_test_acc, r->online_acc, r->examples, r->transfers,
                           r->sim_time_s, r->seconds, r->counters};
        record(&b, "result", &s, sizeof s);
    }
    put_network(&b, "network", net);
    put_network(&b, "twin", twin);
    uint32_t crc = (uint32_t)crc32(0L, b.data, (uInt)b.len);
    record(&b, "end", &crc, sizeof crc);
    int rc = b.failed ? mt_fail(err, MT_ENOMEM, "out of memory writing a checkpoint")
                      : write_all(path, &b, err);
    free(b.data);
    return rc;
}

/* ------------------------------------------------------------------ reading */

typedef struct reader {
    const unsigned char *data;
    size_t len, pos;
    const char *path;
    mt_error *err;
} reader;

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* The next record must be `name` with exactly `n` bytes; copies them to dst. */
static int expect(reader *r, const char *name, void *dst, size_t n)
{
    if (r->len - r->pos < 4) goto truncated;
    uint32_t name_len = (uint32_t)get_le(r->data + r->pos, 4);
    if (name_len > 64 || r->len - r->pos - 4 < (size_t)name_len + 8) goto truncated;
    const char *got = (const char *)r->data + r->pos + 4;
    if (name_len != strlen(name) || memcmp(got, name, name_len) != 0)
        return mt_fail(r->err, MT_EINPUT, "%s: checkpoint has record '%.*s' where '%s' was expected "
                       "(written by another version or for another network?)",
                       r->path, (int)name_len, got, name);
    uint64_t len = get_le(r->data + r->pos + 4 + name_len, 8);
    r->pos += 4 + name_len + 8;
    if (len != n)
        return mt_fail(r->err, MT_EINPUT, "%s: checkpoint record '%s' has %llu bytes, expected %zu "
                       "(different network shape or parameters?)",
                       r->path, name, (unsigned long long)len, n);
    if (r->len - r->pos < n) goto truncated;
    if (dst) memcpy(dst, r->data + r->pos, n);
    r->pos += n;
    return MT_OK;
truncated:
    return mt_fail(r->err, MT_EINPUT, "%s: checkpoint is truncated", r->path);
}

static int get_tile(reader *r, tile *t)
{
    int32_t shape[3];
    int rc = expect(r, "tile", shape, sizeof shape);
    if (rc) return rc;
    if (shape[0] != (int32_t)t->kind || shape[1] != t->rows || shape[2] != t->cols)
        return mt_fail(r->err, MT_EINPUT, "%s: checkpoint tile %d is %dx%d of kind %d, expected %dx%d of kind %d",
                       r->path, t->index, shape[1], shape[2], shape[0], t->rows, t->cols, (int)t->kind);
    tile_field fields[TILE_FIELDS];
    tile_state_fields(t, fields);
    for (int k = 0; k < TILE_FIELDS; k++)
        if (fields[k].data && (rc = expect(r, fields[k].name, fields[k].data, fields[k].bytes))) return rc;
    double scalars[7];
    if ((rc = expect(r, "scalars", scalars, sizeof scalars))) return rc;
    for (int k = 0; k < 7; k++)
        if (!isfinite(scalars[k]))
            return mt_fail(r->err, MT_EINPUT, "%s: checkpoint tile %d has a non-finite state value",
                           r->path, t->index);
    if (scalars[6] != 1.0 && scalars[6] != -1.0)
        return mt_fail(r->err, MT_EINPUT, "%s: checkpoint tile %d has polarity %g (must be +1 or -1)",
                       r->path, t->index, scalars[6]);
    if (t->kind == MT_CELL_2PCM3T1C && !(scalars[2] > 0.0 && scalars[3] > 0.0))
        return mt_fail(r->err, MT_EINPUT, "%s: checkpoint tile %d has a non-positive leak factor",
                       r->path, t->index);
    t->shared_z = (float)scalars[0];
    t->frame_time_s = scalars[1];
    t->decay = t->read_decay = scalars[2]; /* a checkpoint is taken between examples */
    t->inv_decay = scalars[3];
    t->programmed_time_s = scalars[4];
    t->now_s = scalars[5];
    t->polarity = (int)scalars[6];
    if ((rc = expect(r, "example", &t->example, sizeof t->example))) return rc;
    t->read_example = t->example;
    return expect(r, "counters", &t->counters, sizeof t->counters);
}

static int get_network(reader *r, const char *name, mt_network *net)
{
    int32_t layers;
    int rc = expect(r, name, &layers, sizeof layers);
    if (rc) return rc;
    int want = net ? mt_network_layers(net) : 0;
    if (layers != want)
        return mt_fail(r->err, MT_EINPUT, "%s: checkpoint '%s' has %d layers, expected %d", r->path,
                       name, layers, want);
    for (int l = 0; l < layers; l++)
        if ((rc = get_tile(r, network_tile(net, l)))) return rc;
    return MT_OK;
}

/* Read the file, check magic, version and checksum. */
static int load(const char *path, reader *r, unsigned char **owned, mt_error *err)
{
    *owned = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return mt_fail(err, MT_EINPUT, "%s: cannot open checkpoint: %s", path, strerror(errno));
    size_t cap = 1 << 20, len = 0;
    unsigned char *data = malloc(cap);
    size_t got;
    while (data && (got = fread(data + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            unsigned char *grown = realloc(data, cap * 2);
            if (!grown) {
                free(data);
                data = NULL;
                break;
            }
            data = grown;
            cap *= 2;
        }
    }
    int read_error = ferror(f);
    fclose(f);
    if (!data) return mt_fail(err, MT_ENOMEM, "%s: out of memory reading checkpoint", path);
    if (read_error) {
        free(data);
        return mt_fail(err, MT_EINPUT, "%s: read error", path);
    }
    *owned = data;
    r->data = data;
    r->len = len;
    r->pos = 0;
    r->path = path;
    r->err = err;
    const size_t trailer = 4 + 3 + 8 + 4;
    if (len < sizeof MAGIC + 4 + trailer || memcmp(data, MAGIC, sizeof MAGIC) != 0)
        return mt_fail(err, MT_EINPUT, "%s: not a memtrain checkpoint", path);
    uint32_t version = (uint32_t)get_le(data + sizeof MAGIC, 4);
    if (version != CHECKPOINT_VERSION)
        return mt_fail(err, MT_EINPUT, "%s: checkpoint format version %u, this memtrain reads %u",
                       path, version, CHECKPOINT_VERSION);
    const unsigned char *end = data + len - trailer;
    if (get_le(end, 4) != 3 || memcmp(end + 4, "end", 3) != 0 || get_le(end + 7, 8) != 4)
        return mt_fail(err, MT_EINPUT, "%s: checkpoint is truncated (no end record)", path);
    uint32_t stored = (uint32_t)get_le(end + 15, 4);
    uint32_t actual = (uint32_t)crc32(0L, data, (uInt)(len - trailer));
    if (stored != actual)
        return mt_fail(err, MT_EINPUT, "%s: checkpoint checksum mismatch (stored %08x, computed %08x): "
                       "the file is corrupt; refusing to resume from it", path, stored, actual);
    r->len = len - trailer;
    r->pos = sizeof MAGIC + 4;
    return MT_OK;
}

static int read_params_record(reader *r, mt_params *p)
{
    if (r->len - r->pos < 4) return mt_fail(r->err, MT_EINPUT, "%s: checkpoint is truncated", r->path);
    /* the params record's length is not known in advance: peek at it */
    uint32_t name_len = (uint32_t)get_le(r->data + r->pos, 4);
    if (name_len != 6 || r->len - r->pos < 4 + 6 + 8)
        return mt_fail(r->err, MT_EINPUT, "%s: checkpoint has no parameters", r->path);
    uint64_t n = get_le(r->data + r->pos + 10, 8);
    if (n == 0 || n > r->len - r->pos - 18 || r->data[r->pos + 18 + n - 1] != '\0')
        return mt_fail(r->err, MT_EINPUT, "%s: checkpoint parameters are malformed", r->path);
    const char *text = (const char *)r->data + r->pos + 18;
    int rc = expect(r, "params", NULL, (size_t)n);
    if (rc) return rc;
    mt_params_default(p);
    char origin[4200];
    snprintf(origin, sizeof origin, "%s (parameters)", r->path);
    if ((rc = params_load_string(p, text, origin, r->err))) return rc;
    return mt_params_validate(p, r->err);
}

int checkpoint_read_params(const char *path, mt_params *p, mt_error *err)
{
    reader r;
    unsigned char *owned;
    int rc = load(path, &r, &owned, err);
    if (rc == MT_OK) rc = read_params_record(&r, p);
    free(owned);
    return rc;
}

int checkpoint_read(const char *path, run_progress *progress, mt_network *net, mt_network *twin,
                    mt_error *err)
{
    reader r;
    unsigned char *owned;
    mt_params p;
    progress->results = NULL;
    int rc = load(path, &r, &owned, err);
    if (rc == MT_OK) rc = read_params_record(&r, &p);
    int64_t pos[5];
    if (rc == MT_OK) rc = expect(&r, "progress", pos, sizeof pos);
    if (rc == MT_OK && (pos[0] < 0 || pos[1] < 0 || pos[4] < 0 || pos[4] > CHECKPOINT_MAX_EPOCHS))
        rc = mt_fail(err, MT_EINPUT, "%s: checkpoint progress is malformed", path);
    if (rc == MT_OK) {
        progress->epoch = (int)pos[0];
        progress->k = (long)pos[1];
        progress->example = (uint64_t)pos[2];
        progress->online_right = (long)pos[3];
        progress->n_results = (int)pos[4];
        progress->results = calloc((size_t)progress->n_results + 1, sizeof *progress->results);
        if (!progress->results) rc = mt_fail(err, MT_ENOMEM, "out of memory");
    }
    for (int e = 0; rc == MT_OK && e < progress->n_results; e++) {
        stored_result s;
        rc = expect(&r, "result", &s, sizeof s);
        mt_epoch_result *out = &progress->results[e];
        out->epoch = s.epoch;
        out->lr = s.lr;
        out->train_acc = s.train_acc;
        out->test_acc = s.test_acc;
        out->twin_train_acc = s.twin_train_acc;
        out->twin_test_acc = s.twin_test_acc;
        out->online_acc = s.online_acc;
        out->examples = s.examples;
        out->transfers = s.transfers;
        out->sim_time_s = s.sim_time_s;
        out->seconds = s.seconds;
        out->counters = s.counters;
    }
    if (rc == MT_OK) rc = get_network(&r, "network", net);
    if (rc == MT_OK) rc = get_network(&r, "twin", twin);
    if (rc == MT_OK && r.pos != r.len)
        rc = mt_fail(err, MT_EINPUT, "%s: checkpoint has %zu unexpected bytes", path, r.len - r.pos);
    if (rc) {
        free(progress->results);
        progress->results = NULL;
    }
    free(owned);
    return rc;
}
