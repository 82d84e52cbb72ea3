/* Unit tests of the read commands over a fake node serving a real certified
 * chain: `waybill history`, `proof`, `block` and `status`, as tables and as
 * JSON, with the node's errors and malformed answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "cli/print.h"
#include "common/addr.h"
#include "ledger/gov.h"
#include "tests/unit/cli_support.h"

#define NODE_ADDR "127.0.0.1:26702"

struct rfx {
    struct tnet t;
    struct tbundle b;
    struct fake_node fn;
    struct client_connector conn;
    struct cap cap;
    /* what the fake node serves */
    int code;                           /* answer every request with this error */
    size_t block;                       /* index into b.blocks for block requests */
    bool corrupt_event;                 /* history: one event's bytes are garbage */
    bool wrong_hash;                    /* block: block_hash of another block */
    bool other_chain;                   /* status: another chain id */
    bool no_block_yet;                  /* status: height 0, no block time */
    /* answer storage */
    Waybill__ItemState *state_pb;
    Waybill__History history;
    Waybill__HistoryEntry entries[TB_EVENTS_MAX], *entry_ptrs[TB_EVENTS_MAX];
    uint8_t garbage[8];
    Waybill__ProofBundle *proof;
    Waybill__BlockResult br;
    Waybill__CommitCert cert;
    uint8_t *cert_bytes;              /* its encoding, as a node sends it */
    bool garbage_cert;                /* send bytes that are not a CommitCert */
    Waybill__Vote votes[TN_VALIDATORS], *vote_ptrs[TN_VALIDATORS];
    Waybill__NodeStatus status;
    uint8_t chain_id[WB_CHAIN_ID_LEN];
};

static int answer_history(struct rfx *f, Waybill__ClientResponse *resp)
{
    uint8_t buf[1024];
    size_t len;
    if (ledger_item_state_encode(&f->b.state, buf, sizeof buf, &len) != WB_OK) return WB_ERR_IO;
    if (f->state_pb) waybill__item_state__free_unpacked(f->state_pb, NULL);
    f->state_pb = waybill__item_state__unpack(NULL, len, buf);
    waybill__history__init(&f->history);
    f->history.state = f->state_pb;
    for (size_t i = 0; i < f->b.n_events; i++) {
        waybill__history_entry__init(&f->entries[i]);
        f->entries[i].signed_event.data = f->b.events[i].bytes;
        f->entries[i].signed_event.len = f->b.events[i].len;
        f->entries[i].height = f->b.events[i].height;
        f->entries[i].index = f->b.events[i].index;
        f->entry_ptrs[i] = &f->entries[i];
    }
    if (f->corrupt_event) {
        f->entries[2].signed_event.data = f->garbage;
        f->entries[2].signed_event.len = sizeof f->garbage;
    }
    f->history.n_events = f->b.n_events;
    f->history.events = f->entry_ptrs;
    resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_HISTORY;
    resp->history = &f->history;
    return WB_OK;
}

static int answer(struct fake_node *fn, const Waybill__ClientRequest *req,
                  Waybill__ClientResponse *resp)
{
    struct rfx *f = fn->ctx;
    if (f->code) {
        resp->code = f->code;
        resp->reason = (char *)(f->code == WB_ERR_NOT_FOUND ? "item not found" : "no luck");
        return WB_OK;
    }
    switch (req->req_case) {
    case WAYBILL__CLIENT_REQUEST__REQ_HISTORY:
        return answer_history(f, resp);
    case WAYBILL__CLIENT_REQUEST__REQ_PROOF: {
        if (strcmp(req->proof->item, WB_GOV_CHAIN) == 0) {
            /* No governance event: the genesis state. */
            resp->code = WB_ERR_NOT_FOUND;
            resp->reason = (char *)"item not found";
            return WB_OK;
        }
        uint8_t *buf;
        size_t len;
        if (tb_pack(&f->b, &buf, &len) != WB_OK) return WB_ERR_NOMEM;
        if (f->proof) waybill__proof_bundle__free_unpacked(f->proof, NULL);
        f->proof = waybill__proof_bundle__unpack(NULL, len, buf);
        free(buf);
        resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_PROOF;
        resp->proof = f->proof;
        return WB_OK;
    }
    case WAYBILL__CLIENT_REQUEST__REQ_BLOCK: {
        const struct tb_block *blk = &f->b.blocks[f->block];
        tb_cert(blk, &f->cert, f->votes, f->vote_ptrs);
        waybill__block_result__init(&f->br);
        f->br.height = blk->height;
        f->br.block.data = blk->bytes;
        f->br.block.len = blk->len;
        free(f->cert_bytes);
        size_t cert_len = waybill__commit_cert__get_packed_size(&f->cert);
        f->cert_bytes = malloc(cert_len ? cert_len : 1);
        if (!f->cert_bytes) return WB_ERR_NOMEM;
        waybill__commit_cert__pack(&f->cert, f->cert_bytes);
        f->br.cert.data = f->garbage_cert ? f->garbage : f->cert_bytes;
        f->br.cert.len = f->garbage_cert ? sizeof f->garbage : cert_len;
        f->br.block_hash.data = (uint8_t *)(f->wrong_hash ? f->b.blocks[0].hash : blk->hash);
        f->br.block_hash.len = WB_HASH_LEN;
        resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_BLOCK;
        resp->block = &f->br;
        return WB_OK;
    }
    case WAYBILL__CLIENT_REQUEST__REQ_STATUS:
        waybill__node_status__init(&f->status);
        f->status.name = (char *)"node1\x1b]0;owned\x07";
        f->status.validator = 1;
        f->status.height = 42;
        f->status.round = 2;
        f->status.last_hash.data = f->b.blocks[4].hash;
        f->status.last_hash.len = WB_HASH_LEN;
        f->status.peers_connected = 3;
        f->status.mempool_events = 12;
        f->status.mempool_bytes = 3456;
        f->status.evidence_count = 1;
        memcpy(f->chain_id, f->t.g->chain_id, WB_CHAIN_ID_LEN);
        if (f->other_chain) f->chain_id[0] ^= 1;
        f->status.chain_id.data = f->chain_id;
        f->status.chain_id.len = WB_CHAIN_ID_LEN;
        f->status.events_committed = 1000;
        f->status.last_block_time_ms = 1704067200123; /* 2024-01-01T00:00:00.123Z */
        if (f->no_block_yet) {
            f->status.height = 0;
            f->status.last_block_time_ms = 0;
        }
        f->status.storage = (char *)"full";
        resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_STATUS;
        resp->status = &f->status;
        return WB_OK;
    default:
        return WB_ERR_CLOSED;
    }
}

static int rfx_setup(void **state)
{
    unsetenv(CLIENT_ENV_NODE);
    unsetenv(CLIENT_ENV_KEY);
    unsetenv(CLIENT_ENV_GENESIS);
    struct rfx *f = calloc(1, sizeof *f);
    char msg[256];
    if (!f || tn_init(&f->t) != 0 || tb_build(&f->t, &f->b, -1, msg, sizeof msg) != 0) return -1;
    f->fn.answer = answer;
    f->fn.ctx = f;
    f->conn.connect = fake_connect;
    f->conn.ctx = &f->fn;
    memset(f->garbage, 0xee, sizeof f->garbage);
    *state = f;
    return 0;
}

static int rfx_teardown(void **state)
{
    struct rfx *f = *state;
    fake_reset(&f->fn);
    if (f->state_pb) waybill__item_state__free_unpacked(f->state_pb, NULL);
    if (f->proof) waybill__proof_bundle__free_unpacked(f->proof, NULL);
    tb_free(&f->b);
    tn_free(&f->t);
    free(f->cert_bytes);
    free(f);
    return 0;
}

/* Runs cmd with `args` then --node and customs' --key (genesis found beside
 * the key's folder). */
static int run(struct rfx *f, int (*cmd)(const struct client_connector *, int, char **),
               const char *const *args)
{
    const char *argv[32];
    size_t n = 0;
    for (; args[n] && n < 26; n++) argv[n] = args[n];
    argv[n++] = "--node";
    argv[n++] = NODE_ADDR;
    argv[n++] = "--key";
    argv[n++] = f->t.key_path[TN_CUSTOMS];
    argv[n] = NULL;
    fake_reset(&f->fn);
    f->fn.answer = answer;
    f->fn.ctx = f;
    return cap_run(&f->cap, cmd, &f->conn, argv);
}

static void expect_in(const char *what, const char *text, const char *want)
{
    if (!strstr(text, want)) fail_msg("%s lacks \"%s\"; it was:\n%s", what, want, text);
}

static void expect_exit(struct rfx *f, int rc, int want)
{
    if (rc != want)
        fail_msg("expected exit %d, got %d; stdout:\n%s\nstderr:\n%s", want, rc, f->cap.out,
                 f->cap.err);
}

static json_t *parse_json(struct rfx *f)
{
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    return root;
}

/* The table row whose first cell is `first`, or fail. */
static const char *row_of(struct rfx *f, const char *first)
{
    char want[32];
    snprintf(want, sizeof want, "\n%s ", first);
    const char *p = strstr(f->cap.out, want);
    if (!p) fail_msg("no table row %s in:\n%s", first, f->cap.out);
    return p + 1;
}

static void expect_row_has(struct rfx *f, const char *first, const char *const *cells)
{
    const char *row = row_of(f, first);
    const char *eol = strchr(row, '\n');
    size_t len = eol ? (size_t)(eol - row) : strlen(row);
    for (size_t i = 0; cells[i]; i++) {
        const char *hit = strstr(row, cells[i]);
        if (!hit || hit >= row + len)
            fail_msg("row %s lacks \"%s\": %.*s", first, cells[i], (int)len, row);
    }
}

/* ---- history ------------------------------------------------------------------------- */

static void history_table(void **state)
{
    struct rfx *f = *state;
    const char *args[] = {"history", TN_ITEM, NULL};
    expect_exit(f, run(f, cmd_history_via, args), CLI_EXIT_OK);
    assert_int_equal(f->fn.n_requests, 1);
    assert_int_equal(f->fn.requests[0]->req_case, WAYBILL__CLIENT_REQUEST__REQ_HISTORY);
    assert_string_equal(f->fn.requests[0]->history->item, TN_ITEM);
    expect_in("stdout", f->cap.out, "item       CSQU3054383\n");
    expect_in("stdout", f->cap.out, "custodian  oceanic\n");
    expect_in("stdout", f->cap.out, "status     active\n");
    expect_in("stdout", f->cap.out, "location   SGSIN\n");
    expect_in("stdout", f->cap.out, "movement   loaded, at rest\n");
    expect_in("stdout", f->cap.out, "held       no\n");
    expect_in("stdout", f->cap.out, "customs    none\n");
    expect_in("stdout", f->cap.out, "seal       SL-1001\n");
    expect_in("stdout", f->cap.out, "events     8 (heights 1 to 5)\n");
    expect_in("stdout", f->cap.out, "#  BLOCK  TIME");
    char id[9];
    const char *r0[] = {"1:1", "commission", "NLRTM", "acme", "-",
                        wb_hex_encode(f->b.events[0].id, 4, id, sizeof id), NULL};
    expect_row_has(f, "0", r0);
    const char *r2[] = {"2:1", "handover", "acme", "to=oceanic", NULL};
    expect_row_has(f, "2", r2);
    const char *r4[] = {"3:2", "load", "NLRTM", "oceanic", "vessel=\"MSC Anna\"", NULL};
    expect_row_has(f, "4", r4);
    const char *r7[] = {"5:1", "inspect", "customs", "result=ok", NULL};
    expect_row_has(f, "7", r7);
    char when[PRINT_TIME_MAX];
    const char *r1[] = {print_time(f->b.events[1].ev.time_ms, when), "seal=SL-1001", NULL};
    expect_row_has(f, "1", r1);
    assert_string_equal(f->cap.err, "");
}

static void history_json(void **state)
{
    struct rfx *f = *state;
    const char *args[] = {"history", TN_ITEM, "--json", NULL};
    expect_exit(f, run(f, cmd_history_via, args), CLI_EXIT_OK);
    json_t *root = parse_json(f);
    json_t *st = json_object_get(root, "state");
    assert_string_equal(json_string_value(json_object_get(st, "custodian")), "oceanic");
    assert_int_equal(json_integer_value(json_object_get(st, "count")), 8);
    assert_string_equal(json_string_value(json_object_get(st, "location")), "SGSIN");
    assert_string_equal(json_string_value(json_object_get(st, "movement")), "loaded");
    assert_string_equal(json_string_value(json_object_get(st, "customs")), "none");
    assert_true(json_is_false(json_object_get(st, "held")));
    assert_true(json_integer_value(json_object_get(st, "commission_time_ms")) ==
                f->b.events[0].ev.time_ms);
    char when[PRINT_TIME_MAX];
    assert_string_equal(json_string_value(json_object_get(st, "latest_time")),
                        print_time(f->b.events[7].ev.time_ms, when));
    assert_int_equal(json_integer_value(json_object_get(root, "events_out_of_order")), 0);
    json_t *events = json_object_get(root, "events");
    for (size_t i = 0; i < json_array_size(events); i++)
        assert_true(json_is_false(json_object_get(json_array_get(events, i), "out_of_order")));
    assert_int_equal(json_array_size(events), 8);
    json_t *e4 = json_array_get(events, 4);
    assert_string_equal(json_string_value(json_object_get(e4, "action")), "load");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(e4, "attrs"), "vessel")), "MSC Anna");
    assert_int_equal(json_integer_value(json_object_get(e4, "height")), 3);
    assert_int_equal(json_integer_value(json_object_get(e4, "index")), 2);
    char hex[65];
    assert_string_equal(json_string_value(json_object_get(e4, "prev")),
                        wb_hex_encode(f->b.events[3].id, 32, hex, sizeof hex));
    assert_true(json_is_null(json_object_get(json_array_get(events, 0), "prev")));
    json_decref(root);
}

static void history_errors(void **state)
{
    struct rfx *f = *state;
    f->code = WB_ERR_NOT_FOUND;
    const char *unknown[] = {"history", "CSQU0000070", NULL};
    expect_exit(f, run(f, cmd_history_via, unknown), CLI_EXIT_FAILED);
    assert_string_equal(f->cap.err, "waybill history: no such item: CSQU0000070\n");
    assert_string_equal(f->cap.out, "");
    const char *unknown_json[] = {"history", "CSQU0000070", "--json", NULL};
    expect_exit(f, run(f, cmd_history_via, unknown_json), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "waybill history: no such item: CSQU0000070\n");
    json_t *err = parse_json(f);
    assert_true(json_is_false(json_object_get(err, "ok")));
    assert_string_equal(json_string_value(json_object_get(err, "code")), "not_found");
    assert_string_equal(json_string_value(json_object_get(err, "error")), "no such item");
    assert_string_equal(json_string_value(json_object_get(err, "item")), "CSQU0000070");
    json_decref(err);
    f->code = 0;

    f->corrupt_event = true;
    const char *args[] = {"history", TN_ITEM, NULL};
    expect_exit(f, run(f, cmd_history_via, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "event 2 from the node is unreadable");
    expect_in("stderr", f->cap.err, "1 of 8 events could not be read");
    row_of(f, "3");   /* the other events are still listed */

    const char *none[] = {"history", NULL};
    expect_exit(f, run(f, cmd_history_via, none), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "ITEM is required");
    const char *bad[] = {"history", "CSQU3054384", NULL};
    expect_exit(f, run(f, cmd_history_via, bad), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "check digit is 4, expected 3");
    const char *two[] = {"history", TN_ITEM, TN_ITEM, NULL};
    expect_exit(f, run(f, cmd_history_via, two), CLI_EXIT_USAGE);
    assert_int_equal(f->fn.connects, 0);
}

/* ---- proof -------------------------------------------------------------------------- */

static void proof_writes_a_verifiable_file(void **state)
{
    struct rfx *f = *state;
    char out[TN_PATH];
    snprintf(out, sizeof out, "%s/journey.bundle", f->t.dir);
    const char *args[] = {"proof", TN_ITEM, "--out", out, NULL};
    expect_exit(f, run(f, cmd_proof_via, args), CLI_EXIT_OK);
    assert_int_equal(f->fn.requests[0]->req_case, WAYBILL__CLIENT_REQUEST__REQ_PROOF);
    expect_in("stdout", f->cap.out, "proof of item CSQU3054383, 8 events in 5 blocks (heights 1 "
                                    "to 5)");
    expect_in("stdout", f->cap.out, "waybill verify --bundle");
    /* This test chain's headers are version 1: no freshness proof, said so. */
    expect_in("stdout", f->cap.out, "without a freshness proof");
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);

    /* the file holds exactly the bundle the node sent */
    uint8_t *want, *got;
    size_t want_len, got_len;
    assert_int_equal(tb_pack(&f->b, &want, &want_len), WB_OK);
    assert_int_equal(wb_read_file(out, 1 << 20, &got, &got_len), WB_OK);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    free(want);
    free(got);

    /* and customs verifies it offline */
    const char *verify[] = {"verify", "--bundle", out, "--genesis", f->t.genesis_path, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, NULL, verify), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, "VERIFIED: 8 events, 5 blocks, custodian oceanic");
    expect_in("stdout", f->cap.out,
              "completeness not proven: this chain's block headers (version 1) commit to no "
              "item state");
    const char *strict[] = {"verify", "--bundle", out, "--genesis", f->t.genesis_path,
                            "--require-complete", NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, NULL, strict), CLI_EXIT_FAILED);
    expect_in("stdout", f->cap.out, "FAILED: completeness not proven (--require-complete)");
    const char *aged[] = {"verify", "--bundle", out, "--genesis", f->t.genesis_path,
                          "--max-age", "1h", NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, NULL, aged), CLI_EXIT_FAILED);
    expect_in("stdout", f->cap.out, "FAILED: completeness not proven, so not as of --max-age 1h");
    const char *bad_age[] = {"verify", "--bundle", out, "--genesis", f->t.genesis_path,
                             "--max-age", "1 h", NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, NULL, bad_age), CLI_EXIT_USAGE);
    /* state proves nothing without a freshness proof: the events verify,
     * but not that they are all of them. */
    const char *state_args[] = {"state", TN_ITEM, NULL};
    expect_exit(f, run(f, cmd_state_via, state_args), CLI_EXIT_FAILED);
    expect_in("stdout", f->cap.out,
              "NOT PROVED: completeness not proven: this chain's block headers (version 1)");
    const char *state_json[] = {"state", TN_ITEM, "--json", NULL};
    expect_exit(f, run(f, cmd_state_via, state_json), CLI_EXIT_FAILED);
    expect_in("stdout", f->cap.out, "\"proved\": false");

    const char *json[] = {"proof", TN_ITEM, "--out", out, "--json", NULL};
    expect_exit(f, run(f, cmd_proof_via, json), CLI_EXIT_OK);
    json_t *root = parse_json(f);
    assert_int_equal(json_integer_value(json_object_get(root, "events")), 8);
    assert_int_equal(json_integer_value(json_object_get(root, "blocks")), 5);
    assert_int_equal(json_integer_value(json_object_get(root, "bytes")), (json_int_t)got_len);
    assert_string_equal(json_string_value(json_object_get(root, "file")), out);
    json_decref(root);
}

static void proof_errors(void **state)
{
    struct rfx *f = *state;
    const char *no_out[] = {"proof", TN_ITEM, NULL};
    expect_exit(f, run(f, cmd_proof_via, no_out), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "--out FILE is required");
    const char *no_item[] = {"proof", "--out", "x", NULL};
    expect_exit(f, run(f, cmd_proof_via, no_item), CLI_EXIT_USAGE);
    assert_int_equal(f->fn.connects, 0);

    /* the node answers for another item than asked */
    const char *other[] = {"proof", "CSQU0000070", "--out", "/tmp/never-written", NULL};
    expect_exit(f, run(f, cmd_proof_via, other), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "not for item CSQU0000070");
    assert_int_equal(access("/tmp/never-written", F_OK), -1);

    f->code = WB_ERR_NOT_FOUND;
    expect_exit(f, run(f, cmd_proof_via, other), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "waybill proof: no such item: CSQU0000070\n");
    f->code = 0;

    const char *unwritable[] = {"proof", TN_ITEM, "--out", "/nonexistent/dir/b", NULL};
    expect_exit(f, run(f, cmd_proof_via, unwritable), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "cannot write /nonexistent/dir/b");
}

/* ---- the case of ITEM ------------------------------------------------------------------ */

/* A container number typed in lower case is looked up as submit signs it. */
static void lower_case_container_number_is_upper_cased(void **state)
{
    struct rfx *f = *state;
    const char *note = "note: item 'csqu3054383' taken as 'CSQU3054383'\n";
    const char *history[] = {"history", "csqu3054383", NULL};
    expect_exit(f, run(f, cmd_history_via, history), CLI_EXIT_OK);
    assert_string_equal(f->fn.requests[0]->history->item, TN_ITEM);
    expect_in("stdout", f->cap.out, "item       CSQU3054383\n");
    assert_string_equal(f->cap.err, "waybill history: note: item 'csqu3054383' taken as "
                                    "'CSQU3054383'\n");

    /* with --json the note stays on stderr: stdout is one JSON document */
    const char *json[] = {"history", "csqu3054383", "--json", NULL};
    expect_exit(f, run(f, cmd_history_via, json), CLI_EXIT_OK);
    json_t *root = parse_json(f);
    assert_string_equal(json_string_value(json_object_get(root, "item")), TN_ITEM);
    json_decref(root);
    expect_in("stderr", f->cap.err, note);

    char out[TN_PATH];
    snprintf(out, sizeof out, "%s/lower.bundle", f->t.dir);
    const char *proof[] = {"proof", "CSQu3054383", "--out", out, NULL};
    expect_exit(f, run(f, cmd_proof_via, proof), CLI_EXIT_OK);
    assert_string_equal(f->fn.requests[0]->proof->item, TN_ITEM);
    expect_in("stderr", f->cap.err, "waybill proof: note: item 'CSQu3054383' taken as "
                                    "'CSQU3054383'");

    const char *verify[] = {"verify", "--bundle", out, "csqu3054383", "--genesis",
                            f->t.genesis_path, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, NULL, verify), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, "VERIFIED: 8 events");
    expect_in("stderr", f->cap.err, "waybill verify: note: item 'csqu3054383' taken as");

    /* an id already in upper case gets no note; a wrong one is still refused */
    const char *upper[] = {"history", TN_ITEM, NULL};
    expect_exit(f, run(f, cmd_history_via, upper), CLI_EXIT_OK);
    assert_string_equal(f->cap.err, "");
    const char *bad[] = {"history", "csqu3054384", NULL};
    expect_exit(f, run(f, cmd_history_via, bad), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "note: item 'csqu3054384' taken as 'CSQU3054384'");
    expect_in("stderr", f->cap.err, "ITEM: container number CSQU3054384: check digit is 4, "
                                    "expected 3");
    /* a urn: id is case-sensitive: asked for as given, no note */
    f->code = WB_ERR_NOT_FOUND;
    const char *urn[] = {"history", "urn:epc:id:sgtin:0614141.112345.Ab", NULL};
    expect_exit(f, run(f, cmd_history_via, urn), CLI_EXIT_FAILED);
    assert_string_equal(f->fn.requests[0]->history->item, "urn:epc:id:sgtin:0614141.112345.Ab");
    if (strstr(f->cap.err, "note:")) fail_msg("a urn: id was changed:\n%s", f->cap.err);
    f->code = 0;
}

/* ---- block ---------------------------------------------------------------------------- */

static void block_header_events_and_signers(void **state)
{
    struct rfx *f = *state;
    f->block = 2;                       /* height 3: filler-2, receive, load */
    const struct tb_block *blk = &f->b.blocks[2];
    const char *args[] = {"block", "3", NULL};
    expect_exit(f, run(f, cmd_block_via, args), CLI_EXIT_OK);
    assert_int_equal(f->fn.requests[0]->req_case, WAYBILL__CLIENT_REQUEST__REQ_BLOCK);
    assert_int_equal(f->fn.requests[0]->block->height, 3);
    char hex[65], want[128];
    expect_in("stdout", f->cap.out, "height       3\n");
    snprintf(want, sizeof want, "hash         %s\n",
             wb_hex_encode(blk->hash, 32, hex, sizeof hex));
    expect_in("stdout", f->cap.out, want);
    snprintf(want, sizeof want, "previous     %s\n",
             wb_hex_encode(f->b.blocks[1].hash, 32, hex, sizeof hex));
    expect_in("stdout", f->cap.out, want);
    expect_in("stdout", f->cap.out, "events       3\n");
    expect_in("stdout", f->cap.out, "proposer     3 (node3, org acme)\n");
    expect_in("stdout", f->cap.out, "certificate  valid, round 0, 3 precommits (quorum 3)\n");
    expect_in("stdout", f->cap.out, "signers      node0 (0), node1 (1), node2 (2)\n");
    const char *r1[] = {wb_hex_encode(f->b.events[3].id, 32, hex, sizeof hex), TN_ITEM,
                        "receive", "oceanic", NULL};
    expect_row_has(f, "1", r1);
    const char *r0[] = {"urn:waybill:test:filler-2", "commission", "acme", NULL};
    expect_row_has(f, "0", r0);

    const char *latest[] = {"block", "latest", "--json", NULL};
    expect_exit(f, run(f, cmd_block_via, latest), CLI_EXIT_OK);
    assert_int_equal(f->fn.requests[0]->block->height, 0);
    json_t *root = parse_json(f);
    assert_int_equal(json_integer_value(json_object_get(root, "height")), 3);
    assert_string_equal(json_string_value(json_object_get(root, "hash")),
                        wb_hex_encode(blk->hash, 32, hex, sizeof hex));
    json_t *cert = json_object_get(root, "certificate");
    assert_true(json_is_true(json_object_get(cert, "valid")));
    assert_int_equal(json_array_size(json_object_get(cert, "signers")), 3);
    json_t *events = json_object_get(root, "events");
    assert_int_equal(json_array_size(events), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 2), "action")),
                        "load");
    json_decref(root);
}

static void block_problems_exit_1(void **state)
{
    struct rfx *f = *state;
    f->block = 1;
    f->b.blocks[1].n_votes = 2;
    const char *args[] = {"block", "2", NULL};
    expect_exit(f, run(f, cmd_block_via, args), CLI_EXIT_FAILED);
    expect_in("stdout", f->cap.out, "certificate  INVALID: only 2 distinct valid precommits");
    expect_in("stderr", f->cap.err, "block 2: certificate does not verify");

    f->b.blocks[1].n_votes = 3;
    f->wrong_hash = true;
    expect_exit(f, run(f, cmd_block_via, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "another hash for block 2");
    f->wrong_hash = false;

    /* Certificate bytes that are no CommitCert: shown as invalid, exit 1. */
    f->garbage_cert = true;
    expect_exit(f, run(f, cmd_block_via, args), CLI_EXIT_FAILED);
    expect_in("stdout", f->cap.out, "certificate  INVALID: certificate:");
    expect_in("stderr", f->cap.err, "block 2: certificate does not verify: certificate:");
    f->garbage_cert = false;

    /* asked for 4, answered with 2 */
    const char *four[] = {"block", "4", NULL};
    expect_exit(f, run(f, cmd_block_via, four), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "answered with block 2 for height 4");

    f->code = WB_ERR_NOT_FOUND;
    expect_exit(f, run(f, cmd_block_via, four), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "waybill block: block 4: ");
    f->code = 0;

    const char *zero[] = {"block", "0", NULL};
    expect_exit(f, run(f, cmd_block_via, zero), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "expected a height (1 or more) or 'latest'");
    const char *none[] = {"block", NULL};
    expect_exit(f, run(f, cmd_block_via, none), CLI_EXIT_USAGE);
    assert_int_equal(f->fn.connects, 0);
}

/* ---- status --------------------------------------------------------------------------- */

static void status_fields(void **state)
{
    struct rfx *f = *state;
    const char *args[] = {"status", NULL};
    expect_exit(f, run(f, cmd_status_via, args), CLI_EXIT_OK);
    assert_int_equal(f->fn.requests[0]->req_case, WAYBILL__CLIENT_REQUEST__REQ_STATUS);
    /* the node's name is shown without its terminal escape */
    expect_in("stdout", f->cap.out, "node        node1?]0;owned?\n");
    expect_in("stdout", f->cap.out, "validator   1 (node1, org oceanic; 4 validators, quorum 3)\n");
    expect_in("stdout", f->cap.out, "chain       " TN_CHAIN "\n");
    expect_in("stdout", f->cap.out, "height      42\n");
    expect_in("stdout", f->cap.out, "round       2\n");
    char hex[65], want[128];
    snprintf(want, sizeof want, "last hash   %s\n",
             wb_hex_encode(f->b.blocks[4].hash, 32, hex, sizeof hex));
    expect_in("stdout", f->cap.out, want);
    expect_in("stdout", f->cap.out, "peers       3 of 3 connected\n");
    expect_in("stdout", f->cap.out, "mempool     12 events, 3456 bytes\n");
    expect_in("stdout", f->cap.out, "evidence    1\n");
    expect_in("stdout", f->cap.out, "events      1000 committed\n");
    /* The age is by this machine's clock: only its form is fixed. */
    expect_in("stdout", f->cap.out, "last block  2024-01-01T00:00:00.123Z (");
    expect_in("stdout", f->cap.out, " d ");
    expect_in("stdout", f->cap.out, " h ago)\n");
    expect_in("stdout", f->cap.out, "storage     full\n");

    const char *json[] = {"status", "--json", NULL};
    expect_exit(f, run(f, cmd_status_via, json), CLI_EXIT_OK);
    json_t *root = parse_json(f);
    assert_int_equal(json_integer_value(json_object_get(root, "height")), 42);
    assert_int_equal(json_integer_value(json_object_get(root, "mempool_bytes")), 3456);
    assert_int_equal(json_integer_value(json_object_get(root, "events_committed")), 1000);
    assert_string_equal(json_string_value(json_object_get(root, "storage")), "full");
    assert_string_equal(json_string_value(json_object_get(root, "org")), "oceanic");
    assert_string_equal(json_string_value(json_object_get(root, "last_hash")), hex);
    assert_string_equal(json_string_value(json_object_get(root, "last_block_time")),
                        "2024-01-01T00:00:00.123Z");
    assert_true(json_integer_value(json_object_get(root, "last_block_age_ms")) > 0);
    json_decref(root);

    /* Before the first block there is no block time. */
    f->no_block_yet = true;
    expect_exit(f, run(f, cmd_status_via, args), CLI_EXIT_OK);
    expect_in("stdout", f->cap.out, "last block  none yet\n");
    expect_exit(f, run(f, cmd_status_via, json), CLI_EXIT_OK);
    root = parse_json(f);
    assert_true(json_is_null(json_object_get(root, "last_block_time")));
    assert_true(json_is_null(json_object_get(root, "last_block_age_ms")));
    json_decref(root);
    f->no_block_yet = false;

    f->other_chain = true;
    expect_exit(f, run(f, cmd_status_via, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "runs another chain");

    const char *extra[] = {"status", "now", NULL};
    expect_exit(f, run(f, cmd_status_via, extra), CLI_EXIT_USAGE);
}

static void age_is_readable(void **state)
{
    (void)state;
    static const struct {
        int64_t ms;
        const char *text;
    } cases[] = {
        {-5, "0 ms"},           {0, "0 ms"},
        {850, "850 ms"},        {12345, "12 s"},
        {59999, "59 s"},        {185000, "3 min 5 s"},
        {3600000, "1 h 0 min"}, {7440000 + 59000, "2 h 4 min"},
        {266400000, "3 d 2 h"},
    };
    char out[PRINT_AGE_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(print_age(cases[i].ms, out), cases[i].text);
}

/* ---- --node: the one address grammar, names, IPv6, a name that does not resolve ------ */

/* A connector whose resolver knows no name: says why, like the real one. */
static int unresolved_connect(void *ctx, const char *addr, const struct client_identity *id,
                              uint32_t timeout_ms, struct client_transport *out)
{
    struct fake_node *fn = ctx;
    (void)id;
    (void)timeout_ms;
    fn->connects++;
    snprintf(fn->addr, sizeof fn->addr, "%s", addr);
    snprintf(out->why, sizeof out->why, "unknown node or service");
    return WB_ERR_NOT_FOUND;
}

/* `status --node node`; the fake node's connect returns connect_rc. */
static int run_at(struct rfx *f, const char *node, int connect_rc)
{
    const char *argv[] = {"status", "--node", node, "--key", f->t.key_path[TN_CUSTOMS], NULL};
    fake_reset(&f->fn);
    f->fn.answer = answer;
    f->fn.ctx = f;
    f->fn.connect_rc = connect_rc;
    return cap_run(&f->cap, cmd_status_via, &f->conn, argv);
}

static void node_address_grammar_and_resolution(void **state)
{
    struct rfx *f = *state;
    /* Names and bracketed IPv6 reach the connector as given. */
    static const char *const good[] = {"localhost:26702", "[::1]:26702",
                                       "waybill.customs.example.:26702"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        expect_exit(f, run_at(f, good[i], 0), CLI_EXIT_OK);
        assert_string_equal(f->fn.addr, good[i]);
    }

    /* The genesis and node config's text, after "--node: "; nothing is dialed. */
    char why[WB_ADDR_MSG_MAX], want[WB_ADDR_MSG_MAX + 64];
    struct wb_addr a;
    assert_int_equal(wb_addr_parse("node_1:27101", &a, why, sizeof why), WB_ERR_INVALID);
    expect_exit(f, run_at(f, "node_1:27101", 0), CLI_EXIT_USAGE);
    snprintf(want, sizeof want, "waybill status: --node: %s\n", why);
    expect_in("stderr", f->cap.err, want);
    assert_int_equal(f->fn.connects, 0);
    expect_exit(f, run_at(f, "::1:26702", 0), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "an IPv6 address goes in brackets");

    /* A name the resolver does not know: exit 3, naming the host and why. */
    f->conn.connect = unresolved_connect;
    expect_exit(f, run_at(f, "nowhere.invalid:26702", 0), CLI_EXIT_UNREACHABLE);
    expect_in("stderr", f->cap.err,
              "waybill status: cannot resolve 'nowhere.invalid': unknown node or service\n");
    f->conn.connect = fake_connect;
    /* Without the connector's why, still a sentence. */
    expect_exit(f, run_at(f, "nowhere.invalid:26702", WB_ERR_NOT_FOUND), CLI_EXIT_UNREACHABLE);
    expect_in("stderr", f->cap.err,
              "cannot resolve 'nowhere.invalid': the resolver knows no address for it\n");
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, rfx_setup, rfx_teardown)
    const struct CMUnitTest tests[] = {
        T(history_table),
        T(history_json),
        T(history_errors),
        T(proof_writes_a_verifiable_file),
        T(proof_errors),
        T(lower_case_container_number_is_upper_cased),
        T(block_header_events_and_signers),
        T(block_problems_exit_1),
        T(status_fields),
        T(age_is_readable),
        T(node_address_grammar_and_resolution),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
