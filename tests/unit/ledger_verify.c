/* Unit tests of ledger/verify.c: a proof bundle built by hand from real
 * blocks, certificates and audit paths verifies; each tampering is caught
 * and named by event and check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/exec_threads.h"
#include "common/hex.h"
#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/genesis.h"
#include "ledger/merkle.h"
#include "ledger/verify.h"
#include "proto/waybill.pb-c.h"

#define ITEM "CSQU3054383"
#define GENESIS_MS 1700000000000
#define N_VALIDATORS 4
#define N_BLOCKS 4
#define BLOCK_EVENTS_MAX 8
#define MINE_MAX 10

enum { K_ACME, K_OCEANIC, K_CUSTOMS, K_STRANGER, K_COUNT };
static const char *const org_names[] = {"acme", "oceanic", "customs"};
static const char *const org_roles[] = {"shipper", "carrier", "customs"};

/* One event of the item as the bundle carries it. */
struct mine_event {
    struct ledger_event ev;
    uint8_t bytes[WB_SIGNED_EVENT_MAX];
    size_t len;
    uint64_t height;
    uint32_t index;
    uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
    size_t path_len;
};

struct model_block {
    uint64_t height;
    uint8_t header[WB_HEADER_MAX];
    size_t header_len;
    uint8_t hash[WB_HASH_LEN];
    size_t n_voters;
    unsigned voters[N_VALIDATORS];
    uint8_t sigs[N_VALIDATORS][WB_SIG_LEN];
    /* every event of the block, the item's and others' */
    size_t n_events;
    uint8_t events[BLOCK_EVENTS_MAX][WB_SIGNED_EVENT_MAX];
    size_t lens[BLOCK_EVENTS_MAX];
};

struct cb_record {
    size_t calls;
    size_t last_index;
    bool last_ok;
    char last_check[32];
    char last_org[WB_ORG_MAX + 1];
    uint64_t last_height;
    uint32_t last_pos;
    bool ev_null_on_fail;
    uint32_t late;                         /* bit i: event i was marked out of order */
};

struct fx {
    struct ledger_genesis *g;
    uint8_t pk[K_COUNT][WB_PUBKEY_LEN];
    uint8_t sk[K_COUNT][WB_SECKEY_LEN];
    uint8_t vsk[N_VALIDATORS][WB_SECKEY_LEN];
    struct mine_event mine[MINE_MAX];
    size_t n_mine;
    struct model_block blocks[N_BLOCKS];
    size_t n_blocks;
    uint64_t nonce;
    struct cb_record cb;
    struct ledger_verify_result res;
};

/* Which event (of the item) is signed by a non-member key, and which
 * block's header names another chain; -1 / 0 for none. */
struct chain_opts {
    int stranger_at;
    uint64_t other_chain_height;
    /* Event resign_at (of the item, or -1) is signed by resign_key instead
     * when rekey is set, and dated at_ms when that is not 0. */
    int resign_at;
    bool rekey;
    int resign_key;
    int64_t at_ms;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->g = calloc(1, sizeof *f->g);
    if (!f->g) return -1;
    uint8_t vpk[N_VALIDATORS][WB_PUBKEY_LEN];
    for (int k = 0; k < K_COUNT; k++) {
        uint8_t seed[32] = {(uint8_t)(k + 1)};
        if (crypto_sign_seed_keypair(f->pk[k], f->sk[k], seed) != 0) return -1;
    }
    for (int v = 0; v < N_VALIDATORS; v++) {
        uint8_t seed[32] = {(uint8_t)(100 + v)};
        if (crypto_sign_seed_keypair(vpk[v], f->vsk[v], seed) != 0) return -1;
    }
    /* A genesis file as an operator would write it. */
    char json[4096], hex[65];
    size_t n = (size_t)snprintf(json, sizeof json,
                                "{\"chain_id\": \"verify-test\", \"genesis_time\": "
                                "\"2023-11-14T22:13:20Z\", \"members\": [");
    for (int k = 0; k < 3; k++)
        n += (size_t)snprintf(json + n, sizeof json - n,
                              "%s{\"org\": \"%s\", \"role\": \"%s\", \"keys\": [\"%s\"]}",
                              k ? ", " : "", org_names[k], org_roles[k],
                              wb_hex_encode(f->pk[k], 32, hex, sizeof hex));
    n += (size_t)snprintf(json + n, sizeof json - n, "], \"validators\": [");
    for (int v = 0; v < N_VALIDATORS; v++)
        n += (size_t)snprintf(json + n, sizeof json - n,
                              "%s{\"name\": \"node%d\", \"org\": \"%s\", \"key\": \"%s\", "
                              "\"p2p\": \"127.0.0.1:%d\"}",
                              v ? ", " : "", v, org_names[v % 3],
                              wb_hex_encode(vpk[v], 32, hex, sizeof hex), 7000 + v);
    n += (size_t)snprintf(json + n, sizeof json - n, "]}");
    char msg[256] = "";
    int rc = ledger_genesis_parse((const uint8_t *)json, n, f->g, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, "genesis: %s: %s\n", wb_strerror(rc), msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    free(f->g);
    free(f);
    return 0;
}

/* Signs an event into `out` and returns its id in ev->id. */
static void sign_event_at(struct fx *f, int key, struct ledger_event *ev, const char *item,
                          enum ledger_action a, const char *loc, const uint8_t *prev,
                          const char *ak, const char *av, const char *to_org, int64_t at_ms,
                          uint8_t *out, size_t *len)
{
    memset(ev, 0, sizeof *ev);
    snprintf(ev->item, sizeof ev->item, "%s", item);
    ev->action = a;
    if (loc) snprintf(ev->location, sizeof ev->location, "%s", loc);
    ev->time_ms = at_ms ? at_ms : GENESIS_MS + 10 * (int64_t)f->nonce;
    memcpy(ev->submitter, f->pk[key], WB_PUBKEY_LEN);
    if (prev) {
        ev->has_prev = true;
        memcpy(ev->prev, prev, WB_HASH_LEN);
    }
    if (ak) {
        snprintf(ev->attrs[0].key, sizeof ev->attrs[0].key, "%s", ak);
        snprintf(ev->attrs[0].value, sizeof ev->attrs[0].value, "%s", av);
        ev->attr_count = 1;
    }
    if (to_org) snprintf(ev->to_org, sizeof ev->to_org, "%s", to_org);
    ev->nonce = ++f->nonce;
    int rc = ledger_event_sign(f->g->chain_id, ev, f->sk[key], out, WB_SIGNED_EVENT_MAX, len);
    if (rc) fail_msg("ledger_event_sign: %s", wb_strerror(rc));
}

static void sign_event(struct fx *f, int key, struct ledger_event *ev, const char *item,
                       enum ledger_action a, const char *loc, const uint8_t *prev,
                       const char *ak, const char *av, const char *to_org, uint8_t *out,
                       size_t *len)
{
    sign_event_at(f, key, ev, item, a, loc, prev, ak, av, to_org, 0, out, len);
}

/* The item's journey over four blocks, with other items' events around it
 * so the audit paths are real:
 *   block 1: other, commission, seal
 *   block 2: other, load, handover, other
 *   block 3: receive, depart, other, arrive
 *   block 4: inspect                                                    */
struct plan_step {
    uint64_t height;
    const char *other_item;                /* NULL: an event of ITEM */
    int key;
    enum ledger_action action;
    const char *loc, *ak, *av, *to_org;
};

static const struct plan_step plan[] = {
    {1, "urn:example:crate:1", K_ACME, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL},
    {1, NULL, K_ACME, LEDGER_COMMISSION, "NLRTM", "hs_code", "850440", NULL},
    {1, NULL, K_ACME, LEDGER_SEAL, NULL, "seal", "SL-1", NULL},
    {2, "urn:example:crate:2", K_ACME, LEDGER_COMMISSION, "DEHAM", NULL, NULL, NULL},
    {2, NULL, K_ACME, LEDGER_LOAD, "NLRTM", "vessel", "ESSEX", NULL},
    {2, NULL, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic"},
    {2, "urn:example:crate:3", K_ACME, LEDGER_COMMISSION, "DEHAM", NULL, NULL, NULL},
    {3, NULL, K_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL},
    {3, NULL, K_OCEANIC, LEDGER_DEPART, "NLRTM", "voyage", "V042", NULL},
    {3, "urn:example:crate:4", K_ACME, LEDGER_COMMISSION, "SGSIN", NULL, NULL, NULL},
    {3, NULL, K_OCEANIC, LEDGER_ARRIVE, "SGSIN", NULL, NULL, NULL},
    {4, NULL, K_CUSTOMS, LEDGER_INSPECT, "SGSIN", "result", "ok", NULL},
};
#define PLAN_LEN (sizeof plan / sizeof plan[0])
#define MINE_COUNT 8

static void sign_cert(struct fx *f, struct model_block *b)
{
    uint8_t m[WB_SIGMSG_MAX];
    size_t n = wb_sigmsg_vote(m, f->g->chain_id, WAYBILL__VOTE_TYPE__PRECOMMIT, b->height, 0,
                              b->hash);
    for (size_t i = 0; i < b->n_voters; i++)
        if (wb_sign(m, n, f->vsk[b->voters[i]], b->sigs[i]) != WB_OK) fail_msg("wb_sign");
}

static void build_chain(struct fx *f, struct chain_opts opts)
{
    f->n_mine = 0;
    f->n_blocks = N_BLOCKS;
    for (size_t h = 0; h < N_BLOCKS; h++) {
        f->blocks[h].height = h + 1;
        f->blocks[h].n_events = 0;
    }
    struct ledger_event scratch;
    for (size_t s = 0; s < PLAN_LEN; s++) {
        const struct plan_step *p = &plan[s];
        struct model_block *b = &f->blocks[p->height - 1];
        assert_true(b->n_events < BLOCK_EVENTS_MAX);
        uint8_t *out = b->events[b->n_events];
        size_t *len = &b->lens[b->n_events];
        if (p->other_item) {
            sign_event(f, p->key, &scratch, p->other_item, p->action, p->loc, NULL, p->ak,
                       p->av, p->to_org, out, len);
        } else {
            struct mine_event *me = &f->mine[f->n_mine];
            const uint8_t *prev = f->n_mine ? f->mine[f->n_mine - 1].ev.id : NULL;
            int key = (int)f->n_mine == opts.stranger_at ? K_STRANGER : p->key;
            bool resign = (int)f->n_mine == opts.resign_at;
            if (resign && opts.rekey) key = opts.resign_key;
            sign_event_at(f, key, &me->ev, ITEM, p->action, p->loc, prev, p->ak, p->av,
                          p->to_org, resign ? opts.at_ms : 0, out, len);
            memcpy(me->bytes, out, *len);
            me->len = *len;
            me->height = p->height;
            me->index = (uint32_t)b->n_events;
            f->n_mine++;
        }
        b->n_events++;
    }
    assert_int_equal(f->n_mine, MINE_COUNT);

    uint8_t prev_hash[WB_HASH_LEN] = {0};
    for (size_t h = 0; h < N_BLOCKS; h++) {
        struct model_block *b = &f->blocks[h];
        struct ledger_block_header hdr = {.version = WB_BLOCK_VERSION, .height = b->height,
                                          .time_ms = GENESIS_MS + 1000 * (int64_t)b->height,
                                          .proposer = (uint32_t)(h % N_VALIDATORS)};
        if (b->height == opts.other_chain_height)
            ledger_chain_id("another-chain", hdr.chain_id);
        else
            memcpy(hdr.chain_id, f->g->chain_id, WB_CHAIN_ID_LEN);
        memcpy(hdr.prev_hash, prev_hash, WB_HASH_LEN);
        const uint8_t *ptrs[BLOCK_EVENTS_MAX];
        for (size_t i = 0; i < b->n_events; i++) ptrs[i] = b->events[i];
        uint8_t *buf;
        size_t len;
        int rc = ledger_block_build(&hdr, ptrs, b->lens, b->n_events, &buf, &len, b->hash);
        if (rc) fail_msg("ledger_block_build: %s", wb_strerror(rc));
        free(buf);
        rc = ledger_header_encode(&hdr, b->header, sizeof b->header, &b->header_len);
        if (rc) fail_msg("ledger_header_encode: %s", wb_strerror(rc));
        uint8_t check[WB_HASH_LEN];
        ledger_sha256(b->header, b->header_len, check);
        assert_memory_equal(check, b->hash, WB_HASH_LEN);
        memcpy(prev_hash, b->hash, WB_HASH_LEN);

        uint8_t leaves[BLOCK_EVENTS_MAX][MERKLE_HASH_LEN];
        for (size_t i = 0; i < b->n_events; i++)
            merkle_leaf_hash(b->events[i], b->lens[i], leaves[i]);
        for (size_t m = 0; m < f->n_mine; m++) {
            struct mine_event *me = &f->mine[m];
            if (me->height != b->height) continue;
            rc = merkle_audit_path((const uint8_t(*)[MERKLE_HASH_LEN])leaves, b->n_events,
                                   me->index, me->path, &me->path_len);
            if (rc) fail_msg("merkle_audit_path: %s", wb_strerror(rc));
        }
        b->n_voters = N_VALIDATORS;
        for (unsigned v = 0; v < N_VALIDATORS; v++) b->voters[v] = v;
        sign_cert(f, b);
    }
}

/* Encodes the model as ProofBundle bytes (malloc'd). */
static uint8_t *encode_bundle(struct fx *f, const char *item, size_t *len)
{
    Waybill__ProofEvent pe[MINE_MAX], *pe_ptr[MINE_MAX];
    ProtobufCBinaryData paths[MINE_MAX][MERKLE_PATH_MAX];
    Waybill__ProofBlock pb[N_BLOCKS], *pb_ptr[N_BLOCKS];
    Waybill__CommitCert cert[N_BLOCKS];
    Waybill__Vote votes[N_BLOCKS][N_VALIDATORS], *vote_ptr[N_BLOCKS][N_VALIDATORS];

    for (size_t m = 0; m < f->n_mine; m++) {
        struct mine_event *me = &f->mine[m];
        waybill__proof_event__init(&pe[m]);
        pe[m].signed_event.data = me->bytes;
        pe[m].signed_event.len = me->len;
        pe[m].height = me->height;
        pe[m].index = me->index;
        for (size_t k = 0; k < me->path_len; k++) {
            paths[m][k].data = me->path[k];
            paths[m][k].len = MERKLE_HASH_LEN;
        }
        pe[m].n_audit_path = me->path_len;
        pe[m].audit_path = paths[m];
        pe_ptr[m] = &pe[m];
    }
    for (size_t h = 0; h < f->n_blocks; h++) {
        struct model_block *b = &f->blocks[h];
        waybill__proof_block__init(&pb[h]);
        pb[h].height = b->height;
        pb[h].header.data = b->header;
        pb[h].header.len = b->header_len;
        waybill__commit_cert__init(&cert[h]);
        cert[h].height = b->height;
        cert[h].round = 0;
        cert[h].block_hash.data = b->hash;
        cert[h].block_hash.len = WB_HASH_LEN;
        for (size_t v = 0; v < b->n_voters; v++) {
            waybill__vote__init(&votes[h][v]);
            votes[h][v].type = WAYBILL__VOTE_TYPE__PRECOMMIT;
            votes[h][v].height = b->height;
            votes[h][v].round = 0;
            votes[h][v].block_hash.data = b->hash;
            votes[h][v].block_hash.len = WB_HASH_LEN;
            votes[h][v].validator = b->voters[v];
            votes[h][v].signature.data = b->sigs[v];
            votes[h][v].signature.len = WB_SIG_LEN;
            vote_ptr[h][v] = &votes[h][v];
        }
        cert[h].n_precommits = b->n_voters;
        cert[h].precommits = vote_ptr[h];
        pb[h].cert = &cert[h];
        pb_ptr[h] = &pb[h];
    }
    Waybill__ProofBundle bundle;
    waybill__proof_bundle__init(&bundle);
    bundle.item = (char *)item;
    bundle.n_events = f->n_mine;
    bundle.events = pe_ptr;
    bundle.n_blocks = f->n_blocks;
    bundle.blocks = pb_ptr;
    *len = waybill__proof_bundle__get_packed_size(&bundle);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    waybill__proof_bundle__pack(&bundle, buf);
    return buf;
}

static void on_event(void *ctx, size_t index, const struct ledger_event *ev, const char *org,
                     uint64_t height, uint32_t pos, bool out_of_order, bool ok,
                     const char *check, const char *detail, const char *mark,
                     const struct ledger_gov *gov)
{
    struct cb_record *r = ctx;
    if (mark) fail_msg("a mark without a governance section");
    if (gov) fail_msg("a governance state without a governance section");
    if (r->calls != index) fail_msg("callback for event %zu after %zu calls", index, r->calls);
    if (ok && (check || detail || !ev)) fail_msg("ok callback with check or without event");
    if (!ok && (!check || !detail)) fail_msg("failure callback without check or detail");
    if (!ok && out_of_order) fail_msg("a failed event marked out of order");
    if (out_of_order) r->late |= 1u << index;
    r->calls++;
    r->last_index = index;
    r->last_ok = ok;
    snprintf(r->last_check, sizeof r->last_check, "%s", check ? check : "");
    snprintf(r->last_org, sizeof r->last_org, "%s", org ? org : "");
    r->last_height = height;
    r->last_pos = pos;
    r->ev_null_on_fail = !ok && !ev;
}

/* Verifies the bundle inline (no executor) and again with the signatures
 * checked up front on two threads, and fails unless both give the same
 * code, report and callbacks. */
static int run_verify(struct fx *f, const char *item)
{
    size_t len;
    uint8_t *buf = encode_bundle(f, ITEM, &len);
    memset(&f->cb, 0, sizeof f->cb);
    int rc = ledger_verify_bundle(f->g, item, buf, len, NULL, on_event, &f->cb, &f->res);

    struct cb_record cb;
    memset(&cb, 0, sizeof cb);
    struct ledger_verify_result *res = malloc(sizeof *res);
    assert_non_null(res);
    struct wb_exec_threads te = {.threads = 2};
    struct wb_executor ex = wb_exec_threads(&te);
    int rc2 = ledger_verify_bundle(f->g, item, buf, len, &ex, on_event, &cb, res);
    free(buf);
    if (rc2 != rc || res->ok != f->res.ok || res->failed_event != f->res.failed_event ||
        strcmp(res->failed_check, f->res.failed_check) != 0 ||
        strcmp(res->message, f->res.message) != 0 ||
        res->events_checked != f->res.events_checked ||
        res->blocks_checked != f->res.blocks_checked ||
        res->events_out_of_order != f->res.events_out_of_order ||
        memcmp(&cb, &f->cb, sizeof cb) != 0)
        fail_msg("inline: rc %d, event %ld, \"%s\", %zu callbacks; with an executor: rc %d, "
                 "event %ld, \"%s\", %zu callbacks",
                 rc, f->res.failed_event, f->res.message, f->cb.calls, rc2, res->failed_event,
                 res->message, cb.calls);
    free(res);
    return rc;
}

/* Expects the bundle to fail at event `index` in check `check`, with a
 * message naming the event and containing `want`. */
static void expect_fail(struct fx *f, size_t index, const char *check, const char *want)
{
    int rc = run_verify(f, NULL);
    struct ledger_verify_result *r = &f->res;
    if (rc != WB_ERR_VERIFY || r->ok || r->failed_event != (long)index ||
        strcmp(r->failed_check, check) != 0 || !strstr(r->message, want))
        fail_msg("expected event %zu to fail %s with \"%s\"; got rc %d, ok %d, event %ld, "
                 "check '%s', message \"%s\"",
                 index, check, want, rc, r->ok, r->failed_event, r->failed_check, r->message);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "event %zu (", index);
    if (strncmp(r->message, prefix, strlen(prefix)) != 0)
        fail_msg("message does not start with \"%s\": %s", prefix, r->message);
    char want_check[48];
    snprintf(want_check, sizeof want_check, "): %s: ", check);
    if (!strstr(r->message, want_check))
        fail_msg("message does not name check %s: %s", check, r->message);
    if (f->cb.calls != index + 1 || f->cb.last_ok || strcmp(f->cb.last_check, check) != 0)
        fail_msg("callback: %zu calls, last ok %d check '%s'; want %zu calls ending in %s",
                 f->cb.calls, f->cb.last_ok, f->cb.last_check, index + 1, check);
    assert_int_equal(r->events_checked, index);
}

/* "event 3 (1a2b3c4d, handover)" for the model's event m. */
static void event_name(struct fx *f, size_t shown_index, size_t m, char *out, size_t cap)
{
    char id[9];
    snprintf(out, cap, "event %zu (%s, %s)", shown_index,
             wb_hex_encode(f->mine[m].ev.id, 4, id, sizeof id),
             ledger_action_name(f->mine[m].ev.action));
}

static const struct chain_opts plain = {.stranger_at = -1, .resign_at = -1};

/* ---- the good bundle --------------------------------------------------- */

static void hand_built_bundle_verifies(void **state)
{
    struct fx *f = *state;
    build_chain(f, plain);
    int rc = run_verify(f, ITEM);
    if (rc) fail_msg("bundle refused: %s: %s", wb_strerror(rc), f->res.message);
    struct ledger_verify_result *r = &f->res;
    assert_true(r->ok);
    assert_int_equal(r->failed_event, -1);
    assert_int_equal(r->events_checked, MINE_COUNT);
    assert_int_equal(r->blocks_checked, N_BLOCKS);
    assert_string_equal(r->state.item, ITEM);
    assert_string_equal(r->state.custodian, "oceanic");
    assert_string_equal(r->state.seal, "SL-1");
    assert_int_equal(r->state.status, LEDGER_ITEM_ACTIVE);
    assert_int_equal(r->state.count, MINE_COUNT);
    assert_int_equal(r->state.first_height, 1);
    assert_int_equal(r->state.last_height, 4);
    assert_memory_equal(r->state.head, f->mine[MINE_COUNT - 1].ev.id, WB_HASH_LEN);
    /* one ok callback per event, the last one the customs inspection */
    assert_int_equal(f->cb.calls, MINE_COUNT);
    assert_true(f->cb.last_ok);
    assert_string_equal(f->cb.last_org, "customs");
    assert_int_equal(f->cb.last_height, 4);
    assert_int_equal(f->cb.last_pos, 0);
    /* NULL item means the bundle's own */
    assert_int_equal(run_verify(f, NULL), WB_OK);
}

/* ---- bundle-level failures --------------------------------------------- */

static void bundle_level_failures(void **state)
{
    struct fx *f = *state;
    build_chain(f, plain);
    assert_int_equal(run_verify(f, "urn:example:other"), WB_ERR_VERIFY);
    assert_int_equal(f->res.failed_event, -1);
    assert_string_equal(f->res.failed_check, VERIFY_CHECK_ITEM);
    assert_non_null(strstr(f->res.message, "the bundle is for item " ITEM
                                          ", not urn:example:other"));

    f->n_mine = 0;
    assert_int_equal(run_verify(f, NULL), WB_ERR_VERIFY);
    assert_int_equal(f->res.failed_event, -1);
    assert_false(f->res.ok);
    assert_non_null(strstr(f->res.message, "the bundle holds no events for item " ITEM));
    assert_int_equal(f->cb.calls, 0);

    const uint8_t junk[] = {0x12, 0x05, 0x01};
    struct ledger_verify_result res;
    assert_int_equal(ledger_verify_bundle(f->g, NULL, junk, sizeof junk, NULL, NULL, NULL, &res),
                     WB_ERR_DECODE);
    assert_string_equal(res.failed_check, VERIFY_CHECK_DECODE);
    assert_int_equal(res.failed_event, -1);
}

/* ---- tampering ---------------------------------------------------------- */

static void event_byte_changed(void **state)
{
    struct fx *f = *state;
    build_chain(f, plain);
    char name[64];
    event_name(f, 3, 3, name, sizeof name);
    /* the last byte of a SignedEvent is the signature's */
    f->mine[3].bytes[f->mine[3].len - 1] ^= 0x01;
    expect_fail(f, 3, VERIFY_CHECK_SIGNATURE, name);
    assert_non_null(strstr(f->res.message, "the signature does not verify"));
    f->mine[3].bytes[f->mine[3].len - 1] ^= 0x01;

    /* a byte of the body: "oceanic" becomes "oceanid" in the handover */
    uint8_t *p = memmem(f->mine[3].bytes, f->mine[3].len, "oceanic", 7);
    assert_non_null(p);
    p[6] = 'd';
    int rc = run_verify(f, NULL);
    assert_int_equal(rc, WB_ERR_VERIFY);
    assert_int_equal(f->res.failed_event, 3);
    if (strcmp(f->res.failed_check, VERIFY_CHECK_SIGNATURE) != 0 &&
        strcmp(f->res.failed_check, VERIFY_CHECK_DECODE) != 0)
        fail_msg("changed body byte failed %s, want signature or decode: %s",
                 f->res.failed_check, f->res.message);
    p[6] = 'c';

    /* bytes that are no SignedEvent at all */
    memset(f->mine[3].bytes, 0xff, 4);
    expect_fail(f, 3, VERIFY_CHECK_DECODE, "event 3 (?, ?): decode: not a signed event");
    assert_true(f->cb.ev_null_on_fail);
}

static void merkle_path_byte_changed(void **state)
{
    struct fx *f = *state;
    build_chain(f, plain);
    char name[64];
    event_name(f, 5, 5, name, sizeof name);
    assert_true(f->mine[5].path_len > 0);
    f->mine[5].path[0][3] ^= 0x20;
    expect_fail(f, 5, VERIFY_CHECK_INCLUSION, name);
    assert_non_null(strstr(f->res.message, "does not lead to the events root of block 3"));
    f->mine[5].path[0][3] ^= 0x20;

    /* the right path at the wrong index (the arrive, 3, claims 2) */
    f->mine[6].index = 2;
    expect_fail(f, 6, VERIFY_CHECK_INCLUSION, "audit path for index 2 does not lead");
}

static void cert_signature_byte_changed(void **state)
{
    struct fx *f = *state;
    build_chain(f, plain);
    char name[64];
    /* block 3's first event of the item is bundle event 4 (receive) */
    event_name(f, 4, 4, name, sizeof name);
    f->blocks[2].sigs[1][40] ^= 0x04;
    expect_fail(f, 4, VERIFY_CHECK_CERT, name);
    assert_non_null(strstr(f->res.message, "block 3: precommit 1 (validator 1): bad signature"));
    assert_int_equal(f->res.blocks_checked, 2);
}

static void removed_middle_event(void **state)
{
    struct fx *f = *state;
    build_chain(f, plain);
    char name[64], want[160], prev[9], got[9];
    event_name(f, 3, 4, name, sizeof name);
    snprintf(want, sizeof want, "%s: prev-link: prev is %s..., but the previous event in the "
             "bundle is %s...",
             name, wb_hex_encode(f->mine[3].ev.id, 4, prev, sizeof prev),
             wb_hex_encode(f->mine[2].ev.id, 4, got, sizeof got));
    /* drop the handover (event 3) */
    memmove(&f->mine[3], &f->mine[4], (f->n_mine - 4) * sizeof f->mine[0]);
    f->n_mine--;
    expect_fail(f, 3, VERIFY_CHECK_PREV, want);
}

static void dropped_commission(void **state)
{
    struct fx *f = *state;
    build_chain(f, plain);
    memmove(&f->mine[0], &f->mine[1], (f->n_mine - 1) * sizeof f->mine[0]);
    f->n_mine--;
    expect_fail(f, 0, VERIFY_CHECK_PREV, "the first event must be commission");
}

static void cert_too_few_precommits(void **state)
{
    struct fx *f = *state;
    build_chain(f, plain);
    char name[64];
    event_name(f, 2, 2, name, sizeof name);
    f->blocks[1].n_voters = 2;
    expect_fail(f, 2, VERIFY_CHECK_CERT, name);
    assert_non_null(strstr(f->res.message, "only 2 distinct valid precommits, quorum is 3"));
}

static void non_member_signer(void **state)
{
    struct fx *f = *state;
    build_chain(f, (struct chain_opts){.stranger_at = 2, .resign_at = -1});
    char name[64], want[160], key[9];
    event_name(f, 2, 2, name, sizeof name);
    snprintf(want, sizeof want, "%s: member: submitter key %s... is not a member key", name,
             wb_hex_encode(f->pk[K_STRANGER], 4, key, sizeof key));
    expect_fail(f, 2, VERIFY_CHECK_MEMBER, want);
}

static void header_from_another_chain(void **state)
{
    struct fx *f = *state;
    build_chain(f, (struct chain_opts){.stranger_at = -1, .other_chain_height = 2,
                                       .resign_at = -1});
    char name[64];
    event_name(f, 2, 2, name, sizeof name);
    expect_fail(f, 2, VERIFY_CHECK_CHAIN_ID, name);
    assert_non_null(strstr(f->res.message, "block 2 is from another chain"));
}

static void missing_block_and_order(void **state)
{
    struct fx *f = *state;
    build_chain(f, plain);
    /* without block 4 the inspection has nothing to be included in */
    f->n_blocks = 3;
    expect_fail(f, 7, VERIFY_CHECK_HEADER, "its block at height 4 is not in the bundle");
    f->n_blocks = N_BLOCKS;

    /* an event claiming an earlier height than its prev */
    f->mine[7].height = 2;
    expect_fail(f, 7, VERIFY_CHECK_PREV, "not after its prev at height 3");
}

static void rules_checked_from_the_bundle(void **state)
{
    struct fx *f = *state;
    /* the bundle claims the item for 'acme' after handing it to 'oceanic':
     * the receive signed by acme, in a properly certified chain */
    build_chain(f, (struct chain_opts){.stranger_at = -1, .resign_at = 4, .rekey = true,
                                       .resign_key = K_ACME});
    char name[64];
    event_name(f, 4, 4, name, sizeof name);
    expect_fail(f, 4, VERIFY_CHECK_RULES, name);
    assert_non_null(strstr(f->res.message, "receive: item is being handed to 'oceanic', not "
                                           "'acme'"));
    assert_string_equal(f->cb.last_org, "acme");
    /* the state reported is the one after the last good event */
    assert_int_equal(f->res.state.count, 4);
    assert_int_equal(f->res.state.status, LEDGER_ITEM_IN_TRANSFER);
}

/* The time rules judge each event against its own certified block time. */
static void time_rules_use_block_time(void **state)
{
    struct fx *f = *state;
    /* The inspection in block 4 (time GENESIS_MS + 4000) dated 11 minutes
     * later: more than the default 10 minutes of clock skew. */
    build_chain(f, (struct chain_opts){.stranger_at = -1, .resign_at = 7,
                                       .at_ms = GENESIS_MS + 4000 + 11 * 60000});
    expect_fail(f, 7, VERIFY_CHECK_RULES, "after the ledger's time");
    assert_non_null(strstr(f->res.message, "(rule time_future)"));
    /* 9 minutes is inside the allowance. */
    build_chain(f, (struct chain_opts){.stranger_at = -1, .resign_at = 7,
                                       .at_ms = GENESIS_MS + 4000 + 9 * 60000});
    assert_int_equal(run_verify(f, NULL), WB_OK);
    /* Dated before the commission. */
    build_chain(f, (struct chain_opts){.stranger_at = -1, .resign_at = 2, .at_ms = GENESIS_MS});
    expect_fail(f, 2, VERIFY_CHECK_RULES, "(rule time_before_commission)");
}

/* A late report (dated before an earlier event, after the commission) is
 * accepted, counted and marked in the callback. */
static void late_report_marked_out_of_order(void **state)
{
    struct fx *f = *state;
    build_chain(f, plain);
    assert_int_equal(run_verify(f, NULL), WB_OK);
    assert_int_equal(f->res.events_out_of_order, 0);
    assert_int_equal(f->cb.late, 0);
    /* The departure (event 5) dated just after the commission. */
    int64_t t_commission = f->mine[0].ev.time_ms;
    f->nonce = 0; /* the same event times again */
    build_chain(f, (struct chain_opts){.stranger_at = -1, .resign_at = 5,
                                       .at_ms = t_commission + 1});
    int rc = run_verify(f, NULL);
    if (rc) fail_msg("bundle refused: %s", f->res.message);
    assert_true(f->res.ok);
    assert_int_equal(f->res.events_out_of_order, 1);
    assert_int_equal(f->cb.late, 1u << 5);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(hand_built_bundle_verifies),
        T(bundle_level_failures),
        T(event_byte_changed),
        T(merkle_path_byte_changed),
        T(cert_signature_byte_changed),
        T(removed_middle_event),
        T(dropped_commission),
        T(cert_too_few_precommits),
        T(non_member_signer),
        T(header_from_another_chain),
        T(missing_block_and_order),
        T(rules_checked_from_the_bundle),
        T(time_rules_use_block_time),
        T(late_report_marked_out_of_order),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
