/* Events: EventBody and SignedEvent encodings, validation on decode, and the
 * domain-separated signature over the exact body bytes. */
#include "ledger/event.h"

#include <protobuf-c/protobuf-c.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/utf8.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/canon.h"
#include "ledger/ids.h"
#include "proto/waybill.pb-c.h"

#define EVENT_VERSION 1

/* SignedEvent wire layout we accept and write (canonical protobuf):
 * 0x0a varint(len) body, 0x12 0x40 signature[64]. */
#define TAG_BODY 0x0a
#define TAG_SIGNATURE 0x12

/* Unpacking a body that passes the limits needs about 6 KiB (message,
 * strings, attributes, protobuf-c's scratch slabs) and a device report's
 * bytes on top; this arena on the stack serves it without touching the
 * heap. Anything beyond goes to malloc. */
#define UNPACK_ARENA_BYTES (8192 + WB_DEVICE_REPORT_MAX)

/* ---- stack arena for protobuf-c --------------------------------------- */

struct unpack_arena {
    uint8_t *buf;
    size_t cap;
    size_t used;
};

static void *arena_alloc(void *ctx, size_t size)
{
    struct unpack_arena *a = ctx;
    const size_t align = alignof(max_align_t);
    size_t start = (a->used + align - 1) & ~(align - 1);
    if (start <= a->cap && size <= a->cap - start) {
        a->used = start + size;
        return a->buf + start;
    }
    return malloc(size);
}

static void arena_free(void *ctx, void *p)
{
    struct unpack_arena *a = ctx;
    uintptr_t u = (uintptr_t)p, lo = (uintptr_t)a->buf;
    if (u >= lo && u < lo + a->cap) return;
    free(p);
}

/* ---- field checks ------------------------------------------------------ */

/* Printable ASCII, no space: attribute keys ('=' excluded: keys are written
 * key=value on the command line). */
static bool attr_key_ok(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e || *s == '=') return false;
    return true;
}

/* Printable ASCII including space: organisation names. */
static bool org_ok(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e) return false;
    return true;
}

/* Copies the decoded message into ev, checking every field. */
static int event_from_pb(const Waybill__EventBody *pb, struct ledger_event *ev, char *msg,
                         size_t msg_len)
{
    if (pb->version != EVENT_VERSION)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "event: version is %u, expected %d",
                        pb->version, EVENT_VERSION);

    size_t item_len = strlen(pb->item);
    if (item_len == 0) return wb_failf(WB_ERR_INVALID, msg, msg_len, "event: item id is empty");
    int rc = ledger_item_id_check(pb->item, NULL, msg, msg_len);
    if (rc) return rc;
    memcpy(ev->item, pb->item, item_len + 1);

    int action = (int)pb->action;
    if (action <= LEDGER_ACTION_NONE || action >= LEDGER_ACTION_COUNT)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "event: action %d is not a known action",
                        action);
    ev->action = (enum ledger_action)action;

    size_t loc_len = strlen(pb->location);
    if (loc_len) {
        rc = ledger_location_check(pb->location, msg, msg_len);
        if (rc) return rc;
        WB_ASSERT(loc_len <= WB_LOCATION_MAX);
        memcpy(ev->location, pb->location, loc_len + 1);
    }

    ev->time_ms = pb->time_ms;

    if (pb->submitter.len != WB_PUBKEY_LEN)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "event: submitter is %zu bytes, expected a 32-byte Ed25519 public key",
                        pb->submitter.len);
    memcpy(ev->submitter, pb->submitter.data, WB_PUBKEY_LEN);

    if (pb->prev.len == WB_HASH_LEN) {
        ev->has_prev = true;
        memcpy(ev->prev, pb->prev.data, WB_HASH_LEN);
    } else if (pb->prev.len != 0) {
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "event: prev is %zu bytes, expected 32 (or none for the first event)",
                        pb->prev.len);
    }

    if (pb->n_attrs > WB_ATTRS_MAX)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "event: %zu attributes, limit %d",
                        pb->n_attrs, WB_ATTRS_MAX);
    for (size_t i = 0; i < pb->n_attrs; i++) {
        const char *key = pb->attrs[i]->key, *value = pb->attrs[i]->value;
        size_t klen = strlen(key), vlen = strlen(value);
        if (klen == 0 || klen > WB_ATTR_KEY_MAX || !attr_key_ok(key))
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "event: attrs[%zu].key must be 1 to %d printable characters without "
                            "spaces or '='",
                            i, WB_ATTR_KEY_MAX);
        if (vlen > WB_ATTR_VALUE_MAX)
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "event: attrs[%zu] (%s) value is %zu bytes, limit %d", i, key, vlen,
                            WB_ATTR_VALUE_MAX);
        if (!wb_utf8_text_ok(value))
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "event: attrs[%zu] (%s) value is not UTF-8 text without control "
                            "characters",
                            i, key);
        for (size_t j = 0; j < i; j++)
            if (strcmp(ev->attrs[j].key, key) == 0)
                return wb_failf(WB_ERR_INVALID, msg, msg_len,
                                "event: attribute %s appears twice (attrs[%zu] and attrs[%zu])",
                                key, j, i);
        memcpy(ev->attrs[i].key, key, klen + 1);
        memcpy(ev->attrs[i].value, value, vlen + 1);
        ev->attr_count = i + 1;
    }

    size_t org_len = strlen(pb->to_org);
    if (org_len > WB_ORG_MAX || !org_ok(pb->to_org))
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "event: to_org must be at most %d printable ASCII characters", WB_ORG_MAX);
    memcpy(ev->to_org, pb->to_org, org_len + 1);

    ev->nonce = pb->nonce;

    /* A device report and its signature travel together, within their
     * limits; which actions carry one is the rules' (device_report_only). */
    if (pb->device_report.len > WB_DEVICE_REPORT_MAX)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "event: device_report is %zu bytes, limit %d", pb->device_report.len,
                        WB_DEVICE_REPORT_MAX);
    if (pb->device_report.len == 0 && pb->device_signature.len != 0)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "event: a device_signature without a device_report");
    if (pb->device_report.len != 0 && pb->device_signature.len != WB_SIG_LEN)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "event: device_signature is %zu bytes, expected a 64-byte Ed25519 "
                        "signature",
                        pb->device_signature.len);
    if (pb->device_report.len) {
        memcpy(ev->device_report, pb->device_report.data, pb->device_report.len);
        ev->device_report_len = pb->device_report.len;
        memcpy(ev->device_sig, pb->device_signature.data, WB_SIG_LEN);
    }
    return WB_OK;
}

/* ---- public API --------------------------------------------------------- */

int ledger_event_encode(struct ledger_event *ev, uint8_t *out, size_t cap, size_t *len)
{
    if (strnlen(ev->item, sizeof ev->item) > WB_ITEM_MAX ||
        strnlen(ev->location, sizeof ev->location) > WB_LOCATION_MAX ||
        strnlen(ev->to_org, sizeof ev->to_org) > WB_ORG_MAX || ev->attr_count > WB_ATTRS_MAX ||
        ev->device_report_len > WB_DEVICE_REPORT_MAX)
        return WB_ERR_INVALID;

    Waybill__Attr attrs[WB_ATTRS_MAX];
    Waybill__Attr *attr_ptrs[WB_ATTRS_MAX];
    for (size_t i = 0; i < ev->attr_count; i++) {
        struct ledger_attr *a = &ev->attrs[i];
        if (strnlen(a->key, sizeof a->key) > WB_ATTR_KEY_MAX ||
            strnlen(a->value, sizeof a->value) > WB_ATTR_VALUE_MAX)
            return WB_ERR_INVALID;
        waybill__attr__init(&attrs[i]);
        attrs[i].key = a->key;
        attrs[i].value = a->value;
        attr_ptrs[i] = &attrs[i];
    }

    Waybill__EventBody pb;
    waybill__event_body__init(&pb);
    pb.version = EVENT_VERSION;
    pb.item = ev->item;
    pb.action = (Waybill__Action)ev->action;
    pb.location = ev->location;
    pb.time_ms = ev->time_ms;
    pb.submitter.len = WB_PUBKEY_LEN;
    pb.submitter.data = ev->submitter;
    if (ev->has_prev) {
        pb.prev.len = WB_HASH_LEN;
        pb.prev.data = ev->prev;
    }
    pb.n_attrs = ev->attr_count;
    pb.attrs = ev->attr_count ? attr_ptrs : NULL;
    pb.to_org = ev->to_org;
    pb.nonce = ev->nonce;
    if (ev->device_report_len) {
        pb.device_report.len = ev->device_report_len;
        pb.device_report.data = ev->device_report;
        pb.device_signature.len = WB_SIG_LEN;
        pb.device_signature.data = ev->device_sig;
    }

    size_t need = waybill__event_body__get_packed_size(&pb);
    if (need > WB_EVENT_BODY_MAX || need > cap) return WB_ERR_TOO_LARGE;
    size_t wrote = waybill__event_body__pack(&pb, out);
    WB_ASSERT(wrote == need);
    ledger_sha256(out, wrote, ev->id);
    *len = wrote;
    return WB_OK;
}

int ledger_event_decode(const uint8_t *body, size_t len, struct ledger_event *ev, char *msg,
                        size_t msg_len)
{
    memset(ev, 0, sizeof *ev);
    if (!body || len == 0) return wb_failf(WB_ERR_DECODE, msg, msg_len, "event body is empty");
    if (len > WB_EVENT_BODY_MAX)
        return wb_failf(WB_ERR_DECODE, msg, msg_len, "event body is %zu bytes, limit %d", len,
                        WB_EVENT_BODY_MAX);

    alignas(max_align_t) uint8_t arena_buf[UNPACK_ARENA_BYTES];
    struct unpack_arena arena = {.buf = arena_buf, .cap = sizeof arena_buf, .used = 0};
    ProtobufCAllocator alloc = {.alloc = arena_alloc, .free = arena_free,
                                .allocator_data = &arena};
    Waybill__EventBody *pb = waybill__event_body__unpack(&alloc, len, body);
    if (!pb) return wb_failf(WB_ERR_DECODE, msg, msg_len, "event body: malformed protobuf");

    /* One event, one encoding (ledger/canon.h): anything protobuf-c would
     * not have written byte for byte (unknown fields, here or in an
     * attribute, field order, repeats, padded varints, NULs inside strings)
     * is refused, so the id and the decoded fields agree. */
    int rc = ledger_pb_canonical(&pb->base, body, len, "event body", msg, msg_len);
    if (rc) goto out_free_pb;
    rc = event_from_pb(pb, ev, msg, msg_len);
    if (rc == WB_OK) ledger_sha256(body, len, ev->id);

out_free_pb:
    waybill__event_body__free_unpacked(pb, &alloc);
    if (rc) memset(ev, 0, sizeof *ev);
    return rc;
}

int ledger_signed_event_encode(const uint8_t *body, size_t body_len,
                               const uint8_t sig[WB_SIG_LEN], uint8_t *out, size_t cap,
                               size_t *len)
{
    if (body_len == 0) return WB_ERR_INVALID;
    if (body_len > WB_EVENT_BODY_MAX) return WB_ERR_TOO_LARGE;
    Waybill__SignedEvent se;
    waybill__signed_event__init(&se);
    se.body.len = body_len;
    se.body.data = (uint8_t *)body;
    se.signature.len = WB_SIG_LEN;
    se.signature.data = (uint8_t *)sig;
    size_t need = waybill__signed_event__get_packed_size(&se);
    if (need > cap) return WB_ERR_TOO_LARGE;
    size_t wrote = waybill__signed_event__pack(&se, out);
    WB_ASSERT(wrote == need);
    *len = wrote;
    return WB_OK;
}

int ledger_signed_event_split(const uint8_t *buf, size_t len, const uint8_t **body,
                              size_t *body_len, uint8_t sig[WB_SIG_LEN])
{
    if (!buf || len < 2 || len > WB_SIGNED_EVENT_MAX || buf[0] != TAG_BODY)
        return WB_ERR_DECODE;
    /* Body length: a minimal varint; bodies are at most WB_EVENT_BODY_MAX,
     * so two bytes suffice. */
    size_t pos = 1, blen = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (pos >= len || shift > 7) return WB_ERR_DECODE;
        uint8_t b = buf[pos++];
        blen |= (size_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (b == 0 && shift > 0) return WB_ERR_DECODE; /* padded varint */
            break;
        }
    }
    if (blen == 0 || blen > WB_EVENT_BODY_MAX) return WB_ERR_DECODE;
    if (len - pos != blen + 2 + WB_SIG_LEN) return WB_ERR_DECODE;
    if (buf[pos + blen] != TAG_SIGNATURE || buf[pos + blen + 1] != WB_SIG_LEN)
        return WB_ERR_DECODE;
    *body = buf + pos;
    *body_len = blen;
    memcpy(sig, buf + pos + blen + 2, WB_SIG_LEN);
    return WB_OK;
}

int ledger_signed_event_open(const uint8_t chain_id[WB_CHAIN_ID_LEN], const uint8_t *buf,
                             size_t len, bool verify_sig, struct ledger_event *ev, char *msg,
                             size_t msg_len)
{
    const uint8_t *body;
    size_t body_len;
    uint8_t sig[WB_SIG_LEN];
    if (ledger_signed_event_split(buf, len, &body, &body_len, sig) != WB_OK) {
        memset(ev, 0, sizeof *ev);
        return wb_failf(WB_ERR_DECODE, msg, msg_len,
                        "signed event: malformed (expected a body of 1 to %d bytes and a 64-byte "
                        "signature, %zu bytes in all at most)",
                        WB_EVENT_BODY_MAX, (size_t)WB_SIGNED_EVENT_MAX);
    }
    int rc = ledger_event_decode(body, body_len, ev, msg, msg_len);
    if (rc) return rc;
    if (!verify_sig) return WB_OK;
    rc = wb_event_sig_verify(chain_id, body, body_len, ev->submitter, sig);
    if (rc == WB_ERR_SIGNATURE) {
        char id_hex[2 * WB_HASH_LEN + 1], pk_hex[2 * WB_PUBKEY_LEN + 1];
        return wb_failf(WB_ERR_SIGNATURE, msg, msg_len,
                        "event %s: signature does not verify for submitter %s on this chain",
                        wb_hex_encode(ev->id, WB_HASH_LEN, id_hex, sizeof id_hex),
                        wb_hex_encode(ev->submitter, WB_PUBKEY_LEN, pk_hex, sizeof pk_hex));
    }
    if (rc) return wb_failf(rc, msg, msg_len, "event: signature check failed: %s", wb_strerror(rc));
    return WB_OK;
}

int ledger_event_sign(const uint8_t chain_id[WB_CHAIN_ID_LEN], struct ledger_event *ev,
                      const uint8_t sk[WB_SECKEY_LEN], uint8_t *out, size_t cap, size_t *len)
{
    uint8_t body[WB_EVENT_BODY_MAX], sig[WB_SIG_LEN];
    size_t body_len;
    int rc = ledger_event_encode(ev, body, sizeof body, &body_len);
    if (rc) return rc;
    rc = wb_event_sign(chain_id, body, body_len, sk, sig);
    if (rc) return rc;
    return ledger_signed_event_encode(body, body_len, sig, out, cap, len);
}
