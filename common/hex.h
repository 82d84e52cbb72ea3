/* Lowercase hex, the textual form of every key, hash and id. */
#ifndef WB_HEX_H
#define WB_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"

/* Writes 2*len lowercase hex digits and a NUL into out (cap >= 2*len+1).
 * Returns out. */
char *wb_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/* Decodes exactly `len` bytes from `hex` (which must be 2*len hex digits,
 * upper or lower case, and nothing else). Returns 0 or WB_ERR_INVALID. */
WB_MUST_USE int wb_hex_decode(const char *hex, uint8_t *out, size_t len);

#endif
