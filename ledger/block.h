/* Blocks: header encode/decode and hash, whole-block build and decode.
 * A block's hash is SHA-256 of its encoded header; a block carries the
 * header as bytes and each event as SignedEvent bytes. */
#ifndef LEDGER_BLOCK_H
#define LEDGER_BLOCK_H

/* ledger_sha256 (the block hash function) is declared there; included so
 * code that has always reached it through this header still does. */
#include <stdbool.h>

#include "common/wb_error.h"
#include "ledger/sha256.h"
#include "ledger/types.h"

/* Header versions. Version 1 commits to the block's events; version 2 also
 * commits to the state of every item after the block (state_root and
 * item_count, docs/formats.md "Item-state leaf and tree"). A chain's
 * genesis says which one its blocks carry; WB_BLOCK_VERSION is version 1,
 * the version of chains whose genesis does not say. */
#define WB_BLOCK_VERSION 1
#define WB_BLOCK_VERSION_STATE 2
#define WB_HEADER_MAX 256

struct ledger_block_header {
    uint32_t version;
    uint8_t chain_id[WB_CHAIN_ID_LEN];
    uint64_t height;                      /* first block is 1 */
    int64_t time_ms;
    uint8_t prev_hash[WB_HASH_LEN];       /* zeros at height 1 */
    uint8_t events_root[WB_HASH_LEN];
    uint32_t event_count;
    uint32_t proposer;
    /* Version 2 only (zero in version 1): the item-state tree after the block. */
    bool has_state;                       /* state_root present (32 bytes) */
    uint8_t state_root[WB_HASH_LEN];
    uint64_t item_count;
};

WB_MUST_USE int ledger_header_encode(const struct ledger_block_header *h, uint8_t *out, size_t cap,
                                     size_t *len);
/* Decodes header bytes (1 to WB_HEADER_MAX of them) into *h: they must be
 * the canonical encoding of a BlockHeader (ledger/canon.h) whose chain_id,
 * prev_hash and events_root are 32 bytes each and whose state_root is 32
 * bytes or absent. Field values are not judged here (not even the version:
 * see ledger_header_check_version): that is for the caller, who can then
 * name the check that failed. Returns 0, or WB_ERR_DECODE with the reason in msg
 * (may be NULL), e.g. "block header: unknown field 9"; *h is written only
 * on success. */
WB_MUST_USE int ledger_header_parse(const uint8_t *buf, size_t len, struct ledger_block_header *h,
                                    char *msg, size_t msg_len);
/* ledger_header_parse, then the version must be a known one, with the
 * fields it has (ledger_header_check_version for either). Returns 0 or
 * WB_ERR_DECODE. */
WB_MUST_USE int ledger_header_decode(const uint8_t *buf, size_t len, struct ledger_block_header *h);

/* Whether h is a header of version `want` (the chain's, from its genesis):
 * the version itself, and state_root present exactly in version 2 (in
 * version 1, item_count 0 as well). Returns 0 or WB_ERR_INVALID with the
 * reason in msg (may be NULL). */
WB_MUST_USE int ledger_header_check_version(const struct ledger_block_header *h, uint32_t want,
                                            char *msg, size_t msg_len);

/* Builds a block: h's version..proposer (and, in version 2, state_root and
 * item_count) are inputs, events_root and
 * event_count are computed and written back into *h. events[i] (lens[i]
 * bytes) are SignedEvent bytes. *out is malloc'd (caller frees); hash is the
 * block hash. Returns 0, WB_ERR_NOMEM or WB_ERR_TOO_LARGE. */
WB_MUST_USE int ledger_block_build(struct ledger_block_header *h, const uint8_t *const *events,
                                   const size_t *lens, size_t n, uint8_t **out, size_t *out_len,
                                   uint8_t hash[WB_HASH_LEN]);

/* A decoded block. Owns its memory; event i is events[i] (lens[i] bytes),
 * pointing into the decoded message, valid until ledger_block_free. */
struct ledger_block {
    struct ledger_block_header header;
    uint8_t hash[WB_HASH_LEN];
    const uint8_t *header_bytes;
    size_t header_len;
    size_t event_count;
    const uint8_t **events;
    size_t *lens;
    void *pb__;                           /* the unpacked Waybill__Block */
};

/* Decodes block bytes and checks its structure: the bytes are the canonical
 * encoding of a Block (ledger/canon.h), the header decodes, event_count
 * matches, events_root matches the events. Does not check signatures, rules,
 * chain id, height or prev hash (see ledger_block_check in validate.h).
 * Returns 0, WB_ERR_DECODE or WB_ERR_NOMEM. */
WB_MUST_USE int ledger_block_decode(const uint8_t *buf, size_t len, struct ledger_block *b);
void ledger_block_free(struct ledger_block *b);

#endif
