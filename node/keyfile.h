/* Ed25519 key files: the 32-byte seed as 64 lowercase hex characters and a
 * newline, readable by the owner only (mode 0600). */
#ifndef NODE_KEYFILE_H
#define NODE_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/sigbytes.h"
#include "common/wb_error.h"

/* Bytes of a key file: 64 hex digits + '\n'. */
#define KEYFILE_LEN 65
/* A message buffer of this size holds every message below for paths up to
 * about 400 characters; a longer message is truncated, never overrun. */
#define KEYFILE_MSG_MAX 1024

/* Creates a fresh random key and writes it to `path` with mode 0600,
 * atomically (temp file + fsync + rename). An existing file at `path` is
 * left untouched and WB_ERR_EXISTS returned unless `overwrite` is true.
 * On success writes the public key into pk_out.
 * Returns 0, WB_ERR_EXISTS, WB_ERR_IO, WB_ERR_INVALID (path too long) or
 * WB_ERR_CRYPTO; on failure writes a sentence for a person into msg (which
 * may be NULL when msg_len is 0). The secret never leaves this function and
 * is wiped before it returns. */
WB_MUST_USE int keyfile_generate(const char *path, bool overwrite, uint8_t pk_out[WB_PUBKEY_LEN],
                                 char *msg, size_t msg_len);

/* Reads the key file at `path` and derives its key pair into pk and sk (sk
 * is libsodium's 64-byte secret key: seed || public key; the caller wipes it
 * with sodium_memzero when done). Refuses, with a message naming the file:
 *   - a missing file (WB_ERR_NOT_FOUND) or one that cannot be read (WB_ERR_IO);
 *   - anything but a regular file (WB_ERR_INVALID);
 *   - a file group or others may read, write or execute
 *     (WB_ERR_PERMISSION: "key file F is readable by group or others
 *     (mode 0644); run chmod 600 F");
 *   - content other than 64 hex digits with an optional trailing newline
 *     (WB_ERR_DECODE).
 * On any failure pk and sk are zeroed. Nothing secret is left behind in
 * this function's buffers. */
WB_MUST_USE int keyfile_load(const char *path, uint8_t pk[WB_PUBKEY_LEN], uint8_t sk[WB_SECKEY_LEN],
                             char *msg, size_t msg_len);

#endif
