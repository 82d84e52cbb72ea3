/* The attributes of a fuzz input, one "key=value" per line, into ev (the
 * gov and plan targets): lines without '=', with a NUL, or over the
 * attribute limits are skipped; at most WB_ATTRS_MAX are taken. */
#ifndef TESTS_FUZZ_FUZZ_ATTRS_H
#define TESTS_FUZZ_FUZZ_ATTRS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ledger/types.h"

static inline void fuzz_parse_attrs(const uint8_t *data, size_t size, struct ledger_event *ev)
{
    size_t pos = 0;
    while (pos < size && ev->attr_count < WB_ATTRS_MAX) {
        size_t end = pos;
        while (end < size && data[end] != '\n') end++;
        const uint8_t *eq = memchr(data + pos, '=', end - pos);
        if (eq) {
            size_t klen = (size_t)(eq - (data + pos)), vlen = end - pos - klen - 1;
            if (klen <= WB_ATTR_KEY_MAX && vlen <= WB_ATTR_VALUE_MAX &&
                !memchr(data + pos, '\0', end - pos)) {
                struct ledger_attr *at = &ev->attrs[ev->attr_count++];
                memcpy(at->key, data + pos, klen);
                at->key[klen] = '\0';
                memcpy(at->value, eq + 1, vlen);
                at->value[vlen] = '\0';
            }
        }
        pos = end + 1;
    }
}

#endif
