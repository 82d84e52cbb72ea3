/* Unit tests of `waybill gov`, `waybill key` and the governance part of
 * `waybill status` over a fake node that keeps a real governance chain
 * (checked and applied with ledger/gov.h, served as a proof bundle): the
 * usage errors of every subcommand (exit 2, nothing sent), the events built
 * (decoded with ledger_gov_action_decode), linking to the chain's head,
 * proposal id prefixes, the local refusal before signing, list and show
 * output, key statuses, and status with validator sets and proposals; a
 * node governance added is accepted only when the governance chain it
 * serves verifies from genesis (each block chained, certified by the set of
 * its height) and names its key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "cli/gov_print.h"
#include "cli/gov_state.h"
#include "cli/submit_pending.h"
#include "ledger/gov.h"
#include "ledger/gov_history.h"
#include "ledger/verify.h"
#include "tests/unit/cli_support.h"

#define NODE_ADDR "127.0.0.1:26700"
#define ARGS_MAX 48
#define CHAIN_MAX 32
#define DAY_MS INT64_C(86400000)

struct gov_ev {
    uint8_t bytes[WB_SIGNED_EVENT_MAX];
    size_t len;
    uint64_t height;
    struct ledger_event ev;
    /* its block (one event per block): chained header, hash and the
     * precommits of the validator set of its height (cli_support.h) */
    struct tb_block blk;
    uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];   /* audit path in its block */
    size_t path_len;
};

struct gfx {
    struct tnet t;
    struct fake_node fn;
    struct client_connector conn;
    struct cap cap;
    /* the fake node's ledger: its governance chain and its state */
    struct ledger_gov gv;
    size_t n;
    struct gov_ev evs[CHAIN_MAX];
    uint64_t height;                    /* last block */
    int64_t times[CHAIN_MAX + 8];       /* block time by height */
    uint64_t status_height;             /* the status answer's height (0: height) */
    uint32_t status_validator;
    size_t submits;                     /* SUBMIT requests seen */
    bool lose_answer;                   /* commit, then the answer is lost (timeout) */
    struct ledger_event last_submit;    /* the event of the last one */
    uint64_t nonce;
    /* when set, the blocks committed from then on are certified with these
     * keys (indexed as t.val_sk) in the validators' names: a forgery */
    uint8_t (*cert_sks)[WB_SECKEY_LEN];
    /* answer storage */
    Waybill__ProofBundle *proof;
    Waybill__ItemState *head_pb;
    Waybill__SubmitResult sr;
    uint8_t sr_id[WB_HASH_LEN];
    char reason[512];
    Waybill__NodeStatus status;
    uint8_t chain_id[WB_CHAIN_ID_LEN];
    uint8_t last_hash[WB_HASH_LEN];
    /* REQ_BLOCK: a block and its certificate, when set */
    uint8_t *block;
    size_t block_len;
    uint8_t block_hash[WB_HASH_LEN];
    uint8_t cert[4096];
    size_t cert_len;
    uint64_t block_height;
    Waybill__BlockResult br;
};

static void expect_in(const char *what, const char *text, const char *want)
{
    if (!strstr(text, want)) fail_msg("%s lacks \"%s\"; it was:\n%s", what, want, text);
}

static void expect_not_in(const char *what, const char *text, const char *unwanted)
{
    if (strstr(text, unwanted)) fail_msg("%s has \"%s\"; it was:\n%s", what, unwanted, text);
}

static void expect_exit(struct gfx *f, int rc, int want)
{
    if (rc != want)
        fail_msg("expected exit %d, got %d; stdout:\n%s\nstderr:\n%s", want, rc, f->cap.out,
                 f->cap.err);
}

/* Builds e's block at height h: the header chained to the block below
 * (prev_hash), its events root over e alone, its proposer in range, and a
 * certificate: precommits of the validators of set whose secret keys the
 * test holds (the genesis ones; at most TN_VALIDATORS, a quorum of up to 5),
 * signed over the vote sign bytes (common/sigbytes.h). */
static void gfx_block_of(struct gfx *f, struct gov_ev *e, uint64_t h, int64_t time_ms,
                         const struct ledger_gov_epoch *set)
{
    struct tb_block *blk = &e->blk;
    memset(blk, 0, sizeof *blk);
    struct ledger_block_header hd;
    memset(&hd, 0, sizeof hd);
    hd.version = WB_BLOCK_VERSION;
    memcpy(hd.chain_id, f->t.g->chain_id, WB_CHAIN_ID_LEN);
    hd.height = h;
    hd.time_ms = time_ms;
    if (f->n) memcpy(hd.prev_hash, f->evs[f->n - 1].blk.hash, WB_HASH_LEN);
    hd.proposer = (uint32_t)(h % set->count);
    const uint8_t *evs[1] = {e->bytes};
    size_t lens[1] = {e->len};
    uint8_t *bytes;
    size_t len;
    assert_int_equal(ledger_block_build(&hd, evs, lens, 1, &bytes, &len, blk->hash), WB_OK);
    free(bytes);
    assert_int_equal(ledger_header_encode(&hd, blk->header, sizeof blk->header, &blk->header_len),
                     WB_OK);
    uint8_t check[WB_HASH_LEN];
    ledger_sha256(blk->header, blk->header_len, check);
    assert_memory_equal(check, blk->hash, WB_HASH_LEN);
    blk->height = h;
    for (size_t i = 0; i < set->count && blk->n_votes < TN_VALIDATORS; i++)
        for (int k = 0; k < TN_VALIDATORS; k++)
            if (memcmp(set->validators[i].key, f->t.val_pk[k], WB_PUBKEY_LEN) == 0) {
                const uint8_t *sk = f->cert_sks ? f->cert_sks[k] : f->t.val_sk[k];
                assert_int_equal(tb_vote(&f->t, blk, blk->n_votes, (uint32_t)i, sk), WB_OK);
                blk->n_votes++;
            }
    uint8_t leaves[1][MERKLE_HASH_LEN];
    merkle_leaf_hash(e->bytes, e->len, leaves[0]);
    assert_int_equal(merkle_audit_path((const uint8_t(*)[MERKLE_HASH_LEN])leaves, 1, 0, e->path,
                                       &e->path_len),
                     WB_OK);
}

/* Commits a signed governance event in a block of its own at `time_ms`
 * if the governance rules let it; else returns WB_ERR_RULE, f->reason. */
static int gfx_commit(struct gfx *f, const uint8_t *bytes, size_t len, int64_t time_ms)
{
    struct gov_ev *e = &f->evs[f->n];
    assert_true(f->n < CHAIN_MAX);
    char why[256];
    assert_int_equal(ledger_signed_event_open(f->t.g->chain_id, bytes, len, true, &e->ev, why,
                                              sizeof why),
                     WB_OK);
    uint64_t h = f->height + 1;
    int rc = ledger_gov_check(&f->gv, &e->ev, h, time_ms, f->reason, sizeof f->reason);
    if (rc != WB_OK) return rc;
    memcpy(e->bytes, bytes, len);
    e->len = len;
    const struct ledger_gov_epoch *set;
    assert_true(ledger_gov_validators_at(&f->gv, h, &set));
    gfx_block_of(f, e, h, time_ms, set);
    assert_int_equal(ledger_gov_apply(&f->gv, &e->ev, h, time_ms, NULL), WB_OK);
    e->height = h;
    f->times[h] = time_ms;
    f->height = h;
    f->n++;
    return WB_OK;
}

/* Signs action a by org's key and commits it at time_ms (a chain the test
 * starts from). Returns the event's id in id (may be NULL). */
static int gfx_add(struct gfx *f, int org, const struct ledger_gov_action *a, int64_t time_ms,
                   uint8_t id[WB_HASH_LEN])
{
    struct ledger_event ev;
    char msg[256];
    uint8_t buf[WB_SIGNED_EVENT_MAX];
    size_t len;
    memset(&ev, 0, sizeof ev);
    assert_int_equal(ledger_gov_action_encode(a, &ev, msg, sizeof msg), WB_OK);
    if (f->n) {
        ev.has_prev = true;
        memcpy(ev.prev, f->evs[f->n - 1].ev.id, WB_HASH_LEN);
    }
    memcpy(ev.submitter, f->t.org_pk[org], WB_PUBKEY_LEN);
    ev.time_ms = time_ms;
    ev.nonce = ++f->nonce;
    assert_int_equal(ledger_event_sign(f->t.g->chain_id, &ev, f->t.org_sk[org], buf, sizeof buf,
                                       &len),
                     WB_OK);
    if (id) memcpy(id, ev.id, WB_HASH_LEN);
    return gfx_commit(f, buf, len, time_ms);
}

/* The bundle of the governance chain: every event with its audit path, and
 * its block (one per height) with the block's certificate. */
static int gfx_bundle(struct gfx *f, Waybill__ClientResponse *resp)
{
    static Waybill__ProofEvent pe[CHAIN_MAX], *pe_ptrs[CHAIN_MAX];
    static ProtobufCBinaryData paths[CHAIN_MAX][MERKLE_PATH_MAX];
    static Waybill__ProofBlock pb[CHAIN_MAX], *pb_ptrs[CHAIN_MAX];
    static Waybill__CommitCert certs[CHAIN_MAX];
    static Waybill__Vote votes[CHAIN_MAX][TN_VALIDATORS], *vptrs[CHAIN_MAX][TN_VALIDATORS];
    size_t nb = 0;
    for (size_t i = 0; i < f->n; i++) {
        struct gov_ev *e = &f->evs[i];
        waybill__proof_event__init(&pe[i]);
        pe[i].signed_event.data = e->bytes;
        pe[i].signed_event.len = e->len;
        pe[i].height = e->height;
        pe[i].index = 0;
        for (size_t k = 0; k < e->path_len; k++) {
            paths[i][k].data = e->path[k];
            paths[i][k].len = MERKLE_HASH_LEN;
        }
        pe[i].n_audit_path = e->path_len;
        pe[i].audit_path = paths[i];
        pe_ptrs[i] = &pe[i];
        waybill__proof_block__init(&pb[nb]);
        pb[nb].height = e->blk.height;
        pb[nb].header.data = e->blk.header;
        pb[nb].header.len = e->blk.header_len;
        tb_cert(&e->blk, &certs[nb], votes[nb], vptrs[nb]);
        pb[nb].cert = &certs[nb];
        pb_ptrs[nb] = &pb[nb];
        nb++;
    }
    Waybill__ProofBundle b = WAYBILL__PROOF_BUNDLE__INIT;
    b.item = (char *)WB_GOV_CHAIN;
    b.n_events = f->n;
    b.events = pe_ptrs;
    b.n_blocks = nb;
    b.blocks = pb_ptrs;
    size_t len = waybill__proof_bundle__get_packed_size(&b);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) return WB_ERR_NOMEM;
    waybill__proof_bundle__pack(&b, buf);
    if (f->proof) waybill__proof_bundle__free_unpacked(f->proof, NULL);
    f->proof = waybill__proof_bundle__unpack(NULL, len, buf);
    free(buf);
    resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_PROOF;
    resp->proof = f->proof;
    return WB_OK;
}

static int answer(struct fake_node *fn, const Waybill__ClientRequest *req,
                  Waybill__ClientResponse *resp)
{
    struct gfx *f = fn->ctx;
    switch (req->req_case) {
    case WAYBILL__CLIENT_REQUEST__REQ_PROOF:
    case WAYBILL__CLIENT_REQUEST__REQ_HEAD: {
        const char *item = req->req_case == WAYBILL__CLIENT_REQUEST__REQ_PROOF
                               ? req->proof->item
                               : req->head->item;
        if (strcmp(item, WB_GOV_CHAIN) != 0) return WB_ERR_CLOSED;
        if (f->n == 0) {
            resp->code = WB_ERR_NOT_FOUND;
            resp->reason = (char *)"item not found";
            return WB_OK;
        }
        if (req->req_case == WAYBILL__CLIENT_REQUEST__REQ_PROOF) return gfx_bundle(f, resp);
        struct ledger_item_state st;
        memset(&st, 0, sizeof st);
        snprintf(st.item, sizeof st.item, "%s", WB_GOV_CHAIN);
        snprintf(st.custodian, sizeof st.custodian, "acme");
        st.status = LEDGER_ITEM_ACTIVE;
        st.count = (uint32_t)f->n;
        st.first_height = f->evs[0].height;
        st.last_height = f->evs[f->n - 1].height;
        memcpy(st.head, f->evs[f->n - 1].ev.id, WB_HASH_LEN);
        uint8_t buf[1024];
        size_t len;
        if (ledger_item_state_encode(&st, buf, sizeof buf, &len) != WB_OK) return WB_ERR_IO;
        if (f->head_pb) waybill__item_state__free_unpacked(f->head_pb, NULL);
        f->head_pb = waybill__item_state__unpack(NULL, len, buf);
        resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_HEAD;
        resp->head = f->head_pb;
        return WB_OK;
    }
    case WAYBILL__CLIENT_REQUEST__REQ_SUBMIT: {
        f->submits++;
        const ProtobufCBinaryData *se = &req->submit->signed_event;
        char why[256];
        if (ledger_signed_event_open(f->t.g->chain_id, se->data, se->len, true, &f->last_submit,
                                     why, sizeof why) != WB_OK)
            return WB_ERR_IO;
        /* Committed already: said so, with its height. */
        for (size_t i = 0; i < f->n; i++)
            if (memcmp(f->evs[i].ev.id, f->last_submit.id, WB_HASH_LEN) == 0) {
                memcpy(f->sr_id, f->last_submit.id, WB_HASH_LEN);
                waybill__submit_result__init(&f->sr);
                f->sr.event_id.data = f->sr_id;
                f->sr.event_id.len = WB_HASH_LEN;
                f->sr.committed = true;
                f->sr.already_committed = true;
                f->sr.height = f->evs[i].height;
                resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_SUBMIT;
                resp->submit = &f->sr;
                return WB_OK;
            }
        /* The rules: linked to the head. */
        bool linked = f->n == 0 ? !f->last_submit.has_prev
                                : f->last_submit.has_prev &&
                                      memcmp(f->last_submit.prev, f->evs[f->n - 1].ev.id,
                                             WB_HASH_LEN) == 0;
        int rc = linked ? gfx_commit(f, se->data, se->len, cli_now_ms()) : WB_ERR_STALE;
        if (rc != WB_OK) {
            if (!linked) snprintf(f->reason, sizeof f->reason, "prev is not the head");
            resp->code = rc;
            resp->reason = f->reason;
            return WB_OK;
        }
        if (f->lose_answer) return WB_ERR_TIMEOUT;
        memcpy(f->sr_id, f->last_submit.id, WB_HASH_LEN);
        waybill__submit_result__init(&f->sr);
        f->sr.event_id.data = f->sr_id;
        f->sr.event_id.len = WB_HASH_LEN;
        f->sr.committed = true;
        f->sr.height = f->height;
        f->sr.index = 0;
        resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_SUBMIT;
        resp->submit = &f->sr;
        return WB_OK;
    }
    case WAYBILL__CLIENT_REQUEST__REQ_BLOCK:
        if (!f->block) return WB_ERR_CLOSED;
        waybill__block_result__init(&f->br);
        f->br.height = f->block_height;
        f->br.block.data = f->block;
        f->br.block.len = f->block_len;
        f->br.cert.data = f->cert;
        f->br.cert.len = f->cert_len;
        f->br.block_hash.data = f->block_hash;
        f->br.block_hash.len = WB_HASH_LEN;
        resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_BLOCK;
        resp->block = &f->br;
        return WB_OK;
    case WAYBILL__CLIENT_REQUEST__REQ_STATUS:
        waybill__node_status__init(&f->status);
        f->status.name = (char *)"node1";
        f->status.validator = f->status_validator;
        f->status.height = f->status_height ? f->status_height : f->height;
        f->status.last_hash.data = f->last_hash;
        f->status.last_hash.len = WB_HASH_LEN;
        memcpy(f->chain_id, f->t.g->chain_id, WB_CHAIN_ID_LEN);
        f->status.chain_id.data = f->chain_id;
        f->status.chain_id.len = WB_CHAIN_ID_LEN;
        f->status.last_block_time_ms = cli_now_ms();
        f->status.storage = (char *)"ok";
        resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_STATUS;
        resp->status = &f->status;
        return WB_OK;
    default:
        return WB_ERR_CLOSED;
    }
}

static int gfx_setup(void **state)
{
    unsetenv(CLIENT_ENV_NODE);
    unsetenv(CLIENT_ENV_KEY);
    unsetenv(CLIENT_ENV_GENESIS);
    unsetenv(SUBMIT_PENDING_ENV_STATE);
    struct gfx *f = calloc(1, sizeof *f);
    if (!f || tn_init(&f->t) != 0) return -1;
    if (ledger_gov_init(&f->gv, f->t.g) != WB_OK) return -1;
    f->status_validator = 1;
    f->conn.connect = fake_connect;
    f->conn.ctx = &f->fn;
    *state = f;
    return 0;
}

static int gfx_teardown(void **state)
{
    struct gfx *f = *state;
    fake_reset(&f->fn);
    if (f->proof) waybill__proof_bundle__free_unpacked(f->proof, NULL);
    if (f->head_pb) waybill__item_state__free_unpacked(f->head_pb, NULL);
    ledger_gov_free(&f->gv);
    free(f->block);
    tn_free(&f->t);
    free(f);
    return 0;
}

/* Runs cmd with `extra` and then --node/--key (org's)/--genesis. */
static int run_as(struct gfx *f, int (*cmd)(const struct client_connector *, int, char **),
                  int org, const char *const *extra)
{
    const char *argv[ARGS_MAX];
    size_t n = 0;
    for (size_t i = 0; extra[i] && n + 8 < ARGS_MAX; i++) argv[n++] = extra[i];
    argv[n++] = "--node";
    argv[n++] = NODE_ADDR;
    argv[n++] = "--key";
    argv[n++] = f->t.key_path[org];
    argv[n++] = "--genesis";
    argv[n++] = f->t.genesis_path;
    argv[n] = NULL;
    fake_reset(&f->fn);
    f->fn.answer = answer;
    f->fn.ctx = f;
    f->submits = 0;
    return cap_run(&f->cap, cmd, &f->conn, argv);
}

static char *hex32(const uint8_t *b, char out[65])
{
    return wb_hex_encode(b, 32, out, 65);
}

/* A fresh valid public key and its hex. */
static void new_key(uint8_t pk[WB_PUBKEY_LEN], char hex[65])
{
    uint8_t sk[WB_SECKEY_LEN];
    crypto_sign_keypair(pk, sk);
    hex32(pk, hex);
}

/* The action of the last submitted event, decoded. */
static void last_action(struct gfx *f, struct ledger_gov_action *a)
{
    char msg[256];
    if (ledger_gov_action_decode(&f->last_submit, a, msg, sizeof msg) != WB_OK)
        fail_msg("the submitted event does not decode: %s", msg);
}

static struct ledger_gov_action propose_add_member(const char *org, const uint8_t pk[32])
{
    struct ledger_gov_action a;
    memset(&a, 0, sizeof a);
    a.action = LEDGER_GOV_PROPOSE;
    a.kind = LEDGER_GOV_ADD_MEMBER;
    snprintf(a.member.name, sizeof a.member.name, "%s", org);
    a.member.role = LEDGER_ROLE_CARRIER;
    a.member.key_count = 1;
    memcpy(a.member.keys[0], pk, WB_PUBKEY_LEN);
    return a;
}

static struct ledger_gov_action approve_of(const uint8_t id[32])
{
    struct ledger_gov_action a;
    memset(&a, 0, sizeof a);
    a.action = LEDGER_GOV_APPROVE;
    memcpy(a.proposal, id, WB_HASH_LEN);
    return a;
}

/* ---- usage errors ------------------------------------------------------------------ */

static void usage_errors_send_nothing(void **state)
{
    struct gfx *f = *state;
    char hex[65];
    uint8_t pk[32];
    new_key(pk, hex);
    static const struct {
        const char *args[12];
        const char *want;
    } cases[] = {
        {{"gov", NULL}, "a subcommand is required"},
        {{"gov", "vote", NULL}, "unknown subcommand 'vote'"},
        {{"gov", "propose", NULL}, "KIND is required"},
        {{"gov", "propose", "add-everyone", NULL}, "KIND: unknown kind 'add-everyone'"},
        {{"gov", "propose", "remove-member", NULL}, "remove-member needs --org NAME"},
        {{"gov", "propose", "remove-member", "--org", "acme", "--role", "carrier", NULL},
         "--role is not an option of remove-member"},
        {{"gov", "propose", "add-member", "--org", "x", "--role", "pirate", "--member-key",
          "nofile", NULL},
         "--role: expected shipper, carrier, customs or auditor, got 'pirate'"},
        {{"gov", "propose", "add-member", "--org", "x", "--role", "carrier", "--member-key",
          "/nonexistent/key", NULL},
         "--member-key: '/nonexistent/key' is neither a public key (64 hex digits) nor a key "
         "file"},
        {{"gov", "propose", "add-member", "--org", "x", "--role", "carrier", NULL},
         "add-member needs --member-key HEX|FILE"},
        {{"gov", "propose", "set-param", "--param", "speed", "--value", "3", NULL},
         "--param: expected heartbeat_ms"},
        {{"gov", "propose", "set-param", "--param", "heartbeat_ms", "--value", "-3", NULL},
         "--value: expected a non-negative integer, got '-3'"},
        {{"gov", "propose", "set-param", "--param", "heartbeat_ms", "--value", "5", NULL},
         "--value: gov_propose: attribute 'value' of heartbeat_ms must be an integer from 100 "
         "to 86400000"},
        {{"gov", "propose", "remove-validator", "--name", "bad name!", NULL},
         "--name: gov_propose: attribute 'name' must be a validator name"},
        {{"gov", "propose", "remove-member", "--org", "acme", "--org", "oceanic", NULL},
         "--org given twice"},
        {{"gov", "approve", NULL}, "ID is required"},
        {{"gov", "approve", "12ab", NULL}, "ID: '12ab' is too short; give at least 8 hex digits"},
        {{"gov", "approve", "zzzzzzzzzz", NULL}, "ID: expected a proposal id"},
        {{"gov", "show", NULL}, "ID is required"},
        {{"gov", "list", "extra", NULL}, "unexpected argument 'extra'"},
        {{"key", NULL}, "a subcommand is required"},
        {{"key", "rotate", NULL}, "unknown subcommand 'rotate'"},
        {{"key", "add", NULL}, "--new-key HEX|FILE is required"},
        {{"key", "add", "--new-key", "00", NULL}, "--new-key: '00' is neither a public key"},
        {{"key", "revoke", NULL}, "KEY is required"},
        {{"key", "revoke", "K", "--reason", "retired", NULL}, "KEY: 'K' is neither"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int (*cmd)(const struct client_connector *, int, char **) =
            strcmp(cases[i].args[0], "gov") == 0 ? cmd_gov_via : cmd_key_via;
        expect_exit(f, run_as(f, cmd, TN_ACME, cases[i].args), CLI_EXIT_USAGE);
        expect_in("stderr", f->cap.err, cases[i].want);
        assert_int_equal(f->fn.connects, 0);
    }
    /* key revoke: the reason and --since */
    const char *no_reason[] = {"key", "revoke", hex, NULL};
    expect_exit(f, run_as(f, cmd_key_via, TN_ACME, no_reason), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "--reason retired|compromised is required");
    const char *no_since[] = {"key", "revoke", hex, "--reason", "compromised", NULL};
    expect_exit(f, run_as(f, cmd_key_via, TN_ACME, no_since), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err,
              "waybill key revoke: --reason compromised needs --since TIME: from when the key "
              "is not to be trusted (RFC 3339 UTC such as 2026-12-01T10:00:00Z, or now)");
    const char *retired_since[] = {"key", "revoke", hex, "--reason", "retired", "--since", "now",
                                   NULL};
    expect_exit(f, run_as(f, cmd_key_via, TN_ACME, retired_since), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "--since is for --reason compromised only");
    const char *bad_since[] = {"key", "revoke", hex, "--reason", "compromised", "--since",
                               "yesterday", NULL};
    expect_exit(f, run_as(f, cmd_key_via, TN_ACME, bad_since), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "--since: expected an RFC 3339 UTC time");
    const char *bad_reason[] = {"key", "revoke", hex, "--reason", "lost", NULL};
    expect_exit(f, run_as(f, cmd_key_via, TN_ACME, bad_reason), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "--reason: expected retired or compromised, got 'lost'");
    assert_int_equal(f->fn.connects, 0);
}

static void help_of_every_subcommand(void **state)
{
    struct gfx *f = *state;
    static const char *const gov_subs[] = {"propose", "approve", "list", "show"};
    static const char *const key_subs[] = {"add", "revoke", "list"};
    for (size_t i = 0; i < 4; i++) {
        const char *args[] = {"gov", gov_subs[i], "--help", NULL};
        char want[64];
        expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, args), CLI_EXIT_OK);
        snprintf(want, sizeof want, "usage: waybill gov %s ", gov_subs[i]);
        expect_in("stdout", f->cap.out, want);
    }
    for (size_t i = 0; i < 3; i++) {
        const char *args[] = {"key", key_subs[i], "--help", NULL};
        char want[64];
        expect_exit(f, run_as(f, cmd_key_via, TN_ACME, args), CLI_EXIT_OK);
        snprintf(want, sizeof want, "usage: waybill key %s ", key_subs[i]);
        expect_in("stdout", f->cap.out, want);
    }
    const char *gov[] = {"gov", "--help", NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, gov), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, "  approve  approve a pending proposal");
    const char *propose[] = {"gov", "propose", "--help", NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, propose), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, "    set-param --param P --value N\n");
    expect_in("stdout", f->cap.out, "  --member-key HEX|FILE");
    expect_not_in("stdout", f->cap.out, "--all");
    assert_int_equal(f->fn.connects, 0);
}

/* ---- propose and approve ------------------------------------------------------------- */

static void propose_builds_the_event_and_prints_the_proposal(void **state)
{
    struct gfx *f = *state;
    uint8_t pk1[32], pk2[32];
    char hex1[65], hex2[65], key_file[TN_PATH];
    new_key(pk1, hex1);
    /* the second key as a key file `waybill keygen` writes */
    uint8_t sk2[WB_SECKEY_LEN];
    uint8_t seed[32] = {0x77};
    crypto_sign_seed_keypair(pk2, sk2, seed);
    hex32(pk2, hex2);
    snprintf(key_file, sizeof key_file, "%s/forwardco.key", f->t.dir);
    assert_int_equal(tn_write_key(key_file, sk2), WB_OK);

    const char *args[] = {"gov",          "propose",  "add-member", "--org",   "forwardco",
                          "--role",       "carrier",  "--member-key", hex1, "--member-key",
                          key_file,       "--note",   "onboarding the forwarder", NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, args), CLI_EXIT_OK);
    assert_int_equal(f->submits, 1);
    /* the first governance event: no prev */
    assert_false(f->last_submit.has_prev);
    assert_string_equal(f->last_submit.item, WB_GOV_CHAIN);
    assert_int_equal(f->last_submit.action, LEDGER_GOV_PROPOSE);
    assert_memory_equal(f->last_submit.submitter, f->t.org_pk[TN_ACME], 32);
    struct ledger_gov_action a;
    last_action(f, &a);
    assert_int_equal(a.kind, LEDGER_GOV_ADD_MEMBER);
    assert_string_equal(a.member.name, "forwardco");
    assert_int_equal(a.member.role, LEDGER_ROLE_CARRIER);
    assert_int_equal(a.member.key_count, 2);
    assert_memory_equal(a.member.keys[0], pk1, 32);
    assert_memory_equal(a.member.keys[1], pk2, 32);
    assert_string_equal(a.note, "onboarding the forwarder");
    char id[65], want[256];
    hex32(f->last_submit.id, id);
    snprintf(want, sizeof want,
             "proposal %s committed at height 1: add member 'forwardco' (carrier, 2 keys)\n", id);
    expect_in("stdout", f->cap.out, want);
    /* 3 voting organisations, 2/3: 2 approvals needed */
    expect_in("stdout", f->cap.out, "pending: approvals 1/2 (acme); 1 more needed, expires ");

    /* --json: the proposal as the chain shows it */
    const char *remove[] = {"gov", "propose", "remove-validator", "--name", "node3", "--json",
                            NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_OCEANIC, remove), CLI_EXIT_OK);
    /* linked to the chain's head */
    assert_true(f->last_submit.has_prev);
    assert_memory_equal(f->last_submit.prev, f->evs[0].ev.id, 32);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("not JSON (%s):\n%s", jerr.text, f->cap.out);
    json_t *p = json_object_get(root, "proposal");
    assert_string_equal(json_string_value(json_object_get(p, "kind")), "remove_validator");
    assert_string_equal(json_string_value(json_object_get(p, "status")), "pending");
    assert_string_equal(json_string_value(json_object_get(p, "proposer")), "oceanic");
    assert_int_equal(json_integer_value(json_object_get(p, "approvals")), 1);
    assert_int_equal(json_integer_value(json_object_get(p, "needed")), 2);
    assert_int_equal(json_integer_value(json_object_get(root, "height")), 2);
    hex32(f->last_submit.id, id);
    assert_string_equal(json_string_value(json_object_get(p, "id")), id);
    assert_string_equal(json_string_value(json_object_get(root, "id")), id);
    assert_string_equal(json_string_value(json_object_get(root, "event_id")), id);
    json_decref(root);
}

static void propose_kinds_carry_their_arguments(void **state)
{
    struct gfx *f = *state;
    uint8_t pk[32];
    char hex[65];
    new_key(pk, hex);
    const char *val[] = {"gov",   "propose",        "add-validator", "--name", "node4",
                         "--org", "customs",        "--validator-key", hex,    "--p2p",
                         "127.0.0.1:7104", "--api", "127.0.0.1:7204", NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_CUSTOMS, val), CLI_EXIT_OK);
    struct ledger_gov_action a;
    last_action(f, &a);
    assert_int_equal(a.kind, LEDGER_GOV_ADD_VALIDATOR);
    assert_string_equal(a.validator.name, "node4");
    assert_string_equal(a.validator.org, "customs");
    assert_memory_equal(a.validator.key, pk, 32);
    assert_string_equal(a.validator.p2p, "127.0.0.1:7104");
    assert_string_equal(a.validator.api, "127.0.0.1:7204");
    expect_in("stdout", f->cap.out,
              ": add validator 'node4' (org 'customs', key ");

    const char *param[] = {"gov", "propose", "set-param", "--param", "heartbeat_ms", "--value",
                           "30000", NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, param), CLI_EXIT_OK);
    last_action(f, &a);
    assert_int_equal(a.kind, LEDGER_GOV_SET_PARAM);
    assert_int_equal(a.param, LEDGER_PARAM_HEARTBEAT_MS);
    assert_int_equal(a.value, 30000);
    expect_in("stdout", f->cap.out, ": set heartbeat_ms to 30000\n");

    /* every organisation runs a validator: refused here, nothing signed */
    const char *rm[] = {"gov", "propose", "remove-member", "--org", "customs", NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, rm), CLI_EXIT_FAILED);
    assert_int_equal(f->submits, 0);
    expect_in("stderr", f->cap.err,
              "waybill gov propose: refused: gov_propose: remove_member: 'customs' runs "
              "validator 'node2'; remove its validators first (rule gov_member_validators) "
              "(checked against the governance chain as of height 2; nothing was signed)\n");
    /* a member that runs none */
    uint8_t fw[32];
    char hfw[65];
    new_key(fw, hfw);
    const char *add[] = {"gov", "propose", "add-member", "--org", "forwardco", "--role",
                         "carrier", "--member-key", hfw, NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, add), CLI_EXIT_OK);
    const char *approve[] = {"gov", "approve", NULL, NULL};
    char id[65];
    approve[2] = hex32(f->last_submit.id, id);
    expect_exit(f, run_as(f, cmd_gov_via, TN_OCEANIC, approve), CLI_EXIT_OK);
    const char *rm2[] = {"gov", "propose", "remove-member", "--org", "forwardco", NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, rm2), CLI_EXIT_OK);
    last_action(f, &a);
    assert_int_equal(a.kind, LEDGER_GOV_REMOVE_MEMBER);
    assert_string_equal(a.member.name, "forwardco");
    expect_in("stdout", f->cap.out, ": remove member 'forwardco'\n");
    /* forwardco is a voter now: 4 voters, 3 needed */
    expect_in("stdout", f->cap.out, "pending: approvals 1/3 (acme); 2 more needed");
}

static void approve_by_prefix_executes(void **state)
{
    struct gfx *f = *state;
    uint8_t pk[32], id[32];
    char hex[65], idhex[65];
    new_key(pk, hex);
    struct ledger_gov_action p;
    memset(&p, 0, sizeof p);
    p.action = LEDGER_GOV_PROPOSE;
    p.kind = LEDGER_GOV_ADD_VALIDATOR;
    snprintf(p.validator.name, sizeof p.validator.name, "node4");
    snprintf(p.validator.org, sizeof p.validator.org, "oceanic");
    memcpy(p.validator.key, pk, 32);
    snprintf(p.validator.p2p, sizeof p.validator.p2p, "127.0.0.1:7104");
    assert_int_equal(gfx_add(f, TN_ACME, &p, cli_now_ms() - 1000, id), WB_OK);
    hex32(id, idhex);
    char prefix[9];
    snprintf(prefix, sizeof prefix, "%.8s", idhex);
    /* upper case works too */
    for (char *c = prefix; *c; c++)
        if (*c >= 'a' && *c <= 'f') *c = (char)(*c - 'a' + 'A');
    const char *args[] = {"gov", "approve", prefix, NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_OCEANIC, args), CLI_EXIT_OK);
    assert_int_equal(f->submits, 1);
    struct ledger_gov_action a;
    last_action(f, &a);
    assert_int_equal(a.action, LEDGER_GOV_APPROVE);
    assert_memory_equal(a.proposal, id, 32);
    assert_true(f->last_submit.has_prev);
    assert_memory_equal(f->last_submit.prev, id, 32);
    char want[256];
    snprintf(want, sizeof want,
             "approval of proposal %s committed at height 2: add validator 'node4'", idhex);
    expect_in("stdout", f->cap.out, want);
    expect_in("stdout", f->cap.out, "executed at height 2: approvals 2 (acme, oceanic)\n");
    expect_in("stdout", f->cap.out,
              "validators from height 4: node0, node1, node2, node3, node4 (5)\n");

    /* executed: a further approval is refused here, nothing signed */
    expect_exit(f, run_as(f, cmd_gov_via, TN_CUSTOMS, args), CLI_EXIT_FAILED);
    assert_int_equal(f->submits, 0);
    expect_in("stderr", f->cap.err, "refused: gov_approve: proposal ");
    expect_in("stderr", f->cap.err, "was executed at height 2; nothing to approve (rule "
                                    "gov_proposal_pending)");
    expect_in("stderr", f->cap.err, "nothing was signed");
}

static void approve_refusals_and_unknown_ids(void **state)
{
    struct gfx *f = *state;
    uint8_t pk[32], id[32], old[32];
    char hex[65], idhex[65], oldhex[65];
    new_key(pk, hex);
    struct ledger_gov_action p = propose_add_member("forwardco", pk);
    /* a proposal of 8 days ago has expired (7 days) */
    assert_int_equal(gfx_add(f, TN_ACME, &p, cli_now_ms() - 8 * DAY_MS, old), WB_OK);
    new_key(pk, hex);
    p = propose_add_member("shipco", pk);
    assert_int_equal(gfx_add(f, TN_ACME, &p, cli_now_ms() - 1000, id), WB_OK);
    hex32(id, idhex);
    hex32(old, oldhex);

    /* the same organisation approves once */
    const char *again[] = {"gov", "approve", idhex, NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, again), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "'acme' already approved proposal");
    expect_in("stderr", f->cap.err, "(rule gov_approve_once)");
    assert_int_equal(f->submits, 0);

    /* expired */
    const char *expired[] = {"gov", "approve", oldhex, NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_OCEANIC, expired), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "expired");
    assert_int_equal(f->submits, 0);

    /* no such proposal */
    const char *none[] = {"gov", "approve", "0123456789abcdef", NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_OCEANIC, none), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "no proposal has an id starting with 0123456789abcdef");
    const char *show_none[] = {"gov", "show", "0123456789abcdef", NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_OCEANIC, show_none), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "no proposal has an id starting with");
}

/* An approval committed whose answer was lost: the same command resends
 * the kept event (not refused here as "already approved"). */
static void lost_answer_is_resent(void **state)
{
    struct gfx *f = *state;
    uint8_t pk[32], id[32];
    char hex[65], idhex[65];
    new_key(pk, hex);
    struct ledger_gov_action p = propose_add_member("forwardco", pk);
    assert_int_equal(gfx_add(f, TN_ACME, &p, cli_now_ms() - 1000, id), WB_OK);
    hex32(id, idhex);
    const char *args[] = {"gov", "approve", idhex, NULL};
    f->lose_answer = true;
    expect_exit(f, run_as(f, cmd_gov_via, TN_OCEANIC, args), CLI_EXIT_UNREACHABLE);
    assert_int_equal(f->n, 2);
    uint8_t sent[32];
    memcpy(sent, f->evs[1].ev.id, 32);
    f->lose_answer = false;
    expect_exit(f, run_as(f, cmd_gov_via, TN_OCEANIC, args), CLI_EXIT_OK);
    assert_int_equal(f->submits, 1);
    assert_memory_equal(f->last_submit.id, sent, 32);
    assert_int_equal(f->n, 2);
    expect_in("stderr", f->cap.err, "resending the event signed at");
    char want[256];
    snprintf(want, sizeof want, "approval of proposal %s already committed at height 2", idhex);
    expect_in("stdout", f->cap.out, want);
    expect_in("stdout", f->cap.out, "executed at height 2: approvals 2 (acme, oceanic)\n");
    /* settled: the next identical run is checked here again */
    expect_exit(f, run_as(f, cmd_gov_via, TN_OCEANIC, args), CLI_EXIT_FAILED);
    assert_int_equal(f->submits, 0);
    expect_in("stderr", f->cap.err, "nothing was signed");
}

static void prefixes_resolve_to_one_proposal(void **state)
{
    (void)state;
    struct ledger_gov gv;
    memset(&gv, 0, sizeof gv);
    struct ledger_gov_proposal ps[3];
    memset(ps, 0, sizeof ps);
    memset(ps[0].id, 0xab, 32);
    memset(ps[1].id, 0xab, 32);
    ps[1].id[5] = 0xcd;
    memset(ps[2].id, 0x12, 32);
    gv.proposals = ps;
    gv.proposal_count = 3;
    const struct ledger_gov_proposal *p;
    char msg[GOV_STATE_MSG_MAX];
    assert_int_equal(gov_state_resolve(&gv, "12121212", &p, msg, sizeof msg), WB_OK);
    assert_ptr_equal(p, &ps[2]);
    /* 0xabababababab... and 0xababababab cd...: 10 digits are shared */
    assert_int_equal(gov_state_resolve(&gv, "abababab", &p, msg, sizeof msg), WB_ERR_EXISTS);
    assert_null(p);
    expect_in("message", msg, "2 proposals have ids starting with abababab");
    expect_in("message", msg, "give more digits");
    assert_int_equal(gov_state_resolve(&gv, "ABABABABABAB", &p, msg, sizeof msg), WB_OK);
    assert_ptr_equal(p, &ps[0]);
    assert_int_equal(gov_state_resolve(&gv, "ababababab", &p, msg, sizeof msg), WB_ERR_EXISTS);
    assert_int_equal(gov_state_resolve(&gv, "ababababab cd", &p, msg, sizeof msg),
                     WB_ERR_INVALID);
    assert_int_equal(gov_state_resolve(&gv, "abab", &p, msg, sizeof msg), WB_ERR_INVALID);
    expect_in("message", msg, "too short");
    assert_int_equal(gov_state_resolve(&gv, "99999999", &p, msg, sizeof msg), WB_ERR_NOT_FOUND);
    char full[65];
    hex32(ps[1].id, full);
    assert_int_equal(gov_state_resolve(&gv, full, &p, msg, sizeof msg), WB_OK);
    assert_ptr_equal(p, &ps[1]);
    char longer[80];
    snprintf(longer, sizeof longer, "%s00", full);
    assert_int_equal(gov_state_resolve(&gv, longer, &p, msg, sizeof msg), WB_ERR_INVALID);
}

/* ---- list and show ------------------------------------------------------------------- */

static void list_and_show(void **state)
{
    struct gfx *f = *state;
    const char *empty[] = {"gov", "list", NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, empty), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, "no pending proposals (no governance event yet)\n");

    uint8_t pk[32], id1[32], id2[32];
    char hex[65], h1[65], h2[65], s1[9], s2[9];
    new_key(pk, hex);
    struct ledger_gov_action p = propose_add_member("forwardco", pk);
    snprintf(p.note, sizeof p.note, "welcome");
    int64_t t0 = cli_now_ms() - 60000;
    assert_int_equal(gfx_add(f, TN_ACME, &p, t0, id1), WB_OK);
    struct ledger_gov_action ap = approve_of(id1);
    assert_int_equal(gfx_add(f, TN_CUSTOMS, &ap, t0 + 1000, NULL), WB_OK);
    memset(&p, 0, sizeof p);
    p.action = LEDGER_GOV_PROPOSE;
    p.kind = LEDGER_GOV_SET_PARAM;
    p.param = LEDGER_PARAM_CLOCK_SKEW_MS;
    p.value = 1000;
    assert_int_equal(gfx_add(f, TN_OCEANIC, &p, t0 + 2000, id2), WB_OK);
    hex32(id1, h1);
    hex32(id2, h2);
    snprintf(s1, sizeof s1, "%.8s", h1);
    snprintf(s2, sizeof s2, "%.8s", h2);

    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, empty), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out,
              "ID        KIND       CHANGE                     PROPOSER  APPROVALS      "
              "HEIGHT  STATUS   EXPIRES\n");
    char row[160];
    snprintf(row, sizeof row, "%s  set-param  set clock_skew_ms to 1000  oceanic   1/3 "
                              "(oceanic)  3       pending  ", s2);
    expect_in("stdout", f->cap.out, row);
    expect_not_in("stdout", f->cap.out, s1);

    const char *all[] = {"gov", "list", "--all", NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, all), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, s1);
    expect_in("stdout", f->cap.out, "add member 'forwardco' (carrier, 1 key)");
    expect_in("stdout", f->cap.out, "  2 (acme, customs)  ");
    expect_in("stdout", f->cap.out, "executed at 2");

    const char *json[] = {"gov", "list", "--all", "--json", NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, json), CLI_EXIT_OK);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("not JSON (%s):\n%s", jerr.text, f->cap.out);
    json_t *arr = json_object_get(root, "proposals");
    assert_int_equal(json_array_size(arr), 2);
    json_t *first = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), h1);
    assert_string_equal(json_string_value(json_object_get(first, "status")), "executed");
    assert_int_equal(json_integer_value(json_object_get(first, "executed_height")), 2);
    assert_string_equal(json_string_value(json_object_get(first, "note")), "welcome");
    assert_int_equal(json_integer_value(json_object_get(first, "approvals")), 2);
    assert_true(json_is_null(json_object_get(first, "needed")));
    json_t *change = json_object_get(first, "change");
    assert_string_equal(json_string_value(json_object_get(change, "org")), "forwardco");
    assert_string_equal(json_string_value(json_array_get(json_object_get(change, "keys"), 0)),
                        hex);
    json_t *by = json_object_get(first, "approvers");
    assert_string_equal(json_string_value(json_object_get(json_array_get(by, 1), "org")),
                        "customs");
    /* forwardco is a member now: 4 voters, 3 needed */
    assert_int_equal(json_integer_value(json_object_get(root, "needed")), 3);
    json_decref(root);

    const char *show[] = {"gov", "show", s1, NULL};
    expect_exit(f, run_as(f, cmd_gov_via, TN_ACME, show), CLI_EXIT_OK);
    char want[256];
    snprintf(want, sizeof want, "proposal     %s\n", h1);
    expect_in("stdout", f->cap.out, want);
    expect_in("stdout", f->cap.out, "kind         add-member\n");
    expect_in("stdout", f->cap.out, "change       add member 'forwardco' (carrier, 1 key)\n");
    expect_in("stdout", f->cap.out, "org          forwardco\n");
    expect_in("stdout", f->cap.out, "role         carrier\n");
    snprintf(want, sizeof want, "member keys  %s\n", hex);
    expect_in("stdout", f->cap.out, want);
    expect_in("stdout", f->cap.out, "note         welcome\n");
    expect_in("stdout", f->cap.out, "proposer     acme\n");
    expect_in("stdout", f->cap.out, "status       executed\n");
    expect_in("stdout", f->cap.out, "approved by  acme at height 1\n");
    expect_in("stdout", f->cap.out, "             customs at height 2\n");
    expect_in("stdout", f->cap.out, "executed     height 2\n");
    expect_in("stdout", f->cap.out, "approvals    2\n");
}

/* ---- keys ------------------------------------------------------------------------------ */

static void key_add_and_revoke(void **state)
{
    struct gfx *f = *state;
    uint8_t pk[32], sk[WB_SECKEY_LEN], seed[32] = {0x88};
    char hex[65], path[TN_PATH], want[256];
    crypto_sign_seed_keypair(pk, sk, seed);
    hex32(pk, hex);
    snprintf(path, sizeof path, "%s/acme2.key", f->t.dir);
    assert_int_equal(tn_write_key(path, sk), WB_OK);

    const char *add[] = {"key", "add", "--new-key", path, NULL};
    expect_exit(f, run_as(f, cmd_key_via, TN_ACME, add), CLI_EXIT_OK);
    struct ledger_gov_action a;
    last_action(f, &a);
    assert_int_equal(a.action, LEDGER_KEY_ADD);
    assert_memory_equal(a.key, pk, 32);
    snprintf(want, sizeof want, "key %s of 'acme' added at height 1: active\n", hex);
    expect_in("stdout", f->cap.out, want);

    /* known already: refused here */
    expect_exit(f, run_as(f, cmd_key_via, TN_OCEANIC, add), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "is already known to the chain; a key is used once");
    assert_int_equal(f->submits, 0);

    /* the stolen genesis key of acme, revoked with the new one */
    char acme[65];
    hex32(f->t.org_pk[TN_ACME], acme);
    const char *revoke[] = {"key",         "revoke",  acme, "--reason", "compromised",
                            "--since",     "2026-12-01T10:00:00Z", NULL};
    /* signed with the new key: a key file of acme's second key */
    const char *argv[] = {"key",   "revoke",   acme,   "--reason",  "compromised",
                          "--since", "2026-12-01T10:00:00Z", "--node", NODE_ADDR,
                          "--key", path,       "--genesis", f->t.genesis_path, NULL};
    (void)revoke;
    fake_reset(&f->fn);
    f->fn.answer = answer;
    f->fn.ctx = f;
    f->submits = 0;
    expect_exit(f, cap_run(&f->cap, cmd_key_via, &f->conn, argv), CLI_EXIT_OK);
    last_action(f, &a);
    assert_int_equal(a.action, LEDGER_KEY_REVOKE);
    assert_int_equal(a.reason, LEDGER_REVOKE_COMPROMISED);
    assert_memory_equal(a.key, f->t.org_pk[TN_ACME], 32);
    assert_string_equal(ledger_event_attr(&f->last_submit, "since"),
                        "2026-12-01T10:00:00.000Z");
    assert_memory_equal(f->last_submit.submitter, pk, 32);
    snprintf(want, sizeof want,
             "key %s of 'acme' revoked at height 2: revoked as compromised since "
             "2026-12-01T10:00:00.000Z at height 2\n",
             acme);
    expect_in("stdout", f->cap.out, want);

    /* the revoked key can sign no more: said before connecting to sign */
    const char *again[] = {"key", "add", "--new-key", hex, NULL};
    expect_exit(f, run_as(f, cmd_key_via, TN_ACME, again), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "cannot sign: key ");
    expect_in("stderr", f->cap.err, "was revoked as compromised at height 2");
    assert_int_equal(f->submits, 0);

    /* the last key of an organisation */
    char oceanic[65];
    hex32(f->t.org_pk[TN_OCEANIC], oceanic);
    const char *last[] = {"key", "revoke", oceanic, "--reason", "retired", NULL};
    expect_exit(f, run_as(f, cmd_key_via, TN_OCEANIC, last), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "this is the last active key of 'oceanic'; add another "
                                    "key first (rule gov_key_last)");
}

static void key_list_statuses(void **state)
{
    struct gfx *f = *state;
    uint8_t k1[32], k2[32], fw[32], id[32];
    char h1[65], h2[65], hfw[65], want[256];
    new_key(k1, h1);
    new_key(k2, h2);
    new_key(fw, hfw);
    int64_t t0 = cli_now_ms() - 60000;
    struct ledger_gov_action a;
    memset(&a, 0, sizeof a);
    a.action = LEDGER_KEY_ADD;
    memcpy(a.key, k1, 32);
    assert_int_equal(gfx_add(f, TN_OCEANIC, &a, t0, NULL), WB_OK);                 /* h1 */
    memcpy(a.key, k2, 32);
    assert_int_equal(gfx_add(f, TN_OCEANIC, &a, t0 + 1, NULL), WB_OK);             /* h2 */
    memset(&a, 0, sizeof a);
    a.action = LEDGER_KEY_REVOKE;
    memcpy(a.key, k1, 32);
    a.reason = LEDGER_REVOKE_RETIRED;
    assert_int_equal(gfx_add(f, TN_OCEANIC, &a, t0 + 2, NULL), WB_OK);             /* h3 */
    memcpy(a.key, k2, 32);
    a.reason = LEDGER_REVOKE_COMPROMISED;
    assert_true(ledger_time_parse("2026-11-30T08:00:00Z", 20, &a.since_ms));
    assert_int_equal(gfx_add(f, TN_OCEANIC, &a, t0 + 3, NULL), WB_OK);             /* h4 */
    /* forwardco joins (h5, h6) and is removed (h7, h8) */
    struct ledger_gov_action p = propose_add_member("forwardco", fw);
    assert_int_equal(gfx_add(f, TN_ACME, &p, t0 + 4, id), WB_OK);
    struct ledger_gov_action ap = approve_of(id);
    assert_int_equal(gfx_add(f, TN_CUSTOMS, &ap, t0 + 5, NULL), WB_OK);
    memset(&p, 0, sizeof p);
    p.action = LEDGER_GOV_PROPOSE;
    p.kind = LEDGER_GOV_REMOVE_MEMBER;
    snprintf(p.member.name, sizeof p.member.name, "forwardco");
    assert_int_equal(gfx_add(f, TN_ACME, &p, t0 + 6, id), WB_OK);
    ap = approve_of(id);
    assert_int_equal(gfx_add(f, TN_CUSTOMS, &ap, t0 + 7, NULL), WB_OK);
    assert_int_equal(gfx_add(f, TN_OCEANIC, &ap, t0 + 8, NULL), WB_OK);            /* h9 */

    const char *list[] = {"key", "list", NULL};
    expect_exit(f, run_as(f, cmd_key_via, TN_ACME, list), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, "KEY  ");
    char acme[65];
    snprintf(want, sizeof want, "%s  acme       client     genesis   active\n",
             hex32(f->t.org_pk[TN_ACME], acme));
    expect_in("stdout", f->cap.out, want);
    snprintf(want, sizeof want, "%s  oceanic    client     height 1  revoked as retired at "
                                "height 3\n", h1);
    expect_in("stdout", f->cap.out, want);
    snprintf(want, sizeof want, "%s  oceanic    client     height 2  revoked as compromised "
                                "since 2026-11-30T08:00:00.000Z at height 4\n", h2);
    expect_in("stdout", f->cap.out, want);
    snprintf(want, sizeof want, "%s  forwardco  client     height 6  org removed at height 9\n",
             hfw);
    expect_in("stdout", f->cap.out, want);
    char v0[65];
    snprintf(want, sizeof want, "%s  acme       validator  genesis   active\n",
             hex32(f->t.val_pk[0], v0));
    expect_in("stdout", f->cap.out, want);

    const char *only[] = {"key", "list", "--org", "oceanic", "--json", NULL};
    expect_exit(f, run_as(f, cmd_key_via, TN_ACME, only), CLI_EXIT_OK);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("not JSON (%s):\n%s", jerr.text, f->cap.out);
    json_t *keys = json_object_get(root, "keys");
    /* oceanic's genesis client key, its two added keys, its validator's key */
    assert_int_equal(json_array_size(keys), 4);
    /* in order of addition: genesis client keys, genesis validators, added keys */
    assert_true(json_is_true(json_object_get(json_array_get(keys, 1), "validator")));
    json_t *k = json_array_get(keys, 3);
    assert_string_equal(json_string_value(json_object_get(k, "key")), h2);
    assert_string_equal(json_string_value(json_object_get(k, "revoked")), "compromised");
    assert_string_equal(json_string_value(json_object_get(k, "since")),
                        "2026-11-30T08:00:00.000Z");
    assert_int_equal(json_integer_value(json_object_get(k, "revoked_height")), 4);
    json_decref(root);

    const char *nobody[] = {"key", "list", "--org", "nobody", NULL};
    expect_exit(f, run_as(f, cmd_key_via, TN_ACME, nobody), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, "no keys of 'nobody'");
}

/* ---- status --------------------------------------------------------------------------- */

static void status_shows_sets_and_proposals(void **state)
{
    struct gfx *f = *state;
    /* genesis only: the genesis sets, no proposal */
    const char *args[] = {"status", NULL};
    expect_exit(f, run_as(f, cmd_status_via, TN_ACME, args), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, "validator   1 (node1, org oceanic; 4 validators, quorum 3)\n");
    expect_in("stdout", f->cap.out, "members     3 organisations\n");
    expect_in("stdout", f->cap.out, "            acme (shipper, 1 active key)\n");
    expect_in("stdout", f->cap.out,
              "validators  4 from height 1: node0 (acme), node1 (oceanic), node2 (customs), "
              "node3 (acme)\n");
    expect_in("stdout", f->cap.out, "proposals   0 pending\n");
    expect_not_in("stdout", f->cap.out, "next set");
    assert_string_equal(f->cap.err, "");

    /* node4 added in block 2: it signs from height 4 */
    uint8_t pk[32], id[32], fw[32];
    char hex[65], hfw[65];
    new_key(pk, hex);
    new_key(fw, hfw);
    int64_t t0 = cli_now_ms() - 60000;
    struct ledger_gov_action p = propose_add_member("forwardco", fw);
    uint8_t vid[32];
    assert_int_equal(gfx_add(f, TN_OCEANIC, &p, t0, id), WB_OK);
    memset(&p, 0, sizeof p);
    p.action = LEDGER_GOV_PROPOSE;
    p.kind = LEDGER_GOV_ADD_VALIDATOR;
    snprintf(p.validator.name, sizeof p.validator.name, "node4");
    snprintf(p.validator.org, sizeof p.validator.org, "customs");
    memcpy(p.validator.key, pk, 32);
    snprintf(p.validator.p2p, sizeof p.validator.p2p, "127.0.0.1:7104");
    assert_int_equal(gfx_add(f, TN_CUSTOMS, &p, t0 + 1000, vid), WB_OK);
    struct ledger_gov_action ap = approve_of(vid);
    assert_int_equal(gfx_add(f, TN_ACME, &ap, t0 + 2000, NULL), WB_OK);
    /* executed in block 3: the node at height 3 signs height 4 with the old
     * set, and the set from height 5 is announced */
    expect_exit(f, run_as(f, cmd_status_via, TN_ACME, args), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out,
              "validators  4 from height 1: node0 (acme), node1 (oceanic), node2 (customs), "
              "node3 (acme)\n");
    expect_in("stdout", f->cap.out,
              "next set    5 from height 5: node0 (acme), node1 (oceanic), node2 (customs), "
              "node3 (acme), node4 (customs)\n");
    expect_in("stdout", f->cap.out, "proposals   1 pending\n");
    char idhex[65], want[256];
    hex32(id, idhex);
    snprintf(want, sizeof want,
             "            %.8s add member 'forwardco' (carrier, 1 key): approvals 1/2 "
             "(oceanic), expires ",
             idhex);
    expect_in("stdout", f->cap.out, want);

    const char *json[] = {"status", "--json", NULL};
    expect_exit(f, run_as(f, cmd_status_via, TN_ACME, json), CLI_EXIT_OK);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("not JSON (%s):\n%s", jerr.text, f->cap.out);
    /* the fields from before are still there */
    assert_int_equal(json_integer_value(json_object_get(root, "height")), 3);
    assert_string_equal(json_string_value(json_object_get(root, "org")), "oceanic");
    json_t *members = json_object_get(root, "members");
    assert_int_equal(json_array_size(members), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(members, 0),
                                                        "active_keys")),
                     1);
    json_t *set = json_object_get(root, "validator_set");
    assert_int_equal(json_integer_value(json_object_get(set, "from_height")), 1);
    assert_int_equal(json_array_size(json_object_get(set, "validators")), 4);
    json_t *next = json_object_get(root, "next_validator_sets");
    assert_int_equal(json_array_size(next), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(next, 0), "from_height")),
                     5);
    json_t *props = json_object_get(root, "pending_proposals");
    assert_int_equal(json_array_size(props), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(props, 0), "id")),
                        idhex);
    json_decref(root);

    /* at height 4 the new set signs the next height: node4 is validator 4 */
    f->status_height = 4;
    f->status_validator = 4;
    expect_exit(f, run_as(f, cmd_status_via, TN_ACME, args), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, "validator   4 (node4, org customs; 5 validators, quorum 4)\n");
    expect_in("stdout", f->cap.out, "validators  5 from height 5: ");
    expect_not_in("stdout", f->cap.out, "next set");
    expect_in("stdout", f->cap.out, "peers       0 of 4 connected\n");
}

/* ---- a node governance added ---------------------------------------------------------- */

#define NEW_NODE_ADDR "127.0.0.1:7204"

/* The new node's address answers with node4's key, which genesis does not
 * list: a connect that accepts only genesis's validator keys is refused
 * (WB_ERR_PERMISSION, counted); one with any_node_key set accepts it and
 * learns node4's key, and reaches the fake node. Every other address is
 * the fake node. */
static uint8_t node4_pk[WB_PUBKEY_LEN];
static int new_node_connect(void *ctx, const char *addr, const struct client_identity *id,
                            uint32_t timeout_ms, struct client_transport *out)
{
    if (strcmp(addr, NEW_NODE_ADDR) == 0) {
        if (id->any_node_key) {
            memcpy(id->any_node_key, node4_pk, WB_PUBKEY_LEN);
            return fake_connect(ctx, addr, id, timeout_ms, out);
        }
        if (ledger_genesis_validator_of_key(id->genesis, node4_pk) < 0) {
            struct fake_node *fn = ctx;
            fn->connects++;
            return WB_ERR_PERMISSION;
        }
    }
    return fake_connect(ctx, addr, id, timeout_ms, out);
}

/* Genesis gives node0 a client API address: the client must not ask it
 * (it verifies the new node's own governance chain instead). */
static void gfx_genesis_with_api(struct gfx *f)
{
    uint8_t *json;
    size_t len;
    assert_int_equal(wb_read_file(f->t.genesis_path, 1 << 20, &json, &len), WB_OK);
    char *text = calloc(1, len + 64);
    memcpy(text, json, len);
    free(json);
    char *at = strstr(text, "\"p2p\": \"127.0.0.1:7100\"}");
    assert_non_null(at);
    const char *api = ", \"api\": \"127.0.0.1:7200\"";
    at += strlen("\"p2p\": \"127.0.0.1:7100\"");
    memmove(at + strlen(api), at, strlen(at) + 1);
    memcpy(at, api, strlen(api));
    assert_int_equal(wb_write_file(f->t.genesis_path, text, strlen(text), 0644), WB_OK);
    free(text);
}

/* Governance adds node4 (oceanic) with the new node's API address: acme
 * proposes in block 1, oceanic approves in block 2 (executed there). */
static void gfx_add_node4(struct gfx *f)
{
    uint8_t id[32];
    struct ledger_gov_action p;
    memset(&p, 0, sizeof p);
    p.action = LEDGER_GOV_PROPOSE;
    p.kind = LEDGER_GOV_ADD_VALIDATOR;
    snprintf(p.validator.name, sizeof p.validator.name, "node4");
    snprintf(p.validator.org, sizeof p.validator.org, "oceanic");
    memcpy(p.validator.key, node4_pk, 32);
    snprintf(p.validator.p2p, sizeof p.validator.p2p, "127.0.0.1:7104");
    snprintf(p.validator.api, sizeof p.validator.api, NEW_NODE_ADDR);
    assert_int_equal(gfx_add(f, TN_ACME, &p, cli_now_ms() - 1000, id), WB_OK);
    struct ledger_gov_action ap = approve_of(id);
    assert_int_equal(gfx_add(f, TN_OCEANIC, &ap, cli_now_ms() - 500, NULL), WB_OK);
}

/* Runs `waybill key list` against the new node as acme. */
static int run_new_node(struct gfx *f)
{
    const char *argv[] = {"key", "list", "--node", NEW_NODE_ADDR, "--key",
                          f->t.key_path[TN_ACME], "--genesis", f->t.genesis_path, NULL};
    fake_reset(&f->fn);
    f->fn.answer = answer;
    f->fn.ctx = f;
    return cap_run(&f->cap, cmd_key_via, &f->conn, argv);
}

/* The fake's bundle verifies from genesis the way the client checks it:
 * every certificate against the set of its height; node4 is in the last
 * state's sets. */
static void expect_bundle_verifies(struct gfx *f, bool want)
{
    Waybill__ClientResponse resp = WAYBILL__CLIENT_RESPONSE__INIT;
    assert_int_equal(gfx_bundle(f, &resp), WB_OK);
    struct ledger_gov_history *h = malloc(sizeof *h);
    assert_non_null(h);
    char msg[512] = "";
    int rc = ledger_gov_history_verify(f->t.g, resp.proof, h, msg, sizeof msg);
    if (want && rc != WB_OK) fail_msg("the fake's governance bundle does not verify: %s", msg);
    if (!want && rc == WB_OK) fail_msg("the forged governance bundle verifies");
    if (rc == WB_OK) {
        assert_int_equal(h->events, f->n);
        const struct ledger_gov_epoch *set;
        assert_true(ledger_gov_validators_at(ledger_gov_history_last(h), 4, &set));
        assert_int_equal(set->count, 5);
        assert_memory_equal(set->validators[4].key, node4_pk, WB_PUBKEY_LEN);
    }
    ledger_gov_history_free(h);
    free(h);
}

static void node_added_by_governance_is_accepted(void **state)
{
    struct gfx *f = *state;
    gfx_genesis_with_api(f);
    char hex[65];
    new_key(node4_pk, hex);
    f->conn.connect = new_node_connect;

    /* before governance adds it: refused with the transport's reason, after
     * the connect that accepts any key found no governance chain to prove
     * the key with */
    expect_exit(f, run_new_node(f), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "answered with a key that is not a validator");
    expect_not_in("stderr", f->cap.err, "does not prove its key from genesis");
    assert_int_equal(f->fn.connects, 2);
    assert_string_equal(f->fn.addr, NEW_NODE_ADDR);
    assert_int_equal(f->fn.n_requests, 1);
    assert_int_equal(f->fn.requests[0]->req_case, WAYBILL__CLIENT_REQUEST__REQ_PROOF);
    assert_string_equal(f->fn.requests[0]->proof->item, WB_GOV_CHAIN);

    gfx_add_node4(f);
    expect_bundle_verifies(f, true);
    expect_exit(f, run_new_node(f), CLI_EXIT_OK);
    /* the refused connect, then the same node accepting any key (never
     * node0's API); its governance chain, verified, names node4 */
    assert_int_equal(f->fn.connects, 2);
    assert_string_equal(f->fn.addr, NEW_NODE_ADDR);
    /* on that one connection: the chain for the proof, then for key list */
    assert_int_equal(f->fn.n_requests, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(f->fn.requests[i]->req_case, WAYBILL__CLIENT_REQUEST__REQ_PROOF);
        assert_string_equal(f->fn.requests[i]->proof->item, WB_GOV_CHAIN);
    }
    expect_in("stdout", f->cap.out, "oceanic  validator  height 2  active\n");
    assert_string_equal(f->cap.err, "");
    f->conn.connect = fake_connect;
}

/* The same chain certified by keys that are not the validators' (member
 * keys in their names): the history does not verify, the node is refused. */
static void node_with_forged_certificates_is_refused(void **state)
{
    struct gfx *f = *state;
    char hex[65];
    new_key(node4_pk, hex);
    f->conn.connect = new_node_connect;
    f->cert_sks = f->t.org_sk;
    gfx_add_node4(f);
    expect_bundle_verifies(f, false);
    expect_exit(f, run_new_node(f), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "answered with a key that is not a validator");
    expect_in("stderr", f->cap.err, "does not prove its key from genesis");
    expect_in("stderr", f->cap.err,
              "certificate: block 1: precommit 0 (validator 0): bad signature");
    assert_int_equal(f->fn.connects, 2);
    assert_string_equal(f->cap.out, "");
    f->conn.connect = fake_connect;
}

/* ---- block: the certificate against the set of its height ------------------------------ */

/* An empty block at `height` certified by the validators of `set` listed in
 * signers (their secret keys in sks). */
static void gfx_block(struct gfx *f, uint64_t height, const uint32_t *signers,
                      const uint8_t (*sks)[WB_SECKEY_LEN], size_t n)
{
    struct ledger_block_header h;
    memset(&h, 0, sizeof h);
    h.version = WB_BLOCK_VERSION;
    memcpy(h.chain_id, f->t.g->chain_id, WB_CHAIN_ID_LEN);
    h.height = height;
    h.time_ms = cli_now_ms();
    h.proposer = signers[n - 1];
    free(f->block);
    assert_int_equal(ledger_block_build(&h, NULL, NULL, 0, &f->block, &f->block_len,
                                        f->block_hash),
                     WB_OK);
    f->block_height = height;
    Waybill__CommitCert cert = WAYBILL__COMMIT_CERT__INIT;
    Waybill__Vote votes[8], *ptrs[8];
    uint8_t sigs[8][WB_SIG_LEN];
    cert.height = height;
    cert.block_hash.data = f->block_hash;
    cert.block_hash.len = WB_HASH_LEN;
    for (size_t i = 0; i < n; i++) {
        uint8_t msg[WB_SIGMSG_MAX];
        size_t len = wb_sigmsg_vote(msg, f->t.g->chain_id, WAYBILL__VOTE_TYPE__PRECOMMIT, height,
                                    0, f->block_hash);
        assert_int_equal(wb_sign(msg, len, sks[i], sigs[i]), WB_OK);
        waybill__vote__init(&votes[i]);
        votes[i].type = WAYBILL__VOTE_TYPE__PRECOMMIT;
        votes[i].height = height;
        votes[i].block_hash.data = f->block_hash;
        votes[i].block_hash.len = WB_HASH_LEN;
        votes[i].validator = signers[i];
        votes[i].signature.data = sigs[i];
        votes[i].signature.len = WB_SIG_LEN;
        ptrs[i] = &votes[i];
    }
    cert.n_precommits = n;
    cert.precommits = ptrs;
    f->cert_len = waybill__commit_cert__get_packed_size(&cert);
    assert_true(f->cert_len <= sizeof f->cert);
    waybill__commit_cert__pack(&cert, f->cert);
}

static void block_certificate_of_a_new_set(void **state)
{
    struct gfx *f = *state;
    uint8_t pk4[32], sk4[WB_SECKEY_LEN], id[32];
    crypto_sign_keypair(pk4, sk4);
    struct ledger_gov_action p;
    memset(&p, 0, sizeof p);
    p.action = LEDGER_GOV_PROPOSE;
    p.kind = LEDGER_GOV_ADD_VALIDATOR;
    snprintf(p.validator.name, sizeof p.validator.name, "node4");
    snprintf(p.validator.org, sizeof p.validator.org, "customs");
    memcpy(p.validator.key, pk4, 32);
    snprintf(p.validator.p2p, sizeof p.validator.p2p, "127.0.0.1:7104");
    assert_int_equal(gfx_add(f, TN_ACME, &p, cli_now_ms() - 2000, id), WB_OK);
    struct ledger_gov_action ap = approve_of(id);
    assert_int_equal(gfx_add(f, TN_OCEANIC, &ap, cli_now_ms() - 1000, NULL), WB_OK);
    /* executed in block 2: block 4 is signed by the five, quorum 4 */
    uint8_t sks[4][WB_SECKEY_LEN];
    memcpy(sks[0], f->t.val_sk[0], WB_SECKEY_LEN);
    memcpy(sks[1], f->t.val_sk[1], WB_SECKEY_LEN);
    memcpy(sks[2], f->t.val_sk[2], WB_SECKEY_LEN);
    memcpy(sks[3], sk4, WB_SECKEY_LEN);
    const uint32_t signers[4] = {0, 1, 2, 4};
    gfx_block(f, 4, signers, (const uint8_t(*)[WB_SECKEY_LEN])sks, 4);
    const char *args[] = {"block", "4", NULL};
    expect_exit(f, run_as(f, cmd_block_via, TN_ACME, args), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, "certificate  valid, round 0, 4 precommits (quorum 4)\n");
    expect_in("stdout", f->cap.out, "node4 (4)");
    expect_in("stdout", f->cap.out, "proposer     4 (node4, org customs)\n");
    /* three of the old set at height 3 are its quorum */
    gfx_block(f, 3, signers, (const uint8_t(*)[WB_SECKEY_LEN])sks, 3);
    const char *three[] = {"block", "3", NULL};
    expect_exit(f, run_as(f, cmd_block_via, TN_ACME, three), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, "certificate  valid, round 0, 3 precommits (quorum 3)\n");
    /* the same three do not certify height 4 */
    gfx_block(f, 4, signers, (const uint8_t(*)[WB_SECKEY_LEN])sks, 3);
    expect_exit(f, run_as(f, cmd_block_via, TN_ACME, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "block 4: certificate does not verify");
}

/* ---- the replay ------------------------------------------------------------------------ */

static void replay_refuses_a_broken_chain(void **state)
{
    struct gfx *f = *state;
    uint8_t pk[32], id[32];
    char hex[65];
    new_key(pk, hex);
    struct ledger_gov_action p = propose_add_member("forwardco", pk);
    int64_t t0 = cli_now_ms() - 60000;
    assert_int_equal(gfx_add(f, TN_ACME, &p, t0, id), WB_OK);
    struct ledger_gov_action ap = approve_of(id);
    assert_int_equal(gfx_add(f, TN_OCEANIC, &ap, t0 + 1000, NULL), WB_OK);
    Waybill__ClientResponse resp = WAYBILL__CLIENT_RESPONSE__INIT;
    assert_int_equal(gfx_bundle(f, &resp), WB_OK);
    size_t len = waybill__proof_bundle__get_packed_size(resp.proof);
    uint8_t *buf = malloc(len);
    waybill__proof_bundle__pack(resp.proof, buf);
    struct ledger_gov gv;
    size_t n;
    char msg[GOV_STATE_MSG_MAX];
    assert_int_equal(gov_state_replay(f->t.g, buf, len, &gv, &n, msg, sizeof msg), WB_OK);
    assert_int_equal(n, 2);
    assert_int_equal(gv.view.org_count, 4);
    assert_int_equal(gv.height, 2);
    ledger_gov_free(&gv);
    free(buf);

    /* the approval alone: it links to an event the bundle lacks */
    Waybill__ProofBundle *pb = resp.proof;
    Waybill__ProofEvent *first = pb->events[0];
    char *item = pb->item;
    pb->events[0] = pb->events[1];
    pb->n_events = 1;
    len = waybill__proof_bundle__get_packed_size(pb);
    buf = malloc(len);
    waybill__proof_bundle__pack(pb, buf);
    assert_int_equal(gov_state_replay(f->t.g, buf, len, &gv, &n, msg, sizeof msg),
                     WB_ERR_PROTOCOL);
    expect_in("message", msg, "governance event 1 (height 2) is not the next event of "
                              WB_GOV_CHAIN);
    free(buf);
    /* a bundle of another item */
    pb->item = (char *)"urn:waybill:other";
    len = waybill__proof_bundle__get_packed_size(pb);
    buf = malloc(len);
    waybill__proof_bundle__pack(pb, buf);
    assert_int_equal(gov_state_replay(f->t.g, buf, len, &gv, &n, msg, sizeof msg),
                     WB_ERR_PROTOCOL);
    expect_in("message", msg, "another item");
    free(buf);
    pb->item = item;
    pb->events[0] = first;
    pb->n_events = 2;
    /* the node's governance chain that does not replay stops gov list */
    uint8_t junk[3] = {1, 2, 3};
    assert_int_equal(gov_state_replay(f->t.g, junk, sizeof junk, &gv, &n, msg, sizeof msg),
                     WB_ERR_PROTOCOL);
    expect_in("message", msg, "does not decode");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, gfx_setup, gfx_teardown)

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        T(usage_errors_send_nothing),
        T(help_of_every_subcommand),
        T(propose_builds_the_event_and_prints_the_proposal),
        T(propose_kinds_carry_their_arguments),
        T(approve_by_prefix_executes),
        T(approve_refusals_and_unknown_ids),
        T(lost_answer_is_resent),
        T(prefixes_resolve_to_one_proposal),
        T(list_and_show),
        T(key_add_and_revoke),
        T(key_list_statuses),
        T(status_shows_sets_and_proposals),
        T(replay_refuses_a_broken_chain),
        T(node_added_by_governance_is_accepted),
        T(node_with_forged_certificates_is_refused),
        T(block_certificate_of_a_new_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
