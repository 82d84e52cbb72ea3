/* Learned baselines; see baseline.h. */
#include "risk/baseline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/plan.h"

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

/* The plan's leg mode from stop `loc`, or NONE. */
static enum ledger_mode plan_leg(const struct ledger_plan *p, bool have, const char *loc)
{
    for (size_t i = 0; have && i < p->stop_count; i++)
        if (strcmp(p->stops[i].locode, loc) == 0) return p->stops[i].leg_mode;
    return LEDGER_MODE_NONE;
}

size_t risk_samples_of_chain(const struct ledger_event *const *events, size_t count,
                             struct risk_sample *out, size_t cap)
{
    size_t n = 0;
    struct ledger_plan plan;
    bool have_plan = false;
    enum ledger_mode load_mode = LEDGER_MODE_NONE;
    long arrived = -1, departed = -1;     /* indexes of the open arrive / depart */
    enum ledger_mode depart_mode = LEDGER_MODE_NONE;
    for (size_t i = 0; i < count; i++) {
        const struct ledger_event *ev = events[i];
        char msg[8];
        struct risk_sample s;
        bool emit = false;
        memset(&s, 0, sizeof s);
        switch (ev->action) {
        case LEDGER_PLAN_SET:
            have_plan = ledger_plan_decode(ev, &plan, msg, sizeof msg) == WB_OK;
            break;
        case LEDGER_LOAD: {
            const char *m = ledger_event_attr(ev, "mode");
            load_mode = m ? ledger_mode_parse(m) : LEDGER_MODE_NONE;
            break;
        }
        case LEDGER_DEPART:
            if (arrived >= 0 && is_locode(ev->location) &&
                strcmp(events[arrived]->location, ev->location) == 0) {
                snprintf(s.key, sizeof s.key, "dwell %s", ev->location);
                s.ms = ev->time_ms - events[arrived]->time_ms;
                s.from_event = (uint32_t)arrived;
                s.to_event = (uint32_t)i;
                emit = true;
            }
            arrived = -1;
            departed = is_locode(ev->location) ? (long)i : -1;
            depart_mode = load_mode != LEDGER_MODE_NONE ? load_mode
                                                        : plan_leg(&plan, have_plan, ev->location);
            break;
        case LEDGER_ARRIVE:
            if (departed >= 0 && is_locode(ev->location) &&
                strcmp(events[departed]->location, ev->location) != 0) {
                const char *mode = depart_mode != LEDGER_MODE_NONE ? ledger_mode_name(depart_mode)
                                                                   : "any";
                snprintf(s.key, sizeof s.key, "transit %s %s %s", events[departed]->location,
                         ev->location, mode);
                s.ms = ev->time_ms - events[departed]->time_ms;
                s.from_event = (uint32_t)departed;
                s.to_event = (uint32_t)i;
                emit = true;
            }
            departed = -1;
            load_mode = LEDGER_MODE_NONE;
            arrived = is_locode(ev->location) ? (long)i : -1;
            break;
        case LEDGER_DELIVER:
            if (arrived >= 0 && is_locode(ev->location) &&
                strcmp(events[arrived]->location, ev->location) == 0) {
                snprintf(s.key, sizeof s.key, "dwell %s", ev->location);
                s.ms = ev->time_ms - events[arrived]->time_ms;
                s.from_event = (uint32_t)arrived;
                s.to_event = (uint32_t)i;
                emit = true;
            }
            arrived = -1;
            break;
        default:
            break;
        }
        if (emit) {
            if (n < cap) out[n] = s;
            n++;
        }
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
