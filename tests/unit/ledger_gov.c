/* Unit tests of ledger/gov.c: the governance state from genesis, each
 * action accepted and refused for each reason, proposals, approvals,
 * threshold, expiry, execution and epochs, keys and their refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/genesis.h"
#include "ledger/gov.h"
#include "ledger/sha256.h"

#define GENESIS_MS INT64_C(1700000000000)
#define BLOCK_MS 1000
#define ORGS 4
#define VALIDATORS 4
#define REASON_MAX 512

enum { ACME, OCEANIC, CUSTOMS, AUDIT };
static const char *const org_names[ORGS] = {"acme", "oceanic", "customs", "audit"};
static const enum ledger_role org_roles[ORGS] = {LEDGER_ROLE_SHIPPER, LEDGER_ROLE_CARRIER,
                                                 LEDGER_ROLE_CUSTOMS, LEDGER_ROLE_AUDITOR};

struct fx {
    struct ledger_genesis *g;
    struct ledger_gov gv;
    bool gv_ready;
    uint8_t pk[ORGS][WB_PUBKEY_LEN];
    uint64_t counter;
    struct ledger_event ev;
    char reason[REASON_MAX];
};

static int64_t block_time(uint64_t h) { return GENESIS_MS + (int64_t)h * BLOCK_MS; }

/* A valid Ed25519 public key from a seed number. */
static void test_key(uint32_t n, uint8_t pk[WB_PUBKEY_LEN])
{
    uint8_t seed[32] = {(uint8_t)n, (uint8_t)(n >> 8), 0x77}, sk[WB_SECKEY_LEN];
    assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

/* The genesis: ORGS members (one key each), VALIDATORS validators of acme
 * and oceanic. */
static void make_genesis(struct fx *f, size_t orgs)
{
    struct ledger_genesis *g = f->g;
    memset(g, 0, sizeof *g);
    snprintf(g->chain_name, sizeof g->chain_name, "gov-test");
    ledger_chain_id(g->chain_name, g->chain_id);
    g->genesis_time_ms = GENESIS_MS;
    ledger_genesis_set_defaults(g);
    g->org_count = orgs;
    for (size_t k = 0; k < orgs; k++) {
        test_key((uint32_t)k + 1, f->pk[k]);
        snprintf(g->orgs[k].name, sizeof g->orgs[k].name, "%s", org_names[k]);
        g->orgs[k].role = org_roles[k];
        g->orgs[k].key_count = 1;
        memcpy(g->orgs[k].keys[0], f->pk[k], WB_PUBKEY_LEN);
    }
    g->validator_count = VALIDATORS;
    for (int v = 0; v < VALIDATORS; v++) {
        struct ledger_validator *val = &g->validators[v];
        test_key(100 + (uint32_t)v, val->key);
        snprintf(val->name, sizeof val->name, "node%d", v);
        snprintf(val->org, sizeof val->org, "%s", org_names[v % 2]);
        snprintf(val->p2p, sizeof val->p2p, "127.0.0.1:%d", 7000 + v);
    }
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->g = calloc(1, sizeof *f->g);
    if (!f->g) return -1;
    make_genesis(f, ORGS);
    if (ledger_gov_init(&f->gv, f->g)) return -1;
    f->gv_ready = true;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->gv_ready) ledger_gov_free(&f->gv);
    free(f->g);
    free(f);
    return 0;
}

/* Restarts the state from f->g (after a test changed the genesis). */
static void restart(struct fx *f)
{
    ledger_gov_free(&f->gv);
    assert_int_equal(ledger_gov_init(&f->gv, f->g), WB_OK);
}

/* f->ev: the governance event of *a signed (in name) by key pk, with a
 * fresh id. */
static struct ledger_event *mk(struct fx *f, const uint8_t *pk, const struct ledger_gov_action *a,
                               uint64_t height)
{
    char msg[256] = "";
    memset(&f->ev, 0, sizeof f->ev);
    int rc = ledger_gov_action_encode(a, &f->ev, msg, sizeof msg);
    if (rc) fail_msg("encode: %s", msg);
    f->ev.time_ms = block_time(height);
    memcpy(f->ev.submitter, pk, WB_PUBKEY_LEN);
    uint64_t n = ++f->counter;
    ledger_sha256((const uint8_t *)&n, sizeof n, f->ev.id);
    return &f->ev;
}

/* The rules of ledger/gov.c's table (and gov_attrs, the decoding), each to
 * be seen refusing in some test (every_rule_refuses_in_a_test, run last). */
static const char *const gov_rule_names[] = {
    "gov_attrs",           "gov_submitter",         "gov_voter",
    "gov_key_new",         "gov_key_room",          "gov_key_own",
    "gov_key_last",        "gov_revoke_since",      "gov_pending_max",
    "gov_proposal_known",  "gov_proposal_pending",  "gov_proposal_expired",
    "gov_approve_once",    "gov_member_new",        "gov_member_keys_new",
    "gov_member_known",    "gov_member_validators", "gov_member_last_voter",
    "gov_validator_org",   "gov_validator_new",     "gov_validator_max",
    "gov_validator_known", "gov_validator_last",    "gov_device_new",
    "gov_device_known",    "gov_device_own",        "gov_device_active",
};
#define GOV_RULES (sizeof gov_rule_names / sizeof gov_rule_names[0])
static bool rule_seen[GOV_RULES];

/* Records the rule a reason ends with; fails on a reason without one. */
static void note_rule(const char *reason)
{
    const char *r = strstr(reason, "(rule ");
    if (!r) fail_msg("refusal without its rule: %s", reason);
    for (size_t i = 0; i < GOV_RULES; i++) {
        size_t n = strlen(gov_rule_names[i]);
        if (strncmp(r + 6, gov_rule_names[i], n) == 0 && strcmp(r + 6 + n, ")") == 0) {
            rule_seen[i] = true;
            return;
        }
    }
    fail_msg("a rule this test does not know: %s", r);
}

/* Checks f->ev at height; applies it when it passes. */
static int run(struct fx *f, uint64_t height, struct ledger_gov_effect *eff)
{
    f->reason[0] = '\0';
    int rc = ledger_gov_check(&f->gv, &f->ev, height, block_time(height), f->reason,
                              sizeof f->reason);
    if (rc == WB_ERR_RULE) note_rule(f->reason);
    if (rc) return rc;
    assert_int_equal(ledger_gov_apply(&f->gv, &f->ev, height, block_time(height), eff), WB_OK);
    return WB_OK;
}

static void expect_refused(struct fx *f, uint64_t height, const char *rule, const char *words)
{
    int rc = run(f, height, NULL);
    if (rc != WB_ERR_RULE) fail_msg("expected refusal by %s, got %d", rule, rc);
    char want[80];
    snprintf(want, sizeof want, "(rule %s)", rule);
    if (!strstr(f->reason, want) || (words && !strstr(f->reason, words)))
        fail_msg("reason '%s' lacks '%s' / '%s'", f->reason, want, words ? words : "");
}

static void expect_ok(struct fx *f, uint64_t height, struct ledger_gov_effect *eff)
{
    int rc = run(f, height, eff);
    if (rc) fail_msg("refused: %s", f->reason);
}

static struct ledger_gov_action proposal_of(enum ledger_gov_kind kind)
{
    struct ledger_gov_action a;
    memset(&a, 0, sizeof a);
    a.action = LEDGER_GOV_PROPOSE;
    a.kind = kind;
    return a;
}

static struct ledger_gov_action add_member(const char *name, enum ledger_role role, uint32_t key)
{
    struct ledger_gov_action a = proposal_of(LEDGER_GOV_ADD_MEMBER);
    snprintf(a.member.name, sizeof a.member.name, "%s", name);
    a.member.role = role;
    a.member.key_count = 1;
    test_key(key, a.member.keys[0]);
    return a;
}

static struct ledger_gov_action add_validator(const char *name, const char *org, uint32_t key,
                                              int port)
{
    struct ledger_gov_action a = proposal_of(LEDGER_GOV_ADD_VALIDATOR);
    snprintf(a.validator.name, sizeof a.validator.name, "%s", name);
    snprintf(a.validator.org, sizeof a.validator.org, "%s", org);
    test_key(key, a.validator.key);
    snprintf(a.validator.p2p, sizeof a.validator.p2p, "127.0.0.1:%d", port);
    return a;
}

static struct ledger_gov_action remove_validator(const char *name)
{
    struct ledger_gov_action a = proposal_of(LEDGER_GOV_REMOVE_VALIDATOR);
    snprintf(a.validator.name, sizeof a.validator.name, "%s", name);
    return a;
}

static struct ledger_gov_action approval(const uint8_t id[WB_HASH_LEN])
{
    struct ledger_gov_action a;
    memset(&a, 0, sizeof a);
    a.action = LEDGER_GOV_APPROVE;
    memcpy(a.proposal, id, WB_HASH_LEN);
    return a;
}

/* Proposes *a as org `by` at height; returns the proposal's id in id. */
static void propose(struct fx *f, int by, const struct ledger_gov_action *a, uint64_t height,
                    uint8_t id[WB_HASH_LEN])
{
    mk(f, f->pk[by], a, height);
    memcpy(id, f->ev.id, WB_HASH_LEN);
    expect_ok(f, height, NULL);
}

static int approve(struct fx *f, int by, const uint8_t id[WB_HASH_LEN], uint64_t height,
                   struct ledger_gov_effect *eff)
{
    struct ledger_gov_action a = approval(id);
    mk(f, f->pk[by], &a, height);
    return run(f, height, eff);
}

/* Proposes *a by acme and approves by oceanic and customs (3 of 4): the
 * proposal executes at `height`. */
static void pass(struct fx *f, const struct ledger_gov_action *a, uint64_t height,
                 struct ledger_gov_effect *eff)
{
    uint8_t id[WB_HASH_LEN];
    propose(f, ACME, a, height, id);
    assert_int_equal(approve(f, OCEANIC, id, height, NULL), WB_OK);
    int rc = approve(f, CUSTOMS, id, height, eff);
    if (rc) fail_msg("executing approval refused: %s", f->reason);
    const struct ledger_gov_proposal *p = ledger_gov_proposal_find(&f->gv, id);
    assert_non_null(p);
    assert_int_equal(p->status, LEDGER_PROPOSAL_EXECUTED);
    assert_int_equal(p->executed_height, height);
}

/* ---- state from genesis ------------------------------------------------------- */

static void init_from_genesis(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->gv.key_count, ORGS + VALIDATORS);
    for (size_t i = 0; i < f->gv.key_count; i++) {
        assert_int_equal(f->gv.keys[i].added_height, 0);
        assert_int_equal(f->gv.keys[i].revoked, LEDGER_REVOKE_NONE);
    }
    const struct ledger_gov_key *k = ledger_gov_key_find(&f->gv, f->pk[CUSTOMS]);
    assert_non_null(k);
    assert_string_equal(k->org, "customs");
    assert_false(k->validator);
    k = ledger_gov_key_find(&f->gv, f->g->validators[1].key);
    assert_non_null(k);
    assert_true(k->validator);
    assert_string_equal(k->org, "oceanic");
    uint8_t unknown[WB_PUBKEY_LEN];
    test_key(999, unknown);
    assert_null(ledger_gov_key_find(&f->gv, unknown));
    assert_int_equal(ledger_gov_key_refusal(&f->gv, unknown, f->reason, sizeof f->reason), 0);
    assert_int_equal(ledger_gov_key_refusal(&f->gv, f->pk[ACME], f->reason, sizeof f->reason),
                     0);

    assert_int_equal(f->gv.epoch_count, 1);
    const struct ledger_gov_epoch *e;
    assert_true(ledger_gov_validators_at(&f->gv, 1, &e));
    assert_int_equal(e->from_height, 1);
    assert_int_equal(e->count, VALIDATORS);
    assert_true(ledger_gov_validators_at(&f->gv, 2, &e));
    assert_false(ledger_gov_validators_at(&f->gv, 3, &e));
    assert_int_equal(f->gv.height, 0);
    assert_int_equal(f->gv.time_ms, GENESIS_MS);
    assert_memory_equal(&f->gv.policy, &f->g->gov_policy, sizeof f->gv.policy);
}

/* ---- threshold ------------------------------------------------------------------ */

static void threshold_arithmetic(void **state)
{
    struct fx *f = *state;
    assert_int_equal(ledger_gov_threshold(&f->gv), 3); /* 4 voters at 2/3 */
    for (size_t orgs = 1; orgs <= 4; orgs++) {
        static const size_t want[] = {0, 1, 2, 2, 3};
        make_genesis(f, orgs);
        restart(f);
        assert_int_equal(ledger_gov_threshold(&f->gv), want[orgs]);
    }
    /* 5 voters at 2/3: 4 (10/3 rounds up). */
    make_genesis(f, ORGS);
    f->g->org_count = 5;
    struct ledger_org *o = &f->g->orgs[4];
    snprintf(o->name, sizeof o->name, "fifth");
    o->role = LEDGER_ROLE_CARRIER;
    o->key_count = 1;
    test_key(55, o->keys[0]);
    restart(f);
    assert_int_equal(ledger_gov_threshold(&f->gv), 4);
    /* 1/2 of 4: 2; of 5: 3. */
    f->g->gov_policy.threshold_num = 1;
    f->g->gov_policy.threshold_den = 2;
    restart(f);
    assert_int_equal(ledger_gov_threshold(&f->gv), 3);
    f->g->org_count = 4;
    restart(f);
    assert_int_equal(ledger_gov_threshold(&f->gv), 2);
    /* Auditors do not vote: 3 voters at 2/3 is 2. */
    f->g->gov_policy.threshold_num = 2;
    f->g->gov_policy.threshold_den = 3;
    f->g->gov_policy.voting_roles &= ~(1u << LEDGER_ROLE_AUDITOR);
    restart(f);
    assert_int_equal(ledger_gov_threshold(&f->gv), 2);
    /* Unanimity. */
    f->g->gov_policy.voting_roles = 0x1e;
    f->g->gov_policy.threshold_num = 3;
    f->g->gov_policy.threshold_den = 3;
    restart(f);
    assert_int_equal(ledger_gov_threshold(&f->gv), 4);
}

static void non_voter_refused(void **state)
{
    struct fx *f = *state;
    f->g->gov_policy.voting_roles &= ~(1u << LEDGER_ROLE_AUDITOR);
    restart(f);
    struct ledger_gov_action a = add_member("newco", LEDGER_ROLE_SHIPPER, 500);
    mk(f, f->pk[AUDIT], &a, 1);
    expect_refused(f, 1, "gov_voter", "does not vote");
    uint8_t id[WB_HASH_LEN];
    propose(f, ACME, &a, 1, id);
    assert_int_equal(approve(f, AUDIT, id, 1, NULL), WB_ERR_RULE);
    assert_non_null(strstr(f->reason, "(rule gov_voter)"));
    /* 2 of the 3 voters execute it. */
    struct ledger_gov_effect eff;
    assert_int_equal(approve(f, OCEANIC, id, 2, &eff), WB_OK);
    assert_true(eff.executed);
    assert_memory_equal(eff.proposal, id, WB_HASH_LEN);
    assert_true(ledger_genesis_org_by_name(&f->gv.view, "newco") >= 0);
}

static void unknown_submitter_refused(void **state)
{
    struct fx *f = *state;
    uint8_t stranger[WB_PUBKEY_LEN];
    test_key(777, stranger);
    struct ledger_gov_action a = add_member("newco", LEDGER_ROLE_SHIPPER, 500);
    mk(f, stranger, &a, 1);
    expect_refused(f, 1, "gov_submitter", "not an active client key");
}

static void malformed_event_refused_by_check(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action k = {.action = LEDGER_KEY_ADD};
    test_key(600, k.key);
    mk(f, f->pk[ACME], &k, 1);
    snprintf(f->ev.attrs[1].key, sizeof f->ev.attrs[1].key, "colour");
    snprintf(f->ev.attrs[1].value, sizeof f->ev.attrs[1].value, "red");
    f->ev.attr_count = 2;
    expect_refused(f, 1, "gov_attrs", "key_add: attribute 'colour' is not one this action takes");
    assert_int_equal(f->gv.event_count, 0);
}

static void members_bounded(void **state)
{
    struct fx *f = *state;
    f->g->org_count = WB_ORGS_MAX;
    for (size_t k = ORGS; k < WB_ORGS_MAX; k++) {
        struct ledger_org *o = &f->g->orgs[k];
        snprintf(o->name, sizeof o->name, "org%zu", k);
        o->role = LEDGER_ROLE_AUDITOR;
        o->key_count = 1;
        test_key(3000 + (uint32_t)k, o->keys[0]);
    }
    f->g->gov_policy.voting_roles = 1u << LEDGER_ROLE_SHIPPER; /* acme alone decides */
    restart(f);
    struct ledger_gov_action a = add_member("one-more", LEDGER_ROLE_CARRIER, 500);
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_member_new", "64 members, the most");
    /* Room again once one leaves. */
    struct ledger_gov_action r = proposal_of(LEDGER_GOV_REMOVE_MEMBER);
    snprintf(r.member.name, sizeof r.member.name, "org10");
    mk(f, f->pk[ACME], &r, 1);
    expect_ok(f, 1, NULL);
    mk(f, f->pk[ACME], &a, 2);
    expect_ok(f, 2, NULL);
    assert_int_equal(f->gv.view.org_count, WB_ORGS_MAX);
}

/* ---- proposals and approvals -------------------------------------------------------- */

static void proposal_executes_at_threshold_only(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = add_member("newco", LEDGER_ROLE_CARRIER, 500);
    a.member.key_count = 2;
    test_key(501, a.member.keys[1]);
    snprintf(a.note, sizeof a.note, "joins in December");
    uint8_t id[WB_HASH_LEN];
    propose(f, ACME, &a, 1, id);
    const struct ledger_gov_proposal *p = ledger_gov_proposal_find(&f->gv, id);
    assert_non_null(p);
    assert_int_equal(p->status, LEDGER_PROPOSAL_PENDING);
    assert_int_equal(p->approval_count, 1);
    assert_string_equal(p->approvers[0], "acme");
    assert_string_equal(p->proposer, "acme");
    assert_string_equal(p->action.note, "joins in December");
    struct ledger_gov_effect eff;
    assert_int_equal(approve(f, OCEANIC, id, 2, &eff), WB_OK);
    assert_false(eff.executed);
    assert_int_equal(ledger_genesis_org_by_name(&f->gv.view, "newco"), -1);
    assert_int_equal(p->approval_count, 2);
    assert_int_equal(p->approval_heights[1], 2);
    assert_int_equal(p->status, LEDGER_PROPOSAL_PENDING);

    assert_int_equal(approve(f, AUDIT, id, 3, &eff), WB_OK);
    assert_true(eff.executed);
    assert_false(eff.validators_changed);
    p = ledger_gov_proposal_find(&f->gv, id);
    assert_int_equal(p->status, LEDGER_PROPOSAL_EXECUTED);
    assert_int_equal(p->executed_height, 3);
    int o = ledger_genesis_org_by_name(&f->gv.view, "newco");
    assert_true(o >= 0);
    assert_int_equal(f->gv.view.orgs[o].role, LEDGER_ROLE_CARRIER);
    assert_int_equal(f->gv.view.orgs[o].key_count, 2);
    const struct ledger_gov_key *k = ledger_gov_key_find(&f->gv, a.member.keys[1]);
    assert_non_null(k);
    assert_string_equal(k->org, "newco");
    assert_int_equal(k->added_height, 3);
    /* The new member votes now: 5 voters, threshold 4. */
    assert_int_equal(ledger_gov_threshold(&f->gv), 4);
    /* Executed: a further approval is refused. */
    assert_int_equal(approve(f, CUSTOMS, id, 4, NULL), WB_ERR_RULE);
    assert_non_null(strstr(f->reason, "(rule gov_proposal_pending)"));
    assert_int_equal(f->gv.event_count, 3);
}

static void proposal_without_threshold_never_executes(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = add_member("newco", LEDGER_ROLE_CARRIER, 500);
    uint8_t id[WB_HASH_LEN];
    propose(f, ACME, &a, 1, id);
    assert_int_equal(approve(f, OCEANIC, id, 2, NULL), WB_OK);
    for (uint64_t h = 3; h < 20; h++) ledger_gov_advance(&f->gv, h, block_time(h));
    assert_int_equal(ledger_gov_proposal_find(&f->gv, id)->status, LEDGER_PROPOSAL_PENDING);
    assert_int_equal(ledger_genesis_org_by_name(&f->gv.view, "newco"), -1);
}

static void same_org_approves_once(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = add_member("newco", LEDGER_ROLE_CARRIER, 500);
    uint8_t id[WB_HASH_LEN];
    propose(f, ACME, &a, 1, id);
    assert_int_equal(approve(f, ACME, id, 1, NULL), WB_ERR_RULE);
    assert_non_null(strstr(f->reason, "'acme' already approved"));
    assert_non_null(strstr(f->reason, "(rule gov_approve_once)"));
    assert_int_equal(approve(f, OCEANIC, id, 2, NULL), WB_OK);
    assert_int_equal(approve(f, OCEANIC, id, 3, NULL), WB_ERR_RULE);
    assert_non_null(strstr(f->reason, "(rule gov_approve_once)"));
    assert_int_equal(ledger_gov_proposal_find(&f->gv, id)->approval_count, 2);
}

static void unknown_proposal_refused(void **state)
{
    struct fx *f = *state;
    uint8_t id[WB_HASH_LEN] = {1, 2, 3};
    assert_int_equal(approve(f, OCEANIC, id, 1, NULL), WB_ERR_RULE);
    assert_non_null(strstr(f->reason, "(rule gov_proposal_known)"));
}

static void expired_proposal_refused(void **state)
{
    struct fx *f = *state;
    f->g->gov_policy.proposal_ttl_ms = 10 * BLOCK_MS;
    restart(f);
    struct ledger_gov_action a = add_member("newco", LEDGER_ROLE_CARRIER, 500);
    uint8_t id[WB_HASH_LEN];
    propose(f, ACME, &a, 1, id);
    /* At exactly ttl after: still open. */
    assert_int_equal(approve(f, OCEANIC, id, 11, NULL), WB_OK);
    /* Past it: expired. */
    assert_int_equal(approve(f, CUSTOMS, id, 12, NULL), WB_ERR_RULE);
    assert_non_null(strstr(f->reason, "expired"));
    assert_non_null(strstr(f->reason, "(rule gov_proposal_expired)"));
    assert_int_equal(ledger_gov_proposal_find(&f->gv, id)->status, LEDGER_PROPOSAL_PENDING);
    ledger_gov_advance(&f->gv, 12, block_time(12));
    assert_int_equal(ledger_gov_proposal_find(&f->gv, id)->status, LEDGER_PROPOSAL_EXPIRED);
    assert_int_equal(f->gv.height, 12);
    assert_int_equal(f->gv.time_ms, block_time(12));
    assert_int_equal(approve(f, CUSTOMS, id, 13, NULL), WB_ERR_RULE);
    assert_non_null(strstr(f->reason, "(rule gov_proposal_pending)"));
    assert_string_equal(ledger_gov_status_name(LEDGER_PROPOSAL_EXPIRED), "expired");
}

static void pending_proposals_bounded(void **state)
{
    struct fx *f = *state;
    for (uint32_t i = 0; i < WB_GOV_PENDING_MAX; i++) {
        char name[32];
        snprintf(name, sizeof name, "org%u", i);
        struct ledger_gov_action a = add_member(name, LEDGER_ROLE_CARRIER, 1000 + i);
        uint8_t id[WB_HASH_LEN];
        propose(f, ACME, &a, 1, id);
    }
    struct ledger_gov_action a = add_member("one-more", LEDGER_ROLE_CARRIER, 2000);
    mk(f, f->pk[OCEANIC], &a, 1);
    expect_refused(f, 1, "gov_pending_max", "pending");
    /* Once they expire there is room again. */
    uint64_t later = 2 + (uint64_t)(WB_GOV_PROPOSAL_TTL_MS_DEFAULT / BLOCK_MS);
    mk(f, f->pk[OCEANIC], &a, later);
    expect_ok(f, later, NULL);
}

/* ---- members -------------------------------------------------------------------------- */

static void add_member_refusals(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = add_member("oceanic", LEDGER_ROLE_CARRIER, 500);
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_member_new", "already a member");
    a = add_member("newco", LEDGER_ROLE_CARRIER, 1); /* acme's key */
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_member_keys_new", "key1");
    a = add_member("newco", LEDGER_ROLE_CARRIER, 500);
    memcpy(a.member.keys[0], f->g->validators[0].key, WB_PUBKEY_LEN);
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_member_keys_new", "already known");

    /* Two proposals for one name: the second to execute is refused then. */
    struct ledger_gov_action a1 = add_member("newco", LEDGER_ROLE_CARRIER, 500);
    struct ledger_gov_action a2 = add_member("newco", LEDGER_ROLE_SHIPPER, 501);
    uint8_t id1[WB_HASH_LEN], id2[WB_HASH_LEN];
    propose(f, ACME, &a1, 2, id1);
    propose(f, ACME, &a2, 2, id2);
    assert_int_equal(approve(f, OCEANIC, id1, 3, NULL), WB_OK);
    assert_int_equal(approve(f, OCEANIC, id2, 3, NULL), WB_OK);
    assert_int_equal(approve(f, CUSTOMS, id1, 4, NULL), WB_OK);
    /* newco votes now: 5 voters, 4 approvals needed. */
    assert_int_equal(approve(f, CUSTOMS, id2, 4, NULL), WB_OK);
    assert_int_equal(approve(f, AUDIT, id2, 4, NULL), WB_ERR_RULE);
    assert_non_null(strstr(f->reason, "(rule gov_member_new)"));
    assert_int_equal(ledger_gov_proposal_find(&f->gv, id2)->status, LEDGER_PROPOSAL_PENDING);
}

static void remove_member_needs_no_validators(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = proposal_of(LEDGER_GOV_REMOVE_MEMBER);
    snprintf(a.member.name, sizeof a.member.name, "oceanic");
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_member_validators", "remove its validators first");
    snprintf(a.member.name, sizeof a.member.name, "nobody");
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_member_known", "not a member");
}

static void removed_member_keys_refused(void **state)
{
    struct fx *f = *state;
    uint8_t second[WB_PUBKEY_LEN];
    test_key(600, second);
    struct ledger_gov_action k = {.action = LEDGER_KEY_ADD};
    memcpy(k.key, second, WB_PUBKEY_LEN);
    mk(f, f->pk[CUSTOMS], &k, 1);
    expect_ok(f, 1, NULL);

    struct ledger_gov_action a = proposal_of(LEDGER_GOV_REMOVE_MEMBER);
    snprintf(a.member.name, sizeof a.member.name, "customs");
    pass(f, &a, 5, NULL);
    assert_int_equal(ledger_genesis_org_by_name(&f->gv.view, "customs"), -1);
    assert_int_equal(f->gv.view.org_count, ORGS - 1);
    assert_int_equal(ledger_gov_threshold(&f->gv), 2);
    for (int i = 0; i < 2; i++) {
        const uint8_t *pk = i ? second : f->pk[CUSTOMS];
        const struct ledger_gov_key *rec = ledger_gov_key_find(&f->gv, pk);
        assert_non_null(rec);
        assert_true(rec->org_removed);
        assert_int_equal(rec->revoked_height, 5);
        assert_int_equal(rec->revoked_time_ms, block_time(5));
        assert_int_equal(ledger_gov_key_refusal(&f->gv, pk, f->reason, sizeof f->reason),
                         WB_ERR_RULE);
        assert_non_null(strstr(f->reason, "its organisation 'customs' was removed at height 5"));
    }
    assert_int_equal(f->gv.removed_count, 1);
    /* The name is never used again. */
    struct ledger_gov_action again = add_member("customs", LEDGER_ROLE_CUSTOMS, 601);
    mk(f, f->pk[ACME], &again, 6);
    expect_refused(f, 6, "gov_member_new", "not used again");
    /* Its keys are known for ever. */
    k.action = LEDGER_KEY_ADD;
    mk(f, f->pk[ACME], &k, 6);
    expect_refused(f, 6, "gov_key_new", "already known");
}

static void last_voter_stays(void **state)
{
    struct fx *f = *state;
    make_genesis(f, 2);
    f->g->gov_policy.voting_roles = 1u << LEDGER_ROLE_SHIPPER;
    for (int v = 0; v < VALIDATORS; v++)
        snprintf(f->g->validators[v].org, WB_ORG_MAX + 1, "oceanic");
    restart(f);
    assert_int_equal(ledger_gov_threshold(&f->gv), 1);
    struct ledger_gov_action a = proposal_of(LEDGER_GOV_REMOVE_MEMBER);
    snprintf(a.member.name, sizeof a.member.name, "acme");
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_member_last_voter", "last voting member");
    /* Threshold 1: the proposal executes at once. */
    struct ledger_gov_action b = add_member("newco", LEDGER_ROLE_CARRIER, 500);
    struct ledger_gov_effect eff;
    mk(f, f->pk[ACME], &b, 1);
    expect_ok(f, 1, &eff);
    assert_true(eff.executed);
    assert_true(ledger_genesis_org_by_name(&f->gv.view, "newco") >= 0);
}

/* ---- validators and epochs ----------------------------------------------------------- */

static void validator_change_takes_effect_two_blocks_later(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = add_validator("node9", "customs", 900, 7009);
    snprintf(a.validator.api, sizeof a.validator.api, "127.0.0.1:7109");
    struct ledger_gov_effect eff;
    pass(f, &a, 10, &eff);
    assert_true(eff.validators_changed);
    assert_int_equal(f->gv.view.validator_count, VALIDATORS + 1);
    assert_int_equal(f->gv.epoch_count, 2);
    assert_int_equal(f->gv.epochs[1].from_height, 12);
    assert_int_equal(f->gv.epochs[1].count, VALIDATORS + 1);
    assert_string_equal(f->gv.epochs[1].validators[VALIDATORS].name, "node9");
    assert_string_equal(f->gv.epochs[1].validators[VALIDATORS].api, "127.0.0.1:7109");
    const struct ledger_gov_key *k = ledger_gov_key_find(&f->gv, a.validator.key);
    assert_non_null(k);
    assert_true(k->validator);
    assert_int_equal(k->added_height, 10);
    const struct ledger_gov_epoch *e;
    assert_true(ledger_gov_validators_at(&f->gv, 11, &e));
    assert_int_equal(e->count, VALIDATORS);
    assert_true(ledger_gov_validators_at(&f->gv, 12, &e));
    assert_int_equal(e->count, VALIDATORS + 1);
    assert_false(ledger_gov_validators_at(&f->gv, 13, &e));
    assert_int_equal(e->count, VALIDATORS + 1);
    ledger_gov_advance(&f->gv, 11, block_time(11));
    assert_true(ledger_gov_validators_at(&f->gv, 13, &e));
}

static void two_changes_in_one_block_one_epoch(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = add_validator("node9", "customs", 900, 7009);
    struct ledger_gov_action r = remove_validator("node0");
    pass(f, &a, 10, NULL);
    pass(f, &r, 10, NULL);
    assert_int_equal(f->gv.epoch_count, 2);
    assert_int_equal(f->gv.epochs[1].from_height, 12);
    assert_int_equal(f->gv.epochs[1].count, VALIDATORS);
    assert_string_equal(f->gv.epochs[1].validators[0].name, "node1");
    assert_string_equal(f->gv.epochs[1].validators[VALIDATORS - 1].name, "node9");
    /* In different blocks: an epoch each. */
    struct ledger_gov_action r2 = remove_validator("node1");
    pass(f, &r2, 11, NULL);
    assert_int_equal(f->gv.epoch_count, 3);
    assert_int_equal(f->gv.epochs[2].from_height, 13);
    assert_int_equal(f->gv.epochs[2].count, VALIDATORS - 1);
    const struct ledger_gov_epoch *e;
    assert_true(ledger_gov_validators_at(&f->gv, 12, &e));
    assert_int_equal(e->from_height, 12);
    assert_false(ledger_gov_validators_at(&f->gv, 1000, &e));
    assert_int_equal(e->from_height, 13);
}

static void add_validator_refusals(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = add_validator("node1", "customs", 900, 7009);
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_validator_new", "already named 'node1'");
    a = add_validator("node9", "customs", 100, 7009); /* node0's key */
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_validator_new", "already known");
    a = add_validator("node9", "customs", 1, 7009); /* acme's client key */
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_validator_new", "already known");
    a = add_validator("node9", "customs", 900, 7002);
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_validator_new", "p2p address");
    a = add_validator("node9", "customs", 900, 7009);
    snprintf(a.validator.api, sizeof a.validator.api, "127.0.0.1:7001");
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_validator_new", "api address");
    snprintf(a.validator.api, sizeof a.validator.api, "127.0.0.1:7009");
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_validator_new", "also its p2p");
    a = add_validator("node9", "nobody", 900, 7009);
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_validator_org", "not a member");
    /* Full. */
    make_genesis(f, ORGS);
    f->g->validator_count = WB_VALIDATORS_MAX;
    for (int v = VALIDATORS; v < WB_VALIDATORS_MAX; v++) {
        struct ledger_validator *val = &f->g->validators[v];
        test_key(100 + (uint32_t)v, val->key);
        snprintf(val->name, sizeof val->name, "node%d", v);
        snprintf(val->org, sizeof val->org, "acme");
        snprintf(val->p2p, sizeof val->p2p, "127.0.0.1:%d", 7000 + v);
    }
    restart(f);
    a = add_validator("node99", "customs", 900, 8000);
    mk(f, f->pk[ACME], &a, 1);
    expect_refused(f, 1, "gov_validator_max", "the most");
}

static void remove_validator_refusals(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action r = remove_validator("node7");
    mk(f, f->pk[ACME], &r, 1);
    expect_refused(f, 1, "gov_validator_known", "no validator");
    f->g->validator_count = 1;
    restart(f);
    r = remove_validator("node0");
    mk(f, f->pk[ACME], &r, 1);
    expect_refused(f, 1, "gov_validator_last", "add another first");
}

static void full_replacement_of_the_validators(void **state)
{
    struct fx *f = *state;
    uint64_t h = 10;
    for (int v = 0; v < VALIDATORS; v++, h += 5) {
        char name[16];
        snprintf(name, sizeof name, "new%d", v);
        struct ledger_gov_action a = add_validator(name, org_names[v % ORGS],
                                                   200 + (uint32_t)v, 8000 + v);
        pass(f, &a, h, NULL);
        snprintf(name, sizeof name, "node%d", v);
        struct ledger_gov_action r = remove_validator(name);
        pass(f, &r, h + 2, NULL);
    }
    /* Two epochs per replacement (add at h, remove at h + 2). */
    assert_int_equal(f->gv.epoch_count, 1 + 2 * VALIDATORS);
    for (int v = 0; v < VALIDATORS; v++) {
        const struct ledger_gov_epoch *add = &f->gv.epochs[1 + 2 * v];
        const struct ledger_gov_epoch *rem = &f->gv.epochs[2 + 2 * v];
        assert_int_equal(add->from_height, 10 + 5 * (uint64_t)v + 2);
        assert_int_equal(add->count, VALIDATORS + 1);
        assert_int_equal(rem->from_height, 10 + 5 * (uint64_t)v + 4);
        assert_int_equal(rem->count, VALIDATORS);
    }
    const struct ledger_gov_epoch *last = &f->gv.epochs[f->gv.epoch_count - 1];
    for (int v = 0; v < VALIDATORS; v++) {
        char name[16];
        snprintf(name, sizeof name, "new%d", v);
        assert_string_equal(last->validators[v].name, name);
    }
    const struct ledger_gov_epoch *e;
    assert_true(ledger_gov_validators_at(&f->gv, 11, &e));
    assert_int_equal(e->from_height, 1);
    assert_true(ledger_gov_validators_at(&f->gv, 13, &e));
    assert_int_equal(e->from_height, 12);
    assert_string_equal(e->validators[VALIDATORS].name, "new0");
    /* Only one left: it stays. */
    for (int v = 0; v < VALIDATORS - 1; v++) {
        char name[16];
        snprintf(name, sizeof name, "new%d", v);
        struct ledger_gov_action r = remove_validator(name);
        pass(f, &r, 100 + (uint64_t)v, NULL);
    }
    struct ledger_gov_action r = remove_validator("new3");
    mk(f, f->pk[ACME], &r, 200);
    expect_refused(f, 200, "gov_validator_last", "last validator");
}

/* ---- parameters ------------------------------------------------------------------------- */

static void set_param_updates_the_view(void **state)
{
    struct fx *f = *state;
    static const struct {
        enum ledger_gov_param p;
        int64_t v;
    } cases[] = {
        {LEDGER_PARAM_HEARTBEAT_MS, 5000},       {LEDGER_PARAM_CLOCK_SKEW_MS, 1234},
        {LEDGER_PARAM_BACKDATE_MAX_MS, 0},       {LEDGER_PARAM_PROPOSAL_TTL_MS, 86400000},
        {LEDGER_PARAM_BLOCK_EVENTS_MAX, 500},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ledger_gov_action a = proposal_of(LEDGER_GOV_SET_PARAM);
        a.param = cases[i].p;
        a.value = cases[i].v;
        pass(f, &a, 1 + i, NULL);
    }
    assert_int_equal(f->gv.view.heartbeat_ms, 5000);
    assert_int_equal(f->gv.view.clock_skew_ms, 1234);
    assert_int_equal(f->gv.view.backdate_max_ms, 0);
    assert_int_equal(f->gv.policy.proposal_ttl_ms, 86400000);
    assert_int_equal(f->gv.view.gov_policy.proposal_ttl_ms, 86400000);
    assert_int_equal(f->gv.view.block_events_max, 500);
    assert_int_equal(f->gv.epoch_count, 1);
}

/* ---- keys -------------------------------------------------------------------------------- */

static void key_add_rules(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action k = {.action = LEDGER_KEY_ADD};
    test_key(600, k.key);
    mk(f, f->pk[OCEANIC], &k, 3);
    expect_ok(f, 3, NULL);
    int o = ledger_genesis_org_by_name(&f->gv.view, "oceanic");
    assert_int_equal(f->gv.view.orgs[o].key_count, 2);
    const struct ledger_gov_key *rec = ledger_gov_key_find(&f->gv, k.key);
    assert_non_null(rec);
    assert_string_equal(rec->org, "oceanic");
    assert_int_equal(rec->added_height, 3);
    /* Used once only, by anyone. */
    mk(f, f->pk[ACME], &k, 3);
    expect_refused(f, 3, "gov_key_new", "already known");
    /* At most WB_ORG_KEYS_MAX active keys. */
    for (uint32_t i = 1; i < WB_ORG_KEYS_MAX - 1; i++) {
        test_key(600 + i, k.key);
        mk(f, f->pk[OCEANIC], &k, 4);
        expect_ok(f, 4, NULL);
    }
    assert_int_equal(f->gv.view.orgs[o].key_count, WB_ORG_KEYS_MAX);
    test_key(700, k.key);
    mk(f, f->pk[OCEANIC], &k, 5);
    expect_refused(f, 5, "gov_key_room", "revoke one first");
    /* Auditors may add keys though they do not vote. */
    f->gv.policy.voting_roles &= ~(1u << LEDGER_ROLE_AUDITOR);
    mk(f, f->pk[AUDIT], &k, 5);
    expect_ok(f, 5, NULL);
}

static void key_revoke_rules(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action r = {.action = LEDGER_KEY_REVOKE, .reason = LEDGER_REVOKE_RETIRED};
    memcpy(r.key, f->pk[ACME], WB_PUBKEY_LEN);
    mk(f, f->pk[ACME], &r, 1);
    expect_refused(f, 1, "gov_key_last", "add another key first");
    memcpy(r.key, f->pk[OCEANIC], WB_PUBKEY_LEN);
    mk(f, f->pk[ACME], &r, 1);
    expect_refused(f, 1, "gov_key_own", "not an active key of 'acme'");

    struct ledger_gov_action k = {.action = LEDGER_KEY_ADD};
    test_key(600, k.key);
    mk(f, f->pk[ACME], &k, 1);
    expect_ok(f, 1, NULL);
    /* Compromised: since may not lie after the event time + skew. */
    r.reason = LEDGER_REVOKE_COMPROMISED;
    memcpy(r.key, f->pk[ACME], WB_PUBKEY_LEN);
    r.since_ms = block_time(2) + WB_CLOCK_SKEW_MS_DEFAULT + 1;
    mk(f, k.key, &r, 2);
    expect_refused(f, 2, "gov_revoke_since", "after the event time");
    r.since_ms = block_time(2) - 3600000;
    mk(f, k.key, &r, 2);
    expect_ok(f, 2, NULL);
    const struct ledger_gov_key *rec = ledger_gov_key_find(&f->gv, f->pk[ACME]);
    assert_int_equal(rec->revoked, LEDGER_REVOKE_COMPROMISED);
    assert_int_equal(rec->revoked_height, 2);
    assert_int_equal(rec->revoked_time_ms, block_time(2));
    assert_int_equal(rec->since_ms, block_time(2) - 3600000);
    assert_false(rec->org_removed);
    assert_int_equal(ledger_genesis_org_of_key(&f->gv.view, f->pk[ACME]), -1);
    assert_int_equal(ledger_genesis_org_of_key(&f->gv.view, k.key), 0);
    assert_int_equal(ledger_gov_key_refusal(&f->gv, f->pk[ACME], f->reason, sizeof f->reason),
                     WB_ERR_RULE);
    char t[LEDGER_TIME_MAX], want[128];
    snprintf(want, sizeof want, "revoked as compromised at height 2 (not trusted since %s)",
             ledger_time_format(block_time(2) - 3600000, t));
    assert_non_null(strstr(f->reason, want));
    /* The revoked key can submit nothing more. */
    mk(f, f->pk[ACME], &k, 3);
    expect_refused(f, 3, "gov_submitter", NULL);

    /* Retired: since is its block's time. */
    struct ledger_gov_action k2 = {.action = LEDGER_KEY_ADD};
    test_key(601, k2.key);
    mk(f, k.key, &k2, 4);
    expect_ok(f, 4, NULL);
    struct ledger_gov_action r2 = {.action = LEDGER_KEY_REVOKE, .reason = LEDGER_REVOKE_RETIRED};
    memcpy(r2.key, k.key, WB_PUBKEY_LEN);
    mk(f, k.key, &r2, 5); /* a key may revoke itself */
    expect_ok(f, 5, NULL);
    rec = ledger_gov_key_find(&f->gv, k.key);
    assert_int_equal(rec->revoked, LEDGER_REVOKE_RETIRED);
    assert_int_equal(rec->since_ms, block_time(5));
    assert_int_equal(ledger_gov_key_refusal(&f->gv, k.key, f->reason, sizeof f->reason),
                     WB_ERR_RULE);
    assert_non_null(strstr(f->reason, "revoked as retired at height 5"));
    /* A revoked key is revoked for ever. */
    mk(f, k2.key, &r2, 6);
    expect_refused(f, 6, "gov_key_own", NULL);
}

/* ---- clone ------------------------------------------------------------------------------- */

static void clone_is_independent(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = add_validator("node9", "customs", 900, 7009);
    pass(f, &a, 10, NULL);
    struct ledger_gov *c = malloc(sizeof *c);
    assert_non_null(c);
    assert_int_equal(ledger_gov_clone(c, &f->gv), WB_OK);
    assert_int_equal(c->key_count, f->gv.key_count);
    assert_int_equal(c->epoch_count, 2);
    assert_int_equal(c->proposal_count, 1);
    struct ledger_gov_action r = remove_validator("node9");
    pass(f, &r, 20, NULL);
    struct ledger_gov_action k = {.action = LEDGER_KEY_ADD};
    test_key(600, k.key);
    mk(f, f->pk[ACME], &k, 21);
    expect_ok(f, 21, NULL);
    assert_int_equal(f->gv.epoch_count, 3);
    assert_int_equal(c->epoch_count, 2);
    assert_int_equal(c->proposal_count, 1);
    assert_int_equal(c->view.validator_count, VALIDATORS + 1);
    assert_null(ledger_gov_key_find(c, k.key));
    assert_non_null(ledger_gov_key_find(&f->gv, k.key));
    assert_int_equal(c->height, 10);
    ledger_gov_free(c);
    free(c);
}

/* ---- attribute decode and encode ------------------------------------------------------------ */

static void ev_attrs(struct ledger_event *ev, enum ledger_action act, const char *const *kv)
{
    memset(ev, 0, sizeof *ev);
    snprintf(ev->item, sizeof ev->item, "%s", WB_GOV_CHAIN);
    ev->action = act;
    for (size_t i = 0; kv[2 * i]; i++) {
        snprintf(ev->attrs[i].key, sizeof ev->attrs[i].key, "%s", kv[2 * i]);
        snprintf(ev->attrs[i].value, sizeof ev->attrs[i].value, "%s", kv[2 * i + 1]);
        ev->attr_count = i + 1;
    }
}

static void expect_decode_error(enum ledger_action act, const char *const *kv, const char *words)
{
    struct ledger_event ev;
    struct ledger_gov_action a;
    char msg[512] = "";
    ev_attrs(&ev, act, kv);
    assert_int_equal(ledger_gov_action_decode(&ev, &a, msg, sizeof msg), WB_ERR_INVALID);
    if (!strstr(msg, words)) fail_msg("message '%s' lacks '%s'", msg, words);
}

static void decode_is_strict(void **state)
{
    (void)state;
    uint8_t pk[WB_PUBKEY_LEN];
    char hex[65], upper[65];
    test_key(5, pk);
    wb_hex_encode(pk, WB_PUBKEY_LEN, hex, sizeof hex);
    for (int i = 0; i < 65; i++) upper[i] = (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]);
    char bad_point[65];
    memset(bad_point, 'f', 64);
    bad_point[64] = '\0';

    expect_decode_error(LEDGER_KEY_ADD, (const char *[]){NULL}, "'key' is required");
    expect_decode_error(LEDGER_KEY_ADD, (const char *[]){"key", upper, NULL}, "lowercase hex");
    expect_decode_error(LEDGER_KEY_ADD, (const char *[]){"key", "abc", NULL}, "lowercase hex");
    expect_decode_error(LEDGER_KEY_ADD, (const char *[]){"key", bad_point, NULL},
                        "not a valid Ed25519");
    expect_decode_error(LEDGER_KEY_ADD, (const char *[]){"key", hex, "colour", "red", NULL},
                        "'colour' is not one this action takes");
    expect_decode_error(LEDGER_KEY_REVOKE, (const char *[]){"key", hex, "reason", "lost", NULL},
                        "retired or compromised");
    expect_decode_error(LEDGER_KEY_REVOKE,
                        (const char *[]){"key", hex, "reason", "compromised", NULL},
                        "'since' is required");
    expect_decode_error(LEDGER_KEY_REVOKE,
                        (const char *[]){"key", hex, "reason", "compromised", "since",
                                         "2026-02-30T00:00:00Z", NULL},
                        "RFC 3339");
    expect_decode_error(LEDGER_KEY_REVOKE,
                        (const char *[]){"key", hex, "reason", "retired", "since",
                                         "2026-01-01T00:00:00Z", NULL},
                        "compromised only");
    expect_decode_error(LEDGER_GOV_PROPOSE, (const char *[]){"kind", "rename", NULL},
                        "'kind' must be");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "add_member", "org", " acme", "role",
                                         "shipper", "key1", hex, NULL},
                        "organisation name");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "add_member", "org", "x", "role", "pilot",
                                         "key1", hex, NULL},
                        "'role' must be");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "add_member", "org", "x", "role", "shipper",
                                         NULL},
                        "'key1' is required");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "add_member", "org", "x", "role", "shipper",
                                         "key1", hex, "key2", hex, NULL},
                        "repeats key1");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "add_member", "org", "x", "role", "shipper",
                                         "key1", hex, "key3", hex, NULL},
                        "'key3' is not one");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "remove_member", "org", "x", "role",
                                         "shipper", NULL},
                        "'role' is not one");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "add_validator", "name", "n_1!", "org", "x",
                                         "key", hex, "p2p", "127.0.0.1:7000", NULL},
                        "validator name");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "add_validator", "name", "n1", "org", "x",
                                         "key", hex, "p2p", "node_1:7000", NULL},
                        "'p2p'");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "add_validator", "name", "n1", "org", "x",
                                         "key", hex, "p2p", "h:1", "api", "h:0", NULL},
                        "'api'");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "set_param", "param", "colour", "value", "1",
                                         NULL},
                        "'param' must be");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "set_param", "param", "heartbeat_ms", "value",
                                         "99", NULL},
                        "from 100 to 86400000");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "set_param", "param", "clock_skew_ms", "value",
                                         "-1", NULL},
                        "'value'");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "set_param", "param", "clock_skew_ms", "value",
                                         "012", NULL},
                        "'value'");
    expect_decode_error(LEDGER_GOV_PROPOSE,
                        (const char *[]){"kind", "set_param", "param", "block_events_max",
                                         "value", "100001", NULL},
                        "'value'");
    expect_decode_error(LEDGER_GOV_APPROVE, (const char *[]){"proposal", "xyz", NULL},
                        "'proposal' must be 64 lowercase hex");
    expect_decode_error(LEDGER_GOV_APPROVE, (const char *[]){"proposal", hex, "note", "hi", NULL},
                        "'note' is not one");

    /* Not on the governance chain, not a governance action. */
    struct ledger_event ev;
    struct ledger_gov_action a;
    char msg[256];
    ev_attrs(&ev, LEDGER_KEY_ADD, (const char *[]){"key", hex, NULL});
    assert_int_equal(ledger_gov_action_decode(&ev, &a, msg, sizeof msg), WB_OK);
    assert_memory_equal(a.key, pk, WB_PUBKEY_LEN);
    snprintf(ev.item, sizeof ev.item, "CSQU3054383");
    assert_int_equal(ledger_gov_action_decode(&ev, &a, msg, sizeof msg), WB_ERR_INVALID);
    ev_attrs(&ev, LEDGER_SEAL, (const char *[]){"seal", "S1", NULL});
    assert_int_equal(ledger_gov_action_decode(&ev, &a, msg, sizeof msg), WB_ERR_INVALID);
    /* since with milliseconds. */
    ev_attrs(&ev, LEDGER_KEY_REVOKE,
             (const char *[]){"key", hex, "reason", "compromised", "since",
                              "2023-11-14T22:13:20.5Z", NULL});
    assert_int_equal(ledger_gov_action_decode(&ev, &a, msg, sizeof msg), WB_OK);
    assert_int_equal(a.since_ms, GENESIS_MS + 500);
    assert_int_equal(a.reason, LEDGER_REVOKE_COMPROMISED);
}

static void roundtrip(const struct ledger_gov_action *in)
{
    struct ledger_event ev;
    struct ledger_gov_action out;
    char msg[256] = "";
    memset(&ev, 0, sizeof ev);
    if (ledger_gov_action_encode(in, &ev, msg, sizeof msg)) fail_msg("encode: %s", msg);
    assert_string_equal(ev.item, WB_GOV_CHAIN);
    assert_int_equal(ev.action, in->action);
    if (ledger_gov_action_decode(&ev, &out, msg, sizeof msg)) fail_msg("decode: %s", msg);
    assert_memory_equal(&out, in, sizeof out);
}

static void encode_decode_roundtrip(void **state)
{
    (void)state;
    struct ledger_gov_action a;
    memset(&a, 0, sizeof a);
    a.action = LEDGER_KEY_ADD;
    test_key(3, a.key);
    roundtrip(&a);
    a.action = LEDGER_KEY_REVOKE;
    a.reason = LEDGER_REVOKE_COMPROMISED;
    a.since_ms = GENESIS_MS + 123;
    roundtrip(&a);
    a.reason = LEDGER_REVOKE_RETIRED;
    a.since_ms = 0;
    roundtrip(&a);
    a = add_member("New Co", LEDGER_ROLE_AUDITOR, 10);
    a.member.key_count = WB_ORG_KEYS_MAX;
    for (uint32_t i = 0; i < WB_ORG_KEYS_MAX; i++) test_key(10 + i, a.member.keys[i]);
    snprintf(a.note, sizeof a.note, "eight keys");
    roundtrip(&a);
    a = proposal_of(LEDGER_GOV_REMOVE_MEMBER);
    snprintf(a.member.name, sizeof a.member.name, "acme");
    roundtrip(&a);
    a = add_validator("node9", "acme", 20, 7009);
    roundtrip(&a);
    snprintf(a.validator.api, sizeof a.validator.api, "[::1]:7100");
    roundtrip(&a);
    a = remove_validator("node9");
    roundtrip(&a);
    a = proposal_of(LEDGER_GOV_SET_PARAM);
    a.param = LEDGER_PARAM_BACKDATE_MAX_MS;
    a.value = WB_BACKDATE_MAX_MS_MAX;
    roundtrip(&a);
    uint8_t id[WB_HASH_LEN] = {9, 8, 7};
    a = approval(id);
    roundtrip(&a);

    /* A p2p address too long for an attribute value. */
    a = add_validator("node9", "acme", 20, 7009);
    memset(a.validator.p2p, 'a', 200);
    snprintf(a.validator.p2p + 200, sizeof a.validator.p2p - 200, ".example:7000");
    struct ledger_event ev;
    char msg[256] = "";
    memset(&ev, 0, sizeof ev);
    assert_int_equal(ledger_gov_action_encode(&a, &ev, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "p2p is 213 bytes"));
    assert_int_equal(ev.attr_count, 0);
}

static void names(void **state)
{
    (void)state;
    assert_string_equal(ledger_gov_kind_name(LEDGER_GOV_SET_PARAM), "set_param");
    assert_int_equal(ledger_gov_kind_parse("add_validator"), LEDGER_GOV_ADD_VALIDATOR);
    assert_int_equal(ledger_gov_kind_parse("nope"), LEDGER_GOV_NONE);
    assert_null(ledger_gov_kind_name((enum ledger_gov_kind)99));
    assert_string_equal(ledger_gov_param_name(LEDGER_PARAM_PROPOSAL_TTL_MS), "proposal_ttl_ms");
    assert_int_equal(ledger_gov_param_parse("block_events_max"), LEDGER_PARAM_BLOCK_EVENTS_MAX);
    assert_string_equal(ledger_revoke_reason_name(LEDGER_REVOKE_RETIRED), "retired");
    assert_null(ledger_revoke_reason_name(LEDGER_REVOKE_NONE));
    assert_string_equal(ledger_gov_status_name(LEDGER_PROPOSAL_PENDING), "pending");
    assert_null(ledger_gov_status_name((enum ledger_gov_status)0));
}

static void every_rule_refuses_in_a_test(void **state)
{
    (void)state;
    for (size_t i = 0; i < GOV_RULES; i++)
        if (!rule_seen[i]) fail_msg("no test saw rule %s refuse", gov_rule_names[i]);
}

/* ---- the device registry ------------------------------------------------------ */

static struct ledger_gov_action device_reg(uint32_t key, const char *kind, const char *serial,
                                           const char *seal)
{
    struct ledger_gov_action a;
    memset(&a, 0, sizeof a);
    a.action = LEDGER_DEVICE_REGISTER;
    test_key(key, a.key);
    a.device_kind = ledger_device_kind_parse(kind);
    snprintf(a.serial, sizeof a.serial, "%s", serial);
    snprintf(a.seal, sizeof a.seal, "%s", seal ? seal : "");
    return a;
}

static void device_register_and_retire(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = device_reg(700, "eseal", "ES-700", "ACME-700");
    mk(f, f->pk[ACME], &a, 2);
    uint8_t reg_id[WB_HASH_LEN];
    memcpy(reg_id, f->ev.id, WB_HASH_LEN);
    expect_ok(f, 2, NULL);
    const struct ledger_gov_device *d = ledger_gov_device_find(&f->gv, a.key);
    assert_non_null(d);
    assert_string_equal(d->owner, "acme");
    assert_int_equal(d->kind, LEDGER_DEVICE_ESEAL);
    assert_string_equal(d->serial, "ES-700");
    assert_string_equal(d->seal, "ACME-700");
    assert_memory_equal(d->registered_event, reg_id, WB_HASH_LEN);
    assert_int_equal(d->registered_height, 2);
    assert_int_equal(d->registered_time_ms, block_time(2));
    assert_false(d->retired);
    /* Once only, and not a member's key; a device key is no member key. */
    mk(f, f->pk[OCEANIC], &a, 3);
    expect_refused(f, 3, "gov_device_new", "was registered by 'acme' at height 2");
    struct ledger_gov_action m = device_reg(1, "tracker", "TR-1", NULL);
    memcpy(m.key, f->pk[OCEANIC], WB_PUBKEY_LEN);
    mk(f, f->pk[OCEANIC], &m, 3);
    expect_refused(f, 3, "gov_device_new", "is a member's or validator's key");
    struct ledger_gov_action k = {.action = LEDGER_KEY_ADD};
    memcpy(k.key, a.key, WB_PUBKEY_LEN);
    mk(f, f->pk[ACME], &k, 3);
    expect_refused(f, 3, "gov_key_new", "already known");
    /* Retired by its owner only, once. */
    struct ledger_gov_action r;
    memset(&r, 0, sizeof r);
    r.action = LEDGER_DEVICE_RETIRE;
    memcpy(r.key, a.key, WB_PUBKEY_LEN);
    mk(f, f->pk[OCEANIC], &r, 4);
    expect_refused(f, 4, "gov_device_own", "only its owner retires it");
    mk(f, f->pk[ACME], &r, 4);
    expect_ok(f, 4, NULL);
    d = ledger_gov_device_find(&f->gv, a.key);
    assert_true(d->retired);
    assert_int_equal(d->retired_height, 4);
    mk(f, f->pk[ACME], &r, 5);
    expect_refused(f, 5, "gov_device_active", "was retired at height 4 already");
    test_key(701, r.key);
    mk(f, f->pk[ACME], &r, 5);
    expect_refused(f, 5, "gov_device_known", "no device is registered");
    mk(f, f->pk[ACME], &a, 5);
    expect_refused(f, 5, "gov_device_new", "and retired since");
    /* A clone holds the registry too. */
    struct ledger_gov c;
    assert_int_equal(ledger_gov_clone(&c, &f->gv), WB_OK);
    assert_int_equal(c.device_count, 1);
    assert_true(ledger_gov_device_find(&c, a.key)->retired);
    ledger_gov_free(&c);
}

static void device_attrs_are_strict(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = device_reg(710, "tracker", "TR-710", "X-1");
    char msg[256] = "";
    assert_int_equal(ledger_gov_action_encode(&a, &f->ev, msg, sizeof msg), WB_OK);
    struct ledger_gov_action back;
    assert_int_equal(ledger_gov_action_decode(&f->ev, &back, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "'seal' is for kind=eseal only"));
    a = device_reg(711, "eseal", "ES-711", NULL);
    assert_int_equal(ledger_gov_action_encode(&a, &f->ev, msg, sizeof msg), WB_OK);
    assert_int_equal(ledger_gov_action_decode(&f->ev, &back, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "'seal' is required for kind=eseal"));
    a = device_reg(712, "eseal", "ES 712", "S1");
    assert_int_equal(ledger_gov_action_encode(&a, &f->ev, msg, sizeof msg), WB_OK);
    assert_int_equal(ledger_gov_action_decode(&f->ev, &back, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "'serial' must be"));
    a = device_reg(713, "eseal", "ES-713", "s1");
    assert_int_equal(ledger_gov_action_encode(&a, &f->ev, msg, sizeof msg), WB_OK);
    assert_int_equal(ledger_gov_action_decode(&f->ev, &back, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "ISO 17712"));
    a = device_reg(714, "eseal", "ES-714", "ACME-714");
    assert_int_equal(ledger_gov_action_encode(&a, &f->ev, msg, sizeof msg), WB_OK);
    assert_int_equal(ledger_gov_action_decode(&f->ev, &back, msg, sizeof msg), WB_OK);
    assert_memory_equal(&back, &a, sizeof a);
    snprintf(f->ev.attrs[1].value, sizeof f->ev.attrs[1].value, "toaster");
    assert_int_equal(ledger_gov_action_decode(&f->ev, &back, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "'kind' must be eseal, tracker"));
    mk(f, f->pk[ACME], &a, 2);
    snprintf(f->ev.attrs[1].value, sizeof f->ev.attrs[1].value, "toaster");
    expect_refused(f, 2, "gov_attrs", "'kind' must be");
}

static void removed_owner_retires_devices(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = device_reg(720, "tracker", "TR-720", NULL);
    mk(f, f->pk[CUSTOMS], &a, 1);
    expect_ok(f, 1, NULL);
    struct ledger_gov_action m = proposal_of(LEDGER_GOV_REMOVE_MEMBER);
    snprintf(m.member.name, sizeof m.member.name, "customs");
    pass(f, &m, 5, NULL);
    const struct ledger_gov_device *d = ledger_gov_device_find(&f->gv, a.key);
    assert_non_null(d);
    assert_true(d->retired);
    assert_int_equal(d->retired_height, 5);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(init_from_genesis),
        T(threshold_arithmetic),
        T(non_voter_refused),
        T(unknown_submitter_refused),
        T(malformed_event_refused_by_check),
        T(members_bounded),
        T(proposal_executes_at_threshold_only),
        T(proposal_without_threshold_never_executes),
        T(same_org_approves_once),
        T(unknown_proposal_refused),
        T(expired_proposal_refused),
        T(pending_proposals_bounded),
        T(add_member_refusals),
        T(remove_member_needs_no_validators),
        T(removed_member_keys_refused),
        T(last_voter_stays),
        T(validator_change_takes_effect_two_blocks_later),
        T(two_changes_in_one_block_one_epoch),
        T(add_validator_refusals),
        T(remove_validator_refusals),
        T(full_replacement_of_the_validators),
        T(set_param_updates_the_view),
        T(key_add_rules),
        T(key_revoke_rules),
        T(clone_is_independent),
        T(device_register_and_retire),
        T(device_attrs_are_strict),
        T(removed_owner_retires_devices),
        cmocka_unit_test(decode_is_strict),
        cmocka_unit_test(encode_decode_roundtrip),
        cmocka_unit_test(names),
        cmocka_unit_test(every_rule_refuses_in_a_test), /* last: counts the ones above */
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
