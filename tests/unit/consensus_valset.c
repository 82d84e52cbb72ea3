/* Unit tests of the validator set per height (consensus/valset.c): a core
 * whose set changes from A = {k0, k1, k2, k3} to B = {k1, k2, k3, k4} at
 * height CHANGE (k0 leaves, k4 joins, the others move down one index).
 * Votes of the old set are refused at the new height and those of the new
 * one counted, the own index follows the set (a core stops or starts being
 * a validator), the decision's certificate carries indices of its height's
 * set, next-height messages wait unchecked while the next set is unknown,
 * and a height whose set is unknown waits. */
#include "tests/unit/consensus_support.h"

#define CHANGE 3

struct vs {
    struct tv t;              /* keys k0..k4 */
    uint64_t known_upto;      /* sets of heights above this are unknown */
    uint32_t a[4], b[4];      /* key numbers of the sets, by index */
    uint8_t keys[4][WB_PUBKEY_LEN];
    unsigned calls;
};

static const uint32_t *set_of(const struct vs *s, uint64_t h) { return h < CHANGE ? s->a : s->b; }

static int valset_cb(void *ctx, uint64_t h, struct cons_valset *out)
{
    struct vs *s = ctx;
    s->calls++;
    if (h > s->known_upto) return WB_ERR_NOT_FOUND;
    const uint32_t *set = set_of(s, h);
    for (int i = 0; i < 4; i++) memcpy(s->keys[i], s->t.pk[set[i]], WB_PUBKEY_LEN);
    out->n = 4;
    out->keys = (const uint8_t(*)[WB_PUBKEY_LEN])s->keys;
    return WB_OK;
}

static void vs_init(struct vs *s)
{
    memset(s, 0, sizeof *s);
    tv_init(&s->t, 5);
    s->known_upto = UINT64_MAX;
    for (uint32_t i = 0; i < 4; i++) {
        s->a[i] = i;
        s->b[i] = i + 1;
    }
}

/* A core of key `key` from height `next`. */
static int vs_core(struct vs *s, uint32_t key, uint64_t next, struct cons *c)
{
    struct cons_config cfg;
    tv_config(&s->t, 0, &cfg);
    cfg.validator_count = 0;
    cfg.validator_keys = NULL;
    cfg.self = 0;
    memcpy(cfg.secret_key, s->t.sk[key], WB_SECKEY_LEN);
    cfg.valset = valset_cb;
    cfg.valset_ctx = s;
    cfg.valset_max = 8;
    return cons_init(c, &cfg, next, NULL);
}

/* A vote signed by key `key` under validator index `idx`. */
static struct cons_vote vs_vote(const struct vs *s, uint8_t type, uint64_t h, uint32_t r,
                                const uint8_t *hash, uint32_t key, uint32_t idx)
{
    struct cons_vote v = tv_vote(&s->t, type, h, r, hash, key);
    v.validator = idx;
    return v;
}

/* The proposal of (h, 0) by the proposer of h's set. */
static struct cons_proposal vs_proposal(const struct vs *s, uint64_t h,
                                        const uint8_t hash[WB_HASH_LEN], const uint8_t *block,
                                        size_t len)
{
    struct cons_proposal p;
    memset(&p, 0, sizeof p);
    p.height = h;
    p.valid_round = -1;
    p.proposer = cons_proposer(4, h, 0);
    memcpy(p.hash, hash, WB_HASH_LEN);
    p.block = block;
    p.block_len = len;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t mlen = wb_sigmsg_proposal(msg, s->t.chain, h, 0, -1, hash);
    assert_int_equal(wb_sign(msg, mlen, s->t.sk[set_of(s, h)[p.proposer]], p.signature), WB_OK);
    return p;
}

static const uint8_t block_bytes[] = "a block";

/* Decides height h (round 0, block hash filled with h) with the proposal
 * and the precommits of three members of h's set other than key `own`;
 * *up is the update that carries the decision. */
static void vs_decide(struct vs *s, struct cons *c, uint32_t own, uint64_t h,
                      struct cons_update *up)
{
    uint8_t hash[WB_HASH_LEN];
    memset(hash, (int)h, sizeof hash);
    struct cons_proposal p = vs_proposal(s, h, hash, block_bytes, sizeof block_bytes);
    tv_feed_proposal(c, &p, up);
    tv_feed_valid(c, h, hash, CONS_BLOCK_VALID, up);
    const uint32_t *set = set_of(s, h);
    for (uint32_t i = 0, fed = 0; i < 4 && fed < 3 && cons_height(c) == h; i++) {
        if (set[i] == own) continue;
        struct cons_vote v = vs_vote(s, CONS_PRECOMMIT, h, 0, hash, set[i], i);
        tv_feed_vote(c, &v, up);
        fed++;
    }
    assert_int_equal(cons_height(c), h + 1);
    assert_non_null(up->decision);
    assert_int_equal(up->decision->height, h);
}

/* The own vote of `type` in up, or NULL. */
static const struct cons_vote *own_vote(const struct cons_update *up, uint8_t type)
{
    return tv_sent_vote(up, type);
}

/* k3 is validator 3 in A and validator 2 in B: its votes carry the index
 * of their height's set; at the new height a vote of k0 (gone) is refused
 * under any index, while k4's (new, index 3) counts; the certificate of
 * the new height names B's indices and verifies against B's keys. */
static void index_moves_and_old_set_refused(void **state)
{
    (void)state;
    struct vs s;
    vs_init(&s);
    struct cons c;
    struct cons_update up;
    assert_int_equal(vs_core(&s, 3, 1, &c), WB_OK);
    tv_start(&c, &up);
    uint8_t h1[WB_HASH_LEN];
    memset(h1, 1, sizeof h1);
    struct cons_proposal p = vs_proposal(&s, 1, h1, block_bytes, sizeof block_bytes);
    tv_feed_proposal(&c, &p, &up);
    tv_feed_valid(&c, 1, h1, CONS_BLOCK_VALID, &up);
    const struct cons_vote *pv = own_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_int_equal(pv->validator, 3); /* k3 in A */
    cons_free(&c);
    assert_int_equal(vs_core(&s, 3, 2, &c), WB_OK);
    tv_start(&c, &up);
    vs_decide(&s, &c, 3, 2, &up);
    assert_int_equal(cons_height(&c), CHANGE);

    /* Height CHANGE: set B. k3's prevote for the proposal carries index 2. */
    uint8_t hx[WB_HASH_LEN];
    memset(hx, CHANGE, sizeof hx);
    p = vs_proposal(&s, CHANGE, hx, block_bytes, sizeof block_bytes);
    assert_int_equal(p.proposer, 3); /* (3 + 0) mod 4: k4 */
    tv_feed_proposal(&c, &p, &up);
    assert_int_equal(up.validate_count, 1);
    tv_feed_valid(&c, CHANGE, hx, CONS_BLOCK_VALID, &up);
    pv = own_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_int_equal(pv->validator, 2);
    assert_int_equal(pv->height, CHANGE);

    /* k0's votes: under its old index 0, and under indices 1 and 3. */
    uint64_t bad0 = cons_get_stats(&c)->rejected_signature;
    struct cons_vote old = vs_vote(&s, CONS_PREVOTE, CHANGE, 0, hx, 0, 0);
    tv_feed_vote(&c, &old, &up);
    old = vs_vote(&s, CONS_PREVOTE, CHANGE, 0, hx, 0, 1);
    tv_feed_vote(&c, &old, &up);
    old = vs_vote(&s, CONS_PRECOMMIT, CHANGE, 0, hx, 0, 3);
    tv_feed_vote(&c, &old, &up);
    old = vs_vote(&s, CONS_PRECOMMIT, CHANGE, 0, hx, 0, 1);
    tv_feed_vote(&c, &old, &up);
    /* An index beyond B. */
    uint64_t nv0 = cons_get_stats(&c)->rejected_non_validator;
    old = vs_vote(&s, CONS_PREVOTE, CHANGE, 0, hx, 0, 4);
    tv_feed_vote(&c, &old, &up);
    assert_int_equal(cons_get_stats(&c)->rejected_non_validator, nv0 + 1);
    /* One more prevote of B (k1 at 0): with k0's counted k3 would have a
     * polka now; without them it has two of three. */
    struct cons_vote v = vs_vote(&s, CONS_PREVOTE, CHANGE, 0, hx, 1, 0);
    tv_feed_vote(&c, &v, &up);
    assert_null(own_vote(&up, CONS_PRECOMMIT));
    assert_true(cons_get_stats(&c)->rejected_signature >= bad0 + 2);

    /* k4 at 3: the polka, k3 precommits (index 2). */
    v = vs_vote(&s, CONS_PREVOTE, CHANGE, 0, hx, 4, 3);
    tv_feed_vote(&c, &v, &up);
    const struct cons_vote *pc = own_vote(&up, CONS_PRECOMMIT);
    assert_non_null(pc);
    assert_int_equal(pc->validator, 2);
    /* B's precommits: k4 (3) and k1 (0) decide. */
    v = vs_vote(&s, CONS_PRECOMMIT, CHANGE, 0, hx, 4, 3);
    tv_feed_vote(&c, &v, &up);
    assert_null(up.decision);
    v = vs_vote(&s, CONS_PRECOMMIT, CHANGE, 0, hx, 1, 0);
    tv_feed_vote(&c, &v, &up);
    assert_non_null(up.decision);
    const struct cons_decision *d = up.decision;
    assert_int_equal(d->height, CHANGE);
    /* The certificate: k1, k3, k4 by B's indices, verifying against B's keys. */
    assert_int_equal(d->precommit_count, 3);
    const uint32_t want[3] = {0, 2, 3};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(d->precommits[i].validator, want[i]);
        uint8_t msg[WB_SIGMSG_MAX];
        size_t len = wb_sigmsg_vote(msg, s.t.chain, CONS_PRECOMMIT, CHANGE, 0, hx);
        assert_int_equal(wb_verify(msg, len, s.t.pk[s.b[want[i]]], d->precommits[i].signature),
                         WB_OK);
    }
    cons_free(&c);
}

/* k0 votes at heights 1 and 2 and is no validator from CHANGE on: it
 * signs nothing there but still decides from B's votes. k4 signs nothing
 * before CHANGE and votes under index 3 from it. */
static void stops_and_becomes_validator(void **state)
{
    (void)state;
    struct vs s;
    vs_init(&s);
    struct cons gone, joins;
    struct cons_update up;
    assert_int_equal(vs_core(&s, 0, 2, &gone), WB_OK);
    assert_int_equal(vs_core(&s, 4, 2, &joins), WB_OK);
    tv_start(&gone, &up);
    tv_start(&joins, &up);
    assert_int_equal(up.msg_count, 0);
    uint8_t h2[WB_HASH_LEN];
    memset(h2, 2, sizeof h2);
    struct cons_proposal p = vs_proposal(&s, 2, h2, block_bytes, sizeof block_bytes);
    tv_feed_proposal(&gone, &p, &up);
    tv_feed_valid(&gone, 2, h2, CONS_BLOCK_VALID, &up);
    const struct cons_vote *pv = own_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_int_equal(pv->validator, 0);
    tv_feed_proposal(&joins, &p, &up);
    tv_feed_valid(&joins, 2, h2, CONS_BLOCK_VALID, &up);
    assert_null(own_vote(&up, CONS_PREVOTE)); /* not a validator of 2 */
    vs_decide(&s, &gone, 0, 2, &up);
    assert_null(up.build);
    vs_decide(&s, &joins, 4, 2, &up);
    /* k4 is validator 3 of B, the proposer of (CHANGE, 0): asked to build. */
    assert_non_null(up.build);
    assert_int_equal(up.build->height, CHANGE);
    uint8_t hx[WB_HASH_LEN];
    memset(hx, CHANGE, sizeof hx);
    struct cons_event ev = {.kind = CONS_EV_BLOCK_READY};
    ev.block_ready.height = CHANGE;
    memcpy(ev.block_ready.hash, hx, WB_HASH_LEN);
    ev.block_ready.block = block_bytes;
    ev.block_ready.block_len = sizeof block_bytes;
    tv_step(&joins, &ev, &up);
    const struct cons_proposal *own = tv_sent_proposal(&up);
    assert_non_null(own);
    assert_int_equal(own->proposer, 3);
    pv = own_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_int_equal(pv->validator, 3);

    /* k0 follows: that proposal and B's precommits decide CHANGE, with
     * nothing signed by it. */
    p = *own;
    uint8_t copy[sizeof block_bytes];
    memcpy(copy, block_bytes, sizeof copy);
    p.block = copy;
    tv_feed_proposal(&gone, &p, &up);
    assert_int_equal(up.validate_count, 1);
    tv_feed_valid(&gone, CHANGE, hx, CONS_BLOCK_VALID, &up);
    assert_int_equal(up.msg_count, 0);
    for (uint32_t i = 0; i < 3; i++) {
        struct cons_vote v = vs_vote(&s, CONS_PRECOMMIT, CHANGE, 0, hx, s.b[i], i);
        tv_feed_vote(&gone, &v, &up);
        for (size_t k = 0; k < up.msg_count; k++)
            assert_int_not_equal(up.msgs[k].kind, CONS_MSG_PROPOSAL);
        assert_null(own_vote(&up, CONS_PREVOTE));
    }
    assert_non_null(up.decision);
    assert_int_equal(up.decision->height, CHANGE);
    assert_int_equal(cons_get_stats(&gone)->sign_refused, 0);
    cons_free(&gone);
    cons_free(&joins);
}

/* The next height's set is not known yet (the driver has not committed
 * the block before): its messages are held unchecked, a forged one among
 * them; once the set is known (any later step) the forgery is dropped and
 * the others count for the sync hint (f + 1 = 2 of B, one of them in B
 * only); entering the height replays them. */
static void unknown_next_set_held(void **state)
{
    (void)state;
    struct vs s;
    vs_init(&s);
    s.known_upto = CHANGE - 1;
    struct cons c;
    struct cons_update up;
    assert_int_equal(vs_core(&s, 3, CHANGE - 1, &c), WB_OK);
    tv_start(&c, &up);
    uint8_t hx[WB_HASH_LEN];
    memset(hx, CHANGE, sizeof hx);
    /* k4 (index 3 of B, a member of B only) and k2 (index 1 of B), and
     * k0 posing as B's validator 0 (k1). */
    struct cons_vote v4 = vs_vote(&s, CONS_PRECOMMIT, CHANGE, 0, hx, 4, 3);
    tv_feed_vote(&c, &v4, &up);
    struct cons_vote v1 = vs_vote(&s, CONS_PRECOMMIT, CHANGE, 0, hx, 2, 1);
    tv_feed_vote(&c, &v1, &up);
    struct cons_vote forged = vs_vote(&s, CONS_PRECOMMIT, CHANGE, 0, hx, 0, 0); /* k0 as k1 */
    tv_feed_vote(&c, &forged, &up);
    assert_int_equal(cons_get_stats(&c)->held_unverified, 3);
    assert_int_equal(up.sync_from, 0);
    uint64_t bad0 = cons_get_stats(&c)->rejected_signature;
    /* The driver now knows set(CHANGE): the next step settles what is held. */
    s.known_upto = UINT64_MAX;
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PROPOSE, &up); /* stale: only the settling */
    assert_int_equal(cons_get_stats(&c)->rejected_signature, bad0 + 1);
    assert_int_equal(up.sync_from, CHANGE - 1);
    /* Height CHANGE - 1 decided: the held precommits (k4, k2) and k3's own
     * plus the proposal decide CHANGE at once with one more precommit. */
    vs_decide(&s, &c, 3, CHANGE - 1, &up);
    assert_int_equal(cons_height(&c), CHANGE);
    struct cons_proposal p = vs_proposal(&s, CHANGE, hx, block_bytes, sizeof block_bytes);
    tv_feed_proposal(&c, &p, &up);
    tv_feed_valid(&c, CHANGE, hx, CONS_BLOCK_VALID, &up);
    struct cons_vote v = vs_vote(&s, CONS_PRECOMMIT, CHANGE, 0, hx, 1, 0);
    tv_feed_vote(&c, &v, &up);
    assert_non_null(up.decision);
    assert_int_equal(up.decision->height, CHANGE);
    assert_true(up.decision->precommit_count >= 3);
    cons_free(&c);
}

/* A height whose set the driver cannot answer when the core enters it (it
 * did not commit the block before): the core waits at step none, signs
 * nothing, holds the height's messages, and starts the height at the
 * first step after the set is known. An unknown set at init is an error. */
static void unknown_current_set_waits(void **state)
{
    (void)state;
    struct vs s;
    vs_init(&s);
    struct cons c;
    struct cons_update up;
    s.known_upto = 1;
    assert_int_equal(vs_core(&s, 3, 2, &c), WB_ERR_NOT_FOUND);
    s.known_upto = CHANGE - 1;
    assert_int_equal(vs_core(&s, 3, CHANGE - 1, &c), WB_OK);
    tv_start(&c, &up);
    vs_decide(&s, &c, 3, CHANGE - 1, &up);
    assert_int_equal(cons_height(&c), CHANGE);
    assert_int_equal(cons_current_step(&c), CONS_STEP_NONE);
    assert_int_equal(up.timer_count, 0);
    assert_null(up.build);
    uint8_t hx[WB_HASH_LEN];
    memset(hx, CHANGE, sizeof hx);
    struct cons_proposal p = vs_proposal(&s, CHANGE, hx, block_bytes, sizeof block_bytes);
    tv_feed_proposal(&c, &p, &up);
    assert_int_equal(up.msg_count, 0);
    assert_int_equal(up.validate_count, 0);
    tv_feed_timeout(&c, CHANGE, 0, CONS_STEP_PRECOMMIT, &up);
    assert_int_equal(cons_current_step(&c), CONS_STEP_NONE);
    assert_int_equal(cons_round(&c), 0);
    /* Known now: the height starts, the held proposal is replayed. */
    s.known_upto = UINT64_MAX;
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PROPOSE, &up);
    assert_int_equal(cons_current_step(&c), CONS_STEP_PROPOSE);
    assert_int_equal(up.validate_count, 1);
    tv_feed_valid(&c, CHANGE, hx, CONS_BLOCK_VALID, &up);
    const struct cons_vote *pv = own_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_int_equal(pv->validator, 2);
    cons_free(&c);
}

/* A restored record is checked against the set of the height it resumes:
 * a proposal record of an earlier height (made under that height's set,
 * not resumed) is accepted; one of the next height from a validator that
 * does not propose that round in that height's set is refused. */
static void restored_record_per_height(void **state)
{
    (void)state;
    struct vs s;
    vs_init(&s);
    struct cons_config cfg;
    tv_config(&s.t, 0, &cfg);
    cfg.validator_count = 0;
    cfg.validator_keys = NULL;
    memcpy(cfg.secret_key, s.t.sk[1], WB_SECKEY_LEN); /* k1: 1 in A, 0 in B */
    cfg.valset = valset_cb;
    cfg.valset_ctx = &s;
    struct cons_safety rec;
    memset(&rec, 0, sizeof rec);
    rec.height = 1; /* k1 proposes (1, 0) in A */
    rec.step = CONS_STEP_PROPOSE;
    rec.locked_round = -1;
    rec.valid_round = -1;
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, CHANGE, &rec), WB_OK);
    cons_free(&c);
    rec.height = CHANGE; /* (CHANGE, 0) is k4's in B */
    assert_int_equal(cons_init(&c, &cfg, CHANGE, &rec), WB_ERR_CONFIG);
    rec.round = 1; /* (CHANGE, 1) is index 0 of B: k1's */
    assert_int_equal(cons_init(&c, &cfg, CHANGE, &rec), WB_OK);
    cons_free(&c);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(index_moves_and_old_set_refused),
        cmocka_unit_test(stops_and_becomes_validator),
        cmocka_unit_test(unknown_next_set_held),
        cmocka_unit_test(unknown_current_set_waits),
        cmocka_unit_test(restored_record_per_height),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
