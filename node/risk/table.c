/* The risk index's tables (table.h): interned strings and a 64-bit map. */
#include "node/risk/table.h"

#include <sodium.h>
#include <string.h>

#include "common/wb_assert.h"

#define STRTAB_TEXT_MAX UINT32_MAX    /* offsets are 32-bit */
#define SLOTS_MIN 64

int node_risk__grow(const struct node_risk_alloc *a, void **p, size_t *cap, size_t want,
                    size_t elem, size_t min)
{
    if (want <= *cap) return WB_OK;
    size_t c = *cap ? *cap : min;
    while (c < want) {
        if (c > SIZE_MAX / 2) return WB_ERR_NOMEM;
        c *= 2;
    }
    if (c > SIZE_MAX / elem) return WB_ERR_NOMEM;
    void *n = a->realloc(a->ctx, *p, c * elem);
    if (!n) return WB_ERR_NOMEM;
    *p = n;
    *cap = c;
    return WB_OK;
}

void node_risk__free(const struct node_risk_alloc *a, void *p)
{
    if (p) (void)a->realloc(a->ctx, p, 0);
}

/* ---- interned strings ------------------------------------------------------------ */

static uint64_t str_hash(const struct node_risk_strtab *t, const char *s, size_t len)
{
    uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)s, len, t->key);
    uint64_t v;
    memcpy(&v, h, sizeof v);
    return v;
}

void node_risk__strtab_init(struct node_risk_strtab *t)
{
    memset(t, 0, sizeof *t);
    randombytes_buf(t->key, sizeof t->key);
}

void node_risk__strtab_free(const struct node_risk_alloc *a, struct node_risk_strtab *t)
{
    node_risk__free(a, t->bytes);
    node_risk__free(a, t->off);
    node_risk__free(a, t->slots);
    memset(t, 0, sizeof *t);
}

/* The slot of s, or of the empty slot where it would go (*found false). */
static size_t strtab_slot(const struct node_risk_strtab *t, const char *s, size_t len, bool *found)
{
    size_t mask = t->slot_count - 1;
    size_t i = (size_t)str_hash(t, s, len) & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t v = t->slots[i];
        if (v == 0) {
            *found = false;
            return i;
        }
        const char *have = t->bytes + t->off[v - 1];
        if (strncmp(have, s, len) == 0 && have[len] == '\0') {
            *found = true;
            return i;
        }
    }
}

bool node_risk__strtab_find(const struct node_risk_strtab *t, const char *s, size_t len,
                            uint32_t *id)
{
    if (t->slot_count == 0) return false;
    bool found;
    size_t i = strtab_slot(t, s, len, &found);
    if (found) *id = t->slots[i] - 1;
    return found;
}

/* Doubles the slots (or makes the first ones) and puts every id back. */
static int strtab_rehash(const struct node_risk_alloc *a, struct node_risk_strtab *t)
{
    size_t n = t->slot_count ? t->slot_count * 2 : SLOTS_MIN;
    if (n > SIZE_MAX / sizeof *t->slots) return WB_ERR_NOMEM;
    uint32_t *slots = a->realloc(a->ctx, NULL, n * sizeof *slots);
    if (!slots) return WB_ERR_NOMEM;
    memset(slots, 0, n * sizeof *slots);
    for (size_t id = 0; id < t->count; id++) {
        const char *s = t->bytes + t->off[id];
        size_t i = (size_t)str_hash(t, s, strlen(s)) & (n - 1);
        while (slots[i]) i = (i + 1) & (n - 1);
        slots[i] = (uint32_t)id + 1;
    }
    node_risk__free(a, t->slots);
    t->slots = slots;
    t->slot_count = n;
    return WB_OK;
}

int node_risk__strtab_intern(const struct node_risk_alloc *a, struct node_risk_strtab *t,
                             const char *s, size_t len, uint32_t *id)
{
    if (node_risk__strtab_find(t, s, len, id)) return WB_OK;
    if (t->count >= UINT32_MAX - 1 || t->used + len + 1 > STRTAB_TEXT_MAX)
        return WB_ERR_TOO_LARGE;
    /* Room everywhere first, so that a failure adds nothing. */
    if ((t->count + 1) * 2 > t->slot_count) {
        int rc = strtab_rehash(a, t);
        if (rc) return rc;
    }
    int rc = node_risk__grow(a, (void **)&t->bytes, &t->cap, t->used + len + 1, 1, 4096);
    if (rc == WB_OK)
        rc = node_risk__grow(a, (void **)&t->off, &t->off_cap, t->count + 1, sizeof *t->off, 256);
    if (rc) return rc;
    memcpy(t->bytes + t->used, s, len);
    t->bytes[t->used + len] = '\0';
    t->off[t->count] = (uint32_t)t->used;
    t->used += len + 1;
    bool found;
    size_t slot = strtab_slot(t, s, len, &found);
    WB_ASSERT(!found);
    t->slots[slot] = (uint32_t)t->count + 1;
    *id = (uint32_t)t->count++;
    return WB_OK;
}

size_t node_risk__strtab_bytes(const struct node_risk_strtab *t)
{
    return t->cap + t->off_cap * sizeof *t->off + t->slot_count * sizeof *t->slots;
}

/* ---- the 64-bit map ------------------------------------------------------------- */

/* splitmix64's finaliser over the key and the table's seed. */
static uint64_t key_hash(const struct node_risk_map *m, uint64_t k)
{
    uint64_t z = k ^ m->seed;
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void node_risk__map_init(struct node_risk_map *m)
{
    memset(m, 0, sizeof *m);
    randombytes_buf(&m->seed, sizeof m->seed);
}

void node_risk__map_free(const struct node_risk_alloc *a, struct node_risk_map *m)
{
    node_risk__free(a, m->keys);
    node_risk__free(a, m->vals);
    memset(m, 0, sizeof *m);
}

static size_t map_slot(const struct node_risk_map *m, uint64_t key, bool *found)
{
    size_t mask = m->slot_count - 1;
    for (size_t i = (size_t)key_hash(m, key) & mask;; i = (i + 1) & mask) {
        if (m->keys[i] == key || m->keys[i] == 0) {
            *found = m->keys[i] == key;
            return i;
        }
    }
}

bool node_risk__map_get(const struct node_risk_map *m, uint64_t key, uint32_t *val)
{
    WB_ASSERT(key != 0);
    if (m->slot_count == 0) return false;
    bool found;
    size_t i = map_slot(m, key, &found);
    if (found && val) *val = m->vals[i];
    return found;
}

static int map_rehash(const struct node_risk_alloc *a, struct node_risk_map *m)
{
    size_t n = m->slot_count ? m->slot_count * 2 : SLOTS_MIN;
    if (n > SIZE_MAX / sizeof *m->keys) return WB_ERR_NOMEM;
    uint64_t *keys = a->realloc(a->ctx, NULL, n * sizeof *keys);
    uint32_t *vals = keys ? a->realloc(a->ctx, NULL, n * sizeof *vals) : NULL;
    if (!vals) {
        node_risk__free(a, keys);
        return WB_ERR_NOMEM;
    }
    memset(keys, 0, n * sizeof *keys);
    struct node_risk_map grown = {.keys = keys, .vals = vals, .slot_count = n,
                                  .count = m->count, .seed = m->seed};
    for (size_t i = 0; i < m->slot_count; i++) {
        if (m->keys[i] == 0) continue;
        bool found;
        size_t j = map_slot(&grown, m->keys[i], &found);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    node_risk__free(a, m->keys);
    node_risk__free(a, m->vals);
    *m = grown;
    return WB_OK;
}

int node_risk__map_put(const struct node_risk_alloc *a, struct node_risk_map *m, uint64_t key,
                       uint32_t val)
{
    WB_ASSERT(key != 0);
    if ((m->count + 1) * 2 > m->slot_count) {
        int rc = map_rehash(a, m);
        if (rc) return rc;
    }
    bool found;
    size_t i = map_slot(m, key, &found);
    if (!found) {
        m->keys[i] = key;
        m->count++;
    }
    m->vals[i] = val;
    return WB_OK;
}

bool node_risk__map_del(struct node_risk_map *m, uint64_t key)
{
    WB_ASSERT(key != 0);
    if (m->slot_count == 0) return false;
    bool found;
    size_t i = map_slot(m, key, &found);
    if (!found) return false;
    /* Backward-shift deletion: no tombstones, so probes stay short. */
    size_t mask = m->slot_count - 1;
    for (size_t j = (i + 1) & mask; m->keys[j] != 0; j = (j + 1) & mask) {
        size_t home = (size_t)key_hash(m, m->keys[j]) & mask;
        /* j's key may move to i when its home is not in (i, j]. */
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (between) continue;
        m->keys[i] = m->keys[j];
        m->vals[i] = m->vals[j];
        i = j;
    }
    m->keys[i] = 0;
    m->count--;
    return true;
}

size_t node_risk__map_bytes(const struct node_risk_map *m)
{
    return m->slot_count * (sizeof *m->keys + sizeof *m->vals);
}
