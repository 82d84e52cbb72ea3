/* Fuzz target: SignedEvent bytes through ledger_signed_event_open (split,
 * decode, signature), checking that accepted bytes are the one encoding of
 * their event: the signed event and its body decode and re-encode to the
 * same bytes (protobuf-c, no unknown field) and the event re-encodes to the
 * same body and id. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "fuzz_fixture.h"
#include "ledger/event.h"
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
    fprintf(stderr, "event target: %s (%s)\n", what, msg);
    abort();
}

/* An error return must leave a message and a zeroed event (event.h). */
static void check_error(int rc, const struct ledger_event *ev, const char *msg)
{
    static const struct ledger_event zero;
    if (rc != WB_ERR_DECODE && rc != WB_ERR_INVALID && rc != WB_ERR_CHECK_DIGIT &&
        rc != WB_ERR_SIGNATURE)
        fail("unexpected return code", wb_strerror(rc));
    if (!msg[0]) fail("error without a message", wb_strerror(rc));
    if (rc != WB_ERR_SIGNATURE && memcmp(ev, &zero, sizeof *ev) != 0)
        fail("event not zeroed on error", msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *chain_id = fixture.g->chain_id;
    static struct ledger_event ev, ev_sig;
    char msg[512] = "";

    int rc = ledger_signed_event_open(chain_id, data, size, false, &ev, msg, sizeof msg);
    char msg_sig[512] = "";
    int rc_sig = ledger_signed_event_open(chain_id, data, size, true, &ev_sig, msg_sig,
                                          sizeof msg_sig);
    if (rc) {
        check_error(rc, &ev, msg);
        if (rc_sig != rc) fail("verify_sig changed a decode failure", msg_sig);
        return 0;
    }
    if (rc_sig) {
        check_error(rc_sig, &ev_sig, msg_sig);
        if (rc_sig != WB_ERR_SIGNATURE) fail("decoded without, failed with verify_sig", msg_sig);
    }
    if (memcmp(&ev, &ev_sig, sizeof ev) != 0) fail("verify_sig changed the decoded event", "");

    /* One event, one encoding: what decoded re-encodes to the same body. */
    const uint8_t *body;
    size_t body_len;
    uint8_t sig[WB_SIG_LEN];
    if (ledger_signed_event_split(data, size, &body, &body_len, sig) != 0)
        fail("opened but does not split", "");
    static uint8_t again[WB_EVENT_BODY_MAX];
    size_t again_len = 0;
    struct ledger_event copy = ev;
    rc = ledger_event_encode(&copy, again, sizeof again, &again_len);
    if (rc) fail("a decoded event does not encode", wb_strerror(rc));
    if (again_len != body_len || memcmp(again, body, body_len) != 0)
        fail("re-encoding differs from the accepted body", "");
    if (memcmp(copy.id, ev.id, WB_HASH_LEN) != 0) fail("re-encoding gives another id", "");
    fx_assert_canonical(&waybill__signed_event__descriptor, data, size, "signed event");
    fx_assert_canonical(&waybill__event_body__descriptor, body, body_len, "event body");

    /* Whatever the body passed, its event stays within its limits. */
    if (strlen(ev.item) > WB_ITEM_MAX || strlen(ev.location) > WB_LOCATION_MAX ||
        strlen(ev.to_org) > WB_ORG_MAX || ev.attr_count > WB_ATTRS_MAX ||
        ev.action <= LEDGER_ACTION_NONE || ev.action >= LEDGER_ACTION_COUNT)
        fail("decoded event out of its limits", ev.item);
    return 0;
}
