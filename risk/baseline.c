/* Learned baselines; see baseline.h. */
#include "risk/baseline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/plan.h"
#include "ledger/types.h"

/* 2^(r/4) for r = 0..3, in billionths: the bucket bounds are integers
 * computed the same way everywhere (no floating point). */
static const uint64_t quarter_pow2_e9[4] = {1000000000u, 1189207115u, 1414213562u, 1681792830u};

/* The upper bound of bucket i (1 .. RISK_DIST_BUCKETS - 2); bucket 0's is
 * RISK_DIST_MIN_MS. */
static int64_t dist_bound(unsigned i)
{
    uint64_t base = (uint64_t)RISK_DIST_MIN_MS << (i / 4);
    return (int64_t)(base * quarter_pow2_e9[i % 4] / 1000000000u);
}

static unsigned dist_bucket(int64_t ms)
{
    if (ms < RISK_DIST_MIN_MS) return 0;
    for (unsigned i = 1; i < RISK_DIST_BUCKETS - 1; i++)
        if (ms < dist_bound(i)) return i;
    return RISK_DIST_BUCKETS - 1;
}

void risk_dist_add(struct risk_dist *d, int64_t ms)
{
    unsigned b = dist_bucket(ms < 0 ? 0 : ms);
    if (d->bucket[b] == UINT32_MAX) return; /* saturated: 4 billion samples in one bucket */
    d->bucket[b]++;
    d->count++;
}

bool risk_dist_percentile(const struct risk_dist *d, unsigned pct, int64_t *ms)
{
    if (!d || d->count == 0 || pct == 0 || pct > 100) return false;
    /* nearest rank: the smallest sample with at least pct % of them at or below it */
    uint64_t rank = (d->count * pct + 99) / 100, seen = 0;
    for (unsigned i = 0; i < RISK_DIST_BUCKETS; i++) {
        seen += d->bucket[i];
        if (seen >= rank) {
            *ms = i == 0 ? RISK_DIST_MIN_MS : i == RISK_DIST_BUCKETS - 1 ? INT64_MAX : dist_bound(i);
            return true;
        }
    }
    return false; /* buckets that do not sum to count: not from this module */
}

static size_t put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

/* A canonical varint (no needless trailing zero group); 0 on error. */
static size_t get_varint(const uint8_t *buf, size_t len, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < len && i < 10; i++) {
        uint64_t b = buf[i] & 0x7f;
        if (i == 9 && b > 1) return 0;
        *v |= b << (7 * i);
        if (!(buf[i] & 0x80)) return (i > 0 && buf[i] == 0) ? 0 : i + 1;
    }
    return 0;
}

size_t risk_dist_encode(const struct risk_dist *d, uint8_t *out)
{
    size_t n = put_varint(out, d->count);
    for (unsigned i = 0; i < RISK_DIST_BUCKETS; i++) n += put_varint(out + n, d->bucket[i]);
    return n;
}

int risk_dist_decode(const uint8_t *buf, size_t len, struct risk_dist *d)
{
    memset(d, 0, sizeof *d);
    uint64_t v, sum = 0;
    size_t at = get_varint(buf, len, &v);
    if (!at) return WB_ERR_DECODE;
    d->count = v;
    for (unsigned i = 0; i < RISK_DIST_BUCKETS; i++) {
        size_t n = get_varint(buf + at, len - at, &v);
        if (!n || v > UINT32_MAX) {
            memset(d, 0, sizeof *d);
            return WB_ERR_DECODE;
        }
        d->bucket[i] = (uint32_t)v;
        sum += v;
        at += n;
    }
    if (at != len || sum != d->count) {
        memset(d, 0, sizeof *d);
        return WB_ERR_DECODE;
    }
    return WB_OK;
}

/* ---- samples of a chain ----------------------------------------------------------- */

static bool is_locode(const char *loc) { return strlen(loc) == 5; }

void risk_sampler_init(struct risk_sampler *s) { memset(s, 0, sizeof *s); }

/* A dwell at s->arrived_at ending with ev (at the same place). */
static bool sampler_dwell(struct risk_sampler *s, const struct ledger_event *ev, uint32_t index,
                          struct risk_sample *out)
{
    if (!s->arrived || strcmp(s->arrived_at, ev->location) != 0) return false;
    memset(out, 0, sizeof *out);
    snprintf(out->key, sizeof out->key, "dwell %s", ev->location);
    out->ms = ev->time_ms - s->arrived_ms;
    out->from_event = s->arrived_event;
    out->to_event = index;
    return true;
}

bool risk_sampler_add(struct risk_sampler *s, const struct ledger_event *ev, uint32_t index,
                      struct risk_sample *out)
{
    bool emit = false;
    switch (ev->action) {
    case LEDGER_LOAD: {
        const char *m = ledger_event_attr(ev, "mode");
        s->load_mode = (uint8_t)(m ? ledger_mode_parse(m) : LEDGER_MODE_NONE);
        break;
    }
    case LEDGER_DEPART:
        emit = sampler_dwell(s, ev, index, out);
        s->arrived = false;
        s->departed = is_locode(ev->location);
        snprintf(s->departed_from, sizeof s->departed_from, "%s", s->departed ? ev->location : "");
        s->departed_ms = ev->time_ms;
        s->departed_event = index;
        s->depart_mode = s->load_mode;
        break;
    case LEDGER_ARRIVE:
        if (s->departed && is_locode(ev->location) && strcmp(s->departed_from, ev->location) != 0) {
            memset(out, 0, sizeof *out);
            const char *mode = s->depart_mode != LEDGER_MODE_NONE
                                   ? ledger_mode_name((enum ledger_mode)s->depart_mode)
                                   : "any";
            snprintf(out->key, sizeof out->key, "transit %s %s %s", s->departed_from, ev->location,
                     mode ? mode : "any");
            out->ms = ev->time_ms - s->departed_ms;
            out->from_event = s->departed_event;
            out->to_event = index;
            emit = true;
        }
        s->departed = false;
        s->load_mode = LEDGER_MODE_NONE;
        s->arrived = is_locode(ev->location);
        snprintf(s->arrived_at, sizeof s->arrived_at, "%s", s->arrived ? ev->location : "");
        s->arrived_ms = ev->time_ms;
        s->arrived_event = index;
        break;
    case LEDGER_DELIVER:
        emit = sampler_dwell(s, ev, index, out);
        s->arrived = false;
        break;
    default:
        break;
    }
    return emit;
}

size_t risk_samples_of_chain(const struct ledger_event *const *events, size_t count,
                             struct risk_sample *out, size_t cap)
{
    struct risk_sampler s;
    risk_sampler_init(&s);
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        struct risk_sample one;
        if (!risk_sampler_add(&s, events[i], (uint32_t)i, &one)) continue;
        if (n < cap) out[n] = one;
        n++;
    }
    return n;
}

/* ---- a set of baselines ----------------------------------------------------------- */

void risk_baselines_init(struct risk_baselines *b) { memset(b, 0, sizeof *b); }

void risk_baselines_free(struct risk_baselines *b)
{
    free(b->entries);
    memset(b, 0, sizeof *b);
}

/* The index of key, or where it would go (*found false). */
static size_t baselines_pos(const struct risk_baselines *b, const char *key, bool *found)
{
    size_t lo = 0, hi = b->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(b->entries[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = false;
    return lo;
}

int risk_baselines_add(struct risk_baselines *b, const char *key, int64_t ms)
{
    if (!key || !key[0] || strlen(key) >= RISK_KEY_MAX) return WB_ERR_INVALID;
    bool found;
    size_t at = baselines_pos(b, key, &found);
    if (!found) {
        if (b->count == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 64;
            struct risk_baseline_entry *n = realloc(b->entries, cap * sizeof *n);
            if (!n) return WB_ERR_NOMEM;
            b->entries = n;
            b->cap = cap;
        }
        memmove(&b->entries[at + 1], &b->entries[at], (b->count - at) * sizeof b->entries[0]);
        memset(&b->entries[at], 0, sizeof b->entries[at]);
        snprintf(b->entries[at].key, sizeof b->entries[at].key, "%s", key);
        b->count++;
    }
    risk_dist_add(&b->entries[at].dist, ms);
    return WB_OK;
}

const struct risk_dist *risk_baselines_find(const struct risk_baselines *b, const char *key)
{
    bool found;
    size_t at = key ? baselines_pos(b, key, &found) : 0;
    return key && found ? &b->entries[at].dist : NULL;
}
