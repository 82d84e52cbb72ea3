/* Helpers shared by the `waybill` subcommands: exit codes, option parsing
 * and usage text, error printing, numbers, hex and plain-text tables. */
#ifndef CLI_UTIL_H
#define CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/wb_error.h"

/* Exit codes of every subcommand (DESIGN.md section 7, docs/cli.md). */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1,      /* verification failed, event rejected, or the command
                                 could not do its work (file exists, I/O error) */
    CLI_EXIT_USAGE = 2,       /* unknown command or option, missing or bad argument */
    CLI_EXIT_UNREACHABLE = 3, /* node unreachable or timed out */
};

/* One option of a subcommand: "--name VALUE" (or "--name=VALUE") when
 * `arg` is set, else the flag "--name". */
struct cli_opt {
    const char *name;   /* long name without the dashes: "out" */
    const char *arg;    /* placeholder shown in usage ("FILE"), NULL for a flag */
    const char *help;   /* one line for --help */
};

/* What `waybill CMD --help` prints. */
struct cli_usage {
    const char *cmd;          /* "keygen" */
    const char *synopsis;     /* "--out FILE [--force]" (after "waybill keygen ") */
    const char *description;  /* a few lines, each ending in '\n' */
    const struct cli_opt *opts;
    size_t opt_count;
};

#define CLI_POSITIONAL_MAX 8

/* Option iterator over one subcommand's argv. No global state: handlers
 * may be run many times in one process (the tests do). */
struct cli_args {
    const struct cli_usage *usage;
    int argc;
    char **argv;
    int next;                           /* index of the next argv element */
    size_t pos_count;                   /* positional arguments seen so far */
    char *pos[CLI_POSITIONAL_MAX];
};

#define CLI_ARGS_END (-1)   /* every argument consumed */
#define CLI_ARGS_HELP (-2)  /* -h or --help: usage printed on stdout */
#define CLI_ARGS_ERROR (-3) /* bad option: message and usage printed on stderr */

/* Starts iterating argv[1..argc-1]; argv[0] is the subcommand name. `usage`
 * must outlive `a`. */
void cli_args_init(struct cli_args *a, const struct cli_usage *usage, int argc, char **argv);

/* Returns the index in usage->opts of the next option, with its value in
 * *value (NULL for a flag), or CLI_ARGS_END / CLI_ARGS_HELP / CLI_ARGS_ERROR.
 * Positional arguments are collected into a->pos in order; "--" ends the
 * options (everything after it is positional). */
WB_MUST_USE int cli_args_next(struct cli_args *a, const char **value);

/* The exit code for a non-option result of cli_args_next: 0 after help, 2
 * after an error. */
int cli_args_exit(int r);

/* Prints the full --help text of `u`. */
void cli_usage_print(FILE *f, const struct cli_usage *u);

/* Prints "waybill CMD: <message>", the usage line and a --help hint on
 * stderr; returns CLI_EXIT_USAGE. */
WB_MUST_USE int cli_usage_error(const struct cli_usage *u, const char *fmt, ...)
                __attribute__((format(printf, 2, 3)));

/* Prints "waybill CMD: <message>" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The end of every command's output: flushes stdout and, if anything written
 * to it was lost (a full disk, a closed pipe: `history --json > /dev/full`),
 * prints "waybill CMD: cannot write output: REASON" (REASON from errno, e.g.
 * "No space left on device") on stderr and returns CLI_EXIT_FAILED when rc
 * was CLI_EXIT_OK; otherwise returns rc. A command whose printing fails
 * returns CLI_EXIT_FAILED without a message of its own: this says it. */
WB_MUST_USE int cli_output_finish(const char *cmd, int rc);

/* Strict decimal in [min, max]: digits only, no sign or spaces. Returns 0
 * or WB_ERR_INVALID. */
WB_MUST_USE int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Wall-clock milliseconds since the epoch (ages of blocks and answers). */
int64_t cli_now_ms(void);

/* A duration: decimal digits then one unit, ms, s, m, h or d ("90s",
 * "15m", "2h", "3d"), at most 10 years; into milliseconds. Returns 0 or
 * WB_ERR_INVALID. */
WB_MUST_USE int cli_parse_duration(const char *s, int64_t *ms);

/* Option --opt's value s: an RFC 3339 UTC time (ledger_time_parse) or
 * "now" (cli_now_ms), into *ms. Returns CLI_EXIT_OK, or CLI_EXIT_USAGE
 * after "--OPT: expected an RFC 3339 UTC time such as
 * 2026-12-01T10:00:00Z, or now; got 'S'" and u's usage line. */
WB_MUST_USE int cli_time_or_now_arg(const struct cli_usage *u, const char *opt, const char *s,
                                    int64_t *ms);

/* `value` if not NULL, else the environment variable `env` (NULL if unset or
 * empty). For options such as --node and --key defaulting from WAYBILL_NODE
 * and WAYBILL_KEY. */
const char *cli_env_default(const char *value, const char *env);

/* Writes `len` bytes as lowercase hex (no newline). */
void cli_print_hex(FILE *f, const uint8_t *bytes, size_t len);

/* Prints a left-aligned table: `cells` holds rows * cols strings, row-major,
 * the first row being the header. Columns are separated by two spaces; no
 * trailing spaces. */
#define CLI_TABLE_COLS_MAX 16
void cli_table_print(FILE *f, size_t cols, size_t rows, const char *const *cells);

#endif
