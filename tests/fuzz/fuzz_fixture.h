/* The fixed chain every fuzz target and the corpus generator share: four
 * organisations, four validators, keys from fixed seeds (so seed inputs can
 * carry valid signatures), and the few constants the targets check against.
 * Its genesis comes in two versions, one chain id: block headers of version
 * 1 and of version 2 (with the item-state root). */
#ifndef FUZZ_FIXTURE_H
#define FUZZ_FIXTURE_H

#include <protobuf-c/protobuf-c.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/sigbytes.h"
#include "consensus/cons.h"
#include "ledger/block.h"
#include "ledger/genesis.h"

#define FX_CHAIN "fuzz-chain"
#define FX_GENESIS_TIME "2026-11-22T00:00:00Z"
#define FX_GENESIS_MS 1795305600000LL
#define FX_ORGS 4
#define FX_VALIDATORS 4
/* The block target checks blocks as height 1 of this chain (of either
 * header version), with this local clock and drift. */
#define FX_BLOCK_HEIGHT 1
#define FX_NOW_MS (FX_GENESIS_MS + 86400000LL)
#define FX_DRIFT_MS 5000
#define FX_EVENTS_MAX 4096
/* The cert target checks certificates for this height and block hash. */
#define FX_CERT_HEIGHT 7
#define FX_CERT_HASH_BYTE 0xab
/* Consensus cores: timeouts and block limit of the fixed config. */
#define FX_TIMEOUT_MS 1000
#define FX_TIMEOUT_DELTA_MS 500
#define FX_BLOCK_BYTES_MAX (64 * 1024)

static const char *const fx_org_names[FX_ORGS] = {"acme", "oceanic", "customs", "audit"};
static const char *const fx_org_roles[FX_ORGS] = {"shipper", "carrier", "customs", "auditor"};

struct fx {
    /* The fixed chain with header version 1 (g) and with version 2 (g2):
     * one chain id, so one event signs for both. */
    struct ledger_genesis *g;
    struct ledger_genesis *g2;
    /* client key of org i, validator key of validator i */
    uint8_t client_pk[FX_ORGS][WB_PUBKEY_LEN];
    uint8_t client_sk[FX_ORGS][WB_SECKEY_LEN];
    uint8_t val_pk[FX_VALIDATORS][WB_PUBKEY_LEN];
    uint8_t val_sk[FX_VALIDATORS][WB_SECKEY_LEN];
    char json[4096];
    size_t json_len;
};

/* A broken fixture is a bug of the harness, not a finding: say so and stop. */
static inline void fx_die(const char *what)
{
    fprintf(stderr, "fuzz fixture: %s\n", what);
    abort();
}

static inline void fx_keypair(char tag, int i, uint8_t pk[WB_PUBKEY_LEN],
                              uint8_t sk[WB_SECKEY_LEN])
{
    uint8_t seed[crypto_sign_SEEDBYTES] = {0};
    seed[0] = (uint8_t)tag;
    seed[1] = (uint8_t)i;
    if (crypto_sign_seed_keypair(pk, sk, seed) != 0) fx_die("crypto_sign_seed_keypair failed");
}

/* The genesis JSON of the fixed chain with header version `version`
 * (WB_BLOCK_VERSION leaves the key out, as a chain of version 1 may) into
 * buf; returns its length. */
static inline size_t fx_genesis_json(const struct fx *f, uint32_t version, char *buf, size_t cap)
{
    char hex[2 * WB_PUBKEY_LEN + 1];
    size_t n = 0;
#define FX_PUT(...)                                                           \
    do {                                                                      \
        int w_ = snprintf(buf + n, cap - n, __VA_ARGS__);                     \
        if (w_ < 0 || (size_t)w_ >= cap - n) fx_die("genesis JSON too long"); \
        n += (size_t)w_;                                                      \
    } while (0)
    FX_PUT("{\n  \"chain_id\": \"%s\",\n  \"genesis_time\": \"%s\",\n  \"members\": [\n",
           FX_CHAIN, FX_GENESIS_TIME);
    for (int i = 0; i < FX_ORGS; i++)
        FX_PUT("    {\"org\": \"%s\", \"role\": \"%s\", \"keys\": [\"%s\"]}%s\n",
               fx_org_names[i], fx_org_roles[i],
               wb_hex_encode(f->client_pk[i], WB_PUBKEY_LEN, hex, sizeof hex),
               i + 1 < FX_ORGS ? "," : "");
    FX_PUT("  ],\n  \"validators\": [\n");
    for (int i = 0; i < FX_VALIDATORS; i++)
        FX_PUT("    {\"name\": \"node%d\", \"org\": \"%s\", \"key\": \"%s\", "
               "\"p2p\": \"127.0.0.1:%d\"}%s\n",
               i, fx_org_names[i], wb_hex_encode(f->val_pk[i], WB_PUBKEY_LEN, hex, sizeof hex),
               7000 + i, i + 1 < FX_VALIDATORS ? "," : "");
    if (version == WB_BLOCK_VERSION)
        FX_PUT("  ]\n}\n");
    else
        FX_PUT("  ],\n  \"header_version\": %u\n}\n", (unsigned)version);
#undef FX_PUT
    return n;
}

static inline struct ledger_genesis *fx_parse_genesis(const char *json, size_t len)
{
    struct ledger_genesis *g = malloc(sizeof *g);
    if (!g) fx_die("out of memory");
    char msg[256] = "";
    if (ledger_genesis_parse((const uint8_t *)json, len, g, msg, sizeof msg) != 0) {
        fprintf(stderr, "fuzz fixture: genesis does not parse: %s\n", msg);
        abort();
    }
    return g;
}

/* Fills f: keys, the genesis JSON of version 1 and its parsed form, and the
 * parsed genesis of version 2 (heap; fx_free frees them). */
static inline void fx_init(struct fx *f)
{
    if (sodium_init() < 0) fx_die("sodium_init failed");
    memset(f, 0, sizeof *f);
    for (int i = 0; i < FX_ORGS; i++) fx_keypair('c', i, f->client_pk[i], f->client_sk[i]);
    for (int i = 0; i < FX_VALIDATORS; i++) fx_keypair('v', i, f->val_pk[i], f->val_sk[i]);
    f->json_len = fx_genesis_json(f, WB_BLOCK_VERSION, f->json, sizeof f->json);
    f->g = fx_parse_genesis(f->json, f->json_len);
    char json2[sizeof f->json];
    size_t len2 = fx_genesis_json(f, WB_BLOCK_VERSION_STATE, json2, sizeof json2);
    f->g2 = fx_parse_genesis(json2, len2);
    if (f->g->header_version != WB_BLOCK_VERSION ||
        f->g2->header_version != WB_BLOCK_VERSION_STATE ||
        memcmp(f->g->chain_id, f->g2->chain_id, WB_CHAIN_ID_LEN) != 0)
        fx_die("the two geneses are not one chain of versions 1 and 2");
}

static inline void fx_free(struct fx *f)
{
    free(f->g);
    free(f->g2);
    f->g = f->g2 = NULL;
}

/* The genesis of header version `version` (1 or 2). */
static inline const struct ledger_genesis *fx_genesis(const struct fx *f, uint32_t version)
{
    return version == WB_BLOCK_VERSION_STATE ? f->g2 : f->g;
}

static inline void fx_cert_hash(uint8_t hash[WB_HASH_LEN])
{
    memset(hash, FX_CERT_HASH_BYTE, WB_HASH_LEN);
}

/* The consensus config of the fixed chain, as validator `self`
 * (CONS_NOT_VALIDATOR for an observer). */
static inline void fx_cons_config(const struct fx *f, uint32_t self, struct cons_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->chain_id, f->g->chain_id, WB_CHAIN_ID_LEN);
    cfg->validator_count = FX_VALIDATORS;
    cfg->validator_keys = (const uint8_t(*)[WB_PUBKEY_LEN])f->val_pk;
    cfg->self = self;
    if (self < FX_VALIDATORS) memcpy(cfg->secret_key, f->val_sk[self], WB_SECKEY_LEN);
    cfg->timeout_propose_ms = FX_TIMEOUT_MS;
    cfg->timeout_propose_delta_ms = FX_TIMEOUT_DELTA_MS;
    cfg->timeout_prevote_ms = FX_TIMEOUT_MS;
    cfg->timeout_prevote_delta_ms = FX_TIMEOUT_DELTA_MS;
    cfg->timeout_precommit_ms = FX_TIMEOUT_MS;
    cfg->timeout_precommit_delta_ms = FX_TIMEOUT_DELTA_MS;
    cfg->block_bytes_max = FX_BLOCK_BYTES_MAX;
}

/* The empty block a consensus driver of the fixed chain builds for
 * (height, round) when its core asks: deterministic, so the corpus
 * generator can vote for it. *out is malloc'd (caller frees). */
static inline void fx_empty_block(const struct fx *f, uint64_t height, uint32_t round,
                                  uint32_t proposer, uint8_t **out, size_t *len,
                                  uint8_t hash[WB_HASH_LEN])
{
    struct ledger_block_header h;
    memset(&h, 0, sizeof h);
    h.version = WB_BLOCK_VERSION;
    memcpy(h.chain_id, f->g->chain_id, WB_CHAIN_ID_LEN);
    h.height = height;
    h.time_ms = FX_GENESIS_MS + (int64_t)(height % 1000000) * 1000 + (int64_t)(round % 1000);
    h.proposer = proposer;
    if (ledger_block_build(&h, NULL, NULL, 0, out, len, hash) != 0)
        fx_die("ledger_block_build failed");
}

/* ---- the canonical-encoding oracle ------------------------------------------------ */

/* Whether m or any message nested in it holds an unknown field: written
 * apart from ledger/canon.c, so the targets check it rather than repeat it. */
static inline bool fx_has_unknown(const ProtobufCMessage *m)
{
    if (m->n_unknown_fields) return true;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        const char *at = (const char *)m + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
            ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)at;
            for (size_t k = 0; k < n; k++)
                if (arr[k] && fx_has_unknown(arr[k])) return true;
        } else {
            if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                *(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
                continue;
            const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)at;
            if (sub && fx_has_unknown(sub)) return true;
        }
    }
    return false;
}

/* 1: the bytes unpack as type d, with no unknown field, and pack back to
 * themselves (decode, re-encode, compare); 0: they unpack but are not the
 * canonical encoding; -1: they do not unpack. */
static inline int fx_canonical(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                               size_t size)
{
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, size, data);
    if (!m) return -1;
    int verdict = 0;
    if (!fx_has_unknown(m)) {
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *again = malloc(n ? n : 1);
        if (!again) fx_die("out of memory");
        size_t wrote = protobuf_c_message_pack(m, again);
        verdict = wrote == size && (size == 0 || memcmp(again, data, size) == 0);
        free(again);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return verdict;
}

/* Aborts unless the bytes a decoder accepted are canonical. */
static inline void fx_assert_canonical(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                                       size_t size, const char *what)
{
    if (fx_canonical(d, data, size) != 1) {
        fprintf(stderr, "fuzz: accepted %s bytes are not the canonical encoding (%zu bytes)\n",
                what, size);
        abort();
    }
}

/* The fuzz input as a stream of bytes; reads past the end give zeros. */
struct fx_reader {
    const uint8_t *p;
    size_t left;
};

static inline uint8_t fx_u8(struct fx_reader *r)
{
    if (!r->left) return 0;
    r->left--;
    return *r->p++;
}

static inline uint16_t fx_u16(struct fx_reader *r)
{
    uint16_t lo = fx_u8(r);
    return (uint16_t)(lo | (uint16_t)fx_u8(r) << 8);
}

/* Up to n bytes of the input; *got says how many. */
static inline const uint8_t *fx_bytes(struct fx_reader *r, size_t n, size_t *got)
{
    if (n > r->left) n = r->left;
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    *got = n;
    return p;
}

#endif
