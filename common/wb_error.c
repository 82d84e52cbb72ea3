/* String table for the project error enum. */
#include "common/wb_error.h"

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
