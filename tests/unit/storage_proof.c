/* Unit tests of storage/proof: bundles built from stored blocks verify with
 * ledger_verify_bundle, and one changed byte fails naming event and check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/log.h"
#include "ledger/verify.h"
#include "storage/proof.h"
#include "storage/store.h"
#include "tests/unit/storage_support.h"

#define PROOF_ITEMS 3
#define PROOF_BLOCKS 6

/* Block sizes: odd and even, so the trees have every shape of path. */
static const size_t proof_block_events[PROOF_BLOCKS] = {5, 6, 7, 3, 8, 4};

struct fx {
    char dir[64];
    struct tc_chain c;
    struct store *s;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || tc_tmpdir(f->dir) != 0) return -1;
    if (tc_chain_init(&f->c, PROOF_ITEMS) != 0) return -1;
    struct store_options opt;
    store_options_init(&opt);
    opt.no_sync = true;
    if (store_open(f->dir, &opt, &f->s) != WB_OK) return -1;
    for (size_t k = 0; k < PROOF_BLOCKS; k++) {
        struct tc_block tb;
        char msg[512];
        if (tc_build_block(&f->c, proof_block_events[k], &tb, msg, sizeof msg) != WB_OK) {
            print_error("building block %zu: %s\n", k + 1, msg);
            return -1;
        }
        int rc = store_append(f->s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, tb.states,
                             tb.n_states);
        tc_block_free(&tb);
        if (rc) return -1;
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->s);
    tc_chain_free(&f->c);
    tc_rmtree(f->dir);
    free(f);
    return 0;
}

static void item_name(size_t i, char name[WB_ITEM_MAX + 1]) { tc_item_name(i, name); }

static Waybill__ProofBundle *bundle_of(struct fx *f, const char *item)
{
    uint8_t *buf;
    size_t len;
    CHECK_OK(store_proof_bundle(f->s, item, &buf, &len));
    Waybill__ProofBundle *pb = waybill__proof_bundle__unpack(NULL, len, buf);
    free(buf);
    if (!pb) fail_msg("the bundle of %s does not decode", item);
    return pb;
}

/* Re-encodes pb and verifies it; returns the verifier's code. */
static int verify_pb(struct fx *f, const Waybill__ProofBundle *pb, const char *item,
                     struct ledger_verify_result *res)
{
    size_t len = waybill__proof_bundle__get_packed_size(pb);
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    waybill__proof_bundle__pack(pb, buf);
    int rc = ledger_verify_bundle(f->c.g, item, buf, len, NULL, NULL, NULL, res);
    free(buf);
    return rc;
}

/* Every item's bundle verifies and matches the stored history. */
static void bundles_verify(void **state)
{
    struct fx *f = *state;
    for (size_t i = 0; i < PROOF_ITEMS; i++) {
        char item[WB_ITEM_MAX + 1];
        item_name(i, item);
        uint8_t *buf;
        size_t len;
        CHECK_OK(store_proof_bundle(f->s, item, &buf, &len));
        struct ledger_verify_result res;
        int rc = ledger_verify_bundle(f->c.g, item, buf, len, NULL, NULL, NULL, &res);
        if (rc) fail_msg("bundle of %s does not verify: %s", item, res.message);
        assert_true(res.ok);

        struct store_event_ref *refs;
        size_t n;
        CHECK_OK(store_item_history(f->s, item, &refs, &n));
        assert_int_equal(res.events_checked, n);
        size_t heights = 0;
        for (size_t k = 0; k < n; k++)
            if (k == 0 || refs[k].height != refs[k - 1].height) heights++;
        if (heights < 3) fail_msg("item %s spans only %zu blocks", item, heights);
        assert_int_equal(res.blocks_checked, heights);
        struct ledger_item_state st;
        CHECK_OK(store_item_state(f->s, item, &st));
        /* One item's events do not say how many items came before it: the
         * registration index is the store's alone. */
        res.state.reg_index = st.reg_index;
        if (!tc_states_equal(&res.state, &st))
            fail_msg("item %s: the verifier's state differs from the stored state", item);

        Waybill__ProofBundle *pb = waybill__proof_bundle__unpack(NULL, len, buf);
        assert_non_null(pb);
        assert_string_equal(pb->item, item);
        assert_int_equal(pb->n_events, n);
        assert_int_equal(pb->n_blocks, heights);
        for (size_t k = 0; k < n; k++) {
            uint8_t *ev;
            size_t ev_len;
            CHECK_OK(store_get_event(f->s, refs[k].id, &ev, &ev_len, NULL, NULL));
            assert_int_equal(pb->events[k]->height, refs[k].height);
            assert_int_equal(pb->events[k]->index, refs[k].index);
            assert_int_equal(pb->events[k]->signed_event.len, ev_len);
            assert_memory_equal(pb->events[k]->signed_event.data, ev, ev_len);
            free(ev);
        }
        for (size_t b = 1; b < pb->n_blocks; b++)
            assert_true(pb->blocks[b]->height > pb->blocks[b - 1]->height);
        waybill__proof_bundle__free_unpacked(pb, NULL);
        free(refs);
        free(buf);
    }

    uint8_t *buf;
    size_t len;
    int rc = store_proof_bundle(f->s, "urn:waybill:test:never-seen", &buf, &len);
    if (rc != WB_ERR_NOT_FOUND)
        fail_msg("bundle of an unknown item: %s, expected %s", wb_strerror(rc),
                 wb_strerror(WB_ERR_NOT_FOUND));
}

static void expect_failure(struct fx *f, const Waybill__ProofBundle *pb, const char *item,
                           long event, const char *check1, const char *check2,
                           const char *what)
{
    struct ledger_verify_result res;
    int rc = verify_pb(f, pb, item, &res);
    if (rc == WB_OK || res.ok) fail_msg("%s: the bundle still verifies", what);
    if (res.failed_event != event)
        fail_msg("%s: failure names event %ld, expected %ld (%s)", what, res.failed_event,
                 event, res.message);
    if (strcmp(res.failed_check, check1) != 0 && (!check2 || strcmp(res.failed_check, check2)))
        fail_msg("%s: failed check '%s', expected '%s' (%s)", what, res.failed_check, check1,
                 res.message);
    char want[32];
    snprintf(want, sizeof want, "event %ld ", event);
    if (!strstr(res.message, want) || !strstr(res.message, res.failed_check))
        fail_msg("%s: message does not name the event and check: %s", what, res.message);
    print_message("%s -> %s\n", what, res.message);
}

/* One byte changed in an event, a Merkle path or a certificate signature. */
static void one_byte_changed_fails_naming_event_and_check(void **state)
{
    struct fx *f = *state;
    char item[WB_ITEM_MAX + 1];
    item_name(0, item);

    /* Signature: the last byte of a SignedEvent is in its signature. */
    Waybill__ProofBundle *pb = bundle_of(f, item);
    assert_true(pb->n_events > 4);
    ProtobufCBinaryData *se = &pb->events[3]->signed_event;
    se->data[se->len - 1] ^= 0x01;
    expect_failure(f, pb, item, 3, VERIFY_CHECK_SIGNATURE, NULL, "signature byte of event 3");
    waybill__proof_bundle__free_unpacked(pb, NULL);

    /* A byte inside the body: it no longer decodes or no longer verifies. */
    pb = bundle_of(f, item);
    se = &pb->events[2]->signed_event;
    se->data[se->len / 3] ^= 0x20;
    expect_failure(f, pb, item, 2, VERIFY_CHECK_SIGNATURE, VERIFY_CHECK_DECODE,
                   "body byte of event 2");
    waybill__proof_bundle__free_unpacked(pb, NULL);

    /* Inclusion: one byte of one audit path element. */
    pb = bundle_of(f, item);
    size_t k = 1;
    while (k < pb->n_events && pb->events[k]->n_audit_path == 0) k++;
    assert_true(k < pb->n_events);
    pb->events[k]->audit_path[pb->events[k]->n_audit_path - 1].data[7] ^= 0x80;
    expect_failure(f, pb, item, (long)k, VERIFY_CHECK_INCLUSION, NULL, "audit path byte");
    waybill__proof_bundle__free_unpacked(pb, NULL);

    /* Certificate: one byte of one precommit signature of a middle block. The
     * first event in that block is the one the failure names. */
    pb = bundle_of(f, item);
    assert_true(pb->n_blocks >= 3);
    Waybill__ProofBlock *blk = pb->blocks[pb->n_blocks / 2];
    assert_non_null(blk->cert);
    assert_true(blk->cert->n_precommits > 0);
    blk->cert->precommits[1]->signature.data[10] ^= 0x04;
    long first = -1;
    for (size_t e = 0; e < pb->n_events && first < 0; e++)
        if (pb->events[e]->height == blk->height) first = (long)e;
    assert_true(first >= 0);
    expect_failure(f, pb, item, first, VERIFY_CHECK_CERT, NULL, "certificate signature byte");
    waybill__proof_bundle__free_unpacked(pb, NULL);

    /* The untouched bundle still verifies (the mutations were copies). */
    pb = bundle_of(f, item);
    struct ledger_verify_result res;
    int rc = verify_pb(f, pb, item, &res);
    if (rc) fail_msg("re-encoded untouched bundle does not verify: %s", res.message);
    waybill__proof_bundle__free_unpacked(pb, NULL);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    wb_log_set_level(WB_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(bundles_verify, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(one_byte_changed_fails_naming_event_and_check,
                                        fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
