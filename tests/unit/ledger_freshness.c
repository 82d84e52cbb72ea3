/* Unit tests of ledger/freshness.c: a freshness proof over a version 2
 * header certified by the test genesis' validators verifies for exactly
 * the events its leaf names, and each way of lying about an item's state
 * is refused with its reason. */
#include "tests/unit/ledger_support.h"

#include "ledger/freshness.h"
#include "ledger/item_leaf.h"
#include "ledger/state_tree.h"

#define ITEMS 5
#define MINE_INDEX 3  /* the item's registration index */
#define HEAD_HEIGHT 9 /* the height of the proof's header */

struct fx {
    struct ls_chain c;
    struct ledger_item_state st;          /* the item's state as of HEAD_HEIGHT */
    struct ledger_item_leaf leaf;
    uint8_t leaf_bytes[LEDGER_ITEM_LEAF_LEN];
    uint8_t leaves[ITEMS][MERKLE_HASH_LEN];
    struct ledger_block_header h;
    uint8_t header[WB_HEADER_MAX];
    size_t header_len;
    uint8_t *cert;
    size_t cert_len;
    uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
    ProtobufCBinaryData path_pb[MERKLE_PATH_MAX];
    Waybill__ProofFreshness f;
    struct ledger_fresh_events ev;
};

/* Encodes and certifies f->h (every validator precommits it in round 0). */
static void certify(struct fx *f)
{
    assert_int_equal(ledger_header_encode(&f->h, f->header, sizeof f->header, &f->header_len),
                     WB_OK);
    uint8_t hash[WB_HASH_LEN];
    ledger_sha256(f->header, f->header_len, hash);
    uint8_t msg[WB_SIGMSG_MAX], sigs[LS_VALIDATORS][WB_SIG_LEN];
    size_t n = wb_sigmsg_vote(msg, f->c.g->chain_id, WAYBILL__VOTE_TYPE__PRECOMMIT, f->h.height,
                              0, hash);
    Waybill__Vote votes[LS_VALIDATORS], *ptrs[LS_VALIDATORS];
    for (unsigned v = 0; v < LS_VALIDATORS; v++) {
        assert_int_equal(wb_sign(msg, n, f->c.vsk[v], sigs[v]), WB_OK);
        waybill__vote__init(&votes[v]);
        votes[v].type = WAYBILL__VOTE_TYPE__PRECOMMIT;
        votes[v].height = f->h.height;
        votes[v].block_hash.data = hash;
        votes[v].block_hash.len = WB_HASH_LEN;
        votes[v].validator = v;
        votes[v].signature.data = sigs[v];
        votes[v].signature.len = WB_SIG_LEN;
        ptrs[v] = &votes[v];
    }
    Waybill__CommitCert cert;
    waybill__commit_cert__init(&cert);
    cert.height = f->h.height;
    cert.block_hash.data = hash;
    cert.block_hash.len = WB_HASH_LEN;
    cert.n_precommits = LS_VALIDATORS;
    cert.precommits = ptrs;
    free(f->cert);
    f->cert_len = waybill__commit_cert__get_packed_size(&cert);
    f->cert = malloc(f->cert_len);
    assert_non_null(f->cert);
    waybill__commit_cert__pack(&cert, f->cert);
    f->f.header.data = f->header;
    f->f.header.len = f->header_len;
    f->f.cert.data = f->cert;
    f->f.cert.len = f->cert_len;
}

/* The tree of ITEMS leaves with the item's at MINE_INDEX, its path, and a
 * header over it: the honest proof. */
static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || ls_chain_init(&f->c) != 0) return -1;
    f->c.g->header_version = WB_BLOCK_VERSION_STATE;
    struct ledger_item_state *st = &f->st;
    snprintf(st->item, sizeof st->item, "%s", LS_ITEM);
    memset(st->head, 0x3c, WB_HASH_LEN);
    snprintf(st->custodian, sizeof st->custodian, "customs");
    st->status = LEDGER_ITEM_ACTIVE;
    st->customs = LEDGER_CUSTOMS_HELD;
    st->count = 6;
    st->first_height = 2;
    st->last_height = 7;
    st->reg_index = MINE_INDEX;
    ledger_item_leaf_from_state(st, MINE_INDEX, &f->leaf);
    ledger_item_leaf_encode(&f->leaf, f->leaf_bytes);
    for (size_t i = 0; i < ITEMS; i++) {
        uint8_t other[8] = {(uint8_t)i, 0x77};
        if (i == MINE_INDEX) ledger_item_leaf_hash(&f->leaf, f->leaves[i]);
        else merkle_leaf_hash(other, sizeof other, f->leaves[i]);
    }
    struct ledger_state_tree t;
    ledger_state_tree_init(&t);
    if (ledger_state_tree_build(&t, (const uint8_t (*)[32])f->leaves, ITEMS) != WB_OK) return -1;
    size_t path_len;
    if (ledger_state_tree_path(&t, MINE_INDEX, f->path, &path_len) != WB_OK) return -1;
    f->h.version = WB_BLOCK_VERSION_STATE;
    memcpy(f->h.chain_id, f->c.g->chain_id, WB_CHAIN_ID_LEN);
    f->h.height = HEAD_HEIGHT;
    f->h.time_ms = ls_block_time(HEAD_HEIGHT);
    f->h.has_state = true;
    ledger_state_tree_root(&t, f->h.state_root);
    f->h.item_count = ITEMS;
    ledger_state_tree_free(&t);
    waybill__proof_freshness__init(&f->f);
    f->f.height = HEAD_HEIGHT;
    f->f.leaf.data = f->leaf_bytes;
    f->f.leaf.len = sizeof f->leaf_bytes;
    for (size_t i = 0; i < path_len; i++) {
        f->path_pb[i].data = f->path[i];
        f->path_pb[i].len = MERKLE_HASH_LEN;
    }
    f->f.n_state_path = path_len;
    f->f.state_path = f->path_pb;
    f->ev = (struct ledger_fresh_events){.item = LS_ITEM, .count = 6, .first_height = 2,
                                         .last_height = 7, .state = &f->st};
    memcpy(f->ev.head, st->head, WB_HASH_LEN);
    certify(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    free(f->cert);
    ls_chain_free(&f->c);
    free(f);
    return 0;
}

static void expect_refused(struct fx *f, const char *want)
{
    struct ledger_fresh_result r;
    char msg[256] = "";
    int rc = ledger_freshness_verify(f->c.g, &f->f, &f->ev, &r, msg, sizeof msg);
    if (rc != WB_ERR_VERIFY || !strstr(msg, want))
        fail_msg("expected WB_ERR_VERIFY with \"%s\", got %d: \"%s\"", want, rc, msg);
}

static void honest_proof_verifies(void **state)
{
    struct fx *f = *state;
    struct ledger_fresh_result r;
    char msg[256] = "";
    int rc = ledger_freshness_verify(f->c.g, &f->f, &f->ev, &r, msg, sizeof msg);
    if (rc) fail_msg("honest proof refused: %s", msg);
    assert_int_equal(r.height, HEAD_HEIGHT);
    assert_true(r.time_ms == ls_block_time(HEAD_HEIGHT));
    assert_int_equal(r.reg_index, MINE_INDEX);
    assert_int_equal(r.item_count, ITEMS);
    assert_int_equal(r.leaf.customs, LEDGER_CUSTOMS_HELD);
    uint8_t customs_hash[WB_HASH_LEN];
    ledger_item_leaf_name_hash("customs", customs_hash);
    assert_memory_equal(r.leaf.custodian_hash, customs_hash, WB_HASH_LEN);
}

/* The attack the proof exists for: a bundle without its newest events. */
static void a_bundle_short_of_the_newest_events_is_refused(void **state)
{
    struct fx *f = *state;
    f->ev.count = 5;
    expect_refused(f, "the item has 6 events as of block 9, the bundle holds 5");
    f->ev.count = 6;
    f->ev.head[0] ^= 1;
    expect_refused(f, "the item's latest event as of block 9 is 3c3c3c3c3c3c3c3c...");
    f->ev.head[0] ^= 1;
    f->ev.last_height = 6;
    expect_refused(f, "the leaf places the item's events at heights 2 to 7, the bundle at 2 to 6");
    f->ev.last_height = 7;
    f->ev.first_height = 1;
    expect_refused(f, "the leaf places the item's events at heights 2 to 7");
}

/* The leaf's state must be the one the bundle's events give. */
static void a_leaf_that_disagrees_with_the_replayed_state_is_refused(void **state)
{
    struct fx *f = *state;
    snprintf(f->st.custodian, sizeof f->st.custodian, "oceanic");
    expect_refused(f, "the leaf's custodian as of block 9 is not oceanic, the bundle's");
    snprintf(f->st.custodian, sizeof f->st.custodian, "customs");
    f->st.customs = LEDGER_CUSTOMS_RELEASED;
    expect_refused(f, "(customs released, movement at_rest)");
    f->st.customs = LEDGER_CUSTOMS_HELD;
    f->st.movement = LEDGER_MOVE_UNDERWAY;
    expect_refused(f, "status, customs status or movement");
    f->st.movement = LEDGER_MOVE_AT_REST;
    /* Without a replayed state only the events are compared. */
    f->ev.state = NULL;
    f->st.customs = LEDGER_CUSTOMS_NONE;
    struct ledger_fresh_result r;
    char msg[256] = "";
    assert_int_equal(ledger_freshness_verify(f->c.g, &f->f, &f->ev, &r, msg, sizeof msg), WB_OK);
}

static void a_leaf_of_another_item_or_off_the_root_is_refused(void **state)
{
    struct fx *f = *state;
    f->ev.item = "MSCU1234566";
    expect_refused(f, "leaf: it is not the leaf of item MSCU1234566");
    f->ev.item = LS_ITEM;
    f->path[0][5] ^= 1;
    expect_refused(f, "leaf: its audit path does not lead to the state root of block 9");
    f->path[0][5] ^= 1;
    f->f.n_state_path--;
    expect_refused(f, "leaf: an audit path of 2 hashes, leaf 3 of 5 needs 3");
    f->f.n_state_path++;
    f->path_pb[1].len = 31;
    expect_refused(f, "leaf: audit path hash 1 is 31 bytes, expected 32");
    f->path_pb[1].len = 32;
    f->leaf_bytes[4 + 3] ^= 1; /* the count inside the leaf: no longer the committed leaf */
    expect_refused(f, "does not lead to the state root");
    f->leaf_bytes[4 + 3] ^= 1;
    f->f.leaf.len = 127;
    expect_refused(f, "item leaf: 127 bytes, expected 128");
}

static void a_header_that_proves_nothing_is_refused(void **state)
{
    struct fx *f = *state;
    /* Not certified: one byte of the state root changed after signing. */
    f->header[f->header_len - 12] ^= 1;
    expect_refused(f, "block 9:");
    f->header[f->header_len - 12] ^= 1;
    /* The proof names another height than its header. */
    f->f.height = 10;
    expect_refused(f, "the proof names height 10, its header height 9");
    f->f.height = HEAD_HEIGHT;
    /* Below the item's last event. */
    f->ev.last_height = 12;
    expect_refused(f, "block 9 is below the item's last event (height 12)");
    f->ev.last_height = 7;
    /* Too few signatures: a certificate of another block. */
    struct ledger_block_header honest = f->h;
    f->h.time_ms++;
    certify(f);
    f->f.header.data = f->header; /* header re-encoded, cert for it */
    uint8_t *cert = f->cert;
    size_t cert_len = f->cert_len;
    f->cert = NULL;
    f->h = honest;
    certify(f);
    f->f.cert.data = cert;
    f->f.cert.len = cert_len;
    expect_refused(f, "block 9: ");
    free(cert);
    f->f.cert.data = f->cert;
    f->f.cert.len = f->cert_len;
    /* A version 1 header, certified: it commits to no item state. */
    f->c.g->header_version = WB_BLOCK_VERSION;
    f->h.version = WB_BLOCK_VERSION;
    f->h.has_state = false;
    f->h.item_count = 0;
    certify(f);
    expect_refused(f, "commits to no item state");
    /* A version 2 header on a chain of version 1. */
    f->h = honest;
    certify(f);
    expect_refused(f, "block 9: header version 2, expected 1");
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(honest_proof_verifies),
        T(a_bundle_short_of_the_newest_events_is_refused),
        T(a_leaf_that_disagrees_with_the_replayed_state_is_refused),
        T(a_leaf_of_another_item_or_off_the_root_is_refused),
        T(a_header_that_proves_nothing_is_refused),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
