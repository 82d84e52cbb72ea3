/* Helpers shared by the consensus unit tests: a validator set with
 * deterministic keys, signed votes and proposals, and stepping a core. */
#ifndef TESTS_UNIT_CONSENSUS_SUPPORT_H
#define TESTS_UNIT_CONSENSUS_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "consensus/cons.h"

#define TV_MAX 16

struct tv {
    size_t n;
    uint8_t chain[WB_CHAIN_ID_LEN];
    uint8_t pk[TV_MAX][WB_PUBKEY_LEN];
    uint8_t sk[TV_MAX][WB_SECKEY_LEN];
};

static inline void tv_init(struct tv *t, size_t n)
{
    memset(t, 0, sizeof *t);
    t->n = n;
    memset(t->chain, 0xc1, sizeof t->chain);
    for (size_t i = 0; i < n; i++) {
        uint8_t seed[32] = {0};
        seed[0] = (uint8_t)(i + 1);
        seed[1] = 0x5e;
        crypto_sign_seed_keypair(t->pk[i], t->sk[i], seed);
    }
}

static inline void tv_config(const struct tv *t, uint32_t self, struct cons_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->chain_id, t->chain, WB_CHAIN_ID_LEN);
    cfg->validator_count = t->n;
    cfg->validator_keys = (const uint8_t(*)[WB_PUBKEY_LEN])t->pk;
    cfg->self = self;
    if (self != CONS_NOT_VALIDATOR) memcpy(cfg->secret_key, t->sk[self], WB_SECKEY_LEN);
    cfg->timeout_propose_ms = 1000;
    cfg->timeout_propose_delta_ms = 500;
    cfg->timeout_prevote_ms = 1000;
    cfg->timeout_prevote_delta_ms = 500;
    cfg->timeout_precommit_ms = 1000;
    cfg->timeout_precommit_delta_ms = 500;
    cfg->block_bytes_max = 1 << 20;
}

/* A vote of validator v (signed with v's key for chain `chain`, or t->chain
 * when chain is NULL). hash NULL = nil. */
static inline struct cons_vote tv_vote_chain(const struct tv *t, const uint8_t *chain,
                                             uint8_t type, uint64_t h, uint32_t r,
                                             const uint8_t *hash, uint32_t v)
{
    struct cons_vote x;
    memset(&x, 0, sizeof x);
    x.type = type;
    x.height = h;
    x.round = r;
    x.nil = hash == NULL;
    if (hash) memcpy(x.hash, hash, WB_HASH_LEN);
    x.validator = v;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_vote(msg, chain ? chain : t->chain, type, h, r, hash);
    assert_int_equal(wb_sign(msg, len, t->sk[v % TV_MAX], x.signature), WB_OK);
    return x;
}

static inline struct cons_vote tv_vote(const struct tv *t, uint8_t type, uint64_t h, uint32_t r,
                                       const uint8_t *hash, uint32_t v)
{
    return tv_vote_chain(t, NULL, type, h, r, hash, v);
}

static inline struct cons_proposal tv_proposal(const struct tv *t, uint64_t h, uint32_t r,
                                               int32_t vr, const uint8_t hash[WB_HASH_LEN],
                                               const uint8_t *block, size_t len)
{
    struct cons_proposal p;
    memset(&p, 0, sizeof p);
    p.height = h;
    p.round = r;
    p.valid_round = vr;
    p.proposer = cons_proposer(t->n, h, r);
    memcpy(p.hash, hash, WB_HASH_LEN);
    p.block = block;
    p.block_len = len;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t mlen = wb_sigmsg_proposal(msg, t->chain, h, r, vr, hash);
    assert_int_equal(wb_sign(msg, mlen, t->sk[p.proposer], p.signature), WB_OK);
    return p;
}

static inline void tv_step(struct cons *c, struct cons_event *ev, struct cons_update *up)
{
    assert_int_equal(cons_step(c, ev, up), WB_OK);
}

static inline void tv_start(struct cons *c, struct cons_update *up)
{
    struct cons_event ev = {.kind = CONS_EV_START};
    tv_step(c, &ev, up);
}

static inline void tv_feed_vote(struct cons *c, const struct cons_vote *v, struct cons_update *up)
{
    struct cons_event ev = {.kind = CONS_EV_VOTE};
    ev.vote = *v;
    tv_step(c, &ev, up);
}

static inline void tv_feed_proposal(struct cons *c, const struct cons_proposal *p,
                                    struct cons_update *up)
{
    struct cons_event ev = {.kind = CONS_EV_PROPOSAL};
    ev.proposal = *p;
    tv_step(c, &ev, up);
}

static inline void tv_feed_valid(struct cons *c, uint64_t h, const uint8_t hash[WB_HASH_LEN],
                                 enum cons_validity result, struct cons_update *up)
{
    struct cons_event ev = {.kind = CONS_EV_BLOCK_VALIDATED};
    ev.validated.height = h;
    memcpy(ev.validated.hash, hash, WB_HASH_LEN);
    ev.validated.result = result;
    tv_step(c, &ev, up);
}

static inline void tv_feed_timeout(struct cons *c, uint64_t h, uint32_t r, uint8_t step,
                                   struct cons_update *up)
{
    struct cons_event ev = {.kind = CONS_EV_TIMEOUT};
    ev.timeout.height = h;
    ev.timeout.round = r;
    ev.timeout.step = step;
    tv_step(c, &ev, up);
}

/* The vote of `type` in the update's messages, or NULL. */
static inline const struct cons_vote *tv_sent_vote(const struct cons_update *up, uint8_t type)
{
    for (size_t i = 0; i < up->msg_count; i++)
        if (up->msgs[i].kind == CONS_MSG_VOTE && up->msgs[i].vote.type == type)
            return &up->msgs[i].vote;
    return NULL;
}

static inline const struct cons_proposal *tv_sent_proposal(const struct cons_update *up)
{
    for (size_t i = 0; i < up->msg_count; i++)
        if (up->msgs[i].kind == CONS_MSG_PROPOSAL) return &up->msgs[i].proposal;
    return NULL;
}

/* Brings core c (validator self, not the proposer of (h, 0)) to having
 * prevoted `hash` for a proposal of round 0 carrying `block`. */
static inline void tv_to_prevote(const struct tv *t, struct cons *c, uint64_t h,
                                 const uint8_t hash[WB_HASH_LEN], struct cons_update *up)
{
    static const uint8_t block[] = "opaque block bytes";
    struct cons_proposal p = tv_proposal(t, h, 0, -1, hash, block, sizeof block);
    tv_feed_proposal(c, &p, up);
    assert_int_equal(up->validate_count, 1);
    assert_memory_equal(up->validate[0].hash, hash, WB_HASH_LEN);
    tv_feed_valid(c, h, hash, CONS_BLOCK_VALID, up);
    const struct cons_vote *pv = tv_sent_vote(up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_false(pv->nil);
    assert_memory_equal(pv->hash, hash, WB_HASH_LEN);
}

#endif
