/* Unit tests of `waybill verify`: a real certified chain and its proof
 * bundle checked offline (--bundle/--genesis) and through a fake node; every
 * kind of tampering fails with exit 1 naming the event and the check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "tests/unit/cli_support.h"

struct vfx {
    struct tnet t;
    struct tbundle b;
    char bundle_path[TN_PATH];
    struct cap cap;
    struct fake_node fn;
    uint8_t *proof;              /* what the fake node answers */
    size_t proof_len;
    Waybill__ProofBundle *served; /* its last answer, decoded */
};

static int vfx_setup(void **state)
{
    unsetenv(CLIENT_ENV_NODE);
    unsetenv(CLIENT_ENV_KEY);
    unsetenv(CLIENT_ENV_GENESIS);
    struct vfx *f = calloc(1, sizeof *f);
    if (!f || tn_init(&f->t) != 0) return -1;
    char msg[256];
    if (tb_build(&f->t, &f->b, -1, msg, sizeof msg) != 0) {
        fprintf(stderr, "building the test chain failed: %s\n", msg);
        return -1;
    }
    snprintf(f->bundle_path, sizeof f->bundle_path, "%s/item.bundle", f->t.dir);
    *state = f;
    return 0;
}

static int vfx_teardown(void **state)
{
    struct vfx *f = *state;
    fake_reset(&f->fn);
    if (f->served) waybill__proof_bundle__free_unpacked(f->served, NULL);
    free(f->proof);
    tb_free(&f->b);
    tn_free(&f->t);
    free(f);
    return 0;
}

static void write_bundle(struct vfx *f)
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(tb_pack(&f->b, &buf, &len), WB_OK);
    assert_int_equal(wb_write_file(f->bundle_path, buf, len, 0644), WB_OK);
    free(buf);
}

/* verify --bundle F --genesis G [extra]; returns the exit code. */
static int run_offline(struct vfx *f, const char *extra)
{
    const char *argv[] = {"verify", "--bundle", f->bundle_path, "--genesis", f->t.genesis_path,
                          extra, NULL};
    return cap_run(&f->cap, cmd_verify_via, NULL, argv);
}

static void expect_in(const char *what, const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("%s lacks \"%s\"; it was:\n%s", what, want, text);
}

/* Exit 1 and the verdict line naming the event, its action and the check. */
static void expect_failed(struct vfx *f, int rc, size_t event, const char *action,
                          const char *check, const char *detail)
{
    char want[256];
    if (rc != CLI_EXIT_FAILED)
        fail_msg("expected exit 1, got %d; stdout:\n%s\nstderr:\n%s", rc, f->cap.out, f->cap.err);
    snprintf(want, sizeof want, "FAILED: event %zu (", event);
    expect_in("stdout", f->cap.out, want);
    snprintf(want, sizeof want, ", %s): %s: ", action, check);
    expect_in("stdout", f->cap.out, want);
    if (detail) expect_in("stdout", f->cap.out, detail);
    snprintf(want, sizeof want, "FAILED %s: ", check);
    expect_in("the event table", f->cap.out, want);
    if (strstr(f->cap.out, "VERIFIED")) fail_msg("a failed bundle printed VERIFIED:\n%s", f->cap.out);
}

static void honest_bundle_verifies(void **state)
{
    struct vfx *f = *state;
    write_bundle(f);
    int rc = run_offline(f, NULL);
    if (rc != CLI_EXIT_OK)
        fail_msg("expected exit 0, got %d; stdout:\n%s\nstderr:\n%s", rc, f->cap.out, f->cap.err);
    expect_in("stdout", f->cap.out, "VERIFIED: 8 events, 5 blocks, custodian oceanic\n");
    /* one row per event, in order, each ok */
    static const char *const actions[] = {"commission", "seal",   "handover", "receive",
                                          "load",       "depart", "arrive",   "inspect"};
    const char *p = f->cap.out;
    for (size_t i = 0; i < TB_JOURNEY_EVENTS; i++) {
        p = strstr(p, actions[i]);
        if (!p) fail_msg("event %zu (%s) is not listed in order:\n%s", i, actions[i], f->cap.out);
        const char *eol = strchr(p, '\n');
        assert_non_null(eol);
        if (eol - p < 3 || strncmp(eol - 2, "ok", 2) != 0)
            fail_msg("event %zu row does not end in ok:\n%s", i, f->cap.out);
    }
    expect_in("stdout", f->cap.out, "3:1");   /* receive: height 3, index 1 */
    expect_in("stdout", f->cap.out, "quorum 3");
    expect_in("stdout", f->cap.out,
              "governance: none in the bundle (the genesis validators and members)\n");
    /* No device, no plan: the evidence sections say so. */
    expect_in("stdout", f->cap.out,
              "Evidence: no device reports\n\nPlan: none recorded\n\nFindings: none\n");
    if (strstr(f->cap.out, "MARKED")) fail_msg("an event marked without governance:\n%s", f->cap.out);
    if (strstr(f->cap.out, "FAILED")) fail_msg("an honest bundle printed FAILED:\n%s", f->cap.out);
}

static void altered_event_byte_fails(void **state)
{
    struct vfx *f = *state;
    struct tb_event *te = &f->b.events[4];   /* load at NLRTM */
    uint8_t *loc = memmem(te->bytes, te->len, "NLRTM", 5);
    assert_non_null(loc);
    loc[4] = 'X';                           /* NLRTX: still a well-formed location */
    write_bundle(f);
    expect_failed(f, run_offline(f, NULL), 4, "load", "signature",
                  "the signature does not verify");
}

static void altered_signature_byte_fails(void **state)
{
    struct vfx *f = *state;
    struct tb_event *te = &f->b.events[6];
    te->bytes[te->len - 1] ^= 0x01;
    write_bundle(f);
    expect_failed(f, run_offline(f, NULL), 6, "arrive", "signature", NULL);
}

static void removed_middle_event_fails(void **state)
{
    struct vfx *f = *state;
    tb_remove_event(&f->b, 3);              /* receive */
    write_bundle(f);
    expect_failed(f, run_offline(f, NULL), 3, "load", "prev-link", "an event is missing");
}

static void cert_with_too_few_signatures_fails(void **state)
{
    struct vfx *f = *state;
    f->b.blocks[1].n_votes = 2;             /* block 2: seal, handover */
    write_bundle(f);
    expect_failed(f, run_offline(f, NULL), 1, "seal", "certificate",
                  "block 2: only 2 distinct valid precommits, quorum is 3");
}

static void cert_signed_by_non_validator_fails(void **state)
{
    struct vfx *f = *state;
    /* block 3's second precommit claims validator 1 but is signed by a key
     * no validator holds */
    assert_int_equal(tb_vote(&f->t, &f->b.blocks[2], 1, 1, f->t.org_sk[TN_OUTSIDER]), WB_OK);
    write_bundle(f);
    expect_failed(f, run_offline(f, NULL), 3, "receive", "certificate",
                  "block 3: precommit 1 (validator 1): bad signature");
}

static void event_signed_by_non_member_fails(void **state)
{
    struct vfx *f = *state;
    char msg[256];
    tb_free(&f->b);
    /* tb_journey[2] is the seal: sign it with the outsider key */
    if (tb_build(&f->t, &f->b, 2, msg, sizeof msg) != 0) fail_msg("tb_build: %s", msg);
    write_bundle(f);
    expect_failed(f, run_offline(f, NULL), 1, "seal", "member", "is not a member key");
}

static void wrong_item_fails(void **state)
{
    struct vfx *f = *state;
    write_bundle(f);
    int rc = run_offline(f, "CSQU0000070");
    assert_int_equal(rc, CLI_EXIT_FAILED);
    expect_in("stdout", f->cap.out,
              "FAILED: bundle: item: the bundle is for item CSQU3054383, not CSQU0000070");
}

static void other_chain_genesis_fails(void **state)
{
    struct vfx *f = *state;
    write_bundle(f);
    /* the same members and validators under another chain name */
    uint8_t *json;
    size_t len;
    assert_int_equal(wb_read_file(f->t.genesis_path, 1 << 20, &json, &len), WB_OK);
    char *name = strstr((char *)json, TN_CHAIN);
    assert_non_null(name);
    name[0] = 'x';
    char other[TN_PATH];
    snprintf(other, sizeof other, "%s/other-genesis.json", f->t.dir);
    assert_int_equal(wb_write_file(other, json, len, 0644), WB_OK);
    free(json);
    const char *argv[] = {"verify", "--bundle", f->bundle_path, "--genesis", other, NULL};
    /* said as such, before any event's signature fails under the wrong chain */
    assert_int_equal(cap_run(&f->cap, cmd_verify_via, NULL, argv), CLI_EXIT_FAILED);
    expect_in("stdout", f->cap.out, "FAILED: bundle is for chain id ");
    expect_in("stdout", f->cap.out, ", this genesis is chain xli-test-chain (id ");
}

static void garbage_bundle_fails(void **state)
{
    struct vfx *f = *state;
    const uint8_t junk[] = {0xff, 0xff, 0xff, 0x01, 0x02};
    assert_int_equal(wb_write_file(f->bundle_path, junk, sizeof junk, 0644), WB_OK);
    assert_int_equal(run_offline(f, NULL), CLI_EXIT_FAILED);
    expect_in("stdout", f->cap.out, "FAILED: bundle: decode: the proof bundle does not decode");
}

static void usage_and_file_errors(void **state)
{
    struct vfx *f = *state;
    const char *none[] = {"verify", NULL};
    assert_int_equal(cap_run(&f->cap, cmd_verify_via, NULL, none), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "give ITEM");

    const char *no_genesis[] = {"verify", "--bundle", f->bundle_path, NULL};
    assert_int_equal(cap_run(&f->cap, cmd_verify_via, NULL, no_genesis), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "no genesis file");

    const char *bad_item[] = {"verify", "MSCU1234565", "--bundle", f->bundle_path, NULL};
    assert_int_equal(cap_run(&f->cap, cmd_verify_via, NULL, bad_item), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "check digit is 5, expected 6");

    const char *missing[] = {"verify", "--bundle", "/nonexistent/b", "--genesis",
                             f->t.genesis_path, NULL};
    assert_int_equal(cap_run(&f->cap, cmd_verify_via, NULL, missing), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "cannot read bundle file /nonexistent/b");

    const char *help[] = {"verify", "--help", NULL};
    assert_int_equal(cap_run(&f->cap, cmd_verify_via, NULL, help), CLI_EXIT_OK);
    expect_in("help", f->cap.out, "usage: waybill verify ITEM");
    expect_in("help", f->cap.out, "--bundle FILE");
}

static void genesis_found_beside_key_folder(void **state)
{
    struct vfx *f = *state;
    write_bundle(f);
    /* DIR/node0/client.key -> DIR/genesis.json, as waybill testnet lays out */
    const char *argv[] = {"verify", "--bundle", f->bundle_path, "--key", f->t.key_path[0], NULL};
    int rc = cap_run(&f->cap, cmd_verify_via, NULL, argv);
    if (rc != CLI_EXIT_OK) fail_msg("exit %d:\n%s%s", rc, f->cap.out, f->cap.err);
    expect_in("stdout", f->cap.out, "VERIFIED: 8 events");
    /* the same from the environment */
    setenv(CLIENT_ENV_KEY, f->t.key_path[1], 1);
    const char *env[] = {"verify", "--bundle", f->bundle_path, NULL};
    rc = cap_run(&f->cap, cmd_verify_via, NULL, env);
    unsetenv(CLIENT_ENV_KEY);
    if (rc != CLI_EXIT_OK) fail_msg("exit %d:\n%s%s", rc, f->cap.out, f->cap.err);
}

static void json_output(void **state)
{
    struct vfx *f = *state;
    write_bundle(f);
    assert_int_equal(run_offline(f, "--json"), CLI_EXIT_OK);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    assert_true(json_is_true(json_object_get(root, "verified")));
    assert_int_equal(json_integer_value(json_object_get(root, "events_checked")), 8);
    assert_int_equal(json_integer_value(json_object_get(root, "blocks_checked")), 5);
    assert_true(json_is_null(json_object_get(root, "failure")));
    assert_int_equal(json_integer_value(json_object_get(root, "events_marked")), 0);
    json_t *gov = json_object_get(root, "governance");
    assert_true(json_is_object(gov));
    assert_true(json_is_false(json_object_get(gov, "present")));
    assert_true(json_is_null(json_object_get(gov, "complete_as_of")));
    json_t *events = json_object_get(root, "events");
    assert_int_equal(json_array_size(events), 8);
    json_t *e3 = json_array_get(events, 3);
    assert_string_equal(json_string_value(json_object_get(e3, "action")), "receive");
    assert_string_equal(json_string_value(json_object_get(e3, "org")), "oceanic");
    assert_int_equal(json_integer_value(json_object_get(e3, "height")), 3);
    char id[65];
    assert_string_equal(json_string_value(json_object_get(e3, "id")),
                        wb_hex_encode(f->b.events[3].id, 32, id, sizeof id));
    json_t *st = json_object_get(root, "state");
    assert_string_equal(json_string_value(json_object_get(st, "custodian")), "oceanic");
    assert_string_equal(json_string_value(json_object_get(st, "seal")), "SL-1001");
    json_t *evidence = json_object_get(root, "evidence");
    assert_true(json_is_object(evidence));
    assert_int_equal(json_array_size(json_object_get(evidence, "reports")), 0);
    assert_int_equal(json_array_size(json_object_get(evidence, "findings")), 0);
    json_decref(root);

    f->b.blocks[1].n_votes = 1;
    write_bundle(f);
    assert_int_equal(run_offline(f, "--json"), CLI_EXIT_FAILED);
    root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    assert_true(json_is_false(json_object_get(root, "verified")));
    json_t *failure = json_object_get(root, "failure");
    assert_int_equal(json_integer_value(json_object_get(failure, "event")), 1);
    assert_string_equal(json_string_value(json_object_get(failure, "check")), "certificate");
    events = json_object_get(root, "events");
    assert_int_equal(json_array_size(events), 2);
    assert_true(json_is_false(json_object_get(json_array_get(events, 1), "ok")));
    /* A bundle that failed proves no evidence. */
    assert_true(json_is_null(json_object_get(root, "evidence")));
    json_decref(root);
}

/* Block j's header with another time, hashed and certified again by the
 * same validators: valid signatures over forged content. */
static void forge_block_time(struct vfx *f, size_t j, int64_t time_ms)
{
    struct tb_block *blk = &f->b.blocks[j];
    struct ledger_block_header h;
    assert_int_equal(ledger_header_parse(blk->header, blk->header_len, &h, NULL, 0), WB_OK);
    h.time_ms = time_ms;
    assert_int_equal(ledger_header_encode(&h, blk->header, sizeof blk->header, &blk->header_len),
                     WB_OK);
    ledger_sha256(blk->header, blk->header_len, blk->hash);
    for (uint32_t v = 0; v < blk->n_votes; v++)
        assert_int_equal(tb_vote(&f->t, blk, v, v, f->t.val_sk[v]), WB_OK);
}

static void forged_header_fails_naming_its_check(void **state)
{
    struct vfx *f = *state;
    /* Block 3 (the receive, event 3) at block 2's time. */
    forge_block_time(f, 2, TN_GENESIS_TIME_MS + 2000);
    write_bundle(f);
    expect_failed(f, run_offline(f, NULL), 3, "receive", "time-order",
                  "block 3 has time");
    expect_in("stdout", f->cap.out, "time-order");

    assert_int_equal(run_offline(f, "--json"), CLI_EXIT_FAILED);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    json_t *failure = json_object_get(root, "failure");
    assert_int_equal(json_integer_value(json_object_get(failure, "event")), 3);
    assert_string_equal(json_string_value(json_object_get(failure, "check")), "time-order");
    json_t *e3 = json_array_get(json_object_get(root, "events"), 3);
    assert_string_equal(json_string_value(json_object_get(e3, "check")), "time-order");
    json_decref(root);
}

/* The encoded bundle with the tag of its last event (the head) flipped from
 * field 2 to field 6, which ProofBundle does not have. */
static void flip_head_tag(uint8_t *buf, size_t len)
{
    size_t pos = 0, last = SIZE_MAX;
    while (pos < len) {
        uint8_t tag = buf[pos];
        assert_int_equal(tag & 7, 2);
        size_t at = pos++;
        uint64_t l = 0;
        for (unsigned sh = 0; pos < len; sh += 7) {
            l |= (uint64_t)(buf[pos] & 0x7f) << sh;
            if (!(buf[pos++] & 0x80)) break;
        }
        if (tag == 0x12) last = at;
        pos += (size_t)l;
    }
    assert_true(last != SIZE_MAX);
    buf[last] ^= 0x20;
}

static void flipped_tag_of_head_event_fails(void **state)
{
    struct vfx *f = *state;
    uint8_t *buf;
    size_t len;
    assert_int_equal(tb_pack(&f->b, &buf, &len), WB_OK);
    flip_head_tag(buf, len);
    assert_int_equal(wb_write_file(f->bundle_path, buf, len, 0644), WB_OK);
    free(buf);
    assert_int_equal(run_offline(f, NULL), CLI_EXIT_FAILED);
    expect_in("stdout", f->cap.out, "FAILED: bundle: decode: proof bundle: unknown field 6\n");
    if (strstr(f->cap.out, "VERIFIED")) fail_msg("printed VERIFIED:\n%s", f->cap.out);
    assert_int_equal(run_offline(f, "--json"), CLI_EXIT_FAILED);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    assert_true(json_is_false(json_object_get(root, "verified")));
    json_t *failure = json_object_get(root, "failure");
    assert_true(json_is_null(json_object_get(failure, "event")));
    assert_string_equal(json_string_value(json_object_get(failure, "check")), "decode");
    json_decref(root);
}

/* ---- through a (fake) node ---------------------------------------------------- */

static int answer_proof(struct fake_node *fn, const Waybill__ClientRequest *req,
                        Waybill__ClientResponse *resp)
{
    struct vfx *f = fn->ctx;
    if (req->req_case != WAYBILL__CLIENT_REQUEST__REQ_PROOF) {
        resp->code = WB_ERR_INVALID;
        resp->reason = (char *)"unexpected request";
        return WB_OK;
    }
    if (strcmp(req->proof->item, TN_ITEM) != 0) {
        resp->code = WB_ERR_NOT_FOUND;
        resp->reason = (char *)"item not found";
        return WB_OK;
    }
    if (f->served) waybill__proof_bundle__free_unpacked(f->served, NULL);
    f->served = waybill__proof_bundle__unpack(NULL, f->proof_len, f->proof);
    if (!f->served) return WB_ERR_IO;
    resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_PROOF;
    resp->proof = f->served;
    return WB_OK;
}

static void online_verify(void **state)
{
    struct vfx *f = *state;
    assert_int_equal(tb_pack(&f->b, &f->proof, &f->proof_len), WB_OK);
    f->fn.answer = answer_proof;
    f->fn.ctx = f;
    struct client_connector conn = {.connect = fake_connect, .ctx = &f->fn};
    const char *argv[] = {"verify",    TN_ITEM, "--node", "127.0.0.1:26700", "--key",
                          f->t.key_path[2], NULL};
    int rc = cap_run(&f->cap, cmd_verify_via, &conn, argv);
    if (rc != CLI_EXIT_OK) fail_msg("exit %d:\n%s%s", rc, f->cap.out, f->cap.err);
    expect_in("stdout", f->cap.out, "VERIFIED: 8 events, 5 blocks, custodian oceanic");
    expect_in("stdout", f->cap.out, "item CSQU3054383 from node 127.0.0.1:26700");
    /* then the risk section's ledger-wide context: this node answers no
     * such request, so the section is judged from the bundle alone and
     * says why; the verdict stands */
    assert_int_equal(f->fn.n_requests, 2);
    assert_int_equal(f->fn.requests[0]->req_case, WAYBILL__CLIENT_REQUEST__REQ_PROOF);
    assert_int_equal(f->fn.requests[1]->req_case, WAYBILL__CLIENT_REQUEST__REQ_RISK_CONTEXT);
    expect_in("stdout", f->cap.out, "(offline: this bundle alone)");
    expect_in("stdout", f->cap.out,
              "note: the node's ledger-wide context could not be read (");
    assert_memory_equal(f->fn.client_pk, f->t.org_pk[TN_CUSTOMS], 32);
    assert_int_equal(f->fn.closes, 1);

    /* a node serving a tampered bundle is caught the same way */
    free(f->proof);
    f->b.blocks[4].n_votes = 2;
    assert_int_equal(tb_pack(&f->b, &f->proof, &f->proof_len), WB_OK);
    expect_failed(f, cap_run(&f->cap, cmd_verify_via, &conn, argv), 6, "arrive", "certificate",
                  NULL);

    /* a node serving the bundle with its head event's tag flipped: the
     * unknown field survives the client's decoding and packing */
    free(f->proof);
    f->b.blocks[4].n_votes = 3;
    assert_int_equal(tb_pack(&f->b, &f->proof, &f->proof_len), WB_OK);
    flip_head_tag(f->proof, f->proof_len);
    assert_int_equal(cap_run(&f->cap, cmd_verify_via, &conn, argv), CLI_EXIT_FAILED);
    expect_in("stdout", f->cap.out, "FAILED: bundle: decode: proof bundle: unknown field 6\n");

    /* an item the node does not know */
    const char *unknown[] = {"verify", "CSQU0000070", "--node", "127.0.0.1:26700", "--key",
                             f->t.key_path[2], NULL};
    assert_int_equal(cap_run(&f->cap, cmd_verify_via, &conn, unknown), CLI_EXIT_FAILED);
    assert_string_equal(f->cap.err, "waybill verify: no such item: CSQU0000070\n");
    assert_string_equal(f->cap.out, "");
    const char *unknown_json[] = {"verify", "CSQU0000070", "--json", "--node", "127.0.0.1:26700",
                                  "--key", f->t.key_path[2], NULL};
    assert_int_equal(cap_run(&f->cap, cmd_verify_via, &conn, unknown_json), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "waybill verify: no such item: CSQU0000070\n");
    {
        json_error_t jerr;
        json_t *err = json_loads(f->cap.out, 0, &jerr);
        if (!err) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
        assert_true(json_is_false(json_object_get(err, "ok")));
        assert_string_equal(json_string_value(json_object_get(err, "code")), "not_found");
        assert_string_equal(json_string_value(json_object_get(err, "item")), "CSQU0000070");
        json_decref(err);
    }

    /* a node that cannot be reached */
    f->fn.connect_rc = WB_ERR_UNREACHABLE;
    assert_int_equal(cap_run(&f->cap, cmd_verify_via, &conn, argv), CLI_EXIT_UNREACHABLE);
    expect_in("stderr", f->cap.err, "cannot reach node 127.0.0.1:26700");
}

/* ---- --quorum-read ----------------------------------------------------------------- */

/* Writes DIR/NAME: the test genesis with header_version 2 and, when api,
 * client API addresses 127.0.0.1:7200+i for every validator. */
static void write_genesis_v2(struct vfx *f, const char *name, bool api, char *path, size_t cap)
{
    json_error_t jerr;
    json_t *root = json_load_file(f->t.genesis_path, 0, &jerr);
    if (!root) fail_msg("cannot load %s: %s", f->t.genesis_path, jerr.text);
    assert_int_equal(json_object_set_new(root, "header_version", json_integer(2)), 0);
    json_t *vals = json_object_get(root, "validators");
    for (size_t i = 0; api && i < json_array_size(vals); i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "127.0.0.1:%zu", 7200 + i);
        assert_int_equal(json_object_set_new(json_array_get(vals, i), "api", json_string(addr)),
                         0);
    }
    snprintf(path, cap, "%s/%s", f->t.dir, name);
    assert_int_equal(json_dump_file(root, path, JSON_INDENT(2)), 0);
    json_decref(root);
}

/* A connector that records every address dialled, then acts as the fake node. */
struct qconn {
    struct fake_node *fn;
    size_t n;
    char addrs[8][64];
};

static int qconn_connect(void *ctx, const char *addr, const struct client_identity *id,
                         uint32_t timeout_ms, struct client_transport *out)
{
    struct qconn *q = ctx;
    if (q->n < 8) snprintf(q->addrs[q->n++], sizeof q->addrs[0], "%s", addr);
    return fake_connect(q->fn, addr, id, timeout_ms, out);
}

static void expect_exit(struct vfx *f, int rc, int want)
{
    if (rc != want)
        fail_msg("expected exit %d, got %d; stdout:\n%s\nstderr:\n%s", want, rc, f->cap.out,
                 f->cap.err);
}

static void quorum_read_options(void **state)
{
    struct vfx *f = *state;
    char g2[TN_PATH + 32], g2api[TN_PATH + 32];
    write_genesis_v2(f, "genesis-v2.json", false, g2, sizeof g2);
    write_genesis_v2(f, "genesis-v2-api.json", true, g2api, sizeof g2api);
    const char *key = f->t.key_path[2];
    struct qconn q = {.fn = &f->fn};
    struct client_connector conn = {.connect = qconn_connect, .ctx = &q};

    /* several --node without --quorum-read: refused as before */
    const char *twice[] = {"verify", TN_ITEM, "--node", "127.0.0.1:7200", "--node",
                           "127.0.0.1:7201", "--key", key, "--genesis", g2api, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, &conn, twice), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "--node given twice (several --node go with --quorum-read)");

    /* --quorum-read with no --node and a genesis without api addresses */
    const char *none[] = {"verify", TN_ITEM, "--quorum-read", "--key", key, "--genesis", g2,
                          NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, &conn, none), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "names no validator's client API address (\"api\"): give "
                                    "--node ADDR several times, 2 distinct nodes (f+1 of 4 "
                                    "validators)");
    /* one --node is not f+1 = 2 */
    const char *one[] = {"verify", TN_ITEM, "--quorum-read", "--node", "127.0.0.1:7200", "--key",
                         key, "--genesis", g2, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, &conn, one), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "--quorum-read needs 2 distinct nodes (f+1 of 4 validators) "
                                    "and has 1");
    /* the same node twice: as written, and as the same validator's api on loopback */
    const char *dup[] = {"verify", TN_ITEM, "--quorum-read", "--node", "127.0.0.1:7200",
                         "--node", "127.0.0.1:7200", "--key", key, "--genesis", g2, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, &conn, dup), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "--node 127.0.0.1:7200 names a node already given");
    const char *dup2[] = {"verify", TN_ITEM, "--quorum-read", "--node", "127.0.0.1:7200",
                          "--node", "localhost:7200", "--key", key, "--genesis", g2api, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, &conn, dup2), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "--node localhost:7200 names a node already given");
    /* a p2p port */
    const char *p2p[] = {"verify", TN_ITEM, "--quorum-read", "--node", "127.0.0.1:7101",
                         "--node", "127.0.0.1:7200", "--key", key, "--genesis", g2, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, &conn, p2p), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "is a node's p2p port (validator node1 in genesis)");
    /* with --bundle */
    const char *bundle[] = {"verify", "--quorum-read", "--bundle", f->bundle_path, "--genesis",
                            g2api, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, &conn, bundle), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "--quorum-read asks nodes");
    /* no key */
    const char *nokey[] = {"verify", TN_ITEM, "--quorum-read", "--genesis", g2api, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, &conn, nokey), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "no key file");
    /* a chain of header version 1 cannot prove a state: refused before any node is asked */
    const char *v1[] = {"verify", TN_ITEM, "--quorum-read", "--node", "127.0.0.1:7200", "--node",
                        "127.0.0.1:7201", "--key", key, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, &conn, v1), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "--quorum-read needs a chain of header version 2");
    assert_int_equal(q.n, 0);
    assert_int_equal(f->fn.connects, 0);
}

/* Nodes that do not answer, or serve a bundle that fails, are reported one
 * line each and skipped; the --node addresses are asked first, then the
 * genesis api addresses, until the list is exhausted. */
static void quorum_read_skips_and_fails_when_exhausted(void **state)
{
    struct vfx *f = *state;
    char g2api[TN_PATH + 32];
    write_genesis_v2(f, "genesis-v2-api.json", true, g2api, sizeof g2api);
    const char *key = f->t.key_path[2];
    struct qconn q = {.fn = &f->fn};
    struct client_connector conn = {.connect = qconn_connect, .ctx = &q};

    /* unreachable: every node is asked, --node first, then genesis in order */
    f->fn.connect_rc = WB_ERR_UNREACHABLE;
    const char *argv[] = {"verify", TN_ITEM, "--quorum-read", "--node", "127.0.0.1:7203",
                          "--key", key, "--genesis", g2api, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, &conn, argv), CLI_EXIT_FAILED);
    assert_int_equal(q.n, 4);
    assert_string_equal(q.addrs[0], "127.0.0.1:7203");
    assert_string_equal(q.addrs[1], "127.0.0.1:7200");
    assert_string_equal(q.addrs[2], "127.0.0.1:7201");
    assert_string_equal(q.addrs[3], "127.0.0.1:7202");
    expect_in("stderr", f->cap.err, "quorum read: node node3: skipped: cannot reach node "
                                    "127.0.0.1:7203");
    expect_in("stderr", f->cap.err, "quorum read: node node0: skipped: ");
    expect_in("stderr", f->cap.err, "quorum read: 0 of the 2 nodes needed (f+1 of 4 validators) "
                                    "answered with a verified, complete bundle; 4 asked");
    assert_string_equal(f->cap.out, "");

    /* reachable, but the bundle's headers are version 1 under a version-2
     * genesis: each fails its check and is skipped */
    q.n = 0;
    fake_reset(&f->fn);
    assert_int_equal(tb_pack(&f->b, &f->proof, &f->proof_len), WB_OK);
    f->fn.answer = answer_proof;
    f->fn.ctx = f;
    const char *json[] = {"verify", TN_ITEM, "--quorum-read", "--json", "--key", key, "--genesis",
                          g2api, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, &conn, json), CLI_EXIT_FAILED);
    assert_int_equal(q.n, 4);
    assert_int_equal(f->fn.n_requests, 4);
    assert_int_equal(f->fn.closes, 4);
    expect_in("stderr", f->cap.err, "quorum read: node node1: skipped: its bundle fails: ");
    expect_in("stderr", f->cap.err, "version");
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    assert_true(json_is_false(json_object_get(root, "ok")));
    assert_string_equal(json_string_value(json_object_get(root, "code")), "quorum");
    json_t *qr = json_object_get(root, "quorum_read");
    assert_int_equal(json_integer_value(json_object_get(qr, "needed")), 2);
    json_t *nodes = json_object_get(qr, "nodes");
    assert_int_equal(json_array_size(nodes), 4);
    json_t *n0 = json_array_get(nodes, 0);
    assert_string_equal(json_string_value(json_object_get(n0, "node")), "127.0.0.1:7200");
    assert_string_equal(json_string_value(json_object_get(n0, "validator")), "node0");
    assert_true(json_is_false(json_object_get(n0, "verified")));
    assert_true(json_is_null(json_object_get(n0, "height")));
    assert_non_null(strstr(json_string_value(json_object_get(n0, "error")), "its bundle fails"));
    json_decref(root);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, vfx_setup, vfx_teardown)
    const struct CMUnitTest tests[] = {
        T(honest_bundle_verifies),
        T(altered_event_byte_fails),
        T(altered_signature_byte_fails),
        T(removed_middle_event_fails),
        T(cert_with_too_few_signatures_fails),
        T(cert_signed_by_non_validator_fails),
        T(event_signed_by_non_member_fails),
        T(wrong_item_fails),
        T(other_chain_genesis_fails),
        T(garbage_bundle_fails),
        T(usage_and_file_errors),
        T(genesis_found_beside_key_folder),
        T(json_output),
        T(forged_header_fails_naming_its_check),
        T(flipped_tag_of_head_event_fails),
        T(online_verify),
        T(quorum_read_options),
        T(quorum_read_skips_and_fails_when_exhausted),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
