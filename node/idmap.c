/* idmap: open addressing with linear probing over a power-of-two table;
 * deletion shifts the following run back, so there are no tombstones. */
#include "node/idmap.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_assert.h"
#include "common/wb_error.h"

#define IDMAP_SLOTS_MIN 16

/* An empty slot has value NULL. */
struct idmap_slot {
    uint8_t key[IDMAP_KEY_LEN];
    void *value;
};

struct idmap {
    struct idmap_slot *slots;
    size_t mask;                /* slots - 1 */
    size_t count;
    size_t slots_min;           /* never shrink below the size asked for at creation */
    uint8_t hash_key[crypto_shorthash_KEYBYTES];
};

static size_t idmap__home(const struct idmap *m, const uint8_t key[IDMAP_KEY_LEN])
{
    uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, key, IDMAP_KEY_LEN, m->hash_key);
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof h; i++) v = v << 8 | h[i];
    return (size_t)v & m->mask;
}

/* Slots needed so that `entries` stay at most 3/4 of the table. */
static int idmap__slots_for(size_t entries, size_t *slots)
{
    size_t n = IDMAP_SLOTS_MIN;
    while (n / 4 * 3 < entries) {
        if (n >= IDMAP_SLOTS_MAX) return WB_ERR_TOO_LARGE;
        n *= 2;
    }
    *slots = n;
    return WB_OK;
}

/* Finds key: returns its slot index and sets *found, or the empty slot
 * ending its probe run. The table always has an empty slot. */
static size_t idmap__find(const struct idmap *m, const uint8_t key[IDMAP_KEY_LEN], bool *found)
{
    size_t i = idmap__home(m, key);
    for (;;) {
        const struct idmap_slot *s = &m->slots[i];
        if (!s->value) {
            *found = false;
            return i;
        }
        if (memcmp(s->key, key, IDMAP_KEY_LEN) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & m->mask;
    }
}

/* Moves every entry into a fresh table of `slots` slots. On failure the old
 * table is kept. */
static int idmap__rehash(struct idmap *m, size_t slots)
{
    WB_ASSERT(slots > m->count && (slots & (slots - 1)) == 0);
    struct idmap_slot *fresh = calloc(slots, sizeof *fresh);
    if (!fresh) return WB_ERR_NOMEM;
    struct idmap_slot *old = m->slots;
    size_t old_slots = m->mask + 1;
    m->slots = fresh;
    m->mask = slots - 1;
    for (size_t i = 0; i < old_slots; i++) {
        if (!old[i].value) continue;
        bool found;
        size_t j = idmap__find(m, old[i].key, &found);
        WB_ASSERT(!found);
        m->slots[j] = old[i];
    }
    free(old);
    return WB_OK;
}

int idmap_create(size_t capacity_hint, struct idmap **out)
{
    *out = NULL;
    if (sodium_init() < 0) return WB_ERR_CRYPTO;
    size_t slots;
    int rc = idmap__slots_for(capacity_hint, &slots);
    if (rc) return rc;
    struct idmap *m = calloc(1, sizeof *m);
    if (!m) return WB_ERR_NOMEM;
    m->slots = calloc(slots, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return WB_ERR_NOMEM;
    }
    m->mask = slots - 1;
    m->slots_min = slots;
    crypto_shorthash_keygen(m->hash_key);
    *out = m;
    return WB_OK;
}

void idmap_destroy(struct idmap *m)
{
    if (!m) return;
    free(m->slots);
    sodium_memzero(m->hash_key, sizeof m->hash_key);
    free(m);
}

void *idmap_get(const struct idmap *m, const uint8_t key[static IDMAP_KEY_LEN])
{
    bool found;
    size_t i = idmap__find(m, key, &found);
    return found ? m->slots[i].value : NULL;
}

int idmap_reserve(struct idmap *m, size_t more)
{
    if (more > IDMAP_SLOTS_MAX - m->count) return WB_ERR_TOO_LARGE;
    size_t slots;
    int rc = idmap__slots_for(m->count + more, &slots);
    if (rc) return rc;
    if (slots <= m->mask + 1) return WB_OK;
    return idmap__rehash(m, slots);
}

int idmap_put(struct idmap *m, const uint8_t key[static IDMAP_KEY_LEN], void *value)
{
    if (!value) return WB_ERR_INVALID;
    bool found;
    size_t i = idmap__find(m, key, &found);
    if (found) {
        m->slots[i].value = value;
        return WB_OK;
    }
    if ((m->count + 1) > (m->mask + 1) / 4 * 3) {
        int rc = idmap_reserve(m, 1);
        if (rc) return rc;
        i = idmap__find(m, key, &found);
        WB_ASSERT(!found);
    }
    memcpy(m->slots[i].key, key, IDMAP_KEY_LEN);
    m->slots[i].value = value;
    m->count++;
    return WB_OK;
}

/* Whether home slot h lies cyclically within (hole, j]: an entry at j whose
 * home is there must stay behind the hole; otherwise it may move into it. */
static bool idmap__home_between(size_t hole, size_t h, size_t j)
{
    if (hole <= j) return hole < h && h <= j;
    return hole < h || h <= j;
}

void *idmap_del(struct idmap *m, const uint8_t key[static IDMAP_KEY_LEN])
{
    bool found;
    size_t hole = idmap__find(m, key, &found);
    if (!found) return NULL;
    void *value = m->slots[hole].value;
    size_t j = hole;
    for (;;) {
        j = (j + 1) & m->mask;
        struct idmap_slot *s = &m->slots[j];
        if (!s->value) break;
        size_t h = idmap__home(m, s->key);
        if (idmap__home_between(hole, h, j)) continue;
        m->slots[hole] = *s;
        hole = j;
    }
    memset(&m->slots[hole], 0, sizeof m->slots[hole]);
    m->count--;

    size_t slots = m->mask + 1;
    if (slots > m->slots_min && m->count < slots / 8) {
        /* Halving keeps the table at most 1/4 full, far from the growth
         * threshold, so put/del at the boundary cannot thrash. */
        (void)idmap__rehash(m, slots / 2);
    }
    return value;
}

size_t idmap_count(const struct idmap *m) { return m->count; }
size_t idmap_slots(const struct idmap *m) { return m->mask + 1; }
