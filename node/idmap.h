/* idmap: an open-addressing hash map from 32-byte ids (event ids, SHA-256 of
 * item ids) to caller-owned pointers. Linear probing, backward-shift deletion. */
#ifndef NODE_IDMAP_H
#define NODE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"

#define IDMAP_KEY_LEN 32
/* Upper bound on slots (2^28 slots, 12 GiB of table): a request that would
 * need more fails with WB_ERR_TOO_LARGE instead of overflowing sizes. */
#define IDMAP_SLOTS_MAX ((size_t)1 << 28)

struct idmap;

/* Creates an empty map sized for about `capacity_hint` entries without
 * growing (0 is allowed). Slot positions come from SipHash-2-4 under a random
 * per-map key, so ids chosen by a peer cannot be ground to collide.
 * Returns 0, WB_ERR_NOMEM, WB_ERR_TOO_LARGE (hint over the limit) or
 * WB_ERR_CRYPTO (libsodium could not initialise). */
WB_MUST_USE int idmap_create(size_t capacity_hint, struct idmap **out);

/* Frees the map, not the values it points to. NULL is allowed. */
void idmap_destroy(struct idmap *m);

/* The value stored under key, or NULL. */
void *idmap_get(const struct idmap *m, const uint8_t key[static IDMAP_KEY_LEN]);

/* Stores value (not NULL) under key, replacing any previous value. The key
 * bytes are copied; the value is only stored. Grows the table (rehash) when
 * it passes 3/4 full. Returns 0, WB_ERR_INVALID (value NULL), or
 * WB_ERR_NOMEM / WB_ERR_TOO_LARGE when it had to grow and could not (the map
 * is then unchanged). After idmap_reserve(m, k), the next k puts of new keys
 * cannot fail. */
WB_MUST_USE int idmap_put(struct idmap *m, const uint8_t key[static IDMAP_KEY_LEN], void *value);

/* Makes room for `more` further entries without growing. Returns 0,
 * WB_ERR_NOMEM or WB_ERR_TOO_LARGE (the map is unchanged on failure). */
WB_MUST_USE int idmap_reserve(struct idmap *m, size_t more);

/* Removes key and returns its value, or NULL if it was absent. Never fails;
 * shrinks the table when it falls below 1/8 full (if that allocation fails
 * the table simply stays larger). */
void *idmap_del(struct idmap *m, const uint8_t key[static IDMAP_KEY_LEN]);

/* Number of entries, and number of slots of the table (for tests and stats). */
size_t idmap_count(const struct idmap *m);
size_t idmap_slots(const struct idmap *m);

#endif
