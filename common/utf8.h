/* utf8.h: the one check of UTF-8 text, used where the ledger accepts text
 * (event attribute values) and where the CLI prints text it received.
 *
 * "Printable" means well-formed UTF-8 (no overlong forms, surrogates or code
 * points above U+10FFFF) that is not a C0 control, DEL or a C1 control.
 */
#ifndef WB_COMMON_UTF8_H
#define WB_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"

/* Length (1 to 4) of the printable character that starts at p, or 0 when it
 * is a control character, malformed, or the terminating NUL. p must point into
 * a NUL-terminated string: the NUL fails the continuation test, so the check
 * never reads past it. */
size_t wb_utf8_char_len(const uint8_t *p);

/* True when the NUL-terminated str is printable UTF-8 throughout (the empty
 * string is). */
WB_MUST_USE bool wb_utf8_text_ok(const char *str);

#endif
