/* data_internal.h — helpers shared by the dataset readers (idx.c, csv.c, dataset.c,
 * npy.c, cifar.c, backrand.c).
 *
 * Both file formats are read through zlib's gz* interface, which passes plain
 * files through unchanged, so "plain or .gz" needs no special casing.  These
 * helpers keep the open and error-reporting conventions identical across the
 * readers: every message starts with the file's path.  They are static inline so
 * the data module needs no extra translation unit. */
#ifndef MT_DATA_INTERNAL_H
#define MT_DATA_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "memtrain.h"
#include "util/big_array.h"
#include "util/error.h"

/* Longest path the readers build (directory + file name). */
#define MT_DATA_PATH_MAX 4096

/* 1 if `path` names an existing file or directory, else 0. */
static inline int mt_data_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* 1 if `path` names an existing directory, else 0. */
static inline int mt_data_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dst = dir + "/" + file.  Returns 0, or -1 when it does not fit in `size`. */
static inline int mt_data_path_join(char *dst, size_t size, const char *dir, const char *file)
{
    int n = snprintf(dst, size, "%s/%s", dir, file);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* Open `path` for reading through zlib.  Fails with "PATH: cannot open: <reason>"
 * (MT_EINPUT) when the file is missing, unreadable or a directory.  A directory
 * is refused here because open(2) accepts it and the failure would otherwise
 * surface later as a confusing read error. */
static inline int mt_data_gzopen(const char *path, gzFile *out, mt_error *err)
{
    *out = NULL;
    if (mt_data_is_dir(path))
        return mt_fail(err, MT_EINPUT, "%s: cannot open: %s", path, strerror(EISDIR));
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        /* gzopen leaves errno at 0 when it failed for want of memory. */
        if (errno == 0) return mt_fail(err, MT_ENOMEM, "%s: cannot open: out of memory", path);
        return mt_fail(err, MT_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    }
    /* A larger buffer than zlib's 8 KiB default halves the time to read MNIST. */
    gzbuffer(f, 1 << 17);
    *out = f;
    return MT_OK;
}

/* Report the error zlib has recorded on `f` after gzread/gzgets failed:
 * "PATH: read error: ..." for an I/O error, "PATH: truncated gzip data: ..." for
 * a stream that stops early, "PATH: corrupt gzip data: ..." otherwise.  zlib prefixes its text with the path; that prefix is dropped so
 * the path appears once. */
static inline int mt_data_gzfail(gzFile f, const char *path, mt_error *err)
{
    int zcode = Z_OK;
    const char *text = gzerror(f, &zcode);
    size_t plen = strlen(path);
    if (text && strncmp(text, path, plen) == 0 && strncmp(text + plen, ": ", 2) == 0)
        text += plen + 2;
    if (!text || !text[0]) text = "unknown zlib error";
    if (zcode == Z_MEM_ERROR) return mt_fail(err, MT_ENOMEM, "%s: out of memory while reading", path);
    if (zcode == Z_ERRNO) return mt_fail(err, MT_EINPUT, "%s: read error: %s", path, text);
    /* zlib's code for a gzip stream that stops before its end. */
    if (zcode == Z_BUF_ERROR) return mt_fail(err, MT_EINPUT, "%s: truncated gzip data: %s", path, text);
    return mt_fail(err, MT_EINPUT, "%s: corrupt gzip data: %s", path, text);
}

/* Copy name (or `fallback` when name is NULL) into the dataset's fixed-size name,
 * truncating if needed. */
static inline void mt_data_set_name(mt_dataset *d, const char *name, const char *fallback)
{
    snprintf(d->name, sizeof d->name, "%s", name ? name : fallback);
}

/* Read up to len bytes from f into buf, in pieces gzread can take (it counts in
 * unsigned and returns int); returns how many arrived before end of file or an
 * error.  The caller tells those apart with gzerror: zlib reports a gzip stream
 * that stops early as Z_BUF_ERROR, not as a failed read. */
static inline size_t mt_data_gzread_full(gzFile f, void *buf, size_t len)
{
    const size_t piece = (size_t)1 << 30;
    size_t have = 0;
    while (have < len) {
        size_t want = len - have < piece ? len - have : piece;
        int got = gzread(f, (unsigned char *)buf + have, (unsigned)want);
        if (got <= 0) break;
        have += (size_t)got;
    }
    return have;
}

/* zlib's status of f: Z_OK (no error, possibly at end of file), Z_BUF_ERROR (a
 * gzip stream that ends early) or an error code. */
static inline int mt_data_gzstatus(gzFile f)
{
    int code = Z_OK;
    gzerror(f, &code);
    return code;
}

/* Find dir/stem.gz or, failing that, dir/stem (the MNIST file naming); fails with
 * "DIR: no STEM[.gz]" (MT_EINPUT), noting a missing directory. */
static inline int mt_data_find_file(const char *dir, const char *stem, char *path, size_t size,
                                    mt_error *err)
{
    char file[256];
    snprintf(file, sizeof file, "%s.gz", stem);
    if (mt_data_path_join(path, size, dir, file) != 0)
        return mt_fail(err, MT_EINPUT, "%s: directory name too long", dir);
    if (mt_data_path_exists(path)) return MT_OK;
    if (mt_data_path_join(path, size, dir, stem) != 0)
        return mt_fail(err, MT_EINPUT, "%s: directory name too long", dir);
    if (mt_data_path_exists(path)) return MT_OK;
    return mt_fail(err, MT_EINPUT, "%s: no %s[.gz]%s", dir, stem,
                   mt_data_is_dir(dir) ? "" : " (no such directory)");
}

/* Move a loaded dataset's features into a big array (util/big_array.h: training reads
 * one example at a time from scattered places), for the readers that grow their array
 * as they read.  Out of memory for the copy keeps the array as it is. */
static inline void mt_data_settle_features(mt_dataset *d)
{
    const size_t bytes = (size_t)d->n * (size_t)d->dim * sizeof *d->x;
    if (bytes < BIG_ARRAY_PAGE) return;
    float *x = big_array_alloc(bytes);
    if (!x) return;
    memcpy(x, d->x, bytes);
    free(d->x);
    d->x = x;
}

#endif
