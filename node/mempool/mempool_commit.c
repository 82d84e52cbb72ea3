/* After a commit: drop the block's events from the mempool, then re-check the
 * pending events of the items the block touched against their new committed
 * state (DESIGN.md section 4, "Practicalities"). Before a proposal: drop the
 * events that waited past the backdating limit. */
#include <string.h>

#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/rules.h"
#include "node/mempool/mempool.h"
#include "node/mempool/mempool_internal.h"

static void mempool__drop(struct mempool *mp, struct mempool_entry *e, int err,
                          const char *reason, mempool_dropped_fn dropped, void *ctx)
{
    if (dropped) dropped(ctx, e->id, err, reason[0] ? reason : wb_strerror(err));
    mempool__remove(mp, e);
}

/* Replays the item's pending events, oldest first, on its committed state
 * with ref_ms as the time rules' reference; keeps those that still pass and
 * rebuilds its pending state from them. Returns 0 or the lookup's error;
 * *n_dropped (may be NULL) grows by the events dropped. */
static int mempool__recheck_item(struct mempool *mp, struct mempool_item *it, int64_t ref_ms,
                                 mempool_dropped_fn dropped, void *ctx, size_t *n_dropped)
{
    size_t before = it->count;
    int rc = WB_OK;
    char reason[MEMPOOL_REASON_MAX];
    struct ledger_item_state st;
    reason[0] = '\0';
    rc = mempool__committed_state(mp, it->name, &st, reason, sizeof reason);
    if (rc) {
        while (it->first) mempool__drop(mp, it->first, rc, reason, dropped, ctx);
        goto count_dropped;
    }
    struct ledger_event *ev = &mp->scratch;
    struct mempool_entry *next;
    for (struct mempool_entry *e = it->first; e; e = next) {
        next = e->item_next;
        reason[0] = '\0';
        int err = ledger_signed_event_open(mp->cfg.genesis->chain_id, e->bytes, e->len, false,
                                           ev, reason, sizeof reason);
        if (err == WB_OK) err = mempool__check(mp, &st, ev, ref_ms, reason, sizeof reason);
        if (err) {
            mempool__drop(mp, e, err, reason, dropped, ctx);
            continue;
        }
        ledger_rules_apply(&st, ev, mp->cfg.genesis, st.last_height);
    }
    it->state = st;
count_dropped:
    if (n_dropped) *n_dropped += before - it->count;
    return rc;
}

/* The pending item a committed event belongs to, or NULL. `item` is the
 * event's item id when the caller knows it, else NULL: then the event is
 * decoded. */
static struct mempool_item *mempool__item_of(struct mempool *mp, const char *item,
                                             const uint8_t *buf, size_t len)
{
    if (idmap_count(mp->by_item) == 0) return NULL;
    if (!item) {
        /* The block passed validation before it was committed; an event
         * that does not decode cannot concern a pending item. */
        char why[MEMPOOL_REASON_MAX];
        if (ledger_signed_event_open(mp->cfg.genesis->chain_id, buf, len, false, &mp->scratch,
                                     why, sizeof why) != WB_OK)
            return NULL;
        item = mp->scratch.item;
    }
    uint8_t key[WB_HASH_LEN];
    mempool__item_key(item, key);
    return idmap_get(mp->by_item, key);
}

int mempool_on_commit(struct mempool *mp, const struct ledger_block *b,
                      const struct ledger_block_result *r, mempool_dropped_fn dropped,
                      void *ctx)
{
    if (r && r->event_count != b->event_count) r = NULL; /* not this block's: recompute */
    /* Work list of touched items in first-touch order, linked through the
     * items themselves: no allocation, so this cannot fail half-way. */
    struct mempool_item *work = NULL, **work_tail = &work;
    for (size_t i = 0; i < b->event_count; i++) {
        uint8_t own_id[WB_HASH_LEN];
        const uint8_t *id = own_id;
        const char *item = NULL;
        if (r) {
            id = r->ids[i];
            if (r->state_of[i] < r->state_count) item = r->states[r->state_of[i]].item;
        } else {
            const uint8_t *body;
            size_t body_len;
            uint8_t sig[WB_SIG_LEN];
            if (ledger_signed_event_split(b->events[i], b->lens[i], &body, &body_len, sig) !=
                WB_OK)
                continue;
            ledger_sha256(body, body_len, own_id);
        }
        struct mempool_entry *e = idmap_get(mp->by_id, id);
        struct mempool_item *it;
        bool oldest = false;
        if (e) {
            it = e->item;
            oldest = it->first == e;
            mempool__remove(mp, e);
        } else {
            it = mempool__item_of(mp, item, b->events[i], b->lens[i]);
            if (!it) continue;
        }
        if (!it->touched) {
            it->touched = true;
            it->prefix_only = true;
            it->touched_next = NULL;
            *work_tail = it;
            work_tail = &it->touched_next;
        }
        if (!oldest) it->prefix_only = false;
    }

    int first_err = WB_OK;
    int64_t now_ms = mempool__now_ms(mp);
    while (work) {
        struct mempool_item *it = work;
        work = it->touched_next;
        it->touched_next = NULL;
        it->touched = false;
        if (it->first && it->prefix_only) {
            /* The block committed exactly the item's oldest pending events,
             * in order: the rest were admitted on top of them, so they
             * still pass. Only the committed heights move. */
            struct ledger_item_state st;
            char reason[MEMPOOL_REASON_MAX];
            int rc = mempool__committed_state(mp, it->name, &st, reason, sizeof reason);
            if (rc == WB_OK) {
                it->state.first_height = st.first_height;
                it->state.last_height = st.last_height;
            } else {
                rc = mempool__recheck_item(mp, it, now_ms, dropped, ctx, NULL);
                if (rc && first_err == WB_OK) first_err = rc;
            }
        } else if (it->first) {
            int rc = mempool__recheck_item(mp, it, now_ms, dropped, ctx, NULL);
            if (rc && first_err == WB_OK) first_err = rc;
        }
        mempool__item_release_if_empty(mp, it);
    }
    return first_err;
}

/* Re-checks the items of the work list (linked through touched_next) with
 * ref_ms as the time rules' reference, as mempool_on_commit does for an
 * item it cannot take the short way; *n (may be NULL) grows by the events
 * dropped. Returns 0 or the first lookup error. */
static int mempool__recheck_work(struct mempool *mp, struct mempool_item *work, int64_t ref_ms,
                                 mempool_dropped_fn dropped, void *ctx, size_t *n)
{
    int first_err = WB_OK;
    while (work) {
        struct mempool_item *it = work;
        work = it->touched_next;
        it->touched_next = NULL;
        it->touched = false;
        int rc = mempool__recheck_item(mp, it, ref_ms, dropped, ctx, n);
        if (rc && first_err == WB_OK) first_err = rc;
        mempool__item_release_if_empty(mp, it);
    }
    return first_err;
}

int mempool_recheck_all(struct mempool *mp, mempool_dropped_fn dropped, void *ctx)
{
    struct mempool_item *work = NULL, **work_tail = &work;
    for (struct mempool_entry *e = mp->head; e; e = e->next) {
        if (e->item->touched) continue;
        e->item->touched = true;
        e->item->touched_next = NULL;
        *work_tail = e->item;
        work_tail = &e->item->touched_next;
    }
    return mempool__recheck_work(mp, work, mempool__now_ms(mp), dropped, ctx, NULL);
}

size_t mempool_expire(struct mempool *mp, int64_t block_time_ms, mempool_dropped_fn dropped,
                      void *ctx)
{
    uint64_t max = mp->cfg.genesis->backdate_max_ms > 0
                       ? (uint64_t)mp->cfg.genesis->backdate_max_ms
                       : 0;
    /* The items holding an expired event, through the same work links as
     * mempool_on_commit (which is never running now). */
    struct mempool_item *work = NULL, **work_tail = &work;
    for (struct mempool_entry *e = mp->head; e; e = e->next) {
        if (e->time_ms >= block_time_ms ||
            (uint64_t)block_time_ms - (uint64_t)e->time_ms <= max || e->item->touched)
            continue;
        e->item->touched = true;
        e->item->touched_next = NULL;
        *work_tail = e->item;
        work_tail = &e->item->touched_next;
    }
    size_t n = 0;
    /* The full rules with the block's time: the expired event fails
     * time_backdated with its reason, and its successors follow it. A
     * lookup error drops the item's events too (counted in n). */
    WB_IGNORE_RESULT(mempool__recheck_work(mp, work, block_time_ms, dropped, ctx, &n));
    return n;
}
