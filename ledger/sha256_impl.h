/* For tests: SHA-256 on a chosen implementation, so both the portable and
 * the SHA-NI code are exercised whatever the default on this CPU would be.
 * Production code calls ledger/sha256.h only. */
#ifndef LEDGER_SHA256_IMPL_H
#define LEDGER_SHA256_IMPL_H

#include <stdbool.h>

#include "ledger/sha256.h"

/* Whether this build has the implementation and this CPU can run it.
 * LEDGER_SHA256_PORTABLE always can; LEDGER_SHA256_SHANI needs an x86-64
 * build and a CPU reporting SHA, SSSE3 and SSE4.1 (valgrind, which does not
 * emulate the SHA instructions, reports no SHA). */
bool ledger__sha256_supported(enum ledger_sha256_impl impl);

/* The implementation ledger_sha256 and ledger_sha256_init use here: SHA-NI
 * when supported, else portable. */
enum ledger_sha256_impl ledger__sha256_default(void);

/* ledger_sha256_init on the given implementation; it must be supported
 * (asserted). update and final then run on it. */
void ledger__sha256_init_impl(struct ledger_sha256_ctx *ctx, enum ledger_sha256_impl impl);

/* ledger_sha256 on the given implementation; it must be supported (asserted). */
void ledger__sha256_impl(enum ledger_sha256_impl impl, const uint8_t *data, size_t len,
                         uint8_t out[WB_HASH_LEN]);

#endif
