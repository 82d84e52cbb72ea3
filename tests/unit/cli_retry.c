/* Unit tests of retrying `waybill submit` (cli/submit_pending.c and its use
 * in cli/cmd_submit.c) over a fake node: a submit without a definite answer
 * keeps its signed bytes, the same submit run again resends exactly those
 * bytes, a definite answer removes them, --new signs afresh, and what
 * identifies "the same submit". */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "cli/print.h"
#include "cli/submit_pending.h"
#include "tests/unit/cli_support.h"

#define NODE_ADDR "127.0.0.1:26700"
#define ARGS_MAX 48

struct rfx {
    struct tnet t;
    struct fake_node fn;
    struct client_connector conn;
    struct cap cap;
    /* how the fake node answers a submit */
    int transport_rc;                   /* a transport failure after the request arrived */
    int code;                           /* a node error code */
    const char *reason;
    bool already;                       /* a SubmitResult for an event committed before */
    /* answer storage */
    struct ledger_item_state head_state;
    Waybill__ItemState *head_pb;
    Waybill__SubmitResult sr;
    uint8_t answer_id[WB_HASH_LEN];
};

static int answer(struct fake_node *fn, const Waybill__ClientRequest *req,
                  Waybill__ClientResponse *resp)
{
    struct rfx *f = fn->ctx;
    if (req->req_case == WAYBILL__CLIENT_REQUEST__REQ_HEAD) {
        uint8_t buf[1024];
        size_t len;
        if (ledger_item_state_encode(&f->head_state, buf, sizeof buf, &len) != WB_OK)
            return WB_ERR_IO;
        if (f->head_pb) waybill__item_state__free_unpacked(f->head_pb, NULL);
        f->head_pb = waybill__item_state__unpack(NULL, len, buf);
        resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_HEAD;
        resp->head = f->head_pb;
        return WB_OK;
    }
    if (req->req_case != WAYBILL__CLIENT_REQUEST__REQ_SUBMIT) return WB_ERR_CLOSED;
    if (f->transport_rc) return f->transport_rc;
    if (f->code) {
        resp->code = f->code;
        resp->reason = (char *)f->reason;
        return WB_OK;
    }
    const uint8_t *body;
    size_t body_len;
    uint8_t sig[WB_SIG_LEN];
    if (ledger_signed_event_split(req->submit->signed_event.data, req->submit->signed_event.len,
                                  &body, &body_len, sig) != WB_OK)
        return WB_ERR_IO;
    ledger_sha256(body, body_len, f->answer_id);
    waybill__submit_result__init(&f->sr);
    f->sr.event_id.data = f->answer_id;
    f->sr.event_id.len = WB_HASH_LEN;
    f->sr.committed = f->already || !req->submit->no_wait;
    f->sr.already_committed = f->already;
    f->sr.height = f->sr.committed ? (f->already ? 9 : 12) : 0;
    f->sr.index = f->sr.committed ? 1 : 0;
    resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_SUBMIT;
    resp->submit = &f->sr;
    return WB_OK;
}

static int rfx_setup(void **state)
{
    unsetenv(CLIENT_ENV_NODE);
    unsetenv(CLIENT_ENV_KEY);
    unsetenv(CLIENT_ENV_GENESIS);
    unsetenv(SUBMIT_PENDING_ENV_STATE);
    struct rfx *f = calloc(1, sizeof *f);
    if (!f || tn_init(&f->t) != 0) return -1;
    f->fn.answer = answer;
    f->fn.ctx = f;
    f->conn.connect = fake_connect;
    f->conn.ctx = &f->fn;
    snprintf(f->head_state.item, sizeof f->head_state.item, TN_ITEM);
    snprintf(f->head_state.custodian, sizeof f->head_state.custodian, "acme");
    f->head_state.status = LEDGER_ITEM_ACTIVE;
    f->head_state.count = 3;
    f->head_state.first_height = 1;
    f->head_state.last_height = 4;
    memset(f->head_state.head, 0xab, WB_HASH_LEN);
    *state = f;
    return 0;
}

static int rfx_teardown(void **state)
{
    struct rfx *f = *state;
    unsetenv(SUBMIT_PENDING_ENV_STATE);
    fake_reset(&f->fn);
    if (f->head_pb) waybill__item_state__free_unpacked(f->head_pb, NULL);
    tn_free(&f->t);
    free(f);
    return 0;
}

/* Runs submit with --node/--genesis, org `org`'s key, then `extra`. */
static int submit_as(struct rfx *f, int org, const char *const *extra)
{
    const char *argv[ARGS_MAX] = {"submit",           "--node",  NODE_ADDR,
                                  "--key",            f->t.key_path[org], "--genesis",
                                  f->t.genesis_path};
    size_t n = 7;
    for (size_t i = 0; extra[i] && n + 1 < ARGS_MAX; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    fake_reset(&f->fn);
    f->fn.answer = answer;
    f->fn.ctx = f;
    return cap_run(&f->cap, cmd_submit_via, &f->conn, argv);
}

static int submit(struct rfx *f, const char *const *extra) { return submit_as(f, TN_ACME, extra); }

static void expect_exit(struct rfx *f, int rc, int want)
{
    if (rc != want)
        fail_msg("expected exit %d, got %d; stdout:\n%s\nstderr:\n%s", want, rc, f->cap.out,
                 f->cap.err);
}

static void expect_in(const char *what, const char *text, const char *want)
{
    if (!strstr(text, want)) fail_msg("%s lacks \"%s\"; it was:\n%s", what, want, text);
}

static void expect_not_in(const char *what, const char *text, const char *unwanted)
{
    if (strstr(text, unwanted)) fail_msg("%s has \"%s\"; it was:\n%s", what, unwanted, text);
}

/* The last request of the run, which must be a submit: its bytes. */
static const ProtobufCBinaryData *sent(struct rfx *f)
{
    assert_true(f->fn.n_requests > 0);
    const Waybill__ClientRequest *rq = f->fn.requests[f->fn.n_requests - 1];
    assert_int_equal(rq->req_case, WAYBILL__CLIENT_REQUEST__REQ_SUBMIT);
    return &rq->submit->signed_event;
}

static void sent_event(struct rfx *f, struct ledger_event *ev)
{
    const ProtobufCBinaryData *b = sent(f);
    char msg[256] = "";
    if (ledger_signed_event_open(f->t.g->chain_id, b->data, b->len, true, ev, msg, sizeof msg))
        fail_msg("the submitted event does not open: %s", msg);
}

/* The pending files in folder `dir`: their count, and the path of the last
 * one found in `path` (may be NULL). */
static size_t pending_files(const char *dir, char *path, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 6, SUBMIT_PENDING_SUFFIX) != 0) continue;
        n++;
        if (path) snprintf(path, cap, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    return n;
}

static void acme_pending_dir(struct rfx *f, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/node0/" SUBMIT_PENDING_SUBDIR, f->t.dir);
}

static size_t acme_pending(struct rfx *f, char *path, size_t cap)
{
    char dir[TN_PATH + 16];
    acme_pending_dir(f, dir, sizeof dir);
    return pending_files(dir, path, cap);
}

static void expect_file_holds(const char *path, const ProtobufCBinaryData *b)
{
    uint8_t *buf;
    size_t len;
    if (wb_read_file(path, 1u << 16, &buf, &len) != WB_OK) fail_msg("cannot read %s", path);
    if (len != b->len || memcmp(buf, b->data, len) != 0)
        fail_msg("%s does not hold the bytes that were sent", path);
    free(buf);
}

static const char *const SEAL[] = {"--item", TN_ITEM, "--action", "seal", "--attr", "seal=SL-5",
                                   NULL};

/* ---- tests ------------------------------------------------------------------- */

static void lost_answer_keeps_the_event_and_the_same_submit_resends_it(void **state)
{
    struct rfx *f = *state;
    f->transport_rc = WB_ERR_CLOSED;
    expect_exit(f, submit(f, SEAL), CLI_EXIT_UNREACHABLE);
    assert_int_equal(f->fn.n_requests, 2); /* head, submit */
    uint8_t first[WB_SIGNED_EVENT_MAX];
    size_t first_len = sent(f)->len;
    memcpy(first, sent(f)->data, first_len);
    struct ledger_event ev1;
    sent_event(f, &ev1);
    char id[PRINT_HEX32], path[TN_PATH + 96];
    wb_hex_encode(ev1.id, WB_HASH_LEN, id, sizeof id);
    expect_in("stderr", f->cap.err, "closed the connection");
    expect_in("stderr", f->cap.err, "run the same submit again to resend it (kept in ");
    expect_in("stderr", f->cap.err, id);

    /* The file holds exactly the bytes sent, mode 0600 in a 0700 folder. */
    assert_int_equal(acme_pending(f, path, sizeof path), 1);
    expect_file_holds(path, sent(f));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char dir[TN_PATH + 16];
    acme_pending_dir(f, dir, sizeof dir);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    expect_in("stderr", f->cap.err, path);

    /* Still no answer: the same bytes again, and still kept. */
    f->transport_rc = WB_ERR_TIMEOUT;
    expect_exit(f, submit(f, SEAL), CLI_EXIT_UNREACHABLE);
    assert_int_equal(f->fn.n_requests, 1); /* no head lookup for a resend */
    assert_true(sent(f)->len == first_len && memcmp(sent(f)->data, first, first_len) == 0);
    expect_in("stderr", f->cap.err, "resending the event signed at ");
    expect_in("stderr", f->cap.err, id);
    assert_int_equal(acme_pending(f, NULL, 0), 1);

    /* The node committed it meanwhile: "already committed", exit 0, file gone. */
    f->transport_rc = 0;
    f->already = true;
    expect_exit(f, submit(f, SEAL), CLI_EXIT_OK);
    assert_int_equal(f->fn.n_requests, 1);
    assert_true(sent(f)->len == first_len && memcmp(sent(f)->data, first, first_len) == 0);
    char want[200];
    snprintf(want, sizeof want, "event %s already committed at height 9, index 1\n", id);
    assert_string_equal(f->cap.out, want);
    expect_in("stderr", f->cap.err, "which got no definite answer");
    assert_int_equal(acme_pending(f, NULL, 0), 0);

    /* With the answer had, the same options are a new event again. */
    f->already = false;
    expect_exit(f, submit(f, SEAL), CLI_EXIT_OK);
    assert_int_equal(f->fn.n_requests, 2);
    struct ledger_event ev2;
    sent_event(f, &ev2);
    assert_memory_not_equal(ev2.id, ev1.id, WB_HASH_LEN);
    assert_true(ev2.nonce != ev1.nonce);
    expect_in("stdout", f->cap.out, " committed at height 12, index 1\n");
    expect_not_in("stdout", f->cap.out, "already");
    assert_string_equal(f->cap.err, "");
    assert_int_equal(acme_pending(f, NULL, 0), 0);
}

static void resend_keeps_the_original_time_and_prev(void **state)
{
    struct rfx *f = *state;
    const char *args[] = {"--item", TN_ITEM, "--action", "depart", "--at", "NLRTM", NULL};
    f->transport_rc = WB_ERR_TIMEOUT;
    expect_exit(f, submit(f, args), CLI_EXIT_UNREACHABLE);
    struct ledger_event ev1, ev2;
    sent_event(f, &ev1);
    /* The head moved on in the meantime (to this very event, say). */
    memcpy(f->head_state.head, ev1.id, WB_HASH_LEN);
    f->transport_rc = 0;
    expect_exit(f, submit(f, args), CLI_EXIT_OK);
    sent_event(f, &ev2);
    assert_memory_equal(ev2.id, ev1.id, WB_HASH_LEN);
    assert_true(ev2.time_ms == ev1.time_ms);
    assert_memory_equal(ev2.prev, ev1.prev, WB_HASH_LEN);
    expect_in("stdout", f->cap.out, "committed at height 12, index 1");
    assert_int_equal(acme_pending(f, NULL, 0), 0);
}

static void what_makes_the_same_submit(void **state)
{
    struct rfx *f = *state;
    const char *first[] = {"--item", TN_ITEM, "--action", "inspect", "--attr", "result=ok",
                           "--attr", "note=x", NULL};
    f->transport_rc = WB_ERR_CLOSED;
    expect_exit(f, submit(f, first), CLI_EXIT_UNREACHABLE);
    struct ledger_event ev1, ev;
    sent_event(f, &ev1);
    f->transport_rc = 0;

    /* Another attribute value, location, time or prev: other submits,
     * signed afresh, and the kept event stays. */
    char prev[65];
    memset(f->head_state.head, 0xab, WB_HASH_LEN);
    wb_hex_encode(f->head_state.head, WB_HASH_LEN, prev, sizeof prev);
    const char *const others[][16] = {
        {"--item", TN_ITEM, "--action", "inspect", "--attr", "result=ok", "--attr", "note=y",
         NULL},
        {"--item", TN_ITEM, "--action", "inspect", "--attr", "result=ok", NULL},
        {"--item", TN_ITEM, "--action", "inspect", "--attr", "result=ok", "--attr", "note=x",
         "--at", "NLRTM", NULL},
        {"--item", TN_ITEM, "--action", "inspect", "--attr", "result=ok", "--attr", "note=x",
         "--time", "2026-11-22T10:00:00Z", NULL},
        {"--item", TN_ITEM, "--action", "inspect", "--attr", "result=ok", "--attr", "note=x",
         "--prev", prev, NULL},
        {"--item", "urn:waybill:other", "--action", "inspect", "--attr", "result=ok", "--attr",
         "note=x", "--prev", prev, NULL},
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        expect_exit(f, submit(f, others[i]), CLI_EXIT_OK);
        sent_event(f, &ev);
        if (memcmp(ev.id, ev1.id, WB_HASH_LEN) == 0)
            fail_msg("case %zu resent the kept event of another submit", i);
        expect_not_in("stderr", f->cap.err, "resending");
        assert_int_equal(acme_pending(f, NULL, 0), 1);
    }

    /* Another key, even with the same state folder and options: its own. */
    char state_dir[TN_PATH];
    snprintf(state_dir, sizeof state_dir, "%s/state", f->t.dir);
    setenv(SUBMIT_PENDING_ENV_STATE, state_dir, 1);
    f->transport_rc = WB_ERR_CLOSED;
    expect_exit(f, submit(f, first), CLI_EXIT_UNREACHABLE);
    sent_event(f, &ev1);
    f->transport_rc = 0;
    expect_exit(f, submit_as(f, TN_OCEANIC, first), CLI_EXIT_OK);
    sent_event(f, &ev);
    assert_memory_not_equal(ev.id, ev1.id, WB_HASH_LEN);
    expect_not_in("stderr", f->cap.err, "resending");

    /* Attribute order and the options outside the event do not matter. */
    const char *same[] = {"--item", TN_ITEM, "--action", "inspect", "--attr", "note=x",
                          "--attr", "result=ok", "--json", "--timeout", "9", NULL};
    expect_exit(f, submit(f, same), CLI_EXIT_OK);
    sent_event(f, &ev);
    assert_memory_equal(ev.id, ev1.id, WB_HASH_LEN);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    assert_true(json_is_true(json_object_get(root, "resent")));
    assert_true(json_is_true(json_object_get(root, "committed")));
    assert_true(json_is_false(json_object_get(root, "already_committed")));
    assert_int_equal(json_integer_value(json_object_get(root, "height")), 12);
    json_decref(root);
    char state_pending[TN_PATH + 16];
    snprintf(state_pending, sizeof state_pending, "%s/" SUBMIT_PENDING_SUBDIR, state_dir);
    assert_int_equal(pending_files(state_pending, NULL, 0), 0);
    struct stat st;
    assert_int_equal(stat(state_dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    /* The one kept beside the key before the variable was set is still there. */
    assert_int_equal(acme_pending(f, NULL, 0), 1);
}

static void pending_key_reads_only_the_submit_fields(void **state)
{
    struct rfx *f = *state;
    struct ledger_event a;
    memset(&a, 0, sizeof a);
    snprintf(a.item, sizeof a.item, TN_ITEM);
    a.action = LEDGER_SEAL;
    a.attr_count = 2;
    snprintf(a.attrs[0].key, sizeof a.attrs[0].key, "seal");
    snprintf(a.attrs[0].value, sizeof a.attrs[0].value, "S1");
    snprintf(a.attrs[1].key, sizeof a.attrs[1].key, "note");
    snprintf(a.attrs[1].value, sizeof a.attrs[1].value, "n");
    a.time_ms = 1;
    const uint8_t *chain = f->t.g->chain_id;
    const uint8_t *pk = f->t.org_pk[TN_ACME];
    uint8_t k1[WB_HASH_LEN], k2[WB_HASH_LEN];
    submit_pending_key(chain, pk, &a, false, false, k1);

    struct ledger_event b = a;
    b.nonce = 77;                    /* nonce, submitter field, time and prev not given */
    b.time_ms = 2;
    b.has_prev = true;
    memset(b.prev, 3, WB_HASH_LEN);
    memset(b.submitter, 9, WB_PUBKEY_LEN);
    b.attrs[0] = a.attrs[1];         /* attribute order */
    b.attrs[1] = a.attrs[0];
    submit_pending_key(chain, pk, &b, false, false, k2);
    assert_memory_equal(k1, k2, WB_HASH_LEN);

    /* given time and prev count */
    submit_pending_key(chain, pk, &b, false, true, k2);
    assert_memory_not_equal(k1, k2, WB_HASH_LEN);
    submit_pending_key(chain, pk, &b, true, false, k2);
    assert_memory_not_equal(k1, k2, WB_HASH_LEN);
    /* another key, chain, location, receiver or attribute */
    submit_pending_key(chain, f->t.org_pk[TN_OCEANIC], &a, false, false, k2);
    assert_memory_not_equal(k1, k2, WB_HASH_LEN);
    uint8_t other_chain[WB_CHAIN_ID_LEN];
    memset(other_chain, 1, sizeof other_chain);
    submit_pending_key(other_chain, pk, &a, false, false, k2);
    assert_memory_not_equal(k1, k2, WB_HASH_LEN);
    b = a;
    snprintf(b.location, sizeof b.location, "NLRTM");
    submit_pending_key(chain, pk, &b, false, false, k2);
    assert_memory_not_equal(k1, k2, WB_HASH_LEN);
    b = a;
    snprintf(b.to_org, sizeof b.to_org, "oceanic");
    submit_pending_key(chain, pk, &b, false, false, k2);
    assert_memory_not_equal(k1, k2, WB_HASH_LEN);
    /* fields cannot run into each other: "seal"="S1" vs "sealS"="1" */
    b = a;
    snprintf(b.attrs[0].key, sizeof b.attrs[0].key, "sealS");
    snprintf(b.attrs[0].value, sizeof b.attrs[0].value, "1");
    submit_pending_key(chain, pk, &b, false, false, k2);
    assert_memory_not_equal(k1, k2, WB_HASH_LEN);
    /* two device reports on one item differ only in the report: each its
     * own submit, and so does the device's signature */
    struct ledger_event *r1 = calloc(1, sizeof *r1), *r2 = calloc(1, sizeof *r2);
    assert_non_null(r1);
    assert_non_null(r2);
    snprintf(r1->item, sizeof r1->item, TN_ITEM);
    r1->action = LEDGER_READING;
    r1->device_report_len = 3;
    memcpy(r1->device_report, "\x08\x01\x10", 3);
    *r2 = *r1;
    uint8_t kr1[WB_HASH_LEN], kr2[WB_HASH_LEN];
    submit_pending_key(chain, pk, r1, false, false, kr1);
    submit_pending_key(chain, pk, r2, false, false, kr2);
    assert_memory_equal(kr1, kr2, WB_HASH_LEN);
    r2->device_report[2] = 0x11;
    submit_pending_key(chain, pk, r2, false, false, kr2);
    assert_memory_not_equal(kr1, kr2, WB_HASH_LEN);
    *r2 = *r1;
    r2->device_sig[0] = 1;
    submit_pending_key(chain, pk, r2, false, false, kr2);
    assert_memory_not_equal(kr1, kr2, WB_HASH_LEN);
    free(r1);
    free(r2);
}

static void new_signs_afresh(void **state)
{
    struct rfx *f = *state;
    f->transport_rc = WB_ERR_CLOSED;
    expect_exit(f, submit(f, SEAL), CLI_EXIT_UNREACHABLE);
    struct ledger_event ev1, ev2;
    sent_event(f, &ev1);
    f->transport_rc = 0;
    const char *fresh[] = {"--item", TN_ITEM, "--action", "seal", "--attr", "seal=SL-5", "--new",
                           NULL};
    expect_exit(f, submit(f, fresh), CLI_EXIT_OK);
    assert_int_equal(f->fn.n_requests, 2);
    sent_event(f, &ev2);
    assert_memory_not_equal(ev2.id, ev1.id, WB_HASH_LEN);
    expect_not_in("stderr", f->cap.err, "resending");
    /* the new event replaced the kept one, and its answer removed it */
    assert_int_equal(acme_pending(f, NULL, 0), 0);

    const char *help[] = {"submit", "--help", NULL};
    expect_exit(f, cap_run(&f->cap, cmd_submit_via, &f->conn, help), CLI_EXIT_OK);
    expect_in("help", f->cap.out, "--new");
    expect_in("help", f->cap.out, "[--new]");
    expect_in("help", f->cap.out, "WAYBILL_STATE_DIR");
    expect_in("help", f->cap.out, "[--timeout SECONDS]");
}

static void definite_answers_remove_the_file_open_ones_keep_it(void **state)
{
    struct rfx *f = *state;
    char path[TN_PATH + 96];

    /* A first send refused by the rules: nothing recorded anywhere, removed. */
    f->code = WB_ERR_RULE;
    f->reason = "seal: the item is sealed already";
    expect_exit(f, submit(f, SEAL), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "rejected: seal: the item is sealed already");
    expect_not_in("stderr", f->cap.err, "kept");
    assert_int_equal(acme_pending(f, NULL, 0), 0);

    /* Busy: the node may hold it (too many clients waiting); kept. */
    f->code = WB_ERR_BUSY;
    f->reason = "too many clients waiting for commits; retry";
    expect_exit(f, submit(f, SEAL), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "rejected: too many clients waiting");
    expect_in("stderr", f->cap.err, "is kept in ");
    assert_int_equal(acme_pending(f, path, sizeof path), 1);

    /* A resend refused as stale may come from a node that has not caught
     * up: kept, and the message says what to do. */
    f->code = WB_ERR_STALE;
    f->reason = "stale: the item's head moved on";
    const char *json[] = {"--item", TN_ITEM, "--action", "seal", "--attr", "seal=SL-5", "--json",
                          NULL};
    expect_exit(f, submit(f, json), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "resending");
    expect_in("stderr", f->cap.err, "has not caught up");
    expect_in("stderr", f->cap.err, "--new");
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    assert_true(json_is_true(json_object_get(root, "rejected")));
    assert_true(json_is_true(json_object_get(root, "resent")));
    assert_true(json_is_true(json_object_get(root, "kept")));
    json_decref(root);
    assert_int_equal(acme_pending(f, NULL, 0), 1);

    /* The node itself timed out: exit 3, kept. */
    f->code = WB_ERR_TIMEOUT;
    f->reason = "the node timed out";
    expect_exit(f, submit(f, SEAL), CLI_EXIT_UNREACHABLE);
    expect_in("stderr", f->cap.err, "run the same submit again to resend it (kept in ");
    assert_int_equal(acme_pending(f, NULL, 0), 1);

    /* A resend refused for what it is (its signature): removed. */
    f->code = WB_ERR_SIGNATURE;
    f->reason = "signature verification failed";
    expect_exit(f, submit(f, json), CLI_EXIT_FAILED);
    root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    assert_true(json_is_true(json_object_get(root, "resent")));
    assert_true(json_is_false(json_object_get(root, "kept")));
    json_decref(root);
    assert_int_equal(acme_pending(f, NULL, 0), 0);

    /* --no-wait: the node's "accepted" is an answer; removed. */
    f->code = 0;
    f->transport_rc = WB_ERR_CLOSED;
    expect_exit(f, submit(f, SEAL), CLI_EXIT_UNREACHABLE);
    assert_int_equal(acme_pending(f, NULL, 0), 1);
    f->transport_rc = 0;
    const char *no_wait[] = {"--item", TN_ITEM, "--action", "seal", "--attr", "seal=SL-5",
                             "--no-wait", NULL};
    expect_exit(f, submit(f, no_wait), CLI_EXIT_OK);
    expect_in("stderr", f->cap.err, "resending");
    expect_in("stdout", f->cap.out, "accepted, not waited for");
    assert_true(f->fn.requests[0]->submit->no_wait);
    assert_int_equal(acme_pending(f, NULL, 0), 0);
}

static void a_foreign_pending_file_stops_the_submit_unless_new(void **state)
{
    struct rfx *f = *state;
    char path[TN_PATH + 96];
    f->transport_rc = WB_ERR_CLOSED;
    expect_exit(f, submit(f, SEAL), CLI_EXIT_UNREACHABLE);
    assert_int_equal(acme_pending(f, path, sizeof path), 1);
    f->transport_rc = 0;

    assert_int_equal(wb_write_file(path, "garbage", 7, 0600), WB_OK);
    expect_exit(f, submit(f, SEAL), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "pending file ");
    expect_in("stderr", f->cap.err, "is not a signed event of this chain");
    expect_in("stderr", f->cap.err, "add --new");
    assert_int_equal(f->fn.n_requests, 0);

    /* The event of another submit under this one's name. */
    const char *other[] = {"--item", TN_ITEM, "--action", "unseal", NULL};
    f->transport_rc = WB_ERR_CLOSED;
    expect_exit(f, submit(f, other), CLI_EXIT_UNREACHABLE);
    f->transport_rc = 0;
    uint8_t bytes[WB_SIGNED_EVENT_MAX];
    memcpy(bytes, sent(f)->data, sent(f)->len);
    assert_int_equal(wb_write_file(path, bytes, sent(f)->len, 0600), WB_OK);
    expect_exit(f, submit(f, SEAL), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "holds an event of another submit (unseal");
    assert_int_equal(f->fn.n_requests, 0);

    const char *fresh[] = {"--item", TN_ITEM, "--action", "seal", "--attr", "seal=SL-5", "--new",
                           NULL};
    expect_exit(f, submit(f, fresh), CLI_EXIT_OK);
    assert_int_equal(f->fn.n_requests, 2);
    /* the seal's file is gone; the unseal's is still kept */
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(acme_pending(f, NULL, 0), 1);
}

static void unwritable_state_folder_warns_and_submits(void **state)
{
    struct rfx *f = *state;
    char state_dir[TN_PATH + 16];
    /* A folder inside a regular file cannot be created. */
    snprintf(state_dir, sizeof state_dir, "%s/x", f->t.genesis_path);
    setenv(SUBMIT_PENDING_ENV_STATE, state_dir, 1);
    expect_exit(f, submit(f, SEAL), CLI_EXIT_OK);
    expect_in("stderr", f->cap.err, "cannot keep the signed event for a retry");
    expect_in("stderr", f->cap.err, "WAYBILL_STATE_DIR");
    expect_in("stdout", f->cap.out, "committed at height 12");

    f->transport_rc = WB_ERR_CLOSED;
    expect_exit(f, submit(f, SEAL), CLI_EXIT_UNREACHABLE);
    expect_in("stderr", f->cap.err, "check with waybill history");
    expect_not_in("stderr", f->cap.err, "kept in");
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, rfx_setup, rfx_teardown)
    const struct CMUnitTest tests[] = {
        T(lost_answer_keeps_the_event_and_the_same_submit_resends_it),
        T(resend_keeps_the_original_time_and_prev),
        T(what_makes_the_same_submit),
        T(pending_key_reads_only_the_submit_fields),
        T(new_signs_afresh),
        T(definite_answers_remove_the_file_open_ones_keep_it),
        T(a_foreign_pending_file_stops_the_submit_unless_new),
        T(unwritable_state_folder_warns_and_submits),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
