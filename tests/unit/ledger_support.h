/* Shared by ledger unit tests: a genesis with the test's own member and
 * validator keys, and a small chain of real blocks for one item, whose
 * headers a test may forge before they are hashed and certified (valid
 * signatures over forged content), encoded as a ProofBundle.
 *
 * The chain (the item's events marked *):
 *   block 1: commission*                         (acme, NLRTM)
 *   block 2: other commission, seal*             (acme, seal SL-1)
 *   block 3: inspect*, other, other              (customs, result ok)
 *   block 4: other commission                    (in a bundle only on request) */
#ifndef LEDGER_SUPPORT_H
#define LEDGER_SUPPORT_H

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
#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/genesis.h"
#include "ledger/merkle.h"
#include "proto/waybill.pb-c.h"

#define LS_ITEM "CSQU3054383"
#define LS_GENESIS_MS 1700000000000 /* 2023-11-14T22:13:20Z */
#define LS_BLOCK_GAP_MS 60000
#define LS_VALIDATORS 4
#define LS_BLOCKS 4
#define LS_BLOCK_EVENTS_MAX 4
#define LS_MINE 3

enum { LS_ACME, LS_OCEANIC, LS_CUSTOMS, LS_KEYS };

/* One event of the item as a bundle carries it. */
struct ls_event {
    struct ledger_event ev;
    uint8_t bytes[WB_SIGNED_EVENT_MAX];
    size_t len;
    uint64_t height;
    uint32_t index;
    uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
    size_t path_len;
};

struct ls_block {
    uint64_t height;                      /* where the bundle lists it; the votes' height */
    struct ledger_block_header h;         /* the header as encoded (forged or not) */
    uint8_t header[WB_HEADER_MAX];
    size_t header_len;
    uint8_t hash[WB_HASH_LEN];            /* SHA-256(header): what the votes sign */
    uint8_t sigs[LS_VALIDATORS][WB_SIG_LEN];
    size_t n_events;
    uint8_t events[LS_BLOCK_EVENTS_MAX][WB_SIGNED_EVENT_MAX];
    size_t lens[LS_BLOCK_EVENTS_MAX];
};

struct ls_chain {
    struct ledger_genesis *g;
    uint8_t pk[LS_KEYS][WB_PUBKEY_LEN];
    uint8_t sk[LS_KEYS][WB_SECKEY_LEN];
    uint8_t vsk[LS_VALIDATORS][WB_SECKEY_LEN];
    struct ls_event mine[LS_MINE];
    struct ls_block blocks[LS_BLOCKS];
    uint64_t nonce;
};

/* Called for each block, lowest first, once its honest header is set
 * (events root and count from its events, prev_hash = the hash of the
 * block below as built): whatever it changes is encoded, hashed and
 * certified by every validator at b->height. */
typedef void (*ls_forge_fn)(void *ctx, struct ls_block *b);

static const char *const ls_org_names[] = {"acme", "oceanic", "customs"};
static const char *const ls_org_roles[] = {"shipper", "carrier", "customs"};

/* Keys from fixed seeds and the genesis an operator would write for them.
 * Returns 0 or -1 (printing why). */
static inline int ls_chain_init(struct ls_chain *c)
{
    memset(c, 0, sizeof *c);
    c->g = calloc(1, sizeof *c->g);
    if (!c->g) return -1;
    uint8_t vpk[LS_VALIDATORS][WB_PUBKEY_LEN];
    for (int k = 0; k < LS_KEYS; k++) {
        uint8_t seed[32] = {(uint8_t)(k + 1), 0x51};
        if (crypto_sign_seed_keypair(c->pk[k], c->sk[k], seed) != 0) return -1;
    }
    for (int v = 0; v < LS_VALIDATORS; v++) {
        uint8_t seed[32] = {(uint8_t)(100 + v), 0x51};
        if (crypto_sign_seed_keypair(vpk[v], c->vsk[v], seed) != 0) return -1;
    }
    char json[4096], hex[65];
    size_t n = (size_t)snprintf(json, sizeof json,
                                "{\"chain_id\": \"support-test\", \"genesis_time\": "
                                "\"2023-11-14T22:13:20Z\", \"members\": [");
    for (int k = 0; k < LS_KEYS; k++)
        n += (size_t)snprintf(json + n, sizeof json - n,
                              "%s{\"org\": \"%s\", \"role\": \"%s\", \"keys\": [\"%s\"]}",
                              k ? ", " : "", ls_org_names[k], ls_org_roles[k],
                              wb_hex_encode(c->pk[k], 32, hex, sizeof hex));
    n += (size_t)snprintf(json + n, sizeof json - n, "], \"validators\": [");
    for (int v = 0; v < LS_VALIDATORS; v++)
        n += (size_t)snprintf(json + n, sizeof json - n,
                              "%s{\"name\": \"node%d\", \"org\": \"%s\", \"key\": \"%s\", "
                              "\"p2p\": \"127.0.0.1:%d\"}",
                              v ? ", " : "", v, ls_org_names[v % LS_KEYS],
                              wb_hex_encode(vpk[v], 32, hex, sizeof hex), 7000 + v);
    n += (size_t)snprintf(json + n, sizeof json - n, "]}");
    char msg[256] = "";
    int rc = ledger_genesis_parse((const uint8_t *)json, n, c->g, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, "genesis: %s: %s\n", wb_strerror(rc), msg);
        return -1;
    }
    return 0;
}

static inline void ls_chain_free(struct ls_chain *c)
{
    free(c->g);
    c->g = NULL;
}

/* The time of block h, and of the events in it (a little before). */
static inline int64_t ls_block_time(uint64_t h)
{
    return LS_GENESIS_MS + LS_BLOCK_GAP_MS * (int64_t)h;
}

static inline void ls_sign_event(struct ls_chain *c, int key, struct ledger_event *ev,
                                 const char *item, enum ledger_action a, const char *loc,
                                 const uint8_t *prev, const char *ak, const char *av,
                                 int64_t time_ms, uint8_t *out, size_t *len)
{
    memset(ev, 0, sizeof *ev);
    snprintf(ev->item, sizeof ev->item, "%s", item);
    ev->action = a;
    if (loc) snprintf(ev->location, sizeof ev->location, "%s", loc);
    ev->time_ms = time_ms;
    memcpy(ev->submitter, c->pk[key], WB_PUBKEY_LEN);
    if (prev) {
        ev->has_prev = true;
        memcpy(ev->prev, prev, WB_HASH_LEN);
    }
    if (ak) {
        snprintf(ev->attrs[0].key, sizeof ev->attrs[0].key, "%s", ak);
        snprintf(ev->attrs[0].value, sizeof ev->attrs[0].value, "%s", av);
        ev->attr_count = 1;
    }
    ev->nonce = ++c->nonce;
    int rc = ledger_event_sign(c->g->chain_id, ev, c->sk[key], out, WB_SIGNED_EVENT_MAX, len);
    if (rc) fail_msg("ledger_event_sign: %s", wb_strerror(rc));
}

struct ls_step {
    uint64_t height;
    const char *other;                    /* NULL: an event of LS_ITEM */
    int key;
    enum ledger_action action;
    const char *loc, *ak, *av;
};

static const struct ls_step ls_plan[] = {
    {1, NULL, LS_ACME, LEDGER_COMMISSION, "NLRTM", "hs_code", "850440"},
    {2, "urn:example:crate:1", LS_ACME, LEDGER_COMMISSION, "DEHAM", NULL, NULL},
    {2, NULL, LS_ACME, LEDGER_SEAL, "NLRTM", "seal", "SL-1"},
    {3, NULL, LS_CUSTOMS, LEDGER_INSPECT, "NLRTM", "result", "ok"},
    {3, "urn:example:crate:2", LS_ACME, LEDGER_COMMISSION, "DEHAM", NULL, NULL},
    {3, "urn:example:crate:3", LS_ACME, LEDGER_COMMISSION, "SGSIN", NULL, NULL},
    {4, "urn:example:crate:4", LS_ACME, LEDGER_COMMISSION, "SGSIN", NULL, NULL},
};

/* Signs the events, then builds, forges (forge may be NULL), encodes and
 * certifies the blocks, and the item's audit paths. */
static inline void ls_chain_build(struct ls_chain *c, ls_forge_fn forge, void *forge_ctx)
{
    size_t n_mine = 0;
    for (size_t h = 0; h < LS_BLOCKS; h++) {
        c->blocks[h].height = h + 1;
        c->blocks[h].n_events = 0;
    }
    struct ledger_event scratch;
    for (size_t s = 0; s < sizeof ls_plan / sizeof ls_plan[0]; s++) {
        const struct ls_step *p = &ls_plan[s];
        struct ls_block *b = &c->blocks[p->height - 1];
        assert_true(b->n_events < LS_BLOCK_EVENTS_MAX);
        uint8_t *out = b->events[b->n_events];
        size_t *len = &b->lens[b->n_events];
        int64_t t = ls_block_time(p->height) - 100 + (int64_t)b->n_events;
        if (p->other) {
            ls_sign_event(c, p->key, &scratch, p->other, p->action, p->loc, NULL, p->ak, p->av,
                          t, out, len);
        } else {
            assert_true(n_mine < LS_MINE);
            struct ls_event *me = &c->mine[n_mine];
            const uint8_t *prev = n_mine ? c->mine[n_mine - 1].ev.id : NULL;
            ls_sign_event(c, p->key, &me->ev, LS_ITEM, p->action, p->loc, prev, p->ak, p->av, t,
                          out, len);
            memcpy(me->bytes, out, *len);
            me->len = *len;
            me->height = p->height;
            me->index = (uint32_t)b->n_events;
            n_mine++;
        }
        b->n_events++;
    }
    assert_int_equal(n_mine, LS_MINE);

    uint8_t prev_hash[WB_HASH_LEN] = {0};
    for (size_t k = 0; k < LS_BLOCKS; k++) {
        struct ls_block *b = &c->blocks[k];
        struct ledger_block_header *h = &b->h;
        memset(h, 0, sizeof *h);
        h->version = WB_BLOCK_VERSION;
        memcpy(h->chain_id, c->g->chain_id, WB_CHAIN_ID_LEN);
        h->height = b->height;
        h->time_ms = ls_block_time(b->height);
        memcpy(h->prev_hash, prev_hash, WB_HASH_LEN);
        h->proposer = (uint32_t)(b->height % LS_VALIDATORS);
        const uint8_t *ptrs[LS_BLOCK_EVENTS_MAX];
        for (size_t i = 0; i < b->n_events; i++) ptrs[i] = b->events[i];
        uint8_t *buf, hash[WB_HASH_LEN];
        size_t len;
        int rc = ledger_block_build(h, ptrs, b->lens, b->n_events, &buf, &len, hash);
        if (rc) fail_msg("ledger_block_build: %s", wb_strerror(rc));
        free(buf);
        if (forge) forge(forge_ctx, b);
        rc = ledger_header_encode(h, b->header, sizeof b->header, &b->header_len);
        if (rc) fail_msg("ledger_header_encode: %s", wb_strerror(rc));
        ledger_sha256(b->header, b->header_len, b->hash);
        memcpy(prev_hash, b->hash, WB_HASH_LEN);

        uint8_t msg[WB_SIGMSG_MAX];
        size_t n = wb_sigmsg_vote(msg, c->g->chain_id, WAYBILL__VOTE_TYPE__PRECOMMIT,
                                  b->height, 0, b->hash);
        for (unsigned v = 0; v < LS_VALIDATORS; v++)
            if (wb_sign(msg, n, c->vsk[v], b->sigs[v]) != WB_OK) fail_msg("wb_sign");

        uint8_t leaves[LS_BLOCK_EVENTS_MAX][MERKLE_HASH_LEN];
        for (size_t i = 0; i < b->n_events; i++)
            merkle_leaf_hash(b->events[i], b->lens[i], leaves[i]);
        for (size_t m = 0; m < LS_MINE; m++) {
            struct ls_event *me = &c->mine[m];
            if (me->height != b->height) continue;
            rc = merkle_audit_path((const uint8_t(*)[MERKLE_HASH_LEN])leaves, b->n_events,
                                   me->index, me->path, &me->path_len);
            if (rc) fail_msg("merkle_audit_path: %s", wb_strerror(rc));
        }
    }
}

/* The blocks a bundle lists, by index into c->blocks, and its events. */
struct ls_bundle_opts {
    size_t n_blocks;
    size_t blocks[LS_BLOCKS];
    size_t n_events;                      /* the first n of c->mine */
};

/* Blocks 1 to 3 (the item's) and all its events. */
static inline struct ls_bundle_opts ls_bundle_default(void)
{
    struct ls_bundle_opts o = {.n_blocks = 3, .blocks = {0, 1, 2}, .n_events = LS_MINE};
    return o;
}

/* Encodes the ProofBundle (malloc'd, *len bytes), as storage/proof.c
 * would for this chain. */
static inline uint8_t *ls_bundle_encode(const struct ls_chain *c,
                                        const struct ls_bundle_opts *o, size_t *len)
{
    Waybill__ProofEvent pe[LS_MINE], *pe_ptr[LS_MINE];
    ProtobufCBinaryData paths[LS_MINE][MERKLE_PATH_MAX];
    Waybill__ProofBlock pb[LS_BLOCKS], *pb_ptr[LS_BLOCKS];
    Waybill__CommitCert cert[LS_BLOCKS];
    Waybill__Vote votes[LS_BLOCKS][LS_VALIDATORS], *vote_ptr[LS_BLOCKS][LS_VALIDATORS];
    assert_true(o->n_events <= LS_MINE && o->n_blocks <= LS_BLOCKS);
    for (size_t m = 0; m < o->n_events; m++) {
        const struct ls_event *me = &c->mine[m];
        waybill__proof_event__init(&pe[m]);
        pe[m].signed_event.data = (uint8_t *)me->bytes;
        pe[m].signed_event.len = me->len;
        pe[m].height = me->height;
        pe[m].index = me->index;
        for (size_t k = 0; k < me->path_len; k++) {
            paths[m][k].data = (uint8_t *)me->path[k];
            paths[m][k].len = MERKLE_HASH_LEN;
        }
        pe[m].n_audit_path = me->path_len;
        pe[m].audit_path = paths[m];
        pe_ptr[m] = &pe[m];
    }
    for (size_t j = 0; j < o->n_blocks; j++) {
        const struct ls_block *b = &c->blocks[o->blocks[j]];
        waybill__proof_block__init(&pb[j]);
        pb[j].height = b->height;
        pb[j].header.data = (uint8_t *)b->header;
        pb[j].header.len = b->header_len;
        waybill__commit_cert__init(&cert[j]);
        cert[j].height = b->height;
        cert[j].block_hash.data = (uint8_t *)b->hash;
        cert[j].block_hash.len = WB_HASH_LEN;
        for (size_t v = 0; v < LS_VALIDATORS; v++) {
            waybill__vote__init(&votes[j][v]);
            votes[j][v].type = WAYBILL__VOTE_TYPE__PRECOMMIT;
            votes[j][v].height = b->height;
            votes[j][v].block_hash.data = (uint8_t *)b->hash;
            votes[j][v].block_hash.len = WB_HASH_LEN;
            votes[j][v].validator = (uint32_t)v;
            votes[j][v].signature.data = (uint8_t *)b->sigs[v];
            votes[j][v].signature.len = WB_SIG_LEN;
            vote_ptr[j][v] = &votes[j][v];
        }
        cert[j].n_precommits = LS_VALIDATORS;
        cert[j].precommits = vote_ptr[j];
        pb[j].cert = &cert[j];
        pb_ptr[j] = &pb[j];
    }
    Waybill__ProofBundle bundle;
    waybill__proof_bundle__init(&bundle);
    bundle.item = (char *)LS_ITEM;
    bundle.n_events = o->n_events;
    bundle.events = pe_ptr;
    bundle.n_blocks = o->n_blocks;
    bundle.blocks = pb_ptr;
    *len = waybill__proof_bundle__get_packed_size(&bundle);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    waybill__proof_bundle__pack(&bundle, buf);
    return buf;
}

#endif
