/* The risk index's tables (internal to node/risk/): interned strings (each
 * distinct string stored once and named by a dense number from 0) and a
 * map from 64-bit keys to 32-bit values, both open addressing with linear
 * probing at most half full. Every allocation goes through one function of
 * the caller's (struct node_risk_alloc), so that tests can make it fail. The
 * hash keys are random per table: a table's layout differs from node to
 * node, so nothing the index answers may depend on it (lookups only, never
 * an iteration over the slots). */
#ifndef NODE_RISK_TABLE_H
#define NODE_RISK_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"

/* realloc's contract: NULL on failure with p untouched; n 0 frees p. */
struct node_risk_alloc {
    void *(*realloc)(void *ctx, void *p, size_t n);
    void *ctx;
};

/* Grows *p (an array of *cap elements of size elem) to hold at least want,
 * doubling from min. Returns 0 or WB_ERR_NOMEM (*p and *cap unchanged). */
WB_MUST_USE int node_risk__grow(const struct node_risk_alloc *a, void **p, size_t *cap,
                                size_t want, size_t elem, size_t min);
void node_risk__free(const struct node_risk_alloc *a, void *p);

/* Interned strings: string i is at bytes + off[i], NUL-terminated. */
struct node_risk_strtab {
    char *bytes;
    size_t used, cap;
    uint32_t *off;
    size_t count, off_cap;
    uint32_t *slots;                  /* id + 1; 0: empty */
    size_t slot_count;                /* a power of two, or 0 */
    uint8_t key[16];                  /* the hash's key (crypto_shorthash) */
};

void node_risk__strtab_init(struct node_risk_strtab *t);
void node_risk__strtab_free(const struct node_risk_alloc *a, struct node_risk_strtab *t);
/* The id of the len bytes at s (no NUL among them), adding them when new.
 * Returns 0, WB_ERR_NOMEM (nothing added) or WB_ERR_TOO_LARGE (the table
 * would pass 4 GiB of text or 2^32 - 1 strings). */
WB_MUST_USE int node_risk__strtab_intern(const struct node_risk_alloc *a,
                                         struct node_risk_strtab *t, const char *s, size_t len,
                                         uint32_t *id);
/* Whether the len bytes at s are in the table (their id in *id). */
WB_MUST_USE bool node_risk__strtab_find(const struct node_risk_strtab *t, const char *s,
                                        size_t len, uint32_t *id);
/* String id (< t->count); valid until the next intern. */
static inline const char *node_risk__strtab_str(const struct node_risk_strtab *t, uint32_t id)
{
    return t->bytes + t->off[id];
}
/* Bytes held. */
size_t node_risk__strtab_bytes(const struct node_risk_strtab *t);

/* A map of 64-bit keys (any value but 0) to 32-bit values. */
struct node_risk_map {
    uint64_t *keys;                   /* 0: empty */
    uint32_t *vals;
    size_t slot_count;                /* a power of two, or 0 */
    size_t count;
    uint64_t seed;
};

void node_risk__map_init(struct node_risk_map *m);
void node_risk__map_free(const struct node_risk_alloc *a, struct node_risk_map *m);
/* Sets key's value (adding the key when new). Returns 0 or WB_ERR_NOMEM
 * (the map unchanged). */
WB_MUST_USE int node_risk__map_put(const struct node_risk_alloc *a, struct node_risk_map *m,
                                   uint64_t key, uint32_t val);
/* Whether key is in the map (its value in *val, which may be NULL). */
WB_MUST_USE bool node_risk__map_get(const struct node_risk_map *m, uint64_t key, uint32_t *val);
/* Removes key; false when it was not there. */
WB_MUST_USE bool node_risk__map_del(struct node_risk_map *m, uint64_t key);
size_t node_risk__map_bytes(const struct node_risk_map *m);

#endif
