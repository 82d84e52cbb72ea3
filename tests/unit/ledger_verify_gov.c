/* ledger_verify_bundle with a governance section: a chain built in memory
 * whose four original validators are replaced one by one by proposals, a
 * client key revoked as compromised, an organisation removed; item bundles
 * from before and after verify against the original genesis alone, fail
 * against a genesis with other keys and without the governance they need;
 * a compromised key's events are plain, marked or refused by their time and
 * block. Every block holds one event and is certified by the validator set
 * of its height, as the test's own replay of the governance events gives
 * it. */
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
#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/genesis.h"
#include "ledger/gov.h"
#include "ledger/gov_history.h"
#include "ledger/sha256.h"
#include "ledger/verify.h"
#include "proto/waybill.pb-c.h"

#define T_GENESIS_MS INT64_C(1700000000000)
#define T_GAP_MS 60000
#define T_BLOCKS_MAX 48
#define T_VALS 8               /* 4 original, 4 replacements */
#define T_GOV "urn:waybill:governance"

enum { K_ACME, K_ACME2, K_OCEANIC, K_CUSTOMS, K_COUNT };

struct t_block {
    uint64_t height;
    uint8_t ev[WB_SIGNED_EVENT_MAX];
    size_t len;
    bool gov;
    char item[WB_ITEM_MAX + 1];
    uint8_t header[WB_HEADER_MAX];
    size_t header_len;
    uint8_t hash[WB_HASH_LEN];
    size_t n_sig;
    uint32_t sig_index[WB_VALIDATORS_MAX];
    uint8_t sigs[WB_VALIDATORS_MAX][WB_SIG_LEN];
};

struct t_chain {
    struct ledger_genesis *g;
    struct ledger_gov gv;             /* the test's replay, for the sets */
    uint8_t pk[K_COUNT][WB_PUBKEY_LEN], sk[K_COUNT][WB_SECKEY_LEN];
    uint8_t vpk[T_VALS][WB_PUBKEY_LEN], vsk[T_VALS][WB_SECKEY_LEN];
    struct t_block blocks[T_BLOCKS_MAX];
    size_t n;
    uint8_t prev_hash[WB_HASH_LEN];
    uint8_t gov_head[WB_HASH_LEN];
    bool gov_any;
    uint64_t nonce;
    int64_t since_ms;                 /* the compromise's since */
    uint64_t revoke_height;
};

static int64_t t_time(uint64_t h) { return T_GENESIS_MS + T_GAP_MS * (int64_t)h; }

static struct ledger_genesis *t_genesis(const uint8_t (*pk)[WB_PUBKEY_LEN],
                                        const uint8_t (*vpk)[WB_PUBKEY_LEN])
{
    struct ledger_genesis *g = calloc(1, sizeof *g);
    assert_non_null(g);
    char json[4096], a[65], b[65], o[65], c[65];
    int n = snprintf(
        json, sizeof json,
        "{\"chain_id\": \"gov-verify\", \"genesis_time\": \"2023-11-14T22:13:20Z\", "
        "\"members\": [{\"org\": \"acme\", \"role\": \"shipper\", \"keys\": [\"%s\", \"%s\"]}, "
        "{\"org\": \"oceanic\", \"role\": \"carrier\", \"keys\": [\"%s\"]}, "
        "{\"org\": \"customs\", \"role\": \"customs\", \"keys\": [\"%s\"]}], \"validators\": [",
        wb_hex_encode(pk[K_ACME], 32, a, sizeof a), wb_hex_encode(pk[K_ACME2], 32, b, sizeof b),
        wb_hex_encode(pk[K_OCEANIC], 32, o, sizeof o),
        wb_hex_encode(pk[K_CUSTOMS], 32, c, sizeof c));
    static const char *const vorg[4] = {"acme", "oceanic", "customs", "acme"};
    for (int v = 0; v < 4; v++)
        n += snprintf(json + n, sizeof json - (size_t)n,
                      "%s{\"name\": \"node%d\", \"org\": \"%s\", \"key\": \"%s\", \"p2p\": "
                      "\"127.0.0.1:%d\"}",
                      v ? ", " : "", v, vorg[v], wb_hex_encode(vpk[v], 32, a, sizeof a), 7000 + v);
    n += snprintf(json + n, sizeof json - (size_t)n, "]}");
    char msg[256] = "";
    int rc = ledger_genesis_parse((const uint8_t *)json, (size_t)n, g, msg, sizeof msg);
    if (rc) fail_msg("genesis: %s", msg);
    return g;
}

/* Appends a block holding one signed event, certified by the set of its
 * height; a governance event is applied to the test's replay. */
static void t_block_add(struct t_chain *c, struct ledger_event *ev, int key)
{
    assert_true(c->n < T_BLOCKS_MAX);
    struct t_block *b = &c->blocks[c->n];
    memset(b, 0, sizeof *b);
    b->height = c->n + 1;
    ev->time_ms = ev->time_ms ? ev->time_ms : t_time(b->height) - 100;
    memcpy(ev->submitter, c->pk[key], WB_PUBKEY_LEN);
    ev->nonce = ++c->nonce;
    b->gov = strcmp(ev->item, T_GOV) == 0;
    if (b->gov && c->gov_any) {
        ev->has_prev = true;
        memcpy(ev->prev, c->gov_head, WB_HASH_LEN);
    }
    snprintf(b->item, sizeof b->item, "%s", ev->item);
    int rc = ledger_event_sign(c->g->chain_id, ev, c->sk[key], b->ev, sizeof b->ev, &b->len);
    if (rc) fail_msg("sign: %s", wb_strerror(rc));
    struct ledger_block_header h;
    memset(&h, 0, sizeof h);
    h.version = WB_BLOCK_VERSION;
    memcpy(h.chain_id, c->g->chain_id, WB_CHAIN_ID_LEN);
    h.height = b->height;
    h.time_ms = t_time(b->height);
    memcpy(h.prev_hash, c->prev_hash, WB_HASH_LEN);
    const struct ledger_gov_epoch *set;
    bool final = ledger_gov_validators_at(&c->gv, b->height, &set);
    assert_true(final);
    h.proposer = (uint32_t)(b->height % set->count);
    const uint8_t *ptrs[1] = {b->ev};
    uint8_t *buf, hash[WB_HASH_LEN];
    size_t len;
    rc = ledger_block_build(&h, ptrs, &b->len, 1, &buf, &len, hash);
    if (rc) fail_msg("block: %s", wb_strerror(rc));
    free(buf);
    rc = ledger_header_encode(&h, b->header, sizeof b->header, &b->header_len);
    if (rc) fail_msg("header: %s", wb_strerror(rc));
    ledger_sha256(b->header, b->header_len, b->hash);
    memcpy(c->prev_hash, b->hash, WB_HASH_LEN);
    uint8_t msg[WB_SIGMSG_MAX];
    size_t mn = wb_sigmsg_vote(msg, c->g->chain_id, WAYBILL__VOTE_TYPE__PRECOMMIT, b->height, 0,
                               b->hash);
    for (size_t i = 0; i < set->count; i++) {
        int v = -1;
        for (int k = 0; k < T_VALS; k++)
            if (memcmp(c->vpk[k], set->validators[i].key, WB_PUBKEY_LEN) == 0) v = k;
        assert_true(v >= 0);
        b->sig_index[b->n_sig] = (uint32_t)i;
        if (wb_sign(msg, mn, c->vsk[v], b->sigs[b->n_sig]) != WB_OK) fail_msg("wb_sign");
        b->n_sig++;
    }
    if (b->gov) {
        char why[512] = "";
        rc = ledger_gov_check(&c->gv, ev, b->height, h.time_ms, why, sizeof why);
        if (rc) fail_msg("gov check at %llu: %s", (unsigned long long)b->height, why);
        assert_int_equal(ledger_gov_apply(&c->gv, ev, b->height, h.time_ms, NULL), WB_OK);
        memcpy(c->gov_head, ev->id, WB_HASH_LEN);
        c->gov_any = true;
    } else {
        ledger_gov_advance(&c->gv, b->height, h.time_ms);
    }
    c->n++;
}

static void t_gov(struct t_chain *c, int key, const struct ledger_gov_action *a, uint8_t id[32])
{
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    char msg[256] = "";
    if (ledger_gov_action_encode(a, &ev, msg, sizeof msg)) fail_msg("encode: %s", msg);
    t_block_add(c, &ev, key);
    if (id) memcpy(id, ev.id, WB_HASH_LEN);
}

static void t_commission(struct t_chain *c, int key, const char *item, int64_t time_ms)
{
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "%s", item);
    ev.action = LEDGER_COMMISSION;
    snprintf(ev.location, sizeof ev.location, "NLRTM");
    ev.time_ms = time_ms;
    t_block_add(c, &ev, key);
}

/* Proposal by acme, approval by oceanic: executes. */
static void t_pass(struct t_chain *c, struct ledger_gov_action *a)
{
    uint8_t id[WB_HASH_LEN];
    a->action = LEDGER_GOV_PROPOSE;
    t_gov(c, K_ACME, a, id);
    struct ledger_gov_action ap;
    memset(&ap, 0, sizeof ap);
    ap.action = LEDGER_GOV_APPROVE;
    memcpy(ap.proposal, id, WB_HASH_LEN);
    t_gov(c, K_OCEANIC, &ap, NULL);
}

/* The chain (heights in order):
 *   1          commission ITEM-BEFORE (acme)
 *   2..17      node4..node7 added, node0..node3 removed, one by one
 *   18         commission ITEM-AFTER (acme)
 *   19         commission ITEM-X by acme's second key, before since
 *   20         commission ITEM-Y by that key, after since
 *   21         key_revoke of that key as compromised since between 19 and 20
 *   22         commission ITEM-Z by the revoked key
 *   23, 24     customs removed
 *   25         commission ITEM-C by customs' key */
static void t_chain_build(struct t_chain *c)
{
    memset(c, 0, sizeof *c);
    for (int k = 0; k < K_COUNT; k++) {
        uint8_t seed[32] = {(uint8_t)(k + 1), 0x61};
        assert_int_equal(crypto_sign_seed_keypair(c->pk[k], c->sk[k], seed), 0);
    }
    for (int v = 0; v < T_VALS; v++) {
        uint8_t seed[32] = {(uint8_t)(100 + v), 0x61};
        assert_int_equal(crypto_sign_seed_keypair(c->vpk[v], c->vsk[v], seed), 0);
    }
    c->g = t_genesis((const uint8_t(*)[WB_PUBKEY_LEN])c->pk,
                     (const uint8_t(*)[WB_PUBKEY_LEN])c->vpk);
    assert_int_equal(ledger_gov_init(&c->gv, c->g), WB_OK);
    t_commission(c, K_ACME, "urn:example:BEFORE", 0);
    for (int v = 0; v < 4; v++) {
        struct ledger_gov_action a;
        memset(&a, 0, sizeof a);
        a.kind = LEDGER_GOV_ADD_VALIDATOR;
        snprintf(a.validator.name, sizeof a.validator.name, "node%d", 4 + v);
        snprintf(a.validator.org, sizeof a.validator.org, "%s", v % 2 ? "oceanic" : "acme");
        memcpy(a.validator.key, c->vpk[4 + v], WB_PUBKEY_LEN);
        snprintf(a.validator.p2p, sizeof a.validator.p2p, "127.0.0.1:%d", 7104 + v);
        t_pass(c, &a);
        memset(&a, 0, sizeof a);
        a.kind = LEDGER_GOV_REMOVE_VALIDATOR;
        snprintf(a.validator.name, sizeof a.validator.name, "node%d", v);
        t_pass(c, &a);
    }
    t_commission(c, K_ACME, "urn:example:AFTER", 0);
    t_commission(c, K_ACME2, "urn:example:X", 0);
    c->since_ms = t_time(20) - 30000;
    t_commission(c, K_ACME2, "urn:example:Y", t_time(20) - 100);
    struct ledger_gov_action r;
    memset(&r, 0, sizeof r);
    r.action = LEDGER_KEY_REVOKE;
    memcpy(r.key, c->pk[K_ACME2], WB_PUBKEY_LEN);
    r.reason = LEDGER_REVOKE_COMPROMISED;
    r.since_ms = c->since_ms;
    t_gov(c, K_ACME, &r, NULL);
    c->revoke_height = c->n;
    t_commission(c, K_ACME2, "urn:example:Z", 0);
    struct ledger_gov_action rm;
    memset(&rm, 0, sizeof rm);
    rm.kind = LEDGER_GOV_REMOVE_MEMBER;
    snprintf(rm.member.name, sizeof rm.member.name, "customs");
    t_pass(c, &rm);
    t_commission(c, K_CUSTOMS, "urn:example:C", 0);
}

static void t_chain_free(struct t_chain *c)
{
    ledger_gov_free(&c->gv);
    free(c->g);
}

/* A bundle's parts, kept alive until packed. */
struct t_parts {
    Waybill__ProofEvent pe[T_BLOCKS_MAX], *pe_ptr[T_BLOCKS_MAX];
    Waybill__ProofBlock pb[T_BLOCKS_MAX], *pb_ptr[T_BLOCKS_MAX];
    Waybill__CommitCert cert[T_BLOCKS_MAX];
    Waybill__Vote votes[T_BLOCKS_MAX][WB_VALIDATORS_MAX], *vote_ptr[T_BLOCKS_MAX][WB_VALIDATORS_MAX];
    size_t n;
};

static void t_parts_add(struct t_parts *p, const struct t_block *b)
{
    size_t j = p->n++;
    waybill__proof_event__init(&p->pe[j]);
    p->pe[j].signed_event.data = (uint8_t *)b->ev;
    p->pe[j].signed_event.len = b->len;
    p->pe[j].height = b->height;
    p->pe_ptr[j] = &p->pe[j];
    waybill__proof_block__init(&p->pb[j]);
    p->pb[j].height = b->height;
    p->pb[j].header.data = (uint8_t *)b->header;
    p->pb[j].header.len = b->header_len;
    waybill__commit_cert__init(&p->cert[j]);
    p->cert[j].height = b->height;
    p->cert[j].block_hash.data = (uint8_t *)b->hash;
    p->cert[j].block_hash.len = WB_HASH_LEN;
    for (size_t v = 0; v < b->n_sig; v++) {
        Waybill__Vote *vo = &p->votes[j][v];
        waybill__vote__init(vo);
        vo->type = WAYBILL__VOTE_TYPE__PRECOMMIT;
        vo->height = b->height;
        vo->block_hash.data = (uint8_t *)b->hash;
        vo->block_hash.len = WB_HASH_LEN;
        vo->validator = b->sig_index[v];
        vo->signature.data = (uint8_t *)b->sigs[v];
        vo->signature.len = WB_SIG_LEN;
        p->vote_ptr[j][v] = vo;
    }
    p->cert[j].n_precommits = b->n_sig;
    p->cert[j].precommits = p->vote_ptr[j];
    p->pb[j].cert = &p->cert[j];
    p->pb_ptr[j] = &p->pb[j];
}

static void t_parts_set(Waybill__ProofBundle *bundle, struct t_parts *p, const char *item)
{
    waybill__proof_bundle__init(bundle);
    bundle->item = (char *)item;
    bundle->n_events = p->n;
    bundle->events = p->pe_ptr;
    bundle->n_blocks = p->n;
    bundle->blocks = p->pb_ptr;
}

/* The bundle of `item` (its one event), with the governance chain's bundle
 * when with_gov (leaving out the governance block at height `omit`, 0:
 * none). Returns malloc'd bytes. */
static uint8_t *t_bundle(const struct t_chain *c, const char *item, bool with_gov, uint64_t omit,
                         size_t *len)
{
    struct t_parts *ip = calloc(1, sizeof *ip), *gp = calloc(1, sizeof *gp);
    assert_non_null(ip);
    assert_non_null(gp);
    for (size_t k = 0; k < c->n; k++) {
        const struct t_block *b = &c->blocks[k];
        if (strcmp(b->item, item) == 0) t_parts_add(ip, b);
        if (with_gov && b->gov && b->height != omit) t_parts_add(gp, b);
    }
    assert_true(ip->n > 0);
    Waybill__ProofBundle bundle, gov;
    t_parts_set(&bundle, ip, item);
    if (with_gov) {
        t_parts_set(&gov, gp, T_GOV);
        bundle.governance = &gov;
    }
    *len = waybill__proof_bundle__get_packed_size(&bundle);
    uint8_t *buf = malloc(*len);
    assert_non_null(buf);
    waybill__proof_bundle__pack(&bundle, buf);
    free(ip);
    free(gp);
    return buf;
}

struct t_marks {
    size_t calls, marked;
    char mark[512];
};

static void t_on_event(void *ctx, size_t index, const struct ledger_event *ev, const char *org,
                       uint64_t height, uint32_t pos, bool out_of_order, bool ok,
                       const char *check, const char *detail, const char *mark,
                       const struct ledger_gov *gov)
{
    (void)index, (void)org, (void)height, (void)pos, (void)out_of_order, (void)check,
        (void)detail;
    struct t_marks *m = ctx;
    m->calls++;
    /* An accepted event's registry is the one that judged it: its signer
     * is a member there. A failed event gets none. */
    if (ok && gov) assert_true(ledger_genesis_org_of_key(&gov->view, ev->submitter) >= 0);
    if (!ok) assert_null(gov);
    if (mark) {
        assert_true(ok);
        m->marked++;
        snprintf(m->mark, sizeof m->mark, "%s", mark);
    }
}

static int t_verify(const struct ledger_genesis *g, const uint8_t *buf, size_t len,
                    struct ledger_verify_result *res, struct t_marks *m)
{
    memset(m, 0, sizeof *m);
    return ledger_verify_bundle(g, NULL, buf, len, NULL, t_on_event, m, res);
}

static int setup(void **state)
{
    struct t_chain *c = calloc(1, sizeof *c);
    if (!c) return -1;
    t_chain_build(c);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct t_chain *c = *state;
    t_chain_free(c);
    free(c);
    return 0;
}

/* (a) before and after a complete replacement of the validators: both
 * verify against the original genesis, and fail against other keys. */
static void test_replaced_validators(void **state)
{
    struct t_chain *c = *state;
    const struct ledger_gov_epoch *set;
    assert_true(ledger_gov_validators_at(&c->gv, 20, &set));
    assert_int_equal(set->count, 4);
    for (size_t i = 0; i < set->count; i++)
        for (int v = 0; v < 4; v++)
            assert_memory_not_equal(set->validators[i].key, c->vpk[v], WB_PUBKEY_LEN);
    struct ledger_verify_result *res = malloc(sizeof *res);
    assert_non_null(res);
    struct t_marks m;
    const char *items[] = {"urn:example:BEFORE", "urn:example:AFTER"};
    for (int i = 0; i < 2; i++) {
        size_t len;
        uint8_t *buf = t_bundle(c, items[i], true, 0, &len);
        int rc = t_verify(c->g, buf, len, res, &m);
        if (rc) fail_msg("%s: %s", items[i], res->message);
        assert_true(res->gov_present);
        assert_int_equal(res->gov_events, 19);
        assert_false(res->gov_complete);
        assert_non_null(strstr(res->governance, "19 events from genesis, not proven complete"));
        assert_int_equal(res->events_marked, 0);
        /* Another genesis: same chain, other validator keys. */
        uint8_t other[T_VALS][WB_PUBKEY_LEN];
        for (int v = 0; v < T_VALS; v++) {
            uint8_t seed[32] = {(uint8_t)(200 + v), 0x61}, sk[WB_SECKEY_LEN];
            assert_int_equal(crypto_sign_seed_keypair(other[v], sk, seed), 0);
        }
        struct ledger_genesis *g2 = t_genesis((const uint8_t(*)[WB_PUBKEY_LEN])c->pk,
                                              (const uint8_t(*)[WB_PUBKEY_LEN])other);
        assert_int_equal(t_verify(g2, buf, len, res, &m), WB_ERR_VERIFY);
        assert_string_equal(res->failed_check, VERIFY_CHECK_CERT);
        assert_non_null(strstr(res->message, "governance"));
        free(g2);
        free(buf);
    }
    free(res);
}

/* (b) without the governance section the later item's blocks, signed by
 * the new set, fail; omitting one validator change fails too. */
static void test_missing_governance(void **state)
{
    struct t_chain *c = *state;
    struct ledger_verify_result *res = malloc(sizeof *res);
    assert_non_null(res);
    struct t_marks m;
    size_t len;
    uint8_t *buf = t_bundle(c, "urn:example:AFTER", false, 0, &len);
    assert_int_equal(t_verify(c->g, buf, len, res, &m), WB_ERR_VERIFY);
    assert_string_equal(res->failed_check, VERIFY_CHECK_CERT);
    free(buf);
    /* The approval that executed node4's addition (height 3) left out. */
    buf = t_bundle(c, "urn:example:AFTER", true, 3, &len);
    assert_int_equal(t_verify(c->g, buf, len, res, &m), WB_ERR_VERIFY);
    assert_non_null(strstr(res->message, "governance"));
    free(buf);
    /* (e) The early item without governance: as before, the genesis set. */
    buf = t_bundle(c, "urn:example:BEFORE", false, 0, &len);
    int rc = t_verify(c->g, buf, len, res, &m);
    if (rc) fail_msg("%s", res->message);
    assert_false(res->gov_present);
    assert_non_null(strstr(res->governance, "none in the bundle"));
    free(buf);
    free(res);
}

/* (c) a key revoked as compromised since T: before T plain, after T (and
 * committed before the revocation) marked, after the revocation refused. */
static void test_compromised_key(void **state)
{
    struct t_chain *c = *state;
    struct ledger_verify_result *res = malloc(sizeof *res);
    assert_non_null(res);
    struct t_marks m;
    size_t len;
    uint8_t *buf = t_bundle(c, "urn:example:X", true, 0, &len);
    int rc = t_verify(c->g, buf, len, res, &m);
    if (rc) fail_msg("%s", res->message);
    assert_int_equal(res->events_marked, 0);
    assert_int_equal(m.marked, 0);
    free(buf);

    buf = t_bundle(c, "urn:example:Y", true, 0, &len);
    rc = t_verify(c->g, buf, len, res, &m);
    if (rc) fail_msg("%s", res->message);
    assert_int_equal(res->events_marked, 1);
    assert_int_equal(m.marked, 1);
    char want[128];
    snprintf(want, sizeof want, "revoked as compromised at height %llu",
             (unsigned long long)c->revoke_height);
    assert_non_null(strstr(m.mark, want));
    assert_non_null(strstr(m.mark, "signed 29 s after "));
    free(buf);

    buf = t_bundle(c, "urn:example:Z", true, 0, &len);
    assert_int_equal(t_verify(c->g, buf, len, res, &m), WB_ERR_VERIFY);
    assert_string_equal(res->failed_check, VERIFY_CHECK_MEMBER);
    assert_non_null(strstr(res->message, want));
    free(buf);
    free(res);
}

/* (d) an organisation removed: its key's later event is refused. */
static void test_removed_org(void **state)
{
    struct t_chain *c = *state;
    struct ledger_verify_result *res = malloc(sizeof *res);
    assert_non_null(res);
    struct t_marks m;
    size_t len;
    uint8_t *buf = t_bundle(c, "urn:example:C", true, 0, &len);
    assert_int_equal(t_verify(c->g, buf, len, res, &m), WB_ERR_VERIFY);
    assert_string_equal(res->failed_check, VERIFY_CHECK_MEMBER);
    assert_non_null(strstr(res->message, "'customs' was removed at height 24"));
    free(buf);
    free(res);
}

/* The history itself: the registry and sets per height. */
static void test_history(void **state)
{
    struct t_chain *c = *state;
    size_t len;
    uint8_t *buf = t_bundle(c, "urn:example:C", true, 0, &len);
    Waybill__ProofBundle *pb = waybill__proof_bundle__unpack(NULL, len, buf);
    assert_non_null(pb);
    struct ledger_gov_history *h = malloc(sizeof *h);
    assert_non_null(h);
    char msg[512] = "";
    int rc = ledger_gov_history_verify(c->g, pb->governance, h, msg, sizeof msg);
    if (rc) fail_msg("%s", msg);
    assert_int_equal(h->events, 19);
    assert_int_equal(h->snap_count, 20); /* genesis and one per governance block */
    const struct ledger_gov *at1 = ledger_gov_history_at(h, 1);
    assert_int_equal(at1->view.org_count, 3);
    assert_true(ledger_genesis_org_by_name(&ledger_gov_history_at(h, 25)->view, "customs") < 0);
    assert_true(ledger_genesis_org_by_name(&ledger_gov_history_at(h, 24)->view, "customs") >= 0);
    assert_true(ledger_genesis_org_of_key(&ledger_gov_history_at(h, 21)->view, c->pk[K_ACME2]) >= 0);
    assert_true(ledger_genesis_org_of_key(&ledger_gov_history_at(h, 22)->view, c->pk[K_ACME2]) < 0);
    ledger_gov_history_free(h);
    /* The governance chain's bundle verified as a bundle of its own item:
     * the governance mode, every event through the callback. */
    size_t glen = waybill__proof_bundle__get_packed_size(pb->governance);
    uint8_t *gbuf = malloc(glen);
    assert_non_null(gbuf);
    waybill__proof_bundle__pack(pb->governance, gbuf);
    struct ledger_verify_result *res = malloc(sizeof *res);
    assert_non_null(res);
    struct t_marks m;
    rc = t_verify(c->g, gbuf, glen, res, &m);
    if (rc) fail_msg("%s", res->message);
    assert_int_equal(res->events_checked, 19);
    assert_int_equal(m.calls, 19);
    assert_non_null(strstr(res->governance, "this is the governance chain, 19 events"));
    free(res);
    free(gbuf);
    /* A changed governance event's signature fails the history. */
    pb->governance->events[4]->signed_event.data[pb->governance->events[4]->signed_event.len - 1] ^= 1;
    rc = ledger_gov_history_verify(c->g, pb->governance, h, msg, sizeof msg);
    assert_int_equal(rc, WB_ERR_VERIFY);
    assert_non_null(strstr(msg, "governance event 4"));
    ledger_gov_history_free(h);
    free(h);
    waybill__proof_bundle__free_unpacked(pb, NULL);
    free(buf);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replaced_validators),
        cmocka_unit_test(test_missing_governance),
        cmocka_unit_test(test_compromised_key),
        cmocka_unit_test(test_removed_org),
        cmocka_unit_test(test_history),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
