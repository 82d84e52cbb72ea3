/* The consensus driver: feeds the core from a FIFO of inputs and acts on
 * each update in the order cons.h prescribes: persist (fsync) the safety
 * record, send, arm timers, append a decision, keep evidence, then answer
 * build and validation requests (which queue further inputs) and, when the
 * core waits for work (quiet when idle), tell it once the mempool holds
 * events or the heartbeat is due. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/hex.h"
#include "common/log.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/validate.h"
#include "node/node_internal.h"

/* ---- input queue ---------------------------------------------------------- */

static void run_queue(struct node *n);

void node_cons_feed(struct node *n, const struct cons_event *ev)
{
    /* Held on a storage fault: the core is restarted from storage later,
     * and what peers sent meanwhile they send again. */
    if (n->stopping || !n->cons_ready || n->store_held) return;
    struct node_cev *q = calloc(1, sizeof *q);
    if (!q) {
        WB_ERROR("cons", "out of memory queueing a consensus input; dropped");
        return;
    }
    q->ev = *ev;
    const uint8_t *blk = NULL;
    size_t blk_len = 0;
    if (ev->kind == CONS_EV_PROPOSAL) {
        blk = ev->proposal.block;
        blk_len = ev->proposal.block_len;
    } else if (ev->kind == CONS_EV_BLOCK_READY) {
        blk = ev->block_ready.block;
        blk_len = ev->block_ready.block_len;
    }
    if (blk && blk_len) {
        q->block = malloc(blk_len);
        if (!q->block) {
            free(q);
            return;
        }
        memcpy(q->block, blk, blk_len);
        if (ev->kind == CONS_EV_PROPOSAL) q->ev.proposal.block = q->block;
        else q->ev.block_ready.block = q->block;
    }
    if (n->q_tail) n->q_tail->next = q;
    else n->q_head = q;
    n->q_tail = q;
    run_queue(n);
}

/* ---- timers --------------------------------------------------------------- */

static void timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void timer_remove(struct node *n, struct node_timer *t)
{
    if (t->prev) t->prev->next = t->next;
    else n->timers = t->next;
    if (t->next) t->next->prev = t->prev;
    t->handle.data = t;
    uv_close((uv_handle_t *)&t->handle, timer_closed);
}

static void on_cons_timer(uv_timer_t *h)
{
    struct node_timer *t = h->data;
    struct node *n = t->node;
    struct cons_event ev = {.kind = CONS_EV_TIMEOUT, .now_ms = node_now_ms(n)};
    ev.timeout.height = t->height;
    ev.timeout.round = t->round;
    ev.timeout.step = t->step;
    timer_remove(n, t);
    node_cons_feed(n, &ev);
}

static void arm_timer(struct node *n, const struct cons_timer *ct)
{
    struct node_timer *t = calloc(1, sizeof *t);
    if (!t) {
        WB_ERROR("cons", "out of memory arming a consensus timer; stopping");
        node_stop(n);
        return;
    }
    int irc = uv_timer_init(n->loop, &t->handle);
    if (irc) {
        WB_ERROR("cons", "cannot create a consensus timer: %s; stopping", uv_strerror(irc));
        free(t);
        node_stop(n);
        return;
    }
    t->node = n;
    t->height = ct->height;
    t->round = ct->round;
    t->step = ct->step;
    t->handle.data = t;
    t->next = n->timers;
    if (n->timers) n->timers->prev = t;
    n->timers = t;
    int rc = uv_timer_start(&t->handle, on_cons_timer, ct->delay_ms, 0);
    if (rc) {
        /* A round whose timeout never fires can stall the height: stop
         * rather than run on without it. */
        WB_ERROR("cons", "h=%llu r=%u cannot start a consensus timer: %s; stopping",
                 (unsigned long long)ct->height, ct->round, uv_strerror(rc));
        timer_remove(n, t);
        node_stop(n);
    }
}

/* Timers of heights already decided are dropped so they do not pile up. */
static void drop_old_timers(struct node *n, uint64_t height)
{
    struct node_timer *t = n->timers;
    while (t) {
        struct node_timer *next = t->next;
        if (t->height < height) {
            uv_timer_stop(&t->handle);
            timer_remove(n, t);
        }
        t = next;
    }
}

/* ---- validation ----------------------------------------------------------- */

static int state_lookup(void *ctx, const char *item, struct ledger_item_state *st)
{
    struct node *n = ctx;
    return store_item_state(n->store, item, st);
}

static bool sig_known(void *ctx, const uint8_t id[WB_HASH_LEN], const uint8_t *ev, size_t len)
{
    struct node *n = ctx;
    return mempool_holds(n->mempool, id, ev, len);
}

static void block_ctx_init(struct node *n, bool check_time, struct ledger_block_ctx *bc)
{
    *bc = (struct ledger_block_ctx){
        .genesis = n->genesis,
        .height = n->last_height + 1,
        .prev_time_ms = n->last_time_ms,
        .now_ms = check_time ? node_now_ms(n) : INT64_MAX / 2,
        .drift_max_ms = n->cfg->timeouts.block_time_drift_ms,
        .events_max = n->cfg->limits.block_events_max,
        .lookup = state_lookup,
        .sig_known = sig_known,
        .ctx = n,
    };
    memcpy(bc->prev_hash, n->last_hash, WB_HASH_LEN);
}

int node_check_block(struct node *n, const struct ledger_block *b, bool check_time,
                     struct ledger_item_state **states, size_t *state_count, char *msg,
                     size_t msg_len)
{
    struct ledger_block_ctx bc;
    block_ctx_init(n, check_time, &bc);
    return ledger_block_check(&bc, b, states, state_count, msg, msg_len);
}

int node_check_block_full(struct node *n, const struct ledger_block *b, bool check_time,
                          struct ledger_block_result *r, char *msg, size_t msg_len)
{
    struct ledger_block_ctx bc;
    block_ctx_init(n, check_time, &bc);
    return ledger_block_check_full(&bc, b, r, msg, msg_len);
}

/* Releases what an entry holds; it becomes unused. */
static void vcache_clear(struct node_vcache *v)
{
    ledger_block_free(&v->block);
    free(v->states);
    free(v->ids);
    free(v->state_of);
    memset(v, 0, sizeof *v);
}

/* Keeps a validated block: takes over *b and *r (both zeroed). It replaces
 * an entry of the same (height, hash), else takes a free one. Entries of
 * committed heights are dropped at each commit, so when none is free, four
 * blocks of this height (proposals of different rounds) are kept: one of
 * them is replaced, round-robin, and should it be decided after all, its
 * decision takes the slow path. */
static void vcache_put(struct node *n, uint64_t height, const uint8_t hash[WB_HASH_LEN],
                       struct ledger_block *b, struct ledger_block_result *r)
{
    struct node_vcache *v = NULL;
    for (size_t i = 0; i < NODE_VCACHE && !v; i++)
        if (n->vcache[i].used && n->vcache[i].height == height &&
            memcmp(n->vcache[i].hash, hash, WB_HASH_LEN) == 0)
            v = &n->vcache[i];
    for (size_t i = 0; i < NODE_VCACHE && !v; i++)
        if (!n->vcache[i].used) v = &n->vcache[i];
    if (!v) {
        v = &n->vcache[n->vcache_next];
        n->vcache_next = (n->vcache_next + 1) % NODE_VCACHE;
    }
    vcache_clear(v);
    v->used = true;
    v->height = height;
    memcpy(v->hash, hash, WB_HASH_LEN);
    v->block = *b;
    v->states = r->states;
    v->state_count = r->state_count;
    v->ids = r->ids;
    v->state_of = r->state_of;
    memset(b, 0, sizeof *b);
    memset(r, 0, sizeof *r);
}

/* Takes the entry of (height, hash) out of the cache: on true, *b and *r own
 * what it held (the caller frees them) and the entry is unused. */
static bool vcache_take(struct node *n, uint64_t height, const uint8_t hash[WB_HASH_LEN],
                        struct ledger_block *b, struct ledger_block_result *r)
{
    for (size_t i = 0; i < NODE_VCACHE; i++) {
        struct node_vcache *v = &n->vcache[i];
        if (!v->used || v->height != height || memcmp(v->hash, hash, WB_HASH_LEN) != 0)
            continue;
        *b = v->block;
        *r = (struct ledger_block_result){.states = v->states,
                                          .state_count = v->state_count,
                                          .ids = v->ids,
                                          .state_of = v->state_of,
                                          .event_count = v->block.event_count};
        memset(v, 0, sizeof *v);
        return true;
    }
    return false;
}

/* Blocks validated for heights up to `height` can no longer be decided. */
static void vcache_drop_upto(struct node *n, uint64_t height)
{
    for (size_t i = 0; i < NODE_VCACHE; i++)
        if (n->vcache[i].used && n->vcache[i].height <= height) vcache_clear(&n->vcache[i]);
}

static enum cons_validity validate(struct node *n, const struct cons_validate_request *rq)
{
    char hex[65];
    if (rq->height != n->last_height + 1) {
        WB_WARN("cons", "h=%llu asked to validate a block for height %llu; not next",
                (unsigned long long)n->last_height, (unsigned long long)rq->height);
        return CONS_BLOCK_INVALID;
    }
    struct ledger_block b;
    if (ledger_block_decode(rq->block, rq->block_len, &b) != 0) {
        WB_WARN("cons", "h=%llu proposed block %.16s does not decode",
                (unsigned long long)rq->height, wb_hex_encode(rq->hash, 32, hex, sizeof hex));
        return CONS_BLOCK_INVALID;
    }
    if (memcmp(b.hash, rq->hash, WB_HASH_LEN) != 0) {
        ledger_block_free(&b);
        return CONS_BLOCK_BAD_HASH;
    }
    struct ledger_block_result r;
    char msg[256];
    int rc = node_check_block_full(n, &b, true, &r, msg, sizeof msg);
    if (rc) {
        WB_WARN("cons", "h=%llu block %.16s invalid: %s", (unsigned long long)rq->height,
                wb_hex_encode(rq->hash, 32, hex, sizeof hex), msg);
        ledger_block_free(&b);
        return CONS_BLOCK_INVALID;
    }
    /* The core keeps one byte string per hash and decides with the bytes it
     * asked about, so the decision of (height, hash) finds this entry. */
    vcache_put(n, rq->height, rq->hash, &b, &r);
    return CONS_BLOCK_VALID;
}

/* ---- quiet when idle ---------------------------------------------------------- */

bool node_heartbeat_due(const struct node *n, int64_t now)
{
    return now >= n->last_time_ms + (int64_t)n->genesis->heartbeat_ms;
}

/* The core waits for work at idle_height (its update said so): once the
 * mempool holds events or the heartbeat is due (the last block's time plus
 * the genesis heartbeat_ms), step CONS_EV_WORK, once. Called when the wait
 * begins, when the mempool grows and from the housekeeping tick. */
void node_cons_check_idle(struct node *n)
{
    if (!n->idle_height || !n->cons_ready) return;
    if (n->idle_height != n->last_height + 1 || !cons_waiting(&n->cons) ||
        cons_height(&n->cons) != n->idle_height) {
        n->idle_height = 0; /* the wait ended some other way */
        return;
    }
    int64_t now = node_now_ms(n);
    size_t pending = mempool_count(n->mempool);
    if (pending == 0 && !node_heartbeat_due(n, now)) return;
    if (pending)
        WB_DEBUG("cons", "h=%llu work: %zu events in the mempool",
                 (unsigned long long)n->idle_height, pending);
    else
        WB_DEBUG("cons", "h=%llu work: heartbeat due (last block %lld ms ago)",
                 (unsigned long long)n->idle_height, (long long)(now - n->last_time_ms));
    struct cons_event ev = {.kind = CONS_EV_WORK, .now_ms = now};
    ev.work.height = n->idle_height;
    n->idle_height = 0;
    node_cons_feed(n, &ev);
}

/* ---- building ------------------------------------------------------------- */

static void build_now(struct node *n)
{
    if (!n->build_pending) return;
    n->build_pending = false;
    uv_timer_stop(&n->build_timer);
    if (n->build_height != n->last_height + 1) return; /* that height is decided */
    size_t max = n->cfg->limits.block_events_max;
    const uint8_t **events = malloc(max * sizeof *events);
    size_t *lens = malloc(max * sizeof *lens);
    if (!events || !lens) {
        free(events);
        free(lens);
        WB_ERROR("cons", "out of memory building a block");
        return;
    }
    /* Leave room for the header and the per-event framing; the config
     * guarantees that one event of the largest size still fits. */
    size_t budget = n->cfg->limits.block_bytes_max - NODE_BLOCK_FRAMING(max);
    int64_t now = node_now_ms(n);
    int64_t block_time_ms = now > n->last_time_ms ? now : n->last_time_ms + 1;
    /* Events admitted inside the backdating limit that waited past it would
     * make the block invalid: they go, and their clients are told. */
    size_t expired = mempool_expire(n->mempool, block_time_ms, node_api_on_dropped, n);
    if (expired)
        WB_INFO("cons", "h=%llu dropped %zu pending events older than the backdating limit",
                (unsigned long long)n->build_height, expired);
    size_t count = mempool_take(n->mempool, max, budget, events, lens);
    struct ledger_block_header h = {
        .version = WB_BLOCK_VERSION,
        .height = n->build_height,
        .proposer = n->self,
    };
    memcpy(h.chain_id, n->genesis->chain_id, WB_CHAIN_ID_LEN);
    memcpy(h.prev_hash, n->last_hash, WB_HASH_LEN);
    h.time_ms = block_time_ms;
    uint8_t *block;
    size_t block_len;
    uint8_t hash[WB_HASH_LEN];
    int rc = ledger_block_build(&h, events, lens, count, &block, &block_len, hash);
    free(events);
    free(lens);
    if (rc) {
        WB_ERROR("cons", "h=%llu cannot build a block: %s", (unsigned long long)h.height,
                 wb_strerror(rc));
        return;
    }
    WB_DEBUG("cons", "h=%llu r=%u built block with %zu events", (unsigned long long)h.height,
             n->build_round, count);
    struct cons_event ev = {.kind = CONS_EV_BLOCK_READY, .now_ms = now};
    ev.block_ready.height = n->build_height;
    ev.block_ready.round = n->build_round;
    memcpy(ev.block_ready.hash, hash, WB_HASH_LEN);
    ev.block_ready.block = block;
    ev.block_ready.block_len = block_len;
    node_cons_feed(n, &ev);
    free(block);
}

void node_cons_on_build_timer(uv_timer_t *t)
{
    build_now(t->data);
}

void node_cons_on_mempool_grew(struct node *n)
{
    if (n->build_pending) build_now(n);
    node_cons_check_idle(n);
}

static void request_build(struct node *n, const struct cons_build_request *rq)
{
    n->build_pending = true;
    n->build_height = rq->height;
    n->build_round = rq->round;
    /* With nothing to propose, wait a little for the events whose gossip
     * woke the others (their messages ended our wait for work); a later
     * round, or a heartbeat that is due, proposes at once. */
    if (mempool_count(n->mempool) > 0 || rq->round > 0 ||
        node_heartbeat_due(n, node_now_ms(n))) {
        build_now(n);
        return;
    }
    /* Well inside the others' propose timeout, so waiting costs no round. */
    uint64_t wait = n->cfg->timeouts.propose_ms / 2;
    if (wait > NODE_EMPTY_BLOCK_WAIT_MS) wait = NODE_EMPTY_BLOCK_WAIT_MS;
    int rc = uv_timer_start(&n->build_timer, node_cons_on_build_timer, wait, 0);
    if (rc) {
        WB_WARN("cons", "h=%llu cannot start the build timer: %s; building now",
                (unsigned long long)rq->height, uv_strerror(rc));
        build_now(n);
    }
}

/* ---- commit --------------------------------------------------------------- */

/* After the append: the node's chain head, waiters, mempool, status. ids[i]
 * is event i's id; r (may be NULL) is passed on to the mempool. */
static void after_commit(struct node *n, const struct ledger_block *b,
                         const uint8_t (*ids)[WB_HASH_LEN], const struct ledger_block_result *r)
{
    n->last_height = b->header.height;
    memcpy(n->last_hash, b->hash, WB_HASH_LEN);
    n->last_time_ms = b->header.time_ms;
    n->last_progress_ms = node_now_ms(n);
    n->events_committed += b->event_count;
    n->summary_blocks++;
    n->summary_events += b->event_count;
    n->sync_hint = 0;
    node_storage_on_appended(n);
    for (size_t i = 0; i < b->event_count; i++)
        node_api_on_committed(n, ids[i], b->header.height, (uint32_t)i);
    int mrc = mempool_on_commit(n->mempool, b, r, node_api_on_dropped, n);
    if (mrc) /* the mempool stays consistent: it dropped what it could not re-check */
        WB_WARN("cons", "h=%llu mempool re-check after the commit read no item state: %s",
                (unsigned long long)b->header.height, wb_strerror(mrc));
    node_api_watch_pump(n);
    char hex[65];
    WB_DEBUG("cons", "h=%llu committed block %.16s with %zu events",
            (unsigned long long)b->header.height, wb_hex_encode(b->hash, 32, hex, sizeof hex),
            b->event_count);
    vcache_drop_upto(n, b->header.height);
    node_p2p_broadcast_status(n);
    /* After the answers and the status are on their way: one flush that
     * keeps the file from holding an extra copy of the block's pages. A
     * small block rewrites a few dozen pages, too few to pay a flush for:
     * the copy kept is only ever that of the last append. */
    if (b->event_count < NODE_RELEASE_PAGES_EVENTS_MIN) return;
    int rc = store_release_pages(n->store);
    if (rc)
        WB_WARN("cons", "h=%llu releasing the append's pages failed: %s (disk space only)",
                (unsigned long long)b->header.height, wb_strerror(rc));
}

int node_commit_checked(struct node *n, const struct ledger_block *b, const uint8_t *block,
                        size_t block_len, const uint8_t *cert, size_t cert_len,
                        const struct ledger_block_result *r)
{
    int rc = store_append_checked(n->store, b, block, block_len, cert, cert_len, r);
    if (rc) return rc;
    after_commit(n, b, (const uint8_t(*)[WB_HASH_LEN])r->ids, r);
    return WB_OK;
}

int node_commit_block(struct node *n, const struct ledger_block *b, const uint8_t *block,
                      size_t block_len, const uint8_t *cert, size_t cert_len,
                      const struct ledger_item_state *states, size_t state_count)
{
    /* Allocated before the append: once the block is stored, the node must
     * follow it whatever happens. */
    uint8_t (*ids)[WB_HASH_LEN] = calloc(b->event_count ? b->event_count : 1, sizeof *ids);
    if (!ids) return WB_ERR_NOMEM;
    int rc = store_append(n->store, b, block, block_len, cert, cert_len, states, state_count);
    if (rc == WB_OK) {
        for (size_t i = 0; i < b->event_count; i++) {
            const uint8_t *body;
            size_t body_len;
            uint8_t sig[WB_SIG_LEN];
            int src = ledger_signed_event_split(b->events[i], b->lens[i], &body, &body_len, sig);
            WB_ASSERT(src == WB_OK); /* store_append opened every event */
            ledger_sha256(body, body_len, ids[i]);
        }
        after_commit(n, b, (const uint8_t(*)[WB_HASH_LEN])ids, NULL);
    }
    free(ids);
    return rc;
}

static void apply_decision(struct node *n, const struct cons_decision *d)
{
    char hex[65], msg[256];
    if (d->height <= n->last_height) return; /* block sync got there first */
    if (d->height != n->last_height + 1) {
        WB_ERROR("cons", "h=%llu decision for height %llu skips heights",
                 (unsigned long long)n->last_height, (unsigned long long)d->height);
        return;
    }
    uint8_t *cert;
    size_t cert_len;
    if (cons_cert_encode(d, &cert, &cert_len) != 0) {
        WB_ERROR("cons", "h=%llu cannot encode certificate", (unsigned long long)d->height);
        return;
    }
    /* The core decides only blocks this node validated (or built): what the
     * validation decoded and learnt is cached. Otherwise (its own block, or
     * validated before a restart) decode and check again, without the clock
     * check. */
    struct ledger_block b;
    struct ledger_block_result r;
    int rc = WB_OK;
    if (!vcache_take(n, d->height, d->hash, &b, &r)) {
        memset(&r, 0, sizeof r);
        if (ledger_block_decode(d->block, d->block_len, &b) != 0) {
            WB_ERROR("cons", "h=%llu decided block does not decode",
                     (unsigned long long)d->height);
            free(cert);
            return;
        }
        rc = node_check_block_full(n, &b, false, &r, msg, sizeof msg);
        if (rc)
            WB_ERROR("cons", "h=%llu decided block %.16s fails local checks: %s",
                     (unsigned long long)d->height,
                     wb_hex_encode(d->hash, 32, hex, sizeof hex), msg);
    }
    if (rc == 0) rc = node_commit_checked(n, &b, d->block, d->block_len, cert, cert_len, &r);
    if (rc == 0) {
        drop_old_timers(n, n->last_height + 1);
    } else {
        /* The core has moved on to the next height, the store has not: hold
         * the core (no votes) until the block is stored, by a retry or by
         * block sync. */
        if (!node_storage_is_fault(rc))
            WB_ERROR("cons", "h=%llu cannot append decided block: %s",
                     (unsigned long long)d->height, wb_strerror(rc));
        node_storage_append_failed(n, rc, d->height, d->block, d->block_len, cert, cert_len);
    }
    ledger_block_result_free(&r);
    ledger_block_free(&b);
    free(cert);
}

/* ---- acting on an update ---------------------------------------------------- */

/* Writes the record durably. A record that does not encode stops the node;
 * one the disk does not take holds it (node_storage.c): either way nothing
 * of the update is sent. */
static bool persist(struct node *n, const struct cons_safety *s)
{
    uint8_t buf[CONS_SAFETY_MAX];
    size_t len;
    int rc = cons_safety_encode(s, buf, sizeof buf, &len);
    if (rc) {
        WB_ERROR("cons", "h=%llu cannot encode the safety record: %s; stopping",
                 (unsigned long long)s->height, wb_strerror(rc));
        n->cons_ready = false;
        node_stop(n);
        return false;
    }
    rc = store_safety_put(n->store, buf, len);
    if (rc) {
        node_storage_safety_failed(n, rc, buf, len);
        return false;
    }
    return true;
}

static void keep_evidence(struct node *n, const struct cons_evidence *e)
{
    uint8_t *buf;
    size_t len;
    if (cons_evidence_encode(e, &buf, &len) != 0) return;
    if (store_evidence_put(n->store, e->a.height, e->a.round, e->a.type, e->a.validator, buf,
                           len) == 0)
        n->evidence_count++;
    WB_WARN("cons", "h=%llu r=%u validator %u equivocated (type %u); evidence kept",
            (unsigned long long)e->a.height, e->a.round, e->a.validator, e->a.type);
    free(buf);
}

/* Results of validation requests, gathered before the core is stepped again. */
struct pending_result {
    uint64_t height;
    uint8_t hash[WB_HASH_LEN];
    enum cons_validity result;
};

static void apply_update(struct node *n, const struct cons_update *up)
{
    /* Cannot sign safely: nothing of this update leaves the node. */
    if (up->persist && !persist(n, up->persist)) return;
    for (size_t i = 0; i < up->msg_count; i++) node_p2p_broadcast_msg(n, &up->msgs[i]);
    for (size_t i = 0; i < up->timer_count; i++) arm_timer(n, &up->timers[i]);
    if (up->decision) apply_decision(n, up->decision);
    if (n->store_held) return; /* the rest is for a height not stored */
    for (size_t i = 0; i < up->evidence_count; i++) keep_evidence(n, &up->evidence[i]);
    if (up->sync_from) n->sync_hint = up->sync_from; /* kept until a request or a commit */

    size_t nv = up->validate_count;
    struct pending_result *res = nv ? calloc(nv, sizeof *res) : NULL;
    if (nv && !res) {
        WB_ERROR("cons", "out of memory validating blocks");
        nv = 0;
    }
    for (size_t i = 0; i < nv; i++) {
        res[i].height = up->validate[i].height;
        memcpy(res[i].hash, up->validate[i].hash, WB_HASH_LEN);
        res[i].result = validate(n, &up->validate[i]);
    }
    bool build = up->build != NULL;
    struct cons_build_request brq = {0};
    if (build) brq = *up->build;
    /* The update's pointers die with the next step: everything is copied. */
    for (size_t i = 0; i < nv; i++) {
        struct cons_event ev = {.kind = CONS_EV_BLOCK_VALIDATED, .now_ms = node_now_ms(n)};
        ev.validated.height = res[i].height;
        memcpy(ev.validated.hash, res[i].hash, WB_HASH_LEN);
        ev.validated.result = res[i].result;
        node_cons_feed(n, &ev);
    }
    free(res);
    if (build) request_build(n, &brq);
    if (up->wait_for_work) {
        WB_DEBUG("cons", "h=%llu waiting for events or the heartbeat",
                 (unsigned long long)up->wait_for_work);
        n->idle_height = up->wait_for_work;
        node_cons_check_idle(n);
    }
}

static void run_queue(struct node *n)
{
    if (n->q_running) return;
    n->q_running = true;
    while (n->q_head && n->cons_ready && !n->stopping && !n->store_held) {
        struct node_cev *q = n->q_head;
        n->q_head = q->next;
        if (!n->q_head) n->q_tail = NULL;
        struct cons_update up;
        int rc = cons_step(&n->cons, &q->ev, &up);
        if (rc == 0) apply_update(n, &up);
        else WB_ERROR("cons", "step refused input kind %d: %s", q->ev.kind, wb_strerror(rc));
        free(q->block);
        free(q);
    }
    n->q_running = false;
}

/* ---- start and stop --------------------------------------------------------- */

int node_cons_start(struct node *n)
{
    const struct node_timeouts *t = &n->cfg->timeouts;
    struct cons_config cc = {
        .validator_count = n->genesis->validator_count,
        .self = n->self,
        .timeout_propose_ms = t->propose_ms,
        .timeout_propose_delta_ms = t->propose_delta_ms,
        .timeout_prevote_ms = t->prevote_ms,
        .timeout_prevote_delta_ms = t->prevote_delta_ms,
        .timeout_precommit_ms = t->precommit_ms,
        .timeout_precommit_delta_ms = t->precommit_delta_ms,
        .block_bytes_max = n->cfg->limits.block_bytes_max,
        .sync_hint_interval_ms = 500,
        .wait_for_work = true,
    };
    struct cons_safety rec, *restored = NULL;
    uint8_t *buf = NULL;
    size_t len;
    int rc = WB_ERR_NOMEM;
    uint8_t (*keys)[WB_PUBKEY_LEN] = calloc(n->genesis->validator_count, WB_PUBKEY_LEN);
    if (!keys) goto out;
    for (size_t i = 0; i < n->genesis->validator_count; i++)
        memcpy(keys[i], n->genesis->validators[i].key, WB_PUBKEY_LEN);
    cc.validator_keys = (const uint8_t(*)[WB_PUBKEY_LEN])keys;
    memcpy(cc.chain_id, n->genesis->chain_id, WB_CHAIN_ID_LEN);

    rc = store_safety_get(n->store, &buf, &len);
    if (rc == 0) {
        rc = cons_safety_decode(buf, len, &rec);
        if (rc) {
            WB_ERROR("cons", "stored safety record does not decode; refusing to start");
            goto out;
        }
        restored = &rec;
    } else if (rc != WB_ERR_NOT_FOUND) {
        goto out;
    }
    /* The secret key is copied into cc only here, for cons_init to take its
     * own copy; the one exit below wipes cc (and the record, which holds
     * nothing secret but is wiped with it) on every path. */
    memcpy(cc.secret_key, n->sk, WB_SECKEY_LEN);
    rc = cons_init(&n->cons, &cc, n->last_height + 1, restored);
    if (rc) goto out;
    n->cons_inited = true;
    n->cons_ready = true;
out:
    sodium_memzero(&cc, sizeof cc);
    sodium_memzero(&rec, sizeof rec);
    free(buf);
    free(keys);
    if (rc) return rc;
    struct cons_event ev = {.kind = CONS_EV_START, .now_ms = node_now_ms(n)};
    node_cons_feed(n, &ev);
    return WB_OK;
}

void node_cons_drop_pending(struct node *n)
{
    while (n->q_head) {
        struct node_cev *q = n->q_head;
        n->q_head = q->next;
        free(q->block);
        free(q);
    }
    n->q_tail = NULL;
    for (size_t i = 0; i < NODE_VCACHE; i++) vcache_clear(&n->vcache[i]);
    while (n->timers) {
        uv_timer_stop(&n->timers->handle);
        timer_remove(n, n->timers);
    }
    n->build_pending = false;
    uv_timer_stop(&n->build_timer);
}

int node_cons_restart(struct node *n)
{
    node_cons_drop_pending(n);
    if (n->cons_inited) {
        cons_free(&n->cons);
        n->cons_inited = false;
    }
    n->cons_ready = false;
    return node_cons_start(n);
}

void node_cons_stop(struct node *n)
{
    node_cons_drop_pending(n);
    node_storage_stop(n);
}
