/* Unit tests of the core's rules: validity and the lock decide prevotes,
 * bytes that do not match their hash are forgotten, stale timeouts are
 * ignored, a non-validator follows without signing, and the protobuf
 * conversions (certificate checked by the ledger's verifier). */
#include "tests/unit/consensus_support.h"

#include <stdlib.h>

#include "ledger/cert.h"
#include "ledger/genesis.h"

static const uint8_t HASH_A[WB_HASH_LEN] = {0xaa, 7};
static const uint8_t HASH_B[WB_HASH_LEN] = {0xbb, 7};
static const uint8_t BLOCK_A[] = "block A bytes";
static const uint8_t BLOCK_B[] = "block B bytes";

static void start_node(const struct tv *t, uint32_t self, struct cons *c, struct cons_update *up)
{
    struct cons_config cfg;
    tv_config(t, self, &cfg);
    assert_int_equal(cons_init(c, &cfg, 1, NULL), WB_OK);
    tv_start(c, up);
}

static void invalid_block_gets_nil_prevote(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons c;
    struct cons_update up;
    start_node(&t, 0, &c, &up);
    struct cons_proposal p = tv_proposal(&t, 1, 0, -1, HASH_A, BLOCK_A, sizeof BLOCK_A);
    tv_feed_proposal(&c, &p, &up);
    assert_int_equal(up.validate_count, 1);
    assert_null(tv_sent_vote(&up, CONS_PREVOTE)); /* waits for the verdict */
    tv_feed_valid(&c, 1, HASH_A, CONS_BLOCK_INVALID, &up);
    const struct cons_vote *pv = tv_sent_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_true(pv->nil);
    cons_free(&c);
}

static void bad_hash_bytes_are_forgotten(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons c;
    struct cons_update up;
    start_node(&t, 0, &c, &up);
    struct cons_proposal p = tv_proposal(&t, 1, 0, -1, HASH_A, BLOCK_B, sizeof BLOCK_B);
    tv_feed_proposal(&c, &p, &up);
    assert_int_equal(up.validate_count, 1);
    tv_feed_valid(&c, 1, HASH_A, CONS_BLOCK_BAD_HASH, &up);
    assert_null(tv_sent_vote(&up, CONS_PREVOTE));
    /* The same signed proposal with the right bytes is validated afresh. */
    p.block = BLOCK_A;
    p.block_len = sizeof BLOCK_A;
    tv_feed_proposal(&c, &p, &up);
    assert_int_equal(up.validate_count, 1);
    assert_memory_equal(up.validate[0].block, BLOCK_A, sizeof BLOCK_A);
    tv_feed_valid(&c, 1, HASH_A, CONS_BLOCK_VALID, &up);
    const struct cons_vote *pv = tv_sent_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_false(pv->nil);
    cons_free(&c);
}

static void stale_timeouts_are_ignored(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons c;
    struct cons_update up;
    start_node(&t, 0, &c, &up);
    assert_int_equal(up.timer_count, 1);
    assert_int_equal(up.timers[0].step, CONS_STEP_PROPOSE);
    assert_int_equal(up.timers[0].delay_ms, 1000);
    tv_feed_timeout(&c, 1, 1, CONS_STEP_PROPOSE, &up); /* another round */
    tv_feed_timeout(&c, 2, 0, CONS_STEP_PROPOSE, &up); /* another height */
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PREVOTE, &up); /* another step */
    assert_int_equal(up.msg_count, 0);
    assert_int_equal(cons_current_step(&c), CONS_STEP_PROPOSE);
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PROPOSE, &up);
    assert_non_null(tv_sent_vote(&up, CONS_PREVOTE));
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PROPOSE, &up); /* fired twice: nothing more */
    assert_int_equal(up.msg_count, 0);
    cons_free(&c);
}

/* Locked on A at round 0, the node prevotes nil for B proposed fresh at
 * round 1, and B at round 2 once B has a proof of lock from round 1. */
static void lock_decides_prevote(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons c;
    struct cons_update up;
    start_node(&t, 0, &c, &up);
    tv_to_prevote(&t, &c, 1, HASH_A, &up);
    for (uint32_t v = 1; v <= 2; v++) {
        struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pv, &up);
    }
    assert_non_null(tv_sent_vote(&up, CONS_PRECOMMIT));
    for (uint32_t v = 1; v <= 2; v++) {
        struct cons_vote pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, NULL, v);
        tv_feed_vote(&c, &pc, &up);
    }
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PRECOMMIT, &up);
    assert_int_equal(cons_round(&c), 1);
    struct cons_proposal p = tv_proposal(&t, 1, 1, -1, HASH_B, BLOCK_B, sizeof BLOCK_B);
    tv_feed_proposal(&c, &p, &up);
    tv_feed_valid(&c, 1, HASH_B, CONS_BLOCK_VALID, &up);
    const struct cons_vote *pv = tv_sent_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    if (!pv->nil) fail_msg("a node locked on A prevoted B proposed without a valid round");
    /* Round 1: the other three prevote B (a polka the node did not join). */
    for (uint32_t v = 1; v <= 3; v++) {
        struct cons_vote b = tv_vote(&t, CONS_PREVOTE, 1, 1, HASH_B, v);
        tv_feed_vote(&c, &b, &up);
    }
    for (uint32_t v = 1; v <= 3; v++) {
        struct cons_vote pc = tv_vote(&t, CONS_PRECOMMIT, 1, 1, NULL, v);
        tv_feed_vote(&c, &pc, &up);
    }
    tv_feed_timeout(&c, 1, 1, CONS_STEP_PRECOMMIT, &up);
    assert_int_equal(cons_round(&c), 2);
    p = tv_proposal(&t, 1, 2, 1, HASH_B, BLOCK_B, sizeof BLOCK_B);
    tv_feed_proposal(&c, &p, &up);
    pv = tv_sent_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_false(pv->nil);
    assert_memory_equal(pv->hash, HASH_B, WB_HASH_LEN);
    cons_free(&c);
}

static void observer_follows_without_signing(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons c;
    struct cons_update up;
    start_node(&t, CONS_NOT_VALIDATOR, &c, &up);
    struct cons_proposal p = tv_proposal(&t, 1, 0, -1, HASH_A, BLOCK_A, sizeof BLOCK_A);
    tv_feed_proposal(&c, &p, &up);
    tv_feed_valid(&c, 1, HASH_A, CONS_BLOCK_VALID, &up);
    assert_int_equal(up.msg_count, 0);
    for (uint32_t v = 0; v < 3; v++) {
        struct cons_vote pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pc, &up);
        assert_int_equal(up.msg_count, 0);
        assert_null(up.persist);
    }
    assert_non_null(up.decision);
    assert_memory_equal(up.decision->block, BLOCK_A, sizeof BLOCK_A);
    cons_free(&c);
}

static void misuse_is_refused(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    struct cons_update up;
    cfg.self = 4;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_ERR_CONFIG);
    cfg.self = 0;
    assert_int_equal(cons_init(&c, &cfg, 0, NULL), WB_ERR_CONFIG);
    uint8_t dup_keys[4][WB_PUBKEY_LEN];
    memcpy(dup_keys, t.pk, sizeof dup_keys);
    memcpy(dup_keys[3], dup_keys[2], WB_PUBKEY_LEN);
    cfg.validator_keys = (const uint8_t(*)[WB_PUBKEY_LEN])dup_keys;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_ERR_CONFIG);
    tv_config(&t, 0, &cfg);
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_event ev = {.kind = CONS_EV_VOTE};
    assert_int_equal(cons_step(&c, &ev, &up), WB_ERR_INVALID); /* before START */
    tv_start(&c, &up);
    ev.kind = CONS_EV_START;
    assert_int_equal(cons_step(&c, &ev, &up), WB_ERR_INVALID); /* START twice */
    cons_free(&c);
}

static void vote_and_proposal_round_trip(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_vote v = tv_vote(&t, CONS_PRECOMMIT, 9, 2, HASH_A, 3), back;
    Waybill__Vote pb;
    cons_vote_to_pb(&v, &pb);
    assert_int_equal(cons_vote_from_pb(&pb, &back), WB_OK);
    assert_memory_equal(&v, &back, sizeof v);
    pb.block_hash.len = 31;
    assert_int_equal(cons_vote_from_pb(&pb, &back), WB_ERR_DECODE);
    cons_vote_to_pb(&v, &pb);
    pb.type = WAYBILL__VOTE_TYPE__VOTE_UNSPECIFIED;
    assert_int_equal(cons_vote_from_pb(&pb, &back), WB_ERR_DECODE);

    struct cons_proposal p = tv_proposal(&t, 3, 1, 0, HASH_B, BLOCK_B, sizeof BLOCK_B), pback;
    struct cons_msg m = {.kind = CONS_MSG_PROPOSAL, .proposal = p};
    uint8_t *bytes;
    size_t len;
    assert_int_equal(cons_msg_encode(&m, &bytes, &len), WB_OK);
    Waybill__PeerMessage *pm = waybill__peer_message__unpack(NULL, len, bytes);
    assert_non_null(pm);
    assert_int_equal(pm->msg_case, WAYBILL__PEER_MESSAGE__MSG_PROPOSAL);
    assert_int_equal(cons_proposal_from_pb(pm->proposal, &pback), WB_OK);
    assert_int_equal(pback.valid_round, 0);
    assert_int_equal(pback.proposer, p.proposer);
    assert_memory_equal(pback.block, BLOCK_B, sizeof BLOCK_B);
    assert_memory_equal(pback.signature, p.signature, WB_SIG_LEN);
    waybill__peer_message__free_unpacked(pm, NULL);
    free(bytes);
}

/* The certificate of a decision verifies with the ledger's verifier. */
static void certificate_verifies(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct ledger_genesis *g = calloc(1, sizeof *g);
    assert_non_null(g);
    memcpy(g->chain_id, t.chain, WB_CHAIN_ID_LEN);
    g->validator_count = 4;
    for (size_t i = 0; i < 4; i++) memcpy(g->validators[i].key, t.pk[i], WB_PUBKEY_LEN);
    struct cons c;
    struct cons_update up;
    start_node(&t, 0, &c, &up);
    tv_to_prevote(&t, &c, 1, HASH_A, &up);
    for (uint32_t v = 1; v <= 2; v++) {
        struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pv, &up);
    }
    for (uint32_t v = 1; v <= 2; v++) {
        struct cons_vote pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pc, &up);
    }
    assert_non_null(up.decision);
    uint8_t *cert;
    size_t len;
    assert_int_equal(cons_cert_encode(up.decision, &cert, &len), WB_OK);
    char msg[256];
    int rc = ledger_cert_verify_bytes(g, cert, len, 1, HASH_A, msg, sizeof msg);
    if (rc) fail_msg("certificate does not verify: %s", msg);
    assert_int_not_equal(ledger_cert_verify_bytes(g, cert, len, 1, HASH_B, msg, sizeof msg), 0);
    free(cert);
    free(g);
    cons_free(&c);
}

static void timeout_round(struct cons *c, uint64_t h, uint32_t r, struct cons_update *up)
{
    tv_feed_timeout(c, h, r, CONS_STEP_PROPOSE, up);
    tv_feed_timeout(c, h, r, CONS_STEP_PREVOTE, up);
    tv_feed_timeout(c, h, r, CONS_STEP_PRECOMMIT, up);
}

/* f+1 precommits for X at round 0 prove a polka there (one is honest): a node
 * holding X takes it as its valid value and re-proposes it with valid round
 * 0 and that proof, and a node that saw nothing of round 0 accepts it. This
 * is how a polka seen only by nodes that then crashed (their records keep the
 * lock and the precommit, not the prevotes or the block) is recovered. */
static void precommits_prove_polka(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 7); /* f = 2, q = 5; proposer of (7, r) is r */
    struct cons_config cfg;
    tv_config(&t, 2, &cfg);
    struct cons c;
    struct cons_update up;
    assert_int_equal(cons_init(&c, &cfg, 7, NULL), WB_OK);
    tv_start(&c, &up);
    struct cons_proposal p = tv_proposal(&t, 7, 0, -1, HASH_A, BLOCK_A, sizeof BLOCK_A);
    tv_feed_proposal(&c, &p, &up);
    tv_feed_valid(&c, 7, HASH_A, CONS_BLOCK_VALID, &up);
    assert_non_null(tv_sent_vote(&up, CONS_PREVOTE));
    struct cons_vote pcs[3];
    for (uint32_t v = 3; v <= 5; v++) {
        pcs[v - 3] = tv_vote(&t, CONS_PRECOMMIT, 7, 0, HASH_A, v);
        tv_feed_vote(&c, &pcs[v - 3], &up);
    }
    tv_feed_timeout(&c, 7, 0, CONS_STEP_PREVOTE, &up);
    tv_feed_timeout(&c, 7, 0, CONS_STEP_PRECOMMIT, &up);
    timeout_round(&c, 7, 1, &up);
    assert_int_equal(cons_round(&c), 2);
    const struct cons_proposal *mine = tv_sent_proposal(&up);
    assert_non_null(mine);
    assert_int_equal(mine->valid_round, 0);
    assert_memory_equal(mine->hash, HASH_A, WB_HASH_LEN);
    size_t proof = 0;
    for (size_t i = 0; i < up.msg_count; i++)
        if (up.msgs[i].kind == CONS_MSG_VOTE && up.msgs[i].vote.type == CONS_PRECOMMIT &&
            up.msgs[i].vote.round == 0)
            proof++;
    assert_int_equal(proof, 3);
    struct cons_proposal sent = *mine;
    cons_free(&c);

    /* A node that saw nothing of round 0 accepts (A, 0) on that proof. */
    tv_config(&t, 1, &cfg);
    assert_int_equal(cons_init(&c, &cfg, 7, NULL), WB_OK);
    tv_start(&c, &up);
    timeout_round(&c, 7, 0, &up);
    timeout_round(&c, 7, 1, &up);
    assert_int_equal(cons_round(&c), 2);
    sent.block = BLOCK_A;
    sent.block_len = sizeof BLOCK_A;
    tv_feed_proposal(&c, &sent, &up);
    tv_feed_valid(&c, 7, HASH_A, CONS_BLOCK_VALID, &up);
    assert_null(tv_sent_vote(&up, CONS_PREVOTE));
    for (int i = 0; i < 3; i++) tv_feed_vote(&c, &pcs[i], &up);
    const struct cons_vote *pv = tv_sent_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_false(pv->nil);
    assert_memory_equal(pv->hash, HASH_A, WB_HASH_LEN);
    cons_free(&c);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(invalid_block_gets_nil_prevote),
        cmocka_unit_test(bad_hash_bytes_are_forgotten),
        cmocka_unit_test(stale_timeouts_are_ignored),
        cmocka_unit_test(lock_decides_prevote),
        cmocka_unit_test(precommits_prove_polka),
        cmocka_unit_test(observer_follows_without_signing),
        cmocka_unit_test(misuse_is_refused),
        cmocka_unit_test(vote_and_proposal_round_trip),
        cmocka_unit_test(certificate_verifies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
