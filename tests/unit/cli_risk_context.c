/* Unit tests of the risk context fetcher (cli/risk_context.h) over a fake
 * node: the request it sends, the data it keeps, the risk_context
 * callbacks over that data, the requests it refuses before sending, and
 * every kind of malformed answer refused as a protocol error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/risk_context.h"
#include "tests/unit/cli_support.h"

#define ITEM "CSQU3054383"
#define OTHER1 "MSCU1234566"
#define OTHER2 "urn:example:crate:2"
#define CONT "TGHU1234567"
#define KEY1 "dwell NLRTM"
#define KEY2 "transit NLRTM DEHAM sea"

/* What to break in the answer. */
enum mutation {
    M_NONE = 0,
    M_SEALS_FEWER,
    M_SEAL_RENAMED,
    M_SEAL_NINE_ITEMS,
    M_SEAL_TOTAL_BELOW,
    M_SEAL_HAS_ITEM,
    M_SEAL_BAD_ID,
    M_CONTAINER_MISSING,
    M_CONTAINER_RENAMED,
    M_CONTAINER_17_REFS,
    M_REF_SHORT_ID,
    M_REF_BAD_LOCATION,
    M_REF_BAD_ITEM,
    M_REFS_TOTAL_BELOW,
    M_PARTIES_MORE,
    M_PARTY_RENAMED,
    M_PARTY_UNKNOWN_WITH_HISTORY,
    M_BASELINE_RENAMED,
    M_BASELINE_GARBAGE,
    M_BASELINES_FEWER,
    M_WRONG_CASE,
    M_COUNT
};

struct fx {
    struct fake_node fn;
    struct client_connector conn;
    struct client_opts o;
    struct ledger_genesis *g;
    uint8_t pk[WB_PUBKEY_LEN], sk[WB_SECKEY_LEN];
    struct client c;
    enum mutation mut;
    int code;                            /* answer with this error */
    /* answer storage */
    Waybill__RiskContext rc;
    Waybill__RiskContext__SealUse seals[40], *seal_ptrs[40];
    char *seal_items[40][10];
    Waybill__RiskContext__ContainerUse cu, *cu_ptr;
    Waybill__RiskContext__ContainerRef refs[17], *ref_ptrs[17];
    uint8_t ref_ids[17][WB_HASH_LEN];
    Waybill__RiskContext__Party parties[70], *party_ptrs[70];
    Waybill__RiskContext__Baseline bls[70], *bl_ptrs[70];
    uint8_t dist[RISK_DIST_ENC_MAX];
    size_t dist_len;
    struct risk_dist d;
    uint8_t garbage[3];
    Waybill__NodeStatus status;
};

static const char *const items_of_seal1[] = {OTHER1, OTHER2};

/* A node's answer to q: seal 0 named by two other items of three in all,
 * the others by none; the container's own reference and one other's of
 * five; "acme" and "oceanic" known; KEY1 with a distribution, others none. */
static int answer(struct fake_node *fn, const Waybill__ClientRequest *req,
                  Waybill__ClientResponse *resp)
{
    struct fx *f = fn->ctx;
    if (f->code) {
        resp->code = f->code;
        resp->reason = (char *)"refused here";
        return WB_OK;
    }
    if (req->req_case != WAYBILL__CLIENT_REQUEST__REQ_RISK_CONTEXT) return WB_ERR_CLOSED;
    const Waybill__RiskContextRequest *q = req->risk_context;
    waybill__risk_context__init(&f->rc);
    f->rc.height = 42;
    for (size_t i = 0; i < q->n_seals; i++) {
        Waybill__RiskContext__SealUse *s = &f->seals[i];
        waybill__risk_context__seal_use__init(s);
        s->seal = q->seals[i];
        if (i == 0) {
            s->total = 3;
            s->n_items = 2;
            for (size_t k = 0; k < 2; k++) f->seal_items[i][k] = (char *)items_of_seal1[k];
            s->items = f->seal_items[i];
        }
        f->seal_ptrs[i] = s;
    }
    f->rc.n_seals = q->n_seals;
    f->rc.seals = f->seal_ptrs;
    if (q->container[0]) {
        waybill__risk_context__container_use__init(&f->cu);
        f->cu.container = q->container;
        f->cu.total = 5;
        static const char *const who[] = {CONT, OTHER2};
        static const char *const where[] = {"NLRTM", "DEHAM"};
        for (size_t k = 0; k < 17; k++) {
            Waybill__RiskContext__ContainerRef *x = &f->refs[k];
            waybill__risk_context__container_ref__init(x);
            x->item = (char *)who[k % 2];
            x->location = (char *)where[k % 2];
            x->time_ms = 1700000000000 + (int64_t)k;
            memset(f->ref_ids[k], (int)k + 1, WB_HASH_LEN);
            x->event.data = f->ref_ids[k];
            x->event.len = WB_HASH_LEN;
            f->ref_ptrs[k] = x;
        }
        f->cu.n_refs = 2;
        f->cu.refs = f->ref_ptrs;
        f->cu_ptr = &f->cu;
        f->rc.n_containers = 1;
        f->rc.containers = &f->cu_ptr;
    }
    for (size_t i = 0; i < q->n_orgs; i++) {
        Waybill__RiskContext__Party *p = &f->parties[i];
        waybill__risk_context__party__init(p);
        p->org = q->orgs[i];
        if (strcmp(p->org, "acme") == 0) {
            p->known = true;
            p->first_seen_ms = 1600000000000;
            p->chains_completed = 4;
        } else if (strcmp(p->org, "oceanic") == 0) {
            p->known = true;
            p->first_seen_ms = 1650000000000;
        }
        f->party_ptrs[i] = p;
    }
    f->rc.n_parties = q->n_orgs;
    f->rc.parties = f->party_ptrs;
    for (size_t i = 0; i < q->n_baseline_keys; i++) {
        Waybill__RiskContext__Baseline *b = &f->bls[i];
        waybill__risk_context__baseline__init(b);
        b->key = q->baseline_keys[i];
        if (strcmp(b->key, KEY1) == 0) {
            b->dist.data = f->dist;
            b->dist.len = f->dist_len;
        }
        f->bl_ptrs[i] = b;
    }
    f->rc.n_baselines = q->n_baseline_keys;
    f->rc.baselines = f->bl_ptrs;

    switch (f->mut) {
    case M_NONE: break;
    case M_SEALS_FEWER: f->rc.n_seals--; break;
    case M_SEAL_RENAMED: f->seals[1].seal = (char *)"SL-OTHER"; break;
    case M_SEAL_NINE_ITEMS:
        for (size_t k = 0; k < 9; k++) f->seal_items[0][k] = (char *)OTHER2;
        f->seals[0].n_items = 9;
        f->seals[0].total = 20;
        break;
    case M_SEAL_TOTAL_BELOW: f->seals[0].total = 1; break;
    case M_SEAL_HAS_ITEM: f->seal_items[0][1] = (char *)ITEM; break;
    case M_SEAL_BAD_ID: f->seal_items[0][1] = (char *)"not an id\x1b[31m"; break;
    case M_CONTAINER_MISSING: f->rc.n_containers = 0; break;
    case M_CONTAINER_RENAMED: f->cu.container = (char *)OTHER1; break;
    case M_CONTAINER_17_REFS:
        f->cu.n_refs = 17;
        f->cu.total = 30;
        break;
    case M_REF_SHORT_ID: f->refs[1].event.len = 31; break;
    case M_REF_BAD_LOCATION: f->refs[1].location = (char *)"QQRTM"; break;
    case M_REF_BAD_ITEM: f->refs[0].item = (char *)""; break;
    case M_REFS_TOTAL_BELOW: f->cu.total = 1; break;
    case M_PARTIES_MORE: f->rc.n_parties = q->n_orgs + 1; f->party_ptrs[q->n_orgs] = &f->parties[0]; break;
    case M_PARTY_RENAMED: f->parties[0].org = (char *)"acme-shipping"; break;
    case M_PARTY_UNKNOWN_WITH_HISTORY: f->parties[2].chains_completed = 1; break;
    case M_BASELINE_RENAMED: f->bls[0].key = (char *)"dwell DEHAM"; break;
    case M_BASELINE_GARBAGE:
        f->bls[1].dist.data = f->garbage;
        f->bls[1].dist.len = sizeof f->garbage;
        break;
    case M_BASELINES_FEWER: f->rc.n_baselines = 0; break;
    case M_WRONG_CASE:
        waybill__node_status__init(&f->status);
        resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_STATUS;
        resp->status = &f->status;
        return WB_OK;
    case M_COUNT: break;
    }
    resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_RISK_CONTEXT;
    resp->risk_context = &f->rc;
    return WB_OK;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->g = calloc(1, sizeof *f->g);
    if (!f->g) return -1;
    f->fn.answer = answer;
    f->fn.ctx = f;
    f->conn.connect = fake_connect;
    f->conn.ctx = &f->fn;
    client_opts_init(&f->o, "risk");
    f->o.node = "127.0.0.1:26702";
    for (int i = 0; i < 40; i++) risk_dist_add(&f->d, (int64_t)i * 3600000);
    f->dist_len = risk_dist_encode(&f->d, f->dist);
    memset(f->garbage, 0xff, sizeof f->garbage);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    client_close(&f->c);
    fake_reset(&f->fn);
    free(f->g);
    free(f);
    return 0;
}

static void reconnect(struct fx *f)
{
    client_close(&f->c);
    fake_reset(&f->fn);
    f->fn.answer = answer;
    f->fn.ctx = f;
    if (client_open(&f->c, &f->o, &f->conn, f->g, f->pk, f->sk) != WB_OK)
        fail_msg("client_open: %s", f->c.reason);
}

static const char *const seals2[] = {"SL-1", "SL-2"};
static const char *const orgs3[] = {"acme", "oceanic", "nobody"};
static const char *const keys2[] = {KEY1, KEY2};

static int fetch(struct fx *f, struct risk_context_data *d)
{
    reconnect(f);
    return risk_context_fetch(&f->c, ITEM, seals2, 2, CONT, orgs3, 3, keys2, 2, d);
}

/* ---- a well-formed answer ------------------------------------------------------------- */

static void request_names_what_was_asked(void **state)
{
    struct fx *f = *state;
    struct risk_context_data d;
    if (fetch(f, &d) != WB_OK) fail_msg("fetch: %s", f->c.reason);
    assert_int_equal(f->fn.n_requests, 1);
    const Waybill__ClientRequest *rq = f->fn.requests[0];
    assert_int_equal(rq->req_case, WAYBILL__CLIENT_REQUEST__REQ_RISK_CONTEXT);
    const Waybill__RiskContextRequest *q = rq->risk_context;
    assert_string_equal(q->item, ITEM);
    assert_int_equal(q->n_seals, 2);
    assert_string_equal(q->seals[1], "SL-2");
    assert_string_equal(q->container, CONT);
    assert_int_equal(q->n_orgs, 3);
    assert_string_equal(q->orgs[2], "nobody");
    assert_int_equal(q->n_baseline_keys, 2);
    assert_string_equal(q->baseline_keys[0], KEY1);
    risk_context_data_free(&d);
}

static void data_holds_the_answer(void **state)
{
    struct fx *f = *state;
    struct risk_context_data d;
    if (fetch(f, &d) != WB_OK) fail_msg("fetch: %s", f->c.reason);
    assert_int_equal(d.height, 42);
    assert_string_equal(d.item, ITEM);
    assert_int_equal(d.seal_count, 2);
    assert_string_equal(d.seals[0].seal, "SL-1");
    assert_int_equal(d.seals[0].total, 3);
    assert_int_equal(d.seals[0].item_count, 2);
    assert_string_equal(d.seals[0].items[1], OTHER2);
    assert_int_equal(d.seals[1].total, 0);
    assert_true(d.has_container);
    assert_string_equal(d.container, CONT);
    assert_int_equal(d.container_total, 5);
    assert_int_equal(d.ref_count, 2);
    assert_string_equal(d.refs[0].item, CONT);
    assert_string_equal(d.refs[1].location, "DEHAM");
    assert_int_equal(d.refs[1].time_ms, 1700000000001);
    assert_int_equal(d.refs[1].event[0], 2);
    assert_int_equal(d.party_count, 3);
    assert_true(d.parties[0].known);
    assert_int_equal(d.parties[0].party.chains_completed, 4);
    assert_false(d.parties[2].known);
    assert_int_equal(d.baseline_count, 2);
    assert_true(d.baselines[0].known);
    assert_memory_equal(&d.baselines[0].dist, &f->d, sizeof f->d);
    assert_false(d.baselines[1].known);
    risk_context_data_free(&d);
    risk_context_data_free(&d); /* a zeroed struct is a no-op */
}

static void callbacks_answer_from_the_data(void **state)
{
    struct fx *f = *state;
    struct risk_context_data d;
    if (fetch(f, &d) != WB_OK) fail_msg("fetch: %s", f->c.reason);
    struct risk_context ctx;
    risk_context_of(&d, &ctx);
    assert_ptr_equal(ctx.ctx, &d);

    const struct risk_dist *dist = ctx.baseline(ctx.ctx, KEY1);
    assert_non_null(dist);
    assert_int_equal(dist->count, 40);
    assert_null(ctx.baseline(ctx.ctx, KEY2));          /* the node has none */
    assert_null(ctx.baseline(ctx.ctx, "dwell SGSIN")); /* not asked */

    char out[8][WB_ITEM_MAX + 1];
    memset(out, 'x', sizeof out);
    assert_int_equal(ctx.seal_items(ctx.ctx, "SL-1", ITEM, out, 8), 3);
    assert_string_equal(out[0], OTHER1);
    assert_string_equal(out[1], OTHER2);
    assert_string_equal(out[2], ""); /* the third the node counted but did not list */
    assert_int_equal(out[3][0], 'x'); /* nothing written past the count */
    assert_int_equal(ctx.seal_items(ctx.ctx, "SL-1", ITEM, out, 1), 3);
    assert_string_equal(out[0], OTHER1);
    /* Asked for another item: that one is left out instead. */
    assert_int_equal(ctx.seal_items(ctx.ctx, "SL-1", OTHER1, out, 8), 2);
    assert_string_equal(out[0], OTHER2);
    assert_int_equal(ctx.seal_items(ctx.ctx, "SL-2", ITEM, out, 8), 0);
    assert_int_equal(ctx.seal_items(ctx.ctx, "SL-NOT-ASKED", ITEM, out, 8), 0);

    struct risk_container_ref refs[8];
    memset(refs, 0x5a, sizeof refs);
    assert_int_equal(ctx.container_refs(ctx.ctx, CONT, refs, 8), 5);
    assert_string_equal(refs[0].item, CONT);
    assert_string_equal(refs[1].item, OTHER2);
    assert_string_equal(refs[2].item, ""); /* zeroed: counted, not listed */
    assert_int_equal(refs[4].time_ms, 0);
    assert_int_equal(refs[5].event[0], 0x5a);
    assert_int_equal(ctx.container_refs(ctx.ctx, CONT, refs, 1), 5);
    assert_int_equal(ctx.container_refs(ctx.ctx, OTHER1, refs, 8), 0);

    struct risk_party p;
    assert_true(ctx.party(ctx.ctx, "acme", &p));
    assert_int_equal(p.first_seen_ms, 1600000000000);
    assert_int_equal(p.chains_completed, 4);
    assert_true(ctx.party(ctx.ctx, "oceanic", &p));
    assert_false(ctx.party(ctx.ctx, "nobody", &p));
    assert_false(ctx.party(ctx.ctx, "customs", &p)); /* not asked */
    risk_context_data_free(&d);
}

static void nothing_asked_nothing_answered(void **state)
{
    struct fx *f = *state;
    struct risk_context_data d;
    reconnect(f);
    if (risk_context_fetch(&f->c, NULL, NULL, 0, NULL, NULL, 0, NULL, 0, &d) != WB_OK)
        fail_msg("fetch: %s", f->c.reason);
    assert_int_equal(d.height, 42);
    assert_int_equal(d.seal_count, 0);
    assert_false(d.has_container);
    assert_string_equal(f->fn.requests[0]->risk_context->container, "");
    risk_context_data_free(&d);
}

/* ---- refused before sending -------------------------------------------------------------- */

static void over_bounds_refused_before_sending(void **state)
{
    struct fx *f = *state;
    static const char *many[70];
    for (int i = 0; i < 70; i++) many[i] = "SL-1";
    char long_seal[RISK_CONTEXT_SEAL_MAX + 2], long_org[WB_ORG_MAX + 2], long_key[RISK_KEY_MAX + 1];
    memset(long_seal, 'S', sizeof long_seal - 1);
    long_seal[sizeof long_seal - 1] = '\0';
    memset(long_org, 'o', sizeof long_org - 1);
    long_org[sizeof long_org - 1] = '\0';
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    const char *ls[] = {long_seal}, *lo[] = {long_org}, *lk[] = {long_key};
    struct {
        const char *const *seals;
        size_t ns;
        const char *const *orgs;
        size_t no;
        const char *const *keys;
        size_t nk;
    } cases[] = {
        {many, RISK_CONTEXT_SEALS_MAX + 1, NULL, 0, NULL, 0},
        {NULL, 0, many, RISK_CONTEXT_ORGS_MAX + 1, NULL, 0},
        {NULL, 0, NULL, 0, many, RISK_CONTEXT_KEYS_MAX + 1},
        {ls, 1, NULL, 0, NULL, 0},
        {NULL, 0, lo, 1, NULL, 0},
        {NULL, 0, NULL, 0, lk, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reconnect(f);
        struct risk_context_data d;
        int rc = risk_context_fetch(&f->c, ITEM, cases[i].seals, cases[i].ns, NULL,
                                    cases[i].orgs, cases[i].no, cases[i].keys, cases[i].nk, &d);
        if (rc != WB_ERR_INVALID) fail_msg("case %zu: got %s", i, wb_strerror(rc));
        assert_int_equal(f->fn.n_requests, 0);
        assert_true(f->c.reason[0] != '\0');
        risk_context_data_free(&d);
    }
    /* At the bounds: sent. */
    reconnect(f);
    struct risk_context_data d;
    assert_int_equal(risk_context_fetch(&f->c, ITEM, many, RISK_CONTEXT_SEALS_MAX, NULL, many,
                                        RISK_CONTEXT_ORGS_MAX, many, RISK_CONTEXT_KEYS_MAX, &d),
                     WB_OK);
    assert_int_equal(f->fn.n_requests, 1);
    risk_context_data_free(&d);
}

/* ---- malformed answers ------------------------------------------------------------------- */

static void malformed_answers_are_protocol_errors(void **state)
{
    struct fx *f = *state;
    for (int m = 1; m < M_COUNT; m++) {
        f->mut = (enum mutation)m;
        struct risk_context_data d;
        int rc = fetch(f, &d);
        if (rc != WB_ERR_PROTOCOL)
            fail_msg("mutation %d: got %s, want a protocol error", m, wb_strerror(rc));
        if (!f->c.reason[0]) fail_msg("mutation %d: no reason", m);
        /* Nothing of the node's text reaches the reason unescaped. */
        if (strchr(f->c.reason, '\x1b')) fail_msg("mutation %d: raw escape in %s", m, f->c.reason);
        assert_false(f->c.node_error);
        risk_context_data_free(&d);
    }
    f->mut = M_NONE;
}

static void node_error_passed_on(void **state)
{
    struct fx *f = *state;
    f->code = WB_ERR_INTERNAL;
    struct risk_context_data d;
    assert_int_equal(fetch(f, &d), WB_ERR_INTERNAL);
    assert_true(f->c.node_error);
    assert_string_equal(f->c.reason, "refused here");
    assert_int_equal(d.seal_count, 0);
    risk_context_data_free(&d);
    f->code = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_names_what_was_asked),
        cmocka_unit_test(data_holds_the_answer),
        cmocka_unit_test(callbacks_answer_from_the_data),
        cmocka_unit_test(nothing_asked_nothing_answered),
        cmocka_unit_test(over_bounds_refused_before_sending),
        cmocka_unit_test(malformed_answers_are_protocol_errors),
        cmocka_unit_test(node_error_passed_on),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
