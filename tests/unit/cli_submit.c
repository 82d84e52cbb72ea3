/* Unit tests of `waybill submit` over a fake node: option parsing and every
 * usage error (exit 2, nothing sent), the event built from the options
 * (fields, signature, prev from the head or --prev, none for commission),
 * answers of the node (committed, accepted, rejected) and transport failures
 * with their exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <time.h>

#include "tests/unit/cli_support.h"

#define NODE_ADDR "127.0.0.1:26700"
#define ARGS_MAX 48

struct sfx {
    struct tnet t;
    struct fake_node fn;
    struct client_connector conn;
    struct cap cap;
    /* how the fake node answers */
    int head_code;                      /* 0: answer head_state */
    struct ledger_item_state head_state;
    int submit_code;                    /* 0: a SubmitResult */
    const char *submit_reason;
    int submit_transport_rc;            /* a transport failure instead */
    bool wrong_event_id;
    bool wrong_response_id;
    /* answer storage */
    Waybill__ItemState *head_pb;
    Waybill__SubmitResult sr;
    uint8_t answer_id[WB_HASH_LEN];
};

static int answer(struct fake_node *fn, const Waybill__ClientRequest *req,
                  Waybill__ClientResponse *resp)
{
    struct sfx *f = fn->ctx;
    if (f->wrong_response_id) resp->id = req->id + 1;
    if (req->req_case == WAYBILL__CLIENT_REQUEST__REQ_HEAD) {
        if (f->head_code) {
            resp->code = f->head_code;
            resp->reason = (char *)"item not found";
            return WB_OK;
        }
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
    if (f->submit_transport_rc) return f->submit_transport_rc;
    if (f->submit_code) {
        resp->code = f->submit_code;
        resp->reason = (char *)f->submit_reason;
        return WB_OK;
    }
    const uint8_t *body;
    size_t body_len;
    uint8_t sig[WB_SIG_LEN];
    if (ledger_signed_event_split(req->submit->signed_event.data, req->submit->signed_event.len,
                                  &body, &body_len, sig) != WB_OK)
        return WB_ERR_IO;
    ledger_sha256(body, body_len, f->answer_id);
    if (f->wrong_event_id) f->answer_id[0] ^= 1;
    waybill__submit_result__init(&f->sr);
    f->sr.event_id.data = f->answer_id;
    f->sr.event_id.len = WB_HASH_LEN;
    f->sr.committed = !req->submit->no_wait;
    f->sr.height = f->sr.committed ? 7 : 0;
    f->sr.index = f->sr.committed ? 2 : 0;
    resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_SUBMIT;
    resp->submit = &f->sr;
    return WB_OK;
}

static int sfx_setup(void **state)
{
    unsetenv(CLIENT_ENV_NODE);
    unsetenv(CLIENT_ENV_KEY);
    unsetenv(CLIENT_ENV_GENESIS);
    struct sfx *f = calloc(1, sizeof *f);
    if (!f || tn_init(&f->t) != 0) return -1;
    f->fn.answer = answer;
    f->fn.ctx = f;
    f->conn.connect = fake_connect;
    f->conn.ctx = &f->fn;
    /* default head: an item committed with 3 events */
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

static int sfx_teardown(void **state)
{
    struct sfx *f = *state;
    fake_reset(&f->fn);
    if (f->head_pb) waybill__item_state__free_unpacked(f->head_pb, NULL);
    tn_free(&f->t);
    free(f);
    return 0;
}

/* Runs submit with --node/--key/--genesis (acme's key) and then `extra`
 * (NULL-terminated). */
static int submit(struct sfx *f, const char *const *extra)
{
    const char *argv[ARGS_MAX] = {"submit",   "--node",          NODE_ADDR,
                                  "--key",    f->t.key_path[0], "--genesis",
                                  f->t.genesis_path};
    size_t n = 7;
    for (size_t i = 0; extra[i] && n + 1 < ARGS_MAX; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    /* Each run starts with a fresh record of what reached the node. */
    void *ctx = f->fn.ctx;
    int connect_rc = f->fn.connect_rc;
    fake_reset(&f->fn);
    f->fn.answer = answer;
    f->fn.ctx = ctx;
    f->fn.connect_rc = connect_rc;
    return cap_run(&f->cap, cmd_submit_via, &f->conn, argv);
}

static void expect_in(const char *what, const char *text, const char *want)
{
    if (!strstr(text, want)) fail_msg("%s lacks \"%s\"; it was:\n%s", what, want, text);
}

static void expect_exit(struct sfx *f, int rc, int want)
{
    if (rc != want)
        fail_msg("expected exit %d, got %d; stdout:\n%s\nstderr:\n%s", want, rc, f->cap.out,
                 f->cap.err);
}

/* The event the node received in request i, opened with its signature
 * checked against the chain. */
static void submitted_event(struct sfx *f, size_t i, struct ledger_event *ev,
                            bool *no_wait)
{
    assert_true(i < f->fn.n_requests);
    const Waybill__ClientRequest *rq = f->fn.requests[i];
    assert_int_equal(rq->req_case, WAYBILL__CLIENT_REQUEST__REQ_SUBMIT);
    char msg[256] = "";
    int rc = ledger_signed_event_open(f->t.g->chain_id, rq->submit->signed_event.data,
                                      rq->submit->signed_event.len, true, ev, msg, sizeof msg);
    if (rc != WB_OK) fail_msg("the submitted event does not open: %s: %s", wb_strerror(rc), msg);
    if (no_wait) *no_wait = rq->submit->no_wait;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- usage errors --------------------------------------------------------------- */

struct usage_case {
    const char *args[20];
    const char *want;                   /* in stderr */
};

static void usage_errors_exit_2_and_send_nothing(void **state)
{
    struct sfx *f = *state;
    static const struct usage_case cases[] = {
        {{NULL}, "--item ID is required"},
        {{"--item", TN_ITEM, NULL}, "--action A is required"},
        {{"--item", TN_ITEM, "--action", "ship", NULL}, "unknown action 'ship'"},
        {{"--item", TN_ITEM, "--action", "Seal", NULL}, "unknown action 'Seal'"},
        {{"--item", "MSCU1234565", "--action", "seal", NULL},
         "--item: container number MSCU1234565: check digit is 5, expected 6"},
        {{"--item", "crate 7", "--action", "seal", NULL}, "--item: "},
        {{"--item", TN_ITEM, "--item", TN_ITEM, "--action", "seal", NULL}, "--item given twice"},
        {{"--item", TN_ITEM, "--action", "load", "--at", "Rotterdam", NULL}, "--at: "},
        {{"--item", TN_ITEM, "--action", "load", "--at", "NL1", NULL}, "--at: "},
        {{"--item", TN_ITEM, "--action", "load", "--at", "QQRTM", NULL},
         "--at: location 'QQRTM': 'QQ' is not an ISO 3166-1 country code"},
        {{"--item", TN_ITEM, "--action", "load", "--at", "qqrtm", NULL},
         "--at: location 'QQRTM': 'QQ' is not an ISO 3166-1 country code"},
        {{"--item", TN_ITEM, "--action", "load", "--at", "ZZZZZ", NULL},
         "--at: 'ZZZZZ' is the placeholder for an unknown location; give the real UN/LOCODE "
         "or a GLN"},
        {{"--item", TN_ITEM, "--action", "load", "--at", "NLRTMROTTERDAM", NULL},
         "--at: expected a UN/LOCODE (5 characters) or a GLN (13 digits)"},
        {{"--item", TN_ITEM, "--action", "seal", "--attr", "seal", NULL},
         "--attr: expected KEY=VALUE, got 'seal'"},
        {{"--item", TN_ITEM, "--action", "seal", "--attr", "=S1", NULL},
         "--attr: expected KEY=VALUE"},
        {{"--item", TN_ITEM, "--action", "seal", "--attr", "seal=a", "--attr", "seal=b", NULL},
         "--attr seal given twice"},
        {{"--item", TN_ITEM, "--action", "seal", "--attr", "se al=a", NULL},
         "printable ASCII without spaces"},
        {{"--item", TN_ITEM, "--action", "seal", "--attr", "seal=a\tb", NULL},
         "waybill submit: --attr seal: the value must be UTF-8 text without control "
         "characters\n"},
        {{"--item", TN_ITEM, "--action", "seal", "--attr", "a=1", "--attr", "seal=\x01", NULL},
         "waybill submit: --attr seal: the value must be UTF-8 text"},
        {{"--item", TN_ITEM, "--action", "handover", NULL},
         "waybill submit: handover needs --to ORG, the receiving member organisation\n"},
        {{"--item", TN_ITEM, "--action", "seal", "--time", "yesterday", NULL},
         "--time: expected RFC 3339 UTC"},
        {{"--item", TN_ITEM, "--action", "seal", "--time", "2026-02-30T10:00:00Z", NULL},
         "--time: expected RFC 3339 UTC"},
        {{"--item", TN_ITEM, "--action", "seal", "--time", "2026-11-22T10:00:00+01:00", NULL},
         "--time: expected RFC 3339 UTC"},
        {{"--item", TN_ITEM, "--action", "seal", "--time", "1790000000", NULL},
         "looks like unix seconds"},
        {{"--item", TN_ITEM, "--action", "seal", "--prev", "abcd", NULL},
         "--prev: expected an event id of 64 hex characters"},
        {{"--item", TN_ITEM, "--action", "handover", "--to", "", NULL}, "--to: "},
        {{"--item", TN_ITEM, "--action", "seal", "stray", NULL}, "unexpected argument 'stray'"},
        {{"--item", TN_ITEM, "--action", "seal", "--bogus", NULL}, "unknown option '--bogus'"},
        {{"--item", TN_ITEM, "--action", "seal", "--timeout", "0", NULL}, "--timeout: "},
        {{"--item", TN_ITEM, "--action", "seal", "--node", NODE_ADDR, NULL},
         "--node given twice"},
        {{"--item", TN_ITEM, "--action", "seal", "--no-wait=yes", NULL},
         "option --no-wait takes no value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = submit(f, cases[i].args);
        if (rc != CLI_EXIT_USAGE)
            fail_msg("case %zu: expected exit 2, got %d; stderr:\n%s", i, rc, f->cap.err);
        if (!strstr(f->cap.err, cases[i].want))
            fail_msg("case %zu: stderr lacks \"%s\":\n%s", i, cases[i].want, f->cap.err);
        expect_in("stderr", f->cap.err, "usage: waybill submit");
        if (f->fn.connects) fail_msg("case %zu: a usage error still contacted the node", i);
    }

    /* 17 attributes: one over the limit */
    const char *many[64] = {"--item", TN_ITEM, "--action", "seal"};
    char kv[17][16];
    size_t n = 4;
    for (int i = 0; i < 17; i++) {
        snprintf(kv[i], sizeof kv[i], "k%d=v", i);
        many[n++] = "--attr";
        many[n++] = kv[i];
    }
    many[n] = NULL;
    expect_exit(f, submit(f, many), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "at most 16 --attr options");
}

static void missing_node_key_or_genesis_is_usage_error(void **state)
{
    struct sfx *f = *state;
    const char *no_node[] = {"submit", "--item", TN_ITEM, "--action", "seal", NULL};
    expect_exit(f, cap_run(&f->cap, cmd_submit_via, &f->conn, no_node), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "no node address: give --node host:port or set WAYBILL_NODE");

    const char *bad_node[] = {"submit", "--item", TN_ITEM, "--action", "seal", "--node",
                              "localhost", NULL};
    expect_exit(f, cap_run(&f->cap, cmd_submit_via, &f->conn, bad_node), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err,
              "--node: 'localhost' is not host:port: no ':port' after the host");

    const char *no_key[] = {"submit", "--item", TN_ITEM, "--action", "seal", "--node",
                            NODE_ADDR, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_submit_via, &f->conn, no_key), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "no key file: give --key FILE or set WAYBILL_KEY");

    /* a key outside the testnet layout: no genesis.json one folder up */
    char lone[TN_PATH];
    snprintf(lone, sizeof lone, "%s/lone.key", f->t.dir);
    assert_int_equal(tn_write_key(lone, f->t.org_sk[0]), WB_OK);
    const char *no_genesis[] = {"submit", "--item", TN_ITEM, "--action", "seal", "--node",
                                NODE_ADDR, "--key", lone, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_submit_via, &f->conn, no_genesis), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "no genesis file");
    assert_int_equal(f->fn.connects, 0);

    const char *help[] = {"submit", "--help", NULL};
    expect_exit(f, cap_run(&f->cap, cmd_submit_via, &f->conn, help), CLI_EXIT_OK);
    expect_in("help", f->cap.out, "usage: waybill submit --item ID --action A");
    expect_in("help", f->cap.out, "--no-wait");
    expect_in("help", f->cap.out, "$WAYBILL_NODE");
    assert_int_equal(f->fn.connects, 0);
}

/* ---- the event built from the options --------------------------------------------- */

static void commission_fields_land_in_signed_event(void **state)
{
    struct sfx *f = *state;
    const char *args[] = {"--item",   TN_ITEM,         "--action",     "commission",
                          "--at",     "NLRTM",         "--time",       "2026-11-22T10:00:00.25Z",
                          "--attr",   "origin=Rotterdam", "--attr",    "note=two words",
                          NULL};
    expect_exit(f, submit(f, args), CLI_EXIT_OK);
    /* commission: no head lookup, one submit */
    assert_int_equal(f->fn.n_requests, 1);
    struct ledger_event ev;
    bool no_wait = true;
    submitted_event(f, 0, &ev, &no_wait);
    assert_false(no_wait);
    assert_string_equal(ev.item, TN_ITEM);
    assert_int_equal(ev.action, LEDGER_COMMISSION);
    assert_string_equal(ev.location, "NLRTM");
    struct tm tm = {.tm_year = 2026 - 1900, .tm_mon = 10, .tm_mday = 22, .tm_hour = 10};
    assert_true(ev.time_ms == (int64_t)timegm(&tm) * 1000 + 250);
    assert_false(ev.has_prev);
    assert_memory_equal(ev.submitter, f->t.org_pk[TN_ACME], WB_PUBKEY_LEN);
    assert_memory_equal(f->fn.client_pk, f->t.org_pk[TN_ACME], WB_PUBKEY_LEN);
    assert_string_equal(f->fn.addr, NODE_ADDR);
    assert_int_equal(ev.attr_count, 2);
    assert_string_equal(ev.attrs[0].key, "origin");
    assert_string_equal(ev.attrs[0].value, "Rotterdam");
    assert_string_equal(ev.attrs[1].key, "note");
    assert_string_equal(ev.attrs[1].value, "two words");
    assert_string_equal(ev.to_org, "");
    char want[160], id[65];
    snprintf(want, sizeof want, "event %s committed at height 7, index 2\n",
             wb_hex_encode(ev.id, 32, id, sizeof id));
    assert_string_equal(f->cap.out, want);
    assert_string_equal(f->cap.err, "");
    assert_int_equal(f->fn.closes, 1);

    /* two submissions of the same options are two events: a fresh nonce */
    uint64_t first_nonce = ev.nonce;
    expect_exit(f, submit(f, args), CLI_EXIT_OK);
    submitted_event(f, 0, &ev, NULL);
    assert_true(ev.nonce != first_nonce);
}

/* A container number and a UN/LOCODE are signed in upper case, with a note
 * on stderr; other item ids are signed as typed. */
static void item_and_location_are_upper_cased_before_signing(void **state)
{
    struct sfx *f = *state;
    const char *args[] = {"--item", "mscu1234566", "--action", "commission", "--at", "nlrtm",
                          NULL};
    expect_exit(f, submit(f, args), CLI_EXIT_OK);
    struct ledger_event ev;
    submitted_event(f, 0, &ev, NULL);
    assert_string_equal(ev.item, "MSCU1234566");
    assert_string_equal(ev.location, "NLRTM");
    assert_string_equal(f->cap.err,
                        "waybill submit: note: item 'mscu1234566' taken as 'MSCU1234566'\n"
                        "waybill submit: note: location 'nlrtm' taken as 'NLRTM'\n");

    /* the head is asked for under the upper-case id too */
    snprintf(f->head_state.item, sizeof f->head_state.item, "MSCU1234566");
    const char *load[] = {"--item", "mscu1234566", "--action", "load", "--at", "DEHAM", NULL};
    expect_exit(f, submit(f, load), CLI_EXIT_OK);
    assert_string_equal(f->fn.requests[0]->head->item, "MSCU1234566");
    submitted_event(f, 1, &ev, NULL);
    assert_string_equal(ev.item, "MSCU1234566");
    assert_string_equal(ev.location, "DEHAM");
    assert_string_equal(f->cap.err,
                        "waybill submit: note: item 'mscu1234566' taken as 'MSCU1234566'\n");

    /* --json: the notes go to stderr, stdout holds the JSON document alone */
    const char *json[] = {"--item", "Mscu1234566", "--action", "commission", "--at", "Us2ny",
                          "--json", NULL};
    expect_exit(f, submit(f, json), CLI_EXIT_OK);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    assert_string_equal(json_string_value(json_object_get(root, "item")), "MSCU1234566");
    json_decref(root);
    expect_in("stderr", f->cap.err, "note: item 'Mscu1234566' taken as 'MSCU1234566'");
    expect_in("stderr", f->cap.err, "note: location 'Us2ny' taken as 'US2NY'");
    submitted_event(f, 0, &ev, NULL);
    assert_string_equal(ev.location, "US2NY");

    /* upper case already: no note */
    const char *upper[] = {"--item", "MSCU1234566", "--action", "commission", "--at", "NLRTM",
                           NULL};
    expect_exit(f, submit(f, upper), CLI_EXIT_OK);
    assert_string_equal(f->cap.err, "");

    /* case-sensitive kinds are signed as typed: a GTIN serial, a urn: id */
    const char *gtin[] = {"--item", "(01)09506000134352(21)aBc7", "--action", "commission",
                          "--at", "4000001000005", NULL};
    expect_exit(f, submit(f, gtin), CLI_EXIT_OK);
    submitted_event(f, 0, &ev, NULL);
    assert_string_equal(ev.item, "(01)09506000134352(21)aBc7");
    assert_string_equal(ev.location, "4000001000005");
    assert_string_equal(f->cap.err, "");
    const char *urn[] = {"--item", "urn:epc:id:sgtin:0614141.112345.xY", "--action",
                         "commission", "--at", "sgsin", NULL};
    expect_exit(f, submit(f, urn), CLI_EXIT_OK);
    submitted_event(f, 0, &ev, NULL);
    assert_string_equal(ev.item, "urn:epc:id:sgtin:0614141.112345.xY");
    assert_string_equal(ev.location, "SGSIN");
    assert_string_equal(f->cap.err, "waybill submit: note: location 'sgsin' taken as 'SGSIN'\n");

    /* upper-casing does not rescue a wrong check digit; the note still explains the id shown */
    const char *wrong[] = {"--item", "mscu1234565", "--action", "commission", NULL};
    expect_exit(f, submit(f, wrong), CLI_EXIT_USAGE);
    expect_in("stderr", f->cap.err, "note: item 'mscu1234565' taken as 'MSCU1234565'");
    expect_in("stderr", f->cap.err,
              "--item: container number MSCU1234565: check digit is 5, expected 6");
    assert_int_equal(f->fn.connects, 0);

    /* --help says so */
    const char *help[] = {"submit", "--help", NULL};
    expect_exit(f, cap_run(&f->cap, cmd_submit_via, &f->conn, help), CLI_EXIT_OK);
    expect_in("help", f->cap.out, "container number (upper-cased)");
    expect_in("help", f->cap.out, "UN/LOCODE (NLRTM; upper-cased)");
    expect_in("help", f->cap.out, "upper-cased before signing");
}

static void head_lookup_sets_prev(void **state)
{
    struct sfx *f = *state;
    const char *args[] = {"--item", TN_ITEM, "--action", "handover", "--to", "oceanic", NULL};
    expect_exit(f, submit(f, args), CLI_EXIT_OK);
    assert_int_equal(f->fn.n_requests, 2);
    assert_int_equal(f->fn.requests[0]->req_case, WAYBILL__CLIENT_REQUEST__REQ_HEAD);
    assert_string_equal(f->fn.requests[0]->head->item, TN_ITEM);
    struct ledger_event ev;
    submitted_event(f, 1, &ev, NULL);
    assert_true(ev.has_prev);
    assert_memory_equal(ev.prev, f->head_state.head, WB_HASH_LEN);
    assert_int_equal(ev.action, LEDGER_HANDOVER);
    assert_string_equal(ev.to_org, "oceanic");
    assert_string_equal(ev.location, "");
    /* request ids are fresh per request */
    assert_true(f->fn.requests[0]->id != f->fn.requests[1]->id);
}

static void prev_option_is_honoured_without_lookup(void **state)
{
    struct sfx *f = *state;
    char hex[65];
    uint8_t wrong[WB_HASH_LEN];
    memset(wrong, 0x5c, sizeof wrong);
    wb_hex_encode(wrong, sizeof wrong, hex, sizeof hex);
    const char *args[] = {"--item", TN_ITEM, "--action", "seal", "--attr", "seal=S9",
                          "--prev", hex, NULL};
    expect_exit(f, submit(f, args), CLI_EXIT_OK);
    assert_int_equal(f->fn.n_requests, 1);
    struct ledger_event ev;
    submitted_event(f, 0, &ev, NULL);
    assert_true(ev.has_prev);
    assert_memory_equal(ev.prev, wrong, WB_HASH_LEN);

    /* even on a commission: a deliberately wrong link for the rules to refuse */
    const char *commission[] = {"--item", TN_ITEM, "--action", "commission", "--at", "NLRTM",
                                "--prev", hex, NULL};
    expect_exit(f, submit(f, commission), CLI_EXIT_OK);
    assert_int_equal(f->fn.n_requests, 1);
    submitted_event(f, 0, &ev, NULL);
    assert_true(ev.has_prev);
    assert_memory_equal(ev.prev, wrong, WB_HASH_LEN);
}

static void unknown_item_is_sent_without_prev(void **state)
{
    struct sfx *f = *state;
    f->head_code = WB_ERR_NOT_FOUND;
    const char *args[] = {"--item", TN_ITEM, "--action", "load", "--at", "NLRTM", NULL};
    expect_exit(f, submit(f, args), CLI_EXIT_OK);
    assert_int_equal(f->fn.n_requests, 2);
    struct ledger_event ev;
    submitted_event(f, 1, &ev, NULL);
    assert_false(ev.has_prev);

    /* any other error of the head lookup stops the command */
    f->head_code = WB_ERR_STORE;
    expect_exit(f, submit(f, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "looking up the head of item CSQU3054383");
    assert_int_equal(f->fn.n_requests, 1);
}

static void time_defaults_to_now_and_takes_milliseconds(void **state)
{
    struct sfx *f = *state;
    const char *args[] = {"--item", TN_ITEM, "--action", "commission", "--at", "NLRTM", NULL};
    int64_t before = now_ms();
    expect_exit(f, submit(f, args), CLI_EXIT_OK);
    int64_t after = now_ms();
    struct ledger_event ev;
    submitted_event(f, 0, &ev, NULL);
    if (ev.time_ms < before || ev.time_ms > after)
        fail_msg("default time %lld is not between %lld and %lld", (long long)ev.time_ms,
                 (long long)before, (long long)after);

    const char *ms[] = {"--item", TN_ITEM, "--action", "commission", "--at", "NLRTM",
                        "--time", "1790000000123", NULL};
    expect_exit(f, submit(f, ms), CLI_EXIT_OK);
    submitted_event(f, 0, &ev, NULL);
    assert_true(ev.time_ms == INT64_C(1790000000123));

    /* a fraction finer than milliseconds is cut, 't' and 'z' are accepted */
    const char *fine[] = {"--item", TN_ITEM, "--action", "commission", "--at", "NLRTM",
                          "--time", "2024-02-29t23:59:59.123456789z", NULL};
    expect_exit(f, submit(f, fine), CLI_EXIT_OK);
    submitted_event(f, 0, &ev, NULL);
    struct tm tm = {.tm_year = 124, .tm_mon = 1, .tm_mday = 29, .tm_hour = 23, .tm_min = 59,
                    .tm_sec = 59};
    assert_true(ev.time_ms == (int64_t)timegm(&tm) * 1000 + 123);
}

/* ---- answers of the node ----------------------------------------------------------- */

static void no_wait_reports_acceptance(void **state)
{
    struct sfx *f = *state;
    const char *args[] = {"--item", TN_ITEM, "--action", "unseal", "--no-wait", NULL};
    expect_exit(f, submit(f, args), CLI_EXIT_OK);
    struct ledger_event ev;
    bool no_wait = false;
    submitted_event(f, 1, &ev, &no_wait);
    assert_true(no_wait);
    char want[160], id[65];
    snprintf(want, sizeof want, "event %s accepted, not waited for\n",
             wb_hex_encode(ev.id, 32, id, sizeof id));
    assert_string_equal(f->cap.out, want);
}

static void rejection_prints_reason_and_exits_1(void **state)
{
    struct sfx *f = *state;
    f->submit_code = WB_ERR_RULE;
    f->submit_reason = "receive: item is being handed to 'oceanic', not 'acme'";
    const char *args[] = {"--item", TN_ITEM, "--action", "receive", NULL};
    expect_exit(f, submit(f, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err,
              "waybill submit: rejected: receive: item is being handed to 'oceanic', not "
              "'acme'\n");
    assert_string_equal(f->cap.out, "");

    f->submit_code = WB_ERR_STALE;
    f->submit_reason = "stale: the item's head moved on";
    expect_exit(f, submit(f, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "rejected: stale: the item's head moved on");

    /* control characters in a reason never reach the terminal */
    f->submit_code = WB_ERR_BUSY;
    f->submit_reason = "busy\x1b[2J now";
    expect_exit(f, submit(f, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "rejected: busy?[2J now");

    /* with --json the rejection is also on stdout for scripts */
    f->submit_code = WB_ERR_RULE;
    f->submit_reason = "seal: attribute 'seal' (the seal id) is required (rule seal_attr_required)";
    const char *json_args[] = {"--item", TN_ITEM, "--action", "seal", "--json", NULL};
    expect_exit(f, submit(f, json_args), CLI_EXIT_FAILED);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    assert_true(json_is_true(json_object_get(root, "rejected")));
    assert_string_equal(json_string_value(json_object_get(root, "code")), "seal_attr_required");
    assert_int_equal(json_integer_value(json_object_get(root, "wb_code")), WB_ERR_RULE);
    assert_string_equal(json_string_value(json_object_get(root, "item")), TN_ITEM);
    assert_string_equal(json_string_value(json_object_get(root, "action")), "seal");
    assert_string_equal(json_string_value(json_object_get(root, "hint")),
                        "give the seal id with --attr seal=ID");
    assert_string_equal(json_string_value(json_object_get(root, "reason")), f->submit_reason);
    expect_in("stderr", f->cap.err, "waybill submit: hint: give the seal id with --attr seal=ID\n");
    json_decref(root);

    /* a refusal that is no rule has the error's name as its code */
    f->submit_code = WB_ERR_STALE;
    f->submit_reason = "stale: the item's head moved on";
    expect_exit(f, submit(f, json_args), CLI_EXIT_FAILED);
    root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    assert_string_equal(json_string_value(json_object_get(root, "code")), "stale");
    assert_null(json_object_get(root, "hint"));
    json_decref(root);

    /* "(rule NAME)" with a name the table does not hold is no rule code */
    f->submit_code = WB_ERR_RULE;
    f->submit_reason = "seal: something (rule no_such_rule)";
    expect_exit(f, submit(f, json_args), CLI_EXIT_FAILED);
    root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    assert_string_equal(json_string_value(json_object_get(root, "code")), "rule");
    json_decref(root);
}

static void json_result(void **state)
{
    struct sfx *f = *state;
    const char *args[] = {"--item", TN_ITEM, "--action", "depart", "--at", "NLRTM", "--json",
                          NULL};
    expect_exit(f, submit(f, args), CLI_EXIT_OK);
    struct ledger_event ev;
    submitted_event(f, 1, &ev, NULL);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    char id[65];
    assert_string_equal(json_string_value(json_object_get(root, "event_id")),
                        wb_hex_encode(ev.id, 32, id, sizeof id));
    assert_true(json_is_true(json_object_get(root, "committed")));
    assert_int_equal(json_integer_value(json_object_get(root, "height")), 7);
    assert_int_equal(json_integer_value(json_object_get(root, "index")), 2);
    assert_string_equal(json_string_value(json_object_get(root, "action")), "depart");
    json_decref(root);
}

static void transport_failures_have_their_exit_codes(void **state)
{
    struct sfx *f = *state;
    const char *args[] = {"--item", TN_ITEM, "--action", "commission", "--at", "NLRTM", NULL};

    f->fn.connect_rc = WB_ERR_UNREACHABLE;
    expect_exit(f, submit(f, args), CLI_EXIT_UNREACHABLE);
    expect_in("stderr", f->cap.err, "cannot reach node " NODE_ADDR);

    f->fn.connect_rc = WB_ERR_TIMEOUT;
    expect_exit(f, submit(f, args), CLI_EXIT_UNREACHABLE);
    expect_in("stderr", f->cap.err, "did not complete the connection within 30 s");

    f->fn.connect_rc = WB_ERR_UNREACHABLE;
    expect_exit(f, submit(f, args), CLI_EXIT_UNREACHABLE);
    expect_in("stderr", f->cap.err, "connection refused or failed");

    /* The three ways a connect fails are told apart. */
    f->fn.connect_rc = WB_ERR_CLOSED;
    expect_exit(f, submit(f, args), CLI_EXIT_UNREACHABLE);
    expect_in("stderr", f->cap.err, "closed the connection before the handshake finished");
    f->fn.connect_rc = WB_ERR_REFUSED;
    expect_exit(f, submit(f, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "key not accepted: node " NODE_ADDR " does not accept your key");
    f->fn.connect_rc = WB_ERR_PERMISSION;
    expect_exit(f, submit(f, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "answered with a key that is not a validator");
    f->fn.connect_rc = 0;

    f->submit_transport_rc = WB_ERR_TIMEOUT;
    const char *timeout[] = {"--item", TN_ITEM, "--action", "commission", "--at", "NLRTM",
                             "--timeout", "5", NULL};
    expect_exit(f, submit(f, timeout), CLI_EXIT_UNREACHABLE);
    expect_in("stderr", f->cap.err, "no answer from node " NODE_ADDR " within 5 s");
    expect_in("stderr", f->cap.err, "may still be committed");

    f->submit_transport_rc = WB_ERR_CLOSED;
    expect_exit(f, submit(f, args), CLI_EXIT_UNREACHABLE);
    expect_in("stderr", f->cap.err, "closed the connection");
    f->submit_transport_rc = 0;

    /* answers that break the protocol */
    f->wrong_event_id = true;
    expect_exit(f, submit(f, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "names another event");
    f->wrong_event_id = false;
    f->wrong_response_id = true;
    expect_exit(f, submit(f, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "answered request 2, expected 1");
}

static void environment_defaults_and_key_checks(void **state)
{
    struct sfx *f = *state;
    /* node and key from the environment; genesis from the key's folder */
    setenv(CLIENT_ENV_NODE, "127.0.0.1:26701", 1);
    setenv(CLIENT_ENV_KEY, f->t.key_path[TN_OCEANIC], 1);
    const char *argv[] = {"submit", "--item", TN_ITEM, "--action", "arrive", "--at", "SGSIN",
                          NULL};
    int rc = cap_run(&f->cap, cmd_submit_via, &f->conn, argv);
    unsetenv(CLIENT_ENV_NODE);
    unsetenv(CLIENT_ENV_KEY);
    expect_exit(f, rc, CLI_EXIT_OK);
    assert_string_equal(f->fn.addr, "127.0.0.1:26701");
    assert_memory_equal(f->fn.client_pk, f->t.org_pk[TN_OCEANIC], WB_PUBKEY_LEN);
    struct ledger_event ev;
    submitted_event(f, f->fn.n_requests - 1, &ev, NULL);
    assert_memory_equal(ev.submitter, f->t.org_pk[TN_OCEANIC], WB_PUBKEY_LEN);

    /* a key file others can read is refused before anything is sent */
    assert_int_equal(chmod(f->t.key_path[0], 0644), 0);
    const char *args[] = {"--item", TN_ITEM, "--action", "commission", "--at", "NLRTM", NULL};
    expect_exit(f, submit(f, args), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "chmod 600");
    assert_int_equal(f->fn.connects, 0);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, sfx_setup, sfx_teardown)
    const struct CMUnitTest tests[] = {
        T(usage_errors_exit_2_and_send_nothing),
        T(missing_node_key_or_genesis_is_usage_error),
        T(commission_fields_land_in_signed_event),
        T(item_and_location_are_upper_cased_before_signing),
        T(head_lookup_sets_prev),
        T(prev_option_is_honoured_without_lookup),
        T(unknown_item_is_sent_without_prev),
        T(time_defaults_to_now_and_takes_milliseconds),
        T(no_wait_reports_acceptance),
        T(rejection_prints_reason_and_exits_1),
        T(json_result),
        T(transport_failures_have_their_exit_codes),
        T(environment_defaults_and_key_checks),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
