/* Unit tests of the device evidence `waybill verify` and `waybill history`
 * show: a real certified chain whose governance chain registers acme's
 * e-seal, and an item journey with the e-seal armed at stuffing, intact en
 * route and opened after the unload. Its proof bundle (with the governance
 * section) verifies offline with one TAMPER finding naming oceanic (the
 * custodian then) and acme (the device's owner), exit 0; with an unseal the
 * findings are none; history over a fake node shows the same (and owners
 * unknown when the node does not serve its governance chain); a tracker's
 * readings and position and a route plan are summarised and listed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "cli/print.h"
#include "ledger/device.h"
#include "ledger/gov.h"
#include "tests/unit/cli_support.h"

#define NODE_ADDR "127.0.0.1:26702"
#define SEAL_NO "CSQU3054383-S1"
#define CX_EVENTS_MAX 24
#define CX_BLOCKS_MAX 12
#define CX_BLOCK_EVENTS_MAX 6
#define MIN_MS INT64_C(60000)

/* One event on the chain, of the item or of the governance chain. */
struct cx_event {
    struct tb_event te;
    bool gov;
};

struct cx {
    struct tnet t;
    uint8_t dev_pk[WB_PUBKEY_LEN], dev_sk[WB_SECKEY_LEN];   /* the e-seal */
    uint8_t trk_pk[WB_PUBKEY_LEN], trk_sk[WB_SECKEY_LEN];   /* a tracker */
    size_t n_events;
    struct cx_event events[CX_EVENTS_MAX];
    size_t n_blocks;
    struct tb_block blocks[CX_BLOCKS_MAX];
    struct ledger_item_state state;       /* the item after its events */
    uint64_t nonce, seq, trk_seq;
    int64_t clock;
    uint64_t height;                      /* the block events go to now */
    char bundle_path[TN_PATH];
    uint8_t *gov_bundle;                  /* the governance chain's bundle */
    size_t gov_len;
    /* the fake node */
    struct fake_node fn;
    struct client_connector conn;
    struct cap cap;
    Waybill__ItemState *state_pb;
    Waybill__History history;
    Waybill__HistoryEntry entries[CX_EVENTS_MAX], *entry_ptrs[CX_EVENTS_MAX];
    Waybill__ProofBundle *proof;
};

static const uint8_t *cx_head(const struct cx *c, bool gov)
{
    for (size_t i = c->n_events; i > 0; i--)
        if (c->events[i - 1].gov == gov) return c->events[i - 1].te.id;
    return NULL;
}

/* Signs ev as org (prev: the head of its chain, time: the clock) into
 * block c->height; the clock moves on 10 minutes. */
static void cx_add(struct cx *c, int org, struct ledger_event *ev)
{
    bool gov = strcmp(ev->item, WB_GOV_CHAIN) == 0;
    const uint8_t *prev = cx_head(c, gov);
    ev->has_prev = prev != NULL;
    if (prev) memcpy(ev->prev, prev, WB_HASH_LEN);
    ev->time_ms = c->clock;
    memcpy(ev->submitter, c->t.org_pk[org], WB_PUBKEY_LEN);
    ev->nonce = ++c->nonce;
    assert_true(c->n_events < CX_EVENTS_MAX);
    struct cx_event *x = &c->events[c->n_events++];
    x->gov = gov;
    int rc = ledger_event_sign(c->t.g->chain_id, ev, c->t.org_sk[org], x->te.bytes,
                               sizeof x->te.bytes, &x->te.len);
    if (rc) fail_msg("ledger_event_sign: %s", wb_strerror(rc));
    memcpy(x->te.id, ev->id, WB_HASH_LEN);
    x->te.height = c->height;
    x->te.ev = *ev;
    if (!gov) ledger_rules_apply(&c->state, ev, c->t.g, c->height);
    c->clock += 10 * MIN_MS;
}

static void cx_step(struct cx *c, int org, enum ledger_action a, const char *loc, const char *k,
                    const char *v, const char *to)
{
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "%s", TN_ITEM);
    ev.action = a;
    if (loc) snprintf(ev.location, sizeof ev.location, "%s", loc);
    if (k) {
        snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "%s", k);
        snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "%s", v);
        ev.attr_count = 1;
    }
    if (to) snprintf(ev.to_org, sizeof ev.to_org, "%s", to);
    cx_add(c, org, &ev);
}

/* Report r (its observations set), signed by the device sk, carried by
 * the gateway of `org`. */
static void cx_report(struct cx *c, int org, struct ledger_device_report *r,
                      const uint8_t pk[WB_PUBKEY_LEN], const uint8_t sk[WB_SECKEY_LEN])
{
    memcpy(r->device, pk, WB_PUBKEY_LEN);
    snprintf(r->item, sizeof r->item, "%s", TN_ITEM);
    uint8_t bytes[WB_DEVICE_REPORT_MAX], sig[WB_SIG_LEN];
    size_t len = 0;
    char msg[256] = "";
    if (ledger_device_report_encode(r, bytes, sizeof bytes, &len, msg, sizeof msg))
        fail_msg("report encode: %s", msg);
    assert_int_equal(ledger_device_report_sign(c->t.g->chain_id, bytes, len, sk, sig), WB_OK);
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    assert_int_equal(ledger_device_report_wrap(&ev, r, bytes, len, sig), WB_OK);
    cx_add(c, org, &ev);
}

/* A seal report of the e-seal, observed a minute before the gateway of
 * `org` carries it. */
static void cx_seal(struct cx *c, int org, enum ledger_seal_state s)
{
    struct ledger_device_report *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->kind = LEDGER_SEAL_STATUS;
    r->seq = ++c->seq;
    r->obs_count = 1;
    r->obs[0].time_ms = c->clock - MIN_MS;
    r->obs[0].seal_state = s;
    if (s == LEDGER_SEAL_ARMED) snprintf(r->obs[0].seal, sizeof r->obs[0].seal, SEAL_NO);
    cx_report(c, org, r, c->dev_pk, c->dev_sk);
    free(r);
}

/* Three temperature readings of the tracker, 2 minutes apart, and a
 * position, carried by the gateway of `org`. */
static void cx_tracker(struct cx *c, int org)
{
    struct ledger_device_report *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->kind = LEDGER_READING;
    r->seq = ++c->trk_seq;
    r->obs_count = 3;
    static const int64_t values[3] = {4500, 3250, 5125};
    for (size_t k = 0; k < 3; k++) {
        r->obs[k].time_ms = c->clock - (int64_t)(6 - 2 * k) * MIN_MS;
        r->obs[k].measure = LEDGER_MEASURE_TEMPERATURE;
        r->obs[k].value_milli = values[k];
    }
    cx_report(c, org, r, c->trk_pk, c->trk_sk);
    memset(r, 0, sizeof *r);
    r->kind = LEDGER_POSITION;
    r->seq = ++c->trk_seq;
    r->obs_count = 1;
    r->obs[0].time_ms = c->clock - MIN_MS;
    r->obs[0].lat_e6 = 51916667;
    r->obs[0].lon_e6 = 4500000;
    r->obs[0].accuracy_m = 20;
    snprintf(r->obs[0].locode, sizeof r->obs[0].locode, "NLRTM");
    cx_report(c, org, r, c->trk_pk, c->trk_sk);
    free(r);
}

/* Registers device pk as acme's (a governance event in the open block). */
static void cx_register(struct cx *c, const uint8_t pk[WB_PUBKEY_LEN], enum ledger_device_kind k,
                        const char *serial, const char *seal)
{
    struct ledger_gov_action ga;
    memset(&ga, 0, sizeof ga);
    ga.action = LEDGER_DEVICE_REGISTER;
    memcpy(ga.key, pk, WB_PUBKEY_LEN);
    ga.device_kind = k;
    snprintf(ga.serial, sizeof ga.serial, "%s", serial);
    snprintf(ga.seal, sizeof ga.seal, "%s", seal ? seal : "");
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    char msg[256] = "";
    if (ledger_gov_action_encode(&ga, &ev, msg, sizeof msg)) fail_msg("gov encode: %s", msg);
    cx_add(c, TN_ACME, &ev);
}

/* Closes block c->height: its header, certificate (validators 0 to 2) and
 * its events' audit paths; the next events go to the next block. */
static void cx_block(struct cx *c)
{
    const uint8_t *evs[CX_BLOCK_EVENTS_MAX];
    size_t lens[CX_BLOCK_EVENTS_MAX], idx[CX_BLOCK_EVENTS_MAX], n = 0;
    for (size_t i = 0; i < c->n_events; i++) {
        struct tb_event *te = &c->events[i].te;
        if (te->height != c->height) continue;
        assert_true(n < CX_BLOCK_EVENTS_MAX);
        te->index = (uint32_t)n;
        evs[n] = te->bytes;
        lens[n] = te->len;
        idx[n++] = i;
    }
    assert_true(n > 0 && c->n_blocks < CX_BLOCKS_MAX);
    struct tb_block *blk = &c->blocks[c->n_blocks];
    struct ledger_block_header hd;
    memset(&hd, 0, sizeof hd);
    hd.version = WB_BLOCK_VERSION;
    memcpy(hd.chain_id, c->t.g->chain_id, WB_CHAIN_ID_LEN);
    hd.height = c->height;
    hd.time_ms = c->clock; /* after every event of the block */
    if (c->n_blocks) memcpy(hd.prev_hash, c->blocks[c->n_blocks - 1].hash, WB_HASH_LEN);
    hd.proposer = (uint32_t)(c->height % TN_VALIDATORS);
    blk->height = c->height;
    assert_int_equal(ledger_block_build(&hd, evs, lens, n, &blk->bytes, &blk->len, blk->hash),
                     WB_OK);
    assert_int_equal(ledger_header_encode(&hd, blk->header, sizeof blk->header, &blk->header_len),
                     WB_OK);
    blk->n_votes = 3;
    for (uint32_t v = 0; v < 3; v++)
        assert_int_equal(tb_vote(&c->t, blk, v, v, c->t.val_sk[v]), WB_OK);
    uint8_t leaves[CX_BLOCK_EVENTS_MAX][MERKLE_HASH_LEN];
    for (size_t i = 0; i < n; i++) merkle_leaf_hash(evs[i], lens[i], leaves[i]);
    for (size_t i = 0; i < n; i++) {
        struct tb_event *te = &c->events[idx[i]].te;
        assert_int_equal(merkle_audit_path((const uint8_t(*)[MERKLE_HASH_LEN])leaves, n, te->index,
                                           te->path, &te->path_len),
                         WB_OK);
    }
    c->n_blocks++;
    c->height++;
    c->clock += MIN_MS;
}

/* The bundle of the governance chain (gov) or of the item, with the
 * blocks its events are in; the item's with the governance section. */
static uint8_t *cx_pack(const struct cx *c, bool gov, size_t *len)
{
    Waybill__ProofEvent pe[CX_EVENTS_MAX], *pe_ptrs[CX_EVENTS_MAX];
    ProtobufCBinaryData paths[CX_EVENTS_MAX][MERKLE_PATH_MAX];
    Waybill__ProofBlock pb[CX_BLOCKS_MAX], *pb_ptrs[CX_BLOCKS_MAX];
    Waybill__CommitCert certs[CX_BLOCKS_MAX];
    Waybill__Vote votes[CX_BLOCKS_MAX][TN_VALIDATORS], *vptrs[CX_BLOCKS_MAX][TN_VALIDATORS];
    bool used[CX_BLOCKS_MAX] = {false};
    size_t ne = 0, nb = 0;
    for (size_t i = 0; i < c->n_events; i++) {
        const struct cx_event *x = &c->events[i];
        if (x->gov != gov) continue;
        waybill__proof_event__init(&pe[ne]);
        pe[ne].signed_event.data = (uint8_t *)x->te.bytes;
        pe[ne].signed_event.len = x->te.len;
        pe[ne].height = x->te.height;
        pe[ne].index = x->te.index;
        for (size_t k = 0; k < x->te.path_len; k++) {
            paths[ne][k].data = (uint8_t *)x->te.path[k];
            paths[ne][k].len = MERKLE_HASH_LEN;
        }
        pe[ne].n_audit_path = x->te.path_len;
        pe[ne].audit_path = paths[ne];
        pe_ptrs[ne] = &pe[ne];
        ne++;
        used[x->te.height - 1] = true;
    }
    for (size_t j = 0; j < c->n_blocks; j++) {
        if (!used[j]) continue;
        waybill__proof_block__init(&pb[nb]);
        pb[nb].height = c->blocks[j].height;
        pb[nb].header.data = (uint8_t *)c->blocks[j].header;
        pb[nb].header.len = c->blocks[j].header_len;
        tb_cert(&c->blocks[j], &certs[nb], votes[nb], vptrs[nb]);
        pb[nb].cert = &certs[nb];
        pb_ptrs[nb] = &pb[nb];
        nb++;
    }
    Waybill__ProofBundle b = WAYBILL__PROOF_BUNDLE__INIT;
    b.item = (char *)(gov ? WB_GOV_CHAIN : TN_ITEM);
    b.n_events = ne;
    b.events = pe_ptrs;
    b.n_blocks = nb;
    b.blocks = pb_ptrs;
    Waybill__ProofBundle *section = NULL;
    if (!gov) {
        section = waybill__proof_bundle__unpack(NULL, c->gov_len, c->gov_bundle);
        assert_non_null(section);
        b.governance = section;
    }
    *len = waybill__proof_bundle__get_packed_size(&b);
    uint8_t *out = malloc(*len);
    assert_non_null(out);
    waybill__proof_bundle__pack(&b, out);
    if (section) waybill__proof_bundle__free_unpacked(section, NULL);
    return out;
}

/* Block 1: acme registers the e-seal (and with `extras` a tracker).
 * Blocks 2 on: commission, attach, (with extras: the tracker attached and
 * a plan set), armed at stuffing, sealed, handed to oceanic, loaded,
 * departed, (readings and a position), intact, arrived, intact, unloaded,
 * (unsealed when `unseal`), then opened. */
static void cx_journey_with(struct cx *c, bool unseal, bool extras)
{
    cx_register(c, c->dev_pk, LEDGER_DEVICE_ESEAL, "ES-1", SEAL_NO);
    if (extras) cx_register(c, c->trk_pk, LEDGER_DEVICE_TRACKER, "TR-1", NULL);
    cx_block(c);

    char key[2 * WB_PUBKEY_LEN + 1];
    cx_step(c, TN_ACME, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL);
    cx_step(c, TN_ACME, LEDGER_DEVICE_ATTACH, NULL, "device",
            wb_hex_encode(c->dev_pk, WB_PUBKEY_LEN, key, sizeof key), NULL);
    if (extras) {
        cx_step(c, TN_ACME, LEDGER_DEVICE_ATTACH, NULL, "device",
                wb_hex_encode(c->trk_pk, WB_PUBKEY_LEN, key, sizeof key), NULL);
        struct ledger_event ev;
        memset(&ev, 0, sizeof ev);
        snprintf(ev.item, sizeof ev.item, "%s", TN_ITEM);
        ev.action = LEDGER_PLAN_SET;
        static const char *const attrs[3][2] = {
            {"corridor_km", "250"},
            {"stop1", "NLRTM 2026-09-21T00:00:00Z 2026-09-22T00:00:00Z sea"},
            {"stop2", "SGSIN 2026-10-20T00:00:00Z 2026-10-22T00:00:00Z -"}};
        for (size_t i = 0; i < 3; i++) {
            snprintf(ev.attrs[i].key, sizeof ev.attrs[i].key, "%s", attrs[i][0]);
            snprintf(ev.attrs[i].value, sizeof ev.attrs[i].value, "%s", attrs[i][1]);
        }
        ev.attr_count = 3;
        cx_add(c, TN_ACME, &ev);
    }
    cx_block(c);
    cx_seal(c, TN_ACME, LEDGER_SEAL_ARMED);
    cx_step(c, TN_ACME, LEDGER_SEAL, NULL, "seal", SEAL_NO, NULL);
    cx_step(c, TN_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic");
    cx_block(c);
    cx_step(c, TN_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL);
    cx_step(c, TN_OCEANIC, LEDGER_LOAD, "NLRTM", NULL, NULL, NULL);
    cx_step(c, TN_OCEANIC, LEDGER_DEPART, "NLRTM", NULL, NULL, NULL);
    cx_block(c);
    if (extras) {
        cx_tracker(c, TN_OCEANIC);
        cx_block(c);
    }
    cx_seal(c, TN_OCEANIC, LEDGER_SEAL_INTACT);
    cx_step(c, TN_OCEANIC, LEDGER_ARRIVE, "SGSIN", NULL, NULL, NULL);
    cx_seal(c, TN_OCEANIC, LEDGER_SEAL_INTACT);
    cx_block(c);
    cx_step(c, TN_OCEANIC, LEDGER_UNLOAD, "SGSIN", NULL, NULL, NULL);
    if (unseal) cx_step(c, TN_OCEANIC, LEDGER_UNSEAL, NULL, "seal", SEAL_NO, NULL);
    cx_seal(c, TN_OCEANIC, LEDGER_SEAL_OPENED);
    cx_block(c);
    c->gov_bundle = cx_pack(c, true, &c->gov_len);
    size_t len;
    uint8_t *item = cx_pack(c, false, &len);
    assert_int_equal(wb_write_file(c->bundle_path, item, len, 0644), WB_OK);
    free(item);
}

static void cx_journey(struct cx *c, bool unseal) { cx_journey_with(c, unseal, false); }

/* ---- the fake node ------------------------------------------------------------------- */

static int cx_answer(struct fake_node *fn, const Waybill__ClientRequest *req,
                     Waybill__ClientResponse *resp)
{
    struct cx *c = fn->ctx;
    if (req->req_case == WAYBILL__CLIENT_REQUEST__REQ_PROOF &&
        strcmp(req->proof->item, WB_GOV_CHAIN) == 0) {
        if (c->proof) waybill__proof_bundle__free_unpacked(c->proof, NULL);
        c->proof = waybill__proof_bundle__unpack(NULL, c->gov_len, c->gov_bundle);
        resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_PROOF;
        resp->proof = c->proof;
        return WB_OK;
    }
    if (req->req_case != WAYBILL__CLIENT_REQUEST__REQ_HISTORY) return WB_ERR_CLOSED;
    uint8_t buf[2048];
    size_t len;
    if (ledger_item_state_encode(&c->state, buf, sizeof buf, &len) != WB_OK) return WB_ERR_IO;
    if (c->state_pb) waybill__item_state__free_unpacked(c->state_pb, NULL);
    c->state_pb = waybill__item_state__unpack(NULL, len, buf);
    waybill__history__init(&c->history);
    c->history.state = c->state_pb;
    size_t n = 0;
    for (size_t i = 0; i < c->n_events; i++) {
        const struct cx_event *x = &c->events[i];
        if (x->gov) continue;
        waybill__history_entry__init(&c->entries[n]);
        c->entries[n].signed_event.data = (uint8_t *)x->te.bytes;
        c->entries[n].signed_event.len = x->te.len;
        c->entries[n].height = x->te.height;
        c->entries[n].index = x->te.index;
        c->entry_ptrs[n] = &c->entries[n];
        n++;
    }
    c->history.n_events = n;
    c->history.events = c->entry_ptrs;
    resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_HISTORY;
    resp->history = &c->history;
    return WB_OK;
}

static int cx_setup(void **state)
{
    unsetenv(CLIENT_ENV_NODE);
    unsetenv(CLIENT_ENV_KEY);
    unsetenv(CLIENT_ENV_GENESIS);
    struct cx *c = calloc(1, sizeof *c);
    if (!c || tn_init(&c->t) != 0) return -1;
    uint8_t seed[32] = {0x5e, 0xa1};
    if (crypto_sign_seed_keypair(c->dev_pk, c->dev_sk, seed) != 0) return -1;
    seed[1] = 0xa2;
    if (crypto_sign_seed_keypair(c->trk_pk, c->trk_sk, seed) != 0) return -1;
    c->clock = TN_GENESIS_TIME_MS + 3600000;
    c->height = 1;
    snprintf(c->bundle_path, sizeof c->bundle_path, "%s/item.bundle", c->t.dir);
    c->conn.connect = fake_connect;
    c->conn.ctx = &c->fn;
    *state = c;
    return 0;
}

static int cx_teardown(void **state)
{
    struct cx *c = *state;
    fake_reset(&c->fn);
    if (c->state_pb) waybill__item_state__free_unpacked(c->state_pb, NULL);
    if (c->proof) waybill__proof_bundle__free_unpacked(c->proof, NULL);
    for (size_t i = 0; i < c->n_blocks; i++) free(c->blocks[i].bytes);
    free(c->gov_bundle);
    tn_free(&c->t);
    free(c);
    return 0;
}

static void expect_in(const char *what, const char *text, const char *want)
{
    if (!strstr(text, want)) fail_msg("%s lacks \"%s\"; it was:\n%s", what, want, text);
}

static void expect_exit(struct cx *c, int rc, int want)
{
    if (rc != want)
        fail_msg("expected exit %d, got %d; stdout:\n%s\nstderr:\n%s", want, rc, c->cap.out,
                 c->cap.err);
}

static int run_verify(struct cx *c, const char *extra)
{
    const char *argv[] = {"verify", "--bundle", c->bundle_path, "--genesis", c->t.genesis_path,
                          extra, NULL};
    return cap_run(&c->cap, cmd_verify_via, NULL, argv);
}

static int run_history(struct cx *c, const char *extra)
{
    const char *argv[] = {"history", TN_ITEM, "--node", NODE_ADDR, "--key",
                          c->t.key_path[TN_CUSTOMS], extra, NULL};
    fake_reset(&c->fn);
    c->fn.answer = cx_answer;
    c->fn.ctx = c;
    return cap_run(&c->cap, cmd_history_via, &c->conn, argv);
}

static json_t *parse_json(struct cx *c)
{
    json_error_t jerr;
    json_t *root = json_loads(c->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, c->cap.out);
    return root;
}

/* The opened seal's observation time: the last report's, a minute before
 * it was carried. */
static int64_t cx_opened_at(const struct cx *c)
{
    return c->events[c->n_events - 1].te.ev.time_ms - MIN_MS;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void verify_shows_the_tamper(void **state)
{
    struct cx *c = *state;
    cx_journey(c, false);
    expect_exit(c, run_verify(c, NULL), CLI_EXIT_OK);
    const char *out = c->cap.out;
    char when[PRINT_TIME_MAX], want[256];
    snprintf(want, sizeof want,
             "TAMPER: seal " SEAL_NO " reported opened at %s while in the custody of 'oceanic' "
             "with no unseal between its arming at ",
             print_time(cx_opened_at(c), when));
    expect_in("stdout", out, "Evidence: 4 device reports (4 observations) from 1 device\n");
    expect_in("stdout", out, "Seal observations:\n");
    expect_in("stdout", out, "Plan: none recorded\n");
    expect_in("stdout", out, "Findings: 1\n");
    expect_in("stdout", out, want);
    expect_in("stdout", out, "device ES-1 (eseal) owned by 'acme' (report #12, ");
    expect_in("stdout", out, "governance: 1 events from genesis");
    expect_in("stdout", out, "VERIFIED: 13 events, 5 blocks, custodian oceanic");
    /* The seal observations, each with the custodian at its time. */
    expect_in("stdout", out, SEAL_NO "  armed   acme       acme");
    expect_in("stdout", out, "opened  oceanic    acme");

    expect_exit(c, run_verify(c, "--json"), CLI_EXIT_OK);
    json_t *root = parse_json(c);
    assert_true(json_is_true(json_object_get(root, "verified")));
    json_t *ev = json_object_get(root, "evidence");
    assert_int_equal(json_array_size(json_object_get(ev, "reports")), 4);
    assert_int_equal(json_array_size(json_object_get(ev, "observations")), 4);
    json_t *fs = json_object_get(ev, "findings");
    assert_int_equal(json_array_size(fs), 1);
    json_t *x = json_array_get(fs, 0);
    assert_string_equal(json_string_value(json_object_get(x, "kind")), "TAMPER");
    assert_string_equal(json_string_value(json_object_get(x, "state")), "opened");
    assert_string_equal(json_string_value(json_object_get(x, "custodian")), "oceanic");
    assert_string_equal(json_string_value(json_object_get(x, "owner")), "acme");
    assert_string_equal(json_string_value(json_object_get(x, "seal")), SEAL_NO);
    assert_string_equal(json_string_value(json_object_get(x, "serial")), "ES-1");
    assert_int_equal(json_integer_value(json_object_get(x, "time_ms")), cx_opened_at(c));
    char id[2 * WB_HASH_LEN + 1];
    wb_hex_encode(c->events[c->n_events - 1].te.id, WB_HASH_LEN, id, sizeof id);
    assert_string_equal(json_string_value(json_object_get(x, "event")), id);
    json_t *o = json_array_get(json_object_get(ev, "observations"), 0);
    assert_string_equal(json_string_value(json_object_get(o, "state")), "armed");
    assert_string_equal(json_string_value(json_object_get(o, "custodian")), "acme");
    json_t *r = json_array_get(json_object_get(ev, "reports"), 3);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "device"), "owner")), "acme");
    assert_string_equal(json_string_value(json_object_get(r, "gateway")), "oceanic");
    json_decref(root);
}

static void verify_with_unseal_has_no_finding(void **state)
{
    struct cx *c = *state;
    cx_journey(c, true);
    expect_exit(c, run_verify(c, NULL), CLI_EXIT_OK);
    expect_in("stdout", c->cap.out, "Findings: none\n");
    expect_in("stdout", c->cap.out, "VERIFIED: 14 events");
    expect_exit(c, run_verify(c, "--json"), CLI_EXIT_OK);
    json_t *root = parse_json(c);
    json_t *fs = json_object_get(json_object_get(root, "evidence"), "findings");
    assert_true(json_is_array(fs));
    assert_int_equal(json_array_size(fs), 0);
    json_decref(root);
}

static void history_shows_the_tamper(void **state)
{
    struct cx *c = *state;
    cx_journey(c, false);
    expect_exit(c, run_history(c, NULL), CLI_EXIT_OK);
    /* The history, then the governance chain for the registry. */
    assert_int_equal(c->fn.n_requests, 2);
    assert_int_equal(c->fn.requests[1]->req_case, WAYBILL__CLIENT_REQUEST__REQ_PROOF);
    expect_in("stdout", c->cap.out, "Findings: 1\n");
    expect_in("stdout", c->cap.out, "in the custody of 'oceanic'");
    expect_in("stdout", c->cap.out, "device ES-1 (eseal) owned by 'acme'");
    expect_exit(c, run_history(c, "--json"), CLI_EXIT_OK);
    json_t *root = parse_json(c);
    json_t *fs = json_object_get(json_object_get(root, "evidence"), "findings");
    assert_int_equal(json_array_size(fs), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(fs, 0), "owner")),
                        "acme");
    json_decref(root);
}

/* A node that does not serve the governance chain: the evidence is still
 * shown, the owner unknown, and stderr says why. */
static int cx_answer_no_gov(struct fake_node *fn, const Waybill__ClientRequest *req,
                            Waybill__ClientResponse *resp)
{
    if (req->req_case == WAYBILL__CLIENT_REQUEST__REQ_PROOF) {
        resp->code = WB_ERR_STORE;
        resp->reason = (char *)"storage error";
        return WB_OK;
    }
    return cx_answer(fn, req, resp);
}

static void history_without_registry(void **state)
{
    struct cx *c = *state;
    cx_journey(c, false);
    const char *argv[] = {"history", TN_ITEM, "--node", NODE_ADDR, "--key",
                          c->t.key_path[TN_CUSTOMS], NULL};
    fake_reset(&c->fn);
    c->fn.answer = cx_answer_no_gov;
    c->fn.ctx = c;
    expect_exit(c, cap_run(&c->cap, cmd_history_via, &c->conn, argv), CLI_EXIT_OK);
    expect_in("stderr", c->cap.err, "the governance chain could not be read");
    expect_in("stdout", c->cap.out, "Findings: 1\n");
    expect_in("stdout", c->cap.out, "of unknown owner (no device registry)");
}

/* A tracker's readings and position, and the route plan: the summary
 * gives the readings' range, --json each observation in full. */
static void verify_shows_plan_and_readings(void **state)
{
    struct cx *c = *state;
    cx_journey_with(c, false, true);
    expect_exit(c, run_verify(c, NULL), CLI_EXIT_OK);
    const char *out = c->cap.out;
    expect_in("stdout", out, "Evidence: 6 device reports (8 observations) from 2 devices\n");
    expect_in("stdout", out, "TR-1    tracker  acme   reading      3");
    expect_in("stdout", out, "oceanic    temperature 3.25 .. 5.125 C\n");
    expect_in("stdout", out, "oceanic    51.916667, 4.500000 (accuracy 20 m) at NLRTM\n");
    expect_in("stdout", out, "Plan: 1 version; in effect: version 1, set by acme at ");
    expect_in("stdout", out, "(#3, height 2), corridor 250 km\n");
    expect_in("stdout", out, "2     SGSIN   2026-10-20T00:00:00.000Z  2026-10-22T00:00:00.000Z  -\n");
    expect_in("stdout", out, "Findings: 1\n");

    expect_exit(c, run_verify(c, "--json"), CLI_EXIT_OK);
    json_t *root = parse_json(c);
    json_t *ev = json_object_get(root, "evidence");
    json_t *obs = json_object_get(ev, "observations");
    assert_int_equal(json_array_size(obs), 8);
    json_t *reading = NULL; /* the second reading */
    size_t readings = 0, positions = 0;
    for (size_t i = 0; i < json_array_size(obs); i++) {
        json_t *o = json_array_get(obs, i);
        const char *kind = json_string_value(json_object_get(o, "kind"));
        if (strcmp(kind, "reading") == 0) {
            if (readings++ == 1) reading = o;
        }
        if (strcmp(kind, "position") == 0) {
            positions++;
            assert_int_equal(json_integer_value(json_object_get(o, "lat_e6")), 51916667);
            assert_int_equal(json_integer_value(json_object_get(o, "accuracy_m")), 20);
            assert_string_equal(json_string_value(json_object_get(o, "locode")), "NLRTM");
            assert_string_equal(json_string_value(json_object_get(o, "custodian")), "oceanic");
        }
    }
    assert_int_equal(readings, 3);
    assert_int_equal(positions, 1);
    assert_non_null(reading);
    assert_int_equal(json_integer_value(json_object_get(reading, "value_milli")), 3250);
    assert_string_equal(json_string_value(json_object_get(reading, "unit")), "C");
    assert_string_equal(json_string_value(json_object_get(reading, "text")), "temperature 3.25 C");
    json_t *plans = json_object_get(ev, "plans");
    assert_int_equal(json_array_size(plans), 1);
    json_t *p = json_array_get(plans, 0);
    assert_true(json_is_true(json_object_get(p, "in_effect")));
    assert_string_equal(json_string_value(json_object_get(p, "set_by")), "acme");
    assert_int_equal(json_integer_value(json_object_get(p, "corridor_km")), 250);
    json_t *stops = json_object_get(p, "stops");
    assert_int_equal(json_array_size(stops), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(stops, 0), "leg_mode")),
                        "sea");
    assert_true(json_is_null(json_object_get(json_array_get(stops, 1), "leg_mode")));
    json_decref(root);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, cx_setup, cx_teardown)
    const struct CMUnitTest tests[] = {
        T(verify_shows_the_tamper),
        T(verify_with_unseal_has_no_finding),
        T(history_shows_the_tamper),
        T(history_without_registry),
        T(verify_shows_plan_and_readings),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
