/* Fuzz target: ProofBundle bytes through ledger_verify_bundle against the
 * fixed genesis, with a callback that reads everything it is handed. A
 * verified bundle, every header and signed event in it and every body is
 * its canonical encoding (decode, re-encode, compare). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "fuzz_fixture.h"
#include "ledger/event.h"
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
};

static void on_event(void *ctx, size_t index, const struct ledger_event *ev, const char *org,
                     uint64_t height, uint32_t pos, bool out_of_order, bool ok,
                     const char *check, const char *detail)
{
    (void)height;
    (void)pos;
    struct seen *s = ctx;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ledger_verify_result res;
    struct seen s = {0};
    int rc = ledger_verify_bundle(fixture.g, NULL, data, size, NULL, on_event, &s, &res);
    if (rc == WB_OK) {
        if (!res.ok || s.failed || res.failed_event != -1) fail("verified but not ok", res.message);
        if (res.events_checked == 0 || s.ok_calls != res.events_checked)
            fail("verified with an unexpected event count", "");
        if (res.state.count != res.events_checked) fail("state count differs", res.state.item);
        if (s.late_calls != res.events_out_of_order || res.events_out_of_order >= res.events_checked)
            fail("out-of-order count differs from the callbacks", "");
        assert_all_canonical(data, size);
    } else {
        if (rc != WB_ERR_VERIFY && rc != WB_ERR_DECODE && rc != WB_ERR_NOMEM)
            fail("unexpected return code", wb_strerror(rc));
        if (res.ok) fail("failed but ok", res.message);
        if (!res.message[0] || !res.failed_check[0]) fail("failure without message", "");
        if (res.failed_event >= 0 && (size_t)res.failed_event != res.events_checked)
            fail("failed event is not the one after the last good one", res.message);
        if (s.ok_calls != res.events_checked) fail("ok callbacks differ from events checked", "");
    }
    return 0;
}
