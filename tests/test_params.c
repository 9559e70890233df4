/* test_params.c — the parameter table, --set parsing, config files, presets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memtrain.h"
#include "test.h"
#include "util/params.h"

TEST(params_defaults_are_the_documented_paper_values)
{
    mt_params p;
    mt_params_default(&p);
    CHECK_INT(p.transfer.interval, 8000);           /* paper */
    CHECK_NEAR(p.transfer.offset_uS, 2.0, 0);       /* paper */
    CHECK_NEAR(p.cap.v_init_V, 0.5, 0);             /* paper */
    CHECK_NEAR(p.cap.v_leak_V, 0.8, 0);             /* paper */
    CHECK_NEAR(p.pcm.g_max_uS, 25.0, 0);            /* paper */
    CHECK_INT(p.train.epochs, 20);                  /* paper */
    CHECK_INT(p.transfer.polarity_inversion, 1);
    CHECK_INT(p.cell.kind, MT_CELL_2PCM3T1C);
    CHECK(strcmp(p.net.hidden, "250") == 0);
    CHECK(strcmp(p.data.dataset, "mnist") == 0);
    mt_error err;
    CHECK_INT(mt_params_validate(&p, &err), MT_OK);
}

TEST(params_every_entry_is_documented)
{
    size_t n = params_count();
    CHECK(n > 40);
    for (size_t i = 0; i < n; i++) {
        const param_def *d = params_entry(i);
        CHECK_MSG(strchr(d->key, '.') != NULL, "%s has no section", d->key);
        CHECK_MSG(d->unit && d->unit[0], "%s has no unit", d->key);
        CHECK_MSG(d->source && d->source[0], "%s has no source", d->key);
        CHECK_MSG(d->help && strlen(d->help) > 10, "%s has no explanation", d->key);
        for (size_t k = 0; k < i; k++)
            CHECK_MSG(strcmp(d->key, params_entry(k)->key) != 0, "%s twice", d->key);
    }
}

TEST(params_set_parses_and_range_checks)
{
    mt_params p;
    mt_params_default(&p);
    mt_error err;
    CHECK_INT(mt_params_set(&p, "cap.tau_s", "0.25", "--set", &err), MT_OK);
    CHECK_NEAR(p.cap.tau_s, 0.25, 0);
    CHECK_INT(mt_params_set(&p, "transfer.interval", "8e3", "--set", &err), MT_OK);
    CHECK_INT(p.transfer.interval, 8000);
    CHECK_INT(mt_params_set(&p, "transfer.polarity_inversion", "off", "--set", &err), MT_OK);
    CHECK_INT(p.transfer.polarity_inversion, 0);
    CHECK_INT(mt_params_set(&p, "cell.kind", "2pcm", "--set", &err), MT_OK);
    CHECK_INT(p.cell.kind, MT_CELL_2PCM);
    CHECK_INT(mt_params_set(&p, "train.seed", "18446744073709551615", "--set", &err), MT_OK);
    CHECK(p.train.seed == UINT64_MAX);

    CHECK_ERROR(mt_params_set(&p, "cap.tau", "1", "--set", &err), err, MT_EINPUT, "unknown parameter 'cap.tau'");
    CHECK_ERROR(mt_params_set(&p, "cap.tau_s", "-1", "--set", &err), err, MT_EINPUT, "out of range");
    CHECK_ERROR(mt_params_set(&p, "cap.tau_s", "nan", "--set", &err), err, MT_EINPUT, "not a finite number");
    CHECK_ERROR(mt_params_set(&p, "cap.tau_s", "1x", "--set", &err), err, MT_EINPUT, "not a number");
    CHECK_ERROR(mt_params_set(&p, "train.epochs", "2.5", "--set", &err), err, MT_EINPUT, "not an integer");
    CHECK_ERROR(mt_params_set(&p, "train.epochs", "0", "--set", &err), err, MT_EINPUT, "train.epochs");
    CHECK_ERROR(mt_params_set(&p, "cell.variability", "maybe", "--set", &err), err, MT_EINPUT, "boolean");
    CHECK_ERROR(mt_params_set(&p, "cell.kind", "3pcm", "--set", &err), err, MT_EINPUT, "float, 2pcm, 2pcm3t1c");
    CHECK_ERROR(mt_params_set(&p, "train.seed", "-3", "--set", &err), err, MT_EINPUT, "train.seed");
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK_ERROR(mt_params_set(&p, "net.hidden", longname, "--set", &err), err, MT_EINPUT, "too long");
    /* A failed set leaves the old value. */
    CHECK_NEAR(p.cap.tau_s, 0.25, 0);
}

TEST(params_validate_rejects_inconsistent_values)
{
    mt_params p;
    mt_error err;
    mt_params_default(&p);
    p.cap.vt_V = 0.6; /* above v_init: g would be 0 at the operating point */
    CHECK_ERROR(mt_params_validate(&p, &err), err, MT_EINPUT, "vt_V");
    mt_params_default(&p);
    p.cap.v_leak_V = 1.5;
    CHECK_ERROR(mt_params_validate(&p, &err), err, MT_EINPUT, "v_leak_V");
    mt_params_default(&p);
    p.transfer.g_target_max_uS = 30;
    CHECK_ERROR(mt_params_validate(&p, &err), err, MT_EINPUT, "g_target_max_uS");
    mt_params_default(&p);
    strcpy(p.net.hidden, "250,x");
    CHECK_ERROR(mt_params_validate(&p, &err), err, MT_EINPUT, "net.hidden");
    mt_params_default(&p);
    p.periph.adc_bits = 1;
    CHECK_ERROR(mt_params_validate(&p, &err), err, MT_EINPUT, "adc_bits");
}

static const char *write_text(const char *name, const char *text)
{
    static char path[4][600];
    static int slot;
    char *out = path[slot++ % 4];
    snprintf(out, 600, "%s/%s", test_tmpdir(), name);
    CHECK_INT(test_write_file(out, text, strlen(text)), 0);
    return out;
}

TEST(params_config_file_sets_sections_and_preset)
{
    const char *path = write_text("ok.cfg",
                                  "# a comment\n"
                                  "preset = \"digits\";\n"
                                  "cap = { tau_s = 2; sigma_g_uS = 0.5; };\n"
                                  "transfer = { polarity_inversion = false; interval = 500; };\n"
                                  "cell = { kind = \"2pcm\"; };\n");
    mt_params p;
    mt_error err;
    mt_params_default(&p);
    CHECK_INT(mt_params_load_file(&p, path, &err), MT_OK);
    CHECK_NEAR(p.cap.tau_s, 2.0, 0);
    CHECK_NEAR(p.cap.sigma_g_uS, 0.5, 0);
    CHECK_INT(p.transfer.polarity_inversion, 0);
    CHECK_INT(p.transfer.interval, 500);  /* the file overrides the preset's 1000 */
    CHECK_INT(p.cell.kind, MT_CELL_2PCM);
    CHECK(strcmp(p.data.dataset, "digits") == 0); /* from the preset */
}

TEST(params_config_file_errors_name_file_and_line)
{
    mt_params p;
    mt_error err;
    mt_params_default(&p);
    const char *unknown = write_text("unknown.cfg", "cap = {\n  tau_s = 1.0;\n  tau_z = 2.0;\n};\n");
    CHECK_ERROR(mt_params_load_file(&p, unknown, &err), err, MT_EINPUT, "unknown.cfg:3");
    CHECK(strstr(err.message, "cap.tau_z") != NULL);
    const char *syntax = write_text("syntax.cfg", "cap = { tau_s = ; };\n");
    CHECK_ERROR(mt_params_load_file(&p, syntax, &err), err, MT_EINPUT, "syntax.cfg:1");
    const char *range = write_text("range.cfg", "\n\ntransfer = { offset_uS = -2.0; };\n");
    CHECK_ERROR(mt_params_load_file(&p, range, &err), err, MT_EINPUT, "range.cfg:3");
    CHECK(strstr(err.message, "out of range") != NULL);
    const char *toplevel = write_text("top.cfg", "tau_s = 1.0;\n");
    CHECK_ERROR(mt_params_load_file(&p, toplevel, &err), err, MT_EINPUT, "unknown parameter 'tau_s'");
    const char *nested = write_text("nested.cfg", "cap = { inner = { x = 1; }; };\n");
    CHECK_ERROR(mt_params_load_file(&p, nested, &err), err, MT_EINPUT, "nested");
    const char *badpreset = write_text("preset.cfg", "preset = \"cifar1000\";\n");
    CHECK_ERROR(mt_params_load_file(&p, badpreset, &err), err, MT_EINPUT, "unknown preset");
    CHECK_ERROR(mt_params_load_file(&p, "/nonexistent/x.cfg", &err), err, MT_EINPUT, "/nonexistent/x.cfg: cannot open");
}

TEST(params_written_config_reads_back_identically)
{
    mt_params a, b;
    mt_error err;
    mt_params_default(&a);
    CHECK_INT(mt_params_apply_preset(&a, "digits", &err), MT_OK);
    a.cap.tau_s = 0.123456789012345;
    a.train.seed = 123456789012345ULL;
    a.pcm.stuck_fraction = 0;
    strcpy(a.data.dir, "/some/where");
    char path[600];
    snprintf(path, sizeof path, "%s/written.cfg", test_tmpdir());
    FILE *f = fopen(path, "w");
    mt_params_write(&a, f);
    fclose(f);
    mt_params_default(&b);
    CHECK_INT(mt_params_load_file(&b, path, &err), MT_OK);
    for (size_t i = 0; i < params_count(); i++) {
        const param_def *d = params_entry(i);
        char va[600], vb[600];
        params_format_value(&a, d, va, sizeof va);
        params_format_value(&b, d, vb, sizeof vb);
        CHECK_MSG(strcmp(va, vb) == 0, "%s: wrote %s, read %s", d->key, va, vb);
    }
}

TEST(params_presets_apply_and_unknown_is_rejected)
{
    mt_params p;
    mt_error err;
    for (const char *const *name = mt_preset_names(); *name; name++) {
        mt_params_default(&p);
        CHECK_INT(mt_params_apply_preset(&p, *name, &err), MT_OK);
        CHECK_INT(mt_params_validate(&p, &err), MT_OK);
        CHECK(strcmp(p.data.dataset, *name) == 0);
    }
    CHECK_ERROR(mt_params_apply_preset(&p, "imagenet", &err), err, MT_EINPUT, "known: mnist");
}

TEST(params_documentation_is_in_sync_with_the_table)
{
    /* docs/parameters.md embeds `memtrain params --markdown`; regenerate it with
     * `make docs` when a parameter changes. */
    char path[600];
    snprintf(path, sizeof path, "%s/docs/parameters.md", test_source_dir());
    FILE *doc = fopen(path, "r");
    CHECK_MSG(doc != NULL, "cannot open %s", path);
    if (!doc) return;
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text - 1, doc);
    fclose(doc);
    text[len] = '\0';
    char *table = NULL;
    size_t table_len = 0;
    FILE *mem = open_memstream(&table, &table_len);
    mt_params_write_markdown(mem);
    fclose(mem);
    CHECK_MSG(strstr(text, table) != NULL, "docs/parameters.md is stale: run `make docs`");
    free(table);
}
