/* stderr logger; see log.h. The level is process-wide by design: it is a
 * property of the process's output, not of any one node value. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum wb_log_level log_level = WB_LOG_INFO;

void wb_log_set_level(enum wb_log_level level) { log_level = level; }
enum wb_log_level wb_log_get_level(void) { return log_level; }

int wb_log_level_parse(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

static void log_record(enum wb_log_level level, const char *module, const char *fmt,
                       va_list ap) __attribute__((format(printf, 3, 0)));

static void log_record(enum wb_log_level level, const char *module, const char *fmt, va_list ap)
{
    static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    char line[1024];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, names[level], module);
    if (n < 0) return;
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    /* One write per record so lines from concurrent processes do not interleave. */
    fprintf(stderr, "%s\n", line);
}

void wb_log(enum wb_log_level level, const char *module, const char *fmt, ...)
{
    if (level < log_level || level >= WB_LOG_OFF) return;
    va_list ap;
    va_start(ap, fmt);
    log_record(level, module, fmt, ap);
    va_end(ap);
}

void wb_log_at(enum wb_log_level min, enum wb_log_level level, const char *module,
               const char *fmt, ...)
{
    if (level < min || level < log_level || level >= WB_LOG_OFF) return;
    va_list ap;
    va_start(ap, fmt);
    log_record(level, module, fmt, ap);
    va_end(ap);
}
