/* Writes the seed corpus of every fuzz target (tests/fuzz/corpus/<target>/)
 * from the fixed chain of fuzz_fixture.h: valid, validly signed inputs the
 * fuzzer mutates from. Deterministic: Ed25519 signatures are. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/sigbytes.h"
#include "consensus/cons.h"
#include "fuzz_fixture.h"
#include "ledger/block.h"
#include "ledger/device.h"
#include "ledger/event.h"
#include "ledger/gov.h"
#include "ledger/item_leaf.h"
#include "ledger/merkle.h"
#include "ledger/plan.h"
#include "ledger/sha256.h"
#include "ledger/state_tree.h"
#include "ledger/validate.h"
#include "proto/waybill.pb-c.h"

static struct fx fixture;
static const char *out_dir;
static size_t files_written;

static void die(const char *what)
{
    fprintf(stderr, "make_corpus: %s\n", what);
    exit(1);
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "make_corpus: mkdir %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void write_seed(const char *target, const char *name, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    make_dir(path);
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "make_corpus: cannot write %s\n", path);
        exit(1);
    }
    files_written++;
}

/* A seed of the canon target: the selector of the message type (the order
 * of tests/fuzz/canon.c's table), then the message. */
enum {
    CANON_EVENT_BODY,
    CANON_SIGNED_EVENT,
    CANON_HEADER,
    CANON_BLOCK,
    CANON_CERT,
    CANON_VOTE,
    CANON_PROPOSAL,
    CANON_BUNDLE,
    CANON_PEER_MESSAGE,
};

static void write_canon(uint8_t type, const char *name, const void *data, size_t len)
{
    uint8_t *buf = malloc(len + 1);
    if (!buf) die("out of memory");
    buf[0] = type;
    if (len) memcpy(buf + 1, data, len);
    write_seed("canon", name, buf, len + 1);
    free(buf);
}

static void write_canon_pb(uint8_t type, const char *name, const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) die("out of memory");
    protobuf_c_message_pack(m, buf);
    write_canon(type, name, buf, len);
    free(buf);
}

/* ---- events ------------------------------------------------------------------ */

#define ITEM "CSQU3054383"
#define ITEM2 "urn:epc:id:sscc:0614141.1234567890"

enum { ORG_ACME, ORG_OCEANIC, ORG_CUSTOMS, ORG_AUDIT };

struct signed_ev {
    uint8_t bytes[WB_SIGNED_EVENT_MAX];
    size_t len;
    uint8_t id[WB_HASH_LEN];
};

static void make_event(struct signed_ev *out, int org, const char *item,
                       enum ledger_action action, const char *location,
                       const uint8_t *prev, const char *attr_key, const char *attr_value,
                       const char *to_org, uint64_t nonce)
{
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "%s", item);
    ev.action = action;
    snprintf(ev.location, sizeof ev.location, "%s", location ? location : "");
    ev.time_ms = FX_GENESIS_MS + 1000 + (int64_t)nonce;
    memcpy(ev.submitter, fixture.client_pk[org], WB_PUBKEY_LEN);
    if (prev) {
        ev.has_prev = true;
        memcpy(ev.prev, prev, WB_HASH_LEN);
    }
    if (attr_key) {
        snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "%s", attr_key);
        snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "%s", attr_value);
        ev.attr_count = 1;
    }
    snprintf(ev.to_org, sizeof ev.to_org, "%s", to_org ? to_org : "");
    ev.nonce = nonce;
    if (ledger_event_sign(fixture.g->chain_id, &ev, fixture.client_sk[org], out->bytes,
                          sizeof out->bytes, &out->len) != 0)
        die("ledger_event_sign failed");
    memcpy(out->id, ev.id, WB_HASH_LEN);
}

/* The item's history: commission, seal, load, unload, handover, receive. */
#define HISTORY_LEN 6
static struct signed_ev history[HISTORY_LEN];
static struct signed_ev other_item;

static void make_history(void)
{
    make_event(&history[0], ORG_ACME, ITEM, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL, NULL,
               1);
    make_event(&history[1], ORG_ACME, ITEM, LEDGER_SEAL, NULL, history[0].id, "seal",
               "SL-000123", NULL, 2);
    make_event(&history[2], ORG_ACME, ITEM, LEDGER_LOAD, "NLRTM", history[1].id, "vessel",
               "MAERSK ESSEN", NULL, 3);
    /* Unloaded again where it was loaded: a handover needs it not underway. */
    make_event(&history[3], ORG_ACME, ITEM, LEDGER_UNLOAD, "NLRTM", history[2].id, "crane",
               "QC-7", NULL, 4);
    make_event(&history[4], ORG_ACME, ITEM, LEDGER_HANDOVER, NULL, history[3].id, NULL, NULL,
               "oceanic", 5);
    make_event(&history[5], ORG_OCEANIC, ITEM, LEDGER_RECEIVE, NULL, history[4].id, NULL, NULL,
               NULL, 6);
    make_event(&other_item, ORG_ACME, ITEM2, LEDGER_COMMISSION, "8712345678906", NULL, "hs",
               "8471.30", NULL, 7);
}

static void seeds_event(void)
{
    static const char *const names[HISTORY_LEN] = {"commission", "seal", "load",
                                                   "unload", "handover", "receive"};
    for (int i = 0; i < HISTORY_LEN; i++)
        write_seed("event", names[i], history[i].bytes, history[i].len);
    write_canon(CANON_SIGNED_EVENT, "signed-event-commission", history[0].bytes, history[0].len);
    write_canon(CANON_SIGNED_EVENT, "signed-event-handover", history[4].bytes, history[4].len);
    for (int i = 0; i < 2; i++) {
        const uint8_t *body;
        size_t body_len;
        uint8_t sig[WB_SIG_LEN];
        if (ledger_signed_event_split(history[i].bytes, history[i].len, &body, &body_len, sig))
            die("a seed event does not split");
        write_canon(CANON_EVENT_BODY, i ? "event-body-seal" : "event-body-commission", body,
                    body_len);
    }
    write_seed("event", "commission-urn-gln", other_item.bytes, other_item.len);
    struct signed_ev e;
    make_event(&e, ORG_CUSTOMS, "(01)09506000134352(21)ABC123", LEDGER_INSPECT, "DEHAM",
               history[0].id, "result", "ok", NULL, 8);
    write_seed("event", "inspect-gtin", e.bytes, e.len);
    make_event(&e, ORG_CUSTOMS, "106141411234567897", LEDGER_HOLD, NULL, history[0].id,
               "reason", "d\xc3\xa9" "claration manquante", NULL, 9);
    write_seed("event", "hold-sscc-utf8", e.bytes, e.len);
    /* Regression input: a validly signed seal whose attribute carries a field
     * Attr does not have (field 10, one byte). event.h promises such bodies
     * are refused (no unknown fields, one encoding per event); a decoder
     * that checks the top level only accepts it, and the event then has two
     * encodings and two ids. */
    {
        /* protobuf-c keeps an unknown field's payload with its length prefix. */
        static uint8_t junk[] = {0x01, 'x'};
        ProtobufCMessageUnknownField unknown = {
            .tag = 10, .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, .len = sizeof junk,
            .data = junk};
        Waybill__Attr attr;
        waybill__attr__init(&attr);
        attr.key = (char *)"seal";
        attr.value = (char *)"SL-000123";
        attr.base.n_unknown_fields = 1;
        attr.base.unknown_fields = &unknown;
        Waybill__Attr *attrs[] = {&attr};
        Waybill__EventBody pb;
        waybill__event_body__init(&pb);
        pb.version = 1;
        pb.item = (char *)ITEM;
        pb.action = WAYBILL__ACTION__SEAL;
        pb.time_ms = FX_GENESIS_MS + 1002;
        pb.submitter.data = fixture.client_pk[ORG_ACME];
        pb.submitter.len = WB_PUBKEY_LEN;
        pb.prev.data = history[0].id;
        pb.prev.len = WB_HASH_LEN;
        pb.n_attrs = 1;
        pb.attrs = attrs;
        pb.nonce = 2;
        uint8_t body[WB_EVENT_BODY_MAX], sig[WB_SIG_LEN];
        size_t body_len = waybill__event_body__get_packed_size(&pb);
        if (body_len > sizeof body) die("regression body too long");
        waybill__event_body__pack(&pb, body);
        if (wb_event_sign(fixture.g->chain_id, body, body_len, fixture.client_sk[ORG_ACME],
                          sig) != 0 ||
            ledger_signed_event_encode(body, body_len, sig, e.bytes, sizeof e.bytes, &e.len) != 0)
            die("regression event does not sign");
        write_seed("event", "regress-attr-unknown-field", e.bytes, e.len);
    }
    /* A forged signature: decodes, does not verify. */
    memcpy(&e, &history[1], sizeof e);
    e.bytes[e.len - 1] ^= 0x01;
    write_seed("event", "bad-signature", e.bytes, e.len);
}

/* ---- blocks ------------------------------------------------------------------ */

struct built_block {
    uint8_t *bytes;
    size_t len;
    uint8_t hash[WB_HASH_LEN];
    uint8_t header[WB_HEADER_MAX];
    size_t header_len;
    struct ledger_block_header h;
    uint8_t leaves[8][MERKLE_HASH_LEN];
    size_t n;
};

/* A chain's item states so far and, in version 2, its item-state tree: what
 * a block's check looks items up in and what the block then changes. */
struct chain_state {
    uint32_t version;
    struct ledger_item_state st[8];
    size_t n;
    struct ledger_state_tree tree;
    uint64_t height;
    uint8_t prev_hash[WB_HASH_LEN];
    int64_t prev_time_ms;
};

static void chain_init(struct chain_state *c, uint32_t version)
{
    memset(c, 0, sizeof *c);
    c->version = version;
    c->prev_time_ms = FX_GENESIS_MS;
    ledger_state_tree_init(&c->tree);
}

static int chain_lookup(void *ctx, const char *item, struct ledger_item_state *out)
{
    const struct chain_state *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->st[i].item, item) == 0) {
            *out = c->st[i];
            return WB_OK;
        }
    return WB_ERR_NOT_FOUND;
}

static void encode_block(struct built_block *b, const uint8_t *const *ptrs, const size_t *lens,
                         size_t n)
{
    free(b->bytes);
    b->bytes = NULL;
    if (ledger_block_build(&b->h, n ? ptrs : NULL, n ? lens : NULL, n, &b->bytes, &b->len,
                           b->hash) != 0)
        die("ledger_block_build failed");
    if (ledger_header_encode(&b->h, b->header, sizeof b->header, &b->header_len) != 0)
        die("ledger_header_encode failed");
}

/* Checks block b as the next block of chain c (state_unset: as its proposer
 * does, before the header carries the state) into *r. */
static void check_next(struct chain_state *c, const struct built_block *b, bool state_unset,
                       struct ledger_block_result *r)
{
    struct ledger_block dec;
    if (ledger_block_decode(b->bytes, b->len, &dec) != 0) die("a seed block does not decode");
    struct ledger_block_ctx bc = {
        .genesis = fx_genesis(&fixture, c->version),
        .height = c->height + 1,
        .prev_time_ms = c->prev_time_ms,
        .now_ms = FX_NOW_MS,
        .drift_max_ms = FX_DRIFT_MS,
        .events_max = FX_EVENTS_MAX,
        .item_count = c->n,
        .tree = c->version == WB_BLOCK_VERSION_STATE ? &c->tree : NULL,
        .state_unset = state_unset,
        .lookup = chain_lookup,
        .ctx = c,
    };
    memcpy(bc.prev_hash, c->prev_hash, WB_HASH_LEN);
    char msg[512] = "";
    if (ledger_block_check_full(&bc, &dec, r, msg, sizeof msg) != 0) {
        fprintf(stderr, "make_corpus: a seed block fails its check: %s\n", msg);
        exit(1);
    }
    ledger_block_free(&dec);
}

/* Builds block (height, time, proposer, events) of the chain of header
 * version `version`. With a chain c, it is c's next block: checked against
 * c's state (in version 2 first as the proposer checks it, then built again
 * with the state root and item count the check computed, as
 * node/driver/build.c does, and checked again), and c advances past it. */
static void build_block_v(struct built_block *b, uint32_t version, struct chain_state *c,
                          uint64_t height, const uint8_t *prev_hash, int64_t time_ms,
                          uint32_t proposer, const struct signed_ev *const *events, size_t n)
{
    if (n > 8) die("too many events for a seed block");
    memset(b, 0, sizeof *b);
    const uint8_t *ptrs[8];
    size_t lens[8];
    for (size_t i = 0; i < n; i++) {
        ptrs[i] = events[i]->bytes;
        lens[i] = events[i]->len;
        merkle_leaf_hash(ptrs[i], lens[i], b->leaves[i]);
    }
    b->h.version = version;
    b->h.has_state = version == WB_BLOCK_VERSION_STATE;
    memcpy(b->h.chain_id, fixture.g->chain_id, WB_CHAIN_ID_LEN);
    b->h.height = height;
    b->h.time_ms = time_ms;
    if (prev_hash) memcpy(b->h.prev_hash, prev_hash, WB_HASH_LEN);
    b->h.proposer = proposer;
    encode_block(b, ptrs, lens, n);
    b->n = n;
    if (!c) return;
    if (c->version != version || c->height + 1 != height) die("a seed block off its chain");
    struct ledger_block_result r;
    if (version == WB_BLOCK_VERSION_STATE) {
        check_next(c, b, true, &r);
        memcpy(b->h.state_root, r.state_root, WB_HASH_LEN);
        b->h.item_count = r.item_count;
        ledger_block_result_free(&r);
        encode_block(b, ptrs, lens, n);
    }
    check_next(c, b, false, &r);
    for (size_t i = 0; i < r.state_count; i++) {
        size_t j = 0;
        while (j < c->n && strcmp(c->st[j].item, r.states[i].item) != 0) j++;
        if (j == c->n) {
            if (c->n == sizeof c->st / sizeof c->st[0]) die("too many items in a seed chain");
            c->n++;
        }
        c->st[j] = r.states[i];
    }
    if (version == WB_BLOCK_VERSION_STATE) {
        if (ledger_state_tree_apply(&c->tree, r.leaves, r.leaf_count) != 0)
            die("ledger_state_tree_apply failed");
        uint8_t root[WB_HASH_LEN];
        ledger_state_tree_root(&c->tree, root);
        if (memcmp(root, b->h.state_root, WB_HASH_LEN) != 0 || c->tree.count != b->h.item_count)
            die("the tree after a seed block is not its header's");
    }
    ledger_block_result_free(&r);
    c->height = height;
    memcpy(c->prev_hash, b->hash, WB_HASH_LEN);
    c->prev_time_ms = time_ms;
}

static void build_block(struct built_block *b, uint64_t height, const uint8_t *prev_hash,
                        int64_t time_ms, uint32_t proposer, const struct signed_ev *const *events,
                        size_t n)
{
    build_block_v(b, WB_BLOCK_VERSION, NULL, height, prev_hash, time_ms, proposer, events, n);
}

/* A seed of a target whose first input byte is a selector (block, bundle). */
static void write_selected(const char *target, uint8_t selector, const char *name,
                           const void *data, size_t len)
{
    uint8_t *buf = malloc(len + 1);
    if (!buf) die("out of memory");
    buf[0] = selector;
    if (len) memcpy(buf + 1, data, len);
    write_seed(target, name, buf, len + 1);
    free(buf);
}

/* The block target's selector: bit 0 the chain's header version, bits 1-2
 * the items registered before (tests/fuzz/block.c; keep in step). */
#define SEL_V1 0
#define SEL_V2 1

/* Block 1 of the chain of `version` with these events, as the block target
 * checks it (an empty state): built by build_block_v on a fresh chain. */
static void build_first(struct built_block *b, uint32_t version, int64_t t, uint32_t proposer,
                        const struct signed_ev *const *events, size_t n)
{
    struct chain_state c;
    chain_init(&c, version);
    build_block_v(b, version, &c, FX_BLOCK_HEIGHT, NULL, t, proposer, events, n);
    ledger_state_tree_free(&c.tree);
}

static void seeds_block(void)
{
    struct built_block b;
    int64_t t = FX_GENESIS_MS + 60000;
    build_block(&b, FX_BLOCK_HEIGHT, NULL, t, 1, NULL, 0);
    write_selected("block", SEL_V1, "empty", b.bytes, b.len);
    /* A version 1 header on the version 2 chain: refused. */
    write_selected("block", SEL_V2, "v1-on-v2-chain", b.bytes, b.len);
    free(b.bytes);

    const struct signed_ev *three[] = {&history[0], &history[1], &history[2]};
    build_block(&b, FX_BLOCK_HEIGHT, NULL, t, 2, three, 3);
    write_selected("block", SEL_V1, "commission-seal-load", b.bytes, b.len);
    write_canon(CANON_BLOCK, "block-three-events", b.bytes, b.len);
    write_canon(CANON_HEADER, "header", b.header, b.header_len);
    free(b.bytes);

    const struct signed_ev *all[] = {&history[0], &other_item, &history[1], &history[2],
                                     &history[3], &history[4], &history[5]};
    build_block(&b, FX_BLOCK_HEIGHT, NULL, t, 3, all, 7);
    write_selected("block", SEL_V1, "two-items-handover", b.bytes, b.len);
    free(b.bytes);

    /* Valid structure, but the second event breaks the rules (no prev). */
    struct signed_ev orphan;
    make_event(&orphan, ORG_ACME, ITEM, LEDGER_SEAL, NULL, NULL, "seal", "S-1", NULL, 10);
    const struct signed_ev *bad[] = {&history[0], &orphan};
    build_block(&b, FX_BLOCK_HEIGHT, NULL, t, 0, bad, 2);
    write_selected("block", SEL_V1, "rule-violation", b.bytes, b.len);
    free(b.bytes);

    /* Version 2: valid blocks 1 with the item-state root after them. */
    build_first(&b, WB_BLOCK_VERSION_STATE, t, 1, NULL, 0);
    write_selected("block", SEL_V2, "v2-empty", b.bytes, b.len);
    free(b.bytes);
    build_first(&b, WB_BLOCK_VERSION_STATE, t, 2, three, 3);
    write_selected("block", SEL_V2, "v2-commission-seal-load", b.bytes, b.len);
    /* A version 2 header on the version 1 chain: refused. */
    write_selected("block", SEL_V1, "v2-on-v1-chain", b.bytes, b.len);
    write_canon(CANON_HEADER, "header-v2", b.header, b.header_len);
    free(b.bytes);
    build_first(&b, WB_BLOCK_VERSION_STATE, t, 3, all, 7);
    write_selected("block", SEL_V2, "v2-two-items-handover", b.bytes, b.len);
    write_canon(CANON_BLOCK, "block-v2-two-items", b.bytes, b.len);
    /* The same block with a wrong state root: refused (the root is in the
     * header, so the block is built again). */
    {
        struct built_block w = b;
        w.bytes = NULL;
        w.h.state_root[0] ^= 0x01;
        const uint8_t *ptrs[8];
        size_t lens[8];
        for (size_t i = 0; i < 7; i++) {
            ptrs[i] = all[i]->bytes;
            lens[i] = all[i]->len;
        }
        encode_block(&w, ptrs, lens, 7);
        write_selected("block", SEL_V2, "v2-wrong-state-root", w.bytes, w.len);
        free(w.bytes);
    }
    free(b.bytes);
}

/* ---- certificates -------------------------------------------------------------- */

struct vote_pb {
    Waybill__Vote v;
    uint8_t hash[WB_HASH_LEN];
    uint8_t sig[WB_SIG_LEN];
};

static void sign_vote(struct vote_pb *out, uint32_t validator, uint8_t type, uint64_t height,
                      uint32_t round, const uint8_t *hash)
{
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_vote(msg, fixture.g->chain_id, type, height, round, hash);
    if (wb_sign(msg, len, fixture.val_sk[validator], out->sig) != 0) die("wb_sign failed");
    waybill__vote__init(&out->v);
    out->v.type = (Waybill__VoteType)type;
    out->v.height = height;
    out->v.round = round;
    if (hash) {
        memcpy(out->hash, hash, WB_HASH_LEN);
        out->v.block_hash.data = out->hash;
        out->v.block_hash.len = WB_HASH_LEN;
    }
    out->v.validator = validator;
    out->v.signature.data = out->sig;
    out->v.signature.len = WB_SIG_LEN;
}

/* A CommitCert of precommits by validators[0..n) (repeats allowed). */
struct cert_pb {
    Waybill__CommitCert c;
    uint8_t hash[WB_HASH_LEN];
    struct vote_pb votes[8];
    Waybill__Vote *ptrs[8];
};

static void make_cert(struct cert_pb *out, uint64_t height, uint32_t round,
                      const uint8_t hash[WB_HASH_LEN], const uint32_t *validators, size_t n)
{
    waybill__commit_cert__init(&out->c);
    memcpy(out->hash, hash, WB_HASH_LEN);
    out->c.height = height;
    out->c.round = round;
    out->c.block_hash.data = out->hash;
    out->c.block_hash.len = WB_HASH_LEN;
    for (size_t i = 0; i < n; i++) {
        sign_vote(&out->votes[i], validators[i], CONS_PRECOMMIT, height, round, hash);
        out->ptrs[i] = &out->votes[i].v;
    }
    out->c.n_precommits = n;
    out->c.precommits = out->ptrs;
}

static void write_pb(const char *target, const char *name, const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) die("out of memory");
    protobuf_c_message_pack(m, buf);
    write_seed(target, name, buf, len);
    free(buf);
}

static void seeds_cert(void)
{
    uint8_t hash[WB_HASH_LEN];
    fx_cert_hash(hash);
    static struct cert_pb c;
    static const uint32_t q[] = {0, 1, 2}, all[] = {3, 2, 1, 0}, dup[] = {1, 1, 2, 3};
    static const uint32_t short_q[] = {0, 2};
    make_cert(&c, FX_CERT_HEIGHT, 0, hash, q, 3);
    write_pb("cert", "quorum", &c.c.base);
    write_canon_pb(CANON_CERT, "cert-quorum", &c.c.base);
    write_canon_pb(CANON_VOTE, "vote-precommit", &c.votes[1].v.base);
    make_cert(&c, FX_CERT_HEIGHT, 5, hash, all, 4);
    write_pb("cert", "all-round5", &c.c.base);
    make_cert(&c, FX_CERT_HEIGHT, 1, hash, dup, 4);
    write_pb("cert", "duplicate", &c.c.base);
    make_cert(&c, FX_CERT_HEIGHT, 0, hash, short_q, 2);
    write_pb("cert", "short", &c.c.base);
    make_cert(&c, FX_CERT_HEIGHT, 0, hash, q, 3);
    c.votes[2].sig[0] ^= 0x80;
    write_pb("cert", "bad-signature", &c.c.base);
}

/* ---- proof bundles -------------------------------------------------------------- */

static uint8_t *pack_pb(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (!buf) die("out of memory");
    protobuf_c_message_pack(m, buf);
    return buf;
}

static void write_bundle(uint8_t selector, const char *name, const Waybill__ProofBundle *b)
{
    size_t len;
    uint8_t *buf = pack_pb(&b->base, &len);
    write_selected("bundle", selector, name, buf, len);
    free(buf);
}

/* The bundle target's selector: bit 0 the genesis's header version
 * (tests/fuzz/bundle.c; keep in step). */
#define SEL_BUNDLE_V1 0
#define SEL_BUNDLE_V2 1

/* The version 2 chain's freshness proof (seeds_bundle_version of version
 * 2 fills it), attached to the version 1 bundle too: a validly certified
 * proof that a version 1 genesis must still refuse. */
static Waybill__ProofFreshness v2_fresh;
static uint8_t *v2_fresh_cert;

/* The item's history in two blocks of the chain of `version`. Block 1:
 * commission, other item, seal. Block 2: load, unload, handover, receive.
 * In version 2 an empty block 3 follows, and the bundle carries a
 * freshness proof as of block 3 (the node's latest certified header). */
static void seeds_bundle_version(uint32_t version)
{
    bool v2 = version == WB_BLOCK_VERSION_STATE;
    uint8_t sel = v2 ? SEL_BUNDLE_V2 : SEL_BUNDLE_V1;
    static struct chain_state chain;
    chain_init(&chain, version);
    struct chain_state *c = v2 ? &chain : NULL;
    static struct built_block b1, b2, b3;
    const struct signed_ev *e1[] = {&history[0], &other_item, &history[1]};
    const struct signed_ev *e2[] = {&history[2], &history[3], &history[4], &history[5]};
    build_block_v(&b1, version, c, 1, NULL, FX_GENESIS_MS + 60000, 1, e1, 3);
    build_block_v(&b2, version, c, 2, b1.hash, FX_GENESIS_MS + 120000, 2, e2, 4);
    free(b1.bytes);
    free(b2.bytes);
    /* Where each item event sits: (block, index). */
    static const struct {
        int block;
        size_t index;
    } at[HISTORY_LEN] = {{1, 0}, {1, 2}, {2, 0}, {2, 1}, {2, 2}, {2, 3}};

    static Waybill__ProofEvent pe[HISTORY_LEN];
    static Waybill__ProofEvent *pe_ptrs[HISTORY_LEN];
    static uint8_t paths[HISTORY_LEN][MERKLE_PATH_MAX][MERKLE_HASH_LEN];
    static ProtobufCBinaryData path_pb[HISTORY_LEN][MERKLE_PATH_MAX];
    for (int i = 0; i < HISTORY_LEN; i++) {
        const struct built_block *b = at[i].block == 1 ? &b1 : &b2;
        size_t path_len;
        if (merkle_audit_path((const uint8_t(*)[MERKLE_HASH_LEN])b->leaves, b->n, at[i].index,
                              paths[i], &path_len) != 0)
            die("merkle_audit_path failed");
        waybill__proof_event__init(&pe[i]);
        pe[i].signed_event.data = history[i].bytes;
        pe[i].signed_event.len = history[i].len;
        pe[i].height = (uint64_t)at[i].block;
        pe[i].index = (uint32_t)at[i].index;
        for (size_t k = 0; k < path_len; k++) {
            path_pb[i][k].data = paths[i][k];
            path_pb[i][k].len = MERKLE_HASH_LEN;
        }
        pe[i].n_audit_path = path_len;
        pe[i].audit_path = path_pb[i];
        pe_ptrs[i] = &pe[i];
    }
    static struct cert_pb c1, c2, c3;
    static const uint32_t q1[] = {0, 1, 3}, q2[] = {2, 3, 0, 1}, q3[] = {1, 2, 3};
    make_cert(&c1, 1, 0, b1.hash, q1, 3);
    make_cert(&c2, 2, 1, b2.hash, q2, 4);
    static Waybill__ProofBlock pb[2];
    static Waybill__ProofBlock *pb_ptrs[2];
    waybill__proof_block__init(&pb[0]);
    pb[0].height = 1;
    pb[0].header.data = b1.header;
    pb[0].header.len = b1.header_len;
    pb[0].cert = &c1.c;
    waybill__proof_block__init(&pb[1]);
    pb[1].height = 2;
    pb[1].header.data = b2.header;
    pb[1].header.len = b2.header_len;
    pb[1].cert = &c2.c;
    pb_ptrs[0] = &pb[0];
    pb_ptrs[1] = &pb[1];

    Waybill__ProofBundle bundle;
    waybill__proof_bundle__init(&bundle);
    bundle.item = (char *)ITEM;
    bundle.n_events = HISTORY_LEN;
    bundle.events = pe_ptrs;
    bundle.n_blocks = 2;
    bundle.blocks = pb_ptrs;
    if (!v2) {
        write_bundle(sel, "full-history", &bundle);
        write_canon_pb(CANON_BUNDLE, "bundle-full-history", &bundle.base);

        /* The first two events only: one block. */
        bundle.n_events = 2;
        bundle.n_blocks = 1;
        write_bundle(sel, "first-block", &bundle);

        /* An event missing in the middle: the prev link breaks. */
        Waybill__ProofEvent *gap[] = {pe_ptrs[0], pe_ptrs[1], pe_ptrs[3]};
        bundle.n_events = 3;
        bundle.events = gap;
        bundle.n_blocks = 2;
        write_bundle(sel, "missing-event", &bundle);

        /* A governance section (ProofBundle.governance): the governance
         * chain's bundle with no events, and one holding the item's
         * history under the governance chain's item id (its events are
         * about another item). Neither verifies; both take the section's
         * path through the verifier. */
        Waybill__ProofBundle gov;
        waybill__proof_bundle__init(&gov);
        gov.item = (char *)"urn:waybill:governance";
        bundle.events = pe_ptrs;
        bundle.n_events = HISTORY_LEN;
        bundle.governance = &gov;
        write_bundle(sel, "governance-empty", &bundle);
        gov.n_events = HISTORY_LEN;
        gov.events = pe_ptrs;
        gov.n_blocks = 2;
        gov.blocks = pb_ptrs;
        write_bundle(sel, "governance-other-item", &bundle);
        bundle.governance = NULL;
        bundle.events = gap;
        bundle.n_events = 3;

        /* Every event, and the version 2 chain's proof (same chain id and
         * validators, so its certificate is valid): never verifies on the
         * version 1 genesis. */
        if (!v2_fresh_cert) die("the version 2 proof is not built yet");
        bundle.n_events = HISTORY_LEN;
        bundle.events = pe_ptrs;
        bundle.freshness = &v2_fresh;
        write_bundle(sel, "v1-history-with-v2-proof", &bundle);
        return;
    }

    /* Version 2: block 3 (a heartbeat, no events) is the latest certified
     * one; the item's leaf and audit path under its state root. */
    build_block_v(&b3, version, c, 3, b2.hash, FX_GENESIS_MS + 180000, 3, NULL, 0);
    free(b3.bytes);
    make_cert(&c3, 3, 0, b3.hash, q3, 3);
    size_t item_at = 0;
    while (item_at < chain.n && strcmp(chain.st[item_at].item, ITEM) != 0) item_at++;
    if (item_at == chain.n) die("the item is not on the seed chain");
    const struct ledger_item_state *st = &chain.st[item_at];
    if (st->count != HISTORY_LEN || memcmp(st->head, history[HISTORY_LEN - 1].id, WB_HASH_LEN))
        die("the seed chain's item state is not its history");
    struct ledger_item_leaf leaf;
    ledger_item_leaf_from_state(st, st->reg_index, &leaf);
    static uint8_t leaf_bytes[LEDGER_ITEM_LEAF_LEN];
    ledger_item_leaf_encode(&leaf, leaf_bytes);
    static uint8_t state_path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
    static ProtobufCBinaryData state_path_pb[MERKLE_PATH_MAX];
    size_t state_path_len;
    if (ledger_state_tree_path(&chain.tree, st->reg_index, state_path, &state_path_len) != 0)
        die("ledger_state_tree_path failed");
    for (size_t k = 0; k < state_path_len; k++) {
        state_path_pb[k].data = state_path[k];
        state_path_pb[k].len = MERKLE_HASH_LEN;
    }
    size_t cert_len;
    uint8_t *cert = pack_pb(&c3.c.base, &cert_len);
    Waybill__ProofFreshness fresh;
    waybill__proof_freshness__init(&fresh);
    static uint8_t header3[WB_HEADER_MAX];
    memcpy(header3, b3.header, b3.header_len);
    fresh.height = 3;
    fresh.header.data = header3;
    fresh.header.len = b3.header_len;
    fresh.cert.data = cert;
    fresh.cert.len = cert_len;
    fresh.leaf.data = leaf_bytes;
    fresh.leaf.len = sizeof leaf_bytes;
    fresh.n_state_path = state_path_len;
    fresh.state_path = state_path_pb;

    /* Every event and the proof: complete as of height 3. */
    bundle.freshness = &fresh;
    write_bundle(sel, "v2-complete", &bundle);
    write_canon_pb(CANON_BUNDLE, "bundle-v2-freshness", &bundle.base);
    /* The same bundle on the version 1 genesis: never verifies. */
    write_bundle(SEL_BUNDLE_V1, "v2-complete-on-v1-genesis", &bundle);
    /* The newest event left out, the proof kept: fails freshness. */
    bundle.n_events = HISTORY_LEN - 1;
    write_bundle(sel, "v2-short-last-event", &bundle);
    /* No proof: verifies, completeness not proven. */
    bundle.n_events = HISTORY_LEN;
    bundle.freshness = NULL;
    write_bundle(sel, "v2-no-proof", &bundle);
    v2_fresh = fresh;
    v2_fresh_cert = cert;
    ledger_state_tree_free(&chain.tree);
}

static void seeds_bundle(void)
{
    seeds_bundle_version(WB_BLOCK_VERSION_STATE);
    seeds_bundle_version(WB_BLOCK_VERSION);
    free(v2_fresh_cert);
    v2_fresh_cert = NULL;
}

/* ---- consensus scripts ------------------------------------------------------------ */

enum {
    S_MESSAGE = 0,
    S_TIMEOUT = 2,
    S_VALIDATED = 3,
    S_BLOCK_READY = 4,
    S_SYNCED = 5,
    S_OWN = 6,
    S_CLOCK = 7,
    S_WORK = 8,
};

struct script {
    uint8_t buf[16384];
    size_t len;
};

static void put(struct script *s, const void *p, size_t n)
{
    if (n > sizeof s->buf - s->len) die("script too long");
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}

static void put_u8(struct script *s, uint8_t v) { put(s, &v, 1); }

static void put_msg(struct script *s, const struct cons_msg *m)
{
    uint8_t *bytes;
    size_t len;
    if (cons_msg_encode(m, &bytes, &len) != 0) die("cons_msg_encode failed");
    if (len > 0xffff) die("message too long for a script");
    put_u8(s, S_MESSAGE);
    put_u8(s, (uint8_t)(len & 0xff));
    put_u8(s, (uint8_t)(len >> 8));
    put(s, bytes, len);
    free(bytes);
}

/* The empty block of (height, round) by its proposer, as fx_empty_block. */
static void block_of(uint64_t height, uint32_t round, uint8_t **bytes, size_t *len,
                     uint8_t hash[WB_HASH_LEN])
{
    uint32_t proposer = cons_proposer(FX_VALIDATORS, height, round);
    fx_empty_block(&fixture, height, round, proposer, bytes, len, hash);
}

static void put_vote(struct script *s, uint32_t validator, uint8_t type, uint64_t height,
                     uint32_t round, const uint8_t *hash)
{
    struct cons_msg m;
    memset(&m, 0, sizeof m);
    m.kind = CONS_MSG_VOTE;
    struct cons_vote *v = &m.vote;
    v->type = type;
    v->height = height;
    v->round = round;
    v->nil = hash == NULL;
    if (hash) memcpy(v->hash, hash, WB_HASH_LEN);
    v->validator = validator;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_vote(msg, fixture.g->chain_id, type, height, round, hash);
    if (wb_sign(msg, len, fixture.val_sk[validator], v->signature) != 0) die("wb_sign failed");
    put_msg(s, &m);
}

/* The proposal of (height, round) by its proposer, of the block of
 * (height, block_round); *hash receives the block hash. */
static void put_proposal(struct script *s, uint64_t height, uint32_t round, int32_t valid_round,
                         uint32_t block_round, uint8_t hash[WB_HASH_LEN])
{
    uint8_t *bytes;
    size_t len;
    block_of(height, block_round, &bytes, &len, hash);
    struct cons_msg m;
    memset(&m, 0, sizeof m);
    m.kind = CONS_MSG_PROPOSAL;
    struct cons_proposal *p = &m.proposal;
    p->height = height;
    p->round = round;
    p->valid_round = valid_round;
    p->proposer = cons_proposer(FX_VALIDATORS, height, round);
    memcpy(p->hash, hash, WB_HASH_LEN);
    p->block = bytes;
    p->block_len = len;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t mlen = wb_sigmsg_proposal(msg, fixture.g->chain_id, height, round, valid_round, hash);
    if (wb_sign(msg, mlen, fixture.val_sk[p->proposer], p->signature) != 0)
        die("wb_sign failed");
    put_msg(s, &m);
    free(bytes);
}

static void put_validated(struct script *s)
{
    put_u8(s, S_VALIDATED);
    put_u8(s, 0); /* the newest request */
    put_u8(s, 0); /* valid */
}

static void put_timeout(struct script *s)
{
    put_u8(s, S_TIMEOUT);
    put_u8(s, 0); /* the newest timer */
}

/* Height h decided by validators `a` and `b` besides this node, in round r. */
static void put_height(struct script *s, uint64_t h, uint32_t r, uint32_t a, uint32_t b)
{
    uint8_t hash[WB_HASH_LEN];
    put_proposal(s, h, r, -1, r, hash);
    put_validated(s);
    put_vote(s, a, CONS_PREVOTE, h, r, hash);
    put_vote(s, b, CONS_PREVOTE, h, r, hash);
    put_vote(s, a, CONS_PRECOMMIT, h, r, hash);
    put_vote(s, b, CONS_PRECOMMIT, h, r, hash);
}

static void seeds_consensus(void)
{
    static struct script s;
    uint8_t hash[WB_HASH_LEN], *bytes;
    size_t len;

    /* Validator 0 decides heights 1 and 2 with validators 2 and 3. */
    s.len = 0;
    put_u8(&s, 0);
    put_height(&s, 1, 0, 2, 3);
    put_height(&s, 2, 0, 2, 3);
    put_u8(&s, S_OWN);
    write_seed("consensus", "decide-two-heights", s.buf, s.len);

    /* Validator 1 proposes height 1 (its own block) and decides it. */
    s.len = 0;
    put_u8(&s, 1);
    put_u8(&s, S_BLOCK_READY);
    block_of(1, 0, &bytes, &len, hash);
    free(bytes);
    put_vote(&s, 0, CONS_PREVOTE, 1, 0, hash);
    put_vote(&s, 2, CONS_PREVOTE, 1, 0, hash);
    put_vote(&s, 0, CONS_PRECOMMIT, 1, 0, hash);
    put_vote(&s, 2, CONS_PRECOMMIT, 1, 0, hash);
    put_u8(&s, S_OWN);
    write_seed("consensus", "propose-and-decide", s.buf, s.len);

    /* Quiet when idle: validator 1 waits at height 1 until work comes, then
     * proposes and decides; height 2 waits again and a stale WORK is void. */
    s.len = 0;
    put_u8(&s, 0x80 | 1);
    put_u8(&s, S_WORK);
    put_u8(&s, 3); /* for height 2: ignored */
    put_u8(&s, S_WORK);
    put_u8(&s, 0);
    put_u8(&s, S_BLOCK_READY);
    block_of(1, 0, &bytes, &len, hash);
    free(bytes);
    put_vote(&s, 0, CONS_PREVOTE, 1, 0, hash);
    put_vote(&s, 2, CONS_PREVOTE, 1, 0, hash);
    put_vote(&s, 0, CONS_PRECOMMIT, 1, 0, hash);
    put_vote(&s, 2, CONS_PRECOMMIT, 1, 0, hash);
    put_u8(&s, S_WORK);
    put_u8(&s, 3);
    put_u8(&s, S_OWN);
    write_seed("consensus", "idle-wait-then-work", s.buf, s.len);

    /* Round 0 times out (nil everywhere), round 1 decides. */
    s.len = 0;
    put_u8(&s, 0);
    put_timeout(&s);
    put_vote(&s, 1, CONS_PREVOTE, 1, 0, NULL);
    put_vote(&s, 2, CONS_PREVOTE, 1, 0, NULL);
    put_vote(&s, 1, CONS_PRECOMMIT, 1, 0, NULL);
    put_vote(&s, 2, CONS_PRECOMMIT, 1, 0, NULL);
    put_timeout(&s);
    put_height(&s, 1, 1, 2, 3);
    write_seed("consensus", "nil-round-then-decide", s.buf, s.len);

    /* Lock in round 0, no decision; round 1 re-proposes with valid round 0. */
    s.len = 0;
    put_u8(&s, 0);
    put_proposal(&s, 1, 0, -1, 0, hash);
    put_validated(&s);
    put_vote(&s, 1, CONS_PREVOTE, 1, 0, hash);
    put_vote(&s, 2, CONS_PREVOTE, 1, 0, hash);
    put_vote(&s, 1, CONS_PRECOMMIT, 1, 0, NULL);
    put_vote(&s, 2, CONS_PRECOMMIT, 1, 0, NULL);
    put_timeout(&s);
    put_proposal(&s, 1, 1, 0, 0, hash);
    put_vote(&s, 2, CONS_PREVOTE, 1, 1, hash);
    put_vote(&s, 3, CONS_PREVOTE, 1, 1, hash);
    put_vote(&s, 2, CONS_PRECOMMIT, 1, 1, hash);
    put_vote(&s, 3, CONS_PRECOMMIT, 1, 1, hash);
    put_u8(&s, S_OWN);
    write_seed("consensus", "lock-and-valid-round", s.buf, s.len);

    /* Validator 2 equivocates. */
    s.len = 0;
    put_u8(&s, 0);
    put_proposal(&s, 1, 0, -1, 0, hash);
    put_vote(&s, 2, CONS_PREVOTE, 1, 0, hash);
    put_vote(&s, 2, CONS_PREVOTE, 1, 0, NULL);
    put_validated(&s);
    write_seed("consensus", "equivocation", s.buf, s.len);

    /* f+1 validators at round 3: jump there. */
    s.len = 0;
    put_u8(&s, 0);
    put_vote(&s, 1, CONS_PREVOTE, 1, 3, NULL);
    put_vote(&s, 2, CONS_PRECOMMIT, 1, 3, NULL);
    put_timeout(&s);
    write_seed("consensus", "round-skip", s.buf, s.len);

    /* Messages of height 2 held, a sync hint, block sync, the replay. */
    s.len = 0;
    put_u8(&s, 3);
    put_vote(&s, 1, CONS_PREVOTE, 2, 0, NULL);
    put_vote(&s, 2, CONS_PREVOTE, 2, 0, NULL);
    put_proposal(&s, 2, 0, -1, 0, hash);
    put_u8(&s, S_SYNCED);
    put_u8(&s, 3); /* to the hint */
    put_validated(&s);
    put_u8(&s, S_CLOCK);
    put_u8(&s, 0x10);
    put_u8(&s, 0x27);
    put_u8(&s, S_OWN);
    write_seed("consensus", "held-and-synced", s.buf, s.len);

    /* An observer (not a validator) follows height 1. */
    s.len = 0;
    put_u8(&s, 4);
    put_proposal(&s, 1, 0, -1, 0, hash);
    put_validated(&s);
    put_vote(&s, 1, CONS_PREVOTE, 1, 0, hash);
    put_vote(&s, 2, CONS_PREVOTE, 1, 0, hash);
    put_vote(&s, 3, CONS_PREVOTE, 1, 0, hash);
    put_vote(&s, 1, CONS_PRECOMMIT, 1, 0, hash);
    put_vote(&s, 2, CONS_PRECOMMIT, 1, 0, hash);
    put_vote(&s, 3, CONS_PRECOMMIT, 1, 0, hash);
    write_seed("consensus", "observer", s.buf, s.len);
}

/* ---- canonical encodings of consensus messages ---------------------------------------- */

static void seeds_canon(void)
{
    uint8_t hash[WB_HASH_LEN];
    uint8_t *block;
    size_t block_len;
    block_of(1, 0, &block, &block_len, hash);
    struct cons_msg m;
    memset(&m, 0, sizeof m);
    m.kind = CONS_MSG_PROPOSAL;
    m.proposal.height = 1;
    m.proposal.valid_round = -1;
    m.proposal.proposer = cons_proposer(FX_VALIDATORS, 1, 0);
    memcpy(m.proposal.hash, hash, WB_HASH_LEN);
    m.proposal.block = block;
    m.proposal.block_len = block_len;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t mlen = wb_sigmsg_proposal(msg, fixture.g->chain_id, 1, 0, -1, hash);
    if (wb_sign(msg, mlen, fixture.val_sk[m.proposal.proposer], m.proposal.signature) != 0)
        die("wb_sign failed");
    Waybill__Proposal pp;
    cons_proposal_to_pb(&m.proposal, &pp);
    write_canon_pb(CANON_PROPOSAL, "proposal", &pp.base);
    uint8_t *bytes;
    size_t len;
    if (cons_msg_encode(&m, &bytes, &len) != 0) die("cons_msg_encode failed");
    write_canon(CANON_PEER_MESSAGE, "peer-proposal", bytes, len);
    free(bytes);
    free(block);

    memset(&m, 0, sizeof m);
    m.kind = CONS_MSG_VOTE;
    m.vote.type = CONS_PREVOTE;
    m.vote.height = 1;
    m.vote.nil = true;
    m.vote.validator = 2;
    mlen = wb_sigmsg_vote(msg, fixture.g->chain_id, CONS_PREVOTE, 1, 0, NULL);
    if (wb_sign(msg, mlen, fixture.val_sk[2], m.vote.signature) != 0) die("wb_sign failed");
    if (cons_msg_encode(&m, &bytes, &len) != 0) die("cons_msg_encode failed");
    write_canon(CANON_PEER_MESSAGE, "peer-nil-prevote", bytes, len);
    free(bytes);
}

/* ---- safety records ---------------------------------------------------------------- */

static void write_record(const char *name, const struct cons_safety *s)
{
    uint8_t buf[CONS_SAFETY_MAX];
    size_t len;
    if (cons_safety_encode(s, buf, sizeof buf, &len) != 0) die("cons_safety_encode failed");
    write_seed("safety", name, buf, len);
}

static void seeds_safety(void)
{
    struct cons_safety s;
    uint8_t *bytes;
    size_t len;
    uint8_t hash[WB_HASH_LEN];
    block_of(3, 2, &bytes, &len, hash);
    free(bytes);

    memset(&s, 0, sizeof s);
    s.locked_round = -1;
    s.valid_round = -1;
    write_record("empty", &s);

    /* Validator 2 prevoted for a block at (3, 2). */
    s.height = 3;
    s.round = 2;
    s.step = CONS_STEP_PREVOTE;
    s.signed_len = wb_sigmsg_vote(s.signed_msg, fixture.g->chain_id, CONS_PREVOTE, 3, 2, hash);
    if (wb_sign(s.signed_msg, s.signed_len, fixture.val_sk[2], s.signature) != 0)
        die("wb_sign failed");
    write_record("prevote", &s);

    /* ... and precommitted it, locked and valid at round 2. */
    s.step = CONS_STEP_PRECOMMIT;
    s.locked_round = 2;
    memcpy(s.locked_hash, hash, WB_HASH_LEN);
    s.valid_round = 2;
    memcpy(s.valid_hash, hash, WB_HASH_LEN);
    s.signed_len = wb_sigmsg_vote(s.signed_msg, fixture.g->chain_id, CONS_PRECOMMIT, 3, 2, hash);
    if (wb_sign(s.signed_msg, s.signed_len, fixture.val_sk[2], s.signature) != 0)
        die("wb_sign failed");
    write_record("precommit-locked", &s);

    /* Validator 1, the proposer of (1, 4), proposed with valid round 2. */
    memset(&s, 0, sizeof s);
    s.height = 1;
    s.round = 4;
    s.step = CONS_STEP_PROPOSE;
    s.locked_round = 2;
    memcpy(s.locked_hash, hash, WB_HASH_LEN);
    s.valid_round = 2;
    memcpy(s.valid_hash, hash, WB_HASH_LEN);
    s.signed_len = wb_sigmsg_proposal(s.signed_msg, fixture.g->chain_id, 1, 4, 2, hash);
    if (wb_sign(s.signed_msg, s.signed_len, fixture.val_sk[1], s.signature) != 0)
        die("wb_sign failed");
    write_record("proposal", &s);

    /* A nil precommit at (2, 0). */
    memset(&s, 0, sizeof s);
    s.height = 2;
    s.step = CONS_STEP_PRECOMMIT;
    s.locked_round = -1;
    s.valid_round = -1;
    s.signed_len = wb_sigmsg_vote(s.signed_msg, fixture.g->chain_id, CONS_PRECOMMIT, 2, 0, NULL);
    if (wb_sign(s.signed_msg, s.signed_len, fixture.val_sk[2], s.signature) != 0)
        die("wb_sign failed");
    write_record("precommit-nil", &s);
}

/* ---- genesis and node config --------------------------------------------------------- */

static void seeds_text(void)
{
    write_seed("genesis", "fixture", fixture.json, fixture.json_len);
    {
        char json2[sizeof fixture.json];
        size_t len2 = fx_genesis_json(&fixture, WB_BLOCK_VERSION_STATE, json2, sizeof json2);
        write_seed("genesis", "fixture-header-v2", json2, len2);
    }
    static const char small[] =
        "{\"chain_id\": \"c.1_x-y\", \"genesis_time\": \"2024-02-29T23:59:59.5Z\",\n"
        " \"members\": [{\"org\": \"a b\", \"role\": \"customs\", \"keys\": "
        "[\"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\"]}],\n"
        " \"validators\": [{\"name\": \"v\", \"org\": \"a b\", \"key\": "
        "\"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c\", "
        "\"p2p\": \"[::1]:1\"}]}\n";
    write_seed("genesis", "one-validator-ipv6", small, sizeof small - 1);

    static const char full[] =
        "# node0\n"
        "[node]\n"
        "name = node0\n"
        "data_dir = data/node0\n"
        "key_file = /etc/waybill/node0.key\n"
        "genesis = ../genesis.json\n"
        "log_level = debug\n"
        "\n"
        "[p2p]\n"
        "listen = 0.0.0.0:26600\n"
        "peers = node1.example:26600, 203.0.113.20:26600,\n"
        "    [2001:db8::33]:26600\n"
        "\n"
        "[api]\n"
        "listen = [::1]:26700\n"
        "\n"
        "[consensus]\n"
        "timeout_propose_ms = 3000\n"
        "timeout_propose_delta_ms = 500\n"
        "timeout_prevote_ms = 1000\n"
        "timeout_prevote_delta_ms = 0\n"
        "timeout_precommit_ms = 1000\n"
        "timeout_precommit_delta_ms = 500\n"
        "block_time_drift_ms = 5000\n"
        "\n"
        "[limits]\n"
        "block_events_max = 4096\n"
        "block_bytes_max = 4194304\n"
        "mempool_events_max = 65536\n"
        "mempool_bytes_max = 67108864\n"
        "frame_bytes_max = 8388608\n"
        "api_clients_max = 64\n"
        "\n"
        "[storage]\n"
        "sync = false\n";
    write_seed("node_config", "full", full, sizeof full - 1);
    static const char minimal[] = "[node]\r\nname=n\r\ndata_dir=d\r\nkey_file=k\r\n"
                                  "genesis=g.json\r\n[p2p]\r\nlisten=127.0.0.1:7000\r\n";
    write_seed("node_config", "minimal-crlf", minimal, sizeof minimal - 1);

    static const char *const addrs[] = {
        "127.0.0.1:26600", "[::1]:26700", "localhost:1", "node-1.example.org.:65535",
        "[2001:db8::33]:26600", "node_1:27101", "0x7f.1:80", "[::ffff:1.2.3.4]:0",
    };
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "addr-%zu", i);
        write_seed("addr", name, addrs[i], strlen(addrs[i]));
    }
}

/* ---- item-state leaves and tree scripts ------------------------------------------ */

static void seeds_state_tree(void)
{
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    snprintf(st.item, sizeof st.item, "%s", ITEM);
    memset(st.head, 0x5a, sizeof st.head);
    snprintf(st.custodian, sizeof st.custodian, "acme-shipping");
    st.status = LEDGER_ITEM_ACTIVE;
    st.customs = LEDGER_CUSTOMS_CLEARED;
    st.movement = LEDGER_MOVE_LOADED;
    st.count = 6;
    st.first_height = 1;
    st.last_height = 2;
    struct ledger_item_leaf leaf;
    ledger_item_leaf_from_state(&st, 0, &leaf);
    uint8_t buf[1 + LEDGER_ITEM_LEAF_LEN];
    buf[0] = 0;
    ledger_item_leaf_encode(&leaf, buf + 1);
    write_seed("state_tree", "leaf", buf, sizeof buf);
    /* Three appends, then an update of leaf 1 and an append, then a
     * refused batch (an index repeated). */
    static const uint8_t script[] = {1, 3, 0, 10, 0, 11, 0, 12, 2, 1, 20, 1, 21,
                                     2, 0, 30, 255, 31};
    write_seed("state_tree", "script", script, sizeof script);
}

/* ---- governance -------------------------------------------------------------- */

/* A seed of the gov target: the selector byte (action, submitter) and
 * "key=value" lines (tests/fuzz/gov.c). */
static void write_gov(const char *name, int action, int org, const char *lines)
{
    char buf[2048];
    size_t n = strlen(lines);
    if (n + 1 > sizeof buf) die("gov seed too long");
    buf[0] = (char)((action & 3) | (org & 3) << 2);
    memcpy(buf + 1, lines, n);
    write_seed("gov", name, buf, n + 1);
}

static void seeds_gov(void)
{
    char k1[65], k2[65], id[65], lines[1024];
    uint8_t pk[WB_PUBKEY_LEN], sk[WB_SECKEY_LEN], hash[WB_HASH_LEN];
    fx_keypair('g', 1, pk, sk);
    wb_hex_encode(pk, WB_PUBKEY_LEN, k1, sizeof k1);
    fx_keypair('g', 2, pk, sk);
    wb_hex_encode(pk, WB_PUBKEY_LEN, k2, sizeof k2);
    ledger_sha256((const uint8_t *)"gov-fuzz", 8, hash);
    wb_hex_encode(hash, WB_HASH_LEN, id, sizeof id);
    char acme[65];
    wb_hex_encode(fixture.client_pk[0], WB_PUBKEY_LEN, acme, sizeof acme);

    snprintf(lines, sizeof lines, "key=%s", k1);
    write_gov("key-add", 0, 0, lines);
    snprintf(lines, sizeof lines, "key=%s\nreason=retired", acme);
    write_gov("key-revoke-retired", 1, 0, lines);
    snprintf(lines, sizeof lines, "key=%s\nreason=compromised\nsince=2026-11-21T23:00:00.25Z",
             acme);
    write_gov("key-revoke-compromised", 1, 0, lines);
    snprintf(lines, sizeof lines,
             "kind=add_member\norg=New Co\nrole=carrier\nkey1=%s\nkey2=%s\nnote=welcome", k1,
             k2);
    write_gov("propose-add-member", 2, 1, lines);
    write_gov("propose-remove-member", 2, 1, "kind=remove_member\norg=audit");
    snprintf(lines, sizeof lines,
             "kind=add_validator\nname=node9\norg=customs\nkey=%s\np2p=node9.example:7009\n"
             "api=[::1]:7109",
             k1);
    write_gov("propose-add-validator", 2, 2, lines);
    write_gov("propose-remove-validator", 2, 3, "kind=remove_validator\nname=node2");
    write_gov("propose-set-param", 2, 0,
              "kind=set_param\nparam=block_events_max\nvalue=500");
    write_gov("propose-set-ttl", 2, 0, "kind=set_param\nparam=proposal_ttl_ms\nvalue=86400000");
    snprintf(lines, sizeof lines, "proposal=%s", id);
    write_gov("approve", 3, 1, lines);
    write_gov("approve-twice", 3, 0, lines);
}

/* ---- device reports and route plans ------------------------------------------------ */

/* A seed of the device_report target: the report as encode writes it. */
static void write_report(const char *name, struct ledger_device_report *r)
{
    uint8_t buf[WB_DEVICE_REPORT_MAX];
    size_t len = 0;
    char msg[256] = "";
    if (ledger_device_report_encode(r, buf, sizeof buf, &len, msg, sizeof msg) != 0) die(msg);
    write_seed("device_report", name, buf, len);
}

/* A report of `kind` about ITEM with n observations a minute apart, their
 * fields left to the caller. */
static void report_init(struct ledger_device_report *r, enum ledger_action kind, size_t n)
{
    uint8_t sk[WB_SECKEY_LEN];
    memset(r, 0, sizeof *r);
    fx_keypair('d', 0, r->device, sk);
    snprintf(r->item, sizeof r->item, "%s", ITEM);
    r->kind = kind;
    r->seq = 1;
    r->obs_count = n;
    for (size_t i = 0; i < n; i++) r->obs[i].time_ms = FX_GENESIS_MS + 60000 * (int64_t)i;
}

static void seeds_device_report(void)
{
    static struct ledger_device_report r;
    /* every seal state, armed and tampered with their seal number */
    report_init(&r, LEDGER_SEAL_STATUS, 4);
    static const enum ledger_seal_state states[] = {LEDGER_SEAL_ARMED, LEDGER_SEAL_INTACT,
                                                    LEDGER_SEAL_OPENED, LEDGER_SEAL_TAMPERED};
    for (size_t i = 0; i < 4; i++) {
        r.obs[i].seal_state = states[i];
        if (i == 0 || i == 3) snprintf(r.obs[i].seal, sizeof r.obs[i].seal, "SL-000123");
    }
    write_report("seal-status", &r);
    /* position fixes: one with a locode, the corners of the range */
    report_init(&r, LEDGER_POSITION, 3);
    r.seq = 2;
    r.obs[0].lat_e6 = 51916667;
    r.obs[0].lon_e6 = 4500000;
    r.obs[0].accuracy_m = 20;
    snprintf(r.obs[0].locode, sizeof r.obs[0].locode, "NLRTM");
    r.obs[1].lat_e6 = 90000000;
    r.obs[1].lon_e6 = -180000000;
    r.obs[1].accuracy_m = 1000000;
    r.obs[2].lat_e6 = -90000000;
    r.obs[2].lon_e6 = 180000000;
    write_report("position", &r);
    /* readings of every measure, negative and zero values */
    report_init(&r, LEDGER_READING, 4);
    r.seq = 3;
    for (size_t i = 0; i < 4; i++) {
        r.obs[i].measure = (enum ledger_measure)(LEDGER_MEASURE_TEMPERATURE + i);
        r.obs[i].value_milli = (int64_t)i * 1500 - 2000;
    }
    write_report("readings", &r);
    /* the most observations a report holds, some at the same time */
    report_init(&r, LEDGER_READING, WB_DEVICE_OBS_MAX);
    snprintf(r.item, sizeof r.item, "%s", ITEM2);
    r.seq = UINT64_MAX;
    for (size_t i = 0; i < WB_DEVICE_OBS_MAX; i++) {
        r.obs[i].time_ms = FX_GENESIS_MS + 1000 * (int64_t)(i / 2);
        r.obs[i].measure = LEDGER_MEASURE_TEMPERATURE;
        r.obs[i].value_milli = 4000 + (int64_t)i;
    }
    write_report("readings-max", &r);
}

/* A seed of the plan target: the selector byte (bit 0: a location) and
 * "key=value" lines (tests/fuzz/plan.c). */
static void write_plan(const char *name, int location, const char *lines)
{
    char buf[2048];
    size_t n = strlen(lines);
    if (n + 1 > sizeof buf) die("plan seed too long");
    buf[0] = (char)(location & 1);
    memcpy(buf + 1, lines, n);
    write_seed("plan", name, buf, n + 1);
}

static void seeds_plan(void)
{
    static const char two[] = "corridor_km=50\n"
                              "stop1=CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea\n"
                              "stop2=NLRTM 2026-04-01T00:00:00Z 2026-04-02T00:00:00.5Z -";
    write_plan("two-stops", 0, two);
    write_plan("with-location", 1, two);
    write_plan("every-mode", 0,
               "stop3=DEDUI 2026-04-10T00:00:00Z 2026-04-10T12:00:00Z rail\n"
               "corridor_km=2000\n"
               "stop1=CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea\n"
               "stop2=NLRTM 2026-04-01T00:00:00Z 2026-04-02T00:00:00Z inland_water\n"
               "stop4=PLWAW 2026-04-12T00:00:00Z 2026-04-12T00:00:00Z road\n"
               "stop5=PLWRO 2026-04-12T00:00:00Z 2026-04-13T00:00:00Z air\n"
               "stop6=USNYC 2026-04-14T00:00:00.001Z 2026-04-14T00:00:00.999Z -");
    char lines[2048];
    size_t n = (size_t)snprintf(lines, sizeof lines, "corridor_km=1");
    for (int i = 1; i <= WB_PLAN_STOPS_MAX; i++)
        n += (size_t)snprintf(lines + n, sizeof lines - n,
                              "\nstop%d=SGSIN 2026-03-%02dT00:00:00Z 2026-03-%02dT23:59:59Z %s", i,
                              i, i, i == WB_PLAN_STOPS_MAX ? "-" : "road");
    write_plan("most-stops", 0, lines);
    /* refused: a gap in the numbering, a window backwards */
    write_plan("gap", 0,
               "corridor_km=50\n"
               "stop1=CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea\n"
               "stop3=NLRTM 2026-04-01T00:00:00Z 2026-04-02T00:00:00Z -");
    write_plan("window-backwards", 0,
               "corridor_km=50\n"
               "stop1=CNSHA 2026-03-02T00:00:00Z 2026-03-01T00:00:00Z sea\n"
               "stop2=NLRTM 2026-04-01T00:00:00Z 2026-04-02T00:00:00Z -");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus OUT_DIR   (e.g. tests/fuzz/corpus)\n");
        return 2;
    }
    out_dir = argv[1];
    make_dir(out_dir);
    fx_init(&fixture);
    make_history();
    seeds_event();
    seeds_block();
    seeds_cert();
    seeds_bundle();
    seeds_consensus();
    seeds_safety();
    seeds_canon();
    seeds_state_tree();
    seeds_text();
    seeds_gov();
    seeds_device_report();
    seeds_plan();
    printf("make_corpus: wrote %zu seed files under %s\n", files_written, out_dir);
    fx_free(&fixture);
    return 0;
}
