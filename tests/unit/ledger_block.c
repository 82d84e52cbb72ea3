/* Unit tests of ledger/block.c: SHA-256, header encoding, whole-block build
 * and decode with the events Merkle root and count checks. */
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
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/merkle.h"
#include "proto/waybill.pb-c.h"

#define N_EVENTS 5

struct fixture {
    uint8_t events[N_EVENTS][WB_SIGNED_EVENT_MAX];
    size_t lens[N_EVENTS];
    const uint8_t *ptrs[N_EVENTS];
    struct ledger_block_header h;
};

/* Five real signed events (so the block holds what a node would put in one). */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    uint8_t seed[32], pk[32], sk[64];
    memset(seed, 3, sizeof seed);
    if (crypto_sign_seed_keypair(pk, sk, seed) != 0) return -1;
    f->h.version = WB_BLOCK_VERSION;
    memset(f->h.chain_id, 0xc1, 32);
    f->h.height = 7;
    f->h.time_ms = 1795000000000;
    memset(f->h.prev_hash, 0xab, 32);
    f->h.proposer = 2;
    for (int i = 0; i < N_EVENTS; i++) {
        struct ledger_event ev;
        memset(&ev, 0, sizeof ev);
        strcpy(ev.item, "CSQU3054383");
        ev.action = LEDGER_LOAD;
        strcpy(ev.location, "NLRTM");
        ev.time_ms = 1795000000000 + i;
        memcpy(ev.submitter, pk, 32);
        ev.nonce = (uint64_t)i;
        if (ledger_event_sign(f->h.chain_id, &ev, sk, f->events[i], sizeof f->events[i],
                              &f->lens[i]) != WB_OK)
            return -1;
        f->ptrs[i] = f->events[i];
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void assert_headers_equal(const struct ledger_block_header *a,
                                 const struct ledger_block_header *b)
{
    assert_int_equal(a->version, b->version);
    assert_memory_equal(a->chain_id, b->chain_id, 32);
    assert_true(a->height == b->height);
    assert_true(a->time_ms == b->time_ms);
    assert_memory_equal(a->prev_hash, b->prev_hash, 32);
    assert_memory_equal(a->events_root, b->events_root, 32);
    assert_int_equal(a->event_count, b->event_count);
    assert_int_equal(a->proposer, b->proposer);
    assert_int_equal(a->has_state, b->has_state);
    assert_memory_equal(a->state_root, b->state_root, 32);
    assert_true(a->item_count == b->item_count);
}

static void sha256_matches_known_answer(void **state)
{
    (void)state;
    uint8_t out[32];
    char hex[65];
    ledger_sha256((const uint8_t *)"abc", 3, out);
    assert_string_equal(wb_hex_encode(out, 32, hex, sizeof hex),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ledger_sha256(NULL, 0, out);
    assert_string_equal(wb_hex_encode(out, 32, hex, sizeof hex),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void header_encode_decode_round_trips(void **state)
{
    struct fixture *f = *state;
    struct ledger_block_header h = f->h, back;
    h.event_count = 9;
    memset(h.events_root, 0x11, 32);
    uint8_t buf[WB_HEADER_MAX];
    size_t len;
    assert_int_equal(ledger_header_encode(&h, buf, sizeof buf, &len), WB_OK);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_OK);
    assert_headers_equal(&h, &back);

    /* Height 1: prev hash all zeros still travels as 32 bytes. */
    h.height = 1;
    memset(h.prev_hash, 0, 32);
    h.event_count = 0;
    h.time_ms = -1;
    assert_int_equal(ledger_header_encode(&h, buf, sizeof buf, &len), WB_OK);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_OK);
    assert_headers_equal(&h, &back);

    assert_int_equal(ledger_header_encode(&h, buf, 20, &len), WB_ERR_TOO_LARGE);
}

/* Packs a hand-made header for the decode checks. */
static size_t pack_header(const struct ledger_block_header *h, uint32_t version,
                          size_t chain_len, size_t prev_len, size_t root_len, uint8_t *out)
{
    Waybill__BlockHeader pb;
    waybill__block_header__init(&pb);
    pb.version = version;
    pb.chain_id.len = chain_len;
    pb.chain_id.data = (uint8_t *)h->chain_id;
    pb.height = h->height;
    pb.time_ms = h->time_ms;
    pb.prev_hash.len = prev_len;
    pb.prev_hash.data = (uint8_t *)h->prev_hash;
    pb.events_root.len = root_len;
    pb.events_root.data = (uint8_t *)h->events_root;
    pb.event_count = h->event_count;
    pb.proposer = h->proposer;
    return waybill__block_header__pack(&pb, out);
}

static void header_decode_rejects_bad_versions_lengths_and_encodings(void **state)
{
    struct fixture *f = *state;
    struct ledger_block_header back;
    uint8_t buf[512];
    size_t len;

    len = pack_header(&f->h, 1, 32, 32, 32, buf);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_OK);
    len = pack_header(&f->h, 2, 32, 32, 32, buf);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_ERR_DECODE);
    len = pack_header(&f->h, 0, 32, 32, 32, buf);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_ERR_DECODE);
    len = pack_header(&f->h, 1, 31, 32, 32, buf);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_ERR_DECODE);
    len = pack_header(&f->h, 1, 32, 0, 32, buf);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_ERR_DECODE);
    len = pack_header(&f->h, 1, 32, 32, 16, buf);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_ERR_DECODE);

    /* A second encoding of the same fields (a repeated proposer field) would
     * give the same header another hash: refused. */
    len = pack_header(&f->h, 1, 32, 32, 32, buf);
    buf[len] = 8 << 3;
    buf[len + 1] = 2;
    assert_int_equal(ledger_header_decode(buf, len + 2, &back), WB_ERR_DECODE);
    /* An unknown field. */
    buf[len] = 20 << 3;
    buf[len + 1] = 1;
    assert_int_equal(ledger_header_decode(buf, len + 2, &back), WB_ERR_DECODE);

    assert_int_equal(ledger_header_decode(buf, 0, &back), WB_ERR_DECODE);
    memset(buf, 0, sizeof buf);
    assert_int_equal(ledger_header_decode(buf, WB_HEADER_MAX + 1, &back), WB_ERR_DECODE);
    const uint8_t junk[] = {0xff, 0xff};
    assert_int_equal(ledger_header_decode(junk, sizeof junk, &back), WB_ERR_DECODE);
}

/* Version 2 carries state_root (32 bytes) and item_count; version 1 neither. */
static void version_2_header_round_trips_and_version_fields_checked(void **state)
{
    struct fixture *f = *state;
    struct ledger_block_header h = f->h, back;
    h.version = WB_BLOCK_VERSION_STATE;
    h.has_state = true;
    memset(h.state_root, 0x5c, 32);
    h.item_count = 1234567;
    uint8_t buf[WB_HEADER_MAX];
    size_t len;
    assert_int_equal(ledger_header_encode(&h, buf, sizeof buf, &len), WB_OK);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_OK);
    assert_headers_equal(&h, &back);
    char msg[128];
    assert_int_equal(ledger_header_check_version(&back, WB_BLOCK_VERSION_STATE, msg, sizeof msg),
                     WB_OK);
    assert_int_equal(ledger_header_check_version(&back, WB_BLOCK_VERSION, msg, sizeof msg),
                     WB_ERR_INVALID);
    assert_string_equal(msg, "header version 2, expected 1");
    /* An empty tree's count is 0: the field is then absent, the root is not. */
    h.item_count = 0;
    assert_int_equal(ledger_header_encode(&h, buf, sizeof buf, &len), WB_OK);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_OK);
    assert_headers_equal(&h, &back);

    /* Version 2 without a root, version 1 with one or with a count: refused. */
    struct ledger_block_header bad = h;
    bad.has_state = false;
    assert_int_equal(ledger_header_encode(&bad, buf, sizeof buf, &len), WB_OK);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_ERR_DECODE);
    assert_int_equal(ledger_header_parse(buf, len, &back, msg, sizeof msg), WB_OK);
    assert_int_equal(ledger_header_check_version(&back, WB_BLOCK_VERSION_STATE, msg, sizeof msg),
                     WB_ERR_INVALID);
    assert_string_equal(msg, "a version 2 header without a state root");
    bad = h;
    bad.version = WB_BLOCK_VERSION;
    assert_int_equal(ledger_header_encode(&bad, buf, sizeof buf, &len), WB_OK);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_ERR_DECODE);
    bad.has_state = false;
    bad.item_count = 3;
    assert_int_equal(ledger_header_encode(&bad, buf, sizeof buf, &len), WB_OK);
    assert_int_equal(ledger_header_decode(buf, len, &back), WB_ERR_DECODE);
    assert_int_equal(ledger_header_parse(buf, len, &back, msg, sizeof msg), WB_OK);
    assert_int_equal(ledger_header_check_version(&back, WB_BLOCK_VERSION, msg, sizeof msg),
                     WB_ERR_INVALID);
    assert_string_equal(msg, "a version 1 header with a state root or item count");

    /* A state root of another length does not parse. */
    Waybill__BlockHeader pb;
    waybill__block_header__init(&pb);
    pb.version = WB_BLOCK_VERSION_STATE;
    pb.chain_id.len = 32;
    pb.chain_id.data = h.chain_id;
    pb.prev_hash.len = 32;
    pb.prev_hash.data = h.prev_hash;
    pb.events_root.len = 32;
    pb.events_root.data = h.events_root;
    pb.state_root.len = 16;
    pb.state_root.data = h.state_root;
    uint8_t raw[512];
    len = waybill__block_header__pack(&pb, raw);
    assert_int_equal(ledger_header_parse(raw, len, &back, msg, sizeof msg), WB_ERR_DECODE);
    assert_non_null(strstr(msg, "state_root is 16 bytes, expected 32 or none"));
}

static void build_then_decode_round_trips(void **state)
{
    struct fixture *f = *state;
    for (size_t n = 0; n <= N_EVENTS; n++) {
        struct ledger_block_header h = f->h;
        uint8_t *buf, hash[32];
        size_t len;
        assert_int_equal(ledger_block_build(&h, f->ptrs, f->lens, n, &buf, &len, hash), WB_OK);
        assert_int_equal(h.event_count, n);

        /* The root written back is RFC 6962 over the signed event bytes. */
        uint8_t leaves[N_EVENTS][32], root[32];
        for (size_t i = 0; i < n; i++) merkle_leaf_hash(f->ptrs[i], f->lens[i], leaves[i]);
        assert_int_equal(merkle_root((const uint8_t (*)[32])leaves, n, root), WB_OK);
        assert_memory_equal(h.events_root, root, 32);

        struct ledger_block b;
        assert_int_equal(ledger_block_decode(buf, len, &b), WB_OK);
        assert_headers_equal(&h, &b.header);
        assert_memory_equal(b.hash, hash, 32);
        assert_int_equal(b.event_count, n);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(b.lens[i], f->lens[i]);
            assert_memory_equal(b.events[i], f->ptrs[i], f->lens[i]);
        }
        ledger_block_free(&b);
        ledger_block_free(&b); /* freeing twice is harmless */
        free(buf);
    }
}

static void block_hash_is_sha256_of_header_bytes(void **state)
{
    struct fixture *f = *state;
    struct ledger_block_header h = f->h;
    uint8_t *buf, hash[32], want[32], hdr[WB_HEADER_MAX];
    size_t len, hdr_len;
    assert_int_equal(ledger_block_build(&h, f->ptrs, f->lens, N_EVENTS, &buf, &len, hash),
                     WB_OK);
    assert_int_equal(ledger_header_encode(&h, hdr, sizeof hdr, &hdr_len), WB_OK);
    assert_int_equal(crypto_hash_sha256(want, hdr, hdr_len), 0);
    assert_memory_equal(hash, want, 32);

    struct ledger_block b;
    assert_int_equal(ledger_block_decode(buf, len, &b), WB_OK);
    assert_int_equal(b.header_len, hdr_len);
    assert_memory_equal(b.header_bytes, hdr, hdr_len);
    assert_int_equal(crypto_hash_sha256(want, b.header_bytes, b.header_len), 0);
    assert_memory_equal(b.hash, want, 32);
    ledger_block_free(&b);

    /* Any header field changes the hash. */
    struct ledger_block_header h2 = f->h;
    h2.proposer++;
    uint8_t *buf2, hash2[32];
    size_t len2;
    assert_int_equal(ledger_block_build(&h2, f->ptrs, f->lens, N_EVENTS, &buf2, &len2, hash2),
                     WB_OK);
    assert_memory_not_equal(hash, hash2, 32);
    free(buf2);
    free(buf);
}

/* Re-packs a Block with the given header bytes and events. */
static uint8_t *pack_block(const uint8_t *header, size_t header_len, ProtobufCBinaryData *events,
                           size_t n, size_t *len)
{
    Waybill__Block pb;
    waybill__block__init(&pb);
    pb.header.len = header_len;
    pb.header.data = (uint8_t *)header;
    pb.n_events = n;
    pb.events = events;
    uint8_t *out = malloc(waybill__block__get_packed_size(&pb) + 1);
    assert_non_null(out);
    *len = waybill__block__pack(&pb, out);
    return out;
}

static void tampered_event_fails_the_root_check(void **state)
{
    struct fixture *f = *state;
    struct ledger_block_header h = f->h;
    uint8_t *buf, hash[32];
    size_t len;
    assert_int_equal(ledger_block_build(&h, f->ptrs, f->lens, N_EVENTS, &buf, &len, hash),
                     WB_OK);
    Waybill__Block *pb = waybill__block__unpack(NULL, len, buf);
    assert_non_null(pb);

    for (size_t i = 0; i < N_EVENTS; i++) {
        /* One flipped bit anywhere in event i. */
        for (size_t pos = 0; pos < pb->events[i].len; pos += 13) {
            pb->events[i].data[pos] ^= 0x04;
            size_t tlen;
            uint8_t *t = pack_block(pb->header.data, pb->header.len, pb->events,
                                    pb->n_events, &tlen);
            struct ledger_block b;
            int rc = ledger_block_decode(t, tlen, &b);
            if (rc != WB_ERR_DECODE)
                fail_msg("event %zu byte %zu flipped: decode returned %d", i, pos, rc);
            free(t);
            pb->events[i].data[pos] ^= 0x04;
        }
    }
    /* Two events swapped: same count, same bytes, other root. */
    ProtobufCBinaryData tmp = pb->events[0];
    pb->events[0] = pb->events[1];
    pb->events[1] = tmp;
    size_t tlen;
    uint8_t *t = pack_block(pb->header.data, pb->header.len, pb->events, pb->n_events, &tlen);
    struct ledger_block b;
    assert_int_equal(ledger_block_decode(t, tlen, &b), WB_ERR_DECODE);
    free(t);
    pb->events[1] = pb->events[0];
    pb->events[0] = tmp;

    /* And the same bytes, untouched, still decode. */
    t = pack_block(pb->header.data, pb->header.len, pb->events, pb->n_events, &tlen);
    assert_int_equal(ledger_block_decode(t, tlen, &b), WB_OK);
    ledger_block_free(&b);
    free(t);

    waybill__block__free_unpacked(pb, NULL);
    free(buf);
}

static void wrong_event_count_fails(void **state)
{
    struct fixture *f = *state;
    struct ledger_block_header h = f->h;
    uint8_t *buf, hash[32];
    size_t len;
    assert_int_equal(ledger_block_build(&h, f->ptrs, f->lens, N_EVENTS, &buf, &len, hash),
                     WB_OK);
    Waybill__Block *pb = waybill__block__unpack(NULL, len, buf);
    assert_non_null(pb);
    struct ledger_block b;
    size_t tlen;
    uint8_t *t;

    /* An event dropped from the block. */
    t = pack_block(pb->header.data, pb->header.len, pb->events, N_EVENTS - 1, &tlen);
    assert_int_equal(ledger_block_decode(t, tlen, &b), WB_ERR_DECODE);
    free(t);

    /* A header claiming one event more or less than the block carries, with
     * the root right for what it carries. */
    for (int delta = -1; delta <= 1; delta += 2) {
        struct ledger_block_header lie = h;
        lie.event_count = (uint32_t)((int)h.event_count + delta);
        uint8_t hdr[WB_HEADER_MAX];
        size_t hdr_len;
        assert_int_equal(ledger_header_encode(&lie, hdr, sizeof hdr, &hdr_len), WB_OK);
        t = pack_block(hdr, hdr_len, pb->events, pb->n_events, &tlen);
        assert_int_equal(ledger_block_decode(t, tlen, &b), WB_ERR_DECODE);
        free(t);
    }
    waybill__block__free_unpacked(pb, NULL);
    free(buf);
}

static void malformed_blocks_rejected(void **state)
{
    struct fixture *f = *state;
    struct ledger_block b;
    const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff};
    assert_int_equal(ledger_block_decode(junk, sizeof junk, &b), WB_ERR_DECODE);
    assert_int_equal(ledger_block_decode(junk, 0, &b), WB_ERR_DECODE);
    ledger_block_free(&b); /* harmless after a failed decode */

    /* No header at all. */
    size_t len;
    uint8_t *t = pack_block(NULL, 0, NULL, 0, &len);
    assert_int_equal(ledger_block_decode(t, len, &b), WB_ERR_DECODE);
    free(t);

    /* An event over the signed event limit. */
    struct ledger_block_header h = f->h;
    uint8_t *big = calloc(1, WB_SIGNED_EVENT_MAX + 1), *out, hash[32];
    assert_non_null(big);
    const uint8_t *ptrs[1] = {big};
    size_t lens[1] = {WB_SIGNED_EVENT_MAX + 1};
    assert_int_equal(ledger_block_build(&h, ptrs, lens, 1, &out, &len, hash), WB_ERR_TOO_LARGE);
    free(big);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_matches_known_answer),
        cmocka_unit_test_setup_teardown(header_encode_decode_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(header_decode_rejects_bad_versions_lengths_and_encodings,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(version_2_header_round_trips_and_version_fields_checked,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(build_then_decode_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(block_hash_is_sha256_of_header_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(tampered_event_fails_the_root_check, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_event_count_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_blocks_rejected, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
