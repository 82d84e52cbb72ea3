/* The consensus driver (driver.h). */
#include "node/driver/driver.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/hex.h"
#include "common/log.h"
#include "common/wb_assert.h"
#include "node/metrics/record.h"
#include "storage/store.h"

/* One queued input of the core; the block bytes are an owned copy. */
struct node_cev {
    struct node_cev *next;
    struct cons_event ev;
    uint8_t *block;
};

static void run_queue(struct node_driver *d);

void node_driver_feed(struct node_driver *d, const struct cons_event *ev)
{
    /* Held on a storage fault: the core is restarted from storage later,
     * and what peers sent meanwhile they send again. */
    if (d->stopping || !d->ready || node_hold_active(d->hold)) return;
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
            WB_ERROR("cons", "out of memory queueing a consensus input; dropped");
            free(q);
            return;
        }
        memcpy(q->block, blk, blk_len);
        if (ev->kind == CONS_EV_PROPOSAL) q->ev.proposal.block = q->block;
        else q->ev.block_ready.block = q->block;
    }
    if (d->q_tail) d->q_tail->next = q;
    else d->q_head = q;
    d->q_tail = q;
    run_queue(d);
}

static void on_timer_fired(void *ctx, uint64_t height, uint32_t round, uint8_t step)
{
    struct node_driver *d = ctx;
    struct cons_event ev = {.kind = CONS_EV_TIMEOUT, .now_ms = node_now_ms()};
    ev.timeout.height = height;
    ev.timeout.round = round;
    ev.timeout.step = step;
    node_driver_feed(d, &ev);
}

static void fatal(struct node_driver *d)
{
    d->ready = false;
    d->listener.on_fatal(d->listener.ctx);
}

/* ---- validation and building ------------------------------------------------- */

/* This node holds a proposal of `height`: the first one starts the
 * height's commit latency. */
static void proposal_seen(struct node_driver *d, uint64_t height)
{
    if (d->seen_height == height) return;
    d->seen_height = height;
    d->seen_ns = node_mono_ns();
}

static enum cons_validity validate(struct node_driver *d, const struct cons_validate_request *rq)
{
    char hex[65];
    uint64_t last = node_chain_height(d->chain);
    if (rq->height != last + 1) {
        WB_WARN("cons", "h=%llu asked to validate a block for height %llu; not next",
                (unsigned long long)last, (unsigned long long)rq->height);
        return CONS_BLOCK_INVALID;
    }
    proposal_seen(d, rq->height);
    struct node_checked cb;
    char msg[256];
    int rc = node_check_block(d->env, d->chain, rq->block, rq->block_len, rq->hash, true, &cb,
                              msg, sizeof msg);
    if (rc == WB_ERR_VERIFY) return CONS_BLOCK_BAD_HASH;
    if (rc) {
        WB_WARN("cons", "h=%llu block %.16s invalid: %s", (unsigned long long)rq->height,
                wb_hex_encode(rq->hash, 32, hex, sizeof hex), msg);
        return CONS_BLOCK_INVALID;
    }
    /* The core keeps one byte string per hash and decides with the bytes it
     * asked about, so the decision of (height, hash) finds this entry. */
    node_vcache_put(&d->vcache, rq->height, rq->hash, &cb);
    return CONS_BLOCK_VALID;
}

static void on_built(void *ctx, uint64_t height, uint32_t round, const uint8_t *block,
                     size_t len, const uint8_t hash[WB_HASH_LEN], struct node_checked *cb)
{
    struct node_driver *d = ctx;
    proposal_seen(d, height);
    node_vcache_put(&d->vcache, height, hash, cb);
    struct cons_event ev = {.kind = CONS_EV_BLOCK_READY, .now_ms = node_now_ms()};
    ev.block_ready.height = height;
    ev.block_ready.round = round;
    memcpy(ev.block_ready.hash, hash, WB_HASH_LEN);
    ev.block_ready.block = block;
    ev.block_ready.block_len = len;
    node_driver_feed(d, &ev);
}

/* An event the build found expired: passed on to whoever waits for it. */
static void on_build_dropped(void *ctx, const uint8_t id[WB_HASH_LEN], int err,
                             const char *reason)
{
    struct node_driver *d = ctx;
    d->listener.on_dropped(d->listener.ctx, id, err, reason);
}

/* ---- quiet when idle ------------------------------------------------------------ */

/* The core waits for work at idle_height (its update said so): once the
 * mempool holds events or the heartbeat is due (the last block's time plus
 * the genesis heartbeat_ms), step CONS_EV_WORK, once. Called when the wait
 * begins, when the mempool grows and from the housekeeping tick. */
void node_driver_check_idle(struct node_driver *d)
{
    if (!d->idle_height || !d->ready) return;
    if (d->idle_height != node_chain_height(d->chain) + 1 || !cons_waiting(&d->cons) ||
        cons_height(&d->cons) != d->idle_height) {
        d->idle_height = 0; /* the wait ended some other way */
        return;
    }
    int64_t now = node_now_ms();
    size_t pending = mempool_count(d->env->mempool);
    if (pending == 0 && !node_build_heartbeat_due(&d->build, now)) return;
    if (pending)
        WB_DEBUG("cons", "h=%llu work: %zu events in the mempool",
                 (unsigned long long)d->idle_height, pending);
    else
        WB_DEBUG("cons", "h=%llu work: heartbeat due (last block %lld ms ago)",
                 (unsigned long long)d->idle_height,
                 (long long)(now - node_chain_time_ms(d->chain)));
    struct cons_event ev = {.kind = CONS_EV_WORK, .now_ms = now};
    ev.work.height = d->idle_height;
    d->idle_height = 0;
    node_driver_feed(d, &ev);
}

void node_driver_on_mempool_grew(struct node_driver *d)
{
    node_build_on_mempool_grew(&d->build);
    node_driver_check_idle(d);
}

/* ---- decisions ------------------------------------------------------------------ */

static void apply_decision(struct node_driver *d, const struct cons_decision *dec)
{
    char hex[65], msg[256];
    uint64_t last = node_chain_height(d->chain);
    if (dec->height <= last) return; /* block sync got there first */
    if (dec->height != last + 1) {
        WB_ERROR("cons", "h=%llu decision for height %llu skips heights",
                 (unsigned long long)last, (unsigned long long)dec->height);
        return;
    }
    uint8_t *cert;
    size_t cert_len;
    if (cons_cert_encode(dec, &cert, &cert_len) != 0) {
        WB_ERROR("cons", "h=%llu cannot encode certificate", (unsigned long long)dec->height);
        return;
    }
    /* The core decides only blocks this node checked (validated or built).
     * Their check was lost only when the entry was replaced or the check
     * came before a restart: then it is done here, without the clock. */
    struct node_checked cb;
    int rc = WB_OK;
    if (!node_vcache_take(&d->vcache, dec->height, dec->hash, &cb)) {
        rc = node_check_block(d->env, d->chain, dec->block, dec->block_len, dec->hash, false,
                              &cb, msg, sizeof msg);
        if (rc)
            WB_ERROR("cons", "h=%llu decided block %.16s fails local checks: %s",
                     (unsigned long long)dec->height,
                     wb_hex_encode(dec->hash, 32, hex, sizeof hex), msg);
    }
    if (rc == WB_OK) {
        rc = node_commit_block(d->commit, &cb, dec->block, dec->block_len, cert, cert_len);
        if (rc && !node_hold_is_fault(rc))
            WB_ERROR("cons", "h=%llu cannot append decided block: %s",
                     (unsigned long long)dec->height, wb_strerror(rc));
    }
    if (rc) {
        /* The core has moved on to the next height, the store has not: hold
         * the core (no votes) until the block is stored, by a retry or by
         * block sync. */
        node_hold_append_failed(d->hold, rc, dec->height, dec->block, dec->block_len, cert,
                                cert_len);
    }
    node_checked_free(&cb);
    free(cert);
}

/* ---- acting on an update ---------------------------------------------------- */

/* Writes the record durably. A record that does not encode stops the node;
 * one the disk does not take holds it (node/chain/hold.h): either way
 * nothing of the update is sent. */
static bool persist(struct node_driver *d, const struct cons_safety *s)
{
    uint8_t buf[CONS_SAFETY_MAX];
    size_t len;
    int rc = cons_safety_encode(s, buf, sizeof buf, &len);
    if (rc) {
        WB_ERROR("cons", "h=%llu cannot encode the safety record: %s; stopping",
                 (unsigned long long)s->height, wb_strerror(rc));
        fatal(d);
        return false;
    }
    rc = store_safety_put(d->env->store, buf, len);
    if (rc) {
        node_hold_safety_failed(d->hold, rc, buf, len);
        return false;
    }
    return true;
}

static void keep_evidence(struct node_driver *d, const struct cons_evidence *e)
{
    uint8_t *buf;
    size_t len;
    if (cons_evidence_encode(e, &buf, &len) != 0) {
        WB_ERROR("cons", "h=%llu cannot encode evidence of validator %u",
                 (unsigned long long)e->a.height, e->a.validator);
        return;
    }
    int rc = store_evidence_put(d->env->store, e->a.height, e->a.round, e->a.type,
                                e->a.validator, buf, len);
    WB_WARN("cons", "h=%llu r=%u validator %u equivocated (type %u); evidence %s",
            (unsigned long long)e->a.height, e->a.round, e->a.validator, e->a.type,
            rc == WB_OK ? "kept" : "not stored");
    free(buf);
}

/* Results of validation requests, gathered before the core is stepped again. */
struct pending_result {
    uint64_t height;
    uint8_t hash[WB_HASH_LEN];
    enum cons_validity result;
};

static void apply_update(struct node_driver *d, const struct cons_update *up)
{
    /* Cannot sign safely: nothing of this update leaves the node. */
    if (up->persist && !persist(d, up->persist)) return;
    for (size_t i = 0; i < up->msg_count; i++) d->listener.send(d->listener.ctx, &up->msgs[i]);
    for (size_t i = 0; i < up->timer_count; i++) {
        if (node_timers_arm(&d->timers, &up->timers[i]) != WB_OK) {
            /* A round whose timeout never fires can stall the height. */
            WB_ERROR("cons", "a consensus timer could not be armed; stopping");
            fatal(d);
            return;
        }
    }
    if (up->decision) apply_decision(d, up->decision);
    if (node_hold_active(d->hold)) return; /* the rest is for a height not stored */
    for (size_t i = 0; i < up->evidence_count; i++) keep_evidence(d, &up->evidence[i]);
    if (up->sync_from) d->sync_hint = up->sync_from; /* kept until a request or a commit */

    size_t nv = up->validate_count;
    struct pending_result *res = nv ? calloc(nv, sizeof *res) : NULL;
    if (nv && !res) {
        WB_ERROR("cons", "out of memory validating blocks");
        nv = 0;
    }
    for (size_t i = 0; i < nv; i++) {
        res[i].height = up->validate[i].height;
        memcpy(res[i].hash, up->validate[i].hash, WB_HASH_LEN);
        res[i].result = validate(d, &up->validate[i]);
    }
    bool build = up->build != NULL;
    struct cons_build_request brq = {0};
    if (build) brq = *up->build;
    uint64_t wait = up->wait_for_work;
    /* The update's pointers die with the next step: everything is copied. */
    for (size_t i = 0; i < nv; i++) {
        struct cons_event ev = {.kind = CONS_EV_BLOCK_VALIDATED, .now_ms = node_now_ms()};
        ev.validated.height = res[i].height;
        memcpy(ev.validated.hash, res[i].hash, WB_HASH_LEN);
        ev.validated.result = res[i].result;
        node_driver_feed(d, &ev);
    }
    free(res);
    if (build) node_build_request(&d->build, &brq);
    if (wait) {
        WB_DEBUG("cons", "h=%llu waiting for events or the heartbeat", (unsigned long long)wait);
        d->idle_height = wait;
        node_driver_check_idle(d);
    }
}

static void run_queue(struct node_driver *d)
{
    if (d->q_running) return;
    d->q_running = true;
    while (d->q_head && d->ready && !d->stopping && !node_hold_active(d->hold)) {
        struct node_cev *q = d->q_head;
        d->q_head = q->next;
        if (!d->q_head) d->q_tail = NULL;
        struct cons_update up;
        uint64_t height = cons_height(&d->cons);
        uint32_t round = cons_round(&d->cons);
        int rc = cons_step(&d->cons, &q->ev, &up);
        /* A round that did not decide is rare on a healthy network and
         * costs a timeout: said once per round, for the operator. */
        if (rc == 0 && cons_height(&d->cons) == height && cons_round(&d->cons) > round)
            WB_INFO("cons", "h=%llu round %u did not decide; round %u",
                    (unsigned long long)height, round, cons_round(&d->cons));
        if (rc == 0) apply_update(d, &up);
        else WB_ERROR("cons", "step refused input kind %d: %s", q->ev.kind, wb_strerror(rc));
        free(q->block);
        free(q);
    }
    d->q_running = false;
}

/* ---- start and stop --------------------------------------------------------- */

int node_driver_init(struct node_driver *d, const struct node_env *env,
                     const struct node_chain *chain, struct node_commit *commit,
                     struct node_hold *hold, const struct node_driver_listener *listener)
{
    memset(d, 0, sizeof *d);
    d->env = env;
    d->chain = chain;
    d->commit = commit;
    d->hold = hold;
    d->listener = *listener;
    node_timers_init(&d->timers, env->loop, on_timer_fired, d);
    struct node_build_listener bl = {.on_built = on_built, .on_dropped = on_build_dropped,
                                     .ctx = d};
    return node_build_init(&d->build, env, chain, &bl);
}

/* The core's valset callback: the set that signs `height`, from the
 * chain's governance epochs (known up to head + 2: a change committed in
 * block H signs from H + 2). */
static int driver_valset(void *ctx, uint64_t height, struct cons_valset *out)
{
    struct node_driver *d = ctx;
    int rc = node_chain_set_keys(d->chain, height, d->valset_keys, &out->n);
    if (rc) return rc;
    out->keys = (const uint8_t(*)[WB_PUBKEY_LEN])d->valset_keys;
    return WB_OK;
}

int node_driver_start(struct node_driver *d, const uint8_t sk[WB_SECKEY_LEN])
{
    const struct node_env *env = d->env;
    const struct node_timeouts *t = &env->cfg->timeouts;
    struct cons_config cc = {
        .valset = driver_valset,
        .valset_ctx = d,
        .valset_max = WB_VALIDATORS_MAX,
        .timeout_propose_ms = t->propose_ms,
        .timeout_propose_delta_ms = t->propose_delta_ms,
        .timeout_prevote_ms = t->prevote_ms,
        .timeout_prevote_delta_ms = t->prevote_delta_ms,
        .timeout_precommit_ms = t->precommit_ms,
        .timeout_precommit_delta_ms = t->precommit_delta_ms,
        .block_bytes_max = env->cfg->limits.block_bytes_max,
        .sync_hint_interval_ms = 500,
        .wait_for_work = true,
    };
    struct cons_safety rec, *restored = NULL;
    uint8_t *buf = NULL;
    size_t len;
    int rc;
    memcpy(cc.chain_id, env->genesis->chain_id, WB_CHAIN_ID_LEN);

    rc = store_safety_get(env->store, &buf, &len);
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
    memcpy(cc.secret_key, sk, WB_SECKEY_LEN);
    rc = cons_init(&d->cons, &cc, node_chain_height(d->chain) + 1, restored);
    if (rc) goto out;
    d->inited = true;
    d->ready = true;
out:
    sodium_memzero(&cc, sizeof cc);
    sodium_memzero(&rec, sizeof rec);
    free(buf);
    if (rc) return rc;
    struct cons_event ev = {.kind = CONS_EV_START, .now_ms = node_now_ms()};
    node_driver_feed(d, &ev);
    return WB_OK;
}

void node_driver_drop_pending(struct node_driver *d)
{
    while (d->q_head) {
        struct node_cev *q = d->q_head;
        d->q_head = q->next;
        free(q->block);
        free(q);
    }
    d->q_tail = NULL;
    node_vcache_clear(&d->vcache);
    node_timers_drop_all(&d->timers);
    node_build_cancel(&d->build);
}

int node_driver_restart(struct node_driver *d, const uint8_t sk[WB_SECKEY_LEN])
{
    node_driver_drop_pending(d);
    if (d->inited) {
        cons_free(&d->cons);
        d->inited = false;
    }
    d->ready = false;
    return node_driver_start(d, sk);
}

void node_driver_on_committed(struct node_driver *d, uint64_t height)
{
    if (d->seen_height == height) {
        node_metrics_record_commit(d->env->metrics, node_mono_ns() - d->seen_ns);
        d->seen_height = 0;
    }
    node_vcache_drop_upto(&d->vcache, height);
    node_timers_drop_below(&d->timers, height + 1);
    d->sync_hint = 0;
}

void node_driver_sync_hint_spent(struct node_driver *d)
{
    d->sync_hint = 0;
}

void node_driver_own_messages(struct node_driver *d, const struct cons_msg **msgs, size_t *count)
{
    if (!d->ready) {
        *msgs = NULL;
        *count = 0;
        return;
    }
    cons_own_messages(&d->cons, msgs, count);
}

void node_driver_stop(struct node_driver *d)
{
    d->stopping = true;
    node_driver_drop_pending(d);
    node_build_stop(&d->build);
}

void node_driver_free(struct node_driver *d)
{
    node_vcache_clear(&d->vcache);
    if (d->inited) cons_free(&d->cons);
    d->inited = false;
    d->ready = false;
}
