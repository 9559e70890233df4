/* fuzz_idx.c — libFuzzer harness for the IDX reader (src/data/idx.c: mt_idx_read)
 * and the image/label pairing on top of it (src/data/dataset.c: mt_dataset_load_idx).
 *
 * Input layout: one control byte, then the file contents.
 *   bit 0   gzip the contents in memory (zlib, gzip framing) before writing, so
 *           the parser is exercised through zlib's inflating path too;
 *   bit 1   (with bit 0) cut the gzip stream short by (byte >> 4) + 1 bytes:
 *           the "gzip stream ends early" paths;
 *   bit 2   dataset mode: the contents are u16 (little-endian) L, then L bytes
 *           of an image file, then a label file; both go to
 *           mt_dataset_load_idx(classes 10, limit = byte >> 4);
 *   otherwise mt_idx_read on the single file.
 * A control byte of 0x00 followed by a real .gz file tests zlib on foreign
 * compressed data (the corpus has such seeds).
 * Checked on success: 1..4 dimensions, none zero, a payload of exactly
 * prod(dims) bytes (every byte is read under ASan); for datasets, n >= 1,
 * dim >= 1, labels < classes, features in [0, 1]. */
#include <zlib.h>

#include "fuzz_common.h"

/* gzip data[0..n) into a new buffer; *out_len receives its length. */
static unsigned char *gzip_bytes(const uint8_t *data, size_t n, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    size_t cap = deflateBound(&z, (uLong)n) + 32;
    unsigned char *out = malloc(cap);
    if (!out) abort();
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

/* Write one file of the input, gzipped and truncated as the control byte says. */
static void write_member(const char *path, uint8_t control, const uint8_t *data, size_t n)
{
    if (!(control & 1)) {
        fuzz_write_file(path, data, n);
        return;
    }
    size_t len;
    unsigned char *gz = gzip_bytes(data, n, &len);
    if (control & 2) {
        size_t cut = (size_t)(control >> 4) + 1;
        len = cut < len ? len - cut : 0;
    }
    fuzz_write_file(path, gz, len);
    free(gz);
}

static void check_idx(const char *path)
{
    uint8_t *payload = NULL;
    int ndims = -1;
    uint32_t dims[4];
    mt_error err;
    int rc = mt_idx_read(path, &payload, &ndims, dims, &err);
    if (rc != MT_OK) {
        FUZZ_ASSERT(payload == NULL, "payload left allocated after error %d", rc);
        FUZZ_ASSERT(err.message[0] != '\0', "error %d without a message", rc);
        return;
    }
    FUZZ_ASSERT(ndims >= 1 && ndims <= 4, "ndims = %d", ndims);
    uint64_t total = 1;
    for (int i = 0; i < ndims; i++) {
        FUZZ_ASSERT(dims[i] > 0, "dims[%d] = 0", i);
        total *= dims[i];
    }
    FUZZ_ASSERT(total <= ((uint64_t)1 << 31), "payload of %llu bytes", (unsigned long long)total);
    fuzz_touch(payload, (size_t)total);
    free(payload);
}

static void check_dataset(const char *images, const char *labels, long limit)
{
    mt_dataset d;
    mt_error err;
    int rc = mt_dataset_load_idx(images, labels, 10, limit, "fuzz", &d, &err);
    if (rc != MT_OK) {
        FUZZ_ASSERT(err.message[0] != '\0', "error %d without a message", rc);
        return;
    }
    FUZZ_ASSERT(d.n >= 1 && d.dim >= 1 && d.classes == 10, "n %ld dim %d classes %d", d.n, d.dim,
                d.classes);
    FUZZ_ASSERT(limit <= 0 || d.n <= limit, "n %ld exceeds limit %ld", d.n, limit);
    for (long i = 0; i < d.n; i++) FUZZ_ASSERT(d.y[i] < 10, "label %d", d.y[i]);
    for (size_t i = 0; i < (size_t)d.n * (size_t)d.dim; i++)
        FUZZ_ASSERT(d.x[i] >= 0.0f && d.x[i] <= 1.0f, "feature %g", (double)d.x[i]);
    mt_dataset_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const uint8_t control = data[0];
    data++;
    size--;
    const char *first = fuzz_temp_path("idx", 0, NULL);
    if (!(control & 4)) {
        write_member(first, control, data, size);
        check_idx(first);
        return 0;
    }
    if (size < 2) return 0;
    size_t image_len = (size_t)data[0] | ((size_t)data[1] << 8);
    data += 2;
    size -= 2;
    if (image_len > size) image_len = size;
    const char *second = fuzz_temp_path("idx", 1, NULL);
    write_member(first, control, data, image_len);
    write_member(second, control, data + image_len, size - image_len);
    check_dataset(first, second, (long)(control >> 4));
    return 0;
}
