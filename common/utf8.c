#include "common/utf8.h"

size_t wb_utf8_char_len(const uint8_t *p)
{
    uint8_t c = p[0];
    if (c < 0x80) return (c < 0x20 || c == 0x7f) ? 0 : 1;
    size_t more;
    uint32_t cp, min;
    if ((c & 0xe0) == 0xc0) {
        more = 1, cp = c & 0x1fu, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        more = 2, cp = c & 0x0fu, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        more = 3, cp = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    /* The terminating NUL fails the continuation test: no overread. */
    for (size_t i = 1; i <= more; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    if (cp <= 0x9f) return 0; /* C1 controls (U+0080 to U+009F) */
    return more + 1;
}

bool wb_utf8_text_ok(const char *str)
{
    const uint8_t *p = (const uint8_t *)str;
    while (*p) {
        size_t n = wb_utf8_char_len(p);
        if (n == 0) return false;
        p += n;
    }
    return true;
}
