/* Unit tests of ledger/event.c and ledger/types.c: event encodings, field
 * checks on decode, signing and opening, tamper detection, action and role
 * names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/types.h"
#include "proto/waybill.pb-c.h"

#define MSG_LEN 256

#define assert_msg_has(msg, want)                                                 \
    do {                                                                          \
        if (!strstr((msg), (want)))                                               \
            fail_msg("message \"%s\" does not contain \"%s\"", (msg), (want));    \
    } while (0)

struct fixture {
    uint8_t pk[32], sk[64];
    uint8_t chain[32], other_chain[32];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    /* Fixed seed: failures reproduce byte for byte. */
    uint8_t seed[32];
    memset(seed, 7, sizeof seed);
    if (crypto_sign_seed_keypair(f->pk, f->sk, seed) != 0) return -1;
    memset(f->chain, 0xc1, 32);
    memset(f->other_chain, 0xc2, 32);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* An event using every field. */
static void sample_event(const struct fixture *f, struct ledger_event *ev)
{
    memset(ev, 0, sizeof *ev);
    strcpy(ev->item, "CSQU3054383");
    ev->action = LEDGER_HANDOVER;
    strcpy(ev->location, "NLRTM");
    ev->time_ms = 1795000000123;
    memcpy(ev->submitter, f->pk, 32);
    ev->has_prev = true;
    for (int i = 0; i < 32; i++) ev->prev[i] = (uint8_t)(i * 7 + 1);
    ev->attr_count = 3;
    strcpy(ev->attrs[0].key, "vessel");
    strcpy(ev->attrs[0].value, "MSC G\xc3\x9cLS\xc3\x9cN");
    strcpy(ev->attrs[1].key, "voyage");
    strcpy(ev->attrs[1].value, "123W");
    strcpy(ev->attrs[2].key, "note");
    strcpy(ev->attrs[2].value, "");
    strcpy(ev->to_org, "Oceanic Lines");
    ev->nonce = 0x0123456789abcdefull;
}

static void assert_events_equal(const struct ledger_event *a, const struct ledger_event *b)
{
    assert_memory_equal(a->id, b->id, 32);
    assert_string_equal(a->item, b->item);
    assert_int_equal(a->action, b->action);
    assert_string_equal(a->location, b->location);
    assert_true(a->time_ms == b->time_ms);
    assert_memory_equal(a->submitter, b->submitter, 32);
    assert_int_equal(a->has_prev, b->has_prev);
    if (a->has_prev) assert_memory_equal(a->prev, b->prev, 32);
    assert_int_equal(a->attr_count, b->attr_count);
    for (size_t i = 0; i < a->attr_count; i++) {
        assert_string_equal(a->attrs[i].key, b->attrs[i].key);
        assert_string_equal(a->attrs[i].value, b->attrs[i].value);
    }
    assert_string_equal(a->to_org, b->to_org);
    assert_true(a->nonce == b->nonce);
}

/* Packs a hand-made EventBody (for bodies ledger_event_encode refuses). */
static size_t pack_body(const Waybill__EventBody *pb, uint8_t *out, size_t cap)
{
    size_t need = waybill__event_body__get_packed_size(pb);
    assert_true(need <= cap);
    return waybill__event_body__pack(pb, out);
}

/* A valid hand-made body; attrs points at caller storage. */
static void sample_pb(const struct fixture *f, Waybill__EventBody *pb)
{
    waybill__event_body__init(pb);
    pb->version = 1;
    pb->item = "CSQU3054383";
    pb->action = WAYBILL__ACTION__LOAD;
    pb->location = "NLRTM";
    pb->time_ms = 1795000000000;
    pb->submitter.len = 32;
    pb->submitter.data = (uint8_t *)f->pk;
}

static void expect_decode(const uint8_t *body, size_t len, int want_rc, const char *want_msg)
{
    struct ledger_event ev;
    char msg[MSG_LEN] = "";
    int rc = ledger_event_decode(body, len, &ev, msg, sizeof msg);
    if (rc != want_rc) fail_msg("decode: got %d (%s), expected %d", rc, msg, want_rc);
    if (want_msg) assert_msg_has(msg, want_msg);
}

/* ---- encode / decode -------------------------------------------------------- */

static void encode_decode_round_trips_every_field(void **state)
{
    struct fixture *f = *state;
    struct ledger_event ev, back;
    sample_event(f, &ev);
    uint8_t body[WB_EVENT_BODY_MAX];
    size_t len;
    assert_int_equal(ledger_event_encode(&ev, body, sizeof body, &len), WB_OK);

    uint8_t id[32];
    ledger_sha256(body, len, id);
    assert_memory_equal(ev.id, id, 32);

    char msg[MSG_LEN] = "";
    int rc = ledger_event_decode(body, len, &back, msg, sizeof msg);
    if (rc) fail_msg("decode failed: %s", msg);
    assert_events_equal(&ev, &back);

    /* The first event of an item: no prev, no location, no attributes. */
    ev.has_prev = false;
    ev.attr_count = 0;
    ev.location[0] = '\0';
    ev.to_org[0] = '\0';
    ev.action = LEDGER_COMMISSION;
    ev.time_ms = -5;
    assert_int_equal(ledger_event_encode(&ev, body, sizeof body, &len), WB_OK);
    rc = ledger_event_decode(body, len, &back, msg, sizeof msg);
    if (rc) fail_msg("decode failed: %s", msg);
    assert_events_equal(&ev, &back);
    assert_false(back.has_prev);
    assert_string_equal(back.location, "");
}

static void encode_refuses_fields_over_limits_and_small_buffers(void **state)
{
    struct fixture *f = *state;
    struct ledger_event ev;
    uint8_t body[WB_EVENT_BODY_MAX];
    size_t len;

    sample_event(f, &ev);
    assert_int_equal(ledger_event_encode(&ev, body, 10, &len), WB_ERR_TOO_LARGE);

    sample_event(f, &ev);
    ev.attr_count = WB_ATTRS_MAX + 1;
    assert_int_equal(ledger_event_encode(&ev, body, sizeof body, &len), WB_ERR_INVALID);

    sample_event(f, &ev);
    memset(ev.item, 'a', sizeof ev.item); /* unterminated */
    assert_int_equal(ledger_event_encode(&ev, body, sizeof body, &len), WB_ERR_INVALID);

    sample_event(f, &ev);
    memset(ev.attrs[1].value, 'v', sizeof ev.attrs[1].value);
    assert_int_equal(ledger_event_encode(&ev, body, sizeof body, &len), WB_ERR_INVALID);

    /* Sixteen attributes at their limits still fit a body. */
    sample_event(f, &ev);
    ev.attr_count = WB_ATTRS_MAX;
    for (int i = 0; i < WB_ATTRS_MAX; i++) {
        memset(ev.attrs[i].key, 'k', WB_ATTR_KEY_MAX);
        ev.attrs[i].key[WB_ATTR_KEY_MAX] = '\0';
        ev.attrs[i].key[0] = (char)('a' + i);
        memset(ev.attrs[i].value, 'v', WB_ATTR_VALUE_MAX);
        ev.attrs[i].value[WB_ATTR_VALUE_MAX] = '\0';
    }
    assert_int_equal(ledger_event_encode(&ev, body, sizeof body, &len), WB_OK);
    struct ledger_event back;
    char msg[MSG_LEN] = "";
    int rc = ledger_event_decode(body, len, &back, msg, sizeof msg);
    if (rc) fail_msg("decode of a body at every limit failed: %s", msg);
    assert_events_equal(&ev, &back);
}

static void decode_checks_structure_and_limits(void **state)
{
    struct fixture *f = *state;
    Waybill__EventBody pb;
    uint8_t body[2 * WB_EVENT_BODY_MAX], short_key[8] = {0};
    size_t len;

    sample_pb(f, &pb);
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_OK, NULL);

    sample_pb(f, &pb);
    pb.version = 2;
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_INVALID, "version is 2, expected 1");

    sample_pb(f, &pb);
    pb.action = 0;
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_INVALID, "action 0 is not a known action");
    pb.action = 27;
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_INVALID, "action 27 is not a known action");

    sample_pb(f, &pb);
    pb.submitter.len = 31;
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_INVALID, "submitter is 31 bytes");
    pb.submitter.len = 0;
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_INVALID, "submitter is 0 bytes");

    sample_pb(f, &pb);
    pb.prev.len = 8;
    pb.prev.data = short_key;
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_INVALID, "prev is 8 bytes");

    sample_pb(f, &pb);
    pb.item = "";
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_INVALID, "item id is empty");
    pb.item = "CSQU3054384";
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_CHECK_DIGIT, "check digit is 4, expected 3");
    pb.item = "urn:has space";
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_INVALID, "space");

    sample_pb(f, &pb);
    pb.location = "nlrtm";
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_INVALID, "location nlrtm");
    pb.location = "4000001000006";
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_CHECK_DIGIT, "check digit is 6, expected 5");

    sample_pb(f, &pb);
    char long_org[WB_ORG_MAX + 2];
    memset(long_org, 'o', sizeof long_org - 1);
    long_org[sizeof long_org - 1] = '\0';
    pb.to_org = long_org;
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_INVALID, "to_org");
    pb.to_org = "tab\torg";
    len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, WB_ERR_INVALID, "to_org");
}

/* Decodes a sample body carrying the given attributes. */
static void expect_attrs(const struct fixture *f, const char *const (*kv)[2], size_t n,
                         int want_rc, const char *want_msg)
{
    Waybill__EventBody pb;
    Waybill__Attr attrs[WB_ATTRS_MAX + 2], *ptrs[WB_ATTRS_MAX + 2];
    assert_true(n <= WB_ATTRS_MAX + 2);
    sample_pb(f, &pb);
    for (size_t i = 0; i < n; i++) {
        waybill__attr__init(&attrs[i]);
        attrs[i].key = (char *)kv[i][0];
        attrs[i].value = (char *)kv[i][1];
        ptrs[i] = &attrs[i];
    }
    pb.n_attrs = n;
    pb.attrs = ptrs;
    uint8_t body[2 * WB_EVENT_BODY_MAX];
    size_t len = pack_body(&pb, body, sizeof body);
    expect_decode(body, len, want_rc, want_msg);
}

static void decode_checks_attributes(void **state)
{
    struct fixture *f = *state;
    char long_key[WB_ATTR_KEY_MAX + 2], long_value[WB_ATTR_VALUE_MAX + 2];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    memset(long_value, 'v', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';

    const char *const ok[][2] = {{"seal", "ML-123456"}, {"hs_code", "8471.30"}};
    expect_attrs(f, ok, 2, WB_OK, NULL);

    const char *const empty_key[][2] = {{"", "x"}};
    expect_attrs(f, empty_key, 1, WB_ERR_INVALID, "attrs[0].key");
    const char *const spaced_key[][2] = {{"seal", "a"}, {"hs code", "x"}};
    expect_attrs(f, spaced_key, 2, WB_ERR_INVALID, "attrs[1].key");
    const char *const eq_key[][2] = {{"a=b", "x"}};
    expect_attrs(f, eq_key, 1, WB_ERR_INVALID, "attrs[0].key");
    const char *const too_long_key[][2] = {{long_key, "x"}};
    expect_attrs(f, too_long_key, 1, WB_ERR_INVALID, "attrs[0].key");
    const char *const too_long_value[][2] = {{"seal", long_value}};
    expect_attrs(f, too_long_value, 1, WB_ERR_INVALID, "value is 129 bytes, limit 128");
    const char *const control_value[][2] = {{"seal", "line\nbreak"}};
    expect_attrs(f, control_value, 1, WB_ERR_INVALID, "not UTF-8 text");
    const char *const bad_utf8[][2] = {{"seal", "\xc3("}};
    expect_attrs(f, bad_utf8, 1, WB_ERR_INVALID, "not UTF-8 text");
    const char *const overlong_utf8[][2] = {{"seal", "\xc0\xaf"}};
    expect_attrs(f, overlong_utf8, 1, WB_ERR_INVALID, "not UTF-8 text");
    const char *const surrogate[][2] = {{"seal", "\xed\xa0\x80"}};
    expect_attrs(f, surrogate, 1, WB_ERR_INVALID, "not UTF-8 text");
    const char *const dup[][2] = {{"seal", "a"}, {"vessel", "b"}, {"seal", "c"}};
    expect_attrs(f, dup, 3, WB_ERR_INVALID, "attribute seal appears twice");

    const char *many[WB_ATTRS_MAX + 1][2];
    char keys[WB_ATTRS_MAX + 1][8];
    for (int i = 0; i <= WB_ATTRS_MAX; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        many[i][0] = keys[i];
        many[i][1] = "v";
    }
    expect_attrs(f, (const char *const (*)[2])many, WB_ATTRS_MAX, WB_OK, NULL);
    expect_attrs(f, (const char *const (*)[2])many, WB_ATTRS_MAX + 1, WB_ERR_INVALID,
                 "17 attributes, limit 16");
}

static void decode_rejects_malformed_and_noncanonical_bytes(void **state)
{
    struct fixture *f = *state;
    Waybill__EventBody pb;
    uint8_t body[2 * WB_EVENT_BODY_MAX + 64];
    size_t len;

    expect_decode(NULL, 0, WB_ERR_DECODE, "empty");
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    expect_decode(junk, sizeof junk, WB_ERR_DECODE, "malformed");

    sample_pb(f, &pb);
    len = pack_body(&pb, body, sizeof body);
    /* Truncated anywhere: malformed or a field that no longer checks out. */
    for (size_t cut = 1; cut < len; cut++) {
        struct ledger_event ev;
        char msg[MSG_LEN];
        if (ledger_event_decode(body, cut, &ev, msg, sizeof msg) == WB_OK)
            fail_msg("body truncated to %zu of %zu bytes decoded", cut, len);
    }

    /* An unknown field (number 15, varint 1) after valid fields. */
    body[len] = 15 << 3;
    body[len + 1] = 1;
    expect_decode(body, len + 2, WB_ERR_DECODE, "unknown field 15");

    /* A field repeated: protobuf keeps the last, we refuse the ambiguity. */
    len = pack_body(&pb, body, sizeof body);
    body[len] = 5 << 3; /* time_ms again */
    body[len + 1] = 1;
    expect_decode(body, len + 2, WB_ERR_DECODE, "canonical");

    /* Fields out of order: nonce (10) first. */
    len = pack_body(&pb, body + 2, sizeof body - 2);
    body[0] = 10 << 3;
    body[1] = 9;
    expect_decode(body, len + 2, WB_ERR_DECODE, "canonical");

    /* A padded varint: version 1 as 0x81 0x00. */
    len = pack_body(&pb, body, sizeof body);
    assert_int_equal(body[0], 0x08);
    assert_int_equal(body[1], 0x01);
    memmove(body + 3, body + 2, len - 2);
    body[1] = 0x81;
    body[2] = 0x00;
    expect_decode(body, len + 1, WB_ERR_DECODE, "canonical");

    /* A NUL inside a string: "CSQU3054383\0x" would read as CSQU3054383. */
    char item_nul[] = "CSQU3054383\0x";
    len = pack_body(&pb, body, sizeof body);
    assert_int_equal(body[2], 0x12); /* item: field 2, length-delimited */
    assert_int_equal(body[3], 11);
    memmove(body + 4 + 13, body + 4 + 11, len - 4 - 11);
    memcpy(body + 4, item_nul, 13);
    body[3] = 13;
    expect_decode(body, len + 2, WB_ERR_DECODE, "canonical");

    /* Over the body limit. */
    memset(body, 0, WB_EVENT_BODY_MAX + 1);
    expect_decode(body, WB_EVENT_BODY_MAX + 1, WB_ERR_DECODE, "limit 4096");

    /* A failed decode leaves nothing behind. */
    struct ledger_event ev;
    memset(&ev, 0x5a, sizeof ev);
    assert_int_not_equal(ledger_event_decode(junk, sizeof junk, &ev, NULL, 0), WB_OK);
    struct ledger_event zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&ev, &zero, sizeof ev);
}

/* An unknown field inside a nested Attr is refused too (found by the fuzz
 * target): protobuf-c would re-encode it, so the canonical-bytes check alone
 * does not see it, and one event would have two encodings and two ids. */
static void unknown_field_inside_an_attribute_is_refused(void **state)
{
    struct fixture *f = *state;
    Waybill__EventBody pb;
    uint8_t body[WB_EVENT_BODY_MAX];
    sample_pb(f, &pb);
    size_t len = pack_body(&pb, body, sizeof body);
    /* field 8 (attrs), length 12: key "seal", value "S1", then field 10 = 1 */
    const uint8_t attr[] = {0x42, 12,  0x0a, 4,   's', 'e', 'a',
                            'l',  0x12, 2,   'S', '1', 0x50, 0x01};
    memcpy(body + len, attr, sizeof attr);
    /* The same attribute without the unknown field decodes. */
    uint8_t good[WB_EVENT_BODY_MAX];
    memcpy(good, body, len + sizeof attr - 2);
    good[len + 1] = 10;
    expect_decode(good, len + sizeof attr - 2, WB_OK, NULL);
    expect_decode(body, len + sizeof attr, WB_ERR_DECODE, "unknown field 10 in attrs[0]");
}

static void bodies_needing_more_than_the_stack_arena_are_decoded_and_freed(void **state)
{
    struct fixture *f = *state;
    Waybill__EventBody pb;
    uint8_t body[WB_EVENT_BODY_MAX];
    sample_pb(f, &pb);
    size_t len = pack_body(&pb, body, sizeof body);
    /* Empty attributes, two bytes each on the wire and a heap object each in
     * the decoder: far beyond the stack arena. The sanitizer build checks
     * that every one is freed. */
    size_t n = 0;
    while (len + 2 <= WB_EVENT_BODY_MAX) {
        body[len++] = 8 << 3 | 2;
        body[len++] = 0;
        n++;
    }
    char want[64];
    snprintf(want, sizeof want, "%zu attributes, limit 16", n);
    expect_decode(body, len, WB_ERR_INVALID, want);

    /* The same with unknown fields instead. */
    len = pack_body(&pb, body, sizeof body);
    while (len + 2 <= WB_EVENT_BODY_MAX) {
        body[len++] = 15 << 3;
        body[len++] = 0;
    }
    expect_decode(body, len, WB_ERR_DECODE, "unknown field 15");
}

/* ---- SignedEvent --------------------------------------------------------------- */

static void signed_event_split_is_zero_copy_and_protobuf_compatible(void **state)
{
    (void)state;
    uint8_t body[300], sig[64], out[512], got_sig[64];
    for (size_t i = 0; i < sizeof body; i++) body[i] = (uint8_t)i;
    memset(sig, 0x5e, sizeof sig);
    size_t len;
    assert_int_equal(ledger_signed_event_encode(body, sizeof body, sig, out, sizeof out, &len),
                     WB_OK);

    const uint8_t *b;
    size_t blen;
    assert_int_equal(ledger_signed_event_split(out, len, &b, &blen, got_sig), WB_OK);
    assert_int_equal(blen, sizeof body);
    assert_true(b >= out && b + blen <= out + len); /* points into the buffer */
    assert_memory_equal(b, body, blen);
    assert_memory_equal(got_sig, sig, 64);

    /* protobuf-c reads the same message back. */
    Waybill__SignedEvent *se = waybill__signed_event__unpack(NULL, len, out);
    assert_non_null(se);
    assert_int_equal(se->body.len, sizeof body);
    assert_memory_equal(se->body.data, body, sizeof body);
    assert_int_equal(se->signature.len, 64);
    waybill__signed_event__free_unpacked(se, NULL);

    assert_int_equal(ledger_signed_event_encode(body, sizeof body, sig, out, 100, &len),
                     WB_ERR_TOO_LARGE);
    assert_int_equal(ledger_signed_event_encode(body, 0, sig, out, sizeof out, &len),
                     WB_ERR_INVALID);
}

static void signed_event_split_rejects_other_layouts(void **state)
{
    (void)state;
    uint8_t body[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, sig[64] = {0}, got[64];
    uint8_t buf[256];
    size_t len;
    const uint8_t *b;
    size_t blen;
    assert_int_equal(ledger_signed_event_encode(body, sizeof body, sig, buf, sizeof buf, &len),
                     WB_OK);
    assert_int_equal(len, 2 + 10 + 2 + 64);

    /* Trailing byte, missing byte. */
    assert_int_equal(ledger_signed_event_split(buf, len + 1, &b, &blen, got), WB_ERR_DECODE);
    assert_int_equal(ledger_signed_event_split(buf, len - 1, &b, &blen, got), WB_ERR_DECODE);
    assert_int_equal(ledger_signed_event_split(buf, 0, &b, &blen, got), WB_ERR_DECODE);
    assert_int_equal(ledger_signed_event_split(NULL, 10, &b, &blen, got), WB_ERR_DECODE);

    /* Signature field first. */
    uint8_t swapped[256];
    memcpy(swapped, buf + 12, 66);
    memcpy(swapped + 66, buf, 12);
    assert_int_equal(ledger_signed_event_split(swapped, len, &b, &blen, got), WB_ERR_DECODE);

    /* A 63-byte signature. */
    Waybill__SignedEvent se;
    waybill__signed_event__init(&se);
    se.body.len = sizeof body;
    se.body.data = body;
    se.signature.len = 63;
    se.signature.data = sig;
    size_t n = waybill__signed_event__pack(&se, buf);
    assert_int_equal(ledger_signed_event_split(buf, n, &b, &blen, got), WB_ERR_DECODE);

    /* Padded body length varint. */
    uint8_t padded[256];
    padded[0] = 0x0a;
    padded[1] = 0x8a;
    padded[2] = 0x00;
    memcpy(padded + 3, body, 10);
    padded[13] = 0x12;
    padded[14] = 0x40;
    memcpy(padded + 15, sig, 64);
    assert_int_equal(ledger_signed_event_split(padded, 79, &b, &blen, got), WB_ERR_DECODE);

    /* Over the signed event limit. */
    uint8_t *big = calloc(1, WB_SIGNED_EVENT_MAX + 1);
    assert_non_null(big);
    big[0] = 0x0a;
    assert_int_equal(ledger_signed_event_split(big, WB_SIGNED_EVENT_MAX + 1, &b, &blen, got),
                     WB_ERR_DECODE);
    free(big);
}

static void sign_then_open_verifies(void **state)
{
    struct fixture *f = *state;
    struct ledger_event ev, back;
    sample_event(f, &ev);
    uint8_t buf[WB_SIGNED_EVENT_MAX];
    size_t len;
    assert_int_equal(ledger_event_sign(f->chain, &ev, f->sk, buf, sizeof buf, &len), WB_OK);

    char msg[MSG_LEN] = "";
    int rc = ledger_signed_event_open(f->chain, buf, len, true, &back, msg, sizeof msg);
    if (rc) fail_msg("open failed: %s", msg);
    assert_events_equal(&ev, &back);

    /* The signature covers "waybill/event/v1" || chain_id || body. */
    const uint8_t *body;
    size_t body_len;
    uint8_t sig[64];
    assert_int_equal(ledger_signed_event_split(buf, len, &body, &body_len, sig), WB_OK);
    uint8_t id[32];
    ledger_sha256(body, body_len, id);
    assert_memory_equal(back.id, id, 32);
    size_t tag = strlen("waybill/event/v1");
    uint8_t *m = malloc(tag + 32 + body_len);
    assert_non_null(m);
    memcpy(m, "waybill/event/v1", tag);
    memcpy(m + tag, f->chain, 32);
    memcpy(m + tag + 32, body, body_len);
    assert_int_equal(crypto_sign_verify_detached(sig, m, tag + 32 + body_len, f->pk), 0);
    free(m);
}

static void open_with_another_chain_id_fails_signature(void **state)
{
    struct fixture *f = *state;
    struct ledger_event ev, back;
    sample_event(f, &ev);
    uint8_t buf[WB_SIGNED_EVENT_MAX];
    size_t len;
    assert_int_equal(ledger_event_sign(f->chain, &ev, f->sk, buf, sizeof buf, &len), WB_OK);
    char msg[MSG_LEN] = "";
    assert_int_equal(ledger_signed_event_open(f->other_chain, buf, len, true, &back, msg,
                                              sizeof msg),
                     WB_ERR_SIGNATURE);
    assert_msg_has(msg, "signature does not verify");
    /* The event itself is still reported, so a caller can name it. */
    assert_memory_equal(back.id, ev.id, 32);
}

static void altering_any_byte_of_a_signed_event_never_opens(void **state)
{
    struct fixture *f = *state;
    struct ledger_event ev, back;
    sample_event(f, &ev);
    uint8_t buf[WB_SIGNED_EVENT_MAX], copy[WB_SIGNED_EVENT_MAX];
    size_t len;
    assert_int_equal(ledger_event_sign(f->chain, &ev, f->sk, buf, sizeof buf, &len), WB_OK);
    static const uint8_t flips[] = {0x01, 0x80, 0xff};
    size_t outcomes[4] = {0};
    for (size_t pos = 0; pos < len; pos++) {
        for (size_t k = 0; k < sizeof flips; k++) {
            memcpy(copy, buf, len);
            copy[pos] ^= flips[k];
            char msg[MSG_LEN] = "";
            int rc = ledger_signed_event_open(f->chain, copy, len, true, &back, msg, sizeof msg);
            switch (rc) {
            case WB_ERR_DECODE: outcomes[0]++; break;
            case WB_ERR_INVALID: outcomes[1]++; break;
            case WB_ERR_CHECK_DIGIT: outcomes[2]++; break;
            case WB_ERR_SIGNATURE: outcomes[3]++; break;
            default:
                fail_msg("byte %zu of %zu xor 0x%02x: open returned %d (%s)", pos, len,
                         flips[k], rc, msg);
            }
        }
    }
    /* Every kind of refusal happened, so the loop reached every layer. */
    for (int i = 0; i < 4; i++)
        if (outcomes[i] == 0) fail_msg("no alteration ended in outcome %d", i);
}

static void open_without_signature_check_skips_only_the_signature(void **state)
{
    struct fixture *f = *state;
    struct ledger_event ev, back;
    sample_event(f, &ev);
    uint8_t buf[WB_SIGNED_EVENT_MAX];
    size_t len;
    char msg[MSG_LEN] = "";
    assert_int_equal(ledger_event_sign(f->chain, &ev, f->sk, buf, sizeof buf, &len), WB_OK);

    /* A broken signature opens when the check is skipped... */
    buf[len - 1] ^= 0x01;
    assert_int_equal(ledger_signed_event_open(f->chain, buf, len, false, &back, msg, sizeof msg),
                     WB_OK);
    assert_events_equal(&ev, &back);
    assert_int_equal(ledger_signed_event_open(f->chain, buf, len, true, &back, msg, sizeof msg),
                     WB_ERR_SIGNATURE);

    /* ...but every other check still runs. */
    strcpy(ev.item, "CSQU3054384");
    assert_int_equal(ledger_event_sign(f->chain, &ev, f->sk, buf, sizeof buf, &len), WB_OK);
    assert_int_equal(ledger_signed_event_open(f->chain, buf, len, false, &back, msg, sizeof msg),
                     WB_ERR_CHECK_DIGIT);
    assert_int_equal(ledger_signed_event_open(f->chain, buf, len - 1, false, &back, msg,
                                              sizeof msg),
                     WB_ERR_DECODE);
    assert_msg_has(msg, "signed event: malformed");
}

static void oversize_signed_events_rejected(void **state)
{
    struct fixture *f = *state;
    struct ledger_event back;
    char msg[MSG_LEN] = "";
    uint8_t *big = calloc(1, 2 * WB_SIGNED_EVENT_MAX);
    uint8_t *body = calloc(1, WB_EVENT_BODY_MAX + 1);
    assert_non_null(big);
    assert_non_null(body);
    uint8_t sig[64] = {0};
    size_t len;
    assert_int_equal(ledger_signed_event_encode(body, WB_EVENT_BODY_MAX + 1, sig, big,
                                                2 * WB_SIGNED_EVENT_MAX, &len),
                     WB_ERR_TOO_LARGE);
    /* A structurally valid SignedEvent whose body is one byte over. */
    Waybill__SignedEvent se;
    waybill__signed_event__init(&se);
    se.body.len = WB_EVENT_BODY_MAX + 1;
    se.body.data = body;
    se.signature.len = 64;
    se.signature.data = sig;
    len = waybill__signed_event__pack(&se, big);
    assert_int_equal(ledger_signed_event_open(f->chain, big, len, true, &back, msg, sizeof msg),
                     WB_ERR_DECODE);
    free(body);
    free(big);
}

/* ---- types.c --------------------------------------------------------------------- */

static void action_and_role_names_round_trip(void **state)
{
    (void)state;
    static const char *const actions[] = {
        "commission", "seal", "unseal", "load", "depart", "arrive", "unload",
        "handover", "receive", "inspect", "hold", "release", "clear", "deliver",
        "key_add", "key_revoke", "gov_propose", "gov_approve",
        "device_register", "device_retire", "device_attach", "device_detach",
        "seal_status", "position", "reading", "plan_set",
    };
    assert_int_equal(sizeof actions / sizeof actions[0], LEDGER_ACTION_COUNT - 1);
    for (int a = LEDGER_COMMISSION; a < LEDGER_ACTION_COUNT; a++) {
        assert_string_equal(ledger_action_name((enum ledger_action)a), actions[a - 1]);
        assert_int_equal(ledger_action_parse(actions[a - 1]), a);
    }
    /* The values are the proto's. */
    assert_int_equal(LEDGER_DELIVER, WAYBILL__ACTION__DELIVER);
    assert_int_equal(LEDGER_HANDOVER, WAYBILL__ACTION__HANDOVER);
    assert_int_equal(LEDGER_KEY_ADD, WAYBILL__ACTION__KEY_ADD);
    assert_int_equal(LEDGER_GOV_APPROVE, WAYBILL__ACTION__GOV_APPROVE);
    assert_int_equal(LEDGER_DEVICE_REGISTER, WAYBILL__ACTION__DEVICE_REGISTER);
    assert_int_equal(LEDGER_PLAN_SET, WAYBILL__ACTION__PLAN_SET);
    assert_true(ledger_action_is_gov(LEDGER_KEY_REVOKE));
    assert_false(ledger_action_is_gov(LEDGER_DELIVER));
    assert_null(ledger_action_name(LEDGER_ACTION_NONE));
    assert_null(ledger_action_name(LEDGER_ACTION_COUNT));
    assert_int_equal(ledger_action_parse("Load"), LEDGER_ACTION_NONE);
    assert_int_equal(ledger_action_parse(""), LEDGER_ACTION_NONE);
    assert_int_equal(ledger_action_parse(NULL), LEDGER_ACTION_NONE);

    static const char *const roles[] = {"shipper", "carrier", "customs", "auditor"};
    for (int r = LEDGER_ROLE_SHIPPER; r <= LEDGER_ROLE_AUDITOR; r++) {
        assert_string_equal(ledger_role_name((enum ledger_role)r), roles[r - 1]);
        assert_int_equal(ledger_role_parse(roles[r - 1]), r);
    }
    assert_null(ledger_role_name(LEDGER_ROLE_NONE));
    assert_null(ledger_role_name((enum ledger_role)99));
    assert_int_equal(ledger_role_parse("pirate"), LEDGER_ROLE_NONE);
}

static void event_attr_finds_values_by_key(void **state)
{
    struct fixture *f = *state;
    struct ledger_event ev;
    sample_event(f, &ev);
    assert_string_equal(ledger_event_attr(&ev, "voyage"), "123W");
    assert_string_equal(ledger_event_attr(&ev, "note"), "");
    assert_null(ledger_event_attr(&ev, "seal"));
    assert_null(ledger_event_attr(&ev, NULL));
    ev.attr_count = 1;
    assert_null(ledger_event_attr(&ev, "voyage"));
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(encode_decode_round_trips_every_field, setup, teardown),
        cmocka_unit_test_setup_teardown(encode_refuses_fields_over_limits_and_small_buffers,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(decode_checks_structure_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(decode_checks_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(decode_rejects_malformed_and_noncanonical_bytes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(unknown_field_inside_an_attribute_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            bodies_needing_more_than_the_stack_arena_are_decoded_and_freed, setup, teardown),
        cmocka_unit_test(signed_event_split_is_zero_copy_and_protobuf_compatible),
        cmocka_unit_test(signed_event_split_rejects_other_layouts),
        cmocka_unit_test_setup_teardown(sign_then_open_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(open_with_another_chain_id_fails_signature, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(altering_any_byte_of_a_signed_event_never_opens, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(open_without_signature_check_skips_only_the_signature,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(oversize_signed_events_rejected, setup, teardown),
        cmocka_unit_test(action_and_role_names_round_trip),
        cmocka_unit_test_setup_teardown(event_attr_finds_values_by_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
