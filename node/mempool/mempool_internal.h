/* Mempool internals shared by mempool.c (admission, take) and
 * mempool_commit.c (the after-commit re-check). Not for other modules. */
#ifndef NODE_MEMPOOL_INTERNAL_H
#define NODE_MEMPOOL_INTERNAL_H

#include "common/wb_error.h"
#include "node/idmap.h"
#include "node/mempool/mempool.h"

/* Room for any reason the ledger writes (an item id of WB_ITEM_MAX bytes
 * plus a sentence). */
#define MEMPOOL_REASON_MAX 512

struct mempool_item;

/* One pending event: its exact signed bytes, nothing decoded (a decoded
 * struct ledger_event is ~3 KB; the bytes are re-decoded when needed). */
struct mempool_entry {
    struct mempool_entry *prev, *next;           /* admission order, all items */
    struct mempool_entry *item_prev, *item_next; /* admission order, this item */
    struct mempool_item *item;
    uint8_t id[WB_HASH_LEN];
    int64_t time_ms;                             /* the event's time, for mempool_expire */
    size_t len;
    uint8_t bytes[];
};

/* An item with at least one pending event (outside of mempool_on_commit,
 * an item without any is freed at once). */
struct mempool_item {
    uint8_t key[WB_HASH_LEN];                    /* SHA-256(name), its by_item key */
    char name[WB_ITEM_MAX + 1];
    struct mempool_entry *first, *last;
    size_t count;
    struct ledger_item_state state;              /* committed + pending events */
    struct mempool_item *touched_next;           /* mempool_on_commit's work list */
    bool touched;
    bool prefix_only;                            /* the block took only its oldest events */
    uint64_t take_pass;                          /* last take pass that passed it over */
};

struct mempool {
    struct mempool_config cfg;
    struct idmap *by_id;                         /* event id -> struct mempool_entry */
    struct idmap *by_item;                       /* SHA-256(item) -> struct mempool_item */
    struct mempool_entry *head, *tail;           /* oldest first */
    size_t count;
    size_t bytes;
    uint64_t take_pass;
    /* Refused admissions by error code: refused[-err - 1] (mempool_refused). */
    uint64_t refused[WB_ERR_CODE_COUNT];
    struct ledger_event scratch;                 /* decode space, kept off the stack */
};

/* Writes a formatted reason (reason may be NULL) and returns err. */
int mempool__fail(char *reason, size_t reason_len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The by_item key of an item id. */
void mempool__item_key(const char *item, uint8_t key[WB_HASH_LEN]);

/* The committed state of `item` via cfg.lookup, zeroed when the item is new.
 * Returns 0 or the lookup's error (never positive) with a reason. */
WB_MUST_USE int mempool__committed_state(const struct mempool *mp, const char *item,
                                         struct ledger_item_state *st, char *reason,
                                         size_t reason_len);

/* Whether decoded event ev may follow state st: WB_ERR_STALE when the item
 * exists and prev is not its head, else ledger_rules_check with ref_ms as
 * the time rules' reference. */
WB_MUST_USE int mempool__check(const struct mempool *mp, const struct ledger_item_state *st,
                               const struct ledger_event *ev, int64_t ref_ms, char *reason,
                               size_t reason_len);

/* The node's clock (cfg.clock, else the real-time clock), unix ms. */
int64_t mempool__now_ms(const struct mempool *mp);

/* Unlinks e from both orders and by_id, updates the totals and frees e. The
 * item stays, even when it has no events left. */
void mempool__remove(struct mempool *mp, struct mempool_entry *e);

/* Frees `it` and its by_item entry if it has no pending events. */
void mempool__item_release_if_empty(struct mempool *mp, struct mempool_item *it);

#endif
