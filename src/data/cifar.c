/* cifar.c — reader for the binary version of CIFAR-10 and CIFAR-100
 * (mt_dataset_load_cifar_bin).
 *
 * A file is a sequence of fixed-size records and nothing else: no header, no
 * magic number.  CIFAR-10 records are 1 label byte (0..9) and 3072 pixel bytes;
 * CIFAR-100 records are a coarse label (0..19), a fine label (0..99) and 3072
 * pixel bytes.  The pixels are three 32 x 32 planes, red, green, blue, each
 * row-major.  With no header, the record size and the label ranges are the only
 * checks there are, so all of them are made on every record, also those a limit
 * leaves out.  Records are streamed through zlib's gz* calls (plain or gzip);
 * only the kept ones are stored. */
#include <stdint.h>
#include <stdlib.h>

#include "data/data_internal.h"

#define CIFAR_PIXELS 3072
#define CIFAR100_COARSE 20

int mt_dataset_load_cifar_bin(const char *path, int classes, long limit, const char *name,
                              mt_dataset *out, mt_error *err)
{
    if (!path || !out) return mt_fail(err, MT_EINTERNAL, "mt_dataset_load_cifar_bin: NULL argument");
    memset(out, 0, sizeof *out);
    if (classes != 10 && classes != 100)
        return mt_fail(err, MT_EINPUT, "%s: classes = %d: expected 10 (CIFAR-10) or 100 (CIFAR-100)", path,
                       classes);
    const size_t labels = classes == 10 ? 1 : 2;
    const size_t record = labels + CIFAR_PIXELS;
    const size_t other_record = classes == 10 ? CIFAR_PIXELS + 2 : CIFAR_PIXELS + 1;

    gzFile f;
    int status = mt_data_gzopen(path, &f, err);
    if (status) return status;

    uint8_t buf[CIFAR_PIXELS + 2];
    mt_dataset d = {.dim = CIFAR_PIXELS, .classes = classes};
    long capacity = 0, records = 0;
    size_t partial = 0; /* bytes of an incomplete last record */
    /* The first bad label is kept while the rest of the file is read: when the
     * size is wrong too, "not a CIFAR-N file" is the better explanation. */
    mt_error label_err = {0};
    int label_status = MT_OK;
    for (;;) {
        size_t got = mt_data_gzread_full(f, buf, record);
        if (got < record) {
            partial = got;
            break;
        }
        int coarse = labels == 2 ? buf[0] : 0, label = buf[labels - 1];
        if (!label_status && coarse >= CIFAR100_COARSE)
            label_status = mt_fail(&label_err, MT_EINPUT, "%s: record %ld has coarse label %d, expected 0 to %d",
                                   path, records, coarse, CIFAR100_COARSE - 1);
        if (!label_status && label >= classes)
            label_status = mt_fail(&label_err, MT_EINPUT, "%s: record %ld has %slabel %d, expected 0 to %d", path,
                                   records, labels == 2 ? "fine " : "", label, classes - 1);
        if (!label_status && (limit <= 0 || records < limit)) {
            if (d.n == capacity) {
                long grown = capacity ? capacity * 2 : 256;
                if (limit > 0 && grown > limit) grown = limit;
                float *x = realloc(d.x, (size_t)grown * CIFAR_PIXELS * sizeof *x);
                if (x) d.x = x;
                uint8_t *y = x ? realloc(d.y, (size_t)grown) : NULL;
                if (y) d.y = y;
                if (!x || !y) {
                    status = mt_fail(err, MT_ENOMEM, "%s: out of memory for %ld images", path, grown);
                    break;
                }
                capacity = grown;
            }
            float *row = d.x + (size_t)d.n * CIFAR_PIXELS;
            for (size_t i = 0; i < CIFAR_PIXELS; i++) row[i] = buf[labels + i] / 255.0f;
            d.y[d.n++] = (uint8_t)label;
        }
        records++;
    }
    if (!status && mt_data_gzstatus(f) != Z_OK) status = mt_data_gzfail(f, path, err);
    gzclose(f);

    if (!status) {
        unsigned long long bytes = (unsigned long long)records * record + partial;
        if (bytes == 0)
            status = mt_fail(err, MT_EINPUT, "%s: empty file: not a CIFAR-%d file", path, classes);
        else if (partial && bytes % other_record == 0)
            status = mt_fail(err, MT_EINPUT,
                             "%s: not a CIFAR-%d file: its %llu bytes are %llu records of %zu bytes (CIFAR-%d?), "
                             "not a multiple of %zu",
                             path, classes, bytes, bytes / other_record, other_record, classes == 10 ? 100 : 10,
                             record);
        else if (partial)
            status = mt_fail(err, MT_EINPUT,
                             "%s: truncated record: %llu bytes are %ld whole %zu-byte CIFAR-%d records and %zu "
                             "bytes more",
                             path, bytes, records, record, classes, partial);
        else if (label_status) {
            if (err) *err = label_err;
            status = label_status;
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
