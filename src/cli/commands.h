/* commands.h — the subcommands of the `memtrain` executable and their shared helpers. */
#ifndef MT_CLI_COMMANDS_H
#define MT_CLI_COMMANDS_H

#include <stddef.h>

#include "memtrain.h"

/* Print "memtrain: <message>" and return the error's status (the exit code). */
int cli_fail(const mt_error *err);

/* Print "memtrain: <fmt % arg> (see memtrain --help)" and return MT_EINPUT. */
int cli_usage_error(const char *fmt, const char *arg);

/* Parse option opt's value v as a whole number in lo..hi into *out; anything else
 * (empty, trailing text, out of range) is a usage error (returned, already printed). */
int cli_parse_count(const char *opt, const char *v, long lo, long hi, long *out);

/* Split a --set argument "KEY=VALUE": KEY into key[key_size], *value points after
 * '='.  An empty or over-long key is a usage error (returned, already printed). */
int cli_split_setting(const char *arg, char *key, size_t key_size, const char **value);

int cmd_bench(int argc, char **argv);
int cmd_reproduce(int argc, char **argv);
int cmd_cost(int argc, char **argv);

#endif
