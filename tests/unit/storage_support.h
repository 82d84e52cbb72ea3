/* Test support for the storage tests: a deterministic test chain of real
 * signed events, checked blocks and certificates, plus temp directories. */
#ifndef TESTS_UNIT_STORAGE_SUPPORT_H
#define TESTS_UNIT_STORAGE_SUPPORT_H

#include <ftw.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/genesis.h"
#include "ledger/rules.h"
#include "ledger/validate.h"
#include "proto/waybill.pb-c.h"

/* cmocka checks of a wb_err result (cmocka.h must come first). */
#define CHECK_OK(expr)                                                          \
    do {                                                                        \
        int rc_ = (expr);                                                       \
        if (rc_ != WB_OK) fail_msg("%s: %s (%d)", #expr, wb_strerror(rc_), rc_); \
    } while (0)
#define CHECK_RC(expr, want)                                                     \
    do {                                                                         \
        int rc_ = (expr), want_ = (want);                                        \
        if (rc_ != want_)                                                        \
            fail_msg("%s: got %s (%d), want %s", #expr, wb_strerror(rc_), rc_,   \
                     wb_strerror(want_));                                        \
    } while (0)

#define TC_ORGS 3
#define TC_VALIDATORS 4
#define TC_QUORUM 3
#define TC_GENESIS_TIME_MS INT64_C(1760000000000)
#define TC_EVENTS_MAX 4096

enum { TC_ACME = 0, TC_OCEANIC, TC_CUSTOMS };

/* A chain under construction. The model holds every item's committed state;
 * everything is derived from fixed seeds, so two chains built with the same
 * calls produce byte-identical blocks and certificates. */
struct tc_chain {
    struct ledger_genesis *g;
    uint8_t org_pk[TC_ORGS][WB_PUBKEY_LEN];
    uint8_t org_sk[TC_ORGS][WB_SECKEY_LEN];
    uint8_t val_sk[TC_VALIDATORS][WB_SECKEY_LEN];
    size_t n_items;
    struct ledger_item_state *model;      /* per item; count 0 = never seen */
    uint64_t n_registered;                /* items seen: the next registration index */
    uint64_t height;                      /* last built block */
    uint8_t last_hash[WB_HASH_LEN];
    int64_t last_time_ms;
    uint64_t nonce;
    size_t cursor;                        /* first item of the next block */
};

/* One built block with everything store_append needs. */
struct tc_block {
    uint8_t *bytes;
    size_t len;
    struct ledger_block b;
    uint8_t *cert;
    size_t cert_len;
    struct ledger_item_state *states;
    size_t n_states;
    size_t n_events;
    uint8_t (*ids)[WB_HASH_LEN];          /* per event */
    size_t *items;                        /* per event: item index */
};

static inline void tc_item_name(size_t i, char out[WB_ITEM_MAX + 1])
{
    snprintf(out, WB_ITEM_MAX + 1, "urn:waybill:test:item:%06zu", i);
}

/* Index of a tc item name, or SIZE_MAX. */
static inline size_t tc_item_index(const char *name, size_t n_items)
{
    const char *prefix = "urn:waybill:test:item:";
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl) != 0 || strlen(name) != pl + 6) return SIZE_MAX;
    char *end;
    unsigned long v = strtoul(name + pl, &end, 10);
    if (*end || v >= n_items) return SIZE_MAX;
    return (size_t)v;
}

static inline int tc_chain_init(struct tc_chain *c, size_t n_items)
{
    static const char *const names[TC_ORGS] = {"acme", "oceanic", "customs"};
    static const enum ledger_role roles[TC_ORGS] = {LEDGER_ROLE_SHIPPER, LEDGER_ROLE_CARRIER,
                                                    LEDGER_ROLE_CUSTOMS};
    memset(c, 0, sizeof *c);
    c->g = calloc(1, sizeof *c->g);
    c->model = calloc(n_items ? n_items : 1, sizeof *c->model);
    if (!c->g || !c->model) return -1;
    c->n_items = n_items;
    struct ledger_genesis *g = c->g;
    snprintf(g->chain_name, sizeof g->chain_name, "storage-test");
    ledger_chain_id(g->chain_name, g->chain_id);
    g->genesis_time_ms = TC_GENESIS_TIME_MS;
    ledger_genesis_set_defaults(g);
    ledger_sha256((const uint8_t *)"storage-test genesis", 20, g->hash);
    g->org_count = TC_ORGS;
    for (int k = 0; k < TC_ORGS; k++) {
        uint8_t seed[32] = {0x10, (uint8_t)k};
        if (crypto_sign_seed_keypair(c->org_pk[k], c->org_sk[k], seed) != 0) return -1;
        snprintf(g->orgs[k].name, sizeof g->orgs[k].name, "%s", names[k]);
        g->orgs[k].role = roles[k];
        g->orgs[k].key_count = 1;
        memcpy(g->orgs[k].keys[0], c->org_pk[k], WB_PUBKEY_LEN);
    }
    g->validator_count = TC_VALIDATORS;
    for (int k = 0; k < TC_VALIDATORS; k++) {
        uint8_t seed[32] = {0x20, (uint8_t)k};
        struct ledger_validator *v = &g->validators[k];
        if (crypto_sign_seed_keypair(v->key, c->val_sk[k], seed) != 0) return -1;
        snprintf(v->name, sizeof v->name, "node%d", k);
        snprintf(v->org, sizeof v->org, "%s", names[k % TC_ORGS]);
        snprintf(v->p2p, sizeof v->p2p, "127.0.0.1:%d", 7000 + k);
    }
    c->last_time_ms = g->genesis_time_ms;
    return 0;
}

static inline void tc_chain_free(struct tc_chain *c)
{
    free(c->g);
    free(c->model);
    memset(c, 0, sizeof *c);
}

/* ledger_state_lookup_fn over the model (ctx = struct tc_chain). */
static inline int tc_lookup(void *ctx, const char *item, struct ledger_item_state *st)
{
    struct tc_chain *c = ctx;
    size_t i = tc_item_index(item, c->n_items);
    if (i == SIZE_MAX || c->model[i].count == 0) return WB_ERR_NOT_FOUND;
    *st = c->model[i];
    return WB_OK;
}

static inline int tc_org_index(const struct tc_chain *c, const char *name)
{
    for (int k = 0; k < TC_ORGS; k++)
        if (strcmp(c->g->orgs[k].name, name) == 0) return k;
    return -1;
}

/* Builds and signs the next event of item i after state *work (whose count
 * picks the action from a cycle every rule accepts), then applies it to
 * *work. Writes SignedEvent bytes and the id. Returns 0 or a wb_err. */
static inline int tc_next_event(struct tc_chain *c, struct ledger_item_state *work, size_t i,
                                uint64_t height, uint8_t *out, size_t cap, size_t *len,
                                uint8_t id[WB_HASH_LEN])
{
    static const char *const locs[] = {"NLRTM", "DEHAM", "SGSIN", "CNSHA"};
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    tc_item_name(i, ev.item);
    ev.time_ms = c->last_time_ms + 1;
    ev.nonce = ++c->nonce;
    int signer = tc_org_index(c, work->custodian);
    if (work->count == 0) {
        ev.action = LEDGER_COMMISSION;
        signer = TC_ACME;
    } else {
        ev.has_prev = true;
        memcpy(ev.prev, work->head, WB_HASH_LEN);
        switch ((work->count - 1) % 9) {
        case 0:
            ev.action = LEDGER_SEAL;
            snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "seal");
            snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "SL%06" PRIu64, ev.nonce);
            ev.attr_count = 1;
            break;
        case 1: ev.action = LEDGER_LOAD; break;
        case 2: ev.action = LEDGER_DEPART; break;
        case 3: ev.action = LEDGER_ARRIVE; break;
        case 4: ev.action = LEDGER_UNLOAD; break;
        case 5:
            ev.action = LEDGER_UNSEAL;
            snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "seal");
            snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "%s", work->seal);
            ev.attr_count = 1;
            break;
        case 6:
            ev.action = LEDGER_INSPECT;
            signer = TC_CUSTOMS;
            snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "result");
            snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "ok");
            ev.attr_count = 1;
            break;
        case 7:
            ev.action = LEDGER_HANDOVER;
            snprintf(ev.to_org, sizeof ev.to_org, "%s",
                     signer == TC_ACME ? "oceanic" : "acme");
            break;
        default:
            ev.action = LEDGER_RECEIVE;
            signer = tc_org_index(c, work->transfer_to);
            break;
        }
    }
    if (signer < 0) return WB_ERR_INTERNAL;
    /* A new place where the item goes somewhere (commission, arrive); load,
     * depart and unload happen where it is. */
    if (ev.action == LEDGER_COMMISSION || ev.action == LEDGER_ARRIVE)
        snprintf(ev.location, sizeof ev.location, "%s", locs[ev.nonce % 4]);
    else if (ev.action >= LEDGER_LOAD && ev.action <= LEDGER_UNLOAD)
        snprintf(ev.location, sizeof ev.location, "%s", work->location);
    memcpy(ev.submitter, c->org_pk[signer], WB_PUBKEY_LEN);
    int rc = ledger_event_sign(c->g->chain_id, &ev, c->org_sk[signer], out, cap, len);
    if (rc) return rc;
    memcpy(id, ev.id, WB_HASH_LEN);
    ledger_rules_apply(work, &ev, c->g, height);
    return WB_OK;
}

/* Encoded CommitCert: TC_QUORUM precommits (round 0) signed by validators. */
static inline int tc_cert(const struct tc_chain *c, uint64_t height,
                          const uint8_t hash[WB_HASH_LEN], uint8_t **out, size_t *len)
{
    Waybill__Vote votes[TC_QUORUM];
    Waybill__Vote *ptrs[TC_QUORUM];
    uint8_t sigs[TC_QUORUM][WB_SIG_LEN];
    for (int k = 0; k < TC_QUORUM; k++) {
        uint8_t msg[WB_SIGMSG_MAX];
        size_t n = wb_sigmsg_vote(msg, c->g->chain_id, WAYBILL__VOTE_TYPE__PRECOMMIT, height, 0,
                                  hash);
        if (wb_sign(msg, n, c->val_sk[k], sigs[k]) != WB_OK) return WB_ERR_CRYPTO;
        waybill__vote__init(&votes[k]);
        votes[k].type = WAYBILL__VOTE_TYPE__PRECOMMIT;
        votes[k].height = height;
        votes[k].round = 0;
        votes[k].block_hash.data = (uint8_t *)hash;
        votes[k].block_hash.len = WB_HASH_LEN;
        votes[k].validator = (uint32_t)k;
        votes[k].signature.data = sigs[k];
        votes[k].signature.len = WB_SIG_LEN;
        ptrs[k] = &votes[k];
    }
    Waybill__CommitCert cert = WAYBILL__COMMIT_CERT__INIT;
    cert.height = height;
    cert.round = 0;
    cert.block_hash.data = (uint8_t *)hash;
    cert.block_hash.len = WB_HASH_LEN;
    cert.n_precommits = TC_QUORUM;
    cert.precommits = ptrs;
    *len = waybill__commit_cert__get_packed_size(&cert);
    *out = malloc(*len);
    if (!*out) return WB_ERR_NOMEM;
    waybill__commit_cert__pack(&cert, *out);
    return WB_OK;
}

static inline void tc_block_free(struct tc_block *tb)
{
    ledger_block_free(&tb->b);
    free(tb->bytes);
    free(tb->cert);
    free(tb->states);
    free(tb->ids);
    free(tb->items);
    memset(tb, 0, sizeof *tb);
}

/* ledger_sig_known_fn that vouches for every signature: for checks of blocks
 * whose events the test chain signed itself. */
static inline bool tc_sig_known_all(void *ctx, const uint8_t id[WB_HASH_LEN], const uint8_t *ev,
                                    size_t len)
{
    (void)ctx;
    (void)id;
    (void)ev;
    (void)len;
    return true;
}

/* The block context for checking a block at the chain's next height: the
 * model's states and item count (so new items get the registration indexes
 * a store holding the chain's blocks expects). */
static inline struct ledger_block_ctx tc_block_ctx(struct tc_chain *c, int64_t block_time_ms)
{
    struct ledger_block_ctx bc;
    memset(&bc, 0, sizeof bc);
    bc.genesis = c->g;
    bc.height = c->height + 1;
    memcpy(bc.prev_hash, c->last_hash, WB_HASH_LEN);
    bc.prev_time_ms = c->last_time_ms;
    bc.now_ms = block_time_ms;
    bc.drift_max_ms = 1000;
    bc.events_max = TC_EVENTS_MAX;
    bc.item_count = c->n_registered;
    bc.lookup = tc_lookup;
    bc.ctx = c;
    return bc;
}

/* Builds the next block with n events: event j is about item
 * (cursor + j / 2) % n_items, so each item gets two consecutive events (a
 * chain inside one block). Checks it with ledger_block_check against the
 * model, certifies it, and commits the model. msg receives a reason on
 * failure. Returns 0 or a wb_err. */
static inline int tc_build_block(struct tc_chain *c, size_t n, struct tc_block *tb, char *msg,
                                 size_t msg_len)
{
    memset(tb, 0, sizeof *tb);
    snprintf(msg, msg_len, "out of memory");
    const uint64_t height = c->height + 1;
    const int64_t time_ms = c->last_time_ms + 1000;
    struct ledger_item_state *work = malloc(c->n_items * sizeof *work);
    uint8_t *evbuf = malloc((n ? n : 1) * WB_SIGNED_EVENT_MAX);
    const uint8_t **evs = calloc(n ? n : 1, sizeof *evs);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    tb->ids = calloc(n ? n : 1, sizeof *tb->ids);
    tb->items = calloc(n ? n : 1, sizeof *tb->items);
    int rc = WB_ERR_NOMEM;
    if (!work || !evbuf || !evs || !lens || !tb->ids || !tb->items) goto out;
    memcpy(work, c->model, c->n_items * sizeof *work);
    tb->n_events = n;
    for (size_t j = 0; j < n; j++) {
        size_t item = (c->cursor + j / 2) % c->n_items;
        uint8_t *slot = evbuf + j * WB_SIGNED_EVENT_MAX;
        rc = tc_next_event(c, &work[item], item, height, slot, WB_SIGNED_EVENT_MAX, &lens[j],
                           tb->ids[j]);
        if (rc) {
            snprintf(msg, msg_len, "event %zu: %s", j, wb_strerror(rc));
            goto out;
        }
        evs[j] = slot;
        tb->items[j] = item;
    }
    struct ledger_block_header h;
    memset(&h, 0, sizeof h);
    h.version = WB_BLOCK_VERSION;
    memcpy(h.chain_id, c->g->chain_id, WB_CHAIN_ID_LEN);
    h.height = height;
    h.time_ms = time_ms;
    memcpy(h.prev_hash, c->last_hash, WB_HASH_LEN);
    h.proposer = (uint32_t)(height % TC_VALIDATORS);
    uint8_t hash[WB_HASH_LEN];
    rc = ledger_block_build(&h, evs, lens, n, &tb->bytes, &tb->len, hash);
    if (rc) {
        snprintf(msg, msg_len, "ledger_block_build: %s", wb_strerror(rc));
        goto out;
    }
    rc = ledger_block_decode(tb->bytes, tb->len, &tb->b);
    if (rc) {
        snprintf(msg, msg_len, "ledger_block_decode: %s", wb_strerror(rc));
        goto out;
    }
    struct ledger_block_ctx bc = tc_block_ctx(c, time_ms);
    rc = ledger_block_check(&bc, &tb->b, &tb->states, &tb->n_states, msg, msg_len);
    if (rc) goto out;
    for (size_t k = 0; k < tb->n_states; k++) {
        size_t item = tc_item_index(tb->states[k].item, c->n_items);
        if (item == SIZE_MAX || tb->states[k].count != work[item].count ||
            memcmp(tb->states[k].head, work[item].head, WB_HASH_LEN) != 0) {
            snprintf(msg, msg_len, "state %zu from ledger_block_check differs from the model", k);
            rc = WB_ERR_INTERNAL;
            goto out;
        }
    }
    rc = tc_cert(c, height, hash, &tb->cert, &tb->cert_len);
    if (rc) {
        snprintf(msg, msg_len, "tc_cert: %s", wb_strerror(rc));
        goto out;
    }
    for (size_t k = 0; k < tb->n_states; k++) {
        struct ledger_item_state *m = &c->model[tc_item_index(tb->states[k].item, c->n_items)];
        if (m->count == 0) c->n_registered++;
        *m = tb->states[k];
    }
    c->height = height;
    memcpy(c->last_hash, hash, WB_HASH_LEN);
    c->last_time_ms = time_ms;
    c->cursor = (c->cursor + (n + 1) / 2) % c->n_items;
    msg[0] = '\0';
    rc = WB_OK;
out:
    free(work);
    free(evbuf);
    free(evs);
    free(lens);
    if (rc) tc_block_free(tb);
    return rc;
}

/* tc_build_block that fails the test, naming the block and the reason. */
static inline void tc_build_block_ok(struct tc_chain *c, size_t n, struct tc_block *tb)
{
    char msg[512];
    int rc = tc_build_block(c, n, tb, msg, sizeof msg);
    if (rc) fail_msg("building block %" PRIu64 ": %s: %s", c->height + 1, wb_strerror(rc), msg);
}

/* Encoded ItemState bytes of two states compare equal. */
static inline bool tc_states_equal(const struct ledger_item_state *a,
                                   const struct ledger_item_state *b)
{
    uint8_t ba[1024], bb[1024];
    size_t la, lb;
    if (ledger_item_state_encode(a, ba, sizeof ba, &la) != WB_OK) return false;
    if (ledger_item_state_encode(b, bb, sizeof bb, &lb) != WB_OK) return false;
    return la == lb && memcmp(ba, bb, la) == 0;
}

/* mkdtemp under /tmp; path has room for 64 bytes. Returns 0 or -1. */
static inline int tc_tmpdir(char path[64])
{
    static const char prefix[] = "/tmp/waybill-storage-";
    size_t n = sizeof prefix - 1;
    memcpy(path, prefix, n);
    memset(path + n, 'X', 6); /* the template mkdtemp fills in */
    path[n + 6] = '\0';
    return mkdtemp(path) ? 0 : -1;
}

static inline int tc_rm_entry(const char *path, const struct stat *st, int flag,
                              struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* rm -rf path. */
static inline int tc_rmtree(const char *path)
{
    return nftw(path, tc_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
