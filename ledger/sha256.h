/* SHA-256 for the ledger, one-shot and incremental: on the x86-64 SHA
 * extensions where the CPU has them, libsodium's portable code elsewhere. */
#ifndef LEDGER_SHA256_H
#define LEDGER_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include <sodium/crypto_hash_sha256.h>

#include "common/sigbytes.h"

#define LEDGER_SHA256_BLOCK_LEN 64
/* Longest input one hash takes, in bytes: its length in bits must fit the
 * 64-bit length field of the padding. */
#define LEDGER_SHA256_INPUT_MAX (UINT64_MAX >> 3)

/* The implementation a context runs on. Every implementation gives the same
 * digest for the same input; they differ only in speed. */
enum ledger_sha256_impl {
    LEDGER_SHA256_PORTABLE = 0,  /* libsodium's crypto_hash_sha256, any CPU */
    LEDGER_SHA256_SHANI = 1,     /* x86-64 SHA extensions (SHA-NI) */
};

/* An incremental hash. Caller-allocated (the stack is fine), holds no
 * pointers and owns nothing, so it needs no cleanup; its fields are private
 * to sha256.c. */
struct ledger_sha256_ctx {
    enum ledger_sha256_impl impl;
    union {
        crypto_hash_sha256_state portable;
        struct {
            uint32_t state[8];
            uint64_t len;                           /* bytes absorbed */
            uint8_t buf[LEDGER_SHA256_BLOCK_LEN];   /* the first len % 64 are pending */
        } shani;
    } u;
};

/* SHA-256 of data[0..len). data may be NULL when len is 0. */
void ledger_sha256(const uint8_t *data, size_t len, uint8_t out[WB_HASH_LEN]);

/* Starts a hash on the fastest implementation this CPU runs (checked on
 * every call; the check is a few instructions). */
void ledger_sha256_init(struct ledger_sha256_ctx *ctx);

/* Appends data[0..len) to the hashed input. data may be NULL when len is 0.
 * The total input must stay within LEDGER_SHA256_INPUT_MAX (asserted). */
void ledger_sha256_update(struct ledger_sha256_ctx *ctx, const uint8_t *data, size_t len);

/* Writes the digest of everything appended since init. The context is spent
 * afterwards: call ledger_sha256_init before using it again. */
void ledger_sha256_final(struct ledger_sha256_ctx *ctx, uint8_t out[WB_HASH_LEN]);

#endif
