/* `waybill items`: the items the node records, with their state, filtered
 * and paged in item id order, as a table or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client_cmds.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "risk/policy.h"
#include "storage/store.h"

enum {
    ITEMS_OPT_CUSTODIAN,
    ITEMS_OPT_HELD,
    ITEMS_OPT_STATUS,
    ITEMS_OPT_AT,
    ITEMS_OPT_LIMIT,
    ITEMS_OPT_AFTER,
    ITEMS_OPT_FLAGGED,
    ITEMS_OPT_MIN_SCORE,
    ITEMS_OPT_NODE,
    ITEMS_OPT_KEY,
    ITEMS_OPT_GENESIS,
    ITEMS_OPT_TIMEOUT,
    ITEMS_OPT_JSON,
};

static const struct cli_opt items_opts[] = {
    [ITEMS_OPT_CUSTODIAN] = {"custodian", "ORG", "only items this organisation holds"},
    [ITEMS_OPT_HELD] = {"held", NULL, "only items customs holds right now"},
    [ITEMS_OPT_STATUS] = {"status", "S", "only items in status S: active, in_transfer, delivered"},
    [ITEMS_OPT_AT] = {"at", "LOC", "only items whose last location is LOC (UN/LOCODE or GLN)"},
    [ITEMS_OPT_LIMIT] = {"limit", "N", "at most N items (1 to 1000, default 100)"},
    [ITEMS_OPT_AFTER] = {"after", "ID", "start after item ID (the cursor a previous page gave; "
                                        "with --flagged or --min-score: SCORE:ID)"},
    [ITEMS_OPT_FLAGGED] = {"flagged", NULL,
                           "the officer's queue: only items the node scored above 0, highest "
                           "score first (docs/risk.md, \"Scores\")"},
    [ITEMS_OPT_MIN_SCORE] = {"min-score", "S", "only items the node scored S or more (implies "
                                               "the queue's order)"},
    [ITEMS_OPT_NODE] = CLIENT_OPT_NODE,
    [ITEMS_OPT_KEY] = CLIENT_OPT_KEY,
    [ITEMS_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [ITEMS_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [ITEMS_OPT_JSON] = CLIENT_OPT_JSON,
};

static const struct cli_usage items_usage = {
    .cmd = "items",
    .synopsis = "[--custodian ORG] [--held] [--status S] [--at LOC] [--limit N] [--after ID]\n"
                "       | --flagged [--min-score S] [--limit N] [--after SCORE:ID]\n"
                "       [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS] [--json]",
    .description =
        "Lists the items the node records, in item id order, with their state: custodian,\n"
        "status, customs status, location, movement, number of events and last height.\n"
        "The filters combine (all must hold). At most --limit items are shown; when more\n"
        "may follow, the last line says so and names the cursor to pass as --after for the\n"
        "next page (--json: \"more\" and \"next_after\"). Paging with --after visits every\n"
        "item once. The node examines a bounded number of items per request; this command\n"
        "asks again until it has --limit items or none are left.\n"
        "\n"
        "With --flagged (score above 0) or --min-score S (score S or more) it lists the\n"
        "officer's queue instead: the items by the score the node computed with its risk\n"
        "policy, highest first, then item id, with SCORE and FLAGS columns; the other\n"
        "filters do not apply. The last line says what height the scores are as of and\n"
        "how many items the node has still to judge again.\n",
    .opts = items_opts,
    .opt_count = sizeof items_opts / sizeof items_opts[0],
};

struct items_args {
    const char *custodian, *status, *at, *limit, *after, *min_score;
    bool held, flagged;
};

static int items_own_opt(void *ctx, int opt, const char *value)
{
    struct items_args *a = ctx;
    switch (opt) {
    case ITEMS_OPT_CUSTODIAN:
        return client_opt_once(&items_usage, &a->custodian, "custodian", value);
    case ITEMS_OPT_HELD:
        a->held = true;
        return CLI_EXIT_OK;
    case ITEMS_OPT_STATUS:
        return client_opt_once(&items_usage, &a->status, "status", value);
    case ITEMS_OPT_AT:
        return client_opt_once(&items_usage, &a->at, "at", value);
    case ITEMS_OPT_LIMIT:
        return client_opt_once(&items_usage, &a->limit, "limit", value);
    case ITEMS_OPT_AFTER:
        return client_opt_once(&items_usage, &a->after, "after", value);
    case ITEMS_OPT_FLAGGED:
        a->flagged = true;
        return CLI_EXIT_OK;
    case ITEMS_OPT_MIN_SCORE:
        return client_opt_once(&items_usage, &a->min_score, "min-score", value);
    default:
        return cli_usage_error(&items_usage, "unexpected option");
    }
}

/* The request the options describe; strings point into bufs or argv. */
struct items_query {
    Waybill__ItemsRequest rq;
    char at[WB_LOCATION_MAX + 1];
    char after[WB_ITEM_MAX + 1];
    size_t limit;
    bool queue;                       /* --flagged or --min-score */
};

static int items_parse(int argc, char **argv, struct client_opts *co, struct items_query *q)
{
    struct items_args a = {0};
    struct cli_args args;
    int ex = client_args_parse(&args, &items_usage, argc, argv, co, items_own_opt, &a);
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count)
        return cli_usage_error(&items_usage, "unexpected argument '%s'", args.pos[0]);
    waybill__items_request__init(&q->rq);
    q->at[0] = q->after[0] = '\0';
    q->rq.custodian = (char *)(a.custodian ? a.custodian : "");
    q->rq.held = a.held;
    if (a.status) {
        q->rq.filter_status = true;
        if (strcmp(a.status, "active") == 0)
            q->rq.status = WAYBILL__ITEM_STATUS__ITEM_ACTIVE;
        else if (strcmp(a.status, "in_transfer") == 0 || strcmp(a.status, "in-transfer") == 0)
            q->rq.status = WAYBILL__ITEM_STATUS__ITEM_IN_TRANSFER;
        else if (strcmp(a.status, "delivered") == 0)
            q->rq.status = WAYBILL__ITEM_STATUS__ITEM_DELIVERED;
        else
            return cli_usage_error(&items_usage,
                                   "--status: expected active, in_transfer or delivered, got '%s'",
                                   a.status);
    }
    if (a.at && (ex = cli_location_arg(&items_usage, "--at", a.at, q->at)) != CLI_EXIT_OK)
        return ex;
    q->queue = a.flagged || a.min_score;
    q->rq.flagged = a.flagged;
    if (a.min_score) {
        uint64_t v;
        if (cli_parse_u64(a.min_score, 0, UINT32_MAX, &v) != WB_OK)
            return cli_usage_error(&items_usage, "--min-score: expected 0 to %u, got '%s'",
                                   UINT32_MAX, a.min_score);
        q->rq.min_score = (uint32_t)v;
        /* 0 asks for every scored item: the queue's order still. */
        if (v == 0) q->rq.flagged = false;
    }
    if (q->queue && (a.custodian || a.held || a.status || a.at))
        return cli_usage_error(&items_usage, "--flagged and --min-score list the officer's "
                                             "queue: --custodian, --held, --status and --at "
                                             "do not apply to it");
    if (q->queue && a.after) {
        const char *colon = strchr(a.after, ':');
        uint64_t v;
        char num[16];
        size_t nl = colon ? (size_t)(colon - a.after) : 0;
        if (!colon || nl == 0 || nl >= sizeof num)
            return cli_usage_error(&items_usage, "--after: expected SCORE:ID, got '%s'", a.after);
        memcpy(num, a.after, nl);
        num[nl] = '\0';
        if (cli_parse_u64(num, 0, UINT32_MAX, &v) != WB_OK)
            return cli_usage_error(&items_usage, "--after: expected SCORE:ID, got '%s'", a.after);
        q->rq.after_score = (uint32_t)v;
        if ((ex = cli_item_arg(&items_usage, "--after", colon + 1, q->after)) != CLI_EXIT_OK)
            return ex;
    } else if (a.after &&
               (ex = cli_item_arg(&items_usage, "--after", a.after, q->after)) != CLI_EXIT_OK) {
        return ex;
    }
    q->rq.location = q->at;
    q->rq.after = q->after;
    q->limit = STORE_ITEMS_LIMIT_DEFAULT;
    if (a.limit) {
        uint64_t v;
        if (cli_parse_u64(a.limit, 1, STORE_ITEMS_LIMIT_MAX, &v) != WB_OK)
            return cli_usage_error(&items_usage, "--limit: expected 1 to %u, got '%s'",
                                   STORE_ITEMS_LIMIT_MAX, a.limit);
        q->limit = (size_t)v;
    }
    return CLI_EXIT_OK;
}

static void items_row(struct print_table *t, const struct ledger_item_state *st)
{
    char cust[WB_ATTR_VALUE_MAX + 1], status[WB_ORG_MAX + 32], safe[WB_ATTR_VALUE_MAX + 1];
    char count[16], last[24];
    print_safe(st->custodian[0] ? st->custodian : "-", cust, sizeof cust);
    if (st->status == LEDGER_ITEM_IN_TRANSFER)
        snprintf(status, sizeof status, "in transfer to %s",
                 print_safe(st->transfer_to, safe, sizeof safe));
    else
        snprintf(status, sizeof status, "%s", print_status_name(st->status));
    snprintf(count, sizeof count, "%u", (unsigned)st->count);
    snprintf(last, sizeof last, "%llu", (unsigned long long)st->last_height);
    const char *row[8] = {st->item,
                          cust,
                          status,
                          print_customs_name(st->customs),
                          st->location[0] ? st->location : "-",
                          print_movement_name(st->movement),
                          count,
                          last};
    print_table_add(t, row);
}

/* "SEAL_REUSE NEW_PARTYx3" from an item's counts per code. */
static void flags_text(const Waybill__ItemScore *sc, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sc->n_counts && used < cap; i++) {
        const Waybill__FlagCount *fc = sc->counts[i];
        int w = fc->count > 1 ? snprintf(out + used, cap - used, "%s%s x%u", used ? ", " : "",
                                         fc->code, fc->count)
                              : snprintf(out + used, cap - used, "%s%s", used ? ", " : "",
                                         fc->code);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (!out[0]) snprintf(out, cap, "-");
}

static json_t *counts_json(const Waybill__ItemScore *sc)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < sc->n_counts; i++)
        if (json_object_set_new(o, sc->counts[i]->code, json_integer(sc->counts[i]->count))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

/* Whether an answered queue page is well formed. */
static bool queue_page_ok(const Waybill__ItemsResult *ir, size_t asked)
{
    if (!ir || ir->n_items > asked || ir->n_scores != ir->n_items || !ir->next_after ||
        strlen(ir->next_after) > WB_ITEM_MAX)
        return false;
    for (size_t i = 0; i < ir->n_scores; i++) {
        if (!ir->scores[i]) return false;
        for (size_t k = 0; k < ir->scores[i]->n_counts; k++)
            if (!ir->scores[i]->counts[k] || !ir->scores[i]->counts[k]->code) return false;
        if (i && ir->scores[i]->score > ir->scores[i - 1]->score) return false;
    }
    return true;
}

/* The officer's queue: one request (the node answers a whole page from
 * its table). */
static int items_queue(struct client_opts *co, struct client_session *s, struct items_query *q)
{
    static const char *const header[] = {"SCORE", "ITEM",     "FLAGS",  "CUSTODIAN",
                                         "STATUS", "LOCATION", "EVENTS"};
    q->rq.limit = (uint32_t)q->limit;
    Waybill__ClientRequest rq = WAYBILL__CLIENT_REQUEST__INIT;
    rq.req_case = WAYBILL__CLIENT_REQUEST__REQ_ITEMS;
    rq.items = &q->rq;
    Waybill__ClientResponse *resp;
    int rc = client_call(&s->c, &rq, WAYBILL__CLIENT_RESPONSE__RESP_ITEMS, &resp);
    if (rc != WB_OK) return client_fail(&s->c, rc, NULL);
    const Waybill__ItemsResult *ir = resp->items;
    int ex = CLI_EXIT_OK;
    struct print_table table;
    print_table_init(&table, 7, header);
    json_t *list = co->json ? json_array() : NULL;
    if (!queue_page_ok(ir, q->limit)) {
        cli_error(co->cmd, "the node answered with a malformed page of the queue");
        ex = CLI_EXIT_FAILED;
        goto out;
    }
    if (co->json && !list) goto err_nomem;
    for (size_t i = 0; i < ir->n_items; i++) {
        struct ledger_item_state st;
        if (client_item_state(ir->items[i], &st) != WB_OK) {
            cli_error(co->cmd, "the node answered with a malformed item state");
            ex = CLI_EXIT_FAILED;
            goto out;
        }
        const Waybill__ItemScore *sc = ir->scores[i];
        if (co->json) {
            json_t *o = json_pack("{s:s, s:I, s:I, s:o, s:o}", "item", st.item, "score",
                                  (json_int_t)sc->score, "flags", (json_int_t)sc->flags,
                                  "counts", counts_json(sc), "state", print_json_state(&st));
            if (json_array_append_new(list, o)) goto err_nomem;
            continue;
        }
        char score[16], flags[512], cust[WB_ATTR_VALUE_MAX + 1], count[16], status[WB_ORG_MAX + 32],
            safe[WB_ATTR_VALUE_MAX + 1];
        snprintf(score, sizeof score, "%u", (unsigned)sc->score);
        flags_text(sc, flags, sizeof flags);
        print_safe(st.custodian[0] ? st.custodian : "-", cust, sizeof cust);
        if (st.status == LEDGER_ITEM_IN_TRANSFER)
            snprintf(status, sizeof status, "in transfer to %s",
                     print_safe(st.transfer_to, safe, sizeof safe));
        else
            snprintf(status, sizeof status, "%s", print_status_name(st.status));
        snprintf(count, sizeof count, "%u", (unsigned)st.count);
        const char *row[7] = {score, st.item, flags, cust, status,
                              st.location[0] ? st.location : "-", count};
        print_table_add(&table, row);
    }
    if (co->json) {
        char cursor[WB_ITEM_MAX + 16];
        snprintf(cursor, sizeof cursor, "%u:%s", (unsigned)ir->next_after_score, ir->next_after);
        json_t *root = json_pack("{s:o, s:I, s:b, s:o, s:I, s:I, s:o}", "items", list, "count",
                                 (json_int_t)ir->n_items, "more", ir->more, "next_after",
                                 ir->more ? json_string(cursor) : json_null(), "scores_height",
                                 (json_int_t)ir->scores_height, "scores_pending",
                                 (json_int_t)ir->scores_pending, "policy_hash",
                                 ir->policy_hash.len == RISK_POLICY_HASH_LEN
                                     ? print_json_hex(ir->policy_hash.data, RISK_POLICY_HASH_LEN)
                                     : json_null());
        list = NULL;
        if (print_json_out(root) != WB_OK) goto err_nomem;
    } else {
        if (ir->n_items && print_table_out(&table, stdout) != WB_OK) goto err_nomem;
        printf("%zu item%s", ir->n_items, ir->n_items == 1 ? "" : "s");
        if (ir->more)
            printf("; more after: --after %u:%s", (unsigned)ir->next_after_score, ir->next_after);
        else
            printf("; no more");
        char hash[2 * RISK_POLICY_HASH_LEN + 1] = "?";
        if (ir->policy_hash.len == RISK_POLICY_HASH_LEN)
            wb_hex_encode(ir->policy_hash.data, RISK_POLICY_HASH_LEN, hash, sizeof hash);
        printf("; scores as the node computed them as of height %llu, %llu item%s pending; "
               "policy %s\n",
               (unsigned long long)ir->scores_height, (unsigned long long)ir->scores_pending,
               ir->scores_pending == 1 ? "" : "s", hash);
    }
    goto out;
err_nomem:
    cli_error(co->cmd, "out of memory");
    ex = CLI_EXIT_FAILED;
out:
    json_decref(list);
    print_table_free(&table);
    waybill__client_response__free_unpacked(resp, NULL);
    return ex;
}

int cmd_items_via(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct items_query q;
    client_opts_init(&co, "items");
    int ex = items_parse(argc, argv, &co, &q);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    ex = client_opts_finish(&co, &items_usage, true);
    if (ex != CLI_EXIT_OK) return ex;

    static const char *const header[] = {"ITEM",     "CUSTODIAN", "STATUS", "CUSTOMS",
                                         "LOCATION", "MOVEMENT",  "EVENTS", "LAST"};
    struct print_table table;
    print_table_init(&table, 8, header);
    json_t *list = co.json ? json_array() : NULL;
    struct client_session s;
    ex = client_session_open(&s, &co, conn);
    if (ex != CLI_EXIT_OK) goto close_session;
    if (q.queue) {
        ex = items_queue(&co, &s, &q);
        goto close_session;
    }
    if (co.json && !list) goto err_nomem;
    size_t got = 0;
    bool more = true;
    /* The node may stop early (its scan bound): ask on from its cursor. */
    while (more && got < q.limit) {
        q.rq.limit = (uint32_t)(q.limit - got);
        Waybill__ClientRequest rq = WAYBILL__CLIENT_REQUEST__INIT;
        rq.req_case = WAYBILL__CLIENT_REQUEST__REQ_ITEMS;
        rq.items = &q.rq;
        Waybill__ClientResponse *resp;
        int rc = client_call(&s.c, &rq, WAYBILL__CLIENT_RESPONSE__RESP_ITEMS, &resp);
        if (rc != WB_OK) {
            ex = client_fail(&s.c, rc, NULL);
            goto close_session;
        }
        const Waybill__ItemsResult *ir = resp->items;
        bool bad = !ir || ir->n_items > q.rq.limit || !ir->next_after ||
                   strlen(ir->next_after) > WB_ITEM_MAX ||
                   (ir->more && strcmp(ir->next_after, q.after) <= 0 && ir->n_items == 0);
        for (size_t i = 0; !bad && i < ir->n_items; i++) {
            struct ledger_item_state st;
            if (client_item_state(ir->items[i], &st) != WB_OK) {
                bad = true;
                break;
            }
            if (co.json) {
                if (json_array_append_new(list, print_json_state(&st))) {
                    waybill__client_response__free_unpacked(resp, NULL);
                    goto err_nomem;
                }
            } else {
                items_row(&table, &st);
            }
            got++;
        }
        if (!bad) {
            more = ir->more;
            snprintf(q.after, sizeof q.after, "%s", ir->next_after);
        }
        waybill__client_response__free_unpacked(resp, NULL);
        if (bad) {
            cli_error(co.cmd, "the node answered with a malformed page of items");
            ex = CLI_EXIT_FAILED;
            goto close_session;
        }
    }
    if (co.json) {
        json_t *root = json_pack("{s:o, s:I, s:b, s:o}", "items", list, "count",
                                 (json_int_t)got, "more", more, "next_after",
                                 more ? json_string(q.after) : json_null());
        list = NULL;
        if (print_json_out(root) != WB_OK) goto err_nomem;
    } else {
        if (got && print_table_out(&table, stdout) != WB_OK) goto err_nomem;
        printf("%zu item%s", got, got == 1 ? "" : "s");
        if (more) printf("; more after %s: --after %s\n", q.after, q.after);
        else printf("; no more\n");
    }
    goto close_session;
err_nomem:
    cli_error(co.cmd, "out of memory");
    ex = CLI_EXIT_FAILED;
close_session:
    json_decref(list);
    print_table_free(&table);
    client_session_close(&s);
    return ex;
}

int cmd_items(int argc, char **argv)
{
    return cmd_items_via(client_net_connector(), argc, argv);
}
