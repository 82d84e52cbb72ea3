/* One simulation run: nodes driving the real consensus core the way the
 * daemon does (persist, send, timers, decision, evidence, requests), a
 * fake network and clock, scheduled faults, and the run loop with the
 * liveness bound. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/quorum.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/cert.h"
#include "tests/sim/sim.h"

/* name, drop, dup, delay spike (per mille), partitions, crashes, byzantine, fault ms */
const struct sim_mix sim_mixes[] = {
    {"clean", 0, 0, 0, false, false, false, 300},
    {"lossy", 150, 100, 60, false, false, false, 1500},
    {"partition", 40, 40, 20, true, false, false, 2000},
    {"crash", 40, 40, 20, false, true, false, 2000},
    {"byzantine", 100, 60, 30, false, false, true, 1500},
    {"chaos", 120, 80, 40, true, true, true, 2000},
};
const size_t sim_mix_count = sizeof sim_mixes / sizeof sim_mixes[0];

const struct sim_mix *sim_mix_find(const char *name)
{
    for (size_t i = 0; i < sim_mix_count; i++)
        if (strcmp(sim_mixes[i].name, name) == 0) return &sim_mixes[i];
    return NULL;
}

#define DELAY_MIN_MS 2
#define DELAY_MAX_MS 30
#define SPIKE_MAX_MS 600
#define EVENTS_MAX 4000000

void trace(struct sim_world *w, const char *fmt, ...)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%lld ", (long long)w->now);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    w->trace_hash = fnv1a(w->trace_hash, line, len);
    w->trace_hash = fnv1a(w->trace_hash, "\n", 1);
    if (w->cfg.trace) fprintf(w->cfg.trace, "%s\n", line);
}

void fail(struct sim_world *w, const char *check, const char *fmt, ...)
{
    if (w->failed) return;
    w->failed = true;
    snprintf(w->res->check, sizeof w->res->check, "%s", check);
    int n = snprintf(w->res->failure, sizeof w->res->failure, "t=%lldms %s: ",
                     (long long)w->now, check);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->res->failure + n, sizeof w->res->failure - (size_t)n, fmt, ap);
    va_end(ap);
    trace(w, "FAIL %s", w->res->failure);
}

bool is_honest(const struct sim_world *w, uint32_t id) { return id < w->n && !w->nodes[id].byz; }

static void push(struct sim_world *w, struct sim_ev *ev)
{
    if (queue_push(&w->q, ev) != 0) {
        buf_unref(ev->buf);
        buf_unref(ev->buf2);
        fail(w, "internal", "out of memory in the event queue");
    }
}

static void push_simple(struct sim_world *w, int64_t at, uint8_t kind, uint32_t node)
{
    struct sim_ev ev = {.at = at, .kind = kind, .node = node, .epoch = w->nodes[node].epoch};
    push(w, &ev);
}

/* ---- network ------------------------------------------------------------- */

void net_send(struct sim_world *w, uint32_t from, uint32_t to, uint8_t kind,
              struct sim_buf *buf, struct sim_buf *buf2, uint64_t aux)
{
    if (from == to || !w->nodes[to].up) return;
    if (w->partitioned && w->group[from] != w->group[to]) return;
    if (rng_pm(&w->rng, w->drop_pm)) return;
    int copies = rng_pm(&w->rng, w->dup_pm) ? 2 : 1;
    for (int i = 0; i < copies; i++) {
        int64_t delay = rng_range(&w->rng, DELAY_MIN_MS, DELAY_MAX_MS);
        if (rng_pm(&w->rng, w->spike_pm)) delay += rng_range(&w->rng, 50, SPIKE_MAX_MS);
        struct sim_ev ev = {.at = w->now + delay, .kind = SIM_EV_DELIVER, .msg = kind,
                            .node = to, .from = from, .epoch = w->nodes[to].epoch,
                            .aux = aux, .buf = buf_ref(buf), .buf2 = buf_ref(buf2)};
        push(w, &ev);
    }
}

void net_send_msg(struct sim_world *w, uint32_t from, uint32_t to, const struct cons_msg *m)
{
    check_note_sent(w, m);
    uint8_t *bytes;
    size_t len;
    if (cons_msg_encode(m, &bytes, &len) != WB_OK) {
        fail(w, "internal", "out of memory encoding a message");
        return;
    }
    struct sim_buf *b = buf_new(bytes, len);
    free(bytes);
    if (!b) return;
    net_send(w, from, to, SIM_MSG_CONS, b, NULL, 0);
    buf_unref(b);
}

static void broadcast(struct sim_world *w, uint32_t from, const struct cons_msg *m)
{
    check_note_sent(w, m);
    uint8_t *bytes;
    size_t len;
    if (cons_msg_encode(m, &bytes, &len) != WB_OK) {
        fail(w, "internal", "out of memory encoding a message");
        return;
    }
    struct sim_buf *b = buf_new(bytes, len);
    free(bytes);
    if (!b) return;
    for (uint32_t to = 0; to < w->n; to++) net_send(w, from, to, SIM_MSG_CONS, b, NULL, 0);
    buf_unref(b);
}

static const char *msg_desc(const struct cons_msg *m, char *out, size_t cap)
{
    if (m->kind == CONS_MSG_PROPOSAL)
        snprintf(out, cap, "proposal h=%llu r=%u vr=%d %02x%02x", (unsigned long long)m->proposal.height,
                 m->proposal.round, m->proposal.valid_round, m->proposal.hash[0],
                 m->proposal.hash[1]);
    else if (m->vote.nil)
        snprintf(out, cap, "%s h=%llu r=%u nil", m->vote.type == CONS_PREVOTE ? "prevote" : "precommit",
                 (unsigned long long)m->vote.height, m->vote.round);
    else
        snprintf(out, cap, "%s h=%llu r=%u %02x%02x",
                 m->vote.type == CONS_PREVOTE ? "prevote" : "precommit",
                 (unsigned long long)m->vote.height, m->vote.round, m->vote.hash[0],
                 m->vote.hash[1]);
    return out;
}

/* ---- the workload: mempools and the heartbeat ----------------------------- */

const sim_known_row *node_known(struct sim_world *w, const struct sim_node *nd)
{
    return (const sim_known_row *)w->known_at[nd->id];
}

/* An event is submitted at its origin node at time t and reaches every
 * other node's mempool a gossip delay later (with the mix's delay spikes). */
static void release(struct sim_world *w, size_t item, size_t k, int64_t t)
{
    w->release_at[item][k] = t;
    uint32_t origin = (uint32_t)rng_below(&w->rng, w->n);
    for (uint32_t v = 0; v < w->n; v++) {
        int64_t d = v == origin ? 0 : rng_range(&w->rng, DELAY_MIN_MS, DELAY_MAX_MS);
        if (v != origin && rng_pm(&w->rng, w->cfg.mix->spike_pm))
            d += rng_range(&w->rng, 50, SPIKE_MAX_MS);
        w->known_at[v][item][k] = t + d;
    }
}

/* Bursts of 1 to 16 events, each item's events in order, separated by
 * short pauses or by idle gaps of half a heartbeat to three. An idle run
 * has nothing for SIM_IDLE_MS, then one burst of one event per item. */
static void plan_workload(struct sim_world *w)
{
    for (size_t i = 0; i < SIM_ITEMS; i++)
        for (size_t k = 0; k < SIM_EVENTS_PER_ITEM; k++) {
            w->release_at[i][k] = INT64_MAX;
            for (uint32_t v = 0; v < SIM_N_MAX; v++) w->known_at[v][i][k] = INT64_MAX;
        }
    if (w->cfg.idle_run) {
        w->idle_end = w->now + SIM_IDLE_MS;
        for (size_t i = 0; i < SIM_IDLE_BURST; i++) release(w, i, 0, w->idle_end);
        return;
    }
    size_t next[SIM_ITEMS] = {0}, left = SIM_ITEMS * SIM_EVENTS_PER_ITEM;
    int64_t t = w->now + rng_range(&w->rng, 0, 300);
    while (left) {
        size_t burst = (size_t)rng_range(&w->rng, 1, 16);
        size_t item = (size_t)rng_below(&w->rng, SIM_ITEMS);
        for (; burst && left; burst--, left--) {
            while (next[item] == SIM_EVENTS_PER_ITEM) item = (item + 1) % SIM_ITEMS;
            release(w, item, next[item]++, t);
            item = (item + 1) % SIM_ITEMS;
        }
        t += rng_pm(&w->rng, 600) ? rng_range(&w->rng, 20, 300)
                                  : rng_range(&w->rng, SIM_HEARTBEAT_MS / 2, 3 * SIM_HEARTBEAT_MS);
    }
}

/* Its mempool holds an event that can go into its next block. */
static bool has_work(const struct sim_world *w, const struct sim_node *nd, int64_t *next_at)
{
    *next_at = INT64_MAX;
    for (size_t i = 0; i < SIM_ITEMS; i++) {
        size_t k = nd->chain.states[i].count;
        if (k >= SIM_EVENTS_PER_ITEM) continue;
        int64_t at = w->known_at[nd->id][i][k];
        if (at <= w->now) return true;
        if (at < *next_at) *next_at = at;
    }
    return false;
}

/* The driver's answer to a core waiting for work at height h: CONS_EV_WORK
 * once its mempool holds an event or its heartbeat is due (the last block's
 * time + SIM_HEARTBEAT_MS by its own clock); until then it looks again
 * when either may have changed. */
static void node_step(struct sim_world *w, struct sim_node *nd, const struct cons_event *ev);

static void on_work(struct sim_world *w, struct sim_node *nd, uint64_t h)
{
    if (!cons_waiting(&nd->core) || cons_height(&nd->core) != h) return;
    uint8_t prev[WB_HASH_LEN];
    int64_t prev_time, next_at;
    chain_tip(&nd->chain, &w->env, prev, &prev_time);
    int64_t due = prev_time + w->env.g->heartbeat_ms - nd->skew_ms; /* simulation's clock */
    bool work = has_work(w, nd, &next_at);
    if (work || w->now >= due) {
        trace(w, "n%u work h=%llu (%s)", nd->id, (unsigned long long)h,
              work ? "mempool" : "heartbeat");
        struct cons_event ev = {.kind = CONS_EV_WORK, .now_ms = w->now + nd->skew_ms};
        ev.work.height = h;
        node_step(w, nd, &ev);
        return;
    }
    struct sim_ev e = {.at = next_at < due ? next_at : due, .kind = SIM_EV_WORK, .node = nd->id,
                       .epoch = nd->epoch, .h = h};
    push(w, &e);
}

/* ---- nodes ----------------------------------------------------------------- */

static void node_crash(struct sim_world *w, struct sim_node *nd, const char *when);
static void answer_old(struct sim_world *w, struct sim_node *nd, uint32_t from, uint64_t height);
static void send_own(struct sim_world *w, struct sim_node *nd, int to)
{
    const struct cons_msg *msgs;
    size_t count;
    cons_own_messages(&nd->core, &msgs, &count);
    for (size_t i = 0; i < count; i++) {
        if (nd->byz) {
            byz_outgoing(w, nd, &msgs[i]);
            continue;
        }
        check_send(w, nd, &msgs[i]);
        if (to < 0)
            broadcast(w, nd->id, &msgs[i]);
        else
            net_send_msg(w, nd->id, (uint32_t)to, &msgs[i]);
    }
}

/* The core's set source: the schedule's set of height h, known once this
 * node's chain holds block h - 2 (as a node knows it from the governance
 * changes it committed). */
static int node_valset(void *ctx, uint64_t h, struct cons_valset *out)
{
    struct sim_node *nd = ctx;
    if (nd->chain.len + 2 < h) return WB_ERR_NOT_FOUND;
    out->n = env_keys(nd->env, h, nd->vs_keys);
    out->keys = (const uint8_t(*)[WB_PUBKEY_LEN])nd->vs_keys;
    return WB_OK;
}

static void node_boot(struct sim_world *w, struct sim_node *nd)
{
    struct cons_config cfg;
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.chain_id, w->env.g->chain_id, WB_CHAIN_ID_LEN);
    if (w->cfg.valset) {
        cfg.valset = node_valset;
        cfg.valset_ctx = nd;
        cfg.valset_max = w->n;
    } else {
        cfg.validator_count = w->n;
        cfg.validator_keys = (const uint8_t(*)[WB_PUBKEY_LEN])w->env.val_pk;
        cfg.self = nd->id;
    }
    memcpy(cfg.secret_key, w->env.val_sk[nd->id], WB_SECKEY_LEN);
    cfg.timeout_propose_ms = 300;
    cfg.timeout_propose_delta_ms = 100;
    cfg.timeout_prevote_ms = 200;
    cfg.timeout_prevote_delta_ms = 100;
    cfg.timeout_precommit_ms = 200;
    cfg.timeout_precommit_delta_ms = 100;
    cfg.block_bytes_max = 1 << 20;
    cfg.sync_hint_interval_ms = 300;
    cfg.wait_for_work = true;
    int rc = cons_init(&nd->core, &cfg, nd->chain.len + 1, nd->has_record ? &nd->durable : NULL);
    if (rc) {
        fail(w, "internal", "node %u: cons_init: %s", nd->id, wb_strerror(rc));
        return;
    }
    cons_seam_set(&nd->core, nd->byz ? CONS_SEAM_NONE : w->cfg.bug);
    nd->core_live = true;
    nd->up = true;
    nd->epoch++;
    trace(w, "n%u boot h=%zu record=(%llu,%u,%u)", nd->id, nd->chain.len + 1,
          (unsigned long long)nd->durable.height, nd->durable.round, nd->durable.step);
    push_simple(w, w->now + SIM_RESEND_MS, SIM_EV_RESEND, nd->id);
    struct cons_event ev = {.kind = CONS_EV_START, .now_ms = w->now + nd->skew_ms};
    node_step(w, nd, &ev);
}

static void node_crash(struct sim_world *w, struct sim_node *nd, const char *when)
{
    if (!nd->up) return;
    trace(w, "n%u crash %s", nd->id, when);
    nd->up = false;
    nd->epoch++; /* timers and messages in flight to the old incarnation are lost */
    if (nd->core_live) {
        nd->sig_checks += cons_get_stats(&nd->core)->signatures_checked;
        nd->decisions += cons_get_stats(&nd->core)->decisions;
        nd->rejected_sig += cons_get_stats(&nd->core)->rejected_signature;
        cons_free(&nd->core);
    }
    nd->core_live = false;
    w->res->restarts++;
    int64_t back = w->now + rng_range(&w->rng, 100, 1500);
    push_simple(w, back, SIM_EV_RESTART, nd->id);
}

static void apply_decision(struct sim_world *w, struct sim_node *nd,
                           const struct cons_decision *d)
{
    uint8_t *cert;
    size_t cert_len;
    if (cons_cert_encode(d, &cert, &cert_len) != WB_OK) {
        fail(w, "internal", "out of memory encoding a certificate");
        return;
    }
    trace(w, "n%u decide h=%llu r=%u %02x%02x%02x%02x votes=%zu", nd->id,
          (unsigned long long)d->height, d->round, d->hash[0], d->hash[1], d->hash[2],
          d->hash[3], d->precommit_count);
    if (d->height != nd->chain.len + 1) {
        fail(w, "internal", "node %u decided height %llu with %zu blocks stored", nd->id,
             (unsigned long long)d->height, nd->chain.len);
        free(cert);
        return;
    }
    if (!nd->byz) check_cert(w, nd, d->height, d->hash, cert, cert_len);
    char msg[384];
    if (chain_append(&nd->chain, &w->env, d->block, d->block_len, d->hash, cert, cert_len, msg,
                     sizeof msg) != 0) {
        if (!nd->byz)
            fail(w, "validity", "node %u decided an invalid block at height %llu: %s", nd->id,
                 (unsigned long long)d->height, msg);
    } else {
        check_agreement(w, nd, d->height, d->hash);
        check_quiet(w, nd);
    }
    free(cert);
}

static void apply_update(struct sim_world *w, struct sim_node *nd, const struct cons_update *up)
{
    /* Crash points inside the driver's handling of one update. */
    uint64_t crash_at = 0;
    if (w->faults_on && w->cfg.mix->crashes && !nd->byz &&
        (up->persist || up->msg_count || up->decision) && rng_pm(&w->rng, w->crash_mid_pm))
        crash_at = 1 + rng_below(&w->rng, 3);

    /* 1. persist: this is all a restart will get back. */
    if (up->persist) {
        nd->durable = *up->persist;
        nd->has_record = true;
    }
    if (crash_at == 1) {
        node_crash(w, nd, "after persist");
        return;
    }
    /* 2. send */
    for (size_t i = 0; i < up->msg_count; i++) {
        char d[96];
        trace(w, "n%u send %s", nd->id, msg_desc(&up->msgs[i], d, sizeof d));
        if (nd->byz) {
            byz_outgoing(w, nd, &up->msgs[i]);
        } else {
            check_send(w, nd, &up->msgs[i]);
            broadcast(w, nd->id, &up->msgs[i]);
        }
    }
    if (crash_at == 2) {
        node_crash(w, nd, "after send");
        return;
    }
    /* 3. timers */
    for (size_t i = 0; i < up->timer_count; i++) {
        const struct cons_timer *t = &up->timers[i];
        struct sim_ev ev = {.at = w->now + t->delay_ms, .kind = SIM_EV_TIMER, .node = nd->id,
                            .epoch = nd->epoch, .h = t->height, .r = t->round,
                            .step = t->step};
        push(w, &ev);
    }
    /* 4. decision */
    if (up->decision) apply_decision(w, nd, up->decision);
    if (crash_at == 3) {
        node_crash(w, nd, "after decision");
        return;
    }
    /* 5. evidence */
    for (size_t i = 0; i < up->evidence_count; i++) check_evidence(w, nd, &up->evidence[i]);
    /* 6. requests, answered after a little work time */
    if (up->build) {
        struct sim_ev ev = {.at = w->now + rng_range(&w->rng, 1, 4), .kind = SIM_EV_BUILD,
                            .node = nd->id, .epoch = nd->epoch, .h = up->build->height,
                            .r = up->build->round};
        push(w, &ev);
    }
    for (size_t i = 0; i < up->validate_count; i++) {
        const struct cons_validate_request *rq = &up->validate[i];
        struct sim_ev ev = {.at = w->now + rng_range(&w->rng, 1, 3), .kind = SIM_EV_VALIDATE,
                            .node = nd->id, .epoch = nd->epoch, .h = rq->height,
                            .buf = buf_new(rq->block, rq->block_len)};
        memcpy(ev.hash, rq->hash, WB_HASH_LEN);
        if (!ev.buf) {
            fail(w, "internal", "out of memory");
            return;
        }
        push(w, &ev);
    }
    if (up->sync_from) {
        uint32_t peer = (uint32_t)rng_below(&w->rng, w->n - 1);
        if (peer >= nd->id) peer++;
        trace(w, "n%u sync from h=%llu ask n%u", nd->id, (unsigned long long)up->sync_from,
              peer);
        net_send(w, nd->id, peer, SIM_MSG_SYNC_REQ, NULL, NULL, up->sync_from);
    }
    /* The core waits for work: answered from the queue, not from inside
     * this update. */
    if (up->wait_for_work) {
        struct sim_ev ev = {.at = w->now, .kind = SIM_EV_WORK, .node = nd->id,
                            .epoch = nd->epoch, .h = up->wait_for_work};
        push(w, &ev);
    }
}

static void node_step(struct sim_world *w, struct sim_node *nd, const struct cons_event *ev)
{
    if (!nd->up || w->failed) return;
    struct cons_update up;
    int rc = cons_step(&nd->core, ev, &up);
    if (rc) {
        fail(w, "internal", "node %u: cons_step(kind %d): %s", nd->id, ev->kind,
             wb_strerror(rc));
        return;
    }
    apply_update(w, nd, &up);
}

/* ---- event handlers ------------------------------------------------------------ */

static void on_cons_message(struct sim_world *w, struct sim_node *nd, const struct sim_ev *e)
{
    Waybill__PeerMessage *pm = waybill__peer_message__unpack(NULL, e->buf->len, e->buf->data);
    if (!pm) {
        fail(w, "internal", "node %u got a message that does not decode", nd->id);
        return;
    }
    struct cons_event ev = {.now_ms = w->now + nd->skew_ms};
    struct cons_msg m = {0};
    int rc = WB_ERR_DECODE;
    if (pm->msg_case == WAYBILL__PEER_MESSAGE__MSG_PROPOSAL && pm->proposal) {
        rc = cons_proposal_from_pb(pm->proposal, &ev.proposal);
        ev.kind = CONS_EV_PROPOSAL;
        m.kind = CONS_MSG_PROPOSAL;
        m.proposal = ev.proposal;
    } else if (pm->msg_case == WAYBILL__PEER_MESSAGE__MSG_VOTE && pm->vote) {
        rc = cons_vote_from_pb(pm->vote, &ev.vote);
        ev.kind = CONS_EV_VOTE;
        m.kind = CONS_MSG_VOTE;
        m.vote = ev.vote;
    }
    if (rc == WB_OK) {
        char d[96];
        trace(w, "n%u recv n%u %s", nd->id, e->from, msg_desc(&m, d, sizeof d));
        if (nd->byz) byz_incoming(w, nd, e->buf, &m);
        answer_old(w, nd, e->from,
                   m.kind == CONS_MSG_VOTE ? m.vote.height : m.proposal.height);
        node_step(w, nd, &ev);
    }
    waybill__peer_message__free_unpacked(pm, NULL);
}

static void send_blocks(struct sim_world *w, struct sim_node *nd, uint32_t to, uint64_t from)
{
    for (uint64_t h = from; h < from + 4 && h <= nd->chain.len; h++) {
        const struct sim_block *b = &nd->chain.blocks[h - 1];
        struct sim_buf *bb = buf_new(b->bytes, b->len), *cb = buf_new(b->cert, b->cert_len);
        if (bb && cb) net_send(w, nd->id, to, SIM_MSG_SYNC_BLOCK, bb, cb, h);
        buf_unref(bb);
        buf_unref(cb);
    }
}

static void on_sync_request(struct sim_world *w, struct sim_node *nd, const struct sim_ev *e)
{
    if (!nd->byz) send_blocks(w, nd, e->from, e->aux);
}

/* A proposal or vote for a height this node committed: its sender is
 * behind, and the precommits it misses are no longer re-sent by anyone;
 * answer from storage with the block and its certificate. */
static void answer_old(struct sim_world *w, struct sim_node *nd, uint32_t from, uint64_t height)
{
    if (nd->byz || height == 0 || height > nd->chain.len) return;
    if (nd->answered_ms[from] && w->now - nd->answered_ms[from] < 300) return;
    nd->answered_ms[from] = w->now;
    trace(w, "n%u answers n%u from h=%llu", nd->id, from, (unsigned long long)height);
    send_blocks(w, nd, from, height);
}

/* Block sync: check the certificate against genesis, validate, append,
 * and tell the core. */
static void on_sync_block(struct sim_world *w, struct sim_node *nd, const struct sim_ev *e)
{
    if (e->aux != nd->chain.len + 1) return;
    struct ledger_block b;
    if (ledger_block_decode(e->buf->data, e->buf->len, &b) != WB_OK) return;
    uint8_t hash[WB_HASH_LEN];
    memcpy(hash, b.hash, WB_HASH_LEN);
    ledger_block_free(&b);
    char msg[384];
    /* The certificate against the set of the block's height. */
    uint8_t keys[SIM_N_MAX][WB_PUBKEY_LEN];
    size_t n = env_keys(&w->env, e->aux, keys);
    if (ledger_cert_verify_set_bytes(w->env.g->chain_id, (const uint8_t(*)[WB_PUBKEY_LEN])keys,
                                     n, e->buf2->data, e->buf2->len, e->aux, hash, msg,
                                     sizeof msg) != 0)
        return;
    if (chain_validate(&nd->chain, &w->env, e->buf->data, e->buf->len, hash,
                       w->now + nd->skew_ms, msg, sizeof msg) != CONS_BLOCK_VALID)
        return;
    if (chain_append(&nd->chain, &w->env, e->buf->data, e->buf->len, hash, e->buf2->data,
                     e->buf2->len, msg, sizeof msg) != 0)
        return;
    trace(w, "n%u synced h=%llu %02x%02x%02x%02x", nd->id, (unsigned long long)e->aux, hash[0],
          hash[1], hash[2], hash[3]);
    w->res->syncs++;
    check_agreement(w, nd, e->aux, hash);
    check_quiet(w, nd);
    struct cons_event ev = {.kind = CONS_EV_SYNCED, .now_ms = w->now + nd->skew_ms};
    ev.synced.height = e->aux;
    node_step(w, nd, &ev);
}

static void on_build(struct sim_world *w, struct sim_node *nd, const struct sim_ev *e)
{
    if (e->h != nd->chain.len + 1) return; /* the height moved on meanwhile */
    uint8_t *bytes;
    size_t len;
    struct cons_event ev = {.kind = CONS_EV_BLOCK_READY, .now_ms = w->now + nd->skew_ms};
    /* The header names the proposer by its index in the height's set. */
    uint32_t proposer = env_index(&w->env, e->h, nd->id);
    if (proposer == CONS_NOT_VALIDATOR) {
        fail(w, "internal", "node %u asked to build height %llu, where it is no validator",
             nd->id, (unsigned long long)e->h);
        return;
    }
    if (chain_build(&nd->chain, &w->env, node_known(w, nd), w->now, proposer,
                    w->now + nd->skew_ms, 0, &bytes, &len, ev.block_ready.hash) != WB_OK) {
        fail(w, "internal", "node %u could not build a block", nd->id);
        return;
    }
    ev.block_ready.height = e->h;
    ev.block_ready.round = e->r;
    ev.block_ready.block = bytes;
    ev.block_ready.block_len = len;
    node_step(w, nd, &ev);
    free(bytes);
}

static void on_validate(struct sim_world *w, struct sim_node *nd, const struct sim_ev *e)
{
    char msg[384] = "";
    struct cons_event ev = {.kind = CONS_EV_BLOCK_VALIDATED, .now_ms = w->now + nd->skew_ms};
    ev.validated.height = e->h;
    memcpy(ev.validated.hash, e->hash, WB_HASH_LEN);
    if (e->h != nd->chain.len + 1)
        ev.validated.result = CONS_BLOCK_INVALID; /* stale: the core ignores it */
    else
        ev.validated.result = chain_validate(&nd->chain, &w->env, e->buf->data, e->buf->len,
                                             e->hash, w->now + nd->skew_ms, msg, sizeof msg);
    node_step(w, nd, &ev);
}

static void heal(struct sim_world *w)
{
    if (!w->partitioned) return;
    w->partitioned = false;
    trace(w, "heal");
    /* Links come back: every node re-sends its messages to everyone. */
    for (uint32_t i = 0; i < w->n; i++)
        if (w->nodes[i].up) send_own(w, &w->nodes[i], -1);
}

static void on_partition(struct sim_world *w)
{
    if (!w->faults_on) return;
    if (!w->partitioned) {
        /* Two sides, each non-empty. */
        uint64_t mask;
        do mask = rng_below(&w->rng, (1u << w->n) - 1);
        while (mask == 0);
        for (uint32_t i = 0; i < w->n; i++) w->group[i] = (uint8_t)((mask >> i) & 1);
        w->partitioned = true;
        trace(w, "partition mask=%llx", (unsigned long long)mask);
        push_simple(w, w->now + rng_range(&w->rng, 300, 1500), SIM_EV_HEAL, 0);
    }
}

static void on_faults_end(struct sim_world *w)
{
    w->faults_on = false;
    w->drop_pm = w->dup_pm = w->spike_pm = 0;
    heal(w);
    uint64_t top = 0;
    for (uint32_t i = 0; i < w->n; i++) {
        struct sim_node *nd = &w->nodes[i];
        if (!nd->up && !nd->byz) node_boot(w, nd);
        if (!nd->byz && nd->chain.len > top) top = nd->chain.len;
    }
    w->target_height = top + w->cfg.quiet_heights;
    /* Every change of the schedule applied, and some heights decided by
     * the last set. */
    for (size_t c = 0; c < w->env.change_count; c++) {
        const struct sim_change *ch = &w->env.changes[c];
        if (ch->h <= top) w->res->changes_under_faults++;
        if (ch->h + 2 + w->cfg.quiet_heights / 2 > w->target_height)
            w->target_height = ch->h + 2 + w->cfg.quiet_heights / 2;
    }
    w->deadline = w->now + w->cfg.liveness_ms;
    w->faults_end_at = w->now;
    trace(w, "faults end: target h=%llu", (unsigned long long)w->target_height);
}

static void handle(struct sim_world *w, const struct sim_ev *e)
{
    struct sim_node *nd = &w->nodes[e->node];
    bool live = nd->up && e->epoch == nd->epoch;
    switch (e->kind) {
    case SIM_EV_DELIVER:
        if (!live) return;
        w->res->deliveries++;
        if (e->msg == SIM_MSG_CONS)
            on_cons_message(w, nd, e);
        else if (e->msg == SIM_MSG_SYNC_REQ)
            on_sync_request(w, nd, e);
        else
            on_sync_block(w, nd, e);
        return;
    case SIM_EV_TIMER: {
        if (!live) return;
        struct cons_event ev = {.kind = CONS_EV_TIMEOUT, .now_ms = w->now + nd->skew_ms};
        ev.timeout.height = e->h;
        ev.timeout.round = e->r;
        ev.timeout.step = e->step;
        trace(w, "n%u timeout h=%llu r=%u step=%u", nd->id, (unsigned long long)e->h, e->r,
              e->step);
        node_step(w, nd, &ev);
        return;
    }
    case SIM_EV_BUILD:
        if (live) on_build(w, nd, e);
        return;
    case SIM_EV_VALIDATE:
        if (live) on_validate(w, nd, e);
        return;
    case SIM_EV_RESEND:
        if (!live) return;
        send_own(w, nd, -1);
        push_simple(w, w->now + SIM_RESEND_MS, SIM_EV_RESEND, nd->id);
        return;
    case SIM_EV_CRASH:
        if (w->faults_on && nd->up && !nd->byz) node_crash(w, nd, "scheduled");
        return;
    case SIM_EV_RESTART:
        if (!nd->up) node_boot(w, nd);
        return;
    case SIM_EV_PARTITION:
        on_partition(w);
        if (w->faults_on)
            push_simple(w, w->now + rng_range(&w->rng, 1000, 2500), SIM_EV_PARTITION, 0);
        return;
    case SIM_EV_HEAL:
        heal(w);
        return;
    case SIM_EV_FAULTS_END:
        on_faults_end(w);
        return;
    case SIM_EV_WORK:
        if (live) on_work(w, nd, e->h);
        return;
    case SIM_EV_BYZ_REPLAY:
        if (!live) return;
        byz_replay(w, nd);
        push_simple(w, w->now + rng_range(&w->rng, 100, 400), SIM_EV_BYZ_REPLAY, nd->id);
        return;
    default:
        fail(w, "internal", "unknown event kind %u", e->kind);
    }
}

/* ---- the run --------------------------------------------------------------------- */

static void schedule_faults(struct sim_world *w)
{
    const struct sim_mix *mix = w->cfg.mix;
    int64_t end = w->now + mix->fault_ms;
    if (mix->partitions) push_simple(w, w->now + rng_range(&w->rng, 100, 800), SIM_EV_PARTITION, 0);
    if (mix->crashes) {
        w->crash_mid_pm = 6;
        int crashes = (int)rng_range(&w->rng, 1, 4);
        for (int i = 0; i < crashes; i++) {
            uint32_t id = (uint32_t)rng_below(&w->rng, w->n);
            if (w->nodes[id].byz) continue;
            struct sim_ev ev = {.at = rng_range(&w->rng, w->now + 50, end), .kind = SIM_EV_CRASH,
                                .node = id};
            push(w, &ev);
        }
    }
    for (uint32_t i = 0; i < w->n; i++)
        if (w->nodes[i].byz)
            push_simple(w, w->now + rng_range(&w->rng, 100, 400), SIM_EV_BYZ_REPLAY, i);
    struct sim_ev ev = {.at = end, .kind = SIM_EV_FAULTS_END};
    push(w, &ev);
}

/* Validator-set changes (cfg.valset): a schedule from the seed, from
 * height 2 to 5 on, one to three blocks apart. Nodes n_init.. join by
 * additions; removed nodes keep running and following. At every height
 * the byzantine validators stay within the f of that height's set (a
 * removal takes a byzantine one when an honest one would break that). */
static void plan_valset(struct sim_world *w)
{
    struct sim_env *e = &w->env;
    size_t n = w->n_init;
    uint64_t h = 2 + rng_below(&w->rng, 4);
    uint32_t set[SIM_N_MAX];
    size_t k = n;
    for (uint32_t i = 0; i < n; i++) set[i] = i;
    e->change_count = 0;
    switch (w->cfg.valset) {
    case SIM_VS_ADD:
        for (uint32_t id = (uint32_t)n; id < w->n; id++) {
            e->changes[e->change_count++] = (struct sim_change){h, true, id};
            h += (uint64_t)rng_range(&w->rng, 1, 3);
        }
        break;
    case SIM_VS_REMOVE: {
        size_t removals = n == 4 ? 1 : 3;
        for (size_t r = 0; r < removals; r++) {
            size_t byz = 0;
            for (size_t i = 0; i < k; i++) byz += w->nodes[set[i]].byz;
            size_t pick = (size_t)rng_below(&w->rng, k);
            /* Removing an honest one must leave the byzantine within f. */
            if (!w->nodes[set[pick]].byz && byz > wb_faulty(k - 1))
                for (pick = 0; !w->nodes[set[pick]].byz; pick++) {
                }
            e->changes[e->change_count++] = (struct sim_change){h, false, set[pick]};
            memmove(set + pick, set + pick + 1, (k - pick - 1) * sizeof *set);
            k--;
            h += (uint64_t)rng_range(&w->rng, 1, 3);
        }
        break;
    }
    case SIM_VS_REPLACE:
        /* Initial validator i gives way to node n + i: added in one block,
         * removed in the same block or one or two later. */
        for (uint32_t i = 0; i < n; i++) {
            e->changes[e->change_count++] = (struct sim_change){h, true, (uint32_t)n + i};
            h += (uint64_t)rng_range(&w->rng, 0, 2);
            e->changes[e->change_count++] = (struct sim_change){h, false, i};
            h += (uint64_t)rng_range(&w->rng, 1, 3);
        }
        break;
    default:
        break;
    }
    w->res->set_changes = e->change_count;
    for (size_t c = 0; c < e->change_count; c++)
        trace(w, "valset: block %llu %s n%u", (unsigned long long)e->changes[c].h,
              e->changes[c].add ? "adds" : "removes", e->changes[c].id);
}

/* Node processes for a run: the initial validators and those the
 * schedule adds. */
static size_t valset_nodes(const struct sim_config *cfg)
{
    switch (cfg->valset) {
    case SIM_VS_ADD:
        return cfg->n + 3;
    case SIM_VS_REPLACE:
        return 2 * cfg->n;
    default:
        return cfg->n;
    }
}

/* The end of a run: every honest node decided the target height (after
 * the faults), or, in an idle run, committed the burst. */
static bool all_reached(const struct sim_world *w)
{
    for (uint32_t i = 0; i < w->n; i++) {
        const struct sim_node *nd = &w->nodes[i];
        if (nd->byz) continue;
        if (!w->cfg.idle_run) {
            if (nd->chain.len < w->target_height) return false;
            continue;
        }
        for (size_t it = 0; it < SIM_IDLE_BURST; it++)
            if (nd->chain.states[it].count == 0) return false;
    }
    return true;
}

/* The longest honest chain (they agree where they overlap). */
static const struct sim_chain *longest_chain(const struct sim_world *w)
{
    const struct sim_chain *best = NULL;
    for (uint32_t i = 0; i < w->n; i++)
        if (!w->nodes[i].byz && (!best || w->nodes[i].chain.len > best->len))
            best = &w->nodes[i].chain;
    return best;
}

/* Idle run, once the burst is in: from two seconds after the faults until
 * the burst, blocks come only from the heartbeat (at most one per
 * SIM_HEARTBEAT_MS) and never much later than it (freshness); the burst
 * was committed everywhere within SIM_IDLE_LATENCY_MS. */
static void idle_checks(struct sim_world *w)
{
    const struct sim_chain *c = longest_chain(w);
    int64_t from = w->faults_end_at + 2000, to = w->idle_end;
    struct sim_result *r = w->res;
    r->idle_bound = (uint64_t)((to - from) / SIM_HEARTBEAT_MS) + 1;
    r->idle_latency_ms = w->now - w->idle_end;
    int64_t last = from;
    for (size_t i = 0; i < c->len; i++) {
        int64_t t = c->blocks[i].time_ms;
        if (t < from || t >= to) continue;
        r->idle_blocks++;
        if (t - last > r->idle_gap_ms) r->idle_gap_ms = t - last;
        last = t;
    }
    if (to - last > r->idle_gap_ms) r->idle_gap_ms = to - last;
    if (r->idle_blocks > r->idle_bound)
        fail(w, "idle-blocks", "%llu blocks in %lld ms of idle, at most %llu allowed "
             "(heartbeat %d ms)", (unsigned long long)r->idle_blocks, (long long)(to - from),
             (unsigned long long)r->idle_bound, SIM_HEARTBEAT_MS);
    else if (r->idle_gap_ms > SIM_HEARTBEAT_MS + SIM_HEARTBEAT_SLACK_MS)
        fail(w, "heartbeat", "%lld ms without a block while idle (heartbeat %d ms)",
             (long long)r->idle_gap_ms, SIM_HEARTBEAT_MS);
    else if (r->idle_latency_ms > SIM_IDLE_LATENCY_MS)
        fail(w, "idle-latency", "the burst took %lld ms to reach every honest chain, "
             "at most %d allowed", (long long)r->idle_latency_ms, SIM_IDLE_LATENCY_MS);
}

void sim_run(const struct sim_config *cfg, struct sim_result *res)
{
    memset(res, 0, sizeof *res);
    struct sim_world *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(res->failure, sizeof res->failure, "out of memory");
        snprintf(res->check, sizeof res->check, "internal");
        return;
    }
    w->cfg = *cfg;
    w->res = res;
    w->n_init = cfg->n;
    w->n = valset_nodes(cfg);
    w->f = wb_faulty(cfg->n);
    w->trace_hash = 0xcbf29ce484222325ull;
    rng_seed(&w->rng, cfg->seed);
    w->now = 1000;
    if (w->n > SIM_N_MAX || env_init(&w->env, &w->rng, w->n_init, w->n) != WB_OK ||
        checks_init(w) != 0) {
        fail(w, "internal", "could not set up the run");
        goto out;
    }
    /* Byzantine validators: f of the initial ones, chosen by the seed. */
    size_t byz = cfg->mix->byz ? w->f : 0;
    while (byz) {
        uint32_t id = (uint32_t)rng_below(&w->rng, w->n_init);
        if (w->nodes[id].byz) continue;
        w->nodes[id].byz = true;
        byz--;
    }
    for (uint32_t i = 0; i < w->n; i++) {
        struct sim_node *nd = &w->nodes[i];
        nd->id = i;
        nd->env = &w->env;
        nd->skew_ms = rng_range(&w->rng, 0, SIM_SKEW_MAX_MS);
        chain_init(&nd->chain);
        if (nd->byz && byz_init(w, nd) != 0) fail(w, "internal", "out of memory");
    }
    trace(w, "run seed=%llu n=%zu mix=%s bug=%d", (unsigned long long)cfg->seed, w->n_init,
          cfg->mix->name, (int)cfg->bug);
    if (cfg->valset) plan_valset(w);
    w->faults_on = true;
    w->drop_pm = cfg->mix->drop_pm;
    w->dup_pm = cfg->mix->dup_pm;
    w->spike_pm = cfg->mix->spike_pm;
    w->target_height = UINT64_MAX;
    plan_workload(w);
    schedule_faults(w);
    for (uint32_t i = 0; i < w->n && !w->failed; i++) node_boot(w, &w->nodes[i]);

    struct sim_ev e;
    uint64_t events = 0;
    while (!w->failed && queue_pop(&w->q, &e)) {
        w->now = e.at;
        handle(w, &e);
        buf_unref(e.buf);
        buf_unref(e.buf2);
        if (w->failed) break;
        if (!w->faults_on) {
            if (all_reached(w)) {
                if (w->cfg.idle_run) idle_checks(w);
                break;
            }
            if (w->now > w->deadline) {
                uint64_t low = UINT64_MAX;
                for (uint32_t i = 0; i < w->n; i++)
                    if (!w->nodes[i].byz && w->nodes[i].chain.len < low)
                        low = w->nodes[i].chain.len;
                if (cfg->idle_run)
                    fail(w, "liveness", "%lld ms after faults stopped the burst is not on "
                         "every honest chain (lowest height %llu)", (long long)cfg->liveness_ms,
                         (unsigned long long)low);
                else
                    fail(w, "liveness", "%lld ms after faults stopped an honest node is at "
                         "height %llu, below the target %llu", (long long)cfg->liveness_ms,
                         (unsigned long long)low, (unsigned long long)w->target_height);
                break;
            }
        }
        if (++events > EVENTS_MAX) {
            fail(w, "liveness", "more than %d events without finishing", EVENTS_MAX);
            break;
        }
    }
    if (!w->failed && !all_reached(w))
        fail(w, "liveness", "the event queue ran dry before every honest node reached "
             "height %llu", (unsigned long long)w->target_height);
    if (!w->failed) {
        const struct sim_chain *c = longest_chain(w);
        for (size_t i = 0; c && i < c->len; i++)
            if (c->blocks[i].event_count == 0) res->empty_blocks++;
    }
out:
    for (uint32_t i = 0; i < w->n; i++) {
        struct sim_node *nd = &w->nodes[i];
        if (!nd->byz && nd->chain.len > res->heights) res->heights = nd->chain.len;
        if (nd->core_live) {
            nd->sig_checks += cons_get_stats(&nd->core)->signatures_checked;
            nd->decisions += cons_get_stats(&nd->core)->decisions;
            nd->rejected_sig += cons_get_stats(&nd->core)->rejected_signature;
            cons_free(&nd->core);
        }
        if (!nd->byz) {
            res->sig_checks += nd->sig_checks;
            res->decisions += nd->decisions;
            res->rejected_signature += nd->rejected_sig;
        }
        chain_free(&nd->chain);
        byz_free(nd);
    }
    res->ok = !w->failed;
    res->trace_hash = w->trace_hash;
    res->sim_ms = w->now;
    queue_free(&w->q);
    checks_free(w);
    env_free(&w->env);
    free(w);
}
