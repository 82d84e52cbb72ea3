/* The mempool: signed events that passed signature and rule checks on this
 * node, waiting for a block, in admission order (DESIGN.md section 6). */
#ifndef NODE_MEMPOOL_H
#define NODE_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/genesis.h"
#include "ledger/gov.h"
#include "ledger/types.h"
#include "ledger/validate.h"

/* The node's clock in unix milliseconds: the time rules' reference when an
 * event is admitted or re-checked after a commit. */
typedef int64_t (*mempool_clock_fn)(void *ctx);

struct mempool_config {
    const struct ledger_genesis *genesis;  /* borrowed; must outlive the mempool */
    /* The committed governance state (its view is normally `genesis`), or
     * NULL: governance events are then refused. With it, admission refuses
     * a revoked key or a removed organisation's (ledger_gov_key_refusal)
     * and checks a governance event with ledger_gov_check against the
     * committed state as of the next block. Borrowed. */
    const struct ledger_gov *gov;
    size_t events_max;                     /* pending events, >= 1 */
    size_t bytes_max;                      /* sum of pending signed-event bytes, >= 1 */
    ledger_state_lookup_fn lookup;         /* reads an item's COMMITTED state */
    void *lookup_ctx;
    mempool_clock_fn clock;                /* NULL: the system's real-time clock */
    void *clock_ctx;
};

/* One mempool belongs to one event loop: no call is thread-safe. */
struct mempool;

/* Called by mempool_on_commit for each pending event it drops: id, the
 * error (WB_ERR_STALE, WB_ERR_RULE, or the error of lookup) and a reason for
 * a person. Both pointers are valid during the call only. The callback must
 * not call into the mempool. */
typedef void (*mempool_dropped_fn)(void *ctx, const uint8_t id[WB_HASH_LEN], int err,
                                   const char *reason);

/* Creates an empty mempool. The config is copied (the genesis it points to is
 * not). Returns 0, WB_ERR_INVALID (NULL genesis or lookup, a zero limit) or
 * WB_ERR_NOMEM / WB_ERR_CRYPTO. */
WB_MUST_USE int mempool_create(const struct mempool_config *cfg, struct mempool **out);

/* Frees the mempool and every event it holds. NULL is allowed. */
void mempool_destroy(struct mempool *mp);

/* Admits SignedEvent bytes. In order: the envelope splits (DECODE), the id
 * is not pending already (DUPLICATE), there is room (BUSY), the event decodes
 * and its signature verifies (the one verification of this event on this
 * node), then it is checked against the item's pending state: the committed
 * state (cfg.lookup) overlaid with the events already pending for that item,
 * so a client may submit a chain of one item's events without waiting for
 * commits (event k+1 with prev = id of pending event k is admitted). The
 * time rules take the node's clock (cfg.clock) as their reference.
 * The bytes are copied; the caller keeps `signed_event`.
 * id_out (may be NULL) receives the event id whenever the envelope splits,
 * else zeros. reason (may be NULL) receives a sentence for every error.
 * Returns:
 *   0                      admitted;
 *   WB_ERR_DUPLICATE       already pending (id_out is filled);
 *   WB_ERR_BUSY            count or bytes would pass the limits
 *                          ("mempool full: N events / B bytes ..."); nothing grows;
 *   WB_ERR_TOO_LARGE       over WB_SIGNED_EVENT_MAX bytes;
 *   WB_ERR_DECODE, WB_ERR_INVALID, WB_ERR_CHECK_DIGIT   malformed event;
 *   WB_ERR_SIGNATURE       the signature does not verify for its submitter;
 *   WB_ERR_STALE           the item exists and prev is not its (pending) head:
 *                          "stale: the item's head moved on ...";
 *   WB_ERR_RULE            a ledger rule refused it (ledger_rules_check, with the
 *                          node's clock as the time rules' reference);
 *   WB_ERR_NOMEM, or the error of cfg.lookup other than WB_ERR_NOT_FOUND.
 * On any error the mempool is unchanged. */
WB_MUST_USE int mempool_add(struct mempool *mp, const uint8_t *signed_event, size_t len,
                            uint8_t id_out[WB_HASH_LEN], char *reason, size_t reason_len);

/* Whether event `id` is pending (so its signature was verified here). Has the
 * shape of ledger_sig_known_fn once wrapped: ctx = the mempool. */
bool mempool_contains(const struct mempool *mp, const uint8_t id[WB_HASH_LEN]);

/* Whether exactly these SignedEvent bytes are pending under `id`: the
 * daemon's ledger_sig_known_fn. Same id but other bytes (a forged or
 * re-encoded signature) is false, so its signature gets checked. */
bool mempool_holds(const struct mempool *mp, const uint8_t id[WB_HASH_LEN],
                   const uint8_t *signed_event, size_t len);

/* If `item` has pending events, writes its pending state (the committed
 * state with the pending events applied: head = the newest pending event,
 * count includes them; first_height/last_height stay those of the committed
 * events, 0 while none is committed) and returns 0. Otherwise returns
 * WB_ERR_NOT_FOUND and leaves *st untouched: ask storage. */
WB_MUST_USE int mempool_pending_state(struct mempool *mp, const char *item,
                                      struct ledger_item_state *st);

/* Proposes a block's worth of events without removing them: the oldest
 * pending events in admission order (so each item's chain stays in order),
 * at most events_max of them and at most bytes_max bytes in total. Stops at
 * the first event that does not fit; while nothing is taken yet, an event
 * larger than bytes_max on its own is passed over together with the later
 * events of its item, so one such event cannot starve the rest.
 * events and lens are caller arrays of at least events_max entries; events[i]
 * points into the mempool and stays valid until the next mempool_add,
 * mempool_on_commit or mempool_destroy. Returns the number written. */
size_t mempool_take(struct mempool *mp, size_t events_max, size_t bytes_max,
                    const uint8_t **events, size_t *lens);

/* Call after block b is committed to storage (cfg.lookup already answers with
 * the new states). Removes the block's events that are pending (no callback
 * for those: they are committed). Then, for every item the block touched
 * that still has pending events, re-checks them in admission order against
 * the new committed state (the time rules against cfg.clock) and drops those
 * that no longer pass, calling
 * dropped(ctx, id, err, reason) for each (err WB_ERR_STALE "stale: the
 * item's head moved on ..." when another event took the head; WB_ERR_RULE
 * otherwise), and rebuilds those items' pending states. Items the block did
 * not touch keep their pending events untouched: the cost is proportional
 * to the block and the touched items' pending events, not to the mempool.
 * r may be NULL; else it is what ledger_block_check_full returned for b, and
 * its event ids and item names are used instead of hashing and decoding the
 * block's events again (the caller vouches for them; an r whose event_count
 * is not b's is ignored).
 * dropped may be NULL. Returns 0, or the first error of cfg.lookup other
 * than WB_ERR_NOT_FOUND: the pending events of an item whose committed state
 * could not be read are dropped with that error (the mempool stays
 * consistent either way). */
WB_MUST_USE int mempool_on_commit(struct mempool *mp, const struct ledger_block *b,
                                  const struct ledger_block_result *r, mempool_dropped_fn dropped,
                                  void *ctx);

/* Call before proposing a block of time block_time_ms: drops the pending
 * events that a block of that time can no longer carry because their event
 * time lies more than genesis backdate_max_ms before it (admitted inside
 * the limit, they waited too long), and with them the later pending events
 * of their items that no longer pass (re-checked like mempool_on_commit
 * does, against block_time_ms). dropped(ctx, id, WB_ERR_RULE or
 * WB_ERR_STALE, reason) is called for each; it may be NULL. Costs one
 * comparison per pending event when nothing expired. Returns the number of
 * events dropped. */
size_t mempool_expire(struct mempool *mp, int64_t block_time_ms, mempool_dropped_fn dropped,
                      void *ctx);

/* Call after a block that changed the governance state is committed (and
 * after mempool_on_commit): re-checks every pending item against the new
 * registry, as mempool_on_commit does for touched items, so that no event
 * of a key revoked or an organisation removed by the block stays pending.
 * Costs one check per pending event. Returns 0 or the first lookup error
 * (as mempool_on_commit). */
WB_MUST_USE int mempool_recheck_all(struct mempool *mp, mempool_dropped_fn dropped, void *ctx);

/* Events mempool_add refused with error `err` (a negative wb_err) since
 * creation; duplicates (WB_ERR_DUPLICATE: gossip repeats events) are not
 * counted. 0 for any other value. */
uint64_t mempool_refused(const struct mempool *mp, int err);

/* Number of pending events, and the sum of their signed-event bytes. */
size_t mempool_count(const struct mempool *mp);
size_t mempool_bytes(const struct mempool *mp);

#endif
