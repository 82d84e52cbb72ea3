/* Test support for the client command tests: a small network on disk
 * (genesis.json and key files in the testnet layout), a real certified chain
 * of one item's journey with its proof bundle, a fake node behind the
 * client_connector interface, and running a handler with its output
 * captured. */
#ifndef TESTS_UNIT_CLI_SUPPORT_H
#define TESTS_UNIT_CLI_SUPPORT_H

#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/client_cmds.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/genesis.h"
#include "ledger/merkle.h"
#include "ledger/rules.h"
#include "proto/waybill.pb-c.h"

#define TN_ORGS 3
#define TN_VALIDATORS 4
#define TN_PATH 256
#define TN_ITEM "CSQU3054383"
#define TN_CHAIN "cli-test-chain"
#define TN_GENESIS_TIME_MS INT64_C(1790000000000)

enum { TN_ACME = 0, TN_OCEANIC, TN_CUSTOMS, TN_OUTSIDER };

/* A network on disk: DIR/genesis.json, DIR/node<i>/client.key per org. */
struct tnet {
    char dir[64];
    char genesis_path[TN_PATH];
    char key_path[TN_ORGS][TN_PATH];
    struct ledger_genesis *g;
    uint8_t org_pk[TN_ORGS + 1][WB_PUBKEY_LEN];   /* [TN_OUTSIDER]: a key in no genesis */
    uint8_t org_sk[TN_ORGS + 1][WB_SECKEY_LEN];
    uint8_t val_pk[TN_VALIDATORS][WB_PUBKEY_LEN];
    uint8_t val_sk[TN_VALIDATORS][WB_SECKEY_LEN];
};

static inline int tn_rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static inline void tn_rmtree(const char *path) { nftw(path, tn_rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* Writes a key file holding the seed of sk (the first 32 bytes), mode 0600. */
static inline int tn_write_key(const char *path, const uint8_t sk[WB_SECKEY_LEN])
{
    char text[2 * 32 + 2];
    wb_hex_encode(sk, 32, text, sizeof text);
    text[64] = '\n';
    return wb_write_file(path, text, 65, 0600);
}

static inline int tn_init(struct tnet *t)
{
    static const char *const names[TN_ORGS] = {"acme", "oceanic", "customs"};
    static const char *const roles[TN_ORGS] = {"shipper", "carrier", "customs"};
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/waybill-cli-client-XXXXXX");
    if (!mkdtemp(t->dir)) return -1;
    for (int k = 0; k <= TN_ORGS; k++) {
        uint8_t seed[32] = {0x51, (uint8_t)k};
        if (crypto_sign_seed_keypair(t->org_pk[k], t->org_sk[k], seed) != 0) return -1;
    }
    for (int k = 0; k < TN_VALIDATORS; k++) {
        uint8_t seed[32] = {0x61, (uint8_t)k};
        if (crypto_sign_seed_keypair(t->val_pk[k], t->val_sk[k], seed) != 0) return -1;
    }
    char json[8192], hex[65];
    size_t o = (size_t)snprintf(json, sizeof json,
                                "{\n  \"chain_id\": \"" TN_CHAIN "\",\n"
                                "  \"genesis_time\": \"2026-09-21T14:13:20Z\",\n"
                                "  \"members\": [\n");
    for (int k = 0; k < TN_ORGS; k++)
        o += (size_t)snprintf(json + o, sizeof json - o,
                              "    {\"org\": \"%s\", \"role\": \"%s\", \"keys\": [\"%s\"]}%s\n",
                              names[k], roles[k], wb_hex_encode(t->org_pk[k], 32, hex, sizeof hex),
                              k + 1 < TN_ORGS ? "," : "");
    o += (size_t)snprintf(json + o, sizeof json - o, "  ],\n  \"validators\": [\n");
    for (int k = 0; k < TN_VALIDATORS; k++)
        o += (size_t)snprintf(json + o, sizeof json - o,
                              "    {\"name\": \"node%d\", \"org\": \"%s\", \"key\": \"%s\", "
                              "\"p2p\": \"127.0.0.1:%d\"}%s\n",
                              k, names[k % TN_ORGS],
                              wb_hex_encode(t->val_pk[k], 32, hex, sizeof hex), 7100 + k,
                              k + 1 < TN_VALIDATORS ? "," : "");
    o += (size_t)snprintf(json + o, sizeof json - o, "  ]\n}\n");
    snprintf(t->genesis_path, sizeof t->genesis_path, "%s/genesis.json", t->dir);
    if (wb_write_file(t->genesis_path, json, o, 0644) != WB_OK) return -1;
    for (int k = 0; k < TN_ORGS; k++) {
        char node_dir[128];
        snprintf(node_dir, sizeof node_dir, "%s/node%d", t->dir, k);
        if (mkdir(node_dir, 0700) != 0) return -1;
        snprintf(t->key_path[k], sizeof t->key_path[k], "%s/client.key", node_dir);
        if (tn_write_key(t->key_path[k], t->org_sk[k]) != WB_OK) return -1;
    }
    t->g = malloc(sizeof *t->g);
    char msg[256];
    if (!t->g || ledger_genesis_parse((const uint8_t *)json, o, t->g, msg, sizeof msg) != WB_OK)
        return -1;
    return 0;
}

static inline void tn_free(struct tnet *t)
{
    if (t->dir[0]) tn_rmtree(t->dir);
    free(t->g);
    memset(t, 0, sizeof *t);
}

/* ---- a certified chain and a proof bundle ---------------------------------- */

#define TB_EVENTS_MAX 16
#define TB_BLOCKS_MAX 8
#define TB_BLOCK_EVENTS_MAX 6

struct tb_event {
    uint8_t bytes[WB_SIGNED_EVENT_MAX];
    size_t len;
    uint8_t id[WB_HASH_LEN];
    uint64_t height;
    uint32_t index;
    uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
    size_t path_len;
    struct ledger_event ev;
};

struct tb_vote {
    uint32_t validator;
    uint8_t sig[WB_SIG_LEN];
};

struct tb_block {
    uint64_t height;
    uint8_t header[WB_HEADER_MAX];
    size_t header_len;
    uint8_t hash[WB_HASH_LEN];
    uint8_t *bytes;                       /* the whole block (malloc'd) */
    size_t len;
    size_t n_votes;
    struct tb_vote votes[TN_VALIDATORS];
};

/* The journey of TN_ITEM (events[]) through blocks[], with fillers (other
 * items) sharing its blocks so audit paths are real. `state` is the item's
 * state after its last event. */
struct tbundle {
    size_t n_events;
    struct tb_event events[TB_EVENTS_MAX];
    size_t n_blocks;
    struct tb_block blocks[TB_BLOCKS_MAX];
    struct ledger_item_state state;
};

struct tb_step {
    int block;          /* 1-based height */
    int org;            /* TN_* signer */
    enum ledger_action action;
    const char *item;   /* NULL: TN_ITEM */
    const char *loc;
    const char *key, *value;
    const char *to;
};

/* The journey: 8 events of TN_ITEM in 5 blocks, custodian oceanic at the end,
 * sealed SL-1001. */
static const struct tb_step tb_journey[] = {
    {1, TN_ACME, LEDGER_COMMISSION, "urn:waybill:test:filler-1", "NLRTM", NULL, NULL, NULL},
    {1, TN_ACME, LEDGER_COMMISSION, NULL, "NLRTM", NULL, NULL, NULL},
    {2, TN_ACME, LEDGER_SEAL, NULL, NULL, "seal", "SL-1001", NULL},
    {2, TN_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, NULL, "oceanic"},
    {3, TN_ACME, LEDGER_COMMISSION, "urn:waybill:test:filler-2", "DEHAM", NULL, NULL, NULL},
    {3, TN_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL, NULL},
    {3, TN_OCEANIC, LEDGER_LOAD, NULL, "NLRTM", "vessel", "MSC Anna", NULL},
    {4, TN_OCEANIC, LEDGER_DEPART, NULL, "NLRTM", NULL, NULL, NULL},
    {5, TN_OCEANIC, LEDGER_ARRIVE, NULL, "SGSIN", NULL, NULL, NULL},
    {5, TN_CUSTOMS, LEDGER_INSPECT, NULL, NULL, "result", "ok", NULL},
    {5, TN_ACME, LEDGER_COMMISSION, "urn:waybill:test:filler-3", "CNSHA", NULL, NULL, NULL},
};
#define TB_JOURNEY_STEPS (sizeof tb_journey / sizeof tb_journey[0])
#define TB_JOURNEY_EVENTS 8
#define TB_JOURNEY_BLOCKS 5

static inline void tb_free(struct tbundle *b)
{
    for (size_t i = 0; i < b->n_blocks; i++) free(b->blocks[i].bytes);
    memset(b, 0, sizeof *b);
}

/* Signs a precommit of validator `signer_key` claiming index `validator`. */
static inline int tb_vote(const struct tnet *t, struct tb_block *blk, size_t slot,
                          uint32_t validator, const uint8_t sk[WB_SECKEY_LEN])
{
    uint8_t msg[WB_SIGMSG_MAX];
    size_t n = wb_sigmsg_vote(msg, t->g->chain_id, WAYBILL__VOTE_TYPE__PRECOMMIT, blk->height, 0,
                              blk->hash);
    blk->votes[slot].validator = validator;
    return wb_sign(msg, n, sk, blk->votes[slot].sig);
}

/* Builds the journey. rogue_step: index into tb_journey signed by the
 * outsider key instead (or -1; then b->state is left zeroed). Returns 0, or
 * -1 with a message in msg. */
static inline int tb_build(const struct tnet *t, struct tbundle *b, int rogue_step, char *msg,
                           size_t msg_len)
{
    memset(b, 0, sizeof *b);
    uint8_t prev_hash[WB_HASH_LEN] = {0};
    uint64_t nonce = 1000;
    for (int h = 1; h <= TB_JOURNEY_BLOCKS; h++) {
        static uint8_t evbuf[TB_BLOCK_EVENTS_MAX][WB_SIGNED_EVENT_MAX];
        const uint8_t *evs[TB_BLOCK_EVENTS_MAX];
        size_t lens[TB_BLOCK_EVENTS_MAX], n = 0;
        size_t mine[TB_BLOCK_EVENTS_MAX], n_mine = 0;   /* bundle indexes of TN_ITEM events */
        for (size_t s = 0; s < TB_JOURNEY_STEPS; s++) {
            const struct tb_step *st = &tb_journey[s];
            if (st->block != h) continue;
            struct ledger_event ev;
            memset(&ev, 0, sizeof ev);
            snprintf(ev.item, sizeof ev.item, "%s", st->item ? st->item : TN_ITEM);
            ev.action = st->action;
            if (st->loc) snprintf(ev.location, sizeof ev.location, "%s", st->loc);
            ev.time_ms = TN_GENESIS_TIME_MS + 60000 * (int64_t)s;
            int signer = (int)s == rogue_step ? TN_OUTSIDER : st->org;
            memcpy(ev.submitter, t->org_pk[signer], WB_PUBKEY_LEN);
            if (!st->item && b->n_events) {
                ev.has_prev = true;
                memcpy(ev.prev, b->events[b->n_events - 1].id, WB_HASH_LEN);
            }
            if (st->key) {
                snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "%s", st->key);
                snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "%s", st->value);
                ev.attr_count = 1;
            }
            if (st->to) snprintf(ev.to_org, sizeof ev.to_org, "%s", st->to);
            ev.nonce = nonce++;
            size_t len;
            int rc = ledger_event_sign(t->g->chain_id, &ev, t->org_sk[signer], evbuf[n],
                                       sizeof evbuf[n], &len);
            if (rc) {
                snprintf(msg, msg_len, "step %zu: ledger_event_sign: %s", s, wb_strerror(rc));
                return -1;
            }
            if (!st->item) {
                struct tb_event *te = &b->events[b->n_events];
                memcpy(te->bytes, evbuf[n], len);
                te->len = len;
                memcpy(te->id, ev.id, WB_HASH_LEN);
                te->height = (uint64_t)h;
                te->index = (uint32_t)n;
                te->ev = ev;
                /* With a rogue signer the chain is broken on purpose: no state. */
                if (rogue_step < 0) {
                    char why[160];
                    if (ledger_rules_check(&b->state, &ev, t->g, NULL, TN_GENESIS_TIME_MS + 1000 * h,
                                           why, sizeof why, NULL) != WB_OK) {
                        snprintf(msg, msg_len, "step %zu: rules: %s", s, why);
                        return -1;
                    }
                    ledger_rules_apply(&b->state, &ev, t->g, (uint64_t)h);
                }
                mine[n_mine++] = b->n_events++;
            }
            evs[n] = evbuf[n];
            lens[n] = len;
            n++;
        }
        struct tb_block *blk = &b->blocks[b->n_blocks++];
        struct ledger_block_header hd;
        memset(&hd, 0, sizeof hd);
        hd.version = WB_BLOCK_VERSION;
        memcpy(hd.chain_id, t->g->chain_id, WB_CHAIN_ID_LEN);
        hd.height = (uint64_t)h;
        hd.time_ms = TN_GENESIS_TIME_MS + 1000 * h;
        memcpy(hd.prev_hash, prev_hash, WB_HASH_LEN);
        hd.proposer = (uint32_t)(h % TN_VALIDATORS);
        blk->height = (uint64_t)h;
        int rc = ledger_block_build(&hd, evs, lens, n, &blk->bytes, &blk->len, blk->hash);
        if (rc) {
            snprintf(msg, msg_len, "block %d: ledger_block_build: %s", h, wb_strerror(rc));
            return -1;
        }
        rc = ledger_header_encode(&hd, blk->header, sizeof blk->header, &blk->header_len);
        uint8_t check[WB_HASH_LEN];
        ledger_sha256(blk->header, blk->header_len, check);
        if (rc || memcmp(check, blk->hash, WB_HASH_LEN) != 0) {
            snprintf(msg, msg_len, "block %d: header bytes do not hash to the block hash", h);
            return -1;
        }
        memcpy(prev_hash, blk->hash, WB_HASH_LEN);
        /* Precommits of validators 0, 1 and 2: a quorum of 4. */
        blk->n_votes = 3;
        for (uint32_t v = 0; v < 3; v++)
            if (tb_vote(t, blk, v, v, t->val_sk[v]) != WB_OK) {
                snprintf(msg, msg_len, "block %d: signing a precommit failed", h);
                return -1;
            }
        uint8_t leaves[TB_BLOCK_EVENTS_MAX][MERKLE_HASH_LEN];
        for (size_t i = 0; i < n; i++) merkle_leaf_hash(evs[i], lens[i], leaves[i]);
        for (size_t k = 0; k < n_mine; k++) {
            struct tb_event *te = &b->events[mine[k]];
            if (merkle_audit_path((const uint8_t(*)[MERKLE_HASH_LEN])leaves, n, te->index,
                                  te->path, &te->path_len) != WB_OK) {
                snprintf(msg, msg_len, "block %d: merkle_audit_path failed", h);
                return -1;
            }
        }
    }
    return 0;
}

/* The CommitCert of blk; votes/ptrs/hash storage is the caller's. */
static inline void tb_cert(const struct tb_block *blk, Waybill__CommitCert *cert,
                           Waybill__Vote votes[TN_VALIDATORS], Waybill__Vote *ptrs[TN_VALIDATORS])
{
    waybill__commit_cert__init(cert);
    cert->height = blk->height;
    cert->round = 0;
    cert->block_hash.data = (uint8_t *)blk->hash;
    cert->block_hash.len = WB_HASH_LEN;
    for (size_t v = 0; v < blk->n_votes; v++) {
        waybill__vote__init(&votes[v]);
        votes[v].type = WAYBILL__VOTE_TYPE__PRECOMMIT;
        votes[v].height = blk->height;
        votes[v].round = 0;
        votes[v].block_hash.data = (uint8_t *)blk->hash;
        votes[v].block_hash.len = WB_HASH_LEN;
        votes[v].validator = blk->votes[v].validator;
        votes[v].signature.data = (uint8_t *)blk->votes[v].sig;
        votes[v].signature.len = WB_SIG_LEN;
        ptrs[v] = &votes[v];
    }
    cert->n_precommits = blk->n_votes;
    cert->precommits = ptrs;
}

/* Encodes the bundle (events in order, every block). *out is malloc'd. */
static inline int tb_pack(const struct tbundle *b, uint8_t **out, size_t *len)
{
    Waybill__ProofEvent pe[TB_EVENTS_MAX], *pe_ptrs[TB_EVENTS_MAX];
    ProtobufCBinaryData path_data[TB_EVENTS_MAX][MERKLE_PATH_MAX];
    Waybill__ProofBlock pbk[TB_BLOCKS_MAX], *pbk_ptrs[TB_BLOCKS_MAX];
    Waybill__CommitCert certs[TB_BLOCKS_MAX];
    Waybill__Vote votes[TB_BLOCKS_MAX][TN_VALIDATORS], *vptrs[TB_BLOCKS_MAX][TN_VALIDATORS];
    for (size_t i = 0; i < b->n_events; i++) {
        const struct tb_event *te = &b->events[i];
        waybill__proof_event__init(&pe[i]);
        pe[i].signed_event.data = (uint8_t *)te->bytes;
        pe[i].signed_event.len = te->len;
        pe[i].height = te->height;
        pe[i].index = te->index;
        for (size_t k = 0; k < te->path_len; k++) {
            path_data[i][k].data = (uint8_t *)te->path[k];
            path_data[i][k].len = MERKLE_HASH_LEN;
        }
        pe[i].n_audit_path = te->path_len;
        pe[i].audit_path = path_data[i];
        pe_ptrs[i] = &pe[i];
    }
    for (size_t j = 0; j < b->n_blocks; j++) {
        const struct tb_block *blk = &b->blocks[j];
        waybill__proof_block__init(&pbk[j]);
        pbk[j].height = blk->height;
        pbk[j].header.data = (uint8_t *)blk->header;
        pbk[j].header.len = blk->header_len;
        tb_cert(blk, &certs[j], votes[j], vptrs[j]);
        pbk[j].cert = &certs[j];
        pbk_ptrs[j] = &pbk[j];
    }
    Waybill__ProofBundle pb = WAYBILL__PROOF_BUNDLE__INIT;
    pb.item = (char *)TN_ITEM;
    pb.n_events = b->n_events;
    pb.events = pe_ptrs;
    pb.n_blocks = b->n_blocks;
    pb.blocks = pbk_ptrs;
    *len = waybill__proof_bundle__get_packed_size(&pb);
    *out = malloc(*len);
    if (!*out) return WB_ERR_NOMEM;
    waybill__proof_bundle__pack(&pb, *out);
    return WB_OK;
}

/* Removes bundle event i (the block stays). */
static inline void tb_remove_event(struct tbundle *b, size_t i)
{
    memmove(&b->events[i], &b->events[i + 1], (b->n_events - i - 1) * sizeof b->events[0]);
    b->n_events--;
}

/* ---- a fake node behind the connector interface ------------------------------- */

#define FAKE_REQUESTS_MAX 8

struct fake_node {
    int connect_rc;                     /* returned by connect (0: connect) */
    /* Answers one request: fills resp (id preset to the request's) and
     * returns 0, or returns a transport error the request then fails with. */
    int (*answer)(struct fake_node *fn, const Waybill__ClientRequest *req,
                  Waybill__ClientResponse *resp);
    void *ctx;                          /* for answer */
    size_t n_requests;
    Waybill__ClientRequest *requests[FAKE_REQUESTS_MAX];
    size_t connects;
    size_t closes;
    uint8_t client_pk[WB_PUBKEY_LEN];   /* the identity the client connected with */
    char addr[128];
};

static inline int fake_request(void *impl, const uint8_t *req, size_t len, uint8_t **resp,
                               size_t *resp_len, uint32_t timeout_ms)
{
    struct fake_node *fn = impl;
    (void)timeout_ms;
    Waybill__ClientRequest *rq = waybill__client_request__unpack(NULL, len, req);
    if (!rq || fn->n_requests == FAKE_REQUESTS_MAX) {
        if (rq) waybill__client_request__free_unpacked(rq, NULL);
        return WB_ERR_CLOSED;
    }
    fn->requests[fn->n_requests++] = rq;
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = rq->id;
    int rc = fn->answer(fn, rq, &r);
    if (rc) return rc;
    *resp_len = waybill__client_response__get_packed_size(&r);
    *resp = malloc(*resp_len ? *resp_len : 1);
    if (!*resp) return WB_ERR_NOMEM;
    waybill__client_response__pack(&r, *resp);
    return WB_OK;
}

static inline void fake_close(void *impl)
{
    struct fake_node *fn = impl;
    fn->closes++;
}

static inline int fake_connect(void *ctx, const char *addr, const struct client_identity *id,
                               uint32_t timeout_ms, struct client_transport *out)
{
    struct fake_node *fn = ctx;
    (void)timeout_ms;
    fn->connects++;
    snprintf(fn->addr, sizeof fn->addr, "%s", addr);
    memcpy(fn->client_pk, id->pk, WB_PUBKEY_LEN);
    if (fn->connect_rc) return fn->connect_rc;
    out->request = fake_request;
    out->close = fake_close;
    out->impl = fn;
    return WB_OK;
}

static inline void fake_reset(struct fake_node *fn)
{
    for (size_t i = 0; i < fn->n_requests; i++)
        waybill__client_request__free_unpacked(fn->requests[i], NULL);
    memset(fn, 0, sizeof *fn);
}

/* ---- running a handler with its output captured --------------------------------- */

#define CAP_MAX (64 * 1024)

struct cap {
    int rc;
    char out[CAP_MAX];
    char err[CAP_MAX];
};

static inline void cap_read(FILE *f, char *buf)
{
    fflush(f);
    rewind(f);
    size_t n = fread(buf, 1, CAP_MAX - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Runs cmd(conn, argc, argv) with stdout and stderr captured into r. argv is
 * NULL-terminated; argv[0] is the subcommand name. */
static inline int cap_run(struct cap *r,
                          int (*cmd)(const struct client_connector *, int, char **),
                          const struct client_connector *conn, const char *const *argv)
{
    char *args[64];
    int argc = 0;
    while (argv[argc] && argc < 63) {
        args[argc] = strdup(argv[argc]);
        argc++;
    }
    args[argc] = NULL;
    FILE *out = tmpfile(), *err = tmpfile();
    if (!out || !err) return -1;
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    dup2(fileno(out), 1);
    dup2(fileno(err), 2);
    r->rc = cmd(conn, argc, args);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    cap_read(out, r->out);
    cap_read(err, r->err);
    for (int i = 0; i < argc; i++) free(args[i]);
    return r->rc;
}

#endif
