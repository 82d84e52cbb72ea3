/* Shared subcommand helpers: option iteration, usage text, errors, numbers,
 * hex and tables; see cli_util.h. */
#include "cli/cli_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/types.h"

void cli_args_init(struct cli_args *a, const struct cli_usage *usage, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->usage = usage;
    a->argc = argc;
    a->argv = argv;
    a->next = 1;
}

static int cli_args_error(struct cli_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int cli_args_error(struct cli_args *a, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* It prints and answers CLI_EXIT_USAGE; cli_args_next's caller turns
     * CLI_ARGS_ERROR into that exit with cli_args_exit. */
    WB_IGNORE_RESULT(cli_usage_error(a->usage, "%s", text));
    return CLI_ARGS_ERROR;
}

static int cli_add_positional(struct cli_args *a, char *arg)
{
    if (a->pos_count == CLI_POSITIONAL_MAX)
        return cli_args_error(a, "too many arguments (at most %d)", CLI_POSITIONAL_MAX);
    a->pos[a->pos_count++] = arg;
    return 0;
}

int cli_args_next(struct cli_args *a, const char **value)
{
    const struct cli_usage *u = a->usage;
    *value = NULL;
    while (a->next < a->argc) {
        char *arg = a->argv[a->next++];
        if (strcmp(arg, "--") == 0) {
            while (a->next < a->argc)
                if (cli_add_positional(a, a->argv[a->next++]) != 0) return CLI_ARGS_ERROR;
            return CLI_ARGS_END;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            cli_usage_print(stdout, u);
            return CLI_ARGS_HELP;
        }
        if (arg[0] != '-' || arg[1] == '\0') { /* "-" alone is an argument (stdin) */
            if (cli_add_positional(a, arg) != 0) return CLI_ARGS_ERROR;
            continue;
        }
        if (arg[1] != '-') return cli_args_error(a, "unknown option '%s'", arg);
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        for (size_t i = 0; i < u->opt_count; i++) {
            const struct cli_opt *o = &u->opts[i];
            if (strlen(o->name) != name_len || strncmp(o->name, name, name_len) != 0) continue;
            if (!o->arg) {
                if (eq) return cli_args_error(a, "option --%s takes no value", o->name);
                return (int)i;
            }
            if (eq) {
                *value = eq + 1;
            } else {
                if (a->next >= a->argc)
                    return cli_args_error(a, "option --%s needs a value (%s)", o->name,
                                           o->arg);
                *value = a->argv[a->next++];
            }
            return (int)i;
        }
        return cli_args_error(a, "unknown option '--%.*s'", (int)name_len, name);
    }
    return CLI_ARGS_END;
}

int cli_args_exit(int r) { return r == CLI_ARGS_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE; }

void cli_usage_print(FILE *f, const struct cli_usage *u)
{
    fprintf(f, "usage: waybill %s %s\n", u->cmd, u->synopsis);
    if (u->description) fprintf(f, "\n%s", u->description);
    size_t width = strlen("-h, --help");
    for (size_t i = 0; i < u->opt_count; i++) {
        const struct cli_opt *o = &u->opts[i];
        size_t w = 2 + strlen(o->name) + (o->arg ? 1 + strlen(o->arg) : 0);
        if (w > width) width = w;
    }
    fprintf(f, "\noptions:\n");
    for (size_t i = 0; i < u->opt_count; i++) {
        const struct cli_opt *o = &u->opts[i];
        char left[128];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-*s  %s\n", (int)width, left, o->help);
    }
    fprintf(f, "  %-*s  %s\n", (int)width, "-h, --help", "show this help");
}

int cli_usage_error(const struct cli_usage *u, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fprintf(stderr, "waybill %s: %s\nusage: waybill %s %s\nrun 'waybill %s --help' for details\n",
            u->cmd, text, u->cmd, u->synopsis, u->cmd);
    return CLI_EXIT_USAGE;
}

void cli_error(const char *cmd, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fprintf(stderr, "waybill %s: %s\n", cmd, text);
}

int cli_output_finish(const char *cmd, int rc)
{
    /* errno of the write that failed: a failed fflush sets it, and when the
     * stream failed earlier (ferror) the unwritten rest is retried here. */
    errno = 0;
    int flushed = fflush(stdout);
    int err = errno;
    if (flushed == 0 && !ferror(stdout)) return rc;
    fprintf(stderr, "waybill %s: cannot write output: %s\n", cmd,
            err ? strerror(err) : "input/output error");
    return rc == CLI_EXIT_OK ? CLI_EXIT_FAILED : rc;
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 20 || strspn(s, "0123456789") != n) return WB_ERR_INVALID;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return WB_ERR_INVALID;
        v = v * 10 + d;
    }
    if (v < min || v > max) return WB_ERR_INVALID;
    *out = v;
    return WB_OK;
}

int64_t cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cli_parse_duration(const char *s, int64_t *ms)
{
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    const uint64_t max_ms = 10ull * 366 * 86400000;
    size_t digits = s ? strspn(s, "0123456789") : 0;
    if (digits == 0 || digits > 12) return WB_ERR_INVALID;
    char num[16];
    memcpy(num, s, digits);
    num[digits] = '\0';
    uint64_t v;
    if (cli_parse_u64(num, 0, UINT64_MAX, &v) != WB_OK) return WB_ERR_INVALID;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(s + digits, units[i].unit) != 0) continue;
        if (v > max_ms / units[i].ms) return WB_ERR_INVALID;
        *ms = (int64_t)(v * units[i].ms);
        return WB_OK;
    }
    return WB_ERR_INVALID;
}

const char *cli_env_default(const char *value, const char *env)
{
    if (value) return value;
    const char *e = getenv(env);
    return e && e[0] ? e : NULL;
}

void cli_print_hex(FILE *f, const uint8_t *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        fputc(digits[bytes[i] >> 4], f);
        fputc(digits[bytes[i] & 15], f);
    }
}

void cli_table_print(FILE *f, size_t cols, size_t rows, const char *const *cells)
{
    size_t width[CLI_TABLE_COLS_MAX] = {0};
    WB_ASSERT(cols > 0 && cols <= CLI_TABLE_COLS_MAX);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            size_t w = strlen(cells[r * cols + c]);
            if (w > width[c]) width[c] = w;
        }
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            const char *cell = cells[r * cols + c];
            if (c + 1 == cols)
                fprintf(f, "%s\n", cell);
            else
                fprintf(f, "%-*s  ", (int)width[c], cell);
        }
    }
}

int cli_time_or_now_arg(const struct cli_usage *u, const char *opt, const char *s, int64_t *ms)
{
    if (strcmp(s, "now") == 0) {
        *ms = cli_now_ms();
        return CLI_EXIT_OK;
    }
    if (!ledger_time_parse(s, strlen(s), ms))
        return cli_usage_error(u,
                               "--%s: expected an RFC 3339 UTC time such as "
                               "2026-12-01T10:00:00Z, or now; got '%.40s'",
                               opt, s);
    return CLI_EXIT_OK;
}
