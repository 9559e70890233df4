/* fuzz_config.c — libFuzzer harness for the parameter-file parser
 * (src/util/params.c: params_load_string, the in-memory twin of
 * mt_params_load_file, and mt_params_validate), i.e. libconfig's scanner and
 * parser plus memtrain's per-key type and range checks and presets.
 *
 * The input is the configuration text (a NUL-terminated copy is parsed; text
 * after an embedded NUL is simply not seen, as for a C string).
 * Checked when the text is accepted: mt_params_write's output of the result
 * parses back (into fresh defaults) to parameters that write identically — the
 * guarantee that `memtrain params --config` and checkpoints rely on. */
#include "fuzz_common.h"
#include "util/params.h"

/* mt_params_write(p) into a new string (caller frees). */
static char *write_params(const mt_params *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) abort();
    mt_params_write(p, mem);
    if (fclose(mem) != 0) abort();
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    mt_params p;
    mt_params_default(&p);
    mt_error err;
    int rc = params_load_string(&p, text, "fuzz", &err);
    free(text);
    if (rc != MT_OK) {
        FUZZ_ASSERT(err.message[0] != '\0', "error %d without a message", rc);
        return 0;
    }
    (void)mt_params_validate(&p, &err);

    char *once = write_params(&p);
    mt_params q;
    mt_params_default(&q);
    rc = params_load_string(&q, once, "fuzz (written back)", &err);
    if (rc != MT_OK) fprintf(stderr, "written configuration:\n%s\n", once);
    FUZZ_ASSERT(rc == MT_OK, "written parameters do not parse back: %s", err.message);
    char *twice = write_params(&q);
    if (strcmp(once, twice) != 0) fprintf(stderr, "first:\n%s\nsecond:\n%s\n", once, twice);
    FUZZ_ASSERT(strcmp(once, twice) == 0, "written parameters change when read back");
    free(once);
    free(twice);
    return 0;
}
