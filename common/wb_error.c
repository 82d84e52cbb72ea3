/* String table for the project error enum. */
#include "common/wb_error.h"

#include <stdarg.h>
#include <stdio.h>

const char *wb_strerror(int err)
{
    switch (err) {
    case WB_OK:
        return "ok";
#define WB__ERR_CASE(name, code, str) \
    case code:                        \
        return str;
        WB_ERRNO_MAP(WB__ERR_CASE)
#undef WB__ERR_CASE
    default:
        return "unknown error";
    }
}

const char *wb_errname(int err)
{
    switch (err) {
    case WB_OK:
        return "OK";
#define WB__ERR_NAME(name, code, str) \
    case code:                        \
        return #name;
        WB_ERRNO_MAP(WB__ERR_NAME)
#undef WB__ERR_NAME
    default:
        return NULL;
    }
}

int wb_failf(int err, char *msg, size_t msg_len, const char *fmt, ...)
{
    if (msg && msg_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msg_len, fmt, ap);
        va_end(ap);
    }
    return err;
}
