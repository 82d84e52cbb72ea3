/* Logging: one line per record on stderr, "TIME LEVEL module: message".
 * Callers put height/round into the message where they apply ("h=12 r=0"). */
#ifndef WB_LOG_H
#define WB_LOG_H

#include "common/wb_error.h"

enum wb_log_level { WB_LOG_DEBUG = 0, WB_LOG_INFO, WB_LOG_WARN, WB_LOG_ERROR, WB_LOG_OFF };

/* Records below `level` are dropped. Default WB_LOG_INFO. */
void wb_log_set_level(enum wb_log_level level);
enum wb_log_level wb_log_get_level(void);
/* Parses "debug", "info", "warn", "error", "off"; returns -1 if unknown. */
WB_MUST_USE int wb_log_level_parse(const char *s);

void wb_log(enum wb_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* wb_log for a component with a threshold of its own (a transport the CLI
 * runs quietly, say): a record below `min` is dropped, the others go on as
 * wb_log, under the process level. The threshold is the caller's value, so
 * two components of one process can be as loud as each wants without
 * touching the level of the other. min WB_LOG_DEBUG filters nothing. */
void wb_log_at(enum wb_log_level min, enum wb_log_level level, const char *module,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define WB_DEBUG(mod, ...) wb_log(WB_LOG_DEBUG, mod, __VA_ARGS__)
#define WB_INFO(mod, ...) wb_log(WB_LOG_INFO, mod, __VA_ARGS__)
#define WB_WARN(mod, ...) wb_log(WB_LOG_WARN, mod, __VA_ARGS__)
#define WB_ERROR(mod, ...) wb_log(WB_LOG_ERROR, mod, __VA_ARGS__)

#endif
