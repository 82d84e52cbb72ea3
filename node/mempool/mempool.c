/* Mempool admission, lookup and block proposal: a FIFO of signed events
 * indexed by id, grouped per item with each item's pending state. */
#include "node/mempool/mempool.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hex.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/rules.h"
#include "node/mempool/mempool_internal.h"

/* Table size at creation; the maps grow as events arrive. */
#define MEMPOOL_INITIAL_SLOTS_HINT 1024
/* Bytes of an id shown in a reason, as the ledger rules do. */
#define MEMPOOL_SHORT_BYTES 4

int mempool__fail(char *reason, size_t reason_len, int err, const char *fmt, ...)
{
    if (reason && reason_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, reason_len, fmt, ap);
        va_end(ap);
    }
    return err;
}

void mempool__item_key(const char *item, uint8_t key[WB_HASH_LEN])
{
    ledger_sha256((const uint8_t *)item, strlen(item), key);
}

int mempool__committed_state(const struct mempool *mp, const char *item,
                             struct ledger_item_state *st, char *reason, size_t reason_len)
{
    memset(st, 0, sizeof *st);
    int rc = mp->cfg.lookup(mp->cfg.lookup_ctx, item, st);
    if (rc == WB_ERR_NOT_FOUND) {
        memset(st, 0, sizeof *st);
        return WB_OK;
    }
    if (rc == WB_OK) return WB_OK;
    if (rc > 0) rc = WB_ERR_INTERNAL;
    return mempool__fail(reason, reason_len, rc,
                         "could not read the committed state of item %s: %s", item,
                         wb_strerror(rc));
}

int64_t mempool__now_ms(const struct mempool *mp)
{
    if (mp->cfg.clock) return mp->cfg.clock(mp->cfg.clock_ctx);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mempool__check(const struct mempool *mp, const struct ledger_item_state *st,
                   const struct ledger_event *ev, int64_t ref_ms, char *reason,
                   size_t reason_len)
{
    /* Only a member's event can be stale: anyone else gets the rules' reason. */
    if (st->status != LEDGER_ITEM_UNKNOWN && ev->has_prev &&
        memcmp(ev->prev, st->head, WB_HASH_LEN) != 0 &&
        ledger_genesis_org_of_key(mp->cfg.genesis, ev->submitter) >= 0) {
        char head[2 * MEMPOOL_SHORT_BYTES + 1], prev[2 * MEMPOOL_SHORT_BYTES + 1];
        return mempool__fail(
            reason, reason_len, WB_ERR_STALE,
            "stale: the item's head moved on: item %s is at %s... (%u events), but the "
            "event's prev is %s...; fetch the item's head and sign again",
            ev->item, wb_hex_encode(st->head, MEMPOOL_SHORT_BYTES, head, sizeof head),
            (unsigned)st->count, wb_hex_encode(ev->prev, MEMPOOL_SHORT_BYTES, prev, sizeof prev));
    }
    if (mp->cfg.gov) {
        int rc = ledger_gov_key_refusal(mp->cfg.gov, ev->submitter, reason, reason_len);
        if (rc) return rc;
    }
    int rc = ledger_rules_check(st, ev, mp->cfg.genesis, mp->cfg.gov, ref_ms, reason, reason_len, NULL);
    if (rc || !ledger_action_is_gov(ev->action)) return rc;
    if (!mp->cfg.gov)
        return mempool__fail(reason, reason_len, WB_ERR_RULE,
                             "%s: this node takes no governance events",
                             ledger_action_name(ev->action));
    /* Against the committed state as of the next block: a governance event
     * that needs another one still pending (an approval of a proposal not
     * yet committed) waits for its commit and is submitted again. */
    return ledger_gov_check(mp->cfg.gov, ev, mp->cfg.gov->height + 1, ref_ms, reason,
                            reason_len);
}

void mempool__remove(struct mempool *mp, struct mempool_entry *e)
{
    struct mempool_item *it = e->item;
    if (e->prev) e->prev->next = e->next;
    else mp->head = e->next;
    if (e->next) e->next->prev = e->prev;
    else mp->tail = e->prev;
    if (e->item_prev) e->item_prev->item_next = e->item_next;
    else it->first = e->item_next;
    if (e->item_next) e->item_next->item_prev = e->item_prev;
    else it->last = e->item_prev;
    WB_ASSERT(it->count > 0 && mp->count > 0 && mp->bytes >= e->len);
    it->count--;
    void *was = idmap_del(mp->by_id, e->id);
    WB_ASSERT(was == e);
    mp->count--;
    mp->bytes -= e->len;
    free(e);
}

void mempool__item_release_if_empty(struct mempool *mp, struct mempool_item *it)
{
    if (it->first) return;
    WB_ASSERT(it->count == 0 && !it->touched);
    void *was = idmap_del(mp->by_item, it->key);
    WB_ASSERT(was == it);
    free(it);
}

int mempool_create(const struct mempool_config *cfg, struct mempool **out)
{
    *out = NULL;
    if (!cfg || !cfg->genesis || !cfg->lookup || cfg->events_max == 0 || cfg->bytes_max == 0)
        return WB_ERR_INVALID;
    struct mempool *mp = calloc(1, sizeof *mp);
    if (!mp) return WB_ERR_NOMEM;
    mp->cfg = *cfg;
    size_t hint = cfg->events_max < MEMPOOL_INITIAL_SLOTS_HINT ? cfg->events_max
                                                               : MEMPOOL_INITIAL_SLOTS_HINT;
    int rc = idmap_create(hint, &mp->by_id);
    if (rc) goto err_free_mempool;
    rc = idmap_create(hint, &mp->by_item);
    if (rc) goto err_destroy_by_id;
    *out = mp;
    return WB_OK;
err_destroy_by_id:
    idmap_destroy(mp->by_id);
err_free_mempool:
    free(mp);
    return rc;
}

void mempool_destroy(struct mempool *mp)
{
    if (!mp) return;
    struct mempool_entry *e = mp->head;
    while (e) {
        struct mempool_entry *next = e->next;
        /* Admission order is each item's order: its last event comes last. */
        if (e->item->last == e) free(e->item);
        free(e);
        e = next;
    }
    idmap_destroy(mp->by_item);
    idmap_destroy(mp->by_id);
    free(mp);
}

/* Links a new entry at the tail of both orders and applies the checked
 * event to its item's pending state. */
static void mempool__link(struct mempool *mp, struct mempool_item *it, struct mempool_entry *e,
                          const struct ledger_event *ev)
{
    e->item = it;
    e->next = NULL;
    e->prev = mp->tail;
    if (mp->tail) mp->tail->next = e;
    else mp->head = e;
    mp->tail = e;
    e->item_next = NULL;
    e->item_prev = it->last;
    if (it->last) it->last->item_next = e;
    else it->first = e;
    it->last = e;
    it->count++;
    mp->count++;
    mp->bytes += e->len;
    /* Pending events have no height yet: keep the committed heights. */
    ledger_rules_apply(&it->state, ev, mp->cfg.genesis, it->state.last_height);
}

static int mempool_admit(struct mempool *mp, const uint8_t *signed_event, size_t len,
                         uint8_t id_out[WB_HASH_LEN], char *reason, size_t reason_len);

int mempool_add(struct mempool *mp, const uint8_t *signed_event, size_t len,
                uint8_t id_out[WB_HASH_LEN], char *reason, size_t reason_len)
{
    int rc = mempool_admit(mp, signed_event, len, id_out, reason, reason_len);
    if (rc < 0 && rc >= -WB_ERR_CODE_COUNT && rc != WB_ERR_DUPLICATE) mp->refused[-rc - 1]++;
    return rc;
}

uint64_t mempool_refused(const struct mempool *mp, int err)
{
    if (err >= 0 || err < -WB_ERR_CODE_COUNT || err == WB_ERR_DUPLICATE) return 0;
    return mp->refused[-err - 1];
}

/* mempool_add without the count of refusals. */
static int mempool_admit(struct mempool *mp, const uint8_t *signed_event, size_t len,
                         uint8_t id_out[WB_HASH_LEN], char *reason, size_t reason_len)
{
    char unused[1];
    if (!reason || reason_len == 0) {
        reason = unused;
        reason_len = sizeof unused;
    }
    reason[0] = '\0';
    if (id_out) memset(id_out, 0, WB_HASH_LEN);

    if (len > WB_SIGNED_EVENT_MAX)
        return mempool__fail(reason, reason_len, WB_ERR_TOO_LARGE,
                             "event is %zu bytes; the limit is %d bytes", len,
                             WB_SIGNED_EVENT_MAX);
    const uint8_t *body;
    size_t body_len;
    uint8_t sig[WB_SIG_LEN];
    int rc = ledger_signed_event_split(signed_event, len, &body, &body_len, sig);
    if (rc)
        return mempool__fail(reason, reason_len, rc,
                             "malformed SignedEvent: it must hold an EventBody and a "
                             "%d-byte signature",
                             WB_SIG_LEN);
    uint8_t id[WB_HASH_LEN];
    ledger_sha256(body, body_len, id);
    if (id_out) memcpy(id_out, id, WB_HASH_LEN);

    /* The cheap refusals come before the signature check, so gossip that
     * repeats an event, or a flood while full, costs no verification. */
    if (idmap_get(mp->by_id, id)) {
        char hex[2 * WB_HASH_LEN + 1];
        return mempool__fail(reason, reason_len, WB_ERR_DUPLICATE,
                             "duplicate: event %s is already pending",
                             wb_hex_encode(id, WB_HASH_LEN, hex, sizeof hex));
    }
    if (mp->count >= mp->cfg.events_max || len > mp->cfg.bytes_max - mp->bytes)
        return mempool__fail(reason, reason_len, WB_ERR_BUSY,
                             "mempool full: %zu events / %zu bytes (limits %zu events / %zu "
                             "bytes); try again later",
                             mp->count, mp->bytes, mp->cfg.events_max, mp->cfg.bytes_max);

    struct ledger_event *ev = &mp->scratch;
    rc = ledger_signed_event_open(mp->cfg.genesis->chain_id, signed_event, len, true, ev, reason,
                                  reason_len);
    if (rc) {
        if (!reason[0])
            mempool__fail(reason, reason_len, rc, "%s%s", wb_strerror(rc),
                          rc == WB_ERR_SIGNATURE
                              ? ": the signature does not verify for the submitter key on "
                                "this chain"
                              : "");
        return rc;
    }
    WB_ASSERT(memcmp(ev->id, id, WB_HASH_LEN) == 0);

    uint8_t key[WB_HASH_LEN];
    mempool__item_key(ev->item, key);
    struct mempool_item *it = idmap_get(mp->by_item, key);
    struct ledger_item_state committed;
    const struct ledger_item_state *st = it ? &it->state : &committed;
    if (!it) {
        rc = mempool__committed_state(mp, ev->item, &committed, reason, reason_len);
        if (rc) return rc;
    }
    rc = mempool__check(mp, st, ev, mempool__now_ms(mp), reason, reason_len);
    if (rc) {
        if (!reason[0]) mempool__fail(reason, reason_len, rc, "%s", wb_strerror(rc));
        return rc;
    }

    /* Every check passed: allocate everything that can fail, then commit. */
    if (idmap_reserve(mp->by_id, 1) != WB_OK || idmap_reserve(mp->by_item, 1) != WB_OK)
        return mempool__fail(reason, reason_len, WB_ERR_NOMEM, "mempool: out of memory");
    struct mempool_entry *e = malloc(sizeof *e + len);
    if (!e) return mempool__fail(reason, reason_len, WB_ERR_NOMEM, "mempool: out of memory");
    memcpy(e->id, id, WB_HASH_LEN);
    e->time_ms = ev->time_ms;
    e->len = len;
    memcpy(e->bytes, signed_event, len);
    if (!it) {
        it = calloc(1, sizeof *it);
        if (!it) {
            free(e);
            return mempool__fail(reason, reason_len, WB_ERR_NOMEM, "mempool: out of memory");
        }
        memcpy(it->key, key, WB_HASH_LEN);
        snprintf(it->name, sizeof it->name, "%s", ev->item);
        it->state = committed;
        rc = idmap_put(mp->by_item, key, it);
        WB_ASSERT(rc == WB_OK);
    }
    rc = idmap_put(mp->by_id, id, e);
    WB_ASSERT(rc == WB_OK);
    mempool__link(mp, it, e, ev);
    return WB_OK;
}

bool mempool_contains(const struct mempool *mp, const uint8_t id[WB_HASH_LEN])
{
    return idmap_get(mp->by_id, id) != NULL;
}

bool mempool_holds(const struct mempool *mp, const uint8_t id[WB_HASH_LEN],
                   const uint8_t *signed_event, size_t len)
{
    const struct mempool_entry *e = idmap_get(mp->by_id, id);
    return e && e->len == len && memcmp(e->bytes, signed_event, len) == 0;
}

int mempool_pending_state(struct mempool *mp, const char *item, struct ledger_item_state *st)
{
    uint8_t key[WB_HASH_LEN];
    mempool__item_key(item, key);
    const struct mempool_item *it = idmap_get(mp->by_item, key);
    if (!it) return WB_ERR_NOT_FOUND;
    WB_ASSERT(it->count > 0);
    *st = it->state;
    return WB_OK;
}

size_t mempool_take(struct mempool *mp, size_t events_max, size_t bytes_max,
                    const uint8_t **events, size_t *lens)
{
    size_t n = 0, used = 0;
    uint64_t pass = ++mp->take_pass;
    for (const struct mempool_entry *e = mp->head; e && n < events_max; e = e->next) {
        if (e->item->take_pass == pass) continue;
        if (e->len > bytes_max - used) {
            if (n > 0) break;
            /* Too large for any block of this size: its successors in the
             * item's chain cannot go before it, the other items can. */
            e->item->take_pass = pass;
            continue;
        }
        events[n] = e->bytes;
        lens[n] = e->len;
        used += e->len;
        n++;
    }
    return n;
}

size_t mempool_count(const struct mempool *mp) { return mp->count; }
size_t mempool_bytes(const struct mempool *mp) { return mp->bytes; }
