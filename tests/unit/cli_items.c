/* Unit tests of `waybill items` against a fake node: a page the node hands
 * over in parts (its scan bound) is asked for again from the node's cursor
 * until full, the table and --json show the cursor, the filters reach the
 * request, and an answer that makes no progress or breaks the limit exits 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "tests/unit/cli_support.h"

#define NODE_ADDR "127.0.0.1:26702"
#define N_ITEMS 25
#define PER_ANSWER 3

struct ifx {
    struct tnet t;
    struct fake_node fn;
    struct client_connector conn;
    struct cap cap;
    bool stuck;                         /* answer more=true without progress */
    bool too_many;                      /* answer more items than asked */
    Waybill__ItemState *pbs[N_ITEMS];
    Waybill__ItemsResult ir;
    char next[64];
};

static void item_name(int i, char out[32]) { snprintf(out, 32, "urn:waybill:t:%02d", i); }

/* Serves N_ITEMS items, at most PER_ANSWER per answer (as if its scan bound
 * stopped it), from the cursor on. */
static int answer(struct fake_node *fn, const Waybill__ClientRequest *req,
                  Waybill__ClientResponse *resp)
{
    struct ifx *f = fn->ctx;
    if (req->req_case != WAYBILL__CLIENT_REQUEST__REQ_ITEMS) return WB_ERR_CLOSED;
    const Waybill__ItemsRequest *q = req->items;
    int first = 0;
    char name[32];
    while (first < N_ITEMS && (item_name(first, name), strcmp(name, q->after) <= 0)) first++;
    size_t n = 0;
    waybill__items_result__init(&f->ir);
    f->ir.items = &f->pbs[first < N_ITEMS ? first : 0];
    for (int i = first; i < N_ITEMS && n < PER_ANSWER && n < q->limit; i++) n++;
    if (f->too_many) n = q->limit + 1 <= N_ITEMS - (size_t)first ? q->limit + 1 : n;
    f->ir.n_items = f->stuck ? 0 : n;
    f->ir.more = f->stuck || first + (int)n < N_ITEMS;
    if (f->stuck) snprintf(f->next, sizeof f->next, "%s", q->after);
    else if (n) item_name(first + (int)n - 1, f->next);
    else f->next[0] = '\0';
    f->ir.next_after = f->next;
    resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_ITEMS;
    resp->items = &f->ir;
    return WB_OK;
}

static int ifx_setup(void **state)
{
    unsetenv(CLIENT_ENV_NODE);
    unsetenv(CLIENT_ENV_KEY);
    unsetenv(CLIENT_ENV_GENESIS);
    struct ifx *f = calloc(1, sizeof *f);
    if (!f || tn_init(&f->t) != 0) return -1;
    for (int i = 0; i < N_ITEMS; i++) {
        struct ledger_item_state st;
        memset(&st, 0, sizeof st);
        item_name(i, st.item);
        snprintf(st.custodian, sizeof st.custodian, "acme");
        snprintf(st.location, sizeof st.location, "NLRTM");
        st.status = LEDGER_ITEM_ACTIVE;
        st.customs = i % 2 ? LEDGER_CUSTOMS_HELD : LEDGER_CUSTOMS_NONE;
        st.count = 1;
        st.first_height = st.last_height = (uint64_t)i + 1;
        uint8_t buf[1024];
        size_t len;
        if (ledger_item_state_encode(&st, buf, sizeof buf, &len) != WB_OK) return -1;
        f->pbs[i] = waybill__item_state__unpack(NULL, len, buf);
        if (!f->pbs[i]) return -1;
    }
    f->conn.connect = fake_connect;
    f->conn.ctx = &f->fn;
    *state = f;
    return 0;
}

static int ifx_teardown(void **state)
{
    struct ifx *f = *state;
    fake_reset(&f->fn);
    for (int i = 0; i < N_ITEMS; i++)
        if (f->pbs[i]) waybill__item_state__free_unpacked(f->pbs[i], NULL);
    tn_free(&f->t);
    free(f);
    return 0;
}

static int run(struct ifx *f, const char *const *args)
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
    return cap_run(&f->cap, cmd_items_via, &f->conn, argv);
}

static void expect_exit(struct ifx *f, int rc, int want)
{
    if (rc != want)
        fail_msg("expected exit %d, got %d; stdout:\n%s\nstderr:\n%s", want, rc, f->cap.out,
                 f->cap.err);
}

static void a_page_is_asked_for_until_full(void **state)
{
    struct ifx *f = *state;
    const char *args[] = {"items", "--limit", "7", NULL};
    expect_exit(f, run(f, args), CLI_EXIT_OK);
    /* 3 + 3 + 1 items: three requests, each from the cursor the last gave. */
    assert_int_equal(f->fn.n_requests, 3);
    assert_string_equal(f->fn.requests[0]->items->after, "");
    assert_int_equal(f->fn.requests[0]->items->limit, 7);
    assert_string_equal(f->fn.requests[1]->items->after, "urn:waybill:t:02");
    assert_int_equal(f->fn.requests[1]->items->limit, 4);
    assert_string_equal(f->fn.requests[2]->items->after, "urn:waybill:t:05");
    assert_int_equal(f->fn.requests[2]->items->limit, 1);
    for (int i = 0; i < 7; i++) {
        char name[32];
        item_name(i, name);
        if (!strstr(f->cap.out, name)) fail_msg("item %s missing:\n%s", name, f->cap.out);
    }
    assert_null(strstr(f->cap.out, "urn:waybill:t:07 "));
    if (!strstr(f->cap.out, "7 items; more after urn:waybill:t:06: --after urn:waybill:t:06\n"))
        fail_msg("the last line does not name the cursor:\n%s", f->cap.out);
}

static void json_pages_to_the_end(void **state)
{
    struct ifx *f = *state;
    const char *args[] = {"items", "--json", "--after", "urn:waybill:t:20", NULL};
    expect_exit(f, run(f, args), CLI_EXIT_OK);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("not JSON: %s\n%s", jerr.text, f->cap.out);
    assert_int_equal(json_array_size(json_object_get(root, "items")), 4);
    assert_int_equal(json_integer_value(json_object_get(root, "count")), 4);
    assert_true(json_is_false(json_object_get(root, "more")));
    assert_true(json_is_null(json_object_get(root, "next_after")));
    json_t *first = json_array_get(json_object_get(root, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "item")), "urn:waybill:t:21");
    assert_true(json_is_true(json_object_get(first, "held")));
    json_decref(root);
}

static void filters_reach_the_request(void **state)
{
    struct ifx *f = *state;
    const char *args[] = {"items", "--custodian", "acme", "--held", "--status", "in_transfer",
                          "--at", "nlrtm", "--limit", "2", NULL};
    expect_exit(f, run(f, args), CLI_EXIT_OK);
    const Waybill__ItemsRequest *q = f->fn.requests[0]->items;
    assert_string_equal(q->custodian, "acme");
    assert_true(q->held);
    assert_true(q->filter_status);
    assert_int_equal(q->status, WAYBILL__ITEM_STATUS__ITEM_IN_TRANSFER);
    assert_string_equal(q->location, "NLRTM");
    assert_int_equal(q->limit, 2);
}

static void bad_answers_and_usage(void **state)
{
    struct ifx *f = *state;
    f->stuck = true;
    const char *args[] = {"items", NULL};
    expect_exit(f, run(f, args), CLI_EXIT_FAILED);
    if (!strstr(f->cap.err, "malformed page")) fail_msg("stderr:\n%s", f->cap.err);
    f->stuck = false;
    f->too_many = true;
    const char *two[] = {"items", "--limit", "2", NULL};
    expect_exit(f, run(f, two), CLI_EXIT_FAILED);
    f->too_many = false;
    const char *zero[] = {"items", "--limit", "0", NULL};
    expect_exit(f, run(f, zero), CLI_EXIT_USAGE);
    const char *big[] = {"items", "--limit", "1001", NULL};
    expect_exit(f, run(f, big), CLI_EXIT_USAGE);
    const char *status[] = {"items", "--status", "lost", NULL};
    expect_exit(f, run(f, status), CLI_EXIT_USAGE);
    const char *help[] = {"items", "--help", NULL};
    expect_exit(f, run(f, help), CLI_EXIT_OK);
    static const char *const opts[] = {"--custodian ORG", "--held", "--status S", "--at LOC",
                                       "--limit N", "--after ID", "--node ADDR", "--key FILE",
                                       "--genesis FILE", "--timeout SECONDS", "--json"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (!strstr(f->cap.out, opts[i])) fail_msg("--help lacks %s:\n%s", opts[i], f->cap.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_page_is_asked_for_until_full, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(json_pages_to_the_end, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(filters_reach_the_request, ifx_setup, ifx_teardown),
        cmocka_unit_test_setup_teardown(bad_answers_and_usage, ifx_setup, ifx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
