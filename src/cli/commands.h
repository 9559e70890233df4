/* commands.h — the subcommands of the `memtrain` executable and their shared helpers. */
#ifndef MT_CLI_COMMANDS_H
#define MT_CLI_COMMANDS_H

#include "memtrain.h"

/* Print "memtrain: <message>" and return the error's status (the exit code). */
int cli_fail(const mt_error *err);

/* Print "memtrain: <fmt % arg> (see memtrain --help)" and return MT_EINPUT. */
int cli_usage_error(const char *fmt, const char *arg);

int cmd_bench(int argc, char **argv);
int cmd_reproduce(int argc, char **argv);
int cmd_cost(int argc, char **argv);

#endif
