/* The simulator's safety checks, evaluated as things happen: agreement,
 * validity of certificates, persist-before-send, no honest equivocation,
 * no evidence against an honest validator. Liveness is checked by the run
 * loop (world.c). */
#include <stdlib.h>
#include <string.h>

#include "common/quorum.h"
#include "common/sigbytes.h"
#include "ledger/cert.h"
#include "tests/sim/sim.h"

int checks_init(struct sim_world *w)
{
    w->decided_cap = 256;
    w->decided = calloc(w->decided_cap, sizeof *w->decided);
    w->sign_cap = 4096;
    w->signs = calloc(w->sign_cap, sizeof *w->signs);
    w->certs_cap = 1024;
    w->certs_ok = calloc(w->certs_cap, sizeof *w->certs_ok);
    w->polka_cap = 1024;
    w->polkas = calloc(w->polka_cap, sizeof *w->polkas);
    return w->decided && w->signs && w->certs_ok && w->polkas ? 0 : -1;
}

void checks_free(struct sim_world *w)
{
    free(w->decided);
    free(w->signs);
    free(w->certs_ok);
    free(w->polkas);
}

static size_t polka_slot(const struct polka_entry *t, size_t cap, uint64_t h, uint32_t r,
                         const uint8_t hash[WB_HASH_LEN])
{
    uint64_t k = fnv1a(fnv1a(fnv1a(0xcbf29ce484222325ull, &h, sizeof h), &r, sizeof r), hash,
                       WB_HASH_LEN);
    size_t s = (size_t)k & (cap - 1);
    while (t[s].used && !(t[s].h == h && t[s].r == r && memcmp(t[s].hash, hash, WB_HASH_LEN) == 0))
        s = (s + 1) & (cap - 1);
    return s;
}

static uint32_t polka_mask(const struct sim_world *w, uint64_t h, uint32_t r,
                           const uint8_t hash[WB_HASH_LEN])
{
    size_t s = polka_slot(w->polkas, w->polka_cap, h, r, hash);
    return w->polkas[s].used ? w->polkas[s].mask : 0;
}

void check_note_sent(struct sim_world *w, const struct cons_msg *m)
{
    if (m->kind != CONS_MSG_VOTE || m->vote.type != CONS_PREVOTE || m->vote.nil) return;
    const struct cons_vote *v = &m->vote;
    if (2 * (w->polka_count + 1) > w->polka_cap) {
        size_t cap = 2 * w->polka_cap;
        struct polka_entry *t = calloc(cap, sizeof *t);
        if (!t) {
            fail(w, "internal", "out of memory");
            return;
        }
        for (size_t i = 0; i < w->polka_cap; i++)
            if (w->polkas[i].used)
                t[polka_slot(t, cap, w->polkas[i].h, w->polkas[i].r, w->polkas[i].hash)] =
                    w->polkas[i];
        free(w->polkas);
        w->polkas = t;
        w->polka_cap = cap;
    }
    size_t s = polka_slot(w->polkas, w->polka_cap, v->height, v->round, v->hash);
    struct polka_entry *e = &w->polkas[s];
    if (!e->used) {
        e->used = true;
        e->h = v->height;
        e->r = v->round;
        memcpy(e->hash, v->hash, WB_HASH_LEN);
        w->polka_count++;
    }
    /* By node: the index is of the vote's height's set. */
    uint32_t id = env_member(&w->env, v->height, v->validator);
    if (id != UINT32_MAX) e->mask |= 1u << id;
}

/* The lock: an honest node that precommitted x at round lr prevotes another
 * block y at a later round r only if q validators did prevote y at some
 * round in [lr, r) (whoever they sent it to). */
static void check_lock(struct sim_world *w, struct sim_node *nd, const struct cons_vote *v)
{
    if (v->type == CONS_PRECOMMIT) {
        if (!v->nil && (v->height != nd->lock_h || v->round >= nd->lock_r)) {
            nd->lock_h = v->height;
            nd->lock_r = v->round;
            memcpy(nd->lock_hash, v->hash, WB_HASH_LEN);
        }
        return;
    }
    if (w->cfg.no_lock_check) return;
    if (v->nil || nd->lock_h != v->height || v->round <= nd->lock_r ||
        memcmp(nd->lock_hash, v->hash, WB_HASH_LEN) == 0)
        return;
    uint32_t ids[SIM_N_MAX];
    size_t q = wb_quorum(env_set(&w->env, v->height, ids));
    for (uint32_t k = nd->lock_r; k < v->round; k++)
        if ((size_t)__builtin_popcount(polka_mask(w, v->height, k, v->hash)) >= q) return;
    fail(w, "lock", "honest node %u locked on %02x%02x... at (h=%llu, r=%u) prevotes %02x%02x... "
         "at round %u with no polka for it since", nd->id, nd->lock_hash[0], nd->lock_hash[1],
         (unsigned long long)v->height, nd->lock_r, v->hash[0], v->hash[1], v->round);
}

static const uint8_t zero_hash[WB_HASH_LEN];

void check_agreement(struct sim_world *w, const struct sim_node *nd, uint64_t height,
                     const uint8_t hash[WB_HASH_LEN])
{
    if (nd->byz) return;
    while (height >= w->decided_cap) {
        size_t cap = 2 * w->decided_cap;
        uint8_t(*d)[WB_HASH_LEN] = realloc(w->decided, cap * sizeof *d);
        if (!d) {
            fail(w, "internal", "out of memory");
            return;
        }
        memset(d + w->decided_cap, 0, (cap - w->decided_cap) * sizeof *d);
        w->decided = d;
        w->decided_cap = cap;
    }
    if (memcmp(w->decided[height], zero_hash, WB_HASH_LEN) == 0) {
        memcpy(w->decided[height], hash, WB_HASH_LEN);
        return;
    }
    if (memcmp(w->decided[height], hash, WB_HASH_LEN) != 0)
        fail(w, "agreement", "node %u decided %02x%02x%02x%02x... at height %llu, another "
             "honest node decided %02x%02x%02x%02x...",
             nd->id, hash[0], hash[1], hash[2], hash[3], (unsigned long long)height,
             w->decided[height][0], w->decided[height][1], w->decided[height][2],
             w->decided[height][3]);
}

void check_cert(struct sim_world *w, const struct sim_node *nd, uint64_t height,
                const uint8_t hash[WB_HASH_LEN], const uint8_t *cert, size_t cert_len)
{
    uint64_t key = fnv1a(fnv1a(0xcbf29ce484222325ull, &height, sizeof height), cert, cert_len);
    key = fnv1a(key, hash, WB_HASH_LEN);
    for (size_t i = 0; i < w->certs_count; i++)
        if (w->certs_ok[i] == key) return;
    char msg[256];
    /* Against the set of its height. */
    uint8_t keys[SIM_N_MAX][WB_PUBKEY_LEN];
    size_t n = env_keys(&w->env, height, keys);
    if (ledger_cert_verify_set_bytes(w->env.g->chain_id, (const uint8_t(*)[WB_PUBKEY_LEN])keys, n,
                                     cert, cert_len, height, hash, msg, sizeof msg) != 0) {
        fail(w, "validity", "node %u decided height %llu with a certificate that does not "
             "verify: %s", nd->id, (unsigned long long)height, msg);
        return;
    }
    if (w->certs_count == w->certs_cap) w->certs_count = 0; /* a cache, not a record */
    w->certs_ok[w->certs_count++] = key;
}

static int sign_bytes(const struct sim_world *w, const struct cons_msg *m, uint8_t *out,
                      size_t *len, uint64_t *h, uint32_t *r, uint8_t *step, uint32_t *signer)
{
    const uint8_t *chain = w->env.g->chain_id;
    if (m->kind == CONS_MSG_VOTE) {
        const struct cons_vote *v = &m->vote;
        *len = wb_sigmsg_vote(out, chain, v->type, v->height, v->round, v->nil ? NULL : v->hash);
        *h = v->height;
        *r = v->round;
        *step = v->type == CONS_PREVOTE ? CONS_STEP_PREVOTE : CONS_STEP_PRECOMMIT;
        *signer = v->validator;
        return 0;
    }
    const struct cons_proposal *p = &m->proposal;
    *len = wb_sigmsg_proposal(out, chain, p->height, p->round, p->valid_round, p->hash);
    *h = p->height;
    *r = p->round;
    *step = CONS_STEP_PROPOSE;
    *signer = p->proposer;
    return 0;
}

static int hrs_cmp(uint64_t h1, uint32_t r1, uint8_t s1, uint64_t h2, uint32_t r2, uint8_t s2)
{
    if (h1 != h2) return h1 < h2 ? -1 : 1;
    if (r1 != r2) return r1 < r2 ? -1 : 1;
    if (s1 != s2) return s1 < s2 ? -1 : 1;
    return 0;
}

static int sign_table_grow(struct sim_world *w)
{
    size_t cap = 2 * w->sign_cap;
    struct sign_entry *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < w->sign_cap; i++) {
        if (!w->signs[i].key) continue;
        size_t s = (size_t)(w->signs[i].key * 0x9e3779b97f4a7c15ull) & (cap - 1);
        while (t[s].key) s = (s + 1) & (cap - 1);
        t[s] = w->signs[i];
    }
    free(w->signs);
    w->signs = t;
    w->sign_cap = cap;
    return 0;
}

void check_send(struct sim_world *w, struct sim_node *nd, const struct cons_msg *m)
{
    if (nd->byz) return;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len;
    uint64_t h;
    uint32_t r, signer;
    uint8_t step;
    sign_bytes(w, m, msg, &len, &h, &r, &step, &signer);
    /* The signer as a node: the index is of the message's height's set. */
    signer = env_member(&w->env, h, signer);
    /* Others' messages relayed (a proof of lock, the current round): not
     * this node's signature, but validly signed, though the core keeps some
     * votes unchecked until a count needs them. */
    if (signer != nd->id) {
        const uint8_t *sig = m->kind == CONS_MSG_VOTE ? m->vote.signature : m->proposal.signature;
        if (signer >= w->n || wb_verify(msg, len, w->env.val_pk[signer], sig) != WB_OK)
            fail(w, "relay-signed", "honest node %u passes on a message of %u at (h=%llu, "
                 "r=%u, step=%u) whose signature does not verify",
                 nd->id, signer, (unsigned long long)h, r, step);
        return;
    }
    /* Persist before send: a crash now must restore a record that makes
     * the node refuse anything else at this (h, r, step). */
    /* A durable record that reserves round 0 of height h covers its
     * proposal and prevote (docs/consensus.md, "One flush per height"). */
    bool reserved = nd->has_record && nd->durable.reserve_height == h && r == 0 &&
                    step <= CONS_STEP_PREVOTE;
    if (!w->cfg.no_record_check && !reserved &&
        (!nd->has_record || hrs_cmp(h, r, step, nd->durable.height, nd->durable.round,
                                    nd->durable.step) > 0))
        fail(w, "persist-before-send",
             "node %u sends a message signed at (h=%llu, r=%u, step=%u) while its durable "
             "record is at (h=%llu, r=%u, step=%u)",
             nd->id, (unsigned long long)h, r, step,
             (unsigned long long)(nd->has_record ? nd->durable.height : 0),
             nd->has_record ? nd->durable.round : 0, nd->has_record ? nd->durable.step : 0);
    /* Never two different signed messages for one (h, r, step), across
     * crashes and restarts. */
    uint64_t key = fnv1a(0xcbf29ce484222325ull, &h, sizeof h);
    key = fnv1a(key, &r, sizeof r);
    key = fnv1a(key, &step, 1);
    key = fnv1a(key, &signer, sizeof signer) | 1;
    uint64_t digest = fnv1a(0xcbf29ce484222325ull, msg, len);
    if (2 * (w->sign_count + 1) > w->sign_cap && sign_table_grow(w) != 0) {
        fail(w, "internal", "out of memory");
        return;
    }
    size_t s = (size_t)(key * 0x9e3779b97f4a7c15ull) & (w->sign_cap - 1);
    while (w->signs[s].key && w->signs[s].key != key) s = (s + 1) & (w->sign_cap - 1);
    if (!w->signs[s].key) {
        w->signs[s].key = key;
        w->signs[s].digest = digest;
        w->sign_count++;
        if (m->kind == CONS_MSG_VOTE) check_lock(w, nd, &m->vote);
        return;
    }
    if (w->signs[s].digest != digest) {
        fail(w, "no-equivocation",
             "honest node %u signed two different messages at (h=%llu, r=%u, step=%u)", nd->id,
             (unsigned long long)h, r, step);
        return;
    }
    if (m->kind == CONS_MSG_VOTE) check_lock(w, nd, &m->vote);
}

void check_evidence(struct sim_world *w, const struct sim_node *nd,
                    const struct cons_evidence *e)
{
    uint32_t v = env_member(&w->env, e->a.height, e->a.validator);
    if (v >= w->n || e->b.validator != e->a.validator || e->b.height != e->a.height) {
        fail(w, "evidence", "node %u reported evidence naming validators %u and %u", nd->id,
             e->a.validator, e->b.validator);
        return;
    }
    if (is_honest(w, v)) {
        fail(w, "evidence", "node %u holds evidence that honest validator %u equivocated at "
             "(h=%llu, r=%u, type=%u)", nd->id, v, (unsigned long long)e->a.height,
             e->a.round, e->a.type);
        return;
    }
    w->res->evidence++;
}

/* Quiet when idle: a core waits at round 0 until its mempool holds events,
 * its heartbeat is due (the previous block's time + SIM_HEARTBEAT_MS on its
 * clock) or a message says another node woke up. So an empty block made
 * sooner than a heartbeat (less the largest clock skew: the first node
 * whose heartbeat came due may wake the others) is a bug, unless an event
 * submitted by the block's time was still waiting for a block (a builder
 * woken by someone else's work may not hold that event yet). */
void check_quiet(struct sim_world *w, const struct sim_node *nd)
{
    if (nd->byz || nd->chain.len == 0) return;
    const struct sim_chain *c = &nd->chain;
    const struct sim_block *b = &c->blocks[c->len - 1];
    if (b->event_count) return;
    int64_t prev = c->len >= 2 ? c->blocks[c->len - 2].time_ms : w->env.g->genesis_time_ms;
    if (b->time_ms >= prev + SIM_HEARTBEAT_MS - SIM_SKEW_MAX_MS) return;
    /* The block is empty, so the item states are those before it. */
    for (size_t i = 0; i < SIM_ITEMS; i++) {
        size_t next = c->states[i].count;
        if (next < SIM_EVENTS_PER_ITEM && w->release_at[i][next] <= b->time_ms) return;
    }
    fail(w, "quiet", "node %u appended empty block %zu at time %lld, %lld ms after the one "
         "before it (heartbeat %d ms), with no event waiting", nd->id, c->len,
         (long long)b->time_ms, (long long)(b->time_ms - prev), SIM_HEARTBEAT_MS);
}
