/* Simulator utilities: the seeded generator (splitmix64 seeding
 * xoshiro256**), shared message buffers, the event queue (a binary heap
 * ordered by time, then insertion), and the trace hash. */
#include <stdlib.h>
#include <string.h>

#include "tests/sim/sim.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void rng_seed(struct sim_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(struct sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rng_below(struct sim_rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    /* Rejection keeps it uniform. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = rng_next(r);
    while (x >= limit);
    return x % n;
}

int64_t rng_range(struct sim_rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo) return lo;
    return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo) + 1);
}

bool rng_pm(struct sim_rng *r, uint32_t per_mille)
{
    return per_mille && rng_below(r, 1000) < per_mille;
}

struct sim_buf *buf_new(const void *data, size_t len)
{
    struct sim_buf *b = malloc(sizeof *b + (len ? len : 1));
    if (!b) return NULL;
    b->refs = 1;
    b->len = len;
    if (len) memcpy(b->data, data, len);
    return b;
}

struct sim_buf *buf_ref(struct sim_buf *b)
{
    if (b) b->refs++;
    return b;
}

void buf_unref(struct sim_buf *b)
{
    if (b && --b->refs == 0) free(b);
}

static bool ev_less(const struct sim_ev *a, const struct sim_ev *b)
{
    return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

int queue_push(struct sim_queue *q, struct sim_ev *ev)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 1024;
        struct sim_ev *a = realloc(q->a, cap * sizeof *a);
        if (!a) return -1;
        q->a = a;
        q->cap = cap;
    }
    ev->seq = q->seq++;
    size_t i = q->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!ev_less(ev, &q->a[p])) break;
        q->a[i] = q->a[p];
        i = p;
    }
    q->a[i] = *ev;
    return 0;
}

bool queue_pop(struct sim_queue *q, struct sim_ev *out)
{
    if (q->n == 0) return false;
    *out = q->a[0];
    struct sim_ev last = q->a[--q->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const struct sim_ev *best = &last;
        if (l < q->n && ev_less(&q->a[l], best)) {
            m = l;
            best = &q->a[l];
        }
        if (r < q->n && ev_less(&q->a[r], best)) m = r;
        if (m == i) break;
        q->a[i] = q->a[m];
        i = m;
    }
    if (q->n) q->a[i] = last;
    return true;
}

void queue_free(struct sim_queue *q)
{
    for (size_t i = 0; i < q->n; i++) {
        buf_unref(q->a[i].buf);
        buf_unref(q->a[i].buf2);
    }
    free(q->a);
    memset(q, 0, sizeof *q);
}

uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
