/* Fuzz target: ProofBundle bytes through ledger_verify_bundle against the
 * fixed genesis, with a callback that reads everything it is handed. A
 * verified bundle, every header and signed event in it and every body is
 * its canonical encoding (decode, re-encode, compare).
 *
 * The first input byte picks the genesis (bit 0: 0 of header version 1, 1
 * of version 2, whose bundles may carry a freshness proof); the rest is the
 * bundle. Completeness: res.complete only when res.ok, and then the bundle
 * carries a freshness proof, the chain is of version 2, the proof's height
 * is at least every event's and its leaf counts exactly the events checked,
 * with the last one as its head and the custodian and status they give; a
 * bundle with a freshness proof never verifies on the version 1 genesis. A
 * bundle that verified is checked on the other genesis too: no bundle
 * verifies on both. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "fuzz_fixture.h"
#include "ledger/event.h"
#include "ledger/item_leaf.h"
#include "ledger/verify.h"
#include "proto/waybill.pb-c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fx fixture;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fx_init(&fixture);
    return 0;
}

static void fail(const char *what, const char *msg)
{
    fprintf(stderr, "bundle target: %s (%s)\n", what, msg);
    abort();
}

struct seen {
    size_t calls, ok_calls, late_calls;
    bool failed;
    size_t next_index;
    uint64_t max_height;
};

static void on_event(void *ctx, size_t index, const struct ledger_event *ev, const char *org,
                     uint64_t height, uint32_t pos, bool out_of_order, bool ok,
                     const char *check, const char *detail, const char *mark,
                     const struct ledger_gov *gov)
{
    (void)pos;
    struct seen *s = ctx;
    if (mark && !ok) fail("a failed event with a mark", "");
    if (mark) (void)strlen(mark);
    if (gov && !ok) fail("a failed event with a governance state", "");
    if (gov && ok && ledger_genesis_org_of_key(&gov->view, ev->submitter) < 0)
        fail("an accepted event whose signer is no member of its registry", "");
    if (s->failed) fail("callback after a failure", "");
    if (index != s->next_index) fail("callback out of bundle order", "");
    s->next_index++;
    s->calls++;
    /* Read what the callback is given (ASan checks the pointers). */
    if (ev && strlen(ev->item) > WB_ITEM_MAX) fail("event item over its limit", "");
    if (org && strlen(org) > WB_ORG_MAX) fail("org name over its limit", "");
    if (out_of_order && !ok) fail("a failed event marked out of order", "");
    if (ok) {
        if (!ev || !org || check || detail)
            fail("ok callback without event or org, or with a check", "");
        s->ok_calls++;
        if (out_of_order) s->late_calls++;
        if (height > s->max_height) s->max_height = height;
    } else {
        if (!check || !detail) fail("failed callback without check or detail", "");
        (void)strlen(check);
        (void)strlen(detail);
        s->failed = true;
    }
}

static void assert_all_canonical(const uint8_t *data, size_t size)
{
    fx_assert_canonical(&waybill__proof_bundle__descriptor, data, size, "proof bundle");
    Waybill__ProofBundle *pb = waybill__proof_bundle__unpack(NULL, size, data);
    if (!pb) fail("verified bytes that do not unpack", "");
    for (size_t i = 0; i < pb->n_blocks; i++)
        fx_assert_canonical(&waybill__block_header__descriptor, pb->blocks[i]->header.data,
                            pb->blocks[i]->header.len, "block header");
    for (size_t i = 0; i < pb->n_events; i++) {
        const ProtobufCBinaryData *se = &pb->events[i]->signed_event;
        fx_assert_canonical(&waybill__signed_event__descriptor, se->data, se->len,
                            "signed event");
        const uint8_t *body;
        size_t body_len;
        uint8_t sig[WB_SIG_LEN];
        if (ledger_signed_event_split(se->data, se->len, &body, &body_len, sig) != WB_OK)
            fail("a verified event does not split", "");
        fx_assert_canonical(&waybill__event_body__descriptor, body, body_len, "event body");
    }
    waybill__proof_bundle__free_unpacked(pb, NULL);
}

/* Whether the bytes unpack as a ProofBundle that carries a freshness proof. */
static bool has_freshness(const uint8_t *data, size_t size)
{
    Waybill__ProofBundle *pb = waybill__proof_bundle__unpack(NULL, size, data);
    if (!pb) return false;
    bool has = pb->freshness != NULL;
    waybill__proof_bundle__free_unpacked(pb, NULL);
    return has;
}

static void check_complete(const struct ledger_verify_result *res, const struct seen *s,
                           uint32_t version, const uint8_t *data, size_t size)
{
    if (!res->complete) {
        if (!res->completeness[0]) fail("verified, not complete, and no reason why", "");
        return;
    }
    if (version != WB_BLOCK_VERSION_STATE) fail("complete on a chain of version 1", "");
    if (!has_freshness(data, size)) fail("complete without a freshness proof", "");
    const struct ledger_fresh_result *f = &res->fresh;
    if (f->height < s->max_height || f->height < res->state.last_height)
        fail("complete as of a height below an event's", "");
    if (f->leaf.count != res->events_checked || f->leaf.count != res->state.count)
        fail("the leaf's count is not the number of events checked", "");
    if (memcmp(f->leaf.head, res->state.head, WB_HASH_LEN) != 0)
        fail("the leaf's head is not the last event's", "");
    if (f->leaf.head_height != res->state.last_height ||
        f->leaf.first_height != res->state.first_height)
        fail("the leaf's heights are not the events'", "");
    uint8_t item_hash[WB_HASH_LEN];
    ledger_item_leaf_name_hash(res->state.item, item_hash);
    if (memcmp(f->leaf.item_hash, item_hash, WB_HASH_LEN) != 0)
        fail("the leaf is not the item's", res->state.item);
    uint8_t custodian[WB_HASH_LEN];
    ledger_item_leaf_name_hash(res->state.custodian, custodian);
    if (memcmp(f->leaf.custodian_hash, custodian, WB_HASH_LEN) != 0 ||
        f->leaf.status != res->state.status || f->leaf.customs != res->state.customs ||
        f->leaf.movement != res->state.movement)
        fail("the leaf's custodian or status is not what the events give", res->state.item);
    if (f->reg_index != f->leaf.reg_index || f->reg_index >= f->item_count)
        fail("registration index outside the item count", "");
}

static int verify(uint32_t version, const uint8_t *data, size_t size,
                  struct ledger_verify_result *res, struct seen *s)
{
    memset(s, 0, sizeof *s);
    int rc = ledger_verify_bundle(fx_genesis(&fixture, version), NULL, data, size, NULL,
                                  on_event, s, res);
    if (rc == WB_OK) {
        if (!res->ok || s->failed || res->failed_event != -1)
            fail("verified but not ok", res->message);
        if (res->events_checked == 0 || s->ok_calls != res->events_checked)
            fail("verified with an unexpected event count", "");
        if (res->state.count != res->events_checked) fail("state count differs", res->state.item);
        if (s->late_calls != res->events_out_of_order ||
            res->events_out_of_order >= res->events_checked)
            fail("out-of-order count differs from the callbacks", "");
        check_complete(res, s, version, data, size);
        assert_all_canonical(data, size);
    } else {
        if (rc != WB_ERR_VERIFY && rc != WB_ERR_DECODE && rc != WB_ERR_NOMEM)
            fail("unexpected return code", wb_strerror(rc));
        if (res->ok) fail("failed but ok", res->message);
        if (res->complete) fail("failed but complete", res->message);
        if (!res->message[0] || !res->failed_check[0]) fail("failure without message", "");
        if (res->failed_event >= 0 && (size_t)res->failed_event != res->events_checked)
            fail("failed event is not the one after the last good one", res->message);
        if (s->ok_calls != res->events_checked) fail("ok callbacks differ from events checked", "");
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    uint32_t version = (data[0] & 1) ? WB_BLOCK_VERSION_STATE : WB_BLOCK_VERSION;
    data++;
    size--;
    static struct ledger_verify_result res;
    struct seen s;
    int rc = verify(version, data, size, &res, &s);
    if (rc == WB_OK && version == WB_BLOCK_VERSION && has_freshness(data, size))
        fail("a bundle with a freshness proof verified on a chain of version 1", res.message);
    if (rc == WB_OK) {
        uint32_t other = version == WB_BLOCK_VERSION ? WB_BLOCK_VERSION_STATE : WB_BLOCK_VERSION;
        if (verify(other, data, size, &res, &s) == WB_OK)
            fail("a bundle verified on the chains of both versions", "");
    }
    return 0;
}
