/* The project's one error enum: 0 is success, every failure a negative code
 * with a fixed string. Library codes (libuv, LMDB, libsodium) are converted
 * to these once, at the module boundary that calls the library. */
#ifndef WB_ERROR_H
#define WB_ERROR_H

#define WB_ERRNO_MAP(X)                                                      \
    X(NOMEM, -1, "out of memory")                                            \
    X(INVALID, -2, "invalid argument or input")                              \
    X(DECODE, -3, "malformed encoding")                                      \
    X(SIGNATURE, -4, "signature verification failed")                        \
    X(RULE, -5, "rejected by ledger rules")                                  \
    X(NOT_FOUND, -6, "not found")                                            \
    X(EXISTS, -7, "already exists")                                          \
    X(IO, -8, "input/output error")                                          \
    X(STORE, -9, "storage error")                                            \
    X(CONFIG, -10, "bad configuration")                                      \
    X(CRYPTO, -11, "cryptographic failure")                                  \
    X(PROTOCOL, -12, "protocol violation")                                   \
    X(BUSY, -13, "busy: resource full, try again later")                     \
    X(TIMEOUT, -14, "timed out")                                             \
    X(REFUSED, -15, "refused")                                               \
    X(STALE, -16, "stale: the item's head moved on")                         \
    X(CHECK_DIGIT, -17, "wrong check digit")                                 \
    X(TOO_LARGE, -18, "too large")                                           \
    X(UNREACHABLE, -19, "node unreachable")                                  \
    X(VERIFY, -20, "verification failed")                                    \
    X(DUPLICATE, -21, "duplicate")                                           \
    X(PERMISSION, -22, "permission denied")                                  \
    X(CLOSED, -23, "closed")                                                 \
    X(INTERNAL, -24, "internal error")

/* Marks a function whose int result is a wb_err (or whose result must
 * otherwise be looked at): the compiler warns, and -Werror fails the build,
 * where a caller drops it. Put it before the declaration in the header. */
#define WB_MUST_USE __attribute__((warn_unused_result))

/* Drops the result of a WB_MUST_USE function where ignoring it is right;
 * say why beside it. (gcc does not take a cast to void for that.) */
#define WB_IGNORE_RESULT(expr) ((void)!(expr))

enum wb_err {
    WB_OK = 0,
#define WB__ERR_ENUM(name, code, str) WB_ERR_##name = (code),
    WB_ERRNO_MAP(WB__ERR_ENUM)
#undef WB__ERR_ENUM
};

/* The number of error codes: they run from -1 to -WB_ERR_CODE_COUNT. */
#define WB__ERR_ONE(name, code, str) +1
enum { WB_ERR_CODE_COUNT = 0 WB_ERRNO_MAP(WB__ERR_ONE) };
#undef WB__ERR_ONE

/* A fixed, static description of `err` (0 or a negative wb_err). Never NULL;
 * an unknown code gives "unknown error". */
const char *wb_strerror(int err);

/* The code's name as the enum spells it after WB_ERR_ ("RULE", "NOT_FOUND";
 * "OK" for 0), static; NULL for an unknown code. For counters keyed by
 * code (node/metrics/). */
const char *wb_errname(int err);

#include <stddef.h>
/* Writes a printf-formatted sentence into msg (when msg is not NULL and
 * msg_len > 0, truncated to fit) and returns err: the one helper for
 * "fail with a reason a person can read". */
WB_MUST_USE int wb_failf(int err, char *msg, size_t msg_len, const char *fmt, ...)
                __attribute__((format(printf, 4, 5)));

#endif
