/* fuzz_common.h — helpers shared by the libFuzzer harnesses in fuzz/.
 *
 * The readers under test take a path, so every harness writes its input to a
 * per-process scratch file (rewritten for each input, removed at exit).  The file
 * lives in $TMPDIR if set, else /dev/shm (memory: no disk wear at millions of
 * executions per hour), else /tmp, and is named after the harness and the pid so
 * parallel jobs (-jobs/-fork) never share one. */
#ifndef MT_FUZZ_COMMON_H
#define MT_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memtrain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sanitizer defaults built into every harness, so a harness run by hand behaves
 * as under fuzz/fuzz.sh (environment variables still override them).
 * UBSan: the library is compiled with recoverable checks (so that
 * UBSAN_OPTIONS=suppressions=fuzz/ubsan-known.supp can step over a reported,
 * still open bug during long runs), but every report stops the run.
 * LSan: the leaks of libconfig itself listed in fuzz/lsan.supp (keep both in step). */
const char *__ubsan_default_options(void);
const char *__lsan_default_suppressions(void);
const char *__ubsan_default_options(void) { return "halt_on_error=1:print_stacktrace=1"; }
const char *__lsan_default_suppressions(void) { return "leak:libconfig_yylex\nleak:strbuf_append\n"; }

#define FUZZ_MAX_TEMPS 4

static char fuzz_temp_paths[FUZZ_MAX_TEMPS][512];

static inline void fuzz_remove_temps(void)
{
    for (int i = 0; i < FUZZ_MAX_TEMPS; i++)
        if (fuzz_temp_paths[i][0]) unlink(fuzz_temp_paths[i]);
}

/* Path of scratch file `slot` (0 .. FUZZ_MAX_TEMPS-1) of harness `name`. */
static inline const char *fuzz_temp_path(const char *name, int slot, const char *suffix)
{
    char *path = fuzz_temp_paths[slot];
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        struct stat st;
        if (!dir || !dir[0]) dir = (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) ? "/dev/shm" : "/tmp";
        snprintf(path, sizeof fuzz_temp_paths[slot], "%s/memtrain-fuzz-%s-%ld-%d%s", dir, name,
                 (long)getpid(), slot, suffix ? suffix : "");
        static int registered;
        if (!registered) {
            atexit(fuzz_remove_temps);
            registered = 1;
        }
    }
    return path;
}

/* Replace the contents of `path` with data[0..size).  Aborts on failure: a
 * harness that cannot write its input tests nothing. */
static inline void fuzz_write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* Touch every byte of a buffer the reader claims to have filled, so ASan checks
 * its size and the compiler cannot drop the reads. */
static inline void fuzz_touch(const void *p, size_t n)
{
    const volatile unsigned char *b = p;
    unsigned char acc = 0;
    for (size_t i = 0; i < n; i++) acc ^= b[i];
    (void)acc;
}

/* The reader broke a documented invariant: report it and crash so libFuzzer
 * saves the input. */
#define FUZZ_ASSERT(cond, ...)                                                             \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz invariant failed: %s: ", #cond);                         \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#endif
