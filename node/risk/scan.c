/* The risk index's prefilter (scan.h). */
#include "node/risk/scan.h"

#include <string.h>

enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

/* EventBody's fields the scan reads (proto/waybill.proto). */
enum { F_ITEM = 2, F_ACTION = 3, F_SUBMITTER = 6, F_ATTRS = 8 };
/* Attr's key. */
enum { F_ATTR_KEY = 1 };

static bool varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*pos >= len) return false;
        uint8_t b = p[(*pos)++];
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* Skips a field of wire type wt at *pos; for LEN, *data and *n its bytes. */
static bool field(const uint8_t *p, size_t len, size_t *pos, unsigned wt, const uint8_t **data,
                  size_t *n)
{
    uint64_t v;
    switch (wt) {
    case WIRE_VARINT:
        return varint(p, len, pos, &v);
    case WIRE_I64:
    case WIRE_I32: {
        size_t w = wt == WIRE_I64 ? 8 : 4;
        if (len - *pos < w) return false;
        *pos += w;
        return true;
    }
    case WIRE_LEN:
        if (!varint(p, len, pos, &v) || v > len - *pos) return false;
        *data = p + *pos;
        *n = (size_t)v;
        *pos += (size_t)v;
        return true;
    default:
        return false;
    }
}

/* The key of an encoded Attr: "seal" and "container" are what the scan
 * looks for. */
static bool attr_key(const uint8_t *p, size_t len, const uint8_t **key, size_t *key_len)
{
    size_t pos = 0;
    while (pos < len) {
        uint64_t tag;
        if (!varint(p, len, &pos, &tag)) return false;
        const uint8_t *data = NULL;
        size_t n = 0;
        if (!field(p, len, &pos, (unsigned)(tag & 7), &data, &n)) return false;
        if ((tag >> 3) == F_ATTR_KEY && (tag & 7) == WIRE_LEN) {
            *key = data;
            *key_len = n;
            return true;
        }
    }
    *key = NULL;
    *key_len = 0;
    return true;
}

static bool named(const uint8_t *key, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(key, want, n) == 0;
}

int node_risk__scan(const uint8_t *body, size_t len, struct node_risk_scan *out)
{
    memset(out, 0, sizeof *out);
    size_t pos = 0;
    while (pos < len) {
        uint64_t tag;
        if (!varint(body, len, &pos, &tag)) return WB_ERR_DECODE;
        uint64_t num = tag >> 3;
        unsigned wt = (unsigned)(tag & 7);
        if (num > F_ATTRS) break; /* canonical order: nothing read lies beyond */
        if (num == F_ACTION) {
            uint64_t v;
            if (wt != WIRE_VARINT || !varint(body, len, &pos, &v)) return WB_ERR_DECODE;
            out->action = v < LEDGER_ACTION_COUNT ? (enum ledger_action)v : LEDGER_ACTION_NONE;
            continue;
        }
        const uint8_t *data = NULL;
        size_t n = 0;
        if (!field(body, len, &pos, wt, &data, &n)) return WB_ERR_DECODE;
        if ((num == F_ITEM || num == F_SUBMITTER || num == F_ATTRS) && wt != WIRE_LEN)
            return WB_ERR_DECODE;
        if (num == F_ITEM) {
            out->item = (const char *)data;
            out->item_len = n;
        } else if (num == F_SUBMITTER) {
            if (n != WB_PUBKEY_LEN) return WB_ERR_DECODE;
            out->submitter = data;
        } else if (num == F_ATTRS) {
            const uint8_t *key;
            size_t key_len;
            if (!attr_key(data, n, &key, &key_len)) return WB_ERR_DECODE;
            if (named(key, key_len, "seal")) out->seal_attr = true;
            else if (named(key, key_len, "container")) out->container_attr = true;
        }
    }
    return WB_OK;
}
