/* Unit tests of ledger/cert.c: commit certificates signed by real validator
 * keys, accepted at quorum and refused with a reason for every defect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/cert.h"
#include "ledger/genesis.h"

#define N_VALIDATORS 4
#define VOTES_MAX 8
#define HEIGHT 5

struct fx {
    struct ledger_genesis *g;
    uint8_t vpk[N_VALIDATORS][WB_PUBKEY_LEN];
    uint8_t vsk[N_VALIDATORS][WB_SECKEY_LEN];
    uint8_t hash[WB_HASH_LEN];
    /* the certificate under test */
    Waybill__CommitCert cert;
    Waybill__Vote votes[VOTES_MAX];
    Waybill__Vote *ptrs[VOTES_MAX];
    uint8_t vote_hash[VOTES_MAX][WB_HASH_LEN];
    uint8_t sigs[VOTES_MAX][WB_SIG_LEN];
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->g = calloc(1, sizeof *f->g);
    if (!f->g) return -1;
    struct ledger_genesis *g = f->g;
    snprintf(g->chain_name, sizeof g->chain_name, "cert-test");
    ledger_chain_id(g->chain_name, g->chain_id);
    g->org_count = 1;
    snprintf(g->orgs[0].name, sizeof g->orgs[0].name, "acme");
    g->orgs[0].role = LEDGER_ROLE_CARRIER;
    g->validator_count = N_VALIDATORS;
    for (int v = 0; v < N_VALIDATORS; v++) {
        uint8_t seed[32] = {(uint8_t)(100 + v)};
        if (crypto_sign_seed_keypair(f->vpk[v], f->vsk[v], seed) != 0) return -1;
        snprintf(g->validators[v].name, sizeof g->validators[v].name, "node%d", v);
        snprintf(g->validators[v].org, sizeof g->validators[v].org, "acme");
        memcpy(g->validators[v].key, f->vpk[v], WB_PUBKEY_LEN);
    }
    memset(f->hash, 0xc3, sizeof f->hash);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    free(f->g);
    free(f);
    return 0;
}

/* Signs a vote by validator `signer` into slot i (the vote claims index
 * `claimed`, normally the same). */
static void put_vote(struct fx *f, size_t i, Waybill__VoteType type, uint64_t height,
                     uint32_t round, const uint8_t hash[WB_HASH_LEN], unsigned claimed,
                     unsigned signer, const uint8_t chain_id[WB_CHAIN_ID_LEN])
{
    Waybill__Vote *v = &f->votes[i];
    waybill__vote__init(v);
    v->type = type;
    v->height = height;
    v->round = round;
    memcpy(f->vote_hash[i], hash, WB_HASH_LEN);
    v->block_hash.data = f->vote_hash[i];
    v->block_hash.len = WB_HASH_LEN;
    v->validator = claimed;
    uint8_t m[WB_SIGMSG_MAX];
    size_t n = wb_sigmsg_vote(m, chain_id, (uint8_t)type, height, round, hash);
    if (wb_sign(m, n, f->vsk[signer], f->sigs[i]) != WB_OK) fail_msg("wb_sign failed");
    v->signature.data = f->sigs[i];
    v->signature.len = WB_SIG_LEN;
    f->ptrs[i] = v;
}

/* A certificate at HEIGHT, round 0, for f->hash, from `validators`. */
static void make_cert(struct fx *f, const unsigned *validators, size_t n)
{
    waybill__commit_cert__init(&f->cert);
    f->cert.height = HEIGHT;
    f->cert.round = 0;
    f->cert.block_hash.data = f->hash;
    f->cert.block_hash.len = WB_HASH_LEN;
    for (size_t i = 0; i < n; i++)
        put_vote(f, i, WAYBILL__VOTE_TYPE__PRECOMMIT, HEIGHT, 0, f->hash, validators[i],
                 validators[i], f->g->chain_id);
    f->cert.n_precommits = n;
    f->cert.precommits = f->ptrs;
}

static void expect_refused(struct fx *f, uint64_t height, const uint8_t hash[WB_HASH_LEN],
                           const char *want)
{
    char msg[256] = "";
    int rc = ledger_cert_verify(f->g, &f->cert, height, hash, msg, sizeof msg);
    if (rc != WB_ERR_VERIFY || !strstr(msg, want))
        fail_msg("expected WB_ERR_VERIFY with \"%s\", got rc %d (%s), message \"%s\"", want, rc,
                 wb_strerror(rc), msg);
}

static void expect_ok(struct fx *f)
{
    char msg[256] = "";
    int rc = ledger_cert_verify(f->g, &f->cert, HEIGHT, f->hash, msg, sizeof msg);
    if (rc != WB_OK) fail_msg("expected the certificate to verify, got %s: %s",
                              wb_strerror(rc), msg);
}

static void quorum_verifies(void **state)
{
    struct fx *f = *state;
    assert_int_equal(ledger_genesis_quorum(f->g), 3);
    const unsigned three[] = {0, 2, 3};
    make_cert(f, three, 3);
    expect_ok(f);
    const unsigned all[] = {3, 2, 1, 0};
    make_cert(f, all, 4);
    expect_ok(f);
}

static void encoded_cert_verifies(void **state)
{
    struct fx *f = *state;
    const unsigned three[] = {1, 2, 3};
    make_cert(f, three, 3);
    size_t len = waybill__commit_cert__get_packed_size(&f->cert);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    waybill__commit_cert__pack(&f->cert, buf);
    char msg[256] = "";
    int rc = ledger_cert_verify_bytes(f->g, buf, len, HEIGHT, f->hash, msg, sizeof msg);
    if (rc) fail_msg("encoded certificate refused: %s: %s", wb_strerror(rc), msg);
    rc = ledger_cert_verify_bytes(f->g, buf, len, HEIGHT + 1, f->hash, msg, sizeof msg);
    assert_int_equal(rc, WB_ERR_VERIFY);
    free(buf);
    const uint8_t junk[] = {0x0a, 0xff};
    assert_int_equal(ledger_cert_verify_bytes(f->g, junk, sizeof junk, HEIGHT, f->hash, msg,
                                              sizeof msg),
                     WB_ERR_DECODE);
}

static void too_few_precommits(void **state)
{
    struct fx *f = *state;
    const unsigned two[] = {0, 1};
    make_cert(f, two, 2);
    expect_refused(f, HEIGHT, f->hash, "only 2 distinct valid precommits, quorum is 3");
    make_cert(f, two, 0);
    expect_refused(f, HEIGHT, f->hash, "only 0 distinct valid precommits, quorum is 3");
}

static void duplicate_validator_counted_once(void **state)
{
    struct fx *f = *state;
    const unsigned dup[] = {0, 1, 1, 0};
    make_cert(f, dup, 4);
    expect_refused(f, HEIGHT, f->hash, "only 2 distinct valid precommits, quorum is 3");
}

static void bad_signature(void **state)
{
    struct fx *f = *state;
    const unsigned three[] = {0, 1, 3};
    make_cert(f, three, 3);
    f->sigs[2][17] ^= 0x40;
    expect_refused(f, HEIGHT, f->hash, "precommit 2 (validator 3): bad signature");

    /* signed by validator 2's key but claiming to be validator 1 */
    make_cert(f, three, 3);
    put_vote(f, 1, WAYBILL__VOTE_TYPE__PRECOMMIT, HEIGHT, 0, f->hash, 1, 2, f->g->chain_id);
    expect_refused(f, HEIGHT, f->hash, "precommit 1 (validator 1): bad signature");

    /* a precommit signed for another chain is not valid for this one */
    uint8_t other_chain[WB_CHAIN_ID_LEN];
    ledger_chain_id("another-chain", other_chain);
    make_cert(f, three, 3);
    put_vote(f, 0, WAYBILL__VOTE_TYPE__PRECOMMIT, HEIGHT, 0, f->hash, 0, 0, other_chain);
    expect_refused(f, HEIGHT, f->hash, "precommit 0 (validator 0): bad signature");
}

static void round_mixing_refused(void **state)
{
    struct fx *f = *state;
    const unsigned three[] = {0, 1, 2};
    make_cert(f, three, 3);
    put_vote(f, 1, WAYBILL__VOTE_TYPE__PRECOMMIT, HEIGHT, 1, f->hash, 1, 1, f->g->chain_id);
    expect_refused(f, HEIGHT, f->hash, "precommit 1 (validator 1): round 1, certificate round "
                                       "is 0");
}

static void non_validator_index_refused(void **state)
{
    struct fx *f = *state;
    const unsigned three[] = {0, 1, 2};
    make_cert(f, three, 3);
    /* validator 7 does not exist; signed with key 1 so only the index is wrong */
    put_vote(f, 1, WAYBILL__VOTE_TYPE__PRECOMMIT, HEIGHT, 0, f->hash, 7, 1, f->g->chain_id);
    expect_refused(f, HEIGHT, f->hash, "precommit 1 (validator 7): not a validator index");
}

static void wrong_hash_or_height(void **state)
{
    struct fx *f = *state;
    const unsigned three[] = {0, 1, 2};
    make_cert(f, three, 3);
    uint8_t other[WB_HASH_LEN];
    memset(other, 0x11, sizeof other);
    expect_refused(f, HEIGHT, other, "certificate is for block c3c3c3c3..., not 11111111...");
    expect_refused(f, HEIGHT + 1, f->hash, "certificate is for height 5, block is at height 6");

    /* one precommit for another block, correctly signed */
    put_vote(f, 2, WAYBILL__VOTE_TYPE__PRECOMMIT, HEIGHT, 0, other, 2, 2, f->g->chain_id);
    expect_refused(f, HEIGHT, f->hash, "precommit 2 (validator 2): not a precommit for block "
                                       "c3c3c3c3");
    /* one precommit for another height, correctly signed */
    make_cert(f, three, 3);
    put_vote(f, 0, WAYBILL__VOTE_TYPE__PRECOMMIT, HEIGHT - 1, 0, f->hash, 0, 0,
             f->g->chain_id);
    expect_refused(f, HEIGHT, f->hash, "precommit 0 (validator 0): height 4, certificate "
                                       "height is 5");
}

static void prevote_is_not_a_precommit(void **state)
{
    struct fx *f = *state;
    const unsigned three[] = {0, 1, 2};
    make_cert(f, three, 3);
    put_vote(f, 2, WAYBILL__VOTE_TYPE__PREVOTE, HEIGHT, 0, f->hash, 2, 2, f->g->chain_id);
    expect_refused(f, HEIGHT, f->hash, "precommit 2 (validator 2): vote type 1 is not "
                                       "precommit");
}

/* A certificate checked against an explicit set: the set of its height
 * (here {validator 3, validator 1, validator 2} of the fixture, so other
 * indices and a quorum of 3 of 3), accepted there and refused against the
 * genesis's set; one of the genesis's refused against that set. */
static void explicit_set(void **state)
{
    struct fx *f = *state;
    const uint8_t(*all)[WB_PUBKEY_LEN] = (const uint8_t(*)[WB_PUBKEY_LEN])f->vpk;
    uint8_t set[3][WB_PUBKEY_LEN];
    memcpy(set[0], f->vpk[3], WB_PUBKEY_LEN);
    memcpy(set[1], f->vpk[1], WB_PUBKEY_LEN);
    memcpy(set[2], f->vpk[2], WB_PUBKEY_LEN);
    const uint8_t(*keys)[WB_PUBKEY_LEN] = (const uint8_t(*)[WB_PUBKEY_LEN])set;
    const unsigned signer[] = {3, 1, 2};
    waybill__commit_cert__init(&f->cert);
    f->cert.height = HEIGHT;
    f->cert.block_hash.data = f->hash;
    f->cert.block_hash.len = WB_HASH_LEN;
    for (unsigned i = 0; i < 3; i++)
        put_vote(f, i, WAYBILL__VOTE_TYPE__PRECOMMIT, HEIGHT, 0, f->hash, i, signer[i],
                 f->g->chain_id);
    f->cert.n_precommits = 3;
    f->cert.precommits = f->ptrs;
    char msg[256] = "";
    assert_int_equal(ledger_cert_verify_set(f->g->chain_id, keys, 3, &f->cert, HEIGHT, f->hash,
                                            msg, sizeof msg),
                     WB_OK);
    /* Index 0 of the genesis set is validator 0, who did not sign. */
    expect_refused(f, HEIGHT, f->hash, "precommit 0 (validator 0): bad signature");
    /* The encoded form, against both sets. */
    size_t len = waybill__commit_cert__get_packed_size(&f->cert);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    waybill__commit_cert__pack(&f->cert, buf);
    assert_int_equal(ledger_cert_verify_set_bytes(f->g->chain_id, keys, 3, buf, len, HEIGHT,
                                                  f->hash, msg, sizeof msg),
                     WB_OK);
    assert_int_equal(ledger_cert_verify_set_bytes(f->g->chain_id, all, N_VALIDATORS, buf, len,
                                                  HEIGHT, f->hash, msg, sizeof msg),
                     WB_ERR_VERIFY);
    free(buf);
    /* Two of the three: below that set's quorum of 3. */
    f->cert.n_precommits = 2;
    assert_int_equal(ledger_cert_verify_set(f->g->chain_id, keys, 3, &f->cert, HEIGHT, f->hash,
                                            msg, sizeof msg),
                     WB_ERR_VERIFY);
    assert_non_null(strstr(msg, "only 2 distinct valid precommits, quorum is 3"));
    /* A certificate of the genesis set (validators 0, 1, 2): validator 0 is
     * no member of the explicit set, index 0 there is validator 3. */
    const unsigned three[] = {0, 1, 2};
    make_cert(f, three, 3);
    expect_ok(f);
    assert_int_equal(ledger_cert_verify_set(f->g->chain_id, keys, 3, &f->cert, HEIGHT, f->hash,
                                            msg, sizeof msg),
                     WB_ERR_VERIFY);
    assert_non_null(strstr(msg, "precommit 0 (validator 0): bad signature"));
    /* An index beyond the smaller set. */
    const unsigned four[] = {0, 1, 2, 3};
    make_cert(f, four, 4);
    assert_int_equal(ledger_cert_verify_set(f->g->chain_id, all, 3, &f->cert, HEIGHT, f->hash,
                                            msg, sizeof msg),
                     WB_ERR_VERIFY);
    assert_non_null(strstr(msg, "precommit 3 (validator 3): not a validator index (there are 3"));
    /* An empty set verifies nothing. */
    assert_int_equal(ledger_cert_verify_set(f->g->chain_id, all, 0, &f->cert, HEIGHT, f->hash,
                                            msg, sizeof msg),
                     WB_ERR_VERIFY);
    assert_non_null(strstr(msg, "no validators for height 5"));
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(quorum_verifies),
        T(encoded_cert_verifies),
        T(too_few_precommits),
        T(duplicate_validator_counted_once),
        T(bad_signature),
        T(round_mixing_refused),
        T(non_validator_index_refused),
        T(wrong_hash_or_height),
        T(prevote_is_not_a_precommit),
        T(explicit_set),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
