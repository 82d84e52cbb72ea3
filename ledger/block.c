/* Blocks: header encoding (the bytes a block hash covers), and
 * building and decoding whole blocks with their events Merkle root. */
#include "ledger/block.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/canon.h"
#include "ledger/merkle.h"
#include "proto/waybill.pb-c.h"

static void header_to_pb(const struct ledger_block_header *h, Waybill__BlockHeader *pb)
{
    waybill__block_header__init(pb);
    pb->version = h->version;
    pb->chain_id.len = WB_CHAIN_ID_LEN;
    pb->chain_id.data = (uint8_t *)h->chain_id;
    pb->height = h->height;
    pb->time_ms = h->time_ms;
    pb->prev_hash.len = WB_HASH_LEN;
    pb->prev_hash.data = (uint8_t *)h->prev_hash;
    pb->events_root.len = WB_HASH_LEN;
    pb->events_root.data = (uint8_t *)h->events_root;
    pb->event_count = h->event_count;
    pb->proposer = h->proposer;
    if (h->has_state) {
        pb->state_root.len = WB_HASH_LEN;
        pb->state_root.data = (uint8_t *)h->state_root;
    }
    pb->item_count = h->item_count;
}

int ledger_header_encode(const struct ledger_block_header *h, uint8_t *out, size_t cap,
                         size_t *len)
{
    Waybill__BlockHeader pb;
    header_to_pb(h, &pb);
    size_t need = waybill__block_header__get_packed_size(&pb);
    WB_ASSERT(need <= WB_HEADER_MAX);
    if (need > cap) return WB_ERR_TOO_LARGE;
    size_t wrote = waybill__block_header__pack(&pb, out);
    WB_ASSERT(wrote == need);
    *len = wrote;
    return WB_OK;
}

int ledger_header_parse(const uint8_t *buf, size_t len, struct ledger_block_header *h,
                        char *msg, size_t msg_len)
{
    if (!buf || len == 0) return wb_failf(WB_ERR_DECODE, msg, msg_len, "block header: empty");
    if (len > WB_HEADER_MAX)
        return wb_failf(WB_ERR_DECODE, msg, msg_len, "block header: %zu bytes, limit %d", len,
                        WB_HEADER_MAX);
    ProtobufCMessage *m;
    /* The block hash covers these exact bytes: only their one encoding is
     * accepted, so one header cannot have two hashes. */
    int rc = ledger_pb_decode(&waybill__block_header__descriptor, NULL, buf, len,
                              "block header", &m, msg, msg_len);
    if (rc) return rc;
    Waybill__BlockHeader *pb = (Waybill__BlockHeader *)m;
    if (pb->chain_id.len != WB_CHAIN_ID_LEN) {
        rc = wb_failf(WB_ERR_DECODE, msg, msg_len,
                      "block header: chain_id is %zu bytes, expected %d", pb->chain_id.len,
                      WB_CHAIN_ID_LEN);
        goto out_free_pb;
    }
    if (pb->prev_hash.len != WB_HASH_LEN) {
        rc = wb_failf(WB_ERR_DECODE, msg, msg_len,
                      "block header: prev_hash is %zu bytes, expected %d", pb->prev_hash.len,
                      WB_HASH_LEN);
        goto out_free_pb;
    }
    if (pb->events_root.len != WB_HASH_LEN) {
        rc = wb_failf(WB_ERR_DECODE, msg, msg_len,
                      "block header: events_root is %zu bytes, expected %d", pb->events_root.len,
                      WB_HASH_LEN);
        goto out_free_pb;
    }
    if (pb->state_root.len != 0 && pb->state_root.len != WB_HASH_LEN) {
        rc = wb_failf(WB_ERR_DECODE, msg, msg_len,
                      "block header: state_root is %zu bytes, expected %d or none",
                      pb->state_root.len, WB_HASH_LEN);
        goto out_free_pb;
    }
    memset(h, 0, sizeof *h);
    h->version = pb->version;
    h->height = pb->height;
    h->time_ms = pb->time_ms;
    h->event_count = pb->event_count;
    h->proposer = pb->proposer;
    memcpy(h->chain_id, pb->chain_id.data, WB_CHAIN_ID_LEN);
    memcpy(h->prev_hash, pb->prev_hash.data, WB_HASH_LEN);
    memcpy(h->events_root, pb->events_root.data, WB_HASH_LEN);
    h->has_state = pb->state_root.len == WB_HASH_LEN;
    if (h->has_state) memcpy(h->state_root, pb->state_root.data, WB_HASH_LEN);
    h->item_count = pb->item_count;
out_free_pb:
    waybill__block_header__free_unpacked(pb, NULL);
    return rc;
}

int ledger_header_decode(const uint8_t *buf, size_t len, struct ledger_block_header *h)
{
    struct ledger_block_header tmp;
    if (ledger_header_parse(buf, len, &tmp, NULL, 0) != WB_OK) return WB_ERR_DECODE;
    if (tmp.version != WB_BLOCK_VERSION && tmp.version != WB_BLOCK_VERSION_STATE)
        return WB_ERR_DECODE;
    if (ledger_header_check_version(&tmp, tmp.version, NULL, 0) != WB_OK) return WB_ERR_DECODE;
    *h = tmp;
    return WB_OK;
}

int ledger_header_check_version(const struct ledger_block_header *h, uint32_t want, char *msg,
                                size_t msg_len)
{
    if (h->version != want)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "header version %u, expected %u",
                        (unsigned)h->version, (unsigned)want);
    if (want == WB_BLOCK_VERSION_STATE && !h->has_state)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "a version %u header without a state root", (unsigned)want);
    if (want != WB_BLOCK_VERSION_STATE && (h->has_state || h->item_count))
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "a version %u header with a state root or item count", (unsigned)want);
    return WB_OK;
}

/* Leaf hashes of n SignedEvent byte strings into a malloc'd array (NULL
 * for n = 0), then the root. */
static int events_root(const uint8_t *const *events, const size_t *lens, size_t n,
                       uint8_t root[WB_HASH_LEN])
{
    uint8_t (*leaves)[MERKLE_HASH_LEN] = NULL;
    if (n) {
        if (n > SIZE_MAX / MERKLE_HASH_LEN) return WB_ERR_NOMEM;
        leaves = malloc(n * MERKLE_HASH_LEN);
        if (!leaves) return WB_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) merkle_leaf_hash(events[i], lens[i], leaves[i]);
    int rc = merkle_root((const uint8_t (*)[MERKLE_HASH_LEN])leaves, n, root);
    free(leaves);
    return rc;
}

int ledger_block_build(struct ledger_block_header *h, const uint8_t *const *events,
                       const size_t *lens, size_t n, uint8_t **out, size_t *out_len,
                       uint8_t hash[WB_HASH_LEN])
{
    if (n > UINT32_MAX) return WB_ERR_TOO_LARGE;
    for (size_t i = 0; i < n; i++)
        if (lens[i] > WB_SIGNED_EVENT_MAX) return WB_ERR_TOO_LARGE;

    uint8_t root[WB_HASH_LEN];
    int rc = events_root(events, lens, n, root);
    if (rc) return rc;
    memcpy(h->events_root, root, WB_HASH_LEN);
    h->event_count = (uint32_t)n;

    uint8_t header[WB_HEADER_MAX];
    size_t header_len;
    rc = ledger_header_encode(h, header, sizeof header, &header_len);
    if (rc) return rc;

    ProtobufCBinaryData *items = NULL;
    if (n) {
        items = calloc(n, sizeof *items);
        if (!items) return WB_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        items[i].len = lens[i];
        items[i].data = (uint8_t *)events[i];
    }
    Waybill__Block pb;
    waybill__block__init(&pb);
    pb.header.len = header_len;
    pb.header.data = header;
    pb.n_events = n;
    pb.events = items;

    size_t need = waybill__block__get_packed_size(&pb);
    uint8_t *buf = malloc(need);
    if (!buf) {
        rc = WB_ERR_NOMEM;
        goto out_free_items;
    }
    size_t wrote = waybill__block__pack(&pb, buf);
    WB_ASSERT(wrote == need);
    ledger_sha256(header, header_len, hash);
    *out = buf;
    *out_len = wrote;
    rc = WB_OK;
out_free_items:
    free(items);
    return rc;
}

int ledger_block_decode(const uint8_t *buf, size_t len, struct ledger_block *b)
{
    memset(b, 0, sizeof *b);
    if (!buf || len == 0) return WB_ERR_DECODE;
    /* Block bytes travel in proposals and block sync and are stored as
     * received: one encoding only, like the header inside them. */
    ProtobufCMessage *m;
    if (ledger_pb_decode(&waybill__block__descriptor, NULL, buf, len, "block", &m, NULL, 0))
        return WB_ERR_DECODE;
    Waybill__Block *pb = (Waybill__Block *)m;

    int rc = WB_ERR_DECODE;
    struct ledger_block_header h;
    const uint8_t **events = NULL;
    size_t *lens = NULL;
    if (ledger_header_decode(pb->header.data, pb->header.len, &h) != WB_OK) goto err_free_pb;
    if (pb->n_events != h.event_count) goto err_free_pb;

    size_t n = pb->n_events;
    if (n) {
        events = calloc(n, sizeof *events);
        lens = calloc(n, sizeof *lens);
        if (!events || !lens) {
            rc = WB_ERR_NOMEM;
            goto err_free_arrays;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (pb->events[i].len > WB_SIGNED_EVENT_MAX) goto err_free_arrays;
        events[i] = pb->events[i].data;
        lens[i] = pb->events[i].len;
    }
    uint8_t root[WB_HASH_LEN];
    rc = events_root(events, lens, n, root);
    if (rc) goto err_free_arrays;
    if (memcmp(root, h.events_root, WB_HASH_LEN) != 0) {
        rc = WB_ERR_DECODE;
        goto err_free_arrays;
    }

    b->header = h;
    ledger_sha256(pb->header.data, pb->header.len, b->hash);
    b->header_bytes = pb->header.data;
    b->header_len = pb->header.len;
    b->event_count = n;
    b->events = events;
    b->lens = lens;
    b->pb__ = pb;
    return WB_OK;

err_free_arrays:
    free(events);
    free(lens);
err_free_pb:
    waybill__block__free_unpacked(pb, NULL);
    return rc;
}

void ledger_block_free(struct ledger_block *b)
{
    if (!b) return;
    free(b->events);
    free(b->lens);
    if (b->pb__) waybill__block__free_unpacked(b->pb__, NULL);
    memset(b, 0, sizeof *b);
}
