/* Fuzz target: one client API request frame, decoded and dispatched as
 * node/api/api.c's on_frame does (ClientRequest, then the member of its
 * oneof each request kind reads). Checks besides no crash and no sanitizer
 * report: a decoded request's set member is present for its case, every
 * item name and byte string it carries lies within its length (a risk
 * context's repeated strings each present, no more of them than the frame
 * has bytes), and a request
 * without unknown fields (in it or in any message it holds) packs back to
 * bytes that decode to the same case and id. protobuf-c keeps unknown fields
 * as read and may write back bytes it would not read: it reads a tag whose
 * first byte has field bits set and continues into a zero byte (0x80 0x00,
 * 0x82 0x00) as field number 0, keeps it as an unknown field, and packs it
 * minimally (0x00, 0x02), a tag it then refuses. The node reads a client
 * request as proto3 does, ignoring unknown fields at every depth (a request
 * is neither signed nor hashed; the decoders of such bytes refuse unknown
 * fields through ledger/canon.h), and never re-packs one, so such a request
 * is left out of the re-pack check, as one with unknown fields at the top. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/canon.h"
#include "proto/waybill.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "api_frame target: %s\n", what);
    abort();
}

/* Reads every byte of a string, as a handler copying it would. */
static size_t touch(const char *s)
{
    size_t n = 0;
    if (s)
        while (s[n]) n++;
    return n;
}

static void check_item(const Waybill__ItemRequest *ir)
{
    if (!ir) fail("item request case without its member");
    (void)touch(ir->item);
}

/* Each repeated string as node/api/risk_context.c reads it: the count
 * within the frame (every entry takes a byte of tag at least), every
 * entry present. */
static void check_strings(char *const *v, size_t n, size_t frame)
{
    if (n > frame) fail("more repeated strings than the frame has bytes");
    if (n && !v) fail("repeated strings counted without their array");
    for (size_t i = 0; i < n; i++) {
        if (!v[i]) fail("a repeated string entry is NULL");
        (void)touch(v[i]);
    }
}

static void check_risk_context(const Waybill__RiskContextRequest *q, size_t frame)
{
    if (!q) fail("risk_context case without its member");
    (void)touch(q->item);
    (void)touch(q->container);
    check_strings(q->seals, q->n_seals, frame);
    check_strings(q->orgs, q->n_orgs, frame);
    check_strings(q->baseline_keys, q->n_baseline_keys, frame);
}

/* The officer's queue members of an items request, as node/api/scores.c
 * reads them (the cursor's item id besides the score). */
static void check_items(const Waybill__ItemsRequest *q)
{
    if (!q) fail("items case without its member");
    (void)touch(q->custodian);
    (void)touch(q->location);
    (void)touch(q->after);
    (void)q->flagged, (void)q->min_score, (void)q->after_score;
}

static void check_risk_org(const Waybill__RiskOrgRequest *q)
{
    if (!q) fail("risk_org case without its member");
    (void)touch(q->org);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Waybill__ClientRequest *rq = waybill__client_request__unpack(NULL, size, data);
    if (!rq) return 0;
    switch (rq->req_case) {
    case WAYBILL__CLIENT_REQUEST__REQ_SUBMIT:
        if (!rq->submit) fail("submit case without its member");
        if (rq->submit->signed_event.len && !rq->submit->signed_event.data)
            fail("signed_event length without data");
        if (rq->submit->signed_event.len > size) fail("signed_event longer than the frame");
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_HEAD:
        check_item(rq->head);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_HISTORY:
        check_item(rq->history);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_PROOF:
        check_item(rq->proof);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_BLOCK:
        if (!rq->block) fail("block case without its member");
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_STATUS:
        if (!rq->status) fail("status case without its member");
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_RISK_CONTEXT:
        check_risk_context(rq->risk_context, size);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_ITEMS:
        check_items(rq->items);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_RISK_ORG:
        check_risk_org(rq->risk_org);
        break;
    default:
        break; /* answered "unknown request" */
    }
    if (ledger_pb_has_unknown(&rq->base)) {
        waybill__client_request__free_unpacked(rq, NULL);
        return 0;
    }
    size_t len = waybill__client_request__get_packed_size(rq);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) fail("out of memory");
    if (waybill__client_request__pack(rq, buf) != len) fail("packed size differs");
    Waybill__ClientRequest *again = waybill__client_request__unpack(NULL, len, buf);
    if (!again) fail("re-packed request does not decode");
    if (again->req_case != rq->req_case || again->id != rq->id)
        fail("re-packed request differs in case or id");
    waybill__client_request__free_unpacked(again, NULL);
    free(buf);
    waybill__client_request__free_unpacked(rq, NULL);
    return 0;
}
