/* Byzantine validators. Each runs a real core to follow heights and rounds,
 * but what it sends is chosen here: different proposals to different peers,
 * conflicting or withheld votes, votes for whatever it is shown (invalid
 * blocks included), fresh blocks instead of the valid value, proposals whose
 * bytes do not match their hash, and replays of old messages. It signs with
 * its own key directly, outside any signing rule. It also forges votes it
 * holds no key for: copies of the votes it receives, under the signer's
 * index, with the same value or another one and a broken signature, and
 * copies of its own votes with a broken signature (the core checks only the
 * signatures a count needs: a forgery must never count, block the real
 * vote, make evidence or enter a certificate). */
#include <stdlib.h>
#include <string.h>

#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "tests/sim/sim.h"

#define KNOWN_MAX 4

struct byz_state {
    struct sim_buf *ring[SIM_REPLAY_RING];
    size_t ring_n, ring_pos;
    /* per-seed temperament, per mille */
    uint32_t p_split_proposal, p_invalid, p_bad_hash, p_fresh, p_conflict, p_withhold,
        p_vote_any, p_fork, p_forge;
    /* A fork attempt at (fork_h, fork_r): its proposal goes to the peers in
     * fork_mask only (another block to the rest), its prevote for it too, and
     * its precommit for it to fork_victim alone, so that one honest node may
     * decide while the others move on to a round it can propose in. */
    uint64_t fork_h;
    uint32_t fork_r;
    uint8_t fork_hash[WB_HASH_LEN];
    uint32_t fork_mask, fork_victim;
    /* block hashes seen at the current height of the core */
    uint64_t known_h;
    uint8_t known[KNOWN_MAX][WB_HASH_LEN];
    size_t known_n;
};

int byz_init(struct sim_world *w, struct sim_node *nd)
{
    struct byz_state *b = calloc(1, sizeof *b);
    if (!b) return -1;
    struct sim_rng *r = &w->rng;
    b->p_split_proposal = (uint32_t)rng_range(r, 0, 700);
    b->p_invalid = (uint32_t)rng_range(r, 0, 300);
    b->p_bad_hash = (uint32_t)rng_range(r, 0, 150);
    b->p_fresh = (uint32_t)rng_range(r, 200, 1000);
    b->p_conflict = (uint32_t)rng_range(r, 0, 800);
    b->p_withhold = (uint32_t)rng_range(r, 0, 500);
    b->p_vote_any = (uint32_t)rng_range(r, 0, 800);
    b->p_fork = (uint32_t)rng_range(r, 0, 1000);
    b->p_forge = (uint32_t)rng_range(r, 0, 700);
    nd->bz = b;
    return 0;
}

void byz_free(struct sim_node *nd)
{
    struct byz_state *b = nd->bz;
    if (!b) return;
    for (size_t i = 0; i < b->ring_n; i++) buf_unref(b->ring[i]);
    free(b);
    nd->bz = NULL;
}

static void remember(struct byz_state *b, uint64_t h, const uint8_t hash[WB_HASH_LEN])
{
    if (b->known_h != h) {
        b->known_h = h;
        b->known_n = 0;
    }
    for (size_t i = 0; i < b->known_n; i++)
        if (memcmp(b->known[i], hash, WB_HASH_LEN) == 0) return;
    if (b->known_n < KNOWN_MAX)
        memcpy(b->known[b->known_n++], hash, WB_HASH_LEN);
    else
        memcpy(b->known[KNOWN_MAX - 1], hash, WB_HASH_LEN);
}

/* Its validator index at height h (its node id when it is none there: such
 * messages are refused as they should be). */
static uint32_t own_index(const struct sim_world *w, const struct sim_node *nd, uint64_t h)
{
    uint32_t i = env_index(&w->env, h, nd->id);
    return i == CONS_NOT_VALIDATOR ? nd->id : i;
}

static void sign_vote(struct sim_world *w, struct sim_node *nd, struct cons_vote *v)
{
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_vote(msg, w->env.g->chain_id, v->type, v->height, v->round,
                                v->nil ? NULL : v->hash);
    v->validator = own_index(w, nd, v->height);
    if (wb_sign(msg, len, w->env.val_sk[nd->id], v->signature) != WB_OK)
        fail(w, "internal", "byzantine signing failed");
}

static void sign_proposal(struct sim_world *w, struct sim_node *nd, struct cons_proposal *p)
{
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_proposal(msg, w->env.g->chain_id, p->height, p->round,
                                    p->valid_round, p->hash);
    p->proposer = own_index(w, nd, p->height);
    if (wb_sign(msg, len, w->env.val_sk[nd->id], p->signature) != WB_OK)
        fail(w, "internal", "byzantine signing failed");
}

static void send_vote_to(struct sim_world *w, struct sim_node *nd, uint32_t to, uint8_t type,
                         uint64_t h, uint32_t r, const uint8_t *hash)
{
    struct cons_msg m = {.kind = CONS_MSG_VOTE};
    m.vote.type = type;
    m.vote.height = h;
    m.vote.round = r;
    m.vote.nil = hash == NULL;
    if (hash) memcpy(m.vote.hash, hash, WB_HASH_LEN);
    sign_vote(w, nd, &m.vote);
    net_send_msg(w, nd->id, to, &m);
}

/* The honest block this node would build, with one bit of its header's
 * item-state root flipped: valid in every other way. */
static int build_bad_root(struct sim_world *w, struct sim_node *nd, uint8_t **out, size_t *len,
                          uint8_t hash[WB_HASH_LEN])
{
    uint8_t *honest;
    size_t honest_len;
    uint8_t honest_hash[WB_HASH_LEN];
    int rc = chain_build(&nd->chain, &w->env, NULL, w->now,
                         own_index(w, nd, nd->chain.len + 1), w->now, 0, &honest,
                         &honest_len, honest_hash);
    if (rc) return rc;
    struct ledger_block b;
    rc = ledger_block_decode(honest, honest_len, &b);
    free(honest);
    if (rc) return rc;
    b.header.state_root[0] ^= 0x01;
    rc = chain_build_state(&w->env, b.header.height, b.header.prev_hash, b.header.time_ms,
                           b.header.proposer, b.events, b.lens, b.event_count,
                           b.header.state_root, b.header.item_count, out, len, hash);
    ledger_block_free(&b);
    return rc;
}

/* An invalid block for height h: a forged event signature, a time far
 * ahead of every clock, a skipped event (its successor's prev does not
 * match), a wrong previous hash, or (on a version 2 chain) a wrong
 * item-state root. */
static int build_invalid(struct sim_world *w, struct sim_node *nd, uint64_t h, uint8_t **out,
                         size_t *len, uint8_t hash[WB_HASH_LEN])
{
    const struct sim_chain *c = &nd->chain;
    uint8_t prev[WB_HASH_LEN];
    int64_t prev_time;
    chain_tip(c, &w->env, prev, &prev_time);
    int64_t t = w->now > prev_time ? w->now : prev_time + 1;
    size_t item = (size_t)rng_below(&w->rng, SIM_ITEMS);
    size_t next = c->states[item].count;
    const uint8_t *evs[1];
    size_t lens[1];
    uint8_t forged[WB_SIGNED_EVENT_MAX];
    int variant = (int)rng_below(&w->rng, 5);
    if (variant == 4) {
        if (w->env.g->header_version == WB_BLOCK_VERSION_STATE)
            return build_bad_root(w, nd, out, len, hash);
        variant = 3;
    }
    if (next + 1 >= SIM_EVENTS_PER_ITEM) variant = variant == 2 ? 1 : variant;
    size_t k = next < SIM_EVENTS_PER_ITEM ? next : SIM_EVENTS_PER_ITEM - 1;
    evs[0] = w->env.events[item][k].bytes;
    lens[0] = w->env.events[item][k].len;
    switch (variant) {
    case 0: /* the event's signature is its last 64 bytes: flip one */
        memcpy(forged, evs[0], lens[0]);
        forged[lens[0] - 1] ^= 0x40;
        evs[0] = forged;
        break;
    case 1:
        t += 60000;
        break;
    case 2:
        evs[0] = w->env.events[item][next + 1].bytes;
        lens[0] = w->env.events[item][next + 1].len;
        break;
    default:
        prev[0] ^= 0xff;
        break;
    }
    return chain_build_raw(&w->env, h, prev, t, own_index(w, nd, h), evs, lens, 1, out, len,
                           hash);
}

/* A second valid block for height h, different from the honest choice. */
static int build_alt(struct sim_world *w, struct sim_node *nd, uint8_t **out, size_t *len,
                     uint8_t hash[WB_HASH_LEN])
{
    return chain_build(&nd->chain, &w->env, node_known(w, nd), w->now,
                       own_index(w, nd, nd->chain.len + 1), w->now + 1 + (int64_t)rng_below(&w->rng, 5), 1 + rng_below(&w->rng, 3),
                       out, len, hash);
}

static void send_proposal_to(struct sim_world *w, struct sim_node *nd, uint32_t to,
                             const struct cons_proposal *base, const uint8_t hash[WB_HASH_LEN],
                             const uint8_t *block, size_t len, int32_t vr)
{
    struct cons_msg m = {.kind = CONS_MSG_PROPOSAL};
    m.proposal = *base;
    m.proposal.valid_round = vr;
    memcpy(m.proposal.hash, hash, WB_HASH_LEN);
    m.proposal.block = block;
    m.proposal.block_len = len;
    sign_proposal(w, nd, &m.proposal);
    net_send_msg(w, nd->id, to, &m);
}

static void outgoing_proposal(struct sim_world *w, struct sim_node *nd,
                              const struct cons_proposal *p)
{
    struct byz_state *b = nd->bz;
    struct sim_rng *r = &w->rng;
    uint8_t *alt = NULL, *bad = NULL;
    size_t alt_len = 0, bad_len = 0;
    uint8_t alt_hash[WB_HASH_LEN], bad_hash[WB_HASH_LEN];
    bool fresh = p->valid_round >= 0 && rng_pm(r, b->p_fresh);
    bool split = rng_pm(r, b->p_split_proposal);
    if ((fresh || split) && build_alt(w, nd, &alt, &alt_len, alt_hash) != WB_OK) alt = NULL;
    if (rng_pm(r, b->p_invalid) && build_invalid(w, nd, p->height, &bad, &bad_len, bad_hash) != WB_OK)
        bad = NULL;
    bool bad_bytes = rng_pm(r, b->p_bad_hash) && alt;
    bool fork = alt && !bad && !fresh && rng_pm(r, b->p_fork);
    if (fork) {
        /* Its proposal to a random set of peers that leaves at least one
         * honest node out, the other block to the rest. */
        b->fork_h = p->height;
        b->fork_r = p->round;
        memcpy(b->fork_hash, p->hash, WB_HASH_LEN);
        do b->fork_mask = (uint32_t)rng_below(r, 1u << w->n) & ~(1u << nd->id);
        while (__builtin_popcount(b->fork_mask) < 2 ||
               __builtin_popcount(b->fork_mask) > (int)(w->n - 2));
        do b->fork_victim = (uint32_t)rng_below(r, w->n);
        while (!(b->fork_mask >> b->fork_victim & 1));
    }
    for (uint32_t to = 0; to < w->n; to++) {
        if (to == nd->id) continue;
        if (fork) {
            if (b->fork_mask >> to & 1) {
                struct cons_msg m = {.kind = CONS_MSG_PROPOSAL, .proposal = *p};
                net_send_msg(w, nd->id, to, &m);
            } else {
                send_proposal_to(w, nd, to, p, alt_hash, alt, alt_len, p->valid_round);
            }
        } else if (bad) {
            /* An invalid block, and votes for it. */
            send_proposal_to(w, nd, to, p, bad_hash, bad, bad_len, -1);
            send_vote_to(w, nd, to, CONS_PREVOTE, p->height, p->round, bad_hash);
            send_vote_to(w, nd, to, CONS_PRECOMMIT, p->height, p->round, bad_hash);
        } else if (fresh && alt) {
            /* A fresh block with no valid round, ignoring the polka. */
            send_proposal_to(w, nd, to, p, alt_hash, alt, alt_len, -1);
        } else if (bad_bytes && rng_pm(r, 500)) {
            /* The honest hash with other bytes. */
            send_proposal_to(w, nd, to, p, p->hash, alt, alt_len, p->valid_round);
        } else if (split && alt && rng_pm(r, 500)) {
            send_proposal_to(w, nd, to, p, alt_hash, alt, alt_len, p->valid_round);
        } else {
            struct cons_msg m = {.kind = CONS_MSG_PROPOSAL, .proposal = *p};
            net_send_msg(w, nd->id, to, &m);
        }
    }
    if (alt) remember(b, p->height, alt_hash);
    remember(b, p->height, p->hash);
    free(alt);
    free(bad);
}

/* A forgery of v (signed by another) to peer `to`: v's value or another
 * (nil, or a block of this height), one bit of the signature flipped. */
static void send_forged_to(struct sim_world *w, struct sim_node *nd, uint32_t to,
                           const struct cons_vote *v)
{
    struct byz_state *b = nd->bz;
    struct sim_rng *r = &w->rng;
    struct cons_msg m = {.kind = CONS_MSG_VOTE, .vote = *v};
    uint64_t pick = rng_below(r, 3);
    if (pick == 1) {
        m.vote.nil = !v->nil;
        if (!v->nil)
            memset(m.vote.hash, 0, WB_HASH_LEN);
        else if (b->known_h == v->height && b->known_n)
            memcpy(m.vote.hash, b->known[rng_below(r, b->known_n)], WB_HASH_LEN);
        else
            memset(m.vote.hash, 0x5a, WB_HASH_LEN);
    } else if (pick == 2 && b->known_h == v->height && b->known_n) {
        m.vote.nil = false;
        memcpy(m.vote.hash, b->known[rng_below(r, b->known_n)], WB_HASH_LEN);
    }
    m.vote.signature[rng_below(r, WB_SIG_LEN)] ^= (uint8_t)(1u << rng_below(r, 8));
    w->res->forged++;
    net_send_msg(w, nd->id, to, &m);
}

static void outgoing_vote(struct sim_world *w, struct sim_node *nd, const struct cons_vote *v)
{
    struct byz_state *b = nd->bz;
    struct sim_rng *r = &w->rng;
    if (rng_pm(r, b->p_forge))
        for (uint32_t to = 0; to < w->n; to++)
            if (to != nd->id) send_forged_to(w, nd, to, v);
    if (b->fork_h == v->height && b->fork_r == v->round && b->fork_mask) {
        for (uint32_t to = 0; to < w->n; to++) {
            if (to == nd->id) continue;
            bool gets = v->type == CONS_PREVOTE ? (b->fork_mask >> to & 1) : to == b->fork_victim;
            send_vote_to(w, nd, to, v->type, v->height, v->round, gets ? b->fork_hash : NULL);
        }
        return;
    }
    bool conflict = rng_pm(r, b->p_conflict);
    for (uint32_t to = 0; to < w->n; to++) {
        if (to == nd->id) continue;
        if (rng_pm(r, b->p_withhold)) continue;
        if (!conflict) {
            struct cons_msg m = {.kind = CONS_MSG_VOTE, .vote = *v};
            net_send_msg(w, nd->id, to, &m);
            continue;
        }
        /* Each peer gets the real vote, nil, or another block of this height. */
        uint64_t pick = rng_below(r, 3);
        const uint8_t *hash = v->nil ? NULL : v->hash;
        if (pick == 1) hash = NULL;
        if (pick == 2 && b->known_h == v->height && b->known_n)
            hash = b->known[rng_below(r, b->known_n)];
        send_vote_to(w, nd, to, v->type, v->height, v->round, hash);
    }
}

void byz_outgoing(struct sim_world *w, struct sim_node *nd, const struct cons_msg *m)
{
    uint32_t signer = m->kind == CONS_MSG_PROPOSAL ? m->proposal.proposer : m->vote.validator;
    uint64_t h = m->kind == CONS_MSG_PROPOSAL ? m->proposal.height : m->vote.height;
    if (env_member(&w->env, h, signer) != nd->id) {
        /* Others' messages its core would relay: withheld or passed on. */
        if (!rng_pm(&w->rng, nd->bz->p_withhold))
            for (uint32_t to = 0; to < w->n; to++) net_send_msg(w, nd->id, to, m);
        return;
    }
    if (m->kind == CONS_MSG_PROPOSAL)
        outgoing_proposal(w, nd, &m->proposal);
    else
        outgoing_vote(w, nd, &m->vote);
}

void byz_incoming(struct sim_world *w, struct sim_node *nd, struct sim_buf *buf,
                  const struct cons_msg *m)
{
    struct byz_state *b = nd->bz;
    if (b->ring_n < SIM_REPLAY_RING) {
        b->ring[b->ring_n++] = buf_ref(buf);
    } else {
        buf_unref(b->ring[b->ring_pos]);
        b->ring[b->ring_pos] = buf_ref(buf);
        b->ring_pos = (b->ring_pos + 1) % SIM_REPLAY_RING;
    }
    if (m->kind == CONS_MSG_VOTE) {
        /* Race the signer's own copies with forged ones. */
        const struct cons_vote *v = &m->vote;
        uint32_t signer = env_member(&w->env, v->height, v->validator);
        if (signer == nd->id || v->height != cons_height(&nd->core) ||
            !rng_pm(&w->rng, b->p_forge))
            return;
        for (uint32_t to = 0; to < w->n; to++)
            if (to != nd->id && to != signer) send_forged_to(w, nd, to, v);
        return;
    }
    if (m->kind != CONS_MSG_PROPOSAL) return;
    const struct cons_proposal *p = &m->proposal;
    remember(b, p->height, p->hash);
    /* Vote for whatever is proposed, valid or not, locked or not. */
    if (p->height == cons_height(&nd->core) && rng_pm(&w->rng, b->p_vote_any)) {
        for (uint32_t to = 0; to < w->n; to++) {
            if (to == nd->id || rng_pm(&w->rng, b->p_withhold)) continue;
            send_vote_to(w, nd, to, CONS_PREVOTE, p->height, p->round, p->hash);
            send_vote_to(w, nd, to, CONS_PRECOMMIT, p->height, p->round, p->hash);
        }
    }
}

void byz_replay(struct sim_world *w, struct sim_node *nd)
{
    struct byz_state *b = nd->bz;
    if (!b->ring_n) return;
    struct sim_buf *old = b->ring[rng_below(&w->rng, b->ring_n)];
    uint32_t to = (uint32_t)rng_below(&w->rng, w->n);
    if (to != nd->id) net_send(w, nd->id, to, SIM_MSG_CONS, old, NULL, 0);
}
